// security_report: turns bench_security's Google Benchmark JSON into
//   csv   <bench.json> <out.csv>  the calibration table (results/calibration/security.csv,
//                                  format in ../shared briefs: operation,algorithm,size_bytes,
//                                  ns_per_op,output_bytes), and
//   table <bench.json>            the markdown tables of models/security/README.md:
//                                  wrapper-vs-primitive ratios, seal+open target, and
//                                  S/MIME vs MIKEY + sealing for 1, 10, 1000 messages;
//   check <names.txt>             whether every benchmark the tables use is registered;
//   instructions <a.json> <a-dumps> <b.json> <b-dumps> <out.json>
//                                 instructions per iteration from two runs under callgrind
//                                 (count_instructions.sh; <x-dumps> is the
//                                 --callgrind-out-file, whose dumps are <x-dumps>.1, .2, ...);
//   instruction-table <instructions.json>
//                                 the ratio table from those counts;
//   compare-instructions <base.json> <new.json> [tolerance]
//                                 a regression check on two such files (default
//                                 tolerance 0.05): exit 1 if any benchmark's count grew
//                                 by more, 2 for unreadable files or nothing to compare.
// Every number printed comes from the JSON; nothing is typed in by hand. The
// arithmetic is in report.h (tested by report_test.cc); this file reads
// files, prints and sets the exit status: 1 when anything needed is missing
// or unreadable (and then no table or CSV is written), 2 for a bad command line.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "report.h"

namespace {

using namespace sipim::secreport;

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The benchmark rows of a JSON file, warnings printed; nullopt (after saying
// why) when the file is unusable.
std::optional<Rows> Load(const char* path) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return std::nullopt;
  LoadResult r = LoadRows(*text);
  for (const std::string& w : r.warnings) std::fprintf(stderr, "%s: %s\n", path, w.c_str());
  if (!r.error.empty()) {
    std::fprintf(stderr, "%s: %s\n", path, r.error.c_str());
    return std::nullopt;
  }
  return std::move(r.rows);
}

int WriteCsv(const char* json_path, const char* out_path) {
  std::optional<Rows> rows = Load(json_path);
  if (!rows) return 1;
  const CalibrationResult c = CalibrationRows(*rows);
  for (const std::string& name : c.skipped) std::fprintf(stderr, "skipping unrecognised benchmark %s\n", name.c_str());
  for (const std::string& e : c.errors) std::fprintf(stderr, "%s: %s\n", json_path, e.c_str());
  if (!c.errors.empty()) return 1;
  std::ofstream f(out_path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", out_path);
    return 1;
  }
  f << FormatCsv(c.rows);
  if (!f.flush()) {
    std::fprintf(stderr, "cannot write %s\n", out_path);
    return 1;
  }
  std::fprintf(stderr, "wrote %zu rows to %s\n", c.rows.size(), out_path);
  return 0;
}

// Prints what the tables needed and did not find; whether anything was.
bool ReportMissing(const TablesResult& t) {
  for (const Missing& m : t.missing) std::fprintf(stderr, "%s\n", Describe(m).c_str());
  return !t.missing.empty();
}

int WriteTables(const char* json_path) {
  std::optional<Rows> rows = Load(json_path);
  if (!rows) return 1;
  const TablesResult t = BuildTables(*rows);
  if (ReportMissing(t)) return 1;
  std::fputs(t.text.c_str(), stdout);
  return 0;
}

// `check <names>`: whether every benchmark the tables use is among the names
// (one per line, as `bench_security --benchmark_list_tests` prints them,
// "/min_time:..." suffixes allowed): a typo in a primitive list would
// otherwise show only at the end of a full run. The missing names go to stderr.
int CheckNames(const char* path) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return 1;
  const Rows rows = RowsFromNames(*text);
  if (rows.empty()) {
    std::fprintf(stderr, "%s: no benchmark names\n", path);
    return 1;
  }
  const bool missing = ReportMissing(BuildTables(rows, /*counters_known=*/false));
  std::fprintf(stderr, "%zu benchmark names read; %s\n", rows.size(),
               missing ? "some are missing (above)" : "every benchmark the tables use is among them");
  return missing ? 1 : 0;
}

