// Multihoming (RFC 9260 §5.1.2, §5.4, §6.4, §8.2, §8.3) over IPv4: two nodes
// joined by two point-to-point links on two subnets, both ends bound to both
// of their addresses with SctpSocket::BindAddresses. Link 0 carries the
// primary path (the client connects to the server's address on it).
#include "sctp_test_util.h"

#include "sctp/sctp-cookie.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>

using namespace ns3;
using namespace sipim_test;

namespace
{

constexpr uint16_t kPort = 5000;

/// Node 0 (client): 10.1.1.1 on link 0, 10.1.2.1 on link 1; node 1 (server):
/// 10.1.1.2 and 10.1.2.2 (with ipv6: 2001:db8:1::1, 2001:db8:2::1 and
/// 2001:db8:1::2, 2001:db8:2::2 instead). rx[l][n] sees (and, while down[l],
/// drops) every SCTP packet node n receives on link l: a link is cut both
/// ways at once.
struct TwoLinks
{
    NodeContainer nodes;
    NetDeviceContainer dev[2];
    Ipv4InterfaceContainer ifs[2];
    Ipv6InterfaceContainer ifs6[2];
    bool ipv6 = false;
    Ptr<SctpDropModel> rx[2][2];
    std::shared_ptr<std::array<bool, 2>> down = std::make_shared<std::array<bool, 2>>();

    explicit TwoLinks(bool v6 = false)
        : ipv6(v6)
    {
        nodes.Create(2);
        PointToPointHelper p2p;
        p2p.SetDeviceAttribute("DataRate", StringValue("10Mbps"));
        p2p.SetChannelAttribute("Delay", StringValue("10ms"));
        for (int l = 0; l < 2; ++l)
        {
            dev[l] = p2p.Install(nodes);
        }
        InternetStackHelper().Install(nodes);
        SctpHelper sctp;
        sctp.Install(nodes);
        sctp.AssignStreams(nodes, 1);
        if (ipv6)
        {
            Ipv6AddressHelper addr6;
            addr6.SetBase(Ipv6Address("2001:db8:1::"), Ipv6Prefix(64));
            ifs6[0] = addr6.Assign(dev[0]);
            addr6.SetBase(Ipv6Address("2001:db8:2::"), Ipv6Prefix(64));
            ifs6[1] = addr6.Assign(dev[1]);
        }
        else
        {
            Ipv4AddressHelper addr;
            addr.SetBase("10.1.1.0", "255.255.255.0");
            ifs[0] = addr.Assign(dev[0]);
            addr.SetBase("10.1.2.0", "255.255.255.0");
            ifs[1] = addr.Assign(dev[1]);
        }
        for (int l = 0; l < 2; ++l)
        {
            for (int n = 0; n < 2; ++n)
            {
                rx[l][n] = CreateObject<SctpDropModel>();
                auto d = down;
                rx[l][n]->SetPredicate([d, l](const SeenPacket&) { return (*d)[l]; });
                dev[l].Get(n)->SetAttribute("ReceiveErrorModel", PointerValue(rx[l][n]));
            }
        }
    }
    Ipv4Address Addr(int node, int link) const
    {
        return ifs[link].GetAddress(node);
    }
    std::vector<Ipv4Address> Both(int node) const
    {
        return {Addr(node, 0), Addr(node, 1)};
    }
    /// Node's global IPv6 address on the link (index 0 is the link-local one).
    Ipv6Address Addr6(int node, int link) const
    {
        return ifs6[link].GetAddress(node, 1);
    }
    std::vector<Ipv6Address> Both6(int node) const
    {
        return {Addr6(node, 0), Addr6(node, 1)};
    }
    /// The node's address on the link in the links' IP version.
    SctpIpAddress Ip(int node, int link) const
    {
        return ipv6 ? SctpIpAddress(Addr6(node, link)) : SctpIpAddress(Addr(node, link));
    }
    /// DATA packets node n received on link l at or after t.
    size_t DataPackets(int l, int n, Time t = Time(0)) const
    {
        size_t k = 0;
        for (const SeenPacket& s : rx[l][n]->seen)
        {
            k += s.at >= t && s.HasChunk(sctp::CHUNK_DATA);
        }
        return k;
    }
    size_t Chunks(int l, int n, uint8_t type, Time from = Time(0), Time to = Seconds(1e9)) const
    {
        size_t k = 0;
        for (const SeenPacket& s : rx[l][n]->seen)
        {
            k += s.at >= from && s.at < to && s.HasChunk(type);
        }
        return k;
    }
};

/// A multihomed (or, with multi false, an any-bound single-homed) server and
/// client over TwoLinks; the client sends n numbered messages on 4 streams,
/// one per tick, as far as its send buffer allows (never refused).
struct MultiSession
{
    TwoLinks net;
    Sink sink;
    Client client;
    std::vector<std::pair<Time, std::pair<Address, bool>>> pathEvents; // the client's
    uint32_t toSend = 0;
    uint32_t sent = 0;
    Time tick = MilliSeconds(10);
    uint32_t size = 1000;

