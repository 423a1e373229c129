#pragma once
// Helpers that install the sipim SIP models, ns-3 style.
//
//   SipStackHelper stack;                       // per-node CPU + calibration
//   stack.SetCalibration(calibration);          // Ptr<CpuCalibration>
//   stack.Install(allNodes);
//
//   SipProxyHelper proxies;
//   proxies.SetAttribute("Transport", EnumValue(...));
//   Ptr<SipProxy> home = proxies.Install(homeNode, "home.com");
//   Ptr<SipProxy> office = proxies.Install(officeNode, "office.com");
//   SipProxyHelper::Peer({home, office}, {homeAddr, officeAddr});   // DNS table
//
//   SipUserAgentHelper uas;
//   Ptr<SipUserAgent> dan = uas.Install(danNode, "sip:dan@home.com", homeAddr);
//
// Applications start at the time given (default 0) and never stop unless
// told; SIP traffic is driven by SipUserAgent::SendIm.
#include <cstdint>
#include <string>
#include <vector>

#include "ns3/application-container.h"
#include "ns3/attribute.h"
#include "ns3/ipv4-address.h"
#include "ns3/node-container.h"
#include "ns3/nstime.h"
#include "ns3/object-factory.h"
#include "ns3/sip/cpu-calibration.h"
#include "ns3/sip/node-cpu.h"
#include "ns3/sip/sip-proxy.h"
#include "ns3/sip/sip-user-agent.h"

namespace ns3 {

// Gives every node one NodeCpu sharing one calibration table.
class SipStackHelper {
 public:
  void SetCalibration(Ptr<CpuCalibration> calibration) { m_calibration = calibration; }
  void SetCpuAttribute(const std::string& name, const AttributeValue& value);
  // Creates (or reconfigures) the node's NodeCpu.
  Ptr<NodeCpu> Install(Ptr<Node> node) const;
  void Install(const NodeContainer& nodes) const;

 private:
  Ptr<CpuCalibration> m_calibration;
  std::vector<std::pair<std::string, Ptr<AttributeValue>>> m_cpuAttributes;
};

class SipProxyHelper {
 public:
  SipProxyHelper();
  void SetAttribute(const std::string& name, const AttributeValue& value);
  void SetStartTime(Time t) { m_start = t; }
  // Installs a proxy for `domain` on `node` (creates its NodeCpu if absent).
  Ptr<SipProxy> Install(Ptr<Node> node, const std::string& domain) const;
  // Fills every proxy's domain table with every other proxy:
  // proxies[i] is reached at addresses[i].
  static void Peer(const std::vector<Ptr<SipProxy>>& proxies,
                   const std::vector<Ipv4Address>& addresses);

 private:
  ObjectFactory m_factory;
  Time m_start;
};

class SipUserAgentHelper {
 public:
  SipUserAgentHelper();
  void SetAttribute(const std::string& name, const AttributeValue& value);
  void SetStartTime(Time t) { m_start = t; }
  // Installs a UA for `aor` on `node`, with `proxy` as its outbound proxy
  // (port 5060 unless `proxyPort`). Creates the node's NodeCpu if absent.
  Ptr<SipUserAgent> Install(Ptr<Node> node, const std::string& aor, Ipv4Address proxy,
                            std::uint16_t proxyPort = 5060) const;

 private:
  ObjectFactory m_factory;
  Time m_start;
};

}  // namespace ns3
