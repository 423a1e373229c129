#include "metrics.h"

#include <algorithm>

#include "ns3/callback.h"
#include "ns3/net-device.h"
#include "ns3/simulator.h"
#include "ns3/sip/node-cpu.h"
#include "ns3/sip/sip-im-security.h"
#include "ns3/sip/sip-proxy.h"
#include "ns3/sip/sip-user-agent.h"
#include "ns3/tcp-header.h"

namespace sipim::run {

using namespace ns3;

namespace {

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kSctp = 132;

double Now() { return Simulator::Now().GetSeconds(); }

std::string TcpFlags(std::uint8_t f) {
  std::string s;
  if (f & TcpHeader::SYN) s += "S";
  if (f & TcpHeader::FIN) s += "F";
  if (f & TcpHeader::RST) s += "R";
  if (f & TcpHeader::PSH) s += "P";
  if (f & TcpHeader::ACK) s += "A";
  return s;
}

std::string AttributionText(SipAttribution a) {
  switch (a.kind) {
    case SipAttributionKind::kIm: return "im:" + std::to_string(a.id);
    case SipAttributionKind::kSession: return "session:" + std::to_string(a.id);
    case SipAttributionKind::kRegistration: return "registration:" + std::to_string(a.id);
    default: return "";
  }
}

// The start line of the SIP or MSRP message a payload begins with, for
// wire.csv: printable ASCII ended by CR LF, whose first word is SIP/2.0 or
// an upper-case method (MSRP included). A payload that begins inside a
// message gets "": there the bytes may be ciphertext or base64 (an S/MIME
// body, a sealed frame, a MIKEY offer), which differ from run to run.
std::string FirstLine(const std::uint8_t* buf, std::uint32_t n) {
  std::string line;
  std::uint32_t i = 0;
  for (; i < n && buf[i] != '\r'; ++i) {
    if (buf[i] < 0x20 || buf[i] >= 0x7f) return "";
    line += static_cast<char>(buf[i]);
  }
  if (i + 1 >= n || buf[i + 1] != '\n') return "";
  const std::size_t space = line.find(' ');
  if (space == 0 || space == std::string::npos) return "";
  const std::string word = line.substr(0, space);
  if (word == "SIP/2.0") return line;
  for (const char c : word) {
    if (c < 'A' || c > 'Z') return "";
  }
  return line;
}

std::uint16_t Be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// Where the user data of the first DATA chunk (type 0, 16-byte header)
// starts among the SCTP chunks at bytes[at, end), or `end` when no DATA
// chunk is there (or a chunk length is malformed).
std::uint32_t FirstSctpDataAt(const std::uint8_t* bytes, std::uint32_t at, std::uint32_t end) {
  while (at + 4 <= end) {
    const std::uint32_t len = Be16(bytes + at + 2);
    if (bytes[at] == 0) return end - at > 16 ? at + 16 : end;
    if (len < 4) return end;
    at += (len + 3) & ~3u;
  }
  return end;
}
std::uint32_t Be32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// MacTx frames start with the 2-byte PPP header; the IP packet follows.
constexpr std::uint32_t kPpp = 2;
// Bytes of a frame OnMacTx reads: PPP, IPv4 and TCP headers with options.
constexpr std::uint32_t kHeaderBytes = kPpp + 60 + 60;
// With wire_trace also SCTP control chunks bundled before the DATA (a SACK
// with up to 12 gap or duplicate entries), the DATA chunk header and the
// first 160 payload bytes.
constexpr std::uint32_t kWireBytes = kHeaderBytes + 64 + 16 + 160;

// Bound trace sinks: ns-3 binds leading arguments to free functions.
void MacTxSink(Collector* c, std::uint32_t link, std::uint32_t node, Ptr<const Packet> p) {
  c->OnMacTx(link, node, p);
}
void ImSentSink(Collector* c, std::size_t ua, std::uint64_t im, const std::string& to, std::uint32_t bytes,
                SipImMode mode) {
  c->OnImSent(ua, im, to, bytes, mode);
}
void SessionSink(Collector* c, std::size_t ua, std::uint64_t id, SipSessionEvent ev, const std::string& peer) {
  c->OnSession(ua, id, ev, peer);
}
void MediaConnectionSink(Collector* c, std::uint64_t id, Ipv4Address local, std::uint16_t localPort, Ipv4Address peer,
                         std::uint16_t peerPort) {
  c->OnMediaConnection(id, local, localPort, peer, peerPort);
}
void WireSink(Collector* c, bool rx, const SipWireEvent& ev) { c->OnWire(rx, ev); }

}  // namespace

void ByteCount::AddShare(const ByteCount& b, double share) {
  app += b.app * share;
  transport += b.transport * share;
  ip += b.ip * share;
  packets += b.packets * share;
  fragments += b.fragments * share;
  acks += b.acks * share;
}

Collector::Collector(const RunConfig& config, const Topology& topology) : config_(config), topology_(topology) {
  // The planned count is an upper bound: stop_time may end the run long
  // before it (a huge `conversations` is a way to say "until stop_time").
  // Reserving all of it up front would take memory the run never uses.
  constexpr std::uint64_t kMaxReserved = 1 << 20;
  ims_.reserve(std::min<std::uint64_t>(config.conversations * config.messages_per_conversation * config.group_size,
                                       kMaxReserved) + 1);
  ims_.resize(1);
  sessions_.resize(1);
}

void Collector::Attach(const std::vector<Ptr<SipUserAgent>>& uas, const std::vector<Ptr<SipProxy>>& proxies) {
  for (std::uint32_t l = 0; l < topology_.links.size(); ++l) {
    for (std::uint32_t end = 0; end < 2; ++end) {
      Ptr<NetDevice> dev = topology_.links[l].devices.Get(end);
      dev->TraceConnectWithoutContext("MacTx", MakeBoundCallback(&MacTxSink, this, l, dev->GetNode()->GetId()));
    }
  }
  auto wire = [&](Ptr<Object> app) {
    app->TraceConnectWithoutContext("Tx", MakeBoundCallback(&WireSink, this, false));
    app->TraceConnectWithoutContext("Rx", MakeBoundCallback(&WireSink, this, true));
    app->TraceConnectWithoutContext("Drop", MakeCallback(&Collector::OnDrop, this));
  };
  for (std::size_t i = 0; i < uas.size(); ++i) {
    Ptr<SipUserAgent> ua = uas[i];
    ua->TraceConnectWithoutContext("ImSent", MakeBoundCallback(&ImSentSink, this, i));
    ua->TraceConnectWithoutContext("ImRetransmitted", MakeCallback(&Collector::OnImRetransmitted, this));
    ua->TraceConnectWithoutContext("ImDelivered", MakeCallback(&Collector::OnImDelivered, this));
    ua->TraceConnectWithoutContext("ImOutcome", MakeCallback(&Collector::OnImOutcome, this));
    ua->TraceConnectWithoutContext("Session", MakeBoundCallback(&SessionSink, this, i));
    ua->TraceConnectWithoutContext("MediaConnection", MakeBoundCallback(&MediaConnectionSink, this));
    wire(ua);
  }
  for (const auto& proxy : proxies) wire(proxy);
}

ImRecord& Collector::Im(std::uint64_t id) {
  if (id >= ims_.size()) ims_.resize(id + 1);
  ImRecord& r = ims_[id];
  r.id = id;
  return r;
}

SessionRecord& Collector::Session(std::uint64_t id) {
  if (id >= sessions_.size()) sessions_.resize(id + 1);
  SessionRecord& r = sessions_[id];
  r.id = id;
  return r;
}

ByteCount* Collector::Bucket(SipAttribution attr) {
  if (attr.id == 0) return nullptr;
  switch (attr.kind) {
    case SipAttributionKind::kIm: return &Im(attr.id).bytes;
    case SipAttributionKind::kSession: {
      SessionRecord& s = Session(attr.id);
      return s.bye_sent >= 0 ? &s.teardown_bytes : &s.setup_bytes;
    }
    case SipAttributionKind::kRegistration: return &registration_;
    default: return nullptr;
  }
}

void Collector::Charge(const Composition& parts, const ByteCount& packet) {
  double total = 0;
  for (const auto& p : parts) total += p.bytes;
  for (const auto& p : parts) {
    ByteCount* b = Bucket(p.attr);
    (b ? *b : unattributed_).AddShare(packet, total > 0 ? p.bytes / total : 1.0 / parts.size());
  }
}

double Collector::TaggedParts(const Packet& frame, std::uint32_t header, std::uint32_t end) {
  static const TypeId kTagType = SipAttributionTag::GetTypeId();
  parts_.clear();
  // A datagram is one message: its attribution is a packet tag, which
  // fragments inherit, covering all of its payload (see SipEndpoint::Send).
  SipAttributionTag whole;
  if (frame.PeekPacketTag(whole)) {
    if (end <= header) return 0;
    parts_.push_back(Part{whole.Get(), double(end - header)});
    return end - header;
  }
  double tagged = 0;
  ByteTagIterator it = frame.GetByteTagIterator();
  while (it.HasNext()) {
    const ByteTagIterator::Item item = it.Next();
    if (item.GetTypeId() != kTagType) continue;
    const std::uint32_t start = std::max(item.GetStart(), header);
    const std::uint32_t stop = std::min(item.GetEnd(), end);
    if (stop <= start) continue;
    SipAttributionTag tag;
    item.GetTag(tag);
    const SipAttribution a = tag.Get();
    auto same = std::find_if(parts_.begin(), parts_.end(),
                             [&](const Part& p) { return p.attr.kind == a.kind && p.attr.id == a.id; });
    if (same == parts_.end()) {
      parts_.push_back(Part{a, double(stop - start)});
    } else {
      same->bytes += stop - start;
    }
    tagged += stop - start;
  }
  return tagged;
}

void Collector::OnMacTx(std::uint32_t link, std::uint32_t from_node, Ptr<const Packet> frame) {
  // The headers are read from a copy of the frame's first bytes, without
  // copying the Packet or building Header objects: this runs for every
  // packet on every link. Bytes past the frame read as zero.
  std::uint8_t bytes[kWireBytes] = {};
  const std::uint32_t frame_size = frame->GetSize();
  const std::uint32_t have =
      frame->CopyData(bytes, std::min(frame_size, config_.wire_trace ? kWireBytes : kHeaderBytes));
  const std::uint32_t size = frame_size > kPpp ? frame_size - kPpp : 0;  // the IP packet
  ++total_packets_;
  total_ip_bytes_ += size;
  ByteCount whole;
  whole.transport = size;
  whole.ip = size;
  whole.packets = 1;
  const std::uint8_t* ip = bytes + kPpp;
  const std::uint32_t ip_header = (ip[0] & 0x0fu) * 4;
  if (have < kPpp + 20 || (ip[0] >> 4) != 4 || size < ip_header) {
    unattributed_.AddShare(whole, 1.0);  // not IPv4: nothing here sends such
    return;
  }
  const std::uint16_t fragment_field = Be16(ip + 6);
  const std::uint32_t fragment_offset = (fragment_field & 0x1fffu) * 8;
  const bool fragment = (fragment_field & 0x2000u) != 0 || fragment_offset != 0;  // MF or offset
  const bool has_l4 = fragment_offset == 0;
  const std::uint8_t proto = ip[9];
  const std::uint8_t* l4 = ip + ip_header;
  std::uint32_t l4_header = 0;
  std::uint8_t flags = 0;
  ConnKey key{0, 0};
  int direction = 0;
  std::uint32_t payload_at = kPpp + ip_header;  // where the payload starts in `bytes`
  // TCP and SCTP carry connections (associations): their pure control
  // packets are charged through the connection.
  const bool stream = proto == kTcp || proto == kSctp;
  if (has_l4 && stream) {
    // TCP and SCTP both start with source and destination port.
    const std::uint64_t src = (std::uint64_t{Be32(ip + 12)} << 16) | Be16(l4);
    const std::uint64_t dst = (std::uint64_t{Be32(ip + 16)} << 16) | Be16(l4 + 2);
    key = src < dst ? ConnKey{src, dst} : ConnKey{dst, src};
    direction = src < dst ? 0 : 1;
  }
  if (has_l4 && proto == kTcp) {
    l4_header = (l4[12] >> 4) * 4u;  // data offset
    flags = l4[13];
    payload_at += l4_header;
  } else if (has_l4 && proto == kSctp) {
    // Common header: source port, destination port, tag, checksum. The
    // chunk headers after it count as transport overhead below.
    l4_header = 12;
    payload_at += std::min<std::uint32_t>(12, size - ip_header);
  } else if (has_l4 && proto == kUdp) {
    l4_header = 8;
    payload_at += std::min<std::uint32_t>(8, size - ip_header);
  }
  whole.transport = size - ip_header;
  whole.fragments = fragment ? 1 : 0;
  const std::uint32_t payload = size > ip_header + l4_header ? size - ip_header - l4_header : 0;

  // The attributions of the payload bytes, merged per owner.
  double tagged = TaggedParts(*frame, kPpp + ip_header + l4_header, frame_size);
  if (tagged > payload && tagged > 0) {  // overlapping tags: never count a byte twice
    for (auto& p : parts_) p.bytes *= payload / tagged;
    tagged = payload;
  }
  const Composition& parts = parts_;

  if (config_.wire_trace && on_wire_) {
    WirePacket w{Now(), link, from_node, size,
                 has_l4 ? (proto == kTcp ? "tcp" : proto == kUdp ? "udp" : proto == kSctp ? "sctp" : "other") : "frag",
                 payload, proto == kTcp ? TcpFlags(flags) : "", "", ""};
    if (has_l4 && payload > 0) {
      std::uint32_t at = payload_at;
      // SCTP: the message starts after the first DATA chunk's header (type
      // 0, 16 bytes); control chunks (a bundled SACK) come before it.
      if (proto == kSctp) at = FirstSctpDataAt(bytes, at, have);
      w.first_line = at < have ? FirstLine(bytes + at, std::min<std::uint32_t>(160, have - at)) : "";
    }
    if (!parts.empty()) {
      w.attribution = AttributionText(
          std::max_element(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return a.bytes < b.bytes; })
              ->attr);
    }
    on_wire_(w);
  }

