// Small ns-3 topologies for the SCTP tests: two nodes on a point-to-point
// link, SCTP installed, and an error model that drops SCTP packets chosen by
// their chunks (so that a test can say "drop the first INIT ACK").
#pragma once

#include "sctp/crc32c.h"
#include "sctp/sctp-cookie.h"
#include "sctp/sctp-helper.h"
#include "sctp/sctp-l4-protocol.h"
#include "sctp/sctp-socket.h"
#include "sctp/sctp-tags.h"
#include "sctp/sctp-wire.h"

#include "ns3/core-module.h"
#include "ns3/error-model.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace sipim_test
{

using namespace ns3;

/// What the error model saw of one SCTP packet.
struct SeenPacket
{
    sctp::PacketView view;
    std::vector<uint8_t> bytes; // the SCTP packet (views point here)
    Time at;                    // when it reached the receiving device
    uint32_t ipBytes = 0;       // size of the IP packet that carried it

    SeenPacket() = default;
    // A copy owns new bytes: parse again so that the views point into them.
    SeenPacket(const SeenPacket& o)
        : bytes(o.bytes),
          at(o.at),
          ipBytes(o.ipBytes)
    {
        sctp::ParsePacket(bytes.data(), bytes.size(), view, false);
    }
    SeenPacket& operator=(const SeenPacket& o)
    {
        bytes = o.bytes;
        at = o.at;
        ipBytes = o.ipBytes;
        sctp::ParsePacket(bytes.data(), bytes.size(), view, false);
        return *this;
    }
    // A move keeps the buffer, so the views stay valid; noexcept so that
    // std::vector moves (not copies) on reallocation.
    SeenPacket(SeenPacket&& o) noexcept
        : view(std::move(o.view)),
          bytes(std::move(o.bytes)),
          at(o.at),
          ipBytes(o.ipBytes)
    {
    }
    SeenPacket& operator=(SeenPacket&& o) noexcept
    {
        view = std::move(o.view);
        bytes = std::move(o.bytes);
        at = o.at;
        ipBytes = o.ipBytes;
        return *this;
    }
    bool HasChunk(uint8_t type) const
    {
        for (const auto& c : view.chunks)
        {
            if (c.type == type)
            {
                return true;
            }
        }
        return false;
    }
    /// TSNs of the DATA chunks in the packet.
    std::vector<uint32_t> Tsns() const
    {
        std::vector<uint32_t> out;
        for (const auto& c : view.chunks)
        {
            sctp::DataChunk d;
            if (c.type == sctp::CHUNK_DATA && sctp::DecodeData(c, d).Ok())
            {
                out.push_back(d.tsn);
            }
        }
        return out;
    }
};

/// Drops the SCTP packets for which the predicate returns true. The packet
/// reaching a point-to-point receive error model still carries PPP + IPv4
/// (or IPv6: a fixed 40-byte header, the model adds no extension headers).
class SctpDropModel : public ErrorModel
{
  public:
    using Predicate = std::function<bool(const SeenPacket&)>;
    static TypeId GetTypeId()
    {
        static TypeId tid = TypeId("sipim_test::SctpDropModel").SetParent<ErrorModel>();
        return tid;
    }
    void SetPredicate(Predicate p)
    {
        m_pred = std::move(p);
    }
    uint32_t dropped = 0;
    std::vector<SeenPacket> seen; // every SCTP packet, in arrival order

  private:
    bool DoCorrupt(Ptr<Packet> p) override
    {
        std::vector<uint8_t> raw(p->GetSize());
        p->CopyData(raw.data(), uint32_t(raw.size()));
        const size_t ipOff = 2; // PPP protocol field
        if (raw.size() < ipOff + 20)
        {
            return false;
        }
        const bool v6 = raw[ipOff] >> 4 == 6;
        if ((v6 && raw.size() < ipOff + 40) || raw[ipOff + (v6 ? 6 : 9)] != 132)
        {
            return false;
        }
        size_t ihl = v6 ? 40 : (raw[ipOff] & 0x0F) * 4;
        SeenPacket s;
        s.at = Simulator::Now();
        s.ipBytes = uint32_t(raw.size() - ipOff);
        s.bytes.assign(raw.begin() + long(ipOff + ihl), raw.end());
        if (!sctp::ParsePacket(s.bytes.data(), s.bytes.size(), s.view, false).Ok())
        {
            return false;
        }
        bool drop = m_pred && m_pred(s);
        seen.push_back(std::move(s)); // the move keeps the views valid
        if (drop)
        {
            ++dropped;
        }
        return drop;
    }
    void DoReset() override
    {
    }
    Predicate m_pred;
};

/// Two nodes, one link. Node 0 = client (10.1.1.1), node 1 = server (10.1.1.2);
/// with ipv6, 2001:db8:1::1 and 2001:db8:1::2 instead (and no IPv4 addresses).
struct Link
{
    NodeContainer nodes;
    NetDeviceContainer devices;
    Ipv4InterfaceContainer ifaces;
    Ipv6InterfaceContainer ifaces6;
    Ptr<SctpDropModel> toServer; // on the server's device: drops client->server
    Ptr<SctpDropModel> toClient; // on the client's device: drops server->client

    explicit Link(const std::string& rate = "10Mbps",
                  const std::string& delay = "10ms",
                  uint32_t queuePackets = 1000,
                  bool ipv6 = false)
    {
        nodes.Create(2);
        PointToPointHelper p2p;
        p2p.SetDeviceAttribute("DataRate", StringValue(rate));
        p2p.SetChannelAttribute("Delay", StringValue(delay));
        p2p.SetQueue("ns3::DropTailQueue",
                     "MaxSize",
                     QueueSizeValue(QueueSize(std::to_string(queuePackets) + "p")));
        devices = p2p.Install(nodes);
        InternetStackHelper stack;
        stack.Install(nodes);
        SctpHelper sctp;
        sctp.Install(nodes);
        sctp.AssignStreams(nodes, 1);
        if (ipv6)
        {
            Ipv6AddressHelper addr6;
            addr6.SetBase(Ipv6Address("2001:db8:1::"), Ipv6Prefix(64));
            ifaces6 = addr6.Assign(devices);
        }
        else
        {
            Ipv4AddressHelper addr;
            addr.SetBase("10.1.1.0", "255.255.255.0");
            ifaces = addr.Assign(devices);
        }
        toServer = CreateObject<SctpDropModel>();
        toClient = CreateObject<SctpDropModel>();
        devices.Get(1)->SetAttribute("ReceiveErrorModel", PointerValue(toServer));
        devices.Get(0)->SetAttribute("ReceiveErrorModel", PointerValue(toClient));
    }
    Ptr<Node> Client() const
    {
        return nodes.Get(0);
    }
    Ptr<Node> Server() const
    {
        return nodes.Get(1);
    }
    InetSocketAddress ServerAddress(uint16_t port) const
    {
        return InetSocketAddress(ifaces.GetAddress(1), port);
    }
    /// Node i's global IPv6 address (index 0 is the link-local one).
    Ipv6Address Address6(uint32_t node) const
    {
        return ifaces6.GetAddress(node, 1);
    }
    Inet6SocketAddress ServerAddress6(uint16_t port) const
    {
        return Inet6SocketAddress(Address6(1), port);
    }
};

/// A received message, as the application saw it.
struct Received
{
    Time at;
    uint16_t sid = 0;
    uint16_t ssn = 0;
    bool unordered = false;
    bool eor = true;     // false: a piece of a message (partial delivery or read)
    bool aborted = false; // the mark of a message delivered in parts, abandoned
    std::vector<uint8_t> data;
};

/// Server side: listens, accepts, reads every message with its tag.
struct Sink
{
    Ptr<SctpSocket> listener;
    Ptr<SctpSocket> conn;
    std::vector<Received> got;
    bool normalClose = false;
    bool errorClose = false;
    bool readEnabled = true;

    void Start(Ptr<Node> node, uint16_t port, bool ipv6 = false)
    {
        listener = DynamicCast<SctpSocket>(SctpHelper::CreateSocket(node));
        if (ipv6)
        {
            listener->Bind(Inet6SocketAddress(Ipv6Address::GetAny(), port));
        }
        else
        {
            listener->Bind(InetSocketAddress(Ipv4Address::GetAny(), port));
        }
        listener->Listen();
        listener->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                                    MakeCallback(&Sink::Accepted, this));
    }
    void Accepted(Ptr<Socket> s, const Address&)
    {
        conn = DynamicCast<SctpSocket>(s);
        s->SetRecvCallback(MakeCallback(&Sink::Read, this));
        s->SetCloseCallbacks(MakeCallback(&Sink::Normal, this), MakeCallback(&Sink::Error, this));
    }
    void Read(Ptr<Socket> s)
    {
        if (!readEnabled)
        {
            return;
        }
        while (Ptr<Packet> p = s->Recv())
        {
            Received r;
            r.at = Simulator::Now();
            SctpStreamTag tag;
            if (p->PeekPacketTag(tag))
            {
                r.sid = tag.GetStreamId();
                r.ssn = tag.GetSsn();
                r.unordered = tag.IsUnordered();
                r.eor = tag.IsEndOfRecord();
                r.aborted = tag.IsPartialDeliveryAborted();
            }
            r.data.resize(p->GetSize());
            p->CopyData(r.data.data(), uint32_t(r.data.size()));
            got.push_back(std::move(r));
        }
    }
    void Normal(Ptr<Socket>)
    {
        normalClose = true;
    }
    void Error(Ptr<Socket>)
    {
        errorClose = true;
    }
};

