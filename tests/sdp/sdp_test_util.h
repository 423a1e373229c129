#pragma once
// Helpers shared by the SDP tests.
#include <string>
#include <vector>

#include "../msrp/wire_test_util.h"

namespace sipim::sdp::testing {

using wire_testing::ReadFile;

// The body of a SIP message: what follows the first empty line.
inline std::string SipBody(const std::string& message) {
  std::size_t p = message.find("\r\n\r\n");
  return p == std::string::npos ? std::string() : message.substr(p + 4);
}

// Joins lines with CRLF after each.
inline std::string Crlf(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\r\n";
  return s;
}

}  // namespace sipim::sdp::testing
