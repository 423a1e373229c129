// RFC 3261 section 16 and RFC 4320 rules of the proxy, and the transaction
// rules they rest on (section 17), on Dan -- home.com -- office.com --
// Shirley: how a proxy ends its transactions, which final response it
// sends upstream, and when it CANCELs branches.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sip/builder.h"
#include "sip/message.h"
#include "testbed.h"

using namespace ns3;
using sipim_test::Testbed;

namespace {

// A UDP socket on `node`, port `port`, standing in for a SIP device: it
// keeps every datagram it receives and answers the first request of a
// method with a status of the test's choice.
struct RawDevice {
  Ptr<Socket> s;
  std::vector<std::string> got;
  RawDevice(Ptr<Node> node, std::uint16_t port) {
    s = Socket::CreateSocket(node, UdpSocketFactory::GetTypeId());
    s->Bind(InetSocketAddress(Ipv4Address::GetAny(), port));
    s->SetRecvCallback(Callback<void, Ptr<Socket>>([this](Ptr<Socket> sock) {
      while (Ptr<Packet> p = sock->Recv()) {
        std::string b(p->GetSize(), '\0');
        p->CopyData(reinterpret_cast<std::uint8_t*>(&b[0]), p->GetSize());
        got.push_back(b);
      }
    }));
  }
  void SendTo(Ipv4Address to, const std::string& bytes) {
    s->SendTo(Create<Packet>(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                             static_cast<std::uint32_t>(bytes.size())),
              0, InetSocketAddress(to, 5060));
  }
  // At `at` s, answers the first `method` request received with `status`
  // (built by the wire core from that request), sent to `to`:5060; with
  // `contact` and an SDP body when given.
  void AnswerAt(double at, const std::string& method, int status, Ipv4Address to, const std::string& contact = {},
                const std::string& sdp = {}) {
    Simulator::Schedule(Seconds(at), [this, method, status, to, contact, sdp]() {
      for (const std::string& m : got) {
        if (m.compare(0, method.size() + 1, method + " ") != 0) continue;
        sipim::sip::Message req;
        ASSERT_FALSE(sipim::sip::Parse(m, sipim::sip::Framing::kDatagram, &req));
        sipim::sip::ResponseSpec spec;
        spec.status = status;
        spec.to_tag = "raw";
        spec.contact = contact;
        if (!sdp.empty()) spec.content_type = "application/sdp";
        spec.body = sdp;
        std::string out;
        ASSERT_FALSE(sipim::sip::BuildResponse(req, spec, &out));
        SendTo(to, out);
        return;
      }
      ADD_FAILURE() << "no " << method << " arrived by " << Simulator::Now().GetSeconds() << " s";
    });
  }
};

std::size_t CountTx(const Testbed& tb, const std::string& node, const std::string& type, bool retransmissions,
                    double from = 0) {
  std::size_t n = 0;
  for (const auto& r : tb.TxAfter(from)) n += r.node == node && r.type == type && r.retransmission == retransmissions;
  return n;
}

std::size_t CountDrops(const Testbed& tb, SipDropReason reason) {
  std::size_t n = 0;
  for (const auto& d : tb.drops) n += d.reason == reason;
  return n;
}

void RunUntil(double t) {
  Simulator::Stop(Seconds(t) - Simulator::Now());
  Simulator::Run();
}

// eve@home.com registered from Dan's node with one contact per port, in one
// REGISTER sent at 0.5 s (the ports' devices stand for her phones).
void RegisterEve(Testbed& tb, RawDevice& from, const std::vector<std::uint16_t>& ports) {
  std::string contacts;
  for (std::uint16_t p : ports)
    contacts += std::string(contacts.empty() ? "" : ", ") + "<sip:eve@10.0.1.1:" + std::to_string(p) + ">";
  const std::string reg =
      "REGISTER sip:home.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.1.1:7000;branch=z9hG4bKrreg\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:eve@home.com>;tag=r1\r\nTo: <sip:eve@home.com>\r\n"
      "Call-ID: reg-eve@10.0.1.1\r\nCSeq: 1 REGISTER\r\nContact: " +
      contacts + "\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n";
  const Ipv4Address home = tb.addr[1];
  Simulator::Schedule(Seconds(0.5), [&from, home, reg]() { from.SendTo(home, reg); });
}

}  // namespace

