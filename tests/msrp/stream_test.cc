// Incremental MSRP framing over a byte stream.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "msrp/builder.h"
#include "msrp/stream.h"
#include "msrp_test_util.h"

namespace sipim::msrp {
namespace {

using testing::kRfcOk;
using testing::kRfcReport;
using testing::kRfcSend;

// What a stream yields: each message written back, then the error (if any).
struct Outcome {
  std::vector<std::string> messages;
  std::string error;
  std::uint64_t error_offset = 0;
  bool at_boundary = false;
  bool operator==(const Outcome& o) const {
    return messages == o.messages && error == o.error && error_offset == o.error_offset &&
           at_boundary == o.at_boundary;
  }
};

// Feeds `data` in pieces cut at `cuts` (sorted offsets).
Outcome FeedPieces(std::string_view data, const std::vector<std::size_t>& cuts, const Limits& limits = Limits{}) {
  StreamParser p(limits);
  Outcome out;
  std::size_t prev = 0;
  std::vector<std::size_t> all = cuts;
  all.push_back(data.size());
  for (std::size_t c : all) {
    ParseError e = p.FeedAll(data.substr(prev, c - prev), [&](const Message& m) {
      std::string s;
      AppendMessage(m, &s);
      out.messages.push_back(s);
    });
    prev = c;
    if (e) {
      out.error = e.reason;
      out.error_offset = e.offset;
      break;
    }
  }
  out.at_boundary = p.at_message_boundary();
  return out;
}

Outcome FeedAtOnce(std::string_view data) { return FeedPieces(data, {}); }

Outcome FeedByteByByte(std::string_view data) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < data.size(); ++i) cuts.push_back(i);
  return FeedPieces(data, cuts);
}

const std::string kThree = kRfcSend + kRfcOk + kRfcReport;

// Appends a SEND with a fresh transaction id and this body.
void AppendTestSend(IdGenerator* ids, std::string_view body, std::string* stream) {
  SendParams p;
  IdGenerator::Id tid = ids->Next();
  p.transaction_id = tid.view();
  p.to_path = "msrp://a.example/s1;tcp";
  p.from_path = "msrp://b.example/s2;tcp";
  p.message_id = "mid0001";
  p.body = body;
  AppendSend(p, stream);
}

// Three messages fed at once come out whole and in order.
TEST(MsrpStream, ThreeMessagesAtOnce) {
  Outcome o = FeedAtOnce(kThree);
  ASSERT_EQ(o.messages.size(), 3u) << o.error;
  EXPECT_EQ(o.messages[0], kRfcSend);
  EXPECT_EQ(o.messages[1], kRfcOk);
  EXPECT_EQ(o.messages[2], kRfcReport);
  EXPECT_TRUE(o.at_boundary);
}

// Split into two pieces at every byte position: the same three messages.
TEST(MsrpStream, SplitAtEveryPosition) {
  const Outcome whole = FeedAtOnce(kThree);
  for (std::size_t i = 1; i < kThree.size(); ++i) EXPECT_EQ(FeedPieces(kThree, {i}), whole) << "cut at " << i;
}

// Split at every pair of positions around the end-lines (every split inside
// "-------<tid><flag>CRLF" and the CRLF before it).
TEST(MsrpStream, SplitInsideEndLinesAtEveryPairOfPositions) {
  const Outcome whole = FeedAtOnce(kThree);
  const std::size_t end1 = kRfcSend.size();
  for (std::size_t a = end1 - 22; a < end1 + 5; ++a)
    for (std::size_t b = a + 1; b < end1 + 30; ++b) EXPECT_EQ(FeedPieces(kThree, {a, b}), whole) << a << "," << b;
}

// Byte by byte gives the same as at once, for the torture streams too.
TEST(MsrpStream, ByteByByteEqualsAtOnce) {
  EXPECT_EQ(FeedByteByByte(kThree), FeedAtOnce(kThree));
  for (const auto& c : testing::LoadTorture()) EXPECT_EQ(FeedByteByByte(c.bytes), FeedAtOnce(c.bytes)) << c.file;
}

// Random splits of a long stream with bodies full of near-end-lines.
TEST(MsrpStream, RandomSplitsOfNastyBodies) {
  std::string stream;
  IdGenerator ids(7);
  for (int i = 0; i < 20; ++i) {
    std::string body;
    for (int k = 0; k < i; ++k) body += "\r\n-------" + std::string(ids.Next().view()) + "$\r\n-------\r\n";
    AppendTestSend(&ids, body, &stream);
  }
  const Outcome whole = FeedAtOnce(stream);
  ASSERT_EQ(whole.messages.size(), 20u) << whole.error;
  std::mt19937 rng(42);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::size_t> cuts;
    for (std::size_t pos = 0;;) {
      pos += 1 + rng() % 97;
      if (pos >= stream.size()) break;
      cuts.push_back(pos);
    }
    ASSERT_EQ(FeedPieces(stream, cuts), whole) << "trial " << trial;
  }
}

// Messages larger than the parser's copy step (16 KiB), split so that one
// piece ends a big message and starts the next: same result as at once.
TEST(MsrpStream, LargeMessagesAcrossPieces) {
  std::string stream;
  IdGenerator ids(11);
  std::vector<std::string> bodies;
  for (std::size_t n : {50000u, 17u, 40000u, 0u, 65000u}) {
    std::string body(n, 'b');
    for (std::size_t i = 0; i < n; i += 1000) body[i] = '\r';
    bodies.push_back(body);
  }
  for (const std::string& body : bodies) {
    AppendTestSend(&ids, body, &stream);
  }
  const Outcome whole = FeedAtOnce(stream);
  ASSERT_EQ(whole.messages.size(), bodies.size()) << whole.error;
  for (std::size_t piece : {1000u, 16384u, 20000u, 70000u}) {
    std::vector<std::size_t> cuts;
    for (std::size_t c = piece; c < stream.size(); c += piece) cuts.push_back(c);
    EXPECT_EQ(FeedPieces(stream, cuts), whole) << "pieces of " << piece;
  }
}

