#include "ns3/sip/sip-user-agent.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "ns3/boolean.h"
#include "ns3/enum.h"
#include "ns3/inet-socket-address.h"
#include "ns3/log.h"
#include "ns3/pointer.h"
#include "ns3/simulator.h"
#include "ns3/sip/node-cpu.h"
#include "ns3/sip/sip-common.h"
#include "ns3/sip/sip-endpoint.h"
#include "ns3/sip/sip-im-security.h"
#include "ns3/sip/sip-internal.h"
#include "ns3/sip/sip-transactions.h"
#include "ns3/string.h"
#include "ns3/trace-source-accessor.h"
#include "ns3/uinteger.h"
#include "msrp/msrp.h"
#include "sdp/sdp.h"
#include "sip/builder.h"
#include "sip/headers.h"
#include "sip/stream_framer.h"
#include "sip/uri.h"

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("SipUserAgent");
NS_OBJECT_ENSURE_REGISTERED(SipUserAgent);

namespace sip = sipim::sip;
namespace msrp = sipim::msrp;
namespace sdp = sipim::sdp;
namespace sec = sipim::security;
using sipns3::ClientTxn;
using sipns3::Dest;
using sipns3::RxMeta;
using sipns3::ServerTxn;
using sipns3::SharedSession;
using sipns3::StreamConn;

