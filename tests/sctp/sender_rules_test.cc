// Sender rules of RFC 9260 pinned after a review of SACK processing, fast
// recovery, reneging and heartbeats: each test fails on the code before its
// fix (the commit that added it says how that was checked).
#include "sctp_test_util.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>

using namespace ns3;
using namespace sipim_test;

namespace
{

class SctpSenderRules : public ::testing::Test
{
  protected:
    void TearDown() override
    {
        Simulator::Destroy();
        Config::Reset();
    }
};

/// The chunks of an SCTP packet the socket sent or received (Tx / Rx trace).
sctp::PacketView
Parse(Ptr<const Packet> p, std::vector<uint8_t>& bytes)
{
    bytes.resize(p->GetSize());
    p->CopyData(bytes.data(), uint32_t(bytes.size()));
    sctp::PacketView v;
    sctp::ParsePacket(bytes.data(), bytes.size(), v, false);
    return v;
}

/// Queues `count` messages of `size` bytes, Pattern(size, 0), (size, 1) ...
void
QueuePatterns(Ptr<SctpSocket> sock, uint32_t count, uint32_t size)
{
    for (uint32_t i = 0; i < count; ++i)
    {
        ASSERT_EQ(sock->Send(Pattern(size, i)), int(size));
    }
}

/// Calls f with each DATA chunk of the packet.
template <class F>
void
ForEachData(const sctp::PacketView& v, F f)
{
    for (const auto& c : v.chunks)
    {
        sctp::DataChunk d;
        if (c.type == sctp::CHUNK_DATA && sctp::DecodeData(c, d).Ok())
        {
            f(d);
        }
    }
}

/// What the wire says is outstanding: DATA bytes sent (Tx trace) and not yet
/// covered by the cumulative ack or a gap block of a SACK received (Rx trace).
struct WireOutstanding
{
    std::map<uint32_t, uint32_t> bytes; // TSN -> payload length

    void Sent(const sctp::PacketView& v)
    {
        ForEachData(v, [this](const sctp::DataChunk& d) { bytes[d.tsn] = uint32_t(d.payloadLen); });
    }
    void Received(const sctp::PacketView& v)
    {
        for (const auto& c : v.chunks)
        {
            sctp::SackChunk s;
            if (c.type != sctp::CHUNK_SACK || !sctp::DecodeSack(c, s).Ok())
            {
                continue;
            }
            for (auto it = bytes.begin(); it != bytes.end();)
            {
                bool acked = sctp::TsnLe(it->first, s.cumTsnAck);
                for (const auto& [start, end] : s.gaps)
                {
                    acked = acked || (sctp::TsnLe(s.cumTsnAck + start, it->first) &&
                                      sctp::TsnLe(it->first, s.cumTsnAck + end));
                }
                it = acked ? bytes.erase(it) : std::next(it);
            }
        }
    }
    uint32_t Total() const
    {
        uint32_t t = 0;
        for (const auto& kv : bytes)
        {
            t += kv.second;
        }
        return t;
    }
};

} // namespace

// Proves the send callback runs only after the whole SACK is processed
// (§6.2.1, §7.2.4): a sender that refills its buffer from the callback, as
// BulkSendApplication does, never sends while its flight size still counts
// bytes the SACK being processed had already gap-acknowledged.
TEST_F(SctpSenderRules, SendCallbackSeesTheWholeSackApplied)
{
    Session s("10Mbps", "20ms");
    // 5 % of the client's DATA packets lost, from a fixed seed.
    auto rng = std::make_shared<std::mt19937>(7);
    s.link.toServer->SetPredicate([rng](const SeenPacket& p) {
        return p.HasChunk(sctp::CHUNK_DATA) && std::uniform_real_distribution<double>(0, 1)(*rng) < 0.05;
    });
    struct Check
    {
        WireOutstanding wire;
        SctpSocket* sock = nullptr;
        uint32_t txChecks = 0;
        uint32_t violations = 0;
        uint32_t worst = 0;
        uint32_t sent = 0;
    } ck;
    auto fill = [&ck](Ptr<Socket> so, uint32_t) {
        while (so->GetTxAvailable() >= 1448 && so->Send(Pattern(1448, ck.sent)) == 1448)
        {
            ++ck.sent;
        }
    };
    Simulator::Schedule(Seconds(0.2), [&] {
        ck.sock = PeekPointer(s.client.sock);
        s.client.sock->TraceConnectWithoutContext(
            "Tx", MakeCallback(+[](Check* ck, Ptr<const Packet> p, Ptr<const SctpSocket>) {
                      std::vector<uint8_t> b;
                      ck->wire.Sent(Parse(p, b));
                      ++ck->txChecks;
                      uint32_t flight = ck->sock->GetPrimaryPath().flightSize;
                      uint32_t onWire = ck->wire.Total();
                      if (flight > onWire)
                      {
                          ++ck->violations;
                          ck->worst = std::max(ck->worst, flight - onWire);
                      }
                  }).Bind(&ck));
        s.client.sock->TraceConnectWithoutContext(
            "Rx", MakeCallback(+[](Check* ck, Ptr<const Packet> p, Ptr<const SctpSocket>) {
                      std::vector<uint8_t> b;
                      ck->wire.Received(Parse(p, b));
                  }).Bind(&ck));
        s.client.sock->SetSendCallback(Callback<void, Ptr<Socket>, uint32_t>(fill));
        fill(s.client.sock, 0);
    });
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    EXPECT_GT(s.client.sock->GetStats().fastRetransmissions, 20u); // loss recovery was exercised
    EXPECT_GT(ck.txChecks, 1000u);
    EXPECT_EQ(ck.violations, 0u) << "flight size above the wire's outstanding bytes by up to " << ck.worst;
    EXPECT_GT(s.sink.got.size(), 1000u);
}

