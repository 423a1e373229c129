// Options of `sipim run`: INI with line numbers, precedence, validation,
// sweeps, help and dry-run text.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "config.h"
#include "memory_limit.h"
#include "options.h"
#include "units.h"
#include "writers.h"

namespace sipim::run {
namespace {

// A scenario file in the test's temporary directory.
std::string WriteScenario(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Runs ResolveOptions on `args` (argv without the program and "run").
std::optional<OptionError> Resolve(std::vector<std::string> args, ResolvedOptions* out) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return ResolveOptions(static_cast<int>(argv.size()), argv.data(), out);
}

// The error ResolveOptions gives for `args`, or "" when it accepts them.
std::string ResolveError(std::vector<std::string> args) {
  ResolvedOptions o;
  auto err = Resolve(std::move(args), &o);
  return err ? err->message : "";
}

// The cross-key error BuildConfig gives for the first point of `args`, ""
// when it accepts it, or "resolve: ..." when the options are refused already.
std::string PointError(std::vector<std::string> args) {
  ResolvedOptions o;
  if (auto err = Resolve(std::move(args), &o)) return "resolve: " + err->message;
  RunConfig c;
  const auto err = BuildConfig(ExpandPoints(o)[0], &c);
  return err ? *err : "";
}

// An unknown key in the file is rejected with the file and its line.
TEST(SimOptions, UnknownKeyNamesFileAndLine) {
  const std::string file = WriteScenario("unknown.ini", "# comment\nmode = pager\n\n[access]\nrat = 10Mbps\n");
  ResolvedOptions o;
  auto err = Resolve({file}, &o);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find(file + ":5"), std::string::npos) << err->message;
  EXPECT_NE(err->message.find("access.rat"), std::string::npos) << err->message;
}

// A scenario path that is a directory or does not exist is rejected with
// the path and the reason, never read as an empty scenario.
TEST(SimOptions, UnreadableScenarioNamesPathAndReason) {
  ResolvedOptions o;
  auto dir = Resolve({testing::TempDir()}, &o);
  ASSERT_TRUE(dir);
  EXPECT_NE(dir->message.find("is a directory"), std::string::npos) << dir->message;
  auto missing = Resolve({testing::TempDir() + "/no-such.ini"}, &o);
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->message.find("no-such.ini: cannot read the scenario file: No such file"), std::string::npos)
      << missing->message;
}

// A malformed value in the file names the key, the file and the line.
TEST(SimOptions, MalformedValueNamesKeyAndLine) {
  const std::string file = WriteScenario("bad.ini", "seed = 3\nmessage_size = uniform:9:x\n");
  ResolvedOptions o;
  auto err = Resolve({file}, &o);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find(file + ":2"), std::string::npos) << err->message;
  EXPECT_NE(err->message.find("message_size"), std::string::npos) << err->message;
}

// A line that is not `key = value` is rejected with its line.
TEST(SimOptions, GarbageLineRejected) {
  const std::string file = WriteScenario("garbage.ini", "mode = pager\nthis is not ini\n");
  ResolvedOptions o;
  auto err = Resolve({file}, &o);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find(file + ":2"), std::string::npos) << err->message;
}

// The command line wins over the file, which wins over the default; sources are kept.
TEST(SimOptions, CommandLineWins) {
  const std::string file = WriteScenario("prec.ini", "mode = session-msrp\nseed = 7\n[core]\ndelay = 30ms\n");
  ResolvedOptions o;
  ASSERT_FALSE(Resolve({file, "--seed", "9", "--pcap"}, &o));
  EXPECT_EQ(o.Get("mode"), "session-msrp");
  EXPECT_EQ(o.settings["mode"].source.ToString(), file + ":1");
  EXPECT_EQ(o.Get("seed"), "9");
  EXPECT_TRUE(o.settings["seed"].source.from_command_line);
  EXPECT_EQ(o.Get("core.delay"), "30ms");
  EXPECT_EQ(o.Get("pcap"), "true");
  EXPECT_EQ(o.Get("transport"), "udp");  // default
  EXPECT_EQ(o.Get("name"), "prec");
  EXPECT_EQ(o.Get("out"), "results/prec");
}

// A comment may follow a section header as it may follow a value (after
// whitespace): "[access] # the links" was refused as a malformed header.
// " #" inside the brackets starts a comment too, which leaves the header
// unclosed: refused, naming it.
TEST(SimOptions, CommentAfterSectionHeader) {
  const std::string file = WriteScenario("hdrcomment.ini", "[access]  # the UAs' links\nrate = 5Mbps\n[core] ; core\ndelay = 7ms\n");
  ResolvedOptions o;
  const auto err = Resolve({file}, &o);
  ASSERT_FALSE(err) << err->message;
  EXPECT_EQ(o.Get("access.rate"), "5Mbps");
  EXPECT_EQ(o.Get("core.delay"), "7ms");
  const std::string inside = WriteScenario("hdrinside.ini", "[access #x]\nrate = 5Mbps\n");
  EXPECT_NE(ResolveError({inside}).find(inside + ":1: malformed section header '[access #x]'"), std::string::npos)
      << ResolveError({inside});
}

