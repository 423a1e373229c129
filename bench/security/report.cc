#include "report.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <cmath>

#include "common/json_string.h"

namespace sipim::secreport {

// ------------------------------------------------------------ JSON

const Json* Json::Get(std::string_view key) const {
  for (const auto& [k, v] : obj)
    if (k == key) return &v;
  return nullptr;
}

namespace {

// Recursive descent over the text; every failure records the byte where it
// stopped and what was expected there.
class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}

  std::optional<JsonError> Document(Json* out) {
    if (!Value(out, 0)) return err_;
    Ws();
    if (i_ != s_.size()) {
      Fail("the end of the input after the value");
      return err_;
    }
    return std::nullopt;
  }

 private:
  bool Fail(const char* expected) {
    err_ = JsonError{i_, expected};
    return false;
  }
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool AtEnd() const { return i_ >= s_.size(); }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  bool Value(Json* v, int depth) {
    Ws();
    if (AtEnd()) return Fail("a value");
    switch (s_[i_]) {
      case '{': return Object(v, depth);
      case '[': return Array(v, depth);
      case '"': v->type = Json::kStr; return String(&v->str);
      case 't': v->type = Json::kBool; v->b = true; return Literal("true");
      case 'f': v->type = Json::kBool; return Literal("false");
      case 'n': v->type = Json::kNull; return Literal("null");
      default: v->type = Json::kNum; return Number(&v->num);
    }
  }

  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return Fail("a value");
    i_ += word.size();
    return true;
  }

  bool Object(Json* v, int depth) {
    if (depth >= kMaxJsonDepth) return Fail("at most 64 nested arrays and objects");
    v->type = Json::kObj;
    ++i_;
    Ws();
    if (Peek() == '}') return ++i_, true;
    for (;;) {
      Ws();
      if (Peek() != '"') return Fail("a member name (a string)");
      std::string key;
      if (!String(&key)) return false;
      Ws();
      if (Peek() != ':') return Fail("':'");
      ++i_;
      Json x;
      if (!Value(&x, depth + 1)) return false;
      v->obj.emplace_back(std::move(key), std::move(x));
      Ws();
      if (Peek() == ',') { ++i_; continue; }
      if (Peek() == '}') return ++i_, true;
      return Fail("',' or '}'");
    }
  }

  bool Array(Json* v, int depth) {
    if (depth >= kMaxJsonDepth) return Fail("at most 64 nested arrays and objects");
    v->type = Json::kArr;
    ++i_;
    Ws();
    if (Peek() == ']') return ++i_, true;
    for (;;) {
      Json x;
      if (!Value(&x, depth + 1)) return false;
      v->arr.push_back(std::move(x));
      Ws();
      if (Peek() == ',') { ++i_; continue; }
      if (Peek() == ']') return ++i_, true;
      return Fail("',' or ']'");
    }
  }

  // At the opening quote.
  bool String(std::string* out) {
    ++i_;
    for (;;) {
      const std::size_t run = i_;  // copy plain characters in one go
      while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\' && static_cast<unsigned char>(s_[i_]) >= 0x20) ++i_;
      out->append(s_.data() + run, i_ - run);
      if (AtEnd()) return Fail("'\"' closing the string");
      if (s_[i_] == '"') return ++i_, true;
      if (s_[i_] != '\\') return Fail("no control character (below 0x20) in a string");
      ++i_;
      if (!Escape(out)) return false;
    }
  }

  // After the backslash.
  bool Escape(std::string* out) {
    switch (Peek()) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        ++i_;
        unsigned cp = 0;
        if (!Hex4(&cp)) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate: its low half must follow
          unsigned lo = 0;
          if (s_.substr(i_, 2) != "\\u") return Fail("'\\u' and the low half of a surrogate pair");
          i_ += 2;
          const std::size_t at = i_;
          if (!Hex4(&lo)) return false;
          if (lo < 0xDC00 || lo > 0xDFFF) {
            i_ = at;
            return Fail("the low half of a surrogate pair (DC00-DFFF)");
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          i_ -= 4;
          return Fail("a code point, not a lone low surrogate");
        }
        AppendUtf8(cp, out);
        return true;
      }
      default: return Fail("an escape: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u");
    }
    ++i_;
    return true;
  }

  bool Hex4(unsigned* cp) {
    for (int k = 0; k < 4; ++k, ++i_) {
      const char c = Peek();
      const int d = IsDigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) return Fail("four hex digits after \\u");
      *cp = *cp * 16 + static_cast<unsigned>(d);
    }
    return true;
  }

  static void AppendUtf8(unsigned cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  // and Google Benchmark's own words for what JSON cannot say: NaN (e.g.
  // the "cv" aggregate of a counter that is always 0) and Infinity, either
  // with a leading '-'.
  bool Number(double* out) {
    const std::size_t start = i_;
    const bool negative = Peek() == '-';
    if (negative) ++i_;
    for (const auto& [word, value] : {std::pair<std::string_view, double>{"NaN", std::numeric_limits<double>::quiet_NaN()},
                                      {"Infinity", std::numeric_limits<double>::infinity()}}) {
      if (s_.substr(i_, word.size()) == word) {
        i_ += word.size();
        *out = negative ? -value : value;
        return true;
      }
    }
    if (Peek() == '0') {
      ++i_;
    } else if (IsDigit(Peek())) {
      while (IsDigit(Peek())) ++i_;
    } else {
      return Fail(i_ == start ? "a value" : "a digit");
    }
    if (Peek() == '.') {
      ++i_;
      if (!IsDigit(Peek())) return Fail("a digit after '.'");
      while (IsDigit(Peek())) ++i_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++i_;
      if (Peek() == '+' || Peek() == '-') ++i_;
      if (!IsDigit(Peek())) return Fail("a digit in the exponent");
      while (IsDigit(Peek())) ++i_;
    }
    const auto [end, ec] = std::from_chars(s_.data() + start, s_.data() + i_, *out);
    if (ec != std::errc() || end != s_.data() + i_) {
      i_ = start;
      return Fail("a number within the range of a double");
    }
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  JsonError err_;
};

}  // namespace

std::optional<JsonError> ParseJson(std::string_view text, Json* out) {
  *out = Json{};
  return JsonReader(text).Document(out);
}

// ------------------------------------------------------------ benchmark rows

std::optional<double> ToNs(double value, std::string_view unit) {
  if (unit == "ns") return value;
  if (unit == "us") return value * 1e3;
  if (unit == "ms") return value * 1e6;
  if (unit == "s") return value * 1e9;
  return std::nullopt;
}

namespace {

// The fields Google Benchmark writes for every run; any other number is a
// user counter.
bool IsStandardField(const std::string& k) {
  static const char* const kStd[] = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads",
                                     "iterations", "real_time", "cpu_time", "time_unit", "family_index",
                                     "per_family_instance_index", "aggregate_name", "aggregate_unit",
                                     "error_occurred", "error_message"};
  return std::find_if(std::begin(kStd), std::end(kStd), [&](const char* s) { return k == s; }) != std::end(kStd);
}

// Google Benchmark appends the run's settings to a name; the tables use the bare one.
std::string StripRunSettings(const std::string& name) {
  return name.substr(0, std::min(name.find("/min_time:"), name.find("/iterations:")));
}

const std::string* StringField(const Json& o, std::string_view key) {
  const Json* v = o.Get(key);
  return v != nullptr && v->type == Json::kStr ? &v->str : nullptr;
}

