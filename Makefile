# opslab — `make run` starts it, `make test` proves it. Every step installs what it needs.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
OPSLAB := $(BIN)/opslab
FIRST_LAB ?= nginx-broken-site

.PHONY: help setup docker images run test test-unit test-integration validate bench lint clean

help:
	@echo "make run     start the first lab and open its shell (sets everything up)"
	@echo "make test    unit + integration tests and \`opslab lab validate\` of every lab"
	@echo "make bench   sandbox ready / check latency per lab beside the engine floor"
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

run: images
	@session=$$($(OPSLAB) lab start $(FIRST_LAB)) && \
	  echo "session $$session — fix the lab, then run: $(OPSLAB) check $$session" && \
	  $(OPSLAB) shell $$session; \
	  echo "graded on exit:"; $(OPSLAB) check $$session; $(OPSLAB) stop $$session

test-unit: setup
	$(BIN)/pytest tests/unit -q

test-integration: images
	OPSLAB_REQUIRE_DOCKER=1 $(BIN)/pytest tests/integration -q

validate: images
	$(OPSLAB) lab validate

test: images
	$(OPSLAB) lab validate
	OPSLAB_REQUIRE_DOCKER=1 $(BIN)/pytest tests -q

bench: images
	$(BIN)/python -m tests.bench.bench_engine

lint: setup
	$(BIN)/ruff check grader infra webapp tests

clean:
	-$(OPSLAB) sandbox reap
	rm -rf $(VENV) var
