#!/usr/bin/env bash
# Configures and builds sipim (Release, warnings as errors) into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIPIM_WERROR=ON
cmake --build build -j "$jobs"