  // SCTP's chunk headers are not message bytes: only its DATA is tagged.
  const bool control = has_l4 && stream && (proto == kTcp ? payload == 0 : tagged == 0);
  if (control) {
    // A pure ACK, SYN or FIN (SACK, INIT, COOKIE, HEARTBEAT...): charged to
    // what it acknowledges.
    whole.acks = size;
    Connection& conn = connections_[key];
    const Composition& acked =
        !conn.last_data[1 - direction].empty() ? conn.last_data[1 - direction] : conn.last_data[direction];
    if (acked.empty()) {
      conn.pending.AddShare(whole, 1.0);
    } else {
      Charge(acked, whole);
    }
    return;
  }
  // Data: each owner its bytes and its share of the headers.
  const double carried = proto == kSctp ? tagged : payload;
  const double denominator = carried > 0 ? carried : 1;
  for (const auto& p : parts) {
    ByteCount share;
    share.AddShare(whole, p.bytes / denominator);
    share.app = p.bytes;
    ByteCount* b = Bucket(p.attr);
    (b ? *b : unattributed_).AddShare(share, 1.0);
  }
  if (carried > tagged) {  // payload no model claimed (should not happen)
    ByteCount share;
    share.AddShare(whole, (carried - tagged) / denominator);
    share.app = carried - tagged;
    untagged_.AddShare(share, 1.0);
  }
  if (has_l4 && stream && !parts.empty()) {
    Connection& conn = connections_[key];
    conn.last_data[direction] = parts;
    if (conn.pending.packets > 0) {
      Charge(parts, conn.pending);
      conn.pending = ByteCount{};
    }
  }
}

