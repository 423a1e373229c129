// Data transfer, acknowledgement, retransmission and congestion control.
#include "sctp_test_util.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace ns3;
using namespace sipim_test;

namespace
{

class SctpTransfer : public ::testing::Test
{
  protected:
    void TearDown() override
    {
        Simulator::Destroy();
        Config::Reset();
    }
};


/// Drops the first transmission of the DATA chunk with TSN = initial + k.
struct DropNth
{
    std::map<uint32_t, int> seen;
    bool haveBase = false;
    uint32_t base = 0;
    std::set<uint32_t> targets; // offsets from the first TSN
    Time droppedAt;
    bool operator()(const SeenPacket& s)
    {
        for (uint32_t t : s.Tsns())
        {
            if (!haveBase)
            {
                haveBase = true;
                base = t;
            }
            if (targets.count(t - base) && seen[t]++ == 0)
            {
                droppedAt = Simulator::Now();
                return true;
            }
        }
        return false;
    }
};

} // namespace

// Messages of every size arrive whole, intact, in order, one per Recv;
// big ones are fragmented to the path MTU on the wire.
TEST_F(SctpTransfer, MessageBoundariesAndFragmentation)
{
    Session s;
    const uint32_t sizes[] = {1, 100, 1452, 1453, 5000, 20000, 3};
    Simulator::Schedule(Seconds(0.2), [&] {
        uint32_t i = 0;
        for (uint32_t sz : sizes)
        {
            ASSERT_EQ(s.client.sock->Send(Pattern(sz, i++)), int(sz));
        }
    });
    Simulator::Stop(Seconds(3));
    Simulator::Run();
    ASSERT_EQ(s.sink.got.size(), std::size(sizes));
    for (size_t i = 0; i < std::size(sizes); ++i)
    {
        EXPECT_EQ(s.sink.got[i].data.size(), sizes[i]);
        EXPECT_TRUE(IsPattern(s.sink.got[i].data, uint32_t(i)));
        EXPECT_EQ(s.sink.got[i].ssn, i);
    }
    // No SCTP packet is larger than the 1500-byte MTU minus the IP header.
    size_t maxSctp = 0;
    size_t fragments = 0;
    for (const auto& p : s.link.toServer->seen)
    {
        maxSctp = std::max(maxSctp, p.bytes.size());
        for (const auto& c : p.view.chunks)
        {
            if (c.type == sctp::CHUNK_DATA && (c.flags & 3) != 3)
            {
                ++fragments;
            }
        }
    }
    EXPECT_LE(maxSctp, 1480u);
    EXPECT_EQ(fragments, 2u + 4u + 14u); // 1453, 5000, 20000 split at 1452
}

// Stream ids, ordered/unordered flags and PPIDs survive the trip; an invalid
// stream is refused at Send.
TEST_F(SctpTransfer, StreamsAndUnordered)
{
    Config::SetDefault("ns3::SctpSocket::OutboundStreams", UintegerValue(3));
    Session s;
    Simulator::Schedule(Seconds(0.2), [&] {
        EXPECT_EQ(s.client.sock->SendMsg(Pattern(10, 0), 2, false), 10);
        EXPECT_EQ(s.client.sock->SendMsg(Pattern(10, 1), 1, true), 10);
        EXPECT_EQ(s.client.sock->SendMsg(Pattern(10, 2), 2, false), 10);
        EXPECT_EQ(s.client.sock->SendMsg(Pattern(10, 3), 3, false), -1);
        EXPECT_EQ(s.client.sock->GetErrno(), Socket::ERROR_INVAL);
    });
    Simulator::Stop(Seconds(2));
    Simulator::Run();
    ASSERT_EQ(s.sink.got.size(), 3u);
    EXPECT_EQ(s.sink.got[0].sid, 2);
    EXPECT_EQ(s.sink.got[0].ssn, 0);
    EXPECT_EQ(s.sink.got[1].sid, 1);
    EXPECT_TRUE(s.sink.got[1].unordered);
    EXPECT_EQ(s.sink.got[2].sid, 2);
    EXPECT_EQ(s.sink.got[2].ssn, 1);
}

