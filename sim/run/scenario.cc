#include "scenario.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>

#include "metrics.h"
#include "ns3/boolean.h"
#include "ns3/core-module.h"
#include "ns3/enum.h"
#include "ns3/ipv4.h"
#include "ns3/point-to-point-helper.h"
#include "ns3/pointer.h"
#include "ns3/sip/sip-helper.h"
#include "ns3/sip/sip-im-security.h"
#include "ns3/string.h"
#include "ns3/uinteger.h"
#include "security/deterministic_rand.h"
#include "security/wall_clock.h"
#include "topology.h"
#include "workload.h"
#ifdef SIPIM_RUN_HAVE_SCTP
#include "sctp/sctp-helper.h"
#endif
#include "writers.h"

namespace sipim::run {

using namespace ns3;

namespace {

// Simulated time 0 as a wall-clock instant (2026-01-01T00:00:00Z), for the
// crypto's clock: certificates, signing times, MIKEY timestamps.
constexpr std::int64_t kSimulationEpochUnixSeconds = 1767225600;

const char* ModeName(SipImMode m) {
  switch (m) {
    case SipImMode::kPager: return "pager";
    case SipImMode::kSessionStripped: return "session-stripped";
    case SipImMode::kSessionMsrp: return "session-msrp";
  }
  return "?";
}

SipTransportProtocol TransportOf(const std::string& name) {
  return name == "tcp" ? SipTransportProtocol::kTcp
         : name == "sctp" ? SipTransportProtocol::kSctp
                          : SipTransportProtocol::kUdp;
}

// -1 (empty in the CSV) for "never happened".
double Time0(double t) { return t < 0 ? NAN : t; }
double Delta(double from, double to) { return (from < 0 || to < 0) ? NAN : to - from; }

void ConfigureProxies(const RunConfig& c, SipProxyHelper* h) {
  h->SetAttribute("Transport", EnumValue(static_cast<int>(TransportOf(c.transport))));
  h->SetAttribute("RecordRoute", BooleanValue(c.record_route));
  h->SetAttribute("T1", TimeValue(Seconds(c.t1_s)));
  h->SetAttribute("T2", TimeValue(Seconds(c.t2_s)));
  h->SetAttribute("T4", TimeValue(Seconds(c.t4_s)));
  h->SetAttribute("TimerC", TimeValue(Seconds(c.timer_c_s)));
  h->SetAttribute("Mtu", UintegerValue(std::min(c.access.mtu, c.core.mtu)));
  h->SetAttribute("SwitchToTcpAboveMtu", BooleanValue(c.large_message == "switch-to-tcp"));
  h->SetAttribute("EnforceSizeLimit", BooleanValue(c.large_message == "reject"));
  h->SetAttribute("MessageSizeLimit", UintegerValue(c.message_size_limit));
  h->SetAttribute("SctpUnordered", BooleanValue(c.sctp_ordering == "unordered"));
  h->SetAttribute("SctpStreams", UintegerValue(c.sctp_streams));
  h->SetAttribute("SctpInterleaving", BooleanValue(c.sctp_interleaving));
}

void ConfigureUas(const RunConfig& c, SipUserAgentHelper* h) {
  h->SetAttribute("Transport", EnumValue(static_cast<int>(TransportOf(c.transport))));
  h->SetAttribute("MediaTransport", EnumValue(static_cast<int>(TransportOf(c.session_transport))));
  h->SetAttribute("Register", BooleanValue(c.register_uas));
  h->SetAttribute("LocalPort", UintegerValue(5060));
  h->SetAttribute("T1", TimeValue(Seconds(c.t1_s)));
  h->SetAttribute("T2", TimeValue(Seconds(c.t2_s)));
  h->SetAttribute("T4", TimeValue(Seconds(c.t4_s)));
  h->SetAttribute("Mtu", UintegerValue(c.access.mtu));
  h->SetAttribute("SwitchToTcpAboveMtu", BooleanValue(c.large_message == "switch-to-tcp"));
  h->SetAttribute("MessageSizeLimit", UintegerValue(c.message_size_limit));
  const SipUserAgent::SizeRule rule = c.large_message == "refuse"          ? SipUserAgent::SizeRule::kRefuse
                                      : c.large_message == "switch-to-tcp" ? SipUserAgent::SizeRule::kUseTcp
                                                                           : SipUserAgent::SizeRule::kViolate;
  h->SetAttribute("SizeRule", EnumValue(static_cast<int>(rule)));
  const SipUserAgent::ConnectionSetup setup = c.connection_setup == "active"    ? SipUserAgent::ConnectionSetup::kActive
                                              : c.connection_setup == "passive" ? SipUserAgent::ConnectionSetup::kPassive
                                                                                : SipUserAgent::ConnectionSetup::kBoth;
  h->SetAttribute("ConnectionSetup", EnumValue(static_cast<int>(setup)));
  h->SetAttribute("AnswerDelay", TimeValue(Seconds(c.answer_pause_s)));
  h->SetAttribute("MsrpSuccessReport", BooleanValue(c.msrp_success_report));
  h->SetAttribute("SctpUnordered", BooleanValue(c.sctp_ordering == "unordered"));
  h->SetAttribute("SctpStreams", UintegerValue(c.sctp_streams));
  h->SetAttribute("SctpInterleaving", BooleanValue(c.sctp_interleaving));
}

// Prints progress on stderr at most every two wall-clock seconds; checks
// once per simulated second while work remains.
struct Progress {
  const RunConfig* config;
  const PointLabel* label;
  const Workload* workload;
  const Collector* collector;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  void Tick() {
    if (workload->Done()) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last >= std::chrono::seconds(2)) {
      last = now;
      std::fprintf(stderr, "[sipim run %s] point %llu/%llu run %llu: t=%.1fs, %llu/%llu conversations, %llu IMs sent\n",
                   config->name.c_str(), (unsigned long long)label->point + 1, (unsigned long long)label->points,
                   (unsigned long long)config->run, Simulator::Now().GetSeconds(),
                   (unsigned long long)workload->conversations_finished(),
                   (unsigned long long)config->conversations, (unsigned long long)collector->ims_sent());
    }
    Simulator::Schedule(Seconds(1), &Progress::Tick, this);
  }
};

void WriteByteColumns(CsvWriter& w, const ByteCount& b) {
  w.Add(b.app).Add(b.transport).Add(b.ip).Add(b.acks).Add(b.packets).Add(b.fragments);
}

ByteCount Sum(const ByteCount& a, const ByteCount& b) {
  ByteCount s = a;
  s.AddShare(b, 1.0);
  return s;
}

// A node as nodes.csv and drops.csv name it (one UA per UA node).
struct NodeName {
  Ptr<Node> node;
  const char* role;  // proxy, router, ua
  std::string domain;
  std::string name;  // proxy.<domain>, core, <AOR>;device=<n>
};

// Every node, in nodes.csv's order: proxies, the core router, UAs. A name
// is made when asked for, not held: a run may have 100,000 UAs.
class NodeNames {
 public:
  NodeNames(const RunConfig& c, const Topology& topo, const std::vector<Ptr<SipUserAgent>>& uas)
      : domains_(c.domains), topo_(topo), uas_(uas) {
    for (std::size_t i = 0; i < size(); ++i) {
      const std::uint32_t id = Node(i)->GetId();
      if (id >= by_id_.size()) by_id_.resize(id + 1, size());
      by_id_[id] = i;
    }
  }
  std::size_t size() const { return domains_ + (topo_.core_router ? 1 : 0) + topo_.uas.size(); }
  NodeName Get(std::size_t i) const {
    if (i < domains_) return {Node(i), "proxy", topo_.domain_names[i], "proxy." + topo_.domain_names[i]};
    if (topo_.core_router && i == domains_) return {topo_.core_router, "router", "", "core"};
    const std::size_t u = i - domains_ - (topo_.core_router ? 1 : 0);
    return {Node(i), "ua", topo_.domain_names[topo_.uas[u].domain],
            uas_[u]->GetAor() + ";device=" + std::to_string(topo_.uas[u].device)};
  }
  // The index of node `id`; size() for a node not listed.
  std::size_t IndexOf(std::uint32_t id) const { return id < by_id_.size() ? by_id_[id] : size(); }

