# The two commands: `make demo` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PORT ?= 8000
# The address make serve binds to: this machine only, unless told (HOST=0.0.0.0 behind a proxy).
HOST ?= 127.0.0.1
UPSTREAM_PORT ?= 8001
# uv from PATH when it works, else one installed into a venv of its own, .tools/: a plain
# `pip install uv` is refused by a python3 that follows PEP 668 (Debian 12's, Ubuntu 24.04's).
TOOLS_UV := .tools/bin/uv
UV := $(shell if uv --version >/dev/null 2>&1; then echo uv; else echo $(TOOLS_UV); fi)
RUN := $(UV) run --frozen
CHROMIUM ?= /usr/bin/chromium
# A random SECRET_KEY for this checkout, made once into .secret-key (ignored by git); one set in the
# environment wins. The server refuses to start without one when DEBUG is off.
LOCAL_SECRET_KEY = $(shell test -s .secret-key || python3 -c "import secrets; print(secrets.token_urlsafe(50))" > .secret-key; cat .secret-key)
export SECRET_KEY ?= $(LOCAL_SECRET_KEY)

.PHONY: demo test install uv browser migrate seed static lint format unit e2e serve bench clean

demo: install migrate seed static
	$(RUN) python manage.py rundemo --port $(PORT) --upstream-port $(UPSTREAM_PORT)

test: install browser static lint
	$(RUN) pytest

uv: $(filter $(TOOLS_UV),$(UV))
	@echo "Using $(UV): $$($(UV) --version)"

# Needs python3's venv module and ensurepip: Debian and Ubuntu ship them as the python3-venv package.
$(TOOLS_UV):
	@python3 -m venv .tools || { rm -rf .tools; \
		echo "make: 'python3 -m venv .tools' failed, so uv cannot be installed there." >&2; \
		echo "On Debian or Ubuntu: apt-get install python3-venv, then run make again. Or put uv on PATH." >&2; \
		exit 1; }
	.tools/bin/pip install --quiet uv

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

# Coverage is of the unit tests: the browser tests' servers run in processes of their own.
e2e: install browser static
	$(RUN) pytest e2e --no-cov

# Production-style: DEBUG off, WEB_CONCURRENCY worker processes (uvicorn reads it), behind a proxy.
WEB_CONCURRENCY ?= 2
serve: install migrate static
	DEBUG=false WEB_CONCURRENCY=$(WEB_CONCURRENCY) $(RUN) uvicorn dashboard.asgi:application \
		--host $(HOST) --port $(PORT) --lifespan on --proxy-headers --no-server-header

# Benchmarks (bench/README.md): ratios for scenarios S1-S7 in about 5 minutes, written to
# bench/results/latest.md and .json. Fails only when a scenario cannot run, not on a missed goal.
bench: install static
	$(RUN) python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf .venv .tools dist staticfiles .pytest_cache .mypy_cache .ruff_cache

# The framework alone as a wheel in dist/ (the `widgets` package; e2e/test_wheel_install.py installs it).
.PHONY: wheel
wheel: uv
	$(UV) build --wheel -o dist/
