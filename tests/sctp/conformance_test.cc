// RFC 9260 conformance details found in a hostile review: each test pins one
// rule that the model once got wrong.
#include "sctp_test_util.h"

#include "sctp/sctp-cookie.h"

#include <gtest/gtest.h>

#include <map>

using namespace ns3;
using namespace sipim_test;

namespace
{

class SctpConformance : public ::testing::Test
{
  protected:
    void TearDown() override
    {
        Simulator::Destroy();
        Config::Reset();
    }
};

/// Hands a hand-built SCTP packet to `to`'s SCTP layer as if it came from `from`.
void
Inject(const Link& link, uint32_t from, uint32_t to, sctp::PacketBuilder& b)
{
    InjectBytes(link, from, to, b.Finish());
}

/// Hands `to` a COOKIE ECHO from `from` whose State Cookie is sealed under
/// `to`'s own key, as if `to` had issued it in an INIT ACK: ck gives the tags
/// (the packet's verification tag is ck.localTag, as the peer would put it),
/// this fills in the addresses, ports, lifetime and the usual stream counts.
void
InjectCookieEcho(const Link& link, uint32_t from, uint32_t to, uint16_t fromPort, uint16_t toPort, sctp::CookieState ck)
{
    ck.createdNs = uint64_t(Simulator::Now().GetNanoSeconds());
    ck.lifetimeMs = 60000;
    InjectSealedCookie(link, from, to, fromPort, toPort, toPort, ck.localTag, ck);
}

/// The client closes at 0.5 s and every SHUTDOWN ACK to it is lost, so the
/// server's association sits in SHUTDOWN-ACK-SENT (T2 resending) at 0.6 s.
struct HeldInShutdownAckSent
{
    Ptr<SctpSocket> conn; // the server's association
    uint32_t clientTag = 0;
    uint16_t clientPort = 0;
};

HeldInShutdownAckSent
HoldServerInShutdownAckSent(Session& s)
{
    s.link.toClient->SetPredicate([](const SeenPacket& p) { return p.HasChunk(sctp::CHUNK_SHUTDOWN_ACK); });
    Simulator::Schedule(Seconds(0.5), [&s] { s.client.sock->Close(); });
    Simulator::Stop(Seconds(0.6));
    Simulator::Run();
    HeldInShutdownAckSent h;
    h.conn = s.sink.conn;
    const auto& initAck = s.link.toClient->seen.at(0); // its tag is the client's
    h.clientTag = initAck.view.vtag;
    h.clientPort = initAck.view.dstPort;
    return h;
}

/// The client (node 0) connects to a listener on the server's port 5000 at
/// t = 0 and every INIT ACK to it is lost, so at 0.1 s it sits in
/// COOKIE-WAIT (T1-init still running).
struct ClientInCookieWait
{
    Link link;
    Sink sink;
    Client client;
    uint32_t clientTag = 0; // its INIT's Initiate Tag
    uint16_t clientPort = 0;

    ClientInCookieWait()
    {
        sink.Start(link.Server(), 5000);
        link.toClient->SetPredicate([](const SeenPacket& p) { return p.HasChunk(sctp::CHUNK_INIT_ACK); });
        Simulator::Schedule(Seconds(0), [this] { client.Start(link.Client(), link.ServerAddress(5000)); });
        Simulator::Stop(Seconds(0.1));
        Simulator::Run();
        const auto& init = link.toServer->seen.at(0);
        EXPECT_TRUE(init.HasChunk(sctp::CHUNK_INIT));
        clientTag = sctp::Get32(init.view.chunks[0].value);
        clientPort = init.view.srcPort;
    }
};

/// Hands the client (node 0) an INIT from the server's address and port 5000
/// with Initiate Tag `initTag`, and opens the State Cookie of the INIT ACK
/// the client answers with (sealed under the client's key). The INIT ACK is
/// the last packet toServer saw; ia points into it.
sctp::CookieState
CookieInAnswerToInit(Link& link, uint16_t clientPort, uint32_t initTag, sctp::InitChunk& ia)
{
    size_t before = link.toServer->seen.size();
    sctp::PacketBuilder b;
    b.Begin(5000, clientPort, 0);
    b.AddInit(sctp::CHUNK_INIT, initTag, 65536, 10, 10, 1234, nullptr, 0);
    Inject(link, 1, 0, b);
    Simulator::Stop(MilliSeconds(15)); // less than T1: only the answer is on its way
    Simulator::Run();
    sctp::CookieState ck;
    EXPECT_EQ(link.toServer->seen.size(), before + 1);
    const auto& answer = link.toServer->seen.back();
    EXPECT_TRUE(answer.HasChunk(sctp::CHUNK_INIT_ACK));
    EXPECT_EQ(answer.view.vtag, initTag);
    if (!answer.HasChunk(sctp::CHUNK_INIT_ACK) || !sctp::DecodeInit(answer.view.chunks[0], ia).Ok() ||
        !ia.cookie)
    {
        ADD_FAILURE() << "no INIT ACK with a State Cookie";
        return ck;
    }
    EXPECT_EQ(sctp::OpenCookie(ia.cookie,
                               ia.cookieLen,
                               link.Client()->GetObject<SctpL4Protocol>()->GetCookieKey(),
                               ck),
              sctp::CookieError::None);
    return ck;
}

/// A client connects to a listener on port 5000, and the server's INIT ACK
/// (or, with `type` CHUNK_INIT, the client's INIT) arrives with `params`
/// added (before its own parameters, or after them with atEnd); run for 1 s.
/// With a pcap name, the client's device is recorded.
struct InitAckWithParams
{
    Link link;
    Sink sink;
    Client client;

    InitAckWithParams(std::vector<uint8_t> params,
                      bool atEnd,
                      const std::string& pcap = "",
                      uint8_t type = sctp::CHUNK_INIT_ACK)
    {
        if (!pcap.empty())
        {
            PointToPointHelper().EnablePcap(pcap, link.devices.Get(0), false, true);
        }
        sink.Start(link.Server(), 5000);
        const bool toServer = type == sctp::CHUNK_INIT;
        InsertInitParams(toServer ? link.toServer : link.toClient,
                         link.nodes.Get(toServer ? 1 : 0),
                         1,
                         link.ifaces.GetAddress(toServer ? 0 : 1),
                         link.ifaces.GetAddress(toServer ? 1 : 0),
                         type,
                         std::move(params),
                         atEnd);
        Simulator::Schedule(Seconds(0), [this] { client.Start(link.Client(), link.ServerAddress(5000)); });
        Simulator::Stop(Seconds(1));
        Simulator::Run();
    }
    /// The first packet with a COOKIE ECHO, as the server received it.
    const SeenPacket* Echo() const
    {
        for (const SeenPacket& p : link.toServer->seen)
        {
            if (p.HasChunk(sctp::CHUNK_COOKIE_ECHO))
            {
                return &p;
            }
        }
        return nullptr;
    }
    /// The causes of the ERROR chunks in that packet.
    CauseList EchoErrors() const
    {
        const SeenPacket* e = Echo();
        return e ? ChunkCauses(*e, sctp::CHUNK_ERROR) : CauseList{};
    }
};

} // namespace

