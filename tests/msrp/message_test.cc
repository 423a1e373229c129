// MSRP message parsing (RFC 4975 sections 7 and 9).
#include <gtest/gtest.h>

#include <string>

#include "msrp/builder.h"
#include "msrp/message.h"
#include "msrp/stream.h"
#include "msrp_test_util.h"

namespace sipim::msrp {
namespace {

using testing::kRfcOk;
using testing::kRfcReport;
using testing::kRfcSend;

ParseError ParseText(const std::string& s, Message* m) { return Parse(s, m); }

// RFC 4975 section 4's SEND: every typed field.
TEST(MsrpMessage, ParsesRfcSend) {
  Message m;
  ASSERT_FALSE(ParseText(kRfcSend, &m)) << ParseText(kRfcSend, &m).ToString();
  EXPECT_TRUE(m.is_request);
  EXPECT_EQ(m.transaction_id, "a786hjs2");
  EXPECT_EQ(m.method, Method::kSend);
  EXPECT_EQ(m.method_name, "SEND");
  EXPECT_EQ(m.to_path, "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp");
  EXPECT_EQ(m.from_path, "msrp://atlanta.example.com:7654/jshA7weztas;tcp");
  EXPECT_EQ(m.message_id, "87652491");
  ASSERT_TRUE(m.has_byte_range);
  EXPECT_EQ(m.byte_range.start, 1u);
  EXPECT_EQ(m.byte_range.end, 25u);
  EXPECT_EQ(m.byte_range.total, 25u);
  EXPECT_EQ(m.content_type, "text/plain");
  EXPECT_TRUE(m.has_body);
  EXPECT_EQ(m.body, "Hey Bob, are you there?");
  EXPECT_EQ(m.flag, EndFlag::kComplete);
  EXPECT_EQ(m.size, kRfcSend.size());
  EXPECT_EQ(m.headers.size(), 5u);
  EXPECT_EQ(m.success_report, ReportMode::kAbsent);
}

// RFC 4975 section 7.1.1's example SEND parses; its Byte-Range is taken
// as written (the parser checks syntax, the reassembler checks lengths).
TEST(MsrpMessage, ParsesRfcSection711Send) {
  Message m;
  ASSERT_FALSE(ParseText(testing::kRfcSend711, &m));
  EXPECT_EQ(m.transaction_id, "d93kswow");
  EXPECT_EQ(m.message_id, "12339sdqwer");
  EXPECT_EQ(m.byte_range, (ByteRange{1, 16, 16, false, false}));
  EXPECT_EQ(m.body, "Hi, I'm Alice!");
  std::string out;
  AppendMessage(m, &out);
  EXPECT_EQ(out, testing::kRfcSend711);
}

// Zero-copy: the views point into the caller's buffer.
TEST(MsrpMessage, ViewsPointIntoTheBuffer) {
  Message m;
  ASSERT_FALSE(ParseText(kRfcSend, &m));
  const char* b = kRfcSend.data();
  const char* e = b + kRfcSend.size();
  for (std::string_view v : {m.transaction_id, m.to_path, m.from_path, m.message_id, m.body, m.content_type}) {
    EXPECT_GE(v.data(), b);
    EXPECT_LE(v.data() + v.size(), e);
  }
}

// The RFC's 200 OK: a response with comment and no body.
TEST(MsrpMessage, ParsesRfcResponse) {
  Message m;
  ASSERT_FALSE(ParseText(kRfcOk, &m));
  EXPECT_FALSE(m.is_request);
  EXPECT_EQ(m.method, Method::kNone);
  EXPECT_EQ(m.status_code, 200);
  EXPECT_EQ(m.comment, "OK");
  EXPECT_FALSE(m.has_body);
  EXPECT_EQ(m.headers.size(), 2u);
}

// A REPORT's Status header: namespace, code, reason.
TEST(MsrpMessage, ParsesReportStatus) {
  Message m;
  ASSERT_FALSE(ParseText(kRfcReport, &m));
  EXPECT_EQ(m.method, Method::kReport);
  ASSERT_TRUE(m.has_status);
  EXPECT_EQ(m.status.ns, 0);
  EXPECT_EQ(m.status.code, 200);
  EXPECT_EQ(m.status.reason, "OK");
  EXPECT_EQ(m.byte_range.end, 106u);
}

// Byte-Range with '*' end and total; reports; unknown headers kept in order.
TEST(MsrpMessage, ParsesStarsReportsAndExtensions) {
  std::string s =
      "MSRP abcd1234 SEND\r\n"
      "To-Path: msrp://a.example/1;tcp\r\n"
      "From-Path: msrp://b.example/2;tcp\r\n"
      "Message-ID: m1234\r\n"
      "Byte-Range: 1-*/*\r\n"
      "Success-Report: yes\r\n"
      "Failure-Report: partial\r\n"
      "X-First: one\r\n"
      "x-second: two\r\n"
      "Content-Type: text/plain; charset=\"utf-8\"\r\n"
      "\r\n"
      "hello\r\n"
      "-------abcd1234+\r\n";
  Message m;
  ASSERT_FALSE(ParseText(s, &m)) << ParseText(s, &m).ToString();
  EXPECT_TRUE(m.byte_range.end_unknown);
  EXPECT_TRUE(m.byte_range.total_unknown);
  EXPECT_EQ(m.success_report, ReportMode::kYes);
  EXPECT_EQ(m.failure_report, ReportMode::kPartial);
  EXPECT_EQ(m.flag, EndFlag::kMore);
  ASSERT_EQ(m.headers.size(), 9u);
  EXPECT_EQ(m.headers[6].name, "X-First");
  EXPECT_EQ(m.headers[7].value, "two");
  ASSERT_NE(m.Find("X-SECOND"), nullptr);
  EXPECT_EQ(m.Find("x-second")->value, "two");
  EXPECT_EQ(m.Find("nope"), nullptr);
}

// RFC 4975 section 9: hname = ALPHA *token, and MSRP's token takes
// # $ % & ' * + - . ^ _ ` { | } ~ too: such extension headers are valid.
TEST(MsrpMessage, HeaderNamesTakeEveryTokenChar) {
  const std::string name = "X-a#b$c%d&e'f*g+h.i^j_k`l{m|n}o~p!q";
  std::string s = "MSRP abcd1234 SEND\r\nTo-Path: msrp://a/1;tcp\r\nFrom-Path: msrp://b/2;tcp\r\n"
                  "Message-ID: m1234\r\n" + name + ": v\r\n-------abcd1234$\r\n";
  Message m;
  ASSERT_FALSE(ParseText(s, &m)) << ParseText(s, &m).ToString();
  ASSERT_NE(m.Find(name), nullptr);
  EXPECT_EQ(m.Find(name)->value, "v");
  std::string out;
  AppendMessage(m, &out);
  EXPECT_EQ(out, s);
  // The separators stay out of a name.
  for (char bad : {'"', '(', ')', ',', '/', ';', '<', '=', '>', '?', '@', '[', '\\', ']'}) {
    std::string t = s;
    t.replace(t.find("X-a#b") + 1, 1, 1, bad);
    EXPECT_TRUE(ParseText(t, &m)) << bad;
  }
}

// RFC 4975 section 9: a quoted-string parameter value holds qdtext (UTF-8
// included) and the escapes \\ and \" only; any other escape or a byte that
// is no UTF-8 is refused at its column.
TEST(MsrpMessage, ContentTypeQuotedString) {
  auto send = [](const std::string& ct) {
    return "MSRP abcd1234 SEND\r\nTo-Path: msrp://a/1;tcp\r\nFrom-Path: msrp://b/2;tcp\r\n"
           "Message-ID: m1234\r\nContent-Type: " + ct + "\r\n\r\nx\r\n-------abcd1234$\r\n";
  };
  Message m;
  for (const char* ok : {"text/plain;a=\"x\\\\y\\\"z\"", "text/plain;a=\"caf\xc3\xa9 \t!\""})
    EXPECT_FALSE(ParseText(send(ok), &m)) << ok << ": " << ParseText(send(ok), &m).ToString();
  struct Case {
    const char* ct;
    std::uint32_t column;
  } bad[] = {
      {"text/plain;a=\"x\\y\"", 30},      // \y is no qd-esc
      {"text/plain;a=\"\xff\"", 29},       // not UTF-8
      {"text/plain;a=\"\xc3(\"", 29},      // a broken sequence
  };
  for (const Case& c : bad) {
    ParseError e = ParseText(send(c.ct), &m);
    ASSERT_TRUE(e) << c.ct;
    EXPECT_EQ(e.line, 5u) << c.ct;
    EXPECT_EQ(e.column, c.column) << c.ct << ": " << e.ToString();
  }
}

// Unknown methods are preserved, not rejected.
TEST(MsrpMessage, UnknownMethodPreserved) {
  std::string s = "MSRP abcd1234 AUTH\r\nTo-Path: msrp://a/1;tcp\r\nFrom-Path: msrp://b/2;tcp\r\n-------abcd1234$\r\n";
  Message m;
  ASSERT_FALSE(ParseText(s, &m));
  EXPECT_EQ(m.method, Method::kOther);
  EXPECT_EQ(m.method_name, "AUTH");
}

// The body ends only at this transaction's end-line: others are data.
TEST(MsrpMessage, EndLineOfAnotherTransactionIsBody) {
  std::string body = "a\r\n-------zzzz1234$\r\n-------a786hjs2\r\n--------a786hjs2$\r\nz";
  std::string s =
      "MSRP a786hjs2 SEND\r\nTo-Path: msrp://a/1;tcp\r\nFrom-Path: msrp://b/2;tcp\r\nMessage-ID: abcd\r\n"
      "Content-Type: text/plain\r\n\r\n" + body + "\r\n-------a786hjs2$\r\n";
  Message m;
  ASSERT_FALSE(ParseText(s, &m)) << ParseText(s, &m).ToString();
  EXPECT_EQ(m.body, body);
}

// An empty body: Content-Type, empty line, no data, CRLF, end-line.
TEST(MsrpMessage, EmptyBody) {
  std::string s =
      "MSRP a786hjs2 SEND\r\nTo-Path: msrp://a/1;tcp\r\nFrom-Path: msrp://b/2;tcp\r\nMessage-ID: abcd\r\n"
      "Byte-Range: 1-0/0\r\nContent-Type: text/plain\r\n\r\n\r\n-------a786hjs2$\r\n";
  Message m;
  ASSERT_FALSE(ParseText(s, &m)) << ParseText(s, &m).ToString();
  EXPECT_TRUE(m.has_body);
  EXPECT_EQ(m.body, "");
  EXPECT_EQ(m.byte_range.end, 0u);
}

// Errors name the line and column of the fault.
TEST(MsrpMessage, ErrorsNameLineAndColumn) {
  struct Case {
    std::string text;
    std::uint32_t line, column;
  } cases[] = {
      {"MSRQ a786hjs2 SEND\r\n", 1, 4},
      {"MSRP ab_d1234 SEND\r\n", 1, 8},
      {"MSRP a786hjs2 send\r\n", 1, 15},
      {"MSRP a786hjs2 SEND\r\nTo-Path msrp://a/1;tcp\r\n", 2, 8},  // the space in the name
      {"MSRP a786hjs2 SEND\r\nTo-Path: msrp://a/1;tcp\r\nFrom-Path: msrp://b/2;tcp\r\nByte-Range: 0-1/1\r\n", 4, 13},
      {"MSRP a786hjs2 SEND\r\nTo-Path: msrp://a/1;tcp\r\nFrom-Path: msrp://b/2;tcp\r\nByte-Range: 1-2/1\r\n", 4, 17},
      {"MSRP a786hjs2 SEND\r\nTo-Path: msrp://a/1;tcp\r\nFrom-Path: msrp://b/2\r\n", 3, 22},
      {"MSRP a786hjs2 SEND\r\nTo-Path: msrp://a/1;tcp\r\nFrom-Path: msrp://b/2;tcp\r\n-------a786hjs2$\r\n", 4, 1},
  };
  for (const Case& c : cases) {
    Message m;
    ParseError e = ParseText(c.text, &m);
    ASSERT_TRUE(e) << c.text;
    EXPECT_EQ(e.line, c.line) << c.text << " -> " << e.ToString();
    EXPECT_EQ(e.column, c.column) << c.text << " -> " << e.ToString();
  }
}

// A start line of "MSRP" and a 32-character transaction id but no method
// is refused for the missing method, not as an overlong id (the CR ending
// the line is no 33rd id character); a 33-character id is still overlong.
TEST(MsrpMessage, StartLineWithLongestIdButNoMethod) {
  const std::string tid(32, 'a');
  const std::string rest = "To-Path: msrp://a/1;tcp\r\nFrom-Path: msrp://b/2;tcp\r\n-------" + tid + "$\r\n";
  Message m;
  ParseError e = ParseText("MSRP " + tid + "\r\n" + rest, &m);
  ASSERT_TRUE(e);
  EXPECT_STREQ(e.reason, "start line lacks the method or status code");
  EXPECT_EQ(e.column, 38u);
  StreamParser p;
  ParseError se = p.FeedAll("MSRP " + tid + "\r\n" + rest, [](const Message&) {});
  ASSERT_TRUE(se);
  EXPECT_STREQ(se.reason, e.reason);
  e = ParseText("MSRP " + tid + "a\r\n" + rest, &m);
  ASSERT_TRUE(e);
  EXPECT_STREQ(e.reason, "transaction id longer than 32 characters");
}

// ParsePrefix: a valid prefix asks for more; a complete message reports its
// size and leaves the rest.
TEST(MsrpMessage, PrefixSemantics) {
  Message m;
  ParseError e;
  for (std::size_t n = 0; n < kRfcSend.size(); ++n)
    ASSERT_EQ(ParsePrefix(std::string_view(kRfcSend).substr(0, n), &m, &e), ParseResult::kNeedMore) << n;
  std::string two = kRfcSend + kRfcOk;
  ASSERT_EQ(ParsePrefix(two, &m, &e), ParseResult::kMessage);
  EXPECT_EQ(m.size, kRfcSend.size());
  EXPECT_TRUE(Parse(two, &m));  // Parse wants exactly one message
}

// The size limit bounds what ParsePrefix reads.
TEST(MsrpMessage, SizeLimit) {
  Limits small;
  small.max_message_size = kRfcSend.size() - 1;
  Message m;
  ParseError e;
  EXPECT_EQ(ParsePrefix(kRfcSend, &m, &e, small), ParseResult::kError);
  EXPECT_EQ(e.offset, small.max_message_size);
  small.max_message_size = kRfcSend.size();
  EXPECT_EQ(ParsePrefix(kRfcSend, &m, &e, small), ParseResult::kMessage);
  Limits few;
  few.max_headers = 4;
  EXPECT_TRUE(Parse(kRfcSend, &m, few));
}

// AppendMessage writes back the exact bytes, and the result parses equal.
TEST(MsrpMessage, RoundTripIsExact) {
  for (const std::string* s : {&kRfcSend, &kRfcOk, &kRfcReport, &testing::kRfcChunk1}) {
    Message m, again;
    ASSERT_FALSE(ParseText(*s, &m));
    std::string out;
    AppendMessage(m, &out);
    EXPECT_EQ(out, *s);
    ASSERT_FALSE(Parse(out, &again));
    EXPECT_EQ(m, again);
  }
}

// Parsing into a reused Message keeps the header storage (no allocation in
// steady state) and clears old values.
TEST(MsrpMessage, ReuseClearsFields) {
  Message m;
  ASSERT_FALSE(ParseText(kRfcSend, &m));
  const Header* storage = m.headers.data();
  ASSERT_FALSE(ParseText(kRfcOk, &m));
  EXPECT_EQ(m.headers.data(), storage);
  EXPECT_EQ(m.message_id, "");
  EXPECT_FALSE(m.has_byte_range);
  EXPECT_FALSE(m.has_body);
}

// Ident rules: 4..32 chars, first alphanumeric.
TEST(MsrpMessage, IdentRules) {
  EXPECT_TRUE(IsValidIdent("abcd"));
  EXPECT_TRUE(IsValidIdent("a.-+%=9"));
  EXPECT_TRUE(IsValidIdent(std::string(32, 'x')));
  EXPECT_FALSE(IsValidIdent("abc"));
  EXPECT_FALSE(IsValidIdent(std::string(33, 'x')));
  EXPECT_FALSE(IsValidIdent(".abcd"));
  EXPECT_FALSE(IsValidIdent("ab d"));
  EXPECT_FALSE(IsValidIdent("ab_d"));
}

}  // namespace
}  // namespace sipim::msrp
