#include "sctp-l4-protocol.h"

#include "sctp-socket-factory.h"
#include "sctp-socket.h"

#include "ns3/boolean.h"
#include "ns3/ipv4-end-point-demux.h"
#include "ns3/ipv4-end-point.h"
#include "ns3/ipv4-header.h"
#include "ns3/ipv4-route.h"
#include "ns3/ipv4.h"
#include "ns3/ipv6-end-point-demux.h"
#include "ns3/ipv6-end-point.h"
#include "ns3/ipv6-header.h"
#include "ns3/ipv6-interface.h"
#include "ns3/ipv6-route.h"
#include "ns3/ipv6-routing-protocol.h"
#include "ns3/ipv6.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/packet.h"
#include "ns3/random-variable-stream.h"
#include "ns3/trace-source-accessor.h"

#include <algorithm>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SctpL4Protocol");
NS_OBJECT_ENSURE_REGISTERED(SctpL4Protocol);

const uint8_t SctpL4Protocol::PROT_NUMBER;

TypeId
SctpL4Protocol::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::SctpL4Protocol")
            .SetParent<IpL4Protocol>()
            .SetGroupName("Sctp")
            .AddConstructor<SctpL4Protocol>()
            .AddAttribute("VerifyChecksum",
                          "Verify the CRC32c of every received packet and drop bad ones",
                          BooleanValue(true),
                          MakeBooleanAccessor(&SctpL4Protocol::m_verifyChecksum),
                          MakeBooleanChecker())
            .AddTraceSource("Tx",
                            "An SCTP packet handed to IPv4 (packet, source, destination)",
                            MakeTraceSourceAccessor(&SctpL4Protocol::m_txTrace),
                            "ns3::SctpL4Protocol::PacketTracedCallback")
            .AddTraceSource("Rx",
                            "An SCTP packet received from IPv4 with a good checksum",
                            MakeTraceSourceAccessor(&SctpL4Protocol::m_rxTrace),
                            "ns3::SctpL4Protocol::PacketTracedCallback")
            .AddTraceSource("Tx6",
                            "An SCTP packet handed to IPv6 (packet, source, destination)",
                            MakeTraceSourceAccessor(&SctpL4Protocol::m_txTrace6),
                            "ns3::SctpL4Protocol::Packet6TracedCallback")
            .AddTraceSource("Rx6",
                            "An SCTP packet received from IPv6 with a good checksum",
                            MakeTraceSourceAccessor(&SctpL4Protocol::m_rxTrace6),
                            "ns3::SctpL4Protocol::Packet6TracedCallback")
            .AddTraceSource("Drop",
                            "A received packet dropped before any socket saw it, and why "
                            "(bad checksum, malformed)",
                            MakeTraceSourceAccessor(&SctpL4Protocol::m_dropTrace),
                            "ns3::SctpL4Protocol::DropTracedCallback");
    return tid;
}

SctpL4Protocol::SctpL4Protocol()
    : m_endPoints(new Ipv4EndPointDemux()),
      m_endPoints6(new Ipv6EndPointDemux())
{
    m_rng = CreateObject<UniformRandomVariable>();
}

SctpL4Protocol::~SctpL4Protocol()
{
}

void
SctpL4Protocol::SetNode(Ptr<Node> node)
{
    m_node = node;
}

int
SctpL4Protocol::GetProtocolNumber() const
{
    return PROT_NUMBER;
}

