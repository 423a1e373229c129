// SDP parse and build (RFC 8866) on RFC examples and the shared corpus.
#include <gtest/gtest.h>

#include <string>

#include "sdp/sdp.h"
#include "sdp_test_util.h"

namespace sipim::sdp {
namespace {

using testing::Crlf;

// RFC 4975 section 4: Alice's offer, typed in from the RFC.
const std::string kAliceOffer = Crlf({
    "v=0",
    "o=alice 2890844526 2890844527 IN IP4 alice.example.com",
    "s= -",
    "c=IN IP4 alice.example.com",
    "t=0 0",
    "m=message 7654 TCP/MSRP *",
    "a=accept-types:text/plain",
    "a=path:msrp://alice.example.com:7654/jshA7weztas;tcp",
});
// RFC 4975 section 4: Bob's answer.
const std::string kBobAnswer = Crlf({
    "v=0",
    "o=bob 2890844612 2890844616 IN IP4 bob.example.com",
    "s= -",
    "c=IN IP4 bob.example.com",
    "t=0 0",
    "m=message 12763 TCP/MSRP *",
    "a=accept-types:text/plain",
    "a=path:msrp://bob.example.com:12763/kjhd37s2s20w2a;tcp",
});

// Parses, checks the views are inside `text`, and checks Build gives back
// the same text (for CRLF input) and an equal description.
void ExpectRoundTrip(const std::string& text, bool exact = true) {
  SessionDescription sd, again;
  ParseError e = Parse(text, &sd);
  ASSERT_FALSE(e) << e.ToString() << "\n" << text;
  std::string built;
  Build(sd, &built);
  if (exact) {
    EXPECT_EQ(built, text);
  }
  ParseError e2 = Parse(built, &again);
  ASSERT_FALSE(e2) << e2.ToString();
  EXPECT_EQ(sd, again);
  const char* b = text.data();
  const char* end = b + text.size();
  for (std::string_view v : {sd.origin.username, sd.origin.address, sd.session_name}) {
    EXPECT_GE(v.data(), b);
    EXPECT_LE(v.data() + v.size(), end);
  }
}

// Alice's offer: every field in its place.
TEST(Sdp, ParsesRfc4975Offer) {
  SessionDescription sd;
  ASSERT_FALSE(Parse(kAliceOffer, &sd));
  EXPECT_EQ(sd.version, 0u);
  EXPECT_EQ(sd.origin.username, "alice");
  EXPECT_EQ(sd.origin.sess_id, "2890844526");
  EXPECT_EQ(sd.origin.sess_version, "2890844527");
  EXPECT_EQ(sd.origin.nettype, "IN");
  EXPECT_EQ(sd.origin.addrtype, "IP4");
  EXPECT_EQ(sd.origin.address, "alice.example.com");
  EXPECT_EQ(sd.session_name, " -");
  ASSERT_TRUE(sd.connection.has_value());
  EXPECT_EQ(sd.connection->address, "alice.example.com");
  ASSERT_EQ(sd.timings.size(), 1u);
  EXPECT_EQ(sd.timings[0].start, 0u);
  ASSERT_EQ(sd.media.size(), 1u);
  const Media& m = sd.media[0];
  EXPECT_EQ(m.media, "message");
  EXPECT_EQ(m.port, 7654);
  EXPECT_EQ(m.proto, "TCP/MSRP");
  EXPECT_EQ(m.formats, std::vector<std::string_view>{"*"});
  ASSERT_EQ(m.attributes.size(), 2u);
  EXPECT_EQ(m.attributes[0].name, "accept-types");
  EXPECT_EQ(m.attributes[0].value, "text/plain");
  EXPECT_EQ(m.attributes[1].name, "path");
}

// The RFC 4975 offer and answer round-trip exactly.
TEST(Sdp, Rfc4975RoundTrips) {
  ExpectRoundTrip(kAliceOffer);
  ExpectRoundTrip(kBobAnswer);
}

// RFC 4567's example in the RFC 8866 order (c= before t=) parses, with the
// key-mgmt attribute at session level. The base64 blob here stands in for
// the RFC's (a valid, shortened MIKEY-looking value).
TEST(Sdp, Rfc4567ExampleInCanonicalOrder) {
  const std::string text = Crlf({
      "v=0",
      "o=alice 2891092738 2891092738 IN IP4 w-land.example.com",
      "s=Cool stuff",
      "e=alice@w-land.example.com",
      "c=IN IP4 w-land.example.com",
      "t=0 0",
      "a=key-mgmt:mikey AQAFgM0XflABAAAAAAAAAAAAAAsAyONQ6gAAAAAJAAAQbQAA",
      "m=audio 49000 RTP/SAVP 98",
      "a=rtpmap:98 AMR/8000",
      "m=video 52230 RTP/SAVP 31",
      "a=rtpmap:31 H261/90000",
  });
  ExpectRoundTrip(text);
  SessionDescription sd;
  ASSERT_FALSE(Parse(text, &sd));
  const Attribute* km = FindAttribute(sd, sd.media[1], "key-mgmt");
  ASSERT_NE(km, nullptr);
  KeyMgmt k;
  ASSERT_FALSE(ParseKeyMgmt(km->value, &k));
  EXPECT_EQ(k.protocol_id, "mikey");
  EXPECT_EQ(sd.emails.size(), 1u);
}

// RFC 4567's example as printed puts c= after t=, which RFC 8866's grammar
// forbids: the strict parser rejects it at that line.
TEST(Sdp, Rfc4567PrintedOrderIsRejected) {
  const std::string text = Crlf({
      "v=0",
      "o=alice 2891092738 2891092738 IN IP4 w-land.example.com",
      "s=Cool stuff",
      "e=alice@w-land.example.com",
      "t=0 0",
      "c=IN IP4 w-land.example.com",
      "a=key-mgmt:mikey AQAFgM0XflABAAAAAAAAAAAAAAsAyONQ6gAAAAAJAAAQbQAA",
      "m=audio 49000 RTP/SAVP 98",
  });
  SessionDescription sd;
  ParseError e = Parse(text, &sd);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(e.column, 1u);
}

// The SDP bodies of RFC 5118 4.6 and 4.8 and RFC 4475 sdp01 (shared corpus)
// parse and round-trip exactly.
TEST(Sdp, CorpusBodies) {
  const std::string dir = SIPIM_CORPUS_DIR;
  for (const char* f : {"/rfc5118/ipv6-in-sdp", "/rfc5118/mult-ip-in-sdp", "/rfc4475/sdp01.dat"}) {
    std::string msg = testing::ReadFile(dir + f);
    ASSERT_FALSE(msg.empty()) << f;
    std::string body = testing::SipBody(msg);
    ASSERT_FALSE(body.empty()) << f;
    SCOPED_TRACE(f);
    ExpectRoundTrip(body);
  }
}

// Details of the corpus bodies: IPv6 origin and connection; per-media c=.
TEST(Sdp, CorpusDetails) {
  const std::string dir = SIPIM_CORPUS_DIR;
  std::string v6 = testing::SipBody(testing::ReadFile(dir + "/rfc5118/ipv6-in-sdp"));
  SessionDescription sd;
  ASSERT_FALSE(Parse(v6, &sd));
  EXPECT_EQ(sd.origin.sess_id, "971731711378798081");
  EXPECT_EQ(sd.origin.addrtype, "IP6");
  EXPECT_EQ(sd.connection->address, "2001:db8::20");
  EXPECT_EQ(sd.timings[0].start, 3338481189u);
  ASSERT_EQ(sd.media.size(), 2u);
  EXPECT_EQ(sd.media[1].formats, std::vector<std::string_view>{"107"});

  std::string mult = testing::SipBody(testing::ReadFile(dir + "/rfc5118/mult-ip-in-sdp"));
  ASSERT_FALSE(Parse(mult, &sd));
  EXPECT_FALSE(sd.connection.has_value());
  EXPECT_EQ(sd.session_name, "");
  EXPECT_EQ(sd.media[0].connections[0].address, "192.0.2.1");
  EXPECT_EQ(sd.media[1].connections[0].addrtype, "IP6");

  std::string sdp01 = testing::SipBody(testing::ReadFile(dir + "/rfc4475/sdp01.dat"));
  ASSERT_FALSE(Parse(sdp01, &sd));
  EXPECT_EQ(sd.media[0].formats, (std::vector<std::string_view>{"0", "12"}));
}

// Line ends: CRLF, bare LF (accepted), a lone CR and a missing last line end
// (rejected). Build always writes CRLF.
TEST(Sdp, LineEnds) {
  std::string lf = kAliceOffer;
  for (std::size_t p; (p = lf.find("\r\n")) != std::string::npos;) lf.erase(p, 1);
  SessionDescription a, b;
  ASSERT_FALSE(Parse(lf, &a));
  ASSERT_FALSE(Parse(kAliceOffer, &b));
  EXPECT_EQ(a, b);
  std::string built;
  Build(a, &built);
  EXPECT_EQ(built, kAliceOffer);

  std::string no_end = kAliceOffer.substr(0, kAliceOffer.size() - 2);
  ParseError e = Parse(no_end, &a);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.line, 8u);

