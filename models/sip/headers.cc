// Typed, lazily parsed header field values; see headers.h.
#include "sip/headers.h"

#include <cstring>

#include "sip/fast_path.h"
#include "sip/host.h"
#include "sip/text.h"
#include "sip/uri.h"

namespace sipim::sip {
namespace {

using text::IEquals;
using text::IsToken;
using text::IsWs;
using text::LwsFrom;
using text::LwsLength;
using text::TokenFrom;
using text::TokenLength;

// Reports errors relative to `base` (the message buffer) when the value
// lies inside it, else relative to the value itself.
class Ctx {
 public:
  Ctx(std::string_view value, std::string_view base) : base_(base.empty() ? value : base) {
    if (value.data() < base_.data() || value.data() + value.size() > base_.data() + base_.size())
      base_ = value;
  }
  [[gnu::cold, gnu::noinline]] ParseError Err(const char* reason, const char* at) const {
    std::size_t off = 0;
    if (at >= base_.data() && at <= base_.data() + base_.size())
      off = static_cast<std::size_t>(at - base_.data());
    return MakeParseError(reason, base_.data(), base_.size(), off);
  }
  ParseError Err(const char* reason, std::string_view s, std::size_t i) const {
    return Err(reason, s.data() + i);
  }
  std::string_view base() const { return base_; }
  // The end of the buffer the value lies in: bytes up to here may be read
  // (sixteen-byte loads that go past the value's end).
  const char* readable_end() const { return base_.data() + base_.size(); }

 private:
  std::string_view base_;
};

// Length of the quoted string at s[0] == '"', closing quote included;
// 0 when it is not terminated.
std::size_t QuotedLength(std::string_view s) {
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return 0;
}

// Parameters whose value may be an IPv6 address written without brackets
// (RFC 3261 received = IPv4address / IPv6address; RFC 5118 section 4.5).
bool AllowsBareIPv6(std::string_view name) {
  return text::IEqualsLetters(name, "received") || text::IEqualsLetters(name, "maddr");
}

// Length of a parameter value at s[0]: a quoted string, an IPv6
// reference, or a token (plus ':' for the parameters above). 0 if invalid.
std::size_t ParamValueLength(std::string_view s, std::string_view name) {
  if (s.empty()) return 0;
  if (s[0] == '"') return QuotedLength(s);
  if (s[0] == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos || !IsIPv6Address(s.substr(1, close - 1))) return 0;
    return close + 1;
  }
  const bool colon = AllowsBareIPv6(name);
  if (!colon) return TokenLength(s);
  std::size_t i = 0;
  while (i < s.size() && (IsToken(s[i]) || (colon && s[i] == ':'))) ++i;
  return i;
}

// Parses *( SEMI generic-param ) at the start of s, calling on(param) for
// each one as it goes (one pass: checks and lookups together). *end is where
// the list ends (before any trailing LWS).
template <typename OnParam>
ParseError ParseParams(std::string_view s, std::size_t* end, const Ctx& ctx, OnParam&& on) {
  std::size_t i = 0;
  for (;;) {
    std::size_t j = i + LwsFrom(s, i);
    if (j >= s.size() || s[j] != ';') {
      *end = i;
      return {};
    }
    ++j;
    j += LwsFrom(s, j);
    const std::size_t name_len = TokenFrom(s, j);
    if (name_len == 0) return ctx.Err("empty or invalid parameter name", s, j);
    Param p;
    p.name = s.substr(j, name_len);
    std::size_t k = j + name_len;
    std::size_t eq = k + LwsFrom(s, k);
    if (eq < s.size() && s[eq] == '=') {
      ++eq;
      eq += LwsFrom(s, eq);
      const std::size_t vlen = ParamValueLength(s.substr(eq), p.name);
      if (vlen == 0) return ctx.Err("invalid parameter value", s, eq);
      p.value = s.substr(eq, vlen);
      p.has_value = true;
      k = eq + vlen;
    }
    if (ParseError e = on(p)) return e;
    i = k;
  }
}

ParseError ParseParams(std::string_view s, std::size_t* end, const Ctx& ctx) {
  return ParseParams(s, end, ctx, [](const Param&) { return ParseError(); });
}

// Splits the parameter list `raw` (validated by ParseParams) at pos.
bool NextParam(std::string_view raw, std::size_t* pos, Param* out) {
  std::size_t i = *pos;
  i += LwsFrom(raw, i);
  if (i >= raw.size() || raw[i] != ';') return false;
  ++i;
  i += LwsFrom(raw, i);
  const std::size_t name_len = TokenFrom(raw, i);
  out->name = raw.substr(i, name_len);
  out->value = {};
  out->has_value = false;
  i += name_len;
  std::size_t eq = i + LwsFrom(raw, i);
  if (eq < raw.size() && raw[eq] == '=') {
    ++eq;
    eq += LwsFrom(raw, eq);
    const std::size_t vlen = ParamValueLength(raw.substr(eq), out->name);
    out->value = raw.substr(eq, vlen);
    out->has_value = true;
    i = eq + vlen;
  }
  *pos = i;
  return name_len > 0;
}

// Checks that nothing but LWS follows position i of s.
ParseError ExpectEnd(std::string_view s, std::size_t i, const Ctx& ctx, const char* reason) {
  i += LwsFrom(s, i);
  if (i < s.size()) return ctx.Err(reason, s, i);
  return {};
}

// Parses a port: 1*DIGIT, 0..65535.
bool ParsePort(std::string_view digits, int* out) {
  std::uint64_t v = 0;
  if (text::ParseDecimal(digits, 65535, &v) != text::Num::kOk) return false;
  *out = static_cast<int>(v);
  return true;
}

std::size_t DigitsLength(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && text::IsDigit(s[i])) ++i;
  return i;
}