// RFC 3261 17.2.1: over a reliable transport an INVITE server transaction
// that answered non-2xx has no timer G but stays Completed until its ACK
// (or timer H). All signalling over TCP, Dan's session IM to a user with no
// binding gets office.com's 480; the hop-by-hop ACKs (Dan to home.com,
// home.com to office.com) are each absorbed by the transaction they are
// for, and nothing is dropped but office.com's traced refusal (480). Before, the server transactions ended with
// the 480, so home.com and office.com took each ACK for the ACK of a 2xx
// and dropped it as unroutable ("ACK: no numeric next hop").
TEST(ProxyRules, AckOfNonTwoXxOverTcpIsAbsorbedAtEachHop) {
  Testbed tb;
  tb.Record();
  for (auto ua : {tb.dan, tb.shirley}) ua->SetAttribute("Transport", EnumValue(SipTransportProtocol::kTcp));
  for (auto p : {tb.home, tb.office}) p->SetAttribute("Transport", EnumValue(SipTransportProtocol::kTcp));
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("nobody@office.com", 100, SipImMode::kSessionStripped); });
  RunUntil(45);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSessionSetupFailed);
  EXPECT_EQ(tb.outcomes[0].status, 480);
  EXPECT_EQ(CountTx(tb, "dan", "ACK", false), 1u);
  EXPECT_EQ(CountTx(tb, "home", "ACK", false), 1u);
  EXPECT_EQ(CountTx(tb, "office", "ACK", false), 0u);
  for (const auto& d : tb.drops)
    if (d.detail != "480 no binding") ADD_FAILURE() << "drop at node " << d.nodeId << ": " << d.detail;
  Simulator::Destroy();
}

// RFC 3261 17.1.3: a response matches the client transaction of its top
// Via branch and CSeq method. Dan CANCELs his INVITE (InviteTimeout) a few
// milliseconds before Shirley's 200 would reach him, so the CANCEL and the
// 200 cross; each CANCEL, Dan's and the proxies', is answered 200 and sent
// once. Before, a 200 to a CANCEL whose INVITE transaction had already
// ended (the 2xx ends it) found no transaction: the proxy dropped it ("no
// Via below ours") and resent its CANCEL until 64*T1.
class CancelCrossingTwoXx : public ::testing::TestWithParam<int> {};

TEST_P(CancelCrossingTwoXx, EveryCancelIsAnsweredAndSentOnce) {
  Testbed tb;
  tb.Record();
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(2)));
  tb.dan->SetAttribute("InviteTimeout", TimeValue(Seconds(2) + MilliSeconds(GetParam())));
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionStripped); });
  RunUntil(45);
  std::size_t cancels = 0;
  for (const char* node : {"dan", "home", "office"}) {
    EXPECT_EQ(CountTx(tb, node, "OTHER", true), 0u) << node << " resent its CANCEL";
    cancels += CountTx(tb, node, "OTHER", false);
  }
  EXPECT_GE(cancels, 2u);  // Dan's and at least home.com's: the CANCEL crossed the 200 past Dan
  EXPECT_EQ(CountDrops(tb, SipDropReason::kStrayResponse), 0u);
  Simulator::Destroy();
}

INSTANTIATE_TEST_SUITE_P(OffsetsMs, CancelCrossingTwoXx, ::testing::Values(5, 10, 15));

// RFC 4320 4.2: a transaction-stateful proxy sends no 408 to a non-INVITE
// request. Everything sent to Shirley is lost; Dan's MESSAGE fails at his
// own timer F, 64*T1 after it left, and nothing follows it: home.com and
// office.com end their transactions unanswered. Before, each proxy's own
// timer F produced a 408; both reached Dan after he had given up and were
// dropped there as stray responses.
TEST(ProxyRules, NoProxySends408ToATimedOutMessage) {
  Testbed tb;
  tb.Record();
  tb.links[2].Get(1)->SetAttribute("ReceiveErrorModel", PointerValue(CreateObject<sipim_test::DropFirst>(-1)));
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 100, SipImMode::kPager); });
  RunUntil(45);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kTimeout);
  EXPECT_NEAR(tb.outcomes[0].time, 33.0, 1e-6);
  for (const char* node : {"home", "office"}) EXPECT_EQ(CountTx(tb, node, "408", false), 0u) << node;
  EXPECT_EQ(CountDrops(tb, SipDropReason::kStrayResponse), 0u);
  Simulator::Destroy();
}

