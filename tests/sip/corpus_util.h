#pragma once
// Reading the shared test corpus (SIPIM_CORPUS_DIR) from the SIP tests.
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
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

// The bytes of every RFC 4475 and RFC 5118 message, in manifest order.
inline std::vector<std::string> TortureMessages() {
  std::vector<std::string> out;
  for (const char* dir : {"rfc4475", "rfc5118"})
    for (const auto& row : ReadManifest(dir)) out.push_back(ReadFile(CorpusPath(std::string(dir) + "/" + row.file)));
  return out;
}

// Calls check(d) for `message` with each byte of its header section (and the
// empty line after it) replaced, one at a time, by each byte of `mutations`
// that differs from it. Stops early when check returns false.
template <typename Check>
bool ForEachHeaderByteMutation(const std::string& message, std::string_view mutations, Check&& check) {
  std::string d = message;
  const std::size_t head_end = message.find("\r\n\r\n");
  const std::size_t limit = head_end == std::string::npos ? message.size() : head_end + 4;
  for (std::size_t i = 0; i < limit; ++i) {
    const char orig = d[i];
    for (char c : mutations) {
      if (c == orig) continue;
      d[i] = c;
      if (!check(d)) return false;
    }
    d[i] = orig;
  }
  return true;
}

// The same for every message of `messages`, in order.
template <typename Check>
bool ForEachHeaderByteMutation(const std::vector<std::string>& messages, std::string_view mutations, Check&& check) {
  for (const std::string& m : messages)
    if (!ForEachHeaderByteMutation(m, mutations, check)) return false;
  return true;
}

}  // namespace sipim::sip::testing
