// Typed header parsers: Via, name-addr, CSeq, Call-ID, Max-Forwards,
// Content-Type, delta-seconds, parameter lists, value splitting, Validate().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sip/headers.h"

namespace sipim::sip {
namespace {

// Every Via part: protocol, transport, host/port, branch, received, rport, maddr, ttl.
TEST(SipHeaders, ViaAllParts) {
  Via v;
  ASSERT_FALSE(ParseVia("SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKx;received=192.0.2.1;rport=4000;"
                        "maddr=224.2.0.1;ttl=16;x-other=\"q\"",
                        &v));
  EXPECT_EQ(v.protocol, "SIP");
  EXPECT_EQ(v.version, "2.0");
  EXPECT_EQ(v.transport, "UDP");
  EXPECT_EQ(v.host, "[2001:db8::1]");
  EXPECT_EQ(v.port, 5062);
  EXPECT_EQ(v.branch, "z9hG4bKx");
  EXPECT_EQ(v.received, "192.0.2.1");
  EXPECT_TRUE(v.has_rport);
  EXPECT_EQ(v.rport, 4000);
  EXPECT_EQ(v.maddr, "224.2.0.1");
  EXPECT_EQ(v.ttl, 16);
  Param p;
  ASSERT_TRUE(v.params.Find("X-OTHER", &p));
  EXPECT_EQ(p.value, "\"q\"");
  ASSERT_FALSE(ParseVia("SIP/2.0/TCP host.example.com;rport", &v));
  EXPECT_TRUE(v.has_rport);
  EXPECT_EQ(v.rport, 0);
  EXPECT_EQ(v.port, 0);
  EXPECT_EQ(v.ttl, -1);
}

// Malformed via-parms are rejected with a reason.
TEST(SipHeaders, ViaRejects) {
  const char* bad[] = {
      "SIP/2.0/UDP",                        // no sent-by
      "SIP/2.0 UDP host",                   // missing '/'
      "SIP/2.0/UDPhost",                    // no whitespace before host
      "SIP/2.0/UDP host:99999",             // port too large
      "SIP/2.0/UDP host:0",                 // port 0
      "SIP/2.0/UDP [2001:db8:::1]",         // bad IPv6
      "SIP/2.0/UDP host;;branch=z9hG4bK1",  // empty parameter
      "SIP/2.0/UDP host;ttl=256",           // ttl out of range
      "SIP/2.0/UDP host;received=nothost",  // received not an IP
      "SIP/2.0/UDP host;rport=x",           // rport not a port
      "SIP/2.0/UDP host;branch",            // branch without value
      "SIP/2.0/UDP host junk",              // trailing text
      "SIP/2.0/UDP 1.2.3.256",              // bad IPv4
  };
  for (const char* s : bad) {
    Via v;
    const ParseError e = ParseVia(s, &v);
    EXPECT_TRUE(e) << s;
    EXPECT_GE(e.column, 1u) << s;
  }
}

// Top Via and all Via values across multi-value and repeated fields.
TEST(SipHeaders, TopViaAndAllVias) {
  const std::string s =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1 , SIP/2.0/TCP b;branch=z9hG4bK2\r\n"
      "v: SIP/2.0/SCTP c:5060;branch=z9hG4bK3\r\nl: 0\r\n\r\n";
  Message m;
  ASSERT_FALSE(Parse(s, Framing::kDatagram, &m));
  Via top;
  ASSERT_FALSE(TopVia(m, &top));
  EXPECT_EQ(top.host, "a");
  EXPECT_EQ(top.text, "SIP/2.0/UDP a;branch=z9hG4bK1");
  std::vector<Via> all;
  ASSERT_FALSE(AllVias(m, &all));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].transport, "TCP");
  EXPECT_EQ(all[2].transport, "SCTP");
  EXPECT_EQ(all[2].port, 5060);
}

