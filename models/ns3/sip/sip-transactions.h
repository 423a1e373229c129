#pragma once
// RFC 3261 section 17 transactions shared by the UA and the proxy
// (internal). Client transactions retransmit over UDP (timer A for INVITE:
// T1 doubling; timer E for the others: T1 doubling up to T2, T2 once a
// provisional arrived) and time out at 64*T1 (timers B, F); a completed
// non-INVITE client transaction lingers T4 over UDP (timer K) to absorb
// response retransmissions, and an INVITE one that got a non-2xx final
// response lingers timer D over UDP, keeping its ACK for each copy of it. Server transactions answer request
// retransmissions with the last response and linger 64*T1 over UDP after a
// final response (timer J); an INVITE server transaction that sent a
// non-2xx final response over UDP retransmits it (timer G: T1 doubling up
// to T2) until the ACK (then timer I, T4) or timer H (64*T1); over a
// stream it sends it once and waits for the ACK, or timer H, all the same.
// One timer event per transaction at a time.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ns3/event-id.h"
#include "ns3/nstime.h"
#include "ns3/sip/sip-endpoint.h"
#include "ns3/sip/sip-im-types.h"

namespace ns3 {
namespace sipns3 {

// Deadlines that all lie the same delay after their push (T1, 64*T1, T4):
// pushed in time order, they form a FIFO, and one scheduled event serves
// the head. Entries whose transaction no longer needs the timer (`live`
// false: the response came) are skipped without an event, so a table
// schedules a few events per T1 instead of one per transaction per timer.
class DeadlineQueue {
 public:
  using Fn = std::function<void(std::uint64_t id)>;
  using LiveFn = std::function<bool(std::uint64_t id)>;
  DeadlineQueue(Fn fire, LiveFn live) : m_fire(std::move(fire)), m_live(std::move(live)) {}
  ~DeadlineQueue() { Clear(); }
  // `due` must not be earlier than the previous push's.
  void Push(Time due, std::uint64_t id);
  // Lazy use, for timers whose only effect is to forget a transaction
  // (K, J): no event is scheduled; the owner calls Expire(now) before every
  // lookup, which fires every entry due by then, so a lookup sees exactly
  // what it would have seen with the event.
  void PushLazy(Time due, std::uint64_t id) { m_q.emplace_back(due, id); }
  void Expire(Time now);
  void Clear();

 private:
  void Arm();
  void Fire();
  bool Empty() const { return m_head == m_q.size(); }
  void PopFront();

  Fn m_fire;
  LiveFn m_live;
  // A FIFO as a vector and a head index: unlike std::deque it allocates
  // nothing until used, which matters with one table per UA.
  std::vector<std::pair<Time, std::uint64_t>> m_q;
  std::size_t m_head = 0;
  EventId m_event;
  Time m_eventAt;
};

// Objects by id, for ids handed out in order (1, 2, 3 ...): a window of
// slots from the oldest live id, so lookups and removals need no hashing
// and no allocation per object; dead slots leave from the front.
template <typename T>
class IdIndex {
 public:
  // `id` is larger than every id added before.
  void Add(std::uint64_t id, T* p) {
    if (m_slots.empty()) m_first = id;
    m_slots.resize(id - m_first, nullptr);  // skipped ids (none when consecutive)
    m_slots.push_back(p);
  }
  T* Get(std::uint64_t id) const {
    return id >= m_first && id - m_first < m_slots.size() ? m_slots[id - m_first] : nullptr;
  }
  void Remove(std::uint64_t id) {
    if (id < m_first || id - m_first >= m_slots.size()) return;
    m_slots[id - m_first] = nullptr;
    while (!m_slots.empty() && m_slots.front() == nullptr) {
      m_slots.pop_front();
      ++m_first;
    }
  }
  void Clear() { m_slots.clear(); }

