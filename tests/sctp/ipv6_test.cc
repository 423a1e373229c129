// SCTP over IPv6: set-up, transfer, fragmentation to the IPv6 path MTU, loss
// recovery, out-of-the-blue answers and address-family errors, on a two-node
// point-to-point link addressed by Ipv6AddressHelper only.
#include "sctp_test_util.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace ns3;
using namespace sipim_test;

namespace
{

class SctpIpv6 : public ::testing::Test
{
  protected:
    void TearDown() override
    {
        Simulator::Destroy();
    }
};

/// An IPv6 link with a listener on the server and a client connecting at t = 0.
struct Session6
{
    Link link{"10Mbps", "10ms", 1000, true};
    Sink sink;
    Client client;

    Session6()
    {
        sink.Start(link.Server(), 5000, true);
        Simulator::Schedule(Seconds(0), [this] { client.Start(link.Client(), link.ServerAddress6(5000)); });
    }
};

/// Every IP packet a device sends: its size, and whether IPv6 fragmented it.
/// The point-to-point MacTx trace sees the packet with its 2-byte PPP header.
struct IpTxLog
{
    uint32_t packets = 0;
    uint32_t maxBytes = 0;
    uint32_t fragments = 0; // IPv6 packets whose next header is Fragment (44)

    void Watch(Ptr<NetDevice> dev)
    {
        dev->TraceConnectWithoutContext("MacTx", MakeCallback(&IpTxLog::Tx, this));
    }
    void Tx(Ptr<const Packet> p)
    {
        ++packets;
        maxBytes = std::max(maxBytes, p->GetSize() - 2);
        uint8_t h[10];
        if (p->GetSize() >= 10 && p->CopyData(h, 10) == 10 && h[2] >> 4 == 6 && h[8] == 44)
        {
            ++fragments;
        }
    }
};

} // namespace

// Proves the basic IPv6 path end to end: the handshake completes over IPv6
// (only IPv6 addresses exist), both ends name each other with
// Inet6SocketAddress, and 200 messages of 1..1200 bytes on two streams arrive
// intact, with their boundaries, in order per stream; the L4's IPv6 traces
// fire and its IPv4 ones do not.
TEST_F(SctpIpv6, HandshakeAndTransferOnTwoStreams)
{
    Session6 s;
    uint32_t rx6 = 0;
    uint32_t rx4 = 0;
    Ptr<SctpL4Protocol> l4 = s.link.Server()->GetObject<SctpL4Protocol>();
    l4->TraceConnectWithoutContext(
        "Rx6",
        MakeCallback(+[](uint32_t* n, Ptr<const Packet>, Ipv6Address, Ipv6Address) { ++*n; }).Bind(&rx6));
    l4->TraceConnectWithoutContext(
        "Rx",
        MakeCallback(+[](uint32_t* n, Ptr<const Packet>, Ipv4Address, Ipv4Address) { ++*n; }).Bind(&rx4));
    const uint32_t n = 200;
    Simulator::Schedule(Seconds(0.5), [&] {
        for (uint32_t i = 0; i < n; ++i)
        {
            ASSERT_EQ(s.client.sock->SendMsg(Pattern(1 + (i * 97) % 1200, i), uint16_t(i % 2), false),
                      int(1 + (i * 97) % 1200));
        }
    });
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    ASSERT_TRUE(s.client.connected);
    ASSERT_TRUE(s.sink.conn);
    EXPECT_EQ(s.client.sock->GetState(), SCTP_ESTABLISHED);

    Address local;
    Address peer;
    ASSERT_EQ(s.client.sock->GetSockName(local), 0);
    ASSERT_EQ(s.sink.conn->GetPeerName(peer), 0);
    ASSERT_TRUE(Inet6SocketAddress::IsMatchingType(local));
    ASSERT_TRUE(Inet6SocketAddress::IsMatchingType(peer));
    EXPECT_EQ(Inet6SocketAddress::ConvertFrom(local).GetIpv6(), s.link.Address6(0));
    EXPECT_EQ(Inet6SocketAddress::ConvertFrom(peer).GetIpv6(), s.link.Address6(0));
    EXPECT_EQ(Inet6SocketAddress::ConvertFrom(peer).GetPort(), Inet6SocketAddress::ConvertFrom(local).GetPort());
    ASSERT_EQ(s.client.sock->GetPeerName(peer), 0);
    EXPECT_EQ(Inet6SocketAddress::ConvertFrom(peer).GetIpv6(), s.link.Address6(1));
    EXPECT_EQ(Inet6SocketAddress::ConvertFrom(peer).GetPort(), 5000);

    ASSERT_EQ(s.sink.got.size(), n);
    std::map<uint16_t, uint32_t> nextOnStream;
    for (const Received& r : s.sink.got)
    {
        // Message i went on stream i % 2; the stream's messages come in order.
        uint32_t i = nextOnStream[r.sid] * 2 + r.sid;
        ++nextOnStream[r.sid];
        EXPECT_EQ(r.data.size(), 1 + (i * 97) % 1200) << "message " << i;
        EXPECT_TRUE(IsPattern(r.data, i)) << "message " << i;
        EXPECT_FALSE(r.unordered);
    }
    EXPECT_EQ(nextOnStream[0], n / 2);
    EXPECT_EQ(nextOnStream[1], n / 2);
    EXPECT_GT(rx6, 0u);
    EXPECT_EQ(rx4, 0u);
}