// §8.5.1 B and C: an ABORT (or SHUTDOWN COMPLETE) is accepted only with the
// receiver's own tag and the T bit clear, or with the peer's tag and the T
// bit set. The T bit with the receiver's own tag is not a valid combination:
// both are discarded, and the association lives on. The valid reflected
// form (T bit, peer's tag) still closes it.
TEST_F(SctpConformance, AbortWithTBitAndOwnTagIsDiscarded)
{
    Session s;
    Simulator::Stop(Seconds(0.5));
    Simulator::Run();
    ASSERT_TRUE(s.sink.conn);
    const auto& echo = s.link.toServer->seen.at(1).view; // COOKIE ECHO: the server's tag
    ASSERT_TRUE(s.link.toServer->seen.at(1).HasChunk(sctp::CHUNK_COOKIE_ECHO));
    uint32_t serverTag = echo.vtag;
    uint32_t clientTag = s.link.toClient->seen.at(0).view.vtag; // INIT ACK: the client's tag
    uint64_t drops = s.sink.conn->GetStats().badVtagDrops;

    sctp::PacketBuilder b;
    b.Begin(echo.srcPort, echo.dstPort, serverTag);
    b.AddEmpty(sctp::CHUNK_ABORT, sctp::FLAG_T);
    Inject(s.link, 0, 1, b);
    b.Begin(echo.srcPort, echo.dstPort, serverTag);
    b.AddEmpty(sctp::CHUNK_SHUTDOWN_COMPLETE, sctp::FLAG_T);
    Inject(s.link, 0, 1, b);
    EXPECT_EQ(s.sink.conn->GetState(), SCTP_ESTABLISHED);
    EXPECT_FALSE(s.sink.errorClose);
    EXPECT_EQ(s.sink.conn->GetStats().badVtagDrops, drops + 2);

    b.Begin(echo.srcPort, echo.dstPort, clientTag); // reflected: T bit, peer's tag
    b.AddEmpty(sctp::CHUNK_ABORT, sctp::FLAG_T);
    Inject(s.link, 0, 1, b);
    EXPECT_EQ(s.sink.conn->GetState(), SCTP_CLOSED);
    EXPECT_TRUE(s.sink.errorClose);
}

// §8.5.1 B: in COOKIE-WAIT the peer's tag is not known yet (held as 0), so
// no reflected ABORT can match it. An ABORT with the T bit and tag 0 - one
// that anybody can forge without seeing a single packet - must not kill the
// association being set up; the ABORT that really answers an INIT (§8.4:
// the INIT's Initiate Tag, T bit clear) still does.
TEST_F(SctpConformance, BlindAbortWithTBitAndZeroTagIgnoredInCookieWait)
{
    ClientInCookieWait h;
    auto& [link, sink, client, clientTag, clientPort] = h;
    ASSERT_EQ(client.sock->GetState(), SCTP_COOKIE_WAIT);

    sctp::PacketBuilder b;
    b.Begin(5000, clientPort, 0);
    b.AddEmpty(sctp::CHUNK_ABORT, sctp::FLAG_T);
    Inject(link, 1, 0, b);
    EXPECT_EQ(client.sock->GetState(), SCTP_COOKIE_WAIT);
    EXPECT_FALSE(client.failed);

    b.Begin(5000, clientPort, clientTag);
    b.AddEmpty(sctp::CHUNK_ABORT, 0);
    Inject(link, 1, 0, b);
    EXPECT_EQ(client.sock->GetState(), SCTP_CLOSED);
    EXPECT_TRUE(client.failed);
}

// §9.2: in SHUTDOWN-SENT each packet with DATA is answered by a SHUTDOWN,
// and when the SHUTDOWN alone cannot acknowledge what arrived (gaps, or
// duplicates) a SACK MUST go with it. Here the receiver closes while the
// sender still has 30 messages to deliver, and the first DATA after the
// close is lost: the answers carry the gap blocks, so the sender repairs
// the loss by fast retransmit instead of waiting for T3-rtx, and both
// ends still close normally with every message delivered.
TEST_F(SctpConformance, ShutdownSentAnswersDataWithSackWhenGaps)
{
    Link link;
    Sink sink;
    Client client;
    sink.Start(link.Server(), 5000);
    Simulator::Schedule(Seconds(0), [&] { client.Start(link.Client(), link.ServerAddress(5000)); });
    Simulator::Schedule(Seconds(0.5), [&] {
        for (uint32_t i = 0; i < 30; ++i)
        {
            client.sock->Send(Pattern(1400, i));
        }
    });
    Time closedAt = Seconds(0.5) + MilliSeconds(12);
    Simulator::Schedule(closedAt, [&] {
        ASSERT_TRUE(sink.conn);
        sink.conn->Close();
        auto done = std::make_shared<bool>(false);
        link.toServer->SetPredicate([done](const SeenPacket& p) {
            if (!*done && !p.Tsns().empty())
            {
                *done = true;
                return true;
            }
            return false;
        });
    });
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    ASSERT_EQ(link.toServer->dropped, 1u);
    bool sackWithGapsBesideShutdown = false;
    for (const auto& p : link.toClient->seen)
    {
        if (p.at <= closedAt || !p.HasChunk(sctp::CHUNK_SHUTDOWN))
        {
            continue;
        }
        for (const auto& c : p.view.chunks)
        {
            sctp::SackChunk sack;
            if (c.type == sctp::CHUNK_SACK && sctp::DecodeSack(c, sack).Ok() && !sack.gaps.empty())
            {
                sackWithGapsBesideShutdown = true;
            }
        }
    }
    EXPECT_TRUE(sackWithGapsBesideShutdown);
    EXPECT_EQ(client.sock->GetStats().t3Expirations, 0u);
    EXPECT_GE(client.sock->GetStats().fastRetransmissions, 1u);
    ASSERT_EQ(sink.got.size(), 30u);
    for (uint32_t i = 0; i < 30; ++i)
    {
        EXPECT_TRUE(IsPattern(sink.got[i].data, i)) << i;
    }
    EXPECT_TRUE(client.normalClose);
    EXPECT_TRUE(sink.normalClose);
}

// §3.3.2: an INIT whose Initiate Tag is 0 MUST be silently discarded - by a
// listener and by a port with nobody on it (§8.4 3 defers to it). The model
// answered both with an ABORT carrying verification tag 0. An INIT with 0
// outbound streams is still answered by ABORT with its Initiate Tag.
TEST_F(SctpConformance, InitWithZeroInitiateTagSilentlyDiscarded)
{
    Link link;
    Sink sink;
    sink.Start(link.Server(), 5000);
    Simulator::Stop(Seconds(0.1));
    Simulator::Run();
    sctp::PacketBuilder b;
    for (uint16_t port : {uint16_t(5000), uint16_t(5001)}) // listener, nobody
    {
        b.Begin(7000, port, 0);
        b.AddInit(sctp::CHUNK_INIT, 0, 65536, 10, 10, 1234, nullptr, 0);
        Inject(link, 0, 1, b);
    }
    b.Begin(7000, 5000, 0);
    b.AddInit(sctp::CHUNK_INIT, 0xABCD, 65536, 0, 10, 1234, nullptr, 0);
    Inject(link, 0, 1, b);
    Simulator::Stop(Seconds(0.1));
    Simulator::Run();
    ASSERT_EQ(link.toClient->seen.size(), 1u); // only the answer to the OS = 0 INIT
    const auto& abort = link.toClient->seen[0];
    EXPECT_TRUE(abort.HasChunk(sctp::CHUNK_ABORT));
    EXPECT_EQ(abort.view.vtag, 0xABCDu);
    EXPECT_FALSE(sink.conn);
}

