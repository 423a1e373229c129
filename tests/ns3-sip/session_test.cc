// Session mode: the stripped MESSAGE and MSRP bytes, connection set-up.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "msrp/msrp.h"
#include "sip/headers.h"
#include "sip/stream_framer.h"
#include "testbed.h"

using namespace ns3;
using sipim_test::Testbed;

// The in-session MESSAGE on the wire has no Via, CSeq or Call-ID and frames by Content-Length.
TEST(Session, StrippedMessageHasNoViaCSeqCallId) {
  Testbed tb;
  tb.Record();
  std::string stream;
  sipim_test::SniffTcp(tb.links[2].Get(1), 5060, &stream);
  Simulator::Schedule(Seconds(1), [&]() {
    tb.dan->SendIm("shirley@office.com", 120, SipImMode::kSessionStripped);
    tb.dan->SendIm("shirley@office.com", 30, SipImMode::kSessionStripped);
  });
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  sipim::sip::StreamFramer framer;
  framer.Append(stream);
  sipim::sip::Message m;
  sipim::ParseError err;
  std::vector<std::size_t> bodies;
  while (framer.Next(&m, &err) == sipim::sip::StreamFramer::Status::kMessage) {
    EXPECT_TRUE(m.is_request);
    EXPECT_EQ(m.method, "MESSAGE");
    EXPECT_EQ(m.Find(sipim::sip::HeaderId::kVia), nullptr);
    EXPECT_EQ(m.Find(sipim::sip::HeaderId::kCSeq), nullptr);
    EXPECT_EQ(m.Find(sipim::sip::HeaderId::kCallId), nullptr);
    bodies.push_back(m.body.size());
  }
  EXPECT_FALSE(framer.failed()) << err.ToString();
  EXPECT_EQ(bodies, (std::vector<std::size_t>{120, 30}));
  EXPECT_EQ(tb.deliveries.size(), 2u);
}

// MSRP: what Shirley and Dan receive parses with the MSRP parser: the IM's
// SEND and its 200, and, on the connection each end opened (both connect,
// the paper's race), the bodiless SEND RFC 4975 5.4 has the opening end
// send at once, answered 200 as any SEND.
TEST(Session, MsrpSendAnd200Parse) {
  Testbed tb;
  tb.Record();
  std::string toShirley, toDan;
  sipim_test::SniffTcp(tb.links[2].Get(1), 5060, &toShirley);
  sipim_test::SniffTcp(tb.links[0].Get(0), 5060, &toDan);
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 500, SipImMode::kSessionMsrp); });
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  struct Seen {
    int imSends = 0, bodilessSends = 0, oks = 0;
  };
  auto parse = [](const std::string& stream) {
    Seen seen;
    sipim::msrp::StreamParser p;
    p.FeedAll(stream, [&](const sipim::msrp::Message& m) {
      if (!m.is_request) {
        EXPECT_EQ(m.status_code, 200);
        ++seen.oks;
        return;
      }
      EXPECT_EQ(m.method, sipim::msrp::Method::kSend);
      EXPECT_FALSE(m.message_id.empty());
      if (m.has_body) {
        EXPECT_EQ(m.body.size(), 500u);
        ++seen.imSends;
      } else {
        EXPECT_TRUE(m.content_type.empty());
        EXPECT_EQ(m.byte_range.end, 0u);
        EXPECT_EQ(m.byte_range.total, 0u);
        ++seen.bodilessSends;
      }
    });
    return seen;
  };
  const Seen atShirley = parse(toShirley), atDan = parse(toDan);
  EXPECT_EQ(atShirley.imSends, 1);
  EXPECT_EQ(atShirley.bodilessSends, 1);  // on Dan's connection
  EXPECT_EQ(atShirley.oks, 1);            // to Shirley's bodiless SEND
  EXPECT_EQ(atDan.imSends, 0);
  EXPECT_EQ(atDan.bodilessSends, 1);  // on Shirley's connection
  EXPECT_EQ(atDan.oks, 2);            // to Dan's bodiless SEND and to the IM
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_EQ(tb.deliveries[0].bodyBytes, 500u);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
}

// An MSRP response carries no Message-ID: the SEND it answers (by
// transaction id) names the IM, so the sender's Rx of the IM's 200, and the
// parse its CPU was charged, are the IM's, as the 200's Tx at the
// recipient is; the 200s of the bodiless SENDs stay the session's. Before,
// every received MSRP response was counted as the session's.
TEST(Session, MsrpResponseIsAttributedToTheImItAnswers) {
  Testbed tb;
  tb.Record();
  std::vector<SipWireEvent> atDan;
  tb.dan->TraceConnectWithoutContext("Rx", Callback<void, const SipWireEvent&>([&atDan](const SipWireEvent& w) {
                                       if (w.type == SipMsgType::kMsrpResponse) atDan.push_back(w);
                                     }));
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 500, SipImMode::kSessionMsrp); });
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  ASSERT_EQ(tb.outcomes.size(), 1u);
  std::size_t im = 0, session = 0;
  for (const auto& w : atDan) {
    EXPECT_EQ(w.status, 200);
    im += w.attr.kind == SipAttributionKind::kIm && w.attr.id == tb.outcomes[0].imId;
    session += w.attr.kind == SipAttributionKind::kSession;
  }
  EXPECT_EQ(im, 1u);       // the IM's SEND
  EXPECT_EQ(session, 1u);  // Dan's bodiless SEND
  for (const auto& d : tb.drops) EXPECT_NE(d.reason, SipDropReason::kStrayResponse) << d.detail;
}

