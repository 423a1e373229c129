// External check of the ns-3 models themselves: sipim's simulated proxy
// (registrar, router, stateful forwarder) and user agent run in ns-3's
// real-time simulator, joined to the host through a TAP device (ns-3's
// FdNetDevice), and SIPp on the host, a real SIP implementation, talks to
// them: it sends MESSAGEs through the proxy to a simulated UA, registers a
// contact with the proxy's registrar, and receives a MESSAGE the simulated
// UA sends to it through the proxy. Every byte on the TAP link is what the
// models built and parsed.
//
// Needs root (CAP_NET_ADMIN, to create the TAP device), /dev/net/tun and
// sipp; skipped, naming what is missing, without them.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ns3/core-module.h"
#include "ns3/fd-net-device-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/sip/sip-helper.h"
#include "sipp_process.h"

namespace {

using namespace ns3;
using sipim::testing::HaveSipp;
using sipim::testing::Sipp;
using sipim::testing::SippArgs;

// A TAP device on the host with address host_ip/24, up, removed when this
// object (the last holder of its descriptor) goes.
class TapDevice {
 public:
  TapDevice(const std::string& name, const std::string& host_ip) {
    fd_ = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd_ < 0) {
      error_ = std::string("/dev/net/tun: ") + std::strerror(errno);
      return;
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (::ioctl(fd_, TUNSETIFF, &ifr) != 0) {
      error_ = "TUNSETIFF " + name + ": " + std::strerror(errno);
      return;
    }
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    auto* addr = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
    addr->sin_family = AF_INET;
    ::inet_pton(AF_INET, host_ip.c_str(), &addr->sin_addr);
    bool ok = s >= 0 && ::ioctl(s, SIOCSIFADDR, &ifr) == 0;
    ::inet_pton(AF_INET, "255.255.255.0", &addr->sin_addr);
    ok = ok && ::ioctl(s, SIOCSIFNETMASK, &ifr) == 0;
    ok = ok && ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    ok = ok && ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    if (!ok) error_ = "configuring " + name + " as " + host_ip + "/24: " + std::strerror(errno);
    if (s >= 0) ::close(s);
  }
  ~TapDevice() {
    if (fd_ >= 0) ::close(fd_);
  }
  TapDevice(const TapDevice&) = delete;
  TapDevice& operator=(const TapDevice&) = delete;

  // Empty when the device is up.
  const std::string& error() const { return error_; }
  // A descriptor of its own for ns-3's FdNetDevice, which closes it.
  int Dup() const { return ::fcntl(fd_, F_DUPFD_CLOEXEC, 0); }

 private:
  int fd_ = -1;
  std::string error_;
};

// Why this test cannot run here, or "" when it can.
std::string MissingPrerequisite() {
  if (::geteuid() != 0) return "needs root to create a TAP device";
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) return "no /dev/net/tun";
  if (!HaveSipp()) return "sipp is not installed (Debian package sip-tester)";
  return "";
}

// The real-time world: host (SIPp) -- TAP -- proxy node (home.com) -- p2p
// -- shirley's node (a sipim UA registered with the proxy). Each test
// process gets its own subnets and device name, so parallel runs do not
// collide.
struct World {
  std::string tap_name;
  std::string host_ip;   // SIPp's side of the TAP link
  std::string proxy_ip;  // the proxy's side
  std::unique_ptr<TapDevice> tap;
  Ptr<SipProxy> proxy;
  Ptr<SipUserAgent> shirley;
  std::vector<std::string> delivered_from;  // ImDelivered at shirley
  std::vector<SipImOutcome> outcomes;       // ImOutcome at shirley
  std::vector<std::uint16_t> statuses;

  World() {
    const unsigned n = static_cast<unsigned>(::getpid()) % 250 + 1;
    tap_name = "sipim" + std::to_string(::getpid() % 100000);
    host_ip = "10.201." + std::to_string(n) + ".1";
    proxy_ip = "10.201." + std::to_string(n) + ".2";
    tap = std::make_unique<TapDevice>(tap_name, host_ip);
  }

