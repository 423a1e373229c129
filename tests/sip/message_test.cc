// Parse(): start lines, header splitting, compact forms, folding, framing
// modes and precise errors (reason, line, column).
#include <gtest/gtest.h>

#include <string>

#include "sip/message.h"

namespace sipim::sip {
namespace {

const char kMessage[] =
    "MESSAGE sip:bob@b.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP p1.a.example.com;branch=z9hG4bK1,SIP/2.0/UDP ua.a.example.com;branch=z9hG4bK0\r\n"
    "Max-Forwards: 69\r\n"
    "From: <sip:alice@a.example.com>;tag=49583\r\n"
    "To: <sip:bob@b.example.com>\r\n"
    "Call-ID: asd88asd77a@1.2.3.4\r\n"
    "CSeq: 1 MESSAGE\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 18\r\n"
    "\r\n"
    "Watson, come here.";

ParseError ParseDatagram(std::string_view s, Message* m) { return Parse(s, Framing::kDatagram, m); }

// A request's start line, fields and body are views into the input.
TEST(SipMessage, ParsesRequestAsViews) {
  const std::string s = kMessage;
  Message m;
  ASSERT_FALSE(ParseDatagram(s, &m));
  EXPECT_TRUE(m.is_request);
  EXPECT_EQ(m.method, "MESSAGE");
  EXPECT_EQ(m.request_uri, "sip:bob@b.example.com");
  EXPECT_EQ(m.version, "SIP/2.0");
  ASSERT_EQ(m.headers.size(), 8u);
  EXPECT_EQ(m.headers[0].id, HeaderId::kVia);
  EXPECT_EQ(m.Find(HeaderId::kCallId)->value, "asd88asd77a@1.2.3.4");
  EXPECT_EQ(m.Find(HeaderId::kCSeq)->line, "CSeq: 1 MESSAGE\r\n");
  EXPECT_EQ(m.body, "Watson, come here.");
  EXPECT_EQ(m.content_length, 18);
  EXPECT_EQ(m.size, s.size());
  EXPECT_EQ(m.raw.data(), s.data());
  for (const Header& h : m.headers) {
    EXPECT_GE(h.value.data(), s.data());
    EXPECT_LE(h.value.data() + h.value.size(), s.data() + s.size());
  }
}

// A status line with code and reason; an empty reason is allowed.
TEST(SipMessage, ParsesResponse) {
  Message m;
  ASSERT_FALSE(ParseDatagram("SIP/2.0 481 Call/Transaction Does Not Exist\r\nContent-Length: 0\r\n\r\n", &m));
  EXPECT_FALSE(m.is_request);
  EXPECT_EQ(m.status_code, 481);
  EXPECT_EQ(m.reason, "Call/Transaction Does Not Exist");
  ASSERT_FALSE(ParseDatagram("SIP/2.0 200 \r\nl: 0\r\n\r\n", &m));
  EXPECT_EQ(m.reason, "");
  ASSERT_FALSE(ParseDatagram("SIP/2.0 200\r\nl: 0\r\n\r\n", &m));
  EXPECT_EQ(m.status_code, 200);
}

// Every compact form of RFC 3261 and its extensions maps to its field.
TEST(SipMessage, CompactForms) {
  const struct {
    const char* name;
    HeaderId id;
  } cases[] = {
      {"i", HeaderId::kCallId},       {"m", HeaderId::kContact},        {"e", HeaderId::kContentEncoding},
      {"l", HeaderId::kContentLength}, {"c", HeaderId::kContentType},   {"f", HeaderId::kFrom},
      {"s", HeaderId::kSubject},      {"k", HeaderId::kSupported},      {"t", HeaderId::kTo},
      {"v", HeaderId::kVia},          {"o", HeaderId::kEvent},          {"r", HeaderId::kReferTo},
      {"b", HeaderId::kReferredBy},   {"j", HeaderId::kRejectContact},  {"d", HeaderId::kRequestDisposition},
      {"x", HeaderId::kSessionExpires}, {"a", HeaderId::kAcceptContact}, {"u", HeaderId::kAllowEvents},
      {"y", HeaderId::kIdentity},     {"n", HeaderId::kIdentityInfo},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ClassifyHeader(c.name), c.id) << c.name;
    const char upper[2] = {static_cast<char>(c.name[0] - 'a' + 'A'), 0};
    EXPECT_EQ(ClassifyHeader(upper), c.id) << upper;
  }
  EXPECT_EQ(ClassifyHeader("g"), HeaderId::kUnknown);
  EXPECT_EQ(ClassifyHeader("cONTENT-lENGTH"), HeaderId::kContentLength);
  EXPECT_EQ(ClassifyHeader("Via2"), HeaderId::kUnknown);
  EXPECT_EQ(HeaderName(HeaderId::kCallId), "Call-ID");
  EXPECT_EQ(HeaderName(HeaderId::kWwwAuthenticate), "WWW-Authenticate");
  for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
    const auto id = static_cast<HeaderId>(i);
    EXPECT_EQ(ClassifyHeader(HeaderName(id)), id) << HeaderName(id);
  }
}

