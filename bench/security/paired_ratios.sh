#!/usr/bin/env bash
# Times each operation of the security ratio table in a run of its own,
# together with exactly the primitives its lines name, their repetitions
# interleaved; writes all the runs to one JSON file for
# `security_report paired-table`.
#
#   bench/security/paired_ratios.sh <build dir> <out.json> [bench_security flags]
#
# Why: in the full run (every benchmark, repetitions interleaved over some
# four minutes) an operation meets a heap and caches left by whatever ran
# just before it, and the ratio lines move by 0.05-0.25 from one full run to
# the next. Here the two sides of a ratio share the same few seconds of the
# machine. $SIPIM_REPETITIONS (default 15) repetitions of
# --min_time_scale=$SIPIM_MIN_TIME_SCALE (default 0.2) each; the whole table
# takes about 10 minutes here. Flags after <out.json> go to every run.
# $SIPIM_PAIRED_OPS, an extended regular expression, runs only the
# operations it matches (the file then makes no full table: the table needs
# every operation's run).
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
reps=${SIPIM_REPETITIONS:-15}
scale=${SIPIM_MIN_TIME_SCALE:-0.2}
case "$reps" in
  '' | *[!0-9]* | 0 | 1 | 2) echo "paired_ratios: SIPIM_REPETITIONS wants a whole number of 3 or more (got '$reps')" >&2; exit 2 ;;
esac
for exe in "$bench" "$report"; do
  if [ ! -x "$exe" ]; then
    echo "paired_ratios: $exe is not built (cmake --build $build --target bench_security security_report)" >&2
    exit 2
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mapfile -t groups < <("$report" ratio-groups)
if [ ${#groups[@]} -eq 0 ]; then
  echo "paired_ratios: security_report ratio-groups printed no operation" >&2
  exit 1
fi

only=${SIPIM_PAIRED_OPS:-}
ran=0
printf '{"runs": [\n' > "$tmp/all.json"
for i in "${!groups[@]}"; do
  read -r -a names <<< "${groups[$i]}"
  op=${names[0]}
  if [ -n "$only" ] && ! [[ $op =~ $only ]]; then continue; fi
  for n in "${names[@]}"; do
    # The names become a regular expression: only characters that stand for
    # themselves are let through.
    if [[ ! $n =~ ^[A-Za-z0-9_/-]+$ ]]; then
      echo "paired_ratios: benchmark name '$n' (run of $op) has a character the filter would misread" >&2
      exit 1
    fi
  done
  filter="^($(IFS='|'; echo "${names[*]}"))(/|$)"
  echo "[$((i + 1))/${#groups[@]}] $op with ${#names[@]} benchmarks" >&2
  if ! "$bench" --benchmark_filter="$filter" --benchmark_repetitions="$reps" \
      --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
      --min_time_scale="$scale" --benchmark_out="$tmp/run.json" --benchmark_out_format=json \
      "$@" > "$tmp/run.log" 2>&1; then
    echo "paired_ratios: bench_security failed in the run of $op:" >&2
    tail -n 20 "$tmp/run.log" >&2
    exit 1
  fi
  [ "$ran" -gt 0 ] && printf ',\n' >> "$tmp/all.json"
  printf '{"op": "%s", "result": ' "$op" >> "$tmp/all.json"
  cat "$tmp/run.json" >> "$tmp/all.json"
  printf '}' >> "$tmp/all.json"
  ran=$((ran + 1))
done
printf '\n]}\n' >> "$tmp/all.json"

if [ "$ran" -eq 0 ]; then
  echo "paired_ratios: SIPIM_PAIRED_OPS='$only' matches no operation of the ratio table" >&2
  exit 2
fi
# A full set must make the table: refuse to write a file that cannot.
if [ -z "$only" ] && ! "$report" paired-table "$tmp/all.json" > /dev/null; then
  echo "paired_ratios: the runs do not make a table (above); $out not written" >&2
  exit 1
fi
mv "$tmp/all.json" "$out"
echo "wrote $ran paired runs to $out" >&2
