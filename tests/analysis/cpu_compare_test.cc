// analysis/cpu_compare.py end to end: the real script on two small
// `sipim run`-shaped result directories written here, its table and its
// exit status (0, or 2 for input that is not two runs of one scenario).
#include <string>
#include <vector>

#include "script_test.h"

namespace {

using namespace sipim_test;

const std::string kScript = kAnalysis + "/cpu_compare.py";

class CpuCompare : public ScriptTest {
 protected:
  // A run directory `name` of scenario `scenario` with cpu = `cpu`, sweeping
  // `mode` over the given points: {mode, ims_sent, IM cpu_s values, session
  // cpu_s}.
  struct Point {
    std::string mode;
    int sent;
    std::vector<std::string> im_cpu;
    std::string session_cpu;
  };
  std::string Run(const std::string& name, const std::vector<Point>& points, const std::string& cpu = "live",
                  const std::string& scenario = "security", const std::string& message_size = "100") {
    const std::string d = name + "/";
    fs::create_directories(dir_ + d);
    Write(d + "metadata.json", "{\"scenario\": \"" + scenario + "\", \"parameters\": {\"cpu\": \"" + cpu +
                                   "\", \"message_size\": \"" + message_size +
                                   "\"}, \"sweeps\": {\"mode\": [\"session-msrp\", \"pager\"]}}\n");
    std::string summary = "point,run,mode,ims_sent\n", ims = "point,run,im,cpu_s\n",
                sessions = "point,run,session,cpu_s\n";
    for (std::size_t p = 0; p < points.size(); ++p) {
      const std::string pr = std::to_string(p) + ",1,";
      summary += pr + points[p].mode + "," + std::to_string(points[p].sent) + "\n";
      for (std::size_t i = 0; i < points[p].im_cpu.size(); ++i)
        ims += pr + std::to_string(i + 1) + "," + points[p].im_cpu[i] + "\n";
      if (!points[p].session_cpu.empty()) sessions += pr + "1," + points[p].session_cpu + "\n";
    }
    Write(d + "summary.csv", summary);
    Write(d + "ims.csv", ims);
    Write(d + "sessions.csv", sessions);
    return dir_ + name;
  }
};

// CPU per IM is the IMs' and sessions' cpu_s over the IMs sent, point by
// point, and B/A their ratio: pager 2 IMs of 10+30 µs = 20 µs against 50
// µs (2.50); MSRP 4 IMs of 1 µs each plus a 36 µs session = 10 µs against
// 5 µs (0.50). The labels name each run's cpu setting.
TEST_F(CpuCompare, CpuPerImAndRatioPointByPoint) {
  const std::string a = Run("a", {{"pager", 2, {"10e-6", "30e-6"}, ""},
                                  {"session-msrp", 4, {"1e-6", "1e-6", "1e-6", "1e-6"}, "36e-6"}},
                            "calibrated");
  const std::string b = Run("b", {{"pager", 2, {"50e-6", "50e-6"}, ""},
                                  {"session-msrp", 4, {"0", "0", "0", "0"}, "20e-6"}});
  const Result r = Python({kScript, a, b});
  ASSERT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_EQ(LineStarting(r.out, "| pager |"), "| pager | 20.0 µs | 50.0 µs | 2.50 |") << Report(r);
  EXPECT_EQ(LineStarting(r.out, "| session-msrp |"), "| session-msrp | 10.0 µs | 5.0 µs | 0.50 |") << Report(r);
  EXPECT_NE(r.out.find("A: " + a + " (cpu = calibrated)"), std::string::npos) << Report(r);
  EXPECT_NE(r.out.find("B: " + b + " (cpu = live)"), std::string::npos) << Report(r);
}

// Rows follow the scenario's sweep order (here session-msrp before pager),
// not the values' text; a point that sent no IM says so instead of
// vanishing or being called absent.
TEST_F(CpuCompare, SweepOrderAndPointsWithoutIms) {
  const std::string a = Run("a", {{"pager", 1, {"1e-6"}, ""}, {"session-msrp", 0, {}, ""}});
  const std::string b = Run("b", {{"pager", 1, {"2e-6"}, ""}, {"session-msrp", 0, {}, ""}});
  const Result r = Python({kScript, a, b});
  ASSERT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_EQ(LineStarting(r.out, "| session-msrp |"), "| session-msrp | no IM sent | no IM sent | n/a |") << Report(r);
  EXPECT_LT(r.out.find("| session-msrp |"), r.out.find("| pager |")) << Report(r);
  EXPECT_EQ(r.out.find("Only in"), std::string::npos) << Report(r);
}

// Two runs of one scenario that simulated different things (here the
// message size) are compared, with the difference said above the table.
TEST_F(CpuCompare, DifferentSimulatedParametersAreNamed) {
  const std::string a = Run("a", {{"pager", 1, {"1e-6"}, ""}});
  const std::string b = Run("b", {{"pager", 1, {"2e-6"}, ""}}, "live", "security", "5000");
  const Result r = Python({kScript, a, b});
  ASSERT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_NE(r.out.find("Not the same simulation: message_size = 100 in A, 5000 in B"), std::string::npos)
      << Report(r);
}

// A point in one run only is listed under the table, not dropped.
TEST_F(CpuCompare, PointInOneRunOnlyIsListed) {
  const std::string a = Run("a", {{"pager", 1, {"1e-6"}, ""}, {"session-msrp", 1, {"1e-6"}, ""}});
  const std::string b = Run("b", {{"pager", 1, {"2e-6"}, ""}});
  const Result r = Python({kScript, a, b});
  ASSERT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_NE(r.out.find("Only in " + a + ": mode = session-msrp"), std::string::npos) << Report(r);
}

// Two different scenarios, a missing directory and a non-number exit 2
// naming what is wrong and where.
TEST_F(CpuCompare, BadInputExitsTwoNamingIt) {
  const std::string a = Run("a", {{"pager", 1, {"1e-6"}, ""}});
  const std::string other = Run("other", {{"pager", 1, {"1e-6"}, ""}}, "live", "fig1-pager");
  Result r = Python({kScript, a, other});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find("is scenario 'security'"), std::string::npos) << Report(r);
  r = Python({kScript, a, dir_ + "missing"});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find(dir_ + "missing/metadata.json"), std::string::npos) << Report(r);
  const std::string bad = Run("bad", {{"pager", 1, {"fast"}, ""}});
  r = Python({kScript, a, bad});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find(bad + "/ims.csv: point 0: no finite number in column 'cpu_s'"), std::string::npos) << Report(r);
  const std::string nan = Run("nan", {{"pager", 1, {"nan"}, ""}});
  r = Python({kScript, a, nan});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find(nan + "/ims.csv: point 0: no finite number in column 'cpu_s'"), std::string::npos) << Report(r);
  // An empty table, and one without the point column: not a run's tables.
  const std::string empty = Run("empty", {{"pager", 1, {"1e-6"}, ""}});
  Write("empty/ims.csv", "");
  r = Python({kScript, a, empty});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find(empty + "/ims.csv: no column 'point'"), std::string::npos) << Report(r);
  Write("empty/ims.csv", "point,run,im,cpu_s\n");
  Write("empty/summary.csv", "run,mode,ims_sent\n1,pager,1\n");
  r = Python({kScript, a, empty});
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find(empty + "/summary.csv: no column 'point'"), std::string::npos) << Report(r);
}

}  // namespace
