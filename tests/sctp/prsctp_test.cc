// PR-SCTP (RFC 3758) with timed reliability: negotiation of
// Forward-TSN-Supported, abandoning messages whose lifetime expired, the
// FORWARD TSN on the wire (lost, retransmitted, malformed) and the receiver
// moving past what was abandoned.
#include "sctp_test_util.h"

#include <gtest/gtest.h>

#include <memory>
#include <sstream>

using namespace ns3;
using namespace sipim_test;

namespace
{

class SctpPrSctp : public ::testing::Test
{
  protected:
    void TearDown() override
    {
        Simulator::Destroy();
        Config::Reset();
    }
};

/// A client and a listening sink on one link, PR-SCTP on or off at each end
/// (the attribute PrSctpEnabled), the client connecting at t = 0.
struct PrSession
{
    Link link;
    Sink sink;
    Client client;

    PrSession(bool clientPr, bool serverPr)
        : link(SetDefault(clientPr))
    {
        sink.Start(link.Server(), 5000);
        sink.listener->SetAttribute("PrSctpEnabled", BooleanValue(serverPr));
        Simulator::Schedule(Seconds(0), [this] { client.Start(link.Client(), link.ServerAddress(5000)); });
    }
    // The client socket is made inside Client::Start: it takes the default.
    static std::string SetDefault(bool clientPr)
    {
        Config::SetDefault("ns3::SctpSocket::PrSctpEnabled", BooleanValue(clientPr));
        return "10Mbps";
    }
};

/// The first chunk of `type` in the packets a drop model saw (nullptr if none).
const SeenPacket*
FirstWith(const Ptr<SctpDropModel>& m, uint8_t type)
{
    for (const SeenPacket& p : m->seen)
    {
        if (p.HasChunk(type))
        {
            return &p;
        }
    }
    return nullptr;
}

const sctp::ChunkView&
ChunkOf(const SeenPacket& p, uint8_t type)
{
    for (const auto& c : p.view.chunks)
    {
        if (c.type == type)
        {
            return c;
        }
    }
    throw std::runtime_error("no such chunk");
}

/// Every FORWARD TSN the drop model saw, decoded, in order.
std::vector<sctp::ForwardTsnChunk>
ForwardTsns(const Ptr<SctpDropModel>& m)
{
    std::vector<sctp::ForwardTsnChunk> out;
    for (const SeenPacket& p : m->seen)
    {
        for (const auto& c : p.view.chunks)
        {
            sctp::ForwardTsnChunk f;
            if (c.type == sctp::CHUNK_FORWARD_TSN && sctp::DecodeForwardTsn(c, f).Ok())
            {
                out.push_back(f);
            }
        }
    }
    return out;
}

/// A packet with the header (ports, tag) of `like` and one chunk of `type`
/// with this value (length field 4 + value size, padded), signed.
std::vector<uint8_t>
ChunkPacket(const SeenPacket& like, uint8_t type, const std::vector<uint8_t>& value)
{
    std::vector<uint8_t> b(like.bytes.begin(), like.bytes.begin() + sctp::kCommonHeaderSize);
    size_t len = 4 + value.size();
    b.insert(b.end(), {type, 0, uint8_t(len >> 8), uint8_t(len)});
    b.insert(b.end(), value.begin(), value.end());
    b.resize(sctp::kCommonHeaderSize + sctp::Pad4(len), 0);
    Resign(b);
    return b;
}

struct Abandoned
{
    uint16_t sid;
    uint16_t ssn;
    uint32_t bytes;
    bool everSent;
};

void
RecordRtt(std::vector<Time>* at, Time, Time)
{
    at->push_back(Simulator::Now());
}

void
RecordAbandon(std::vector<Abandoned>* out, uint16_t sid, uint16_t ssn, uint32_t bytes, bool sent)
{
    out->push_back({sid, ssn, bytes, sent});
}

} // namespace

