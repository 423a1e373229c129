#include "security/kdf.h"

#include <openssl/core_names.h>

namespace sipim::security {

const char* PrfFuncName(PrfFunc f) { return f == PrfFunc::kMikey1 ? "mikey1" : "hmac-sha256"; }

namespace {

constexpr std::size_t kChunkBytes = 32;  // inkey is cut into 256-bit pieces

// A keyed HMAC context; Mac() re-initialises it with the same key each time,
// which reuses OpenSSL's precomputed inner/outer pads.
class KeyedHmac {
 public:
  Status Init(const char* digest, const unsigned char* key, std::size_t key_len) {
    mac_.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac_) return CryptoError("EVP_MAC_fetch(HMAC)");
    ctx_.reset(EVP_MAC_CTX_new(mac_.get()));
    if (!ctx_) return CryptoError("EVP_MAC_CTX_new");
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(ctx_.get(), key, key_len, params) != 1) return CryptoError("EVP_MAC_init");
    keyed_once_ = true;
    return {};
  }
  // HMAC(key, a || b) into out (out.size() == digest size).
  Status Mac(const unsigned char* a, std::size_t na, const unsigned char* b, std::size_t nb,
             unsigned char* out, std::size_t out_cap, std::size_t* out_len) {
    if (!keyed_once_ && EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1) {
      return CryptoError("EVP_MAC_init");
    }
    keyed_once_ = false;
    if (EVP_MAC_update(ctx_.get(), a, na) != 1 || (nb && EVP_MAC_update(ctx_.get(), b, nb) != 1) ||
        EVP_MAC_final(ctx_.get(), out, out_len, out_cap) != 1) {
      return CryptoError("HMAC");
    }
    return {};
  }

 private:
  EvpMacPtr mac_;
  EvpMacCtxPtr ctx_;
  bool keyed_once_ = false;
};

// P(s, label, m) XOR-ed into out[0..out.size()).
Status PXor(const char* digest, std::size_t hlen, const unsigned char* s, std::size_t s_len,
            const Bytes& label, Bytes& out) {
  KeyedHmac h;
  if (Status st = h.Init(digest, s, s_len); !st) return st;
  unsigned char a[EVP_MAX_MD_SIZE], block[EVP_MAX_MD_SIZE];
  std::size_t a_len = 0, block_len = 0;
  // A_1 = HMAC(s, A_0 = label)
  if (Status st = h.Mac(label.data(), label.size(), nullptr, 0, a, sizeof a, &a_len); !st) return st;
  for (std::size_t off = 0; off < out.size(); off += hlen) {
    if (Status st = h.Mac(a, a_len, label.data(), label.size(), block, sizeof block, &block_len); !st)
      return st;
    for (std::size_t i = 0; i < hlen && off + i < out.size(); ++i) out[off + i] ^= block[i];
    if (off + hlen < out.size()) {
      // A_{i+1} = HMAC(s, A_i)
      if (Status st = h.Mac(a, a_len, nullptr, 0, a, sizeof a, &a_len); !st) return st;
    }
  }
  (void)block_len;
  return {};
}

}  // namespace

Result<Bytes> MikeyPrf(PrfFunc prf, const Bytes& inkey, const Bytes& label, std::size_t out_len) {
  if (inkey.empty()) return MakeError(Errc::kMalformed, "MIKEY PRF: empty inkey");
  if (out_len == 0) return MakeError(Errc::kMalformed, "MIKEY PRF: zero output length");
  const char* digest = prf == PrfFunc::kMikey1 ? "SHA1" : "SHA256";
  const std::size_t hlen = prf == PrfFunc::kMikey1 ? 20 : 32;
  Bytes out(out_len, 0);
  // n = ceil(len / 32): a multiple of 32 bytes gives exactly len/32 chunks.
  for (std::size_t off = 0; off < inkey.size(); off += kChunkBytes) {
    std::size_t n = std::min(kChunkBytes, inkey.size() - off);
    if (Status st = PXor(digest, hlen, inkey.data() + off, n, label, out); !st) return st.error();
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
  auto a = MikeyPrf(prf, key, KdfLabel(kdf_const::kMsgAuth, 0xFF, csb_id, rand), 20);
  auto s = MikeyPrf(prf, key, KdfLabel(kdf_const::kMsgSalt, 0xFF, csb_id, rand), 14);
  if (!e) return e.error();
  if (!a) return a.error();
  if (!s) return s.error();
  k.encr_key = std::move(*e);
  k.auth_key = std::move(*a);
  k.salt = std::move(*s);
  return k;
}

Result<Bytes> Hmac(const char* digest, const Bytes& key, const unsigned char* data, std::size_t n) {
  KeyedHmac h;
  if (Status st = h.Init(digest, key.data(), key.size()); !st) return st.error();
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (Status st = h.Mac(data, n, nullptr, 0, out, sizeof out, &len); !st) return st.error();
  return Bytes(out, out + len);
}

}  // namespace sipim::security
