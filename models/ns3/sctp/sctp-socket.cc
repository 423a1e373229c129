#include "sctp-socket.h"

#include "sctp-cookie.h"
#include "sctp-l4-protocol.h"
#include "sctp-tags.h"

#include "ns3/boolean.h"
#include "ns3/double.h"
#include "ns3/enum.h"
#include "ns3/inet-socket-address.h"
#include "ns3/ipv4-end-point.h"
#include "ns3/ipv4-header.h"
#include "ns3/ipv4-route.h"
#include "ns3/ipv4-routing-protocol.h"
#include "ns3/ipv4.h"
#include "ns3/inet6-socket-address.h"
#include "ns3/ipv6-end-point.h"
#include "ns3/ipv6-header.h"
#include "ns3/ipv6-route.h"
#include "ns3/ipv6-routing-protocol.h"
#include "ns3/ipv6.h"
#include "ns3/log.h"
#include "ns3/net-device.h"
#include "ns3/node.h"
#include "ns3/nstime.h"
#include "ns3/packet.h"
#include "ns3/simulator.h"
#include "ns3/trace-source-accessor.h"
#include "ns3/uinteger.h"

#include <algorithm>
#include <cmath>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SctpSocket");
NS_OBJECT_ENSURE_REGISTERED(SctpSocket);

using namespace sctp;

namespace
{

// The cookie carries the association's addresses in their own IP version.
void
PutCookieAddresses(CookieState& ck, const SctpIpAddress& local, const SctpIpAddress& peer)
{
    ck.ipv6 = SctpIsIpv6(peer);
    if (ck.ipv6)
    {
        std::get<Ipv6Address>(local).GetBytes(ck.localAddr6.data());
        std::get<Ipv6Address>(peer).GetBytes(ck.peerAddr6.data());
    }
    else
    {
        ck.localAddr = std::get<Ipv4Address>(local).Get();
        ck.peerAddr = std::get<Ipv4Address>(peer).Get();
    }
}

// v6 by value: Ipv6Address's constructor takes a non-const pointer.
SctpIpAddress
CookieAddress(bool ipv6, uint32_t v4, std::array<uint8_t, 16> v6)
{
    if (ipv6)
    {
        return Ipv6Address(v6.data());
    }
    return Ipv4Address(v4);
}

// §5.2.4.1 A: the primary path of a restarted association starts as a new
// association's would: no RTT history or timed TSN, no errors, nothing in
// flight, no HEARTBEAT outstanding and no T3-rtx. Where it leads, its MTU
// and its HEARTBEAT timer stay; cwnd, ssthresh and RTO stay too, for the
// caller to set through their traces.
void
ForgetPathHistory(SctpPath& p)
{
    p.t3Rtx.Cancel();
    p.hbAckTimer.Cancel();
    SctpPath fresh;
    fresh.address = p.address;
    fresh.local = p.local;
    fresh.pmtu = p.pmtu;
    fresh.ipHeader = p.ipHeader;
    fresh.cwnd = p.cwnd;
    fresh.ssthresh = p.ssthresh;
    fresh.rto = p.rto;
    fresh.hbTimer = p.hbTimer;
    p = fresh;
}

} // namespace

const char*
SctpStateName(SctpState s)
{
    static const char* names[] = {"CLOSED",
                                  "LISTEN",
                                  "COOKIE-WAIT",
                                  "COOKIE-ECHOED",
                                  "ESTABLISHED",
                                  "SHUTDOWN-PENDING",
                                  "SHUTDOWN-SENT",
                                  "SHUTDOWN-RECEIVED",
                                  "SHUTDOWN-ACK-SENT"};
    return names[s];
}

TypeId
SctpSocket::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::SctpSocket")
            .SetParent<Socket>()
            .SetGroupName("Sctp")
            .AddConstructor<SctpSocket>()
            .AddAttribute("RtoInitial",
                          "RTO.Initial (RFC 9260 §16)",
                          TimeValue(Seconds(1)),
                          MakeTimeAccessor(&SctpSocket::m_rtoInitial),
                          MakeTimeChecker())
            .AddAttribute("RtoMin",
                          "RTO.Min",
                          TimeValue(Seconds(1)),
                          MakeTimeAccessor(&SctpSocket::m_rtoMin),
                          MakeTimeChecker())
            .AddAttribute("RtoMax",
                          "RTO.Max",
                          TimeValue(Seconds(60)),
                          MakeTimeAccessor(&SctpSocket::m_rtoMax),
                          MakeTimeChecker())
            .AddAttribute("RtoAlpha",
                          "RTO.Alpha: gain of SRTT",
                          DoubleValue(0.125),
                          MakeDoubleAccessor(&SctpSocket::m_rtoAlpha),
                          MakeDoubleChecker<double>(0, 1))
            .AddAttribute("RtoBeta",
                          "RTO.Beta: gain of RTTVAR",
                          DoubleValue(0.25),
                          MakeDoubleAccessor(&SctpSocket::m_rtoBeta),
                          MakeDoubleChecker<double>(0, 1))
            .AddAttribute("MaxBurst",
                          "Max.Burst: packets sent at most per transmission opportunity",
                          UintegerValue(4),
                          MakeUintegerAccessor(&SctpSocket::m_maxBurst),
                          MakeUintegerChecker<uint32_t>(1))
            .AddAttribute("AssociationMaxRetrans",
                          "Association.Max.Retrans: consecutive errors before ABORT",
                          UintegerValue(10),
                          MakeUintegerAccessor(&SctpSocket::m_assocMaxRetrans),
                          MakeUintegerChecker<uint32_t>())
            .AddAttribute("PathMaxRetrans",
                          "Path.Max.Retrans: errors before the path is marked inactive",
                          UintegerValue(5),
                          MakeUintegerAccessor(&SctpSocket::m_pathMaxRetrans),
                          MakeUintegerChecker<uint32_t>())
            .AddAttribute("MaxInitRetransmits",
                          "Max.Init.Retransmits: INIT / COOKIE-ECHO retransmissions",
                          UintegerValue(8),
                          MakeUintegerAccessor(&SctpSocket::m_maxInitRetrans),
                          MakeUintegerChecker<uint32_t>())
            .AddAttribute("SackTimeout",
                          "Delayed SACK timer (at most 500 ms per RFC 9260 §6.2)",
                          TimeValue(MilliSeconds(200)),
                          MakeTimeAccessor(&SctpSocket::m_sackTimeout),
                          MakeTimeChecker(Time(0), MilliSeconds(500)))
            .AddAttribute("SackFrequency",
                          "Send a SACK at least for every this many packets with DATA",
                          UintegerValue(2),
                          MakeUintegerAccessor(&SctpSocket::m_sackFreq),
                          MakeUintegerChecker<uint32_t>(1))
            .AddAttribute("HeartbeatInterval",
                          "HB.interval",
                          TimeValue(Seconds(30)),
                          MakeTimeAccessor(&SctpSocket::m_hbInterval),
                          MakeTimeChecker())
            .AddAttribute("HeartbeatEnabled",
                          "Send HEARTBEAT on an idle path",
                          BooleanValue(true),
                          MakeBooleanAccessor(&SctpSocket::m_hbEnabled),
                          MakeBooleanChecker())
            .AddAttribute("ValidCookieLife",
                          "Valid.Cookie.Life",
                          TimeValue(Seconds(60)),
                          MakeTimeAccessor(&SctpSocket::m_cookieLife),
                          MakeTimeChecker())
            .AddAttribute("SndBufSize",
                          "Send buffer, bytes of user data",
                          UintegerValue(131072),
                          MakeUintegerAccessor(&SctpSocket::m_sndBufSize),
                          MakeUintegerChecker<uint32_t>())
            .AddAttribute("RcvBufSize",
                          "Receive buffer, bytes; the advertised a_rwnd is what is free of it",
                          UintegerValue(131072),
                          MakeUintegerAccessor(&SctpSocket::m_rcvBufSize),
                          MakeUintegerChecker<uint32_t>())
            .AddAttribute("OutboundStreams",
                          "OS: outbound streams requested in INIT",
                          UintegerValue(10),
                          MakeUintegerAccessor(&SctpSocket::m_numOutStreams),
                          MakeUintegerChecker<uint16_t>(1))
            .AddAttribute("MaxInboundStreams",
                          "MIS: inbound streams offered in INIT",
                          UintegerValue(10),
                          MakeUintegerAccessor(&SctpSocket::m_maxInStreams),
                          MakeUintegerChecker<uint16_t>(1))
            .AddAttribute("PathMtu",
                          "IP MTU of the path; 0 takes the MTU of the outgoing device",
                          UintegerValue(0),
                          MakeUintegerAccessor(&SctpSocket::m_pathMtuAttr),
                          MakeUintegerChecker<uint32_t>())
            .AddAttribute("InitialCwnd",
                          "Initial cwnd in bytes; 0 means min(4*MTU, max(2*MTU, 4380))",
                          UintegerValue(0),
                          MakeUintegerAccessor(&SctpSocket::m_initialCwndAttr),
                          MakeUintegerChecker<uint32_t>())
            .AddAttribute("InitialSsthresh",
                          "Initial ssthresh in bytes; 0 means the peer's a_rwnd (§7.2.1)",
                          UintegerValue(0),
                          MakeUintegerAccessor(&SctpSocket::m_initialSsthreshAttr),
                          MakeUintegerChecker<uint32_t>())
            .AddAttribute("InitialTsn",
                          "Initial TSN of this endpoint; 0 draws a random one (RFC 9260 §5.1)",
                          UintegerValue(0),
                          MakeUintegerAccessor(&SctpSocket::m_initialTsnAttr),
                          MakeUintegerChecker<uint32_t>())
            .AddAttribute("FastRetransmitThreshold",
                          "Miss indications that trigger fast retransmit",
                          UintegerValue(3),
                          MakeUintegerAccessor(&SctpSocket::m_fastRtxThreshold),
                          MakeUintegerChecker<uint32_t>(1))
            .AddAttribute("SwsAvoidance",
                          "Sender-side silly-window avoidance (RFC 9260 §6.1 A, RFC 1122 "
                          "§4.2.3.4): new data waits for a useful peer window",
                          BooleanValue(true),
                          MakeBooleanAccessor(&SctpSocket::m_swsAvoidance),
                          MakeBooleanChecker())
            .AddAttribute("PrSctpEnabled",
                          "Offer PR-SCTP (RFC 3758): Forward-TSN-Supported in INIT / INIT ACK; "
                          "used when the peer offers it too (messages with a lifetime are "
                          "then abandoned when it expires). Off: INITs as before",
                          BooleanValue(false),
                          MakeBooleanAccessor(&SctpSocket::m_prsctpEnabled),
                          MakeBooleanChecker())
            .AddAttribute("Interleaving",
                          "Offer user-message interleaving (RFC 8260 I-DATA): chunk type 64 in a "
                          "Supported Extensions parameter of INIT / INIT ACK (with I-FORWARD-TSN, "
                          "194, when PrSctpEnabled); used when the peer lists it too. "
                          "Off: INITs and DATA as before",
                          BooleanValue(false),
                          MakeBooleanAccessor(&SctpSocket::m_interleavingAttr),
                          MakeBooleanChecker())
            .AddAttribute("StreamScheduler",
                          "Which stream's data goes next (RFC 8260 §3): Fcfs, the order of "
                          "Send; RoundRobin, one chunk per stream in turn, which switches "
                          "between fragments of messages only on an I-DATA association (with "
                          "DATA it is Fcfs)",
                          EnumValue(SCHED_FCFS),
                          MakeEnumAccessor(&SctpSocket::m_scheduler),
                          MakeEnumChecker(SCHED_FCFS, "Fcfs", SCHED_ROUND_ROBIN, "RoundRobin"))
            .AddTraceSource("CongestionWindow",
                            "cwnd of the primary path (old, new)",
                            MakeTraceSourceAccessor(&SctpSocket::m_cwndTrace),
                            "ns3::TracedValueCallback::Uint32")
            .AddTraceSource("SlowStartThreshold",
                            "ssthresh of the primary path (old, new)",
                            MakeTraceSourceAccessor(&SctpSocket::m_ssthreshTrace),
                            "ns3::TracedValueCallback::Uint32")
            .AddTraceSource("RTO",
                            "Retransmission timeout (old, new)",
                            MakeTraceSourceAccessor(&SctpSocket::m_rtoTrace),
                            "ns3::TracedValueCallback::Time")
            .AddTraceSource("RTT",
                            "RTT sample (previous sample, new sample)",
                            MakeTraceSourceAccessor(&SctpSocket::m_rttTrace),
                            "ns3::TracedValueCallback::Time")
            .AddTraceSource("State",
                            "Association state (old, new)",
                            MakeTraceSourceAccessor(&SctpSocket::m_state),
                            "ns3::TracedValueCallback::Int32")
            .AddTraceSource("Tx",
                            "An SCTP packet sent by this socket",
                            MakeTraceSourceAccessor(&SctpSocket::m_txTrace),
                            "ns3::SctpSocket::PacketTracedCallback")
            .AddTraceSource("Rx",
                            "An SCTP packet received by this socket (the raw bytes)",
                            MakeTraceSourceAccessor(&SctpSocket::m_rxTrace),
                            "ns3::SctpSocket::PacketTracedCallback")
            .AddTraceSource("Retransmission",
                            "A DATA chunk retransmitted (TSN, true if fast retransmit)",
                            MakeTraceSourceAccessor(&SctpSocket::m_retransmitTrace),
                            "ns3::SctpSocket::RetransmissionTracedCallback")
            .AddTraceSource("PeerRwnd",
                            "The peer's receive window as the sender sees it (old, new)",
                            MakeTraceSourceAccessor(&SctpSocket::m_peerRwndTrace),
                            "ns3::TracedValueCallback::Uint32")
            .AddTraceSource("DataDrop",
                            "A received DATA chunk dropped for lack of buffer (TSN, bytes)",
                            MakeTraceSourceAccessor(&SctpSocket::m_dropTrace),
                            "ns3::SctpSocket::DropTracedCallback")
            .AddTraceSource("PathState",
                            "A path to one of the peer's addresses became active or inactive "
                            "(the peer's IP address, true if now active): Path.Max.Retrans "
                            "errors, a HEARTBEAT ACK, or a SACK for data sent on it",
                            MakeTraceSourceAccessor(&SctpSocket::m_pathStateTrace),
                            "ns3::SctpSocket::PathStateTracedCallback")
            .AddTraceSource("Abandon",
                            "PR-SCTP: a message abandoned when its lifetime expired (stream, "
                            "SSN, bytes, true if any of it had been sent)",
                            MakeTraceSourceAccessor(&SctpSocket::m_abandonTrace),
                            "ns3::SctpSocket::AbandonTracedCallback");
    return tid;
}

SctpSocket::SctpSocket()
    : m_state(SCTP_CLOSED)
{
    NS_LOG_FUNCTION(this);
}

SctpSocket::~SctpSocket()
{
    NS_LOG_FUNCTION(this);
    if (m_sctp)
    {
        DeallocateEndPoint();
    }
}

void
SctpSocket::DoDispose()
{
    CancelTimers();
    if (m_sctp)
    {
        DeallocateEndPoint();
    }
    m_sctp = nullptr;
    m_node = nullptr;
    m_rxQueue.clear();
    m_outQueue.clear();
    Socket::DoDispose();
}

void
SctpSocket::SetNode(Ptr<Node> node)
{
    m_node = node;
}

void
SctpSocket::SetSctp(Ptr<SctpL4Protocol> sctp)
{
    m_sctp = sctp;
}

enum Socket::SocketErrno
SctpSocket::GetErrno() const
{
    return m_errno;
}

enum Socket::SocketType
SctpSocket::GetSocketType() const
{
    return NS3_SOCK_SEQPACKET;
}

Ptr<Node>
SctpSocket::GetNode() const
{
    return m_node;
}

void
SctpSocket::SetState(SctpState s)
{
    if (s != m_state)
    {
        NS_LOG_INFO(this << " " << SctpStateName(m_state) << " -> " << SctpStateName(s));
        m_state = s;
    }
}

Address
SctpSocket::SocketAddress(const SctpIpAddress& ip, uint16_t port)
{
    if (const Ipv4Address* ip4 = std::get_if<Ipv4Address>(&ip))
    {
        return InetSocketAddress(*ip4, port);
    }
    return Inet6SocketAddress(std::get<Ipv6Address>(ip), port);
}

// ---------------------------------------------------------------------------
// Bind / Listen / Connect
// ---------------------------------------------------------------------------

template <class EndPoint>
void
SctpSocket::Attach(EndPoint* endPoint)
{
    endPoint->SetDestroyCallback(MakeCallback(&SctpSocket::EndPointDestroyed, Ptr<SctpSocket>(this)));
    m_sctp->Register(endPoint, this);
}

template <class EndPoint, class Addr>
int
SctpSocket::BindTo(EndPoint*& slot, Addr address, uint16_t port)
{
    if (Bound())
    {
        m_errno = ERROR_INVAL;
        return -1;
    }
    slot = m_sctp->AllocateLocal(GetBoundNetDevice(), address, port);
    if (!slot)
    {
        m_errno = port ? ERROR_ADDRINUSE : ERROR_ADDRNOTAVAIL;
        return -1;
    }
    m_localAddress = slot->GetLocalAddress();
    m_localPort = slot->GetLocalPort();
    Attach(slot);
    return 0;
}

int
SctpSocket::Bind()
{
    return BindTo(m_endPoint, Ipv4Address::GetAny(), 0);
}

int
SctpSocket::Bind6()
{
    return BindTo(m_endPoint6, Ipv6Address::GetAny(), 0);
}

int
SctpSocket::Bind(const Address& address)
{
    if (InetSocketAddress::IsMatchingType(address))
    {
        InetSocketAddress a = InetSocketAddress::ConvertFrom(address);
        return BindTo(m_endPoint, a.GetIpv4(), a.GetPort());
    }
    if (Inet6SocketAddress::IsMatchingType(address))
    {
        Inet6SocketAddress a = Inet6SocketAddress::ConvertFrom(address);
        return BindTo(m_endPoint6, a.GetIpv6(), a.GetPort());
    }
    m_errno = ERROR_AFNOSUPPORT;
    return -1;
}

namespace
{

// May a be one of the addresses BindAddresses binds to? (Whether it is one of
// the node's is asked of L3.)
bool
UsableLocal(const Ipv4Address& a)
{
    return !(a == Ipv4Address::GetAny() || a.IsBroadcast() || a.IsMulticast());
}

bool
UsableLocal(const Ipv6Address& a)
{
    return !(a == Ipv6Address::GetAny() || a.IsMulticast() || a.IsLocalhost() || a.IsLinkLocal());
}

// Adds the addresses an INIT lists to the cookie's list: not the source, no
// repeats, at most `max`. Returns how many did not fit.
template <class A>
size_t
CollectPeerAddresses(const std::vector<A>& listed, const A& source, std::vector<A>& into, size_t max)
{
    size_t dropped = 0;
    for (const A& a : listed)
    {
        if (a == source || std::find(into.begin(), into.end(), a) != into.end())
        {
            continue;
        }
        if (into.size() == max)
        {
            ++dropped;
            continue;
        }
        into.push_back(a);
    }
    return dropped;
}

// A peer's listed address that can be a path.
bool
UsablePeer(const SctpIpAddress& ip)
{
    return std::visit([](const auto& a) { return UsableLocal(a); }, ip);
}

// The peer's addresses an INIT / INIT ACK lists, of the association's version.
std::vector<SctpIpAddress>
ListedAddresses(const InitChunk& init, bool ipv6)
{
    std::vector<SctpIpAddress> out;
    if (ipv6)
    {
        for (std::array<uint8_t, 16> a : init.ipv6Addresses)
        {
            out.emplace_back(Ipv6Address(a.data()));
        }
    }
    else
    {
        for (uint32_t a : init.ipv4Addresses)
        {
            out.emplace_back(Ipv4Address(a));
        }
    }
    return out;
}

} // namespace

int
SctpSocket::BindAddresses(const std::vector<Ipv4Address>& addresses, uint16_t port)
{
    return BindSeveral(addresses, port);
}

int
SctpSocket::BindAddresses(const std::vector<Ipv6Address>& addresses, uint16_t port)
{
    return BindSeveral(addresses, port);
}