void
SctpL4Protocol::NotifyNewAggregate()
{
    // Same dance as TcpL4Protocol: once the Node and an IP stack are here,
    // register with IPv4 and IPv6 (whichever the node has) and give the node a
    // socket factory.
    Ptr<Node> node = this->GetObject<Node>();
    Ptr<Ipv4> ipv4 = this->GetObject<Ipv4>();
    Ptr<Ipv6> ipv6 = this->GetObject<Ipv6>();
    if (!m_node && node && (ipv4 || ipv6))
    {
        SetNode(node);
        Ptr<SctpSocketFactory> factory = CreateObject<SctpSocketFactory>();
        factory->SetSctp(this);
        node->AggregateObject(factory);
    }
    if (ipv4 && m_downTarget.IsNull())
    {
        ipv4->Insert(this);
        SetDownTarget(MakeCallback(&Ipv4::Send, ipv4));
    }
    if (ipv6 && m_downTarget6.IsNull())
    {
        ipv6->Insert(this);
        SetDownTarget6(MakeCallback(&Ipv6::Send, ipv6));
    }
    IpL4Protocol::NotifyNewAggregate();
}

void
SctpL4Protocol::DoDispose()
{
    for (auto& s : m_sockets)
    {
        s->Dispose();
    }
    m_sockets.clear();
    m_owners.clear();
    m_owners6.clear();
    m_multihomed.clear();
    m_multihomed6.clear();
    delete m_endPoints;
    m_endPoints = nullptr;
    delete m_endPoints6;
    m_endPoints6 = nullptr;
    m_node = nullptr;
    m_downTarget.Nullify();
    m_downTarget6.Nullify();
    IpL4Protocol::DoDispose();
}

Ptr<Socket>
SctpL4Protocol::CreateSocket()
{
    Ptr<SctpSocket> s = CreateObject<SctpSocket>();
    s->SetNode(m_node);
    s->SetSctp(this);
    AddSocket(s);
    return s;
}

void
SctpL4Protocol::AddSocket(Ptr<SctpSocket> socket)
{
    m_sockets.push_back(socket);
}

void
SctpL4Protocol::RemoveSocket(Ptr<SctpSocket> socket)
{
    auto it = std::find(m_sockets.begin(), m_sockets.end(), socket);
    if (it != m_sockets.end())
    {
        m_sockets.erase(it);
    }
}

Ipv4EndPoint*
SctpL4Protocol::Allocate()
{
    return m_endPoints->Allocate();
}

Ipv4EndPoint*
SctpL4Protocol::Allocate(Ipv4Address address)
{
    return m_endPoints->Allocate(address);
}

Ipv4EndPoint*
SctpL4Protocol::Allocate(Ptr<NetDevice> boundNetDevice, uint16_t port)
{
    return m_endPoints->Allocate(boundNetDevice, port);
}

Ipv4EndPoint*
SctpL4Protocol::Allocate(Ptr<NetDevice> boundNetDevice, Ipv4Address address, uint16_t port)
{
    return m_endPoints->Allocate(boundNetDevice, address, port);
}

Ipv4EndPoint*
SctpL4Protocol::Allocate(Ptr<NetDevice> boundNetDevice,
                         Ipv4Address localAddress,
                         uint16_t localPort,
                         Ipv4Address peerAddress,
                         uint16_t peerPort)
{
    return m_endPoints->Allocate(boundNetDevice, localAddress, localPort, peerAddress, peerPort);
}

namespace
{
// Ipv4EndPointDemux and Ipv6EndPointDemux have the same allocators.
template <class Demux, class Owners, class EndPoint>
void
DeAllocateIn(Demux* demux, Owners& owners, EndPoint* endPoint)
{
    owners.erase(endPoint);
    if (demux)
    {
        demux->DeAllocate(endPoint);
    }
}

template <class Demux, class Addr>
auto
AllocateLocalIn(Demux* demux, Ptr<NetDevice> boundNetDevice, Addr address, uint16_t port)
{
    if (address == Addr::GetAny())
    {
        return port ? demux->Allocate(boundNetDevice, port) : demux->Allocate();
    }
    return port ? demux->Allocate(boundNetDevice, address, port) : demux->Allocate(address);
}
} // namespace

Ipv4EndPoint*
SctpL4Protocol::AllocateLocal(Ptr<NetDevice> boundNetDevice, Ipv4Address address, uint16_t port)
{
    return AllocateLocalIn(m_endPoints, boundNetDevice, address, port);
}

