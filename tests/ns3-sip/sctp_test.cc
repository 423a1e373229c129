// SIP signalling and session media over the SCTP model (models/ns3/sctp).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "ns3/sip/sip-endpoint.h"
#include "sctp/sctp-helper.h"
#include "sctp/sctp-socket-factory.h"
#include "sctp/sctp-socket.h"
#include "sctp/sctp-wire.h"
#include "sip/message.h"
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

namespace {
// A SIP-carrying DATA chunk seen on a link.
struct SeenChunk {
  std::uint8_t flags;
  std::uint16_t sid;
  std::string payload;
};

// Records every DATA chunk received on `dev` (RFC 9260 bytes, decoded by
// the SCTP wire codec).
void SniffSctpData(Ptr<NetDevice> dev, std::vector<SeenChunk>* out) {
  sipim_test::OnIpRx(dev, 132, [out](Ptr<Packet> c) {
    std::vector<std::uint8_t> buf(c->GetSize());
    c->CopyData(buf.data(), buf.size());
    sctp::PacketView pv;
    ASSERT_TRUE(sctp::ParsePacket(buf.data(), buf.size(), pv).Ok());
    for (const auto& ch : pv.chunks) {
      if (ch.type != sctp::CHUNK_DATA) continue;
      sctp::DataChunk d;
      ASSERT_TRUE(sctp::DecodeData(ch, d).Ok());
      out->push_back({d.flags, d.sid, std::string(reinterpret_cast<const char*>(d.payload), d.payloadLen)});
    }
  });
}

Testbed::Options SctpEverywhere() { return WithSctp(); }

void SignalOverSctp(Testbed& tb, bool unordered) {
  for (auto ua : {tb.dan, tb.shirley}) {
    ua->SetAttribute("Transport", EnumValue(SipTransportProtocol::kSctp));
    ua->SetAttribute("SctpUnordered", BooleanValue(unordered));
  }
  for (auto p : {tb.home, tb.office}) {
    p->SetAttribute("Transport", EnumValue(SipTransportProtocol::kSctp));
    p->SetAttribute("SctpUnordered", BooleanValue(unordered));
  }
}
}  // namespace

// RFC 4168 5.1 on the wire: every SIP message between Dan and home.com
// (REGISTER, MESSAGE, their 200s) is one whole SCTP user message (B and E
// set, the payload exactly one SIP message) on stream 0, with the U bit by
// default and without it when SctpUnordered is false.
TEST(Sctp, EachSipMessageIsOneSctpMessageOnStreamZero) {
  for (bool unordered : {true, false}) {
    SCOPED_TRACE(unordered ? "SctpUnordered true" : "SctpUnordered false");
    Testbed tb(SctpEverywhere());
    SignalOverSctp(tb, unordered);
    std::vector<SeenChunk> seen;
    SniffSctpData(tb.links[0].Get(0), &seen);  // Dan's side of Dan -- home.com
    SniffSctpData(tb.links[0].Get(1), &seen);
    tb.Record();
    Simulator::Schedule(Seconds(1), [&]() {
      tb.dan->SendIm("shirley@office.com", 100, SipImMode::kPager);
      tb.dan->SendIm("shirley@office.com", 1000, SipImMode::kPager);
    });
    Simulator::Stop(Seconds(4));
    Simulator::Run();
    EXPECT_EQ(tb.outcomes.size(), 2u);
    std::size_t messages = 0, responses = 0;
    for (const SeenChunk& c : seen) {
      EXPECT_EQ(c.sid, 0u);
      EXPECT_EQ((c.flags & sctp::DATA_FLAG_UNORDERED) != 0, unordered);
      EXPECT_EQ(c.flags & (sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END), sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END);
      sipim::sip::Message m;
      ASSERT_FALSE(sipim::sip::Parse(c.payload, sipim::sip::Framing::kStream, &m)) << c.payload;
      EXPECT_EQ(m.size, c.payload.size()) << "one SIP message per SCTP message";
      messages += m.is_request && m.method == "MESSAGE";
      responses += !m.is_request;
    }
    EXPECT_EQ(messages, 2u);
    EXPECT_GE(responses, 3u);  // REGISTER's 200 and the two MESSAGEs'
  }
}