// A message larger than the limit is rejected, however it is fed, and the
// buffer never grows past the limit.
TEST(MsrpStream, OversizedChunkRejected) {
  Limits limits;
  limits.max_message_size = 1024;
  SendParams p;
  p.transaction_id = "abcd1234";
  p.to_path = "msrp://a/1;tcp";
  p.from_path = "msrp://b/2;tcp";
  p.message_id = "m123";
  std::string body(2000, 'x');
  p.body = body;
  std::string wire;
  AppendSend(p, &wire);
  Outcome once = FeedPieces(wire, {}, limits);
  EXPECT_TRUE(once.messages.empty());
  EXPECT_NE(once.error.find("maximum size"), std::string::npos) << once.error;
  EXPECT_EQ(once.error_offset, 1024u);
  StreamParser sp(limits);
  ParseError e;
  for (std::size_t i = 0; i < wire.size() && !e; i += 10) {
    e = sp.FeedAll(std::string_view(wire).substr(i, 10), [](const Message&) {});
    if (!e) {
      EXPECT_LE(sp.buffered(), 1024u);
    }
  }
  ASSERT_TRUE(e);
  EXPECT_EQ(e.offset, 1024u);
}

// After an error the stream stays failed, even if valid bytes follow.
TEST(MsrpStream, ErrorIsSticky) {
  StreamParser p;
  ParseError e = p.FeedAll("MSRP ab!d SEND\r\n", [](const Message&) {});
  ASSERT_TRUE(e);
  EXPECT_TRUE(p.failed());
  int n = 0;
  ParseError again = p.FeedAll(kRfcSend, [&](const Message&) { ++n; });
  EXPECT_TRUE(again);
  EXPECT_EQ(n, 0);
  EXPECT_FALSE(p.at_message_boundary());
}

// Garbage fails at once (at the first bad byte), not at the size limit.
TEST(MsrpStream, GarbageFailsFast) {
  StreamParser p;
  ParseError e = p.FeedAll("GET / HTTP/1.1", [](const Message&) {});
  ASSERT_TRUE(e);
  EXPECT_EQ(e.offset, 0u);
  StreamParser q;
  ASSERT_FALSE(q.FeedAll("MSRP a786hjs2 SEND\r\nTo-Path: x", [](const Message&) {}));
  e = q.FeedAll("\r\n", [](const Message&) {});
  ASSERT_FALSE(e);  // the header is checked once the message is complete
  e = q.FeedAll(" bad\r\n", [](const Message&) {});
  ASSERT_TRUE(e);  // a line starting with a space is no header
}

// Error offsets count from the start of the stream; line and column from the
// start of the bad message.
TEST(MsrpStream, ErrorPositionInStream) {
  std::string bad = kRfcOk;
  bad.replace(bad.find("From-Path"), 4, "Frm-");  // not From-Path
  Outcome o = FeedAtOnce(kRfcSend + bad);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.error_offset, kRfcSend.size() + bad.find("Frm-"));
  StreamParser p;
  ParseError e = p.FeedAll(kRfcSend + bad, [](const Message&) {});
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 1u);
}

// A message wholly inside the fed piece is parsed in place (zero-copy); one
// split across pieces is gathered into the parser's buffer.
TEST(MsrpStream, ZeroCopyWhenWhole) {
  StreamParser p;
  std::string data = kRfcSend + kRfcOk.substr(0, 10);
  p.Feed(data);
  Message m;
  ParseError e;
  ASSERT_EQ(p.Next(&m, &e), ParseResult::kMessage);
  EXPECT_EQ(m.body.data(), data.data() + kRfcSend.find("Hey Bob"));
  ASSERT_EQ(p.Next(&m, &e), ParseResult::kNeedMore);
  EXPECT_EQ(p.buffered(), 10u);
  std::string rest = kRfcOk.substr(10);
  p.Feed(rest);
  ASSERT_EQ(p.Next(&m, &e), ParseResult::kMessage);
  EXPECT_EQ(m.status_code, 200);
  EXPECT_TRUE(m.transaction_id.data() < rest.data() || m.transaction_id.data() >= rest.data() + rest.size());
  ASSERT_EQ(p.Next(&m, &e), ParseResult::kNeedMore);
  EXPECT_TRUE(p.at_message_boundary());
  EXPECT_EQ(p.stream_offset(), kRfcSend.size() + kRfcOk.size());
}

// A stream that ends inside a message is not at a boundary.
TEST(MsrpStream, TruncatedStreamIsNotAtBoundary) {
  for (std::size_t n = 1; n < kRfcSend.size(); ++n) {
    StreamParser p;
    ParseError e = p.FeedAll(std::string_view(kRfcSend).substr(0, n), [](const Message&) { FAIL(); });
    EXPECT_FALSE(e) << n;
    EXPECT_FALSE(p.at_message_boundary()) << n;
  }
}

// Feeding again before draining is a usage error, reported, not ignored.
TEST(MsrpStream, FeedBeforeDrainIsAnError) {
  StreamParser p;
  p.Feed(kRfcSend);
  p.Feed(kRfcOk);
  Message m;
  ParseError e;
  EXPECT_EQ(p.Next(&m, &e), ParseResult::kError);
  EXPECT_TRUE(p.failed());
}

}  // namespace
}  // namespace sipim::msrp