// Delayed SACK: one packet is acked after the 200 ms timer; a second packet
// triggers the SACK at once.
TEST_F(SctpTransfer, DelayedSack)
{
    Session s;
    Time sent1, sent2;
    Simulator::Schedule(Seconds(0.5), [&] {
        sent1 = Simulator::Now();
        s.client.sock->Send(Pattern(100, 0));
    });
    Simulator::Schedule(Seconds(1.5), [&] {
        sent2 = Simulator::Now();
        s.client.sock->Send(Pattern(1000, 1));
        s.client.sock->Send(Pattern(1000, 2)); // separate packet: 2 x 1016 > 1480
    });
    Simulator::Stop(Seconds(3));
    Simulator::Run();
    std::vector<Time> sacks;
    for (const auto& p : s.link.toClient->seen)
    {
        if (p.HasChunk(sctp::CHUNK_SACK))
        {
            sacks.push_back(p.at);
        }
    }
    ASSERT_EQ(sacks.size(), 2u);
    // one way 10 ms, then 200 ms of delay, then 10 ms back
    EXPECT_NEAR((sacks[0] - sent1).GetSeconds(), 0.220, 0.003);
    EXPECT_LT((sacks[1] - sent2).GetSeconds(), 0.030);
}

// The client sends 100 bytes at 0.5 s; the server answers with `reply`
// bytes 20 ms later. Returns the packets the client received from 0.5 s on.
static std::vector<const SeenPacket*>
ExchangeAndCapture(Session& s, uint32_t reply)
{
    Simulator::Schedule(Seconds(0.5), [&s] { s.client.sock->Send(Pattern(100, 0)); });
    Simulator::Schedule(Seconds(0.52), [&s, reply] {
        ASSERT_TRUE(s.sink.conn);
        EXPECT_EQ(s.sink.conn->Send(Pattern(reply, 1)), int(reply));
    });
    Simulator::Stop(Seconds(2));
    Simulator::Run();
    std::vector<const SeenPacket*> fromServer;
    for (const auto& p : s.link.toClient->seen)
    {
        if (p.at > Seconds(0.5))
        {
            fromServer.push_back(&p);
        }
    }
    return fromServer;
}

// RFC 9260 §6.2: DATA that goes out while a SACK is delayed carries that
// SACK, first in its packet (control chunks before DATA, §6.10). The server
// answers a 100-byte message 10 ms after it arrives: one packet with SACK
// and DATA, and no SACK packet of its own 200 ms later. Before, the answer
// went alone and the SACK followed at the timer: two packets, where TCP's
// ACK rides on its data.
TEST_F(SctpTransfer, DelayedSackRidesOnReturnData)
{
    Session s;
    auto fromServer = ExchangeAndCapture(s, 100);
    ASSERT_EQ(fromServer.size(), 1u);
    const auto& chunks = fromServer[0]->view.chunks;
    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_EQ(chunks[0].type, sctp::CHUNK_SACK);
    EXPECT_EQ(chunks[1].type, sctp::CHUNK_DATA);
    EXPECT_EQ(s.client.sock->GetRxAvailable(), 100u);
}

// A return message whose DATA chunk fills a packet cannot take the delayed
// SACK beside it: it leaves at once, alone, and the SACK keeps its timer.
// (A first version of the bundling sent the SACK alone and stopped there:
// the DATA waited for the next event on the association, a HEARTBEAT 30 s on.)
TEST_F(SctpTransfer, FullSizeReturnDataLeavesWithoutTheSack)
{
    Session s;
    const uint32_t full = 1500 - 20 - sctp::kCommonHeaderSize - sctp::kDataChunkHeaderSize;
    auto fromServer = ExchangeAndCapture(s, full);
    ASSERT_GE(fromServer.size(), 1u);
    EXPECT_TRUE(fromServer[0]->HasChunk(sctp::CHUNK_DATA));
    EXPECT_FALSE(fromServer[0]->HasChunk(sctp::CHUNK_SACK));
    EXPECT_LT(fromServer[0]->at, Seconds(0.54));
    EXPECT_EQ(s.client.sock->GetRxAvailable(), full);
}

// A lost chunk shows as a gap-ack block above the cumulative TSN; a resent
// chunk the peer already had is reported as a duplicate TSN.
TEST_F(SctpTransfer, SackGapBlocksAndDuplicates)
{
    Session s;
    DropNth drop;
    drop.targets = {1};
    s.link.toServer->SetPredicate(std::ref(drop));
    Simulator::Schedule(Seconds(0.2), [&] {
        for (uint32_t i = 0; i < 6; ++i)
        {
            s.client.sock->Send(Pattern(1000, i));
        }
    });
    Simulator::Stop(Seconds(3));
    Simulator::Run();
    ASSERT_EQ(s.sink.got.size(), 6u);
    bool sawGap = false;
    for (const auto& p : s.link.toClient->seen)
    {
        for (const auto& c : p.view.chunks)
        {
            sctp::SackChunk sack;
            if (c.type == sctp::CHUNK_SACK && sctp::DecodeSack(c, sack).Ok() && !sack.gaps.empty())
            {
                // cum = base (TSN base+1 missing), gap starts at offset 2
                EXPECT_EQ(sack.cumTsnAck, drop.base);
                EXPECT_EQ(sack.gaps[0].first, 2);
                sawGap = true;
            }
        }
    }
    EXPECT_TRUE(sawGap);
    EXPECT_GE(s.sink.conn->GetStats().gapBlocksSent, 1u);
}