    explicit MultiSession(bool multi = true, bool multiServer = true, bool ipv6 = false)
        : net(ipv6)
    {
        sink.listener = DynamicCast<SctpSocket>(SctpHelper::CreateSocket(net.nodes.Get(1)));
        int rc;
        if (multi && multiServer)
        {
            rc = ipv6 ? sink.listener->BindAddresses(net.Both6(1), kPort)
                      : sink.listener->BindAddresses(net.Both(1), kPort);
        }
        else
        {
            rc = ipv6 ? sink.listener->Bind(Inet6SocketAddress(Ipv6Address::GetAny(), kPort))
                      : sink.listener->Bind(InetSocketAddress(Ipv4Address::GetAny(), kPort));
        }
        EXPECT_EQ(rc, 0);
        sink.listener->Listen();
        sink.listener->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                                         MakeCallback(&Sink::Accepted, &sink));
        Simulator::Schedule(Seconds(0.1), [this, multi] {
            client.sock = DynamicCast<SctpSocket>(SctpHelper::CreateSocket(net.nodes.Get(0)));
            if (multi)
            {
                EXPECT_EQ(net.ipv6 ? client.sock->BindAddresses(net.Both6(0), 0)
                                   : client.sock->BindAddresses(net.Both(0), 0),
                          0);
            }
            client.sock->SetConnectCallback(MakeCallback(&Client::Ok, &client),
                                            MakeCallback(&Client::Fail, &client));
            client.sock->SetCloseCallbacks(MakeCallback(&Client::Normal, &client),
                                           MakeCallback(&Client::Error, &client));
            client.sock->TraceConnectWithoutContext(
                "PathState",
                MakeCallback(&MultiSession::PathState, this));
            client.sock->TraceConnectWithoutContext("State",
                                                    MakeCallback(&MultiSession::StateChange, this));
            if (net.ipv6)
            {
                client.sock->Connect(Inet6SocketAddress(net.Addr6(1, 0), kPort));
            }
            else
            {
                client.sock->Connect(InetSocketAddress(net.Addr(1, 0), kPort));
            }
        });
    }
    void PathState(Address a, bool active)
    {
        pathEvents.push_back({Simulator::Now(), {a, active}});
        primaryErrorsAtEvent.push_back(client.sock->GetPath(0).errorCount);
    }
    std::vector<uint32_t> primaryErrorsAtEvent;
    Time closedAt;
    void StateChange(SctpState, SctpState now)
    {
        if (now == SCTP_CLOSED)
        {
            closedAt = Simulator::Now();
        }
    }
    void StartSending(Time at, uint32_t n)
    {
        toSend = n;
        Simulator::Schedule(at, &MultiSession::Tick, this);
    }
    void Tick()
    {
        if (!client.sock || client.sock->GetState() != SCTP_ESTABLISHED)
        {
            return; // closed (or closing): Send would refuse
        }
        if (sent < toSend && client.sock->GetTxAvailable() >= size)
        {
            EXPECT_EQ(client.sock->SendMsg(Numbered(size, sent), uint16_t(sent % 4), false),
                      int(size));
            ++sent;
        }
        if (sent < toSend)
        {
            Simulator::Schedule(tick, &MultiSession::Tick, this);
        }
    }
    /// Every message arrived once, in order within its stream.
    void ExpectAllInOrder() const
    {
        ASSERT_EQ(sink.got.size(), toSend);
        std::map<uint16_t, uint32_t> last;
        for (const Received& r : sink.got)
        {
            uint32_t k = NumberOf(r.data);
            EXPECT_EQ(r.sid, k % 4);
            auto it = last.find(r.sid);
            if (it != last.end())
            {
                EXPECT_EQ(k, it->second + 4) << "stream " << r.sid << " out of order";
            }
            last[r.sid] = k;
        }
    }
    bool SawPathEvent(const SctpIpAddress& ip, bool active, Time* at = nullptr) const
    {
        const Address a = std::visit([](const auto& x) { return Address(x); }, ip);
        for (const auto& [t, e] : pathEvents)
        {
            if (e.first == a && e.second == active)
            {
                if (at)
                {
                    *at = t;
                }
                return true;
            }
        }
        return false;
    }
};

/// Common settings: heartbeats every second and RTO.Max 2 s keep the
/// failover within a few simulated seconds; Path.Max.Retrans stays at 5.
void
FastTimers()
{
    Config::SetDefault("ns3::SctpSocket::HeartbeatInterval", TimeValue(Seconds(1)));
    Config::SetDefault("ns3::SctpSocket::RtoMax", TimeValue(Seconds(2)));
}

sctp::InitChunk
FirstInit(const TwoLinks& net, int link, int node, uint8_t type, std::vector<uint8_t>& keep)
{
    sctp::InitChunk init;
    for (const SeenPacket& s : net.rx[link][node]->seen)
    {
        for (const auto& c : s.view.chunks)
        {
            if (c.type == type)
            {
                keep = s.bytes; // the views point into the packet's bytes
                sctp::PacketView v;
                sctp::ParsePacket(keep.data(), keep.size(), v, false);
                for (const auto& cc : v.chunks)
                {
                    if (cc.type == type)
                    {
                        EXPECT_TRUE(sctp::DecodeInit(cc, init).Ok());
                        return init;
                    }
                }
            }
        }
    }
    ADD_FAILURE() << "no chunk of type " << int(type) << " on link " << link;
    return init;
}

/// Node `node` gets, in place of the first INIT / INIT ACK (`type`) it
/// receives on link 0, a copy with `params` inserted (see sipim_test's).
void
InsertInitParams(TwoLinks& net, int node, uint8_t type, std::vector<uint8_t> params)
{
    sipim_test::InsertInitParams(net.rx[0][node],
                                 net.nodes.Get(node),
                                 1,
                                 net.Addr(1 - node, 0),
                                 net.Addr(node, 0),
                                 type,
                                 std::move(params));
}

/// Runs 50 messages over the association (5 s): all arrive, both ends have
/// both paths, confirmed, and the INIT ACK listed both server addresses.
void
RunAndExpectTwoConfirmedPathsEachSide(MultiSession& m)
{
    m.StartSending(Seconds(0.5), 50);
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    EXPECT_EQ(m.sink.got.size(), 50u);
    ASSERT_TRUE(m.client.connected);
    ASSERT_TRUE(m.sink.conn);
    for (auto [sock, peer] : {std::pair{m.client.sock, 1}, std::pair{m.sink.conn, 0}})
    {
        ASSERT_EQ(sock->GetPathCount(), 2u);
        EXPECT_EQ(sock->GetPath(1).address, SctpIpAddress(m.net.Addr(peer, 1)));
        EXPECT_TRUE(sock->GetPath(1).confirmed);
    }
    std::vector<uint8_t> keep;
    sctp::InitChunk ack = FirstInit(m.net, 0, 0, sctp::CHUNK_INIT_ACK, keep);
    EXPECT_EQ(ack.ipv4Addresses,
              (std::vector<uint32_t>{m.net.Addr(1, 0).Get(), m.net.Addr(1, 1).Get()}));
}


} // namespace

/// Every test: fast timers before, a clean simulator and defaults after.
class SctpMultihoming : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        FastTimers();
    }
    void TearDown() override
    {
        Simulator::Destroy();
        Config::Reset();
    }
};

