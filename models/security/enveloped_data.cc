#include "security/enveloped_data.h"

namespace sipim::security {

namespace {

using der::Is;
using der::Reader;
using der::Span;

constexpr unsigned char kOidAuthEnveloped[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x17};
constexpr unsigned char kOidData[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
constexpr unsigned char kOidAes128Gcm[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x06};
constexpr unsigned char kOidAes192Gcm[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x1A};
constexpr unsigned char kOidAes256Gcm[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2E};
constexpr unsigned char kOidAes128Wrap[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x05};
constexpr unsigned char kOidEcPublicKey[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
constexpr unsigned char kOidEcdhSha256Kdf[] = {0x2B, 0x81, 0x04, 0x01, 0x0B, 0x01};  // 1.3.132.1.11.1

constexpr unsigned char kOidEnveloped[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03};
constexpr unsigned char kOidAes128Cbc[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02};
constexpr unsigned char kOidRsa[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
// SEQUENCE { id-aes128-wrap }, parameters absent (RFC 3565 §2.3.2).
constexpr unsigned char kAes128WrapAlg[] = {0x30, 0x0B, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x05};

constexpr unsigned char kBitString = 0x03;

// IssuerAndSerialNumber { issuer, serial }.
void PutIssuerSerial(std::string& out, const Span& issuer, const Span& serial) {
  der::PutHeader(out, der::kSequence, issuer.size + serial.size);
  out.append(issuer.view()).append(serial.view());
}

Error Malformed(const Reader& r) {
  return MakeError(Errc::kMalformed, "lean (Auth)EnvelopedData decoder: " + r.error());
}
Error Unsupported(Reader& r, const std::string& what) {
  r.Fail(what);
  return MakeError(Errc::kUnsupported, "lean (Auth)EnvelopedData decoder: " + r.error());
}

// KeyAgreeRecipientInfo contents (after the [1] tag).
Status ReadKari(Reader kari, KariView& out) {
  bool v3 = false, plain = false, present = false;
  Reader orig, opk, kea, reks;
  Span alg_oid, point, kea_oid;
  if (!kari.ReadSmallInt("KARI.version", 3, &v3)) return Malformed(kari);
  if (!v3) return Unsupported(kari, "KeyAgreeRecipientInfo version is not 3");
  if (!kari.Read(der::ContextCons(0), "KARI.originator", &orig)) return Malformed(kari);
  if (orig.PeekTag() != der::ContextCons(1)) return Unsupported(orig, "originator is not an originatorKey");
  if (!orig.Read(der::ContextCons(1), "OriginatorPublicKey", &opk) || !orig.ExpectEnd("originator") ||
      !opk.ReadAlgorithm("OriginatorPublicKey.algorithm", &alg_oid, &plain) ||
      !opk.ReadBytes(kBitString, "OriginatorPublicKey.publicKey", &point) || !opk.ExpectEnd("OriginatorPublicKey")) {
    return Malformed(kari);
  }
  if (!Is(alg_oid, kOidEcPublicKey) || !plain) return Unsupported(opk, "originator key is not id-ecPublicKey");
  // BIT STRING: a leading 0 (no unused bits), then the point.
  if (point.size < 2 || point.data[0] != 0) return Unsupported(opk, "originator key BIT STRING has unused bits");
  out.originator_point = {point.data + 1, point.size - 1};
  if (!kari.ReadOptional(der::ContextCons(1), "KARI.ukm", nullptr, &present)) return Malformed(kari);
  if (present) return Unsupported(kari, "user keying material");
  if (!kari.Read(der::kSequence, "KARI.keyEncryptionAlgorithm", &kea) ||
      !kea.ReadBytes(der::kOid, "keyEncryptionAlgorithm", &kea_oid)) {
    return Malformed(kari);
  }
  if (!Is(kea_oid, kOidEcdhSha256Kdf)) return Unsupported(kea, "key agreement is not dhSinglePass-stdDH-sha256kdf");
  Span wrap_oid;
  if (!kea.ReadAlgorithm("key wrap algorithm", &wrap_oid, &plain, &out.wrap_alg) || !kea.ExpectEnd("keyEncryptionAlgorithm")) {
    return Malformed(kari);
  }
  if (!Is(wrap_oid, kOidAes128Wrap) || !plain) return Unsupported(kea, "key wrap is not id-aes128-wrap");
  if (!kari.Read(der::kSequence, "KARI.recipientEncryptedKeys", &reks) || !kari.ExpectEnd("KARI")) {
    return Malformed(kari);
  }
  while (!reks.empty()) {
    Reader rek, ias;
    KariView::Key k;
    if (!reks.Read(der::kSequence, "RecipientEncryptedKey", &rek)) return Malformed(reks);
    if (rek.PeekTag() != der::kSequence) continue;  // rKeyId: not a form sipim's certificates are named by
    if (!rek.Read(der::kSequence, "rid", &ias) || !ias.ReadAny("issuer", &k.issuer) ||
        !ias.ReadBytes(der::kInteger, "serialNumber", nullptr, &k.serial) || !ias.ExpectEnd("rid") ||
        !rek.ReadBytes(der::kOctetString, "encryptedKey", &k.encrypted_key) || !rek.ExpectEnd("RecipientEncryptedKey")) {
      return Malformed(rek);
    }
    out.keys.push_back(k);
  }
  return {};
}

// EncryptedContentInfo: id-data, AES-128-GCM with its parameters or
// AES-128-CBC with its IV (as out.gcm says), content.
Status ReadContent(Reader eci, EnvelopeView& out) {
  Span type, alg_oid, icv;
  Reader alg, params;
  if (!eci.ReadBytes(der::kOid, "contentType", &type) ||
      !eci.Read(der::kSequence, "contentEncryptionAlgorithm", &alg) ||
      !alg.ReadBytes(der::kOid, "contentEncryptionAlgorithm", &alg_oid)) {
    return Malformed(eci);
  }
  if (!Is(type, kOidData)) return Unsupported(eci, "encrypted content type is not id-data");
  if (out.gcm) {
    if (!Is(alg_oid, kOidAes128Gcm)) return Unsupported(alg, "content encryption is not AES-128-GCM");
    if (!alg.Read(der::kSequence, "GCMParameters", &params) || !alg.ExpectEnd("contentEncryptionAlgorithm") ||
        !params.ReadBytes(der::kOctetString, "aes-nonce", &out.nonce)) {
      return Malformed(alg);
    }
    if (!params.empty()) {
      if (!params.ReadBytes(der::kInteger, "aes-ICVlen", &icv) || !params.ExpectEnd("GCMParameters")) {
        return Malformed(params);
      }
      if (icv.size != 1 || icv.data[0] < 12 || icv.data[0] > 16) return Unsupported(params, "aes-ICVlen not 12..16");
      out.icv_len = icv.data[0];
    }
    if (out.nonce.size != 12) return Unsupported(params, "GCM nonce is not 12 bytes");
  } else {
    if (!Is(alg_oid, kOidAes128Cbc)) return Unsupported(alg, "content encryption is not AES-128-CBC");
    if (!alg.ReadBytes(der::kOctetString, "AES-128-CBC IV", &out.nonce) || !alg.ExpectEnd("contentEncryptionAlgorithm")) {
      return Malformed(alg);
    }
    if (out.nonce.size != 16) return Unsupported(alg, "CBC IV is not 16 bytes");
  }
  if (eci.PeekTag() != der::ContextPrim(0)) return Unsupported(eci, "encryptedContent absent or constructed");
  if (!eci.ReadBytes(der::ContextPrim(0), "encryptedContent", &out.ciphertext) || !eci.ExpectEnd("EncryptedContentInfo")) {
    return Malformed(eci);
  }
  if (!out.gcm && (out.ciphertext.size == 0 || out.ciphertext.size % 16 != 0)) {
    return Unsupported(eci, "CBC content is not a whole number of blocks");
  }
  return {};
}

}  // namespace

std::string EncodeKtri(const Span& issuer, const Span& serial, const Span& encrypted_key) {
  const std::size_t c = 3 + der::TlvLen(issuer.size + serial.size) + der::AlgorithmLen(sizeof kOidRsa, true) +
                        der::TlvLen(encrypted_key.size);
  std::string out;
  out.reserve(der::TlvLen(c));
  der::PutHeader(out, der::kSequence, c);
  out.append("\x02\x01\x00", 3);  // version 0: issuerAndSerialNumber
  PutIssuerSerial(out, issuer, serial);
  der::PutAlgorithm(out, kOidRsa, true);
  der::PutTlv(out, der::kOctetString, encrypted_key.view());
  return out;
}

std::string EncodeKari(const Span& originator_point, const Span& issuer, const Span& serial, const Span& wrapped_key) {
  const std::size_t opk_c = der::AlgorithmLen(sizeof kOidEcPublicKey, false) + der::TlvLen(1 + originator_point.size);
  const std::size_t kea_c = der::TlvLen(sizeof kOidEcdhSha256Kdf) + sizeof kAes128WrapAlg;
  const std::size_t rek_c = der::TlvLen(issuer.size + serial.size) + der::TlvLen(wrapped_key.size);
  const std::size_t c = 3 + der::TlvLen(der::TlvLen(opk_c)) + der::TlvLen(kea_c) + der::TlvLen(der::TlvLen(rek_c));
  std::string out;
  out.reserve(der::TlvLen(c));
  der::PutHeader(out, der::ContextCons(1), c);
  out.append("\x02\x01\x03", 3);  // version 3
  der::PutHeader(out, der::ContextCons(0), der::TlvLen(opk_c));  // originator [0]
  der::PutHeader(out, der::ContextCons(1), opk_c);               // originatorKey [1]
  der::PutAlgorithm(out, kOidEcPublicKey, false);
  der::PutHeader(out, kBitString, 1 + originator_point.size);
  out.push_back('\0');  // no unused bits
  out.append(originator_point.view());
  der::PutHeader(out, der::kSequence, kea_c);
  der::PutOid(out, kOidEcdhSha256Kdf);
  out.append(reinterpret_cast<const char*>(kAes128WrapAlg), sizeof kAes128WrapAlg);
  der::PutHeader(out, der::kSequence, der::TlvLen(rek_c));  // recipientEncryptedKeys
  der::PutHeader(out, der::kSequence, rek_c);
  PutIssuerSerial(out, issuer, serial);
  der::PutTlv(out, der::kOctetString, wrapped_key.view());
  return out;
}

Span Aes128WrapAlgorithm() { return {kAes128WrapAlg, sizeof kAes128WrapAlg}; }

std::string EncodeEnvelopeHead(bool gcm, std::string_view ris, bool any_kari, const Span& iv, std::size_t content_len) {
  // contentEncryptionAlgorithm: AES-128-GCM { GCMParameters { nonce, ICVlen 16 } } or AES-128-CBC { IV }.
  const std::size_t params = gcm ? der::TlvLen(der::TlvLen(iv.size) + 3) : der::TlvLen(iv.size);
  const std::size_t alg_c = der::TlvLen(gcm ? sizeof kOidAes128Gcm : sizeof kOidAes128Cbc) + params;
  const std::size_t eci_c = der::TlvLen(sizeof kOidData) + der::TlvLen(alg_c) + der::TlvLen(content_len);
  const std::size_t body_c = 3 + der::TlvLen(ris.size()) + der::TlvLen(eci_c) + (gcm ? der::TlvLen(16) : 0);
  const std::size_t ci_c = der::TlvLen(gcm ? sizeof kOidAuthEnveloped : sizeof kOidEnveloped) + der::TlvLen(der::TlvLen(body_c));
  std::string out;
  out.reserve(der::TlvLen(ci_c) - content_len - (gcm ? 18 : 0));
  der::PutHeader(out, der::kSequence, ci_c);
  if (gcm) {
    der::PutOid(out, kOidAuthEnveloped);
  } else {
    der::PutOid(out, kOidEnveloped);
  }
  der::PutHeader(out, der::ContextCons(0), der::TlvLen(body_c));
  der::PutHeader(out, der::kSequence, body_c);
  // AuthEnvelopedData is version 0; EnvelopedData 2 with a KARI, else 0 (RFC 5652 §6.1).
  out.append(gcm || !any_kari ? "\x02\x01\x00" : "\x02\x01\x02", 3);
  der::PutTlv(out, der::kSet, ris);
  der::PutHeader(out, der::kSequence, eci_c);
  der::PutOid(out, kOidData);
  der::PutHeader(out, der::kSequence, alg_c);
  if (gcm) {
    der::PutOid(out, kOidAes128Gcm);
    der::PutHeader(out, der::kSequence, der::TlvLen(iv.size) + 3);
    der::PutTlv(out, der::kOctetString, iv.view());
    out.append("\x02\x01\x10", 3);  // aes-ICVlen 16
  } else {
    der::PutOid(out, kOidAes128Cbc);
    der::PutTlv(out, der::kOctetString, iv.view());
  }
  der::PutHeader(out, der::ContextPrim(0), content_len);  // encryptedContent [0] IMPLICIT
  return out;
}

std::string EncodeMac(const Span& tag) {
  std::string out;
  der::PutTlv(out, der::kOctetString, tag.view());
  return out;
}

namespace {

// AuthEnvelopedData (gcm) or EnvelopedData (AES-128-CBC) in a ContentInfo.
Result<EnvelopeView> ParseEnvelope(std::string_view input, bool gcm) {
  const char* name = gcm ? "AuthEnvelopedData" : "EnvelopedData";
  std::string err;
  Reader top(input, &err);
  Reader ci, explicit0, aed, ris, eci;
  Span type;
  if (!top.Read(der::kSequence, "ContentInfo", &ci) || !top.ExpectEnd("ContentInfo") ||
      !ci.ReadBytes(der::kOid, "ContentInfo.contentType", &type)) {
    return Malformed(top);
  }
  if (gcm && !Is(type, kOidAuthEnveloped)) return Unsupported(ci, "content type is not id-ct-authEnvelopedData");
  if (!gcm && !Is(type, kOidEnveloped)) return Unsupported(ci, "content type is not id-envelopedData");
  Span version;
  if (!ci.Read(der::ContextCons(0), "ContentInfo.content", &explicit0) || !ci.ExpectEnd("ContentInfo.content") ||
      !explicit0.Read(der::kSequence, name, &aed) || !explicit0.ExpectEnd(name) ||
      !aed.ReadBytes(der::kInteger, "version", &version)) {
    return Malformed(top);
  }
  // AuthEnvelopedData is version 0; EnvelopedData 0, or 2 with a KARI (RFC 5652 §6.1).
  const bool known = version.size == 1 && (version.data[0] == 0 || (!gcm && version.data[0] == 2));
  if (!known) return Unsupported(aed, std::string(name) + (gcm ? " version is not 0" : " version is not 0 or 2"));
  if (aed.PeekTag() == der::ContextCons(0)) return Unsupported(aed, "originatorInfo");
  if (!aed.Read(der::kSet, "recipientInfos", &ris)) return Malformed(aed);
  EnvelopeView out;
  out.gcm = gcm;
  while (!ris.empty()) {
    if (ris.PeekTag() == der::kSequence) {  // KTRI: kept whole, decoded only by the receiver looking for its own
      Span whole;
      if (!ris.ReadAny("KeyTransRecipientInfo", &whole)) return Malformed(ris);
      out.ktris.push_back(whole);
      continue;
    }
    if (ris.PeekTag() != der::ContextCons(1)) {  // KEKRI, PWRI, ORI: not read here
      if (!ris.ReadAny("RecipientInfo", nullptr)) return Malformed(ris);
      continue;
    }
    Reader kari;
    if (!ris.Read(der::ContextCons(1), "KeyAgreeRecipientInfo", &kari)) return Malformed(ris);
    // A KARI in a form not read here (another KDF, ukm...) is left out rather
    // than failing the message: a receiver it names is then not found and
    // goes to CMS, while a recipient named by another RecipientInfo stays on
    // the lean path (for an RSA key under CBC the only one: smime.cc Decrypt).
    KariView k;
    if (Status st = ReadKari(kari, k); !st) {
      if (st.code() == Errc::kUnsupported) continue;
      return st.error();
    }
    out.karis.push_back(std::move(k));
  }
  if (!aed.Read(der::kSequence, gcm ? "authEncryptedContentInfo" : "encryptedContentInfo", &eci)) return Malformed(aed);
  if (Status st = ReadContent(eci, out); !st) return st.error();
  if (!gcm) {
    if (!aed.empty()) return Unsupported(aed, "unprotected attributes");
    return out;
  }
  if (aed.PeekTag() == der::ContextCons(1)) return Unsupported(aed, "authenticated attributes");
  if (!aed.ReadBytes(der::kOctetString, "mac", &out.mac)) return Malformed(aed);
  if (!aed.empty()) return Unsupported(aed, "unauthenticated attributes");
  if (out.mac.size != out.icv_len) return Unsupported(aed, "mac length differs from aes-ICVlen");
  return out;
}

}  // namespace

Result<EnvelopeView> ParseAuthEnvelopedData(std::string_view input) { return ParseEnvelope(input, true); }
Result<EnvelopeView> ParseEnvelopedData(std::string_view input) { return ParseEnvelope(input, false); }

bool AuthEnvelopedNamesGcm(std::string_view input) {
  std::string err;
  Reader top(input, &err), ci, explicit0, aed, aeci, alg;
  Span oid, mac;
  if (!top.Read(der::kSequence, "ContentInfo", &ci) || !ci.ReadBytes(der::kOid, "contentType", nullptr) ||
      !ci.Read(der::ContextCons(0), "content", &explicit0) || !explicit0.Read(der::kSequence, "AuthEnvelopedData", &aed) ||
      !aed.ReadBytes(der::kInteger, "version", nullptr)) {
    return false;
  }
  if (aed.PeekTag() == der::ContextCons(0) && !aed.ReadAny("originatorInfo", nullptr)) return false;
  if (!aed.ReadBytes(der::kSet, "recipientInfos", nullptr) ||
      !aed.Read(der::kSequence, "authEncryptedContentInfo", &aeci) || !aeci.ReadBytes(der::kOid, "contentType", nullptr) ||
      !aeci.Read(der::kSequence, "contentEncryptionAlgorithm", &alg) || !alg.ReadBytes(der::kOid, "algorithm", &oid)) {
    return false;
  }
  if (!Is(oid, kOidAes128Gcm) && !Is(oid, kOidAes192Gcm) && !Is(oid, kOidAes256Gcm)) return false;
  if (aed.PeekTag() == der::ContextCons(1) && !aed.ReadAny("authAttrs", nullptr)) return false;
  return aed.ReadBytes(der::kOctetString, "mac", &mac) && mac.size >= 12 && mac.size <= 16;
}

Result<KtriView> ReadKtri(const Span& whole) {
  std::string err;
  Reader top(whole.view(), &err);
  Reader ktri, ias;
  Span alg_oid;
  bool v0 = false, plain = false;
  KtriView out;
  if (!top.Read(der::kSequence, "KeyTransRecipientInfo", &ktri) || !top.ExpectEnd("KeyTransRecipientInfo") ||
      !ktri.ReadSmallInt("KTRI.version", 0, &v0)) {
    return Malformed(top);
  }
  if (!v0) return Unsupported(ktri, "KeyTransRecipientInfo version is not 0");
  if (ktri.PeekTag() != der::kSequence) return Unsupported(ktri, "KTRI rid is not issuerAndSerialNumber");
  if (!ktri.Read(der::kSequence, "KTRI.rid", &ias) || !ias.ReadAny("issuer", &out.issuer) ||
      !ias.ReadBytes(der::kInteger, "serialNumber", nullptr, &out.serial) || !ias.ExpectEnd("KTRI.rid") ||
      !ktri.ReadAlgorithm("KTRI.keyEncryptionAlgorithm", &alg_oid, &plain)) {
    return Malformed(ktri);
  }
  if (!Is(alg_oid, kOidRsa) || !plain) return Unsupported(ktri, "key transport is not rsaEncryption");
  if (!ktri.ReadBytes(der::kOctetString, "KTRI.encryptedKey", &out.encrypted_key) || !ktri.ExpectEnd("KTRI")) {
    return Malformed(ktri);
  }
  return out;
}

}  // namespace sipim::security