// The dumps <prefix>.1, <prefix>.2, ... in part order, up to the first that
// does not exist; nullopt (after saying why) on an unreadable or malformed one.
std::optional<std::vector<CallgrindDump>> ReadDumps(const std::string& prefix) {
  std::vector<CallgrindDump> dumps;
  for (long long part = 1;; ++part) {
    const std::string path = prefix + "." + std::to_string(part);
    std::ifstream probe(path, std::ios::binary);
    if (!probe) break;
    std::optional<std::string> text = ReadFile(path.c_str());
    if (!text) return std::nullopt;
    CallgrindDump d;
    if (std::optional<std::string> e = ParseCallgrindDump(*text, &d)) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), e->c_str());
      return std::nullopt;
    }
    if (d.part != part) {
      std::fprintf(stderr, "%s: says part %lld\n", path.c_str(), d.part);
      return std::nullopt;
    }
    dumps.push_back(std::move(d));
  }
  if (dumps.empty()) std::fprintf(stderr, "%s.1: no callgrind dumps\n", prefix.c_str());
  if (dumps.empty()) return std::nullopt;
  return dumps;
}

int CountInstructions(char** argv) {
  CountedRun runs[2];
  for (int i = 0; i < 2; ++i) {
    std::optional<std::string> json = ReadFile(argv[2 + 2 * i]);
    if (!json) return 1;
    std::optional<std::vector<CallgrindDump>> dumps = ReadDumps(argv[3 + 2 * i]);
    if (!dumps) return 1;
    runs[i] = {std::move(*json), std::move(*dumps)};
  }
  const InstructionResult r = InstructionsPerIteration(runs[0], runs[1]);
  if (!r.error.empty()) {
    std::fprintf(stderr, "%s\n", r.error.c_str());
    return 1;
  }
  std::ofstream f(argv[6], std::ios::binary);
  if (!f || !(f << FormatInstructionJson(r)) || !f.flush()) {
    std::fprintf(stderr, "cannot write %s\n", argv[6]);
    return 1;
  }
  std::fprintf(stderr, "wrote %zu benchmarks' instructions per iteration to %s\n", r.rows.size(), argv[6]);
  return 0;
}

int WriteInstructionTable(const char* path) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return 1;
  const LoadResult r = LoadInstructionRows(*text);
  if (!r.error.empty()) {
    std::fprintf(stderr, "%s: %s\n", path, r.error.c_str());
    return 1;
  }
  const TablesResult t = BuildInstructionTable(r.rows);
  if (ReportMissing(t)) return 1;
  std::fputs(t.text.c_str(), stdout);
  return 0;
}

// Exit 0: no regression; 1: a regression; 2: bad input.
int CompareInstructionFiles(const char* base_path, const char* new_path, const char* tolerance_text) {
  double tolerance = 0.05;
  if (tolerance_text != nullptr) {
    char* end = nullptr;
    tolerance = std::strtod(tolerance_text, &end);
    if (*tolerance_text == '\0' || *end != '\0' || !(tolerance >= 0 && tolerance < 1)) {
      std::fprintf(stderr, "compare-instructions: tolerance wants a number in [0, 1), got '%s'\n", tolerance_text);
      return 2;
    }
  }
  Rows rows[2];
  const char* paths[2] = {base_path, new_path};
  for (int i = 0; i < 2; ++i) {
    std::optional<std::string> text = ReadFile(paths[i]);
    if (!text) return 2;
    LoadResult r = LoadInstructionRows(*text);
    if (!r.error.empty()) {
      std::fprintf(stderr, "%s: %s\n", paths[i], r.error.c_str());
      return 2;
    }
    rows[i] = std::move(r.rows);
  }
  const InstructionComparison c = CompareInstructions(rows[0], rows[1], tolerance);
  std::fputs(FormatComparison(c, tolerance).c_str(), stdout);
  if (c.compared == 0) {
    std::fprintf(stderr, "compare-instructions: no benchmark is in both files\n");
    return 2;
  }
  return c.regressions.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (argc == 4 && cmd == "csv") return WriteCsv(argv[2], argv[3]);
  if (argc == 3 && cmd == "table") return WriteTables(argv[2]);
  if (argc == 3 && cmd == "check") return CheckNames(argv[2]);
  if (argc == 7 && cmd == "instructions") return CountInstructions(argv);
  if (argc == 3 && cmd == "instruction-table") return WriteInstructionTable(argv[2]);
  if ((argc == 4 || argc == 5) && cmd == "compare-instructions") {
    return CompareInstructionFiles(argv[2], argv[3], argc == 5 ? argv[4] : nullptr);
  }
  std::fprintf(stderr,
               "usage: %s csv <bench.json> <out.csv> | table <bench.json> | check <names.txt>\n"
               "       | instructions <a.json> <a-dumps> <b.json> <b-dumps> <out.json> | instruction-table <instructions.json>\n"
               "       | compare-instructions <base.json> <new.json> [tolerance]\n",
               argv[0]);
  return 2;
}
