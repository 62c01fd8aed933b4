# chipgraph: `make run` builds the graph, answers a competency question and serves the API;
# `make test` runs every check. Both start from nothing: they create .venv, install, and bring Java, a
# headless Chromium (for the browser tests) and Virtuoso Open Source (for the remote-store tests) if missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -o DPkg::Lock::Timeout=300
# Playwright drives Debian's Chromium (tests/browser/conftest.py finds it); it must never fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: run test build lint coverage java browser virtuoso clean

run: $(VENV)/.installed
	$(BIN)/chipgraph build
	$(BIN)/chipgraph query huawei-foundries
	$(BIN)/chipgraph serve

build: $(VENV)/.installed
	$(BIN)/chipgraph build

test: $(VENV)/.installed java browser virtuoso lint
	$(BIN)/pytest

# Branch coverage of kg/ and api/ over the whole suite, query workers included ([tool.coverage] in pyproject.toml).
coverage: $(VENV)/.installed java browser virtuoso
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage combine -q
	$(BIN)/coverage report --sort=cover

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

# The browser tests (tests/browser) run Debian's headless Chromium through Playwright: the headless shell,
# else the full chromium package if the shell cannot be had; fonts-liberation so pages render real text.
CHROMIUM := /usr/lib/chromium/chromium-headless-shell /usr/lib/chromium/chromium
browser:
	@for binary in $(CHROMIUM); do [ -x "$$binary" ] && exit 0; done; \
		echo "installing a headless Chromium (chromium-headless-shell)"; \
		$(APT) update -q && { $(APT) install -y -q --no-install-recommends chromium-headless-shell fonts-liberation \
		|| $(APT) install -y -q --no-install-recommends chromium fonts-liberation; }

# The remote-store tests (tests/store) start their own Virtuoso from Debian's virtuoso-opensource (virtuoso-t,
# isql-vt) on free loopback ports, in a temporary folder. The package's debconf question (the DBA password) is
# left empty by the noninteractive frontend, which leaves the package's own service disabled; should a system
# have started it anyway, it is stopped: the tests never use it.
virtuoso:
	@command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1 || { \
		echo "installing Virtuoso Open Source (virtuoso-opensource)"; \
		$(APT) update -q && $(APT) install -y -q --no-install-recommends virtuoso-opensource \
		&& { $(SUDO) systemctl disable --now virtuoso-opensource-7 >/dev/null 2>&1 \
			|| $(SUDO) service virtuoso-opensource-7 stop >/dev/null 2>&1 || true; }; }

clean:
	rm -rf $(VENV) test-results .pytest_cache .ruff_cache .mypy_cache dist build *.egg-info
