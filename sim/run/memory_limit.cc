#include "memory_limit.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <new>

#include "units.h"

namespace sipim::run {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerReservesShadow = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
constexpr bool kSanitizerReservesShadow = true;
#else
constexpr bool kSanitizerReservesShadow = false;
#endif
#else
constexpr bool kSanitizerReservesShadow = false;
#endif

// A cgroup's memory cap: v2's memory.max, else v1's limit_in_bytes. "max"
// and v1's "no limit" (a number near 2^63) are no cap.
std::optional<std::uint64_t> CgroupLimit() {
  for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    std::ifstream in(path);
    std::string text;
    if (!(in >> text) || text == "max") continue;
    std::uint64_t v = 0;
    std::string e;
    if (ParseUint(text, &v, &e) && v < (std::uint64_t{1} << 62)) return v;
  }
  return std::nullopt;
}

// What the new-handler prints: set before the run, so that reporting the
// failure allocates nothing.
std::string* oom_message = nullptr;
int oom_exit_code = 2;

void ExitOutOfMemory() {
  if (oom_message != nullptr) {
    const char* p = oom_message->data();
    std::size_t left = oom_message->size();
    while (left > 0) {
      const ssize_t n = write(STDERR_FILENO, p, left);
      if (n <= 0 && errno != EINTR) break;
      if (n > 0) {
        p += n;
        left -= static_cast<std::size_t>(n);
      }
    }
  }
  _exit(oom_exit_code);
}

}  // namespace

bool AddressSpaceLimitApplies() { return !kSanitizerReservesShadow; }

std::optional<std::uint64_t> UsableMemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  std::optional<std::uint64_t> bytes;
  if (pages > 0 && page > 0) bytes = std::uint64_t(pages) * std::uint64_t(page);
  if (const auto cap = CgroupLimit(); cap && (!bytes || *cap < *bytes)) bytes = cap;
  return bytes;
}

std::string FormatBytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

bool ResolveMemoryLimit(const std::string& value, std::uint64_t parallel, std::uint64_t* bytes, std::string* how,
                        std::string* error) {
  if (value == "off") {
    *bytes = 0;
    *how = "off";
    return true;
  }
  if (value == "auto") {
    const auto usable = UsableMemoryBytes();
    if (!usable) {
      *error = "memory_limit = auto cannot read this machine's memory size; give a size or off";
      return false;
    }
    const std::uint64_t share = *usable / 4 * 3 / (parallel == 0 ? 1 : parallel);
    *bytes = share < kMinMemoryLimit ? kMinMemoryLimit : share;
    *how = "auto: 3/4 of " + FormatBytes(*usable) + " usable, shared by " + std::to_string(parallel) +
           " point-run(s) at once";
    return true;
  }
  std::uint64_t v = 0;
  if (!ParseBytes(value, &v, error)) return false;
  if (v < kMinMemoryLimit) {
    *error = "memory_limit '" + value + "' is below " + FormatBytes(kMinMemoryLimit) + ", too little to run";
    return false;
  }
  *bytes = v;
  *how = "memory_limit = " + value;
  return true;
}

bool LimitThisProcess(std::uint64_t bytes, const std::string& message, int exit_code, std::string* note,
                      std::string* error) {
  // Never freed: the process ends with _exit, and the handler needs it
  // until then.
  oom_message = new std::string(message);
  oom_exit_code = exit_code;
  std::set_new_handler(ExitOutOfMemory);
  note->clear();
  if (bytes == 0) return true;
  if (kSanitizerReservesShadow) {
    *note = "memory_limit is not applied in a sanitizer build (its shadow memory needs the address space)";
    return true;
  }
  rlimit current{};
  if (getrlimit(RLIMIT_AS, &current) != 0) {
    *error = std::string("getrlimit(RLIMIT_AS): ") + std::strerror(errno);
    return false;
  }
  rlimit wanted = current;
  wanted.rlim_cur = current.rlim_max != RLIM_INFINITY && current.rlim_max < bytes ? current.rlim_max : bytes;
  if (setrlimit(RLIMIT_AS, &wanted) != 0) {
    *error = std::string("setrlimit(RLIMIT_AS, ") + FormatBytes(bytes) + "): " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace sipim::run
