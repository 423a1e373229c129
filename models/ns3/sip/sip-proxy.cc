#include "ns3/sip/sip-proxy.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "ns3/boolean.h"
#include "ns3/enum.h"
#include "ns3/ipv4.h"
#include "ns3/log.h"
#include "ns3/simulator.h"
#include "ns3/sip/node-cpu.h"
#include "ns3/sip/sip-common.h"
#include "ns3/sip/sip-endpoint.h"
#include "ns3/sip/sip-internal.h"
#include "ns3/sip/sip-transactions.h"
#include "ns3/string.h"
#include "ns3/trace-source-accessor.h"
#include "ns3/uinteger.h"
#include "sip/builder.h"
#include "sip/headers.h"
#include "sip/proxy_ops.h"
#include "sip/text.h"
#include "sip/uri.h"

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("SipProxy");
NS_OBJECT_ENSURE_REGISTERED(SipProxy);

namespace sip = sipim::sip;
using sipns3::ClientTxn;
using sipns3::Dest;
using sipns3::RxMeta;
using sipns3::ServerTxn;

struct SipProxy::Impl {
  SipProxy* self;
  sipns3::TimerConfig timers;
  std::unique_ptr<sipns3::SipEndpoint> ep;
  std::unique_ptr<sipns3::ClientTxnTable> ctx;
  std::unique_ptr<sipns3::ServerTxnTable> stx;
  sip::IdGenerator ids{0};
  std::string host;       // "10.0.1.1"
  std::string recordRoute;  // "<sip:10.0.1.1:5060;lr>"
  std::uint32_t nodeId = 0;
  Ptr<Ipv4> ipv4;

  struct DomainRoute {
    Ipv4Address address;
    std::uint16_t port;
  };
  std::unordered_map<std::string, DomainRoute> domains;
  struct Binding {
    Dest dest;
    std::string uri;  // the Contact URI (the retarget)
    Time expires;     // absolute; Time::Max() for static bindings
  };
  std::unordered_map<std::string, std::vector<Binding>> location;  // "user@domain"

  // A request being forwarded: its server transaction and branches.
  struct Forward {
    std::string request;  // the original request (to build 408/480 from)
    Ipv4Address source;   // where it came from: its top Via is marked (18.2.1)
    std::uint16_t sourcePort = 0;  // only if such a response is built
    bool invite = false;
    std::uint32_t pending = 0;
    bool answered = false;  // a 2xx went upstream
    bool cancelled = false;  // a CANCEL matched: branches get CANCEL once provisional
    std::uint16_t bestStatus = 0;
    std::string bestResponse;  // the best final so far, Via already popped
  };
  std::unordered_map<std::uint64_t, Forward> forwards;  // by server txn id

  // Timer C (RFC 3261 16.6 step 11, 16.7 step 2, 16.8) of each INVITE
  // branch still without a final response, by branch. After it fired on a
  // branch with a provisional response, `event` is the 64*T1 wait for the
  // 487 to the proxy's CANCEL (9.1) and the timer is not re-armed.
  struct TimerC {
    EventId event;
    bool cancelSent = false;
  };
  std::unordered_map<std::string, TimerC> timerC;

  sip::Message parsed;  // scratch for re-parsing stored messages

  explicit Impl(SipProxy* s) : self(s) {}

  // The methods this proxy and registrar takes (RFC 3261 11.2).
  static constexpr std::string_view kAllow = "INVITE, ACK, CANCEL, BYE, MESSAGE, OPTIONS, REGISTER";
  // The cookie of the proxy's own client transactions (CANCELs): no
  // server transaction has id 0, so their responses reach no one upstream.
  static constexpr std::uint64_t kOwnRequest = 0;

  // A SIP URI naming this proxy: one of its addresses and its port.
  bool IsMe(const sip::Uri& u) const {
    Ipv4Address a;
    return sipns3::HostToIpv4(u.host, &a) && IsOwnAddress(a) && (u.port <= 0 ? 5060 : u.port) == ep->port();
  }
  // Any of the node's interface addresses, not only the first one the
  // endpoint names itself by: a Route or Via naming another of them still
  // names this proxy (RFC 3261 16.4), and sending there would loop back.
  bool IsOwnAddress(Ipv4Address a) const { return a == ep->address() || (ipv4 && ipv4->GetInterfaceForAddress(a) >= 0); }

  // RFC 3261 19.1.4: the host of a SIP URI compares case-insensitively.
  bool IsMyDomain(std::string_view host) const { return sip::text::IEquals(host, self->m_domain); }

  void FireTx(const Dest& d, SipAttribution attr, SipMsgType type, std::uint16_t status,
              std::size_t bytes, bool retx) {
    self->m_txTrace(
        sipns3::WireEvent(nodeId, d.transport, d.address, d.port, attr, type, status, bytes, retx, Time()));
  }
  void Drop(SipDropReason r, SipAttribution attr, std::size_t bytes, std::string detail) {
    ++self->m_drops;
    self->m_dropTrace(sipns3::DropEvent(nodeId, r, attr, bytes, std::move(detail)));
  }
  bool SendRaw(const Dest& d, std::string_view bytes, SipAttribution attr, SipMsgType type,
               std::uint16_t status, bool retx) {
    const bool ok = ep->Send(d, bytes, attr);
    if (ok) FireTx(d, attr, type, status, bytes.size(), retx);
    return ok;
  }

  void Start() {
    timers.t1 = self->m_t1;
    timers.t2 = self->m_t2;
    timers.t4 = self->m_t4;
    nodeId = self->GetNode()->GetId();
    ipv4 = self->GetNode()->GetObject<Ipv4>();
    Ptr<NodeCpu> cpu = NodeCpu::GetOrCreate(self->GetNode());
    ep = std::make_unique<sipns3::SipEndpoint>(self->GetNode(), cpu);
    std::string err;
    if (!ep->Start(self->m_port, true, &err)) NS_FATAL_ERROR("SipProxy " << self->m_domain << ": " << err);
    host = sipns3::Ipv4ToString(ep->address());
    recordRoute = "<sip:" + host + ":" + std::to_string(ep->port()) + ";lr>";
    ids = sip::IdGenerator((0x5157ULL << 48) ^ (++sipns3::Ids().branch));
    ctx = std::make_unique<sipns3::ClientTxnTable>(
        &timers,
        [this](ClientTxn& t, bool retx) {
          if (retx) ++self->m_retransmissions;
          return SendRaw(t.dest, t.bytes, t.attr, t.type, 0, retx);
        },
        [this](ClientTxn& t) { OnBranchFailure(t, 408); });
    stx = std::make_unique<sipns3::ServerTxnTable>(&timers, [this](ServerTxn& t, bool retx) {
      if (retx) ++self->m_retransmissions;
      SendRaw(t.replyTo, t.lastResponse, t.attr, SipMsgType::kResponse, t.lastStatus, retx);
    });
    ep->SetRxHandler([this](const std::string& b, const sip::Message& m, const RxMeta& meta) {
      OnMessage(b, m, meta);
    });
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
    // out and, RFC 3261 16.7 step 6/8.1.3.1, fail with it (a transport error
    // on a branch counts as 503).
    auto waitingOn = [this](const sipns3::StreamConn& c) {
      return ctx->WaitingOn([&](const Dest& d) { return ep->Carries(c, d); });
    };
    ep->SetInUseHandler([waitingOn](const sipns3::StreamConn& c) { return !waitingOn(c).empty(); });
    ep->SetConnErrorHandler([this, waitingOn](const sipns3::StreamConn& c) {
      for (ClientTxn* t : waitingOn(c)) FailBranch(t, 503);
    });
  }

