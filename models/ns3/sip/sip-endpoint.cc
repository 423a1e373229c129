#include "ns3/sip/sip-endpoint.h"

#include "ns3/boolean.h"
#include "ns3/enum.h"
#include "ns3/inet-socket-address.h"
#include "ns3/ipv4.h"
#include "ns3/log.h"
#include "ns3/sip/sip-internal.h"
#include "ns3/simulator.h"
#include "ns3/socket-factory.h"
#include "ns3/tcp-socket-factory.h"
#include "ns3/tcp-socket.h"
#include "ns3/udp-socket-factory.h"
#include "ns3/uinteger.h"
#include "sctp/sctp-socket.h"
#include "sctp/sctp-tags.h"

#include <sstream>

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("SipEndpoint");

namespace sipns3 {

bool NodeHasTransport(Ptr<Node> node, SipTransportProtocol t, TypeId* out) {
  // Socket::CreateSocket only asserts the factory exists (and optimised
  // builds do not assert): check first.
  return TransportTypeId(t, out) && node->GetObject<SocketFactory>(*out) != nullptr;
}

bool TransportTypeId(SipTransportProtocol t, TypeId* out) {
  switch (t) {
    case SipTransportProtocol::kUdp:
      *out = UdpSocketFactory::GetTypeId();
      return true;
    case SipTransportProtocol::kTcp:
      *out = TcpSocketFactory::GetTypeId();
      return true;
    case SipTransportProtocol::kSctp:
      // The SCTP model (models/ns3/sctp) registers this factory when it is
      // linked in; until then SCTP is unavailable.
      return TypeId::LookupByNameFailSafe("ns3::SctpSocketFactory", out);
  }
  return false;
}

// Far beyond any run's stop time, and still far from overflowing ns-3's
// 64-bit nanosecond clock when added to one.
static const Time kNeverForAListener = Seconds(1e9);

void GuardTcpListener(Ptr<Socket> listener) {
  if (DynamicCast<TcpSocket>(listener)) listener->SetAttribute("PersistTimeout", TimeValue(kNeverForAListener));
}

void RestorePersistTimeout(Ptr<Socket> accepted) {
  if (!DynamicCast<TcpSocket>(accepted)) return;
  TypeId::AttributeInformation info;
  // The attribute's initial value is the configured default (Config::SetDefault, NS_ATTRIBUTE_DEFAULT).
  if (TcpSocket::GetTypeId().LookupAttributeByName("PersistTimeout", &info)) {
    accepted->SetAttribute("PersistTimeout", *info.initialValue);
  }
}

// ---- StreamConn ----

StreamConn::StreamConn(std::uint64_t id, Ptr<Socket> socket, SipTransportProtocol transport,
                       Ipv4Address peer, std::uint16_t peerPort, bool connected)
    : m_id(id),
      m_socket(socket),
      m_transport(transport),
      m_peer(peer),
      m_peerPort(peerPort),
      m_connected(connected) {
  m_socket->SetRecvCallback(MakeCallback(&StreamConn::HandleRecv, this));
  m_socket->SetSendCallback(
      Callback<void, Ptr<Socket>, uint32_t>([this](Ptr<Socket>, uint32_t) { Flush(); }));
  m_socket->SetCloseCallbacks(Callback<void, Ptr<Socket>>([this](Ptr<Socket>) { HandleClose(false); }),
                              Callback<void, Ptr<Socket>>([this](Ptr<Socket>) { HandleClose(true); }));
  if (!connected) {
    m_socket->SetConnectCallback(Callback<void, Ptr<Socket>>([this](Ptr<Socket>) {
                                   m_connected = true;
                                   Flush();
                                   if (onConnected) onConnected(*this);
                                 }),
                                 Callback<void, Ptr<Socket>>([this](Ptr<Socket>) { HandleClose(true); }));
  }
}

StreamConn::~StreamConn() { Close(); }

void StreamConn::Send(std::string_view bytes, SipAttribution attr) {
  if (m_closed || bytes.empty()) return;
  if (m_sentMessages == 0) m_firstAttr = attr;
  else if (attr.kind != m_firstAttr.kind || attr.id != m_firstAttr.id) ++m_otherAttrMessages;
  ++m_sentMessages;
  m_sentBytes += bytes.size();
  m_queuedBytes += bytes.size();
  Ptr<Packet> p = Create<Packet>(reinterpret_cast<const uint8_t*>(bytes.data()),
                                 static_cast<uint32_t>(bytes.size()));
  p->AddByteTag(SipAttributionTag(attr));
  if (m_messageMode) {
    // The transaction's stream, chosen here where its attribution is known;
    // Flush keeps it within the streams the association has.
    SctpStreamTag tag(static_cast<std::uint16_t>(attr.id % m_streams), m_unordered);
    p->AddPacketTag(tag);
  }
  if (m_head == m_queue.size()) m_lastProgress = Simulator::Now();  // the wait starts now
  m_queue.push_back(p);
  Flush();
}

SipAttribution StreamConn::firstQueuedAttr() const {
  SipAttributionTag tag;
  if (m_head < m_queue.size() && m_queue[m_head]->FindFirstMatchingByteTag(tag)) return tag.Get();
  return SipAttribution{};
}

void StreamConn::SetMessageMode(bool unordered, std::uint16_t streams) {
  m_messageMode = true;
  m_unordered = unordered;
  m_streams = streams == 0 ? 1 : streams;
}

// The outbound streams `socket` has: its association's negotiated count,
// or before set-up the count it asks for (at least 1).
static std::uint16_t SctpStreamsOf(Ptr<Socket> socket) {
  std::uint16_t have = 0;
  if (auto s = DynamicCast<SctpSocket>(socket)) have = s->GetOutboundStreams();
  if (have == 0) {
    UintegerValue asked;
    if (socket->GetAttributeFailSafe("OutboundStreams", asked)) have = static_cast<std::uint16_t>(asked.Get());
  }
  return std::max<std::uint16_t>(1, have);
}

void StreamConn::Flush() {
  // ns-3 TCP buffers data given while the SYN is outstanding, so sending
  // before the connection is up is fine (SCTP too, in COOKIE-WAIT); what
  // does not fit waits for the send callback.
  const std::uint64_t handedBefore = m_handedMessages;
  while (!m_closed && m_head < m_queue.size()) {
    const uint32_t avail = m_socket->GetTxAvailable();
    if (avail == 0) return;
    Ptr<Packet> p = m_queue[m_head];
    if (m_messageMode) {
      // The SCTP socket takes a message whole or not at all.
      if (p->GetSize() > avail) return;
      SctpStreamTag tag;
      if (m_streams > 1 && p->PeekPacketTag(tag) && tag.GetStreamId() >= SctpStreamsOf(m_socket)) {
        // A peer that takes fewer streams than asked for: stay within them.
        tag.SetStreamId(static_cast<std::uint16_t>(tag.GetStreamId() % SctpStreamsOf(m_socket)));
        p->ReplacePacketTag(tag);
      }
    }
    if (p->GetSize() <= avail) {
      if (m_socket->Send(p) < 0) return;
      m_queuedBytes -= p->GetSize();
      m_queue[m_head] = nullptr;
      ++m_head;
      ++m_handedMessages;
    } else {
      if (m_socket->Send(p->CreateFragment(0, avail)) < 0) return;
      m_queuedBytes -= avail;
      m_queue[m_head] = p->CreateFragment(avail, p->GetSize() - avail);
    }
    m_lastProgress = Simulator::Now();
  }
  if (m_head == m_queue.size()) {
    m_queue.clear();
    m_head = 0;
  }
  if (m_handedMessages != handedBefore && !m_closed && onHanded) onHanded(*this);
}

void StreamConn::HandleRecv(Ptr<Socket> s) {
  static thread_local std::vector<uint8_t> buf;
  while (Ptr<Packet> p = s->Recv()) {
    SctpStreamTag tag;
    if (m_messageMode && p->PeekPacketTag(tag)) {
      if (!Assemble(p, tag.IsEndOfRecord(), tag.IsPartialDeliveryAborted(),
                    {tag.GetStreamId(), tag.IsUnordered(), tag.GetSsn()}, buf)) {
        if (m_closed) return;
        continue;
      }
    } else {
      if (p->GetSize() == 0) break;
      buf.resize(p->GetSize());
      p->CopyData(buf.data(), p->GetSize());
    }
    if (onData) onData(*this, buf.data(), buf.size());
    if (m_closed) return;
  }
}

bool StreamConn::Assemble(Ptr<Packet> p, bool endOfRecord, bool aborted,
                          std::tuple<std::uint16_t, bool, std::uint16_t> key, std::vector<std::uint8_t>& out) {
  auto it = m_pieces.find(key);
  if (aborted) {
    const std::size_t lost = it == m_pieces.end() ? 0 : it->second.total;
    if (it != m_pieces.end()) m_pieces.erase(it);
    if (onMessageLost)
      onMessageLost(*this, lost, "SCTP message abandoned by the peer while delivered in parts");
    return false;
  }
  const std::size_t n = p->GetSize();
  if (it == m_pieces.end() && endOfRecord) {
    out.resize(n);
    p->CopyData(out.data(), n);
    return true;
  }
  Pieces& m = m_pieces[key];
  m.total += n;
  if (m.total <= kMaxMessageBytes) {
    const std::size_t at = m.bytes.size();
    m.bytes.resize(at + n);
    p->CopyData(m.bytes.data() + at, n);
  } else {
    std::vector<std::uint8_t>().swap(m.bytes);  // past the limit: only counted
  }
  if (!endOfRecord) return false;
  const std::size_t total = m.total;
  const bool whole = total <= kMaxMessageBytes;
  if (whole) out.swap(m.bytes);
  m_pieces.erase(key);
  if (!whole && onMessageLost)
    onMessageLost(*this, total,
                  "SCTP message of " + std::to_string(total) + " bytes, over the " +
                      std::to_string(kMaxMessageBytes) + "-byte limit");
  return whole;
}

// Bytes arriving on a TCP connection this end has closed are refused with
// a reset, as a real stack refuses them (Linux: "data after close",
// TCPAbortOnData), so the sender learns they were not read. ns-3 3.37 TCP
// instead keeps them unread: the window it advertises closes, and the
// sender's persist timer, finding nothing left to send, dereferences a null
// segment (TcpSocketBase::PersistTimeout) and crashes the run. Close() on a
// socket holding unread bytes sends the reset; it runs after this event,
// outside TCP's own receive path.
static void ResetOnDataAfterClose(Ptr<Socket> s) {
  // ns-3 also calls here for the peer's FIN (end of stream), with nothing
  // to read: that close goes on normally.
  if (s->GetRxAvailable() == 0) return;
  Simulator::ScheduleNow([s]() { s->Close(); });
}

void StreamConn::HandleClose(bool error) {
  if (m_closed) return;
  m_closed = true;
  // ns-3 may report a refused connection (RST to our SYN) as a normal
  // close: a connection that never came up failed.
  error = error || !m_connected;
  m_socket->Close();
  if (m_transport == SipTransportProtocol::kTcp) {
    m_socket->SetRecvCallback(MakeCallback(&ResetOnDataAfterClose));
  } else {
    m_socket->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
  }
  m_socket->SetSendCallback(MakeNullCallback<void, Ptr<Socket>, uint32_t>());
  m_socket->SetCloseCallbacks(MakeNullCallback<void, Ptr<Socket>>(),
                              MakeNullCallback<void, Ptr<Socket>>());
  m_socket->SetConnectCallback(MakeNullCallback<void, Ptr<Socket>>(),
                               MakeNullCallback<void, Ptr<Socket>>());
  if (onClosed) onClosed(*this, error);
}

void StreamConn::Close() {
  if (m_closed) return;
  onClosed = nullptr;
  HandleClose(false);
}

// ---- SipEndpoint ----

SipEndpoint::SipEndpoint(Ptr<Node> node, Ptr<NodeCpu> cpu) : m_node(node), m_cpu(cpu) {
  if (m_cpu && m_cpu->GetCalibration()) m_parseCurve = m_cpu->GetCalibration()->Find("parse", "sip");
}

SipEndpoint::~SipEndpoint() { Stop(); }

bool SipEndpoint::Start(std::uint16_t port, bool listenStreams, std::string* error) {
  if (m_cpu && m_cpu->IsLive()) WarmUpParsers();
  Ptr<Ipv4> ipv4 = m_node->GetObject<Ipv4>();
  if (!ipv4 || ipv4->GetNInterfaces() < 2) {
    *error = "node " + std::to_string(m_node->GetId()) + " has no IPv4 interface";
    return false;
  }
  m_address = ipv4->GetAddress(1, 0).GetLocal();
  m_udp = Socket::CreateSocket(m_node, UdpSocketFactory::GetTypeId());
  if (m_udp->Bind(InetSocketAddress(Ipv4Address::GetAny(), port)) != 0) {
    *error = "cannot bind UDP port " + std::to_string(port) + " on node " +
             std::to_string(m_node->GetId());
    return false;
  }
  Address local;
  m_udp->GetSockName(local);
  m_port = InetSocketAddress::ConvertFrom(local).GetPort();
  m_udp->SetRecvCallback(MakeCallback(&SipEndpoint::HandleUdpRecv, this));
  for (SipTransportProtocol t : {SipTransportProtocol::kTcp, SipTransportProtocol::kSctp}) {
    if (!listenStreams) break;
    TypeId tid;
    if (!NodeHasTransport(m_node, t, &tid)) continue;
    Ptr<Socket> l = Socket::CreateSocket(m_node, tid);
    if (t == SipTransportProtocol::kSctp) ConfigureSctp(l);  // accepted sockets inherit it
    GuardTcpListener(l);
    if (l->Bind(InetSocketAddress(Ipv4Address::GetAny(), m_port)) != 0 || l->Listen() != 0) {
      *error = std::string("cannot listen on ") + ToString(t) + " port " + std::to_string(m_port);
      return false;
    }
    l->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                         Callback<void, Ptr<Socket>, const Address&>(
                             [this, t](Ptr<Socket> s, const Address& from) { HandleAccept(s, from, t); }));
    m_listeners.push_back(l);
  }
  return true;
}

