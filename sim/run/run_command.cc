// `sipim run SCENARIO.ini [--key value ...] [--out DIR]`.
//
// Each sweep point and replication runs in its own child process: ns-3
// keeps global state (node ids, the automatic random stream counter) that
// Simulator::Destroy does not reset, so a fresh process gives every point
// the same results whether it runs alone or in a sweep, and `jobs` points
// can run at once. The parent merges the children's tables in point order.
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "config.h"
#include "memory_limit.h"
#include "ns3_environment.h"
#include "ns3/sip/cpu-calibration.h"
#include "ns3/sip/sip-im-security.h"
#include "options.h"
#include "scenario.h"
#include "sipim_version.h"
#include "writers.h"

namespace fs = std::filesystem;

namespace sipim::cli {

namespace {

using namespace sipim::run;

const char* const kTables[] = {"ims.csv", "sessions.csv", "nodes.csv", "summary.csv", "drops.csv", "wire.csv"};

struct Job {
  std::uint64_t point = 0;
  std::uint64_t replication = 0;
  RunConfig config;
  PointLabel label;
  std::string dir;
  pid_t pid = -1;
  int status = -1;  // kOk, kMismatch, kFailed or kOutOfMemory
};

// A point-run's exit status, and the parent's record of how it ended.
constexpr int kOk = 0;
constexpr int kMismatch = 1;
constexpr int kFailed = 2;
constexpr int kOutOfMemory = 3;

std::string PadIndex(std::uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%05llu", static_cast<unsigned long long>(i));
  return buf;
}

std::string PointRunName(const Job& job) {
  return "point " + std::to_string(job.point) + " run " + std::to_string(job.config.run);
}

// The child: run, write, report, exit. Never returns.
[[noreturn]] void RunChild(const Job& job, std::uint64_t memory_limit, const std::string& memory_how) {
  double wall = 0;
  long rss = 0;
  int code = kOk;
  std::string note, error;
  const std::string oom = "sipim run: " + PointRunName(job) + " ran out of memory (limit " +
                          (memory_limit ? FormatBytes(memory_limit) + ", " + memory_how : memory_how) +
                          "): fewer conversations, concurrent or users, or a larger memory_limit\n";
  if (!LimitThisProcess(memory_limit, oom, kOutOfMemory, &note, &error)) {
    std::fprintf(stderr, "sipim run: %s: cannot set the memory limit: %s\n", PointRunName(job).c_str(),
                 error.c_str());
    std::fflush(stderr);
    _exit(kFailed);
  }
  if (!note.empty() && job.point == 0 && job.replication == 0) std::fprintf(stderr, "sipim run: %s\n", note.c_str());
  try {
    const Accounting acc = RunPoint(job.config, job.label, job.dir, &wall, &rss);
    std::printf("[%s point %llu run %llu] %s\n", job.config.name.c_str(),
                static_cast<unsigned long long>(job.point), static_cast<unsigned long long>(job.config.run),
                acc.ToString().c_str());
    std::ofstream info(job.dir + "/accounting.txt");
    info << acc.sent << " " << acc.delivered << " " << acc.failed << " " << acc.unfinished << " " << acc.ok()
         << " " << wall << " " << rss << "\n";
    code = acc.ok() ? kOk : kMismatch;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sipim run: %s failed: %s\n", PointRunName(job).c_str(), e.what());
    code = kFailed;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  _exit(code);
}

// Appends `from` to `to`, without its header line unless `to` is new.
bool AppendTable(const std::string& from, const std::string& to, bool first) {
  std::ifstream in(from, std::ios::binary);
  if (!in) return true;  // a table this run does not write (wire.csv)
  std::ofstream out(to, std::ios::binary | (first ? std::ios::trunc : std::ios::app));
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header && !first) {
      header = false;
      continue;
    }
    header = false;
    out << line << '\n';
  }
  return static_cast<bool>(out);
}

std::string JsonStringArray(const std::vector<std::string>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + JsonString(v[i]);
  return s + "]";
}

std::string Metadata(const ResolvedOptions& options, const std::vector<Job>& jobs, const Accounting& total,
                     const std::vector<std::string>& skipped) {
  JsonObject parameters;
  for (const auto& spec : OptionTable()) parameters.Set(spec.key, options.Get(spec.key));
  JsonObject sweeps;
  for (const auto& s : options.sweeps) sweeps.SetRaw(s.key, JsonStringArray(s.values));
  std::string points = "[";
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    JsonObject values;
    for (const auto& kv : jobs[i].label.swept) values.Set(kv.first, kv.second);
    JsonObject p;
    p.SetNumber("point", double(jobs[i].point)).SetNumber("run", double(jobs[i].config.run));
    p.SetRaw("values", values.ToString(8));
    points += (i ? ",\n    " : "\n    ") + p.ToString(6);
  }
  points += "\n  ]";
  JsonObject acc;
  acc.SetNumber("sent", double(total.sent)).SetNumber("delivered", double(total.delivered))
      .SetNumber("failed", double(total.failed)).SetNumber("unfinished", double(total.unfinished))
      .SetRaw("ok", total.ok() ? "true" : "false");
  JsonObject tables;
  tables.Set("ims.csv", "one row per IM: mode, size, times, outcome, bytes per layer (every hop), packets, CPU");
  tables.Set("sessions.csv", "one row per session: set-up and teardown times and bytes, duplicate connections");
  tables.Set("nodes.csv", "one row per node: messages handled, CPU busy time and queueing");
  tables.Set("summary.csv", "one row per sweep point and run");
  tables.Set("drops.csv",
             "one row per message a UA or proxy dropped, refused or could not send: time, node, reason, the IM, "
             "session or registration it belonged to, bytes, detail");
  tables.Set("wire.csv", "with wire_trace: one row per packet transmitted on a link");
  JsonObject meta;
  meta.Set("scenario", options.Get("name"))
      .Set("description", options.Get("description"))
      .Set("scenario_file", options.scenario_file)
      .Set("code_version", SIPIM_CODE_VERSION)
      .SetNumber("seed", std::stod(options.Get("seed")))
      .SetNumber("run", std::stod(options.Get("run")))
      .SetNumber("replications", std::stod(options.Get("replications")))
      .SetRaw("parameters", parameters.ToString(4))
      .SetRaw("sweeps", sweeps.ToString(4))
      .SetRaw("points", points)
      .SetRaw("skipped_points", JsonStringArray(skipped))
      .SetRaw("accounting", acc.ToString(4))
      .SetRaw("tables", tables.ToString(4));
  const auto env = Ns3Environment();
  if (!env.empty()) {
    JsonObject vars;
    for (const auto& kv : env) vars.Set(kv.first, kv.second);
    meta.SetRaw("ns3_environment", vars.ToString(4));
  }
  return meta.ToString() + "\n";
}

