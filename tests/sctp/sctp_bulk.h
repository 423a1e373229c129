// One bulk transfer over a lossy point-to-point link, by SCTP or by ns-3 TCP,
// with the stock BulkSendApplication / PacketSink (they only need a socket
// factory). Shared by the sanity test and the benchmark.
#pragma once

#include "sctp/sctp-helper.h"
#include "sctp/sctp-socket-factory.h"
#include "sctp/sctp-socket.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace sipim_test
{

struct BulkConfig
{
    bool sctp = true;
    double loss = 0.0;         // packet loss rate on the data direction
    double seconds = 20.0;     // transfer time
    uint64_t maxBytes = 0;     // 0 = as much as fits in `seconds`
    std::string rate = "10Mbps";
    std::string delay = "20ms";
    uint32_t payload = 1448;   // bytes per Send (one TCP segment / one DATA chunk)
    uint32_t run = 1;
    // TCP peer settings. Initial cwnd: SCTP starts with min(4 MTU, max(2 MTU,
    // 4380)) = 4380 B at MTU 1500; 3 segments of 1448 B = 4344 B is TCP's
    // nearest equal (ns-3's default of 10 segments would favour TCP).
    uint32_t tcpInitialCwnd = 3;  // segments; 0 = ns-3's default (10)
    std::string tcpRecovery;      // "" = ns-3's default (PRR); e.g. "ns3::TcpClassicRecovery"
    // ns3::TcpNewReno grows cwnd once per ACK in congestion avoidance (RFC 5681
    // eq. 3); ns3::TcpLinuxReno once per segment acked, the byte counting RFC
    // 5681 section 3.1 recommends and SCTP's partial_bytes_acked does.
    std::string tcpType = "ns3::TcpNewReno";
    // SCTP with I-DATA (RFC 8260): attribute Interleaving on both ends.
    bool sctpInterleaving = false;
};

struct BulkResult
{
    double goodputBps = 0;  // application bytes received * 8 / transfer time
    uint64_t bytes = 0;
    uint64_t packets = 0;   // packets put on the wire by both devices
    double completedAt = 0; // when maxBytes arrived (0 if not reached / not set)
    uint64_t retransmissions = 0; // SCTP only: DATA chunks sent again
    uint64_t fastRetransmissions = 0;
    uint64_t timeouts = 0;        // SCTP: T3-rtx expirations; TCP: RTOs (entries to CA_LOSS)
    uint64_t recoveries = 0;      // TCP only: entries to fast recovery (CA_RECOVERY)
};

/// Counts a TCP sender's congestion-state entries: RTO (CA_LOSS) and fast recovery.
inline void
CountCongState(BulkResult* r,
               ns3::TcpSocketState::TcpCongState_t from,
               ns3::TcpSocketState::TcpCongState_t to)
{
    if (to == from)
    {
        return;
    }
    if (to == ns3::TcpSocketState::CA_LOSS)
    {
        ++r->timeouts;
    }
    else if (to == ns3::TcpSocketState::CA_RECOVERY)
    {
        ++r->recoveries;
    }
}

inline void
CountPacket(uint64_t* n, ns3::Ptr<const ns3::Packet>)
{
    ++*n;
}

inline BulkResult
RunBulk(const BulkConfig& c)
{
    using namespace ns3;
    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(c.run);
    Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TypeId::LookupByName(c.tcpType)));
    // TCP as an equal peer of SCTP, set explicitly rather than trusted to
    // ns-3's defaults: segment = one DATA chunk's payload; SACK on; RTO.Min
    // and the initial RTO 1 s (SCTP RtoMin / RtoInitial); delayed ACK 200 ms
    // or every 2nd segment (SCTP SackTimeout / SackFrequency); 128 KiB send
    // and receive buffers (SCTP SndBufSize / RcvBufSize).
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(c.payload));
    Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(true));
    Config::SetDefault("ns3::TcpSocketBase::MinRto", TimeValue(Seconds(1)));
    Config::SetDefault("ns3::RttEstimator::InitialEstimation", TimeValue(Seconds(1)));
    Config::SetDefault("ns3::TcpSocket::DelAckTimeout", TimeValue(MilliSeconds(200)));
    Config::SetDefault("ns3::TcpSocket::DelAckCount", UintegerValue(2));
    Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(131072));
    Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(131072));
    Config::SetDefault("ns3::SctpSocket::SndBufSize", UintegerValue(131072));
    Config::SetDefault("ns3::SctpSocket::RcvBufSize", UintegerValue(131072));
    if (c.sctpInterleaving)
    {
        Config::SetDefault("ns3::SctpSocket::Interleaving", BooleanValue(true));
    }
    if (c.tcpInitialCwnd)
    {
        Config::SetDefault("ns3::TcpSocket::InitialCwnd", UintegerValue(c.tcpInitialCwnd));
    }
    if (!c.tcpRecovery.empty())
    {
        Config::SetDefault("ns3::TcpL4Protocol::RecoveryType",
                           TypeIdValue(TypeId::LookupByName(c.tcpRecovery)));
    }
    NodeContainer nodes;
    nodes.Create(2);
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue(c.rate));
    p2p.SetChannelAttribute("Delay", StringValue(c.delay));
    p2p.SetQueue("ns3::DropTailQueue", "MaxSize", QueueSizeValue(QueueSize("100p")));
    NetDeviceContainer devs = p2p.Install(nodes);
    InternetStackHelper stack;
    stack.Install(nodes);
    if (c.sctp)
    {
        SctpHelper().Install(nodes);
    }
    Ipv4AddressHelper addr;
    addr.SetBase("10.1.1.0", "255.255.255.0");
    Ipv4InterfaceContainer ifs = addr.Assign(devs);
    Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
    em->SetAttribute("ErrorUnit", EnumValue(RateErrorModel::ERROR_UNIT_PACKET));
    em->SetAttribute("ErrorRate", DoubleValue(c.loss));
    em->AssignStreams(7);
    devs.Get(1)->SetAttribute("ReceiveErrorModel", PointerValue(em));

    TypeId factory = c.sctp ? SctpSocketFactory::GetTypeId() : TcpSocketFactory::GetTypeId();
    uint16_t port = 9;
    BulkSendHelper src(factory.GetName(), InetSocketAddress(ifs.GetAddress(1), port));
    src.SetAttribute("SendSize", UintegerValue(c.payload));
    src.SetAttribute("MaxBytes", UintegerValue(c.maxBytes));
    ApplicationContainer sa = src.Install(nodes.Get(0));
    PacketSinkHelper sink(factory.GetName(), InetSocketAddress(Ipv4Address::GetAny(), port));
    ApplicationContainer ka = sink.Install(nodes.Get(1));
    const double start = 0.1;
    sa.Start(Seconds(start));
    ka.Start(Seconds(0));
    Ptr<PacketSink> ps = DynamicCast<PacketSink>(ka.Get(0));

    BulkResult r;
    devs.Get(0)->TraceConnectWithoutContext("MacTx", MakeBoundCallback(&CountPacket, &r.packets));
    devs.Get(1)->TraceConnectWithoutContext("MacTx", MakeBoundCallback(&CountPacket, &r.packets));
    if (c.maxBytes)
    {
        // Stop as soon as everything arrived.
        struct Watch
        {
            Ptr<PacketSink> ps;
            uint64_t target;
            double* at;
            static void Rx(Watch* w, Ptr<const Packet>, const Address&)
            {
                if (*w->at == 0 && w->ps->GetTotalRx() >= w->target)
                {
                    *w->at = Simulator::Now().GetSeconds();
                    Simulator::Stop();
                }
            }
        };
        static Watch w;
        w = Watch{ps, c.maxBytes, &r.completedAt};
        ps->TraceConnectWithoutContext("Rx", MakeBoundCallback(&Watch::Rx, &w));
    }
    BulkResult* rp = &r;
    if (!c.sctp)
    {
        // The TCP socket exists once the application started: watch its RTOs.
        Ptr<Application> app = sa.Get(0);
        Simulator::Schedule(Seconds(start) + NanoSeconds(1), [app, rp] {
            Ptr<Socket> s = DynamicCast<BulkSendApplication>(app)->GetSocket();
            s->TraceConnectWithoutContext("CongState", MakeBoundCallback(&CountCongState, rp));
        });
    }
    Simulator::Stop(Seconds(start + c.seconds));
    Simulator::Run();
    r.bytes = ps->GetTotalRx();
    if (c.sctp)
    {
        Ptr<SctpSocket> sock = DynamicCast<SctpSocket>(DynamicCast<BulkSendApplication>(sa.Get(0))->GetSocket());
        if (sock)
        {
            r.retransmissions = sock->GetStats().retransmissions;
            r.fastRetransmissions = sock->GetStats().fastRetransmissions;
            r.timeouts = sock->GetStats().t3Expirations;
        }
    }
    double t = r.completedAt > 0 ? r.completedAt - start : c.seconds;
    r.goodputBps = double(r.bytes) * 8.0 / t;
    Simulator::Destroy();
    Config::Reset();
    return r;
}

/// Mathis et al. (1997): rate = (MSS / RTT) * sqrt(3/2) / sqrt(p), in bit/s.
inline double
MathisBps(double mssBytes, double rttSeconds, double p)
{
    return mssBytes * 8.0 / rttSeconds * std::sqrt(1.5) / std::sqrt(p);
}

/// The Mathis rate on BulkConfig's default link (10 Mb/s, 20 ms, 1448-byte
/// payloads), capped at the link's payload rate. RTT: 2 x 20 ms propagation
/// + 1.2 ms to serialise a 1500-byte packet at 10 Mb/s.
inline double
SanityMathisBps(double p)
{
    const double rtt = 0.040 + 1500 * 8 / 10e6;
    const double link = 10e6 * 1448.0 / 1502.0; // payload share of a full PPP frame
    return std::min(MathisBps(1448, rtt, p), link);
}

} // namespace sipim_test
