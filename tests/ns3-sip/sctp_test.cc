// SIP signalling and session media over the SCTP model (models/ns3/sctp).
#include <gtest/gtest.h>

#include "sctp/sctp-helper.h"
#include "testbed.h"

using namespace ns3;
using sipim_test::Testbed;

namespace {
Testbed::Options WithSctp() {
  Testbed::Options o;
  o.beforeApps = [](NodeContainer& nodes) { SctpHelper().Install(nodes); };
  return o;
}
}  // namespace

// Session media over SCTP: the stripped MESSAGEs arrive over an SCTP association.
TEST(Sctp, SessionMediaOverSctp) {
  Testbed tb(WithSctp());
  tb.dan->SetAttribute("MediaTransport", EnumValue(SipTransportProtocol::kSctp));
  tb.shirley->SetAttribute("MediaTransport", EnumValue(SipTransportProtocol::kSctp));
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() {
    tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionStripped);
    tb.dan->SendIm("shirley@office.com", 2000, SipImMode::kSessionStripped);
  });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  ASSERT_EQ(tb.deliveries.size(), 2u);
  EXPECT_EQ(tb.deliveries[1].bodyBytes, 2000u);
  for (const auto& r : tb.TxAfter(1.0)) {
    if (r.type == "STRIPPED-MESSAGE") {
      EXPECT_EQ(r.transport, "sctp");
    }
  }
}

// Pager mode with every signalling hop over SCTP.
TEST(Sctp, PagerSignallingOverSctp) {
  Testbed tb(WithSctp());
  for (auto ua : {tb.dan, tb.shirley}) ua->SetAttribute("Transport", EnumValue(SipTransportProtocol::kSctp));
  tb.home->SetAttribute("Transport", EnumValue(SipTransportProtocol::kSctp));
  tb.office->SetAttribute("Transport", EnumValue(SipTransportProtocol::kSctp));
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 100, SipImMode::kPager); });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  ASSERT_EQ(tb.deliveries.size(), 1u);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
  for (const auto& r : tb.TxAfter(1.0)) EXPECT_EQ(r.transport, "sctp") << r.node << " " << r.type;
}
