# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
DEV_ENV := DEBUG=true ACCOUNTS_SIGNUP=open ACCOUNTS_SELF_DELETE=true

.PHONY: run test test-sqlite lint format install messages clean demo-rp demo-sp e2e-deps bench bench-peers screenshots

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Compiles the committed .po catalogues (English is the source language).
messages: install
	$(DEV_ENV) $(MANAGE) compilemessages --ignore=.venv --ignore=var --ignore=staticfiles --verbosity 0

# The embedded default: SQLite, tasks inline, mail to the console, demo accounts.
run: install messages
	$(DEV_ENV) $(MANAGE) oidc_devkey
	$(DEV_ENV) $(MANAGE) saml_devkey
	$(DEV_ENV) $(MANAGE) migrate --noinput
	$(DEV_ENV) $(MANAGE) seed_demo
	@echo "Open http://localhost:8000 (passkeys need this address: browsers refuse them at an IP address)"
	$(DEV_ENV) $(MANAGE) runserver localhost:8000

# A relying application (examples/relying_app) signing in through `make run`'s portal.
demo-rp: install
	$(DEV_ENV) $(MANAGE) oidc_demo_client
	$(PY) examples/relying_app/app.py

# A SAML service provider (examples/saml_sp, python3-saml) signing in through `make run`'s portal.
demo-sp: install
	$(DEV_ENV) $(MANAGE) saml_demo_sp
	$(PY) examples/saml_sp/app.py

# axe-core for the accessibility checks of the browser tests (from npm, pinned by the lock file).
# Without npm (or Chromium) the browser tests are skipped with the reason printed; under
# CI=true they fail instead, and .ci/run installs both.
e2e-deps:
	@if command -v npm >/dev/null; then cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: tests/e2e will be skipped (axe-core comes from npm)"; fi

test: install messages e2e-deps
	$(PY) -m pytest

# The same suite on `make run`'s embedded default (SQLite, no Redis: database cache and
# sessions) whatever DATABASE_URL and REDIS_URL say; PYTEST_ARGS="--ignore=tests/e2e" to
# leave the browser out. Tests that need Redis still use one that answers at 127.0.0.1:6379
# (database TEST_REDIS_DB, default 14: tests/redis_databases.py).
test-sqlite: install messages e2e-deps
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest $(PYTEST_ARGS)

# The user guide's screenshots (docs/img/), taken by the browser tests; a plain test run writes
# them into var/screenshots/ and leaves docs/img/ alone.
screenshots: install messages e2e-deps
	E2E_SCREENSHOTS_DIR=$(CURDIR)/docs/img $(PY) -m pytest tests/e2e

# Figures on this machine (bench/): PostgreSQL at 127.0.0.1:5432, own Redis; about 3 minutes.
bench: install messages
	$(PY) -m bench.run $(BENCH_ARGS)

# The portal beside django-allauth and django-two-factor-auth, served and driven alike
# (bench/peers/); each peer in its own virtualenv under var/peers/ from its pinned
# requirements. About 5-10 minutes; writes bench/results/peers.json.
PEER_VENVS := var/peers
$(PEER_VENVS)/%/.installed: bench/peers/%/requirements.txt
	rm -rf $(PEER_VENVS)/$*
	$(PYTHON) -m venv $(PEER_VENVS)/$*
	$(PEER_VENVS)/$*/bin/pip install --quiet -r $<
	touch $@

bench-peers: install messages $(PEER_VENVS)/allauth/.installed $(PEER_VENVS)/two_factor/.installed
	$(PY) -m bench.peers.run $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) $(PEER_VENVS) db.sqlite3 staticfiles .pytest_cache .ruff_cache
