// Simulation benchmarks.
//
// BM_PagerVsBareNs3/N: N pager IMs from Dan to Shirley over the paper's
//   topology (Dan - home.com - office.com - Shirley), the whole `sipim run`
//   point (models, metrics, CSVs) timed; in the same iteration, bare ns-3
//   (UdpClient/UdpServer, no SIP) moves the same number of packets of the
//   same mean size over the same topology. Counters: IMs per wall second,
//   ns per packet transmitted on a link for each, and their ratio.
// BM_ModelsVsBareNs3/N: the same comparison without the `sipim run`
//   harness (no metrics collector, no CSVs): the models alone (UAs,
//   proxies, CPU with the calibration) send N pager IMs Dan -> Shirley over
//   the same topology, then bare ns-3 moves the same number of link packets
//   of the same mean size. Isolates the models' cost per packet from the
//   harness's bookkeeping, which BM_PagerVsBareNs3 includes.
// Both report `ratio` (wall clock, the headline) and `ratio_cpu`, the same
// quotient from each side's thread CPU time, which other processes on a
// shared machine do not inflate.
// BM_Scale/UAS/IMS: UAS user agents in 100 domains, each sending IMS IMs;
//   wall time, IMs per second and the process's peak RSS (getrusage).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "config.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/point-to-point-net-device.h"
#include "ns3/rng-stream.h"
#include "ns3/sip/sip-helper.h"
#include "ns3/udp-client-server-helper.h"
#include "options.h"
#include "scenario.h"
#include "topology.h"

namespace {

using namespace sipim::run;

RunConfig MakeConfig(const std::map<std::string, std::string>& overrides) {
  PointValues values;
  for (const auto& spec : OptionTable()) values[spec.key] = spec.default_value;
  values["name"] = "bench";
  values["progress"] = "false";
  values["calibration"] = std::string(SIPIM_SOURCE_DIR) + "/results/calibration";
  for (const auto& [k, v] : overrides) values[k] = v;
  RunConfig c;
  if (auto error = BuildConfig(values, &c)) {
    std::fprintf(stderr, "bench_sim: %s\n", error->c_str());
    std::abort();
  }
  return c;
}

std::string TempDir(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("sipim-bench-") + name)).string();
}

// Pays ns-3's once-per-process costs before anything is timed, so that
// neither side of a comparison pays them for the other: the first random
// stream created with a stream number above 0 builds MRG32k3a's table of
// matrix powers (about 41 M instructions, once). Building an RngStream
// directly uses no automatic stream number, so the runs that follow are
// the same as without it.
void WarmUpProcess() {
  static const bool done = [] {
    ns3::RngStream warm(1, 1, 0);
    return warm.RandU01() >= 0;
  }();
  (void)done;
}

