// sctp_hol: head-of-line latency of concurrent conversations sharing one
// transport association, against packet loss.
//   sctp-multistream : one SCTP association, one ordered stream per conversation
//   sctp-onestream   : one SCTP association, every conversation on stream 0
//   tcp              : one ns-3 TCP NewReno connection, messages length-framed
// Writes results/sctp/hol.csv (one row per protocol x loss x run) and
// results/sctp/hol.json (parameters and code version).
//
// Usage: sctp_hol [output-dir]
#include "sctp/sctp-helper.h"
#include "sctp/sctp-socket-factory.h"
#include "sctp/sctp-socket.h"
#include "sctp/sctp-tags.h"
#include "sctp/sctp-wire.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "sipim_version.h"

using namespace ns3;

namespace
{

enum class Proto
{
    SctpMulti,
    SctpOne,
    Tcp
};

const char*
ProtoName(Proto p)
{
    switch (p)
    {
    case Proto::SctpMulti:
        return "sctp-multistream";
    case Proto::SctpOne:
        return "sctp-onestream";
    case Proto::Tcp:
        return "tcp";
    }
    return "?";
}

struct Params
{
    uint32_t conversations = 8;
    double interval = 0.1; // each conversation sends one message per interval
    uint32_t messageSize = 300;
    double sendSeconds = 60;
    double drainSeconds = 30;
    std::string rate = "10Mbps";
    std::string delay = "20ms";
};

struct Run
{
    const Params& p;
    Proto proto;
    std::vector<double> sentAt;  // by message index
    std::vector<double> latency; // ms, by message index; < 0 until delivered
    std::vector<uint8_t> tcpBuf;
    uint32_t sendFailed = 0; // Send refused (buffer full): the message never left
    Ptr<Socket> tx;
    Ptr<Socket> rxListener;
    Ptr<Socket> rx;

    Run(const Params& params, Proto pr)
        : p(params),
          proto(pr)
    {
    }

    uint32_t Total() const
    {
        return uint32_t(p.sendSeconds / p.interval) * p.conversations;
    }

    void Deliver(const uint8_t* msg, size_t len)
    {
        if (len < 8)
        {
            std::fprintf(stderr, "sctp_hol: short message of %zu bytes\n", len);
            return;
        }
        uint32_t idx = sctp::Get32(msg + 4);
        if (idx >= latency.size() || latency[idx] >= 0)
        {
            std::fprintf(stderr, "sctp_hol: unexpected message index %u\n", idx);
            return;
        }
        latency[idx] = (Simulator::Now().GetSeconds() - sentAt[idx]) * 1000.0;
    }

    void OnRecv(Ptr<Socket> s)
    {
        while (Ptr<Packet> pkt = s->Recv())
        {
            std::vector<uint8_t> b(pkt->GetSize());
            pkt->CopyData(b.data(), uint32_t(b.size()));
            if (proto != Proto::Tcp)
            {
                Deliver(b.data(), b.size());
                continue;
            }
            // TCP: a byte stream; messages carry a 4-byte length prefix.
            tcpBuf.insert(tcpBuf.end(), b.begin(), b.end());
            size_t off = 0;
            while (tcpBuf.size() - off >= 4)
            {
                uint32_t len = sctp::Get32(tcpBuf.data() + off);
                if (tcpBuf.size() - off - 4 < len)
                {
                    break;
                }
                Deliver(tcpBuf.data() + off + 4, len);
                off += 4 + len;
            }
            tcpBuf.erase(tcpBuf.begin(), tcpBuf.begin() + long(off));
        }
    }

    void OnAccept(Ptr<Socket> s, const Address&)
    {
        rx = s;
        s->SetRecvCallback(MakeCallback(&Run::OnRecv, this));
    }