// Proves §9.2: once a SHUTDOWN has arrived no new user data is accepted, even
// from the send callback that the SHUTDOWN's cumulative ack triggers.
TEST_F(SctpSenderRules, NoSendAcceptedAfterShutdownArrived)
{
    Session s;
    struct Seen
    {
        int calls = 0;
        int accepted = 0;
        Socket::SocketErrno err = Socket::ERROR_NOTERROR;
    } seen;
    auto onSpace = [&seen](Ptr<Socket> so, uint32_t) {
        ++seen.calls;
        if (so->Send(Pattern(100, 99)) >= 0)
        {
            ++seen.accepted;
        }
        else
        {
            seen.err = so->GetErrno();
        }
    };
    Simulator::Schedule(Seconds(0.2), [&] {
        s.client.sock->SetSendCallback(Callback<void, Ptr<Socket>, uint32_t>(onSpace));
        s.client.sock->Send(Pattern(100, 0));
    });
    // The server closes while its SACK for that message is still delayed, so
    // that its SHUTDOWN's cumulative TSN is what acknowledges the message.
    Simulator::Schedule(Seconds(0.3), [&] { s.sink.conn->Close(); });
    Simulator::Stop(Seconds(3));
    Simulator::Run();
    EXPECT_EQ(seen.calls, 1); // told once that the buffer emptied
    EXPECT_EQ(seen.accepted, 0);
    EXPECT_EQ(seen.err, Socket::ERROR_SHUTDOWN);
    EXPECT_EQ(s.sink.got.size(), 1u);
    EXPECT_TRUE(s.client.normalClose);
    EXPECT_TRUE(s.sink.normalClose);
}

// Proves §7.2.4 step 3: only the first fast retransmission on entering fast
// recovery may ignore cwnd; a second loss marked while already in fast
// recovery waits for cwnd like any other packet.
TEST_F(SctpSenderRules, OnlyTheFastRecoveryEntryIgnoresCwnd)
{
    Config::SetDefault("ns3::SctpSocket::SndBufSize", UintegerValue(1000000));
    Session s;
    // The first transmissions of the 41st and the 47th chunk are lost: the
    // second is marked for fast retransmission during the first's recovery.
    auto firstTsn = std::make_shared<std::optional<uint32_t>>();
    auto dropped = std::make_shared<std::set<uint32_t>>();
    s.link.toServer->SetPredicate([firstTsn, dropped](const SeenPacket& p) {
        for (uint32_t t : p.Tsns())
        {
            if (!*firstTsn)
            {
                *firstTsn = t;
            }
            uint32_t k = t - **firstTsn;
            if ((k == 40 || k == 46) && dropped->insert(k).second)
            {
                return true;
            }
        }
        return false;
    });
    struct Count
    {
        SctpSocket* sock = nullptr;
        uint32_t entries = 0;       // fast recovery entered
        uint32_t overCwnd = 0;      // DATA packets sent in fast recovery with flight >= cwnd before them
        bool wasInRecovery = false;
    } n;
    Simulator::Schedule(Seconds(0.2), [&] {
        n.sock = PeekPointer(s.client.sock);
        s.client.sock->TraceConnectWithoutContext(
            "Tx", MakeCallback(+[](Count* n, Ptr<const Packet> p, Ptr<const SctpSocket>) {
                      std::vector<uint8_t> b;
                      sctp::PacketView v = Parse(p, b);
                      uint32_t data = 0;
                      ForEachData(v, [&data](const sctp::DataChunk& d) { data += uint32_t(d.payloadLen); });
                      bool fr = n->sock->InFastRecovery();
                      n->entries += fr && !n->wasInRecovery;
                      n->wasInRecovery = fr;
                      const SctpPath& path = n->sock->GetPrimaryPath();
                      if (fr && data && path.flightSize - data >= path.cwnd)
                      {
                          ++n->overCwnd;
                      }
                  }).Bind(&n));
        QueuePatterns(s.client.sock, 200, 1452);
    });
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    ASSERT_EQ(s.sink.got.size(), 200u);
    EXPECT_EQ(dropped->size(), 2u);
    EXPECT_EQ(s.client.sock->GetStats().fastRetransmissions, 2u);
    EXPECT_EQ(s.client.sock->GetStats().t3Expirations, 0u);
    EXPECT_EQ(n.entries, 1u); // both losses repaired in one fast recovery
    EXPECT_LE(n.overCwnd, 1u);  // only the entry's fast retransmission went over cwnd
}