// Head-of-line blocking among SIP transactions: Dan's first MESSAGE is lost
// once on its way to home.com, his second leaves 10 ms later. Unordered (the
// default), the second reaches Shirley at once and the first after its
// retransmission (T3, RTO 1 s); ordered, home.com's SCTP holds the second
// until the first is repaired, so it arrives after it.
TEST(Sctp, LostSipMessageHoldsBackNoOtherWhenUnordered) {
  for (bool unordered : {true, false}) {
    SCOPED_TRACE(unordered ? "SctpUnordered true" : "SctpUnordered false");
    Testbed tb(SctpEverywhere());
    SignalOverSctp(tb, unordered);
    tb.links[0].Get(1)->SetAttribute("ReceiveErrorModel", PointerValue(Create<sipim_test::DropFirstWith>(1, "FIRST-IM")));
    tb.Record();
    std::uint64_t first = 0, second = 0;
    Simulator::Schedule(Seconds(1), [&]() { first = tb.dan->SendIm("shirley@office.com", "FIRST-IM", SipImMode::kPager); });
    Simulator::Schedule(Seconds(1.01), [&]() { second = tb.dan->SendIm("shirley@office.com", "SECOND-IM", SipImMode::kPager); });
    Simulator::Stop(Seconds(6));
    Simulator::Run();
    std::map<std::uint64_t, double> at;
    for (const auto& d : tb.deliveries) at[d.imId] = d.time;
    ASSERT_EQ(at.size(), 2u);
    EXPECT_GT(at[first], 1.9) << "the first needed a retransmission";
    if (unordered) {
      EXPECT_LT(at[second], 1.2) << "the second was not held back";
    } else {
      EXPECT_GE(at[second], at[first]) << "ordered: the second waits for the first";
    }
  }
}

// A SIP message that cannot leave: an IM larger than the SCTP send buffer
// (which takes a message whole) is refused at once, the Drop naming the
// buffer, and the IM fails; an IM behind it is not held up.
TEST(Sctp, MessageLargerThanTheSendBufferIsRefusedNotStuck) {
  Testbed tb(SctpEverywhere());
  SignalOverSctp(tb, true);
  tb.Record();
  std::uint64_t big = 0, small = 0;
  Simulator::Schedule(Seconds(1), [&]() {
    big = tb.dan->SendIm("shirley@office.com", 200000, SipImMode::kPager);
    small = tb.dan->SendIm("shirley@office.com", 100, SipImMode::kPager);
  });
  Simulator::Stop(Seconds(40));
  Simulator::Run();
  std::map<std::uint64_t, sipim_test::Outcome> out;
  for (const auto& o : tb.outcomes) out[o.imId] = o;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[big].outcome, SipImOutcome::kFailed);
  EXPECT_EQ(out[small].outcome, SipImOutcome::kDelivered);
  EXPECT_LT(out[small].time, 1.5);
  std::size_t named = 0;
  for (const auto& d : tb.drops)
    named += d.detail.find("larger than the SCTP send buffer") != std::string::npos && d.attr.id == big;
  EXPECT_EQ(named, 1u);
}

