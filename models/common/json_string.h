#pragma once
// A string as a JSON string literal, for the hand-written JSON of the result
// files: quotes and backslashes escaped, control characters as \u00XX, other
// bytes (UTF-8 included) as they are.
#include <cstdio>
#include <string>
#include <string_view>

namespace sipim {

inline std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace sipim
