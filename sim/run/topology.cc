#include "topology.h"

#include "ns3/data-rate.h"
#include "ns3/error-model.h"
#include "ns3/internet-stack-helper.h"
#include "ns3/ipv4-interface-container.h"
#include "ns3/net-device-queue-interface.h"
#include "ns3/traffic-control-helper.h"
#include "ns3/traffic-control-layer.h"
#include "ns3/ipv4-global-routing-helper.h"
#include "ns3/ipv4-static-routing-helper.h"
#include "ns3/ipv4-static-routing.h"
#include "ns3/ipv4.h"
#include "ns3/point-to-point-helper.h"
#include "ns3/point-to-point-net-device.h"
#include "ns3/pointer.h"
#include "ns3/uinteger.h"

namespace sipim::run {

using namespace ns3;

std::string DomainName(std::uint32_t d) {
  if (d == 0) return "home.com";
  if (d == 1) return "office.com";
  return "d" + std::to_string(d) + ".example";
}

std::string UserName(std::uint32_t domain, std::uint32_t user) {
  if (user == 0 && domain == 0) return "dan";
  if (user == 0 && domain == 1) return "shirley";
  return "u" + std::to_string(user);
}

namespace {

const Ipv4Mask kSlash30("255.255.255.252");

// A point-to-point link with the configured rate, delay, MTU and, per
// receiving device, a packet-unit RateErrorModel.
NetDeviceContainer Connect(Ptr<Node> a, Ptr<Node> b, const LinkConfig& link) {
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", DataRateValue(DataRate(static_cast<std::uint64_t>(link.rate_bps))));
  p2p.SetDeviceAttribute("Mtu", UintegerValue(link.mtu));
  p2p.SetChannelAttribute("Delay", TimeValue(Seconds(link.delay_s)));
  NetDeviceContainer devices = p2p.Install(a, b);
  if (link.loss > 0) {
    for (std::uint32_t i = 0; i < 2; ++i) {
      Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
      em->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
      em->SetRate(link.loss);
      devices.Get(i)->SetAttribute("ReceiveErrorModel", PointerValue(em));
    }
  }
  return devices;
}

// Numbers the two ends of a point-to-point link network+1 and network+2, as
// Ipv4AddressHelper::Assign does (interface up, default queue disc), but
// without its global address registry: that registry checks every new
// address against every range allocated so far, and /30 links never merge
// into ranges, so 100 000 links would cost O(N^2).
Ipv4InterfaceContainer AssignPair(const NetDeviceContainer& devices, Ipv4Address network, Ipv4Mask mask) {
  Ipv4InterfaceContainer interfaces;
  for (std::uint32_t i = 0; i < devices.GetN(); ++i) {
    Ptr<NetDevice> device = devices.Get(i);
    Ptr<Ipv4> ipv4 = device->GetNode()->GetObject<Ipv4>();
    std::int32_t index = ipv4->GetInterfaceForDevice(device);
    if (index == -1) index = static_cast<std::int32_t>(ipv4->AddInterface(device));
    ipv4->AddAddress(index, Ipv4InterfaceAddress(Ipv4Address(network.Get() + 1 + i), mask));
    ipv4->SetMetric(index, 1);
    ipv4->SetUp(index);
    interfaces.Add(ipv4, index);
    Ptr<TrafficControlLayer> tc = device->GetNode()->GetObject<TrafficControlLayer>();
    if (tc && !tc->GetRootQueueDiscOnDevice(device)) {
      if (Ptr<NetDeviceQueueInterface> queues = device->GetObject<NetDeviceQueueInterface>()) {
        TrafficControlHelper::Default(queues->GetNTxQueues()).Install(device);
      }
    }
  }
  return interfaces;
}

std::uint32_t NextPowerOfTwo(std::uint64_t v) {
  std::uint32_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

Ptr<Ipv4StaticRouting> StaticRouting(Ptr<Node> node) {
  Ipv4StaticRoutingHelper helper;
  return helper.GetStaticRouting(node->GetObject<Ipv4>());
}

}  // namespace

Topology BuildTopology(const RunConfig& c) {
  Topology t;
  const std::uint32_t uas_per_domain = c.users_per_domain * c.devices_per_user;
  t.proxies.Create(c.domains);
  for (std::uint32_t d = 0; d < c.domains; ++d) t.domain_names.push_back(DomainName(d));
  if (c.domains > 2) t.core_router = CreateObject<Node>();
  NodeContainer ua_nodes;
  ua_nodes.Create(static_cast<std::uint32_t>(c.TotalUas()));
  t.all_nodes.Add(t.proxies);
  if (t.core_router) t.all_nodes.Add(t.core_router);
  t.all_nodes.Add(ua_nodes);
  InternetStackHelper stack;
  if (!c.global_routing) {
    Ipv4StaticRoutingHelper static_routing;
    stack.SetRoutingHelper(static_routing);
  }
  stack.Install(t.all_nodes);

  // Access links: domain d numbers its /30s from an aligned block of
  // 10.0.0.0/8 so that one route covers the domain.
  const std::uint32_t block = NextPowerOfTwo(std::uint64_t{4} * uas_per_domain);
  const Ipv4Mask block_mask(~(block - 1));
  std::vector<Ipv4Address> domain_network(c.domains);
  std::uint32_t index = 0;
  for (std::uint32_t d = 0; d < c.domains; ++d) {
    const Ipv4Address base(Ipv4Address("10.0.0.0").Get() + d * block);
    domain_network[d] = base;
    std::uint32_t next = base.Get();
    for (std::uint32_t u = 0; u < c.users_per_domain; ++u) {
      for (std::uint32_t dev = 0; dev < c.devices_per_user; ++dev, ++index) {
        Ptr<Node> ua = ua_nodes.Get(index);
        LinkInfo link;
        link.name = "ua-" + std::to_string(d) + "-" + std::to_string(u) + "-" + std::to_string(dev);
        link.devices = Connect(ua, t.proxies.Get(d), c.access);
        const Ipv4InterfaceContainer ifs = AssignPair(link.devices, Ipv4Address(next), kSlash30);
        next += 4;
        if (!c.global_routing) StaticRouting(ua)->SetDefaultRoute(ifs.GetAddress(1), 1);
        t.links.push_back(link);
        t.uas.push_back(UaPlace{d, u, dev, ua});
      }
    }
  }

  // The core: a direct link for two domains (the paper), else a star
  // around one router. 172.16.0.0/12 numbers it.
  std::uint32_t next_core = Ipv4Address("172.16.0.0").Get();
  t.proxy_addresses.resize(c.domains);
  if (c.domains == 1) {
    t.proxy_addresses[0] = t.proxies.Get(0)->GetObject<Ipv4>()->GetAddress(1, 0).GetLocal();
  } else if (c.domains == 2) {
    LinkInfo link{t.domain_names[0] + "-" + t.domain_names[1], Connect(t.proxies.Get(0), t.proxies.Get(1), c.core),
                  true};
    const Ipv4InterfaceContainer ifs = AssignPair(link.devices, Ipv4Address(next_core), kSlash30);
    t.proxy_addresses[0] = ifs.GetAddress(0);
    t.proxy_addresses[1] = ifs.GetAddress(1);
    if (!c.global_routing) {
      StaticRouting(t.proxies.Get(0))->SetDefaultRoute(ifs.GetAddress(1), ifs.Get(0).second);
      StaticRouting(t.proxies.Get(1))->SetDefaultRoute(ifs.GetAddress(0), ifs.Get(1).second);
    }
    t.links.push_back(link);
  } else {
    for (std::uint32_t d = 0; d < c.domains; ++d) {
      LinkInfo link{"core-" + t.domain_names[d], Connect(t.proxies.Get(d), t.core_router, c.core), true};
      const Ipv4InterfaceContainer ifs = AssignPair(link.devices, Ipv4Address(next_core), kSlash30);
      next_core += 4;
      t.proxy_addresses[d] = ifs.GetAddress(0);
      if (!c.global_routing) {
        StaticRouting(t.proxies.Get(d))->SetDefaultRoute(ifs.GetAddress(1), ifs.Get(0).second);
        Ptr<Ipv4StaticRouting> core = StaticRouting(t.core_router);
        core->AddNetworkRouteTo(domain_network[d], block_mask, ifs.GetAddress(0), ifs.Get(1).second);
      }
      t.links.push_back(link);
    }
  }
  if (c.global_routing) Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  return t;
}

}  // namespace sipim::run