// A quoted value keeps what an unquoted one would lose: "see #3" was cut
// to "see" by the comment rule. Escapes, a comment after the quote, and
// each malformed quote (unclosed, bad escape, text after it) are checked,
// the errors naming file, line and key.
TEST(SimOptions, QuotedValues) {
  const std::string file = WriteScenario(
      "quoted.ini", "description = \"see #3; then \\\"that\\\" \\\\ \"  # why\nname = \"q\"\n");
  ResolvedOptions o;
  const auto err = Resolve({file}, &o);
  ASSERT_FALSE(err) << err->message;
  EXPECT_EQ(o.Get("description"), "see #3; then \"that\" \\ ");
  EXPECT_EQ(o.Get("name"), "q");
  const std::string unclosed = WriteScenario("unclosed.ini", "seed = 2\ndescription = \"see #3\n");
  EXPECT_EQ(ResolveError({unclosed}), unclosed + ":2: value of 'description': the quote is never closed");
  const std::string escape = WriteScenario("escape.ini", "description = \"a\\nb\"\n");
  EXPECT_NE(ResolveError({escape}).find(escape + ":1: value of 'description': a backslash in quotes"),
            std::string::npos)
      << ResolveError({escape});
  const std::string trailing = WriteScenario("trailing.ini", "description = \"a\" b\n");
  EXPECT_EQ(ResolveError({trailing}), trailing + ":1: value of 'description': unexpected 'b' after the closing quote");
  const std::string glued = WriteScenario("glued.ini", "description = \"a\"# b\n");
  EXPECT_NE(ResolveError({glued}).find("unexpected '# b'"), std::string::npos) << ResolveError({glued});
}

// "key = # why" is an empty value followed by a comment, not the value
// "# why"; and --dry-run's text, read back as a scenario, gives every key
// its value: an empty description was written "description =    # default"
// and read back as "# default" (found by fuzz_scenario), and a quoted one
// lost its quotes.
TEST(SimOptions, DryRunTextReadsBack) {
  const std::string file = WriteScenario("dryback.ini", "description = \"a #1; \\\"b\\\" \"\nseed = # none\n");
  EXPECT_NE(ResolveError({file}).find(file + ":2: malformed value of 'seed'"), std::string::npos)
      << ResolveError({file});
  const std::string ok = WriteScenario("dryback-ok.ini", "description = \"a #1; \\\"b\\\" \"\n");
  for (const std::string& path : {ok, WriteScenario("dryback-empty.ini", "description = ; none\n")}) {
    ResolvedOptions first;
    ASSERT_FALSE(Resolve({path}, &first));
    const std::string again = WriteScenario("dryback-again.ini", DescribeResolved(first));
    ResolvedOptions second;
    const auto err = Resolve({again}, &second);
    ASSERT_FALSE(err) << err->message;
    for (const auto& [key, setting] : first.settings) {
      if (key == "name" || key == "out") continue;  // the default comes from the file's name
      EXPECT_EQ(second.Get(key), setting.value) << key;
    }
  }
}

// memory_limit: auto shares three quarters of the machine's memory among
// the point-runs running at once; an explicit size below 64 MiB, or a
// malformed one, is refused naming the key.
TEST(SimOptions, MemoryLimit) {
  const auto usable = UsableMemoryBytes();
  ASSERT_TRUE(usable);
  std::uint64_t one = 0, two = 0, fixed = 0, off = 1;
  std::string how, e;
  ASSERT_TRUE(ResolveMemoryLimit("auto", 1, &one, &how, &e)) << e;
  ASSERT_TRUE(ResolveMemoryLimit("auto", 2, &two, &how, &e)) << e;
  EXPECT_EQ(one, std::max(*usable / 4 * 3, kMinMemoryLimit));
  EXPECT_EQ(two, std::max(*usable / 4 * 3 / 2, kMinMemoryLimit));
  EXPECT_NE(how.find("shared by 2 point-run(s)"), std::string::npos) << how;
  ASSERT_TRUE(ResolveMemoryLimit("1.5GiB", 4, &fixed, &how, &e)) << e;
  EXPECT_EQ(fixed, 3ull << 29);
  ASSERT_TRUE(ResolveMemoryLimit("off", 1, &off, &how, &e)) << e;
  EXPECT_EQ(off, 0u);
  const std::string file = WriteScenario("mem.ini", "memory_limit = 3MiB\n");
  EXPECT_NE(ResolveError({file}).find(file + ":1"), std::string::npos) << ResolveError({file});
  EXPECT_NE(ResolveError({file}).find("below 64.0 MiB"), std::string::npos) << ResolveError({file});
  const std::string ok = WriteScenario("mem-ok.ini", "memory_limit = 8GiB\n");
  EXPECT_EQ(ResolveError({ok}), "");
  EXPECT_EQ(ResolveError({ok, "--memory_limit", "off"}), "");
  EXPECT_NE(ResolveError({ok, "--memory_limit", "lots"}).find("memory_limit"), std::string::npos);
}

// Unknown and malformed command-line options are errors too.
TEST(SimOptions, BadCommandLine) {
  const std::string file = WriteScenario("ok.ini", "mode = pager\n");
  ResolvedOptions o;
  auto err = Resolve({file, "--no-such-key", "1"}, &o);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("no-such-key"), std::string::npos) << err->message;
  ResolvedOptions o2;
  err = Resolve({file, "--access.loss", "1.5"}, &o2);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("access.loss"), std::string::npos) << err->message;
}