  // Builds the nodes; the caller has checked tap->error().
  void Build(bool enforce_size_limit = false) {
    GlobalValue::Bind("SimulatorImplementationType", StringValue("ns3::RealtimeSimulatorImpl"));
    GlobalValue::Bind("ChecksumEnabled", BooleanValue(true));
    SipResetIdCounters();
    NodeContainer nodes;
    nodes.Create(2);
    Ptr<Node> proxy_node = nodes.Get(0);
    Ptr<Node> ua_node = nodes.Get(1);

    // The TAP side first: the proxy's endpoint takes its first interface.
    Ptr<FdNetDevice> fd_dev = CreateObject<FdNetDevice>();
    fd_dev->SetAddress(Mac48Address::Allocate());
    fd_dev->SetFileDescriptor(tap->Dup());
    proxy_node->AddDevice(fd_dev);
    InternetStackHelper internet;
    internet.Install(nodes);
    Ptr<Ipv4> ipv4 = proxy_node->GetObject<Ipv4>();
    const std::uint32_t iface = ipv4->AddInterface(fd_dev);
    ipv4->AddAddress(iface, Ipv4InterfaceAddress(Ipv4Address(proxy_ip.c_str()), Ipv4Mask("255.255.255.0")));
    ipv4->SetUp(iface);

    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
    p2p.SetChannelAttribute("Delay", StringValue("1ms"));
    NetDeviceContainer link = p2p.Install(proxy_node, ua_node);
    Ipv4AddressHelper ip;
    const std::string ua_net = "10.202." + std::to_string(static_cast<unsigned>(::getpid()) % 250 + 1) + ".0";
    ip.SetBase(ua_net.c_str(), "255.255.255.0");
    Ipv4InterfaceContainer ifs = ip.Assign(link);
    Ipv4StaticRoutingHelper routing;
    routing.GetStaticRouting(ua_node->GetObject<Ipv4>())->SetDefaultRoute(ifs.GetAddress(0), 1);

    SipStackHelper stack;
    stack.Install(nodes);
    SipProxyHelper proxies;
    proxies.SetAttribute("EnforceSizeLimit", BooleanValue(enforce_size_limit));
    proxy = proxies.Install(proxy_node, "home.com");
    SipUserAgentHelper uas;
    uas.SetAttribute("Register", BooleanValue(true));
    shirley = uas.Install(ua_node, "sip:shirley@home.com", ifs.GetAddress(0));
    shirley->TraceConnectWithoutContext(
        "ImDelivered", MakeCallback(&World::OnDelivered, this));
    shirley->TraceConnectWithoutContext("ImOutcome", MakeCallback(&World::OnOutcome, this));
  }

  void OnDelivered(std::uint64_t, const std::string& from, std::uint32_t, std::uint32_t, bool) {
    delivered_from.push_back(from);
  }
  void OnOutcome(std::uint64_t, SipImOutcome outcome, SipFailReason, std::uint16_t status) {
    outcomes.push_back(outcome);
    statuses.push_back(status);
  }

  // Runs the real-time simulation until done() or `limit` of wall time.
  template <typename Done>
  void RunUntil(Done done, Time limit) {
    std::function<void()> poll;
    poll = [&] {
      if (done()) {
        Simulator::Stop();
        return;
      }
      Simulator::Schedule(MilliSeconds(50), poll);
    };
    Simulator::Schedule(MilliSeconds(50), poll);
    Simulator::Stop(limit);
    Simulator::Run();
  }

  ~World() { Simulator::Destroy(); }
};

