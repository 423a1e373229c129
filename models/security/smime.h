#pragma once
// S/MIME bodies for SIP (RFC 3261 §23, RFC 3428, RFC 5652, RFC 5083/5084,
// RFC 8551, RFC 8591) on OpenSSL's CMS API.
//
// Send side: SignedData (with or without the signer's certificate, with or
// without signed attributes; encapsulated as application/pkcs7-mime or
// detached as multipart/signed), EnvelopedData with AES-128-CBC and
// AuthEnvelopedData with AES-128-GCM for 1..N recipients (KeyTransRecipientInfo
// for RSA; KeyAgreeRecipientInfo for ECDH P-256 with the X9.63 KDF over SHA-256,
// not OpenSSL's SHA-1 default), and sign-then-encrypt.
// Receive side: decrypt, verify the signature and the chain to a trusted CA,
// and check that the signer's certificate names the From AOR. Every failure is
// its own Errc, except after an unauthenticated CBC decryption (CbcReceive).
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "security/cert_cache.h"
#include "security/error.h"
#include "security/ossl.h"
#include "security/pki.h"

namespace sipim::security {

enum class SmimeCipher { kAes128Cbc, kAes128Gcm };
const char* SmimeCipherName(SmimeCipher c);  // "aes128cbc" | "aes128gcm"

// A SIP body: the Content-Type (and Content-Disposition) header values and the
// exact body bytes the simulation sends.
struct SmimeBody {
  std::string content_type;
  std::string content_disposition;  // empty for multipart/signed
  std::string body;
};

// "Content-Type: <type>\r\n\r\n<body>": the MIME entity that is signed or
// encrypted.
std::string MakeMimeEntity(std::string_view content_type, std::string_view body);
// The entity form of an S/MIME body, for nesting (sign-then-encrypt).
std::string SmimeBodyAsEntity(const SmimeBody& b);

struct SignOptions {
  bool include_cert = true;       // carry the signer's certificate
  bool signed_attributes = true;  // contentType, signingTime, messageDigest, SMIMECapabilities
  bool multipart = false;         // multipart/signed (detached) instead of pkcs7-mime
};

Result<SmimeBody> SmimeSign(const Identity& signer, std::string_view entity,
                            const SignOptions& opts = {});
// One recipient certificate per entry: RSA -> KTRI, EC P-256 -> KARI (SHA-256 KDF).
Result<SmimeBody> SmimeEncrypt(const std::vector<X509*>& recipients, std::string_view entity,
                               SmimeCipher cipher);
// Sign (per opts), then encrypt the signed entity.
Result<SmimeBody> SmimeSignAndEncrypt(const Identity& signer, const std::vector<X509*>& recipients,
                                      std::string_view entity, SmimeCipher cipher,
                                      const SignOptions& opts = {});

// Which decoder handled each layer of received messages: the lean DER
// paths (signed_data.h, enveloped_data.h) or OpenSSL's CMS.
struct ReceiveStats {
  std::uint64_t lean_verified = 0, cms_verified = 0;
  std::uint64_t lean_decrypted = 0, cms_decrypted = 0;
  // Failures after an unauthenticated CBC decryption (CbcReceive::kOneError)
  // and the code each would have had, the last one: for the local log only.
  // Sent back to the peer (as distinct SIP responses, say) it is the padding
  // oracle kOneError closes.
  std::uint64_t cbc_one_error = 0;
  Errc cbc_hidden_code = Errc::kOk;  // kTampered for a bad padding, whatever came after it
  // Of those, the ones whose padding was bad: their content was read on to
  // the end all the same (parsed, its signature checked), so that a bad
  // padding takes as long to refuse as a good one over altered content.
  std::uint64_t cbc_bad_padding = 0;
};

// How EnvelopedData (AES-128-CBC, no integrity) is received. CBC without a
// MAC is a padding oracle whenever the receiver's answer depends on the
// decrypted bytes: bad padding (kTampered) and good padding over garbage
// (kMalformed, or a bad inner signature) would tell an attacker who resends
// altered ciphertext the plaintext byte by byte. A verified signature outside
// the CBC layer (encrypt-then-sign) changes nothing: it vouches only for what
// its signer sent, and anyone with a trusted certificate can sign an altered
// copy of another sender's CBC message.
enum class CbcReceive {
  // Decrypted; every failure from the content decryption on (padding, the
  // entity, the inner signature, chain and From checks) is one error,
  // kTampered with one message. The error code is then no oracle, and on
  // the lean paths and through CMS a bad padding does not end the read
  // either (the content is read on, as if its padding were one byte, and
  // refused at the end), so it takes the time a good one does. The inner
  // reason reaches only ReceiveStats.
  // Acceptance is an answer too: with require_signature the content of a
  // CBC layer must be signed inside it and cover it (no multipart/signed
  // epilogue), but with require_signature false an unsigned entity is
  // accepted exactly when its padding is good, an oracle no error code
  // hides (use kRefuse there).
  // The default: CBC is what many S/MIME senders still write.
  kOneError,
  // Refused (kUnsupported) before any private-key operation: only
  // AuthEnvelopedData (GCM) is read. No oracle at all.
  kRefuse,
};

struct ReceiveContext {
  const Identity* me = nullptr;         // our certificate and key, for decryption (an RSA key's
                                        // decryption context is kept in it: one Identity is not
                                        // for concurrent receives)
  X509_STORE* trust = nullptr;          // trusted CAs
  std::string from_aor;                 // the From header's AOR
  std::vector<X509*> known_certs;       // signer certificates not carried in the message
  bool require_signature = true;        // an unsigned message is an error
  std::optional<std::time_t> at_time;   // verify certificates at this time (default: now)
  CertCache* cert_cache = nullptr;      // optional: signer certificates seen before stay parsed
                                        // and chain-checked (validity re-checked per message)
  ReceiveStats* stats = nullptr;        // optional: counts lean / CMS handling of each layer
  CbcReceive cbc = CbcReceive::kOneError;  // EnvelopedData (CBC), signed outside or not
};

struct Received {
  std::string content_type;  // of the innermost entity
  std::string body;          // innermost payload
  bool was_signed = false;
  bool was_encrypted = false;
  std::string signer_aor;  // the SAN URI that matched From
};

// Unwraps an S/MIME SIP body (any nesting of enveloped/authEnveloped/signed,
// up to 4 levels) and applies every check. SignedData of the form sipim and
// OpenSSL's CMS_sign write is decoded and verified by the lean decoder
// (signed_data.h) with EVP calls; any other form, and any SignedData the lean
// path does not accept, goes through OpenSSL's CMS_verify, so errors keep
// their codes.
Result<Received> SmimeReceive(std::string_view content_type, std::string_view body,
                              const ReceiveContext& ctx);

}  // namespace sipim::security
