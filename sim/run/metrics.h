#pragma once
// Measures a run from real packets and the models' trace sources.
//
// Bytes: every packet any point-to-point device transmits (MacTx: the IP
// packet, fragments and TCP segments included, retransmissions included,
// before the receiver's error model may drop it) is attributed through the
// SipAttributionTag the models put on each SIP or MSRP message: a byte tag
// on the message's bytes in a stream (TCP, SCTP), a packet tag on a UDP
// datagram, which carries one message (its fragments inherit it). A packet's headers are shared among its attributions in
// proportion to their bytes. Packets without payload (pure TCP ACKs, SYN,
// FIN) belong to the connection: each goes to the attributions of the last
// data the connection carried the other way (what it acknowledges), else to
// the last data either way; a connection's SYN exchange, before any data,
// waits and goes to the connection's first data. A session's media
// connection that carried nothing (the duplicate of the paper's race, a
// connect that never completed) goes to that session's set-up, whole. What
// still finds no owner is reported as unattributed, so that the totals add
// up to every byte on every link.
//
// Every hop counts: an IM relayed by two proxies is carried on three links
// and its bytes are the sum over them.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config.h"
#include "ns3/node.h"
#include "ns3/packet.h"
#include "ns3/sip/cpu-calibration.h"
#include "ns3/sip/sip-im-types.h"
#include "topology.h"

namespace ns3 {
class SipImSecurity;
struct SipCryptoEvent;
class SipUserAgent;
class SipProxy;
class NodeCpu;
}  // namespace ns3

namespace sipim::run {

// Bytes and packets charged to one IM, session or registration.
struct ByteCount {
  double app = 0;        // SIP/MSRP message bytes (tagged), every hop
  double transport = 0;  // app + UDP/TCP headers + pure ACK/SYN/FIN segments
  double ip = 0;         // transport + IP headers of every packet and fragment
  double packets = 0;    // IP packets (a shared packet counts by share)
  double fragments = 0;  // of which IP fragments
  double acks = 0;       // IP bytes of pure TCP control segments charged here
  void AddShare(const ByteCount& b, double share);
};

struct ImRecord {
  std::uint64_t id = 0;
  std::int64_t conversation = -1;
  std::int64_t sender = -1;  // index into Topology::uas
  std::string to;
  std::uint32_t body_bytes = 0;
  ns3::SipImMode mode = ns3::SipImMode::kPager;
  double send_time = -1;
  double first_delivery = -1;
  std::uint32_t deliveries = 0;  // copies handed to a user (forking: per device)
  std::uint32_t duplicates = 0;  // copies a device had already delivered
  std::uint32_t proxy_hops = 0;
  std::uint32_t retransmissions = 0;
  std::uint32_t outcomes = 0;    // ImOutcome firings (must be exactly 1)
  ns3::SipImOutcome outcome = ns3::SipImOutcome::kFailed;
  ns3::SipFailReason reason = ns3::SipFailReason::kNone;
  std::uint16_t status = 0;
  double outcome_time = -1;
  double cpu_s = 0;  // parse and crypto time charged for its messages, every node
  std::uint32_t messages = 0;  // SIP/MSRP messages sent for it, every hop
  ByteCount bytes;
};

struct SessionRecord {
  std::uint64_t id = 0;
  std::int64_t caller = -1;
  std::string peer;
  double invite_sent = -1, established = -1, connected = -1, bye_sent = -1, closed = -1, failed = -1;
  std::uint32_t duplicate_connections = 0;
  std::uint32_t messages = 0;
  double cpu_s = 0;  // parse time of its messages and MIKEY's crypto, every node
  // INVITE/ACK/BYE and their responses, split at the first BYE.
  ByteCount setup_bytes, teardown_bytes;
};

// One row of wire.csv (only with wire_trace).
struct WirePacket {
  double time;
  std::uint32_t link;
  std::uint32_t from_node;
  std::uint32_t ip_bytes;
  std::string protocol;  // udp, tcp, frag
  std::uint32_t payload;
  std::string tcp_flags;
  std::string first_line;
  std::string attribution;  // "im:3", "session:1", "registration:2", ""
};

class Collector {
 public:
  Collector(const RunConfig& config, const Topology& topology);

  // Connects the traces of every device, UA and proxy.
  void Attach(const std::vector<ns3::Ptr<ns3::SipUserAgent>>& uas,
              const std::vector<ns3::Ptr<ns3::SipProxy>>& proxies);

  // Adds the crypto CPU each operation costs to its IM or session.
  void AttachSecurity(ns3::Ptr<ns3::SipImSecurity> security);

  // Workload bookkeeping: which conversation an IM belongs to.
  void SetConversation(std::uint64_t im_id, std::int64_t conversation);
  // Called on every IM outcome (after the record is updated).
  void SetOutcomeListener(std::function<void(std::uint64_t)> listener) { on_outcome_ = std::move(listener); }
  // Called on every Drop any UA or proxy traces, in event order (after it
  // is counted): drops.csv streams its rows from here.
  void SetDropListener(std::function<void(const ns3::SipDropEvent&)> listener) { on_drop_ = std::move(listener); }
  bool HasOutcome(std::uint64_t im_id) const;
  // End of the run: control bytes still waiting for an owner become unattributed.
  void Finish();