template <class Addr>
int
SctpSocket::BindSeveral(const std::vector<Addr>& addresses, uint16_t port)
{
    constexpr bool v6 = std::is_same_v<Addr, Ipv6Address>;
    if (Bound() || addresses.empty() || m_state != SCTP_CLOSED)
    {
        m_errno = ERROR_INVAL;
        return -1;
    }
    for (size_t i = 0; i < addresses.size(); ++i)
    {
        const Addr& a = addresses[i];
        if (!UsableLocal(a) ||
            std::find(addresses.begin(), addresses.begin() + i, a) != addresses.begin() + i)
        {
            NS_LOG_WARN(this << " BindAddresses: " << a << " cannot be one of several addresses");
            m_errno = ERROR_INVAL;
            return -1;
        }
        int32_t iface = -1;
        if constexpr (v6)
        {
            Ptr<Ipv6> ipv6 = m_node->GetObject<Ipv6>();
            iface = ipv6 ? ipv6->GetInterfaceForAddress(a) : -1;
        }
        else
        {
            Ptr<Ipv4> ipv4 = m_node->GetObject<Ipv4>();
            iface = ipv4 ? ipv4->GetInterfaceForAddress(a) : -1;
        }
        if (iface < 0)
        {
            NS_LOG_WARN(this << " BindAddresses: " << a << " is not an address of this node");
            m_errno = ERROR_ADDRNOTAVAIL;
            return -1;
        }
    }
    auto& slot = [this]() -> auto& {
        if constexpr (v6)
        {
            return m_endPoint6;
        }
        else
        {
            return m_endPoint;
        }
    }();
    auto& extras = [this]() -> auto& {
        if constexpr (v6)
        {
            return m_extraEndPoints6;
        }
        else
        {
            return m_extraEndPoints;
        }
    }();
    if (BindTo(slot, addresses[0], port) != 0)
    {
        return -1;
    }
    // One end point per further address on the same port: it keeps the port
    // for this socket there, and brings a listener the INITs sent to it.
    for (size_t i = 1; i < addresses.size(); ++i)
    {
        auto* ep = m_sctp->AllocateLocal(GetBoundNetDevice(), addresses[i], m_localPort);
        if (!ep)
        {
            NS_LOG_WARN(this << " BindAddresses: port " << m_localPort << " busy on " << addresses[i]);
            DeallocateEndPoint();
            m_errno = ERROR_ADDRINUSE;
            return -1;
        }
        Attach(ep);
        extras.push_back(ep);
    }
    if (addresses.size() > 1)
    {
        if constexpr (v6)
        {
            m_localAddrs6 = addresses;
            m_localAddrParams6.clear();
            for (const Ipv6Address& a : addresses)
            {
                m_localAddrParams6.emplace_back();
                a.GetBytes(m_localAddrParams6.back().data());
            }
        }
        else
        {
            m_localAddrs = addresses;
            m_localAddrParams.clear();
            for (const Ipv4Address& a : addresses)
            {
                m_localAddrParams.push_back(a.Get());
            }
        }
    }
    return 0;
}

bool
SctpSocket::IsLocalAddress(const Ipv4Address& a) const
{
    const Ipv4Address* own = std::get_if<Ipv4Address>(&m_localAddress);
    return (own && *own == a) ||
           std::find(m_localAddrs.begin(), m_localAddrs.end(), a) != m_localAddrs.end();
}

bool
SctpSocket::IsLocalAddress(const Ipv6Address& a) const
{
    const Ipv6Address* own = std::get_if<Ipv6Address>(&m_localAddress);
    return (own && *own == a) ||
           std::find(m_localAddrs6.begin(), m_localAddrs6.end(), a) != m_localAddrs6.end();
}

void
SctpSocket::EndPointDestroyed()
{
    m_endPoint = nullptr;
    m_endPoint6 = nullptr;
    m_extraEndPoints.clear(); // the demux that held them is going away as a whole
    m_extraEndPoints6.clear();
}

template <class EndPoint>
void
SctpSocket::Release(EndPoint*& slot)
{
    if (!slot)
    {
        return;
    }
    EndPoint* ep = slot;
    slot = nullptr;
    ep->SetDestroyCallback(MakeNullCallback<void>());
    m_sctp->DeAllocate(ep);
}

void
SctpSocket::DeallocateEndPoint()
{
    UnregisterPaths();
    Release(m_endPoint);
    Release(m_endPoint6);
    for (Ipv4EndPoint*& ep : m_extraEndPoints)
    {
        Release(ep);
    }
    m_extraEndPoints.clear();
    for (Ipv6EndPoint*& ep : m_extraEndPoints6)
    {
        Release(ep);
    }
    m_extraEndPoints6.clear();
}

int
SctpSocket::Listen()
{
    if (m_state != SCTP_CLOSED)
    {
        m_errno = ERROR_INVAL;
        return -1;
    }
    if (!Bound() && Bind() != 0)
    {
        return -1;
    }
    SetState(SCTP_LISTEN);
    return 0;
}

template <class L3, class Header, class EndPoint, class Addr>
int
SctpSocket::SetupEndPoint(EndPoint* endPoint, Addr peer)
{
    Ptr<L3> l3 = m_node->GetObject<L3>();
    if (!l3 || !l3->GetRoutingProtocol())
    {
        m_errno = ERROR_NOROUTETOHOST;
        return -1;
    }
    Header h;
    h.SetDestination(peer);
    Socket::SocketErrno err = ERROR_NOTERROR;
    auto route = l3->GetRoutingProtocol()->RouteOutput(Ptr<Packet>(), h, GetBoundNetDevice(), err);
    if (!route)
    {
        m_errno = ERROR_NOROUTETOHOST;
        return -1;
    }
    if (endPoint->GetLocalAddress() == Addr::GetAny())
    {
        endPoint->SetLocalAddress(route->GetSource());
    }
    m_localAddress = endPoint->GetLocalAddress();
    // Bound to several addresses: the primary path leaves from the one the
    // route to the peer uses, if that is one of them.
    if (IsLocalAddress(route->GetSource()))
    {
        m_localAddress = route->GetSource();
    }
    endPoint->SetPeer(peer, m_peerPort);
    m_peerAddress = peer;
    m_path.address = m_peerAddress;
    m_path.local = m_localAddress;
    m_path.SetIpv6(SctpIsIpv6(m_peerAddress));
    m_path.pmtu = m_pathMtuAttr ? m_pathMtuAttr : route->GetOutputDevice()->GetMtu();
    return 0;
}

int
SctpSocket::Connect(const Address& address)
{
    // The address family must match the bound end point's: one address per
    // association, and no IPv4-mapped IPv6.
    bool v4 = InetSocketAddress::IsMatchingType(address);
    bool v6 = Inet6SocketAddress::IsMatchingType(address);
    if ((!v4 && !v6) || (v4 && m_endPoint6) || (v6 && m_endPoint))
    {
        m_errno = ERROR_AFNOSUPPORT;
        return -1;
    }
    if (m_state != SCTP_CLOSED)
    {
        m_errno = m_state == SCTP_LISTEN ? ERROR_INVAL : ERROR_ISCONN;
        return -1;
    }
    if (!Bound() && (v4 ? Bind() : Bind6()) != 0)
    {
        return -1;
    }
    int rc;
    if (v4)
    {
        InetSocketAddress a = InetSocketAddress::ConvertFrom(address);
        m_peerPort = a.GetPort();
        rc = SetupEndPoint<Ipv4, Ipv4Header>(m_endPoint, a.GetIpv4());
    }
    else
    {
        Inet6SocketAddress a = Inet6SocketAddress::ConvertFrom(address);
        m_peerPort = a.GetPort();
        rc = SetupEndPoint<Ipv6, Ipv6Header>(m_endPoint6, a.GetIpv6());
    }
    if (rc != 0)
    {
        return -1;
    }
    m_localTag = m_sctp->RandomNonZero();
    m_localInitialTsn = m_initialTsnAttr ? m_initialTsnAttr : m_sctp->RandomNonZero();
    m_nextTsn = m_localInitialTsn;
    m_cumAck = m_localInitialTsn - 1;
    m_outSsn.assign(m_numOutStreams, 0);
    m_outMid.assign(m_numOutStreams, 0);
    m_outUMid.assign(m_numOutStreams, 0);
    SetRto(m_rtoInitial);
    m_initRetrans = 0;
    SetState(SCTP_COOKIE_WAIT);
    SendInit();
    return 0;
}

// ---------------------------------------------------------------------------
// Association set-up (RFC 9260 §5)
// ---------------------------------------------------------------------------

void
SctpSocket::SendInit()
{
    m_builder.Begin(m_localPort, m_peerPort, 0); // INIT carries tag 0 (§8.5.1)
    m_builder.AddInit(CHUNK_INIT,
                      m_localTag,
                      m_rcvBufSize,
                      m_numOutStreams,
                      m_maxInStreams,
                      m_localInitialTsn,
                      nullptr,
                      0,
                      {},
                      LocalAddressParams(),
                      m_prsctpEnabled,
                      m_localAddrParams6,
                      SupportedExtensions());
    Transmit(m_builder);
    m_t1Timer.Cancel();
    m_t1Timer = Simulator::Schedule(m_path.rto, &SctpSocket::T1Expired, this);
}

void
SctpSocket::T1Expired()
{
    ++m_initRetrans;
    if (m_initRetrans > m_maxInitRetrans)
    {
        NS_LOG_INFO(this << " Max.Init.Retransmits exceeded in " << SctpStateName(m_state));
        m_errno = ERROR_NOROUTETOHOST;
        CloseAssociation(CloseReason::ConnectFailed);
        return;
    }
    SetRto(std::min(m_path.rto * 2, m_rtoMax));
    if (m_state == SCTP_COOKIE_WAIT)
    {
        SendInit();
    }
    else if (m_state == SCTP_COOKIE_ECHOED)
    {
        m_builder.Begin(m_localPort, m_peerPort, m_peerTag);
        m_builder.AddCookieEcho(m_cookieEcho.data(), m_cookieEcho.size());
        Transmit(m_builder);
        m_t1Timer = Simulator::Schedule(m_path.rto, &SctpSocket::T1Expired, this);
    }
}

void
SctpSocket::SendInitAck(const InitChunk& init,
                        uint32_t localTag,
                        uint32_t localInitialTsn,
                        uint32_t localTie,
                        uint32_t peerTie,
                        const SctpIpAddress& src,
                        const SctpIpAddress& dst,
                        uint16_t srcPort)
{
    CookieState ck;
    ck.createdNs = uint64_t(Simulator::Now().GetNanoSeconds());
    ck.lifetimeMs = uint32_t(m_cookieLife.GetMilliSeconds());
    ck.localTag = localTag;
    ck.peerTag = init.initTag;
    ck.localInitialTsn = localInitialTsn;
    ck.peerInitialTsn = init.initialTsn;
    ck.peerRwnd = init.aRwnd;
    ck.outStreams = std::min(m_numOutStreams, init.inStreams);
    ck.inStreams = std::min(m_maxInStreams, init.outStreams);
    ck.localPort = m_localPort;
    ck.peerPort = srcPort;
    PutCookieAddresses(ck, dst, src);
    CountUnusableAddressParams(init, ck.ipv6);
    // §5.1.2: the peer's addresses are the source and its Address parameters
    // (of the association's version: CountUnusableAddressParams counted the others).
    size_t dropped =
        ck.ipv6
            ? CollectPeerAddresses(init.ipv6Addresses, ck.peerAddr6, ck.peerAddrs6, kCookieMaxPeerAddrs6)
            : CollectPeerAddresses(init.ipv4Addresses, ck.peerAddr, ck.peerAddrs, kCookieMaxPeerAddrs);
    if (dropped > 0)
    {
        NS_LOG_WARN(this << " INIT lists more addresses than the cookie holds; " << dropped
                         << " are not paths");
        m_stats.peerAddressesIgnored += dropped;
    }
    ck.localTieTag = localTie;
    ck.peerTieTag = peerTie;
    // RFC 3758 §3.3: PR-SCTP only if both ends send Forward-TSN-Supported.
    ck.prSctp = m_prsctpEnabled && init.forwardTsnSupported;
    // RFC 8260 §2.2: I-DATA only if both list it.
    ck.iData = OffersIData() && ListsExtension(init, CHUNK_IDATA);
    std::vector<uint8_t> cookie;
    if (!SealCookie(ck, m_sctp->GetCookieKey(), cookie))
    {
        NS_LOG_WARN(this << " cannot seal a state cookie: " << CookieErrorName(CookieError::CryptoFailure));
        ++m_stats.badCookieDrops;
        return;
    }
    // §5.1.2: the INIT ACK lists only addresses of types the peer supports.
    // Ours are of the socket's own version (IPv4 Address parameters on an
    // IPv4 socket, IPv6 ones on an IPv6 socket), so this INIT came over that
    // version, which the RFC's implementation note counts as supported
    // however the peer's Supported Address Types read: no address is
    // withheld and no "Unresolvable Address" ABORT arises (it would if the
    // association's own family could be unsupported).
    // PeerSupportsAddressType decides it.
    static const std::vector<uint32_t> kNoAddresses;
    static const std::vector<std::array<uint8_t, 16>> kNoAddresses6;
    bool listAddresses = PeerSupportsAddressType(init, ck.ipv6, PARAM_IPV4_ADDRESS);
    bool listAddresses6 = PeerSupportsAddressType(init, ck.ipv6, PARAM_IPV6_ADDRESS);
    if ((!listAddresses && !LocalAddressParams().empty()) ||
        (!listAddresses6 && !m_localAddrParams6.empty()))
    {
        NS_LOG_INFO(this << " peer does not support our address type: INIT ACK lists none");
    }
    m_stats.unrecognizedParamsReported += init.unrecognized.size();
    PacketBuilder b;
    b.Begin(m_localPort, srcPort, init.initTag);
    b.AddInit(CHUNK_INIT_ACK,
              localTag,
              m_state == SCTP_LISTEN ? m_rcvBufSize : GetLocalRwnd(),
              m_numOutStreams,
              m_maxInStreams,
              localInitialTsn,
              cookie.data(),
              cookie.size(),
              init.unrecognized,
              listAddresses ? LocalAddressParams() : kNoAddresses,
              m_prsctpEnabled,
              listAddresses6 ? m_localAddrParams6 : kNoAddresses6,
              SupportedExtensions());
    Ptr<Packet> p = m_sctp->SendPacket(b.Finish(), dst, src);
    ++m_stats.packetsSent;
    m_txTrace(p, this);
}

void
SctpSocket::HandleInit(const ChunkView& c,
                       const PacketView& pkt,
                       const SctpIpAddress& src,
                       const SctpIpAddress& dst)
{
    InitChunk init;
    bool decoded = DecodeInit(c, init, m_prsctpEnabled).Ok();
    if (init.initTag == 0)
    {
        return; // §3.3.2: Initiate Tag 0 (or none: truncated) -> silently discard
    }
    if (!decoded || init.outStreams == 0 || init.inStreams == 0)
    {
        // §3.3.2: invalid mandatory parameter -> ABORT with the peer's tag.
        PacketBuilder b;
        b.Begin(pkt.dstPort, pkt.srcPort, init.initTag);
        b.AddCause(CHUNK_ABORT, 0, CAUSE_INVALID_PARAM, nullptr, 0);
        m_sctp->SendPacket(b.Finish(), dst, src);
        return;
    }
    if (init.hostNameAddress && m_state != SCTP_CLOSED && m_state != SCTP_SHUTDOWN_ACK_SENT)
    {
        // §5.1.2 / §3.3.2.1: a Host Name Address MUST be answered with an
        // ABORT, here with an "Unresolvable Address" cause carrying it. No
        // INIT ACK, nothing asked of the application, no state changes: a
        // listener keeps listening, an association (§5.2.2) stands.
        NS_LOG_INFO(this << " INIT from " << src << " with a Host Name Address: ABORT");
        ++m_stats.hostNameAborts;
        PacketBuilder b;
        b.Begin(pkt.dstPort, pkt.srcPort, init.initTag);
        b.AddParamsCause(CHUNK_ABORT,
                         0,
                         CAUSE_UNRESOLVABLE_ADDRESS,
                         {{init.hostNameAddress, init.hostNameAddressLen}});
        m_sctp->SendPacket(b.Finish(), dst, src);
        return;
    }
    switch (m_state)
    {
    case SCTP_LISTEN:
        if (!NotifyConnectionRequest(SocketAddress(src, pkt.srcPort)))
        {
            PacketBuilder b;
            b.Begin(pkt.dstPort, pkt.srcPort, init.initTag);
            b.AddEmpty(CHUNK_ABORT, 0);
            m_sctp->SendPacket(b.Finish(), dst, src);
            return;
        }
        // Stateless: everything goes into the cookie.
        SendInitAck(init,
                    m_sctp->RandomNonZero(),
                    m_initialTsnAttr ? m_initialTsnAttr : m_sctp->RandomNonZero(),
                    0,
                    0,
                    src,
                    dst,
                    pkt.srcPort);
        return;
    case SCTP_COOKIE_WAIT:
    case SCTP_COOKIE_ECHOED:
        // §5.2.1 INIT collision: answer with our own Initiate Tag, unchanged.
        // In COOKIE-ECHOED the tie-tags MUST be populated (§5.2.1); the TCB's
        // are its tags. In COOKIE-WAIT the peer's tag is unknown: 0 (§5.2.2).
        {
            bool tie = m_state == SCTP_COOKIE_ECHOED;
            SendInitAck(init,
                        m_localTag,
                        m_localInitialTsn,
                        tie ? m_localTag : 0,
                        tie ? m_peerTag : 0,
                        src,
                        dst,
                        pkt.srcPort);
        }
        return;
    case SCTP_CLOSED:
        m_sctp->HandleOutOfTheBlue(pkt, src, dst);
        return;
    case SCTP_SHUTDOWN_ACK_SENT:
        // §9.2: the peer's SHUTDOWN COMPLETE was lost (or it restarted):
        // discard the INIT (no §5.2.2 INIT ACK in this state) and resend the
        // SHUTDOWN ACK. T2 runs on, so INITs cannot put off its give-up.
        SendControl(CHUNK_SHUTDOWN_ACK);
        return;
    default:
        // §5.2.2 unexpected INIT in an existing association: new tag, tie-tags.
        SendInitAck(init,
                    m_sctp->RandomNonZero(),
                    m_sctp->RandomNonZero(),
                    m_localTag,
                    m_peerTag,
                    src,
                    dst,
                    pkt.srcPort);
        return;
    }
}

void
SctpSocket::InitAssociation(uint32_t localTag,
                            uint32_t peerTag,
                            uint32_t localInitialTsn,
                            uint32_t peerInitialTsn,
                            uint32_t peerRwnd,
                            uint16_t outStreams,
                            uint16_t inStreams)
{
    m_localTag = localTag;
    m_peerTag = peerTag;
    if (m_outQueue.empty())
    {
        // Data queued before set-up already carries TSNs from localInitialTsn.
        m_localInitialTsn = localInitialTsn;
        m_nextTsn = localInitialTsn;
        m_cumAck = localInitialTsn - 1;
    }
    m_advPeerAck = m_cumAck;
    m_fwdTsnDue = false;
    m_rxCumExt = (uint64_t(1) << 32) | uint32_t(peerInitialTsn - 1);
    m_rxHighestExt = m_rxCumExt;
    m_rxAbove.clear();
    m_reasm.clear();
    m_dataPartial = DataPartial{};
    m_reasmBytes = 0;
    m_outStreams = outStreams;
    m_inStreams = inStreams;
    m_outSsn.resize(std::max<size_t>(m_outSsn.size(), outStreams), 0);
    m_outMid.resize(m_outSsn.size(), 0);
    m_outUMid.resize(m_outSsn.size(), 0);
    m_inNextSsn.assign(inStreams, 0);
    m_inPending.assign(inStreams, {});
    m_ireasm.clear();
    m_inNextMid.assign(inStreams, 0);
    m_inPendingMid.assign(inStreams, {});
    m_pendingBytes = 0;
    m_peerRwnd = peerRwnd;
    m_maxPeerRwnd = peerRwnd;
    m_lastAdvertisedRwnd = m_rcvBufSize;
    uint32_t mtu = m_path.Mtu();
    SetCwnd(m_initialCwndAttr ? m_initialCwndAttr : std::min(4 * mtu, std::max(2 * mtu, 4380u)));
    SetSsthresh(m_initialSsthreshAttr ? m_initialSsthreshAttr : peerRwnd);
    m_path.partialBytesAcked = 0;
    m_path.flightSize = 0;
    m_path.errorCount = 0;
    m_assocErrors = 0;
}