// Waits for one child and records how it ended.
void Reap(std::vector<Job>& jobs) {
  int status = 0;
  pid_t pid = 0;
  do {
    pid = wait(&status);
  } while (pid < 0 && errno == EINTR);
  // Finished jobs hold pid -1: a failed wait must not match them.
  if (pid <= 0) return;
  for (auto& j : jobs) {
    if (j.pid == pid) {
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : kFailed;
      j.status = code == kOk || code == kMismatch || code == kOutOfMemory ? code : kFailed;
      if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        // SIGKILL is what the kernel's out-of-memory killer sends: the
        // likely cause when memory_limit is off or above what is free.
        std::fprintf(stderr, "sipim run: %s crashed (signal %d, %s)%s\n", PointRunName(j).c_str(), sig,
                     strsignal(sig),
                     sig == SIGKILL ? ": the kernel's out-of-memory killer sends this signal; see memory_limit" : "");
      }
      j.pid = -1;
    }
  }
}

}  // namespace

int RunScenario(int argc, char** argv) {
  ResolvedOptions options;
  if (auto error = ResolveOptions(argc, argv, &options)) {
    std::fprintf(stderr, "sipim run: %s\n", error->message.c_str());
    return 2;
  }
  if (options.help) {
    std::fputs(HelpText().c_str(), stdout);
    return 0;
  }
  // Typed configuration of every point, checked before anything runs.
  const std::vector<PointValues> points = ExpandPoints(options);
  std::uint64_t replications = std::stoull(options.Get("replications"));
  std::uint64_t first_run = std::stoull(options.Get("run"));
  const std::string out = options.Get("out");
  std::vector<Job> jobs;
  // Sweeping two keys crosses every value of one with every value of the
  // other: the pairs PointConflict rejects (MIKEY in pager mode, SCTP
  // ordering without SCTP) are skipped, each named on stderr, in --dry-run
  // and in metadata.json. Set by hand, such a pair is an error.
  auto swept = [&](const char* key) {
    return std::any_of(options.sweeps.begin(), options.sweeps.end(), [&](const Sweep& s) { return s.key == key; });
  };
  std::vector<std::string> skipped;
  for (std::uint64_t p = 0; p < points.size(); ++p) {
    RunConfig config;
    if (auto error = BuildConfig(points[p], &config)) {
      const auto conflict = PointConflict(config);
      if (conflict && swept(conflict->key_a) && swept(conflict->key_b)) {
        skipped.push_back("point " + std::to_string(p) + " (" + conflict->key_a + " = " +
                          points[p].at(conflict->key_a) + ", " + conflict->key_b + " = " +
                          points[p].at(conflict->key_b) + ") not run: " + *error);
        continue;
      }
      std::fprintf(stderr, "sipim run: %s: point %llu: %s\n", options.scenario_file.c_str(),
                   static_cast<unsigned long long>(p), error->c_str());
      return 2;
    }
    for (std::uint64_t r = 0; r < replications; ++r) {
      Job job;
      job.point = p;
      job.replication = r;
      job.config = config;
      job.config.run = first_run + r;
      job.label.point = p;
      job.label.points = points.size();
      for (const auto& s : options.sweeps) job.label.swept.emplace_back(s.key, points[p].at(s.key));
      job.dir = out + "/.work/" + PadIndex(jobs.size());
      jobs.push_back(std::move(job));
    }
  }
  // A calibration that does not load would run every point at zero CPU
  // cost: results that look real and are not. Refuse it up front.
  // (cpu = live reads no calibration.)
  const bool any_cpu =
      std::any_of(jobs.begin(), jobs.end(), [](const Job& j) { return j.config.cpu && !j.config.cpu_live; });
  if (any_cpu) {
    std::string why;
    if (!ns3::Create<ns3::CpuCalibration>()->LoadDirectory(options.Get("calibration"), &why)) {
      std::fprintf(stderr,
                   "sipim run: cannot load the CPU calibration (key 'calibration', from %s): %s; name the "
                   "directory of calibration CSVs, or set cpu = off to run without CPU costs\n",
                   options.settings.at("calibration").source.ToString().c_str(), why.c_str());
      return 2;
    }
  }
  // Security's crypto is charged from the same calibration: a row missing
  // for any point would make that point's security free. Refuse it up front.
  if (any_cpu) {
    ns3::Ptr<ns3::CpuCalibration> calibration = ns3::Create<ns3::CpuCalibration>();
    std::string why;
    calibration->LoadDirectory(options.Get("calibration"), &why);
    for (std::uint64_t p = 0; p < points.size(); ++p) {
      RunConfig config;
      BuildConfig(points[p], &config);
      ns3::Ptr<ns3::SipImSecurity> security = MakeSecurity(config);
      if (config.cpu && !config.cpu_live && security && !security->CheckCalibration(*calibration, &why)) {
        std::fprintf(stderr, "sipim run: %s: point %llu: security = %s: %s (key 'calibration', from %s)\n",
                     options.scenario_file.c_str(), static_cast<unsigned long long>(p), config.security.c_str(),
                     why.c_str(), options.settings.at("calibration").source.ToString().c_str());
        return 2;
      }
    }
  }
  const std::uint64_t parallel = std::min<std::uint64_t>(std::stoull(options.Get("jobs")), jobs.size());
  std::uint64_t memory_limit = 0;
  std::string memory_how, memory_error;
  if (!ResolveMemoryLimit(options.Get("memory_limit"), parallel, &memory_limit, &memory_how, &memory_error)) {
    std::fprintf(stderr, "sipim run: %s (key 'memory_limit', from %s)\n", memory_error.c_str(),
                 options.settings.at("memory_limit").source.ToString().c_str());
    return 2;
  }
  if (const auto errors = CheckNs3Environment(); !errors.empty()) {
    for (const auto& e : errors) std::fprintf(stderr, "sipim run: %s\n", e.c_str());
    return 2;
  }
  if (options.dry_run) {
    std::fputs(DescribeResolved(options).c_str(), stdout);
    std::printf("# memory limit of each point-run: %s\n",
                memory_limit ? (FormatBytes(memory_limit) + " (" + memory_how + ")").c_str() : "none (off)");
    for (const auto& j : jobs) {
      std::printf("# point %llu run %llu:", static_cast<unsigned long long>(j.point),
                  static_cast<unsigned long long>(j.config.run));
      for (const auto& kv : j.label.swept) std::printf(" %s=%s", kv.first.c_str(), kv.second.c_str());
      std::printf(" (%llu UAs, %llu IMs)\n", static_cast<unsigned long long>(j.config.TotalUas()),
                  static_cast<unsigned long long>(j.config.conversations * j.config.messages_per_conversation *
                                                  j.config.group_size));
    }
    for (const auto& s : skipped) std::printf("# %s\n", s.c_str());
    return 0;
  }
  for (const auto& s : skipped) std::fprintf(stderr, "sipim run: %s\n", s.c_str());
  for (const auto& kv : Ns3Environment()) {
    std::fprintf(stderr, "sipim run: %s is set (%s): ns-3 applies it to every point-run; recorded in metadata.json\n",
                 kv.first.c_str(), kv.second.c_str());
  }

  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) {
    std::fprintf(stderr, "sipim run: cannot create %s: %s\n", out.c_str(), ec.message().c_str());
    return 2;
  }
  for (const char* t : kTables) fs::remove(out + "/" + t, ec);
  fs::remove_all(out + "/pcap", ec);
  fs::remove_all(out + "/.work", ec);
  // Every point writes under <out>/.work: find out now, not in each child,
  // if that cannot be done.
  fs::create_directories(out + "/.work", ec);
  if (ec) {
    std::fprintf(stderr, "sipim run: cannot write in %s: %s\n", out.c_str(), ec.message().c_str());
    return 2;
  }

  std::uint64_t running = 0;
  std::fflush(stdout);
  std::fflush(stderr);
  for (auto& job : jobs) {
    while (running >= parallel) {
      Reap(jobs);
      --running;
    }
    job.pid = fork();
    if (job.pid == 0) RunChild(job, memory_limit, memory_how);
    if (job.pid < 0) {
      const int err = errno;
      std::fprintf(stderr,
                   "sipim run: cannot start point %llu run %llu: fork: %s; waiting for the %llu point-run(s) "
                   "already started\n",
                   static_cast<unsigned long long>(job.point), static_cast<unsigned long long>(job.config.run),
                   std::strerror(err), static_cast<unsigned long long>(running));
      // No child is left running on its own after the command has failed.
      for (; running > 0; --running) Reap(jobs);
      return 1;
    }
    ++running;
  }
  while (running > 0) {
    Reap(jobs);
    --running;
  }

  // Merge, in point order.
  Accounting total;
  bool all_ok = true;
  std::vector<std::string> unwritten;  // results that could not be written
  std::ostringstream runtime;
  runtime << "{\n  \"note\": \"wall-clock cost of each point: differs from run to run, unlike the CSVs\",\n"
          << "  \"points\": [";
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const Job& j = jobs[i];
    for (const char* t : kTables) {
      if (!AppendTable(j.dir + "/" + t, out + "/" + t, i == 0)) unwritten.push_back(out + "/" + t);
    }
    std::ifstream info(j.dir + "/accounting.txt");
    std::uint64_t sent = 0, delivered = 0, failed = 0, unfinished = 0;
    int ok = 0;
    double wall = 0;
    long rss = 0;
    if (!(info >> sent >> delivered >> failed >> unfinished >> ok >> wall >> rss) || j.status != 0) {
      all_ok = false;
      total.mismatches.push_back(PointRunName(j) + (j.status == kOutOfMemory ? " ran out of memory"
                                                    : j.status == kMismatch ? " failed its accounting check"
                                                                            : " did not finish"));
    }
    total.sent += sent;
    total.delivered += delivered;
    total.failed += failed;
    total.unfinished += unfinished;
    runtime << (i ? "," : "") << "\n    {\"point\": " << j.point << ", \"run\": " << j.config.run
            << ", \"wall_s\": " << FormatNumber(wall) << ", \"peak_rss_kb\": " << rss << "}";
    if (fs::exists(j.dir + "/pcap")) {
      const std::string to = jobs.size() == 1 ? out + "/pcap"
                                              : out + "/pcap/point-" + std::to_string(j.point) + "-run-" +
                                                    std::to_string(j.config.run);
      fs::create_directories(fs::path(to).parent_path(), ec);
      fs::rename(j.dir + "/pcap", to, ec);
    }
  }
  runtime << "\n  ]\n}\n";
  fs::remove_all(out + "/.work", ec);
  if (!WriteTextFile(out + "/metadata.json", Metadata(options, jobs, total, skipped))) {
    unwritten.push_back(out + "/metadata.json");
  }
  if (!WriteTextFile(out + "/runtime.json", runtime.str())) unwritten.push_back(out + "/runtime.json");
  for (const auto& path : unwritten) std::fprintf(stderr, "sipim run: could not write %s\n", path.c_str());
  std::printf("sipim run %s: %zu point-run(s) -> %s\n%s\n", options.Get("name").c_str(), jobs.size(), out.c_str(),
              total.ToString().c_str());
  return all_ok && total.ok() && unwritten.empty() ? 0 : 1;
}

}  // namespace sipim::cli
