#pragma once
// A lean decoder for the CMS SignedData (RFC 5652 §5) that sipim's S/MIME
// bodies carry, in place of OpenSSL's ASN.1 template decoder (which, in
// OpenSSL 3.0, also decodes every embedded certificate's public key through
// the provider decoder framework on every message).
//
// It reads exactly one form: ContentInfo(id-signedData) with version 1
// SignedData, eContentType id-data (content encapsulated or detached), zero
// or more X.509 certificates, no CRLs, and one version 1 SignerInfo naming its
// signer by issuer and serial number, SHA-256, RSA PKCS#1 v1.5 or ECDSA with
// SHA-256, and either no signed attributes or exactly contentType,
// messageDigest and optionally signingTime and SMIMECapabilities, each with
// one value, in DER order. This is what OpenSSL's CMS_sign writes. Anything
// else is kUnsupported (the caller hands it to OpenSSL's CMS), and bytes that
// are not DER are kMalformed; both errors name what and the offset.
//
// The decoder only locates the parts; VerifySignedDataView (smime.cc) does
// the checks: digest, signature, signer certificate, chain, From.
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "security/der.h"
#include "security/error.h"

namespace sipim::security {

enum class SignatureAlg { kRsaPkcs1Sha256, kEcdsaSha256 };

struct SignedDataView {
  bool has_content = false;
  der::Span content;             // eContent octets (when has_content)
  std::vector<der::Span> certs;  // each carried certificate, full DER
  der::Span issuer;              // signer's issuer Name, full DER
  der::Span serial;              // signer's serial number, full INTEGER DER
  SignatureAlg sig_alg = SignatureAlg::kRsaPkcs1Sha256;
  bool has_signed_attrs = false;
  der::Span signed_attrs;    // contents of [0] signedAttrs: the signature covers 0x31 || length || these
  der::Span message_digest;  // messageDigest attribute value (32 bytes)
  der::Span signature;
};

// Views into `der`, which must outlive the result.
Result<SignedDataView> ParseSignedData(std::string_view der);

// Encodes `v` as a ContentInfo(SignedData) of the form ParseSignedData
// reads: the content encapsulated when v.has_content (detached otherwise),
// v.certs in order, one SignerInfo from issuer, serial, signed_attrs (when
// v.has_signed_attrs), sig_alg and signature. Lengths are computed first
// and the DER written once, straight into the result.
std::string EncodeSignedData(const SignedDataView& v);

// The contents of signedAttrs for a signature made at `now` over content
// whose SHA-256 is `digest`: contentType id-data, signingTime, messageDigest
// and SMIMECapabilities (AES-128-GCM, then AES-128-CBC: the ciphers
// SmimeEncrypt offers), in DER SET OF order.
std::string BuildSignedAttrs(const unsigned char digest[32], std::time_t now);

// The DER header (tag 0x31 and length) that turns signedAttrs' contents into
// the SET OF Attribute the signature covers. Returns its length
// (2..kMaxSetHeader).
constexpr std::size_t kMaxSetHeader = 2 + sizeof(std::size_t);
std::size_t SignedAttrsSetHeader(std::size_t contents_len, unsigned char out[kMaxSetHeader]);

}  // namespace sipim::security