// MSRP, a=setup active (Dan connects, Shirley listens): Shirley has an IM
// for Dan queued before the connection comes up, and sends nothing on the
// connection she accepted until Dan's bodiless SEND is on it (RFC 4975
// 5.4: that SEND tells the accepting end which session the connection is
// for): her first MSRP message is the 200 answering it, not her IM.
TEST(Session, MsrpAcceptingEndSendsOnlyAfterTheFirstSend) {
  Testbed tb;
  tb.dan->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kActive));
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(MilliSeconds(100)));
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionMsrp); });
  Simulator::Schedule(Seconds(1.05), [&]() {
    ASSERT_TRUE(tb.shirley->HasSession("dan@home.com")) << "the INVITE has not reached Shirley yet";
    tb.shirley->SendIm("dan@home.com", 30, SipImMode::kSessionMsrp);
  });
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  std::vector<std::string> fromShirley;
  for (const auto& r : tb.TxAfter(1.0))
    if (r.node == "shirley" && r.type.rfind("MSRP", 0) == 0)
      fromShirley.push_back(r.type + (r.attrKind == SipAttributionKind::kIm ? " im" : " session"));
  // Dan's IM arrives right behind his bodiless SEND, so its 200 may come
  // before Shirley's IM too.
  ASSERT_FALSE(fromShirley.empty());
  EXPECT_EQ(fromShirley[0], "MSRP-200 session");
  EXPECT_EQ(std::count(fromShirley.begin(), fromShirley.end(), "MSRP-SEND im"), 1);
  EXPECT_EQ(std::count(fromShirley.begin(), fromShirley.end(), "MSRP-SEND session"), 0) << "Shirley opened no connection";
  EXPECT_EQ(tb.deliveries.size(), 2u);
  for (const auto& o : tb.outcomes) EXPECT_EQ(o.outcome, SipImOutcome::kDelivered);
}

// MSRP with both ends connecting and a callee that pauses before it
// answers: Shirley connects to Dan on the offer, before her answer, and
// her bodiless SEND carries the From-Path her answer then gives (it was
// empty: Dan, parsing it once the answer came, closed the connection as a
// framing error and the session failed its IM). Both IMs are delivered.
TEST(Session, MsrpCalleeConnectingBeforeItAnswersSendsItsPath) {
  Testbed tb;
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(MilliSeconds(100)));
  tb.Record();
  std::string toDan;
  sipim_test::SniffTcp(tb.links[0].Get(0), 5060, &toDan);
  Simulator::Schedule(Seconds(1), [&]() {
    tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionMsrp);
    tb.dan->SendIm("shirley@office.com", 21, SipImMode::kSessionMsrp);
  });
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  sipim::msrp::StreamParser p;
  int bodiless = 0;
  p.FeedAll(toDan, [&](const sipim::msrp::Message& m) {
    if (!m.is_request || m.has_body) return;
    ++bodiless;
    EXPECT_NE(m.from_path.find("msrp://"), std::string_view::npos) << m.from_path;
  });
  EXPECT_EQ(bodiless, 1);
  EXPECT_EQ(tb.deliveries.size(), 2u);
  ASSERT_EQ(tb.outcomes.size(), 2u);
  for (const auto& o : tb.outcomes) EXPECT_EQ(o.outcome, SipImOutcome::kDelivered);
  for (const auto& d : tb.drops) EXPECT_NE(d.reason, SipDropReason::kFramingError) << d.detail;
}

// MSRP chunking: a 3000-byte IM in 1000-byte chunks is reassembled and delivered once.
TEST(Session, MsrpChunksReassemble) {
  Testbed tb;
  tb.dan->SetAttribute("MsrpChunkSize", UintegerValue(1000));
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 3000, SipImMode::kSessionMsrp); });
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  int sends = 0;
  for (const auto& r : tb.TxAfter(1.0)) sends += r.type == "MSRP-SEND" && r.attrKind == SipAttributionKind::kIm;
  EXPECT_EQ(sends, 3);
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_EQ(tb.deliveries[0].bodyBytes, 3000u);
}

// With MsrpChunkSize 0 (the default) an IM larger than 64 KiB is still
// chunked, at 64 KiB: one SEND of 70,000 B would exceed what the receiving
// MSRP parser takes in one message (64 KiB + 4 KiB), a framing error that
// closed the connection, and the IM (and the one after it) never got an
// outcome. Both are delivered, in two SENDs and one, with no framing error.
TEST(Session, MsrpImOver64KiBIsChunkedByDefault) {
  Testbed tb;
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() {
    tb.dan->SendIm("shirley@office.com", 70000, SipImMode::kSessionMsrp);
    tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionMsrp);
  });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  int sends = 0;
  for (const auto& r : tb.TxAfter(1.0)) sends += r.node == "dan" && r.type == "MSRP-SEND" && r.attrKind == SipAttributionKind::kIm;
  EXPECT_EQ(sends, 3);
  ASSERT_EQ(tb.deliveries.size(), 2u);
  EXPECT_EQ(tb.deliveries[0].bodyBytes, 70000u);
  ASSERT_EQ(tb.outcomes.size(), 2u);
  for (const auto& o : tb.outcomes) EXPECT_EQ(o.outcome, SipImOutcome::kDelivered);
  for (const auto& d : tb.drops) EXPECT_NE(d.reason, SipDropReason::kFramingError) << d.detail;
}

