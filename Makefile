# One toolchain: pyproject + pip in a local .venv. Every target sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: help venv dev test lint typecheck pytest demo local bench clean report-check

help:
	@echo "make demo   - set up .venv with the embedded model and summarize the sample transcript"
	@echo "make test   - set up .venv with dev tools and run ruff, mypy and pytest"
	@echo "make bench  - run the benchmarks in benchmarks/"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changes.
$(VENV)/.dev-installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.local-installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,local]'
	touch $@

venv: $(PY)
dev: $(VENV)/.dev-installed
local: $(VENV)/.local-installed

lint: dev
	$(BIN)/ruff check toolkit tests benchmarks
	$(BIN)/ruff format --check toolkit tests benchmarks

typecheck: dev
	$(BIN)/mypy

pytest: dev
	$(BIN)/pytest -q --record-mode=none

test: lint typecheck pytest

bench: dev
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# Summarize the sample transcript with the embedded model (first run: joins the bundled GGUF and
# starts llama.cpp on 127.0.0.1; a few minutes on a laptop CPU). Output also in out/demo/.
demo: local
	$(BIN)/verisum summarize examples/kuaishou-2024q1-call.txt --doc-date 2024-05-27 --out out/demo --format md

# Render a sample eval report (no model: a scripted fake) in headless Chromium to a PNG, to look
# at it. Installs Debian's chromium and a CJK font when missing (needs root / apt-get).
REPORT_CHECK := out/report-check
report-check: dev
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }
	@dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || apt-get install -y -q fonts-wqy-zenhei
	$(PY) -m toolkit.evaluate.sample $(REPORT_CHECK)
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--hide-scrollbars --window-size=1400,2400 \
		--screenshot=$(CURDIR)/$(REPORT_CHECK)/report.png file://$(CURDIR)/$(REPORT_CHECK)/report.html
	@test -s $(REPORT_CHECK)/report.png && echo "look at $(REPORT_CHECK)/report.png"

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