void
SctpSocket::HandleInitAck(const ChunkView& c)
{
    if (m_state != SCTP_COOKIE_WAIT)
    {
        return; // §5.2.3: discard an unexpected INIT ACK
    }
    InitChunk ia;
    WireStatus st = DecodeInit(c, ia, m_prsctpEnabled);
    if (st.Ok() && ia.initTag != 0 && ia.hostNameAddress)
    {
        // §5.1.2 / §3.3.2.1: MUST ABORT; the cause carries the parameter.
        NS_LOG_INFO(this << " INIT ACK with a Host Name Address: ABORT");
        ++m_stats.hostNameAborts;
        m_builder.Begin(m_localPort, m_peerPort, ia.initTag);
        m_builder.AddParamsCause(CHUNK_ABORT,
                                 0,
                                 CAUSE_UNRESOLVABLE_ADDRESS,
                                 {{ia.hostNameAddress, ia.hostNameAddressLen}});
        Transmit(m_builder);
        CloseAssociation(CloseReason::ConnectFailed);
        return;
    }
    if (!st.Ok() || ia.initTag == 0 || !ia.cookie || ia.outStreams == 0 || ia.inStreams == 0)
    {
        NS_LOG_WARN(this << " bad INIT ACK: " << (st.Ok() ? "missing or invalid parameter" : st.ToString()));
        if (ia.initTag != 0)
        {
            // The ABORT goes with the INIT ACK's tag, sent here: SendAbort
            // sends nothing in COOKIE-WAIT (no peer tag). A missing State
            // Cookie is named in the cause: N = 1, then its type (§3.3.10.2).
            m_builder.Begin(m_localPort, m_peerPort, ia.initTag);
            if (st.Ok() && !ia.cookie)
            {
                const uint8_t missing[6] = {0, 0, 0, 1, 0, uint8_t(PARAM_STATE_COOKIE)};
                m_builder.AddCause(CHUNK_ABORT, 0, CAUSE_MISSING_PARAM, missing, sizeof missing);
            }
            else
            {
                m_builder.AddCause(CHUNK_ABORT, 0, CAUSE_INVALID_PARAM, nullptr, 0);
            }
            Transmit(m_builder);
        }
        CloseAssociation(CloseReason::ConnectFailed); // §3.3.3: an Initiate Tag of 0 too
        return;
    }
    InitAssociation(m_localTag,
                    ia.initTag,
                    m_localInitialTsn,
                    ia.initialTsn,
                    ia.aRwnd,
                    std::min(m_numOutStreams, ia.inStreams),
                    std::min(m_maxInStreams, ia.outStreams));
    CountUnusableAddressParams(ia, SctpIsIpv6(m_peerAddress));
    SetPeerAddresses(ListedAddresses(ia, SctpIsIpv6(m_peerAddress)));
    m_prsctp = m_prsctpEnabled && ia.forwardTsnSupported;
    m_idata = OffersIData() && ListsExtension(ia, CHUNK_IDATA);
    m_cookieEcho.assign(ia.cookie, ia.cookie + ia.cookieLen);
    m_t1Timer.Cancel();
    // m_initRetrans keeps counting: Max.Init.Retransmits bounds INIT and
    // COOKIE ECHO retransmissions (and stale-cookie restarts) together.
    SetRto(m_rtoInitial);
    SetState(SCTP_COOKIE_ECHOED);
    m_builder.Begin(m_localPort, m_peerPort, m_peerTag);
    m_builder.AddCookieEcho(m_cookieEcho.data(), m_cookieEcho.size());
    if (!ia.unrecognized.empty())
    {
        // §3.2.2: unrecognised parameters of the INIT ACK whose type bits ask
        // for a report go back in an ERROR "Unrecognized Parameters" bundled
        // after the COOKIE ECHO (which must be first). Sent once: a COOKIE
        // ECHO retransmitted by T1 goes alone. One that would not fit the
        // packet is not sent (§3.2.2 allows it later, after the COOKIE ACK:
        // not implemented), only logged.
        size_t errorBytes = kChunkHeaderSize + 4;
        for (const auto& u : ia.unrecognized)
        {
            errorBytes += Pad4(u.second);
        }
        if (m_builder.Size() + errorBytes <= m_path.Mtu())
        {
            m_builder.AddParamsCause(CHUNK_ERROR, 0, CAUSE_UNRECOGNIZED_PARAMS, ia.unrecognized);
            m_stats.unrecognizedParamsReported += ia.unrecognized.size();
        }
        else
        {
            NS_LOG_WARN(this << " " << ia.unrecognized.size()
                             << " unrecognised INIT ACK parameters not reported: the ERROR does "
                                "not fit beside the COOKIE ECHO");
        }
    }
    Transmit(m_builder);
    m_t1Timer = Simulator::Schedule(m_path.rto, &SctpSocket::T1Expired, this);
}

void
SctpSocket::InitFromCookie(const CookieState& ck)
{
    m_localAddress = CookieAddress(ck.ipv6, ck.localAddr, ck.localAddr6);
    m_peerAddress = CookieAddress(ck.ipv6, ck.peerAddr, ck.peerAddr6);
    m_localPort = ck.localPort;
    m_peerPort = ck.peerPort;
    m_path.address = m_peerAddress;
    m_path.local = m_localAddress;
    m_path.SetIpv6(ck.ipv6);
    InitAssociation(ck.localTag,
                    ck.peerTag,
                    ck.localInitialTsn,
                    ck.peerInitialTsn,
                    ck.peerRwnd,
                    ck.outStreams,
                    ck.inStreams);
    std::vector<SctpIpAddress> peerAddrs;
    for (uint32_t a : ck.peerAddrs)
    {
        peerAddrs.emplace_back(Ipv4Address(a));
    }
    for (std::array<uint8_t, 16> a : ck.peerAddrs6)
    {
        peerAddrs.emplace_back(Ipv6Address(a.data()));
    }
    SetPeerAddresses(peerAddrs);
    m_prsctp = ck.prSctp;
    m_idata = ck.iData;
}

void
SctpSocket::CopyConfig(const SctpSocket& o)
{
    // Every attribute of the TypeId (and of its parents), so that a new one
    // cannot be forgotten: an accepted socket is configured as its listener.
    for (TypeId tid = GetTypeId(); tid != Object::GetTypeId(); tid = tid.GetParent())
    {
        for (uint32_t i = 0; i < tid.GetAttributeN(); ++i)
        {
            TypeId::AttributeInformation info = tid.GetAttribute(i);
            if ((info.flags & TypeId::ATTR_GET) && (info.flags & TypeId::ATTR_SET))
            {
                Ptr<AttributeValue> v = info.checker->Create();
                if (info.accessor->Get(&o, *v))
                {
                    info.accessor->Set(this, *v);
                }
            }
        }
    }
}

Ptr<SctpSocket>
SctpSocket::Fork()
{
    Ptr<SctpSocket> s = CreateObject<SctpSocket>();
    s->CopyConfig(*this);
    s->SetNode(m_node);
    s->SetSctp(m_sctp);
    m_sctp->AddSocket(s);
    return s;
}

bool
SctpSocket::HandleCookieEcho(const ChunkView& c,
                             const PacketView& pkt,
                             size_t index,
                             const SctpIpAddress& src,
                             const SctpIpAddress& dst,
                             Ptr<NetDevice> incomingDevice)
{
    CookieState ck;
    CookieError ce = OpenCookie(c.value, c.valueLen, m_sctp->GetCookieKey(), ck);
    if (ce != CookieError::None)
    {
        NS_LOG_WARN(this << " COOKIE ECHO from " << src << " dropped: " << CookieErrorName(ce));
        ++m_stats.badCookieDrops;
        return false;
    }
    // §5.1.5 step 3, before the lifetime (step 4): the packet's tag and
    // both ports must be the cookie's (one key per node: another
    // listener's cookie is valid), else silently discarded.
    if (m_state == SCTP_LISTEN &&
        (pkt.vtag != ck.localTag || ck.peerPort != pkt.srcPort || ck.localPort != pkt.dstPort ||
         CookieAddress(ck.ipv6, ck.peerAddr, ck.peerAddr6) != src))
    {
        NS_LOG_WARN(this << " COOKIE ECHO from " << src << " dropped: tag, ports or address "
                            "not its cookie's");
        ++m_stats.badVtagDrops;
        return false;
    }
    bool tagsMatch = ck.localTag == m_localTag && ck.peerTag == m_peerTag;
    uint64_t ageNs = uint64_t(Simulator::Now().GetNanoSeconds()) - ck.createdNs;
    if (!tagsMatch && ageNs > uint64_t(ck.lifetimeMs) * 1000000u)
    {
        // §5.1.5 step 3: stale; tell the peer by how much (microseconds).
        uint8_t staleness[4];
        Put32At(staleness, uint32_t((ageNs - uint64_t(ck.lifetimeMs) * 1000000u) / 1000u));
        PacketBuilder b;
        b.Begin(pkt.dstPort, pkt.srcPort, ck.peerTag);
        b.AddCause(CHUNK_ERROR, 0, CAUSE_STALE_COOKIE, staleness, 4);
        m_sctp->SendPacket(b.Finish(), dst, src);
        ++m_stats.badCookieDrops;
        return false;
    }
    if (m_state == SCTP_LISTEN)
    {
        Ptr<SctpSocket> child = Fork();
        if (ck.ipv6)
        {
            child->m_endPoint6 = m_sctp->Allocate6(GetBoundNetDevice(),
                                                   std::get<Ipv6Address>(dst),
                                                   m_localPort,
                                                   std::get<Ipv6Address>(src),
                                                   pkt.srcPort);
        }
        else
        {
            child->m_endPoint = m_sctp->Allocate(GetBoundNetDevice(),
                                                 std::get<Ipv4Address>(dst),
                                                 m_localPort,
                                                 std::get<Ipv4Address>(src),
                                                 pkt.srcPort);
        }
        if (child->m_endPoint6)
        {
            child->Attach(child->m_endPoint6);
        }
        else if (child->m_endPoint)
        {
            child->Attach(child->m_endPoint);
        }
        else
        {
            m_sctp->RemoveSocket(child);
            return false;
        }
        child->m_path.pmtu =
            m_pathMtuAttr ? m_pathMtuAttr : (incomingDevice ? incomingDevice->GetMtu() : 1500);
        child->m_localAddrs = m_localAddrs; // the listener's addresses are the child's
        child->m_localAddrParams = m_localAddrParams;
        child->m_localAddrs6 = m_localAddrs6;
        child->m_localAddrParams6 = m_localAddrParams6;
        child->InitFromCookie(ck);
        child->SetRto(m_rtoInitial);
        child->SendControl(CHUNK_COOKIE_ACK);
        child->Established();
        NotifyNewConnectionCreated(child, SocketAddress(src, pkt.srcPort));
        // The rest of the packet (DATA bundled after COOKIE ECHO) is the child's.
        if (index + 1 < pkt.chunks.size())
        {
            child->m_rxRaw = m_rxRaw;
            child->m_rxRawTagged = m_rxRawTagged;
            child->ReceivePacket(nullptr, pkt, index + 1, src, dst, incomingDevice);
        }
        else
        {
            child->TrySend();
        }
        return false;
    }
    // §5.2.4: COOKIE ECHO for an existing association.
    if (ck.localTag != m_localTag && ck.peerTag != m_peerTag && ck.localTieTag == m_localTag &&
        ck.peerTieTag == m_peerTag)
    {
        if (m_state == SCTP_SHUTDOWN_ACK_SENT)
        {
            // §5.2.4 A: no new association while shutting down (MUST NOT);
            // resend SHUTDOWN ACK with an ERROR "Cookie Received While Shutting
            // Down". The restarted peer answers that SHUTDOWN ACK as out of the
            // blue (§8.5.1 E) with SHUTDOWN COMPLETE, which closes this
            // association; its next COOKIE ECHO then reaches the listener.
            NS_LOG_INFO(this << " peer restart while shutting down");
            m_builder.Begin(m_localPort, m_peerPort, m_peerTag);
            m_builder.AddEmpty(CHUNK_SHUTDOWN_ACK, 0);
            m_builder.AddCause(CHUNK_ERROR, 0, CAUSE_COOKIE_IN_SHUTDOWN, nullptr, 0);
            Transmit(m_builder);
            return false;
        }
        // Case A: the peer restarted. As if an ABORT then a new COOKIE ECHO
        // had come: start over with the cookie's parameters, and every
        // congestion control and retransmission variable at its initial
        // value (MUST): no fast recovery (its exit TSN is of the old TSN
        // space), RTO.Initial, no RTT history.
        NS_LOG_INFO(this << " peer restart detected: " << m_txBufBytes
                         << " bytes of queued or unacknowledged user data dropped");
        DiscardUndeliveredData();
        m_sendSpaceOpened = m_txBufBytes > 0;
        m_outQueue.clear();
        m_timedMsgs.clear();
        m_nextUnsent = 0;
        m_txBufBytes = 0;
        m_rtxCount = 0;
        m_inFastRecovery = false;
        m_fastRecoveryExit = 0;
        m_fastRtxPending = false;
        m_packetLimit = 0;
        m_sackSinceT3 = false;
        ForgetPathHistory(m_path);
        for (SctpPath& p : m_altPaths)
        {
            p.t3Rtx.Cancel();
            p.hbTimer.Cancel();
            p.hbAckTimer.Cancel();
        }
        m_outSsn.clear();
        m_outMid.clear();
        m_outUMid.clear();
        InitFromCookie(ck);
        SetRto(m_rtoInitial);
        m_outSsn.assign(m_outStreams, 0);
        m_outMid.assign(m_outStreams, 0);
        m_outUMid.assign(m_outStreams, 0);
        SendControl(CHUNK_COOKIE_ACK);
        // "After this, the endpoint shall enter the ESTABLISHED state": a
        // SHUTDOWN received went with the old association. A close our
        // user asked for goes on with the new one: nothing is outstanding
        // now, so its SHUTDOWN leaves at once (§9.2).
        if (m_state == SCTP_SHUTDOWN_RECEIVED)
        {
            m_shutdownSend = false;
            SetState(SCTP_ESTABLISHED);
        }
        else if (m_state == SCTP_SHUTDOWN_SENT)
        {
            SetState(SCTP_SHUTDOWN_PENDING);
        }
        CheckShutdown();
        return true;
    }
    bool wasConnecting = m_state == SCTP_COOKIE_WAIT || m_state == SCTP_COOKIE_ECHOED;
    if (ck.localTag == m_localTag && ck.peerTag != m_peerTag)
    {
        // §5.2.4 case B (set-up collision): update the peer's tag from the
        // cookie (MUST), stop T1 (Established() does) and send COOKIE ACK. Our
        // own tag matches, so our TSNs, flight and cwnd stand. Before ESTABLISHED
        // nothing has come from the peer and no DATA of ours is out, and its
        // INIT in the cookie supersedes any INIT ACK it sent us: its TSNs and
        // streams come from the cookie. Once established the peer's TSN/SSN
        // state stays, as the RFC asks for the tag alone: DATA already received
        // under it would otherwise be delivered twice or refused.
        if (wasConnecting)
        {
            InitFromCookie(ck); // its addresses and ports are this association's
        }
        m_peerTag = ck.peerTag;
    }
    else if (!tagsMatch)
    {
        // Case C (an old INIT's late cookie), or no case: silently
        // discarded, with the packet's other chunks; counted.
        NS_LOG_WARN(this << " COOKIE ECHO from " << src << " matches no case of §5.2.4: dropped");
        ++m_stats.badCookieDrops;
        return false;
    }
    // Cases B and D: stay in, or enter, ESTABLISHED (a shutdown under way goes on).
    SendControl(CHUNK_COOKIE_ACK);
    if (wasConnecting)
    {
        Established();
        NotifyConnectionSucceeded();
    }
    return true;
}

void
SctpSocket::HandleCookieAck()
{
    if (m_state != SCTP_COOKIE_ECHOED)
    {
        return; // §5.2.5
    }
    Established();
    NotifyConnectionSucceeded();
}

void
SctpSocket::Established()
{
    m_t1Timer.Cancel();
    m_initRetrans = 0;
    m_cookieEcho.clear();
    m_connected = true;
    if (!m_prsctp && !m_timedMsgs.empty())
    {
        // Queued before set-up with a lifetime; the peer has no PR-SCTP.
        m_stats.lifetimesIgnored += m_timedMsgs.size();
        m_timedMsgs.clear();
    }
    SetState(SCTP_ESTABLISHED);
    StartHeartbeat();
    if (m_closeOnEstablish)
    {
        m_closeOnEstablish = false;
        SetState(SCTP_SHUTDOWN_PENDING);
        m_shutdownSend = true;
        CheckShutdown();
    }
}

// ---------------------------------------------------------------------------
// Receive path
// ---------------------------------------------------------------------------

void
SctpSocket::ReceivePacket(Ptr<const Packet> raw,
                          const PacketView& pkt,
                          size_t first,
                          const SctpIpAddress& src,
                          const SctpIpAddress& dst,
                          Ptr<NetDevice> incomingDevice)
{
    Ptr<SctpSocket> self = this; // app callbacks may drop their reference
    // Application callbacks run from here (send, receive, connect) may Send:
    // that only queues, and the TrySend at the end of the packet sends it,
    // after every chunk is processed and within one Max.Burst (§6.1).
    struct InReceive
    {
        bool& flag;
        bool saved;
        explicit InReceive(bool& f)
            : flag(f),
              saved(f)
        {
            flag = true;
        }
        ~InReceive()
        {
            flag = saved;
        }
    } inReceive(m_inReceive);
    if (raw)
    {
        m_rxRaw = raw; // a forked child is handed its parent's packet instead
        m_rxRawTagged = SctpHasByteTags(*raw);
    }
    ++m_stats.packetsReceived;
    m_rxTrace(raw, this);
    if (m_state == SCTP_CLOSED)
    {
        m_sctp->HandleOutOfTheBlue(pkt, src, dst);
        return;
    }
    if (!m_altPaths.empty())
    {
        m_rxPath = PathIndexOf(src); // §6.4: replies go back where DATA came from
    }
    bool gotData = false;
    bool immediate = false;
    bool vtagChecked = false;
    for (size_t i = first; i < pkt.chunks.size(); ++i)
    {
        const ChunkView& c = pkt.chunks[i];
        if (c.type == CHUNK_INIT)
        {
            // §8.5.1: INIT alone in its packet with tag 0.
            if (i == 0 && pkt.chunks.size() == 1 && pkt.vtag == 0)
            {
                HandleInit(c, pkt, src, dst);
            }
            break;
        }
        if (c.type == CHUNK_ABORT || c.type == CHUNK_SHUTDOWN_COMPLETE)
        {
            // §8.5.1 B/C: own tag with T clear, or the peer's tag with T set;
            // never own tag with T, nor a peer tag not yet known (0, COOKIE-WAIT).
            bool ok = (c.flags & FLAG_T) ? m_peerTag != 0 && pkt.vtag == m_peerTag
                                         : pkt.vtag == m_localTag;
            if (!ok || m_state == SCTP_LISTEN)
            {
                ++m_stats.badVtagDrops;
                break;
            }
            if (c.type == CHUNK_ABORT)
            {
                HandleAbort();
            }
            else
            {
                HandleShutdownComplete();
            }
            break;
        }
        if (c.type == CHUNK_COOKIE_ECHO)
        {
            if (!HandleCookieEcho(c, pkt, i, src, dst, incomingDevice))
            {
                break;
            }
            vtagChecked = true;
            continue;
        }
        if (m_state == SCTP_LISTEN ||
            (c.type == CHUNK_SHUTDOWN_ACK &&
             (m_state == SCTP_COOKIE_WAIT || m_state == SCTP_COOKIE_ECHOED)))
        {
            // §8.5.1 E: a SHUTDOWN ACK during set-up is out of the blue, whatever
            // its tag (§8.4 rule 5: SHUTDOWN COMPLETE, T bit, the packet's tag).
            m_sctp->HandleOutOfTheBlue(pkt, src, dst);
            return;
        }
        if (!vtagChecked)
        {
            if (pkt.vtag != m_localTag)
            {
                ++m_stats.badVtagDrops;
                NS_LOG_LOGIC(this << " bad verification tag " << pkt.vtag);
                break;
            }
            vtagChecked = true;
        }
        switch (c.type)
        {
        case CHUNK_DATA:
        case CHUNK_IDATA: {
            bool idataChunk = c.type == CHUNK_IDATA;
            if (idataChunk && !m_interleavingAttr)
            {
                // An endpoint without I-DATA does not know type 64: as before.
                if (UnknownChunk(c, pkt.chunks.size() - i - 1))
                {
                    i = pkt.chunks.size();
                }
                break;
            }
            if (idataChunk != m_idata)
            {
                // RFC 8260 §2.2: only the negotiated kind of user data.
                ProtocolViolation(idataChunk ? "I-DATA chunk on an association without I-DATA"
                                             : "DATA chunk on an I-DATA association");
                return;
            }
            if (m_state == SCTP_ESTABLISHED || m_state == SCTP_SHUTDOWN_PENDING ||
                m_state == SCTP_SHUTDOWN_SENT)
            {
                gotData = true;
                if (idataChunk)
                {
                    HandleIData(c, immediate);
                }
                else if (c.valueLen < kDataChunkHeaderSize - kChunkHeaderSize)
                {
                    ++m_stats.dataMalformed;
                    NS_LOG_WARN(this << " DATA chunk of " << c.length << " bytes, shorter than its header: ignored");
                }
                else
                {
                    HandleData(c, immediate);
                }
            }
            else
            {
                // Not before the association is up, nor once the peer has
                // shut down (§9.2): discarded, counted.
                ++m_stats.dataDiscardedState;
                NS_LOG_WARN(this << " " << (idataChunk ? "I-DATA" : "DATA") << " chunk in "
                                 << SctpStateName(m_state) << ": discarded");
            }
            break;
        }
        case CHUNK_INIT_ACK:
            HandleInitAck(c);
            break;
        case CHUNK_SACK:
            HandleSack(c);
            break;
        case CHUNK_HEARTBEAT:
            HandleHeartbeat(c, src, dst);
            break;
        case CHUNK_HEARTBEAT_ACK:
            HandleHeartbeatAck(c);
            break;
        case CHUNK_SHUTDOWN:
            HandleShutdown(c);
            break;
        case CHUNK_SHUTDOWN_ACK:
            HandleShutdownAck();
            break;
        case CHUNK_ERROR:
            HandleError(c);
            break;
        case CHUNK_COOKIE_ACK:
            HandleCookieAck();
            break;
        case CHUNK_FORWARD_TSN:
        case CHUNK_IFORWARD_TSN:
            // RFC 8260 §2.3: I-FORWARD-TSN when I-DATA is used, else FORWARD TSN.
            if (m_prsctp && m_idata == (c.type == CHUNK_IFORWARD_TSN))
            {
                if (m_state == SCTP_ESTABLISHED || m_state == SCTP_SHUTDOWN_PENDING ||
                    m_state == SCTP_SHUTDOWN_SENT)
                {
                    gotData = true; // §3.6: SACK as if DATA had come
                    if (m_idata)
                    {
                        HandleIForwardTsn(c, immediate);
                    }
                    else
                    {
                        HandleForwardTsn(c, immediate);
                    }
                }
                break;
            }
            if (m_prsctp && c.type == CHUNK_FORWARD_TSN)
            {
                // The other kind for this association: not processed.
                ++m_stats.forwardTsnMalformed;
                NS_LOG_WARN(this << " FORWARD TSN on an I-DATA association: ignored");
                break;
            }
            // RFC 3758 §3.3.1 / §3.3.2: without PR-SCTP on the association
            // act as if the chunk were unknown: its type bits (11) say skip
            // it and report it in an ERROR, the rule below.
            [[fallthrough]];
        default:
            if (UnknownChunk(c, pkt.chunks.size() - i - 1))
            {
                i = pkt.chunks.size(); // stop processing this packet
            }
            break;
        }
        if (m_state == SCTP_CLOSED)
        {
            return;
        }
    }
    if (m_state == SCTP_CLOSED)
    {
        return;
    }
    if (gotData)
    {
        MaybeStartPartialDelivery();
        AfterDataPacket(immediate);
    }
    if (m_newDataForApp)
    {
        m_newDataForApp = false;
        NotifyDataRecv();
    }
    if (m_sendSpaceOpened)
    {
        // Told only now, not from inside SACK or SHUTDOWN processing: the
        // application's Send must see the packet's gap blocks, a_rwnd, miss
        // indications and any fast-recovery cwnd cut already applied
        // (§6.2.1, §7.2.4), and the state a SHUTDOWN set (§9.2).
        m_sendSpaceOpened = false;
        if (m_connected)
        {
            NotifySend(GetTxAvailable());
        }
    }
    TrySend();
}

