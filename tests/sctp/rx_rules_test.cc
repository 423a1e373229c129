// Receiver-side and set-up rules of RFC 9260 found in a second hostile
// review (the receiving end, its answers and its cookies): each test pins
// one rule the model got wrong.
#include "sctp_test_util.h"

#include "sctp/sctp-cookie.h"

#include <gtest/gtest.h>

using namespace ns3;
using namespace sipim_test;

namespace
{

class SctpRxRules : public ::testing::Test
{
  protected:
    void TearDown() override
    {
        Simulator::Destroy();
        Config::Reset();
    }
};

/// An association set up at t = 0 whose server-side answers (SACK, ERROR,
/// ABORT) never reach the client: the test speaks for the client with
/// hand-made packets and reads the answers from toClient->seen.
struct RawPeer
{
    Session s;
    uint32_t initialTsn = 0; // the client's, from its INIT
    uint32_t serverTag = 0;  // the verification tag the server expects
    uint16_t clientPort = 0;

    RawPeer()
    {
        s.link.toClient->SetPredicate([](const SeenPacket& p) {
            return p.HasChunk(sctp::CHUNK_SACK) || p.HasChunk(sctp::CHUNK_ERROR) ||
                   p.HasChunk(sctp::CHUNK_ABORT);
        });
        Simulator::Stop(Seconds(0.2));
        Simulator::Run();
        EXPECT_EQ(s.sink.conn->GetState(), SCTP_ESTABLISHED);
        const SeenPacket& init = s.link.toServer->seen.at(0);
        sctp::InitChunk ic;
        EXPECT_TRUE(sctp::DecodeInit(init.view.chunks.at(0), ic).Ok());
        initialTsn = ic.initialTsn;
        clientPort = init.view.srcPort;
        serverTag = s.link.toServer->seen.at(1).view.vtag; // the COOKIE ECHO's
    }
    /// One DATA chunk from the client, handed to the server now.
    void Data(uint32_t tsn, uint16_t sid, uint16_t ssn, uint8_t flags, const std::vector<uint8_t>& payload)
    {
        sctp::PacketBuilder b;
        b.Begin(clientPort, 5000, serverTag);
        b.AddData(flags, tsn, sid, ssn, 0, payload.data(), payload.size());
        InjectBytes(s.link, 0, 1, b.Finish());
    }
};

/// Hands the server (node 1) a COOKIE ECHO from the client's address and
/// port 40000, to port `toPort` with verification tag `vtag`. Its State
/// Cookie is sealed under the server's key as the server's listener on port
/// 5000 would issue it to that client (tags 0x11111111 / 0x22222222),
/// created at `createdNs` with `lifetimeMs` of life.
void
EchoServerCookie(const Link& link, uint16_t toPort, uint32_t vtag, uint64_t createdNs, uint32_t lifetimeMs)
{
    sctp::CookieState ck;
    ck.createdNs = createdNs;
    ck.lifetimeMs = lifetimeMs;
    ck.localTag = 0x11111111;
    ck.peerTag = 0x22222222;
    ck.localInitialTsn = 100;
    ck.peerInitialTsn = 200;
    InjectSealedCookie(link, 0, 1, 40000, toPort, 5000, vtag, ck);
}

} // namespace

// Proves §6.2 with §3.3.10.9: a DATA chunk without user data (Length 16) is
// answered by an ABORT whose "No User Data" cause (9) is 8 bytes long and
// carries that chunk's TSN. The model sent the cause with Length 4 and no
// TSN, a cause the RFC does not define.
TEST_F(SctpRxRules, NoUserDataAbortCarriesTheTsn)
{
    RawPeer r;
    const uint32_t tsn = r.initialTsn;
    r.Data(tsn, 0, 0, sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END, {});
    Simulator::Stop(Seconds(0.3));
    Simulator::Run();
    EXPECT_TRUE(r.s.sink.errorClose);
    auto causes = CausesSeen(*r.s.link.toClient, sctp::CHUNK_ABORT);
    ASSERT_EQ(causes.size(), 1u);
    EXPECT_EQ(causes[0].first, sctp::CAUSE_NO_USER_DATA);
    ASSERT_EQ(causes[0].second.size(), 4u);
    EXPECT_EQ(sctp::Get32(causes[0].second.data()), tsn);
}

