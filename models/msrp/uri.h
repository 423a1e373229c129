#pragma once
// MSRP URIs (RFC 4975 section 6 and 9):
//   MSRP-URI = msrp-scheme "://" authority ["/" session-id] ";" transport
//              *( ";" URI-parameter )
//   msrp-scheme = "msrp" / "msrps"      (case-insensitive)
//   session-id  = 1*( unreserved / "+" / "=" / "/" )
//   transport   = "tcp" / 1*ALPHANUM
// authority is RFC 3986's: [userinfo "@"] host [":" port], host being an
// IPv6 reference in brackets, a dotted-quad IPv4 address or a reg-name.
// Zero-copy: every part is a view into the parsed text, which must outlive
// the Uri.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/parse_error.h"

namespace sipim::msrp {

enum class Scheme : std::uint8_t { kMsrp, kMsrps };

struct Uri {
  Scheme scheme = Scheme::kMsrp;
  std::string_view userinfo;    // without the '@'; "" when absent
  std::string_view host;        // IPv6 references keep their brackets
  int port = -1;                // -1 when absent (RFC 4975: then 2855)
  std::string_view session_id;  // without the '/'; "" when absent
  std::string_view transport;   // "tcp", or an extension transport token
  std::string_view params;      // the ";name=value" parameters after the
                                // transport, with their leading ';'; "" if none
  std::string_view text;        // the whole URI as written

  // RFC 4975 section 6.1: scheme, host (after decoding percent-encoded
  // unreserved characters) and transport compare case-insensitively,
  // session-id exactly; a port must match exactly and
  // an explicit port (even 2855) never equals an absent one; userinfo and
  // params are ignored.
  bool SameResource(const Uri& other) const;
};

constexpr int kDefaultPort = 2855;

// Parses exactly one MSRP URI filling all of `text`. Errors name the column
// within `text` (line is always 1).
ParseError ParseUri(std::string_view text, Uri* out);

// Appends the canonical text of `uri`: lower-case scheme, then the parts as
// stored. ParseUri(AppendUri(u)) gives back u's parts.
void AppendUri(const Uri& uri, std::string* out);

// Appends "msrp[s]://host[:port]/session_id;tcp", the form the simulation
// uses for a=path and To-Path/From-Path. `port` < 0 omits it.
void AppendSimpleUri(bool tls, std::string_view host, int port, std::string_view session_id,
                     std::string* out);

// A path is one or more URIs separated by single spaces (To-Path, From-Path,
// a=path). Calls `fn(const Uri&)` for each, in order; stops at the first
// invalid URI or misplaced space and returns its error, with offset and
// column relative to `path`. Allocation-free.
template <class Fn>
ParseError ForEachPathUri(std::string_view path, Fn&& fn);

// Counts and validates the URIs of a path without storing them.
ParseError ValidatePath(std::string_view path, std::size_t* count);

// The first and last URIs of a path (the next hop and the final target).
ParseError FirstPathUri(std::string_view path, Uri* out);
ParseError LastPathUri(std::string_view path, Uri* out);

// ---- implementation of the template ----
namespace detail {
ParseError PathSpaceError(std::string_view path, std::size_t offset);
ParseError Shift(ParseError e, std::string_view path, std::size_t offset);
}  // namespace detail

template <class Fn>
ParseError ForEachPathUri(std::string_view path, Fn&& fn) {
  if (path.empty()) return detail::PathSpaceError(path, 0);
  std::size_t pos = 0;
  for (;;) {
    std::size_t sp = path.find(' ', pos);
    std::size_t end = sp == std::string_view::npos ? path.size() : sp;
    if (end == pos) return detail::PathSpaceError(path, pos);
    Uri uri;
    if (ParseError e = ParseUri(path.substr(pos, end - pos), &uri)) return detail::Shift(e, path, pos);
    fn(static_cast<const Uri&>(uri));
    if (sp == std::string_view::npos) return ParseError{};
    pos = sp + 1;
    if (pos == path.size()) return detail::PathSpaceError(path, sp);
  }
}

}  // namespace sipim::msrp
