#include "testbed.h"

#include <sstream>

#include "ns3/ppp-header.h"
#include "ns3/sip/sip-im-types.h"

using namespace ns3;

namespace sipim_test {

namespace {
std::string TypeName(const SipWireEvent& ev) {
  if (ev.type == SipMsgType::kResponse || ev.type == SipMsgType::kMsrpResponse)
    return (ev.type == SipMsgType::kMsrpResponse ? "MSRP-" : "") + std::to_string(ev.status);
  return ToString(ev.type);
}
}  // namespace

Testbed::Testbed(const Options& o) {
  SipResetIdCounters();
  const std::uint32_t n = 4 + o.extraShirleyDevices;
  nodes.Create(n);
  m_names = {"dan", "home", "office", "shirley"};
  for (std::uint32_t i = 0; i < o.extraShirleyDevices; ++i) m_names.push_back("dev" + std::to_string(i + 1));
  InternetStackHelper stack;
  stack.Install(nodes);
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", StringValue(o.linkRate));
  p2p.SetDeviceAttribute("Mtu", UintegerValue(o.mtu));
  p2p.SetChannelAttribute("Delay", StringValue(o.linkDelay));
  Ipv4AddressHelper ip;
  addr.assign(n, Ipv4Address());
  auto link = [&](std::uint32_t a, std::uint32_t b, const char* net) {
    NetDeviceContainer d = p2p.Install(nodes.Get(a), nodes.Get(b));
    ip.SetBase(net, "255.255.255.0");
    Ipv4InterfaceContainer ifs = ip.Assign(d);
    if (addr[a] == Ipv4Address()) addr[a] = ifs.GetAddress(0);
    if (addr[b] == Ipv4Address()) addr[b] = ifs.GetAddress(1);
    links.push_back(d);
  };
  link(0, 1, "10.0.1.0");
  link(1, 2, "10.0.2.0");
  link(2, 3, "10.0.3.0");
  for (std::uint32_t i = 0; i < o.extraShirleyDevices; ++i) {
    const std::string net = "10.0." + std::to_string(10 + i) + ".0";
    link(2, 4 + i, net.c_str());
  }
  Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  if (o.beforeApps) o.beforeApps(nodes);

  SipStackHelper sipStack;
  sipStack.Install(nodes);
  home = proxyHelper.Install(nodes.Get(1), "home.com");
  office = proxyHelper.Install(nodes.Get(2), "office.com");
  // The endpoints take the first interface's address: for the proxies,
  // that is the link towards Dan's side.
  SipProxyHelper::Peer({home, office}, {addr[1], addr[2]});
  uaHelper.SetAttribute("Register", BooleanValue(o.registerUas));
  dan = uaHelper.Install(nodes.Get(0), "sip:dan@home.com", addr[1]);
  shirley = uaHelper.Install(nodes.Get(3), "sip:shirley@office.com", addr[2]);
  for (std::uint32_t i = 0; i < o.extraShirleyDevices; ++i)
    devices.push_back(uaHelper.Install(nodes.Get(4 + i), "sip:shirley@office.com", addr[2]));
}

Testbed::~Testbed() { Simulator::Destroy(); }

std::string Testbed::NameOf(Ipv4Address a) const {
  for (std::uint32_t i = 0; i < nodes.GetN(); ++i) {
    Ptr<Ipv4> ipv4 = nodes.Get(i)->GetObject<Ipv4>();
    for (std::uint32_t j = 1; j < ipv4->GetNInterfaces(); ++j)
      if (ipv4->GetAddress(j, 0).GetLocal() == a) return m_names[i];
  }
  std::ostringstream os;
  a.Print(os);
  return os.str();
}

Callback<void, const SipWireEvent&> Testbed::TxRecorder(const std::string& name) {
  return Callback<void, const SipWireEvent&>([this, name](const SipWireEvent& ev) {
    tx.push_back(WireRecord{Simulator::Now().GetSeconds(), name, TypeName(ev), NameOf(ev.peer),
                            ToString(ev.transport), ev.retransmission, ev.bytes, ev.attr.id, ev.attr.kind});
  });
}

void Testbed::Connect(Ptr<SipUserAgent> ua, const std::string& name) {
  ua->TraceConnectWithoutContext("Tx", TxRecorder(name));
  ua->TraceConnectWithoutContext(
      "ImOutcome",
      Callback<void, std::uint64_t, SipImOutcome, SipFailReason, std::uint16_t>((
          [this](std::uint64_t id, SipImOutcome o, SipFailReason r, std::uint16_t st) {
            outcomes.push_back(Outcome{id, o, r, st, Simulator::Now().GetSeconds()});
          })));
  ua->TraceConnectWithoutContext(
      "ImDelivered",
      Callback<void, std::uint64_t, const std::string&, std::uint32_t, std::uint32_t, bool>((
          [this, name](std::uint64_t id, const std::string&, std::uint32_t b, std::uint32_t h, bool d) {
            deliveries.push_back(Delivery{id, name, b, h, d, Simulator::Now().GetSeconds()});
          })));
  ua->TraceConnectWithoutContext("Drop", Callback<void, const SipDropEvent&>((
                                             [this](const SipDropEvent& ev) { drops.push_back(ev); })));
  ua->TraceConnectWithoutContext(
      "Session", Callback<void, std::uint64_t, SipSessionEvent, const std::string&>((
                     [this](std::uint64_t id, SipSessionEvent e, const std::string&) {
                       sessionEvents.emplace_back(id, e);
                     })));
}

void Testbed::Connect(Ptr<SipProxy> p, const std::string& name) {
  p->TraceConnectWithoutContext("Tx", TxRecorder(name));
  p->TraceConnectWithoutContext("Drop", Callback<void, const SipDropEvent&>((
                                            [this](const SipDropEvent& ev) { drops.push_back(ev); })));
}

void Testbed::Record() {
  Connect(dan, "dan");
  Connect(shirley, "shirley");
  Connect(home, "home");
  Connect(office, "office");
  for (std::size_t i = 0; i < devices.size(); ++i) Connect(devices[i], "dev" + std::to_string(i + 1));
}

std::vector<WireRecord> Testbed::TxAfter(double from) const {
  std::vector<WireRecord> out;
  for (const auto& r : tx)
    if (r.time >= from && r.type != "REGISTER") out.push_back(r);
  return out;
}

Ipv4Header RemoveLinkAndIpHeaders(Ptr<Packet> c) {
  std::uint8_t first = 0;
  c->CopyData(&first, 1);
  if (first != 0x45) {
    PppHeader ppp;
    c->RemoveHeader(ppp);
  }
  Ipv4Header ip;
  c->RemoveHeader(ip);
  return ip;
}

void OnTcpTx(Ptr<Node> node, std::function<void(const TcpHeader&, std::uint32_t)> f) {
  node->GetObject<Ipv4L3Protocol>()->TraceConnectWithoutContext(
      "Tx", Callback<void, Ptr<const Packet>, Ptr<Ipv4>, uint32_t>([f](Ptr<const Packet> p, Ptr<Ipv4>, uint32_t) {
        Ptr<Packet> c = p->Copy();
        Ipv4Header ip;
        c->RemoveHeader(ip);
        if (ip.GetProtocol() != 6) return;
        TcpHeader tcp;
        c->RemoveHeader(tcp);
        f(tcp, c->GetSize());
      }));
}

void OnIpRx(Ptr<NetDevice> dev, std::uint8_t proto, std::function<void(Ptr<Packet>)> f) {
  dev->TraceConnectWithoutContext(
      "MacRx", Callback<void, Ptr<const Packet>>(([proto, f](Ptr<const Packet> p) {
        Ptr<Packet> c = p->Copy();
        const Ipv4Header ip = RemoveLinkAndIpHeaders(c);
        if (ip.GetProtocol() != proto || ip.GetFragmentOffset() != 0) return;
        f(c);
      })));
}

namespace {
std::string Bytes(Ptr<const Packet> c) {
  std::string bytes(c->GetSize(), '\0');
  c->CopyData(reinterpret_cast<std::uint8_t*>(&bytes[0]), c->GetSize());
  return bytes;
}
}  // namespace

void SniffTcp(Ptr<NetDevice> dev, std::uint16_t notPort, std::string* out) {
  OnIpRx(dev, 6, [notPort, out](Ptr<Packet> c) {
    TcpHeader tcp;
    c->RemoveHeader(tcp);
    if (tcp.GetSourcePort() == notPort || tcp.GetDestinationPort() == notPort) return;
    if (c->GetSize() == 0) return;
    out->append(Bytes(c));
  });
}

void SniffUdp(Ptr<NetDevice> dev, std::vector<std::string>* out) {
  OnIpRx(dev, 17, [out](Ptr<Packet> c) {
    UdpHeader udp;
    c->RemoveHeader(udp);
    out->push_back(Bytes(c));
  });
}

}  // namespace sipim_test