 private:
  Ptr<ns3::Node> Node(std::size_t i) const {
    if (i < domains_) return topo_.proxies.Get(static_cast<std::uint32_t>(i));
    if (topo_.core_router && i == domains_) return topo_.core_router;
    return topo_.uas[i - domains_ - (topo_.core_router ? 1 : 0)].node;
  }
  std::size_t domains_;
  const Topology& topo_;
  const std::vector<Ptr<SipUserAgent>>& uas_;
  std::vector<std::size_t> by_id_;  // node id -> index (size(): not listed)
};

// drops.csv: one row per Drop, written as it fires (event order), so that
// a run with many drops (an overloaded proxy) holds no row in memory.
class DropTable {
 public:
  DropTable(const std::string& path, const PointLabel& label, std::uint64_t run, const NodeNames& nodes)
      : csv_(path, DropColumns()), point_(label.point), run_(run), nodes_(nodes) {}
  void Add(const SipDropEvent& ev) {
    const std::size_t i = nodes_.IndexOf(ev.nodeId);
    const NodeName n = i < nodes_.size() ? nodes_.Get(i) : NodeName{nullptr, "", "", ""};
    csv_.Add(point_).Add(run_).Add(Simulator::Now().GetSeconds()).Add(ev.nodeId).Add(n.role).Add(n.name)
        .Add(ToString(ev.reason)).Add(ToString(ev.attr.kind));
    if (ev.attr.kind == SipAttributionKind::kNone) {
      csv_.Add(std::string_view());
    } else {
      csv_.Add(ev.attr.id);
    }
    csv_.Add(ev.bytes).Add(ev.detail).EndRow();
  }
  CsvWriter& csv() { return csv_; }

