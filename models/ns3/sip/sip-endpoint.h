#pragma once
// The transport layer under a SIP UA or proxy (internal): one UDP socket and
// one listening TCP (and SCTP, when its model is present) socket on the same
// port, a table of stream connections reused by remote address (RFC 3261
// section 18), Content-Length framing with the wire core's StreamFramer on
// TCP and one message per SCTP user message (RFC 4168), and the CPU charge
// for parsing every received message.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "ns3/event-id.h"
#include "ns3/ipv4-address.h"
#include "ns3/nstime.h"
#include "ns3/node.h"
#include "ns3/packet.h"
#include "ns3/ptr.h"
#include "ns3/sip/cpu-calibration.h"
#include "ns3/sip/node-cpu.h"
#include "ns3/sip/sip-im-types.h"
#include "ns3/socket.h"
#include "sip/message.h"
#include "sip/stream_framer.h"

namespace ns3 {
namespace sipns3 {

// The socket factory TypeId for a transport; false when it does not exist
// (SCTP before its model is linked in).
bool TransportTypeId(SipTransportProtocol t, TypeId* out);
// The same, and the node has that socket factory installed.
bool NodeHasTransport(Ptr<Node> node, SipTransportProtocol t, TypeId* out);

// ns-3 3.37 TCP arms its zero-window persist timer on a listening socket
// that a segment other than a SYN reaches before any SYN has set its peer
// window (the RST a peer sends when it gives up a connection whose SYN was
// lost); when the timer fires it builds a probe from data that does not
// exist and crashes (TcpSocketBase::PersistTimeout). A listener never sends
// data: GuardTcpListener sets its timer beyond any run (closing the
// listener cancels it), and RestorePersistTimeout gives a socket it
// accepted, which inherits that, the configured value back. Non-TCP
// sockets are left alone.
void GuardTcpListener(Ptr<Socket> listener);
void RestorePersistTimeout(Ptr<Socket> accepted);

// One stream connection: a socket, an ordered queue of tagged bytes still to
// hand to it, and callbacks. Used for SIP over TCP/SCTP and for session media.
class StreamConn {
 public:
  StreamConn(std::uint64_t id, Ptr<Socket> socket, SipTransportProtocol transport,
             Ipv4Address peer, std::uint16_t peerPort, bool connected);
  ~StreamConn();
  StreamConn(const StreamConn&) = delete;
  StreamConn& operator=(const StreamConn&) = delete;

  // Queues `bytes` (tagged with `attr`) and hands as much as fits to TCP.
  void Send(std::string_view bytes, SipAttribution attr);
  // SIP over SCTP (RFC 4168): each Send is one SCTP user message, never
  // split, with the U bit when `unordered` (5.1's SHOULD), so a lost
  // message holds back no other. A message waits whole until the socket has
  // room for it. It goes on stream 0 (5.1), or with `streams` > 1 on
  // stream (attribution id mod streams), so a transaction (an IM's MESSAGE
  // and its responses, a session's requests) keeps to one stream and an
  // interleaving scheduler (RFC 8260) can alternate between transactions.
  // Byte-stream users (session media) leave it off.
  void SetMessageMode(bool unordered, std::uint16_t streams = 1);
  bool messageMode() const { return m_messageMode; }
  // Bytes queued here that the socket has not taken yet, in how many
  // messages (a message partly taken counts), and what the first of them
  // belonged to.
  std::size_t queuedBytes() const { return m_queuedBytes; }
  std::size_t queuedMessages() const { return m_queue.size() - m_head; }
  SipAttribution firstQueuedAttr() const;
  // When the socket last took bytes from the queue, or the queue was
  // last empty: a queue that makes no progress for long means the peer
  // has stopped reading.
  Time lastSendProgress() const { return m_lastProgress; }
  // Messages and bytes handed to Send so far: if the connection never
  // comes up, none of them reached the peer.
  std::uint64_t sentMessages() const { return m_sentMessages; }
  // Of those, the ones whose last byte the socket has taken (the k-th Send
  // is handed once this reaches k); onHanded runs when it grows.
  std::uint64_t handedMessages() const { return m_handedMessages; }
  std::function<void(StreamConn&)> onHanded;
  std::uint64_t sentBytes() const { return m_sentBytes; }
  // What the first message handed to Send belonged to, and how many of the
  // later ones belonged to something else: a Drop of everything sent on a
  // connection that never came up is attributed to the first message.
  SipAttribution firstAttr() const { return m_firstAttr; }
  std::uint64_t otherAttrMessages() const { return m_otherAttrMessages; }
  // Closes the socket and forgets the callbacks (no more events).
  void Close();

  std::uint64_t id() const { return m_id; }
  bool connected() const { return m_connected; }
  bool closed() const { return m_closed; }
  SipTransportProtocol transport() const { return m_transport; }
  Ipv4Address peer() const { return m_peer; }
  std::uint16_t peerPort() const { return m_peerPort; }
  Ptr<Socket> socket() const { return m_socket; }