bool
SctpSocket::UnknownChunk(const ChunkView& c, size_t following)
{
    // §3.2: the two high bits of an unknown type say what to do.
    uint8_t action = c.type >> 6;
    ++m_stats.unknownChunks;
    if (action & 2)
    {
        NS_LOG_WARN(this << " unknown chunk type " << int(c.type) << ": skipped");
    }
    else
    {
        NS_LOG_WARN(this << " unknown chunk type " << int(c.type) << ": the " << following
                         << " chunk(s) after it discarded");
        m_stats.chunksDiscardedAfterUnknown += following;
    }
    if (action & 1)
    {
        PacketBuilder b;
        b.Begin(m_localPort, m_peerPort, m_peerTag);
        b.AddCause(CHUNK_ERROR,
                   0,
                   CAUSE_UNRECOGNIZED_CHUNK,
                   c.value - kChunkHeaderSize,
                   std::min<size_t>(c.length, 1200));
        Transmit(b);
    }
    return !(action & 2);
}

uint64_t
SctpSocket::ToExt(uint32_t tsn) const
{
    return m_rxCumExt + int64_t(int32_t(tsn - uint32_t(m_rxCumExt)));
}

uint32_t
SctpSocket::HeldBytes() const
{
    return m_reasmBytes + m_pendingBytes + m_rxQueueBytes;
}

uint32_t
SctpSocket::GetLocalRwnd() const
{
    uint32_t held = HeldBytes();
    return held < m_rcvBufSize ? m_rcvBufSize - held : 0;
}

void
SctpSocket::HandleData(const ChunkView& c, bool& immediate)
{
    DataChunk d;
    if (!DecodeData(c, d).Ok())
    {
        return;
    }
    if (!AcceptTsn(d.tsn, d.sid, d.flags, d.payloadLen, immediate))
    {
        return;
    }
    uint64_t ext = ToExt(d.tsn);
    InChunk& ic = m_reasm[ext];
    KeepFragment(ic, d.sid, d.ssn, d.ppid, d.flags, d.payload, d.payloadLen,
                 c.offset + kDataChunkHeaderSize);
    if (m_dataPartial.active && ext == m_dataPartial.nextExt)
    {
        ContinueDataPartial();
        return;
    }
    TryAssemble(ext);
}

void
SctpSocket::KeepFragment(InChunk& ic,
                         uint16_t sid,
                         uint16_t ssn,
                         uint32_t ppid,
                         uint8_t flags,
                         const uint8_t* payload,
                         size_t len,
                         size_t payloadOffset)
{
    ic.sid = sid;
    ic.ssn = ssn;
    ic.ppid = ppid;
    ic.flags = flags;
    ic.data.assign(payload, payload + len);
    if (m_rxRawTagged)
    {
        ic.tagSrc = m_rxRaw;
        ic.tagOff = uint32_t(payloadOffset);
    }
    m_reasmBytes += uint32_t(len);
}

template <class Seq>
void
SctpSocket::DrainPending(std::map<Seq, RxMessage>& pending, Seq& next)
{
    for (auto it = pending.find(next); it != pending.end(); it = pending.find(next))
    {
        uint32_t size = it->second.packet->GetSize();
        m_pendingBytes -= size;
        m_rxQueueBytes += size;
        m_rxQueue.push_back(std::move(it->second));
        pending.erase(it);
        ++next;
    }
}

bool
SctpSocket::AcceptTsn(uint32_t tsn, uint16_t sid, uint8_t flags, size_t payloadLen, bool& immediate)
{
    if (payloadLen == 0)
    {
        // §6.2; the cause carries the chunk's TSN (§3.3.10.9).
        uint8_t tsnInfo[4];
        Put32At(tsnInfo, tsn);
        SendAbort(CAUSE_NO_USER_DATA, true, tsnInfo, sizeof tsnInfo);
        return false;
    }
    ++m_stats.dataChunksReceived;
    if (flags & DATA_FLAG_IMMEDIATE)
    {
        immediate = true;
    }
    uint64_t ext = ToExt(tsn);
    if (ext <= m_rxCumExt || m_rxAbove.count(ext))
    {
        // Duplicate: report it, and SACK at once (§6.2).
        if (m_dupTsns.size() < 64)
        {
            m_dupTsns.push_back(tsn);
        }
        ++m_stats.dupTsnsReceived;
        immediate = true;
        return false;
    }
    if (HeldBytes() + payloadLen > m_rcvBufSize && ext > m_rxHighestExt)
    {
        // §6.2: no room and it fills no hole: drop and SACK at once.
        ++m_stats.dataDroppedNoBuffer;
        m_dropTrace(tsn, uint32_t(payloadLen));
        immediate = true;
        return false;
    }
    bool hadGaps = !m_rxAbove.empty();
    if (ext == m_rxCumExt + 1)
    {
        ++m_rxCumExt;
        while (!m_rxAbove.empty() && *m_rxAbove.begin() == m_rxCumExt + 1)
        {
            m_rxAbove.erase(m_rxAbove.begin());
            ++m_rxCumExt;
        }
    }
    else
    {
        m_rxAbove.insert(ext);
    }
    m_rxHighestExt = std::max(m_rxHighestExt, ext);
    if (hadGaps || !m_rxAbove.empty())
    {
        immediate = true; // a new gap, or a gap being filled: SACK at once
    }
    if (sid >= m_inStreams)
    {
        // §6.5: acknowledge the TSN, drop the data, report the stream.
        uint8_t info[4] = {uint8_t(sid >> 8), uint8_t(sid), 0, 0};
        PacketBuilder b;
        b.Begin(m_localPort, m_peerPort, m_peerTag);
        b.AddCause(CHUNK_ERROR, 0, CAUSE_INVALID_STREAM, info, 4);
        Transmit(b);
        return false;
    }
    return true;
}

Ptr<Packet>
SctpSocket::JoinFragments(const std::vector<const InChunk*>& frags)
{
    if (frags.size() == 1)
    {
        const InChunk& f = *frags.front();
        uint32_t size = uint32_t(f.data.size());
        Ptr<Packet> p = Create<Packet>(f.data.data(), size);
        if (f.tagSrc)
        {
            SctpCopyByteTags(*f.tagSrc, f.tagOff, size, *p, 0);
        }
        return p;
    }
    std::vector<uint8_t> all;
    std::vector<SctpByteTagSpan> spans;
    for (const InChunk* f : frags)
    {
        uint32_t len = uint32_t(f->data.size());
        if (f->tagSrc)
        {
            spans.push_back({f->tagSrc, f->tagOff, len, uint32_t(all.size())});
        }
        all.insert(all.end(), f->data.begin(), f->data.end());
    }
    Ptr<Packet> p = Create<Packet>(all.data(), uint32_t(all.size()));
    for (const SctpByteTagSpan& sp : spans)
    {
        SctpCopyByteTags(*sp.src, sp.srcStart, sp.len, *p, sp.dstStart);
    }
    return p;
}

void
SctpSocket::TryAssemble(uint64_t ext)
{
    auto it = m_reasm.find(ext);
    uint64_t b = ext;
    uint64_t e = ext;
    // A message's fragments carry consecutive TSNs from B to E (§6.9).
    for (auto cur = it; !(cur->second.flags & DATA_FLAG_BEGIN);)
    {
        auto prev = m_reasm.find(b - 1);
        if (prev == m_reasm.end() || prev->second.sid != it->second.sid)
        {
            return;
        }
        --b;
        cur = prev;
    }
    for (auto cur = it; !(cur->second.flags & DATA_FLAG_END);)
    {
        auto next = m_reasm.find(e + 1);
        if (next == m_reasm.end() || next->second.sid != it->second.sid)
        {
            return;
        }
        ++e;
        cur = next;
    }
    RxMessage msg;
    auto first = m_reasm.find(b);
    msg.sid = first->second.sid;
    msg.ssn = first->second.ssn;
    msg.ppid = first->second.ppid;
    msg.unordered = first->second.flags & DATA_FLAG_UNORDERED;
    std::vector<const InChunk*> frags;
    auto last = first;
    for (uint64_t t = b; t <= e; ++t, ++last)
    {
        frags.push_back(&last->second); // consecutive keys: the map's order
    }
    msg.packet = JoinFragments(frags);
    m_reasm.erase(first, last);
    uint32_t size = msg.packet->GetSize();
    m_reasmBytes -= size;
    if (msg.unordered)
    {
        m_rxQueueBytes += size;
        m_rxQueue.push_back(std::move(msg));
        m_newDataForApp = true;
        return;
    }
    uint16_t sid = msg.sid;
    if (msg.ssn != m_inNextSsn[sid])
    {
        if (m_inPending[sid].count(msg.ssn))
        {
            // A second message with this SSN: it cannot take the first's
            // place (nor be counted in the window while not held).
            ++m_stats.duplicateSeqDrops;
            NS_LOG_WARN(this << " message with SSN " << msg.ssn << " of stream " << sid
                             << " already waiting: dropped");
            return;
        }
        m_pendingBytes += size; // head-of-line wait, this stream only
        m_inPending[sid].emplace(msg.ssn, std::move(msg));
        return;
    }
    m_rxQueueBytes += size;
    m_rxQueue.push_back(std::move(msg));
    ++m_inNextSsn[sid];
    m_newDataForApp = true;
    DeliverOrdered(sid);
}

void
SctpSocket::HandleIData(const ChunkView& c, bool& immediate)
{
    IDataChunk d;
    if (!DecodeIData(c, d).Ok())
    {
        ++m_stats.idataMalformed;
        NS_LOG_WARN(this << " I-DATA chunk shorter than its header: ignored");
        return;
    }
    if (!AcceptTsn(d.tsn, d.sid, d.flags, d.payloadLen, immediate))
    {
        return;
    }
    bool unordered = d.flags & DATA_FLAG_UNORDERED;
    auto entry = m_ireasm.try_emplace({d.sid, unordered, d.mid}).first;
    IReasm& r = entry->second;
    bool isEnd = d.flags & DATA_FLAG_END;
    if (r.frags.count(d.fsn) || (r.haveEnd && d.fsn > r.lastFsn) ||
        (isEnd && !r.frags.empty() && r.frags.rbegin()->first > d.fsn) ||
        (r.partial && d.fsn < r.nextFsn))
    {
        // A new TSN for a fragment already held, or beyond the message's
        // end: the peer's numbering is broken. The TSN stays acknowledged
        // (it was received); the bytes are not kept.
        ++m_stats.idataFragmentsDropped;
        NS_LOG_WARN(this << " I-DATA fragment FSN " << d.fsn << " of stream " << d.sid << " MID "
                         << d.mid << " conflicts with those held: dropped");
        return;
    }
    KeepFragment(r.frags[d.fsn], d.sid, uint16_t(d.mid), d.ppid, d.flags, d.payload, d.payloadLen,
                 c.offset + kIDataChunkHeaderSize);
    if (isEnd)
    {
        r.haveEnd = true;
        r.lastFsn = d.fsn;
    }
    if (r.partial)
    {
        ContinueIDataPartial(entry);
        return;
    }
    // Whole when FSNs 0..E are all here (unique keys, none above E).
    if (!r.haveEnd || r.frags.size() != size_t(r.lastFsn) + 1)
    {
        return;
    }
    std::vector<const InChunk*> frags;
    for (const auto& [fsn, f] : r.frags)
    {
        frags.push_back(&f);
    }
    RxMessage msg;
    msg.sid = d.sid;
    msg.ssn = uint16_t(d.mid); // the tag's 16-bit SSN: the MID's low bits
    msg.ppid = r.frags.begin()->second.ppid;
    msg.unordered = unordered;
    msg.packet = JoinFragments(frags);
    m_reasmBytes -= msg.packet->GetSize();
    m_ireasm.erase({d.sid, unordered, d.mid});
    DeliverIData(std::move(msg), d.mid);
}

void
SctpSocket::DeliverIData(RxMessage&& msg, uint32_t mid)
{
    uint32_t size = msg.packet->GetSize();
    uint16_t sid = msg.sid;
    bool ordered = !msg.unordered;
    if (ordered && mid != m_inNextMid[sid])
    {
        if (m_inPendingMid[sid].count(mid))
        {
            // As for an SSN (TryAssemble): the first message keeps the MID.
            ++m_stats.duplicateSeqDrops;
            NS_LOG_WARN(this << " message with MID " << mid << " of stream " << sid
                             << " already waiting: dropped");
            return;
        }
        m_pendingBytes += size; // head-of-line wait, this stream only
        m_inPendingMid[sid].emplace(mid, std::move(msg));
        return;
    }
    m_rxQueueBytes += size;
    m_rxQueue.push_back(std::move(msg));
    m_newDataForApp = true;
    if (ordered)
    {
        ++m_inNextMid[sid];
        DrainPending(m_inPendingMid[sid], m_inNextMid[sid]);
    }
}

void
SctpSocket::QueueForApp(RxMessage&& msg)
{
    m_rxQueueBytes += msg.packet->GetSize();
    m_rxQueue.push_back(std::move(msg));
    m_newDataForApp = true;
}

void
SctpSocket::MaybeStartPartialDelivery()
{
    // §6.9: a receiver out of buffer while it waits for more fragments
    // dispatches part of the message, so that the rest can be received.
    // Without it a message larger than the buffer never completes: the
    // window stays shut and the sender probes it for ever.
    if (m_reasmBytes == 0 || GetLocalRwnd() >= m_path.MaxDataPayload())
    {
        return;
    }
    if (m_idata)
    {
        for (auto it = m_ireasm.begin(); it != m_ireasm.end();)
        {
            auto cur = it++; // ContinueIDataPartial may erase it
            const auto& [sid, unordered, mid] = cur->first;
            IReasm& r = cur->second;
            if (r.partial || r.frags.empty() || r.frags.begin()->first != 0 ||
                (!unordered && mid != m_inNextMid[sid]))
            {
                continue;
            }
            r.partial = true;
            r.ppid = r.frags.begin()->second.ppid;
            ++m_stats.partialDeliveries;
            ContinueIDataPartial(cur);
        }
        return;
    }
    if (m_dataPartial.active)
    {
        return;
    }
    for (const auto& [ext, f] : m_reasm)
    {
        const bool unordered = f.flags & DATA_FLAG_UNORDERED;
        if (!(f.flags & DATA_FLAG_BEGIN) || (!unordered && f.ssn != m_inNextSsn[f.sid]))
        {
            continue; // not a message's start, or not next on its stream
        }
        m_dataPartial = DataPartial{true, ext, ext, f.sid, f.ssn, f.ppid, unordered};
        ++m_stats.partialDeliveries;
        NS_LOG_INFO(this << " receive buffer short: stream " << f.sid << " SSN " << f.ssn
                         << " delivered in parts (§6.9)");
        ContinueDataPartial();
        return;
    }
}

void
SctpSocket::ContinueDataPartial()
{
    DataPartial& pd = m_dataPartial;
    std::vector<const InChunk*> frags;
    uint64_t t = pd.nextExt;
    bool end = false;
    bool broken = false;
    for (auto it = m_reasm.find(t); it != m_reasm.end() && it->first == t && !end; ++it, ++t)
    {
        const InChunk& f = it->second;
        // A message's fragments carry consecutive TSNs from B to E (§6.9):
        // another stream's, or a second B, here means the peer's numbering
        // is broken and this message cannot be completed.
        if (f.sid != pd.sid || ((f.flags & DATA_FLAG_BEGIN) && t != pd.beginExt))
        {
            broken = true;
            break;
        }
        frags.push_back(&f);
        end = f.flags & DATA_FLAG_END;
    }
    if (!frags.empty())
    {
        RxMessage piece;
        piece.sid = pd.sid;
        piece.ssn = pd.ssn;
        piece.ppid = pd.ppid;
        piece.unordered = pd.unordered;
        piece.eor = end;
        piece.packet = JoinFragments(frags);
        m_reasm.erase(m_reasm.find(pd.nextExt), m_reasm.lower_bound(t));
        m_reasmBytes -= piece.packet->GetSize();
        pd.nextExt = t;
        QueueForApp(std::move(piece));
    }
    if (end)
    {
        pd.active = false;
        if (!pd.unordered)
        {
            ++m_inNextSsn[pd.sid];
            DeliverOrdered(pd.sid);
        }
        return;
    }
    if (broken)
    {
        pd.active = false;
        AbortPartial(pd.sid, pd.ssn, pd.ppid, pd.unordered, "fragment numbering broken");
        TryAssemble(t); // the chunk found there, as the start of its own message
    }
}

void
SctpSocket::ContinueIDataPartial(IReasmMap::iterator it)
{
    const auto [sid, unordered, mid] = it->first;
    IReasm& r = it->second;
    std::vector<const InChunk*> frags;
    uint32_t next = r.nextFsn;
    auto f = r.frags.begin();
    for (; f != r.frags.end() && f->first == next; ++f, ++next)
    {
        frags.push_back(&f->second);
    }
    if (frags.empty())
    {
        return;
    }
    const bool end = r.haveEnd && next - 1 == r.lastFsn;
    RxMessage piece;
    piece.sid = sid;
    piece.ssn = uint16_t(mid); // as for a whole message (HandleIData)
    piece.ppid = r.ppid;
    piece.unordered = unordered;
    piece.eor = end;
    piece.packet = JoinFragments(frags);
    m_reasmBytes -= piece.packet->GetSize();
    r.frags.erase(r.frags.begin(), f);
    r.nextFsn = next;
    QueueForApp(std::move(piece));
    if (!end)
    {
        return;
    }
    m_ireasm.erase(it);
    if (!unordered)
    {
        ++m_inNextMid[sid];
        DrainPending(m_inPendingMid[sid], m_inNextMid[sid]);
    }
}

