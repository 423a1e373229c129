// Batch alternation (alternation.h), on a simulated clock: each benchmark
// body moves the clock by a fixed cost per iteration, so every ratio, batch
// size and iteration count has an exact expected value. The last tests run
// bench_security --alternate for real (exit status, output and errors, not
// its timings); they skip where bench_security is not built (SIPIM_BENCH=OFF).
#include "alternation.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>

#include "command_run.h"

namespace alt = sipim::alternation;
namespace rep = sipim::secreport;

namespace {

std::atomic<std::int64_t> g_now{0};
std::int64_t FakeNow() { return g_now.load(); }

// The machine's speed: cost multiplier, as a function of simulated time.
std::atomic<std::int64_t> g_slow_after{-1};  // from this time on, everything costs 3×
std::int64_t Cost(std::int64_t ns) {
  const std::int64_t after = g_slow_after.load();
  return after >= 0 && g_now.load() >= after ? 3 * ns : ns;
}

alt::Body Costing(std::int64_t ns, std::atomic<std::int64_t>* iterations = nullptr) {
  return [ns, iterations](alt::BatchState& s) {
    for (auto _ : s) {
      g_now += Cost(ns);
      if (iterations != nullptr) ++*iterations;
    }
    s.counters["bytes_out"] = 1;
  };
}

alt::Options SmallOptions() {
  alt::Options o;
  o.batch_ns = 10'000;
  o.budget_ns = std::int64_t{1} << 60;  // rounds end at max_rounds
  o.min_rounds = 30;
  o.max_rounds = 101;
  return o;
}

const std::vector<rep::Term> kTerms = {{2, "A"}, {1, "B"}};

class Alternation : public ::testing::Test {
 protected:
  void SetUp() override {
    g_now = 0;
    g_slow_after = -1;
  }
};

// With fixed costs every round's ratio is op / (2·A + B) exactly, and the
// batch sizes are the aimed batch length over each call's cost.
TEST_F(Alternation, RatioIsTheOperationOverTheWeightedSumOfItsPrimitives) {
  const alt::Bodies bodies = {{"op", Costing(150)}, {"A", Costing(40)}, {"B", Costing(50)}};
  const alt::Result r = alt::Alternate(bodies, "op", kTerms, SmallOptions(), FakeNow);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.rounds, 101);
  EXPECT_DOUBLE_EQ(r.ratio, 150.0 / 130.0);
  EXPECT_DOUBLE_EQ(r.low, r.ratio);
  EXPECT_DOUBLE_EQ(r.high, r.ratio);
  EXPECT_DOUBLE_EQ(r.op_ns, 150);
  EXPECT_DOUBLE_EQ(r.sum_ns, 130);
  // 10 000 ns / 150, 40 and 50 ns per call.
  EXPECT_EQ(r.batch, (std::vector<std::int64_t>{67, 250, 200}));
}

// The point of alternating: the machine turning 3× slower part-way through
// moves each side's own time, but not a round's ratio (only the one round
// that straddles the change is off, and the median ignores it).
TEST_F(Alternation, ASpeedChangeMidRunLeavesTheRatioAlone) {
  const alt::Bodies bodies = {{"op", Costing(150)}, {"A", Costing(40)}, {"B", Costing(50)}};
  g_slow_after = 30 * 30'000;  // about 30 rounds of ~30 µs (simulated) in
  const alt::Result r = alt::Alternate(bodies, "op", kTerms, SmallOptions(), FakeNow);
  ASSERT_EQ(r.error, "");
  EXPECT_DOUBLE_EQ(r.ratio, 150.0 / 130.0);
  EXPECT_DOUBLE_EQ(r.low, r.ratio);
  EXPECT_DOUBLE_EQ(r.high, r.ratio);
  // The operation's own median moved to the slow machine's 450 ns: timed on
  // its own, it would compare with primitives timed at the other speed.
  EXPECT_DOUBLE_EQ(r.op_ns, 450);
}

// Every batch runs exactly the iterations asked for: one warm-up call, the
// trial batches (1, 4, 16: the third takes over a tenth of 10 µs), then the
// rounds.
TEST_F(Alternation, EveryBatchRunsExactlyItsIterations) {
  std::atomic<std::int64_t> op_calls{0};
  const alt::Bodies bodies = {{"op", Costing(150, &op_calls)}, {"A", Costing(40)}, {"B", Costing(50)}};
  const alt::Result r = alt::Alternate(bodies, "op", kTerms, SmallOptions(), FakeNow);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(op_calls.load(), 1 + (1 + 4 + 16) + r.rounds * r.batch[0]);
}

