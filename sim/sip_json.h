#pragma once
// SIP messages as JSON, for `sipim parse`.
#include <string>
#include <string_view>
#include <vector>

#include "common/parse_error.h"

namespace sipim::cli {

// Parses `data` as one SIP datagram, or (stream) as a byte stream of SIP
// messages, appending one JSON line per parsed message to *lines. Returns
// the first error, with line and column relative to `data`.
ParseError SipToJson(std::string_view file, std::string_view data, bool stream,
                     std::vector<std::string>* lines);

}  // namespace sipim::cli