// Proves §5.1 C with §3.3.10.2: an INIT ACK without its mandatory State
// Cookie ends the set-up and is answered by an ABORT that carries the INIT
// ACK's Initiate Tag and a "Missing Mandatory Parameter" cause naming one
// missing parameter, State Cookie (7): Cause Length 10. The model meant to
// send it but sent nothing (its ABORT routine stays silent in COOKIE-WAIT),
// and built the cause with Length 4, without the count and the type.
TEST_F(SctpRxRules, InitAckWithoutCookieAnsweredByAbortNamingIt)
{
    Link link;
    Sink sink;
    Client client;
    sink.Start(link.Server(), 5000);
    const uint32_t forgedTag = 0x1234ABCD;
    link.toClient->SetPredicate([&link, forgedTag](const SeenPacket& p) {
        if (!p.HasChunk(sctp::CHUNK_INIT_ACK))
        {
            return false;
        }
        // In its place: the same INIT ACK without the State Cookie.
        sctp::InitChunk ia;
        EXPECT_TRUE(sctp::DecodeInit(p.view.chunks.at(0), ia).Ok());
        sctp::PacketBuilder b;
        b.Begin(p.view.srcPort, p.view.dstPort, p.view.vtag);
        b.AddInit(sctp::CHUNK_INIT_ACK, forgedTag, ia.aRwnd, ia.outStreams, ia.inStreams, ia.initialTsn,
                  nullptr, 0);
        std::vector<uint8_t> bytes = b.Finish();
        Simulator::ScheduleNow([&link, bytes] { InjectBytes(link, 1, 0, bytes); });
        return true;
    });
    Simulator::Schedule(Seconds(0), [&] { client.Start(link.Client(), link.ServerAddress(5000)); });
    Simulator::Stop(Seconds(0.5));
    Simulator::Run();
    EXPECT_TRUE(client.failed);
    EXPECT_EQ(client.sock->GetState(), SCTP_CLOSED);
    const SeenPacket* abort = nullptr;
    for (const SeenPacket& p : link.toServer->seen)
    {
        abort = p.HasChunk(sctp::CHUNK_ABORT) ? &p : abort;
    }
    ASSERT_NE(abort, nullptr) << "no ABORT answered the INIT ACK";
    EXPECT_EQ(abort->view.vtag, forgedTag);
    EXPECT_EQ(abort->view.chunks.at(0).flags & sctp::FLAG_T, 0);
    auto causes = CausesSeen(*link.toServer, sctp::CHUNK_ABORT);
    ASSERT_EQ(causes.size(), 1u);
    EXPECT_EQ(causes[0].first, sctp::CAUSE_MISSING_PARAM);
    ASSERT_EQ(causes[0].second.size(), 6u); // N (32 bits), one 16-bit type
    EXPECT_EQ(sctp::Get32(causes[0].second.data()), 1u);
    EXPECT_EQ(sctp::Get16(causes[0].second.data() + 4), sctp::PARAM_STATE_COOKIE);
}

// Proves §5.1.5 step 3: a COOKIE ECHO whose ports are not the ones in its
// State Cookie is silently discarded. The model compared the source port
// only, so a cookie a node's listener on port 5000 issued, echoed to the
// same node's listener on port 5001 (one cookie key per node), set up an
// association there that the listener never saw an INIT for, answering
// with a COOKIE ACK from port 5000.
TEST_F(SctpRxRules, CookieEchoToAnotherPortSilentlyDiscarded)
{
    Link link;
    Sink a;
    Sink b;
    a.Start(link.Server(), 5000);
    b.Start(link.Server(), 5001);
    Simulator::Schedule(MilliSeconds(1), [&link] {
        // Issued by the listener on 5000, echoed to the one on 5001.
        EchoServerCookie(link, 5001, 0x11111111, uint64_t(Simulator::Now().GetNanoSeconds()), 60000);
    });
    Simulator::Stop(Seconds(0.2));
    Simulator::Run();
    EXPECT_FALSE(b.conn) << "an association on 5001 from a cookie of 5000";
    EXPECT_FALSE(a.conn);
    for (const SeenPacket& p : link.toClient->seen)
    {
        EXPECT_FALSE(p.HasChunk(sctp::CHUNK_COOKIE_ACK)) << "from port " << p.view.srcPort;
    }
}