// Proves that sipim's simulated proxy and UA interoperate with a real SIP
// implementation on the wire: SIPp on the host sends 5 MESSAGEs for
// sip:shirley@home.com to the ns-3 proxy across the TAP device, over UDP
// and then over one TCP connection (the proxy's stream transport and
// framing); the proxy finds the binding the simulated UA registered,
// forwards each, and relays the UA's 200 OK back with its own Via removed
// (SIPp checks one Via and a To tag). SIPp exits 0 only when all 5
// succeed, and the UA delivers 5 IMs from SIPp's address of record.
TEST(SippEmulation, SippSendsMessagesThroughTheSimulatedProxy) {
  if (const std::string why = MissingPrerequisite(); !why.empty()) GTEST_SKIP() << why;
  for (const char* transport : {"u1", "t1"}) {
    SCOPED_TRACE(transport);
    World w;
    ASSERT_EQ(w.tap->error(), "");
    w.Build();
    // The UA registers at time 0; SIPp starts once the simulation runs.
    std::unique_ptr<Sipp> sipp;
    Simulator::Schedule(Seconds(0.5), [&] {
      sipp = std::make_unique<Sipp>(SippArgs(
          w.host_ip, sipim::testing::FreeUdpPort(),
          {"-sf", sipim::testing::kSippScenarios + "emulation-message-uac.xml", "-t", transport, "-m", "5", "-r",
           "20", "-s", "shirley", w.proxy_ip + ":5060"}));
    });
    w.RunUntil([&] { return sipp && sipp->Exited(); }, Seconds(20));
    ASSERT_TRUE(sipp);
    EXPECT_EQ(sipp->Wait(std::chrono::seconds(2)), 0) << sipp->Report();
    ASSERT_EQ(w.delivered_from.size(), 5u);
    for (const auto& from : w.delivered_from) {
      EXPECT_NE(from.find("sipp@" + w.host_ip), std::string::npos) << from;
    }
  }
}

// Proves RFC 3261 section 11 across the real wire: SIPp's OPTIONS for the
// proxy's own domain is answered by the simulated proxy (its Allow lists
// REGISTER), and an OPTIONS for the registered user is routed to the
// simulated UA, whose 200 lists MESSAGE and text/plain and no REGISTER
// (SIPp's checks; a 405 or a missing field fails the run).
TEST(SippEmulation, SippQueriesCapabilitiesOfTheSimulatedProxyAndUa) {
  if (const std::string why = MissingPrerequisite(); !why.empty()) GTEST_SKIP() << why;
  World w;
  ASSERT_EQ(w.tap->error(), "");
  w.Build();
  std::unique_ptr<Sipp> sipp;
  Simulator::Schedule(Seconds(0.5), [&] {
    sipp = std::make_unique<Sipp>(SippArgs(w.host_ip, sipim::testing::FreeUdpPort(),
                                           {"-sf", sipim::testing::kSippScenarios + "emulation-options.xml", "-m",
                                            "1", "-s", "shirley", w.proxy_ip + ":5060"}));
  });
  w.RunUntil([&] { return sipp && sipp->Exited(); }, Seconds(20));
  ASSERT_TRUE(sipp);
  EXPECT_EQ(sipp->Wait(std::chrono::seconds(2)), 0) << sipp->Report();
}

// A SIPp scenario sending one MESSAGE whose body is `body_bytes` long and
// expecting `status`, written to a scratch file.
std::string WriteBigMessageScenario(std::size_t body_bytes, int status) {
  const std::string path = ::testing::TempDir() + "/big-message-" + std::to_string(::getpid()) + "-" +
                           std::to_string(status) + ".xml";
  std::ofstream(path) << "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n"
                      << "<scenario name=\"big MESSAGE\">\n  <send retrans=\"500\">\n    <![CDATA[\n\n"
                      << "MESSAGE sip:[service]@home.com SIP/2.0\n"
                      << "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
                      << "From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]\n"
                      << "To: <sip:[service]@home.com>\nCall-ID: [call_id]\nCSeq: 1 MESSAGE\n"
                      << "Max-Forwards: 70\nContent-Type: text/plain\nContent-Length: [len]\n\n"
                      << std::string(body_bytes, 'x') << "\n    ]]>\n  </send>\n"
                      << "  <recv response=\"100\" optional=\"true\"/>\n"
                      << "  <recv response=\"" << status << "\"/>\n</scenario>\n";
  return path;
}

