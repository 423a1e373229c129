#pragma once
// A strict JSON syntax check (RFC 8259), so that tests can prove that what
// `sipim parse` prints is valid JSON without pulling in a JSON library.
#include <string>
#include <cctype>
#include <string_view>

namespace sipim::testing {

// True when `text` is exactly one JSON value (surrounding whitespace
// allowed); otherwise false, with the offset of the problem in *where.
bool IsValidJson(std::string_view text, std::size_t* where = nullptr);

}  // namespace sipim::testing
