# One entry point for people and CI. Every target builds its own virtualenv from the pinned
# requirements-dev.txt, so nothing depends on what happens to be installed on the machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# checkov pins its own boto3, pydantic...: it gets its own virtualenv from requirements-checkov.txt.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
TRANSFORMED := build/template.transformed.json
MUTATE_VENV := .venv-mutate
MUTATE_STAMP := $(MUTATE_VENV)/.installed
# make demo keeps the local cloud here, then asks the example's campaign for one user's top 10.
DEMO_STATE := build/demo-state
DEMO_CAMPAIGN := retail-user-personalization-campaign
DEMO_USER := u0001

# Offline by construction: fake credentials, no instance metadata, no SAM telemetry.
export AWS_ACCESS_KEY_ID ?= testing
export AWS_SECRET_ACCESS_KEY ?= testing
export AWS_SESSION_TOKEN ?= testing
export AWS_DEFAULT_REGION ?= us-east-1
export AWS_EC2_METADATA_DISABLED := true
export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv demo test lint format bench mutate deploy clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

venv: $(STAMP) ## Create .venv from the pinned requirements-dev.txt

demo: $(STAMP) ## Run the whole pipeline offline on example/ (simulated realistic timeline), then ask its campaign
	rm -rf $(DEMO_STATE)
	$(BIN)/python -m local run --timeline realistic --state $(DEMO_STATE)
	@echo
	$(BIN)/python -m local recommend --state $(DEMO_STATE) --campaign $(DEMO_CAMPAIGN) --user-id $(DEMO_USER) --num 10

# The end-to-end tests get fresh worker processes: after the ~1600 fast tests in the same workers they
# ran about twice as slow (540 s for the whole suite in one session against 64 s + 212 s in two).
test: $(STAMP) lint ## Lint, then run every test (unit, contract, local cloud, end to end)
	$(BIN)/python -m pytest -n 2 -q --ignore=tests/e2e
	$(BIN)/python -m pytest -n 2 -q tests/e2e

lint: $(STAMP) $(CHECKOV_STAMP) ## ruff, cfn-lint and checkov on template.yaml (as written and transformed), statelint, example data
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/python -m local.transform template.yaml $(TRANSFORMED)
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation \
		-f template.yaml -f $(TRANSFORMED)
	$(BIN)/statelint statemachine/pipeline.asl.json statemachine/teardown.asl.json
	$(BIN)/python example/generate_data.py --check
	$(BIN)/python example/generate_data.py --check --flavour shop --out example/shop/data
	$(BIN)/python example/generate_data.py --check --flavour movies --out example/legacy/data

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) ## Print the local-cloud benchmarks (ratios measured in one run), model training times and GetRecommendations latency
	$(BIN)/python -m local.bench_training
	$(BIN)/python -m local.bench_latency
	$(BIN)/python -m local.bench

$(MUTATE_STAMP): requirements-mutate.txt requirements-dev.txt
	$(PYTHON) -m venv $(MUTATE_VENV)
	$(MUTATE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-mutate.txt
	touch $(MUTATE_STAMP)

mutate: $(MUTATE_STAMP) ## Mutation testing of the Lambda core (mutmut, ~7 min on 2 free cores): score and survivors
	$(MUTATE_VENV)/bin/python tests/mutation/mutate.py --max-children 2 --fail-under 95

deploy: ## sam build && sam deploy --guided (needs the AWS SAM CLI, python3.13 and AWS credentials)
	sam build
	sam deploy --guided

clean: ## Remove the virtualenv and build outputs
	rm -rf $(VENV) $(CHECKOV_VENV) $(MUTATE_VENV) .aws-sam build mutants .pytest_cache .ruff_cache
