// Zero-copy SIP message parser; see message.h.
#include "sip/message.h"

#include <cstring>

#include "sip/fast_path.h"
#include "sip/text.h"

namespace sipim::sip {
namespace {

using text::IEquals;
using text::IsToken;
using text::IsWs;
using text::Lower;

struct NameEntry {
  std::string_view name;  // lower case
  HeaderId id;
};

// Every name the stack classifies, long and compact forms.
constexpr NameEntry kNames[] = {
    {"via", HeaderId::kVia}, {"v", HeaderId::kVia},
    {"from", HeaderId::kFrom}, {"f", HeaderId::kFrom},
    {"to", HeaderId::kTo}, {"t", HeaderId::kTo},
    {"call-id", HeaderId::kCallId}, {"i", HeaderId::kCallId},
    {"cseq", HeaderId::kCSeq},
    {"max-forwards", HeaderId::kMaxForwards},
    {"contact", HeaderId::kContact}, {"m", HeaderId::kContact},
    {"route", HeaderId::kRoute},
    {"record-route", HeaderId::kRecordRoute},
    {"content-type", HeaderId::kContentType}, {"c", HeaderId::kContentType},
    {"content-length", HeaderId::kContentLength}, {"l", HeaderId::kContentLength},
    {"expires", HeaderId::kExpires},
    {"accept", HeaderId::kAccept},
    {"accept-encoding", HeaderId::kAcceptEncoding},
    {"accept-language", HeaderId::kAcceptLanguage},
    {"alert-info", HeaderId::kAlertInfo},
    {"allow", HeaderId::kAllow},
    {"authentication-info", HeaderId::kAuthenticationInfo},
    {"authorization", HeaderId::kAuthorization},
    {"call-info", HeaderId::kCallInfo},
    {"content-disposition", HeaderId::kContentDisposition},
    {"content-encoding", HeaderId::kContentEncoding}, {"e", HeaderId::kContentEncoding},
    {"content-language", HeaderId::kContentLanguage},
    {"date", HeaderId::kDate},
    {"error-info", HeaderId::kErrorInfo},
    {"in-reply-to", HeaderId::kInReplyTo},
    {"mime-version", HeaderId::kMimeVersion},
    {"min-expires", HeaderId::kMinExpires},
    {"organization", HeaderId::kOrganization},
    {"priority", HeaderId::kPriority},
    {"proxy-authenticate", HeaderId::kProxyAuthenticate},
    {"proxy-authorization", HeaderId::kProxyAuthorization},
    {"proxy-require", HeaderId::kProxyRequire},
    {"reply-to", HeaderId::kReplyTo},
    {"require", HeaderId::kRequire},
    {"retry-after", HeaderId::kRetryAfter},
    {"server", HeaderId::kServer},
    {"subject", HeaderId::kSubject}, {"s", HeaderId::kSubject},
    {"supported", HeaderId::kSupported}, {"k", HeaderId::kSupported},
    {"timestamp", HeaderId::kTimestamp},
    {"unsupported", HeaderId::kUnsupported},
    {"user-agent", HeaderId::kUserAgent},
    {"warning", HeaderId::kWarning},
    {"www-authenticate", HeaderId::kWwwAuthenticate},
    {"event", HeaderId::kEvent}, {"o", HeaderId::kEvent},
    {"allow-events", HeaderId::kAllowEvents}, {"u", HeaderId::kAllowEvents},
    {"refer-to", HeaderId::kReferTo}, {"r", HeaderId::kReferTo},
    {"referred-by", HeaderId::kReferredBy}, {"b", HeaderId::kReferredBy},
    {"accept-contact", HeaderId::kAcceptContact}, {"a", HeaderId::kAcceptContact},
    {"reject-contact", HeaderId::kRejectContact}, {"j", HeaderId::kRejectContact},
    {"request-disposition", HeaderId::kRequestDisposition}, {"d", HeaderId::kRequestDisposition},
    {"session-expires", HeaderId::kSessionExpires}, {"x", HeaderId::kSessionExpires},
    {"identity", HeaderId::kIdentity}, {"y", HeaderId::kIdentity},
    {"identity-info", HeaderId::kIdentityInfo}, {"n", HeaderId::kIdentityInfo},
    {"subscription-state", HeaderId::kSubscriptionState},
    {"rseq", HeaderId::kRSeq},
    {"rack", HeaderId::kRAck},
    {"path", HeaderId::kPath},
    {"service-route", HeaderId::kServiceRoute},
    {"min-se", HeaderId::kMinSE},
    {"replaces", HeaderId::kReplaces},
    {"reason", HeaderId::kReason},
    {"privacy", HeaderId::kPrivacy},
    {"p-asserted-identity", HeaderId::kPAssertedIdentity},
    {"p-preferred-identity", HeaderId::kPPreferredIdentity},
    {"sip-etag", HeaderId::kSipETag},
    {"sip-if-match", HeaderId::kSipIfMatch},
    {"history-info", HeaderId::kHistoryInfo},
};

constexpr std::string_view kCanonical[kHeaderIdCount] = {
    "", "Via", "From", "To", "Call-ID", "CSeq", "Max-Forwards", "Contact", "Route",
    "Record-Route", "Content-Type", "Content-Length", "Expires", "Accept",
    "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Authentication-Info",
    "Authorization", "Call-Info", "Content-Disposition", "Content-Encoding",
    "Content-Language", "Date", "Error-Info", "In-Reply-To", "MIME-Version", "Min-Expires",
    "Organization", "Priority", "Proxy-Authenticate", "Proxy-Authorization",
    "Proxy-Require", "Reply-To", "Require", "Retry-After", "Server", "Subject", "Supported",
    "Timestamp", "Unsupported", "User-Agent", "Warning", "WWW-Authenticate", "Event",
    "Allow-Events", "Refer-To", "Referred-By", "Accept-Contact", "Reject-Contact",
    "Request-Disposition", "Session-Expires", "Identity", "Identity-Info",
    "Subscription-State", "RSeq", "RAck", "Path", "Service-Route", "Min-SE", "Replaces",
    "Reason", "Privacy", "P-Asserted-Identity", "P-Preferred-Identity", "SIP-ETag",
    "SIP-If-Match", "History-Info",
};

// Names bucketed by length and first character: a lookup compares with
// one candidate, rarely two.
constexpr std::size_t kMaxNameLength = 24;
constexpr std::size_t kSlots = 4;
struct NameIndex {
  // entry + 1 of kNames, 0 when empty; first character folded to 0..31.
  std::uint8_t slot[kMaxNameLength + 1][32][kSlots] = {};
  constexpr NameIndex() {
    for (std::size_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]); ++i) {
      const std::string_view n = kNames[i].name;
      auto& s = slot[n.size()][static_cast<unsigned char>(n[0]) & 31];
      std::size_t k = 0;
      while (s[k] != 0) ++k;  // a bucket overflow fails constant evaluation
      s[k] = static_cast<std::uint8_t>(i + 1);
    }
  }
};
constexpr NameIndex kIndex{};

