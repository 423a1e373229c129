// Helpers shared by the UA and the proxy (sip-internal.h).
#include <gtest/gtest.h>

#include <string>

#include "ns3/sip/sip-internal.h"

namespace {

struct Normalized {
  bool ok = false;
  std::string aor, user, domain;
};

Normalized Normalize(const std::string& in) {
  Normalized n;
  n.ok = ns3::sipns3::NormalizeAor(in, &n.aor, &n.user, &n.domain);
  return n;
}

// An address of record, with or without "sip:", becomes sip:user@domain with the domain (not the user) in lower case.
TEST(SipCommon, NormalizeAorAcceptsAddressesOfRecord) {
  const Normalized a = Normalize("sip:Dan@Home.COM");
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.aor, "sip:Dan@home.com");
  EXPECT_EQ(a.user, "Dan");
  EXPECT_EQ(a.domain, "home.com");
  const Normalized b = Normalize("shirley.with.a.long.name@office.example.com");
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.aor, "sip:shirley.with.a.long.name@office.example.com");
  EXPECT_EQ(b.user, "shirley.with.a.long.name");
  EXPECT_EQ(b.domain, "office.example.com");
}

// What cannot be an unquoted user@domain is refused: no '@', an empty side, blanks, controls, brackets, quotes, commas.
TEST(SipCommon, NormalizeAorRefusesMalformed) {
  for (const char* bad : {"", "sip:", "sip", "dan", "@home.com", "dan@", "sip:@home.com", "da n@home.com",
                          "dan@home.com\r", "<dan@home.com>", "\"dan\"@home.com", "dan@a,b", "dan@\x7f"}) {
    EXPECT_FALSE(Normalize(bad).ok) << bad;
  }
}

}  // namespace
