// `sipim parse` end to end: the real binary on the RFC 4475 / RFC 5118
// torture corpora, streams, stdin, bad usage and damaged input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "json_check.h"

namespace {

struct RunResult {
  int exit_code = -1;  // -1 when the process died by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "sipim_cli_" + std::to_string(getpid()) + "_" + name;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Runs `sipim parse ARGS` with stdin read from the file `in`.
RunResult SipimReading(const std::vector<std::string>& args, const std::string& in) {
  const std::string out = TempPath("stdout"), err = TempPath("stderr");
  pid_t pid = fork();
  if (pid == 0) {
    if (!std::freopen(in.c_str(), "rb", stdin) || !std::freopen(out.c_str(), "wb", stdout) ||
        !std::freopen(err.c_str(), "wb", stderr))
      _exit(127);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(SIPIM_EXE));
    argv.push_back(const_cast<char*>("parse"));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(SIPIM_EXE, argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  RunResult r;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  return r;
}

// Runs `sipim parse ARGS` with stdin from `input`.
RunResult Sipim(const std::vector<std::string>& args, const std::string& input = "") {
  const std::string in = TempPath("stdin");
  WriteFile(in, input);
  return SipimReading(args, in);
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::string kCorpus = SIPIM_CORPUS_DIR;
const std::string kBenchCorpus = std::string(SIPIM_SOURCE_DIR) + "/bench/corpus/";

// What `sipim parse` answers for each RFC 4475 message: 0 parsed, 1 rejected.
// Where RFC 4475 lets a liberal parser accept, the comment states the choice.
const std::map<std::string, int> kRfc4475Expected = {
    // 3.1.1 valid messages: all parse.
    {"wsinv.dat", 0}, {"intmeth.dat", 0}, {"esc01.dat", 0}, {"escnull.dat", 0},
    {"esc02.dat", 0}, {"lwsdisp.dat", 0}, {"longreq.dat", 0}, {"dblreq.dat", 0},
    {"semiuri.dat", 0}, {"transports.dat", 0}, {"mpart01.dat", 0}, {"unreason.dat", 0},
    {"noreason.dat", 0},
    // 3.1.2 invalid messages: all rejected, including every one where a
    // liberal parser may accept (ltgtruri, lwsstart, trws, escruri, regbadct):
    // sipim's parser is strict. baddate is accepted: Date is not needed.
    {"badinv01.dat", 1}, {"clerr.dat", 1}, {"ncl.dat", 1}, {"scalar02.dat", 1},
    {"scalarlg.dat", 1}, {"quotbal.dat", 1}, {"ltgtruri.dat", 1}, {"lwsruri.dat", 1},
    {"lwsstart.dat", 1}, {"trws.dat", 1}, {"escruri.dat", 1}, {"baddate.dat", 0},
    {"regbadct.dat", 1}, {"badaspec.dat", 1}, {"baddn.dat", 1}, {"badvers.dat", 1},
    {"mismatch01.dat", 1}, {"mismatch02.dat", 1}, {"bigcode.dat", 1},
    // 3.2 transaction layer: syntactically valid.
    {"badbranch.dat", 0},
    // 3.3 application layer: the ones RFC 4475 answers with 400 are rejected
    // (missing required fields, multiple single-value fields, two
    // Content-Length values); the others (416, 420, 415, 406, ...) parse.
    {"insuf.dat", 1}, {"unkscm.dat", 0}, {"novelsc.dat", 0}, {"unksm2.dat", 0},
    {"bext01.dat", 0}, {"invut.dat", 0}, {"regaut01.dat", 0}, {"multi01.dat", 1},
    {"mcl01.dat", 1}, {"bcast.dat", 0}, {"zeromf.dat", 0}, {"cparam01.dat", 0},
    {"cparam02.dat", 0}, {"regescrt.dat", 0}, {"sdp01.dat", 0},
    // 3.4 backward compatibility: RFC 2543 syntax is still parsed.
    {"inv2543.dat", 0},
};

// Proves: every RFC 4475 message gets the answer the table above states,
// every accepted one prints one line of valid JSON, and every rejected one
// names file, line, column and reason on stderr.
TEST(ParseCommand, Rfc4475TortureMessages) {
  ASSERT_EQ(kRfc4475Expected.size(), 49u);
  for (const auto& [file, expected] : kRfc4475Expected) {
    const std::string path = kCorpus + "/rfc4475/" + file;
    RunResult r = Sipim({path});
    EXPECT_EQ(r.signal, 0) << file;
    EXPECT_EQ(r.exit_code, expected) << file << "\n" << r.err;
    if (expected == 0) {
      auto lines = Lines(r.out);
      ASSERT_EQ(lines.size(), 1u) << file;
      std::size_t where = 0;
      EXPECT_TRUE(sipim::testing::IsValidJson(lines[0], &where)) << file << " at " << where;
    } else {
      EXPECT_EQ(r.err.rfind(path + ":", 0), 0u) << file << ": " << r.err;
    }
  }
}

// Proves: RFC 5118 IPv6 messages — the good ones parse, the two bad ones
// (R-URI without brackets, ":::" reference) are rejected; the port-ambiguous
// one is syntactically well-formed and parses.
TEST(ParseCommand, Rfc5118TortureMessages) {
  const std::map<std::string, int> expected = {
      {"ipv6-good", 0}, {"ipv6-bad", 1}, {"port-ambiguous", 0}, {"port-unambiguous", 0},
      {"via-received-param-with-delim", 0}, {"via-received-param-no-delim", 0},
      {"ipv6-in-sdp", 0}, {"mult-ip-in-header", 0}, {"mult-ip-in-sdp", 0},
      {"ipv4-mapped-ipv6", 0}, {"ipv6-bug-abnf-3-colons", 1}, {"ipv6-correct-abnf-2-colons", 0}};
  for (const auto& [file, code] : expected) {
    RunResult r = Sipim({kCorpus + "/rfc5118/" + file});
    EXPECT_EQ(r.signal, 0) << file;
    EXPECT_EQ(r.exit_code, code) << file << "\n" << r.err;
  }
}

// Proves: dblreq's second message is ignored in datagram mode and reported
// as ignored trailing bytes.
TEST(ParseCommand, DatagramIgnoresOctetsAfterContentLength) {
  RunResult r = Sipim({kCorpus + "/rfc4475/dblreq.dat"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"method\":\"REGISTER\""), std::string::npos);
  EXPECT_NE(lines[0].find("\"ignored_trailing_bytes\":"), std::string::npos);
}

// Proves: --stream finds every message of a byte stream, with its offset,
// and the typed fields come out right.
TEST(ParseCommand, StreamOfSeveralMessages) {
  std::string stream;
  std::vector<std::size_t> offsets;
  for (const char* name : {"message-2proxies.sip", "ok-200.sip", "register.sip", "invite-msrp.sip"}) {
    offsets.push_back(stream.size());
    stream += ReadAll(kBenchCorpus + name);
  }
  const std::string path = TempPath("stream.sip");
  WriteFile(path, stream);
  RunResult r = Sipim({"--stream", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_TRUE(sipim::testing::IsValidJson(lines[i])) << lines[i];
    EXPECT_NE(lines[i].find("\"offset\":" + std::to_string(offsets[i]) + ","), std::string::npos)
        << lines[i];
  }
  EXPECT_NE(lines[0].find("\"branch\":\"z9hG4bK5Zq3.1\""), std::string::npos);
  EXPECT_NE(lines[0].find("\"cseq\":{\"number\":1,\"method\":\"MESSAGE\"}"), std::string::npos);
  EXPECT_NE(lines[1].find("\"status_code\":200"), std::string::npos);
  EXPECT_NE(lines[2].find("\"expires\":7200"), std::string::npos);
}

// Proves: a stream whose last message is cut short is malformed (exit 1),
// the complete messages before it are still printed, and the error points
// at the end of the input.
TEST(ParseCommand, TruncatedStreamIsMalformed) {
  std::string stream = ReadAll(kBenchCorpus + "register.sip") + ReadAll(kBenchCorpus + "message-2proxies.sip");
  stream.resize(stream.size() - 5);
  const std::string path = TempPath("truncated.sip");
  WriteFile(path, stream);
  RunResult r = Sipim({"--stream", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Lines(r.out).size(), 1u);
  EXPECT_EQ(r.err.rfind(path + ":", 0), 0u) << r.err;
}

// Proves: '-' reads stdin, and MSRP is detected and printed with its
// end-line flag and byte range.
TEST(ParseCommand, MsrpFromStdin) {
  RunResult r = Sipim({"-"}, ReadAll(kBenchCorpus + "msrp-send.msrp"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(sipim::testing::IsValidJson(lines[0]));
  EXPECT_NE(lines[0].find("\"protocol\":\"MSRP\""), std::string::npos);
  EXPECT_NE(lines[0].find("\"transaction_id\":\"a786hjs2\""), std::string::npos);
  EXPECT_NE(lines[0].find("\"end_flag\":\"complete\""), std::string::npos);
  EXPECT_NE(lines[0].find("\"byte_range\":{\"start\":1,"), std::string::npos);
}

// Proves: several MSRP messages in one stream need --stream; with it they
// all parse.
TEST(ParseCommand, MsrpStream) {
  const std::string one = ReadAll(kBenchCorpus + "msrp-send.msrp");
  const std::string path = TempPath("two.msrp");
  WriteFile(path, one + one);
  EXPECT_EQ(Sipim({path}).exit_code, 1);
  RunResult r = Sipim({"--stream", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 2u);
}

// Proves: usage errors and unreadable inputs (missing, a directory) exit 2
// with a message naming the input, --help exits 0.
TEST(ParseCommand, UsageErrors) {
  EXPECT_EQ(Sipim({}).exit_code, 2);
  EXPECT_EQ(Sipim({"--bogus", kBenchCorpus + "register.sip"}).exit_code, 2);
  RunResult missing = Sipim({"/nonexistent/file.sip"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nonexistent/file.sip"), std::string::npos);
  RunResult dir = Sipim({kBenchCorpus});  // a directory: a clear error, not an exception
  EXPECT_EQ(dir.exit_code, 2);
  EXPECT_NE(dir.err.find("is a directory"), std::string::npos) << dir.err;
  RunResult help = Sipim({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: sipim parse"), std::string::npos);
}

// Proves: an input that never ends is refused with a clear error, not read
// until memory runs out (std::bad_alloc, abort): /dev/zero as a file, and
// endless stdin, stop at the 256 MiB limit with exit 2 naming the input.
TEST(ParseCommand, EndlessInputIsRefusedAtTheSizeLimit) {
  RunResult device = Sipim({"--stream", "/dev/zero"});
  EXPECT_EQ(device.signal, 0);
  EXPECT_EQ(device.exit_code, 2);
  EXPECT_NE(device.err.find("/dev/zero"), std::string::npos) << device.err;
  EXPECT_NE(device.err.find("larger than 268435456 bytes"), std::string::npos) << device.err;
  RunResult in = SipimReading({"--stream", "-"}, "/dev/zero");
  EXPECT_EQ(in.signal, 0);
  EXPECT_EQ(in.exit_code, 2);
  EXPECT_NE(in.err.find("larger than 268435456 bytes"), std::string::npos) << in.err;
}

// Proves: damaged input never crashes the command: every prefix of a
// message (every 11th length) and copies with a byte replaced by NUL, CR, LF
// or 0xFF give exit 0 or 1, never a signal, and any output is valid JSON.
TEST(ParseCommand, DamagedInputNeverCrashes) {
  const std::string original = ReadAll(kCorpus + "/rfc4475/wsinv.dat");
  ASSERT_FALSE(original.empty());
  std::vector<std::string> inputs;
  for (std::size_t n = 0; n < original.size(); n += 11) inputs.push_back(original.substr(0, n));
  for (std::size_t i = 0; i < original.size(); i += 29) {
    for (char c : {'\0', '\r', '\n', '\xff'}) {
      std::string s = original;
      s[i] = c;
      inputs.push_back(s);
    }
  }
  for (const auto& input : inputs) {
    for (bool stream : {false, true}) {
      RunResult r = stream ? Sipim({"--stream", "-"}, input) : Sipim({"-"}, input);
      ASSERT_EQ(r.signal, 0) << "input of " << input.size() << " bytes";
      ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.exit_code;
      for (const auto& line : Lines(r.out)) ASSERT_TRUE(sipim::testing::IsValidJson(line));
    }
  }
}

}  // namespace