// Sweeps expand lists, linear and geometric ranges, and validate each value.
TEST(SimOptions, Sweeps) {
  std::string e;
  auto v = ExpandSweepValues("1,2,5", &e);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<std::string>{"1", "2", "5"}));
  v = ExpandSweepValues("100..400:100", &e);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<std::string>{"100", "200", "300", "400"}));
  v = ExpandSweepValues("1..16*2", &e);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<std::string>{"1", "2", "4", "8", "16"}));
  EXPECT_FALSE(ExpandSweepValues("5..1:1", &e));

  const std::string file =
      WriteScenario("sweep.ini", "[sweep]\nmessages_per_conversation = 1,10\nmode = pager,session-msrp\n");
  ResolvedOptions o;
  ASSERT_FALSE(Resolve({file}, &o));
  const auto points = ExpandPoints(o);
  ASSERT_EQ(points.size(), 4u);
  EXPECT_EQ(points[1].at("messages_per_conversation"), "1");
  EXPECT_EQ(points[1].at("mode"), "session-msrp");
  EXPECT_EQ(points[2].at("messages_per_conversation"), "10");

  const std::string bad = WriteScenario("badsweep.ini", "\n[sweep]\nmode = pager,fax\n");
  ResolvedOptions o2;
  auto err = Resolve({bad}, &o2);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find(bad + ":3"), std::string::npos) << err->message;
}

// --help lists every option with its default; --dry-run shows each value's source.
TEST(SimOptions, HelpAndDryRunText) {
  const std::string help = HelpText();
  for (const auto& spec : OptionTable()) {
    EXPECT_NE(help.find(std::string("--") + spec.key), std::string::npos) << spec.key;
  }
  EXPECT_NE(help.find("(=100Mbps)"), std::string::npos);
  const std::string file = WriteScenario("dry.ini", "mode = session-stripped\n");
  ResolvedOptions o;
  ASSERT_FALSE(Resolve({file, "--dry-run"}, &o));
  EXPECT_TRUE(o.dry_run);
  const std::string text = DescribeResolved(o);
  EXPECT_NE(text.find("mode = session-stripped    # " + file + ":1"), std::string::npos) << text;
  EXPECT_NE(text.find("seed = 1    # default"), std::string::npos) << text;
}

// Units parse as documented, and bad ones say why.
TEST(SimOptions, Units) {
  double d = 0;
  std::string e;
  ASSERT_TRUE(ParseDuration("20ms", &d, &e));
  EXPECT_DOUBLE_EQ(d, 0.02);
  ASSERT_TRUE(ParseRate("10Mbps", &d, &e));
  EXPECT_DOUBLE_EQ(d, 1e7);
  ASSERT_TRUE(ParseProbability("2%", &d, &e));
  EXPECT_DOUBLE_EQ(d, 0.02);
  EXPECT_FALSE(ParseProbability("1.2", &d, &e));
  std::uint64_t b = 0;
  ASSERT_TRUE(ParseBytes("64KiB", &b, &e));
  EXPECT_EQ(b, 65536u);
  EXPECT_FALSE(ParseDuration("5 parsecs", &d, &e));
  EXPECT_NE(e.find("unit"), std::string::npos);
  SizeDistribution s;
  ASSERT_TRUE(ParseSizeDistribution("uniform:100:2KiB", &s, &e));
  EXPECT_EQ(s.b, 2048u);
}

// Cross-key conflicts are caught before anything runs.
TEST(SimOptions, CrossKeyChecks) {
  const std::string file = WriteScenario("cross.ini", "domains = 1\n");
  ResolvedOptions o;
  ASSERT_FALSE(Resolve({file}, &o));
  RunConfig c;
  auto err = BuildConfig(ExpandPoints(o)[0], &c);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("recipients"), std::string::npos);
}

// The seed is ns-3's 32-bit RngSeed: a larger one was cut to 32 bits, so
// seed 4294967297 silently ran as seed 1 and 4294967296 as seed 0 (an ns-3
// abort). run + replications - 1 must not wrap around to run 0 either.
TEST(SimOptions, SeedAndRunStayInRange) {
  const std::string file = WriteScenario("seedrange.ini", "seed = 4294967295\n");
  EXPECT_EQ(ResolveError({file}), "");
  for (const char* seed : {"4294967296", "4294967297"}) {
    const std::string err = ResolveError({file, "--seed", seed});
    EXPECT_NE(err.find("--seed"), std::string::npos) << seed << ": " << err;
    EXPECT_NE(err.find("4294967295"), std::string::npos) << err;
  }
  const std::string in_file = WriteScenario("seedfile.ini", "\nseed = 4294967296\n");
  const std::string from_file = ResolveError({in_file});
  EXPECT_NE(from_file.find(in_file + ":2"), std::string::npos) << from_file;
  const std::string runs = WriteScenario("runwrap.ini", "run = 18446744073709551615\nreplications = 2\n");
  const std::string wrap = ResolveError({runs});
  EXPECT_NE(wrap.find("replications"), std::string::npos) << wrap;
  EXPECT_NE(wrap.find(runs + ":"), std::string::npos) << wrap;
  EXPECT_EQ(ResolveError({runs, "--replications", "1"}), "");
}