void Collector::OnMediaConnection(std::uint64_t session, Ipv4Address local, std::uint16_t localPort, Ipv4Address peer,
                                  std::uint16_t peerPort) {
  // The key as packets make it (MacTx): address and port, 48 bits each.
  const std::uint64_t a = (std::uint64_t{local.Get()} << 16) | localPort;
  const std::uint64_t b = (std::uint64_t{peer.Get()} << 16) | peerPort;
  connections_[a < b ? ConnKey{a, b} : ConnKey{b, a}].session = session;
}

void Collector::Finish() {
  for (auto& [key, conn] : connections_) {
    if (conn.pending.packets > 0) {
      (conn.session != 0 ? Session(conn.session).setup_bytes : unattributed_).AddShare(conn.pending, 1.0);
    }
    conn.pending = ByteCount{};
  }
  // Untagged payload is unattributed too; it is kept apart to show it.
  unattributed_.AddShare(untagged_, 1.0);
}

void Collector::SetConversation(std::uint64_t im_id, std::int64_t conversation) {
  Im(im_id).conversation = conversation;
}

bool Collector::HasOutcome(std::uint64_t im_id) const {
  return im_id < ims_.size() && ims_[im_id].outcomes > 0;
}

void Collector::OnImSent(std::size_t ua, std::uint64_t im, const std::string& to, std::uint32_t bytes,
                         SipImMode mode) {
  ImRecord& r = Im(im);
  if (r.send_time >= 0) {
    anomalies_.push_back("IM " + std::to_string(im) + " reported sent twice");
    return;
  }
  r.sender = static_cast<std::int64_t>(ua);
  r.to = to;
  r.body_bytes = bytes;
  r.mode = mode;
  r.send_time = Now();
  ++ims_sent_;
}

