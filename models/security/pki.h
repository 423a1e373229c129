#pragma once
// Test PKI made at test and scenario time: a CA and per-user certificates,
// RSA-2048 or ECDSA P-256, each user named by its SIP address of record in a
// subjectAltName URI (sip:dan@home.com). No private key is ever committed;
// keys may be cached as PEM in the build tree (LoadOrGenerateKey).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "security/error.h"
#include "security/ossl.h"

namespace sipim::security {

enum class KeyAlg { kRsa2048, kP256 };
const char* KeyAlgName(KeyAlg alg);  // "rsa2048" | "p256"

// A fresh key pair.
Result<EvpPkeyPtr> GenerateKey(KeyAlg alg);

// The key cached at `pem_path` if it exists and is of `alg`, else a fresh one
// written there (best effort: an unwritable cache only costs time).
Result<EvpPkeyPtr> LoadOrGenerateKey(KeyAlg alg, const std::string& pem_path);

// Validity window relative to now, in seconds.
struct Validity {
  std::int64_t not_before_s = -3600;
  std::int64_t not_after_s = 365LL * 24 * 3600;
};

// A user (or the CA): its AOR, key pair and certificate.
struct Identity {
  std::string aor;  // sip:dan@home.com (empty for a CA)
  EvpPkeyPtr key;
  X509Ptr cert;
  KeyAlg alg = KeyAlg::kRsa2048;
  // Kept by the S/MIME signer after first use, so that signing does not
  // re-fetch the signature algorithm or re-encode the certificate per
  // message: an EVP_PKEY_sign context over SHA-256 digests and the
  // certificate's DER. Both are remade when `key` or `cert` is replaced
  // (the context holds the key it was made for, cert_der_of the certificate
  // its DER came from, so neither address can be reused by a new one). Like
  // the rest of an Identity, not for concurrent use.
  mutable EvpPkeyCtxPtr sign_ctx;
  mutable std::string cert_der;
  mutable X509Ptr cert_der_of;
  // Kept by the S/MIME receiver after first use: an RSAES-PKCS1-v1_5
  // EVP_PKEY_decrypt context for `key` (KeyTransRecipientInfo), remade when
  // `key` is replaced. So receiving, like signing, is not for concurrent use
  // of one Identity.
  mutable EvpPkeyCtxPtr decrypt_ctx;
};

class TestCa {
 public:
  TestCa() = default;
  // A self-signed CA named `common_name`, with `key` (taken over).
  static Result<TestCa> Create(std::string common_name, EvpPkeyPtr key, KeyAlg alg,
                               Validity validity = {});

  // A certificate for `aor` over `key` (taken over), signed by this CA.
  Result<Identity> Issue(std::string aor, EvpPkeyPtr key, KeyAlg alg,
                         Validity validity = {}) const;

  X509* cert() const { return self_.cert.get(); }
  EVP_PKEY* key() const { return self_.key.get(); }

 private:
  Identity self_;
  mutable std::int64_t next_serial_ = 2;
};

// A trust store holding exactly `cas`.
Result<X509StorePtr> MakeTrustStore(const std::vector<X509*>& cas);

// The sip:/sips: URIs in the certificate's subjectAltName.
std::vector<std::string> CertSipUris(X509* cert);

// RFC 3261 AOR comparison: scheme and host case-insensitive, user exact,
// URI parameters ignored.
bool SameAor(std::string_view a, std::string_view b);

// SHA-256 of a || b with the once-fetched EVP_MD (a reused, per-thread
// digest context). False if OpenSSL fails.
bool Sha256Of(std::string_view a, std::string_view b, unsigned char out[32]);

// Signing and verification of SHA-256 digests (RSASSA-PKCS1-v1_5 for RSA
// keys, ECDSA for EC keys) with EVP_PKEY_sign / EVP_PKEY_verify.
// SignContext: the identity's context, made on first use and kept in
// id.sign_ctx (null on failure). NewVerifyContext: a fresh one for `key`.
EVP_PKEY_CTX* SignContext(const Identity& id);
// RSAES-PKCS1-v1_5 decryption with id.key: the identity's context, made on
// first use and kept in id.decrypt_ctx (null on failure or a non-RSA key).
EVP_PKEY_CTX* RsaDecryptContext(const Identity& id);
// id.cert's DER, kept in id.cert_der (empty view on failure).
std::string_view KeptCertDer(const Identity& id);
EvpPkeyCtxPtr NewVerifyContext(EVP_PKEY* key);

// DER and PEM helpers.
Result<Bytes> CertToDer(X509* cert);
Result<X509Ptr> CertFromDer(const unsigned char* der, std::size_t len);

}  // namespace sipim::security

#include <ctime>
#include <optional>
namespace sipim::security {
// Verifies `cert` up to a CA in `trust` (untrusted intermediates optional).
// purpose 0: no purpose check. Errors: kCertExpired, kCertNotYetValid,
// kUnknownCa, kCertInvalid.
Status VerifyCertChain(X509* cert, STACK_OF(X509) * untrusted, X509_STORE* trust, int purpose,
                       std::optional<std::time_t> at_time = std::nullopt);

// What a successful chain check found: how many certificates the chain has
// (leaf and trust anchor included) and the times between which every one of
// them is valid (the latest notBefore, the earliest notAfter).
struct ChainWindow {
  int length = 0;
  std::time_t not_before = 0;
  std::time_t not_after = 0;
};
// VerifyCertChain that also reports the chain's validity window.
Result<ChainWindow> VerifyCertChainWindow(X509* cert, STACK_OF(X509) * untrusted, X509_STORE* trust,
                                          int purpose, std::optional<std::time_t> at_time = std::nullopt);
}  // namespace sipim::security