// RFC 4975 7.1.1's transaction timeout runs from when a SEND was sent,
// not from when the UA queued it: over 200 kb/s links, three 400 kB IMs
// queue behind each other at Dan (the last one's SENDs wait in his send
// queue for over 30 s), and all three are delivered, none failing
// timeout-408, because each SEND's timer starts when the socket takes its
// last byte. With the timer started at queueing, the queued IMs failed.
TEST(Session, MsrpTransactionTimerStartsWhenTheSendLeavesTheQueue) {
  Testbed::Options o;
  o.linkRate = "200kbps";
  Testbed tb(o);
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() {
    for (int i = 0; i < 3; ++i) tb.dan->SendIm("shirley@office.com", 400000, SipImMode::kSessionMsrp);
  });
  Simulator::Stop(Seconds(120));
  Simulator::Run();
  ASSERT_EQ(tb.outcomes.size(), 3u);
  for (const auto& out : tb.outcomes) EXPECT_EQ(out.outcome, SipImOutcome::kDelivered) << "IM " << out.imId;
  EXPECT_GT(tb.outcomes[2].time, 1.0 + 35.0) << "the last IM did not wait long enough to test the timer";
}

// The paper's race: both ends connect; without a pause the caller gets the 200 before the callee's
// connection is up and opens a second one (counted); a 100 ms pause before answering lets the
// callee's connection win (none); RFC 4145 active (only the caller connects): none.
TEST(Session, ConnectionRaceCountsDuplicates) {
  struct Case {
    SipUserAgent::ConnectionSetup setup;
    double pause;
    std::uint64_t duplicates;
  };
  for (const Case& k : {Case{SipUserAgent::ConnectionSetup::kBoth, 0, 1},
                        Case{SipUserAgent::ConnectionSetup::kBoth, 0.1, 0},
                        Case{SipUserAgent::ConnectionSetup::kActive, 0, 0}}) {
    const auto setup = k.setup;
    Testbed tb;
    tb.dan->SetAttribute("ConnectionSetup", EnumValue(setup));
    tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(k.pause)));
    tb.Record();
    Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped); });
    Simulator::Schedule(Seconds(1.5), [&]() { tb.shirley->SendIm("dan@home.com", 10, SipImMode::kSessionStripped); });
    Simulator::Stop(Seconds(3));
    Simulator::Run();
    const auto dups = tb.dan->GetDuplicateConnections() + tb.shirley->GetDuplicateConnections();
    EXPECT_EQ(dups, k.duplicates) << int(setup) << " pause " << k.pause;
    EXPECT_EQ(tb.deliveries.size(), 2u) << int(setup);  // both directions on the session
    EXPECT_EQ(tb.dan->GetSessionsOpened(), 1u);
    EXPECT_EQ(tb.shirley->GetSessionsOpened(), 1u);
  }
}

// An INVITE the callee answers late (AnswerDelay): IMs wait in the queue and still arrive in order.
TEST(Session, AnswerDelayQueuesIms) {
  Testbed tb;
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(0.5)));
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() {
    for (int i = 1; i <= 3; ++i) tb.dan->SendIm("shirley@office.com", 10 * i, SipImMode::kSessionStripped);
  });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  ASSERT_EQ(tb.deliveries.size(), 3u);
  EXPECT_GT(tb.deliveries[0].time, 1.5);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(tb.deliveries[i].bodyBytes, 10u * (i + 1));
}

// SessionIdleTimeout: after a second without IMs the caller sends BYE and both ends close.
TEST(Session, IdleTimeoutSendsBye) {
  Testbed tb;
  tb.dan->SetAttribute("SessionIdleTimeout", TimeValue(Seconds(1)));
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped); });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_FALSE(tb.dan->HasSession("shirley@office.com"));
  EXPECT_FALSE(tb.shirley->HasSession("dan@home.com"));
  int byes = 0;
  for (const auto& r : tb.TxAfter(1.0)) byes += r.type == "BYE";
  EXPECT_EQ(byes, 1);
}


// The callee's 200 to INVITE is lost over UDP: the UAS core retransmits it (T1) and the session comes up.
TEST(Session, Lost200ToInviteIsRetransmitted) {
  Testbed tb;
  // Only the caller connects, so the first packet Shirley sends is the 200.
  tb.dan->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kActive));
  tb.Record();
  Ptr<NetDevice> officeSide = tb.links[2].Get(0);
  Simulator::Schedule(Seconds(0.9), [officeSide]() {
    officeSide->SetAttribute("ReceiveErrorModel", PointerValue(CreateObject<sipim_test::DropFirst>(1)));
  });
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped); });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  int retransmitted200 = 0;
  for (const auto& r : tb.TxAfter(1.0)) retransmitted200 += r.node == "shirley" && r.type == "200" && r.retransmission;
  EXPECT_EQ(retransmitted200, 1);
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_GT(tb.deliveries[0].time, 1.5);  // after T1
}

