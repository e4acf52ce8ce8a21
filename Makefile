# The two set-up commands of the README: `make run` and `make test`.
# Both create .venv and install the project into it on first use (and again
# whenever pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint generate golden bench preview clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@.ci/install-chromium || echo "note: without chromium the browser tests (tests/preview) skip"
	@.ci/install-pgbouncer || echo "note: without pgbouncer the pooler test (tests/backend/test_pgbouncer.py) skips"
	touch $@

# Regenerate if the specs changed, then serve the backend on SQLite
# (and the Discord bot beside it when DISCORD_TOKEN is set).
run: $(BIN)/.installed
	@$(BIN)/gmbot generate --check >/dev/null 2>&1 || $(BIN)/gmbot generate
	$(BIN)/gmbot run

# Every check CI runs: lint, types, generated/ up to date, the test suite.
test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/gmbot generate --check
	$(BIN)/pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

generate: $(BIN)/.installed
	$(BIN)/gmbot generate

# Rewrite the generator's golden files after an intended output change; review the diff.
golden: $(BIN)/.installed
	$(BIN)/python -m tests.generator.regen

bench: $(BIN)/.installed
	$(BIN)/python bench/bench_generate.py
	$(BIN)/python bench/bench_backend.py
	$(BIN)/python bench/bench_bff.py
	$(BIN)/python bench/bench_slack.py
	$(BIN)/python bench/bench_telegram.py
	$(BIN)/python bench/bench_discord.py
	$(BIN)/python bench/bench_preview.py --screenshot docs/preview.png

# Every card of specs/commands.yaml as each platform shows it, on http://127.0.0.1:8090
preview: $(BIN)/.installed
	$(BIN)/gmbot preview

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
