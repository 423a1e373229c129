// Partial delivery (RFC 9260 §6.9): a message larger than the receive buffer
// reaches the application in pieces, in order, intact, with DATA and with
// I-DATA, under loss, and with an aborted mark when the peer abandons it.
#include "sctp_test_util.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <tuple>

using namespace ns3;
using namespace sipim_test;

namespace
{

class SctpPartialDelivery : public ::testing::Test
{
  protected:
    void TearDown() override
    {
        Simulator::Destroy();
        Config::Reset();
    }
};

/// A message as the application put it together from its pieces.
struct Whole
{
    uint16_t sid = 0;
    uint16_t ssn = 0;
    bool unordered = false;
    size_t pieces = 0;
    bool aborted = false;
    std::vector<uint8_t> data;
};

/// Joins the pieces the sink read into messages, by stream, U flag and SSN
/// (what the tag says a piece belongs to), in the order each completed.
std::vector<Whole>
Join(const std::vector<Received>& got)
{
    std::vector<Whole> out;
    std::map<std::tuple<uint16_t, bool, uint16_t>, Whole> open;
    for (const Received& r : got)
    {
        Whole& w = open[{r.sid, r.unordered, r.ssn}];
        w.sid = r.sid;
        w.ssn = r.ssn;
        w.unordered = r.unordered;
        w.aborted = r.aborted;
        ++w.pieces;
        w.data.insert(w.data.end(), r.data.begin(), r.data.end());
        if (r.eor)
        {
            out.push_back(std::move(w));
            open.erase({r.sid, r.unordered, r.ssn});
        }
    }
    EXPECT_TRUE(open.empty()) << open.size() << " messages left without their end";
    return out;
}

/// `bytes` of pattern `seed` on `sid`, with a PR-SCTP lifetime if given.
Ptr<Packet>
OnStream(uint32_t bytes, uint32_t seed, uint16_t sid, Time lifetime = Time())
{
    Ptr<Packet> p = Pattern(bytes, seed);
    p->AddPacketTag(SctpStreamTag(sid, false));
    if (lifetime.IsStrictlyPositive())
    {
        p->AddPacketTag(SctpLifetimeTag(lifetime));
    }
    return p;
}

/// Both ends' defaults, set before any socket is made: a receive buffer of
/// `rcvBuf` bytes, I-DATA (round-robin scheduling) and PR-SCTP as asked.
void
Defaults(uint32_t rcvBuf, bool idata, bool prsctp = false)
{
    Config::SetDefault("ns3::SctpSocket::RcvBufSize", UintegerValue(rcvBuf));
    Config::SetDefault("ns3::SctpSocket::Interleaving", BooleanValue(idata));
    if (idata)
    {
        Config::SetDefault("ns3::SctpSocket::StreamScheduler", EnumValue(SctpSocket::SCHED_ROUND_ROBIN));
    }
    Config::SetDefault("ns3::SctpSocket::PrSctpEnabled", BooleanValue(prsctp));
}

/// The first TSN a packet carried of a DATA or I-DATA chunk with the B bit
/// on `sid` (0 if none yet).
uint32_t
FirstTsnOn(const SeenPacket& p, uint16_t sid)
{
    for (const auto& c : p.view.chunks)
    {
        sctp::DataChunk d;
        sctp::IDataChunk id;
        if (c.type == sctp::CHUNK_DATA && sctp::DecodeData(c, d).Ok() && d.sid == sid &&
            (d.flags & sctp::DATA_FLAG_BEGIN))
        {
            return d.tsn;
        }
        if (c.type == sctp::CHUNK_IDATA && sctp::DecodeIData(c, id).Ok() && id.sid == sid &&
            (id.flags & sctp::DATA_FLAG_BEGIN))
        {
            return id.tsn;
        }
    }
    return 0;
}

} // namespace

// Proves a message five times the receive buffer (40,000 bytes into 8,000)
// is delivered, where before it never was (the window closed on its first
// fragments and the sender probed it for ever): its bytes come in several
// pieces, intact and in order, all but the last saying "not end of record";
// the next message on the same stream comes whole after the last piece;
// one partial delivery is counted and none aborted; nothing is left held.
TEST_F(SctpPartialDelivery, MessageLargerThanTheReceiveBufferIsDeliveredInParts)
{
    Defaults(8000, false);
    Session s;
    Simulator::Schedule(Seconds(0.3), [&] {
        ASSERT_EQ(s.client.sock->Send(OnStream(40000, 1, 1)), 40000);
        ASSERT_EQ(s.client.sock->Send(OnStream(300, 2, 1)), 300);
    });
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    ASSERT_TRUE(s.sink.conn);
    std::vector<Whole> msgs = Join(s.sink.got);
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[0].data.size(), 40000u);
    EXPECT_TRUE(IsPattern(msgs[0].data, 1));
    EXPECT_GE(msgs[0].pieces, 5u);
    EXPECT_EQ(msgs[0].ssn, 0u);
    EXPECT_EQ(msgs[1].data.size(), 300u);
    EXPECT_TRUE(IsPattern(msgs[1].data, 2));
    EXPECT_EQ(msgs[1].pieces, 1u);
    EXPECT_EQ(msgs[1].ssn, 1u);
    EXPECT_EQ(s.sink.conn->GetStats().partialDeliveries, 1u);
    EXPECT_EQ(s.sink.conn->GetStats().partialDeliveriesAborted, 0u);
    EXPECT_EQ(s.sink.conn->GetLocalRwnd(), 8000u);
}

