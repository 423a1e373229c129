// URI parsing; see uri.h.
#include "sip/uri.h"

#include "sip/host.h"
#include "sip/text.h"

namespace sipim::sip {
namespace {

using text::IsAlpha;
using text::IsDigit;
using text::IsHex;

bool IsAlnum(char ch) { return IsAlpha(ch) || IsDigit(ch); }
bool IsUnreserved(char ch) { return text::Is(ch, text::kUnreserved); }
bool IsOneOf(char ch, std::string_view set) { return set.find(ch) != std::string_view::npos; }

// Length of the run of s that is unreserved, escaped or in `extra`;
// *bad_escape is set when a '%' is not followed by two hex digits.
std::size_t UriRunLength(std::string_view s, std::string_view extra, bool* bad_escape) {
  std::size_t i = 0;
  while (i < s.size()) {
    const char ch = s[i];
    if (ch == '%') {
      if (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2])) {
        *bad_escape = true;
        return i;
      }
      i += 3;
    } else if (IsUnreserved(ch) || IsOneOf(ch, extra)) {
      ++i;
    } else {
      break;
    }
  }
  return i;
}

// user = 1*( unreserved / escaped / user-unreserved )
constexpr std::string_view kUserExtra = "&=+$,;?/";
// password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
constexpr std::string_view kPasswordExtra = "&=+$,";
// paramchar = param-unreserved / unreserved / escaped
constexpr std::string_view kParamExtra = "[]/:&+$";
// hname / hvalue: hnv-unreserved / unreserved / escaped
constexpr std::string_view kHeaderExtra = "[]/?:+$";

bool IsHostnameChar(char ch) { return IsAlnum(ch) || ch == '-' || ch == '.'; }

// A hostname or IPv4 address, the whole of h (see ScanHost in sip/host.h).
HostKind HostnameOrIPv4(std::string_view h) {
  const char* end = nullptr;
  const HostKind kind = ScanHost(h.data(), h.data() + h.size(), &end);
  return kind != HostKind::kNone && end == h.data() + h.size() ? kind : HostKind::kNone;
}

class UriParser {
 public:
  UriParser(std::string_view text, Uri* out, std::string_view base)
      : s_(text), out_(out), base_(base.empty() ? text : base) {
    if (text.data() < base_.data() || text.data() + text.size() > base_.data() + base_.size()) base_ = text;
  }
  ParseError Run();

 private:
  ParseError Err(const char* reason, std::size_t i) const {
    return MakeParseError(reason, base_.data(), base_.size(),
                          static_cast<std::size_t>(s_.data() - base_.data()) + i);
  }
  ParseError Sip(std::size_t i);
  ParseError HostPort(std::size_t* i);
  ParseError Params(std::size_t* i, char stop);
  ParseError Headers(std::size_t i);
  ParseError Tel(std::size_t i);
  ParseError Other(std::size_t i);

  std::string_view s_;
  Uri* out_;
  std::string_view base_;
};

ParseError UriParser::Run() {
  *out_ = Uri();
  out_->text = s_;
  if (s_.empty() || !IsAlpha(s_[0])) return Err("URI: scheme must start with a letter", 0);
  std::size_t i = 1;
  while (i < s_.size() && (IsAlnum(s_[i]) || s_[i] == '+' || s_[i] == '-' || s_[i] == '.')) ++i;
  if (i >= s_.size() || s_[i] != ':') return Err("URI: expected ':' after scheme", i);
  out_->scheme = s_.substr(0, i);
  ++i;
  if (text::IEquals(out_->scheme, "sip")) {
    out_->scheme_id = UriScheme::kSip;
    return Sip(i);
  }
  if (text::IEquals(out_->scheme, "sips")) {
    out_->scheme_id = UriScheme::kSips;
    return Sip(i);
  }
  if (text::IEquals(out_->scheme, "tel")) {
    out_->scheme_id = UriScheme::kTel;
    return Tel(i);
  }
  out_->scheme_id = UriScheme::kOther;
  return Other(i);
}