// Folded values keep their raw bytes; unknown fields are kept in order.
TEST(SipMessage, FoldingAndUnknownFieldsInOrder) {
  const std::string s =
      "OPTIONS sip:x@y SIP/2.0\r\n"
      "X-First: a\r\n"
      "Subject: one\r\n  two\r\n\tthree\r\n"
      "x-first: b\r\n"
      "Content-Length: 0\r\n\r\n";
  Message m;
  ASSERT_FALSE(ParseDatagram(s, &m));
  ASSERT_EQ(m.headers.size(), 4u);
  EXPECT_EQ(m.headers[0].name, "X-First");
  EXPECT_EQ(m.headers[1].value, "one\r\n  two\r\n\tthree");
  EXPECT_EQ(m.headers[2].value, "b");
  EXPECT_EQ(m.Find("x-FIRST"), &m.headers[0]);
  EXPECT_EQ(m.FindNext(&m.headers[0]), &m.headers[2]);
  EXPECT_EQ(m.Find("s"), &m.headers[1]);
}

// Datagram: bytes after Content-Length are ignored, a missing one takes the rest.
TEST(SipMessage, DatagramBodyRules) {
  Message m;
  ASSERT_FALSE(ParseDatagram("SIP/2.0 200 OK\r\nl: 2\r\n\r\nabcdef", &m));
  EXPECT_EQ(m.body, "ab");
  EXPECT_EQ(m.size, 26u);
  ASSERT_FALSE(ParseDatagram("SIP/2.0 200 OK\r\nX: y\r\n\r\nabcdef", &m));
  EXPECT_EQ(m.body, "abcdef");
  EXPECT_EQ(m.content_length, -1);
}

// Stream: Content-Length is required; leading CRLF keep-alives are skipped.
TEST(SipMessage, StreamFraming) {
  Message m;
  const std::string two = "\r\n\r\nSIP/2.0 200 OK\r\nl: 1\r\n\r\nxSIP/2.0 200 OK\r\n";
  ASSERT_FALSE(Parse(two, Framing::kStream, &m));
  EXPECT_EQ(m.body, "x");
  EXPECT_EQ(m.size, 4u + 25u);
  EXPECT_EQ(m.raw.substr(0, 7), "SIP/2.0");
  const ParseError e = Parse("SIP/2.0 200 OK\r\nX: y\r\n\r\n", Framing::kStream, &m);
  ASSERT_TRUE(e);
  EXPECT_NE(std::string(e.reason).find("missing Content-Length"), std::string::npos);
  const ParseError t = Parse("SIP/2.0 200 OK\r\nl: 9\r\n\r\nabc", Framing::kStream, &m);
  EXPECT_EQ(t.reason, kTruncatedBody);
}

struct Bad {
  const char* input;
  const char* reason;  // substring
  std::uint32_t line;
  std::uint32_t column;
};