// Message boundaries survive on SCTP, so a bad message costs only itself:
// garbage sent to office.com as one SCTP message is dropped as a parse
// error and the association stays up; a MESSAGE followed by 4 stray bytes in
// one SCTP message is processed, the 4 bytes reported (not lost silently),
// and its 200 comes back on the same association.
TEST(Sctp, BadSctpMessageCostsOnlyItself) {
  std::string got;  // before the testbed: its destructor ends the simulation
  bool closed = false;
  Testbed tb(SctpEverywhere());
  tb.office->SetAttribute("Transport", EnumValue(SipTransportProtocol::kSctp));
  tb.Record();
  Ptr<Socket> raw = Socket::CreateSocket(tb.nodes.Get(0), SctpSocketFactory::GetTypeId());
  raw->SetRecvCallback(Callback<void, Ptr<Socket>>([&](Ptr<Socket> s) {
    while (Ptr<Packet> p = s->Recv()) {
      std::string b(p->GetSize(), '\0');
      p->CopyData(reinterpret_cast<std::uint8_t*>(&b[0]), p->GetSize());
      got += b;
    }
  }));
  raw->SetCloseCallbacks(Callback<void, Ptr<Socket>>([&](Ptr<Socket>) { closed = true; }),
                         Callback<void, Ptr<Socket>>([&](Ptr<Socket>) { closed = true; }));
  auto send = [&](const std::string& b) {
    raw->Send(Create<Packet>(reinterpret_cast<const std::uint8_t*>(b.data()), static_cast<std::uint32_t>(b.size())));
  };
  Simulator::Schedule(Seconds(0.5), [&]() { raw->Connect(InetSocketAddress(tb.addr[2], 5060)); });
  Simulator::Schedule(Seconds(1), [&]() { send("not SIP at all\r\n\r\n"); });
  Simulator::Schedule(Seconds(1.5), [&]() {
    send("MESSAGE sip:shirley@office.com SIP/2.0\r\n"
         "Via: SIP/2.0/SCTP 10.0.1.1:5090;branch=z9hG4bKsctp1\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:eve@home.com>;tag=e1\r\nTo: <sip:shirley@office.com>\r\n"
         "Call-ID: sctp-1@10.0.1.1\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n"
         "Content-Length: 2\r\n\r\nhiJUNK");
  });
  Simulator::Stop(Seconds(4));
  Simulator::Run();
  EXPECT_FALSE(closed);
  EXPECT_EQ(got.rfind("SIP/2.0 200", 0), 0u) << got;
  std::size_t garbage = 0, stray = 0;
  for (const auto& d : tb.drops) {
    garbage += d.reason == SipDropReason::kParseError && d.bytes == 18;
    stray += d.reason == SipDropReason::kParseError && d.bytes == 4 &&
             d.detail.find("after the message in its SCTP message") != std::string::npos;
  }
  EXPECT_EQ(garbage, 1u);
  EXPECT_EQ(stray, 1u);
}

// SctpStreams and SctpInterleaving on the UAs and proxies: between the two
// proxies the association negotiates I-DATA (RFC 8260; only I-DATA chunks
// carry data), each IM's MESSAGE (and its 200) goes on stream (IM id mod
// 4), so the six IMs use more than one stream, and every IM is delivered.
// With the defaults the same IMs go in DATA chunks on stream 0 only.
TEST(Sctp, StreamsAndInterleavingReachTheWire) {
  for (bool on : {true, false}) {
    SCOPED_TRACE(on ? "SctpStreams 4, SctpInterleaving" : "defaults");
    Testbed tb(SctpEverywhere());
    SignalOverSctp(tb, true);
    if (on) {
      for (auto ua : {tb.dan, tb.shirley}) {
        ua->SetAttribute("SctpStreams", UintegerValue(4));
        ua->SetAttribute("SctpInterleaving", BooleanValue(true));
      }
      for (auto p : {tb.home, tb.office}) {
        p->SetAttribute("SctpStreams", UintegerValue(4));
        p->SetAttribute("SctpInterleaving", BooleanValue(true));
      }
    }
    std::map<std::uint8_t, int> chunkTypes;
    std::set<std::uint16_t> streams;
    sipim_test::OnIpRx(tb.links[1].Get(1), 132, [&](Ptr<Packet> c) {  // office.com's side of the core link
      std::vector<std::uint8_t> buf(c->GetSize());
      c->CopyData(buf.data(), buf.size());
      sctp::PacketView pv;
      ASSERT_TRUE(sctp::ParsePacket(buf.data(), buf.size(), pv).Ok());
      for (const auto& ch : pv.chunks) {
        if (ch.type == sctp::CHUNK_DATA) {
          sctp::DataChunk d;
          ASSERT_TRUE(sctp::DecodeData(ch, d).Ok());
          streams.insert(d.sid);
        } else if (ch.type == sctp::CHUNK_IDATA) {
          sctp::IDataChunk d;
          ASSERT_TRUE(sctp::DecodeIData(ch, d).Ok());
          streams.insert(d.sid);
        }
        ++chunkTypes[ch.type];
      }
    });
    tb.Record();
    Simulator::Schedule(Seconds(1), [&]() {
      for (int i = 0; i < 6; ++i) tb.dan->SendIm("shirley@office.com", 100 + 3000 * i, SipImMode::kPager);
    });
    Simulator::Stop(Seconds(4));
    Simulator::Run();
    EXPECT_EQ(tb.deliveries.size(), 6u);
    if (on) {
      EXPECT_GT(chunkTypes[sctp::CHUNK_IDATA], 0);
      EXPECT_EQ(chunkTypes[sctp::CHUNK_DATA], 0);
      EXPECT_GT(streams.size(), 1u);
      EXPECT_LT(*streams.rbegin(), 4);
    } else {
      EXPECT_EQ(chunkTypes[sctp::CHUNK_IDATA], 0);
      EXPECT_GT(chunkTypes[sctp::CHUNK_DATA], 0);
      EXPECT_EQ(streams, std::set<std::uint16_t>{0});
    }
  }
}

