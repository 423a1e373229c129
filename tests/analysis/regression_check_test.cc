// analysis/regression_check.py and analysis/benchjson.py end to end: the real
// script run by /usr/bin/python3 on small Google Benchmark JSON files written
// here, checking its exit status (0 no regression, 1 regression, 2 bad input)
// and what it prints.
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "script_test.h"

namespace {

using namespace sipim_test;

const std::string kScript = kAnalysis + "/regression_check.py";
const std::string kRef = "BM_Parse/memchr/message-4k";  // the script's default reference

// ---------------------------------------------------------------- JSON rows
// Shaped as Google Benchmark 1.7 writes them (json_reporter.cc).

std::string Num(double v) {
  std::ostringstream s;
  s << std::setprecision(17) << v;
  return s.str();
}

std::string Times(double cpu, const std::string& unit) {
  return "\"iterations\": 1000, \"real_time\": " + Num(cpu) + ", \"cpu_time\": " + Num(cpu) +
         ", \"time_unit\": \"" + unit + "\"";
}

// A run without repetitions (or one repetition of `repetitions`).
std::string Iteration(const std::string& name, double cpu, const std::string& unit = "ns", int repetitions = 1,
                      int index = 0) {
  return "{\"name\": \"" + name + "\", \"family_index\": 0, \"per_family_instance_index\": 0, \"run_name\": \"" +
         name + "\", \"run_type\": \"iteration\", \"repetitions\": " + std::to_string(repetitions) +
         ", \"repetition_index\": " + std::to_string(index) + ", \"threads\": 1, " + Times(cpu, unit) + "}";
}

// An aggregate row (median, mean, stddev, cv) of `run_name`'s repetitions.
std::string Aggregate(const std::string& run_name, const std::string& aggregate, double cpu,
                      const std::string& unit = "ns") {
  return "{\"name\": \"" + run_name + "_" + aggregate + "\", \"family_index\": 0, \"per_family_instance_index\": 0, "
         "\"run_name\": \"" + run_name + "\", \"run_type\": \"aggregate\", \"repetitions\": 3, \"threads\": 1, "
         "\"aggregate_name\": \"" + aggregate + "\", \"aggregate_unit\": \"time\", " + Times(cpu, unit) + "}";
}

// A run that called state.SkipWithError: its times are still written.
std::string Errored(const std::string& name, const std::string& message, double cpu) {
  return "{\"name\": \"" + name + "\", \"run_name\": \"" + name + "\", \"run_type\": \"iteration\", "
         "\"repetitions\": 1, \"repetition_index\": 0, \"threads\": 1, \"error_occurred\": true, "
         "\"error_message\": \"" + message + "\", " + Times(cpu, "ns") + "}";
}

// The context fields bench/machine adds, for a CPU named `cpu_id`.
std::string MachineContext(const std::string& cpu_id) {
  return ", \"cpu_model\": \"AMD EPYC\", \"cpu_id\": \"" + cpu_id +
         "\", \"cpu_flags\": \"aes sha_ni\", \"openssl\": \"OpenSSL 3.0.19\", \"openssl_cpu\": \"CPUINFO: x\"";
}

// `machine`: extra context fields (MachineContext), or none.
std::string File(const std::vector<std::string>& rows, const std::string& machine = "") {
  std::string out = "{\n  \"context\": {\"date\": \"2026-11-27T10:00:00+00:00\", \"num_cpus\": 2, "
                    "\"mhz_per_cpu\": 2000, \"library_build_type\": \"release\"" + machine +
                    "},\n  \"benchmarks\": [\n";
  for (std::size_t i = 0; i < rows.size(); ++i) out += "    " + rows[i] + (i + 1 < rows.size() ? ",\n" : "\n");
  return out + "  ]\n}\n";
}

// ---------------------------------------------------------------- running

class RegressionScriptTest : public ScriptTest {
 protected:
  // regression_check.py BASELINE NEW EXTRA..., the two files written from rows.
  Result Check(const std::vector<std::string>& baseline, const std::vector<std::string>& current,
            const std::vector<std::string>& extra = {}, const std::string& base_machine = "",
            const std::string& new_machine = "") {
    std::vector<std::string> args = {kScript, Write("base.json", File(baseline, base_machine)),
                                     Write("new.json", File(current, new_machine))};
    args.insert(args.end(), extra.begin(), extra.end());
    return Python(args);
  }
};

class RegressionCheck : public RegressionScriptTest {};
class BenchJson : public RegressionScriptTest {};


// ---------------------------------------------------------------- judging

// A machine twice as slow (reference included) is not a regression.
TEST_F(RegressionCheck, EverythingTwiceAsSlowWithTheReferenceIsNoRegression) {
  const Result r = Check({Iteration(kRef, 100), Iteration("BM_A", 300), Iteration("BM_B", 40)},
                      {Iteration(kRef, 200), Iteration("BM_A", 600), Iteration("BM_B", 80)});
  EXPECT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_A ").find("+0.0%"), std::string::npos) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_B ").find("+0.0%"), std::string::npos) << Report(r);
  EXPECT_EQ(r.out.find("REGRESSION"), std::string::npos) << Report(r);
}

