// The SDP torture folder (tests/sdp/torture, MANIFEST.tsv).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sdp/sdp.h"
#include "sdp_test_util.h"

namespace sipim::sdp {
namespace {

struct Case {
  std::string file;
  bool valid = false;
  std::uint32_t line = 0;
  std::string why;
  std::string bytes;
};

std::vector<Case> Load() {
  const std::string dir = std::string(SIPIM_SOURCE_DIR) + "/tests/sdp/torture";
  std::vector<Case> cases;
  for (auto& cols : wire_testing::ReadTsv(dir + "/MANIFEST.tsv", 4)) {
    Case c{cols[0], cols[1] == "valid", static_cast<std::uint32_t>(std::stoul(cols[2])), cols[3], {}};
    c.bytes = testing::ReadFile(dir + "/" + c.file);
    cases.push_back(std::move(c));
  }
  return cases;
}

// Valid cases parse and round-trip; invalid ones fail at the stated line.
TEST(SdpTorture, Manifest) {
  auto cases = Load();
  ASSERT_GE(cases.size(), 30u);
  for (const Case& c : cases) {
    SessionDescription sd;
    ParseError e = Parse(c.bytes, &sd);
    if (c.valid) {
      ASSERT_FALSE(e) << c.file << ": " << e.ToString();
      std::string built;
      Build(sd, &built);
      SessionDescription again;
      ASSERT_FALSE(Parse(built, &again)) << c.file;
      EXPECT_EQ(sd, again) << c.file;
    } else {
      ASSERT_TRUE(e) << c.file << " (" << c.why << ") was accepted";
      EXPECT_EQ(e.line, c.line) << c.file << ": " << e.ToString();
      EXPECT_GE(e.column, 1u) << c.file;
    }
  }
}

// Truncating a valid description anywhere but after a line end is an error,
// never a crash; cutting right after a line end gives a shorter valid prefix
// or an error, never a different reading of the kept lines.
TEST(SdpTorture, TruncatedAtEveryOffset) {
  for (const Case& c : Load()) {
    if (!c.valid) continue;
    for (std::size_t n = 0; n < c.bytes.size(); ++n) {
      SessionDescription sd;
      ParseError e = Parse(std::string_view(c.bytes).substr(0, n), &sd);
      if (n > 0 && c.bytes[n - 1] == '\n') continue;  // a whole-line prefix may be valid
      EXPECT_TRUE(e) << c.file << " cut at " << n;
    }
  }
}

}  // namespace
}  // namespace sipim::sdp
