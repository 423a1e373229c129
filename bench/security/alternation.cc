#include "alternation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "common/json_string.h"

namespace sipim::alternation {

std::int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// ------------------------------------------------------------ BatchState

void BatchState::SkipWithError(const char* message) {
  std::lock_guard<std::mutex> lock(mu_);
  error_ = message;
}

std::int64_t BatchState::NextBatch() {
  if (done_) return 0;  // the loop's end test after begin() got 0
  const std::int64_t now = clock_();
  std::unique_lock<std::mutex> lock(mu_);
  if (timing_) {
    elapsed_ = now - start_ - paused_;
    timing_ = false;
  }
  waiting_ = true;
  cv_.notify_all();
  cv_.wait(lock, [&] { return request_ >= 0; });
  // After SkipWithError the loop ends, as Google Benchmark's does.
  const std::int64_t n = error_.empty() ? request_ : 0;
  request_ = -1;
  lock.unlock();
  done_ = n == 0;
  if (n > 0) {
    paused_ = 0;
    timing_ = true;
    start_ = clock_();
  }
  return n;
}

// ------------------------------------------------------------ Runner

Runner::Runner(std::string name, Body body, Clock clock)
    : name_(std::move(name)), body_(std::move(body)), state_(std::move(clock)) {}

Runner::~Runner() { Stop(); }

void Runner::AwaitBoundary(std::unique_lock<std::mutex>& lock) {
  state_.cv_.wait(lock, [&] { return state_.waiting_ || state_.finished_; });
}

bool Runner::Start() {
  started_ = true;
  thread_ = std::thread([this] {
    body_(state_);
    std::lock_guard<std::mutex> lock(state_.mu_);
    state_.finished_ = true;
    state_.cv_.notify_all();
  });
  std::unique_lock<std::mutex> lock(state_.mu_);
  AwaitBoundary(lock);
  if (!state_.finished_ && state_.error_.empty()) return true;
  error_ = name_ + ": " + (state_.error_.empty() ? "ended before its timed loop" : state_.error_);
  return false;
}

std::int64_t Runner::Batch(std::int64_t n) {
  std::unique_lock<std::mutex> lock(state_.mu_);
  if (state_.finished_) {
    error_ = name_ + ": ended before the batch was asked for";
    return -1;
  }
  state_.request_ = n;
  state_.waiting_ = false;
  state_.cv_.notify_all();
  AwaitBoundary(lock);
  if (!state_.error_.empty()) {
    error_ = name_ + ": " + state_.error_;
    return -1;
  }
  if (state_.finished_) {
    error_ = name_ + ": returned in the middle of a batch";
    return -1;
  }
  iterations_ += n;
  return state_.elapsed_;
}

void Runner::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  {
    std::lock_guard<std::mutex> lock(state_.mu_);
    if (!state_.finished_) {
      state_.request_ = 0;
      state_.waiting_ = false;
      state_.cv_.notify_all();
    }
  }
  thread_.join();
}

// ------------------------------------------------------------ measuring

Median MedianWithInterval(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  Median m;
  m.median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  // Le Boudec's ranks, 1-based: j = floor(n/2 - 0.98·√n), k = ceil(n/2 + 1
  // + 0.98·√n); as 0-based indices j - 1 and k - 1.
  const double half = 0.98 * std::sqrt(static_cast<double>(n));
  const double lo = std::floor(static_cast<double>(n) / 2 - half) - 1;
  const double hi = std::ceil(static_cast<double>(n) / 2 + half);
  m.low = v[static_cast<std::size_t>(std::max(0.0, lo))];
  m.high = v[std::min(n - 1, static_cast<std::size_t>(std::max(0.0, hi)))];
  return m;
}

namespace {

// Iterations per batch for `r`: grows a trial batch until it takes a tenth of
// the aimed batch length, then scales to the whole length. 0 on error.
std::int64_t BatchSize(Runner& r, std::int64_t batch_ns, std::string* error) {
  constexpr std::int64_t kMaxIterations = std::int64_t{1} << 26;
  std::int64_t n = 1;
  for (;;) {
    const std::int64_t t = r.Batch(n);
    if (t < 0) {
      *error = r.error();
      return 0;
    }
    if (t >= batch_ns / 10) {
      const double per_call = static_cast<double>(t) / static_cast<double>(n);
      return std::max<std::int64_t>(1, std::llround(static_cast<double>(batch_ns) / per_call));
    }
    if (n >= kMaxIterations) {
      *error = r.name() + ": " + std::to_string(n) + " iterations took " + std::to_string(t) +
               " ns, too little to time";
      return 0;
    }
    n *= 4;
  }
}

}  // namespace

