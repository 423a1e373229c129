#pragma once
// The end of every sipim benchmark binary's main: Google Benchmark's own
// main, with this machine (machine.h) added to the JSON context.
#include <benchmark/benchmark.h>

#include "machine.h"

namespace sipim::machine {

// Exits `usage_status` when a flag is not Google Benchmark's.
inline int BenchmarkMain(int argc, char** argv, int usage_status = 1) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return usage_status;
  AddToContext(benchmark::AddCustomContext);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace sipim::machine
