# Two set-up commands on a fresh machine: `make sandbox` (offline demo) and `make test` (the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install sandbox test run bench soak lint clean i18n mo

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) mo

# Languages (docs/languages.md): `make i18n` extracts every message (pybabel extract, then the slash commands'
# strings) into bot/locale/kudos.pot and updates each bot/locale/<lang>/LC_MESSAGES/kudos.po; `make mo`
# compiles them (the bot also compiles a missing or stale .mo on first use, so a fresh clone works).
LOCALES := bot/locale
I18N_KEYWORDS := -k tr -k ngettext:1,2 -k N_ --no-default-keywords

i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(I18N_KEYWORDS) --no-location --sort-output --add-comments=TRANSLATORS: \
		--project=Kudos --msgid-bugs-address=none -o $(LOCALES)/kudos.pot .
	$(BIN)/python -m bot.core.i18n_commands $(LOCALES)/kudos.pot
	$(BIN)/pybabel update -i $(LOCALES)/kudos.pot -d $(LOCALES) -D kudos --no-fuzzy-matching --ignore-obsolete
	$(MAKE) mo

mo: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALES) -D kudos --statistics

sandbox: $(STAMP)
	$(BIN)/kudos sandbox

# The suite runs on TEST_WORKERS pytest-xdist processes: "auto" is two per CPU, at most 8 (tests/conftest.py says
# why); `make test TEST_WORKERS=0` runs it in one process, as before. The plugins' end-of-run summaries add up
# every worker's counts. PYTEST_ARGS: more pytest options.
TEST_WORKERS ?= auto
PYTEST_ARGS  ?=

test: $(STAMP) mo
	$(BIN)/ruff check bot cogs tests bench migrations
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

run: $(STAMP)
	$(BIN)/kudos run

bench: $(STAMP)
	$(BIN)/python -m bench

# A simulated community (200 members, 10 minutes, restarts and faults), then every invariant.
# SOAK_ARGS="--members 40 --seconds 60 --seed 3" for a shorter run.
soak: $(STAMP)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check bot cogs tests bench migrations
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