// Proves §6.2.1 D iv / §6.3.2 R4 on reneging: chunks gap-acked and then
// missing from a later SACK are outstanding again (in flight, T3-rtx
// running), and gap-acked once more they are not credited a second time.
TEST_F(SctpSenderRules, RenegedChunksOutstandingAgainAndCreditedOnce)
{
    // Congestion avoidance from the start, so each SACK's newly acked
    // bytes show in partial_bytes_acked (§7.2.2).
    Config::SetDefault("ns3::SctpSocket::InitialSsthresh", UintegerValue(1480));
    Session s;
    // The server never gets the DATA: the SACKs are the test's own.
    s.link.toServer->SetPredicate([](const SeenPacket& p) { return p.HasChunk(sctp::CHUNK_DATA); });
    std::vector<uint32_t> tsns;
    Simulator::Schedule(Seconds(0.2), [&] {
        QueuePatterns(s.client.sock, 3, 1000); // one chunk per packet, all within the initial cwnd
    });
    auto sack = [&](uint32_t cum, std::vector<std::pair<uint16_t, uint16_t>> gaps) {
        const SeenPacket& initAck = s.link.toClient->seen.at(0); // its tag and port are the client's
        sctp::PacketBuilder b;
        b.Begin(5000, initAck.view.dstPort, initAck.view.vtag);
        b.AddSack(cum, 131072, gaps, {});
        InjectBytes(s.link, 1, 0, b.Finish());
    };
    Simulator::Stop(Seconds(0.25));
    Simulator::Run();
    for (const SeenPacket& p : s.link.toServer->seen)
    {
        for (uint32_t t : p.Tsns())
        {
            tsns.push_back(t);
        }
    }
    ASSERT_EQ(tsns.size(), 3u);
    const uint32_t t0 = tsns[0];
    const SctpPath& path = s.client.sock->GetPrimaryPath();
    ASSERT_EQ(path.flightSize, 3000u);
    ASSERT_GT(path.cwnd, path.ssthresh);

    sack(t0 - 1, {{2, 3}}); // T0+1 and T0+2 arrived, T0 not
    EXPECT_EQ(path.flightSize, 1000u);
    EXPECT_EQ(path.partialBytesAcked, 2000u);

    sack(t0, {}); // T0 arrived; T0+1 and T0+2 reneged
    EXPECT_EQ(path.partialBytesAcked, 3000u);
    EXPECT_EQ(path.flightSize, 2000u);     // outstanding again
    EXPECT_TRUE(path.t3Rtx.IsRunning());   // R4: T3-rtx for their path

    sack(t0, {{1, 2}}); // T0+1 and T0+2 acknowledged again
    EXPECT_EQ(path.flightSize, 0u);
    EXPECT_EQ(path.partialBytesAcked, 3000u); // no second credit
}