// Numbers too large for what they become are refused, not wrapped: a rate
// of 1e30Gbps crashed the point (SIGFPE in ns-3's DataRate), stop_time =
// 1e30s overflowed ns-3's 64-bit nanosecond Time and ran anyway, and
// message_size = 1e30 was cast to 0 and reported as "zero". A non-zero
// duration below ns-3's 1 ns resolution would silently become 0.
TEST(SimOptions, HugeAndTinyNumbersRefused) {
  double d = 0;
  std::uint64_t b = 0;
  std::string e;
  EXPECT_FALSE(ParseDuration("1e30s", &d, &e));
  EXPECT_NE(e.find("1e30s"), std::string::npos) << e;
  EXPECT_NE(e.find("too long"), std::string::npos) << e;
  EXPECT_FALSE(ParseDuration("1e12", &d, &e));
  EXPECT_FALSE(ParseDuration("0.5ns", &d, &e));
  EXPECT_NE(e.find("1 ns"), std::string::npos) << e;
  EXPECT_TRUE(ParseDuration("0", &d, &e));
  EXPECT_TRUE(ParseDuration("1ns", &d, &e));
  EXPECT_TRUE(ParseDuration("1000000min", &d, &e));
  EXPECT_FALSE(ParseRate("1e30Gbps", &d, &e));
  EXPECT_NE(e.find("too high"), std::string::npos) << e;
  EXPECT_FALSE(ParseRate("20000000000000000000bps", &d, &e));
  EXPECT_TRUE(ParseRate("100Gbps", &d, &e));
  e.clear();
  EXPECT_FALSE(ParseBytes("1e30", &b, &e));
  EXPECT_NE(e.find("too large"), std::string::npos) << e;
  EXPECT_FALSE(ParseBytes("99999999999999999999", &b, &e));
  SizeDistribution s;
  EXPECT_FALSE(ParseSizeDistribution("1e30", &s, &e));
  EXPECT_EQ(e.find("zero"), std::string::npos) << e;

  const std::string file = WriteScenario("huge.ini", "mode = pager\n");
  const std::string stop = ResolveError({file, "--stop_time", "1e30s"});
  EXPECT_NE(stop.find("--stop_time"), std::string::npos) << stop;
  const std::string rate = ResolveError({file, "--core.rate", "1e30Gbps"});
  EXPECT_NE(rate.find("--core.rate"), std::string::npos) << rate;
}

// The SIP timers T1 and T2 must be above zero: with t2 = 0 a lost UDP
// request was retransmitted every 0 s, so simulated time stopped and the
// point hung; with t1 = 0 every transaction timed out the instant it began.
TEST(SimOptions, SipTimersAboveZero) {
  const std::string file = WriteScenario("timers.ini", "[access]\nloss = 50%\n");
  for (const char* key : {"--t1", "--t2"}) {
    for (const char* zero : {"0", "0ms"}) {
      const std::string err = ResolveError({file, key, zero});
      EXPECT_NE(err.find(key), std::string::npos) << key << " " << zero << ": " << err;
    }
  }
  const std::string swept = WriteScenario("timersweep.ini", "\n[sweep]\nt2 = 0,4\n");
  const std::string err = ResolveError({swept});
  EXPECT_NE(err.find(swept + ":3"), std::string::npos) << err;
  EXPECT_EQ(ResolveError({file, "--t1", "1ms", "--t2", "2ms", "--t4", "0"}), "");
  // T2 below T1 (t2 = 1ns under the default t1 = 500ms) retransmitted every
  // nanosecond for 64*T1: billions of events, a hang too. Checked per point.
  const std::string cross = PointError({file, "--t2", "1ns"});
  EXPECT_NE(cross.find("t2 (1ns) is below t1 (500ms)"), std::string::npos) << cross;
}

// Sweeps and replications multiply: two lists of 1000 values made a
// million points, and replications = 100000000 a hundred million jobs,
// which sipim run built in memory (even for --dry-run) until it ran out.
// Their product is capped, and the message names what multiplies.
TEST(SimOptions, PointRunsAreCapped) {
  const std::string file = WriteScenario("product.ini", "[sweep]\nconversations = 1..1000:1\n");
  const std::string two = ResolveError({file, "--sweep.messages_per_conversation", "1..1000:1"});
  EXPECT_NE(two.find("sweep.conversations (" + file + ":2, 1000 values)"), std::string::npos) << two;
  EXPECT_NE(two.find("sweep.messages_per_conversation (command line, 1000 values)"), std::string::npos) << two;
  EXPECT_NE(two.find("1000000"), std::string::npos) << two;
  const std::string reps = ResolveError({file, "--replications", "100000000"});
  EXPECT_NE(reps.find("replications"), std::string::npos) << reps;
  EXPECT_EQ(ResolveError({file, "--replications", "100"}), "");
  // Products that overflow 64 bits are caught too, not wrapped below the cap.
  const std::string big = ResolveError({file, "--replications", "18446744073709551615"});
  EXPECT_NE(big.find("replications"), std::string::npos) << big;
}