// Every signalling hop over TCP, the first `lost` packets carrying Dan's
// ACK lost on Shirley's link, and at 1 s Dan's first IM to Shirley.
static void SessionOverTcpLosingAcks(Testbed& tb, int lost) {
  for (auto ua : {tb.dan, tb.shirley}) ua->SetAttribute("Transport", EnumValue(SipTransportProtocol::kTcp));
  for (auto p : {tb.home, tb.office}) p->SetAttribute("Transport", EnumValue(SipTransportProtocol::kTcp));
  tb.Record();
  tb.links[2].Get(1)->SetAttribute("ReceiveErrorModel",
                                   PointerValue(CreateObject<sipim_test::DropFirstWith>(lost, "ACK sip:")));
  Simulator::Schedule(Seconds(1), [&tb]() { tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped); });
}

// RFC 3261 13.3.1.4: the UAS core retransmits its 2xx until the ACK
// "independent of whatever transport protocols are used". Every signalling
// hop over TCP; the first segment carrying Dan's ACK is lost on Shirley's
// link, so TCP repairs it after its 1 s RTO: Shirley has resent the 200 at
// T1 meanwhile. Before, the 2xx was retransmitted over UDP only.
TEST(Session, TwoHundredIsRetransmittedOverTcpToo) {
  Testbed tb;
  SessionOverTcpLosingAcks(tb, 1);
  Simulator::Stop(Seconds(6));
  Simulator::Run();
  int retransmitted200 = 0;
  for (const auto& r : tb.TxAfter(1.0)) retransmitted200 += r.node == "shirley" && r.type == "200" && r.retransmission;
  EXPECT_GE(retransmitted200, 1);
  ASSERT_EQ(tb.deliveries.size(), 1u);
}

// And without any ACK (every segment carrying it lost on Shirley's link),
// Shirley's session ends 64*T1 after her 200 instead of waiting for ever,
// unestablished (a forked device whose 2xx was lost between proxies held
// its user's IMs to the caller so in a scripts/stress.py run).
TEST(Session, CalleeWithoutAckOverTcpGivesUpAfter64T1) {
  Testbed tb;
  SessionOverTcpLosingAcks(tb, 1000);
  std::vector<bool> open;  // Shirley's session at 30 s and at 40 s
  for (double t : {30.0, 40.0}) Simulator::Schedule(Seconds(t), [&]() { open.push_back(tb.shirley->HasSession("dan@home.com")); });
  Simulator::Stop(Seconds(41));
  Simulator::Run();
  EXPECT_EQ(open, (std::vector<bool>{true, false}));
}

// RecordRoute on both proxies: ACK and BYE follow the route set through home.com and office.com.
TEST(Session, RecordRouteKeepsProxiesOnThePath) {
  Testbed tb;
  tb.home->SetAttribute("RecordRoute", BooleanValue(true));
  tb.office->SetAttribute("RecordRoute", BooleanValue(true));
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped); });
  Simulator::Schedule(Seconds(2), [&]() { tb.dan->EndSession("shirley@office.com"); });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  std::vector<std::string> ackHops, byeHops;
  for (const auto& r : tb.TxAfter(1.0)) {
    if (r.type == "ACK") ackHops.push_back(r.node + ">" + r.peer);
    if (r.type == "BYE") byeHops.push_back(r.node + ">" + r.peer);
  }
  const std::vector<std::string> path = {"dan>home", "home>office", "office>shirley"};
  EXPECT_EQ(ackHops, path);
  EXPECT_EQ(byeHops, path);
  EXPECT_FALSE(tb.shirley->HasSession("dan@home.com"));
  EXPECT_EQ(tb.deliveries.size(), 1u);
}

namespace {

// The types of the MSRP messages Shirley sent after 1 s for the IM (those
// attributed to it: not the bodiless SENDs that open connections, nor
// their 200s, which belong to the session).
std::vector<std::string> MsrpShirleySentForTheIm(const Testbed& tb) {
  std::vector<std::string> types;
  for (const auto& r : tb.TxAfter(1.0))
    if (r.node == "shirley" && r.type.rfind("MSRP", 0) == 0 && r.attrKind == SipAttributionKind::kIm)
      types.push_back(r.type);
  return types;
}

}  // namespace

// MSRP Success-Report: yes makes the recipient send a REPORT after the 200
// (the IM's messages: the bodiless SENDs that open connections, and their
// 200s, belong to the session).
TEST(Session, MsrpSuccessReportSendsReport) {
  Testbed tb;
  tb.dan->SetAttribute("MsrpSuccessReport", BooleanValue(true));
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionMsrp); });
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  EXPECT_EQ(MsrpShirleySentForTheIm(tb), (std::vector<std::string>{"MSRP-200", "MSRP-REPORT"}));
}

