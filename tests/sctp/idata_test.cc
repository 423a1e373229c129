// RFC 8260 user-message interleaving: I-DATA negotiation, transfer, the
// Round-Robin stream scheduler against sender-side head-of-line blocking,
// integrity under loss, protocol violations and tshark dissection.
#include "sctp_test_util.h"

#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

using namespace ns3;
using namespace sipim_test;

namespace
{

/// A message that starts with its index (big endian) and whose other bytes
/// depend on the index, so that any mix-up of fragments shows.
Ptr<Packet>
Message(uint32_t index, uint32_t size)
{
    std::vector<uint8_t> b(std::max<uint32_t>(size, 4));
    for (uint32_t i = 0; i < b.size(); ++i)
    {
        b[i] = uint8_t((i * 31 + index * 17) & 0xFF);
    }
    sctp::Put32At(b.data(), index);
    return Create<Packet>(b.data(), uint32_t(b.size()));
}

bool
Intact(const std::vector<uint8_t>& b, uint32_t index, uint32_t size)
{
    if (b.size() != size || NumberOf(b) != index)
    {
        return false;
    }
    for (uint32_t i = 4; i < b.size(); ++i)
    {
        if (b[i] != uint8_t((i * 31 + index * 17) & 0xFF))
        {
            return false;
        }
    }
    return true;
}

/// A client and a listening server on one link, each with Interleaving on or
/// off and a scheduler; the client connects at t = 0 and records what it reads.
struct Pair
{
    Link link;
    Sink sink;
    Ptr<SctpSocket> client;
    Sink clientSide; // only its reader: what the client's application got
    bool clientConnected = false;
    bool clientError = false;

    Pair(bool clientOn, bool serverOn, bool roundRobin = true, bool prsctp = false)
    {
        sink.Start(link.Server(), 5000);
        Configure(sink.listener, serverOn, roundRobin, prsctp);
        Simulator::Schedule(Seconds(0), [=] {
            client = DynamicCast<SctpSocket>(SctpHelper::CreateSocket(link.Client()));
            Configure(client, clientOn, roundRobin, prsctp);
            client->SetConnectCallback(MakeCallback(&Pair::Connected, this),
                                       MakeNullCallback<void, Ptr<Socket>>());
            client->SetCloseCallbacks(MakeNullCallback<void, Ptr<Socket>>(),
                                      MakeCallback(&Pair::Errored, this));
            client->SetRecvCallback(MakeCallback(&Sink::Read, &clientSide));
            client->Connect(link.ServerAddress(5000));
        });
    }
    static void Configure(Ptr<SctpSocket> s, bool on, bool roundRobin, bool prsctp)
    {
        s->SetAttribute("Interleaving", BooleanValue(on));
        s->SetAttribute("StreamScheduler", StringValue(roundRobin ? "RoundRobin" : "Fcfs"));
        s->SetAttribute("PrSctpEnabled", BooleanValue(prsctp));
    }
    void Connected(Ptr<Socket>)
    {
        clientConnected = true;
    }
    void Errored(Ptr<Socket>)
    {
        clientError = true;
    }
    /// Counts the chunks of a type in the packets one side received.
    static size_t Count(const SctpDropModel& m, uint8_t type)
    {
        size_t n = 0;
        for (const SeenPacket& p : m.seen)
        {
            for (const auto& c : p.view.chunks)
            {
                n += c.type == type;
            }
        }
        return n;
    }
    /// The INIT (INIT ACK) the other side received, decoded.
    static bool FindInit(const SctpDropModel& m, uint8_t type, sctp::InitChunk& out)
    {
        for (const SeenPacket& p : m.seen)
        {
            for (const auto& c : p.view.chunks)
            {
                if (c.type == type)
                {
                    return sctp::DecodeInit(c, out, true).Ok();
                }
            }
        }
        return false;
    }
};

const uint32_t kSizes[] = {60, 300, 1500, 4000, 20000};

/// Sends n messages of mixed sizes each way (every 4th unordered, streams
/// 0-3; n <= 20 fits the 128 KiB send buffer) and checks that each side got all of them intact.
void
ExchangeBothWays(Pair& s, uint32_t n)
{
    Simulator::Schedule(Seconds(0.5), [&s, n] {
        for (uint32_t i = 0; i < n; ++i)
        {
            uint32_t size = kSizes[i % 5];
            ASSERT_EQ(s.client->SendMsg(Message(i, size), uint16_t(i % 4), i % 4 == 3), int(size));
            ASSERT_EQ(s.sink.conn->SendMsg(Message(i, size), uint16_t(i % 4), i % 4 == 3), int(size));
        }
    });
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    ASSERT_TRUE(s.clientConnected);
    ASSERT_TRUE(s.sink.conn);
    for (const auto* got : {&s.sink.got, &s.clientSide.got})
    {
        ASSERT_EQ(got->size(), n);
        std::set<uint32_t> seen;
        for (const Received& r : *got)
        {
            uint32_t i = NumberOf(r.data);
            EXPECT_TRUE(Intact(r.data, i, kSizes[i % 5])) << "message " << i;
            EXPECT_EQ(r.sid, i % 4);
            EXPECT_EQ(r.unordered, i % 4 == 3);
            seen.insert(i);
        }
        EXPECT_EQ(seen.size(), n);
    }
}

} // namespace