// Length of a host at s[0]: "[IPv6]" or hostname / IPv4 characters.
std::size_t HostLength(std::string_view s) {
  if (!s.empty() && s[0] == '[') {
    const std::size_t close = s.find(']');
    return close == std::string_view::npos ? 0 : close + 1;
  }
  std::size_t i = 0;
  while (i < s.size() && text::HostClass(s[i]) != 0) ++i;
  return i;
}

// The via-params RFC 3261 gives meaning to, checked as they are parsed.
ParseError ViaParam(const Param& p, Via* v, const Ctx& ctx) {
  if (text::IEqualsLetters(p.name, "branch")) {
    if (!p.has_value || p.value[0] == '"') return ctx.Err("Via branch is not a token", p.name.data());
    v->branch = p.value;
  } else if (text::IEqualsLetters(p.name, "received")) {
    std::string_view addr = p.value;
    if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
    if (!p.has_value || (!IsIPv4Address(addr) && !IsIPv6Address(addr)))
      return ctx.Err("Via received is not an IP address", p.name.data());
    v->received = p.value;
  } else if (text::IEqualsLetters(p.name, "rport")) {
    v->has_rport = true;
    if (p.has_value && !ParsePort(p.value, &v->rport)) return ctx.Err("Via rport is not a port", p.value.data());
  } else if (text::IEqualsLetters(p.name, "maddr")) {
    if (!p.has_value || ClassifyHost(p.value) == HostKind::kNone)
      return ctx.Err("Via maddr is not a host", p.name.data());
    v->maddr = p.value;
  } else if (text::IEqualsLetters(p.name, "ttl")) {
    std::uint64_t ttl = 0;
    if (!p.has_value || p.value.size() > 3 || text::ParseDecimal(p.value, 255, &ttl) != text::Num::kOk)
      return ctx.Err("Via ttl is not 0-255", p.name.data());
    v->ttl = static_cast<int>(ttl);
  }
  return {};
}

// The bytes that end or break a URI inside <...>.
struct AngleStop {
  bool c[256] = {};
  constexpr AngleStop() {
    for (unsigned char ch : {'>', ' ', '\t', '\r', '\n', '<', '"'}) c[ch] = true;
  }
};
constexpr AngleStop kAngleStop{};

// display-name = *(token LWS) / quoted-string, then "<" addr-spec ">".
// Returns with *i just after the '>'.
ParseError ParseAngleForm(std::string_view s, std::size_t* i, NameAddr* out, const Ctx& ctx) {
  std::size_t k = *i;
  if (s[k] == '"') {
    const std::size_t q = QuotedLength(s.substr(k));
    if (q == 0) return ctx.Err("unterminated quoted string in display name", s, k);
    out->quoted_display = true;
    out->display_name = s.substr(k + 1, q - 2);
    k += q;
    k += LwsFrom(s, k);
  } else if (s[k] != '<') {
    const std::size_t begin = k;
    std::size_t last = k;
    while (k < s.size() && IsToken(s[k])) {
      k += TokenFrom(s, k);
      last = k;
      k += LwsFrom(s, k);
    }
    out->display_name = s.substr(begin, last - begin);
  }
  if (k >= s.size() || s[k] != '<') {
    if (k < s.size() && s[k] == '"') return ctx.Err("unbalanced quote in display name", s, k);
    return ctx.Err("display name is neither tokens nor a quoted string", s, k);
  }
  const std::size_t uri_begin = k + 1;
  std::size_t close = uri_begin;
  for (;;) {
    while (close < s.size() && !kAngleStop.c[static_cast<unsigned char>(s[close])]) ++close;
    if (close >= s.size() || s[close] == '>') break;
    const char ch = s[close];
    if (IsWs(ch) || ch == '\r' || ch == '\n') return ctx.Err("whitespace inside <URI>", s, close);
    return ctx.Err("'<' or '\"' inside <URI>", s, close);
  }
  if (close >= s.size()) return ctx.Err("missing '>' after URI", s, close);
  if (close == uri_begin) return ctx.Err("empty URI in <>", s, close);
  out->uri = s.substr(uri_begin, close - uri_begin);
  out->angle = true;
  *i = close + 1;
  return {};
}

// addr-spec without brackets: the URI ends at ';' (the field's parameters
// begin there), so a URI with '?' or ',' is not allowed (RFC 3261 20.10).
ParseError ParseAddrSpecForm(std::string_view s, std::size_t* i, NameAddr* out, const Ctx& ctx) {
  std::size_t k = *i;
  const std::size_t begin = k;
  while (k < s.size() && s[k] != ';' && !IsWs(s[k]) && s[k] != '\r') {
    const char ch = s[k];
    if (ch == '?' || ch == ',')
      return ctx.Err("URI with '?' or ',' must be enclosed in <>", s, k);
    if (ch == '<' || ch == '>' || ch == '"') return ctx.Err("unexpected character in addr-spec", s, k);
    ++k;
  }
  out->uri = s.substr(begin, k - begin);
  *i = k;
  return {};
}

