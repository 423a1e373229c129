#pragma once
// CPU costs measured by the benchmarks, as the simulation charges them.
//
// Rows come from results/calibration/*.csv (format in
// briefs/calibration.md: operation,algorithm,size_bytes,ns_per_op,
// output_bytes) or are added in code (tests). A lookup interpolates linearly
// in size between the rows of one (operation, algorithm) and extrapolates
// from the last two rows (or the first two below the smallest size); one row
// is a constant. Costs are never negative.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ns3/nstime.h"
#include "ns3/simple-ref-count.h"

namespace ns3 {

class CpuCalibration : public SimpleRefCount<CpuCalibration> {
 public:
  // The rows of one (operation, algorithm), sorted by size.
  class Curve {
   public:
    struct Point {
      double size;
      double ns;
      double outputBytes;
    };
    // Interpolated cost in ns at `sizeBytes` (>= 0).
    double NsAt(std::uint64_t sizeBytes) const;
    double OutputBytesAt(std::uint64_t sizeBytes) const;
    const std::vector<Point>& Points() const { return m_points; }

   private:
    friend class CpuCalibration;
    double Interpolate(std::uint64_t sizeBytes, double Point::*field) const;
    std::vector<Point> m_points;
  };

  // Adds one row. A second row at the same size replaces the first.
  void Add(const std::string& operation, const std::string& algorithm, std::uint64_t sizeBytes,
           double nsPerOp, double outputBytes = 0);

  // Reads a calibration CSV. On failure returns false and *error names the
  // file, line and problem; rows read before the error are kept.
  bool LoadCsv(const std::string& path, std::string* error);
  // Reads every *.csv in `dir` (parse.csv, security.csv, ...), in name
  // order. A missing directory is an error; an empty one is not.
  bool LoadDirectory(const std::string& dir, std::string* error);

  // The curve for (operation, algorithm), or nullptr. The pointer stays valid
  // until the next Add/Load: callers on the hot path look it up once.
  const Curve* Find(const std::string& operation, const std::string& algorithm) const;
  // Cost of one operation, or nullopt when the table has no such row.
  std::optional<Time> Cost(const std::string& operation, const std::string& algorithm,
                           std::uint64_t sizeBytes) const;
  bool Empty() const { return m_curves.empty(); }
  std::size_t CurveCount() const { return m_curves.size(); }

 private:
  std::map<std::pair<std::string, std::string>, Curve> m_curves;
};

}  // namespace ns3
