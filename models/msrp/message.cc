// One-shot MSRP message parsing (RFC 4975 sections 7 and 9): a single pass
// over the start line and header lines (memchr for each LF), then a memchr
// search for this transaction's end-line.
#include "msrp/message.h"

#include <cstring>

#include "msrp/chars.h"
#include "msrp/framing.h"
#include "msrp/uri.h"

namespace sipim::msrp {

using wire::EqualsNoCase;
using wire::IsAlnum;
using wire::IsAlpha;
using wire::IsDigit;
using wire::IsMimeTokenChar;

namespace {

bool IsIdentChar(unsigned char c) { return wire::HasClass(c, wire::kClsIdent); }

ParseError Err(const char* reason, std::string_view d, std::size_t offset) {
  return MakeParseError(reason, d.data(), d.size(), offset);
}

std::size_t SkipMimeToken(std::string_view v, std::size_t i) {
  while (i < v.size() && IsMimeTokenChar(static_cast<unsigned char>(v[i]))) ++i;
  return i;
}

// media-type = type "/" subtype *( ";" gen-param ), gen-param = pname
// ["=" (token / quoted-string)], quoted-string = DQUOTE *(qdtext / qd-esc)
// DQUOTE. Liberal: whitespace around ';' is allowed,
// as most stacks write "text/plain; charset=UTF-8". Returns the offset of the
// first bad byte within `v` (v.size() when it ends too early), or npos when
// the value is well formed.
constexpr std::size_t kOk = std::string_view::npos;
std::size_t CheckMediaType(std::string_view v) {
  std::size_t i = SkipMimeToken(v, 0);
  if (i == 0 || i >= v.size() || v[i] != '/') return i;
  std::size_t s = ++i;
  i = SkipMimeToken(v, i);
  if (i == s) return i;
  for (;;) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    if (i == v.size()) return kOk;
    if (v[i] != ';') return i;
    ++i;
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    std::size_t n = i;
    i = SkipMimeToken(v, i);
    if (i == n) return i;
    if (i < v.size() && v[i] == '=') {
      ++i;
      if (i < v.size() && v[i] == '"') {
        ++i;
        for (;;) {
          if (i >= v.size()) return i;
          unsigned char c = static_cast<unsigned char>(v[i]);
          if (c == '"') break;
          if (c == '\\') {  // qd-esc: only \\ and \"
            if (i + 1 >= v.size() || (v[i + 1] != '\\' && v[i + 1] != '"')) return i;
            i += 2;
            continue;
          }
          if (c >= 0x80) {  // qdtext: UTF8-NONASCII, a whole sequence
            std::size_t n = wire::Utf8SequenceLength(reinterpret_cast<const unsigned char*>(v.data()) + i,
                                                     v.size() - i);
            if (n == 0) return i;
            i += n;
            continue;
          }
          if ((c < 0x20 && c != '\t') || c == 0x7F) return i;
          ++i;
        }
        ++i;
      } else {
        std::size_t t = i;
        i = SkipMimeToken(v, i);
        if (i == t) return i;
      }
    }
  }
}

ReportMode ParseReportValue(std::string_view v, bool allow_partial) {
  if (EqualsNoCase(v, "yes")) return ReportMode::kYes;
  if (EqualsNoCase(v, "no")) return ReportMode::kNo;
  if (allow_partial && EqualsNoCase(v, "partial")) return ReportMode::kPartial;
  return ReportMode::kAbsent;
}

constexpr std::uint64_t kMaxByteCount = 0x7FFFFFFFFFFFFFFFull;

// "start-end/total" with end and total possibly '*'. Returns the offset of
// the first bad byte (or v.size() for a semantic error at the end) via *bad.
const char* ParseByteRange(std::string_view v, ByteRange* r, std::size_t* bad) {
  std::size_t dash = v.find('-');
  std::size_t slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    *bad = 0;
    return "Byte-Range must be <start>-<end>/<total>";
  }
  if (!wire::ParseDecimal(v.substr(0, dash), kMaxByteCount, &r->start)) {
    *bad = 0;
    return "Byte-Range start must be 1*DIGIT";
  }
  std::string_view end = v.substr(dash + 1, slash - dash - 1);
  std::string_view total = v.substr(slash + 1);
  r->end_unknown = end == "*";
  if (!r->end_unknown && !wire::ParseDecimal(end, kMaxByteCount, &r->end)) {
    *bad = dash + 1;
    return "Byte-Range end must be 1*DIGIT or '*'";
  }
  r->total_unknown = total == "*";
  if (!r->total_unknown && !wire::ParseDecimal(total, kMaxByteCount, &r->total)) {
    *bad = slash + 1;
    return "Byte-Range total must be 1*DIGIT or '*'";
  }
  if (r->start == 0) {
    *bad = 0;
    return "Byte-Range start must be at least 1 (byte numbers are 1-based)";
  }
  if (!r->end_unknown && r->end + 1 < r->start) {
    *bad = dash + 1;
    return "Byte-Range end is before its start";
  }
  if (!r->total_unknown) {
    if ((!r->end_unknown && r->end > r->total) || r->start > r->total + 1) {
      *bad = slash + 1;
      return "Byte-Range goes past its total";
    }
  }
  return nullptr;
}

}  // namespace