// Duplicate TSNs: when every SACK is lost, T3 resends and the receiver
// reports the duplicate in its next SACK.
TEST_F(SctpTransfer, DuplicateTsnReported)
{
    Session s;
    s.link.toClient->SetPredicate(
        [](const SeenPacket& p) { return p.HasChunk(sctp::CHUNK_SACK) && Simulator::Now() < Seconds(1.5); });
    uint32_t firstTsn = 0;
    Simulator::Schedule(Seconds(0.2), [&] { s.client.sock->Send(Pattern(100, 0)); });
    Simulator::Stop(Seconds(4));
    Simulator::Run();
    for (const auto& p : s.link.toServer->seen)
    {
        if (!p.Tsns().empty())
        {
            firstTsn = p.Tsns()[0];
            break;
        }
    }
    bool sawDup = false;
    for (const auto& p : s.link.toClient->seen)
    {
        for (const auto& c : p.view.chunks)
        {
            sctp::SackChunk sack;
            if (c.type == sctp::CHUNK_SACK && sctp::DecodeSack(c, sack).Ok() && !sack.dups.empty())
            {
                EXPECT_EQ(sack.dups[0], firstTsn);
                sawDup = true;
            }
        }
    }
    EXPECT_TRUE(sawDup);
    EXPECT_EQ(s.sink.got.size(), 1u);
    EXPECT_GE(s.sink.conn->GetStats().dupTsnsReceived, 1u);
}

