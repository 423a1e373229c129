// MSRP URI parsing (RFC 4975 section 6 and 9).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "msrp/uri.h"

namespace sipim::msrp {
namespace {

// The URI of RFC 4975 section 4 splits into its parts.
TEST(MsrpUri, ParsesRfcExample) {
  Uri u;
  std::string_view t = "msrp://atlanta.example.com:7654/jshA7weztas;tcp";
  ASSERT_FALSE(ParseUri(t, &u)) << ParseUri(t, &u).ToString();
  EXPECT_EQ(u.scheme, Scheme::kMsrp);
  EXPECT_EQ(u.host, "atlanta.example.com");
  EXPECT_EQ(u.port, 7654);
  EXPECT_EQ(u.session_id, "jshA7weztas");
  EXPECT_EQ(u.transport, "tcp");
  EXPECT_EQ(u.params, "");
  EXPECT_EQ(u.userinfo, "");
  EXPECT_EQ(u.text, t);
}

// msrps, userinfo, IPv6, no port, parameters, a session id with '/', '+', '='.
TEST(MsrpUri, ParsesAllParts) {
  Uri u;
  ASSERT_FALSE(ParseUri("MSRPS://bob@[2001:db8::1]/a/b+c=d;tls;foo=bar;baz", &u));
  EXPECT_EQ(u.scheme, Scheme::kMsrps);
  EXPECT_EQ(u.userinfo, "bob");
  EXPECT_EQ(u.host, "[2001:db8::1]");
  EXPECT_EQ(u.port, -1);
  EXPECT_EQ(u.session_id, "a/b+c=d");
  EXPECT_EQ(u.transport, "tls");
  EXPECT_EQ(u.params, ";foo=bar;baz");
}

// A URI without session-id (a relay's URI) is valid.
TEST(MsrpUri, SessionIdIsOptional) {
  Uri u;
  ASSERT_FALSE(ParseUri("msrps://relay.example.net:2855;tcp", &u));
  EXPECT_EQ(u.session_id, "");
  EXPECT_EQ(u.port, 2855);
}

// RFC 4975 section 9: URI-parameter = token ["=" token], and MSRP's token
// takes # $ & ^ { | } too.
TEST(MsrpUri, ParametersTakeEveryTokenChar) {
  Uri u;
  ASSERT_FALSE(ParseUri("msrp://h.example/s;tcp;x#y=a$b&c^d{e|f}g;z", &u));
  EXPECT_EQ(u.transport, "tcp");
  EXPECT_EQ(u.params, ";x#y=a$b&c^d{e|f}g;z");
  EXPECT_TRUE(ParseUri("msrp://h.example/s;tcp;a=b@c", &u));  // '@' is no token char
}

// Each malformed URI is rejected with the column of the fault.
TEST(MsrpUri, RejectsMalformed) {
  struct Case {
    const char* text;
    std::uint32_t column;
  } cases[] = {
      {"sip://a.example.com/s;tcp", 1},
      {"msrp:/a.example.com/s;tcp", 1},
      {"msrp://a.example.com/s", 23},          // no ;transport
      {"msrp://a.example.com:70000/s;tcp", 22},  // port too big
      {"msrp://a.example.com:/s;tcp", 22},     // empty port
      {"msrp:///s;tcp", 8},                    // no host
      {"msrp://[2001:db8:::1]/s;tcp", 9},      // ":::"
      {"msrp://[2001:db8::1/s;tcp", 8},        // no ']'
      {"msrp://a.example.com/s s;tcp", 23},    // space in session-id
      {"msrp://a.example.com/;tcp", 22},       // empty session-id
      {"msrp://a.example.com/s;", 24},         // empty transport
      {"msrp://a.example.com/s;tcp;", 28},     // empty parameter
      {"msrp://a.example.com/s;tcp x", 27},    // junk after transport
      {"msrp://a<b.example.com/s;tcp", 9},     // '<' in host
      {"msrp://256.1.1.1/s;tcp", 8},           // numeric host not IPv4
      {"msrp://a%zz@h/s;tcp", 9},              // bad escape in userinfo
  };
  for (const Case& c : cases) {
    Uri u;
    ParseError e = ParseUri(c.text, &u);
    ASSERT_TRUE(e) << c.text;
    EXPECT_EQ(e.line, 1u) << c.text;
    EXPECT_EQ(e.column, c.column) << c.text << ": " << e.ToString();
  }
}

// The one-pass path (plain host) and the general one (taken when userinfo
// is present) read host, port, session and transport alike.
TEST(MsrpUri, FastAndGeneralPathsAgree) {
  for (const char* rest : {"h/s;tcp", "h:1/s;tcp", "10.0.0.1:65535/a/b;tcp", "a-b.c_d~e:80;tcp",
                           "1.2.3.4;tcp;x=y", "ex.com:0/s=+;sctp", "h!$&'()*+,=:9/s;tcp"}) {
    Uri fast, general;
    std::string plain = std::string("msrp://") + rest;
    std::string with_user = std::string("msrp://user@") + rest;
    ASSERT_FALSE(ParseUri(plain, &fast)) << plain;
    ASSERT_FALSE(ParseUri(with_user, &general)) << with_user;
    EXPECT_EQ(fast.host, general.host) << rest;
    EXPECT_EQ(fast.port, general.port) << rest;
    EXPECT_EQ(fast.session_id, general.session_id) << rest;
    EXPECT_EQ(fast.transport, general.transport) << rest;
    EXPECT_EQ(fast.params, general.params) << rest;
  }
  for (const char* rest : {"h:/s;tcp", "h:1x/s;tcp", "1.2.3/s;tcp", "h:99999;tcp", "/s;tcp"}) {
    Uri a, b;
    ParseError ea = ParseUri(std::string("msrp://") + rest, &a);
    ParseError eb = ParseUri(std::string("msrp://user@") + rest, &b);
    ASSERT_TRUE(ea) << rest;
    ASSERT_TRUE(eb) << rest;
    EXPECT_STREQ(ea.reason, eb.reason) << rest;
    EXPECT_EQ(ea.column + 5, eb.column) << rest;  // "user@" shifts the column
  }
}

// AppendUri writes back what ParseUri read (scheme in lower case).
TEST(MsrpUri, RoundTrips) {
  for (const char* t : {"msrp://atlanta.example.com:7654/jshA7weztas;tcp",
                        "msrps://u:p@[::1]:1/x;tls;a=b", "msrp://h;tcp", "msrp://192.0.2.1:9/s/t;sctp"}) {
    Uri u, v;
    ASSERT_FALSE(ParseUri(t, &u)) << t;
    std::string out;
    AppendUri(u, &out);
    EXPECT_EQ(out, t);
    ASSERT_FALSE(ParseUri(out, &v));
    EXPECT_TRUE(u.SameResource(v));
  }
}

// Section 6.1 comparison: scheme/host case-insensitive, session-id
// case-sensitive.
TEST(MsrpUri, SameResource) {
  Uri a, b, c;
  ASSERT_FALSE(ParseUri("msrp://Host.Example.com/abc;tcp", &a));
  ASSERT_FALSE(ParseUri("MSRP://host.example.com/abc;TCP", &b));
  ASSERT_FALSE(ParseUri("msrp://host.example.com/ABC;tcp", &c));
  EXPECT_TRUE(a.SameResource(b));
  EXPECT_FALSE(a.SameResource(c));
}

// Section 6.1: "A URI with an explicit port is never equivalent to another
// with no port specified", even when the port is the default 2855.
TEST(MsrpUri, ExplicitPortNeverEqualsAbsentPort) {
  Uri none, dflt, dflt2, other;
  ASSERT_FALSE(ParseUri("msrp://host.example.com/abc;tcp", &none));
  ASSERT_FALSE(ParseUri("msrp://host.example.com:2855/abc;tcp", &dflt));
  ASSERT_FALSE(ParseUri("msrp://HOST.example.com:2855/abc;tcp", &dflt2));
  ASSERT_FALSE(ParseUri("msrp://host.example.com:2856/abc;tcp", &other));
  EXPECT_FALSE(none.SameResource(dflt));
  EXPECT_FALSE(dflt.SameResource(none));
  EXPECT_TRUE(dflt.SameResource(dflt2));
  EXPECT_FALSE(dflt.SameResource(other));
}

// Section 6.1: percent-encoded unreserved characters in the authority are
// decoded before comparison; reserved ones stay encoded (hex digits in
// either case).
TEST(MsrpUri, HostComparisonDecodesUnreservedEscapes) {
  Uri plain, escaped, upper, reserved, reserved2;
  ASSERT_FALSE(ParseUri("msrp://alice.example/s;tcp", &plain));
  ASSERT_FALSE(ParseUri("msrp://%61lice%2Eexample/s;tcp", &escaped));
  ASSERT_FALSE(ParseUri("msrp://%41LICE.example/s;tcp", &upper));
  ASSERT_FALSE(ParseUri("msrp://a%2fb.example/s;tcp", &reserved));
  ASSERT_FALSE(ParseUri("msrp://a%2Fb.example/s;tcp", &reserved2));
  EXPECT_TRUE(plain.SameResource(escaped));
  EXPECT_TRUE(escaped.SameResource(plain));
  EXPECT_TRUE(plain.SameResource(upper));
  EXPECT_TRUE(reserved.SameResource(reserved2));
  EXPECT_FALSE(plain.SameResource(reserved));
}

// Paths: each URI is visited; errors report the column within the path.
TEST(MsrpUri, PathsAreValidatedWithPositions) {
  std::vector<std::string_view> hosts;
  ASSERT_FALSE(ForEachPathUri("msrp://a.example/1;tcp msrp://b.example/2;tcp",
                              [&](const Uri& u) { hosts.push_back(u.host); }));
  EXPECT_EQ(hosts, (std::vector<std::string_view>{"a.example", "b.example"}));
  std::size_t n = 0;
  ParseError e = ValidatePath("msrp://a.example/1;tcp msrp://b.example/2", &n);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.column, 42u);
  EXPECT_TRUE(ValidatePath("msrp://a/1;tcp  msrp://b/2;tcp", &n));
  EXPECT_TRUE(ValidatePath("msrp://a/1;tcp ", &n));
  EXPECT_TRUE(ValidatePath("", &n));
  Uri first, last;
  ASSERT_FALSE(FirstPathUri("msrp://a/1;tcp msrp://b/2;tcp", &first));
  ASSERT_FALSE(LastPathUri("msrp://a/1;tcp msrp://b/2;tcp", &last));
  EXPECT_EQ(first.host, "a");
  EXPECT_EQ(last.host, "b");
}

// The simulation's URI form, with and without TLS.
TEST(MsrpUri, SimpleUri) {
  std::string s;
  AppendSimpleUri(false, "10.0.0.1", 7654, "abc123", &s);
  EXPECT_EQ(s, "msrp://10.0.0.1:7654/abc123;tcp");
  s.clear();
  AppendSimpleUri(true, "[2001:db8::2]", 2855, "x", &s);
  EXPECT_EQ(s, "msrps://[2001:db8::2]:2855/x;tcp");
}

}  // namespace
}  // namespace sipim::msrp
