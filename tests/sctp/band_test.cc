// sctp_band, the program behind results/sctp/band.csv (the sanity
// band, measured over several seeds) and analysis/sctp_band.py.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "command_run.h"
#include "sctp_bulk.h"

namespace
{

using sipim::cmdtest::CommandRun;
using sipim::cmdtest::RunCommand;
using sipim::cmdtest::Slurp;

#ifdef SCTP_BAND_EXE
constexpr const char* kSctpBand = SCTP_BAND_EXE;
#else
constexpr const char* kSctpBand = nullptr;
#endif
constexpr const char* kNoSctpBand = "sctp_band is not built in this configuration (SIPIM_BENCH=OFF)";

std::string
TempDir(const std::string& leaf)
{
    const std::string d = sipim::cmdtest::TempPath("sctp_band_test", leaf);
    EXPECT_EQ(::mkdir(d.c_str(), 0755), 0) << d;
    return d;
}

// One run: a row for each protocol at each loss rate, every goodput above 0,
// the Mathis column what SanityMathisBps gives (the sanity test's formula),
// the same numbers on stdout, and band.json naming the runs and a version.
TEST(SctpBand, WritesEveryProtocolAndLossForEachRun)
{
    if (kSctpBand == nullptr)
    {
        GTEST_SKIP() << kNoSctpBand;
    }
    const std::string dir = TempDir("out");
    const CommandRun r = RunCommand(kSctpBand, "\"" + dir + "\" 1", "sctp_band_test");
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string csv = Slurp(dir + "/band.csv");
    std::istringstream in(csv);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_EQ(line, "protocol,loss,run,goodput_mbps,mathis_mbps,timeouts,fast_retransmissions,recoveries");
    std::map<std::string, std::set<std::string>> losses; // protocol -> loss rates seen
    int rows = 0;
    while (std::getline(in, line))
    {
        ++rows;
        char proto[32];
        double loss = 0, goodput = 0, mathis = 0;
        unsigned run = 0;
        ASSERT_EQ(std::sscanf(line.c_str(), "%31[^,],%lf,%u,%lf,%lf", proto, &loss, &run, &goodput, &mathis), 5)
            << line;
        EXPECT_EQ(run, 1u) << line;
        EXPECT_GT(goodput, 0.0) << line;
        EXPECT_NEAR(mathis, sipim_test::SanityMathisBps(loss) / 1e6, 1e-4) << line;
        losses[proto].insert(line.substr(line.find(',') + 1, 5));
        EXPECT_NE(r.out.find(line), std::string::npos) << line;
    }
    EXPECT_EQ(rows, 18);
    ASSERT_EQ(losses.size(), 3u);
    for (const char* p : {"sctp", "tcp-newreno", "tcp-linuxreno"})
    {
        EXPECT_EQ(losses[p].size(), 6u) << p;
    }
    const std::string json = Slurp(dir + "/band.json");
    EXPECT_NE(json.find("\"runs\": 1,"), std::string::npos) << json;
    EXPECT_NE(json.find("\"version\": \""), std::string::npos) << json;
    std::remove((dir + "/band.csv").c_str());
    std::remove((dir + "/band.json").c_str());
    ::rmdir(dir.c_str());
}

// A bad run count or an output directory that cannot be written is a clear
// error and a non-zero exit, before any simulation.
TEST(SctpBand, BadArgumentsExitWithAReason)
{
    if (kSctpBand == nullptr)
    {
        GTEST_SKIP() << kNoSctpBand;
    }
    CommandRun r = RunCommand(kSctpBand, "/tmp 0", "sctp_band_test");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("runs wants a whole number from 1 to 100, got '0'"), std::string::npos) << r.err;
    r = RunCommand(kSctpBand, "/tmp 3x", "sctp_band_test");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("got '3x'"), std::string::npos) << r.err;
    r = RunCommand(kSctpBand, "/no/such/dir 1", "sctp_band_test");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("cannot write /no/such/dir/band.csv"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    r = RunCommand(kSctpBand, "a b c", "sctp_band_test");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("usage: sctp_band [output-dir] [runs]"), std::string::npos) << r.err;
}

// An empty output-dir (`sctp_band "$OUT" 4` with OUT unset) was taken as ""
// and the results written to /band.csv and /band.json, the filesystem root.
// Proves: it is a usage error, exit 2, before any simulation.
TEST(SctpBand, EmptyOutputDirIsAnError)
{
    if (kSctpBand == nullptr)
    {
        GTEST_SKIP() << kNoSctpBand;
    }
    const CommandRun r = RunCommand(kSctpBand, "\"\" 1", "sctp_band_test");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("sctp_band: output-dir is empty"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

// ------------------------------------------------- analysis/sctp_band.py
// The real script run by /usr/bin/python3 on band.csv files written here
// (skipped without python3). On bad input it must exit non-zero naming the
// file (and the line, where there is one), and write no band.md.

const std::string kPython = "/usr/bin/python3";
const std::string kBandScript = std::string(SIPIM_SOURCE_DIR) + "/analysis/sctp_band.py";
const std::string kBandHeader = "protocol,loss,run,goodput_mbps,mathis_mbps,timeouts,fast_retransmissions,recoveries\n";

class SctpBandScript : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        if (::access(kPython.c_str(), X_OK) != 0)
        {
            GTEST_SKIP() << kPython << " is missing: analysis/sctp_band.py needs it";
        }
        dir_ = TempDir("script");
    }

    void TearDown() override
    {
        if (!dir_.empty())
        {
            std::filesystem::remove_all(dir_);
        }
    }

    // Writes `rows` (after the header) as band.csv and runs the script on it.
    CommandRun Run(const std::string& rows)
    {
        std::filesystem::remove(dir_ + "/band.md");
        std::ofstream(dir_ + "/band.csv", std::ios::binary) << kBandHeader << rows;
        return RunCommand(kPython, "-B \"" + kBandScript + "\" \"" + dir_ + "\"", "sctp_band_script");
    }

    bool WroteTable() const
    {
        return std::filesystem::exists(dir_ + "/band.md");
    }

    std::string dir_;
};

