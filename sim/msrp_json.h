#pragma once
// MSRP messages as JSON, for `sipim parse`.
#include <string>
#include <string_view>
#include <vector>

#include "common/parse_error.h"

namespace sipim::cli {

// Parses `data` as one MSRP message, or (stream) as a byte stream of MSRP
// messages, appending one JSON line per message to *lines. Returns the first
// error, with line and column relative to `data`.
ParseError MsrpToJson(std::string_view file, std::string_view data, bool stream,
                      std::vector<std::string>* lines);

}  // namespace sipim::cli
