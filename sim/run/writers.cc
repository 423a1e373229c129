#include "writers.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace sipim::run {

namespace {
constexpr std::size_t kFlushAt = 1 << 16;  // bytes buffered before a write

// 10^-14 .. 10^9 as doubles; those below 1 are not exact, which the checks
// in AppendQuick9 allow for.
constexpr int kMinExp = -14;
constexpr double kPow10[] = {1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3,
                             1e-2,  1e-1,  1e0,   1e1,   1e2,   1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9};
// 10^0 .. 10^22, all exact.
constexpr double kScale[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// %.9g for 1e-14 <= |v| < 1e9 (the times, rates and CPU seconds in the
// CSVs), about a tenth of the cost of to_chars with a precision. Returns
// false, writing nothing, wherever its rounding could differ from the exact
// one; the caller then uses to_chars.
bool AppendQuick9(std::string* out, double v) {
  const double a = std::fabs(v);
  if (!(a >= kPow10[0] && a < kPow10[9 - kMinExp])) return false;
  // e with kPow10[e - kMinExp] <= a < kPow10[e - kMinExp + 1]: first
  // estimated from the binary exponent (1233 / 4096 is just above log10 2),
  // which is at most one too large, then corrected.
  std::uint64_t bits;
  std::memcpy(&bits, &a, sizeof bits);
  const int binary = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  int e = std::max(kMinExp, std::min(8, (binary * 1233) >> 12));
  while (e > kMinExp && a < kPow10[e - kMinExp]) --e;
  while (a >= kPow10[e - kMinExp + 1]) ++e;
  // The 9 significant digits: a * 10^(8-e) rounded to an integer. The
  // product is off by at most half an ulp (below 6e-8 here), so the
  // rounding is certain unless the fraction lies within 1e-6 of a half.
  const double x = a * kScale[8 - e];
  const double whole = std::floor(x);
  const double fraction = x - whole;
  if (std::fabs(fraction - 0.5) < 1e-6) return false;
  const double m = fraction > 0.5 ? whole + 1 : whole;
  // Outside 9 digits: the exponent is off by one (the inexact powers of
  // ten) or the rounding carried; to_chars handles both.
  if (m < 1e8 || m >= 1e9) return false;
  char digits[9];
  auto n = static_cast<std::uint32_t>(m);
  for (int i = 8; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  const bool scientific = e < -4;  // %g's rule, with precision 9 and e < 9
  const int point = scientific ? 0 : e;  // the last digit before the point, if e >= 0
  int last = 8;  // %g drops trailing zeros of the fraction
  while (last > point && last > 0 && digits[last] == '0') --last;
  char buf[32];
  char* p = buf;
  if (v < 0) *p++ = '-';
  if (scientific || e >= 0) {
    for (int i = 0; i <= point; ++i) *p++ = digits[i];
    if (last > point) *p++ = '.';
    for (int i = point + 1; i <= last; ++i) *p++ = digits[i];
  } else {
    *p++ = '0';
    *p++ = '.';
    for (int i = e + 1; i < 0; ++i) *p++ = '0';
    for (int i = 0; i <= last; ++i) *p++ = digits[i];
  }
  if (scientific) {  // e-05 .. e-14: at least two exponent digits
    *p++ = 'e';
    *p++ = '-';
    *p++ = static_cast<char>('0' + (-e) / 10);
    *p++ = static_cast<char>('0' + (-e) % 10);
  }
  out->append(buf, static_cast<std::size_t>(p - buf));
  return true;
}
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
  // One pass over the field (find_first_of searches its set once per byte).
  bool plain = true;
  for (char c : field) plain &= !(c == ',' || c == '"' || c == '\n' || c == '\r');
  if (plain) {
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
  if (AppendQuick9(out, v)) return;
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