// RFC 3261 16.7 step 10: once a 2xx to a forked INVITE has gone upstream,
// the proxy CANCELs the branches still pending. Shirley answers at once and
// her second device only after 5 s: office.com CANCELs the device's branch
// when it forwards Shirley's 200, the device answers 487 (RFC 3261 9.2),
// and timer C never runs out. Before, the branch was left ringing until
// timer C CANCELled it, 180 s later.
TEST(ProxyRules, TwoXxToAForkedInviteCancelsTheOtherBranch) {
  Testbed::Options o;
  o.extraShirleyDevices = 1;
  Testbed tb(o);
  tb.Record();
  tb.devices[0]->SetAttribute("AnswerDelay", TimeValue(Seconds(5)));
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionStripped); });
  RunUntil(250);
  double cancelAt = -1;
  for (const auto& r : tb.TxAfter(0))
    if (r.node == "office" && r.peer == "dev1" && r.type == "OTHER" && cancelAt < 0) cancelAt = r.time;
  EXPECT_GT(cancelAt, 1.0);
  EXPECT_LT(cancelAt, 1.1);
  EXPECT_EQ(CountTx(tb, "dev1", "487", false), 1u);
  EXPECT_EQ(CountTx(tb, "dev1", "200", false), 1u);  // to the CANCEL; the INVITE never gets one
  EXPECT_EQ(tb.office->GetTimerCExpirations(), 0u);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
  Simulator::Destroy();
}

// Shirley's pager IM to eve@home.com, registered with one raw device per
// entry of `statuses`, which answer it in turn from 2.2 s with those
// statuses: the outcome of Shirley's IM.
sipim_test::Outcome OutcomeWhenEveAnswers(const std::vector<int>& statuses) {
  Testbed tb;
  tb.Record();
  std::vector<std::unique_ptr<RawDevice>> devices;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    ports.push_back(static_cast<std::uint16_t>(7000 + i));
    devices.push_back(std::make_unique<RawDevice>(tb.nodes.Get(0), ports.back()));
    devices.back()->AnswerAt(2.2 + 0.1 * static_cast<double>(i), "MESSAGE", statuses[i], tb.addr[1]);
  }
  RegisterEve(tb, *devices.front(), ports);
  Simulator::Schedule(Seconds(2), [&]() { tb.shirley->SendIm("eve@home.com", 50, SipImMode::kPager); });
  RunUntil(10);
  Simulator::Destroy();
  EXPECT_EQ(tb.outcomes.size(), 1u);
  return tb.outcomes.empty() ? sipim_test::Outcome{} : tb.outcomes.front();
}

// RFC 3261 16.7 step 6: of the final responses to a forked request, a 6xx
// is chosen over any other. Eve's two devices answer 404 and 603 Decline:
// Shirley's IM fails 603. Before, the proxy chose the lowest code, 404.
TEST(ProxyRules, SixXxIsChosenOverOtherFinalResponses) {
  const sipim_test::Outcome o = OutcomeWhenEveAnswers({404, 603});
  EXPECT_EQ(o.reason, SipFailReason::kFinalResponse);
  EXPECT_EQ(o.status, 603);
}

// RFC 3261 16.7 step 6: a proxy does not pass a 503 upstream (it would
// say that the proxy itself cannot serve requests); when 503 is the best
// response it has, it sends 500. Eve's one device answers 503: Shirley's
// IM fails 500. Before, 503.
TEST(ProxyRules, A503FromTheOnlyBranchGoesUpstreamAs500) {
  const sipim_test::Outcome o = OutcomeWhenEveAnswers({503});
  EXPECT_EQ(o.reason, SipFailReason::kFinalResponse);
  EXPECT_EQ(o.status, 500);
}

