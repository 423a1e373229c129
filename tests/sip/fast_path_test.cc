// The parsers' fast paths give exactly the general code's results: every
// RFC 4475 / 5118 message and the bench corpus, mutated at every byte, is
// parsed with the fast paths on and off (sip/fast_path.h), and everything
// the two runs return (errors with offsets, every view as offset and
// length, every typed field) must be the same.
#include <gtest/gtest.h>

#include <cctype>
#include <dirent.h>
#include <string>
#include <vector>

#include "corpus_util.h"
#include "fast_path_summary.h"
#include "sip/fast_path.h"
#include "sip/headers.h"
#include "sip/host.h"
#include "sip/message.h"
#include "sip/uri.h"

namespace sipim::sip {
namespace {

using testing::CorpusPath;
using testing::ReadFile;

// The summary of d with the fast paths on must equal the one with them off.
void ExpectSame(const std::string& d) {
  const std::string fast = fastpath_summary::RunWith(d, false);
  const std::string general = fastpath_summary::RunWith(d, true);
  EXPECT_EQ(fast, general) << "input: " << ::testing::PrintToString(d);
}

std::vector<std::string> Messages() {
  std::vector<std::string> out = testing::TortureMessages();
  // The bench corpus: the plain forms the fast paths are written for.
  const std::string bench = std::string(SIPIM_SOURCE_DIR) + "/bench/corpus";
  if (DIR* dir = opendir(bench.c_str())) {
    while (const dirent* e = readdir(dir)) {
      const std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".sip") == 0) out.push_back(ReadFile(bench + "/" + name));
    }
    closedir(dir);
  }
  return out;
}

// Unmutated messages: both ways agree (and the bench corpus is found).
TEST(SipFastPath, CorpusAgrees) {
  const std::vector<std::string> all = Messages();
  EXPECT_GT(all.size(), 60u);
  for (const std::string& d : all) ExpectSame(d);
}

// Every header byte replaced by each separator, quote, whitespace or control
// byte the fast paths look for, and by bytes >= 0x80 (the field loop's rough
// test): both ways agree, errors and offsets included.
TEST(SipFastPath, MutatedBytesAgree) {
  const char mutations[] = {' ', '\t', '\r', '\0', '"', '\\', ';', '=', ',', '<', '>', ':', '@', '/', '[', 'A', '-', '.', '0',
                            '\n', '\x01', '\x7f', '\x80', '\xff'};
  // Bytes of the body reach no fast path: the header sections are mutated.
  testing::ForEachHeaderByteMutation(Messages(), {mutations, sizeof mutations}, [&](const std::string& d) {
    ExpectSame(d);
    return !HasFailure();  // one report is enough
  });
}

// Every letter of the header section with its case flipped, one at a time:
// the fast paths that compare names folded ("SIP/2.0/", "branch=", "tag=",
// field names) agree with the general code on every mixed-case spelling.
TEST(SipFastPath, CaseFlipsAgree) {
  for (const std::string& full : Messages()) {
    std::string d = full;
    const std::size_t head_end = full.find("\r\n\r\n");
    const std::size_t limit = head_end == std::string::npos ? full.size() : head_end;
    for (std::size_t i = 0; i < limit; ++i) {
      const char orig = d[i];
      if (!std::isalpha(static_cast<unsigned char>(orig))) continue;
      d[i] = static_cast<char>(orig ^ 0x20);
      ExpectSame(d);
      if (HasFailure()) return;
      d[i] = orig;
    }
  }
}

