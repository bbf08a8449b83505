# The README's commands. Each target sets up what it needs, so a fresh machine needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PO     := $(wildcard bot/locales/*/LC_MESSAGES/bot.po)
MO     := $(PO:.po=.mo)

.PHONY: install demo run test test-fast bench lint catalogs messages clean

install: $(STAMP) $(MO)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Catalogs: .po files are committed, .mo files are built.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

catalogs: $(MO)

# `make messages`: the texts marked in bot/ (_, gettext, ngettext, N_: as tests/test_i18n.py
# finds them) into build/bot.pot, then every catalog updated from it: a new text is added
# untranslated (the tests fail until it is translated), one no longer used is dropped, and
# nothing is guessed (no fuzzy matching). Sorted by text, without source lines, so moving code
# never reorders the catalogs. LOCALES=<dir> updates a copy instead.
POT       := build/bot.pot
LOCALES   ?= bot/locales
LANGUAGES := $(patsubst bot/locales/%/LC_MESSAGES/bot.po,%,$(PO))
messages: $(STAMP)
	mkdir -p $(dir $(POT))
	$(BIN)/pybabel -q extract --no-default-keywords -k _ -k gettext -k ngettext:1,2 -k N_ \
		--no-location --sort-output --width 99 --project "Creative Spark consultation bot" \
		--version 1 --copyright-holder Creotalents -o $(POT) bot
	for language in $(LANGUAGES); do \
		$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --width 99 -D bot \
			-i $(POT) -d $(LOCALES) -l $$language || exit 1; \
	done

demo: install
	$(BIN)/python -m bot demo

run: install
	$(BIN)/python -m bot run

test: install
	$(BIN)/python -m pytest -q

# Everything but the fuzz, crash and timing suites (marked slow): seconds, not minutes.
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

# `make bench` runs every benchmark; `make bench hostile` (or langid, export, ...) only those named.
BENCHES := langid export updates broadcast startup hostile rounds groups scale
bench: install
	$(BIN)/python -m bench $(filter $(BENCHES),$(MAKECMDGOALS))

ifneq ($(filter bench,$(MAKECMDGOALS)),)
$(BENCHES): ; @:
endif

lint: install
	$(BIN)/ruff check bot tests bench tools
	$(BIN)/ruff format --check bot tests bench tools
	$(BIN)/mypy bot

clean:
	rm -rf $(VENV) $(MO)
