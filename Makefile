# Two commands matter: `make run` (demo on SQLite, jobs inline) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test translations browser-deps worker clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations >/dev/null

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations browser-deps

# Debian's Chromium for the browser tests (Playwright's own download cannot work offline),
# and axe-core from npm for the accessibility checks.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
	  || echo "chromium could not be installed: browser tests will be skipped"; }
	@command -v npm >/dev/null 2>&1 || [ -f tests/browser/node_modules/axe-core/axe.min.js ] || { \
	  echo "Installing Debian's npm for axe-core"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null \
	  || echo "npm could not be installed: axe checks will be skipped"; }
	@[ -f tests/browser/node_modules/axe-core/axe.min.js ] || { command -v npm >/dev/null 2>&1 && \
	  npm ci --prefix tests/browser --no-audit --no-fund --silent || echo "npm missing: axe checks will be skipped"; }

run: install
	$(BIN)/participation demo
	$(BIN)/participation run --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/participation worker

clean:
	rm -rf $(VENV) instance tests/browser/node_modules

# Maintainers: extract new strings and merge them into the fr, en and de catalogs.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location --sort-output \
	  --no-wrap --project participation -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --no-wrap