 private:
  std::deque<T*> m_slots;
  std::uint64_t m_first = 0;  // the id of m_slots.front()
};

// Owned objects by a string key that is one of their own members: open
// addressing with linear probing over (hash, object) slots. With tens of
// thousands of transactions lingering (timer J is 64*T1), a node-based
// hash map costs a cache miss per chain node and per key compared; here a
// lookup reads the slot array and only the object whose hash matches, and
// removal finds the object's slot by pointer without comparing any key.
template <typename T, std::string T::*kKey>
class KeyedTable {
 public:
  T* Find(std::string_view key) const {
    if (m_slots.empty()) return nullptr;
    const std::size_t h = Hash(key);
    for (std::size_t i = h & Mask();; i = (i + 1) & Mask()) {
      const Slot& s = m_slots[i];
      if (!s.obj) return nullptr;
      if (s.hash == h && (*s.obj).*kKey == key) return s.obj.get();
    }
  }
  // Takes `p` unless an object with its key is already there (then false).
  bool Insert(std::unique_ptr<T> p) {
    if (2 * (m_size + 1) > m_slots.size()) Grow();
    // One hash and one probe run: the key's run ends at a free slot, where
    // it goes unless an equal key turned up on the way.
    const std::string_view key = p.get()->*kKey;
    const std::size_t h = Hash(key);
    std::size_t i = h & Mask();
    for (; m_slots[i].obj; i = (i + 1) & Mask()) {
      if (m_slots[i].hash == h && (*m_slots[i].obj).*kKey == key) return false;
    }
    m_slots[i] = Slot{h, std::move(p)};
    ++m_size;
    return true;
  }
  // Destroys `p`, which must be in the table (else nothing happens).
  void Erase(const T* p) {
    if (m_slots.empty()) return;
    std::size_t i = Hash(p->*kKey) & Mask();
    while (m_slots[i].obj.get() != p) {
      if (!m_slots[i].obj) return;
      i = (i + 1) & Mask();
    }
    m_slots[i] = Slot{};
    --m_size;
    // Backward shift: pull later members of the probe run into the hole
    // unless their home slot lies cyclically within (hole, j].
    for (std::size_t j = (i + 1) & Mask(); m_slots[j].obj; j = (j + 1) & Mask()) {
      const std::size_t home = m_slots[j].hash & Mask();
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      m_slots[i] = std::move(m_slots[j]);
      i = j;
    }
  }
  void Clear() {
    m_slots.clear();
    m_size = 0;
  }
  std::size_t size() const { return m_size; }
  template <typename F>
  void ForEach(F f) const {
    for (const Slot& s : m_slots)
      if (s.obj) f(s.obj.get());
  }

 private:
  struct Slot {
    std::size_t hash = 0;
    std::unique_ptr<T> obj;
  };
  static std::size_t Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }
  std::size_t Mask() const { return m_slots.size() - 1; }
  void Place(std::size_t h, std::unique_ptr<T> p) {
    std::size_t i = h & Mask();
    while (m_slots[i].obj) i = (i + 1) & Mask();
    m_slots[i] = Slot{h, std::move(p)};
  }
  void Grow() {
    std::vector<Slot> old(m_slots.empty() ? 16 : 2 * m_slots.size());
    old.swap(m_slots);
    for (Slot& s : old)
      if (s.obj) Place(s.hash, std::move(s.obj));
  }

  std::vector<Slot> m_slots;  // a power of two, at most half full
  std::size_t m_size = 0;
};

struct TimerConfig {
  Time t1 = MilliSeconds(500);
  Time t2 = Seconds(4);
  Time t4 = Seconds(5);
  // Timer D (RFC 3261 17.1.1.2, UDP): at least 32 s, and no shorter than
  // the server's timer H (64*T1) when T1 is raised, so that every copy its
  // timer G sends finds the transaction and is ACKed again.
  Time D() const { return std::max(Time(Seconds(32)), 64 * t1); }
};

struct ClientTxn {
  enum class State : std::uint8_t { kCalling, kProceeding, kCompleted };
  std::string branch;
  // The request as sent, for retransmission; once an INVITE is Completed
  // (non-2xx), the ACK it sent, for every retransmitted final response.
  std::string bytes;
  Dest dest;
  bool invite = false;
  SipAttribution attr;
  SipMsgType type = SipMsgType::kOtherRequest;
  State state = State::kCalling;
  Time interval;
  Time deadline;
  std::uint32_t attempts = 1;
  EventId timer;             // timer A/E after the first retransmission
  std::uint64_t id = 0;      // counter, for the deadline queues
  std::uint64_t cookie = 0;  // the owner's: ImId, server txn id, ...
  std::uint32_t index = 0;   // the owner's: fork branch index
};

class ClientTxnTable {
 public:
  // Sends txn.bytes to txn.dest; `retransmission` marks timer A/E resends.
  using SendFn = std::function<bool(ClientTxn& txn, bool retransmission)>;
  // Timer B/F fired: the transaction is removed right after this returns.
  using TimeoutFn = std::function<void(ClientTxn& txn)>;