/// Client side: connects and records what happened.
struct Client
{
    Ptr<SctpSocket> sock;
    bool connected = false;
    bool failed = false;
    Time connectedAt;
    bool normalClose = false;
    bool errorClose = false;

    void Start(Ptr<Node> node, const Address& to)
    {
        sock = DynamicCast<SctpSocket>(SctpHelper::CreateSocket(node));
        sock->SetConnectCallback(MakeCallback(&Client::Ok, this), MakeCallback(&Client::Fail, this));
        sock->SetCloseCallbacks(MakeCallback(&Client::Normal, this), MakeCallback(&Client::Error, this));
        sock->Connect(to);
    }
    void Ok(Ptr<Socket>)
    {
        connected = true;
        connectedAt = Simulator::Now();
    }
    void Fail(Ptr<Socket>)
    {
        failed = true;
    }
    void Normal(Ptr<Socket>)
    {
        normalClose = true;
    }
    void Error(Ptr<Socket>)
    {
        errorClose = true;
    }
};

/// A listening sink on the server and a client connecting to it at t = 0
/// (after the nodes' own initialisation).
struct Session
{
    Link link;
    Sink sink;
    Client client;

    explicit Session(const std::string& rate = "10Mbps", const std::string& delay = "10ms")
        : link(rate, delay)
    {
        sink.Start(link.Server(), 5000);
        // After the nodes' own initialisation at t = 0.
        Simulator::Schedule(Seconds(0), [this] { client.Start(link.Client(), link.ServerAddress(5000)); });
    }
};