// Proves: runs that name the same machine get no machine warning; runs from
// different CPUs are still judged (a regression still exits 1) and stderr
// names the field that differs with both values; a run whose context names
// no machine (older files) is warned about by path.
TEST_F(RegressionCheck, MachinesAreComparedAndDifferencesWarned) {
  const std::vector<std::string> base = {Iteration(kRef, 100), Iteration("BM_A", 300)};
  const std::vector<std::string> same = {Iteration(kRef, 100), Iteration("BM_A", 310)};
  const std::vector<std::string> slower = {Iteration(kRef, 100), Iteration("BM_A", 400)};
  Result r = Check(base, same, {}, MachineContext("AuthenticAMD family 25 model 1 stepping 1"),
                   MachineContext("AuthenticAMD family 25 model 1 stepping 1"));
  EXPECT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_EQ(r.err.find("machine"), std::string::npos) << Report(r);
  r = Check(base, slower, {}, MachineContext("AuthenticAMD family 25 model 1 stepping 1"),
            MachineContext("GenuineIntel family 6 model 143 stepping 8"));
  EXPECT_EQ(r.exit_code, 1) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_A ").find("REGRESSION"), std::string::npos) << Report(r);
  EXPECT_NE(r.err.find("regression_check: warning: the runs come from different machines: cpu_id "
                       "'AuthenticAMD family 25 model 1 stepping 1' in " + dir_ + "base.json, "
                       "'GenuineIntel family 6 model 143 stepping 8' in " + dir_ + "new.json"),
            std::string::npos)
      << Report(r);
  EXPECT_EQ(r.err.find("cpu_model"), std::string::npos) << "only differing fields are named\n" << Report(r);
  r = Check(base, same, {}, "", MachineContext("AuthenticAMD family 25 model 1 stepping 1"));
  EXPECT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_NE(r.err.find("warning: " + dir_ + "base.json does not name its machine"), std::string::npos) << Report(r);
  EXPECT_EQ(r.err.find("new.json does not name"), std::string::npos) << Report(r);
}

// One benchmark 30 % slower relative to the reference fails the check, by name.
TEST_F(RegressionCheck, ThirtyPercentSlowerIsARegressionByName) {
  const Result r = Check({Iteration(kRef, 100), Iteration("BM_A", 300), Iteration("BM_B", 40)},
                      {Iteration(kRef, 200), Iteration("BM_A", 600), Iteration("BM_B", 104)});
  EXPECT_EQ(r.exit_code, 1) << Report(r);
  const std::string b = LineStarting(r.out, "BM_B ");
  EXPECT_NE(b.find("+30.0%"), std::string::npos) << Report(r);
  EXPECT_NE(b.find("REGRESSION"), std::string::npos) << Report(r);
  EXPECT_EQ(LineStarting(r.out, "BM_A ").find("REGRESSION"), std::string::npos) << Report(r);
  EXPECT_NE(r.err.find("1 benchmark(s) regressed"), std::string::npos) << Report(r);
}