// §5.2.4 action B: a COOKIE ECHO whose cookie has the receiver's own tag but
// another peer tag (a late cookie from a set-up collision) MUST update the
// peer's tag and be answered by COOKIE ACK; the association's send state is
// not the cookie's business. Once ESTABLISHED the model re-initialised the
// association instead: cwnd back to its initial value and flight size to 0
// with chunks still outstanding (their acks were then subtracted from a
// flight that no longer counted them). Here two such cookies (to a new peer
// tag and back, so that the real peer matches again) reach the sender in the
// middle of a transfer, after cwnd has grown: flight size and cwnd stay as
// they were, each COOKIE ACK carries its cookie's peer tag, and all 80
// messages arrive and both ends close normally.
TEST_F(SctpConformance, CookieEchoCaseBKeepsSendState)
{
    Session s;
    Simulator::Schedule(Seconds(0.5), [&] {
        for (uint32_t i = 0; i < 80; ++i)
        {
            s.client.sock->Send(Pattern(1400, i));
        }
        s.client.sock->Close();
    });
    Simulator::Stop(Seconds(0.5) + MilliSeconds(60));
    Simulator::Run();
    Ptr<SctpSocket> sock = s.client.sock;
    ASSERT_EQ(sock->GetState(), SCTP_SHUTDOWN_PENDING);
    uint32_t flight = sock->GetPrimaryPath().flightSize;
    uint32_t cwnd = sock->GetPrimaryPath().cwnd;
    ASSERT_GT(flight, 0u);
    const auto& initAck = s.link.toClient->seen.at(0);
    ASSERT_TRUE(initAck.HasChunk(sctp::CHUNK_INIT_ACK));
    sctp::InitChunk ia;
    ASSERT_TRUE(sctp::DecodeInit(initAck.view.chunks[0], ia).Ok());
    uint32_t clientTag = initAck.view.vtag;
    uint16_t clientPort = initAck.view.dstPort;

    size_t before = s.link.toServer->seen.size();
    sctp::CookieState ck;
    ck.localTag = clientTag;
    ck.peerInitialTsn = ia.initialTsn;
    for (uint32_t peerTag : {0x5EED1234u, ia.initTag})
    {
        ck.peerTag = peerTag;
        InjectCookieEcho(s.link, 1, 0, 5000, clientPort, ck);
        EXPECT_EQ(sock->GetPrimaryPath().flightSize, flight);
        EXPECT_EQ(sock->GetPrimaryPath().cwnd, cwnd);
        EXPECT_EQ(sock->GetState(), SCTP_SHUTDOWN_PENDING);
    }
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    std::vector<uint32_t> cookieAckTags;
    for (size_t i = before; i < s.link.toServer->seen.size(); ++i)
    {
        if (s.link.toServer->seen[i].HasChunk(sctp::CHUNK_COOKIE_ACK))
        {
            cookieAckTags.push_back(s.link.toServer->seen[i].view.vtag);
        }
    }
    EXPECT_EQ(cookieAckTags, (std::vector<uint32_t>{0x5EED1234u, ia.initTag}));
    ASSERT_EQ(s.sink.got.size(), 80u);
    for (uint32_t i = 0; i < 80; ++i)
    {
        EXPECT_TRUE(IsPattern(s.sink.got[i].data, i)) << i;
    }
    EXPECT_TRUE(s.client.normalClose);
    EXPECT_TRUE(s.sink.normalClose);
}

// §5.2.4 action A: a peer that restarts while this end is in
// SHUTDOWN-ACK-SENT MUST NOT get a new association; the SHUTDOWN ACK is sent
// again with an ERROR "Cookie Received While Shutting Down" (cause 10). The
// model set the new association up inside the closing one: COOKIE ACK, new
// tags, and still SHUTDOWN-ACK-SENT. Here the server is held in
// SHUTDOWN-ACK-SENT (its SHUTDOWN ACKs are lost) when a restart cookie
// (tie-tags = the current tags) arrives: no COOKIE ACK, SHUTDOWN ACK and the
// ERROR with the old tag, state and tags unchanged. The restarted peer's
// SHUTDOWN COMPLETE (§8.5.1 E) then closes the old association, and the
// peer's next COOKIE ECHO sets the new one up through the listener.
TEST_F(SctpConformance, RestartInShutdownAckSentResendsShutdownAckWithError)
{
    Session s;
    auto [old, clientTag, clientPort] = HoldServerInShutdownAckSent(s);
    ASSERT_TRUE(old);
    ASSERT_EQ(old->GetState(), SCTP_SHUTDOWN_ACK_SENT);
    uint32_t serverTag = s.link.toServer->seen.at(1).view.vtag; // COOKIE ECHO

    size_t before = s.link.toClient->seen.size();
    sctp::CookieState ck; // what the server's INIT ACK to a restarted peer holds (§5.2.2)
    ck.localTag = 0x0A0A0A0Au;
    ck.peerTag = 0x0B0B0B0Bu;
    ck.localInitialTsn = 1000;
    ck.peerInitialTsn = 2000;
    ck.localTieTag = serverTag;
    ck.peerTieTag = clientTag;
    InjectCookieEcho(s.link, 0, 1, clientPort, 5000, ck);
    EXPECT_EQ(old->GetState(), SCTP_SHUTDOWN_ACK_SENT);
    Simulator::Stop(MilliSeconds(15)); // less than T2: only the answer is on its way
    Simulator::Run();
    ASSERT_EQ(s.link.toClient->seen.size(), before + 1);
    const auto& answer = s.link.toClient->seen.back();
    EXPECT_FALSE(answer.HasChunk(sctp::CHUNK_COOKIE_ACK));
    EXPECT_TRUE(answer.HasChunk(sctp::CHUNK_SHUTDOWN_ACK));
    EXPECT_EQ(answer.view.vtag, clientTag);
    bool cookieInShutdown = false;
    for (const auto& c : answer.view.chunks)
    {
        std::vector<sctp::ErrorCause> causes;
        if (c.type == sctp::CHUNK_ERROR && sctp::DecodeCauses(c, causes).Ok())
        {
            for (const auto& cause : causes)
            {
                cookieInShutdown |= cause.code == sctp::CAUSE_COOKIE_IN_SHUTDOWN;
            }
        }
    }
    EXPECT_TRUE(cookieInShutdown);
    EXPECT_EQ(old->GetState(), SCTP_SHUTDOWN_ACK_SENT);

    sctp::PacketBuilder b; // the restarted peer's answer to that SHUTDOWN ACK
    b.Begin(clientPort, 5000, clientTag);
    b.AddEmpty(sctp::CHUNK_SHUTDOWN_COMPLETE, sctp::FLAG_T);
    Inject(s.link, 0, 1, b);
    EXPECT_EQ(old->GetState(), SCTP_CLOSED);
    EXPECT_TRUE(s.sink.normalClose);

    before = s.link.toClient->seen.size();
    InjectCookieEcho(s.link, 0, 1, clientPort, 5000, ck); // its T1-cookie retransmission
    ASSERT_NE(s.sink.conn, old);
    EXPECT_EQ(s.sink.conn->GetState(), SCTP_ESTABLISHED);
    Simulator::Stop(MilliSeconds(15));
    Simulator::Run();
    ASSERT_GT(s.link.toClient->seen.size(), before);
    EXPECT_TRUE(s.link.toClient->seen[before].HasChunk(sctp::CHUNK_COOKIE_ACK));
    EXPECT_EQ(s.link.toClient->seen[before].view.vtag, ck.peerTag);
}