// RFC 3261 13.3.1: a UAS answers every INVITE. Shirley (AnswerDelay 60 s)
// opens her media connection to Dan as soon as she has the offer; every
// TCP segment to Dan is lost, so that connection, her only one, fails after
// its one SYN (ConnCount 1), her session ends before she has answered, and
// she answers the INVITE 500: Dan's IM fails 500 within seconds. Before,
// the INVITE was never answered, and Dan's IM stayed unresolved.
TEST(ProxyRules, CalleeWhoseSessionEndsBeforeItAnswersAnswers500) {
  Config::SetDefault("ns3::TcpSocket::ConnCount", UintegerValue(1));
  Config::SetDefault("ns3::TcpSocket::ConnTimeout", TimeValue(MilliSeconds(500)));
  Testbed tb;
  tb.Record();
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(60)));
  tb.links[0].Get(0)->SetAttribute("ReceiveErrorModel", PointerValue(CreateObject<sipim_test::DropProtocol>(6)));
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionStripped); });
  RunUntil(40);
  Config::SetDefault("ns3::TcpSocket::ConnCount", UintegerValue(6));
  Config::SetDefault("ns3::TcpSocket::ConnTimeout", TimeValue(Seconds(3)));
  EXPECT_EQ(CountTx(tb, "shirley", "500", false), 1u);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSessionSetupFailed);
  EXPECT_EQ(tb.outcomes[0].status, 500);
  EXPECT_LT(tb.outcomes[0].time, 3.0);
  Simulator::Destroy();
}

// RFC 3261 16.7 step 5: provisional responses go upstream only while the
// server transaction is Proceeding. Shirley's session IM to eve@home.com
// forks to eve's two devices; one answers 200 at 2.2 s, the other rings
// (180) only at 2.3 s: home.com forwards the 200 and not the 180, which it
// traces as a drop, and it CANCELs that branch (16.7 step 10). Before, the
// 180 followed the 200 upstream.
TEST(ProxyRules, ProvisionalAfterTheFinalResponseIsNotForwarded) {
  Testbed tb;
  tb.Record();
  RawDevice a(tb.nodes.Get(0), 7000), b(tb.nodes.Get(0), 7001);
  RegisterEve(tb, a, {7000, 7001});
  Simulator::Schedule(Seconds(2), [&]() { tb.shirley->SendIm("eve@home.com", 50, SipImMode::kSessionStripped); });
  a.AnswerAt(2.2, "INVITE", 200, tb.addr[1]);
  b.AnswerAt(2.3, "INVITE", 180, tb.addr[1]);
  RunUntil(3);
  EXPECT_EQ(CountTx(tb, "home", "200", false, 2.0), 1u);  // from 2 s: not the REGISTERs'
  EXPECT_EQ(CountTx(tb, "home", "180", false, 2.0), 0u);
  std::size_t dropped = 0;
  for (const auto& d : tb.drops) dropped += d.detail == "provisional response after the final one";
  EXPECT_EQ(dropped, 1u);
  std::size_t cancels = 0;  // the CANCEL and its retransmissions (the raw device never answers it)
  for (const std::string& m : b.got) cancels += m.compare(0, 7, "CANCEL ") == 0;
  EXPECT_GE(cancels, 1u);
  EXPECT_EQ(CountTx(tb, "home", "OTHER", false, 2.0), 1u);
  Simulator::Destroy();
}

// RFC 3261 13.2.2.4: the caller ACKs every 2xx to its INVITE, even one whose
// SDP answer it cannot use, and then ends that dialog with BYE. Eve's raw
// device answers Shirley's session INVITE with a 200 whose only stream is
// audio: Shirley ACKs it and sends BYE to its Contact, and her IM fails
// session-setup-failed. Before, she closed the session without either,
// and the callee would have resent its 200 for 64*T1.
TEST(ProxyRules, TwoXxWithAnUnusableAnswerIsAckedThenByed) {
  Testbed tb;
  tb.Record();
  RawDevice eve(tb.nodes.Get(0), 7000);
  RegisterEve(tb, eve, {7000});
  Simulator::Schedule(Seconds(2), [&]() { tb.shirley->SendIm("eve@home.com", 50, SipImMode::kSessionStripped); });
  eve.AnswerAt(2.2, "INVITE", 200, tb.addr[1], "sip:eve@10.0.1.1:7000",
               "v=0\r\no=- 1 1 IN IP4 10.0.1.1\r\ns=-\r\nc=IN IP4 10.0.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
  RunUntil(3);
  std::size_t acks = 0, byes = 0;
  for (const std::string& m : eve.got) {
    acks += m.compare(0, 4, "ACK ") == 0;
    byes += m.compare(0, 4, "BYE ") == 0;
  }
  EXPECT_EQ(acks, 1u);
  EXPECT_GE(byes, 1u);  // and its retransmissions: the raw device never answers it
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kFailed);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSessionSetupFailed);
  Simulator::Destroy();
}