// Compares `name` (a token, any case) with `lower` (lower case), same
// length. For token characters, c | 0x20 folds exactly the letters.
inline bool NameEquals(const char* name, std::string_view lower) {
  const std::size_t n = lower.size();
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i)
      if (static_cast<char>(name[i] | 0x20) != lower[i]) return false;
    return true;
  }
  // Eight bytes at a time; the last word may overlap the one before.
  constexpr std::uint64_t kFold = 0x2020202020202020ull;
  const auto word_equal = [&](std::size_t at) {
    std::uint64_t a, b;
    std::memcpy(&a, name + at, 8);
    std::memcpy(&b, lower.data() + at, 8);
    return (a | kFold) == b;
  };
  for (std::size_t i = 0; i + 8 < n; i += 8)
    if (!word_equal(i)) return false;
  return word_equal(n - 8);
}

// Bytes the Request-URI may not hold raw (RFC 4475 lwsruri, ltgtruri).
struct UriStop {
  bool c[256] = {};
  constexpr UriStop() {
    for (unsigned char ch : {' ', '\t', '<', '>', '"'}) c[ch] = true;
  }
};
constexpr UriStop kUriStop{};

// The id of a header name; inlined into the field loop.
inline HeaderId Classify(std::string_view name) {
  const std::size_t len = name.size();
  if (len == 0 || len > kMaxNameLength) return HeaderId::kUnknown;
  const char first = Lower(name[0]);
  if (!text::IsAlpha(first)) return HeaderId::kUnknown;
  const auto& bucket = kIndex.slot[len][static_cast<unsigned char>(first) & 31];
  for (std::size_t k = 0; k < kSlots && bucket[k] != 0; ++k) {
    const NameEntry& e = kNames[bucket[k] - 1];
    if (NameEquals(name.data(), e.name)) return e.id;
  }
  return HeaderId::kUnknown;
}

#ifdef __SSE2__
// kNames as 16-byte lower-case patterns (zero padded), for comparing a name
// of at most 15 bytes with one SSE2 compare. Entry i + 1 is kNames[i], as
// in kIndex; entry 0 stands for an empty slot of kIndex: all 0xff, with the
// id kUnknown, so that the first slot of a bucket is compared without a
// test for empty (a name that matches it is unknown either way).
constexpr std::size_t kNameCount = sizeof(kNames) / sizeof(kNames[0]);
struct NamePatterns {
  char b[kNameCount + 1][16] = {};
  constexpr NamePatterns() {
    for (std::size_t k = 0; k < 16; ++k) b[0][k] = static_cast<char>(0xff);
    for (std::size_t i = 0; i < kNameCount; ++i)
      for (std::size_t k = 0; k < kNames[i].name.size() && k < 16; ++k) b[i + 1][k] = kNames[i].name[k];
  }
};
alignas(16) constexpr NamePatterns kPatterns{};
// The ids of kPatterns as a byte array: one load, no 24-byte stride.
struct PatternIds {
  HeaderId id[kNameCount + 1] = {};
  constexpr PatternIds() {
    for (std::size_t i = 0; i < kNameCount; ++i) id[i + 1] = kNames[i].id;
  }
};
constexpr PatternIds kPatternIds{};

// Classify() for a name of 1..15 bytes that starts the 16 bytes in v and
// holds no control byte; `care` has one bit per name byte. Folding with
// | 0x20 is then exact: only 'A'-'Z' and 'a'-'z' fold onto a letter, and
// only '-' and CR (excluded) onto '-'.
inline HeaderId ClassifyBlock(__m128i v, std::size_t len, unsigned care) {
  const auto& bucket = kIndex.slot[len][static_cast<unsigned char>(_mm_cvtsi128_si32(v)) & 31];
  const __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
  for (std::size_t k = 0; k < kSlots; ++k) {
    const std::size_t e = bucket[k];
    const __m128i want = _mm_load_si128(reinterpret_cast<const __m128i*>(kPatterns.b[e]));
    const unsigned eq = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(folded, want)));
    if ((eq & care) == care) return kPatternIds.id[e];
    if (e == 0) break;
  }
  return HeaderId::kUnknown;
}
#endif

