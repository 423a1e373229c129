#include "security/mikey.h"
#include "security/wall_clock.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <chrono>
#include <cstring>

namespace sipim::security::mikey {

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kPsk: return "psk";
    case Mode::kPke: return "pke";
    case Mode::kDhSigned: return "dh";
    case Mode::kDhhmac: return "dhhmac";
    case Mode::kEcdhSigned: return "ecdh-ext";
  }
  return "?";
}

const char* DhGroupName(DhGroup g) {
  switch (g) {
    case DhGroup::kOakley5: return "OAKLEY 5";
    case DhGroup::kOakley1: return "OAKLEY 1";
    case DhGroup::kOakley2: return "OAKLEY 2";
  }
  return "unknown";
}

std::uint64_t NtpNow() {
  using namespace std::chrono;
  const auto ns = duration_cast<nanoseconds>(WallClockNow().time_since_epoch()).count();
  const std::uint64_t secs = static_cast<std::uint64_t>(ns / 1000000000) + 2208988800ULL;
  const std::uint64_t frac = (static_cast<std::uint64_t>(ns % 1000000000) << 32) / 1000000000ULL;
  return (secs << 32) | frac;
}

Status ReplayCache::Check(std::uint64_t ts, std::uint64_t now, std::uint32_t csb_id, const Bytes& rand) {
  const std::uint64_t diff = NtpDistance(ts, now);
  if (diff > window_) {
    return MakeError(Errc::kReplay, "timestamp " + std::to_string((ts >> 32)) + " is " +
                                        std::to_string(diff >> 32) + " s from the local clock (window " +
                                        std::to_string(window_ >> 32) + " s)");
  }
  // An entry leaves once it lies more than the window in the past; its age
  // is taken modulo 2^64 (NtpDistance), so across an NTP era rollover too.
  while (!seen_.empty()) {
    const std::uint64_t age = now - seen_.front().ts;
    if (age >> 63 || age <= window_) break;
    seen_.pop_front();
  }
  for (const Entry& e : seen_) {
    if (e.ts == ts && e.csb_id == csb_id && e.rand == rand) {
      return MakeError(Errc::kReplay, "I_MESSAGE already received (same CSB ID, T and RAND)");
    }
  }
  return {};
}

namespace {

constexpr std::size_t kRandLen = 16;
constexpr std::size_t kTgkLen = 16;
constexpr std::size_t kEnvKeyLen = 16;
constexpr std::size_t kMacLen = 20;

Result<Bytes> RandomBytes(std::size_t n) {
  Bytes b(n);
  if (RAND_bytes(b.data(), static_cast<int>(n)) != 1) return CryptoError("RAND_bytes");
  return b;
}

std::uint64_t Now(const Config& c) { return c.now_ntp ? c.now_ntp : NtpNow(); }

Bytes ToBytes64(std::uint64_t v) {
  Bytes b(8);
  for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(v >> (56 - 8 * i));
  return b;
}

Hdr MakeHdr(const Config& c, DataType type, bool v_flag) {
  Hdr h;
  h.data_type = type;
  h.v_flag = v_flag;
  h.prf = c.prf;
  h.csb_id = c.csb_id;
  h.cs_id_map_type = 0;
  h.cs.push_back({0, c.ssrc, 0});
  return h;
}

IdPayload UriId(const std::string& uri) { return IdPayload{1, ToBytes(uri)}; }

// SRTP policy: AES-CM, 128-bit key, HMAC-SHA-1, 160-bit auth key, 112-bit salt, 80-bit tag.
SpPayload DefaultPolicy() {
  SpPayload sp;
  sp.policy_no = 0;
  sp.prot_type = 0;
  sp.params = {{0, {1}}, {1, {16}}, {2, {1}}, {3, {20}}, {4, {14}}, {7, {1}}, {8, {1}}, {10, {1}}, {11, {10}}};
  return sp;
}

// AES-128 in counter mode (encrypts and decrypts), IV per RFC 3830 §4.2.3.
Result<Bytes> AesCm(const MessageKeys& k, std::uint32_t csb_id, std::uint64_t ts, const Bytes& in) {
  unsigned char iv[16] = {0};
  std::memcpy(iv, k.salt.data(), 14);
  // XOR (0x0000 || CSB ID || T): CSB ID at bytes 2..5, T at bytes 6..13.
  for (int i = 0; i < 4; ++i) iv[2 + i] ^= static_cast<unsigned char>(csb_id >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) iv[6 + i] ^= static_cast<unsigned char>(ts >> (56 - 8 * i));
  // Fetched once: EVP_aes_128_ctr() would make EVP_EncryptInit_ex fetch it per call.
  static const EvpCipherPtr aes_ctr(EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr));
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(in.size());
  int len = 0;
  if (!aes_ctr || !ctx || EVP_EncryptInit_ex(ctx.get(), aes_ctr.get(), nullptr, k.encr_key.data(), iv) != 1 ||
      (!in.empty() && EVP_EncryptUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(in.size())) != 1)) {
    return CryptoError("AES-CM-128");
  }
  return out;
}

// HMAC-SHA-1 over the message up to its MAC field, plus `extra`. (In PSK,
// DHHMAC and V messages the MAC payload is last, so this is "the entire
// message except the MAC field"; in PKE the PKE and SIGN payloads that follow
// are covered by the signature.)
Result<Bytes> MacOver(const Bytes& auth_key, const Bytes& msg, std::size_t mac_off, const Bytes& extra = {}) {
  if (mac_off > msg.size()) return MakeError(Errc::kMalformed, "MAC offset beyond the message");
  auto key = HmacKey::Create(HmacDigest::kSha1, auth_key.data(), auth_key.size());
  if (!key) return key.error();
  Bytes mac(key->size());
  if (!key->Mac(msg.data(), mac_off, extra.data(), extra.size(), mac.data())) return CryptoError("MIKEY MAC: HMAC-SHA-1");
  return mac;
}

std::size_t KemacMacOffset(const Message& m, int idx) {
  const auto& k = std::get<KemacPayload>(m.payloads[static_cast<std::size_t>(idx)]);
  return m.offsets[static_cast<std::size_t>(idx)] + 4 + k.encr_data.size() + 1;
}
std::size_t VMacOffset(const Message& m, int idx) { return m.offsets[static_cast<std::size_t>(idx)] + 2; }

Status CheckMac(const Bytes& auth_key, const Bytes& msg, std::size_t mac_off, const Bytes& got,
                const char* what, const Bytes& extra = {}) {
  if (got.size() != kMacLen) return MakeError(Errc::kUnsupported, std::string(what) + ": MAC is not HMAC-SHA-1-160");
  auto mac = MacOver(auth_key, msg, mac_off, extra);
  if (!mac) return mac.error();
  if (CRYPTO_memcmp(mac->data(), got.data(), kMacLen) != 0) {
    return MakeError(Errc::kMacMismatch, std::string(what) + " MAC does not verify");
  }
  return {};
}

// A DHHMAC message (RFC 4650) ends with a KEMAC that carries only the MAC:
// encr alg NULL and no encr data, since the key comes from DH. Anything else
// is refused rather than accepted with its content ignored. Then its MAC,
// over the whole message up to the MAC field, must verify under `auth_key`.
Status CheckDhhmacKemac(const Message& m, const Bytes& raw, const Bytes& auth_key, const char* which) {
  const int ki = m.IndexOf(kKemac);
  if (ki < 0 || static_cast<std::size_t>(ki) + 1 != m.payloads.size()) {
    return MakeError(Errc::kMalformed, std::string("DHHMAC ") + which + " must end with KEMAC");
  }
  const auto& kemac = std::get<KemacPayload>(m.payloads[static_cast<std::size_t>(ki)]);
  if (kemac.encr_alg != 0 || !kemac.encr_data.empty()) {
    return MakeError(Errc::kMalformed, std::string("DHHMAC ") + which + " KEMAC: encr alg " +
                                           std::to_string(kemac.encr_alg) + " with " +
                                           std::to_string(kemac.encr_data.size()) +
                                           " bytes of encr data (RFC 4650: NULL, none)");
  }
  return CheckMac(auth_key, raw, KemacMacOffset(m, ki), kemac.mac, "DHHMAC KEMAC");
}