// A flag missing its value must not take the next flag as its value:
// `--out --dry-run` ran the whole scenario for real into a directory named
// "--dry-run". `--key=--value` still gives such a value on purpose.
TEST(SimOptions, FlagMissingItsValueDoesNotSwallowTheNext) {
  const std::string file = WriteScenario("swallow.ini", "mode = pager\n");
  const std::string out = ResolveError({file, "--out", "--dry-run"});
  EXPECT_NE(out.find("'--out' needs a value"), std::string::npos) << out;
  EXPECT_NE(out.find("--dry-run"), std::string::npos) << out;
  const std::string seed = ResolveError({file, "--seed", "--pcap"});
  EXPECT_NE(seed.find("'--seed' needs a value"), std::string::npos) << seed;
  const std::string sweep = ResolveError({file, "--sweep.seed", "--access.rate", "1Mbps"});
  EXPECT_NE(sweep.find("'--sweep.seed' needs a value"), std::string::npos) << sweep;
  ResolvedOptions o;
  ASSERT_FALSE(Resolve({file, "--description=--dry-run", "--pcap", "--dry-run"}, &o));
  EXPECT_EQ(o.Get("description"), "--dry-run");
  EXPECT_EQ(o.Get("pcap"), "true");
  EXPECT_TRUE(o.dry_run);
}

// Within one layer (the file, or the command line) a sweep is given once,
// and a key is either set or swept: a second [sweep] line for the same key
// silently replaced the first list, and `conversations = 5` beside a sweep
// of conversations was silently dropped. Across layers the command line
// still wins: its sweep replaces the file's, its value replaces a sweep.
TEST(SimOptions, SweepGivenTwiceOrBesideItsValueIsRefused) {
  const std::string twice = WriteScenario("sweeptwice.ini", "[sweep]\nconversations = 1,2\nconversations = 3\n");
  const std::string err = ResolveError({twice});
  EXPECT_NE(err.find(twice + ":3"), std::string::npos) << err;
  EXPECT_NE(err.find(twice + ":2"), std::string::npos) << err;
  const std::string cli = WriteScenario("sweepcli.ini", "mode = pager\n");
  const std::string cli_twice = ResolveError({cli, "--sweep.seed", "1,2", "--sweep.seed", "3"});
  EXPECT_NE(cli_twice.find("sweep.seed"), std::string::npos) << cli_twice;
  EXPECT_NE(cli_twice.find("command line"), std::string::npos) << cli_twice;

  const std::string both = WriteScenario("setandswept.ini", "conversations = 5\n[sweep]\nconversations = 1,2\n");
  const std::string set_swept = ResolveError({both});
  EXPECT_NE(set_swept.find(both + ":1"), std::string::npos) << set_swept;
  EXPECT_NE(set_swept.find(both + ":3"), std::string::npos) << set_swept;
  const std::string cli_both = ResolveError({cli, "--conversations", "3", "--sweep.conversations", "1,2"});
  EXPECT_NE(cli_both.find("conversations"), std::string::npos) << cli_both;

  ResolvedOptions o;
  ASSERT_FALSE(Resolve({both, "--sweep.conversations", "7,8"}, &o));  // command line sweep over the file's
  ASSERT_EQ(o.sweeps.size(), 1u);
  EXPECT_EQ(o.sweeps[0].values, (std::vector<std::string>{"7", "8"}));
  ResolvedOptions fixed;
  ASSERT_FALSE(Resolve({WriteScenario("sweeponly.ini", "[sweep]\nconversations = 1,2\n"),
                        "--conversations", "4"},
                       &fixed));  // a command-line value over the file's sweep
  EXPECT_TRUE(fixed.sweeps.empty());
  EXPECT_EQ(fixed.Get("conversations"), "4");
}

// Range values keep every digit: they were printed with 9 significant
// digits, so 1000000001..1000000003:1 swept 1e+09 three times (and a
// message_size of 1234567891 ran as 1234567890). Whole numbers print as
// integers, fractions without floating-point noise.
TEST(SimOptions, SweepRangesKeepEveryDigit) {
  std::string e;
  auto v = ExpandSweepValues("1000000001..1000000003:1", &e);
  ASSERT_TRUE(v) << e;
  EXPECT_EQ(*v, (std::vector<std::string>{"1000000001", "1000000002", "1000000003"}));
  v = ExpandSweepValues("100000..300000:100000", &e);
  ASSERT_TRUE(v) << e;
  EXPECT_EQ(*v, (std::vector<std::string>{"100000", "200000", "300000"}));
  v = ExpandSweepValues("0.1..0.3:0.1", &e);
  ASSERT_TRUE(v) << e;
  EXPECT_EQ(*v, (std::vector<std::string>{"0.1", "0.2", "0.3"}));
  v = ExpandSweepValues("0.0001..0.0003:0.0001", &e);  // as before, not "1e-04"
  ASSERT_TRUE(v) << e;
  EXPECT_EQ(*v, (std::vector<std::string>{"0.0001", "0.0002", "0.0003"}));
  v = ExpandSweepValues("4294967295..17179869180*2", &e);
  ASSERT_TRUE(v) << e;
  EXPECT_EQ(*v, (std::vector<std::string>{"4294967295", "8589934590", "17179869180"}));
}

