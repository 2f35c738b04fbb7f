# Notebook rules, included by the Makefile. Each executed notebook in $(NB_OUT) is a target.
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
EXECUTED  := $(patsubst notebooks/%,$(NB_OUT)/%,$(NOTEBOOKS))

$(NB_OUT)/%.ipynb: notebooks/%.ipynb $(PANEL) $(SRC) config/interventions.csv
	@mkdir -p $(NB_OUT)
	@echo "[notebook] $*"
	@$(PY) -m papermill --no-progress-bar --cwd notebooks $< $@ > /dev/null

.PHONY: notebooks
notebooks: $(EXECUTED) ## Execute every notebook with papermill into results/notebooks/