Result Alternate(const Bodies& bodies, const std::string& op, const std::vector<secreport::Term>& terms,
                 const Options& options, const Clock& clock) {
  Result res;
  res.op = op;
  res.terms = terms;
  if (terms.empty() || options.max_rounds < 1 || options.min_rounds > options.max_rounds) {
    res.error = op + ": nothing to measure (" +
                (terms.empty() ? std::string("no primitives listed") : std::string("bad round limits")) + ")";
    return res;
  }
  std::vector<std::unique_ptr<Runner>> runners;
  std::vector<std::string> names = {op};
  for (const secreport::Term& t : terms) names.push_back(t.bench);
  // Set-ups run one at a time, in this thread's turn: they share the
  // benchmark file's static fixtures, which are not thread-safe.
  for (const std::string& name : names) {
    auto it = bodies.find(name);
    if (it == bodies.end()) {
      res.error = "no benchmark named " + name;
      return res;
    }
    runners.push_back(std::make_unique<Runner>(name, it->second, clock));
    if (!runners.back()->Start()) {
      res.error = runners.back()->error();
      return res;
    }
  }
  for (auto& r : runners) {
    // One call first: OpenSSL fetches and caches on first use.
    if (r->Batch(1) < 0) {
      res.error = r->error();
      return res;
    }
    const std::int64_t n = BatchSize(*r, options.batch_ns, &res.error);
    if (n == 0) return res;
    res.batch.push_back(n);
  }

  std::vector<double> ratios, op_ns, sum_ns;
  std::vector<double> per_call(runners.size());
  const std::int64_t begin = clock();
  for (int round = 0; round < options.max_rounds; ++round) {
    if (round >= options.min_rounds && clock() - begin >= options.budget_ns) break;
    // Every other round runs in the reverse order, so that neither side
    // always follows the other.
    for (std::size_t k = 0; k < runners.size(); ++k) {
      const std::size_t i = round % 2 == 0 ? k : runners.size() - 1 - k;
      const std::int64_t t = runners[i]->Batch(res.batch[i]);
      if (t < 0) {
        res.error = runners[i]->error();
        return res;
      }
      per_call[i] = static_cast<double>(t) / static_cast<double>(res.batch[i]);
    }
    double sum = 0;
    for (std::size_t j = 0; j < terms.size(); ++j) sum += terms[j].times * per_call[j + 1];
    if (sum <= 0 || per_call[0] <= 0) {
      res.error = op + ": " + (sum <= 0 ? "its primitives" : "the operation") +
                  " took no measurable time in round " + std::to_string(round);
      return res;
    }
    ratios.push_back(per_call[0] / sum);
    op_ns.push_back(per_call[0]);
    sum_ns.push_back(sum);
  }
  const Median m = MedianWithInterval(ratios);
  res.rounds = static_cast<int>(ratios.size());
  res.ratio = m.median;
  res.low = m.low;
  res.high = m.high;
  res.op_ns = MedianWithInterval(op_ns).median;
  res.sum_ns = MedianWithInterval(sum_ns).median;
  return res;
}

// ------------------------------------------------------------ output

namespace {

std::string Printf(const char* fmt, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a);
  return buf;
}

}  // namespace

std::string Line::Error() const {
  for (const Result& t : trials) {
    if (!t.error.empty()) return t.error;
  }
  return trials.empty() ? "no trials" : "";
}

double Line::Ratio() const {
  std::vector<double> r;
  for (const Result& t : trials) r.push_back(t.ratio);
  return MedianWithInterval(r).median;
}

double Line::Lowest() const {
  double v = trials.front().ratio;
  for (const Result& t : trials) v = std::min(v, t.ratio);
  return v;
}

double Line::Highest() const {
  double v = trials.front().ratio;
  for (const Result& t : trials) v = std::max(v, t.ratio);
  return v;
}

