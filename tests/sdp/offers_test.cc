// The offers the simulation sends: MSRP and the paper's plain-TCP variant.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sdp/sdp.h"
#include "sdp_test_util.h"

namespace sipim::sdp {
namespace {

using testing::Crlf;

// The MSRP offer is exactly the expected text and parses back.
TEST(SdpOffers, MsrpOfferText) {
  MsrpOfferParams p;
  p.username = "alice";
  p.session_id = 2890844526;
  p.session_version = 2890844527;
  p.address = "10.1.1.1";
  p.port = 7654;
  p.msrp_session = "jshA7weztas";
  p.setup = SetupRole::kActive;
  std::string out;
  AppendMsrpOffer(p, &out);
  EXPECT_EQ(out, Crlf({"v=0", "o=alice 2890844526 2890844527 IN IP4 10.1.1.1", "s=-", "c=IN IP4 10.1.1.1",
                       "t=0 0", "m=message 7654 TCP/MSRP *", "a=accept-types:text/plain",
                       "a=path:msrp://10.1.1.1:7654/jshA7weztas;tcp", "a=setup:active"}));
  SessionDescription sd;
  ASSERT_FALSE(Parse(out, &sd));
}

// TLS, IPv6 (bracketed in a=path) and a MIKEY message that decodes back.
TEST(SdpOffers, MsrpOfferTlsIpv6Mikey) {
  std::vector<std::uint8_t> mikey(93);
  for (std::size_t i = 0; i < mikey.size(); ++i) mikey[i] = static_cast<std::uint8_t>(i * 7);
  MsrpOfferParams p;
  p.addrtype = "IP6";
  p.address = "2001:db8::5";
  p.port = 2855;
  p.msrp_session = "s1";
  p.tls = true;
  p.setup = SetupRole::kPassive;
  p.mikey = mikey.data();
  p.mikey_size = mikey.size();
  std::string out;
  AppendMsrpOffer(p, &out);
  SessionDescription sd;
  ASSERT_FALSE(Parse(out, &sd)) << out;
  const Media& m = sd.media.at(0);
  EXPECT_EQ(m.proto, "TCP/TLS/MSRP");
  std::vector<msrp::Uri> path;
  ASSERT_FALSE(ParsePath(FindAttribute(m.attributes, "path")->value, &path));
  ASSERT_EQ(path.size(), 1u);
  EXPECT_EQ(path[0].scheme, msrp::Scheme::kMsrps);
  EXPECT_EQ(path[0].host, "[2001:db8::5]");
  EXPECT_EQ(path[0].port, 2855);
  SetupRole s;
  ASSERT_FALSE(ParseSetup(FindAttribute(m.attributes, "setup")->value, &s));
  EXPECT_EQ(s, SetupRole::kPassive);
  // At session level, where Wireshark 4.0 decodes it (offers.cc).
  EXPECT_EQ(FindAttribute(m.attributes, "key-mgmt"), nullptr);
  ASSERT_NE(FindAttribute(sd.attributes, "key-mgmt"), nullptr) << out;
  KeyMgmt k;
  ASSERT_FALSE(ParseKeyMgmt(FindAttribute(sd.attributes, "key-mgmt")->value, &k));
  std::vector<std::uint8_t> dec;
  ASSERT_FALSE(Base64Decode(k.data_base64, &dec));
  EXPECT_EQ(dec, mikey);
}

// The paper's offer: m=message <port> TCP *, a=setup, a=connection.
TEST(SdpOffers, TcpImOffer) {
  TcpImOfferParams p;
  p.address = "10.0.0.2";
  p.port = 5070;
  p.session_id = 7;
  std::string out;
  AppendTcpImOffer(p, &out);
  EXPECT_EQ(out, Crlf({"v=0", "o=- 7 0 IN IP4 10.0.0.2", "s=-", "c=IN IP4 10.0.0.2", "t=0 0",
                       "m=message 5070 TCP *", "a=setup:passive", "a=connection:new"}));
  SessionDescription sd;
  ASSERT_FALSE(Parse(out, &sd));
  EXPECT_EQ(sd.media[0].port, 5070);
  EXPECT_EQ(sd.media[0].proto, "TCP");
}

// RFC 3264 section 6: an answer built with AnswerTo has one m= line per
// offered m= line, in the offer's order; the one it takes is its message
// stream, the others are rejected with port 0 and keep the offered media,
// proto and formats. FindMedia skips a stream the offer rejected (port 0,
// section 8.2) and one of another proto.
TEST(SdpOffers, AnswerHasAnMLinePerOfferedOne) {
  const std::string offer_text =
      Crlf({"v=0", "o=- 1 1 IN IP4 10.0.0.1", "s=-", "c=IN IP4 10.0.0.1", "t=0 0", "m=audio 49170 RTP/AVP 0 8",
            "m=message 0 TCP *", "m=message 7000 TCP/MSRP *", "m=message 7001 TCP *", "a=setup:active"});
  SessionDescription offer;
  ASSERT_FALSE(Parse(offer_text, &offer));
  EXPECT_EQ(FindMedia(offer, "message", "TCP"), 3);
  EXPECT_EQ(FindMedia(offer, "message", "TCP/MSRP"), 2);
  EXPECT_EQ(FindMedia(offer, "message", "TCP/TLS/MSRP"), -1);
  TcpImOfferParams p;
  p.address = "10.0.0.2";
  p.port = 5070;
  p.answer_to = AnswerTo{&offer, 3};
  std::string out;
  AppendTcpImOffer(p, &out);
  EXPECT_EQ(out, Crlf({"v=0", "o=- 0 0 IN IP4 10.0.0.2", "s=-", "c=IN IP4 10.0.0.2", "t=0 0",
                       "m=audio 0 RTP/AVP 0 8", "m=message 0 TCP *", "m=message 0 TCP/MSRP *",
                       "m=message 5070 TCP *", "a=setup:passive", "a=connection:new"}));
  SessionDescription answer;
  ASSERT_FALSE(Parse(out, &answer));
  EXPECT_EQ(answer.media.size(), offer.media.size());
}

// Builders append: an offer after existing text leaves it alone.
TEST(SdpOffers, Appends) {
  std::string out = "X";
  TcpImOfferParams p;
  p.address = "h";
  AppendTcpImOffer(p, &out);
  EXPECT_EQ(out.substr(0, 4), "Xv=0");
}

}  // namespace
}  // namespace sipim::sdp