namespace {
// Two nodes on one 10 Mb/s link with SCTP, and a SipEndpoint on each
// listening on 5060 (a sends, b receives).
struct EndpointPair {
  NodeContainer nodes;
  NetDeviceContainer devs;
  Ipv4InterfaceContainer ifs;
  std::unique_ptr<sipns3::SipEndpoint> a, b;
  bool started = false;
  EndpointPair() {
    nodes.Create(2);
    InternetStackHelper stack;
    stack.Install(nodes);
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue("10Mbps"));
    p2p.SetChannelAttribute("Delay", StringValue("5ms"));
    devs = p2p.Install(nodes);
    Ipv4AddressHelper addresses;
    addresses.SetBase("10.9.0.0", "255.255.255.0");
    ifs = addresses.Assign(devs);
    SctpHelper().Install(nodes);
    a = std::make_unique<sipns3::SipEndpoint>(nodes.Get(0), nullptr);
    b = std::make_unique<sipns3::SipEndpoint>(nodes.Get(1), nullptr);
    std::string err;
    started = a->Start(5060, true, &err) && b->Start(5060, true, &err);
    EXPECT_TRUE(started) << err;
  }
  ~EndpointPair() {
    a.reset();
    b.reset();
    Simulator::Destroy();
  }
  // What b received: the body size of each message it read, and its Drops.
  struct Dropped {
    SipDropReason reason;
    std::uint32_t bytes;
    std::string detail;
  };
  std::vector<std::size_t> bodies;
  std::vector<Dropped> drops;
  void RecordB() {
    b->SetRxHandler([this](const std::string&, const sipim::sip::Message& m, const sipns3::RxMeta&) {
      bodies.push_back(m.body.size());
    });
    b->SetDropHandler([this](SipDropReason r, std::uint32_t n, const std::string& d, const sipns3::RxMeta&) {
      drops.push_back({r, n, d});
    });
  }
  sipns3::Dest ToB(SipTransportProtocol t) const {
    sipns3::Dest d;
    d.transport = t;
    d.address = ifs.GetAddress(1);
    d.port = 5060;
    return d;
  }
};

// An OPTIONS request from a to b over `t` with a body of `bodyBytes`.
std::string Options(std::size_t bodyBytes, const char* transport = "TCP") {
  return std::string("OPTIONS sip:x@10.9.0.2 SIP/2.0\r\nVia: SIP/2.0/") + transport +
         " 10.9.0.1:5060;branch=z9hG4bKp1\r\nMax-Forwards: 70\r\n"
         "From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: p@x\r\nCSeq: 1 OPTIONS\r\n"
         "Content-Type: text/plain\r\nContent-Length: " +
         std::to_string(bodyBytes) + "\r\n\r\n" + std::string(bodyBytes, 'b');
}