void SipEndpoint::Stop() {
  if (m_udp) {
    m_udp->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
    m_udp->Close();
    m_udp = nullptr;
  }
  for (auto& l : m_listeners) {
    l->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                         MakeNullCallback<void, Ptr<Socket>, const Address&>());
    l->Close();
  }
  m_listeners.clear();
  // Messages still waiting for the CPU are not processed: give their room back.
  for (const Parsing& p : m_parsing)
    if (m_cpu) m_cpu->ReleaseMessage(static_cast<std::uint32_t>(p.bytes.size()));
  m_parsing.clear();
  for (auto& kv : m_conns) kv.second.conn->Close();
  m_conns.clear();
  m_byRemote.clear();
  m_acceptedFrom.clear();
}

bool SipEndpoint::HandleAccept(Ptr<Socket> s, const Address& from, SipTransportProtocol t) {
  RestorePersistTimeout(s);
  const InetSocketAddress a = InetSocketAddress::ConvertFrom(from);
  std::uint32_t& open = m_acceptedFrom[a.GetIpv4().Get()];
  if (m_maxConnsPerPeer != 0 && open >= m_maxConnsPerPeer) {
    // One host must not hold an unbounded number of connections (each
    // with its buffers and timers): the one above the cap is closed at once.
    if (m_onDrop) {
      RxMeta meta;
      meta.transport = t;
      meta.from = a.GetIpv4();
      meta.fromPort = a.GetPort();
      m_onDrop(SipDropReason::kUnexpected, 0,
               "connection refused: " + std::to_string(open) +
                   " already open from this address (MaxConnectionsPerPeer)",
               meta);
    }
    // Data the peer sends before it learns of the close gets a reset
    // (see ResetOnDataAfterClose), not a window that never opens.
    if (t == SipTransportProtocol::kTcp) s->SetRecvCallback(MakeCallback(&ResetOnDataAfterClose));
    s->Close();
    return true;
  }
  ++open;
  StreamConn* c = NewConn(s, t, a.GetIpv4(), a.GetPort(), true);
  m_conns[c->id()].accepted = true;
  return true;
}

