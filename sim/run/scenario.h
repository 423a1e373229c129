#pragma once
// One simulation point: build the network and the models, drive the
// workload, measure, and write the point's tables into a directory.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "ns3/ptr.h"

namespace ns3 {
class SipImSecurity;
}

namespace sipim::run {

struct PointLabel {
  std::uint64_t point = 0;  // index in the sweep (0-based)
  std::uint64_t points = 1;
  std::vector<std::pair<std::string, std::string>> swept;  // key, value of this point
};

// What the accounting check found.
struct Accounting {
  std::uint64_t requested = 0;  // SendIm calls by the workload
  std::uint64_t sent = 0;       // ImSent reports
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;     // with a reason
  std::uint64_t unfinished = 0; // no outcome when the run hit stop_time
  std::uint64_t link_packets = 0;  // IP packets transmitted on all links (for benchmarks)
  double link_bytes = 0;           // their IP bytes
  std::vector<std::string> mismatches;
  bool ok() const { return mismatches.empty(); }
  std::string ToString() const;
};

// Runs the point and writes ims.csv, sessions.csv, nodes.csv, summary.csv,
// drops.csv (and wire.csv, pcap/) into `dir`. Returns the accounting; *wall_s and
// *peak_rss_kb report the cost of the run (not written into any CSV: they
// differ from run to run).
Accounting RunPoint(const RunConfig& config, const PointLabel& label, const std::string& dir, double* wall_s,
                    long* peak_rss_kb);

// The SipImSecurity a configuration asks for (its keys security, smime.*,
// mikey.*, seal.*), without users yet; null for security = none.
ns3::Ptr<ns3::SipImSecurity> MakeSecurity(const RunConfig& config);

// The column names of each table (for the merge and the tests).
const std::vector<std::string>& ImColumns();
const std::vector<std::string>& SessionColumns();
const std::vector<std::string>& NodeColumns();
const std::vector<std::string>& DropColumns();
std::vector<std::string> SummaryColumns(const std::vector<std::string>& swept_keys);

}  // namespace sipim::run