// RSASSA-PKCS1-v1_5 / SHA-256 with the identity's kept signing context.
Result<Bytes> RsaSign(const Identity& self, const unsigned char* data, std::size_t n) {
  if (!EVP_PKEY_is_a(self.key.get(), "RSA")) {
    return MakeError(Errc::kUnsupported, "MIKEY SIGN needs an RSA key (RFC 3830 defines RSA signatures only)");
  }
  unsigned char digest[32];
  EVP_PKEY_CTX* ctx = SignContext(self);
  if (ctx == nullptr || !Sha256Of({reinterpret_cast<const char*>(data), n}, {}, digest)) {
    return CryptoError("RSA sign setup");
  }
  Bytes sig(static_cast<std::size_t>(EVP_PKEY_get_size(self.key.get())));
  std::size_t len = sig.size();
  if (EVP_PKEY_sign(ctx, sig.data(), &len, digest, sizeof digest) != 1) return CryptoError("RSA sign");
  sig.resize(len);
  return sig;
}

// Verifies with `ctx` (a verify context for the signer's RSA key).
Status RsaVerify(EVP_PKEY_CTX* ctx, const unsigned char* data, std::size_t n, const Bytes& sig) {
  unsigned char digest[32];
  if (ctx == nullptr || !Sha256Of({reinterpret_cast<const char*>(data), n}, {}, digest)) {
    return CryptoError("RSA verify setup");
  }
  if (EVP_PKEY_verify(ctx, sig.data(), sig.size(), digest, sizeof digest) != 1) {
    DrainOpenSslErrors();
    return MakeError(Errc::kBadSignature, "SIGN payload does not verify");
  }
  return {};
}

// Our certificate's DER for a CERT payload, from the copy the Identity keeps
// (encoding it again per message cost about 7 us).
Result<Bytes> OwnCertDer(const Identity& self) {
  const std::string_view der = KeptCertDer(self);
  if (der.empty()) return CryptoError("own certificate DER");
  return Bytes(der.begin(), der.end());
}

// Appends a SIGN payload whose signature field is zero bytes of the key's size, so
// the message is laid out once; RFC 3830 §5.2 signs everything before that
// field, and the real signature is then written over the zeros.
Result<Bytes> EncodeSigned(Message& m, const Identity& self) {
  SignPayload s;
  s.s_type = 0;
  s.signature.assign(static_cast<std::size_t>(EVP_PKEY_get_size(self.key.get())), 0);
  m.payloads.push_back(s);
  auto bytes = Encode(m);
  if (!bytes) return bytes;
  const std::size_t sig_off = m.offsets.back() + 2;
  auto sig = RsaSign(self, bytes->data(), sig_off);
  if (!sig) return sig.error();
  if (sig->size() != s.signature.size()) return MakeError(Errc::kCrypto, "signature length changed");
  std::memcpy(bytes->data() + sig_off, sig->data(), sig->size());
  return bytes;
}

// Verifies the trailing SIGN of `msg` with the certificate carried in CERT
// (chain to cfg.trust, SAN names `expect_uri` if not empty). Returns the SAN URI.
Result<std::string> VerifySignedByCert(const Message& m, const Bytes& raw, const Config& cfg,
                                       const std::string& expect_uri) {
  const CertPayload* cp = m.Find<CertPayload>();
  if (cp == nullptr) return MakeError(Errc::kNoSignerCert, "no CERT payload");
  if (cp->cert_type != 0 && cp->cert_type != 2) {
    return MakeError(Errc::kUnsupported, "CERT type " + std::to_string(cp->cert_type));
  }
  const int si = m.IndexOf(kSign);
  if (si < 0 || static_cast<std::size_t>(si) + 1 != m.payloads.size()) {
    return MakeError(Errc::kMalformed, "signed MIKEY message does not end with SIGN");
  }
  const auto& sign = std::get<SignPayload>(m.payloads.back());
  if (sign.s_type != 0) return MakeError(Errc::kUnsupported, "SIGN S type " + std::to_string(sign.s_type));
  // With a cache the peer's certificate stays parsed and chain-checked
  // (validity re-checked per message); without one it is decoded here.
  X509Ptr parsed;
  CertCache::EntryPtr entry;
  X509* cert = nullptr;
  if (cfg.cert_cache != nullptr) {
    // Cached only once it verified and chains (below).
    auto e = cfg.cert_cache->Lookup({reinterpret_cast<const char*>(cp->data.data()), cp->data.size()});
    if (!e) return e.error();
    entry = *e;
    cert = entry->cert.get();
  } else {
    auto c = CertFromDer(cp->data.data(), cp->data.size());
    if (!c) return c.error();
    parsed = std::move(*c);
    cert = parsed.get();
  }
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  if (pub == nullptr) return MakeError(Errc::kMalformed, "CERT has no public key");
  // S type 0 is RSASSA-PKCS1-v1_5: the verify context follows the key, so an
  // EC certificate would otherwise have an ECDSA signature accepted as it.
  if (EVP_PKEY_is_a(pub, "RSA") != 1) {
    return MakeError(Errc::kBadSignature, "SIGN S type 0 (RSA/PKCS#1/1.5) but the CERT key is not RSA");
  }
  EvpPkeyCtxPtr fresh;
  EVP_PKEY_CTX* vctx = entry != nullptr ? entry->VerifyContext() : (fresh = NewVerifyContext(pub)).get();
  if (Status st = RsaVerify(vctx, raw.data(), m.offsets.back() + 2, sign.signature); !st) return st.error();
  if (Status st = entry != nullptr ? cfg.cert_cache->CheckChain(*entry, nullptr, cfg.trust, 0, std::nullopt)
                                   : VerifyCertChain(cert, nullptr, cfg.trust, 0);
      !st) {
    return st.error();
  }
  if (entry != nullptr) cfg.cert_cache->Keep(entry);
  std::string named;
  for (const std::string& uri : entry != nullptr ? entry->sip_uris : CertSipUris(cert)) {
    if (expect_uri.empty() || SameAor(uri, expect_uri)) named = uri;
  }
  if (named.empty()) {
    return MakeError(Errc::kFromMismatch, "CERT does not name " + (expect_uri.empty() ? std::string("a SIP URI") : expect_uri));
  }
  return named;
}

// ------------------------------------------------------------ Diffie-Hellman

// P-256 domain parameters as a key object, made once per process. Keys
// generated from it, and peer points imported into a copy of it, share its
// EC_GROUP instead of building one from the curve name each time, as
// EVP_EC_gen and EVP_PKEY_fromdata by group name do (measured here: key
// generation 46 -> 15-19 us, point import 24-46 -> 6-11 us). Read-only after
// creation, so one object serves every thread.
EVP_PKEY* P256Params() {
  static const EvpPkeyPtr params = [] {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* p = nullptr;
    if (!ctx || EVP_PKEY_paramgen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1 ||
        EVP_PKEY_paramgen(ctx.get(), &p) != 1) {
      return EvpPkeyPtr();
    }
    return EvpPkeyPtr(p);
  }();
  return params.get();
}

// OAKLEY 1 and 2 (RFC 2409 §6.1 / §6.2): OpenSSL 3 names no 768- or
// 1024-bit MODP group, so their keys come from explicit domain parameters,
// p from BN_get_rfc2409_prime_768 / _1024 and g = 2, kept as a parameter key
// made once per process (read-only after creation, as P256Params). No q:
// OpenSSL 3.0 refuses to generate a key from p, q, g whose strength is below
// 112 bits. The subgroup check (CheckModpValue) needs no q from OpenSSL: it
// relies on p being a safe prime, which RFC 2409 states and the tests check.
struct ExplicitModp {
  OsslPtr<BIGNUM, BN_free> p, g;
  EvpPkeyPtr params;  // null if the parameters could not be made
};

ExplicitModp MakeExplicitModp(BIGNUM* (*prime)(BIGNUM*)) {
  ExplicitModp m;
  m.p.reset(prime(nullptr));
  m.g.reset(BN_new());
  OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> bld(OSSL_PARAM_BLD_new());
  if (!m.p || !m.g || !bld || BN_set_word(m.g.get(), 2) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, m.p.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, m.g.get()) != 1) {
    return ExplicitModp{};
  }
  OsslPtr<OSSL_PARAM, OSSL_PARAM_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !fctx || EVP_PKEY_fromdata_init(fctx.get()) != 1 ||
      EVP_PKEY_fromdata(fctx.get(), &raw, EVP_PKEY_KEY_PARAMETERS, params.get()) != 1) {
    return ExplicitModp{};
  }
  m.params.reset(raw);
  return m;
}

// The kept parameters of OAKLEY 1 or 2; null for OAKLEY 5 (by name), an
// unknown group, or parameters OpenSSL would not make.
const ExplicitModp* ExplicitGroup(DhGroup group) {
  if (group == DhGroup::kOakley1) {
    static const ExplicitModp oakley1 = MakeExplicitModp(BN_get_rfc2409_prime_768);
    return oakley1.params ? &oakley1 : nullptr;
  }
  if (group == DhGroup::kOakley2) {
    static const ExplicitModp oakley2 = MakeExplicitModp(BN_get_rfc2409_prime_1024);
    return oakley2.params ? &oakley2 : nullptr;
  }
  return nullptr;
}

