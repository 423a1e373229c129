// Hostile and malformed input arriving over the simulated network: raw
// bytes sent from a plain ns-3 socket on a testbed node to a UA's or a
// proxy's SIP port, and what comes back (a SIP error response where RFC
// 3261 calls for one, else a Drop trace with its reason).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "msrp/msrp.h"
#include "sdp/sdp.h"
#include "sip/builder.h"
#include "sip/message.h"
#include "testbed.h"

using namespace ns3;
using sipim_test::Testbed;

namespace {

// A UDP socket on `node` that sends raw datagrams and keeps what it receives.
struct RawUdp {
  Ptr<Socket> s;
  std::vector<std::string> got;
  explicit RawUdp(Ptr<Node> node) {
    s = Socket::CreateSocket(node, UdpSocketFactory::GetTypeId());
    s->Bind(InetSocketAddress(Ipv4Address::GetAny(), 7000));
    s->SetRecvCallback(Callback<void, Ptr<Socket>>([this](Ptr<Socket> sock) {
      while (Ptr<Packet> p = sock->Recv()) {
        std::string b(p->GetSize(), '\0');
        p->CopyData(reinterpret_cast<std::uint8_t*>(&b[0]), p->GetSize());
        got.push_back(b);
      }
    }));
  }
  void SendAt(double t, Ipv4Address to, std::string bytes, std::uint16_t port = 5060) {
    Simulator::Schedule(Seconds(t), [this, to, bytes, port]() {
      s->SendTo(Create<Packet>(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                               static_cast<std::uint32_t>(bytes.size())),
                0, InetSocketAddress(to, port));
    });
  }
};

// A request from the raw socket on Dan's node (10.0.1.1:7000), `lines`
// are the headers after Via (each ending in CRLF).
std::string Request(const std::string& method, const std::string& ruri, const std::string& lines,
                    const std::string& body = "") {
  std::string m = method + " " + ruri + " SIP/2.0\r\n";
  m += "Via: SIP/2.0/UDP 10.0.1.1:7000;branch=z9hG4bKraw1\r\n";
  m += lines;
  m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return m;
}

const char kFields[] =
    "Max-Forwards: 70\r\n"
    "From: <sip:eve@home.com>;tag=e1\r\n"
    "To: <sip:shirley@office.com>\r\n"
    "Call-ID: raw-1@10.0.1.1\r\n";

// A 200 OK matching no transaction, its top Via naming `viaHost`.
std::string StrayOk(const std::string& viaHost) {
  return "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP " + viaHost +
         ":5060;branch=z9hG4bKnone\r\n"
         "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x@y\r\nCSeq: 1 MESSAGE\r\n"
         "Content-Length: 0\r\n\r\n";
}

std::size_t CountDrops(const Testbed& tb, SipDropReason r) {
  std::size_t n = 0;
  for (const auto& d : tb.drops) n += d.reason == r ? 1 : 0;
  return n;
}

// A TCP connection from `node` that sends raw bytes at given times and
// keeps what comes back.
struct RawTcp {
  Ptr<Socket> s;
  std::string got;
  bool closed = false;
  // `read` false: never reads what arrives (its receive window closes).
  RawTcp(Ptr<Node> node, Ipv4Address to, bool read = true) {
    s = Socket::CreateSocket(node, TcpSocketFactory::GetTypeId());
    s->Bind();
    // Connected once the simulation runs (the stack is initialised then).
    Simulator::Schedule(Seconds(0.5), [this, to]() { s->Connect(InetSocketAddress(to, 5060)); });
    if (read)
      s->SetRecvCallback(Callback<void, Ptr<Socket>>([this](Ptr<Socket> sock) {
        while (Ptr<Packet> p = sock->Recv()) {
          std::string b(p->GetSize(), '\0');
          p->CopyData(reinterpret_cast<std::uint8_t*>(&b[0]), p->GetSize());
          got += b;
        }
      }));
    s->SetCloseCallbacks(Callback<void, Ptr<Socket>>([this](Ptr<Socket>) { closed = true; }),
                         Callback<void, Ptr<Socket>>([this](Ptr<Socket>) { closed = true; }));
  }
  void SendAt(double t, std::string bytes) {
    Simulator::Schedule(Seconds(t), [this, bytes]() {
      s->Send(Create<Packet>(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                             static_cast<std::uint32_t>(bytes.size())));
    });
  }
};

// `count` OPTIONS for home.com, each with a 60 kB Via parameter (so that
// each 200 is as large), sent on `tcp` every 100 ms from 1 s; branches
// z9hG4bK<prefix><i>.
void SendLargeOptions(RawTcp& tcp, int count, const std::string& prefix) {
  const std::string pad(60000, 'a');
  for (int i = 0; i < count; ++i) {
    std::string m = Request("OPTIONS", "sip:home.com", std::string(kFields) + "CSeq: 1 OPTIONS\r\n");
    m.replace(m.find("UDP 10.0.1.1:7000;branch=z9hG4bKraw1"), 36,
              "TCP 10.0.1.1:7000;branch=z9hG4bK" + prefix + std::to_string(i) + ";pad=" + pad);
    tcp.SendAt(1.0 + 0.1 * i, m);
  }
}

// A MESSAGE over TCP from Dan's node with branch/Call-ID suffix `n`.
std::string TcpMessage(int n, const std::string& body = "hi") {
  std::string m = Request("MESSAGE", "sip:shirley@10.0.3.2",
                          "Max-Forwards: 70\r\nFrom: <sip:eve@home.com>;tag=e1\r\n"
                          "To: <sip:shirley@office.com>\r\nCall-ID: tcp-" + std::to_string(n) +
                              "@10.0.1.1\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n",
                          body);
  m.replace(m.find("UDP 10.0.1.1:7000;branch=z9hG4bKraw1"), 36,
            "TCP 10.0.1.1:7000;branch=z9hG4bKtcp" + std::to_string(n));
  return m;
}

std::size_t Count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t i = hay.find(needle); i != std::string::npos; i = hay.find(needle, i + 1)) ++n;
  return n;
}

// Records the media port of the SDP in every message starting with `start`
// (the first 200 by default) seen on `dev` (MacRx).
void SniffAnswerMediaPort(Ptr<NetDevice> dev, std::function<void(std::uint16_t)> onPort,
                          std::string start = "SIP/2.0 200") {
  dev->TraceConnectWithoutContext(
      "MacRx", Callback<void, Ptr<const Packet>>(([onPort, start](Ptr<const Packet> p) {
        std::string b(p->GetSize(), '\0');
        p->CopyData(reinterpret_cast<std::uint8_t*>(&b[0]), p->GetSize());
        const std::size_t m = b.find("m=message ");
        if (b.find(start) != std::string::npos && m != std::string::npos)
          onPort(static_cast<std::uint16_t>(std::stoi(b.substr(m + 10))));
      })));
}

// Every test: the paper's testbed, recorded, and a raw sender on Dan's node.
void SniffAnswerPath(Ptr<NetDevice> dev, std::string* path);  // below

class Hostile : public ::testing::Test {
 protected:
  Hostile() { tb.Record(); }
  // Runs the simulation until `t` seconds (simulation time).
  void RunUntil(double t) {
    Simulator::Stop(Seconds(t) - Simulator::Now());
    Simulator::Run();
  }
  // A REGISTER for eve@home.com to home.com at `at` s: CSeq and branch
  // from `n`, `lines` after CSeq (Contact, Expires).
  void RegisterAt(double at, int n, const std::string& lines) {
    std::string m = Request("REGISTER", "sip:home.com",
                            "Max-Forwards: 70\r\nFrom: <sip:eve@home.com>;tag=e1\r\nTo: <sip:eve@home.com>\r\n"
                            "Call-ID: reg-2@10.0.1.1\r\nCSeq: " + std::to_string(n) + " REGISTER\r\n" + lines);
    m.replace(m.find("z9hG4bKraw1"), 11, "z9hG4bKreg" + std::to_string(n));
    raw.SendAt(at, tb.addr[1], m);
  }
  // MediaIntruder in an MSRP session: Dan sends Shirley a 20-byte IM at 1 s,
  // and *path gets Shirley's a=path from her answer (the To-Path a SEND
  // on the intruder's connection must carry).
  Ptr<Socket> MsrpIntruder(bool* connected, std::string* path) {
    Ptr<Socket> eve = MediaIntruder(connected);
    SniffAnswerPath(tb.links[0].Get(0), path);
    Simulator::Schedule(Seconds(1), [this]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionMsrp); });
    return eve;
  }
  // MsrpIntruder, whose connection wins Shirley's listener (a=setup active:
  // only Dan connects) and is bound at once, so that Shirley sends her IMs
  // on it; it answers each of her MSRP requests with what `answer` appends
  // (nothing: no answer). Shirley sends Dan a 30-byte IM at 2 s; runs until
  // `until` s and checks that the IM went on the intruder's connection.
  void ShirleysImOnTheIntruder(double until, std::function<void(const sipim::msrp::Message&, std::string*)> answer);
  // MsrpIntruder, keeping what it receives in intruderGot, which sends
  // Shirley at 2 s, one after the other, what `sends` makes for her a=path;
  // runs until `until` s.
  void IntruderSendsAt2s(double until, std::function<std::vector<std::string>(const std::string& path)> sends);
  // Dan's IM was delivered, Shirley's failed with `reason` and `status`.
  void ExpectShirleysImFailed(SipFailReason reason, std::uint16_t status) {
    ASSERT_EQ(tb.outcomes.size(), 2u);
    EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);  // Dan's
    EXPECT_EQ(tb.outcomes[1].outcome, SipImOutcome::kFailed);
    EXPECT_EQ(tb.outcomes[1].reason, reason);
    EXPECT_EQ(tb.outcomes[1].status, status);
  }
  // Both ends set up media connections actively; the returned TCP socket,
  // on Dan's node (the caller's address), connects to Shirley's media
  // listener as soon as the first 200 on Dan's link names its port, before
  // Dan's UA has even read it (*connected: it did).
  Ptr<Socket> MediaIntruder(bool* connected) {
    tb.dan->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kActive));
    tb.shirley->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kActive));
    Ptr<Socket> eve = Socket::CreateSocket(tb.nodes.Get(0), TcpSocketFactory::GetTypeId());
    SniffAnswerMediaPort(tb.links[0].Get(0), [this, eve, connected](std::uint16_t port) {
      if (*connected) return;
      *connected = true;
      eve->Bind();
      eve->Connect(InetSocketAddress(tb.addr[3], port));
    });
    return eve;
  }
  Testbed tb;
  RawUdp raw{tb.nodes.Get(0)};
  // ShirleysImOnTheIntruder's intruder: connected, Shirley's a=path, and
  // what it received.
  bool intruderConnected = false;
  std::string intruderPath, intruderGot;
};

}  // namespace

// RFC 3261 8.2: a UA that receives a request failing validation (here the
// CSeq method is not the request's method) answers 400 and traces the drop;
// the IM is not delivered.
TEST_F(Hostile, UaAnswers400ToInvalidRequest) {
  raw.SendAt(1.0, tb.addr[3],
             Request("MESSAGE", "sip:shirley@10.0.3.2", std::string(kFields) + "CSeq: 1 INVITE\r\n"
                                                              "Content-Type: text/plain\r\n",
                     "hi"));
  RunUntil(2);
  EXPECT_TRUE(tb.deliveries.empty());
  EXPECT_EQ(CountDrops(tb, SipDropReason::kParseError), 1u);
  ASSERT_EQ(raw.got.size(), 1u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 400 ", 0), 0u) << raw.got[0];
  EXPECT_NE(raw.got[0].find("Call-ID: raw-1@10.0.1.1"), std::string::npos);
}

// RFC 3261 18.3: a request in a UDP datagram that ends before Content-Length
// bytes of body is an error answered 400 (by a UA and by a proxy alike); the
// drop is traced as a parse error.
TEST_F(Hostile, TruncatedDatagramBodyIsAnswered400) {
  std::string m = Request("MESSAGE", "sip:shirley@10.0.3.2", std::string(kFields) + "CSeq: 1 MESSAGE\r\n"
                                                                  "Content-Type: text/plain\r\n",
                          "hi");
  m.replace(m.find("Content-Length: 2"), 17, "Content-Length: 200");
  raw.SendAt(1.0, tb.addr[3], m);  // to Shirley (UA)
  raw.SendAt(1.5, tb.addr[1], m);  // to home.com (proxy)
  RunUntil(2);
  EXPECT_TRUE(tb.deliveries.empty());
  EXPECT_EQ(CountDrops(tb, SipDropReason::kParseError), 2u);
  ASSERT_EQ(raw.got.size(), 2u);
  for (const auto& r : raw.got) EXPECT_EQ(r.rfind("SIP/2.0 400 ", 0), 0u) << r;
}

// RFC 3261 18.3 (and RFC 4475 dblreq): octets after a datagram's message
// are discarded, here a second request in the same datagram. The first is
// processed (Shirley answers 200 and gets the IM); the discarded bytes are
// a traced drop naming their count, not a silent loss.
TEST_F(Hostile, BytesAfterTheMessageInADatagramAreTraced) {
  const std::string first = Request("MESSAGE", "sip:shirley@10.0.3.2",
                                    std::string(kFields) + "CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n", "hi");
  const std::string second = Request("OPTIONS", "sip:shirley@10.0.3.2", std::string(kFields) + "CSeq: 2 OPTIONS\r\n");
  raw.SendAt(1.0, tb.addr[3], first + second);
  RunUntil(2);
  ASSERT_EQ(raw.got.size(), 1u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 200 ", 0), 0u) << raw.got[0];
  std::size_t traced = 0;
  for (const auto& d : tb.drops)
    traced += d.reason == SipDropReason::kParseError && d.bytes == second.size() &&
              d.detail == std::to_string(second.size()) + " byte(s) after the message in its datagram, ignored";
  EXPECT_EQ(traced, 1u);
}

// An empty UDP datagram, or one of garbage, to a UA's or a proxy's SIP port
// is a traced parse-error drop (nothing to answer), never a silent one.
TEST_F(Hostile, EmptyAndGarbageDatagramsAreTracedDrops) {
  raw.SendAt(1.0, tb.addr[3], "");
  raw.SendAt(1.1, tb.addr[1], "");
  raw.SendAt(1.2, tb.addr[3], std::string("\x01\xff garbage\r\n\r\n", 14));
  raw.SendAt(1.3, tb.addr[1], "\r\n\r\n");
  RunUntil(2);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kParseError), 4u);
  EXPECT_TRUE(raw.got.empty());
}

// An ACK that matches no transaction and no session at a UA is a traced
// drop (kUnexpected), not silently ignored; it is never answered.
TEST_F(Hostile, UaTracesAckForNothing) {
  raw.SendAt(1.0, tb.addr[3], Request("ACK", "sip:shirley@10.0.3.2", std::string(kFields) + "CSeq: 1 ACK\r\n"));
  RunUntil(2);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kUnexpected), 1u);
  EXPECT_TRUE(raw.got.empty());
}

// Already handled (checked here so it stays so): Max-Forwards 0 at a proxy
// is answered 483 (RFC 3261 16.3 step 3); an unknown domain 404; a request
// without Call-ID 400 from the proxy; a response for no transaction is a
// traced stray drop; a retransmitted request gets the same final response
// again and is counted as absorbed.
TEST_F(Hostile, ProxyAnswersBadRequestsAndAbsorbsStrays) {
  const std::string mf0 = "Max-Forwards: 0\r\nFrom: <sip:eve@home.com>;tag=e1\r\nTo: <sip:shirley@office.com>\r\n"
                          "Call-ID: raw-2@10.0.1.1\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n";
  raw.SendAt(1.0, tb.addr[1], Request("MESSAGE", "sip:shirley@office.com", mf0, "hi"));
  std::string unknown = Request("MESSAGE", "sip:x@nowhere.example",
                                std::string(kFields) + "CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n", "hi");
  unknown.replace(unknown.find("z9hG4bKraw1"), 11, "z9hG4bKraw3");
  raw.SendAt(1.1, tb.addr[1], unknown);
  raw.SendAt(1.2, tb.addr[1], unknown);  // a retransmission
  std::string noCallId = Request("OPTIONS", "sip:shirley@office.com",
                                 "Max-Forwards: 70\r\nFrom: <sip:eve@home.com>;tag=e1\r\n"
                                 "To: <sip:shirley@office.com>\r\nCSeq: 1 OPTIONS\r\n");
  noCallId.replace(noCallId.find("z9hG4bKraw1"), 11, "z9hG4bKraw4");
  raw.SendAt(1.3, tb.addr[1], noCallId);
  raw.SendAt(1.4, tb.addr[1],
             StrayOk("10.0.1.2"));
  RunUntil(2);
  EXPECT_TRUE(tb.deliveries.empty());
  ASSERT_EQ(raw.got.size(), 3u);  // the 400 to OPTIONS carries no Call-ID: BuildResponse cannot
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 483 ", 0), 0u) << raw.got[0];
  EXPECT_EQ(raw.got[1].rfind("SIP/2.0 404 ", 0), 0u) << raw.got[1];
  EXPECT_EQ(raw.got[2], raw.got[1]);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kMaxForwardsExceeded), 1u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kRetransmissionAbsorbed), 1u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kStrayResponse), 1u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kParseError), 1u);  // no Call-ID
}

