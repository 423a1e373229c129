#pragma once
// Reading the shared test corpus (SIPIM_CORPUS_DIR) from the SIP tests.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sipim::sip::testing {

inline std::string CorpusPath(const std::string& rel) { return std::string(SIPIM_CORPUS_DIR) + "/" + rel; }

// The bytes of a file; `ok` false when it cannot be read.
inline std::string ReadFile(const std::string& path, bool* ok = nullptr) {
  std::ifstream f(path, std::ios::binary);
  if (ok) *ok = static_cast<bool>(f);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct ManifestRow {
  std::string file;
  std::string section;
  std::string category;  // rfc4475: column 3; rfc5118: expectation
  std::string expected;  // rfc4475: column 4
};

// MANIFEST.tsv rows (comment lines skipped).
inline std::vector<ManifestRow> ReadManifest(const std::string& dir) {
  std::vector<ManifestRow> rows;
  std::istringstream in(ReadFile(CorpusPath(dir + "/MANIFEST.tsv")));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::size_t start = 0;
    for (;;) {
      const std::size_t tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    cols.resize(5);
    rows.push_back({cols[0], cols[1], cols[2], cols[3]});
  }
  return rows;
}

}  // namespace sipim::sip::testing
