PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DEV_STAMP := $(VENV)/.dev-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test lint fmt bench bench-quick install install-dev messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP) $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

run: $(STAMP)
	$(BIN)/balie serve

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run

fmt: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: $(DEV_STAMP)
	$(BIN)/python manage.py makemessages -l en -l nl --no-obsolete --ignore ".venv" --ignore "var" --ignore "bench" --ignore "node_modules" --ignore "tests" --ignore "*/tests/*" --ignore "conftest.py"
	$(BIN)/python manage.py compilemessages --ignore ".venv"

test: $(DEV_STAMP) lint
	$(BIN)/python manage.py compilemessages --ignore ".venv" >/dev/null
	$(BIN)/pytest -n 2 --dist loadgroup

bench-quick: $(DEV_STAMP)
	$(BIN)/python -m bench --quick

bench: $(DEV_STAMP)
	$(BIN)/python -m bench