  void Stop() {
    for (auto& kv : timerC) kv.second.event.Cancel();
    timerC.clear();
    if (ctx) ctx->Clear();
    if (stx) stx->Clear();
    if (ep) ep->Stop();
    forwards.clear();
  }

  void OnMessage(const std::string& bytes, const sip::Message& msg, const RxMeta& meta) {
    const SipAttribution attr = sipns3::AttributionOf(msg);
    self->m_rxTrace(sipns3::WireEvent(nodeId, meta.transport, meta.from, meta.fromPort, attr,
                                      sipns3::TypeOf(msg),
                                      static_cast<std::uint16_t>(msg.is_request ? 0 : msg.status_code),
                                      msg.raw.size(), false, meta.cpu));
    if (msg.is_request) OnRequest(bytes, msg, meta, attr);
    else OnResponse(msg, attr);
  }

  // A stateless response to a request that has no transaction (yet).
  void RespondStateless(const sip::Message& req, const RxMeta& meta, SipAttribution attr, int status) {
    std::string out;
    sip::ResponseSpec spec;
    spec.status = status;
    const std::string tag = OwnTag(status);
    spec.to_tag = tag;
    std::string marked;
    sip::Message markedMsg;
    const bool mark = sipns3::MarkViaSource(req, meta.from, meta.fromPort, &marked, &markedMsg);
    if (sip::BuildResponse(mark ? markedMsg : req, spec, &out)) return;  // cannot even answer: already dropped
    SendRaw(sipns3::StatelessReplyDest(meta, req), out, attr, SipMsgType::kResponse,
            static_cast<std::uint16_t>(status), false);
  }

  // RFC 3261 8.2.6.2: a response this element makes itself carries a To
  // tag (BuildResponse keeps the request's when it has one), except 100.
  std::string OwnTag(int status) { return status == 100 ? std::string() : ids.Tag(); }

  void Respond(ServerTxn* t, const sip::Message& req, int status, std::string_view toTag = {},
               std::string_view extra = {}) {
    std::string out;
    sip::ResponseSpec spec;
    spec.status = status;
    const std::string own = toTag.empty() ? OwnTag(status) : std::string();
    spec.to_tag = toTag.empty() ? std::string_view(own) : toTag;
    spec.extra_headers = extra;
    std::string marked;
    sip::Message markedMsg;
    const bool mark = sipns3::MarkViaSource(req, t->source, t->sourcePort, &marked, &markedMsg);
    if (auto e = sip::BuildResponse(mark ? markedMsg : req, spec, &out)) {
      Drop(SipDropReason::kParseError, t->attr, req.raw.size(), std::string("cannot answer: ") + e.ToString());
      return;
    }
    stx->Respond(t, std::move(out), static_cast<std::uint16_t>(status));
  }