namespace {

// The IM text: `n` bytes of printable filler, the same for every run.
void AppendFiller(std::size_t n, std::string* out) {
  static const char kText[] = "The quick brown fox jumps over the lazy dog. ";
  const std::size_t len = sizeof kText - 1;
  for (std::size_t left = n; left > 0;) {
    const std::size_t take = std::min(left, len);
    out->append(kText, take);
    left -= take;
  }
}

// The Content-Type of a sealed session message (security/seal.h's frame):
// sipim's own format, so a private type.
constexpr std::string_view kSealedContentType = "application/x-sipim-sealed";

// The largest body one MSRP SEND carries when MsrpChunkSize is 0: what the
// receiving UA's parser (msrp::Limits) takes in one message, its 4 KiB
// over this being for the start line, headers and end-line. A larger SEND
// would be a framing error there, closing the connection under it.
constexpr std::size_t kMsrpMaxSendBody = 64 * 1024;
static_assert(kMsrpMaxSendBody + 4096 <= msrp::Limits{}.max_message_size,
              "a SEND of kMsrpMaxSendBody must fit the receiver's MSRP parser");

// RFC 3261 8.2.1 / 11.2: the methods this UA implements (405, OPTIONS).
constexpr std::string_view kAllow = "INVITE, ACK, CANCEL, BYE, MESSAGE, OPTIONS";

std::string AttributedId(SipAttributionKind k, std::uint64_t id) {
  std::string s;
  sipns3::AppendAttributedId(SipAttribution{k, id}, &s);
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------

struct SipUserAgent::Impl {
  // One media connection of a session and its receive-side parser.
  struct MediaConn {
    std::unique_ptr<StreamConn> conn;
    bool initiatedHere = false;
    // Accepted by a caller before the answer named the callee's media host:
    // not used, its bytes kept unread (up to kMaxHeldBytes) until then.
    bool held = false;
    std::string heldBytes;
    // MSRP, a connection this end accepted: a request has arrived on it.
    // Until then this end does not send on it (RFC 4975 5.4: the accepting
    // end learns which session a connection is for from its first SEND).
    bool bound = false;
    sip::StreamFramer framer{1u << 20};
    msrp::StreamParser msrpParser;
    // Live CPU: the parser's time since it last produced a message (calls
    // that needed more bytes included), charged to the next message.
    Time parsing;
    // The IMs this end sent on it, in order (OnMediaClosed fails those still
    // unresolved when it closes).
    std::vector<std::uint64_t> ims;
  };
  struct PendingIm {
    std::uint64_t imId;
    std::string body;
  };
  // A success REPORT owed for a received MSRP message (RFC 4975 7.1.1).
  struct SuccessReport {
    std::string messageId;
    std::uint32_t bodyBytes = 0;
    std::uint64_t connId = 0;  // the connection its (last) SEND came on
  };
  // How a session's protocol refuses a message whose S/MIME body does not
  // open: the bytes to send back (none when the protocol allows none), of
  // this type and status.
  struct Refusal {
    std::string bytes;
    SipMsgType type = SipMsgType::kResponse;
    std::uint16_t status = 0;
  };
  struct Session {
    std::uint64_t id = 0;
    SipImMode mode = SipImMode::kSessionStripped;
    bool caller = true;
    int dir = 0;  // index of our sending direction in SharedSession::inFlight
    std::string peerAor;
    std::string key;
    std::shared_ptr<SharedSession> shared;
    // Dialog.
    std::string callId, localTag, remoteTag, remoteTarget, routeSet;
    std::uint32_t cseq = 0, inviteCseq = 0;
    bool established = false;  // 2xx and ACK done
    bool closing = false;      // EndSession asked
    bool byeSent = false;
    // The peer's BYE came while IMs of ours were in flight: the session
    // sends nothing more and waits (byeDrainTimer at most) for their outcome.
    bool peerBye = false;
    EventId byeDrainTimer;
    std::string ackBytes;      // caller: the ACK, resent on a 2xx retransmission
    Dest ackDest;
    std::string inviteBytes;   // callee: the INVITE, to answer after AnswerDelay
    std::uint64_t inviteTxn = 0;
    std::string okBytes;       // callee: the 2xx, retransmitted until the ACK
    Dest okDest;
    Time okInterval, okDeadline;
    EventId okTimer, answerTimer, idleTimer, mediaTimer;
    // Caller: InviteTimeout, then RFC 3261 9.1's 64*T1 wait for the final
    // response to a CANCELled INVITE.
    EventId cancelTimer;
    bool cancelWanted = false;  // InviteTimeout passed before a provisional response
    bool cancelSent = false;
    Time lastActivity;
    // Media.
    Ptr<Socket> listener;
    std::uint16_t listenPort = 0;
    Ipv4Address peerMediaAddr;
    std::uint16_t peerMediaPort = 0;
    sdp::Setup peerSetup = sdp::Setup::kActpass;
    std::string myPath, peerPath;  // MSRP
    std::size_t offerMedia = 0;    // callee: the offer's m= line the answer takes
    msrp::IdGenerator msrpIds{0};
    std::unordered_map<std::uint64_t, MediaConn> conns;
    StreamConn* sendConn = nullptr;
    bool mediaWasUp = false;  // a media connection came up at this end
    // CloseSession has begun: an outcome it reports can make the user end
    // the session (EndSession, from the outcome trace) inside it.
    bool closed = false;
    bool mediaStalled = false;  // the send queue went above MediaMaxQueuedBytes
    std::deque<PendingIm> queue;                 // not yet handed to a connection
    // Security = Mikey: the exchange and the keys (null otherwise); the
    // MIKEY message our SDP carries (I in the offer, R in the answer).
    std::unique_ptr<SipSessionCrypto> crypto;
    sec::Bytes mikeyOut;
    std::unordered_set<std::uint64_t> unresolved;  // sent, outcome not yet known
    msrp::Reassembler reassembler;
    // MSRP SENDs whose transaction response is still to come (not sent
    // with Failure-Report: no), by transaction id: the IM each carries (0:
    // a bodiless SEND that opens a connection) and its transaction timeout.
    struct AwaitedSend {
      std::uint64_t imId = 0;
      // The SEND is the connection's seq-th message; its timer starts once
      // the socket has taken its last byte (a SEND still queued behind
      // others has not been sent).
      std::uint64_t connId = 0;
      std::uint64_t seq = 0;
      EventId timer;
    };
    std::map<std::string, AwaitedSend, std::less<>> awaiting;
  };

  // What a held media connection may buffer (the framers' own limit).
  static constexpr std::size_t kMaxHeldBytes = std::size_t{1} << 20;

  SipUserAgent* self;
  sipns3::TimerConfig timers;
  std::unique_ptr<sipns3::SipEndpoint> ep;
  std::unique_ptr<sipns3::ClientTxnTable> ctx;
  std::unique_ptr<sipns3::ServerTxnTable> stx;
  sip::IdGenerator ids{0};
  Ptr<NodeCpu> cpu;
  const CpuCalibration::Curve* sipParse = nullptr;
  const CpuCalibration::Curve* msrpParse = nullptr;
  std::string host;        // "10.0.0.2"
  std::string contact;     // "sip:dan@10.0.0.2:5060"
  std::string fromTag;     // for out-of-dialog requests
  std::string regCallId;
  std::uint32_t nodeId = 0;
  // Duplicate suppression: the ImIds delivered here, each remembered from
  // its first delivery for as long as another copy of its request can
  // still come (64*T1 + T4, see Deliver) and no longer, oldest first in
  // `deliveredAge`; at most kMaxRememberedIms (the oldest go first), so
  // memory follows the delivery rate, not the number of IMs.
  std::unordered_set<std::uint64_t> delivered;
  std::deque<std::pair<Time, std::uint64_t>> deliveredAge;
  static constexpr std::size_t kMaxRememberedIms = std::size_t{1} << 16;
  std::unordered_map<std::string, std::unique_ptr<Session>> sessions;  // by key
  std::unordered_map<std::uint64_t, Session*> sessionsById;
  std::uint64_t nextConnId = 1;
  // Pager IMs waiting for their S/MIME job on the CPU (not yet in a
  // transaction): Stop fails them, the job's completion finds them gone.
  std::unordered_set<std::uint64_t> smimePending;
  // Security = Mikey: the I_MESSAGEs this UA accepted (RFC 3830 5.4).
  sec::mikey::ReplayCache mikeyReplay;
  sip::Via m_top;  // scratch
  std::uint32_t m_viaCount = 0;  // scratch: via-parms of the request OnSip validated

  explicit Impl(SipUserAgent* s) : self(s) {}

  // The scenario's security, when it protects anything.
  SipImSecurity* Smime() const {
    return self->m_security && self->m_security->IsSmime() ? PeekPointer(self->m_security) : nullptr;
  }
  SipImSecurity* Mikey() const {
    return self->m_security && self->m_security->IsMikey() ? PeekPointer(self->m_security) : nullptr;
  }

  // ---- traces ----
  void FireTx(SipTransportProtocol t, Ipv4Address peer, std::uint16_t port, SipAttribution attr,
              SipMsgType type, std::uint16_t status, std::size_t bytes, bool retx) {
    self->m_txTrace(sipns3::WireEvent(nodeId, t, peer, port, attr, type, status, bytes, retx, Time()));
  }
  void FireRx(SipTransportProtocol t, Ipv4Address peer, std::uint16_t port, SipAttribution attr,
              SipMsgType type, std::uint16_t status, std::size_t bytes, Time cpuCost) {
    self->m_rxTrace(sipns3::WireEvent(nodeId, t, peer, port, attr, type, status, bytes, false, cpuCost));
  }
  void Drop(SipDropReason r, SipAttribution attr, std::size_t bytes, std::string detail) {
    self->m_dropTrace(sipns3::DropEvent(nodeId, r, attr, bytes, std::move(detail)));
  }
  void Outcome(std::uint64_t imId, SipImOutcome o, SipFailReason r, std::uint16_t status) {
    if (o == SipImOutcome::kDelivered) ++self->m_imsSucceeded;
    else ++self->m_imsFailed;
    self->m_imOutcomeTrace(imId, o, r, status);
  }
  void SessionEvent(const Session& s, SipSessionEvent e) { self->m_sessionTrace(s.id, e, s.peerAor); }

  bool SendSip(const Dest& d, std::string_view bytes, SipAttribution attr, SipMsgType type,
               std::uint16_t status, bool retx) {
    const bool ok = ep->Send(d, bytes, attr);
    if (ok) FireTx(d.transport, d.address, d.port, attr, type, status, bytes.size(), retx);
    return ok;
  }

  Dest ProxyDest(SipTransportProtocol t) const {
    return Dest{t, self->m_proxyAddress, self->m_proxyPort, 0};
  }

  // ---- life cycle ----
  void Start() {
    timers.t1 = self->m_t1;
    timers.t2 = self->m_t2;
    timers.t4 = self->m_t4;
    nodeId = self->GetNode()->GetId();
    cpu = NodeCpu::GetOrCreate(self->GetNode());
    if (cpu->GetCalibration()) {
      sipParse = cpu->GetCalibration()->Find("parse", "sip");
      msrpParse = cpu->GetCalibration()->Find("parse", "msrp");
    }
    ep = std::make_unique<sipns3::SipEndpoint>(self->GetNode(), cpu);
    std::string err;
    if (!ep->Start(self->m_localPort, self->m_listenStreams, &err)) NS_FATAL_ERROR("SipUserAgent " << self->m_aor << ": " << err);
    host = sipns3::Ipv4ToString(ep->address());
    contact = "sip:" + self->m_user + "@" + host + ":" + std::to_string(ep->port());
    if (self->m_transport != SipTransportProtocol::kUdp) {
      contact += ";transport=";
      contact += ToString(self->m_transport);
    }
    ids = sip::IdGenerator((0x55a9ULL << 48) ^ (++sipns3::Ids().branch));
    fromTag = ids.Tag();
    ctx = std::make_unique<sipns3::ClientTxnTable>(
        &timers,
        [this](ClientTxn& t, bool retx) {
          if (retx) {
            ++self->m_retransmissions;
            if (t.attr.kind == SipAttributionKind::kIm)
              self->m_imRetransmittedTrace(t.attr.id, t.attempts, static_cast<std::uint32_t>(t.bytes.size()));
          }
          return SendSip(t.dest, t.bytes, t.attr, t.type, 0, retx);
        },
        [this](ClientTxn& t) { OnClientTimeout(t, SipFailReason::kTimeout); });
    stx = std::make_unique<sipns3::ServerTxnTable>(&timers, [this](ServerTxn& t, bool retx) {
      if (retx) ++self->m_retransmissions;
      SendSip(t.replyTo, t.lastResponse, t.attr, SipMsgType::kResponse, t.lastStatus, retx);
    });
    ep->SetRxHandler([this](const std::string&, const sip::Message& m, const RxMeta& meta) { OnSip(m, meta); });
    ep->SetDropHandler([this](SipDropReason r, std::uint32_t bytes, const std::string& d, const RxMeta& meta) {
      Drop(r, meta.attr, bytes, d);
    });
    ep->SetIncompleteTimeout(64 * timers.t1);
    ep->SetIdleTimeout(self->m_connectionIdleTimeout);
    ep->SetMaxConnectionsPerPeer(self->m_maxConnectionsPerPeer);
    ep->SetSctpUnordered(self->m_sctpUnordered);
    ep->SetSctpStreams(self->m_sctpStreams);
    ep->SetSctpInterleaving(self->m_sctpInterleaving);
    ep->SetRejectHandler([this](const sip::Message& m, const RxMeta& meta, int status) {
      RespondStateless(m, meta, sipns3::AttributionOf(m), status);
    });
    // The client transactions waiting on a connection keep it from idling
    // out and, RFC 3261 8.1.3.1, end with it on a transport error.
    auto waitingOn = [this](const sipns3::StreamConn& c) {
      return ctx->WaitingOn([&](const Dest& d) { return ep->Carries(c, d); });
    };
    ep->SetInUseHandler([waitingOn](const sipns3::StreamConn& c) { return !waitingOn(c).empty(); });
    ep->SetConnErrorHandler([this, waitingOn](const sipns3::StreamConn& c) {
      for (ClientTxn* t : waitingOn(c)) {
        OnClientTimeout(*t, SipFailReason::kTransportError);
        ctx->Remove(t);
      }
    });
    if (self->m_security && !self->m_security->HasUser(self->m_aor)) {
      std::string why;
      if (!self->m_security->AddUser(self->m_aor, &why)) NS_FATAL_ERROR("SipUserAgent " << self->m_aor << ": " << why);
    }
    if (self->m_security && cpu->IsLive()) {
      const sec::Status warm = self->m_security->WarmUp();
      if (!warm) NS_FATAL_ERROR("SipUserAgent " << self->m_aor << ": security warm-up: " << warm.error().ToString());
    }
    self->m_running = true;
    if (self->m_register) SendRegister();
  }

  void Stop() {
    self->m_running = false;
    Simulator::Cancel(regTimer);
    std::vector<std::string> keys;
    for (auto& kv : sessions) keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) {
      auto it = sessions.find(k);
      if (it != sessions.end()) CloseSession(*it->second, SipFailReason::kStopped, false);
    }
    if (ctx) {
      // Pager IMs still in flight end here, with a reason, in id order.
      std::vector<std::uint64_t> pending = ctx->Cookies(SipMsgType::kMessage);
      ctx->Clear();
      for (std::uint64_t id : pending) Outcome(id, SipImOutcome::kFailed, SipFailReason::kStopped, 0);
    }
    std::vector<std::uint64_t> signing(smimePending.begin(), smimePending.end());
    std::sort(signing.begin(), signing.end());
    smimePending.clear();
    for (std::uint64_t id : signing) Outcome(id, SipImOutcome::kFailed, SipFailReason::kStopped, 0);
    if (stx) stx->Clear();
    if (ep) ep->Stop();
  }

  // The fields every request this UA originates starts with: the request
  // line, its own Via and From. Callers add To, Call-ID, CSeq and the rest.
  sip::RequestSpec UacSpec(std::string_view method, std::string_view requestUri,
                           SipTransportProtocol transport, std::string_view branch,
                           std::string_view fromTag) const {
    sip::RequestSpec spec;
    spec.method = method;
    spec.request_uri = requestUri;
    spec.via_transport = sipns3::ViaTransportName(transport);
    spec.via_host = host;
    spec.via_port = ep->port();
    spec.branch = branch;
    spec.from_uri = self->m_aor;
    spec.from_tag = fromTag;
    return spec;
  }

  // ---- registration ----
  EventId regTimer;

  void SendRegister() {
    if (!self->m_running) return;
    const std::uint64_t regId = ++sipns3::Ids().registration;
    if (regCallId.empty()) regCallId = AttributedId(SipAttributionKind::kRegistration, regId) + "@" + host;
    const std::string ruri = "sip:" + self->m_domain;
    const SipTransportProtocol t = self->m_transport;
    auto txn = std::make_unique<ClientTxn>();
    txn->branch = ids.Branch();
    sip::RequestSpec spec = UacSpec("REGISTER", ruri, t, txn->branch, fromTag);
    spec.to_uri = self->m_aor;
    spec.call_id = regCallId;
    spec.cseq = ++self->m_cseq;
    spec.contact = contact;
    spec.expires = static_cast<int>(self->m_registerExpires.GetSeconds());
    if (auto e = sip::BuildRequest(spec, &txn->bytes)) {
      NS_LOG_ERROR("REGISTER not built: " << e.ToString());
      self->m_registered = false;
      return;
    }
    txn->dest = ProxyDest(t);
    txn->attr = SipAttribution{SipAttributionKind::kRegistration, sipns3::ParseAttributedId(regCallId).id};
    txn->type = SipMsgType::kRegister;
    if (!ctx->Start(std::move(txn))) RetryRegister();
  }

  void RetryRegister() {
    regTimer = Simulator::Schedule(std::min(Seconds(60), self->m_registerExpires),
                                   &Impl::SendRegister, this);
  }

  void OnRegisterResponse(const sip::Message& msg) {
    if (msg.status_code < 200) return;
    if (msg.status_code < 300) {
      self->m_registered = true;
      // Re-register at 90 % of the lifetime: one event per UA per period.
      regTimer = Simulator::Schedule(self->m_registerExpires * 0.9, &Impl::SendRegister, this);
    } else {
      self->m_registered = false;
      RetryRegister();
    }
  }

  // ---- pager mode ----
  void SendPager(std::uint64_t imId, const std::string& to, std::string_view body) {
    SipImSecurity* smime = Smime();
    if (!smime) {
      SendMessage(imId, to, "text/plain", {}, body);
      return;
    }
    // S/MIME: the body is the real sign-then-encrypt of the text, made now;
    // the MESSAGE leaves once the node's CPU has spent what that costs.
    LiveClock clock(*cpu);
    auto protectedBody = smime->SmimeSend(self->m_aor, to, body);
    const Time took = clock.Elapsed();
    if (!protectedBody) {
      NS_LOG_WARN("IM " << imId << " not protected: " << protectedBody.error().ToString());
      Outcome(imId, SipImOutcome::kFailed, SipFailReason::kSecurity, 0);
      return;
    }
    auto b = std::make_shared<sec::SmimeBody>(std::move(*protectedBody));
    smimePending.insert(imId);
    smime->Charge(cpu, nodeId, SipAttribution{SipAttributionKind::kIm, imId}, SipCryptoOp::kSmimeSignEncrypt,
                  body.size(), took, [this, imId, to, b]() {
                    if (smimePending.erase(imId) == 0) return;  // failed by Stop meanwhile
                    const std::string disposition = "Content-Disposition: " + b->content_disposition + "\r\n";
                    SendMessage(imId, to, b->content_type, b->content_disposition.empty() ? "" : disposition,
                                b->body);
                  });
  }

  // One pager MESSAGE with this body (text, or an S/MIME body and its
  // Content-Disposition line).
  void SendMessage(std::uint64_t imId, const std::string& to, std::string_view contentType,
                   std::string_view extraHeaders, std::string_view body) {
    const std::string callId = AttributedId(SipAttributionKind::kIm, imId) + "@" + host;
    SipTransportProtocol t = self->m_transport;
    auto txn = std::make_unique<ClientTxn>();
    txn->branch = ids.Branch();
    const std::uint32_t cseq = ++self->m_cseq;
    auto build = [&](SipTransportProtocol tr) {
      txn->bytes.clear();
      sip::RequestSpec spec = UacSpec("MESSAGE", to, tr, txn->branch, fromTag);
      spec.to_uri = to;
      spec.call_id = callId;
      spec.cseq = cseq;
      spec.content_type = contentType;
      spec.extra_headers = extraHeaders;
      spec.body = body;
      return sip::BuildRequest(spec, &txn->bytes);
    };
    if (auto e = build(t)) {
      Outcome(imId, SipImOutcome::kFailed, SipFailReason::kTransportError, 0);
      NS_LOG_ERROR("MESSAGE not built: " << e.ToString());
      return;
    }
    // RFC 3428 section 9: the 1300-byte rule, then RFC 3261 18.1.1.
    SipTransportProtocol chosen = t;
    if (t == SipTransportProtocol::kUdp && txn->bytes.size() > self->m_messageSizeLimit) {
      if (self->m_sizeRule == SizeRule::kRefuse) {
        Outcome(imId, SipImOutcome::kFailed, SipFailReason::kTooLargeLocal, 0);
        return;
      }
      if (self->m_sizeRule == SizeRule::kUseTcp) chosen = SipTransportProtocol::kTcp;
    }
    chosen = sipns3::ApplySizeSwitch(chosen, txn->bytes.size(), self->m_mtu, self->m_switchToTcpAboveMtu);
    if (chosen != t) build(chosen);
    txn->dest = ProxyDest(chosen);
    txn->attr = SipAttribution{SipAttributionKind::kIm, imId};
    txn->type = SipMsgType::kMessage;
    txn->cookie = imId;
    if (!ctx->Start(std::move(txn)))
      Outcome(imId, SipImOutcome::kFailed, SipFailReason::kTransportError, 0);
  }

  // Timer B/F fired (kTimeout, as a 408) or the transport failed (as a 503).
  void OnClientTimeout(ClientTxn& t, SipFailReason why) {
    switch (t.type) {
      case SipMsgType::kMessage:
        Outcome(t.cookie, SipImOutcome::kFailed, why, why == SipFailReason::kTimeout ? 408 : 503);
        break;
      case SipMsgType::kRegister:
        self->m_registered = false;
        RetryRegister();
        break;
      case SipMsgType::kInvite:
        if (Session* s = FindSession(t.cookie))
          CloseSession(*s, why == SipFailReason::kTimeout ? SipFailReason::kSessionSetupFailed : why, false);
        break;
      case SipMsgType::kBye:
        if (Session* s = FindSession(t.cookie)) CloseSession(*s, SipFailReason::kSessionClosed, false);
        break;
      default:
        break;
    }
  }

  // ---- receiving SIP ----
  void OnSip(const sip::Message& msg, const RxMeta& meta) {
    const SipAttribution attr = sipns3::AttributionOf(msg);
    FireRx(meta.transport, meta.from, meta.fromPort, attr, sipns3::TypeOf(msg),
           static_cast<std::uint16_t>(msg.is_request ? 0 : msg.status_code), msg.raw.size(), meta.cpu);
    // Requests are validated in full (RFC 3261 8.2); a response is matched
    // to its transaction by the top Via, and its other fields are parsed
    // with the typed parsers where they are used. Either way `m_top` holds
    // the top Via afterwards (Validate hands back the one it parsed), and a
    // request's `m_viaCount` its number of via-parms.
    if (auto e = msg.is_request ? sip::Validate(msg, &m_top, &m_viaCount) : sip::TopVia(msg, &m_top)) {
      Drop(SipDropReason::kParseError, attr, msg.raw.size(), e.ToString());
      // RFC 3261 8.2 / 21.4.1: a malformed request (other than ACK, which
      // gets no response) is answered 400 when the fields a response
      // copies are there; a response is only dropped.
      if (msg.is_request && msg.method != "ACK") RespondStateless(msg, meta, attr, 400);
      return;
    }
    if (msg.is_request) OnRequest(msg, meta, attr);
    else OnResponse(msg, attr);
  }

  // A response sent without a server transaction (the request was not
  // valid enough for one), to where the request came from. False when the
  // request lacks the fields a response copies (the caller has already
  // traced the drop).
  bool RespondStateless(const sip::Message& req, const RxMeta& meta, SipAttribution attr, int status) {
    std::string out;
    sip::ResponseSpec spec;
    spec.status = status;
    std::string marked;
    sip::Message markedMsg;
    const bool mark = sipns3::MarkViaSource(req, meta.from, meta.fromPort, &marked, &markedMsg);
    if (sip::BuildResponse(mark ? markedMsg : req, spec, &out)) return false;
    return SendSip(sipns3::StatelessReplyDest(meta, req), out, attr, SipMsgType::kResponse,
                   static_cast<std::uint16_t>(status), false);
  }

  // `m_top` holds the top Via OnSip just parsed (no second parse).
  void OnResponse(const sip::Message& msg, SipAttribution attr) {
    ClientTxn* t = ctx->FindForResponse(m_top.branch, msg);
    if (!t || t->state == ClientTxn::State::kCompleted) {
      // Timer D (RFC 3261 17.1.1.2): the ACK of a non-2xx to INVITE was
      // lost if the response comes again; the same ACK goes again.
      if (t && t->invite && msg.status_code >= 300 && !t->bytes.empty())
        SendSip(t->dest, t->bytes, attr, SipMsgType::kAck, 0, true);
      // A 2xx to INVITE after the first: a retransmission (ACK again) or,
      // with forking, another device's answer (ACK it, then BYE it). One
      // whose session is gone (it gave up the INVITE, or closed) is ACKed
      // and BYEd too, or the callee would resend it for 64*T1 and, its
      // session half set up, refuse our next INVITE 486.
      if (attr.kind == SipAttributionKind::kSession && msg.status_code >= 200 && msg.status_code < 300 &&
          CSeqMethod(msg) == "INVITE") {
        Session* s = FindSession(attr.id);
        if (s && !s->ackBytes.empty() && ToTag(msg) == s->remoteTag) {
          SendSip(s->ackDest, s->ackBytes, attr, SipMsgType::kAck, 0, true);
          return;
        }
        if (!s || !s->ackBytes.empty()) {
          AckAndByeExtraDialog(msg, attr);
          return;
        }
      }
      Drop(t ? SipDropReason::kRetransmissionAbsorbed : SipDropReason::kStrayResponse, attr,
           msg.raw.size(), std::to_string(msg.status_code));
      return;
    }
    const int status = msg.status_code;
    if (status < 200) {
      ctx->OnProvisional(t);
      // RFC 3261 9.1: a CANCEL held back for want of a provisional response goes now.
      if (t->type == SipMsgType::kInvite)
        if (Session* s = FindSession(t->cookie); s && s->cancelWanted && !s->cancelSent) SendCancel(*s, *t);
      return;
    }
    const SipMsgType type = t->type;
    const std::uint64_t cookie = t->cookie;
    const Dest dest = t->dest;
    if (t->invite && status >= 300) {
      sip::Message inv;
      std::string ack;
      if (!sip::Parse(t->bytes, sip::Framing::kDatagram, &inv) && !sip::BuildAckForFailure(inv, msg, &ack))
        SendSip(dest, ack, attr, SipMsgType::kAck, 0, false);
      ctx->OnInviteFailure(t, std::move(ack));
    } else {
      ctx->OnFinal(t);
    }
    switch (type) {
      case SipMsgType::kMessage:
        if (status < 300) Outcome(cookie, SipImOutcome::kDelivered, SipFailReason::kNone, static_cast<std::uint16_t>(status));
        // RFC 3261 23.2: 493 Undecipherable, the recipient could not read the S/MIME body.
        else if (status == 493 && Smime()) Outcome(cookie, SipImOutcome::kFailed, SipFailReason::kSecurity, 493);
        else Outcome(cookie, SipImOutcome::kFailed, SipFailReason::kFinalResponse, static_cast<std::uint16_t>(status));
        break;
      case SipMsgType::kRegister:
        OnRegisterResponse(msg);
        break;
      case SipMsgType::kInvite:
        OnInviteResponse(cookie, msg, attr);
        break;
      case SipMsgType::kBye:
        if (Session* s = FindSession(cookie)) CloseSession(*s, SipFailReason::kSessionClosed, true);
        break;
      default:
        break;
    }
  }

  void Respond(ServerTxn* t, const sip::Message& req, int status, std::string_view toTag,
               std::string_view contactUri = {}, std::string_view ctype = {}, std::string_view body = {},
               std::string_view extra = {}) {
    std::string out;
    sip::ResponseSpec spec;
    spec.extra_headers = extra;
    spec.status = status;
    spec.to_tag = toTag;
    spec.contact = contactUri;
    spec.content_type = ctype;
    spec.body = body;
    // RFC 3261 18.2.1 (a UAS's server transport too): the response's top
    // Via says where the request really came from.
    std::string marked;
    sip::Message markedMsg;
    const bool mark = sipns3::MarkViaSource(req, t->source, t->sourcePort, &marked, &markedMsg);
    if (auto e = sip::BuildResponse(mark ? markedMsg : req, spec, &out)) {
      Drop(SipDropReason::kParseError, t->attr, req.raw.size(), "cannot answer: " + e.ToString());
      return;
    }
    stx->Respond(t, std::move(out), static_cast<std::uint16_t>(status));
  }

  // `m_top` holds the top Via OnSip's Validate just parsed, `m_viaCount`
  // the number of via-parms it counted.
  void OnRequest(const sip::Message& msg, const RxMeta& meta, SipAttribution attr) {
    const std::uint32_t vias = m_viaCount;  // kept: responding may receive
    const std::string_view key = stx->KeyOf(m_top.branch, msg.method);
    if (msg.method == "ACK") {
      if (ServerTxn* t = stx->Find(key)) {  // ACK of a non-2xx: absorbed by the transaction
        stx->OnAck(t);
        return;
      }
      OnAck(msg, attr);
      return;
    }
    if (ServerTxn* t = stx->Find(key)) {
      stx->Retransmit(t);
      Drop(SipDropReason::kRetransmissionAbsorbed, attr, msg.raw.size(), std::string(msg.method));
      return;
    }
    ServerTxn* t = stx->Create(key, msg.method == "INVITE",
                               sipns3::ReplyDest(meta, m_top), attr);
    t->source = meta.from;
    t->sourcePort = meta.fromPort;
    // RFC 3261 8.2.2.1: only a sip/sips Request-URI naming this UA's user
    // (or no user) is for this UA: 416 for another scheme, 404 for another user.
    sip::Uri ruri;
    if (sip::ParseUri(msg.request_uri, &ruri) || !ruri.is_sip()) {
      Drop(SipDropReason::kNoRoute, attr, msg.raw.size(), "416 Request-URI scheme");
      Respond(t, msg, 416, ids.Tag());
      return;
    }
    if (ruri.has_user && ruri.user != self->m_user) {
      Drop(SipDropReason::kNoRoute, attr, msg.raw.size(), "404 Request-URI is another user");
      Respond(t, msg, 404, ids.Tag());
      return;
    }
    // RFC 3261 8.2.2.3: this UA supports no extension; a request that
    // Requires one (CANCEL aside, which this UA does not implement) is
    // refused 420 with the tags in Unsupported, not acted on.
    if (msg.method != "CANCEL") {
      const std::string unsupported = sipns3::UnsupportedLine(msg, sip::HeaderId::kRequire);
      if (!unsupported.empty()) {
        Drop(SipDropReason::kBadExtension, attr, msg.raw.size(), "420");
        Respond(t, msg, 420, ids.Tag(), {}, {}, {}, unsupported);
        return;
      }
    }
    if (msg.method == "MESSAGE" && Smime()) {
      ReceiveSmime(t, msg, attr, vias);
    } else if (msg.method == "MESSAGE") {
      Respond(t, msg, 200, ids.Tag());
      DeliverPager(msg, attr, vias);
    } else if (msg.method == "INVITE") {
      OnInvite(t, msg, attr);
    } else if (msg.method == "BYE") {
      Session* s = attr.kind == SipAttributionKind::kSession ? FindSession(attr.id) : nullptr;
      // RFC 3261 12.2.2: a request within a dialog matches it by Call-ID
      // and both tags; the devices a forked INVITE reached share the
      // Call-ID, and one whose dialog we did not keep must not end ours.
      if (s && (TagOf(msg, sip::HeaderId::kFrom) != s->remoteTag || TagOf(msg, sip::HeaderId::kTo) != s->localTag)) {
        Drop(SipDropReason::kUnexpected, attr, msg.raw.size(), "481 BYE matching no dialog (its tags)");
        s = nullptr;
      }
      Respond(t, msg, s ? 200 : 481, {});
      if (s) OnPeerBye(*s);
    } else if (msg.method == "CANCEL") {
      OnCancel(t, msg, attr);
    } else if (msg.method == "OPTIONS") {
      // RFC 3261 11.2: what this UA can do, as a 200 would to an INVITE.
      Respond(t, msg, 200, ids.Tag(), contact, {}, {}, sipns3::OptionsCapabilities(kAllow));
    } else {
      // RFC 3261 8.2.1: a 405 lists the methods this UA does implement.
      Respond(t, msg, 405, ids.Tag(), {}, {}, {}, "Allow: " + std::string(kAllow) + "\r\n");
    }
  }

  // RFC 3261 15.1.2: the peer ended the dialog. IMs of ours in flight may
  // still be delivered, since the peer reads its media connections until
  // the 200 to its BYE reaches it: the session sends nothing more and
  // waits for their outcome (a delivery notice; the peer's connections
  // closing fails the rest, and so does 64*T1 without either). IMs not yet
  // sent go on a new session, as after our own BYE (CloseSession). Before,
  // every IM in flight failed at once, and some were delivered after all.
  void OnPeerBye(Session& s) {
    s.peerBye = true;
    if (s.unresolved.empty()) {
      CloseSession(s, SipFailReason::kSessionClosed, true);
      return;
    }
    const std::uint64_t sid = s.id;
    s.byeDrainTimer = Simulator::Schedule(64 * timers.t1, [this, sid]() {
      if (Session* ss = FindSession(sid)) CloseSession(*ss, SipFailReason::kSessionClosed, true);
    });
  }

  // RFC 3261 13.3.1: a UAS answers every INVITE. A callee session that
  // ends before its answer (its only media connection failed during
  // AnswerDelay, say) answers 500, as when it cannot open its listener;
  // unanswered, the caller would wait for ever and each proxy until timer C.
  void AnswerUnansweredInvite(Session& s) {
    if (s.caller || !self->m_running) return;
    ServerTxn* t = stx->FindById(s.inviteTxn);
    if (!t || t->final) return;
    sip::Message invite;
    if (!sip::Parse(s.inviteBytes, sip::Framing::kDatagram, &invite)) Respond(t, invite, 500, s.localTag);
  }

  // RFC 3261 9.2: a CANCEL matches the INVITE server transaction with its
  // branch. None: 481. Else 200 (with the To tag of the INVITE's answer),
  // and an INVITE not answered yet (AnswerDelay) gets 487 and its session
  // ends; an INVITE already answered is not affected.
  void OnCancel(ServerTxn* t, const sip::Message& msg, SipAttribution attr) {
    ServerTxn* inv = stx->Find(stx->KeyOf(m_top.branch, "INVITE"));
    if (!inv) {
      Drop(SipDropReason::kUnexpected, attr, msg.raw.size(), "481 CANCEL matching no transaction");
      Respond(t, msg, 481, ids.Tag());
      return;
    }
    Session* s = nullptr;
    for (auto& kv : sessions)
      if (!kv.second->caller && kv.second->inviteTxn == inv->id) s = kv.second.get();
    // RFC 3261 8.2.6.2: a To tag, the INVITE answer's when we know it (9.2).
    const std::string tag = s ? s->localTag : ids.Tag();
    Respond(t, msg, 200, tag);
    if (inv->final || !s) return;
    sip::Message invite;
    if (!sip::Parse(s->inviteBytes, sip::Framing::kDatagram, &invite)) Respond(inv, invite, 487, s->localTag);
    CloseSession(*s, SipFailReason::kSessionSetupFailed, false);
  }

  static std::string FromUri(const sip::Message& msg) {
    std::string from;
    if (const sip::Header* f = msg.Find(sip::HeaderId::kFrom)) {
      sip::NameAddr na;
      if (!sip::ParseNameAddr(f->value, &na, msg.input)) from = std::string(na.uri);
    }
    return from;
  }

  void DeliverPager(const sip::Message& msg, SipAttribution attr, std::uint32_t vias) {
    const std::uint64_t imId = attr.kind == SipAttributionKind::kIm ? attr.id : 0;
    Deliver(imId, FromUri(msg), static_cast<std::uint32_t>(msg.body.size()), vias > 0 ? vias - 1 : 0);
  }

  // Security = Smime: every MESSAGE's body is decrypted and verified for
  // real (chain to the CA, signer naming the From AOR), the node charged
  // smime_decrypt_verify for it, and only then answered: 200 and the plain
  // text delivered, or 493 Undecipherable (RFC 3261 23.2) and a Drop
  // kSecurity naming why. An unprotected body is refused the same way.
  void ReceiveSmime(ServerTxn* t, const sip::Message& msg, SipAttribution attr, std::uint32_t vias) {
    const std::uint64_t imId = attr.kind == SipAttributionKind::kIm ? attr.id : 0;
    const std::string from = FromUri(msg);
    const sip::Header* ct = msg.Find(sip::HeaderId::kContentType);
    SipCryptoOp op = SipCryptoOp::kSmimeDecryptVerify;
    LiveClock clock(*cpu);
    auto got = Smime()->SmimeReceive(self->m_aor, from, ct ? ct->value : std::string_view(), msg.body, &op);
    const Time took = clock.Elapsed();
    // Charged at the plain text's size; a body that does not open, at its own.
    const std::size_t size = got ? got->body.size() : msg.body.size();
    const std::uint64_t txnId = t->id;
    auto raw = std::make_shared<std::string>(msg.raw);
    auto result = std::make_shared<sec::Result<sec::Received>>(std::move(got));
    const std::uint32_t hops = vias > 0 ? vias - 1 : 0;
    Smime()->Charge(cpu, nodeId, attr, op, size, took,
                    [this, txnId, raw, result, attr, imId, from, hops]() {
                      if (!self->m_running) return;
                      ServerTxn* tx = stx->FindById(txnId);
                      sip::Message req;
                      if (!tx || sip::Parse(*raw, sip::Framing::kDatagram, &req)) return;
                      if (!*result) {
                        Drop(SipDropReason::kSecurity, attr, raw->size(),
                             "493 S/MIME: " + result->error().ToString());
                        Respond(tx, req, 493, ids.Tag());
                        return;
                      }
                      Respond(tx, req, 200, ids.Tag());
                      Deliver(imId, from, static_cast<std::uint32_t>((*result)->body.size()), hops);
                    });
  }

  void Deliver(std::uint64_t imId, const std::string& from, std::uint32_t bodyBytes, std::uint32_t hops) {
    bool duplicate = false;
    if (imId != 0) {
      // A copy comes at most 64*T1 after the first (the sender's timer F
      // ends its retransmissions; a fork sends every copy at once) and is
      // at most T4 in the network: that long an id is worth remembering.
      const Time now = Simulator::Now();
      const Time window = 64 * timers.t1 + timers.t4;
      while (!deliveredAge.empty() &&
             (deliveredAge.front().first + window <= now || deliveredAge.size() >= kMaxRememberedIms)) {
        delivered.erase(deliveredAge.front().second);
        deliveredAge.pop_front();
      }
      duplicate = !delivered.insert(imId).second;
      if (!duplicate) deliveredAge.emplace_back(now, imId);
    }
    ++self->m_imsDelivered;
    self->m_imDeliveredTrace(imId, from, bodyBytes, hops, duplicate);
  }

  // ---- sessions ----
  Session* FindSession(std::uint64_t id) {
    auto it = sessionsById.find(id);
    return it == sessionsById.end() ? nullptr : it->second;
  }
  static std::string SessionKey(const std::string& peer, SipImMode mode) {
    return peer + (mode == SipImMode::kSessionMsrp ? "|msrp" : "|tcp");
  }
  // The key of a peer's session accepted while our own INVITE to that peer
  // was still pending (crossed INVITEs): it stands beside ours, and takes
  // its place when ours closes (CloseSession).
  static std::string CrossedKey(const std::string& key) { return key + "|crossed"; }

  sdp::Setup OfferSetup() const {
    switch (self->m_connectionSetup) {
      case ConnectionSetup::kActive: return sdp::Setup::kActive;
      case ConnectionSetup::kPassive: return sdp::Setup::kPassive;
      case ConnectionSetup::kBoth: break;
    }
    return sdp::Setup::kActpass;
  }
  // Whether this end connects / listens, given the offer's a=setup.
  static bool Connects(bool offerer, sdp::Setup offer) {
    switch (offer) {
      case sdp::Setup::kActive: return offerer;
      case sdp::Setup::kPassive: return !offerer;
      default: return true;  // actpass: the paper's race, both connect
    }
  }
  static bool Listens(bool offerer, sdp::Setup offer) {
    switch (offer) {
      case sdp::Setup::kActive: return !offerer;
      case sdp::Setup::kPassive: return offerer;
      default: return true;
    }
  }

  bool OpenListener(Session& s) {
    TypeId tid;
    if (!sipns3::NodeHasTransport(self->GetNode(), self->m_mediaTransport, &tid)) return false;
    s.listener = Socket::CreateSocket(self->GetNode(), tid);
    sipns3::GuardTcpListener(s.listener);
    if (s.listener->Bind(InetSocketAddress(Ipv4Address::GetAny(), 0)) != 0 || s.listener->Listen() != 0)
      return false;
    Address a;
    s.listener->GetSockName(a);
    s.listenPort = InetSocketAddress::ConvertFrom(a).GetPort();
    const std::uint64_t sid = s.id;
    s.listener->SetAcceptCallback(
        MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
        Callback<void, Ptr<Socket>, const Address&>([this, sid](Ptr<Socket> sock, const Address& from) {
          sipns3::RestorePersistTimeout(sock);
          Session* ss = FindSession(sid);
          if (!ss) {
            sock->Close();
            return;
          }
          const InetSocketAddress fa = InetSocketAddress::ConvertFrom(from);
          // The callee knows the caller's media host from the offer, the
          // caller the callee's once the answer came: a connection from any
          // other host is not this session's (a third host, or another
          // device of a forked INVITE). Before the answer the caller holds
          // what comes (SettleHeldConns decides).
          const bool known = !ss->caller || ss->established;
          if (known && fa.GetIpv4() != ss->peerMediaAddr) {
            RefuseMediaConn(*ss);
            sock->Close();
            return;
          }
          AddMediaConn(*ss, sock, fa.GetIpv4(), fa.GetPort(), true, false, !known);
        }));
    return true;
  }

  std::uint16_t MediaPort(const Session& s) const {
    return s.listener ? s.listenPort : 9;  // RFC 4145: 9 when not listening
  }
  // This end's MSRP URI (its a=path), from its media port.
  void BuildMyPath(Session& s) {
    s.myPath.clear();
    msrp::AppendSimpleUri(false, host, MediaPort(s), AttributedId(SipAttributionKind::kSession, s.id), &s.myPath);
  }

  // An offer, or with `offer` the answer to it (RFC 3264 section 6: its
  // m= line s.offerMedia taken, any other rejected with port 0).
  void AppendOffer(Session& s, sdp::Setup setup, std::string* out, const sdp::SessionDescription* offer = nullptr) {
    const std::uint16_t port = MediaPort(s);
    const sdp::AnswerTo answerTo{offer, s.offerMedia};
    if (s.mode == SipImMode::kSessionMsrp) {
      BuildMyPath(s);
      sdp::MsrpOfferParams p;
      p.session_id = s.id;
      p.address = host;
      p.port = port;
      p.msrp_session = std::string_view(s.myPath).substr(s.myPath.rfind('/') + 1, 16);
      p.setup = setup;
      p.mikey = s.mikeyOut.empty() ? nullptr : s.mikeyOut.data();
      p.mikey_size = s.mikeyOut.size();
      p.answer_to = answerTo;
      sdp::AppendMsrpOffer(p, out);
    } else {
      sdp::TcpImOfferParams p;
      p.session_id = s.id;
      p.address = host;
      p.port = port;
      p.setup = setup;
      p.mikey = s.mikeyOut.empty() ? nullptr : s.mikeyOut.data();
      p.mikey_size = s.mikeyOut.size();
      p.answer_to = answerTo;
      sdp::AppendTcpImOffer(p, out);
    }
  }

  // Reads the peer's media address, port, setup and MSRP path from its SDP:
  // from its first message stream in this session's mode (TCP/MSRP, or the
  // paper's TCP) that is not rejected (port 0). Null when it could; else
  // why not: no such stream, an a=setup RFC 4145 section 4 does not define
  // or holdconn (no connection now, so no IM could go), no usable address
  // or MSRP path. The callee then answers 488, the caller ends the dialog.
  // `keyMgmt`, when given, gets the a=key-mgmt value (RFC 4567), if any.
  // `absent`: the setup of a stream without a=setup (RFC 4145 section 4.1:
  // active in an offer, passive in an answer).
  const char* ReadSdp(Session& s, std::string_view body, sdp::Setup absent, sdp::Setup* setup,
                      std::string* keyMgmt = nullptr) {
    sdp::SessionDescription sd;
    if (sdp::Parse(body, &sd)) return "no SDP that parses";
    const int index = sdp::FindMedia(sd, "message", s.mode == SipImMode::kSessionMsrp ? "TCP/MSRP" : "TCP");
    if (index < 0) return kNoMessageStream;
    s.offerMedia = static_cast<std::size_t>(index);
    const sdp::Media& m = sd.media[s.offerMedia];
    std::string_view addr;
    if (!m.connections.empty()) addr = m.connections[0].address;
    else if (sd.connection) addr = sd.connection->address;
    if (!sipns3::HostToIpv4(addr, &s.peerMediaAddr)) return "no IPv4 address for the message stream";
    s.peerMediaPort = m.port;
    *setup = absent;
    if (const sdp::Attribute* a = sdp::FindAttribute(sd, m, "setup")) {
      if (sdp::ParseSetup(a->value, setup)) return "an a=setup value RFC 4145 does not define";
      if (*setup == sdp::Setup::kHoldconn) return "a=setup:holdconn (no connection now)";
    }
    if (keyMgmt)
      if (const sdp::Attribute* a = sdp::FindAttribute(sd, m, "key-mgmt")) *keyMgmt = std::string(a->value);
    if (s.mode == SipImMode::kSessionMsrp) {
      const sdp::Attribute* p = sdp::FindAttribute(sd, m, "path");
      std::vector<msrp::Uri> path;  // RFC 4975 8.2: MSRP URIs, or the IMs could not go
      if (!p) return "no a=path on the MSRP stream";
      if (sdp::ParsePath(p->value, &path)) return "an a=path that is no list of MSRP URIs";
      s.peerPath = std::string(p->value);
    }
    return nullptr;
  }
  static constexpr const char* kNoMessageStream = "no message stream this UA takes (m=message, TCP or TCP/MSRP)";

  Session& NewSession(std::uint64_t id, const std::string& peer, SipImMode mode, bool caller,
                      const std::string& key) {
    auto s = std::make_unique<Session>();
    s->id = id;
    s->mode = mode;
    s->caller = caller;
    s->dir = caller ? 0 : 1;
    s->peerAor = peer;
    s->key = key;
    s->msrpIds = msrp::IdGenerator((0x35ULL << 56) ^ (id * 2 + (caller ? 0 : 1)));
    s->lastActivity = Simulator::Now();
    Session* raw = s.get();
    sessionsById[id] = raw;
    sessions[s->key] = std::move(s);
    ++self->m_sessionsOpened;
    return *raw;
  }

  void StartSession(const std::string& to, SipImMode mode, PendingIm im) {
    const std::uint64_t sid = ++sipns3::Ids().session;
    Session& s = NewSession(sid, to, mode, true, SessionKey(to, mode));
    s.shared = std::make_shared<SharedSession>();
    s.shared->id = sid;
    s.shared->ends[0] = self;
    sipns3::SessionRegistry()[sid] = s.shared;
    s.queue.push_back(std::move(im));
    s.callId = AttributedId(SipAttributionKind::kSession, sid) + "@" + host;
    s.localTag = ids.Tag();
    if (Listens(true, OfferSetup()) && !OpenListener(s)) {
      CloseSession(s, SipFailReason::kSessionSetupFailed, false);
      return;
    }
    if (SipImSecurity* mk = Mikey()) {
      // RFC 4567: the offer carries the real I_MESSAGE, built now; the
      // INVITE leaves once the node's CPU has spent what building it costs.
      s.crypto = std::make_unique<SipSessionCrypto>();
      LiveClock clock(*cpu);
      auto i = mk->MikeyOffer(self->m_aor, to, s.crypto.get());
      const Time took = clock.Elapsed();
      if (!i) {
        NS_LOG_WARN("session " << sid << ": no MIKEY offer: " << i.error().ToString());
        CloseSession(s, SipFailReason::kSecurity, false);
        return;
      }
      s.mikeyOut = std::move(*i);
      mk->Charge(cpu, nodeId, SipAttribution{SipAttributionKind::kSession, sid}, SipCryptoOp::kMikeyIBuild, 0, took,
                 [this, sid]() {
                   if (Session* ss = FindSession(sid)) SendInvite(*ss);
                 });
      return;
    }
    SendInvite(s);
  }

  void SendInvite(Session& s) {
    const std::uint64_t sid = s.id;
    const std::string to = s.peerAor;
    std::string body;
    AppendOffer(s, OfferSetup(), &body);
    auto txn = std::make_unique<ClientTxn>();
    txn->branch = ids.Branch();
    s.cseq = s.inviteCseq = 1;
    auto build = [&](SipTransportProtocol tr) {
      txn->bytes.clear();
      sip::RequestSpec spec = UacSpec("INVITE", to, tr, txn->branch, s.localTag);
      spec.to_uri = to;
      spec.call_id = s.callId;
      spec.cseq = s.cseq;
      spec.contact = contact;
      spec.content_type = "application/sdp";
      spec.body = body;
      return sip::BuildRequest(spec, &txn->bytes);
    };
    if (auto e = build(self->m_transport)) {
      NS_LOG_ERROR("INVITE not built: " << e.ToString());
      CloseSession(s, SipFailReason::kSessionSetupFailed, false);
      return;
    }
    // RFC 3261 18.1.1, as for MESSAGE: an INVITE above Mtu - 200 (one
    // carrying a MIKEY DH or PKE offer) goes over TCP.
    const SipTransportProtocol chosen =
        sipns3::ApplySizeSwitch(self->m_transport, txn->bytes.size(), self->m_mtu, self->m_switchToTcpAboveMtu);
    if (chosen != self->m_transport) build(chosen);
    txn->dest = ProxyDest(chosen);
    txn->invite = true;
    txn->attr = SipAttribution{SipAttributionKind::kSession, sid};
    txn->type = SipMsgType::kInvite;
    txn->cookie = sid;
    SessionEvent(s, SipSessionEvent::kInviteSent);
    if (!ctx->Start(std::move(txn))) {
      CloseSession(s, SipFailReason::kTransportError, false);
      return;
    }
    if (self->m_inviteTimeout.IsStrictlyPositive())
      s.cancelTimer = Simulator::Schedule(self->m_inviteTimeout, &Impl::OnInviteTimeout, this, sid);
  }

  // The caller's INVITE of session `sid` still waiting for its final response.
  ClientTxn* PendingInvite(std::uint64_t sid) const {
    for (ClientTxn* t : ctx->WithCookie(sid))
      if (t->type == SipMsgType::kInvite) return t;
    return nullptr;
  }

  // InviteTimeout: give up the INVITE (RFC 3261 9.1). Without a provisional
  // response the CANCEL must wait for one; timer B may end the INVITE first.
  void OnInviteTimeout(std::uint64_t sid) {
    Session* s = FindSession(sid);
    ClientTxn* inv = s && !s->established ? PendingInvite(sid) : nullptr;
    if (!inv) return;
    s->cancelWanted = true;
    if (inv->state == ClientTxn::State::kProceeding) SendCancel(*s, *inv);
  }

  // RFC 3261 9.1: CANCEL to where the INVITE went; the UAS answers the
  // INVITE 487, which the INVITE's transaction ACKs, and the session fails
  // kCancelled (a 2xx that crossed the CANCEL sets the session up as usual).
  void SendCancel(Session& s, const ClientTxn& inv) {
    s.cancelSent = true;
    std::unique_ptr<ClientTxn> txn = sipns3::ClientTxnTable::NewCancel(inv);
    if (!txn) {
      NS_LOG_ERROR("CANCEL not built for session " << s.id);
      AbandonInvite(s.id);
      return;
    }
    txn->cookie = 0;  // its answer ends at its transaction; the INVITE's decides
    SessionEvent(s, SipSessionEvent::kCancelSent);
    ctx->Start(std::move(txn));
    // RFC 3261 9.1: no final response 64*T1 after the CANCEL (or the CANCEL
    // could not be sent): the INVITE transaction is destroyed, as the UA
    // has no timer C to end it otherwise.
    s.cancelTimer.Cancel();
    s.cancelTimer = Simulator::Schedule(64 * timers.t1, &Impl::AbandonInvite, this, s.id);
  }

  void AbandonInvite(std::uint64_t sid) {
    Session* s = FindSession(sid);
    if (!s || s->established) return;
    if (ClientTxn* inv = PendingInvite(sid)) ctx->Remove(inv);
    CloseSession(*s, SipFailReason::kCancelled, false);
  }

  static std::string_view CSeqMethod(const sip::Message& msg) {
    sip::CSeq cseq;
    const sip::Header* h = msg.Find(sip::HeaderId::kCSeq);
    if (!h || sip::ParseCSeq(h->value, &cseq, msg.input)) return {};
    return cseq.method;
  }

  // The tag of the From or To field; "" when absent or unreadable.
  static std::string TagOf(const sip::Message& msg, sip::HeaderId field) {
    sip::NameAddr na;
    const sip::Header* h = msg.Find(field);
    if (!h || sip::ParseNameAddr(h->value, &na, msg.input)) return std::string();
    return std::string(na.tag);
  }
  static std::string ToTag(const sip::Message& msg) { return TagOf(msg, sip::HeaderId::kTo); }

  // RFC 3261 13.2.2.4: every 2xx gets an ACK; a dialog we do not want (a
  // second device answering a forked INVITE, or an answer that comes
  // after the session gave up its INVITE) is then ended with BYE. The
  // dialog's fields are the 2xx's own (our From tag, its To, Call-ID and
  // CSeq), so that no session is needed.
  void AckAndByeExtraDialog(const sip::Message& msg, SipAttribution attr) {
    sip::NameAddr from, to;
    sip::CSeq cseq;
    const sip::Header* fh = msg.Find(sip::HeaderId::kFrom);
    const sip::Header* th = msg.Find(sip::HeaderId::kTo);
    const sip::Header* ch = msg.Find(sip::HeaderId::kCSeq);
    const sip::Header* idh = msg.Find(sip::HeaderId::kCallId);
    if (!fh || !th || !ch || !idh || sip::ParseNameAddr(fh->value, &from, msg.input) ||
        sip::ParseNameAddr(th->value, &to, msg.input) || sip::ParseCSeq(ch->value, &cseq, msg.input)) {
      Drop(SipDropReason::kParseError, attr, msg.raw.size(), "2xx to INVITE without a usable From, To, CSeq or Call-ID");
      return;
    }
    std::string target, routeSet;
    if (const sip::Header* c = msg.Find(sip::HeaderId::kContact)) {
      sip::NameAddr na;
      if (!sip::ParseNameAddr(c->value, &na, msg.input)) target = std::string(na.uri);
    }
    std::vector<sip::NameAddr> rr;
    for (const sip::Header* h = msg.Find(sip::HeaderId::kRecordRoute); h; h = msg.FindNext(h))
      sip::ParseNameAddrList(h->value, &rr, msg.input);
    for (auto it = rr.rbegin(); it != rr.rend(); ++it) {
      if (!routeSet.empty()) routeSet += ",";
      routeSet += "<" + std::string(it->uri) + ">";
    }
    Session extra;  // the unwanted dialog, for InDialogDest only
    extra.remoteTarget = target;
    extra.routeSet = routeSet;
    Dest d;
    if (target.empty() || !InDialogDest(extra, &d)) {
      Drop(SipDropReason::kUnexpected, attr, msg.raw.size(), "2xx of another device without Contact");
      return;
    }
    const std::string localTag(from.tag), remoteTag(to.tag), peer(to.uri), callId(idh->value);
    for (const char* method : {"ACK", "BYE"}) {
      const bool bye = method[0] == 'B';
      auto txn = std::make_unique<ClientTxn>();
      txn->branch = ids.Branch();
      sip::RequestSpec spec = UacSpec(method, target, d.transport, txn->branch, localTag);
      spec.to_uri = peer;
      spec.to_tag = remoteTag;
      spec.call_id = callId;
      spec.cseq = bye ? cseq.number + 1 : cseq.number;
      spec.route = routeSet;
      if (auto e = sip::BuildRequest(spec, &txn->bytes)) {
        Drop(SipDropReason::kUnexpected, attr, msg.raw.size(), std::string(method) + " not built: " + e.ToString());
        return;
      }
      if (!bye) {
        SendSip(d, txn->bytes, attr, SipMsgType::kAck, 0, false);
        continue;
      }
      txn->dest = d;
      txn->attr = attr;
      txn->type = SipMsgType::kBye;
      txn->cookie = 0;  // not our session's BYE: its answer closes nothing
      ctx->Start(std::move(txn));
    }
  }

  void OnInviteResponse(std::uint64_t sid, const sip::Message& msg, SipAttribution attr) {
    Session* s = FindSession(sid);
    if (!s) return;
    s->cancelTimer.Cancel();
    if (msg.status_code >= 300) {
      // 488 to a MIKEY offer: the callee refused the key exchange (OnInvite).
      const bool refused = s->crypto && msg.status_code == 488;
      if (refused) MikeyRefusedByPeer(*s, msg.body, attr);
      CloseSession(*s, s->cancelSent ? SipFailReason::kCancelled
                       : refused     ? SipFailReason::kSecurity
                                     : SipFailReason::kSessionSetupFailed,
                   false, static_cast<std::uint16_t>(msg.status_code));
      return;
    }
    // The dialog: remote tag and target, route set (Record-Route reversed).
    if (const sip::Header* to = msg.Find(sip::HeaderId::kTo)) {
      sip::NameAddr na;
      if (!sip::ParseNameAddr(to->value, &na, msg.input)) s->remoteTag = std::string(na.tag);
    }
    if (const sip::Header* c = msg.Find(sip::HeaderId::kContact)) {
      sip::NameAddr na;
      if (!sip::ParseNameAddr(c->value, &na, msg.input)) s->remoteTarget = std::string(na.uri);
    }
    std::vector<sip::NameAddr> rr;
    for (const sip::Header* h = msg.Find(sip::HeaderId::kRecordRoute); h; h = msg.FindNext(h))
      sip::ParseNameAddrList(h->value, &rr, msg.input);
    s->routeSet.clear();
    for (auto it = rr.rbegin(); it != rr.rend(); ++it) {
      if (!s->routeSet.empty()) s->routeSet += ",";
      s->routeSet += "<" + std::string(it->uri) + ">";
    }
    sdp::Setup setup;
    std::string keyMgmt;
    const char* unusable = ReadSdp(*s, msg.body, sdp::Setup::kPassive, &setup, &keyMgmt);
    if (!unusable) unusable = AnswerSetupMismatch(OfferSetup(), setup);
    if (s->remoteTarget.empty()) {
      CloseSession(*s, SipFailReason::kSessionSetupFailed, false);
      return;
    }
    if (!unusable) {
      SettleHeldConns(*s);
      if (FindSession(sid) != s) return;
    }
    // ACK (RFC 3261 13.2.2.4): a new transaction, straight to the target.
    sip::RequestSpec spec;
    const std::string branch = ids.Branch();
    spec.method = "ACK";
    spec.request_uri = s->remoteTarget;
    spec.branch = branch;
    spec.from_uri = self->m_aor;
    spec.from_tag = s->localTag;
    spec.to_uri = s->peerAor;
    spec.to_tag = s->remoteTag;
    spec.call_id = s->callId;
    spec.cseq = s->inviteCseq;
    spec.route = s->routeSet;
    if (!InDialogDest(*s, &s->ackDest)) {
      CloseSession(*s, SipFailReason::kSessionSetupFailed, false);
      return;
    }
    spec.via_transport = sipns3::ViaTransportName(s->ackDest.transport);
    spec.via_host = host;
    spec.via_port = ep->port();
    s->ackBytes.clear();
    if (auto e = sip::BuildRequest(spec, &s->ackBytes)) {
      Drop(SipDropReason::kUnexpected, attr, msg.raw.size(), "ACK not built: " + e.ToString());
      CloseSession(*s, SipFailReason::kSessionSetupFailed, false);
      return;
    }
    SendSip(s->ackDest, s->ackBytes, attr, SipMsgType::kAck, 0, false);
    s->established = true;
    SessionEvent(*s, SipSessionEvent::kEstablished);
    if (unusable) {
      EndUnusableDialog(*s, attr, msg.body.size(), unusable);
      return;
    }
    ArmIdle(*s);
    ArmMediaWait(*s);
    if (s->crypto && !s->crypto->keyed) FinishMikey(*s, keyMgmt);
    // The offer's a=setup decides who connects (our own offer).
    if (Connects(true, OfferSetup()) && !HasLiveConn(*s)) ConnectMedia(*s);
    Flush(*s);
  }

  // RFC 4145 section 4.1: the answer's a=setup must be one the offer's
  // allows (to active, passive; to passive, active; to actpass, either, or
  // actpass: the paper's race, which this UA's callee answers). Else both
  // ends connect and neither listens, or the reverse, and no media path
  // comes up. Null when it fits, else why not (for EndUnusableDialog).
  static const char* AnswerSetupMismatch(sdp::Setup offer, sdp::Setup answer) {
    if (offer == sdp::Setup::kActpass || answer == AnswerSetup(offer)) return nullptr;
    return "an a=setup the offer's does not allow (RFC 4145 4.1)";
  }

  // RFC 3261 13.2.2.4: every 2xx to an INVITE is ACKed, even one whose
  // answer this UA cannot use (no message stream it speaks, a bad a=setup
  // or MSRP path: ReadSdp); the dialog it made is then ended with BYE and
  // the IMs waiting on it fail. Before, the session closed unACKed: the
  // callee resent its 2xx for 64*T1 and kept its half of the session.
  void EndUnusableDialog(Session& s, SipAttribution attr, std::size_t bodyBytes, const char* why) {
    Drop(SipDropReason::kUnexpected, attr, bodyBytes, std::string("2xx whose SDP answer has ") + why + ": ACKed, BYE");
    FailDialog(s, SipFailReason::kSessionSetupFailed);
  }

  // A dialog that is up but can carry no IM: its queued IMs fail with
  // `reason` and it ends with BYE.
  void FailDialog(Session& s, SipFailReason reason) {
    SessionEvent(s, SipSessionEvent::kFailed);
    std::deque<PendingIm> queued;
    queued.swap(s.queue);
    for (const PendingIm& im : queued) Outcome(im.imId, SipImOutcome::kFailed, reason, 0);
    s.closing = true;
    MaybeBye(s);
  }

  // The caller's end of a 488 to its MIKEY offer: the error message its SDP
  // carries goes through Initiator::ProcessR, for real, and the Drop
  // kSecurity traced says what that found: the peer refused, verified
  // (kPeerRefused, naming the Error no.), an error message this end cannot
  // check (kPeerRefusedUnverified), or a forged one (the check's code); or
  // that the 488 carried none. Not charged: the calibration has no row for
  // processing an error message (see the README).
  void MikeyRefusedByPeer(Session& s, std::string_view body, SipAttribution attr) {
    std::string why = "488 without a MIKEY error message";
    sdp::SessionDescription sd;
    const sdp::Attribute* km = nullptr;
    if (!body.empty() && !sdp::Parse(body, &sd) && !sd.media.empty()) km = sdp::FindAttribute(sd, sd.media[0], "key-mgmt");
    if (km) {
      auto error = sec::mikey::ParseKeyMgmtValue(km->value);
      why = error ? Mikey()->MikeyRefused(*error, s.crypto.get()).ToString() : error.error().ToString();
    }
    Drop(SipDropReason::kSecurity, attr, body.size(), "488 to the MIKEY offer: " + why);
  }

  // The caller's end of MIKEY: the answer's R_MESSAGE is verified for real
  // and the node charged mikey_r_process; IMs wait (Flush) until then. The
  // dialog is up either way (the 2xx was ACKed): a refused R ends it with
  // BYE, its IMs failing kSecurity.
  void FinishMikey(Session& s, const std::string& keyMgmt) {
    SipImSecurity* mk = Mikey();
    sec::Bytes r;
    sec::Status st;
    LiveClock clock(*cpu);
    if (keyMgmt.empty()) {
      st = sec::MakeError(sec::Errc::kMalformed, "the answer has no a=key-mgmt:mikey");
    } else if (auto parsed = sec::mikey::ParseKeyMgmtValue(keyMgmt); !parsed) {
      st = parsed.error();
    } else {
      r = std::move(*parsed);
      st = mk->MikeyFinish(r, s.crypto.get());
    }
    const Time took = clock.Elapsed();
    const std::uint64_t sid = s.id;
    mk->Charge(cpu, nodeId, SipAttribution{SipAttributionKind::kSession, sid}, SipCryptoOp::kMikeyRProcess, r.size(), took,
               [this, sid, st]() {
                 Session* ss = FindSession(sid);
                 if (!ss) return;
                 if (!st) {
                   MikeyFailed(*ss, "MIKEY R_MESSAGE refused: " + st.error().ToString());
                   return;
                 }
                 Flush(*ss);
               });
  }

  // A session whose key exchange failed at this end after the dialog came
  // up: its queued IMs fail kSecurity and the dialog ends with BYE.
  void MikeyFailed(Session& s, const std::string& why) {
    Drop(SipDropReason::kSecurity, SipAttribution{SipAttributionKind::kSession, s.id}, 0, why);
    FailDialog(s, SipFailReason::kSecurity);
  }

  bool HasLiveConn(const Session& s) const {
    for (const auto& kv : s.conns)
      if (!kv.second.conn->closed() && kv.second.conn->connected()) return true;
    return false;
  }

  void RefuseMediaConn(const Session& s) {
    Drop(SipDropReason::kUnexpected, SipAttribution{SipAttributionKind::kSession, s.id}, 0,
         s.caller ? "media connection from a host other than the answer's"
                  : "media connection from a host other than the offer's");
  }

  // The answer names the callee's media host: of the connections accepted
  // before it (held), those from that host are used now (their bytes read
  // in order), any other (a third host, another device of a forked
  // INVITE) is closed and traced.
  void SettleHeldConns(Session& s) {
    std::vector<std::uint64_t> held;
    for (auto& kv : s.conns)
      if (kv.second.held) held.push_back(kv.first);
    std::sort(held.begin(), held.end());
    const std::uint64_t sid = s.id;
    for (std::uint64_t cid : held) {
      auto it = s.conns.find(cid);
      if (it == s.conns.end()) continue;
      MediaConn& mc = it->second;
      mc.held = false;
      if (mc.conn->peer() != s.peerMediaAddr) {
        RefuseMediaConn(s);
        mc.conn->onClosed = nullptr;
        mc.conn->Close();
        s.conns.erase(it);
        continue;
      }
      if (mc.conn->closed()) continue;
      OnMediaUp(sid, *mc.conn);
      std::string early;
      early.swap(mc.heldBytes);
      if (!early.empty()) OnMediaData(sid, *mc.conn, reinterpret_cast<const std::uint8_t*>(early.data()), early.size());
      if (FindSession(sid) != &s) return;
    }
  }

  // Where an in-dialog request goes: the first Route, else the remote target.
  bool InDialogDest(const Session& s, Dest* d) {
    std::string first = s.remoteTarget;
    if (!s.routeSet.empty()) {
      const auto end = s.routeSet.find('>');
      first = s.routeSet.substr(1, end - 1);
    }
    sip::Uri u;
    if (sip::ParseUri(first, &u)) return false;
    return sipns3::UriDest(u, self->m_transport, d);
  }

  void OnInvite(ServerTxn* t, const sip::Message& msg, SipAttribution attr) {
    if (attr.kind != SipAttributionKind::kSession) {
      Respond(t, msg, 488, ids.Tag());
      return;
    }
    auto reg = sipns3::SessionRegistry().find(attr.id);
    // The mode is the offer's message stream's: MSRP (TCP/MSRP), else the
    // paper's plain TCP (ReadSdp refuses an offer with neither).
    sdp::SessionDescription offer;
    const bool msrpMode = !sdp::Parse(msg.body, &offer) && sdp::FindMedia(offer, "message", "TCP/MSRP") >= 0;
    std::string from;
    if (const sip::Header* f = msg.Find(sip::HeaderId::kFrom)) {
      sip::NameAddr na;
      if (!sip::ParseNameAddr(f->value, &na, msg.input)) {
        from = std::string(na.uri);
      }
    }
    const SipImMode mode = msrpMode ? SipImMode::kSessionMsrp : SipImMode::kSessionStripped;
    std::string key = SessionKey(from, mode);
    const bool known = FindSession(attr.id) != nullptr;  // e.g. a forked copy of an INVITE we answered
    if (auto it = sessions.find(key); known || it != sessions.end()) {
      // One session per pair and mode, but for crossed INVITEs: the two
      // users invited each other at once, and each is still waiting for an
      // answer. Refused both ways (486 each), they would cross again on the
      // next IM for as long as their timing repeats; so the peer's session
      // is accepted beside ours, one each way. So is one that comes while
      // our BYE waits for its answer: the peer has closed the old session
      // already, or it would not invite, and would be refused until our
      // BYE's answer arrived.
      const bool crossed = !known && ((it->second->caller && !it->second->established) || it->second->byeSent) &&
                           !sessions.count(CrossedKey(key));
      if (!crossed) {
        Respond(t, msg, 486, ids.Tag());
        return;
      }
      key = CrossedKey(key);
    }
    Session& s = NewSession(attr.id, from, mode, false, key);
    if (reg != sipns3::SessionRegistry().end()) s.shared = reg->second;
    else {
      s.shared = std::make_shared<SharedSession>();
      s.shared->id = attr.id;
    }
    s.shared->ends[1] = self;
    s.inviteTxn = t->id;
    s.inviteBytes = std::string(msg.raw);
    if (const sip::Header* f = msg.Find(sip::HeaderId::kFrom)) {
      sip::NameAddr na;
      if (!sip::ParseNameAddr(f->value, &na, msg.input)) s.remoteTag = std::string(na.tag);
    }
    if (const sip::Header* c = msg.Find(sip::HeaderId::kContact)) {
      sip::NameAddr na;
      if (!sip::ParseNameAddr(c->value, &na, msg.input)) s.remoteTarget = std::string(na.uri);
    }
    std::vector<sip::NameAddr> rr;
    for (const sip::Header* h = msg.Find(sip::HeaderId::kRecordRoute); h; h = msg.FindNext(h))
      sip::ParseNameAddrList(h->value, &rr, msg.input);
    for (const auto& r : rr) {
      if (!s.routeSet.empty()) s.routeSet += ",";
      s.routeSet += "<" + std::string(r.uri) + ">";
    }
    if (const sip::Header* c = msg.Find(sip::HeaderId::kCallId)) s.callId = std::string(c->value);
    s.localTag = ids.Tag();
    SessionEvent(s, SipSessionEvent::kInviteReceived);
    const std::uint64_t sid = s.id;
    // The offer names the caller's media address: a callee that connects
    // does so at once, and AnswerDelay gives its connection time to come up
    // before the 200 reaches the caller (the paper's pause). A caller that
    // finds a connection up when the 200 arrives does not open another.
    sdp::Setup offerSetup;
    std::string keyMgmt;
    const char* unusable = ReadSdp(s, msg.body, sdp::Setup::kActive, &offerSetup, &keyMgmt);
    if (!unusable && s.remoteTarget.empty()) unusable = "an INVITE without a usable Contact";
    if (unusable) {
      // RFC 3261 20.43: a Warning says why (304 "media type not available"
      // for a missing stream, else 399 with the reason).
      Drop(SipDropReason::kUnexpected, attr, msg.raw.size(), std::string("488: ") + unusable);
      const std::string warning = std::string("Warning: ") + (unusable == kNoMessageStream ? "304 " : "399 ") + host +
                                  " \"" + unusable + "\"\r\n";
      Respond(t, msg, 488, s.localTag, {}, {}, {}, warning);
      CloseSession(s, SipFailReason::kSessionSetupFailed, false);
      return;
    }
    s.peerSetup = offerSetup;
    if (SipImSecurity* mk = Mikey()) {
      // The offer's I_MESSAGE is verified for real and the node charged
      // mikey_i_process before anything else happens; a refused one is
      // answered 488 with the MIKEY error message (RefuseMikeyOffer), and
      // the session fails kSecurity.
      s.crypto = std::make_unique<SipSessionCrypto>();
      sec::Bytes i;
      sec::Result<sec::Bytes> r = sec::MakeError(sec::Errc::kMalformed, "the offer has no a=key-mgmt:mikey");
      auto error = std::make_shared<std::optional<sec::mikey::ErrorMessage>>();
      LiveClock clock(*cpu);
      if (!keyMgmt.empty()) {
        auto parsed = sec::mikey::ParseKeyMgmtValue(keyMgmt);
        if (parsed) {
          i = std::move(*parsed);
          r = mk->MikeyAnswer(self->m_aor, from, i, &mikeyReplay, s.crypto.get(), error.get());
        } else {
          r = parsed.error();
        }
      }
      const Time took = clock.Elapsed();
      auto answer = std::make_shared<sec::Result<sec::Bytes>>(std::move(r));
      mk->Charge(cpu, nodeId, attr, SipCryptoOp::kMikeyIProcess, i.size(), took, [this, sid, attr, answer, error]() {
        Session* ss = FindSession(sid);
        if (!ss) return;
        sip::Message inv;
        ServerTxn* tx = PendingInvite(*ss, &inv, SipFailReason::kSessionSetupFailed);
        if (!tx) return;
        if (!*answer) {
          Drop(SipDropReason::kSecurity, attr, ss->inviteBytes.size(),
               "488 MIKEY I_MESSAGE refused: " + answer->error().ToString());
          RefuseMikeyOffer(sid, attr, error);
          return;
        }
        ss->mikeyOut = std::move(**answer);
        AcceptInvite(*ss, tx, inv);
      });
      return;
    }
    AcceptInvite(s, t, msg);
  }

  // A refused MIKEY offer is answered 488 Not Acceptable Here, the answer
  // RFC 4567 section 3.1 gives an offer whose key management fails, and
  // its SDP returns the key management protocol's answer in a=key-mgmt
  // (the same attribute as the offer's): here the MIKEY error message (RFC 3830
  // 5.1.2) the responder built, so that the caller learns why, and whether
  // it can trust that (V / SIGN). Its build is charged (kMikeyErrorBuild:
  // the primitive row of its costly step) before the 488 leaves. No error
  // message (the refused bytes were no I_MESSAGE): a 488 without a body.
  void RefuseMikeyOffer(std::uint64_t sid, SipAttribution attr,
                        std::shared_ptr<std::optional<sec::mikey::ErrorMessage>> error) {
    if (!error->has_value()) {
      SendMikeyRefusal(sid, {});
      return;
    }
    // Live: MikeyAnswer built the error message, and its time is in the
    // I_MESSAGE's processing already; nothing more was spent here.
    Mikey()->Charge(cpu, nodeId, attr, SipCryptoOp::kMikeyErrorBuild, (*error)->bytes.size(), Time(),
                    [this, sid, error]() { SendMikeyRefusal(sid, (*error)->bytes); });
  }

  // The server transaction of the INVITE that set `s` up, with the INVITE
  // parsed into *inv; when either is gone, nullptr and the session closed
  // (`why`), which the caller must not touch again.
  ServerTxn* PendingInvite(Session& s, sip::Message* inv, SipFailReason why) {
    ServerTxn* tx = stx->FindById(s.inviteTxn);
    if (tx && !sip::Parse(s.inviteBytes, sip::Framing::kDatagram, inv)) return tx;
    CloseSession(s, why, false);
    return nullptr;
  }

  void SendMikeyRefusal(std::uint64_t sid, const sec::Bytes& mikeyError) {
    Session* s = FindSession(sid);
    if (!s) return;
    sip::Message inv;
    ServerTxn* tx = PendingInvite(*s, &inv, SipFailReason::kSecurity);
    if (!tx) return;
    if (mikeyError.empty()) {
      Respond(tx, inv, 488, s->localTag);
    } else {
      // The answer's SDP as a 200's would be, with the error message in
      // a=key-mgmt and no listener (port 9, RFC 4145: not listening).
      s->mikeyOut = mikeyError;
      sdp::SessionDescription offer;  // views into s->inviteBytes
      (void)sdp::Parse(inv.body, &offer);
      std::string body;
      AppendOffer(*s, AnswerSetup(s->peerSetup), &body, &offer);
      Respond(tx, inv, 488, s->localTag, {}, "application/sdp", body);
    }
    CloseSession(*s, SipFailReason::kSecurity, false);
  }

  // RFC 4145: the answer's a=setup for the offer's.
  static sdp::Setup AnswerSetup(sdp::Setup offerSetup) {
    if (offerSetup == sdp::Setup::kActive) return sdp::Setup::kPassive;
    if (offerSetup == sdp::Setup::kPassive) return sdp::Setup::kActive;
    return offerSetup;
  }

  // The callee takes the offer: listens or connects as its a=setup says,
  // then answers (after AnswerDelay).
  void AcceptInvite(Session& s, ServerTxn* t, const sip::Message& msg) {
    const std::uint64_t sid = s.id;
    const sdp::Setup offerSetup = s.peerSetup;
    if (Listens(false, offerSetup) && !OpenListener(s)) {
      Respond(t, msg, 500, s.localTag);
      CloseSession(s, SipFailReason::kSessionSetupFailed, false);
      return;
    }
    // A callee that connects before it answers (AnswerDelay) sends its
    // bodiless SEND with the path its answer will carry.
    if (s.mode == SipImMode::kSessionMsrp) BuildMyPath(s);
    if (Connects(false, offerSetup)) ConnectMedia(s);
    if (!FindSession(sid)) return;  // the connect failed at once
    // RFC 3261 17.2.1: a UAS that will not answer within 200 ms sends 100
    // (which also lets a proxy CANCEL the INVITE, RFC 3261 9.1).
    if (self->m_answerDelay > MilliSeconds(200)) Respond(t, msg, 100, {});
    if (self->m_answerDelay.IsStrictlyPositive())
      s.answerTimer = Simulator::Schedule(self->m_answerDelay, &Impl::Answer, this, sid);
    else
      Answer(sid);
  }

  void Answer(std::uint64_t sid) {
    Session* s = FindSession(sid);
    if (!s) return;
    ServerTxn* t = stx->FindById(s->inviteTxn);
    sip::Message inv;
    if (sip::Parse(s->inviteBytes, sip::Framing::kDatagram, &inv)) return;
    sdp::SessionDescription offer;  // views into s->inviteBytes
    (void)sdp::Parse(inv.body, &offer);
    std::string body;
    AppendOffer(*s, AnswerSetup(s->peerSetup), &body, &offer);
    sip::ResponseSpec spec;
    spec.status = 200;
    spec.to_tag = s->localTag;
    spec.contact = contact;
    spec.content_type = "application/sdp";
    spec.body = body;
    s->okBytes.clear();
    std::string marked;
    sip::Message markedInv;
    const bool mark = t && sipns3::MarkViaSource(inv, t->source, t->sourcePort, &marked, &markedInv);
    if (auto e = sip::BuildResponse(mark ? markedInv : inv, spec, &s->okBytes)) {
      NS_LOG_ERROR("200 to INVITE not built: " << e.ToString());
      if (t) Respond(t, inv, 500, s->localTag);
      CloseSession(*s, SipFailReason::kSessionSetupFailed, false);
      return;
    }
    if (t) {
      s->okDest = t->replyTo;
      stx->Respond(t, s->okBytes, 200);
    } else {
      // The transaction is gone (it cannot be over UDP before 64*T1): the
      // caller gave up. Nothing to answer.
      CloseSession(*s, SipFailReason::kSessionSetupFailed, false);
      return;
    }
    // RFC 3261 13.3.1.4: the UAS core retransmits the 2xx until the ACK,
    // "independent of whatever transport protocols are used": a reliable
    // first hop does not carry it end to end, since proxies forward a 2xx
    // outside any transaction. Over TCP and SCTP too, then; and without an
    // ACK 64*T1 later the session fails rather than wait for ever. (Until
    // this was so, a forked callee device whose 2xx was lost between the
    // proxies over SCTP held its session unestablished to the stop, and
    // IMs its user sent to the caller queued on it: scripts/stress.py.)
    s->okInterval = timers.t1;
    s->okDeadline = Simulator::Now() + 64 * timers.t1;
    s->okTimer = Simulator::Schedule(s->okInterval, &Impl::RetransmitOk, this, sid);
  }

  void RetransmitOk(std::uint64_t sid) {
    Session* s = FindSession(sid);
    if (!s || s->established) return;
    if (Simulator::Now() >= s->okDeadline) {
      CloseSession(*s, SipFailReason::kSessionSetupFailed, false);
      return;
    }
    ++self->m_retransmissions;
    SendSip(s->okDest, s->okBytes, SipAttribution{SipAttributionKind::kSession, sid},
            SipMsgType::kResponse, 200, true);
    s->okInterval = std::min(2 * s->okInterval, timers.t2);
    s->okTimer = Simulator::Schedule(s->okInterval, &Impl::RetransmitOk, this, sid);
  }

  void OnAck(const sip::Message& msg, SipAttribution attr) {
    Session* s = attr.kind == SipAttributionKind::kSession ? FindSession(attr.id) : nullptr;
    if (!s || s->caller) {
      // No transaction, no session this end answered: an ACK for nothing
      // (RFC 3261 17.2.3: passed to the core, which has no use for it).
      Drop(SipDropReason::kUnexpected, attr, msg.raw.size(), "ACK matching no transaction or session");
      return;
    }
    // RFC 3261 12.2.2: as a BYE (OnRequest), the ACK of a 2xx belongs to
    // the dialog of its Call-ID and both tags; before our 2xx there is no
    // dialog for it to belong to.
    if (TagOf(msg, sip::HeaderId::kFrom) != s->remoteTag || TagOf(msg, sip::HeaderId::kTo) != s->localTag) {
      Drop(SipDropReason::kUnexpected, attr, msg.raw.size(), "ACK matching no dialog (its tags)");
      return;
    }
    if (s->okBytes.empty() && !s->established) {
      Drop(SipDropReason::kUnexpected, attr, msg.raw.size(), "ACK before the session was answered");
      return;
    }
    if (s->established) return;  // a retransmitted ACK (for a retransmitted 2xx)
    s->established = true;
    s->okTimer.Cancel();
    s->okBytes.clear();
    s->inviteBytes.clear();
    SessionEvent(*s, SipSessionEvent::kEstablished);
    ArmIdle(*s);
    ArmMediaWait(*s);
    Flush(*s);
  }

  // ---- media connections ----
  // An established session whose media path is not up MediaConnectTimeout
  // later closes and fails its IMs (kTransportError) instead of holding
  // them for ever. Found under loss with a=setup passive over ns-3 TCP: the
  // connecting end's handshake ACK was lost, and ns-3 does not answer the
  // listener's retransmitted SYN-ACK from ESTABLISHED (RFC 9293 3.10.7.4
  // answers a segment that is not acceptable with an ACK), so the
  // connecting end believed itself connected, the listening end never
  // accepted, and the IMs queued there never left.
  void ArmMediaWait(Session& s) {
    if (!self->m_mediaConnectTimeout.IsStrictlyPositive() || s.sendConn) return;
    s.mediaTimer = Simulator::Schedule(self->m_mediaConnectTimeout, &Impl::MediaWaitCheck, this, s.id);
  }
  void MediaWaitCheck(std::uint64_t sid) {
    Session* s = FindSession(sid);
    if (!s || s->sendConn || s->byeSent) return;
    NS_LOG_WARN("session " << sid << ": no media connection up " << self->m_mediaConnectTimeout.As(Time::S)
                           << " after it was established; closed");
    CloseSession(*s, SipFailReason::kTransportError, false);
  }
  void ConnectMedia(Session& s) {
    TypeId tid;
    if (!sipns3::NodeHasTransport(self->GetNode(), self->m_mediaTransport, &tid)) {
      CloseSession(s, SipFailReason::kTransportError, true);
      return;
    }
    Ptr<Socket> sock = Socket::CreateSocket(self->GetNode(), tid);
    sock->Bind();
    StreamConn* c = AddMediaConn(s, sock, s.peerMediaAddr, s.peerMediaPort, false, true);
    if (sock->Connect(InetSocketAddress(s.peerMediaAddr, s.peerMediaPort)) != 0) c->Close();
  }

  StreamConn* AddMediaConn(Session& s, Ptr<Socket> sock, Ipv4Address peer, std::uint16_t port,
                           bool connected, bool initiated, bool held = false) {
    const std::uint64_t cid = nextConnId++;
    MediaConn& mc = s.conns[cid];
    mc.conn = std::make_unique<StreamConn>(cid, sock, self->m_mediaTransport, peer, port, connected);
    mc.initiatedHere = initiated;
    mc.held = held;
    const std::uint64_t sid = s.id;
    Address local;
    if (sock->GetSockName(local) == 0 && InetSocketAddress::IsMatchingType(local)) {
      // A UA node has one interface: its address is the local one, also
      // for a socket bound to any address before it connects.
      self->m_mediaConnectionTrace(sid, ep->address(), InetSocketAddress::ConvertFrom(local).GetPort(), peer, port);
    }
    mc.conn->onData = [this, sid](StreamConn& c, const std::uint8_t* d, std::size_t n) {
      OnMediaData(sid, c, d, n);
    };
    mc.conn->onConnected = [this, sid](StreamConn& c) { OnMediaUp(sid, c); };
    mc.conn->onClosed = [this, sid](StreamConn& c, bool error) { OnMediaClosed(sid, c, error); };
    mc.conn->onHanded = [this, sid](StreamConn& c) { OnMediaHanded(sid, c); };
    if (connected && !held) OnMediaUp(sid, *mc.conn);
    return mc.conn.get();
  }

  void OnMediaUp(std::uint64_t sid, StreamConn& c) {
    Session* s = FindSession(sid);
    if (!s) return;
    MediaConn& mc = s->conns[c.id()];
    if (s->mode == SipImMode::kSessionMsrp) {
      if (mc.initiatedHere) SendBindingSend(*s, c);
      else if (!mc.bound) return;  // OnMsrp comes back on its first request
    }
    if (mc.initiatedHere) {
      // Counted once per connection, by the end that opened it, per callee
      // device (a forked INVITE reaches several).
      const std::uint32_t callee = s->caller ? s->peerMediaAddr.Get() : ep->address().Get();
      if (++s->shared->connectionsUp[callee] > 1) {
        ++self->m_duplicateConnections;
        SessionEvent(*s, SipSessionEvent::kDuplicateConnection);
        // Ours stays open, unused by us: the peer may be sending on it
        // (each end sends on the first connection up at its end, and over
        // SCTP the accepting end is up first), so closing it could lose
        // what the peer sent. It closes with the session.
        if (s->sendConn) return;
      }
    }
    if (!s->sendConn) {
      s->sendConn = &c;
      s->mediaWasUp = true;
      s->mediaTimer.Cancel();
      SessionEvent(*s, SipSessionEvent::kConnected);
      Flush(*s);
    }
  }

  // RFC 4975 5.4: the end that opened an MSRP connection sends a SEND on
  // it at once, which may have no body; it tells the other end which
  // session the connection is for (the peer answers it 200 unless
  // Failure-Report is no). sipim's listener is one per session, so the
  // session is known without it, but its bytes are on every real
  // connection, and it is data the listening end must acknowledge: over
  // ns-3 TCP, whose ESTABLISHED end leaves a duplicate SYN-ACK unanswered,
  // it completes a handshake whose last ACK was lost (without it the
  // listening end never accepts, and the session fails after
  // MediaConnectTimeout). Sent on this connection, whichever one this end
  // sends IMs on.
  void SendBindingSend(Session& s, StreamConn& c) {
    msrp::SendParams p;
    const auto tid = s.msrpIds.Next();
    const auto mid = s.msrpIds.Next();
    p.transaction_id = tid.view();
    p.to_path = s.peerPath;
    p.from_path = s.myPath;
    p.message_id = mid.view();
    p.failure_report = self->m_msrpFailureReport ? msrp::ReportMode::kAbsent : msrp::ReportMode::kNo;
    p.has_body = false;
    std::string send;
    msrp::AppendSend(p, &send);
    const SipAttribution attr{SipAttributionKind::kSession, s.id};
    c.Send(send, attr);
    AwaitResponse(s, c, send, 0);
    FireTx(c.transport(), c.peer(), c.peerPort(), attr, SipMsgType::kMsrpSend, 0, send.size(), false);
  }

  void ForgetConn(std::uint64_t sid, std::uint64_t cid) {
    if (Session* s = FindSession(sid)) {
      auto it = s->conns.find(cid);
      if (it == s->conns.end()) return;
      if (s->sendConn == it->second.conn.get()) s->sendConn = nullptr;
      s->conns.erase(it);
    }
  }

  void OnMediaClosed(std::uint64_t sid, StreamConn& c, bool /*error: either way the path is gone*/) {
    Session* s = FindSession(sid);
    if (!s) return;
    auto mit = s->conns.find(c.id());
    if (mit != s->conns.end() && mit->second.held) {
      // Never used: its end says nothing about the session's media path.
      Simulator::ScheduleNow(&Impl::ForgetConn, this, sid, c.id());
      return;
    }
    if (s->sendConn == &c) {
      s->sendConn = nullptr;
      for (auto& kv : s->conns)
        if (kv.second.conn.get() != &c && !kv.second.conn->closed() && kv.second.conn->connected() &&
            (s->mode != SipImMode::kSessionMsrp || kv.second.initiatedHere || kv.second.bound))
          s->sendConn = kv.second.conn.get();
    }
    Simulator::ScheduleNow(&Impl::ForgetConn, this, sid, c.id());
    bool anyLeft = false;
    for (auto& kv : s->conns)
      if (kv.second.conn.get() != &c && !kv.second.conn->closed()) anyLeft = true;
    // Left with connections none of which this end may send on yet (still
    // connecting, or MSRP ones accepted and not bound), the session waits:
    // each of them either comes up (or binds) or closes when its transport
    // gives up, and the last one closing closes the session.
    if (anyLeft && mit != s->conns.end()) FailImsLostWith(*s, mit->second);
    if (!anyLeft && s->peerBye) {
      // The peer, whose BYE we answered, closed its end: what it has not
      // read by now it never will.
      CloseSession(*s, SipFailReason::kSessionClosed, true);
    } else if (!anyLeft && !s->byeSent) {
      // No media path left: the session cannot carry IMs, whether the
      // connection failed or the peer closed it (both ends of a connection
      // race can each keep the other's connection and close their own:
      // over SCTP, where the accepting end is up first, a lost INIT makes
      // that happen). Left open, its IMs would wait for ever.
      CloseSession(*s, SipFailReason::kTransportError, true);
    }
  }

  // A media connection closed while the session goes on over another: the
  // IMs this end sent on it and not delivered will never be (what it had
  // not handed over is discarded with it, and a closed end refuses what
  // still arrives), so they fail now, as a sender's in-flight MSRP SENDs
  // fail with their connection, rather than wait for ever: the session's
  // BYE waits for every IM to be resolved. Stripped MESSAGEs carry no id,
  // and the receiver names them by the order they were sent in (the
  // inFlight FIFO): the lost ones leave it, or the next IMs, sent on the
  // other connection, would take their names.
  void FailImsLostWith(Session& s, MediaConn& mc) {
    std::vector<std::uint64_t> lost;
    for (std::uint64_t id : mc.ims)
      if (s.unresolved.erase(id) != 0) lost.push_back(id);
    mc.ims.clear();
    if (lost.empty()) return;
    auto& fifo = s.shared->inFlight[s.dir];
    for (std::uint64_t id : lost) {
      fifo.erase(std::remove(fifo.begin(), fifo.end(), id), fifo.end());
      Outcome(id, SipImOutcome::kFailed, SipFailReason::kTransportError, 0);
    }
    MaybeBye(s);
  }

  // A media stream that cannot be framed: traced, closed, and forgotten as
  // any closed connection is (another one takes over sending, or the
  // session ends with a transport error), never left as the one to send on.
  void MediaFramingError(std::uint64_t sid, StreamConn& c, std::size_t n, const sipim::ParseError& err) {
    Drop(SipDropReason::kFramingError, SipAttribution{SipAttributionKind::kSession, sid}, n, err.ToString());
    c.Close();
    OnMediaClosed(sid, c, true);
  }

  void OnMediaData(std::uint64_t sid, StreamConn& c, const std::uint8_t* d, std::size_t n) {
    Session* s = FindSession(sid);
    if (!s) return;
    auto it = s->conns.find(c.id());
    if (it == s->conns.end()) return;
    MediaConn& mc = it->second;
    if (mc.held) {
      if (mc.heldBytes.size() + n > kMaxHeldBytes) {
        Drop(SipDropReason::kFramingError, SipAttribution{SipAttributionKind::kSession, sid}, n,
             "more than 1 MiB on a media connection held until the answer");
        c.Close();
        OnMediaClosed(sid, c, true);
        return;
      }
      mc.heldBytes.append(reinterpret_cast<const char*>(d), n);
      return;
    }
    const std::string_view bytes(reinterpret_cast<const char*>(d), n);
    if (s->mode == SipImMode::kSessionStripped) {
      mc.framer.Append(bytes);
      sip::Message m;
      sipim::ParseError err;
      LiveClock clock(*cpu);
      for (;;) {
        clock.Restart();
        const auto st = mc.framer.Next(&m, &err);
        mc.parsing += clock.Elapsed();
        if (st == sip::StreamFramer::Status::kNeedMore) return;
        if (st == sip::StreamFramer::Status::kError) {
          MediaFramingError(sid, c, n, err);
          return;
        }
        const Time took = mc.parsing;
        mc.parsing = Time();
        OnStripped(*s, c, m, took);
      }
    }
    mc.msrpParser.Feed(bytes);
    msrp::Message m;
    sipim::ParseError err;
    LiveClock clock(*cpu);
    for (;;) {
      clock.Restart();
      const auto r = mc.msrpParser.Next(&m, &err);
      mc.parsing += clock.Elapsed();
      if (r == msrp::ParseResult::kNeedMore) return;
      if (r == msrp::ParseResult::kError) {
        MediaFramingError(sid, c, n, err);
        return;
      }
      const Time took = mc.parsing;
      mc.parsing = Time();
      OnMsrp(*s, c, m, took);
      if (!FindSession(sid)) return;
    }
  }

  // A stripped MESSAGE arrived (parsed on arrival; its CPU time delays the delivery).
  // `took`: the parser's time for it (live CPU).
  void OnStripped(Session& s, StreamConn& c, const sip::Message& m, Time took) {
    s.lastActivity = Simulator::Now();
    cpu->CountMessage();
    const int from = 1 - s.dir;
    const CpuWork parse{sipParse, m.raw.size(), took};
    if (!m.is_request) {
      OnStrippedResponse(s, c, m, parse);
      return;
    }
    std::uint64_t imId = 0;
    if (!s.shared->inFlight[from].empty()) {
      imId = s.shared->inFlight[from].front();
      s.shared->inFlight[from].pop_front();
    }
    const SipAttribution attr{SipAttributionKind::kIm, imId};
    FireRx(c.transport(), c.peer(), c.peerPort(), attr, SipMsgType::kStrippedMessage, 0, m.raw.size(),
           cpu->Cost(parse));
    if (!m.is_request || m.method != "MESSAGE") {
      Drop(SipDropReason::kUnexpected, attr, m.raw.size(), "not a MESSAGE in the session");
      cpu->Charge(parse, []() {});  // parsed all the same, as its Rx says
      return;
    }
    // RFC 3261 23.2, as in pager mode: a body that does not open (S/MIME,
    // or sealed with the session's keys) is answered 493 Undecipherable,
    // stripped as the request is (the session's connection needs no Via).
    auto undecipherable = [&m]() {
      Refusal r;
      r.status = 493;
      if (auto e = sip::BuildStrippedResponse(m, 493, &r.bytes)) NS_LOG_ERROR("493 not built: " << e.ToString());
      return r;
    };
    if (s.crypto) {
      cpu->Charge(parse, []() {});
      OpenSealed(s, attr, imId, m.raw.substr(0, m.raw.size() - m.body.size()), m.body, undecipherable);
      return;
    }
    if (Smime()) {
      cpu->Charge(parse, []() {});
      const sip::Header* ct = m.Find(sip::HeaderId::kContentType);
      ReceiveSmimeInSession(s, attr, imId, ct ? ct->value : std::string_view(), m.body, undecipherable);
      return;
    }
    const std::uint32_t body = static_cast<std::uint32_t>(m.body.size());
    const std::uint64_t sid = s.id;
    cpu->Charge(parse, [this, sid, imId, body]() {
      Session* ss = FindSession(sid);
      const std::string peer = ss ? ss->peerAor : std::string();
      Deliver(imId, peer, body, 0);
      NotifySender(sid, ss ? 1 - ss->dir : 0, imId);
    });
  }

  // A response on a stripped session: the 493 that refuses one of our
  // S/MIME MESSAGEs (the refusals FIFO names which; see SharedSession).
  // Anything else is traced and dropped.
  void OnStrippedResponse(Session& s, StreamConn& c, const sip::Message& m, const CpuWork& parse) {
    std::uint64_t imId = 0;
    std::deque<std::uint64_t>& refused = s.shared->refusals[1 - s.dir];
    const bool expected = (Smime() || Mikey()) && m.status_code == 493 && !refused.empty();
    if (expected) {
      imId = refused.front();
      refused.pop_front();
    }
    const SipAttribution attr{SipAttributionKind::kIm, imId};
    const std::uint16_t status = static_cast<std::uint16_t>(m.status_code);
    FireRx(c.transport(), c.peer(), c.peerPort(), attr, SipMsgType::kResponse, status, m.raw.size(),
           cpu->Cost(parse));
    if (!expected) {
      Drop(SipDropReason::kUnexpected, attr, m.raw.size(), "a response in the session answering nothing sent");
      cpu->Charge(parse, []() {});
      return;
    }
    const std::uint64_t sid = s.id;
    cpu->Charge(parse, [this, sid, imId, status]() { OnRefused(sid, imId, status); });
  }

  // Tells the sending end that its IM was delivered (simulation bookkeeping).
  // (`delivered` false: the recipient refused it, security = Mikey.)
  void NotifySender(std::uint64_t sid, int senderDir, std::uint64_t imId, bool delivered = true) {
    auto reg = sipns3::SessionRegistry().find(sid);
    if (reg == sipns3::SessionRegistry().end()) return;
    SipUserAgent* sender = reg->second->ends[senderDir];
    auto& senders = reg->second->imSenders;
    if (auto it = senders.find(imId); it != senders.end()) {
      sender = it->second;
      senders.erase(it);
    }
    if (sender) sender->m_impl->OnPeerDelivered(sid, imId, delivered);
  }

  void OnPeerDelivered(std::uint64_t sid, std::uint64_t imId, bool delivered) {
    Session* s = FindSession(sid);
    if (!s || s->unresolved.erase(imId) == 0) return;
    if (delivered) Outcome(imId, SipImOutcome::kDelivered, SipFailReason::kNone, 0);
    else Outcome(imId, SipImOutcome::kFailed, SipFailReason::kSecurity, 0);
    MaybeBye(*s);
  }

  // `took`: the parser's time for it (live CPU).
  void OnMsrp(Session& s, StreamConn& c, const msrp::Message& m, Time took) {
    cpu->CountMessage();
    const CpuWork parse{msrpParse, m.size, took};
    SipMsgType type = SipMsgType::kMsrpResponse;
    if (m.is_request) type = m.method == msrp::Method::kSend ? SipMsgType::kMsrpSend : SipMsgType::kMsrpReport;
    SipAttribution attr = sipns3::ParseAttributedId(m.message_id);
    if (attr.kind == SipAttributionKind::kNone) attr = SipAttribution{SipAttributionKind::kSession, s.id};
    // A response carries no Message-ID: the SEND it answers (RFC 4975 7.2:
    // by transaction id) names its IM, whose parse cost it is.
    auto answered = m.is_request ? s.awaiting.end() : s.awaiting.find(m.transaction_id);
    if (answered != s.awaiting.end() && answered->second.imId != 0)
      attr = SipAttribution{SipAttributionKind::kIm, answered->second.imId};
    FireRx(c.transport(), c.peer(), c.peerPort(), attr, type, m.status_code, m.size, cpu->Cost(parse));
    if (!m.is_request) {
      std::uint64_t imId = 0;
      if (answered == s.awaiting.end()) {
        Drop(SipDropReason::kStrayResponse, attr, m.size, "an MSRP response to no SEND of the session awaiting one");
      } else {
        imId = answered->second.imId;
        answered->second.timer.Cancel();
        s.awaiting.erase(answered);
      }
      s.lastActivity = Simulator::Now();
      if (imId == 0 || m.status_code == 200) {
        cpu->Charge(parse, []() {});
        return;
      }
      // RFC 4975 7.2: any other code is a failure response (481, 413,
      // 415 ...): the recipient did not take the chunk, so the IM is not
      // delivered and fails with that code.
      const std::uint64_t sid = s.id;
      const std::uint16_t status = m.status_code;
      cpu->Charge(parse, [this, sid, imId, status]() { OnMsrpFailed(sid, imId, status); });
      return;
    }
    if (!ToThisSession(s, m.to_path)) {
      // Neither binds the connection nor counts as the session's activity.
      RefuseMsrp(s, c, m, attr, 481, "Session does not exist",
                 "an MSRP request whose To-Path is not this session's path");
      cpu->Charge(parse, []() {});
      return;
    }
    if (m.is_request && m.method == msrp::Method::kOther) {
      // RFC 4975 10 (501): a method this end does not understand.
      RefuseMsrp(s, c, m, attr, 501, "Method not understood",
                 "an MSRP request of a method other than SEND and REPORT");
      cpu->Charge(parse, []() {});
      return;
    }
    MediaConn& mc = s.conns[c.id()];
    if (m.is_request && !mc.initiatedHere && !mc.bound) {
      mc.bound = true;
      // Once this request is answered: the IMs that may then go on the
      // connection follow its 200.
      const std::uint64_t sid = s.id, cid = c.id();
      Simulator::ScheduleNow([this, sid, cid]() {
        Session* ss = FindSession(sid);
        if (!ss) return;
        auto it = ss->conns.find(cid);
        if (it != ss->conns.end() && !it->second.conn->closed()) OnMediaUp(sid, *it->second.conn);
      });
    }
    s.lastActivity = Simulator::Now();
    if (type == SipMsgType::kMsrpReport && m.has_status && m.status.code >= 300 &&
        attr.kind == SipAttributionKind::kIm) {
      // A failure REPORT for one of our SENDs (its Message-ID names the
      // IM; RFC 4975 7.1.2): the recipient did not take the message. With
      // security on, the refusal of a body it could not open (kSecurity);
      // else a failure of the REPORT's own code (413, 415 ...).
      const std::uint64_t sid = s.id, imId = attr.id;
      const std::uint16_t status = m.status.code;
      if (Smime() || Mikey())
        cpu->Charge(parse, [this, sid, imId, status]() { OnRefused(sid, imId, status); });
      else
        cpu->Charge(parse, [this, sid, imId, status]() { OnMsrpFailed(sid, imId, status); });
      return;
    }
    if (type != SipMsgType::kMsrpSend) {
      cpu->Charge(parse, []() {});  // 200s and REPORTs cost their parse too
      return;
    }
    // Reassemble, then answer. A chunk the reassembler refuses (its bytes
    // disagree with what came before, its range lies past the total, the
    // message is too large) is not taken, so it gets no 200: it is
    // answered 400 (RFC 4975 10: a request the recipient cannot take as
    // it stands; 7.2: failure responses go unless Failure-Report is no),
    // and its sender learns that the message will not arrive.
    std::string whole;
    sipim::ParseError err;
    const bool chunked = m.has_body && (m.flag != msrp::EndFlag::kComplete ||
                                        (m.has_byte_range && (m.byte_range.start != 1 || m.byte_range.total_unknown ||
                                                              m.byte_range.end != m.byte_range.total)));
    const auto r = chunked ? s.reassembler.Add(m, &whole, &err) : msrp::Reassembler::Result::kComplete;
    if (r == msrp::Reassembler::Result::kError) {
      RefuseChunk(s, c, m, attr, err);
      cpu->Charge(parse, []() {});
      return;
    }
    // RFC 4975 7.2: a 200 only when Failure-Report is yes (or absent):
    // "partial" asks for failure responses only, "no" for none.
    if (m.failure_report == msrp::ReportMode::kAbsent || m.failure_report == msrp::ReportMode::kYes) {
      std::string ok;
      msrp::AppendOk(m, &ok);
      SendMedia(s, ok, attr, SipMsgType::kMsrpResponse, 200, &c);
    }
    if (!m.has_body) {
      // The bodiless SEND that opens a connection (SendBindingSend): no IM.
      cpu->Charge(parse, []() {});
      return;
    }
    std::uint32_t bodyBytes = static_cast<std::uint32_t>(m.body.size());
    if (chunked) {
      if (r != msrp::Reassembler::Result::kComplete) {
        // A chunk that does not complete its message was parsed all the
        // same: its parse is charged, as its Rx says.
        cpu->Charge(parse, []() {});
        // RFC 4975 7.1.1: '#' ends a message its sender gave up; what
        // came of it is discarded, not delivered, and says so.
        if (r == msrp::Reassembler::Result::kAborted)
          Drop(SipDropReason::kUnexpected, attr, m.size, "an MSRP message its sender aborted ('#'): discarded");
        return;
      }
      bodyBytes = static_cast<std::uint32_t>(whole.size());
    }
    // RFC 4975 7.1.1: the success REPORT says the message was received,
    // so it leaves only once the body is accepted (opened, when protected),
    // never before a failure REPORT for the same message.
    std::optional<SuccessReport> report;
    if (m.success_report == msrp::ReportMode::kYes) report = SuccessReport{std::string(m.message_id), bodyBytes, c.id()};
    const std::uint64_t sid = s.id;
    const std::uint64_t imId = attr.kind == SipAttributionKind::kIm ? attr.id : 0;
    if (s.crypto) {
      cpu->Charge(parse, []() {});
      OpenSealed(s, attr, imId, m.message_id, chunked ? std::string_view(whole) : m.body,
                 [this, &s, &m, bodyBytes]() { return MsrpFailureReport(s, m, bodyBytes, "sealed body does not open"); },
                 report);
      return;
    }
    if (Smime()) {
      cpu->Charge(parse, []() {});
      ReceiveSmimeInSession(s, attr, imId, m.content_type, chunked ? std::string_view(whole) : m.body,
                            [this, &s, &m, bodyBytes]() {
                              return MsrpFailureReport(s, m, bodyBytes, "S/MIME body does not open");
                            },
                            report);
      return;
    }
    cpu->Charge(parse, [this, sid, attr, imId, bodyBytes, report]() {
      Session* ss = FindSession(sid);
      Deliver(imId, ss ? ss->peerAor : std::string(), bodyBytes, 0);
      SendSuccessReport(ss, attr, report);
      NotifySender(sid, ss ? 1 - ss->dir : 0, imId);
    });
  }

  // A SEND chunk the reassembler refused (`err` says why; its message is
  // dropped): traced, and answered 400 unless Failure-Report is no.
  void RefuseChunk(Session& s, StreamConn& c, const msrp::Message& m, SipAttribution attr,
                   const sipim::ParseError& err) {
    const bool answer = m.failure_report != msrp::ReportMode::kNo;
    Drop(SipDropReason::kParseError, attr, m.size, err.ToString() + (answer ? ": answered 400" : ""));
    if (!answer) return;
    std::string out;
    msrp::AppendResponse(m, 400, "Bad Request", &out);
    SendMedia(s, out, attr, SipMsgType::kMsrpResponse, 400, &c);
  }

  // RFC 4975 7.3: a request's To-Path is the one URI of this end of the
  // session (no relays), compared as section 6.1 says. The session-id in
  // it is what keeps a host that can reach the media port (the listener
  // checks only the peer's address) out of the session.
  bool ToThisSession(const Session& s, std::string_view toPath) const {
    msrp::Uri to, mine;
    std::size_t n = 0;
    return !msrp::ValidatePath(toPath, &n) && n == 1 && !msrp::ParseUri(toPath, &to) &&
           !msrp::ParseUri(s.myPath, &mine) && to.SameResource(mine);
  }

  // A request this end will not act on: traced, and answered `code` on its
  // connection where RFC 4975 7.2 allows a failure response (a SEND not
  // marked Failure-Report: no; never a REPORT, section 7.1.2).
  void RefuseMsrp(Session& s, StreamConn& c, const msrp::Message& m, SipAttribution attr, std::uint16_t code,
                  std::string_view comment, std::string why) {
    const bool answer = m.method != msrp::Method::kReport && m.failure_report != msrp::ReportMode::kNo;
    Drop(SipDropReason::kUnexpected, attr, m.size, why + (answer ? ": answered " + std::to_string(code) : ""));
    if (!answer) return;
    std::string out;
    msrp::AppendResponse(m, code, comment, &out);
    SendMedia(s, out, attr, SipMsgType::kMsrpResponse, code, &c);
  }

  // RFC 4975 has no 493: the refusal of an S/MIME body that does not open
  // is a failure REPORT (section 7.1.2) for the whole message with
  // Status 000 400. The SEND's (or every chunk's) transaction was already
  // answered 200 on receipt, as it must be before the message is whole and
  // can be opened, so the REPORT is the end-to-end answer, matched to the
  // IM by its Message-ID. 400 ("the request was unintelligible", section
  // 10) is the code for a body the recipient cannot read; 415 would claim
  // that application/pkcs7-mime itself is not understood, which it is, and
  // 403 is a refusal by policy, not a body that fails to decrypt or verify.
  // None when the sender asked for none (Failure-Report: no, section
  // 7.1.2): the IM then fails by the simulation's bookkeeping only.
  Refusal MsrpFailureReport(Session& s, const msrp::Message& m, std::uint32_t bodyBytes, std::string_view reason) {
    Refusal r;
    r.type = SipMsgType::kMsrpReport;
    r.status = 400;
    if (m.failure_report != msrp::ReportMode::kNo) r.bytes = MsrpReport(s, m.message_id, bodyBytes, r.status, reason);
    return r;
  }

  // A REPORT (RFC 4975 7.1.2) on the whole message `messageId` of
  // `bodyBytes`, with Status 000 `status` `reason`, from this end of `s`.
  std::string MsrpReport(Session& s, std::string_view messageId, std::uint32_t bodyBytes, std::uint16_t status,
                         std::string_view reason) {
    msrp::ReportParams rp;
    const auto tid = s.msrpIds.Next();
    rp.transaction_id = tid.view();
    rp.to_path = s.peerPath;
    rp.from_path = s.myPath;
    rp.message_id = messageId;
    rp.byte_range.start = 1;
    rp.byte_range.end = bodyBytes;
    rp.byte_range.total = bodyBytes;
    rp.status_code = status;
    rp.reason = reason;
    std::string report;
    msrp::AppendReport(rp, &report);
    return report;
  }

  // Sends on the connection this end sends on, or on `on` (an MSRP
  // response goes back on the connection its request came on: RFC 4975
  // transactions are hop by hop).
  bool SendMedia(Session& s, std::string_view bytes, SipAttribution attr, SipMsgType type, std::uint16_t status,
                 StreamConn* on = nullptr) {
    StreamConn* conn = on ? on : s.sendConn;
    if (!conn || conn->closed() || s.mediaStalled) return false;
    if (conn->queuedBytes() + bytes.size() > self->m_mediaMaxQueuedBytes) {
      // A peer that stops reading must not make the queue grow for ever:
      // nothing more is sent, and the session ends (after this event: we
      // may be inside Flush) failing every IM not known to be delivered.
      s.mediaStalled = true;
      Drop(SipDropReason::kUnexpected, attr, bytes.size(),
           "not sent: the media peer does not read (send queue full); session closed");
      const std::uint64_t sid = s.id;
      Simulator::ScheduleNow([this, sid]() {
        if (Session* ss = FindSession(sid)) CloseSession(*ss, SipFailReason::kTransportError, true);
      });
      return false;
    }
    conn->Send(bytes, attr);
    if (type == SipMsgType::kMsrpSend)
      AwaitResponse(s, *conn, bytes, attr.kind == SipAttributionKind::kIm ? attr.id : 0);
    if (type == SipMsgType::kStrippedMessage || type == SipMsgType::kMsrpSend) {
      std::vector<std::uint64_t>& ims = s.conns[conn->id()].ims;
      if (ims.empty() || ims.back() != attr.id) ims.push_back(attr.id);  // an MSRP chunk adds no new IM
    }
    FireTx(conn->transport(), conn->peer(), conn->peerPort(), attr, type, status, bytes.size(), false);
    return true;
  }

  // Notes the transaction of an MSRP SEND just given to `conn` ("MSRP
  // <tid> SEND") as awaiting its response, unless it asked for none, for at
  // most MsrpTransactionTimeout from when the socket took its last byte
  // (SendTimedOut).
  void AwaitResponse(Session& s, const StreamConn& conn, std::string_view send, std::uint64_t imId) {
    if (!self->m_msrpFailureReport) return;
    send.remove_prefix(5);
    std::string tid(send.substr(0, send.find(' ')));
    Session::AwaitedSend& a = s.awaiting[tid];
    a.imId = imId;
    a.connId = conn.id();
    a.seq = conn.sentMessages();
    if (conn.handedMessages() >= a.seq) StartSendTimer(s, tid, a);
  }

  void StartSendTimer(Session& s, const std::string& tid, Session::AwaitedSend& a) {
    if (self->m_msrpTransactionTimeout.IsStrictlyPositive() && !a.timer.IsRunning())
      a.timer = Simulator::Schedule(self->m_msrpTransactionTimeout, &Impl::SendTimedOut, this, s.id, tid);
  }

  // Media connection `c` of session `sid` handed more messages to its
  // socket: the SENDs among them start their transaction timers.
  void OnMediaHanded(std::uint64_t sid, const StreamConn& c) {
    Session* s = FindSession(sid);
    if (!s) return;
    for (auto& [tid, a] : s->awaiting)
      if (a.connId == c.id() && a.seq <= c.handedMessages()) StartSendTimer(*s, tid, a);
  }

  // RFC 4975 7.1.1: a SEND with no transaction response after the timeout
  // (30 s by default) has failed, as if answered 408: its IM fails
  // kTimeout (unless resolved already); a late response is then a stray.
  // Before, the IM, and the session's BYE behind it, waited for ever.
  void SendTimedOut(std::uint64_t sid, const std::string& tid) {
    Session* s = FindSession(sid);
    if (!s) return;
    auto it = s->awaiting.find(tid);
    if (it == s->awaiting.end()) return;
    const std::uint64_t imId = it->second.imId;
    s->awaiting.erase(it);
    NS_LOG_WARN("session " << sid << ": MSRP SEND " << tid << " had no response within "
                           << self->m_msrpTransactionTimeout.As(Time::S));
    if (imId == 0 || s->unresolved.erase(imId) == 0) return;
    Outcome(imId, SipImOutcome::kFailed, SipFailReason::kTimeout, 408);
    MaybeBye(*s);
  }

  // Hands queued IMs to the media connection once the session can carry them.
  void Flush(Session& s) {
    if (!s.established || !s.sendConn || s.byeSent || s.peerBye) return;
    if (s.crypto && !s.crypto->keyed) return;  // MIKEY not done: nothing to seal with yet
    while (!s.queue.empty()) {
      PendingIm im = std::move(s.queue.front());
      s.queue.pop_front();
      SendInSession(s, im);
    }
    MaybeBye(s);
  }

  void SendInSession(Session& s, const PendingIm& im) {
    s.lastActivity = Simulator::Now();
    // Of the devices a forked INVITE reached, the one that sends is the one
    // the caller talks to: it is told about deliveries.
    s.shared->ends[s.dir] = self;
    s.shared->imSenders[im.imId] = self;
    if (s.crypto) {
      SendSealed(s, im);
      return;
    }
    if (Smime()) {
      SendSmimeInSession(s, im);
      return;
    }
    const SipAttribution attr{SipAttributionKind::kIm, im.imId};
    std::string out;
    if (s.mode == SipImMode::kSessionStripped) {
      if (!BuildStripped(s, im.imId, "text/plain", im.body, &out)) return;
      s.shared->inFlight[s.dir].push_back(im.imId);
      s.unresolved.insert(im.imId);
      SendMedia(s, out, attr, SipMsgType::kStrippedMessage, 0);
      return;
    }
    const std::string mid = AttributedId(SipAttributionKind::kIm, im.imId);
    s.unresolved.insert(im.imId);
    for (const std::string& send : MsrpSends(s, mid, "text/plain", im.body))
      SendMedia(s, send, attr, SipMsgType::kMsrpSend, 0);
  }

  // The stripped MESSAGE of IM `imId` on session `s` into `out`; false, the
  // IM failed kTransportError, when the wire core refuses to build it.
  bool BuildStripped(const Session& s, std::uint64_t imId, std::string_view contentType, std::string_view body,
                     std::string* out) {
    sip::StrippedMessageSpec spec;
    spec.request_uri = s.peerAor;
    spec.from_uri = self->m_aor;
    spec.to_uri = s.peerAor;
    spec.content_type = contentType;
    spec.body = body;
    if (auto e = sip::BuildStrippedMessage(spec, out)) {
      Outcome(imId, SipImOutcome::kFailed, SipFailReason::kTransportError, 0);
      NS_LOG_ERROR("stripped MESSAGE not built: " << e.ToString());
      return false;
    }
    return true;
  }

  // The MSRP SEND of one IM (Message-ID `mid`), or its chunks above
  // MsrpChunkSize, each with a transaction id of its own.
  std::vector<std::string> MsrpSends(Session& s, std::string_view mid, std::string_view contentType,
                                     std::string_view body) {
    msrp::SendParams p;
    const auto tid = s.msrpIds.Next();
    p.transaction_id = tid.view();
    p.to_path = s.peerPath;
    p.from_path = s.myPath;
    p.message_id = mid;
    p.success_report = self->m_msrpSuccessReport ? msrp::ReportMode::kYes : msrp::ReportMode::kAbsent;
    p.failure_report = self->m_msrpFailureReport ? msrp::ReportMode::kAbsent : msrp::ReportMode::kNo;
    p.content_type = contentType;
    p.body = body;
    std::vector<std::string> out;
    const std::size_t chunk = self->m_msrpChunkSize > 0 ? self->m_msrpChunkSize : kMsrpMaxSendBody;
    if (body.size() > chunk) {
      msrp::Chunker chunker(p, body, chunk);
      for (std::string chunk; chunker.Next(&s.msrpIds, &chunk); chunk.clear()) out.push_back(chunk);
      return out;
    }
    out.emplace_back();
    msrp::AppendSend(p, &out.back());
    return out;
  }

  // Security = Mikey: the IM's text sealed for real with the session's
  // sending key (security/seal.h), in a stripped MESSAGE (the frame is the
  // body; its start line and headers are the authenticated framing header)
  // or an MSRP SEND (framing header: the Message-ID; chunked after
  // sealing). It leaves once the node's CPU has spent what sealing costs.
  void SendSealed(Session& s, const PendingIm& im) {
    SipImSecurity* mk = Mikey();
    const SipAttribution attr{SipAttributionKind::kIm, im.imId};
    const std::size_t sealedSize = s.crypto->tx.SealedSize(im.body.size());
    auto wire = std::make_shared<std::vector<std::string>>();
    sec::Status st;
    Time took;
    if (s.mode == SipImMode::kSessionStripped) {
      std::string out;
      const std::string room(sealedSize, '\0');  // the frame is sealed in place over it
      if (!BuildStripped(s, im.imId, kSealedContentType, room, &out)) return;
      const std::size_t header = out.size() - sealedSize;
      LiveClock clock(*cpu);
      st = s.crypto->tx.SealTo(std::string_view(out.data(), header), im.body,
                               reinterpret_cast<unsigned char*>(&out[header]));
      took = clock.Elapsed();
      wire->push_back(std::move(out));
    } else {
      const std::string mid = AttributedId(SipAttributionKind::kIm, im.imId);
      std::string sealed;
      LiveClock clock(*cpu);
      st = s.crypto->tx.Seal(mid, im.body, sealed);
      took = clock.Elapsed();
      if (mk->TamperForTest(SipImSecurity::kTamperSeal) && !sealed.empty()) sealed.back() ^= 0x01;
      *wire = MsrpSends(s, mid, kSealedContentType, sealed);
    }
    if (!st) {
      NS_LOG_WARN("IM " << im.imId << " not sealed: " << st.error().ToString());
      Outcome(im.imId, SipImOutcome::kFailed, SipFailReason::kSecurity, 0);
      return;
    }
    if (mk->TamperForTest(SipImSecurity::kTamperSeal) && s.mode == SipImMode::kSessionStripped) wire->back().back() ^= 0x01;
    s.unresolved.insert(im.imId);
    const std::uint64_t sid = s.id, imId = im.imId;
    mk->Charge(cpu, nodeId, attr, SipCryptoOp::kSeal, im.body.size(), took,
               [this, sid, imId, wire]() { SendProtected(sid, imId, *wire); });
  }

  // The messages of a protected IM (sealed or S/MIME), once the node's CPU
  // has made them: sent on the session, unless it ended meanwhile (and so
  // failed the IM).
  void SendProtected(std::uint64_t sid, std::uint64_t imId, const std::vector<std::string>& wire) {
    Session* s = FindSession(sid);
    if (!s || !s->unresolved.count(imId)) return;
    const SipAttribution attr{SipAttributionKind::kIm, imId};
    const bool stripped = s->mode == SipImMode::kSessionStripped;
    if (stripped) s->shared->inFlight[s->dir].push_back(imId);
    for (const std::string& m : wire)
      SendMedia(*s, m, attr, stripped ? SipMsgType::kStrippedMessage : SipMsgType::kMsrpSend, 0);
  }

  // Security = Smime in a session: RFC 4975 section 14 recommends S/MIME
  // for MSRP bodies end to end, and the stripped MESSAGE carries it as a
  // pager MESSAGE does (RFC 3428 section 8). The body is the real
  // SmimeSignAndEncrypt of the text, made now, with the Content-Type
  // models/security returns; the node is charged smime_sign_encrypt at the
  // text's size, the same row and size as in pager mode, and the message
  // leaves once that is spent. An MSRP body above MsrpChunkSize is chunked
  // after signing and encryption (about 2.2 KB for a 100-byte text). The
  // Content-Disposition pager mode adds is left out: the stripped MESSAGE
  // has no field for it, and SmimeReceive needs only the Content-Type.
  void SendSmimeInSession(Session& s, const PendingIm& im) {
    SipImSecurity* sm = Smime();
    LiveClock clock(*cpu);
    auto body = sm->SmimeSend(self->m_aor, s.peerAor, im.body);
    const Time took = clock.Elapsed();
    if (!body) {
      NS_LOG_WARN("IM " << im.imId << " not protected: " << body.error().ToString());
      Outcome(im.imId, SipImOutcome::kFailed, SipFailReason::kSecurity, 0);
      return;
    }
    auto wire = std::make_shared<std::vector<std::string>>();
    if (s.mode == SipImMode::kSessionStripped) {
      std::string out;
      if (!BuildStripped(s, im.imId, body->content_type, body->body, &out)) return;
      wire->push_back(std::move(out));
    } else {
      *wire = MsrpSends(s, AttributedId(SipAttributionKind::kIm, im.imId), body->content_type, body->body);
    }
    s.unresolved.insert(im.imId);
    const std::uint64_t sid = s.id, imId = im.imId;
    sm->Charge(cpu, nodeId, SipAttribution{SipAttributionKind::kIm, imId}, SipCryptoOp::kSmimeSignEncrypt,
               im.body.size(), took, [this, sid, imId, wire]() { SendProtected(sid, imId, *wire); });
  }

  // Security = Smime, a session message's whole body (an MSRP message after
  // reassembly) at the recipient: decrypted and verified for real
  // (SmimeReceive, through the cert cache with SmimeCertCache; the signer
  // must be the session's peer), the node charged smime_decrypt_verify (or
  // its -cached row) at the text's size, or the body's when it does not
  // open, as in pager mode; then delivered, or refused: a Drop kSecurity
  // naming why, and `refusal`'s answer (built now, while the received
  // message's bytes exist) sent back on the session. The sender's IM then
  // fails kSecurity when the answer arrives; with no answer allowed or
  // possible, through the simulation's bookkeeping, so that it is never
  // lost unaccounted.
  void ReceiveSmimeInSession(Session& s, SipAttribution attr, std::uint64_t imId, std::string_view contentType,
                             std::string_view body, const std::function<Refusal()>& refusal,
                             std::optional<SuccessReport> report = std::nullopt) {
    SipImSecurity* sm = Smime();
    SipCryptoOp op = SipCryptoOp::kSmimeDecryptVerify;
    LiveClock clock(*cpu);
    auto got = sm->SmimeReceive(self->m_aor, s.peerAor, contentType, body, &op);
    const Time took = clock.Elapsed();
    const bool opened = got.ok();
    const std::uint32_t plain = opened ? static_cast<std::uint32_t>(got->body.size()) : 0;
    auto answer = std::make_shared<Refusal>();
    std::string why;
    if (!opened) {
      *answer = refusal();
      why = got.error().ToString();
    }
    const std::uint64_t sid = s.id;
    const std::size_t bytes = body.size();
    sm->Charge(cpu, nodeId, attr, op, opened ? plain : bytes, took,
               [this, sid, attr, imId, opened, plain, answer, why, bytes, report]() {
      Session* ss = FindSession(sid);
      const int senderDir = ss ? 1 - ss->dir : 0;
      if (opened) {
        Deliver(imId, ss ? ss->peerAor : std::string(), plain, 0);
        SendSuccessReport(ss, attr, report);
        NotifySender(sid, senderDir, imId, true);
        return;
      }
      Drop(SipDropReason::kSecurity, attr, bytes, std::to_string(answer->status) + " S/MIME: " + why);
      Refuse(ss, sid, attr, imId, *answer);
    });
  }

  // Sends a refusal of the protected IM `imId` on its session (493 on a
  // stripped one: the refusals FIFO names the IM for the sender; a failure
  // REPORT on MSRP), whose parse at the sender fails the IM with its
  // status; with nothing to send (Failure-Report: no, or the session
  // gone) the sender's IM fails by the simulation's bookkeeping.
  void Refuse(Session* ss, std::uint64_t sid, SipAttribution attr, std::uint64_t imId, const Refusal& answer) {
    const int senderDir = ss ? 1 - ss->dir : 0;
    if (ss && !answer.bytes.empty()) {
      const bool stripped = answer.type == SipMsgType::kResponse;
      if (stripped) ss->shared->refusals[ss->dir].push_back(imId);
      if (SendMedia(*ss, answer.bytes, attr, answer.type, answer.status)) return;
      if (stripped) ss->shared->refusals[ss->dir].pop_back();
    }
    NotifySender(sid, senderDir, imId, false);
  }

  // The sender's end of a refusal: the IM fails kSecurity with the
  // refusal's status (493 to a stripped MESSAGE, a failure REPORT's code
  // for MSRP) once the answer is parsed; an IM already resolved (the
  // session closed meanwhile) is left as it is.
  void OnRefused(std::uint64_t sid, std::uint64_t imId, std::uint16_t status) {
    Session* s = FindSession(sid);
    if (!s || s->unresolved.erase(imId) == 0) return;
    Outcome(imId, SipImOutcome::kFailed, SipFailReason::kSecurity, status);
    MaybeBye(*s);
  }

  // The sender's end of a failure response to one of an IM's SENDs, or of
  // a failure REPORT on it without security: the IM fails with its code
  // (kFinalResponse), unless already resolved.
  void OnMsrpFailed(std::uint64_t sid, std::uint64_t imId, std::uint16_t status) {
    Session* s = FindSession(sid);
    if (!s || s->unresolved.erase(imId) == 0) return;
    Outcome(imId, SipImOutcome::kFailed, SipFailReason::kFinalResponse, status);
    MaybeBye(*s);
  }

  // A sealed session message arrived (its parse already charged): opened
  // for real with the session's receiving key, the node charged `open`
  // at the plain text's size, then delivered, or refused as an S/MIME
  // body is (Drop kSecurity; `refusal`'s 493 or failure REPORT 400 on the
  // session, whose arrival fails the sender's IM kSecurity).
  void OpenSealed(Session& s, SipAttribution attr, std::uint64_t imId, std::string_view framing,
                  std::string_view sealed, const std::function<Refusal()>& refusal,
                  std::optional<SuccessReport> report = std::nullopt) {
    SipImSecurity* mk = Mikey();
    auto plain = std::make_shared<std::string>();
    LiveClock clock(*cpu);
    sec::Status st = s.crypto && s.crypto->keyed
                         ? s.crypto->rx.Open(framing, sealed, *plain)
                         : sec::Status(sec::MakeError(sec::Errc::kWrongKey, "the session has no keys"));
    const Time took = clock.Elapsed();
    const std::size_t overhead = sec::SealOverhead(mk->GetSealSuite());
    const std::size_t size = st ? plain->size() : (sealed.size() > overhead ? sealed.size() - overhead : 0);
    const std::uint64_t sid = s.id;
    const std::size_t bytes = sealed.size();
    auto answer = std::make_shared<Refusal>();
    if (!st) *answer = refusal();
    mk->Charge(cpu, nodeId, attr, SipCryptoOp::kOpen, size, took,
               [this, sid, attr, imId, plain, st, bytes, report, answer]() {
      Session* ss = FindSession(sid);
      const int senderDir = ss ? 1 - ss->dir : 0;
      if (!st) {
        Drop(SipDropReason::kSecurity, attr, bytes,
             std::to_string(answer->status) + " sealed message refused: " + st.error().ToString());
        Refuse(ss, sid, attr, imId, *answer);
        return;
      }
      Deliver(imId, ss ? ss->peerAor : std::string(), static_cast<std::uint32_t>(plain->size()), 0);
      SendSuccessReport(ss, attr, report);
      NotifySender(sid, senderDir, imId, true);
    });
  }

  // The success REPORT an MSRP SEND asked for (Success-Report: yes), once
  // its message is accepted; none when none was asked or the session ended.
  void SendSuccessReport(Session* s, SipAttribution attr, const std::optional<SuccessReport>& report) {
    if (!s || !report) return;
    // With no connection to send on yet, on the one the message came on:
    // an accepted connection whose binding SEND was just taken (it becomes
    // the one to send on once that SEND is answered, an event later, and
    // with no CPU cost the message behind it is delivered before that).
    StreamConn* on = nullptr;
    if (!s->sendConn)
      if (auto it = s->conns.find(report->connId); it != s->conns.end()) on = it->second.conn.get();
    SendMedia(*s, MsrpReport(*s, report->messageId, report->bodyBytes, 200, "OK"), attr, SipMsgType::kMsrpReport, 0,
              on);
  }

  // BYE once EndSession was asked and nothing of ours is left undelivered.
  void MaybeBye(Session& s) {
    if (s.closed) return;
    if (s.peerBye) {
      // The dialog is over; the session only waited for these IMs.
      if (s.unresolved.empty()) CloseSession(s, SipFailReason::kSessionClosed, true);
      return;
    }
    if (!s.closing || s.byeSent || !s.established || !s.queue.empty() || !s.unresolved.empty()) return;
    s.byeSent = true;
    if (!StartBye(s, s.id)) CloseSession(s, SipFailReason::kSessionClosed, true);
  }

  // Sends the dialog's BYE; its answer closes the session with id `cookie`
  // (0: none, the session being closed already). False when it could not go.
  bool StartBye(Session& s, std::uint64_t cookie) {
    auto txn = std::make_unique<ClientTxn>();
    txn->branch = ids.Branch();
    if (!InDialogDest(s, &txn->dest)) return false;
    sip::RequestSpec spec = UacSpec("BYE", s.remoteTarget, txn->dest.transport, txn->branch, s.localTag);
    spec.to_uri = s.peerAor;
    spec.to_tag = s.remoteTag;
    spec.call_id = s.callId;
    spec.cseq = ++s.cseq;
    spec.route = s.routeSet;
    if (auto e = sip::BuildRequest(spec, &txn->bytes)) {
      NS_LOG_ERROR("BYE not built: " << e.ToString());
      return false;
    }
    txn->attr = SipAttribution{SipAttributionKind::kSession, s.id};
    txn->type = SipMsgType::kBye;
    txn->cookie = cookie;
    SessionEvent(s, SipSessionEvent::kByeSent);
    return ctx->Start(std::move(txn));
  }

  // Ends a session: every IM of ours not yet resolved fails with `reason`.
  // `status`: the SIP final response that ended it, if one did (an IM that
  // fails with the session carries it, as a pager IM carries its own).
  void CloseSession(Session& s, SipFailReason reason, bool normal, std::uint16_t status = 0) {
    if (s.closed) return;  // re-entered through an outcome's trace: once is all
    s.closed = true;
    const std::uint64_t sid = s.id;
    AnswerUnansweredInvite(s);
    // A dialog this end gives up for its own reasons (no media path, a
    // stalled peer, a failed key exchange) still ends with BYE (RFC 3261
    // 15): else the peer keeps its half of the session, sending IMs into
    // it, until its own timers notice.
    if (s.established && !s.byeSent && !s.peerBye && self->m_running) StartBye(s, 0);
    s.okTimer.Cancel();
    s.answerTimer.Cancel();
    s.idleTimer.Cancel();
    s.mediaTimer.Cancel();
    s.cancelTimer.Cancel();
    s.byeDrainTimer.Cancel();
    for (auto& kv : s.awaiting) kv.second.timer.Cancel();
    // IMs handed to us after our BYE went out, or not yet sent when the
    // peer's came, wait for a new session; but not when no media path ever
    // came up here: the peer may have given up for that reason (its BYE
    // from the rule above), and a new session would meet the same fate,
    // again and again until the run ends.
    std::deque<PendingIm> later;
    if (normal && (s.byeSent || (s.peerBye && s.mediaWasUp)) && self->m_running) later.swap(s.queue);
    const std::string peer = s.peerAor;
    const SipImMode mode = s.mode;
    // The peer's crossed session, if it has one, takes this one's place;
    // IMs this one never sent go on it instead of failing.
    Session* heir = nullptr;
    if (auto c = sessions.find(CrossedKey(s.key)); c != sessions.end() && self->m_running) heir = c->second.get();
    if (heir) {
      for (PendingIm& im : later) heir->queue.push_back(std::move(im));
      for (PendingIm& im : s.queue) heir->queue.push_back(std::move(im));
      later.clear();
      s.queue.clear();
    }
    for (const PendingIm& im : s.queue) Outcome(im.imId, SipImOutcome::kFailed, reason, status);
    if (s.reassembler.pending_messages() > 0) {
      // MSRP messages whose chunks stopped short go with the session: said,
      // not silently (RFC 4975 7.1.1 leaves a partial message to the
      // receiver, which has nothing to deliver).
      std::string detail;
      s.reassembler.Finish(&detail);
      Drop(SipDropReason::kUnexpected, SipAttribution{SipAttributionKind::kSession, s.id}, s.reassembler.buffered_bytes(),
           "session closed with " + std::to_string(s.reassembler.pending_messages()) +
               " incomplete MSRP message(s), not delivered: " + detail);
    }
    std::vector<std::uint64_t> left(s.unresolved.begin(), s.unresolved.end());
    std::sort(left.begin(), left.end());  // deterministic order of the traces
    for (std::uint64_t id : left) Outcome(id, SipImOutcome::kFailed, reason, status);
    SessionEvent(s, normal && s.established ? SipSessionEvent::kClosed : SipSessionEvent::kFailed);
    for (auto& kv : s.conns) {
      kv.second.conn->onClosed = nullptr;
      kv.second.conn->Close();
    }
    if (s.listener) {
      s.listener->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                                    MakeNullCallback<void, Ptr<Socket>, const Address&>());
      s.listener->Close();
    }
    if (s.shared) {
      for (std::uint64_t id : left) s.shared->imSenders.erase(id);
      if (s.shared->ends[s.dir] == self) s.shared->ends[s.dir] = nullptr;
      if (!s.shared->ends[0] && !s.shared->ends[1]) sipns3::SessionRegistry().erase(sid);
    }
    sessionsById.erase(sid);
    // Connections may be inside their own callback: free the session later.
    auto it = sessions.find(s.key);
    if (it != sessions.end()) {
      std::shared_ptr<Session> hold(it->second.release());
      sessions.erase(it);
      Simulator::ScheduleNow([hold]() {});
    }
    if (heir) {
      auto node = sessions.extract(heir->key);
      heir->key = SessionKey(peer, mode);
      node.key() = heir->key;
      sessions.insert(std::move(node));
      Flush(*heir);
      ArmIdle(*heir);
    }
    if (!later.empty()) {
      PendingIm first = std::move(later.front());
      later.pop_front();
      StartSession(peer, mode, std::move(first));
      auto again = sessions.find(SessionKey(peer, mode));
      for (PendingIm& im : later) {
        if (again != sessions.end()) again->second->queue.push_back(std::move(im));
        else Outcome(im.imId, SipImOutcome::kFailed, SipFailReason::kSessionSetupFailed, 0);
      }
    }
  }