#ifdef __SSE2__
// The bytes of v that are control bytes: <= 0x1f (HT included) or DEL.
inline unsigned CtlBits(__m128i v) {
  const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)))));
}
#endif

// True if p[0..1] is CRLF (one 16-bit compare).
inline bool IsCrLf(const char* p) {
  std::uint16_t w;
  std::memcpy(&w, p, 2);
  return w == 0x0a0d;  // little-endian: '\r' first
}

// A field value without the LWS around it; the common case (spaces, no
// fold at either end) without the general LWS loop.
inline std::string_view TrimValue(const char* b, const char* e) {
  // One SP after ':', then no LWS at either end: bytes above SP are neither
  // whitespace nor CR/LF.
  if (e - b >= 2 && b[0] == ' ' && static_cast<unsigned char>(b[1]) > ' ' && static_cast<unsigned char>(e[-1]) > ' ')
    return std::string_view(b + 1, static_cast<std::size_t>(e - b - 1));
  if (b < e && *b == ' ') ++b;  // the usual single SP after ':'
  while (b < e && IsWs(*b)) ++b;
  if (b < e && *b == '\r') return text::TrimLws(std::string_view(b, static_cast<std::size_t>(e - b)));
  while (e > b && (IsWs(e[-1]) || e[-1] == '\n' || e[-1] == '\r')) --e;
  return std::string_view(b, static_cast<std::size_t>(e - b));
}

// 1 to 7 digits (below kMaxMessageSize, so never too large) into *out;
// false for anything else, which ContentLength() then checks.
inline bool ShortDecimal(std::string_view s, std::int64_t* out) {
  if (s.empty() || s.size() > 7) return false;
  std::int64_t v = 0;
  for (char ch : s) {
    const unsigned digit = static_cast<unsigned char>(ch) - static_cast<unsigned>('0');
    if (digit > 9) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}
static_assert(9999999 < kMaxMessageSize, "ShortDecimal never exceeds the limit");

// A control byte inside a field value is allowed only as a quoted-pair
// inside a quoted string (RFC 3261: quoted-pair = "\" (%x00-09 / %x0B-0C /
// %x0E-7F)), as in RFC 4475 intmeth. The quoting state is carried along the
// value, so a value with many such bytes is still scanned once.
struct QuoteTracker {
  const char* pos;       // state is known up to here
  bool quoted = false;   // inside "..."
  bool escaped = false;  // the previous byte was a '\' inside "..."

  explicit QuoteTracker(const char* begin) : pos(begin) {}
  // True if the control byte at `at` (not CR or LF) is an escaped byte.
  bool AllowsCtlAt(const char* at) {
    for (; pos < at; ++pos) {
      if (escaped) {
        escaped = false;
      } else if (*pos == '\\') {
        escaped = quoted;
      } else if (*pos == '"') {
        quoted = !quoted;
      }
    }
    const bool ok = escaped;
    escaped = false;
    pos = at + 1;
    return ok;
  }
};

}  // namespace

class MessageParser {
 public:
  MessageParser(std::string_view data, Framing framing, Message* out)
      : d_(data.data()), n_(data.size()), framing_(framing), m_(out) {}

  [[gnu::always_inline]] inline ParseError Run();

 private:
  // Out of line and cold: error paths stay out of the hot loops' code.
  [[gnu::cold, gnu::noinline]] ParseError Fail(const char* reason, std::size_t at) const {
    return MakeParseError(reason, d_, n_, at);
  }
  ParseError GeneralStartLine(std::size_t begin, std::size_t* cr);
  std::size_t FastRequestLine(std::size_t begin);
  std::size_t FastStatusLine(std::size_t begin);
  // True if the line at begin starts with "SIP/" exactly (a status line
  // as stacks write it).
  bool StartsSipSlash(std::size_t begin) const {
    if (n_ - begin < 4) return false;
    std::uint32_t head;
    std::memcpy(&head, d_ + begin, 4);
    std::uint32_t want;
    std::memcpy(&want, "SIP/", 4);
    return head == want;
  }
  ParseError StartLine(std::size_t begin, std::size_t end);
  ParseError RequestLine(std::size_t begin, std::size_t end);
  ParseError StatusLine(std::size_t begin, std::size_t end);
  // Inlined into Run(): called once per message, their ParseError returns
  // would cost more than their bodies on the success path.
  [[gnu::always_inline]] inline ParseError Fields();
  std::size_t PlainFields(std::size_t line, bool* done);
  ParseError GeneralField(std::size_t* line, bool* done);
  ParseError ScanValue(std::size_t value_begin, std::size_t from, std::size_t* line_end);
  ParseError NameError(std::size_t line) const;
  ParseError ContentLength(const Header& h);
  [[gnu::always_inline]] inline ParseError Body();
  // A request line with a SIP-Version other than 2.0: where it starts, or
  // 0. The rest is still parsed, so that the receiver can answer 505.
  std::size_t bad_version_ = 0;
  // The first byte of [begin, end) that a Request-URI may not hold raw
  // (kUriStop), or end. Sixteen bytes per step while the buffer has them.
  std::size_t FindUriStop(std::size_t k, std::size_t end) const {
#ifdef __SSE2__
    while (k < end && n_ - k >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d_ + k));
      const __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
      const __m128i angle = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')), _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
      const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
      unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(ws, angle), quote)));
      if (end - k < 16) m &= (1u << (end - k)) - 1;  // bytes past the URI do not count
      if (m != 0) return k + static_cast<std::size_t>(__builtin_ctz(m));
      k += 16;
    }
    if (k >= end) return end;
