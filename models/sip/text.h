#pragma once
// Character classes and small text helpers shared by the SIP parsers
// (RFC 3261 section 25.1). Internal to models/sip; not part of the API.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace sipim::sip::text {

enum : std::uint8_t {
  kToken = 1,       // token: alphanum / "-.!%*_+`'~"
  kWs = 2,          // SP / HTAB
  kCtl = 4,         // %x00-1F / %x7F except HTAB: never raw in a field value
  kDigit = 8,
  kHex = 16,
  kAlpha = 32,
  kUnreserved = 64,  // alphanum / mark  (mark: "-_.!~*'()")
  kWord = 128,       // word: token chars plus "()<>:\\\"/[]?{}"
};

struct Table {
  std::uint8_t c[256];
  constexpr Table() : c() {
    for (int i = 0; i < 256; ++i) {
      std::uint8_t f = 0;
      const bool alpha = (i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z');
      const bool digit = i >= '0' && i <= '9';
      if (alpha) f |= kAlpha;
      if (digit) f |= kDigit;
      if (digit || (i >= 'a' && i <= 'f') || (i >= 'A' && i <= 'F')) f |= kHex;
      constexpr const char* token_marks = "-.!%*_+`'~";
      constexpr const char* marks = "-_.!~*'()";
      constexpr const char* word_extra = "()<>:\\\"/[]?{}";
      bool tok = alpha || digit;
      for (const char* p = token_marks; *p; ++p) tok = tok || i == *p;
      if (tok) f |= kToken | kWord;
      bool unres = alpha || digit;
      for (const char* p = marks; *p; ++p) unres = unres || i == *p;
      if (unres) f |= kUnreserved;
      for (const char* p = word_extra; *p; ++p)
        if (i == *p) f |= kWord;
      if (i == ' ' || i == '\t') f |= kWs;
      if ((i < 0x20 && i != '\t') || i == 0x7f) f |= kCtl;
      c[i] = f;
    }
  }
};
inline constexpr Table kTable{};

// Hostname bytes (RFC 3261 hostname / IPv4address): one bit per kind, so
// that one lookup both classifies a byte and records what a name contains.
enum : std::uint8_t { kHostDigit = 1, kHostAlpha = 2, kHostHyphen = 4, kHostDot = 8 };
struct HostTable {
  std::uint8_t c[256];
  constexpr HostTable() : c() {
    for (int i = 0; i < 256; ++i) {
      std::uint8_t f = 0;
      if (i >= '0' && i <= '9') f = kHostDigit;
      if ((i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z')) f = kHostAlpha;
      if (i == '-') f = kHostHyphen;
      if (i == '.') f = kHostDot;
      c[i] = f;
    }
  }
};
inline constexpr HostTable kHostTable{};
inline std::uint8_t HostClass(char ch) { return kHostTable.c[static_cast<unsigned char>(ch)]; }

inline bool Is(char ch, std::uint8_t cls) {
  return (kTable.c[static_cast<unsigned char>(ch)] & cls) != 0;
}
inline bool IsToken(char ch) { return Is(ch, kToken); }
inline bool IsWs(char ch) { return ch == ' ' || ch == '\t'; }
inline bool IsDigit(char ch) { return ch >= '0' && ch <= '9'; }
inline bool IsAlpha(char ch) { return Is(ch, kAlpha); }
inline bool IsHex(char ch) { return Is(ch, kHex); }
inline char Lower(char ch) {
  return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch | 0x20) : ch;
}
inline int HexValue(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  return (Lower(ch) - 'a') + 10;
}

inline bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}
// IEquals(a, lower) for a literal `lower` of lower-case letters only:
// then c | 0x20 folds exactly the two cases of each letter onto it and
// nothing else, so no per-byte Lower() is needed.
template <std::size_t N>
inline bool IEqualsLetters(std::string_view a, const char (&lower)[N]) {
  if (a.size() != N - 1) return false;
  for (std::size_t i = 0; i + 1 < N; ++i)
    if (static_cast<char>(a[i] | 0x20) != lower[i]) return false;
  return true;
}
inline bool IStartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && IEquals(s.substr(0, prefix.size()), prefix);
}

