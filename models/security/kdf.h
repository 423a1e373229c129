#pragma once
// MIKEY key derivation (RFC 3830 §4.1.2-§4.1.4, RFC 6043 §6.1).
//
//   PRF(inkey, label, L):  inkey is cut into n = ceil(bits(inkey)/256) chunks
//   s_1..s_n of 256 bits (the last may be shorter; a length that is a multiple
//   of 256 bits gives exactly len/256 chunks, never an empty extra one), and
//   outkey = P(s_1, label, m) XOR ... XOR P(s_n, label, m), truncated to L,
//   where P(s, label, m) = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label),
//   A_0 = label, A_i = HMAC(s, A_{i-1}).
//   MIKEY-1 (PRF func 0) uses HMAC-SHA-1, m = ceil(L/160 bits);
//   PRF-HMAC-SHA-256 (PRF func 1, RFC 6043 §6.1) uses HMAC-SHA-256, m = ceil(L/256 bits).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "security/error.h"
#include "security/ossl.h"

namespace sipim::security {

enum class PrfFunc : std::uint8_t { kMikey1 = 0, kHmacSha256 = 1 };
const char* PrfFuncName(PrfFunc f);  // "mikey1" | "hmac-sha256"

// The MIKEY PRF. Errors: empty inkey, zero outkey length.
Result<Bytes> MikeyPrf(PrfFunc prf, const Bytes& inkey, const Bytes& label, std::size_t out_len);

// Label constants (RFC 3830 §4.1.3 keys from the TGK; §4.1.4 keys from the
// pre-shared or envelope key).
namespace kdf_const {
constexpr std::uint32_t kTek = 0x2AD01C64;
constexpr std::uint32_t kTgkAuth = 0x1B5C7973;
constexpr std::uint32_t kTgkEncr = 0x15798CEF;
constexpr std::uint32_t kTgkSalt = 0x39A2C14B;
constexpr std::uint32_t kMsgEncr = 0x150533E1;
constexpr std::uint32_t kMsgAuth = 0x2D22AC75;
constexpr std::uint32_t kMsgSalt = 0x29B88916;
}  // namespace kdf_const

// constant || cs_id || csb_id || RAND (§4.1.3); §4.1.4 uses cs_id = 0xFF.
Bytes KdfLabel(std::uint32_t constant, std::uint8_t cs_id, std::uint32_t csb_id, const Bytes& rand);

// Keys for one crypto session, derived from the TGK (§4.1.3).
struct SessionKeys {
  Bytes tek;       // traffic-encrypting key (16 bytes)
  Bytes salt;      // salting key (14 bytes, as SRTP's master salt)
  Bytes auth_key;  // authentication key (20 bytes, HMAC-SHA-1)
};
Result<SessionKeys> DeriveSessionKeys(PrfFunc prf, const Bytes& tgk, std::uint8_t cs_id,
                                      std::uint32_t csb_id, const Bytes& rand);

// Keys protecting the MIKEY message itself, derived from a pre-shared key or
// PKE envelope key (§4.1.4): KEMAC encryption key, MAC key, AES-CM salt.
struct MessageKeys {
  Bytes encr_key;  // 16 bytes (AES-CM-128)
  Bytes auth_key;  // 20 bytes (HMAC-SHA-1-160)
  Bytes salt;      // 14 bytes (112-bit salt of §4.2.3)
};
Result<MessageKeys> DeriveMessageKeys(PrfFunc prf, const Bytes& psk_or_env_key,
                                      std::uint32_t csb_id, const Bytes& rand);
// Only MessageKeys::auth_key: what a MAC check, a V message or DHHMAC's
// KEMAC (no encrypted data) needs, without the two PRF runs for the others.
Result<Bytes> DeriveAuthKey(PrfFunc prf, const Bytes& psk_or_env_key, std::uint32_t csb_id, const Bytes& rand);

// HMAC (RFC 2104) with SHA-1 or SHA-256 whose key pads are absorbed once
// (RFC 2104 §4's precomputation): each Mac() copies the two hash states and
// finishes them. Built on OpenSSL's low-level SHA functions, not EVP (see
// kdf.cc for why and what that gives up). Movable, not copyable; the states
// are cleansed when it is destroyed.
enum class HmacDigest : std::uint8_t { kSha1, kSha256 };
class HmacKey {
 public:
  HmacKey() = default;
  static Result<HmacKey> Create(HmacDigest digest, const unsigned char* key, std::size_t key_len);
  std::size_t size() const;  // 20 | 32 bytes of MAC (0 if empty)
  // HMAC(key, a || b) into out[0..size()). False if there is no key or an
  // OpenSSL call failed (the error queue says which; CryptoError drains it).
  // A bool, not a Status: sealing calls this per message, and an empty
  // Status (a std::string inside) costs more than the check.
  // Mac: for a MAC that is sent (a tag); MacSecret: for one that is key
  // material (a PRF block, a derived key), whose working copies are cleared.
  bool Mac(const unsigned char* a, std::size_t na, const unsigned char* b, std::size_t nb,
           unsigned char* out) const {
    return Compute(a, na, b, nb, out, false);
  }
  bool MacSecret(const unsigned char* a, std::size_t na, const unsigned char* b, std::size_t nb,
                 unsigned char* out) const {
    return Compute(a, na, b, nb, out, true);
  }
  explicit operator bool() const { return state_ != nullptr; }

 private:
  bool Compute(const unsigned char* a, std::size_t na, const unsigned char* b, std::size_t nb,
               unsigned char* out, bool secret_output) const;
  struct State;
  struct StateFree {
    void operator()(State* s) const;
  };
  std::unique_ptr<State, StateFree> state_;
};

// One-shot HMAC through HmacKey; digest "SHA1" or "SHA256" (else kUnsupported).
Result<Bytes> Hmac(const char* digest, const Bytes& key, const unsigned char* data, std::size_t n);

}  // namespace sipim::security
