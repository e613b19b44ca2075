# firedrill — see README.md.
# `make drill` builds what is missing and runs the default scenario end to end.
# `make test` runs the unit tier and the integration tier (real containers).

GO       ?= go
BIN      := bin/firedrill
SCENARIO ?= primary-kill
# Integration tests start real environments: one package at a time on 2 cores.
ITEST_FLAGS ?= -p 1 -count=1 -timeout 45m

.PHONY: all build drill test unit integration docker-check images clean bench fuzz vet

all: build

# The binary is static (CGO_ENABLED=0) because it is also the app image,
# which is FROM scratch.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/firedrill

drill: build docker-check
	./$(BIN) run $(SCENARIO)

test: docker-check vet
	$(GO) test -tags integration $(ITEST_FLAGS) ./...

unit:
	$(GO) test ./...

integration: docker-check
	$(GO) test -tags integration $(ITEST_FLAGS) ./...

vet:
	$(GO) vet ./...
	$(GO) vet -tags integration ./...

docker-check:
	@docker info >/dev/null 2>&1 || { \
	  echo "make: a running Docker Engine is required (the integration tier and drills use real containers)" >&2; \
	  exit 1; }

images: build docker-check
	./$(BIN) images build

clean: build
	./$(BIN) clean

# Benchmarks: see docs/benchmarks.md for what they measure and the results.
bench: docker-check
	$(GO) test -tags integration -run '^$$' -bench . -benchtime 1x -timeout 60m ./testenv/
	$(GO) test -tags integration -run '^$$' -bench Drill -benchtime 5x -timeout 60m ./cmd/firedrill/

fuzz:
	$(GO) test ./scenarios -run '^$$' -fuzz FuzzLoadBytes -fuzztime 2m