  void ArmIdle(Session& s) {
    if (!self->m_sessionIdleTimeout.IsStrictlyPositive() || s.idleTimer.IsRunning()) return;
    const Time due = s.lastActivity + self->m_sessionIdleTimeout - Simulator::Now();
    s.idleTimer = Simulator::Schedule(due.IsStrictlyPositive() ? due : Time(0), &Impl::IdleCheck, this, s.id);
  }
  void IdleCheck(std::uint64_t sid) {
    Session* s = FindSession(sid);
    if (!s) return;
    if (Simulator::Now() - s->lastActivity >= self->m_sessionIdleTimeout) {
      s->closing = true;
      MaybeBye(*s);
    } else {
      ArmIdle(*s);
    }
  }

  // ---- the public entry ----
  std::uint64_t Send(const std::string& to, std::string body, SipImMode mode) {
    const std::uint64_t imId = ++sipns3::Ids().im;
    ++self->m_imsSent;
    std::string norm, user, domain;
    const bool ok = sipns3::NormalizeAor(to, &norm, &user, &domain);
    self->m_imSentTrace(imId, ok ? norm : to, static_cast<std::uint32_t>(body.size()), mode);
    if (!self->m_running) {
      Outcome(imId, SipImOutcome::kFailed, SipFailReason::kNotStarted, 0);
      return imId;
    }
    if (!ok) {
      Outcome(imId, SipImOutcome::kFailed, SipFailReason::kFinalResponse, 400);
      return imId;
    }
    if (mode == SipImMode::kPager) {
      SendPager(imId, norm, body);
      return imId;
    }
    auto it = sessions.find(SessionKey(norm, mode));
    if (it == sessions.end()) {
      StartSession(norm, mode, PendingIm{imId, std::move(body)});
      return imId;
    }
    Session& s = *it->second;
    s.closing = false;
    s.queue.push_back(PendingIm{imId, std::move(body)});
    Flush(s);
    ArmIdle(s);
    return imId;
  }
};

