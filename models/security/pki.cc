#include "security/pki.h"
#include "security/wall_clock.h"

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace sipim::security {

const char* KeyAlgName(KeyAlg alg) { return alg == KeyAlg::kRsa2048 ? "rsa2048" : "p256"; }

Result<EvpPkeyPtr> GenerateKey(KeyAlg alg) {
  EVP_PKEY* raw = alg == KeyAlg::kRsa2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  if (raw == nullptr) return CryptoError("key generation");
  return EvpPkeyPtr(raw);
}

static bool KeyIsAlg(EVP_PKEY* key, KeyAlg alg) {
  if (alg == KeyAlg::kRsa2048) return EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) == 2048;
  return EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) == 256;
}

Result<EvpPkeyPtr> LoadOrGenerateKey(KeyAlg alg, const std::string& pem_path) {
  if (FILE* f = std::fopen(pem_path.c_str(), "rb")) {
    EvpPkeyPtr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    if (key && KeyIsAlg(key.get(), alg)) return key;
    DrainOpenSslErrors();  // a stale or foreign cache file: regenerate
  }
  auto key = GenerateKey(alg);
  if (!key) return key;
  if (FILE* f = std::fopen(pem_path.c_str(), "wb")) {
    if (PEM_write_PrivateKey(f, key->get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      DrainOpenSslErrors();
    }
    std::fclose(f);
  }
  return key;
}

// Adds one v3 extension given in OpenSSL's config syntax.
static bool AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// A certificate over `subject_key` with the common fields filled in.
static Result<X509Ptr> NewCert(const std::string& cn, EVP_PKEY* subject_key, std::int64_t serial,
                               const Validity& v) {
  X509Ptr cert(X509_new());
  if (!cert) return CryptoError("X509_new");
  std::time_t now = WallClockSeconds();
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()), serial) != 1 ||
      X509_time_adj(X509_getm_notBefore(cert.get()), static_cast<long>(v.not_before_s), &now) == nullptr ||
      X509_time_adj(X509_getm_notAfter(cert.get()), static_cast<long>(v.not_after_s), &now) == nullptr ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return CryptoError("certificate fields");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("sipim test PKI"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1) {
    return CryptoError("certificate subject");
  }
  return cert;
}

Result<TestCa> TestCa::Create(std::string common_name, EvpPkeyPtr key, KeyAlg alg,
                              Validity validity) {
  if (!key) return MakeError(Errc::kCrypto, "TestCa::Create: no key");
  auto cert = NewCert(common_name, key.get(), 1, validity);
  if (!cert) return cert.error();
  X509* c = cert->get();
  if (X509_set_issuer_name(c, X509_get_subject_name(c)) != 1 ||
      !AddExt(c, c, NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExt(c, c, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !AddExt(c, c, NID_subject_key_identifier, "hash") ||
      X509_sign(c, key.get(), EVP_sha256()) <= 0) {
    return CryptoError("CA certificate");
  }
  TestCa ca;
  ca.self_.key = std::move(key);
  ca.self_.cert = std::move(*cert);
  ca.self_.alg = alg;
  return ca;
}

Result<Identity> TestCa::Issue(std::string aor, EvpPkeyPtr key, KeyAlg alg,
                               Validity validity) const {
  if (!key) return MakeError(Errc::kCrypto, "TestCa::Issue: no key");
  if (aor.rfind("sip:", 0) != 0 && aor.rfind("sips:", 0) != 0) {
    return MakeError(Errc::kMalformed, "TestCa::Issue: AOR must be a sip: or sips: URI: " + aor);
  }
  auto cert = NewCert(aor, key.get(), next_serial_++, validity);
  if (!cert) return cert.error();
  X509* c = cert->get();
  const std::string san = "URI:" + aor;
  const char* usage = alg == KeyAlg::kRsa2048 ? "critical,digitalSignature,keyEncipherment"
                                              : "critical,digitalSignature,keyAgreement";
  if (X509_set_issuer_name(c, X509_get_subject_name(self_.cert.get())) != 1 ||
      !AddExt(c, self_.cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExt(c, self_.cert.get(), NID_key_usage, usage) ||
      !AddExt(c, self_.cert.get(), NID_ext_key_usage, "emailProtection") ||
      !AddExt(c, self_.cert.get(), NID_subject_alt_name, san.c_str()) ||
      !AddExt(c, self_.cert.get(), NID_authority_key_identifier, "keyid:always") ||
      X509_sign(c, self_.key.get(), EVP_sha256()) <= 0) {
    return CryptoError("user certificate");
  }
  Identity id;
  id.aor = std::move(aor);
  id.key = std::move(key);
  id.cert = std::move(*cert);
  id.alg = alg;
  return id;
}

Result<X509StorePtr> MakeTrustStore(const std::vector<X509*>& cas) {
  X509StorePtr store(X509_STORE_new());
  if (!store) return CryptoError("X509_STORE_new");
  for (X509* ca : cas) {
    if (X509_STORE_add_cert(store.get(), ca) != 1) return CryptoError("X509_STORE_add_cert");
  }
  return store;
}

std::vector<std::string> CertSipUris(X509* cert) {
  std::vector<std::string> out;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type != GEN_URI) continue;
    const ASN1_IA5STRING* s = gn->d.uniformResourceIdentifier;
    std::string uri(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                    static_cast<std::size_t>(ASN1_STRING_length(s)));
    if (uri.rfind("sip:", 0) == 0 || uri.rfind("sips:", 0) == 0) out.push_back(std::move(uri));
  }
  return out;
}

namespace {
// Views into the URI: no copies, so that matching the From AOR costs no
// allocation per message (the S/MIME receive calls this on every message).
struct AorParts {
  std::string_view scheme, user, host;
};
AorParts SplitAor(std::string_view uri) {
  AorParts p;
  const std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos) return p;
  p.scheme = uri.substr(0, colon);
  std::string_view rest = uri.substr(colon + 1);
  rest = rest.substr(0, rest.find_first_of(";?>"));  // drop parameters and headers
  const std::size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    p.user = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  p.host = rest;
  return p;
}
// ASCII case-insensitive equality (scheme and host; the "C" locale's
// tolower, without its call per byte).
bool EqualsNoCaseAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + ('a' - 'A'));
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + ('a' - 'A'));
    if (x != y) return false;
  }
  return true;
}
}  // namespace

