// The arithmetic and formatting of security_report, as a library so that it
// has unit tests (tests in report_test.cc, the command in security_report.cc):
//   - a small JSON reader (Google Benchmark's --benchmark_out format);
//   - benchmark rows: name, CPU time in ns, counters, the median of the
//     repetitions when the run has them;
//   - the calibration rows of results/calibration/security.csv;
//   - the markdown tables of models/security/README.md (wrapper vs primitive
//     ratios, the seal + open target, S/MIME vs MIKEY + sealing).
// Errors are values naming what is wrong and where; nothing here prints or
// exits.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace sipim::secreport {

// ------------------------------------------------------------ JSON

struct Json {
  enum Type { kNull, kBool, kNum, kStr, kArr, kObj } type = kNull;
  double num = 0;
  bool b = false;
  std::string str;
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;
  // The first member named `key` of an object, or nullptr.
  const Json* Get(std::string_view key) const;
};

struct JsonError {
  std::size_t offset = 0;  // byte of the input where the reader stopped
  std::string reason;      // what it expected there
};

// Nesting deeper than this is refused (an error, not a stack overflow).
constexpr int kMaxJsonDepth = 64;

// Reads one whole JSON document (RFC 8259; surrounding white space allowed).
std::optional<JsonError> ParseJson(std::string_view text, Json* out);

// ------------------------------------------------------------ benchmark rows

struct Row {
  std::string name;  // without the "/min_time:..." or "/iterations:..." suffix
  // The measure: CPU time in ns (rows of a benchmark JSON), or instructions
  // per iteration (rows of an instruction-count file, LoadInstructionRows).
  double value = 0;
  std::map<std::string, double> counters;  // the user counters (bytes_out, ...)
  bool median = false;                     // from a "median" aggregate row
};
using Rows = std::map<std::string, Row>;

// Google Benchmark's time_unit values; nullopt for anything else.
std::optional<double> ToNs(double value, std::string_view unit);

struct LoadResult {
  Rows rows;
  std::string error;                  // empty when the input was usable
  std::vector<std::string> warnings;  // rows left out, and why
};

// The rows of a Google Benchmark JSON document: one per benchmark, its CPU
// time (cpu_time, not real_time) in ns. With repetitions the "median"
// aggregate is used (whatever the order of the rows); the other aggregates
// are ignored, and rows that report an error are left out with a warning.
LoadResult LoadRows(std::string_view json_text);

// Rows named by `bench_security --benchmark_list_tests` (one name a line,
// "/min_time:..." allowed), 1 ns each and without counters: for `check`.
Rows RowsFromNames(std::string_view names_text);

// ------------------------------------------------------------ calibration CSV

struct CalibrationRow {
  std::string operation;  // smime_<op>, mikey_<op>, kdf_<op>, seal, open, seal_open, primitive_<op>
  std::string algorithm;
  long long size_bytes = 0;
  double ns_per_op = 0;
  long long output_bytes = 0;
  auto Key() const { return std::tie(operation, algorithm, size_bytes, ns_per_op, output_bytes); }
  bool operator<(const CalibrationRow& o) const { return Key() < o.Key(); }
};

struct CalibrationResult {
  std::vector<CalibrationRow> rows;  // sorted
  std::vector<std::string> skipped;  // benchmark names of no known family
  std::vector<std::string> errors;   // e.g. a counter a row needs is absent
};

// One row per benchmark: size from the name (or, for MIKEY processing, from
// the counter bytes_i / bytes_r: the size of the message processed), output
// bytes from the counter bytes_out (0 for MIKEY decodes and r_process, which
// produce no message).
CalibrationResult CalibrationRows(const Rows& rows);

// The CSV text: header, then one line per row, ns with one decimal.
std::string FormatCsv(const std::vector<CalibrationRow>& rows);

// ------------------------------------------------------------ tables

// "850 ns", "12.3 µs", "1.25 ms".
std::string Fmt(double ns);

// What a row's value is: CPU time (ns) from a benchmark run, or instructions
// per iteration counted by callgrind (count_instructions.sh).
enum class Measure { kCpuTime, kInstructions };
// "850", "12.3 k", "3.62 M" instructions.
std::string FmtInstructions(double n);

struct Missing {
  std::string benchmark;
  std::string counter;  // empty: the benchmark itself is absent
  bool operator==(const Missing& o) const { return benchmark == o.benchmark && counter == o.counter; }
};
// "missing benchmark X" / "missing counter K in benchmark X".
std::string Describe(const Missing& m);