#endif
    for (; k < end; ++k)
      if (kUriStop.c[static_cast<unsigned char>(d_[k])]) return k;
    return end;
  }
  // "SIP/2.0", the letters in any case (RFC 3261 section 7.1).
  bool IsVersion(std::size_t begin, std::size_t end) const {
    if (end - begin != 7) return false;
    std::uint32_t head;
    std::memcpy(&head, d_ + begin, 4);
    // Folding 0x20 into "SIP/" maps only s/S, i/I, p/P onto "sip/".
    std::uint32_t want;
    std::memcpy(&want, "sip/", 4);
    return (head | 0x00202020u) == want && d_[begin + 4] == '2' && d_[begin + 5] == '.' && d_[begin + 6] == '0';
  }

  const char* d_;
  std::size_t n_;
  Framing framing_;
  Message* m_;
  std::size_t pos_ = 0;
};

inline ParseError MessageParser::Run() {
  m_->input = std::string_view(d_, n_);
  if (framing_ == Framing::kStream) {
    while (pos_ + 1 < n_ && d_[pos_] == '\r' && d_[pos_ + 1] == '\n') pos_ += 2;
  }
  const std::size_t begin = pos_;
  if (begin >= n_) return Fail("empty message", begin);
  std::size_t cr = 0;
#ifdef __SSE2__
  if (internal::FastPaths()) cr = StartsSipSlash(begin) ? FastStatusLine(begin) : FastRequestLine(begin);
#endif
  if (cr == 0) {
    if (ParseError e = GeneralStartLine(begin, &cr)) return e;
  }
  pos_ = cr + 2;
  if (ParseError e = Fields()) return bad_version_ ? Fail(kBadVersionMalformed, bad_version_) : e;
  if (ParseError e = Body()) {
    // A body still arriving on a stream is waited for whatever the version.
    return bad_version_ && e.reason != kTruncatedBody ? Fail(kBadVersionMalformed, bad_version_) : e;
  }
  m_->raw = std::string_view(d_ + begin, pos_ - begin);
  m_->size = pos_;
  if (bad_version_ != 0) return Fail(kUnsupportedVersion, bad_version_);
  return {};
}

// The start line by the general rules: it ends at the first control byte,
// which must be the CR of a CRLF. *cr is set to that CR.
ParseError MessageParser::GeneralStartLine(std::size_t begin, std::size_t* cr_out) {
  const std::size_t cr = static_cast<std::size_t>(text::FindCtl(d_ + begin, d_ + n_) - d_);
  if (cr >= n_) return Fail("truncated start line (no CRLF)", n_);
  if (d_[cr] == '\n') return Fail("start line ends with bare LF (CRLF required)", cr);
  if (d_[cr] != '\r') return Fail(d_[cr] == '\0' ? "NUL byte in start line" : "control character in start line", cr);
  if (cr + 1 >= n_) return Fail("truncated start line (no CRLF)", n_);
  if (d_[cr + 1] != '\n') return Fail("bare CR in start line", cr);
  *cr_out = cr;
  return StartLine(begin, cr);
}

#ifdef __SSE2__
// The request line stacks write, "METHOD SP sip:... SP SIP/2.0 CRLF" with an
// upper-case method of at most 15 letters (the scheme in any case) and a
// URI of visible ASCII: the method ends at the first stop byte of the
// line's first 16 bytes (not visible ASCII, or '<', '>', '"'), the URI at
// the next one, and that must be the SP of " SIP/2.0" CRLF. Sets the
// start-line fields exactly as GeneralStartLine() would and returns the
// CR's offset; returns 0 for anything else, and the general code parses
// the line from the start (and names any error).
// tests/sip/fast_path_test.cc compares the two.
std::size_t MessageParser::FastRequestLine(std::size_t begin) {
  const char* const d = d_;
  // Stop bytes: all but visible ASCII (0x21-0x7e; bytes >= 0x80, which a
  // URI may hold, stop the fast path too), and '<', '>' ('<' | 2 == '>'),
  // '"'.
  const auto stops = [](__m128i v) {
    const __m128i visible = text::InRange(v, 0x21, 94);
    const __m128i angle = _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(2)), _mm_set1_epi8('>'));
    const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    return ~static_cast<unsigned>(_mm_movemask_epi8(_mm_andnot_si128(_mm_or_si128(angle, quote), visible))) & 0xffffu;
  };
  if (n_ - begin < 16) return 0;
  const __m128i first = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + begin));
  const unsigned first_stops = stops(first);
  // The method: 1 to 15 upper-case letters, a token.
  const unsigned upper = static_cast<unsigned>(_mm_movemask_epi8(text::InRange(first, 'A', 26)));
  const unsigned method_bits = (first_stops & (0u - first_stops)) - 1;  // all ones if no stop
  if (first_stops == 0 || method_bits == 0 || (upper & method_bits) != method_bits) return 0;
  const auto method_len = static_cast<std::size_t>(__builtin_ctz(first_stops));
  if (d[begin + method_len] != ' ') return 0;
  const std::size_t uri_begin = begin + method_len + 1;
  std::size_t sp = uri_begin;
  for (;;) {
    if (n_ - sp < 16) return 0;
    const unsigned m = stops(_mm_loadu_si128(reinterpret_cast<const __m128i*>(d + sp)));
    if (m != 0) {
      sp += static_cast<std::size_t>(__builtin_ctz(m));
      break;
    }
    sp += 16;
  }
  // " SIP/2.0" CRLF after a URI of at least "sip:".
  if (sp - uri_begin < 4 || n_ - sp < 10) return 0;
  std::uint64_t tail;
  std::memcpy(&tail, d + sp, 8);
  std::uint64_t sip20;
  std::memcpy(&sip20, " SIP/2.0", 8);
  std::uint32_t scheme;
  std::memcpy(&scheme, d + uri_begin, 4);
  std::uint32_t sip_colon;
  std::memcpy(&sip_colon, "sip:", 4);
  if (tail != sip20 || !IsCrLf(d + sp + 8) || (scheme | 0x00202020u) != sip_colon) return 0;
  const std::size_t cr = sp + 8;
  m_->start_line = std::string_view(d + begin, cr - begin);
  m_->method = std::string_view(d + begin, method_len);
  m_->request_uri = std::string_view(d + uri_begin, sp - uri_begin);
  m_->version = std::string_view(d + sp + 1, 7);
  m_->is_request = true;
  return cr;
}
#endif

