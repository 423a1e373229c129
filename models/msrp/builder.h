#pragma once
// Building MSRP messages (RFC 4975 section 7). Every builder appends to one
// std::string and allocates nothing beyond that string's growth. Inputs are
// trusted (the caller's own values): they are written as given, so a caller
// that passes an invalid transaction id gets bytes the parser rejects.
#include <cstdint>
#include <string>
#include <string_view>

#include "msrp/message.h"

namespace sipim::msrp {

// Deterministic identifiers: transaction ids and Message-IDs drawn from a
// seeded counter (splitmix64), written as 12 lower-case base-32 characters,
// always a valid RFC 4975 ident. Equal seeds give equal sequences.
class IdGenerator {
 public:
  struct Id {
    char data[16];
    std::uint8_t size;
    std::string_view view() const { return std::string_view(data, size); }
  };
  explicit IdGenerator(std::uint64_t seed = 0) : state_(seed) {}
  Id Next();

 private:
  std::uint64_t state_;
};

struct SendParams {
  std::string_view transaction_id;
  std::string_view to_path;    // one or more URIs separated by single spaces
  std::string_view from_path;
  std::string_view message_id;  // "" omits Message-ID
  bool has_byte_range = true;
  ByteRange byte_range;  // default: derived from the body, see below
  bool derive_byte_range = true;  // true: 1-<len>/<len> from `body`
  ReportMode success_report = ReportMode::kAbsent;  // kAbsent omits the header
  ReportMode failure_report = ReportMode::kAbsent;
  std::string_view content_type = "text/plain";  // used only with a body
  bool has_body = true;  // false: a SEND without content-stuff
  std::string_view body;
  EndFlag flag = EndFlag::kComplete;
};

// MSRP <tid> SEND, To-Path, From-Path, Message-ID, Byte-Range,
// Success-Report, Failure-Report, Content-Type, body, end-line.
void AppendSend(const SendParams& p, std::string* out);

// A response to `request` (section 7.2): To-Path is the first URI of the
// request's From-Path, From-Path the first URI of its To-Path (responses are
// hop by hop). `comment` "" omits the reason phrase.
void AppendResponse(const Message& request, std::uint16_t code, std::string_view comment,
                    std::string* out);
inline void AppendOk(const Message& request, std::string* out) {
  AppendResponse(request, 200, "OK", out);
}

struct ReportParams {
  std::string_view transaction_id;
  std::string_view to_path;
  std::string_view from_path;
  std::string_view message_id;
  ByteRange byte_range;  // the bytes being reported on
  std::uint16_t status_code = 200;
  std::string_view reason = "OK";  // "" omits it
};

// MSRP <tid> REPORT with Message-ID, Byte-Range and Status: 000 <code> <reason>.
void AppendReport(const ReportParams& p, std::string* out);

// A Byte-Range value: "1-25/25", "1-*/*".
void AppendByteRange(const ByteRange& r, std::string* out);

// Writes any Message back: start line, its `headers` in order, the body and
// the end-line. Parse(AppendMessage(m)) == m for every parsed m.
void AppendMessage(const Message& m, std::string* out);

}  // namespace sipim::msrp