namespace
{

/// The peer addresses an INIT / INIT ACK lists, of one IP version.
std::vector<SctpIpAddress>
Listed(const sctp::InitChunk& init, bool ipv6)
{
    std::vector<SctpIpAddress> out;
    for (uint32_t a : init.ipv4Addresses)
    {
        if (!ipv6)
        {
            out.emplace_back(Ipv4Address(a));
        }
    }
    for (std::array<uint8_t, 16> a : init.ipv6Addresses)
    {
        if (ipv6)
        {
            out.emplace_back(Ipv6Address(a.data()));
        }
    }
    return out;
}

// (The body of the tests for IPv4 and IPv6.) Proves §5.1.2 / §3.3.2.1: a
// multihomed INIT and INIT ACK list both of their sender's addresses as IPv4
// (IPv6) Address parameters, the cookie (now carrying the client's second
// address) verifies, and each side ends with two paths, the
// address it connected to / heard from first as the primary, the other
// confirmed by a HEARTBEAT (§5.4). No DATA goes to the secondary meanwhile.
void
HandshakeListsBothAddresses(bool ipv6)
{
    MultiSession m(true, true, ipv6);
    m.StartSending(Seconds(0.5), 50);
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    ASSERT_TRUE(m.client.connected);
    ASSERT_TRUE(m.sink.conn);
    std::vector<uint8_t> k1, k2;
    sctp::InitChunk init = FirstInit(m.net, 0, 1, sctp::CHUNK_INIT, k1);
    EXPECT_EQ(Listed(init, ipv6), (std::vector<SctpIpAddress>{m.net.Ip(0, 0), m.net.Ip(0, 1)}));
    sctp::InitChunk ack = FirstInit(m.net, 0, 0, sctp::CHUNK_INIT_ACK, k2);
    EXPECT_EQ(Listed(ack, ipv6), (std::vector<SctpIpAddress>{m.net.Ip(1, 0), m.net.Ip(1, 1)}));
    // Only the association's own version is listed (no mixed associations).
    EXPECT_TRUE(Listed(init, !ipv6).empty() && Listed(ack, !ipv6).empty());
    // One extra peer address: version 3 (IPv4) or 4 (IPv6).
    EXPECT_EQ(ack.cookieLen, ipv6 ? sctp::kCookie6Size + 16u : sctp::kCookieSize + 4u);
    EXPECT_EQ(ack.cookie[0], ipv6 ? 4 : 3);
    for (auto [sock, peer] : {std::pair{m.client.sock, 1}, std::pair{m.sink.conn, 0}})
    {
        ASSERT_EQ(sock->GetPathCount(), 2u);
        EXPECT_EQ(sock->GetPath(0).address, m.net.Ip(peer, 0));
        EXPECT_EQ(sock->GetPath(1).address, m.net.Ip(peer, 1));
        EXPECT_EQ(sock->GetPath(1).local, m.net.Ip(1 - peer, 1));
        EXPECT_TRUE(sock->GetPath(1).confirmed);
        EXPECT_TRUE(sock->GetPath(0).active && sock->GetPath(1).active);
        EXPECT_EQ(sock->GetDataPathIndex(), 0u);
    }
    EXPECT_EQ(m.sink.got.size(), 50u);
    EXPECT_EQ(m.net.DataPackets(1, 1), 0u) << "DATA on the secondary link";
    EXPECT_GT(m.net.DataPackets(0, 1), 0u);
}

} // namespace

TEST_F(SctpMultihoming, InitAndInitAckCarryBothAddressesAndBothSidesHaveTwoPaths)
{
    HandshakeListsBothAddresses(false);
}

// The same over IPv6 (IPv6 Address parameters, cookie version 4). Failed
// before IPv6 multihoming: the parameters were ignored, one path each side.
TEST_F(SctpMultihoming, Ipv6InitAndInitAckCarryBothAddressesAndBothSidesHaveTwoPaths)
{
    HandshakeListsBothAddresses(true);
}

// Proves §8.3: while data flows on the primary, the idle secondary path gets
// HEARTBEATs (about one per HB.interval + RTO) and the busy primary none.
TEST_F(SctpMultihoming, HeartbeatsGoToTheIdleSecondaryPath)
{
    MultiSession m;
    m.StartSending(Seconds(0.5), 1000); // 10 s of data on the primary
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    ASSERT_TRUE(m.client.connected);
    size_t hbSecondary = m.net.Chunks(1, 1, sctp::CHUNK_HEARTBEAT, Seconds(1), Seconds(10));
    size_t hbPrimary = m.net.Chunks(0, 1, sctp::CHUNK_HEARTBEAT, Seconds(1), Seconds(10));
    EXPECT_GE(hbSecondary, 3u);
    EXPECT_EQ(hbPrimary, 0u);
    EXPECT_GE(m.net.Chunks(1, 0, sctp::CHUNK_HEARTBEAT_ACK), hbSecondary); // answered on link 1
    EXPECT_EQ(m.net.DataPackets(1, 1), 0u);
    EXPECT_EQ(m.client.sock->GetPath(1).errorCount, 0u);
}

namespace
{

// (The body of the tests for IPv4 and IPv6.) Proves §6.4.1, §8.2 and §8.1: the primary link dies (both ways) mid-transfer;
// T3 retransmissions go to the secondary at once, the primary is marked
// inactive after Path.Max.Retrans (5) consecutive errors (PathState trace),
// all new data then takes the secondary, every message arrives once and in
// order per stream, and the association is not aborted.
void
PrimaryFailsOver(bool ipv6)
{
    MultiSession m(true, true, ipv6);
    m.StartSending(Seconds(0.5), 1500); // 15 s of messages
    Simulator::Schedule(Seconds(3), [&] { (*m.net.down)[0] = true; });
    Simulator::Stop(Seconds(60));
    Simulator::Run();
    ASSERT_TRUE(m.client.connected);
    EXPECT_FALSE(m.client.errorClose) << "association aborted";
    EXPECT_NE(m.client.sock->GetState(), SCTP_CLOSED);
    m.ExpectAllInOrder();
    Time inactiveAt;
    ASSERT_TRUE(m.SawPathEvent(m.net.Ip(1, 0), false, &inactiveAt));
    EXPECT_GT(inactiveAt, Seconds(3));
    EXPECT_EQ(m.primaryErrorsAtEvent.front(), 6u); // Path.Max.Retrans + 1
    EXPECT_FALSE(m.SawPathEvent(m.net.Ip(1, 0), true));
    EXPECT_EQ(m.client.sock->GetDataPathIndex(), 1u);
    EXPECT_GT(m.net.DataPackets(1, 1, Seconds(3)), 100u) << "data did not move to link 1";
    // A retransmission after the first T3 already took link 1, before the
    // primary was given up (§6.4.1).
    EXPECT_GT(m.net.DataPackets(1, 1, Seconds(3)) - m.net.DataPackets(1, 1, inactiveAt), 0u);
    // The errors are T3 expirations on the primary and, while retransmissions
    // hold new data back, unanswered HEARTBEATs to it (it is idle then).
    EXPECT_GE(m.client.sock->GetStats().t3Expirations, 1u);
}

} // namespace

TEST_F(SctpMultihoming, PrimaryLinkFailsMidTransferDataFailsOverToSecondary)
{
    PrimaryFailsOver(false);
}