// Exactly the tolerance (25 %) passes; a little more fails.
TEST_F(RegressionCheck, ExactlyAtTheToleranceIsNoRegression) {
  const Result at = Check({Iteration(kRef, 100), Iteration("BM_A", 100)}, {Iteration(kRef, 200), Iteration("BM_A", 250)});
  EXPECT_EQ(at.exit_code, 0) << Report(at);
  const Result over = Check({Iteration(kRef, 100), Iteration("BM_A", 100)}, {Iteration(kRef, 200), Iteration("BM_A", 252)});
  EXPECT_EQ(over.exit_code, 1) << Report(over);
}

// --tolerance moves the threshold both ways; exactly at it still passes
// (1.3 - 1 is 0.30000000000000004 in binary floating point).
TEST_F(RegressionCheck, ToleranceOptionMovesTheThreshold) {
  const std::vector<std::string> base = {Iteration(kRef, 100), Iteration("BM_A", 100)};
  const std::vector<std::string> slower30 = {Iteration(kRef, 100), Iteration("BM_A", 130)};
  const std::vector<std::string> slower20 = {Iteration(kRef, 100), Iteration("BM_A", 120)};
  EXPECT_EQ(Check(base, slower30, {"--tolerance", "0.3"}).exit_code, 0);
  EXPECT_EQ(Check(base, slower30, {"--tolerance", "0.29"}).exit_code, 1);
  EXPECT_EQ(Check(base, slower20, {"--tolerance", "0.1"}).exit_code, 1);
  EXPECT_EQ(Check(base, slower20).exit_code, 0);
  const Result bad = Check(base, slower20, {"--tolerance", "-0.1"});
  EXPECT_EQ(bad.exit_code, 2) << Report(bad);
  EXPECT_NE(bad.err.find("--tolerance"), std::string::npos) << Report(bad);
}

// --filter judges only the benchmarks under the prefix.
TEST_F(RegressionCheck, FilterLimitsWhichBenchmarksAreJudged) {
  const std::vector<std::string> base = {Iteration(kRef, 100), Iteration("BM_A/x", 100), Iteration("BM_B/x", 100),
                                         Iteration("BM_A/only-base", 1)};
  const std::vector<std::string> slow_a = {Iteration(kRef, 100), Iteration("BM_A/x", 200), Iteration("BM_B/x", 100)};
  EXPECT_EQ(Check(base, slow_a).exit_code, 1);
  const Result r = Check(base, slow_a, {"--filter", "BM_B/"});
  EXPECT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_B/x ").find("+0.0%"), std::string::npos) << Report(r);
  EXPECT_EQ(r.out.find("BM_A/"), std::string::npos) << Report(r);
}

// A benchmark in one file only is listed with where it is, not judged.
TEST_F(RegressionCheck, BenchmarksInOneFileAreListedNotJudged) {
  const Result r = Check({Iteration(kRef, 100), Iteration("BM_A", 100), Iteration("BM_Gone", 1)},
                      {Iteration(kRef, 100), Iteration("BM_A", 100), Iteration("BM_Added", 1e9)});
  EXPECT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_Gone ").find("only in baseline"), std::string::npos) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_Added ").find("only in new run"), std::string::npos) << Report(r);
}

// A filter that matches nothing checks nothing: that is an error, not a pass.
TEST_F(RegressionCheck, NothingToJudgeIsBadInput) {
  const Result r = Check({Iteration(kRef, 100), Iteration("BM_A", 100)}, {Iteration(kRef, 100), Iteration("BM_A", 100)},
                      {"--filter", "BM_Typo"});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find("BM_Typo"), std::string::npos) << Report(r);
}

// Proves: when every benchmark in both files took zero CPU time in the
// baseline, nothing is judged, and that is an error (exit 2) rather than a
// pass, even though the new run is a thousand times slower.
TEST_F(RegressionCheck, NothingJudgedBecauseEveryBaselineTimeIsZeroIsBadInput) {
  const Result r = Check({Iteration(kRef, 100), Iteration("BM_A", 0), Iteration("BM_B", 0)},
                         {Iteration(kRef, 100), Iteration("BM_A", 1000), Iteration("BM_B", 1000)});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find("no benchmark was judged"), std::string::npos) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_A ").find("not judged"), std::string::npos) << Report(r);
}

// ---------------------------------------------------------------- bad input

