# The same commands everywhere: a laptop, a server, CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOUSEHOLDS ?= 20000
SEED ?= 2026

.PHONY: install run test lint bench messages messages-check clean

$(INSTALLED): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(INSTALLED)

install: $(INSTALLED)

# Set up (first time), build the demo district once, then serve on 127.0.0.1:8000 with a worker.
run: install
	$(BIN)/warmgrid migrate --noinput
	$(BIN)/warmgrid demo --households $(HOUSEHOLDS) --seed $(SEED) --if-empty
	$(BIN)/warmgrid run

test: install
	$(BIN)/pytest -n 2 --dist loadfile -q

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/classifier.py
	$(BIN)/python bench/run.py
	$(BIN)/python bench/board.py
	$(BIN)/python bench/cases.py
	$(BIN)/python bench/warmth.py

# Extract strings into warmgrid/locale/zh_Hans and en, and compile them.
messages: install
	cd warmgrid && ../$(BIN)/warmgrid makemessages -l zh_Hans -l en --no-location --no-obsolete \
		--ignore 'static/*' --ignore 'tests/*'
	cd warmgrid && ../$(BIN)/warmgrid compilemessages -l zh_Hans -l en

# CI: the committed catalogues are what `make messages` would write, and fully translated.
messages-check: install
	$(BIN)/python scripts/check_messages.py

clean:
	rm -rf $(VENV) var/static
