// `sipim parse [--stream] FILE...`: reads SIP or MSRP messages and prints the
// structure of each as one JSON object per line (JSON Lines).
//
// Without --stream each file is one datagram: one message, and any octets
// after its Content-Length are ignored (RFC 4475 dblreq) and reported. With
// --stream each file is a byte stream (TCP, SCTP) holding any number of
// messages back to back. A message is malformed when its framing, start line
// or any field the stack knows fails to parse, or when it breaks the rules a
// UA applies before acting on it (sip::Validate); the first error of each
// file is reported as FILE:LINE:COLUMN: reason on stderr.
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "common/read_file.h"
#include "json_writer.h"
#include "msrp_json.h"
#include "sip_json.h"

namespace sipim::cli {
namespace {

constexpr const char* kUsage =
    "usage: sipim parse [--stream] FILE...\n"
    "\n"
    "Parses SIP (RFC 3261) or MSRP (RFC 4975) messages and prints each one's\n"
    "structure as a JSON object on its own line. FILE '-' reads stdin.\n"
    "\n"
    "  --stream   treat each input as a byte stream holding several messages\n"
    "             (TCP/SCTP framing); without it, each input is one datagram\n"
    "  --help     this text\n"
    "\n"
    "exit status: 0 every message parsed; 1 a message is malformed (file,\n"
    "line, column and reason on stderr); 2 usage error or unreadable input\n";

// A datagram is at most 64 KiB; a captured stream may hold many messages,
// but one input larger than this is not a capture anyone parses whole.
constexpr std::size_t kMaxInputBytes = std::size_t{256} << 20;

// Empty on success, else why the input could not be read.
std::string ReadInput(const std::string& path, std::string* out) {
  if (path == "-") return ReadWholeFd(STDIN_FILENO, kMaxInputBytes, out);
  return ReadWholeFile(path, kMaxInputBytes, out);
}

// MSRP starts with "MSRP " (RFC 4975 section 7.1); anything else is read as SIP.
bool LooksLikeMsrp(std::string_view data) {
  std::size_t i = 0;
  while (i < data.size() && (data[i] == '\r' || data[i] == '\n')) ++i;
  return data.substr(i, 5) == "MSRP ";
}

void ReportError(const std::string& file, const ParseError& e) {
  std::fprintf(stderr, "%s:%u:%u: %s\n", file.c_str(), e.line, e.column, e.reason);
}

// Parses one input; prints a JSON line per message. Returns false if any
// message is malformed.
bool ParseInput(const std::string& file, std::string_view data, bool stream) {
  std::vector<std::string> lines;
  ParseError error;
  const bool msrp = LooksLikeMsrp(data);
  if (msrp) {
    error = MsrpToJson(file, data, stream, &lines);
  } else {
    error = SipToJson(file, data, stream, &lines);
  }
  for (const auto& line : lines) std::fwrite(line.data(), 1, line.size(), stdout);
  if (error) {
    ReportError(file, error);
    return false;
  }
  return true;
}

}  // namespace

int RunParse(int argc, char** argv) {
  bool stream = false;
  std::vector<std::string> files;
  bool options_done = false;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!options_done && arg == "--") {
      options_done = true;
    } else if (!options_done && arg == "--stream") {
      stream = true;
    } else if (!options_done && (arg == "--help" || arg == "-h")) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (!options_done && arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "sipim parse: unknown option '%s'\n%s", argv[i], kUsage);
      return 2;
    } else {
      files.emplace_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "sipim parse: no FILE given\n%s", kUsage);
    return 2;
  }

  bool all_parsed = true;
  std::string data;
  for (const auto& file : files) {
    if (const std::string why = ReadInput(file, &data); !why.empty()) {
      std::fprintf(stderr, "sipim parse: cannot read '%s': %s\n", file.c_str(), why.c_str());
      return 2;
    }
    all_parsed &= ParseInput(file == "-" ? "<stdin>" : file, data, stream);
  }
  std::fflush(stdout);
  return all_parsed ? 0 : 1;
}

}  // namespace sipim::cli