// Name-addr forms: quoted and token display names, addr-spec, params, star.
TEST(SipHeaders, NameAddrForms) {
  NameAddr na;
  ASSERT_FALSE(ParseNameAddr("\"Alice \\\"A\\\"\" <sip:alice@a.example.com;transport=tcp>;tag=abc;x=1", &na));
  EXPECT_TRUE(na.quoted_display);
  EXPECT_EQ(na.display_name, "Alice \\\"A\\\"");
  EXPECT_EQ(na.uri, "sip:alice@a.example.com;transport=tcp");
  EXPECT_EQ(na.tag, "abc");
  EXPECT_TRUE(na.params.Has("x"));
  ASSERT_FALSE(ParseNameAddr("Bob Smith <sip:bob@b>", &na));
  EXPECT_EQ(na.display_name, "Bob Smith");
  EXPECT_FALSE(na.quoted_display);
  ASSERT_FALSE(ParseNameAddr("sip:bob@b;tag=7", &na));
  EXPECT_FALSE(na.angle);
  EXPECT_EQ(na.uri, "sip:bob@b");
  EXPECT_EQ(na.tag, "7");
  ASSERT_FALSE(ParseNameAddr("*", &na));
  EXPECT_TRUE(na.star);
  ASSERT_FALSE(ParseNameAddr("<tel:+1-201-555-0123>", &na));
  EXPECT_EQ(na.uri, "tel:+1-201-555-0123");
  std::vector<NameAddr> list;
  ASSERT_FALSE(ParseNameAddrList("<sip:a@x>;q=0.5, \"B, C\" <sip:b@y>,sip:c@z", &list));
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[1].display_name, "B, C");
  EXPECT_EQ(list[2].uri, "sip:c@z");
}

// Malformed name-addrs are rejected.
TEST(SipHeaders, NameAddrRejects) {
  const char* bad[] = {
      "\"unterminated <sip:a@b>",  // quotbal
      "Bell, Alex <sip:a@b>",      // baddn
      "< sip:a@b >",               // badaspec
      "<sip:a@b",                  // missing '>'
      "<>",                        // empty URI
      "sip:a@b?x=y",               // '?' outside <>
      "<sip:a@b>;tag",             // tag without value
      "<sip:a@b>;;",               // empty parameter
      "<sip:a@b> junk",            // trailing text
      "",                          // empty
  };
  for (const char* s : bad) {
    NameAddr na;
    EXPECT_TRUE(ParseNameAddr(s, &na)) << s;
  }
  std::vector<NameAddr> list;
  EXPECT_TRUE(ParseNameAddrList("<sip:a@b>,,<sip:c@d>", &list));
}

// CSeq number range and method token; Call-ID words; Max-Forwards range.
TEST(SipHeaders, ScalarFields) {
  CSeq c;
  ASSERT_FALSE(ParseCSeq("2147483647 INVITE", &c));
  EXPECT_EQ(c.number, 2147483647u);
  EXPECT_TRUE(ParseCSeq("2147483648 INVITE", &c));
  EXPECT_TRUE(ParseCSeq("1INVITE", &c));
  EXPECT_TRUE(ParseCSeq("1 INVITE x", &c));
  EXPECT_TRUE(ParseCSeq("-1 INVITE", &c));
  std::string_view id;
  ASSERT_FALSE(ParseCallId("abc@def", &id));
  EXPECT_EQ(id, "abc@def");
  EXPECT_TRUE(ParseCallId("a b", &id));
  EXPECT_TRUE(ParseCallId("a@b@c", &id));
  EXPECT_TRUE(ParseCallId("", &id));
  int mf = 0;
  ASSERT_FALSE(ParseMaxForwards("0068", &mf));
  EXPECT_EQ(mf, 68);
  EXPECT_TRUE(ParseMaxForwards("256", &mf));
  EXPECT_TRUE(ParseMaxForwards("7a", &mf));
  std::int64_t cl = 0;
  ASSERT_FALSE(ParseContentLength(" 42 ", &cl));
  EXPECT_EQ(cl, 42);
  EXPECT_TRUE(ParseContentLength("-3", &cl));
  std::uint32_t secs = 0;
  ASSERT_FALSE(ParseDeltaSeconds("4294967295", &secs));
  EXPECT_EQ(secs, 4294967295u);
  EXPECT_TRUE(ParseDeltaSeconds("4294967296", &secs));
}

