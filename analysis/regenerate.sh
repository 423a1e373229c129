#!/usr/bin/env bash
# Runs every simulation scenario into results/<scenario>/ and regenerates
# the charts and results/FINDINGS.md from the CSVs. About a minute on two
# cores (points run two at a time).
#
# usage: analysis/regenerate.sh [PATH/TO/sipim]      (default build/sim/sipim)
# Plotting is optional: without python3-matplotlib the CSVs and
# FINDINGS.md are still written, the charts are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
SIPIM=${1:-build/sim/sipim}
if [ ! -x "$SIPIM" ]; then
  echo "regenerate: $SIPIM not found; build it first (scripts/build.sh)" >&2
  exit 2
fi
scenarios=(fig1-pager fig2-session overhead size-limit forking connect-race session-transport proxy-hol sctp-interleaving security)
start=$SECONDS
for s in "${scenarios[@]}"; do
  echo "== sipim run scenarios/$s.ini"
  "$SIPIM" run "scenarios/$s.ini" --jobs 2 --progress=false | tail -n 2
done
echo "== scenarios done in $((SECONDS - start)) s"
if [ -x /usr/bin/python3 ]; then
  for chart in overhead size_limit forking connect_race session_transport proxy_hol sctp_interleaving security; do
    /usr/bin/python3 "analysis/$chart.py"
  done
  /usr/bin/python3 analysis/findings.py
else
  echo "regenerate: /usr/bin/python3 missing: charts and FINDINGS.md not regenerated" >&2
fi
echo "== regenerate: done in $((SECONDS - start)) s"
