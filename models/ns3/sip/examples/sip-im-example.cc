// The paper's topology with the sipim SIP models, set up by hand with the
// ns-3 helpers (no `sipim run`): Dan - home.com - office.com - Shirley over
// point-to-point links. Dan sends Shirley N instant messages in pager mode
// (MESSAGE through both proxies) or in session mode (INVITE/SDP, then the
// paper's stripped MESSAGE or MSRP on a direct connection), and the
// example prints each IM's outcome and latency from the UA trace sources.
// --transport carries the SIP signalling (and, for tcp or sctp, the session
// too): over SCTP, each SIP message is one SCTP message on stream 0,
// unordered (RFC 4168), with the SCTP model from models/ns3/sctp.
//
//   sip-im-example [--mode=pager|stripped|msrp] [--transport=udp|tcp|sctp]
//                  [--messages=N] [--size=BYTES] [--interval=TIME]
//                  [--calibration=DIR] [--pcap=PREFIX]
//
// Exits 1 when an IM failed, 2 on a bad option.
#include <cstdio>
#include <map>
#include <string>

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/sip/sip-helper.h"
#include "sctp/sctp-helper.h"

using namespace ns3;

NS_LOG_COMPONENT_DEFINE("SipImExample");

namespace {

struct Tally {
  std::map<std::uint64_t, Time> sentAt;
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  Time latencySum;
};

void OnImSent(Tally* t, std::uint64_t id, const std::string&, std::uint32_t, SipImMode) {
  t->sentAt[id] = Simulator::Now();
}

void OnImDelivered(Tally* t, std::uint64_t id, const std::string& from, std::uint32_t bytes, std::uint32_t hops,
                   bool duplicate) {
  const Time latency = Simulator::Now() - t->sentAt[id];
  if (!duplicate) t->latencySum += latency;
  std::printf("%9.6f s  IM %llu from %s: %u bytes, %u proxy hops, latency %.3f ms%s\n", Simulator::Now().GetSeconds(),
              static_cast<unsigned long long>(id), from.c_str(), bytes, hops, latency.GetSeconds() * 1e3,
              duplicate ? " (duplicate)" : "");
}

void OnImOutcome(Tally* t, std::uint64_t id, SipImOutcome outcome, SipFailReason reason, std::uint16_t status) {
  if (outcome == SipImOutcome::kDelivered) {
    ++t->delivered;
    return;
  }
  ++t->failed;
  std::printf("IM %llu failed: %s (status %u)\n", static_cast<unsigned long long>(id), ToString(reason), status);
}

bool ParseMode(const std::string& text, SipImMode* mode) {
  static const std::map<std::string, SipImMode> kModes = {
      {"pager", SipImMode::kPager}, {"stripped", SipImMode::kSessionStripped}, {"msrp", SipImMode::kSessionMsrp}};
  auto it = kModes.find(text);
  if (it == kModes.end()) return false;
  *mode = it->second;
  return true;
}

bool ParseTransport(const std::string& text, SipTransportProtocol* transport) {
  static const std::map<std::string, SipTransportProtocol> kTransports = {
      {"udp", SipTransportProtocol::kUdp}, {"tcp", SipTransportProtocol::kTcp}, {"sctp", SipTransportProtocol::kSctp}};
  auto it = kTransports.find(text);
  if (it == kTransports.end()) return false;
  *transport = it->second;
  return true;
}

}  // namespace