bool IsValidIdent(std::string_view s) {
  if (s.size() < 4 || s.size() > 32 || !IsAlnum(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!IsIdentChar(static_cast<unsigned char>(c))) return false;
  return true;
}

namespace framing {

ParseError CheckPartialStartLine(std::string_view msg) {
  static constexpr std::string_view kPrefix = "MSRP ";
  for (std::size_t i = 0; i < msg.size() && i < kPrefix.size(); ++i)
    if (msg[i] != kPrefix[i]) return Err("an MSRP message starts with \"MSRP \"", msg, i);
  std::size_t i = kPrefix.size();
  for (; i < msg.size() && msg[i] != ' '; ++i) {
    unsigned char c = static_cast<unsigned char>(msg[i]);
    // The line's CR ends the id (the start line then lacks its method): it
    // is no 33rd character.
    if (c == '\r' && i + 1 == msg.size()) break;
    bool ok = i == kPrefix.size() ? IsAlnum(c) : IsIdentChar(c);
    if (!ok) return Err("invalid character in the transaction id", msg, i);
    if (i - kPrefix.size() >= 32) return Err("transaction id longer than 32 characters", msg, i);
  }
  return ParseError{};
}

ParseError ParseStartLine(std::string_view msg, std::size_t line_len, StartLine* out) {
  // The caller ran CheckStartLinePrefix: "MSRP " and the tid characters.
  std::string_view line = msg.substr(0, line_len);
  if (line_len < 5) return Err("an MSRP message starts with \"MSRP \"", msg, line_len);
  std::size_t sp = line.find(' ', 5);
  if (sp == std::string_view::npos)
    return Err("start line lacks the method or status code", msg, line_len);
  out->tid_begin = 5;
  out->tid_len = sp - 5;
  out->tid = line.substr(5, sp - 5);
  if (!IsValidIdent(out->tid))
    return Err("transaction id must be 4 to 32 ident characters", msg, 5);
  std::string_view rest = line.substr(sp + 1);
  std::size_t rest_off = sp + 1;
  if (rest.size() >= 3 && IsDigit(static_cast<unsigned char>(rest[0])) &&
      IsDigit(static_cast<unsigned char>(rest[1])) && IsDigit(static_cast<unsigned char>(rest[2]))) {
    out->is_request = false;
    out->status_code = static_cast<unsigned>((rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0'));
    if (rest.size() > 3) {
      if (rest[3] != ' ') return Err("status code must be 3 digits", msg, rest_off + 3);
      // Grammar-legal but dropped on rebuild, so refused: keeps round trips exact.
      if (rest.size() == 4) return Err("empty comment after the status code", msg, rest_off + 3);
      out->comment = rest.substr(4);
      std::size_t bad = wire::FindInvalidUtf8Text(out->comment);
      if (bad != out->comment.size())
        return Err("invalid character in the response comment", msg, rest_off + 4 + bad);
    }
    return ParseError{};
  }
  out->is_request = true;
  if (rest.empty()) return Err("empty method", msg, rest_off);
  for (std::size_t i = 0; i < rest.size(); ++i)
    if (rest[i] < 'A' || rest[i] > 'Z')
      return Err("method must be upper-case letters (or a response's 3-digit code)", msg,
                 rest_off + i);
  out->method = rest;
  return ParseError{};
}

Match MatchEndLine(std::string_view data, std::size_t cr, std::string_view tid) {
  static constexpr char kHead[] = "\r\n-------";
  const std::size_t avail = data.size() - cr;
  const char* p = data.data() + cr;
  std::size_t n = avail < 9 ? avail : 9;
  if (std::memcmp(p, kHead, n) != 0) return Match::kNo;
  if (avail <= 9) return Match::kPartial;
  std::size_t t = avail - 9 < tid.size() ? avail - 9 : tid.size();
  if (std::memcmp(p + 9, tid.data(), t) != 0) return Match::kNo;
  std::size_t k = 9 + tid.size();
  if (avail <= k) return Match::kPartial;
  char f = p[k];
  if (f != '$' && f != '+' && f != '#') return Match::kNo;
  if (avail <= k + 1) return Match::kPartial;
  if (p[k + 1] != '\r') return Match::kNo;
  if (avail <= k + 2) return Match::kPartial;
  return p[k + 2] == '\n' ? Match::kYes : Match::kNo;
}

Match FindEndLine(std::string_view data, std::size_t from, std::string_view tid, std::size_t* at) {
  std::size_t pos = from;
  while (pos < data.size()) {
    const void* hit = std::memchr(data.data() + pos, '\r', data.size() - pos);
    if (hit == nullptr) return Match::kNo;
    std::size_t c = static_cast<std::size_t>(static_cast<const char*>(hit) - data.data());
    Match m = MatchEndLine(data, c, tid);
    if (m != Match::kNo) {
      *at = c;
      return m;
    }
    pos = c + 1;
  }
  return Match::kNo;
}

bool IsEndLine(std::string_view data, std::size_t b, std::size_t e, std::string_view tid,
               EndFlag* flag) {
  if (e - b != kDashes.size() + tid.size() + 1) return false;
  if (std::memcmp(data.data() + b, kDashes.data(), kDashes.size()) != 0) return false;
  if (std::memcmp(data.data() + b + kDashes.size(), tid.data(), tid.size()) != 0) return false;
  char f = data[e - 1];
  if (f != '$' && f != '+' && f != '#') return false;
  *flag = static_cast<EndFlag>(f);
  return true;
}

}  // namespace framing

namespace {

// Validates one header line and records it in *m. `d` is the whole message
// buffer, [b, e) the line without CRLF.
ParseError ParseHeaderLine(std::string_view d, std::size_t b, std::size_t e, Message* m,
                           const Limits& limits) {
  const void* colon_p = std::memchr(d.data() + b, ':', e - b);
  if (colon_p == nullptr) return Err("header line without ':'", d, b);
  std::size_t colon = static_cast<std::size_t>(static_cast<const char*>(colon_p) - d.data());
  if (!IsAlpha(static_cast<unsigned char>(d[b])))
    return Err("header name must start with a letter", d, b);
  // hname = ALPHA *token, RFC 4975's token (# $ & ^ { | } included).
  for (std::size_t i = b + 1; i < colon; ++i)
    if (!IsMimeTokenChar(static_cast<unsigned char>(d[i])))
      return Err("invalid character in a header name", d, i);
  if (colon + 1 >= e || d[colon + 1] != ' ')
    return Err("header name must be followed by \": \"", d, colon + 1);
  if (m->headers.size() >= limits.max_headers) return Err("too many header lines", d, b);
  std::string_view name = d.substr(b, colon - b);
  std::size_t vb = colon + 2;
  std::string_view value = d.substr(vb, e - vb);
  const std::size_t index = m->headers.size();
  m->headers.push_back(Header{name, value});

  if (!m->content_type.empty())
    return Err("header after Content-Type (it must be the last header before the body)", d, b);
  // RFC 4975 section 9: headers = To-Path CRLF From-Path CRLF *( header CRLF )
  if (index == 0 && !EqualsNoCase(name, "To-Path"))
    return Err("missing To-Path (it must be the first header)", d, b);
  if (index == 1 && !EqualsNoCase(name, "From-Path"))
    return Err("missing From-Path (it must be the second header)", d, b);
  auto path_error = [&](ParseError pe) { return Err(pe.reason, d, vb + pe.offset); };

  switch (name.size()) {
    case 7:
      if (EqualsNoCase(name, "To-Path")) {
        if (index != 0) return Err("duplicate To-Path", d, b);
        if (ParseError pe = ValidatePath(value, nullptr)) return path_error(pe);
        m->to_path = value;
        return ParseError{};
      }
      break;
    case 9:
      if (EqualsNoCase(name, "From-Path")) {
        if (index != 1) return Err("duplicate From-Path", d, b);
        if (ParseError pe = ValidatePath(value, nullptr)) return path_error(pe);
        m->from_path = value;
        return ParseError{};
      }
      break;
    case 10:
      if (EqualsNoCase(name, "Message-ID")) {
        if (!m->message_id.empty()) return Err("duplicate Message-ID", d, b);
        if (!IsValidIdent(value)) return Err("Message-ID must be 4 to 32 ident characters", d, vb);
        m->message_id = value;
        return ParseError{};
      }
      if (EqualsNoCase(name, "Byte-Range")) {
        if (m->has_byte_range) return Err("duplicate Byte-Range", d, b);
        std::size_t bad = 0;
        if (const char* why = ParseByteRange(value, &m->byte_range, &bad)) return Err(why, d, vb + bad);
        m->has_byte_range = true;
        return ParseError{};
      }
      break;
    case 6:
      if (EqualsNoCase(name, "Status")) {
        if (m->has_status) return Err("duplicate Status", d, b);
        if (value.size() < 7 || value.size() == 8 || value[3] != ' ' ||
            !(value.size() == 7 || value[7] == ' '))
          return Err("Status must be \"<namespace> <code>[ <reason>]\", e.g. 000 200 OK", d, vb);
        for (std::size_t i : {0, 1, 2, 4, 5, 6})
          if (!IsDigit(static_cast<unsigned char>(value[i])))
            return Err("Status namespace and code must be 3 digits each", d, vb + i);
        m->status.ns = static_cast<std::uint16_t>((value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0'));
        m->status.code = static_cast<std::uint16_t>((value[4] - '0') * 100 + (value[5] - '0') * 10 + (value[6] - '0'));
        m->status.reason = value.size() > 8 ? value.substr(8) : std::string_view();
        std::size_t bad = wire::FindInvalidUtf8Text(m->status.reason);
        if (bad != m->status.reason.size()) return Err("invalid character in the Status reason", d, vb + 8 + bad);
        m->has_status = true;
        return ParseError{};
      }
      break;
    case 14:
      if (EqualsNoCase(name, "Success-Report")) {
        if (m->success_report != ReportMode::kAbsent) return Err("duplicate Success-Report", d, b);
        m->success_report = ParseReportValue(value, false);
        if (m->success_report == ReportMode::kAbsent)
          return Err("Success-Report must be yes or no", d, vb);
        return ParseError{};
      }
      if (EqualsNoCase(name, "Failure-Report")) {
        if (m->failure_report != ReportMode::kAbsent) return Err("duplicate Failure-Report", d, b);
        m->failure_report = ParseReportValue(value, true);
        if (m->failure_report == ReportMode::kAbsent)
          return Err("Failure-Report must be yes, no or partial", d, vb);
        return ParseError{};
      }
      break;
    case 12:
      if (EqualsNoCase(name, "Content-Type")) {
        std::size_t bad = CheckMediaType(value);
        if (bad != kOk) return Err("invalid Content-Type (type/subtype *(;param))", d, vb + bad);
        m->content_type = value;
        return ParseError{};
      }
      break;
    default:
      break;
  }
  std::size_t bad = wire::FindInvalidUtf8Text(value);
  if (bad != value.size()) return Err("invalid character in a header value", d, vb + bad);
  return ParseError{};
}

// Checks that need the whole header section. `at` is where the error is
// reported (the end-line or the empty line).
ParseError CheckComplete(std::string_view d, std::size_t at, const Message& m) {
  if (m.headers.empty()) return Err("missing To-Path (it must be the first header)", d, at);
  if (m.headers.size() < 2) return Err("missing From-Path (it must be the second header)", d, at);
  if (m.method == Method::kSend && m.message_id.empty())
    return Err("SEND without Message-ID", d, at);
  if (m.method == Method::kReport && (m.message_id.empty() || !m.has_byte_range || !m.has_status))
    return Err("REPORT needs Message-ID, Byte-Range and Status", d, at);
  return ParseError{};
}

}  // namespace

ParseResult ParsePrefix(std::string_view data, Message* out, ParseError* err,
                        const Limits& limits) {
  out->Clear();
  const bool over = data.size() > limits.max_message_size;
  const std::string_view d = over ? data.substr(0, limits.max_message_size) : data;
  auto need_more = [&]() {
    if (!over) return ParseResult::kNeedMore;
    *err = Err("message larger than the maximum size (max_message_size)", data,
               limits.max_message_size);
    return ParseResult::kError;
  };
  auto fail = [&](ParseError e) {
    *err = e;
    return ParseResult::kError;
  };

  // Start line.
  const void* nl_p = std::memchr(d.data(), '\n', d.size());
  std::size_t nl = nl_p ? static_cast<std::size_t>(static_cast<const char*>(nl_p) - d.data()) : d.size();
  if (ParseError e = framing::CheckStartLinePrefix(d, nl)) return fail(e);
  if (nl_p == nullptr) return need_more();
  if (nl == 0 || d[nl - 1] != '\r') return fail(Err("start line must end in CRLF", d, nl));
  framing::StartLine sl;
  if (ParseError e = framing::ParseStartLine(d, nl - 1, &sl)) return fail(e);
  out->is_request = sl.is_request;
  out->transaction_id = sl.tid;
  if (sl.is_request) {
    out->method_name = sl.method;
    out->method = sl.method == "SEND" ? Method::kSend
                  : sl.method == "REPORT" ? Method::kReport
                                          : Method::kOther;
  } else {
    out->status_code = static_cast<std::uint16_t>(sl.status_code);
    out->comment = sl.comment;
  }
  const std::string_view tid = sl.tid;

  // Header lines, up to the end-line (no body) or the empty line (body).
  std::size_t pos = nl + 1;
  for (;;) {
    nl_p = std::memchr(d.data() + pos, '\n', d.size() - pos);
    if (nl_p == nullptr) return need_more();
    nl = static_cast<std::size_t>(static_cast<const char*>(nl_p) - d.data());
    if (nl == pos || d[nl - 1] != '\r') return fail(Err("line must end in CRLF", d, nl));
    const std::size_t le = nl - 1;
    if (le == pos) break;  // the empty line: a body follows
    if (d[pos] == '-') {
      EndFlag flag;
      if (!framing::IsEndLine(d, pos, le, tid, &flag))
        return fail(Err("line starting with '-' is not this transaction's end-line", d, pos));
      if (ParseError e = CheckComplete(d, pos, *out)) return fail(e);
      if (!out->content_type.empty())
        return fail(Err("Content-Type without a body (expected an empty line)", d, pos));
      out->flag = flag;
      out->size = nl + 1;
      return ParseResult::kMessage;
    }
    // A CR inside the line is caught by the name and value checks below.
    if (ParseError e = ParseHeaderLine(d, pos, le, out, limits)) return fail(e);
    pos = nl + 1;
  }

  // Body: content-stuff = ... Content-Type 2CRLF data CRLF end-line.
  const std::size_t blank = pos;
  if (ParseError e = CheckComplete(d, blank, *out)) return fail(e);
  if (!out->is_request) return fail(Err("a response carries no body", d, blank));
  if (out->content_type.empty())
    return fail(Err("body without Content-Type (it must be the last header)", d, blank));
  const std::size_t body_begin = blank + 2;
  std::size_t at = 0;
  if (framing::FindEndLine(d, body_begin, tid, &at) != framing::Match::kYes) return need_more();
  out->has_body = true;
  out->body = d.substr(body_begin, at - body_begin);
  out->flag = static_cast<EndFlag>(d[at + 2 + framing::kDashes.size() + tid.size()]);
  out->size = at + framing::EndLineSize(tid.size());
  return ParseResult::kMessage;
}

ParseError Parse(std::string_view data, Message* out, const Limits& limits) {
  ParseError err;
  switch (ParsePrefix(data, out, &err, limits)) {
    case ParseResult::kError:
      return err;
    case ParseResult::kNeedMore:
      return Err("truncated: the message ends before its end-line", data, data.size());
    case ParseResult::kMessage:
      break;
  }
  if (out->size != data.size()) return Err("data after the end-line", data, out->size);
  return ParseError{};
}

const Header* Message::Find(std::string_view name) const {
  for (const Header& h : headers)
    if (EqualsNoCase(h.name, name)) return &h;
  return nullptr;
}

void Message::Clear() {
  std::vector<Header> keep;
  keep.swap(headers);
  keep.clear();
  *this = Message{};
  headers.swap(keep);
}

bool operator==(const Message& a, const Message& b) {
  if (a.headers.size() != b.headers.size()) return false;
  for (std::size_t i = 0; i < a.headers.size(); ++i)
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) return false;
  return a.is_request == b.is_request && a.transaction_id == b.transaction_id &&
         a.method == b.method && a.method_name == b.method_name &&
         a.status_code == b.status_code && a.comment == b.comment && a.to_path == b.to_path &&
         a.from_path == b.from_path && a.message_id == b.message_id &&
         a.has_byte_range == b.has_byte_range && (!a.has_byte_range || a.byte_range == b.byte_range) &&
         a.has_status == b.has_status &&
         (!a.has_status || (a.status.ns == b.status.ns && a.status.code == b.status.code &&
                            a.status.reason == b.status.reason)) &&
         a.success_report == b.success_report && a.failure_report == b.failure_report &&
         a.content_type == b.content_type && a.has_body == b.has_body && a.body == b.body &&
         a.flag == b.flag && a.size == b.size;
}

}  // namespace sipim::msrp
