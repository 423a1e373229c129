#pragma once
// Per-message protection inside a session, with keys from MIKEY.
//
// Wire format of one sealed message (all integers big-endian):
//
//   +--------+----------------------------+-----------------+-----------+
//   | suite  | sequence number (64 bits)  | ciphertext      | tag       |
//   | 1 byte | 8 bytes                    | = plaintext len | 16 or 10  |
//   +--------+----------------------------+-----------------+-----------+
//
//   suite 0x01  AES-128-GCM: IV (12 bytes) = salt[0..12) XOR (0x00000000 || seq),
//               tag 16 bytes, AAD = framing header || suite || seq.
//   suite 0x02  AES-128-CM + HMAC-SHA1-80 (SRTP-style, MIKEY's default suite):
//               IV (16 bytes) = (salt[0..14) || 0x0000) XOR (seq << 16),
//               tag = first 10 bytes of HMAC-SHA1(auth_key,
//                                 framing header || suite || seq || ciphertext).
//
// The "framing header" is the message's own header (e.g. the stripped MESSAGE
// start line and headers, or the MSRP chunk header): it travels in clear, is
// authenticated, and is passed to Seal/Open by the caller, not copied here.
// Sequence numbers start at 1 and never repeat under one key; the receiver
// keeps a 64-entry sliding replay window.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "security/error.h"
#include "security/kdf.h"
#include "security/ossl.h"

namespace sipim::security {

enum class SealSuite : std::uint8_t { kAes128Gcm = 1, kAesCmHmacSha1_80 = 2 };
const char* SealSuiteName(SealSuite s);  // "aes128gcm" | "aescm-hmacsha1-80"
constexpr std::size_t kSealHeaderLen = 9;
std::size_t SealTagLen(SealSuite s);  // 16 | 10
inline std::size_t SealOverhead(SealSuite s) { return kSealHeaderLen + SealTagLen(s); }

// 64-entry sliding window over 64-bit sequence numbers (RFC 4303 style).
class ReplayWindow {
 public:
  static constexpr std::uint64_t kSize = 64;
  // kOk if seq is new and inside the window; kReplay otherwise. Does not record.
  Status Check(std::uint64_t seq) const;
  // Records seq as received (call only after the message authenticated).
  void Accept(std::uint64_t seq);
  std::uint64_t highest() const { return top_; }

 private:
  std::uint64_t top_ = 0;     // highest accepted sequence number (0: none yet)
  std::uint64_t bitmap_ = 0;  // bit i set: top_ - i accepted
};

// One direction's keys and state. The cipher (and HMAC) state is keyed once
// at Create(); each message only sets a new IV. The two directions of a
// session must use different keys (KeyMaterial::Derive() for initiator to
// responder, Derive(2) for the other way): both count from seq 1 and nothing
// else in the IV tells them apart (README: "Each direction needs keys of its
// own").
class SealSession {
 public:
  SealSession() = default;
  // keys.tek (16 bytes), keys.salt (>= 12 bytes for GCM, 14 for CM),
  // keys.auth_key (20 bytes, CM only).
  static Result<SealSession> Create(SealSuite suite, const SessionKeys& keys);

  // The size of the sealed message of an n-byte plaintext.
  std::size_t SealedSize(std::size_t n) const { return n + SealOverhead(suite_); }

  // Writes one sealed message (header, ciphertext, tag) to
  // out[0, SealedSize(plaintext.size())).
  Status SealTo(std::string_view framing_header, std::string_view plaintext, unsigned char* out);
  // The same, appended to `out` (whose resize zero-fills the bytes first:
  // about 2 us at 64 KiB on this machine; SealTo into a kept buffer does not).
  Status Seal(std::string_view framing_header, std::string_view plaintext, std::string& out);

  // Verifies and decrypts one sealed message into
  // out[0, sealed.size() - SealOverhead(suite())) and returns the plaintext's
  // size. On any error nothing decrypted is left in `out` (GCM decrypts
  // before its tag is checked: those bytes are cleared).
  // Errors: kMalformed (short frame, wrong suite), kReplay, kTampered (tag).
  Result<std::size_t> OpenTo(std::string_view framing_header, std::string_view sealed, unsigned char* out);
  // The same, the plaintext appended to `out`; on an error `out` is as it was.
  Status Open(std::string_view framing_header, std::string_view sealed, std::string& out);

  SealSuite suite() const { return suite_; }
  // The largest message a seal or open takes. AES-CM: 2^16 blocks (1 MiB),
  // because its counter is the IV's last 16 bits (RFC 3711 §4.1.1): past
  // it the counter would carry into the bytes that hold salt XOR sequence
  // number, and one message's keystream would repeat another's. GCM: 2^31 - 1
  // bytes (the EVP length is an int).
  std::size_t MaxMessage() const {
    return suite_ == SealSuite::kAesCmHmacSha1_80 ? std::size_t{1} << 20 : static_cast<std::size_t>(INT32_MAX);
  }
  std::uint64_t next_seq() const { return next_seq_; }
  // For tests and resynchronisation: the sequence number the next Seal uses.
  void set_next_seq(std::uint64_t s) { next_seq_ = s; }

  // AES-CM messages up to this many bytes are encrypted with a keystream
  // from one AES-ECB call over their counter blocks (no per-message IV
  // re-initialisation); longer ones through the AES-CTR context.
  static constexpr std::size_t kCmShortMax = 256;
  // The MAC input is joined into one buffer up to this many bytes.
  static constexpr std::size_t kCmJoinMax = 512;

 private:
  void MakeIv(std::uint64_t seq, unsigned char* iv) const;
  // kMalformed: an n-byte message is over MaxMessage() (`op`: "seal" / "open").
  Error TooLong(const char* op, std::size_t n) const;
  // The full 20-byte HMAC-SHA1 of framing || hdr_ct[0, n): the tag is its
  // first 10 bytes. False (nothing written) only when an OpenSSL call
  // failed (the caller names it).
  bool CmMac(std::string_view framing, const unsigned char* hdr_ct, std::size_t n, unsigned char* mac) const;
  // False only when an OpenSSL call failed (the caller names it).
  // out2, when given (only with n <= kCmShortMax), gets the output too.
  bool CmCrypt(std::uint64_t seq, const unsigned char* in, std::size_t n, unsigned char* out,
               EVP_CIPHER_CTX* ctr, unsigned char* out2 = nullptr) const;

  SealSuite suite_ = SealSuite::kAes128Gcm;
  EvpCipherCtxPtr enc_;  // GCM, or AES-CTR for long CM messages
  EvpCipherCtxPtr dec_;
  EvpCipherCtxPtr ecb_;  // CM only: AES-128-ECB under the TEK, no padding
  // CM only: HMAC-SHA1 with the key pads absorbed once at Create(); each tag
  // copies the two SHA-1 states (kdf.h).
  HmacKey hmac_;
  unsigned char salt_[14] = {};
  // CM only: the counter blocks of a short message before the sequence
  // number, (salt || 0x00 || index), built at Create(); a message XORs its
  // (seq << 16) into copies of the ones it uses.
  alignas(16) unsigned char cm_blocks_[kCmShortMax] = {};
  std::uint64_t next_seq_ = 1;
  ReplayWindow window_;
};

}  // namespace sipim::security
