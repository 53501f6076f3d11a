# Two commands do all the set-up on a fresh machine with Python 3.11+ and make:
#   make serve   sets up .venv and serves the built-in Clackamas schedule
#   make test    sets up .venv and runs linters, type checker and the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: serve test lint bench clean messages

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

# The server (server.py) with gunicorn on http://127.0.0.1:8000; the schedule is
# HMIS_SCHEDULE's file or the built-in one (see README, Configuration).
# The package's gunicorn settings keep private-feed tokens out of the access and error logs.
serve: $(INSTALLED)
	$(BIN)/gunicorn --config python:hmis_schedule.web.gunicorn_config --bind 127.0.0.1:8000 --workers 2 --access-logfile - server:app

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy

# pytest-xdist runs the suite on every core (-n auto); the tests marked
# one_process (Schemathesis, which runs only one operation under xdist) then
# run in one plain pytest process.
test: lint
	$(BIN)/pytest -n auto -m "not one_process"
	$(BIN)/pytest -n 0 -m one_process

bench: $(INSTALLED)
	$(BIN)/python bench/bench_sessions.py
	$(BIN)/python bench/bench_feed.py
	$(BIN)/python bench/bench_server.py
	$(BIN)/python bench/bench_hostile.py
	$(BIN)/python bench/page_weight.py

# Re-extract the feed's messages (hmis_schedule/text.py) and merge them into
# every catalog; then translate the new entries in each feed.po.
messages: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header -o hmis_schedule/locale/feed.pot .
	$(BIN)/pybabel update -D feed -i hmis_schedule/locale/feed.pot -d hmis_schedule/locale -w 100 --no-fuzzy-matching --ignore-pot-creation-date
	$(BIN)/pybabel extract -F hmis_schedule/web/translations/babel.cfg --no-location --sort-output --omit-header -o hmis_schedule/web/translations/web.pot .
	$(BIN)/pybabel update -D web -i hmis_schedule/web/translations/web.pot -d hmis_schedule/web/translations -w 100 --no-fuzzy-matching --ignore-pot-creation-date

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
