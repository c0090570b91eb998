# The two commands the README promises: `make test` and `make demo`.
# Both create .venv and install everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint install clean bench image tools ci-tools browser-tools

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

tools: $(CHECKOV) ci-tools browser-tools

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The installs are independent, and the longest (gitlab-ci-local compiles a native module) is CPU-bound while
# pip mostly downloads: they run side by side.
test:
	@$(MAKE) --no-print-directory -j3 $(STAMP) tools
	@$(MAKE) --no-print-directory lint
	$(BIN)/pytest -n 2

# gitlab-ci-local runs .gitlab-ci.yml in the tests (tests/ci/); it needs Node.js with npm, and rsync.
# Installed into .tools/ (gitignored), never globally; each step is skipped when already there.
GITLAB_CI_LOCAL_VERSION := 4.60.0
GITLAB_CI_LOCAL := .tools/node_modules/.bin/gitlab-ci-local
# `make test` runs the tool targets side by side: flock keeps their apt-get runs one at a time.
APT_INSTALL := flock /tmp/smgitops-apt.lock sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q --no-install-recommends "$$@" || { apt-get update -q && \
	apt-get install -y -q --no-install-recommends "$$@"; }' apt-install

ci-tools:
	@command -v rsync >/dev/null || $(APT_INSTALL) rsync
	@command -v npm >/dev/null || $(APT_INSTALL) nodejs npm g++ make
	@test "$$($(GITLAB_CI_LOCAL) --version 2>/dev/null)" = "$(GITLAB_CI_LOCAL_VERSION)" || \
		npm install --prefix .tools --no-audit --no-fund --no-package-lock --loglevel=error \
			gitlab-ci-local@$(GITLAB_CI_LOCAL_VERSION)

# The dashboard's browser test (tests/status/) drives Debian's chromium through its chromedriver.
browser-tools:
	@test -x /usr/bin/chromium || $(APT_INSTALL) chromium
	@test -x /usr/bin/chromedriver || $(APT_INSTALL) chromium-driver

demo: $(STAMP)
	$(BIN)/smgitops demo

# smgitops and Terraform planning the same objects on the emulator, 50 ms per request (needs terraform and
# /opt/tf-plugins); Terraform at 200 models takes too long here, so that size is smgitops alone.
bench: $(STAMP)
	$(BIN)/python bench/plan_vs_terraform.py --models 5 --latency-ms 50
	$(BIN)/python bench/plan_vs_terraform.py --models 50 --latency-ms 50
	$(BIN)/python bench/plan_vs_terraform.py --models 200 --latency-ms 50 --no-terraform
	$(BIN)/python bench/validate_fleet.py --models 334
	$(BIN)/python bench/quiet_resync.py --models 334

# The controller's image, with the first container engine that answers (a docker client without a daemon does not).
IMAGE ?= smgitops:$(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
image:
	@engine=""; for candidate in docker podman; do \
		if command -v $$candidate >/dev/null 2>&1 && $$candidate info >/dev/null 2>&1; then engine=$$candidate; break; fi; \
	done; \
	if [ -z "$$engine" ]; then echo "make image: no running container engine (docker or podman)" >&2; exit 1; fi; \
	echo "$$engine build -t $(IMAGE) ."; $$engine build -t $(IMAGE) .

clean:
	rm -rf $(VENV) .tools .pytest_cache .ruff_cache .hypothesis .gitlab-ci-local