// RFC 3261 8.2.2.3 and 16.3 step 5: the UA and the proxy support no
// extension, so a request that Requires one (at the UA) or Proxy-Requires
// one (at a proxy) is answered 420 Bad Extension with Unsupported naming
// the tags, traced as a bad-extension drop, and not delivered or forwarded.
TEST_F(Hostile, Answers420ToRequiredExtensions) {
  const std::string ct = "Content-Type: text/plain\r\n";
  raw.SendAt(1.0, tb.addr[3],
             Request("MESSAGE", "sip:shirley@10.0.3.2",
                     std::string(kFields) + "CSeq: 1 MESSAGE\r\nRequire: foo, 100rel\r\n" + ct, "hi"));
  std::string toProxy = Request("MESSAGE", "sip:shirley@office.com",
                                std::string(kFields) + "CSeq: 1 MESSAGE\r\nProxy-Require: foo\r\n" + ct, "hi");
  toProxy.replace(toProxy.find("z9hG4bKraw1"), 11, "z9hG4bKraw2");
  raw.SendAt(1.5, tb.addr[1], toProxy);
  RunUntil(2);
  EXPECT_TRUE(tb.deliveries.empty());
  EXPECT_EQ(CountDrops(tb, SipDropReason::kBadExtension), 2u);
  ASSERT_EQ(raw.got.size(), 2u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 420 ", 0), 0u) << raw.got[0];
  EXPECT_NE(raw.got[0].find("Unsupported: foo, 100rel\r\n"), std::string::npos) << raw.got[0];
  EXPECT_EQ(raw.got[1].rfind("SIP/2.0 420 ", 0), 0u) << raw.got[1];
  EXPECT_NE(raw.got[1].find("Unsupported: foo\r\n"), std::string::npos) << raw.got[1];
}

// Already handled: over TCP a message split across many small segments,
// two messages in one segment, and CRLF keep-alives between them are all
// framed by Content-Length; each MESSAGE is answered 200 on the connection.
TEST_F(Hostile, TcpFramingOfSplitJoinedAndKeepAliveMessages) {
  RawTcp tcp(tb.nodes.Get(0), tb.addr[3]);
  const std::string one = TcpMessage(1);
  for (std::size_t i = 0; i < one.size(); i += 7) tcp.SendAt(1.0 + 0.01 * static_cast<double>(i), one.substr(i, 7));
  tcp.SendAt(4.0, "\r\n\r\n" + TcpMessage(2) + "\r\n\r\n\r\n\r\n" + TcpMessage(3));
  RunUntil(5);
  EXPECT_EQ(tb.deliveries.size(), 3u);
  EXPECT_EQ(Count(tcp.got, "SIP/2.0 200 "), 3u) << tcp.got;
  EXPECT_FALSE(tcp.closed);
  EXPECT_TRUE(tb.drops.empty());
}

// Already handled: a negative, non-numeric or over-limit (above 1 MiB)
// Content-Length on a stream cannot be framed: a traced framing error and
// the connection closed.
TEST_F(Hostile, TcpBadContentLengthClosesTheConnection) {
  std::vector<std::unique_ptr<RawTcp>> conns;
  for (const char* cl : {"-1", "abc", "2000000"}) {
    conns.push_back(std::make_unique<RawTcp>(tb.nodes.Get(0), tb.addr[3]));
    std::string m = TcpMessage(static_cast<int>(conns.size()));
    m.replace(m.find("Content-Length: 2"), 17, std::string("Content-Length: ") + cl);
    conns.back()->SendAt(1.0, m);
  }
  RunUntil(3);
  EXPECT_TRUE(tb.deliveries.empty());
  EXPECT_EQ(CountDrops(tb, SipDropReason::kFramingError), 3u);
  for (const auto& c : conns) EXPECT_TRUE(c->closed);
}

// A stream whose message never completes (Content-Length promises more
// body than ever arrives, or the header section never ends) must not hold
// its buffer and connection forever: after 64*T1 without the message
// completing, the connection is closed and the drop traced (framing error).
TEST_F(Hostile, TcpIncompleteMessageTimesOut) {
  RawTcp body(tb.nodes.Get(0), tb.addr[3]);
  std::string m = TcpMessage(1);
  m.replace(m.find("Content-Length: 2"), 17, "Content-Length: 500000");
  body.SendAt(1.0, m);
  RawTcp header(tb.nodes.Get(0), tb.addr[1]);
  header.SendAt(1.0, "MESSAGE sip:x@office.com SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.1.1");
  RunUntil(32.9);
  EXPECT_FALSE(body.closed);  // sent at 1 s + the connection's set-up: within 64*T1 = 32 s
  RunUntil(34);
  EXPECT_TRUE(body.closed);
  EXPECT_TRUE(header.closed);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kFramingError), 2u);
  EXPECT_TRUE(tb.deliveries.empty());
}

// RFC 3261 10.3 step 3: a registrar answers 404 to a REGISTER whose To
// address-of-record is not in its domain, and stores no binding for it.
TEST_F(Hostile, RegistrarRefusesForeignAor) {
  raw.SendAt(1.0, tb.addr[1],
             Request("REGISTER", "sip:home.com",
                     "Max-Forwards: 70\r\nFrom: <sip:shirley@office.com>;tag=e1\r\n"
                     "To: <sip:shirley@office.com>\r\nCall-ID: reg-1@10.0.1.1\r\nCSeq: 1 REGISTER\r\n"
                     "Contact: <sip:eve@10.0.1.1:7000>\r\n"));
  RunUntil(2);
  ASSERT_EQ(raw.got.size(), 1u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 404 ", 0), 0u) << raw.got[0];
  EXPECT_EQ(tb.home->GetBindingCount("shirley@office.com"), 0u);
}

// Already handled: a request looping between two proxies (each routes the
// domain to the other) is bounded by Max-Forwards: the proxy that sees it
// reach 0 answers 483, which travels back, and the loop ends.
TEST_F(Hostile, LoopBetweenProxiesEndsIn483) {
  tb.home->AddDomainRoute("loop.example", tb.addr[2]);
  tb.office->AddDomainRoute("loop.example", tb.addr[1]);
  std::string m = Request("MESSAGE", "sip:x@loop.example",
                          std::string(kFields) + "CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n", "hi");
  m.replace(m.find("Max-Forwards: 70"), 16, "Max-Forwards: 10");
  raw.SendAt(1.0, tb.addr[1], m);
  RunUntil(3);
  ASSERT_EQ(raw.got.size(), 1u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 483 ", 0), 0u) << raw.got[0];
  EXPECT_EQ(CountDrops(tb, SipDropReason::kMaxForwardsExceeded), 1u);
}

// RFC 3261 10.3 steps 6-7: every Contact value of a REGISTER is a binding
// (a list in one field registers them all), "Contact: *" with Expires 0
// removes every binding of the AOR, "*" with a non-zero expiry is answered
// 400, and so is an unparsable Contact, instead of a 200 that bound nothing.
TEST_F(Hostile, RegistrarHandlesContactListsStarAndGarbage) {
  RegisterAt(1.0, 1, "Contact: <sip:eve@10.0.1.1:7000>, <sip:eve@10.0.1.1:7001>\r\nExpires: 600\r\n");
  double count1 = -1;
  Simulator::Schedule(Seconds(1.5), [&]() { count1 = tb.home->GetBindingCount("eve@home.com"); });
  RegisterAt(2.0, 2, "Contact: *\r\nExpires: 600\r\n");
  RegisterAt(2.5, 3, "Contact: <sip:eve@10.0.1.1:7002\r\n");
  RegisterAt(3.0, 4, "Contact: *\r\nExpires: 0\r\n");
  RunUntil(4);
  EXPECT_EQ(count1, 2);
  EXPECT_EQ(tb.home->GetBindingCount("eve@home.com"), 0u);
  ASSERT_EQ(raw.got.size(), 4u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 200 ", 0), 0u) << raw.got[0];
  EXPECT_EQ(raw.got[1].rfind("SIP/2.0 400 ", 0), 0u) << raw.got[1];
  EXPECT_EQ(raw.got[2].rfind("SIP/2.0 400 ", 0), 0u) << raw.got[2];
  EXPECT_EQ(raw.got[3].rfind("SIP/2.0 200 ", 0), 0u) << raw.got[3];
}

// RFC 3261 8.2.1: a UA answers a method it does not implement 405 with an
// Allow field listing the methods it does (the 405 used to carry none).
TEST_F(Hostile, Ua405CarriesAllow) {
  raw.SendAt(1.0, tb.addr[3], Request("SUBSCRIBE", "sip:shirley@10.0.3.2", std::string(kFields) + "CSeq: 1 SUBSCRIBE\r\n"));
  RunUntil(2);
  ASSERT_EQ(raw.got.size(), 1u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 405 ", 0), 0u) << raw.got[0];
  EXPECT_NE(raw.got[0].find("\r\nAllow: INVITE, ACK, CANCEL, BYE, MESSAGE, OPTIONS\r\n"), std::string::npos) << raw.got[0];
}

// RFC 3261 8.2.2.1: a UA refuses a Request-URI it does not accept requests
// for: a scheme other than sip/sips gets 416, another user 404; neither is
// delivered.
TEST_F(Hostile, UaRefusesForeignRequestUri) {
  const std::string f = std::string(kFields) + "CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n";
  raw.SendAt(1.0, tb.addr[3], Request("MESSAGE", "tel:+15551234", f, "hi"));
  std::string other = Request("MESSAGE", "sip:mallory@10.0.3.2", f, "hi");
  other.replace(other.find("z9hG4bKraw1"), 11, "z9hG4bKraw2");
  raw.SendAt(1.5, tb.addr[3], other);
  RunUntil(2);
  EXPECT_TRUE(tb.deliveries.empty());
  ASSERT_EQ(raw.got.size(), 2u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 416 ", 0), 0u) << raw.got[0];
  EXPECT_EQ(raw.got[1].rfind("SIP/2.0 404 ", 0), 0u) << raw.got[1];
}

// RFC 5626 4.4.1: a double-CRLF "ping" between messages on a stream is
// answered at once with a single CRLF "pong" on the same connection (here
// at a proxy and at a UA; a ping split across segments counts too).
TEST_F(Hostile, CrlfPingGetsPong) {
  RawTcp toProxy(tb.nodes.Get(0), tb.addr[1]);
  toProxy.SendAt(1.0, "\r\n\r\n");
  toProxy.SendAt(1.5, "\r\n");
  toProxy.SendAt(1.6, "\r\n");
  RawTcp toUa(tb.nodes.Get(0), tb.addr[3]);
  toUa.SendAt(1.0, "\r\n\r\n");
  RunUntil(2);
  EXPECT_EQ(toProxy.got, "\r\n\r\n");
  EXPECT_EQ(toUa.got, "\r\n");
  EXPECT_FALSE(toProxy.closed);
  EXPECT_TRUE(tb.drops.empty());
}

// Already handled: bytes that keep arriving after the framing error that
// closed a connection are not parsed or delivered and crash nothing.
TEST_F(Hostile, TcpBytesAfterCloseAreIgnored) {
  RawTcp tcp(tb.nodes.Get(0), tb.addr[3]);
  std::string bad = TcpMessage(1);
  bad.replace(bad.find("Content-Length: 2"), 17, "Content-Length: x");
  tcp.SendAt(1.0, bad);
  tcp.SendAt(1.2, TcpMessage(2));
  tcp.SendAt(1.4, std::string(5000, 'z'));
  RunUntil(3);
  EXPECT_TRUE(tb.deliveries.empty());
  EXPECT_EQ(CountDrops(tb, SipDropReason::kFramingError), 1u);
}

// A registrar bounds the bindings of one AOR (MaxBindingsPerAor, 32): a
// REGISTER that would go above it is answered 403 and applies nothing, so
// a sender cannot grow the location table, or the fan-out of every
// request forked to that AOR, without bound.
TEST_F(Hostile, RegistrarBoundsBindingsPerAor) {
  std::string contacts;
  for (int i = 0; i < 32; ++i) contacts += "Contact: <sip:eve@10.0.1.1:" + std::to_string(8000 + i) + ">\r\n";
  RegisterAt(1.0, 1, contacts);                                  // 32: at the bound
  RegisterAt(1.5, 2, "Contact: <sip:eve@10.0.1.1:8000>\r\n");  // a refresh: still 32
  RegisterAt(2.0, 3, "Contact: <sip:eve@10.0.1.1:9000>\r\n");  // the 33rd
  RunUntil(3);
  ASSERT_EQ(raw.got.size(), 3u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 200 ", 0), 0u) << raw.got[0];
  EXPECT_EQ(raw.got[1].rfind("SIP/2.0 200 ", 0), 0u) << raw.got[1];
  EXPECT_EQ(raw.got[2].rfind("SIP/2.0 403 ", 0), 0u) << raw.got[2];
  EXPECT_EQ(tb.home->GetBindingCount("eve@home.com"), 32u);
}

// A request on a TCP connection whose Via names another host (here
// office.com's address) must not make the proxy send that host's traffic
// over this connection: a Via host other than the connection's peer never
// takes over a domain route's address or a sent-by another open
// connection stands for. The IM then reaches office.com and Shirley, and
// the attacker's connection gets no MESSAGE.
TEST_F(Hostile, ViaOfAnotherHostDoesNotHijackConnections) {
  tb.home->SetAttribute("Transport", EnumValue(SipTransportProtocol::kTcp));
  RawTcp attacker(tb.nodes.Get(0), tb.addr[1]);
  std::string m = Request("REGISTER", "sip:home.com",
                          "Max-Forwards: 70\r\nFrom: <sip:eve@home.com>;tag=e1\r\nTo: <sip:eve@home.com>\r\n"
                          "Call-ID: reg-4@10.0.1.1\r\nCSeq: 1 REGISTER\r\n");
  m.replace(m.find("UDP 10.0.1.1:7000"), 17, "TCP 10.0.2.2:5060");
  attacker.SendAt(1.0, m);
  Simulator::Schedule(Seconds(2), [this]() { tb.dan->SendIm("shirley@office.com", 50, SipImMode::kPager); });
  RunUntil(3);
  EXPECT_EQ(attacker.got.find("MESSAGE sip:"), std::string::npos) << attacker.got;
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_EQ(tb.deliveries[0].node, "shirley");
}

// Already handled: a very long header line (a 60 000-byte field in one UDP
// datagram, IP-fragmented) is parsed, forwarded (over TCP by the RFC 3261
// 18.1.1 size rule) and delivered like any other MESSAGE.
TEST_F(Hostile, VeryLongHeaderLineIsForwardedAndDelivered) {
  raw.SendAt(1.0, tb.addr[1],
             Request("MESSAGE", "sip:shirley@office.com",
                     std::string(kFields) + "CSeq: 1 MESSAGE\r\nX-Long: " + std::string(60000, 'a') +
                         "\r\nContent-Type: text/plain\r\n",
                     "hi"));
  RunUntil(3);
  ASSERT_EQ(tb.deliveries.size(), 1u);
  ASSERT_EQ(raw.got.size(), 1u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 200 ", 0), 0u) << raw.got[0].substr(0, 200);
}

// A callee's media listener takes connections only from the caller's media
// address (the offer's c= line): a third host that connects to the port of
// the 200's SDP is refused (traced), so it can neither inject IMs into the
// session nor take its sending connection. Before, its stripped MESSAGE
// was delivered to Shirley as an IM of the session.
TEST_F(Hostile, CalleeMediaListenerRefusesThirdHosts) {
  tb.dan->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kActive));
  tb.shirley->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kActive));
  std::uint16_t mediaPort = 0;  // Shirley's listener, read from the 200 on Dan's link
  SniffAnswerMediaPort(tb.links[0].Get(0), [&mediaPort](std::uint16_t p) { mediaPort = p; });
  Simulator::Schedule(Seconds(1), [this]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionStripped); });
  Ptr<Socket> eve;
  Simulator::Schedule(Seconds(2), [&]() {
    ASSERT_NE(mediaPort, 0);
    eve = Socket::CreateSocket(tb.nodes.Get(1), TcpSocketFactory::GetTypeId());  // home.com's node
    eve->Bind();
    eve->Connect(InetSocketAddress(tb.addr[3], mediaPort));
    const std::string evil =
        "MESSAGE sip:shirley@office.com SIP/2.0\r\nFrom: <sip:eve@home.com>\r\nTo: <sip:shirley@office.com>\r\n"
        "Content-Type: text/plain\r\nContent-Length: 4\r\n\r\nevil";
    eve->Send(Create<Packet>(reinterpret_cast<const std::uint8_t*>(evil.data()), static_cast<std::uint32_t>(evil.size())));
  });
  RunUntil(4);
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_EQ(tb.deliveries[0].bodyBytes, 20u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kUnexpected), 1u);
}

