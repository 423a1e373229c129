#include "ns3/sip/sip-helper.h"

#include "ns3/ipv4-address.h"
#include "ns3/string.h"
#include "ns3/uinteger.h"

namespace ns3 {

void SipStackHelper::SetCpuAttribute(const std::string& name, const AttributeValue& value) {
  m_cpuAttributes.emplace_back(name, value.Copy());
}

Ptr<NodeCpu> SipStackHelper::Install(Ptr<Node> node) const {
  Ptr<NodeCpu> cpu = NodeCpu::GetOrCreate(node);
  if (m_calibration) cpu->SetCalibration(m_calibration);
  for (const auto& a : m_cpuAttributes) cpu->SetAttribute(a.first, *a.second);
  return cpu;
}

void SipStackHelper::Install(const NodeContainer& nodes) const {
  for (auto it = nodes.Begin(); it != nodes.End(); ++it) Install(*it);
}

SipProxyHelper::SipProxyHelper() { m_factory.SetTypeId(SipProxy::GetTypeId()); }

void SipProxyHelper::SetAttribute(const std::string& name, const AttributeValue& value) {
  m_factory.Set(name, value);
}

Ptr<SipProxy> SipProxyHelper::Install(Ptr<Node> node, const std::string& domain) const {
  NodeCpu::GetOrCreate(node);
  Ptr<SipProxy> p = m_factory.Create<SipProxy>();
  p->SetAttribute("Domain", StringValue(domain));
  p->SetStartTime(m_start);
  node->AddApplication(p);
  return p;
}

void SipProxyHelper::Peer(const std::vector<Ptr<SipProxy>>& proxies,
                          const std::vector<Ipv4Address>& addresses) {
  NS_ABORT_MSG_IF(proxies.size() != addresses.size(), "SipProxyHelper::Peer: sizes differ");
  for (std::size_t i = 0; i < proxies.size(); ++i)
    for (std::size_t j = 0; j < proxies.size(); ++j)
      if (i != j) proxies[i]->AddDomainRoute(proxies[j]->GetDomain(), addresses[j], proxies[j]->GetPort());
}

SipUserAgentHelper::SipUserAgentHelper() { m_factory.SetTypeId(SipUserAgent::GetTypeId()); }

void SipUserAgentHelper::SetAttribute(const std::string& name, const AttributeValue& value) {
  m_factory.Set(name, value);
}

Ptr<SipUserAgent> SipUserAgentHelper::Install(Ptr<Node> node, const std::string& aor,
                                              Ipv4Address proxy, std::uint16_t proxyPort) const {
  NodeCpu::GetOrCreate(node);
  Ptr<SipUserAgent> ua = m_factory.Create<SipUserAgent>();
  ua->SetAttribute("Aor", StringValue(aor));
  ua->SetAttribute("ProxyAddress", Ipv4AddressValue(proxy));
  ua->SetAttribute("ProxyPort", UintegerValue(proxyPort));
  ua->SetStartTime(m_start);
  node->AddApplication(ua);
  return ua;
}

}  // namespace ns3
