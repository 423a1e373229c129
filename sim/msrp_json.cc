#include "msrp_json.h"

#include "json_writer.h"
#include "msrp/message.h"

namespace sipim::cli {
namespace {

const char* ReportModeName(msrp::ReportMode m) {
  switch (m) {
    case msrp::ReportMode::kYes: return "yes";
    case msrp::ReportMode::kNo: return "no";
    case msrp::ReportMode::kPartial: return "partial";
    case msrp::ReportMode::kAbsent: break;
  }
  return "";
}

const char* EndFlagName(msrp::EndFlag f) {
  switch (f) {
    case msrp::EndFlag::kMore: return "more";
    case msrp::EndFlag::kAbort: return "abort";
    case msrp::EndFlag::kComplete: break;
  }
  return "complete";
}

void WriteByteRange(JsonWriter& j, const msrp::ByteRange& r) {
  j.Key("byte_range").BeginObject().Field("start", r.start);
  j.Key("end");
  if (r.end_unknown) {
    j.String("*");
  } else {
    j.Int(static_cast<std::int64_t>(r.end));
  }
  j.Key("total");
  if (r.total_unknown) {
    j.String("*");
  } else {
    j.Int(static_cast<std::int64_t>(r.total));
  }
  j.EndObject();
}

void MessageToJson(std::string_view file, std::size_t index, std::size_t offset,
                   const msrp::Message& m, std::string* line) {
  JsonWriter j(line);
  j.BeginObject()
      .Field("file", file)
      .Field("index", index)
      .Field("offset", offset)
      .Field("length", m.size)
      .Field("protocol", "MSRP")
      .Field("type", m.is_request ? "request" : "response")
      .Field("transaction_id", m.transaction_id);
  if (m.is_request) {
    j.Field("method", m.method_name);
  } else {
    j.Field("status_code", m.status_code);
    if (!m.comment.empty()) j.Field("comment", m.comment);
  }
  j.Key("headers").BeginArray();
  for (const auto& h : m.headers) j.BeginObject().Field("name", h.name).Field("value", h.value).EndObject();
  j.EndArray();
  j.Field("to_path", m.to_path).Field("from_path", m.from_path);
  if (!m.message_id.empty()) j.Field("message_id", m.message_id);
  if (m.has_byte_range) WriteByteRange(j, m.byte_range);
  if (m.has_status) {
    j.Key("status").BeginObject().Field("namespace", m.status.ns).Field("code", m.status.code);
    if (!m.status.reason.empty()) j.Field("reason", m.status.reason);
    j.EndObject();
  }
  if (m.success_report != msrp::ReportMode::kAbsent)
    j.Field("success_report", ReportModeName(m.success_report));
  if (m.failure_report != msrp::ReportMode::kAbsent)
    j.Field("failure_report", ReportModeName(m.failure_report));
  if (!m.content_type.empty()) j.Field("content_type", m.content_type);
  if (m.has_body) j.Field("body_length", m.body.size()).Field("body", m.body);
  j.Field("end_flag", EndFlagName(m.flag));
  j.EndObject();
  line->push_back('\n');
}

}  // namespace

ParseError MsrpToJson(std::string_view file, std::string_view data, bool stream,
                      std::vector<std::string>* lines) {
  msrp::Message m;
  std::size_t offset = 0;
  for (std::size_t index = 0; offset < data.size(); ++index) {
    std::string_view rest = data.substr(offset);
    ParseError e;
    switch (msrp::ParsePrefix(rest, &m, &e)) {
      case msrp::ParseResult::kError:
        return MakeParseError(e.reason, data.data(), data.size(), offset + e.offset);
      case msrp::ParseResult::kNeedMore:
        return MakeParseError("truncated MSRP message: no end-line for its transaction id",
                              data.data(), data.size(), data.size());
      case msrp::ParseResult::kMessage:
        break;
    }
    std::string line;
    MessageToJson(file, index, offset, m, &line);
    lines->push_back(std::move(line));
    offset += m.size;
    if (!stream && offset < data.size()) {
      return MakeParseError("bytes after the end of the MSRP message (use --stream for several)",
                            data.data(), data.size(), offset);
    }
  }
  return {};
}

}  // namespace sipim::cli