// Proves the order of §5.1.5 steps 3 and 4: a COOKIE ECHO whose packet
// verification tag is not the cookie's is silently discarded (step 3) even
// when the cookie is also stale; only a COOKIE ECHO that passes step 3 gets
// the "Stale Cookie" ERROR of step 4. The model tested the lifetime first
// and answered anybody holding an old cookie, whatever tag they used.
TEST_F(SctpRxRules, StaleCookieWithWrongTagSilentlyDiscarded)
{
    Link link;
    Sink sink;
    sink.Start(link.Server(), 5000);
    // Created at t = 0 with 1 s of life: stale at 2 s.
    auto echo = [&link](uint32_t vtag) { EchoServerCookie(link, 5000, vtag, 0, 1000); };
    Simulator::Schedule(Seconds(2), [&] { echo(0x33333333); }); // wrong tag
    Simulator::Stop(Seconds(2.5));
    Simulator::Run();
    EXPECT_TRUE(CausesSeen(*link.toClient, sctp::CHUNK_ERROR).empty())
        << "a Stale Cookie ERROR for a COOKIE ECHO with the wrong tag";
    Simulator::Schedule(Seconds(0), [&] { echo(0x11111111); }); // the cookie's tag
    Simulator::Stop(Seconds(3));
    Simulator::Run();
    auto causes = CausesSeen(*link.toClient, sctp::CHUNK_ERROR);
    ASSERT_EQ(causes.size(), 1u);
    EXPECT_EQ(causes[0].first, sctp::CAUSE_STALE_COOKIE);
    EXPECT_FALSE(sink.conn);
}

// Proves that a second ordered message with the SSN (I-DATA: MID) of one
// already waiting on its stream is dropped and counted, and that the
// receive window comes back whole once the application has read: the
// model counted its bytes as waiting, but the map kept the first message,
// so those bytes were never released and every later a_rwnd was short of
// them (a peer with broken numbering shrank the window for good).
TEST_F(SctpRxRules, DuplicateSsnOrMidDroppedWithoutShrinkingTheWindow)
{
    for (bool idata : {false, true})
    {
        SCOPED_TRACE(idata ? "I-DATA" : "DATA");
        Config::SetDefault("ns3::SctpSocket::Interleaving", BooleanValue(idata));
        RawPeer r;
        ASSERT_EQ(r.s.sink.conn->IsIDataNegotiated(), idata);
        const std::vector<uint8_t> pl(100, 0x42);
        const uint8_t be = sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END;
        // Sequence numbers 1, 1 again (a new TSN), then 0.
        const uint32_t seqs[3] = {1, 1, 0};
        for (uint32_t i = 0; i < 3; ++i)
        {
            sctp::PacketBuilder b;
            b.Begin(r.clientPort, 5000, r.serverTag);
            if (idata)
            {
                b.AddIData(be, r.initialTsn + i, 0, seqs[i], 0, pl.data(), pl.size());
            }
            else
            {
                b.AddData(be, r.initialTsn + i, 0, uint16_t(seqs[i]), 0, pl.data(), pl.size());
            }
            InjectBytes(r.s.link, 0, 1, b.Finish());
        }
        Simulator::Stop(Seconds(0.5));
        Simulator::Run();
        EXPECT_EQ(r.s.sink.got.size(), 2u);
        EXPECT_EQ(r.s.sink.conn->GetStats().duplicateSeqDrops, 1u);
        EXPECT_EQ(r.s.sink.conn->GetRxAvailable(), 0u);
        EXPECT_EQ(r.s.sink.conn->GetLocalRwnd(), 131072u);
        Simulator::Destroy();
    }
}