Ipv6EndPoint*
SctpL4Protocol::AllocateLocal(Ptr<NetDevice> boundNetDevice, Ipv6Address address, uint16_t port)
{
    return AllocateLocalIn(m_endPoints6, boundNetDevice, address, port);
}

Ipv6EndPoint*
SctpL4Protocol::Allocate6(Ptr<NetDevice> boundNetDevice,
                          Ipv6Address localAddress,
                          uint16_t localPort,
                          Ipv6Address peerAddress,
                          uint16_t peerPort)
{
    return m_endPoints6->Allocate(boundNetDevice, localAddress, localPort, peerAddress, peerPort);
}

void
SctpL4Protocol::DeAllocate(Ipv4EndPoint* endPoint)
{
    DeAllocateIn(m_endPoints, m_owners, endPoint);
}

void
SctpL4Protocol::DeAllocate(Ipv6EndPoint* endPoint)
{
    DeAllocateIn(m_endPoints6, m_owners6, endPoint);
}

void
SctpL4Protocol::Register(Ipv4EndPoint* endPoint, Ptr<SctpSocket> socket)
{
    m_owners[endPoint] = socket;
}

void
SctpL4Protocol::Register(Ipv6EndPoint* endPoint, Ptr<SctpSocket> socket)
{
    m_owners6[endPoint] = socket;
}

namespace
{

// The table entry of a peer address: IPv4 and IPv6 keep tables of their own.
template <class Table, class Key>
void
RegisterIn(Table& table, const Key& key, Ptr<SctpSocket> socket, const SctpIpAddress& peer, uint16_t localPort)
{
    auto [it, fresh] = table.emplace(key, socket);
    if (!fresh && it->second != socket)
    {
        // Two associations from one peer address and port to one local port
        // (on different local addresses): the later one wins this table, the
        // earlier keeps its end point for its primary address pair.
        NS_LOG_WARN("peer " << peer << " -> port " << localPort
                            << " already belongs to another multihomed association");
        it->second = socket;
    }
}

template <class Table, class Key>
void
UnregisterIn(Table& table, const Key& key, const SctpSocket* socket)
{
    auto it = table.find(key);
    if (it != table.end() && PeekPointer(it->second) == socket)
    {
        table.erase(it);
    }
}

uint32_t
Ports(uint16_t peerPort, uint16_t localPort)
{
    return uint32_t(peerPort) << 16 | localPort;
}

} // namespace

void
SctpL4Protocol::RegisterPeerAddress(const SctpIpAddress& peerAddress,
                                    uint16_t peerPort,
                                    uint16_t localPort,
                                    Ptr<SctpSocket> socket)
{
    if (const Ipv4Address* a4 = std::get_if<Ipv4Address>(&peerAddress))
    {
        RegisterIn(m_multihomed, PeerKey(*a4, peerPort, localPort), socket, peerAddress, localPort);
    }
    else
    {
        RegisterIn(m_multihomed6,
                   std::make_pair(std::get<Ipv6Address>(peerAddress), Ports(peerPort, localPort)),
                   socket,
                   peerAddress,
                   localPort);
    }
}

void
SctpL4Protocol::UnregisterPeerAddress(const SctpIpAddress& peerAddress,
                                      uint16_t peerPort,
                                      uint16_t localPort,
                                      const SctpSocket* socket)
{
    if (const Ipv4Address* a4 = std::get_if<Ipv4Address>(&peerAddress))
    {
        UnregisterIn(m_multihomed, PeerKey(*a4, peerPort, localPort), socket);
    }
    else
    {
        UnregisterIn(m_multihomed6,
                     std::make_pair(std::get<Ipv6Address>(peerAddress), Ports(peerPort, localPort)),
                     socket);
    }
}

Ptr<SctpSocket>
SctpL4Protocol::LookupMultihomed(Ipv4Address src, Ipv4Address dst) const
{
    if (m_multihomed.empty())
    {
        return nullptr; // the usual case: one test
    }
    auto it = m_multihomed.find(PeerKey(src, m_rxView.srcPort, m_rxView.dstPort));
    if (it == m_multihomed.end() || !it->second->IsLocalAddress(dst))
    {
        return nullptr;
    }
    return it->second;
}