// One element of "benchmarks" as a row. Returns false with *error set when
// the element is unusable; true with *use = false for rows that are not used
// (aggregates other than the median, runs that reported an error: the
// latter with a warning).
bool ReadRow(const Json& b, std::size_t index, Row* row, bool* use, std::string* error,
             std::vector<std::string>* warnings) {
  std::string where = "benchmarks[" + std::to_string(index) + "]";
  *use = false;
  if (b.type != Json::kObj) return *error = where + ": not an object", false;
  const std::string* name = StringField(b, "name");
  if (name == nullptr) return *error = where + ": no \"name\" string", false;
  where += " (" + *name + ")";
  std::string full = *name;
  const std::string* run_type = StringField(b, "run_type");
  row->median = false;
  if (run_type != nullptr && *run_type == "aggregate") {
    const std::string* agg = StringField(b, "aggregate_name");
    if (agg == nullptr || *agg != "median") return true;  // mean, stddev, cv, BigO, RMS: not used
    const std::string* run_name = StringField(b, "run_name");
    if (run_name == nullptr) return *error = where + ": median row without a \"run_name\" string", false;
    full = *run_name;
    row->median = true;
  }
  const Json* err = b.Get("error_occurred");
  if (err != nullptr && err->type == Json::kBool && err->b) {
    const std::string* msg = StringField(b, "error_message");
    warnings->push_back("skipping " + *name + ": it reported an error" + (msg ? ": " + *msg : std::string()));
    return true;
  }
  const Json* cpu = b.Get("cpu_time");
  if (cpu == nullptr || cpu->type != Json::kNum) return *error = where + ": no \"cpu_time\" number", false;
  const std::string* unit = StringField(b, "time_unit");
  if (unit == nullptr) return *error = where + ": no \"time_unit\" string", false;
  if (!std::isfinite(cpu->num) || cpu->num < 0) return *error = where + ": \"cpu_time\" is not a time", false;
  const std::optional<double> ns = ToNs(cpu->num, *unit);
  if (!ns) return *error = where + ": unknown time_unit \"" + *unit + "\" (ns, us, ms or s)", false;
  row->name = StripRunSettings(full);
  row->value = *ns;
  row->counters.clear();
  for (const auto& [k, v] : b.obj) {
    if (v.type != Json::kNum || IsStandardField(k)) continue;
    // A counter that is not a number is left out (said), so that a table or
    // CSV row that needs it reports it missing instead of printing "nan".
    if (std::isfinite(v.num)) {
      row->counters[k] = v.num;
    } else {
      warnings->push_back(where + ": counter \"" + k + "\" is not a finite number; left out");
    }
  }
  *use = true;
  return true;
}

// The "benchmarks" array of a JSON document parsed into *root; nullptr with
// *error set when the text is not JSON or has no such array.
const Json* BenchmarksArray(std::string_view json_text, Json* root, std::string* error) {
  if (std::optional<JsonError> e = ParseJson(json_text, root)) {
    *error = "not JSON: expected " + e->reason + " at byte " + std::to_string(e->offset);
    return nullptr;
  }
  const Json* benches = root->type == Json::kObj ? root->Get("benchmarks") : nullptr;
  if (benches == nullptr || benches->type != Json::kArr) {
    *error = "no \"benchmarks\" array";
    return nullptr;
  }
  return benches;
}

}  // namespace

LoadResult LoadRows(std::string_view json_text) {
  LoadResult r;
  Json root;
  const Json* benches = BenchmarksArray(json_text, &root, &r.error);
  if (benches == nullptr) return r;
  for (std::size_t i = 0; i < benches->arr.size(); ++i) {
    Row row;
    bool use = false;
    if (!ReadRow(benches->arr[i], i, &row, &use, &r.error, &r.warnings)) {
      r.rows.clear();
      return r;
    }
    if (!use) continue;
    // The median of the repetitions wins over the repetitions themselves,
    // whichever comes first in the file.
    auto it = r.rows.find(row.name);
    if (it != r.rows.end() && it->second.median && !row.median) continue;
    r.rows[row.name] = std::move(row);
  }
  return r;
}

Rows RowsFromNames(std::string_view names_text) {
  Rows rows;
  while (!names_text.empty()) {
    const std::size_t nl = names_text.find('\n');
    const std::string line(names_text.substr(0, nl));
    names_text.remove_prefix(nl == std::string_view::npos ? names_text.size() : nl + 1);
    if (line.empty()) continue;
    Row r;
    r.name = StripRunSettings(line);
    r.value = 1;
    rows[r.name] = r;
  }
  return rows;
}

// ------------------------------------------------------------ calibration CSV

namespace {

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t a = 0;
  for (std::size_t b; (b = s.find('/', a)) != std::string::npos; a = b + 1) out.push_back(s.substr(a, b - a));
  out.push_back(s.substr(a));
  return out;
}

bool IsNumber(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Reads counters and sizes of one row, collecting what is wrong.
struct RowReader {
  const Row& row;
  std::vector<std::string>* errors;
  long long Counter(const char* key) {
    auto it = row.counters.find(key);
    if (it != row.counters.end()) return static_cast<long long>(it->second);
    errors->push_back("benchmark " + row.name + " has no counter \"" + key + "\"");
    return 0;
  }
  long long Size(const std::string& part) {
    if (IsNumber(part)) return std::atoll(part.c_str());
    errors->push_back("benchmark " + row.name + ": size \"" + part + "\" is not a number");
    return 0;
  }
};

}  // namespace

CalibrationResult CalibrationRows(const Rows& rows) {
  CalibrationResult res;
  for (const auto& [name, r] : rows) {
    const std::vector<std::string> p = Split(name);
    RowReader rd{r, &res.errors};
    CalibrationRow c;
    c.ns_per_op = r.value;
    if (p[0] == "BM_Smime" && p.size() == 4) {
      c.operation = "smime_" + p[1];
      c.algorithm = p[2];
      c.size_bytes = rd.Size(p[3]);
      c.output_bytes = rd.Counter("bytes_out");
    } else if (p[0] == "BM_SmimeReject" && p.size() == 3) {
      // The cost of refusing an altered message: what a UA spends on a
      // tampered MESSAGE before it answers.
      c.operation = "smime_reject";
      c.algorithm = p[1];
      c.size_bytes = rd.Size(p[2]);
      c.output_bytes = rd.Counter("bytes_out");
    } else if (p[0] == "BM_Mikey" && p.size() == 3) {
      c.operation = "mikey_" + p[2];
      c.algorithm = p[1];
      const std::string what = p[2].substr(0, p[2].find('-'));  // "i_process-cached" -> "i_process"
      if (what == "i_process" || what == "i_decode") c.size_bytes = rd.Counter("bytes_i");
      if (what == "r_process" || what == "r_decode") c.size_bytes = rd.Counter("bytes_r");
      // Decoding and the initiator's processing of R produce no message.
      const bool produces = !(what == "i_decode" || what == "r_decode" || what == "r_process");
      c.output_bytes = produces ? rd.Counter("bytes_out") : 0;
    } else if (p[0] == "BM_Kdf" && p.size() == 4) {
      c.operation = "kdf_" + p[1];
      c.algorithm = p[2];
      c.size_bytes = rd.Size(p[3]);
      c.output_bytes = rd.Counter("bytes_out");
    } else if ((p[0] == "BM_Seal" || p[0] == "BM_Open" || p[0] == "BM_SealOpen") && p.size() == 3) {
      c.operation = p[0] == "BM_Seal" ? "seal" : p[0] == "BM_Open" ? "open" : "seal_open";
      c.algorithm = p[1];
      c.size_bytes = rd.Size(p[2]);
      c.output_bytes = rd.Counter("bytes_out");
    } else if (p[0] == "BM_Primitive" && p.size() == 3) {
      c.operation = "primitive_" + p[1];
      if (IsNumber(p[2])) {  // BM_Primitive/sha256/100: the size; else the algorithm
        c.algorithm = p[1];
        c.size_bytes = std::atoll(p[2].c_str());
      } else {
        c.algorithm = p[2];
      }
      c.output_bytes = rd.Counter("bytes_out");
    } else {
      res.skipped.push_back(name);
      continue;
    }
    res.rows.push_back(std::move(c));
  }
  std::sort(res.rows.begin(), res.rows.end());
  return res;
}

