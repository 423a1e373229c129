// SHA1_* / SHA256_* are deprecated in OpenSSL 3.0 but still part of it;
// HmacKey uses them on purpose (see HmacKey::State).
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "security/kdf.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>
#include <string>
#include <string_view>

namespace sipim::security {

const char* PrfFuncName(PrfFunc f) { return f == PrfFunc::kMikey1 ? "mikey1" : "hmac-sha256"; }

// The hash states after key XOR ipad and key XOR opad. Low-level SHA
// contexts rather than EVP: in OpenSSL 3.0 every EVP_MAC_init / EVP_MD_CTX
// copy goes through the provider (a digest fetch by name, a free and an
// allocation of the provider context), which costs more than the SHA blocks
// of a short HMAC (measured here for HMAC-SHA1 over 143 bytes: 436 ns through
// EVP, 204 ns this way; the MIKEY message-key derivation 8.8 us before). The
// block functions are the same (SHA-NI where the CPU has it); copying a state
// is a struct copy. The price: these HMACs do not go through the provider
// (a FIPS provider would not see them).
struct HmacKey::State {
  HmacDigest digest;
  SHA_CTX sha1_inner, sha1_outer;
  SHA256_CTX sha256_inner, sha256_outer;
};

void HmacKey::StateFree::operator()(State* s) const {
  OPENSSL_cleanse(s, sizeof *s);
  delete s;
}

namespace {

template <typename Ctx>
struct ShaOps;
template <>
struct ShaOps<SHA_CTX> {
  static constexpr std::size_t kLen = SHA_DIGEST_LENGTH;
  static int Init(SHA_CTX* c) { return SHA1_Init(c); }
  static int Update(SHA_CTX* c, const void* d, std::size_t n) { return SHA1_Update(c, d, n); }
  static int Final(unsigned char* md, SHA_CTX* c) { return SHA1_Final(md, c); }
};
template <>
struct ShaOps<SHA256_CTX> {
  static constexpr std::size_t kLen = SHA256_DIGEST_LENGTH;
  static int Init(SHA256_CTX* c) { return SHA256_Init(c); }
  static int Update(SHA256_CTX* c, const void* d, std::size_t n) { return SHA256_Update(c, d, n); }
  static int Final(unsigned char* md, SHA256_CTX* c) { return SHA256_Final(md, c); }
};

// Absorbs key XOR ipad into `inner` and key XOR opad into `outer`; a key
// longer than the 64-byte block is hashed first (RFC 2104 §2).
template <typename Ctx>
bool KeyPads(const unsigned char* key, std::size_t len, Ctx* inner, Ctx* outer) {
  using Ops = ShaOps<Ctx>;
  unsigned char k[64] = {0}, ipad[64], opad[64];
  bool ok = true;
  if (len > sizeof k) {
    Ctx c;
    ok = Ops::Init(&c) == 1 && Ops::Update(&c, key, len) == 1 && Ops::Final(k, &c) == 1;
    OPENSSL_cleanse(&c, sizeof c);
  } else if (len != 0) {
    std::memcpy(k, key, len);
  }
  for (std::size_t i = 0; i < sizeof k; ++i) {
    ipad[i] = static_cast<unsigned char>(k[i] ^ 0x36);
    opad[i] = static_cast<unsigned char>(k[i] ^ 0x5c);
  }
  ok = ok && Ops::Init(inner) == 1 && Ops::Update(inner, ipad, sizeof ipad) == 1 && Ops::Init(outer) == 1 &&
       Ops::Update(outer, opad, sizeof opad) == 1;
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
  return ok;
}

template <typename Ctx>
bool PadsMac(const Ctx& inner, const Ctx& outer, const unsigned char* a, std::size_t na, const unsigned char* b,
             std::size_t nb, unsigned char* out, bool secret_output) {
  using Ops = ShaOps<Ctx>;
  unsigned char ih[Ops::kLen];
  Ctx w = inner;
  bool ok = Ops::Update(&w, a, na) == 1 && (nb == 0 || Ops::Update(&w, b, nb) == 1) && Ops::Final(ih, &w) == 1;
  w = outer;
  ok = ok && Ops::Update(&w, ih, sizeof ih) == 1 && Ops::Final(out, &w) == 1;
  // After the outer Final, w's chaining state is the MAC itself (Final has
  // cleared its data block). Where the MAC is key material (MacSecret: the
  // MIKEY PRF, the RSA rejection key) that copy is cleared; a tag is sent in
  // clear anyway. The inner hash ih is not key material: it is
  // H(K^ipad || m), and without the K^opad state no MAC follows from it (nor
  // from its length extensions); OpenSSL's HMAC_Final leaves it on the stack
  // too. It goes with w all the same.
  if (secret_output) {
    OPENSSL_cleanse(&w, sizeof w);
    OPENSSL_cleanse(ih, sizeof ih);
  }
  return ok;
}

}  // namespace

Result<HmacKey> HmacKey::Create(HmacDigest digest, const unsigned char* key, std::size_t key_len) {
  HmacKey h;
  h.state_.reset(new State{});
  h.state_->digest = digest;
  const bool ok = digest == HmacDigest::kSha1
                      ? KeyPads(key, key_len, &h.state_->sha1_inner, &h.state_->sha1_outer)
                      : KeyPads(key, key_len, &h.state_->sha256_inner, &h.state_->sha256_outer);
  if (!ok) return CryptoError("HMAC key setup");
  return h;
}

std::size_t HmacKey::size() const {
  if (!state_) return 0;
  return state_->digest == HmacDigest::kSha1 ? SHA_DIGEST_LENGTH : SHA256_DIGEST_LENGTH;
}

bool HmacKey::Compute(const unsigned char* a, std::size_t na, const unsigned char* b, std::size_t nb,
                      unsigned char* out, bool secret_output) const {
  if (!state_) return false;
  const State& s = *state_;
  return s.digest == HmacDigest::kSha1
             ? PadsMac(s.sha1_inner, s.sha1_outer, a, na, b, nb, out, secret_output)
             : PadsMac(s.sha256_inner, s.sha256_outer, a, na, b, nb, out, secret_output);
}

namespace {

constexpr std::size_t kChunkBytes = 32;  // inkey is cut into 256-bit pieces

// P(s, label, m) XOR-ed into out[0..out.size()).
Status PXor(HmacDigest digest, const unsigned char* s, std::size_t s_len, const Bytes& label, Bytes& out) {
  auto h = HmacKey::Create(digest, s, s_len);
  if (!h) return h.error();
  const std::size_t hlen = h->size();
  unsigned char a[SHA256_DIGEST_LENGTH], block[SHA256_DIGEST_LENGTH];
  // A_1 = HMAC(s, A_0 = label)
  if (!h->MacSecret(label.data(), label.size(), nullptr, 0, a)) return CryptoError("MIKEY PRF: HMAC");
  for (std::size_t off = 0; off < out.size(); off += hlen) {
    if (!h->MacSecret(a, hlen, label.data(), label.size(), block)) return CryptoError("MIKEY PRF: HMAC");
    for (std::size_t i = 0; i < hlen && off + i < out.size(); ++i) out[off + i] ^= block[i];
    if (off + hlen < out.size()) {
      // A_{i+1} = HMAC(s, A_i)
      if (!h->MacSecret(a, hlen, nullptr, 0, a)) return CryptoError("MIKEY PRF: HMAC");
    }
  }
  OPENSSL_cleanse(a, sizeof a);
  OPENSSL_cleanse(block, sizeof block);
  return {};
}

}  // namespace

Result<Bytes> MikeyPrf(PrfFunc prf, const Bytes& inkey, const Bytes& label, std::size_t out_len) {
  if (inkey.empty()) return MakeError(Errc::kMalformed, "MIKEY PRF: empty inkey");
  if (out_len == 0) return MakeError(Errc::kMalformed, "MIKEY PRF: zero output length");
  const HmacDigest digest = prf == PrfFunc::kMikey1 ? HmacDigest::kSha1 : HmacDigest::kSha256;
  Bytes out(out_len, 0);
  // n = ceil(len / 32): a multiple of 32 bytes gives exactly len/32 chunks.
  for (std::size_t off = 0; off < inkey.size(); off += kChunkBytes) {
    std::size_t n = std::min(kChunkBytes, inkey.size() - off);
    if (Status st = PXor(digest, inkey.data() + off, n, label, out); !st) return st.error();
  }
  return out;
}

Bytes KdfLabel(std::uint32_t constant, std::uint8_t cs_id, std::uint32_t csb_id, const Bytes& rand) {
  Bytes l;
  l.reserve(9 + rand.size());
  for (int s = 24; s >= 0; s -= 8) l.push_back(static_cast<unsigned char>(constant >> s));
  l.push_back(cs_id);
  for (int s = 24; s >= 0; s -= 8) l.push_back(static_cast<unsigned char>(csb_id >> s));
  l.insert(l.end(), rand.begin(), rand.end());
  return l;
}

Result<SessionKeys> DeriveSessionKeys(PrfFunc prf, const Bytes& tgk, std::uint8_t cs_id,
                                      std::uint32_t csb_id, const Bytes& rand) {
  SessionKeys k;
  auto tek = MikeyPrf(prf, tgk, KdfLabel(kdf_const::kTek, cs_id, csb_id, rand), 16);
  auto salt = MikeyPrf(prf, tgk, KdfLabel(kdf_const::kTgkSalt, cs_id, csb_id, rand), 14);
  auto auth = MikeyPrf(prf, tgk, KdfLabel(kdf_const::kTgkAuth, cs_id, csb_id, rand), 20);
  if (!tek) return tek.error();
  if (!salt) return salt.error();
  if (!auth) return auth.error();
  k.tek = std::move(*tek);
  k.salt = std::move(*salt);
  k.auth_key = std::move(*auth);
  return k;
}

Result<MessageKeys> DeriveMessageKeys(PrfFunc prf, const Bytes& key, std::uint32_t csb_id,
                                      const Bytes& rand) {
  MessageKeys k;
  auto e = MikeyPrf(prf, key, KdfLabel(kdf_const::kMsgEncr, 0xFF, csb_id, rand), 16);
  auto a = DeriveAuthKey(prf, key, csb_id, rand);
  auto s = MikeyPrf(prf, key, KdfLabel(kdf_const::kMsgSalt, 0xFF, csb_id, rand), 14);
  if (!e) return e.error();
  if (!a) return a.error();
  if (!s) return s.error();
  k.encr_key = std::move(*e);
  k.auth_key = std::move(*a);
  k.salt = std::move(*s);
  return k;
}

Result<Bytes> DeriveAuthKey(PrfFunc prf, const Bytes& key, std::uint32_t csb_id, const Bytes& rand) {
  return MikeyPrf(prf, key, KdfLabel(kdf_const::kMsgAuth, 0xFF, csb_id, rand), 20);
}

Result<Bytes> Hmac(const char* digest, const Bytes& key, const unsigned char* data, std::size_t n) {
  const std::string_view name(digest);
  if (name == "SHA1" || name == "SHA256") {
    auto k = HmacKey::Create(name == "SHA1" ? HmacDigest::kSha1 : HmacDigest::kSha256, key.data(), key.size());
    if (!k) return k.error();
    Bytes out(k->size());
    if (!k->Mac(data, n, nullptr, 0, out.data())) return CryptoError("HMAC");
    return out;
  }
  return MakeError(Errc::kUnsupported, std::string("HMAC digest ") + digest + " (SHA1 or SHA256 only)");
}

}  // namespace sipim::security
