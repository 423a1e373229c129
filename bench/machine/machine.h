#pragma once
// What a timing depends on besides the code: the CPU, and the code paths
// OpenSSL chose for it. The security wrapper-cost ratios move with both
// (AES-CM open of 100 B: about 1.11 on an Intel CPU with AVX-512 IFMA,
// 1.20-1.21 on an AMD EPYC without it), so every benchmark's result names
// the machine it came from.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipim::machine {

struct Machine {
  std::string cpu_model;    // /proc/cpuinfo "model name"
  std::string cpu_id;       // "<vendor_id> family F model M stepping S"
  std::string cpu_flags;    // those of kOpenSslFlags the CPU has, in that order
  std::string openssl;      // OpenSSL's version
  std::string openssl_cpu;  // OpenSSL's own CPU capability words (OPENSSL_CPU_INFO)
};

// The CPU flags OpenSSL's fast paths for the algorithms sipim uses depend
// on (AES, GCM's carry-less multiply, SHA, RSA's big-number code).
inline constexpr std::string_view kOpenSslFlags[] = {"aes",  "pclmulqdq", "vaes", "vpclmulqdq", "sha_ni",
                                                     "avx",  "avx2",      "bmi2", "adx",        "avx512f",
                                                     "avx512ifma"};

// The CPU fields from the first processor of a /proc/cpuinfo text (the
// OpenSSL fields are left empty). A field the text does not have is
// "unknown".
Machine FromCpuinfo(std::string_view cpuinfo);
// This machine: /proc/cpuinfo (an unreadable one gives fields saying so) and
// the linked OpenSSL.
Machine ThisMachine();
// "AMD EPYC (AuthenticAMD family 25 model 1 stepping 1; aes ... sha_ni);
// OpenSSL 3.0.19, CPUINFO: OPENSSL_ia32cap=..."
std::string OneLine(const Machine& m);
// {"cpu_model": ..., "cpu_id": ..., "cpu_flags": ..., "openssl": ..., "openssl_cpu": ...}
std::string ToJson(const Machine& m);
// The same fields as (key, value) pairs.
std::vector<std::pair<std::string, std::string>> Fields(const Machine& m);
// Gives this machine's fields to `add` (benchmark::AddCustomContext: Google
// Benchmark's own context names the host and the caches, not the CPU model
// or OpenSSL's code paths). A template, so this library needs no Google
// Benchmark.
template <class Add>
void AddToContext(Add add) {
  for (const auto& [key, value] : Fields(ThisMachine())) add(key, value);
}

}  // namespace sipim::machine
