#include "security/error.h"

#include <openssl/err.h>

namespace sipim::security {

const char* ErrcName(Errc code) {
  switch (code) {
    case Errc::kOk: return "ok";
    case Errc::kMalformed: return "malformed";
    case Errc::kTruncated: return "truncated";
    case Errc::kUnknownPayload: return "unknown-payload";
    case Errc::kUnsupported: return "unsupported";
    case Errc::kBadSignature: return "bad-signature";
    case Errc::kNoSignerCert: return "no-signer-cert";
    case Errc::kNotRecipient: return "not-a-recipient";
    case Errc::kTampered: return "tampered";
    case Errc::kCertExpired: return "cert-expired";
    case Errc::kCertNotYetValid: return "cert-not-yet-valid";
    case Errc::kUnknownCa: return "unknown-ca";
    case Errc::kCertInvalid: return "cert-invalid";
    case Errc::kFromMismatch: return "from-mismatch";
    case Errc::kMacMismatch: return "mac-mismatch";
    case Errc::kReplay: return "replay";
    case Errc::kWrongKey: return "wrong-key";
    case Errc::kCrypto: return "crypto";
    case Errc::kPeerRefused: return "peer-refused";
    case Errc::kPeerRefusedUnverified: return "peer-refused-unverified";
  }
  return "?";
}

std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long e;  // NOLINT: OpenSSL's type
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Error CryptoError(const char* what) {
  std::string reason = DrainOpenSslErrors();
  return MakeError(Errc::kCrypto, std::string(what) + (reason.empty() ? "" : " (" + reason + ")"));
}

}  // namespace sipim::security
