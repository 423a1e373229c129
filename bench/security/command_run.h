// Running a real command from a test: exit status, stdout and stderr, through
// files in the test's temporary directory (security_report's and
// bench_security's command tests).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace sipim::cmdtest {

// The real bench_security, for the tests that run it. Their targets define
// BENCH_SECURITY_EXE (its path) only when it is built; without it
// (SIPIM_BENCH=OFF, as in scripts/fuzz.sh's sanitizer build) each such test
// starts with
//   if (kBenchSecurityExe == nullptr) GTEST_SKIP() << kNoBenchSecurity;
#ifdef BENCH_SECURITY_EXE
constexpr const char* kBenchSecurityExe = BENCH_SECURITY_EXE;
#else
constexpr const char* kBenchSecurityExe = nullptr;
#endif
constexpr const char* kNoBenchSecurity =
    "the bench_security binary is not built in this configuration (SIPIM_BENCH=OFF)";

struct CommandRun {
  int status = -1;  // the exit status; -1 when it did not exit normally
  std::string out, err;
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A path for `leaf` private to this test process (`prefix` names the test).
inline std::string TempPath(const std::string& prefix, const std::string& leaf) {
  return ::testing::TempDir() + prefix + "_" + std::to_string(::getpid()) + "_" + leaf;
}

// Runs `exe` with `args` (already shell-quoted) and captures what it says.
inline CommandRun RunCommand(const std::string& exe, const std::string& args, const std::string& prefix) {
  const std::string out = TempPath(prefix, "stdout"), err = TempPath(prefix, "stderr");
  const std::string cmd = "\"" + exe + "\" " + args + " >\"" + out + "\" 2>\"" + err + "\"";
  const int rc = std::system(cmd.c_str());
  CommandRun r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = Slurp(out);
  r.err = Slurp(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

}  // namespace sipim::cmdtest