// The same over IPv6. Failed before IPv6 multihoming: one path, no failover.
TEST_F(SctpMultihoming, Ipv6PrimaryLinkFailsMidTransferDataFailsOverToSecondary)
{
    PrimaryFailsOver(true);
}

namespace
{

// (The body of the tests for IPv4 and IPv6.) Proves §8.3: when the failed primary link comes back, a HEARTBEAT ACK on it
// marks it active again (PathState trace) and new data returns to it.
void
RecoveredPrimaryTakesDataBack(bool ipv6)
{
    MultiSession m(true, true, ipv6);
    m.StartSending(Seconds(0.5), 3000); // 30 s of messages
    Simulator::Schedule(Seconds(3), [&] { (*m.net.down)[0] = true; });
    Simulator::Schedule(Seconds(20), [&] { (*m.net.down)[0] = false; });
    Simulator::Stop(Seconds(60));
    Simulator::Run();
    ASSERT_TRUE(m.client.connected);
    EXPECT_FALSE(m.client.errorClose);
    m.ExpectAllInOrder();
    Time downAt, upAt;
    ASSERT_TRUE(m.SawPathEvent(m.net.Ip(1, 0), false, &downAt));
    ASSERT_TRUE(m.SawPathEvent(m.net.Ip(1, 0), true, &upAt));
    EXPECT_LT(downAt, Seconds(20));
    EXPECT_GE(upAt, Seconds(20));
    EXPECT_LT(upAt, Seconds(24)); // within HB.interval + RTO (+ jitter)
    EXPECT_EQ(m.client.sock->GetDataPathIndex(), 0u);
    // After the recovery new data flows on link 0 again, and link 1 goes quiet.
    EXPECT_GT(m.net.DataPackets(0, 1, upAt + Seconds(1)), 100u);
    EXPECT_EQ(m.net.DataPackets(1, 1, upAt + Seconds(1)), 0u);
    EXPECT_GT(m.net.DataPackets(1, 1, downAt), 0u); // and it had moved to link 1
}

} // namespace

TEST_F(SctpMultihoming, RecoveredPrimaryTakesTheDataBack)
{
    RecoveredPrimaryTakesDataBack(false);
}

// The same over IPv6. Failed before IPv6 multihoming: one path, no failover.
TEST_F(SctpMultihoming, Ipv6RecoveredPrimaryTakesTheDataBack)
{
    RecoveredPrimaryTakesDataBack(true);
}

// Proves §8.1 counted across paths: with both links dead, the association
// is aborted (error close, ERROR_NOROUTETOHOST) after Association.Max.Retrans
// errors, as a single-homed one is, the primary marked inactive on the way.
// HEARTBEATs are pushed out to 1000 s once both paths are confirmed, so the
// errors that abort are the T3 expiries on both paths: 11 of them (RTO.Max
// 2 s) within about 25 s of the cut.
TEST_F(SctpMultihoming, BothLinksFailAbortsAfterAssociationMaxRetrans)
{
    MultiSession m;
    m.StartSending(Seconds(0.5), 1000);
    Simulator::Schedule(Seconds(2.5), [&] {
        ASSERT_TRUE(m.client.sock->GetPath(1).confirmed);
        m.client.sock->SetAttribute("HeartbeatInterval", TimeValue(Seconds(1000)));
    });
    Simulator::Schedule(Seconds(3), [&] {
        (*m.net.down)[0] = true;
        (*m.net.down)[1] = true;
    });
    Simulator::Stop(Seconds(120));
    Simulator::Run();
    ASSERT_TRUE(m.client.connected);
    EXPECT_TRUE(m.client.errorClose);
    EXPECT_EQ(m.client.sock->GetState(), SCTP_CLOSED);
    EXPECT_EQ(m.client.sock->GetErrno(), Socket::ERROR_NOROUTETOHOST);
    EXPECT_TRUE(m.SawPathEvent(m.net.Addr(1, 0), false));
    EXPECT_LT(m.sink.got.size(), 1000u);
    EXPECT_GT(m.closedAt, Seconds(3));
    EXPECT_LT(m.closedAt, Seconds(40));
    // Association.Max.Retrans = 10: the 11th consecutive error aborts.
    EXPECT_EQ(m.client.sock->GetStats().t3Expirations, 11u);
}

// Proves §5.4 with §8.3's back-off: an unconfirmed address that does not
// answer is probed at once and then once per RTO, the RTO doubling with each
// unanswered probe up to RTO.Max (8 s here): probes 1, 2, 4, 8, 8 s apart
// (no jitter for unconfirmed addresses). When link 1 comes back the next
// probe is answered, the path is confirmed and its RTO measured again, and
// its HEARTBEATs go at the confirmed pace, HB.interval + RTO (1 s) +- 50 %.
TEST_F(SctpMultihoming, UnansweredProbesOfAnUnconfirmedAddressBackOff)
{
    Config::SetDefault("ns3::SctpSocket::RtoMax", TimeValue(Seconds(8)));
    MultiSession m;
    (*m.net.down)[1] = true; // link 1 cut from the start
    Simulator::Schedule(Seconds(25), [&] { (*m.net.down)[1] = false; });
    Simulator::Stop(Seconds(45));
    Simulator::Run();
    ASSERT_TRUE(m.client.connected);
    std::vector<double> probes; // the client's HEARTBEATs to the server's second address
    for (const SeenPacket& p : m.net.rx[1][1]->seen)
    {
        if (p.HasChunk(sctp::CHUNK_HEARTBEAT))
        {
            probes.push_back(p.at.GetSeconds());
        }
    }
    ASSERT_GE(probes.size(), 8u);
    const std::vector<double> backedOff{1, 2, 4, 8, 8};
    for (size_t k = 0; k < backedOff.size(); ++k)
    {
        EXPECT_NEAR(probes[k + 1] - probes[k], backedOff[k], 1e-6) << "probe " << k;
    }
    // Probe 5 (at about 23.1 s) is lost too; probe 6 (about 31.1 s) is answered.
    EXPECT_LT(probes[5], 25.0);
    EXPECT_GT(probes[6], 25.0);
    EXPECT_TRUE(m.client.sock->GetPath(1).confirmed);
    EXPECT_EQ(m.client.sock->GetPath(1).rto, Seconds(1));
    for (size_t k = 6; k + 1 < probes.size(); ++k)
    {
        // Less HB.interval; after probe 6 the timer starts at its ACK (+ 0.05).
        double gap = probes[k + 1] - probes[k] - 1.0;
        EXPECT_GE(gap, 0.5 - 1e-6) << "HEARTBEAT " << k;
        EXPECT_LE(gap, 1.5 + 0.05) << "HEARTBEAT " << k;
    }
}

