# One Makefile for developers and CI (.ci/run calls these targets).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Every link the demo prints or e-mails (seed_demo, e-mails, the gateway's guidance) is built
# from GFMS_PORTAL_URL: make run derives it from HOST and PORT unless it is set. A server
# listening on every interface (0.0.0.0, ::) is linked as 127.0.0.1.
LINK_HOST := $(if $(filter 0.0.0.0 :: [::],$(HOST)),127.0.0.1,$(HOST))
RUN_ENV = GFMS_PORTAL_URL=$${GFMS_PORTAL_URL:-http://$(LINK_HOST):$(PORT)/} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost,[::1],$(LINK_HOST)}

.PHONY: help install install-dev browser promtool manage bench bench-argon2 bench-gateway bench-capacity bench-progress bench-password-timing run test test-fast lint format check-migrations check-compose messages ci clean

help:
	@echo "make run    - install, migrate, seed the demo (first time) and serve on http://$(HOST):$(PORT) (make run PORT=8765 HOST=0.0.0.0)"
	@echo "make manage ARGS=\"set_schedule --show\" - any management command, in the project's .venv"
	@echo "make test   - install test dependencies and run the whole suite"
	@echo "make test-fast - the quick loop: SQLite, in parallel, no browser/edge tests, no apt"
	@echo "make lint   - ruff (lint + format check), mypy, the import contract"

$(BIN)/uv:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

# --inexact keeps uv itself in the environment; --frozen installs exactly uv.lock.
install: $(BIN)/uv
	$(BIN)/uv sync --frozen --inexact --no-dev --quiet

install-dev: $(BIN)/uv
	$(BIN)/uv sync --frozen --inexact --quiet

run: install
	$(MANAGE) migrate --noinput
	$(RUN_ENV) $(MANAGE) seed_demo --if-empty
	$(RUN_ENV) DEBUG=$${DEBUG:-true} GFMS_DEMO_FRONTEND=$${GFMS_DEMO_FRONTEND:-true} \
	  METRICS_ALLOW=$${METRICS_ALLOW:-127.0.0.1,::1} $(MANAGE) runserver $(HOST):$(PORT)

# Any management command without activating .venv: make manage ARGS="set_schedule --show".
# Links it prints use the same HOST/PORT as make run.
manage: install
	$(RUN_ENV) $(MANAGE) $(ARGS)

test: install-dev browser promtool node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# axe-core for the browser tests' accessibility check (tests/browser/conftest.py injects it
# into every page): a test dependency from npm, pinned by package-lock.json, never vendored.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The quick loop while coding, not what CI runs: SQLite in memory whatever DATABASE_URL says
# (the PostgreSQL-only tests skip), no system packages, neither the browser tests nor the edge
# tests (tests/deploy), one pytest-xdist worker per core (2 on these machines) and at most 5
# examples per property test (HYPOTHESIS_PROFILE=fast, tests/conftest.py).
test-fast: install-dev
	env -u DATABASE_URL HYPOTHESIS_PROFILE=fast $(BIN)/python -m pytest -n auto \
	  --ignore=tests/browser --ignore=tests/deploy $(PYTEST_ARGS)

# System packages the tests need, from Debian when missing (root only): Chromium for the
# browser tests (Playwright never downloads a browser here), Pango for WeasyPrint's PDFs,
# nginx with envsubst for the edge tests (tests/deploy), and GNU gettext (xgettext, msgmerge)
# for the check that every marked string has its Thai translation (tests/test_translations.py).
SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 nginx gettext-base gettext
browser:
	@missing=""; \
	{ [ -n "$$CHROMIUM_PATH" ] || command -v chromium >/dev/null 2>&1; } || missing="yes"; \
	ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing="yes"; \
	{ command -v nginx >/dev/null 2>&1 && command -v envsubst >/dev/null 2>&1; } || missing="yes"; \
	command -v xgettext >/dev/null 2>&1 || missing="yes"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "Missing system packages: install them (Debian: sudo apt-get install $(SYSTEM_PACKAGES))"; \
	  fi; \
	fi

# promtool (Prometheus' own checker) for the alert rules and their unit tests
# (tests/monitoring/test_metrics_docs.py, docs/prometheus/): the one binary, taken out of
# Debian's prometheus package without installing it (installing would also set up and start
# a Prometheus server). Without it those tests skip.
promtool: $(BIN)/promtool
$(BIN)/promtool: | $(BIN)/uv
	@if command -v promtool >/dev/null 2>&1; then ln -sf "$$(command -v promtool)" $@; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  tmp=$$(mktemp -d); \
	  ( cd $$tmp && { apt-get download -qq prometheus 2>/dev/null \
	    || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get download -qq prometheus 2>/dev/null; }; } \
	    && dpkg -x prometheus_*.deb extracted ) && cp $$tmp/extracted/usr/bin/promtool $@; \
	  rm -rf $$tmp; \
	fi; \
	[ -x $@ ] || echo "promtool is not available: the alert rules' promtool tests will skip"