// Proves RFC 3758 §3.3 negotiation: PR-SCTP is used only when both INIT and
// INIT ACK carry Forward-TSN-Supported (0xC000). With one end on, that end
// sends the parameter and neither end uses PR-SCTP; an endpoint with it off
// reports the peer's parameter as unrecognised in its INIT ACK (§3.3.2, the
// RFC 9260 §3.2.1 rule for type bits 11), as before PR-SCTP existed. With
// both off the INIT is byte for byte the one the model always sent: the
// bytes PacketBuilder makes from its fields without the parameter (20-byte
// chunk), and the cookie's flag byte is 0.
TEST_F(SctpPrSctp, HandshakeNegotiatesOnlyWhenBothOffer)
{
    for (int mask = 0; mask < 4; ++mask)
    {
        const bool c = mask & 1;
        const bool s = mask & 2;
        SCOPED_TRACE("client " + std::to_string(c) + " server " + std::to_string(s));
        {
            PrSession ses(c, s);
            Simulator::Stop(Seconds(1));
            Simulator::Run();
            ASSERT_TRUE(ses.client.connected);
            ASSERT_TRUE(ses.sink.conn);
            EXPECT_EQ(ses.client.sock->IsPrSctpNegotiated(), c && s);
            EXPECT_EQ(ses.sink.conn->IsPrSctpNegotiated(), c && s);

            const SeenPacket* init = FirstWith(ses.link.toServer, sctp::CHUNK_INIT);
            const SeenPacket* initAck = FirstWith(ses.link.toClient, sctp::CHUNK_INIT_ACK);
            ASSERT_TRUE(init && initAck);
            sctp::InitChunk in;
            sctp::InitChunk ia;
            ASSERT_TRUE(sctp::DecodeInit(ChunkOf(*init, sctp::CHUNK_INIT), in, true).Ok());
            ASSERT_TRUE(sctp::DecodeInit(ChunkOf(*initAck, sctp::CHUNK_INIT_ACK), ia, true).Ok());
            EXPECT_EQ(in.forwardTsnSupported, c);
            EXPECT_EQ(ia.forwardTsnSupported, s);
            ASSERT_TRUE(ia.cookie);
            EXPECT_EQ(ia.cookie[1], c && s ? 1 : 0) << "cookie PR-SCTP flag";
            // The server's INIT ACK reports the parameter it does not use:
            // an Unrecognized Parameter (8, length 8) wrapping 0xC000 / 4.
            bool reported = false;
            const sctp::ChunkView& iac = ChunkOf(*initAck, sctp::CHUNK_INIT_ACK);
            for (size_t off = 16; off + 8 <= iac.valueLen; off += sctp::Pad4(sctp::Get16(iac.value + off + 2)))
            {
                const uint8_t* p = iac.value + off;
                reported |= sctp::Get16(p) == sctp::PARAM_UNRECOGNIZED && sctp::Get16(p + 2) == 8 &&
                            sctp::Get16(p + 4) == sctp::PARAM_FORWARD_TSN_SUPPORTED &&
                            sctp::Get16(p + 6) == 4;
                if (sctp::Get16(p + 2) < 4)
                {
                    break;
                }
            }
            EXPECT_EQ(reported, c && !s);
            if (!c)
            {
                sctp::PacketBuilder b;
                b.Begin(init->view.srcPort, init->view.dstPort, 0);
                b.AddInit(sctp::CHUNK_INIT, in.initTag, in.aRwnd, in.outStreams, in.inStreams, in.initialTsn, nullptr, 0);
                EXPECT_EQ(b.Finish(), init->bytes);
                EXPECT_EQ(init->bytes.size(), sctp::kCommonHeaderSize + 20u);
            }
            Simulator::Destroy();
        }
    }
}

namespace
{

/// Client sends A (ordered, stream 1, lifetime `lifeA`; 0 = reliable) at
/// t = 1 s, then B and (withC) C on the same stream at 1.1 s and 1.2 s, and
/// D at 9 s.
/// Every DATA packet carrying one of A's TSNs is dropped, for ever (with
/// onlyMiddle only its second fragment's); with dropFirstFwd also the first
/// packet with a FORWARD TSN.
struct StuckStream
{
    PrSession ses;
    uint32_t tsnA = 0;
    int fwdDropped = 0;
    std::vector<Abandoned> abandoned;
    std::vector<Time> rttAt; // when the client took an RTT sample

