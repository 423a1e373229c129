#include "ns3/sip/sip-common.h"

#include <algorithm>

#include <sstream>
#include <string_view>

#include "msrp/stream.h"
#include "ns3/sip/sip-internal.h"
#include "sip/message.h"
#include "sip/stream_framer.h"

namespace ns3 {
namespace sipns3 {

namespace {
bool IEq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x | 0x20);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y | 0x20);
    if (x != y) return false;
  }
  return true;
}
}  // namespace

SipMsgType TypeOfMethod(std::string_view m) {
  if (m == "MESSAGE") return SipMsgType::kMessage;
  if (m == "INVITE") return SipMsgType::kInvite;
  if (m == "ACK") return SipMsgType::kAck;
  if (m == "BYE") return SipMsgType::kBye;
  if (m == "REGISTER") return SipMsgType::kRegister;
  return SipMsgType::kOtherRequest;
}

SipMsgType TypeOf(const sipim::sip::Message& msg) {
  return msg.is_request ? TypeOfMethod(msg.method) : SipMsgType::kResponse;
}

SipAttribution AttributionOf(const sipim::sip::Message& msg) {
  const sipim::sip::Header* h = msg.Find(sipim::sip::HeaderId::kCallId);
  if (!h) return {};
  return ParseAttributedId(h->value);
}

std::string_view ViaTransportName(SipTransportProtocol t) {
  switch (t) {
    case SipTransportProtocol::kUdp: return "UDP";
    case SipTransportProtocol::kTcp: return "TCP";
    case SipTransportProtocol::kSctp: return "SCTP";
  }
  return "UDP";
}

bool TransportFromName(std::string_view name, SipTransportProtocol* out) {
  if (IEq(name, "udp")) *out = SipTransportProtocol::kUdp;
  else if (IEq(name, "tcp")) *out = SipTransportProtocol::kTcp;
  else if (IEq(name, "sctp")) *out = SipTransportProtocol::kSctp;
  else return false;
  return true;
}

bool HostToIpv4(std::string_view host, Ipv4Address* out) {
  if (!sipim::sip::IsIPv4Address(host)) return false;
  *out = Ipv4Address(std::string(host).c_str());
  return true;
}

bool UriDest(const sipim::sip::Uri& uri, SipTransportProtocol def, Dest* out) {
  if (!uri.is_sip() || !HostToIpv4(uri.host, &out->address)) return false;
  out->port = uri.port > 0 ? static_cast<std::uint16_t>(uri.port) : 5060;
  out->transport = def;
  sipim::sip::Param p;
  if (uri.params.Find("transport", &p)) TransportFromName(p.value, &out->transport);
  out->connId = 0;
  return true;
}

std::string LowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
  return out;
}

std::string AorKey(const sipim::sip::Uri& uri) {
  if (!uri.is_sip() || !uri.has_user) return std::string();
  std::string k(uri.user);
  k += '@';
  for (char c : uri.host) k += (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
  return k;
}

std::string UnsupportedLine(const sipim::sip::Message& msg, sipim::sip::HeaderId id) {
  std::string tags;
  for (const sipim::sip::Header* h = msg.Find(id); h != nullptr; h = msg.FindNext(h)) {
    std::string_view v = h->value;
    while (!v.empty()) {
      const std::size_t comma = v.find(',');
      std::string_view tag = v.substr(0, comma);
      v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
      while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t' || tag.front() == '\r' || tag.front() == '\n'))
        tag.remove_prefix(1);
      while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t' || tag.back() == '\r' || tag.back() == '\n'))
        tag.remove_suffix(1);
      // RFC 3261 25.1 token characters only.
      const bool token = !tag.empty() && std::all_of(tag.begin(), tag.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
      });
      if (!token) continue;
      tags += tags.empty() ? "Unsupported: " : ", ";
      tags += tag;
    }
  }
  if (!tags.empty()) tags += "\r\n";
  return tags;
}

Dest ReplyDest(const RxMeta& meta, const sipim::sip::Via& top) {
  if (meta.transport == SipTransportProtocol::kUdp) return Dest{meta.transport, meta.from, meta.fromPort, 0};
  return Dest{meta.transport, meta.from, static_cast<std::uint16_t>(top.port > 0 ? top.port : 5060), meta.connId};
}

Dest StatelessReplyDest(const RxMeta& meta, const sipim::sip::Message& request) {
  sipim::sip::Via top;
  if (sipim::sip::TopVia(request, &top)) return Dest{meta.transport, meta.from, meta.fromPort, meta.connId};
  return ReplyDest(meta, top);
}