// A media connection closed for a framing error is forgotten like any
// closed one: if it was the one this UA sent on, the next connection up
// takes over. Here a host at the caller's own address connects to
// Shirley's listener first (so Shirley sends on it), then sends garbage;
// Shirley's IM to Dan must still arrive over Dan's connection. Before,
// Shirley kept sending into the closed connection and the IM vanished.
TEST_F(Hostile, MediaFramingErrorMovesSendingToAnotherConnection) {
  bool connected = false;
  Ptr<Socket> eve = MediaIntruder(&connected);
  Simulator::Schedule(Seconds(1), [this]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionStripped); });
  Simulator::Schedule(Seconds(2), [&]() {
    const std::string junk = "\x01\x02 not SIP\r\n\r\n";
    eve->Send(Create<Packet>(reinterpret_cast<const std::uint8_t*>(junk.data()), static_cast<std::uint32_t>(junk.size())));
  });
  Simulator::Schedule(Seconds(3), [this]() { tb.shirley->SendIm("dan@home.com", 30, SipImMode::kSessionStripped); });
  RunUntil(5);
  ASSERT_TRUE(connected);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kFramingError), 1u);
  std::size_t toDan = 0;
  for (const auto& d : tb.deliveries) toDan += d.node == "dan" && d.bodyBytes == 30;
  EXPECT_EQ(toDan, 1u);
}

// RFC 3261 16.3 step 1 vs step 3: a malformed Max-Forwards (not a number,
// or above 255) makes a bad request, answered 400 and traced as a parse
// error; only an exhausted one (0) is 483.
TEST_F(Hostile, ProxyAnswers400ToMalformedMaxForwards) {
  int n = 0;
  for (const char* mf : {"abc", "300"}) {
    std::string m = Request("MESSAGE", "sip:shirley@office.com",
                            std::string(kFields) + "CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n", "hi");
    m.replace(m.find("Max-Forwards: 70"), 16, std::string("Max-Forwards: ") + mf);
    m.replace(m.find("z9hG4bKraw1"), 11, "z9hG4bKmf" + std::to_string(++n));
    raw.SendAt(1.0 + 0.1 * n, tb.addr[1], m);
  }
  RunUntil(2);
  EXPECT_TRUE(tb.deliveries.empty());
  ASSERT_EQ(raw.got.size(), 2u);
  for (const auto& r : raw.got) EXPECT_EQ(r.rfind("SIP/2.0 400 ", 0), 0u) << r;
  EXPECT_EQ(CountDrops(tb, SipDropReason::kMaxForwardsExceeded), 0u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kParseError), 2u);
}

// A peer that sends requests over TCP but never reads the responses must
// not make the proxy queue them without bound: once more than 4 MiB wait
// for the connection, the response is not sent (a traced drop) and the
// connection is closed and forgotten. Before, all 100 responses of 60 kB
// stayed queued (and any number more would have).
TEST_F(Hostile, PeerThatDoesNotReadGetsItsConnectionClosed) {
  RawTcp eve(tb.nodes.Get(0), tb.addr[1], /*read=*/false);
  SendLargeOptions(eve, 100, "q");
  // The TCP payload home.com puts on the wire from its SIP port (with
  // retransmissions: an upper bound on what left).
  std::uint64_t wire = 0;
  sipim_test::OnTcpTx(tb.nodes.Get(1), [&wire](const TcpHeader& tcp, std::uint32_t payload) {
    if (tcp.GetSourcePort() == 5060) wire += payload;
  });
  RunUntil(20);
  std::size_t notSent = 0;
  for (const auto& d : tb.drops) notSent += d.detail.find("send queue full") != std::string::npos;
  // One refusal: the connection (and its queue) is gone after it; ns-3
  // cannot deliver the FIN behind the unread data, so Eve never sees it.
  EXPECT_EQ(notSent, 1u);
  // Every 200 home.com traced as sent either left on the wire, or is in a
  // Drop (those still queued when the connection closed), or was inside
  // TCP's send buffer, which the close discards (at most SndBufSize).
  // Before, about 72 of 74 (4.3 MB) vanished without a trace.
  std::uint64_t sent = 0, dropped = 0;
  for (const auto& r : tb.tx) sent += r.node == "home" && r.type == "200" ? r.bytes : 0;
  for (const auto& d : tb.drops) dropped += d.nodeId == tb.nodes.Get(1)->GetId() ? d.bytes : 0;
  TypeId::AttributeInformation sndBuf;
  ASSERT_TRUE(TcpSocket::GetTypeId().LookupAttributeByName("SndBufSize", &sndBuf));
  const std::uint64_t buffer = DynamicCast<const UintegerValue>(sndBuf.initialValue)->Get();
  EXPECT_GT(sent, 1000000u);
  EXPECT_GE(dropped + wire + buffer, sent);
}

// A peer that stops reading while its connection's queue is below the
// 4 MiB cap (ns-3 probes a zero window for ever) no longer holds the
// connection for the rest of the run: once the queue has made no progress
// for a whole ConnectionIdleTimeout, home.com closes the connection as
// failed and traces what it held. Before, the idle check counted the queue
// as activity and the connection stayed open (1 at 10, 100 and 590 s).
TEST_F(Hostile, PeerThatStopsReadingBelowTheCapLosesItsConnectionAfterTheIdleTimeout) {
  tb.home->SetAttribute("ConnectionIdleTimeout", TimeValue(Seconds(5)));
  RawTcp eve(tb.nodes.Get(0), tb.addr[1], /*read=*/false);
  SendLargeOptions(eve, 30, "s");
  std::size_t openAt4 = 0, openAt100 = 0;
  Simulator::Schedule(Seconds(4), [&]() { openAt4 = tb.home->GetStreamConnections(); });
  Simulator::Schedule(Seconds(100), [&]() { openAt100 = tb.home->GetStreamConnections(); });
  RunUntil(110);
  EXPECT_EQ(openAt4, 1u);
  EXPECT_EQ(openAt100, 0u);
  std::size_t traced = 0;
  for (const auto& d : tb.drops) traced += d.detail.find("still queued when the connection closed") != std::string::npos;
  EXPECT_EQ(traced, 1u);
}

// Already handled at a UA: a datagram with more body than Content-Length
// is delivered with the Content-Length bytes (RFC 3261 18.3: the rest is
// discarded); its retransmission is answered again and not delivered
// twice (absorbed); a response for no transaction is a traced stray drop.
TEST_F(Hostile, UaTrimsLongBodyAbsorbsRetransmissionAndStrayResponse) {
  std::string m = Request("MESSAGE", "sip:shirley@10.0.3.2",
                          std::string(kFields) + "CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n", "hi");
  m += "EXTRA BYTES";
  raw.SendAt(1.0, tb.addr[3], m);
  raw.SendAt(1.2, tb.addr[3], m);
  raw.SendAt(1.4, tb.addr[3],
             StrayOk("10.0.3.2"));
  RunUntil(2);
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_EQ(tb.deliveries[0].bodyBytes, 2u);
  ASSERT_EQ(raw.got.size(), 2u);
  EXPECT_EQ(raw.got[0], raw.got[1]);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 200 ", 0), 0u) << raw.got[0];
  EXPECT_EQ(CountDrops(tb, SipDropReason::kRetransmissionAbsorbed), 1u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kStrayResponse), 1u);
}

// A REGISTER with a malformed Expires ("soon") is answered 400 and binds
// nothing (RFC 3261 10.3 / 20.19: delta-seconds); before, the field was
// ignored and the contact bound for the default hour.
TEST_F(Hostile, RegistrarRefusesMalformedExpires) {
  RegisterAt(1.0, 1, "Contact: <sip:eve@10.0.1.1:7000>\r\nExpires: soon\r\n");
  RunUntil(2);
  ASSERT_EQ(raw.got.size(), 1u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 400 ", 0), 0u) << raw.got[0];
  EXPECT_EQ(tb.home->GetBindingCount("eve@home.com"), 0u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kParseError), 1u);
}

// A proxy answers 400 to a request whose Route field cannot be parsed
// (RFC 3261 16.3 step 1); before, the field was ignored and the request
// routed by its Request-URI as if it had no Route (on to office.com and
// Shirley, whose UA then refused it).
TEST_F(Hostile, ProxyAnswers400ToMalformedRoute) {
  raw.SendAt(1.0, tb.addr[1],
             Request("MESSAGE", "sip:shirley@office.com",
                     std::string(kFields) + "CSeq: 1 MESSAGE\r\nRoute: <sip:10.0.2.2;lr\r\n"
                                            "Content-Type: text/plain\r\n",
                     "hi"));
  RunUntil(2);
  EXPECT_TRUE(tb.deliveries.empty());
  ASSERT_EQ(raw.got.size(), 1u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 400 ", 0), 0u) << raw.got[0];
  EXPECT_EQ(CountDrops(tb, SipDropReason::kParseError), 1u);
  for (const auto& r : tb.TxAfter(1.0)) EXPECT_EQ(r.node, "home") << r.type << " to " << r.peer;
}

// RFC 3261 11.2: an OPTIONS addressed to an element is answered 200 with
// Allow, Accept, Accept-Encoding, Accept-Language and Supported: by a UA
// (Request-URI naming its user), by a proxy (a Request-URI with no user
// part naming its domain or its own address), and an OPTIONS for a user a
// proxy routes is proxied like any request and answered by that user's UA.
// Before, the UA answered 405 and the proxy 480 (no binding for "").
TEST_F(Hostile, OptionsIsAnswered200WithCapabilities) {
  const std::string f = "Max-Forwards: 70\r\nFrom: <sip:eve@home.com>;tag=e1\r\nTo: <sip:shirley@office.com>\r\n"
                        "CSeq: 1 OPTIONS\r\nAccept: application/sdp\r\n";
  int n = 0;
  auto options = [&](const std::string& ruri, Ipv4Address to, double at) {
    std::string m = Request("OPTIONS", ruri, f + "Call-ID: opt-" + std::to_string(++n) + "@10.0.1.1\r\n");
    m.replace(m.find("z9hG4bKraw1"), 11, "z9hG4bKopt" + std::to_string(n));
    raw.SendAt(at, to, m);
  };
  std::ostringstream home;
  tb.addr[1].Print(home);
  options("sip:shirley@10.0.3.2", tb.addr[3], 1.0);   // to the UA itself
  options("sip:home.com", tb.addr[1], 1.2);           // to the proxy, by its domain
  options("sip:" + home.str(), tb.addr[1], 1.4);      // to the proxy, by its address
  options("sip:shirley@office.com", tb.addr[1], 1.6);  // for a user: proxied to Shirley
  RunUntil(3);
  ASSERT_EQ(raw.got.size(), 4u);
  for (std::size_t i = 0; i < raw.got.size(); ++i) {
    const std::string& r = raw.got[i];
    EXPECT_EQ(r.rfind("SIP/2.0 200 ", 0), 0u) << r;
    EXPECT_NE(r.find("Call-ID: opt-" + std::to_string(i + 1) + "@"), std::string::npos) << r;
    EXPECT_NE(r.find("\r\nAllow: INVITE, ACK, CANCEL, BYE, MESSAGE, OPTIONS"), std::string::npos) << r;
    EXPECT_NE(r.find("\r\nAccept: application/sdp, text/plain\r\n"), std::string::npos) << r;
    EXPECT_NE(r.find("\r\nAccept-Encoding: identity\r\n"), std::string::npos) << r;
    EXPECT_NE(r.find("\r\nAccept-Language: en\r\n"), std::string::npos) << r;
    EXPECT_NE(r.find("\r\nSupported:"), std::string::npos) << r;
    sipim::sip::Message parsed;
    EXPECT_FALSE(sipim::sip::Parse(r, sipim::sip::Framing::kDatagram, &parsed)) << r;
  }
  // The proxy's own answers name REGISTER (it is the registrar); the UA's do not.
  EXPECT_EQ(raw.got[0].find("REGISTER"), std::string::npos) << raw.got[0];
  EXPECT_NE(raw.got[1].find(", REGISTER\r\n"), std::string::npos) << raw.got[1];
  EXPECT_NE(raw.got[2].find(", REGISTER\r\n"), std::string::npos) << raw.got[2];
  EXPECT_EQ(raw.got[3].find("REGISTER"), std::string::npos) << raw.got[3];
  EXPECT_TRUE(tb.drops.empty());
}

namespace {

// An INVITE from the raw socket (10.0.1.1:7000) as `user`@home.com, with a
// session Call-ID (what the UA accepts INVITEs for) and an SDP offer for
// stripped MESSAGEs in which the offerer connects (so the callee listens).
// As RawInvite below, with `sdp` as its offer.
std::string RawInviteWithSdp(const std::string& ruri, const std::string& user, const std::string& branch,
                             std::uint64_t sessionId, const std::string& sdp) {
  char callId[40];
  std::snprintf(callId, sizeof callId, "s%015llx@10.0.1.1", static_cast<unsigned long long>(sessionId));
  std::string m = Request("INVITE", ruri,
                          "Max-Forwards: 70\r\nFrom: <sip:" + user + "@home.com>;tag=i1\r\nTo: <" + ruri +
                              ">\r\nCall-ID: " + callId + "\r\nCSeq: 1 INVITE\r\nContact: <sip:" + user +
                              "@10.0.1.1:7000>\r\nContent-Type: application/sdp\r\n",
                          sdp);
  m.replace(m.find("z9hG4bKraw1"), 11, branch);
  return m;
}

std::string RawInvite(const std::string& ruri, const std::string& user, const std::string& branch,
                      std::uint64_t sessionId) {
  std::string sdp;
  sipim::sdp::TcpImOfferParams p;
  p.session_id = sessionId;
  p.address = "10.0.1.1";
  p.port = 9;
  p.setup = sipim::sdp::Setup::kActive;
  sipim::sdp::AppendTcpImOffer(p, &sdp);
  return RawInviteWithSdp(ruri, user, branch, sessionId, sdp);
}

// The CANCEL of RawInvite(ruri, user, branch, id), built by the wire core.
std::string RawCancel(const std::string& invite) {
  sipim::sip::Message inv;
  std::string out;
  EXPECT_FALSE(sipim::sip::Parse(invite, sipim::sip::Framing::kDatagram, &inv));
  EXPECT_FALSE(sipim::sip::BuildCancel(inv, &out));
  return out;
}

// Sends from `raw`, `at` s from now, the ACK (RFC 3261 17.1.1.3) of the
// first response with status `status` `raw` has got to `invite`.
void AckAt(RawUdp& raw, double at, Ipv4Address to, const std::string& invite, const std::string& status) {
  Simulator::Schedule(Seconds(at), [&raw, to, invite, status]() {
    for (const auto& r : raw.got) {
      if (r.rfind("SIP/2.0 " + status + " ", 0) != 0) continue;
      sipim::sip::Message inv, resp;
      std::string ack;
      EXPECT_FALSE(sipim::sip::Parse(invite, sipim::sip::Framing::kDatagram, &inv));
      EXPECT_FALSE(sipim::sip::Parse(r, sipim::sip::Framing::kDatagram, &resp));
      EXPECT_FALSE(sipim::sip::BuildAckForFailure(inv, resp, &ack));
      raw.SendAt(0, to, ack);
      return;
    }
    ADD_FAILURE() << "no " << status << " to ACK";
  });
}

// The responses in `got` with status line prefix `status` and CSeq method `method`.
std::size_t CountResponses(const std::vector<std::string>& got, const std::string& status, const std::string& method) {
  std::size_t n = 0;
  for (const auto& r : got)
    n += r.rfind("SIP/2.0 " + status + " ", 0) == 0 && r.find(" " + method + "\r\n") != std::string::npos;
  return n;
}

}  // namespace

// RFC 3261 9.2 at a UA: a CANCEL that matches no INVITE server transaction
// is answered 481; one whose INVITE is still unanswered (AnswerDelay 5 s)
// gets 200, the INVITE gets 487 and the session ends without a 200 to the
// INVITE; one whose INVITE was already answered (200 at once) gets 200 and
// changes nothing. Before, every CANCEL was answered 405.
TEST_F(Hostile, UaAnswersCancel) {
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(5)));
  const std::string pending = RawInvite("sip:shirley@10.0.3.2", "eve", "z9hG4bKinv1", 0xe1);
  raw.SendAt(1.0, tb.addr[3], pending);
  raw.SendAt(1.5, tb.addr[3], RawCancel(pending));
  AckAt(raw, 1.7, tb.addr[3], pending, "487");  // else timer G retransmits the 487
  std::string none = RawCancel(RawInvite("sip:shirley@10.0.3.2", "eve", "z9hG4bKnone", 0xe2));
  raw.SendAt(1.6, tb.addr[3], none);
  RunUntil(8);
  EXPECT_EQ(CountResponses(raw.got, "100", "INVITE"), 1u);  // RFC 3261 17.2.1: no answer within 200 ms
  EXPECT_EQ(CountResponses(raw.got, "200", "CANCEL"), 1u);
  EXPECT_EQ(CountResponses(raw.got, "487", "INVITE"), 1u);
  EXPECT_EQ(CountResponses(raw.got, "481", "CANCEL"), 1u);
  EXPECT_EQ(CountResponses(raw.got, "200", "INVITE"), 0u);
  bool failed = false;
  for (const auto& e : tb.sessionEvents) failed = failed || (e.first == 0xe1 && e.second == SipSessionEvent::kFailed);
  EXPECT_TRUE(failed);
  EXPECT_FALSE(tb.shirley->HasSession("eve@home.com"));

  // Answered at once: the CANCEL finds a completed transaction.
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(0)));
  raw.got.clear();
  const std::string answered = RawInvite("sip:shirley@10.0.3.2", "eve2", "z9hG4bKinv2", 0xe3);
  raw.SendAt(1.0, tb.addr[3], answered);  // at 9 s (SendAt is relative to now)
  raw.SendAt(1.5, tb.addr[3], RawCancel(answered));
  RunUntil(10);
  EXPECT_EQ(CountResponses(raw.got, "200", "CANCEL"), 1u);
  EXPECT_EQ(CountResponses(raw.got, "487", "INVITE"), 0u);
  EXPECT_TRUE(tb.shirley->HasSession("eve2@home.com"));
}