  std::function<void(StreamConn&, const std::uint8_t*, std::size_t)> onData;
  // In message mode, an SCTP message that will not reach onData whole: one
  // over kMaxMessageBytes, or one the peer abandoned while it was being
  // delivered in parts. Its bytes and why.
  std::function<void(StreamConn&, std::size_t, const std::string&)> onMessageLost;
  // The largest message read whole (as the stream framer's limit).
  static constexpr std::size_t kMaxMessageBytes = 1u << 20;
  std::function<void(StreamConn&)> onConnected;
  std::function<void(StreamConn&, bool error)> onClosed;

 private:
  void Flush();
  void HandleRecv(Ptr<Socket> s);
  // Message mode: adds a received piece to its message (by the tag's stream,
  // U flag and SSN: pieces of other messages may come between). True when
  // `out` holds a whole message.
  bool Assemble(Ptr<Packet> p, bool endOfRecord, bool aborted, std::tuple<std::uint16_t, bool, std::uint16_t> key,
                std::vector<std::uint8_t>& out);
  void HandleClose(bool error);

  std::uint64_t m_id;
  Ptr<Socket> m_socket;
  SipTransportProtocol m_transport;
  Ipv4Address m_peer;
  std::uint16_t m_peerPort;
  bool m_connected;
  bool m_closed = false;
  bool m_messageMode = false;
  bool m_unordered = false;
  std::uint16_t m_streams = 1;
  std::vector<Ptr<Packet>> m_queue;  // FIFO; m_head is the next to send
  std::size_t m_head = 0;
  std::size_t m_queuedBytes = 0;  // in m_queue from m_head on
  std::uint64_t m_sentMessages = 0;
  std::uint64_t m_sentBytes = 0;
  std::uint64_t m_handedMessages = 0;
  SipAttribution m_firstAttr;
  std::uint64_t m_otherAttrMessages = 0;
  Time m_lastProgress;
  // SCTP messages delivered in parts (RFC 9260 §6.9), not yet whole; a
  // message past kMaxMessageBytes keeps only its count.
  struct Pieces {
    std::vector<std::uint8_t> bytes;
    std::size_t total = 0;
  };
  std::map<std::tuple<std::uint16_t, bool, std::uint16_t>, Pieces> m_pieces;
};

// Where a received message came from.
struct RxMeta {
  SipTransportProtocol transport = SipTransportProtocol::kUdp;
  Ipv4Address from;
  std::uint16_t fromPort = 0;
  std::uint64_t connId = 0;  // 0 for UDP
  Time cpu;                  // parse time charged to the node for it
  // Drop handler only: what the dropped bytes belonged to when the endpoint
  // knows it, i.e. for a message it could not send (Send's attribution; on
  // a connection that never came up, its first message's). kNone for
  // received bytes, which are attributed only once parsed.
  SipAttribution attr;
};

// A destination of a SIP message.
struct Dest {
  SipTransportProtocol transport = SipTransportProtocol::kUdp;
  Ipv4Address address;
  std::uint16_t port = 5060;
  std::uint64_t connId = 0;  // a connection to use if it is still open
};

class SipEndpoint {
 public:
  // A parsed message; `bytes` owns the text the Message's views point into.
  using RxHandler =
      std::function<void(const std::string& bytes, const sipim::sip::Message& msg,
                         const RxMeta& meta)>;
  using DropHandler = std::function<void(SipDropReason reason, std::uint32_t bytes,
                                         const std::string& detail, const RxMeta& meta)>;
  // A request the parser rejected but whose header fields are intact (RFC
  // 3261 18.3: a UDP datagram shorter than its Content-Length): the owner
  // answers it `status` without a transaction. Called after the drop.
  using RejectHandler =
      std::function<void(const sipim::sip::Message& req, const RxMeta& meta, int status)>;
  // A stream connection failed or closed with messages possibly unsent.
  using ConnErrorHandler = std::function<void(const StreamConn& conn)>;

  SipEndpoint(Ptr<Node> node, Ptr<NodeCpu> cpu);
  ~SipEndpoint();

  // Binds UDP and, if `listenStreams`, TCP (and SCTP when available) on
  // `port` (0: a free one). False with *error on failure.
  bool Start(std::uint16_t port, bool listenStreams, std::string* error);
  void Stop();
  std::uint16_t port() const { return m_port; }
  Ipv4Address address() const { return m_address; }

  // Sends one message. Over a stream transport, reuses dest.connId if it is
  // open, else a connection to (address, port) or an alias of it, else
  // connects. Returns false if the transport is unavailable; the endpoint
  // has then traced the message as not sent (Drop kUnexpected), so
  // callers report only what follows from it (a failed IM, a 503).
  bool Send(const Dest& dest, std::string_view bytes, SipAttribution attr);

