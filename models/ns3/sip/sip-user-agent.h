#pragma once
// A SIP user agent sending and receiving instant messages (ns-3 Application).
//
// - Registers its AOR with its domain's proxy (REGISTER, re-registered
//   before expiry) unless the Register attribute is false.
// - Pager mode (RFC 3428): each IM is one MESSAGE sent to the outbound
//   proxy, answered by 200 OK, with RFC 3261 non-INVITE client transaction
//   timers (E/F/K) over UDP.
// - Session mode: the first IM to a peer sends INVITE with SDP through the
//   proxies; after 200/ACK a direct media connection carries the IMs, as the
//   paper's stripped MESSAGE (no Via, CSeq, Call-ID) or as MSRP SEND. The
//   session stays up for later IMs to the same peer until EndSession() (BYE)
//   or SessionIdleTimeout. One session per (peer AOR, mode); either end may
//   send on it. A forked INVITE keeps the first answering device (the others
//   get ACK and BYE).
// - Media connection set-up: ConnectionSetup = kBoth is the paper's race:
//   the callee connects as soon as it has the offer and pauses AnswerDelay
//   before answering; the caller connects on the 200 unless a connection is
//   already up; each end sends on the first connection up at its end and
//   reads from all; the end that opened a second connection counts it as a
//   duplicate, and closes it if it already sends on the other.
//   kActive/kPassive are RFC 4145 a=setup (the offerer is active / passive).
//
// Every message sent carries the bytes the wire core (models/sip, sdp, msrp)
// built, and every message received is parsed by it; parsing is charged to
// the node's NodeCpu.
//
// Attributes (TypeId "ns3::SipUserAgent"):
//   Aor                 string  "sip:user@domain" of this UA
//   ProxyAddress        Ipv4Address  outbound proxy (its domain's proxy)
//   ProxyPort           uint16  5060
//   LocalPort           uint16  SIP port (UDP and TCP); 0 = pick a free one
//   ListenStreams       bool    accept SIP over TCP/SCTP connections (true)
//   Transport           SipTransportProtocol  UA <-> proxy signalling: Udp | Tcp | Sctp
//   MediaTransport      SipTransportProtocol  session media: Tcp | Sctp
//   Register            bool    send REGISTER at start (true)
//   RegisterExpires     Time    Expires asked for (3600 s); re-registers at 90 %
//   T1, T2, T4          Time    RFC 3261 timers (500 ms, 4 s, 5 s)
//   Mtu                 uint32  path MTU for the RFC 3261 18.1.1 rule (1500)
//   SwitchToTcpAboveMtu bool    requests > Mtu - 200 go over TCP (true)
//   MessageSizeLimit    uint32  RFC 3428 limit on a pager MESSAGE (1300)
//   SizeRule            Violate | Refuse | UseTcp  (Violate)
//   ConnectionSetup     Both | Active | Passive   media connection roles (Both)
//   AnswerDelay         Time    callee's pause before answering INVITE (0)
//   SessionIdleTimeout  Time    BYE after this long without IMs; 0 = never (0)
//   InviteTimeout       Time    CANCEL an INVITE with a provisional but no final
//                               response after this long (RFC 3261 9.1); its
//                               IMs fail kCancelled; 0 = never (0)
//   MsrpSuccessReport   bool    ask for REPORT on success (false)
//   MsrpFailureReport   bool    send 200 to SEND (true; false = "no")
//   MsrpChunkSize       uint32  split SEND bodies larger than this; 0 = never
//   MsrpTransactionTimeout Time a SEND with no response this long fails its IM
//                               kTimeout, 408 (RFC 4975 7.1.1: 30 s); 0 = never
//   MediaMaxQueuedBytes uint64  unsent bytes a media connection may hold (4 MiB);
//                               above: session closed, its IMs fail kTransportError
//   ConnectionIdleTimeout Time  close a SIP connection idle this long (120 s); 0 = never
//   MaxConnectionsPerPeer uint32 SIP connections one IP address may open to the
//                               listener (64); one above is closed at once; 0 = no limit
//   Security            Ptr<SipImSecurity>  S/MIME on every IM's body, or MIKEY in
//                               the INVITE/200 SDP and sealed session messages; null
//                               (default) = none (see sip-im-security.h)
//
// Trace sources: Tx, Rx (SipWireTracedCallback), Drop (SipDropTracedCallback),
//   ImSent, ImRetransmitted, ImDelivered, ImOutcome, Session, MediaConnection (see
//   sip-im-types.h for the signatures and exactly when each fires).
//
// Many UAs may share a node: give each its own LocalPort (0 picks a free
// one); ns-3 demultiplexes sockets by a linear search, so hundreds of UAs on
// one node slow every packet to it. A UA that is idle schedules nothing but
// its re-registration.
#include <cstdint>
#include <memory>
#include <string>

#include "ns3/application.h"
#include "ns3/event-id.h"
#include "ns3/ipv4-address.h"
#include "ns3/nstime.h"
#include "ns3/ptr.h"
#include "ns3/sip/sip-im-types.h"
#include "ns3/traced-callback.h"

namespace ns3 {

class SipImSecurity;

class SipUserAgent : public Application {
 public:
  static TypeId GetTypeId();
  SipUserAgent();
  ~SipUserAgent() override;

