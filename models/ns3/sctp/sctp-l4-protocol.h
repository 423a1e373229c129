// SCTP as an ns-3 L4 protocol (IP protocol 132) over IPv4 and IPv6, built like
// UdpL4Protocol / TcpL4Protocol: aggregated to a node beside Ipv4 and/or Ipv6,
// demultiplexes through an Ipv4EndPointDemux / Ipv6EndPointDemux, makes
// SctpSockets, verifies the CRC32c of every packet and answers out-of-the-blue
// packets (RFC 9260 §8.4).
#pragma once

#include "sctp-path.h"
#include "sctp-tags.h"
#include "sctp-wire.h"

#include "ns3/ip-l4-protocol.h"
#include "ns3/node.h"
#include "ns3/ipv4-address.h"
#include "ns3/ipv6-address.h"
#include "ns3/ptr.h"
#include "ns3/traced-callback.h"

#include <array>
#include <string>
#include <map>
#include <unordered_map>
#include <vector>

namespace ns3
{

class Node;
class Socket;
class SctpSocket;
class Ipv4EndPoint;
class Ipv4EndPointDemux;
class Ipv6EndPoint;
class Ipv6EndPointDemux;
class NetDevice;
class Packet;
class UniformRandomVariable;

class SctpL4Protocol : public IpL4Protocol
{
  public:
    static TypeId GetTypeId();
    static const uint8_t PROT_NUMBER = 132;

    SctpL4Protocol();
    ~SctpL4Protocol() override;
    SctpL4Protocol(const SctpL4Protocol&) = delete;
    SctpL4Protocol& operator=(const SctpL4Protocol&) = delete;

    void SetNode(Ptr<Node> node);
    Ptr<Node> GetNode() const
    {
        return m_node;
    }

    /// A new one-to-one SCTP socket on this node.
    Ptr<Socket> CreateSocket();

    Ipv4EndPoint* Allocate();
    Ipv4EndPoint* Allocate(Ipv4Address address);
    Ipv4EndPoint* Allocate(Ptr<NetDevice> boundNetDevice, uint16_t port);
    Ipv4EndPoint* Allocate(Ptr<NetDevice> boundNetDevice, Ipv4Address address, uint16_t port);
    Ipv4EndPoint* Allocate(Ptr<NetDevice> boundNetDevice,
                           Ipv4Address localAddress,
                           uint16_t localPort,
                           Ipv4Address peerAddress,
                           uint16_t peerPort);
    void DeAllocate(Ipv4EndPoint* endPoint);
    /// What Bind needs, for either IP version: an any address and/or port 0
    /// leave the address open and/or pick an ephemeral port.
    Ipv4EndPoint* AllocateLocal(Ptr<NetDevice> boundNetDevice, Ipv4Address address, uint16_t port);
    Ipv6EndPoint* AllocateLocal(Ptr<NetDevice> boundNetDevice, Ipv6Address address, uint16_t port);
    Ipv6EndPoint* Allocate6(Ptr<NetDevice> boundNetDevice,
                            Ipv6Address localAddress,
                            uint16_t localPort,
                            Ipv6Address peerAddress,
                            uint16_t peerPort);
    void DeAllocate(Ipv6EndPoint* endPoint);
    /// Packets for endPoint go to socket (parsed once, here).
    void Register(Ipv4EndPoint* endPoint, Ptr<SctpSocket> socket);
    void Register(Ipv6EndPoint* endPoint, Ptr<SctpSocket> socket);
    /// Multihoming (RFC 9260 §6.4): packets from peerAddress:peerPort to
    /// localPort on any local address the socket holds reach it, whatever the
    /// end points say. Only multihomed associations register here (IPv4 and
    /// IPv6 in tables of their own).
    void RegisterPeerAddress(const SctpIpAddress& peerAddress,
                             uint16_t peerPort,
                             uint16_t localPort,
                             Ptr<SctpSocket> socket);
    /// Removes the entry if it still belongs to socket (a plain pointer: the
    /// socket may be in its destructor).
    void UnregisterPeerAddress(const SctpIpAddress& peerAddress,
                               uint16_t peerPort,
                               uint16_t localPort,
                               const SctpSocket* socket);
    void AddSocket(Ptr<SctpSocket> socket);
    void RemoveSocket(Ptr<SctpSocket> socket);

    /// Hands a finished SCTP packet (checksum written) to IPv4; returns it for tracing.
    /// tagSpans: user bytes inside DATA chunks whose byte tags go onto the packet.
    Ptr<Packet> SendPacket(const std::vector<uint8_t>& bytes,
                           Ipv4Address saddr,
                           Ipv4Address daddr,
                           const std::vector<SctpByteTagSpan>& tagSpans = {});
    /// The same over IPv6, routed through the node's Ipv6RoutingProtocol.
    Ptr<Packet> SendPacket(const std::vector<uint8_t>& bytes,
                           Ipv6Address saddr,
                           Ipv6Address daddr,
                           const std::vector<SctpByteTagSpan>& tagSpans = {});
    /// saddr and daddr are of the same IP version.
    Ptr<Packet> SendPacket(const std::vector<uint8_t>& bytes,
                           const SctpIpAddress& saddr,
                           const SctpIpAddress& daddr,
                           const std::vector<SctpByteTagSpan>& tagSpans = {});