// §8.5.1 E: a SHUTDOWN ACK reaching an endpoint in COOKIE-WAIT or
// COOKIE-ECHOED is treated as out of the blue (§8.4 rule 5): it is answered
// by a SHUTDOWN COMPLETE with the T bit and the SHUTDOWN ACK's own tag, and
// the set-up goes on. This is how a peer that restarted (now COOKIE-ECHOED)
// lets the old association, stuck in SHUTDOWN-ACK-SENT, close. The model
// dropped it for its verification tag, so the old association lived on
// until T2-shutdown gave up.
TEST_F(SctpConformance, ShutdownAckInCookieEchoedAnsweredAsOutOfTheBlue)
{
    Session s;
    Link& link = s.link;
    link.toServer->SetPredicate([](const SeenPacket& p) { return p.HasChunk(sctp::CHUNK_COOKIE_ECHO); });
    Simulator::Stop(Seconds(0.1));
    Simulator::Run();
    ASSERT_EQ(s.client.sock->GetState(), SCTP_COOKIE_ECHOED);
    uint16_t clientPort = link.toServer->seen.at(0).view.srcPort;

    size_t before = link.toServer->seen.size();
    sctp::PacketBuilder b;
    b.Begin(5000, clientPort, 0x0DDBA11u); // the tag of an association gone
    b.AddEmpty(sctp::CHUNK_SHUTDOWN_ACK, 0);
    Inject(link, 1, 0, b);
    Simulator::Stop(MilliSeconds(15)); // less than T1
    Simulator::Run();
    ASSERT_EQ(link.toServer->seen.size(), before + 1);
    const auto& answer = link.toServer->seen.back();
    ASSERT_EQ(answer.view.chunks.size(), 1u);
    EXPECT_EQ(answer.view.chunks[0].type, sctp::CHUNK_SHUTDOWN_COMPLETE);
    EXPECT_EQ(answer.view.chunks[0].flags, sctp::FLAG_T);
    EXPECT_EQ(answer.view.vtag, 0x0DDBA11u);
    EXPECT_EQ(s.client.sock->GetState(), SCTP_COOKIE_ECHOED);
    EXPECT_FALSE(s.client.failed);
}

// §9.2: an INIT reaching an association in SHUTDOWN-ACK-SENT (its SHUTDOWN
// COMPLETE lost, the peer starting over) SHOULD be discarded and the
// SHUTDOWN ACK sent again; §5.2.2's INIT ACK does not apply to this state.
// The model answered with an INIT ACK carrying tie-tags, inviting a restart
// that §5.2.4 A then has to refuse. Now the one answer is a SHUTDOWN ACK
// with the association's tag, and the state stays SHUTDOWN-ACK-SENT.
TEST_F(SctpConformance, InitInShutdownAckSentResendsShutdownAck)
{
    Session s;
    auto [conn, clientTag, clientPort] = HoldServerInShutdownAckSent(s);
    ASSERT_TRUE(conn);
    ASSERT_EQ(conn->GetState(), SCTP_SHUTDOWN_ACK_SENT);

    size_t before = s.link.toClient->seen.size();
    sctp::PacketBuilder b;
    b.Begin(clientPort, 5000, 0);
    b.AddInit(sctp::CHUNK_INIT, 0x1234ABCDu, 65536, 10, 10, 1234, nullptr, 0);
    Inject(s.link, 0, 1, b);
    Simulator::Stop(MilliSeconds(15)); // less than T2: only the answer is on its way
    Simulator::Run();
    ASSERT_EQ(s.link.toClient->seen.size(), before + 1);
    const auto& answer = s.link.toClient->seen.back();
    ASSERT_EQ(answer.view.chunks.size(), 1u);
    EXPECT_EQ(answer.view.chunks[0].type, sctp::CHUNK_SHUTDOWN_ACK);
    EXPECT_EQ(answer.view.vtag, clientTag);
    EXPECT_EQ(conn->GetState(), SCTP_SHUTDOWN_ACK_SENT);
}

// §5.2.1: an endpoint in COOKIE-ECHOED that answers an INIT (same Initiate
// Tag as its own INIT) MUST populate the Tie-Tags in the State Cookie with
// its association's tags; in COOKIE-WAIT there is no peer tag yet and they
// stay 0 (§5.2.2 note). The model put 0 in both states. Here the client,
// held first in COOKIE-WAIT (INIT ACKs lost) and then in COOKIE-ECHOED
// (COOKIE ECHOes lost), gets an INIT from the server's port: the cookie of
// its INIT ACK carries its own tag and the INIT's, and in COOKIE-ECHOED
// tie-tags = (its tag, the server's tag from the INIT ACK). That cookie,
// echoed back, is §5.2.4 case B (own tag matches, peer tag new): COOKIE ACK
// with the new peer tag, ESTABLISHED.
TEST_F(SctpConformance, InitInCookieEchoedAnsweredWithTieTags)
{
    ClientInCookieWait h;
    auto& [link, sink, client, clientTag, clientPort] = h;
    ASSERT_EQ(client.sock->GetState(), SCTP_COOKIE_WAIT);
    link.toServer->SetPredicate([](const SeenPacket& p) { return p.HasChunk(sctp::CHUNK_INIT_ACK); });

    sctp::InitChunk ia;
    sctp::CookieState ck = CookieInAnswerToInit(link, clientPort, 0x0C0FFEE0u, ia);
    EXPECT_EQ(ia.initTag, clientTag); // §5.2.1: its Initiate Tag, unchanged
    EXPECT_EQ(ck.localTag, clientTag);
    EXPECT_EQ(ck.peerTag, 0x0C0FFEE0u);
    EXPECT_EQ(ck.localTieTag, 0u); // COOKIE-WAIT: no tags to tie
    EXPECT_EQ(ck.peerTieTag, 0u);

    // The server's real INIT ACK now gets through; its COOKIE ECHOes do not.
    link.toClient->SetPredicate(nullptr);
    link.toServer->SetPredicate(
        [](const SeenPacket& p) { return p.HasChunk(sctp::CHUNK_INIT_ACK) || p.HasChunk(sctp::CHUNK_COOKIE_ECHO); });
    Simulator::Stop(Seconds(1.5)); // T1-init (1 s) resends the INIT
    Simulator::Run();
    ASSERT_EQ(client.sock->GetState(), SCTP_COOKIE_ECHOED);
    const auto& echo = link.toServer->seen.back();
    ASSERT_TRUE(echo.HasChunk(sctp::CHUNK_COOKIE_ECHO));
    uint32_t serverTag = echo.view.vtag; // the Initiate Tag of the server's INIT ACK

    ck = CookieInAnswerToInit(link, clientPort, 0x0DEFACEDu, ia);
    EXPECT_EQ(ia.initTag, clientTag);
    EXPECT_EQ(ck.localTag, clientTag);
    EXPECT_EQ(ck.peerTag, 0x0DEFACEDu);
    EXPECT_EQ(ck.localTieTag, clientTag); // COOKIE-ECHOED: the association's tags
    EXPECT_EQ(ck.peerTieTag, serverTag);
    EXPECT_EQ(client.sock->GetState(), SCTP_COOKIE_ECHOED);

    size_t before = link.toServer->seen.size();
    sctp::PacketBuilder b; // the server echoes that cookie
    b.Begin(5000, clientPort, clientTag);
    b.AddCookieEcho(ia.cookie, ia.cookieLen);
    Inject(link, 1, 0, b);
    EXPECT_EQ(client.sock->GetState(), SCTP_ESTABLISHED);
    EXPECT_TRUE(client.connected);
    Simulator::Stop(MilliSeconds(15));
    Simulator::Run();
    ASSERT_GT(link.toServer->seen.size(), before);
    EXPECT_TRUE(link.toServer->seen[before].HasChunk(sctp::CHUNK_COOKIE_ACK));
    EXPECT_EQ(link.toServer->seen[before].view.vtag, 0x0DEFACEDu);
}