StreamConn* SipEndpoint::NewConn(Ptr<Socket> s, SipTransportProtocol t, Ipv4Address peer,
                                 std::uint16_t peerPort, bool connected) {
  const std::uint64_t id = m_nextConnId++;
  ConnState& st = m_conns[id];
  st.conn = std::make_unique<StreamConn>(id, s, t, peer, peerPort, connected);
  st.conn->onData = [this](StreamConn& c, const std::uint8_t* d, std::size_t n) {
    OnStreamData(c, d, n);
  };
  st.conn->onClosed = [this](StreamConn& c, bool error) { OnStreamClosed(c, error); };
  st.conn->onMessageLost = [this](StreamConn& c, std::size_t bytes, const std::string& why) {
    TraceDrop(c, SipDropReason::kFramingError, bytes, why);
  };
  if (t == SipTransportProtocol::kSctp) st.conn->SetMessageMode(m_sctpUnordered, m_sctpStreams);
  m_byRemote[Key(t, peer, peerPort)] = id;
  Touch(id, st);
  return st.conn.get();
}

void SipEndpoint::AddAlias(std::uint64_t connId, Ipv4Address address, std::uint16_t port, bool replace) {
  auto it = m_conns.find(connId);
  if (it == m_conns.end() || it->second.conn->closed()) return;
  std::uint64_t& slot = m_byRemote[Key(it->second.conn->transport(), address, port)];
  if (!replace && slot != 0 && slot != connId) {
    auto other = m_conns.find(slot);
    if (other != m_conns.end() && !other->second.conn->closed()) return;
  }
  slot = connId;
}

