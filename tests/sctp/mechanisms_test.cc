// Smaller mechanisms: Max.Burst, the RTO formula, the cookie lifetime,
// unknown chunk types, heartbeat failure and the device MTU.
#include "sctp_test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

using namespace ns3;
using namespace sipim_test;

namespace
{

class SctpMechanisms : public ::testing::Test
{
  protected:
    void TearDown() override
    {
        Simulator::Destroy();
        Config::Reset();
    }
};


} // namespace

// Max.Burst: data queued before the association is up goes out, when the
// COOKIE ACK opens the (huge) cwnd, as at most Max.Burst packets at once.
TEST_F(SctpMechanisms, MaxBurstLimitsPacketsPerOpportunity)
{
    Config::SetDefault("ns3::SctpSocket::InitialCwnd", UintegerValue(200000));
    Config::SetDefault("ns3::SctpSocket::MaxBurst", UintegerValue(4));
    Link link;
    Sink sink;
    Client client;
    sink.Start(link.Server(), 5000);
    std::vector<Time> dataTx;
    Simulator::Schedule(Seconds(0), [&] {
        client.Start(link.Client(), link.ServerAddress(5000));
        client.sock->TraceConnectWithoutContext(
            "Tx", MakeCallback(+[](std::vector<Time>* v, Ptr<const Packet> p, Ptr<const SctpSocket>) {
                      std::vector<uint8_t> b(p->GetSize());
                      p->CopyData(b.data(), uint32_t(b.size()));
                      if (b.size() > 12 && b[12] == sctp::CHUNK_DATA)
                      {
                          v->push_back(Simulator::Now());
                      }
                  }).Bind(&dataTx));
        for (uint32_t i = 0; i < 40; ++i)
        {
            EXPECT_EQ(client.sock->Send(Pattern(1452, i)), 1452); // queued in COOKIE-WAIT
        }
    });
    Simulator::Stop(Seconds(3));
    Simulator::Run();
    ASSERT_FALSE(dataTx.empty());
    uint32_t firstBurst = 0;
    for (Time t : dataTx)
    {
        firstBurst += t == dataTx.front();
    }
    EXPECT_EQ(firstBurst, 4u);
    EXPECT_EQ(dataTx.size(), 40u); // the rest follows, clocked by SACKs
    EXPECT_EQ(sink.got.size(), 40u);
}

// RTO follows RFC 9260 §6.3.1 sample by sample: SRTT/RTTVAR with alpha 1/8,
// beta 1/4, RTO = SRTT + 4 RTTVAR, clamped at RTO.Min.
TEST_F(SctpMechanisms, RtoFollowsTheRfcFormula)
{
    Config::SetDefault("ns3::SctpSocket::RtoMin", TimeValue(MilliSeconds(50)));
    Config::SetDefault("ns3::SctpSocket::HeartbeatInterval", TimeValue(Seconds(1)));
    Session s("1Mbps", "10ms");
    std::vector<double> samples;
    std::vector<double> rtos;
    Simulator::Schedule(Seconds(0.2), [&] {
        s.client.sock->TraceConnectWithoutContext(
            "RTT", MakeCallback(+[](std::vector<double>* v, Time, Time n) { v->push_back(n.GetSeconds()); })
                       .Bind(&samples));
        s.client.sock->TraceConnectWithoutContext(
            "RTO", MakeCallback(+[](std::vector<double>* v, Time, Time n) { v->push_back(n.GetSeconds()); })
                       .Bind(&rtos));
        // Messages of different sizes give different RTT samples on 1 Mb/s.
        for (uint32_t i = 0; i < 20; ++i)
        {
            Simulator::Schedule(MilliSeconds(300 * i), [&, i] { s.client.sock->Send(Pattern(100 + 60 * i, i)); });
        }
    });
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    ASSERT_GE(samples.size(), 10u);
    double srtt = 0, rttvar = 0;
    std::vector<double> expected;
    for (size_t i = 0; i < samples.size(); ++i)
    {
        double r = samples[i];
        if (i == 0)
        {
            srtt = r;
            rttvar = r / 2;
        }
        else
        {
            rttvar = 0.75 * rttvar + 0.25 * std::fabs(srtt - r);
            srtt = 0.875 * srtt + 0.125 * r;
        }
        double rto = std::max(0.050, std::min(60.0, srtt + 4 * std::max(rttvar, 0.001)));
        expected.push_back(rto);
    }
    // Every sample produced the RTO the formula gives (an unchanged RTO
    // fires no trace, so compare the distinct values in order).
    std::vector<double> distinct;
    for (double e : expected)
    {
        if (distinct.empty() || std::fabs(distinct.back() - e) > 1e-9)
        {
            distinct.push_back(e);
        }
    }
    ASSERT_EQ(rtos.size(), distinct.size());
    for (size_t i = 0; i < rtos.size(); ++i)
    {
        EXPECT_NEAR(rtos[i], distinct[i], 1e-6) << "sample " << i;
    }
    EXPECT_NEAR(s.client.sock->GetPrimaryPath().srtt.GetSeconds(), srtt, 1e-6);
}

