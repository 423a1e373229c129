#pragma once
// A minimal streaming JSON writer: commas and escaping are its business, the
// caller's is the structure. Bytes outside printable ASCII are written as
// \u00XX (each byte as one Latin-1 code point), so the output is always valid
// JSON even for binary message bodies.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace sipim::cli {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }

  JsonWriter& Key(std::string_view key) {
    Separate();
    Quote(key);
    out_->push_back(':');
    after_key_ = true;
    return *this;
  }
  JsonWriter& String(std::string_view s) {
    Separate();
    Quote(s);
    return *this;
  }
  JsonWriter& Int(std::int64_t v) {
    Separate();
    out_->append(std::to_string(v));
    return *this;
  }
  JsonWriter& Double(double v) {
    Separate();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    out_->append(buf);
    return *this;
  }
  JsonWriter& Bool(bool v) {
    Separate();
    out_->append(v ? "true" : "false");
    return *this;
  }
  JsonWriter& Null() {
    Separate();
    out_->append("null");
    return *this;
  }
  // Key and value in one call, for the common case.
  template <class T>
  JsonWriter& Field(std::string_view key, const T& value) {
    Key(key);
    return Value(value);
  }

 private:
  JsonWriter& Value(std::string_view v) { return String(v); }
  JsonWriter& Value(const char* v) { return String(v); }
  JsonWriter& Value(bool v) { return Bool(v); }
  JsonWriter& Value(int v) { return Int(v); }
  JsonWriter& Value(long v) { return Int(v); }
  JsonWriter& Value(long long v) { return Int(v); }
  JsonWriter& Value(unsigned v) { return Int(v); }
  JsonWriter& Value(unsigned long v) { return Int(static_cast<std::int64_t>(v)); }
  JsonWriter& Value(unsigned long long v) { return Int(static_cast<std::int64_t>(v)); }
  JsonWriter& Value(double v) { return Double(v); }

  JsonWriter& Open(char c) {
    Separate();
    out_->push_back(c);
    first_.push_back(true);
    return *this;
  }
  JsonWriter& Close(char c) {
    out_->push_back(c);
    first_.pop_back();
    return *this;
  }
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_->push_back(',');
      first_.back() = false;
    }
  }
  void Quote(std::string_view s) {
    static const char kHex[] = "0123456789abcdef";
    out_->push_back('"');
    for (unsigned char c : s) {
      switch (c) {
        case '"': out_->append("\\\""); break;
        case '\\': out_->append("\\\\"); break;
        case '\n': out_->append("\\n"); break;
        case '\r': out_->append("\\r"); break;
        case '\t': out_->append("\\t"); break;
        default:
          if (c < 0x20 || c >= 0x7f) {
            out_->append("\\u00");
            out_->push_back(kHex[c >> 4]);
            out_->push_back(kHex[c & 15]);
          } else {
            out_->push_back(static_cast<char>(c));
          }
      }
    }
    out_->push_back('"');
  }

  std::string* out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace sipim::cli
