#!/bin/sh
# Builds the libFuzzer target of the decision parser (fuzz/fuzz_decision.c) with
# clang, AddressSanitizer and UndefinedBehaviorSanitizer, and runs it for a
# bounded time on a copy of the seed corpus (fuzz/corpus is never modified).
# Fails (non-zero) on any crash, hang, leak or sanitizer report; the input
# that caused it is kept in the artifact directory printed at the end.
#
# usage: scripts/fuzz.sh [SECONDS [TARGET]]  (default 60 s, target decision)
#   TARGET decision:  fuzz/fuzz_decision.c, the parser, validator and name limits
#   TARGET json_diff: fuzz/fuzz_json_diff.c, json_tok.c against jansson (differential)
# environment: FUZZ_JOBS=N         parallel fuzzing processes (default 1)
#              FUZZ_ARTIFACTS=DIR  where crashing inputs go (default: a new temp dir)
#              FUZZ_CORPUS=DIR     a corpus dir to keep and grow across runs (default: temp)
#              FUZZ_BUILD_DIR=DIR  (default build-fuzz)
#              FUZZ_KEEP=1         keep the temp dir (log, temp corpus) after a clean run
#              CLANG=...           (default clang, else clang-14)
# More: fuzz/README.md.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
case $secs in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number (got '$secs')" >&2; exit 2 ;; esac
target=${2:-decision}
case $target in
decision)  extra_src="ingest/decision_parse.c ingest/name_limits.c ingest/record_names.c common/record.c"; extra_lib="" ;;
json_diff) extra_src=""; extra_lib=$(pkg-config --libs jansson) ;;
*) echo "fuzz.sh: TARGET is decision or json_diff (got '$target')" >&2; exit 2 ;;
esac

cc=${CLANG:-}
if [ -z "$cc" ]; then
	if command -v clang >/dev/null 2>&1; then cc=clang; else cc=clang-14; fi
fi
command -v "$cc" >/dev/null 2>&1 || { echo "fuzz.sh: no $cc: run scripts/install-deps.sh (clang, libclang-rt-14-dev)" >&2; exit 1; }
[ -r /usr/include/jsmn.h ] || { echo "fuzz.sh: no jsmn.h: run scripts/install-deps.sh (libjsmn-dev)" >&2; exit 1; }

out=${FUZZ_BUILD_DIR:-build-fuzz}
mkdir -p "$out"
bin=$out/fuzz_$target
echo "== fuzz: building $bin with $cc"
# shellcheck disable=SC2046,SC2086
"$cc" -std=c17 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-Iingest -Icommon $(pkg-config --cflags ck 2>/dev/null || true) \
	"fuzz/fuzz_$target.c" ingest/json_tok.c $extra_src $extra_lib -o "$bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/routestat-fuzz.XXXXXX")
artifacts=${FUZZ_ARTIFACTS:-$work/artifacts}
corpus=${FUZZ_CORPUS:-$work/corpus}
mkdir -p "$artifacts" "$corpus"
jobs=${FUZZ_JOBS:-1}
fork=""
[ "$jobs" -gt 1 ] && fork="-fork=$jobs"

echo "== fuzz: $target, $secs s, $jobs job(s), corpus $corpus (seeds: fuzz/corpus), crashes to $artifacts/"
set +e
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$bin" "$corpus" fuzz/corpus \
	-dict=fuzz/decision.dict -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
	-max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$artifacts/" \
	${fork:+"$fork"} >"$work/fuzz.log" 2>&1
rc=$?
set -e
grep -E "^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)" "$work/fuzz.log" | tail -n 1 || true
grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)" "$work/fuzz.log" || true
found=$(find "$artifacts" -type f | head -n 20)
if [ $rc -ne 0 ] || [ -n "$found" ] || grep -qE "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:" "$work/fuzz.log"; then
	echo "== fuzz: FAILED (exit $rc); log: $work/fuzz.log" >&2
	grep -E -A 25 "ERROR:|runtime error:|check failed" "$work/fuzz.log" | head -n 60 >&2 || true
	[ -n "$found" ] && echo "crashing inputs:" >&2 && echo "$found" >&2
	echo "reproduce: $bin FILE" >&2
	exit 1
fi
echo "== fuzz: $target: no crash, leak or sanitizer report in $secs s"
if [ -n "${FUZZ_KEEP:-}" ]; then
	echo "kept: $work"
else
	rm -rf "$work"
fi
