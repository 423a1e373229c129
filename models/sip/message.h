#pragma once
// Zero-copy SIP message parser (RFC 3261 sections 7, 20 and 25).
//
// Parse() splits one message into its start line, header fields and body.
// Every string it returns is a view into the caller's buffer, so the buffer
// must outlive the Message. A Message is meant to be reused: after the first
// few parses its header vector has grown to size and steady-state parsing
// does not allocate.
//
// Parse() checks the envelope strictly (start line, field syntax, folding,
// Content-Length, NUL bytes, limits). The values of the fields are parsed
// lazily, on demand, by the typed parsers in sip/headers.h; Validate() there
// runs all of them plus the RFC 3261 semantic checks a UA or proxy applies
// before acting on a request.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/parse_error.h"

namespace sipim::sip {

// Header fields the stack knows by name. Compact forms map to the same id.
enum class HeaderId : std::uint8_t {
  kUnknown = 0,
  // The fields every request carries, and the ones a proxy touches.
  kVia,
  kFrom,
  kTo,
  kCallId,
  kCSeq,
  kMaxForwards,
  kContact,
  kRoute,
  kRecordRoute,
  kContentType,
  kContentLength,
  kExpires,
  // The other fields of RFC 3261 section 20.
  kAccept,
  kAcceptEncoding,
  kAcceptLanguage,
  kAlertInfo,
  kAllow,
  kAuthenticationInfo,
  kAuthorization,
  kCallInfo,
  kContentDisposition,
  kContentEncoding,
  kContentLanguage,
  kDate,
  kErrorInfo,
  kInReplyTo,
  kMimeVersion,
  kMinExpires,
  kOrganization,
  kPriority,
  kProxyAuthenticate,
  kProxyAuthorization,
  kProxyRequire,
  kReplyTo,
  kRequire,
  kRetryAfter,
  kServer,
  kSubject,
  kSupported,
  kTimestamp,
  kUnsupported,
  kUserAgent,
  kWarning,
  kWwwAuthenticate,
  // Extensions with compact forms (RFC 6665, 3515, 3892, 3841, 4028, 4474).
  kEvent,               // o
  kAllowEvents,         // u
  kReferTo,             // r
  kReferredBy,          // b
  kAcceptContact,       // a
  kRejectContact,       // j
  kRequestDisposition,  // d
  kSessionExpires,      // x
  kIdentity,            // y
  kIdentityInfo,        // n (obsoleted by RFC 8224, still seen on the wire)
  // Other common extensions.
  kSubscriptionState,
  kRSeq,
  kRAck,
  kPath,
  kServiceRoute,
  kMinSE,
  kReplaces,
  kReason,
  kPrivacy,
  kPAssertedIdentity,
  kPPreferredIdentity,
  kSipETag,
  kSipIfMatch,
  kHistoryInfo,
  kCount  // number of ids; not a header
};

inline constexpr std::size_t kHeaderIdCount = static_cast<std::size_t>(HeaderId::kCount);

// The id of a header field name (long or compact form, any case).
HeaderId ClassifyHeader(std::string_view name);
// The canonical long name of an id ("Call-ID"); "" for kUnknown.
std::string_view HeaderName(HeaderId id);

struct Header {
  HeaderId id = HeaderId::kUnknown;
  std::string_view name;   // as written (compact or long, original case)
  std::string_view value;  // leading/trailing whitespace trimmed; a folded
                           // value keeps its raw CRLF + SP/HT bytes inside
  std::string_view line;   // the whole field: name through the final CRLF
};

enum class Framing {
  kDatagram,  // UDP: one message per datagram; octets after the body are
              // ignored; without Content-Length the body is the rest
  kStream,    // TCP/SCTP/TLS: Content-Length is required; leading CRLFs
              // (keep-alives) are skipped; bytes after the message are
              // not this message's concern (see sip/stream_framer.h)
};

// Limits that keep a hostile message from costing unbounded memory or time.
inline constexpr std::size_t kMaxHeaders = 256;
inline constexpr std::size_t kMaxMessageSize = 1u << 24;  // 16 MiB

struct Message {
  bool is_request = false;
  // Request line (is_request).
  std::string_view method;
  std::string_view request_uri;
  // "SIP/2.0" on both kinds of start line (a request Parse() refused
  // with kUnsupportedVersion: the version it has).
  std::string_view version;
  // Status line (!is_request).
  int status_code = 0;
  std::string_view reason;  // may be empty

  std::string_view start_line;  // without its CRLF
  std::vector<Header> headers;  // in message order, unknown ones included
  std::string_view body;
  // Content-Length as a number, or -1 when the message has none.
  std::int64_t content_length = -1;
  // The bytes of this message: from the start line (after skipped leading
  // CRLFs) to the end of the body. raw.size() is what a datagram's
  // message occupies; size counts the bytes consumed, skipped CRLFs included.
  std::string_view raw;
  std::size_t size = 0;
  // The whole buffer given to Parse(): errors found later (typed parsers,
  // Validate) report line and column relative to it.
  std::string_view input;

  // The first field with this id, or nullptr.
  const Header* Find(HeaderId id) const {
    const std::uint16_t i = first_[static_cast<std::size_t>(id)];
    if (i == kNone) return nullptr;
    const Header* h = headers.data() + i;
    // Never null here: tells the compiler so, and a caller's null test
    // folds into the kNone test above.
    if (h == nullptr) __builtin_unreachable();
    return h;
  }
  // The next field with the same id after `h` (a pointer into headers).
  const Header* FindNext(const Header* h) const;
  // The first field named `name` (case-insensitive; compact forms of known
  // names match too).
  const Header* Find(std::string_view name) const;
  // How many fields carry this id.
  std::size_t Count(HeaderId id) const;

  // Forgets the previous parse but keeps the capacity.
  void Clear();

 private:
  friend class MessageParser;
  static constexpr std::uint16_t kNone = 0xffff;
  std::array<std::uint16_t, kHeaderIdCount> first_ = MakeEmptyIndex();
  static constexpr std::array<std::uint16_t, kHeaderIdCount> MakeEmptyIndex() {
    std::array<std::uint16_t, kHeaderIdCount> a{};
    for (auto& v : a) v = kNone;
    return a;
  }
};

// Parses the message at the start of `data` into *out (cleared first).
// On success out->size is the number of bytes consumed. On failure *out is
// unspecified and the error names the reason, line and column.
ParseError Parse(std::string_view data, Framing framing, Message* out);

// The reason Parse() gives when the body is shorter than Content-Length
// (compare the pointer): on a stream it means "wait for more bytes". Then
// out->content_length is set and out->body.data() is where the body begins.
extern const char kTruncatedBody[];

// The reason Parse() gives for a request whose SIP-Version is not 2.0 and
// whose header section and body parse (compare the pointer): *out then
// holds the whole message (out->size and raw set, out->version the text
// received), so that a server can answer 505 (RFC 3261 21.5.6). A
// malformed request of another version gets kBadVersionMalformed, and a
// status line of another version a plain error (a response is discarded).
extern const char kUnsupportedVersion[];
extern const char kBadVersionMalformed[];

// The error for `reason` at pointer `at` (inside msg.input, or at its end).
ParseError ErrorAt(const Message& msg, const char* reason, const char* at);

}  // namespace sipim::sip