// The status line stacks write, "SIP/2.0 SP 3DIGIT SP reason CRLF" with a
// code of 100-699: the same fields GeneralStartLine() sets, or 0 for
// anything else (the general code then parses the line and names any
// error). The reason ends where the general code ends the line: at the
// first control byte other than HT (FindCtl), which must be a CRLF's CR.
std::size_t MessageParser::FastStatusLine(std::size_t begin) {
  if (n_ - begin < 16) return 0;
  const char* const p = d_ + begin;
  std::uint64_t head;
  std::memcpy(&head, p, 8);
  std::uint64_t want;
  std::memcpy(&want, "SIP/2.0 ", 8);
  const unsigned c0 = static_cast<unsigned char>(p[8]) - unsigned{'0'};
  const unsigned c1 = static_cast<unsigned char>(p[9]) - unsigned{'0'};
  const unsigned c2 = static_cast<unsigned char>(p[10]) - unsigned{'0'};
  if (head != want || c0 > 9 || c1 > 9 || c2 > 9 || p[11] != ' ') return 0;
  const int code = static_cast<int>(c0 * 100 + c1 * 10 + c2);
  if (code < 100 || code > 699) return 0;
  const char* const end = d_ + n_;
  const char* const cr = text::FindCtl(p + 12, end);
  if (end - cr < 2 || !IsCrLf(cr)) return 0;
  m_->start_line = std::string_view(p, static_cast<std::size_t>(cr - p));
  m_->version = std::string_view(p, 7);
  m_->status_code = code;
  m_->reason = std::string_view(p + 12, static_cast<std::size_t>(cr - (p + 12)));
  m_->is_request = false;
  return static_cast<std::size_t>(cr - d_);
}

ParseError MessageParser::StartLine(std::size_t begin, std::size_t end) {
  m_->start_line = std::string_view(d_ + begin, end - begin);
  if (end - begin >= 4 && IEquals(std::string_view(d_ + begin, 4), "SIP/")) return StatusLine(begin, end);
  return RequestLine(begin, end);
}

// Request-Line = Method SP Request-URI SP SIP-Version CRLF: exactly one SP
// between the elements (RFC 4475 lwsstart, trws and lwsruri are rejected).
ParseError MessageParser::RequestLine(std::size_t begin, std::size_t end) {
  std::size_t i = begin + text::ClassRun(d_, begin, end, text::kToken);
  if (i == begin) return Fail("request line: method is not a token", begin);
  if (i == end || d_[i] != ' ') return Fail("request line: expected SP after method", i);
  m_->method = std::string_view(d_ + begin, i - begin);
  const std::size_t uri_begin = i + 1;
  std::size_t last_sp;
  std::uint64_t tail = 0;
  if (end - uri_begin >= 8) std::memcpy(&tail, d_ + end - 8, 8);
  std::uint64_t sip20;
  std::memcpy(&sip20, " SIP/2.0", 8);
  if (tail == sip20 && internal::FastPaths()) {
    // The line ends in " SIP/2.0" (no SP inside): that SP is the last one.
    last_sp = end - 7;
  } else {
    const void* sp = memrchr(d_ + uri_begin, ' ', end - uri_begin);
    if (sp == nullptr) return Fail("request line: expected Request-URI SP SIP-Version", uri_begin);
    last_sp = static_cast<std::size_t>(static_cast<const char*>(sp) - d_) + 1;
  }
  const std::size_t version_begin = last_sp;
  const std::size_t uri_end = last_sp - 1;
  if (version_begin == end) return Fail("request line: trailing whitespace", uri_end);
  if (d_[uri_begin] == ' ') return Fail("request line: more than one SP after method", uri_begin);
  if (uri_end == uri_begin || d_[uri_end - 1] == ' ')
    return Fail("request line: more than one SP before SIP-Version", uri_end - 1);
  const std::size_t bad = FindUriStop(uri_begin, uri_end);
  if (bad != uri_end) {
    if (d_[bad] == ' ' || d_[bad] == '\t') return Fail("request line: whitespace inside Request-URI", bad);
    return Fail("request line: Request-URI contains '<', '>' or '\"'", bad);
  }
  // absoluteURI / SIP-URI: scheme ":" ...; the full URI grammar is checked
  // by Validate() (sip/uri.h).
  std::size_t k = uri_begin;
  std::uint32_t scheme = 0;
  if (uri_end - uri_begin >= 4) std::memcpy(&scheme, d_ + uri_begin, 4);
  std::uint32_t sip_colon;
  std::memcpy(&sip_colon, "sip:", 4);
  if ((scheme | 0x00202020u) == sip_colon) {
    k += 3;  // "sip" in any case: the loop below would stop at this ':'
  } else {
    if (!text::IsAlpha(d_[k])) return Fail("request line: Request-URI has no scheme", k);
    while (k < uri_end && (text::IsAlpha(d_[k]) || text::IsDigit(d_[k]) || d_[k] == '+' ||
                           d_[k] == '-' || d_[k] == '.'))
      ++k;
  }
  if (k == uri_end || d_[k] != ':') return Fail("request line: Request-URI has no scheme", k);
  m_->request_uri = std::string_view(d_ + uri_begin, uri_end - uri_begin);
  if (!IsVersion(version_begin, end)) {
    if (end - version_begin < 4 || !IEquals(std::string_view(d_ + version_begin, 4), "SIP/"))
      return Fail("request line: bad SIP-Version", version_begin);
    // RFC 3261 21.5.6: a request of another SIP version is answered 505,
    // which needs its header fields: they are parsed before the error
    // (kUnsupportedVersion) is returned.
    m_->version = std::string_view(d_ + version_begin, end - version_begin);
    m_->is_request = true;
    bad_version_ = version_begin;
    return {};
  }
  m_->version = std::string_view(d_ + version_begin, 7);
  m_->is_request = true;
  return {};
}

// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF, with a
// 3-digit code 100..699 (RFC 4475 bigcode and scalarlg are rejected). The
// SP before an empty reason phrase may be missing (a common liberty).
ParseError MessageParser::StatusLine(std::size_t begin, std::size_t end) {
  std::size_t sp = begin;
  while (sp < end && d_[sp] != ' ') ++sp;
  if (!IsVersion(begin, sp)) return Fail("unsupported SIP version (505)", begin);
  m_->version = std::string_view(d_ + begin, 7);
  if (sp == end) return Fail("status line: expected SP and status code", sp);
  std::size_t i = sp + 1;
  std::size_t digits = 0;
  int code = 0;
  while (i < end && text::IsDigit(d_[i])) {
    if (++digits > 3) return Fail("status line: status code longer than 3 digits", i);
    code = code * 10 + (d_[i] - '0');
    ++i;
  }
  if (digits != 3) return Fail("status line: status code is not 3 digits", sp + 1);
  if (code < 100 || code > 699) return Fail("status line: status code outside 100-699", sp + 1);
  if (i < end && d_[i] != ' ') return Fail("status line: expected SP after status code", i);
  m_->status_code = code;
  m_->reason = i < end ? std::string_view(d_ + i + 1, end - i - 1) : std::string_view();
  m_->is_request = false;
  return {};
}

// Finds the end of the field value starting at value_begin: the CRLF not
// followed by SP/HT. Rejects bare CR, bare LF and control bytes (NUL
// included) except as quoted-pairs.
ParseError MessageParser::ScanValue(std::size_t value_begin, std::size_t from, std::size_t* line_end) {
  std::size_t i = from;
  QuoteTracker quotes(d_ + value_begin);
  for (;;) {
    i = static_cast<std::size_t>(text::FindCtl(d_ + i, d_ + n_) - d_);
    if (i >= n_) return Fail("truncated header field (no CRLF)", n_);
    const char ch = d_[i];
    if (ch == '\r') {
      if (i + 1 >= n_) return Fail("truncated header field (CR without LF)", n_);
      if (d_[i + 1] != '\n') return Fail("bare CR in header field", i);
      if (i + 2 < n_ && IsWs(d_[i + 2])) {  // folded continuation line
        i += 3;
        continue;
      }
      if (i + 2 >= n_) return Fail("truncated message: header section not ended by an empty line", n_);
      *line_end = i;
      return {};
    }
    if (ch == '\n') return Fail("bare LF in header field (CRLF required)", i);
    if (!quotes.AllowsCtlAt(d_ + i))
      return Fail(ch == '\0' ? "NUL byte in header field" : "control character in header field", i);
    ++i;
  }
}

inline ParseError MessageParser::Fields() {
  std::size_t line = pos_;
  const bool fast = internal::FastPaths();
  bool done = false;
  for (;;) {
#ifdef __SSE2__
    if (fast) line = PlainFields(line, &done);
#endif
    if (!done) {
      if (ParseError e = GeneralField(&line, &done)) return e;
    }
    if (done) {
      pos_ = line;
      return {};
    }
  }
}