// Length in bits of the private exponent of an OAKLEY 1 or 2 key. Without
// it OpenSSL draws one as long as p (766 / 1022 bits). 160 bits is twice
// OAKLEY 2's 80-bit strength (SP 800-57), the rule behind the 200 bits
// OpenSSL gives its modp_1536 keys, and more than twice OAKLEY 1's; with a
// safe prime a short exponent loses nothing (RFC 3526 §8 / van Oorschot-Wiener).
constexpr int kShortExponentBits = 160;

std::uint8_t GroupId(DhGroup g) { return static_cast<std::uint8_t>(g); }

Error UnknownGroup(DhGroup g) { return MakeError(Errc::kUnsupported, UnknownDhGroupText(GroupId(g))); }

// Config::min_dh_bits: a group with a shorter prime is refused, naming both.
Status CheckGroupPolicy(const Config& cfg, DhGroup g, const char* who) {
  const std::size_t bits = DhGroupBytes(GroupId(g)) * 8;
  if (bits == 0) return UnknownGroup(g);
  if (bits < cfg.min_dh_bits) {
    return MakeError(Errc::kUnsupported, std::string(who) + DhGroupName(g) + " (" + std::to_string(bits) +
                                             "-bit prime) is below the configured minimum of " +
                                             std::to_string(cfg.min_dh_bits) + " bits (Config::min_dh_bits)");
  }
  return {};
}

Result<EvpPkeyPtr> GenKeyPair(Mode mode, DhGroup group) {
  if (mode == Mode::kEcdhSigned) {
    // A key-generation context over P256Params, kept per thread (an
    // EVP_PKEY_CTX is not shared between threads).
    thread_local EvpPkeyCtxPtr kctx;
    if (!kctx) {
      EVP_PKEY* params = P256Params();
      kctx.reset(params != nullptr ? EVP_PKEY_CTX_new(params, nullptr) : nullptr);
      if (kctx && EVP_PKEY_keygen_init(kctx.get()) != 1) kctx.reset();
    }
    EVP_PKEY* k = nullptr;
    if (!kctx || EVP_PKEY_generate(kctx.get(), &k) != 1) return CryptoError("P-256 key generation");
    return EvpPkeyPtr(k);
  }
  if (group != DhGroup::kOakley5) {
    if (DhGroupBytes(GroupId(group)) == 0) return UnknownGroup(group);
    const ExplicitModp* m = ExplicitGroup(group);
    EvpPkeyCtxPtr ctx(m != nullptr ? EVP_PKEY_CTX_new_from_pkey(nullptr, m->params.get(), nullptr) : nullptr);
    int bits = kShortExponentBits;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_DH_PRIV_LEN, &bits), OSSL_PARAM_construct_end()};
    EVP_PKEY* k = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_params(ctx.get(), params) != 1 ||
        EVP_PKEY_generate(ctx.get(), &k) != 1) {
      return CryptoError((std::string(DhGroupName(group)) + " key generation").c_str());
    }
    return EvpPkeyPtr(k);
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("modp_1536"), 0),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* k = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_params(ctx.get(), params) != 1 ||
      EVP_PKEY_generate(ctx.get(), &k) != 1) {
    return CryptoError("OAKLEY 5 (modp_1536) key generation");
  }
  return EvpPkeyPtr(k);
}

Result<Bytes> PublicValue(Mode mode, DhGroup group, EVP_PKEY* key) {
  if (mode == Mode::kEcdhSigned) {
    unsigned char buf[65];
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof buf, &len) != 1) {
      return CryptoError("P-256 public point");
    }
    return Bytes(buf, buf + len);
  }
  // Left-padded to the prime's length, as RFC 3830 §6.4 sizes the field,
  // which is how OpenSSL encodes a DH key's public value: one parameter
  // read (0.4 us here), where EVP_PKEY_get_bn_param(PUB_KEY) and
  // BN_bn2binpad cost 5-6 us.
  Bytes out(DhGroupBytes(GroupId(group)));
  std::size_t len = 0;
  if (out.empty() ||
      EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out.data(), out.size(), &len) != 1 ||
      len != out.size()) {
    return CryptoError("DH public value");
  }
  return out;
}

// The peer's P-256 point as a key over P256Params. Decoding the point checks
// that it lies on the curve; EVP_PKEY_public_check_quick then checks it is
// not the point at infinity and its coordinates are below p. That is full
// public-key validation for P-256: its cofactor is 1, so every such point has
// the group's prime order, and the extra n*Q = O multiplication OpenSSL's
// full check (EVP_PKEY_public_check, what derive_set_peer_ex(..., 1) runs)
// adds proves nothing more here (SP 800-56A rev. 3, 5.6.2.3.3 / 5.6.2.3.4).
Result<EvpPkeyPtr> ImportP256Point(const Bytes& value) {
  EvpPkeyPtr peer(EVP_PKEY_new());
  EVP_PKEY* params = P256Params();
  if (!peer || params == nullptr || EVP_PKEY_copy_parameters(peer.get(), params) != 1 ||
      EVP_PKEY_set1_encoded_public_key(peer.get(), value.data(), value.size()) != 1) {
    std::string why = DrainOpenSslErrors();
    return MakeError(Errc::kMalformed, "ECDH public value is not a valid key: " + why);
  }
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, peer.get(), nullptr));
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
    std::string why = DrainOpenSslErrors();
    return MakeError(Errc::kMalformed, "peer public value rejected: " + why);
  }
  return peer;
}

// OAKLEY 5's prime p, as OpenSSL's modp_1536 group has it, made once per
// process; null unless q = (p-1)/2 there (a safe prime, as RFC 3526 states),
// which the subgroup check below relies on.
const BIGNUM* Modp1536SafePrime() {
  static const OsslPtr<BIGNUM, BN_free> prime = []() -> OsslPtr<BIGNUM, BN_free> {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
    OSSL_PARAM set[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("modp_1536"), 0),
        OSSL_PARAM_construct_end()};
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_paramgen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_params(ctx.get(), set) != 1 ||
        EVP_PKEY_paramgen(ctx.get(), &raw) != 1) {
      return nullptr;
    }
    EvpPkeyPtr params(raw);
    BIGNUM *p = nullptr, *q = nullptr;
    OsslPtr<BIGNUM, BN_free> two_q(BN_new());
    const bool ok = EVP_PKEY_get_bn_param(params.get(), OSSL_PKEY_PARAM_FFC_P, &p) == 1 &&
                    EVP_PKEY_get_bn_param(params.get(), OSSL_PKEY_PARAM_FFC_Q, &q) == 1 && two_q &&
                    BN_lshift1(two_q.get(), q) == 1 && BN_add_word(two_q.get(), 1) == 1 && BN_cmp(two_q.get(), p) == 0;
    BN_free(q);
    OsslPtr<BIGNUM, BN_free> owned(p);
    return ok ? std::move(owned) : nullptr;
  }();
  return prime.get();
}

// The safe prime p of a group, for CheckModpValue: OAKLEY 5's as OpenSSL
// has it (null if OpenSSL's q were not (p-1)/2), OAKLEY 1's and 2's from
// their kept parameters (null only if those could not be made).
const BIGNUM* SafePrime(DhGroup group) {
  if (group == DhGroup::kOakley5) return Modp1536SafePrime();
  const ExplicitModp* m = ExplicitGroup(group);
  return m != nullptr ? m->p.get() : nullptr;
}

// Full public-key validation of a MODP value y (SP 800-56A rev. 3,
// 5.6.2.3.1): 1 < y < p-1 and y^q = 1 mod p. With q = (p-1)/2, y^q mod p is
// the Legendre symbol (y|p) (Euler's criterion), so the last test is
// (y|p) = 1, which BN_kronecker computes by a gcd-like loop instead of the
// 1536-bit (OAKLEY 5) exponentiation OpenSSL's own check (EVP_PKEY_public_check, run by
// derive_set_peer_ex(..., 1)) performs: five times the cost of the short-
// exponent derivation itself, by callgrind. y is public, so the
// non-constant-time loop leaks nothing. The same holds for OAKLEY 1 and 2,
// whose primes are safe primes too (RFC 2409 §6.1 / §6.2).
Status CheckModpValue(const BIGNUM* y, const BIGNUM* p) {
  OsslPtr<BIGNUM, BN_free> p_minus_1(BN_dup(p));
  OsslPtr<BN_CTX, BN_CTX_free> bctx(BN_CTX_new());
  if (!p_minus_1 || !bctx || BN_sub_word(p_minus_1.get(), 1) != 1) return CryptoError("DH value check");
  if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, p_minus_1.get()) >= 0) {
    return MakeError(Errc::kMalformed, "DH public value is not in (1, p-1)");
  }
  const int legendre = BN_kronecker(y, p, bctx.get());
  if (legendre == -2) return CryptoError("DH value check");
  if (legendre != 1) return MakeError(Errc::kMalformed, "DH public value is not in the prime-order subgroup");
  return {};
}

