#pragma once
// Tidy CSV tables and the metadata JSON beside them. Numbers are formatted
// with fixed rules (no locale, fixed precision) so that the same run writes
// the same bytes.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipim::run {

// One CSV file: a header row, then rows of the same width. Fields holding a
// comma, quote or newline are quoted (RFC 4180).
//
// Rows are formatted into one buffer (numbers with std::to_chars, no
// iostreams, no string per field) and written in large blocks: a run's
// tables hold a row per IM, and per-field stream calls were a visible part
// of a run's cost.
class CsvWriter {
 public:
  // Opens `path` for writing; ok() says whether that worked.
  CsvWriter(const std::string& path, std::vector<std::string> columns);
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;
  // Writes out what is buffered; true if the file opened and every write
  // so far succeeded.
  bool ok();
  const std::string& path() const { return path_; }

  // Starts a row; add exactly columns().size() fields, then EndRow().
  CsvWriter& Add(std::string_view field);
  CsvWriter& Add(const std::string& field) { return Add(std::string_view(field)); }
  CsvWriter& Add(const char* field) { return Add(std::string_view(field)); }
  CsvWriter& Add(std::uint64_t v);
  CsvWriter& Add(std::int64_t v);
  CsvWriter& Add(std::uint32_t v) { return Add(static_cast<std::uint64_t>(v)); }
  CsvWriter& Add(int v) { return Add(static_cast<std::int64_t>(v)); }
  CsvWriter& Add(double v);  // %.9g; NaN as empty (R and pandas read it as missing)
  // Ends the row. Returns false (and the row is still written) if its width is wrong.
  bool EndRow();
  std::size_t rows() const { return rows_; }

 private:
  void Separator();
  void Flush();

  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::string path_;
  std::unique_ptr<std::FILE, FileCloser> file_;
  bool failed_ = false;
  std::string buffer_;
  std::size_t columns_ = 0;
  std::size_t fields_in_row_ = 0;
  std::size_t rows_ = 0;
};

// Formats a double the way every CSV here does.
std::string FormatNumber(double v);
// The same, appended to `out` (no allocation beyond out's growth).
void AppendNumber(std::string* out, double v);
// Quotes a string for JSON.
std::string JsonString(const std::string& s);

// A flat JSON object built in insertion order (for metadata.json).
class JsonObject {
 public:
  JsonObject& Set(const std::string& key, const std::string& value);  // a string
  JsonObject& SetRaw(const std::string& key, const std::string& json);  // already JSON
  JsonObject& SetNumber(const std::string& key, double v);
  std::string ToString(int indent = 2) const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;  // key, JSON text
};

// Writes `text` to `path`; false on failure.
bool WriteTextFile(const std::string& path, const std::string& text);

}  // namespace sipim::run