/// Re-signs a changed SCTP packet so that it passes the CRC32c check.
inline void
Resign(std::vector<uint8_t>& b)
{
    if (b.size() < sctp::kCommonHeaderSize)
    {
        return;
    }
    b[8] = b[9] = b[10] = b[11] = 0;
    uint32_t crc = sctp::Crc32c(b.data(), b.size());
    b[8] = uint8_t(crc);
    b[9] = uint8_t(crc >> 8);
    b[10] = uint8_t(crc >> 16);
    b[11] = uint8_t(crc >> 24);
}

/// A TLV parameter (type, length field 4 + value size unless given), padded.
inline std::vector<uint8_t>
Param(uint16_t type, std::vector<uint8_t> value, int length = -1)
{
    uint16_t len = length < 0 ? uint16_t(4 + value.size()) : uint16_t(length);
    std::vector<uint8_t> out{uint8_t(type >> 8), uint8_t(type), uint8_t(len >> 8), uint8_t(len)};
    value.resize(sctp::Pad4(value.size()));
    out.insert(out.end(), value.begin(), value.end());
    return out;
}

/// `node` gets, in place of the first packet starting with an INIT / INIT
/// ACK (`type`) that `rx` (one of its devices' drop models) sees, a copy with
/// `params` inserted before the chunk's own parameters (or after them, with
/// atEnd; chunk length and CRC32c fixed up), handed to its SCTP as from
/// `from` to `to` on IP interface `ifIndex`: a peer that sends those
/// parameters. The rest of the exchange is the real one.
inline void
InsertInitParams(Ptr<SctpDropModel> rx,
                 Ptr<Node> node,
                 uint32_t ifIndex,
                 SctpIpAddress from,
                 SctpIpAddress to,
                 uint8_t type,
                 std::vector<uint8_t> params,
                 bool atEnd = false)
{
    auto done = std::make_shared<bool>(false);
    rx->SetPredicate([=](const SeenPacket& p) {
        if (*done || p.view.chunks.empty() || p.view.chunks[0].type != type)
        {
            return false;
        }
        *done = true;
        std::vector<uint8_t> b = p.bytes;
        const size_t fixedEnd = sctp::kCommonHeaderSize + sctp::kChunkHeaderSize + 16;
        const size_t chunkEnd = sctp::kCommonHeaderSize + sctp::Pad4(sctp::Get16(&b[14]));
        b.insert(b.begin() + long(atEnd ? chunkEnd : fixedEnd), params.begin(), params.end());
        uint16_t len = uint16_t((atEnd ? sctp::Pad4(sctp::Get16(&b[14])) : sctp::Get16(&b[14])) + params.size());
        b[14] = uint8_t(len >> 8);
        b[15] = uint8_t(len);
        Resign(b);
        Ptr<Packet> pkt = Create<Packet>(b.data(), uint32_t(b.size()));
        Simulator::ScheduleNow([=] {
            Ptr<SctpL4Protocol> l4 = node->GetObject<SctpL4Protocol>();
            if (SctpIsIpv6(from))
            {
                Ipv6Header ip;
                ip.SetSource(std::get<Ipv6Address>(from));
                ip.SetDestination(std::get<Ipv6Address>(to));
                l4->Receive(pkt, ip, node->GetObject<Ipv6L3Protocol>()->GetInterface(ifIndex));
            }
            else
            {
                Ipv4Header ip;
                ip.SetSource(std::get<Ipv4Address>(from));
                ip.SetDestination(std::get<Ipv4Address>(to));
                l4->Receive(pkt, ip, node->GetObject<Ipv4L3Protocol>()->GetInterface(ifIndex));
            }
        });
        return true; // the original goes no further
    });
}