// The bytes ValueSplitter must look at: the rest it skips in one test.
struct SplitStop {
  bool c[256] = {};
  constexpr SplitStop() {
    c[static_cast<unsigned char>(',')] = true;
    c[static_cast<unsigned char>('"')] = true;
    c[static_cast<unsigned char>('<')] = true;
    c[static_cast<unsigned char>('>')] = true;
  }
};
constexpr SplitStop kSplitStop{};

ParseError ParseErrorFromSplitter(const ValueSplitter& sp, const Ctx& ctx) {
  return ctx.Err(sp.error(), sp.error_at());
}

}  // namespace

bool ParamList::Next(std::size_t* pos, Param* out) const { return NextParam(raw_, pos, out); }

bool ParamList::Find(std::string_view name, Param* out) const {
  std::size_t pos = 0;
  while (NextParam(raw_, &pos, out))
    if (IEquals(out->name, name)) return true;
  return false;
}

bool ValueSplitter::Next(std::string_view* item) {
  if (done_) return false;
  std::size_t i = 0;
  int angle = 0;
  const std::size_t n = rest_.size();
  const char* const d = rest_.data();
  while (i < n) {
    while (i < n && !kSplitStop.c[static_cast<unsigned char>(d[i])]) ++i;  // most bytes
    if (i == n) break;
    const char ch = d[i];
    if (ch == ',' && angle == 0) break;
    if (ch == '"') {
      const std::size_t q = QuotedLength(rest_.substr(i));
      if (q == 0) {
        error_ = "unterminated quoted string";
        error_at_ = rest_.data() + i;
        done_ = true;
        return false;
      }
      i += q;
      continue;
    }
    if (ch == '<') ++angle;
    if (ch == '>' && --angle < 0) break;
    ++i;
  }
  if (angle != 0) {
    error_ = angle > 0 ? "unbalanced '<'" : "unbalanced '>'";
    error_at_ = rest_.data() + i;
    done_ = true;
    return false;
  }
  *item = text::TrimLws(rest_.substr(0, i));
  if (i >= n) {
    done_ = true;
  } else {
    rest_ = rest_.substr(i + 1);
  }
  if (item->empty()) {
    error_ = "empty value in comma-separated list";
    error_at_ = item->data();
    done_ = true;
    return false;
  }
  return true;
}

