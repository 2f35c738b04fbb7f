# rasso_research pipeline. `make help` lists the targets.
# Each target is a file; `make -j2` is safe; a second `make all` with nothing changed does no work.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules
# a recipe that fails leaves no half-written target behind
.DELETE_ON_ERROR:
# one BLAS/OpenMP thread per process (unless set): `make -j2` already runs two jobs on the
# two cores, and the ITS fits multiply small matrices, where threads only add overhead
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
# glibc hands freed memory back to the kernel eagerly; the AR-errors bootstrap allocates and
# frees multi-megabyte temporaries thousands of times, and the page faults of getting it back
# cost a third of its time (make bench): keep freed memory in the process
export MALLOC_MMAP_THRESHOLD_ ?= 268435456
export MALLOC_TRIM_THRESHOLD_ ?= 536870912
export MALLOC_TOP_PAD_ ?= 67108864

# ---- the run's parameters ------------------------------------------------------------------
# FORCE, INTERRUPTION and INTERVENTION (make its) reach the command line's Python as
# environment variables only, taken literally ($(value ...): never expanded by make) and
# never written into a recipe, so no value reaches a shell; make's own export of
# command-line variables is turned off for them (it would expand them).
RASSO_FORCE        := $(value FORCE)
RASSO_INTERRUPTION := $(value INTERRUPTION)
RASSO_INTERVENTION := $(value INTERVENTION)
export RASSO_FORCE RASSO_INTERRUPTION RASSO_INTERVENTION
unexport FORCE INTERRUPTION INTERVENTION
# make grid's options, the same way: JOBS (workers), BACKEND (loky or dask), SCHEDULER (a
# Dask scheduler's address), GRID_OUT (the run's folder, under results/)
RASSO_GRID_JOBS      := $(value JOBS)
RASSO_GRID_BACKEND   := $(value BACKEND)
RASSO_GRID_SCHEDULER := $(value SCHEDULER)
RASSO_GRID_OUT       := $(value GRID_OUT)
export RASSO_GRID_JOBS RASSO_GRID_BACKEND RASSO_GRID_SCHEDULER RASSO_GRID_OUT
unexport JOBS BACKEND SCHEDULER GRID_OUT

# ---- environment ---------------------------------------------------------------------------
# A local virtualenv built from pyproject.toml, pinned by constraints.txt; with
# RASSO_USE_CONDA=1 the active conda env's python instead (only when asked: an active conda
# env is not enough, and the package is then installed into it).
ifeq ($(RASSO_USE_CONDA),1)
PY        := python
ENV_STAMP := .make/conda.stamp
else
PY        := .venv/bin/python
ENV_STAMP := .venv/.stamp
endif
PYTHON3   ?= python3

SRC      := $(wildcard src/rasso_research/*.py src/rasso_research/*/*.py \
              src/rasso_research/*/*/*.py)
