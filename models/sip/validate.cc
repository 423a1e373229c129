// Validate(): the semantic checks on a parsed message; see headers.h.
#include "sip/headers.h"
#include "sip/text.h"
#include "sip/uri.h"

namespace sipim::sip {
namespace {

// Fields that occur at most once (RFC 3261 section 7.3.1: only fields
// defined as comma-separated lists may repeat).
constexpr HeaderId kSingle[] = {HeaderId::kTo,          HeaderId::kFrom,        HeaderId::kCallId,
                                HeaderId::kCSeq,        HeaderId::kMaxForwards, HeaderId::kContentType,
                                HeaderId::kExpires,     HeaderId::kMinExpires};
constexpr const char* kSingleReason[] = {
    "multiple To header fields",          "multiple From header fields",
    "multiple Call-ID header fields",     "multiple CSeq header fields",
    "multiple Max-Forwards header fields", "multiple Content-Type header fields",
    "multiple Expires header fields",     "multiple Min-Expires header fields"};

// Header fields every message needs (RFC 3261 sections 8.1.1 and 8.2.6).
// Max-Forwards is left out: RFC 2543 requests (RFC 4475 inv2543) lack it,
// and a proxy adds it (section 16.6 step 3).
constexpr HeaderId kRequired[] = {HeaderId::kTo, HeaderId::kFrom, HeaderId::kCallId, HeaderId::kCSeq,
                                  HeaderId::kVia};
constexpr const char* kRequiredReason[] = {"missing To header field", "missing From header field",
                                           "missing Call-ID header field", "missing CSeq header field",
                                           "missing Via header field"};

ParseError CheckUri(const Message& msg, std::string_view uri) {
  Uri u;
  return ParseUri(uri, &u, msg.input);
}

// One name-addr value of field h (a list has several).
ParseError CheckNameAddrValue(const Message& msg, const Header& h, const NameAddr& na, bool only_value,
                              bool need_angle) {
  if (na.star) {
    if (h.id != HeaderId::kContact || !only_value || msg.Count(HeaderId::kContact) != 1)
      return ErrorAt(msg, "'*' is allowed only as the single Contact value", na.text.data());
    return {};
  }
  if (need_angle && !na.angle) return ErrorAt(msg, "Route/Record-Route URI must be in <>", na.text.data());
  if (ParseError e = CheckUri(msg, na.uri)) return e;
  Param p;
  if (h.id == HeaderId::kContact && na.params.Find("expires", &p)) {
    std::uint32_t v = 0;
    if (ParseError e = ParseDeltaSeconds(p.value, &v, msg.input)) return e;
  }
  return {};
}

ParseError CheckNameAddr(const Message& msg, const Header& h, bool list, bool need_angle) {
  if (!list) {  // From, To: one value, no list to allocate
    NameAddr na;
    if (ParseError e = ParseNameAddr(h.value, &na, msg.input)) return e;
    return CheckNameAddrValue(msg, h, na, true, need_angle);
  }
  std::vector<NameAddr> values;
  if (ParseError e = ParseNameAddrList(h.value, &values, msg.input)) return e;
  for (const NameAddr& na : values)
    if (ParseError e = CheckNameAddrValue(msg, h, na, values.size() == 1, need_angle)) return e;
  return {};
}

ParseError CheckField(const Message& msg, const Header& h, Via* top_via, std::uint32_t* via_count) {
  switch (h.id) {
    case HeaderId::kVia:
      // Checks every Via field at once, keeping none but the top one.
      return CheckVias(msg, top_via, via_count);
    case HeaderId::kFrom:
    case HeaderId::kTo:
      return CheckNameAddr(msg, h, false, false);
    case HeaderId::kContact:
      return CheckNameAddr(msg, h, true, false);
    case HeaderId::kRoute:
    case HeaderId::kRecordRoute:
      return CheckNameAddr(msg, h, true, true);
    case HeaderId::kCSeq: {
      CSeq c;
      return ParseCSeq(h.value, &c, msg.input);
    }
    case HeaderId::kCallId: {
      std::string_view id;
      return ParseCallId(h.value, &id, msg.input);
    }
    case HeaderId::kMaxForwards: {
      int mf = 0;
      return ParseMaxForwards(h.value, &mf, msg.input);
    }
    case HeaderId::kContentType: {
      ContentType ct;
      return ParseContentType(h.value, &ct, msg.input);
    }
    case HeaderId::kExpires:
    case HeaderId::kMinExpires: {
      std::uint32_t v = 0;
      return ParseDeltaSeconds(h.value, &v, msg.input);
    }
    default:
      return {};
  }
}

ParseError ValidateImpl(const Message& msg, Via* top_via, std::uint32_t* via_count) {
  for (std::size_t k = 0; k < sizeof(kRequired) / sizeof(kRequired[0]); ++k)
    if (msg.Find(kRequired[k]) == nullptr) return ErrorAt(msg, kRequiredReason[k], msg.raw.data());
  for (std::size_t k = 0; k < sizeof(kSingle) / sizeof(kSingle[0]); ++k) {
    const Header* first = msg.Find(kSingle[k]);
    if (first == nullptr) continue;
    if (const Header* second = msg.FindNext(first)) return ErrorAt(msg, kSingleReason[k], second->name.data());
  }
  if (msg.is_request) {
    Uri uri;
    if (ParseError e = ParseUri(msg.request_uri, &uri, msg.input)) return e;
    if (uri.is_sip() && !uri.headers.empty())
      return ErrorAt(msg, "Request-URI must not contain headers", uri.headers.data() - 1);
  }
  bool vias_checked = false;
  for (const Header& h : msg.headers) {
    if (h.id == HeaderId::kVia) {
      if (vias_checked) continue;
      vias_checked = true;
    }
    if (ParseError e = CheckField(msg, h, top_via, via_count)) return e;
  }
  if (msg.is_request) {
    CSeq cseq;
    if (ParseError e = ParseCSeq(msg.Find(HeaderId::kCSeq)->value, &cseq, msg.input)) return e;
    if (cseq.method != msg.method)
      return ErrorAt(msg, "CSeq method does not match the request method", cseq.method.data());
  }
  if (msg.body.size() > 0 && msg.Find(HeaderId::kContentType) == nullptr)
    return ErrorAt(msg, "body without Content-Type", msg.body.data());
  return {};
}

}  // namespace

ParseError Validate(const Message& msg) { return ValidateImpl(msg, nullptr, nullptr); }

ParseError Validate(const Message& msg, Via* top_via, std::uint32_t* via_count) {
  return ValidateImpl(msg, top_via, via_count);
}

}  // namespace sipim::sip