namespace {

// Length of the run of token characters at s + i (the table loop, inlined
// into the fast paths).
inline std::size_t TokenRun(const char* d, std::size_t i, std::size_t n) {
  return text::ClassRun(d, i, n, text::kToken);
}

// The common via-parm written without any optional whitespace or quoting:
//   token "/" token "/" token 1*SP host [":" port] *(";" token ["=" token])
// followed by the end or ','. On that form ParseViaAt's general code
// takes exactly these steps (every LwsFrom() is 0), so the result is the
// same; anything else (LWS around separators, folds, quoted or [IPv6]
// parameter values, IPv6 hosts, any error) returns false and the general
// code runs from the start, so that every error is reported by one code.
// True if p[0..6] is "branch=" with the letters in any case (p[7] must be
// readable). Only 'B'/'b' fold onto 'b' under | 0x20, and so on; the '='
// is compared unfolded.
inline bool IsBranchEq(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  // "branch=" as a little-endian word, the eighth byte zero.
  constexpr std::uint64_t kWant = 'b' | 'r' << 8 | 'a' << 16 | std::uint64_t{'n'} << 24 | std::uint64_t{'c'} << 32 |
                                  std::uint64_t{'h'} << 40 | std::uint64_t{'='} << 48;
  return ((w | 0x0000202020202020ull) & 0x00ffffffffffffffull) == kWant;
}

// True if p[0..4] is "rport" with the letters in any case.
inline bool IsRport(const char* p) {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  std::uint32_t want;
  std::memcpy(&want, "rpor", 4);
  return (w | 0x20202020u) == want && (p[4] | 0x20) == 't';
}

[[gnu::always_inline]] inline bool FastViaAt(std::string_view s, Via* out, const Ctx& ctx, std::size_t* end_out) {
  const char* const d = s.data();
  const std::size_t n = s.size();
  const char* const readable = ctx.readable_end();
  std::size_t i = 0;
  // Written in place: on a bail-out the general code resets *out.
  Via& v = *out;
  std::string_view* const parts[3] = {&v.protocol, &v.version, &v.transport};
  if (n >= 8 && std::memcmp(d, "SIP/2.0/", 8) == 0) {
    // What every stack writes: two tokens and their '/' in one compare.
    *parts[0] = std::string_view(d, 3);
    *parts[1] = std::string_view(d + 4, 3);
    i = 8;
    const std::size_t len = TokenRun(d, i, n);
    if (len == 0) return false;
    *parts[2] = std::string_view(d + i, len);
    i += len;
  } else {
    for (int k = 0; k < 3; ++k) {
      if (k > 0) {
        if (i >= n || d[i] != '/') return false;
        ++i;
      }
      const std::size_t len = TokenRun(d, i, n);
      if (len == 0) return false;
      *parts[k] = std::string_view(d + i, len);
      i += len;
    }
  }
  const std::size_t ws_begin = i;
  while (i < n && d[i] == ' ') ++i;
  if (i == ws_begin || i >= n || d[i] == '[' || IsWs(d[i]) || d[i] == '\r') return false;
  // Host bytes and label rules in one pass: the same run HostLength()
  // finds, the same verdict ClassifyHost() gives on it.
  const char* host_end = nullptr;
  if (ScanHostBlock(d + i, d + n, readable, &host_end) == HostKind::kNone) return false;
  const std::size_t host_len = static_cast<std::size_t>(host_end - (d + i));
  const std::string_view host(d + i, host_len);
  i += host_len;
  int port = 0;
  if (i < n && d[i] == ':') {
    // 1 to 5 digits, 1-65535; more digits (leading zeros) go to the
    // general code, which reads the same port from them.
    ++i;
    const std::size_t digits_begin = i;
    unsigned value = 0;
    while (i < n && i - digits_begin < 5 && text::IsDigit(d[i])) value = value * 10 + static_cast<unsigned>(d[i++] - '0');
    if (i == digits_begin || (i < n && text::IsDigit(d[i])) || value == 0 || value > 65535) return false;
    port = static_cast<int>(value);
  }
  // The rest field by field: `v = Via()` builds a temporary and copies it.
  v.host = host;
  v.port = port;
  v.branch = v.received = v.maddr = std::string_view();
  v.has_rport = false;
  v.rport = 0;
  v.ttl = -1;
  // params and text are set at the end. A sentinel for the member list
  // (9 views, 3 ints and a bool in 3 words on LP64):
  static_assert(sizeof(void*) != 8 || sizeof(Via) == 9 * sizeof(std::string_view) + 3 * 8,
                "a new Via member must be reset here too");
  const std::size_t params_begin = i;
  while (i < n && d[i] == ';') {
    ++i;
    if (n - i >= 8 && IsBranchEq(d + i)) {
      // ";branch=token", the one parameter every Via has: what ViaParam()
      // does for it, without the name lookups.
      i += 7;
      const std::size_t vlen = text::LongClassRun(d, i, n, readable, text::kToken);
      if (vlen == 0) return false;
      v.branch = std::string_view(d + i, vlen);
      i += vlen;
      continue;
    }
    if (n - i >= 5 && IsRport(d + i) && (n - i == 5 || d[i + 5] == ';' || d[i + 5] == ',')) {
      // A bare ";rport" (RFC 3581), as the general code reads it.
      v.has_rport = true;
      i += 5;
      continue;
    }
    const std::size_t name_len = TokenRun(d, i, n);
    if (name_len == 0) return false;
    Param p;
    p.name = std::string_view(d + i, name_len);
    i += name_len;
    if (i < n && d[i] == '=') {
      ++i;
      if (i >= n || d[i] == '"' || d[i] == '[') return false;
      // A plain token unless the name allows a bare IPv6 address: what
      // ParamValueLength() returns for a value not starting with '"' or '['.
      const std::size_t vlen =
          AllowsBareIPv6(p.name) ? ParamValueLength(s.substr(i), p.name) : TokenRun(d, i, n);
      if (vlen == 0) return false;
      p.value = std::string_view(d + i, vlen);
      p.has_value = true;
      i += vlen;
    }
    if (ViaParam(p, &v, ctx)) return false;
  }
  // Only the end or a ',' may follow: after LWS the general code would
  // still look for a ';' (a parameter) before deciding.
  if (i < n && d[i] != ',') return false;
  v.params = ParamList(std::string_view(d + params_begin, i - params_begin));
  v.text = std::string_view(d, i);
  *end_out = i;
  return true;
}

// Parses the via-parm at the start of s by the general rules (every form,
// every error); *end is where it ends (before LWS), so that a caller can
// stop at a following ',' without splitting the whole field first.
ParseError GeneralViaAt(std::string_view s, Via* out, const Ctx& ctx, std::size_t* end_out) {
  *out = Via();
  std::size_t i = LwsLength(s);
  std::string_view* parts[3] = {&out->protocol, &out->version, &out->transport};
  for (int k = 0; k < 3; ++k) {
    if (k > 0) {
      i += LwsFrom(s, i);
      if (i >= s.size() || s[i] != '/') return ctx.Err("Via: expected '/' in sent-protocol", s, i);
      ++i;
      i += LwsFrom(s, i);
    }
    const std::size_t len = TokenFrom(s, i);
    if (len == 0) return ctx.Err("Via: sent-protocol is not a token", s, i);
    *parts[k] = s.substr(i, len);
    i += len;
  }
  const std::size_t ws = LwsFrom(s, i);
  if (ws == 0) return ctx.Err("Via: expected whitespace before sent-by", s, i);
  i += ws;
  const std::size_t host_len = HostLength(s.substr(i));
  const std::string_view host = s.substr(i, host_len);
  if (host_len == 0 || ClassifyHost(host) == HostKind::kNone) return ctx.Err("Via: invalid sent-by host", s, i);
  out->host = host;
  i += host_len;
  std::size_t c = i + LwsFrom(s, i);
  if (c < s.size() && s[c] == ':') {
    ++c;
    c += LwsFrom(s, c);
    const std::size_t dl = DigitsLength(s.substr(c));
    if (!ParsePort(s.substr(c, dl), &out->port) || out->port == 0)
      return ctx.Err("Via: invalid sent-by port", s, c);
    i = c + dl;
  }
  std::size_t end = 0;
  const std::string_view rest = s.substr(i);
  if (ParseError e = ParseParams(rest, &end, ctx, [&](const Param& p) { return ViaParam(p, out, ctx); }))
    return e;
  out->params = ParamList(rest.substr(0, end));
  *end_out = i + end;
  out->text = s.substr(0, *end_out);
  return {};
}

// GeneralViaAt(), after the fast path for the plain form.
ParseError ParseViaAt(std::string_view s, Via* out, const Ctx& ctx, std::size_t* end_out) {
  if (internal::FastPaths() && FastViaAt(s, out, ctx, end_out)) return {};
  return GeneralViaAt(s, out, ctx, end_out);
}

}  // namespace

