// SDP attribute helpers: path, accept-types, setup, connection, max-size,
// key-mgmt, strict base64.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sdp/sdp.h"

namespace sipim::sdp {
namespace {

std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

// a=path gives its MSRP URIs in order; a bad URI is an error.
TEST(SdpAttributes, Path) {
  std::vector<msrp::Uri> uris;
  ASSERT_FALSE(ParsePath("msrp://relay.example.net:2855/a;tcp msrp://alice.example.com:7654/jshA7weztas;tcp", &uris));
  ASSERT_EQ(uris.size(), 2u);
  EXPECT_EQ(uris[0].host, "relay.example.net");
  EXPECT_EQ(uris[1].session_id, "jshA7weztas");
  uris.clear();
  ParseError e = ParsePath("msrp://alice.example.com:7654/x", &uris);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.column, 32u);
}

// accept-types and accept-wrapped-types: *, type/*, type/subtype.
TEST(SdpAttributes, AcceptTypes) {
  std::vector<std::string_view> t;
  ASSERT_FALSE(ParseAcceptTypes("message/cpim text/plain text/* *", &t));
  EXPECT_EQ(t, (std::vector<std::string_view>{"message/cpim", "text/plain", "text/*", "*"}));
  for (const char* bad : {"", "text", "text/", "/plain", "text/plain  image/png", "text/plain ", "te xt/plain",
                          "text/pl;ain", "*/plain"}) {
    std::vector<std::string_view> x;
    EXPECT_TRUE(ParseAcceptTypes(bad, &x)) << bad;
  }
}

// a=setup and a=connection values (RFC 4145), both ways.
TEST(SdpAttributes, SetupAndConnection) {
  for (SetupRole s : {SetupRole::kActive, SetupRole::kPassive, SetupRole::kActpass, SetupRole::kHoldconn}) {
    SetupRole back;
    ASSERT_FALSE(ParseSetup(SetupName(s), &back));
    EXPECT_EQ(back, s);
  }
  SetupRole s;
  EXPECT_TRUE(ParseSetup("Active", &s));
  EXPECT_TRUE(ParseSetup("", &s));
  ConnectionMode c;
  ASSERT_FALSE(ParseConnectionMode("existing", &c));
  EXPECT_EQ(c, ConnectionMode::kExisting);
  ASSERT_FALSE(ParseConnectionMode("new", &c));
  EXPECT_EQ(ConnectionModeName(c), "new");
  EXPECT_TRUE(ParseConnectionMode("old", &c));
}

// a=max-size: 1*DIGIT within 64 bits.
TEST(SdpAttributes, MaxSize) {
  std::uint64_t n = 0;
  ASSERT_FALSE(ParseMaxSize("65536", &n));
  EXPECT_EQ(n, 65536u);
  EXPECT_TRUE(ParseMaxSize("", &n));
  EXPECT_TRUE(ParseMaxSize("-1", &n));
  EXPECT_TRUE(ParseMaxSize("99999999999999999999999", &n));
}

// RFC 4648 section 10 test vectors, both ways.
TEST(SdpAttributes, Base64Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : vectors) {
    std::string out;
    auto b = Bytes(plain);
    Base64Encode(b.data(), b.size(), &out);
    EXPECT_EQ(out, enc);
    std::vector<std::uint8_t> dec;
    ASSERT_FALSE(Base64Decode(enc, &dec)) << enc;
    EXPECT_EQ(dec, b);
  }
}

// Every byte value survives encode/decode.
TEST(SdpAttributes, Base64AllBytes) {
  std::vector<std::uint8_t> all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::uint8_t>(i));
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    std::string enc;
    Base64Encode(all.data(), n, &enc);
    std::vector<std::uint8_t> dec;
    ASSERT_FALSE(Base64Decode(enc, &dec));
    EXPECT_EQ(dec, std::vector<std::uint8_t>(all.begin(), all.begin() + static_cast<long>(n)));
  }
}