// The peer's public value in `group` as a key; `checked` tells whether
// CheckModpValue validated it (otherwise derive runs OpenSSL's check, which
// can happen for OAKLEY 5 only). The value must be exactly as long as the
// group's prime (RFC 3830 §6.4): the decoder reads that many bytes, and a
// value of another length reaching here is refused, not reinterpreted.
Result<EvpPkeyPtr> ImportDhValue(DhGroup group, const Bytes& value, bool* checked) {
  const std::size_t want = DhGroupBytes(GroupId(group));
  if (want == 0) return UnknownGroup(group);
  if (value.size() != want) {
    return MakeError(Errc::kMalformed, "DH public value is " + std::to_string(value.size()) + " bytes, " +
                                           DhGroupName(group) + " values are " + std::to_string(want));
  }
  OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> bld(OSSL_PARAM_BLD_new());
  OsslPtr<BIGNUM, BN_free> bn(BN_bin2bn(value.data(), static_cast<int>(value.size()), nullptr));
  if (!bld || !bn) return CryptoError("DH peer params");
  *checked = false;
  if (const BIGNUM* p = SafePrime(group); p != nullptr) {
    if (Status st = CheckModpValue(bn.get(), p); !st) return st.error();
    *checked = true;
  }
  bool pushed = false;
  if (group == DhGroup::kOakley5) {
    pushed = OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "modp_1536", 0) == 1;
  } else if (const ExplicitModp* m = ExplicitGroup(group); m != nullptr) {
    pushed = OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, m->p.get()) == 1 &&
             OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, m->g.get()) == 1;
  }
  if (!pushed || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, bn.get()) != 1) {
    return CryptoError("DH peer params");
  }
  OsslPtr<OSSL_PARAM, OSSL_PARAM_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
  EVP_PKEY* peer_raw = nullptr;
  if (!params || !fctx || EVP_PKEY_fromdata_init(fctx.get()) != 1 ||
      EVP_PKEY_fromdata(fctx.get(), &peer_raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    std::string why = DrainOpenSslErrors();
    return MakeError(Errc::kMalformed, "DH public value is not a valid key: " + why);
  }
  return EvpPkeyPtr(peer_raw);
}

// The shared secret with the peer's public value, which is validated in full
// first: a P-256 point by ImportP256Point, a DH value by CheckModpValue
// (or, if OpenSSL's OAKLEY 5 were not a safe prime, by OpenSSL at derive).
// A DH secret is left-padded to the prime's length.
Result<Bytes> SharedSecret(Mode mode, DhGroup group, EVP_PKEY* own, const Bytes& peer_value) {
  const bool ec = mode == Mode::kEcdhSigned;
  bool checked = ec;
  auto peer = ec ? ImportP256Point(peer_value) : ImportDhValue(group, peer_value, &checked);
  if (!peer) return peer.error();
  EvpPkeyCtxPtr dctx(EVP_PKEY_CTX_new(own, nullptr));
  if (!dctx || EVP_PKEY_derive_init(dctx.get()) != 1 || (!ec && EVP_PKEY_CTX_set_dh_pad(dctx.get(), 1) != 1)) {
    return CryptoError("derive init");
  }
  if (EVP_PKEY_derive_set_peer_ex(dctx.get(), peer->get(), checked ? 0 : 1) != 1) {
    std::string why = DrainOpenSslErrors();
    return MakeError(Errc::kMalformed, "peer public value rejected: " + why);
  }
  std::size_t len = 0;
  if (EVP_PKEY_derive(dctx.get(), nullptr, &len) != 1) return CryptoError("derive");
  Bytes secret(len);
  if (EVP_PKEY_derive(dctx.get(), secret.data(), &len) != 1) return CryptoError("derive");
  secret.resize(len);
  if (!ec && len != DhGroupBytes(GroupId(group))) return CryptoError("DH secret is not as long as the prime");
  return secret;
}

Payload DhPayloadOf(Mode mode, DhGroup group, const Bytes& value) {
  if (mode == Mode::kEcdhSigned) return GeneralExtPayload{kEcdhExtType, value};
  DhPayload d;
  d.group = GroupId(group);
  d.value = value;
  return d;
}

// The nth DH value (DH payload, or ECDH General Extension) of a message;
// `group` gets a DH payload's group (the decoder admits 0, 1 and 2 only).
const Bytes* DhValue(const Message& m, Mode mode, std::size_t nth, DhGroup* group) {
  if (mode == Mode::kEcdhSigned) {
    std::size_t k = 0;
    for (const Payload& p : m.payloads) {
      if (const auto* g = std::get_if<GeneralExtPayload>(&p); g && g->type == kEcdhExtType) {
        if (k++ == nth) return &g->data;
      }
    }
    return nullptr;
  }
  const DhPayload* d = m.Find<DhPayload>(nth);
  if (d == nullptr) return nullptr;
  *group = static_cast<DhGroup>(d->group);
  return &d->value;
}

DataType InitType(Mode m) {
  switch (m) {
    case Mode::kPsk: return DataType::kPskInit;
    case Mode::kPke: return DataType::kPkInit;
    case Mode::kDhhmac: return DataType::kDhhmacInit;
    default: return DataType::kDhInit;
  }
}
DataType RespType(Mode m) {
  switch (m) {
    case Mode::kPsk: return DataType::kPskResp;
    case Mode::kPke: return DataType::kPkResp;
    case Mode::kDhhmac: return DataType::kDhhmacResp;
    default: return DataType::kDhResp;
  }
}