// Looks benchmarks up by name and records, once each, what was not there.
class Lookup {
 public:
  // counters_known = false: the rows are names only (check mode), so
  // counters are not looked for.
  explicit Lookup(const Rows& rows, bool counters_known = true, Measure measure = Measure::kCpuTime)
      : rows_(rows), counters_known_(counters_known), measure_(measure) {}
  // The row's value: CPU ns or instructions, as `measure()` says.
  double Ns(const std::string& name);
  Measure measure() const { return measure_; }
  double Counter(const std::string& name, const std::string& key);
  const std::vector<Missing>& missing() const { return missing_; }

 private:
  const Row* Find(const std::string& name);
  void Note(Missing m);
  const Rows& rows_;
  bool counters_known_;
  Measure measure_;
  std::vector<Missing> missing_;
};

// One "operation vs the primitives it needs" term: `times` calls of `bench`.
struct Term {
  int times;
  std::string bench;  // a BM_Primitive/... name
};

// Ratio verdict threshold: an operation may cost at most 10 % more than the
// raw calls it is made of.
constexpr double kMaxRatio = 1.10;
// Seal + open of one 100-byte message: at most 1 µs.
constexpr double kSealOpenTargetNs = 1000;

struct RatioLine {
  Measure measure = Measure::kCpuTime;  // what ns and sum are
  std::string op;
  double ns = 0;        // the operation's CPU time (or instructions)
  std::string formula;  // the primitives, "2×verify/rsa2048 + sha256-kept/100"
  double sum = 0;       // sum of times × primitive CPU time
  double ratio = 0;     // ns / sum (0 when sum is 0)
  bool within = false;  // ratio <= kMaxRatio
};

// The primitives as the tables print them: "2×verify/rsa2048 + sha256-kept/100"
// (BM_Primitive/ left out), then `note` unless it is empty.
std::string Formula(const std::vector<Term>& terms, std::string_view note = {});

// `note`, when given, is appended to the formula (e.g. to mark a comparison
// with a sequence row).
RatioLine ComputeRatio(Lookup& lookup, const std::string& op, const std::vector<Term>& terms,
                       const char* note = nullptr);
// "| op | CPU | primitives | sum | ratio | yes / **no** |\n"
std::string FormatRatioLine(const RatioLine& line);

struct TablesResult {
  std::string text;              // empty when anything was missing
  std::vector<Missing> missing;  // in the order first needed
};

// The three markdown tables. counters_known as for Lookup.
TablesResult BuildTables(const Rows& rows, bool counters_known = true);

// The ratio table alone, from instruction counts (rows of
// LoadInstructionRows): the same lines as BuildTables' first table.
TablesResult BuildInstructionTable(const Rows& rows);

// Every benchmark the tables read, in the order first needed.
std::vector<std::string> TableBenchmarks();

// The ratio table's lines as lists (operation and terms), in table order:
// what bench_security --alternate measures. `partial` marks the lines kept
// from the first accounting, whose lists leave out calls (kPartialNote).
struct RatioSpec {
  std::string op;
  std::vector<Term> terms;
  std::string note;  // empty, or the note the table appends to the formula
  bool partial = false;
};
std::vector<RatioSpec> RatioSpecs();


// The SHA-256 input of a signed MIKEY message (RFC 3830 §5.2: the message
// up to the SIGN payload's signature field), as bench_security's BM_Mikey
// fixture makes it (RSA-2048 certificates of its test CA in CERT, the URIs
// named below), per row name ("pke", "dh", "ecdh-ext", "dh-oakley1",
// "dh-oakley2"): the signer hashes it before signing the digest, the
// receiver before verifying. PKE's R (a V message) is not signed: 0.
// bench_security checks them against the real messages.
struct MikeySignedBytes {
  std::size_t i_signed;
  std::size_t r_signed;
};
// Zeros for another row name.
MikeySignedBytes MikeySignedInput(std::string_view row);

// The symmetric work of PSK and PKE (RFC 3830 §4.1.4, §4.2.3, §5.2), as
// bench_security's BM_Mikey fixture makes it: the message keys come from
// three PRF runs under the PSK or envelope key (encr 16, auth 20, salt 14
// bytes out: each one HMAC over the label and one over A_1 || label, all
// under one key); the key data (the TGK, PKE also IDi) is AES-CM
// encrypted; the KEMAC MAC covers I up to its MAC field; the V MAC covers R
// up to its MAC field, then IDi || IDr || T. Per row name ("psk", "pke");
// bench_security checks them against the real messages.
struct MikeyKemacBytes {
  std::size_t kemac_mac;  // I up to the KEMAC MAC
  std::size_t key_data;   // the AES-CM encrypted key data
  std::size_t v_mac;      // V's MAC input
};
// Zeros for another row name.
MikeyKemacBytes MikeyKemacInput(std::string_view row);

