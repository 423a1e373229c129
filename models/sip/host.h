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

}  // namespace sipim::sip