  void OnRequest(const std::string& bytes, const sip::Message& msg, const RxMeta& meta,
                 SipAttribution attr) {
    ++self->m_requestsReceived;
    // RFC 3261 16.3: a proxy checks the fields it needs (Via here; the
    // Request-URI, Route and Max-Forwards below, each with the wire core's
    // typed parser), not the whole message: the recipient UA validates it.
    sip::Via top;
    if (auto e = sip::TopVia(msg, &top)) {
      Drop(SipDropReason::kParseError, attr, msg.raw.size(), e.ToString());
      return;
    }
    if (top.branch.empty() || msg.Find(sip::HeaderId::kCallId) == nullptr ||
        msg.Find(sip::HeaderId::kCSeq) == nullptr || msg.Find(sip::HeaderId::kFrom) == nullptr ||
        msg.Find(sip::HeaderId::kTo) == nullptr) {
      Drop(SipDropReason::kParseError, attr, msg.raw.size(),
           "request without branch, Call-ID, CSeq, From or To");
      if (msg.method != "ACK") RespondStateless(msg, meta, attr, 400);
      return;
    }
    // RFC 5923-style alias: later messages to the Via sent-by reuse this
    // connection. A Via naming another host than the connection's peer (a
    // proxy's Via names its first interface, not always the one it sends
    // from) must not divert traffic that already has a way (RFC 5923
    // section 10): it never takes over a peer proxy's address (a domain
    // route) or a sent-by another open connection stands for.
    Ipv4Address viaAddr;
    if (meta.connId != 0 && sipns3::HostToIpv4(top.host, &viaAddr)) {
      const std::uint16_t viaPort = static_cast<std::uint16_t>(top.port > 0 ? top.port : 5060);
      const bool ownHost = viaAddr == meta.from;
      const bool routeDest = std::any_of(domains.begin(), domains.end(), [&](const auto& kv) {
        return kv.second.address == viaAddr && kv.second.port == viaPort;
      });
      if (ownHost || !routeDest) ep->AddAlias(meta.connId, viaAddr, viaPort, /*replace=*/ownHost);
    }
    const std::string_view key = stx->KeyOf(top.branch, msg.method);
    if (msg.method == "ACK") {
      if (ServerTxn* t = stx->Find(key)) {  // the ACK of a non-2xx we sent: absorbed
        stx->OnAck(t);
        return;
      }
      ForwardStateless(msg, meta, attr);  // ACK for a 2xx through a Record-Route
      return;
    }
    if (ServerTxn* t = stx->Find(key)) {
      stx->Retransmit(t);
      Drop(SipDropReason::kRetransmissionAbsorbed, attr, msg.raw.size(), std::string(msg.method));
      return;
    }
    const bool invite = msg.method == "INVITE";
    ServerTxn* t = stx->Create(key, invite, sipns3::ReplyDest(meta, top), attr);
    t->source = meta.from;
    t->sourcePort = meta.fromPort;
    if (invite) Respond(t, msg, 100);
    if (msg.method == "CANCEL" && Cancel(t, msg, top.branch)) return;

    // RFC 3428 / 3261 21.5.11: refuse a large MESSAGE that came over UDP.
    if (self->m_enforceSizeLimit && msg.method == "MESSAGE" &&
        meta.transport == SipTransportProtocol::kUdp && msg.raw.size() > self->m_messageSizeLimit) {
      Drop(SipDropReason::kTooLarge, attr, msg.raw.size(), "513");
      Respond(t, msg, 513);
      return;
    }
    sip::Uri ruri;
    if (auto e = sip::ParseUri(msg.request_uri, &ruri, msg.input)) {
      Drop(SipDropReason::kParseError, attr, msg.raw.size(), e.ToString());
      Respond(t, msg, 400);
      return;
    }
    const bool mine = ruri.is_sip() && IsMyDomain(ruri.host);
    if (msg.method == "REGISTER" && mine) {
      Register(t, msg, meta);
      return;
    }
    // RFC 3261 16.3 step 5: this proxy supports no extension, so a request
    // with Proxy-Require is refused 420 listing the tags, not forwarded.
    if (RefuseExtensions(t, msg, sip::HeaderId::kProxyRequire)) return;

    // Decide where it goes.
    struct Target {
      Dest dest;
      std::string retarget;  // new Request-URI, or ""
    };
    std::vector<Target> targets;
    bool popRoute = false;
    std::string routeNext;
    if (const sip::Header* rh = msg.Find(sip::HeaderId::kRoute)) {
      std::vector<sip::NameAddr> routes;
      if (auto e = sip::ParseNameAddrList(rh->value, &routes, msg.input)) {
        // RFC 3261 16.3 step 1: a Route the proxy cannot read is a bad request.
        Drop(SipDropReason::kParseError, attr, msg.raw.size(), "400 Route: " + e.ToString());
        Respond(t, msg, 400);
        return;
      }
      if (!routes.empty()) {
        sip::Uri ru;
        if (!sip::ParseUri(routes[0].uri, &ru) && IsMe(ru)) {
          popRoute = true;
          // The next hop: the next Route value (same or next field), else the R-URI.
          if (routes.size() > 1) routeNext = std::string(routes[1].uri);
          else if (const sip::Header* r2 = msg.FindNext(rh)) {
            std::vector<sip::NameAddr> more;
            if (!sip::ParseNameAddrList(r2->value, &more, msg.input) && !more.empty())
              routeNext = std::string(more[0].uri);
          }
        } else {
          routeNext = std::string(routes[0].uri);  // strict next hop: the top Route
        }
      }
    }
    // RFC 3261 11: an OPTIONS for the proxy itself (no further Route, a
    // Request-URI without user part naming its domain or its own address)
    // is answered here; one for a user is routed like any request.
    if (msg.method == "OPTIONS" && routeNext.empty() && ruri.is_sip() && !ruri.has_user &&
        (mine || IsMe(ruri))) {
      Respond(t, msg, 200, ids.Tag(), sipns3::OptionsCapabilities(kAllow));
      return;
    }
    if (!routeNext.empty()) {
      sip::Uri nu;
      Target tg;
      if (sip::ParseUri(routeNext, &nu) || !sipns3::UriDest(nu, self->m_transport, &tg.dest)) {
        Drop(SipDropReason::kNoRoute, attr, msg.raw.size(), "Route " + routeNext);
        Respond(t, msg, 404);
        return;
      }
      targets.push_back(tg);
    } else if (mine) {
      auto it = location.find(sipns3::AorKey(ruri));
      const Time now = Simulator::Now();
      if (it != location.end()) {
        auto& v = it->second;
        v.erase(std::remove_if(v.begin(), v.end(), [now](const Binding& b) { return b.expires <= now; }),
                v.end());
        for (const Binding& b : v) targets.push_back(Target{b.dest, b.uri});
      }
      if (targets.empty()) {
        Drop(SipDropReason::kNoRoute, attr, msg.raw.size(), "480 no binding");
        Respond(t, msg, 480);
        return;
      }
    } else {
      Target tg;
      if (sipns3::UriDest(ruri, self->m_transport, &tg.dest)) {
        targets.push_back(tg);  // a contact address (in-dialog request)
      } else {
        auto it = domains.find(sipns3::LowerCase(ruri.host));
        if (it == domains.end()) {
          Drop(SipDropReason::kNoRoute, attr, msg.raw.size(), "404 unknown domain");
          Respond(t, msg, 404);
          return;
        }
        tg.dest = Dest{self->m_transport, it->second.address, it->second.port, 0};
        targets.push_back(tg);
      }
    }

    Forward& f = forwards[t->id];
    f.request = bytes.substr(static_cast<std::size_t>(msg.raw.data() - bytes.data()), msg.raw.size());
    f.source = meta.from;
    f.sourcePort = meta.fromPort;
    f.invite = invite;
    if (targets.size() > 1) self->m_forkTrace(attr, static_cast<std::uint32_t>(targets.size()));
    std::uint32_t index = 0;
    int failure = 0;
    const std::uint64_t stxId = t->id;
    for (const Target& tg : targets) {
      const int st = ForwardBranch(stxId, msg, attr, tg.dest, tg.retarget, popRoute, index++);
      if (st == 0) ++f.pending;
      else if (failure == 0) failure = st;
    }
    if (f.pending == 0) {
      forwards.erase(stxId);
      // A branch that could not be sent counts as a 503 on it (8.1.3.1),
      // which goes upstream as 500 (16.7 step 6).
      if (ServerTxn* st = stx->FindById(stxId)) Respond(st, msg, failure && failure != 503 ? failure : 500);
    }
  }

  // RFC 3261 16.10: a CANCEL whose INVITE server transaction is here gets
  // 200 at once, and every branch of the INVITE still pending gets a
  // CANCEL (a branch without a provisional response yet gets it when one
  // arrives, 9.1); the INVITE's final response (487 from the UAs) goes
  // upstream as usual. Returns false for a CANCEL matching nothing, which
  // is routed like any request (16.10 forwards it; the UA answers 481).
  bool Cancel(ServerTxn* t, const sip::Message& msg, std::string_view branch) {
    ServerTxn* inv = stx->Find(stx->KeyOf(branch, "INVITE"));
    if (!inv) return false;
    Respond(t, msg, 200, ids.Tag());
    auto fit = forwards.find(inv->id);
    if (fit != forwards.end()) CancelPending(inv->id, fit->second);
    return true;
  }