  std::string lone_cr = kAliceOffer;
  lone_cr.replace(lone_cr.find("\r\ns="), 2, "\r");
  e = Parse(lone_cr, &a);
  ASSERT_TRUE(e);
  EXPECT_NE(std::string(e.reason).find("CR"), std::string::npos);
}

// RFC 8866 sections 5.11 and 9: time-description = time-field
// [repeat-description], repeat-description = 1*repeat-field [zone-field]. A
// z= line belongs to the t= whose r= lines it follows, and another t= may
// come after it; a z= with no r= before it, or a second one, is an error.
// Before, z= was one line after all the t= lines (RFC 4566's place): this
// valid description was rejected at its second t=, and z= right after a t=
// without r= was accepted.
TEST(Sdp, ZoneBelongsToItsTimeDescription) {
  const std::string text = Crlf({"v=0", "o=- 1 1 IN IP4 h", "s=-", "c=IN IP4 h", "t=3034423619 3042462419",
                                 "r=604800 3600 0 90000", "z=2882844526 -1h 2898848070 0", "t=0 0",
                                 "r=7d 1h 0", "m=message 1 TCP *"});
  SessionDescription sd;
  ParseError e = Parse(text, &sd);
  ASSERT_FALSE(e) << e.ToString();
  ASSERT_EQ(sd.timings.size(), 2u);
  EXPECT_TRUE(sd.timings[0].has_zone);
  EXPECT_EQ(sd.timings[0].zone, "2882844526 -1h 2898848070 0");
  EXPECT_FALSE(sd.timings[1].has_zone);
  ExpectRoundTrip(text);

  e = Parse(Crlf({"v=0", "o=- 1 1 IN IP4 h", "s=-", "t=0 0", "z=2882844526 -1h"}), &sd);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.line, 5u);
  e = Parse(Crlf({"v=0", "o=- 1 1 IN IP4 h", "s=-", "t=0 0", "r=1 1 0", "z=1 -1h", "z=2 0"}), &sd);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.line, 7u);
}