ParseError ParseVia(std::string_view value, Via* out, std::string_view base) {
  const Ctx ctx(value, base);
  std::size_t end = 0;
  if (ParseError e = ParseViaAt(value, out, ctx, &end)) return e;
  return ExpectEnd(value, end, ctx, "Via: unexpected character");
}

ParseError TopVia(const Message& msg, Via* out) {
  const Header* h = msg.Find(HeaderId::kVia);
  if (h == nullptr) return ErrorAt(msg, "missing Via", msg.raw.data());
  // Only the first value is parsed; AllVias() and Validate() check the rest.
  const Ctx ctx(h->value, msg.input);
  std::size_t end = 0;
  // The fast path stops only at the value's end or at a ',': nothing is
  // left to check after it.
  if (internal::FastPaths() && FastViaAt(h->value, out, ctx, &end)) return {};
  if (ParseError e = GeneralViaAt(h->value, out, ctx, &end)) return e;
  end += LwsFrom(h->value, end);
  if (end < h->value.size() && h->value[end] != ',')
    return ctx.Err("Via: unexpected character", h->value, end);
  return {};
}

ParseError AllVias(const Message& msg, std::vector<Via>* out) {
  for (const Header* h = msg.Find(HeaderId::kVia); h != nullptr; h = msg.FindNext(h)) {
    const Ctx ctx(h->value, msg.input);
    ValueSplitter sp(h->value);
    std::string_view item;
    bool any = false;
    while (sp.Next(&item)) {
      Via v;
      if (ParseError e = ParseVia(item, &v, msg.input)) return e;
      out->push_back(v);
      any = true;
    }
    if (sp.error()) return ParseErrorFromSplitter(sp, ctx);
    if (!any) return ctx.Err("empty Via", h->value.data());
  }
  return {};
}

namespace {

// One Via field the way AllVias() does it, without keeping the values.
ParseError CheckViaFieldGeneral(const Header& h, const Message& msg, std::uint32_t* count) {
  const Ctx ctx(h.value, msg.input);
  ValueSplitter sp(h.value);
  std::string_view item;
  bool any = false;
  while (sp.Next(&item)) {
    Via v;
    if (ParseError e = ParseVia(item, &v, msg.input)) return e;
    any = true;
    ++*count;
  }
  if (sp.error()) return ParseErrorFromSplitter(sp, ctx);
  if (!any) return ctx.Err("empty Via", h.value.data());
  return {};
}

// The same field walked with FastViaAt(), which returns where each value
// ends, so that no splitting pass runs first. True only if every value of
// the field is in the fast path's plain form; *first is the first one,
// *count the number of values.
// A value the fast path accepts holds no '"', '<', '>' or ',' (tokens, a
// host, digits, IPv6 references of received/maddr), so the splitter would
// cut exactly at the ',' FastViaAt stopped at, its item would start after
// the SP/HT skipped here and need no trimming at the end, and ParseVia()
// would accept it through the same fast path: the verdict is the same.
bool FastViaField(const Header& h, const Message& msg, Via* first, std::uint32_t* count) {
  if (!internal::FastPaths()) return false;
  const Ctx ctx(h.value, msg.input);
  const std::string_view s = h.value;
  std::size_t i = 0;
  Via scratch;
  Via* out = first;
  std::uint32_t values = 0;
  for (;;) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t end = 0;
    if (!FastViaAt(s.substr(i), out, ctx, &end)) return false;
    i += end;
    ++values;
    if (i == s.size()) {
      *count = values;
      return true;
    }
    ++i;  // the ','
    out = &scratch;
  }
}

}  // namespace

ParseError CheckVias(const Message& msg, Via* top, std::uint32_t* count) {
  std::uint32_t values = 0;
  if (count == nullptr) count = &values;
  *count = 0;
  bool top_fast = false;
  bool first = true;
  Via scratch;
  for (const Header* h = msg.Find(HeaderId::kVia); h != nullptr; h = msg.FindNext(h)) {
    Via* const out = first && top != nullptr ? top : &scratch;
    std::uint32_t field_values = 0;
    const bool fast = FastViaField(*h, msg, out, &field_values);
    if (first) top_fast = fast;
    first = false;
    if (fast) {
      *count += field_values;
      continue;
    }
    if (ParseError e = CheckViaFieldGeneral(*h, msg, count)) return e;
  }
  if (top == nullptr || top_fast) return {};
  // No Via field: no error (as AllVias()), and no top value.
  if (first) {
    *top = Via();
    return {};
  }
  // The top value as TopVia() reads it, when the fast walk did not.
  return TopVia(msg, top);
}

