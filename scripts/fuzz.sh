#!/usr/bin/env bash
# Builds sipim with clang, AddressSanitizer and UBSan into build-fuzz/ (the
# ns-3 models and the simulation too: about 5 min on 2 cores; the benchmarks
# are left out), runs every test suite under the sanitizers, then runs every libFuzzer
# target for a bounded time from its seeds. Any crash, leak or sanitizer report
# fails the script. Before the fuzzers, the batch-alternation engine's tests
# (bench/security/alternation.h: threads taking turns) also run under
# ThreadSanitizer, from a build of that one test binary in build-tsan/ (about
# 30 s).
#   usage: scripts/fuzz.sh [SECONDS_PER_FUZZER]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
jobs=$(nproc 2>/dev/null || echo 2)
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSIPIM_FUZZ=ON -DSIPIM_WITH_NS3=ON -DSIPIM_BENCH=OFF -DSIPIM_TESTS=ON
cmake --build build-fuzz -j "$jobs"
ctest --test-dir build-fuzz --output-on-failure -j "$jobs" --timeout 600

CC=clang CXX=clang++ cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSIPIM_WITH_NS3=OFF -DSIPIM_BENCH=OFF -DSIPIM_TESTS=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread
cmake --build build-tsan -j "$jobs" --target alternation_tests
# setarch -R: clang 14's TSan cannot map its shadow memory when the kernel
# randomises mmap with more than 28 bits (vm.mmap_rnd_bits); without address
# randomisation it runs whatever that setting is.
TSAN_OPTIONS=halt_on_error=1 setarch "$(uname -m)" -R \
  ctest --test-dir build-tsan -L alternation_tests --output-on-failure

list=build-fuzz/fuzzers.tsv
if [ ! -s "$list" ]; then
  echo "fuzz.sh: no fuzz targets are defined" >&2
  exit 1
fi
while IFS=$'\t' read -r binary dict seeds; do
  name=$(basename "$binary")
  work=build-fuzz/fuzz-work/$name
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
  args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
        -artifact_prefix="$work/artifacts/")
  [ -n "$dict" ] && args+=(-dict="$dict")
  read -r -a seed_dirs <<< "$seeds"  # a space-separated list of directories
  echo "fuzz.sh: $name for ${seconds}s, seeds: ${seeds:-none}"
  "$binary" "${args[@]}" "$work/corpus" "${seed_dirs[@]}" > "$work/log.txt" 2>&1 || {
    echo "fuzz.sh: $name FAILED; last lines of $work/log.txt:" >&2
    tail -n 40 "$work/log.txt" >&2
    exit 1
  }
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/log.txt" | sed "s/^/  $name /"
done < "$list"
echo "fuzz.sh: every fuzzer ran ${seconds}s with no crash"