// Proves fragmentation uses the IPv6 header size: a 20 000-byte message goes
// in DATA chunks that fill a 1500-byte link exactly (1500 - 40 - 12 - 16 =
// 1432 bytes of payload), no IP packet is larger than the link MTU and none is
// fragmented by IPv6 (as happens if the model counted a 20-byte IPv4 header),
// and the message is reassembled intact.
TEST_F(SctpIpv6, FragmentsToTheIpv6PathMtu)
{
    Session6 s;
    IpTxLog tx;
    tx.Watch(s.link.devices.Get(0));
    const uint32_t size = 20000;
    Simulator::Schedule(Seconds(0.5), [&] { s.client.sock->SendMsg(Pattern(size, 7), 0, false); });
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    ASSERT_EQ(s.sink.got.size(), 1u);
    EXPECT_EQ(s.sink.got[0].data.size(), size);
    EXPECT_TRUE(IsPattern(s.sink.got[0].data, 7));
    EXPECT_EQ(s.client.sock->GetPrimaryPath().MaxDataPayload(), 1432u);

    const uint32_t mtu = s.link.devices.Get(0)->GetMtu();
    ASSERT_EQ(mtu, 1500u);
    EXPECT_GT(tx.packets, 0u);
    EXPECT_LE(tx.maxBytes, mtu);
    EXPECT_EQ(tx.fragments, 0u);
    uint32_t dataPackets = 0;
    uint32_t full = 0;
    for (const SeenPacket& p : s.link.toServer->seen)
    {
        EXPECT_LE(p.ipBytes, mtu);
        for (const auto& c : p.view.chunks)
        {
            sctp::DataChunk d;
            if (c.type == sctp::CHUNK_DATA && sctp::DecodeData(c, d).Ok())
            {
                ++dataPackets;
                EXPECT_LE(d.payloadLen, 1432u);
                full += p.ipBytes == mtu;
            }
        }
    }
    EXPECT_EQ(dataPackets, (size + 1431) / 1432);
    EXPECT_EQ(full, size / 1432); // every fragment but the last fills the link
}

// Proves loss recovery works over IPv6: with the first transmission of every
// 9th DATA packet dropped, all 300 messages still arrive intact and in order,
// through fast retransmit or T3.
TEST_F(SctpIpv6, RecoversFromDataLoss)
{
    Session6 s;
    auto count = std::make_shared<uint32_t>(0);
    auto dropped = std::make_shared<std::set<uint32_t>>();
    s.link.toServer->SetPredicate([=](const SeenPacket& p) {
        std::vector<uint32_t> tsns = p.Tsns();
        if (tsns.empty() || dropped->count(tsns.front()))
        {
            return false; // not DATA, or a retransmission: let it through
        }
        if (++*count % 9 == 0)
        {
            dropped->insert(tsns.begin(), tsns.end());
            return true;
        }
        return false;
    });
    const uint32_t n = 300;
    Simulator::Schedule(Seconds(0.5), [&] {
        for (uint32_t i = 0; i < n; ++i)
        {
            s.client.sock->SendMsg(Numbered(400, i), 0, false);
        }
    });
    Simulator::Stop(Seconds(30));
    Simulator::Run();
    EXPECT_GT(s.link.toServer->dropped, 5u);
    EXPECT_GT(s.client.sock->GetStats().retransmissions, 5u);
    ASSERT_EQ(s.sink.got.size(), n);
    for (uint32_t i = 0; i < n; ++i)
    {
        EXPECT_EQ(NumberOf(s.sink.got[i].data), i);
        EXPECT_EQ(s.sink.got[i].data.size(), 400u);
    }
}

// Proves out-of-the-blue handling over IPv6, as NoListenerAnswersAbort does
// for IPv4: an INIT to a port with no listener is answered with an ABORT (T
// bit clear, the INIT's tag), the client's connect fails and the INIT is not
// retransmitted.
TEST_F(SctpIpv6, NoListenerAnswersAbort)
{
    Link link("10Mbps", "10ms", 1000, true);
    Client client;
    Simulator::Schedule(Seconds(0.1), [&] { client.Start(link.Client(), link.ServerAddress6(9999)); });
    Simulator::Stop(Seconds(3));
    Simulator::Run();
    EXPECT_TRUE(client.failed);
    ASSERT_EQ(link.toServer->seen.size(), 1u); // no INIT retransmission
    ASSERT_GE(link.toClient->seen.size(), 1u);
    const SeenPacket& abort = link.toClient->seen[0];
    ASSERT_TRUE(abort.HasChunk(sctp::CHUNK_ABORT));
    EXPECT_EQ(abort.view.chunks[0].flags & sctp::FLAG_T, 0);
    sctp::InitChunk init;
    ASSERT_TRUE(sctp::DecodeInit(link.toServer->seen[0].view.chunks[0], init).Ok());
    EXPECT_EQ(abort.view.vtag, init.initTag);
    EXPECT_EQ(link.Server()->GetObject<SctpL4Protocol>()->GetOutOfTheBlue(), 1u);
}

