#pragma once
// Shared vocabulary of the sipim ns-3 SIP models: modes, transports, the
// identity an event is attributed to, and the records every trace source
// passes. Kept in one header so that a result writer can include it alone.
//
// Identity: every IM has a 64-bit id from a counter (never an address or a
// clock), so the same scenario, seed and run give the same ids. Sessions and
// registrations have ids from the same kind of counter. Every SIP or MSRP
// message a model sends is attributed to one of them (SipAttribution), and
// every ns-3 packet carrying it holds a SipAttributionTag: a byte tag over
// its bytes in a stream, a packet tag on a UDP datagram (one message, which
// its IP fragments inherit). So a trace sink on the links can attribute IP
// packets, UDP fragments and TCP segments to IMs; packets without the tag
// (pure TCP ACKs, SYN/FIN) belong to the connection they travel on.
#include <cstdint>
#include <string>

#include "ns3/ipv4-address.h"
#include "ns3/nstime.h"
#include "ns3/tag.h"

namespace ns3 {

// How an IM is carried.
enum class SipImMode : std::uint8_t {
  kPager = 0,            // MESSAGE -> 200 through the proxies (RFC 3428)
  kSessionStripped = 1,  // INVITE/SDP, then the paper's stripped MESSAGE on a
                         // direct connection (no Via, CSeq, Call-ID)
  kSessionMsrp = 2,      // INVITE/SDP, then MSRP SEND (RFC 4975)
};
const char* ToString(SipImMode m);

// A transport protocol, for SIP signalling hops and for session media.
// Unscoped because ns-3 3.37 EnumValue holds an int; write SipTransportProtocol::kUdp.
enum SipTransportProtocol : std::uint8_t { kUdp = 0, kTcp = 1, kSctp = 2 };
const char* ToString(SipTransportProtocol t);

// What a message belongs to.
enum class SipAttributionKind : std::uint8_t {
  kNone = 0,
  kIm = 1,            // a pager MESSAGE, its 200, a session message, an MSRP 200/REPORT
  kSession = 2,       // INVITE, ACK, BYE and their responses (session set-up/teardown)
  kRegistration = 3,  // REGISTER and its responses
};
const char* ToString(SipAttributionKind k);

struct SipAttribution {
  SipAttributionKind kind = SipAttributionKind::kNone;
  std::uint64_t id = 0;  // ImId, SessionId or registration id (by kind)
};

// The kind of message on the wire.
enum class SipMsgType : std::uint8_t {
  kRegister,
  kInvite,
  kAck,
  kBye,
  kMessage,          // pager MESSAGE (a full SIP request)
  kOtherRequest,
  kResponse,         // any SIP response; the status code is in the event
  kStrippedMessage,  // the paper's in-session MESSAGE
  kMsrpSend,
  kMsrpReport,
  kMsrpResponse,
};
const char* ToString(SipMsgType t);

// Why an IM failed (SipImOutcome::kFailed).
enum class SipFailReason : std::uint8_t {
  kNone = 0,
  kTimeout,            // timer F (pager) / timer B (INVITE): no final response;
                       // or no response to an MSRP SEND (MsrpTransactionTimeout, 408)
  kFinalResponse,      // a final non-2xx response (status in the event: 404, 480, 483, 513 ...)
  kTooLargeLocal,      // refused by the sender's own 1300-byte rule, nothing sent
  kTransportError,     // connection refused/reset/closed, or the send failed
  kSessionSetupFailed, // the INVITE failed or no media connection came up
  kSessionClosed,      // the session ended with the IM not yet delivered
  kNotStarted,         // SendIm before the application started / after it stopped
  kStopped,            // the application stopped with the IM in flight
  kCancelled,          // the caller gave up its INVITE (InviteTimeout: CANCEL sent)
  kSecurity,           // security refused it: the sender could not protect it, the
                       // recipient could not decrypt / verify / open it (493), or the
                       // session's MIKEY exchange was refused (SipImSecurity)
};
const char* ToString(SipFailReason r);

enum class SipImOutcome : std::uint8_t { kDelivered = 0, kFailed = 1 };

// Why a received message was not acted on. Every drop fires a Drop trace.
enum class SipDropReason : std::uint8_t {
  kParseError,           // the wire core's parser rejected the bytes
  kFramingError,         // a stream could not be framed (the connection is closed), or an SCTP
                         // message could not be read whole (too large, or abandoned part-way)
  kStrayResponse,        // a response matching no client transaction
  kRetransmissionAbsorbed,  // a request retransmission a server transaction answered
  kMaxForwardsExceeded,  // answered 483
  kNoRoute,              // answered 404 (unknown domain or user) / 480 (no binding) / 416 (scheme)
  kTooLarge,             // answered 513
  kBadExtension,         // answered 420 (Require / Proxy-Require)
  kUnexpected,           // a well-formed message the state machine has no use for
  kOverload,             // shed unparsed: the node's parse queue was full (NodeCpu MaxQueuedBytes)
  kSecurity,             // S/MIME receive, MIKEY or a sealed frame's open failed (the detail names why)
};
const char* ToString(SipDropReason r);

// Session life-cycle events (SipUserAgent "Session" trace).
enum class SipSessionEvent : std::uint8_t {
  kInviteSent,           // caller sent the INVITE
  kInviteReceived,       // callee got the INVITE
  kEstablished,          // 2xx + ACK exchanged (signalling side)
  kConnected,            // the media connection carrying the IMs is up
  kDuplicateConnection,  // a second media connection came up and was closed
  kByeSent,
  kClosed,               // torn down (BYE answered or received)
  kFailed,
  kCancelSent,           // the caller CANCELled its unanswered INVITE (InviteTimeout)
};
const char* ToString(SipSessionEvent e);

// One message sent or received by a UA or proxy ("Tx"/"Rx" traces).
// bytes is the size of the SIP/MSRP message itself (the application layer);
// transport and IP bytes come from the tagged packets (see above).
struct SipWireEvent {
  std::uint32_t nodeId = 0;
  SipAttribution attr;
  SipMsgType type = SipMsgType::kOtherRequest;
  std::uint16_t status = 0;  // for responses (SIP or MSRP), else 0
  std::uint32_t bytes = 0;
  SipTransportProtocol transport = SipTransportProtocol::kUdp;
  bool retransmission = false;  // a timer A/E/G or 2xx retransmission
  Ipv4Address peer;             // remote address of this hop
  std::uint16_t peerPort = 0;
  Time cpu;  // Rx: CPU time charged to this node for parsing it (else 0)
};

// A received message that was dropped or refused ("Drop" traces).
struct SipDropEvent {
  std::uint32_t nodeId = 0;
  SipAttribution attr;  // kNone when the bytes could not be attributed
  SipDropReason reason = SipDropReason::kUnexpected;
  std::uint32_t bytes = 0;
  std::string detail;  // the parse error text, the status sent, ...
};

// Trace signatures. Strings are the UA's own AOR strings ("sip:dan@home.com").
typedef void (*SipWireTracedCallback)(const SipWireEvent& ev);
typedef void (*SipDropTracedCallback)(const SipDropEvent& ev);
// ImSent: the application handed an IM to the UA (fired once per ImId).
typedef void (*SipImSentTracedCallback)(std::uint64_t imId, const std::string& to,
                                        std::uint32_t bodyBytes, SipImMode mode);
// ImRetransmitted: the UA retransmitted the request carrying this IM.
typedef void (*SipImRetransmittedTracedCallback)(std::uint64_t imId, std::uint32_t attempt,
                                                 std::uint32_t bytes);
// ImDelivered: this UA handed the IM to its user. Fired on every copy that
// reaches a device: forking to N devices gives N deliveries; duplicate is
// true when this UA had already delivered the same ImId.
typedef void (*SipImDeliveredTracedCallback)(std::uint64_t imId, const std::string& from,
                                             std::uint32_t bodyBytes, std::uint32_t proxyHops,
                                             bool duplicate);
// ImOutcome: fired exactly once per ImId by the sending UA.
//   pager: on the final response (2xx -> kDelivered) or timer F / transport error;
//   session: kDelivered when the recipient UA delivered it (the models share
//   a session record: simulation bookkeeping, no bytes), kFailed when the
//   session could not be set up or closed first;
//   any IM still open when its UA stops (or is disposed): kFailed, kStopped.
typedef void (*SipImOutcomeTracedCallback)(std::uint64_t imId, SipImOutcome outcome,
                                           SipFailReason reason, std::uint16_t status);
// Session: life-cycle of one session (id from a counter, shared by both ends).
typedef void (*SipSessionTracedCallback)(std::uint64_t sessionId, SipSessionEvent ev,
                                         const std::string& peer);
// MediaConnection: a session's media connection was opened or accepted at
// this end (each one, duplicates of the paper's race included; a connect
// that never completes too), as its two ends: (address, port) here and at
// the peer. Lets a byte count charge a connection that carries no message
// (its handshake and close) to the session.
typedef void (*SipMediaConnectionTracedCallback)(std::uint64_t sessionId, Ipv4Address local,
                                                 std::uint16_t localPort, Ipv4Address peer,
                                                 std::uint16_t peerPort);

// Byte tag put on the bytes of every message the models send (see top).
class SipAttributionTag : public Tag {
 public:
  SipAttributionTag() = default;
  explicit SipAttributionTag(SipAttribution a) : m_attr(a) {}
  static TypeId GetTypeId();
  TypeId GetInstanceTypeId() const override;
  uint32_t GetSerializedSize() const override;
  void Serialize(TagBuffer i) const override;
  void Deserialize(TagBuffer i) override;
  void Print(std::ostream& os) const override;
  SipAttribution Get() const { return m_attr; }

 private:
  SipAttribution m_attr;
};

// Resets the IM, session and registration id counters (a new scenario).
// Ids start at 1; 0 means "none".
void SipResetIdCounters();

}  // namespace ns3
