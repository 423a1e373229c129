#include "ns3/sip/cpu-calibration.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>

namespace ns3 {

namespace {

// Splits one CSV line (no quoting: the calibration format has none).
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream is(line);
  while (std::getline(is, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

bool ParseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !(v >= 0)) return false;
  *out = v;
  return true;
}

}  // namespace

double CpuCalibration::Curve::Interpolate(std::uint64_t sizeBytes, double Point::*field) const {
  const auto& p = m_points;
  if (p.empty()) return 0;
  if (p.size() == 1) return p[0].*field;
  const double x = static_cast<double>(sizeBytes);
  // The segment holding x; beyond either end, the outermost segment.
  std::size_t hi = 1;
  while (hi + 1 < p.size() && p[hi].size < x) ++hi;
  const Point& a = p[hi - 1];
  const Point& b = p[hi];
  const double slope = (b.*field - a.*field) / (b.size - a.size);
  const double v = a.*field + slope * (x - a.size);
  return v < 0 ? 0 : v;
}

double CpuCalibration::Curve::NsAt(std::uint64_t sizeBytes) const {
  return Interpolate(sizeBytes, &Point::ns);
}

double CpuCalibration::Curve::OutputBytesAt(std::uint64_t sizeBytes) const {
  return Interpolate(sizeBytes, &Point::outputBytes);
}

void CpuCalibration::Add(const std::string& operation, const std::string& algorithm,
                         std::uint64_t sizeBytes, double nsPerOp, double outputBytes) {
  auto& pts = m_curves[{operation, algorithm}].m_points;
  const double size = static_cast<double>(sizeBytes);
  auto it = std::lower_bound(pts.begin(), pts.end(), size,
                             [](const Curve::Point& p, double s) { return p.size < s; });
  if (it != pts.end() && it->size == size) {
    it->ns = nsPerOp;
    it->outputBytes = outputBytes;
  } else {
    pts.insert(it, Curve::Point{size, nsPerOp, outputBytes});
  }
}

bool CpuCalibration::LoadCsv(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = path + ": cannot open";
    return false;
  }
  std::string line;
  std::size_t lineNo = 0;
  static const char* kHeader = "operation,algorithm,size_bytes,ns_per_op,output_bytes";
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = path + ":" + std::to_string(lineNo) + ": ";
    if (lineNo == 1) {
      if (line != kHeader) {
        *error = where + "header must be \"" + kHeader + "\"";
        return false;
      }
      continue;
    }
    if (line.empty()) continue;
    const auto cells = SplitCsv(line);
    if (cells.size() != 5) {
      *error = where + "expected 5 columns, found " + std::to_string(cells.size());
      return false;
    }
    double size = 0, ns = 0, output = 0;
    if (cells[0].empty() || cells[1].empty()) {
      *error = where + "empty operation or algorithm";
      return false;
    }
    if (!ParseNumber(cells[2], &size)) {
      *error = where + "size_bytes is not a non-negative number: \"" + cells[2] + "\"";
      return false;
    }
    if (!ParseNumber(cells[3], &ns)) {
      *error = where + "ns_per_op is not a non-negative number: \"" + cells[3] + "\"";
      return false;
    }
    if (!ParseNumber(cells[4], &output)) {
      *error = where + "output_bytes is not a non-negative number: \"" + cells[4] + "\"";
      return false;
    }
    Add(cells[0], cells[1], static_cast<std::uint64_t>(size), ns, output);
  }
  if (lineNo == 0) {
    *error = path + ": empty file (no header)";
    return false;
  }
  return true;
}

bool CpuCalibration::LoadDirectory(const std::string& dir, std::string* error) {
  DIR* d = opendir(dir.c_str());
  if (!d) {
    *error = dir + ": cannot open directory";
    return false;
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".csv") == 0) names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (!LoadCsv(dir + "/" + n, error)) return false;
  }
  return true;
}

const CpuCalibration::Curve* CpuCalibration::Find(const std::string& operation,
                                                  const std::string& algorithm) const {
  auto it = m_curves.find({operation, algorithm});
  return it == m_curves.end() ? nullptr : &it->second;
}

std::optional<Time> CpuCalibration::Cost(const std::string& operation,
                                         const std::string& algorithm,
                                         std::uint64_t sizeBytes) const {
  const Curve* c = Find(operation, algorithm);
  if (!c) return std::nullopt;
  return NanoSeconds(static_cast<int64_t>(c->NsAt(sizeBytes) + 0.5));
}

}  // namespace ns3
