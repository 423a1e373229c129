#pragma once
// Hostname scanning shared by the URI and Via parsers. Internal to
// models/sip; not part of the API.
#include "sip/text.h"
#include "sip/uri.h"

namespace sipim::sip {

// Scans the run of hostname / IPv4 bytes (alphanum, '-', '.') at p, up to
// e, and classifies it in the same pass: *end is where the run stops (at
// the first other byte, or e). Returns kHostname for an RFC 3261 hostname
// (labels of alphanum and '-' that neither start nor end with '-', the
// last one starting with a letter, optional trailing '.'), kIPv4 for a
// valid dotted quad, else kNone (then *end is unspecified).
inline HostKind ScanHost(const char* p, const char* e, const char** end) {
  const char* const begin = p;
  char top_first = 0;     // first character of the latest label
  std::uint8_t seen = 0;  // text::kHost* bits of every byte
  while (p < e) {
    std::uint8_t c = text::HostClass(*p);
    if (c == 0) break;  // the run ends after a '.'
    if (!(c & (text::kHostDigit | text::kHostAlpha))) return HostKind::kNone;  // label starts with '.' or '-'
    top_first = *p;
    // The rest of the label: alphanum and '-', not ending with '-'.
    do {
      seen |= c;
      ++p;
      c = p < e ? text::HostClass(*p) : 0;
    } while (c & (text::kHostDigit | text::kHostAlpha | text::kHostHyphen));
    if (p[-1] == '-') return HostKind::kNone;
    if (c != text::kHostDot) break;  // the run ends
    ++p;
  }
  *end = p;
  if (p == begin) return HostKind::kNone;
  if (!(seen & (text::kHostAlpha | text::kHostHyphen)))
    return IsIPv4Address(std::string_view(begin, static_cast<std::size_t>(p - begin))) ? HostKind::kIPv4
                                                                                       : HostKind::kNone;
  return text::IsAlpha(top_first) ? HostKind::kHostname : HostKind::kNone;
}

// ScanHost() for a host that may be followed by more readable bytes (up to
// `readable`, >= e): when the run and the byte that ends it lie in the
// first 32 bytes, the label rules are checked on bitmasks of those bytes
// (no byte loop); otherwise ScanHost() runs. Same results.
inline HostKind ScanHostBlock(const char* p, const char* e, const char* readable, const char** end) {
#ifdef __SSE2__
  if (readable - p >= 32 && e > p) {
    const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
    const auto mask = [&](unsigned (*f)(__m128i)) {
      return static_cast<std::uint64_t>(f(v0)) | static_cast<std::uint64_t>(f(v1)) << 16;
    };
    const std::uint64_t host = mask(text::AlnumDotDashMask);
    auto len = static_cast<std::size_t>(__builtin_ctzll(~host));  // <= 32
    const auto avail = static_cast<std::size_t>(e - p);
    if (len < 32 || avail <= 32) {
      if (len > avail) len = avail;
      const std::uint64_t run = (std::uint64_t{1} << len) - 1;
      const std::uint64_t dots = mask([](__m128i v) {
        return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))));
      }) & run;
      const std::uint64_t dashes = mask([](__m128i v) {
        return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('-'))));
      }) & run;
      // Every label starts (at 0 and after each dot) with a letter or digit
      // and ends (before each dot, and at the end unless that is a dot)
      // with one.
      const std::uint64_t starts = (1u | (dots << 1)) & run;
      if (len == 0 || (starts & (dots | dashes)) != 0 || ((dots >> 1) & dashes) != 0 || ((dashes >> (len - 1)) & 1u))
        return HostKind::kNone;
      *end = p + len;
      const std::uint64_t digits = mask(text::DigitMask);
      const std::uint64_t letters = run & ~(dots | dashes | digits);
      if ((letters | dashes) == 0)
        return IsIPv4Address(std::string_view(p, len)) ? HostKind::kIPv4 : HostKind::kNone;
      // The top label's first byte: the last label start (a trailing dot
      // starts none inside the run).
      const int top = 63 - __builtin_clzll(starts);
      return ((letters >> top) & 1u) ? HostKind::kHostname : HostKind::kNone;
    }
  }
#else
  (void)readable;
#endif
  return ScanHost(p, e, end);
}

}  // namespace sipim::sip
