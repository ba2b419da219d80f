# Campaign Analytics: `make demo` runs the whole pipeline, `make test` the whole suite.
# Everything runs on the embedded default (embedded PostgreSQL + chDB); `TARGET=server`
# switches every step to the docker compose servers (see docs/server_mode.md).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv may not be on PATH right after `pip install uv`; `python3 -m uv` always is.
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV_PYTHON_DOWNLOADS := never
# Byte-compile the environment once at install: with PYTHONDONTWRITEBYTECODE set (as on CI
# machines) every process would otherwise recompile dlt and dbt from source, ~4 s per start.
export UV_COMPILE_BYTECODE ?= 1
# chDB takes its clock from TZ when it starts; everything in UTC.
export TZ := UTC
ifdef TARGET
export CA_TARGET := $(TARGET)
endif
# The server target reads its endpoints and passwords from .env (cp .env.example .env); the
# embedded target never does, so a POSTGRES_DSN there cannot redirect it.
ifeq ($(TARGET),server)
ifneq ($(wildcard .env),)
include .env
export $(shell sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env)
endif
endif

RUN := $(UV) run --locked --quiet
CLI := $(RUN) campaign-analytics

# Options of the targets below (`make load FULL_REFRESH=1`, `make docs-serve DOCS_PORT=8081`).
# make exports command-line variables to every recipe's environment, where dlt would read
# FULL_REFRESH as its own (deprecated) setting and switch to dev mode: keep them to make.
FULL_REFRESH ?=
RESTORE_STATE ?=
DOCS_PORT ?= 8080
unexport FULL_REFRESH RESTORE_STATE DOCS_PORT

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: setup
setup: ## Install uv if missing and sync the locked environment (.venv)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
		{ echo "make setup: installing uv with pip"; python3 -m pip install --quiet uv; }
	@[ -x "$${UV_PROJECT_ENVIRONMENT:-.venv}/bin/campaign-analytics" ] || \
		echo "make setup: installing the locked Python environment into $${UV_PROJECT_ENVIRONMENT:-.venv} (first run: about a minute)"
	@$(UV) sync --locked --quiet

.PHONY: demo
demo: setup seed load transform docs kpis ## Seed (if empty), load, transform, document, print KPIs

.PHONY: seed
seed: setup ## Generate the demo dataset into an empty source (no-op when it has data)
	@$(CLI) seed-demo

.PHONY: load
load: setup ## Replicate PostgreSQL into ClickHouse raw with dlt (FULL_REFRESH=1 rebuilds, RESTORE_STATE=1 restores dlt's state from ClickHouse)
	@$(CLI) load $(if $(FULL_REFRESH),--full-refresh) $(if $(RESTORE_STATE),--restore-state)

.PHONY: transform
transform: setup ## dbt build: staging, marts, tests
	@$(CLI) dbt build

.PHONY: docs
docs: setup ## dbt docs generate (catalog and lineage in dbt_project/target)
	@$(CLI) dbt docs generate

.PHONY: docs-serve
docs-serve: setup ## Serve the dbt docs site (lineage) on http://localhost:8080 (DOCS_PORT=8081 for another port)
	@$(CLI) dbt docs serve --port $(DOCS_PORT)

.PHONY: serve
serve: setup seed load transform ## Start the insights API (http://127.0.0.1:8000) and print a fresh demo API key
	@$(CLI) serve --demo-key

.PHONY: kpis
kpis: setup ## Print the KPI report from the marts
	@$(CLI) kpis

.PHONY: test
test: setup ## Run the whole test suite (real PostgreSQL + chDB)
	@$(RUN) pytest

.PHONY: lint
lint: setup ## ruff (lint + format check) and sqlfluff
	@$(RUN) ruff check .
	@$(RUN) ruff format --check .
	@$(RUN) sqlfluff lint dbt_project

.PHONY: format
format: setup ## Apply ruff's fixes and formatting, and sqlfluff's fixes
	@$(RUN) ruff check --fix .
	@$(RUN) ruff format .
	@$(RUN) sqlfluff fix dbt_project

.PHONY: stop
stop: setup ## Stop the embedded PostgreSQL server
	@$(CLI) postgres stop

.PHONY: clean
clean: ## Remove local engine data (.data/) and dbt artifacts
	@$(MAKE) --no-print-directory stop || true
	rm -rf .data dbt_project/target dbt_project/logs

.PHONY: up
up: ## Start the compose servers (PostgreSQL + ClickHouse) and wait for health
	docker compose up -d --wait

.PHONY: down
down: ## Stop the compose servers
	docker compose down

.PHONY: ps
ps: ## Show the compose services
	docker compose ps

.PHONY: logs
logs: ## Follow the compose services' logs
	docker compose logs -f

# --- Ad-platform APIs (dlt_pipelines/ad_apis, docs/ad_platform_apis.md) ---

.PHONY: load-platforms
load-platforms: setup ## Load the ad-platform APIs configured in the environment (.env.example)
	@$(CLI) load --platforms $(if $(FULL_REFRESH),--full-refresh)

.PHONY: demo-platforms
demo-platforms: setup seed load ## Fake Meta/Google/TikTok/LinkedIn APIs locally, load and reconcile them
	@$(RUN) python -m tests.fake_ad_apis.demo