    void SendOne(uint32_t idx, uint32_t conv)
    {
        std::vector<uint8_t> m(p.messageSize + (proto == Proto::Tcp ? 4 : 0), 0x5A);
        uint8_t* body = m.data();
        if (proto == Proto::Tcp)
        {
            sctp::Put32At(m.data(), p.messageSize);
            body += 4;
        }
        sctp::Put32At(body, conv);
        sctp::Put32At(body + 4, idx);
        sentAt[idx] = Simulator::Now().GetSeconds();
        Ptr<Packet> pkt = Create<Packet>(m.data(), uint32_t(m.size()));
        int r;
        if (proto == Proto::Tcp)
        {
            r = tx->Send(pkt);
        }
        else
        {
            uint16_t sid = proto == Proto::SctpMulti ? uint16_t(conv) : 0;
            r = DynamicCast<SctpSocket>(tx)->SendMsg(pkt, sid, false);
        }
        if (r != int(m.size()))
        {
            ++sendFailed;
        }
    }
};

struct Summary
{
    uint32_t sent = 0;
    uint32_t sendFailed = 0;
    uint32_t delivered = 0;
    double mean = 0, p50 = 0, p95 = 0, p99 = 0, max = 0;
};

Summary
RunOne(const Params& p, Proto proto, double loss, uint32_t run)
{
    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(run);
    Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TcpNewReno::GetTypeId()));
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));
    Config::SetDefault("ns3::TcpSocket::TcpNoDelay", BooleanValue(true));
    Config::SetDefault("ns3::SctpSocket::OutboundStreams", UintegerValue(p.conversations));
    Config::SetDefault("ns3::SctpSocket::MaxInboundStreams", UintegerValue(p.conversations));
    NodeContainer nodes;
    nodes.Create(2);
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue(p.rate));
    p2p.SetChannelAttribute("Delay", StringValue(p.delay));
    NetDeviceContainer devs = p2p.Install(nodes);
    InternetStackHelper stack;
    stack.Install(nodes);
    SctpHelper().Install(nodes);
    Ipv4AddressHelper addr;
    addr.SetBase("10.1.1.0", "255.255.255.0");
    Ipv4InterfaceContainer ifs = addr.Assign(devs);
    Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
    em->SetAttribute("ErrorUnit", EnumValue(RateErrorModel::ERROR_UNIT_PACKET));
    em->SetAttribute("ErrorRate", DoubleValue(loss));
    em->AssignStreams(11);
    devs.Get(1)->SetAttribute("ReceiveErrorModel", PointerValue(em));

    Run r(p, proto);
    r.sentAt.assign(r.Total(), 0);
    r.latency.assign(r.Total(), -1);
    TypeId factory = proto == Proto::Tcp ? TcpSocketFactory::GetTypeId() : SctpSocketFactory::GetTypeId();
    r.rxListener = Socket::CreateSocket(nodes.Get(1), factory);
    r.rxListener->Bind(InetSocketAddress(Ipv4Address::GetAny(), 5060));
    r.rxListener->Listen();
    r.rxListener->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                                    MakeCallback(&Run::OnAccept, &r));
    r.tx = Socket::CreateSocket(nodes.Get(0), factory);
    Simulator::Schedule(Seconds(0.1), [&] { r.tx->Connect(InetSocketAddress(ifs.GetAddress(1), 5060)); });
    uint32_t rounds = uint32_t(p.sendSeconds / p.interval);
    for (uint32_t k = 0; k < rounds; ++k)
    {
        for (uint32_t c = 0; c < p.conversations; ++c)
        {
            double t = 1.0 + k * p.interval + c * p.interval / p.conversations;
            uint32_t idx = k * p.conversations + c;
            Simulator::Schedule(Seconds(t), &Run::SendOne, &r, idx, c);
        }
    }
    Simulator::Stop(Seconds(1.0 + p.sendSeconds + p.drainSeconds));
    Simulator::Run();
    Simulator::Destroy();
    Config::Reset();

    Summary s;
    s.sent = r.Total();
    s.sendFailed = r.sendFailed;
    std::vector<double> lat;
    for (double l : r.latency)
    {
        if (l >= 0)
        {
            lat.push_back(l);
        }
    }
    s.delivered = uint32_t(lat.size());
    if (lat.empty())
    {
        return s;
    }
    std::sort(lat.begin(), lat.end());
    double sum = 0;
    for (double l : lat)
    {
        sum += l;
    }
    // Nearest rank, as sipim run and analysis/simlib.py take it: index
    // ceil(f * n) - 1 (floor(f * n) took the rank above: p95 of 20 values
    // was the maximum).
    auto q = [&](double f) {
        const double rank = std::ceil(f * double(lat.size()));
        return lat[std::min(lat.size() - 1, rank < 1 ? size_t(0) : size_t(rank) - 1)];
    };
    s.mean = sum / double(lat.size());
    s.p50 = q(0.50);
    s.p95 = q(0.95);
    s.p99 = q(0.99);
    s.max = lat.back();
    return s;
}

} // namespace

int
main(int argc, char** argv)
{
    std::string dir = argc > 1 ? argv[1] : std::string(SIPIM_SOURCE_DIR) + "/results/sctp";
    Params p;
    const double losses[] = {0.0, 0.005, 0.01, 0.02, 0.05, 0.10};
    const uint32_t runs = 3;
    std::ofstream csv(dir + "/hol.csv");
    if (!csv)
    {
        std::fprintf(stderr, "sctp_hol: cannot write %s/hol.csv\n", dir.c_str());
        return 1;
    }
    csv << "protocol,loss,run,sent,send_failed,delivered,mean_ms,p50_ms,p95_ms,p99_ms,max_ms\n";
    for (Proto proto : {Proto::SctpMulti, Proto::SctpOne, Proto::Tcp})
    {
        for (double loss : losses)
        {
            for (uint32_t run = 1; run <= runs; ++run)
            {
                Summary s = RunOne(p, proto, loss, run);
                char line[256];
                std::snprintf(line, sizeof line, "%s,%.3f,%u,%u,%u,%u,%.3f,%.3f,%.3f,%.3f,%.3f\n",
                              ProtoName(proto), loss, run, s.sent, s.sendFailed, s.delivered, s.mean, s.p50,
                              s.p95, s.p99, s.max);
                csv << line;
                std::fputs(line, stdout);
            }
        }
    }
    std::ofstream meta(dir + "/hol.json");
    meta << "{\n  \"scenario\": \"sctp_hol\",\n"
         << "  \"description\": \"one-way latency of messages of concurrent conversations sharing one "
            "association (SCTP, one stream per conversation or one stream) or one TCP NewReno "
            "connection, against packet loss on the data direction\",\n"
         << "  \"conversations\": " << p.conversations << ",\n"
         << "  \"interval_s\": " << p.interval << ",\n"
         << "  \"message_bytes\": " << p.messageSize << ",\n"
         << "  \"send_seconds\": " << p.sendSeconds << ",\n"
         << "  \"link_rate\": \"" << p.rate << "\",\n"
         << "  \"link_delay\": \"" << p.delay << "\",\n"
         << "  \"runs\": " << runs << ",\n"
         << "  \"seed\": 1,\n"
         << "  \"tcp\": \"ns3::TcpNewReno, SegmentSize 1448, TcpNoDelay, 4-byte length framing\",\n"
         << "  \"version\": \"" << SIPIM_CODE_VERSION << "\"\n}\n";
    return 0;
}
