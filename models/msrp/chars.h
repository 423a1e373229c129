#pragma once
// Character classes and small scanners shared by the MSRP and SDP parsers.
// Internal header (not part of the public API).
#include <cstddef>
#include <cstdint>
#include <charconv>
#include <string>
#include <string_view>

namespace sipim::wire {

inline bool IsAlpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
inline bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool IsAlnum(unsigned char c) { return IsAlpha(c) || IsDigit(c); }
inline bool IsHex(unsigned char c) {
  return IsDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
inline char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a == b) return true;  // the usual case: written as the RFC spells it
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  return true;
}

// Character classes as one 256-entry table, so each test is a load and a
// mask (the URI and header scanners run them on every byte).
enum CharClass : std::uint16_t {
  kClsUnreserved = 1 << 0,  // RFC 3986 unreserved: ALPHA DIGIT - . _ ~
  kClsSubDelim = 1 << 1,    // RFC 3986 sub-delims without ';' (it ends an MSRP authority)
  kClsSessionId = 1 << 2,   // RFC 4975 session-id: unreserved + = /
  kClsMimeToken = 1 << 4,   // RFC 2045 token: media types; RFC 4975's token
                            // (header names, URI parameters) is the same set
  kClsIdent = 1 << 5,       // RFC 4975 ident-char: ALPHANUM . - + % =
  kClsUserinfo = 1 << 6,    // unreserved, sub-delims, ':'
  kClsHost = 1 << 7,        // reg-name: unreserved, sub-delims
};

struct CharTable {
  std::uint16_t bits[256];
};

constexpr bool InSet(const char* set, unsigned char c) {
  for (; *set; ++set)
    if (static_cast<unsigned char>(*set) == c) return true;
  return false;
}

constexpr CharTable MakeCharTable() {
  CharTable t{};
  for (unsigned c = 0; c < 256; ++c) {
    const unsigned char u = static_cast<unsigned char>(c);
    const bool alnum = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9');
    const bool unreserved = alnum || InSet("-._~", u);
    const bool sub = InSet("!$&'()*+,=", u);
    std::uint16_t b = 0;
    if (unreserved) b |= kClsUnreserved | kClsSessionId | kClsUserinfo | kClsHost;
    if (sub) b |= kClsSubDelim | kClsUserinfo | kClsHost;
    if (InSet("+=/", u)) b |= kClsSessionId;
    if (u == ':') b |= kClsUserinfo;
    if (u > 0x20 && u < 0x7F && !InSet("()<>@,;:\\\"/[]?=", u)) b |= kClsMimeToken;
    if (alnum || InSet(".-+%=", u)) b |= kClsIdent;
    t.bits[c] = b;
  }
  return t;
}

inline constexpr CharTable kCharTable = MakeCharTable();

inline bool HasClass(unsigned char c, std::uint16_t cls) { return (kCharTable.bits[c] & cls) != 0; }
inline bool IsMimeTokenChar(unsigned char c) { return HasClass(c, kClsMimeToken); }

// Appends the decimal digits of v.
inline void AppendDecimal(std::uint64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// Appends a 3-digit code (status codes), zero-padded.
inline void AppendCode3(unsigned code, std::string* out) {
  const char digits[3] = {static_cast<char>('0' + code / 100 % 10), static_cast<char>('0' + code / 10 % 10),
                          static_cast<char>('0' + code % 10)};
  out->append(digits, 3);
}

// Parses 1*DIGIT filling all of `s` into *out; false on empty, non-digit or
// overflow beyond `max`.
inline bool ParseDecimal(std::string_view s, std::uint64_t max, std::uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  const std::uint64_t limit = max / 10;  // one division, not one per digit
  std::uint64_t v = 0;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!IsDigit(c)) return false;
    const std::uint64_t d = c - '0';
    if (v > limit) return false;
    v *= 10;  // v <= max / 10, so no wrap
    if (v > max - d) return false;
    v += d;
  }
  *out = v;
  return true;
}

// Length of the valid UTF-8 sequence starting at s[0] (RFC 3629), or 0.
inline std::size_t Utf8SequenceLength(const unsigned char* s, std::size_t avail) {
  unsigned char c = s[0];
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (avail < n) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return n;
}

// RFC 4975 utf8text = *(HTAB / %x20-7E / UTF8-NONASCII). Returns the offset
// of the first byte that breaks it, or s.size() when all is well.
inline std::size_t FindInvalidUtf8Text(std::string_view s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = p[i];
    if (c == '\t' || (c >= 0x20 && c <= 0x7E)) {
      ++i;
      continue;
    }
    std::size_t n = c >= 0x80 ? Utf8SequenceLength(p + i, s.size() - i) : 0;
    if (n == 0) return i;
    i += n;
  }
  return s.size();
}

// True if `host` (without brackets) is an IPv6 address in RFC 4291 text
// form: eight 16-bit groups of 1-4 hex digits, at most one "::", and an
// optional dotted-quad IPv4 tail counting as two groups.
bool IsIPv6Text(std::string_view host);
// True for a dotted quad with each part 0..255 and no leading zeros beyond "0".
bool IsIPv4Text(std::string_view host);

}  // namespace sipim::wire