// A cookie that outlives Valid.Cookie.Life is refused with a Stale Cookie
// error; the initiator starts again and finally gives up.
TEST_F(SctpMechanisms, StaleCookieRejected)
{
    Config::SetDefault("ns3::SctpSocket::ValidCookieLife", TimeValue(MilliSeconds(5)));
    Config::SetDefault("ns3::SctpSocket::MaxInitRetransmits", UintegerValue(2));
    Session s; // the cookie needs 10 ms to come back: always stale
    Simulator::Stop(Seconds(30));
    Simulator::Run();
    EXPECT_FALSE(s.client.connected);
    EXPECT_TRUE(s.client.failed);
    EXPECT_FALSE(s.sink.conn);
    uint32_t staleErrors = 0;
    for (const auto& p : s.link.toClient->seen)
    {
        for (const auto& c : p.view.chunks)
        {
            std::vector<sctp::ErrorCause> causes;
            if (c.type == sctp::CHUNK_ERROR && sctp::DecodeCauses(c, causes).Ok() && !causes.empty() &&
                causes[0].code == sctp::CAUSE_STALE_COOKIE)
            {
                ++staleErrors;
                // Measure of staleness: about 15 ms late, in microseconds.
                EXPECT_NEAR(double(sctp::Get32(causes[0].info)), 15000.0, 3000.0);
            }
        }
    }
    EXPECT_EQ(staleErrors, 3u);
}

// Unknown chunk types follow their two high bits: 11 = skip and report,
// 00 = stop processing the packet.
TEST_F(SctpMechanisms, UnknownChunkTypesHandledByTheirHighBits)
{
    Session s;
    Simulator::Stop(Seconds(0.5));
    Simulator::Run();
    ASSERT_TRUE(s.sink.conn);
    const auto& echo = s.link.toServer->seen.at(1).view; // the COOKIE ECHO: ports and tag
    Ptr<SctpL4Protocol> l4 = s.link.Server()->GetObject<SctpL4Protocol>();
    Ipv4Header ip;
    ip.SetSource(s.link.ifaces.GetAddress(0));
    ip.SetDestination(s.link.ifaces.GetAddress(1));
    Ptr<Ipv4L3Protocol> ipv4 = s.link.Server()->GetObject<Ipv4L3Protocol>();
    // Type 0xC1 (skip + report), then a HEARTBEAT that must still be answered.
    sctp::PacketBuilder b;
    b.Begin(echo.srcPort, echo.dstPort, echo.vtag);
    b.AddEmpty(0xC1, 0);
    const uint8_t info[4] = {1, 2, 3, 4};
    b.AddHeartbeat(sctp::CHUNK_HEARTBEAT, info, 4);
    const auto& bytes = b.Finish();
    size_t before = s.link.toClient->seen.size();
    l4->Receive(Create<Packet>(bytes.data(), uint32_t(bytes.size())), ip, ipv4->GetInterface(1));
    // Type 0x3F (stop, no report), then a HEARTBEAT that must be ignored.
    b.Begin(echo.srcPort, echo.dstPort, echo.vtag);
    b.AddEmpty(0x3F, 0);
    b.AddHeartbeat(sctp::CHUNK_HEARTBEAT, info, 4);
    const auto& bytes2 = b.Finish();
    l4->Receive(Create<Packet>(bytes2.data(), uint32_t(bytes2.size())), ip, ipv4->GetInterface(1));
    Simulator::Stop(Seconds(0.2));
    Simulator::Run();
    bool report = false;
    int hbAcks = 0;
    for (size_t i = before; i < s.link.toClient->seen.size(); ++i)
    {
        for (const auto& c : s.link.toClient->seen[i].view.chunks)
        {
            std::vector<sctp::ErrorCause> causes;
            if (c.type == sctp::CHUNK_ERROR && sctp::DecodeCauses(c, causes).Ok() &&
                causes.at(0).code == sctp::CAUSE_UNRECOGNIZED_CHUNK)
            {
                report = causes[0].infoLen >= 1 && causes[0].info[0] == 0xC1;
            }
            hbAcks += c.type == sctp::CHUNK_HEARTBEAT_ACK;
        }
    }
    EXPECT_TRUE(report);
    EXPECT_EQ(hbAcks, 1);
    EXPECT_EQ(s.sink.conn->GetState(), SCTP_ESTABLISHED);
}

