#include "security/signed_data.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace sipim::security {

namespace {

using der::Reader;
using der::Is;
using der::PutAlgorithm;
using der::PutHeader;
using der::PutOid;
using der::PutTlv;
using der::Span;
using der::TlvLen;
using der::HeaderLen;

// Object identifier contents (the bytes after tag 0x06 and length).
constexpr unsigned char kOidSignedData[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02};
constexpr unsigned char kOidData[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
constexpr unsigned char kOidSha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
constexpr unsigned char kOidRsa[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
constexpr unsigned char kOidSha256Rsa[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B};
constexpr unsigned char kOidEcdsaSha256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02};
constexpr unsigned char kOidContentType[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03};
constexpr unsigned char kOidMessageDigest[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04};
constexpr unsigned char kOidSigningTime[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05};
constexpr unsigned char kOidSmimeCaps[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x0F};

Error Unsupported(Reader& r, const std::string& what) {
  r.Fail(what);
  return MakeError(Errc::kUnsupported, "lean SignedData decoder: " + r.error());
}

// X.690 §11.6: the elements of a DER SET OF are in ascending order of their
// encodings (a shorter encoding that is a prefix comes first).
bool DerLess(const Span& a, const Span& b) {
  const int c = std::memcmp(a.data, b.data, std::min(a.size, b.size));
  return c < 0 || (c == 0 && a.size < b.size);
}

// signedAttrs: exactly the attributes CMS_sign writes, once each, one value
// each, in DER order; contentType must be id-data.
Status ReadSignedAttrs(Reader attrs, SignedDataView& out, std::string& err) {
  bool seen_type = false, seen_digest = false, seen_time = false, seen_caps = false;
  Span prev;
  while (!attrs.empty()) {
    Reader attr, values;
    Span whole, type, value;
    if (!attrs.Read(der::kSequence, "Attribute", &attr, &whole) ||
        !attr.ReadBytes(der::kOid, "Attribute.attrType", &type) ||
        !attr.Read(der::kSet, "Attribute.attrValues", &values) || !attr.ExpectEnd("Attribute")) {
      return MakeError(Errc::kMalformed, "lean SignedData decoder: " + err);
    }
    if (prev.data != nullptr && !DerLess(prev, whole)) {
      return Unsupported(attrs, "signed attributes not in DER SET OF order");
    }
    prev = whole;
    unsigned char tag = 0;
    if (!values.ReadAny("attribute value", &value, &tag)) {
      return MakeError(Errc::kMalformed, "lean SignedData decoder: " + err);
    }
    if (!values.empty()) return Unsupported(values, "attribute with more than one value");
    bool* seen = nullptr;
    if (Is(type, kOidContentType)) {
      Reader v(value.view(), &err);
      Span oid;
      if (!v.ReadBytes(der::kOid, "contentType value", &oid)) {
        return MakeError(Errc::kMalformed, "lean SignedData decoder: " + err);
      }
      if (!Is(oid, kOidData)) return Unsupported(attrs, "contentType attribute is not id-data");
      seen = &seen_type;
    } else if (Is(type, kOidMessageDigest)) {
      Reader v(value.view(), &err);
      if (!v.ReadBytes(der::kOctetString, "messageDigest value", &out.message_digest)) {
        return MakeError(Errc::kMalformed, "lean SignedData decoder: " + err);
      }
      seen = &seen_digest;
    } else if (Is(type, kOidSigningTime)) {
      if (tag != der::kUtcTime && tag != der::kGeneralizedTime) {
        return Unsupported(attrs, "signingTime is neither UTCTime nor GeneralizedTime");
      }
      seen = &seen_time;
    } else if (Is(type, kOidSmimeCaps)) {
      if (tag != der::kSequence) return Unsupported(attrs, "SMIMECapabilities is not a SEQUENCE");
      seen = &seen_caps;
    } else {
      return Unsupported(attrs, "signed attribute other than contentType, messageDigest, signingTime, "
                                "SMIMECapabilities");
    }
    if (*seen) return Unsupported(attrs, "signed attribute present twice");
    *seen = true;
  }
  if (!seen_type || !seen_digest) return Unsupported(attrs, "signed attributes without contentType or messageDigest");
  return {};
}

Status ReadSignerInfo(Reader si, SignedDataView& out, std::string& err) {
  auto malformed = [&] { return MakeError(Errc::kMalformed, "lean SignedData decoder: " + err); };
  bool v1 = false, plain = false;
  Reader sid;
  Span digest_oid, sig_oid;
  if (!si.ReadSmallInt("SignerInfo.version", 1, &v1)) return malformed();
  if (!v1) return Unsupported(si, "SignerInfo version is not 1 (signer not named by issuer and serial)");
  if (!si.Read(der::kSequence, "SignerInfo.sid", &sid) || !sid.ReadAny("issuer", &out.issuer) ||
      !sid.ReadBytes(der::kInteger, "serialNumber", nullptr, &out.serial) || !sid.ExpectEnd("IssuerAndSerialNumber") ||
      !si.ReadAlgorithm("SignerInfo.digestAlgorithm", &digest_oid, &plain)) {
    return malformed();
  }
  if (out.issuer.data[0] != der::kSequence) return Unsupported(si, "issuer is not a Name");
  if (!Is(digest_oid, kOidSha256) || !plain) return Unsupported(si, "digest algorithm is not SHA-256");
  Reader attrs;
  if (!si.ReadOptional(der::ContextCons(0), "SignerInfo.signedAttrs", &attrs, &out.has_signed_attrs)) {
    return malformed();
  }
  if (out.has_signed_attrs) {
    out.signed_attrs = attrs.rest();
    if (Status st = ReadSignedAttrs(attrs, out, err); !st) return st;
  }
  if (!si.ReadAlgorithm("SignerInfo.signatureAlgorithm", &sig_oid, &plain) ||
      !si.ReadBytes(der::kOctetString, "SignerInfo.signature", &out.signature)) {
    return malformed();
  }
  if ((Is(sig_oid, kOidRsa) || Is(sig_oid, kOidSha256Rsa)) && plain) {
    out.sig_alg = SignatureAlg::kRsaPkcs1Sha256;
  } else if (Is(sig_oid, kOidEcdsaSha256) && plain) {
    out.sig_alg = SignatureAlg::kEcdsaSha256;
  } else {
    return Unsupported(si, "signature algorithm is not RSA PKCS#1 v1.5 or ECDSA with SHA-256");
  }
  if (!si.empty()) return Unsupported(si, "unsigned attributes");
  return {};
}

// ------------------------------------------------------------ encoder

// SMIMECapabilities (RFC 8551 §2.5.2): AES-128-GCM (RFC 5084), AES-128-CBC.
constexpr unsigned char kSmimeCapsValue[] = {0x30, 0x1A, 0x30, 0x0B, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
                                             0x04, 0x01, 0x06, 0x30, 0x0B, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
                                             0x03, 0x04, 0x01, 0x02};

}  // namespace

std::string BuildSignedAttrs(const unsigned char digest[32], std::time_t now) {
  struct tm tm {};
  gmtime_r(&now, &tm);
  const int year = tm.tm_year + 1900;
  // RFC 5652 §11.3: UTCTime for 1950..2049, GeneralizedTime otherwise.
  const bool utc = year >= 1950 && year < 2050;
  char when[32];
  std::size_t when_len = 0;
  if (utc) {  // YYMMDDhhmmssZ, written by hand: this runs for every signed message
    for (int v : {year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec}) {
      when[when_len++] = static_cast<char>('0' + v / 10);
      when[when_len++] = static_cast<char>('0' + v % 10);
    }
    when[when_len++] = 'Z';
  } else {
    const int n = std::snprintf(when, sizeof when, "%04d%02d%02d%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
    when_len = n > 0 ? std::min(static_cast<std::size_t>(n), sizeof when - 1) : 0;
  }
  // Each Attribute { type, SET { value } } in a buffer of its own: every
  // length here is below 128 (short form).
  struct Attr {
    unsigned char b[64];
    std::size_t n = 0;
    Span span() const { return {b, n}; }
  };
  const auto put = [](Attr& a, const unsigned char* oid, std::size_t oid_len, unsigned char tag, const void* value,
                      std::size_t value_len) {
    const std::size_t set_len = 2 + value_len;
    a.b[a.n++] = der::kSequence;
    a.b[a.n++] = static_cast<unsigned char>(2 + oid_len + 2 + set_len);
    a.b[a.n++] = der::kOid;
    a.b[a.n++] = static_cast<unsigned char>(oid_len);
    std::memcpy(a.b + a.n, oid, oid_len);
    a.n += oid_len;
    a.b[a.n++] = der::kSet;
    a.b[a.n++] = static_cast<unsigned char>(set_len);
    a.b[a.n++] = tag;
    a.b[a.n++] = static_cast<unsigned char>(value_len);
    std::memcpy(a.b + a.n, value, value_len);
    a.n += value_len;
  };
  Attr attrs[4];
  put(attrs[0], kOidContentType, sizeof kOidContentType, der::kOid, kOidData, sizeof kOidData);
  put(attrs[1], kOidSigningTime, sizeof kOidSigningTime, utc ? der::kUtcTime : der::kGeneralizedTime, when, when_len);
  put(attrs[2], kOidMessageDigest, sizeof kOidMessageDigest, der::kOctetString, digest, 32);
  put(attrs[3], kOidSmimeCaps, sizeof kOidSmimeCaps, der::kSequence, kSmimeCapsValue + 2, sizeof kSmimeCapsValue - 2);
  // DER SET OF: ascending order of the encodings.
  const Attr* order[4] = {&attrs[0], &attrs[1], &attrs[2], &attrs[3]};
  std::sort(std::begin(order), std::end(order), [](const Attr* a, const Attr* b) { return DerLess(a->span(), b->span()); });
  std::string out;
  out.reserve(attrs[0].n + attrs[1].n + attrs[2].n + attrs[3].n);
  for (const Attr* a : order) out.append(reinterpret_cast<const char*>(a->b), a->n);
  return out;
}

std::string EncodeSignedData(const SignedDataView& v) {
  const bool rsa = v.sig_alg == SignatureAlg::kRsaPkcs1Sha256;
  // Contents sizes first (innermost out), then one pass writing the DER.
  const std::size_t sha_alg = TlvLen(TlvLen(sizeof kOidSha256));
  const std::size_t sig_alg = TlvLen(TlvLen(rsa ? sizeof kOidRsa : sizeof kOidEcdsaSha256) + (rsa ? 2 : 0));
  const std::size_t sid_c = v.issuer.size + v.serial.size;
  const std::size_t si_c = 3 + TlvLen(sid_c) + sha_alg + (v.has_signed_attrs ? TlvLen(v.signed_attrs.size) : 0) +
                           sig_alg + TlvLen(v.signature.size);
  std::size_t certs_c = 0;
  for (const der::Span& c : v.certs) certs_c += c.size;
  const std::size_t econtent_c = TlvLen(v.content.size);
  const std::size_t encap_c = TlvLen(sizeof kOidData) + (v.has_content ? TlvLen(econtent_c) : 0);
  const std::size_t sd_c =
      3 + TlvLen(sha_alg) + TlvLen(encap_c) + (v.certs.empty() ? 0 : TlvLen(certs_c)) + TlvLen(TlvLen(si_c));
  const std::size_t ci_c = TlvLen(sizeof kOidSignedData) + TlvLen(TlvLen(sd_c));
  std::string out;
  out.reserve(TlvLen(ci_c));
  PutHeader(out, der::kSequence, ci_c);  // ContentInfo
  PutOid(out, kOidSignedData);
  PutHeader(out, der::ContextCons(0), TlvLen(sd_c));
  PutHeader(out, der::kSequence, sd_c);  // SignedData
  out.append("\x02\x01\x01", 3);        // version 1
  PutHeader(out, der::kSet, sha_alg);    // digestAlgorithms
  PutAlgorithm(out, kOidSha256, false);
  PutHeader(out, der::kSequence, encap_c);  // encapContentInfo
  PutOid(out, kOidData);
  if (v.has_content) {
    PutHeader(out, der::ContextCons(0), econtent_c);
    PutTlv(out, der::kOctetString, v.content.view());
  }
  if (!v.certs.empty()) {
    PutHeader(out, der::ContextCons(0), certs_c);  // certificates [0] IMPLICIT
    for (const der::Span& c : v.certs) out.append(c.view());
  }
  PutHeader(out, der::kSet, TlvLen(si_c));  // signerInfos
  PutHeader(out, der::kSequence, si_c);     // SignerInfo
  out.append("\x02\x01\x01", 3);           // version 1: issuerAndSerialNumber
  PutHeader(out, der::kSequence, sid_c);
  out.append(v.issuer.view()).append(v.serial.view());
  PutAlgorithm(out, kOidSha256, false);
  if (v.has_signed_attrs) PutTlv(out, der::ContextCons(0), v.signed_attrs.view());
  if (rsa) {
    PutAlgorithm(out, kOidRsa, true);
  } else {
    PutAlgorithm(out, kOidEcdsaSha256, false);
  }
  PutTlv(out, der::kOctetString, v.signature.view());
  return out;
}

std::size_t SignedAttrsSetHeader(std::size_t n, unsigned char out[kMaxSetHeader]) {
  out[0] = der::kSet;
  if (n < 0x80) {
    out[1] = static_cast<unsigned char>(n);
    return 2;
  }
  std::size_t bytes = 0;
  for (std::size_t v = n; v != 0; v >>= 8) ++bytes;
  out[1] = static_cast<unsigned char>(0x80 | bytes);
  for (std::size_t i = 0; i < bytes; ++i) out[2 + i] = static_cast<unsigned char>(n >> (8 * (bytes - 1 - i)));
  return 2 + bytes;
}

Result<SignedDataView> ParseSignedData(std::string_view input) {
  std::string err;
  Reader top(input, &err);
  auto malformed = [&] { return MakeError(Errc::kMalformed, "lean SignedData decoder: " + err); };
  Reader ci, explicit0, sd, encap, econtent0, certs, signers, si;
  Span type, e_type;
  if (!top.Read(der::kSequence, "ContentInfo", &ci) || !top.ExpectEnd("ContentInfo") ||
      !ci.ReadBytes(der::kOid, "ContentInfo.contentType", &type)) {
    return malformed();
  }
  if (!Is(type, kOidSignedData)) return Unsupported(ci, "content type is not id-signedData");
  bool v1 = false, present = false;
  if (!ci.Read(der::ContextCons(0), "ContentInfo.content", &explicit0) || !ci.ExpectEnd("ContentInfo.content") ||
      !explicit0.Read(der::kSequence, "SignedData", &sd) || !explicit0.ExpectEnd("SignedData") ||
      !sd.ReadSmallInt("SignedData.version", 1, &v1) ||
      !sd.Read(der::kSet, "SignedData.digestAlgorithms", nullptr) ||
      !sd.Read(der::kSequence, "SignedData.encapContentInfo", &encap) ||
      !encap.ReadBytes(der::kOid, "eContentType", &e_type)) {
    return malformed();
  }
  if (!v1) return Unsupported(sd, "SignedData version is not 1");
  if (!Is(e_type, kOidData)) return Unsupported(encap, "eContentType is not id-data");
  SignedDataView out;
  if (!encap.ReadOptional(der::ContextCons(0), "eContent", &econtent0, &out.has_content)) return malformed();
  if (out.has_content) {
    if (econtent0.PeekTag() != der::kOctetString) return Unsupported(econtent0, "eContent is not a primitive OCTET STRING");
    if (!econtent0.ReadBytes(der::kOctetString, "eContent", &out.content) || !econtent0.ExpectEnd("eContent")) {
      return malformed();
    }
  }
  if (!encap.ExpectEnd("encapContentInfo")) return malformed();
  if (!sd.ReadOptional(der::ContextCons(0), "SignedData.certificates", &certs, &present)) return malformed();
  while (present && !certs.empty()) {
    if (certs.PeekTag() != der::kSequence) return Unsupported(certs, "certificate choice other than X.509");
    Span cert;
    if (!certs.ReadAny("certificate", &cert)) return malformed();
    out.certs.push_back(cert);
  }
  if (sd.PeekTag() == der::ContextCons(1)) return Unsupported(sd, "CRLs in SignedData");
  if (!sd.Read(der::kSet, "SignedData.signerInfos", &signers) || !sd.ExpectEnd("SignedData")) return malformed();
  if (!signers.Read(der::kSequence, "SignerInfo", &si)) return malformed();
  if (!signers.empty()) return Unsupported(signers, "more than one SignerInfo");
  if (Status st = ReadSignerInfo(si, out, err); !st) return st.error();
  return out;
}

}  // namespace sipim::security