std::string FormatCsv(const std::vector<CalibrationRow>& rows) {
  std::string out = "operation,algorithm,size_bytes,ns_per_op,output_bytes\n";
  char buf[64];
  for (const CalibrationRow& r : rows) {
    std::snprintf(buf, sizeof buf, "%.1f", r.ns_per_op);
    out += r.operation + ',' + r.algorithm + ',' + std::to_string(r.size_bytes) + ',' + buf + ',' +
           std::to_string(r.output_bytes) + '\n';
  }
  return out;
}

// ------------------------------------------------------------ tables

namespace {

void Appendf(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void Appendf(std::string* out, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  const int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  if (n > 0) {
    const std::size_t old = out->size();
    out->resize(old + static_cast<std::size_t>(n) + 1);
    std::vsnprintf(&(*out)[old], static_cast<std::size_t>(n) + 1, fmt, ap2);
    out->resize(old + static_cast<std::size_t>(n));
  }
  va_end(ap2);
}

}  // namespace

namespace {

// v with one of three scales: `big` from 1e6 (2 decimals), `mid` from 1e3
// (1 decimal), `small` below (none).
std::string Tiered(double v, const char* big, const char* mid, const char* small) {
  char b[32];
  if (v >= 1e6) {
    std::snprintf(b, sizeof b, "%.2f%s", v / 1e6, big);
  } else if (v >= 1e3) {
    std::snprintf(b, sizeof b, "%.1f%s", v / 1e3, mid);
  } else {
    std::snprintf(b, sizeof b, "%.0f%s", v, small);
  }
  return b;
}

}  // namespace

std::string Fmt(double ns) { return Tiered(ns, " ms", " µs", " ns"); }

std::string FmtInstructions(double n) { return Tiered(n, " M", " k", ""); }

std::string Describe(const Missing& m) {
  if (m.counter.empty()) return "missing benchmark " + m.benchmark;
  return "missing counter " + m.counter + " in benchmark " + m.benchmark;
}

void Lookup::Note(Missing m) {
  if (std::find(missing_.begin(), missing_.end(), m) == missing_.end()) missing_.push_back(std::move(m));
}

const Row* Lookup::Find(const std::string& name) {
  auto it = rows_.find(name);
  if (it != rows_.end()) return &it->second;
  Note({name, ""});
  return nullptr;
}

double Lookup::Ns(const std::string& name) {
  const Row* r = Find(name);
  return r != nullptr ? r->value : 0;
}

double Lookup::Counter(const std::string& name, const std::string& key) {
  const Row* r = Find(name);
  if (r == nullptr || !counters_known_) return 0;
  auto it = r->counters.find(key);
  if (it != r->counters.end()) return it->second;
  Note({name, key});
  return 0;
}

std::string Formula(const std::vector<Term>& terms, std::string_view note) {
  static const std::string kPrefix = "BM_Primitive/";
  std::string f;
  for (const Term& t : terms) {
    if (!f.empty()) f += " + ";
    if (t.times != 1) f += std::to_string(t.times) + "×";
    f += t.bench.compare(0, kPrefix.size(), kPrefix) == 0 ? t.bench.substr(kPrefix.size()) : t.bench;
  }
  if (!note.empty()) f.append(" ").append(note);
  return f;
}

RatioLine ComputeRatio(Lookup& lookup, const std::string& op, const std::vector<Term>& terms, const char* note) {
  RatioLine line;
  line.measure = lookup.measure();
  line.op = op;
  for (const Term& t : terms) line.sum += t.times * lookup.Ns(t.bench);
  line.formula = Formula(terms, note != nullptr ? note : "");
  line.ns = lookup.Ns(op);
  line.ratio = line.sum > 0 ? line.ns / line.sum : 0;
  line.within = line.ratio <= kMaxRatio;
  return line;
}

std::string FormatRatioLine(const RatioLine& l) {
  std::string out;
  auto fmt = l.measure == Measure::kInstructions ? FmtInstructions : Fmt;
  Appendf(&out, "| %s | %s | %s | %s | %.2f | %s |\n", l.op.c_str(), fmt(l.ns).c_str(), l.formula.c_str(),
          fmt(l.sum).c_str(), l.ratio, l.within ? "yes" : "**no**");
  return out;
}

namespace {

// Marks a line whose one primitive is a BM_Primitive/sequence-* row: the raw
// calls of the operation made one after the other in one loop iteration.
constexpr const char* kSeqNote = "(sequence: the same raw calls back to back in one loop)";
// Marks a line kept from the first accounting whose list leaves out calls
// the operation makes (the same operation's next line lists them all).
constexpr const char* kPartialNote = "(partial list: leaves out calls the operation makes)";

class Tables {
 public:
  Tables(const Rows& rows, bool counters_known, Measure measure = Measure::kCpuTime)
      : L(rows, counters_known, measure) {}

  TablesResult Build() {
    RatioTable();
    if (L.measure() == Measure::kCpuTime) {  // times and bytes; instruction counts make only the ratios
      SealOpenTable();
      SchemeTable();
    }
    TablesResult r;
    r.missing = L.missing();
    if (r.missing.empty()) r.text = std::move(out_);
    return r;
  }

  // Lists the ratio lines into `specs` as Build goes (RatioSpecs).
  void CollectSpecs(std::vector<RatioSpec>* specs) { specs_ = specs; }

 private:
  void Ratio(const std::string& op, const std::vector<Term>& terms, const char* note = nullptr) {
    if (specs_ != nullptr) specs_->push_back({op, terms, note != nullptr ? note : "", note == kPartialNote});
    const RatioLine line = ComputeRatio(L, op, terms, note);
    out_ += FormatRatioLine(line);
    const bool partial = note == kPartialNote;
    ++(partial ? partial_lines_ : full_lines_);
    if (line.within) ++(partial ? partial_within_ : full_within_);
  }
  void Partial(const std::string& op, const std::vector<Term>& terms) { Ratio(op, terms, kPartialNote); }

  void RatioTable();
  void SmimeRatios(const std::string& a);
  void MikeyRatios();
  void SealRatios();
  void SealOpenTable();
  void SchemeTable();
  void SchemeLine(const std::string& scheme, double setup_b, double setup_ns, double msg_b, double msg_ns);