  // RFC 4145 roles for the media connection.
  // Unscoped (ns-3 3.37 EnumValue holds an int); write ConnectionSetup::kBoth.
  enum ConnectionSetup : std::uint8_t {
    kBoth = 0,     // the paper: both listen and connect, first up wins
    kActive = 1,   // the offerer (caller) connects, the answerer listens
    kPassive = 2,  // the answerer connects, the offerer listens
  };
  // What a pager-mode MESSAGE above MessageSizeLimit does (RFC 3428 sec. 9).
  enum SizeRule : std::uint8_t {
    kViolate = 0,  // send it anyway (over UDP: IP fragments)
    kRefuse = 1,   // fail it locally (kTooLargeLocal), nothing sent
    kUseTcp = 2,   // send it over TCP (a congestion-controlled first hop)
  };

  // Sends one IM of `bodyBytes` bytes of text to `to` ("sip:user@domain" or
  // "user@domain"). Returns its ImId (> 0). The outcome is reported by the
  // ImOutcome trace, exactly once. Group chat to K recipients is K calls
  // (K ImIds; in session mode one session per pair).
  std::uint64_t SendIm(const std::string& to, std::uint32_t bodyBytes, SipImMode mode);
  // The same with a given body (its bytes are sent as they are).
  std::uint64_t SendIm(const std::string& to, const std::string& body, SipImMode mode);
  // Ends the session with `to` (BYE) once every IM queued on it has been
  // delivered or failed. No effect without a session.
  void EndSession(const std::string& to);
  bool HasSession(const std::string& to) const;

  // Identity and state.
  const std::string& GetAor() const { return m_aor; }  // "sip:dan@home.com"
  bool IsRegistered() const { return m_registered; }
  std::uint16_t GetSipPort() const;  // the port actually bound

  // Counters (also visible through the traces).
  std::uint64_t GetImsSent() const { return m_imsSent; }
  std::uint64_t GetImsDelivered() const { return m_imsDelivered; }      // received here
  std::uint64_t GetImsSucceeded() const { return m_imsSucceeded; }      // own IMs, kDelivered
  std::uint64_t GetImsFailed() const { return m_imsFailed; }            // own IMs, kFailed
  std::uint64_t GetRetransmissions() const { return m_retransmissions; }
  std::uint64_t GetDuplicateConnections() const { return m_duplicateConnections; }
  std::uint64_t GetSessionsOpened() const { return m_sessionsOpened; }
  // SIP stream connections (TCP/SCTP) open now (see ConnectionIdleTimeout).
  std::size_t GetStreamConnections() const;
  // ImIds remembered for duplicate suppression (see ImDelivered's flag).
  std::size_t GetRememberedImIds() const;

 protected:
  void DoDispose() override;

 private:
  void StartApplication() override;
  void StopApplication() override;
  void SetAor(std::string aor);
  std::string GetAorValue() const;

  // Attributes.
  std::string m_aor;
  std::string m_user, m_domain;  // parts of m_aor
  Ipv4Address m_proxyAddress;
  std::uint16_t m_proxyPort = 5060;
  std::uint16_t m_localPort = 0;
  SipTransportProtocol m_transport = SipTransportProtocol::kUdp;
  SipTransportProtocol m_mediaTransport = SipTransportProtocol::kTcp;
  bool m_listenStreams = true;
  bool m_register = true;
  Time m_registerExpires;
  Time m_t1, m_t2, m_t4;
  std::uint32_t m_mtu = 1500;
  bool m_switchToTcpAboveMtu = true;
  std::uint32_t m_messageSizeLimit = 1300;
  SizeRule m_sizeRule = SizeRule::kViolate;
  ConnectionSetup m_connectionSetup = ConnectionSetup::kBoth;
  Time m_answerDelay;
  Time m_sessionIdleTimeout;
  Time m_mediaConnectTimeout;
  Time m_inviteTimeout;
  bool m_msrpSuccessReport = false;
  bool m_msrpFailureReport = true;
  std::uint32_t m_msrpChunkSize = 0;
  Time m_msrpTransactionTimeout;
  std::uint64_t m_mediaMaxQueuedBytes = std::uint64_t{4} << 20;
  Time m_connectionIdleTimeout;
  bool m_sctpUnordered = true;
  std::uint16_t m_sctpStreams = 1;
  bool m_sctpInterleaving = false;
  std::uint32_t m_maxConnectionsPerPeer = 64;
  Ptr<SipImSecurity> m_security;

  // State lives in the implementation (sip-user-agent.cc).
  struct Impl;
  friend struct Impl;
  std::unique_ptr<Impl> m_impl;
  bool m_registered = false;
  bool m_running = false;
  std::uint32_t m_cseq = 0;  // out-of-dialog requests

  std::uint64_t m_imsSent = 0, m_imsDelivered = 0, m_imsSucceeded = 0, m_imsFailed = 0;
  std::uint64_t m_retransmissions = 0, m_duplicateConnections = 0, m_sessionsOpened = 0;

  // Traces.
  TracedCallback<const SipWireEvent&> m_txTrace;
  TracedCallback<const SipWireEvent&> m_rxTrace;
  TracedCallback<const SipDropEvent&> m_dropTrace;
  TracedCallback<std::uint64_t, const std::string&, std::uint32_t, SipImMode> m_imSentTrace;
  TracedCallback<std::uint64_t, std::uint32_t, std::uint32_t> m_imRetransmittedTrace;
  TracedCallback<std::uint64_t, const std::string&, std::uint32_t, std::uint32_t, bool>
      m_imDeliveredTrace;
  TracedCallback<std::uint64_t, SipImOutcome, SipFailReason, std::uint16_t> m_imOutcomeTrace;
  TracedCallback<std::uint64_t, SipSessionEvent, const std::string&> m_sessionTrace;
  TracedCallback<std::uint64_t, Ipv4Address, std::uint16_t, Ipv4Address, std::uint16_t> m_mediaConnectionTrace;
};

}  // namespace ns3
