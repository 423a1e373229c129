// StreamFramer: messages found in a byte stream split anywhere, bounded
// memory, errors that end the stream.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "corpus_util.h"
#include "sip/stream_framer.h"

namespace sipim::sip {
namespace {

const char kA[] = "MESSAGE sip:b@b SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 5\r\n\r\nhello";
const char kB[] = "SIP/2.0 200 OK\r\nCall-ID: 2\r\nl: 0\r\n\r\n";
const char kC[] = "MESSAGE sip:b@b SIP/2.0\r\nCall-ID: 3\r\nContent-Length: 3\r\n\r\n\r\n\r";

// Feeds `stream` in pieces of `piece` bytes and collects the messages.
std::vector<std::string> Frame(const std::string& stream, std::size_t piece, ParseError* err,
                               std::size_t max = 65536, bool pass_other_versions = false) {
  StreamFramer f(max, pass_other_versions);
  std::vector<std::string> out;
  Message m;
  for (std::size_t i = 0; i < stream.size(); i += piece) {
    f.Append(std::string_view(stream).substr(i, piece));
    for (;;) {
      const auto st = f.Next(&m, err);
      if (st == StreamFramer::Status::kMessage) {
        out.emplace_back(m.raw);
        continue;
      }
      if (st == StreamFramer::Status::kError) return out;
      break;
    }
  }
  return out;
}

// Any split of the stream (1 byte to all at once) yields the same messages.
TEST(SipFramer, SameMessagesForEverySplit) {
  const std::string stream = std::string("\r\n\r\n") + kA + kB + "\r\n" + kC;
  for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
    ParseError err;
    const auto msgs = Frame(stream, piece, &err);
    ASSERT_FALSE(err) << piece << ": " << err.ToString();
    ASSERT_EQ(msgs.size(), 3u) << piece;
    EXPECT_EQ(msgs[0], kA);
    EXPECT_EQ(msgs[1], kB);
    EXPECT_EQ(msgs[2], kC);  // the body is "\r\n\r": CRLFs inside a body are data
  }
}

// The framer reports need-more until a message is complete.
TEST(SipFramer, NeedMoreUntilComplete) {
  StreamFramer f;
  Message m;
  ParseError e;
  const std::string a = kA;
  f.Append(a.substr(0, a.size() - 1));
  EXPECT_EQ(f.Next(&m, &e), StreamFramer::Status::kNeedMore);
  f.Append(a.substr(a.size() - 1));
  ASSERT_EQ(f.Next(&m, &e), StreamFramer::Status::kMessage);
  EXPECT_EQ(m.body, "hello");
  EXPECT_EQ(f.Next(&m, &e), StreamFramer::Status::kNeedMore);
  EXPECT_EQ(f.buffered(), 0u);
  EXPECT_EQ(f.consumed(), a.size());
}

// With pass_other_versions, a whole request of another SIP version is a
// message (Parse() on it reports kUnsupportedVersion, for a 505), and the
// stream goes on with the next one; without, it stays a framing error.
// Before, it was a framing error that closed the connection either way.
TEST(SipFramer, OtherSipVersionKeepsTheStream) {
  const std::string v3 = "MESSAGE sip:b@b SIP/3.0\r\nCall-ID: 9\r\nContent-Length: 2\r\n\r\nhi";
  ParseError e;
  EXPECT_TRUE(Frame(v3 + kB, 1, &e).empty());
  EXPECT_EQ(e.reason, kUnsupportedVersion);
  const std::vector<std::string> got = Frame(v3 + kB, 1, &e, 65536, true);
  ASSERT_EQ(got.size(), 2u) << e.ToString();
  EXPECT_EQ(got[0], v3);
  EXPECT_EQ(got[1], kB);
  Message m;
  EXPECT_EQ(Parse(got[0], Framing::kStream, &m).reason, kUnsupportedVersion);
}

// A missing Content-Length is fatal on a stream, and stays fatal.
TEST(SipFramer, MissingContentLengthIsFatal) {
  StreamFramer f;
  Message m;
  ParseError e;
  f.Append("SIP/2.0 200 OK\r\nCall-ID: 2\r\n\r\n");
  ASSERT_EQ(f.Next(&m, &e), StreamFramer::Status::kError);
  EXPECT_NE(std::string(e.reason).find("missing Content-Length"), std::string::npos);
  f.Append(kB);
  EXPECT_EQ(f.Next(&m, &e), StreamFramer::Status::kError);
  EXPECT_TRUE(f.failed());
}

// Memory is bounded: an endless header section or a huge body is refused.
TEST(SipFramer, MaxMessageSize) {
  StreamFramer f(1024);
  Message m;
  ParseError e;
  std::string chunk = "OPTIONS sip:a@b SIP/2.0\r\n";
  f.Append(chunk);
  EXPECT_EQ(f.Next(&m, &e), StreamFramer::Status::kNeedMore);
  StreamFramer::Status st = StreamFramer::Status::kNeedMore;
  for (int i = 0; i < 200 && st == StreamFramer::Status::kNeedMore; ++i) {
    f.Append("X-Pad: aaaaaaaaaaaaaaaaaaaaaa\r\n");
    st = f.Next(&m, &e);
  }
  ASSERT_EQ(st, StreamFramer::Status::kError);
  EXPECT_NE(std::string(e.reason).find("maximum message size"), std::string::npos);
  EXPECT_LE(f.buffered(), 1024u + 64u);

  StreamFramer g(1024);
  g.Append("MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5000\r\n\r\nabc");
  ASSERT_EQ(g.Next(&m, &e), StreamFramer::Status::kError);
  EXPECT_NE(std::string(e.reason).find("maximum message size"), std::string::npos);
}

// Every valid RFC 4475 message framed on a stream, fed byte by byte, comes
// out identical to a datagram parse of it.
TEST(SipFramer, TortureMessagesByteByByte) {
  for (const auto& row : testing::ReadManifest("rfc4475")) {
    if (row.category != "valid" || row.file == "dblreq.dat") continue;
    const std::string d = testing::ReadFile(testing::CorpusPath("rfc4475/" + row.file));
    Message dm;
    ASSERT_FALSE(Parse(d, Framing::kDatagram, &dm)) << row.file;
    if (dm.content_length < 0) continue;  // a stream needs Content-Length
    const std::string one(dm.raw);
    ParseError err;
    const auto msgs = Frame(one + one, 1, &err);
    ASSERT_FALSE(err) << row.file << ": " << err.ToString();
    ASSERT_EQ(msgs.size(), 2u) << row.file;
    EXPECT_EQ(msgs[0], one);
    EXPECT_EQ(msgs[1], one);
  }
}

}  // namespace
}  // namespace sipim::sip