// Content-Type: type/subtype with parameters.
TEST(SipHeaders, ContentType) {
  ContentType ct;
  ASSERT_FALSE(ParseContentType("multipart/mixed ; boundary=\"x y\";charset=utf-8", &ct));
  EXPECT_EQ(ct.type, "multipart");
  EXPECT_EQ(ct.subtype, "mixed");
  Param p;
  ASSERT_TRUE(ct.params.Find("boundary", &p));
  EXPECT_EQ(p.value, "\"x y\"");
  EXPECT_TRUE(ParseContentType("text", &ct));
  EXPECT_TRUE(ParseContentType("text/", &ct));
  EXPECT_TRUE(ParseContentType("text/plain junk", &ct));
}

// Errors from typed parsers carry line and column in the message buffer.
TEST(SipHeaders, ErrorsPointIntoMessage) {
  const std::string s = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a\r\nCSeq: 99999999999 INVITE\r\nl: 0\r\n\r\n";
  Message m;
  ASSERT_FALSE(Parse(s, Framing::kDatagram, &m));
  CSeq c;
  const ParseError e = ParseCSeq(m.Find(HeaderId::kCSeq)->value, &c, m.input);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 7u);
}

// Validate: required fields, single-value fields, CSeq method, URIs.
TEST(SipHeaders, ValidateRules) {
  const std::string ok =
      "MESSAGE sip:bob@b SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
      "From: <sip:alice@a>;tag=1\r\nTo: <sip:bob@b>\r\nCall-ID: x@y\r\nCSeq: 1 MESSAGE\r\n"
      "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
  Message m;
  ASSERT_FALSE(Parse(ok, Framing::kDatagram, &m));
  EXPECT_FALSE(Validate(m));
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string s = ok;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const struct {
    std::string input;
    const char* reason;
  } cases[] = {
      {with("Call-ID: x@y\r\n", ""), "missing Call-ID"},
      {with("CSeq: 1 MESSAGE", "CSeq: 1 INVITE"), "CSeq method does not match"},
      {with("Call-ID: x@y\r\n", "Call-ID: x@y\r\ni: z@w\r\n"), "multiple Call-ID"},
      {with("Content-Type: text/plain\r\n", ""), "body without Content-Type"},
      {with("sip:bob@b SIP", "sip:bob@b?Subject=x SIP"), "Request-URI must not contain headers"},
      {with("sip:bob@b SIP", "sip:bob@[1::2::3] SIP"), "invalid IPv6"},
      {with("Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nRoute: sip:p\r\n"), "must be in <>"},
      {with("Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nContact: *, <sip:a@b>\r\n"), "'*'"},
      {with("Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nExpires: soon\r\n"), "delta-seconds"},
  };
  for (const auto& c : cases) {
    ASSERT_FALSE(Parse(c.input, Framing::kDatagram, &m)) << c.input;
    const ParseError e = Validate(m);
    ASSERT_TRUE(e) << c.input;
    EXPECT_NE(std::string(e.reason).find(c.reason), std::string::npos) << e.ToString();
  }
}

// Parameter lists iterate in order and find names case-insensitively.
TEST(SipHeaders, ParamListIteration) {
  NameAddr na;
  ASSERT_FALSE(ParseNameAddr("<sip:a@b>;A=1;b;c=\"x;y\"", &na));
  std::size_t pos = 0;
  Param p;
  std::vector<std::string> names;
  while (na.params.Next(&pos, &p)) names.emplace_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"A", "b", "c"}));
  ASSERT_TRUE(na.params.Find("a", &p));
  EXPECT_EQ(p.value, "1");
  ASSERT_TRUE(na.params.Find("b", &p));
  EXPECT_FALSE(p.has_value);
  EXPECT_FALSE(na.params.Has("d"));
}

}  // namespace
}  // namespace sipim::sip
