// URI parsing: SIP/SIPS/tel/absolute URIs, IPv6 references, escapes.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "sip/uri.h"

namespace sipim::sip {
namespace {

// A full SIP URI: user, password, host, port, params, headers.
TEST(SipUri, AllParts) {
  Uri u;
  ASSERT_FALSE(ParseUri("sips:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=project&priority=urgent", &u));
  EXPECT_EQ(u.scheme_id, UriScheme::kSips);
  EXPECT_EQ(u.user, "alice");
  EXPECT_TRUE(u.has_password);
  EXPECT_EQ(u.password, "secret");
  EXPECT_EQ(u.host, "atlanta.com");
  EXPECT_EQ(u.host_kind, HostKind::kHostname);
  EXPECT_EQ(u.port, 5061);
  Param p;
  ASSERT_TRUE(u.params.Find("transport", &p));
  EXPECT_EQ(p.value, "tcp");
  EXPECT_TRUE(u.params.Has("lr"));
  EXPECT_EQ(u.headers, "subject=project&priority=urgent");
  ASSERT_FALSE(ParseUri("SIP:192.0.2.4", &u));
  EXPECT_EQ(u.scheme_id, UriScheme::kSip);
  EXPECT_FALSE(u.has_user);
  EXPECT_EQ(u.host_kind, HostKind::kIPv4);
  EXPECT_EQ(u.port, -1);
}

// IPv6 references with and without port; RFC 5118 4.10 ":::" is rejected.
TEST(SipUri, Ipv6References) {
  Uri u;
  ASSERT_FALSE(ParseUri("sip:[2001:db8::10]:5070", &u));
  EXPECT_EQ(u.host, "[2001:db8::10]");
  EXPECT_EQ(u.port, 5070);
  ASSERT_FALSE(ParseUri("sip:user@[::ffff:192.0.2.2]", &u));
  EXPECT_EQ(u.host_kind, HostKind::kIPv6);
  EXPECT_TRUE(ParseUri("sip:user@[2001:db8:::192.0.2.1]", &u));
  EXPECT_TRUE(ParseUri("sip:2001:db8::10", &u));
  EXPECT_TRUE(ParseUri("sip:[2001:db8::10", &u));
  EXPECT_TRUE(IsIPv6Address("::"));
  EXPECT_TRUE(IsIPv6Address("1:2:3:4:5:6:7:8"));
  EXPECT_TRUE(IsIPv6Address("1::8"));
  EXPECT_TRUE(IsIPv6Address("::1.2.3.4"));
  EXPECT_FALSE(IsIPv6Address("1:2:3:4:5:6:7:8:9"));
  EXPECT_FALSE(IsIPv6Address("1:2:3:4:5:6:7"));
  EXPECT_FALSE(IsIPv6Address("1::2::3"));
  EXPECT_FALSE(IsIPv6Address("12345::"));
  EXPECT_FALSE(IsIPv6Address("1:"));
  EXPECT_FALSE(IsIPv6Address(":1"));
  EXPECT_TRUE(IsIPv4Address("255.255.255.255"));
  EXPECT_FALSE(IsIPv4Address("256.1.1.1"));
  EXPECT_FALSE(IsIPv4Address("1.2.3"));
  EXPECT_FALSE(IsIPv4Address("1.2.3.4."));
}

// IsIPv4Address agrees with the rule written out (four dot-separated groups
// of 1-3 digits, each at most 255, nothing else) on 200 000 random strings of
// digits and dots (half of them built as groups around the limits), and on
// a few with other characters.
TEST(SipUri, IPv4AddressMatchesRule) {
  const auto rule = [](std::string_view h) {
    int groups = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= h.size(); ++i) {
      if (i < h.size() && h[i] != '.') {
        if (h[i] < '0' || h[i] > '9') return false;
        continue;
      }
      const std::string_view g = h.substr(start, i - start);
      if (g.empty() || g.size() > 3 || std::stoi(std::string(g)) > 255) return false;
      ++groups;
      start = i + 1;
    }
    return groups == 4;
  };
  std::mt19937 rng(3);
  const char alphabet[] = "0123456789....";
  for (int n = 0; n < 200000; ++n) {
    std::string h;
    if (n % 2 == 0) {  // any string of digits and dots
      h.assign(rng() % 17, ' ');
      for (char& c : h) c = alphabet[rng() % (sizeof alphabet - 1)];
    } else {  // 3-5 groups of 0-4 digits, values near the 255 limit likely
      const int groups = 3 + static_cast<int>(rng() % 3);
      for (int g = 0; g < groups; ++g) {
        if (g > 0) h += '.';
        const int pick = static_cast<int>(rng() % 4);
        h += pick == 0 ? std::string(rng() % 5, '0') : std::to_string(rng() % (pick == 1 ? 10000 : 300));
      }
    }
    ASSERT_EQ(IsIPv4Address(h), rule(h)) << '"' << h << '"';
  }
  for (const char* h : {"1.2.3.4", "01.002.3.4", "1.2.3.4a", "a1.2.3.4", "1.2.3.-4", "1.2.3.4 ", "0.0.0.0",
                        "256.1.1.1", "1.2.3.256", "255.255.255.255", "0255.1.1.1"})
    EXPECT_EQ(IsIPv4Address(h), rule(h)) << h;
}

// tel: and other absolute URIs are accepted with their opaque part.
TEST(SipUri, TelAndOtherSchemes) {
  Uri u;
  ASSERT_FALSE(ParseUri("tel:+1-201-555-0123;phone-context=example.com", &u));
  EXPECT_EQ(u.scheme_id, UriScheme::kTel);
  EXPECT_EQ(u.opaque, "+1-201-555-0123");
  EXPECT_TRUE(u.params.Has("phone-context"));
  ASSERT_FALSE(ParseUri("soap.beep://192.0.2.103:3002", &u));
  EXPECT_EQ(u.scheme_id, UriScheme::kOther);
  EXPECT_EQ(u.opaque, "//192.0.2.103:3002");
  EXPECT_TRUE(ParseUri("tel:abc-xyz", &u));
  EXPECT_TRUE(ParseUri("http:", &u));
  EXPECT_TRUE(ParseUri("1http:x", &u));
}

// Strict errors: bad escapes, hosts, ports, empty parts, stray characters.
TEST(SipUri, Rejects) {
  const char* bad[] = {
      "sip:",           "sip:@host",         "sip:user@",        "sip:host:65536",   "sip:host:x",
      "sip:us%2@h",     "sip:us%zzer@h",     "sip:user@h;",      "sip:user@h;=x",    "sip:user@h?",
      "sip:user@h?a",   "sip:user@h>",       "sip:a b@h",        "sip:user@-h.com",  "sip:user@h..com",
      "sip:user@1.2.3", "sip:user@h;p=%4",   "sip:u@h?x=y&",     "sips:u@h:",        "sip:u@h_x.com",
  };
  for (const char* s : bad) {
    Uri u;
    const ParseError e = ParseUri(s, &u);
    EXPECT_TRUE(e) << s;
  }
}

// Unescape decodes %HH (including %00) and rejects malformed escapes.
TEST(SipUri, Unescape) {
  std::string out;
  ASSERT_FALSE(Unescape("I%20have%20spaces%00", &out));
  EXPECT_EQ(out, std::string("I have spaces\0", 14));
  out.clear();
  const ParseError e = Unescape("ab%2", &out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.column, 3u);
  out.clear();
  EXPECT_TRUE(Unescape("%g0", &out));
}

}  // namespace
}  // namespace sipim::sip