  // Every branch of the forward still pending gets a CANCEL: at once if it
  // had a provisional response, else on its first one (9.1).
  void CancelPending(std::uint64_t stxId, Forward& f) {
    if (f.cancelled) return;
    f.cancelled = true;
    for (ClientTxn* b : ctx->WithCookie(stxId))
      if (b->state == ClientTxn::State::kProceeding) CancelBranch(*b);
  }

  void CancelBranch(const ClientTxn& branch) {
    if (ctx->Find(sipns3::ClientTxnTable::CancelKey(branch.branch))) return;  // already sent
    std::unique_ptr<ClientTxn> txn = sipns3::ClientTxnTable::NewCancel(branch);
    if (!txn) {
      Drop(SipDropReason::kParseError, branch.attr, branch.bytes.size(), "CANCEL not built: INVITE not readable");
      return;
    }
    txn->cookie = kOwnRequest;
    ctx->Start(std::move(txn));
  }

  // One branch: edit the request (RFC 3261 16.6) and start a client transaction.
  // Returns 0, or the status to answer with when the branch cannot start.
  int ForwardBranch(std::uint64_t stxId, const sip::Message& msg, SipAttribution attr, Dest dest,
                    const std::string& retarget, bool popRoute, std::uint32_t index) {
    sip::ProxyEdit edit(msg);
    edit.DecrementMaxForwards();
    // RFC 3261 18.2.1 / RFC 3581 4: the source of the request, recorded in
    // its top Via, goes on with it (the responses come back with it).
    std::string source;
    if (ServerTxn* st = stx->FindById(stxId)) sipns3::MarkViaSourceIn(&edit, msg, st->source, st->sourcePort, &source);
    if (edit.error()) {
      // RFC 3261 16.3: 0 is 483 (step 3); a Max-Forwards that is not a
      // number of 0-255 makes the request malformed (step 1): 400.
      if (edit.error().reason == nullptr ||
          std::string_view(edit.error().reason) != sip::kMaxForwardsExhausted) {
        Drop(SipDropReason::kParseError, attr, msg.raw.size(), "400 " + edit.error().ToString());
        return 400;
      }
      Drop(SipDropReason::kMaxForwardsExceeded, attr, msg.raw.size(), "483");
      return 483;
    }
    if (popRoute) edit.PopRoute();
    if (!retarget.empty()) edit.SetRequestUri(retarget);
    if (self->m_recordRoute && msg.method == "INVITE") edit.AddRecordRoute(recordRoute);
    // The Via names the transport this hop uses; the 18.1.1 switch is
    // decided on the size before the Via (a few bytes do not matter).
    dest.transport = sipns3::ApplySizeSwitch(dest.transport, msg.raw.size() + 64, self->m_mtu,
                                             self->m_switchToTcpAboveMtu);
    auto txn = std::make_unique<ClientTxn>();
    txn->branch = ids.Branch();
    std::string via;
    via.reserve(40 + host.size() + txn->branch.size());  // one allocation for the whole value
    via += "SIP/2.0/";
    via += sipns3::ViaTransportName(dest.transport);
    via += ' ';
    via += host;
    via += ':';
    via += std::to_string(ep->port());
    via += ";branch=";
    via += txn->branch;
    edit.PushVia(via);
    if (auto e = edit.Apply(&txn->bytes)) {
      Drop(SipDropReason::kParseError, attr, msg.raw.size(), e.ToString());
      return 500;
    }
    txn->dest = dest;
    txn->invite = msg.method == "INVITE";
    txn->attr = attr;
    txn->type = sipns3::TypeOf(msg);
    txn->cookie = stxId;
    txn->index = index;
    const std::string branch = txn->invite ? txn->branch : std::string();
    if (!ctx->Start(std::move(txn))) return 503;  // the endpoint traced it as not sent
    if (!branch.empty()) ArmTimerC(branch);
    ++self->m_requestsForwarded;
    return 0;
  }

  // Starts, or restarts on a provisional response, an INVITE branch's
  // timer C. Off when the TimerC attribute is 0.
  void ArmTimerC(const std::string& branch) {
    if (self->m_timerC.IsZero()) return;
    TimerC& c = timerC[branch];
    if (c.cancelSent) return;
    c.event.Cancel();
    c.event = Simulator::Schedule(self->m_timerC, &Impl::OnTimerC, this, branch);
  }

  void StopTimerC(const std::string& branch) {
    auto it = timerC.find(branch);
    if (it == timerC.end()) return;
    it->second.event.Cancel();
    timerC.erase(it);
  }

  // RFC 3261 16.8: timer C fired. A branch with a provisional response is
  // CANCELled (its 487 then goes upstream as any final response); one
  // without is treated as if it had received 408.
  void OnTimerC(std::string branch) {
    ClientTxn* t = ctx->Find(branch);
    if (!t || t->state == ClientTxn::State::kCompleted) {
      timerC.erase(branch);
      return;
    }
    ++self->m_timerCExpirations;
    self->m_timerCTrace(t->attr, t->state == ClientTxn::State::kProceeding);
    if (t->state == ClientTxn::State::kCalling) {
      timerC.erase(branch);
      FailBranch(t, 408);
      return;
    }
    CancelBranch(*t);
    // 9.1: a CANCELled INVITE whose final response has not come 64*T1
    // later is given up; for a proxy, that is 408 as well.
    TimerC& c = timerC[branch];
    c.cancelSent = true;
    c.event = Simulator::Schedule(64 * timers.t1, &Impl::OnCancelledBranchSilent, this, branch);
  }

  void OnCancelledBranchSilent(std::string branch) {
    timerC.erase(branch);
    ClientTxn* t = ctx->Find(branch);
    if (t && t->state != ClientTxn::State::kCompleted) FailBranch(t, 408);
  }

  // A branch that ends without a final response: `status` upstream (if
  // nothing better came) and the transaction is gone.
  void FailBranch(ClientTxn* t, int status) {
    OnBranchFailure(*t, status);
    ctx->Remove(t);
  }