int main(int argc, char* argv[]) {
  std::string modeText = "pager";
  std::string transportText = "udp";
  std::uint32_t messages = 5;
  std::uint32_t size = 100;
  Time interval = MilliSeconds(200);
  std::string calibration = SIPIM_SOURCE_DIR "/results/calibration";
  std::string pcap;
  CommandLine cmd(__FILE__);
  cmd.AddValue("mode", "pager, stripped (session, the paper's stripped MESSAGE) or msrp (session, MSRP)",
               modeText);
  cmd.AddValue("transport", "SIP signalling over udp, tcp or sctp (tcp and sctp carry the session too)",
               transportText);
  cmd.AddValue("messages", "IMs Dan sends Shirley", messages);
  cmd.AddValue("size", "body bytes per IM", size);
  cmd.AddValue("interval", "time between IMs", interval);
  cmd.AddValue("calibration", "folder of CPU cost tables (parse.csv ...); empty: no CPU cost", calibration);
  cmd.AddValue("pcap", "write a pcap per device with this file prefix", pcap);
  cmd.Parse(argc, argv);
  SipImMode mode;
  if (!ParseMode(modeText, &mode)) {
    std::fprintf(stderr, "sip-im-example: --mode: '%s' is not pager, stripped or msrp\n", modeText.c_str());
    return 2;
  }
  SipTransportProtocol transport;
  if (!ParseTransport(transportText, &transport)) {
    std::fprintf(stderr, "sip-im-example: --transport: '%s' is not udp, tcp or sctp\n", transportText.c_str());
    return 2;
  }

  // Dan - home.com - office.com - Shirley.
  NodeContainer nodes;
  nodes.Create(4);
  Ptr<Node> dan = nodes.Get(0), home = nodes.Get(1), office = nodes.Get(2), shirley = nodes.Get(3);
  PointToPointHelper link;
  link.SetDeviceAttribute("DataRate", StringValue("10Mbps"));
  link.SetChannelAttribute("Delay", StringValue("10ms"));
  InternetStackHelper internet;
  internet.Install(nodes);
  if (transport == SipTransportProtocol::kSctp) SctpHelper().Install(nodes);  // after the IP stack
  Ipv4AddressHelper addresses("10.1.0.0", "255.255.255.0");
  std::vector<Ipv4InterfaceContainer> ifs;
  for (std::uint32_t i = 0; i + 1 < nodes.GetN(); ++i) {
    NetDeviceContainer devices = link.Install(nodes.Get(i), nodes.Get(i + 1));
    ifs.push_back(addresses.Assign(devices));
    addresses.NewNetwork();
  }
  Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  const Ipv4Address homeAddr = ifs[0].GetAddress(1), officeAddr = ifs[2].GetAddress(0);

  // Every node gets a CPU that charges the measured parse (and crypto) costs.
  SipResetIdCounters();
  SipStackHelper stack;
  if (!calibration.empty()) {
    Ptr<CpuCalibration> table = Create<CpuCalibration>();
    std::string error;
    if (!table->LoadDirectory(calibration, &error)) {
      std::fprintf(stderr, "sip-im-example: --calibration: %s\n", error.c_str());
      return 2;
    }
    stack.SetCalibration(table);
  }
  stack.Install(nodes);
  SipProxyHelper proxyHelper;
  proxyHelper.SetAttribute("Transport", EnumValue(transport));
  Ptr<SipProxy> homeProxy = proxyHelper.Install(home, "home.com");
  Ptr<SipProxy> officeProxy = proxyHelper.Install(office, "office.com");
  SipProxyHelper::Peer({homeProxy, officeProxy}, {homeAddr, officeAddr});  // stands for DNS
  SipUserAgentHelper uaHelper;
  uaHelper.SetAttribute("Transport", EnumValue(transport));
  // The session's direct connection: TCP unless the signalling is SCTP.
  uaHelper.SetAttribute("MediaTransport", EnumValue(transport == SipTransportProtocol::kSctp ? transport
                                                                                           : SipTransportProtocol::kTcp));
  Ptr<SipUserAgent> danUa = uaHelper.Install(dan, "sip:dan@home.com", homeAddr);
  Ptr<SipUserAgent> shirleyUa = uaHelper.Install(shirley, "sip:shirley@office.com", officeAddr);

  Tally tally;
  danUa->TraceConnectWithoutContext("ImSent", MakeBoundCallback(&OnImSent, &tally));
  danUa->TraceConnectWithoutContext("ImOutcome", MakeBoundCallback(&OnImOutcome, &tally));
  shirleyUa->TraceConnectWithoutContext("ImDelivered", MakeBoundCallback(&OnImDelivered, &tally));
  if (!pcap.empty()) link.EnablePcapAll(pcap);

  // Both register at start; the IMs begin a second later.
  for (std::uint32_t i = 0; i < messages; ++i) {
    Simulator::Schedule(Seconds(1) + i * interval,
                        [danUa, size, mode]() { danUa->SendIm("shirley@office.com", size, mode); });
  }
  if (mode != SipImMode::kPager) {
    Simulator::Schedule(Seconds(1) + messages * interval + Seconds(1),
                        [danUa]() { danUa->EndSession("shirley@office.com"); });
  }
  // Long enough for timer F (64*T1) to end any IM that got no answer.
  Simulator::Stop(Seconds(1) + messages * interval + Seconds(40));
  Simulator::Run();

  std::printf("%s: %u IMs sent, %llu delivered, %llu failed; mean latency %.3f ms; "
              "Dan retransmitted %llu requests, home.com forwarded %llu, office.com %llu\n",
              modeText.c_str(), messages, static_cast<unsigned long long>(tally.delivered),
              static_cast<unsigned long long>(tally.failed),
              tally.delivered ? tally.latencySum.GetSeconds() * 1e3 / static_cast<double>(tally.delivered) : 0.0,
              static_cast<unsigned long long>(danUa->GetRetransmissions()),
              static_cast<unsigned long long>(homeProxy->GetRequestsForwarded()),
              static_cast<unsigned long long>(officeProxy->GetRequestsForwarded()));
  const bool ok = tally.failed == 0 && tally.delivered == messages;
  Simulator::Destroy();
  return ok ? 0 : 1;
}
