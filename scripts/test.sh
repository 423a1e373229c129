#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and passes
# the tests (CTest, then the wire core under sanitizers and its fuzzers).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 600
./scripts/fuzz.sh "${SIPIM_FUZZ_SECONDS:-20}"
