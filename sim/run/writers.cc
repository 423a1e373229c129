#include "writers.h"

#include <cmath>
#include <cstdio>

namespace sipim::run {

CsvWriter::CsvWriter(const std::string& path, std::vector<std::string> columns)
    : path_(path), out_(path, std::ios::binary | std::ios::trunc), columns_(columns.size()) {
  for (const auto& c : columns) Add(c);
  EndRow();
  rows_ = 0;
}

CsvWriter& CsvWriter::Add(const std::string& field) {
  if (fields_in_row_++ > 0) out_ << ',';
  if (field.find_first_of(",\"\n\r") == std::string::npos) {
    out_ << field;
    return *this;
  }
  out_ << '"';
  for (char c : field) {
    if (c == '"') out_ << '"';
    out_ << c;
  }
  out_ << '"';
  return *this;
}

CsvWriter& CsvWriter::Add(std::uint64_t v) { return Add(std::to_string(v)); }
CsvWriter& CsvWriter::Add(std::int64_t v) { return Add(std::to_string(v)); }
CsvWriter& CsvWriter::Add(double v) { return Add(FormatNumber(v)); }

bool CsvWriter::EndRow() {
  const bool right_width = fields_in_row_ == columns_;
  out_ << '\n';
  fields_in_row_ = 0;
  ++rows_;
  return right_width;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "";
  if (v == 0.0) return "0";  // no "-0"
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

JsonObject& JsonObject::Set(const std::string& key, const std::string& value) {
  return SetRaw(key, JsonString(value));
}
JsonObject& JsonObject::SetRaw(const std::string& key, const std::string& json) {
  fields_.emplace_back(key, json);
  return *this;
}
JsonObject& JsonObject::SetNumber(const std::string& key, double v) {
  return SetRaw(key, std::isfinite(v) ? FormatNumber(v) : "null");
}

std::string JsonObject::ToString(int indent) const {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  const std::string close_pad(static_cast<std::size_t>(indent > 2 ? indent - 2 : 0), ' ');
  std::string out = "{\n";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    out += pad + JsonString(fields_[i].first) + ": " + fields_[i].second;
    out += i + 1 < fields_.size() ? ",\n" : "\n";
  }
  return out + close_pad + "}";
}

bool WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace sipim::run
