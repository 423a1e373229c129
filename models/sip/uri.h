#pragma once
// URI parsing: sip:, sips: (RFC 3261 section 19.1 and 25.1), tel: (RFC 3966)
// and other absolute URIs (RFC 3986 scheme ":" rest). Zero-copy: every
// part is a view into the text; escapes are kept as written and decoded on
// request with Unescape().
#include <cstdint>
#include <string>
#include <string_view>

#include "common/parse_error.h"
#include "sip/headers.h"

namespace sipim::sip {

enum class UriScheme : std::uint8_t { kSip, kSips, kTel, kOther };
enum class HostKind : std::uint8_t { kNone, kHostname, kIPv4, kIPv6 };

struct Uri {
  UriScheme scheme_id = UriScheme::kOther;
  std::string_view scheme;  // as written ("SIP" stays "SIP")
  // sip/sips:
  std::string_view user;      // escaped as written; "" when absent
  std::string_view password;  // escaped as written
  bool has_user = false;
  bool has_password = false;
  HostKind host_kind = HostKind::kNone;
  std::string_view host;  // IPv6 references keep their brackets
  int port = -1;          // -1 when absent
  ParamList params;       // uri-parameters: ";transport=tcp;lr"
  std::string_view headers;  // after '?', without it; "" when absent
  // tel: the number (global or local) and its parameters in params.
  // other schemes: everything after "scheme:".
  std::string_view opaque;
  std::string_view text;  // the whole URI

  bool is_sip() const { return scheme_id == UriScheme::kSip || scheme_id == UriScheme::kSips; }
};

// Parses a URI. Strict: a SIP URI must have a host, a valid port (0-65535),
// well-formed escapes, no unescaped characters outside the RFC 3261
// grammar, and an IPv6 reference must be a valid IPv6 address in [].
ParseError ParseUri(std::string_view text, Uri* out, std::string_view base = {});

// Appends the percent-decoded form of `in` to *out. "%00" decodes to a NUL
// byte (RFC 4475 escnull). A '%' not followed by two hex digits is an error.
ParseError Unescape(std::string_view in, std::string* out);

// True if `host` (without brackets) is a valid IPv6 address (RFC 4291 text
// form, including an embedded IPv4 tail). RFC 5118 section 4.10: ":::" is not.
bool IsIPv6Address(std::string_view host);
// What kind of host `host` is: "[IPv6]" (brackets required), a dotted-quad
// IPv4 address, or a hostname (RFC 3261 hostname: labels of alphanum and
// '-', the last one starting with a letter, optional trailing '.');
// kNone when it is none of them.
HostKind ClassifyHost(std::string_view host);
// True if `host` is a dotted-quad IPv4 address with each part 0..255.
bool IsIPv4Address(std::string_view host);

}  // namespace sipim::sip
