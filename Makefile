# ykgeo: `make run` sets up and starts the app on the demo store; `make test` sets up and runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest setup demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[serve,test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.headless true --browser.gatherUsageStats false -- $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check ykgeo tests benchmarks app.py
	$(BIN)/ruff format --check ykgeo

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest

demo: $(STAMP)
	$(BIN)/ykgeo demo build --seed 2022 --force -o data/gis/yongkang-demo.gpkg
	$(BIN)/ykgeo raster demo -o data/gis/rasters

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
