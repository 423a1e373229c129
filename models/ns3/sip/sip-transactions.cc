#include "ns3/sip/sip-transactions.h"

#include <algorithm>

#include "ns3/simulator.h"
#include "sip/builder.h"
#include "sip/headers.h"

namespace ns3 {
namespace sipns3 {

void DeadlineQueue::Push(Time due, std::uint64_t id) {
  const bool wasEmpty = Empty();
  m_q.emplace_back(due, id);
  if (wasEmpty) Arm();
}

void DeadlineQueue::Clear() {
  m_event.Cancel();
  m_q.clear();
  m_head = 0;
}

void DeadlineQueue::PopFront() {
  ++m_head;
  if (m_head == m_q.size()) {
    m_q.clear();
    m_head = 0;
  } else if (m_head >= 64 && 2 * m_head >= m_q.size()) {
    m_q.erase(m_q.begin(), m_q.begin() + static_cast<std::ptrdiff_t>(m_head));
    m_head = 0;
  }
}

void DeadlineQueue::Arm() {
  while (!Empty() && !m_live(m_q[m_head].second)) PopFront();
  if (Empty()) {
    m_event.Cancel();
    return;
  }
  const Time due = m_q[m_head].first;
  if (m_event.IsRunning() && m_eventAt == due) return;
  m_event.Cancel();
  m_eventAt = due;
  m_event = Simulator::Schedule(due - Simulator::Now(), &DeadlineQueue::Fire, this);
}

void DeadlineQueue::Expire(Time now) {
  while (!Empty() && m_q[m_head].first <= now) {
    const std::uint64_t id = m_q[m_head].second;
    PopFront();
    if (m_live(id)) m_fire(id);
  }
}

void DeadlineQueue::Fire() {
  Expire(Simulator::Now());
  Arm();
}

ClientTxnTable::ClientTxnTable(const TimerConfig* timers, SendFn send, TimeoutFn timeout)
    : m_timers(timers),
      m_send(std::move(send)),
      m_timeout(std::move(timeout)),
      m_firstRetransmit([this](std::uint64_t id) { Fire(ById(id)); },
                        [this](std::uint64_t id) {
                          const ClientTxn* t = ById(id);
                          return t && Waiting(t) && !t->timer.IsRunning();
                        }),
      m_deadline([this](std::uint64_t id) { Fire(ById(id)); },
                 [this](std::uint64_t id) {
                   const ClientTxn* t = ById(id);
                   return t && Waiting(t);
                 }),
      m_linger([this](std::uint64_t id) { Remove(ById(id)); },
               [this](std::uint64_t id) { return ById(id) != nullptr; }),
      m_lingerD([this](std::uint64_t id) { Remove(ById(id)); },
                [this](std::uint64_t id) { return ById(id) != nullptr; }) {}

ClientTxn* ClientTxnTable::ById(std::uint64_t id) const {
  return m_byId.Get(id);
}

bool ClientTxnTable::Waiting(const ClientTxn* t) {
  // An INVITE in Proceeding waits for the final response without timers.
  return t->state == ClientTxn::State::kCalling ||
         (t->state == ClientTxn::State::kProceeding && !t->invite);
}

ClientTxn* ClientTxnTable::Start(std::unique_ptr<ClientTxn> owned) {
  ClientTxn* txn = owned.get();
  const bool udp = txn->dest.transport == SipTransportProtocol::kUdp;
  const Time now = Simulator::Now();
  txn->interval = m_timers->t1;
  txn->deadline = now + 64 * m_timers->t1;
  if (!m_send(*txn, false)) return nullptr;
  if (!m_txns.Insert(std::move(owned))) return nullptr;  // duplicate branch: cannot happen with counters
  txn->id = m_nextId++;
  m_byId.Add(txn->id, txn);
  if (udp) m_firstRetransmit.Push(now + m_timers->t1, txn->id);
  else m_deadline.Push(txn->deadline, txn->id);
  return txn;
}

ClientTxn* ClientTxnTable::Find(std::string_view branch) {
  m_linger.Expire(Simulator::Now());
  m_lingerD.Expire(Simulator::Now());
  return m_txns.Find(branch);
}

ClientTxn* ClientTxnTable::FindForResponse(std::string_view branch, const sipim::sip::Message& response) {
  ClientTxn* t = Find(branch);
  // Only an INVITE's branch is shared (with its CANCEL), so only then, or
  // when no transaction has the branch (a 2xx that crossed the CANCEL
  // ended the INVITE's, not the CANCEL's), does the CSeq method decide.
  if (t && !t->invite) return t;
  const sipim::sip::Header* h = response.Find(sipim::sip::HeaderId::kCSeq);
  sipim::sip::CSeq cseq;
  if (h && !sipim::sip::ParseCSeq(h->value, &cseq, response.input) && cseq.method == "CANCEL")
    return m_txns.Find(CancelKey(branch));
  return t;
}

std::unique_ptr<ClientTxn> ClientTxnTable::NewCancel(const ClientTxn& invite) {
  sipim::sip::Message inv;
  auto txn = std::make_unique<ClientTxn>();
  if (sipim::sip::Parse(invite.bytes, sipim::sip::Framing::kDatagram, &inv) ||
      sipim::sip::BuildCancel(inv, &txn->bytes))
    return nullptr;
  txn->branch = CancelKey(invite.branch);
  txn->dest = invite.dest;
  txn->attr = invite.attr;
  txn->type = SipMsgType::kOtherRequest;
  return txn;
}

void ClientTxnTable::Arm(ClientTxn* txn, Time delay) {
  txn->timer.Cancel();
  txn->timer = Simulator::Schedule(delay, &ClientTxnTable::Fire, this, txn);
}

void ClientTxnTable::Fire(ClientTxn* txn) {
  const Time now = Simulator::Now();
  if (now >= txn->deadline) {  // timer B / F
    m_timeout(*txn);
    Remove(txn);
    return;
  }
  // Timer A / E: retransmit (UDP only: over TCP only the deadline is armed).
  if (txn->dest.transport == SipTransportProtocol::kUdp) {
    ++txn->attempts;
    m_send(*txn, true);
    if (txn->invite) {
      txn->interval = 2 * txn->interval;
    } else if (txn->state == ClientTxn::State::kProceeding) {
      txn->interval = m_timers->t2;
    } else {
      txn->interval = std::min(2 * txn->interval, m_timers->t2);
    }
  }
  Time next = txn->deadline - now;
  if (txn->dest.transport == SipTransportProtocol::kUdp && txn->interval < next) next = txn->interval;
  Arm(txn, next);
}

void ClientTxnTable::OnProvisional(ClientTxn* txn) {
  if (txn->state != ClientTxn::State::kCalling) return;
  txn->state = ClientTxn::State::kProceeding;
  if (txn->invite) {
    // RFC 3261 17.1.1.2: no more retransmissions; timer B applies only to
    // the Calling state, so the transaction waits for the final response
    // (the deadline queues see it is no longer Waiting).
    txn->timer.Cancel();
  } else if (txn->dest.transport == SipTransportProtocol::kUdp) {
    txn->interval = m_timers->t2;
  }
}

void ClientTxnTable::OnFinal(ClientTxn* txn) {
  txn->timer.Cancel();
  if (!txn->invite && txn->dest.transport == SipTransportProtocol::kUdp) {
    txn->state = ClientTxn::State::kCompleted;  // timer K absorbs retransmitted responses
    txn->bytes.clear();
    txn->bytes.shrink_to_fit();
    m_linger.PushLazy(Simulator::Now() + m_timers->t4, txn->id);
    return;
  }
  Remove(txn);
}

void ClientTxnTable::OnInviteFailure(ClientTxn* txn, std::string ack) {
  txn->timer.Cancel();
  if (txn->dest.transport != SipTransportProtocol::kUdp) {  // timer D is 0: nothing is resent
    Remove(txn);
    return;
  }
  txn->state = ClientTxn::State::kCompleted;
  txn->bytes = std::move(ack);  // the INVITE is not sent again
  m_lingerD.PushLazy(Simulator::Now() + m_timers->D(), txn->id);
}

void ClientTxnTable::Remove(ClientTxn* txn) {
  if (!txn) return;
  txn->timer.Cancel();
  m_byId.Remove(txn->id);
  m_txns.Erase(txn);
}

void ClientTxnTable::Clear() {
  m_txns.ForEach([](ClientTxn* t) { t->timer.Cancel(); });
  m_firstRetransmit.Clear();
  m_deadline.Clear();
  m_linger.Clear();
  m_lingerD.Clear();
  m_byId.Clear();
  m_txns.Clear();
}

std::vector<ClientTxn*> ClientTxnTable::WithCookie(std::uint64_t cookie) const {
  return Select([cookie](const ClientTxn* x) { return x->cookie == cookie; });
}

std::vector<std::uint64_t> ClientTxnTable::Cookies(SipMsgType type) const {
  std::vector<std::uint64_t> out;
  m_txns.ForEach([&](const ClientTxn* t) {
    if (t->type == type && t->state != ClientTxn::State::kCompleted) out.push_back(t->cookie);
  });
  std::sort(out.begin(), out.end());
  return out;
}

ServerTxnTable::ServerTxnTable(const TimerConfig* timers, SendFn send)
    : m_timers(timers),
      m_send(std::move(send)),
      // Timer H of a transaction the ACK confirmed is not live: timer I ends it.
      m_linger([this](std::uint64_t id) { Remove(ById(id)); },
               [this](std::uint64_t id) {
                 const ServerTxn* t = ById(id);
                 return t && !t->acked;
               }),
      m_firstG([this](std::uint64_t id) { FireG(ById(id)); },
               [this](std::uint64_t id) {
                 const ServerTxn* t = ById(id);
                 return t && RetransmitsFinal(t) && !t->timer.IsRunning();
               }),
      m_confirmed([this](std::uint64_t id) { Remove(ById(id)); },
                  [this](std::uint64_t id) { return ById(id) != nullptr; }) {}

bool ServerTxnTable::AwaitingAck(const ServerTxn* t) {
  return t->invite && t->final && t->lastStatus >= 300 && !t->acked;
}

bool ServerTxnTable::RetransmitsFinal(const ServerTxn* t) {
  return AwaitingAck(t) && t->replyTo.transport == SipTransportProtocol::kUdp;
}

ServerTxn* ServerTxnTable::ById(std::uint64_t id) const {
  return m_byId.Get(id);
}

namespace {
std::string_view MethodClass(std::string_view method) {
  return (method == "INVITE" || method == "ACK") ? "|I" : (method == "CANCEL" ? "|C" : "|N");
}
}  // namespace

std::string ServerTxnTable::Key(std::string_view branch, std::string_view method) {
  std::string k(branch);
  k += MethodClass(method);
  return k;
}

std::string_view ServerTxnTable::KeyOf(std::string_view branch, std::string_view method) {
  m_keyScratch.assign(branch.data(), branch.size());
  m_keyScratch += MethodClass(method);
  return m_keyScratch;
}

ServerTxn* ServerTxnTable::Find(std::string_view key) {
  m_linger.Expire(Simulator::Now());
  m_confirmed.Expire(Simulator::Now());
  return m_txns.Find(key);
}

ServerTxn* ServerTxnTable::FindById(std::uint64_t id) {
  m_linger.Expire(Simulator::Now());
  m_confirmed.Expire(Simulator::Now());
  return ById(id);
}

ServerTxn* ServerTxnTable::Create(std::string_view key, bool invite, const Dest& replyTo,
                                  SipAttribution attr) {
  if (ServerTxn* existing = Find(key)) return existing;
  auto t = std::make_unique<ServerTxn>();
  t->key = std::string(key);
  t->invite = invite;
  t->replyTo = replyTo;
  t->attr = attr;
  t->id = m_nextId++;
  ServerTxn* p = t.get();
  m_txns.Insert(std::move(t));
  m_byId.Add(p->id, p);
  return p;
}

void ServerTxnTable::Respond(ServerTxn* txn, std::string bytes, std::uint16_t status) {
  txn->lastResponse = std::move(bytes);
  txn->lastStatus = status;
  m_send(*txn, false);
  if (status < 200) return;
  txn->final = true;
  const bool udp = txn->replyTo.transport == SipTransportProtocol::kUdp;
  const Time now = Simulator::Now();
  if (!udp) {
    // RFC 3261 17.2.1: over a reliable transport timer G is not set, but
    // an INVITE answered non-2xx stays Completed until its ACK (timer H),
    // which is hop by hop and must find it. Timers J and I are 0.
    if (AwaitingAck(txn)) m_linger.PushLazy(now + 64 * m_timers->t1, txn->id);
    else Remove(txn);
    return;
  }
  // Timer J (non-INVITE), H (non-2xx to INVITE: Completed until the ACK)
  // or the RFC 6026 Accepted state (2xx: the UA core retransmits it): stay
  // 64*T1 to answer request retransmissions and absorb the ACK.
  m_linger.PushLazy(now + 64 * m_timers->t1, txn->id);
  if (RetransmitsFinal(txn)) {  // timer G (RFC 3261 17.2.1)
    txn->interval = m_timers->t1;
    txn->deadline = now + 64 * m_timers->t1;
    m_firstG.Push(now + m_timers->t1, txn->id);
  }
}

void ServerTxnTable::FireG(ServerTxn* txn) {
  if (!txn || !RetransmitsFinal(txn)) return;
  m_send(*txn, true);
  txn->interval = std::min(2 * txn->interval, m_timers->t2);
  // Timer H ends the retransmissions (and, lazily, the transaction).
  if (Simulator::Now() + txn->interval < txn->deadline)
    txn->timer = Simulator::Schedule(txn->interval, &ServerTxnTable::FireG, this, txn);
}

void ServerTxnTable::OnAck(ServerTxn* txn) {
  if (!txn || !AwaitingAck(txn)) return;
  txn->acked = true;  // Confirmed: timer H no longer applies
  txn->timer.Cancel();
  if (txn->replyTo.transport != SipTransportProtocol::kUdp) {
    Remove(txn);  // timer I is 0 over a reliable transport
    return;
  }
  m_confirmed.PushLazy(Simulator::Now() + m_timers->t4, txn->id);
}

void ServerTxnTable::Abandon(ServerTxn* txn) {
  if (!txn || txn->final) return;
  txn->final = true;
  if (txn->replyTo.transport != SipTransportProtocol::kUdp) {
    Remove(txn);
    return;
  }
  m_linger.PushLazy(Simulator::Now() + 64 * m_timers->t1, txn->id);
}

void ServerTxnTable::Retransmit(ServerTxn* txn) {
  if (txn->lastResponse.empty()) return;
  if (txn->invite && txn->lastStatus >= 200 && txn->lastStatus < 300) return;  // Accepted
  m_send(*txn, true);
}

void ServerTxnTable::Remove(ServerTxn* txn) {
  if (!txn) return;
  txn->timer.Cancel();
  m_byId.Remove(txn->id);
  m_txns.Erase(txn);
}

void ServerTxnTable::Clear() {
  m_txns.ForEach([](ServerTxn* t) { t->timer.Cancel(); });
  m_linger.Clear();
  m_firstG.Clear();
  m_confirmed.Clear();
  m_txns.Clear();
  m_byId.Clear();
}

}  // namespace sipns3
}  // namespace ns3
