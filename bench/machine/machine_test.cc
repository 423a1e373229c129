#include "machine.h"

#include <gtest/gtest.h>

namespace sipim::machine {
namespace {

const char kTwoProcessors[] =
    "processor\t: 0\n"
    "vendor_id\t: AuthenticAMD\n"
    "cpu family\t: 25\n"
    "model\t\t: 1\n"
    "model name\t: AMD EPYC\n"
    "stepping\t: 1\n"
    "flags\t\t: fpu sse2 pclmulqdq aes avx avx2 bmi2 adx sha_ni vaes vpclmulqdq avx512_bf16\n"
    "\n"
    "processor\t: 1\n"
    "vendor_id\t: GenuineIntel\n"
    "model name\t: second processor, not read\n"
    "flags\t\t: avx512f avx512ifma\n";

// Proves: the first processor's model, identity and OpenSSL-relevant flags
// are read, in kOpenSslFlags' order; a flag counts only as a whole word
// (avx512_bf16 is not avx512f), and the second processor is not read.
TEST(Machine, ReadsTheFirstProcessor) {
  const Machine m = FromCpuinfo(kTwoProcessors);
  EXPECT_EQ(m.cpu_model, "AMD EPYC");
  EXPECT_EQ(m.cpu_id, "AuthenticAMD family 25 model 1 stepping 1");
  EXPECT_EQ(m.cpu_flags, "aes pclmulqdq vaes vpclmulqdq sha_ni avx avx2 bmi2 adx");
}

// Proves: fields the text lacks say "unknown" instead of being left empty,
// and a flags line with none of the listed flags says so.
TEST(Machine, MissingFieldsAreNamedUnknown) {
  Machine m = FromCpuinfo("processor : 0\nmodel name : Some CPU\n");
  EXPECT_EQ(m.cpu_model, "Some CPU");
  EXPECT_EQ(m.cpu_id, "unknown family unknown model unknown stepping unknown");
  EXPECT_EQ(m.cpu_flags, "unknown");
  m = FromCpuinfo("");
  EXPECT_EQ(m.cpu_model, "unknown");
  EXPECT_EQ(FromCpuinfo("flags : fpu sse2\n").cpu_flags, "none of them");
}

// Proves: this machine's description names OpenSSL's version and its CPU
// capability words, and the JSON object carries every field, escaped.
TEST(Machine, ThisMachineAndItsJson) {
  const Machine here = ThisMachine();
  EXPECT_EQ(here.openssl.rfind("OpenSSL ", 0), 0u) << here.openssl;
  EXPECT_NE(here.openssl_cpu.find("CPUINFO"), std::string::npos) << here.openssl_cpu;
  EXPECT_NE(OneLine(here).find(here.openssl_cpu), std::string::npos);
  Machine m = FromCpuinfo(kTwoProcessors);
  m.openssl = "OpenSSL \"3\"";
  m.openssl_cpu = "CPUINFO: x";
  EXPECT_EQ(ToJson(m),
            "{\"cpu_model\": \"AMD EPYC\", \"cpu_id\": \"AuthenticAMD family 25 model 1 stepping 1\", "
            "\"cpu_flags\": \"aes pclmulqdq vaes vpclmulqdq sha_ni avx avx2 bmi2 adx\", "
            "\"openssl\": \"OpenSSL \\\"3\\\"\", \"openssl_cpu\": \"CPUINFO: x\"}");
}

// Proves: AddToContext hands the benchmark context the five fields of this
// machine, in ToJson's order, none empty.
TEST(Machine, AddToContextGivesEveryField) {
  std::vector<std::pair<std::string, std::string>> got;
  AddToContext([&](const std::string& k, const std::string& v) { got.emplace_back(k, v); });
  ASSERT_EQ(got.size(), 5u);
  const char* keys[] = {"cpu_model", "cpu_id", "cpu_flags", "openssl", "openssl_cpu"};
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, keys[i]);
    EXPECT_FALSE(got[i].second.empty()) << keys[i];
  }
}

}  // namespace
}  // namespace sipim::machine