double WallSince(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// CPU time of this thread: unlike wall time, not inflated while other
// processes hold the (shared) cores. Reported beside the wall-clock ratio.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::uint64_t g_bare_packets = 0;
void CountPacket(ns3::Ptr<const ns3::Packet>) { ++g_bare_packets; }

// Link transmissions (packets and bytes) of a models-only run.
struct LinkCount {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};
void CountLink(LinkCount* n, ns3::Ptr<const ns3::Packet> p) {
  ++n->packets;
  n->bytes += p->GetSize();
}

// Bare ns-3 over the same topology: UdpClient Dan -> Shirley and Shirley ->
// Dan, `each` packets of `size` bytes every `interval`, both ways at once.
// Returns the packets transmitted on all links.
std::uint64_t RunBare(const RunConfig& c, std::uint32_t each, std::uint32_t size, double interval) {
  using namespace ns3;
  g_bare_packets = 0;
  Topology topo = BuildTopology(c);
  for (const auto& link : topo.links) {
    for (std::uint32_t i = 0; i < 2; ++i) {
      link.devices.Get(i)->TraceConnectWithoutContext("MacTx", MakeCallback(&CountPacket));
    }
  }
  Ptr<Node> dan = topo.uas.front().node, shirley = topo.uas.back().node;
  const Ipv4Address dan_addr = dan->GetObject<Ipv4>()->GetAddress(1, 0).GetLocal();
  const Ipv4Address shirley_addr = shirley->GetObject<Ipv4>()->GetAddress(1, 0).GetLocal();
  UdpServerHelper server(9);
  ApplicationContainer servers = server.Install(NodeContainer(dan, shirley));
  for (auto [from, to] : {std::pair{dan, shirley_addr}, std::pair{shirley, dan_addr}}) {
    UdpClientHelper client(to, 9);
    client.SetAttribute("MaxPackets", UintegerValue(each));
    client.SetAttribute("Interval", TimeValue(Seconds(interval)));
    client.SetAttribute("PacketSize", UintegerValue(size));
    client.Install(from).Start(Seconds(1));
  }
  Simulator::Run();
  Simulator::Destroy();
  return g_bare_packets;
}

void BM_PagerVsBareNs3(benchmark::State& state) {
  const std::uint64_t ims = static_cast<std::uint64_t>(state.range(0));
  const RunConfig c = MakeConfig({{"messages_per_conversation", std::to_string(ims)},
                                  {"think_time", "1ms"},
                                  {"think_distribution", "constant"},
                                  {"message_size", "100"}});
  const std::string dir = TempDir("pager");
  WarmUpProcess();
  double sipim_s = 0, bare_s = 0, sipim_cpu = 0, bare_cpu = 0;
  std::uint64_t sipim_packets = 0, bare_packets = 0, delivered = 0;
  for (auto _ : state) {
    double wall = 0;
    long rss = 0;
    auto t0 = std::chrono::steady_clock::now();
    double c0 = ThreadCpuSeconds();
    const Accounting acc = RunPoint(c, PointLabel{}, dir, &wall, &rss);
    sipim_s += WallSince(t0);
    sipim_cpu += ThreadCpuSeconds() - c0;
    sipim_packets += acc.link_packets;
    delivered += acc.delivered;
    // The same packets: as many link transmissions, of the IMs' mean size,
    // half each way (requests and responses), at the IMs' pace.
    const std::uint64_t ip_packets_per_direction = acc.link_packets / 2 / 3;  // 3 links Dan..Shirley
    t0 = std::chrono::steady_clock::now();
    c0 = ThreadCpuSeconds();
    const double mean_ip = acc.link_bytes / static_cast<double>(acc.link_packets);
    bare_packets += RunBare(c, static_cast<std::uint32_t>(ip_packets_per_direction),
                            static_cast<std::uint32_t>(mean_ip) - 28, 0.001);
    bare_s += WallSince(t0);
    bare_cpu += ThreadCpuSeconds() - c0;
  }
  std::filesystem::remove_all(dir);
  const double n = static_cast<double>(state.iterations());
  state.counters["ims_per_s"] = benchmark::Counter(static_cast<double>(delivered) / sipim_s);
  state.counters["sipim_ns_per_pkt"] = benchmark::Counter(1e9 * sipim_s / static_cast<double>(sipim_packets));
  state.counters["bare_ns_per_pkt"] = benchmark::Counter(1e9 * bare_s / static_cast<double>(bare_packets));
  state.counters["bare_pkts_per_s"] = benchmark::Counter(static_cast<double>(bare_packets) / bare_s);
  state.counters["ratio"] = benchmark::Counter((sipim_s / static_cast<double>(sipim_packets)) /
                                               (bare_s / static_cast<double>(bare_packets)));
  // The same ratio from thread CPU time (robust to other processes on the machine).
  state.counters["ratio_cpu"] = benchmark::Counter((sipim_cpu / static_cast<double>(sipim_packets)) /
                                                   (bare_cpu / static_cast<double>(bare_packets)));
  state.counters["pkts_per_run"] = benchmark::Counter(static_cast<double>(sipim_packets) / n);
}
BENCHMARK(BM_PagerVsBareNs3)->Arg(2000)->Arg(20000)->Unit(benchmark::kMillisecond)->UseRealTime();

// The models alone over the paper's topology: Dan sends `ims` pager IMs of
// 100 bytes to Shirley, one per millisecond, with registration and the
// calibrated CPU as in `sipim run`. Returns the link transmissions.
LinkCount RunModels(const RunConfig& c, std::uint64_t ims) {
  using namespace ns3;
  SipResetIdCounters();
  Topology topo = BuildTopology(c);
  LinkCount count;
  for (const auto& link : topo.links) {
    for (std::uint32_t i = 0; i < 2; ++i) {
      link.devices.Get(i)->TraceConnectWithoutContext("MacTx", MakeBoundCallback(&CountLink, &count));
    }
  }
  Ptr<CpuCalibration> calibration = Create<CpuCalibration>();
  std::string error;
  if (!calibration->LoadDirectory(c.calibration_dir, &error)) {
    std::fprintf(stderr, "bench_sim: calibration: %s\n", error.c_str());
    std::abort();
  }
  SipStackHelper stack;
  stack.SetCalibration(calibration);
  stack.Install(topo.all_nodes);
  SipProxyHelper proxy_helper;
  std::vector<Ptr<SipProxy>> proxies;
  for (std::uint32_t d = 0; d < 2; ++d) proxies.push_back(proxy_helper.Install(topo.proxies.Get(d), topo.domain_names[d]));
  SipProxyHelper::Peer(proxies, topo.proxy_addresses);
  SipUserAgentHelper ua_helper;
  ua_helper.SetAttribute("LocalPort", UintegerValue(5060));
  const std::string shirley_aor = "shirley@" + topo.domain_names[1];
  Ptr<SipUserAgent> dan = ua_helper.Install(topo.uas.front().node, "sip:dan@" + topo.domain_names[0], topo.proxy_addresses[0]);
  ua_helper.Install(topo.uas.back().node, "sip:" + shirley_aor, topo.proxy_addresses[1]);
  for (std::uint64_t i = 0; i < ims; ++i) {
    Simulator::Schedule(Seconds(1) + MilliSeconds(static_cast<int64_t>(i)),
                        [dan, shirley_aor]() { dan->SendIm(shirley_aor, 100, SipImMode::kPager); });
  }
  // Timer J (64*T1) and K have run out by then.
  Simulator::Stop(Seconds(1) + MilliSeconds(static_cast<int64_t>(ims)) + Seconds(40));
  Simulator::Run();
  Simulator::Destroy();
  return count;
}

void BM_ModelsVsBareNs3(benchmark::State& state) {
  const std::uint64_t ims = static_cast<std::uint64_t>(state.range(0));
  const RunConfig c = MakeConfig({});
  WarmUpProcess();
  double models_s = 0, bare_s = 0, models_cpu = 0, bare_cpu = 0;
  std::uint64_t models_packets = 0, bare_packets = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    double c0 = ThreadCpuSeconds();
    const LinkCount n = RunModels(c, ims);
    models_s += WallSince(t0);
    models_cpu += ThreadCpuSeconds() - c0;
    models_packets += n.packets;
    // The same packets as in BM_PagerVsBareNs3: as many link transmissions
    // of the mean IP size, half each way, at the IMs' pace.
    const double mean_ip = static_cast<double>(n.bytes) / static_cast<double>(n.packets);
    t0 = std::chrono::steady_clock::now();
    c0 = ThreadCpuSeconds();
    bare_packets += RunBare(c, static_cast<std::uint32_t>(n.packets / 2 / 3), static_cast<std::uint32_t>(mean_ip) - 28, 0.001);
    bare_s += WallSince(t0);
    bare_cpu += ThreadCpuSeconds() - c0;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["ims_per_s"] = benchmark::Counter(n * static_cast<double>(ims) / models_s);
  state.counters["models_ns_per_pkt"] = benchmark::Counter(1e9 * models_s / static_cast<double>(models_packets));
  state.counters["bare_ns_per_pkt"] = benchmark::Counter(1e9 * bare_s / static_cast<double>(bare_packets));
  state.counters["ratio"] = benchmark::Counter((models_s / static_cast<double>(models_packets)) /
                                               (bare_s / static_cast<double>(bare_packets)));
  state.counters["ratio_cpu"] = benchmark::Counter((models_cpu / static_cast<double>(models_packets)) /
                                                   (bare_cpu / static_cast<double>(bare_packets)));
  state.counters["pkts_per_run"] = benchmark::Counter(static_cast<double>(models_packets) / n);
}
BENCHMARK(BM_ModelsVsBareNs3)->Arg(2000)->Arg(20000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Scale(benchmark::State& state) {
  const std::uint64_t uas = static_cast<std::uint64_t>(state.range(0));
  const std::uint64_t per_ua = static_cast<std::uint64_t>(state.range(1));
  const std::uint64_t domains = uas >= 100 ? 100 : 2;
  const RunConfig c = MakeConfig({{"domains", std::to_string(domains)},
                                  {"users_per_domain", std::to_string(uas / domains)},
                                  {"conversations", std::to_string(uas)},
                                  {"concurrent", std::to_string(uas)},
                                  {"messages_per_conversation", std::to_string(per_ua)},
                                  {"think_time", "1s"},
                                  {"start_time", "2s"}});
  const std::string dir = TempDir("scale");
  WarmUpProcess();
  Accounting acc;
  double seconds = 0;
  for (auto _ : state) {
    double wall = 0;
    long rss = 0;
    const auto t0 = std::chrono::steady_clock::now();
    acc = RunPoint(c, PointLabel{}, dir, &wall, &rss);
    seconds = WallSince(t0);
  }
  std::filesystem::remove_all(dir);
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  state.counters["ims_sent"] = benchmark::Counter(static_cast<double>(acc.sent));
  state.counters["delivered"] = benchmark::Counter(static_cast<double>(acc.delivered));
  state.counters["failed"] = benchmark::Counter(static_cast<double>(acc.failed + acc.unfinished));
  state.counters["ims_per_s"] = benchmark::Counter(static_cast<double>(acc.sent) / seconds);
  state.counters["link_pkts_per_s"] = benchmark::Counter(static_cast<double>(acc.link_packets) / seconds);
  state.counters["peak_rss_MiB"] = benchmark::Counter(static_cast<double>(usage.ru_maxrss) / 1024.0);
  state.counters["accounting_ok"] = benchmark::Counter(acc.ok() ? 1 : 0);
}
BENCHMARK(BM_Scale)->Args({1000, 100})->Args({10000, 100})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