    StuckStream(bool pr, Time lifeA, uint32_t sizeA, bool dropFirstFwd, bool onlyMiddle = false, bool withC = true)
        : ses(pr, pr)
    {
        auto self = this;
        ses.link.toServer->SetPredicate([self, dropFirstFwd, sizeA, onlyMiddle](const SeenPacket& p) {
            std::vector<uint32_t> tsns = p.Tsns();
            if (self->tsnA == 0 && !tsns.empty())
            {
                self->tsnA = tsns[0]; // A is the first DATA sent
            }
            uint32_t fragments = (sizeA + 1451) / 1452;
            for (uint32_t t : tsns)
            {
                if (self->tsnA && (onlyMiddle ? t == self->tsnA + 1 : uint32_t(t - self->tsnA) < fragments))
                {
                    return true;
                }
            }
            if (dropFirstFwd && p.HasChunk(sctp::CHUNK_FORWARD_TSN) && self->fwdDropped == 0)
            {
                ++self->fwdDropped;
                return true;
            }
            return false;
        });
        Simulator::Schedule(Seconds(0.5), [self] {
            self->ses.client.sock->TraceConnectWithoutContext("Abandon",
                                                              MakeBoundCallback(&RecordAbandon, &self->abandoned));
            self->ses.client.sock->TraceConnectWithoutContext("RTT", MakeBoundCallback(&RecordRtt, &self->rttAt));
        });
        Simulator::Schedule(Seconds(1), [self, lifeA, sizeA] {
            self->ses.client.sock->SendMsg(Numbered(sizeA, 0), 1, false, 0, lifeA);
        });
        Simulator::Schedule(Seconds(1.1), [self] { self->ses.client.sock->SendMsg(Numbered(100, 1), 1, false); });
        if (withC)
        {
            Simulator::Schedule(Seconds(1.2), [self] { self->ses.client.sock->SendMsg(Numbered(100, 2), 1, false); });
        }
        Simulator::Schedule(Seconds(9), [self] { self->ses.client.sock->SendMsg(Numbered(100, 3), 1, false); });
        Simulator::Stop(Seconds(12));
        Simulator::Run();
    }
    std::vector<uint32_t> Got() const
    {
        std::vector<uint32_t> n;
        for (const Received& r : ses.sink.got)
        {
            n.push_back(NumberOf(r.data));
        }
        return n;
    }
};

} // namespace

// Proves the point of PR-SCTP (§3.5, §3.6): message A, with a 1.5 s lifetime,
// never gets through (every copy is lost); the sender abandons it at the
// first T3 expiry after its lifetime (counted, traced once: stream 1, SSN 0,
// sent), sends a FORWARD TSN moving the peer's cumulative TSN to A's TSN
// with (stream 1, SSN 0), and the receiver delivers B and C, which waited
// behind A on the same ordered stream, and D sent later. Control: without
// PR-SCTP (same losses, lifetime ignored and counted) B and C are still
// stuck behind A after 12 s, and no FORWARD TSN is ever sent.
TEST_F(SctpPrSctp, ExpiredMessageAbandonedAndLaterMessagesDelivered)
{
    std::vector<uint32_t> gotPr;
    {
        StuckStream run(true, Seconds(1.5), 100, false);
        ASSERT_TRUE(run.ses.client.sock->IsPrSctpNegotiated());
        gotPr = run.Got();
        ASSERT_EQ(gotPr, (std::vector<uint32_t>{1, 2, 3}));
        const auto& st = run.ses.client.sock->GetStats();
        EXPECT_EQ(st.messagesAbandoned, 1u);
        EXPECT_EQ(st.messagesAbandonedUnsent, 0u);
        EXPECT_GE(st.forwardTsnSent, 1u);
        EXPECT_EQ(st.lifetimesIgnored, 0u);
        ASSERT_EQ(run.abandoned.size(), 1u);
        EXPECT_EQ(run.abandoned[0].sid, 1);
        EXPECT_EQ(run.abandoned[0].ssn, 0);
        EXPECT_EQ(run.abandoned[0].bytes, 100u);
        EXPECT_TRUE(run.abandoned[0].everSent);
        EXPECT_GE(run.ses.sink.conn->GetStats().forwardTsnReceived, 1u);
        auto fwd = ForwardTsns(run.ses.link.toServer);
        ASSERT_FALSE(fwd.empty());
        EXPECT_EQ(fwd[0].newCumTsn, run.tsnA);
        EXPECT_EQ(fwd[0].streams, (std::vector<std::pair<uint16_t, uint16_t>>{{1, 0}}));
        // B and C came after the abandonment (first T3 past 2.5 s), not before.
        EXPECT_GT(run.ses.sink.got[0].at, Seconds(2.5));
        EXPECT_EQ(run.ses.sink.got[0].ssn, 1);
        EXPECT_EQ(run.ses.client.sock->GetState(), SCTP_ESTABLISHED);
        Simulator::Destroy();
    }
    {
        StuckStream run(false, Seconds(1.5), 100, false);
        EXPECT_FALSE(run.ses.client.sock->IsPrSctpNegotiated());
        EXPECT_TRUE(run.Got().empty()) << "without PR-SCTP B waits behind A";
        const auto& st = run.ses.client.sock->GetStats();
        EXPECT_EQ(st.messagesAbandoned, 0u);
        EXPECT_EQ(st.forwardTsnSent, 0u);
        EXPECT_EQ(st.lifetimesIgnored, 1u);
        EXPECT_TRUE(ForwardTsns(run.ses.link.toServer).empty());
        Simulator::Destroy();
    }
}