// Every attribute of ns3::SctpSocket set on a listener (each to a value other
// than its default) is what the socket accepted from it reports. Proves that
// an accepted association is configured as its listener for all attributes,
// including any added later (the test walks the TypeId, so a new attribute is
// covered without editing it; one of a type it cannot vary fails it). Failed
// before the copy walked the TypeId: SwsAvoidance was not inherited.
TEST_F(SctpConformance, AcceptedSocketInheritsEveryListenerAttribute)
{
    Link link;
    Sink sink;
    Client client;
    sink.Start(link.Server(), 5000);
    Ptr<SctpSocket> listener = sink.listener;
    // A different value for each attribute, chosen by its type; a few need one
    // that still lets the association come up.
    const std::map<std::string, std::string> chosen = {
        {"PathMtu", "1400"},
        {"InitialCwnd", "6000"},
        {"InitialSsthresh", "50000"},
        {"InitialTsn", "4242"},
        {"MaxBurst", "3"},
        {"SackTimeout", "+150ms"},
        {"StreamScheduler", "RoundRobin"},
    };
    std::vector<std::string> names;
    TypeId tid = SctpSocket::GetTypeId();
    for (uint32_t i = 0; i < tid.GetAttributeN(); ++i)
    {
        TypeId::AttributeInformation info = tid.GetAttribute(i);
        names.push_back(info.name);
        std::string now = info.initialValue->SerializeToString(info.checker);
        std::string other;
        if (auto it = chosen.find(info.name); it != chosen.end())
        {
            other = it->second;
        }
        else if (const auto* b = dynamic_cast<const BooleanValue*>(PeekPointer(info.initialValue)))
        {
            other = b->Get() ? "false" : "true";
        }
        else if (const auto* u = dynamic_cast<const UintegerValue*>(PeekPointer(info.initialValue)))
        {
            other = std::to_string(u->Get() + 1);
        }
        else if (const auto* d = dynamic_cast<const DoubleValue*>(PeekPointer(info.initialValue)))
        {
            other = std::to_string(d->Get() / 2);
        }
        else if (const auto* t = dynamic_cast<const TimeValue*>(PeekPointer(info.initialValue)))
        {
            other = std::to_string((t->Get() + MilliSeconds(7)).GetMilliSeconds()) + "ms";
        }
        Ptr<AttributeValue> v = info.checker->Create();
        ASSERT_TRUE(!other.empty() && v->DeserializeFromString(other, info.checker))
            << info.name << ": no other value for this attribute type; give one in `chosen`";
        ASSERT_TRUE(listener->SetAttributeFailSafe(info.name, *v)) << info.name << " = " << other;
        StringValue got;
        listener->GetAttribute(info.name, got);
        ASSERT_NE(got.Get(), now) << info.name << " still has its default";
    }
    ASSERT_GE(names.size(), 25u); // the walk saw the attributes

    Simulator::Schedule(Seconds(0), [&] { client.Start(link.Client(), link.ServerAddress(5000)); });
    Simulator::Stop(Seconds(1));
    Simulator::Run();
    ASSERT_TRUE(client.connected);
    ASSERT_TRUE(sink.conn);
    ASSERT_NE(sink.conn, listener);
    for (const std::string& name : names)
    {
        StringValue want;
        StringValue got;
        listener->GetAttribute(name, want);
        sink.conn->GetAttribute(name, got);
        EXPECT_EQ(got.Get(), want.Get()) << name << " not inherited by the accepted socket";
    }
}

// §3.2.1 / §3.2.2 for an INIT ACK: an unrecognised parameter whose type has
// the upper bits 11 is skipped and reported, 10 skipped silently; the report
// is an ERROR with one "Unrecognized Parameters" cause (8) holding the whole
// TLV, bundled after the COOKIE ECHO (first in the packet), and the
// association comes up. Failed before: no ERROR was sent.
TEST_F(SctpConformance, InitAckUnrecognizedParametersReportedBesideCookieEcho)
{
    std::vector<uint8_t> silent = Param(0x8ABC, {1, 2, 3});
    std::vector<uint8_t> report = Param(0xCABD, {9, 9, 9, 9, 9});
    std::vector<uint8_t> params = silent;
    params.insert(params.end(), report.begin(), report.end());
    InitAckWithParams s(params, false);
    EXPECT_TRUE(s.client.connected);
    ASSERT_TRUE(s.sink.conn);
    EXPECT_EQ(s.sink.conn->GetState(), SCTP_ESTABLISHED);
    const SeenPacket* echo = s.Echo();
    ASSERT_TRUE(echo);
    ASSERT_EQ(echo->view.chunks.size(), 2u);
    EXPECT_EQ(echo->view.chunks[0].type, sctp::CHUNK_COOKIE_ECHO);
    EXPECT_EQ(echo->view.chunks[1].type, sctp::CHUNK_ERROR);
    EXPECT_EQ(echo->view.chunks[1].length, 4u + 4u + 9u); // its padding is the chunk's
    auto causes = s.EchoErrors();
    ASSERT_EQ(causes.size(), 1u);
    EXPECT_EQ(causes[0].first, sctp::CAUSE_UNRECOGNIZED_PARAMS);
    report.resize(9); // 0xcabd, length 9, the value
    EXPECT_EQ(causes[0].second, report);
    EXPECT_EQ(s.client.sock->GetStats().unrecognizedParamsReported, 1u);
    // Only the first COOKIE ECHO carries it; nothing else of the client's has an ERROR.
    for (const SeenPacket& p : s.link.toServer->seen)
    {
        EXPECT_TRUE(&p == echo || !p.HasChunk(sctp::CHUNK_ERROR));
    }
}

