# Lanyard: `make run` runs the main job, `make test` runs every test.
SWIFT ?= swift
DATA ?= .lanyard

.PHONY: deps build release run up test unit-test interop-test bench bench-deps clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product lanyard

# The seed scenario end to end (needs root): see scripts/seed-scenario.sh.
run: deps
	scripts/seed-scenario.sh

# Just the server, in the foreground, on the data directory $(DATA).
up: release
	.build/release/lanyard up --data $(DATA)

test: deps
	$(SWIFT) build --build-tests
	$(MAKE) -k unit-test interop-test

unit-test:
	$(SWIFT) test --skip-build

interop-test:
	LANYARD_BIN=$(CURDIR)/.build/debug/lanyard .venv/bin/python -m pytest -q Tests/Interop

# Benchmarks against nginx and moto; writes docs/benchmarks.md (see it for the knobs). Not part of `test`.
bench:
	@scripts/bench.sh

bench-deps:
	@scripts/bench-deps.sh

clean:
	rm -rf .build .venv
