#include "writers.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace sipim::run {

namespace {
constexpr std::size_t kFlushAt = 1 << 16;  // bytes buffered before a write
}  // namespace

CsvWriter::CsvWriter(const std::string& path, std::vector<std::string> columns)
    : path_(path), file_(std::fopen(path.c_str(), "wb")), columns_(columns.size()) {
  failed_ = file_ == nullptr;
  buffer_.reserve(kFlushAt + 4096);
  for (const auto& c : columns) Add(c);
  EndRow();
  rows_ = 0;
}

CsvWriter::~CsvWriter() { Flush(); }

bool CsvWriter::ok() {
  Flush();
  if (file_ && std::fflush(file_.get()) != 0) failed_ = true;
  return !failed_;
}

void CsvWriter::Flush() {
  if (buffer_.empty()) return;
  if (file_ && !failed_ && std::fwrite(buffer_.data(), 1, buffer_.size(), file_.get()) != buffer_.size()) {
    failed_ = true;
  }
  buffer_.clear();
}

void CsvWriter::Separator() {
  if (fields_in_row_++ > 0) buffer_ += ',';
}

CsvWriter& CsvWriter::Add(std::string_view field) {
  Separator();
  if (field.find_first_of(",\"\n\r") == std::string_view::npos) {
    buffer_ += field;
    return *this;
  }
  buffer_ += '"';
  for (char c : field) {
    if (c == '"') buffer_ += '"';
    buffer_ += c;
  }
  buffer_ += '"';
  return *this;
}

CsvWriter& CsvWriter::Add(std::uint64_t v) {
  Separator();
  char buf[24];
  buffer_.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
  return *this;
}

CsvWriter& CsvWriter::Add(std::int64_t v) {
  Separator();
  char buf[24];
  buffer_.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
  return *this;
}

CsvWriter& CsvWriter::Add(double v) {
  Separator();
  AppendNumber(&buffer_, v);
  return *this;
}

bool CsvWriter::EndRow() {
  const bool right_width = fields_in_row_ == columns_;
  buffer_ += '\n';
  fields_in_row_ = 0;
  ++rows_;
  if (buffer_.size() >= kFlushAt) Flush();
  return right_width;
}

void AppendNumber(std::string* out, double v) {
  if (std::isnan(v)) return;
  if (v == 0.0) {  // no "-0"
    *out += '0';
    return;
  }
  char buf[64];
  // Whole numbers below 1e9 (byte and packet counts) print as integers
  // under %.9g (fixed notation, trailing zeros and point dropped): the
  // integer conversion is an order of magnitude cheaper.
  if (std::fabs(v) < 1e9 && v == static_cast<double>(static_cast<std::int64_t>(v))) {
    const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v));
    out->append(buf, static_cast<std::size_t>(r.ptr - buf));
    return;
  }
  // to_chars with a precision formats exactly as printf("%.9g") in the C
  // locale (C++17 [charconv.to.chars]), so the bytes match the old writer.
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 9);
  out->append(buf, static_cast<std::size_t>(r.ptr - buf));
}

std::string FormatNumber(double v) {
  std::string s;
  AppendNumber(&s, v);
  return s;
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
