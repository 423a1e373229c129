// The SCTP charts (analysis/sctp_band.py, analysis/sctp_hol.py) are the same
// bytes on every run of the same data, as the scenario charts are: no date
// or software version in the PNG and SVG, SVG ids from a fixed salt. So a
// regeneration that changes no number changes no committed file.
#include <string>

#include "script_test.h"

namespace {

using namespace sipim_test;

const std::string kResults = std::string(SIPIM_SOURCE_DIR) + "/results/sctp/";

class ChartBytes : public ScriptTest {
 protected:
  // Runs `script` twice, each time on a copy of the committed `csv` in its
  // own folder, and expects `chart`.png and .svg byte-identical.
  void RunTwiceAndCompare(const std::string& script, const std::string& csv, const std::string& chart) {
    if (Python({"-c", "import matplotlib"}).exit_code != 0)
      GTEST_SKIP() << "python3-matplotlib is missing: the SCTP charts need it";
    std::string svg[2], png[2];
    for (int i = 0; i < 2; ++i) {
      const std::string d = dir_ + "run" + std::to_string(i) + "/";
      fs::create_directories(d);
      fs::copy_file(kResults + csv, d + csv);
      const Result r = Python({kAnalysis + "/" + script, d});
      ASSERT_EQ(r.exit_code, 0) << Report(r);
      svg[i] = ReadAll(d + chart + ".svg");
      png[i] = ReadAll(d + chart + ".png");
      ASSERT_FALSE(svg[i].empty());
      ASSERT_FALSE(png[i].empty());
    }
    EXPECT_EQ(svg[0].find("<dc:date>"), std::string::npos) << "the SVG carries the date of the run";
    EXPECT_TRUE(svg[0] == svg[1]) << chart << ".svg differs between two runs on the same data";
    EXPECT_TRUE(png[0] == png[1]) << chart << ".png differs between two runs on the same data";
  }
};

TEST_F(ChartBytes, SctpBandChartIsTheSameBytesOnEveryRun) {
  RunTwiceAndCompare("sctp_band.py", "band.csv", "band");
}

TEST_F(ChartBytes, SctpHolChartIsTheSameBytesOnEveryRun) {
  RunTwiceAndCompare("sctp_hol.py", "hol.csv", "hol_latency");
}

}  // namespace
