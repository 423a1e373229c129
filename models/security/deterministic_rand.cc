// OpenSSL 3.0 offers one process-wide hook that RAND_priv_bytes (where ECDSA
// nonces and private keys come from) still consults: the RAND_METHOD,
// deprecated since 3.0 but not removed. 3.1+ would allow swapping the
// DRBGs themselves (RAND_set0_private); 3.0 does not. So this file, and only
// this file, uses the deprecated API.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "security/deterministic_rand.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <mutex>

#include "security/ossl.h"

namespace sipim::security {

struct DeterministicRandom::State {
  EvpMdPtr sha256;
  EvpMdCtxPtr ctx;
  std::array<unsigned char, 32> key{};
  std::array<unsigned char, 32> block{};
  std::size_t used = sizeof block;  // bytes of `block` already handed out
  std::uint64_t counter = 0;
  std::uint64_t served = 0;
  const RAND_METHOD* previous = nullptr;
  std::mutex lock;
};

namespace {

// The installed state; RAND_METHOD callbacks carry no user pointer.
DeterministicRandom::State* g_active = nullptr;

void PutBe64(std::uint64_t v, unsigned char* out) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<unsigned char>(v);
}

bool Sha256(DeterministicRandom::State& s, const unsigned char* a, std::size_t an, const unsigned char* b,
            std::size_t bn, unsigned char* out) {
  return EVP_DigestInit_ex(s.ctx.get(), s.sha256.get(), nullptr) == 1 &&
         EVP_DigestUpdate(s.ctx.get(), a, an) == 1 && EVP_DigestUpdate(s.ctx.get(), b, bn) == 1 &&
         EVP_DigestFinal_ex(s.ctx.get(), out, nullptr) == 1;
}

int Bytes(unsigned char* buf, int num) {
  DeterministicRandom::State* s = g_active;
  if (s == nullptr || num < 0) return 0;
  std::lock_guard<std::mutex> guard(s->lock);
  for (int i = 0; i < num; ++i) {
    if (s->used == s->block.size()) {
      unsigned char counter[8];
      PutBe64(s->counter++, counter);
      if (!Sha256(*s, s->key.data(), s->key.size(), counter, sizeof counter, s->block.data())) return 0;
      s->used = 0;
    }
    buf[i] = s->block[s->used++];
  }
  s->served += static_cast<std::uint64_t>(num);
  return 1;
}

// Seed material and entropy estimates are dropped: the stream must depend on
// (seed, run) alone.
int IgnoreSeed(const void*, int) { return 1; }
int IgnoreAdd(const void*, int, double) { return 1; }
void NoCleanup() {}
int Ready() { return 1; }

const RAND_METHOD kMethod = {IgnoreSeed, Bytes, NoCleanup, IgnoreAdd, Bytes, Ready};

Error InstallError(const std::string& what) { return Error{Errc::kCrypto, "DeterministicRandom: " + what}; }

}  // namespace

Result<std::unique_ptr<DeterministicRandom>> DeterministicRandom::Install(std::uint64_t seed, std::uint64_t run) {
  if (g_active != nullptr) return InstallError("one is already installed in this process");
  auto state = std::make_unique<State>();
  state->sha256.reset(EVP_MD_fetch(nullptr, "SHA2-256", nullptr));
  state->ctx.reset(EVP_MD_CTX_new());
  if (!state->sha256 || !state->ctx) return InstallError("SHA-256 is not available");
  static const char kLabel[] = "sipim DeterministicRandom v1";
  unsigned char seed_run[16];
  PutBe64(seed, seed_run);
  PutBe64(run, seed_run + 8);
  if (!Sha256(*state, reinterpret_cast<const unsigned char*>(kLabel), sizeof kLabel - 1, seed_run, sizeof seed_run,
              state->key.data())) {
    return InstallError("SHA-256 failed");
  }
  state->previous = RAND_get_rand_method();
  g_active = state.get();
  if (RAND_set_rand_method(&kMethod) != 1) {
    g_active = nullptr;
    return InstallError("RAND_set_rand_method failed");
  }
  return std::unique_ptr<DeterministicRandom>(new DeterministicRandom(std::move(state)));
}

DeterministicRandom::DeterministicRandom(std::unique_ptr<State> state) : state_(std::move(state)) {}

DeterministicRandom::~DeterministicRandom() {
  // A null previous method means OpenSSL's default, which is what NULL restores.
  RAND_set_rand_method(state_->previous);
  g_active = nullptr;
}

std::uint64_t DeterministicRandom::BytesServed() const {
  std::lock_guard<std::mutex> guard(state_->lock);
  return state_->served;
}

}  // namespace sipim::security