namespace {

// An offer from 10.0.1.1: v=, o=, s=, c=, t=, then `media` (CRLF lines).
std::string OfferWith(const std::string& media) {
  return "v=0\r\no=- 1 1 IN IP4 10.0.1.1\r\ns=-\r\nc=IN IP4 10.0.1.1\r\nt=0 0\r\n" + media;
}

// The body of the first response in `got` with status `status` to an INVITE
// whose branch is `branch`, or "" when there is none.
std::string AnswerBody(const std::vector<std::string>& got, const std::string& status, const std::string& branch) {
  for (const auto& r : got) {
    if (r.rfind("SIP/2.0 " + status + " ", 0) != 0 || r.find(branch) == std::string::npos ||
        r.find(" INVITE\r\n") == std::string::npos)
      continue;
    const std::size_t b = r.find("\r\n\r\n");
    return b == std::string::npos ? std::string() : r.substr(b + 4);
  }
  return {};
}

}  // namespace

// RFC 3264 section 6: the answer has one m= line per offered m= line, in
// the offer's order, and a stream the answerer does not take is rejected
// with port 0, not left out. An offer whose first m= line is audio and
// whose second is the message stream over TCP gets a 200 whose first m=
// line is that audio stream at port 0 and whose second is Shirley's message
// stream. Before, the UA took the first m= line (the audio stream) for its
// message stream, and answered with that one m=message line.
TEST_F(Hostile, AnswerRejectsOfferedStreamsItDoesNotTake) {
  const std::string offer = OfferWith(
      "m=audio 49170 RTP/AVP 0\r\n"
      "m=message 9 TCP *\r\na=setup:active\r\na=connection:new\r\n");
  raw.SendAt(1.0, tb.addr[3], RawInviteWithSdp("sip:shirley@10.0.3.2", "eve", "z9hG4bKmm1", 0xf1, offer));
  RunUntil(3);
  const std::string body = AnswerBody(raw.got, "200", "z9hG4bKmm1");
  ASSERT_FALSE(body.empty());
  sipim::sdp::SessionDescription sd;
  ASSERT_FALSE(sipim::sdp::Parse(body, &sd)) << body;
  ASSERT_EQ(sd.media.size(), 2u) << body;
  EXPECT_EQ(sd.media[0].media, "audio");
  EXPECT_EQ(sd.media[0].port, 0u);
  EXPECT_EQ(sd.media[0].proto, "RTP/AVP");
  EXPECT_EQ(sd.media[1].media, "message");
  EXPECT_NE(sd.media[1].port, 0u);
  EXPECT_EQ(sd.media[1].proto, "TCP");
  const sipim::sdp::Attribute* setup = sipim::sdp::FindAttribute(sd, sd.media[1], "setup");
  ASSERT_NE(setup, nullptr) << body;
  EXPECT_EQ(setup->value, "passive");
}

// RFC 4145 section 4.1: an offer without a=setup is active (as RFC 4975's
// offerer, which connects, always was), and the answer to it passive:
// Shirley listens, answers a=setup:passive with her listener's port, and
// does not connect to the offer's port 9. Before, a missing a=setup was
// taken for actpass: Shirley answered actpass, which RFC 4145 does not
// allow in an answer, and connected to port 9 too.
TEST_F(Hostile, OfferWithoutSetupIsActiveAndAnsweredPassive) {
  std::vector<std::uint16_t> peerPorts;  // of Shirley's media connections
  tb.shirley->TraceConnectWithoutContext(
      "MediaConnection", Callback<void, std::uint64_t, Ipv4Address, std::uint16_t, Ipv4Address, std::uint16_t>(
                             [&peerPorts](std::uint64_t, Ipv4Address, std::uint16_t, Ipv4Address, std::uint16_t p) {
                               peerPorts.push_back(p);
                             }));
  raw.SendAt(1.0, tb.addr[3],
             RawInviteWithSdp("sip:shirley@10.0.3.2", "eve", "z9hG4bKns1", 0xf2,
                              OfferWith("m=message 9 TCP *\r\na=connection:new\r\n")));
  RunUntil(3);
  const std::string body = AnswerBody(raw.got, "200", "z9hG4bKns1");
  sipim::sdp::SessionDescription sd;
  ASSERT_FALSE(sipim::sdp::Parse(body, &sd)) << body;
  ASSERT_EQ(sd.media.size(), 1u) << body;
  EXPECT_NE(sd.media[0].port, 9u);
  const sipim::sdp::Attribute* setup = sipim::sdp::FindAttribute(sd, sd.media[0], "setup");
  ASSERT_NE(setup, nullptr) << body;
  EXPECT_EQ(setup->value, "passive");
  EXPECT_EQ(std::count(peerPorts.begin(), peerPorts.end(), 9), 0);
}

// Offers the UA cannot take are refused 488 (RFC 3261 13.3.1.3), each
// with no 200: one with no message stream (audio only); one whose message
// stream is rejected already (port 0, RFC 3264 8.2); one with an a=setup
// value RFC 4145 section 4 does not define; one with a=setup:holdconn (no
// connection now, so no IM could go); MSRP over TLS (TCP/TLS/MSRP), which
// the UA does not speak; and MSRP whose a=path is no MSRP URI (port 99999,
// RFC 4975 8.2). Before, the first four were answered 200 as if they
// offered a message stream with a=setup:actpass (the UA connected to the
// audio port), the TLS offer was taken for the plain-TCP variant and
// answered with m=message <port> TCP, and the bad path was taken as the
// To-Path of every SEND.
TEST_F(Hostile, OffersWithoutAStreamTheUaTakesAreRefused488) {
  const std::vector<std::pair<std::string, std::string>> offers = {
      {"audio", "m=audio 49170 RTP/AVP 0\r\n"},
      {"port0", "m=message 0 TCP *\r\na=setup:active\r\n"},
      {"badsetup", "m=message 7000 TCP *\r\na=setup:sideways\r\n"},
      {"holdconn", "m=message 7000 TCP *\r\na=setup:holdconn\r\n"},
      {"tls", "m=message 2855 TCP/TLS/MSRP *\r\na=accept-types:text/plain\r\n"
              "a=path:msrps://10.0.1.1:2855/s1;tcp\r\na=setup:active\r\n"},
      {"badpath", "m=message 2855 TCP/MSRP *\r\na=accept-types:text/plain\r\n"
                  "a=path:msrp://10.0.1.1:99999/s1;tcp\r\na=setup:active\r\n"},
  };
  for (std::size_t i = 0; i < offers.size(); ++i) {
    const std::string branch = "z9hG4bKref" + offers[i].first;
    raw.SendAt(1.0 + 0.1 * static_cast<double>(i), tb.addr[3],
               RawInviteWithSdp("sip:shirley@10.0.3.2", "eve" + offers[i].first, branch, 0xf10 + i,
                                OfferWith(offers[i].second)));
  }
  RunUntil(4);
  for (const auto& o : offers) {
    const std::string branch = "z9hG4bKref" + o.first;
    EXPECT_EQ(AnswerBody(raw.got, "200", branch), "") << o.first;
    // RFC 3261 20.43: the 488 says why, 304 for a missing stream.
    const std::string warning =
        std::string("\r\nWarning: ") + (o.first == "audio" || o.first == "port0" || o.first == "tls" ? "304 " : "399 ");
    bool refused = false;
    for (const auto& r : raw.got)
      refused = refused || (r.rfind("SIP/2.0 488 ", 0) == 0 && r.find(branch) != std::string::npos &&
                            r.find(warning) != std::string::npos);
    EXPECT_TRUE(refused) << o.first;
    EXPECT_FALSE(tb.shirley->HasSession("eve" + o.first + "@home.com")) << o.first;
  }
  std::size_t traced = 0;  // and each refusal is traced with its reason
  for (const auto& d : tb.drops) traced += d.detail.rfind("488: ", 0) == 0;
  EXPECT_EQ(traced, offers.size());
}

// RFC 3261 16.10 at a stateful proxy: a CANCEL matching an INVITE it
// forwards is answered 200 by the proxy at once and CANCELs the pending
// branch (office.com, then Shirley, who answers 487); the 487 comes back
// to the caller and Shirley never answers the INVITE 200. A CANCEL that
// matches nothing is routed like any request (16.10) and comes back as
// the UA's 481. Before, the proxies forwarded the CANCEL as a new request
// and Shirley answered it 405, leaving the INVITE to be answered 200.
TEST_F(Hostile, ProxyForwardsCancelToPendingBranches) {
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(5)));
  const std::string invite = RawInvite("sip:shirley@office.com", "eve", "z9hG4bKpinv", 0xe5);
  raw.SendAt(1.0, tb.addr[1], invite);
  raw.SendAt(1.5, tb.addr[1], RawCancel(invite));
  AckAt(raw, 1.7, tb.addr[1], invite, "487");  // else timer G retransmits the 487
  raw.SendAt(1.6, tb.addr[1], RawCancel(RawInvite("sip:shirley@office.com", "eve", "z9hG4bKpnone", 0xe6)));
  RunUntil(8);
  EXPECT_EQ(CountResponses(raw.got, "100", "INVITE"), 1u);
  EXPECT_EQ(CountResponses(raw.got, "200", "CANCEL"), 1u);
  EXPECT_EQ(CountResponses(raw.got, "487", "INVITE"), 1u);
  EXPECT_EQ(CountResponses(raw.got, "481", "CANCEL"), 1u);
  EXPECT_EQ(CountResponses(raw.got, "200", "INVITE"), 0u);
  EXPECT_FALSE(tb.shirley->HasSession("eve@home.com"));
  std::size_t shirley487 = 0;
  for (const auto& r : tb.TxAfter(1.0)) shirley487 += r.node == "shirley" && r.type == "487";
  EXPECT_EQ(shirley487, 1u);
}

// RFC 3261 10.3 step 2 (8.2.2.3): a registrar processes Require as a UAS
// does; it supports no extension, so a REGISTER that Requires one is
// answered 420 with Unsupported naming the tags, traced as a bad-extension
// drop, and binds nothing. Before, the Require was ignored: 200 and bound.
TEST_F(Hostile, RegistrarAnswers420ToRequiredExtensions) {
  RegisterAt(1.0, 1, "Contact: <sip:eve@10.0.1.1:7000>\r\nRequire: path, gruu\r\n");
  RunUntil(2);
  ASSERT_EQ(raw.got.size(), 1u);
  EXPECT_EQ(raw.got[0].rfind("SIP/2.0 420 ", 0), 0u) << raw.got[0];
  EXPECT_NE(raw.got[0].find("\r\nUnsupported: path, gruu\r\n"), std::string::npos) << raw.got[0];
  EXPECT_EQ(tb.home->GetBindingCount("eve@home.com"), 0u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kBadExtension), 1u);
}

// A caller's media listener (ConnectionSetup Passive: the caller listens,
// the callee connects) cannot know the callee's host before the 200's SDP:
// connections that come before it are held, their bytes kept unread; the
// answer then decides. A third host (home.com's node) that connects to the
// port in the INVITE's SDP and sends a stripped MESSAGE is closed and
// traced, its IM never delivered; a connection from the answer's host
// (Shirley's node: Shirley's UA, and a raw socket that sends a MESSAGE
// before the answer) is kept, its early bytes delivered, and Shirley's IMs
// arrive. Before, the first connection from any host was taken at once and
// Eve's "evil" was delivered to Dan.
TEST_F(Hostile, CallerMediaListenerHoldsConnectionsUntilTheAnswer) {
  tb.dan->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kPassive));
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(1)));
  auto stripped = [](const std::string& body) {
    return "MESSAGE sip:dan@home.com SIP/2.0\r\nFrom: <sip:shirley@office.com>\r\nTo: <sip:dan@home.com>\r\n"
           "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  auto rawSend = [](Ptr<Socket> s, const std::string& b) {
    s->Send(Create<Packet>(reinterpret_cast<const std::uint8_t*>(b.data()), static_cast<std::uint32_t>(b.size())));
  };
  std::uint16_t offerPort = 0;  // Dan's listener, from the INVITE as home.com receives it
  SniffAnswerMediaPort(tb.links[0].Get(1), [&offerPort](std::uint16_t p) { offerPort = p; }, "INVITE sip:");
  Ptr<Socket> eve = Socket::CreateSocket(tb.nodes.Get(1), TcpSocketFactory::GetTypeId());
  Ptr<Socket> early = Socket::CreateSocket(tb.nodes.Get(3), TcpSocketFactory::GetTypeId());
  bool eveClosed = false;
  eve->SetCloseCallbacks(Callback<void, Ptr<Socket>>([&eveClosed](Ptr<Socket>) { eveClosed = true; }),
                         Callback<void, Ptr<Socket>>([&eveClosed](Ptr<Socket>) { eveClosed = true; }));
  Simulator::Schedule(Seconds(1), [this]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionStripped); });
  Simulator::Schedule(Seconds(1.5), [&]() {  // Shirley has not answered yet (AnswerDelay)
    ASSERT_NE(offerPort, 0);
    for (Ptr<Socket> s : {eve, early}) {
      s->Bind();
      s->Connect(InetSocketAddress(tb.addr[0], offerPort));
    }
  });
  Simulator::Schedule(Seconds(1.7), [&]() {
    rawSend(eve, stripped("evil"));
    rawSend(early, stripped("early"));
  });
  Simulator::Schedule(Seconds(3), [this]() { tb.shirley->SendIm("dan@home.com", 30, SipImMode::kSessionStripped); });
  RunUntil(5);
  std::map<std::uint32_t, int> atDan;  // body size -> deliveries at Dan
  for (const auto& d : tb.deliveries)
    if (d.node == "dan") ++atDan[d.bodyBytes];
  EXPECT_EQ(atDan[4], 0);   // Eve's "evil"
  EXPECT_EQ(atDan[5], 1);   // "early", from the answer's host, read after the answer
  EXPECT_EQ(atDan[30], 1);  // Shirley's IM
  std::size_t atShirley = 0;
  for (const auto& d : tb.deliveries) atShirley += d.node == "shirley" && d.bodyBytes == 20;
  EXPECT_EQ(atShirley, 1u);
  std::size_t refused = 0;
  for (const auto& d : tb.drops) refused += d.detail.find("other than the answer's") != std::string::npos;
  EXPECT_EQ(refused, 1u);
  EXPECT_TRUE(eveClosed);
}