// The same with a=setup active (only Dan connects): the IM's SEND comes
// right behind the bodiless SEND that binds Dan's connection at Shirley,
// and her success REPORT goes on that connection though she has not yet
// made it the one she sends on. Before, it was not sent at all (no
// connection to send on), silently.
TEST(Session, MsrpSuccessReportOnAConnectionJustBound) {
  Testbed tb;
  tb.dan->SetAttribute("MsrpSuccessReport", BooleanValue(true));
  tb.dan->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kActive));
  tb.Record();
  std::string toDan;
  sipim_test::SniffTcp(tb.links[0].Get(0), 5060, &toDan);
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionMsrp); });
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  EXPECT_EQ(MsrpShirleySentForTheIm(tb), (std::vector<std::string>{"MSRP-200", "MSRP-REPORT"}));
  int reports = 0;
  sipim::msrp::StreamParser p;
  p.FeedAll(toDan, [&](const sipim::msrp::Message& m) {
    if (!m.is_request || m.method != sipim::msrp::Method::kReport) return;
    ++reports;
    EXPECT_EQ(m.status.code, 200);
    EXPECT_EQ(m.byte_range.start, 1u);
    EXPECT_EQ(m.byte_range.end, 10u);
    EXPECT_EQ(m.byte_range.total, 10u);
  });
  EXPECT_EQ(reports, 1);
}

// Session mode with the callee on three devices: the forked INVITE is answered by all, the caller
// keeps one dialog (ACK + BYE to the others), and each IM is delivered exactly once.
TEST(Session, ForkedInviteDeliversOnce) {
  Testbed::Options o;
  o.extraShirleyDevices = 2;
  Testbed tb(o);
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() {
    for (int i = 0; i < 3; ++i) tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionStripped);
  });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  ASSERT_EQ(tb.deliveries.size(), 3u);
  for (const auto& d : tb.deliveries) EXPECT_EQ(d.node, tb.deliveries[0].node);
  ASSERT_EQ(tb.outcomes.size(), 3u);
  for (const auto& oc : tb.outcomes) EXPECT_EQ(oc.outcome, SipImOutcome::kDelivered);
  int byes = 0;
  for (const auto& r : tb.TxAfter(1.0)) byes += r.node == "dan" && r.type == "BYE";
  EXPECT_EQ(byes, 2);  // the two devices not chosen
  int open = 0;
  for (auto ua : {tb.shirley, tb.devices[0], tb.devices[1]}) open += ua->HasSession("dan@home.com");
  EXPECT_EQ(open, 1);
}

// An IM handed over while the session's BYE is in flight waits and goes on a new session.
TEST(Session, ImDuringByeOpensNewSession) {
  Testbed tb;
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped); });
  Simulator::Schedule(Seconds(2), [&]() {
    tb.dan->EndSession("shirley@office.com");
    tb.dan->SendIm("shirley@office.com", 11, SipImMode::kSessionStripped);
  });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  ASSERT_EQ(tb.deliveries.size(), 2u);
  EXPECT_EQ(tb.deliveries[1].bodyBytes, 11u);
  EXPECT_EQ(tb.dan->GetSessionsOpened(), 2u);
  ASSERT_EQ(tb.outcomes.size(), 2u);
  for (const auto& o : tb.outcomes) EXPECT_EQ(o.outcome, SipImOutcome::kDelivered);
}

// Session set-up with every signalling hop over TCP, MSRP without 200s
// (Failure-Report: no, at both ends, so on the bodiless SENDs that open the
// connections too): delivered, and no MSRP response on the wire.
TEST(Session, TcpSignallingAndNoMsrpResponses) {
  Testbed tb;
  for (auto ua : {tb.dan, tb.shirley}) ua->SetAttribute("Transport", EnumValue(SipTransportProtocol::kTcp));
  for (auto p : {tb.home, tb.office}) p->SetAttribute("Transport", EnumValue(SipTransportProtocol::kTcp));
  for (auto ua : {tb.dan, tb.shirley}) ua->SetAttribute("MsrpFailureReport", BooleanValue(false));
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() {
    tb.dan->SendIm("shirley@office.com", 40, SipImMode::kSessionMsrp);
    tb.dan->SendIm("shirley@office.com", 41, SipImMode::kSessionMsrp);
  });
  Simulator::Schedule(Seconds(2), [&]() { tb.dan->EndSession("shirley@office.com"); });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  ASSERT_EQ(tb.deliveries.size(), 2u);
  int msrpResponses = 0, udp = 0;
  for (const auto& r : tb.TxAfter(1.0)) {
    msrpResponses += r.type == "MSRP-200";
    udp += r.transport == "udp";
  }
  EXPECT_EQ(msrpResponses, 0);
  EXPECT_EQ(udp, 0);
  EXPECT_FALSE(tb.dan->HasSession("shirley@office.com"));
}

// Session mode twice with the same seed: the same events in the same order.
TEST(Session, Deterministic) {
  auto run = []() {
    Testbed tb;
    tb.Record();
    Simulator::Schedule(Seconds(1), [&]() {
      for (int i = 0; i < 5; ++i) tb.dan->SendIm("shirley@office.com", 100 + i, SipImMode::kSessionMsrp);
      tb.shirley->SendIm("dan@home.com", 7, SipImMode::kSessionStripped);
    });
    Simulator::Schedule(Seconds(2), [&]() { tb.dan->EndSession("shirley@office.com"); });
    Simulator::Stop(Seconds(4));
    Simulator::Run();
    std::string log;
    for (const auto& r : tb.tx)
      log += std::to_string(r.time) + r.node + r.peer + r.type + std::to_string(r.bytes) + "\n";
    for (const auto& d : tb.deliveries) log += "D" + std::to_string(d.imId) + d.node + "\n";
    return log;
  };
  const std::string a = run();
  EXPECT_EQ(a, run());
  EXPECT_NE(a.find("MSRP-SEND"), std::string::npos);
}

