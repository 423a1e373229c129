#pragma once
// MSRP messages (RFC 4975 sections 7 and 9): parse one complete message.
//
//   MSRP <tid> <METHOD>CRLF            or   MSRP <tid> <code>[ <comment>]CRLF
//   To-Path: <uri> *(SP <uri>)CRLF          (always the first header)
//   From-Path: <uri> *(SP <uri>)CRLF        (always the second header)
//   *(header CRLF)
//   [Content-Type: <media-type>CRLF CRLF <data> CRLF]   (requests only)
//   -------<tid><flag>CRLF                 flag: '$' complete, '+' more, '#' abort
//
// There is no Content-Length: the body ends at the first CRLF followed by
// "-------" + the SAME transaction id + a flag + CRLF. A line that looks like
// an end-line with another transaction id is body data.
//
// Zero-copy: every string_view in a Message points into the parsed buffer,
// which must outlive the Message. Parsing into a reused Message does not
// allocate once `headers` has grown to the largest header count seen.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/parse_error.h"

namespace sipim::msrp {

enum class Method : std::uint8_t { kNone /* a response */, kSend, kReport, kOther };
enum class EndFlag : char { kComplete = '$', kMore = '+', kAbort = '#' };
// Success-Report / Failure-Report values; kAbsent when the header is missing
// (RFC 4975: Success-Report then means "no", Failure-Report "yes").
enum class ReportMode : std::uint8_t { kAbsent, kYes, kNo, kPartial };

// Byte-Range: <start>-<end>/<total>; 1-based, inclusive; end and total may be
// '*' (unknown). A zero-length chunk is written "1-0/0" (end = start - 1).
struct ByteRange {
  std::uint64_t start = 1;
  std::uint64_t end = 0;    // valid when !end_unknown
  std::uint64_t total = 0;  // valid when !total_unknown
  bool end_unknown = false;
  bool total_unknown = false;
  bool operator==(const ByteRange& o) const {
    return start == o.start && end_unknown == o.end_unknown && total_unknown == o.total_unknown &&
           (end_unknown || end == o.end) && (total_unknown || total == o.total);
  }
  bool operator!=(const ByteRange& o) const { return !(*this == o); }
};

// Status: <namespace> <code>[ <reason>]  e.g. "000 200 OK" (section 7.1.2)
struct StatusHeader {
  std::uint16_t ns = 0;  // always 000 in RFC 4975
  std::uint16_t code = 0;
  std::string_view reason;  // "" when absent
};

struct Header {
  std::string_view name;   // as written
  std::string_view value;  // after ": ", up to CRLF
};

struct Message {
  bool is_request = false;
  std::string_view transaction_id;
  // Requests:
  Method method = Method::kNone;
  std::string_view method_name;  // "SEND", "REPORT", or the unknown method
  // Responses:
  std::uint16_t status_code = 0;
  std::string_view comment;  // the reason phrase; "" when absent

  // Typed headers. Paths are validated (each URI parses) and kept as text;
  // use ForEachPathUri / FirstPathUri (uri.h) to read their URIs.
  std::string_view to_path;
  std::string_view from_path;
  std::string_view message_id;  // "" when absent
  bool has_byte_range = false;
  ByteRange byte_range;
  bool has_status = false;
  StatusHeader status;
  ReportMode success_report = ReportMode::kAbsent;
  ReportMode failure_report = ReportMode::kAbsent;
  std::string_view content_type;  // "" when absent (then there is no body)

  // Every header line in wire order, the typed ones included.
  std::vector<Header> headers;

  // The body (content-stuff "data"), without the CRLF before the end-line.
  bool has_body = false;
  std::string_view body;

  EndFlag flag = EndFlag::kComplete;
  std::size_t size = 0;  // bytes of the whole message, end-line included

  // The first header with this name (case-insensitive), or nullptr.
  const Header* Find(std::string_view name) const;
  // Clears every field but keeps `headers`' capacity.
  void Clear();
};

// Field-by-field equality (views compare by content): for round trips.
bool operator==(const Message& a, const Message& b);
inline bool operator!=(const Message& a, const Message& b) { return !(a == b); }

struct Limits {
  // The largest message (chunk) accepted, headers and end-line included.
  std::size_t max_message_size = 64 * 1024 + 4096;
  // The most header lines in one message.
  std::size_t max_headers = 64;
};

enum class ParseResult : std::uint8_t { kMessage, kNeedMore, kError };

// Parses the message at the start of `data`.
//  kMessage:  *out is filled; out->size bytes were consumed (more may follow).
//  kNeedMore: `data` is a valid but incomplete prefix of a message.
//  kError:    *err says what and where (offset/line/column within `data`).
// A prefix longer than limits.max_message_size without a complete message is
// an error, so the caller never needs unbounded memory.
ParseResult ParsePrefix(std::string_view data, Message* out, ParseError* err,
                        const Limits& limits = Limits{});

// Parses exactly one complete message filling all of `data`. An incomplete
// message is the error "truncated ..."; bytes after the end-line are the error
// "data after the end-line".
ParseError Parse(std::string_view data, Message* out, const Limits& limits = Limits{});

// RFC 4975 ident (transaction id, Message-ID): ALPHANUM 3*31ident-char,
// ident-char = ALPHANUM / "." / "-" / "+" / "%" / "=".
bool IsValidIdent(std::string_view s);

}  // namespace sipim::msrp
