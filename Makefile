# One Route In — run `make help` for the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi
FAKE_TWILIO ?= 1
FAKE_TWILIO_PORT ?= 8099
# The demo's people sign in with a password alone; `make run TOTP_REQUIRED_ROLES=admin,safety_net_officer`
# asks the admin and the safety-net officer for an authenticator app, as production does by default.
TOTP_REQUIRED_ROLES ?=
export TOTP_REQUIRED_ROLES
# Test processes for `make test` (pytest-xdist), each with its own database: auto is one per CPU, 0 runs in one.
PYTEST_WORKERS ?= auto
# Development only: the fake Twilio accepts these made-up credentials; real ones come from the environment.
DEV_TWILIO := TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000 TWILIO_AUTH_TOKEN=dev-token-for-the-fake-twilio \
	TWILIO_FROM=+447700900000 TWILIO_BASE_URL=http://127.0.0.1:$(FAKE_TWILIO_PORT) PUBLIC_BASE_URL=http://127.0.0.1:$(PORT)

.PHONY: help run test test-pg lint format fuzz bench lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

# Runtime packages (`make run`), then the test and development tools (`make test`): both files pinned with
# hashes, so pip installs exactly what was locked (`make lock` writes them from the .in files).
$(BIN)/.installed: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

instance/.postcodes-loaded: $(BIN)/.installed data/postcodes_SM_CV_HP_MK_SL.csv.gz
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask geo import data/postcodes_SM_CV_HP_MK_SL.csv.gz
	touch $@

run: $(BIN)/.installed instance/.postcodes-loaded ## Serve the demo on http://127.0.0.1:$(PORT) with the worker and a fake Twilio
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --tokens
	@echo "Serving on http://127.0.0.1:$(PORT)  (API docs: http://127.0.0.1:$(PORT)/docs)"
	@if [ "$(FAKE_TWILIO)" = 1 ]; then \
	  export $(DEV_TWILIO); \
	  echo "SMS: fake Twilio on http://127.0.0.1:$(FAKE_TWILIO_PORT); each text is printed here (FAKE_TWILIO=0: your TWILIO_* settings)"; \
	  $(BIN)/python -m notify.fake_twilio --port $(FAKE_TWILIO_PORT) & fake=$$!; \
	fi; \
	trap 'kill $$fake $$worker 2>/dev/null' EXIT; \
	$(BIN)/flask worker & worker=$$!; \
	$(BIN)/gunicorn -c config/gunicorn.py --bind 127.0.0.1:$(PORT) wsgi:app

test: $(BIN)/.installed-dev ## Run the whole test suite (SQLite unless TEST_DATABASE_URL is set; PYTEST_WORKERS=auto)
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS)

test-pg: $(BIN)/.installed-dev ## Run the suite on a fresh PostgreSQL database (127.0.0.1:5432)
	bash .ci/with-postgres $(MAKE) test

lint: $(BIN)/.installed-dev ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed-dev ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

fuzz: $(BIN)/.installed-dev ## Fuzz the API with schemathesis, all checks, a token per role (FUZZ_EXAMPLES=25)
	bash .ci/fuzz

bench: $(BIN)/.installed-dev ## Benchmarks (printed as ratios against a baseline measured in the same run)
	$(BIN)/python -m bench.triage_eval
	$(BIN)/python -m bench.matching --sizes 10000,100000 --queries 200
	$(BIN)/python -m bench.duplicate_people
	$(BIN)/python -m bench.startup

LOCK := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links
lock: $(BIN)/.installed-dev ## Pin requirements.in and requirements-dev.in, with hashes, into the .txt files
	$(LOCK) --output-file requirements.txt requirements.in
	grep -v '^-r requirements.txt$$' requirements-dev.txt > requirements-dev.txt.previous || true
	mv requirements-dev.txt.previous requirements-dev.txt
	$(LOCK) --output-file requirements-dev.txt requirements-dev.in
	{ echo '-r requirements.txt'; cat requirements-dev.txt; } > requirements-dev.txt.new
	mv requirements-dev.txt.new requirements-dev.txt

clean: ## Remove the virtualenv and the local database
	rm -rf $(VENV) instance