class SctpIData : public ::testing::Test
{
  protected:
    void TearDown() override
    {
        Simulator::Destroy();
    }
};

// Proves negotiation with both ends on: INIT and INIT ACK carry a Supported
// Extensions parameter listing chunk type 64 (RFC 8260 §2.2), both sockets
// (the accepted one by inheriting the listener's attribute) use I-DATA, every
// user message in either direction goes in I-DATA chunks and not one DATA
// chunk is sent; messages of 60 B to 20 kB (fragmented) arrive intact.
TEST_F(SctpIData, BothEndsOnUseIDataBothWays)
{
    Pair s(true, true);
    ExchangeBothWays(s, 20);
    EXPECT_TRUE(s.client->IsIDataNegotiated());
    EXPECT_TRUE(s.sink.conn->IsIDataNegotiated());
    sctp::InitChunk init;
    sctp::InitChunk initAck;
    ASSERT_TRUE(Pair::FindInit(*s.link.toServer, sctp::CHUNK_INIT, init));
    ASSERT_TRUE(Pair::FindInit(*s.link.toClient, sctp::CHUNK_INIT_ACK, initAck));
    EXPECT_TRUE(sctp::ListsExtension(init, sctp::CHUNK_IDATA));
    EXPECT_TRUE(sctp::ListsExtension(initAck, sctp::CHUNK_IDATA));
    EXPECT_EQ(Pair::Count(*s.link.toServer, sctp::CHUNK_DATA), 0u);
    EXPECT_EQ(Pair::Count(*s.link.toClient, sctp::CHUNK_DATA), 0u);
    EXPECT_GT(Pair::Count(*s.link.toServer, sctp::CHUNK_IDATA), 20u);
    EXPECT_GT(Pair::Count(*s.link.toClient, sctp::CHUNK_IDATA), 20u);
    EXPECT_EQ(s.client->GetStats().idataChunksSent, s.client->GetStats().dataChunksSent);
    // A full-size I-DATA fragment fills the 1500-byte link exactly:
    // 20 IP + 12 common + 20 I-DATA header + 1448 of data.
    uint32_t largest = 0;
    for (const SeenPacket& p : s.link.toServer->seen)
    {
        largest = std::max(largest, p.ipBytes);
    }
    EXPECT_EQ(largest, 1500u);
}

// Proves that I-DATA is used only if both ends list it: with either end off
// there is plain DATA (no I-DATA chunk at all) in both directions, the
// transfer works both ways, and the end that is off sends no Supported
// Extensions parameter (its INIT / INIT ACK are what they were).
TEST_F(SctpIData, OneEndOffFallsBackToDataBothWays)
{
    for (bool clientOn : {true, false})
    {
        SCOPED_TRACE(clientOn ? "client on, server off" : "client off, server on");
        {
            Pair s(clientOn, !clientOn);
            ExchangeBothWays(s, 20);
            EXPECT_FALSE(s.client->IsIDataNegotiated());
            EXPECT_FALSE(s.sink.conn->IsIDataNegotiated());
            EXPECT_EQ(Pair::Count(*s.link.toServer, sctp::CHUNK_IDATA), 0u);
            EXPECT_EQ(Pair::Count(*s.link.toClient, sctp::CHUNK_IDATA), 0u);
            EXPECT_GT(Pair::Count(*s.link.toServer, sctp::CHUNK_DATA), 20u);
            EXPECT_GT(Pair::Count(*s.link.toClient, sctp::CHUNK_DATA), 20u);
            sctp::InitChunk init;
            sctp::InitChunk initAck;
            ASSERT_TRUE(Pair::FindInit(*s.link.toServer, sctp::CHUNK_INIT, init));
            ASSERT_TRUE(Pair::FindInit(*s.link.toClient, sctp::CHUNK_INIT_ACK, initAck));
            EXPECT_EQ(init.hasSupportedExtensions, clientOn);
            EXPECT_EQ(initAck.hasSupportedExtensions, !clientOn);
        }
        Simulator::Destroy();
    }
}