// Proves partial delivery under loss, and what may come between pieces: the
// last fragment of a 28-fragment message on stream 1 is lost once (the
// message fills its fragments, so the messages behind it go in the next
// packet). While it is missing, a message on stream 2 sent after it arrives
// and is delivered whole (its tag names its stream) between the large
// message's pieces, and a second message on stream 1 still comes only after
// the large one's last piece, which the retransmission brings.
TEST_F(SctpPartialDelivery, LossHoldsOnlyItsOwnStreamAndPiecesStayInOrder)
{
    Defaults(8000, false);
    Session s;
    auto firstTsn = std::make_shared<uint32_t>(0);
    auto dropped = std::make_shared<bool>(false);
    const uint32_t fragments = 28;
    const uint32_t bytes = fragments * 1452; // 1500-byte MTU: 1452 per DATA chunk
    s.link.toServer->SetPredicate([=](const SeenPacket& p) {
        if (!*firstTsn)
        {
            *firstTsn = FirstTsnOn(p, 1);
        }
        for (uint32_t t : p.Tsns())
        {
            if (*firstTsn && t == *firstTsn + fragments - 1 && !*dropped)
            {
                *dropped = true;
                return true;
            }
        }
        return false;
    });
    Simulator::Schedule(Seconds(0.3), [&] {
        ASSERT_EQ(s.client.sock->GetPrimaryPath().MaxDataPayload(), 1452u);
        ASSERT_EQ(s.client.sock->Send(OnStream(bytes, 1, 1)), int(bytes));
        ASSERT_EQ(s.client.sock->Send(OnStream(500, 2, 2)), 500);
        ASSERT_EQ(s.client.sock->Send(OnStream(500, 3, 1)), 500);
    });
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    ASSERT_TRUE(*dropped);
    std::vector<Whole> msgs = Join(s.sink.got);
    ASSERT_EQ(msgs.size(), 3u);
    // Stream 2's message completes first: it does not wait for stream 1.
    EXPECT_EQ(msgs[0].sid, 2u);
    EXPECT_TRUE(IsPattern(msgs[0].data, 2));
    EXPECT_EQ(msgs[1].sid, 1u);
    EXPECT_EQ(msgs[1].data.size(), bytes);
    EXPECT_TRUE(IsPattern(msgs[1].data, 1));
    EXPECT_GE(msgs[1].pieces, 2u);
    EXPECT_EQ(msgs[2].sid, 1u);
    EXPECT_EQ(msgs[2].ssn, 1u);
    EXPECT_TRUE(IsPattern(msgs[2].data, 3));
    // In the order read: a piece of the large message, stream 2's message,
    // the large message's last piece, then stream 1's second message.
    const auto& got = s.sink.got;
    ASSERT_GE(got.size(), 4u);
    EXPECT_EQ(got.front().sid, 1u);
    EXPECT_FALSE(got.front().eor);
    EXPECT_EQ(got[got.size() - 3].sid, 2u);
    EXPECT_EQ(got[got.size() - 2].sid, 1u);
    EXPECT_TRUE(got[got.size() - 2].eor);
    EXPECT_EQ(got[got.size() - 2].ssn, 0u);
    EXPECT_EQ(s.sink.conn->GetStats().partialDeliveriesAborted, 0u);
}