  const std::string P = "BM_Primitive/";
  Lookup L;
  std::vector<RatioSpec>* specs_ = nullptr;
  std::string out_;
  int full_lines_ = 0, full_within_ = 0, partial_lines_ = 0, partial_within_ = 0;
};

void Tables::RatioTable() {
  if (L.measure() == Measure::kInstructions) {
    Appendf(&out_, "### Wrapper cost in instructions (callgrind) against the OpenSSL primitives it needs (target ≤ 1.10)\n\n");
    Appendf(&out_, "| operation | instructions | primitives | sum | ratio | ≤ 1.10 |\n|---|---|---|---|---|---|\n");
  } else {
    Appendf(&out_, "### Wrapper cost against the OpenSSL primitives it needs (target ≤ 1.10)\n\n");
    Appendf(&out_, "| operation | CPU | primitives | sum | ratio | ≤ 1.10 |\n|---|---|---|---|---|---|\n");
  }
  for (const char* alg : {"rsa2048", "p256"}) SmimeRatios(alg);
  MikeyRatios();
  SealRatios();
  Appendf(&out_, "\nLines with a complete list or a sequence row: %d of %d at or below 1.10. Partial lists: %d of %d.\n",
          full_within_, full_lines_, partial_within_, partial_lines_);
}

void Tables::SmimeRatios(const std::string& a) {
  const bool rsa = a == "rsa2048";
  // Digests are counted as the code computes them (Sha256Of: a kept digest
  // context, SHA-256 fetched once: sha256-kept, sha256-signedattrs-kept,
  // x963kdf-sha256-kept) and CMS content encryption with a fetched cipher
  // (aes128gcm-rekey-fetched), not through EVP_Digest / EVP_aes_128_gcm(),
  // which look the implementation up on every call.
  // Each operation's first line is the original accounting (one signature
  // check standing for the chain); the lines after it list every raw call
  // the operation needs: the digest of the signed attributes, decoding the
  // carried certificate (d2i_X509) and validating its path (X509_verify_cert).
  const Term attrs{1, P + "sha256-signedattrs-kept/" + a};
  const Term d2i{1, P + "d2i_x509/" + a};
  const Term chain{1, P + "verify_chain/" + a};
  for (const char* size : {"100", "65536"}) {
    const std::string s = size;
    Partial("BM_Smime/sign/" + a + "/" + s, {{1, P + "sign/" + a}, {1, P + "sha256-kept/" + s}});
    Ratio("BM_Smime/sign/" + a + "/" + s, {{1, P + "sign/" + a}, {1, P + "sha256-kept/" + s}, attrs});
    Partial("BM_Smime/verify/" + a + "/" + s, {{2, P + "verify/" + a}, {1, P + "sha256-kept/" + s}});
    Ratio("BM_Smime/verify/" + a + "/" + s, {{1, P + "verify/" + a}, {1, P + "sha256-kept/" + s}, attrs, d2i, chain});
    // The same raw calls made back to back in one loop (the BM_Primitive/sequence-* rows).
    Ratio("BM_Smime/verify/" + a + "/" + s, {{1, P + "sequence-verify/" + a + "-" + s}}, kSeqNote);
  }
  // Without the certificate in the message (the receiver has it parsed).
  Partial("BM_Smime/verify/" + a + "-nocert/100", {{2, P + "verify/" + a}, {1, P + "sha256-kept/100"}});
  Ratio("BM_Smime/verify/" + a + "-nocert/100", {{1, P + "verify/" + a}, {1, P + "sha256-kept/100"}, attrs, chain});
  // Certificate in the message, already in the receiver's CertCache (parsed,
  // chain checked, validity re-checked): only the message's own signature.
  Ratio("BM_Smime/verify/" + a + "-cached/100", {{1, P + "verify/" + a}, {1, P + "sha256-kept/100"}, attrs});
  // P-256 KARI (sender and receiver): the peer point gets the partial check
  // (EVP_PKEY_public_check_quick) and the derivation runs without OpenSSL's
  // full check, whose n*Q multiplication adds nothing at cofactor 1.
  // The sender's ephemeral key comes from EVP_EC_gen (the group built by
  // name: keygen/p256); the receiver imports the originator's point by
  // EVP_PKEY_fromdata from a plain parameter array (import_peer-params).
  const std::string kari_z = P + "derive-quickcheck/p256";
  // The lean encryption draws the content key and the IV (two RAND_bytes);
  // the RSA receive computes its rejection key (HMAC-SHA-256 of the
  // encrypted key) whether or not the key decrypts.
  const Term rand2{2, P + "rand_bytes/16"}, rejection{1, P + "hmac-sha256-sha256ctx/256"};
  for (const int n : {1, 16}) {
    const std::string enc = a + "-aes128gcm-r" + std::to_string(n);
    std::vector<Term> e = rsa ? std::vector<Term>{{n, P + "encrypt/rsa2048-pkcs1"}}
                              : std::vector<Term>{{n, P + "keygen/p256"}, {n, kari_z}};
    e.push_back({1, P + "aes128gcm-rekey-fetched/100"});
    if (rsa) e.push_back(rand2);
    // RSA: complete; P-256: without the KEK derivation and wrap (next line).
    Ratio("BM_Smime/encrypt/" + enc + "/100", e, rsa ? nullptr : kPartialNote);
    // P-256 key agreement also derives a KEK (X9.63, SHA-256) and wraps or
    // unwraps the content key with it per recipient; the receiver turns the
    // originator's ephemeral point into a key first.
    const Term kdf{n, P + "x963kdf-sha256-kept/p256"}, wrap{n, P + "aes128-wrap/16"};
    const std::vector<Term> kari_rx = {{1, P + "import_peer-params/p256"}, {1, kari_z},
                                       {1, P + "x963kdf-sha256-kept/p256"}, {1, P + "aes128-unwrap/16"}};
    if (!rsa) {
      std::vector<Term> e_full = {{n, P + "keygen/p256"}, {n, kari_z}, kdf, wrap};
      e_full.push_back({1, P + "aes128gcm-rekey-fetched/100"});
      e_full.push_back(rand2);
      Ratio("BM_Smime/encrypt/" + enc + "/100", e_full);
    }
    std::vector<Term> d = {{1, rsa ? P + "decrypt/rsa2048-pkcs1" : kari_z}, {1, P + "aes128gcm-rekey-fetched/100"}};
    if (rsa) d.push_back(rejection);
    Ratio("BM_Smime/decrypt/" + enc + "/100", d, rsa ? nullptr : kPartialNote);
    // The receive side as listed in full (for RSA the same as above).
    std::vector<Term> d_full = rsa ? d : kari_rx;
    if (!rsa) {
      d_full.push_back({1, P + "aes128gcm-rekey-fetched/100"});
      Ratio("BM_Smime/decrypt/" + enc + "/100", d_full);
    }
    std::vector<Term> se = e;
    se.push_back({1, P + "sign/" + a});
    se.push_back({1, P + "sha256-kept/100"});
    Partial("BM_Smime/sign_encrypt/" + enc + "/100", se);
    std::vector<Term> se_full = rsa ? e : std::vector<Term>{{n, P + "keygen/p256"}, {n, kari_z}, kdf, wrap,
                                                              {1, P + "aes128gcm-rekey-fetched/100"}, rand2};
    se_full.push_back({1, P + "sign/" + a});
    se_full.push_back({1, P + "sha256-kept/100"});
    se_full.push_back(attrs);
    Ratio("BM_Smime/sign_encrypt/" + enc + "/100", se_full);
    std::vector<Term> dv = d;
    dv.push_back({2, P + "verify/" + a});
    dv.push_back({1, P + "sha256-kept/100"});
    Partial("BM_Smime/decrypt_verify/" + enc + "/100", dv);
    std::vector<Term> dv_cached = d_full;
    dv_cached.push_back({1, P + "verify/" + a});
    dv_cached.push_back({1, P + "sha256-kept/100"});
    dv_cached.push_back(attrs);
    std::vector<Term> dv_full = dv_cached;
    dv_full.push_back(d2i);
    dv_full.push_back(chain);
    Ratio("BM_Smime/decrypt_verify/" + enc + "/100", dv_full);
    if (n == 1) {
      Ratio("BM_Smime/decrypt_verify/" + enc + "/100", {{1, P + "sequence-decrypt_verify/" + a + "-r1-100"}}, kSeqNote);
      Ratio("BM_Smime/decrypt_verify/" + enc + "-cached/100", dv_cached);
      // The same four operations with AES-128-CBC EnvelopedData (complete lists).
      const std::string cbc = a + "-aes128cbc-r1";
      std::vector<Term> ce = rsa ? std::vector<Term>{{1, P + "encrypt/rsa2048-pkcs1"}}
                                 : std::vector<Term>{{1, P + "keygen/p256"}, {1, kari_z}, kdf, wrap};
      ce.push_back({1, P + "aes128cbc-rekey-fetched/100"});
      ce.push_back(rand2);
      Ratio("BM_Smime/encrypt/" + cbc + "/100", ce);
      std::vector<Term> cd = rsa ? std::vector<Term>{{1, P + "decrypt/rsa2048-pkcs1"}, rejection} : kari_rx;
      cd.push_back({1, P + "aes128cbc-rekey-fetched-decrypt/100"});
      Ratio("BM_Smime/decrypt/" + cbc + "/100", cd);
      ce.insert(ce.end(), {{1, P + "sign/" + a}, {1, P + "sha256-kept/100"}, attrs});
      Ratio("BM_Smime/sign_encrypt/" + cbc + "/100", ce);
      cd.insert(cd.end(), {{1, P + "verify/" + a}, {1, P + "sha256-kept/100"}, attrs, d2i, chain});
      Ratio("BM_Smime/decrypt_verify/" + cbc + "/100", cd);
    }
  }
}

void Tables::MikeyRatios() {
  const std::string rs = P + "sign/rsa2048", rv = P + "verify/rsa2048";
  // A signed MIKEY message carries its signer's certificate in CERT: the
  // receiver decodes it and validates its path (no purpose) besides checking
  // SIGN; the second line of each receiving row lists those calls.
  const std::vector<Term> cert_rx = {{1, rv}, {1, P + "d2i_x509/rsa2048"}, {1, P + "verify_chain/rsa2048-anypurpose"}};
  // The third line of each I_MESSAGE receive compares it with the same raw
  // calls of the second line made back to back in one loop (sequence-i_process).
  auto with_cert = [&](std::vector<Term> rest) {
    rest.insert(rest.begin(), cert_rx.begin(), cert_rx.end());
    return rest;
  };
  // Every I_MESSAGE draws its 16-byte RAND with RAND_bytes; PKE also its
  // TGK and envelope key (16 bytes each).
  const Term rand16{1, P + "rand_bytes/16"};
  // A signer hashes the message up to the SIGN signature field with SHA-256
  // (RsaSign: Sha256Of, sha256-kept) before sign/rsa2048, which signs the
  // digest; a verifier hashes the same range before verify/rsa2048.
  // MikeySignedInput names the ranges: I's (i_build, i_process) and R's
  // (i_process, r_process).
  auto sha_i = [&](const std::string& row) {
    return Term{1, P + "sha256-kept/" + std::to_string(MikeySignedInput(row).i_signed)};
  };
  auto sha_r = [&](const std::string& row) {
    return Term{1, P + "sha256-kept/" + std::to_string(MikeySignedInput(row).r_signed)};
  };
  // PSK and PKE (MikeyKemacInput): the message keys (encr, auth, salt) from
  // three PRF runs under one key (PSK or envelope key: set up once, then six
  // HMACs, over each label and over A_1 || label), the key data's AES-CM
  // (aes128ctr-fetched), the KEMAC MAC under the auth key (a new key), and
  // in i_process the V MAC under the same auth key. Counted by interposing
  // SHA1_Init / SHA1_Final and EVP_EncryptInit_ex / EVP_EncryptUpdate in one
  // exchange (the code sets the PRF key up once per PRF run, three times).
  auto kemac_terms = [&](const std::string& row, bool receive) {
    const MikeyKemacBytes m = MikeyKemacInput(row);
    std::vector<Term> t = {{1, P + "hmac-sha1-sha1ctx-keyed/" + std::to_string(kMikeyPrfLabelBytes)},
                           {2, P + "hmac-sha1-sha1ctx/" + std::to_string(kMikeyPrfLabelBytes)},
                           {3, P + "hmac-sha1-sha1ctx/" + std::to_string(kMikeyPrfSecondBytes)},
                           {1, P + "aes128ctr-fetched/" + std::to_string(m.key_data)},
                           {1, P + "hmac-sha1-sha1ctx-keyed/" + std::to_string(m.kemac_mac)}};
    if (receive) t.push_back({1, P + "hmac-sha1-sha1ctx/" + std::to_string(m.v_mac)});
    return t;
  };
  auto plus = [](std::vector<Term> a, const std::vector<Term>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  // PSK: the I_MESSAGE draws RAND and the TGK; the rest as PKE's
  // symmetric work. The V check (psk and pke r_process): the auth key by one
  // PRF run (two HMACs under a new key), then the V MAC under it.
  const MikeyKemacBytes v = MikeyKemacInput("psk");
  const std::vector<Term> v_check = {{1, P + "hmac-sha1-sha1ctx-keyed/" + std::to_string(kMikeyPrfLabelBytes)},
                                     {1, P + "hmac-sha1-sha1ctx/" + std::to_string(kMikeyPrfSecondBytes)},
                                     {1, P + "hmac-sha1-sha1ctx-keyed/" + std::to_string(v.v_mac)}};
  Ratio("BM_Mikey/psk/i_build", plus({{2, P + "rand_bytes/16"}}, kemac_terms("psk", false)));
  Ratio("BM_Mikey/psk/i_process", kemac_terms("psk", true));
  Ratio("BM_Mikey/psk/r_process", v_check);
  Ratio("BM_Mikey/pke/r_process", v_check);
  Ratio("BM_Mikey/pke/i_build", plus({{1, P + "encrypt/rsa2048-oaep"}, {1, rs}, {3, P + "rand_bytes/16"}, sha_i("pke")},
                                     kemac_terms("pke", false)));
  Partial("BM_Mikey/pke/i_process", {{2, rv}, {1, P + "decrypt/rsa2048-oaep"}});
  Ratio("BM_Mikey/pke/i_process",
        with_cert(plus({{1, P + "decrypt/rsa2048-oaep"}, sha_i("pke")}, kemac_terms("pke", true))));
  Ratio("BM_Mikey/pke/i_process", {{1, P + "sequence-i_process/pke"}}, kSeqNote);
  Ratio("BM_Mikey/pke/i_process-cached",
        plus({{1, rv}, {1, P + "decrypt/rsa2048-oaep"}, sha_i("pke")}, kemac_terms("pke", true)));
  // OAKLEY 5 (DH, DHHMAC): the peer's value is checked by sipim as
  // 1 < y < p-1 and Legendre symbol (y|p) = 1 (BN_kronecker: legendre/modp1536),
  // then derived without OpenSSL's y^q check (derive-nocheck/modp1536), where
  // derive/modp1536 ran that check; keys are still generated by group name
  // (keygen/modp1536) and the peer's value imported by name (import_peer/modp1536).
  const Term dh_z{1, P + "derive-nocheck/modp1536"}, dh_chk{1, P + "legendre/modp1536"};
  const Term imp_dh{1, P + "import_peer/modp1536"}, gen_dh{1, P + "keygen/modp1536"};
  Ratio("BM_Mikey/dh/i_build", {gen_dh, {1, rs}, rand16, sha_i("dh")});
  Partial("BM_Mikey/dh/i_process", {{2, rv}, gen_dh, dh_chk, dh_z, {1, rs}});
  // DH-family receivers also turn the peer's public value into a key (import_peer).
  Ratio("BM_Mikey/dh/i_process", with_cert({gen_dh, imp_dh, dh_chk, dh_z, {1, rs}, sha_i("dh"), sha_r("dh")}));
  Ratio("BM_Mikey/dh/i_process", {{1, P + "sequence-i_process/dh"}}, kSeqNote);
  Ratio("BM_Mikey/dh/i_process-cached", {{1, rv}, gen_dh, imp_dh, dh_chk, dh_z, {1, rs}, sha_i("dh"), sha_r("dh")});
  Partial("BM_Mikey/dh/r_process", {{2, rv}, dh_chk, dh_z});
  Ratio("BM_Mikey/dh/r_process", with_cert({imp_dh, dh_chk, dh_z, sha_r("dh")}));
  // The same raw calls back to back on a real R_MESSAGE (sequence-r_process):
  // a new certificate's first-use costs, which the separate rows leave out.
  Ratio("BM_Mikey/dh/r_process", {{1, P + "sequence-r_process/dh"}}, kSeqNote);
  Ratio("BM_Mikey/dh/r_process-cached", {{1, rv}, imp_dh, dh_chk, dh_z, sha_r("dh")});
  // ECDH-ext: keys generated from a kept P-256 parameter key with a kept
  // keygen context (keygen-kept), peer points imported into a copy of it
  // (import_peer-kept), checked partially and derived without OpenSSL's full
  // check (derive-quickcheck, which includes the partial check).
  const Term ec_z{1, P + "derive-quickcheck/p256"}, imp_ec{1, P + "import_peer-kept/p256"},
      gen_ec{1, P + "keygen-kept/p256"};
  Ratio("BM_Mikey/ecdh-ext/i_build", {gen_ec, {1, rs}, rand16, sha_i("ecdh-ext")});
  Partial("BM_Mikey/ecdh-ext/i_process", {{2, rv}, gen_ec, ec_z, {1, rs}});
  const Term ec_si = sha_i("ecdh-ext"), ec_sr = sha_r("ecdh-ext");
  Ratio("BM_Mikey/ecdh-ext/i_process", with_cert({gen_ec, imp_ec, ec_z, {1, rs}, ec_si, ec_sr}));
  Ratio("BM_Mikey/ecdh-ext/i_process", {{1, P + "sequence-i_process/ecdh-ext"}}, kSeqNote);
  Ratio("BM_Mikey/ecdh-ext/i_process-cached", {{1, rv}, gen_ec, imp_ec, ec_z, {1, rs}, ec_si, ec_sr});
  Partial("BM_Mikey/ecdh-ext/r_process", {{2, rv}, ec_z});
  Ratio("BM_Mikey/ecdh-ext/r_process", with_cert({imp_ec, ec_z, ec_sr}));
  Ratio("BM_Mikey/ecdh-ext/r_process", {{1, P + "sequence-r_process/ecdh-ext"}}, kSeqNote);
  Ratio("BM_Mikey/ecdh-ext/r_process-cached", {{1, rv}, imp_ec, ec_z, ec_sr});
  // DHHMAC's HMAC-SHA-1 work (DhhmacMacInput): the auth key from the MIKEY
  // PRF on each side (a key set-up and an HMAC over the label, the same key
  // over A_1 || label: hmac-sha1-sha1ctx-keyed + hmac-sha1-sha1ctx), then
  // the KEMAC MACs under the auth key: i_build makes I's, r_process checks
  // R's, i_process checks I's and makes R's (the second under the key the
  // first set up: needed once).
  const std::string hk = P + "hmac-sha1-sha1ctx-keyed/", hc = P + "hmac-sha1-sha1ctx/";
  auto with_macs = [&](const std::string& modp, std::vector<Term> rest, const char* op) {
    const DhhmacMacBytes m = DhhmacMacInput(modp);
    const std::string op_s = op;
    rest.push_back({1, hk + std::to_string(kMikeyPrfLabelBytes)});
    rest.push_back({1, hc + std::to_string(kMikeyPrfSecondBytes)});
    rest.push_back({1, hk + std::to_string(op_s == "r_process" ? m.r_mac : m.i_mac)});
    if (op_s == "i_process") rest.push_back({1, hc + std::to_string(m.r_mac)});
    return rest;
  };
  Ratio("BM_Mikey/dhhmac/i_build", with_macs("modp1536", {gen_dh, rand16}, "i_build"));
  Partial("BM_Mikey/dhhmac/i_process", {gen_dh, dh_chk, dh_z});
  Ratio("BM_Mikey/dhhmac/i_process", with_macs("modp1536", {gen_dh, imp_dh, dh_chk, dh_z}, "i_process"));
  Partial("BM_Mikey/dhhmac/r_process", {dh_chk, dh_z});
  Ratio("BM_Mikey/dhhmac/r_process", with_macs("modp1536", {imp_dh, dh_chk, dh_z}, "r_process"));
  // DH and DHHMAC in OAKLEY 1 and 2 (rows dh-oakley1, dhhmac-oakley2, ...):
  // the same calls in the group's size (keys from kept explicit parameters,
  // values imported with p and g), judged by the same complete lists and the
  // DH receives' sequence rows.
  for (const auto& [group, modp] : {std::pair{"oakley1", "modp768"}, std::pair{"oakley2", "modp1024"}}) {
    const std::string m = modp, dh = "BM_Mikey/dh-" + std::string(group) + "/",
                      hmac = "BM_Mikey/dhhmac-" + std::string(group) + "/";
    const Term z{1, P + "derive-nocheck/" + m}, chk{1, P + "legendre/" + m}, imp{1, P + "import_peer/" + m},
        gen{1, P + "keygen/" + m};
    const std::string row = "dh-" + std::string(group);
    const Term si = sha_i(row), sr = sha_r(row);
    Ratio(dh + "i_build", {gen, {1, rs}, rand16, si});
    Ratio(dh + "i_process", with_cert({gen, imp, chk, z, {1, rs}, si, sr}));
    Ratio(dh + "i_process", {{1, P + "sequence-i_process/dh-" + group}}, kSeqNote);
    Ratio(dh + "i_process-cached", {{1, rv}, gen, imp, chk, z, {1, rs}, si, sr});
    Ratio(dh + "r_process", with_cert({imp, chk, z, sr}));
    Ratio(dh + "r_process", {{1, P + "sequence-r_process/dh-" + group}}, kSeqNote);
    Ratio(dh + "r_process-cached", {{1, rv}, imp, chk, z, sr});
    Ratio(hmac + "i_build", with_macs(m, {gen, rand16}, "i_build"));
    Ratio(hmac + "i_process", with_macs(m, {gen, imp, chk, z}, "i_process"));
    Ratio(hmac + "r_process", with_macs(m, {imp, chk, z}, "r_process"));
  }
}

void Tables::SealRatios() {
  for (const int bytes : {100, 1300, 65536}) {
    const std::string s = std::to_string(bytes);
    // GCM as SealSession runs it: context keyed once, tag read (seal) or set
    // (open, decrypting) through EVP_CIPHER_CTX_get/set_params.
    Ratio("BM_Seal/aes128gcm/" + s, {{1, P + "aes128gcm-aad43-params/" + s}});
    Ratio("BM_Open/aes128gcm/" + s, {{1, P + "aes128gcm-aad43-decrypt/" + s}});
    // AES-CM + HMAC-SHA1-80: HMAC from low-level SHA_CTX pad states
    // (hmac-sha1-sha1ctx); the keystream from one AES-ECB call over the
    // counter blocks up to 256 bytes (aes128ecb-ctrblocks), else the kept CTR
    // context given a new IV (aes128ctr-update).
    const std::string hc = P + "hmac-sha1-sha1ctx/" + std::to_string(bytes + 43);
    const std::string ks = bytes <= 256 ? P + "aes128ecb-ctrblocks/" + s : P + "aes128ctr-update/" + s;
    Ratio("BM_Seal/aescm-hmacsha1-80/" + s, {{1, ks}, {1, hc}});
    Ratio("BM_Open/aescm-hmacsha1-80/" + s, {{1, ks}, {1, hc}});
    if (bytes <= 256) {
      // The same two calls back to back in one loop (sequence-aescm).
      Ratio("BM_Seal/aescm-hmacsha1-80/" + s, {{1, P + "sequence-aescm/" + s}}, kSeqNote);
      Ratio("BM_Open/aescm-hmacsha1-80/" + s, {{1, P + "sequence-aescm/" + s}}, kSeqNote);
    }
  }
}

void Tables::SealOpenTable() {
  Appendf(&out_, "\n### Seal + open of one 100-byte message (target ≤ 1 µs)\n\n| suite | seal + open CPU | ≤ 1 µs |\n|---|---|---|\n");
  for (const char* suite : {"aes128gcm", "aescm-hmacsha1-80"}) {
    const double ns = L.Ns(std::string("BM_SealOpen/") + suite + "/100");
    Appendf(&out_, "| %s | %s | %s |\n", suite, Fmt(ns).c_str(), ns <= kSealOpenTargetNs ? "yes" : "**no**");
  }
}

// Setup once, then n messages: bytes and CPU for 1, 10 and 1000 messages.
void Tables::SchemeLine(const std::string& scheme, double setup_b, double setup_ns, double msg_b, double msg_ns) {
  Appendf(&out_, "| %s | %.0f | %s | %.0f | %s |", scheme.c_str(), setup_b, Fmt(setup_ns).c_str(), msg_b,
          Fmt(msg_ns).c_str());
  for (int n : {1, 10, 1000}) {
    Appendf(&out_, " %.0f B / %s |", setup_b + n * msg_b, Fmt(setup_ns + n * msg_ns).c_str());
  }
  Appendf(&out_, "\n");
}

void Tables::SchemeTable() {
  Appendf(&out_, "\n### S/MIME per message vs MIKEY once + sealing per message (100-byte messages, one session)\n\n");
  Appendf(&out_, "CPU is sender + receiver together; bytes are the security payloads only (S/MIME bodies; MIKEY I+R\n"
                 "messages and sealed frames), not the SIP or MSRP framing around them.\n\n");
  Appendf(&out_, "| scheme | setup bytes | setup CPU | per-message bytes | per-message CPU | 1 msg: bytes / CPU | 10 msgs: bytes / CPU | 1000 msgs: bytes / CPU |\n");
  Appendf(&out_, "|---|---|---|---|---|---|---|---|\n");
  for (const std::string alg : {"rsa2048", "p256"}) {
    for (const std::string cipher : {"aes128gcm", "aes128cbc"}) {
      const std::string enc = alg + "-" + cipher + "-r1/100";
      const std::string se = "BM_Smime/sign_encrypt/" + enc, dv = "BM_Smime/decrypt_verify/" + enc;
      const std::string scheme = "S/MIME sign+encrypt " + alg + " " + cipher;
      SchemeLine(scheme, 0, 0, L.Counter(se, "bytes_out"), L.Ns(se) + L.Ns(dv));
      if (cipher == "aes128gcm") {  // the receiver has the sender's certificate cached
        const std::string dvc = "BM_Smime/decrypt_verify/" + alg + "-" + cipher + "-r1-cached/100";
        SchemeLine(scheme + ", receiver certificate cache", 0, 0, L.Counter(se, "bytes_out"), L.Ns(se) + L.Ns(dvc));
      }
    }
  }
  for (const std::string mode : {"psk", "pke", "dh", "dhhmac", "ecdh-ext"}) {
    const std::string m = "BM_Mikey/" + mode + "/";
    // Both ends derive the session keys from the TGK (its size per mode).
    const std::string prf = "BM_Kdf/session_keys/mikey1/";
    const std::string tgk = mode == "dh" || mode == "dhhmac" ? "192" : mode == "ecdh-ext" ? "32" : "16";
    const double setup_ns = L.Ns(m + "i_build") + L.Ns(m + "i_process") + L.Ns(m + "r_process") + 2 * L.Ns(prf + tgk);
    const double setup_b = L.Counter(m + "i_build", "bytes_i") + L.Counter(m + "i_build", "bytes_r");
    for (const std::string suite : {"aes128gcm", "aescm-hmacsha1-80"}) {
      const std::string so = "BM_SealOpen/" + suite + "/100";
      SchemeLine("MIKEY " + mode + " + " + suite, setup_b, setup_ns, L.Counter(so, "bytes_out"), L.Ns(so));
    }
  }
}

}  // namespace

TablesResult BuildTables(const Rows& rows, bool counters_known) { return Tables(rows, counters_known).Build(); }

TablesResult BuildInstructionTable(const Rows& rows) {
  return Tables(rows, /*counters_known=*/true, Measure::kInstructions).Build();
}

std::vector<RatioSpec> RatioSpecs() {
  const Rows none;
  std::vector<RatioSpec> specs;
  Tables t(none, false);
  t.CollectSpecs(&specs);
  t.Build();
  return specs;
}

MikeyKemacBytes MikeyKemacInput(std::string_view row) {
  // V: R up to the MAC (HDR, T, IDr, V header: 53 bytes) and the 44 bytes
  // of IDi || IDr || T. PKE's key data also carries IDi.
  if (row == "psk") return {148, 20, 97};
  if (row == "pke") return {1006, 42, 97};
  return {0, 0, 0};
}

MikeySignedBytes MikeySignedInput(std::string_view row) {
  // I: HDR, T, RAND, CERT (the 2048-bit RSA certificate), IDr, SP, then the
  // DH value (DH) or PKE's KEMAC and PKE payload, and the SIGN header; R
  // (DH): HDR, T, CERT, IDi, DHr, DHi, SIGN header.
  if (row == "pke") return {1287, 0};
  if (row == "dh") return {1156, 1301};
  if (row == "ecdh-ext") return {1030, 1049};
  if (row == "dh-oakley1") return {1060, 1109};
  if (row == "dh-oakley2") return {1092, 1173};
  return {0, 0};
}

DhhmacMacBytes DhhmacMacInput(std::string_view modp) {
  // 131 bytes besides the DH value in I (HDR, T, RAND, IDi, IDr, SP, DH
  // header, KEMAC up to its MAC); 84 besides DHr and DHi in R.
  if (modp == "modp1536") return {323, 468};
  if (modp == "modp768") return {227, 276};
  if (modp == "modp1024") return {259, 340};
  return {0, 0};
}

std::vector<std::string> TableBenchmarks() {
  const Rows none;
  std::vector<std::string> names;
  for (const Missing& m : BuildTables(none, false).missing) names.push_back(m.benchmark);
  return names;
}

// ------------------------------------------------------------ instruction counts

namespace {

// The lines of `text`, without their line ends.
template <typename F>
void ForEachLine(std::string_view text, F f) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    f(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The first whitespace-separated number after `prefix` on `line`.
std::optional<double> FirstNumber(std::string_view line, std::size_t prefix) {
  line.remove_prefix(prefix);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
  if (ec != std::errc() || (end != line.data() + line.size() && *end != ' ')) return std::nullopt;
  return v;
}

// One --benchmark_out document of a run under callgrind: the benchmarks in
// run order and the one iteration count they all ran.
struct RunList {
  std::vector<std::string> names;
  long long iterations = 0;
};

std::optional<std::string> ReadRunList(std::string_view json_text, RunList* out) {
  Json root;
  std::string error;
  const Json* benches = BenchmarksArray(json_text, &root, &error);
  if (benches == nullptr) return error;
  for (std::size_t i = 0; i < benches->arr.size(); ++i) {
    const Json& b = benches->arr[i];
    const std::string where = "benchmarks[" + std::to_string(i) + "]";
    const std::string* name = b.type == Json::kObj ? StringField(b, "name") : nullptr;
    if (name == nullptr) return where + ": no \"name\" string";
    const std::string* run_type = StringField(b, "run_type");
    if (run_type != nullptr && *run_type == "aggregate") {
      return where + " (" + *name + "): an aggregate row; count instructions with one repetition";
    }
    const Json* err = b.Get("error_occurred");
    if (err != nullptr && err->type == Json::kBool && err->b) {
      const std::string* msg = StringField(b, "error_message");
      return where + " (" + *name + ") reported an error" + (msg ? ": " + *msg : std::string());
    }
    const Json* it = b.Get("iterations");
    if (it == nullptr || it->type != Json::kNum || !(it->num >= 1)) return where + " (" + *name + "): no iteration count";
    const auto n = static_cast<long long>(it->num);
    if (out->iterations != 0 && n != out->iterations) {
      return where + " (" + *name + ") ran " + std::to_string(n) + " iterations, the benchmarks before it " +
             std::to_string(out->iterations) + " (run with --iterations)";
    }
    out->iterations = n;
    out->names.push_back(StripRunSettings(*name));
  }
  if (out->names.empty()) return std::string("no benchmarks");
  return std::nullopt;
}

// The loop dumps' instruction counts, in order.
std::vector<double> LoopCounts(const std::vector<CallgrindDump>& dumps) {
  std::vector<double> v;
  for (const CallgrindDump& d : dumps) {
    if (IsLoopDump(d)) v.push_back(d.instructions);
  }
  return v;
}

}  // namespace


std::optional<std::string> ParseCallgrindDump(std::string_view text, CallgrindDump* out) {
  bool events = false, total = false, part = false;
  std::optional<std::string> error;
  ForEachLine(text, [&](std::string_view line) {
    if (error) return;
    if (StartsWith(line, "events:")) {
      std::string_view ev = line.substr(7);
      while (!ev.empty() && ev.front() == ' ') ev.remove_prefix(1);
      if (ev.substr(0, ev.find(' ')) != "Ir") error = "the first event is not Ir: " + std::string(line);
      events = true;
    } else if (StartsWith(line, "part:")) {
      const std::optional<double> v = FirstNumber(line, 5);
      if (!v || *v < 1) error = "\"part:\" is not a positive number: " + std::string(line);
      if (v) out->part = static_cast<long long>(*v);
      part = true;
    } else if (StartsWith(line, "desc: Trigger: ")) {
      out->trigger = std::string(line.substr(15));
    } else if ((StartsWith(line, "totals:") || StartsWith(line, "summary:")) && !total) {
      const std::optional<double> v = FirstNumber(line, line[0] == 't' ? 7 : 8);
      if (!v || *v < 0) error = "the total is not a count: " + std::string(line);
      if (v) out->instructions = *v;
      total = true;
    }
  });
  if (error) return error;
  if (!events) return std::string("no \"events:\" line: not a callgrind dump");
  if (!part) return std::string("no \"part:\" line");
  if (!total) return std::string("no \"totals:\" or \"summary:\" line");
  return std::nullopt;
}

bool IsLoopDump(const CallgrindDump& d) { return StartsWith(d.trigger, "--dump-after=") &&
                                                 d.trigger.find("FinishKeepRunning") != std::string::npos; }

InstructionResult InstructionsPerIteration(const CountedRun& a, const CountedRun& b) {
  InstructionResult r;
  RunList la, lb;
  if (std::optional<std::string> e = ReadRunList(a.json_text, &la)) return r.error = "first run: " + *e, r;
  if (std::optional<std::string> e = ReadRunList(b.json_text, &lb)) return r.error = "second run: " + *e, r;
  if (la.names != lb.names) {
    return r.error = "the two runs ran different benchmarks (" + std::to_string(la.names.size()) + " and " +
                     std::to_string(lb.names.size()) + "); run both with the same filter",
           r;
  }
  if (la.iterations == lb.iterations) {
    return r.error = "both runs ran " + std::to_string(la.iterations) + " iterations; the second needs more", r;
  }
  const std::vector<double> ca = LoopCounts(a.dumps), cb = LoopCounts(b.dumps);
  for (const auto& [counts, which] : {std::pair{&ca, "first"}, std::pair{&cb, "second"}}) {
    if (counts->size() != la.names.size()) {
      return r.error = std::string(which) + " run: " + std::to_string(counts->size()) + " loop dumps for " +
                       std::to_string(la.names.size()) +
                       " benchmarks (callgrind needs --dump-after=benchmark::State::FinishKeepRunning())",
             r;
    }
  }
  r.iterations_a = la.iterations;
  r.iterations_b = lb.iterations;
  const double di = static_cast<double>(lb.iterations - la.iterations);
  for (std::size_t i = 0; i < la.names.size(); ++i) {
    const double per = (cb[i] - ca[i]) / di;
    if (!(per > 0)) {
      r.rows.clear();
      return r.error = la.names[i] + ": " + std::to_string(lb.iterations) + " iterations counted no more instructions than " +
                       std::to_string(la.iterations),
             r;
    }
    r.rows.push_back({la.names[i], per});
  }
  return r;
}

std::string FormatInstructionJson(const InstructionResult& r) {
  std::string out;
  Appendf(&out,
          "{\n  \"context\": {\"measure\": \"instructions per iteration (callgrind Ir)\", "
          "\"iterations_a\": %lld, \"iterations_b\": %lld},\n  \"benchmarks\": [\n",
          r.iterations_a, r.iterations_b);
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    Appendf(&out, "    {\"name\": %s, \"instructions_per_iteration\": %.1f}%s\n", JsonString(r.rows[i].name).c_str(),
            r.rows[i].per_iteration, i + 1 < r.rows.size() ? "," : "");
  }
  out += "  ]\n}\n";
  return out;
}

LoadResult LoadInstructionRows(std::string_view json_text) {
  LoadResult r;
  Json root;
  const Json* benches = BenchmarksArray(json_text, &root, &r.error);
  if (benches == nullptr) return r;
  for (std::size_t i = 0; i < benches->arr.size(); ++i) {
    const Json& b = benches->arr[i];
    const std::string where = "benchmarks[" + std::to_string(i) + "]";
    const std::string* name = b.type == Json::kObj ? StringField(b, "name") : nullptr;
    const Json* n = name != nullptr ? b.Get("instructions_per_iteration") : nullptr;
    std::string problem;
    if (name == nullptr) {
      problem = where + ": no \"name\" string";
    } else if (n == nullptr || n->type != Json::kNum || !std::isfinite(n->num) || n->num <= 0) {
      problem = where + " (" + *name + "): no positive \"instructions_per_iteration\"";
    } else if (r.rows.count(*name) != 0) {
      problem = where + ": " + *name + " appears twice";
    }
    if (!problem.empty()) {
      r.rows.clear();
      r.error = problem;
      return r;
    }
    Row row;
    row.name = *name;
    row.value = n->num;
    r.rows[row.name] = std::move(row);
  }
  return r;
}

InstructionComparison CompareInstructions(const Rows& base, const Rows& now, double tolerance) {
  InstructionComparison c;
  for (const auto& [name, b] : base) {
    auto it = now.find(name);
    if (it == now.end()) {
      c.only_base.push_back(name);
      continue;
    }
    ++c.compared;
    const InstructionChange change{name, b.value, it->second.value};
    if (change.ratio() > 1 + tolerance) c.regressions.push_back(change);
    if (change.ratio() < 1 - tolerance) c.improvements.push_back(change);
  }
  for (const auto& [name, r] : now) {
    if (base.count(name) == 0) c.only_new.push_back(name);
  }
  auto by = [](bool worst_first) {
    return [worst_first](const InstructionChange& a, const InstructionChange& b) {
      return worst_first ? a.ratio() > b.ratio() : a.ratio() < b.ratio();
    };
  };
  std::stable_sort(c.regressions.begin(), c.regressions.end(), by(true));
  std::stable_sort(c.improvements.begin(), c.improvements.end(), by(false));
  return c;
}

std::string FormatComparison(const InstructionComparison& c, double tolerance) {
  std::string out;
  for (const auto* list : {&c.regressions, &c.improvements}) {
    for (const InstructionChange& x : *list) {
      Appendf(&out, "%s %s: %s -> %s instructions (%.3fx)\n", list == &c.regressions ? "REGRESSION" : "improved",
              x.name.c_str(), FmtInstructions(x.base).c_str(), FmtInstructions(x.now).c_str(), x.ratio());
    }
  }
  Appendf(&out, "%zu compared at a tolerance of %.1f %%: %zu regressions, %zu improvements; %zu only in the base, %zu only in the new file\n",
          c.compared, tolerance * 100, c.regressions.size(), c.improvements.size(), c.only_base.size(), c.only_new.size());
  return out;
}

}  // namespace sipim::secreport