/// Hands node `to`'s SCTP an SCTP packet (as is: sign it first) as if it
/// came over IPv4 from node `from`.
inline void
InjectBytes(const Link& link, uint32_t from, uint32_t to, const std::vector<uint8_t>& bytes)
{
    Ipv4Header ip;
    ip.SetSource(link.ifaces.GetAddress(from));
    ip.SetDestination(link.ifaces.GetAddress(to));
    Ptr<Node> node = link.nodes.Get(to);
    node->GetObject<SctpL4Protocol>()->Receive(Create<Packet>(bytes.data(), uint32_t(bytes.size())),
                                               ip,
                                               node->GetObject<Ipv4L3Protocol>()->GetInterface(1));
}

/// Hands node `to` a COOKIE ECHO from node `from` (IPv4; ports fromPort ->
/// toPort, verification tag vtag) whose State Cookie is sealed under `to`'s
/// own key, as if `to`'s listener on cookiePort had issued it in an INIT
/// ACK: ck gives the tags, TSNs, creation time and lifetime; this fills in
/// the addresses, the ports and the usual a_rwnd and stream counts.
inline void
InjectSealedCookie(const Link& link,
                   uint32_t from,
                   uint32_t to,
                   uint16_t fromPort,
                   uint16_t toPort,
                   uint16_t cookiePort,
                   uint32_t vtag,
                   sctp::CookieState ck)
{
    ck.peerRwnd = 131072;
    ck.outStreams = 10;
    ck.inStreams = 10;
    ck.localPort = cookiePort;
    ck.peerPort = fromPort;
    ck.localAddr = link.ifaces.GetAddress(to).Get();
    ck.peerAddr = link.ifaces.GetAddress(from).Get();
    std::vector<uint8_t> cookie;
    ASSERT_TRUE(sctp::SealCookie(ck, link.nodes.Get(to)->GetObject<SctpL4Protocol>()->GetCookieKey(), cookie));
    sctp::PacketBuilder b;
    b.Begin(fromPort, toPort, vtag);
    b.AddCookieEcho(cookie.data(), cookie.size());
    InjectBytes(link, from, to, b.Finish());
}