// Proves partial delivery with I-DATA (RFC 8260), where two large messages'
// fragments interleave on the wire (round-robin over streams 1 and 2): each
// gets its own partial delivery, both arrive intact, each piece's tag names
// its message, and a message behind each on its stream follows it.
TEST_F(SctpPartialDelivery, InterleavedMessagesAreEachDeliveredInParts)
{
    Defaults(8000, true);
    Session s;
    Simulator::Schedule(Seconds(0.3), [&] {
        ASSERT_EQ(s.client.sock->Send(OnStream(30000, 1, 1)), 30000);
        ASSERT_EQ(s.client.sock->Send(OnStream(30000, 2, 2)), 30000);
        ASSERT_EQ(s.client.sock->Send(OnStream(200, 3, 1)), 200);
        ASSERT_EQ(s.client.sock->Send(OnStream(200, 4, 2)), 200);
    });
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    ASSERT_TRUE(s.sink.conn);
    std::vector<Whole> msgs = Join(s.sink.got);
    ASSERT_EQ(msgs.size(), 4u);
    std::map<uint16_t, std::vector<const Whole*>> byStream;
    for (const Whole& w : msgs)
    {
        byStream[w.sid].push_back(&w);
    }
    for (uint16_t sid : {1, 2})
    {
        ASSERT_EQ(byStream[sid].size(), 2u) << "stream " << sid;
        EXPECT_EQ(byStream[sid][0]->data.size(), 30000u);
        EXPECT_TRUE(IsPattern(byStream[sid][0]->data, sid));
        EXPECT_GE(byStream[sid][0]->pieces, 2u);
        EXPECT_TRUE(IsPattern(byStream[sid][1]->data, sid + 2u));
    }
    EXPECT_EQ(s.sink.conn->GetStats().partialDeliveries, 2u);
    EXPECT_EQ(s.sink.conn->GetLocalRwnd(), 8000u);
}

// Proves the aborted mark (RFC 3758 with §6.9; RFC 8260 §2.3.2 for
// I-DATA): a 40,000-byte message with a 1.5 s lifetime whose 12th fragment
// is always lost is abandoned by the sender after its first pieces were
// delivered. The receiver ends the partial delivery with one empty Recv
// whose tag says IsPartialDeliveryAborted (stream and SSN of the message),
// counts it, drops the fragments it held, and delivers the next message on
// the stream. Run with DATA and FORWARD TSN, then I-DATA and I-FORWARD-TSN.
class SctpPartialDeliveryAbort : public SctpPartialDelivery,
                                 public ::testing::WithParamInterface<bool>
{
};

TEST_P(SctpPartialDeliveryAbort, AbandonedMessageEndsWithAnAbortedMark)
{
    const bool idata = GetParam();
    Defaults(8000, idata, true);
    Session s;
    auto firstTsn = std::make_shared<uint32_t>(0);
    s.link.toServer->SetPredicate([=](const SeenPacket& p) {
        if (!*firstTsn)
        {
            *firstTsn = FirstTsnOn(p, 1);
        }
        for (uint32_t t : p.Tsns())
        {
            if (*firstTsn && t == *firstTsn + 11)
            {
                return true;
            }
        }
        for (const auto& c : p.view.chunks)
        {
            sctp::IDataChunk id;
            if (c.type == sctp::CHUNK_IDATA && sctp::DecodeIData(c, id).Ok() && *firstTsn &&
                id.tsn == *firstTsn + 11)
            {
                return true;
            }
        }
        return false;
    });
    Simulator::Schedule(Seconds(0.3), [&] {
        ASSERT_EQ(s.client.sock->Send(OnStream(40000, 1, 1, Seconds(1.5))), 40000);
        ASSERT_EQ(s.client.sock->Send(OnStream(500, 2, 1)), 500);
    });
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    ASSERT_TRUE(s.sink.conn);
    ASSERT_EQ(s.client.sock->GetStats().messagesAbandoned, 1u);
    std::vector<Whole> msgs = Join(s.sink.got);
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_TRUE(msgs[0].aborted);
    EXPECT_EQ(msgs[0].sid, 1u);
    EXPECT_EQ(msgs[0].ssn, 0u);
    // 1500-byte MTU less IPv4, common and DATA (I-DATA) headers per fragment.
    EXPECT_EQ(msgs[0].data.size(), 11u * (idata ? 1448u : 1452u));
    EXPECT_TRUE(IsPattern(msgs[0].data, 1)) << "the pieces before the loss are the message's start";
    EXPECT_TRUE(s.sink.got[s.sink.got.size() - 2].data.empty()) << "the mark is an empty Recv";
    EXPECT_FALSE(msgs[1].aborted);
    EXPECT_TRUE(IsPattern(msgs[1].data, 2));
    EXPECT_EQ(msgs[1].data.size(), 500u);
    EXPECT_EQ(s.sink.conn->GetStats().partialDeliveries, 1u);
    EXPECT_EQ(s.sink.conn->GetStats().partialDeliveriesAborted, 1u);
    EXPECT_EQ(s.sink.conn->GetLocalRwnd(), 8000u) << "abandoned fragments left held";
}

INSTANTIATE_TEST_SUITE_P(DataAndIData,
                         SctpPartialDeliveryAbort,
                         ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) {
                             return i.param ? "IData" : "Data";
                         });