void Collector::OnImRetransmitted(std::uint64_t im, std::uint32_t, std::uint32_t) { ++Im(im).retransmissions; }

void Collector::OnImDelivered(std::uint64_t im, const std::string&, std::uint32_t, std::uint32_t hops,
                              bool duplicate) {
  ImRecord& r = Im(im);
  ++r.deliveries;
  if (duplicate) {
    ++r.duplicates;
    ++duplicate_deliveries_;
  }
  if (r.first_delivery < 0) r.first_delivery = Now();
  r.proxy_hops = std::max(r.proxy_hops, hops);
}

void Collector::OnImOutcome(std::uint64_t im, SipImOutcome outcome, SipFailReason reason, std::uint16_t status) {
  ImRecord& r = Im(im);
  if (++r.outcomes > 1) {
    anomalies_.push_back("IM " + std::to_string(im) + " has " + std::to_string(r.outcomes) + " outcomes");
    return;
  }
  if (r.send_time < 0) anomalies_.push_back("IM " + std::to_string(im) + " has an outcome but was never sent");
  ++ims_with_outcome_;
  r.outcome = outcome;
  r.reason = reason;
  r.status = status;
  r.outcome_time = Now();
  if (on_outcome_) on_outcome_(im);
}

void Collector::OnSession(std::size_t ua, std::uint64_t id, SipSessionEvent ev, const std::string& peer) {
  SessionRecord& s = Session(id);
  auto first = [](double& t) {
    if (t < 0) t = Now();
  };
  switch (ev) {
    case SipSessionEvent::kInviteSent:
      first(s.invite_sent);
      s.caller = static_cast<std::int64_t>(ua);
      s.peer = peer;
      break;
    case SipSessionEvent::kEstablished: first(s.established); break;
    case SipSessionEvent::kConnected: first(s.connected); break;
    case SipSessionEvent::kDuplicateConnection: ++s.duplicate_connections; break;
    case SipSessionEvent::kByeSent: first(s.bye_sent); break;
    case SipSessionEvent::kClosed: first(s.closed); break;
    case SipSessionEvent::kFailed: first(s.failed); break;
    default: break;
  }
}

