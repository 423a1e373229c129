#pragma once
// File helpers shared by the MSRP and SDP tests (tests/sdp includes this).
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sipim::wire_testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// The rows of a MANIFEST.tsv with at least `min_cols` columns; '#' lines and
// empty lines are skipped.
inline std::vector<std::vector<std::string>> ReadTsv(const std::string& path, std::size_t min_cols) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream m(path);
  std::string line;
  while (std::getline(m, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() >= min_cols) rows.push_back(std::move(cols));
  }
  return rows;
}

}  // namespace sipim::wire_testing
