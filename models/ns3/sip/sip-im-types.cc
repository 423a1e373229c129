#include "ns3/sip/sip-im-types.h"

#include "ns3/sip/sip-internal.h"

namespace ns3 {

const char* ToString(SipImMode m) {
  switch (m) {
    case SipImMode::kPager: return "pager";
    case SipImMode::kSessionStripped: return "session-stripped";
    case SipImMode::kSessionMsrp: return "session-msrp";
  }
  return "?";
}

const char* ToString(SipTransportProtocol t) {
  switch (t) {
    case SipTransportProtocol::kUdp: return "udp";
    case SipTransportProtocol::kTcp: return "tcp";
    case SipTransportProtocol::kSctp: return "sctp";
  }
  return "?";
}

const char* ToString(SipAttributionKind k) {
  switch (k) {
    case SipAttributionKind::kNone: return "none";
    case SipAttributionKind::kIm: return "im";
    case SipAttributionKind::kSession: return "session";
    case SipAttributionKind::kRegistration: return "registration";
  }
  return "?";
}

const char* ToString(SipMsgType t) {
  switch (t) {
    case SipMsgType::kRegister: return "REGISTER";
    case SipMsgType::kInvite: return "INVITE";
    case SipMsgType::kAck: return "ACK";
    case SipMsgType::kBye: return "BYE";
    case SipMsgType::kMessage: return "MESSAGE";
    case SipMsgType::kOtherRequest: return "OTHER";
    case SipMsgType::kResponse: return "RESPONSE";
    case SipMsgType::kStrippedMessage: return "STRIPPED-MESSAGE";
    case SipMsgType::kMsrpSend: return "MSRP-SEND";
    case SipMsgType::kMsrpReport: return "MSRP-REPORT";
    case SipMsgType::kMsrpResponse: return "MSRP-RESPONSE";
  }
  return "?";
}

const char* ToString(SipFailReason r) {
  switch (r) {
    case SipFailReason::kNone: return "none";
    case SipFailReason::kTimeout: return "timeout";
    case SipFailReason::kFinalResponse: return "final-response";
    case SipFailReason::kTooLargeLocal: return "too-large-local";
    case SipFailReason::kTransportError: return "transport-error";
    case SipFailReason::kSessionSetupFailed: return "session-setup-failed";
    case SipFailReason::kSessionClosed: return "session-closed";
    case SipFailReason::kNotStarted: return "not-started";
    case SipFailReason::kStopped: return "stopped";
    case SipFailReason::kCancelled: return "cancelled";
    case SipFailReason::kSecurity: return "security";
  }
  return "?";
}

const char* ToString(SipDropReason r) {
  switch (r) {
    case SipDropReason::kParseError: return "parse-error";
    case SipDropReason::kFramingError: return "framing-error";
    case SipDropReason::kStrayResponse: return "stray-response";
    case SipDropReason::kRetransmissionAbsorbed: return "retransmission-absorbed";
    case SipDropReason::kMaxForwardsExceeded: return "max-forwards-exceeded";
    case SipDropReason::kNoRoute: return "no-route";
    case SipDropReason::kTooLarge: return "too-large";
    case SipDropReason::kBadExtension: return "bad-extension";
    case SipDropReason::kUnexpected: return "unexpected";
    case SipDropReason::kOverload: return "overload";
    case SipDropReason::kSecurity: return "security";
  }
  return "?";
}

const char* ToString(SipSessionEvent e) {
  switch (e) {
    case SipSessionEvent::kInviteSent: return "invite-sent";
    case SipSessionEvent::kInviteReceived: return "invite-received";
    case SipSessionEvent::kEstablished: return "established";
    case SipSessionEvent::kConnected: return "connected";
    case SipSessionEvent::kDuplicateConnection: return "duplicate-connection";
    case SipSessionEvent::kByeSent: return "bye-sent";
    case SipSessionEvent::kClosed: return "closed";
    case SipSessionEvent::kFailed: return "failed";
    case SipSessionEvent::kCancelSent: return "cancel-sent";
  }
  return "?";
}

NS_OBJECT_ENSURE_REGISTERED(SipAttributionTag);

TypeId SipAttributionTag::GetTypeId() {
  static TypeId tid = TypeId("ns3::SipAttributionTag")
                          .SetParent<Tag>()
                          .SetGroupName("Sipim")
                          .AddConstructor<SipAttributionTag>();
  return tid;
}
TypeId SipAttributionTag::GetInstanceTypeId() const { return GetTypeId(); }
uint32_t SipAttributionTag::GetSerializedSize() const { return 9; }
void SipAttributionTag::Serialize(TagBuffer i) const {
  i.WriteU8(static_cast<uint8_t>(m_attr.kind));
  i.WriteU64(m_attr.id);
}
void SipAttributionTag::Deserialize(TagBuffer i) {
  m_attr.kind = static_cast<SipAttributionKind>(i.ReadU8());
  m_attr.id = i.ReadU64();
}
void SipAttributionTag::Print(std::ostream& os) const {
  os << ToString(m_attr.kind) << "=" << m_attr.id;
}

namespace sipns3 {

IdCounters& Ids() {
  static IdCounters c;
  return c;
}

void AppendAttributedId(SipAttribution a, std::string* out) {
  // One letter for the kind, then 15 hex digits: the same width as the wire
  // core's IdGenerator ids, so sizes do not depend on how many ids exist.
  char kind = 'x';
  switch (a.kind) {
    case SipAttributionKind::kIm: kind = 'm'; break;
    case SipAttributionKind::kSession: kind = 's'; break;
    case SipAttributionKind::kRegistration: kind = 'r'; break;
    case SipAttributionKind::kNone: kind = 'x'; break;
  }
  char buf[16];
  buf[0] = kind;
  std::uint64_t v = a.id;
  for (int i = 15; i >= 1; --i) {
    buf[i] = "0123456789abcdef"[v & 0xf];
    v >>= 4;
  }
  out->append(buf, sizeof buf);
}

SipAttribution ParseAttributedId(std::string_view s) {
  SipAttribution a;
  if (s.size() < 16) return a;
  SipAttributionKind kind;
  switch (s[0]) {
    case 'm': kind = SipAttributionKind::kIm; break;
    case 's': kind = SipAttributionKind::kSession; break;
    case 'r': kind = SipAttributionKind::kRegistration; break;
    default: return a;
  }
  std::uint64_t v = 0;
  for (std::size_t i = 1; i < 16; ++i) {
    const char c = s[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return a;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  a.kind = kind;
  a.id = v;
  return a;
}

}  // namespace sipns3

void SipResetIdCounters() {
  sipns3::Ids() = sipns3::IdCounters{};
  sipns3::SessionRegistry().clear();
}

}  // namespace ns3