#ifdef __SSE2__
// The field lines stacks usually write, taken in one tight loop: a name of
// 1..15 visible bytes and its ':' within the line's first 16 bytes, and a
// value whose first control byte is the CR of a CRLF not followed by SP/HT
// (no fold). Stops at the first line that is anything else, without
// consuming it, so that GeneralField() takes it (and names any error);
// every line taken here gets exactly what GeneralField() would give it
// (tests/sip/fast_path_test.cc compares the two). *done is set when it
// consumed the empty line that ends the header section.
std::size_t MessageParser::PlainFields(std::size_t line, bool* done) {
  // Locals, not members: the stores into Header below could otherwise
  // alias d_ and n_ and force a reload after each one.
  const char* const d = d_;
  const std::size_t n = n_;
  // The headers and the first-index table through one pointer, one register.
  Message* const m = m_;
  if (n - line < 16) return line;
  const char* const end = d + n;
  const char* const last_block = end - 16;  // where the last 16-byte load may start
  std::size_t count = m->headers.size();
  // The line being read; pointers, not offsets, to keep the loop's state
  // in few registers.
  const char* p = d + line;
  while (p <= last_block) {
    if (p[0] == '\r') {
      if (p[1] != '\n') break;
      *done = true;
      return static_cast<std::size_t>(p + 2 - d);
    }
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Control bytes (HT included: the line-end test below looks on past one).
    const unsigned ctl = CtlBits(v);
    const unsigned colons = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))));
    const unsigned name_bits = (colons & (0u - colons)) - 1;  // the bytes before the first ':'
    // No ':' in the block (all ones), an empty name, or a control byte
    // before the ':'. Then a name that matches a known one folded is that
    // name: only CR, excluded here, also folds onto a name byte ('-').
    // Any other name (SP or HT before ':' included) is checked as a token.
    if (colons == 0 || name_bits == 0 || (ctl & name_bits) != 0) break;
    const auto name_len = static_cast<std::size_t>(__builtin_ctz(colons));
    const HeaderId id = ClassifyBlock(v, name_len, name_bits);
    if (id == HeaderId::kUnknown && text::ClassRun(p, 0, name_len, text::kToken) != name_len) break;
    // The value's first control byte, sixteen bytes per step.
    const char* stop;
    if (ctl != 0) {
      stop = p + __builtin_ctz(ctl);
    } else {
      const char* q = p + 16;
      for (;;) {
        if (q > last_block) {
          stop = text::FindCtl(q, end);
          break;
        }
        const unsigned bits = CtlBits(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
        if (bits != 0) {
          stop = q + __builtin_ctz(bits);
          break;
        }
        q += 16;
      }
    }
    // The line must end in CRLF, not followed by SP or HT (a fold), with a
    // byte after that in the buffer; anything else (a control byte other
    // than CR, a bare CR, the end of the buffer) goes to GeneralField,
    // which says what it is. HT is allowed in a value: look on past it.
    if (end - stop < 4) break;
    std::uint32_t crlf_next;
    std::memcpy(&crlf_next, stop, 4);
    if ((crlf_next & 0xffffu) != 0x0a0du) {
      if (*stop != '\t') break;
      stop = text::FindCtl(stop + 1, end);
      if (end - stop < 4) break;
      std::memcpy(&crlf_next, stop, 4);
      if ((crlf_next & 0xffffu) != 0x0a0du) break;
    }
    // SP or HT after the CRLF (a fold): a table bit, cheaper than two compares.
    if (text::Is(static_cast<char>(crlf_next >> 16), text::kWs)) break;
    if (count >= kMaxHeaders) break;
    // ": value" with bytes above SP at both ends, else the general trim.
    // vb[1] is readable: at worst it is the LF after stop.
    const char* const vb = p + name_len + 1;
    const std::string_view value =
        vb[0] == ' ' && static_cast<unsigned char>(vb[1]) > ' ' && static_cast<unsigned char>(stop[-1]) > ' '
            ? std::string_view(vb + 1, static_cast<std::size_t>(stop - vb - 1))
            : TrimValue(vb, stop);
    if (id == HeaderId::kContentLength && !(m->content_length < 0 && ShortDecimal(value, &m->content_length))) break;
    const auto idx = static_cast<std::size_t>(id);
    if (m->first_[idx] == Message::kNone) m->first_[idx] = static_cast<std::uint16_t>(count);
    Header& h = m->headers.emplace_back();
    h.id = id;
    h.name = std::string_view(p, name_len);
    h.value = value;
    h.line = std::string_view(p, static_cast<std::size_t>(stop + 2 - p));
    ++count;
    p = stop + 2;
  }
  return static_cast<std::size_t>(p - d);
}
#endif

// One field line, or the empty line that ends the header section (then
// *done), by the general rules; every error of the header section is named
// here.
ParseError MessageParser::GeneralField(std::size_t* line_io, bool* done) {
  const char* const d = d_;
  const std::size_t n = n_;
  std::vector<Header>& headers = m_->headers;
  const std::size_t line = *line_io;
  if (line >= n) return Fail("truncated message: header section not ended by an empty line", n);
  const char first = d[line];
  if (!IsToken(first)) {
    if (first == '\r') {
      if (line + 1 >= n) return Fail("truncated message: CR without LF", n);
      if (d[line + 1] != '\n') return Fail("bare CR in header section", line);
      *line_io = line + 2;
      *done = true;
      return {};
    }
    if (first == '\n') return Fail("bare LF in header section (CRLF required)", line);
    if (IsWs(first)) return Fail("continuation line without a header field", line);
  }
  const std::size_t count = headers.size();
  if (count >= kMaxHeaders) return Fail("too many header fields", line);
  // The first control byte ends the field's first line; the name and its
  // ':' come before it (HCOLON allows no fold).
  const std::size_t stop = static_cast<std::size_t>(text::FindCtl(d + line, d + n) - d);
  const void* colon_p = std::memchr(d + line, ':', stop - line);
  if (colon_p == nullptr) return NameError(line);
  const auto colon = static_cast<std::size_t>(static_cast<const char*>(colon_p) - d);
  std::size_t name_end = colon;
  while (name_end > line && IsWs(d[name_end - 1])) --name_end;
  if (name_end == line) return NameError(line);
  const HeaderId id = Classify(std::string_view(d + line, name_end - line));
  // A known name has matched a token; any other must be checked.
  if (id == HeaderId::kUnknown) {
    for (std::size_t k = line; k < name_end; ++k)
      if (!IsToken(d[k])) return NameError(line);
  }
  const std::size_t value_begin = colon + 1;
  std::size_t crlf = stop;
  // Common case inline: the line ends in CRLF and the next one is not a
  // continuation; anything else (folds, bad bytes, truncation) goes to
  // ScanValue.
  if (!(stop + 2 < n && IsCrLf(d + stop) && !IsWs(d[stop + 2]))) {
    if (ParseError e = ScanValue(value_begin, stop, &crlf)) return e;
  }
  const auto idx = static_cast<std::size_t>(id);
  if (m_->first_[idx] == Message::kNone) m_->first_[idx] = static_cast<std::uint16_t>(count);
  Header& h = headers.emplace_back();
  h.id = id;
  h.name = std::string_view(d + line, name_end - line);
  h.value = TrimValue(d + value_begin, d + crlf);
  h.line = std::string_view(d + line, crlf + 2 - line);
  if (id == HeaderId::kContentLength) {
    if (ParseError e = ContentLength(h)) return e;
  }
  *line_io = crlf + 2;
  return {};
}

