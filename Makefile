# The project's commands. `make run` and `make test` do every set-up step themselves
# (idempotent and quiet when already done): see `make setup`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV_PY := .venv/bin/python
PYTEST_ARGS ?=
BENCH_ARGS ?=

# never download an interpreter: the machine's python3 (3.11) is the one
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1

# apt-get as root, else through sudo when there is one
SUDO := $(shell if [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then echo sudo; fi)

.PHONY: help setup tools sync nginx asyncapi browser pdf promtool infra run test lint format bench clean

help:
	@echo "make run     start the three services, the console and the gateway in the foreground (Ctrl-C stops)"
	@echo "make test    the whole test suite (PYTEST_ARGS='-k gateway -x' to narrow it)"
	@echo "make lint    ruff check, ruff format --check, mypy"
	@echo "make format  ruff format and ruff check --fix"
	@echo "make bench   the benchmarks in bench/ (BENCH_ARGS=...)"
	@echo "make setup   only the set-up: uv, packages, nginx, the AsyncAPI parser, Chromium and axe-core, promtool, PostgreSQL and RabbitMQ running"

setup: sync nginx asyncapi browser pdf promtool infra

# uv itself, pinned, in a venv of its own (the machine has only python3)
UV_STAMP := $(TOOLS)/.uv-$(UV_VERSION)
tools: $(UV_STAMP)
$(UV_STAMP):
	@echo "setup: installing uv $(UV_VERSION) into $(TOOLS)/"
	@python3 -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@touch $@

# the locked packages of every workspace member (and the dev group) into .venv
sync: $(UV_STAMP)
	@$(UV) sync --all-packages --frozen --quiet

# the gateway binary, from Debian, when missing
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  echo "setup: installing nginx from Debian"; \
	  $(SUDO) apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null \
	    || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	fi

# what WeasyPrint (registration's PDFs) loads at run time, from Debian, when missing: Pango with
# HarfBuzz, and a font that has every glyph of French
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pdf:
	@installed=$$(dpkg-query -W -f='$${Status}\n' $(PDF_PACKAGES) 2>/dev/null | grep -c '^install ok installed$$' || true); \
	if [ "$$installed" != $(words $(PDF_PACKAGES)) ]; then \
	  echo "setup: installing the PDF libraries from Debian"; \
	  $(SUDO) apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES) >/dev/null; \
	fi

# promtool (tests/test_alerts.py evaluates deploy/prometheus/rules.yaml with `promtool test rules`),
# from Debian's prometheus package when missing; no recommends, and no server is started by it
promtool:
	@if ! command -v promtool >/dev/null 2>&1; then \
	  echo "setup: installing promtool (Debian's prometheus package)"; \
	  $(SUDO) apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	fi

# the official AsyncAPI parser (tools/asyncapi/), which the tests validate each document with;
# Node.js and npm from Debian when missing. npm ci starts by deleting node_modules: one install
# at a time (flock), and one that waited finds the work done.
ASYNCAPI_STAMP := tools/asyncapi/node_modules/.installed
asyncapi: $(ASYNCAPI_STAMP)
$(ASYNCAPI_STAMP): tools/asyncapi/package.json tools/asyncapi/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "setup: installing Node.js and npm from Debian"; \
	  $(SUDO) apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	fi
	@exec 9>tools/asyncapi/.install.lock; flock 9; \
	if [ ! $@ -nt tools/asyncapi/package.json ] || [ ! $@ -nt tools/asyncapi/package-lock.json ]; then \
	  echo "setup: installing the AsyncAPI parser into tools/asyncapi/"; \
	  npm ci --prefix tools/asyncapi --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null; \
	  touch $@; \
	fi

# the console's browser tests: Debian's Chromium (/usr/bin/chromium, which Playwright is pointed at:
# no browser download), when missing, and axe-core (tools/browser/), which they inject into each
# page to check its accessibility; npm ci one install at a time (flock), as for the AsyncAPI parser
BROWSER_STAMP := tools/browser/node_modules/.installed
browser: $(BROWSER_STAMP)
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "setup: installing Chromium from Debian"; \
	  $(SUDO) apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	fi
$(BROWSER_STAMP): tools/browser/package.json tools/browser/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "setup: installing Node.js and npm from Debian"; \
	  $(SUDO) apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	fi
	@exec 9>tools/browser/.install.lock; flock 9; \
	if [ ! $@ -nt tools/browser/package.json ] || [ ! $@ -nt tools/browser/package-lock.json ]; then \
	  echo "setup: installing axe-core into tools/browser/"; \
	  npm ci --prefix tools/browser --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null; \
	  touch $@; \
	fi

# PostgreSQL (127.0.0.1:5432) and RabbitMQ (127.0.0.1:5672) started when they are not reachable
infra:
	@reachable() { (exec 3<>"/dev/tcp/127.0.0.1/$$1") 2>/dev/null; }; \
	await() { \
	  for _ in $$(seq 1 120); do reachable "$$1" && return 0; sleep 0.5; done; \
	  echo "setup: $$2 is still not reachable on 127.0.0.1:$$1" >&2; return 1; \
	}; \
	if ! reachable 5432; then \
	  if [ -d /etc/postgresql ]; then \
	    echo "setup: starting PostgreSQL"; \
	    $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -1) main start; \
	  fi; \
	  await 5432 PostgreSQL; \
	fi; \
	if ! reachable 5672; then \
	  if command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ]; then \
	    echo "setup: starting RabbitMQ"; \
	    $(SUDO) env PATH="$$PATH:/usr/sbin" rabbitmq-server -detached >/dev/null 2>&1 || true; \
	  fi; \
	  await 5672 RabbitMQ; \
	fi

run: setup
	@exec $(VENV_PY) -m devstack run

# the test suite's real servers (testsupport/infra.py): the local ones unless set
test: export TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432
test: export TEST_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/
test: setup
	@exec $(UV) run --no-sync pytest $(PYTEST_ARGS)

# mypy: the files pyproject's [tool.mypy] lists, then devstack and bench, then each service's
# tests/ on its own (all three are a package named tests)
lint: setup
	@$(UV) run --no-sync ruff check .
	@$(UV) run --no-sync ruff format --check .
	@$(UV) run --no-sync mypy
	@$(UV) run --no-sync mypy devstack bench
	@failed=0; for tests in services/*/tests; do $(UV) run --no-sync mypy "$$tests" || failed=1; done; exit $$failed

format: sync
	@$(UV) run --no-sync ruff format .
	@$(UV) run --no-sync ruff check --fix .

bench: setup
	@exec $(VENV_PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf .run .pytest_cache .mypy_cache .ruff_cache