// Proves §3.3.2.1.4 / §5.1.2 at the association: an INIT that lists Supported
// Address Types (IPv4) before its IPv4 Address parameters, as Linux sends it,
// still gives the server both of the client's addresses as paths (before,
// the parameter's type, 12, upper bits 00, stopped the INIT's processing and
// the addresses after it were lost: one path), both confirmed, and the INIT
// ACK lists the server's two IPv4 addresses.
TEST_F(SctpMultihoming, InitWithSupportedAddressTypesStillGivesBothPaths)
{
    MultiSession m;
    InsertInitParams(m.net, 1, sctp::CHUNK_INIT, Param(sctp::PARAM_SUPPORTED_ADDRESS_TYPES, {0, 5}));
    RunAndExpectTwoConfirmedPathsEachSide(m);
    EXPECT_EQ(m.sink.listener->GetStats().initParamsMalformed, 0u);
}

// Proves §5.1.2's implementation note: a peer listing only IPv6 in Supported
// Address Types but sending its INIT over IPv4 (and listing IPv4 addresses)
// supports IPv4 too, so the INIT ACK still lists the server's IPv4
// addresses (no address withheld, no "Unresolvable Address" ABORT) and both
// ends get both paths.
TEST_F(SctpMultihoming, InitListingOnlyIpv6StillGetsTheIpv4Addresses)
{
    MultiSession m;
    InsertInitParams(m.net, 1, sctp::CHUNK_INIT, Param(sctp::PARAM_SUPPORTED_ADDRESS_TYPES, {0, 6}));
    RunAndExpectTwoConfirmedPathsEachSide(m);
}

// Proves that address parameters this model cannot use are counted and the
// rest still read, in the INIT (at the listener) and the INIT ACK (at the
// client): an IPv6 Address parameter (type 6, length 20; no IPv6 or mixed
// multihoming) is counted in peerAddressesIgnored, an IPv4 Address
// parameter of length 12 in initParamsMalformed (and logged), neither
// stopping the IPv4 Address parameters after them: both ends get both paths.
TEST_F(SctpMultihoming, Ipv6AndMalformedAddressParametersAreCountedNotFatal)
{
    MultiSession m;
    std::vector<uint8_t> extra = Param(sctp::PARAM_IPV6_ADDRESS, std::vector<uint8_t>(16, 0x20));
    std::vector<uint8_t> bad = Param(sctp::PARAM_IPV4_ADDRESS, {10, 9, 9, 9, 0, 0, 0, 0});
    extra.insert(extra.end(), bad.begin(), bad.end());
    InsertInitParams(m.net, 1, sctp::CHUNK_INIT, extra);
    InsertInitParams(m.net, 0, sctp::CHUNK_INIT_ACK, extra);
    RunAndExpectTwoConfirmedPathsEachSide(m);
    for (Ptr<SctpSocket> s : {m.sink.listener, m.client.sock})
    {
        EXPECT_EQ(s->GetStats().peerAddressesIgnored, 1u);
        EXPECT_EQ(s->GetStats().initParamsMalformed, 1u);
    }
    EXPECT_EQ(m.sink.conn->GetPath(1).address, SctpIpAddress(m.net.Addr(0, 1))); // not 10.9.9.9
}

// Proves multihoming is opt-in: sockets bound the usual way (any address) on
// the same two-link nodes make a single-homed association exactly as before:
// no address parameters in INIT / INIT ACK (INIT chunk of 20 bytes), the
// 92-byte cookie, one path each side, nothing on the second link.
TEST_F(SctpMultihoming, SingleHomedAssociationIsUnchanged)
{
    MultiSession m(false);
    m.StartSending(Seconds(0.5), 100);
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    ASSERT_TRUE(m.client.connected);
    std::vector<uint8_t> k1, k2;
    sctp::InitChunk init = FirstInit(m.net, 0, 1, sctp::CHUNK_INIT, k1);
    EXPECT_TRUE(init.ipv4Addresses.empty());
    for (const SeenPacket& s : m.net.rx[0][1]->seen)
    {
        if (s.HasChunk(sctp::CHUNK_INIT))
        {
            EXPECT_EQ(s.view.chunks[0].length, 20u);
        }
    }
    sctp::InitChunk ack = FirstInit(m.net, 0, 0, sctp::CHUNK_INIT_ACK, k2);
    EXPECT_TRUE(ack.ipv4Addresses.empty());
    EXPECT_EQ(ack.cookieLen, sctp::kCookieSize);
    EXPECT_EQ(m.client.sock->GetPathCount(), 1u);
    EXPECT_EQ(m.sink.conn->GetPathCount(), 1u);
    EXPECT_EQ(m.sink.got.size(), 100u);
    for (int n = 0; n < 2; ++n)
    {
        EXPECT_TRUE(m.net.rx[1][n]->seen.empty()) << "SCTP on the second link";
    }
    EXPECT_TRUE(m.pathEvents.empty());
}

// Proves a multihomed client works with a single-homed server: the server
// learns two paths from the INIT, the client has one (the INIT ACK lists
// nothing), and data flows.
TEST_F(SctpMultihoming, MultihomedClientSingleHomedServer)
{
    MultiSession m(true, false);
    m.StartSending(Seconds(0.5), 100);
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    ASSERT_TRUE(m.client.connected);
    EXPECT_EQ(m.client.sock->GetPathCount(), 1u);
    EXPECT_EQ(m.sink.conn->GetPathCount(), 2u);
    EXPECT_TRUE(m.sink.conn->GetPath(1).confirmed);
    EXPECT_EQ(m.sink.got.size(), 100u);
}

