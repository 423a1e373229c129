#pragma once
// Values with units, as a scenario file writes them: "5ms", "100Mbps",
// "64KiB", "2%", "uniform:100:2000". Each parser returns false and says why
// in `error` when the text is not one.
#include <cstdint>
#include <string>
#include <vector>

namespace sipim::run {

bool ParseUint(const std::string& text, std::uint64_t* out, std::string* error);
bool ParseDouble(const std::string& text, double* out, std::string* error);
bool ParseBool(const std::string& text, bool* out, std::string* error);
// The longest duration a scenario may give, in seconds (about 3 years).
constexpr double kMaxDurationSeconds = 1e8;
// Seconds; units s, ms, us, ns, min. A bare number is seconds. Refuses more
// than kMaxDurationSeconds and non-zero values below 1 ns.
bool ParseDuration(const std::string& text, double* seconds, std::string* error);
// Bits per second; units bps, kbps, Mbps, Gbps (decimal, as ns-3 DataRate);
// 1 bps to 1e15 bps.
bool ParseRate(const std::string& text, double* bps, std::string* error);
// Bytes; units B, KB, KiB, MB, MiB, GB, GiB. A bare number is bytes; at most 2^53.
bool ParseBytes(const std::string& text, std::uint64_t* bytes, std::string* error);
// A probability in [0, 1]; "2%" is 0.02.
bool ParseProbability(const std::string& text, double* p, std::string* error);

// Message sizes: "N" (fixed), "fixed:N", "uniform:MIN:MAX",
// "exponential:MEAN", each in bytes (units allowed), 1 byte to
// kMaxMessageSize (an exponential draw is cut to that range).
constexpr std::uint64_t kMaxMessageSize = 16 * 1024 * 1024;
struct SizeDistribution {
  enum class Kind { kFixed, kUniform, kExponential } kind = Kind::kFixed;
  std::uint64_t a = 0;  // fixed size, uniform min, exponential mean
  std::uint64_t b = 0;  // uniform max
  std::string ToString() const;
};
bool ParseSizeDistribution(const std::string& text, SizeDistribution* out, std::string* error);

// Canonical spelling of a duration in seconds ("0.005"), for keys and CSVs.
std::string FormatSeconds(double seconds);

// The q-quantile (0 < q <= 1) of `sorted` values by nearest rank: the
// value at rank ceil(q*n), as analysis/simlib.py computes it; NaN when empty.
double NearestRankQuantile(const std::vector<double>& sorted, double q);

}  // namespace sipim::run
