# The two commands the README promises: `make test` and `make demo`.
# Both create .venv and install everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -n 2

demo: $(STAMP)
	$(BIN)/smgitops demo

# smgitops and Terraform planning the same objects on the emulator (needs terraform and /opt/tf-plugins).
bench: $(STAMP)
	$(BIN)/python bench/plan_vs_terraform.py --models 5
	$(BIN)/python bench/plan_vs_terraform.py --models 20

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