// §3.2.1 for an INIT ACK: upper bits 01 stop the processing of the
// parameters (the 11 one after it is not read, so not reported) and report
// the parameter beside the COOKIE ECHO; 00 stop silently (no ERROR at all).
// The parameters come after the State Cookie, so the association comes up
// either way. Failed before: no ERROR was sent for the 01 parameter.
TEST_F(SctpConformance, InitAckUnrecognizedParameterStopsProcessing)
{
    std::vector<uint8_t> after = Param(0xCAC0, {1});
    for (uint16_t type : {0x4ABE, 0x0ABF})
    {
        std::vector<uint8_t> stop = Param(type, {7, 7, 7, 7});
        std::vector<uint8_t> params = stop;
        params.insert(params.end(), after.begin(), after.end());
        {
            InitAckWithParams s(params, true);
            EXPECT_TRUE(s.client.connected) << std::hex << type;
            ASSERT_TRUE(s.Echo()) << std::hex << type;
            auto causes = s.EchoErrors();
            if (type & 0x4000)
            {
                ASSERT_EQ(causes.size(), 1u);
                EXPECT_EQ(causes[0].first, sctp::CAUSE_UNRECOGNIZED_PARAMS);
                EXPECT_EQ(causes[0].second, stop);
            }
            else
            {
                EXPECT_TRUE(causes.empty());
                EXPECT_EQ(s.Echo()->view.chunks.size(), 1u);
            }
        }
        Simulator::Destroy();
    }
}

// The COOKIE ECHO + ERROR "Unrecognized Parameters" packet dissects cleanly in
// tshark (CRC32c good, no malformed or expert-error marks), which reads the
// cause's parameter back (type 0xcabd).
TEST_F(SctpConformance, TsharkDissectsUnrecognizedParametersError)
{
    if (!HaveTshark())
    {
        GTEST_SKIP() << "tshark not installed (apt-get install tshark): external pcap check skipped";
    }
    const std::string file = std::string(SIPIM_BINARY_DIR) + "/sctp-unrecognized-params.pcap";
    {
        InitAckWithParams s(Param(0xCABD, {9, 9, 9, 9, 9}), false, file);
        ASSERT_TRUE(s.client.connected);
        Simulator::Destroy();
    }
    EXPECT_GE(ExpectTsharkClean(file), 3);
    std::string err = RunCommand("tshark -r '" + file +
                                 "' -Y 'sctp.chunk_type == 9' -T fields -e sctp.chunk_type "
                                 "-e sctp.cause_code -e sctp.parameter_type 2>/dev/null");
    EXPECT_NE(err.find("10,9\t0x0008\t0xcabd"), std::string::npos) << err;
}

namespace
{

/// A Host Name Address parameter (type 11): "h.example" and its NUL (14 bytes, unpadded).
std::vector<uint8_t>
HostNameParam()
{
    std::string name = "h.example";
    std::vector<uint8_t> v(name.begin(), name.end());
    v.push_back(0);
    std::vector<uint8_t> p = Param(sctp::PARAM_HOST_NAME_ADDRESS, v);
    p.resize(4 + v.size());
    return p;
}

/// The ABORT chunks among `seen`: (packet's verification tag, chunk flags, causes).
struct SeenAbort
{
    uint32_t vtag = 0;
    uint8_t flags = 0;
    std::vector<std::pair<uint16_t, std::vector<uint8_t>>> causes;
};

std::vector<SeenAbort>
Aborts(const std::vector<SeenPacket>& seen)
{
    std::vector<SeenAbort> out;
    for (const SeenPacket& p : seen)
    {
        for (const auto& c : p.view.chunks)
        {
            std::vector<sctp::ErrorCause> causes;
            if (c.type == sctp::CHUNK_ABORT && sctp::DecodeCauses(c, causes).Ok())
            {
                SeenAbort a;
                a.vtag = p.view.vtag;
                a.flags = c.flags;
                for (const auto& k : causes)
                {
                    a.causes.emplace_back(k.code, std::vector<uint8_t>(k.info, k.info + k.infoLen));
                }
                out.push_back(a);
            }
        }
    }
    return out;
}

/// `seen` holds one ABORT: tag `vtag`, T bit clear, one "Unresolvable
/// Address" cause carrying HostNameParam().
void
ExpectUnresolvableAbort(const std::vector<SeenPacket>& seen, uint32_t vtag)
{
    auto aborts = Aborts(seen);
    ASSERT_EQ(aborts.size(), 1u);
    EXPECT_EQ(aborts[0].vtag, vtag);
    EXPECT_EQ(aborts[0].flags, 0u);
    ASSERT_EQ(aborts[0].causes.size(), 1u);
    EXPECT_EQ(aborts[0].causes[0].first, sctp::CAUSE_UNRESOLVABLE_ADDRESS);
    EXPECT_EQ(aborts[0].causes[0].second, HostNameParam());
}

} // namespace

// §5.1.2 / §3.3.2.1: an INIT with a Host Name Address is answered with an
// ABORT (the INIT's Initiate Tag, T bit clear) whose "Unresolvable Address"
// cause (5) carries the parameter; no INIT ACK, no association, and the
// listener keeps listening (a plain INIT afterwards sets one up). tshark
// dissects the ABORT cleanly. Failed before: the parameter was an unknown
// one (type bits 00) that only stopped the reading of the INIT, which was
// then accepted.
TEST_F(SctpConformance, InitWithHostNameAddressIsAborted)
{
    const std::string file = std::string(SIPIM_BINARY_DIR) + "/sctp-hostname-abort.pcap";
    {
        InitAckWithParams s(HostNameParam(), false, file, sctp::CHUNK_INIT);
        EXPECT_FALSE(s.client.connected);
        EXPECT_TRUE(s.client.failed);
        EXPECT_FALSE(s.sink.conn);
        EXPECT_EQ(s.sink.listener->GetState(), SCTP_LISTEN);
        EXPECT_EQ(s.sink.listener->GetStats().hostNameAborts, 1u);
        for (const SeenPacket& p : s.link.toClient->seen)
        {
            EXPECT_FALSE(p.HasChunk(sctp::CHUNK_INIT_ACK));
        }
        // The INIT's Initiate Tag.
        ExpectUnresolvableAbort(s.link.toClient->seen,
                                sctp::Get32(s.link.toServer->seen.at(0).view.chunks.at(0).value));

        Client second;
        Simulator::Schedule(Seconds(0), [&] { second.Start(s.link.Client(), s.link.ServerAddress(5000)); });
        Simulator::Stop(Seconds(1));
        Simulator::Run();
        EXPECT_TRUE(second.connected);
        ASSERT_TRUE(s.sink.conn);
        EXPECT_EQ(s.sink.conn->GetState(), SCTP_ESTABLISHED);
        Simulator::Destroy();
    }
    if (HaveTshark())
    {
        EXPECT_GE(ExpectTsharkClean(file), 5);
        std::string abort = RunCommand("tshark -r '" + file +
                                       "' -Y 'sctp.chunk_type == 6' -T fields -e sctp.cause_code "
                                       "-e sctp.parameter_type 2>/dev/null");
        EXPECT_EQ(abort, "0x0005\t0x000b\n");
    }
}