// A file that does not exist: exit 2 naming it.
TEST_F(RegressionCheck, MissingFileIsBadInputNamingIt) {
  const std::string base = Write("base.json", File({Iteration(kRef, 100), Iteration("BM_A", 100)}));
  const std::string missing = dir_ + "no-such.json";
  const Result r = Python({kScript, base, missing});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find("cannot read " + missing), std::string::npos) << Report(r);
}

// Text that is not JSON: exit 2 naming the file, no traceback.
TEST_F(RegressionCheck, MalformedJsonIsBadInputNamingTheFile) {
  const std::string base = Write("base.json", File({Iteration(kRef, 100), Iteration("BM_A", 100)}));
  const std::string broken = Write("broken.json", "{\"benchmarks\": [ {\"name\": ");
  const Result r = Python({kScript, base, broken});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find(broken + ": not JSON"), std::string::npos) << Report(r);
  EXPECT_EQ(r.err.find("Traceback"), std::string::npos) << Report(r);
}

// JSON that is not a Google Benchmark file: exit 2 saying what is missing.
TEST_F(RegressionCheck, JsonWithoutBenchmarksArrayIsBadInput) {
  const std::string base = Write("base.json", File({Iteration(kRef, 100), Iteration("BM_A", 100)}));
  const std::string other = Write("other.json", "[1, 2, 3]");
  const Result r = Python({kScript, base, other});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find(other + ": no \"benchmarks\" array"), std::string::npos) << Report(r);
}

// No reference benchmark in one file: exit 2 naming the file and the reference.
TEST_F(RegressionCheck, MissingReferenceIsBadInputNamingTheFile) {
  const Result r = Check({Iteration(kRef, 100), Iteration("BM_A", 100)}, {Iteration("BM_A", 100)});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find(dir_ + "new.json has no reference benchmark " + kRef), std::string::npos) << Report(r);
  const Result named = Check({Iteration("BM_R", 1), Iteration("BM_A", 1)}, {Iteration("BM_R", 1), Iteration("BM_A", 1)},
                          {"--reference", "BM_Other"});
  EXPECT_EQ(named.exit_code, 2) << Report(named);
  EXPECT_NE(named.err.find(dir_ + "base.json has no reference benchmark BM_Other"), std::string::npos)
      << Report(named);
}

// A reference that took no CPU time cannot divide: exit 2, not a crash.
TEST_F(RegressionCheck, ZeroTimeReferenceIsBadInput) {
  const Result r = Check({Iteration(kRef, 100), Iteration("BM_A", 100)}, {Iteration(kRef, 0), Iteration("BM_A", 100)});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find("zero CPU time"), std::string::npos) << Report(r);
  EXPECT_EQ(r.err.find("Traceback"), std::string::npos) << Report(r);
}

// ---------------------------------------------------------------- the reader

// Repetitions that would regress do not count when the median does not, in
// either row order; the mean is not used either.
TEST_F(BenchJson, MedianWinsOverRepetitionsInEitherOrder) {
  const std::vector<std::string> base = {Iteration(kRef, 100), Iteration("BM_A", 100)};
  // The last repetition is the slow one: a reader keeping the last row fails.
  const std::vector<std::string> reps = {Iteration("BM_A", 100, "ns", 3, 0), Iteration("BM_A", 100, "ns", 3, 1),
                                         Iteration("BM_A", 900, "ns", 3, 2)};
  std::vector<std::string> median_last = {Iteration(kRef, 100)};
  median_last.insert(median_last.end(), reps.begin(), reps.end());
  median_last.push_back(Aggregate("BM_A", "mean", 366));
  median_last.push_back(Aggregate("BM_A", "median", 100));
  const Result last = Check(base, median_last);
  EXPECT_EQ(last.exit_code, 0) << Report(last);
  EXPECT_NE(LineStarting(last.out, "BM_A ").find("+0.0%"), std::string::npos) << Report(last);

  std::vector<std::string> median_first = {Iteration(kRef, 100), Aggregate("BM_A", "median", 100),
                                           Aggregate("BM_A", "mean", 366)};
  median_first.insert(median_first.end(), reps.begin(), reps.end());
  const Result first = Check(base, median_first);
  EXPECT_EQ(first.exit_code, 0) << Report(first);
  EXPECT_NE(LineStarting(first.out, "BM_A ").find("+0.0%"), std::string::npos) << Report(first);
}