// Hand-written spellings around the directly read parameters and prefixes:
// repeated, valueless, quoted, longer names, other cases and versions.
TEST(SipFastPath, ParameterSpellingsAgree) {
  const std::string head = "MESSAGE sip:a@b.com SIP/2.0\r\n";
  const std::string tail = "CSeq: 1 MESSAGE\r\nCall-ID: x@y\r\nContent-Length: 0\r\n\r\n";
  const char* vias[] = {
      "SIP/2.0/UDP h.com;branch=z9hG4bK1", "SIP/2.0/UDP h.com;BRANCH=z9hG4bK1", "SIP/2.0/UDP h.com;branch=a;branch=b",
      "SIP/2.0/UDP h.com;branch", "SIP/2.0/UDP h.com;branch=", "SIP/2.0/UDP h.com;branch=\"q\"",
      "SIP/2.0/UDP h.com;branchx=1", "SIP/2.0/UDP h.com;branch=[::1]", "SIP/2.0/UDP h.com;branch=a b",
      "sip/2.0/udp h.com;branch=1", "SIP/2.0/ h.com;branch=1", "SIP/2.0/UDP;branch=1", "SIP/2.0/UDP h.com;branch=1,x",
      "SIP/2.0/UDP h.com;branch=1 ;rport", "SIP/3.0/UDP h.com;branch=1", "SIP/2.0/UDP h.com:5060;rport;branch=1",
      "SIP/2.0/UDP h.com;branch=1;received=1.2.3.4", "SIP/2.0/UDP h.com;branch=1;received=::1",
      "SIP/2.0/UDP h.com:0;branch=1", "SIP/2.0/UDP h.com:65535;branch=1", "SIP/2.0/UDP h.com:65536;branch=1",
      "SIP/2.0/UDP h.com:05060;branch=1", "SIP/2.0/UDP h.com:005060;branch=1", "SIP/2.0/UDP h.com:;branch=1",
      "SIP/2.0/UDP h.com:5060x;branch=1", "SIP/2.0/UDP h.com;branch=1;rport", "SIP/2.0/UDP h.com;rport;branch=1",
      "SIP/2.0/UDP h.com;branch=1;RPORT", "SIP/2.0/UDP h.com;branch=1;rport=5060", "SIP/2.0/UDP h.com;branch=1;rportx",
      "SIP/2.0/UDP h.com;branch=1;rport ,x", "SIP/2.0/UDP h.com;branch=1;rport,x", "SIP/2.0/UDP h.com;branch=1;rpor",
      "SIP/2.0/UDP h.com;branch=1;rport=", "SIP/2.0/UDP h.com;branch=1;rport;rport=1"};
  const char* addrs[] = {"<sip:a@b>;tag=1", "<sip:a@b>;TAG=1", "<sip:a@b>;tag=1;tag=2", "<sip:a@b>;tag",
                         "<sip:a@b>;tag=", "<sip:a@b>;tag=\"1\"", "<sip:a@b>;tagx=1", "<sip:a@b>;tag=1 ",
                         "\"D\" <sip:a@b>;x=1;tag=2", "<sip:a@b>;tag=1;", "<sip:a@b>;tag=[::1]", "<sip:a@b>;ta=1",
                         "\"A display name of many words\" <sip:a@b>;tag=1", "\"Da\\\"n\" <sip:a@b>", "\"Dan <sip:a@b>",
                         "\"\" <sip:a@b>", "\"Dan\"<sip:a@b>", "\"0123456789abcde\" <sip:a@b>", "\"0123456789abcdef\" <sip:a@b>"};
  for (const char* via : vias)
    for (const char* addr : addrs)
      ExpectSame(head + "Via: " + via + "\r\nFrom: " + addr + "\r\nTo: " + addr + "\r\n" + tail);
}

// The RFC 3261 hostname rule as first written (one byte at a time), kept
// here as the reference for the label-at-a-time scan in sip/host.h.
HostKind ReferenceHostKind(std::string_view h) {
  if (!h.empty() && h[0] == '[') return ClassifyHost(h);  // IPv6: not rewritten
  char prev = '.';
  char top_first = 0;
  bool digits_and_dots = true;
  for (const char ch : h) {
    const bool digit = ch >= '0' && ch <= '9';
    const bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    if (ch == '.') {
      if (prev == '.' || prev == '-') return HostKind::kNone;
    } else if (digit || alpha) {
      if (prev == '.') top_first = ch;
      if (alpha) digits_and_dots = false;
    } else if (ch == '-') {
      if (prev == '.') return HostKind::kNone;
      digits_and_dots = false;
    } else {
      return HostKind::kNone;
    }
    prev = ch;
  }
  if (digits_and_dots) return IsIPv4Address(h) ? HostKind::kIPv4 : HostKind::kNone;
  const bool top_alpha = (top_first >= 'a' && top_first <= 'z') || (top_first >= 'A' && top_first <= 'Z');
  if (prev == '-' || !top_alpha) return HostKind::kNone;
  return HostKind::kHostname;
}