// Proves §3.3.4's 16-bit gap block offsets are clamped: a run of TSNs held
// above the cumulative TSN that goes past cum + 0xFFFF is reported up to
// offset 0xFFFF, not with its end offset wrapped around.
TEST_F(SctpSenderRules, GapBlockEndClampedToOffset0xFFFF)
{
    Session s;
    // The server's SACKs are the test's to read; the client never sees them.
    s.link.toClient->SetPredicate([](const SeenPacket& p) { return p.HasChunk(sctp::CHUNK_SACK); });
    Simulator::Stop(Seconds(0.2));
    Simulator::Run();
    ASSERT_EQ(s.sink.conn->GetState(), SCTP_ESTABLISHED);
    const SeenPacket& init = s.link.toServer->seen.at(0);
    sctp::InitChunk ic;
    ASSERT_TRUE(sctp::DecodeInit(init.view.chunks.at(0), ic).Ok());
    const SeenPacket& echo = s.link.toServer->seen.at(1); // its tag is the server's
    // As the client: TSNs initial+1 .. initial+65540 (initial itself missing),
    // one byte each, 72 chunks per packet.
    const uint32_t first = ic.initialTsn + 1;
    const uint32_t count = 65540;
    const uint8_t byte = 0x5A;
    for (uint32_t t = first; t < first + count;)
    {
        sctp::PacketBuilder b;
        b.Begin(init.view.srcPort, 5000, echo.view.vtag);
        for (uint32_t k = 0; k < 72 && t < first + count; ++k, ++t)
        {
            b.AddData(sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END | sctp::DATA_FLAG_UNORDERED, t, 0, 0, 0, &byte, 1);
        }
        InjectBytes(s.link, 0, 1, b.Finish());
    }
    Simulator::Stop(Seconds(0.3));
    Simulator::Run();
    EXPECT_EQ(s.sink.got.size(), count);
    const SeenPacket* last = nullptr;
    for (const SeenPacket& p : s.link.toClient->seen)
    {
        last = p.HasChunk(sctp::CHUNK_SACK) ? &p : last;
    }
    ASSERT_NE(last, nullptr);
    sctp::SackChunk sk;
    ASSERT_TRUE(sctp::DecodeSack(last->view.chunks.at(0), sk).Ok());
    EXPECT_EQ(sk.cumTsnAck, ic.initialTsn - 1);
    ASSERT_EQ(sk.gaps.size(), 1u);
    EXPECT_EQ(sk.gaps[0].first, 2u);
    EXPECT_EQ(sk.gaps[0].second, 0xFFFFu);
}

// Proves §8.3: a HEARTBEAT not acknowledged within one RTO counts as an
// error (and doubles the path's RTO) then, not when the next HEARTBEAT is
// due HB.interval + RTO later.
TEST_F(SctpSenderRules, UnansweredHeartbeatCountsAfterOneRto)
{
    Config::SetDefault("ns3::SctpSocket::HeartbeatInterval", TimeValue(Seconds(5)));
    Session s;
    s.link.toClient->SetPredicate([](const SeenPacket& p) { return p.HasChunk(sctp::CHUNK_HEARTBEAT_ACK); });
    std::vector<Time> hb;
    std::vector<std::pair<Time, Time>> rtos; // (when, new RTO)
    Simulator::Schedule(Seconds(0.5), [&] {
        s.client.sock->TraceConnectWithoutContext(
            "Tx", MakeCallback(+[](std::vector<Time>* v, Ptr<const Packet> p, Ptr<const SctpSocket>) {
                      std::vector<uint8_t> b;
                      sctp::PacketView pv = Parse(p, b);
                      if (!pv.chunks.empty() && pv.chunks[0].type == sctp::CHUNK_HEARTBEAT)
                      {
                          v->push_back(Simulator::Now());
                      }
                  }).Bind(&hb));
        s.client.sock->TraceConnectWithoutContext(
            "RTO", MakeCallback(+[](std::vector<std::pair<Time, Time>>* v, Time, Time n) {
                       v->emplace_back(Simulator::Now(), n);
                   }).Bind(&rtos));
    });
    // The first HEARTBEAT goes 5 s + RTO (1 s) +- 50 % after set-up, the
    // second at least 5.5 s after the first: stop in between.
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    ASSERT_EQ(hb.size(), 1u);
    ASSERT_EQ(rtos.size(), 1u);
    EXPECT_EQ(rtos[0].first, hb[0] + Seconds(1)); // one RTO after it went
    EXPECT_EQ(rtos[0].second, Seconds(2));        // §8.3 back-off
    EXPECT_EQ(s.client.sock->GetPrimaryPath().errorCount, 1u);
    EXPECT_EQ(s.client.sock->GetState(), SCTP_ESTABLISHED);
}