// The precise error for a field line whose name or ':' is malformed.
ParseError MessageParser::NameError(std::size_t line) const {
  std::size_t i = line;
  while (i < n_ && IsToken(d_[i])) ++i;
  if (i == line) {
    if (d_[i] == '\0') return Fail("NUL byte in header section", i);
    return Fail("header field name is not a token", i);
  }
  while (i < n_ && IsWs(d_[i])) ++i;
  if (i >= n_) return Fail("truncated header field", n_);
  if (d_[i] == '\0') return Fail("NUL byte in header section", i);
  return Fail("expected ':' after header field name", i);
}

ParseError MessageParser::ContentLength(const Header& h) {
  const std::size_t at = static_cast<std::size_t>(h.value.data() - d_);
  if (m_->content_length >= 0) return Fail("duplicate Content-Length", static_cast<std::size_t>(h.name.data() - d_));
  if (!h.value.empty() && h.value[0] == '-') return Fail("negative Content-Length", at);
  std::uint64_t v = 0;
  switch (text::ParseDecimal(h.value, kMaxMessageSize, &v)) {
    case text::Num::kOk:
      break;
    case text::Num::kBad:
      return Fail("Content-Length is not a number", at);
    case text::Num::kTooLarge:
      return Fail("Content-Length too large", at);
  }
  m_->content_length = static_cast<std::int64_t>(v);
  return {};
}

inline ParseError MessageParser::Body() {
  const std::size_t rest = n_ - pos_;
  if (m_->content_length < 0) {
    if (framing_ == Framing::kStream) return Fail("missing Content-Length (required on a stream)", pos_);
    m_->body = std::string_view(d_ + pos_, rest);
    pos_ = n_;
    return {};
  }
  const auto len = static_cast<std::size_t>(m_->content_length);
  if (len > rest) {
    m_->body = std::string_view(d_ + pos_, 0);  // where the body would begin
    return Fail(kTruncatedBody, n_);
  }
  m_->body = std::string_view(d_ + pos_, len);
  pos_ += len;
  return {};
}

bool internal::g_general_only = false;

const char kTruncatedBody[] = "truncated body: Content-Length larger than the message";
const char kUnsupportedVersion[] = "unsupported SIP version (505)";
const char kBadVersionMalformed[] = "unsupported SIP version (505), and the message is malformed";

HeaderId ClassifyHeader(std::string_view name) { return Classify(name); }

std::string_view HeaderName(HeaderId id) {
  const auto i = static_cast<std::size_t>(id);
  return i < kHeaderIdCount ? kCanonical[i] : std::string_view();
}

const Header* Message::FindNext(const Header* h) const {
  if (h == nullptr) return nullptr;
  const Header* end = headers.data() + headers.size();
  for (const Header* p = h + 1; p < end; ++p)
    if (p->id == h->id && (h->id != HeaderId::kUnknown || IEquals(p->name, h->name))) return p;
  return nullptr;
}

const Header* Message::Find(std::string_view name) const {
  const HeaderId id = ClassifyHeader(name);
  if (id != HeaderId::kUnknown) return Find(id);
  for (const Header& h : headers)
    if (h.id == HeaderId::kUnknown && IEquals(h.name, name)) return &h;
  return nullptr;
}

std::size_t Message::Count(HeaderId id) const {
  std::size_t n = 0;
  for (const Header& h : headers) n += h.id == id;
  return n;
}

void Message::Clear() {
  is_request = false;
  method = request_uri = version = reason = start_line = body = raw = input = {};
  status_code = 0;
  headers.clear();
  content_length = -1;
  size = 0;
  first_ = MakeEmptyIndex();
}

ParseError Parse(std::string_view data, Framing framing, Message* out) {
  out->Clear();
  return MessageParser(data, framing, out).Run();
}

ParseError ErrorAt(const Message& msg, const char* reason, const char* at) {
  const char* base = msg.input.data();
  std::size_t off = 0;
  if (base != nullptr && at >= base && at <= base + msg.input.size()) off = static_cast<std::size_t>(at - base);
  return MakeParseError(reason, base, msg.input.size(), off);
}

}  // namespace sipim::sip
