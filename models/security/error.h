#pragma once
// Errors are values in the security core: every failure has its own code and
// a message saying what and where. Nothing here throws, and a failed check is
// never an accepted message.
#include <string>
#include <utility>

namespace sipim::security {

enum class Errc {
  kOk = 0,
  kMalformed,          // input does not parse (MIME, CMS DER, MIKEY, sealed frame)
  kTruncated,          // input ends before a declared length
  kUnknownPayload,     // MIKEY payload type outside RFC 3830 (named in the message)
  kUnsupported,        // a well-formed value this code does not implement
  kBadSignature,       // signature does not verify
  kNoSignerCert,       // signed data without a certificate we can use
  kNotRecipient,       // our key is not among the recipients
  kTampered,           // ciphertext, key transport or authentication tag altered
  kCertExpired,        // signer certificate past notAfter
  kCertNotYetValid,    // signer certificate before notBefore
  kUnknownCa,          // chain does not end at a trusted CA
  kCertInvalid,        // any other certificate-path failure
  kFromMismatch,       // signer certificate does not name the From AOR
  kMacMismatch,        // MIKEY KEMAC / V / DHHMAC MAC does not verify
  kReplay,             // timestamp or sequence number already seen / outside window
  kWrongKey,           // key material does not match (e.g. sealed with another key)
  kCrypto,             // an OpenSSL call failed for an internal reason
  kPeerRefused,        // the peer refused: a MIKEY error message whose V / SIGN verified
  kPeerRefusedUnverified,  // a MIKEY error message that carries no V / SIGN this side can check
};

// Stable, short name of an error code ("bad-signature", ...), for logs and tests.
const char* ErrcName(Errc code);

struct Error {
  Errc code = Errc::kOk;
  std::string message;
  std::string ToString() const { return std::string(ErrcName(code)) + ": " + message; }
};

// A value or an error. Small, move-only friendly, no exceptions.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const { return error_.code == Errc::kOk; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }
  Errc code() const { return error_.code; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

 private:
  T value_{};
  Error error_{};
};

// Result<void>: success or an error.
struct Status {
  Status() = default;
  Status(Error e) : error_(std::move(e)) {}  // NOLINT
  bool ok() const { return error_.code == Errc::kOk; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }
  Errc code() const { return error_.code; }

 private:
  Error error_{};
};

inline Error MakeError(Errc code, std::string message) { return Error{code, std::move(message)}; }

// The OpenSSL error queue, drained into one string (and cleared), so that an
// error message carries OpenSSL's own reason.
std::string DrainOpenSslErrors();

// An Errc::kCrypto error naming the failed call plus OpenSSL's reason.
Error CryptoError(const char* what);

}  // namespace sipim::security