// An SCTP socket takes a message whole (no partial sends): one larger than
// its whole send buffer could never leave, and would hold every message
// queued behind it on the connection.
static bool FitsSctpSendBuffer(Ptr<Socket> s, std::size_t bytes) {
  UintegerValue size;
  return !s->GetAttributeFailSafe("SndBufSize", size) || bytes <= size.Get();
}
static const char* const kOverSctpSendBuffer =
    "larger than the SCTP send buffer (ns3::SctpSocket::SndBufSize), which must hold a message whole";

bool SipEndpoint::Send(const Dest& dest, std::string_view bytes, SipAttribution attr) {
  if (!m_udp) return NotSent(dest, bytes.size(), attr, "the endpoint is not started");
  if (dest.transport == SipTransportProtocol::kUdp) {
    Ptr<Packet> p = Create<Packet>(reinterpret_cast<const uint8_t*>(bytes.data()),
                                   static_cast<uint32_t>(bytes.size()));
    // One message per datagram: a packet tag attributes all of it (and
    // each fragment) without the byte tag's offset bookkeeping at every
    // header added or removed on the way down the stack.
    p->AddPacketTag(SipAttributionTag(attr));
    if (m_udp->SendTo(p, 0, InetSocketAddress(dest.address, dest.port)) >= 0) return true;
    // ns-3 refuses a datagram above 65,507 bytes (ERROR_MSGSIZE) and one
    // with no route (ERROR_NOROUTETOHOST).
    return NotSent(dest, bytes.size(), attr,
                   m_udp->GetErrno() == Socket::ERROR_MSGSIZE ? "the UDP socket refused it (message too long)"
                                                              : "the UDP socket refused it (no route)");
  }
  StreamConn* conn = nullptr;
  if (dest.connId != 0) {
    auto it = m_conns.find(dest.connId);
    if (it != m_conns.end() && !it->second.conn->closed() &&
        it->second.conn->transport() == dest.transport)
      conn = it->second.conn.get();
  }
  if (!conn) {
    auto r = m_byRemote.find(Key(dest.transport, dest.address, dest.port));
    if (r != m_byRemote.end()) {
      auto it = m_conns.find(r->second);
      if (it != m_conns.end() && !it->second.conn->closed() &&
          it->second.conn->transport() == dest.transport)
        conn = it->second.conn.get();
    }
  }
  if (!conn) {
    TypeId tid;
    if (!NodeHasTransport(m_node, dest.transport, &tid))
      return NotSent(dest, bytes.size(), attr, "the node has no such transport");
    Ptr<Socket> s = Socket::CreateSocket(m_node, tid);
    if (dest.transport == SipTransportProtocol::kSctp) {
      if (!FitsSctpSendBuffer(s, bytes.size())) {
        s->Close();
        return NotSent(dest, bytes.size(), attr, kOverSctpSendBuffer);
      }
      ConfigureSctp(s);
    }
    if (s->Bind() != 0) return NotSent(dest, bytes.size(), attr, "bind failed");
    conn = NewConn(s, dest.transport, dest.address, dest.port, false);
    if (s->Connect(InetSocketAddress(dest.address, dest.port)) != 0) {
      // Refused at once (no route): nothing was sent on it, and the entry
      // must not outlive the attempt.
      const std::uint64_t id = conn->id();
      conn->Close();
      ForgetRemote(id);
      m_conns.erase(id);
      return NotSent(dest, bytes.size(), attr, "connect refused at once (no route)");
    }
  }
  if (conn->messageMode() && !FitsSctpSendBuffer(conn->socket(), bytes.size()))
    return NotSent(dest, bytes.size(), attr, kOverSctpSendBuffer);
  if (conn->queuedBytes() + bytes.size() > kMaxQueuedBytes) {
    TraceDrop(*conn, SipDropReason::kUnexpected, bytes.size(),
              "not sent: the peer does not read (send queue full); connection closed", attr);
    // Closed after the caller's event (it may be inside a transaction).
    const std::uint64_t id = conn->id();
    Simulator::ScheduleNow([this, id]() {
      auto it = m_conns.find(id);
      if (it == m_conns.end() || it->second.conn->closed()) return;
      StreamConn& c = *it->second.conn;
      c.Close();
      OnStreamClosed(c, true);
    });
    return false;
  }
  conn->Send(bytes, attr);
  auto used = m_conns.find(conn->id());
  if (used != m_conns.end()) Touch(used->first, used->second);
  return true;
}