  // RFC 5923-style alias: a request that came on `connId` from a UA whose
  // Via says host:port lets later requests to host:port reuse it. Without
  // `replace`, a host:port another open connection stands for keeps it.
  void AddAlias(std::uint64_t connId, Ipv4Address address, std::uint16_t port, bool replace);

  // True when a message to `dest` goes, or went, on `c`: dest names it by
  // id, by its peer address and port, or by an alias of it. For a
  // connection error (SetConnErrorHandler) to find the transactions sent on
  // a connection the peer opened, whose own port is ephemeral.
  bool Carries(const StreamConn& c, const Dest& dest) const;

  void SetRxHandler(RxHandler h) { m_onRx = std::move(h); }
  void SetDropHandler(DropHandler h) { m_onDrop = std::move(h); }
  void SetConnErrorHandler(ConnErrorHandler h) { m_onConnError = std::move(h); }
  void SetRejectHandler(RejectHandler h) { m_onReject = std::move(h); }
  // How long a stream may hold an unfinished message (headers not ended,
  // or fewer body bytes than Content-Length) before the connection is
  // closed as a framing error; the owners use 64*T1.
  void SetIncompleteTimeout(Time t) { m_incompleteTimeout = t; }
  // A stream connection that carries nothing either way for this long is
  // closed (a normal close: no transaction is failed by it); 0 = never.
  // The next message to that peer opens a new connection.
  void SetIdleTimeout(Time t) { m_idleTimeout = t; }
  // Whether a quiet connection is still needed: one a client transaction
  // waits on for its final response is not closed as idle (the response
  // comes back on it while it is open, RFC 3261 18.2.2). Closed under a
  // UA whose INVITE had only a 100, its 200 arrived to a closed socket and
  // the session never set up.
  using InUseHandler = std::function<bool(const StreamConn& conn)>;
  void SetInUseHandler(InUseHandler h) { m_inUse = std::move(h); }
  // The most stream connections one remote IPv4 address may have open to
  // this endpoint's listeners at once (connections it opened; those this
  // endpoint opened are not counted); 0 = no limit. A connection accepted
  // above it is closed at once, the refusal traced as a Drop.
  void SetMaxConnectionsPerPeer(std::uint32_t n) { m_maxConnsPerPeer = n; }
  // SIP over SCTP: messages go on stream 0 with the U bit (RFC 4168 5.1)
  // when true, ordered when false; either way one message per SCTP user
  // message, parsed as a datagram is (RFC 3261 18.3, message-oriented).
  // Applies to connections made after the call.
  void SetSctpUnordered(bool unordered) { m_sctpUnordered = unordered; }
  // SIP over SCTP on `streams` streams (1: stream 0 only, RFC 4168 5.1),
  // each transaction on one (StreamConn::SetMessageMode); the sockets ask
  // for at least that many. With `interleaving`, they offer I-DATA (RFC
  // 8260) and schedule round-robin between streams, so a small message is
  // not held behind a large one's fragments at the sender. Both apply to the
  // SCTP listener and to sockets made after the call (accepted ones inherit
  // the listener's).
  void SetSctpStreams(std::uint16_t streams);
  void SetSctpInterleaving(bool interleaving);
  // Stream connections open now.
  std::size_t ConnectionCount() const { return m_conns.size(); }
  // A SIP connection whose peer stops reading must not make its send queue
  // grow for ever: a message that would leave more than this many bytes
  // queued beyond what the socket took is not sent (Send returns false,
  // Drop traced) and the connection is closed as failed right after.
  static constexpr std::size_t kMaxQueuedBytes = std::size_t{4} << 20;

 private:
  void HandleUdpRecv(Ptr<Socket> s);
  bool HandleAccept(Ptr<Socket> s, const Address& from, SipTransportProtocol t);
  StreamConn* NewConn(Ptr<Socket> s, SipTransportProtocol t, Ipv4Address peer,
                      std::uint16_t peerPort, bool connected);
  void OnStreamData(StreamConn& c, const std::uint8_t* data, std::size_t n);
  void OnStreamClosed(StreamConn& c, bool error);
  // Removes connection `id`'s remote keys (the aliases that still name it),
  // so that the next message to that peer opens a new connection.
  void ForgetRemote(std::uint64_t id);
  void TraceDrop(const StreamConn& c, SipDropReason r, std::size_t bytes, std::string detail,
                 SipAttribution attr = SipAttribution{});
  // A message Send could not even start to send: traced as a Drop
  // (kUnexpected, "not sent to ...", attributed to `attr`), so that a
  // response or an ACK, which has no transaction to fail, is not lost
  // silently. Returns false.
  bool NotSent(const Dest& dest, std::size_t bytes, SipAttribution attr, const char* why);
  // Charges the parse to the CPU, then parses `bytes` and hands it on.
  void Receive(std::string bytes, const RxMeta& meta, sipim::sip::Framing framing);
  // The CPU finished the oldest message waiting in m_parsing: process it.
  void ProcessNext();
  // Parses `bytes` and hands the message on (after its CPU job).
  void Process(const std::string& bytes, const RxMeta& meta, sipim::sip::Framing framing);
  // Datagram buffers are reused (no allocation per received message).
  std::string TakeBuffer();
  void GiveBack(std::string&& bytes);
  static constexpr std::size_t kSpareBuffers = 4;
  static constexpr std::size_t kSpareCapacity = 4096;
  // A TCP and an SCTP connection to one address and port are different
  // connections: the transport is part of the key.
  static std::uint64_t Key(SipTransportProtocol t, Ipv4Address a, std::uint16_t port) {
    return (static_cast<std::uint64_t>(t) << 48) | (static_cast<std::uint64_t>(a.Get()) << 16) | port;
  }