  // ACK for a 2xx (its own transaction): forward without state.
  void ForwardStateless(const sip::Message& msg, const RxMeta& meta, SipAttribution attr) {
    sip::Uri ruri;
    Dest d;
    std::string routeNext;
    bool popRoute = false;
    if (const sip::Header* rh = msg.Find(sip::HeaderId::kRoute)) {
      std::vector<sip::NameAddr> routes;
      if (!sip::ParseNameAddrList(rh->value, &routes, msg.input) && !routes.empty()) {
        sip::Uri ru;
        if (!sip::ParseUri(routes[0].uri, &ru) && IsMe(ru)) {
          popRoute = true;
          // As for any request: the next Route value, in this field or the next.
          if (routes.size() > 1) routeNext = std::string(routes[1].uri);
          else if (const sip::Header* r2 = msg.FindNext(rh)) {
            std::vector<sip::NameAddr> more;
            if (!sip::ParseNameAddrList(r2->value, &more, msg.input) && !more.empty())
              routeNext = std::string(more[0].uri);
          }
        } else {
          routeNext = std::string(routes[0].uri);
        }
      }
    }
    const std::string_view target = routeNext.empty() ? msg.request_uri : std::string_view(routeNext);
    if (sip::ParseUri(target, &ruri) || !sipns3::UriDest(ruri, self->m_transport, &d)) {
      Drop(SipDropReason::kNoRoute, attr, msg.raw.size(), "ACK: no numeric next hop");
      return;
    }
    sip::ProxyEdit edit(msg);
    edit.DecrementMaxForwards();
    std::string source;
    sipns3::MarkViaSourceIn(&edit, msg, meta.from, meta.fromPort, &source);
    if (popRoute) edit.PopRoute();
    std::string via = "SIP/2.0/";
    via += sipns3::ViaTransportName(d.transport);
    via += ' ' + host + ':' + std::to_string(ep->port()) + ";branch=" + ids.Branch();
    edit.PushVia(via);
    std::string out;
    if (auto e = edit.Apply(&out)) {
      Drop(SipDropReason::kMaxForwardsExceeded, attr, msg.raw.size(), e.ToString());
      return;
    }
    SendRaw(d, out, attr, SipMsgType::kAck, 0, false);
  }

  void RegisterRefused(ServerTxn* t, const sip::Message& msg, std::string why) {
    Drop(SipDropReason::kParseError, t->attr, msg.raw.size(), "400 REGISTER: " + std::move(why));
    Respond(t, msg, 400);
  }

  // No extension is supported: a request whose `id` field (Require,
  // Proxy-Require) names option tags is answered 420 with Unsupported.
  bool RefuseExtensions(ServerTxn* t, const sip::Message& msg, sip::HeaderId id) {
    const std::string unsupported = sipns3::UnsupportedLine(msg, id);
    if (unsupported.empty()) return false;
    Drop(SipDropReason::kBadExtension, t->attr, msg.raw.size(), "420");
    Respond(t, msg, 420, {}, unsupported);
    return true;
  }

  void Register(ServerTxn* t, const sip::Message& msg, const RxMeta& meta) {
    ++self->m_registrations;
    // RFC 3261 10.3 step 2: Require is processed as a UAS does (8.2.2.3).
    if (RefuseExtensions(t, msg, sip::HeaderId::kRequire)) return;
    const sip::Header* to = msg.Find(sip::HeaderId::kTo);
    sip::NameAddr toNa;
    sip::Uri toUri;
    if (!to || sip::ParseNameAddr(to->value, &toNa, msg.input) || sip::ParseUri(toNa.uri, &toUri)) {
      RegisterRefused(t, msg, "To not parsable");
      return;
    }
    const std::string aor = sipns3::AorKey(toUri);
    // RFC 3261 10.3 step 3: the To address-of-record must be one of this
    // domain's (a user at it); any other is answered 404 and not stored.
    const std::string_view aorDomain =
        aor.empty() ? std::string_view() : std::string_view(aor).substr(aor.find('@') + 1);
    if (aor.empty() || aorDomain.size() != self->m_domain.size() ||
        !std::equal(aorDomain.begin(), aorDomain.end(), self->m_domain.begin(), [](char a, char b) {
          return a == ((b >= 'A' && b <= 'Z') ? static_cast<char>(b | 0x20) : b);
        })) {
      Drop(SipDropReason::kNoRoute, t->attr, msg.raw.size(), "404 AOR not in this domain");
      Respond(t, msg, 404);
      return;
    }
    std::uint32_t expires = 3600;
    if (const sip::Header* e = msg.Find(sip::HeaderId::kExpires)) {
      if (sip::ParseDeltaSeconds(e->value, &expires, msg.input)) {
        RegisterRefused(t, msg, "Expires is not delta-seconds");
        return;
      }
    }
    // RFC 3261 10.3 steps 6-7: every Contact value is a binding (its own
    // ;expires= first, else Expires); "*" alone with Expires 0 removes all
    // of the AOR's; anything else unusable is answered 400 and nothing of
    // the request is applied.
    std::vector<sip::NameAddr> contacts;
    for (const sip::Header* c = msg.Find(sip::HeaderId::kContact); c != nullptr; c = msg.FindNext(c)) {
      if (sip::ParseNameAddrList(c->value, &contacts, msg.input)) {
        RegisterRefused(t, msg, "Contact not parsable");
        return;
      }
    }
    if (std::any_of(contacts.begin(), contacts.end(), [](const sip::NameAddr& na) { return na.star; })) {
      if (contacts.size() != 1 || expires != 0) {
        RegisterRefused(t, msg, "Contact * without Expires: 0, or with other contacts");
        return;
      }
      location.erase(aor);
      Respond(t, msg, 200, ids.Tag());
      return;
    }
    std::vector<Binding> add;
    std::vector<std::uint32_t> lifetimes;
    for (const sip::NameAddr& na : contacts) {
      sip::Uri cu;
      Dest d;
      std::uint32_t life = expires;
      sip::Param ep;
      if (sip::ParseUri(na.uri, &cu) || !sipns3::UriDest(cu, meta.transport, &d) ||
          (na.params.Find("expires", &ep) && sip::ParseDeltaSeconds(ep.value, &life))) {
        RegisterRefused(t, msg, "Contact not usable: " + std::string(na.uri));
        return;
      }
      d.transport = meta.transport;  // reach the UA the way it registered
      d.connId = meta.connId;
      add.push_back(Binding{d, std::string(na.uri), Simulator::Now() + Seconds(life)});
      lifetimes.push_back(life);
    }
    // A bound on one AOR's live bindings: without it any sender could grow
    // the table, and the fan-out of every request forked to the AOR, at will.
    {
      const Time now = Simulator::Now();
      std::size_t live = 0;
      auto it = location.find(aor);
      if (it != location.end())
        for (const Binding& b : it->second)
          live += b.expires > now && std::none_of(add.begin(), add.end(),
                                                   [&](const Binding& a) { return a.uri == b.uri; });
      for (std::size_t i = 0; i < add.size(); ++i) live += lifetimes[i] > 0;
      if (live > self->m_maxBindingsPerAor) {
        Drop(SipDropReason::kUnexpected, t->attr, msg.raw.size(), "403 more than MaxBindingsPerAor bindings");
        Respond(t, msg, 403);
        return;
      }
    }
    std::string contactText;
    for (std::size_t i = 0; i < add.size(); ++i) {
      auto& v = location[aor];
      v.erase(std::remove_if(v.begin(), v.end(), [&](const Binding& b) { return b.uri == add[i].uri; }),
              v.end());
      contactText += "Contact: <" + add[i].uri + ">;expires=" + std::to_string(lifetimes[i]) + "\r\n";
      if (lifetimes[i] > 0) v.push_back(std::move(add[i]));
    }
    Respond(t, msg, 200, ids.Tag(), contactText);
  }

