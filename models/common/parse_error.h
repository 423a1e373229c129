#pragma once
// The error value every sipim parser returns: what is wrong and where.
// Parsers never throw; a rejection is one of these.
#include <cstddef>
#include <cstdint>
#include <string>

namespace sipim {

struct ParseError {
  // A static string (a literal): naming the problem costs no allocation.
  const char* reason = nullptr;
  std::size_t offset = 0;  // byte offset into the input
  std::uint32_t line = 0;  // 1-based
  std::uint32_t column = 0;  // 1-based, in bytes

  explicit operator bool() const { return reason != nullptr; }
  std::string ToString() const {
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
           (reason ? reason : "no error");
  }
};

// Line and column (1-based, bytes) of `offset` within [data, data + size).
// Lines end at LF; a CR before it belongs to the line it ends.
inline ParseError MakeParseError(const char* reason, const char* data, std::size_t size,
                                 std::size_t offset) {
  ParseError e;
  e.reason = reason;
  e.offset = offset > size ? size : offset;
  std::uint32_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < e.offset; ++i) {
    if (data[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  e.line = line;
  e.column = static_cast<std::uint32_t>(e.offset - line_start + 1);
  return e;
}

}  // namespace sipim
