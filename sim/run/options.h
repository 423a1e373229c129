#pragma once
// Options of `sipim run`: one table of every key, read from a scenario file
// (INI) and from the command line, the command line winning.
//
// Boost.Program_options parses the command line and formats --help; the INI
// file is read here, line by line, because every complaint about it must name
// the line (Boost's INI parser does not keep line numbers).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sipim::run {

// Where a value came from, for error messages and --dry-run.
struct Source {
  std::string file;   // empty for the command line and for defaults
  std::uint32_t line = 0;  // 1-based; 0 when not from a file
  bool from_command_line = false;
  std::string ToString() const;  // "scenario.ini:12", "command line", "default"
};

// One key's resolved value.
struct Setting {
  std::string value;
  Source source;
};

// An error for the user: names the key and where it was found.
struct OptionError {
  std::string message;
};

// A swept parameter: the key, its values (each already validated), where.
struct Sweep {
  std::string key;
  std::vector<std::string> values;
  Source source;
};

// Everything `sipim run` was told, before it is turned into typed values.
struct ResolvedOptions {
  std::string scenario_file;
  std::map<std::string, Setting> settings;  // every key of the table, resolved
  std::vector<Sweep> sweeps;                // in file order, then command line
  bool help = false;
  bool dry_run = false;

  const std::string& Get(const std::string& key) const;
};

// The table of every option: key, default, what it means.
struct OptionSpec {
  const char* key;
  const char* default_value;
  const char* help;
  // Returns an empty string when `value` is acceptable, else what is wrong.
  std::string (*validate)(const std::string& value);
};
const std::vector<OptionSpec>& OptionTable();
const OptionSpec* FindOption(const std::string& key);

// One `key = value` line of an INI file.
struct IniEntry {
  std::string key;  // "section.key" inside a [section]
  std::string value;
  std::uint32_t line = 0;
};

// Reads INI text: `# comment`, `; comment`, `[section]`, `key = value`.
// Fails on a line that is none of these, naming the line.
std::optional<OptionError> ParseIni(const std::string& text, const std::string& file_name,
                                    std::vector<IniEntry>* entries);

// Parses argv (starting at the first argument after `run`) and the scenario
// file it names. On failure returns the error; the caller exits with 2.
std::optional<OptionError> ResolveOptions(int argc, char** argv, ResolvedOptions* out);

// `sipim run --help`: usage and every option with its default.
std::string HelpText();

// `--dry-run`: the resolved configuration, one `key = value  # source` line each.
std::string DescribeResolved(const ResolvedOptions& options);

// Expands a sweep's value list: "1,2,5" or "A..B:STEP" (linear, inclusive)
// or "A..B*F" (geometric, inclusive). Empty optional and `error` on failure.
std::optional<std::vector<std::string>> ExpandSweepValues(const std::string& text,
                                                          std::string* error);

}  // namespace sipim::run