bool SameAor(std::string_view a, std::string_view b) {
  const AorParts x = SplitAor(a), y = SplitAor(b);
  return !x.scheme.empty() && !x.host.empty() && EqualsNoCaseAscii(x.scheme, y.scheme) && x.user == y.user &&
         EqualsNoCaseAscii(x.host, y.host);
}

bool Sha256Of(std::string_view a, std::string_view b, unsigned char out[32]) {
  static thread_local EvpMdCtxPtr md(EVP_MD_CTX_new());
  unsigned int len = 0;
  return md && Sha256Md() != nullptr && EVP_DigestInit_ex2(md.get(), Sha256Md(), nullptr) == 1 &&
         EVP_DigestUpdate(md.get(), a.data(), a.size()) == 1 &&
         (b.empty() || EVP_DigestUpdate(md.get(), b.data(), b.size()) == 1) &&
         EVP_DigestFinal_ex(md.get(), out, &len) == 1 && len == 32;
}

// Sets up `ctx` (after sign_init / verify_init) for SHA-256 digests.
static bool DigestParams(EVP_PKEY_CTX* ctx, EVP_PKEY* key) {
  return Sha256Md() != nullptr && EVP_PKEY_CTX_set_signature_md(ctx, Sha256Md()) == 1 &&
         (!EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1);
}

EVP_PKEY_CTX* SignContext(const Identity& id) {
  if (id.sign_ctx && EVP_PKEY_CTX_get0_pkey(id.sign_ctx.get()) == id.key.get()) return id.sign_ctx.get();
  id.sign_ctx.reset();  // made for a key the identity no longer has
  if (!id.key) return nullptr;
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, id.key.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || !DigestParams(ctx.get(), id.key.get())) return nullptr;
  id.sign_ctx = std::move(ctx);
  return id.sign_ctx.get();
}

EVP_PKEY_CTX* RsaDecryptContext(const Identity& id) {
  if (id.decrypt_ctx && EVP_PKEY_CTX_get0_pkey(id.decrypt_ctx.get()) == id.key.get()) return id.decrypt_ctx.get();
  id.decrypt_ctx.reset();  // made for a key the identity no longer has
  if (!id.key || EVP_PKEY_get_id(id.key.get()) != EVP_PKEY_RSA) return nullptr;
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, id.key.get(), nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    DrainOpenSslErrors();
    return nullptr;
  }
  id.decrypt_ctx = std::move(ctx);
  return id.decrypt_ctx.get();
}

std::string_view KeptCertDer(const Identity& id) {
  if (id.cert_der_of.get() == id.cert.get() && !id.cert_der.empty()) return id.cert_der;
  id.cert_der.clear();
  id.cert_der_of.reset();
  if (!id.cert || X509_up_ref(id.cert.get()) != 1) return {};
  X509Ptr held(id.cert.get());
  auto der = CertToDer(id.cert.get());
  if (!der) return {};
  id.cert_der.assign(der->begin(), der->end());
  id.cert_der_of = std::move(held);
  return id.cert_der;
}

