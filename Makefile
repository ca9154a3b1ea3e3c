# The two commands: `make demo` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PORT ?= 8000
UPSTREAM_PORT ?= 8001
# uv from PATH when it works, else the one pip installs for this project's Python.
UV := $(shell if uv --version >/dev/null 2>&1; then echo uv; else echo "python3 -m uv"; fi)
RUN := $(UV) run --frozen
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test install uv browser migrate seed static lint format unit e2e serve bench clean

demo: install migrate seed static
	$(RUN) python manage.py rundemo --port $(PORT) --upstream-port $(UPSTREAM_PORT)

test: install browser static lint
	$(RUN) pytest

uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

install: uv
	$(UV) sync --frozen

# Browser tests use Debian's chromium when present; Playwright's own download is the fallback.
browser: install
	@if [ -x "$(CHROMIUM)" ]; then echo "Using $(CHROMIUM)"; \
	else echo "No system Chromium at $(CHROMIUM): installing Playwright's"; $(RUN) playwright install chromium; fi

migrate: install
	$(RUN) python manage.py migrate --noinput

seed: install
	$(RUN) python manage.py seed_demo

static: install
	$(RUN) python manage.py collectstatic --noinput -v0

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy .

format: install
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

unit: install static
	$(RUN) pytest tests

e2e: install browser static
	$(RUN) pytest e2e

serve: install migrate static
	$(RUN) uvicorn dashboard.asgi:application --host 0.0.0.0 --port $(PORT) --lifespan on

clean:
	rm -rf .venv staticfiles .pytest_cache .mypy_cache .ruff_cache