  void OnResponse(const sip::Message& msg, SipAttribution attr) {
    sip::Via top;
    if (auto e = sip::TopVia(msg, &top)) {
      Drop(SipDropReason::kParseError, attr, msg.raw.size(), e.ToString());
      return;
    }
    ClientTxn* txn = ctx->FindForResponse(top.branch, msg);
    if (!txn || txn->state == ClientTxn::State::kCompleted) {
      if (txn) {  // timer K, or D: a retransmitted final response
        // Timer D (RFC 3261 17.1.1.2): the downstream UAS resends its
        // non-2xx until our ACK arrives, so the copy gets the same ACK.
        if (txn->invite && msg.status_code >= 300 && !txn->bytes.empty())
          SendRaw(txn->dest, txn->bytes, txn->attr, SipMsgType::kAck, 0, true);
        Drop(SipDropReason::kRetransmissionAbsorbed, attr, msg.raw.size(), "response");
        return;
      }
      ForwardResponseStateless(msg, attr);
      return;
    }
    const int status = msg.status_code;
    const std::uint64_t stxId = txn->cookie;
    if (stxId == kOwnRequest) {  // the answer to our CANCEL ends there
      if (status < 200) ctx->OnProvisional(txn);
      else ctx->OnFinal(txn);
      return;
    }
    // RFC 3261 16.7 step 3: a response with no Via left once ours is
    // removed was meant for this element and is not forwarded; for a
    // request it forwarded, that is a broken response (8.1.3.3): discarded,
    // the branch waits on as if it had not come.
    if (!HasViaBelowTop(msg)) {
      Drop(SipDropReason::kStrayResponse, attr, msg.raw.size(), "response with no Via below ours: not forwarded");
      return;
    }
    if (status < 200) {
      ctx->OnProvisional(txn);
      auto fit = forwards.find(stxId);
      if (fit != forwards.end() && fit->second.cancelled) CancelBranch(*txn);
      if (status > 100) {
        if (txn->invite) ArmTimerC(txn->branch);  // 16.7 step 2: not on 100
        // A provisional response after the final one (a 2xx from another
        // branch) would follow the final upstream: 16.7 step 5 forwards
        // provisionals only while the server transaction is Proceeding.
        if (fit != forwards.end() && fit->second.answered)
          Drop(SipDropReason::kUnexpected, attr, msg.raw.size(), "provisional response after the final one");
        else
          Upstream(stxId, msg, attr);
      }
      return;
    }
    if (txn->invite) StopTimerC(txn->branch);
    if (txn->invite && status >= 300) ctx->OnInviteFailure(txn, SendAckForFailure(*txn, msg));
    else ctx->OnFinal(txn);
    auto fit = forwards.find(stxId);
    if (fit == forwards.end()) return;
    Forward& f = fit->second;
    if (f.pending > 0) --f.pending;
    if (status < 300) {
      if (!f.answered || f.invite) Upstream(stxId, msg, attr);
      else Drop(SipDropReason::kUnexpected, attr, msg.raw.size(), "later 2xx of a forked non-INVITE");
      f.answered = true;
      // 16.7 step 10: once a 2xx to an INVITE went upstream, the branches
      // still pending are CANCELled rather than left ringing until timer C.
      if (f.invite) CancelPending(stxId, f);
    } else if (!f.answered) {
      if (f.bestStatus == 0 || Rank(status) < Rank(f.bestStatus)) {
        std::string popped;
        if (auto e = sip::ProxyEdit(msg).PopVia().Apply(&popped)) {
          Drop(SipDropReason::kParseError, attr, msg.raw.size(), "final response not kept: " + e.ToString());
        } else {
          f.bestStatus = static_cast<std::uint16_t>(status);
          f.bestResponse = std::move(popped);
        }
      }
      // 16.7 step 5: a 6xx ends the search; the other branches are CANCELled.
      if (status >= 600 && f.invite) CancelPending(stxId, f);
    }
    FinishIfDone(stxId);
  }

  // Whether the response has a via-parm below the top one (in the first
  // Via field or in a later one).
  static bool HasViaBelowTop(const sip::Message& m) {
    const sip::Header* h = m.Find(sip::HeaderId::kVia);
    if (h == nullptr) return false;
    if (m.FindNext(h) != nullptr) return true;
    sip::ValueSplitter values(h->value);
    std::string_view v;
    return values.Next(&v) && values.Next(&v);
  }

  // RFC 3261 16.7 step 6: a 6xx is chosen over any other final response,
  // else the lowest class (and, within it, the lowest code).
  static int Rank(int status) { return status >= 600 ? status - 600 : status; }

  void FinishIfDone(std::uint64_t stxId) {
    auto fit = forwards.find(stxId);
    if (fit == forwards.end() || fit->second.pending > 0) return;
    Forward& f = fit->second;
    ServerTxn* t = f.answered ? nullptr : stx->FindById(stxId);
    if (t && f.bestStatus == 503) {
      // 16.7 step 6: a 503 upstream would say that this proxy cannot
      // serve any request; a branch's 503 (or transport error) becomes 500.
      std::string out;
      if (ResponseFromRequest(f, 500, &out)) {
        f.bestStatus = 500;
        f.bestResponse = std::move(out);
      }
    }
    if (t && !f.bestResponse.empty()) {
      stx->Respond(t, std::move(f.bestResponse), f.bestStatus);
    } else if (t) {
      // Every branch of a non-INVITE request timed out: RFC 4320 4.2 has
      // no 408 sent for it (the sender's own timer F has fired by then),
      // so the transaction ends unanswered.
      stx->Abandon(t);
    }
    forwards.erase(fit);
  }