namespace {

// The first byte at or after i in d[0..n) that may end or break a <URI>:
// '>', '<', '"' or any byte <= SP (a superset of kAngleStop; the caller
// accepts only '>'); n if none. Sixteen bytes per step where they exist.
inline std::size_t AngleScan(const char* d, std::size_t i, std::size_t n, const char* readable) {
#ifdef __SSE2__
  while (readable - (d + i) >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i));
    const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v);
    const __m128i lt = _mm_cmpeq_epi8(v, _mm_set1_epi8('<'));
    const __m128i gt = _mm_cmpeq_epi8(v, _mm_set1_epi8('>'));
    const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    const unsigned m = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(low, lt), _mm_or_si128(gt, quote))));
    if (m != 0) {
      i += static_cast<std::size_t>(__builtin_ctz(m));
      return i < n ? i : n;
    }
    i += 16;
    if (i >= n) return n;
  }
#endif
  while (i < n && static_cast<unsigned char>(d[i]) > 0x20 && !kAngleStop.c[static_cast<unsigned char>(d[i])]) ++i;
  return i;
}

// The common name-addr forms, written without optional whitespace or
// escapes:  [ quoted-string *SP ] "<" URI ">" *(";" token ["=" token]).
// On them ParseNameAddr's general code takes exactly these steps, so the
// result is the same; anything else (token display names, addr-specs,
// LWS around separators, quoted-pairs, quoted or [IPv6] parameter values,
// any error) returns false and the general code runs from the start.
// True if p[0..3] is "tag=" with the letters in any case (see IsBranchEq).
inline bool IsTagEq(const char* p) {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  std::uint32_t want;
  std::memcpy(&want, "tag=", 4);
  return (w | 0x00202020u) == want;
}

bool FastNameAddr(std::string_view s, NameAddr* out, const char* readable) {
  const char* const d = s.data();
  const std::size_t n = s.size();
  // Written in place: on a bail-out the general code resets *out.
  NameAddr& r = *out;
  r = NameAddr();
  r.text = s;
  std::size_t i = 0;
  if (n != 0 && d[0] == '"') {
    // The closing quote, or a backslash (then the general code): sixteen bytes
    // at once where the buffer has them (bits past n are ignored).
    std::size_t j = 1;
#ifdef __SSE2__
    if (readable - (d + 1) >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + 1));
      const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(
          _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));
      j = m != 0 ? 1 + static_cast<std::size_t>(__builtin_ctz(m)) : 17;
      if (j > n) j = n;
    }
#endif
    while (j < n && d[j] != '"' && d[j] != '\\') ++j;
    if (j >= n || d[j] != '"') return false;
    r.quoted_display = true;
    r.display_name = std::string_view(d + 1, j - 1);
    i = j + 1;
    while (i < n && d[i] == ' ') ++i;
  }
  if (i >= n || d[i] != '<') return false;
  const std::size_t uri_begin = ++i;
  i = AngleScan(d, i, n, readable);
  if (i >= n || d[i] != '>' || i == uri_begin) return false;
  r.uri = std::string_view(d + uri_begin, i - uri_begin);
  r.angle = true;
  ++i;
  const std::size_t params_begin = i;
  while (i < n && d[i] == ';') {
    ++i;
    if (n - i >= 5 && IsTagEq(d + i)) {
      // ";tag=token": the loop below's steps for it, without the lookups.
      i += 4;
      const std::size_t vlen = TokenRun(d, i, n);
      if (vlen == 0) return false;
      if (r.tag.empty()) r.tag = std::string_view(d + i, vlen);
      i += vlen;
      continue;
    }
    const std::size_t name_len = TokenRun(d, i, n);
    if (name_len == 0) return false;
    const std::string_view name(d + i, name_len);
    i += name_len;
    std::string_view value;
    bool has_value = false;
    if (i < n && d[i] == '=') {
      ++i;
      if (i >= n || d[i] == '"' || d[i] == '[') return false;
      const std::size_t vlen = AllowsBareIPv6(name) ? ParamValueLength(s.substr(i), name) : TokenRun(d, i, n);
      if (vlen == 0) return false;
      value = std::string_view(d + i, vlen);
      has_value = true;
      i += vlen;
    }
    if (r.tag.empty() && text::IEqualsLetters(name, "tag")) {
      if (!has_value) return false;
      r.tag = value;
    }
  }
  if (i != n) return false;
  r.params = ParamList(std::string_view(d + params_begin, n - params_begin));
  return true;
}

}  // namespace

