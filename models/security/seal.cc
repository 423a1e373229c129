#include "security/seal.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <cstring>

namespace sipim::security {

const char* SealSuiteName(SealSuite s) {
  return s == SealSuite::kAes128Gcm ? "aes128gcm" : "aescm-hmacsha1-80";
}
std::size_t SealTagLen(SealSuite s) { return s == SealSuite::kAes128Gcm ? 16 : 10; }

Status ReplayWindow::Check(std::uint64_t seq) const {
  if (seq == 0) return MakeError(Errc::kReplay, "sequence number 0 is never sent");
  if (seq > top_) return {};
  const std::uint64_t age = top_ - seq;
  if (age >= kSize) {
    return MakeError(Errc::kReplay, "sequence number " + std::to_string(seq) +
                                        " is older than the 64-entry window (highest " +
                                        std::to_string(top_) + ")");
  }
  if (bitmap_ & (std::uint64_t{1} << age)) {
    return MakeError(Errc::kReplay, "sequence number " + std::to_string(seq) + " already received");
  }
  return {};
}

void ReplayWindow::Accept(std::uint64_t seq) {
  if (seq > top_) {
    const std::uint64_t shift = seq - top_;
    bitmap_ = shift >= kSize ? 0 : bitmap_ << shift;
    bitmap_ |= 1;
    top_ = seq;
  } else {
    bitmap_ |= std::uint64_t{1} << (top_ - seq);
  }
}

Result<SealSession> SealSession::Create(SealSuite suite, const SessionKeys& keys) {
  const bool gcm = suite == SealSuite::kAes128Gcm;
  if (keys.tek.size() != 16) return MakeError(Errc::kMalformed, "seal: TEK must be 16 bytes");
  if (keys.salt.size() < (gcm ? 12u : 14u)) {
    return MakeError(Errc::kMalformed, "seal: salt too short for the suite");
  }
  if (!gcm && keys.auth_key.size() < 20) {
    return MakeError(Errc::kMalformed, "seal: AES-CM suite needs a 20-byte auth key");
  }
  SealSession s;
  s.suite_ = suite;
  std::memcpy(s.salt_, keys.salt.data(), gcm ? 12 : 14);
  const EVP_CIPHER* cipher = gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr();
  s.enc_.reset(EVP_CIPHER_CTX_new());
  s.dec_.reset(EVP_CIPHER_CTX_new());
  if (!s.enc_ || !s.dec_ ||
      EVP_EncryptInit_ex(s.enc_.get(), cipher, nullptr, keys.tek.data(), nullptr) != 1 ||
      EVP_DecryptInit_ex(s.dec_.get(), cipher, nullptr, keys.tek.data(), nullptr) != 1) {
    return CryptoError("seal: cipher init");
  }
  if (!gcm) {
    s.ecb_.reset(EVP_CIPHER_CTX_new());
    if (!s.ecb_ || EVP_EncryptInit_ex(s.ecb_.get(), EVP_aes_128_ecb(), nullptr, keys.tek.data(), nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(s.ecb_.get(), 0) != 1) {
      return CryptoError("seal: AES-128-ECB init");
    }
    // Counter block b is (salt || 0x0000) XOR (seq << 16) plus b. A short
    // message (at most kCmShortMax bytes, so at most 256 blocks by the assert)
    // has b in the last byte, which the salt leaves zero: the sum has no
    // carry, and the template holds everything but the sequence number.
    static_assert(kCmShortMax <= 16 * 256 && kCmShortMax % 16 == 0, "short messages count blocks in one byte");
    for (std::size_t b = 0; b < kCmShortMax / 16; ++b) {
      std::memcpy(s.cm_blocks_ + 16 * b, s.salt_, 14);
      s.cm_blocks_[16 * b + 15] = static_cast<unsigned char>(b);
    }
    // HMAC-SHA1 keyed with the 20-byte auth key once per session.
    auto mac = HmacKey::Create(HmacDigest::kSha1, keys.auth_key.data(), 20);
    if (!mac) return mac.error();
    s.hmac_ = std::move(*mac);
  }
  return s;
}

// seq as 8 big-endian bytes, as one word (a loop of byte shifts costs about
// 20 instructions more per message).
static std::uint64_t BigEndian(std::uint64_t seq) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(seq >> (56 - 8 * i));
  std::uint64_t w;
  std::memcpy(&w, b, 8);
  return w;
}

// XORs the big-endian seq into the 8 bytes at p.
static void XorSeq(unsigned char* p, std::uint64_t seq) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  w ^= BigEndian(seq);
  std::memcpy(p, &w, 8);
}