// Restores an SCTP socket default when the test ends.
struct SctpDefault {
  std::string name;
  std::uint64_t restore;
  SctpDefault(const std::string& attr, std::uint64_t value, std::uint64_t initial)
      : name("ns3::SctpSocket::" + attr), restore(initial) {
    Config::SetDefault(name, UintegerValue(value));
  }
  ~SctpDefault() { Config::SetDefault(name, UintegerValue(restore)); }
};
}  // namespace

// A TCP and an SCTP connection to one address and port are two
// connections: messages alternating between the transports reuse them.
// Before, the connection table's key left out the transport, so each send
// found the other transport's connection, opened a new one and orphaned
// the old one (1, 2, 3 ... 10 connections after ten sends).
TEST(Sctp, TcpAndSctpConnectionsToOnePeerAreKeptApart) {
  EndpointPair pair;
  ASSERT_TRUE(pair.started);
  int received = 0;
  pair.b->SetRxHandler([&](const std::string&, const sipim::sip::Message&, const sipns3::RxMeta&) { ++received; });
  const std::string msg = Options(0);
  std::vector<std::size_t> conns;
  for (int i = 0; i < 10; ++i)
    Simulator::Schedule(Seconds(1 + i), [&, i]() {
      pair.a->Send(pair.ToB(i % 2 ? SipTransportProtocol::kSctp : SipTransportProtocol::kTcp), msg, SipAttribution{});
      conns.push_back(pair.a->ConnectionCount());
    });
  Simulator::Stop(Seconds(12));
  Simulator::Run();
  EXPECT_EQ(received, 10);
  EXPECT_EQ(conns, (std::vector<std::size_t>{1, 2, 2, 2, 2, 2, 2, 2, 2, 2}));
}

// RFC 9260 §6.9 at the SIP layer: a SIP message three times the receiving
// socket's buffer (50,000 bytes of body into 16,000) reaches the receiver
// whole, put together from the pieces partial delivery hands it (before,
// the SCTP model never delivered it), and the message after it too. Nothing
// is dropped.
TEST(Sctp, SipMessageLargerThanTheReceiveBufferArrivesWhole) {
  SctpDefault rcv("RcvBufSize", 16000, 131072);
  EndpointPair pair;
  ASSERT_TRUE(pair.started);
  pair.RecordB();
  Simulator::Schedule(Seconds(1), [&]() {
    pair.a->Send(pair.ToB(SipTransportProtocol::kSctp), Options(50000, "SCTP"), SipAttribution{});
    pair.a->Send(pair.ToB(SipTransportProtocol::kSctp), Options(10, "SCTP"), SipAttribution{});
  });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  EXPECT_EQ(pair.bodies, (std::vector<std::size_t>{50000, 10}));
  EXPECT_TRUE(pair.drops.empty()) << pair.drops.front().detail;
}

// The bound on a message read in pieces: an SCTP message of 1.1 MB (over
// StreamConn::kMaxMessageBytes) is not kept whole; the receiver traces one
// Drop (kFramingError) naming its size and the limit, keeps the
// association, and reads the message after it.
TEST(Sctp, SctpMessageOverTheLimitIsDroppedAndTracedNotHeld) {
  SctpDefault snd("SndBufSize", 2000000, 131072);
  EndpointPair pair;
  ASSERT_TRUE(pair.started);
  pair.RecordB();
  const std::string huge = Options(1100000, "SCTP");
  Simulator::Schedule(Seconds(1), [&]() {
    pair.a->Send(pair.ToB(SipTransportProtocol::kSctp), huge, SipAttribution{});
    pair.a->Send(pair.ToB(SipTransportProtocol::kSctp), Options(10, "SCTP"), SipAttribution{});
  });
  Simulator::Stop(Seconds(10));
  Simulator::Run();
  EXPECT_EQ(pair.bodies, (std::vector<std::size_t>{10}));
  ASSERT_EQ(pair.drops.size(), 1u);
  EXPECT_EQ(pair.drops[0].reason, SipDropReason::kFramingError);
  EXPECT_EQ(pair.drops[0].bytes, huge.size());
  EXPECT_NE(pair.drops[0].detail.find("over the 1048576-byte limit"), std::string::npos) << pair.drops[0].detail;
  EXPECT_EQ(pair.b->ConnectionCount(), 1u);
}

