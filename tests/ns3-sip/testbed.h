#pragma once
// The paper's topology for the model tests: Dan -- home.com -- office.com --
// Shirley, point-to-point links, and a recorder of every SIP event.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/sip/sip-helper.h"

namespace sipim_test {

// One Tx event as the tests compare it: who sent what to whom.
struct WireRecord {
  double time;
  std::string node;  // "dan", "home", "office", "shirley", "dev1", ...
  std::string type;  // "MESSAGE", "200", "INVITE", "ACK", ...
  std::string peer;  // the node the message was sent to
  std::string transport;
  bool retransmission;
  std::uint32_t bytes;
  std::uint64_t attrId;
  ns3::SipAttributionKind attrKind;  // kIm: an IM's message; kSession: the session's own
};

struct Outcome {
  std::uint64_t imId;
  ns3::SipImOutcome outcome;
  ns3::SipFailReason reason;
  std::uint16_t status;
  double time;
};

struct Delivery {
  std::uint64_t imId;
  std::string node;
  std::uint32_t bodyBytes;
  std::uint32_t hops;
  bool duplicate;
  double time;
};

class Testbed {
 public:
  struct Options {
    std::string linkRate = "10Mbps";
    std::string linkDelay = "5ms";
    std::uint32_t mtu = 1500;
    std::uint32_t extraShirleyDevices = 0;  // more UAs registered as shirley
    bool registerUas = true;
    // Called after the IP stack is installed, before any SIP application
    // (e.g. to install SCTP).
    std::function<void(ns3::NodeContainer&)> beforeApps;
  };
  explicit Testbed(const Options& o);
  Testbed() : Testbed(Options{}) {}
  ~Testbed();

  // Connects the recorders to every UA and proxy.
  void Record();
  std::string NameOf(ns3::Ipv4Address a) const;
  // Tx records from `from` seconds on, excluding REGISTER traffic.
  std::vector<WireRecord> TxAfter(double from) const;

  ns3::NodeContainer nodes;  // dan, home, office, shirley, [devices...]
  std::vector<ns3::Ipv4Address> addr;  // one address per node (first interface)
  ns3::Ptr<ns3::SipProxy> home, office;
  ns3::Ptr<ns3::SipUserAgent> dan, shirley;
  std::vector<ns3::Ptr<ns3::SipUserAgent>> devices;  // extra shirley devices
  std::vector<ns3::NetDeviceContainer> links;  // dan-home, home-office, office-shirley, office-devN
  ns3::SipUserAgentHelper uaHelper;
  ns3::SipProxyHelper proxyHelper;

  std::vector<WireRecord> tx;
  std::vector<Outcome> outcomes;
  std::vector<Delivery> deliveries;
  std::vector<ns3::SipDropEvent> drops;
  std::vector<std::pair<std::uint64_t, ns3::SipSessionEvent>> sessionEvents;

 private:
  void Connect(ns3::Ptr<ns3::SipUserAgent> ua, const std::string& name);
  void Connect(ns3::Ptr<ns3::SipProxy> p, const std::string& name);
  // A sink for an application's "Tx" trace that records under `name`.
  ns3::Callback<void, const ns3::SipWireEvent&> TxRecorder(const std::string& name);
  std::vector<std::string> m_names;
};

// An error model that drops the first `n` packets it sees (n < 0: all).
class DropFirst : public ns3::ErrorModel {
 public:
  explicit DropFirst(int n) : m_left(n) {}

 private:
  bool DoCorrupt(ns3::Ptr<ns3::Packet>) override {
    if (m_left < 0) return true;
    if (m_left == 0) return false;
    --m_left;
    return true;
  }
  void DoReset() override {}
  int m_left;
};

// An error model that drops the first `n` packets holding `text`.
class DropFirstWith : public ns3::ErrorModel {
 public:
  DropFirstWith(int n, std::string text) : m_left(n), m_text(std::move(text)) {}

 private:
  bool DoCorrupt(ns3::Ptr<ns3::Packet> p) override {
    if (m_left == 0) return false;
    std::string b(p->GetSize(), '\0');
    p->CopyData(reinterpret_cast<std::uint8_t*>(&b[0]), p->GetSize());
    if (b.find(m_text) == std::string::npos) return false;
    --m_left;
    return true;
  }
  void DoReset() override {}
  int m_left;
  std::string m_text;
};

// Removes the PPP header, when `c` still has one (a point-to-point
// device's MacRx and receive error model see it), and the IPv4 header,
// which it returns.
ns3::Ipv4Header RemoveLinkAndIpHeaders(ns3::Ptr<ns3::Packet> c);
// Calls `f` with the header and payload size of every TCP segment `node` sends.
void OnTcpTx(ns3::Ptr<ns3::Node> node, std::function<void(const ns3::TcpHeader&, std::uint32_t payload)> f);
// Calls `f` with what follows the IPv4 header in every first fragment of
// protocol `proto` received on `dev` (MacRx).
void OnIpRx(ns3::Ptr<ns3::NetDevice> dev, std::uint8_t proto, std::function<void(ns3::Ptr<ns3::Packet>)> f);
// Appends every TCP payload byte seen on `dev` (received) whose source or
// destination port is `port` (0: any non-SIP port) to `*out`.
void SniffTcp(ns3::Ptr<ns3::NetDevice> dev, std::uint16_t notPort, std::string* out);
// Appends the payload of every UDP datagram received on `dev` (first
// fragments only) to `*out`, one string each.
void SniffUdp(ns3::Ptr<ns3::NetDevice> dev, std::vector<std::string>* out);

// Loses every packet of IP protocol `proto` (on a point-to-point device,
// whose receive error model sees the PPP header too).
class DropProtocol : public ns3::ErrorModel {
 public:
  explicit DropProtocol(std::uint8_t proto) : m_proto(proto) {}

 private:
  bool DoCorrupt(ns3::Ptr<ns3::Packet> p) override { return RemoveLinkAndIpHeaders(p->Copy()).GetProtocol() == m_proto; }
  void DoReset() override {}
  std::uint8_t m_proto;
};

}  // namespace sipim_test
