#!/usr/bin/env bash
# The set-up step of a fresh machine, shared by `make drill`, `make test` and
# .ci/run: it installs what is missing and may be installed (as root, or with
# sudo that needs no password, through the system's package manager), and
# otherwise says in one line exactly what to run.
#
#   scripts/setup.sh drill BIN   what a drill needs (the images of the default scenario)
#   scripts/setup.sh test BIN    what `make test` needs too (every image, the test tier's tools)
#
# BIN is a built firedrill: what each image recipe needs on the host is known to
# firedrill alone (`firedrill images needs`), so that no second list is kept here.
set -euo pipefail

purpose=${1:?usage: scripts/setup.sh drill|test BIN}
bin=${2:?usage: scripts/setup.sh drill|test BIN}
say() { printf 'setup: %s\n' "$*" >&2; }

# Docker first: without it nothing else matters.
if ! command -v docker >/dev/null 2>&1; then
  say "the docker command is missing: install Docker Engine (https://docs.docker.com/engine/install/) and start it"
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  say "Docker Engine is not reachable (DOCKER_HOST=${DOCKER_HOST:-unset}): start it (sudo systemctl start docker) or add yourself to the docker group"
  exit 1
fi

case "$purpose" in
  drill) roles=(postgres minio app nettools) ;;  # the images a run resolves (nettools: the sidecars)
  test)  roles=(postgres minio app nettools) ;;  # the integration tier builds every recipe
  *) say "unknown purpose $purpose (drill or test)"; exit 2 ;;
esac

# System packages: the image recipes' needs, as firedrill reports them for the
# images not present yet, and for the test tier the Postgres server binaries
# the sample app's integration test starts a throwaway server from.
mapfile -t pkgs < <("$bin" images needs --packages "${roles[@]}")
if [ "$purpose" = test ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  pkgs+=(postgresql)
fi
# xmllint checks the JUnit reports against their schema (reports/junit).
if [ "$purpose" = test ] && ! command -v xmllint >/dev/null 2>&1; then
  pkgs+=(libxml2-utils)
fi
# Headless Chromium loads the HTML report and checks its screenshot (reports/html).
if [ "$purpose" = test ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  pkgs+=(chromium)
fi
[ ${#pkgs[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  manager=apt-get
  update=(apt-get update -qq)
  install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}")
elif command -v dnf >/dev/null 2>&1; then
  manager=dnf
  update=(true)
  install=(dnf install -y -q "${pkgs[@]}")
else
  say "missing: ${pkgs[*]}; install them with your system's package manager, then run make again"
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    say "missing: ${pkgs[*]}; run: sudo $manager install ${pkgs[*]}"
    exit 1
  fi
fi
say "installing ${pkgs[*]} with $manager"
"${sudo[@]}" "${update[@]}"
"${sudo[@]}" "${install[@]}" >/dev/null