// RFC 3261 21.5.6 (RFC 4475 3.3.8 badvers): a request of another SIP
// version is answered 505 Version Not Supported, built from its Via, From,
// To, Call-ID and CSeq, and the refusal is traced. A raw device on Dan's
// node sends home.com an OPTIONS "SIP/7.0" over UDP: it gets one 505 back
// on its source port, and home.com traces the 505 and a parse-error drop.
// Before, the wire core stopped at the start line and the request was
// only dropped: the sender retransmitted it until its timer F fired.
TEST(ProxyRules, RequestOfAnotherSipVersionIsAnswered505) {
  Testbed tb;
  tb.Record();
  RawDevice dev(tb.nodes.Get(0), 7000);
  const std::string req =
      "OPTIONS sip:home.com SIP/7.0\r\nVia: SIP/7.0/UDP 10.0.1.1:7000;branch=z9hG4bKv7\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:eve@home.com>;tag=v7\r\nTo: <sip:home.com>\r\n"
      "Call-ID: v7@10.0.1.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  const Ipv4Address home = tb.addr[1];
  Simulator::Schedule(Seconds(1), [&dev, home, req]() { dev.SendTo(home, req); });
  RunUntil(2);
  ASSERT_EQ(dev.got.size(), 1u);
  EXPECT_EQ(dev.got[0].compare(0, 12, "SIP/2.0 505 "), 0) << dev.got[0];
  EXPECT_NE(dev.got[0].find("Call-ID: v7@10.0.1.1\r\n"), std::string::npos) << dev.got[0];
  EXPECT_EQ(CountTx(tb, "home", "505", false), 1u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kParseError), 1u);
  Simulator::Destroy();
}

