#pragma once
// Shared by the SIP fuzz targets: invariant checks that abort (a crash is
// what libFuzzer reports).
#include <cstdlib>
#include <string_view>

namespace sipim::sip::fuzz {

inline void Check(bool cond) {
  if (!cond) std::abort();
}

// True if v is empty or lies entirely inside buf.
inline bool Inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

}  // namespace sipim::sip::fuzz
