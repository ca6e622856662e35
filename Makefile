# Millwright — two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export QT_API := pyside6

TS := $(wildcard resources/translations/*.ts)
QM := $(TS:.ts=.qm)
UI_SOURCES := $(shell find workbench model_designer device_browser app_packager -name '*.py' 2>/dev/null)

.PHONY: run test bench lint screenshots translations update-translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

resources/translations/%.qm: resources/translations/%.ts $(STAMP)
	$(VENV)/bin/pyside6-lrelease -silent $< -qm $@

translations: $(QM)

## Refresh the .ts sources from the code (then translate new strings with pyside6-linguist).
update-translations: $(STAMP)
	$(VENV)/bin/pyside6-lupdate -locations none -no-obsolete $(UI_SOURCES) -ts $(TS)

run: $(STAMP) translations
	$(VENV)/bin/millwright --project resources/examples/pump_station

test: $(STAMP) translations
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: $(STAMP) translations
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks

## Render the workbench's views into docs/images/VIEW.LANG.png (offscreen), for the docs and for review.
screenshots: $(STAMP) translations
	MILLWRIGHT_DOCS_IMAGES=1 QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q tests/gui/test_screenshots.py tests/gui/test_device_screenshots.py tests/gui/test_graph_screenshots.py tests/gui/test_app_screenshots.py tests/gui/test_script_editor_screenshots.py tests/gui/test_console_screenshots.py tests/gui/test_data_browser_screenshots.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) build dist resources/translations/*.qm