// Proves §8.4 rule 1: an out-of-the-blue packet sent to a broadcast address
// (the link's subnet-directed one, or 255.255.255.255) or to a multicast
// one is counted and silently discarded. The model answered it with an
// ABORT whose source address was that broadcast / multicast address; the
// same packet to the node's unicast address is still answered.
TEST_F(SctpRxRules, OutOfTheBlueToNonUnicastAddressNotAnswered)
{
    Link link;
    auto inject = [&link](Ipv4Address dst) {
        sctp::PacketBuilder b;
        b.Begin(40000, 7, 0x12345678); // nobody on port 7
        const uint8_t byte = 1;
        b.AddData(sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END, 1, 0, 0, 0, &byte, 1);
        std::vector<uint8_t> bytes = b.Finish();
        Ipv4Header ip;
        ip.SetSource(link.ifaces.GetAddress(0));
        ip.SetDestination(dst);
        Ptr<Node> server = link.Server();
        server->GetObject<SctpL4Protocol>()->Receive(Create<Packet>(bytes.data(), uint32_t(bytes.size())),
                                                     ip,
                                                     server->GetObject<Ipv4L3Protocol>()->GetInterface(1));
    };
    auto aborts = [&link] {
        size_t n = 0;
        for (const SeenPacket& p : link.toClient->seen)
        {
            n += p.HasChunk(sctp::CHUNK_ABORT);
        }
        return n;
    };
    Simulator::Schedule(MilliSeconds(1), [&] {
        inject(Ipv4Address("10.1.1.255"));
        inject(Ipv4Address::GetBroadcast());
        inject(Ipv4Address("224.0.0.9"));
    });
    Simulator::Stop(Seconds(0.2));
    Simulator::Run();
    EXPECT_EQ(aborts(), 0u);
    EXPECT_EQ(link.Server()->GetObject<SctpL4Protocol>()->GetOutOfTheBlue(), 3u);
    Simulator::Schedule(Seconds(0), [&] { inject(link.ifaces.GetAddress(1)); });
    Simulator::Stop(Seconds(0.4));
    Simulator::Run();
    EXPECT_EQ(aborts(), 1u);
}

// Proves §9.2 with §6.10 and PMTU: the SACK that goes with a SHUTDOWN
// (gaps to report) leaves room for it, so the packet fits the path MTU. The
// SACK's Gap Ack Blocks were limited to fill the MTU alone, so with 362 or
// more of them the 8-byte SHUTDOWN made the packet too big for the link
// and IP fragmented it. Here 400 gaps are held (every other TSN) when the
// server's application closes: the SACK carries the 361 blocks that fit.
TEST_F(SctpRxRules, SackBundledWithShutdownFitsThePathMtu)
{
    RawPeer r;
    const uint8_t flags = sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END | sctp::DATA_FLAG_UNORDERED;
    for (uint32_t k = 0; k < 400; ++k)
    {
        r.Data(r.initialTsn + 1 + 2 * k, 0, 0, flags, {uint8_t(k)});
    }
    Simulator::Schedule(Seconds(0), [&r] { r.s.sink.conn->Close(); });
    Simulator::Stop(Seconds(1)); // the link carries 400 SACKs first
    Simulator::Run();
    EXPECT_EQ(r.s.sink.got.size(), 400u);
    const SeenPacket* shutdown = nullptr;
    for (const SeenPacket& p : r.s.link.toClient->seen)
    {
        shutdown = !shutdown && p.HasChunk(sctp::CHUNK_SHUTDOWN) ? &p : shutdown;
    }
    // An IP fragment is no SCTP packet to the drop model: a SHUTDOWN too
    // big for the link is not seen at all.
    ASSERT_NE(shutdown, nullptr) << "no SHUTDOWN arrived in one piece";
    EXPECT_LE(shutdown->ipBytes, 1500u);
    ASSERT_EQ(shutdown->view.chunks.size(), 2u);
    sctp::SackChunk sack;
    ASSERT_TRUE(sctp::DecodeSack(shutdown->view.chunks[0], sack).Ok());
    EXPECT_EQ(sack.gaps.size(), 361u); // (1480 - 12 - 16 - 8) / 4
}

