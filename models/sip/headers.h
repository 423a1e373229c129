#pragma once
// Typed access to header field values, parsed lazily on demand.
//
// Parse() in sip/message.h only splits fields; these functions parse one
// field value when a caller asks for it. Results are views into the same
// buffer as the Message. Each function takes `base`, the buffer the value
// lives in (normally msg.input), so that an error carries the line and
// column in that buffer; with an empty base they are relative to the value.
//
// Whitespace: values may contain folded lines (CRLF followed by SP/HT);
// all parsers treat them as linear white space (RFC 3261 section 7.3.1).
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/parse_error.h"
#include "sip/message.h"

namespace sipim::sip {

// A ';'-separated generic-param list, kept as its text (from the first ';',
// or empty) and searched on demand. The typed parsers have already checked
// its syntax: every name is a token, every value a token, a quoted string or
// (for hosts) an IPv6 reference.
struct Param {
  std::string_view name;
  std::string_view value;  // without quotes removed: "\"x\"" stays quoted
  bool has_value = false;
};
class ParamList {
 public:
  ParamList() = default;
  explicit ParamList(std::string_view raw) : raw_(raw) {}
  std::string_view raw() const { return raw_; }
  bool empty() const { return raw_.empty(); }
  // Finds `name` (case-insensitive). Returns false if absent.
  bool Find(std::string_view name, Param* out) const;
  bool Has(std::string_view name) const {
    Param p;
    return Find(name, &p);
  }
  // Iteration: start with pos = 0; returns false at the end.
  bool Next(std::size_t* pos, Param* out) const;

 private:
  std::string_view raw_;
};

// Splits a field value into its comma-separated values, ignoring commas
// inside quoted strings and <...> (RFC 3261 section 7.3.1).
class ValueSplitter {
 public:
  explicit ValueSplitter(std::string_view value) : rest_(value) {}
  // The next value, trimmed of LWS. False at the end, or on an unbalanced
  // quote or bracket (then error() is set and points into the value).
  bool Next(std::string_view* item);
  const char* error() const { return error_; }
  const char* error_at() const { return error_at_; }

 private:
  std::string_view rest_;
  bool done_ = false;
  const char* error_ = nullptr;
  const char* error_at_ = nullptr;
};

// One via-parm (RFC 3261 section 20.42).
//
// Via and NameAddr have an empty user-provided default constructor: the
// members still start as their initializers say, but GCC then writes them
// with plain stores; the implicit constructor of an object this size becomes
// one block clear, which x86-64 GCC emits as `rep stos` (slow to start: about
// a fifth of a parse+read of a MESSAGE in the benchmark).
struct Via {
  Via() noexcept {}
  std::string_view protocol;   // "SIP"
  std::string_view version;    // "2.0"
  std::string_view transport;  // "UDP", "TCP", "SCTP", "TLS", any token
  std::string_view host;       // hostname, IPv4, or "[IPv6]" with brackets
  int port = 0;                // 0 when absent
  std::string_view branch;     // "" when absent
  std::string_view received;   // "" when absent
  std::string_view maddr;      // "" when absent
  bool has_rport = false;
  int rport = 0;  // 0 for a bare ";rport"
  int ttl = -1;   // -1 when absent
  ParamList params;  // every parameter, the ones above included
  std::string_view text;  // the whole via-parm, without surrounding LWS
};
// Parses one via-parm (a single value, as ValueSplitter yields).
ParseError ParseVia(std::string_view value, Via* out, std::string_view base = {});
// The top-most via-parm of the message: the first value of the first Via.
// Only that value is parsed (fast path for transaction matching); the
// values after it are checked by AllVias() and Validate().
ParseError TopVia(const Message& msg, Via* out);
// Every via-parm, in order, across all Via fields (appends to *out).
ParseError AllVias(const Message& msg, std::vector<Via>* out);
// The same verdict as AllVias() (the same error, reason and offset) without
// keeping the values: the check Validate() makes. If top is not null and
// the check passes, *top is what TopVia() gives (an empty Via when the
// message has no Via field, which AllVias() does not refuse either).
// If count is not null, *count is the number of via-parms (on success).
ParseError CheckVias(const Message& msg, Via* top = nullptr, std::uint32_t* count = nullptr);

// name-addr / addr-spec with parameters: From, To, Contact, Route,
// Record-Route, Reply-To, Refer-To (RFC 3261 section 20).
struct NameAddr {
  NameAddr() noexcept {}  // see Via
  bool star = false;            // Contact: *
  bool angle = false;           // the URI was written in <...>
  bool quoted_display = false;  // the display name was a quoted string
  std::string_view display_name;  // inside the quotes, escapes kept; "" if none
  std::string_view uri;           // without the angle brackets
  std::string_view tag;           // "" when absent
  ParamList params;               // header parameters (after the URI)
  std::string_view text;          // the whole value
};
ParseError ParseNameAddr(std::string_view value, NameAddr* out, std::string_view base = {});
// Every value of a comma-separated field value (Contact, Route, ...).
ParseError ParseNameAddrList(std::string_view value, std::vector<NameAddr>* out,
                             std::string_view base = {});

struct CSeq {
  std::uint32_t number = 0;  // at most 2^31 - 1
  std::string_view method;
};
ParseError ParseCSeq(std::string_view value, CSeq* out, std::string_view base = {});

// Call-ID: word [ "@" word ].
ParseError ParseCallId(std::string_view value, std::string_view* out,
                       std::string_view base = {});

// Max-Forwards: 1*DIGIT, at most 255.
ParseError ParseMaxForwards(std::string_view value, int* out, std::string_view base = {});

// Content-Length: 1*DIGIT, at most kMaxMessageSize.
ParseError ParseContentLength(std::string_view value, std::int64_t* out,
                              std::string_view base = {});

struct ContentType {
  std::string_view type;     // "application"
  std::string_view subtype;  // "sdp"
  ParamList params;
};
ParseError ParseContentType(std::string_view value, ContentType* out,
                            std::string_view base = {});

// Expires and other delta-seconds fields: 1*DIGIT, at most 2^32 - 1.
ParseError ParseDeltaSeconds(std::string_view value, std::uint32_t* out,
                             std::string_view base = {});

// The checks a UA or proxy makes before acting on a parsed message:
// every typed field above parses, a request has To, From, CSeq, Call-ID,
// Max-Forwards and Via (RFC 3261 section 8.1.1), single-value fields occur
// once, the CSeq method matches the request method, the Request-URI is a
// valid URI without headers. The error names the field.
ParseError Validate(const Message& msg);
// Validate(), and on success *top_via is the message's top Via, as TopVia()
// gives it (a caller that needs it then does not parse it again), and, if
// via_count is not null, *via_count the number of via-parms.
ParseError Validate(const Message& msg, Via* top_via, std::uint32_t* via_count = nullptr);

}  // namespace sipim::sip