// Proves the RFC 3428 1300-byte rule at the simulated proxy against a real
// client: with EnforceSizeLimit, SIPp's 2000-byte MESSAGE over UDP (IP
// fragments across the TAP link, reassembled by ns-3) is answered 513 and
// never reaches the UA; the same MESSAGE over TCP, congestion-safe, is
// forwarded and delivered (SIPp expects 513, then 200).
TEST(SippEmulation, SimulatedProxyAnswers513ToLargeUdpMessageAndForwardsItOverTcp) {
  if (const std::string why = MissingPrerequisite(); !why.empty()) GTEST_SKIP() << why;
  for (const bool tcp : {false, true}) {
    SCOPED_TRACE(tcp ? "tcp" : "udp");
    World w;
    ASSERT_EQ(w.tap->error(), "");
    w.Build(/*enforce_size_limit=*/true);
    const std::string scenario = WriteBigMessageScenario(2000, tcp ? 200 : 513);
    std::unique_ptr<Sipp> sipp;
    Simulator::Schedule(Seconds(0.5), [&] {
      sipp = std::make_unique<Sipp>(SippArgs(w.host_ip, sipim::testing::FreeUdpPort(),
                                             {"-sf", scenario, "-t", tcp ? "t1" : "u1", "-m", "1", "-s", "shirley",
                                              w.proxy_ip + ":5060"}));
    });
    w.RunUntil([&] { return sipp && sipp->Exited(); }, Seconds(20));
    ASSERT_TRUE(sipp);
    EXPECT_EQ(sipp->Wait(std::chrono::seconds(2)), 0) << sipp->Report();
    EXPECT_EQ(w.delivered_from.size(), tcp ? 1u : 0u);
  }
}

// Proves the other direction and the registrar: SIPp registers
// sip:bob@home.com with the simulated registrar (its check needs the
// binding listed in the 200), then the simulated UA sends an IM to bob; the
// proxy routes it to SIPp's registered contact with its Via on top of the
// UA's (SIPp checks both), SIPp's 200 comes back through the proxy, and the
// UA's IM ends delivered with status 200.
TEST(SippEmulation, SimulatedUaReachesARegisteredSippThroughTheProxy) {
  if (const std::string why = MissingPrerequisite(); !why.empty()) GTEST_SKIP() << why;
  World w;
  ASSERT_EQ(w.tap->error(), "");
  w.Build();
  const int bob_port = sipim::testing::FreeUdpPort();
  std::unique_ptr<Sipp> registrar_client;
  std::unique_ptr<Sipp> bob;
  int register_status = -1;
  Simulator::Schedule(Seconds(0.5), [&] {
    registrar_client = std::make_unique<Sipp>(
        SippArgs(w.host_ip, bob_port, {"-sf", sipim::testing::kSippScenarios + "emulation-register.xml",
                            "-m", "1", "-s", "bob", w.proxy_ip + ":5060"}));
  });
  bool sent = false;
  w.RunUntil(
      [&] {
        if (!bob && registrar_client && registrar_client->Exited()) {
          register_status = registrar_client->status();
          if (register_status != 0) return true;
          // The same address and port as the registered contact.
          bob = std::make_unique<Sipp>(SippArgs(
              w.host_ip, bob_port, {"-sf", sipim::testing::kSippScenarios + "emulation-message-uas.xml",
                         "-m", "1"}));
          Simulator::Schedule(Seconds(1), [&] {
            w.shirley->SendIm("bob@home.com", 120, SipImMode::kPager);
            sent = true;
          });
        }
        return sent && !w.outcomes.empty() && bob->Exited();
      },
      Seconds(20));
  ASSERT_TRUE(registrar_client);
  EXPECT_EQ(register_status, 0) << registrar_client->Report();
  ASSERT_TRUE(bob) << "SIPp's REGISTER did not finish";
  EXPECT_EQ(bob->Wait(std::chrono::seconds(2)), 0) << bob->Report();
  ASSERT_EQ(w.outcomes.size(), 1u);
  EXPECT_EQ(w.outcomes[0], SipImOutcome::kDelivered);
  EXPECT_EQ(w.statuses[0], 200);
}

}  // namespace