  // A response built from the forwarded request itself (its Via stack is
  // the upstream one), for a status no downstream element sent.
  bool ResponseFromRequest(const Forward& f, int status, std::string* out) {
    sip::ResponseSpec spec;
    spec.status = status;
    const std::string tag = OwnTag(status);
    spec.to_tag = tag;
    if (auto e = sip::Parse(f.request, sip::Framing::kDatagram, &parsed)) {
      Drop(SipDropReason::kParseError, SipAttribution{}, f.request.size(),
           std::to_string(status) + " not built: request not readable: " + e.ToString());
      return false;
    }
    // Marked here, on this rare path, not on every request forwarded.
    std::string marked;
    sip::Message markedMsg;
    const bool mark = sipns3::MarkViaSource(parsed, f.source, f.sourcePort, &marked, &markedMsg);
    if (auto e = sip::BuildResponse(mark ? markedMsg : parsed, spec, out)) {
      Drop(SipDropReason::kParseError, sipns3::AttributionOf(parsed), f.request.size(),
           std::to_string(status) + " not built: " + e.ToString());
      return false;
    }
    return true;
  }

  // A provisional or 2xx response going upstream through its server transaction.
  void Upstream(std::uint64_t stxId, const sip::Message& msg, SipAttribution attr) {
    std::string out;
    if (auto e = sip::ProxyEdit(msg).PopVia().Apply(&out)) {
      Drop(SipDropReason::kParseError, attr, msg.raw.size(), e.ToString());
      return;
    }
    ++self->m_responsesForwarded;
    if (ServerTxn* t = stx->FindById(stxId)) {
      stx->Respond(t, std::move(out), static_cast<std::uint16_t>(msg.status_code));
      return;
    }
    ForwardResponseStateless(msg, attr);
  }

  // A branch without a response: 408 (timer B/F, or C) or 503 (transport
  // error), built from the original request. A non-INVITE branch that
  // timed out gets none (RFC 4320 4.2: no 408 to a non-INVITE request).
  void OnBranchFailure(ClientTxn& txn, int status) {
    if (txn.invite) StopTimerC(txn.branch);
    const std::uint64_t stxId = txn.cookie;
    auto fit = forwards.find(stxId);
    if (fit == forwards.end()) return;
    Forward& f = fit->second;
    if (f.pending > 0) --f.pending;
    const bool answers = f.invite || status != 408;
    if (answers && !f.answered && (f.bestStatus == 0 || Rank(status) < Rank(f.bestStatus))) {
      std::string out;
      if (ResponseFromRequest(f, status, &out)) {
        f.bestStatus = static_cast<std::uint16_t>(status);
        f.bestResponse = std::move(out);
      }
    }
    FinishIfDone(stxId);
  }

  // RFC 3261 17.1.1.3: the branch's ACK, sent and returned (for timer D).
  std::string SendAckForFailure(const ClientTxn& txn, const sip::Message& resp) {
    sip::Message inv;
    std::string ack;
    if (sip::Parse(txn.bytes, sip::Framing::kDatagram, &inv) || sip::BuildAckForFailure(inv, resp, &ack)) {
      Drop(SipDropReason::kParseError, txn.attr, resp.raw.size(), "ACK not built for a final response");
      return std::string();
    }
    SendRaw(txn.dest, ack, txn.attr, SipMsgType::kAck, 0, false);
    return ack;
  }

  // RFC 3261 16.7 when no transaction matches: pop our Via, send to the next.
  void ForwardResponseStateless(const sip::Message& msg, SipAttribution attr) {
    std::vector<sip::Via> vias;
    if (sip::AllVias(msg, &vias) || vias.size() < 2) {
      Drop(SipDropReason::kStrayResponse, attr, msg.raw.size(), "no Via below ours");
      return;
    }
    Ipv4Address me;
    if (!sipns3::HostToIpv4(vias[0].host, &me) || !IsOwnAddress(me)) {
      Drop(SipDropReason::kStrayResponse, attr, msg.raw.size(), "top Via is not ours");
      return;
    }
    const sip::Via& next = vias[1];
    Dest d;
    Ipv4Address a;
    if (!sipns3::HostToIpv4(next.received.empty() ? next.host : next.received, &a)) {
      Drop(SipDropReason::kStrayResponse, attr, msg.raw.size(), "next Via host is not numeric");
      return;
    }
    d.address = a;
    d.port = static_cast<std::uint16_t>(next.rport > 0 ? next.rport : (next.port > 0 ? next.port : 5060));
    sipns3::TransportFromName(next.transport, &d.transport);
    std::string out;
    if (auto e = sip::ProxyEdit(msg).PopVia().Apply(&out)) {
      Drop(SipDropReason::kParseError, attr, msg.raw.size(), "response not forwarded: " + e.ToString());
      return;
    }
    ++self->m_responsesForwarded;
    SendRaw(d, out, attr, SipMsgType::kResponse, static_cast<std::uint16_t>(msg.status_code), false);
  }
};