Ptr<SctpSocket>
SctpL4Protocol::LookupMultihomed(Ipv6Address src, Ipv6Address dst) const
{
    if (m_multihomed6.empty())
    {
        return nullptr;
    }
    auto it = m_multihomed6.find(std::make_pair(src, Ports(m_rxView.srcPort, m_rxView.dstPort)));
    if (it == m_multihomed6.end() || !it->second->IsLocalAddress(dst))
    {
        return nullptr;
    }
    return it->second;
}

const std::array<uint8_t, 32>&
SctpL4Protocol::GetCookieKey()
{
    if (!m_haveCookieKey)
    {
        // Drawn from the ns-3 RNG so that runs are reproducible.
        for (size_t i = 0; i < m_cookieKey.size(); i += 4)
        {
            uint32_t v = m_rng->GetInteger(0, 0xFFFFFFFFu);
            sctp::Put32At(m_cookieKey.data() + i, v);
        }
        m_haveCookieKey = true;
    }
    return m_cookieKey;
}

uint32_t
SctpL4Protocol::RandomNonZero()
{
    return m_rng->GetInteger(1, 0xFFFFFFFFu);
}

int64_t
SctpL4Protocol::AssignStreams(int64_t stream)
{
    m_rng->SetStream(stream);
    return 1;
}

Ptr<Packet>
SctpL4Protocol::MakePacket(const std::vector<uint8_t>& bytes,
                           const std::vector<SctpByteTagSpan>& tagSpans) const
{
    Ptr<Packet> p = Create<Packet>(bytes.data(), uint32_t(bytes.size()));
    // Byte tags (e.g. per-message attribution) ride on the user bytes, as over TCP/UDP.
    for (const SctpByteTagSpan& s : tagSpans)
    {
        SctpCopyByteTags(*s.src, s.srcStart, s.len, *p, s.dstStart);
    }
    return p;
}

Ptr<Packet>
SctpL4Protocol::SendPacket(const std::vector<uint8_t>& bytes,
                           Ipv4Address saddr,
                           Ipv4Address daddr,
                           const std::vector<SctpByteTagSpan>& tagSpans)
{
    Ptr<Packet> p = MakePacket(bytes, tagSpans);
    m_txTrace(p, saddr, daddr);
    if (!m_downTarget.IsNull())
    {
        m_downTarget(p, saddr, daddr, PROT_NUMBER, nullptr);
    }
    return p;
}

Ptr<Packet>
SctpL4Protocol::SendPacket(const std::vector<uint8_t>& bytes,
                           Ipv6Address saddr,
                           Ipv6Address daddr,
                           const std::vector<SctpByteTagSpan>& tagSpans)
{
    Ptr<Packet> p = MakePacket(bytes, tagSpans);
    m_txTrace6(p, saddr, daddr);
    Ptr<Ipv6> ipv6 = m_node ? m_node->GetObject<Ipv6>() : nullptr;
    if (m_downTarget6.IsNull() || !ipv6 || !ipv6->GetRoutingProtocol())
    {
        NS_LOG_WARN("no IPv6 stack or routing protocol: SCTP packet to " << daddr << " not sent");
        return p;
    }
    // As TcpL4Protocol: route here, so that IPv6 uses the source we chose.
    Ipv6Header header;
    header.SetSource(saddr);
    header.SetDestination(daddr);
    header.SetNextHeader(PROT_NUMBER);
    Socket::SocketErrno err = Socket::ERROR_NOTERROR;
    Ptr<Ipv6Route> route = ipv6->GetRoutingProtocol()->RouteOutput(p, header, nullptr, err);
    m_downTarget6(p, saddr, daddr, PROT_NUMBER, route);
    return p;
}