// The same over TCP: the SIP/7.0 OPTIONS is answered 505 on its connection,
// which stays open, and the OPTIONS for home.com sent after it on the same
// connection is answered 200. Before, the framer took the request for a
// framing error and home.com closed the connection: neither was answered.
TEST(ProxyRules, RequestOfAnotherSipVersionIsAnswered505OverTcp) {
  Testbed tb;
  tb.Record();
  const auto options = [](const char* version, const char* tag) {
    return std::string("OPTIONS sip:home.com ") + version + "\r\nVia: " + version +
           "/TCP 10.0.1.1:7000;branch=z9hG4bK" + tag +
           "\r\nMax-Forwards: 70\r\nFrom: <sip:eve@home.com>;tag=" + tag +
           "\r\nTo: <sip:home.com>\r\nCall-ID: " + tag + "@10.0.1.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  };
  const std::string bytes = options("SIP/7.0", "t7") + options("SIP/2.0", "t2");
  Ptr<Socket> sock = Socket::CreateSocket(tb.nodes.Get(0), TcpSocketFactory::GetTypeId());
  ASSERT_EQ(sock->Bind(InetSocketAddress(Ipv4Address::GetAny(), 7000)), 0);
  std::string got;
  bool closed = false;
  sock->SetRecvCallback(Callback<void, Ptr<Socket>>([&got](Ptr<Socket> s) {
    while (Ptr<Packet> p = s->Recv()) {
      std::string b(p->GetSize(), '\0');
      p->CopyData(reinterpret_cast<std::uint8_t*>(&b[0]), p->GetSize());
      got += b;
    }
  }));
  sock->SetCloseCallbacks(Callback<void, Ptr<Socket>>([&closed](Ptr<Socket>) { closed = true; }),
                          Callback<void, Ptr<Socket>>([&closed](Ptr<Socket>) { closed = true; }));
  const Ipv4Address home = tb.addr[1];
  Simulator::Schedule(Seconds(1), [sock, home, bytes]() {
    sock->Connect(InetSocketAddress(home, 5060));
    sock->Send(reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<std::uint32_t>(bytes.size()), 0);
  });
  RunUntil(2);
  EXPECT_EQ(got.compare(0, 12, "SIP/2.0 505 "), 0) << got;
  EXPECT_NE(got.find("SIP/2.0 200 "), std::string::npos) << got;
  EXPECT_NE(got.find("Call-ID: t2@10.0.1.1\r\n"), std::string::npos) << got;
  EXPECT_FALSE(closed);
  sock->Close();
  Simulator::Destroy();
}

// A MESSAGE from `host`:`port` to `ruri`, with `route` ("" for none), as a
// raw device sends it.
std::string RawMessage(const std::string& ruri, const std::string& host, std::uint16_t port,
                       const std::string& route, const std::string& tag) {
  return "MESSAGE " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + host + ":" + std::to_string(port) +
         ";branch=z9hG4bK" + tag + "\r\nMax-Forwards: 70\r\n" + (route.empty() ? "" : "Route: " + route + "\r\n") +
         "From: <sip:x@office.com>;tag=" + tag + "\r\nTo: <" + ruri + ">\r\nCall-ID: " + tag +
         "@raw\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
}

std::size_t CountStarting(const std::vector<std::string>& got, const std::string& start) {
  std::size_t n = 0;
  for (const std::string& m : got) n += m.compare(0, start.size(), start) == 0;
  return n;
}

// RFC 3261 19.1.4: the host of a SIP URI compares case-insensitively, so a
// MESSAGE to sip:eve@HOME.Com is routed by office.com to home.com (its
// domain route) and by home.com to eve's binding (its own domain). Before,
// office.com compared the host byte for byte and answered 404 "unknown
// domain".
TEST(ProxyRules, DomainOfTheRequestUriComparesCaseInsensitively) {
  Testbed tb;
  tb.Record();
  RawDevice eve(tb.nodes.Get(0), 7000), sender(tb.nodes.Get(3), 7002);
  RegisterEve(tb, eve, {7000});
  const Ipv4Address office = tb.addr[2];
  const std::string req = RawMessage("sip:eve@HOME.Com", "10.0.3.2", 7002, "", "case1");
  Simulator::Schedule(Seconds(1), [&sender, office, req]() { sender.SendTo(office, req); });
  RunUntil(2);
  // (and its retransmissions: eve's raw device never answers)
  EXPECT_GE(CountStarting(eve.got, "MESSAGE sip:eve@10.0.1.1:7000 "), 1u);
  EXPECT_EQ(CountStarting(sender.got, "SIP/2.0 404"), 0u);
  Simulator::Destroy();
}

// RFC 3261 16.4: a top Route naming this proxy is removed, whichever of its
// addresses it names. A MESSAGE to home.com whose Route names home.com's
// second interface (10.0.2.1, towards office.com) reaches eve in one hop,
// its Route gone. Before, home.com took only its first interface for
// itself: it forwarded the request to 10.0.2.1, that is to itself, again
// and again, until Max-Forwards ran out.
TEST(ProxyRules, RouteNamingAnotherAddressOfTheProxyIsPopped) {
  Testbed tb;
  tb.Record();
  RawDevice eve(tb.nodes.Get(0), 7000), sender(tb.nodes.Get(0), 7002);
  RegisterEve(tb, eve, {7000});
  const Ipv4Address home = tb.addr[1];
  const std::string req = RawMessage("sip:eve@home.com", "10.0.1.1", 7002, "<sip:10.0.2.1;lr>", "route1");
  Simulator::Schedule(Seconds(1), [&sender, home, req]() { sender.SendTo(home, req); });
  RunUntil(2);
  ASSERT_GE(CountStarting(eve.got, "MESSAGE "), 1u);  // and retransmissions
  for (const std::string& m : eve.got) {
    if (m.compare(0, 8, "MESSAGE ") != 0) continue;
    EXPECT_EQ(m.find("Route:"), std::string::npos) << m;
    EXPECT_NE(m.find("Max-Forwards: 69\r\n"), std::string::npos) << m;
  }
  EXPECT_EQ(CountStarting(sender.got, "SIP/2.0 483"), 0u);
  Simulator::Destroy();
}

// RFC 3261 18.2.1: a server adds received=<source address> to the top Via
// of a request whose sent-by host is not the packet's source; RFC 3581 4:
// one with a bare rport gets received and rport=<source port>. The
// responses carry them back. Three cases:
// - home.com's Via names its first interface (10.0.1.2) while it sends to
//   office.com from 10.0.2.1: the MESSAGE office.com forwards to Shirley
//   has received=10.0.2.1 on home.com's Via, and so has the 200 office.com
//   passes back to home.com;
// - a raw device's Via with rport: eve gets the request with rport=7002
//   and received=10.0.1.1 on it;
// - a raw device's Via naming another host (192.0.2.55): the 480 home.com
//   answers itself carries received=10.0.1.1.
// Before, no Via got either parameter.
TEST(ProxyRules, TopViaRecordsTheSourceOfTheRequest) {
  Testbed tb;
  tb.Record();
  std::vector<std::string> atShirley, atHome;
  sipim_test::SniffUdp(tb.links[2].Get(1), &atShirley);
  sipim_test::SniffUdp(tb.links[1].Get(0), &atHome);
  RawDevice eve(tb.nodes.Get(0), 7000), sender(tb.nodes.Get(0), 7002);
  RegisterEve(tb, eve, {7000});
  const Ipv4Address home = tb.addr[1];
  const std::string rport = "MESSAGE sip:eve@home.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.1.1:7002;rport;branch=z9hG4bKrp1"
                            "\r\nMax-Forwards: 70\r\nFrom: <sip:x@home.com>;tag=rp1\r\nTo: <sip:eve@home.com>\r\n"
                            "Call-ID: rp1@raw\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n";
  const std::string other = RawMessage("sip:nobody@home.com", "192.0.2.55", 7002, "", "rp2");
  Simulator::Schedule(Seconds(1), [&sender, home, rport, other]() {
    sender.SendTo(home, rport);
    sender.SendTo(home, other);
  });
  Simulator::Schedule(Seconds(2), [&]() { tb.dan->SendIm("shirley@office.com", 50, SipImMode::kPager); });
  RunUntil(4);
  std::size_t marked = 0;
  for (const std::string& m : eve.got)
    marked += m.find("Via: SIP/2.0/UDP 10.0.1.1:7002;rport=7002;branch=z9hG4bKrp1;received=10.0.1.1\r\n") !=
              std::string::npos;
  EXPECT_GE(marked, 1u);  // and retransmissions, each marked
  EXPECT_EQ(marked, CountStarting(eve.got, "MESSAGE "));
  std::size_t answered = 0;
  for (const std::string& m : sender.got)
    answered += m.compare(0, 12, "SIP/2.0 480 ") == 0 &&
                m.find("Via: SIP/2.0/UDP 192.0.2.55:7002;branch=z9hG4bKrp2;received=10.0.1.1\r\n") != std::string::npos;
  EXPECT_EQ(answered, 1u);
  std::size_t forwarded = 0, back = 0;
  for (const std::string& m : atShirley)
    forwarded += m.compare(0, 8, "MESSAGE ") == 0 && m.find("Via: SIP/2.0/UDP 10.0.1.2:5060;branch=") != std::string::npos &&
                 m.find(";received=10.0.2.1\r\n") != std::string::npos;
  for (const std::string& m : atHome)
    back += m.compare(0, 12, "SIP/2.0 200 ") == 0 && m.find(" MESSAGE\r\n") != std::string::npos &&
            m.find(";received=10.0.2.1\r\n") != std::string::npos;
  EXPECT_EQ(forwarded, 1u);
  EXPECT_EQ(back, 1u);
  Simulator::Destroy();
}

// RFC 3261 18.2.1 at a UAS: the UA's server transport marks the request's
// top Via as the proxy's does. office.com's Via names its first interface
// (10.0.2.2) while it sends to Shirley from 10.0.3.1, so Shirley's 200 to
// the MESSAGE carries office.com's Via with received=10.0.3.1 (home.com's
// below it keeps the received office.com gave it). Before, the UA answered
// with the Via as it came.
TEST(ProxyRules, UasRecordsTheSourceOfTheRequestInItsResponse) {
  Testbed tb;
  tb.Record();
  std::vector<std::string> atOffice;
  sipim_test::SniffUdp(tb.links[2].Get(0), &atOffice);
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 50, SipImMode::kPager); });
  RunUntil(3);
  std::size_t marked = 0;
  for (const std::string& m : atOffice) {
    if (m.compare(0, 12, "SIP/2.0 200 ") != 0 || m.find(" MESSAGE\r\n") == std::string::npos) continue;
    const std::size_t via = m.find("\r\nVia: ");
    const std::string top = m.substr(via + 2, m.find("\r\n", via + 2) - via - 2);
    const std::string received = ";received=10.0.3.1";
    marked += top.rfind("Via: SIP/2.0/UDP 10.0.2.2:5060;branch=", 0) == 0 && top.size() > received.size() &&
              top.compare(top.size() - received.size(), received.size(), received) == 0;
  }
  EXPECT_EQ(marked, 1u);
  Simulator::Destroy();
}