// Proves RFC 3758 §3.5 F2 with the path MTU: a FORWARD TSN bundled after a
// SACK (both due at one transmission) fits the packet. The SACK's Gap Ack
// Blocks filled the MTU alone and the FORWARD TSN's 8 bytes (at least) came
// on top, so IP fragmented the packet. Here the server holds 400 gaps when
// a message of its own (PR-SCTP, 10 ms lifetime, its DATA lost) expires:
// the next DATA it receives makes it send a SACK and the FORWARD TSN.
TEST_F(SctpRxRules, ForwardTsnBundledWithSackFitsThePathMtu)
{
    Config::SetDefault("ns3::SctpSocket::PrSctpEnabled", BooleanValue(true));
    RawPeer r;
    ASSERT_TRUE(r.s.sink.conn->IsPrSctpNegotiated());
    r.s.link.toClient->SetPredicate([](const SeenPacket& p) {
        return p.HasChunk(sctp::CHUNK_SACK) || p.HasChunk(sctp::CHUNK_DATA);
    });
    const uint8_t flags = sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END | sctp::DATA_FLAG_UNORDERED;
    for (uint32_t k = 0; k < 400; ++k)
    {
        r.Data(r.initialTsn + 1 + 2 * k, 0, 0, flags, {uint8_t(k)});
    }
    r.s.sink.conn->SendMsg(Pattern(100, 1), 0, false, 0, MilliSeconds(10));
    Simulator::Schedule(MilliSeconds(50), [&r, flags] { r.Data(r.initialTsn + 801, 0, 0, flags, {1}); });
    Simulator::Stop(Seconds(1)); // the link carries 400 SACKs first
    Simulator::Run();
    EXPECT_EQ(r.s.sink.conn->GetStats().messagesAbandoned, 1u);
    const SeenPacket* fwd = nullptr;
    for (const SeenPacket& p : r.s.link.toClient->seen)
    {
        fwd = !fwd && p.HasChunk(sctp::CHUNK_FORWARD_TSN) ? &p : fwd;
    }
    // An IP fragment is no SCTP packet to the drop model: a packet too big
    // for the link is not seen at all.
    ASSERT_NE(fwd, nullptr) << "no FORWARD TSN arrived in one piece";
    EXPECT_LE(fwd->ipBytes, 1500u);
    EXPECT_TRUE(fwd->HasChunk(sctp::CHUNK_SACK));
}

// Proves that the chunks RFC 9260 has a receiver discard silently leave a
// trace (the project's rule: nothing is dropped unseen): an unknown chunk
// (§3.2) is counted whatever its type bits; with bits 00 the chunks after
// it in the packet are discarded, and counted; with bits 10 they are
// processed; a DATA chunk too short for its header is counted. The model
// dropped all of these without a counter or a log line.
TEST_F(SctpRxRules, SilentlyDiscardedChunksAreCounted)
{
    RawPeer r;
    const uint8_t byte = 7;
    const uint8_t be = sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END | sctp::DATA_FLAG_UNORDERED;
    auto send = [&r, &byte, be](uint8_t first, uint32_t tsn) {
        sctp::PacketBuilder b;
        b.Begin(r.clientPort, 5000, r.serverTag);
        b.AddEmpty(first, 0);
        b.AddData(be, tsn, 0, 0, 0, &byte, 1);
        InjectBytes(r.s.link, 0, 1, b.Finish());
    };
    send(0x3F, r.initialTsn);          // bits 00: stop; the DATA is discarded
    send(0xBF, r.initialTsn);          // bits 10: skip; the DATA is taken
    send(sctp::CHUNK_DATA, r.initialTsn + 1); // a 4-byte DATA chunk, then a good one
    Simulator::Stop(Seconds(0.3));
    Simulator::Run();
    const SctpSocket::Stats& st = r.s.sink.conn->GetStats();
    EXPECT_EQ(st.unknownChunks, 2u);
    EXPECT_EQ(st.chunksDiscardedAfterUnknown, 1u);
    EXPECT_EQ(st.dataMalformed, 1u);
    EXPECT_EQ(r.s.sink.got.size(), 2u);
}
