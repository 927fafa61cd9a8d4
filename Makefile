# Moteforge: `make run` installs everything and starts the studio with a demo project;
# `make test` installs the same and runs the whole suite. Both are idempotent.

SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
HOST ?= 127.0.0.1
PORT ?= 8000
export MOTEFORGE_DATA_DIR ?= $(CURDIR)/.data

# Debian packages the studio needs: Arm/RISC-V/aarch64 toolchains and emulators for firmware builds and
# verification, clang + wasi-libc for WebAssembly bundles, Chromium for the browser tests.
APT_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm qemu-system-misc qemu-user \
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf \
	clang lld wasi-libc libclang-rt-14-dev-wasm32 chromium chromium-driver docker-compose

.PHONY: install run test test-fast lint format migration bench clean

install: $(STAMPS)/apt $(STAMPS)/venv $(STAMPS)/npm

$(STAMPS)/apt: Makefile
	@mkdir -p $(STAMPS)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v npm >/dev/null || echo nodejs npm; $(PY) -c 'import venv, ensurepip' 2>/dev/null || echo python3-venv); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

$(STAMPS)/npm: frontend/package.json frontend/package-lock.json
	@mkdir -p $(STAMPS)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent vendor
	@touch $@

run: install
	$(BIN)/moteforge serve --demo --host $(HOST) --port $(PORT)

# The suite runs twice: everything on the embedded default (SQLite + filesystem broker), then the
# backend again on PostgreSQL + Redis (the scaled mode).
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
test: install lint
	$(PYTEST) -n 2 --dist loadfile tests
	MOTEFORGE_TEST_DB=postgres MOTEFORGE_TEST_BROKER=redis $(PYTEST) -n 2 --dist loadfile tests/backend -m "not browser"

test-fast: install
	$(PYTEST) -n 2 --dist loadfile -m "not slow and not browser and not qemu" tests

lint: $(STAMPS)/venv
	$(BIN)/ruff check backend workers firmware tests bench migrations
	$(BIN)/ruff format --check backend workers firmware tests bench migrations

format: $(STAMPS)/venv
	$(BIN)/ruff check --fix backend workers firmware tests bench migrations
	$(BIN)/ruff format backend workers firmware tests bench migrations

# Autogenerate a migration against a scratch database at the current head: make migration m="add samples"
migration: $(STAMPS)/venv
	@tmp=$$(mktemp -d); MOTEFORGE_DATA_DIR=$$tmp $(BIN)/python -c \
	  "from backend.core.migrate import upgrade_db, make_revision; upgrade_db(); make_revision('$(m)')"; rm -rf $$tmp

bench: install
	@for b in bench/*/run.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(STAMPS) frontend/node_modules frontend/static/vendor
