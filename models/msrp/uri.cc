// MSRP URI parsing (RFC 4975 section 9, authority from RFC 3986 section 3.2).
#include "msrp/uri.h"

#include "msrp/chars.h"

namespace sipim::wire {

bool IsIPv4Text(std::string_view host) {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t start = i;
    unsigned value = 0;
    while (i < host.size() && IsDigit(static_cast<unsigned char>(host[i]))) {
      value = value * 10 + static_cast<unsigned>(host[i] - '0');
      if (i - start >= 3) return false;
      ++i;
    }
    std::size_t len = i - start;
    if (len == 0 || value > 255 || (len > 1 && host[start] == '0')) return false;
    ++parts;
    if (i == host.size()) return parts == 4;
    if (host[i] != '.' || parts == 4) return false;
    ++i;
  }
}

bool IsIPv6Text(std::string_view host) {
  if (host.empty()) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (host.size() >= 2 && host[0] == ':' && host[1] == ':') {
    compressed = true;
    i = 2;
    if (i == host.size()) return true;  // "::"
  } else if (host[0] == ':') {
    return false;
  }
  while (i < host.size()) {
    std::size_t start = i;
    while (i < host.size() && IsHex(static_cast<unsigned char>(host[i])) && i - start < 5) ++i;
    std::size_t len = i - start;
    if (i < host.size() && host[i] == '.') {
      // An IPv4 tail: from `start` to the end; counts as two groups.
      if (!IsIPv4Text(host.substr(start))) return false;
      groups += 2;
      i = host.size();
      break;
    }
    if (len == 0 || len > 4) return false;
    ++groups;
    if (i == host.size()) break;
    if (host[i] != ':') return false;
    ++i;
    if (i < host.size() && host[i] == ':') {
      if (compressed) return false;  // a second "::" (or ":::")
      compressed = true;
      ++i;
      if (i == host.size()) break;
      if (host[i] == ':') return false;
    } else if (i == host.size()) {
      return false;  // trailing single ':'
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

}  // namespace sipim::wire

namespace sipim::msrp {
namespace {

using wire::IsAlnum;
using wire::IsAlpha;
using wire::IsDigit;
using wire::IsHex;

ParseError Err(const char* reason, std::string_view text, std::size_t offset) {
  return MakeParseError(reason, text.data(), text.size(), offset);
}

// Checks pct-encoded triplets and the allowed set over [begin, end).
// Returns the offset of the first bad byte or `end`.
std::size_t ScanPct(std::string_view t, std::size_t begin, std::size_t end, std::uint16_t allowed) {
  for (std::size_t i = begin; i < end; ++i) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if (c == '%') {
      if (i + 2 >= end) return i;
      if (!IsHex(static_cast<unsigned char>(t[i + 1])) || !IsHex(static_cast<unsigned char>(t[i + 2])))
        return i;
      i += 2;
      continue;
    }
    if (!wire::HasClass(c, allowed)) return i;
  }
  return end;
}

// [begin, end) is the authority; `at` its last '@' (npos when none).
ParseError ParseAuthority(std::string_view t, std::size_t begin, std::size_t end, std::size_t at,
                          Uri* out) {
  std::size_t host_begin = begin;
  if (at != std::string_view::npos) {
    std::size_t bad = ScanPct(t, begin, at, wire::kClsUserinfo);
    if (bad != at) return Err("invalid character in the userinfo of an MSRP URI", t, bad);
    out->userinfo = t.substr(begin, at - begin);
    host_begin = at + 1;
  }
  if (host_begin == end) return Err("MSRP URI has no host", t, host_begin);
  std::size_t host_end;
  if (t[host_begin] == '[') {
    std::size_t close = t.find(']', host_begin);
    if (close == std::string_view::npos || close >= end)
      return Err("IPv6 reference without ']' in an MSRP URI", t, host_begin);
    if (!wire::IsIPv6Text(t.substr(host_begin + 1, close - host_begin - 1)))
      return Err("invalid IPv6 address in an MSRP URI", t, host_begin + 1);
    host_end = close + 1;
    if (host_end != end && t[host_end] != ':')
      return Err("expected ':' or the end of the authority after ']'", t, host_end);
  } else {
    // One pass: the host's end (':' or the authority's end), its characters,
    // and whether it is all digits and dots (then it must be a dotted quad).
    bool numeric = true;
    for (host_end = host_begin; host_end < end; ++host_end) {
      const unsigned char c = static_cast<unsigned char>(t[host_end]);
      if (c == ':') break;
      if (IsDigit(c) || c == '.') continue;
      numeric = false;
      if (wire::HasClass(c, wire::kClsHost)) continue;
      if (c == '%' && host_end + 2 < end && IsHex(static_cast<unsigned char>(t[host_end + 1])) &&
          IsHex(static_cast<unsigned char>(t[host_end + 2]))) {
        host_end += 2;
        continue;
      }
      return Err("invalid character in the host of an MSRP URI", t, host_end);
    }
    if (numeric && !wire::IsIPv4Text(t.substr(host_begin, host_end - host_begin)))
      return Err("invalid IPv4 address in an MSRP URI", t, host_begin);
  }
  out->host = t.substr(host_begin, host_end - host_begin);
  if (host_end < end) {  // ':' port
    std::size_t p = host_end + 1;
    std::uint64_t port = 0;
    if (!wire::ParseDecimal(t.substr(p, end - p), 65535, &port))
      return Err("invalid port in an MSRP URI (1*DIGIT, at most 65535)", t, p);
    out->port = static_cast<int>(port);
  }
  return ParseError{};
}

// The common authority, "host[:port]" with a reg-name or IPv4 host and no
// userinfo, IPv6 reference or escape, read in one table-driven pass. Returns
// false (having set nothing) for anything else, which ParseAuthority then
// reads, so both give the same result and the same errors.
bool FastAuthority(std::string_view t, std::size_t begin, std::size_t* end, Uri* out) {
  const std::size_t n = t.size();
  std::size_t i = begin;
  while (i < n && wire::HasClass(static_cast<unsigned char>(t[i]), wire::kClsHost)) ++i;
  if (i == begin || (i < n && t[i] != ':' && t[i] != '/' && t[i] != ';')) return false;
  const std::string_view host = t.substr(begin, i - begin);
  if (IsDigit(static_cast<unsigned char>(host[0])) || host[0] == '.') {
    bool numeric = true;
    for (char c : host) numeric = numeric && (IsDigit(static_cast<unsigned char>(c)) || c == '.');
    if (numeric && !wire::IsIPv4Text(host)) return false;
  }
  int port = -1;
  if (i < n && t[i] == ':') {
    std::size_t p = ++i;
    while (i < n && IsDigit(static_cast<unsigned char>(t[i]))) ++i;
    std::uint64_t v = 0;
    if ((i < n && t[i] != '/' && t[i] != ';') || !wire::ParseDecimal(t.substr(p, i - p), 65535, &v))
      return false;
    port = static_cast<int>(v);
  }
  out->host = host;
  out->port = port;
  *end = i;
  return true;
}

// The next character of a host at *i for comparison, lower-cased: a
// percent-encoded unreserved character counts as itself (RFC 3986 6.2.2.2).
char NextHostChar(std::string_view h, std::size_t* i) {
  if (h[*i] == '%' && *i + 2 < h.size()) {
    const unsigned char hi = static_cast<unsigned char>(h[*i + 1]), lo = static_cast<unsigned char>(h[*i + 2]);
    if (IsHex(hi) && IsHex(lo)) {
      auto nibble = [](unsigned char c) { return IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10; };
      const unsigned char c = static_cast<unsigned char>(nibble(hi) * 16 + nibble(lo));
      if (wire::HasClass(c, wire::kClsUnreserved)) {
        *i += 3;
        return wire::ToLower(static_cast<char>(c));
      }
    }
  }
  return wire::ToLower(h[(*i)++]);
}

// Section 6.1: hosts compare case-insensitively after percent-decoding
// unreserved characters ("%61lice.example" is "alice.example").
bool SameHost(std::string_view a, std::string_view b) {
  if (wire::EqualsNoCase(a, b)) return true;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size())
    if (NextHostChar(a, &i) != NextHostChar(b, &j)) return false;
  return i == a.size() && j == b.size();
}

}  // namespace

ParseError ParseUri(std::string_view t, Uri* out) {
  *out = Uri{};
  out->text = t;
  std::size_t pos;
  if (t.size() >= 7 && wire::EqualsNoCase(t.substr(0, 7), "msrp://")) {
    out->scheme = Scheme::kMsrp;
    pos = 7;
  } else if (t.size() >= 8 && wire::EqualsNoCase(t.substr(0, 8), "msrps://")) {
    out->scheme = Scheme::kMsrps;
    pos = 8;
  } else {
    return Err("MSRP URI must start with msrp:// or msrps://", t, 0);
  }
  std::size_t auth_end;
  if (!FastAuthority(t, pos, &auth_end, out)) {
    std::size_t at = std::string_view::npos;
    for (auth_end = pos; auth_end < t.size(); ++auth_end) {
      const char c = t[auth_end];
      if (c == '/' || c == ';') break;
      if (c == '@') at = auth_end;
    }
    if (ParseError e = ParseAuthority(t, pos, auth_end, at, out)) return e;
  }
  pos = auth_end;
  if (pos < t.size() && t[pos] == '/') {
    std::size_t sid = pos + 1;
    std::size_t i = sid;
    while (i < t.size() && t[i] != ';') {
      if (!wire::HasClass(static_cast<unsigned char>(t[i]), wire::kClsSessionId))
        return Err("invalid character in the session-id of an MSRP URI", t, i);
      ++i;
    }
    if (i == sid) return Err("empty session-id in an MSRP URI", t, sid);
    out->session_id = t.substr(sid, i - sid);
    pos = i;
  }
  if (pos >= t.size() || t[pos] != ';')
    return Err("MSRP URI lacks ';' and a transport (e.g. ;tcp)", t, pos);
  std::size_t tr = ++pos;
  while (pos < t.size() && IsAlnum(static_cast<unsigned char>(t[pos]))) ++pos;
  if (pos == tr) return Err("empty transport in an MSRP URI", t, tr);
  out->transport = t.substr(tr, pos - tr);
  std::size_t params_begin = pos;
  while (pos < t.size()) {
    if (t[pos] != ';') return Err("invalid character after the transport of an MSRP URI", t, pos);
    // URI-parameter = token ["=" token], RFC 4975's token.
    std::size_t name = ++pos;
    while (pos < t.size() && wire::IsMimeTokenChar(static_cast<unsigned char>(t[pos]))) ++pos;
    if (pos == name) return Err("empty URI parameter name in an MSRP URI", t, name);
    if (pos < t.size() && t[pos] == '=') {
      std::size_t value = ++pos;
      while (pos < t.size() && wire::IsMimeTokenChar(static_cast<unsigned char>(t[pos]))) ++pos;
      if (pos == value) return Err("empty URI parameter value in an MSRP URI", t, value);
    }
  }
  out->params = t.substr(params_begin);
  return ParseError{};
}

bool Uri::SameResource(const Uri& o) const {
  // Section 6.1: an explicit port never equals an absent one, even 2855
  // (port is -1 when absent, so plain equality says just that).
  return scheme == o.scheme && port == o.port && SameHost(host, o.host) &&
         session_id == o.session_id && wire::EqualsNoCase(transport, o.transport);
}

void AppendUri(const Uri& u, std::string* out) {
  out->append(u.scheme == Scheme::kMsrps ? "msrps://" : "msrp://");
  if (!u.userinfo.empty()) {
    out->append(u.userinfo);
    out->push_back('@');
  }
  out->append(u.host);
  if (u.port >= 0) {
    out->push_back(':');
    wire::AppendDecimal(static_cast<std::uint64_t>(u.port), out);
  }
  if (!u.session_id.empty()) {
    out->push_back('/');
    out->append(u.session_id);
  }
  out->push_back(';');
  out->append(u.transport);
  out->append(u.params);
}

void AppendSimpleUri(bool tls, std::string_view host, int port, std::string_view session_id,
                     std::string* out) {
  Uri u;
  u.scheme = tls ? Scheme::kMsrps : Scheme::kMsrp;
  u.host = host;
  u.port = port;
  u.session_id = session_id;
  u.transport = "tcp";
  AppendUri(u, out);
}

namespace detail {
ParseError PathSpaceError(std::string_view path, std::size_t offset) {
  return Err(path.empty() ? "empty path (one or more MSRP URIs expected)"
                          : "path URIs must be separated by exactly one space",
             path, offset);
}
ParseError Shift(ParseError e, std::string_view path, std::size_t offset) {
  return MakeParseError(e.reason, path.data(), path.size(), offset + e.offset);
}
}  // namespace detail

ParseError ValidatePath(std::string_view path, std::size_t* count) {
  std::size_t n = 0;
  ParseError e = ForEachPathUri(path, [&n](const Uri&) { ++n; });
  if (count) *count = n;
  return e;
}

ParseError FirstPathUri(std::string_view path, Uri* out) {
  std::size_t sp = path.find(' ');
  if (sp == std::string_view::npos) return ParseUri(path, out);
  if (ParseError e = ParseUri(path.substr(0, sp), out)) return detail::Shift(e, path, 0);
  return ParseError{};
}

ParseError LastPathUri(std::string_view path, Uri* out) {
  std::size_t sp = path.rfind(' ');
  if (sp == std::string_view::npos) return ParseUri(path, out);
  if (ParseError e = ParseUri(path.substr(sp + 1), out)) return detail::Shift(e, path, sp + 1);
  return ParseError{};
}

}  // namespace sipim::msrp
