// CheckVias() (the Via walk Validate() uses) gives exactly AllVias()'s
// verdict, reason and offset included, its number of values, and the top
// Via TopVia() gives, on
// every RFC 4475 / 5118 message, hand-written Via forms, and all of them
// mutated at every header byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "corpus_util.h"
#include "sip/headers.h"
#include "sip/message.h"
#include "sip/uri.h"

namespace sipim::sip {
namespace {

using testing::CorpusPath;
using testing::ReadFile;

// A view as offset and length in the message buffer, for comparing.
std::string Pos(const Message& m, std::string_view v) {
  if (v.data() == nullptr) return "null";
  return std::to_string(v.data() - m.input.data()) + "+" + std::to_string(v.size());
}

std::string Describe(const Message& m, const Via& v) {
  return Pos(m, v.protocol) + " " + Pos(m, v.version) + " " + Pos(m, v.transport) + " " + Pos(m, v.host) + " " +
         std::to_string(v.port) + " " + Pos(m, v.branch) + " " + Pos(m, v.received) + " " + Pos(m, v.maddr) + " " +
         std::to_string(v.has_rport) + " " + std::to_string(v.rport) + " " + std::to_string(v.ttl) + " " +
         Pos(m, v.params.raw()) + " " + Pos(m, v.text);
}

std::string Describe(const ParseError& e) {
  if (!e) return "ok";
  return std::string(e.reason) + " @" + std::to_string(e.offset) + " " + e.ToString();
}

// Old and new Via checks (and Validate with and without the top Via) agree
// on the message d; messages Parse() refuses are skipped.
void ExpectSame(const std::string& d) {
  Message m;
  if (Parse(d, Framing::kDatagram, &m)) return;
  std::vector<Via> all;
  const ParseError old_e = AllVias(m, &all);
  Via top;
  std::uint32_t count = 99;
  const ParseError new_e = CheckVias(m, &top, &count);
  ASSERT_EQ(Describe(old_e), Describe(new_e)) << ::testing::PrintToString(d);
  if (!new_e) {
    EXPECT_EQ(all.size(), count) << ::testing::PrintToString(d);
  }
  EXPECT_EQ(Describe(old_e), Describe(CheckVias(m))) << ::testing::PrintToString(d);
  if (!new_e && !all.empty()) {
    Via want;
    ASSERT_FALSE(TopVia(m, &want));
    EXPECT_EQ(Describe(m, want), Describe(m, top)) << ::testing::PrintToString(d);
    EXPECT_EQ(Describe(m, all.front()), Describe(m, top)) << ::testing::PrintToString(d);
  }
  Via vtop;
  std::uint32_t vcount = 99;
  const ParseError v1 = Validate(m);
  const ParseError v2 = Validate(m, &vtop, &vcount);
  EXPECT_EQ(Describe(v1), Describe(v2)) << ::testing::PrintToString(d);
  if (!v2) {
    Via want;
    ASSERT_FALSE(TopVia(m, &want));
    EXPECT_EQ(Describe(m, want), Describe(m, vtop)) << ::testing::PrintToString(d);
    EXPECT_EQ(all.size(), vcount) << ::testing::PrintToString(d);
  }
}

// A MESSAGE with the given Via lines (each "Via: ..." without CRLF).
std::string WithVias(const std::vector<std::string>& vias) {
  std::string d = "MESSAGE sip:b@example.com SIP/2.0\r\n";
  for (const std::string& v : vias) d += v + "\r\n";
  d += "Max-Forwards: 70\r\nTo: <sip:b@example.com>\r\nFrom: <sip:a@example.org>;tag=1\r\n"
       "Call-ID: x@y\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n";
  return d;
}

std::vector<std::string> Messages() {
  std::vector<std::string> out = testing::TortureMessages();
  // The forms a proxy chain writes, and the edges of the fast walk: LWS and
  // folds around commas, empty values, quoted and bracketed parameters.
  out.push_back(WithVias({"Via: SIP/2.0/UDP p2.example.com:5060;branch=z9hG4bK2;rport=5060;received=10.0.0.1",
                          "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/TCP 10.0.0.9:5061;branch=z9hG4bK0;rport",
                          "v: SIP/2.0/SCTP [2001:db8::1]:5060;branch=z9hG4bKa;maddr=224.2.0.1;ttl=16"}));
  out.push_back(WithVias({"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1 ,SIP/2.0/UDP b.example.com;branch=z9hG4bK2"}));
  out.push_back(WithVias({"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,\tSIP/2.0/UDP b.example.com;branch=z9hG4bK2"}));
  out.push_back(WithVias({"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,\r\n SIP/2.0/UDP b.example.com"}));
  out.push_back(WithVias({"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,,SIP/2.0/UDP b.example.com"}));
  out.push_back(WithVias({"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, "}));
  out.push_back(WithVias({"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,SIP/2.0/UDP b.example.com;x=\"a,b\""}));
  out.push_back(WithVias({"Via: SIP/2.0/UDP a.example.com;received=[2001:db8::2];rport=1,SIP/2.0/UDP b;y=<z>"}));
  out.push_back(WithVias({"Via: SIP / 2.0 / UDP a.example.com ; branch = z9hG4bK1 , SIP/2.0/UDP b:5060"}));
  out.push_back(WithVias({"Via: SIP/2.0/UDP a.example.com;received=2001:db8::2,SIP/2.0/UDP b.example.com:00005060"}));
  return out;
}

// Unmutated messages: the old and the new walk agree.
TEST(SipCheckVias, CorpusAgrees) {
  const std::vector<std::string> all = Messages();
  EXPECT_GT(all.size(), 60u);
  for (const std::string& d : all) ExpectSame(d);
}

// Every header byte replaced by each separator, whitespace, quote or
// bracket the two walks treat differently: they still agree.
TEST(SipCheckVias, MutatedBytesAgree) {
  const char mutations[] = {' ', '\t', '\r', '\n', ',', ';', '=', '"', '<', '>', '[', ']', ':', '/', 'A', '0', '\0'};
  // Bytes of the body reach no fast path: the header sections are mutated.
  testing::ForEachHeaderByteMutation(Messages(), {mutations, sizeof mutations}, [&](const std::string& d) {
    ExpectSame(d);
    return !HasFailure();  // one report is enough
  });
}

// The new walk is actually taken and accepts the plain chain of three Vias,
// and it rejects a bad later value with AllVias()'s reason.
TEST(SipCheckVias, PlainChainAndLateError) {
  Message m;
  const std::string ok = WithVias({"Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bK2",
                                   "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1,SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK0"});
  ASSERT_FALSE(Parse(ok, Framing::kDatagram, &m));
  Via top;
  std::uint32_t count = 0;
  ASSERT_FALSE(CheckVias(m, &top, &count));
  EXPECT_EQ(count, 3u);
  EXPECT_EQ(top.host, "p2.example.com");
  EXPECT_EQ(top.branch, "z9hG4bK2");
  const std::string bad = WithVias({"Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bK2",
                                    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1,SIP/2.0/UDP 10.0.0.1:0"});
  ASSERT_FALSE(Parse(bad, Framing::kDatagram, &m));
  const ParseError e = CheckVias(m);
  ASSERT_TRUE(e);
  EXPECT_STREQ(e.reason, "Via: invalid sent-by port");
}

// A Via's received= is accepted exactly when IsIPv4Address or
// IsIPv6Address accepts it (ViaParam has its own IPv4 loop), on every
// combination of four groups from digit strings around the limits, with
// dots missing, doubled or added at either end.
TEST(SipCheckVias, ReceivedAddressRuleUnchanged) {
  const char* groups[] = {"", "0", "00", "000", "0000", "1", "9", "25", "249", "250", "255", "256", "299",
                          "300", "999", "1000", "01", "010", "a", "1a"};
  std::size_t accepted = 0;
  std::size_t n = 0;
  for (const char* a : groups)
    for (const char* b : groups)
      for (const char* c : groups)
        for (const char* d : groups)
          for (const char* shape : {"%.%.%.%", "%.%.%", "%.%.%.%.", ".%.%.%.%", "%.%..%.%"}) {
            std::string addr;
            const char* parts[] = {a, b, c, d};
            int k = 0;
            for (const char* q = shape; *q; ++q) addr += *q == '%' ? (k < 4 ? parts[k++] : "") : std::string(1, *q);
            const std::string via = "SIP/2.0/UDP h.example.com;received=" + addr;
            Via v;
            const bool ok = !ParseVia(via, &v);
            const bool want = !addr.empty() && (IsIPv4Address(addr) || IsIPv6Address(addr));
            ASSERT_EQ(want, ok) << addr;
            accepted += ok;
            ++n;
          }
  EXPECT_GT(accepted, 1000u);
  EXPECT_LT(accepted, n);
}

}  // namespace
}  // namespace sipim::sip