// ClassifyHost agrees with the reference on every string of up to 7 bytes
// over digits, letters, '-', '.', and a byte outside the host alphabet.
TEST(SipFastPath, HostnameScanMatchesReference) {
  const char alphabet[] = {'1', '9', 'a', 'Z', '-', '.', '_'};
  constexpr std::size_t kLetters = sizeof(alphabet);
  std::string h;
  std::size_t checked = 0;
  for (std::size_t len = 0; len <= 7; ++len) {
    std::vector<std::size_t> digit(len, 0);
    for (;;) {
      h.assign(len, ' ');
      for (std::size_t k = 0; k < len; ++k) h[k] = alphabet[digit[k]];
      ASSERT_EQ(ClassifyHost(h), ReferenceHostKind(h)) << "host: \"" << h << "\"";
      ++checked;
      std::size_t k = 0;
      while (k < len && ++digit[k] == kLetters) digit[k++] = 0;
      if (k == len) break;
    }
  }
  // Dotted quads: the IPv4 branch.
  for (const char* q : {"1.2.3.4", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.", "01.2.3.4", "1..2.3"})
    EXPECT_EQ(ClassifyHost(q), ReferenceHostKind(q)) << q;
  EXPECT_GT(checked, 900000u);
}

// ScanHostBlock (the Via fast path's bitmask scan of up to 32 bytes) gives
// ScanHost's verdict and end on hosts of every length up to 40 over the host
// alphabet, each followed by a stop byte and more readable bytes.
TEST(SipFastPath, HostBlockScanMatchesScanHost) {
  const char alphabet[] = {'1', '9', 'a', 'Z', '-', '.', '.', 'b', '0', '7'};
  std::uint32_t seed = 12345;
  const auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  std::size_t hostnames = 0;
  for (int round = 0; round < 200000; ++round) {
    const std::size_t len = next() % 41;
    std::string buf;
    for (std::size_t k = 0; k < len; ++k) buf += alphabet[next() % sizeof(alphabet)];
    // Mostly well-formed labels: turn a share of the strings into "x.y.z".
    if (round % 2 == 0)
      for (std::size_t k = 0; k < len; ++k)
        if (buf[k] == '-' || buf[k] == '.') buf[k] = (k % 4 == 3) ? '.' : 'c';
    const std::size_t value_len = buf.size() + (round % 3 == 0 ? 1 : 0);  // the stop inside or past the value
    buf += ";branch=z9hG4bK.x-1;more-readable-bytes-after-it";
    const char* p = buf.data();
    const char* want_end = nullptr;
    const char* got_end = nullptr;
    const HostKind want = ScanHost(p, p + value_len, &want_end);
    const HostKind got = ScanHostBlock(p, p + value_len, p + buf.size(), &got_end);
    ASSERT_EQ(got, want) << "host: \"" << buf.substr(0, value_len) << "\"";
    if (want != HostKind::kNone) {
      ASSERT_EQ(got_end, want_end) << buf.substr(0, value_len);
    }
    hostnames += want == HostKind::kHostname;
  }
  EXPECT_GT(hostnames, 10000u);
}

// CSeq and Call-ID values around the block fast paths' limits (lengths 16
// and 32, 9 and 10 digits, '@' placement, bytes outside letters/digits/-/.).
TEST(SipFastPath, CSeqAndCallIdSpellingsAgree) {
  const std::string head = "MESSAGE sip:a@b.com SIP/2.0\r\nVia: SIP/2.0/UDP h.com;branch=z9hG4bK1\r\n";
  const char* cseqs[] = {"1 MESSAGE", "123456789 MESSAGE", "1234567890 MESSAGE", "2147483648 X", "1 ABCDEFGHIJKLMN",
                         "1 ABCDEFGHIJKLMNO", "12 ABCDEFGHIJKLMN", "1  MESSAGE", "1\tMESSAGE", "1 MES SAGE",
                         "1 MES!SAGE", "1 MES_SAGE", "1", "1 ", " 1 X", "x MESSAGE", "01 INVITE", "1 A"};
  const char* ids[] = {"a", "a@b", "@b", "a@", "a@@b", "a@b@c", "asd88asd77a@1.2.3.4",
                       "abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopqrstuvwxyz0123456",
                       "abcdefghijklmnop@rstuvwxyz012345", "abc_def@x", "abc\"d@x", "a b", "a:b@[::1]", "a%41@b", "-.@.-"};
  for (const char* cseq : cseqs)
    for (const char* id : ids)
      // More fields after both, so that the 16- and 32-byte loads fit.
      ExpectSame(head + "CSeq: " + cseq + "\r\nCall-ID: " + id +
                 "\r\nSubject: enough bytes after the values for the block loads\r\nContent-Length: 0\r\n\r\n");
}

// Request lines around the start-line fast path's form: methods, schemes,
// spacing, versions and line ends it must hand to the general code.
TEST(SipFastPath, RequestLineSpellingsAgree) {
  const std::string rest = "Via: SIP/2.0/UDP h.com;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n";
  const char* lines[] = {"MESSAGE sip:a@b.com SIP/2.0", "message sip:a@b.com SIP/2.0", "M sip:a SIP/2.0",
                         "ABCDEFGHIJKLMNO sip:a@b SIP/2.0", "ABCDEFGHIJKLMNOP sip:a@b SIP/2.0", "INVITE sips:a@b SIP/2.0",
                         "INVITE SIP:a@b SIP/2.0", "INVITE sip: SIP/2.0", "INVITE sip SIP/2.0", "INVITE tel:+1 SIP/2.0",
                         "INVITE  sip:a@b SIP/2.0", "INVITE sip:a@b  SIP/2.0", "INVITE sip:a@b SIP/2.0 ",
                         "INVITE sip:a@b sip/2.0", "INVITE sip:a@b SIP/2.1", "INVITE sip:<a>@b SIP/2.0",
                         "INVITE sip:a\"b SIP/2.0", "INVITE sip:a\tb SIP/2.0", "INVITE\tsip:a@b SIP/2.0",
                         "INV-TE sip:a@b SIP/2.0", "SIP/2.0 200 OK", "INVITE sip:a@b SIP/2.0\r",
                         "INVITE sip:a@b SIP/2.0\n", "INVITE sip:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b SIP/2.0",
                         "INVITE sip:a@b SIP/2.0\x7f", "INVITE sip:a\200b SIP/2.0"};  // \200: the byte 0x80
  for (const char* line : lines) {
    ExpectSame(std::string(line) + "\r\n" + rest);
    ExpectSame(std::string(line) + "\r\n");  // too short for the blocks
  }
}

// Status lines around the start-line fast path's form: codes at and past
// the limits, case, spacing, empty and HT-holding reasons, bad line ends.
TEST(SipFastPath, StatusLineSpellingsAgree) {
  const std::string rest = "Via: SIP/2.0/UDP h.com;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n";
  const char* lines[] = {"SIP/2.0 200 OK", "SIP/2.0 100 Trying", "SIP/2.0 699 X", "SIP/2.0 099 X", "SIP/2.0 700 X",
                         "SIP/2.0 200 ", "SIP/2.0 200", "SIP/2.0 2000 OK", "SIP/2.0 20 OK", "SIP/2.0  200 OK",
                         "sip/2.0 200 OK", "SIP/2.1 200 OK", "SIP/2.0 2x0 OK", "SIP/2.0 200\tOK", "SIP/2.0 200 O\tK",
                         "SIP/2.0 200 OK\r", "SIP/2.0 200 OK\x01", "SIP/2.0 200 a long reason phrase of many words",
                         "SIP/2.0 200 OK\x7f", "SIP/2.0 200 \xc3\xa9t\xc3\xa9"};
  for (const char* line : lines) {
    ExpectSame(std::string(line) + "\r\n" + rest);
    ExpectSame(std::string(line) + "\r\n");
    ExpectSame(std::string(line) + "\n" + rest);
  }
}

}  // namespace
}  // namespace sipim::sip
