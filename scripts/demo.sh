#!/bin/bash
# The README's main-job command: installs what is missing, builds, starts an
# instance on a scenario (aggregator + one ingest per node, supervised), and
# shows it with routestat-view (the live dashboard on a terminal, until 'q';
# otherwise text every 2 s until Ctrl-C or --seconds N); then stops it.
#   scripts/demo.sh [--scenario easy|medium|worst] [--seconds N] [--bench]
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=medium seconds=0 bench=0
while [ $# -gt 0 ]; do
	case $1 in
	--scenario) scenario=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--bench) bench=1; shift ;;
	*) echo "demo.sh: unknown argument '$1'" >&2; exit 64 ;;
	esac
done
scripts/install-deps.sh
scripts/build.sh build -DBUILD_TESTING=OFF
if [ "$bench" = 1 ]; then
	exec build/tools/routestat-bench ring
fi

instance=demo
tools/routestat-up --scenario "$scenario" --instance "$instance"
trap 'tools/routestat-down --instance "$instance"' EXIT
trap 'exit 0' INT TERM
if [ "$seconds" = 0 ] && [ -t 0 ] && [ -t 1 ]; then
	# A person at a terminal gets the live dashboard ('q' quits, '?' lists the keys).
	build/viewer/routestat-view --instance "$instance" --refresh-ms 500
	exit 0
fi
start=$SECONDS
while [ "$seconds" = 0 ] || [ $((SECONDS - start)) -lt "$seconds" ]; do
	out=$(build/viewer/routestat-view --instance "$instance" --once 2>&1 || true)
	[ -t 1 ] && printf '\033[H\033[2J'
	printf '%s\n\n(refreshing every 2 s; Ctrl-C stops the demo)\n' "$out"
	sleep 2
done