namespace {

// A line's "trials | rounds" cells: each trial's ratio, then its rounds.
std::string TrialCells(const Line& l) {
  std::string trials, rounds;
  for (const Result& t : l.trials) {
    trials += (trials.empty() ? "" : ", ") + Printf("%.3f", t.ratio);
    rounds += (rounds.empty() ? "" : ", ") + std::to_string(t.rounds);
  }
  return trials + " | " + rounds;
}

}  // namespace

std::string FormatTable(const std::vector<Line>& lines) {
  std::string out =
      "| operation | primitives | ratio (median of trials) | trials (each the median of its rounds) | rounds | ≤ 1.10 |\n"
      "|---|---|---|---|---|---|\n";
  int measured = 0, within = 0, all_within = 0;
  for (const Line& l : lines) {
    const std::string formula = secreport::Formula(l.terms, l.note);
    const std::string error = l.Error();
    if (!error.empty()) {
      out += "| " + l.op + " | " + formula + " | error: " + error + " | | | |\n";
      continue;
    }
    ++measured;
    const double ratio = l.Ratio();
    const bool ok = ratio <= secreport::kMaxRatio;
    within += ok;
    all_within += l.Highest() <= secreport::kMaxRatio;
    const bool crosses = l.Lowest() <= secreport::kMaxRatio && l.Highest() > secreport::kMaxRatio;
    out += "| " + l.op + " | " + formula + " | " + Printf("%.3f", ratio) + " | " + TrialCells(l) + " | " +
           (ok ? "yes" : "**no**") + (crosses ? " (trials cross 1.10)" : "") + " |\n";
  }
  out += "\n" + std::to_string(within) + " of " + std::to_string(measured) +
         " lines at or below 1.10 by the median of trials; " + std::to_string(all_within) + " of " +
         std::to_string(measured) + " in every trial.";
  const std::size_t failed = lines.size() - static_cast<std::size_t>(measured);
  if (failed > 0) out += " " + std::to_string(failed) + " not measured (errors above).";
  return out + "\n";
}

std::string FormatPairTable(const std::vector<Line>& lines) {
  std::string out =
      "| operation | against | time ratio (median of trials) | trials (each the median of its rounds) | rounds |\n"
      "|---|---|---|---|---|\n";
  for (const Line& l : lines) {
    const std::string against = secreport::Formula(l.terms, l.note);
    const std::string error = l.Error();
    if (!error.empty()) {
      out += "| " + l.op + " | " + against + " | error: " + error + " | | |\n";
      continue;
    }
    out += "| " + l.op + " | " + against + " | " + Printf("%.3f", l.Ratio()) + " | " + TrialCells(l) + " |\n";
  }
  return out;
}

std::string ToJson(const std::vector<Line>& lines, std::string_view machine) {
  std::string out = "{\n";
  if (!machine.empty()) out += "  \"machine\": " + std::string(machine) + ",\n";
  out += "  \"lines\": [\n";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Line& l = lines[i];
    out += "    {\"op\": " + JsonString(l.op) + ", \"primitives\": " +
           JsonString(secreport::Formula(l.terms, l.note));
    const std::string error = l.Error();
    if (!error.empty()) {
      out += ", \"error\": " + JsonString(error) + "}";
    } else {
      out += ", \"ratio\": " + Printf("%.4f", l.Ratio()) + ", \"trials\": [";
      for (std::size_t k = 0; k < l.trials.size(); ++k) {
        const Result& r = l.trials[k];
        out += std::string(k ? ", " : "") + "{\"ratio\": " + Printf("%.4f", r.ratio) + ", \"ci_low\": " +
               Printf("%.4f", r.low) + ", \"ci_high\": " + Printf("%.4f", r.high) + ", \"rounds\": " +
               std::to_string(r.rounds) + ", \"op_ns\": " + Printf("%.1f", r.op_ns) + ", \"sum_ns\": " +
               Printf("%.1f", r.sum_ns) + ", \"batch\": [";
        for (std::size_t j = 0; j < r.batch.size(); ++j) out += (j ? ", " : "") + std::to_string(r.batch[j]);
        out += "]}";
      }
      out += "]}";
    }
    out += i + 1 < lines.size() ? ",\n" : "\n";
  }
  return out + "  ]\n}\n";
}

}  // namespace sipim::alternation