ParseError ParseNameAddr(std::string_view value, NameAddr* out, std::string_view base) {
  const std::string_view s = text::TrimLws(value);
  const Ctx ctx(value, base);
  if (internal::FastPaths() && FastNameAddr(s, out, ctx.readable_end())) return {};
  *out = NameAddr();
  out->text = s;
  if (s.empty()) return ctx.Err("empty name-addr", value.data());
  if (s == "*") {
    out->star = true;
    return {};
  }
  std::size_t i = 0;
  // The angle form has a display name or '<'; an addr-spec starts with a
  // scheme and has no '<' before its parameters.
  bool angle = s[0] == '"' || s[0] == '<';
  if (!angle) {
    std::size_t k = TokenLength(s);
    // "token LWS ... <", "token<": a display name of tokens.
    const std::size_t after = k + LwsFrom(s, k);
    angle = (after < s.size() && (s[after] == '<' || (after > k && IsToken(s[after])) || s[after] == '"'));
    if (k < s.size() && s[k] == ':') angle = false;
    if (!angle) {
      // A display name with characters outside token (RFC 4475 baddn)
      // shows up as text before a '<' that is not an addr-spec.
      const std::size_t lt = s.find('<');
      const std::size_t colon = s.find(':');
      if (lt != std::string_view::npos && (colon == std::string_view::npos || colon > lt))
        return ctx.Err("display name is neither tokens nor a quoted string", s, k);
    }
  }
  if (angle) {
    if (ParseError e = ParseAngleForm(s, &i, out, ctx)) return e;
  } else {
    if (ParseError e = ParseAddrSpecForm(s, &i, out, ctx)) return e;
  }
  if (out->uri.empty()) return ctx.Err("missing URI", s, i);
  std::size_t end = 0;
  const std::string_view rest = s.substr(i);
  const auto on_param = [&](const Param& p) {
    if (out->tag.empty() && text::IEqualsLetters(p.name, "tag")) {
      if (!p.has_value || p.value[0] == '"') return ctx.Err("tag is not a token", p.name.data());
      out->tag = p.value;
    }
    return ParseError();
  };
  if (ParseError e = ParseParams(rest, &end, ctx, on_param)) return e;
  out->params = ParamList(rest.substr(0, end));
  return ExpectEnd(rest, end, ctx, "unexpected character after name-addr");
}

ParseError ParseNameAddrList(std::string_view value, std::vector<NameAddr>* out, std::string_view base) {
  const Ctx ctx(value, base);
  ValueSplitter sp(value);
  std::string_view item;
  bool any = false;
  while (sp.Next(&item)) {
    NameAddr na;
    if (ParseError e = ParseNameAddr(item, &na, ctx.base())) return e;
    out->push_back(na);
    any = true;
  }
  if (sp.error()) return ParseErrorFromSplitter(sp, ctx);
  if (!any) return ctx.Err("empty value", value.data());
  return {};
}

namespace {

#ifdef __SSE2__
// The CSeq values stacks write, "1*9DIGIT SP method" with a method of
// letters, digits, '-' or '.', 3 to 16 bytes, from one 16-byte load (bytes
// up to `readable` may be loaded). What the byte loop below accepts, on
// masks; false for anything else.
inline bool BlockCSeq(const char* d, std::size_t n, const char* readable, CSeq* out) {
  if (n < 3 || n > 16 || readable - d < 16) return false;
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d));
  const auto digits = static_cast<std::size_t>(__builtin_ctz(~text::DigitMask(v)));
  if (digits == 0 || digits > 9 || digits + 2 > n || d[digits] != ' ') return false;
  const unsigned method = ((1u << n) - 1) & ~((2u << digits) - 1);
  if ((text::AlnumDotDashMask(v) & method) != method) return false;
  std::uint32_t number = 0;
  for (std::size_t i = 0; i < digits; ++i) number = number * 10 + static_cast<std::uint32_t>(d[i] - '0');
  out->number = number;
  out->method = std::string_view(d + digits + 1, n - digits - 1);
  return true;
}

// The Call-IDs stacks write, letters, digits, '-' and '.' with at most one
// '@' inside, up to 32 bytes, on the masks of two 16-byte loads: a subset
// of what the word loop below accepts.
inline bool BlockCallId(const char* d, std::size_t n, const char* readable) {
  if (n == 0 || n > 32 || readable - d < 32) return false;
  const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d));
  const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + 16));
  const auto both = [](unsigned lo, unsigned hi) { return std::uint64_t{lo} | std::uint64_t{hi} << 16; };
  const std::uint64_t all = (std::uint64_t{1} << n) - 1;
  const std::uint64_t word = both(text::AlnumDotDashMask(v0), text::AlnumDotDashMask(v1));
  const std::uint64_t at = both(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v0, _mm_set1_epi8('@')))),
                                static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v1, _mm_set1_epi8('@'))))) &
                           all;
  if (((word | at) & all) != all) return false;
  // No '@', or one that is neither first nor last.
  return at == 0 || ((at & (at - 1)) == 0 && (at & 1) == 0 && (at >> (n - 1)) == 0);
}
#endif

}  // namespace

ParseError ParseCSeq(std::string_view value, CSeq* out, std::string_view base) {
  const std::string_view s = text::TrimLws(value);
  const Ctx ctx(value, base);
  if (internal::FastPaths()) {
    // Fast path: 1*9DIGIT SP token, the form every stack writes; below
    // 10^9 the number cannot exceed 2^31-1. Anything else: general code.
    const char* const d = s.data();
    const std::size_t n = s.size();
#ifdef __SSE2__
    if (BlockCSeq(d, n, ctx.readable_end(), out)) return {};
#endif
    std::size_t i = 0;
    std::uint32_t v = 0;
    while (i < n && i < 9 && text::IsDigit(d[i])) v = v * 10 + static_cast<std::uint32_t>(d[i++] - '0');
    if (i > 0 && i < n && d[i] == ' ') {
      const std::size_t m = i + 1;
      const std::size_t ml = TokenRun(d, m, n);
      if (ml != 0 && m + ml == n) {
        out->number = v;
        out->method = std::string_view(d + m, ml);
        return {};
      }
    }
  }
  const std::size_t dl = DigitsLength(s);
  std::uint64_t n = 0;
  switch (text::ParseDecimal(s.substr(0, dl), 0x7fffffffu, &n)) {
    case text::Num::kOk:
      break;
    case text::Num::kBad:
      return ctx.Err("CSeq: sequence number is not a number", s, 0);
    case text::Num::kTooLarge:
      return ctx.Err("CSeq: sequence number larger than 2^31-1", s, 0);
  }
  const std::size_t ws = LwsFrom(s, dl);
  if (ws == 0) return ctx.Err("CSeq: expected whitespace before method", s, dl);
  const std::size_t m = dl + ws;
  const std::size_t ml = TokenFrom(s, m);
  if (ml == 0) return ctx.Err("CSeq: method is not a token", s, m);
  if (ParseError e = ExpectEnd(s, m + ml, ctx, "CSeq: unexpected character after method")) return e;
  out->number = static_cast<std::uint32_t>(n);
  out->method = s.substr(m, ml);
  return {};
}