// ---------------------------------------------------------------------------

TypeId SipUserAgent::GetTypeId() {
  static TypeId tid =
      TypeId("ns3::SipUserAgent")
          .SetParent<Application>()
          .SetGroupName("Sipim")
          .AddConstructor<SipUserAgent>()
          .AddAttribute("Aor", "Address of record, sip:user@domain.", StringValue("sip:user@example.com"),
                        MakeStringAccessor(&SipUserAgent::SetAor, &SipUserAgent::GetAorValue),
                        MakeStringChecker())
          .AddAttribute("ProxyAddress", "The outbound proxy (this domain's proxy).",
                        Ipv4AddressValue(Ipv4Address("127.0.0.1")),
                        MakeIpv4AddressAccessor(&SipUserAgent::m_proxyAddress), MakeIpv4AddressChecker())
          .AddAttribute("ProxyPort", "The proxy's SIP port.", UintegerValue(5060),
                        MakeUintegerAccessor(&SipUserAgent::m_proxyPort), MakeUintegerChecker<uint16_t>())
          .AddAttribute("LocalPort", "SIP port of this UA (UDP and TCP); 0 picks a free one.",
                        UintegerValue(5060), MakeUintegerAccessor(&SipUserAgent::m_localPort),
                        MakeUintegerChecker<uint16_t>())
          .AddAttribute("Transport", "Transport of UA <-> proxy signalling.",
                        EnumValue(SipTransportProtocol::kUdp), MakeEnumAccessor(&SipUserAgent::m_transport),
                        MakeEnumChecker(SipTransportProtocol::kUdp, "Udp", SipTransportProtocol::kTcp, "Tcp",
                                        SipTransportProtocol::kSctp, "Sctp"))
          .AddAttribute("MediaTransport", "Transport of the session's media connection.",
                        EnumValue(SipTransportProtocol::kTcp),
                        MakeEnumAccessor(&SipUserAgent::m_mediaTransport),
                        MakeEnumChecker(SipTransportProtocol::kTcp, "Tcp", SipTransportProtocol::kSctp, "Sctp"))
          .AddAttribute("ListenStreams",
                        "Accept SIP over TCP/SCTP connections opened towards this UA. Without it "
                        "the UA saves a listening socket; requests reach it over UDP or over "
                        "connections it opened itself (Transport Tcp/Sctp).",
                        BooleanValue(true), MakeBooleanAccessor(&SipUserAgent::m_listenStreams),
                        MakeBooleanChecker())
          .AddAttribute("Register", "Register with the proxy at start.", BooleanValue(true),
                        MakeBooleanAccessor(&SipUserAgent::m_register), MakeBooleanChecker())
          .AddAttribute("RegisterExpires", "Registration lifetime asked for; re-registers at 90 %.",
                        TimeValue(Seconds(3600)), MakeTimeAccessor(&SipUserAgent::m_registerExpires),
                        MakeTimeChecker(Seconds(1)))
          .AddAttribute("T1", "RFC 3261 T1.", TimeValue(MilliSeconds(500)),
                        MakeTimeAccessor(&SipUserAgent::m_t1), MakeTimeChecker())
          .AddAttribute("T2", "RFC 3261 T2.", TimeValue(Seconds(4)), MakeTimeAccessor(&SipUserAgent::m_t2),
                        MakeTimeChecker())
          .AddAttribute("T4", "RFC 3261 T4.", TimeValue(Seconds(5)), MakeTimeAccessor(&SipUserAgent::m_t4),
                        MakeTimeChecker())
          .AddAttribute("Mtu", "Path MTU for the RFC 3261 18.1.1 rule.", UintegerValue(1500),
                        MakeUintegerAccessor(&SipUserAgent::m_mtu), MakeUintegerChecker<uint32_t>(300))
          .AddAttribute("SwitchToTcpAboveMtu", "Send requests larger than Mtu - 200 over TCP.",
                        BooleanValue(true), MakeBooleanAccessor(&SipUserAgent::m_switchToTcpAboveMtu),
                        MakeBooleanChecker())
          .AddAttribute("MessageSizeLimit", "The RFC 3428 limit on a pager MESSAGE (bytes).",
                        UintegerValue(1300), MakeUintegerAccessor(&SipUserAgent::m_messageSizeLimit),
                        MakeUintegerChecker<uint32_t>())
          .AddAttribute("SizeRule", "What a pager MESSAGE above MessageSizeLimit over UDP does.",
                        EnumValue(SizeRule::kViolate), MakeEnumAccessor(&SipUserAgent::m_sizeRule),
                        MakeEnumChecker(SizeRule::kViolate, "Violate", SizeRule::kRefuse, "Refuse",
                                        SizeRule::kUseTcp, "UseTcp"))
          .AddAttribute("ConnectionSetup", "Media connection roles: Both (the paper), Active, Passive.",
                        EnumValue(ConnectionSetup::kBoth), MakeEnumAccessor(&SipUserAgent::m_connectionSetup),
                        MakeEnumChecker(ConnectionSetup::kBoth, "Both", ConnectionSetup::kActive, "Active",
                                        ConnectionSetup::kPassive, "Passive"))
          .AddAttribute("AnswerDelay", "The callee's pause before answering an INVITE.", TimeValue(Seconds(0)),
                        MakeTimeAccessor(&SipUserAgent::m_answerDelay), MakeTimeChecker())
          .AddAttribute("SessionIdleTimeout", "BYE after this long without IMs; 0 = never.",
                        TimeValue(Seconds(0)), MakeTimeAccessor(&SipUserAgent::m_sessionIdleTimeout),
                        MakeTimeChecker())
          .AddAttribute("InviteTimeout",
                        "CANCEL a session INVITE that has had a provisional response but no final "
                        "response after this long (RFC 3261 9.1; held until a provisional arrives); "
                        "the session's IMs fail kCancelled. 0: never.",
                        TimeValue(Seconds(0)), MakeTimeAccessor(&SipUserAgent::m_inviteTimeout),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("MediaConnectTimeout",
                        "How long an established session waits for its media connection to come up; then it "
                        "closes and its IMs fail (kTransportError). 0: for ever.",
                        TimeValue(Seconds(32)), MakeTimeAccessor(&SipUserAgent::m_mediaConnectTimeout),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("MediaMaxQueuedBytes",
                        "Most bytes a media connection may hold unsent (its peer not reading); "
                        "above it the session closes and its undelivered IMs fail (kTransportError).",
                        UintegerValue(std::uint64_t{4} << 20),
                        MakeUintegerAccessor(&SipUserAgent::m_mediaMaxQueuedBytes),
                        MakeUintegerChecker<std::uint64_t>(1))
          .AddAttribute("MsrpSuccessReport", "Ask for a REPORT on success (Success-Report: yes).",
                        BooleanValue(false), MakeBooleanAccessor(&SipUserAgent::m_msrpSuccessReport),
                        MakeBooleanChecker())
          .AddAttribute("MsrpFailureReport", "false sends Failure-Report: no (no 200 per SEND).",
                        BooleanValue(true), MakeBooleanAccessor(&SipUserAgent::m_msrpFailureReport),
                        MakeBooleanChecker())
          .AddAttribute("MsrpTransactionTimeout",
                        "How long an MSRP SEND waits for its transaction response (RFC 4975 7.1.1: 30 s); "
                        "then its IM fails kTimeout, status 408. 0: for ever.",
                        TimeValue(Seconds(30)), MakeTimeAccessor(&SipUserAgent::m_msrpTransactionTimeout),
                        MakeTimeChecker(Time(0)))
          .AddAttribute("MsrpChunkSize",
                        "Split SEND bodies larger than this; 0 = at 64 KiB, the largest body the receiver's "
                        "MSRP parser takes in one SEND (a larger one is a framing error that closes the connection).",
                        UintegerValue(0),
                        MakeUintegerAccessor(&SipUserAgent::m_msrpChunkSize), MakeUintegerChecker<uint32_t>())
          .AddAttribute("ConnectionIdleTimeout", sipns3::kConnectionIdleTimeoutHelp,
                        TimeValue(Seconds(sipns3::kConnectionIdleTimeoutSeconds)),
                        MakeTimeAccessor(&SipUserAgent::m_connectionIdleTimeout), MakeTimeChecker(Time(0)))
          .AddAttribute("MaxConnectionsPerPeer", sipns3::kMaxConnectionsPerPeerHelp,
                        UintegerValue(sipns3::kMaxConnectionsPerPeer),
                        MakeUintegerAccessor(&SipUserAgent::m_maxConnectionsPerPeer), MakeUintegerChecker<uint32_t>())
          .AddAttribute("SctpUnordered", sipns3::kSctpUnorderedHelp, BooleanValue(true),
                        MakeBooleanAccessor(&SipUserAgent::m_sctpUnordered), MakeBooleanChecker())
          .AddAttribute("SctpStreams", sipns3::kSctpStreamsHelp, UintegerValue(1),
                        MakeUintegerAccessor(&SipUserAgent::m_sctpStreams), MakeUintegerChecker<uint16_t>(1))
          .AddAttribute("SctpInterleaving", sipns3::kSctpInterleavingHelp, BooleanValue(false),
                        MakeBooleanAccessor(&SipUserAgent::m_sctpInterleaving), MakeBooleanChecker())
          .AddAttribute("Security",
                        "The scenario's SipImSecurity: S/MIME on every IM's body (pager or session), or "
                        "MIKEY in the session's SDP and sealed session messages. Null (the default): none.",
                        PointerValue(), MakePointerAccessor(&SipUserAgent::m_security),
                        MakePointerChecker<SipImSecurity>())
          .AddTraceSource("Tx", "A SIP or MSRP message was sent.", MakeTraceSourceAccessor(&SipUserAgent::m_txTrace),
                          "ns3::SipWireTracedCallback")
          .AddTraceSource("Rx", "A SIP or MSRP message was received.",
                          MakeTraceSourceAccessor(&SipUserAgent::m_rxTrace), "ns3::SipWireTracedCallback")
          .AddTraceSource("Drop", "A received message was dropped.", MakeTraceSourceAccessor(&SipUserAgent::m_dropTrace),
                          "ns3::SipDropTracedCallback")
          .AddTraceSource("ImSent", "The application handed an IM to the UA.",
                          MakeTraceSourceAccessor(&SipUserAgent::m_imSentTrace), "ns3::SipImSentTracedCallback")
          .AddTraceSource("ImRetransmitted", "The request carrying an IM was retransmitted.",
                          MakeTraceSourceAccessor(&SipUserAgent::m_imRetransmittedTrace),
                          "ns3::SipImRetransmittedTracedCallback")
          .AddTraceSource("ImDelivered", "An IM reached this UA's user.",
                          MakeTraceSourceAccessor(&SipUserAgent::m_imDeliveredTrace),
                          "ns3::SipImDeliveredTracedCallback")
          .AddTraceSource("ImOutcome", "Final outcome of an IM sent by this UA (once per IM).",
                          MakeTraceSourceAccessor(&SipUserAgent::m_imOutcomeTrace),
                          "ns3::SipImOutcomeTracedCallback")
          .AddTraceSource("Session", "Session life-cycle events.", MakeTraceSourceAccessor(&SipUserAgent::m_sessionTrace),
                          "ns3::SipSessionTracedCallback")
          .AddTraceSource("MediaConnection", "A session's media connection was opened or accepted here.",
                          MakeTraceSourceAccessor(&SipUserAgent::m_mediaConnectionTrace),
                          "ns3::SipMediaConnectionTracedCallback");
  return tid;
}

SipUserAgent::SipUserAgent() : m_impl(std::make_unique<Impl>(this)) {}
SipUserAgent::~SipUserAgent() = default;

void SipUserAgent::SetAor(std::string aor) {
  std::string norm, user, domain;
  if (!sipns3::NormalizeAor(aor, &norm, &user, &domain))
    NS_FATAL_ERROR("SipUserAgent: Aor \"" << aor << "\" is not user@domain");
  m_aor = norm;
  m_user = user;
  m_domain = domain;
}
std::string SipUserAgent::GetAorValue() const { return m_aor; }

void SipUserAgent::DoDispose() {
  if (m_running) m_impl->Stop();
  Application::DoDispose();
}

void SipUserAgent::StartApplication() { m_impl->Start(); }
void SipUserAgent::StopApplication() { m_impl->Stop(); }

std::uint64_t SipUserAgent::SendIm(const std::string& to, std::uint32_t bodyBytes, SipImMode mode) {
  std::string body;
  body.reserve(bodyBytes);
  AppendFiller(bodyBytes, &body);
  return m_impl->Send(to, std::move(body), mode);
}

std::uint64_t SipUserAgent::SendIm(const std::string& to, const std::string& body, SipImMode mode) {
  return m_impl->Send(to, body, mode);
}

void SipUserAgent::EndSession(const std::string& to) {
  std::string norm, user, domain;
  if (!sipns3::NormalizeAor(to, &norm, &user, &domain)) return;
  for (SipImMode mode : {SipImMode::kSessionStripped, SipImMode::kSessionMsrp}) {
    auto it = m_impl->sessions.find(Impl::SessionKey(norm, mode));
    if (it == m_impl->sessions.end()) continue;
    it->second->closing = true;
    m_impl->MaybeBye(*it->second);
  }
}

bool SipUserAgent::HasSession(const std::string& to) const {
  std::string norm, user, domain;
  if (!sipns3::NormalizeAor(to, &norm, &user, &domain)) return false;
  return m_impl->sessions.count(Impl::SessionKey(norm, SipImMode::kSessionStripped)) ||
         m_impl->sessions.count(Impl::SessionKey(norm, SipImMode::kSessionMsrp));
}

std::size_t SipUserAgent::GetStreamConnections() const { return m_impl->ep ? m_impl->ep->ConnectionCount() : 0; }
std::size_t SipUserAgent::GetRememberedImIds() const { return m_impl->delivered.size(); }

std::uint16_t SipUserAgent::GetSipPort() const { return m_impl->ep ? m_impl->ep->port() : 0; }

}  // namespace ns3