// Length of the linear white space at the start of s: SP/HT, and folds
// (CRLF followed by SP/HT), which Parse() has already checked.
inline std::size_t LwsLength(std::string_view s) {
  std::size_t i = 0;
  for (;;) {
    if (i < s.size() && IsWs(s[i])) {
      ++i;
    } else if (i + 2 < s.size() && s[i] == '\r' && s[i + 1] == '\n' && IsWs(s[i + 2])) {
      i += 3;
    } else {
      return i;
    }
  }
}
// LwsLength / TokenLength of s from position i (i <= s.size()).
inline std::size_t LwsFrom(std::string_view s, std::size_t i) {
  const std::size_t begin = i;
  const std::size_t n = s.size();
  for (;;) {
    if (i < n && IsWs(s[i])) {
      ++i;
    } else if (i + 2 < n && s[i] == '\r' && s[i + 1] == '\n' && IsWs(s[i + 2])) {
      i += 3;
    } else {
      return i - begin;
    }
  }
}
// Length of the run of bytes of class `cls` at d + i, d[0..n): four bytes
// per bounds check, since runs (tokens, branches, tags) are mostly longer.
inline std::size_t ClassRun(const char* d, std::size_t i, std::size_t n, std::uint8_t cls) {
  if (i >= n) return 0;
  const std::size_t begin = i;
  const auto in = [&](std::size_t k) { return (kTable.c[static_cast<unsigned char>(d[k])] & cls) != 0; };
  while (n - i >= 4) {
    if (!in(i)) return i - begin;
    if (!in(i + 1)) return i + 1 - begin;
    if (!in(i + 2)) return i + 2 - begin;
    if (!in(i + 3)) return i + 3 - begin;
    i += 4;
  }
  while (i < n && in(i)) ++i;
  return i - begin;
}
inline std::size_t TokenFrom(std::string_view s, std::size_t i) { return ClassRun(s.data(), i, s.size(), kToken); }
inline std::string_view SkipLws(std::string_view s) { return s.substr(LwsLength(s)); }
inline std::string_view TrimLwsRight(std::string_view s) {
  while (!s.empty() && (IsWs(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}
inline std::string_view TrimLws(std::string_view s) {
  // Values handed on by Parse() are trimmed already: bytes above SP at both
  // ends are neither whitespace nor CR/LF.
  if (!s.empty() && static_cast<unsigned char>(s.front()) > ' ' && static_cast<unsigned char>(s.back()) > ' ') return s;
  return TrimLwsRight(SkipLws(s));
}

// Length of the token at the start of s (0 if none).
inline std::size_t TokenLength(std::string_view s) { return ClassRun(s.data(), 0, s.size(), kToken); }

#ifdef __SSE2__
// The bytes of v in [low, low + count), as a bitmask: an add moves the
// range to the bottom of the signed bytes, one signed compare tests it.
inline __m128i InRange(__m128i v, char low, int count) {
  const __m128i shifted = _mm_add_epi8(v, _mm_set1_epi8(static_cast<char>(0x80 - low)));
  return _mm_cmplt_epi8(shifted, _mm_set1_epi8(static_cast<char>(-128 + count)));
}
inline unsigned DigitMask(__m128i v) { return static_cast<unsigned>(_mm_movemask_epi8(InRange(v, '0', 10))); }

// The bytes of v that are ASCII letters, digits, '-' or '.', as a bitmask:
// the hostname alphabet, and most bytes of the tokens stacks write
// (branches, tags, methods, Call-IDs).
inline unsigned AlnumDotDashMask(__m128i v) {
  // | 0x20 maps exactly 'A'-'Z' and 'a'-'z' onto 'a'-'z'.
  const __m128i alpha = InRange(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 26);
  const __m128i digit = InRange(v, '0', 10);
  const __m128i dash_dot = InRange(v, '-', 2);  // '-' 0x2d, '.' 0x2e
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(alpha, digit), dash_dot)));
}
#endif

