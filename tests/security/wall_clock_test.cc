// ScopedWallClock: the security core's signing times, MIKEY timestamps,
// certificate validity and chain checks follow the replacement clock, and
// with DeterministicRandom an S/MIME P-256 message repeats byte for byte.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "security/deterministic_rand.h"
#include "security/mikey.h"
#include "security/pki.h"
#include "security/smime.h"
#include "security/wall_clock.h"

namespace sipim::security {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

// 2040-01-01T00:00:00Z: far from any host's clock, inside UTCTime.
constexpr std::time_t k2040 = 2208988800;

ScopedWallClock FixedClock(std::time_t t) {
  return ScopedWallClock([t] { return system_clock::time_point(seconds(t)); });
}

struct Party {
  TestCa ca;
  Identity dan, shirley;
  X509StorePtr trust;
};

// A P-256 CA and two users, made on the current clocks.
Party MakeParty() {
  Party p;
  auto key = [] {
    auto k = GenerateKey(KeyAlg::kP256);
    EXPECT_TRUE(k.ok()) << k.error().ToString();
    return std::move(*k);
  };
  auto ca = TestCa::Create("clock CA", key(), KeyAlg::kP256);
  EXPECT_TRUE(ca.ok()) << ca.error().ToString();
  p.ca = std::move(*ca);
  auto dan = p.ca.Issue("sip:dan@home.com", key(), KeyAlg::kP256);
  auto shirley = p.ca.Issue("sip:shirley@office.com", key(), KeyAlg::kP256);
  EXPECT_TRUE(dan.ok() && shirley.ok());
  p.dan = std::move(*dan);
  p.shirley = std::move(*shirley);
  auto trust = MakeTrustStore({p.ca.cert()});
  EXPECT_TRUE(trust.ok());
  p.trust = std::move(*trust);
  return p;
}

// Keys, certificates and one signed-and-encrypted IM, all made under
// (seed 1, run 1) at wall-clock second `t`.
std::string SimulatedIm(std::time_t t) {
  auto rng = DeterministicRandom::Install(1, 1);
  EXPECT_TRUE(rng.ok()) << rng.error().ToString();
  const ScopedWallClock clock = FixedClock(t);
  Party p = MakeParty();
  auto body = SmimeSignAndEncrypt(p.dan, {p.shirley.cert.get()}, MakeMimeEntity("text/plain", "hello"),
                                  SmimeCipher::kAes128Gcm);
  EXPECT_TRUE(body.ok()) << body.error().ToString();
  return body->body;
}

// The clock is replaced inside the scope and the system clock is back after it.
TEST(WallClock, ReplacedInScopeRestoredAfter) {
  EXPECT_FALSE(WallClockReplaced());
  {
    const ScopedWallClock clock = FixedClock(k2040);
    EXPECT_TRUE(WallClockReplaced());
    EXPECT_EQ(WallClockSeconds(), k2040);
    // MIKEY's T payload and replay window read NtpNow: seconds since 1900,
    // 32 bits of them, so 2040 is in NTP era 1 (RFC 5905 section 6).
    EXPECT_EQ(mikey::NtpNow() >> 32, (static_cast<std::uint64_t>(k2040) + 2208988800ULL) & 0xFFFFFFFFULL);
  }
  EXPECT_FALSE(WallClockReplaced());
  EXPECT_LT(std::abs(WallClockSeconds() - std::time(nullptr)), 5);
}

// Certificates made under the 2040 clock verify on that clock and are not
// yet valid on the system clock: the chain check reads the same clock.
TEST(WallClock, CertificatesAreMadeAndCheckedOnTheClock) {
  Party p;
  {
    const ScopedWallClock clock = FixedClock(k2040);
    p = MakeParty();
    EXPECT_TRUE(VerifyCertChain(p.dan.cert.get(), nullptr, p.trust.get(), 0).ok());
  }
  const Status now = VerifyCertChain(p.dan.cert.get(), nullptr, p.trust.get(), 0);
  EXPECT_EQ(now.code(), Errc::kCertNotYetValid) << now.error().ToString();
}

// With the randomness and the clock both fixed, a P-256 sign-then-encrypt
// repeats byte for byte (keys, ECDSA nonce, content key, signing time); a
// signing time one second later changes the bytes.
TEST(WallClock, P256SmimeRepeatsUnderFixedRandomAndClock) {
  const std::string first = SimulatedIm(k2040);
  EXPECT_EQ(first, SimulatedIm(k2040));
  EXPECT_NE(first, SimulatedIm(k2040 + 1));
}

// With the keys and certificates fixed beforehand, the same randomness at
// two clock seconds gives two bodies: the signingTime attribute is the clock's.
TEST(WallClock, SigningTimeIsTheClocks) {
  const Party p = MakeParty();
  auto sign_at = [&p](std::time_t t) {
    auto rng = DeterministicRandom::Install(2, 2);
    EXPECT_TRUE(rng.ok()) << rng.error().ToString();
    const ScopedWallClock clock = FixedClock(t);
    auto body = SmimeSign(p.dan, MakeMimeEntity("text/plain", "hello"));
    EXPECT_TRUE(body.ok()) << body.error().ToString();
    return body->body;
  };
  EXPECT_EQ(sign_at(k2040), sign_at(k2040));
  EXPECT_NE(sign_at(k2040), sign_at(k2040 + 1));
}

}  // namespace
}  // namespace sipim::security