// Time between PauseTiming and ResumeTiming is not charged to the batch.
TEST_F(Alternation, PausedTimeIsLeftOut) {
  alt::Body paused = [](alt::BatchState& s) {
    for (auto _ : s) {
      g_now += 100;
      s.PauseTiming();
      g_now += 5000;
      s.ResumeTiming();
    }
  };
  const alt::Bodies bodies = {{"op", paused}, {"A", Costing(100)}};
  const alt::Result r = alt::Alternate(bodies, "op", {{1, "A"}}, SmallOptions(), FakeNow);
  ASSERT_EQ(r.error, "");
  EXPECT_DOUBLE_EQ(r.ratio, 1.0);
  EXPECT_DOUBLE_EQ(r.op_ns, 100);
}

// Each way a measurement can fail is an error naming the benchmark, and
// Alternate returns (every body's thread ended) instead of hanging.
TEST_F(Alternation, FailuresAreErrorsNamingTheBenchmark) {
  alt::Body setup_fails = [](alt::BatchState& s) {
    s.SkipWithError("key generation failed");
    for (auto _ : s) g_now += 10;
  };
  alt::Body loop_fails = [](alt::BatchState& s) {
    int i = 0;
    for (auto _ : s) {
      g_now += 100;
      if (++i == 30) {
        s.SkipWithError("open failed");
        return;
      }
    }
  };
  alt::Body skip_and_go_on = [](alt::BatchState& s) {
    int i = 0;
    for (auto _ : s) {
      g_now += 100;
      if (++i == 30) s.SkipWithError("failed, loop went on");
    }
  };
  alt::Body breaks = [](alt::BatchState& s) {
    int i = 0;
    for (auto _ : s) {
      g_now += 100;
      if (++i == 30) break;
    }
  };
  alt::Body no_loop = [](alt::BatchState&) {};
  alt::Body free_calls = [](alt::BatchState& s) {
    for (auto _ : s) {
    }
  };
  const alt::Bodies bodies = {{"op", Costing(100)},          {"setup_fails", setup_fails},
                              {"loop_fails", loop_fails},    {"no_loop", no_loop},
                              {"free_calls", free_calls},    {"skip_and_go_on", skip_and_go_on},
                              {"breaks", breaks}};
  const alt::Options o = SmallOptions();
  EXPECT_EQ(alt::Alternate(bodies, "op", {{1, "nope"}}, o, FakeNow).error, "no benchmark named nope");
  EXPECT_EQ(alt::Alternate(bodies, "setup_fails", {{1, "op"}}, o, FakeNow).error,
            "setup_fails: key generation failed");
  EXPECT_EQ(alt::Alternate(bodies, "op", {{1, "loop_fails"}}, o, FakeNow).error, "loop_fails: open failed");
  EXPECT_EQ(alt::Alternate(bodies, "op", {{1, "no_loop"}}, o, FakeNow).error, "no_loop: ended before its timed loop");
  EXPECT_EQ(alt::Alternate(bodies, "op", {{1, "skip_and_go_on"}}, o, FakeNow).error,
            "skip_and_go_on: failed, loop went on");
  EXPECT_EQ(alt::Alternate(bodies, "op", {{1, "breaks"}}, o, FakeNow).error, "breaks: returned in the middle of a batch");
  EXPECT_EQ(alt::Alternate(bodies, "op", {}, o, FakeNow).error, "op: nothing to measure (no primitives listed)");
  alt::Options no_rounds = o;
  no_rounds.max_rounds = 0;
  EXPECT_EQ(alt::Alternate(bodies, "op", {{1, "op"}}, no_rounds, FakeNow).error,
            "op: nothing to measure (bad round limits)");
  const std::string e = alt::Alternate(bodies, "op", {{1, "free_calls"}}, o, FakeNow).error;
  EXPECT_EQ(e.rfind("free_calls: 67108864 iterations took 0 ns, too little to time", 0), 0u) << e;
}