// Crossed INVITEs: Dan and Shirley each send an IM to the other at the same
// instant, so each INVITE arrives while the receiver's own is unanswered.
// Each accepts the other's: one session each way, no 486, every IM
// delivered, and the next IMs reuse them. After Dan ends his session, his
// next IM goes on Shirley's (no third INVITE). Before, both INVITEs were
// refused with 486 and both IMs failed, again on every later pair of IMs
// sent in step (a livelock scenarios/session-transport.ini showed).
TEST(Session, CrossedInvitesOpenOneSessionEachWay) {
  for (SipImMode mode : {SipImMode::kSessionStripped, SipImMode::kSessionMsrp}) {
    Testbed tb;
    tb.Record();
    auto both = [&](std::uint32_t size) {
      tb.dan->SendIm("shirley@office.com", size, mode);
      tb.shirley->SendIm("dan@home.com", size + 1, mode);
    };
    Simulator::Schedule(Seconds(1), [&]() { both(10); });
    Simulator::Schedule(Seconds(2), [&]() { both(20); });
    Simulator::Schedule(Seconds(3), [&]() { tb.dan->EndSession("shirley@office.com"); });
    Simulator::Schedule(Seconds(4), [&]() { tb.dan->SendIm("shirley@office.com", 30, mode); });
    Simulator::Stop(Seconds(6));
    Simulator::Run();
    for (const auto& r : tb.tx) EXPECT_NE(r.type, "486") << r.node << " at " << r.time;
    ASSERT_EQ(tb.outcomes.size(), 5u);
    for (const auto& o : tb.outcomes) EXPECT_EQ(o.outcome, SipImOutcome::kDelivered) << o.imId;
    EXPECT_EQ(tb.deliveries.size(), 5u);
    EXPECT_EQ(tb.dan->GetSessionsOpened(), 2u);  // his own and Shirley's
    EXPECT_EQ(tb.shirley->GetSessionsOpened(), 2u);
    std::size_t invites = 0;
    for (const auto& r : tb.TxAfter(0.5)) invites += r.type == "INVITE" && (r.node == "dan" || r.node == "shirley");
    EXPECT_EQ(invites, 2u);
  }
}

// An IM waiting on an INVITE that the peer refuses with 486 because the
// peer's own session to us is already up (Shirley's first INVITE is lost,
// so her retransmission arrives after Dan's session is established; Dan's
// INVITE had reached her while hers was unanswered, so she holds his
// session beside hers) goes on the peer's session instead of failing.
TEST(Session, ImWaitingOnARefusedInviteGoesOnThePeersSession) {
  Testbed tb;
  tb.Record();
  Simulator::Schedule(Seconds(0.9), [&]() {
    tb.links[2].Get(0)->SetAttribute("ReceiveErrorModel", PointerValue(CreateObject<sipim_test::DropFirst>(1)));
  });
  Simulator::Schedule(Seconds(1), [&]() {
    tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped);
    tb.shirley->SendIm("dan@home.com", 11, SipImMode::kSessionStripped);
  });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  std::size_t refusals = 0;
  for (const auto& r : tb.tx) refusals += r.type == "486" && r.node == "dan";
  EXPECT_EQ(refusals, 1u);
  ASSERT_EQ(tb.outcomes.size(), 2u);
  for (const auto& o : tb.outcomes) EXPECT_EQ(o.outcome, SipImOutcome::kDelivered) << o.imId;
  ASSERT_EQ(tb.deliveries.size(), 2u);
  EXPECT_EQ(tb.dan->GetSessionsOpened(), 1u);
  EXPECT_EQ(tb.shirley->GetSessionsOpened(), 2u);  // hers, refused, and Dan's
}

// An INVITE that comes while our BYE for the pair's old session waits for
// its answer (the 200 to Dan's BYE is lost, so he resends the BYE 500 ms
// later; Shirley, who took the BYE, already invites him again for her next
// IM) is accepted beside the closing session and takes its place: her IM
// is delivered and no 486 is sent. Before, Dan refused it with 486 and the
// IM failed session-setup-failed, now with that status.
TEST(Session, InviteDuringOurByeIsAccepted) {
  Testbed tb;
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped); });
  Simulator::Schedule(Seconds(1.9), [&]() {
    tb.links[0].Get(0)->SetAttribute("ReceiveErrorModel",
                                     PointerValue(CreateObject<sipim_test::DropFirstWith>(1, " BYE\r\n")));
  });
  Simulator::Schedule(Seconds(2), [&]() { tb.dan->EndSession("shirley@office.com"); });
  Simulator::Schedule(Seconds(2.1), [&]() { tb.shirley->SendIm("dan@home.com", 11, SipImMode::kSessionStripped); });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  for (const auto& r : tb.tx) EXPECT_NE(r.type, "486") << r.node << " at " << r.time;
  ASSERT_EQ(tb.outcomes.size(), 2u);
  for (const auto& o : tb.outcomes) {
    EXPECT_EQ(o.outcome, SipImOutcome::kDelivered) << o.imId << " status " << o.status;
  }
  EXPECT_EQ(tb.deliveries.size(), 2u);
  EXPECT_EQ(tb.dan->GetSessionsOpened(), 2u);
}