 private:
  CsvWriter csv_;
  std::uint64_t point_, run_;
  const NodeNames& nodes_;
};

// wire.csv (with wire_trace): one row per packet a device transmits,
// written as it goes out, so that a long traced run does not hold its
// packets in memory.
class WireTable {
 public:
  WireTable(const std::string& path, const PointLabel& label, std::uint64_t run, const Topology& topo)
      : csv_(path, {"point", "run", "time", "link", "link_name", "from_node", "protocol", "ip_bytes", "payload",
                    "tcp_flags", "first_line", "attribution"}),
        point_(label.point), run_(run), topo_(topo) {}
  void Add(const WirePacket& p) {
    csv_.Add(point_).Add(run_).Add(p.time).Add(p.link).Add(topo_.links[p.link].name).Add(p.from_node)
        .Add(p.protocol).Add(p.ip_bytes).Add(p.payload).Add(p.tcp_flags).Add(p.first_line).Add(p.attribution);
    csv_.EndRow();
  }
  CsvWriter& csv() { return csv_; }

 private:
  CsvWriter csv_;
  std::uint64_t point_, run_;
  const Topology& topo_;
};

}  // namespace

Ptr<SipImSecurity> MakeSecurity(const RunConfig& c) {
  if (c.security == "none") return nullptr;
  Ptr<SipImSecurity> s = CreateObject<SipImSecurity>();
  s->SetAttribute("Mode", EnumValue(c.security == "smime" ? kSecuritySmime : kSecurityMikey));
  s->SetAttribute("SmimeAlgorithm", EnumValue(c.smime_algorithm == "p256" ? 1 : 0));
  s->SetAttribute("SmimeCipher", EnumValue(c.smime_cipher == "aes128cbc" ? 1 : 0));
  s->SetAttribute("SmimeCertCache", BooleanValue(c.smime_cert_cache));
  const char* const modes[] = {"psk", "pke", "dh", "dhhmac", "ecdh-ext"};
  for (int m = 0; m < 5; ++m) {
    if (c.mikey_mode == modes[m]) s->SetAttribute("MikeyMode", EnumValue(m));
  }
  s->SetAttribute("SealSuite", EnumValue(static_cast<int>(c.seal_suite == "aescm-hmacsha1-80"
                                                              ? sipim::security::SealSuite::kAesCmHmacSha1_80
                                                              : sipim::security::SealSuite::kAes128Gcm)));
  return s;
}