    /// Secret key for the state cookie HMAC, drawn once per node.
    const std::array<uint8_t, 32>& GetCookieKey();
    /// A random non-zero 32-bit value (verification tags, initial TSNs).
    uint32_t RandomNonZero();
    /// Deterministic random streams (ns-3 convention); returns streams used.
    int64_t AssignStreams(int64_t stream);

    uint64_t GetChecksumErrors() const
    {
        return m_checksumErrors;
    }
    uint64_t GetMalformedPackets() const
    {
        return m_malformed;
    }
    uint64_t GetOutOfTheBlue() const
    {
        return m_ootb;
    }

    /// Answers a packet that belongs to no association (RFC 9260 §8.4);
    /// src and dst are the packet's IP addresses.
    void HandleOutOfTheBlue(const sctp::PacketView& pkt,
                            const SctpIpAddress& src,
                            const SctpIpAddress& dst);

    // IpL4Protocol
    int GetProtocolNumber() const override;
    enum IpL4Protocol::RxStatus Receive(Ptr<Packet> p,
                                        const Ipv4Header& header,
                                        Ptr<Ipv4Interface> incomingInterface) override;
    enum IpL4Protocol::RxStatus Receive(Ptr<Packet> p,
                                        const Ipv6Header& header,
                                        Ptr<Ipv6Interface> incomingInterface) override;
    void SetDownTarget(IpL4Protocol::DownTargetCallback cb) override;
    void SetDownTarget6(IpL4Protocol::DownTargetCallback6 cb) override;
    IpL4Protocol::DownTargetCallback GetDownTarget() const override;
    IpL4Protocol::DownTargetCallback6 GetDownTarget6() const override;

  protected:
    void DoDispose() override;
    void NotifyNewAggregate() override;

  private:
    // One receive path for both IP versions: the header, demux and interface
    // types differ, the SCTP processing does not.
    template <class Header, class Demux, class Interface, class Owners>
    enum IpL4Protocol::RxStatus DoReceive(Ptr<Packet> p,
                                          const Header& header,
                                          Demux* demux,
                                          const Owners& owners,
                                          Ptr<Interface> incomingInterface);
    void TraceRx(Ptr<const Packet> p, Ipv4Address src, Ipv4Address dst)
    {
        m_rxTrace(p, src, dst);
    }
    void TraceRx(Ptr<const Packet> p, Ipv6Address src, Ipv6Address dst)
    {
        m_rxTrace6(p, src, dst);
    }
    // The multihomed association a packet belongs to, if any (before the end
    // point demux, which knows one peer address per end point).
    Ptr<SctpSocket> LookupMultihomed(Ipv4Address src, Ipv4Address dst) const;
    Ptr<SctpSocket> LookupMultihomed(Ipv6Address src, Ipv6Address dst) const;
    static uint64_t PeerKey(Ipv4Address peer, uint16_t peerPort, uint16_t localPort)
    {
        return uint64_t(peer.Get()) << 32 | uint32_t(peerPort) << 16 | localPort;
    }
    Ptr<Packet> MakePacket(const std::vector<uint8_t>& bytes,
                           const std::vector<SctpByteTagSpan>& tagSpans) const;

    Ptr<Node> m_node;
    Ipv4EndPointDemux* m_endPoints;
    Ipv6EndPointDemux* m_endPoints6;
    std::unordered_map<Ipv4EndPoint*, Ptr<SctpSocket>> m_owners;
    std::unordered_map<Ipv6EndPoint*, Ptr<SctpSocket>> m_owners6;
    std::unordered_map<uint64_t, Ptr<SctpSocket>> m_multihomed; // PeerKey -> association
    // The IPv6 table: (peer address, peer port << 16 | local port) -> association.
    std::map<std::pair<Ipv6Address, uint32_t>, Ptr<SctpSocket>> m_multihomed6;
    std::vector<Ptr<SctpSocket>> m_sockets;
    IpL4Protocol::DownTargetCallback m_downTarget;
    IpL4Protocol::DownTargetCallback6 m_downTarget6;
    Ptr<UniformRandomVariable> m_rng;
    std::array<uint8_t, 32> m_cookieKey{};
    bool m_haveCookieKey = false;
    bool m_verifyChecksum = true;
    std::vector<uint8_t> m_rxBuf;
    sctp::PacketView m_rxView;
    uint64_t m_checksumErrors = 0;
    uint64_t m_malformed = 0;
    uint64_t m_ootb = 0;

    TracedCallback<Ptr<const Packet>, Ipv4Address, Ipv4Address> m_txTrace;
    TracedCallback<Ptr<const Packet>, Ipv4Address, Ipv4Address> m_rxTrace;
    // Separate sources for IPv6 so that the IPv4 ones keep their signature.
    TracedCallback<Ptr<const Packet>, Ipv6Address, Ipv6Address> m_txTrace6;
    TracedCallback<Ptr<const Packet>, Ipv6Address, Ipv6Address> m_rxTrace6;
    /// Packets dropped before reaching a socket, with the reason.
    TracedCallback<Ptr<const Packet>, const std::string&> m_dropTrace;
};

} // namespace ns3