Ptr<Packet>
SctpL4Protocol::SendPacket(const std::vector<uint8_t>& bytes,
                           const SctpIpAddress& saddr,
                           const SctpIpAddress& daddr,
                           const std::vector<SctpByteTagSpan>& tagSpans)
{
    if (const Ipv4Address* d4 = std::get_if<Ipv4Address>(&daddr))
    {
        return SendPacket(bytes, std::get<Ipv4Address>(saddr), *d4, tagSpans);
    }
    return SendPacket(bytes, std::get<Ipv6Address>(saddr), std::get<Ipv6Address>(daddr), tagSpans);
}

template <class Header, class Demux, class Interface, class Owners>
enum IpL4Protocol::RxStatus
SctpL4Protocol::DoReceive(Ptr<Packet> p,
                          const Header& header,
                          Demux* demux,
                          const Owners& owners,
                          Ptr<Interface> incomingInterface)
{
    NS_LOG_FUNCTION(this << p << header);
    m_rxBuf.resize(p->GetSize());
    p->CopyData(m_rxBuf.data(), uint32_t(m_rxBuf.size()));
    sctp::WireStatus st =
        sctp::ParsePacket(m_rxBuf.data(), m_rxBuf.size(), m_rxView, m_verifyChecksum);
    if (!st.Ok())
    {
        if (st.error == sctp::WireError::BadChecksum)
        {
            ++m_checksumErrors;
        }
        else
        {
            ++m_malformed;
        }
        NS_LOG_LOGIC("drop from " << header.GetSource() << ": " << st.ToString());
        m_dropTrace(p, st.ToString());
        return st.error == sctp::WireError::BadChecksum ? IpL4Protocol::RX_CSUM_FAILED
                                                        : IpL4Protocol::RX_OK;
    }
    TraceRx(p, header.GetSource(), header.GetDestination());
    // Without a multihomed association (the usual case) this is one test.
    Ptr<SctpSocket> owner = LookupMultihomed(header.GetSource(), header.GetDestination());
    if (!owner)
    {
        auto eps = demux->Lookup(header.GetDestination(),
                                 m_rxView.dstPort,
                                 header.GetSource(),
                                 m_rxView.srcPort,
                                 incomingInterface);
        if (!eps.empty())
        {
            auto it = owners.find(eps.front());
            if (it != owners.end())
            {
                owner = it->second;
            }
        }
    }
    const SctpIpAddress src = header.GetSource();
    const SctpIpAddress dst = header.GetDestination();
    if (!owner)
    {
        HandleOutOfTheBlue(m_rxView, src, dst);
        return IpL4Protocol::RX_OK; // answered by ABORT, not ICMP
    }
    // The socket may send while processing; keep the view alive across that.
    sctp::PacketView view = std::move(m_rxView);
    std::vector<uint8_t> keep = std::move(m_rxBuf);
    owner->ReceivePacket(p,
                         view,
                         0,
                         src,
                         dst,
                         incomingInterface ? incomingInterface->GetDevice() : nullptr);
    m_rxBuf = std::move(keep);
    m_rxView = std::move(view);
    return IpL4Protocol::RX_OK;
}

enum IpL4Protocol::RxStatus
SctpL4Protocol::Receive(Ptr<Packet> p, const Ipv4Header& header, Ptr<Ipv4Interface> incomingInterface)
{
    return DoReceive(p, header, m_endPoints, m_owners, incomingInterface);
}

enum IpL4Protocol::RxStatus
SctpL4Protocol::Receive(Ptr<Packet> p, const Ipv6Header& header, Ptr<Ipv6Interface> incomingInterface)
{
    return DoReceive(p, header, m_endPoints6, m_owners6, incomingInterface);
}

