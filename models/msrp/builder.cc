// MSRP builders: straight appends into one string.
#include "msrp/builder.h"

#include "msrp/chars.h"
#include "msrp/uri.h"

namespace sipim::msrp {
namespace {

void AppendHeader(std::string_view name, std::string_view value, std::string* out) {
  out->append(name);
  out->append(": ", 2);
  out->append(value);
  out->append("\r\n", 2);
}

void AppendStartLine(std::string_view tid, std::string_view rest, std::string* out) {
  out->append("MSRP ", 5);
  out->append(tid);
  out->push_back(' ');
  out->append(rest);
  out->append("\r\n", 2);
}

void AppendEndLine(std::string_view tid, EndFlag flag, std::string* out) {
  out->append("-------", 7);
  out->append(tid);
  out->push_back(static_cast<char>(flag));
  out->append("\r\n", 2);
}

std::string_view ReportName(ReportMode m) {
  switch (m) {
    case ReportMode::kYes: return "yes";
    case ReportMode::kNo: return "no";
    case ReportMode::kPartial: return "partial";
    case ReportMode::kAbsent: break;
  }
  return {};
}

void AppendPathHeaders(std::string_view to, std::string_view from, std::string* out) {
  AppendHeader("To-Path", to, out);
  AppendHeader("From-Path", from, out);
}

}  // namespace

IdGenerator::Id IdGenerator::Next() {
  // splitmix64: a fixed bijection of a counter, so equal seeds repeat.
  state_ += 0x9E3779B97F4A7C15ull;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuv";
  Id id{};
  id.size = 12;
  for (int i = 0; i < 12; ++i) {
    id.data[i] = kAlphabet[z & 31];
    z >>= 5;
  }
  return id;
}

void AppendByteRange(const ByteRange& r, std::string* out) {
  wire::AppendDecimal(r.start, out);
  out->push_back('-');
  if (r.end_unknown) out->push_back('*'); else wire::AppendDecimal(r.end, out);
  out->push_back('/');
  if (r.total_unknown) out->push_back('*'); else wire::AppendDecimal(r.total, out);
}

void AppendSend(const SendParams& p, std::string* out) {
  out->reserve(out->size() + 160 + p.to_path.size() + p.from_path.size() + p.body.size());
  AppendStartLine(p.transaction_id, "SEND", out);
  AppendPathHeaders(p.to_path, p.from_path, out);
  if (!p.message_id.empty()) AppendHeader("Message-ID", p.message_id, out);
  if (p.has_byte_range) {
    ByteRange r = p.byte_range;
    if (p.derive_byte_range) {
      const std::uint64_t n = p.has_body ? p.body.size() : 0;
      r = ByteRange{1, n, n, false, false};
    }
    out->append("Byte-Range: ", 12);
    AppendByteRange(r, out);
    out->append("\r\n", 2);
  }
  if (p.success_report != ReportMode::kAbsent)
    AppendHeader("Success-Report", ReportName(p.success_report), out);
  if (p.failure_report != ReportMode::kAbsent)
    AppendHeader("Failure-Report", ReportName(p.failure_report), out);
  if (p.has_body) {
    AppendHeader("Content-Type", p.content_type, out);
    out->append("\r\n", 2);
    out->append(p.body);
    out->append("\r\n", 2);
  }
  AppendEndLine(p.transaction_id, p.flag, out);
}

void AppendResponse(const Message& request, std::uint16_t code, std::string_view comment,
                    std::string* out) {
  // Responses go back one hop: To-Path is the previous hop (first From-Path
  // URI), From-Path is this hop (first To-Path URI).
  std::string_view to = request.from_path.substr(0, request.from_path.find(' '));
  std::string_view from = request.to_path.substr(0, request.to_path.find(' '));
  out->append("MSRP ", 5);
  out->append(request.transaction_id);
  out->push_back(' ');
  wire::AppendCode3(code, out);
  if (!comment.empty()) {
    out->push_back(' ');
    out->append(comment);
  }
  out->append("\r\n", 2);
  AppendPathHeaders(to, from, out);
  AppendEndLine(request.transaction_id, EndFlag::kComplete, out);
}

void AppendReport(const ReportParams& p, std::string* out) {
  AppendStartLine(p.transaction_id, "REPORT", out);
  AppendPathHeaders(p.to_path, p.from_path, out);
  AppendHeader("Message-ID", p.message_id, out);
  out->append("Byte-Range: ", 12);
  AppendByteRange(p.byte_range, out);
  out->append("\r\nStatus: 000 ", 14);
  wire::AppendCode3(p.status_code, out);
  if (!p.reason.empty()) {
    out->push_back(' ');
    out->append(p.reason);
  }
  out->append("\r\n", 2);
  AppendEndLine(p.transaction_id, EndFlag::kComplete, out);
}

void AppendMessage(const Message& m, std::string* out) {
  out->append("MSRP ", 5);
  out->append(m.transaction_id);
  out->push_back(' ');
  if (m.is_request) {
    out->append(m.method_name);
  } else {
    wire::AppendCode3(m.status_code, out);
    if (!m.comment.empty()) {
      out->push_back(' ');
      out->append(m.comment);
    }
  }
  out->append("\r\n", 2);
  for (const Header& h : m.headers) AppendHeader(h.name, h.value, out);
  if (m.has_body) {
    out->append("\r\n", 2);
    out->append(m.body);
    out->append("\r\n", 2);
  }
  AppendEndLine(m.transaction_id, m.flag, out);
}

}  // namespace sipim::msrp
