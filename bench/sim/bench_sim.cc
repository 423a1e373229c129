// Simulation benchmarks.
//
// BM_PagerVsBareNs3/N: N pager IMs from Dan to Shirley over the paper's
//   topology (Dan - home.com - office.com - Shirley), the whole `sipim run`
//   point (models, metrics, CSVs) timed; in the same iteration, bare ns-3
//   (UdpClient/UdpServer, no SIP) moves the same number of packets of the
//   same mean size over the same topology, twice: hop by hop, between the
//   same nodes as the SIP messages (the headline baseline), and end to end
//   with IP forwarding in the proxies. Counters: IMs per wall second, ns per
//   packet transmitted on a link for each, and their ratios.
// BM_ModelsVsBareNs3/N: the same comparison without the `sipim run`
//   harness (no metrics collector, no CSVs): the models alone (UAs,
//   proxies, CPU with the calibration) send N pager IMs Dan -> Shirley over
//   the same topology, then bare ns-3 moves the same number of link packets
//   of the same mean size. Isolates the models' cost per packet from the
//   harness's bookkeeping, which BM_PagerVsBareNs3 includes.
// Each iteration times both sides, alternating which runs first.
// Both report `ratio` (wall clock, against bare ns-3 hop by hop: the
// headline) and `ratio_cpu`, the same quotient from each side's thread CPU
// time, which other processes on a shared machine do not inflate; and
// `ratio_ipfwd`, `ratio_ipfwd_cpu` against the IP-forwarding baseline.
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
#include "benchmark_main.h"

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
// neither side of a comparison pays them for the other:
// - the first random stream created with a stream number above 0 builds
//   MRG32k3a's table of matrix powers (about 41 M instructions, once).
//   Building an RngStream directly uses no automatic stream number, so the
//   runs that follow are the same as without it;
// - until the first Simulator::Run, ns-3 records every Time object built
//   in a std::set (for a later change of resolution), about 3 M
//   instructions for the events a 2000-IM run schedules before it starts.
//   An empty run ends that.
void WarmUpProcess() {
  static const bool done = [] {
    ns3::RngStream warm(1, 1, 0);
    ns3::Simulator::Run();
    ns3::Simulator::Destroy();
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

// How bare ns-3 moves the packets a SIP run put on the links.
enum class BarePath {
  // As the SIP models do: on each of the three links, a UdpClient on one end
  // sends to a UdpServer on the other, both ways, so every packet crosses one
  // link between the same two nodes, with the same IP source and destination
  // as the SIP message on that link. (The issue's reference figure, bare
  // ns-3's packets per second, is for one point-to-point link.)
  kHopByHop,
  // End to end: UdpClient Dan -> Shirley and back, the proxies forwarding at
  // the IP layer. Cheaper per link packet than any application-level proxy
  // can be, since nothing goes up the stack in the middle.
  kIpForwarding,
};

// Bare ns-3 over the same topology: each flow sends `each` packets of `size`
// bytes every `interval`, all flows at once. Returns the packets transmitted
// on all links.
std::uint64_t RunBare(const RunConfig& c, BarePath path, std::uint32_t each, std::uint32_t size, double interval) {
  using namespace ns3;
  g_bare_packets = 0;
  Topology topo = BuildTopology(c);
  for (const auto& link : topo.links) {
    for (std::uint32_t i = 0; i < 2; ++i) {
      link.devices.Get(i)->TraceConnectWithoutContext("MacTx", MakeCallback(&CountPacket));
    }
  }
  const auto ua_address = [](Ptr<Node> n) { return n->GetObject<Ipv4>()->GetAddress(1, 0).GetLocal(); };
  Ptr<Node> dan = topo.uas.front().node, shirley = topo.uas.back().node;
  Ptr<Node> home = topo.proxies.Get(0), office = topo.proxies.Get(1);
  std::vector<std::pair<Ptr<Node>, Ipv4Address>> flows;
  NodeContainer servers(dan, shirley);
  if (path == BarePath::kHopByHop) {
    servers.Add(topo.proxies);
    flows = {{dan, topo.proxy_addresses[0]},     {home, topo.proxy_addresses[1]},
             {office, ua_address(shirley)},     {shirley, topo.proxy_addresses[1]},
             {office, topo.proxy_addresses[0]}, {home, ua_address(dan)}};
  } else {
    flows = {{dan, ua_address(shirley)}, {shirley, ua_address(dan)}};
  }
  UdpServerHelper server(9);
  server.Install(servers);
  for (const auto& [from, to] : flows) {
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

// One side of a comparison, summed over the iterations.
struct Side {
  double wall_s = 0;
  double cpu_s = 0;
  std::uint64_t packets = 0;

  double WallPerPacket() const { return wall_s / static_cast<double>(packets); }
  double CpuPerPacket() const { return cpu_s / static_cast<double>(packets); }
};

// Runs `run` (returning the link packets it caused) and adds its wall and
// thread CPU time to `side`.
template <typename Run>
void Timed(Side* side, Run run) {
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = ThreadCpuSeconds();
  side->packets += run();
  side->wall_s += WallSince(t0);
  side->cpu_s += ThreadCpuSeconds() - c0;
}

// Both bare ns-3 baselines for a SIP run that put `link_packets` packets of
// `link_bytes` IP bytes in all on the three links Dan..Shirley, half each way.
void TimeBare(const RunConfig& c, std::uint64_t link_packets, double link_bytes, Side* hops, Side* forwarding) {
  // Six hop flows crossing one link each, or two end-to-end flows crossing
  // three: either way `link_packets` link transmissions.
  const auto each = static_cast<std::uint32_t>(link_packets / 2 / 3);
  const auto payload = static_cast<std::uint32_t>(link_bytes / static_cast<double>(link_packets)) - 28;
  Timed(hops, [&] { return RunBare(c, BarePath::kHopByHop, each, payload, 0.001); });
  Timed(forwarding, [&] { return RunBare(c, BarePath::kIpForwarding, each, payload, 0.001); });
}

// The counters every comparison reports: `ratio` (wall clock, the headline,
// against bare ns-3 hop by hop) and `ratio_cpu` (the same quotient from
// thread CPU time, which other processes on a shared machine do not
// inflate), and both again against the IP-forwarding baseline.
void ReportRatios(benchmark::State& state, const Side& sim, const Side& hops, const Side& forwarding) {
  state.counters["bare_ns_per_pkt"] = benchmark::Counter(1e9 * hops.WallPerPacket());
  state.counters["bare_pkts_per_s"] = benchmark::Counter(1.0 / hops.WallPerPacket());
  state.counters["ratio"] = benchmark::Counter(sim.WallPerPacket() / hops.WallPerPacket());
  state.counters["ratio_cpu"] = benchmark::Counter(sim.CpuPerPacket() / hops.CpuPerPacket());
  state.counters["ipfwd_ns_per_pkt"] = benchmark::Counter(1e9 * forwarding.WallPerPacket());
  state.counters["ratio_ipfwd"] = benchmark::Counter(sim.WallPerPacket() / forwarding.WallPerPacket());
  state.counters["ratio_ipfwd_cpu"] = benchmark::Counter(sim.CpuPerPacket() / forwarding.CpuPerPacket());
  state.counters["pkts_per_run"] =
      benchmark::Counter(static_cast<double>(sim.packets) / static_cast<double>(state.iterations()));
}

void BM_PagerVsBareNs3(benchmark::State& state) {
  const std::uint64_t ims = static_cast<std::uint64_t>(state.range(0));
  const RunConfig c = MakeConfig({{"messages_per_conversation", std::to_string(ims)},
                                  {"think_time", "1ms"},
                                  {"think_distribution", "constant"},
                                  {"message_size", "100"}});
  const std::string dir = TempDir("pager");
  WarmUpProcess();
  Side sim, hops, forwarding;
  std::uint64_t delivered = 0;
  // The bare runs move as many packets as the SIP run did: one untimed run
  // tells how many before the first timed bare run.
  Accounting first;
  {
    double wall = 0;
    long rss = 0;
    first = RunPoint(c, PointLabel{}, dir, &wall, &rss);
  }
  std::uint64_t iteration = 0;
  for (auto _ : state) {
    const auto sipim_run = [&] {
      Timed(&sim, [&] {
        double wall = 0;
        long rss = 0;
        const Accounting acc = RunPoint(c, PointLabel{}, dir, &wall, &rss);
        if (!acc.ok()) state.SkipWithError("the run's accounting check failed");
        delivered += acc.delivered;
        return acc.link_packets;
      });
    };
    // Alternate which side runs first, so that neither always runs in the
    // heap and caches the other left behind.
    if (iteration++ % 2 == 0) sipim_run();
    TimeBare(c, first.link_packets, static_cast<double>(first.link_bytes), &hops, &forwarding);
    if (iteration % 2 == 0) sipim_run();
  }
  std::filesystem::remove_all(dir);
  state.counters["ims_per_s"] = benchmark::Counter(static_cast<double>(delivered) / sim.wall_s);
  state.counters["sipim_ns_per_pkt"] = benchmark::Counter(1e9 * sim.WallPerPacket());
  ReportRatios(state, sim, hops, forwarding);
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
  Side models, hops, forwarding;
  const LinkCount first = RunModels(c, ims);  // how many packets the bare runs move
  std::uint64_t iteration = 0;
  for (auto _ : state) {
    const auto models_run = [&] { Timed(&models, [&] { return RunModels(c, ims).packets; }); };
    if (iteration++ % 2 == 0) models_run();  // alternating, as in BM_PagerVsBareNs3
    TimeBare(c, first.packets, static_cast<double>(first.bytes), &hops, &forwarding);
    if (iteration % 2 == 0) models_run();
  }
  state.counters["ims_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(ims) / models.wall_s);
  state.counters["models_ns_per_pkt"] = benchmark::Counter(1e9 * models.WallPerPacket());
  ReportRatios(state, models, hops, forwarding);
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

int main(int argc, char** argv) { return sipim::machine::BenchmarkMain(argc, argv); }