// Order statistics of the median: Le Boudec's 1-based ranks
// floor(n/2 - 0.98·√n) and ceil(n/2 + 1 + 0.98·√n) of the sorted values
// (for n = 100: the 40th and 61st, whose binomial coverage is 95.4 %).
TEST(MedianWithInterval, RanksOfTheSortedValues) {
  std::vector<double> v;
  for (int i = 101; i >= 1; --i) v.push_back(i);  // unsorted on purpose
  const alt::Median m = alt::MedianWithInterval(v);
  EXPECT_EQ(m.median, 51);
  EXPECT_EQ(m.low, 40);   // rank floor(50.5 - 9.85) = 40
  EXPECT_EQ(m.high, 62);  // rank ceil(51.5 + 9.85) = 62
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  const alt::Median h = alt::MedianWithInterval(hundred);
  EXPECT_EQ(h.median, 50.5);
  EXPECT_EQ(h.low, 40);
  EXPECT_EQ(h.high, 61);
  const alt::Median even = alt::MedianWithInterval({4, 1, 3, 2});
  EXPECT_EQ(even.median, 2.5);
  EXPECT_EQ(even.low, 1);
  EXPECT_EQ(even.high, 4);
  const alt::Median one = alt::MedianWithInterval({7});
  EXPECT_EQ(one.low, 7);
  EXPECT_EQ(one.high, 7);
}

alt::Result Trial(double ratio) {
  alt::Result r;
  r.rounds = 40;
  r.ratio = ratio;
  r.low = ratio - 0.01;
  r.high = ratio + 0.01;
  r.batch = {1, 1};
  return r;
}

alt::Line Measured(const std::string& op, std::vector<double> trials) {
  alt::Line l;
  l.op = op;
  l.terms = {{2, "BM_Primitive/verify/rsa2048"}};
  for (const double r : trials) l.trials.push_back(Trial(r));
  return l;
}