namespace
{

struct HolTimes
{
    Time small; // when the 300-byte message on stream 2 was delivered
    Time large; // when the 64 KiB message on stream 1 was delivered
    Time sent;
    bool smallFirst = false; // the application read the small one first
};

/// A 64 KiB message on stream 1 and, right after it, 300 bytes on stream 2,
/// on a fresh association (10 Mb/s, 10 ms each way).
HolTimes
RunHol(bool interleaving, bool roundRobin)
{
    HolTimes t;
    {
        Pair s(interleaving, interleaving, roundRobin);
        Simulator::Schedule(Seconds(0.5), [&] {
            t.sent = Simulator::Now();
            s.client->SendMsg(Message(1, 65536), 1, false);
            s.client->SendMsg(Message(2, 300), 2, false);
        });
        Simulator::Stop(Seconds(5));
        Simulator::Run();
        EXPECT_EQ(s.client->IsIDataNegotiated(), interleaving);
        EXPECT_EQ(s.sink.got.size(), 2u);
        t.smallFirst = !s.sink.got.empty() && NumberOf(s.sink.got[0].data) == 2;
        for (const Received& r : s.sink.got)
        {
            uint32_t i = NumberOf(r.data);
            EXPECT_TRUE(Intact(r.data, i, i == 1 ? 65536 : 300));
            (i == 1 ? t.large : t.small) = r.at - t.sent;
        }
    }
    Simulator::Destroy();
    return t;
}

} // namespace

// Proves the point of RFC 8260 (sender-side head-of-line blocking): a 64 KiB
// message on stream 1 immediately followed by a 300-byte message on stream
// 2. With the defaults (DATA, FCFS) every fragment of the large message has
// a lower TSN than the small one, which is delivered only after the large
// one is complete (it rides in the large one's last packet: the same
// instant, read second); with Interleaving + RoundRobin the small one goes between
// the large one's fragments and is delivered long before. Interleaving with
// FCFS keeps the old order (the scheduler, not I-DATA alone, changes it).
TEST_F(SctpIData, SmallMessageOvertakesLargeOneOnlyWithInterleaving)
{
    HolTimes rr = RunHol(true, true);
    HolTimes def = RunHol(false, false);
    HolTimes fcfs = RunHol(true, false);
    std::cout << "HOL (64 KiB on stream 1, then 300 B on stream 2; delivery after send):\n"
              << "  Interleaving+RoundRobin: small " << rr.small.GetMilliSeconds() << " ms, large "
              << rr.large.GetMilliSeconds() << " ms\n"
              << "  defaults (DATA, Fcfs):   small " << def.small.GetMilliSeconds() << " ms, large "
              << def.large.GetMilliSeconds() << " ms\n"
              << "  Interleaving+Fcfs:       small " << fcfs.small.GetMilliSeconds() << " ms, large "
              << fcfs.large.GetMilliSeconds() << " ms\n";
    EXPECT_TRUE(rr.smallFirst);
    EXPECT_LT(rr.small * 2, rr.large);
    EXPECT_LT(rr.small * 2, def.small);
    EXPECT_FALSE(def.smallFirst);
    EXPECT_GE(def.small, def.large);
    EXPECT_FALSE(fcfs.smallFirst);
    EXPECT_GE(fcfs.small, fcfs.large);
}

