# The README's two commands: `make demo` and `make test`. Each creates .venv and installs
# the pinned dependency set (constraints.txt) on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres lock clean translations bench

# Translations: the .po catalogues are source, the .mo files build output (git-ignored).
TRANSLATIONS := platform/engage/translations
PO := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
BABEL_KEYWORDS := -k lazy_gettext -k _l

$(STAMP): pyproject.toml constraints.txt
	scripts/ensure-system-libs
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[demo,test]'
	touch $(STAMP)

# English is the source language: its catalogue leaves every message as written (empty
# translations), so its statistics ("1 of N messages (1%) translated") would read like a
# failure. Only the translations' catalogues report how much of Engage they translate.
SOURCE_CATALOGUE := $(TRANSLATIONS)/en/LC_MESSAGES/messages.po

%.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile $(if $(filter $(SOURCE_CATALOGUE),$<),,--statistics) -i $< -o $@

# Extract every marked string (babel.cfg) and merge it into each language's catalogue;
# then translate the new, empty entries in nl/messages.po and run tests/test_i18n.py.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--project Engage -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
		--no-fuzzy-matching --ignore-obsolete
	$(MAKE) $(MO)

demo: $(STAMP) $(MO)
	DATABASE_URL= $(BIN)/engage demo

# SQLite by default; ENGAGE_TEST_DATABASE_URL=postgresql+psycopg://... runs it on PostgreSQL.
# scripts/ensure-browser installs Chromium for tests/browser/ where it is missing (quick
# when present).
# Two worker processes (pytest-xdist), each with a database of its own (tests/conftest.py);
# PYTEST_WORKERS=0 runs the suite in this one process.
PYTEST_WORKERS ?= 2

test: $(STAMP) $(MO)
	scripts/ensure-browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres: $(STAMP) $(MO)
	scripts/ensure-postgres
	scripts/ensure-browser
	ENGAGE_TEST_DATABASE_URL=$${ENGAGE_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Benchmarks on PostgreSQL (tests/bench/run.py; docs/performance.md): builds bench_1k and
# bench_100k, measures, prints the ratios with their targets. BENCH_ARGS=--help for options.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[demo,test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) $(MO)
	scripts/ensure-postgres
	$(BIN)/python tests/bench/run.py $(BENCH_ARGS)

lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v -i -E '^(pip|setuptools|wheel)==' > constraints.txt

clean:
	rm -rf $(VENV) instance .pytest_cache
