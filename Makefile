# repo2video — every target sets up what it needs first (see `make help`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export REPO2VIDEO_DATA_DIR ?= $(CURDIR)/var
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export HF_HUB_OFFLINE := 1
PYTEST_ARGS ?=

.PHONY: help setup demo test lint format dev bench bench-throughput check-reliability lock clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock scripts/setup-system.sh
	@echo "==> system packages"
	@scripts/setup-system.sh
	@echo "==> python environment in $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# torch first: the CPU build from local disk (a plain resolve would pull CUDA torch)
	@$(BIN)/pip install -q torch==2.13.0
	@$(BIN)/pip install -q --no-deps -r requirements.lock
	@$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	@mkdir -p $(DAGSTER_HOME) && ln -sf ../dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/repo2video doctor
	@touch $(STAMP)

setup: $(STAMP) ## create .venv, install pinned deps, system packages and models

demo: $(STAMP) ## render a real video of this project's own checkout (offline)
	@$(BIN)/repo2video render $(CURDIR) --out $(REPO2VIDEO_DATA_DIR)/demo
	@echo "open $(REPO2VIDEO_DATA_DIR)/site/index.html in a browser, or run 'make dev' to see the run in the Dagster UI"

test: $(STAMP) ## run the whole test suite
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff lint + format check
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: $(STAMP) ## apply ruff formatting and fixes
	@$(BIN)/ruff check --fix .
	@$(BIN)/ruff format .

dev: $(STAMP) ## Dagster UI + daemon + webhook receiver (http://127.0.0.1:3000, :8787)
	@scripts/dev.sh

bench: $(STAMP) ## benchmark: stage timings, real-time factor, encode ratio
	@$(BIN)/python -m repo2video_devtools.bench

bench-throughput: $(STAMP) ## 20 repositories queued at once through receiver + sensor + daemon, concurrency 1 and 2
	@$(BIN)/python -m repo2video_devtools.bench.throughput

check-reliability: $(STAMP) ## hostile inputs, 200 req/s webhook load, kill -9 of receiver/daemon/worker (~7-10 min)
	@$(BIN)/python -m repo2video_devtools.reliability

.PHONY: check-deploy check-heavy bench-receiver bench-throughput-postgres

check-heavy: $(STAMP) ## tests kept out of `make test` for its 15-minute budget: the UI in chromium, a dead daemon's /health, kill -9 of the receiver under load (~3 min)
	@REPO2VIDEO_HEAVY=1 $(BIN)/python -m pytest $(PYTEST_ARGS) -m heavy

check-deploy: $(STAMP) ## the Docker deployment (deploy/) as local processes on PostgreSQL: runs via DockerRunLauncher, kill -9, PostgreSQL restart under load (~10-15 min)
	@REPO2VIDEO_DEPLOY_CHECKS=1 $(BIN)/python -m pytest $(PYTEST_ARGS) repo2video_tests/test_deploy_service.py repo2video_tests/test_deploy_postgres_restart.py

bench-receiver: $(STAMP) ## webhook acknowledgement p50/p99 at 200 req/s, event table in SQLite, then in PostgreSQL (~2 min)
	@$(BIN)/python -m repo2video_devtools.bench.receiver --storage sqlite postgres

bench-throughput-postgres: $(STAMP) ## bench-throughput with Dagster storage and the event table in PostgreSQL
	@$(BIN)/python -m repo2video_devtools.bench.throughput --postgres

lock: ## regenerate requirements.lock from the current .venv
	@{ head -3 requirements.lock; $(BIN)/pip freeze --exclude-editable | grep -viE '^(torch|triton|nvidia)'; } > requirements.lock.new && mv requirements.lock.new requirements.lock

clean: ## remove generated data (keeps .venv)
	rm -rf var .dagster_home/storage .dagster_home/history .dagster_home/schedules .dagster_home/logs