// A peer that stops answering HEARTBEATs is declared dead after
// Association.Max.Retrans unanswered ones: ABORT and an error close.
TEST_F(SctpMechanisms, UnansweredHeartbeatsAbort)
{
    Config::SetDefault("ns3::SctpSocket::HeartbeatInterval", TimeValue(Seconds(1)));
    Config::SetDefault("ns3::SctpSocket::AssociationMaxRetrans", UintegerValue(3));
    Session s;
    Simulator::Schedule(Seconds(0.5), [&] {
        s.link.toClient->SetPredicate([](const SeenPacket& p) { return p.HasChunk(sctp::CHUNK_HEARTBEAT_ACK); });
    });
    Simulator::Stop(Seconds(30));
    Simulator::Run();
    EXPECT_TRUE(s.client.errorClose);
    EXPECT_EQ(s.client.sock->GetState(), SCTP_CLOSED);
    EXPECT_EQ(s.client.sock->GetStats().heartbeatsSent, 4u); // 3 errors allowed, the 4th aborts
    EXPECT_TRUE(s.sink.errorClose); // the ABORT reached the peer
}

// Proves §8.3's back-off: each HEARTBEAT left unanswered doubles the path's
// RTO (capped at RTO.Max, 8 s here), so successive HEARTBEATs on an idle
// single-homed association are spaced HB.interval + RTO * (1 +- 0.5) with RTO
// 1, 2, 4, 8, 8, 8, 8 s; the first answered one sets RTO from its RTT again
// (1 s, RTO.Min) and the spacing after it is back to HB.interval + 1 s +- 50 %.
// Without the back-off every spacing stays within 1.5-2.5 s.
TEST_F(SctpMechanisms, UnansweredHeartbeatsBackOffTheRto)
{
    Config::SetDefault("ns3::SctpSocket::HeartbeatInterval", TimeValue(Seconds(1)));
    Config::SetDefault("ns3::SctpSocket::RtoMax", TimeValue(Seconds(8)));
    Config::SetDefault("ns3::SctpSocket::AssociationMaxRetrans", UintegerValue(100));
    Config::SetDefault("ns3::SctpSocket::PathMaxRetrans", UintegerValue(100));
    Session s;
    constexpr uint32_t kLost = 6; // the answers to the client's first 6 HEARTBEATs
    auto lost = std::make_shared<uint32_t>(0);
    s.link.toClient->SetPredicate([lost](const SeenPacket& p) {
        return p.HasChunk(sctp::CHUNK_HEARTBEAT_ACK) && (*lost)++ < kLost;
    });
    std::vector<double> rtos;
    Simulator::Schedule(Seconds(0.5), [&] {
        s.client.sock->TraceConnectWithoutContext(
            "RTO", MakeCallback(+[](std::vector<double>* v, Time, Time n) { v->push_back(n.GetSeconds()); })
                       .Bind(&rtos));
    });
    Simulator::Stop(Seconds(100));
    Simulator::Run();
    std::vector<double> hb; // the client's HEARTBEATs, as they reach the server
    for (const SeenPacket& p : s.link.toServer->seen)
    {
        if (p.HasChunk(sctp::CHUNK_HEARTBEAT))
        {
            hb.push_back(p.at.GetSeconds());
        }
    }
    ASSERT_GE(hb.size(), kLost + 4);
    for (size_t k = 0; k + 1 < hb.size(); ++k)
    {
        // The timer that sent HEARTBEAT k+1 was set when k went, with the RTO
        // after k's back-off: k lost ones before it (and none once one is answered).
        double rto = k <= kLost ? std::min(std::ldexp(1.0, int(k)), 8.0) : 1.0;
        double gap = hb[k + 1] - hb[k] - 1.0; // less HB.interval
        EXPECT_GE(gap, 0.5 * rto - 1e-6) << "HEARTBEAT " << k;
        EXPECT_LE(gap, 1.5 * rto + 1e-6) << "HEARTBEAT " << k;
    }
    EXPECT_EQ(rtos, (std::vector<double>{2, 4, 8, 1})); // doubled, capped, measured again
    EXPECT_EQ(s.client.sock->GetState(), SCTP_ESTABLISHED);
    EXPECT_EQ(s.client.sock->GetPrimaryPath().errorCount, 0u);
}