// RFC 3261 21.5.6: a request of another SIP version is refused with
// kUnsupportedVersion, but only after its header fields and body parsed,
// so that the receiver can answer it 505 (it needs Via, From, To, Call-ID
// and CSeq); a malformed one gets kBadVersionMalformed and no answer.
// Before, parsing stopped at the start line and nothing could be answered.
TEST(SipMessage, OtherSipVersionIsParsedForA505) {
  const std::string req =
      "OPTIONS sip:t@example.org SIP/7.0\r\nVia: SIP/7.0/UDP c.example.com;branch=z9hG4bKv\r\n"
      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:t@example.org>\r\nCall-ID: v7\r\nCSeq: 1 OPTIONS\r\n"
      "l: 0\r\n\r\n";
  Message m;
  for (Framing f : {Framing::kDatagram, Framing::kStream}) {
    const ParseError e = Parse(req, f, &m);
    ASSERT_TRUE(e);
    EXPECT_EQ(e.reason, kUnsupportedVersion) << e.ToString();
    EXPECT_EQ(e.column, 27u);
    EXPECT_TRUE(m.is_request);
    EXPECT_EQ(m.method, "OPTIONS");
    EXPECT_EQ(m.version, "SIP/7.0");
    EXPECT_EQ(m.size, req.size());
    ASSERT_NE(m.Find(HeaderId::kCSeq), nullptr);
    EXPECT_EQ(m.Find(HeaderId::kCSeq)->value, "1 OPTIONS");
  }
  const ParseError bad = ParseDatagram("OPTIONS sip:t@example.org SIP/3.0\r\nX y: z\r\n\r\n", &m);
  EXPECT_EQ(bad.reason, kBadVersionMalformed) << bad.ToString();
  // On a stream, a body still arriving is waited for, whatever the version.
  EXPECT_EQ(Parse(req.substr(0, req.size() - 8) + "l: 3\r\n\r\nab", Framing::kStream, &m).reason, kTruncatedBody);
}

// Each malformed envelope is rejected with its reason, line and column.
TEST(SipMessage, RejectsWithReasonLineColumn) {
  const std::string nul_in_value("SIP/2.0 200 OK\r\nX: a\0b\r\n\r\n", 26);
  const std::string nul_in_name("SIP/2.0 200 OK\r\n\0X: ab\r\n\r\n", 26);
  const Bad cases[] = {
      {"", "empty message", 1, 1},
      {"INVITE sip:a@b SIP/2.0", "truncated start line", 1, 23},
      {"INVITE sip:a@b SIP/2.0\n\r\n", "bare LF", 1, 23},
      {"INVITE sip:a@b SIP/2.0\r\nX: y\r\n", "not ended by an empty line", 3, 1},
      {"INVITE sip:a@b SIP/2.0\r\nX: y\nZ: w\r\n\r\n", "bare LF in header field", 2, 5},
      {"INVITE sip:a@b SIP/2.0\r\nX: y\rZ: w\r\n\r\n", "bare CR", 2, 5},
      {"INVITE sip:a@b SIP/2.0\r\n\r\r\n", "bare CR in header section", 2, 1},
      {"INVITE sip:a@b SIP/2.0\r\n Y: w\r\n\r\n", "continuation line without a header field", 2, 1},
      {"INVITE sip:a@b SIP/2.0\r\nX y: w\r\n\r\n", "expected ':'", 2, 3},
      {"INVITE sip:a@b SIP/2.0\r\n: w\r\n\r\n", "not a token", 2, 1},
      {"INVITE sip:a@b SIP/3.0\r\n\r\n", "unsupported SIP version", 1, 16},
      {"INVITE sip:a@b HTTP/1.1\r\n\r\n", "bad SIP-Version", 1, 16},
      {"INVITE  sip:a@b SIP/2.0\r\n\r\n", "more than one SP after method", 1, 8},
      {"INVITE sip:a@b  SIP/2.0\r\n\r\n", "more than one SP before SIP-Version", 1, 15},
      {"INVITE sip:a@b SIP/2.0 \r\n\r\n", "trailing whitespace", 1, 23},
      {"INVITE sip:a @b SIP/2.0\r\n\r\n", "whitespace inside Request-URI", 1, 13},
      {"INVITE a@b SIP/2.0\r\n\r\n", "no scheme", 1, 9},
      {"INV<ITE sip:a@b SIP/2.0\r\n\r\n", "expected SP after method", 1, 4},
      {"SIP/2.0 2000 OK\r\n\r\n", "longer than 3 digits", 1, 12},
      {"SIP/2.0 20 OK\r\n\r\n", "not 3 digits", 1, 9},
      {"SIP/2.0 099 OK\r\n\r\n", "outside 100-699", 1, 9},
      {"SIP/2.0 700 OK\r\n\r\n", "outside 100-699", 1, 9},
      {"SIP/2.0 200OK\r\n\r\n", "expected SP after status code", 1, 12},
      {"SIP/2.1 200 OK\r\n\r\n", "unsupported SIP version", 1, 1},
      {"SIP/2.0 200 O\x01K\r\n\r\n", "control character in start line", 1, 14},
      {"SIP/2.0 200 OK\r\nl: 1\r\nl: 1\r\n\r\nx", "duplicate Content-Length", 3, 1},
      {"SIP/2.0 200 OK\r\nl: -1\r\n\r\n", "negative Content-Length", 2, 4},
      {"SIP/2.0 200 OK\r\nl: 99999999999999999999999\r\n\r\n", "Content-Length too large", 2, 4},
      {"SIP/2.0 200 OK\r\nl: 1 2\r\n\r\nx", "not a number", 2, 4},
      {"SIP/2.0 200 OK\r\nl:\r\n\r\n", "not a number", 2, 3},
      {"SIP/2.0 200 OK\r\nl: 5\r\n\r\nabc", "Content-Length larger than the message", 4, 4},
  };
  for (const Bad& c : cases) {
    Message m;
    const ParseError e = ParseDatagram(c.input, &m);
    ASSERT_TRUE(e) << c.input;
    EXPECT_NE(std::string(e.reason).find(c.reason), std::string::npos) << c.input << " -> " << e.ToString();
    EXPECT_EQ(e.line, c.line) << c.input << " -> " << e.ToString();
    EXPECT_EQ(e.column, c.column) << c.input << " -> " << e.ToString();
  }
  Message m;
  ParseError e = ParseDatagram(nul_in_value, &m);
  ASSERT_TRUE(e);
  EXPECT_STREQ(e.reason, "NUL byte in header field");
  EXPECT_EQ(e.column, 5u);
  e = ParseDatagram(nul_in_name, &m);
  ASSERT_TRUE(e);
  EXPECT_STREQ(e.reason, "NUL byte in header section");
  EXPECT_EQ(e.line, 2u);
}

