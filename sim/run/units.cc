#include "units.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

namespace sipim::run {
namespace {

// Splits "12.5ms" into the number 12.5 and the unit "ms". Rejects text with
// no leading number, and numbers that are not finite.
bool SplitNumber(const std::string& text, double* number, std::string* unit, std::string* error) {
  if (text.empty()) {
    *error = "empty value";
    return false;
  }
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (end == begin) {
    *error = "'" + text + "' does not start with a number";
    return false;
  }
  if (errno == ERANGE) {
    *error = "'" + text + "' is out of range";
    return false;
  }
  if (!std::isfinite(v)) {
    *error = "'" + text + "' is not a finite number";
    return false;
  }
  *number = v;
  *unit = std::string(end);
  return true;
}

// Scales `text` by the factor of its unit; `units` lists (unit, factor).
bool ParseWithUnits(const std::string& text, const std::vector<std::pair<const char*, double>>& units,
                    const char* what, double* out, std::string* error) {
  double number = 0;
  std::string unit;
  if (!SplitNumber(text, &number, &unit, error)) {
    return false;
  }
  if (number < 0) {
    *error = std::string(what) + " '" + text + "' is negative";
    return false;
  }
  for (const auto& [name, factor] : units) {
    if (unit == name) {
      *out = number * factor;
      return true;
    }
  }
  std::string known;
  for (const auto& u : units) {
    if (u.first[0] != '\0') {
      known += known.empty() ? "" : ", ";
      known += u.first;
    }
  }
  *error = std::string(what) + " '" + text + "' has unknown unit '" + unit + "' (use " + known + ")";
  return false;
}

}  // namespace

bool ParseUint(const std::string& text, std::uint64_t* out, std::string* error) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    *error = "'" + text + "' is not a non-negative integer";
    return false;
  }
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE) {
    *error = "'" + text + "' is too large";
    return false;
  }
  *out = v;
  return true;
}

bool ParseDouble(const std::string& text, double* out, std::string* error) {
  std::string unit;
  if (!SplitNumber(text, out, &unit, error)) {
    return false;
  }
  if (!unit.empty()) {
    *error = "'" + text + "' is not a number";
    return false;
  }
  return true;
}

bool ParseBool(const std::string& text, bool* out, std::string* error) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    *out = true;
    return true;
  }
  if (text == "false" || text == "0" || text == "no" || text == "off") {
    *out = false;
    return true;
  }
  *error = "'" + text + "' is not a boolean (true/false)";
  return false;
}

bool ParseDuration(const std::string& text, double* seconds, std::string* error) {
  if (!ParseWithUnits(text,
                      {{"", 1.0}, {"s", 1.0}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"min", 60.0}},
                      "duration", seconds, error)) {
    return false;
  }
  // ns-3 keeps time in 64-bit nanoseconds (up to about 292 years); the
  // scenario adds durations (64*T1 after stop_time), so each stays well below.
  if (*seconds > kMaxDurationSeconds) {
    *error = "duration '" + text + "' is too long (at most 1e8 s, about 3 years)";
    return false;
  }
  if (*seconds > 0 && *seconds < 0.999999e-9) {
    *error = "duration '" + text + "' is below 1 ns, ns-3's resolution, so it would be 0";
    return false;
  }
  return true;
}

bool ParseRate(const std::string& text, double* bps, std::string* error) {
  if (!ParseWithUnits(text, {{"bps", 1.0}, {"kbps", 1e3}, {"Kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}},
                      "rate", bps, error)) {
    return false;
  }
  if (*bps < 1.0) {
    *error = "rate '" + text + "' is below 1 bps";
    return false;
  }
  if (*bps > 1e15) {  // ns-3's DataRate is a 64-bit bps count
    *error = "rate '" + text + "' is too high (at most 1000000Gbps)";
    return false;
  }
  return true;
}

bool ParseBytes(const std::string& text, std::uint64_t* bytes, std::string* error) {
  double v = 0;
  if (!ParseWithUnits(text,
                      {{"", 1.0}, {"B", 1.0}, {"KB", 1e3}, {"KiB", 1024.0}, {"MB", 1e6}, {"MiB", 1048576.0},
                       {"GB", 1e9}, {"GiB", 1073741824.0}},
                      "size", &v, error)) {
    return false;
  }
  if (v > 9007199254740992.0) {  // 2^53: every whole number below is exact
    *error = "size '" + text + "' is too large";
    return false;
  }
  if (v != std::floor(v)) {
    *error = "size '" + text + "' is not a whole number of bytes";
    return false;
  }
  *bytes = static_cast<std::uint64_t>(v);
  return true;
}

bool ParseProbability(const std::string& text, double* p, std::string* error) {
  if (!ParseWithUnits(text, {{"", 1.0}, {"%", 0.01}}, "probability", p, error)) {
    return false;
  }
  if (*p > 1.0) {
    *error = "probability '" + text + "' is above 1";
    return false;
  }
  return true;
}

std::string SizeDistribution::ToString() const {
  switch (kind) {
    case Kind::kFixed:
      return "fixed:" + std::to_string(a);
    case Kind::kUniform:
      return "uniform:" + std::to_string(a) + ":" + std::to_string(b);
    case Kind::kExponential:
      return "exponential:" + std::to_string(a);
  }
  return "?";
}

bool ParseSizeDistribution(const std::string& text, SizeDistribution* out, std::string* error) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string::npos) {
      break;
    }
    start = colon + 1;
  }
  SizeDistribution d;
  auto bytes = [&](std::size_t i, std::uint64_t* v) { return ParseBytes(parts[i], v, error); };
  if (parts.size() == 1) {
    d.kind = SizeDistribution::Kind::kFixed;
    if (!bytes(0, &d.a)) return false;
  } else if (parts[0] == "fixed" && parts.size() == 2) {
    d.kind = SizeDistribution::Kind::kFixed;
    if (!bytes(1, &d.a)) return false;
  } else if (parts[0] == "uniform" && parts.size() == 3) {
    d.kind = SizeDistribution::Kind::kUniform;
    if (!bytes(1, &d.a) || !bytes(2, &d.b)) return false;
    if (d.b < d.a) {
      *error = "uniform size '" + text + "' has max below min";
      return false;
    }
  } else if (parts[0] == "exponential" && parts.size() == 2) {
    d.kind = SizeDistribution::Kind::kExponential;
    if (!bytes(1, &d.a)) return false;
  } else {
    *error = "'" + text + "' is not a size distribution (N, fixed:N, uniform:MIN:MAX, exponential:MEAN)";
    return false;
  }
  if (d.a == 0) {
    *error = d.kind == SizeDistribution::Kind::kUniform ? "uniform size '" + text + "' has min 0 (at least 1 byte)"
                                                         : "message size '" + text + "' is zero";
    return false;
  }
  if (std::max(d.a, d.b) > kMaxMessageSize) {
    *error = "message size '" + text + "' is above 16MiB";
    return false;
  }
  *out = d;
  return true;
}

std::string FormatSeconds(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", seconds);
  return buf;
}

double NearestRankQuantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::nan("");
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace sipim::run
