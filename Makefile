# opslab — `make run` starts it, `make test` proves it. Every step installs what it needs.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
OPSLAB := $(BIN)/opslab
FIRST_LAB ?= nginx-broken-site
# Sandboxes proven at once, shared by every lab (a lab's cheats spread over all of them); on 2 cores
# this keeps both busy (~95%), more only queues behind the CPU.
VALIDATE_JOBS ?= 4

ASSETS := webapp/static/vendor/xterm.js

.PHONY: help setup docker images assets web-deps run shell-lab test test-unit test-integration validate bench lint clean

help:
	@echo "make run     set everything up and start the web platform (Ctrl-C stops it; PORT=8000)"
	@echo "make shell-lab  start the first lab in a terminal, no web (FIRST_LAB=...)"
	@echo "make test    \`opslab lab validate\` of every lab, then unit, integration and browser tests"
	@echo "make bench   sandbox ready / check latency per lab beside the engine floor; the browser"
	@echo "             figures (click → prompt, Check → score, keystroke echo); then warm pool"
	@echo "             vs cold start, the queue at capacity, density (100 idle sandboxes) and load"
	@echo "             (10 and 20 candidates)"
	@echo "make images  build opslab/base and infra/images/* (only what changed)"
	@echo "make lint    ruff"

$(VENV)/.installed: pyproject.toml
	infra/setup/ensure-host-tools.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed docker

docker:
	infra/setup/ensure-docker.sh

images: setup
	$(OPSLAB) images build

web-deps:
	infra/setup/ensure-web-deps.sh

$(ASSETS): webapp/frontend/package.json webapp/frontend/package-lock.json
	infra/setup/ensure-web-deps.sh
	cd webapp/frontend && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p webapp/static/vendor
	cp webapp/frontend/node_modules/@xterm/xterm/lib/xterm.js webapp/frontend/node_modules/@xterm/xterm/css/xterm.css \
	   webapp/frontend/node_modules/@xterm/addon-fit/lib/addon-fit.js webapp/static/vendor/
	cp webapp/frontend/node_modules/asciinema-player/dist/bundle/asciinema-player.min.js \
	   webapp/frontend/node_modules/asciinema-player/dist/bundle/asciinema-player.css webapp/static/vendor/
	mkdir -p webapp/static/vendor/fonts
	cp webapp/frontend/node_modules/@fontsource/jetbrains-mono/files/jetbrains-mono-latin-400-normal.woff2 \
	   webapp/frontend/node_modules/@fontsource/jetbrains-mono/files/jetbrains-mono-latin-700-normal.woff2 \
	   webapp/static/vendor/fonts/
	cp webapp/frontend/node_modules/@fontsource/jetbrains-mono/LICENSE webapp/static/vendor/fonts/JetBrainsMono-LICENSE.txt

# Content-hashed, gzipped copies of the static files (var/assets), ahead of the first page.
assets: $(ASSETS) $(VENV)/.installed
	$(BIN)/python -m webapp.assets

PORT ?= 8000
run: images assets web-deps
	$(OPSLAB) platform --port $(PORT)

shell-lab: images
	@session=$$($(OPSLAB) lab start $(FIRST_LAB)) && \
	  echo "session $$session — fix the lab, then run: $(OPSLAB) check $$session" && \
	  $(OPSLAB) shell $$session; \
	  echo "graded on exit:"; $(OPSLAB) check $$session; $(OPSLAB) stop $$session

test-unit: setup
	$(BIN)/pytest tests/unit -q

test-integration: images assets
	infra/setup/ensure-web-deps.sh --browser
	OPSLAB_REQUIRE_DOCKER=1 $(BIN)/pytest tests/integration -q

validate: images
	$(OPSLAB) lab validate -j $(VALIDATE_JOBS)

test: images assets
	infra/setup/ensure-web-deps.sh --browser
	$(OPSLAB) lab validate -j $(VALIDATE_JOBS)
	OPSLAB_REQUIRE_DOCKER=1 $(BIN)/pytest tests -q

bench: images assets web-deps
	infra/setup/ensure-web-deps.sh --browser
	$(BIN)/python -m tests.bench.bench_engine
	$(BIN)/python -m tests.bench.bench_web
	$(BIN)/python -m tests.bench.bench_pool
	$(BIN)/python -m tests.bench.bench_queue
	$(BIN)/python -m tests.bench.bench_density
	$(BIN)/python -m tests.bench.bench_load

lint: setup
	$(BIN)/ruff check opslab grader infra webapp tests labs

clean:
	-$(OPSLAB) sandbox reap
	rm -rf $(VENV) var