// An IM whose session the INVITE's final response refuses fails
// session-setup-failed with that response's status (here the recipient's
// proxy knows no such user), as a pager IM carries its MESSAGE's. Before,
// its status was 0.
TEST(Session, RefusedSessionsImCarriesTheStatus) {
  Testbed tb;
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("nobody@office.com", 10, SipImMode::kSessionMsrp); });
  Simulator::Stop(Seconds(3));
  Simulator::Run();
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kFailed);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSessionSetupFailed);
  EXPECT_GE(tb.outcomes[0].status, 400);
  std::size_t refusals = 0;
  for (const auto& r : tb.tx) refusals += r.node == "office" && r.type == std::to_string(tb.outcomes[0].status);
  EXPECT_EQ(refusals, 1u) << "status " << tb.outcomes[0].status;
}

namespace {

// Per IM of `ids`: how many outcomes it got, and whether it failed although
// it was delivered.
struct ImAccounting {
  int withoutOutcome = 0, failedButDelivered = 0, twice = 0, delivered = 0;
};
ImAccounting Account(const Testbed& tb, const std::vector<std::uint64_t>& ids) {
  std::map<std::uint64_t, int> outcomes, deliveries;
  std::map<std::uint64_t, bool> failed;
  for (const auto& o : tb.outcomes) {
    ++outcomes[o.imId];
    failed[o.imId] = o.outcome == SipImOutcome::kFailed;
  }
  for (const auto& d : tb.deliveries) ++deliveries[d.imId];
  ImAccounting a;
  for (std::uint64_t id : ids) {
    a.withoutOutcome += outcomes[id] == 0;
    a.twice += outcomes[id] > 1;
    a.failedButDelivered += outcomes[id] == 1 && failed[id] && deliveries[id] > 0;
    a.delivered += outcomes[id] == 1 && !failed[id];
  }
  return a;
}

// Drops what either error model drops.
class EitherError : public ErrorModel {
 public:
  EitherError(Ptr<ErrorModel> a, Ptr<ErrorModel> b) : m_a(a), m_b(b) {}

 private:
  bool DoCorrupt(Ptr<Packet> p) override { return m_a->IsCorrupt(p) || m_b->IsCorrupt(p); }
  void DoReset() override {}
  Ptr<ErrorModel> m_a, m_b;
};

}  // namespace

// RFC 3261 15.1.2: an IM in flight when the peer's BYE arrives may still be
// delivered (the peer reads until the 200 to its BYE reaches it), so it
// is not failed at the BYE. Shirley sends an IM the instant Dan ends their
// session; it is lost once on Dan's link (TCP repairs it about 1 s later)
// and Dan's first copies of the 200 to his BYE are lost too: the IM is
// delivered, and Shirley counts it delivered, once. Before, Shirley failed
// it kSessionClosed at the BYE (2.016 s) and Dan received it at 3.016 s.
TEST(Session, ImInFlightWhenThePeersByeArrivesKeepsItsTrueOutcome) {
  Testbed tb;
  tb.Record();
  tb.links[0].Get(0)->SetAttribute(
      "ReceiveErrorModel", PointerValue(Create<EitherError>(Create<sipim_test::DropFirstWith>(1, "MESSAGE sip:dan"),
                                                            Create<sipim_test::DropFirstWith>(3, "BYE"))));
  std::vector<std::uint64_t> ids;
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped); });
  Simulator::Schedule(Seconds(2), [&]() {
    ids.push_back(tb.shirley->SendIm("dan@home.com", 10, SipImMode::kSessionStripped));
    tb.dan->EndSession("shirley@office.com");
  });
  Simulator::Stop(Seconds(8));
  Simulator::Run();
  const ImAccounting a = Account(tb, ids);
  EXPECT_EQ(a.failedButDelivered, 0);
  EXPECT_EQ(a.withoutOutcome, 0);
  EXPECT_EQ(a.twice, 0);
  EXPECT_EQ(a.delivered, 1);
  Simulator::Destroy();
}

