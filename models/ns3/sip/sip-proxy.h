#pragma once
// A transaction-stateful SIP proxy with registrar and location service
// (ns-3 Application), RFC 3261 sections 10, 16 and 17.
//
// - Registrar: REGISTER for its Domain binds the AOR to the Contact (many
//   contacts per AOR: devices), with the expiry asked for; 200 OK.
// - Routing: a request for its own domain goes to every registered contact
//   of the Request-URI's AOR (parallel forking: one client transaction per
//   contact; the first 2xx is forwarded, later ones are absorbed; with no
//   binding, 480). A request for another domain goes to that domain's proxy
//   from the table filled by AddDomainRoute (standing for DNS); unknown
//   domain: 404. A request that carries Route headers follows them
//   (loose routing, used by in-dialog requests when RecordRoute is on).
// - Forwarding (RFC 3261 16.6): pushes its Via (branch from a counter),
//   decrements Max-Forwards (483 when it reaches 0), optionally adds
//   Record-Route; responses pop the top Via and go back to the next one.
// - Transactions (RFC 3261 17): INVITE server (100 Trying at once), non-INVITE
//   server (timer J absorbs retransmissions), INVITE client (timers A, B),
//   non-INVITE client (timers E, F, K). T1, T2, T4 are attributes. Timeouts
//   produce 408 upstream.
// - Transports: listens on UDP and TCP (and SCTP when available) on Port;
//   forwards over the Transport attribute, switching to TCP for requests
//   larger than Mtu - 200 when SwitchToTcpAboveMtu (RFC 3261 18.1.1); replies
//   on the connection a request came on; reuses connections (RFC 3261 18).
// - EnforceSizeLimit: a MESSAGE larger than MessageSizeLimit that arrived
//   over UDP is answered 513 Message Too Large (RFC 3428 / RFC 3261 21.5.11).
// - Parsing each received message is charged to the node's NodeCpu.
//
// Attributes (TypeId "ns3::SipProxy"): Domain (string), Port (5060),
//   Transport (Udp | Tcp | Sctp: proxy-to-proxy hops), RecordRoute (false),
//   T1, T2, T4 (500 ms, 4 s, 5 s), Mtu (1500), SwitchToTcpAboveMtu (true),
//   EnforceSizeLimit (false), MessageSizeLimit (1300), MaxBindingsPerAor (32),
//   ConnectionIdleTimeout (120 s: a SIP connection idle that long is closed; 0 = never),
//   MaxConnectionsPerPeer (64: SIP connections one IP address may open here; 0 = no limit),
//   TimerC (181 s; 0 = off: an INVITE branch with no final response that long is
//   CANCELled if it had a provisional response, else answered 408, RFC 3261 16.8).
// Trace sources: Tx, Rx, Drop (as SipUserAgent), Fork (ForkTracedCallback),
//   TimerC (TimerCTracedCallback).
#include <cstdint>
#include <memory>
#include <string>

#include "ns3/application.h"
#include "ns3/ipv4-address.h"
#include "ns3/nstime.h"
#include "ns3/sip/sip-im-types.h"
#include "ns3/traced-callback.h"

namespace ns3 {

class SipProxy : public Application {
 public:
  static TypeId GetTypeId();
  SipProxy();
  ~SipProxy() override;

  // DNS stand-in: requests for `domain` go to the proxy at address:port.
  void AddDomainRoute(const std::string& domain, Ipv4Address address, std::uint16_t port = 5060);
  // A binding installed without a REGISTER (large scenarios that skip the
  // registration phase). `aor` is "sip:user@domain" or "user@domain".
  void AddStaticBinding(const std::string& aor, Ipv4Address contact, std::uint16_t port,
                        SipTransportProtocol transport = SipTransportProtocol::kUdp);

  const std::string& GetDomain() const { return m_domain; }
  std::uint16_t GetPort() const { return m_port; }
  // Registered contacts of an AOR (0 when none).
  std::uint32_t GetBindingCount(const std::string& aor) const;

  std::uint64_t GetRequestsReceived() const { return m_requestsReceived; }
  std::uint64_t GetRequestsForwarded() const { return m_requestsForwarded; }  // per branch
  std::uint64_t GetResponsesForwarded() const { return m_responsesForwarded; }
  std::uint64_t GetRetransmissions() const { return m_retransmissions; }
  std::uint64_t GetRegistrations() const { return m_registrations; }
  std::uint64_t GetDrops() const { return m_drops; }
  std::uint64_t GetTimerCExpirations() const { return m_timerCExpirations; }
  // SIP stream connections (TCP/SCTP) open now (see ConnectionIdleTimeout).
  std::size_t GetStreamConnections() const;

  // Trace "Fork": a request went to `branches` contacts.
  typedef void (*ForkTracedCallback)(SipAttribution attr, std::uint32_t branches);
  // Timer C fired on a branch of the INVITE `attr`; `cancelled` when the
  // branch had a provisional response and was CANCELled (else: 408).
  typedef void (*TimerCTracedCallback)(SipAttribution attr, bool cancelled);

 protected:
  void DoDispose() override;

 private:
  void StartApplication() override;
  void StopApplication() override;

  // Attributes.
  std::string m_domain;
  std::uint16_t m_port = 5060;
  SipTransportProtocol m_transport = SipTransportProtocol::kUdp;
  bool m_recordRoute = false;
  Time m_t1, m_t2, m_t4;
  std::uint32_t m_mtu = 1500;
  bool m_switchToTcpAboveMtu = true;
  bool m_enforceSizeLimit = false;
  std::uint32_t m_messageSizeLimit = 1300;
  std::uint32_t m_maxBindingsPerAor = 32;
  Time m_connectionIdleTimeout;
  bool m_sctpUnordered = true;
  std::uint16_t m_sctpStreams = 1;
  bool m_sctpInterleaving = false;
  Time m_timerC;
  std::uint32_t m_maxConnectionsPerPeer = 64;

  struct Impl;
  friend struct Impl;
  std::unique_ptr<Impl> m_impl;

  std::uint64_t m_requestsReceived = 0, m_requestsForwarded = 0, m_responsesForwarded = 0;
  std::uint64_t m_retransmissions = 0, m_registrations = 0, m_drops = 0, m_timerCExpirations = 0;

  TracedCallback<const SipWireEvent&> m_txTrace;
  TracedCallback<const SipWireEvent&> m_rxTrace;
  TracedCallback<const SipDropEvent&> m_dropTrace;
  TracedCallback<SipAttribution, std::uint32_t> m_forkTrace;
  TracedCallback<SipAttribution, bool> m_timerCTrace;
};

}  // namespace ns3