// Without a median the LAST repetition row counts, as in the C++ reader.
TEST_F(BenchJson, WithoutMedianTheLastRowCounts) {
  const std::vector<std::string> base = {Iteration(kRef, 100), Iteration("BM_A", 100)};
  const Result slow_last = Check(base, {Iteration(kRef, 100), Iteration("BM_A", 100, "ns", 2, 0),
                                     Iteration("BM_A", 200, "ns", 2, 1)});
  EXPECT_EQ(slow_last.exit_code, 1) << Report(slow_last);
  const Result slow_first = Check(base, {Iteration(kRef, 100), Iteration("BM_A", 200, "ns", 2, 0),
                                      Iteration("BM_A", 100, "ns", 2, 1)});
  EXPECT_EQ(slow_first.exit_code, 0) << Report(slow_first);
}

// The same times written in different units compare equal; the units are
// mixed inside each file so that ignoring them would change every ratio.
TEST_F(BenchJson, TimeUnitsAreConverted) {
  const Result r = Check({Iteration(kRef, 1000, "ns"), Iteration("BM_A", 5, "us"), Iteration("BM_B", 0.002, "s")},
                      {Iteration(kRef, 1, "us"), Iteration("BM_A", 5000, "ns"), Iteration("BM_B", 2, "ms")});
  EXPECT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_A ").find("+0.0%"), std::string::npos) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_B ").find("+0.0%"), std::string::npos) << Report(r);
}

// A row without time_unit is an error naming the file and the benchmark,
// never read as ns.
TEST_F(BenchJson, MissingTimeUnitIsBadInputNamingTheRow) {
  std::string row = Iteration("BM_A", 100);
  row.replace(row.find(", \"time_unit\": \"ns\""), std::string(", \"time_unit\": \"ns\"").size(), "");
  const Result r = Check({Iteration(kRef, 100), Iteration("BM_A", 100)}, {Iteration(kRef, 100), row});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find(dir_ + "new.json: benchmarks[1] (BM_A): no \"time_unit\" string"), std::string::npos)
      << Report(r);
}

// An unknown time_unit is an error naming the row and the unit.
TEST_F(BenchJson, UnknownTimeUnitIsBadInputNamingTheRow) {
  const Result r = Check({Iteration(kRef, 100), Iteration("BM_A", 100, "fortnights")},
                      {Iteration(kRef, 100), Iteration("BM_A", 100)});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find("base.json: benchmarks[1] (BM_A): unknown time_unit \"fortnights\""), std::string::npos)
      << Report(r);
  EXPECT_EQ(r.err.find("Traceback"), std::string::npos) << Report(r);
}

// Rows that are not benchmark rows are errors naming where they are.
TEST_F(BenchJson, MalformedRowsAreBadInputNamingTheRow) {
  const std::vector<std::string> base = {Iteration(kRef, 100), Iteration("BM_A", 100)};
  struct Case {
    std::string row, message;
  } cases[] = {
      {"42", "benchmarks[1]: not an object"},
      {"{\"cpu_time\": 1, \"time_unit\": \"ns\"}", "benchmarks[1]: no \"name\" string"},
      {"{\"name\": \"BM_A\", \"cpu_time\": \"fast\", \"time_unit\": \"ns\"}",
       "benchmarks[1] (BM_A): no \"cpu_time\" number"},
      {"{\"name\": \"BM_A\", \"cpu_time\": -1, \"time_unit\": \"ns\"}", "benchmarks[1] (BM_A): \"cpu_time\" is not a time"},
      {"{\"name\": \"BM_A\", \"cpu_time\": NaN, \"time_unit\": \"ns\"}", "benchmarks[1] (BM_A): \"cpu_time\" is not a time"},
      {"{\"name\": \"BM_A_median\", \"run_type\": \"aggregate\", \"aggregate_name\": \"median\", \"cpu_time\": 1, "
       "\"time_unit\": \"ns\"}",
       "benchmarks[1] (BM_A_median): median row without a \"run_name\" string"},
  };
  for (const Case& c : cases) {
    const Result r = Check(base, {Iteration(kRef, 100), c.row});
    EXPECT_EQ(r.exit_code, 2) << c.row << "\n" << Report(r);
    EXPECT_NE(r.err.find(dir_ + "new.json: " + c.message), std::string::npos) << c.row << "\n" << Report(r);
  }
}