namespace
{

// (The body of the tests for IPv4 and IPv6.) Proves SetPrimaryPath (SCTP_PRIMARY_ADDR): moving the primary to the
// secondary address mid-transfer sends all new data over link 1 (and
// GetPeerName answers with it), moving it back returns the data to link 0,
// no message is lost or reordered; an address that is not the peer's is
// refused with ERROR_INVAL.
void
PrimaryPathMoves(bool ipv6)
{
    MultiSession m(true, true, ipv6);
    auto setPrimary = [&m](const SctpIpAddress& a) {
        return std::visit([&m](const auto& ip) { return m.client.sock->SetPrimaryPath(ip); }, a);
    };
    m.StartSending(Seconds(0.5), 800);
    int rcBogus = 0;
    Simulator::Schedule(Seconds(2), [&] {
        // Some DATA in flight on the old primary, so that its acknowledgement
        // must be booked to the path it was sent on after the swap.
        for (int i = 0; i < 5 && m.sent < m.toSend; ++i, ++m.sent)
        {
            m.client.sock->SendMsg(Numbered(m.size, m.sent), uint16_t(m.sent % 4), false);
        }
        rcBogus = ipv6 ? m.client.sock->SetPrimaryPath(Ipv6Address("2001:db8:9::9"))
                       : m.client.sock->SetPrimaryPath(Ipv4Address("10.9.9.9"));
        EXPECT_EQ(m.client.sock->GetErrno(), Socket::ERROR_INVAL);
        EXPECT_EQ(setPrimary(m.net.Ip(1, 1)), 0);
        EXPECT_EQ(m.client.sock->GetPath(0).address, m.net.Ip(1, 1));
        EXPECT_EQ(m.client.sock->GetPath(1).address, m.net.Ip(1, 0));
        Address peer;
        m.client.sock->GetPeerName(peer);
        if (ipv6)
        {
            EXPECT_EQ(Inet6SocketAddress::ConvertFrom(peer).GetIpv6(), m.net.Addr6(1, 1));
        }
        else
        {
            EXPECT_EQ(InetSocketAddress::ConvertFrom(peer).GetIpv4(), m.net.Addr(1, 1));
        }
    });
    Simulator::Schedule(Seconds(5), [&] { EXPECT_EQ(setPrimary(m.net.Ip(1, 0)), 0); });
    Simulator::Stop(Seconds(15));
    Simulator::Run();
    EXPECT_EQ(rcBogus, -1);
    m.ExpectAllInOrder();
    EXPECT_EQ(m.net.DataPackets(1, 1), m.net.DataPackets(1, 1, Seconds(2)));
    EXPECT_GT(m.net.DataPackets(1, 1, Seconds(2)) - m.net.DataPackets(1, 1, Seconds(5)), 100u);
    EXPECT_EQ(m.net.DataPackets(0, 1, Seconds(2.1)) - m.net.DataPackets(0, 1, Seconds(5)), 0u);
    EXPECT_EQ(m.net.DataPackets(1, 1, Seconds(5.1)), 0u);
    EXPECT_GT(m.net.DataPackets(0, 1, Seconds(5)), 100u);
    EXPECT_FALSE(m.client.errorClose);
    EXPECT_TRUE(m.pathEvents.empty());
    for (size_t i = 0; i < 2; ++i)
    {
        EXPECT_EQ(m.client.sock->GetPath(i).flightSize, 0u) << "path " << i;
    }
}

} // namespace

TEST_F(SctpMultihoming, SetPrimaryPathMovesTheData)
{
    PrimaryPathMoves(false);
}

// The same over IPv6 (SetPrimaryPath(Ipv6Address)).
TEST_F(SctpMultihoming, Ipv6SetPrimaryPathMovesTheData)
{
    PrimaryPathMoves(true);
}

// Proves BindAddresses refuses what it cannot honour, with the socket error
// that says why, and that one address is an ordinary bind.
TEST_F(SctpMultihoming, BindAddressesErrors)
{
    TwoLinks net;
    auto make = [&] { return DynamicCast<SctpSocket>(SctpHelper::CreateSocket(net.nodes.Get(0))); };
    Ptr<SctpSocket> s = make();
    EXPECT_EQ(s->BindAddresses(std::vector<Ipv4Address>{}, 0), -1);
    EXPECT_EQ(s->GetErrno(), Socket::ERROR_INVAL);
    EXPECT_EQ(s->BindAddresses({net.Addr(0, 0), net.Addr(0, 0)}, 0), -1);
    EXPECT_EQ(s->GetErrno(), Socket::ERROR_INVAL);
    EXPECT_EQ(s->BindAddresses({net.Addr(0, 0), net.Addr(1, 1)}, 0), -1); // the server's
    EXPECT_EQ(s->GetErrno(), Socket::ERROR_ADDRNOTAVAIL);
    EXPECT_EQ(s->BindAddresses(net.Both(0), 7000), 0);
    EXPECT_EQ(s->BindAddresses(net.Both(0), 7001), -1); // already bound
    Ptr<SctpSocket> t = make();
    EXPECT_EQ(t->BindAddresses({net.Addr(0, 1)}, 7000), -1); // port taken there
    EXPECT_EQ(t->GetErrno(), Socket::ERROR_ADDRINUSE);
    Ptr<SctpSocket> u = make();
    EXPECT_EQ(u->BindAddresses({net.Addr(0, 1)}, 7002), 0);
    Address a;
    u->GetSockName(a);
    EXPECT_EQ(InetSocketAddress::ConvertFrom(a).GetIpv4(), net.Addr(0, 1));
}

namespace
{

std::array<uint8_t, 32>
CookieKey(uint8_t first)
{
    std::array<uint8_t, 32> key{};
    key[0] = first;
    return key;
}

/// A cookie's state with the tags 1 (ours) and 2 (the peer's), the rest unset.
sctp::CookieState
TaggedCookieState()
{
    sctp::CookieState st;
    st.localTag = 1;
    st.peerTag = 2;
    return st;
}

} // namespace

// Proves the multihomed state cookie (version 3) round-trips the peer's
// extra addresses under the HMAC, refuses tampering and too many addresses,
// and that without extra addresses the cookie is the 92-byte version 1.
TEST_F(SctpMultihoming, CookieCarriesPeerAddresses)
{
    const std::array<uint8_t, 32> key = CookieKey(7);
    sctp::CookieState st = TaggedCookieState();
    st.localAddr = 0x0A010102;
    st.peerAddr = 0x0A010101;
    std::vector<uint8_t> c;
    ASSERT_TRUE(sctp::SealCookie(st, key, c));
    EXPECT_EQ(c.size(), sctp::kCookieSize);
    EXPECT_EQ(c[0], 1);
    st.peerAddrs = {0x0A010201, 0x0A010301};
    ASSERT_TRUE(sctp::SealCookie(st, key, c));
    EXPECT_EQ(c.size(), sctp::kCookieSize + 8);
    sctp::CookieState out;
    ASSERT_EQ(sctp::OpenCookie(c.data(), c.size(), key, out), sctp::CookieError::None);
    EXPECT_EQ(out.peerAddrs, st.peerAddrs);
    EXPECT_EQ(out.peerAddr, st.peerAddr);
    EXPECT_FALSE(out.ipv6);
    c[sctp::kCookieBodySize + 2] ^= 1; // inside the second extra address
    EXPECT_EQ(sctp::OpenCookie(c.data(), c.size(), key, out), sctp::CookieError::BadMac);
    st.peerAddrs.assign(sctp::kCookieMaxPeerAddrs + 1, 0x0A000001);
    EXPECT_FALSE(sctp::SealCookie(st, key, c));
    // Six extra addresses make 116 bytes, an IPv6 cookie's length: the
    // version tells them apart.
    st.peerAddrs.assign(6, 0x0A000001);
    ASSERT_TRUE(sctp::SealCookie(st, key, c));
    ASSERT_EQ(c.size(), sctp::kCookie6Size);
    ASSERT_EQ(sctp::OpenCookie(c.data(), c.size(), key, out), sctp::CookieError::None);
    EXPECT_FALSE(out.ipv6);
    EXPECT_EQ(out.peerAddrs.size(), 6u);
}

