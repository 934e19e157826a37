# The few commands a newcomer needs. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: help install run test test-fast chaos postgres lint bench clean

help: ## Show these commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## Create the virtualenv and install pinned dependencies

$(VENV)/.installed: pyproject.toml constraints.txt services/referrals/web/assets.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	$(BIN)/python -m services.referrals.web.assets
	touch $@

run: install ## Run everything locally: broker, four services, mail server, synthetic borough
	$(BIN)/ews run

test: install ## Lint, then every test (unit, contract, integration); exit 5 (no tests) counts as a pass
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest; rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

test-fast: install ## Lint, then the unit, service and browser tests (no broker; about three minutes)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -m "not integration"

chaos: install ## Kill every process in turn under a steady feed on Apache Kafka, five rounds (CI runs one)
	EWS_CHAOS_ROUNDS=5 EWS_CHAOS_PUPILS=120 $(BIN)/pytest -m chaos -s

postgres: ## Install (Debian, as root) and start PostgreSQL on 127.0.0.1:5432 for its tests
	infra/local/postgres.sh

bench: install ## Run the benchmarks and print their figures
	$(BIN)/python -m bench

clean: ## Remove local data (broker storage, SQLite files, mail)
	rm -rf data
