# Two commands: `make run` and `make test`. Everything else here is what they stand on.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NPM := $(shell command -v npm 2>/dev/null)
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/package.json frontend/vite.config.ts -type f 2>/dev/null)
PYTEST_WORKERS ?= 2

.PHONY: run test lint typecheck unit frontend sample clean help image api-types

help:
	@echo "make run   - set up everything and serve on http://127.0.0.1:8000 (lite profile)"
	@echo "make test  - set up and run the whole suite: lint, types, unit, API, integration, browser"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The stamp depends on pyproject.toml, so a second `make run` with nothing changed installs nothing.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

frontend/node_modules/.installed: frontend/package.json $(wildcard frontend/package-lock.json)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(FRONTEND_SRC)
	cd frontend && npm run --silent build

frontend:
ifneq ($(NPM),)
	@$(MAKE) --no-print-directory frontend/dist/index.html
else
	@echo "npm not found: serving the API without the built UI (install Node.js 20+ for the UI)"
endif

run: $(VENV)/.installed-run frontend
	$(BIN)/scriptorium migrate
	$(BIN)/scriptorium companion load-sample
	$(BIN)/scriptorium serve --no-migrate

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

# The frontend's own typecheck covers what `npm run build` does not: its tests and config files.
typecheck: $(VENV)/.installed-dev $(if $(NPM),frontend/node_modules/.installed)
	$(BIN)/mypy
ifneq ($(NPM),)
	cd frontend && npm run --silent typecheck
endif

test: $(VENV)/.installed-dev frontend lint typecheck
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=25
	@echo "largest modules:"; find src -name '*.py' -exec wc -l {} + | sort -rn | sed -n '2,6p'

# frontend/src/api/schema.d.ts from the app's OpenAPI document (tests/test_api_types_current.py checks it's current).
api-types: $(VENV)/.installed-dev frontend/node_modules/.installed
	$(BIN)/python scripts/api_types.py

# The Fly image (deploy/fly/Dockerfile) built here without a registry: a debootstrap base, the host's wheelhouse
# and UI (deploy/image/build.sh; needs Docker and root). Fly itself builds with the Dockerfile's defaults.
image: $(BIN)/python
	deploy/image/build.sh scriptorium:local

clean:
	rm -rf $(VENV) var frontend/node_modules frontend/dist .pytest_cache .mypy_cache .ruff_cache