// A UA remembers the ImIds it delivered only as long as a copy of the same
// request can still arrive (64*T1 for the sender's retransmissions, plus
// T4 in the network: 37 s by default), not for ever: a second copy within
// that window (another transaction, so not absorbed by the first) is still
// flagged duplicate, and after 3000 distinct IMs at 10 per second the set
// holds about 370 ids, not 3000. Before, every id stayed (3002 here).
TEST_F(Hostile, DeliveredImIdsAreRememberedForTheRetransmissionWindowOnly) {
  auto message = [&](std::uint64_t imId, int branch, double at) {
    char callId[40];
    std::snprintf(callId, sizeof callId, "m%015llx@10.0.1.1", static_cast<unsigned long long>(imId));
    std::string m = Request("MESSAGE", "sip:shirley@10.0.3.2",
                            "Max-Forwards: 70\r\nFrom: <sip:eve@home.com>;tag=e1\r\nTo: <sip:shirley@office.com>\r\n"
                            "Call-ID: " + std::string(callId) + "\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n",
                            "hi");
    m.replace(m.find("z9hG4bKraw1"), 11, "z9hG4bKd" + std::to_string(branch));
    raw.SendAt(at, tb.addr[3], m);
  };
  message(0xa1, 1, 1.0);
  message(0xa1, 2, 20.0);  // 19 s later, a new transaction: a duplicate
  for (int i = 0; i < 3000; ++i) message(0x1000 + i, 100 + i, 40.0 + 0.1 * i);
  message(0xa1, 3, 345.0);  // 344 s after the first: out of the window, forgotten
  RunUntil(346);
  ASSERT_EQ(tb.deliveries.size(), 3003u);
  EXPECT_FALSE(tb.deliveries[0].duplicate);
  EXPECT_TRUE(tb.deliveries[1].duplicate);
  for (std::size_t i = 2; i < 3002; ++i) EXPECT_FALSE(tb.deliveries[i].duplicate);
  EXPECT_FALSE(tb.deliveries[3002].duplicate);
  EXPECT_LE(tb.shirley->GetRememberedImIds(), 400u);
}

// A UDP flood faster than the node's simulated CPU must not grow the parse
// queue without bound: with parsing at 1 ms per message and home.com's
// NodeCpu MaxQueuedBytes at 64 KiB, 3000 OPTIONS arriving at about 3300
// per second fill the queue to the cap and every message over it is shed
// before parsing (NodeCpu "Shed" trace, proxy Drop kOverload), so no
// message waits for the CPU longer than the cap's worth of parsing (64 KiB
// of these 230-byte messages, about 0.29 s), and an IM sent after the
// flood is still delivered. Before, all 3000 were queued and the last
// waited 2.1 s.
TEST_F(Hostile, UdpFloodIsShedAtTheParseQueueCap) {
  Ptr<CpuCalibration> cal = Create<CpuCalibration>();
  cal->Add("parse", "sip", 0, 1e6);  // 1 ms per message, any size
  for (std::uint32_t i = 0; i < tb.nodes.GetN(); ++i) tb.nodes.Get(i)->GetObject<NodeCpu>()->SetCalibration(cal);
  Ptr<NodeCpu> homeCpu = tb.nodes.Get(1)->GetObject<NodeCpu>();
  homeCpu->SetAttribute("MaxQueuedBytes", UintegerValue(64 * 1024));
  std::uint64_t shed = 0;
  homeCpu->TraceConnectWithoutContext("Shed", Callback<void, std::uint32_t, std::uint64_t>(
                                                  [&shed](std::uint32_t, std::uint64_t queued) {
                                                    ++shed;
                                                    EXPECT_LE(queued, 64u * 1024u);
                                                  }));
  std::size_t smallest = 1u << 20;
  for (int i = 0; i < 3000; ++i) {
    std::string m = Request("OPTIONS", "sip:home.com", std::string(kFields) + "CSeq: 1 OPTIONS\r\n");
    m.replace(m.find("z9hG4bKraw1"), 11, "z9hG4bKfl" + std::to_string(i));
    smallest = std::min(smallest, m.size());
    raw.SendAt(1.0 + 0.0003 * i, tb.addr[1], m);
  }
  Simulator::Schedule(Seconds(10), [this]() { tb.dan->SendIm("shirley@office.com", 50, SipImMode::kPager); });
  RunUntil(12);
  EXPECT_GT(shed, 1000u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kOverload), shed);
  EXPECT_EQ(homeCpu->GetShedMessages(), shed);
  // At most the cap's worth of messages ahead, 1 ms each.
  EXPECT_LE(homeCpu->GetMaxWait(), MilliSeconds(64 * 1024 / smallest + 1));
  EXPECT_EQ(raw.got.size(), 3000u - shed);  // every message not shed is answered
  std::size_t toShirley = 0;
  for (const auto& d : tb.deliveries) toShirley += d.node == "shirley" && d.bodyBytes == 50;
  EXPECT_EQ(toShirley, 1u);
}

// A media peer that accepts the session's connection but never reads must
// not make the sender queue IMs for ever: once more than the UA's
// MediaMaxQueuedBytes (4 MiB) wait for the connection, nothing more is
// sent (a traced drop), the session is closed, and every IM not known to
// be delivered fails with kTransportError, so the sender sees the failure.
// Bob is a fake UA on Shirley's node: it answers the INVITE 200 with an
// SDP naming a TCP listener that accepts and never reads. Before, the 100
// IMs of 60 kB (6 MB) all stayed queued with no outcome.
TEST_F(Hostile, MediaPeerThatDoesNotReadFailsTheIms) {
  tb.dan->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kActive));
  tb.office->AddStaticBinding("bob@office.com", tb.addr[3], 7000);
  Ptr<Node> bobNode = tb.nodes.Get(3);
  Ptr<Socket> bobSip = Socket::CreateSocket(bobNode, UdpSocketFactory::GetTypeId());
  bobSip->Bind(InetSocketAddress(Ipv4Address::GetAny(), 7000));
  bobSip->SetRecvCallback(Callback<void, Ptr<Socket>>([](Ptr<Socket> sock) {
    Address from;
    while (Ptr<Packet> p = sock->RecvFrom(from)) {
      std::string b(p->GetSize(), '\0');
      p->CopyData(reinterpret_cast<std::uint8_t*>(&b[0]), p->GetSize());
      sipim::sip::Message inv;
      if (sipim::sip::Parse(b, sipim::sip::Framing::kDatagram, &inv) || inv.method != "INVITE") continue;
      std::string sdp, ok;
      sipim::sdp::TcpImOfferParams a;
      a.session_id = 1;
      a.address = "10.0.3.2";
      a.port = 9000;
      a.setup = sipim::sdp::Setup::kPassive;
      sipim::sdp::AppendTcpImOffer(a, &sdp);
      sipim::sip::ResponseSpec spec;
      spec.to_tag = "bob1";
      spec.contact = "sip:bob@10.0.3.2:7000";
      spec.content_type = "application/sdp";
      spec.body = sdp;
      if (sipim::sip::BuildResponse(inv, spec, &ok)) continue;
      sock->SendTo(Create<Packet>(reinterpret_cast<const std::uint8_t*>(ok.data()), static_cast<std::uint32_t>(ok.size())),
                   0, from);
    }
  }));
  Ptr<Socket> bobMedia = Socket::CreateSocket(bobNode, TcpSocketFactory::GetTypeId());
  bobMedia->Bind(InetSocketAddress(Ipv4Address::GetAny(), 9000));
  bobMedia->Listen();
  std::vector<Ptr<Socket>> accepted;  // never read
  bobMedia->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                              Callback<void, Ptr<Socket>, const Address&>(
                                  [&accepted](Ptr<Socket> s, const Address&) { accepted.push_back(s); }));
  Simulator::Schedule(Seconds(1), [this]() {
    for (int i = 0; i < 100; ++i) tb.dan->SendIm("bob@office.com", 60000, SipImMode::kSessionStripped);
  });
  RunUntil(10);
  EXPECT_EQ(accepted.size(), 1u);
  ASSERT_EQ(tb.outcomes.size(), 100u);
  for (const auto& o : tb.outcomes) {
    EXPECT_EQ(o.outcome, SipImOutcome::kFailed);
    EXPECT_EQ(o.reason, SipFailReason::kTransportError);
  }
  std::size_t notSent = 0;
  for (const auto& d : tb.drops) notSent += d.detail.find("media peer does not read") != std::string::npos;
  EXPECT_EQ(notSent, 1u);
  EXPECT_FALSE(tb.dan->HasSession("bob@office.com"));
}

// ConnectionIdleTimeout (here 5 s on Dan and home.com; 120 s by default): a
// SIP connection that carries nothing either way for that long is closed
// at both ends, and the next message opens a new one: Dan's next IM (a new
// connection from Dan), and an IM to Dan after that one idled out too
// (home.com connects to Dan's registered contact). Both are delivered.
// Before, connections stayed open for ever (a peer could hold any number).
TEST_F(Hostile, IdleConnectionsCloseAndReopen) {
  tb.dan->SetAttribute("Transport", EnumValue(SipTransportProtocol::kTcp));
  for (Ptr<Object> app : {Ptr<Object>(tb.dan), Ptr<Object>(tb.home)})
    app->SetAttribute("ConnectionIdleTimeout", TimeValue(Seconds(5)));
  std::vector<std::pair<std::size_t, std::size_t>> open;  // (Dan's, home.com's) at 2, 8, 10, 17 s
  for (double t : {2.0, 8.0, 10.0, 17.0})
    Simulator::Schedule(Seconds(t), [&]() {
      open.emplace_back(tb.dan->GetStreamConnections(), tb.home->GetStreamConnections());
    });
  Simulator::Schedule(Seconds(9), [this]() { tb.dan->SendIm("shirley@office.com", 40, SipImMode::kPager); });
  Simulator::Schedule(Seconds(20), [this]() { tb.shirley->SendIm("dan@home.com", 41, SipImMode::kPager); });
  RunUntil(22);
  ASSERT_EQ(open.size(), 4u);
  EXPECT_EQ(open[0], std::make_pair(std::size_t{1}, std::size_t{1}));  // the REGISTER's
  EXPECT_EQ(open[1], std::make_pair(std::size_t{0}, std::size_t{0}));  // idle since ~0.1 s
  EXPECT_EQ(open[2], std::make_pair(std::size_t{1}, std::size_t{1}));  // the IM's
  EXPECT_EQ(open[3], std::make_pair(std::size_t{0}, std::size_t{0}));
  ASSERT_EQ(tb.outcomes.size(), 2u);
  for (const auto& o : tb.outcomes) EXPECT_EQ(o.outcome, SipImOutcome::kDelivered);
  std::size_t toDan = 0;
  for (const auto& d : tb.deliveries) toDan += d.node == "dan" && d.bodyBytes == 41;
  EXPECT_EQ(toDan, 1u);
}

// RFC 3261 18.2.2: a response whose request's connection has been closed
// meanwhile (here home.com closes Dan's idle connection while Shirley
// waits 8 s to answer the INVITE) goes over a new connection to the
// request's source address at its Via sent-by port, where Dan listens.
// Before, home.com sent the 200 to the connection's ephemeral source port,
// where nothing listens any more, and it was lost (only the callee's own
// retransmission of a 2xx over UDP, 0.5 s later, rescued the session; a
// non-2xx final response, never retransmitted, would have been lost).
TEST_F(Hostile, ResponseAfterIdleCloseGoesToTheViaPort) {
  tb.dan->SetAttribute("Transport", EnumValue(SipTransportProtocol::kTcp));
  tb.dan->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kActive));
  for (Ptr<Object> app : {Ptr<Object>(tb.dan), Ptr<Object>(tb.home)})
    app->SetAttribute("ConnectionIdleTimeout", TimeValue(Seconds(5)));
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(8)));
  Simulator::Schedule(Seconds(1), [this]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionStripped); });
  RunUntil(12);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
  // The first 200 (home.com sends it at 9.03 s) gets through: before, it
  // went to the dead ephemeral port and only Shirley's UDP retransmission
  // of the 2xx 0.5 s later, forwarded statelessly by its Via, reached Dan.
  EXPECT_LT(tb.outcomes[0].time, 9.3);
}

// ConnectionIdleTimeout spares a connection a client transaction waits on
// (RFC 3261 18.2.2: the response comes back on it while it is open): Dan's
// INVITE has its 100 at about 1 s and Shirley answers 8 s later, so Dan's
// connection to home.com carries nothing for longer than Dan's 5 s idle
// timeout. It stays open until the 200 is in; before, Dan closed it at
// about 6 s, and under loss a 200 still being retransmitted on it reached
// a closed socket (the stress runs' session that never set up).
TEST_F(Hostile, IdleTimeoutSparesAConnectionATransactionWaitsOn) {
  tb.dan->SetAttribute("Transport", EnumValue(SipTransportProtocol::kTcp));
  tb.dan->SetAttribute("ConnectionIdleTimeout", TimeValue(Seconds(5)));
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(8)));
  std::vector<std::size_t> open;  // Dan's connections at 7 and 8.5 s
  for (double t : {7.0, 8.5}) Simulator::Schedule(Seconds(t), [&]() { open.push_back(tb.dan->GetStreamConnections()); });
  Simulator::Schedule(Seconds(1), [this]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionStripped); });
  RunUntil(12);
  EXPECT_EQ(open, (std::vector<std::size_t>{1, 1}));
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
}

// MaxConnectionsPerPeer (here 4 on home.com and on Shirley; 64 by
// default): one host (Dan's node) opens 6 TCP connections to the proxy
// and 6 to the UA and sends nothing. Each keeps 4; the 5th and 6th are
// closed at once and traced (Drop kUnexpected). A kept connection that
// closes frees its slot for a new one, and another host's connection
// (office.com forwarding Shirley's IM to home.com over TCP) is counted
// apart: the IM is delivered. Before, every connection was kept until
// ConnectionIdleTimeout (a peer could hold any number).
TEST_F(Hostile, ConnectionsPerPeerAreCapped) {
  for (Ptr<Object> app : {Ptr<Object>(tb.home), Ptr<Object>(tb.shirley)})
    app->SetAttribute("MaxConnectionsPerPeer", UintegerValue(4));
  tb.office->SetAttribute("Transport", EnumValue(SipTransportProtocol::kTcp));
  std::vector<std::unique_ptr<RawTcp>> toProxy, toUa;
  for (int i = 0; i < 6; ++i) {
    toProxy.push_back(std::make_unique<RawTcp>(tb.nodes.Get(0), tb.addr[1]));
    toUa.push_back(std::make_unique<RawTcp>(tb.nodes.Get(0), tb.addr[3]));
  }
  auto closedCount = [](const std::vector<std::unique_ptr<RawTcp>>& v) {
    return static_cast<std::size_t>(
        std::count_if(v.begin(), v.end(), [](const std::unique_ptr<RawTcp>& r) { return r->closed; }));
  };
  std::size_t proxyOpen = 0, uaOpen = 0, proxyClosed = 0, uaClosed = 0, proxyOpenLater = 0;
  Simulator::Schedule(Seconds(2), [&]() {
    proxyOpen = tb.home->GetStreamConnections();
    uaOpen = tb.shirley->GetStreamConnections();
    proxyClosed = closedCount(toProxy);
    uaClosed = closedCount(toUa);
  });
  Simulator::Schedule(Seconds(2.5), [this]() { tb.shirley->SendIm("dan@home.com", 30, SipImMode::kPager); });
  std::unique_ptr<RawTcp> later;
  Simulator::Schedule(Seconds(3), [&]() {
    for (auto& r : toProxy)
      if (!r->closed) {
        r->s->Close();  // one of the 4 kept ones goes away
        break;
      }
  });
  Simulator::Schedule(Seconds(3.5), [&]() { later = std::make_unique<RawTcp>(tb.nodes.Get(0), tb.addr[1]); });
  Simulator::Schedule(Seconds(5), [&]() { proxyOpenLater = tb.home->GetStreamConnections(); });
  RunUntil(6);
  EXPECT_EQ(proxyOpen, 4u);
  EXPECT_EQ(uaOpen, 4u);
  EXPECT_EQ(proxyClosed, 2u);
  EXPECT_EQ(uaClosed, 2u);
  std::size_t refused = 0;
  for (const auto& d : tb.drops)
    refused += d.reason == SipDropReason::kUnexpected &&
               d.detail.find("MaxConnectionsPerPeer") != std::string::npos;
  EXPECT_EQ(refused, 4u);
  EXPECT_EQ(tb.drops.size(), 4u);
  // 3 kept + the new one from Dan's node, and office.com's.
  ASSERT_TRUE(later);
  EXPECT_FALSE(later->closed);
  EXPECT_EQ(proxyOpenLater, 5u);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_EQ(tb.deliveries[0].node, "dan");
}