namespace
{

/// n messages of 60 B to 20 kB on four streams, every third unordered, sent
/// with RoundRobin as fast as the buffer allows over a link losing 3 % of the
/// packets with I-DATA or SACK each way (seeded); every `timedEvery`-th
/// message (0: none) has a 200 ms lifetime. Checks what arrived: each
/// message at most once and intact, on its stream, the ordered ones of a
/// stream in order, and every message without a lifetime. Returns the
/// number of timed messages delivered.
uint32_t
LossyTransfer(Pair& s, uint32_t n, uint32_t timedEvery)
{
    std::mt19937 rng(8260);
    auto lossy = [&rng](const SeenPacket& p) {
        bool data = p.HasChunk(sctp::CHUNK_IDATA) || p.HasChunk(sctp::CHUNK_SACK);
        return data && std::uniform_real_distribution<double>(0, 1)(rng) < 0.03;
    };
    s.link.toServer->SetPredicate(lossy);
    s.link.toClient->SetPredicate(lossy);
    auto next = std::make_shared<uint32_t>(0);
    auto size = [](uint32_t i) { return kSizes[(i * 7) % 5]; };
    auto timed = [timedEvery](uint32_t i) { return timedEvery && i % timedEvery == 1; };
    std::function<void()> pump = [&, next] {
        while (*next < n && s.client->GetTxAvailable() >= size(*next))
        {
            uint32_t i = (*next)++;
            Time life = timed(i) ? MilliSeconds(200) : Time();
            s.client->SendMsg(Message(i, size(i)), uint16_t(i % 4), i % 3 == 0, 0, life);
        }
        if (*next < n)
        {
            Simulator::Schedule(MilliSeconds(10), pump);
        }
    };
    Simulator::Schedule(Seconds(0.5), pump);
    Simulator::Stop(Seconds(120));
    Simulator::Run();
    EXPECT_TRUE(s.client->IsIDataNegotiated());
    std::set<uint32_t> seen;
    std::map<uint16_t, uint32_t> lastOrdered;
    uint32_t timedGot = 0;
    for (const Received& r : s.sink.got)
    {
        uint32_t i = NumberOf(r.data);
        EXPECT_LT(i, n);
        EXPECT_TRUE(Intact(r.data, i, size(i))) << "message " << i;
        EXPECT_TRUE(seen.insert(i).second) << "message " << i << " delivered twice";
        EXPECT_EQ(r.sid, i % 4);
        EXPECT_EQ(r.unordered, i % 3 == 0);
        timedGot += timed(i);
        if (!r.unordered)
        {
            auto it = lastOrdered.find(r.sid);
            EXPECT_TRUE(it == lastOrdered.end() || it->second < i)
                << "stream " << r.sid << ": " << i << " after " << it->second;
            lastOrdered[r.sid] = i;
        }
    }
    for (uint32_t i = 0; i < n; ++i)
    {
        EXPECT_TRUE(timed(i) || seen.count(i)) << "reliable message " << i << " lost";
    }
    const auto& st = s.client->GetStats();
    EXPECT_GT(s.link.toServer->dropped + s.link.toClient->dropped, 20u);
    EXPECT_GT(st.retransmissions, 10u);
    EXPECT_EQ(st.dataChunksSent, st.idataChunksSent);
    EXPECT_EQ(s.sink.conn->GetStats().idataFragmentsDropped, 0u);
    EXPECT_EQ(s.sink.conn->GetStats().protocolViolationAborts, 0u);
    std::cout << "loss: " << s.link.toServer->dropped << " + " << s.link.toClient->dropped
              << " packets dropped, " << st.retransmissions << " retransmissions ("
              << st.fastRetransmissions << " fast), " << st.t3Expirations << " T3, "
              << st.messagesAbandoned << " abandoned, " << st.forwardTsnSent
              << " I-FORWARD-TSN sent\n";
    return timedGot;
}

} // namespace

// Proves integrity under loss with interleaving: 3 % of the packets with
// I-DATA or SACK lost each way (seeded), 400 messages of 60 B to 20 kB on
// four streams, every third unordered, sent as fast as the buffer allows with
// RoundRobin. Every message arrives once and intact, the ordered ones of each
// stream in order; losses were repaired by fast retransmit and T3.
TEST_F(SctpIData, InterleavedTransferSurvivesRandomLoss)
{
    Pair s(true, true);
    EXPECT_EQ(LossyTransfer(s, 400, 0), 0u);
    EXPECT_EQ(s.sink.got.size(), 400u);
}

// Proves PR-SCTP with I-DATA under random loss: the same transfer with every
// fifth message given a 200 ms lifetime (RTO.Min is 1 s, so a fragment lost
// twice outlives it). Some timed messages expire and are announced with
// I-FORWARD-TSN (never FORWARD TSN); every message without a lifetime is
// still delivered once, intact and in order, and the receiver ends holding
// nothing (its window whole).
TEST_F(SctpIData, LifetimesExpiringUnderLossStillDeliverTheRest)
{
    Pair s(true, true, true, true);
    uint32_t timedGot = LossyTransfer(s, 400, 5);
    const auto& st = s.client->GetStats();
    EXPECT_GT(st.messagesAbandoned, 0u);
    EXPECT_GT(st.forwardTsnSent, 0u);
    EXPECT_GT(Pair::Count(*s.link.toServer, sctp::CHUNK_IFORWARD_TSN), 0u);
    EXPECT_EQ(Pair::Count(*s.link.toServer, sctp::CHUNK_FORWARD_TSN), 0u);
    EXPECT_EQ(s.sink.got.size(), 320u + timedGot);
    EXPECT_EQ(80u - timedGot, st.messagesAbandoned);
    EXPECT_EQ(s.sink.conn->GetLocalRwnd(), 131072u);
}