ParseError UriParser::Sip(std::size_t i) {
  const std::size_t at = s_.find('@', i);
  if (at != std::string_view::npos) {
    bool bad = false;
    const std::size_t ul = UriRunLength(s_.substr(i, at - i), kUserExtra, &bad);
    if (bad) return Err("URI: malformed %-escape in user", i + ul);
    if (ul == 0) return Err("URI: empty user before '@'", i);
    out_->user = s_.substr(i, ul);
    out_->has_user = true;
    std::size_t k = i + ul;
    // The user part may itself contain ':' only as the password separator.
    if (k < at && s_[k] == ':') {
      ++k;
      const std::size_t pl = UriRunLength(s_.substr(k, at - k), kPasswordExtra, &bad);
      if (bad) return Err("URI: malformed %-escape in password", k + pl);
      out_->password = s_.substr(k, pl);
      out_->has_password = true;
      k += pl;
    }
    if (k != at) return Err("URI: character not allowed in userinfo", k);
    i = at + 1;
  }
  if (ParseError e = HostPort(&i)) return e;
  if (ParseError e = Params(&i, '?')) return e;
  if (i < s_.size() && s_[i] == '?') return Headers(i + 1);
  if (i < s_.size()) return Err("URI: unexpected character", i);
  return {};
}

ParseError UriParser::HostPort(std::size_t* pos) {
  std::size_t i = *pos;
  std::size_t end = i;
  if (i < s_.size() && s_[i] == '[') {
    const std::size_t close = s_.find(']', i);
    if (close == std::string_view::npos) return Err("URI: missing ']' after IPv6 reference", s_.size());
    end = close + 1;
  } else {
    while (end < s_.size() && IsHostnameChar(s_[end])) ++end;
  }
  if (end == i) return Err("URI: missing host", i);
  const std::string_view host = s_.substr(i, end - i);
  out_->host_kind = ClassifyHost(host);
  if (out_->host_kind == HostKind::kNone)
    return Err(host[0] == '[' ? "URI: invalid IPv6 reference" : "URI: invalid host", i);
  out_->host = host;
  i = end;
  if (i < s_.size() && s_[i] == ':') {
    ++i;
    std::size_t k = i;
    while (k < s_.size() && IsDigit(s_[k])) ++k;
    std::uint64_t port = 0;
    if (text::ParseDecimal(s_.substr(i, k - i), 65535, &port) != text::Num::kOk)
      return Err("URI: invalid port", i);
    out_->port = static_cast<int>(port);
    i = k;
  }
  *pos = i;
  return {};
}

// *( ";" pname [ "=" pvalue ] ) up to `stop` or the end.
ParseError UriParser::Params(std::size_t* pos, char stop) {
  std::size_t i = *pos;
  const std::size_t begin = i;
  while (i < s_.size() && s_[i] == ';') {
    ++i;
    bool bad = false;
    const std::size_t nl = UriRunLength(s_.substr(i), kParamExtra, &bad);
    if (bad) return Err("URI: malformed %-escape in parameter", i + nl);
    if (nl == 0) return Err("URI: empty parameter name", i);
    i += nl;
    if (i < s_.size() && s_[i] == '=') {
      ++i;
      const std::size_t vl = UriRunLength(s_.substr(i), kParamExtra, &bad);
      if (bad) return Err("URI: malformed %-escape in parameter", i + vl);
      if (vl == 0) return Err("URI: empty parameter value", i);
      i += vl;
    }
  }
  if (i < s_.size() && s_[i] != stop) return Err("URI: unexpected character", i);
  out_->params = ParamList(s_.substr(begin, i - begin));
  *pos = i;
  return {};
}

// header *( "&" header ), header = hname "=" hvalue
ParseError UriParser::Headers(std::size_t i) {
  out_->headers = s_.substr(i);
  for (;;) {
    bool bad = false;
    const std::size_t nl = UriRunLength(s_.substr(i), kHeaderExtra, &bad);
    if (bad) return Err("URI: malformed %-escape in header", i + nl);
    if (nl == 0) return Err("URI: empty header name", i);
    i += nl;
    if (i >= s_.size() || s_[i] != '=') return Err("URI: expected '=' in header", i);
    ++i;
    const std::size_t vl = UriRunLength(s_.substr(i), kHeaderExtra, &bad);
    if (bad) return Err("URI: malformed %-escape in header", i + vl);
    i += vl;
    if (i >= s_.size()) return {};
    if (s_[i] != '&') return Err("URI: unexpected character in headers", i);
    ++i;
  }
}

