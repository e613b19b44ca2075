# firedrill — see README.md.
# `make drill` builds what is missing and runs the default scenario end to end.
# `make test` runs the unit tier and the integration tier (real containers).

# Go where a fresh machine keeps it, also when it is not on PATH yet; the
# tests run `go build` themselves, so its directory goes on PATH.
GO       ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export PATH := $(dir $(GO)):$(PATH)
BIN      := bin/firedrill
SCENARIO ?= primary-kill
# Integration tests start real environments: one package at a time on 2 cores.
ITEST_FLAGS ?= -p 1 -count=1 -timeout 45m

.PHONY: all build setup setup-test drill test unit integration docker-check images clean bench bench-dr bench-stacks fuzz vet soak

all: build

# The binary is also the app image (FROM scratch). CGO_ENABLED=0 makes it
# static, so the image is the binary alone; a dynamically linked one (plain
# `go build` or `go install`) works too: its image then carries the loader and
# the shared libraries the binary needs (images/elfdeps).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/firedrill

# The set-up step of a fresh machine (also run by .ci/run): it installs what
# the image recipes and the tests need, or says in one line what to run.
setup: docker-check build
	@scripts/setup.sh drill $(BIN)

setup-test: docker-check build
	@scripts/setup.sh test $(BIN)

drill: setup
	./$(BIN) run $(SCENARIO)

test: setup-test vet
	$(GO) test -tags integration $(ITEST_FLAGS) ./...

unit:
	$(GO) test ./...

# The soak of docs/reliability.md: SOAK_RUNS drills, each interrupted at a
# random moment with SIGINT, SIGTERM or SIGKILL, then checked for leftovers.
SOAK_RUNS ?= 100
soak: setup-test
	$(GO) test -tags 'integration soak' -run '^TestSoak$$' -count=1 -timeout 6h -v ./cmd/firedrill/ -soak.runs $(SOAK_RUNS)

integration: docker-check
	$(GO) test -tags integration $(ITEST_FLAGS) ./...

vet:
	$(GO) vet ./...
	$(GO) vet -tags integration ./...
	$(GO) vet -tags 'integration soak' ./cmd/firedrill/

docker-check:
	@docker info >/dev/null 2>&1 || { \
	  echo "make: a running Docker Engine is required (the integration tier and drills use real containers)" >&2; \
	  exit 1; }

images: build docker-check
	./$(BIN) images build

clean: build
	./$(BIN) clean

# Benchmarks: see docs/benchmarks.md for what they measure and the results.
# ProbeApp needs no Docker (a local Postgres, the probe and the app as
# processes, about 90 s); LatencyDelayer is the latency fault's added delay
# and throughput cost; HandlePut, HTTPWriter and HTTPReader are the
# per-operation costs. bench-dr is issue 9's backups and restores at 1 GB
# (docs/benchmarks.md, "Backups and restores (issue 9)"): the logical jobs
# beside pg_dump/pg_restore, the base backup's and PITR replay's rates; it
# is in neither bench nor test (about 20 minutes, 5 GB of disk).
bench: docker-check
	$(GO) test -tags integration -run '^$$' -bench . -benchtime 1x -timeout 60m ./images/... ./platform/...
	$(GO) test -tags integration -run '^$$' -bench 'DrillPrimaryKill|PrimaryKillRates' -benchtime 5x -timeout 60m ./cmd/firedrill/
	$(GO) test -tags integration -run '^$$' -bench ProbeApp -benchtime 1x -timeout 10m ./sampleapp/
	$(GO) test -tags integration -run '^$$' -bench LatencyDelayer -benchtime 1x -timeout 20m ./chaos/latency/
	$(GO) test -run '^$$' -bench 'HandlePut|HTTPWriter|HTTPReader' ./sampleapp/ ./probe/

bench-dr: docker-check
	FIREDRILL_BENCH_DB_MB=1024 $(GO) test -tags integration -run '^$$' -bench 'LogicalBackupRestore|PhysicalBackupAndReplay' -benchtime 1x -timeout 90m ./dr/jobs

# bench-stacks is issue 11's comparison (docs/benchmarks.md): the built-in
# primary-kill, network-partition and region-drop against each manager of
# STACKS (the builtin, Patroni at its defaults and tuned, pg_auto_failover),
# five runs each, in one firedrill run: 60 drills, about 90 minutes; the
# comparison table is its end summary, the results in bench-stacks/. A
# missed objective (exit 1: Patroni's defaults miss primary-kill's RTO) is a
# result, not a failure of the benchmark.
STACKS ?= builtin,patroni,patroni{ttl: 10s, loop_wait: 1s, retry_timeout: 4s},pg_auto_failover
bench-stacks: setup-test
	./$(BIN) run --manager '$(STACKS)' --repeat 5 --out bench-stacks primary-kill network-partition region-drop; \
	  s=$$?; [ $$s -le 1 ] || exit $$s

fuzz:
	$(GO) test ./scenarios -run '^$$' -fuzz FuzzLoadBytes -fuzztime 2m