std::string Str(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Appends a KEMAC with a zero MAC, encodes, and fills in the MAC.
Result<Bytes> EncodeWithKemacMac(Message& m, KemacPayload kemac, const Bytes& auth_key) {
  kemac.mac_alg = 1;
  kemac.mac.assign(kMacLen, 0);
  m.payloads.push_back(std::move(kemac));
  const int idx = static_cast<int>(m.payloads.size()) - 1;
  auto bytes = Encode(m);
  if (!bytes) return bytes;
  const std::size_t off = KemacMacOffset(m, idx);
  auto mac = MacOver(auth_key, *bytes, off);
  if (!mac) return mac.error();
  std::memcpy(bytes->data() + off, mac->data(), kMacLen);
  return bytes;
}

// MAC input for V: IDi || IDr || T (of the I_MESSAGE).
Bytes VExtra(const std::string& idi, const std::string& idr, std::uint64_t ts) {
  Bytes e = ToBytes(idi);
  Bytes r = ToBytes(idr);
  e.insert(e.end(), r.begin(), r.end());
  Bytes t = ToBytes64(ts);
  e.insert(e.end(), t.begin(), t.end());
  return e;
}

// Appends a V payload with a zero MAC, encodes, and fills in the MAC (over
// the message up to the MAC field, then `extra`).
Result<Bytes> EncodeWithVMac(Message& m, const Bytes& auth_key, const Bytes& extra) {
  m.payloads.push_back(VPayload{1, Bytes(kMacLen, 0)});
  auto bytes = Encode(m);
  if (!bytes) return bytes;
  const std::size_t off = VMacOffset(m, static_cast<int>(m.payloads.size()) - 1);
  auto mac = MacOver(auth_key, *bytes, off, extra);
  if (!mac) return mac.error();
  std::memcpy(bytes->data() + off, mac->data(), kMacLen);
  return bytes;
}

Result<Bytes> BuildV(const Config& c, std::uint64_t ts, const Bytes& auth_key, const std::string& idi) {
  Message r;
  r.hdr = MakeHdr(c, RespType(c.mode), false);
  r.payloads.push_back(TPayload{0, ts});
  r.payloads.push_back(UriId(c.responder_uri));
  return EncodeWithVMac(r, auth_key, VExtra(idi, c.responder_uri, ts));
}

// RFC 3830 §3.3 / RFC 4650 (DHHMAC): the DH R_MESSAGE carries IDi, the initiator the
// responder believes it keyed with, and the initiator checks that it names
// itself. Without the check a peer that re-signs our I_MESSAGE as its own
// (same DHi) gets a validly signed R_MESSAGE naming it, and we would share a
// key with the responder that the responder attributes to that peer (an
// unknown-key-share). IDi is the last ID payload (after IDr in DHHMAC).
Status CheckIdiIsUs(const Message& m, const Config& c) {
  const IdPayload* idi = nullptr;
  for (std::size_t n = 0; const IdPayload* id = m.Find<IdPayload>(n); ++n) idi = id;
  if (idi == nullptr) return MakeError(Errc::kMalformed, "R_MESSAGE without IDi");
  const std::string name = Str(idi->id);
  if (name == c.initiator_uri || (!c.initiator_uri.empty() && SameAor(name, c.initiator_uri))) return {};
  // Signed modes: the responder names a SIP URI of our certificate.
  if (c.mode != Mode::kDhhmac && c.self != nullptr && c.self->cert) {
    for (const std::string& uri : CertSipUris(c.self->cert.get())) {
      if (SameAor(name, uri)) return {};
    }
  }
  return MakeError(Errc::kFromMismatch, "R_MESSAGE IDi names " + name + ", not this initiator");
}

Status CheckHeader(const Message& m, const Config& c, DataType want) {
  if (m.hdr.data_type != want) {
    return MakeError(Errc::kMalformed, "MIKEY data type " + std::to_string(static_cast<int>(m.hdr.data_type)) +
                                           ", expected " + std::to_string(static_cast<int>(want)));
  }
  if (m.hdr.csb_id != c.csb_id && want != InitType(c.mode)) {
    return MakeError(Errc::kMalformed, "R_MESSAGE CSB ID does not match the I_MESSAGE");
  }
  return {};
}

// ------------------------------------------------------------ error messages

constexpr std::size_t kHdrFixedLen = 10;        // through the CS ID map type
constexpr std::uint8_t kHeaderFailed = 0xFF;  // Decode's failed_type untouched: not a payload

bool IsInitType(std::uint8_t dt) {
  return dt == static_cast<std::uint8_t>(DataType::kPskInit) || dt == static_cast<std::uint8_t>(DataType::kPkInit) ||
         dt == static_cast<std::uint8_t>(DataType::kDhInit) || dt == static_cast<std::uint8_t>(DataType::kDhhmacInit);
}

// Why Decode refused an I_MESSAGE, as an Error no.: a header field the codec
// refuses (read again from the bytes, as Decode says only that the header
// failed), or the payload whose value it does not support.
ErrNo DecodeRefusalNo(const Bytes& raw, std::uint8_t failed_type, Errc code) {
  if (failed_type == kHeaderFailed) {
    if (raw.size() > 1 && raw[1] > static_cast<std::uint8_t>(DataType::kDhhmacResp)) return ErrNo::kInvalidDt;
    if (raw.size() > 3 && (raw[3] & 0x7F) > static_cast<std::uint8_t>(PrfFunc::kHmacSha256)) return ErrNo::kInvalidPrf;
    return ErrNo::kUnspecified;
  }
  if (code != Errc::kUnsupported) return ErrNo::kUnspecified;
  switch (failed_type) {
    case kDh: return ErrNo::kInvalidDh;           // a group id RFC 3830 does not register
    case kKemac: case kV: return ErrNo::kInvalidMac;  // a MAC alg it does not register
    case kT: return ErrNo::kInvalidTs;            // a TS type it does not register
    default: return ErrNo::kUnspecified;
  }
}

// A refused MAC (KEMAC, DHHMAC): kUnsupported is a MAC alg other than HMAC-SHA-1-160.
ErrNo MacRefusalNo(Errc code) { return code == Errc::kUnsupported ? ErrNo::kInvalidMac : ErrNoOf(code); }

// A refused signed I_MESSAGE: kUnsupported is a CERT type (Invalid Cert) or a
// SIGN S type, for which RFC 3830 has no number.
ErrNo SignedRefusalNo(const Message& m, Errc code) {
  if (code != Errc::kUnsupported) return ErrNoOf(code);
  const CertPayload* cp = m.Find<CertPayload>();
  return cp != nullptr && cp->cert_type != 0 && cp->cert_type != 2 ? ErrNo::kInvalidCert : ErrNo::kUnspecified;
}

// The common header of an error message answering `raw` (RFC 3830 §5.1.2):
// the I_MESSAGE's CSB ID, PRF func and CS ID map; from its fixed fields
// alone (no crypto session) when the rest does not decode.
Hdr ErrorHdr(const Bytes& raw, const Result<Message>& decoded) {
  Hdr h;
  if (decoded) {
    h = decoded->hdr;
  } else {
    h.prf = static_cast<PrfFunc>(raw[3] & 0x7F);
    h.csb_id = (std::uint32_t{raw[4]} << 24) | (std::uint32_t{raw[5]} << 16) | (std::uint32_t{raw[6]} << 8) | raw[7];
    h.cs_id_map_type = 0;
  }
  h.version = 1;
  h.data_type = DataType::kError;
  h.v_flag = false;
  return h;
}

// The V of an error message in PSK and DHHMAC: keyed as the verification
// message of PSK mode (RFC 3830 §4.1.4, §5.2: the auth key from the PSK,
// CSB ID and RAND of the I_MESSAGE; the MAC also covers IDi || IDr || T of
// the I_MESSAGE, which binds the error to that message). Empty when `i`
// lacks what keys it.
Result<Bytes> ErrorVKey(const Config& c, const Message& i, Bytes* extra) {
  const RandPayload* rp = i.Find<RandPayload>();
  const TPayload* t = i.Find<TPayload>();
  if (rp == nullptr || t == nullptr || c.psk.empty()) return Bytes{};
  const IdPayload* idi = i.Find<IdPayload>(0);
  const IdPayload* idr = i.Find<IdPayload>(1);
  *extra = VExtra(idi ? Str(idi->id) : c.initiator_uri, idr ? Str(idr->id) : c.responder_uri, t->value);
  return DeriveAuthKey(i.hdr.prf, c.psk, i.hdr.csb_id, rp->rand);
}

}  // namespace

const char* ErrNoName(std::uint8_t no) {
  static constexpr const char* kNames[] = {"Auth failure", "Invalid TS",   "Invalid PRF", "Invalid MAC",   "Invalid EA",
                                           "Invalid HA",   "Invalid DH",   "Invalid ID",  "Invalid Cert",  "Invalid SP",
                                           "Invalid SPpar", "Invalid DT", "Unspecified error"};
  return no < sizeof kNames / sizeof kNames[0] ? kNames[no] : "unassigned";
}

ErrNo ErrNoOf(Errc code) {
  switch (code) {
    case Errc::kMacMismatch:
    case Errc::kBadSignature:
    case Errc::kTampered: return ErrNo::kAuthFailure;
    case Errc::kReplay: return ErrNo::kInvalidTs;
    case Errc::kNotRecipient:
    case Errc::kFromMismatch: return ErrNo::kInvalidId;
    case Errc::kNoSignerCert:
    case Errc::kCertExpired:
    case Errc::kCertNotYetValid:
    case Errc::kUnknownCa:
    case Errc::kCertInvalid: return ErrNo::kInvalidCert;
    default: return ErrNo::kUnspecified;
  }
}

// ------------------------------------------------------------------ Initiator