void
SctpSocket::DiscardUndeliveredData()
{
    // What the old association received but had not delivered goes with it
    // (the new one starts its TSNs and SSNs afresh): counted, and a message
    // being delivered in parts gets its aborted mark.
    const uint32_t held = m_reasmBytes + m_pendingBytes;
    if (m_dataPartial.active)
    {
        m_dataPartial.active = false;
        AbortPartial(m_dataPartial.sid, m_dataPartial.ssn, m_dataPartial.ppid, m_dataPartial.unordered,
                     "the peer restarted");
    }
    for (const auto& [key, r] : m_ireasm)
    {
        if (r.partial)
        {
            AbortPartial(std::get<0>(key), uint16_t(std::get<2>(key)), r.ppid, std::get<1>(key),
                         "the peer restarted");
        }
    }
    if (held > 0)
    {
        m_stats.restartUndeliveredBytes += held;
        NS_LOG_WARN(this << " peer restart: " << held << " received bytes not yet deliverable discarded");
    }
    m_dupTsns.clear(); // of the old TSN space
}

void
SctpSocket::AbortPartial(uint16_t sid, uint16_t ssn, uint32_t ppid, bool unordered, const char* why)
{
    ++m_stats.partialDeliveriesAborted;
    NS_LOG_WARN(this << " message on stream " << sid << " (SSN/MID " << ssn << ") delivered in parts will not be completed: "
                     << why);
    RxMessage mark;
    mark.packet = Create<Packet>();
    mark.sid = sid;
    mark.ssn = ssn;
    mark.ppid = ppid;
    mark.unordered = unordered;
    mark.aborted = true;
    QueueForApp(std::move(mark));
}

void
SctpSocket::ProtocolViolation(const char* what)
{
    NS_LOG_INFO(this << " " << what << ": ABORT (RFC 8260 §2.2)");
    ++m_stats.protocolViolationAborts;
    SendAbort(CAUSE_PROTOCOL_VIOLATION, true);
}

std::vector<uint8_t>
SctpSocket::SupportedExtensions() const
{
    if (!OffersIData())
    {
        return {};
    }
    if (m_prsctpEnabled)
    {
        return {CHUNK_IDATA, CHUNK_IFORWARD_TSN};
    }
    return {CHUNK_IDATA};
}

void
SctpSocket::DeliverOrdered(uint16_t sid)
{
    DrainPending(m_inPending[sid], m_inNextSsn[sid]);
}

void
SctpSocket::AfterDataPacket(bool immediate)
{
    ++m_dataPacketsUnacked;
    if (m_state == SCTP_SHUTDOWN_SENT)
    {
        SendShutdown(); // §9.2: answer DATA with SHUTDOWN, restart T2
        return;
    }
    if (immediate || m_dataPacketsUnacked >= m_sackFreq)
    {
        m_sackDue = true;
    }
    else if (!m_sackTimer.IsRunning())
    {
        m_sackTimer = Simulator::Schedule(m_sackTimeout, &SctpSocket::SackTimerExpired, this);
    }
}

void
SctpSocket::SackTimerExpired()
{
    m_sackDue = true;
    TrySend();
}

void
SctpSocket::BuildSack(PacketBuilder& b, size_t reserve)
{
    // Gap blocks from the TSNs held above the cumulative point (§3.3.4).
    static thread_local std::vector<std::pair<uint16_t, uint16_t>> gaps;
    gaps.clear();
    size_t maxItems = (m_path.Mtu() - kCommonHeaderSize - kSackHeaderSize - reserve) / 4;
    // Offsets are 16 bits (§3.3.4): a block that starts within reach but
    // runs past cum + 0xFFFF is reported up to 0xFFFF, not with its end
    // offset wrapped round to a small number.
    auto block = [this](uint64_t first, uint64_t last) {
        gaps.emplace_back(uint16_t(first - m_rxCumExt), uint16_t(std::min<uint64_t>(last - m_rxCumExt, 0xFFFF)));
    };
    uint64_t start = 0;
    uint64_t prev = 0;
    for (uint64_t t : m_rxAbove)
    {
        if (start && t == prev + 1)
        {
            prev = t;
            continue;
        }
        if (start)
        {
            block(start, prev);
        }
        if (t - m_rxCumExt > 0xFFFF || gaps.size() >= maxItems)
        {
            start = 0;
            break;
        }
        start = prev = t;
    }
    if (start && gaps.size() < maxItems)
    {
        block(start, prev);
    }
    if (m_dupTsns.size() + gaps.size() > maxItems)
    {
        m_dupTsns.resize(maxItems - gaps.size());
    }
    uint32_t rwnd = GetLocalRwnd();
    b.AddSack(uint32_t(m_rxCumExt), rwnd, gaps, m_dupTsns);
    m_dupTsns.clear();
    m_sackDue = false;
    m_dataPacketsUnacked = 0;
    m_sackTimer.Cancel();
    m_lastAdvertisedRwnd = rwnd;
    ++m_stats.sacksSent;
    m_stats.gapBlocksSent += gaps.size();
}

void
SctpSocket::MaybeWindowUpdate()
{
    if (m_state != SCTP_ESTABLISHED && m_state != SCTP_SHUTDOWN_PENDING &&
        m_state != SCTP_SHUTDOWN_SENT)
    {
        return;
    }
    // Receiver SWS avoidance: only announce a window that grew by
    // min(rcvbuf/2, one full DATA chunk) since the last advertisement.
    uint32_t rwnd = GetLocalRwnd();
    uint32_t step = std::min(m_rcvBufSize / 2, m_path.MaxDataPayload());
    if (rwnd >= m_lastAdvertisedRwnd + step)
    {
        m_sackDue = true;
        TrySend();
    }
}

// ---------------------------------------------------------------------------
// SACK processing and congestion control (RFC 9260 §6.2.1, §7)
// ---------------------------------------------------------------------------

void
SctpSocket::ProcessCumAck(uint32_t cum,
                          uint32_t& bytesNewlyAcked,
                          uint32_t& highestNewlyAcked,
                          bool& haveHighest)
{
    uint32_t freed = 0;
    while (!m_outQueue.empty() && m_nextUnsent > 0 && TsnLe(m_outQueue.front().tsn, cum))
    {
        OutChunk& ch = m_outQueue.front();
        SctpPath& cp = PathAt(ch.path);
        // RFC 3758 A2: no cwnd credit for an abandoned chunk; none for a
        // reneged one either, credited when first gap-acked (§6.2.1 D iv).
        if (!ch.gapAcked && !ch.abandoned && !ch.reneged)
        {
            bytesNewlyAcked += ch.len;
            cp.ackedNow += ch.len;
            highestNewlyAcked = ch.tsn;
            haveHighest = true;
            if (cp.timing && cp.timedTsn == ch.tsn && ch.txCount == 1)
            {
                cp.timing = false;
                UpdateRto(cp, Simulator::Now() - cp.timedSentAt);
            }
        }
        if (ch.inFlight)
        {
            cp.flightSize -= ch.len;
        }
        if (ch.markedRtx)
        {
            --m_rtxCount;
        }
        freed += ch.len;
        m_outQueue.pop_front();
        --m_nextUnsent;
    }
    m_cumAck = cum;
    m_txBufBytes -= freed;
    if (freed)
    {
        m_sendSpaceOpened = true; // NotifySend at the end of the packet (ReceivePacket)
    }
}

void
SctpSocket::HandleSack(const ChunkView& c)
{
    if (!CanSendData() && m_state != SCTP_SHUTDOWN_SENT)
    {
        return;
    }
    SackChunk s;
    if (!DecodeSack(c, s).Ok())
    {
        return;
    }
    ++m_stats.sacksReceived;
    m_sackSinceT3 = true;
    if (TsnLt(s.cumTsnAck, m_cumAck))
    {
        return; // §6.2.1 D i): an old SACK, out of order
    }
    uint32_t highestSent = m_nextUnsent ? m_outQueue[m_nextUnsent - 1].tsn : m_cumAck;
    if (TsnLt(highestSent, s.cumTsnAck))
    {
        NS_LOG_WARN(this << " SACK acknowledges TSN " << s.cumTsnAck << " never sent");
        SendAbort(CAUSE_PROTOCOL_VIOLATION, true);
        return;
    }
    uint32_t flightBefore = m_path.flightSize;
    m_path.ackedNow = 0;
    for (SctpPath& p : m_altPaths)
    {
        p.flightBefore = p.flightSize;
        p.ackedNow = 0;
    }
    bool cumAdvanced = TsnLt(m_cumAck, s.cumTsnAck);
    uint32_t bytesNewlyAcked = 0;
    uint32_t highestNewlyAcked = 0;
    bool haveHighest = false;
    ProcessCumAck(s.cumTsnAck, bytesNewlyAcked, highestNewlyAcked, haveHighest);

    // Gap Ack Blocks: chunk at index i has TSN cum+1+i, offset i+1.
    size_t block = 0;
    uint32_t highestReported = 0;
    bool anyGap = false;
    uint32_t renegedPaths = 0; // bit i: a chunk sent on path i was reneged
    for (size_t i = 0; i < m_nextUnsent; ++i)
    {
        OutChunk& ch = m_outQueue[i];
        uint32_t off = uint32_t(i + 1);
        while (block < s.gaps.size() && s.gaps[block].second < off)
        {
            ++block;
        }
        bool inGap = block < s.gaps.size() && s.gaps[block].first <= off &&
                     off <= s.gaps[block].second;
        if (inGap)
        {
            highestReported = ch.tsn;
            anyGap = true;
            if (!ch.gapAcked && (ch.abandoned || ch.reneged))
            {
                // Arrived after all (A2: no cwnd credit), or acknowledged
                // again after reneging: its bytes, its HTNA and its RTT
                // sample were counted when it was first gap-acked.
                ch.gapAcked = true;
                Settle(ch, PathAt(ch.path));
            }
            else if (!ch.gapAcked)
            {
                SctpPath& cp = PathAt(ch.path);
                ch.gapAcked = true;
                bytesNewlyAcked += ch.len;
                cp.ackedNow += ch.len;
                highestNewlyAcked = ch.tsn;
                haveHighest = true;
                Settle(ch, cp);
                if (cp.timing && cp.timedTsn == ch.tsn && ch.txCount == 1)
                {
                    cp.timing = false;
                    UpdateRto(cp, Simulator::Now() - cp.timedSentAt);
                }
            }
        }
        else if (ch.gapAcked)
        {
            // Renege (§6.2.1 D iv): the peer dropped it. It is outstanding
            // again: back in its path's flight size (counted against cwnd
            // and rwnd until acknowledged or marked lost by T3), and T3-rtx
            // started for that path if not running (§6.3.2 R4), so that it
            // is resent even if nothing else is outstanding there.
            ch.gapAcked = false;
            if (!ch.abandoned)
            {
                ch.reneged = true;
                ch.inFlight = true;
                PathAt(ch.path).flightSize += ch.len;
                renegedPaths |= 1u << ch.path;
            }
        }
    }

    if (m_inFastRecovery && TsnLe(m_fastRecoveryExit, s.cumTsnAck))
    {
        m_inFastRecovery = false;
    }

    // §7.2.1 / §7.2.2, per destination: each path grows by the bytes acked
    // that were sent on it.
    GrowCwnd(m_path, flightBefore, m_altPaths.empty() ? bytesNewlyAcked : m_path.ackedNow, cumAdvanced);
    for (SctpPath& p : m_altPaths)
    {
        GrowCwnd(p, p.flightBefore, p.ackedNow, cumAdvanced);
    }

    // §7.2.4 miss indications, HTNA: only TSNs below the highest newly acked,
    // or, in fast recovery with the cum ack advancing, all reported missing.
    bool useAll = m_inFastRecovery && cumAdvanced && anyGap;
    if (haveHighest || useAll)
    {
        uint32_t limit = useAll ? highestReported : highestNewlyAcked;
        if (haveHighest && useAll && TsnLt(highestReported, highestNewlyAcked))
        {
            limit = highestNewlyAcked;
        }
        uint32_t markedPaths = 0; // bit i: path i lost a chunk (§7.2.4: its cwnd is cut)
        for (size_t i = 0; i < m_nextUnsent; ++i)
        {
            OutChunk& ch = m_outQueue[i];
            if (!TsnLt(ch.tsn, limit))
            {
                break;
            }
            if (ch.gapAcked || ch.markedRtx || ch.wasFastRetransmitted || ch.abandoned)
            {
                continue;
            }
            if (++ch.missIndications >= m_fastRtxThreshold)
            {
                ch.markedRtx = true;
                ch.fastRtx = true;
                ++m_rtxCount;
                if (ch.inFlight)
                {
                    ch.inFlight = false;
                    PathAt(ch.path).flightSize -= ch.len;
                }
                markedPaths |= 1u << ch.path;
            }
        }
        if (markedPaths)
        {
            if (!m_inFastRecovery)
            {
                m_inFastRecovery = true;
                m_fastRecoveryExit = highestSent;
                for (size_t i = 0; i < GetPathCount(); ++i)
                {
                    if (markedPaths & (1u << i))
                    {
                        SctpPath& p = PathAt(i);
                        SetSsthresh(p, std::max(p.cwnd / 2, 4 * p.Mtu()));
                        SetCwnd(p, p.ssthresh);
                        p.partialBytesAcked = 0;
                    }
                }
                // §7.2.4 step 3: "If not in Fast Recovery", one packet of the
                // marked chunks may ignore cwnd: only on entering it. Chunks
                // marked later in the same recovery wait for cwnd.
                m_fastRtxPending = true;
            }
        }
    }

    // §6.2.1: rwnd = a_rwnd - bytes still outstanding.
    uint32_t oldRwnd = m_peerRwnd;
    uint32_t flight = TotalFlight();
    m_peerRwnd = s.aRwnd > flight ? s.aRwnd - flight : 0;
    m_maxPeerRwnd = std::max(m_maxPeerRwnd, s.aRwnd);
    if (oldRwnd != m_peerRwnd)
    {
        m_peerRwndTrace(oldRwnd, m_peerRwnd);
    }
    if (bytesNewlyAcked)
    {
        m_assocErrors = 0;
        if (m_altPaths.empty())
        {
            m_path.errorCount = 0;
        }
        else
        {
            // §8.2: data acknowledged on a path shows that path works.
            for (size_t i = 0; i < GetPathCount(); ++i)
            {
                SctpPath& p = PathAt(i);
                if (p.ackedNow)
                {
                    p.errorCount = 0;
                    if (!p.active)
                    {
                        SetPathActive(i, true);
                    }
                }
            }
        }
    }
    // §6.3.2 R2/R3, per path: stop T3 when nothing is outstanding on it,
    // restart it when the earliest outstanding TSN got acknowledged.
    for (size_t i = 0; i < GetPathCount(); ++i)
    {
        SctpPath& p = PathAt(i);
        if (!PathOutstanding(i))
        {
            p.t3Rtx.Cancel();
            if (m_nextUnsent == 0)
            {
                p.partialBytesAcked = 0; // §7.2.2: everything acknowledged
            }
        }
        else if (cumAdvanced)
        {
            RestartT3(i);
        }
        else if (renegedPaths & (1u << i))
        {
            StartT3IfIdle(i); // §6.3.2 R4
        }
    }
    if (m_prsctp)
    {
        // RFC 3758 §3.5 A4 C1-C3: after the normal SACK processing.
        AbandonExpired();
        AdvanceAckPoint();
    }
    CheckShutdown();
}

void
SctpSocket::GrowCwnd(SctpPath& p, uint32_t flightBefore, uint32_t acked, bool cumAdvanced)
{
    // §7.2.1 / §7.2.2: grow cwnd only on a SACK that advances the cum ack,
    // outside fast recovery, when cwnd was fully used.
    uint32_t mtu = p.Mtu();
    if (p.cwnd <= p.ssthresh)
    {
        if (cumAdvanced && !m_inFastRecovery && flightBefore >= p.cwnd)
        {
            SetCwnd(p, p.cwnd + std::min(acked, mtu));
        }
    }
    else
    {
        p.partialBytesAcked += acked;
        if (p.partialBytesAcked >= p.cwnd && flightBefore >= p.cwnd && cumAdvanced &&
            !m_inFastRecovery)
        {
            p.partialBytesAcked -= p.cwnd;
            SetCwnd(p, p.cwnd + mtu);
        }
        else if (p.partialBytesAcked > p.cwnd && flightBefore < p.cwnd)
        {
            p.partialBytesAcked = p.cwnd;
        }
    }
}

void
SctpSocket::UpdateRto(SctpPath& p, Time r)
{
    // §6.3.1 C2 / C3, for the path the measurement was made on.
    Time g = MilliSeconds(1); // clock granularity
    if (!p.rttMeasured)
    {
        p.srtt = r;
        p.rttvar = r / 2;
        p.rttMeasured = true;
    }
    else
    {
        Time diff = p.srtt > r ? p.srtt - r : r - p.srtt;
        p.rttvar =
            Seconds((1 - m_rtoBeta) * p.rttvar.GetSeconds() + m_rtoBeta * diff.GetSeconds());
        p.srtt = Seconds((1 - m_rtoAlpha) * p.srtt.GetSeconds() + m_rtoAlpha * r.GetSeconds());
    }
    if (p.rttvar.IsZero())
    {
        p.rttvar = g;
    }
    Time rto = p.srtt + 4 * p.rttvar;
    rto = std::max(m_rtoMin, std::min(rto, m_rtoMax));
    if (&p == &m_path)
    {
        m_rttTrace(m_lastRttSample, r); // the RTT trace is the primary path's
        m_lastRttSample = r;
    }
    SetRto(p, rto);
}

namespace
{

// Sets a path variable and fires its (old, new) trace, only on a change:
// the path keeps plain values (not TracedValue) so that a second path can
// be added for multihoming without duplicating trace sources per path.
// The traces are the primary path's (their names and meaning predate
// multihoming); another path's field changes without a trace.
template <typename T>
void
SetTraced(T& field, T v, TracedCallback<T, T>& trace, bool traced)
{
    if (v != field)
    {
        T old = field;
        field = v;
        if (traced)
        {
            trace(old, v);
        }
    }
}

} // namespace

void
SctpSocket::SetCwnd(SctpPath& p, uint32_t v)
{
    SetTraced(p.cwnd, v, m_cwndTrace, &p == &m_path);
}

void
SctpSocket::SetSsthresh(SctpPath& p, uint32_t v)
{
    SetTraced(p.ssthresh, v, m_ssthreshTrace, &p == &m_path);
}

void
SctpSocket::SetRto(SctpPath& p, Time v)
{
    SetTraced(p.rto, v, m_rtoTrace, &p == &m_path);
}

bool
SctpSocket::CountError(size_t i, bool countAssociation)
{
    SctpPath& p = PathAt(i);
    if (countAssociation)
    {
        ++m_assocErrors;
    }
    ++p.errorCount;
    if (p.errorCount > m_pathMaxRetrans && p.active)
    {
        SetPathActive(i, false); // §8.2; data moves to an active alternate, if any
    }
    if (m_assocErrors > m_assocMaxRetrans)
    {
        NS_LOG_INFO(this << " Association.Max.Retrans exceeded: ABORT");
        m_errno = ERROR_NOROUTETOHOST;
        SendAbort(0, true);
        return true;
    }
    return false;
}

// ---------------------------------------------------------------------------
// Multihoming: paths to the peer's addresses (§5.1.2, §5.4, §6.4, §8.2, §8.3)
// ---------------------------------------------------------------------------

size_t
SctpSocket::DataPathIndex() const
{
    if (m_path.active)
    {
        return 0;
    }
    for (size_t i = 0; i < m_altPaths.size(); ++i)
    {
        if (m_altPaths[i].active && m_altPaths[i].confirmed)
        {
            return i + 1;
        }
    }
    return 0; // every path is down: keep trying the primary
}

size_t
SctpSocket::RtxPathIndex() const
{
    size_t d = DataPathIndex();
    for (size_t i = 0; i < m_nextUnsent; ++i)
    {
        const OutChunk& ch = m_outQueue[i];
        if (!ch.markedRtx)
        {
            continue;
        }
        if (ch.fastRtx || ch.path != d)
        {
            return d;
        }
        // §6.4.1: it timed out on the data path; another active one, if any.
        for (size_t j = 0; j < GetPathCount(); ++j)
        {
            const SctpPath& p = GetPath(j);
            if (j != ch.path && p.active && p.confirmed)
            {
                return j;
            }
        }
        return d;
    }
    return d;
}