void SipEndpoint::SetSctpStreams(std::uint16_t streams) {
  m_sctpStreams = streams == 0 ? 1 : streams;
  ConfigureSctpListeners();
}

void SipEndpoint::SetSctpInterleaving(bool interleaving) {
  m_sctpInterleaving = interleaving;
  ConfigureSctpListeners();
}

void SipEndpoint::ConfigureSctpListeners() const {
  for (const auto& l : m_listeners)
    if (DynamicCast<SctpSocket>(l)) ConfigureSctp(l);
}

void SipEndpoint::ConfigureSctp(Ptr<Socket> s) const {
  if (m_sctpStreams > 1) {
    for (const char* attr : {"OutboundStreams", "MaxInboundStreams"}) {
      UintegerValue have;
      if (s->GetAttributeFailSafe(attr, have) && have.Get() < m_sctpStreams)
        s->SetAttribute(attr, UintegerValue(m_sctpStreams));
    }
  }
  if (m_sctpInterleaving) {
    s->SetAttribute("Interleaving", BooleanValue(true));
    s->SetAttribute("StreamScheduler", EnumValue(SctpSocket::SCHED_ROUND_ROBIN));
  }
}

void SipEndpoint::Touch(std::uint64_t id, ConnState& st) {
  st.lastUse = Simulator::Now();
  if (!m_idleTimeout.IsStrictlyPositive() || st.idleCheck.IsRunning()) return;
  st.idleCheck = Simulator::Schedule(m_idleTimeout, &SipEndpoint::CheckIdle, this, id);
}

