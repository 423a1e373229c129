// libFuzzer target for scenario files, the one input `sipim run` reads
// from a file. The input is the file's bytes. Invariants checked on every
// input:
//  - no crash, no sanitizer report, no unbounded work (a sweep is cut to
//    its first values before the points are built);
//  - a refused file gets a message that names the file (or the command
//    line, for the one flag this harness passes);
//  - an accepted file's --dry-run text, read back as a scenario file, gives
//    every key the same value (IniValue quotes what needs it), and the same
//    sweeps;
//  - every point built from an accepted file gets a typed configuration or
//    an error message, never an exception.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "config.h"
#include "options.h"

namespace {

using namespace sipim::run;

void Check(bool ok) {
  if (!ok) std::abort();
}

// The bytes as a file with a path, in memory: /proc/self/fd/N of a memfd.
class MemFile {
 public:
  explicit MemFile(const std::string& bytes) : fd_(memfd_create("scenario", 0)) {
    Check(fd_ >= 0);
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
      Check(n > 0);
      done += static_cast<std::size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { close(fd_); }
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

std::optional<OptionError> Resolve(const std::string& path, ResolvedOptions* out) {
  std::vector<std::string> args = {path, "--dry-run"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return ResolveOptions(static_cast<int>(argv.size()), argv.data(), out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const MemFile file(std::string(reinterpret_cast<const char*>(data), size));
  ResolvedOptions options;
  if (const auto error = Resolve(file.path(), &options)) {
    Check(error->message.find(file.path()) != std::string::npos ||
          error->message.find("command line") != std::string::npos);
    return 0;
  }
  // The dry-run text is a scenario file that says the same thing.
  const std::string described = DescribeResolved(options);
  const MemFile again(described);
  ResolvedOptions reread;
  const auto error = Resolve(again.path(), &reread);
  Check(!error);
  for (const auto& [key, setting] : options.settings) {
    if (key == "name" || key == "out") continue;  // default from the file's name
    Check(reread.Get(key) == setting.value);
  }
  Check(reread.sweeps.size() == options.sweeps.size());
  for (std::size_t i = 0; i < options.sweeps.size(); ++i) {
    Check(reread.sweeps[i].key == options.sweeps[i].key && reread.sweeps[i].values == options.sweeps[i].values);
  }
  // Points: at most 3 values of each sweep, so a 100 000-point sweep costs
  // what a small one does.
  for (auto& sweep : options.sweeps) {
    if (sweep.values.size() > 3) sweep.values.resize(3);
  }
  for (const PointValues& point : ExpandPoints(options)) {
    RunConfig config;
    if (const auto why = BuildConfig(point, &config)) Check(!why->empty());
  }
  return 0;
}