namespace {
using sipim_test::DropFirstWith;

// The times `node` sent a `type` response, and how many were marked retransmissions.
std::vector<double> TxTimes(const Testbed& tb, const std::string& node, const std::string& type,
                            std::size_t* retransmissions) {
  std::vector<double> out;
  *retransmissions = 0;
  for (const auto& r : tb.TxAfter(0))
    if (r.node == node && r.type == type) {
      out.push_back(r.time);
      *retransmissions += r.retransmission;
    }
  return out;
}
}  // namespace

// Timer G (RFC 3261 17.2.1): an INVITE server transaction that sent a
// non-2xx final response over UDP retransmits it at T1, then doubling up
// to T2 (0.5, 1, 2, 4, 4 ... s), until the ACK or timer H (64*T1 = 32 s).
// A raw INVITE to home.com for Shirley is CANCELled; the first two copies
// of Shirley's 487 are lost before office.com: Shirley resends it at T1
// and 3*T1, and office.com's ACK of the third copy stops her. The raw
// sender never ACKs home.com's 487, so home.com resends it 10 times, the
// last 31.5 s after the first, and then stops. Before, a non-2xx final
// response was sent once (a lost one left the caller to time out).
TEST_F(Hostile, NonTwoXxToInviteIsRetransmittedUntilAck) {
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(10)));
  tb.links[2].Get(0)->SetAttribute("ReceiveErrorModel",
                                   PointerValue(CreateObject<DropFirstWith>(2, "SIP/2.0 487 ")));
  const std::string invite = RawInvite("sip:shirley@office.com", "eve", "z9hG4bKginv", 0xe7);
  raw.SendAt(1.0, tb.addr[1], invite);
  raw.SendAt(1.5, tb.addr[1], RawCancel(invite));
  RunUntil(45);
  std::size_t retx = 0;
  const std::vector<double> shirley = TxTimes(tb, "shirley", "487", &retx);
  ASSERT_EQ(shirley.size(), 3u);
  EXPECT_EQ(retx, 2u);
  EXPECT_NEAR(shirley[1] - shirley[0], 0.5, 1e-9);  // T1
  EXPECT_NEAR(shirley[2] - shirley[1], 1.0, 1e-9);  // 2*T1, then office.com's ACK
  std::size_t acks = 0;
  for (const auto& r : tb.TxAfter(0)) acks += r.node == "office" && r.type == "ACK" && r.peer == "shirley";
  EXPECT_EQ(acks, 1u);
  const std::vector<double> office = TxTimes(tb, "office", "487", &retx);
  EXPECT_EQ(office.size(), 1u);  // home.com ACKs it
  const std::vector<double> home = TxTimes(tb, "home", "487", &retx);
  ASSERT_EQ(home.size(), 11u);
  EXPECT_EQ(retx, 10u);
  const double gaps[] = {0.5, 1, 2, 4, 4, 4, 4, 4, 4, 4};
  for (std::size_t i = 1; i < home.size(); ++i) EXPECT_NEAR(home[i] - home[i - 1], gaps[i - 1], 1e-9) << i;
  EXPECT_LT(home.back() - home.front(), 32.0);  // timer H
  EXPECT_EQ(CountResponses(raw.got, "487", "INVITE"), 11u);
}

// Over TCP there is no timer G (the transport is reliable): Shirley
// answers a CANCELled INVITE that came over a raw TCP connection with one
// 487, which is never ACKed and never sent again.
TEST_F(Hostile, NonTwoXxToInviteOverTcpIsSentOnce) {
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(10)));
  RawTcp tcp(tb.nodes.Get(0), tb.addr[3]);
  std::string invite = RawInvite("sip:shirley@10.0.3.2", "eve", "z9hG4bKtinv", 0xe8);
  invite.replace(invite.find("SIP/2.0/UDP"), 11, "SIP/2.0/TCP");
  tcp.SendAt(1.0, invite);
  tcp.SendAt(1.5, RawCancel(invite));
  RunUntil(45);
  std::size_t retx = 0;
  EXPECT_EQ(TxTimes(tb, "shirley", "487", &retx).size(), 1u);
  EXPECT_EQ(retx, 0u);
  EXPECT_EQ(Count(tcp.got, "SIP/2.0 487 "), 1u);
  EXPECT_EQ(Count(tcp.got, "SIP/2.0 200 "), 1u);  // the CANCEL's
}

// Timer D (RFC 3261 17.1.1.2): an INVITE client transaction that ACKed a
// non-2xx final response stays Completed over UDP and ACKs every copy of
// it again, without passing the copies up. Dan's session-mode IM to a
// user with no binding gets office.com's 480; home.com's first ACK to
// office.com and Dan's first ACK to home.com are lost. Each server's timer
// G resends the 480 once at T1, the proxy's (home.com) and the UA's
// (Dan's) client transactions absorb the copy and ACK it again, and the
// resending stops. Dan's IM fails once. Before, both transactions ended at
// the first 480, the copies found none (home.com forwarded them upstream
// statelessly, Dan dropped them as strays) and office.com and home.com
// resent the 480 until timer H: 11 copies each.
TEST_F(Hostile, LostAckOfNonTwoXxIsResentUnderTimerD) {
  tb.links[0].Get(1)->SetAttribute("ReceiveErrorModel",
                                   PointerValue(CreateObject<DropFirstWith>(1, "ACK sip:nobody@")));
  tb.links[1].Get(1)->SetAttribute("ReceiveErrorModel",
                                   PointerValue(CreateObject<DropFirstWith>(1, "ACK sip:nobody@")));
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("nobody@office.com", 100, SipImMode::kSessionStripped); });
  RunUntil(45);
  std::size_t retx = 0;
  EXPECT_EQ(TxTimes(tb, "office", "480", &retx).size(), 2u);
  EXPECT_EQ(retx, 1u);
  EXPECT_EQ(TxTimes(tb, "home", "480", &retx).size(), 2u);
  EXPECT_EQ(retx, 1u);
  std::map<std::string, std::size_t> acks, acksResent;
  for (const auto& r : tb.TxAfter(0))
    if (r.type == "ACK") {
      ++acks[r.node + ">" + r.peer];
      acksResent[r.node + ">" + r.peer] += r.retransmission;
    }
  EXPECT_EQ(acks["home>office"], 2u);
  EXPECT_EQ(acksResent["home>office"], 1u);
  EXPECT_EQ(acks["dan>home"], 2u);
  EXPECT_EQ(acksResent["dan>home"], 1u);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSessionSetupFailed);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kStrayResponse), 0u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kRetransmissionAbsorbed), 2u);  // one copy each at home.com and Dan
}

namespace {

// The first message in `msgs` that starts with `start`.
const std::string* FindSip(const std::vector<std::string>& msgs, const std::string& start) {
  for (const auto& b : msgs)
    if (b.rfind(start, 0) == 0) return &b;
  return nullptr;
}

std::string Field(const sipim::sip::Message& m, sipim::sip::HeaderId id) {
  const sipim::sip::Header* h = m.Find(id);
  return h ? std::string(h->value) : std::string("<none>");
}

std::size_t CountSessionEvents(const Testbed& tb, SipSessionEvent e) {
  std::size_t n = 0;
  for (const auto& ev : tb.sessionEvents) n += ev.second == e;
  return n;
}

std::vector<double> DanCancelTimes(const Testbed& tb) {
  std::vector<double> out;
  for (const auto& r : tb.TxAfter(0))
    if (r.node == "dan" && r.type == "OTHER") out.push_back(r.time);
  return out;
}

}  // namespace

// A UA that gives up its INVITE (InviteTimeout, RFC 3261 9.1). Shirley
// waits 10 s before answering (she sends 100 at once); Dan's INVITE for
// two queued IMs has home.com's 100 and no final response 2 s after it
// goes, so Dan CANCELs it: the CANCEL has the INVITE's Request-URI,
// Call-ID, From, To and CSeq number (method CANCEL) and one Via, the
// INVITE's top Via (its branch too), and goes to home.com, where the INVITE
// went. The proxies CANCEL their branches, Shirley answers 487, which
// comes back to Dan, who ACKs it; both IMs fail kCancelled (not the
// kSessionSetupFailed of a refused INVITE) and Shirley never answers 200.
// Before, a UA never sent CANCEL: Shirley answered 200 at 11 s and the
// IMs were delivered 10 s late.
TEST_F(Hostile, UaCancelsInviteAfterInviteTimeout) {
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(10)));
  tb.dan->SetAttribute("InviteTimeout", TimeValue(Seconds(2)));
  std::vector<std::string> atHome;
  sipim_test::SniffUdp(tb.links[0].Get(1), &atHome);
  Simulator::Schedule(Seconds(1), [&]() {
    tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionStripped);
    tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionStripped);
  });
  RunUntil(20);
  const std::vector<double> cancels = DanCancelTimes(tb);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_NEAR(cancels[0], 3.0, 1e-6);
  for (const auto& r : tb.TxAfter(0))
    if (r.node == "dan" && r.type == "OTHER") {
      EXPECT_EQ(r.peer, "home");
    }
  const std::string* invite = FindSip(atHome, "INVITE ");
  const std::string* cancel = FindSip(atHome, "CANCEL ");
  ASSERT_TRUE(invite && cancel);
  sipim::sip::Message inv, can;
  ASSERT_FALSE(sipim::sip::Parse(*invite, sipim::sip::Framing::kDatagram, &inv));
  ASSERT_FALSE(sipim::sip::Parse(*cancel, sipim::sip::Framing::kDatagram, &can));
  using sipim::sip::HeaderId;
  EXPECT_EQ(can.request_uri, inv.request_uri);
  for (HeaderId id : {HeaderId::kCallId, HeaderId::kFrom, HeaderId::kTo, HeaderId::kVia})
    EXPECT_EQ(Field(can, id), Field(inv, id)) << *cancel;
  std::size_t vias = 0;
  for (const sipim::sip::Header* h = can.Find(HeaderId::kVia); h; h = can.FindNext(h)) ++vias;
  EXPECT_EQ(vias, 1u);
  EXPECT_EQ(Field(inv, HeaderId::kCSeq), "1 INVITE");
  EXPECT_EQ(Field(can, HeaderId::kCSeq), "1 CANCEL");
  std::size_t shirley487 = 0, shirley200 = 0, danAcks = 0;
  for (const auto& r : tb.TxAfter(0)) {
    shirley487 += r.node == "shirley" && r.type == "487";
    shirley200 += r.node == "shirley" && r.type == "200";  // the CANCEL's only
    danAcks += r.node == "dan" && r.type == "ACK" && r.peer == "home";
  }
  EXPECT_EQ(shirley487, 1u);
  EXPECT_EQ(shirley200, 1u);
  EXPECT_EQ(danAcks, 1u);
  EXPECT_FALSE(tb.shirley->HasSession("dan@home.com"));
  EXPECT_FALSE(tb.dan->HasSession("shirley@office.com"));
  ASSERT_EQ(tb.outcomes.size(), 2u);
  for (const auto& o : tb.outcomes) {
    EXPECT_EQ(o.reason, SipFailReason::kCancelled);
    EXPECT_LT(o.time, 3.2);
  }
  EXPECT_TRUE(tb.deliveries.empty());
  EXPECT_EQ(CountSessionEvents(tb, SipSessionEvent::kCancelSent), 1u);
  EXPECT_EQ(CountDrops(tb, SipDropReason::kStrayResponse), 0u);
}

// RFC 3261 9.1: no CANCEL before a provisional response. (a) home.com's
// first 100 to Dan is lost: at InviteTimeout (0.2 s) the INVITE is still
// Calling and nothing is sent; timer A resends it at 0.5 s, home.com
// answers the copy with its 100 again, and only then does the CANCEL go
// (and the IM fails kCancelled). (b) Dan's proxy never answers (nothing
// listens on its port): no CANCEL at all, and timer B (64*T1) fails the
// IM as kSessionSetupFailed. Before, a UA never sent CANCEL, so (a)
// delivered the IM after Shirley's 10 s.
TEST_F(Hostile, UaCancelWaitsForAProvisionalResponse) {
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(10)));
  tb.dan->SetAttribute("InviteTimeout", TimeValue(MilliSeconds(200)));
  tb.links[0].Get(0)->SetAttribute("ReceiveErrorModel",
                                   PointerValue(CreateObject<DropFirstWith>(1, "SIP/2.0 100 ")));
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionStripped); });
  RunUntil(20);
  std::vector<double> invites;
  for (const auto& r : tb.TxAfter(0))
    if (r.node == "dan" && r.type == "INVITE") invites.push_back(r.time);
  ASSERT_EQ(invites.size(), 2u);
  const std::vector<double> cancels = DanCancelTimes(tb);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_GT(cancels[0], invites[1]);  // after the retransmission's 100, not at 1.2 s
  EXPECT_LT(cancels[0], invites[1] + 0.1);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kCancelled);
  EXPECT_TRUE(tb.deliveries.empty());

  // (b) a proxy that never answers.
  tb.dan->SetAttribute("ProxyPort", UintegerValue(5999));
  tb.outcomes.clear();
  tb.tx.clear();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionStripped); });
  RunUntil(60);
  EXPECT_TRUE(DanCancelTimes(tb).empty());
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSessionSetupFailed);
  EXPECT_NEAR(tb.outcomes[0].time, 21 + 32, 0.01);
}

// RFC 3261 9.1: a CANCELled INVITE whose final response never comes is
// given up 64*T1 after the CANCEL. Everything home.com sends Dan after
// 2.9 s is lost, so neither the 200 to Dan's CANCEL (at 3 s) nor the 487
// reaches him: the IM fails kCancelled at 35 s, once. Without that wait
// the INVITE, which has no timer once a provisional came, and its IM
// would stay open until the UA stops.
TEST_F(Hostile, CancelledInviteWithoutFinalResponseIsAbandoned) {
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(10)));
  tb.dan->SetAttribute("InviteTimeout", TimeValue(Seconds(2)));
  Ptr<NetDevice> danSide = tb.links[0].Get(0);
  Simulator::Schedule(Seconds(2.9), [danSide]() {
    danSide->SetAttribute("ReceiveErrorModel", PointerValue(CreateObject<sipim_test::DropFirst>(-1)));
  });
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionStripped); });
  RunUntil(40);
  EXPECT_FALSE(DanCancelTimes(tb).empty());  // and its timer E copies
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kCancelled);
  EXPECT_NEAR(tb.outcomes[0].time, 3.0 + 32.0, 1e-6);
  EXPECT_FALSE(tb.dan->HasSession("shirley@office.com"));
}

// Timer C (RFC 3261 16.6 step 11, 16.8) on a branch with a provisional
// response: Shirley sends 100 at once and would answer only after 400 s;
// Dan sets no InviteTimeout. home.com's timer C (181 s, the default; off at
// office.com) fires 181 s after it forwarded the INVITE: it CANCELs its
// branch, office.com CANCELs Shirley, whose 487 goes back to Dan and fails
// the IM (session set-up failed) at about 182 s. Before, nothing ended the INVITE: the IM was
// delivered after Shirley's 400 s.
TEST_F(Hostile, ProxyTimerCCancelsABranchThatOnlyHadAProvisional) {
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(400)));
  tb.office->SetAttribute("TimerC", TimeValue(Seconds(0)));
  std::vector<bool> fired;
  tb.home->TraceConnectWithoutContext("TimerC", MakeCallback(+[](std::vector<bool>* v, SipAttribution, bool c) {
                                                  v->push_back(c);
                                                }).Bind(&fired));
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionStripped); });
  RunUntil(500);
  std::vector<double> homeInvites, homeCancels;
  std::size_t shirley487 = 0, shirley200 = 0, home487ToDan = 0;
  for (const auto& r : tb.TxAfter(0)) {
    home487ToDan += r.node == "home" && r.type == "487" && r.peer == "dan";
    if (r.node == "home" && r.type == "INVITE" && !r.retransmission) homeInvites.push_back(r.time);
    if (r.node == "home" && r.type == "OTHER" && r.peer == "office") homeCancels.push_back(r.time);
    shirley487 += r.node == "shirley" && r.type == "487";
    shirley200 += r.node == "shirley" && r.type == "200";  // the CANCEL's only
  }
  ASSERT_EQ(homeInvites.size(), 1u);
  ASSERT_FALSE(homeCancels.empty());
  EXPECT_NEAR(homeCancels[0], homeInvites[0] + 181, 1e-6);
  EXPECT_EQ(fired, std::vector<bool>{true});
  EXPECT_EQ(tb.home->GetTimerCExpirations(), 1u);
  EXPECT_EQ(tb.office->GetTimerCExpirations(), 0u);
  EXPECT_EQ(shirley487, 1u);
  EXPECT_EQ(shirley200, 1u);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kFailed);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSessionSetupFailed);
  EXPECT_EQ(home487ToDan, 1u);
  EXPECT_LT(tb.outcomes[0].time, homeInvites[0] + 182);
  EXPECT_TRUE(tb.deliveries.empty());
  EXPECT_FALSE(tb.dan->HasSession("shirley@office.com"));
}