// cwnd follows RFC 9260 §7.2.1 (slow start) and §7.2.2 (congestion avoidance
// with partial_bytes_acked), checked against a shadow model on every SACK.
TEST_F(SctpTransfer, CwndSlowStartAndCongestionAvoidanceStepByStep)
{
    const uint32_t mtu = 1480;
    Config::SetDefault("ns3::SctpSocket::InitialSsthresh", UintegerValue(8 * mtu));
    Config::SetDefault("ns3::SctpSocket::SndBufSize", UintegerValue(4000000));
    Config::SetDefault("ns3::SctpSocket::RcvBufSize", UintegerValue(4000000));
    Config::SetDefault("ns3::SctpSocket::MaxBurst", UintegerValue(1000));
    Session s("5Mbps", "20ms");

    struct Shadow
    {
        std::map<uint32_t, uint32_t> outstanding; // TSN -> bytes
        uint32_t flight = 0;
        uint32_t cwnd = 4380; // min(4 MTU, max(2 MTU, 4380))
        uint32_t ssthresh = 8 * 1480;
        uint32_t pba = 0;
        uint32_t cum = 0;
        bool haveCum = false;
        int ssSteps = 0;
        int caSteps = 0;
        int checks = 0;
        int mismatches = 0;
        Ptr<SctpSocket> sock;
    } sh;
    Simulator::Schedule(Seconds(0.2), [&] {
        sh.sock = s.client.sock;
        s.client.sock->TraceConnectWithoutContext(
            "Tx", MakeCallback(+[](Shadow* sh, Ptr<const Packet> p, Ptr<const SctpSocket>) {
                      std::vector<uint8_t> b(p->GetSize());
                      p->CopyData(b.data(), uint32_t(b.size()));
                      sctp::PacketView v;
                      sctp::ParsePacket(b.data(), b.size(), v);
                      for (const auto& c : v.chunks)
                      {
                          sctp::DataChunk d;
                          if (c.type == sctp::CHUNK_DATA && sctp::DecodeData(c, d).Ok())
                          {
                              sh->outstanding[d.tsn] = uint32_t(d.payloadLen);
                              sh->flight += uint32_t(d.payloadLen);
                          }
                      }
                  }).Bind(&sh));
        s.client.sock->TraceConnectWithoutContext(
            "Rx", MakeCallback(+[](Shadow* sh, Ptr<const Packet> p, Ptr<const SctpSocket>) {
                      // The socket has finished the previous SACK: compare.
                      ++sh->checks;
                      if (sh->sock->GetPrimaryPath().cwnd != sh->cwnd)
                      {
                          ++sh->mismatches;
                          ADD_FAILURE() << "cwnd " << sh->sock->GetPrimaryPath().cwnd
                                        << " expected " << sh->cwnd;
                      }
                      std::vector<uint8_t> b(p->GetSize());
                      p->CopyData(b.data(), uint32_t(b.size()));
                      sctp::PacketView v;
                      sctp::ParsePacket(b.data(), b.size(), v);
                      for (const auto& c : v.chunks)
                      {
                          sctp::SackChunk sack;
                          if (c.type != sctp::CHUNK_SACK || !sctp::DecodeSack(c, sack).Ok())
                          {
                              continue;
                          }
                          EXPECT_TRUE(sack.gaps.empty()); // no loss in this test
                          bool advanced = !sh->haveCum || sctp::TsnLt(sh->cum, sack.cumTsnAck);
                          uint32_t flightBefore = sh->flight;
                          uint32_t acked = 0;
                          while (!sh->outstanding.empty() &&
                                 sctp::TsnLe(sh->outstanding.begin()->first, sack.cumTsnAck))
                          {
                              acked += sh->outstanding.begin()->second;
                              sh->outstanding.erase(sh->outstanding.begin());
                          }
                          sh->flight -= acked;
                          sh->cum = sack.cumTsnAck;
                          sh->haveCum = true;
                          if (sh->cwnd <= sh->ssthresh)
                          {
                              // §7.2.1: +min(acked, MTU) if cwnd fully used and cum advanced
                              if (advanced && flightBefore >= sh->cwnd)
                              {
                                  sh->cwnd += std::min(acked, 1480u);
                                  ++sh->ssSteps;
                              }
                          }
                          else
                          {
                              // §7.2.2: pba += acked; at pba >= cwnd: pba -= cwnd, cwnd += MTU
                              sh->pba += acked;
                              if (sh->pba >= sh->cwnd && flightBefore >= sh->cwnd && advanced)
                              {
                                  sh->pba -= sh->cwnd;
                                  sh->cwnd += 1480;
                                  ++sh->caSteps;
                              }
                              else if (sh->pba > sh->cwnd && flightBefore < sh->cwnd)
                              {
                                  sh->pba = sh->cwnd;
                              }
                          }
                          if (sh->flight == 0 && sh->outstanding.empty())
                          {
                              sh->pba = 0;
                          }
                      }
                  }).Bind(&sh));
        for (uint32_t i = 0; i < 600; ++i)
        {
            s.client.sock->Send(Pattern(1452, i));
        }
    });
    Simulator::Stop(Seconds(4));
    Simulator::Run();
    EXPECT_EQ(s.sink.got.size(), 600u);
    EXPECT_GE(sh.ssSteps, 5);
    EXPECT_GE(sh.caSteps, 5);
    EXPECT_GT(sh.checks, 50);
    EXPECT_EQ(sh.mismatches, 0);
    EXPECT_EQ(s.client.sock->GetStats().retransmissions, 0u);
}

