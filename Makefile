# `make synth` and `make test` work on a fresh clone with only python3, make and git:
# the first run creates .venv (Python packages and Node 24) and node_modules (the pinned CDK CLI).
SHELL := /bin/bash
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
CDK := npx --no-install cdk
CDK_ARGS ?=
PYTEST_ARGS ?=

.PHONY: synth test lint format scan bench clean source-bundle

$(VENV)/.runtime: requirements.txt
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package-lock.json $(VENV)/.runtime
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: $(VENV)/.runtime node_modules/.installed
	$(CDK) synth --quiet $(CDK_ARGS)

test: $(VENV)/.dev node_modules/.installed
	python -m pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory lint

lint: $(VENV)/.dev
	ruff check .
	ruff format --check .

format: $(VENV)/.dev
	ruff format .
	ruff check --fix .

bench: $(VENV)/.runtime
	python benchmarks/gate_overhead.py

clean:
	rm -rf cdk.out .pytest_cache