namespace
{
/// Broadcast (limited, or directed to a subnet of one of node's IPv4
/// interfaces), multicast or the unspecified address.
bool
NonUnicast(const SctpIpAddress& a, Ptr<Node> node)
{
    if (const Ipv6Address* a6 = std::get_if<Ipv6Address>(&a))
    {
        return a6->IsMulticast() || a6->IsAny();
    }
    const Ipv4Address a4 = std::get<Ipv4Address>(a);
    if (a4.IsBroadcast() || a4.IsMulticast() || a4.IsAny())
    {
        return true;
    }
    Ptr<Ipv4> ipv4 = node ? node->GetObject<Ipv4>() : nullptr;
    for (uint32_t i = 0; ipv4 && i < ipv4->GetNInterfaces(); ++i)
    {
        for (uint32_t j = 0; j < ipv4->GetNAddresses(i); ++j)
        {
            const Ipv4InterfaceAddress ia = ipv4->GetAddress(i, j);
            const Ipv4Mask m = ia.GetMask();
            if (a4.IsSubnetDirectedBroadcast(m) && a4.CombineMask(m) == ia.GetLocal().CombineMask(m))
            {
                return true;
            }
        }
    }
    return false;
}
} // namespace

void
SctpL4Protocol::HandleOutOfTheBlue(const sctp::PacketView& pkt,
                                   const SctpIpAddress& src,
                                   const SctpIpAddress& dst)
{
    ++m_ootb;
    if (NonUnicast(dst, m_node) || NonUnicast(src, m_node))
    {
        // §8.4 rule 1: to or from a non-unicast address, never answered
        // (an ABORT would go out from a broadcast or multicast source).
        NS_LOG_LOGIC("out of the blue between " << src << " and " << dst << ": not unicast, dropped");
        return;
    }
    // RFC 9260 §8.4.
    bool sendShutdownComplete = false;
    uint32_t abortTag = pkt.vtag;
    bool tBit = true;
    for (const auto& c : pkt.chunks)
    {
        switch (c.type)
        {
        case sctp::CHUNK_ABORT:
        case sctp::CHUNK_SHUTDOWN_COMPLETE:
        case sctp::CHUNK_COOKIE_ACK:
            return; // never answer these
        case sctp::CHUNK_ERROR: {
            std::vector<sctp::ErrorCause> causes;
            if (sctp::DecodeCauses(c, causes).Ok())
            {
                for (const auto& cause : causes)
                {
                    if (cause.code == sctp::CAUSE_STALE_COOKIE)
                    {
                        return;
                    }
                }
            }
            break;
        }
        case sctp::CHUNK_INIT: {
            sctp::InitChunk init;
            if (!sctp::DecodeInit(c, init).Ok() || init.initTag == 0)
            {
                return; // §3.3.2: an Initiate Tag of 0 is silently discarded
            }
            abortTag = init.initTag;
            tBit = false;
            break;
        }
        case sctp::CHUNK_SHUTDOWN_ACK:
            sendShutdownComplete = true;
            break;
        default:
            break;
        }
    }
    sctp::PacketBuilder b;
    b.Begin(pkt.dstPort, pkt.srcPort, abortTag);
    if (sendShutdownComplete)
    {
        b.AddEmpty(sctp::CHUNK_SHUTDOWN_COMPLETE, sctp::FLAG_T);
    }
    else
    {
        b.AddEmpty(sctp::CHUNK_ABORT, tBit ? sctp::FLAG_T : 0);
    }
    NS_LOG_LOGIC("out of the blue from " << src << ":" << pkt.srcPort << ", answered");
    SendPacket(b.Finish(), dst, src);
}

void
SctpL4Protocol::SetDownTarget(IpL4Protocol::DownTargetCallback cb)
{
    m_downTarget = cb;
}

void
SctpL4Protocol::SetDownTarget6(IpL4Protocol::DownTargetCallback6 cb)
{
    m_downTarget6 = cb;
}

IpL4Protocol::DownTargetCallback
SctpL4Protocol::GetDownTarget() const
{
    return m_downTarget;
}

IpL4Protocol::DownTargetCallback6
SctpL4Protocol::GetDownTarget6() const
{
    return m_downTarget6;
}

} // namespace ns3
