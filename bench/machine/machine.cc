#include "machine.h"

#include <openssl/crypto.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "common/json_string.h"

namespace sipim::machine {

namespace {

constexpr std::string_view kUnknown = "unknown";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "key<tabs> : value" lines of the first processor block (up to the first
// empty line), as key -> value.
std::vector<std::pair<std::string_view, std::string_view>> FirstProcessor(std::string_view text) {
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (Trim(line).empty()) {
      if (!fields.empty()) break;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    fields.emplace_back(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  }
  return fields;
}

std::string_view Field(const std::vector<std::pair<std::string_view, std::string_view>>& fields,
                       std::string_view key) {
  for (const auto& [k, v] : fields) {
    if (k == key) return v;
  }
  return kUnknown;
}

bool HasWord(std::string_view words, std::string_view w) {
  std::size_t at = 0;
  while ((at = words.find(w, at)) != std::string_view::npos) {
    const bool starts = at == 0 || words[at - 1] == ' ';
    const bool ends = at + w.size() == words.size() || words[at + w.size()] == ' ';
    if (starts && ends) return true;
    at += w.size();
  }
  return false;
}

}  // namespace

Machine FromCpuinfo(std::string_view cpuinfo) {
  const auto fields = FirstProcessor(cpuinfo);
  Machine m;
  m.cpu_model = std::string(Field(fields, "model name"));
  m.cpu_id = std::string(Field(fields, "vendor_id")) + " family " + std::string(Field(fields, "cpu family")) +
             " model " + std::string(Field(fields, "model")) + " stepping " + std::string(Field(fields, "stepping"));
  const std::string_view flags = Field(fields, "flags");
  if (flags == kUnknown) {
    m.cpu_flags = std::string(kUnknown);
  } else {
    for (const std::string_view f : kOpenSslFlags) {
      if (HasWord(flags, f)) m.cpu_flags += (m.cpu_flags.empty() ? "" : " ") + std::string(f);
    }
    if (m.cpu_flags.empty()) m.cpu_flags = "none of them";
  }
  return m;
}

Machine ThisMachine() {
  Machine m;
  std::ifstream in("/proc/cpuinfo");
  if (in) {
    std::ostringstream text;
    text << in.rdbuf();
    m = FromCpuinfo(text.str());
  } else {
    m.cpu_model = m.cpu_id = m.cpu_flags = "unknown (/proc/cpuinfo unreadable)";
  }
  m.openssl = OpenSSL_version(OPENSSL_VERSION);
  m.openssl_cpu = OpenSSL_version(OPENSSL_CPU_INFO);
  return m;
}

std::string OneLine(const Machine& m) {
  return m.cpu_model + " (" + m.cpu_id + "; " + m.cpu_flags + "); " + m.openssl + ", " + m.openssl_cpu;
}

std::vector<std::pair<std::string, std::string>> Fields(const Machine& m) {
  return {{"cpu_model", m.cpu_model},
          {"cpu_id", m.cpu_id},
          {"cpu_flags", m.cpu_flags},
          {"openssl", m.openssl},
          {"openssl_cpu", m.openssl_cpu}};
}

std::string ToJson(const Machine& m) {
  std::string out;
  for (const auto& [key, value] : Fields(m)) out += (out.empty() ? "{" : ", ") + JsonString(key) + ": " + JsonString(value);
  return out + "}";
}

}  // namespace sipim::machine
