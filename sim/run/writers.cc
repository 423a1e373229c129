#include "writers.h"

#include <algorithm>
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

namespace {

// printf("%.9g") from a shortest representation of at most 9 significant
// digits: `digits` (no trailing zeros) times 10^(exp - (n - 1)). %g picks
// fixed notation when -4 <= exp < 9, else d.ddde+XX, and drops trailing
// zeros; the digits are already the ones %.9g rounds to (see AppendNumber).
void AppendG9(std::string* out, bool negative, const char* digits, int n, int exp) {
  if (negative) *out += '-';
  if (exp >= 9 || exp < -4) {
    *out += digits[0];
    if (n > 1) {
      *out += '.';
      out->append(digits + 1, static_cast<std::size_t>(n - 1));
    }
    *out += exp < 0 ? "e-" : "e+";
    const int e = exp < 0 ? -exp : exp;
    if (e < 10) *out += '0';
    char buf[8];
    out->append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, e).ptr - buf));
  } else if (exp >= 0) {
    const int whole = exp + 1;  // digits before the point
    out->append(digits, static_cast<std::size_t>(std::min(n, whole)));
    if (n < whole) out->append(static_cast<std::size_t>(whole - n), '0');
    if (n > whole) {
      *out += '.';
      out->append(digits + whole, static_cast<std::size_t>(n - whole));
    }
  } else {
    *out += "0.";
    out->append(static_cast<std::size_t>(-exp - 1), '0');
    out->append(digits, static_cast<std::size_t>(n));
  }
}

// to_chars with a precision formats exactly as printf("%.9g") in the C
// locale (C++17 [charconv.to.chars]), at the price of exact arithmetic.
void AppendPrecise(std::string* out, double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 9);
  out->append(buf, static_cast<std::size_t>(r.ptr - buf));
}

}  // namespace

void AppendNumber(std::string* out, double v) {
  if (std::isnan(v)) return;
  if (v == 0.0) {  // no "-0"
    *out += '0';
    return;
  }
  // Fast path: the shortest round-trip form (cheap). When it has at most 9
  // significant digits it is also what %.9g rounds the value to: a normal
  // double is within half an ulp (relative 1.1e-16) of it, far inside half
  // a unit of the 9th digit, so only the layout remains to do. (Subnormals
  // have fewer bits: 5e-324 prints as 4.94065646e-324; they take the
  // general path.)
  if (!std::isnormal(v)) {
    AppendPrecise(out, v);
    return;
  }
  char sci[40];
  const char* end = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific).ptr;
  const char* p = sci;
  const bool negative = *p == '-';
  if (negative) ++p;
  char digits[20];
  int n = 0;
  digits[n++] = *p++;
  if (*p == '.') {
    for (++p; p < end && *p != 'e' && n < 20; ++p) digits[n++] = *p;
  }
  if (n <= 9 && p < end && *p == 'e') {
    int exp = 0;
    const char* e = p + 1;
    if (*e == '+') ++e;
    if (std::from_chars(e, end, exp).ec == std::errc()) {
      AppendG9(out, negative, digits, n, exp);
      return;
    }
  }
  AppendPrecise(out, v);  // more than 9 digits
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