void SealSession::MakeIv(std::uint64_t seq, unsigned char* iv) const {
  if (suite_ == SealSuite::kAes128Gcm) {
    std::memcpy(iv, salt_, 12);
    XorSeq(iv + 4, seq);
  } else {
    std::memcpy(iv, salt_, 14);
    iv[14] = iv[15] = 0;
    // (seq << 16): seq occupies bytes 6..13 of the 16-byte IV.
    XorSeq(iv + 6, seq);
  }
}

// Feeds framing header || seal header to GCM as additional data, in one call
// when the framing header is short (one EVP call costs more than the copy).
static bool GcmAad(EVP_CIPHER_CTX* ctx, std::string_view framing, const unsigned char* hdr, bool enc) {
  int len = 0;
  auto update = [&](const unsigned char* d, std::size_t n) {
    return (enc ? EVP_EncryptUpdate(ctx, nullptr, &len, d, static_cast<int>(n))
                : EVP_DecryptUpdate(ctx, nullptr, &len, d, static_cast<int>(n))) == 1;
  };
  if (framing.size() <= 256) {
    unsigned char buf[256 + kSealHeaderLen];
    if (!framing.empty()) std::memcpy(buf, framing.data(), framing.size());
    std::memcpy(buf + framing.size(), hdr, kSealHeaderLen);
    return update(buf, framing.size() + kSealHeaderLen);
  }
  return update(reinterpret_cast<const unsigned char*>(framing.data()), framing.size()) &&
         update(hdr, kSealHeaderLen);
}

// Gets (seal) or sets (open) the 16-byte GCM tag through the provider's
// parameter directly: EVP_CIPHER_CTX_ctrl's AEAD tag calls are translated
// into the same parameter call first (about 10 ns more each, measured here).
// The parameter array is filled in place (OSSL_PARAM is a plain struct): the
// OSSL_PARAM_construct_* calls cost about 25 instructions per message.
static bool GcmTag(EVP_CIPHER_CTX* ctx, unsigned char* tag, bool set) {
  OSSL_PARAM params[] = {{OSSL_CIPHER_PARAM_AEAD_TAG, OSSL_PARAM_OCTET_STRING, tag, 16, OSSL_PARAM_UNMODIFIED},
                         OSSL_PARAM_END};
  return (set ? EVP_CIPHER_CTX_set_params(ctx, params) : EVP_CIPHER_CTX_get_params(ctx, params)) == 1;
}

static void PutSeq(unsigned char* p, std::uint64_t seq) {
  const std::uint64_t w = BigEndian(seq);
  std::memcpy(p, &w, 8);
}

// 16 bytes as two 64-bit lanes (GCC/Clang vector type: one SSE2 register on
// x86-64).
using V16 = std::uint64_t __attribute__((vector_size(16)));
// CmCrypt places (seq << 16) in those lanes as little-endian words; on a
// big-endian machine the bytes would land elsewhere and the keystream would
// be wrong without any error.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "AES-CM counter blocks assume little-endian lanes");

// dst[0, n) = src[0, n) for the MAC input's join (n < 512; dst and src
// apart), 16 bytes at a time, the last 16 overlapping the one before. Two
// glibc memcpy calls cost more than these copies: AES-CM seal of 100 B went
// from 1.13-1.15 to 1.11-1.12 of its primitives (batches of 200 seals
// alternated with batches of the primitive calls, median of 3000 pairs).
static void CopyShort(unsigned char* dst, const unsigned char* src, std::size_t n) {
  if (n < 16) {
    if (n != 0) std::memcpy(dst, src, n);
    return;
  }
  V16 v;
  for (std::size_t i = 0; i + 16 <= n; i += 16) {
    std::memcpy(&v, src + i, 16);
    std::memcpy(dst + i, &v, 16);
  }
  std::memcpy(&v, src + n - 16, 16);
  std::memcpy(dst + n - 16, &v, 16);
}