namespace
{

/// Hands the server a packet with one chunk of `type` (DATA or I-DATA) on
/// the client's association, as the client would send it.
void
InjectUserData(Pair& s, uint8_t type)
{
    const SeenPacket& last = s.link.toServer->seen.back();
    sctp::PacketBuilder b;
    b.Begin(last.view.srcPort, last.view.dstPort, last.view.vtag);
    const uint8_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint32_t tsn = 0x12345678u;
    if (type == sctp::CHUNK_DATA)
    {
        b.AddData(sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END, tsn, 0, 0, 0, payload, 8);
    }
    else
    {
        b.AddIData(sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END, tsn, 0, 0, 0, payload, 8);
    }
    InjectBytes(s.link, 0, 1, b.Finish());
}

/// The causes of the ABORT the server sent the client, if any.
bool
AbortCauses(const Pair& s, std::vector<uint16_t>& codes)
{
    for (const SeenPacket& p : s.link.toClient->seen)
    {
        for (const auto& c : p.view.chunks)
        {
            std::vector<sctp::ErrorCause> causes;
            if (c.type == sctp::CHUNK_ABORT && sctp::DecodeCauses(c, causes).Ok())
            {
                for (const auto& cause : causes)
                {
                    codes.push_back(cause.code);
                }
                return true;
            }
        }
    }
    return false;
}

} // namespace

// Proves RFC 8260 §2.2's rule both ways: a DATA chunk on an association that
// negotiated I-DATA, and an I-DATA chunk on one that did not (the receiver
// supports I-DATA, the peer did not offer it), make the receiver ABORT with
// a "Protocol Violation" cause (13); its application sees an error close and
// the counter says why. An endpoint with Interleaving off does not know type
// 64: an I-DATA chunk is an unknown chunk to it as before (type bits 01:
// stop, report in an ERROR), no ABORT.
TEST_F(SctpIData, WrongDataChunkKindAbortsWithProtocolViolation)
{
    struct Case
    {
        bool clientOn;
        bool serverOn;
        uint8_t inject;
        bool aborts;
    };
    for (const Case& c : {Case{true, true, sctp::CHUNK_DATA, true},
                          Case{false, true, sctp::CHUNK_IDATA, true},
                          Case{false, false, sctp::CHUNK_IDATA, false}})
    {
        SCOPED_TRACE(std::to_string(c.clientOn) + std::to_string(c.serverOn) + " chunk " +
                     std::to_string(c.inject));
        {
            Pair s(c.clientOn, c.serverOn);
            Simulator::Schedule(Seconds(0.5), [&] { InjectUserData(s, c.inject); });
            Simulator::Stop(Seconds(1));
            Simulator::Run();
            ASSERT_TRUE(s.sink.conn);
            std::vector<uint16_t> codes;
            EXPECT_EQ(AbortCauses(s, codes), c.aborts);
            EXPECT_EQ(s.sink.errorClose, c.aborts);
            EXPECT_EQ(s.clientError, c.aborts);
            EXPECT_EQ(s.sink.conn->GetStats().protocolViolationAborts, c.aborts ? 1u : 0u);
            if (c.aborts)
            {
                EXPECT_EQ(codes, std::vector<uint16_t>{sctp::CAUSE_PROTOCOL_VIOLATION});
            }
            else
            {
                EXPECT_EQ(s.sink.conn->GetState(), SCTP_ESTABLISHED);
                EXPECT_EQ(Pair::Count(*s.link.toClient, sctp::CHUNK_ERROR), 1u);
                EXPECT_TRUE(s.sink.got.empty());
            }
        }
        Simulator::Destroy();
    }
}

