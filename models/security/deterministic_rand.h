#pragma once
// A reproducible random source for simulations.
//
// A simulation must write the same results for the same seed and run
// (DESIGN.md, "Determinism"), but its crypto is real: keys are generated,
// CMS content keys and IVs drawn, MIKEY RANDs drawn and, above all, ECDSA
// nonces drawn, and the DER length of an ECDSA signature (70 to 72 bytes for
// P-256) depends on the nonce. OpenSSL 3.0 has no deterministic ECDSA
// (RFC 6979 arrived in 3.2), so the only way to make a P-256 run repeat is
// to make OpenSSL's randomness itself repeat.
//
// While a DeterministicRandom is installed, every byte OpenSSL hands out in
// this process (RAND_bytes and RAND_priv_bytes, and so everything built on
// them) is the next byte of a SHA-256 counter-mode stream keyed by
// (seed, run): block i = SHA-256(K || i), K = SHA-256(label || seed || run).
// Seeding and entropy added by OpenSSL are ignored, on purpose: they would
// make the stream depend on the host.
//
// For simulations only. The keys and nonces it gives are exactly as secret as
// the seed, which a scenario file states in the clear. Nothing outside
// `sipim run`'s point-runs (each a forked process of its own) installs it.
#include <cstdint>
#include <memory>

#include "security/error.h"

namespace sipim::security {

class DeterministicRandom {
 public:
  // Replaces OpenSSL's generator in this process until the returned object
  // is destroyed. One at a time: a second Install while one is active is an
  // error. Not for multi-threaded use (a simulation is single-threaded).
  static Result<std::unique_ptr<DeterministicRandom>> Install(std::uint64_t seed, std::uint64_t run);

  // Puts OpenSSL's own generator back.
  ~DeterministicRandom();
  DeterministicRandom(const DeterministicRandom&) = delete;
  DeterministicRandom& operator=(const DeterministicRandom&) = delete;

  // Bytes handed out so far (for logs and tests).
  std::uint64_t BytesServed() const;

  struct State;

 private:
  explicit DeterministicRandom(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace sipim::security