void SipEndpoint::CheckIdle(std::uint64_t id) {
  auto it = m_conns.find(id);
  if (it == m_conns.end() || it->second.conn->closed()) return;
  ConnState& st = it->second;
  StreamConn& c = *st.conn;
  const Time due = st.lastUse + m_idleTimeout;
  if (c.queuedBytes() > 0 && Simulator::Now() >= c.lastSendProgress() + m_idleTimeout) {
    // The peer has taken nothing for a whole idle period (a zero window
    // that ns-3 probes for ever): the connection and its queue would be
    // held for the rest of the run. Closed as failed; OnStreamClosed
    // traces what it held.
    NS_LOG_WARN("connection " << id << " to " << c.peer() << ":" << c.peerPort() << ": the peer has read nothing for "
                              << m_idleTimeout.GetSeconds() << " s; closed");
    c.Close();
    OnStreamClosed(c, true);
    return;
  }
  if (Simulator::Now() < due || c.queuedBytes() > 0 || st.framer.buffered() > 0 || (m_inUse && m_inUse(c))) {
    // Used since (or still sending, a message half in, or a transaction
    // waiting on it): not idle.
    const Time next = Simulator::Now() < due ? due : Simulator::Now() + m_idleTimeout;
    st.idleCheck = Simulator::Schedule(next - Simulator::Now(), &SipEndpoint::CheckIdle, this, id);
    return;
  }
  NS_LOG_INFO("closing idle connection " << id << " to " << c.peer() << ":" << c.peerPort());
  c.Close();
  OnStreamClosed(c, false);
}

void SipEndpoint::HandleUdpRecv(Ptr<Socket> s) {
  Address from;
  while (Ptr<Packet> p = s->RecvFrom(from)) {
    RxMeta meta;
    meta.transport = SipTransportProtocol::kUdp;
    const InetSocketAddress a = InetSocketAddress::ConvertFrom(from);
    meta.from = a.GetIpv4();
    meta.fromPort = a.GetPort();
    if (p->GetSize() == 0) {
      // An empty datagram is no message (and no keep-alive: RFC 5626 uses
      // STUN on UDP). Traced, and the datagrams behind it are still read.
      if (m_onDrop) m_onDrop(SipDropReason::kParseError, 0, "empty datagram", meta);
      continue;
    }
    std::string bytes = TakeBuffer();
    bytes.resize(p->GetSize());
    p->CopyData(reinterpret_cast<uint8_t*>(&bytes[0]), p->GetSize());
    Receive(std::move(bytes), meta, sipim::sip::Framing::kDatagram);
  }
}

void SipEndpoint::OnStreamData(StreamConn& c, const std::uint8_t* data, std::size_t n) {
  auto it = m_conns.find(c.id());
  if (it == m_conns.end()) return;
  if (c.messageMode()) {
    OnSctpMessage(c, it->second, data, n);
    return;
  }
  sipim::sip::StreamFramer& framer = it->second.framer;
  framer.Append(std::string_view(reinterpret_cast<const char*>(data), n));
  RxMeta meta;
  meta.transport = c.transport();
  meta.from = c.peer();
  meta.fromPort = c.peerPort();
  meta.connId = c.id();
  ConnState& state = it->second;
  Touch(c.id(), state);
  for (;;) {
    sipim::ParseError err;
    const std::size_t before = framer.consumed();
    const auto st = framer.Next(&m_framed, &err);
    if (st != sipim::sip::StreamFramer::Status::kError) {
      // RFC 5626 4.4.1: each double-CRLF "ping" between messages (the
      // framer skips CRLFs) is answered at once with a single CRLF "pong".
      state.crlfRun += framer.consumed() - before -
                       (st == sipim::sip::StreamFramer::Status::kMessage ? m_framed.size : 0);
      for (; state.crlfRun >= 4; state.crlfRun -= 4) c.Send("\r\n", SipAttribution{});
      if (st == sipim::sip::StreamFramer::Status::kMessage) state.crlfRun = 0;
    }
    if (st == sipim::sip::StreamFramer::Status::kNeedMore) {
      // Receive() may have run a handler that closed or forgot `c`.
      auto cur = m_conns.find(meta.connId);
      if (cur != m_conns.end() && !c.closed()) ArmIncompleteCheck(meta.connId, cur->second);
      return;
    }
    if (st == sipim::sip::StreamFramer::Status::kError) {
      // The stream cannot be resynchronised: report and close it.
      if (m_onDrop)
        m_onDrop(SipDropReason::kFramingError, static_cast<std::uint32_t>(framer.buffered()),
                 err.ToString(), meta);
      c.Close();
      OnStreamClosed(c, true);
      return;
    }
    // The framer's views die at the next Append: keep this message's bytes.
    Receive(std::string(m_framed.raw), meta, sipim::sip::Framing::kStream);
  }
}

void SipEndpoint::OnSctpMessage(StreamConn& c, ConnState& state, const std::uint8_t* data, std::size_t n) {
  RxMeta meta;
  meta.transport = c.transport();
  meta.from = c.peer();
  meta.fromPort = c.peerPort();
  meta.connId = c.id();
  Touch(c.id(), state);
  // Message boundaries survive, so a bad message costs only itself (a
  // byte stream must be closed to resynchronise): parsed as a datagram.
  std::string bytes = TakeBuffer();
  bytes.assign(reinterpret_cast<const char*>(data), n);
  Receive(std::move(bytes), meta, sipim::sip::Framing::kDatagram);
}