// Errors carry the line and the column of the offending field.
TEST(Sdp, ErrorColumns) {
  struct Case {
    std::string text;
    std::uint32_t line, column;
  } cases[] = {
      {Crlf({"v=0", "o=alice x 1 IN IP4 h", "s=-", "t=0 0"}), 2, 9},
      {Crlf({"v=0", "o=a 1 1 IN IP4 h", "s=-", "t=0 x"}), 4, 5},
      {Crlf({"v=0", "o=a 1 1 IN IP4 h", "s=-", "c=IN IP4 h", "t=0 0", "m=message 99999 TCP *"}), 6, 11},
      {Crlf({"v=0", "o=a 1 1 IN IP4 h", "s=-", "c=IN IP4 h", "t=0 0", "m=message 1 TCP *", "a=p@th:x"}), 7, 4},
      {Crlf({"v=0", "o=a 1 1 IN IP4 h", "s=-", "c=IN IP4 h", "b=AS:1x", "t=0 0"}), 5, 6},
  };
  for (const Case& c : cases) {
    SessionDescription sd;
    ParseError e = Parse(c.text, &sd);
    ASSERT_TRUE(e) << c.text;
    EXPECT_EQ(e.line, c.line) << c.text << e.ToString();
    EXPECT_EQ(e.column, c.column) << c.text << e.ToString();
  }
}

// A description built by hand (views into literals) parses back equal.
TEST(Sdp, BuildFromScratch) {
  SessionDescription sd;
  sd.origin = Origin{"-", "42", "1", "IN", "IP4", "10.0.0.1"};
  sd.session_name = "-";
  sd.connection = Connection{"IN", "IP4", "10.0.0.1"};
  sd.timings.push_back(Timing{});
  Media m;
  m.media = "message";
  m.port = 2855;
  m.proto = "TCP/TLS/MSRP";
  m.formats = {"*"};
  m.attributes.push_back(Attribute{"setup", "active", true});
  m.attributes.push_back(Attribute{"sendrecv", "", false});
  sd.media.push_back(m);
  std::string text;
  Build(sd, &text);
  EXPECT_EQ(text, Crlf({"v=0", "o=- 42 1 IN IP4 10.0.0.1", "s=-", "c=IN IP4 10.0.0.1", "t=0 0",
                        "m=message 2855 TCP/TLS/MSRP *", "a=setup:active", "a=sendrecv"}));
  SessionDescription back;
  ASSERT_FALSE(Parse(text, &back));
  EXPECT_EQ(back, sd);
}

}  // namespace
}  // namespace sipim::sdp