// The verdict is the median of the trials; the table shows every trial,
// flags trials on both sides of 1.10, counts both ways, and lists a line
// with a failed trial as an error instead of dropping it.
TEST(FormatTable, VerdictsTrialsAndErrors) {
  alt::Line failed = Measured("BM_Smime/sign/rsa2048/100", {1.0});
  failed.terms = {{1, "BM_Primitive/sign/rsa2048"}};
  failed.trials.push_back(Trial(1.0));
  failed.trials.back().error = "BM_Primitive/sign/rsa2048: sign failed";
  const std::string t = alt::FormatTable({Measured("a", {1.05, 1.04, 1.06}), Measured("b", {1.12, 1.09, 1.08}),
                                          Measured("c", {1.2, 1.18, 1.22}), failed});
  EXPECT_NE(t.find("| a | 2×verify/rsa2048 | 1.050 | 1.050, 1.040, 1.060 | 40, 40, 40 | yes |\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("| b | 2×verify/rsa2048 | 1.090 | 1.120, 1.090, 1.080 | 40, 40, 40 | yes (trials cross 1.10) |\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("| c | 2×verify/rsa2048 | 1.200 | 1.200, 1.180, 1.220 | 40, 40, 40 | **no** |\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("| BM_Smime/sign/rsa2048/100 | sign/rsa2048 | error: BM_Primitive/sign/rsa2048: sign failed |"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("2 of 3 lines at or below 1.10 by the median of trials; 1 of 3 in every trial. 1 not measured "
                   "(errors above).\n"),
            std::string::npos)
      << t;
}

// A pair line shows the other benchmark's whole name, the trials and their
// median, and no verdict (no target applies to two ways of doing one thing).
TEST(FormatPairTable, RatioOfTwoBenchmarksWithoutAVerdict) {
  alt::Line l = Measured("BM_SmimeReject/p256-aes128cbc-badpad/100", {0.99, 1.02, 1.01});
  l.terms = {{1, "BM_SmimeReject/p256-aes128cbc-goodpad/100"}};
  alt::Line failed = Measured("BM_A/x", {1.0});
  failed.terms = {{1, "BM_B/y"}};
  failed.trials.back().error = "BM_B/y: failed";
  const std::string t = alt::FormatPairTable({l, failed});
  EXPECT_NE(t.find("| BM_SmimeReject/p256-aes128cbc-badpad/100 | BM_SmimeReject/p256-aes128cbc-goodpad/100 | 1.010 | "
                   "0.990, 1.020, 1.010 | 40, 40, 40 |\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("| BM_A/x | BM_B/y | error: BM_B/y: failed | | |\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("1.10"), std::string::npos) << t;
}

TEST(ToJson, OneObjectPerLineWithTrialsAndErrorsKept) {
  alt::Line failed = Measured("x\"y", {1.0});
  failed.terms.clear();
  failed.trials.back().error = "bad\n";
  const std::string j = alt::ToJson({Measured("a", {1.05, 1.04}), failed});
  EXPECT_NE(j.find("{\"op\": \"a\", \"primitives\": \"2×verify/rsa2048\", \"ratio\": 1.0450, \"trials\": "
                   "[{\"ratio\": 1.0500, \"ci_low\": 1.0400, \"ci_high\": 1.0600, \"rounds\": 40, \"op_ns\": 0.0, "
                   "\"sum_ns\": 0.0, \"batch\": [1, 1]}, {\"ratio\": 1.0400, "),
            std::string::npos)
      << j;
  EXPECT_NE(j.find("{\"op\": \"x\\\"y\", \"primitives\": \"\", \"error\": \"bad\\u000a\"}\n"), std::string::npos) << j;
  EXPECT_EQ(j.find("machine"), std::string::npos) << j;
  // A machine object, when given, comes first.
  EXPECT_EQ(alt::ToJson({Measured("a", {1.0})}, "{\"cpu_model\": \"c\"}").rfind(
                "{\n  \"machine\": {\"cpu_model\": \"c\"},\n  \"lines\": [\n", 0),
            0u);
}

// RatioSpecs lists exactly the ratio table's lines: as many complete ones as
// the table counts, each with the formula the table prints for it.
TEST(RatioSpecs, AreTheRatioTablesLines) {
  rep::Rows rows;
  for (const std::string& name : rep::TableBenchmarks()) {
    rep::Row row;
    row.value = 1;
    row.counters["bytes_out"] = 1;
    row.counters["bytes_i"] = 1;
    row.counters["bytes_r"] = 1;
    rows[name] = row;
  }
  const rep::TablesResult t = rep::BuildTables(rows);
  ASSERT_TRUE(t.missing.empty());
  int complete = 0;
  for (const rep::RatioSpec& s : rep::RatioSpecs()) {
    complete += !s.partial;
    const std::string line = "| " + s.op + " | 1 ns | " +
                             rep::Formula(s.terms, s.note) + " |";
    EXPECT_NE(t.text.find(line), std::string::npos) << line;
  }
  const std::string count = "Lines with a complete list or a sequence row: ";
  const std::size_t at = t.text.find(count);
  ASSERT_NE(at, std::string::npos);
  const std::string rest = t.text.substr(at + count.size());
  const std::size_t of = rest.find(" of ");
  EXPECT_EQ(std::stoi(rest.substr(of + 4)), complete);
}

// ------------------------------------------------------------ the command

using sipim::cmdtest::CommandRun;
using sipim::cmdtest::kBenchSecurityExe;
using sipim::cmdtest::kNoBenchSecurity;
using sipim::cmdtest::Slurp;

std::string TempPath(const std::string& leaf) { return sipim::cmdtest::TempPath("alternation_test", leaf); }

CommandRun RunBench(const std::string& args) {
  return sipim::cmdtest::RunCommand(kBenchSecurityExe, args, "alternation_test");
}

// The real binary alternates a real operation with its primitives: exit 0,
// its line in the table and in the JSON. (Whether the ratio is within 1.10
// is the benchmark's business, not this test's.)
TEST(AlternateCommand, MeasuresARealLine) {
  if (kBenchSecurityExe == nullptr) GTEST_SKIP() << kNoBenchSecurity;
  const std::string json = TempPath("out.json");
  const CommandRun r = RunBench("--alternate='^BM_Open/aescm-hmacsha1-80/100$' --alternate_seconds=0.05 "
                                "--alternate_trials=2 --alternate_out=\"" + json + "\"");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("| BM_Open/aescm-hmacsha1-80/100 | aes128ecb-ctrblocks/100 + hmac-sha1-sha1ctx/143 | "),
            std::string::npos)
      << r.out;
  // and against its sequence row (the two raw calls back to back in one loop)
  EXPECT_NE(r.out.find("| BM_Open/aescm-hmacsha1-80/100 | sequence-aescm/100 (sequence: "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("of 2 lines at or below 1.10 by the median of trials"), std::string::npos) << r.out;
  const std::string j = Slurp(json);
  EXPECT_NE(j.find("\"op\": \"BM_Open/aescm-hmacsha1-80/100\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"trials\": [{\"ratio\": "), std::string::npos) << j;
  // Both name the machine: the ratios depend on the CPU and OpenSSL's code paths.
  EXPECT_EQ(r.out.rfind("Machine: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("CPUINFO"), std::string::npos) << r.out;
  EXPECT_EQ(j.find("{\n  \"machine\": {\"cpu_model\": "), 0u) << j;
  std::remove(json.c_str());
}

// --alternate_pair times one real benchmark against another: exit 0 and
// the pair's line, for each pair given.
TEST(AlternateCommand, MeasuresAPair) {
  if (kBenchSecurityExe == nullptr) GTEST_SKIP() << kNoBenchSecurity;
  const CommandRun r = RunBench("--alternate_pair=BM_Open/aes128gcm/100,BM_Seal/aes128gcm/100 "
                                "--alternate_pair=BM_Seal/aes128gcm/100,BM_Open/aes128gcm/100 "
                                "--alternate_seconds=0.05 --alternate_trials=1");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("| BM_Open/aes128gcm/100 | BM_Seal/aes128gcm/100 | "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| BM_Seal/aes128gcm/100 | BM_Open/aes128gcm/100 | "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("error"), std::string::npos) << r.out;
}

// The table on stdout is the result (with --alternate_pair, often the only
// one), and a failed write of it left exit 0: run with stdout on /dev/full,
// the table was lost and the run said it succeeded. Proves: a table that
// cannot be written is an error naming it, exit 1.
TEST(AlternateCommand, TableNotWrittenIsAnError) {
  if (kBenchSecurityExe == nullptr) GTEST_SKIP() << kNoBenchSecurity;
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  const std::string err = sipim::cmdtest::TempPath("alternation_test", "full_stderr");
  const std::string cmd = "\"" + std::string(kBenchSecurityExe) +
                          "\" --alternate_pair=BM_Open/aes128gcm/100,BM_Seal/aes128gcm/100 --alternate_seconds=0.05 "
                          "--alternate_trials=1 >/dev/full 2>\"" + err + "\"";
  const int rc = std::system(cmd.c_str());
  const std::string said = Slurp(err);
  std::remove(err.c_str());
  ASSERT_TRUE(WIFEXITED(rc)) << said;
  EXPECT_EQ(WEXITSTATUS(rc), 1) << said;
  EXPECT_NE(said.find("bench_security: could not write the table to stdout"), std::string::npos) << said;
}

TEST(AlternateCommand, BadFlagsExitWithAReason) {
  if (kBenchSecurityExe == nullptr) GTEST_SKIP() << kNoBenchSecurity;
  CommandRun r = RunBench("--alternate='('");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--alternate: bad regular expression '('"), std::string::npos) << r.err;
  r = RunBench("--alternate=no-such-operation");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("no ratio line's operation matches 'no-such-operation'"), std::string::npos) << r.err;
  r = RunBench("--alternate=x --alternate_seconds=0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--alternate_seconds wants a number above 0 to 600, got '0'"), std::string::npos) << r.err;
  r = RunBench("--alternate=x --alternate_trials=0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--alternate_trials wants a whole number from 1 to 100, got '0'"), std::string::npos) << r.err;
  r = RunBench("--alternate_out=x.json");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("go with --alternate"), std::string::npos) << r.err;
  r = RunBench("--alternate_pair=BM_Seal/aes128gcm/100");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--alternate_pair wants two benchmark names, A,B; got 'BM_Seal/aes128gcm/100'"),
            std::string::npos)
      << r.err;
  r = RunBench("--alternate_pair=BM_Seal/aes128gcm/100,BM_NoSuch/x");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--alternate_pair: no benchmark named 'BM_NoSuch/x'"), std::string::npos) << r.err;
  r = RunBench("--alternate=x --alternate_pair=a,b");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("give one"), std::string::npos) << r.err;
  r = RunBench("--alternate=x --benchmark_filter=y");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--alternate takes no Google Benchmark flags (got --benchmark_filter=y)"), std::string::npos)
      << r.err;
}

}  // namespace
