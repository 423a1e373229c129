#pragma once
// A lean decoder for the CMS AuthEnvelopedData (RFC 5083, RFC 5084) and
// EnvelopedData (RFC 5652, AES-128-CBC) that sipim sends, in place of
// OpenSSL's ASN.1 template decoder, which decodes every RecipientInfo of the
// message (16 recipients: about a third of a receive) although a receiver
// needs only its own.
//
// It reads one form of each: ContentInfo(id-ct-authEnvelopedData), version
// 0, or ContentInfo(id-envelopedData), version 0 or 2; no originatorInfo;
// RecipientInfos of which the KeyAgreeRecipientInfos (version 3,
// originatorKey on id-ecPublicKey, no ukm, dhSinglePass-stdDH-sha256kdf-scheme
// with id-aes128-wrap) are located, the KeyTransRecipientInfos kept whole and
// the others skipped; content of type id-data, AES-128-GCM (12-byte nonce)
// with no authenticated or unauthenticated attributes, or AES-128-CBC
// (16-byte IV, whole blocks) with no unprotected attributes. Anything else is
// kUnsupported and bad DER kMalformed, naming what and the offset; the caller
// then hands the message to OpenSSL's CMS.
#include <string>
#include <string_view>
#include <vector>

#include "security/der.h"
#include "security/error.h"

namespace sipim::security {

struct KariView {
  der::Span originator_point;  // uncompressed EC point from the OriginatorPublicKey BIT STRING
  der::Span wrap_alg;          // keyEncryptionAlgorithm's parameter: the key-wrap AlgorithmIdentifier, full DER
  struct Key {
    der::Span issuer, serial;  // recipient by issuer and serial number (full DER)
    der::Span encrypted_key;   // wrapped content-encryption key
  };
  std::vector<Key> keys;
};

// A KeyTransRecipientInfo as it lies in the message (full DER), not yet
// decoded: the receiver decodes entries (ReadKtri) only until it finds its own.
struct KtriView {
  der::Span issuer, serial;  // recipient by issuer and serial number (full DER)
  der::Span encrypted_key;   // the content key, RSAES-PKCS1-v1_5 encrypted
};

struct EnvelopeView {
  bool gcm = true;  // AuthEnvelopedData with AES-128-GCM; false: EnvelopedData with AES-128-CBC
  std::vector<KariView> karis;
  std::vector<der::Span> ktris;  // each KeyTransRecipientInfo's full DER, undecoded
  der::Span nonce;       // GCM nonce (12 bytes), or the CBC IV (16 bytes)
  std::size_t icv_len = 12;
  der::Span ciphertext;  // encryptedContent
  der::Span mac;         // GCM tag (empty for CBC)
};

// Views into `der`, which must outlive the result. Each reads only its own
// content type (kUnsupported for the other).
Result<EnvelopeView> ParseAuthEnvelopedData(std::string_view der);
Result<EnvelopeView> ParseEnvelopedData(std::string_view der);
// True if the ContentInfo `der` holds AuthEnvelopedData whose content
// encryption is AES-GCM of any key size (not only the 128-bit form the
// parser above reads) and whose mac is 12 to 16 bytes (NIST SP 800-38D):
// the check before handing such a message to OpenSSL's CMS.
bool AuthEnvelopedNamesGcm(std::string_view der);
// Decodes one KeyTransRecipientInfo of the form sipim and CMS_encrypt write:
// version 0, issuerAndSerialNumber, rsaEncryption (NULL or absent
// parameters). kUnsupported for another form, kMalformed for bad DER.
Result<KtriView> ReadKtri(const der::Span& ktri);

// ------------------------------------------------------------ encoder side
// The pieces SmimeEncrypt writes (the structure CMS_encrypt writes, with the
// SHA-256 X9.63 KDF for key agreement); the crypto is the caller's.

// KeyTransRecipientInfo (version 0, issuer and serial, rsaEncryption), full DER.
std::string EncodeKtri(const der::Span& issuer, const der::Span& serial, const der::Span& encrypted_key);
// KeyAgreeRecipientInfo (version 3, originatorKey id-ecPublicKey with the
// uncompressed `originator_point`, dhSinglePass-stdDH-sha256kdf-scheme with
// id-aes128-wrap, one RecipientEncryptedKey), full DER including its [1] tag.
std::string EncodeKari(const der::Span& originator_point, const der::Span& issuer, const der::Span& serial,
                       const der::Span& wrapped_key);
// The id-aes128-wrap AlgorithmIdentifier EncodeKari writes (the KDF's keyInfo).
der::Span Aes128WrapAlgorithm();
// Everything before the encrypted content's bytes: the ContentInfo with
// AuthEnvelopedData (gcm: `iv` is the 12-byte nonce, 16-byte tag) or
// EnvelopedData (AES-128-CBC, `iv` 16 bytes), the RecipientInfos `ris`
// (concatenated), and the encryptedContent header for `content_len` bytes.
// For GCM the caller then appends the content and EncodeMac(tag).
std::string EncodeEnvelopeHead(bool gcm, std::string_view ris, bool any_kari, const der::Span& iv,
                               std::size_t content_len);
std::string EncodeMac(const der::Span& tag);

}  // namespace sipim::security
