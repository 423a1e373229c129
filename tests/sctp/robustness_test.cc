// Stress: both ends send mixed messages (sizes 1..6000 bytes, several
// streams, ordered and unordered) over a link that loses packets in both
// directions (data, SACKs, control alike).
#include "sctp_test_util.h"

#include <gtest/gtest.h>

#include <map>

using namespace ns3;
using namespace sipim_test;

namespace
{

struct Sent
{
    uint16_t sid;
    bool unordered;
    uint32_t size;
};

/// Builds the message list for one direction, deterministically.
std::vector<Sent>
MakePlan(uint32_t n, uint32_t seed)
{
    std::vector<Sent> plan;
    uint32_t x = seed;
    for (uint32_t i = 0; i < n; ++i)
    {
        x = x * 1103515245u + 12345u;
        uint32_t size = 8 + (x >> 8) % 6000;
        plan.push_back({uint16_t((x >> 4) % 5), ((x >> 20) % 4) == 0, size});
    }
    return plan;
}

/// Checks what one end received against what the other end sent.
void
CheckDelivery(const std::vector<Sent>& plan, const std::vector<Received>& got, const char* dir)
{
    ASSERT_EQ(got.size(), plan.size()) << dir;
    std::vector<int> seen(plan.size(), 0);
    std::map<uint16_t, uint32_t> lastOrdered;
    for (const auto& r : got)
    {
        uint32_t idx = NumberOf(r.data);
        ASSERT_LT(idx, plan.size()) << dir;
        EXPECT_EQ(++seen[idx], 1) << dir << ": message " << idx << " delivered twice";
        EXPECT_EQ(r.data.size(), plan[idx].size) << dir << ": message " << idx;
        EXPECT_EQ(r.sid, plan[idx].sid) << dir;
        EXPECT_EQ(r.unordered, plan[idx].unordered) << dir;
        for (size_t k = 4; k < r.data.size(); ++k)
        {
            if (r.data[k] != 0xAB)
            {
                ADD_FAILURE() << dir << ": message " << idx << " corrupted at byte " << k;
                break;
            }
        }
        if (!plan[idx].unordered)
        {
            auto it = lastOrdered.find(r.sid);
            if (it != lastOrdered.end())
            {
                EXPECT_LT(it->second, idx) << dir << ": stream " << r.sid << " out of order";
            }
            lastOrdered[r.sid] = idx;
        }
    }
}

/// Collects messages on the client side too.
struct ClientReader
{
    std::vector<Received> got;
    void Read(Ptr<Socket> s)
    {
        while (Ptr<Packet> p = s->Recv())
        {
            Received r;
            SctpStreamTag tag;
            p->PeekPacketTag(tag);
            r.sid = tag.GetStreamId();
            r.unordered = tag.IsUnordered();
            r.data.resize(p->GetSize());
            p->CopyData(r.data.data(), uint32_t(r.data.size()));
            got.push_back(std::move(r));
        }
    }
};

/// Feeds a plan into a socket as buffer space allows.
struct Feeder
{
    Ptr<SctpSocket> sock;
    std::vector<Sent> plan;
    size_t next = 0;
    void Push(Ptr<Socket> = nullptr, uint32_t = 0)
    {
        while (next < plan.size())
        {
            const Sent& m = plan[next];
            if (sock->GetTxAvailable() < m.size)
            {
                return; // the send callback calls us again
            }
            ASSERT_EQ(sock->SendMsg(Numbered(m.size, uint32_t(next)), m.sid, m.unordered), int(m.size));
            ++next;
        }
    }
};

} // namespace

