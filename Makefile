# Two entry points for a fresh machine: `make table` and `make test`. Each sets up what it
# needs (a virtual environment with the Python packages; for the tests also the graphviz `dot`
# binary) and is a no-op for set-up steps already done.

VENV ?= .venv
PYTHON ?= python3
# The CPU build of torch that this project's machines carry on disk; any torch>=2.3 works.
TORCH ?= torch==2.13.0
# Reference implementations the tests hold the bundled tables to (test dependencies only),
# installed without their dependencies so that they run on the torch above: their model code
# is pure Python (tests/references.py says how it is imported).
REFERENCES ?= torchvision==0.28.0 pretrainedmodels==0.7.4 six==1.17.0 timm==1.0.31
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: table test lint typecheck unit dot bench clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m pip install --quiet --no-deps $(REFERENCES)
	touch $@

table: $(STAMP)
	$(BIN)/gnet-inspect table

dot:
	@command -v dot >/dev/null 2>&1 || { \
		echo "graphviz 'dot' is missing: installing it with apt-get"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz >/dev/null; }
	@dot -V

lint: $(STAMP)
	$(BIN)/ruff check gnet_inspect tests bench
	$(BIN)/ruff format --check gnet_inspect tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) dot
	$(BIN)/python -m pytest -n 2 -q

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python bench/cli_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis build *.egg-info