// Proves PR-SCTP with I-DATA (RFC 8260 §2.3): with both ends on, INIT and
// INIT ACK list 64 and 194 and both I-DATA and PR-SCTP are used. Two timed
// messages are doomed: on ordered stream 1 (MID 0, three fragments) every
// copy of the middle fragment is lost, on unordered stream 3 (MID 0, two
// fragments) every copy of the first. When their 300 ms lifetimes expire
// the sender abandons them and announces them with an I-FORWARD-TSN (no
// FORWARD TSN) listing (1, ordered, MID 0) and (3, unordered, MID 0); the
// receiver frees the fragments it held (its window is whole again once all
// is read) and delivers the 20 reliable messages behind them, stream 1's
// in order; the doomed ones never reach the application.
TEST_F(SctpIData, ExpiredMessagesSkippedWithIForwardTsn)
{
    Pair s(true, true, true, true);
    s.link.toServer->SetPredicate([](const SeenPacket& p) {
        for (const auto& c : p.view.chunks)
        {
            sctp::IDataChunk d;
            if (c.type != sctp::CHUNK_IDATA || !sctp::DecodeIData(c, d).Ok() || d.mid != 0)
            {
                continue;
            }
            bool u = d.flags & sctp::DATA_FLAG_UNORDERED;
            if ((d.sid == 1 && !u && d.fsn == 1) || (d.sid == 3 && u && d.fsn == 0))
            {
                return true;
            }
        }
        return false;
    });
    Simulator::Schedule(Seconds(0.5), [&] {
        s.client->SendMsg(Message(0, 4000), 1, false, 0, MilliSeconds(300));
        s.client->SendMsg(Message(1, 2000), 3, true, 0, MilliSeconds(300));
        for (uint32_t i = 2; i < 22; ++i)
        {
            s.client->SendMsg(Message(i, i % 2 ? 1500 : 200), uint16_t(i % 2 ? 1 : 2), false);
        }
    });
    Simulator::Stop(Seconds(20));
    Simulator::Run();
    ASSERT_TRUE(s.client->IsIDataNegotiated());
    ASSERT_TRUE(s.client->IsPrSctpNegotiated());
    ASSERT_TRUE(s.sink.conn->IsIDataNegotiated());
    sctp::InitChunk init;
    ASSERT_TRUE(Pair::FindInit(*s.link.toServer, sctp::CHUNK_INIT, init));
    EXPECT_TRUE(sctp::ListsExtension(init, sctp::CHUNK_IFORWARD_TSN));
    EXPECT_EQ(s.client->GetStats().messagesAbandoned, 2u);
    EXPECT_EQ(Pair::Count(*s.link.toServer, sctp::CHUNK_FORWARD_TSN), 0u);
    ASSERT_GE(Pair::Count(*s.link.toServer, sctp::CHUNK_IFORWARD_TSN), 1u);
    EXPECT_GE(s.sink.conn->GetStats().forwardTsnReceived, 1u);
    std::set<std::tuple<uint16_t, bool, uint32_t>> announced;
    for (const SeenPacket& p : s.link.toServer->seen)
    {
        for (const auto& c : p.view.chunks)
        {
            sctp::IForwardTsnChunk f;
            if (c.type == sctp::CHUNK_IFORWARD_TSN && sctp::DecodeIForwardTsn(c, f).Ok())
            {
                for (const auto& e : f.entries)
                {
                    announced.insert({e.sid, e.unordered, e.mid});
                }
            }
        }
    }
    EXPECT_TRUE(announced.count({1, false, 0}));
    EXPECT_TRUE(announced.count({3, true, 0}));
    ASSERT_EQ(s.sink.got.size(), 20u);
    uint32_t lastOnStream1 = 0;
    for (const Received& r : s.sink.got)
    {
        uint32_t i = NumberOf(r.data);
        EXPECT_GE(i, 2u) << "an abandoned message was delivered";
        EXPECT_TRUE(Intact(r.data, i, i % 2 ? 1500 : 200));
        if (r.sid == 1)
        {
            EXPECT_GT(i, lastOnStream1);
            lastOnStream1 = i;
        }
    }
    EXPECT_EQ(s.sink.conn->GetLocalRwnd(), 131072u); // the held fragments were freed
}

