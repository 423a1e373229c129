// The MSRP torture folder (tests/msrp/torture, MANIFEST.tsv): valid cases
// parse, invalid ones are rejected with a position, truncation never passes.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "msrp/builder.h"
#include "msrp/stream.h"
#include "msrp_test_util.h"

namespace sipim::msrp {
namespace {

using testing::LoadTorture;
using testing::TortureCase;

struct StreamResult {
  int messages = 0;
  ParseError error;
  bool at_boundary = false;
  std::string rebuilt;
};

StreamResult RunStream(std::string_view bytes) {
  StreamResult r;
  StreamParser p;
  r.error = p.FeedAll(bytes, [&](const Message& m) {
    ++r.messages;
    AppendMessage(m, &r.rebuilt);
  });
  r.at_boundary = p.at_message_boundary();
  return r;
}

// The manifest is there and has both kinds of case.
TEST(MsrpTorture, ManifestLoads) {
  auto cases = LoadTorture();
  int valid = 0, invalid = 0;
  for (const TortureCase& c : cases) {
    (c.valid ? valid : invalid)++;
    EXPECT_FALSE(c.bytes.empty()) << c.file;
  }
  EXPECT_GE(valid, 15);
  EXPECT_GE(invalid, 35);
}

// Every valid case parses (one message, or the stated count in a stream) and
// writes back byte for byte.
TEST(MsrpTorture, ValidCasesParseAndRoundTrip) {
  for (const TortureCase& c : LoadTorture()) {
    if (!c.valid) continue;
    if (!c.stream) {
      Message m;
      ParseError e = Parse(c.bytes, &m);
      EXPECT_FALSE(e) << c.file << ": " << e.ToString();
      std::string out;
      AppendMessage(m, &out);
      EXPECT_EQ(out, c.bytes) << c.file;
    }
    StreamResult r = RunStream(c.bytes);
    EXPECT_FALSE(r.error) << c.file << ": " << r.error.ToString();
    EXPECT_EQ(r.messages, c.messages) << c.file;
    EXPECT_TRUE(r.at_boundary) << c.file;
    EXPECT_EQ(r.rebuilt, c.bytes) << c.file;
  }
}

// Every invalid case is rejected with a reason, a line and a column (or, for
// a truncated stream, ends off a message boundary).
TEST(MsrpTorture, InvalidCasesAreRejected) {
  for (const TortureCase& c : LoadTorture()) {
    if (c.valid) continue;
    if (!c.stream) {
      Message m;
      ParseError e = Parse(c.bytes, &m);
      ASSERT_TRUE(e) << c.file << " (" << c.why << ") was accepted";
      EXPECT_GE(e.line, 1u) << c.file;
      EXPECT_GE(e.column, 1u) << c.file;
      EXPECT_LE(e.offset, c.bytes.size()) << c.file;
    } else {
      StreamResult r = RunStream(c.bytes);
      EXPECT_TRUE(r.error || !r.at_boundary) << c.file << " (" << c.why << ") was accepted";
      EXPECT_EQ(r.messages, c.messages) << c.file;
    }
  }
}

// A few cases fail for the stated reason at the stated place.
TEST(MsrpTorture, SelectedReasons) {
  struct Expect {
    const char* file;
    const char* reason_part;
    std::uint32_t line;
  } expects[] = {
      {"missing-to-path.msrp", "To-Path", 2},
      {"paths-swapped.msrp", "To-Path", 2},
      {"byte-range-zero-start.msrp", "1-based", 5},
      {"tid-illegal-chars.msrp", "transaction id", 1},
      {"header-without-colon.msrp", "':'", 6},
      {"nul-in-header.msrp", "header value", 6},
      {"bare-lf.msrp", "CRLF", 2},
      {"truncated.msrp", "truncated", 8},
      {"content-type-not-last.msrp", "after Content-Type", 7},
      {"endline-other-tid.msrp", "end-line", 4},
      {"uri-bad-ipv6.msrp", "IPv6", 2},
  };
  auto cases = LoadTorture();
  for (const Expect& x : expects) {
    auto it = std::find_if(cases.begin(), cases.end(), [&](const TortureCase& c) { return c.file == x.file; });
    ASSERT_NE(it, cases.end()) << x.file;
    Message m;
    ParseError e = Parse(it->bytes, &m);
    ASSERT_TRUE(e) << x.file;
    EXPECT_NE(std::string(e.reason).find(x.reason_part), std::string::npos) << x.file << ": " << e.ToString();
    EXPECT_EQ(e.line, x.line) << x.file << ": " << e.ToString();
  }
}

// Every proper prefix of every valid case is incomplete, never a message:
// truncation at any offset is caught.
TEST(MsrpTorture, TruncatedAtEveryOffset) {
  for (const TortureCase& c : LoadTorture()) {
    if (!c.valid) continue;
    for (std::size_t n = 0; n < c.bytes.size(); ++n) {
      std::string_view prefix = std::string_view(c.bytes).substr(0, n);
      StreamResult r = RunStream(prefix);
      ASSERT_FALSE(r.error) << c.file << " cut at " << n << ": " << r.error.ToString();
      ASSERT_LT(r.messages, c.messages) << c.file << " cut at " << n;
      if (!c.stream) {
        Message m;
        ParseError e = Parse(prefix, &m);
        ASSERT_TRUE(e) << c.file << " cut at " << n;
      }
    }
  }
}

}  // namespace
}  // namespace sipim::msrp