// IM sizes are 1 byte to 16 MiB, the range the workload draws: before,
// message_size = 5000000000 was cut to 32 bits and sent 705032704-byte
// IMs, uniform:1:100MiB and exponential:100MiB were silently capped at
// 16 MiB, and uniform:0:10 sent its 0-byte draws as 1 byte.
TEST(SimOptions, MessageSizesWithinWhatIsSent) {
  SizeDistribution d;
  std::string e;
  for (const char* bad : {"5000000000", "fixed:17MiB", "uniform:0:10", "uniform:1:100MiB", "exponential:100MiB"}) {
    e.clear();
    EXPECT_FALSE(ParseSizeDistribution(bad, &d, &e)) << bad;
    EXPECT_NE(e.find(bad), std::string::npos) << bad << ": " << e;
  }
  for (const char* good : {"1", "16MiB", "uniform:1:16MiB", "exponential:16MiB"}) {
    EXPECT_TRUE(ParseSizeDistribution(good, &d, &e)) << good << ": " << e;
  }
  const std::string file = WriteScenario("bigim.ini", "\nmessage_size = 5000000000\n");
  const std::string err = ResolveError({file});
  EXPECT_NE(err.find(file + ":2"), std::string::npos) << err;
}

// A scenario file is UTF-8 text. Before, a NUL cut a value short where it
// was used (out = /tmp/a<NUL>b wrote to /tmp/a), invalid UTF-8 in the
// description went into metadata.json and made it invalid JSON, "[ ]" (an
// empty section name) silently put its keys at the top level, and the
// byte-order mark some editors write made line 1 an "unknown key" whose
// name looked right. Now the mark is skipped, and the rest names the line.
TEST(SimOptions, ScenarioTextMustBeCleanUtf8) {
  const std::string bom = WriteScenario("bom.ini", "\xEF\xBB\xBF" "conversations = 3\n");
  ResolvedOptions o;
  ASSERT_FALSE(Resolve({bom}, &o));
  EXPECT_EQ(o.Get("conversations"), "3");
  const std::string utf8 = WriteScenario("utf8.ini", "description = Gr\xC3\xBC\xC3\x9F\xC3\xA9 \xE2\x9C\x93\tok\r\n");
  ResolvedOptions u;
  ASSERT_FALSE(Resolve({utf8}, &u));
  EXPECT_EQ(u.Get("description"), "Gr\xC3\xBC\xC3\x9F\xC3\xA9 \xE2\x9C\x93\tok");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"nul.ini", std::string("mode = pager\nout = /tmp/a\0b\n", 28)},
      {"latin1.ini", "mode = pager\ndescription = caf\xE9\n"},
      {"control.ini", "mode = pager\ndescription = a\x01z\n"},
      {"lonecr.ini", "mode = pager\nconversations = 1\rseed = 2\n"},
      {"overlong.ini", "mode = pager\ndescription = \xC0\xAF\n"},
      {"emptysection.ini", "mode = pager\n[ ]\nconversations = 2\n"},
  };
  for (const auto& [name, text] : bad) {
    const std::string file = WriteScenario(name, text);
    const std::string err = ResolveError({file});
    EXPECT_NE(err.find(file + ":2"), std::string::npos) << name << ": " << err;
  }
  const std::string ok = WriteScenario("clean.ini", "mode = pager\n");
  const std::string cli = ResolveError({ok, "--description", "caf\xE9"});
  EXPECT_NE(cli.find("--description"), std::string::npos) << cli;
}

// Flags are spelled in full, as keys in the file are: Boost guessed
// abbreviations, so `--conv 5` set conversations and `--stop 5s` stop_time,
// while `--sweep.conv` or `conv = 5` in a file were unknown keys.
TEST(SimOptions, FlagsAreNotAbbreviated) {
  const std::string file = WriteScenario("abbrev.ini", "mode = pager\n");
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--conv", "5"}, {"--stop", "5s"}, {"--access.de", "5ms"}}) {
    const std::string err = ResolveError({file, flag, value});
    EXPECT_NE(err.find("'" + flag + "'"), std::string::npos) << flag << ": " << err;
  }
  EXPECT_EQ(ResolveError({file, "--conversations", "5", "--stop_time", "5s"}), "");
}

// The name becomes the results directory results/<name>: name = .. made
// that results/.. (the working directory), where the run removes pcap/,
// .work/ and the CSVs of an earlier run. "." and ".." are refused, also
// when the name comes from the scenario file's name ("...ini").
TEST(SimOptions, NameIsNotADotDirectory) {
  const std::string file = WriteScenario("dotname.ini", "\nname = ..\n");
  const std::string err = ResolveError({file});
  EXPECT_NE(err.find(file + ":2"), std::string::npos) << err;
  const std::string plain = WriteScenario("plainname.ini", "mode = pager\n");
  const std::string dot = ResolveError({plain, "--name", "."});
  EXPECT_NE(dot.find("--name"), std::string::npos) << dot;
  const std::string stem = WriteScenario("...ini", "mode = pager\n");
  const std::string from_stem = ResolveError({stem});
  EXPECT_NE(from_stem.find("name"), std::string::npos) << from_stem;
  EXPECT_NE(from_stem.find(stem), std::string::npos) << from_stem;
  EXPECT_EQ(ResolveError({stem, "--name", "dots"}), "");
}