// §5.1.2 / §3.3.2.1 for the INIT ACK: a Host Name Address in it makes the
// initiator send an ABORT (the INIT ACK's Initiate Tag) with the
// "Unresolvable Address" cause carrying the parameter, and give up the
// connection; the listener has no association. Failed before: the
// parameter stopped the reading of the INIT ACK before its State Cookie, and
// the initiator gave up without sending anything.
TEST_F(SctpConformance, InitAckWithHostNameAddressIsAborted)
{
    InitAckWithParams s(HostNameParam(), false);
    EXPECT_FALSE(s.client.connected);
    EXPECT_TRUE(s.client.failed);
    EXPECT_EQ(s.client.sock->GetState(), SCTP_CLOSED);
    EXPECT_EQ(s.client.sock->GetStats().hostNameAborts, 1u);
    EXPECT_FALSE(s.sink.conn);
    EXPECT_FALSE(s.Echo());
    // The INIT ACK's Initiate Tag.
    ExpectUnresolvableAbort(s.link.toServer->seen,
                            sctp::Get32(s.link.toClient->seen.at(0).view.chunks.at(0).value));
}

namespace
{

/// Session s's client restarts (§5.2.2): the server gets a COOKIE ECHO of
/// its own sealing with new tags (ck: 0x0A0A0A0A for the server,
/// 0x0B0B0B0B for the client) and the current tags as tie-tags.
void
InjectRestart(Session& s, sctp::CookieState& ck)
{
    ck.localTag = 0x0A0A0A0Au;
    ck.peerTag = 0x0B0B0B0Bu;
    ck.localInitialTsn = 1000;
    ck.peerInitialTsn = 2000;
    ck.localTieTag = s.link.toServer->seen.at(1).view.vtag; // the COOKIE ECHO's
    ck.peerTieTag = s.link.toClient->seen.at(0).view.vtag;  // the INIT ACK's
    InjectCookieEcho(s.link, 0, 1, s.link.toClient->seen.at(0).view.dstPort, 5000, ck);
}

} // namespace

// §5.2.4.1 action A: a restart is handled as an ABORT followed by a new
// COOKIE ECHO, and all congestion control parameters MUST go back to their
// initial values. Here the server is in fast recovery (a DATA chunk to the
// client and every retransmission of it are lost) with a measured RTT when
// the restart cookie arrives. The model reset cwnd and ssthresh but kept
// fast recovery (its exit TSN from the old TSN space: no cwnd growth for up
// to 2^31 TSNs), the RTT history and RTO, and the RTT measurement of an old
// TSN (so no new one could start). Proves that the restarted association
// starts out of fast recovery, with RTO.Initial, no RTT sample, no timed
// TSN, no errors and nothing in flight.
TEST_F(SctpConformance, RestartResetsCongestionAndRetransmissionState)
{
    Config::SetDefault("ns3::SctpSocket::RtoInitial", TimeValue(Seconds(3)));
    Session s;
    auto lostTsn = std::make_shared<uint32_t>(0);
    s.link.toClient->SetPredicate([lostTsn](const SeenPacket& p) {
        for (uint32_t tsn : p.Tsns())
        {
            if (*lostTsn == 0)
            {
                *lostTsn = tsn + 1; // the second DATA chunk
            }
            if (tsn == *lostTsn)
            {
                return true;
            }
        }
        return false;
    });
    Simulator::Schedule(Seconds(0.2), [&s] {
        for (uint32_t i = 0; i < 20; ++i)
        {
            s.sink.conn->Send(Pattern(1000, i));
        }
    });
    Simulator::Stop(Seconds(0.6));
    Simulator::Run();
    Ptr<SctpSocket> conn = s.sink.conn;
    ASSERT_TRUE(conn->InFastRecovery());
    ASSERT_TRUE(conn->GetPrimaryPath().rttMeasured);
    ASSERT_GT(conn->GetPrimaryPath().flightSize, 0u);

    sctp::CookieState ck;
    InjectRestart(s, ck);
    ASSERT_EQ(conn, s.sink.conn); // restarted in place
    EXPECT_EQ(conn->GetState(), SCTP_ESTABLISHED);
    EXPECT_FALSE(conn->InFastRecovery());
    const SctpPath& p = conn->GetPrimaryPath();
    EXPECT_EQ(p.cwnd, 4380u); // min(4 MTU, max(2 MTU, 4380)), MTU 1480
    EXPECT_EQ(p.ssthresh, 131072u); // the cookie's a_rwnd
    EXPECT_EQ(p.rto, Seconds(3)); // RTO.Initial
    EXPECT_FALSE(p.rttMeasured);
    EXPECT_FALSE(p.timing);
    EXPECT_EQ(p.flightSize, 0u);
    EXPECT_EQ(p.partialBytesAcked, 0u);
    EXPECT_EQ(p.errorCount, 0u);
    EXPECT_FALSE(p.t3Rtx.IsRunning());
    uint64_t t3Before = conn->GetStats().t3Expirations;
    Simulator::Stop(Seconds(3));
    Simulator::Run();
    EXPECT_EQ(conn->GetStats().t3Expirations, t3Before); // nothing of the old association is resent
}

// §5.2.4.1 A with partial delivery (§6.9): the client's 40,000-byte message
// to a server with an 8,000-byte receive buffer loses its 12th fragment for
// ever, and its first pieces have reached the server's application when the
// client restarts. What the server held of it (fragments after the hole)
// goes with the old association: counted in restartUndeliveredBytes, and
// the application gets the aborted mark (an empty Recv) for the message.
// Before, the restart dropped them without a trace and left the application
// holding the start of a message that would never end.
TEST_F(SctpConformance, RestartDuringAPartialDeliveryAbortsIt)
{
    Config::SetDefault("ns3::SctpSocket::RcvBufSize", UintegerValue(8000));
    Session s;
    auto first = std::make_shared<std::pair<bool, uint32_t>>(false, 0);
    s.link.toServer->SetPredicate([first](const SeenPacket& p) {
        for (uint32_t tsn : p.Tsns())
        {
            if (!first->first)
            {
                *first = {true, tsn};
            }
            if (tsn == first->second + 11)
            {
                return true;
            }
        }
        return false;
    });
    Simulator::Schedule(Seconds(0.2), [&s] { s.client.sock->Send(Pattern(40000, 1)); });
    Simulator::Stop(Seconds(0.6));
    Simulator::Run();
    Ptr<SctpSocket> conn = s.sink.conn;
    ASSERT_TRUE(conn);
    ASSERT_EQ(conn->GetStats().partialDeliveries, 1u);
    ASSERT_FALSE(s.sink.got.empty());
    ASSERT_FALSE(s.sink.got.back().eor);
    ASSERT_GT(conn->GetLocalRwnd(), 0u);
    ASSERT_LT(conn->GetLocalRwnd(), 8000u); // fragments after the hole held

    sctp::CookieState ck;
    InjectRestart(s, ck);
    ASSERT_EQ(conn, s.sink.conn); // restarted in place
    EXPECT_EQ(conn->GetStats().partialDeliveriesAborted, 1u);
    EXPECT_GT(conn->GetStats().restartUndeliveredBytes, 0u);
    EXPECT_TRUE(s.sink.got.back().aborted);
    EXPECT_TRUE(s.sink.got.back().data.empty());
    EXPECT_EQ(conn->GetLocalRwnd(), 8000u);
}