std::string Accounting::ToString() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "accounting: %llu IMs sent = %llu delivered + %llu failed + %llu unfinished (stop_time) -> %s",
                (unsigned long long)sent, (unsigned long long)delivered, (unsigned long long)failed,
                (unsigned long long)unfinished, ok() ? "OK" : "MISMATCH");
  std::string s = buf;
  for (const auto& m : mismatches) s += "\n  mismatch: " + m;
  return s;
}

const std::vector<std::string>& ImColumns() {
  static const std::vector<std::string> c = {
      "point", "run", "im", "conversation", "mode", "transport", "size", "sender", "recipient",
      "send_time", "delivery_time", "latency", "outcome_time", "outcome", "reason", "status",
      "deliveries", "duplicates", "proxy_hops", "retransmissions", "messages", "app_bytes",
      "transport_bytes", "ip_bytes", "ack_bytes", "packets", "fragments", "cpu_s"};
  return c;
}

const std::vector<std::string>& SessionColumns() {
  static const std::vector<std::string> c = {
      "point", "run", "session", "caller", "peer", "invite_time", "setup_time", "connect_time",
      "bye_time", "teardown_time", "failed", "duplicate_connections", "messages", "setup_app_bytes",
      "setup_transport_bytes", "setup_ip_bytes", "setup_ack_bytes", "setup_packets", "setup_fragments",
      "teardown_app_bytes", "teardown_transport_bytes", "teardown_ip_bytes", "teardown_ack_bytes",
      "teardown_packets", "teardown_fragments", "cpu_s"};
  return c;
}

const std::vector<std::string>& NodeColumns() {
  static const std::vector<std::string> c = {"point", "run", "node", "role", "domain", "name",
                                             "messages_handled", "cpu_busy_s", "cpu_jobs", "cpu_wait_total_s",
                                             "cpu_wait_max_s", "uncalibrated_jobs"};
  return c;
}

const std::vector<std::string>& DropColumns() {
  static const std::vector<std::string> c = {"point", "run", "time", "node", "role", "name", "reason",
                                             "attribution_kind", "attribution_id", "bytes", "detail"};
  return c;
}

std::vector<std::string> SummaryColumns(const std::vector<std::string>& swept_keys) {
  std::vector<std::string> c = {"point", "run"};
  for (const char* k : {"mode", "transport", "session_transport"}) c.push_back(k);
  for (const auto& k : swept_keys) {
    if (std::find(c.begin(), c.end(), k) == c.end()) c.push_back(k);
  }
  for (const char* k :
       {"conversations", "ims_requested", "ims_sent", "delivered", "failed", "unfinished", "delivery_ratio",
        "received_ratio", "latency_mean", "latency_p50", "latency_p95", "latency_max", "duplicate_deliveries", "extra_deliveries",
        "failed_reasons", "sessions", "sessions_failed", "duplicate_connections", "im_app_bytes",
        "im_transport_bytes", "im_ip_bytes", "im_ack_bytes", "im_packets", "im_fragments", "session_setup_ip_bytes",
        "session_teardown_ip_bytes", "session_ip_bytes", "registration_ip_bytes", "unattributed_ip_bytes",
        "total_ip_bytes", "total_packets", "ip_bytes_per_im", "app_bytes_per_im", "session_setup_time_mean",
        "retransmissions", "sip_messages", "proxy_messages_handled", "proxy_messages_per_im",
        "proxy_cpu_busy_s", "im_cpu_s", "drops", "uncalibrated_jobs", "sim_time", "accounting"}) {
    c.push_back(k);
  }
  return c;
}