  ClientTxnTable(const TimerConfig* timers, SendFn send, TimeoutFn timeout);
  ~ClientTxnTable() { Clear(); }

  // Creates the transaction, sends the request and arms its timers. Returns
  // nullptr (and creates nothing) if the first send failed.
  ClientTxn* Start(std::unique_ptr<ClientTxn> txn);
  // Forgets the transactions whose timer K ran out first (see DeadlineQueue).
  ClientTxn* Find(std::string_view branch);
  // The transaction a response is for (RFC 3261 17.1.3: top Via branch and
  // CSeq method): a CANCEL shares its INVITE's branch, so a CANCEL client
  // transaction is keyed CancelKey(branch) and a response whose CSeq
  // method is CANCEL is looked up there.
  ClientTxn* FindForResponse(std::string_view branch, const sipim::sip::Message& response);
  static std::string CancelKey(std::string_view branch) { return std::string(branch) + "|C"; }
  // RFC 3261 9.1: the CANCEL of `invite`, an INVITE still waiting for its
  // final response (the wire core copies its Request-URI, Call-ID, To,
  // From, CSeq number, Route and top Via, the branch with it), to go where
  // the INVITE went, keyed CancelKey(branch); the owner sets type and
  // cookie and Starts it. nullptr if the INVITE cannot be read back.
  static std::unique_ptr<ClientTxn> NewCancel(const ClientTxn& invite);
  // The transactions not yet completed whose cookie is `cookie`, in id order.
  std::vector<ClientTxn*> WithCookie(std::uint64_t cookie) const;
  // A provisional response: stop timer A; timer E continues at T2.
  void OnProvisional(ClientTxn* txn);
  // A final response: completed (timer K over UDP for non-INVITE) or gone.
  // For an INVITE, a 2xx (the UA core ACKs it, RFC 3261 13.2.2.4).
  void OnFinal(ClientTxn* txn);
  // A 300-699 final response to an INVITE, which the owner has just ACKed
  // with `ack` (RFC 3261 17.1.1.3): over UDP the transaction is Completed
  // for timer D and keeps `ack`, which the owner resends for each
  // retransmission of the response it absorbs; over a stream it is gone.
  void OnInviteFailure(ClientTxn* txn, std::string ack);
  void Remove(ClientTxn* txn);
  void Clear();
  std::size_t size() const { return m_txns.size(); }
  // The transactions still waiting for a response whose destination
  // `carries` accepts (SipEndpoint::Carries of a failed connection), in id order.
  std::vector<ClientTxn*> WaitingOn(const std::function<bool(const Dest&)>& carries) const {
    return Select([&carries](const ClientTxn* x) { return carries(x->dest); });
  }
  // The cookies of the transactions of one type not yet answered, sorted.
  std::vector<std::uint64_t> Cookies(SipMsgType type) const;

 private:
  // The transactions not yet completed for which `pred` holds, in id order.
  template <typename Pred>
  std::vector<ClientTxn*> Select(Pred pred) const {
    std::vector<ClientTxn*> out;
    m_txns.ForEach([&](ClientTxn* x) {
      if (x->state != ClientTxn::State::kCompleted && pred(x)) out.push_back(x);
    });
    std::sort(out.begin(), out.end(), [](const ClientTxn* l, const ClientTxn* r) { return l->id < r->id; });
    return out;
  }
  void Arm(ClientTxn* txn, Time delay);
  void Fire(ClientTxn* txn);
  ClientTxn* ById(std::uint64_t id) const;
  // Still waiting for a final response, with timers running.
  static bool Waiting(const ClientTxn* t);