bool SealSession::CmMac(std::string_view framing, const unsigned char* hdr_ct, std::size_t n,
                        unsigned char* mac) const {
  const auto* f = reinterpret_cast<const unsigned char*>(framing.data());
  // A caller holding the whole message in one buffer (the framing header,
  // then the frame: a receiver's read buffer) needs no join.
  if (f + framing.size() == hdr_ct) return hmac_.Mac(f, framing.size() + n, nullptr, 0, mac);
  // A short input is made contiguous first: the copy costs less than a
  // second SHA1_Update and the extra block-function call it brings.
  if (framing.size() + n <= kCmJoinMax) {
    unsigned char joined[kCmJoinMax];
    CopyShort(joined, f, framing.size());
    CopyShort(joined + framing.size(), hdr_ct, n);
    return hmac_.Mac(joined, framing.size() + n, nullptr, 0, mac);
  }
  return hmac_.Mac(f, framing.size(), hdr_ct, n, mac);
}

// The MAC's bytes are read back 4 at a time because SHA1_Final has just
// written them as 4-byte words: a wider load spanning two of those stores
// cannot be forwarded from the store buffer and waits for both to reach the
// cache (perf put a third of the old tag function's samples on the 8-byte
// load its tag copy made).
static std::uint32_t Load4(const unsigned char* p) {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}
static std::uint16_t Load2(const unsigned char* p) {
  std::uint16_t w;
  std::memcpy(&w, p, 2);
  return w;
}

// tag[0, 10) = mac[0, 10).
static void PutTag10(unsigned char* tag, const unsigned char* mac) {
  const std::uint32_t a = Load4(mac), b = Load4(mac + 4);
  const std::uint16_t c = Load2(mac + 8);
  std::memcpy(tag, &a, 4);
  std::memcpy(tag + 4, &b, 4);
  std::memcpy(tag + 8, &c, 2);
}

// out[0, sizeof(W)) = in XOR stream, one word of type W, also into out2
// when kTwo.
template <typename W, bool kTwo>
static void XorWord(const unsigned char* in, const unsigned char* stream, unsigned char* out, unsigned char* out2) {
  W a, k;
  std::memcpy(&a, in, sizeof a);
  std::memcpy(&k, stream, sizeof k);
  a ^= k;
  std::memcpy(out, &a, sizeof a);
  if (kTwo) std::memcpy(out2, &a, sizeof a);
}

// out[0, n) = in[0, n) XOR stream[0, n), 16 bytes at a time (one SSE2 XOR on
// x86-64, through the GCC/Clang vector type), then 8 and 4, then bytes; the
// same bytes into out2 when kTwo (out2 may be null otherwise).
template <bool kTwo>
static void XorKeystream(const unsigned char* in, const unsigned char* stream, std::size_t n, unsigned char* out,
                         unsigned char* out2) {
  // Never written when !kTwo; keeps the offsets below off a null pointer
  // (UBSan: pointer arithmetic on null is undefined even if unused).
  unsigned char* const o2 = kTwo ? out2 : out;
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) XorWord<V16, kTwo>(in + i, stream + i, out + i, o2 + i);
  if (n - i >= 8) {
    XorWord<std::uint64_t, kTwo>(in + i, stream + i, out + i, o2 + i);
    i += 8;
  }
  if (n - i >= 4) {
    XorWord<std::uint32_t, kTwo>(in + i, stream + i, out + i, o2 + i);
    i += 4;
  }
  for (; i < n; ++i) {
    out[i] = static_cast<unsigned char>(in[i] ^ stream[i]);
    if (kTwo) o2[i] = out[i];
  }
}

// AES-CM (RFC 3711 §4.1.1): out = in XOR AES(iv), AES(iv + 1), ... Short
// messages take their keystream from one ECB call over the counter blocks
// (re-initialising the CTR context's IV costs more than the AES of 100 bytes);
// long ones go through the CTR context with the new IV.
bool SealSession::CmCrypt(std::uint64_t seq, const unsigned char* in, std::size_t n, unsigned char* out,
                          EVP_CIPHER_CTX* ctr, unsigned char* out2) const {
  int len = 0;
  if (n <= kCmShortMax) {
    if (n == 0) return true;
    const std::size_t nblocks = (n + 15) / 16;
    // (seq << 16) lands on bytes 6..13 of each block (MakeIv): as two
    // little-endian words, the top 16 bits of the first and the low 48 of the
    // second. Each block is then one 16-byte XOR and one 16-byte store, which
    // AES's 16-byte load takes straight from the store buffer (narrower
    // stores into a block, as before, made each load wait for them).
    const std::uint64_t be = BigEndian(seq);
    const V16 seq_bits = {(be & 0xffff) << 48, be >> 16};
    alignas(16) unsigned char blocks[kCmShortMax];
    for (std::size_t b = 0; b < nblocks; ++b) {
      V16 block;
      std::memcpy(&block, cm_blocks_ + 16 * b, 16);
      block ^= seq_bits;
      std::memcpy(blocks + 16 * b, &block, 16);
    }
    unsigned char stream[kCmShortMax];
    if (EVP_EncryptUpdate(ecb_.get(), stream, &len, blocks, static_cast<int>(16 * nblocks)) != 1 ||
        static_cast<std::size_t>(len) != 16 * nblocks) {
      return false;
    }
    if (out2 != nullptr) {
      XorKeystream<true>(in, stream, n, out, out2);
    } else {
      XorKeystream<false>(in, stream, n, out, nullptr);
    }
    return true;
  }
  unsigned char iv[16];
  MakeIv(seq, iv);
  return EVP_CipherInit_ex(ctr, nullptr, nullptr, nullptr, iv, -1) == 1 &&
         EVP_CipherUpdate(ctr, out, &len, in, static_cast<int>(n)) == 1;
}

