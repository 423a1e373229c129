#pragma once
// Internal: the pieces of MSRP framing shared by the one-shot parser
// (message.cc) and the stream parser (stream.cc). Not part of the public API.
#include <cstddef>
#include <string_view>

#include "common/parse_error.h"
#include "msrp/message.h"

namespace sipim::msrp::framing {

constexpr std::string_view kDashes = "-------";

struct StartLine {
  bool is_request = false;
  std::size_t tid_begin = 0;
  std::size_t tid_len = 0;
  std::string_view tid;
  std::string_view method;   // requests
  unsigned status_code = 0;  // responses
  std::string_view comment;  // responses
};

// Parses the start line msg[0, line_len) (without its CRLF), after the caller
// ran CheckStartLinePrefix on it. Errors carry offsets within `msg`.
ParseError ParseStartLine(std::string_view msg, std::size_t line_len, StartLine* out);

// Checks an incomplete start line (no LF yet) so that garbage fails at once:
// the "MSRP " prefix and the characters of the transaction id seen so far.
ParseError CheckPartialStartLine(std::string_view msg);

// The same check over the first bytes of the start line, msg[0, line_end)
// (line_end: the LF, or the end of the data when no LF arrived yet). Run
// before any other start-line check so that the error does not depend on how
// much of the line has arrived (a stream split anywhere fails the same way).
constexpr std::size_t kStartLineCheck = 5 + 32 + 1;  // "MSRP ", longest tid, SP
inline ParseError CheckStartLinePrefix(std::string_view msg, std::size_t line_end) {
  return CheckPartialStartLine(msg.substr(0, line_end < kStartLineCheck ? line_end : kStartLineCheck));
}

// The end-line candidate beginning with the CR at data[cr]:
// CRLF "-------" tid flag CRLF.
enum class Match { kNo, kPartial, kYes };
Match MatchEndLine(std::string_view data, std::size_t cr, std::string_view tid);

// Searches data[from, ...) for the CRLF that starts this transaction's
// end-line. kYes: *at is its CR. kPartial: *at is the CR of a candidate cut
// off by the end of `data` (resume there). kNo: nothing; resume at data.size().
Match FindEndLine(std::string_view data, std::size_t from, std::string_view tid, std::size_t* at);

// Bytes of CRLF + end-line for a transaction id of `tid_len` characters.
inline std::size_t EndLineSize(std::size_t tid_len) { return 2 + kDashes.size() + tid_len + 1 + 2; }

// True if line [b, e) (without CRLF) is exactly "-------" tid flag.
bool IsEndLine(std::string_view data, std::size_t b, std::size_t e, std::string_view tid,
               EndFlag* flag);

}  // namespace sipim::msrp::framing
