# Quickstart: `make run` (demo service on :8000, SQLite + local files) and `make test`.
PYTHON ?= python3.11
PYTEST_ARGS ?=
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install node-tools run serve migrate seed test openapi check-openapi lint clean bench soak fault wrk

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# npm tools of the tests, without which their checks skip: axe-core for the public board's browser checks
# (tests/public), openapi-typescript and tsc for the generated client's check (tests/client).
AXE := tests/public/node_modules/axe-core/axe.min.js
$(AXE): tests/public/package-lock.json
	@if command -v npm >/dev/null && npm ci --prefix tests/public --no-audit --no-fund --silent; then touch $@; \
	else echo "could not install axe-core with npm: the public board's browser checks will be skipped"; fi
TSC := tests/client/node_modules/.bin/tsc
$(TSC): tests/client/package-lock.json
	@if command -v npm >/dev/null && npm ci --prefix tests/client --no-audit --no-fund --silent; then touch $@; \
	else echo "could not install the TypeScript tools with npm: the generated client's check will be skipped"; fi

node-tools: $(AXE) $(TSC)

migrate: install
	$(BIN)/python -m app migrate

seed: migrate
	$(BIN)/python -m app seed-demo

## Install, migrate, load the demo estate and serve on http://127.0.0.1:8000 (with the demo clock,
## POST /api/v1/demo/clock, kept in the database; run `APP_DEMO_CLOCK=true .venv/bin/python -m app worker` beside it
## to have notices delivered)
run: seed
	APP_DEMO_CLOCK=true $(BIN)/python -m app serve --host 127.0.0.1 --port 8000

## Install and run the tests (SQLite; set APP_TEST_DATABASE_URL=postgresql+asyncpg://... for PostgreSQL)
test: install node-tools
	$(BIN)/pytest $(PYTEST_ARGS)

## Benchmarks on the PostgreSQL at 127.0.0.1:5432 (their own databases, dropped and re-created): the
## service against the floor app under wrk, then voting and questionnaires at city scale. Each writes its
## section of bench/results.md; the run exits non-zero when a target was missed.
bench: install wrk
	status=0; for b in compare voting questionnaires privacy; do $(BIN)/python bench/$$b.py || status=1; done; exit $$status

## Ten minutes of mixed traffic with the worker running (bench/results.md, section soak)
soak: install
	$(BIN)/python bench/soak.py

## PostgreSQL stopped under load, on a private cluster of its own (bench/results.md, section fault)
fault: install
	$(BIN)/python bench/fault.py

wrk:
	@command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null || sudo apt-get install -y -q wrk >/dev/null \
		|| { echo "bench needs wrk (apt-get install wrk)"; exit 1; }

openapi: install
	$(BIN)/python -m app export-openapi

clean:
	rm -rf $(VENV) data
