# The two commands the README promises: `make test` and `make demo`.
# Both create .venv and install everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint install clean bench image tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# checkov pins its own boto3 and packaging, older than the SageMaker SDK needs: it gets a virtualenv of its own.
CHECKOV_VERSION := 3.3.30
CHECKOV := .tools/checkov/bin/checkov
$(CHECKOV):
	$(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)'

tools: $(CHECKOV)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint tools
	$(BIN)/pytest -n 2

demo: $(STAMP)
	$(BIN)/smgitops demo

# smgitops and Terraform planning the same objects on the emulator (needs terraform and /opt/tf-plugins).
bench: $(STAMP)
	$(BIN)/python bench/plan_vs_terraform.py --models 5
	$(BIN)/python bench/plan_vs_terraform.py --models 20

# The controller's image, with the first container engine that answers (a docker client without a daemon does not).
IMAGE ?= smgitops:$(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
image:
	@engine=""; for candidate in docker podman; do \
		if command -v $$candidate >/dev/null 2>&1 && $$candidate info >/dev/null 2>&1; then engine=$$candidate; break; fi; \
	done; \
	if [ -z "$$engine" ]; then echo "make image: no running container engine (docker or podman)" >&2; exit 1; fi; \
	echo "$$engine build -t $(IMAGE) ."; $$engine build -t $(IMAGE) .

clean:
	rm -rf $(VENV) .tools .pytest_cache .ruff_cache .hypothesis