ParseError ParseCallId(std::string_view value, std::string_view* out, std::string_view base) {
  const std::string_view s = text::TrimLws(value);
  const Ctx ctx(value, base);
  if (internal::FastPaths()) {
    // Fast path: 1*word-char [ "@" 1*word-char ], accepted as a whole;
    // anything else goes to the loop below, which names the error.
    const char* const d = s.data();
    const std::size_t n = s.size();
#ifdef __SSE2__
    if (BlockCallId(d, n, ctx.readable_end())) {
      *out = s;
      return {};
    }
#endif
    std::size_t i = text::ClassRun(d, 0, n, text::kWord);
    if (i != 0 && i + 1 < n && d[i] == '@') i += 1 + text::ClassRun(d, i + 1, n, text::kWord);
    if (i != 0 && i == n) {
      *out = s;
      return {};
    }
  }
  if (s.empty()) return ctx.Err("Call-ID is empty", value.data());
  bool at = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '@') {
      if (at || i == 0 || i + 1 == s.size()) return ctx.Err("Call-ID: misplaced '@'", s, i);
      at = true;
    } else if (!text::Is(s[i], text::kWord)) {
      return ctx.Err("Call-ID: character not allowed in a word", s, i);
    }
  }
  *out = s;
  return {};
}

ParseError ParseMaxForwards(std::string_view value, int* out, std::string_view base) {
  const Ctx ctx(value, base);
  const std::string_view s = text::TrimLws(value);
  std::uint64_t v = 0;
  switch (text::ParseDecimal(s, 255, &v)) {
    case text::Num::kOk:
      *out = static_cast<int>(v);
      return {};
    case text::Num::kBad:
      return ctx.Err("Max-Forwards is not a number", s, 0);
    case text::Num::kTooLarge:
      break;
  }
  return ctx.Err("Max-Forwards larger than 255", s, 0);
}

ParseError ParseContentLength(std::string_view value, std::int64_t* out, std::string_view base) {
  const Ctx ctx(value, base);
  const std::string_view s = text::TrimLws(value);
  std::uint64_t v = 0;
  switch (text::ParseDecimal(s, kMaxMessageSize, &v)) {
    case text::Num::kOk:
      *out = static_cast<std::int64_t>(v);
      return {};
    case text::Num::kBad:
      return ctx.Err(!s.empty() && s[0] == '-' ? "negative Content-Length" : "Content-Length is not a number", s, 0);
    case text::Num::kTooLarge:
      break;
  }
  return ctx.Err("Content-Length too large", s, 0);
}

ParseError ParseContentType(std::string_view value, ContentType* out, std::string_view base) {
  const Ctx ctx(value, base);
  *out = ContentType();
  const std::string_view s = text::TrimLws(value);
  const std::size_t tl = TokenLength(s);
  if (tl == 0) return ctx.Err("Content-Type: type is not a token", s, 0);
  std::size_t i = tl + LwsFrom(s, tl);
  if (i >= s.size() || s[i] != '/') return ctx.Err("Content-Type: expected '/'", s, i);
  ++i;
  i += LwsFrom(s, i);
  const std::size_t sl = TokenFrom(s, i);
  if (sl == 0) return ctx.Err("Content-Type: subtype is not a token", s, i);
  out->type = s.substr(0, tl);
  out->subtype = s.substr(i, sl);
  i += sl;
  std::size_t end = 0;
  const std::string_view rest = s.substr(i);
  if (ParseError e = ParseParams(rest, &end, ctx)) return e;
  out->params = ParamList(rest.substr(0, end));
  return ExpectEnd(rest, end, ctx, "Content-Type: unexpected character");
}

ParseError ParseDeltaSeconds(std::string_view value, std::uint32_t* out, std::string_view base) {
  const Ctx ctx(value, base);
  const std::string_view s = text::TrimLws(value);
  std::uint64_t v = 0;
  switch (text::ParseDecimal(s, 0xffffffffu, &v)) {
    case text::Num::kOk:
      *out = static_cast<std::uint32_t>(v);
      return {};
    case text::Num::kBad:
      return ctx.Err("delta-seconds is not a number", s, 0);
    case text::Num::kTooLarge:
      break;
  }
  return ctx.Err("delta-seconds larger than 2^32-1", s, 0);
}

}  // namespace sipim::sip
