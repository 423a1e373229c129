// scripts/stress.py end to end: with a stand-in for sipim that crashes or
// leaves IMs unfinished, it reports the run as bad, prints the command that
// repeats it and exits 1; with the real sipim on two random configurations
// it reports both good and exits 0.
#include <sys/stat.h>

#include <string>

#include "script_test.h"

namespace {

using namespace sipim_test;

const std::string kScript = std::string(SIPIM_SOURCE_DIR) + "/scripts/stress.py";

class Stress : public ScriptTest {
 protected:
  // An executable stand-in for sipim: after `sipim run SCENARIO --out DIR`
  // it runs `body` with $out set to DIR.
  std::string FakeSipim(const std::string& body) {
    const std::string path = Write("sipim", "#!/bin/sh\nout=$4\nmkdir -p \"$out\"\n" + body + "\n");
    chmod(path.c_str(), 0755);
    return path;
  }
  Result RunStress(const std::string& sipim, int runs) {
    return Python({kScript, "--sipim", sipim, "--runs", std::to_string(runs), "--out", dir_ + "runs",
                   "--scenario", std::string(SIPIM_SOURCE_DIR) + "/scenarios/proxy-hol.ini"});
  }
};

TEST_F(Stress, UnfinishedImsMakeARunBad) {
  const std::string sipim = FakeSipim(
      "printf 'ims_sent,delivered,failed,unfinished,failed_reasons\\n10,5,2,3,timeout-408:2\\n' > \"$out/summary.csv\"");
  const Result r = RunStress(sipim, 2);
  EXPECT_EQ(r.exit_code, 1) << Report(r);
  EXPECT_NE(r.out.find("BAD 1/2: 3 IMs unfinished at the stop"), std::string::npos) << Report(r);
  EXPECT_NE(r.out.find("    repeat (in " + std::string(SIPIM_SOURCE_DIR) + "): " + sipim + " run "), std::string::npos) << Report(r);
  EXPECT_NE(r.out.find("stress: 0 of 2 runs good"), std::string::npos) << Report(r);
}

TEST_F(Stress, ACrashMakesARunBad) {
  const std::string sipim =
      FakeSipim("echo 'sipim run: point 0 run 1 crashed (signal 11, Segmentation fault)' >&2\nexit 1");
  const Result r = RunStress(sipim, 1);
  EXPECT_EQ(r.exit_code, 1) << Report(r);
  EXPECT_NE(r.out.find("BAD 1/1: exit status 1; sipim run: point 0 run 1 crashed (signal 11"), std::string::npos)
      << Report(r);
  EXPECT_NE(r.out.find("no summary.csv"), std::string::npos) << Report(r);
}

TEST_F(Stress, UnbalancedAccountingMakesARunBad) {
  const std::string sipim = FakeSipim(
      "printf 'ims_sent,delivered,failed,unfinished,failed_reasons\\n10,5,2,0,\\n' > \"$out/summary.csv\"");
  const Result r = RunStress(sipim, 1);
  EXPECT_EQ(r.exit_code, 1) << Report(r);
  EXPECT_NE(r.out.find("accounting: 10 sent != 5 delivered + 2 failed + 0 unfinished"), std::string::npos)
      << Report(r);
}

TEST_F(Stress, NoSipimIsAUsageError) {
  const Result r = RunStress(dir_ + "missing", 1);
  EXPECT_EQ(r.exit_code, 2) << Report(r);
  EXPECT_NE(r.err.find("not an executable sipim"), std::string::npos) << Report(r);
}

#ifdef SIPIM_EXE
TEST_F(Stress, RealSipimRunsAreGood) {
  const Result r = RunStress(SIPIM_EXE, 2);
  EXPECT_EQ(r.exit_code, 0) << Report(r);
  EXPECT_NE(r.out.find("stress: 2 of 2 runs good"), std::string::npos) << Report(r);
}
#endif

}  // namespace