namespace
{

// (The body of the tests for IPv4 and IPv6.) External check (tshark): pcaps of a multihomed exchange on both links, the
// primary cut mid-transfer so that DATA also crosses the second link. Every
// frame must dissect as SCTP over IPv4 with a good CRC32c and no malformed or
// expert-error marks, and tshark must decode the INIT's and INIT ACK's IPv4
// Address parameters as both addresses of their sender.
void
TsharkBothLinks(bool ipv6)
{
    const std::string addrField = ipv6 ? "sctp.parameter_ipv6_address" : "sctp.parameter_ipv4_address";
    const std::string prefix =
        std::string(SIPIM_BINARY_DIR) + (ipv6 ? "/sctp-multihoming6-link" : "/sctp-multihoming-link");
    std::string listed[2]; // the client's and the server's addresses, as tshark lists them
    {
        MultiSession m(true, true, ipv6);
        for (int n = 0; n < 2; ++n)
        {
            std::ostringstream os;
            os << m.net.Ip(n, 0) << "," << m.net.Ip(n, 1);
            listed[n] = os.str();
        }
        PointToPointHelper p2p;
        for (int l = 0; l < 2; ++l)
        {
            p2p.EnablePcap(prefix + std::to_string(l) + ".pcap", m.net.dev[l].Get(0), false, true);
        }
        m.StartSending(Seconds(0.5), 600);
        Simulator::Schedule(Seconds(3), [&] { (*m.net.down)[0] = true; });
        Simulator::Schedule(Seconds(25), [&] { m.client.sock->Close(); });
        Simulator::Stop(Seconds(30));
        Simulator::Run();
        EXPECT_TRUE(m.client.normalClose);
        EXPECT_EQ(m.sink.got.size(), 600u);
        Simulator::Destroy();
    }
    Config::Reset();
    std::set<std::string> chunkTypes[2];
    for (int l = 0; l < 2; ++l)
    {
        std::string out = RunCommand("tshark -r '" + prefix + std::to_string(l) +
                                     ".pcap' -o sctp.checksum:crc-32c -T fields -E separator='|' "
                                     "-e frame.protocols -e sctp.checksum.status -e _ws.malformed "
                                     "-e _ws.expert.severity -e sctp.chunk_type "
                                     "-e " + addrField + " 2>&1");
        int frames = 0;
        int inits = 0;
        int ndp = 0;
        for (const auto& f : FieldRows(out, 6))
        {
            const std::string line = f[0] + "|" + f[1] + "|" + f[2] + "|" + f[3] + "|" + f[4] + "|" + f[5];
            // ns-3's IPv6 stack sends its own neighbour and router
            // solicitations (DAD, RS): the only frames that may be something else.
            if (ipv6 && f[0] == "ppp:ipv6:icmpv6")
            {
                ++ndp;
                continue;
            }
            ++frames;
            EXPECT_EQ(f[0].rfind(ipv6 ? "ppp:ipv6:sctp" : "ppp:ip:sctp", 0), 0u) << "link " << l << ": " << line;
            EXPECT_EQ(f[1], "1") << "checksum not Good, link " << l << ": " << line;
            EXPECT_TRUE(f[2].empty()) << "malformed: " << line;
            EXPECT_EQ(f[3].find("8388608"), std::string::npos) << "expert error: " << line;
            std::stringstream ts(f[4]);
            std::string type;
            while (std::getline(ts, type, ','))
            {
                chunkTypes[l].insert(type);
            }
            if (f[4] == "1") // INIT (client -> server, on link 0)
            {
                ++inits;
                EXPECT_EQ(f[5], listed[0]);
            }
        }
        EXPECT_GT(frames, 20) << "link " << l << " (" << ndp << " ICMPv6 frames besides):\n" << out;
        EXPECT_EQ(inits, l == 0 ? 1 : 0);
    }
    // The client's pcaps hold what it sent and what reached it; the INIT ACK
    // (type 2) came in on link 0, DATA (0) went out on both, HEARTBEATs (4) to
    // the secondary and their ACKs (5) back.
    for (const char* t : {"1", "2", "10", "11", "0", "3", "4", "5"})
    {
        EXPECT_TRUE(chunkTypes[0].count(t)) << "chunk type " << t << " not on link 0";
    }
    for (const char* t : {"0", "3", "4", "5"})
    {
        EXPECT_TRUE(chunkTypes[1].count(t)) << "chunk type " << t << " not on link 1";
    }
    std::string ack = RunCommand("tshark -r '" + prefix +
                                 "0.pcap' -o sctp.checksum:crc-32c -Y 'sctp.chunk_type == 2' -T fields "
                                 "-e " + addrField + " 2>/dev/null");
    EXPECT_EQ(ack, listed[1] + "\n")
        << "INIT ACK address parameters as tshark decodes them";
}

} // namespace

TEST_F(SctpMultihoming, TsharkDissectsBothLinksAndTheAddressParameters)
{
    if (!HaveTshark())
    {
        GTEST_SKIP() << "tshark not installed (apt-get install tshark): external pcap check skipped";
    }
    TsharkBothLinks(false);
}

// The same over IPv6: every frame SCTP over IPv6 (but ns-3's own ICMPv6
// solicitations), and the IPv6 Address parameters decoded.
TEST_F(SctpMultihoming, Ipv6TsharkDissectsBothLinksAndTheAddressParameters)
{
    if (!HaveTshark())
    {
        GTEST_SKIP() << "tshark not installed (apt-get install tshark): external pcap check skipped";
    }
    TsharkBothLinks(true);
}