// Timer C on a branch with no response at all (RFC 3261 16.8): office.com
// hears nothing from Shirley (everything she sends it is lost), so its
// branch stays Calling; with TimerC at 10 s (home.com's off) the branch is
// treated as if it had received 408 before timer B's 32 s. No CANCEL goes
// to Shirley (9.1: not before a provisional); the 408 reaches Dan, whose
// IM fails as a session that could not be set up.
TEST_F(Hostile, ProxyTimerCAnswers408ForABranchWithoutResponse) {
  tb.office->SetAttribute("TimerC", TimeValue(Seconds(10)));
  tb.home->SetAttribute("TimerC", TimeValue(Seconds(0)));
  Ptr<NetDevice> officeSide = tb.links[2].Get(0);
  Simulator::Schedule(Seconds(0.9), [officeSide]() {  // after Shirley registered
    officeSide->SetAttribute("ReceiveErrorModel", PointerValue(CreateObject<sipim_test::DropFirst>(-1)));
  });
  std::vector<bool> fired;
  tb.office->TraceConnectWithoutContext("TimerC", MakeCallback(+[](std::vector<bool>* v, SipAttribution, bool c) {
                                                    v->push_back(c);
                                                  }).Bind(&fired));
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionStripped); });
  RunUntil(60);
  double officeInvite = -1;
  std::size_t officeCancels = 0, office408 = 0, home408ToDan = 0;
  for (const auto& r : tb.TxAfter(0)) {
    home408ToDan += r.node == "home" && r.type == "408" && r.peer == "dan";
    if (r.node == "office" && r.type == "INVITE" && !r.retransmission && officeInvite < 0) officeInvite = r.time;
    officeCancels += r.node == "office" && r.type == "OTHER";
    office408 += r.node == "office" && r.type == "408";
  }
  ASSERT_GT(officeInvite, 0);
  EXPECT_EQ(fired, std::vector<bool>{false});
  EXPECT_EQ(officeCancels, 0u);
  EXPECT_EQ(office408, 1u);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kFailed);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSessionSetupFailed);
  EXPECT_EQ(home408ToDan, 1u);
  EXPECT_NEAR(tb.outcomes[0].time, officeInvite + 10, 0.05);
}

// RFC 3261 9.1 and 16.8: timer C CANCELled home.com's branch, but from 180 s
// on nothing office.com sends home.com arrives, so neither the CANCEL's 200
// nor the INVITE's 487 comes. 64*T1 (32 s) after the CANCEL the branch is
// given up as 408, which goes to Dan. Without that wait the INVITE would
// stay open at home.com (and Dan's IM with it) until Shirley's answer.
TEST_F(Hostile, ProxyGivesUpACancelledBranchWithoutFinalResponse) {
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(400)));
  tb.office->SetAttribute("TimerC", TimeValue(Seconds(0)));
  Ptr<NetDevice> homeSide = tb.links[1].Get(0);
  Simulator::Schedule(Seconds(180), [homeSide]() {
    homeSide->SetAttribute("ReceiveErrorModel", PointerValue(CreateObject<sipim_test::DropFirst>(-1)));
  });
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", 100, SipImMode::kSessionStripped); });
  RunUntil(500);
  double cancelAt = -1;
  std::size_t home408ToDan = 0;
  for (const auto& r : tb.TxAfter(0)) {
    if (r.node == "home" && r.type == "OTHER" && !r.retransmission && cancelAt < 0) cancelAt = r.time;
    home408ToDan += r.node == "home" && r.type == "408" && r.peer == "dan";
  }
  ASSERT_GT(cancelAt, 180);
  EXPECT_EQ(home408ToDan, 1u);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSessionSetupFailed);
  EXPECT_NEAR(tb.outcomes[0].time, cancelAt + 32, 0.05);
  EXPECT_TRUE(tb.deliveries.empty());
}

// A request other than MESSAGE on a stripped session (here an OPTIONS from
// a host at the caller's address, on Shirley's media listener) is traced
// as a drop, and its parse, which its Rx event reports, is charged to the
// node: Shirley's busy time is the sum of her Rx parse costs. Before, the
// dropped request's parse was reported and never charged.
TEST_F(Hostile, NonMessageInStrippedSessionIsChargedItsParse) {
  Ptr<CpuCalibration> cal = Create<CpuCalibration>();
  cal->Add("parse", "sip", 0, 10000);  // 10 us a message
  cal->Add("parse", "msrp", 0, 10000);
  for (std::uint32_t i = 0; i < tb.nodes.GetN(); ++i) NodeCpu::GetOrCreate(tb.nodes.Get(i))->SetCalibration(cal);
  Time shirleyRx;
  std::size_t shirleyMessages = 0;
  tb.shirley->TraceConnectWithoutContext("Rx", Callback<void, const SipWireEvent&>([&](const SipWireEvent& ev) {
                                           shirleyRx += ev.cpu;
                                           ++shirleyMessages;
                                         }));
  bool connected = false;
  Ptr<Socket> eve = MediaIntruder(&connected);
  Simulator::Schedule(Seconds(1), [this]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionStripped); });
  Simulator::Schedule(Seconds(2), [&]() {
    const std::string options = "OPTIONS sip:shirley@office.com SIP/2.0\r\nContent-Length: 0\r\n\r\n";
    eve->Send(Create<Packet>(reinterpret_cast<const std::uint8_t*>(options.data()),
                             static_cast<std::uint32_t>(options.size())));
  });
  RunUntil(4);
  ASSERT_TRUE(connected);
  std::size_t notMessage = 0;
  for (const auto& d : tb.drops) notMessage += d.detail == "not a MESSAGE in the session";
  EXPECT_EQ(notMessage, 1u);
  EXPECT_GT(shirleyMessages, 2u);
  EXPECT_EQ(NodeCpu::GetOrCreate(tb.nodes.Get(3))->GetBusyTime(), shirleyRx);
}

// The Call-ID of the last INVITE among sniffed datagrams ("" if none).
std::string InviteCallId(const std::vector<std::string>& datagrams) {
  std::string callId;
  for (const std::string& m : datagrams) {
    if (m.compare(0, 7, "INVITE ") != 0) continue;
    const std::size_t at = m.find("Call-ID: ");
    callId = m.substr(at + 9, m.find("\r\n", at) - at - 9);
  }
  return callId;
}

// RFC 3261 12.2.2: a BYE ends the dialog whose Call-ID and both tags it
// carries, not any session with its Call-ID (the devices of a forked
// INVITE share one). A raw BYE to Dan with the Call-ID of his session
// with Shirley but other tags is answered 481 and traced, and the session
// goes on: Dan's next IM is delivered on it without a new INVITE. Before,
// the Call-ID alone matched and the BYE ended the session.
TEST_F(Hostile, ByeWithTheSessionsCallIdButOtherTagsEndsNothing) {
  std::vector<std::string> atHome;
  sipim_test::SniffUdp(tb.links[0].Get(1), &atHome);
  Simulator::Schedule(Seconds(1), [this]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionStripped); });
  Simulator::Schedule(Seconds(2), [this, &atHome]() {
    const std::string callId = InviteCallId(atHome);
    ASSERT_FALSE(callId.empty());
    std::string bye = Request("BYE", "sip:dan@10.0.1.1",
                              "Max-Forwards: 70\r\nFrom: <sip:shirley@office.com>;tag=other1\r\n"
                              "To: <sip:dan@home.com>;tag=other2\r\nCall-ID: " + callId + "\r\nCSeq: 9 BYE\r\n");
    raw.s->SendTo(Create<Packet>(reinterpret_cast<const std::uint8_t*>(bye.data()), static_cast<std::uint32_t>(bye.size())),
                  0, InetSocketAddress(tb.addr[0], tb.dan->GetSipPort()));
  });
  Simulator::Schedule(Seconds(3), [this]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionStripped); });
  RunUntil(5);
  EXPECT_EQ(CountResponses(raw.got, "481", "BYE"), 1u);
  EXPECT_TRUE(tb.dan->HasSession("shirley@office.com"));
  std::size_t invites = 0;
  for (const auto& r : tb.TxAfter(0)) invites += r.node == "dan" && r.type == "INVITE";
  EXPECT_EQ(invites, 1u);
  ASSERT_EQ(tb.outcomes.size(), 2u);
  for (const auto& o : tb.outcomes) EXPECT_EQ(o.outcome, SipImOutcome::kDelivered);
}

// RFC 3261 12.2.2 and 13.3.1.4: the ACK that completes a session is one of
// its dialog: Call-ID and both tags. A raw ACK to Shirley with the Call-ID
// of Dan's INVITE but other tags, sent while she waits to answer
// (AnswerDelay 1 s), is traced and ignored: her session is established
// only after her 200 went out, by Dan's ACK, and the IM is delivered.
// Before, the Call-ID alone matched and the forged ACK "established" the
// session before it was even answered.
TEST_F(Hostile, AckWithTheSessionsCallIdButOtherTagsEstablishesNothing) {
  tb.shirley->SetAttribute("AnswerDelay", TimeValue(Seconds(1)));
  std::vector<std::string> atHome;
  sipim_test::SniffUdp(tb.links[0].Get(1), &atHome);
  double establishedAt = -1, okAt = -1;
  tb.shirley->TraceConnectWithoutContext(
      "Session", Callback<void, std::uint64_t, SipSessionEvent, const std::string&>(
                     [&establishedAt](std::uint64_t, SipSessionEvent e, const std::string&) {
                       if (e == SipSessionEvent::kEstablished) establishedAt = Simulator::Now().GetSeconds();
                     }));
  tb.shirley->TraceConnectWithoutContext("Tx", Callback<void, const SipWireEvent&>([&okAt](const SipWireEvent& w) {
                                           if (w.status == 200 && okAt < 0) okAt = Simulator::Now().GetSeconds();
                                         }));
  Simulator::Schedule(Seconds(1), [this]() { tb.dan->SendIm("shirley@office.com", 20, SipImMode::kSessionStripped); });
  Simulator::Schedule(Seconds(1.5), [this, &atHome]() {
    const std::string callId = InviteCallId(atHome);
    ASSERT_FALSE(callId.empty());
    const std::string ack = Request("ACK", "sip:shirley@10.0.3.2",
                                    "Max-Forwards: 70\r\nFrom: <sip:dan@home.com>;tag=other1\r\n"
                                    "To: <sip:shirley@office.com>;tag=other2\r\nCall-ID: " + callId + "\r\nCSeq: 1 ACK\r\n");
    raw.s->SendTo(Create<Packet>(reinterpret_cast<const std::uint8_t*>(ack.data()), static_cast<std::uint32_t>(ack.size())),
                  0, InetSocketAddress(tb.addr[3], tb.shirley->GetSipPort()));
  });
  RunUntil(5);
  std::size_t forged = 0;
  for (const auto& d : tb.drops) forged += d.detail == "ACK matching no dialog (its tags)";
  EXPECT_EQ(forged, 1u);
  ASSERT_GT(okAt, 1.9);
  EXPECT_GT(establishedAt, okAt);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
}

// RFC 3261 8.2.6.2: a response an element makes itself carries a To tag
// (but 100). home.com answers a MESSAGE for a user with no binding 480
// and one with a bad Max-Forwards 400: both To fields carry a tag.
// Before, the proxy's own responses had none.
TEST_F(Hostile, ProxysOwnResponsesCarryAToTag) {
  raw.SendAt(1.0, tb.addr[1],
             Request("MESSAGE", "sip:nobody@home.com",
                     "Max-Forwards: 70\r\nFrom: <sip:eve@home.com>;tag=e1\r\nTo: <sip:nobody@home.com>\r\n"
                     "Call-ID: raw-404@10.0.1.1\r\nCSeq: 1 MESSAGE\r\n"));
  std::string bad = Request("MESSAGE", "sip:shirley@office.com",
                            "Max-Forwards: many\r\nFrom: <sip:eve@home.com>;tag=e1\r\nTo: <sip:shirley@office.com>\r\n"
                            "Call-ID: raw-400@10.0.1.1\r\nCSeq: 1 MESSAGE\r\n");
  bad.replace(bad.find("z9hG4bKraw1"), 11, "z9hG4bKraw2");
  raw.SendAt(1.1, tb.addr[1], bad);
  RunUntil(2);
  std::size_t answered = 0;
  for (const std::string& r : raw.got) {
    if (r.rfind("SIP/2.0 480 ", 0) != 0 && r.rfind("SIP/2.0 400 ", 0) != 0) continue;
    ++answered;
    const std::size_t to = r.find("\r\nTo: ");
    ASSERT_NE(to, std::string::npos) << r;
    EXPECT_NE(r.substr(to, r.find("\r\n", to + 2) - to).find(";tag="), std::string::npos) << r;
  }
  EXPECT_EQ(answered, 2u);
}

