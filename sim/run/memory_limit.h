#pragma once
// The memory a point-run may take. Each point-run is its own process; a
// scenario that needs more memory than the machine has (a huge
// `conversations` with `think_time = 0`, say) would otherwise grow until
// the kernel's out-of-memory killer ends it, or something else on the
// machine. With a limit, the point-run stops itself with a message that
// says so, and the others go on.
#include <cstdint>
#include <optional>
#include <string>

namespace sipim::run {

// The smallest explicit limit: below it ns-3 and the models do not start.
constexpr std::uint64_t kMinMemoryLimit = std::uint64_t{64} << 20;

// The memory this process may use: physical memory, or less when a cgroup
// (a container) caps it. nullopt when neither can be read.
std::optional<std::uint64_t> UsableMemoryBytes();

// Resolves the `memory_limit` value ("auto", "off" or a size) for
// `parallel` point-runs running at once. auto: three quarters of the usable
// memory, shared among them. `*how` says where the number came from, for
// messages. 0 means no limit. False, with `*error`, when the value is
// malformed or auto cannot read the machine's memory.
bool ResolveMemoryLimit(const std::string& value, std::uint64_t parallel, std::uint64_t* bytes, std::string* how,
                        std::string* error);

// Limits this process's address space to `bytes` (RLIMIT_AS; never above a
// hard limit already set), and makes a failed `new` print `message` on
// stderr and _exit(exit_code) at once, wherever it happens (a bad_alloc
// thrown through ns-3's event loop or a destructor would otherwise
// terminate with SIGABRT). Sanitizer builds reserve terabytes of shadow
// memory up front, so there the address-space limit is not set (the
// handler still is); `*note` says so. False, with `*error`, if setrlimit
// fails.
bool LimitThisProcess(std::uint64_t bytes, const std::string& message, int exit_code, std::string* note,
                      std::string* error);

// False in a sanitizer build, where LimitThisProcess sets no limit.
bool AddressSpaceLimitApplies();

// "1.5 GiB": a size for messages.
std::string FormatBytes(std::uint64_t bytes);

}  // namespace sipim::run
