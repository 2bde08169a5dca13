#!/bin/sh
# The README's test command: installs what is missing, fuzzes the decision
# parser for 60 s, builds twice (normal, and AddressSanitizer +
# UndefinedBehaviorSanitizer), runs every test of both through ctest.  CI runs
# exactly this (.ci/run).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)

# The decision parser's libFuzzer target, bounded (fuzz/README.md to run it
# longer); first, so that ctest's summary closes the output.
echo "== fuzz (60 s)"
scripts/fuzz.sh 60

# Every process of the sanitizer run (tests, their Criterion workers, and the
# aggregators, ingests and viewers they start) writes any report to a file
# here: a leak found at a worker's or a child's exit fails the run even though
# no test saw it.
reports="$PWD/build-sanitize/sanitizer-reports"

for variant in normal sanitize; do
	if [ "$variant" = sanitize ]; then
		dir=build-sanitize; args="-DRS_SANITIZE=ON -DBUILD_TESTING=ON"
	else
		dir=build; args="-DRS_SANITIZE=OFF -DBUILD_TESTING=ON"
	fi
	echo "== $variant build ($dir)"
	# shellcheck disable=SC2086
	scripts/build.sh "$dir" $args
	echo "== $variant tests"
	rm -rf "$reports"
	mkdir -p "$reports"
	ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$reports/asan" \
	UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan" \
		ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs"
	if [ -n "$(ls -A "$reports")" ]; then
		echo "== sanitizer reports from the $variant tests' processes:"
		for f in "$reports"/*; do
			echo "--- $f"
			cat "$f"
		done
		exit 1
	fi
done