// The path MTU comes from the outgoing device: with a 600-byte MTU, DATA
// chunks carry at most 600 - 20 - 12 - 16 bytes.
TEST_F(SctpMechanisms, FragmentsFollowTheDeviceMtu)
{
    Link link;
    link.devices.Get(0)->SetMtu(600);
    link.devices.Get(1)->SetMtu(600);
    Sink sink;
    Client client;
    sink.Start(link.Server(), 5000);
    Simulator::Schedule(Seconds(0), [&] { client.Start(link.Client(), link.ServerAddress(5000)); });
    Simulator::Schedule(Seconds(0.5), [&] { client.sock->Send(Pattern(5000, 3)); });
    Simulator::Stop(Seconds(2));
    Simulator::Run();
    ASSERT_EQ(sink.got.size(), 1u);
    EXPECT_TRUE(IsPattern(sink.got[0].data, 3));
    EXPECT_EQ(client.sock->GetPrimaryPath().pmtu, 600u);
    size_t dataPackets = 0;
    for (const auto& p : link.toServer->seen)
    {
        EXPECT_LE(p.bytes.size(), 580u);
        dataPackets += !p.Tsns().empty();
    }
    EXPECT_EQ(dataPackets, (5000 + 551) / 552); // ceil(5000 / 552)
}

// Socket API details: partial Recv keeps the rest of the message and says
// so; names; a busy port; Send after Close; oversize messages refused.
TEST_F(SctpMechanisms, SocketApiDetails)
{
    Config::SetDefault("ns3::SctpSocket::SndBufSize", UintegerValue(10000));
    Session s;
    s.sink.readEnabled = false;
    Simulator::Schedule(Seconds(0.3), [&] {
        EXPECT_EQ(s.client.sock->Send(Pattern(10001, 0)), -1);
        EXPECT_EQ(s.client.sock->GetErrno(), Socket::ERROR_MSGSIZE);
        EXPECT_EQ(s.client.sock->Send(Pattern(1000, 1)), 1000);
    });
    Simulator::Stop(Seconds(1));
    Simulator::Run();
    ASSERT_TRUE(s.sink.conn);
    EXPECT_EQ(s.sink.conn->GetRxAvailable(), 1000u);
    Ptr<Packet> head = s.sink.conn->Recv(300, 0);
    ASSERT_TRUE(head);
    SctpStreamTag tag;
    ASSERT_TRUE(head->PeekPacketTag(tag));
    EXPECT_FALSE(tag.IsEndOfRecord());
    EXPECT_EQ(head->GetSize(), 300u);
    Ptr<Packet> rest = s.sink.conn->Recv();
    ASSERT_TRUE(rest);
    ASSERT_TRUE(rest->PeekPacketTag(tag));
    EXPECT_TRUE(tag.IsEndOfRecord());
    std::vector<uint8_t> all(1000);
    head->CopyData(all.data(), 300);
    rest->CopyData(all.data() + 300, 700);
    EXPECT_TRUE(IsPattern(all, 1));
    EXPECT_FALSE(s.sink.conn->Recv());
    EXPECT_EQ(s.sink.conn->GetErrno(), Socket::ERROR_AGAIN);

    Address peer;
    Address local;
    ASSERT_EQ(s.sink.conn->GetPeerName(peer), 0);
    ASSERT_EQ(s.client.sock->GetSockName(local), 0);
    EXPECT_EQ(InetSocketAddress::ConvertFrom(peer).GetIpv4(), s.link.ifaces.GetAddress(0));
    EXPECT_EQ(InetSocketAddress::ConvertFrom(peer).GetPort(), InetSocketAddress::ConvertFrom(local).GetPort());

    Ptr<Socket> busy = SctpHelper::CreateSocket(s.link.Server());
    EXPECT_EQ(busy->Bind(InetSocketAddress(Ipv4Address::GetAny(), 5000)), -1);
    EXPECT_EQ(busy->GetErrno(), Socket::ERROR_ADDRINUSE);
    // IPv6 has its own end points (as in ns-3 TCP): port 5000 is taken only for IPv4.
    EXPECT_EQ(busy->Bind(Inet6SocketAddress(Ipv6Address::GetAny(), 5000)), 0);
    EXPECT_EQ(busy->Bind6(), -1); // already bound
    EXPECT_EQ(busy->GetErrno(), Socket::ERROR_INVAL);

    s.client.sock->Close();
    EXPECT_EQ(s.client.sock->Send(Pattern(10, 2)), -1);
    EXPECT_EQ(s.client.sock->GetErrno(), Socket::ERROR_SHUTDOWN);
}
