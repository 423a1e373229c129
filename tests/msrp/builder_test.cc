// MSRP builders: SEND, responses, REPORT, identifiers.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "msrp/builder.h"
#include "msrp/message.h"
#include "msrp_test_util.h"

namespace sipim::msrp {
namespace {

SendParams RfcSendParams() {
  SendParams p;
  p.transaction_id = "a786hjs2";
  p.to_path = "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp";
  p.from_path = "msrp://atlanta.example.com:7654/jshA7weztas;tcp";
  p.message_id = "87652491";
  p.body = "Hey Bob, are you there?";
  return p;
}

// The builder reproduces RFC 4975 section 4's SEND byte for byte, once the
// Byte-Range is given as printed in the RFC.
TEST(MsrpBuilder, SendMatchesRfcText) {
  SendParams p = RfcSendParams();
  p.derive_byte_range = false;
  p.byte_range = ByteRange{1, 25, 25, false, false};
  std::string out;
  AppendSend(p, &out);
  EXPECT_EQ(out, testing::kRfcSend);
}

// A derived Byte-Range covers the body exactly; reports are written; the
// result parses back to the same values.
TEST(MsrpBuilder, SendParsesBack) {
  SendParams p = RfcSendParams();
  p.success_report = ReportMode::kYes;
  p.failure_report = ReportMode::kNo;
  p.content_type = "text/plain; charset=UTF-8";
  std::string out;
  AppendSend(p, &out);
  Message m;
  ASSERT_FALSE(Parse(out, &m)) << Parse(out, &m).ToString() << "\n" << out;
  EXPECT_EQ(m.byte_range, (ByteRange{1, 23, 23, false, false}));
  EXPECT_EQ(m.success_report, ReportMode::kYes);
  EXPECT_EQ(m.failure_report, ReportMode::kNo);
  EXPECT_EQ(m.content_type, "text/plain; charset=UTF-8");
  EXPECT_EQ(m.body, p.body);
}

// A SEND without body: no Content-Type, Byte-Range 1-0/0.
TEST(MsrpBuilder, SendWithoutBody) {
  SendParams p = RfcSendParams();
  p.has_body = false;
  std::string out;
  AppendSend(p, &out);
  Message m;
  ASSERT_FALSE(Parse(out, &m)) << out;
  EXPECT_FALSE(m.has_body);
  EXPECT_EQ(m.content_type, "");
  EXPECT_EQ(m.byte_range, (ByteRange{1, 0, 0, false, false}));
}

// The 200 OK to the RFC SEND is the RFC's 200 OK, byte for byte (paths
// reversed, one hop each).
TEST(MsrpBuilder, OkMatchesRfcText) {
  Message req;
  ASSERT_FALSE(Parse(testing::kRfcSend, &req));
  std::string out;
  AppendOk(req, &out);
  EXPECT_EQ(out, testing::kRfcOk);
}

// Responses to a multi-hop request address only the previous hop.
TEST(MsrpBuilder, ResponseUsesFirstHops) {
  std::string s =
      "MSRP abcd1234 SEND\r\nTo-Path: msrp://me/1;tcp msrp://far/9;tcp\r\n"
      "From-Path: msrp://relay/2;tcp msrp://origin/3;tcp\r\nMessage-ID: m123\r\n-------abcd1234$\r\n";
  Message req, resp;
  ASSERT_FALSE(Parse(s, &req)) << Parse(s, &req).ToString();
  std::string out;
  AppendResponse(req, 413, "Message too large", &out);
  ASSERT_FALSE(Parse(out, &resp));
  EXPECT_EQ(resp.to_path, "msrp://relay/2;tcp");
  EXPECT_EQ(resp.from_path, "msrp://me/1;tcp");
  EXPECT_EQ(resp.status_code, 413);
  EXPECT_EQ(resp.comment, "Message too large");
  out.clear();
  AppendResponse(req, 200, "", &out);
  ASSERT_FALSE(Parse(out, &resp));
  EXPECT_EQ(resp.comment, "");
}

// The REPORT builder reproduces the REPORT example byte for byte.
TEST(MsrpBuilder, ReportMatchesExample) {
  ReportParams r;
  r.transaction_id = "dkei38sd";
  r.to_path = "msrp://alicepc.example.com:7777/iau39soe2843z;tcp";
  r.from_path = "msrp://bob.example.com:8888/9di4eae923wzd;tcp";
  r.message_id = "12339sdqwer";
  r.byte_range = ByteRange{1, 106, 106, false, false};
  std::string out;
  AppendReport(r, &out);
  EXPECT_EQ(out, testing::kRfcReport);
}

// Byte ranges with stars are written as '*'.
TEST(MsrpBuilder, ByteRangeStars) {
  std::string s;
  AppendByteRange(ByteRange{5, 0, 0, true, true}, &s);
  EXPECT_EQ(s, "5-*/*");
}

// Ids are valid idents, distinct, and the same for the same seed.
TEST(MsrpBuilder, IdGeneratorIsDeterministic) {
  IdGenerator a(99), b(99), c(100);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string x(a.Next().view());
    EXPECT_EQ(x, b.Next().view());
    EXPECT_TRUE(IsValidIdent(x)) << x;
    seen.insert(x);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_NE(IdGenerator(99).Next().view(), c.Next().view());
}

// Builders append: two messages in one buffer form a valid stream.
TEST(MsrpBuilder, AppendsToOneBuffer) {
  std::string out = "prefix";
  SendParams p = RfcSendParams();
  AppendSend(p, &out);
  EXPECT_EQ(out.compare(0, 6, "prefix"), 0);
  Message m;
  EXPECT_FALSE(Parse(std::string_view(out).substr(6), &m));
}

}  // namespace
}  // namespace sipim::msrp
