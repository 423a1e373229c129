#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the
# main job: the parser comparison benchmark (JSON under results/bench/, the
# simulation's parse calibration under results/calibration/), a parse of a
# sample message, and, where they are built, the scenarios and their charts.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh

echo "== parse of a sample message: build/sim/sipim parse bench/corpus/message-2proxies.sip"
build/sim/sipim parse bench/corpus/message-2proxies.sip

echo "== parser comparison: build/bench/parse/bench_parse"
mkdir -p results/bench results/calibration
build/bench/parse/bench_parse --benchmark_min_time=0.2 --benchmark_repetitions=10 \
  --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true \
  --benchmark_out=results/bench/parse.json --benchmark_out_format=json
/usr/bin/python3 analysis/bench_table.py results/bench/parse.json
/usr/bin/python3 analysis/bench_to_calibration.py results/bench/parse.json \
  BM_Parse/sipim/msrp-send=parse,msrp BM_Parse/sipim/=parse,sip \
  > results/calibration/parse.csv
echo "wrote results/bench/parse.json and results/calibration/parse.csv"

if [ -x analysis/regenerate.sh ]; then
  echo "== scenarios and charts: analysis/regenerate.sh"
  analysis/regenerate.sh
fi