  Ptr<Node> m_node;
  Ptr<NodeCpu> m_cpu;
  const CpuCalibration::Curve* m_parseCurve = nullptr;
  Ptr<Socket> m_udp;
  std::vector<Ptr<Socket>> m_listeners;
  std::uint16_t m_port = 0;
  Ipv4Address m_address;
  std::uint64_t m_nextConnId = 1;
  struct ConnState {
    std::unique_ptr<StreamConn> conn;
    // Process() re-parses every message, so a request of another SIP
    // version passes the framer and is answered 505 (RFC 3261 21.5.6).
    sipim::sip::StreamFramer framer{StreamConn::kMaxMessageBytes, /*pass_other_versions=*/true};
    // The unfinished message: framer.consumed() when it began, and when.
    std::size_t partialMark = 0;
    Time partialSince;
    EventId incompleteCheck;  // pending while a message is unfinished
    std::size_t crlfRun = 0;  // CRLF bytes skipped since the last message (RFC 5626 pings)
    Time lastUse;             // last byte sent or received
    bool accepted = false;    // the peer opened it (counted in m_acceptedFrom)
    EventId idleCheck;        // pending while an idle timeout is set
    ~ConnState() {
      incompleteCheck.Cancel();
      idleCheck.Cancel();
    }
  };
  // The idle timer of connection `id` (see SetIdleTimeout): one event per
  // timeout period, moved on by the traffic seen meanwhile.
  void Touch(std::uint64_t id, ConnState& st);
  // One SCTP user message, one SIP message (SetSctpUnordered).
  void OnSctpMessage(StreamConn& c, ConnState& state, const std::uint8_t* data, std::size_t n);
  void CheckIdle(std::uint64_t id);
  Time m_idleTimeout;
  // The incomplete-message timer of connection `id` (see SetIncompleteTimeout).
  void ArmIncompleteCheck(std::uint64_t id, ConnState& st);
  void CheckIncomplete(std::uint64_t id);
  Time m_incompleteTimeout = Seconds(32);
  std::unordered_map<std::uint64_t, ConnState> m_conns;      // by id
  std::unordered_map<std::uint64_t, std::uint64_t> m_byRemote;  // Key -> conn id
  // Accepted connections open now, by remote IPv4 address (see SetMaxConnectionsPerPeer).
  std::unordered_map<std::uint32_t, std::uint32_t> m_acceptedFrom;
  std::uint32_t m_maxConnsPerPeer = 0;
  bool m_sctpUnordered = true;
  std::uint16_t m_sctpStreams = 1;
  bool m_sctpInterleaving = false;
  // Applies the SCTP settings above to a socket this endpoint made, or to
  // its SCTP listener (which may exist before the settings arrive).
  void ConfigureSctp(Ptr<Socket> s) const;
  void ConfigureSctpListeners() const;
  // Messages whose parse job is queued on the CPU, oldest first. The CPU
  // completes this endpoint's jobs in the order they were submitted, so
  // each completion takes the front (the job itself captures only `this`).
  struct Parsing {
    std::string bytes;
    RxMeta meta;
    sipim::sip::Framing framing;
  };
  std::deque<Parsing> m_parsing;
  std::vector<std::string> m_spare;  // see TakeBuffer
  sipim::sip::Message m_scratch;  // the message handed to the RxHandler
  sipim::sip::Message m_framed;   // the framer's output (copied at once)
  sipim::sip::Message m_timed;    // a live CPU's timed parse (see Receive)
  RxHandler m_onRx;
  DropHandler m_onDrop;
  ConnErrorHandler m_onConnError;
  InUseHandler m_inUse;
  RejectHandler m_onReject;
  std::vector<std::uint64_t> m_deadConns;
};

}  // namespace sipns3
}  // namespace ns3
