// Batch alternation: the time verdict for "operation vs the primitives it
// needs" (report.h's ratio lines), measured so that this VM's speed changes
// cancel out.
//
// Why: this machine's speed moves in steps lasting seconds (whole runs of
// unchanged code differ by 0.05 per ratio line at the median), so the
// operation and its primitives timed in separate repetitions, even randomly
// interleaved ones, see different machines. Here they run in alternating
// batches of about 100 µs each, on one CPU: one round is a batch of the
// operation and a batch of each primitive, back to back, so a round's ratio
// compares them at one speed. The verdict is the median of the rounds'
// ratios, with a 95 % confidence interval of that median.
//
// The benchmark bodies are bench_security's own, unchanged: they are
// templates over their state type, and BatchState stands in for
// benchmark::State. Each body runs in its own thread (so that its set-up and
// its loop stay as written); the threads take turns, one at a time, handed
// over under a mutex, and the clock runs only inside a batch.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "report.h"

namespace sipim::alternation {

using Clock = std::function<std::int64_t()>;  // nanoseconds, monotonic
std::int64_t SteadyNowNs();

class Runner;

// What a benchmark body sees in place of benchmark::State: `for (auto _ :
// state)` runs the batches the coordinator asks for, and the members the
// bodies use (counters, SkipWithError, PauseTiming/ResumeTiming).
class BatchState {
 public:
  struct [[maybe_unused]] Value {};  // as Google Benchmark's: `_` goes unused
  class Iterator {
   public:
    Iterator() = default;
    Iterator(BatchState* s, std::int64_t left) : s_(s), left_(left) {}
    Value operator*() const { return {}; }
    Iterator& operator++() {
      --left_;
      return *this;
    }
    // The end of a batch: the state stops the clock and waits for the next.
    bool operator!=(const Iterator&) {
      if (left_ > 0) return true;
      left_ = s_->NextBatch();
      return left_ > 0;
    }

   private:
    BatchState* s_ = nullptr;
    std::int64_t left_ = 0;
  };

  explicit BatchState(Clock clock) : clock_(std::move(clock)) {}
  Iterator begin() { return Iterator(this, NextBatch()); }
  Iterator end() { return Iterator(); }

  void PauseTiming() { pause_start_ = clock_(); }
  void ResumeTiming() { paused_ += clock_() - pause_start_; }
  void SkipWithError(const char* message);

  std::map<std::string, double> counters;

 private:
  friend class Runner;
  // Records the batch just run (if any), hands back to the coordinator and
  // waits for its next request: the iterations of the next batch, or 0 to
  // end the loop.
  std::int64_t NextBatch();

  Clock clock_;
  bool timing_ = false;
  bool done_ = false;  // the loop has been told to end
  std::int64_t start_ = 0, paused_ = 0, pause_start_ = 0;

  // Hand-over with the coordinator (under mu_).
  std::mutex mu_;
  std::condition_variable cv_;
  std::int64_t request_ = -1;  // iterations asked for; -1: none pending
  bool waiting_ = false;       // the body waits at a batch boundary
  bool finished_ = false;      // the body returned
  std::int64_t elapsed_ = 0;   // ns of the last batch, pauses left out
  std::string error_;
};

using Body = std::function<void(BatchState&)>;
using Bodies = std::map<std::string, Body>;

// One benchmark body running in its own thread, driven batch by batch.
class Runner {
 public:
  Runner(std::string name, Body body, Clock clock);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs the body's set-up up to its timed loop. False when the body ended
  // before reaching it (error() says why).
  bool Start();
  // Runs `n` iterations; their time in ns, or -1 when the body ended with an
  // error (error() says why).
  std::int64_t Batch(std::int64_t n);
  // Lets the body leave its loop and return; joins its thread.
  void Stop();

  const std::string& name() const { return name_; }
  const std::string& error() const { return error_; }
  std::int64_t iterations() const { return iterations_; }

 private:
  // Waits until the body waits for a request or has returned.
  void AwaitBoundary(std::unique_lock<std::mutex>& lock);

  std::string name_;
  Body body_;
  BatchState state_;
  std::thread thread_;
  std::string error_;
  std::int64_t iterations_ = 0;
  bool started_ = false, stopped_ = false;
};

struct Options {
  std::int64_t batch_ns = 100'000;  // aimed length of one batch
  std::int64_t budget_ns = 2'000'000'000;  // rounds stop after this much clock time...
  int min_rounds = 30;                     // ...but not before this many
  int max_rounds = 5000;
};

struct Result {
  std::string op;
  std::vector<secreport::Term> terms;
  int rounds = 0;
  double ratio = 0;         // median of the rounds' ratios
  double low = 0, high = 0;  // 95 % confidence interval of that median
  double op_ns = 0;         // the operation's time per call, median over rounds
  double sum_ns = 0;        // Σ times × primitive time per call, median over rounds
  std::vector<std::int64_t> batch;  // iterations per batch: the operation, then each term
  std::string error;        // empty when measured
};

// Measures one ratio line: `op` against `terms`, each looked up in `bodies`.
// A missing body, or a body that fails (SkipWithError) or ends early, is an
// error naming it.
Result Alternate(const Bodies& bodies, const std::string& op, const std::vector<secreport::Term>& terms,
                 const Options& options, const Clock& clock);

// The median of `v` and its 95 % confidence interval by order statistics
// (Le Boudec's ranks floor(n/2 - 0.98·√n) and ceil(n/2 + 1 + 0.98·√n),
// 1-based: the binomial's normal approximation). `v` non-empty.
struct Median {
  double median = 0, low = 0, high = 0;
};
Median MedianWithInterval(std::vector<double> v);

// One ratio line measured in several trials, each with freshly set-up
// benchmarks (new keys, messages and buffers at new addresses). Trials
// differ by more than one trial's interval says (0.03 between processes on
// AES-CM seal of 100 B, against ±0.003 within one), so the verdict is the
// median of the trials' medians, and the table shows their range.
struct Line {
  std::string op;
  std::vector<secreport::Term> terms;
  std::string note;  // appended to the printed formula (RatioSpec::note)
  std::vector<Result> trials;
  // The first trial's error, or empty.
  std::string Error() const;
  // The median of the trials' ratios (all trials measured).
  double Ratio() const;
  double Lowest() const;
  double Highest() const;
};

// "| op | primitives | ratio | trials | rounds | ≤ 1.10 |" lines, with a
// header and the count of lines at or below kMaxRatio.
std::string FormatTable(const std::vector<Line>& lines);

// Lines that time one benchmark against another (a single term, once), not
// against its primitives: "| op | against | ratio | trials | rounds |", with
// no verdict, since no target applies (bench_security --alternate_pair: two
// ways of doing one thing, timed at one machine speed).
std::string FormatPairTable(const std::vector<Line>& lines);
// The lines as JSON, each with its trials; `machine`, a JSON object when
// given, first as "machine".
std::string ToJson(const std::vector<Line>& lines, std::string_view machine = {});

}  // namespace sipim::alternation