Result<Bytes> Initiator::BuildI() {
  if (built_) return MakeError(Errc::kMalformed, "BuildI called twice");
  const Mode mode = cfg_.mode;
  auto rand = RandomBytes(kRandLen);
  if (!rand) return rand.error();
  rand_ = std::move(*rand);
  ts_ = Now(cfg_);
  Message m;
  m.hdr = MakeHdr(cfg_, InitType(mode), cfg_.want_verify && (mode == Mode::kPsk || mode == Mode::kPke));
  m.payloads.push_back(TPayload{0, ts_});
  m.payloads.push_back(RandPayload{rand_});
  const bool signs = mode == Mode::kPke || mode == Mode::kDhSigned || mode == Mode::kEcdhSigned;
  if (signs) {
    if (cfg_.self == nullptr || !cfg_.self->cert) return MakeError(Errc::kNoSignerCert, "no own certificate");
    auto der = OwnCertDer(*cfg_.self);
    if (!der) return der.error();
    m.payloads.push_back(CertPayload{0, std::move(*der)});
  } else {
    m.payloads.push_back(UriId(cfg_.initiator_uri));
  }
  m.payloads.push_back(UriId(cfg_.responder_uri));
  m.payloads.push_back(DefaultPolicy());
  Result<Bytes> bytes = Bytes{};
  if (mode == Mode::kPsk || mode == Mode::kPke) {
    auto tgk = RandomBytes(kTgkLen);
    if (!tgk) return tgk.error();
    tgk_ = std::move(*tgk);
    Bytes inkey = cfg_.psk;
    if (mode == Mode::kPke) {
      auto env = RandomBytes(kEnvKeyLen);
      if (!env) return env.error();
      env_key_ = std::move(*env);
      inkey = env_key_;
    }
    if (inkey.empty()) return MakeError(Errc::kMalformed, "PSK mode without a pre-shared key");
    auto mk = DeriveMessageKeys(cfg_.prf, inkey, cfg_.csb_id, rand_);
    if (!mk) return mk.error();
    KeyDataSet set;
    if (mode == Mode::kPke) {
      set.has_id = true;
      set.id = UriId(cfg_.initiator_uri);
    }
    set.keys.push_back(KeyDataPayload{0, 0, tgk_, {}, {}});
    auto plain = EncodeKeyData(set);
    if (!plain) return plain.error();
    auto enc = AesCm(*mk, cfg_.csb_id, ts_, *plain);
    if (!enc) return enc.error();
    KemacPayload kemac;
    kemac.encr_alg = 1;
    kemac.encr_data = std::move(*enc);
    if (mode == Mode::kPsk) {
      bytes = EncodeWithKemacMac(m, std::move(kemac), mk->auth_key);
    } else {
      // PKE: MAC the message up to the KEMAC MAC, then PKE and SIGN follow.
      kemac.mac_alg = 1;
      kemac.mac.assign(kMacLen, 0);
      m.payloads.push_back(kemac);
      const int kidx = static_cast<int>(m.payloads.size()) - 1;
      if (cfg_.peer_cert == nullptr) return MakeError(Errc::kNotRecipient, "PKE without the responder's certificate");
      EVP_PKEY* rpub = X509_get0_pubkey(cfg_.peer_cert);
      EvpPkeyCtxPtr ectx(rpub ? EVP_PKEY_CTX_new(rpub, nullptr) : nullptr);
      std::size_t elen = 0;
      if (!ectx || EVP_PKEY_encrypt_init(ectx.get()) != 1 ||
          EVP_PKEY_CTX_set_rsa_padding(ectx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
          EVP_PKEY_CTX_set_rsa_oaep_md(ectx.get(), Sha256Md()) != 1 ||
          EVP_PKEY_encrypt(ectx.get(), nullptr, &elen, env_key_.data(), env_key_.size()) != 1) {
        return CryptoError("PKE: RSA-OAEP encrypt init (responder key must be RSA)");
      }
      Bytes pke(elen);
      if (EVP_PKEY_encrypt(ectx.get(), pke.data(), &elen, env_key_.data(), env_key_.size()) != 1) {
        return CryptoError("PKE: RSA-OAEP encrypt");
      }
      pke.resize(elen);
      m.payloads.push_back(PkePayload{0, std::move(pke)});
      // Encode with zero MAC and signature, fill in the MAC, then sign once
      // over the final bytes (the MAC lies inside the signed range).
      m.payloads.push_back(SignPayload{0, Bytes(static_cast<std::size_t>(EVP_PKEY_get_size(cfg_.self->key.get())), 0)});
      bytes = Encode(m);
      if (!bytes) return bytes;
      const std::size_t off = KemacMacOffset(m, kidx);
      auto mac = MacOver(mk->auth_key, *bytes, off);
      if (!mac) return mac.error();
      std::memcpy(bytes->data() + off, mac->data(), kMacLen);
      const std::size_t sig_off = m.offsets.back() + 2;
      auto sig = RsaSign(*cfg_.self, bytes->data(), sig_off);
      if (!sig) return sig.error();
      if (sig->size() != bytes->size() - sig_off) return MakeError(Errc::kCrypto, "signature length changed");
      std::memcpy(bytes->data() + sig_off, sig->data(), sig->size());
    }
  } else {
    if (mode != Mode::kEcdhSigned) {
      if (Status st = CheckGroupPolicy(cfg_, cfg_.dh_group, "initiator offers "); !st) return st.error();
    }
    auto key = GenKeyPair(mode, cfg_.dh_group);
    if (!key) return key.error();
    dh_key_ = std::move(*key);
    auto pub = PublicValue(mode, cfg_.dh_group, dh_key_.get());
    if (!pub) return pub.error();
    own_dh_value_ = *pub;
    m.payloads.push_back(DhPayloadOf(mode, cfg_.dh_group, own_dh_value_));
    if (mode == Mode::kDhhmac) {
      if (cfg_.psk.empty()) return MakeError(Errc::kMalformed, "DHHMAC without a pre-shared key");
      auto auth_key = DeriveAuthKey(cfg_.prf, cfg_.psk, cfg_.csb_id, rand_);
      if (!auth_key) return auth_key.error();
      bytes = EncodeWithKemacMac(m, KemacPayload{0, {}, 1, {}}, *auth_key);
    } else {
      if (cfg_.self == nullptr || !cfg_.self->key) return MakeError(Errc::kNoSignerCert, "no own key");
      bytes = EncodeSigned(m, *cfg_.self);
    }
  }
  if (!bytes) return bytes;
  i_msg_ = *bytes;
  built_ = true;
  return bytes;
}

Result<KeyMaterial> Initiator::KeysWithoutResponse() const {
  if (!built_ || tgk_.empty()) return MakeError(Errc::kMalformed, "no keys before the exchange completes");
  return KeyMaterial{tgk_, rand_, cfg_.csb_id, cfg_.prf};
}

Result<KeyMaterial> Initiator::ProcessR(const Bytes& raw) {
  if (!built_) return MakeError(Errc::kMalformed, "ProcessR before BuildI");
  auto dm = Decode(raw);
  if (!dm) return dm.error();
  const Message& m = *dm;
  const Mode mode = cfg_.mode;
  if (Status st = CheckHeader(m, cfg_, RespType(mode)); !st) {
    return m.hdr.data_type == DataType::kError ? RefusalFrom(m, raw) : st.error();
  }
  const TPayload* t = m.Find<TPayload>();
  if (t == nullptr) return MakeError(Errc::kMalformed, "R_MESSAGE without T");
  if (mode == Mode::kPsk || mode == Mode::kPke) {
    // The verification message echoes the I_MESSAGE timestamp (§5.2).
    if (t->value != ts_) return MakeError(Errc::kReplay, "V message timestamp differs from the I_MESSAGE's");
    const int vi = m.IndexOf(kV);
    if (vi < 0 || static_cast<std::size_t>(vi) + 1 != m.payloads.size()) {
      return MakeError(Errc::kMalformed, "R_MESSAGE must end with V");
    }
    const Bytes inkey = mode == Mode::kPsk ? cfg_.psk : env_key_;
    auto auth_key = DeriveAuthKey(cfg_.prf, inkey, cfg_.csb_id, rand_);
    if (!auth_key) return auth_key.error();
    const IdPayload* idr = m.Find<IdPayload>();
    const std::string idr_s = idr ? Str(idr->id) : cfg_.responder_uri;
    if (Status st = CheckMac(*auth_key, raw, VMacOffset(m, vi), std::get<VPayload>(m.payloads[static_cast<std::size_t>(vi)]).mac,
                             "V", VExtra(cfg_.initiator_uri, idr_s, ts_));
        !st)
      return st.error();
    return KeyMaterial{tgk_, rand_, cfg_.csb_id, cfg_.prf};
  }
  const std::uint64_t now = Now(cfg_);
  const std::uint64_t diff = NtpDistance(t->value, now);
  if (diff > NtpSeconds(cfg_.window_s)) return MakeError(Errc::kReplay, "R_MESSAGE timestamp outside the window");
  DhGroup group_r = cfg_.dh_group, group_i = cfg_.dh_group;
  const Bytes* dhr = DhValue(m, mode, 0, &group_r);
  const Bytes* dhi = DhValue(m, mode, 1, &group_i);
  if (dhr == nullptr || dhi == nullptr) return MakeError(Errc::kMalformed, "R_MESSAGE lacks DHr or DHi");
  if (group_r != cfg_.dh_group || group_i != cfg_.dh_group) {
    return MakeError(Errc::kMalformed, std::string("R_MESSAGE answers in ") + DhGroupName(group_r) + ", the I_MESSAGE offered " +
                                           DhGroupName(cfg_.dh_group));
  }
  if (*dhi != own_dh_value_) return MakeError(Errc::kMalformed, "R_MESSAGE DHi is not the value we sent");
  if (mode == Mode::kDhhmac) {
    auto auth_key = DeriveAuthKey(cfg_.prf, cfg_.psk, cfg_.csb_id, rand_);
    if (!auth_key) return auth_key.error();
    if (Status st = CheckDhhmacKemac(m, raw, *auth_key, "R_MESSAGE"); !st) return st.error();
  } else {
    auto who = VerifySignedByCert(m, raw, cfg_, cfg_.responder_uri);
    if (!who) return who.error();
  }
  if (Status st = CheckIdiIsUs(m, cfg_); !st) return st.error();
  auto secret = SharedSecret(mode, cfg_.dh_group, dh_key_.get(), *dhr);
  if (!secret) return secret.error();
  return KeyMaterial{std::move(*secret), rand_, cfg_.csb_id, cfg_.prf};
}

// A MIKEY error message in place of the R_MESSAGE: never success. Its claim
// is believed (kPeerRefused) only once its V / SIGN verifies as this mode's
// responder would make it and its T is inside the window.
Error Initiator::RefusalFrom(const Message& m, const Bytes& raw) const {
  std::string claims;
  for (const Payload& p : m.payloads) {
    if (const auto* e = std::get_if<ErrPayload>(&p)) {
      claims += (claims.empty() ? "" : ", ") + std::string(ErrNoName(e->error_no)) + " (" +
                std::to_string(e->error_no) + ")";
    }
  }
  if (claims.empty()) return MakeError(Errc::kMalformed, "MIKEY error message without an ERR payload");
  const std::string what = "MIKEY error message (" + claims + ")";
  if (m.hdr.csb_id != cfg_.csb_id) {
    return MakeError(Errc::kMalformed, what + " is for CSB ID " + std::to_string(m.hdr.csb_id) + ", not this exchange's " +
                                           std::to_string(cfg_.csb_id));
  }
  const TPayload* t = m.Find<TPayload>();
  if (t == nullptr) return MakeError(Errc::kMalformed, what + " without T");
  const Mode mode = cfg_.mode;
  const bool keyed_by_psk = mode == Mode::kPsk || mode == Mode::kDhhmac;
  const int vi = m.IndexOf(kV);
  const int si = m.IndexOf(kSign);
  if (vi < 0 && si < 0) {
    return MakeError(Errc::kPeerRefusedUnverified,
                     "unauthenticated " + what + ": no V or SIGN, so anyone on the path could have sent it");
  }
  if (keyed_by_psk ? vi < 0 : si < 0) {
    return MakeError(Errc::kPeerRefusedUnverified, what + " carries " + (vi >= 0 ? "V" : "SIGN") + ", which a " +
                                                       ModeName(mode) + " initiator cannot check");
  }
  Status st;
  if (keyed_by_psk) {
    if (static_cast<std::size_t>(vi) + 1 != m.payloads.size()) return MakeError(Errc::kMalformed, what + ": V is not last");
    auto auth_key = DeriveAuthKey(cfg_.prf, cfg_.psk, cfg_.csb_id, rand_);
    if (!auth_key) return auth_key.error();
    st = CheckMac(*auth_key, raw, VMacOffset(m, vi), std::get<VPayload>(m.payloads[static_cast<std::size_t>(vi)]).mac,
                  "V", VExtra(cfg_.initiator_uri, cfg_.responder_uri, ts_));
  } else if (mode == Mode::kPke) {
    // PKE carries no CERT of the responder's: the certificate we encrypted to is the one that signs.
    const auto& sign = std::get<SignPayload>(m.payloads.back());
    EVP_PKEY* pub = cfg_.peer_cert != nullptr ? X509_get0_pubkey(cfg_.peer_cert) : nullptr;
    if (pub == nullptr || EVP_PKEY_is_a(pub, "RSA") != 1) {
      st = MakeError(Errc::kNoSignerCert, "no RSA certificate of the responder's to check SIGN with");
    } else if (sign.s_type != 0) {
      st = MakeError(Errc::kUnsupported, "SIGN S type " + std::to_string(sign.s_type));
    } else {
      st = RsaVerify(NewVerifyContext(pub).get(), raw.data(), m.offsets.back() + 2, sign.signature);
    }
  } else {
    auto who = VerifySignedByCert(m, raw, cfg_, cfg_.responder_uri);
    if (!who) st = who.error();
  }
  if (!st) return MakeError(st.code(), what + " does not verify: " + st.error().message);
  const std::uint64_t now = Now(cfg_);
  const std::uint64_t diff = NtpDistance(t->value, now);
  if (diff > NtpSeconds(cfg_.window_s)) {
    return MakeError(Errc::kReplay, what + ": its timestamp is " + std::to_string(diff >> 32) +
                                        " s from our clock (window " + std::to_string(cfg_.window_s) + " s)");
  }
  return MakeError(Errc::kPeerRefused, "MIKEY error message from responder: " + claims);
}

// ------------------------------------------------------------------ Responder

Error Responder::Refuse(ErrNo no, Error error) {
  refusal_ = Refusal{no, error};
  return error;
}

Result<ErrorMessage> Responder::BuildError(const Error& refusal, const Bytes& raw) {
  if (refusal.code == Errc::kOk) return MakeError(Errc::kMalformed, "BuildError without a refusal");
  if (raw.size() < kHdrFixedLen) {
    return MakeError(Errc::kTruncated, "no MIKEY error message: the refused message (" + std::to_string(raw.size()) +
                                           " bytes) is shorter than a common header");
  }
  if (raw[0] != 1) {
    return MakeError(Errc::kUnsupported, "no MIKEY error message answers MIKEY version " + std::to_string(raw[0]));
  }
  // Never an error for an error message or a response (the exchange's
  // initiator does not answer those, and two responders would answer each
  // other's errors for ever). A data type RFC 3830 does not register is an
  // initiator's we do not know: Invalid DT.
  if (raw[1] <= static_cast<std::uint8_t>(DataType::kDhhmacResp) && !IsInitType(raw[1])) {
    return MakeError(Errc::kUnsupported, "no MIKEY error message answers data type " + std::to_string(raw[1]) +
                                             " (a response or an error message)");
  }
  ErrorMessage out;
  const bool recorded = refusal_ && refusal_->error.code == refusal.code && refusal_->error.message == refusal.message;
  out.err_no = recorded ? refusal_->no : ErrNoOf(refusal.code);
  const Result<Message> i = Decode(raw);
  Message e;
  e.hdr = ErrorHdr(raw, i);
  e.payloads.push_back(TPayload{0, Now(cfg_)});
  e.payloads.push_back(ErrPayload{static_cast<std::uint8_t>(out.err_no)});
  Result<Bytes> bytes = Bytes{};
  const Mode mode = cfg_.mode;
  if (mode == Mode::kPsk || mode == Mode::kDhhmac) {
    // A refusal of the initiator's MAC means our PSK is not its key, so no V
    // of ours would verify there: the error goes unauthenticated, as the
    // brackets of [V|SIGN] allow.
    Bytes key, extra;
    if (i && refusal.code != Errc::kMacMismatch) {
      auto k = ErrorVKey(cfg_, *i, &extra);
      if (!k) return k.error();
      key = std::move(*k);
    }
    out.authenticated = !key.empty();
    bytes = out.authenticated ? EncodeWithVMac(e, key, extra) : Encode(e);
  } else if (cfg_.self == nullptr || !cfg_.self->key) {
    bytes = Encode(e);
  } else {
    if (mode != Mode::kPke) {
      if (!cfg_.self->cert) return MakeError(Errc::kNoSignerCert, "MIKEY error message: no own certificate");
      auto der = OwnCertDer(*cfg_.self);
      if (!der) return der.error();
      e.payloads.push_back(CertPayload{0, std::move(*der)});
    }
    out.authenticated = true;
    bytes = EncodeSigned(e, *cfg_.self);
  }
  if (!bytes) return bytes.error();
  out.bytes = std::move(*bytes);
  return out;
}

Result<Bytes> Responder::ProcessI(const Bytes& raw) {
  std::uint8_t failed_type = kHeaderFailed;
  auto dm = Decode(raw.data(), raw.size(), &failed_type);
  if (!dm) return Refuse(DecodeRefusalNo(raw, failed_type, dm.code()), dm.error());
  const Message& m = *dm;
  const Mode mode = cfg_.mode;
  if (Status st = CheckHeader(m, cfg_, InitType(mode)); !st) return Refuse(ErrNo::kInvalidDt, st.error());
  cfg_.csb_id = m.hdr.csb_id;  // the responder answers in the initiator's bundle
  cfg_.prf = m.hdr.prf;
  if (!m.hdr.cs.empty()) cfg_.ssrc = m.hdr.cs.front().ssrc;
  const TPayload* t = m.Find<TPayload>();
  const RandPayload* rp = m.Find<RandPayload>();
  if (t == nullptr || rp == nullptr) return MakeError(Errc::kMalformed, "I_MESSAGE without T or RAND");
  if (rp->rand.size() < 16) return MakeError(Errc::kMalformed, "RAND shorter than 128 bits");
  if (cache_ == nullptr) return Refuse(ErrNo::kUnspecified, MakeError(Errc::kReplay, "no replay cache"));
  if (Status st = cache_->Check(t->value, Now(cfg_), m.hdr.csb_id, rp->rand); !st) return st.error();
  // IDr, when present, must be us.
  const IdPayload* idr = m.Find<IdPayload>(mode == Mode::kPsk || mode == Mode::kDhhmac ? 1 : 0);
  if (idr != nullptr && !cfg_.responder_uri.empty() && !SameAor(Str(idr->id), cfg_.responder_uri)) {
    return MakeError(Errc::kNotRecipient, "I_MESSAGE is for " + Str(idr->id) + ", not " + cfg_.responder_uri);
  }
  // keys_ and peer_uri_ change only when the message verified (RFC 3830 §5.3):
  // a refused message leaves the last exchange's keys as they were.
  KeyMaterial keys{{}, rp->rand, m.hdr.csb_id, m.hdr.prf};
  std::string peer;
  if (mode == Mode::kPsk || mode == Mode::kPke) {
    const int ki = m.IndexOf(kKemac);
    if (ki < 0) return MakeError(Errc::kMalformed, "I_MESSAGE without KEMAC");
    const auto& kemac = std::get<KemacPayload>(m.payloads[static_cast<std::size_t>(ki)]);
    if (kemac.encr_alg != 1) {
      return Refuse(ErrNo::kInvalidEa, MakeError(Errc::kUnsupported, "KEMAC encr alg " + std::to_string(kemac.encr_alg)));
    }
    Bytes inkey = cfg_.psk;
    if (mode == Mode::kPke) {
      auto who = VerifySignedByCert(m, raw, cfg_, "");
      if (!who) return Refuse(SignedRefusalNo(m, who.code()), who.error());
      peer = *who;
      const PkePayload* pke = m.Find<PkePayload>();
      if (pke == nullptr) return MakeError(Errc::kMalformed, "PKE I_MESSAGE without PKE");
      if (cfg_.self == nullptr || !cfg_.self->key) {
        return Refuse(ErrNo::kUnspecified, MakeError(Errc::kNotRecipient, "no own key for PKE"));
      }
      EvpPkeyCtxPtr dctx(EVP_PKEY_CTX_new(cfg_.self->key.get(), nullptr));
      Bytes env(512);
      std::size_t elen = env.size();
      if (!dctx || EVP_PKEY_decrypt_init(dctx.get()) != 1 ||
          EVP_PKEY_CTX_set_rsa_padding(dctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
          EVP_PKEY_CTX_set_rsa_oaep_md(dctx.get(), Sha256Md()) != 1) {
        return CryptoError("PKE: RSA-OAEP decrypt init");
      }
      if (EVP_PKEY_decrypt(dctx.get(), env.data(), &elen, pke->data.data(), pke->data.size()) != 1 ||
          elen != kEnvKeyLen) {
        DrainOpenSslErrors();
        return MakeError(Errc::kTampered, "PKE envelope key does not decrypt with our key");
      }
      env.resize(elen);
      inkey = env;
    }
    if (inkey.empty()) return MakeError(Errc::kMalformed, "no pre-shared key configured");
    auto mk = DeriveMessageKeys(m.hdr.prf, inkey, m.hdr.csb_id, rp->rand);
    if (!mk) return mk.error();
    if (mode == Mode::kPsk && static_cast<std::size_t>(ki) + 1 != m.payloads.size()) {
      return MakeError(Errc::kMalformed, "PSK I_MESSAGE: KEMAC is not the last payload");
    }
    if (Status st = CheckMac(mk->auth_key, raw, KemacMacOffset(m, ki), kemac.mac, "KEMAC"); !st) {
      return Refuse(MacRefusalNo(st.code()), st.error());
    }
    // RFC 3830 §5.4: the cache holds authenticated messages only (see ReplayCache).
    cache_->Remember(t->value, m.hdr.csb_id, rp->rand);
    auto plain = AesCm(*mk, m.hdr.csb_id, t->value, kemac.encr_data);
    if (!plain) return plain.error();
    auto set = DecodeKeyData(plain->data(), plain->size(), mode == Mode::kPke);
    if (!set) return set.error();
    if (mode == Mode::kPke && (!set->has_id || !SameAor(Str(set->id.id), peer))) {
      return MakeError(Errc::kFromMismatch, "IDi inside KEMAC does not match the signer's certificate");
    }
    if (mode == Mode::kPsk) {
      const IdPayload* idi = m.Find<IdPayload>(0);
      peer = idi ? Str(idi->id) : std::string();
    }
    if (set->keys.empty() || set->keys[0].type > 1 || set->keys[0].key.empty()) {
      return MakeError(Errc::kMalformed, "KEMAC carries no TGK");
    }
    keys.tgk = set->keys[0].key;
    Result<Bytes> v = m.hdr.v_flag ? BuildV(cfg_, t->value, mk->auth_key, peer.empty() ? cfg_.initiator_uri : peer)
                                   : Result<Bytes>(Bytes{});
    if (!v) return v;
    keys_ = std::move(keys);
    peer_uri_ = std::move(peer);
    return v;
  }
  // DH family.
  // The answer is in the initiator's group (RFC 3830 §6.4: any of 0, 1, 2).
  DhGroup group = DhGroup::kOakley5;
  const Bytes* dhi = DhValue(m, mode, 0, &group);
  if (dhi == nullptr) return MakeError(Errc::kMalformed, "I_MESSAGE without a DH value");
  if (mode != Mode::kEcdhSigned) {
    if (Status st = CheckGroupPolicy(cfg_, group, "I_MESSAGE in "); !st) return Refuse(ErrNo::kInvalidDh, st.error());
  }
  // DHHMAC: the I_MESSAGE's auth key also MACs the R_MESSAGE (the same PRF
  // inputs: PSK, CSB ID, RAND), so it is derived once.
  Bytes dhhmac_auth_key;
  if (mode == Mode::kDhhmac) {
    auto auth_key = DeriveAuthKey(m.hdr.prf, cfg_.psk, m.hdr.csb_id, rp->rand);
    if (!auth_key) return auth_key.error();
    dhhmac_auth_key = std::move(*auth_key);
    if (Status st = CheckDhhmacKemac(m, raw, dhhmac_auth_key, "I_MESSAGE"); !st) {
      return Refuse(MacRefusalNo(st.code()), st.error());
    }
    const IdPayload* idi = m.Find<IdPayload>(0);
    peer = idi ? Str(idi->id) : std::string();
  } else {
    auto who = VerifySignedByCert(m, raw, cfg_, "");
    if (!who) return Refuse(SignedRefusalNo(m, who.code()), who.error());
    peer = *who;
  }
  // RFC 3830 §5.4: the cache holds authenticated messages only (see ReplayCache).
  cache_->Remember(t->value, m.hdr.csb_id, rp->rand);
  auto key = GenKeyPair(mode, group);
  if (!key) return key.error();
  auto secret = SharedSecret(mode, group, key->get(), *dhi);
  if (!secret) return secret.error();
  keys.tgk = std::move(*secret);
  auto dhr = PublicValue(mode, group, key->get());
  if (!dhr) return dhr.error();
  Message r;
  r.hdr = MakeHdr(cfg_, RespType(mode), false);
  r.payloads.push_back(TPayload{0, Now(cfg_)});
  if (mode == Mode::kDhhmac) {
    r.payloads.push_back(UriId(cfg_.responder_uri));
  } else {
    if (cfg_.self == nullptr || !cfg_.self->cert) {
      return Refuse(ErrNo::kUnspecified, MakeError(Errc::kNoSignerCert, "no own certificate"));
    }
    auto der = OwnCertDer(*cfg_.self);
    if (!der) return der.error();
    r.payloads.push_back(CertPayload{0, std::move(*der)});
  }
  r.payloads.push_back(UriId(peer));
  r.payloads.push_back(DhPayloadOf(mode, group, *dhr));
  r.payloads.push_back(DhPayloadOf(mode, group, *dhi));
  Result<Bytes> out = Bytes{};
  if (mode == Mode::kDhhmac) {
    out = EncodeWithKemacMac(r, KemacPayload{0, {}, 1, {}}, dhhmac_auth_key);
  } else {
    out = EncodeSigned(r, *cfg_.self);
  }
  if (!out) return out;
  keys_ = std::move(keys);
  peer_uri_ = std::move(peer);
  return out;
}

std::string KeyMgmtValue(const Bytes& msg) { return "mikey " + Base64Encode(msg.data(), msg.size()); }

Result<Bytes> ParseKeyMgmtValue(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  if (v.substr(0, 6) != "mikey ") {
    return MakeError(Errc::kMalformed, "key-mgmt protocol is not mikey: " + std::string(v.substr(0, 16)));
  }
  v.remove_prefix(6);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
  Bytes out;
  if (!Base64Decode(v, out) || out.empty()) return MakeError(Errc::kMalformed, "key-mgmt data is not base64");
  return out;
}

}  // namespace sipim::security::mikey
