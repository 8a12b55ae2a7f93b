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

.PHONY: synth test lint format scan security-doc bench clean source-bundle build-image

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
	$(MAKE) --no-print-directory scan
	$(MAKE) --no-print-directory lint

# Third-party scanners over a fresh `cdk synth` (which already ran the gate and cdk-nag):
# checkov with the catalog's own checks (console, SARIF, JUnit) and cfn-lint on every template.
scan: $(VENV)/.dev node_modules/.installed
	$(CDK) synth --quiet -o $(CDK_OUT) $(CDK_ARGS)
	mkdir -p $(REPORTS)
	CDK_OUT=$(CDK_OUT) checkov -d $(CDK_OUT) --config-file .checkov.yaml -o cli -o sarif -o junitxml \
		--output-file-path console,$(REPORTS)/checkov.sarif,$(REPORTS)/checkov.junit.xml
	cfn-lint --config-file .cfnlintrc.yaml -- $$(find $(CDK_OUT) -name '*.template.json')

# Regenerates SECURITY.md's table of accepted exceptions from a fresh synth.
security-doc: $(VENV)/.runtime node_modules/.installed
	$(CDK) synth --quiet -o $(CDK_OUT)
	python -m aspects.register $(CDK_OUT) SECURITY.md

lint: $(VENV)/.dev
	ruff check .
	ruff format --check .

format: $(VENV)/.dev
	ruff format .
	ruff check --fix .

bench: $(VENV)/.runtime
	python benchmarks/gate_overhead.py

clean:
	rm -rf cdk.out .pytest_cache dist

# The S3 source stage: zip sample-app (an application repository's layout) into dist/source.zip, then
# upload it as s3://<SourceBucketName stack output>/<application>/source.zip to start that pipeline.
APP ?= sample
source-bundle:
	mkdir -p dist
	python3 -c 'import pathlib, sys, zipfile; root = pathlib.Path("sample-app"); \
	files = sorted(p for p in root.rglob("*") if p.is_file() and not {"__pycache__", ".pytest_cache"} & set(p.parts)); \
	bundle = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED); \
	[bundle.write(path, path.relative_to(root)) for path in files]; bundle.close()' dist/source.zip
	@echo "dist/source.zip: upload to s3://<SourceBucketName>/$(APP)/source.zip"

# The projects' build image: mirror the pinned CodeBuild standard image into the private repository
# (BUILD_IMAGE_REPOSITORY = the BuildImageRepositoryUri stack output). Needs docker and credentials of
# the pipeline account; run once after the first deploy and whenever BUILD_IMAGE_TAG changes.
BUILD_IMAGE_SOURCE ?= public.ecr.aws/codebuild/amazonlinux2-x86_64-standard:5.0
BUILD_IMAGE_TAG = $(shell sed -n 's/^BUILD_IMAGE_TAG = "\(.*\)"$$/\1/p' stacks/pipeline/registries.py)
build-image:
	@test -n "$(BUILD_IMAGE_REPOSITORY)" || { echo "set BUILD_IMAGE_REPOSITORY=<BuildImageRepositoryUri output>"; exit 2; }
	aws ecr get-login-password --region us-east-1 \
	  | docker login --username AWS --password-stdin $(firstword $(subst /, ,$(BUILD_IMAGE_REPOSITORY)))
	docker pull $(BUILD_IMAGE_SOURCE)
	docker tag $(BUILD_IMAGE_SOURCE) $(BUILD_IMAGE_REPOSITORY):$(BUILD_IMAGE_TAG)
	docker push $(BUILD_IMAGE_REPOSITORY):$(BUILD_IMAGE_TAG)