void SipEndpoint::ArmIncompleteCheck(std::uint64_t id, ConnState& st) {
  if (st.framer.buffered() == 0) return;  // between messages: nothing held
  if (st.framer.consumed() != st.partialMark || st.partialSince.IsZero()) {
    st.partialMark = st.framer.consumed();  // a new unfinished message
    st.partialSince = Simulator::Now();
  }
  if (st.incompleteCheck.IsRunning()) return;
  st.incompleteCheck = Simulator::Schedule(st.partialSince + m_incompleteTimeout - Simulator::Now(),
                                           &SipEndpoint::CheckIncomplete, this, id);
}

void SipEndpoint::CheckIncomplete(std::uint64_t id) {
  auto it = m_conns.find(id);
  if (it == m_conns.end() || it->second.conn->closed()) return;
  ConnState& st = it->second;
  if (st.framer.buffered() == 0) return;
  if (st.framer.consumed() != st.partialMark || Simulator::Now() < st.partialSince + m_incompleteTimeout) {
    ArmIncompleteCheck(id, st);  // a later message is the unfinished one now
    return;
  }
  // A message that never completes (a Content-Length larger than what
  // arrives, a header section that never ends) would hold the buffer, up
  // to the framer's limit, and the connection for ever: close it.
  StreamConn& c = *st.conn;
  TraceDrop(c, SipDropReason::kFramingError, st.framer.buffered(),
            "message incomplete after " + std::to_string(m_incompleteTimeout.GetSeconds()) + " s");
  c.Close();
  OnStreamClosed(c, true);
}

void SipEndpoint::OnStreamClosed(StreamConn& c, bool error) {
  auto st = m_conns.find(c.id());
  if (st != m_conns.end() && st->second.accepted) {
    st->second.accepted = false;
    auto n = m_acceptedFrom.find(c.peer().Get());
    if (n != m_acceptedFrom.end() && --n->second == 0) m_acceptedFrom.erase(n);
  }
  if (c.connected() && c.queuedBytes() > 0) {
    // Messages the socket never took are lost with the connection; a
    // response or an ACK among them has no transaction to fail.
    TraceDrop(c, SipDropReason::kUnexpected, c.queuedBytes(),
              "not sent: " + std::to_string(c.queuedMessages()) +
                  " message(s) still queued when the connection closed (attributed to the first)",
              c.firstQueuedAttr());
  }
  if (error && !c.connected() && c.sentMessages() > 0) {
    // Every byte given to a connection that never came up is lost, not
    // only the requests whose transactions the owner fails below (a
    // response or an ACK has none).
    std::string detail =
        "not sent: " + std::to_string(c.sentMessages()) + " message(s) on a connection that never came up";
    if (c.otherAttrMessages() > 0) {
      detail += " (attributed to the first; " + std::to_string(c.otherAttrMessages()) +
                " belonged to other IMs, sessions or registrations)";
    }
    TraceDrop(c, SipDropReason::kUnexpected, c.sentBytes(), std::move(detail), c.firstAttr());
  }
  if (error && m_onConnError) m_onConnError(c);
  ForgetRemote(c.id());
  // The connection object is in a callback of its own: delete it later.
  const std::uint64_t id = c.id();
  Simulator::ScheduleNow([this, id]() { m_conns.erase(id); });
}

bool SipEndpoint::Carries(const StreamConn& c, const Dest& dest) const {
  if (dest.transport != c.transport()) return false;
  if (dest.connId == c.id() || (dest.address == c.peer() && dest.port == c.peerPort())) return true;
  auto r = m_byRemote.find(Key(dest.transport, dest.address, dest.port));
  return r != m_byRemote.end() && r->second == c.id();
}

bool SipEndpoint::NotSent(const Dest& dest, std::size_t bytes, SipAttribution attr, const char* why) {
  if (!m_onDrop) return false;
  RxMeta meta;
  meta.transport = dest.transport;
  meta.from = dest.address;
  meta.fromPort = dest.port;
  meta.attr = attr;
  std::ostringstream detail;
  detail << "not sent to " << dest.address << ":" << dest.port << " over " << ToString(dest.transport) << ": "
         << why;
  m_onDrop(SipDropReason::kUnexpected, static_cast<std::uint32_t>(bytes), detail.str(), meta);
  return false;
}

void SipEndpoint::ForgetRemote(std::uint64_t id) {
  // Only the keys that still name this connection: one may already name a
  // newer connection to the same peer.
  for (auto it = m_byRemote.begin(); it != m_byRemote.end();) {
    if (it->second == id) it = m_byRemote.erase(it);
    else ++it;
  }
}