// RFC 3261 16.7 step 3: a response that has no Via left once the proxy's
// own is removed is not forwarded. Eve's raw device answers a MESSAGE
// home.com forwarded with a 200 holding home.com's Via only: home.com
// traces it and sends nothing to the sender. Before, it forwarded a 200
// without any Via upstream.
TEST(ProxyRules, ResponseWithNoViaBelowTheProxysIsNotForwarded) {
  Testbed tb;
  tb.Record();
  RawDevice eve(tb.nodes.Get(0), 7000), sender(tb.nodes.Get(0), 7002);
  RegisterEve(tb, eve, {7000});
  const Ipv4Address home = tb.addr[1];
  const std::string req = RawMessage("sip:eve@home.com", "10.0.1.1", 7002, "", "novia1");
  Simulator::Schedule(Seconds(1), [&sender, home, req]() { sender.SendTo(home, req); });
  Simulator::Schedule(Seconds(1.2), [&eve, home]() {
    for (const std::string& m : eve.got) {
      if (m.compare(0, 8, "MESSAGE ") != 0) continue;
      sipim::sip::Message r;
      ASSERT_FALSE(sipim::sip::Parse(m, sipim::sip::Framing::kDatagram, &r));
      sipim::sip::ResponseSpec spec;
      spec.to_tag = "raw";
      std::string out;
      ASSERT_FALSE(sipim::sip::BuildResponse(r, spec, &out));
      const std::size_t at = out.find("Via: SIP/2.0/UDP 10.0.1.1:7002");
      ASSERT_NE(at, std::string::npos) << out;
      out.erase(at, out.find("\r\n", at) + 2 - at);
      eve.SendTo(home, out);
    }
  });
  RunUntil(2);
  EXPECT_EQ(CountStarting(sender.got, "SIP/2.0"), 0u);
  std::size_t traced = 0;
  for (const auto& d : tb.drops) traced += d.detail == "response with no Via below ours: not forwarded";
  EXPECT_EQ(traced, 1u);
  Simulator::Destroy();
}