// Compares the first 10 bytes of `mac` with a received 10-byte tag in
// constant time: word XORs OR-ed together, no branch on the bytes
// (CRYPTO_memcmp's byte loop costs about 80 instructions here, a third of
// what sipim adds to an AES-CM open). 4-byte words for the reason Load4
// gives.
static bool TagMatches(const unsigned char* mac, const unsigned char* tag) {
  const std::uint32_t d = (Load4(mac) ^ Load4(tag)) | (Load4(mac + 4) ^ Load4(tag + 4)) |
                          static_cast<std::uint32_t>(Load2(mac + 8) ^ Load2(tag + 8));
  return d == 0;
}

static Error TagMismatch(std::uint64_t seq) {
  return MakeError(Errc::kTampered,
                   "open: HMAC-SHA1-80 tag does not verify (tampered or wrong key), seq " + std::to_string(seq));
}

Error SealSession::TooLong(const char* op, std::size_t n) const {
  return MakeError(Errc::kMalformed, std::string(op) + ": message of " + std::to_string(n) + " bytes is over the " +
                                         std::to_string(MaxMessage()) + "-byte limit of " + SealSuiteName(suite_));
}

Status SealSession::SealTo(std::string_view framing, std::string_view pt, unsigned char* p) {
  if (!enc_) return MakeError(Errc::kCrypto, "seal: session not initialised");
  if (next_seq_ == 0) return MakeError(Errc::kReplay, "seal: sequence numbers exhausted");
  if (pt.size() > MaxMessage()) return TooLong("seal", pt.size());
  const std::uint64_t seq = next_seq_;
  p[0] = static_cast<unsigned char>(suite_);
  PutSeq(p + 1, seq);
  const auto* in = reinterpret_cast<const unsigned char*>(pt.data());
  unsigned char* ct = p + kSealHeaderLen;
  if (suite_ == SealSuite::kAes128Gcm) {
    unsigned char iv[16];
    MakeIv(seq, iv);
    int len = 0;
    if (EVP_EncryptInit_ex(enc_.get(), nullptr, nullptr, nullptr, iv) != 1 ||
        !GcmAad(enc_.get(), framing, p, true) ||
        EVP_EncryptUpdate(enc_.get(), ct, &len, in, static_cast<int>(pt.size())) != 1 ||
        EVP_EncryptFinal_ex(enc_.get(), ct + len, &len) != 1 ||
        !GcmTag(enc_.get(), ct + pt.size(), false)) {
      return CryptoError("seal: AES-128-GCM");
    }
  } else {
    unsigned char mac[20];
    if (pt.size() <= kCmShortMax && framing.size() + kSealHeaderLen + pt.size() <= kCmJoinMax) {
      // The MAC input (framing || header || ciphertext) is built as the
      // frame is: header and ciphertext are written to both. Copied back
      // from the frame instead (CmMac), each 16-byte load of the just-written
      // ciphertext would span two of the XOR's stores, which the store
      // buffer cannot forward.
      unsigned char joined[kCmJoinMax];
      CopyShort(joined, reinterpret_cast<const unsigned char*>(framing.data()), framing.size());
      unsigned char* h = joined + framing.size();
      h[0] = p[0];
      PutSeq(h + 1, seq);
      if (!CmCrypt(seq, in, pt.size(), ct, enc_.get(), h + kSealHeaderLen)) return CryptoError("seal: AES-128-CM");
      if (!hmac_.Mac(joined, framing.size() + kSealHeaderLen + pt.size(), nullptr, 0, mac)) {
        return CryptoError("seal: HMAC-SHA1");
      }
    } else {
      if (!CmCrypt(seq, in, pt.size(), ct, enc_.get())) return CryptoError("seal: AES-128-CM");
      if (!CmMac(framing, p, kSealHeaderLen + pt.size(), mac)) return CryptoError("seal: HMAC-SHA1");
    }
    PutTag10(ct + pt.size(), mac);
  }
  ++next_seq_;
  return {};
}

