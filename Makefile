# ChannelDesk — everything a fresh machine needs goes through these targets.
#   make demo   set up, migrate, load the demo data, serve on http://127.0.0.1:8000
#   make test   set up with the dev tools, run the whole suite on SQLite and PostgreSQL
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
BIN   := $(VENV)/bin
HOST  ?= 127.0.0.1
PORT  ?= 8000

.PHONY: demo run test test-sqlite test-postgres lint typecheck bench bench-full lock clean messages

$(PY):
	@python=$$(scripts/find-python) || exit 1; \
	  echo "Using $$python ($$($$python --version))"; \
	  $$python -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-base: requirements/base.lock pyproject.toml | $(PY)
	$(PY) -m pip install -q --require-hashes -r requirements/base.lock
	$(PY) -m pip install -q --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: requirements/dev.lock pyproject.toml | $(PY)
	$(PY) -m pip install -q --require-hashes -r requirements/dev.lock
	$(PY) -m pip install -q --no-deps -e .
	@touch $@ $(VENV)/.installed-base

# The demo keeps the e-mails it sends as files in var/mail (a local mailbox) unless EMAIL_URL
# says otherwise.
demo: export EMAIL_URL ?= filemail:///var/mail
demo: $(VENV)/.installed-base
	$(BIN)/channeldesk migrate --noinput
	$(BIN)/channeldesk collectstatic --noinput -v 0
	$(BIN)/channeldesk demo load
	$(BIN)/channeldesk demo serve --host $(HOST) --port $(PORT)

# A small installation on one machine, without demo data: web server, scheduler and a job
# worker (`channeldesk serve`; docs/processes.md). Settings from the environment (docs/deploy.md).
run: $(VENV)/.installed-base
	$(BIN)/channeldesk migrate --noinput
	$(BIN)/channeldesk collectstatic --noinput -v 0
	$(BIN)/channeldesk serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	scripts/system-packages
	scripts/browser-deps
	scripts/run-tests

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

bench: $(VENV)/.installed-dev
	scripts/run-benchmarks --scale small

bench-full: $(VENV)/.installed-dev
	scripts/run-benchmarks --scale full

# Translations. The apps in OWN_CATALOGUES keep their own catalogue (src/channeldesk/<app>/locale);
# the central one (src/channeldesk/locale) holds the strings of all the other apps and ignores
# these. Both are refreshed here (an app's only once it has its locale/ directory), then every
# catalogue is compiled. Translate each new or fuzzy German msgstr before committing:
# tests/core/test_translations.py fails on the central catalogue otherwise.
OWN_CATALOGUES := licensing training usage portal backoffice feedback

messages: $(VENV)/.installed-dev
	cd src/channeldesk && ../../$(BIN)/channeldesk makemessages -l de -l en --no-obsolete \
	  $(foreach app,$(OWN_CATALOGUES),--ignore '$(app)/*')
	@for app in $(OWN_CATALOGUES); do \
	  if [ -d src/channeldesk/$$app/locale ]; then \
	    echo "$$app:"; \
	    (cd src/channeldesk/$$app && ../../../$(BIN)/channeldesk makemessages -l de -l en --no-obsolete) || exit 1; \
	  fi; \
	done
	cd src/channeldesk && ../../$(BIN)/channeldesk compilemessages

# Re-resolve the pinned lock files after changing dependencies in pyproject.toml.
lock: $(VENV)/.installed-dev
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.12 --generate-hashes -q -o requirements/base.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.12 --generate-hashes -q -o requirements/dev.lock

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache .mypy_cache .ruff_cache
