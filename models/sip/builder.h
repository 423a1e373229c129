#pragma once
// Builders that append SIP messages to one std::string (RFC 3261 section 8
// for requests, section 8.2.6 for responses). They do not allocate beyond
// the growth of that string, and they are deterministic: every random-looking
// part (branch, tag, Call-ID) comes from the caller, usually from an
// IdGenerator seeded by the simulation.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/parse_error.h"
#include "sip/message.h"

namespace sipim::sip {

// The Via branch magic cookie (RFC 3261 section 8.1.1.7).
inline constexpr std::string_view kBranchCookie = "z9hG4bK";

// Deterministic, counter-based ids: the same seed yields the same sequence.
// Each id is the cookie or prefix followed by 16 hex digits of a
// SplitMix64 stream, so ids are unique per generator and well spread.
class IdGenerator {
 public:
  explicit IdGenerator(std::uint64_t seed) : state_(seed) {}
  // Appends "z9hG4bK" + 16 hex digits.
  void AppendBranch(std::string* out);
  // Appends 16 hex digits (a From/To tag).
  void AppendTag(std::string* out);
  // Appends 16 hex digits + "@" + host (a Call-ID).
  void AppendCallId(std::string_view host, std::string* out);
  std::string Branch() { std::string s; AppendBranch(&s); return s; }
  std::string Tag() { std::string s; AppendTag(&s); return s; }
  std::string CallId(std::string_view host) { std::string s; AppendCallId(host, &s); return s; }
  std::uint64_t NextU64();

 private:
  std::uint64_t state_;
};

// Everything a UAC request needs. Empty views mean "leave the field out".
struct RequestSpec {
  std::string_view method;       // "MESSAGE", "INVITE", "ACK", "BYE", ...
  std::string_view request_uri;  // "sip:bob@example.com"
  // Top Via, written "SIP/2.0/<transport> <host>[:<port>];branch=<branch>[;rport]".
  std::string_view via_transport = "UDP";
  std::string_view via_host;
  int via_port = 0;          // 0: no port
  std::string_view branch;   // must start with z9hG4bK
  bool via_rport = false;
  // From / To: "<display>" <uri>;tag=...
  std::string_view from_display;
  std::string_view from_uri;
  std::string_view from_tag;  // required
  std::string_view to_display;
  std::string_view to_uri;
  std::string_view to_tag;  // "" outside a dialog
  std::string_view call_id;
  std::uint32_t cseq = 1;
  std::string_view cseq_method;  // "" means `method` (CANCEL/ACK reuse)
  int max_forwards = 70;
  std::string_view route;    // raw Route value ("<sip:p1;lr>,<sip:p2;lr>")
  std::string_view contact;  // URI; written as <uri>
  int expires = -1;          // -1: no Expires
  // Extra fields, each a full "Name: value\r\n" line, in order.
  std::string_view extra_headers;
  std::string_view content_type;  // required when body is not empty
  std::string_view body;
};

// Appends the request. Checks what the builder cannot get right for the
// caller: a method, Request-URI, From URI and tag, To URI, Call-ID, a
// branch with the magic cookie, CSeq at most 2^31 - 1, a Content-Type for a
// body, and no CR or LF inside any value. On error *out is unchanged.
ParseError BuildRequest(const RequestSpec& spec, std::string* out);

// The in-session MESSAGE of Cui et al. (2010), "stripped" of everything a
// direct connection makes redundant: no Via, Max-Forwards, Call-ID or CSeq
// (nor tags). It carries the request line, From, To, Content-Type and
// Content-Length, and goes only over an established stream, where
// Content-Length frames it. Checks: Request-URI, From and To URIs, a
// Content-Type for the body, and no CR or LF inside any value.
struct StrippedMessageSpec {
  std::string_view request_uri;
  std::string_view from_uri;
  std::string_view to_uri;
  std::string_view content_type = "text/plain";
  std::string_view body;
};
ParseError BuildStrippedMessage(const StrippedMessageSpec& spec, std::string* out);

// The answer to a stripped MESSAGE that was not accepted (sipim's session
// security: 493 Undecipherable, RFC 3261 23.2, for an S/MIME body that does
// not open). Stripped as the request is: the status line, the request's
// From and To copied, Content-Length 0; no Via, Call-ID or CSeq to copy,
// and none needed on the session's own connection. Checks: `request` is a
// request with From and To, the status is 300-699 (a stripped MESSAGE
// that is accepted gets no answer).
ParseError BuildStrippedResponse(const Message& request, int status, std::string* out);

// CANCEL for a parsed INVITE (RFC 3261 section 9.1): same Request-URI, top
// Via, From, To, Call-ID, Route and CSeq number, method CANCEL.
ParseError BuildCancel(const Message& invite, std::string* out);
// ACK for a non-2xx final response to `invite` (RFC 3261 section 17.1.1.3):
// the INVITE's Request-URI, top Via, From, Call-ID, CSeq number and Route,
// the response's To (with its tag).
ParseError BuildAckForFailure(const Message& invite, const Message& response, std::string* out);

// A response to a parsed request (RFC 3261 section 8.2.6).
struct ResponseSpec {
  int status = 200;              // 100..699
  std::string_view reason;       // "" uses the RFC 3261 default phrase
  std::string_view to_tag;       // added to To when it has none (not for 100)
  std::string_view contact;      // URI; "" for none
  std::string_view extra_headers;  // full "Name: value\r\n" lines
  std::string_view content_type;
  std::string_view body;
};
// Copies every Via (in order), From, To (adding to_tag), Call-ID, CSeq and,
// for 101-299 responses, Record-Route, and for 100 Trying a Timestamp.
ParseError BuildResponse(const Message& request, const ResponseSpec& spec, std::string* out);

// The RFC 3261 section 21 reason phrase of a status code ("" if unknown).
std::string_view DefaultReason(int status);

}  // namespace sipim::sip