TypeId SipProxy::GetTypeId() {
  static TypeId tid =
      TypeId("ns3::SipProxy")
          .SetParent<Application>()
          .SetGroupName("Sipim")
          .AddConstructor<SipProxy>()
          .AddAttribute("Domain", "The domain this proxy serves (registrar and location service).",
                        StringValue("example.com"), MakeStringAccessor(&SipProxy::m_domain),
                        MakeStringChecker())
          .AddAttribute("Port", "SIP port (UDP, TCP and SCTP when available).", UintegerValue(5060),
                        MakeUintegerAccessor(&SipProxy::m_port), MakeUintegerChecker<uint16_t>())
          .AddAttribute("Transport", "Transport of proxy-to-proxy hops.",
                        EnumValue(SipTransportProtocol::kUdp),
                        MakeEnumAccessor(&SipProxy::m_transport),
                        MakeEnumChecker(SipTransportProtocol::kUdp, "Udp", SipTransportProtocol::kTcp,
                                        "Tcp", SipTransportProtocol::kSctp, "Sctp"))
          .AddAttribute("RecordRoute", "Add Record-Route to INVITEs (stay on the dialog path).",
                        BooleanValue(false), MakeBooleanAccessor(&SipProxy::m_recordRoute),
                        MakeBooleanChecker())
          .AddAttribute("T1", "RFC 3261 T1 (RTT estimate).", TimeValue(MilliSeconds(500)),
                        MakeTimeAccessor(&SipProxy::m_t1), MakeTimeChecker())
          .AddAttribute("T2", "RFC 3261 T2 (largest non-INVITE retransmit interval).",
                        TimeValue(Seconds(4)), MakeTimeAccessor(&SipProxy::m_t2), MakeTimeChecker())
          .AddAttribute("T4", "RFC 3261 T4 (how long a message stays in the network).",
                        TimeValue(Seconds(5)), MakeTimeAccessor(&SipProxy::m_t4), MakeTimeChecker())
          .AddAttribute("Mtu", "Path MTU for the RFC 3261 18.1.1 rule.", UintegerValue(1500),
                        MakeUintegerAccessor(&SipProxy::m_mtu), MakeUintegerChecker<uint32_t>(300))
          .AddAttribute("SwitchToTcpAboveMtu", "Forward requests larger than Mtu - 200 over TCP.",
                        BooleanValue(true), MakeBooleanAccessor(&SipProxy::m_switchToTcpAboveMtu),
                        MakeBooleanChecker())
          .AddAttribute("EnforceSizeLimit",
                        "Answer 513 to a MESSAGE larger than MessageSizeLimit received over UDP.",
                        BooleanValue(false), MakeBooleanAccessor(&SipProxy::m_enforceSizeLimit),
                        MakeBooleanChecker())
          .AddAttribute("MessageSizeLimit", "The RFC 3428 limit (bytes of the whole MESSAGE).",
                        UintegerValue(1300), MakeUintegerAccessor(&SipProxy::m_messageSizeLimit),
                        MakeUintegerChecker<uint32_t>())
          .AddAttribute("MaxBindingsPerAor",
                        "Most live bindings one AOR may have; a REGISTER going above is answered 403.",
                        UintegerValue(32), MakeUintegerAccessor(&SipProxy::m_maxBindingsPerAor),
                        MakeUintegerChecker<uint32_t>(1))
          .AddAttribute("ConnectionIdleTimeout", sipns3::kConnectionIdleTimeoutHelp,
                        TimeValue(Seconds(sipns3::kConnectionIdleTimeoutSeconds)),
                        MakeTimeAccessor(&SipProxy::m_connectionIdleTimeout), MakeTimeChecker(Time(0)))
          .AddAttribute("MaxConnectionsPerPeer", sipns3::kMaxConnectionsPerPeerHelp,
                        UintegerValue(sipns3::kMaxConnectionsPerPeer),
                        MakeUintegerAccessor(&SipProxy::m_maxConnectionsPerPeer), MakeUintegerChecker<uint32_t>())
          .AddAttribute("SctpUnordered", sipns3::kSctpUnorderedHelp, BooleanValue(true),
                        MakeBooleanAccessor(&SipProxy::m_sctpUnordered), MakeBooleanChecker())
          .AddAttribute("SctpStreams", sipns3::kSctpStreamsHelp, UintegerValue(1),
                        MakeUintegerAccessor(&SipProxy::m_sctpStreams), MakeUintegerChecker<uint16_t>(1))
          .AddAttribute("SctpInterleaving", sipns3::kSctpInterleavingHelp, BooleanValue(false),
                        MakeBooleanAccessor(&SipProxy::m_sctpInterleaving), MakeBooleanChecker())
          .AddAttribute("TimerC",
                        "RFC 3261 16.6 step 11: how long a forwarded INVITE may go without a final response "
                        "(restarted by each provisional other than 100); then the branch is CANCELled, or "
                        "treated as 408 when nothing came. The RFC asks for more than 3 minutes; 0 turns it off.",
                        TimeValue(Seconds(181)), MakeTimeAccessor(&SipProxy::m_timerC), MakeTimeChecker(Time(0)))
          .AddTraceSource("Tx", "A SIP message was sent.", MakeTraceSourceAccessor(&SipProxy::m_txTrace),
                          "ns3::SipWireTracedCallback")
          .AddTraceSource("Rx", "A SIP message was received and parsed.",
                          MakeTraceSourceAccessor(&SipProxy::m_rxTrace), "ns3::SipWireTracedCallback")
          .AddTraceSource("Drop", "A received message was dropped or refused.",
                          MakeTraceSourceAccessor(&SipProxy::m_dropTrace), "ns3::SipDropTracedCallback")
          .AddTraceSource("Fork", "A request was forked to several contacts.",
                          MakeTraceSourceAccessor(&SipProxy::m_forkTrace),
                          "ns3::SipProxy::ForkTracedCallback")
          .AddTraceSource("TimerC", "Timer C fired on an INVITE branch (cancelled: it had a provisional "
                          "response and gets a CANCEL; otherwise it is treated as 408).",
                          MakeTraceSourceAccessor(&SipProxy::m_timerCTrace),
                          "ns3::SipProxy::TimerCTracedCallback");
  return tid;
}

SipProxy::SipProxy() : m_impl(std::make_unique<Impl>(this)) {}
SipProxy::~SipProxy() = default;

void SipProxy::DoDispose() {
  m_impl->Stop();
  Application::DoDispose();
}

void SipProxy::StartApplication() { m_impl->Start(); }
void SipProxy::StopApplication() { m_impl->Stop(); }

void SipProxy::AddDomainRoute(const std::string& domain, Ipv4Address address, std::uint16_t port) {
  m_impl->domains[sipns3::LowerCase(domain)] = Impl::DomainRoute{address, port};
}

void SipProxy::AddStaticBinding(const std::string& aor, Ipv4Address contact, std::uint16_t port,
                                SipTransportProtocol transport) {
  std::string norm, user, domain;
  if (!sipns3::NormalizeAor(aor, &norm, &user, &domain))
    NS_FATAL_ERROR("SipProxy::AddStaticBinding: not an AOR: " << aor);
  std::string uri = "sip:" + user + "@" + sipns3::Ipv4ToString(contact) + ":" + std::to_string(port);
  if (transport != SipTransportProtocol::kUdp) {
    uri += ";transport=";
    uri += ToString(transport);
  }
  m_impl->location[user + "@" + domain].push_back(
      Impl::Binding{Dest{transport, contact, port, 0}, uri, Time::Max()});
}

std::size_t SipProxy::GetStreamConnections() const { return m_impl->ep ? m_impl->ep->ConnectionCount() : 0; }

std::uint32_t SipProxy::GetBindingCount(const std::string& aor) const {
  std::string norm, user, domain;
  if (!sipns3::NormalizeAor(aor, &norm, &user, &domain)) return 0;
  auto it = m_impl->location.find(user + "@" + domain);
  if (it == m_impl->location.end()) return 0;
  const Time now = Simulator::Now();
  std::uint32_t n = 0;
  for (const auto& b : it->second) n += b.expires > now ? 1 : 0;
  return n;
}

}  // namespace ns3