namespace
{

/// tshark's `-T fields` rows for the frames matching a display filter.
std::vector<std::vector<std::string>>
TsharkFields(const std::string& pcap, const std::string& filter, const std::vector<std::string>& fields)
{
    std::string cmd = "tshark -r '" + pcap + "' -o sctp.checksum:crc-32c -Y '" + filter +
                      "' -T fields -E separator='|' -E aggregator=','";
    for (const std::string& f : fields)
    {
        cmd += " -e " + f;
    }
    return FieldRows(RunCommand(cmd + " 2>&1"), fields.size());
}

std::vector<std::string>
Split(const std::string& s)
{
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
    {
        out.push_back(item);
    }
    return out;
}

/// Writes SCTP packets as a pcap of raw IPv4 (LINKTYPE_RAW) frames from
/// 10.1.1.1 to 10.1.1.2, for chunks the simulation does not send.
void
WriteRawIpv4Pcap(const std::string& file, const std::vector<std::vector<uint8_t>>& sctpPackets)
{
    FILE* f = fopen(file.c_str(), "wb");
    ASSERT_TRUE(f);
    auto put32 = [f](uint32_t v) { fwrite(&v, 4, 1, f); }; // pcap headers: host order
    auto put16 = [f](uint16_t v) { fwrite(&v, 2, 1, f); };
    put32(0xa1b2c3d4u);
    put16(2);
    put16(4);
    put32(0);
    put32(0);
    put32(65535);
    put32(101); // LINKTYPE_RAW: the frame is the IP packet
    for (const auto& sctp : sctpPackets)
    {
        std::vector<uint8_t> ip = {0x45, 0, 0, 0, 0, 1, 0, 0, 64, 132, 0, 0, 10, 1, 1, 1, 10, 1, 1, 2};
        uint16_t total = uint16_t(ip.size() + sctp.size());
        ip[2] = uint8_t(total >> 8);
        ip[3] = uint8_t(total);
        uint32_t sum = 0;
        for (size_t i = 0; i < ip.size(); i += 2)
        {
            sum += uint32_t(ip[i] << 8 | ip[i + 1]);
        }
        sum = (sum & 0xFFFF) + (sum >> 16);
        uint16_t check = uint16_t(~sum);
        ip[10] = uint8_t(check >> 8);
        ip[11] = uint8_t(check);
        ip.insert(ip.end(), sctp.begin(), sctp.end());
        put32(1);
        put32(0);
        put32(uint32_t(ip.size()));
        put32(uint32_t(ip.size()));
        fwrite(ip.data(), 1, ip.size(), f);
    }
    fclose(f);
}

} // namespace

// Proves that an independent dissector reads the model's I-DATA association
// as RFC 8260 SCTP: a pcap of a session with Interleaving + RoundRobin (INIT
// and INIT ACK with Supported Extensions listing 64, fragmented messages
// interleaved on three streams, a lost packet retransmitted, SHUTDOWN) is all
// SCTP with good CRC32c and no malformed or expert-error marks; tshark lists
// chunk type 64 as supported, and the TSN, stream, MID and FSN it decodes
// from every I-DATA chunk are the model's own (DecodeIData of the same
// packets). An I-FORWARD-TSN built by the codec (PacketBuilder::
// AddIForwardTsn) goes into a second pcap, which tshark must decode field by
// field, cleanly; one the model sends is in the PR-SCTP session's pcap
// (TsharkDissectsModelIForwardTsn).
TEST_F(SctpIData, TsharkDissectsIDataAndIForwardTsn)
{
    if (!HaveTshark())
    {
        GTEST_SKIP() << "tshark not installed (apt-get install tshark): external pcap check skipped";
    }
    std::string pcap = std::string(SIPIM_BINARY_DIR) + "/sctp-idata-tshark.pcap";
    std::set<std::string> ours;
    {
        Pair s(true, true);
        PointToPointHelper p2p;
        p2p.EnablePcap(pcap, s.link.devices.Get(0), false, true);
        auto dataPackets = std::make_shared<int>(0);
        s.link.toServer->SetPredicate([=](const SeenPacket& p) {
            return p.HasChunk(sctp::CHUNK_IDATA) && (*dataPackets)++ == 5;
        });
        Simulator::Schedule(Seconds(0.5), [&] {
            for (uint32_t i = 0; i < 12; ++i)
            {
                s.client->SendMsg(Message(i, i % 4 == 0 ? 5000 : 200), uint16_t(i % 3), i % 5 == 4);
            }
        });
        Simulator::Schedule(Seconds(4), [&] { s.client->Close(); });
        Simulator::Stop(Seconds(6));
        Simulator::Run();
        EXPECT_EQ(s.sink.got.size(), 12u);
        EXPECT_GT(s.client->GetStats().retransmissions, 0u);
        for (const SeenPacket& p : s.link.toServer->seen)
        {
            for (const auto& c : p.view.chunks)
            {
                sctp::IDataChunk d;
                if (c.type == sctp::CHUNK_IDATA && sctp::DecodeIData(c, d).Ok())
                {
                    ours.insert(std::to_string(d.tsn) + "/" + std::to_string(d.sid) + "/" +
                                std::to_string(d.mid) + "/" + std::to_string(d.fsn));
                }
            }
        }
    }
    Simulator::Destroy();
    EXPECT_GT(ExpectTsharkClean(pcap), 20);
    auto inits = TsharkFields(pcap, "sctp.chunk_type == 1", {"sctp.supported_chunk_type"});
    ASSERT_FALSE(inits.empty());
    EXPECT_EQ(inits[0][0], "64");
    std::set<std::string> theirs;
    std::set<std::string> multiStream; // packets whose I-DATA chunks are on several streams
    for (const auto& f : TsharkFields(pcap,
                                      "sctp.chunk_type == 64",
                                      {"sctp.data_tsn_raw", "sctp.data_sid", "sctp.data_mid",
                                       "sctp.data_b_bit", "sctp.data_fsn"}))
    {
        auto tsn = Split(f[0]);
        auto sid = Split(f[1]);
        auto mid = Split(f[2]);
        auto begin = Split(f[3]);
        auto fsn = Split(f[4]);
        ASSERT_EQ(tsn.size(), sid.size());
        ASSERT_EQ(tsn.size(), mid.size());
        ASSERT_EQ(tsn.size(), begin.size());
        // A B fragment has no FSN field (the PPID is there): tshark's list
        // of FSNs holds only the other chunks', in order.
        size_t nextFsn = 0;
        for (size_t i = 0; i < tsn.size(); ++i)
        {
            bool first = begin[i] == "1" || begin[i] == "True";
            std::string fsnText = first ? "0" : (nextFsn < fsn.size() ? fsn[nextFsn++] : "?");
            // tshark shows the stream identifier in hex (0x0001).
            theirs.insert(tsn[i] + "/" + std::to_string(std::stoul(sid[i], nullptr, 0)) + "/" + mid[i] +
                          "/" + fsnText);
        }
        EXPECT_EQ(nextFsn, fsn.size());
    }
    EXPECT_EQ(theirs, ours);
    EXPECT_GT(ours.size(), 15u);

    sctp::PacketBuilder b;
    b.Begin(5000, 5001, 0x01020304u);
    b.AddIForwardTsn(1000, {{1, false, 7}, {2, true, 3}});
    std::string fwd = std::string(SIPIM_BINARY_DIR) + "/sctp-iforward-tsn.pcap";
    WriteRawIpv4Pcap(fwd, {b.Finish()});
    EXPECT_EQ(ExpectTsharkClean(fwd), 1);
    auto rows = TsharkFields(fwd, "sctp.chunk_type == 194",
                             {"sctp.i_forward_tsn_tsn", "sctp.i_forward_tsn_sid", "sctp.i_forward_tsn_u_bit",
                              "sctp.forward_tsn_mid"});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "1000");
    EXPECT_EQ(Split(rows[0][1]).size(), 2u);
    EXPECT_EQ(rows[0][2], "0,1");
    EXPECT_EQ(rows[0][3], "7,3");
}

