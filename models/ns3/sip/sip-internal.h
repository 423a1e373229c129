#pragma once
// Internals shared by the SIP models (not part of the public API).
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ns3/sip/sip-im-types.h"

namespace ns3 {
class SipUserAgent;
namespace sipns3 {

// Counters behind every id (reset by SipResetIdCounters).
struct IdCounters {
  std::uint64_t im = 0;
  std::uint64_t session = 0;
  std::uint64_t registration = 0;
  std::uint64_t branch = 0;  // seeds of the wire core's IdGenerators
};
IdCounters& Ids();

// Call-IDs (and MSRP Message-IDs) carry what they belong to: a kind letter
// and 15 hex digits ("m00000000000002a"), 16 characters like the wire
// core's IdGenerator ids. This is how a proxy or a recipient attributes a
// message to an IM or a session without any out-of-band channel.
void AppendAttributedId(SipAttribution a, std::string* out);

// Live CPU: runs the SIP and MSRP parsers once (a datagram, a stream, an
// MSRP SEND), uncharged, so that the first message a live node parses does
// not carry the process's first touch of the parser code and data (see
// SipImSecurity::WarmUp). Once per process.
void WarmUpParsers();
SipAttribution ParseAttributedId(std::string_view s);

// Simulation bookkeeping shared by the two ends of a session (no bytes):
// which IM each in-session message is (the stripped MESSAGE has no id), and
// who to tell when it is delivered.
struct SharedSession {
  std::uint64_t id = 0;
  // [0]: caller -> callee, [1]: callee -> caller. Stripped messages are
  // delivered in order on one connection, so a FIFO names them.
  std::deque<std::uint64_t> inFlight[2];
  // Security = Smime: the IMs whose stripped MESSAGE was refused, by the
  // direction of the refusal (493) on the wire ([0]: caller -> callee). A
  // stripped response names no request either, so, as above, a FIFO does.
  std::deque<std::uint64_t> refusals[2];
  SipUserAgent* ends[2] = {nullptr, nullptr};
  // The UA that sent each IM still in flight, told of its delivery: of the
  // devices a forked INVITE reached, a late copy of the INVITE (which
  // makes its device ends[1]) must not take the notices of IMs another
  // device sent.
  std::unordered_map<std::uint64_t, SipUserAgent*> imSenders;
  // Media connections opened and up, by the callee device they reach or
  // come from (its IPv4 address): a forked INVITE has one callee per device.
  std::unordered_map<std::uint32_t, std::uint32_t> connectionsUp;
};
std::unordered_map<std::uint64_t, std::shared_ptr<SharedSession>>& SessionRegistry();

// "sip:dan@home.com" from "dan@home.com" or "sip:dan@home.com"; splits
// user and domain. False if there is no '@'.
bool NormalizeAor(const std::string& in, std::string* aor, std::string* user,
                  std::string* domain);

// Connection attributes the UA and the proxy share (name, help, default),
// so that the two cannot drift apart.
inline constexpr const char* kConnectionIdleTimeoutHelp =
    "Close a SIP connection (TCP/SCTP) that carried nothing either way for this "
    "long and no client transaction waits on; the next message opens a new one. 0: never.";
inline constexpr std::int64_t kConnectionIdleTimeoutSeconds = 120;
inline constexpr const char* kMaxConnectionsPerPeerHelp =
    "Most SIP connections (TCP/SCTP) one remote IP address may have open to this "
    "node's listener; one accepted above is closed at once (Drop traced). 0: no limit.";
inline constexpr std::uint32_t kMaxConnectionsPerPeer = 64;
inline constexpr const char* kSctpStreamsHelp =
    "SIP over SCTP: messages on this many streams, each transaction (an IM, a session, a "
    "registration) on one (its id mod the count); 1: stream 0 only (RFC 4168 5.1). The sockets "
    "ask for at least this many streams.";
inline constexpr const char* kSctpInterleavingHelp =
    "SIP over SCTP: offer user-message interleaving (RFC 8260 I-DATA) and schedule round-robin "
    "between streams, so that with SctpStreams > 1 a small message is not held behind a large "
    "one's fragments at the sender.";
inline constexpr const char* kSctpUnorderedHelp =
    "SIP over SCTP: each message is one SCTP user message on stream 0, sent with the U bit "
    "(unordered, RFC 4168 5.1's SHOULD: a lost message holds back no other) when true, "
    "ordered when false (one lost message delays every later one on the association).";

}  // namespace sipns3
}  // namespace ns3
