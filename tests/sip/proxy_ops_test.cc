// ProxyEdit: Via push/pop, Max-Forwards, Record-Route, Route pop and
// Request-URI retargeting by splicing, checked by parsing the result.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "corpus_util.h"
#include "sip/headers.h"
#include "sip/proxy_ops.h"

namespace sipim::sip {
namespace {

const char kRequest[] =
    "MESSAGE sip:bob@b.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP ua.a.example.com;branch=z9hG4bK0\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:p1.a.example.com;lr>, <sip:p2.b.example.com;lr>\r\n"
    "From: <sip:alice@a.example.com>;tag=1\r\n"
    "To: <sip:bob@b.example.com>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 1 MESSAGE\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 2\r\n"
    "\r\n"
    "hi";

// `s` must outlive the returned Message (it views it).
Message MustParse(std::string_view s) {
  Message m;
  const ParseError e = Parse(s, Framing::kDatagram, &m);
  EXPECT_FALSE(e) << e.ToString() << "\n" << s;
  return m;
}

// The full request path edit of a proxy, in one splice pass.
TEST(SipProxyOps, ForwardRequest) {
  const std::string in = kRequest;
  const Message m = MustParse(in);
  ProxyEdit edit(m);
  edit.DecrementMaxForwards().PopRoute().AddRecordRoute("<sip:p1.a.example.com;lr>").PushVia(
      "SIP/2.0/UDP p1.a.example.com;branch=z9hG4bKp1");
  std::string out;
  ASSERT_FALSE(edit.Apply(&out));
  const Message f = MustParse(out);
  EXPECT_FALSE(Validate(f)) << out;
  std::vector<Via> vias;
  ASSERT_FALSE(AllVias(f, &vias));
  ASSERT_EQ(vias.size(), 2u);
  EXPECT_EQ(vias[0].branch, "z9hG4bKp1");
  EXPECT_EQ(vias[1].branch, "z9hG4bK0");
  EXPECT_EQ(f.Find(HeaderId::kMaxForwards)->value, "69");
  EXPECT_EQ(f.Find(HeaderId::kRoute)->value, "<sip:p2.b.example.com;lr>");
  EXPECT_EQ(f.Find(HeaderId::kRecordRoute)->value, "<sip:p1.a.example.com;lr>");
  EXPECT_EQ(f.body, "hi");
  EXPECT_EQ(f.size, out.size());
}

// PushVia adds its Via above all others, so a second push goes above the
// first (the order the two hops would have added them). Before, the
// second Via went below the first.
TEST(SipProxyOps, SecondPushedViaGoesOnTop) {
  const std::string in = kRequest;
  const Message m = MustParse(in);
  ProxyEdit edit(m);
  edit.PushVia("SIP/2.0/UDP p1.example.com;branch=z9hG4bK1").PushVia("SIP/2.0/UDP p2.example.com;branch=z9hG4bK2");
  std::string out;
  ASSERT_FALSE(edit.Apply(&out));
  const Message f = MustParse(out);
  std::vector<Via> vias;
  ASSERT_FALSE(AllVias(f, &vias));
  ASSERT_EQ(vias.size(), 3u);
  EXPECT_EQ(vias[0].branch, "z9hG4bK2");
  EXPECT_EQ(vias[1].branch, "z9hG4bK1");
  EXPECT_EQ(vias[2].branch, "z9hG4bK0");
}

// RFC 3261 18.2.1 and RFC 3581 4: the top Via records the source of the
// request: received when its sent-by host is another (or it asks for
// rport), rport's value when it is bare; nothing when the host is the
// source's and there is no rport.
TEST(SipProxyOps, SetViaSourceAddsReceivedAndRport) {
  struct Case {
    const char* via;
    const char* want;  // the top Via value after the edit
  } cases[] = {
      {"SIP/2.0/UDP 10.0.1.2:5060;branch=z9hG4bKa", "SIP/2.0/UDP 10.0.1.2:5060;branch=z9hG4bKa;received=10.0.2.1"},
      {"SIP/2.0/UDP 10.0.2.1;branch=z9hG4bKa", "SIP/2.0/UDP 10.0.2.1;branch=z9hG4bKa"},
      {"SIP/2.0/UDP 10.0.2.1;rport;branch=z9hG4bKa", "SIP/2.0/UDP 10.0.2.1;rport=5070;branch=z9hG4bKa;received=10.0.2.1"},
      {"SIP/2.0/UDP ua.example.com;branch=z9hG4bKa;rport", "SIP/2.0/UDP ua.example.com;branch=z9hG4bKa;rport=5070;received=10.0.2.1"},
      {"SIP/2.0/UDP 10.0.1.2;received=192.0.2.9;branch=z9hG4bKa", "SIP/2.0/UDP 10.0.1.2;received=10.0.2.1;branch=z9hG4bKa"},
      {"SIP/2.0/UDP 10.0.1.2;branch=z9hG4bKa, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb",
       "SIP/2.0/UDP 10.0.1.2;branch=z9hG4bKa;received=10.0.2.1"},
  };
  for (const Case& c : cases) {
    const std::string in = std::string("MESSAGE sip:b@example.com SIP/2.0\r\nVia: ") + c.via +
                           "\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n";
    const Message m = MustParse(in);
    ProxyEdit edit(m);
    edit.SetViaSource("10.0.2.1", 5070);
    std::string out;
    ASSERT_FALSE(edit.Apply(&out)) << c.via;
    const Message f = MustParse(out);
    Via top;
    ASSERT_FALSE(TopVia(f, &top)) << out;
    EXPECT_EQ(top.text, c.want);
    std::vector<Via> all;
    EXPECT_FALSE(AllVias(f, &all)) << out;
  }
}

// Popping the only value removes the line; the next field takes over.
TEST(SipProxyOps, PopWholeLines) {
  const std::string resp =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP p1;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP ua;branch=z9hG4bK0\r\n"
      "Call-ID: c\r\nl: 0\r\n\r\n";
  const Message m = MustParse(resp);
  std::string out;
  ASSERT_FALSE(ProxyEdit(m).PopVia().Apply(&out));
  EXPECT_EQ(out, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP ua;branch=z9hG4bK0\r\nCall-ID: c\r\nl: 0\r\n\r\n");
  // Route with one value in each of two lines.
  const std::string req =
      "BYE sip:b@b SIP/2.0\r\nRoute: <sip:p1;lr>\r\nRoute: <sip:p2;lr>\r\nMax-Forwards: 1\r\nl: 0\r\n\r\n";
  const Message r = MustParse(req);
  out.clear();
  ASSERT_FALSE(ProxyEdit(r).PopRoute().DecrementMaxForwards().Apply(&out));
  EXPECT_EQ(out, "BYE sip:b@b SIP/2.0\r\nRoute: <sip:p2;lr>\r\nMax-Forwards: 0\r\nl: 0\r\n\r\n");
}

// Max-Forwards 0 fails with the 483 reason; a missing one is added as 70.
TEST(SipProxyOps, MaxForwards) {
  const Message zero = MustParse("OPTIONS sip:a@b SIP/2.0\r\nMax-Forwards: 0\r\nl: 0\r\n\r\n");
  std::string out;
  const ParseError e = ProxyEdit(zero).DecrementMaxForwards().Apply(&out);
  ASSERT_TRUE(e);
  EXPECT_STREQ(e.reason, kMaxForwardsExhausted);
  EXPECT_EQ(e.line, 2u);
  EXPECT_TRUE(out.empty());
  const Message none = MustParse("OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n");
  ASSERT_FALSE(ProxyEdit(none).DecrementMaxForwards().Apply(&out));
  EXPECT_EQ(out, "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\nMax-Forwards: 70\r\n\r\n");
  const Message bad = MustParse("OPTIONS sip:a@b SIP/2.0\r\nMax-Forwards: many\r\nl: 0\r\n\r\n");
  EXPECT_TRUE(ProxyEdit(bad).DecrementMaxForwards().Apply(&out));
  const Message resp = MustParse("SIP/2.0 200 OK\r\nl: 0\r\n\r\n");
  EXPECT_TRUE(ProxyEdit(resp).DecrementMaxForwards().Apply(&out));
}

// A request received over UDP may lack Content-Length (RFC 3261 18.3: the
// body is the rest of the datagram). The forwarded copy may go out over
// TCP or SCTP, where Content-Length is mandatory (18.3, 20.14): proves the
// edited message carries one giving the body's length, so that a stream
// receiver frames it with the same body.
TEST(SipProxyOps, DatagramWithoutContentLengthForwardsOnAStream) {
  const std::string in =
      "MESSAGE sip:bob@b.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP ua.a.example.com;branch=z9hG4bK0\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:alice@a.example.com>;tag=1\r\n"
      "To: <sip:bob@b.example.com>\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 MESSAGE\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "hello";
  const Message m = MustParse(in);
  ASSERT_EQ(m.content_length, -1);
  std::string out;
  ASSERT_FALSE(ProxyEdit(m).DecrementMaxForwards().PushVia("SIP/2.0/TCP p1.example.com;branch=z9hG4bKp1").Apply(&out));
  Message f;
  const ParseError e = Parse(out, Framing::kStream, &f);
  ASSERT_FALSE(e) << e.ToString() << "\n" << out;
  EXPECT_EQ(f.content_length, 5);
  EXPECT_EQ(f.body, "hello");
  EXPECT_EQ(f.size, out.size());
  EXPECT_FALSE(Validate(f)) << out;
  // A response forwarded upstream (only its top Via popped) likewise.
  const Message r = MustParse(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP p1;branch=z9hG4bK1\r\nVia: SIP/2.0/TCP ua;branch=z9hG4bK0\r\n"
      "From: <sip:a@a>;tag=1\r\nTo: <sip:b@b>;tag=2\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n\r\n");
  out.clear();
  ASSERT_FALSE(ProxyEdit(r).PopVia().Apply(&out));
  EXPECT_EQ(out,
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP ua;branch=z9hG4bK0\r\nFrom: <sip:a@a>;tag=1\r\nTo: <sip:b@b>;tag=2\r\n"
            "Call-ID: c\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n");
}

// Request-URI retargeting and errors for edits that cannot apply.
TEST(SipProxyOps, RetargetAndErrors) {
  const Message m = MustParse(kRequest);
  std::string out;
  ASSERT_FALSE(ProxyEdit(m).SetRequestUri("sip:bob@192.0.2.7:5070").Apply(&out));
  const Message f = MustParse(out);
  EXPECT_EQ(f.request_uri, "sip:bob@192.0.2.7:5070");
  EXPECT_TRUE(ProxyEdit(m).SetRequestUri("sip:a b").Apply(&out));
  EXPECT_TRUE(ProxyEdit(m).PopVia().PopVia().Apply(&out));
  EXPECT_TRUE(ProxyEdit(m).PushVia("SIP/2.0/UDP x\r\nEvil: 1").Apply(&out));
  const Message noroute = MustParse("OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n");
  const ParseError e = ProxyEdit(noroute).PopRoute().Apply(&out);
  ASSERT_TRUE(e);
  EXPECT_STREQ(e.reason, "no Route to pop");
}

// On torture messages with multi-value and folded Via lines, pop removes
// exactly the top value and push adds one, and the result still parses.
TEST(SipProxyOps, TortureViaLines) {
  for (const char* file : {"wsinv.dat", "longreq.dat", "transports.dat", "bcast.dat", "mult-ip-in-header"}) {
    SCOPED_TRACE(file);
    const std::string dir = std::string(file).find('.') == std::string::npos ? "rfc5118/" : "rfc4475/";
    const std::string in = testing::ReadFile(testing::CorpusPath(dir + file));
    const Message m = MustParse(in);
    std::vector<Via> before;
    ASSERT_FALSE(AllVias(m, &before));
    std::string popped;
    ASSERT_FALSE(ProxyEdit(m).PopVia().Apply(&popped));
    const Message p = MustParse(popped);
    std::vector<Via> after;
    ASSERT_FALSE(AllVias(p, &after));
    ASSERT_EQ(after.size() + 1, before.size());
    for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].text, before[i + 1].text);
    EXPECT_EQ(p.body, m.body);
    std::string pushed;
    ASSERT_FALSE(ProxyEdit(m).PushVia("SIP/2.0/TCP proxy.example.com;branch=z9hG4bKnew").Apply(&pushed));
    const Message q = MustParse(pushed);
    after.clear();
    ASSERT_FALSE(AllVias(q, &after));
    ASSERT_EQ(after.size(), before.size() + 1);
    EXPECT_EQ(after[0].branch, "z9hG4bKnew");
    EXPECT_EQ(after[1].text, before[0].text);
  }
}

}  // namespace
}  // namespace sipim::sip

namespace sipim::sip {
namespace {

// Popping the first value of a folded, multi-value Via line (wsinv's "v:"
// field made the top one) keeps the second value and its fold intact.
TEST(SipProxyOps, PopFirstValueOfFoldedViaLine) {
  std::string in = testing::ReadFile(testing::CorpusPath("rfc4475/wsinv.dat"));
  const std::size_t via = in.find("Via  :");
  ASSERT_NE(via, std::string::npos);
  in.erase(via, in.find("s :", via) - via);  // drop the first Via field
  const Message m = MustParse(in);
  std::vector<Via> before;
  ASSERT_FALSE(AllVias(m, &before));
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0].host, "spindle.example.com");
  std::string out;
  ASSERT_FALSE(ProxyEdit(m).PopVia().Apply(&out));
  const Message p = MustParse(out);
  std::vector<Via> after;
  ASSERT_FALSE(AllVias(p, &after));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].host, "192.168.255.111");
  EXPECT_EQ(after[0].branch, "z9hG4bK30239");
  EXPECT_NE(out.find("v:  SIP  /    2.0   / UDP  192.168.255.111"), std::string::npos) << out;
  EXPECT_FALSE(Validate(p)) << out;
}

}  // namespace
}  // namespace sipim::sip
