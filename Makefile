# chipgraph: `make run` builds the graph, answers a competency question and serves the API;
# `make test` runs every check. Both start from nothing: they create .venv, install, and bring Java if missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: run test build lint java clean

run: $(VENV)/.installed
	$(BIN)/chipgraph build
	$(BIN)/chipgraph query huawei-foundries
	$(BIN)/chipgraph serve

build: $(VENV)/.installed
	$(BIN)/chipgraph build

test: $(VENV)/.installed java lint
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy kg api bench

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { $(APT) update -q && $(APT) install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# HermiT, the OWL reasoner the tests run through owlready2, needs a Java runtime.
java:
	@command -v java >/dev/null 2>&1 || { echo "installing a Java runtime (default-jre-headless)"; \
		$(APT) update -q && $(APT) install -y -q default-jre-headless; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache dist build *.egg-info
