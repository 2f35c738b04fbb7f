# Notebook rules, included by the Makefile. Each executed notebook in $(NB_OUT) is a file target
# depending on its source notebook, the panel, the package source and the timeline.
# `make -j2` is safe: 05 (paper figures) reads the tables written by 02, 03 and 04, so it depends
# on their executed outputs; the others are independent.
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
EXECUTED  := $(patsubst notebooks/%,$(NB_OUT)/%,$(NOTEBOOKS))
NB_DEPS   := $(PANEL) $(SRC) config/interventions.csv config/claims.csv
PAPERMILL := $(PY) -m papermill --no-progress-bar --log-level WARNING -k python3 --cwd notebooks

$(NB_OUT)/%.ipynb: notebooks/%.ipynb $(NB_DEPS)
	@mkdir -p $(NB_OUT)
	@echo "[notebook] $* ..."
	@start=$$(date +%s); $(PAPERMILL) $< $(@:.ipynb=.part.ipynb) > /dev/null 2> $@.log \
	  || { echo "[notebook] $* FAILED (see $@.log)"; rm -f $(@:.ipynb=.part.ipynb); exit 1; }; \
	  mv $(@:.ipynb=.part.ipynb) $@; echo "[notebook] $* done in $$(( $$(date +%s) - start ))s"

# 05 assembles figures from the tables of 02-04 (no refitting).
$(NB_OUT)/05_figures.ipynb: $(NB_OUT)/02_national_its.ipynb $(NB_OUT)/03_force_comparison.ipynb \
                            $(NB_OUT)/04_sensitivity.ipynb

.PHONY: notebooks
notebooks: $(EXECUTED) ## Execute every notebook with papermill into results/notebooks/

# One force with any interruption quarter:
#   make its FORCE="Avon and Somerset" INTERRUPTION=2019Q2
# writes results/notebooks/03_force_comparison-<slug>.ipynb (tables/figures tagged with the slug).
FORCE        ?= West Midlands
INTERRUPTION ?= 2018Q4
ITS_SLUG     := $(shell echo "$(FORCE)-$(INTERRUPTION)" | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9]+/-/g; s/^-|-$$//g')
ITS_OUT      := $(NB_OUT)/03_force_comparison-$(ITS_SLUG).ipynb

$(ITS_OUT): notebooks/03_force_comparison.ipynb $(NB_DEPS)
	@mkdir -p $(NB_OUT)
	@echo "[its] $(FORCE), interruption $(INTERRUPTION) -> $@"
	@$(PAPERMILL) $< $(@:.ipynb=.part.ipynb) -p force "$(FORCE)" -p interruption "$(INTERRUPTION)" > /dev/null 2> $@.log \
	  || { echo "[its] FAILED (see $@.log)"; rm -f $(@:.ipynb=.part.ipynb); exit 1; }
	@mv $(@:.ipynb=.part.ipynb) $@
	@echo "[its] done; written:"; ls tables/its_force_$(ITS_SLUG)_*.csv figures/its_force_$(ITS_SLUG)_*.png 2>/dev/null || echo "  (no table or figure: see the notebook's coverage section)"

.PHONY: its
its: $(ITS_OUT) ## Controlled ITS for one force: make its FORCE="Avon and Somerset" INTERRUPTION=2019Q2