# Modules the processed data depend on (design, plot and report code changes do not rebuild
# the panel).
DATA_SRC := $(wildcard src/rasso_research/paths.py src/rasso_research/periods.py \
              src/rasso_research/constants.py src/rasso_research/data/panel.py \
              src/rasso_research/data/build.py src/rasso_research/data/catalog.py \
              src/rasso_research/data/quality.py src/rasso_research/data/schemas.py \
              src/rasso_research/data/forces.py src/rasso_research/data/rawfiles.py \
              src/rasso_research/errors.py src/rasso_research/data/sources/*.py)

.venv/.stamp: pyproject.toml constraints.txt
	@echo "[env] building .venv from pyproject.toml (pinned by constraints.txt)"
	@test -x .venv/bin/python || $(PYTHON3) -m venv .venv
	@.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
	@.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $@

.make/conda.stamp: pyproject.toml
	@mkdir -p .make
	@echo "[env] installing rasso_research into the active conda env ($${CONDA_PREFIX:-none active})"
	@python -m pip install -q --no-deps -e .
	@touch $@

.PHONY: env
env: $(ENV_STAMP) ## Build (or reuse) the Python environment

# ---- data ----------------------------------------------------------------------------------
RAW_STAMP := data/raw/.fetched
PANEL     := data/processed/panel.parquet

$(RAW_STAMP): data/raw/registry.csv src/rasso_research/data/fetch.py $(ENV_STAMP)
	@echo "[data] fetching raw inputs (mirror: $${RASSO_DATA_MIRROR:-../shared/data if present}, else download)"
	@$(PY) -m rasso_research.data.fetch

# Every raw file (and the folders holding them, so a deleted file counts) is a prerequisite of
# the panel: a changed or missing file reruns the build, which verifies every checksum first
# and stops with one line naming the file.
REGISTRY_NAMES := $(shell tail -n +2 data/raw/registry.csv 2>/dev/null | cut -d, -f1)
RAW_FILES := $(wildcard $(addprefix data/raw/,$(REGISTRY_NAMES)))
RAW_DIRS  := $(wildcard $(sort $(dir $(addprefix data/raw/,$(REGISTRY_NAMES)))))

$(PANEL): $(RAW_STAMP) $(DATA_SRC) $(RAW_FILES) $(RAW_DIRS)
	@echo "[data] building the processed panel and tables (checksums verified first)"
	@$(PY) -m rasso_research.data.panel

.PHONY: data fetch
data: $(PANEL) ## Fetch raw files (checksummed) and build data/processed/

fetch: $(ENV_STAMP) ## Fetch again: replace any missing or changed raw file by a verified copy
	@$(PY) -m rasso_research.data.fetch

# ---- notebooks (papermill) -----------------------------------------------------------------
# every notebook run goes through the command line (python -m rasso_research run): parameters
# checked before a kernel starts, papermill in that process (SIGTERM shuts its kernel down)
override NB_OUT := results/notebooks
RUN := $(PY) -m rasso_research
include notebooks.mk

# ---- the force grid at scale ----------------------------------------------------------------
# Every force's specification curve at three dates (43 x 3 x 288 specifications), fitted in
# chunks written to results/runs/grid/chunks/ as they finish; stopped, it resumes where it
# stopped. Not part of `make all` (a robustness map, about 3 minutes on 2 idle cores):
#   make grid JOBS=2
#   make grid BACKEND=dask SCHEDULER=tcp://host:8786     (pip install -e ".[cluster]")
.PHONY: grid
grid: $(ENV_STAMP) $(PANEL) ## The force grid in resumable chunks: make grid JOBS=2 (or BACKEND=dask SCHEDULER=tcp://...)
	@$(RUN) grid

# ---- report (Sphinx + myst-nb over the executed notebooks) --------------------------------
# One HTML document, results/report/html/index.html: the front page generated from tables/,
# the executed notebooks as chapters (code folded, nothing re-executed), every figure and
# table, data and provenance (docs/DATA.md, the registry, the paper's manifest), methods and
# limitations (docs/METHODS.md). About a minute on two cores. The build fails when a link,
# image or alt text of the built pages is broken (report/htmlcheck.py).
REPORT     := results/report/html/index.html
REPORT_SRC := $(wildcard src/rasso_research/report/*.py) docs/DATA.md docs/METHODS.md \
              data/raw/registry.csv config/estimands.csv

$(REPORT): $(EXECUTED) $(MANIFEST) $(REPORT_SRC) $(ENV_STAMP)
	@echo "[report] building results/report/html (Sphinx + myst-nb)"
	@$(PY) -m rasso_research.report.site

.PHONY: report
report: $(REPORT) ## One HTML document of the study: results/report/html/index.html

# ---- reviewing -----------------------------------------------------------------------------
# JupyterLab in the environment `make` uses, with its thread and malloc settings (exported
# above); LAB_ARGS passes options, e.g. make lab LAB_ARGS="--no-browser --port 8890"
LAB_ARGS ?=
NBDIME := $(if $(filter 1,$(RASSO_USE_CONDA)),,$(CURDIR)/.venv/bin/)
.PHONY: lab nbdime-git
lab: $(ENV_STAMP) $(PANEL) ## JupyterLab with the environment, thread and malloc settings of make
	@echo "[lab] OMP_NUM_THREADS=$$OMP_NUM_THREADS MALLOC_MMAP_THRESHOLD_=$$MALLOC_MMAP_THRESHOLD_"
	@$(PY) -m jupyterlab --notebook-dir=. $(LAB_ARGS)

# readable notebook diffs: .gitattributes names the diff driver of *.ipynb, this defines it in
# .git/config (this clone only); `git diff` then shows cell sources and outputs, not JSON
nbdime-git: $(ENV_STAMP) ## Let git diff show notebooks cell by cell (nbdime; this clone's config)
	@git config diff.jupyternotebook.command "$(NBDIME)git-nbdiffdriver diff --ignore-metadata --ignore-id"
	@echo "[nbdime] git diff of *.ipynb now goes through nbdime (docs/REVIEWING.md)"

# ---- quality -------------------------------------------------------------------------------
.PHONY: all test lint format bench clean distclean help

all: data notebooks $(MANIFEST) report ## Run the whole pipeline: data, models, notebooks, figures, tables and the report

# nbval reruns every notebook into results/runs/nbval/ (never tables/ or figures/); notebook 05
# reads the paper's tables, so the paper run comes first
test: $(ENV_STAMP) $(PANEL) $(EXECUTED) ## Run the test suite (unit, validation, integration, nbval)
	@echo "[test] pytest"
	@$(PY) -m pytest

lint: $(ENV_STAMP) ## ruff check and format check (src, tests, notebooks)
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .

format: $(ENV_STAMP) ## Apply ruff formatting and fixes
	@$(PY) -m ruff check --fix .
	@$(PY) -m ruff format .

# (bench_make runs the notebooks in a scratch copy, results/bench/project: never tables/ or figures/)
bench: $(ENV_STAMP) $(PANEL) ## Benchmarks, each figure with its target and MET/MISSED: panel build, ITS fit, the multiverse on 2 workers, the force grid, notebook fixed cost, make -j2 notebooks, synthetic designs
	@$(PY) benchmarks/bench_data.py
	@$(PY) benchmarks/bench_its.py
	@status=0; for b in designs notebook make synthetic; do $(PY) benchmarks/bench_$$b.py || status=1; done; exit $$status

clean: ## Remove generated outputs (keeps data/raw registry and the environment)
	rm -rf results .pytest_cache .hypothesis .ruff_cache
	find data/processed figures tables -mindepth 1 -not -name .gitkeep -delete
	find data/raw -mindepth 1 -not -name registry.csv -not -name README.md -not -name .gitkeep -delete
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +

distclean: clean ## clean, and remove the environment
	rm -rf .venv .make

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'