  const std::vector<ImRecord>& ims() const { return ims_; }  // index = id (0 unused)
  const std::vector<SessionRecord>& sessions() const { return sessions_; }
  const ByteCount& registration_bytes() const { return registration_; }
  const ByteCount& unattributed_bytes() const { return unattributed_; }
  const ByteCount& untagged_payload_bytes() const { return untagged_; }
  double total_ip_bytes() const { return total_ip_bytes_; }
  std::uint64_t total_packets() const { return total_packets_; }
  std::uint64_t ims_sent() const { return ims_sent_; }
  std::uint64_t ims_with_outcome() const { return ims_with_outcome_; }
  std::uint64_t drops() const { return drops_; }
  std::uint64_t duplicate_deliveries() const { return duplicate_deliveries_; }
  std::uint64_t wire_messages() const { return wire_messages_; }
  // Messages attributed to a registration that node `node` received.
  std::uint64_t registration_rx(std::uint32_t node) const {
    auto it = registration_rx_.find(node);
    return it == registration_rx_.end() ? 0 : it->second;
  }
  // With wire_trace, called for every packet a device transmits, in event
  // order: wire.csv streams its rows from here (none is kept).
  void SetWireListener(std::function<void(const WirePacket&)> listener) { on_wire_ = std::move(listener); }
  // Anything the accounting found wrong in the models' reports.
  const std::vector<std::string>& anomalies() const { return anomalies_; }

  // Trace sinks (public so that bound callbacks can reach them).
  void OnMacTx(std::uint32_t link, std::uint32_t from_node, ns3::Ptr<const ns3::Packet> packet);
  void OnImSent(std::size_t ua, std::uint64_t im, const std::string& to, std::uint32_t bytes,
                ns3::SipImMode mode);
  void OnImRetransmitted(std::uint64_t im, std::uint32_t attempt, std::uint32_t bytes);
  void OnImDelivered(std::uint64_t im, const std::string& from, std::uint32_t bytes, std::uint32_t hops,
                     bool duplicate);
  void OnImOutcome(std::uint64_t im, ns3::SipImOutcome outcome, ns3::SipFailReason reason,
                   std::uint16_t status);
  void OnSession(std::size_t ua, std::uint64_t session, ns3::SipSessionEvent ev, const std::string& peer);
  void OnMediaConnection(std::uint64_t session, ns3::Ipv4Address local, std::uint16_t localPort,
                         ns3::Ipv4Address peer, std::uint16_t peerPort);
  void OnWire(bool rx, const ns3::SipWireEvent& ev);
  void OnDrop(const ns3::SipDropEvent& ev);
  void OnCrypto(const ns3::SipCryptoEvent& ev);

 private:
  // Part of a packet belonging to one attribution.
  struct Part {
    ns3::SipAttribution attr;
    double bytes;
  };
  using Composition = std::vector<Part>;
  struct Connection {
    Composition last_data[2];  // by direction: 0 = from the lower endpoint
    ByteCount pending;         // control segments before any data
    std::uint64_t session = 0;  // the session whose media it is (0: none known)
  };

  ImRecord& Im(std::uint64_t id);
  SessionRecord& Session(std::uint64_t id);
  ByteCount* Bucket(ns3::SipAttribution attr);  // nullptr for kNone
  void Charge(const Composition& parts, const ByteCount& packet);
  // Fills parts_ with the tagged payload bytes of `frame` past `header`
  // bytes, merged per owner; returns the bytes tagged.
  double TaggedParts(const ns3::Packet& frame, std::uint32_t header, std::uint32_t end);

  const RunConfig& config_;
  const Topology& topology_;
  std::vector<ImRecord> ims_;
  std::vector<SessionRecord> sessions_;
  ByteCount registration_, unattributed_, untagged_;
  // A TCP connection: (lower address:port, higher address:port), 48 bits each.
  struct ConnKey {
    std::uint64_t low, high;
    bool operator==(const ConnKey& o) const { return low == o.low && high == o.high; }
  };
  struct ConnKeyHash {
    std::size_t operator()(const ConnKey& k) const { return k.low * 0x9e3779b97f4a7c15ull ^ k.high; }
  };
  std::unordered_map<ConnKey, Connection, ConnKeyHash> connections_;
  std::function<void(std::uint64_t)> on_outcome_;
  std::function<void(const ns3::SipDropEvent&)> on_drop_;
  double total_ip_bytes_ = 0;
  std::uint64_t total_packets_ = 0;
  std::uint64_t ims_sent_ = 0, ims_with_outcome_ = 0, drops_ = 0, duplicate_deliveries_ = 0;
  std::uint64_t wire_messages_ = 0;
  std::unordered_map<std::uint32_t, std::uint64_t> registration_rx_;
  std::vector<std::string> anomalies_;
  std::function<void(const WirePacket&)> on_wire_;
  Composition parts_;  // scratch of OnMacTx (keeps its capacity)
};

}  // namespace sipim::run