// Proves A3 and §3.6 reassembly: a 4000-byte message (three fragments) whose
// middle fragment is always lost is abandoned whole: one abandonment, the
// FORWARD TSN's new cumulative TSN is its last fragment's TSN with its
// stream and SSN, the receiver drops the first and last fragments it held
// (its window is full again once the application has read everything) and
// the messages behind it on the stream are delivered. Only the middle
// fragment was ever retransmitted (the others were acknowledged by gap
// blocks).
TEST_F(SctpPrSctp, FragmentsOfALargeMessageAbandonedTogether)
{
    StuckStream run(true, Seconds(1.5), 4000, false, true);
    ASSERT_EQ(run.Got(), (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_EQ(run.ses.client.sock->GetStats().messagesAbandoned, 1u);
    ASSERT_EQ(run.abandoned.size(), 1u);
    EXPECT_EQ(run.abandoned[0].bytes, 4000u);
    auto fwd = ForwardTsns(run.ses.link.toServer);
    ASSERT_FALSE(fwd.empty());
    EXPECT_EQ(fwd[0].newCumTsn, run.tsnA + 2);
    EXPECT_EQ(fwd[0].streams, (std::vector<std::pair<uint16_t, uint16_t>>{{1, 0}}));
    // What the wire carried of A: fragments 1 and 3 once, fragment 2 again and again.
    int copies[3] = {0, 0, 0};
    for (const SeenPacket& p : run.ses.link.toServer->seen)
    {
        for (uint32_t t : p.Tsns())
        {
            if (uint32_t(t - run.tsnA) < 3)
            {
                ++copies[t - run.tsnA];
            }
        }
    }
    EXPECT_EQ(copies[0], 1);
    EXPECT_GE(copies[1], 2);
    EXPECT_EQ(copies[2], 1);
    EXPECT_EQ(run.ses.sink.conn->GetLocalRwnd(), 131072u) << "partial message left in reassembly";
}

// Proves a lost FORWARD TSN is sent again at T3 expiry (A5): A (110 ms
// lifetime, every copy lost) expires after B is sent and before B's SACK
// comes, and is abandoned on that SACK (C1-C3); the FORWARD TSN sent then is
// lost. The T3 timer still running from A expires and sends it again: B is
// delivered about one RTO later, not only when D (9 s) brings the next SACK.
TEST_F(SctpPrSctp, LostForwardTsnIsRetransmitted)
{
    StuckStream run(true, MilliSeconds(110), 100, true, false, false);
    EXPECT_EQ(run.fwdDropped, 1);
    ASSERT_EQ(run.Got(), (std::vector<uint32_t>{1, 3}));
    EXPECT_LT(run.ses.sink.got[0].at, Seconds(3)) << "the lost FORWARD TSN was not sent again at T3";
    EXPECT_EQ(run.ses.client.sock->GetStats().t3Expirations, 1u);
    auto fwd = ForwardTsns(run.ses.link.toServer);
    ASSERT_GE(fwd.size(), 2u);
    EXPECT_EQ(fwd[0].newCumTsn, run.tsnA);
    EXPECT_EQ(fwd[1].newCumTsn, run.tsnA);
    EXPECT_EQ(run.ses.client.sock->GetStats().messagesAbandoned, 1u);
    EXPECT_EQ(run.ses.sink.conn->GetStats().forwardTsnReceived, run.ses.client.sock->GetStats().forwardTsnSent - 1);
}

// Proves TR2: messages whose lifetime does not expire are as reliable as any
// (every 4th DATA packet lost, 60 s lifetimes): all 60 delivered in order,
// none abandoned, no FORWARD TSN, and retransmissions did happen.
TEST_F(SctpPrSctp, UnexpiredLifetimesDeliveredReliably)
{
    PrSession ses(true, true);
    auto n = std::make_shared<int>(0);
    ses.link.toServer->SetPredicate([n](const SeenPacket& p) { return !p.Tsns().empty() && (*n)++ % 4 == 3; });
    Simulator::Schedule(Seconds(1), [&] {
        for (uint32_t i = 0; i < 60; ++i)
        {
            ses.client.sock->SendMsg(Numbered(i % 7 == 0 ? 3000 : 300, i), uint16_t(i % 3), false, 0, Seconds(60));
        }
    });
    Simulator::Stop(Seconds(20));
    Simulator::Run();
    ASSERT_EQ(ses.sink.got.size(), 60u);
    std::vector<uint32_t> next(3, 0);
    for (const Received& r : ses.sink.got)
    {
        uint32_t i = NumberOf(r.data);
        EXPECT_EQ(i % 3, r.sid);
        EXPECT_EQ(i / 3, next[r.sid]++) << "order on stream " << r.sid;
    }
    const auto& st = ses.client.sock->GetStats();
    EXPECT_GT(st.retransmissions, 0u);
    EXPECT_EQ(st.messagesAbandoned, 0u);
    EXPECT_EQ(st.forwardTsnSent, 0u);
    EXPECT_TRUE(ForwardTsns(ses.link.toServer).empty());
}

// Proves TR3 with TSNs assigned at Send: a message (U, number 5) that
// expires while it waits behind a reliable one (R, number 4; cwnd is full
// and the first flight is lost until 1.8 s) is abandoned without ever
// being sent: when R goes, U is passed over, its TSN is in no DATA chunk on
// the wire, the abandonment is counted as unsent and traced as never sent,
// the FORWARD TSN covers its TSN once the reliable data before it is
// acknowledged, and the next message on the stream (6) is delivered after
// the five reliable ones. That FORWARD TSN goes on the SACK that leaves
// nothing in flight (the T3 rules stop the timer) and is lost: C5 starts a
// T3 for it, whose expiry sends it again well before message 6 would bring
// another SACK.
TEST_F(SctpPrSctp, ExpiredUnsentMessageIsNeverSent)
{
    PrSession ses(true, true);
    auto fwdSeen = std::make_shared<int>(0);
    ses.link.toServer->SetPredicate([fwdSeen](const SeenPacket& p) {
        if (p.HasChunk(sctp::CHUNK_FORWARD_TSN) && (*fwdSeen)++ == 0)
        {
            return true;
        }
        return !p.Tsns().empty() && Simulator::Now() < Seconds(1.8);
    });
    std::vector<Abandoned> abandoned;
    Simulator::Schedule(Seconds(0.5), [&] {
        ses.client.sock->TraceConnectWithoutContext("Abandon", MakeBoundCallback(&RecordAbandon, &abandoned));
    });
    Simulator::Schedule(Seconds(1), [&] {
        for (uint32_t i = 0; i < 4; ++i)
        {
            ses.client.sock->SendMsg(Numbered(1400, i), 0, false);
        }
        ses.client.sock->SendMsg(Numbered(200, 4), 0, false);
        ses.client.sock->SendMsg(Numbered(200, 5), 0, false, 0, Seconds(0.5));
    });
    Simulator::Schedule(Seconds(6), [&] { ses.client.sock->SendMsg(Numbered(200, 6), 0, false); });
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    std::vector<uint32_t> got;
    for (const Received& r : ses.sink.got)
    {
        got.push_back(NumberOf(r.data));
    }
    EXPECT_EQ(got, (std::vector<uint32_t>{0, 1, 2, 3, 4, 6}));
    const auto& st = ses.client.sock->GetStats();
    EXPECT_EQ(st.messagesAbandoned, 1u);
    EXPECT_EQ(st.messagesAbandonedUnsent, 1u);
    ASSERT_EQ(abandoned.size(), 1u);
    EXPECT_FALSE(abandoned[0].everSent);
    EXPECT_EQ(abandoned[0].ssn, 5);
    // The first DATA TSN is message 0's; U's is the sixth.
    uint32_t first = 0;
    for (const SeenPacket& p : ses.link.toServer->seen)
    {
        if (!p.Tsns().empty())
        {
            first = p.Tsns()[0];
            break;
        }
    }
    for (const SeenPacket& p : ses.link.toServer->seen)
    {
        for (uint32_t t : p.Tsns())
        {
            EXPECT_NE(t, first + 5) << "the expired message went on the wire at " << p.at.As(Time::S);
        }
    }
    auto fwd = ForwardTsns(ses.link.toServer);
    ASSERT_FALSE(fwd.empty());
    EXPECT_EQ(fwd[0].newCumTsn, first + 5);
    EXPECT_EQ(fwd[0].streams, (std::vector<std::pair<uint16_t, uint16_t>>{{0, 5}}));
    ASSERT_GE(fwd.size(), 2u);
    EXPECT_EQ(fwd[1].newCumTsn, first + 5);
    Time secondFwd;
    int n = 0;
    for (const SeenPacket& p : ses.link.toServer->seen)
    {
        if (p.HasChunk(sctp::CHUNK_FORWARD_TSN) && n++ == 1)
        {
            secondFwd = p.at;
        }
    }
    EXPECT_LT(secondFwd, Seconds(6)) << "the lost FORWARD TSN waited for the next SACK (no C5 timer)";
}

// Proves bad FORWARD TSNs are handled, not crashed on nor silently taken: on
// a PR-SCTP association, chunks with 0, 3, 6 and 10 value bytes (no whole
// New Cumulative TSN, half a stream pair) are counted as malformed and
// ignored, and a well-formed one that is out of date (its New Cumulative TSN
// is the one already reached) is counted and changes nothing; the
// association stays up and a message sent afterwards is delivered. On an association without PR-SCTP a well-formed
// FORWARD TSN is answered with an ERROR "Unrecognized Chunk Type" (RFC 3758
// §3.3.1) and changes nothing: the next message is delivered as usual.
TEST_F(SctpPrSctp, MalformedOrUnnegotiatedForwardTsnRejectedCleanly)
{
    for (bool pr : {true, false})
    {
        SCOPED_TRACE(pr ? "PR-SCTP" : "no PR-SCTP");
        PrSession ses(pr, pr);
        Simulator::Schedule(Seconds(1), [&] { ses.client.sock->SendMsg(Numbered(100, 0), 0, false); });
        Simulator::Schedule(Seconds(2), [&] {
            // A real client packet gives the ports and the verification tag.
            const SeenPacket* first = FirstWith(ses.link.toServer, sctp::CHUNK_DATA);
            ASSERT_TRUE(first);
            const SeenPacket copy = *first;
            const SeenPacket* data = &copy;
            const uint32_t tsn = data->Tsns().at(0);
            std::vector<uint8_t> cum{uint8_t(tsn >> 24), uint8_t(tsn >> 16), uint8_t(tsn >> 8), uint8_t(tsn)};
            if (pr)
            {
                for (size_t n : {0u, 3u, 6u, 10u})
                {
                    std::vector<uint8_t> v(cum);
                    v.resize(n, 0);
                    InjectBytes(ses.link, 0, 1, ChunkPacket(*data, sctp::CHUNK_FORWARD_TSN, v));
                }
                std::vector<uint8_t> v(cum);
                v.insert(v.end(), {0, 0, 0, 0}); // stream 0, SSN 0: delivered already
                InjectBytes(ses.link, 0, 1, ChunkPacket(*data, sctp::CHUNK_FORWARD_TSN, v));
            }
            else
            {
                InjectBytes(ses.link, 0, 1, ChunkPacket(*data, sctp::CHUNK_FORWARD_TSN, cum));
            }
        });
        Simulator::Schedule(Seconds(3), [&] { ses.client.sock->SendMsg(Numbered(100, 1), 0, false); });
        Simulator::Stop(Seconds(5));
        Simulator::Run();
        ASSERT_TRUE(ses.sink.conn);
        EXPECT_EQ(ses.sink.conn->GetState(), SCTP_ESTABLISHED);
        ASSERT_EQ(ses.sink.got.size(), 2u);
        EXPECT_EQ(NumberOf(ses.sink.got[1].data), 1u);
        const auto& st = ses.sink.conn->GetStats();
        bool errorSent = false;
        for (const SeenPacket& p : ses.link.toClient->seen)
        {
            for (const auto& c : p.view.chunks)
            {
                std::vector<sctp::ErrorCause> causes;
                if (c.type == sctp::CHUNK_ERROR && sctp::DecodeCauses(c, causes).Ok() && !causes.empty() &&
                    causes[0].code == sctp::CAUSE_UNRECOGNIZED_CHUNK && causes[0].infoLen >= 1 &&
                    causes[0].info[0] == sctp::CHUNK_FORWARD_TSN)
                {
                    errorSent = true;
                }
            }
        }
        if (pr)
        {
            EXPECT_EQ(st.forwardTsnMalformed, 4u);
            EXPECT_EQ(st.forwardTsnReceived, 1u); // the out-of-date one
            EXPECT_EQ(st.forwardTsnBadStreams, 0u);
            EXPECT_FALSE(errorSent);
        }
        else
        {
            EXPECT_EQ(st.forwardTsnReceived, 0u);
            EXPECT_TRUE(errorSent) << "no ERROR Unrecognized Chunk Type for the FORWARD TSN";
        }
        Simulator::Destroy();
    }
}

// Proves the PR-SCTP bytes are what Wireshark expects: a pcap of the
// abandonment scenario (Forward-TSN-Supported in INIT and INIT ACK, a
// FORWARD TSN with a stream entry) dissects with no malformed or
// expert-error marks, tshark decodes parameter 0xc000 and chunk type 192
// with the New Cumulative TSN and the stream / SSN the model wrote.
TEST_F(SctpPrSctp, TsharkDissectsForwardTsnAndParameter)
{
    if (!HaveTshark())
    {
        GTEST_SKIP() << "tshark not installed (apt-get install tshark): external pcap check skipped";
    }
    const std::string file = std::string(SIPIM_BINARY_DIR) + "/sctp-prsctp.pcap";
    uint32_t tsnA = 0;
    {
        PointToPointHelper p2p;
        // The server's device: what it sent and what reached it (not the dropped).
        PrSession ses(true, true);
        p2p.EnablePcap(file, ses.link.devices.Get(1), false, true);
        ses.link.toServer->SetPredicate([&tsnA](const SeenPacket& p) {
            std::vector<uint32_t> t = p.Tsns();
            if (tsnA == 0 && !t.empty())
            {
                tsnA = t[0];
            }
            return !t.empty() && t[0] == tsnA;
        });
        Simulator::Schedule(Seconds(1), [&] { ses.client.sock->SendMsg(Numbered(100, 0), 3, false, 0, Seconds(1)); });
        Simulator::Schedule(Seconds(1.1), [&] { ses.client.sock->SendMsg(Numbered(100, 1), 3, false); });
        Simulator::Stop(Seconds(6));
        Simulator::Run();
        ASSERT_EQ(ses.sink.got.size(), 1u);
        Simulator::Destroy();
    }
    EXPECT_GT(ExpectTsharkClean(file), 5);
    std::string params = RunCommand("tshark -r '" + file +
                                    "' -Y 'sctp.chunk_type == 1 || sctp.chunk_type == 2' -T fields "
                                    "-e sctp.chunk_type -e sctp.parameter_type 2>/dev/null");
    EXPECT_NE(params.find("1\t0xc000"), std::string::npos) << params;
    EXPECT_NE(params.find("2\t0xc000"), std::string::npos) << params;
    std::string fwd = RunCommand("tshark -r '" + file +
                                 "' -Y 'sctp.chunk_type == 192' -T fields -e sctp.forward_tsn_tsn "
                                 "-e sctp.forward_tsn_sid -e sctp.forward_tsn_ssn 2>/dev/null");
    EXPECT_EQ(fwd.substr(0, fwd.find('\n')), std::to_string(tsnA) + "\t3\t0") << fwd;
}

// Proves abandoning does not stall RTT measurement (§6.3.1 times one chunk
// per round trip): A (50 ms lifetime, every copy lost) is the chunk being
// timed when it is abandoned on the SACK for B, with no T3 expiry to reset
// the timing; C and D sent afterwards must still give RTT samples, and B,
// C, D are delivered.
TEST_F(SctpPrSctp, AbandonedChunkDoesNotStopRttMeasurement)
{
    StuckStream run(true, MilliSeconds(50), 100, false, false, true);
    ASSERT_EQ(run.Got(), (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_EQ(run.ses.client.sock->GetStats().messagesAbandoned, 1u);
    EXPECT_EQ(run.ses.client.sock->GetStats().t3Expirations, 0u);
    int after = 0;
    for (Time t : run.rttAt)
    {
        after += t > Seconds(1.1);
    }
    EXPECT_GE(after, 1) << run.rttAt.size() << " RTT samples in all";
}