void MarkViaSourceIn(sipim::sip::ProxyEdit* edit, const sipim::sip::Message& req, Ipv4Address src,
                     std::uint16_t port, std::string* address) {
  sipim::sip::Via top;
  Ipv4Address host;
  if (sipim::sip::TopVia(req, &top) ||
      (!top.has_rport && top.received.empty() && HostToIpv4(top.host, &host) && host == src))
    return;
  *address = Ipv4ToString(src);
  edit->SetViaSource(*address, port);
}

bool MarkViaSource(const sipim::sip::Message& req, Ipv4Address src, std::uint16_t port, std::string* bytes,
                   sipim::sip::Message* out) {
  sipim::sip::ProxyEdit edit(req);
  std::string address;
  MarkViaSourceIn(&edit, req, src, port, &address);
  return !address.empty() && !edit.Apply(bytes) &&
         !sipim::sip::Parse(*bytes, sipim::sip::Framing::kDatagram, out);
}

std::string OptionsCapabilities(std::string_view allow) {
  std::string out = "Allow: ";
  out += allow;
  out +=
      "\r\nAccept: application/sdp, text/plain\r\nAccept-Encoding: identity\r\n"
      "Accept-Language: en\r\nSupported: \r\n";
  return out;
}

SipWireEvent WireEvent(std::uint32_t nodeId, SipTransportProtocol t, Ipv4Address peer,
                       std::uint16_t peerPort, SipAttribution attr, SipMsgType type,
                       std::uint16_t status, std::size_t bytes, bool retransmission, Time cpu) {
  SipWireEvent ev;
  ev.nodeId = nodeId;
  ev.attr = attr;
  ev.type = type;
  ev.status = status;
  ev.bytes = static_cast<std::uint32_t>(bytes);
  ev.transport = t;
  ev.retransmission = retransmission;
  ev.peer = peer;
  ev.peerPort = peerPort;
  ev.cpu = cpu;
  return ev;
}

SipDropEvent DropEvent(std::uint32_t nodeId, SipDropReason r, SipAttribution attr,
                       std::size_t bytes, std::string detail) {
  SipDropEvent ev;
  ev.nodeId = nodeId;
  ev.attr = attr;
  ev.reason = r;
  ev.bytes = static_cast<std::uint32_t>(bytes);
  ev.detail = std::move(detail);
  return ev;
}

std::string Ipv4ToString(Ipv4Address a) {
  std::ostringstream os;
  a.Print(os);
  return os.str();
}

bool NormalizeAor(const std::string& in, std::string* aor, std::string* user, std::string* domain) {
  // Views, and each output written once: this runs for every IM sent.
  std::string_view s(in);
  if (s.substr(0, 4) == "sip:") s.remove_prefix(4);
  const auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == s.size()) return false;
  // Only what can stand in a header value unquoted: no white space,
  // control bytes, brackets, quotes or list separators.
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == '"' || c == ',') return false;
  }
  user->assign(s.data(), at);
  domain->assign(s.data() + at + 1, s.size() - at - 1);
  for (char& c : *domain) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
  aor->clear();
  aor->reserve(5 + s.size());
  aor->append("sip:").append(*user).append(1, '@').append(*domain);
  return true;
}

std::unordered_map<std::uint64_t, std::shared_ptr<SharedSession>>& SessionRegistry() {
  static std::unordered_map<std::uint64_t, std::shared_ptr<SharedSession>> r;
  return r;
}

void WarmUpParsers() {
  static bool warm = false;
  if (warm) return;
  warm = true;
  const std::string_view sip =
      "MESSAGE sip:b@sipim.invalid SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKwarm\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:a@sipim.invalid>;tag=1\r\nTo: <sip:b@sipim.invalid>\r\n"
      "Call-ID: warm-up\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nwarm-up";
  sipim::sip::Message m;
  sipim::sip::Parse(sip, sipim::sip::Framing::kDatagram, &m);
  sipim::sip::StreamFramer framer;
  framer.Append(sip);
  sipim::ParseError err;
  framer.Next(&m, &err);
  sipim::msrp::StreamParser msrp;
  msrp.FeedAll("MSRP warm SEND\r\nTo-Path: msrp://192.0.2.2:7654/b;tcp\r\n"
               "From-Path: msrp://192.0.2.1:7654/a;tcp\r\nMessage-ID: warm-up\r\nByte-Range: 1-7/7\r\n"
               "Content-Type: text/plain\r\n\r\nwarm-up\r\n-------warm$\r\n",
               [](const sipim::msrp::Message&) {});
}

}  // namespace sipns3
}  // namespace ns3