namespace
{

/// Message i: pattern i with i in its first 4 bytes (big endian).
Ptr<Packet>
Indexed(uint32_t i, uint32_t size)
{
    Ptr<Packet> p = Pattern(size, i);
    std::vector<uint8_t> b(size);
    p->CopyData(b.data(), size);
    sctp::Put32At(b.data(), i);
    return Create<Packet>(b.data(), size);
}

bool
IndexedIntact(const std::vector<uint8_t>& b, uint32_t i, uint32_t size)
{
    if (b.size() != size || NumberOf(b) != i)
    {
        return false;
    }
    std::vector<uint8_t> rest(b.begin() + 4, b.end());
    std::vector<uint8_t> want(size);
    Pattern(size, i)->CopyData(want.data(), size);
    return std::equal(rest.begin(), rest.end(), want.begin() + 4);
}

} // namespace

// Proves partial delivery holds up under random loss, with DATA and with
// I-DATA: 60 messages of 300 B to 47 kB (up to four times the 12,000-byte
// receive buffer) on three streams, every third unordered, sent as fast as
// the send buffer allows over a link losing 3 % of the packets with user
// data or SACK each way (seeded). Every message arrives once, intact (put
// together from its pieces by the tag), the ordered ones of each stream in
// order; some were delivered in parts, none aborted, and the receiver ends
// holding nothing.
class SctpPartialDeliveryLoss : public SctpPartialDelivery,
                                public ::testing::WithParamInterface<bool>
{
};

TEST_P(SctpPartialDeliveryLoss, RandomLossWithMessagesUpToFourTimesTheBuffer)
{
    const bool idata = GetParam();
    Defaults(12000, idata);
    Session s;
    std::mt19937 rng(6009);
    auto lossy = [&rng](const SeenPacket& p) {
        bool carries = p.HasChunk(sctp::CHUNK_DATA) || p.HasChunk(sctp::CHUNK_IDATA) ||
                       p.HasChunk(sctp::CHUNK_SACK);
        return carries && std::uniform_real_distribution<double>(0, 1)(rng) < 0.03;
    };
    s.link.toServer->SetPredicate(lossy);
    s.link.toClient->SetPredicate(lossy);
    const uint32_t n = 60;
    const uint32_t sizes[] = {300, 5000, 14000, 30000, 47000};
    auto size = [&sizes](uint32_t i) { return sizes[(i * 7) % 5]; };
    auto next = std::make_shared<uint32_t>(0);
    std::function<void()> pump = [&, next] {
        while (*next < n && s.client.sock->GetTxAvailable() >= size(*next))
        {
            uint32_t i = (*next)++;
            s.client.sock->SendMsg(Indexed(i, size(i)), uint16_t(i % 3), i % 3 == 0, 0, Time());
        }
        if (*next < n)
        {
            Simulator::Schedule(MilliSeconds(10), pump);
        }
    };
    Simulator::Schedule(Seconds(0.5), pump);
    Simulator::Stop(Seconds(300));
    Simulator::Run();
    ASSERT_TRUE(s.sink.conn);
    std::set<uint32_t> seen;
    std::map<uint16_t, uint32_t> lastOrdered;
    for (const Whole& w : Join(s.sink.got))
    {
        const uint32_t i = NumberOf(w.data);
        ASSERT_LT(i, n);
        EXPECT_TRUE(IndexedIntact(w.data, i, size(i))) << "message " << i;
        EXPECT_TRUE(seen.insert(i).second) << "message " << i << " delivered twice";
        EXPECT_EQ(w.sid, i % 3);
        EXPECT_EQ(w.unordered, i % 3 == 0);
        EXPECT_FALSE(w.aborted);
        if (!w.unordered)
        {
            auto it = lastOrdered.find(w.sid);
            EXPECT_TRUE(it == lastOrdered.end() || it->second < i)
                << "stream " << w.sid << ": " << i << " after " << it->second;
            lastOrdered[w.sid] = i;
        }
    }
    EXPECT_EQ(seen.size(), n);
    EXPECT_GT(s.link.toServer->dropped + s.link.toClient->dropped, 10u);
    const auto& rx = s.sink.conn->GetStats();
    EXPECT_GT(rx.partialDeliveries, 0u);
    EXPECT_EQ(rx.partialDeliveriesAborted, 0u);
    EXPECT_EQ(s.sink.conn->GetLocalRwnd(), 12000u);
    std::cout << (idata ? "I-DATA" : "DATA") << ": " << s.link.toServer->dropped << " + "
              << s.link.toClient->dropped << " packets dropped, " << rx.partialDeliveries
              << " messages delivered in parts\n";
}

INSTANTIATE_TEST_SUITE_P(DataAndIData,
                         SctpPartialDeliveryLoss,
                         ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) {
                             return i.param ? "IData" : "Data";
                         });