void Collector::OnWire(bool rx, const SipWireEvent& ev) {
  if (!rx) ++wire_messages_;
  // Rx events carry the parse time their node's CPU was charged.
  const double cpu_s = rx ? ev.cpu.GetSeconds() : 0.0;
  if (rx && ev.attr.kind == SipAttributionKind::kRegistration) ++registration_rx_[ev.nodeId];
  if (ev.attr.id == 0) return;
  if (ev.attr.kind == SipAttributionKind::kIm) {
    ImRecord& r = Im(ev.attr.id);
    if (!rx) ++r.messages;
    r.cpu_s += cpu_s;
  } else if (ev.attr.kind == SipAttributionKind::kSession) {
    SessionRecord& s = Session(ev.attr.id);
    if (!rx) ++s.messages;
    s.cpu_s += cpu_s;
  }
}

void Collector::AttachSecurity(Ptr<SipImSecurity> security) {
  security->TraceConnectWithoutContext("Crypto", MakeCallback(&Collector::OnCrypto, this));
}

void Collector::OnCrypto(const SipCryptoEvent& ev) {
  if (ev.attr.id == 0) return;
  if (ev.attr.kind == SipAttributionKind::kIm) Im(ev.attr.id).cpu_s += ev.cost.GetSeconds();
  if (ev.attr.kind == SipAttributionKind::kSession) Session(ev.attr.id).cpu_s += ev.cost.GetSeconds();
}

void Collector::OnDrop(const SipDropEvent& ev) {
  ++drops_;
  if (on_drop_) on_drop_(ev);
}

}  // namespace sipim::run
