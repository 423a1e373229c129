// Per-destination state (RFC 9260 §6.3, §7, §8.3): congestion control, RTO,
// T3-rtx and heartbeat. Kept apart from the association so that multihoming
// (several paths per association) can be added without touching the rest.
#pragma once

#include "ns3/event-id.h"
#include "ns3/ipv4-address.h"
#include "ns3/ipv6-address.h"
#include "ns3/nstime.h"

#include <cstdint>
#include <ostream>
#include <variant>

namespace ns3
{

/// One IP address of an association, IPv4 or IPv6. A variant, not an ns3::Address: it goes along with every
/// packet, and Address conversions would cost more than the rest of the
/// per-packet address handling.
using SctpIpAddress = std::variant<Ipv4Address, Ipv6Address>;

inline bool
SctpIsIpv6(const SctpIpAddress& a)
{
    return std::holds_alternative<Ipv6Address>(a);
}

inline std::ostream&
operator<<(std::ostream& os, const SctpIpAddress& a)
{
    std::visit([&os](const auto& ip) { os << ip; }, a);
    return os;
}

struct SctpPath
{
    SctpIpAddress address;    // the peer's
    SctpIpAddress local;      // our source address for packets on this path
    uint32_t pmtu = 1500;     // IP-level path MTU
    uint32_t ipHeader = 20;   // the IP header on every packet (see SetIpv6)
    uint32_t cwnd = 0;        // bytes of user data
    uint32_t ssthresh = 0;
    uint32_t partialBytesAcked = 0;
    uint32_t flightSize = 0;  // user-data bytes sent, not acked, not marked lost
    Time srtt;
    Time rttvar;
    Time rto;
    bool rttMeasured = false; // false until the first RTT measurement (§6.3.1 C2)
    // One RTT measurement per round trip (§6.3.1 C4), never on a retransmission (Karn).
    bool timing = false;
    uint32_t timedTsn = 0;
    Time timedSentAt;
    EventId t3Rtx;
    EventId hbTimer;
    bool hbOutstanding = false;
    uint32_t hbNonce = 0;
    // §8.3: one RTO after a HEARTBEAT, if no HEARTBEAT ACK came, it counts
    // as an error (once: hbErrorCounted); a later ACK still clears the count.
    EventId hbAckTimer;
    bool hbErrorCounted = false;
    uint32_t errorCount = 0;
    bool active = true;
    // §5.4: a peer address learnt from an INIT / INIT ACK parameter carries
    // no data until a HEARTBEAT to it has been answered.
    bool confirmed = true;
    // Scratch for one SACK (multihomed only): bytes newly acked on this path
    // and its flight size before the SACK, for the per-destination §7.2 rules.
    uint32_t ackedNow = 0;
    uint32_t flightBefore = 0;
    Time lastDataSent;        // for idle detection (heartbeat, cwnd decay)

    /// Neither IPv4 options nor IPv6 extension headers are ever added.
    void SetIpv6(bool ipv6)
    {
        ipHeader = ipv6 ? 40 : 20;
    }
    /// Largest DATA payload that fits one packet: IP + common(12) + DATA(16).
    uint32_t MaxDataPayload() const
    {
        return Mtu() - 12 - 16;
    }
    /// The largest SCTP packet; cwnd and ssthresh work in these units (RFC 9260 §7.2).
    uint32_t Mtu() const
    {
        return pmtu - ipHeader;
    }
};

} // namespace ns3
