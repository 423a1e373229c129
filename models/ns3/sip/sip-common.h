#pragma once
// Small helpers shared by the UA and the proxy (internal).
#include <cstdint>
#include <string>
#include <string_view>

#include "ns3/ipv4-address.h"
#include "ns3/sip/sip-endpoint.h"
#include "ns3/sip/sip-im-types.h"
#include "sip/headers.h"
#include "sip/message.h"
#include "sip/proxy_ops.h"
#include "sip/uri.h"

namespace ns3 {
namespace sipns3 {

SipMsgType TypeOfMethod(std::string_view method);
// The message's type (requests by method, responses kResponse).
SipMsgType TypeOf(const sipim::sip::Message& msg);
// What the message belongs to, from its Call-ID (kNone if foreign).
SipAttribution AttributionOf(const sipim::sip::Message& msg);
// "UDP", "TCP", "SCTP" (Via transport names).
std::string_view ViaTransportName(SipTransportProtocol t);
bool TransportFromName(std::string_view name, SipTransportProtocol* out);
// A dotted-quad host as an address; false for names.
bool HostToIpv4(std::string_view host, Ipv4Address* out);
// Where a SIP URI with a numeric host points: address, port (5060 when
// absent) and transport (;transport=, default `def`).
bool UriDest(const sipim::sip::Uri& uri, SipTransportProtocol def, Dest* out);
// The user@domain key of a SIP URI ("" if not a SIP URI with a user).
std::string AorKey(const sipim::sip::Uri& uri);
// RFC 3261 18.1.1: a request over UDP larger than mtu - 200 goes over TCP.
inline SipTransportProtocol ApplySizeSwitch(SipTransportProtocol t, std::size_t bytes,
                                            std::uint32_t mtu, bool enabled) {
  if (enabled && t == SipTransportProtocol::kUdp && bytes + 200 > mtu) return SipTransportProtocol::kTcp;
  return t;
}
std::string Ipv4ToString(Ipv4Address a);
// ASCII letters lowered (a host or domain as a case-insensitive key).
std::string LowerCase(std::string_view s);

// Where the responses to a request go (RFC 3261 18.2.2): over UDP its
// source address and port; over a stream the connection it came on, and
// once that is gone (an idle close) a new one to the source address at
// the top Via's sent-by port, where the sender listens.
Dest ReplyDest(const RxMeta& meta, const sipim::sip::Via& top);
// The same for a response sent without a transaction: from the request's
// top Via when it has one, else to the request's source address and port.
Dest StatelessReplyDest(const RxMeta& meta, const sipim::sip::Message& request);

// RFC 3261 18.2.1: the top Via of a request whose sent-by host is not the
// packet's source address `src` gets received=<src>; RFC 3581 4: one with
// rport gets received and rport=<port>. True with the request so marked in
// *bytes and *out (a response built from it then carries the marks); false
// when it needs nothing (or cannot be marked: it is then used as it came).
bool MarkViaSource(const sipim::sip::Message& req, Ipv4Address src, std::uint16_t port, std::string* bytes,
                   sipim::sip::Message* out);
// The same as one edit among others of a request being forwarded;
// `address` keeps the text the edit views.
void MarkViaSourceIn(sipim::sip::ProxyEdit* edit, const sipim::sip::Message& req, Ipv4Address src,
                     std::uint16_t port, std::string* address);

// RFC 3261 8.2.2.3 / 16.3 step 5: this stack supports no SIP extension, so
// every option-tag of every `id` field (Require or Proxy-Require) is
// unsupported. Returns the "Unsupported: a, b\r\n" line a 420 carries,
// or "" when the request has no such tag (text that is not a token is
// left out of the line).
std::string UnsupportedLine(const sipim::sip::Message& msg, sipim::sip::HeaderId id);

// RFC 3261 11.2: the fields a 200 to OPTIONS carries: Allow (`allow`, the
// element's methods), Accept (the bodies the UA acts on: SDP in INVITE,
// text in MESSAGE), Accept-Encoding (identity only), Accept-Language and
// an empty Supported (no option tags: see UnsupportedLine).
std::string OptionsCapabilities(std::string_view allow);

// The trace records (one place that fills them).
SipWireEvent WireEvent(std::uint32_t nodeId, SipTransportProtocol t, Ipv4Address peer,
                       std::uint16_t peerPort, SipAttribution attr, SipMsgType type,
                       std::uint16_t status, std::size_t bytes, bool retransmission, Time cpu);
SipDropEvent DropEvent(std::uint32_t nodeId, SipDropReason r, SipAttribution attr,
                       std::size_t bytes, std::string detail);

}  // namespace sipns3
}  // namespace ns3