  const TimerConfig* m_timers;
  SendFn m_send;
  TimeoutFn m_timeout;
  std::uint64_t m_nextId = 1;
  // Keyed by the transaction's own `branch`, which never changes.
  KeyedTable<ClientTxn, &ClientTxn::branch> m_txns;
  IdIndex<ClientTxn> m_byId;
  DeadlineQueue m_firstRetransmit;  // UDP: the first timer A/E, at T1
  DeadlineQueue m_deadline;         // streams: timer B/F, at 64*T1
  DeadlineQueue m_linger;           // UDP non-INVITE: timer K, at T4 (lazy)
  DeadlineQueue m_lingerD;          // UDP INVITE, non-2xx: timer D (lazy)
};

struct ServerTxn {
  std::string key;  // branch + method class
  bool invite = false;
  Dest replyTo;     // where responses go (the request's source/connection)
  // The request's source address and port (RFC 3261 18.2.1 received,
  // RFC 3581 rport), for owners that record them; set after Create.
  Ipv4Address source;
  std::uint16_t sourcePort = 0;
  SipAttribution attr;
  std::string lastResponse;  // "" until the first response
  std::uint16_t lastStatus = 0;
  bool final = false;
  bool acked = false;    // INVITE, non-2xx: the ACK came (Confirmed)
  std::uint64_t id = 0;  // counter, for owners that refer to it
  Time interval;         // timer G's next delay
  Time deadline;         // timer H: retransmissions stop before it
  EventId timer;         // timer G after the first retransmission
};

class ServerTxnTable {
 public:
  using SendFn = std::function<void(ServerTxn& txn, bool retransmission)>;
  ServerTxnTable(const TimerConfig* timers, SendFn send);
  ~ServerTxnTable() { Clear(); }

  // The key of a request: its top Via branch and method class (ACK matches
  // the INVITE transaction, RFC 3261 section 17.2.3).
  static std::string Key(std::string_view branch, std::string_view method);
  // The same key built in a buffer the table reuses (no allocation per
  // message); the view is valid until the next KeyOf call.
  std::string_view KeyOf(std::string_view branch, std::string_view method);
  // Both forget the transactions whose timer J ran out first.
  ServerTxn* Find(std::string_view key);
  ServerTxn* FindById(std::uint64_t id);
  ServerTxn* Create(std::string_view key, bool invite, const Dest& replyTo, SipAttribution attr);
  // Records and sends a response. A final response arms timer J (UDP) or
  // ends the transaction (stream transports, and 2xx to INVITE); a non-2xx
  // to INVITE waits for its ACK (timer H), over any transport.
  void Respond(ServerTxn* txn, std::string bytes, std::uint16_t status);
  // Ends a non-INVITE transaction that will get no final response (RFC
  // 4320 4.2: no 408 to a non-INVITE request): over UDP it still absorbs
  // request retransmissions, unanswered, for timer J.
  void Abandon(ServerTxn* txn);
  // A retransmitted request: resend the last response, if any.
  void Retransmit(ServerTxn* txn);
  // The ACK of a non-2xx final response to INVITE (RFC 3261 17.2.1): timer
  // G stops and the transaction absorbs ACKs for timer I (T4 over UDP, 0
  // over a stream) more.
  void OnAck(ServerTxn* txn);
  void Remove(ServerTxn* txn);
  void Clear();
  std::size_t size() const { return m_txns.size(); }

 private:
  const TimerConfig* m_timers;
  SendFn m_send;
  ServerTxn* ById(std::uint64_t id) const;  // no expiry (the queue's own callbacks)
  // Completed with a non-2xx to INVITE, no ACK yet (timer H runs).
  static bool AwaitingAck(const ServerTxn* t);
  // The same over UDP, where timer G retransmits the response.
  static bool RetransmitsFinal(const ServerTxn* t);
  void FireG(ServerTxn* txn);

  std::uint64_t m_nextId = 1;
  std::string m_keyScratch;
  KeyedTable<ServerTxn, &ServerTxn::key> m_txns;
  IdIndex<ServerTxn> m_byId;
  DeadlineQueue m_linger;     // timer J (UDP), H (and RFC 6026 Accepted, UDP), at 64*T1 (lazy)
  DeadlineQueue m_firstG;     // UDP: the first timer G, at T1
  DeadlineQueue m_confirmed;  // UDP: timer I, at T4 after the ACK (lazy)
};

}  // namespace sipns3
}  // namespace ns3
