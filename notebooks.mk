# Notebook rules, included by the Makefile. Each executed notebook in $(NB_OUT) is a file target
# depending on its source notebook, the panel, the package source and the timeline.
# `make -j2` is safe: 05 (paper figures) reads the tables written by 02, 03 and 04, so it depends
# on their executed outputs; the others are independent.
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
EXECUTED  := $(patsubst notebooks/%,$(NB_OUT)/%,$(NOTEBOOKS))
NB_DEPS   := $(PANEL) $(SRC) config/interventions.csv config/claims.csv config/validation.csv
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

# 07 reads the Operation Soteria cohorts (force, date, source) besides the shared inputs.
$(NB_OUT)/07_soteria.ipynb: config/soteria_cohorts.csv

.PHONY: notebooks
notebooks: $(EXECUTED) ## Execute every notebook with papermill into results/notebooks/

# One force, at its own intervention's quarter or any other:
#   make its FORCE="Avon and Somerset" INTERRUPTION=2019Q2
# writes results/notebooks/03_force_comparison-<slug>.ipynb (tables/figures tagged
# its_force_<force>-<quarter>_*). Without INTERRUPTION the intervention (INTERVENTION, an id
# in config/interventions.csv; default the notebook's) dates it, e.g.
#   make its FORCE="Avon and Somerset" INTERVENTION=bluestone_avon
FORCE        ?= West Midlands
INTERRUPTION ?=
INTERVENTION ?=
FORCE_SLUG   := $(shell echo "$(FORCE)" | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9]+/-/g; s/^-|-$$//g')
ITS_SLUG     := $(FORCE_SLUG)$(if $(INTERRUPTION),-$(shell echo "$(INTERRUPTION)" | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9]+/-/g'))
ITS_OUT      := $(NB_OUT)/03_force_comparison-$(ITS_SLUG)$(if $(INTERVENTION),-$(INTERVENTION)).ipynb
ITS_PARAMS   := -p force "$(FORCE)" $(if $(INTERRUPTION),-p interruption "$(INTERRUPTION)") \
                $(if $(INTERVENTION),-p intervention "$(INTERVENTION)")

$(ITS_OUT): notebooks/03_force_comparison.ipynb $(NB_DEPS)
	@mkdir -p $(NB_OUT)
	@echo "[its] $(FORCE), interruption $(or $(INTERRUPTION),of the intervention) -> $@"
	@touch $@.start
	@$(PAPERMILL) $< $(@:.ipynb=.part.ipynb) $(ITS_PARAMS) > /dev/null 2> $@.log \
	  || { echo "[its] FAILED (see $@.log):"; grep -E "^[A-Za-z]*Error" $@.log | tail -1; rm -f $(@:.ipynb=.part.ipynb) $@.start; exit 1; }
	@mv $(@:.ipynb=.part.ipynb) $@
	@echo "[its] done; written:"; find tables figures -newer $@.start -name 'its_force_*' \( -name '*.csv' -o -name '*.png' \) | sort
	@rm -f $@.start

.PHONY: its
its: $(ITS_OUT) ## One force against the others: make its FORCE="Avon and Somerset" INTERRUPTION=2019Q2