// Length of the run of class `cls` (kToken or kWord: both hold every
// letter, digit, '-' and '.') at d + i, d[0..n): those common bytes sixteen
// at a time while the buffer has 16 bytes from there (bytes up to
// `readable` >= d + n may be loaded; bits past n are ignored), then the
// table from the first other byte on. Pays on long runs (Via branches).
inline std::size_t LongClassRun(const char* d, std::size_t i, std::size_t n, const char* readable, std::uint8_t cls) {
  const std::size_t begin = i;
#ifdef __SSE2__
  while (i < n && readable - (d + i) >= 16) {
    const unsigned other = ~AlnumDotDashMask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i))) & 0xffffu;
    if (other != 0) {
      i += static_cast<std::size_t>(__builtin_ctz(other));
      break;
    }
    i += 16;
  }
  if (i >= n) return n - begin;
#else
  (void)readable;
#endif
  return i - begin + ClassRun(d, i, n, cls);
}

// The bytes of the 8-byte word w that are below 0x20 or DEL (0x7f), as
// their high bits (the "hasless" bit trick). Borrows only run upwards, so
// the lowest set bit always marks a real match; that is all callers use.
inline std::uint64_t CtlMask(std::uint64_t w) {
  constexpr std::uint64_t k01 = 0x0101010101010101ull;
  constexpr std::uint64_t k80 = 0x8080808080808080ull;
  const std::uint64_t below_space = (w - k01 * 0x20) & ~w & k80;
  const std::uint64_t x = w ^ (k01 * 0x7f);
  const std::uint64_t del = (x - k01) & ~x & k80;
  return below_space | del;
}

// The first control byte (kCtl: CR, LF, NUL, ...; not HT) in [p, end), or
// end. Eight bytes per step: SIP lines are long runs of ordinary bytes.
// Little-endian byte order puts the first byte of a word lowest.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "FindCtl assumes little-endian");
inline const char* FindCtl(const char* p, const char* end) {
#ifdef __SSE2__
  // Sixteen bytes per step: byte <= 0x1f (unsigned) or == 0x7f.
  const __m128i k1f = _mm_set1_epi8(0x1f);
  const __m128i k7f = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i ctl = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, k1f), v), _mm_cmpeq_epi8(v, k7f));
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(ctl));
    if (m == 0) {
      p += 16;
      continue;
    }
    const char* hit = p + __builtin_ctz(m);
    if (*hit != '\t') return hit;
    p = hit + 1;  // HT is allowed: look on after it
  }
#endif
  while (end - p >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    const std::uint64_t m = CtlMask(w);
    if (m == 0) {
      p += 8;
      continue;
    }
    const char* hit = p + (__builtin_ctzll(m) >> 3);
    if (*hit != '\t') return hit;
    p = hit + 1;
  }
  for (; p < end; ++p)
    if (Is(*p, kCtl)) return p;
  return end;
}

// True if s holds a control byte (CR, LF, NUL, ...; HT is allowed): what a
// builder must never write inside a field value.
inline bool HasCtl(std::string_view s) { return FindCtl(s.data(), s.data() + s.size()) != s.data() + s.size(); }

// Parses 1*DIGIT (the whole of s) into *out if it is at most `max`.
enum class Num { kOk, kBad, kTooLarge };
inline Num ParseDecimal(std::string_view s, std::uint64_t max, std::uint64_t* out) {
  if (s.empty()) return Num::kBad;
  std::uint64_t v = 0;
  bool too_large = false;
  for (char ch : s) {
    if (!IsDigit(ch)) return Num::kBad;
    if (!too_large) {
      v = v * 10 + static_cast<std::uint64_t>(ch - '0');
      too_large = v > max;
    }
  }
  if (too_large) return Num::kTooLarge;
  *out = v;
  return Num::kOk;
}

}  // namespace sipim::sip::text