// The header count is capped, so a message cannot grow memory without bound.
TEST(SipMessage, HeaderCountIsCapped) {
  std::string s = "OPTIONS sip:a@b SIP/2.0\r\n";
  for (std::size_t i = 0; i < kMaxHeaders; ++i) s += "X: y\r\n";
  Message m;
  ASSERT_FALSE(ParseDatagram(s + "\r\n", &m));
  EXPECT_EQ(m.headers.size(), kMaxHeaders);
  const ParseError e = ParseDatagram(s + "X: y\r\n\r\n", &m);
  ASSERT_TRUE(e);
  EXPECT_STREQ(e.reason, "too many header fields");
  EXPECT_EQ(e.line, kMaxHeaders + 2);
}

// A Message reused across parses keeps its capacity (no steady-state growth).
TEST(SipMessage, ReuseKeepsCapacity) {
  const std::string s = kMessage;
  Message m;
  ASSERT_FALSE(ParseDatagram(s, &m));
  const auto* data = m.headers.data();
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(ParseDatagram(s, &m));
  EXPECT_EQ(m.headers.data(), data);
  ASSERT_TRUE(ParseDatagram("garbage", &m));
  ASSERT_FALSE(ParseDatagram(s, &m));
  EXPECT_EQ(m.Count(HeaderId::kVia), 1u);
}

}  // namespace
}  // namespace sipim::sip

namespace sipim::sip {
namespace {

// Many quoted-pair NULs in one value parse (the quoting state is carried,
// not rescanned per byte), and an unquoted one among them is still caught.
TEST(SipMessage, ManyQuotedPairControlBytes) {
  std::string value = "\"";
  for (int i = 0; i < 200000; ++i) value += std::string("\\\0", 2);
  value += "\" <sip:a@b>";
  const std::string s = "SIP/2.0 200 OK\r\nTo: " + value + "\r\nl: 0\r\n\r\n";
  Message m;
  ASSERT_FALSE(Parse(s, Framing::kDatagram, &m));
  EXPECT_EQ(m.Find(HeaderId::kTo)->value.size(), value.size());
  std::string bad = s;
  bad.insert(bad.find("\" <sip") + 1, 1, '\0');  // a NUL after the closing quote
  const ParseError e = Parse(bad, Framing::kDatagram, &m);
  ASSERT_TRUE(e);
  EXPECT_STREQ(e.reason, "NUL byte in header field");
}

}  // namespace
}  // namespace sipim::sip
