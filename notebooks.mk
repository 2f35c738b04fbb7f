# Notebook rules, included by the Makefile. Each executed notebook in $(NB_OUT) is a file target
# depending on its source notebook, the panel, the config tables and the package modules it
# imports, directly or through others (.make/nbdeps.mk, written by tools/nbdeps.py from the
# notebooks' and modules' imports): an edit to a view reruns only the notebooks drawing with it.
# `make -j2` is safe: 05 (paper figures) reads the tables written by 02, 03 and 04, so it depends
# on their executed outputs; the others are independent.
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
EXECUTED  := $(patsubst notebooks/%,$(NB_OUT)/%,$(NOTEBOOKS))
NB_DEPS   := $(PANEL) config/interventions.csv config/claims.csv config/validation.csv
NB_IMPORTS := .make/nbdeps.mk

$(NB_IMPORTS): tools/nbdeps.py $(NOTEBOOKS) $(SRC)
	@mkdir -p $(@D)
	@$(PYTHON3) tools/nbdeps.py $(NB_OUT) $(NOTEBOOKS) > $@.tmp
	@mv $@.tmp $@

# (not for the targets that run nothing: make help, clean and distclean stay instant)
ifeq ($(filter-out help clean distclean,$(or $(MAKECMDGOALS),help)),)
else
include $(NB_IMPORTS)
endif

# The paper run: the notebook's defaults, tables/ and figures/ (RASSO_PAPER_RUN, set by the
# command line's --paper); notebook 00's run also fails when a published number is not
# reproduced. A failed run leaves results/notebooks/<name>.failed.ipynb (replaced by the next).
$(NB_OUT)/%.ipynb: notebooks/%.ipynb $(NB_DEPS)
	@$(RUN) run $< --paper

# 05 assembles figures from the tables of 02-04 (no refitting).
$(NB_OUT)/05_figures.ipynb: $(NB_OUT)/02_national_its.ipynb $(NB_OUT)/03_force_comparison.ipynb \
                            $(NB_OUT)/04_sensitivity.ipynb

# 07 reads the Operation Soteria cohorts (force, date, source) besides the shared inputs.
$(NB_OUT)/07_soteria.ipynb: config/soteria_cohorts.csv

.PHONY: notebooks
notebooks: $(EXECUTED) ## Execute every notebook with papermill into results/notebooks/

# The paper's manifest: every notebook's parameters, the git commit, package versions and
# the inputs' checksums (tables/manifest.json and figures/manifest.json).
MANIFEST := tables/manifest.json
$(MANIFEST): $(EXECUTED)
	@$(RUN) manifest

# One force, at its own intervention's quarter or any other:
#   make its FORCE="Avon and Somerset" INTERRUPTION=2019Q2
#   make its FORCE="Avon and Somerset" INTERVENTION=bluestone_avon
# runs notebook 03 through `python -m rasso_research its` (the same as `run 03 --force ...`):
# every parameter is checked before a kernel starts, and the run writes to
# results/runs/<slug>/ (tables, figures, the executed notebook, manifest.json), never to
# tables/ or figures/. The values reach Python as environment variables (see the Makefile).
.PHONY: its
its: $(ENV_STAMP) $(PANEL) ## One force against the others: make its FORCE="Avon and Somerset" INTERRUPTION=2019Q2
	@$(RUN) its