// A scenario is a short text file: /dev/zero or /dev/urandom as the
// scenario was read until memory ran out (std::bad_alloc, abort), and a
// huge file would be too. A device, or a file above 1 MiB, is refused
// with its name before anything is read.
TEST(SimOptions, ScenarioThatNeverEndsIsRefused) {
  for (const char* device : {"/dev/zero", "/dev/urandom"}) {
    const std::string err = ResolveError({device});
    EXPECT_NE(err.find(std::string(device) + ": "), std::string::npos) << err;
    EXPECT_NE(err.find("not a regular file"), std::string::npos) << err;
  }
  const std::string big = WriteScenario("big.ini", "description = " + std::string(1100000, 'x') + "\n");
  const std::string err = ResolveError({big});
  EXPECT_NE(err.find(big + ": "), std::string::npos) << err;
  EXPECT_NE(err.find("1 MiB"), std::string::npos) << err;
  const std::string fits = WriteScenario("fits.ini", "description = " + std::string(900000, 'x') + "\n");
  EXPECT_EQ(ResolveError({fits}), "");
}

// A FIFO passes the device check (`sipim run <(generate-scenario)` is
// legitimate), so the size limit must hold while reading: `<(yes)` as the
// scenario was read until memory ran out. A writer that never stops is
// refused at 1 MiB, naming the file.
TEST(SimOptions, EndlessFifoIsRefusedAtTheSizeLimit) {
  const std::string fifo = testing::TempDir() + "/endless_" + std::to_string(getpid()) + ".ini";
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  const pid_t writer = ::fork();
  ASSERT_GE(writer, 0);
  if (writer == 0) {
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    const std::string line = "# yes\n";
    while (fd >= 0 && ::write(fd, line.data(), line.size()) > 0) {
    }
    _exit(0);
  }
  const std::string err = ResolveError({fifo});
  ::kill(writer, SIGKILL);
  ::waitpid(writer, nullptr, 0);
  ::unlink(fifo.c_str());
  EXPECT_NE(err.find(fifo + ": cannot read the scenario file: larger than 1048576 bytes"), std::string::npos)
      << err;
}

// The workload must start before the simulation stops: start_time = 2s
// with stop_time = 1s (or stop_time = 0) ran, sent no IM at all, and
// reported "0 IMs sent ... OK" with exit 0. Checked per point, naming both.
TEST(SimOptions, StartBeforeStop) {
  const std::string file = WriteScenario("startstop.ini", "start_time = 2s\nstop_time = 1s\n");
  const std::string err = PointError({file});
  EXPECT_NE(err.find("start_time (2s)"), std::string::npos) << err;
  EXPECT_NE(err.find("stop_time (1s)"), std::string::npos) << err;
  EXPECT_EQ(PointError({file, "--stop_time", "3s"}), "");
}

// A point's IM count (conversations x messages_per_conversation x
// group_size) must fit in 64 bits: 2^64-1 conversations of 2 IMs wrapped,
// and --dry-run printed "18446744073709551614 IMs". Refused per point,
// naming the three keys; the largest product that fits is still accepted.
TEST(SimOptions, ImCountMustNotWrap) {
  const std::string file = WriteScenario("ims.ini", "mode = pager\n");
  std::string err = PointError({file, "--conversations", "18446744073709551615", "--messages_per_conversation", "2"});
  EXPECT_NE(err.find("conversations x messages_per_conversation x group_size"), std::string::npos) << err;
  EXPECT_NE(err.find("18446744073709551615"), std::string::npos) << err;
  EXPECT_EQ(PointError({file, "--conversations", "9223372036854775807", "--messages_per_conversation", "2"}), "");
}

// Counts held in 32 bits (domains, users_per_domain, devices_per_user,
// group_size, message_size_limit) are checked where they are written: a
// value above 4294967295 passed the file's check and was refused only when
// the point was built, without the file's line.
TEST(SimOptions, ThirtyTwoBitCountsNameTheirLine) {
  for (const char* key : {"domains", "users_per_domain", "devices_per_user", "group_size", "message_size_limit"}) {
    const std::string file = WriteScenario("u32.ini", std::string("mode = pager\n") + key + " = 4294967296\n");
    const std::string err = ResolveError({file});
    EXPECT_NE(err.find(file + ":2"), std::string::npos) << key << ": " << err;
    EXPECT_NE(err.find("4294967295"), std::string::npos) << key << ": " << err;
  }
}

// A number out of double's range, or NaN/infinity, is named as such: 1e400s
// and 1e-400s were said to "not start with a number", which they do.
TEST(SimOptions, OutOfRangeNumbersSaySo) {
  double d = 0;
  std::string e;
  for (const char* text : {"1e400s", "1e-400s", "-1e400"}) {
    EXPECT_FALSE(ParseDuration(text, &d, &e)) << text;
    EXPECT_NE(e.find("'" + std::string(text) + "' is out of range"), std::string::npos) << e;
  }
  for (const char* text : {"nan", "inf", "-infinity", "NaNms"}) {
    EXPECT_FALSE(ParseDuration(text, &d, &e)) << text;
    EXPECT_NE(e.find("'" + std::string(text) + "' is not a finite number"), std::string::npos) << e;
  }
  EXPECT_FALSE(ParseDuration("ms", &d, &e));
  EXPECT_NE(e.find("does not start with a number"), std::string::npos) << e;
}