// The HMAC-SHA-1 work of a DHHMAC exchange (RFC 4650 §3 / RFC 3830 §4.1.4),
// as bench_security's BM_Mikey fixture makes it (PRF func MIKEY-1, 32-byte
// PSK, URIs sip:user0@home.com / sip:user1@home.com): the auth key comes
// from the MIKEY PRF (§4.1.2; PSK inkey of 32 bytes = one 256-bit chunk,
// 20 bytes out = one HMAC block: HMAC(psk, label) over the 25-byte label,
// then HMAC(psk, A_1 || label) over 45 bytes, one key), and the KEMAC MAC
// is HMAC-SHA-1 under the auth key over the message up to the MAC field.
// MAC input sizes per group (its prime's name: modp1536, modp768, modp1024);
// bench_security checks them against the real messages.
constexpr std::size_t kMikeyPrfLabelBytes = 25;  // const (4) || cs_id || csb_id (4) || RAND (16)
constexpr std::size_t kMikeyPrfSecondBytes = 20 + kMikeyPrfLabelBytes;  // A_1 || label
struct DhhmacMacBytes {
  std::size_t i_mac;  // I_MESSAGE up to its KEMAC MAC
  std::size_t r_mac;  // R_MESSAGE up to its KEMAC MAC
};
// Zeros for a name that is not one of the three.
DhhmacMacBytes DhhmacMacInput(std::string_view modp);
// ------------------------------------------------------------ instruction counts
//
// count_instructions.sh runs bench_security twice under callgrind, with
// --iterations=A and --iterations=B, dumping the counts before
// benchmark::State::StartKeepRunning and after FinishKeepRunning: each
// benchmark's timed loop is then one dump. (B - A) iterations' difference
// leaves out what a loop costs once (Google Benchmark's start and stop,
// OpenSSL's first-call set-up), so the result is the instructions of one
// iteration.

// One callgrind output file.
struct CallgrindDump {
  long long part = 0;         // "part:" (1, 2, ...; the dump at exit is the last)
  std::string trigger;        // the text after "desc: Trigger: "
  double instructions = 0;    // "totals:" (or "summary:"): the Ir of the dump
};
// Reads one dump; an error naming what is missing otherwise.
std::optional<std::string> ParseCallgrindDump(std::string_view text, CallgrindDump* out);

// A loop's dump: the one triggered after FinishKeepRunning.
bool IsLoopDump(const CallgrindDump& d);

// One run under callgrind: its --benchmark_out JSON text and its dumps in
// part order.
struct CountedRun {
  std::string json_text;
  std::vector<CallgrindDump> dumps;
};

struct InstructionRow {
  std::string name;  // without the "/iterations:..." suffix
  double per_iteration = 0;
};
struct InstructionResult {
  std::vector<InstructionRow> rows;  // in the runs' order
  long long iterations_a = 0, iterations_b = 0;
  std::string error;  // empty when both runs were usable and agree
};

// Pairs the i-th benchmark of each run with its i-th loop dump, and takes
// (loop_b - loop_a) / (iterations_b - iterations_a). Errors: either JSON
// unusable, a benchmark that reported an error, runs of different
// benchmarks, equal iteration counts, loop dumps not one per benchmark, a
// negative difference.
InstructionResult InstructionsPerIteration(const CountedRun& a, const CountedRun& b);

// The instruction-count file: {"context": {...}, "benchmarks": [{"name",
// "instructions_per_iteration"}, ...]}.
std::string FormatInstructionJson(const InstructionResult& r);
// Its rows (value = instructions per iteration), for BuildInstructionTable.
LoadResult LoadInstructionRows(std::string_view json_text);

// A regression check on instruction counts, which do not move with the
// machine's load: each benchmark in both files, new / base. Counts from
// different CPU models are not comparable (OpenSSL picks its code paths by
// CPU features), nor are RSA private-key rows closer than about 3 %
// (blinding draws a random number each call).
struct InstructionChange {
  std::string name;
  double base = 0, now = 0;
  double ratio() const { return now / base; }
};
struct InstructionComparison {
  std::vector<InstructionChange> regressions;   // ratio > 1 + tolerance, worst first
  std::vector<InstructionChange> improvements;  // ratio < 1 - tolerance, best first
  std::size_t compared = 0;
  std::vector<std::string> only_base, only_new;  // not judged
};
InstructionComparison CompareInstructions(const Rows& base, const Rows& now, double tolerance);
// The comparison as text: a line per regression and improvement, then the counts.
std::string FormatComparison(const InstructionComparison& c, double tolerance);

}  // namespace sipim::secreport