size_t
SctpSocket::PathIndexOf(const SctpIpAddress& a) const
{
    for (size_t i = 0; i < m_altPaths.size(); ++i)
    {
        if (m_altPaths[i].address == a)
        {
            return i + 1;
        }
    }
    return 0;
}

void
SctpSocket::CountUnusableAddressParams(const InitChunk& init, bool ipv6)
{
    for (uint16_t type : init.malformed)
    {
        NS_LOG_WARN(this << " INIT / INIT ACK parameter of type " << type
                         << " with a wrong length skipped");
        ++m_stats.initParamsMalformed;
    }
    if (!ipv6 && !init.ipv6Addresses.empty())
    {
        NS_LOG_WARN(this << " " << init.ipv6Addresses.size()
                         << " IPv6 Address parameter(s) of an IPv4 peer ignored (no mixed associations)");
        m_stats.peerAddressesIgnored += init.ipv6Addresses.size();
    }
    if (ipv6 && !init.ipv4Addresses.empty())
    {
        NS_LOG_WARN(this << " IPv4 addresses of an IPv6 peer ignored (no mixed associations)");
        m_stats.peerAddressesIgnored += init.ipv4Addresses.size();
    }
}

void
SctpSocket::SetPeerAddresses(const std::vector<SctpIpAddress>& addresses)
{
    UnregisterPaths();
    for (SctpPath& p : m_altPaths)
    {
        p.t3Rtx.Cancel();
        p.hbTimer.Cancel();
        p.hbAckTimer.Cancel();
    }
    m_altPaths.clear();
    m_txPath = 0;
    m_rxPath = 0;
    const bool ipv6 = SctpIsIpv6(m_peerAddress);
    constexpr size_t kMaxPaths = 16; // OutChunk::path and the SACK's path bit mask
    for (const SctpIpAddress& ip : addresses)
    {
        if (SctpIsIpv6(ip) != ipv6)
        {
            continue; // the other version: CountUnusableAddressParams counted them
        }
        if (ip == m_peerAddress || PathIndexOf(ip) != 0)
        {
            continue; // §5.1.2: the source is listed too, as a rule
        }
        if (!UsablePeer(ip) || GetPathCount() == kMaxPaths)
        {
            NS_LOG_WARN(this << " peer address " << ip << " not made a path");
            ++m_stats.peerAddressesIgnored;
            continue;
        }
        SctpPath p;
        p.address = ip;
        p.SetIpv6(ipv6);
        p.confirmed = false; // §5.4
        p.local = m_localAddress;
        p.pmtu = m_path.pmtu;
        bool routed = false;
        SctpIpAddress source;
        Ptr<NetDevice> device;
        Socket::SocketErrno err = ERROR_NOTERROR;
        if (const Ipv4Address* a4 = std::get_if<Ipv4Address>(&ip))
        {
            Ptr<Ipv4> ipv4 = m_node ? m_node->GetObject<Ipv4>() : nullptr;
            if (ipv4 && ipv4->GetRoutingProtocol())
            {
                Ipv4Header h;
                h.SetDestination(*a4);
                if (Ptr<Ipv4Route> r =
                        ipv4->GetRoutingProtocol()->RouteOutput(Ptr<Packet>(), h, GetBoundNetDevice(), err))
                {
                    routed = true;
                    source = r->GetSource();
                    device = r->GetOutputDevice();
                }
            }
        }
        else
        {
            Ptr<Ipv6> ipv6l3 = m_node ? m_node->GetObject<Ipv6>() : nullptr;
            if (ipv6l3 && ipv6l3->GetRoutingProtocol())
            {
                Ipv6Header h;
                h.SetDestination(std::get<Ipv6Address>(ip));
                if (Ptr<Ipv6Route> r =
                        ipv6l3->GetRoutingProtocol()->RouteOutput(Ptr<Packet>(), h, GetBoundNetDevice(), err))
                {
                    routed = true;
                    source = r->GetSource();
                    device = r->GetOutputDevice();
                }
            }
        }
        if (routed)
        {
            // Leave from the local address on the way there, if it is ours.
            if (IsLocalIp(source))
            {
                p.local = source;
            }
            if (!m_pathMtuAttr)
            {
                p.pmtu = device->GetMtu();
            }
        }
        else
        {
            NS_LOG_WARN(this << " no route to peer address " << ip << ": its HEARTBEATs will fail");
        }
        p.rto = m_rtoInitial;
        uint32_t mtu = p.Mtu();
        p.cwnd = m_initialCwndAttr ? m_initialCwndAttr : std::min(4 * mtu, std::max(2 * mtu, 4380u));
        p.ssthresh = m_initialSsthreshAttr ? m_initialSsthreshAttr : m_peerRwnd;
        NS_LOG_INFO(this << " path " << GetPathCount() << ": " << p.local << " -> " << ip);
        m_altPaths.push_back(std::move(p));
    }
    RegisterPaths();
    if (m_connected && CanSendData())
    {
        for (size_t i = 1; i < GetPathCount(); ++i)
        {
            StartHeartbeat(i); // after a restart (§5.2.4 A) the new paths need probing
        }
    }
}

void
SctpSocket::RegisterPaths()
{
    if (m_altPaths.empty() && !BoundToSeveral())
    {
        return; // single-homed both ways: the end point demux finds it
    }
    for (size_t i = 0; i < GetPathCount(); ++i)
    {
        const SctpIpAddress& peer = PathAt(i).address;
        m_sctp->RegisterPeerAddress(peer, m_peerPort, m_localPort, this);
        m_registeredPeers.emplace_back(peer, m_peerPort, m_localPort);
    }
}

void
SctpSocket::UnregisterPaths()
{
    if (m_sctp)
    {
        for (const auto& [peer, peerPort, localPort] : m_registeredPeers)
        {
            m_sctp->UnregisterPeerAddress(peer, peerPort, localPort, this);
        }
    }
    m_registeredPeers.clear();
}

int
SctpSocket::SetPrimaryPath(const Ipv4Address& a)
{
    return SetPrimaryPathTo(a);
}

int
SctpSocket::SetPrimaryPath(const Ipv6Address& a)
{
    return SetPrimaryPathTo(a);
}

int
SctpSocket::SetPrimaryPathTo(const SctpIpAddress& a)
{
    size_t k = PathIndexOf(a);
    if (k == 0)
    {
        if (m_connected && m_path.address == SctpIpAddress(a))
        {
            return 0; // already the primary
        }
        m_errno = ERROR_INVAL;
        return -1;
    }
    if (!m_altPaths[k - 1].confirmed)
    {
        m_errno = ERROR_INVAL;
        return -1;
    }
    // Path 0 is the primary everywhere (m_path, the traces, the timers
    // scheduled without an index): swap the two paths' state, and move their
    // running timers, and the chunks' and replies' path indices, with them.
    auto stop = [](EventId& e) {
        Time left = e.IsRunning() ? Simulator::GetDelayLeft(e) : Time(-1);
        e.Cancel();
        return left;
    };
    SctpPath& alt = m_altPaths[k - 1];
    Time t3Old = stop(m_path.t3Rtx);
    Time hbOld = stop(m_path.hbTimer);
    Time t3New = stop(alt.t3Rtx);
    Time hbNew = stop(alt.hbTimer);
    std::swap(m_path, alt);
    auto swapIndex = [k](auto i) { return decltype(i)(i == 0 ? k : i == k ? 0 : i); };
    for (OutChunk& ch : m_outQueue)
    {
        ch.path = swapIndex(ch.path);
    }
    m_txPath = swapIndex(m_txPath);
    m_rxPath = swapIndex(m_rxPath);
    for (auto [i, t3, hb] : {std::tuple{size_t(0), t3New, hbNew}, std::tuple{k, t3Old, hbOld}})
    {
        SctpPath& p = PathAt(i);
        if (!t3.IsNegative())
        {
            p.t3Rtx = i == 0 ? Simulator::Schedule(t3, &SctpSocket::T3ExpiredPrimary, this)
                             : Simulator::Schedule(t3, &SctpSocket::T3Expired, this, i);
        }
        if (!hb.IsNegative())
        {
            p.hbTimer = i == 0 ? Simulator::Schedule(hb, &SctpSocket::HeartbeatTimerPrimary, this)
                               : Simulator::Schedule(hb, &SctpSocket::HeartbeatTimer, this, i);
        }
    }
    m_peerAddress = m_path.address;
    m_localAddress = m_path.local;
    NS_LOG_INFO(this << " primary path now " << m_path.local << " -> " << m_path.address);
    TrySend();
    return 0;
}

