#pragma once
// The network of a scenario: per domain, a proxy node that is also the
// domain's router, with a star of UA nodes on point-to-point access links;
// proxies joined by a core. Two domains give the paper's topology exactly:
// Dan's UA - proxy home.com - proxy office.com - Shirley's UA. More domains
// hang off one core router (a plain IP router, no SIP).
//
// Routing is static by default and scales: a UA has a default route to its
// proxy; a proxy knows its own UAs (connected /30s) and sends the rest to
// the core; the core router has one aggregate route per domain (each
// domain's access links are numbered from one aligned block). That is
// O(domains) routes where Ipv4GlobalRoutingHelper would run Dijkstra from
// every node (O(N^2) state for 100 000 UAs); `routing = global` is there for
// small runs and cross-checks.
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "ns3/ipv4-address.h"
#include "ns3/net-device-container.h"
#include "ns3/node-container.h"

namespace sipim::run {

struct LinkInfo {
  std::string name;  // "ua-3-0-1", "core-home.com", "home.com-office.com"
  ns3::NetDeviceContainer devices;  // [0] the UA / first end, [1] the other
  bool core = false;
};

struct UaPlace {
  std::uint32_t domain = 0;
  std::uint32_t user = 0;
  std::uint32_t device = 0;
  ns3::Ptr<ns3::Node> node;
};

struct Topology {
  std::vector<std::string> domain_names;   // home.com, office.com, d2.example ...
  ns3::NodeContainer proxies;              // one per domain
  std::vector<ns3::Ipv4Address> proxy_addresses;  // where everyone reaches proxy d
  ns3::Ptr<ns3::Node> core_router;         // null for 1 or 2 domains
  std::vector<UaPlace> uas;                // domain-major, then user, then device
  std::vector<LinkInfo> links;
  ns3::NodeContainer all_nodes;

  // Index into `uas` of (domain, user, device).
  std::size_t UaIndex(const RunConfig& c, std::uint32_t d, std::uint32_t u, std::uint32_t dev) const {
    return (std::size_t{d} * c.users_per_domain + u) * c.devices_per_user + dev;
  }
};

// The names the paper uses for the first domains and users.
std::string DomainName(std::uint32_t d);
std::string UserName(std::uint32_t domain, std::uint32_t user);

// Builds nodes, links (rate, delay, loss, MTU), the internet stack,
// addresses and routes.
Topology BuildTopology(const RunConfig& config);

}  // namespace sipim::run
