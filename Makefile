# The README's commands. Each target sets up what it needs, so a fresh machine needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PO     := $(wildcard bot/locales/*/LC_MESSAGES/bot.po)
MO     := $(PO:.po=.mo)

.PHONY: install demo run test bench lint catalogs clean

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

demo: install
	$(BIN)/python -m bot demo

run: install
	$(BIN)/python -m bot run

test: install
	$(BIN)/python -m pytest -q

# `make bench` runs every benchmark; `make bench hostile` (or langid, export, ...) only those named.
BENCHES := langid export updates broadcast startup hostile
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
