// The paper's flows on Dan -- home.com -- office.com -- Shirley.
#include <gtest/gtest.h>

#include "testbed.h"

using namespace ns3;
using sipim_test::Testbed;
using sipim_test::WireRecord;

namespace {

std::vector<std::string> Hops(const std::vector<WireRecord>& v) {
  std::vector<std::string> out;
  for (const auto& r : v) out.push_back(r.node + ">" + r.peer + ":" + r.type);
  return out;
}

}  // namespace

// Figure 1: MESSAGE F1-F3 through both proxies, 200 F4-F6 back, in this order on the wire.
TEST(Flows, Figure1PagerSequence) {
  Testbed tb;
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("sip:shirley@office.com", 100, SipImMode::kPager); });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  const std::vector<std::string> expected = {
      "dan>home:MESSAGE",    "home>office:MESSAGE", "office>shirley:MESSAGE",
      "shirley>office:200",  "office>home:200",     "home>dan:200"};
  EXPECT_EQ(Hops(tb.TxAfter(1.0)), expected);
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_EQ(tb.deliveries[0].node, "shirley");
  EXPECT_EQ(tb.deliveries[0].bodyBytes, 100u);
  EXPECT_EQ(tb.deliveries[0].hops, 2u);  // two proxies pushed their Via
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
  EXPECT_EQ(tb.outcomes[0].status, 200);
  EXPECT_TRUE(tb.dan->IsRegistered());
  EXPECT_TRUE(tb.shirley->IsRegistered());
}

// Figure 2: INVITE through the proxies (100 Trying per hop), 200 back, ACK
// and BYE straight to the callee, IMs on the direct connection.
TEST(Flows, Figure2SessionSequence) {
  Testbed tb;
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() {
    tb.dan->SendIm("sip:shirley@office.com", 100, SipImMode::kSessionStripped);
    tb.dan->SendIm("sip:shirley@office.com", 200, SipImMode::kSessionStripped);
  });
  Simulator::Schedule(Seconds(2), [&]() { tb.dan->EndSession("sip:shirley@office.com"); });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  const std::vector<std::string> expected = {
      "dan>home:INVITE",      "home>dan:100",
      "home>office:INVITE",   "office>home:100",
      "office>shirley:INVITE", "shirley>office:200",
      "office>home:200",      "home>dan:200",
      "dan>shirley:ACK",      "dan>shirley:STRIPPED-MESSAGE",
      "dan>shirley:STRIPPED-MESSAGE", "dan>shirley:BYE",
      "shirley>dan:200"};
  EXPECT_EQ(Hops(tb.TxAfter(1.0)), expected);
  ASSERT_EQ(tb.deliveries.size(), 2u);
  EXPECT_EQ(tb.deliveries[0].bodyBytes, 100u);
  EXPECT_EQ(tb.deliveries[1].bodyBytes, 200u);
  EXPECT_EQ(tb.deliveries[0].hops, 0u);  // direct
  ASSERT_EQ(tb.outcomes.size(), 2u);
  for (const auto& o : tb.outcomes) EXPECT_EQ(o.outcome, SipImOutcome::kDelivered);
  EXPECT_FALSE(tb.dan->HasSession("sip:shirley@office.com"));
  EXPECT_FALSE(tb.shirley->HasSession("sip:dan@home.com"));
}

// Parallel forking: three registered devices each get the pager MESSAGE once;
// the sender sees exactly one 200 and one outcome.
TEST(Flows, ForkingToThreeDevicesDeliversThreeTimes) {
  Testbed::Options o;
  o.extraShirleyDevices = 2;
  Testbed tb(o);
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 50, SipImMode::kPager); });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  EXPECT_EQ(tb.office->GetBindingCount("shirley@office.com"), 3u);
  ASSERT_EQ(tb.deliveries.size(), 3u);
  std::set<std::string> where;
  for (const auto& d : tb.deliveries) where.insert(d.node);
  EXPECT_EQ(where, (std::set<std::string>{"shirley", "dev1", "dev2"}));
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
  int danGot200 = 0;
  for (const auto& r : tb.TxAfter(1.0))
    if (r.peer == "dan" && r.type == "200") ++danGot200;
  EXPECT_EQ(danGot200, 1);
}

// A recipient nobody registered: the office proxy answers 480 and the IM fails with it.
TEST(Flows, UnregisteredRecipientFailsWith480) {
  Testbed tb;
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("nobody@office.com", 10, SipImMode::kPager); });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kFailed);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kFinalResponse);
  EXPECT_EQ(tb.outcomes[0].status, 480);
}

// A recipient that is not an AOR (a CR LF in it) fails the IM with a reason; nothing is sent, nothing crashes.
TEST(Flows, BadRecipientFailsCleanly) {
  Testbed tb;
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() {
    tb.dan->SendIm("shirley@office.com\r\nVia: x", 10, SipImMode::kPager);
    tb.dan->SendIm("no-at-sign", 10, SipImMode::kSessionStripped);
  });
  Simulator::Stop(Seconds(2));
  Simulator::Run();
  ASSERT_EQ(tb.outcomes.size(), 2u);
  for (const auto& o : tb.outcomes) {
    EXPECT_EQ(o.outcome, SipImOutcome::kFailed);
    EXPECT_EQ(o.status, 400);
  }
  EXPECT_TRUE(tb.TxAfter(1.0).empty());
}