// The scenario's path goes into metadata.json (and its stem is the default
// name): a path that is not UTF-8, such as a Latin-1 caf\xE9.ini, made
// metadata.json invalid JSON. It is refused, naming the byte.
TEST(SimOptions, ScenarioPathMustBeUtf8) {
  const std::string latin1 = WriteScenario("caf\xE9.ini", "mode = pager\n");
  const std::string err = ResolveError({latin1});
  EXPECT_NE(err.find("byte"), std::string::npos) << err;
  EXPECT_NE(err.find("not UTF-8"), std::string::npos) << err;
  const std::string utf8 = WriteScenario("caf\xC3\xA9.ini", "mode = pager\n");
  EXPECT_EQ(ResolveError({utf8}), "");
}

// CSV fields are quoted per RFC 4180 and numbers print the same way every time.
TEST(SimOptions, CsvWriter) {
  const std::string path = testing::TempDir() + "/t.csv";
  {
    CsvWriter w(path, {"a", "b", "c"});
    w.Add("x,y").Add(0.1).Add(std::uint64_t{3});
    EXPECT_TRUE(w.EndRow());
    w.Add("q\"").Add(-0.0);
    EXPECT_FALSE(w.EndRow());  // short row detected
  }
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "a,b,c\n\"x,y\",0.1,3\n\"q\"\"\",0\n");
}

// The CSV number format (std::to_chars with precision 9) writes exactly
// what printf("%.9g") wrote before it, over magnitudes, signs, short and
// long digit strings, subnormals, both notations, and the edges of the quick
// path (powers of ten, halves, carries).
TEST(SimOptions, NumberFormatMatchesPrintf) {
  std::vector<double> values = {1, -1, 999999999, 1e9, -999999999, -1e9, 123456789012.0, 0.1, 1e-300, 5e-324, 1.7976931348623157e308, 123456789.5, 1234567895,
                                0.0140832504, 2.247e-06, 33.0281431, 2480.5, 1e21, 1.25e-5, 999999999.5, 0.5};
  std::uint64_t x = 88172645463325252ull;  // xorshift: many doubles of every magnitude
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    double v;
    std::memcpy(&v, &x, sizeof v);
    if (std::isfinite(v)) values.push_back(v);
    values.push_back(static_cast<double>(x % 100000000) / 1e6);
    values.push_back(static_cast<double>(x % 2000000000) - 1e9);  // whole numbers around +-1e9
    values.push_back(static_cast<double>(x % 1000000000) * 1e-9);
    values.push_back(-static_cast<double>(x % 100000) * 1e7);
    values.push_back(static_cast<double>(x % 4096) / 1024.0 * std::pow(10.0, static_cast<int>(x % 40) - 20));
  }
  // Where the quick path (1e-14 .. 1e9) must hand over to to_chars: next to
  // every power of ten it covers (those below 1 are inexact as doubles), at
  // halves of the ninth digit, and where rounding carries into a tenth.
  for (int k = -16; k <= 10; ++k) {
    const double p = std::pow(10.0, k);
    for (double q : {p, std::nextafter(p, 0.0), std::nextafter(p, 2 * p), p * (1 - 4e-10), p * (1 - 6e-10),
                     p * 1.000000005, p * 1.0000000051, p * 1.0000000049, p * 9.999999995, p * 9.9999999949})
      for (double sign : {1.0, -1.0}) values.push_back(sign * q);
  }
  for (double m : {123456789.0, 100000000.0, 987654321.0, 314159265.0, 500000000.0, 999999998.0})
    for (int k = -24; k <= 0; ++k) {
      const double tie = (m + 0.5) * std::pow(10.0, k);  // a half at the ninth digit, as near as a double gets
      for (double q : {tie, std::nextafter(tie, 0.0), std::nextafter(tie, 2 * tie)}) values.push_back(q);
    }
  for (std::int64_t ns : {1LL, 999LL, 1000001LL, 1234567891LL, 1000000000LL, 99999999999LL, 5000000005LL})
    values.push_back(static_cast<double>(ns) * 1e-9);  // times in seconds from ns-3 nanoseconds
  for (double v : values) {
    if (v == 0) continue;  // the CSVs write every zero as "0" (below)
    char expected[64];
    std::snprintf(expected, sizeof expected, "%.9g", v);
    ASSERT_EQ(FormatNumber(v), expected) << v;
  }
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(std::nan("")), "");
}

}  // namespace
}  // namespace sipim::run

// Quantiles by nearest rank, the value at rank ceil(q*n), as
// analysis/simlib.py computes them. Before, summary.csv took the value at
// index floor(q*n), one rank too high whenever q*n is whole: the p50 of
// four values was the third, and the p95 of twenty the maximum.
TEST(SimUnits, NearestRankQuantile) {
  const std::vector<double> four{1, 2, 3, 4};
  EXPECT_EQ(sipim::run::NearestRankQuantile(four, 0.5), 2);
  EXPECT_EQ(sipim::run::NearestRankQuantile(four, 0.95), 4);
  std::vector<double> twenty;
  for (int i = 1; i <= 20; ++i) twenty.push_back(i);
  EXPECT_EQ(sipim::run::NearestRankQuantile(twenty, 0.95), 19);
  EXPECT_EQ(sipim::run::NearestRankQuantile(twenty, 0.5), 10);
  EXPECT_EQ(sipim::run::NearestRankQuantile({7}, 0.5), 7);
  EXPECT_TRUE(std::isnan(sipim::run::NearestRankQuantile({}, 0.5)));
}
