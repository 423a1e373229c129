// DeterministicRandom: while installed, OpenSSL's randomness (and so key
// generation and ECDSA nonces) repeats for the same (seed, run), differs for
// another run, and OpenSSL's own generator comes back when it is destroyed.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <string>
#include <vector>

#include "security/deterministic_rand.h"
#include "security/pki.h"

namespace sipim::security {
namespace {

std::vector<unsigned char> PublicBytes(int n) {
  std::vector<unsigned char> b(static_cast<std::size_t>(n));
  EXPECT_EQ(RAND_bytes(b.data(), n), 1);
  return b;
}

std::vector<unsigned char> PrivateBytes(int n) {
  std::vector<unsigned char> b(static_cast<std::size_t>(n));
  EXPECT_EQ(RAND_priv_bytes(b.data(), n), 1);
  return b;
}

// Public then private bytes drawn under (seed, run).
std::vector<unsigned char> Draw(std::uint64_t seed, std::uint64_t run) {
  auto rng = DeterministicRandom::Install(seed, run);
  EXPECT_TRUE(rng.ok()) << rng.error().ToString();
  std::vector<unsigned char> out = PublicBytes(45);
  std::vector<unsigned char> priv = PrivateBytes(77);
  out.insert(out.end(), priv.begin(), priv.end());
  EXPECT_EQ((*rng)->BytesServed(), 122u);
  return out;
}

// A P-256 key generated and a message signed under (seed, run): the DER
// signature, whose nonce comes from RAND_priv_bytes.
std::string P256Signature(std::uint64_t seed, std::uint64_t run) {
  auto rng = DeterministicRandom::Install(seed, run);
  EXPECT_TRUE(rng.ok()) << rng.error().ToString();
  auto key = GenerateKey(KeyAlg::kP256);
  EXPECT_TRUE(key.ok()) << key.error().ToString();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const std::string msg = "MESSAGE sip:shirley@office.com SIP/2.0";
  unsigned char sig[80];
  std::size_t len = sizeof sig;
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->get()), 1);
  EXPECT_EQ(EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(msg.data()), msg.size()), 1);
  return std::string(reinterpret_cast<char*>(sig), len);
}

// The same (seed, run) gives the same bytes from RAND_bytes and
// RAND_priv_bytes; another run or another seed gives other bytes.
TEST(DeterministicRandom, SameSeedAndRunRepeatOthersDiffer) {
  const auto a = Draw(1, 1);
  EXPECT_EQ(a, Draw(1, 1));
  EXPECT_NE(a, Draw(1, 2));
  EXPECT_NE(a, Draw(2, 1));
}

// Key generation and ECDSA signing repeat byte for byte, so a P-256
// signature's DER length (which depends on the nonce) repeats too.
TEST(DeterministicRandom, P256KeyAndSignatureRepeat) {
  const std::string first = P256Signature(7, 3);
  EXPECT_EQ(first, P256Signature(7, 3));
  EXPECT_NE(first, P256Signature(7, 4));
}

// Only one may be installed: a second Install is an error that says so.
TEST(DeterministicRandom, SecondInstallIsRefused) {
  auto first = DeterministicRandom::Install(1, 1);
  ASSERT_TRUE(first.ok());
  auto second = DeterministicRandom::Install(1, 1);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("already installed"), std::string::npos) << second.error().ToString();
}

// Destroying it restores OpenSSL's own generator: the bytes drawn next are
// not the deterministic stream's, and a new Install is allowed again.
TEST(DeterministicRandom, DestructionRestoresOpenSslsGenerator) {
  const auto stream = Draw(5, 5);
  const std::vector<unsigned char> head(stream.begin(), stream.begin() + 45);
  EXPECT_NE(PublicBytes(45), head);
  EXPECT_NE(PublicBytes(45), PublicBytes(45));
  auto again = DeterministicRandom::Install(5, 5);
  EXPECT_TRUE(again.ok());
}

}  // namespace
}  // namespace sipim::security