// Proves that Address parameters an IPv6 association cannot use are counted,
// neither dropped unseen nor fatal: an INIT over IPv6 listing an IPv4 Address
// (no mixed associations) and then an IPv6 Address sets up the association,
// the listener counts the IPv4 one in peerAddressesIgnored (before, it was
// left out of the IPv6 cookie without a count), and the IPv6 one is read
// after it: since IPv6 multihoming it is a second path, unconfirmed (§5.4:
// no route, so no HEARTBEAT ACK and no data there).
TEST_F(SctpIpv6, InitAddressParametersCountedAsIgnored)
{
    Session6 s;
    std::vector<uint8_t> params = Param(sctp::PARAM_IPV4_ADDRESS, {10, 1, 1, 1});
    std::vector<uint8_t> v6 = Param(sctp::PARAM_IPV6_ADDRESS, std::vector<uint8_t>(16, 0x20));
    params.insert(params.end(), v6.begin(), v6.end());
    InsertInitParams(s.link.toServer,
                     s.link.Server(),
                     1,
                     s.link.Address6(0),
                     s.link.Address6(1),
                     sctp::CHUNK_INIT,
                     params);
    Simulator::Schedule(Seconds(0.5), [&] { s.client.sock->Send(Pattern(500, 1)); });
    Simulator::Stop(Seconds(2));
    Simulator::Run();
    ASSERT_TRUE(s.client.connected);
    ASSERT_TRUE(s.sink.conn);
    EXPECT_EQ(s.sink.got.size(), 1u);
    ASSERT_EQ(s.sink.conn->GetPathCount(), 2u);
    EXPECT_EQ(s.sink.conn->GetPath(1).address, SctpIpAddress(Ipv6Address("2020:2020:2020:2020:2020:2020:2020:2020")));
    EXPECT_FALSE(s.sink.conn->GetPath(1).confirmed);
    EXPECT_EQ(s.sink.conn->GetDataPathIndex(), 0u);
    EXPECT_EQ(s.sink.listener->GetStats().peerAddressesIgnored, 1u);
    EXPECT_EQ(s.sink.listener->GetStats().initParamsMalformed, 0u);
}

// Proves an address-family mismatch is a socket error, never a crash or a
// packet: an IPv6-bound socket cannot connect to an IPv4 address, an
// IPv4-bound one not to an IPv6 address (ERROR_AFNOSUPPORT, state CLOSED),
// and an IPv6 connect from a node without IPv6 addresses finds no route.
TEST_F(SctpIpv6, AddressFamilyMismatchIsASocketError)
{
    Link link; // IPv4 addresses only; the nodes still have an IPv6 stack
    Ptr<SctpSocket> v6 = DynamicCast<SctpSocket>(SctpHelper::CreateSocket(link.Client()));
    ASSERT_EQ(v6->Bind6(), 0);
    EXPECT_EQ(v6->Connect(link.ServerAddress(5000)), -1);
    EXPECT_EQ(v6->GetErrno(), Socket::ERROR_AFNOSUPPORT);
    EXPECT_EQ(v6->GetState(), SCTP_CLOSED);

    Ptr<SctpSocket> v4 = DynamicCast<SctpSocket>(SctpHelper::CreateSocket(link.Client()));
    ASSERT_EQ(v4->Bind(), 0);
    EXPECT_EQ(v4->Connect(Inet6SocketAddress(Ipv6Address("2001:db8:1::2"), 5000)), -1);
    EXPECT_EQ(v4->GetErrno(), Socket::ERROR_AFNOSUPPORT);
    EXPECT_EQ(v4->GetState(), SCTP_CLOSED);

    Ptr<SctpSocket> unbound = DynamicCast<SctpSocket>(SctpHelper::CreateSocket(link.Client()));
    EXPECT_EQ(unbound->Connect(Inet6SocketAddress(Ipv6Address("2001:db8:1::2"), 5000)), -1);
    EXPECT_EQ(unbound->GetErrno(), Socket::ERROR_NOROUTETOHOST);
    EXPECT_EQ(unbound->GetState(), SCTP_CLOSED);

    Simulator::Stop(Seconds(1));
    Simulator::Run();
    EXPECT_TRUE(link.toServer->seen.empty());
}