// 10 % loss each way, both ends sending 300 mixed messages: every message
// arrives exactly once, intact, on its stream, ordered ones in order.
TEST(SctpRobustness, BidirectionalMixedTrafficUnderLoss)
{
    Config::SetDefault("ns3::SctpSocket::OutboundStreams", UintegerValue(5));
    Config::SetDefault("ns3::SctpSocket::SndBufSize", UintegerValue(60000));
    Config::SetDefault("ns3::SctpSocket::RcvBufSize", UintegerValue(50000));
    {
        Link link("5Mbps", "15ms");
        Ptr<UniformRandomVariable> u = CreateObject<UniformRandomVariable>();
        u->SetStream(99);
        auto lossy = [u](const SeenPacket&) { return u->GetValue() < 0.10; };
        link.toServer->SetPredicate(lossy);
        link.toClient->SetPredicate(lossy);
        Sink sink;
        Client client;
        ClientReader back;
        Feeder up;
        Feeder down;
        up.plan = MakePlan(300, 1);
        down.plan = MakePlan(300, 2);
        sink.Start(link.Server(), 5000);
        Simulator::Schedule(Seconds(0), [&] {
            client.Start(link.Client(), link.ServerAddress(5000));
            client.sock->SetRecvCallback(MakeCallback(&ClientReader::Read, &back));
        });
        Simulator::Schedule(Seconds(8), [&] {
            ASSERT_TRUE(client.connected);
            ASSERT_TRUE(sink.conn);
            up.sock = client.sock;
            down.sock = sink.conn;
            up.sock->SetSendCallback(MakeCallback(&Feeder::Push, &up));
            down.sock->SetSendCallback(MakeCallback(&Feeder::Push, &down));
            up.Push();
            down.Push();
        });
        Simulator::Stop(Seconds(300));
        Simulator::Run();
        std::printf("dropped %u/%u, rtx %llu, t3 %llu, got %zu/%zu, finished %.2f s\n",
                    link.toServer->dropped, link.toClient->dropped,
                    (unsigned long long)client.sock->GetStats().retransmissions,
                    (unsigned long long)client.sock->GetStats().t3Expirations, sink.got.size(),
                    back.got.size(), Simulator::Now().GetSeconds());
        EXPECT_EQ(up.next, up.plan.size());
        EXPECT_EQ(down.next, down.plan.size());
        CheckDelivery(up.plan, sink.got, "client->server");
        CheckDelivery(down.plan, back.got, "server->client");
        EXPECT_GT(link.toServer->dropped, 20u);
        EXPECT_GT(link.toClient->dropped, 20u);
        EXPECT_GT(client.sock->GetStats().retransmissions, 0u);
        EXPECT_EQ(client.sock->GetState(), SCTP_ESTABLISHED);
        Simulator::Destroy();
    }
    Config::Reset();
}

// TSNs wrap past 2^32 in the middle of a lossy transfer in both directions:
// serial-number arithmetic keeps acks, gaps and delivery right.
TEST(SctpRobustness, TsnWrapAroundUnderLoss)
{
    Config::SetDefault("ns3::SctpSocket::InitialTsn", UintegerValue(0xFFFFFFF0u));
    {
        Link link;
        Ptr<UniformRandomVariable> u = CreateObject<UniformRandomVariable>();
        u->SetStream(5);
        link.toServer->SetPredicate([u](const SeenPacket&) { return u->GetValue() < 0.03; });
        Sink sink;
        Client client;
        sink.Start(link.Server(), 5000);
        Simulator::Schedule(Seconds(0), [&] { client.Start(link.Client(), link.ServerAddress(5000)); });
        Simulator::Schedule(Seconds(1.5), [&] {
            for (uint32_t i = 0; i < 80; ++i)
            {
                ASSERT_EQ(client.sock->Send(Pattern(1400, i)), 1400);
            }
        });
        Simulator::Stop(Seconds(30));
        Simulator::Run();
        ASSERT_EQ(sink.got.size(), 80u);
        for (uint32_t i = 0; i < 80; ++i)
        {
            EXPECT_TRUE(IsPattern(sink.got[i].data, i)) << i;
        }
        // The TSNs on the wire did cross zero.
        bool high = false, low = false;
        for (const auto& p : link.toServer->seen)
        {
            for (uint32_t t : p.Tsns())
            {
                high |= t >= 0xFFFFFFF0u;
                low |= t < 0x100;
            }
        }
        EXPECT_TRUE(high && low);
        EXPECT_GT(link.toServer->dropped, 0u);
        Simulator::Destroy();
    }
    Config::Reset();
}