// Proves the version-4 cookie: a multihomed IPv6 peer's extra addresses (16
// bytes each) ride in the cookie under its HMAC, every byte of them (flipping
// any one fails the MAC); without them the IPv6 cookie stays the 116-byte
// version 2. Addresses of the other version, or more than
// kCookieMaxPeerAddrs6, are refused; a version-3 IPv4 cookie of the same
// length as a version-4 one is told apart by its version.
TEST_F(SctpMultihoming, Ipv6CookieCarriesPeerAddresses)
{
    const std::array<uint8_t, 32> key = CookieKey(9);
    sctp::CookieState st = TaggedCookieState();
    st.ipv6 = true;
    Ipv6Address("2001:db8:1::2").GetBytes(st.localAddr6.data());
    Ipv6Address("2001:db8:1::1").GetBytes(st.peerAddr6.data());
    std::vector<uint8_t> c;
    ASSERT_TRUE(sctp::SealCookie(st, key, c));
    EXPECT_EQ(c.size(), sctp::kCookie6Size);
    EXPECT_EQ(c[0], 2);
    st.peerAddrs6.resize(2);
    Ipv6Address("2001:db8:2::1").GetBytes(st.peerAddrs6[0].data());
    Ipv6Address("2001:db8:3::1").GetBytes(st.peerAddrs6[1].data());
    ASSERT_TRUE(sctp::SealCookie(st, key, c));
    ASSERT_EQ(c.size(), sctp::kCookie6Size + 32);
    EXPECT_EQ(c[0], 4);
    sctp::CookieState out;
    ASSERT_EQ(sctp::OpenCookie(c.data(), c.size(), key, out), sctp::CookieError::None);
    EXPECT_TRUE(out.ipv6);
    EXPECT_EQ(out.peerAddrs6, st.peerAddrs6);
    EXPECT_TRUE(out.peerAddrs.empty());
    EXPECT_EQ(out.peerAddr6, st.peerAddr6);
    for (size_t i = sctp::kCookie6BodySize; i < sctp::kCookie6BodySize + 32; ++i)
    {
        std::vector<uint8_t> bad = c;
        bad[i] ^= 0x80;
        EXPECT_EQ(sctp::OpenCookie(bad.data(), bad.size(), key, out), sctp::CookieError::BadMac) << i;
    }
    st.peerAddrs = {0x0A000001};
    EXPECT_FALSE(sctp::SealCookie(st, key, c)); // IPv4 addresses on an IPv6 cookie
    st.peerAddrs.clear();
    st.peerAddrs6.assign(sctp::kCookieMaxPeerAddrs6 + 1, st.peerAddrs6[0]);
    EXPECT_FALSE(sctp::SealCookie(st, key, c));
    st.peerAddrs6.resize(sctp::kCookieMaxPeerAddrs6);
    ASSERT_TRUE(sctp::SealCookie(st, key, c));
    ASSERT_EQ(sctp::OpenCookie(c.data(), c.size(), key, out), sctp::CookieError::None);
    EXPECT_EQ(out.peerAddrs6.size(), sctp::kCookieMaxPeerAddrs6);
    sctp::CookieState v4;
    v4.peerAddrs6.resize(1);
    EXPECT_FALSE(sctp::SealCookie(v4, key, c)); // IPv6 addresses on an IPv4 cookie
    // Ten extra IPv4 addresses make 132 bytes, a version-4 cookie with one.
    v4.peerAddrs6.clear();
    v4.peerAddrs.assign(10, 0x0A000001);
    ASSERT_TRUE(sctp::SealCookie(v4, key, c));
    ASSERT_EQ(c.size(), sctp::kCookie6Size + 16);
    ASSERT_EQ(sctp::OpenCookie(c.data(), c.size(), key, out), sctp::CookieError::None);
    EXPECT_FALSE(out.ipv6);
    EXPECT_EQ(out.peerAddrs.size(), 10u);
    EXPECT_TRUE(out.peerAddrs6.empty());
}

// Proves an IPv6 multihomed endpoint keeps ignoring (and counting) what it
// cannot use: a server bound to both IPv6 addresses, whose INIT from the
// client lists, besides the client's IPv6 addresses, an IPv4 Address (no
// mixed associations) gets two paths, not three, and counts one ignored.
TEST_F(SctpMultihoming, Ipv6AssociationIgnoresIpv4AddressParameters)
{
    MultiSession m(true, true, true);
    sipim_test::InsertInitParams(m.net.rx[0][1],
                                 m.net.nodes.Get(1),
                                 1,
                                 m.net.Addr6(0, 0),
                                 m.net.Addr6(1, 0),
                                 sctp::CHUNK_INIT,
                                 Param(sctp::PARAM_IPV4_ADDRESS, {10, 1, 2, 1}));
    m.StartSending(Seconds(0.5), 20);
    Simulator::Stop(Seconds(4));
    Simulator::Run();
    ASSERT_TRUE(m.sink.conn);
    EXPECT_EQ(m.sink.got.size(), 20u);
    EXPECT_EQ(m.sink.conn->GetPathCount(), 2u);
    EXPECT_EQ(m.sink.listener->GetStats().peerAddressesIgnored, 1u);
    EXPECT_EQ(m.client.sock->GetStats().peerAddressesIgnored, 0u);
}

// Proves BindAddresses over IPv6 refuses what cannot be one of several
// addresses (ERROR_INVAL: any, link-local, multicast, repeated), an address
// that is not the node's (ERROR_ADDRNOTAVAIL), and binds both global ones.
TEST_F(SctpMultihoming, Ipv6BindAddressesErrors)
{
    TwoLinks net(true);
    auto sock = [&] { return DynamicCast<SctpSocket>(SctpHelper::CreateSocket(net.nodes.Get(0))); };
    Ipv6Address linkLocal = net.ifs6[0].GetAddress(0, 0);
    ASSERT_TRUE(linkLocal.IsLinkLocal());
    for (const auto& list : {std::vector<Ipv6Address>{net.Addr6(0, 0), Ipv6Address::GetAny()},
                             std::vector<Ipv6Address>{net.Addr6(0, 0), linkLocal},
                             std::vector<Ipv6Address>{Ipv6Address("ff02::1")},
                             std::vector<Ipv6Address>{net.Addr6(0, 0), net.Addr6(0, 0)}})
    {
        Ptr<SctpSocket> s = sock();
        EXPECT_EQ(s->BindAddresses(list, 0), -1);
        EXPECT_EQ(s->GetErrno(), Socket::ERROR_INVAL);
    }
    Ptr<SctpSocket> s = sock();
    EXPECT_EQ(s->BindAddresses({net.Addr6(0, 0), net.Addr6(1, 1)}, 0), -1); // the server's
    EXPECT_EQ(s->GetErrno(), Socket::ERROR_ADDRNOTAVAIL);
    s = sock();
    EXPECT_EQ(s->BindAddresses(net.Both6(0), 7000), 0);
    Address name;
    s->GetSockName(name);
    EXPECT_EQ(Inet6SocketAddress::ConvertFrom(name).GetPort(), 7000);
}