// One lost chunk in a bulk transfer: fast retransmit after 3 miss indications,
// long before the RTO, with ssthresh = max(cwnd/2, 4 MTU) and cwnd = ssthresh.
TEST_F(SctpTransfer, FastRetransmitAndRecovery)
{
    Config::SetDefault("ns3::SctpSocket::SndBufSize", UintegerValue(1000000));
    Session s;
    DropNth drop;
    drop.targets = {40};
    s.link.toServer->SetPredicate(std::ref(drop));
    struct Rtx
    {
        uint32_t tsn;
        bool fast;
        Time at;
        uint32_t cwndBefore;
    };
    std::vector<Rtx> rtx;
    uint32_t lastCwnd = 0;
    std::vector<std::pair<uint32_t, uint32_t>> ssthreshChanges;
    Simulator::Schedule(Seconds(0.2), [&] {
        s.client.sock->TraceConnectWithoutContext(
            "CongestionWindow",
            MakeCallback(+[](uint32_t* last, uint32_t, uint32_t n) { *last = n; }).Bind(&lastCwnd));
        s.client.sock->TraceConnectWithoutContext(
            "SlowStartThreshold",
            MakeCallback(+[](std::vector<std::pair<uint32_t, uint32_t>>* v, uint32_t o, uint32_t n) {
                v->emplace_back(o, n);
            }).Bind(&ssthreshChanges));
        // A raw pointer: a Ptr bound into the socket's own trace would hold
        // the socket alive from inside it (a cycle LeakSanitizer reports).
        s.client.sock->TraceConnectWithoutContext(
            "Retransmission",
            MakeCallback(+[](std::vector<Rtx>* v, SctpSocket* sock, uint32_t tsn, bool fast) {
                v->push_back({tsn, fast, Simulator::Now(), sock->GetPrimaryPath().cwnd});
            }).Bind(&rtx, PeekPointer(s.client.sock)));
        for (uint32_t i = 0; i < 200; ++i)
        {
            s.client.sock->Send(Pattern(1452, i));
        }
    });
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    ASSERT_EQ(s.sink.got.size(), 200u);
    for (uint32_t i = 0; i < 200; ++i)
    {
        ASSERT_TRUE(IsPattern(s.sink.got[i].data, i)) << i;
    }
    ASSERT_EQ(rtx.size(), 1u);
    EXPECT_EQ(rtx[0].tsn, drop.base + 40);
    EXPECT_TRUE(rtx[0].fast);
    EXPECT_LT((rtx[0].at - drop.droppedAt).GetSeconds(), 0.2); // RTO is >= 1 s
    EXPECT_EQ(s.client.sock->GetStats().t3Expirations, 0u);
    EXPECT_EQ(s.client.sock->GetStats().fastRetransmissions, 1u);
    // ssthresh went from the peer's a_rwnd to max(cwnd/2, 4 MTU) = the cwnd
    // in force at the retransmission.
    ASSERT_EQ(ssthreshChanges.size(), 1u);
    EXPECT_EQ(ssthreshChanges[0].first, 131072u); // the peer's initial a_rwnd
    uint32_t newSsthresh = ssthreshChanges.back().second;
    EXPECT_EQ(rtx[0].cwndBefore, newSsthresh);
    EXPECT_GE(newSsthresh, 4u * 1480u);
}

// The last chunk lost: no later SACK can report it, so T3-rtx resends it after
// one RTO, with cwnd = 1 MTU and ssthresh = max(cwnd/2, 4 MTU).
TEST_F(SctpTransfer, T3RetransmissionRecovery)
{
    Session s;
    DropNth drop;
    drop.targets = {2};
    s.link.toServer->SetPredicate(std::ref(drop));
    std::vector<std::pair<uint32_t, bool>> rtx;
    std::vector<uint32_t> cwnds;
    Simulator::Schedule(Seconds(0.2), [&] {
        s.client.sock->TraceConnectWithoutContext(
            "Retransmission",
            MakeCallback(+[](std::vector<std::pair<uint32_t, bool>>* v, uint32_t t, bool f) {
                v->emplace_back(t, f);
            }).Bind(&rtx));
        s.client.sock->TraceConnectWithoutContext(
            "CongestionWindow",
            MakeCallback(+[](std::vector<uint32_t>* v, uint32_t, uint32_t n) { v->push_back(n); })
                .Bind(&cwnds));
        for (uint32_t i = 0; i < 3; ++i)
        {
            s.client.sock->Send(Pattern(500, i));
        }
    });
    Simulator::Stop(Seconds(4));
    Simulator::Run();
    ASSERT_EQ(s.sink.got.size(), 3u);
    ASSERT_EQ(rtx.size(), 1u);
    EXPECT_EQ(rtx[0].first, drop.base + 2);
    EXPECT_FALSE(rtx[0].second);
    EXPECT_EQ(s.client.sock->GetStats().t3Expirations, 1u);
    ASSERT_FALSE(cwnds.empty());
    EXPECT_EQ(cwnds.back(), 1480u); // one MTU after the timeout
    EXPECT_EQ(s.client.sock->GetPrimaryPath().ssthresh, 4u * 1480u);
    // The back-off doubled the RTO (Karn: the retransmission is not timed).
    EXPECT_EQ(s.client.sock->GetPrimaryPath().rto, Seconds(2));
}