void SipEndpoint::TraceDrop(const StreamConn& c, SipDropReason r, std::size_t bytes, std::string detail,
                            SipAttribution attr) {
  if (!m_onDrop) return;
  RxMeta meta;
  meta.transport = c.transport();
  meta.from = c.peer();
  meta.fromPort = c.peerPort();
  meta.connId = c.id();
  meta.attr = attr;
  m_onDrop(r, static_cast<std::uint32_t>(bytes), detail, meta);
}

void SipEndpoint::Receive(std::string bytes, const RxMeta& rxMeta, sipim::sip::Framing framing) {
  RxMeta meta = rxMeta;
  if (!m_cpu) {
    Process(bytes, meta, framing);
    GiveBack(std::move(bytes));
    return;
  }
  // A live CPU is charged a real parse of these bytes, timed now, since the
  // job's cost must be known before it is queued; Process parses them
  // again when the job runs (a simulation-speed cost of live mode only).
  LiveClock clock(*m_cpu);
  if (m_cpu->IsLive()) sipim::sip::Parse(bytes, framing, &m_timed);
  meta.cpu = m_cpu->Cost(CpuWork{m_parseCurve, bytes.size(), clock.Elapsed()});
  if (!m_parseCurve && !m_cpu->IsLive()) m_cpu->NoteUncalibrated();
  if (m_cpu->TryRunInline(meta.cpu)) {
    Process(bytes, meta, framing);
    GiveBack(std::move(bytes));
    return;
  }
  // Load shedding: a message that would overfill the node's parse queue
  // is dropped before any work is spent on it (a real server's socket
  // buffer overflowing). UDP senders retransmit (timer E); on a stream the
  // peer's transaction times out.
  if (!m_cpu->AdmitMessage(static_cast<std::uint32_t>(bytes.size()))) {
    if (m_onDrop)
      m_onDrop(SipDropReason::kOverload, static_cast<std::uint32_t>(bytes.size()),
               "parse queue full (NodeCpu MaxQueuedBytes)", meta);
    GiveBack(std::move(bytes));
    return;
  }
  m_parsing.push_back(Parsing{std::move(bytes), meta, framing});
  m_cpu->Submit(meta.cpu, [this]() { ProcessNext(); });
}

void SipEndpoint::ProcessNext() {
  if (m_parsing.empty()) return;
  // Off the queue before the handler runs: it may receive more.
  Parsing job = std::move(m_parsing.front());
  m_parsing.pop_front();
  m_cpu->ReleaseMessage(static_cast<std::uint32_t>(job.bytes.size()));
  Process(job.bytes, job.meta, job.framing);
  GiveBack(std::move(job.bytes));
}

std::string SipEndpoint::TakeBuffer() {
  if (m_spare.empty()) return std::string();
  std::string s = std::move(m_spare.back());
  m_spare.pop_back();
  return s;
}

void SipEndpoint::GiveBack(std::string&& bytes) {
  // A few ordinary-sized buffers: enough for the messages one node has in
  // flight at a time, and nothing large kept for long.
  if (m_spare.size() >= kSpareBuffers || bytes.capacity() > kSpareCapacity) return;
  bytes.clear();
  m_spare.push_back(std::move(bytes));
}

void SipEndpoint::Process(const std::string& b, const RxMeta& meta, sipim::sip::Framing framing) {
  if (m_cpu) m_cpu->CountMessage();
  sipim::ParseError err = sipim::sip::Parse(b, framing, &m_scratch);
  if (err) {
    if (m_onDrop)
      m_onDrop(SipDropReason::kParseError, static_cast<std::uint32_t>(b.size()), err.ToString(), meta);
    // RFC 3261 18.3: a datagram that ends before its Content-Length is an
    // error; a request gets 400 (its header fields parsed: the parser
    // stopped at the body), a response is only discarded.
    if (m_onReject && framing == sipim::sip::Framing::kDatagram && err.reason == sipim::sip::kTruncatedBody &&
        m_scratch.is_request && m_scratch.method != "ACK")
      m_onReject(m_scratch, meta, 400);
    // RFC 3261 21.5.6 (RFC 4475 3.3.8): a whole request of another SIP
    // version gets 505 on any transport (no ACK is answered).
    if (m_onReject && err.reason == sipim::sip::kUnsupportedVersion && m_scratch.method != "ACK")
      m_onReject(m_scratch, meta, 505);
    return;
  }
  if (framing == sipim::sip::Framing::kDatagram && m_scratch.size < b.size() && m_onDrop) {
    // RFC 3261 18.3: a datagram's (or SCTP message's) octets after the
    // body are discarded; reported, so that nothing is lost silently.
    const char* unit = meta.transport == SipTransportProtocol::kSctp ? "SCTP message" : "datagram";
    m_onDrop(SipDropReason::kParseError, static_cast<std::uint32_t>(b.size() - m_scratch.size),
             std::to_string(b.size() - m_scratch.size) + " byte(s) after the message in its " + unit + ", ignored",
             meta);
  }
  if (m_onRx) m_onRx(b, m_scratch, meta);
}

}  // namespace sipns3
}  // namespace ns3