/// Error causes, each as (code, info bytes).
using CauseList = std::vector<std::pair<uint16_t, std::vector<uint8_t>>>;

/// The causes of the chunks of type `type` (ERROR or ABORT) in one packet.
inline CauseList
ChunkCauses(const SeenPacket& p, uint8_t type)
{
    CauseList out;
    for (const auto& c : p.view.chunks)
    {
        std::vector<sctp::ErrorCause> causes;
        if (c.type == type && sctp::DecodeCauses(c, causes).Ok())
        {
            for (const auto& k : causes)
            {
                out.emplace_back(k.code, std::vector<uint8_t>(k.info, k.info + k.infoLen));
            }
        }
    }
    return out;
}

/// The causes of every chunk of type `type` a drop model saw.
inline CauseList
CausesSeen(const SctpDropModel& m, uint8_t type)
{
    CauseList out;
    for (const SeenPacket& p : m.seen)
    {
        CauseList more = ChunkCauses(p, type);
        out.insert(out.end(), more.begin(), more.end());
    }
    return out;
}

/// A message whose bytes encode (tag, index) so that content can be checked.
inline Ptr<Packet>
Pattern(uint32_t size, uint32_t seed)
{
    std::vector<uint8_t> b(size);
    for (uint32_t i = 0; i < size; ++i)
    {
        b[i] = uint8_t((i * 31 + seed * 17) & 0xFF);
    }
    return Create<Packet>(b.data(), size);
}

/// A message that starts with its index (big endian), then filler.
inline Ptr<Packet>
Numbered(uint32_t size, uint32_t index)
{
    std::vector<uint8_t> b(std::max<uint32_t>(size, 4), 0xAB);
    sctp::Put32At(b.data(), index);
    return Create<Packet>(b.data(), uint32_t(b.size()));
}

inline uint32_t
NumberOf(const std::vector<uint8_t>& b)
{
    return b.size() >= 4 ? sctp::Get32(b.data()) : 0xFFFFFFFFu;
}

inline bool
IsPattern(const std::vector<uint8_t>& b, uint32_t seed)
{
    for (uint32_t i = 0; i < b.size(); ++i)
    {
        if (b[i] != uint8_t((i * 31 + seed * 17) & 0xFF))
        {
            return false;
        }
    }
    return true;
}

/// The tshark checks (external dissection of pcaps) run only where it exists.
inline bool
HaveTshark()
{
    return std::system("tshark -v > /dev/null 2>&1") == 0;
}

/// tshark `-T fields -E separator='|'` output as rows of `fields` fields
/// (blank lines and the "Running as user" warning left out).
inline std::vector<std::vector<std::string>>
FieldRows(const std::string& out, size_t fields)
{
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line))
    {
        if (line.empty() || line.find("Running as user") != std::string::npos)
        {
            continue;
        }
        std::vector<std::string> f;
        std::stringstream ss(line);
        std::string field;
        while (std::getline(ss, field, '|'))
        {
            f.push_back(field);
        }
        f.resize(fields);
        rows.push_back(std::move(f));
    }
    return rows;
}

/// A shell command's standard output.
inline std::string
RunCommand(const std::string& cmd)
{
    std::string out;
    FILE* f = popen(cmd.c_str(), "r");
    if (!f)
    {
        return out;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    {
        out.append(buf, n);
    }
    pclose(f);
    return out;
}

/// Reads a pcap with tshark and expects every frame clean: CRC32c good, no
/// malformed mark, no expert error. Returns the number of frames.
inline int
ExpectTsharkClean(const std::string& file)
{
    std::string out = RunCommand("tshark -r '" + file +
                                 "' -o sctp.checksum:crc-32c -T fields -E separator='|' -e frame.number "
                                 "-e sctp.checksum.status -e _ws.malformed -e _ws.expert.severity 2>&1");
    int frames = 0;
    for (const auto& f : FieldRows(out, 4))
    {
        ++frames;
        EXPECT_EQ(f[1], "1") << "checksum not good in frame " << f[0];
        EXPECT_TRUE(f[2].empty()) << "malformed frame " << f[0];
        // Expert severity 8388608 = error.
        EXPECT_EQ(f[3].find("8388608"), std::string::npos) << "expert error in frame " << f[0];
    }
    return frames;
}

} // namespace sipim_test