EvpPkeyCtxPtr NewVerifyContext(EVP_PKEY* key) {
  EvpPkeyCtxPtr ctx(key != nullptr ? EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr) : nullptr);
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 || !DigestParams(ctx.get(), key)) {
    DrainOpenSslErrors();
    return nullptr;
  }
  return ctx;
}

Result<Bytes> CertToDer(X509* cert) {
  int n = i2d_X509(cert, nullptr);
  if (n <= 0) return CryptoError("i2d_X509");
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  if (i2d_X509(cert, &p) != n) return CryptoError("i2d_X509");
  return out;
}

Result<X509Ptr> CertFromDer(const unsigned char* der, std::size_t len) {
  const unsigned char* p = der;
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(len)));
  if (!cert || p != der + len) {
    DrainOpenSslErrors();
    return MakeError(Errc::kMalformed, "certificate DER does not parse");
  }
  return cert;
}

}  // namespace sipim::security

namespace sipim::security {

// Maps a certificate-path failure to its Errc.
static Error CertPathError(int err, X509* cert) {
  char subject[256] = {0};
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
  std::string msg = "certificate " + std::string(subject) + ": " + X509_verify_cert_error_string(err);
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return MakeError(Errc::kCertExpired, msg);
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return MakeError(Errc::kCertNotYetValid, msg);
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return MakeError(Errc::kUnknownCa, msg);
    default:
      return MakeError(Errc::kCertInvalid, msg);
  }
}

// ASN1_TIME as seconds since the epoch; false if it does not convert.
static bool ToEpoch(const ASN1_TIME* t, std::time_t* out) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return false;
  *out = timegm(&tm);
  return true;
}

// Checks the chain; fills *window when it is non-null.
static Status CheckChain(X509* cert, STACK_OF(X509) * untrusted, X509_STORE* trust, int purpose,
                         std::optional<std::time_t> at_time, ChainWindow* window) {
  if (trust == nullptr) return MakeError(Errc::kUnknownCa, "no trust store configured");
  X509StoreCtxPtr sc(X509_STORE_CTX_new());
  if (!sc || X509_STORE_CTX_init(sc.get(), trust, cert, untrusted) != 1 ||
      (purpose != 0 && X509_STORE_CTX_set_purpose(sc.get(), purpose) != 1)) {
    return CryptoError("X509_STORE_CTX_init");
  }
  if (at_time) {
    X509_STORE_CTX_set_time(sc.get(), 0, *at_time);
  } else if (WallClockReplaced() &&
             (X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(trust)) & X509_V_FLAG_USE_CHECK_TIME) == 0) {
    // OpenSSL would check against the system clock; the certificates were
    // made, and are used, on the replacement clock.
    X509_STORE_CTX_set_time(sc.get(), 0, WallClockSeconds());
  }
  if (X509_verify_cert(sc.get()) != 1) {
    int err = X509_STORE_CTX_get_error(sc.get());
    DrainOpenSslErrors();
    return CertPathError(err, cert);
  }
  if (window == nullptr) return {};
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(sc.get());
  ChainWindow& w = *window;
  w.length = sk_X509_num(chain);
  for (int i = 0; i < w.length; ++i) {
    X509* c = sk_X509_value(chain, i);
    std::time_t nb = 0, na = 0;
    if (!ToEpoch(X509_get0_notBefore(c), &nb) || !ToEpoch(X509_get0_notAfter(c), &na)) {
      return MakeError(Errc::kCertInvalid, "chain certificate validity does not convert to a time");
    }
    if (i == 0 || nb > w.not_before) w.not_before = nb;
    if (i == 0 || na < w.not_after) w.not_after = na;
  }
  return {};
}

Status VerifyCertChain(X509* cert, STACK_OF(X509) * untrusted, X509_STORE* trust, int purpose,
                       std::optional<std::time_t> at_time) {
  return CheckChain(cert, untrusted, trust, purpose, at_time, nullptr);
}

Result<ChainWindow> VerifyCertChainWindow(X509* cert, STACK_OF(X509) * untrusted, X509_STORE* trust,
                                          int purpose, std::optional<std::time_t> at_time) {
  ChainWindow w;
  if (Status st = CheckChain(cert, untrusted, trust, purpose, at_time, &w); !st) return st.error();
  return w;
}

}  // namespace sipim::security