namespace {
// Loses, for ever, every SCTP packet carrying the DATA chunk `k` places
// after the first one with the B bit and at least 1000 bytes of payload.
class DropFragmentOfLargeMessage : public ErrorModel {
 public:
  explicit DropFragmentOfLargeMessage(std::uint32_t k) : m_k(k) {}

 private:
  bool DoCorrupt(Ptr<Packet> p) override {
    Ptr<Packet> c = p->Copy();
    if (sipim_test::RemoveLinkAndIpHeaders(c).GetProtocol() != 132) return false;
    std::vector<std::uint8_t> b(c->GetSize());
    c->CopyData(b.data(), b.size());
    sctp::PacketView pv;
    if (!sctp::ParsePacket(b.data(), b.size(), pv).Ok()) return false;
    for (const auto& ch : pv.chunks) {
      sctp::DataChunk d;
      if (ch.type != sctp::CHUNK_DATA || !sctp::DecodeData(ch, d).Ok()) continue;
      if (!m_first && (d.flags & sctp::DATA_FLAG_BEGIN) && d.payloadLen >= 1000) m_first = d.tsn;
      if (m_first && d.tsn == m_first + m_k) return true;
    }
    return false;
  }
  void DoReset() override {}
  std::uint32_t m_k;
  std::uint32_t m_first = 0;
};
}  // namespace

// A SIP message abandoned part-way (PR-SCTP, RFC 3758, with partial
// delivery): a peer sends b a 50,000-byte MESSAGE-sized request with a 1.5 s
// lifetime whose 12th fragment is always lost; b's socket has delivered the
// first pieces before the peer gives up. b traces one Drop (kFramingError)
// naming the abandonment and the bytes it held, keeps the association, and
// reads the request sent after it.
TEST(Sctp, SipMessageAbandonedWhileDeliveredInPartsIsTraced) {
  SctpDefault rcv("RcvBufSize", 16000, 131072);
  Config::SetDefault("ns3::SctpSocket::PrSctpEnabled", BooleanValue(true));
  struct Restore {
    ~Restore() { Config::SetDefault("ns3::SctpSocket::PrSctpEnabled", BooleanValue(false)); }
  } restore;
  EndpointPair pair;
  ASSERT_TRUE(pair.started);
  pair.devs.Get(1)->SetAttribute("ReceiveErrorModel", PointerValue(Create<DropFragmentOfLargeMessage>(11)));
  pair.RecordB();
  Ptr<SctpSocket> raw = DynamicCast<SctpSocket>(Socket::CreateSocket(pair.nodes.Get(0), SctpSocketFactory::GetTypeId()));
  auto send = [&](const std::string& b, Time lifetime) {
    raw->SendMsg(Create<Packet>(reinterpret_cast<const std::uint8_t*>(b.data()), static_cast<std::uint32_t>(b.size())),
                 0, false, 0, lifetime);
  };
  Simulator::Schedule(Seconds(0.5), [&]() { raw->Connect(InetSocketAddress(pair.ifs.GetAddress(1), 5060)); });
  Simulator::Schedule(Seconds(1), [&]() {
    send(Options(50000, "SCTP"), Seconds(1.5));
    send(Options(10, "SCTP"), Time());
  });
  Simulator::Stop(Seconds(10));
  Simulator::Run();
  EXPECT_EQ(raw->GetStats().messagesAbandoned, 1u);
  EXPECT_EQ(pair.bodies, (std::vector<std::size_t>{10}));
  ASSERT_EQ(pair.drops.size(), 1u);
  EXPECT_EQ(pair.drops[0].reason, SipDropReason::kFramingError);
  EXPECT_EQ(pair.drops[0].bytes, 11u * 1452u);  // the 11 fragments before the lost one
  EXPECT_NE(pair.drops[0].detail.find("abandoned by the peer"), std::string::npos) << pair.drops[0].detail;
  EXPECT_EQ(pair.b->ConnectionCount(), 1u);
}