void
SctpSocket::SetPathActive(size_t i, bool active)
{
    SctpPath& p = PathAt(i);
    p.active = active;
    NS_LOG_INFO(this << " path to " << p.address << (active ? " active" : " inactive")
                     << ", data path now " << GetPath(GetDataPathIndex()).address);
    m_pathStateTrace(std::visit([](const auto& ip) { return Address(ip); }, p.address), active);
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// PR-SCTP (RFC 3758): timed reliability, Advanced.Peer.Ack.Point, FORWARD TSN
// ---------------------------------------------------------------------------

void
SctpSocket::AbandonExpired()
{
    const Time now = Simulator::Now();
    bool any = false;
    static thread_local std::vector<size_t> chunks;
    for (size_t k = 0; k < m_timedMsgs.size();)
    {
        const TimedMsg& m = m_timedMsgs[k];
        QueuedChunks(m, chunks);
        if (chunks.empty())
        {
            m_timedMsgs.erase(m_timedMsgs.begin() + long(k)); // delivered
            continue;
        }
        if (now < m.expiry)
        {
            ++k;
            continue;
        }
        bool allGapAcked = true;
        for (size_t i : chunks)
        {
            allGapAcked = allGapAcked && m_outQueue[i].gapAcked;
        }
        if (allGapAcked)
        {
            ++k; // the peer has all of it: the cumulative ack will come
            continue;
        }
        const uint32_t start = m_outQueue[chunks.front()].tsn;
        const uint32_t last = m_outQueue[chunks.back()].tsn;
        const size_t from = chunks.front();
        // A2/A3: every fragment is finally acked, no longer outstanding.
        bool everSent = false;
        for (size_t i : chunks)
        {
            OutChunk& ch = m_outQueue[i];
            everSent = everSent || ch.txCount > 0;
            ch.abandoned = true;
            SctpPath& cp = PathAt(ch.path);
            if (cp.timing && cp.timedTsn == ch.tsn)
            {
                cp.timing = false; // it will never be acknowledged as itself
            }
            Settle(ch, cp);
        }
        const OutChunk& head = m_outQueue[from];
        ++m_stats.messagesAbandoned;
        if (!everSent)
        {
            ++m_stats.messagesAbandonedUnsent;
        }
        NS_LOG_INFO(this << " PR-SCTP: abandoned the message on stream " << head.sid << " SSN "
                         << head.ssn << " (TSN " << start << "-" << last << ", "
                         << head.msg->size() << " bytes, " << (everSent ? "sent" : "never sent")
                         << "): lifetime expired");
        m_abandonTrace(head.sid, head.ssn, uint32_t(head.msg->size()), everSent);
        m_timedMsgs.erase(m_timedMsgs.begin() + long(k));
        any = true;
    }
    if (!any)
    {
        return;
    }
    // TR3: abandoned before it was ever sent: no transmission, the FORWARD
    // TSN covers its TSN (assigned at Send).
    while (m_nextUnsent < m_outQueue.size() && m_outQueue[m_nextUnsent].abandoned)
    {
        m_outQueue[m_nextUnsent].sent = true;
        ++m_nextUnsent;
    }
    AdvanceAckPoint();
}

void
SctpSocket::QueuedChunks(const TimedMsg& m, std::vector<size_t>& out) const
{
    out.clear();
    if (!m_idata)
    {
        // DATA: consecutive TSNs; those cumulatively acknowledged have left.
        const uint32_t last = m.firstTsn + m.chunks - 1;
        if (m_outQueue.empty() || TsnLe(last, m_cumAck))
        {
            return;
        }
        const uint32_t start = TsnLt(m_cumAck, m.firstTsn) ? m.firstTsn : m_cumAck + 1;
        for (size_t i = OutIndex(start); i <= OutIndex(last); ++i)
        {
            out.push_back(i);
        }
        return;
    }
    // I-DATA: the scheduler may have spread the fragments (and given them
    // other TSNs); the message is its stream, U flag and MID.
    for (size_t i = 0; i < m_outQueue.size(); ++i)
    {
        const OutChunk& ch = m_outQueue[i];
        if (ch.sid == m.sid && ch.mid == m.mid &&
            bool(ch.flags & DATA_FLAG_UNORDERED) == m.unordered)
        {
            out.push_back(i);
        }
    }
}

void
SctpSocket::AdvanceAckPoint()
{
    if (TsnLt(m_advPeerAck, m_cumAck))
    {
        m_advPeerAck = m_cumAck; // C1
    }
    // C2: the front of the queue has TSN m_cumAck + 1.
    while (!m_outQueue.empty())
    {
        size_t i = OutIndex(m_advPeerAck + 1);
        if (i >= m_nextUnsent || !m_outQueue[i].abandoned)
        {
            break;
        }
        ++m_advPeerAck;
    }
    m_fwdTsnDue = TsnLt(m_cumAck, m_advPeerAck); // C3 (and A5: again after T3)
}

void
SctpSocket::AddIForwardTsn(PacketBuilder& b)
{
    // RFC 8260 §2.3.1: per stream and U flag, the largest MID skipped, for
    // ordered and unordered messages alike; as in AddForwardTsn, what does
    // not fit the packet lowers the point.
    static thread_local std::vector<IForwardTsnEntry> entries;
    entries.clear();
    const size_t room = PathAt(m_altPaths.empty() ? 0 : DataPathIndex()).Mtu() - b.Size();
    const size_t maxEntries = room > 8 ? (room - 8) / 8 : 0;
    for (size_t i = 0; i < m_outQueue.size() && TsnLe(m_outQueue[i].tsn, m_advPeerAck); ++i)
    {
        const OutChunk& ch = m_outQueue[i];
        const bool u = ch.flags & DATA_FLAG_UNORDERED;
        auto e = std::find_if(entries.begin(), entries.end(), [&](const IForwardTsnEntry& x) {
            return x.sid == ch.sid && x.unordered == u;
        });
        if (e != entries.end())
        {
            if (TsnLt(e->mid, ch.mid))
            {
                e->mid = ch.mid;
            }
            continue;
        }
        if (entries.size() == maxEntries)
        {
            m_advPeerAck = ch.tsn - 1;
            break;
        }
        entries.push_back({ch.sid, u, ch.mid});
    }
    b.AddIForwardTsn(m_advPeerAck, entries);
    ++m_stats.forwardTsnSent;
    m_fwdTsnDue = false;
    NS_LOG_LOGIC(this << " I-FORWARD-TSN " << m_advPeerAck << " with " << entries.size()
                      << " entries");
}

void
SctpSocket::AddForwardTsn(PacketBuilder& b)
{
    if (m_idata)
    {
        AddIForwardTsn(b);
        return;
    }
    // C4: each ordered stream once, with its highest abandoned SSN; a chunk
    // that must fit one packet lowers the point (a whole message at a time:
    // the fragments of a message share their stream entry).
    static thread_local std::vector<std::pair<uint16_t, uint16_t>> streams;
    streams.clear();
    const size_t room = PathAt(m_altPaths.empty() ? 0 : DataPathIndex()).Mtu() - b.Size();
    const size_t maxEntries = room > 8 ? (room - 8) / 4 : 0; // 8: header and New Cumulative TSN
    for (size_t i = 0; i < m_outQueue.size() && TsnLe(m_outQueue[i].tsn, m_advPeerAck); ++i)
    {
        const OutChunk& ch = m_outQueue[i];
        if (ch.flags & DATA_FLAG_UNORDERED)
        {
            continue; // §3.2: unordered chunks are not reported
        }
        auto e = std::find_if(streams.begin(), streams.end(), [&](const auto& x) {
            return x.first == ch.sid;
        });
        if (e != streams.end())
        {
            if (SsnLt(e->second, ch.ssn))
            {
                e->second = ch.ssn;
            }
            continue;
        }
        if (streams.size() == maxEntries)
        {
            m_advPeerAck = ch.tsn - 1;
            break;
        }
        streams.emplace_back(ch.sid, ch.ssn);
    }
    b.AddForwardTsn(m_advPeerAck, streams);
    ++m_stats.forwardTsnSent;
    m_fwdTsnDue = false;
    NS_LOG_LOGIC(this << " FORWARD TSN " << m_advPeerAck << " with " << streams.size()
                      << " streams");
}

void
SctpSocket::HandleForwardTsn(const ChunkView& c, bool& immediate)
{
    ForwardTsnChunk f;
    bool hadGaps = false;
    uint64_t ext = 0;
    if (!StartForward(c, f, &DecodeForwardTsn, hadGaps, ext, immediate))
    {
        return;
    }
    if (m_dataPartial.active && ext >= m_dataPartial.nextExt)
    {
        // The rest of the message being delivered in parts is skipped.
        m_dataPartial.active = false;
        AbortPartial(m_dataPartial.sid, m_dataPartial.ssn, m_dataPartial.ppid, m_dataPartial.unordered,
                     "abandoned by the peer (FORWARD TSN)");
    }
    // Partial messages missing a TSN at or below the new point never complete:
    // the fragments at or below it, and those just above whose start was.
    for (auto it = m_reasm.begin(); it != m_reasm.end() && it->first <= ext;)
    {
        m_reasmBytes -= uint32_t(it->second.data.size());
        it = m_reasm.erase(it);
    }
    for (uint64_t t = ext + 1;; ++t)
    {
        auto it = m_reasm.find(t);
        if (it == m_reasm.end() || (it->second.flags & DATA_FLAG_BEGIN))
        {
            break;
        }
        const bool end = it->second.flags & DATA_FLAG_END;
        m_reasmBytes -= uint32_t(it->second.data.size());
        m_reasm.erase(it);
        if (end)
        {
            break;
        }
    }
    // Each listed ordered stream: what waits at or below the SSN is delivered
    // (stranded behind the skipped ones), then the stream goes on after it.
    const size_t queued = m_rxQueue.size();
    for (const auto& [sid, ssn] : f.streams)
    {
        if (sid >= m_inStreams)
        {
            ++m_stats.forwardTsnBadStreams;
            NS_LOG_WARN(this << " FORWARD TSN names stream " << sid << " of " << m_inStreams);
            continue;
        }
        SkipThrough(m_inPending[sid], m_inNextSsn[sid], ssn);
    }
    FinishForward(queued, hadGaps, immediate);
}

template <class Chunk>
bool
SctpSocket::StartForward(const ChunkView& c,
                         Chunk& f,
                         WireStatus (*decode)(const ChunkView&, Chunk&),
                         bool& hadGaps,
                         uint64_t& ext,
                         bool& immediate)
{
    WireStatus st = decode(c, f);
    if (!st.Ok())
    {
        ++m_stats.forwardTsnMalformed;
        NS_LOG_WARN(this << " malformed " << (c.type == CHUNK_IFORWARD_TSN ? "I-FORWARD-TSN" : "FORWARD TSN")
                         << " ignored: " << st.ToString());
        return false;
    }
    ++m_stats.forwardTsnReceived;
    hadGaps = !m_rxAbove.empty();
    ext = ToExt(f.newCumTsn);
    if (ext <= m_rxCumExt)
    {
        immediate = true; // §3.6: out of date; SACK (our last one may be lost)
        return false;
    }
    // §3.6: the cumulative TSN moves to the new one, then on over what is held.
    m_rxCumExt = ext;
    m_rxAbove.erase(m_rxAbove.begin(), m_rxAbove.upper_bound(ext));
    while (!m_rxAbove.empty() && *m_rxAbove.begin() == m_rxCumExt + 1)
    {
        m_rxAbove.erase(m_rxAbove.begin());
        ++m_rxCumExt;
    }
    m_rxHighestExt = std::max(m_rxHighestExt, m_rxCumExt);
    return true;
}

template <class Seq>
void
SctpSocket::SkipThrough(std::map<Seq, RxMessage>& pending, Seq& next, Seq last)
{
    const Seq span = Seq(last - next);
    if (span > Seq(Seq(~Seq(0)) / 2 + 1))
    {
        return; // already past it (serial arithmetic, as SsnLt / TsnLt)
    }
    // What waits at or below `last` is delivered (stranded behind the
    // skipped messages), then the stream goes on after it.
    std::vector<Seq> stranded;
    for (const auto& kv : pending)
    {
        if (Seq(kv.first - next) <= span)
        {
            stranded.push_back(kv.first);
        }
    }
    std::sort(stranded.begin(), stranded.end(), [next = next](Seq a, Seq b) {
        return Seq(a - next) < Seq(b - next);
    });
    for (Seq k : stranded)
    {
        auto it = pending.find(k);
        uint32_t size = it->second.packet->GetSize();
        m_pendingBytes -= size;
        m_rxQueueBytes += size;
        m_rxQueue.push_back(std::move(it->second));
        pending.erase(it);
    }
    next = Seq(last + 1);
    DrainPending(pending, next);
}

void
SctpSocket::FinishForward(size_t queued, bool hadGaps, bool& immediate)
{
    if (m_rxQueue.size() != queued)
    {
        m_newDataForApp = true;
    }
    if (hadGaps || !m_rxAbove.empty())
    {
        immediate = true; // as for DATA (§3.6 and RFC 9260 §6.2)
    }
}

void
SctpSocket::HandleIForwardTsn(const ChunkView& c, bool& immediate)
{
    IForwardTsnChunk f;
    bool hadGaps = false;
    uint64_t ext = 0;
    if (!StartForward(c, f, &DecodeIForwardTsn, hadGaps, ext, immediate))
    {
        return;
    }
    // RFC 8260 §2.3.2: per entry, the partial messages of that stream and
    // U flag up to its MID are dropped; an ordered stream skips past it.
    const size_t queued = m_rxQueue.size();
    for (const IForwardTsnEntry& e : f.entries)
    {
        if (e.sid >= m_inStreams)
        {
            ++m_stats.forwardTsnBadStreams;
            NS_LOG_WARN(this << " I-FORWARD-TSN names stream " << e.sid << " of " << m_inStreams);
            continue;
        }
        auto it = m_ireasm.lower_bound({e.sid, e.unordered, 0});
        while (it != m_ireasm.end() && std::get<0>(it->first) == e.sid &&
               std::get<1>(it->first) == e.unordered)
        {
            if (!TsnLe(std::get<2>(it->first), e.mid))
            {
                ++it;
                continue;
            }
            for (const auto& kv : it->second.frags)
            {
                m_reasmBytes -= uint32_t(kv.second.data.size());
            }
            if (it->second.partial)
            {
                AbortPartial(e.sid, uint16_t(std::get<2>(it->first)), it->second.ppid, e.unordered,
                             "abandoned by the peer (I-FORWARD-TSN)");
            }
            it = m_ireasm.erase(it);
        }
        if (!e.unordered)
        {
            SkipThrough(m_inPendingMid[e.sid], m_inNextMid[e.sid], e.mid);
        }
    }
    FinishForward(queued, hadGaps, immediate);
}

bool
SctpSocket::CanSendData() const
{
    return m_state == SCTP_ESTABLISHED || m_state == SCTP_SHUTDOWN_PENDING ||
           m_state == SCTP_SHUTDOWN_RECEIVED;
}

void
SctpSocket::AddChunk(PacketBuilder& b, OutChunk& ch)
{
    if (ch.tagSrc && &b == &m_builder)
    {
        // The payload follows the DATA (I-DATA) header; its tags follow it there.
        m_txTagSpans.push_back(
            {ch.tagSrc, ch.offset, ch.len, uint32_t(b.Size() + DataHeaderSize())});
    }
    if (m_idata)
    {
        // RFC 8260 §2.1: the PPID rides on the first fragment only.
        uint32_t word = (ch.flags & DATA_FLAG_BEGIN) ? ch.ppid : ch.fsn;
        b.AddIData(ch.flags, ch.tsn, ch.sid, ch.mid, word, ch.msg->data() + ch.offset, ch.len);
        ++m_stats.idataChunksSent;
    }
    else
    {
        b.AddData(ch.flags, ch.tsn, ch.sid, ch.ssn, ch.ppid, ch.msg->data() + ch.offset, ch.len);
    }
    SctpPath& path = PathAt(m_txPath);
    if (ch.sent)
    {
        ++m_stats.retransmissions;
        if (ch.fastRtx)
        {
            ch.wasFastRetransmitted = true;
            ++m_stats.fastRetransmissions;
        }
        m_retransmitTrace(ch.tsn, ch.fastRtx);
        ch.markedRtx = false;
        ch.fastRtx = false;
        --m_rtxCount;
        SctpPath& last = PathAt(ch.path);
        if (last.timing && last.timedTsn == ch.tsn)
        {
            last.timing = false; // Karn: never time a retransmission
        }
    }
    else
    {
        ch.sent = true;
        if (!path.timing)
        {
            path.timing = true;
            path.timedTsn = ch.tsn;
            path.timedSentAt = Simulator::Now();
        }
    }
    if (m_peerRwnd < ch.len)
    {
        ++m_stats.zeroWindowProbes;
    }
    ++ch.txCount;
    ch.missIndications = 0;
    ch.inFlight = true;
    ch.path = uint8_t(m_txPath);
    path.flightSize += ch.len;
    m_peerRwnd = m_peerRwnd > ch.len ? m_peerRwnd - ch.len : 0;
    ++m_stats.dataChunksSent;
}

bool
SctpSocket::FillData(PacketBuilder& b, bool fastPacket, bool& restartT3)
{
    size_t room = PathAt(m_txPath).Mtu() - b.Size();
    bool added = false;
    // Retransmissions first, lowest TSN first (§6.1 C).
    for (size_t i = 0; m_rtxCount > 0 && i < m_nextUnsent; ++i)
    {
        OutChunk& ch = m_outQueue[i];
        if (!ch.markedRtx || (fastPacket && !ch.fastRtx))
        {
            continue;
        }
        size_t need = Pad4(DataHeaderSize() + ch.len);
        if (need > room)
        {
            break;
        }
        if (i == 0)
        {
            restartT3 = true; // §6.3.2 R4-like: resending the earliest outstanding
        }
        AddChunk(b, ch);
        room -= need;
        added = true;
    }
    if (fastPacket || m_rtxCount > 0)
    {
        return added; // new data waits until the losses are repaired
    }
    bool newAdded = false;
    while (m_nextUnsent < m_outQueue.size())
    {
        OutChunk& ch = m_outQueue[m_nextUnsent];
        if (ch.abandoned)
        {
            // PR-SCTP TR3/TR4: expired before it was ever sent. It keeps its
            // TSN (assigned at Send), so it joins the sent part untransmitted
            // and the FORWARD TSN covers it.
            ch.sent = true;
            ++m_nextUnsent;
            continue;
        }
        size_t need = Pad4(DataHeaderSize() + ch.len);
        if (need > room)
        {
            break;
        }
        // §6.1 A: respect rwnd, but one chunk may always be in flight (window probe).
        uint32_t flight = TotalFlight();
        if (ch.len > m_peerRwnd && flight > 0)
        {
            break;
        }
        // SWS is decided per packet, as RFC 1122 decides per segment: once a
        // packet may carry new data, it is filled as far as rwnd allows.
        if (!newAdded && m_swsAvoidance && flight > 0 && SwsHold())
        {
            ++m_stats.swsHolds;
            break;
        }
        AddChunk(b, ch);
        ++m_nextUnsent;
        room -= need;
        added = true;
        newAdded = true;
        if (m_peerRwnd == 0)
        {
            break;
        }
    }
    return added;
}

bool
SctpSocket::SwsHold() const
{
    // §6.1 A: sender-side silly-window avoidance, after RFC 1122 §4.2.3.4.
    // Every SCTP message is "pushed", so new data may go into the peer's
    // window U when (1) a full-size chunk fits (U >= max DATA payload), or
    // (2) U is at least half the largest window the peer ever offered, or
    // (3) all queued new data fits in U. Otherwise it waits: this is only
    // asked while data is outstanding, so a SACK will come and re-open the
    // question; with nothing outstanding the one-chunk rule of §6.1 A (the
    // window probe) applies, which also plays RFC 1122's override timeout.
    uint32_t u = m_peerRwnd;
    if (u >= m_path.MaxDataPayload() || u >= m_maxPeerRwnd / 2)
    {
        return false;
    }
    uint64_t queued = 0;
    for (size_t i = m_nextUnsent; i < m_outQueue.size() && queued <= u; ++i)
    {
        queued += m_outQueue[i].len; // stops as soon as the answer is known
    }
    return queued > u;
}

void
SctpSocket::TrySend()
{
    if (!Bound() || m_state == SCTP_CLOSED || m_state == SCTP_LISTEN)
    {
        return;
    }
    bool dataAllowed = CanSendData();
    if (!m_timedMsgs.empty() && m_prsctp)
    {
        AbandonExpired(); // TR4: before transmitting or retransmitting
    }
    // Set when a delayed SACK is sent now to ride on new DATA: if that DATA
    // does not go in its packet after all, the SACK leaves alone and the
    // loop goes on to the DATA.
    bool sackForData = false;
    if (dataAllowed && m_nextUnsent < m_outQueue.size())
    {
        SctpPath& dataPath = PathAt(GetDataPathIndex());
        DecayIdleCwnd(dataPath);
        // §6.2: DATA received and not yet acknowledged (its SACK delayed) is
        // acknowledged by a SACK bundled with the new DATA about to leave
        // (control chunks first, §6.10), as TCP's ACK rides on its data,
        // not by a SACK packet of its own up to SackTimeout later; but only
        // when the first chunk fits beside it (a full-size fragment does not).
        size_t sack = kSackHeaderSize + 4 * (m_rxAbove.size() + m_dupTsns.size());
        size_t chunk = Pad4(DataHeaderSize() + m_outQueue[m_nextUnsent].len);
        if (!m_sackDue && m_dataPacketsUnacked > 0 && m_rtxCount == 0 && dataPath.flightSize < dataPath.cwnd &&
            kCommonHeaderSize + sack + chunk <= dataPath.Mtu())
        {
            m_sackDue = true;
            sackForData = true;
        }
    }
    uint32_t packets = 0;
    uint32_t limit = m_packetLimit ? std::min(m_packetLimit, m_maxBurst) : m_maxBurst;
    m_packetLimit = 0;
    uint32_t newBytes = 0;
    while (true)
    {
        m_builder.Begin(m_localPort, m_peerPort, m_peerTag);
        m_txTagSpans.clear();
        bool fwdTsn = m_fwdTsnDue;
        if (m_sackDue)
        {
            // Room for the FORWARD TSN bundled after it: its header, New
            // Cumulative TSN and one stream entry (RFC 3758 §3.2, RFC 8260
            // §2.3.1); it fits as many more entries as are left.
            BuildSack(m_builder, fwdTsn ? kChunkHeaderSize + 4 + (m_idata ? 8 : 4) : 0);
        }
        if (fwdTsn)
        {
            AddForwardTsn(m_builder); // F2: bundled before the DATA
        }
        bool added = false;
        bool restartT3 = false;
        // Multihomed: new data to the data path, a retransmission maybe to
        // an alternate (§6.4.1). Set before FillData, which uses its cwnd and MTU.
        m_txPath = m_altPaths.empty() ? 0 : m_rtxCount > 0 ? RtxPathIndex() : DataPathIndex();
        SctpPath& dest = PathAt(m_txPath);
        if (dataAllowed && packets < limit)
        {
            uint32_t before = m_nextUnsent;
            if (m_fastRtxPending)
            {
                // §7.2.4: the first fast retransmission ignores cwnd.
                m_fastRtxPending = false;
                added = FillData(m_builder, true, restartT3);
            }
            else if (dest.flightSize < dest.cwnd) // §6.1 B
            {
                added = FillData(m_builder, false, restartT3);
            }
            for (uint32_t i = before; i < m_nextUnsent; ++i)
            {
                newBytes += m_outQueue[i].len;
            }
        }
        if (!m_builder.HasChunks())
        {
            break;
        }
        if (m_altPaths.empty())
        {
            Transmit(m_builder);
        }
        else
        {
            // A SACK alone goes back to where the DATA came from (§6.4).
            Transmit(m_builder, added ? dest : PathAt(m_rxPath));
        }
        ++packets;
        if (fwdTsn && !added)
        {
            StartT3IfIdle(m_altPaths.empty() ? 0 : DataPathIndex()); // C5
        }
        if (added)
        {
            dest.lastDataSent = Simulator::Now();
            if (restartT3)
            {
                RestartT3(m_txPath);
            }
            else
            {
                StartT3IfIdle(m_txPath);
            }
        }
        else if (sackForData)
        {
            sackForData = false; // the SACK went alone: now the DATA
        }
        else
        {
            break;
        }
    }
    if (newBytes)
    {
        NotifyDataSent(newBytes);
    }
}

void
SctpSocket::DecayIdleCwnd(SctpPath& path)
{
    // §7.2.1: a path that sent no data for a while halves cwnd (not below
    // 4 MTU) once per RTO of silence, so an idle burst is not sent at a stale rate.
    if (path.flightSize > 0 || m_rtxCount > 0 || !path.lastDataSent.IsStrictlyPositive())
    {
        return;
    }
    uint32_t floor = 4 * path.Mtu();
    Time idle = Simulator::Now() - path.lastDataSent;
    uint32_t cwnd = path.cwnd;
    while (idle >= path.rto && cwnd > floor)
    {
        cwnd = std::max(cwnd / 2, floor);
        idle -= path.rto;
    }
    SetCwnd(path, cwnd);
}

void
SctpSocket::Transmit(PacketBuilder& b)
{
    if (m_altPaths.empty())
    {
        TransmitTo(b, m_localAddress, m_peerAddress);
    }
    else
    {
        Transmit(b, PathAt(DataPathIndex())); // control chunks avoid a failed primary
    }
}

void
SctpSocket::Transmit(PacketBuilder& b, const SctpPath& path)
{
    TransmitTo(b, path.local, path.address);
}

void
SctpSocket::TransmitTo(PacketBuilder& b, const SctpIpAddress& local, const SctpIpAddress& peer)
{
    Ptr<Packet> p;
    if (&b == &m_builder && !m_txTagSpans.empty())
    {
        p = m_sctp->SendPacket(b.Finish(), local, peer, m_txTagSpans);
        m_txTagSpans.clear();
    }
    else
    {
        p = m_sctp->SendPacket(b.Finish(), local, peer);
    }
    ++m_stats.packetsSent;
    m_txTrace(p, this);
}

void
SctpSocket::SendControl(uint8_t type, uint8_t flags)
{
    m_builder.Begin(m_localPort, m_peerPort, m_peerTag);
    m_builder.AddEmpty(type, flags);
    Transmit(m_builder);
}

void
SctpSocket::StartT3IfIdle(size_t i)
{
    SctpPath& p = PathAt(i);
    if (!p.t3Rtx.IsRunning())
    {
        p.t3Rtx = i == 0 ? Simulator::Schedule(p.rto, &SctpSocket::T3ExpiredPrimary, this)
                         : Simulator::Schedule(p.rto, &SctpSocket::T3Expired, this, i);
    }
}

void
SctpSocket::RestartT3(size_t i)
{
    SctpPath& p = PathAt(i);
    p.t3Rtx.Cancel();
    p.t3Rtx = i == 0 ? Simulator::Schedule(p.rto, &SctpSocket::T3ExpiredPrimary, this)
                     : Simulator::Schedule(p.rto, &SctpSocket::T3Expired, this, i);
}

void
SctpSocket::T3Expired(size_t pathIndex)
{
    SctpPath& path = PathAt(pathIndex);
    ++m_stats.t3Expirations;
    NS_LOG_INFO(this << " T3-rtx expired on " << path.address << ", rto " << path.rto.As(Time::MS));
    // Probes into a closed window are not errors while SACKs keep coming (§6.1).
    bool zeroWindowProbe = m_peerRwnd == 0 && m_sackSinceT3;
    m_sackSinceT3 = false;
    if (!zeroWindowProbe && CountError(pathIndex))
    {
        return;
    }
    // §7.2.3 and §6.3.3 E1-E3, for the destination whose timer expired.
    uint32_t mtu = path.Mtu();
    SetSsthresh(path, std::max(path.cwnd / 2, 4 * mtu));
    SetCwnd(path, mtu);
    path.partialBytesAcked = 0;
    SetRto(path, std::min(path.rto * 2, m_rtoMax));
    path.timing = false;
    m_inFastRecovery = false;
    m_fastRtxPending = false;
    if (m_prsctp)
    {
        // RFC 3758 A5: try to advance Advanced.Peer.Ack.Point (C2-C5); a
        // FORWARD TSN not yet acknowledged goes again.
        AbandonExpired();
        AdvanceAckPoint();
    }
    for (size_t i = 0; i < m_nextUnsent; ++i)
    {
        OutChunk& ch = m_outQueue[i];
        if (ch.gapAcked || ch.path != pathIndex || ch.abandoned)
        {
            continue; // E2: the chunks outstanding on that destination
        }
        if (ch.inFlight)
        {
            ch.inFlight = false;
            path.flightSize -= ch.len;
        }
        if (!ch.markedRtx)
        {
            ch.markedRtx = true;
            ++m_rtxCount;
        }
        ch.fastRtx = false;
    }
    // E3: what fits in one packet now (to an alternate path if there is an
    // active one, §6.4.1); the rest as cwnd allows (on SACKs).
    m_packetLimit = 1;
    TrySend();
    if (m_altPaths.empty())
    {
        if (!m_path.t3Rtx.IsRunning() && m_nextUnsent > 0)
        {
            RestartT3(0);
        }
        return;
    }
    bool anyT3 = false;
    for (size_t i = 0; i < GetPathCount(); ++i)
    {
        anyT3 = anyT3 || PathAt(i).t3Rtx.IsRunning();
    }
    if (!anyT3 && m_nextUnsent > 0)
    {
        RestartT3(RtxPathIndex());
    }
}

// ---------------------------------------------------------------------------
// Heartbeat (§8.3)
// ---------------------------------------------------------------------------

void
SctpSocket::StartHeartbeat()
{
    for (size_t i = 0; i < GetPathCount(); ++i)
    {
        StartHeartbeat(i);
    }
}

void
SctpSocket::StartHeartbeat(size_t i)
{
    if (!m_hbEnabled)
    {
        return;
    }
    SctpPath& p = PathAt(i);
    Time delay;
    if (!p.confirmed)
    {
        // §5.4: probe an unconfirmed address at once, then once per RTO.
        delay = p.hbTimer.IsExpired() && !p.hbOutstanding ? Time(0) : p.rto;
    }
    else
    {
        // HB.interval + RTO, jittered by +-50% of RTO.
        double jitter = double(m_sctp->RandomNonZero() % 1001) / 1000.0 - 0.5;
        delay = m_hbInterval + Seconds(p.rto.GetSeconds() * (1.0 + jitter));
    }
    p.hbTimer.Cancel();
    p.hbTimer = i == 0 ? Simulator::Schedule(delay, &SctpSocket::HeartbeatTimerPrimary, this)
                       : Simulator::Schedule(delay, &SctpSocket::HeartbeatTimer, this, i);
}

void
SctpSocket::HeartbeatTimer(size_t i)
{
    SctpPath& p = PathAt(i);
    if (p.hbOutstanding)
    {
        // The previous HEARTBEAT is still unanswered and is replaced now (a
        // late ACK for it no longer matches). Normally one RTO has passed
        // and it was counted; if not (the next one can be due sooner when
        // RTO is more than twice HB.interval), it counts now.
        p.hbOutstanding = false;
        p.hbAckTimer.Cancel();
        if (!p.hbErrorCounted && HeartbeatUnanswered(i))
        {
            return;
        }
    }
    bool idle = !p.confirmed || Simulator::Now() - p.lastDataSent >= m_hbInterval;
    if (idle)
    {
        uint8_t info[12];
        p.hbNonce = m_sctp->RandomNonZero();
        uint64_t now = uint64_t(Simulator::Now().GetNanoSeconds());
        Put32At(info, p.hbNonce);
        Put32At(info + 4, uint32_t(now >> 32));
        Put32At(info + 8, uint32_t(now));
        m_builder.Begin(m_localPort, m_peerPort, m_peerTag);
        m_builder.AddHeartbeat(CHUNK_HEARTBEAT, info, sizeof info);
        if (m_altPaths.empty())
        {
            Transmit(m_builder);
        }
        else
        {
            Transmit(m_builder, p);
        }
        p.hbOutstanding = true;
        p.hbErrorCounted = false;
        // §8.3: unacknowledged within one RTO, it counts as an error then.
        // Scheduled before the next HEARTBEAT's timer (StartHeartbeat below),
        // so when both fall at the same time (unconfirmed probes, RTO
        // apart) the error is counted first.
        p.hbAckTimer = Simulator::Schedule(p.rto, &SctpSocket::HeartbeatAckTimeout, this, p.hbNonce);
        ++m_stats.heartbeatsSent;
    }
    StartHeartbeat(i);
}

void
SctpSocket::HeartbeatAckTimeout(uint32_t nonce)
{
    // By nonce, not path index: SetPrimaryPath may have swapped the paths.
    for (size_t i = 0; i < GetPathCount(); ++i)
    {
        SctpPath& p = PathAt(i);
        if (p.hbOutstanding && p.hbNonce == nonce && !p.hbErrorCounted)
        {
            HeartbeatUnanswered(i);
            return;
        }
    }
}

bool
SctpSocket::HeartbeatUnanswered(size_t i)
{
    SctpPath& p = PathAt(i);
    p.hbErrorCounted = true;
    // §8.1: a lost HEARTBEAT counts against the association only on the
    // path data is using; on the others (and unconfirmed ones) against the path.
    bool countAssociation = p.confirmed && i == GetDataPathIndex();
    if (CountError(i, countAssociation))
    {
        return true;
    }
    // §8.3: exponential back-off of the path's RTO while its HEARTBEATs
    // go unanswered, as after a T3 expiry (§6.3.3 E2), capped at
    // RTO.Max. It spaces the next probe (confirmed: HB.interval + RTO,
    // unconfirmed: RTO) and the path's T3; an RTT from a HEARTBEAT ACK
    // or a SACK sets it by §6.3.1 again.
    SetRto(p, std::min(p.rto * 2, m_rtoMax));
    return false;
}

void
SctpSocket::HandleHeartbeat(const ChunkView& c, const SctpIpAddress& src, const SctpIpAddress& dst)
{
    const uint8_t* info = nullptr;
    size_t len = 0;
    if (!DecodeHeartbeat(c, info, len).Ok())
    {
        return;
    }
    m_builder.Begin(m_localPort, m_peerPort, m_peerTag);
    m_builder.AddHeartbeat(CHUNK_HEARTBEAT_ACK, info, len);
    if (m_altPaths.empty() && !BoundToSeveral())
    {
        Transmit(m_builder);
    }
    else
    {
        TransmitTo(m_builder, dst, src); // §6.4: the ACK returns the way the HEARTBEAT came
    }
}

void
SctpSocket::HandleHeartbeatAck(const ChunkView& c)
{
    const uint8_t* info = nullptr;
    size_t len = 0;
    if (!DecodeHeartbeat(c, info, len).Ok() || len != 12)
    {
        return;
    }
    // The nonce says which path's HEARTBEAT this answers (each has its own).
    size_t i = 0;
    while (i < GetPathCount() && !(PathAt(i).hbOutstanding && PathAt(i).hbNonce == Get32(info)))
    {
        ++i;
    }
    if (i == GetPathCount())
    {
        return;
    }
    SctpPath& p = PathAt(i);
    p.hbOutstanding = false;
    p.hbAckTimer.Cancel();
    p.errorCount = 0;
    if (!p.confirmed)
    {
        NS_LOG_INFO(this << " peer address " << p.address << " confirmed");
        p.confirmed = true;
    }
    if (!p.active)
    {
        SetPathActive(i, true); // §8.3; a recovered primary takes the data back
    }
    m_assocErrors = 0;
    uint64_t sent = uint64_t(Get32(info + 4)) << 32 | Get32(info + 8);
    UpdateRto(p, NanoSeconds(int64_t(uint64_t(Simulator::Now().GetNanoSeconds()) - sent)));
    if (!m_altPaths.empty())
    {
        StartHeartbeat(i); // a newly confirmed path goes over to the HB.interval pace
    }
}

// ---------------------------------------------------------------------------
// Shutdown and abort (§9)
// ---------------------------------------------------------------------------

void
SctpSocket::CheckShutdown()
{
    if (!AllDataAcked())
    {
        return;
    }
    if (m_state == SCTP_SHUTDOWN_PENDING)
    {
        SetState(SCTP_SHUTDOWN_SENT);
        for (size_t i = 0; i < GetPathCount(); ++i)
        {
            PathAt(i).t3Rtx.Cancel();
        }
        SendShutdown();
    }
    else if (m_state == SCTP_SHUTDOWN_RECEIVED)
    {
        SetState(SCTP_SHUTDOWN_ACK_SENT);
        for (size_t i = 0; i < GetPathCount(); ++i)
        {
            PathAt(i).t3Rtx.Cancel();
        }
        SendShutdownAck();
    }
}

void
SctpSocket::SendShutdown()
{
    m_builder.Begin(m_localPort, m_peerPort, m_peerTag);
    if (!m_rxAbove.empty() || !m_dupTsns.empty())
    {
        // §9.2: the SHUTDOWN's cumulative TSN cannot report gaps or
        // duplicates, so a SACK MUST go with it, and leave it room (its
        // header and Cumulative TSN Ack, §3.3.8).
        BuildSack(m_builder, kChunkHeaderSize + 4);
    }
    m_builder.AddShutdown(uint32_t(m_rxCumExt));
    Transmit(m_builder);
    m_sackDue = false;
    m_sackTimer.Cancel();
    m_dataPacketsUnacked = 0;
    m_t2Timer.Cancel();
    m_t2Timer = Simulator::Schedule(m_path.rto, &SctpSocket::T2Expired, this);
}

void
SctpSocket::SendShutdownAck()
{
    SendControl(CHUNK_SHUTDOWN_ACK);
    m_t2Timer.Cancel();
    m_t2Timer = Simulator::Schedule(m_path.rto, &SctpSocket::T2Expired, this);
}

void
SctpSocket::T2Expired()
{
    if (CountError())
    {
        return;
    }
    SetRto(std::min(m_path.rto * 2, m_rtoMax));
    if (m_state == SCTP_SHUTDOWN_SENT)
    {
        SendShutdown();
    }
    else if (m_state == SCTP_SHUTDOWN_ACK_SENT)
    {
        SendShutdownAck();
    }
}

void
SctpSocket::HandleShutdown(const ChunkView& c)
{
    uint32_t cum = 0;
    if (!DecodeShutdown(c, cum).Ok())
    {
        return;
    }
    // §9.2: on SHUTDOWN the endpoint enters SHUTDOWN-RECEIVED and MUST NOT
    // accept new data from its user: enter it before the cumulative ack
    // below frees buffer space, so that nothing can be queued after the
    // SHUTDOWN arrived.
    if (m_state == SCTP_ESTABLISHED || m_state == SCTP_SHUTDOWN_PENDING)
    {
        SetState(SCTP_SHUTDOWN_RECEIVED);
        m_shutdownSend = true;
    }
    if (CanSendData() && !TsnLt(cum, m_cumAck))
    {
        uint32_t bytes = 0;
        uint32_t highest = 0;
        bool have = false;
        uint32_t highestSent = m_nextUnsent ? m_outQueue[m_nextUnsent - 1].tsn : m_cumAck;
        if (TsnLe(cum, highestSent))
        {
            bool advanced = TsnLt(m_cumAck, cum);
            ProcessCumAck(cum, bytes, highest, have);
            // The same T3 rules as for a SACK (§6.3.2 R2/R3).
            for (size_t i = 0; i < GetPathCount(); ++i)
            {
                if (!PathOutstanding(i))
                {
                    PathAt(i).t3Rtx.Cancel();
                }
                else if (advanced)
                {
                    RestartT3(i);
                }
            }
        }
    }
    switch (m_state)
    {
    case SCTP_SHUTDOWN_RECEIVED:
        // Just entered, or a repeated SHUTDOWN: it may acknowledge our last data.
        CheckShutdown();
        break;
    case SCTP_SHUTDOWN_SENT:
        // Both sides closing (§9.2): answer with SHUTDOWN ACK.
        SetState(SCTP_SHUTDOWN_ACK_SENT);
        SendShutdownAck();
        break;
    default:
        break;
    }
}

void
SctpSocket::HandleShutdownAck()
{
    if (m_state != SCTP_SHUTDOWN_SENT && m_state != SCTP_SHUTDOWN_ACK_SENT)
    {
        return;
    }
    SendControl(CHUNK_SHUTDOWN_COMPLETE);
    CloseAssociation(CloseReason::Normal);
}

void
SctpSocket::HandleShutdownComplete()
{
    if (m_state == SCTP_SHUTDOWN_ACK_SENT)
    {
        CloseAssociation(CloseReason::Normal);
    }
}

void
SctpSocket::HandleAbort()
{
    NS_LOG_INFO(this << " ABORT received in " << SctpStateName(m_state));
    bool connecting = m_state == SCTP_COOKIE_WAIT || m_state == SCTP_COOKIE_ECHOED;
    m_errno = ERROR_SHUTDOWN;
    CloseAssociation(connecting ? CloseReason::ConnectFailed : CloseReason::Error);
}

void
SctpSocket::HandleError(const ChunkView& c)
{
    std::vector<ErrorCause> causes;
    if (!DecodeCauses(c, causes).Ok())
    {
        return;
    }
    for (const auto& cause : causes)
    {
        NS_LOG_INFO(this << " ERROR cause " << cause.code << " from peer");
        if (cause.code == CAUSE_STALE_COOKIE && m_state == SCTP_COOKIE_ECHOED)
        {
            // §5.2.6: start over with a fresh INIT (counts against Max.Init.Retransmits).
            m_t1Timer.Cancel();
            if (++m_initRetrans > m_maxInitRetrans)
            {
                CloseAssociation(CloseReason::ConnectFailed);
                return;
            }
            m_peerTag = 0;
            SetState(SCTP_COOKIE_WAIT);
            SendInit();
            return;
        }
    }
}

void
SctpSocket::SendAbort(uint16_t cause, bool notifyApp, const uint8_t* info, size_t infoLen)
{
    if (Bound() && m_state != SCTP_CLOSED && m_state != SCTP_LISTEN &&
        m_state != SCTP_COOKIE_WAIT)
    {
        m_builder.Begin(m_localPort, m_peerPort, m_peerTag);
        if (cause)
        {
            m_builder.AddCause(CHUNK_ABORT, 0, cause, info, infoLen);
        }
        else
        {
            m_builder.AddEmpty(CHUNK_ABORT, 0);
        }
        Transmit(m_builder);
    }
    bool connecting = m_state == SCTP_COOKIE_WAIT || m_state == SCTP_COOKIE_ECHOED;
    CloseAssociation(!notifyApp       ? CloseReason::Local
                     : connecting     ? CloseReason::ConnectFailed
                                      : CloseReason::Error);
}

int
SctpSocket::Abort()
{
    SendAbort(0, false);
    return 0;
}

void
SctpSocket::CancelTimers()
{
    m_t1Timer.Cancel();
    m_t2Timer.Cancel();
    m_sackTimer.Cancel();
    m_path.t3Rtx.Cancel();
    m_path.hbTimer.Cancel();
    m_path.hbAckTimer.Cancel();
    for (SctpPath& p : m_altPaths)
    {
        p.t3Rtx.Cancel();
        p.hbTimer.Cancel();
        p.hbAckTimer.Cancel();
    }
}

void
SctpSocket::CloseAssociation(CloseReason why)
{
    Ptr<SctpSocket> self = this;
    CancelTimers();
    SetState(SCTP_CLOSED);
    m_shutdownSend = true;
    DeallocateEndPoint();
    m_outQueue.clear();
    m_nextUnsent = 0;
    m_txBufBytes = 0;
    m_rtxCount = 0;
    m_path.flightSize = 0;
    for (SctpPath& p : m_altPaths)
    {
        p.flightSize = 0;
    }
    switch (why)
    {
    case CloseReason::Normal:
        NotifyNormalClose();
        break;
    case CloseReason::Error:
        NotifyErrorClose();
        break;
    case CloseReason::ConnectFailed:
        NotifyConnectionFailed();
        break;
    case CloseReason::Local:
        break;
    }
    if (m_sctp)
    {
        m_sctp->RemoveSocket(this);
    }
}

int
SctpSocket::Close()
{
    switch (m_state)
    {
    case SCTP_CLOSED:
        DeallocateEndPoint();
        return 0;
    case SCTP_LISTEN:
    case SCTP_COOKIE_WAIT:
        CloseAssociation(CloseReason::Local);
        return 0;
    case SCTP_COOKIE_ECHOED:
        m_closeOnEstablish = true;
        return 0;
    case SCTP_ESTABLISHED:
        SetState(SCTP_SHUTDOWN_PENDING);
        m_shutdownSend = true;
        CheckShutdown();
        return 0;
    default:
        return 0; // already shutting down
    }
}

int
SctpSocket::ShutdownSend()
{
    // SCTP has no half-close (§9.2); refuse further Sends.
    m_shutdownSend = true;
    return 0;
}

int
SctpSocket::ShutdownRecv()
{
    m_shutdownRecv = true;
    return 0;
}

// ---------------------------------------------------------------------------
// Send / Recv
// ---------------------------------------------------------------------------

uint32_t
SctpSocket::GetTxAvailable() const
{
    return m_txBufBytes < m_sndBufSize ? m_sndBufSize - m_txBufBytes : 0;
}

int
SctpSocket::SendMsg(Ptr<Packet> p, uint16_t sid, bool unordered, uint32_t ppid)
{
    SctpStreamTag tag(sid, unordered, ppid);
    p->ReplacePacketTag(tag);
    return Send(p, 0);
}

int
SctpSocket::SendMsg(Ptr<Packet> p, uint16_t sid, bool unordered, uint32_t ppid, Time lifetime)
{
    SctpStreamTag tag(sid, unordered, ppid);
    p->ReplacePacketTag(tag);
    SctpLifetimeTag life(lifetime);
    p->ReplacePacketTag(life);
    return Send(p, 0);
}

int
SctpSocket::Send(Ptr<Packet> p, uint32_t)
{
    bool open = m_state == SCTP_ESTABLISHED || m_state == SCTP_COOKIE_WAIT ||
                m_state == SCTP_COOKIE_ECHOED;
    if (!open || m_shutdownSend)
    {
        m_errno = m_state == SCTP_CLOSED || m_state == SCTP_LISTEN ? ERROR_NOTCONN : ERROR_SHUTDOWN;
        return -1;
    }
    SctpStreamTag tag;
    bool tagged = p->PeekPacketTag(tag);
    uint16_t sid = tagged ? tag.GetStreamId() : 0;
    bool unordered = tagged && tag.IsUnordered();
    uint32_t ppid = tagged ? tag.GetPpid() : 0;
    SctpLifetimeTag lifeTag;
    Time lifetime = p->PeekPacketTag(lifeTag) ? lifeTag.GetLifetime() : Time();
    uint16_t streams = m_state == SCTP_ESTABLISHED ? m_outStreams : m_numOutStreams;
    uint32_t size = p->GetSize();
    if (sid >= streams || size == 0)
    {
        m_errno = ERROR_INVAL;
        return -1;
    }
    if (size > GetTxAvailable())
    {
        m_errno = ERROR_MSGSIZE;
        return -1;
    }
    auto msg = std::make_shared<std::vector<uint8_t>>(size);
    p->CopyData(msg->data(), size);
    Ptr<const Packet> tagSrc = SctpHasByteTags(*p) ? p->Copy() : nullptr;
    uint16_t ssn = unordered ? 0 : m_outSsn[sid]++;
    uint32_t mid = unordered ? m_outUMid[sid]++ : m_outMid[sid]++;
    uint32_t maxFrag = m_path.MaxDataPayload();
    for (const SctpPath& alt : m_altPaths)
    {
        maxFrag = std::min(maxFrag, alt.MaxDataPayload()); // a fragment fits every path
    }
    if (m_idata || (m_state != SCTP_ESTABLISHED && OffersIData()))
    {
        // I-DATA's header is 4 bytes longer. Before set-up it may yet be
        // negotiated: cut for it, so the fragments fit either way.
        maxFrag -= uint32_t(kIDataChunkHeaderSize - kDataChunkHeaderSize);
    }
    if (lifetime.IsStrictlyPositive())
    {
        if (m_state == SCTP_ESTABLISHED && !m_prsctp)
        {
            ++m_stats.lifetimesIgnored; // no PR-SCTP: reliable, as RFC 3758 §3.3.3 2)
        }
        else
        {
            m_timedMsgs.push_back({m_nextTsn,
                                   (size + maxFrag - 1) / maxFrag,
                                   Simulator::Now() + lifetime,
                                   sid,
                                   unordered,
                                   mid});
        }
    }
    for (uint32_t off = 0; off < size; off += maxFrag)
    {
        OutChunk ch;
        ch.tsn = m_nextTsn++;
        ch.sid = sid;
        ch.ssn = ssn;
        ch.ppid = ppid;
        ch.len = std::min(maxFrag, size - off);
        ch.flags = uint8_t((off == 0 ? DATA_FLAG_BEGIN : 0) |
                           (off + ch.len == size ? DATA_FLAG_END : 0) |
                           (unordered ? DATA_FLAG_UNORDERED : 0));
        ch.msg = msg;
        ch.tagSrc = tagSrc;
        ch.offset = off;
        ch.mid = mid;
        ch.fsn = off / maxFrag;
        m_outQueue.push_back(std::move(ch));
    }
    m_txBufBytes += size;
    if (m_idata && m_scheduler == SCHED_ROUND_ROBIN)
    {
        ScheduleRoundRobin();
    }
    if (CanSendData() && !m_inReceive)
    {
        TrySend(); // from a callback during ReceivePacket: its final TrySend sends
    }
    return int(size);
}

void
SctpSocket::ScheduleRoundRobin()
{
    // Only never-sent chunks move: their TSNs are not yet on the wire, so
    // they can be handed out again in the new order. With I-DATA a message's
    // fragments need not have consecutive TSNs (RFC 8260 §2.1), so the
    // scheduler may switch streams between them (§3).
    size_t from = m_nextUnsent;
    if (m_outQueue.size() - from < 2)
    {
        return;
    }
    // Streams in turn, starting after the stream whose chunk went last.
    uint16_t last = from > 0 ? m_outQueue[from - 1].sid : m_outQueue[from].sid;
    uint32_t tsn = m_outQueue[from].tsn; // the unsent part is in TSN order
    std::map<uint16_t, std::deque<OutChunk>> byStream;
    for (size_t i = from; i < m_outQueue.size(); ++i)
    {
        byStream[m_outQueue[i].sid].push_back(std::move(m_outQueue[i]));
    }
    m_outQueue.erase(m_outQueue.begin() + long(from), m_outQueue.end());
    auto next = byStream.upper_bound(last);
    while (!byStream.empty())
    {
        if (next == byStream.end())
        {
            next = byStream.begin();
        }
        m_outQueue.push_back(std::move(next->second.front()));
        next->second.pop_front();
        next = next->second.empty() ? byStream.erase(next) : std::next(next);
    }
    for (size_t i = from; i < m_outQueue.size(); ++i)
    {
        m_outQueue[i].tsn = tsn++;
    }
}

int
SctpSocket::SendTo(Ptr<Packet> p, uint32_t flags, const Address&)
{
    return Send(p, flags); // one-to-one style: the association's peer
}

uint32_t
SctpSocket::GetRxAvailable() const
{
    return m_rxQueueBytes;
}

Ptr<Packet>
SctpSocket::Recv(uint32_t maxSize, uint32_t)
{
    if (m_rxQueue.empty() || maxSize == 0)
    {
        m_errno = ERROR_AGAIN;
        return nullptr;
    }
    RxMessage& m = m_rxQueue.front();
    SctpStreamTag tag(m.sid, m.unordered, m.ppid);
    tag.SetSsn(m.ssn);
    tag.SetPartialDeliveryAborted(m.aborted);
    Ptr<Packet> out;
    if (m.packet->GetSize() <= maxSize)
    {
        out = m.packet;
        tag.SetEndOfRecord(m.eor);
        m_rxQueue.pop_front();
    }
    else
    {
        // Partial read: the rest of the message stays at the head.
        out = m.packet->CreateFragment(0, maxSize);
        m.packet->RemoveAtStart(maxSize);
        tag.SetEndOfRecord(false);
    }
    m_rxQueueBytes -= out->GetSize();
    out->ReplacePacketTag(tag);
    MaybeWindowUpdate();
    return out;
}

Ptr<Packet>
SctpSocket::RecvFrom(uint32_t maxSize, uint32_t flags, Address& fromAddress)
{
    Ptr<Packet> p = Recv(maxSize, flags);
    if (p)
    {
        fromAddress = SocketAddress(m_peerAddress, m_peerPort);
    }
    return p;
}

int
SctpSocket::GetSockName(Address& address) const
{
    address = SocketAddress(m_localAddress, m_localPort);
    return 0;
}

int
SctpSocket::GetPeerName(Address& address) const
{
    if (!m_connected)
    {
        const_cast<SctpSocket*>(this)->m_errno = ERROR_NOTCONN;
        return -1;
    }
    address = SocketAddress(m_peerAddress, m_peerPort);
    return 0;
}

bool
SctpSocket::SetAllowBroadcast(bool allowBroadcast)
{
    return !allowBroadcast;
}

bool
SctpSocket::GetAllowBroadcast() const
{
    return false;
}

} // namespace ns3