Accounting RunPoint(const RunConfig& c, const PointLabel& label, const std::string& dir, double* wall_s,
                    long* peak_rss_kb) {
  const auto wall_start = std::chrono::steady_clock::now();
  RngSeedManager::SetSeed(static_cast<std::uint32_t>(c.seed));
  RngSeedManager::SetRun(c.run);
  // The crypto is real and draws random bytes (keys, CMS content keys, MIKEY
  // RANDs, ECDSA nonces, on which a P-256 signature's length depends): they
  // come from (seed, run) too, so that the point repeats byte for byte.
  auto openssl_random = sipim::security::DeterministicRandom::Install(c.seed, c.run);
  if (!openssl_random.ok()) throw std::runtime_error(openssl_random.error().ToString());
  // And the crypto's wall clock (signing times, MIKEY timestamps, certificate
  // validity) is simulated time, from a fixed epoch, not the host's clock.
  const sipim::security::ScopedWallClock simulated_clock([] {
    return std::chrono::system_clock::time_point(std::chrono::seconds(kSimulationEpochUnixSeconds)) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(
               std::chrono::nanoseconds(Simulator::Now().GetNanoSeconds()));
  });
  SipResetIdCounters();
  // TCP segments fill the path MTU (IP 20 + TCP 20 + timestamps 12 bytes of
  // headers), not ns-3's 536-byte default, as a real stack would.
  Config::SetDefault("ns3::TcpSocket::SegmentSize",
                     UintegerValue(std::min(c.access.mtu, c.core.mtu) - 52));

  Topology topo = BuildTopology(c);
  if (c.transport == "sctp" || c.session_transport == "sctp") {
#ifdef SIPIM_RUN_HAVE_SCTP
    SctpHelper sctp;
    sctp.Install(topo.all_nodes);
#else
    throw std::runtime_error("this build has no SCTP model (models/ns3/sctp)");
#endif
  }
  Ptr<CpuCalibration> calibration = Create<CpuCalibration>();
  if (c.cpu && !c.cpu_live) {
    std::string error;
    // RunScenario checked it before any point started; a directory changed
    // since then must not turn into a run at zero CPU cost.
    if (!calibration->LoadDirectory(c.calibration_dir, &error)) {
      throw std::runtime_error("CPU calibration cannot be loaded: " + error);
    }
  }
  // Security: a missing cost row would make it look free. RunScenario
  // refused such a scenario before any point started; checked again here.
  Ptr<SipImSecurity> security = MakeSecurity(c);
  if (security && c.cpu && !c.cpu_live) {
    std::string error;
    if (!security->CheckCalibration(*calibration, &error)) throw std::runtime_error(error);
  }
  SipStackHelper stack;
  stack.SetCalibration(calibration);
  stack.SetCpuAttribute("Live", BooleanValue(c.cpu_live));
  stack.Install(topo.all_nodes);

  SipProxyHelper proxy_helper;
  ConfigureProxies(c, &proxy_helper);
  std::vector<Ptr<SipProxy>> proxies;
  for (std::uint32_t d = 0; d < c.domains; ++d) {
    proxies.push_back(proxy_helper.Install(topo.proxies.Get(d), topo.domain_names[d]));
  }
  SipProxyHelper::Peer(proxies, topo.proxy_addresses);

  SipUserAgentHelper ua_helper;
  ConfigureUas(c, &ua_helper);
  if (security) ua_helper.SetAttribute("Security", PointerValue(security));
  // UAs start (and register) spread over the first half of start_time, so
  // that registration is not one burst.
  Ptr<UniformRandomVariable> jitter = CreateObject<UniformRandomVariable>();
  jitter->SetStream((1 << 20) + 10);
  std::vector<Ptr<SipUserAgent>> uas;
  uas.reserve(topo.uas.size());
  for (const UaPlace& place : topo.uas) {
    const std::string aor = "sip:" + UserName(place.domain, place.user) + "@" + topo.domain_names[place.domain];
    if (security && !security->HasUser(aor)) {
      // The PKI is made at set-up, not when the first IM needs it.
      std::string error;
      if (!security->AddUser(aor, &error)) throw std::runtime_error("security set-up: " + error);
    }
    ua_helper.SetStartTime(Seconds(jitter->GetValue(0, c.start_time_s / 2)));
    uas.push_back(ua_helper.Install(place.node, aor, topo.proxy_addresses[place.domain]));
    if (!c.register_uas) {
      const Ipv4Address addr = place.node->GetObject<Ipv4>()->GetAddress(1, 0).GetLocal();
      proxies[place.domain]->AddStaticBinding(aor, addr, 5060, TransportOf(c.transport));
    }
  }

  std::filesystem::create_directories(dir);
  Collector collector(c, topo);
  const NodeNames node_names(c, topo, uas);
  DropTable drops(dir + "/drops.csv", label, c.run, node_names);
  collector.SetDropListener([&drops](const SipDropEvent& ev) { drops.Add(ev); });
  std::unique_ptr<WireTable> wire;
  if (c.wire_trace) {
    wire = std::make_unique<WireTable>(dir + "/wire.csv", label, c.run, topo);
    collector.SetWireListener([&wire](const WirePacket& p) { wire->Add(p); });
  }
  collector.Attach(uas, proxies);
  if (security) collector.AttachSecurity(security);
  Workload workload(c, topo, uas, collector);
  // Once the last conversation is over, let BYEs, retransmissions and
  // timers run out (64*T1, RFC 3261 timer F), then stop.
  workload.SetDoneListener([&c]() { Simulator::Stop(Seconds(64 * c.t1_s)); });
  workload.Start();
  Simulator::Stop(Seconds(c.stop_time_s));

  if (c.pcap) {
    std::filesystem::create_directories(dir + "/pcap");
    PointToPointHelper p2p;
    for (const auto& link : topo.links) {
      p2p.EnablePcap(dir + "/pcap/" + link.name + ".pcap", link.devices.Get(0), false, true);
    }
  }
  Progress progress{&c, &label, &workload, &collector};
  if (c.progress) Simulator::Schedule(Seconds(1), &Progress::Tick, &progress);

  Simulator::Run();
  collector.Finish();
  collector.SetDropListener(nullptr);  // drops.csv and wire.csv are of the run only
  collector.SetWireListener(nullptr);
  const double sim_time = Simulator::Now().GetSeconds();

  // Per IM.
  Accounting acc;
  acc.requested = workload.ims_requested();
  acc.sent = collector.ims_sent();
  acc.link_packets = collector.total_packets();
  acc.link_bytes = collector.total_ip_bytes();
  for (const auto& a : collector.anomalies()) acc.mismatches.push_back(a);
  if (drops.csv().rows() != collector.drops()) {
    acc.mismatches.push_back("drops.csv has " + std::to_string(drops.csv().rows()) + " rows for " +
                             std::to_string(collector.drops()) + " drops");
  }
  if (acc.requested != acc.sent) {
    acc.mismatches.push_back(std::to_string(acc.requested) + " IMs handed to UAs but " + std::to_string(acc.sent) +
                             " reported sent");
  }
  const std::string transport = c.mode == "pager" ? c.transport : c.session_transport;
  CsvWriter ims(dir + "/ims.csv", ImColumns());
  std::vector<double> latencies;
  std::map<std::string, std::uint64_t> reasons;
  ByteCount im_total;
  std::uint64_t received = 0, retransmissions = 0, extra_deliveries = 0;
  double im_cpu = 0;
  for (const ImRecord& r : collector.ims()) {
    if (r.id == 0) continue;
    if (r.send_time < 0) {
      acc.mismatches.push_back("IM " + std::to_string(r.id) + " has events but was never sent");
      continue;
    }
    std::string outcome, reason;
    if (r.outcomes == 0) {
      ++acc.unfinished;
      outcome = "unfinished";
      reason = "stop_time";
    } else if (r.outcome == SipImOutcome::kDelivered) {
      ++acc.delivered;
      outcome = "delivered";
      if (r.deliveries == 0) {
        acc.mismatches.push_back("IM " + std::to_string(r.id) + " reported delivered but no UA received it");
      }
    } else {
      ++acc.failed;
      outcome = "failed";
      reason = ToString(r.reason);
      if (r.status != 0) reason += "-" + std::to_string(r.status);  // e.g. final-response-408
      if (r.reason == SipFailReason::kNone) {
        acc.mismatches.push_back("IM " + std::to_string(r.id) + " failed without a reason");
      }
    }
    if (!reason.empty()) ++reasons[reason];
    if (r.deliveries > 0) ++received;
    if (r.deliveries > 1) extra_deliveries += r.deliveries - 1;  // forked copies
    const double latency = Delta(r.send_time, r.first_delivery);
    // The summary's latency is that of delivered IMs: a failed IM that
    // reached its recipient anyway (after its sender's timer F, say) keeps
    // its latency in ims.csv only.
    if (!std::isnan(latency) && outcome == "delivered") latencies.push_back(latency);
    im_total.AddShare(r.bytes, 1.0);
    retransmissions += r.retransmissions;
    im_cpu += r.cpu_s;
    ims.Add(label.point).Add(c.run).Add(r.id).Add(r.conversation).Add(ModeName(r.mode)).Add(transport)
        .Add(r.body_bytes).Add(topo.uas.empty() || r.sender < 0 ? std::string() : uas[r.sender]->GetAor())
        .Add(r.to).Add(r.send_time).Add(Time0(r.first_delivery)).Add(latency).Add(Time0(r.outcome_time))
        .Add(outcome).Add(reason).Add(std::uint32_t{r.status}).Add(r.deliveries).Add(r.duplicates)
        .Add(r.proxy_hops).Add(r.retransmissions).Add(r.messages);
    WriteByteColumns(ims, r.bytes);
    ims.Add(r.cpu_s).EndRow();
  }
  if (acc.sent != acc.delivered + acc.failed + acc.unfinished) {
    acc.mismatches.push_back("sent != delivered + failed + unfinished");
  }

  // Per session.
  CsvWriter sessions(dir + "/sessions.csv", SessionColumns());
  ByteCount setup_total, teardown_total;
  std::uint64_t n_sessions = 0, sessions_failed = 0, duplicate_connections = 0;
  double setup_time_sum = 0;
  std::uint64_t setup_time_n = 0;
  for (const SessionRecord& s : collector.sessions()) {
    if (s.id == 0) continue;
    ++n_sessions;
    if (s.failed >= 0) ++sessions_failed;
    duplicate_connections += s.duplicate_connections;
    setup_total.AddShare(s.setup_bytes, 1.0);
    teardown_total.AddShare(s.teardown_bytes, 1.0);
    const double setup_time = Delta(s.invite_sent, s.established);
    if (!std::isnan(setup_time)) {
      setup_time_sum += setup_time;
      ++setup_time_n;
    }
    sessions.Add(label.point).Add(c.run).Add(s.id).Add(s.caller < 0 ? std::string() : uas[s.caller]->GetAor())
        .Add(s.peer).Add(Time0(s.invite_sent)).Add(setup_time).Add(Delta(s.invite_sent, s.connected))
        .Add(Time0(s.bye_sent)).Add(Delta(s.bye_sent, s.closed)).Add(s.failed >= 0 ? 1 : 0)
        .Add(s.duplicate_connections).Add(s.messages);
    WriteByteColumns(sessions, s.setup_bytes);
    WriteByteColumns(sessions, s.teardown_bytes);
    sessions.Add(s.cpu_s).EndRow();
  }

  // Per node.
  CsvWriter nodes(dir + "/nodes.csv", NodeColumns());
  std::uint64_t proxy_handled = 0, uncalibrated = 0;
  double proxy_busy = 0;
  for (std::size_t i = 0; i < node_names.size(); ++i) {
    const NodeName n = node_names.Get(i);
    Ptr<NodeCpu> cpu = n.node->GetObject<NodeCpu>();
    if (i < c.domains) {  // a proxy: the messages it handled for IMs and sessions, not registrations
      proxy_handled += cpu ? cpu->GetMessagesHandled() - collector.registration_rx(n.node->GetId()) : 0;
      proxy_busy += cpu ? cpu->GetBusyTime().GetSeconds() : 0;
    }
    nodes.Add(label.point).Add(c.run).Add(n.node->GetId()).Add(n.role).Add(n.domain).Add(n.name);
    if (cpu) {
      nodes.Add(cpu->GetMessagesHandled()).Add(cpu->GetBusyTime().GetSeconds()).Add(cpu->GetJobs())
          .Add(cpu->GetTotalWait().GetSeconds()).Add(cpu->GetMaxWait().GetSeconds()).Add(cpu->GetUncalibratedJobs());
      uncalibrated += cpu->GetUncalibratedJobs();
    } else {
      nodes.Add(std::uint64_t{0}).Add(0.0).Add(std::uint64_t{0}).Add(0.0).Add(0.0).Add(std::uint64_t{0});
    }
    nodes.EndRow();
  }

  // Bytes must add up to every byte on every link.
  const ByteCount sessions_total = Sum(setup_total, teardown_total);
  const double attributed = im_total.ip + sessions_total.ip + collector.registration_bytes().ip +
                            collector.unattributed_bytes().ip;
  if (std::fabs(attributed - collector.total_ip_bytes()) > 1e-6 * std::max(1.0, collector.total_ip_bytes())) {
    acc.mismatches.push_back("bytes: attributed " + FormatNumber(attributed) + " != on the links " +
                             FormatNumber(collector.total_ip_bytes()));
  }

  // Summary (one row).
  std::vector<std::string> swept_keys;
  for (const auto& kv : label.swept) swept_keys.push_back(kv.first);
  CsvWriter summary(dir + "/summary.csv", SummaryColumns(swept_keys));
  summary.Add(label.point).Add(c.run).Add(c.mode).Add(c.transport).Add(c.session_transport);
  for (const auto& kv : label.swept) {
    if (kv.first != "mode" && kv.first != "transport" && kv.first != "session_transport") summary.Add(kv.second);
  }
  std::sort(latencies.begin(), latencies.end());
  auto quantile = [&](double q) { return NearestRankQuantile(latencies, q); };
  double latency_sum = 0;
  for (double l : latencies) latency_sum += l;
  std::string reason_text;
  for (const auto& [r, n] : reasons) reason_text += (reason_text.empty() ? "" : ";") + r + ":" + std::to_string(n);
  const double sent = static_cast<double>(acc.sent);
  const double total_im_ip = im_total.ip + sessions_total.ip;
  summary.Add(c.conversations).Add(acc.requested).Add(acc.sent).Add(acc.delivered).Add(acc.failed)
      .Add(acc.unfinished).Add(sent > 0 ? acc.delivered / sent : NAN).Add(sent > 0 ? received / sent : NAN)
      .Add(latencies.empty() ? NAN : latency_sum / latencies.size()).Add(quantile(0.5)).Add(quantile(0.95))
      .Add(latencies.empty() ? NAN : latencies.back()).Add(collector.duplicate_deliveries()).Add(extra_deliveries).Add(reason_text)
      .Add(n_sessions).Add(sessions_failed).Add(duplicate_connections).Add(im_total.app).Add(im_total.transport)
      .Add(im_total.ip).Add(im_total.acks).Add(im_total.packets).Add(im_total.fragments).Add(setup_total.ip)
      .Add(teardown_total.ip).Add(sessions_total.ip).Add(collector.registration_bytes().ip)
      .Add(collector.unattributed_bytes().ip).Add(collector.total_ip_bytes()).Add(collector.total_packets())
      .Add(sent > 0 ? total_im_ip / sent : NAN).Add(sent > 0 ? (im_total.app + sessions_total.app) / sent : NAN)
      .Add(setup_time_n ? setup_time_sum / setup_time_n : NAN).Add(retransmissions).Add(collector.wire_messages())
      .Add(proxy_handled).Add(sent > 0 ? proxy_handled / sent : NAN).Add(proxy_busy).Add(im_cpu)
      .Add(collector.drops()).Add(uncalibrated).Add(sim_time).Add(acc.ok() ? "ok" : "mismatch");
  summary.EndRow();

  if (!ims.ok() || !sessions.ok() || !nodes.ok() || !summary.ok() || !drops.csv().ok() ||
      (wire && !wire->csv().ok())) {
    acc.mismatches.push_back("could not write the tables under " + dir);
  }

  Simulator::Destroy();
  *wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  *peak_rss_kb = usage.ru_maxrss;
  return acc;
}

}  // namespace sipim::run
