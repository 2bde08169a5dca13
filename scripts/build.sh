#!/bin/sh
# Configures and builds routestat into a build directory.
# usage: scripts/build.sh [BUILD_DIR [extra cmake args...]]   (default BUILD_DIR: build)
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
cmake -S . -B "$dir" "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
