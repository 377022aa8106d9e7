# Netfloox — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: install browser run test lint format bench-full bench-import bench-refresh bench-recommend bench-app bench-api bench-load screenshots slides

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Headless Chromium for the end-to-end tests (skipped with a reason when it cannot be installed),
## and axe-core (npm) for their accessibility check.
browser:
	sh .ci/install-browser
	cd harness/js && (npm ci --no-audit --no-fund --silent || echo "npm failed: the accessibility check will be skipped")

## Whole pipeline: database, migrations, IMDb import, training, then the web app.
run: install
	$(BIN)/netfloox run

## Whole test suite (used by .ci/run).
test: install browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-full: install
	$(BIN)/netfloox bench full $(if $(ROWS),--rows $(ROWS),)

bench-import: install
	$(BIN)/netfloox bench import

bench-refresh: install
	$(BIN)/netfloox bench refresh $(if $(ROWS),--rows $(ROWS),)

bench-recommend: install
	$(BIN)/netfloox bench recommend
	$(BIN)/netfloox bench collaborative

bench-app: install
	$(BIN)/netfloox bench app

## The JSON API over HTTP on the current database, and the client picker with 300,000 clients.
bench-api: install
	$(BIN)/netfloox bench api

## Concurrent clients while a forced re-import and a retrain run (NETFLOOX_IMDB_SOURCE: the files).
bench-load: install
	$(BIN)/netfloox bench load

## Screenshots of the three pages on the current database (docs/screenshots).
screenshots: install browser
	$(BIN)/netfloox screenshots

## The presentation (Marp, installed by `make browser` from harness/js) and the project board, on the
## current database:
## docs/presentation/netfloox.{md,html,pdf}, docs/board.{csv,md}.
MARP = $(CURDIR)/harness/js/node_modules/.bin/marp --allow-local-files
slides: install browser
	$(BIN)/netfloox slides
	cd docs/presentation && $(MARP) netfloox.md -o netfloox.html
	cd docs/presentation && CHROME_PATH=$$(command -v chromium) $(MARP) netfloox.md --pdf -o netfloox.pdf