// Proves the model's own I-FORWARD-TSN dissects cleanly: the session of
// ExpiredMessagesSkippedWithIForwardTsn's kind in a pcap (one doomed ordered
// message, reliable ones behind it), every frame SCTP with good CRC32c and no
// malformed or expert-error marks, an I-FORWARD-TSN chunk (194) among them
// whose entry tshark reads as stream 1, U 0, MID 0.
TEST_F(SctpIData, TsharkDissectsModelIForwardTsn)
{
    if (!HaveTshark())
    {
        GTEST_SKIP() << "tshark not installed (apt-get install tshark): external pcap check skipped";
    }
    std::string pcap = std::string(SIPIM_BINARY_DIR) + "/sctp-idata-prsctp-tshark.pcap";
    {
        Pair s(true, true, true, true);
        PointToPointHelper p2p;
        p2p.EnablePcap(pcap, s.link.devices.Get(0), false, true);
        s.link.toServer->SetPredicate([](const SeenPacket& p) {
            for (const auto& c : p.view.chunks)
            {
                sctp::IDataChunk d;
                if (c.type == sctp::CHUNK_IDATA && sctp::DecodeIData(c, d).Ok() && d.sid == 1 && d.mid == 0)
                {
                    return true;
                }
            }
            return false;
        });
        Simulator::Schedule(Seconds(0.5), [&] {
            s.client->SendMsg(Message(0, 3000), 1, false, 0, MilliSeconds(300));
            for (uint32_t i = 1; i < 6; ++i)
            {
                s.client->SendMsg(Message(i, 500), 1, false);
            }
        });
        Simulator::Stop(Seconds(10));
        Simulator::Run();
        EXPECT_EQ(s.sink.got.size(), 5u);
    }
    Simulator::Destroy();
    EXPECT_GT(ExpectTsharkClean(pcap), 5);
    auto rows = TsharkFields(pcap, "sctp.chunk_type == 194",
                             {"sctp.i_forward_tsn_sid", "sctp.i_forward_tsn_u_bit", "sctp.forward_tsn_mid"});
    ASSERT_GE(rows.size(), 1u);
    EXPECT_EQ(std::stoul(rows[0][0], nullptr, 0), 1u);
    EXPECT_EQ(rows[0][1], "0");
    EXPECT_EQ(rows[0][2], "0");
}