// RFC 3261 16.12 / 16.6 step 7: the ACK of a 2xx follows the route set as
// any request does, whether its values share one Route field or each has
// its own. An ACK to eve with "Route: <home.com>" and "Route: <office.com>"
// goes from home.com to office.com, and from there to eve (Max-Forwards
// 68). Before, the stateless ACK path looked at the first Route field only:
// once home.com popped itself it sent the ACK straight to the Request-URI,
// past office.com.
TEST(ProxyRules, AckOfATwoXxFollowsARouteSetSplitAcrossFields) {
  Testbed tb;
  tb.Record();
  RawDevice eve(tb.nodes.Get(0), 7000), sender(tb.nodes.Get(0), 7002);
  const Ipv4Address home = tb.addr[1];
  const std::string ack =
      "ACK sip:eve@10.0.1.1:7000 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.1.1:7002;branch=z9hG4bKack2\r\n"
      "Max-Forwards: 70\r\nRoute: <sip:10.0.1.2;lr>\r\nRoute: <sip:10.0.2.2;lr>\r\n"
      "From: <sip:x@home.com>;tag=a1\r\nTo: <sip:eve@home.com>;tag=a2\r\nCall-ID: ack2@raw\r\n"
      "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
  Simulator::Schedule(Seconds(1), [&sender, home, ack]() { sender.SendTo(home, ack); });
  RunUntil(2);
  std::size_t viaOffice = 0;
  for (const auto& r : tb.TxAfter(0)) viaOffice += r.node == "home" && r.type == "ACK" && r.peer == "office";
  EXPECT_EQ(viaOffice, 1u);
  ASSERT_EQ(CountStarting(eve.got, "ACK "), 1u);
  EXPECT_NE(eve.got[0].find("Max-Forwards: 68\r\n"), std::string::npos) << eve.got[0];
  EXPECT_EQ(eve.got[0].find("Route:"), std::string::npos) << eve.got[0];
  Simulator::Destroy();
}
