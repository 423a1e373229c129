#!/usr/bin/env bash
# Counts the instructions one iteration of each bench_security benchmark
# executes, under callgrind, and writes them as JSON for
# `security_report instruction-table`. Wall time on a shared machine moves
# the wrapper-vs-primitive ratios by 0.1-0.3 between runs; instruction counts
# do not move, so they give the same verdict every time (they do not see
# cache misses: the timed table stays the measure of time).
#
#   bench/security/count_instructions.sh <build dir> <out.json> [bench_security flags]
#
# e.g. --benchmark_filter=... to count some benchmarks only. Two runs, with
# --iterations=$SIPIM_ITERATIONS_A (default 5) and $SIPIM_ITERATIONS_B
# (default 25), go side by side; callgrind dumps its counts as each timed
# loop starts and ends, and the difference between the runs' loops, over the
# difference in iterations, is one iteration without the loop's one-off
# costs. Keep B at 32 or below: BM_Open's 64 KiB rows re-key their receivers,
# timing paused, every 32 iterations, and callgrind would count that.
# The whole set takes about 4 minutes here.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 <build dir> <out.json> [bench_security flags]" >&2
  exit 2
fi
build=$1
out=$2
shift 2
bench=$build/bench/security/bench_security
report=$build/bench/security/security_report
a=${SIPIM_ITERATIONS_A:-5}
b=${SIPIM_ITERATIONS_B:-25}
case "$a:$b" in
  *[!0-9:]* | :* | *:) echo "count_instructions: SIPIM_ITERATIONS_A and _B must be whole numbers (got '$a' and '$b')" >&2; exit 2 ;;
esac
if [ "$a" -lt 1 ] || [ "$a" -ge "$b" ] || [ "$b" -gt 32 ]; then
  echo "count_instructions: need 1 <= A < B <= 32 (got $a and $b): BM_Open re-keys, timing paused, every 32 iterations" >&2
  exit 2
fi
for exe in "$bench" "$report"; do
  if [ ! -x "$exe" ]; then
    echo "count_instructions: $exe is not built (cmake --build $build --target bench_security security_report)" >&2
    exit 2
  fi
done
if ! command -v valgrind > /dev/null; then
  echo "count_instructions: valgrind is not installed (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One run under callgrind, in $tmp/<name>: run.json, the dumps cg.1, cg.2, ...
count() {
  local name=$1 iterations=$2
  shift 2
  mkdir -p "$tmp/$name"
  if ! valgrind --tool=callgrind \
      --dump-before='benchmark::State::StartKeepRunning()' \
      --dump-after='benchmark::State::FinishKeepRunning()' \
      --callgrind-out-file="$tmp/$name/cg" \
      "$bench" --iterations="$iterations" --benchmark_out="$tmp/$name/run.json" --benchmark_out_format=json "$@" \
      > "$tmp/$name/log" 2>&1; then
    echo "count_instructions: the run with $iterations iterations failed; its last lines:" >&2
    tail -n 20 "$tmp/$name/log" >&2
    return 1
  fi
}

count a "$a" "$@" &
pid_a=$!
count b "$b" "$@" &
pid_b=$!
status=0
wait "$pid_a" || status=1
wait "$pid_b" || status=1
[ "$status" -eq 0 ] || exit 1
if grep -q "Failed to match any benchmarks" "$tmp/a/log"; then
  echo "count_instructions: no benchmark matches the filter ($*)" >&2
  exit 2
fi

"$report" instructions "$tmp/a/run.json" "$tmp/a/cg" "$tmp/b/run.json" "$tmp/b/cg" "$out"