namespace
{

/// The server's association has DATA outstanding that never reaches the
/// client (every DATA packet to it is lost) at 0.5 s; with clientCloses the
/// client closed at 0.3 s (the server is in SHUTDOWN-RECEIVED), else the
/// server's application did (SHUTDOWN-PENDING). Then the client restarts:
/// a COOKIE ECHO whose tie-tags are the current tags, new tags in ck.
Ptr<SctpSocket>
RestartWhileShuttingDown(Session& s, bool clientCloses, sctp::CookieState& ck)
{
    s.link.toClient->SetPredicate([](const SeenPacket& p) { return p.HasChunk(sctp::CHUNK_DATA); });
    Simulator::Schedule(Seconds(0.2), [&s] { s.sink.conn->Send(Pattern(500, 1)); });
    Simulator::Schedule(Seconds(0.3), [&s, clientCloses] {
        if (clientCloses)
        {
            s.client.sock->Close();
        }
        else
        {
            s.sink.conn->Close();
        }
    });
    Simulator::Stop(Seconds(0.5));
    Simulator::Run();
    Ptr<SctpSocket> conn = s.sink.conn;
    EXPECT_EQ(conn->GetState(), clientCloses ? SCTP_SHUTDOWN_RECEIVED : SCTP_SHUTDOWN_PENDING);
    InjectRestart(s, ck);
    EXPECT_EQ(conn, s.sink.conn); // restarted in place
    return conn;
}

} // namespace

// §5.2.4.1 action A: after a restart "the endpoint shall enter the
// ESTABLISHED state" (only SHUTDOWN-ACK-SENT refuses it). The SHUTDOWN that
// put the server in SHUTDOWN-RECEIVED came from the old association. The
// model stayed in SHUTDOWN-RECEIVED with nothing left to send, so no
// SHUTDOWN ACK ever went and every DATA of the restarted peer was
// discarded. Proves the server is ESTABLISHED again, delivers the new
// peer's DATA and accepts its own application's messages.
TEST_F(SctpConformance, RestartInShutdownReceivedReturnsToEstablished)
{
    Session s;
    sctp::CookieState ck;
    Ptr<SctpSocket> conn = RestartWhileShuttingDown(s, true, ck);
    EXPECT_EQ(conn->GetState(), SCTP_ESTABLISHED);
    sctp::PacketBuilder b;
    b.Begin(s.link.toClient->seen.at(0).view.dstPort, 5000, ck.localTag);
    const uint8_t payload[100] = {};
    b.AddData(sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END, ck.peerInitialTsn, 0, 0, 0, payload, sizeof payload);
    Inject(s.link, 0, 1, b);
    EXPECT_EQ(s.sink.got.size(), 1u);
    EXPECT_GE(conn->Send(Pattern(100, 2)), 0);
}

// §5.2.4.1 action A with a close the server's application asked for: the
// restart drops the old association's outstanding DATA, so the graceful
// close can go on at once on the new one (§9.2: SHUTDOWN once nothing is
// outstanding). The model stayed in SHUTDOWN-PENDING with an empty queue
// and no timer: no SHUTDOWN ever went and the close never completed.
// Proves the SHUTDOWN leaves with the new peer's tag right after the
// COOKIE ACK.
TEST_F(SctpConformance, RestartInShutdownPendingGoesOnWithTheShutdown)
{
    Session s;
    sctp::CookieState ck;
    Ptr<SctpSocket> conn = RestartWhileShuttingDown(s, false, ck);
    Simulator::Stop(MilliSeconds(15)); // less than RTO: only the answers are on their way
    Simulator::Run();
    EXPECT_EQ(conn->GetState(), SCTP_SHUTDOWN_SENT);
    bool shutdown = false;
    for (const SeenPacket& p : s.link.toClient->seen)
    {
        shutdown |= p.HasChunk(sctp::CHUNK_SHUTDOWN) && p.view.vtag == ck.peerTag;
    }
    EXPECT_TRUE(shutdown);
}

// Proves that DATA reaching an endpoint that cannot take it yet (here
// COOKIE-WAIT, its tag right) is counted as it is discarded: the model
// dropped it without a counter or a log line.
TEST_F(SctpConformance, DataBeforeEstablishedIsCounted)
{
    ClientInCookieWait w;
    ASSERT_EQ(w.client.sock->GetState(), SCTP_COOKIE_WAIT);
    const uint8_t byte = 7;
    sctp::PacketBuilder b;
    b.Begin(5000, w.clientPort, w.clientTag);
    b.AddData(sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END, 1234, 0, 0, 0, &byte, 1);
    Inject(w.link, 1, 0, b);
    EXPECT_EQ(w.client.sock->GetStats().dataDiscardedState, 1u);
    EXPECT_EQ(w.client.sock->GetState(), SCTP_COOKIE_WAIT);
}

// §5.2.4 case C: a COOKIE ECHO whose cookie has a new local tag but the
// peer's current tag and no tie-tags (the late answer to an old INIT) is
// silently discarded. The model discarded it (and the rest of its packet)
// without a counter or a log line. Proves it is counted in badCookieDrops
// and that the association neither answers nor changes.
TEST_F(SctpConformance, CookieEchoOfCaseCIsCounted)
{
    Session s;
    Simulator::Stop(Seconds(0.2));
    Simulator::Run();
    Ptr<SctpSocket> conn = s.sink.conn;
    ASSERT_EQ(conn->GetState(), SCTP_ESTABLISHED);
    const uint64_t before = conn->GetStats().badCookieDrops;
    const size_t sent = s.link.toClient->seen.size();
    sctp::CookieState ck;
    ck.localTag = 0x0C0C0C0Cu;
    ck.peerTag = s.link.toClient->seen.at(0).view.vtag; // the client's current tag
    ck.localInitialTsn = 1000;
    ck.peerInitialTsn = 2000;
    InjectCookieEcho(s.link, 0, 1, s.link.toClient->seen.at(0).view.dstPort, 5000, ck);
    EXPECT_EQ(conn->GetStats().badCookieDrops, before + 1);
    Simulator::Stop(MilliSeconds(15));
    Simulator::Run();
    EXPECT_EQ(s.link.toClient->seen.size(), sent);
    EXPECT_EQ(conn->GetState(), SCTP_ESTABLISHED);
}