// A partial band.csv (here a run killed part way: NewReno has run 1 only, the
// others runs 1 and 2) is an error naming the file and the missing row, not a
// table whose NewReno mean covers other runs than SCTP's. Proves: every
// protocol at every loss must have the same runs.
TEST_F(SctpBandScript, RunsMissingForOneProtocolAreAnError)
{
    const CommandRun r = Run("sctp,0.010,1,3.0,3.4436,0,60,0\n"
                             "sctp,0.010,2,4.0,3.4436,0,60,0\n"
                             "tcp-newreno,0.010,1,2.0,3.4436,0,0,30\n"
                             "tcp-linuxreno,0.010,1,3.0,3.4436,0,0,60\n"
                             "tcp-linuxreno,0.010,2,3.0,3.4436,0,0,60\n");
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.err.find(dir_ + "/band.csv: no tcp-newreno row at loss 0.01 for run 2"), std::string::npos) << r.err;
    EXPECT_FALSE(WroteTable());
}

// A row repeating an earlier (protocol, loss, run) replaced it silently, and
// so did a Mathis rate differing from the one given earlier for that loss.
// Proves: both are errors naming the file, the line and the earlier line.
TEST_F(SctpBandScript, ContradictingRowsAreAnError)
{
    const std::string others = "tcp-newreno,0.010,1,2.0,3.4436,0,0,30\n"
                               "tcp-linuxreno,0.010,1,3.0,3.4436,0,0,60\n";
    CommandRun r = Run("sctp,0.010,1,3.0,3.4436,0,60,0\n" + others + "sctp,0.010,1,9.0,3.4436,0,60,0\n");
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.err.find(dir_ + "/band.csv:5: sctp at loss 0.01 run 1 again (first on line 2)"), std::string::npos)
        << r.err;
    EXPECT_FALSE(WroteTable());
    r = Run("sctp,0.010,1,3.0,3.4436,0,60,0\n"
            "tcp-newreno,0.010,1,2.0,9.9,0,0,30\n"
            "tcp-linuxreno,0.010,1,3.0,3.4436,0,0,60\n");
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.err.find(dir_ + "/band.csv:3: mathis_mbps 9.9 at loss 0.01, but 3.4436 on line 2"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(WroteTable());
}

// Values the table cannot use were taken: a goodput of nan gave a table of
// nan and exit 0, a goodput of 0 a ZeroDivisionError traceback, a row with a
// field too many was read as if it had none; and a blank line shifted the line
// number the error gave. Proves: each is an error naming the file and the
// real line.
TEST_F(SctpBandScript, ValuesTheTableCannotUseAreAnErrorOnTheirLine)
{
    const struct
    {
        std::string row, says;
    } cases[] = {
        {"sctp,0.010,1,nan,3.4436,0,60,0", ":5: goodput_mbps must be a finite number above 0, got 'nan'"},
        {"sctp,0.010,1,0,3.4436,0,60,0", ":5: goodput_mbps must be a finite number above 0, got '0'"},
        {"sctp,0.010,1,-1,3.4436,0,60,0", ":5: goodput_mbps must be a finite number above 0, got '-1'"},
        {"sctp,0.010,1,3.0,inf,0,60,0", ":5: mathis_mbps must be a finite number above 0, got 'inf'"},
        {"sctp,1.5,1,3.0,3.4436,0,60,0", ":5: loss must be a number above 0 and below 1, got '1.5'"},
        {"sctp,0.010,0,3.0,3.4436,0,60,0", ":5: run must be a whole number from 1, got '0'"},
        {"sctp,0.010,1,3.0,3.4436,0,60,0,7", ":5: 9 fields, the header has 8"},
    };
    for (const auto& c : cases)
    {
        SCOPED_TRACE(c.row);
        // Line 3 is blank: the bad row is on line 5 of the file.
        const CommandRun r = Run("tcp-newreno,0.010,1,2.0,3.4436,0,0,30\n\ntcp-linuxreno,0.010,1,3.0,3.4436,0,0,60\n" +
                                 c.row + "\n");
        EXPECT_NE(r.status, 0) << r.out;
        EXPECT_NE(r.err.find(dir_ + "/band.csv" + c.says), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("Traceback"), std::string::npos) << r.err;
        EXPECT_FALSE(WroteTable());
    }
}

// The same when a protocol has no rows at one loss: the error names the file.
TEST_F(SctpBandScript, ProtocolMissingAtALossIsAnErrorNamingTheFile)
{
    const CommandRun r = Run("sctp,0.010,1,3.0,3.4436,0,60,0\n"
                             "tcp-newreno,0.010,1,2.0,3.4436,0,0,30\n");
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.err.find(dir_ + "/band.csv: no tcp-linuxreno row at loss 0.01 for run 1"), std::string::npos)
        << r.err;
    EXPECT_FALSE(WroteTable());
}

} // namespace