// T3 expiry with several chunks outstanding: one packet goes at once (E3),
// the others only as SACKs open the 1-MTU window, never as a burst.
TEST_F(SctpTransfer, T3SendsOnePacketThenFollowsCwnd)
{
    Session s;
    DropNth drop;
    drop.targets = {3, 4, 5};
    s.link.toServer->SetPredicate(std::ref(drop));
    std::vector<std::pair<uint32_t, Time>> rtx;
    Simulator::Schedule(Seconds(0.2), [&] {
        s.client.sock->TraceConnectWithoutContext(
            "Retransmission",
            MakeCallback(+[](std::vector<std::pair<uint32_t, Time>>* v, uint32_t t, bool) {
                v->emplace_back(t, Simulator::Now());
            }).Bind(&rtx));
        for (uint32_t i = 0; i < 6; ++i)
        {
            s.client.sock->Send(Pattern(1452, i));
        }
    });
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    ASSERT_EQ(s.sink.got.size(), 6u);
    ASSERT_EQ(rtx.size(), 3u);
    EXPECT_EQ(rtx[0].first, drop.base + 3);
    EXPECT_EQ(s.client.sock->GetStats().t3Expirations, 1u);
    // The second retransmission waited for a SACK: at least one RTT later.
    EXPECT_GE((rtx[1].second - rtx[0].second).GetSeconds(), 0.02);
}

// A receiver that stops reading closes its window; the sender keeps one
// probe in flight, and resumes when the application reads again.
TEST_F(SctpTransfer, ZeroWindowProbing)
{
    Config::SetDefault("ns3::SctpSocket::RcvBufSize", UintegerValue(3000));
    Session s;
    s.sink.readEnabled = false;
    uint32_t peerRwndAt2 = 99;
    size_t heldAt2 = 99;
    Simulator::Schedule(Seconds(0.2), [&] {
        for (uint32_t i = 0; i < 10; ++i)
        {
            s.client.sock->Send(Pattern(1000, i));
        }
    });
    Simulator::Schedule(Seconds(2.9), [&] {
        peerRwndAt2 = s.client.sock->GetPeerRwnd();
        heldAt2 = s.sink.conn->GetRxAvailable();
    });
    Simulator::Schedule(Seconds(3), [&] {
        s.sink.readEnabled = true;
        s.sink.Read(s.sink.conn);
    });
    Simulator::Stop(Seconds(30));
    Simulator::Run();
    EXPECT_EQ(peerRwndAt2, 0u);
    EXPECT_EQ(heldAt2, 3000u); // exactly the buffer: nothing beyond it accepted
    EXPECT_GE(s.client.sock->GetStats().zeroWindowProbes, 1u);
    EXPECT_GE(s.sink.conn->GetStats().dataDroppedNoBuffer, 1u);
    ASSERT_EQ(s.sink.got.size(), 10u);
    for (uint32_t i = 0; i < 10; ++i)
    {
        EXPECT_TRUE(IsPattern(s.sink.got[i].data, i));
    }
    EXPECT_EQ(s.client.sock->GetState(), SCTP_ESTABLISHED); // probes are not errors
}

// Head-of-line: a loss on stream 1 delays only stream 1 (which still delivers
// in order); stream 2 keeps its one-way latency.
TEST_F(SctpTransfer, NoHeadOfLineBlockingAcrossStreams)
{
    Session s;
    DropNth drop;
    drop.targets = {10};
    s.link.toServer->SetPredicate(std::ref(drop));
    std::vector<Time> sentAt(100);
    for (uint32_t i = 0; i < 100; ++i)
    {
        Simulator::Schedule(Seconds(0.2) + MilliSeconds(10 * i), [&, i] {
            sentAt[i] = Simulator::Now();
            s.client.sock->SendMsg(Numbered(300, i), uint16_t(1 + i % 2), false);
        });
    }
    Simulator::Stop(Seconds(3));
    Simulator::Run();
    ASSERT_EQ(s.sink.got.size(), 100u);
    double maxLat[3] = {0, 0, 0};
    int lastSsn[3] = {-1, -1, -1};
    for (const auto& r : s.sink.got)
    {
        uint32_t idx = NumberOf(r.data);
        ASSERT_LT(idx, 100u);
        EXPECT_EQ(r.sid, 1 + idx % 2);
        maxLat[r.sid] = std::max(maxLat[r.sid], (r.at - sentAt[idx]).GetSeconds());
        EXPECT_EQ(int(r.ssn), lastSsn[r.sid] + 1) << "stream " << r.sid << " out of order";
        lastSsn[r.sid] = r.ssn;
    }
    // TSN base+10 was message 10 (stream 1): stream 1 waited for its repair.
    EXPECT_EQ(drop.base + 10, drop.base + 10);
    EXPECT_GT(maxLat[1], 0.035);
    EXPECT_LT(maxLat[2], 0.015); // 10 ms one way + serialisation, no wait
}
