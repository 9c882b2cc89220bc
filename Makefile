# `make run` serves the product on http://127.0.0.1:8000; `make test` runs the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
AXE := tests/e2e/node_modules/.installed

.PHONY: run prod test setup lint format bench clean messages

run: setup
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo --if-empty
	./scripts/serve

# The production shape on one machine: nginx on PORT in front of PROCESSES Daphne processes and
# WORKERS task workers; needs DATABASE_URL (PostgreSQL), REDIS_URL and nginx (nginx-light).
PROCESSES ?= 2
WORKERS ?= 2
PORT ?= 8000
prod: setup
	$(PY) manage.py migrate --no-input
	$(PY) manage.py serve_production --processes $(PROCESSES) --workers $(WORKERS) --port $(PORT)

test: setup $(AXE)
	$(PY) -m pytest $(PYTEST_ARGS)

# axe-core for the browser tests' accessibility checks, pinned in the lock file.
$(AXE): tests/e2e/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the accessibility tests will skip"; exit 0; }; \
	npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error && touch $@

setup: $(STAMP)

$(STAMP): requirements.txt
	@PYTHON_BIN=$$(./scripts/find-python) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "Creating $(VENV) with $$PYTHON_BIN"; rm -rf $(VENV); "$$PYTHON_BIN" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Extract every marked string into locale/es (django and djangojs), then compile. Needs GNU
# gettext (apt-get install gettext); the compiled .mo files are committed, so tests do not.
MESSAGES_IGNORE := --ignore=tests --ignore=bench --ignore=media --ignore=staticfiles --ignore=node_modules
messages: setup
	$(PY) manage.py makemessages -l es -d django -e html,txt,py,js --no-obsolete $(MESSAGES_IGNORE)
	$(PY) manage.py makemessages -l es -d djangojs -e js --no-obsolete $(MESSAGES_IGNORE)
	$(PY) manage.py compilemessages -l es --ignore=.venv $(MESSAGES_IGNORE)

bench: setup
	$(PY) -m bench $(SCENARIO)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