Status SealSession::Seal(std::string_view framing, std::string_view pt, std::string& out) {
  // Refused before the output grows (SealTo says why).
  if (pt.size() > MaxMessage()) return SealTo(framing, pt, nullptr);
  const std::size_t start = out.size();
  out.resize(start + SealedSize(pt.size()));
  Status st = SealTo(framing, pt, reinterpret_cast<unsigned char*>(&out[start]));
  if (!st) out.resize(start);
  return st;
}

Result<std::size_t> SealSession::OpenTo(std::string_view framing, std::string_view sealed, unsigned char* pt) {
  if (!dec_) return MakeError(Errc::kCrypto, "open: session not initialised");
  const std::size_t tag_len = SealTagLen(suite_);
  if (sealed.size() < kSealHeaderLen + tag_len) {
    return MakeError(Errc::kMalformed, "open: sealed message of " + std::to_string(sealed.size()) +
                                           " bytes is shorter than header and tag");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  if (p[0] != static_cast<unsigned char>(suite_)) {
    return MakeError(Errc::kMalformed, "open: suite byte " + std::to_string(p[0]) +
                                           " does not match the session's suite");
  }
  std::uint64_t w;
  std::memcpy(&w, p + 1, 8);
  const std::uint64_t seq = BigEndian(w);  // the byte swap is its own inverse
  // In order, the common case, a message is new: no call needed to know it.
  if (seq == 0 || seq <= window_.highest()) {
    if (Status st = window_.Check(seq); !st) return st.error();
  }
  const std::size_t ct_len = sealed.size() - kSealHeaderLen - tag_len;
  if (ct_len > MaxMessage()) return TooLong("open", ct_len);
  const unsigned char* ct = p + kSealHeaderLen;
  const unsigned char* tag = ct + ct_len;
  if (suite_ == SealSuite::kAes128Gcm) {
    unsigned char iv[16];
    MakeIv(seq, iv);
    int len = 0;
    if (EVP_DecryptInit_ex(dec_.get(), nullptr, nullptr, nullptr, iv) != 1 ||
        !GcmAad(dec_.get(), framing, p, false) ||
        EVP_DecryptUpdate(dec_.get(), pt, &len, ct, static_cast<int>(ct_len)) != 1 ||
        !GcmTag(dec_.get(), const_cast<unsigned char*>(tag), true)) {
      OPENSSL_cleanse(pt, ct_len);
      return CryptoError("open: AES-128-GCM");
    }
    if (EVP_DecryptFinal_ex(dec_.get(), pt + len, &len) != 1) {
      DrainOpenSslErrors();
      // GCM decrypts before the tag is checked: nothing unauthenticated is left behind.
      OPENSSL_cleanse(pt, ct_len);
      return MakeError(Errc::kTampered, "open: GCM tag does not verify (tampered or wrong key), seq " +
                                            std::to_string(seq));
    }
  } else {
    unsigned char expect[20];
    if (!CmMac(framing, p, kSealHeaderLen + ct_len, expect)) return CryptoError("open: HMAC-SHA1");
    if (!TagMatches(expect, tag)) return TagMismatch(seq);
    if (!CmCrypt(seq, ct, ct_len, pt, dec_.get())) return CryptoError("open: AES-128-CM");
  }
  window_.Accept(seq);
  return ct_len;
}

Status SealSession::Open(std::string_view framing, std::string_view sealed, std::string& out) {
  const std::size_t start = out.size();
  const std::size_t overhead = SealOverhead(suite_);
  out.resize(start + (sealed.size() > overhead ? sealed.size() - overhead : 0));
  Result<std::size_t> n = OpenTo(framing, sealed, reinterpret_cast<unsigned char*>(&out[start]));
  if (!n) {
    out.resize(start);
    return n.error();
  }
  return {};
}

}  // namespace sipim::security