// RFC 3966: global-number ("+" digits and visual separators) or a local
// number (hex digits, '*', '#', separators), then ";" parameters.
ParseError UriParser::Tel(std::size_t i) {
  std::size_t k = i;
  if (k < s_.size() && s_[k] == '+') ++k;
  std::size_t digits = 0;
  while (k < s_.size() && (IsHex(s_[k]) || IsOneOf(s_[k], "*#-.()"))) {
    digits += IsHex(s_[k]) || s_[k] == '*' || s_[k] == '#';
    ++k;
  }
  if (digits == 0) return Err("tel URI: no digits in the number", i);
  out_->opaque = s_.substr(i, k - i);
  if (ParseError e = Params(&k, '\0')) return e;
  if (k != s_.size()) return Err("tel URI: unexpected character", k);
  return {};
}

// Any other scheme: the rest must be non-empty URI characters (RFC 3986
// reserved / unreserved / escaped).
ParseError UriParser::Other(std::size_t i) {
  if (i >= s_.size()) return Err("URI: nothing after the scheme", i);
  bool bad = false;
  const std::size_t n = UriRunLength(s_.substr(i), ";/?:@&=+$,[]#", &bad);
  if (bad) return Err("URI: malformed %-escape", i + n);
  if (i + n != s_.size()) return Err("URI: character not allowed in a URI", i + n);
  out_->opaque = s_.substr(i);
  return {};
}

}  // namespace

ParseError ParseUri(std::string_view text, Uri* out, std::string_view base) {
  return UriParser(text, out, base).Run();
}

ParseError Unescape(std::string_view in, std::string* out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || !IsHex(in[i + 1]) || !IsHex(in[i + 2]))
      return MakeParseError("malformed %-escape", in.data(), in.size(), i);
    out->push_back(static_cast<char>(text::HexValue(in[i + 1]) * 16 + text::HexValue(in[i + 2])));
    i += 2;
  }
  return {};
}

bool IsIPv4Address(std::string_view h) {
  // One pass: each group's value is summed as its digits are read.
  const char* p = h.data();
  const char* const end = p + h.size();
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (p == end || *p != '.') return false;
      ++p;
    }
    unsigned value = 0;
    int digits = 0;
    for (; p != end && IsDigit(*p) && digits < 4; ++p, ++digits) value = value * 10 + static_cast<unsigned>(*p - '0');
    if (digits == 0 || digits > 3 || value > 255) return false;
  }
  return p == end;
}

// RFC 4291 section 2.2 text forms: eight groups of 1-4 hex digits, one "::"
// standing for one or more zero groups, and an IPv4 tail counting as two.
bool IsIPv6Address(std::string_view h) {
  if (h.size() < 2) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (h[0] == ':') {
    if (h[1] != ':') return false;
    compressed = true;
    i = 2;
    if (i == h.size()) return true;  // "::"
  }
  for (;;) {
    std::size_t k = i;
    while (k < h.size() && IsHex(h[k]) && k - i < 5) ++k;
    if (k < h.size() && h[k] == '.') {  // IPv4 tail
      if (!IsIPv4Address(h.substr(i))) return false;
      groups += 2;
      break;
    }
    if (k == i || k - i > 4) return false;
    ++groups;
    if (k == h.size()) break;
    if (h[k] != ':') return false;
    if (k + 1 < h.size() && h[k + 1] == ':') {
      if (compressed) return false;  // a second "::", or ":::"
      compressed = true;
      i = k + 2;
      if (i == h.size()) break;
      if (h[i] == ':') return false;
    } else {
      i = k + 1;
      if (i == h.size()) return false;  // trailing single ':'
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

HostKind ClassifyHost(std::string_view host) {
  if (host.empty()) return HostKind::kNone;
  if (host[0] == '[') {
    if (host.size() < 3 || host.back() != ']') return HostKind::kNone;
    return IsIPv6Address(host.substr(1, host.size() - 2)) ? HostKind::kIPv6 : HostKind::kNone;
  }
  return HostnameOrIPv4(host);
}

}  // namespace sipim::sip