namespace {

// Records the a=path of the SDP in the first 200 seen on `dev` (MacRx).
void SniffAnswerPath(Ptr<NetDevice> dev, std::string* path) {
  dev->TraceConnectWithoutContext("MacRx", Callback<void, Ptr<const Packet>>(([path](Ptr<const Packet> p) {
                                    std::string b(p->GetSize(), '\0');
                                    p->CopyData(reinterpret_cast<std::uint8_t*>(&b[0]), p->GetSize());
                                    const std::size_t a = b.find("a=path:");
                                    if (!path->empty() || b.find("SIP/2.0 200") == std::string::npos ||
                                        a == std::string::npos)
                                      return;
                                    *path = b.substr(a + 7, b.find("\r\n", a) - a - 7);
                                  })));
}

// A SEND chunk from the intruder to Shirley's MSRP `path`: transaction
// `tid`, Message-ID `mid`, `body` (none when empty) as the bytes from
// `start` of a message of `total` bytes (Byte-Range start-<end>/total),
// ended with `flag`, and Failure-Report `fr`.
std::string IntruderChunk(const std::string& path, const std::string& tid, const std::string& mid,
                          const std::string& body, std::uint64_t start, std::uint64_t total,
                          sipim::msrp::EndFlag flag,
                          sipim::msrp::ReportMode fr = sipim::msrp::ReportMode::kAbsent) {
  sipim::msrp::SendParams p;
  p.transaction_id = tid;
  p.to_path = path;
  p.from_path = "msrp://10.0.1.1:7777/eve;tcp";
  p.message_id = mid;
  p.derive_byte_range = false;
  p.byte_range.start = start;
  p.byte_range.end = start + body.size() - 1;
  p.byte_range.total = total;
  p.failure_report = fr;
  p.has_body = !body.empty();
  p.body = body;
  p.flag = flag;
  std::string out;
  sipim::msrp::AppendSend(p, &out);
  return out;
}

// A whole message in one SEND from the intruder: transaction `tid`, To-Path
// `to`, a body of `body` (none when empty; Message-ID "mid-<tid>"), and
// Failure-Report `fr`.
std::string IntruderSend(const std::string& tid, const std::string& to, const std::string& body,
                         sipim::msrp::ReportMode fr = sipim::msrp::ReportMode::kAbsent) {
  return IntruderChunk(to, tid, "mid-" + tid, body, 1, body.size(), sipim::msrp::EndFlag::kComplete, fr);
}

// Makes `eve` keep what it receives in `*got`.
void KeepReceived(Ptr<Socket> eve, std::string* got) {
  eve->SetRecvCallback(Callback<void, Ptr<Socket>>([got](Ptr<Socket> sock) {
    while (Ptr<Packet> p = sock->Recv()) {
      std::string b(p->GetSize(), '\0');
      p->CopyData(reinterpret_cast<std::uint8_t*>(&b[0]), p->GetSize());
      *got += b;
    }
  }));
}

void SendOn(Ptr<Socket> s, const std::string& bytes) {
  s->Send(Create<Packet>(reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<std::uint32_t>(bytes.size())));
}

// Makes the intruder bind its connection at Shirley (a bodiless SEND to
// `*path`) as soon as it is up: she then sends her IMs on it.
void BindOnConnect(Ptr<Socket> eve, const std::string* path) {
  eve->SetConnectCallback(
      Callback<void, Ptr<Socket>>([path](Ptr<Socket> s) { SendOn(s, IntruderSend("bind1", *path, "")); }),
      Callback<void, Ptr<Socket>>([](Ptr<Socket>) {}));
}

// Makes `eve` keep what it receives in `*got` and answer each MSRP request
// in it with what `answer` appends for it (nothing: no answer).
void AnswerRequests(Ptr<Socket> eve, std::string* got,
                    std::function<void(const sipim::msrp::Message&, std::string*)> answer) {
  auto parser = std::make_shared<sipim::msrp::StreamParser>();
  eve->SetRecvCallback(Callback<void, Ptr<Socket>>([got, parser, answer](Ptr<Socket> sock) {
    while (Ptr<Packet> p = sock->Recv()) {
      std::string b(p->GetSize(), '\0');
      p->CopyData(reinterpret_cast<std::uint8_t*>(&b[0]), p->GetSize());
      *got += b;
      parser->Feed(b);
      sipim::msrp::Message m;
      sipim::ParseError err;
      while (parser->Next(&m, &err) == sipim::msrp::ParseResult::kMessage) {
        if (!m.is_request) continue;
        std::string out;
        answer(m, &out);
        if (!out.empty()) SendOn(sock, out);
      }
    }
  }));
}

// The body sizes of the IMs delivered, in order.
std::vector<std::uint32_t> DeliveredBodies(const Testbed& tb) {
  std::vector<std::uint32_t> bodies;
  for (const auto& d : tb.deliveries) bodies.push_back(d.bodyBytes);
  return bodies;
}

void Hostile::IntruderSendsAt2s(double until,
                                std::function<std::vector<std::string>(const std::string& path)> sends) {
  Ptr<Socket> eve = MsrpIntruder(&intruderConnected, &intruderPath);
  KeepReceived(eve, &intruderGot);
  Simulator::Schedule(Seconds(2), [this, eve, sends]() {
    ASSERT_TRUE(intruderConnected);
    for (const std::string& bytes : sends(intruderPath)) SendOn(eve, bytes);
  });
  RunUntil(until);
}

void Hostile::ShirleysImOnTheIntruder(double until,
                                      std::function<void(const sipim::msrp::Message&, std::string*)> answer) {
  Ptr<Socket> eve = MsrpIntruder(&intruderConnected, &intruderPath);
  BindOnConnect(eve, &intruderPath);
  AnswerRequests(eve, &intruderGot, std::move(answer));
  Simulator::Schedule(Seconds(2), [this]() { tb.shirley->SendIm("dan@home.com", 30, SipImMode::kSessionMsrp); });
  RunUntil(until);
  ASSERT_TRUE(intruderConnected);
  ASSERT_NE(intruderGot.find("Byte-Range: 1-30/30"), std::string::npos)
      << "Shirley's IM did not go on the intruder's connection";
}

}  // namespace

// RFC 4975 7.3: an MSRP request whose To-Path is not the session's own
// path is answered 481 and ignored. A host at the caller's address (the
// media listener's only check) connects to Shirley's listener and sends a
// SEND to another session-id: it is refused (481, a Drop) and delivers
// nothing; the same host's SEND to Shirley's real path is taken (200).
// Before, the To-Path was never looked at: the forged SEND was answered
// 200 and delivered to Shirley as an IM of the session.
TEST_F(Hostile, MsrpSendToAnotherSessionIsAnswered481) {
  IntruderSendsAt2s(4, [](const std::string& path) {
    EXPECT_NE(path.find("/s"), std::string::npos) << path;
    std::string other = path;
    other.replace(other.rfind('/') + 1, other.find(';') - other.rfind('/') - 1, "nosuchsession");
    return std::vector<std::string>{IntruderSend("evil1", other, "evil"), IntruderSend("good1", path, "hello")};
  });
  const std::string& got = intruderGot;
  EXPECT_EQ(DeliveredBodies(tb), (std::vector<std::uint32_t>{20, 5}));
  EXPECT_NE(got.find("MSRP evil1 481"), std::string::npos) << got;
  EXPECT_EQ(got.find("MSRP evil1 200"), std::string::npos) << got;
  EXPECT_NE(got.find("MSRP good1 200"), std::string::npos) << got;
  EXPECT_EQ(CountDrops(tb, SipDropReason::kUnexpected), 1u);
}

// RFC 4975 7.2: a SEND with Failure-Report: partial gets no 200 (only a
// failure response would go back), one with Failure-Report: no none at
// all; both are delivered. Before, "partial" was answered 200 as "yes" is.
TEST_F(Hostile, MsrpSendWithFailureReportPartialGetsNo200) {
  IntruderSendsAt2s(4, [](const std::string& path) {
    return std::vector<std::string>{IntruderSend("bind1", path, ""),
                                    IntruderSend("part1", path, "partial", sipim::msrp::ReportMode::kPartial),
                                    IntruderSend("none1", path, "no", sipim::msrp::ReportMode::kNo)};
  });
  const std::string& got = intruderGot;
  EXPECT_EQ(DeliveredBodies(tb), (std::vector<std::uint32_t>{20, 7, 2}));
  EXPECT_NE(got.find("MSRP bind1 200"), std::string::npos) << got;
  EXPECT_EQ(got.find("MSRP part1 "), std::string::npos) << got;
  EXPECT_EQ(got.find("MSRP none1 "), std::string::npos) << got;
}

// An MSRP request of a method the UA does not know (RFC 4975 10: 501) is
// answered 501 and traced as a Drop; the session goes on. Before, it was
// traced as a REPORT received and ignored, with no answer and no Drop.
TEST_F(Hostile, MsrpUnknownMethodIsAnswered501) {
  IntruderSendsAt2s(4, [](const std::string& path) {
    return std::vector<std::string>{
        "MSRP odd1 NICKNAME\r\nTo-Path: " + path + "\r\nFrom-Path: msrp://10.0.1.1:7777/eve;tcp\r\n-------odd1$\r\n",
        IntruderSend("good1", path, "hello")};
  });
  const std::string& got = intruderGot;
  EXPECT_EQ(DeliveredBodies(tb), (std::vector<std::uint32_t>{20, 5}));
  EXPECT_NE(got.find("MSRP odd1 501"), std::string::npos) << got;
  EXPECT_NE(got.find("MSRP good1 200"), std::string::npos) << got;
  EXPECT_EQ(CountDrops(tb, SipDropReason::kUnexpected), 1u);
}

// RFC 4975 7.2: a failure response to an IM's SEND means the recipient did
// not take it. A host at the caller's address wins the race to Shirley's
// listener (a=setup active: only Dan connects), binds its connection with
// a bodiless SEND, so Shirley sends her IM on it, and answers that SEND
// 481: the IM fails kFinalResponse with status 481 at once. Before, the
// response was ignored and the IM had no outcome.
TEST_F(Hostile, MsrpFailureResponseFailsTheIm) {
  ShirleysImOnTheIntruder(3, [](const sipim::msrp::Message& m, std::string* answer) {
    sipim::msrp::AppendResponse(m, 481, "Session does not exist", answer);
  });
  ExpectShirleysImFailed(SipFailReason::kFinalResponse, 481);
  EXPECT_LT(tb.outcomes[1].time, 2.1);
}

// An MSRP message its sender aborts (a chunk, then the end-line flag '#',
// RFC 4975 7.1.1) is not delivered, and its discarding is traced as a
// Drop; before, it vanished without one.
TEST_F(Hostile, MsrpAbortedMessageIsTracedNotDelivered) {
  IntruderSendsAt2s(4, [](const std::string& path) {
    std::vector<std::string> chunks;
    for (int i = 0; i < 2; ++i) {
      chunks.push_back(IntruderChunk(path, "abort" + std::to_string(i), "mid-abort", "four", 1 + 4 * i, 12,
                                     i == 0 ? sipim::msrp::EndFlag::kMore : sipim::msrp::EndFlag::kAbort));
    }
    return chunks;
  });
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_EQ(tb.deliveries[0].bodyBytes, 20u);
  std::size_t aborted = 0;
  for (const auto& d : tb.drops) aborted += d.detail.find("aborted") != std::string::npos;
  EXPECT_EQ(aborted, 1u);
}

// A failure REPORT (RFC 4975 7.1.2) for an IM's message says the recipient
// did not take it: without security, the IM fails kFinalResponse with the
// REPORT's code. The intruder wins Shirley's listener as above, answers
// her IM's SEND 200 and then sends a REPORT with Status 000 413. Before,
// a failure REPORT counted only with S/MIME or MIKEY on, and the IM here
// had no outcome.
TEST_F(Hostile, MsrpFailureReportFailsTheIm) {
  ShirleysImOnTheIntruder(3, [](const sipim::msrp::Message& m, std::string* answer) {
    if (!m.has_body) return;
    sipim::msrp::AppendOk(m, answer);
    sipim::msrp::ReportParams rp;
    rp.transaction_id = "report1";
    rp.to_path = m.from_path;
    rp.from_path = m.to_path;
    rp.message_id = m.message_id;
    rp.byte_range = m.byte_range;
    rp.status_code = 413;
    rp.reason = "Stop sending";
    sipim::msrp::AppendReport(rp, answer);
  });
  ExpectShirleysImFailed(SipFailReason::kFinalResponse, 413);
  EXPECT_LT(tb.outcomes[1].time, 2.1);
}

// A SEND chunk the receiver cannot take (here one whose bytes disagree
// with those an earlier chunk of its message gave for the same range) is
// answered 400 (RFC 4975 10), not 200, and its message is dropped with a
// Drop: its sender learns the message will not arrive. Before, the chunk
// was answered 200 before reassembly refused it, and the sender was told
// that all was well with a message the receiver had discarded.
TEST_F(Hostile, MsrpChunkTheReassemblerRefusesIsAnswered400) {
  IntruderSendsAt2s(4, [](const std::string& path) {
    return std::vector<std::string>{
        IntruderChunk(path, "clash1", "mid-clash", "four", 1, 12, sipim::msrp::EndFlag::kMore),
        IntruderChunk(path, "clash2", "mid-clash", "FOUR", 1, 12, sipim::msrp::EndFlag::kMore)};
  });
  EXPECT_NE(intruderGot.find("MSRP clash1 200"), std::string::npos) << intruderGot;
  EXPECT_NE(intruderGot.find("MSRP clash2 400"), std::string::npos) << intruderGot;
  EXPECT_EQ(intruderGot.find("MSRP clash2 200"), std::string::npos) << intruderGot;
  EXPECT_EQ(CountDrops(tb, SipDropReason::kParseError), 1u);
  EXPECT_EQ(DeliveredBodies(tb), (std::vector<std::uint32_t>{20}));
}

// An MSRP message whose chunks stop short (the first of three, then
// nothing) is not delivered, and when the session ends its partial bytes
// are traced as a Drop naming what is missing; before, they went with the
// session without a word.
TEST_F(Hostile, IncompleteMsrpMessageAtSessionCloseIsTraced) {
  Simulator::Schedule(Seconds(3), [this]() { tb.dan->EndSession("shirley@office.com"); });
  IntruderSendsAt2s(6, [](const std::string& path) {
    return std::vector<std::string>{
        IntruderChunk(path, "partial0", "mid-partial", "four", 1, 12, sipim::msrp::EndFlag::kMore)};
  });
  ASSERT_EQ(tb.deliveries.size(), 1u);  // Dan's IM only
  std::size_t incomplete = 0;
  for (const auto& d : tb.drops) {
    if (d.detail.find("incomplete MSRP message") == std::string::npos) continue;
    ++incomplete;
    EXPECT_NE(d.detail.find("mid-partial: missing 5-12"), std::string::npos) << d.detail;
    EXPECT_EQ(d.bytes, 4u);
  }
  EXPECT_EQ(incomplete, 1u);
  EXPECT_FALSE(tb.shirley->HasSession("dan@home.com"));
}

namespace {

// Answers, `at` s from now, the first INVITE `raw` got with a 200 carrying
// Contact sip:eve@10.0.1.1:7000 and `sdp`, sent back to `to` (the proxy
// the INVITE came through).
void AnswerInviteAt(RawUdp& raw, double at, Ipv4Address to, const std::string& sdp) {
  Simulator::Schedule(Seconds(at), [&raw, to, sdp]() {
    for (const std::string& m : raw.got) {
      if (m.rfind("INVITE ", 0) != 0) continue;
      sipim::sip::Message req;
      ASSERT_FALSE(sipim::sip::Parse(m, sipim::sip::Framing::kDatagram, &req));
      sipim::sip::ResponseSpec spec;
      spec.to_tag = "raw";
      spec.contact = "sip:eve@10.0.1.1:7000";
      spec.content_type = "application/sdp";
      spec.body = sdp;
      std::string out;
      ASSERT_FALSE(sipim::sip::BuildResponse(req, spec, &out));
      raw.SendAt(0, to, out);
      return;
    }
    ADD_FAILURE() << "no INVITE arrived by " << Simulator::Now().GetSeconds() << " s";
  });
}

}  // namespace

// RFC 4145 section 4.1: an answer to an offer of a=setup:active must be
// passive (to passive, active): one in which both ends are active leaves
// no end listening, and no media path can come up. Shirley offers active;
// Eve (a raw device) answers 200 with a=setup:active: Shirley ACKs the 2xx
// (RFC 3261 13.2.2.4), ends the dialog with BYE and her IM fails
// kSessionSetupFailed, with a Drop naming a=setup. Before, the answer's
// a=setup was never looked at: Shirley connected to Eve's port 9 as if
// Eve listened, and the IM waited on a media path that could not come up.
TEST_F(Hostile, AnswerWhoseSetupTheOfferDoesNotAllowIsAckedThenByed) {
  tb.shirley->SetAttribute("ConnectionSetup", EnumValue(SipUserAgent::ConnectionSetup::kActive));
  RegisterAt(0.5, 1, "Contact: <sip:eve@10.0.1.1:7000>\r\nExpires: 3600\r\n");
  Simulator::Schedule(Seconds(2), [this]() { tb.shirley->SendIm("eve@home.com", 50, SipImMode::kSessionMsrp); });
  AnswerInviteAt(raw, 2.5, tb.addr[1],
                 "v=0\r\no=- 1 1 IN IP4 10.0.1.1\r\ns=-\r\nc=IN IP4 10.0.1.1\r\nt=0 0\r\n"
                 "m=message 9 TCP/MSRP *\r\na=accept-types:text/plain\r\n"
                 "a=path:msrp://10.0.1.1:9/eve;tcp\r\na=setup:active\r\n");
  RunUntil(4);
  std::size_t acks = 0, byes = 0;
  for (const std::string& m : raw.got) {
    acks += m.rfind("ACK ", 0) == 0;
    byes += m.rfind("BYE ", 0) == 0;
  }
  EXPECT_EQ(acks, 1u);
  EXPECT_GE(byes, 1u);  // and its retransmissions: the raw device never answers it
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kFailed);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSessionSetupFailed);
  std::size_t setupDrops = 0;
  for (const auto& d : tb.drops) setupDrops += d.detail.find("a=setup") != std::string::npos;
  EXPECT_EQ(setupDrops, 1u);
}

// RFC 4975 7.1.1: a SEND whose transaction response does not come within
// 30 s has failed. The intruder wins Shirley's listener as above, binds its
// connection and reads her IM's SEND but never answers it: the IM fails
// kTimeout with status 408, 30 s after it was sent. Before, the IM waited
// for ever, and so did the session's BYE (it waits for every IM's outcome).
TEST_F(Hostile, MsrpSendWithoutResponseFailsTheImAfterTheTransactionTimeout) {
  ShirleysImOnTheIntruder(31, [](const sipim::msrp::Message&, std::string*) {});
  ASSERT_EQ(tb.outcomes.size(), 1u);  // Dan's, delivered; Shirley's still waits
  RunUntil(33);
  ExpectShirleysImFailed(SipFailReason::kTimeout, 408);
  EXPECT_NEAR(tb.outcomes[1].time, 32.0, 0.1);
}