// Forking: the device that answered sends IMs to the caller while a late
// copy of the forked INVITE (its first copy lost) reaches Shirley's second
// device. Every IM Shirley sent is delivered and resolved once, and her
// EndSession ends the session with a BYE. Before, the late device took
// the delivery notices of 5 of Shirley's 10 IMs, which were left without
// an outcome, and with them unresolved Shirley never sent her BYE.
TEST(Session, LateForkedInviteCopyDoesNotTakeTheDeliveryNotices) {
  Testbed::Options o;
  o.extraShirleyDevices = 1;
  Testbed tb(o);
  tb.Record();
  tb.links[3].Get(1)->SetAttribute("ReceiveErrorModel",
                                   PointerValue(CreateObject<sipim_test::DropFirstWith>(1, "INVITE sip:")));
  std::vector<std::uint64_t> ids;
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped); });
  for (double at : {1.1, 1.505})
    Simulator::Schedule(Seconds(at), [&]() {
      for (int k = 0; k < 5; ++k) ids.push_back(tb.shirley->SendIm("dan@home.com", 10, SipImMode::kSessionStripped));
    });
  Simulator::Schedule(Seconds(3), [&]() { tb.shirley->EndSession("dan@home.com"); });
  Simulator::Stop(Seconds(20));
  Simulator::Run();
  const ImAccounting a = Account(tb, ids);
  EXPECT_EQ(a.withoutOutcome, 0);
  EXPECT_EQ(a.delivered, 10);
  std::size_t byes = 0;
  for (const auto& r : tb.tx) byes += r.node == "shirley" && r.type == "BYE";
  EXPECT_EQ(byes, 1u);
  EXPECT_FALSE(tb.shirley->HasSession("dan@home.com"));
  Simulator::Destroy();
}

// RFC 3261 13.2.2.4: a 2xx to an INVITE the caller has given up is still
// ACKed, and the unwanted dialog ended with BYE. Dan gives up his INVITE
// (InviteTimeout 1 s) but his CANCEL never reaches Shirley (who, passive
// under a=setup, waits for his connection), so 64*T1 later he abandons it;
// Shirley answers 200 after her AnswerDelay of 40 s. Dan ACKs and BYEs
// that 200, and his next IM to her, at 45 s (answered at once), sets up a
// new session and is delivered. Before, the 200 was dropped as a stray:
// Shirley resent it for 64*T1 and, her session half set up, refused Dan's
// next INVITE 486, failing that IM.
TEST(Session, TwoHundredToAnAbandonedInviteIsAckedAndByed) {
  Testbed tb;
  tb.Record();
  tb.dan->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kActive));
  tb.dan->SetAttribute("InviteTimeout", TimeValue(Seconds(1)));
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(40)));
  tb.links[2].Get(1)->SetAttribute("ReceiveErrorModel",
                                   PointerValue(CreateObject<sipim_test::DropFirstWith>(-1, "CANCEL sip:")));
  std::vector<std::uint64_t> ids;
  Simulator::Schedule(Seconds(1), [&]() { ids.push_back(tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped)); });
  Simulator::Schedule(Seconds(44), [&]() {
    tb.dan->SetAttribute("InviteTimeout", TimeValue(Seconds(0)));
    tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(0)));
  });
  Simulator::Schedule(Seconds(45), [&]() { ids.push_back(tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped)); });
  Simulator::Stop(Seconds(60));
  Simulator::Run();
  std::size_t acks = 0, byes = 0;
  for (const auto& r : tb.TxAfter(40.0)) {
    acks += r.node == "dan" && r.type == "ACK" && r.time < 45;
    byes += r.node == "dan" && r.type == "BYE" && r.time < 45;
  }
  EXPECT_EQ(acks, 1u);
  EXPECT_EQ(byes, 1u);
  ASSERT_EQ(tb.outcomes.size(), 2u);
  EXPECT_EQ(tb.outcomes[0].imId, ids[0]);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kCancelled);
  EXPECT_EQ(tb.outcomes[1].imId, ids[1]);
  EXPECT_EQ(tb.outcomes[1].outcome, SipImOutcome::kDelivered);
  Simulator::Destroy();
}

// RFC 3261 15: a dialog that one end gives up for its own reason ends with
// BYE. No TCP gets through to Shirley, so no media connection comes up;
// Shirley gives up after her MediaConnectTimeout (2 s) while Dan would
// wait for ever (0). Shirley's BYE ends Dan's session, and Dan's IM, never
// sent, fails there rather than going on a new session that no media
// could reach either. Before, Shirley closed without a word: Dan kept the
// session and the IM without an outcome.
TEST(Session, SessionClosedForALocalReasonEndsWithBye) {
  Testbed tb;
  tb.Record();
  tb.shirley->SetAttribute("MediaConnectTimeout", TimeValue(Seconds(2)));
  tb.dan->SetAttribute("MediaConnectTimeout", TimeValue(Seconds(0)));
  for (std::uint32_t i = 0; i < 2; ++i)
    tb.links[2].Get(i)->SetAttribute("ReceiveErrorModel", PointerValue(CreateObject<sipim_test::DropProtocol>(6)));
  std::vector<std::uint64_t> ids;
  Simulator::Schedule(Seconds(1), [&]() { ids.push_back(tb.dan->SendIm("shirley@office.com", 10, SipImMode::kSessionStripped)); });
  Simulator::Stop(Seconds(8));
  Simulator::Run();
  std::size_t shirleyByes = 0, danInvites = 0;
  for (const auto& r : tb.tx) {
    shirleyByes += r.node == "shirley" && r.type == "BYE";
    danInvites += r.node == "dan" && r.type == "INVITE";
  }
  EXPECT_EQ(shirleyByes, 1u);
  EXPECT_EQ(danInvites, 1u);
  EXPECT_FALSE(tb.dan->HasSession("shirley@office.com"));
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].imId, ids[0]);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kFailed);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSessionClosed);
  Simulator::Destroy();
}