// Strict decoding: length, alphabet, padding position, non-zero spare bits,
// each with the column of the fault.
TEST(SdpAttributes, Base64Strict) {
  struct Case {
    const char* text;
    std::uint32_t column;
  } cases[] = {
      {"Zm9", 4},        // length not a multiple of 4
      {"Zm9v!A==", 5},   // bad character
      {"Zg==Zm9v", 3},   // padding in the middle
      {"Z===", 2},       // too much padding
      {"Zh==", 2},       // spare bits set (canonical is Zg==)
      {"Zm9=", 3},       // spare bits set (canonical is Zm8=)
      {"Zm=v", 4},       // data after padding
      {"Zm9v Zg=", 5},   // whitespace
      {"Zm9-", 4},       // base64url alphabet
  };
  for (const Case& c : cases) {
    std::vector<std::uint8_t> out;
    ParseError e = Base64Decode(c.text, &out);
    ASSERT_TRUE(e) << c.text;
    EXPECT_EQ(e.column, c.column) << c.text << ": " << e.ToString();
  }
}

// a=key-mgmt: protocol id and base64 data; errors point into the value.
TEST(SdpAttributes, KeyMgmt) {
  KeyMgmt k;
  ASSERT_FALSE(ParseKeyMgmt("mikey AQAFgM0XflABAAAAAAAAAAAAAAsAyONQ6gAAAAAJAAAQbQAA", &k));
  EXPECT_EQ(k.protocol_id, "mikey");
  EXPECT_EQ(k.data_base64.size(), 48u);
  EXPECT_TRUE(ParseKeyMgmt("mikey", &k));
  EXPECT_TRUE(ParseKeyMgmt("mikey ", &k));
  EXPECT_TRUE(ParseKeyMgmt(" AQAF", &k));
  EXPECT_TRUE(ParseKeyMgmt("mi-key AQAF", &k));
  ParseError e = ParseKeyMgmt("mikey AQA*", &k);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.column, 10u);
  std::string v;
  const std::uint8_t data[] = {1, 0, 5, 0x80, 0xff};
  AppendKeyMgmtValue("mikey", data, sizeof data, &v);
  EXPECT_EQ(v, "mikey AQAFgP8=");
  ASSERT_FALSE(ParseKeyMgmt(v, &k));
  std::vector<std::uint8_t> dec;
  ASSERT_FALSE(Base64Decode(k.data_base64, &dec));
  EXPECT_EQ(dec, std::vector<std::uint8_t>(data, data + sizeof data));
}

// RFC 4567 section 3.1: key-mgmt-att-value = 0*1SP prtcl-id SP keymgmt-data,
// so "a=key-mgmt: mikey <data>" is valid and names protocol "mikey"; a second
// leading space is not (the protocol id would be empty).
TEST(SdpAttributes, KeyMgmtOptionalLeadingSpace) {
  KeyMgmt k;
  ParseError e = ParseKeyMgmt(" mikey AQAF", &k);
  ASSERT_FALSE(e) << e.ToString();
  EXPECT_EQ(k.protocol_id, "mikey");
  EXPECT_EQ(k.data_base64, "AQAF");
  e = ParseKeyMgmt("  mikey AQAF", &k);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.column, 2u);
}

// Relocate: a helper's error inside an attribute value becomes a position
// in the whole description.
TEST(SdpAttributes, RelocateIntoDescription) {
  const std::string text =
      "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\nm=message 1 TCP/MSRP *\r\n"
      "a=path:msrp://h:1/s;tcp msrp://h:99999/s;tcp\r\n";
  SessionDescription sd;
  ASSERT_FALSE(Parse(text, &sd));
  const Attribute* path = FindAttribute(sd.media[0].attributes, "path");
  std::vector<msrp::Uri> uris;
  ParseError e = Relocate(text, path->value, ParsePath(path->value, &uris));
  ASSERT_TRUE(e);
  EXPECT_EQ(e.line, 7u);
  EXPECT_EQ(e.column, 34u);  // the port
  EXPECT_FALSE(Relocate(text, path->value, ParseError{}));
}

// FindAttribute: media level first, then session level.
TEST(SdpAttributes, FindAttributePrecedence) {
  SessionDescription sd;
  sd.attributes.push_back(Attribute{"setup", "passive", true});
  sd.attributes.push_back(Attribute{"key-mgmt", "mikey AAAA", true});
  Media m;
  m.attributes.push_back(Attribute{"setup", "active", true});
  EXPECT_EQ(FindAttribute(sd, m, "setup")->value, "active");
  EXPECT_EQ(FindAttribute(sd, m, "key-mgmt")->value, "mikey AAAA");
  EXPECT_EQ(FindAttribute(sd, m, "path"), nullptr);
}

}  // namespace
}  // namespace sipim::sdp