// A row that reported an error is left out with a warning naming it and its
// message (its time would otherwise be a regression).
TEST_F(BenchJson, ErroredRowIsLeftOutWithAWarning) {
  const Result r = Check({Iteration(kRef, 100), Iteration("BM_A", 100), Iteration("BM_B", 100)},
                      {Iteration(kRef, 100), Errored("BM_A", "peer did not answer", 1e6), Iteration("BM_B", 100)});
  EXPECT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_NE(r.err.find("benchjson: skipping BM_A: it reported an error: peer did not answer"), std::string::npos)
      << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_A ").find("only in baseline"), std::string::npos) << Report(r);
}

// "/min_time:..." is cut from names (iteration and median rows, the
// reference too), so runs with different or no min_time compare.
TEST_F(BenchJson, MinTimeSuffixIsStripped) {
  const Result r = Check({Iteration("BM_Ref/min_time:0.050", 100), Iteration("BM_A/8/min_time:0.050", 100),
                       Aggregate("BM_B/min_time:0.200", "median", 100)},
                      {Iteration("BM_Ref", 100), Iteration("BM_A/8/min_time:0.500", 100),
                       Aggregate("BM_B", "median", 200)},
                      {"--reference", "BM_Ref"});
  EXPECT_EQ(r.exit_code, 1) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_A/8 ").find("+0.0%"), std::string::npos) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_B ").find("REGRESSION"), std::string::npos) << Report(r);
  EXPECT_EQ(r.out.find("min_time"), std::string::npos) << Report(r);
  EXPECT_EQ(r.out.find("only in"), std::string::npos) << Report(r);
  const Result named = Check({Iteration("BM_Ref/min_time:0.050", 100), Iteration("BM_A", 100)},
                          {Iteration("BM_Ref", 100), Iteration("BM_A", 100)}, {"--reference", "BM_Ref/min_time:0.050"});
  EXPECT_EQ(named.exit_code, 0) << Report(named);
}

// "/iterations:..." (Google Benchmark's name for a benchmark run a fixed
// number of times, as bench_security --iterations runs them) is cut too, as
// report.cc's BaseName cuts it, so such a run compares with a timed one.
TEST_F(BenchJson, IterationsSuffixIsStripped) {
  const Result r = Check({Iteration("BM_Ref", 100), Iteration("BM_A/8", 100), Iteration("BM_B/min_time:0.1", 100)},
                      {Iteration("BM_Ref/iterations:50", 100), Iteration("BM_A/8/iterations:50", 200),
                       Iteration("BM_B/min_time:0.1/iterations:50", 100)},
                      {"--reference", "BM_Ref/iterations:50"});
  EXPECT_EQ(r.exit_code, 1) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_A/8 ").find("REGRESSION"), std::string::npos) << Report(r);
  EXPECT_NE(LineStarting(r.out, "BM_B ").find("+0.0%"), std::string::npos) << Report(r);
  EXPECT_EQ(r.out.find("iterations:"), std::string::npos) << Report(r);
  EXPECT_EQ(r.out.find("only in"), std::string::npos) << Report(r);
}

// load() as the other scripts use it: the file's context, whole rows (user
// counters included) keyed by benchmark, and cpu_ns() in ns.
TEST_F(BenchJson, LoadReturnsContextWholeRowsAndNanoseconds) {
  std::string row = Iteration("BM_A/min_time:0.1", 2.5, "us");
  row.insert(row.size() - 1, ", \"message_bytes\": 512");
  const std::string path = Write("one.json", File({row}));
  const Result r = Python({"-c",
                        "import sys; sys.path.insert(0, sys.argv[1]); import benchjson\n"
                        "ctx, rows = benchjson.load(sys.argv[2])\n"
                        "for n, b in rows.items(): print(ctx['num_cpus'], n, b['message_bytes'], benchjson.cpu_ns(b))",
                        kAnalysis, path});
  EXPECT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_EQ(r.out, "2 BM_A 512 2500.0\n") << Report(r);
}

}  // namespace