# ruff (lint + format), mypy with django-stubs (pyproject.toml [tool.mypy]) and the import
# contract (pyproject.toml [tool.importlinter]: the apps' layers, docs/architecture.md).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-migrations: install-dev
	$(MANAGE) makemigrations --check --dry-run

check-compose: install-dev
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

# Regenerate the translation catalogue from the code, then compile it (needs GNU gettext).
messages: install-dev
	$(MANAGE) makemessages --locale th --no-obsolete --add-location file --ignore ".venv/*" --ignore "tests/*"
	$(MANAGE) compilemessages --locale th --ignore ".venv/*"

# Benchmarks on PostgreSQL (databases created if missing); figures go in docs/performance.md.
# make bench = the three below. bench-gateway: the auth gateway side by side with a bare
# reference endpoint and one Argon2id verification, interleaved, under wrk (bench/gateway.py,
# BENCH_ARGS, e.g. "--seconds 5 --repeat 1 --scenarios b c"; --help lists them).
# bench-progress: the administrators' progress pages and the CSV export over 100,000 officers
# (bench/progress.py, BENCH_PROGRESS_ARGS, e.g. --reseed), in a database of its own so that
# the gateway's officers and decision records do not change its data shape. It seeds with
# COPY, which psycopg2 refuses under the client-side deadline (gfms_portal/dbclient.py).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/gfms_bench
BENCH_PROGRESS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/gfms_bench_progress
create_database = psql "$(dir $(1))postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$(notdir $(1))'" | grep -q 1 \
	  || psql "$(dir $(1))postgres" -c "CREATE DATABASE $(notdir $(1))"

# One after the other, even under make -j: they share the machine's cores.
bench:
	$(MAKE) bench-argon2
	$(MAKE) bench-gateway
	$(MAKE) bench-progress
	$(MAKE) bench-password-timing

# The OWASP-equivalent Argon2id settings side by side: one verification's time, and the rate
# with every core verifying at once (bench/argon2_params.py; gfms_portal/hashers.py says why).
bench-argon2: install-dev
	$(BIN)/python bench/argon2_params.py $(BENCH_ARGON2_ARGS)

# Wrong-password timing: unknown user id vs imported legacy hashes vs Argon2id (docs/security.md).
bench-password-timing: install-dev
	@$(call create_database,$(BENCH_DATABASE_URL))
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/password_timing.py

bench-gateway: install-dev bench-tools
	@$(call create_database,$(BENCH_DATABASE_URL))
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/gateway.py $(BENCH_ARGS)

# The gateway bench's load generator: wrk from Debian when missing (root only, as `browser`).
.PHONY: bench-tools
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else \
	    echo "wrk is missing: install it (Debian: sudo apt-get install wrk)"; exit 1; \
	  fi; \
	}

# The cutover-morning model checked with open-loop logins at given rates (docs/performance.md).
bench-capacity: install-dev
	@$(call create_database,$(BENCH_DATABASE_URL))
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/capacity.py $(BENCH_CAPACITY_ARGS)

bench-progress: install-dev
	@$(call create_database,$(BENCH_PROGRESS_DATABASE_URL))
	DATABASE_URL=$(BENCH_PROGRESS_DATABASE_URL) DB_CLIENT_TIMEOUT_MS=0 $(BIN)/python bench/progress.py $(BENCH_PROGRESS_ARGS)

ci: lint check-migrations check-compose test

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
