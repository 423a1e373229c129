#include "security/smime.h"
#include "security/wall_clock.h"

#include "security/enveloped_data.h"
#include "security/kdf.h"
#include "security/signed_data.h"

#include <openssl/cmserr.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>

namespace sipim::security {

const char* SmimeCipherName(SmimeCipher c) {
  return c == SmimeCipher::kAes128Cbc ? "aes128cbc" : "aes128gcm";
}

namespace {

constexpr const char* kP7mDisposition = "attachment;handling=required;filename=smime.p7m";

// Key type tests by EVP_PKEY_get_id (a field read) rather than EVP_PKEY_is_a
// (a name lookup in the provider namemap, under a lock): for RSA and EC keys
// they agree, and RSA-PSS, SM2 and other key types have ids of their own
// (checked on this OpenSSL for generated and DER-decoded keys).
bool IsRsaKey(const EVP_PKEY* key) { return EVP_PKEY_get_id(key) == EVP_PKEY_RSA; }
bool IsEcKey(const EVP_PKEY* key) { return EVP_PKEY_get_id(key) == EVP_PKEY_EC; }

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ASCII case-insensitive equality (MIME type, parameter and header names).
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// A Content-Type value read in place: views into the header value, which
// must outlive it. Only the three parameters the receiver uses are kept (the
// last occurrence of each, as a later parameter overrode an earlier one);
// the whole parameter list is still checked.
struct ContentType {
  std::string_view type;        // type/subtype as written (compare with Is)
  std::string_view smime_type;  // unquoted
  std::string_view boundary;    // unquoted
  std::string_view protocol;    // unquoted (multipart/signed)
  bool Is(std::string_view lower_type) const { return EqualsNoCase(type, lower_type); }
};

Result<ContentType> ParseContentType(std::string_view v) {
  ContentType ct;
  std::size_t semi = v.find(';');
  ct.type = Trim(v.substr(0, semi));
  if (ct.type.find('/') == std::string_view::npos) {
    return MakeError(Errc::kMalformed, "Content-Type without type/subtype: " + std::string(v));
  }
  while (semi != std::string_view::npos) {
    v.remove_prefix(semi + 1);
    std::size_t eq = v.find('=');
    if (eq == std::string_view::npos) {
      if (Trim(v).empty()) break;
      return MakeError(Errc::kMalformed, "Content-Type parameter without '=': " + std::string(v));
    }
    const std::string_view name = Trim(v.substr(0, eq));
    v.remove_prefix(eq + 1);
    v = Trim(v);
    std::string_view value;
    if (!v.empty() && v.front() == '"') {
      std::size_t close = v.find('"', 1);
      if (close == std::string_view::npos) {
        return MakeError(Errc::kMalformed, "unterminated quoted parameter " + Lower(name));
      }
      value = v.substr(1, close - 1);
      v.remove_prefix(close + 1);
      semi = v.find(';');
    } else {
      semi = v.find(';');
      value = Trim(v.substr(0, semi));
    }
    if (EqualsNoCase(name, "smime-type")) ct.smime_type = value;
    if (EqualsNoCase(name, "boundary")) ct.boundary = value;
    if (EqualsNoCase(name, "protocol")) ct.protocol = value;
  }
  return ct;
}

// A MIME entity split into the two headers the receiver reads and its body
// (a view into the entity). Header names are case-insensitive; a repeated
// header overrides the earlier one; a folded line continues the header
// above it.
struct Entity {
  std::string content_type;
  std::string transfer_encoding;  // Content-Transfer-Encoding, empty if absent
  std::string_view body;
};

Result<Entity> ParseEntity(std::string_view e) {
  Entity out;
  std::size_t end = e.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    return MakeError(Errc::kMalformed, "MIME entity without an empty line after its headers");
  }
  std::string_view head = e.substr(0, end);
  out.body = e.substr(end + 4);
  std::size_t line_no = 0;
  bool have_ct = false, in_header = false;
  std::string* last = nullptr;  // the header a folded line continues (null: one we do not keep)
  while (!head.empty()) {
    ++line_no;
    std::size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      if (!in_header) return MakeError(Errc::kMalformed, "MIME header line 1 starts with space");
      if (last != nullptr) last->append(" ").append(Trim(line));  // folded continuation
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return MakeError(Errc::kMalformed,
                       "MIME header line " + std::to_string(line_no) + " has no name: " +
                           std::string(line.substr(0, 40)));
    }
    in_header = true;
    const std::string_view name = Trim(line.substr(0, colon));
    last = EqualsNoCase(name, "content-type")                ? &out.content_type
           : EqualsNoCase(name, "content-transfer-encoding") ? &out.transfer_encoding
                                                             : nullptr;
    if (last == &out.content_type) have_ct = true;
    if (last != nullptr) last->assign(Trim(line.substr(colon + 1)));
  }
  if (!have_ct) return MakeError(Errc::kMalformed, "MIME entity has no Content-Type");
  return out;
}

// One encoding pass: with *pp == NULL, i2d allocates the output itself.
Result<std::string> CmsToDer(CMS_ContentInfo* cms) {
  unsigned char* der = nullptr;
  int n = i2d_CMS_ContentInfo(cms, &der);
  if (n <= 0 || der == nullptr) return CryptoError("i2d_CMS_ContentInfo");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

Result<CmsPtr> CmsFromDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) {
    DrainOpenSslErrors();
    return MakeError(Errc::kMalformed, "CMS DER of " + std::to_string(der.size()) +
                                           " bytes does not parse");
  }
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return MakeError(Errc::kMalformed, "trailing bytes after the CMS structure");
  }
  return cms;
}

BioPtr MemBio(std::string_view s) {
  return BioPtr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())));
}

int LastReason() {
  unsigned long e = ERR_peek_last_error();  // NOLINT: OpenSSL's type
  return e ? ERR_GET_REASON(e) : 0;
}

std::string RandomBoundary() {
  unsigned char r[12];
  if (RAND_bytes(r, sizeof r) != 1) {
    DrainOpenSslErrors();
    for (std::size_t i = 0; i < sizeof r; ++i) r[i] = static_cast<unsigned char>(i * 37 + 11);
  }
  static const char* hex = "0123456789abcdef";
  std::string b = "sipim-";
  for (unsigned char c : r) {
    b.push_back(hex[c >> 4]);
    b.push_back(hex[c & 15]);
  }
  return b;
}

}  // namespace

std::string MakeMimeEntity(std::string_view content_type, std::string_view body) {
  std::string e;
  e.reserve(content_type.size() + body.size() + 20);
  e.append("Content-Type: ").append(content_type).append("\r\n\r\n").append(body);
  return e;
}

std::string SmimeBodyAsEntity(const SmimeBody& b) {
  std::string e = "Content-Type: " + b.content_type + "\r\n";
  if (!b.content_disposition.empty()) e += "Content-Disposition: " + b.content_disposition + "\r\n";
  if (b.content_type.rfind("application/pkcs7-mime", 0) == 0) {
    e += "Content-Transfer-Encoding: binary\r\n";
  }
  e += "\r\n";
  e += b.body;
  return e;
}

namespace {

// Issuer name and serial number DER of `cert` (serial in `buf`).
bool IssuerSerial(X509* cert, der::Span& issuer, der::Span& serial, unsigned char (&buf)[64]) {
  const unsigned char* name = nullptr;
  std::size_t name_len = 0;
  if (X509_NAME_get0_der(X509_get_issuer_name(cert), &name, &name_len) != 1) return false;
  issuer = {name, name_len};
  unsigned char* p = buf;
  const ASN1_INTEGER* sn = X509_get0_serialNumber(cert);
  const int n = i2d_ASN1_INTEGER(sn, nullptr);
  if (n <= 0 || n > static_cast<int>(sizeof buf) || i2d_ASN1_INTEGER(sn, &p) != n) return false;
  serial = {buf, static_cast<std::size_t>(n)};
  return true;
}

// SignedData through OpenSSL's CMS (keys other than RSA and EC).
Result<std::string> CmsSign(const Identity& signer, std::string_view entity, const SignOptions& opts) {
  BioPtr in = MemBio(entity);
  if (!in) return CryptoError("BIO_new_mem_buf");
  unsigned int flags = CMS_BINARY;
  if (!opts.include_cert) flags |= CMS_NOCERTS;
  if (!opts.signed_attributes) flags |= CMS_NOATTR;
  if (opts.multipart) flags |= CMS_DETACHED;
  CmsPtr cms(CMS_sign(signer.cert.get(), signer.key.get(), nullptr, in.get(), flags));
  if (!cms) return CryptoError("CMS_sign");
  return CmsToDer(cms.get());
}

// SignedData written by the lean encoder (signed_data.h) with EVP calls: the
// same structure as CMS_sign's, SMIMECapabilities naming sipim's ciphers.
Result<std::string> LeanSign(const Identity& signer, std::string_view entity, const SignOptions& opts,
                             SignatureAlg alg) {
  unsigned char digest[32];
  if (!Sha256Of(entity, {}, digest)) return CryptoError("SHA-256 of the content");
  SignedDataView v;
  v.sig_alg = alg;
  v.has_content = !opts.multipart;
  v.content = {reinterpret_cast<const unsigned char*>(entity.data()), entity.size()};
  std::string attrs;
  if (opts.signed_attributes) {
    attrs = BuildSignedAttrs(digest, WallClockSeconds());
    v.has_signed_attrs = true;
    v.signed_attrs = {reinterpret_cast<const unsigned char*>(attrs.data()), attrs.size()};
    unsigned char hdr[kMaxSetHeader];
    const std::size_t h = SignedAttrsSetHeader(attrs.size(), hdr);
    if (!Sha256Of({reinterpret_cast<const char*>(hdr), h}, attrs, digest)) return CryptoError("SHA-256 of signedAttrs");
  }
  EVP_PKEY_CTX* ctx = SignContext(signer);
  if (ctx == nullptr) return CryptoError("signing context");
  unsigned char sig[1024];
  std::size_t sig_len = sizeof sig;
  if (static_cast<std::size_t>(EVP_PKEY_get_size(signer.key.get())) > sizeof sig ||
      EVP_PKEY_sign(ctx, sig, &sig_len, digest, sizeof digest) != 1) {
    return CryptoError("EVP_PKEY_sign");
  }
  v.signature = {sig, sig_len};
  unsigned char serial[64];
  if (!IssuerSerial(signer.cert.get(), v.issuer, v.serial, serial)) return CryptoError("signer issuer/serial");
  if (opts.include_cert) {
    const std::string_view cert = KeptCertDer(signer);
    if (cert.empty()) return CryptoError("signer certificate DER");
    v.certs.push_back({reinterpret_cast<const unsigned char*>(cert.data()), cert.size()});
  }
  return EncodeSignedData(v);
}

}  // namespace

Result<SmimeBody> SmimeSign(const Identity& signer, std::string_view entity,
                            const SignOptions& opts) {
  if (!signer.key || !signer.cert) return MakeError(Errc::kCrypto, "sign: signer has no key/cert");
  const bool rsa = IsRsaKey(signer.key.get());
  const bool ec = IsEcKey(signer.key.get());
  auto der = rsa || ec ? LeanSign(signer, entity, opts, rsa ? SignatureAlg::kRsaPkcs1Sha256 : SignatureAlg::kEcdsaSha256)
                       : CmsSign(signer, entity, opts);
  if (!der) return der.error();
  SmimeBody out;
  if (!opts.multipart) {
    out.content_type = "application/pkcs7-mime;smime-type=signed-data;name=smime.p7m";
    out.content_disposition = kP7mDisposition;
    out.body = std::move(*der);
    return out;
  }
  const std::string boundary = RandomBoundary();
  out.content_type = "multipart/signed;protocol=\"application/pkcs7-signature\";micalg=sha-256;"
                     "boundary=" + boundary;
  std::string& b = out.body;
  b.reserve(entity.size() + der->size() + 300);
  b.append("--").append(boundary).append("\r\n").append(entity).append("\r\n");
  b.append("--").append(boundary).append("\r\n");
  b.append("Content-Type: application/pkcs7-signature;name=smime.p7s\r\n"
           "Content-Transfer-Encoding: binary\r\n"
           "Content-Disposition: attachment;handling=required;filename=smime.p7s\r\n\r\n");
  b.append(*der).append("\r\n--").append(boundary).append("--\r\n");
  return out;
}

namespace {

// Ciphers fetched once per process (OpenSSL 3 fetches implicitly per call otherwise).
const EVP_CIPHER* FetchedCipher(std::string_view name) {
  static const EvpCipherPtr wrap(EVP_CIPHER_fetch(nullptr, "AES-128-WRAP", nullptr));
  static const EvpCipherPtr gcm(EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr));
  static const EvpCipherPtr cbc(EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr));
  return name == "AES-128-WRAP" ? wrap.get() : name == "AES-128-GCM" ? gcm.get() : cbc.get();
}

// Whether `group` (an OSSL_PKEY_PARAM_GROUP_NAME) is P-256, whose cofactor is 1.
bool IsP256(std::string_view group) { return group == "prime256v1"; }  // the name OpenSSL reports

// Z = ECDH(own, peer), the peer's public key validated first. On P-256 by
// the partial check (EVP_PKEY_public_check_quick: not the point at
// infinity, coordinates in range, on the curve): with cofactor 1 every
// other point of the curve has order n, so that is the full validation of
// SEC 1 v2 §3.2.2.1, whose "nQ = O" step applies only when h != 1.
// OpenSSL's EVP_PKEY_derive_set_peer_ex(.., 1) runs that scalar
// multiplication anyway (about 40 % of one derivation here). Other curves
// get OpenSSL's full check.
bool DeriveZ(EVP_PKEY* own, EVP_PKEY* peer, bool p256, unsigned char z[32]) {
  if (p256) {
    EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, peer, nullptr));
    if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) return false;
  }
  EvpPkeyCtxPtr dctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
  std::size_t len = 32;
  return dctx && EVP_PKEY_derive_init(dctx.get()) == 1 && EVP_PKEY_derive_set_peer_ex(dctx.get(), peer, p256 ? 0 : 1) == 1 &&
         EVP_PKEY_derive(dctx.get(), z, &len) == 1 && len == 32;
}

// Z = ECDH(own key, the originator's point), the point checked on import
// (EVP_PKEY_fromdata decodes it onto own's curve) and by DeriveZ.
bool EcdhSecret(EVP_PKEY* own, const der::Span& point, unsigned char z[32]) {
  char group[32];
  std::size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(own, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_len) != 1) {
    return false;
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<unsigned char*>(point.data), point.size),
      OSSL_PARAM_construct_end()};
  EvpPkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* peer_raw = nullptr;
  if (!fctx || EVP_PKEY_fromdata_init(fctx.get()) != 1 ||
      EVP_PKEY_fromdata(fctx.get(), &peer_raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return false;
  }
  EvpPkeyPtr peer(peer_raw);
  return DeriveZ(own, peer.get(), IsP256({group, group_len}), z);
}

// The KEK of RFC 5753 §3.1.1: X9.63 KDF with SHA-256, one block, over
// Z || counter 1 || ECC-CMS-SharedInfo { keyInfo = the wrap algorithm,
// suppPubInfo [2] = 128 (bits) }.
bool KariKek(const unsigned char z[32], const der::Span& wrap_alg, unsigned char kek[16]) {
  std::string info("\x00\x00\x00\x01", 4);
  const std::size_t seq_len = wrap_alg.size + 8;
  if (seq_len >= 0x80) return false;
  info.push_back(static_cast<char>(der::kSequence));
  info.push_back(static_cast<char>(seq_len));
  info.append(wrap_alg.view());
  info.append("\xA2\x06\x04\x04\x00\x00\x00\x80", 8);
  unsigned char k[32];
  if (!Sha256Of({reinterpret_cast<const char*>(z), 32}, info, k)) return false;
  std::memcpy(kek, k, 16);
  OPENSSL_cleanse(k, sizeof k);
  return true;
}

// One cipher pass: AES-128 key unwrap (tag_len 0), AES-128-GCM decryption
// with its tag (true only if it authenticates), or AES-128-CBC decryption
// (with `unpad`, true only if the PKCS#7 padding is well formed; without, the
// padding is left in `out` for the caller). *out_len, when asked for, is the
// bytes written.
bool Decipher(const char* cipher, const unsigned char* key, const der::Span& iv, const der::Span& in,
              const der::Span& tag, unsigned char* out, std::size_t* out_len = nullptr, bool unpad = true) {
  EvpCipherCtxPtr c(EVP_CIPHER_CTX_new());
  const EVP_CIPHER* alg = FetchedCipher(cipher);
  int len = 0, fin = 0;
  if (!c || alg == nullptr || EVP_DecryptInit_ex2(c.get(), alg, key, iv.size ? iv.data : nullptr, nullptr) != 1 ||
      (!unpad && EVP_CIPHER_CTX_set_padding(c.get(), 0) != 1) ||
      EVP_DecryptUpdate(c.get(), out, &len, in.data, static_cast<int>(in.size)) != 1) {
    return false;
  }
  if (tag.size != 0 &&
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag.size), const_cast<unsigned char*>(tag.data)) != 1) {
    return false;
  }
  if (EVP_DecryptFinal_ex(c.get(), out + len, &fin) != 1) return false;
  if (out_len != nullptr) *out_len = static_cast<std::size_t>(len) + static_cast<std::size_t>(fin);
  return true;
}

// All ones when a == b, else 0 (a, b < 2^31).
unsigned int MaskEq(unsigned int a, unsigned int b) { return 0u - (((a ^ b) - 1u) >> 31); }
// All ones when a < b, else 0 (a, b < 2^31).
unsigned int MaskLt(unsigned int a, unsigned int b) { return 0u - ((a - b) >> 31); }

// How many bytes of PKCS#7 padding to cut from a CBC plaintext of n bytes (a
// multiple of `block`, 16 for AES, at most 16), judged without a branch on
// its bytes; *bad says whether the padding is malformed. A malformed padding
// is cut as if it were one byte and the content read on (the remedy TLS took
// against Lucky Thirteen): then the altered copies of an attack on the last
// byte, one with good padding (0x01) and the 254 with bad, hand the same
// number of bytes, differing only in the block the alteration garbled
// anyway, to the same parsing and verification, and take the same time.
// Stopping at a bad padding made the rejection 2x faster than past a good one
// (BM_SmimeReject).
std::size_t CbcPaddingToCut(const unsigned char* plain, std::size_t n, bool* bad, unsigned int block = 16) {
  if (n < block) {  // no block at all: nothing to cut, nothing well formed
    *bad = true;
    return n;
  }
  const unsigned int pad = plain[n - 1];
  unsigned int good = MaskLt(0, pad) & MaskLt(pad, block + 1);
  for (unsigned int i = 0; i < block; ++i) good &= ~MaskLt(i, pad) | MaskEq(plain[n - 1 - i], pad);
  *bad = good == 0;
  return (pad & good) | (1u & ~good);
}

// The content pass of a lean receive: AES-128-GCM with the view's tag, or
// AES-128-CBC; `plain` is cut to the plaintext. False if GCM does not
// authenticate (or OpenSSL fails). CBC content is always returned, a bad
// padding only flagged in *bad_padding (CbcPaddingToCut says why).
bool DecryptContent(const EnvelopeView& v, const unsigned char* cek, std::string& plain, bool* bad_padding) {
  plain.assign(v.ciphertext.size, '\0');
  std::size_t n = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  const bool ok = Decipher(v.gcm ? "AES-128-GCM" : "AES-128-CBC", cek, v.nonce, v.ciphertext,
                           v.gcm ? v.mac : der::Span{}, out, &n, v.gcm);
  if (!ok) return false;
  if (!v.gcm) n -= CbcPaddingToCut(out, n, bad_padding);
  plain.resize(n);
  return true;
}

// ------------------------------------------------------------ lean enveloping

// Whether the lean encoder writes a RecipientInfo for this key: RSA (KTRI)
// or P-256 (KARI); anything else goes to CMS_encrypt.
bool LeanRecipient(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) return false;
  if (IsRsaKey(key)) return true;
  char group[32];
  std::size_t len = 0;
  return IsEcKey(key) &&
         EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1 &&
         IsP256({group, len});
}

// One cipher pass writing `in` encrypted to `out`; *out_len the bytes written.
bool Encipher(std::string_view cipher, const unsigned char* key, const unsigned char* iv, const unsigned char* in,
              std::size_t n, unsigned char* out, std::size_t* out_len) {
  EvpCipherCtxPtr c(EVP_CIPHER_CTX_new());
  const EVP_CIPHER* alg = FetchedCipher(cipher);
  int len = 0, fin = 0;
  if (!c || alg == nullptr || EVP_EncryptInit_ex2(c.get(), alg, key, iv, nullptr) != 1 ||
      EVP_EncryptUpdate(c.get(), out, &len, in, static_cast<int>(n)) != 1 ||
      EVP_EncryptFinal_ex(c.get(), out + len, &fin) != 1) {
    return false;
  }
  *out_len = static_cast<std::size_t>(len + fin);
  if (cipher == "AES-128-GCM") {
    return EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_AEAD_GET_TAG, 16, out + *out_len) == 1;
  }
  return true;
}

// Public-key contexts kept per thread: making one (EVP_PKEY_CTX_new_from_pkey,
// the operation's init, its parameters) fetches the provider's
// implementation on every call (with a kept context, one recipient's
// encrypt went from 1.34x to about 1.24x the raw calls; a receive from a
// known signer spent 32 k of its 800 k instructions making its verification
// context; README). Each table holds at most kKeptContexts entries, the
// least recently used dropped first; the most recently used is last.
constexpr std::size_t kKeptContexts = 32;

// The entry `match` accepts, moved to the back; null if none does.
template <typename Entry, typename Match>
Entry* FindRecent(std::vector<Entry>& kept, Match match) {
  for (std::size_t i = kept.size(); i-- > 0;) {
    if (!match(kept[i])) continue;
    std::rotate(kept.begin() + static_cast<std::ptrdiff_t>(i), kept.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                kept.end());
    return &kept.back();
  }
  return nullptr;
}

template <typename Entry>
Entry& AddRecent(std::vector<Entry>& kept, Entry entry) {
  if (kept.size() >= kKeptContexts) kept.erase(kept.begin());
  kept.push_back(std::move(entry));
  return kept.back();
}

// Contexts per certificate. An entry holds a reference to its certificate,
// so the address it is found by cannot be reused by another certificate
// while it is kept, and the context holds the key it was made for (so that
// key's address cannot be reused either): a certificate whose key was
// replaced gets a new context.
class KeptContexts {
 public:
  using Make = EvpPkeyCtxPtr (*)(EVP_PKEY* key);
  explicit KeptContexts(Make make) : make_(make) {}

  // The context for `cert`'s public key (made on first use); null if it
  // cannot be made.
  EVP_PKEY_CTX* For(X509* cert) {
    EVP_PKEY* pub = X509_get0_pubkey(cert);
    if (Kept* k = FindRecent(kept_, [cert](const Kept& e) { return e.cert.get() == cert; })) {
      if (EVP_PKEY_CTX_get0_pkey(k->ctx.get()) == pub) return k->ctx.get();
      kept_.pop_back();  // key replaced in place: forget the old context
    }
    EvpPkeyCtxPtr ctx = pub != nullptr ? make_(pub) : nullptr;
    if (!ctx || X509_up_ref(cert) != 1) return nullptr;
    return AddRecent(kept_, Kept{X509Ptr(cert), std::move(ctx)}).ctx.get();
  }

 private:
  struct Kept {
    X509Ptr cert;
    EvpPkeyCtxPtr ctx;
  };
  Make make_;
  std::vector<Kept> kept_;
};

// RSAES-PKCS1-v1_5 encryption to `key`, as CMS_encrypt does.
EvpPkeyCtxPtr NewRsaEncryptContext(EVP_PKEY* key) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    DrainOpenSslErrors();
    return nullptr;
  }
  return ctx;
}

EVP_PKEY_CTX* KeptRsaEncryptContext(X509* cert) {
  thread_local KeptContexts kept(NewRsaEncryptContext);
  return kept.For(cert);
}

// Verification contexts for the receiver's known signer certificates
// (ReceiveContext::known_certs). Certificates parsed from a message are new
// objects every time: see KeptVerifyContextBySpki.
EVP_PKEY_CTX* KeptVerifyContext(X509* cert) {
  thread_local KeptContexts kept(NewVerifyContext);
  return kept.For(cert);
}

// The SubjectPublicKeyInfo TLV inside a certificate's DER; empty if the
// certificate is not DER this reader takes.
std::string_view SpkiOf(std::string_view cert_der) {
  std::string err;
  der::Reader top(cert_der, &err), cert, tbs;
  bool explicit_version = false;
  der::Span spki;
  if (!top.Read(der::kSequence, "Certificate", &cert) || !top.ExpectEnd("Certificate") ||
      !cert.Read(der::kSequence, "tbsCertificate", &tbs) ||
      !tbs.ReadOptional(der::ContextCons(0), "version", nullptr, &explicit_version) ||
      !tbs.Read(der::kInteger, "serialNumber", nullptr) || !tbs.Read(der::kSequence, "signature", nullptr) ||
      !tbs.Read(der::kSequence, "issuer", nullptr) || !tbs.Read(der::kSequence, "validity", nullptr) ||
      !tbs.Read(der::kSequence, "subject", nullptr) || !tbs.Read(der::kSequence, "subjectPublicKeyInfo", nullptr, &spki)) {
    return {};
  }
  return spki.view();
}

// Verification contexts for signer certificates carried in messages to a
// receiver without a CertCache, kept per thread by the exact DER of their
// SubjectPublicKeyInfo: such a receiver decodes the certificate anew for
// every message (a new key object each time), but a signer's key is the
// same bytes every time, and a context made for a key decoded from
// identical bytes verifies exactly the same signatures. The context holds
// its key; no trust decision is kept (the chain is checked per message).
EVP_PKEY_CTX* KeptVerifyContextBySpki(std::string_view spki, EVP_PKEY* key) {
  struct Kept {
    std::string spki;
    EvpPkeyCtxPtr ctx;
  };
  thread_local std::vector<Kept> kept;
  if (spki.empty()) return nullptr;
  if (Kept* k = FindRecent(kept, [spki](const Kept& e) { return e.spki == spki; })) return k->ctx.get();
  EvpPkeyCtxPtr ctx = NewVerifyContext(key);
  if (!ctx) return nullptr;
  return AddRecent(kept, Kept{std::string(spki), std::move(ctx)}).ctx.get();
}

// The RecipientInfo giving `cek` to `cert`'s holder.
Result<std::string> RecipientInfoFor(X509* cert, const unsigned char cek[16]) {
  der::Span issuer, serial;
  unsigned char serial_buf[64];
  if (!IssuerSerial(cert, issuer, serial, serial_buf)) return CryptoError("recipient issuer/serial");
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  if (IsRsaKey(pub)) {  // RSAES-PKCS1-v1_5, as CMS_encrypt does
    EVP_PKEY_CTX* ctx = KeptRsaEncryptContext(cert);
    unsigned char ek[1024];
    std::size_t len = sizeof ek;
    if (ctx == nullptr || static_cast<std::size_t>(EVP_PKEY_get_size(pub)) > sizeof ek ||
        EVP_PKEY_encrypt(ctx, ek, &len, cek, 16) != 1) {
      return CryptoError("KTRI: RSA encryption of the content key");
    }
    return EncodeKtri(issuer, serial, {ek, len});
  }
  // P-256 KARI: ephemeral key, Z, KEK (X9.63 / SHA-256), AES key wrap.
  EvpPkeyPtr eph(EVP_EC_gen("P-256"));
  unsigned char point[65], z[32], kek[16], wrapped[24 + 16];
  std::size_t point_len = 0, wrapped_len = 0;
  const bool ok = eph &&
                  EVP_PKEY_get_octet_string_param(eph.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point,
                                                  &point_len) == 1 &&
                  DeriveZ(eph.get(), pub, /*p256=*/true, z) && KariKek(z, Aes128WrapAlgorithm(), kek) &&
                  Encipher("AES-128-WRAP", kek, nullptr, cek, 16, wrapped, &wrapped_len) && wrapped_len == 24;
  OPENSSL_cleanse(z, sizeof z);
  OPENSSL_cleanse(kek, sizeof kek);
  if (!ok) return CryptoError("KARI: key agreement and wrap");
  return EncodeKari({point, point_len}, issuer, serial, {wrapped, wrapped_len});
}

// (Auth)EnvelopedData written by the lean encoder (enveloped_data.h), the
// content encrypted straight into the output; nullopt if a recipient's key
// is of a type it does not write.
std::optional<Result<std::string>> LeanEncrypt(const std::vector<X509*>& recipients, std::string_view entity,
                                               SmimeCipher cipher) {
  for (X509* r : recipients) {
    if (!LeanRecipient(r)) return std::nullopt;
  }
  const bool gcm = cipher == SmimeCipher::kAes128Gcm;
  unsigned char cek[16], iv[16];
  const std::size_t iv_len = gcm ? 12 : 16;
  if (RAND_bytes(cek, sizeof cek) != 1 || RAND_bytes(iv, static_cast<int>(iv_len)) != 1) {
    return Result<std::string>(CryptoError("RAND_bytes"));
  }
  std::vector<std::string> infos;
  bool any_kari = false;
  for (X509* r : recipients) {
    auto ri = RecipientInfoFor(r, cek);
    if (!ri) {
      OPENSSL_cleanse(cek, sizeof cek);
      return Result<std::string>(ri.error());
    }
    any_kari = any_kari || !IsRsaKey(X509_get0_pubkey(r));
    infos.push_back(std::move(*ri));
  }
  // RecipientInfos is a SET OF: DER orders the encodings (as CMS's i2d does).
  std::sort(infos.begin(), infos.end(), [](const std::string& a, const std::string& b) {
    const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
    return c < 0 || (c == 0 && a.size() < b.size());
  });
  std::string ris;
  for (const std::string& ri : infos) ris += ri;
  const std::size_t ct_len = gcm ? entity.size() : (entity.size() / 16 + 1) * 16;  // CBC: PKCS#7 padding
  std::string out = EncodeEnvelopeHead(gcm, ris, any_kari, {iv, iv_len}, ct_len);
  const std::size_t at = out.size();
  out.resize(at + ct_len + (gcm ? 16 : 0));
  std::size_t written = 0;
  const bool ok = Encipher(gcm ? "AES-128-GCM" : "AES-128-CBC", cek, iv,
                           reinterpret_cast<const unsigned char*>(entity.data()), entity.size(),
                           reinterpret_cast<unsigned char*>(&out[at]), &written) &&
                  written == ct_len;
  OPENSSL_cleanse(cek, sizeof cek);
  if (!ok) return Result<std::string>(CryptoError("content encryption"));
  if (gcm) {  // the tag was written after the content: move it into its OCTET STRING
    const std::string tag = out.substr(at + ct_len, 16);
    out.resize(at + ct_len);
    out += EncodeMac({reinterpret_cast<const unsigned char*>(tag.data()), tag.size()});
  }
  return Result<std::string>(std::move(out));
}

}  // namespace

Result<SmimeBody> SmimeEncrypt(const std::vector<X509*>& recipients, std::string_view entity,
                               SmimeCipher cipher) {
  if (recipients.empty()) return MakeError(Errc::kMalformed, "encrypt: no recipients");
  SmimeBody out;
  out.content_type = cipher == SmimeCipher::kAes128Cbc
                         ? "application/pkcs7-mime;smime-type=enveloped-data;name=smime.p7m"
                         : "application/pkcs7-mime;smime-type=authEnveloped-data;name=smime.p7m";
  out.content_disposition = kP7mDisposition;
  if (auto lean = LeanEncrypt(recipients, entity, cipher)) {
    if (!*lean) return lean->error();
    out.body = std::move(**lean);
    return out;
  }
  BioPtr in = MemBio(entity);
  if (!in) return CryptoError("BIO_new_mem_buf");
  const EVP_CIPHER* c = cipher == SmimeCipher::kAes128Cbc ? EVP_aes_128_cbc() : EVP_aes_128_gcm();
  // CMS_PARTIAL: add recipients one by one so that each KARI can get its KDF.
  CmsPtr cms(CMS_encrypt(nullptr, in.get(), c, CMS_BINARY | CMS_PARTIAL));
  if (!cms) return CryptoError("CMS_encrypt");
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    CMS_RecipientInfo* ri = CMS_add1_recipient_cert(cms.get(), recipients[i], 0);
    if (ri == nullptr) {
      return CryptoError(("CMS_add1_recipient_cert #" + std::to_string(i)).c_str());
    }
    if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_AGREE) {
      // X9.63 KDF with SHA-256 (dhSinglePass-stdDH-sha256kdf-scheme) instead of
      // OpenSSL's SHA-1 default; the receiver reads it from the algorithm id.
      EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
      if (pctx == nullptr || EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) <= 0) {
        return CryptoError("KARI: set SHA-256 KDF");
      }
    }
  }
  BioPtr again = MemBio(entity);
  if (!again || CMS_final(cms.get(), again.get(), nullptr, CMS_BINARY) != 1) {
    return CryptoError("CMS_final (encrypt)");
  }
  auto der = CmsToDer(cms.get());
  if (!der) return der.error();
  out.body = std::move(*der);
  return out;
}

Result<SmimeBody> SmimeSignAndEncrypt(const Identity& signer, const std::vector<X509*>& recipients,
                                      std::string_view entity, SmimeCipher cipher,
                                      const SignOptions& opts) {
  auto signed_body = SmimeSign(signer, entity, opts);
  if (!signed_body) return signed_body.error();
  return SmimeEncrypt(recipients, SmimeBodyAsEntity(*signed_body), cipher);
}

namespace {

// The signer's certificate must name the From AOR in a sip:/sips: URI.
Status MatchFrom(const std::vector<std::string>& uris, const ReceiveContext& ctx, std::string& signer_aor) {
  for (const std::string& uri : uris) {
    if (SameAor(uri, ctx.from_aor)) {
      signer_aor = uri;
      return {};
    }
  }
  std::string have;
  for (const std::string& uri : uris) have += (have.empty() ? "" : ", ") + uri;
  return MakeError(Errc::kFromMismatch, "signer certificate names [" + have + "], not the From AOR " + ctx.from_aor);
}

// Verifies SignedData (detached content in `dcont` if non-null); on success
// appends the signed content to `content` and names the signer.
Status VerifySigned(CMS_ContentInfo* cms, std::string_view* dcont, const ReceiveContext& ctx,
                    std::string& content, std::string& signer_aor) {
  if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
    return MakeError(Errc::kMalformed, "signed-data body is not CMS SignedData");
  }
  // RFC 8551 §3 / RFC 5652 §5.3: an S/MIME content is a MIME entity, id-data
  // (without signedAttrs nothing else may be signed, and eContentType is not
  // covered by the signature when they are present). CMS_verify accepts any.
  if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data) {
    return MakeError(Errc::kMalformed, "SignedData eContentType is not id-data");
  }
  // Per SignerInfo, before any public-key work:
  // - the digest: SHA-2 only. RFC 6151 §2: MD5 is no longer acceptable where
  //   collision resistance is required (signatures); SHA-1 has practical
  //   chosen-prefix collisions. sipim signs with SHA-256; CMS_verify takes any.
  // - RFC 5652 §11.1: with signedAttrs, the content-type attribute (present,
  //   one value) MUST equal eContentType; CMS_verify does not compare them,
  //   so a signature made over another content type would pass as id-data.
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
  for (int i = 0; i < sk_CMS_SignerInfo_num(infos); ++i) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, i);
    X509_ALGOR* digest = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, nullptr);
    const ASN1_OBJECT* digest_oid = nullptr;
    if (digest != nullptr) X509_ALGOR_get0(&digest_oid, nullptr, nullptr, digest);
    const int md = digest_oid != nullptr ? OBJ_obj2nid(digest_oid) : NID_undef;
    if (md != NID_sha224 && md != NID_sha256 && md != NID_sha384 && md != NID_sha512) {
      return MakeError(Errc::kUnsupported, std::string("SignerInfo digest algorithm ") +
                                               (md != NID_undef ? OBJ_nid2sn(md) : "unknown") +
                                               " refused (SHA-224/256/384/512 only)");
    }
    if (CMS_signed_get_attr_count(si) <= 0) continue;
    const auto* type = static_cast<const ASN1_OBJECT*>(
        CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT));
    if (type == nullptr || OBJ_obj2nid(type) != NID_pkcs7_data) {
      DrainOpenSslErrors();
      return MakeError(Errc::kBadSignature, "content-type attribute is not id-data, the eContentType");
    }
  }
  X509StackPtr extra(sk_X509_new_null());
  if (!extra) return CryptoError("sk_X509_new_null");
  for (X509* c : ctx.known_certs) {
    if (!sk_X509_push(extra.get(), c)) return CryptoError("sk_X509_push");
    X509_up_ref(c);
  }
  BioPtr dc;
  if (dcont) dc = MemBio(*dcont);
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out) return CryptoError("BIO_new");
  ERR_clear_error();
  // The chain is checked below by hand so that each failure gets its own code.
  if (CMS_verify(cms, extra.get(), nullptr, dc.get(), out.get(),
                 CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
    int reason = LastReason();
    std::string why = DrainOpenSslErrors();
    if (reason == CMS_R_SIGNER_CERTIFICATE_NOT_FOUND) {
      return MakeError(Errc::kNoSignerCert, "signer certificate not in the message nor known: " + why);
    }
    if (reason == CMS_R_NO_CONTENT) return MakeError(Errc::kMalformed, "signed data has no content");
    return MakeError(Errc::kBadSignature, "signature does not verify: " + why);
  }
  X509StackPtr signers(CMS_get0_signers(cms));  // the stack only; certs are borrowed
  if (!signers || sk_X509_num(signers.get()) == 0) {
    return MakeError(Errc::kNoSignerCert, "no signer");
  }
  // CMS_get0_signers returns borrowed certs: up-ref them so the owner frees right.
  for (int i = 0; i < sk_X509_num(signers.get()); ++i) X509_up_ref(sk_X509_value(signers.get(), i));
  STACK_OF(X509)* carried = CMS_get1_certs(cms);
  X509StackPtr untrusted(carried ? carried : sk_X509_new_null());
  for (int i = 0; i < sk_X509_num(signers.get()); ++i) {
    X509* s = sk_X509_value(signers.get(), i);
    if (ctx.trust == nullptr) return MakeError(Errc::kUnknownCa, "no trust store configured");
    if (Status st = VerifyCertChain(s, untrusted.get(), ctx.trust, X509_PURPOSE_SMIME_SIGN, ctx.at_time);
        !st)
      return st;
    if (Status st = MatchFrom(CertSipUris(s), ctx, signer_aor); !st) return st;
  }
  content.append(BioContents(out.get()));
  return {};
}

// ------------------------------------------------------------ lean SignedData path

// A certificate the lean path works with: parsed here or held by the cache.
struct LeanCert {
  X509* cert = nullptr;
  CertCache::EntryPtr entry;  // when ctx.cert_cache is set
  bool known = false;         // one of ctx.known_certs
  std::string_view der;       // when parsed from the message here (no cache)
};

// True if `cert` is the one named by issuer and serial number. Exact DER
// equality implies OpenSSL's match (X509_NAME_cmp compares canonical forms);
// a mismatch here only sends the message to OpenSSL's CMS.
bool NamesCert(const der::Span& issuer_der, const der::Span& serial_der, X509* cert) {
  der::Span issuer, serial;
  unsigned char buf[64];
  return IssuerSerial(cert, issuer, serial, buf) && issuer.view() == issuer_der.view() &&
         serial.view() == serial_der.view();
}

// The signature check: digest of the content, messageDigest attribute,
// signature over the signed attributes (or over the content without them).
bool SignatureVerifies(const SignedDataView& v, std::string_view content, const LeanCert& signer) {
  EVP_PKEY* key = X509_get0_pubkey(signer.cert);
  const bool rsa = v.sig_alg == SignatureAlg::kRsaPkcs1Sha256;
  if (key == nullptr || !(rsa ? IsRsaKey(key) : IsEcKey(key))) return false;
  unsigned char digest[32];
  if (!Sha256Of(content, {}, digest)) return false;
  if (v.has_signed_attrs) {
    if (v.message_digest.size != 32 || CRYPTO_memcmp(v.message_digest.data, digest, 32) != 0) return false;
    unsigned char hdr[kMaxSetHeader];
    const std::size_t h = SignedAttrsSetHeader(v.signed_attrs.size, hdr);
    if (!Sha256Of({reinterpret_cast<const char*>(hdr), h}, v.signed_attrs.view(), digest)) return false;
  }
  EvpPkeyCtxPtr fresh;
  EVP_PKEY_CTX* ctx = nullptr;
  if (signer.entry != nullptr) {
    ctx = signer.entry->VerifyContext();
  } else if (signer.known) {
    ctx = KeptVerifyContext(signer.cert);
  } else {
    ctx = KeptVerifyContextBySpki(SpkiOf(signer.der), key);
    if (ctx == nullptr) {
      fresh = NewVerifyContext(key);
      ctx = fresh.get();
    }
  }
  if (ctx == nullptr) return false;
  const bool ok = EVP_PKEY_verify(ctx, v.signature.data, v.signature.size, digest, sizeof digest) == 1;
  if (!ok) DrainOpenSslErrors();
  return ok;
}

// The lean path for SignedData: true if it verified the message (*content
// set to the encapsulated content, a view into `der`, unless it is detached;
// signer named), false if OpenSSL's CMS must decide (a form the
// decoder does not read, no matching certificate, a signature that does not
// verify: OpenSSL then gives the error its usual code), or an error from the
// checks after the signature (chain, From), which are the same calls as on
// the CMS path.
Result<bool> LeanVerifySigned(std::string_view der, const std::string_view* dcont, const ReceiveContext& ctx,
                              std::string_view* content, std::string& signer_aor) {
  auto v = ParseSignedData(der);
  if (!v || v->has_content == (dcont != nullptr)) return false;
  std::vector<X509Ptr> owned;
  std::vector<LeanCert> carried;
  for (const der::Span& c : v->certs) {
    LeanCert lc;
    if (ctx.cert_cache != nullptr) {  // cached below only if it is the signer and chains
      auto e = ctx.cert_cache->Lookup(c.view());
      if (!e) return false;
      lc.cert = (*e)->cert.get();
      lc.entry = *e;
    } else {
      auto x = CertFromDer(c.data, c.size);
      if (!x) return false;
      lc.cert = x->get();
      lc.der = c.view();
      owned.push_back(std::move(*x));
    }
    carried.push_back(lc);
  }
  LeanCert signer;
  for (const LeanCert& c : carried) {
    if (NamesCert(v->issuer, v->serial, c.cert)) signer = c;
  }
  for (X509* k : ctx.known_certs) {
    if (signer.cert == nullptr && NamesCert(v->issuer, v->serial, k)) {
      signer.cert = k;
      signer.known = true;
    }
  }
  if (signer.cert == nullptr) return false;
  if (signer.entry == nullptr && ctx.cert_cache != nullptr) {
    auto e = ctx.cert_cache->LookupParsed(signer.cert);
    if (!e) return e.error();
    signer.entry = *e;
  }
  const std::string_view signed_content = dcont != nullptr ? *dcont : v->content.view();
  if (!SignatureVerifies(*v, signed_content, signer)) return false;
  // Chain and From, as on the CMS path (same calls, same error codes).
  X509StackPtr untrusted(sk_X509_new_null());
  if (!untrusted) return CryptoError("sk_X509_new_null");
  for (const LeanCert& c : carried) {
    if (!sk_X509_push(untrusted.get(), c.cert)) return CryptoError("sk_X509_push");
    X509_up_ref(c.cert);
  }
  if (ctx.trust == nullptr) return MakeError(Errc::kUnknownCa, "no trust store configured");
  Status chain = signer.entry != nullptr
                     ? ctx.cert_cache->CheckChain(*signer.entry, untrusted.get(), ctx.trust, X509_PURPOSE_SMIME_SIGN,
                                                  ctx.at_time)
                     : VerifyCertChain(signer.cert, untrusted.get(), ctx.trust, X509_PURPOSE_SMIME_SIGN, ctx.at_time);
  if (!chain) return chain.error();
  // Only a certificate that chains to the trust store is kept.
  if (signer.entry != nullptr) ctx.cert_cache->Keep(signer.entry);
  Status from = signer.entry != nullptr ? MatchFrom(signer.entry->sip_uris, ctx, signer_aor)
                                        : MatchFrom(CertSipUris(signer.cert), ctx, signer_aor);
  if (!from) return from.error();
  if (dcont == nullptr) *content = signed_content;
  return true;
}

// ------------------------------------------------------------ lean AuthEnvelopedData path

// What a decryption did under CBC, for SmimeReceive's one error: whether CBC
// content decryption began, and whether the padding was bad (the content is
// read on all the same, and refused at the end: CbcPaddingToCut).
struct CbcLayer {
  bool started = false;
  bool bad_padding = false;
};

// The lean path for (Auth)EnvelopedData to an EC recipient (our KARI entry):
// true if it decrypted (and under GCM authenticated) the content, false if
// OpenSSL's CMS must decide (any check failing: CMS then gives the error its
// usual code). CBC content past the key unwrap is always ours to return
// (*cbc flags a bad padding): a second decryption by CMS would only add
// time that depends on the padding.
bool LeanDecryptKari(const EnvelopeView& v, const ReceiveContext& ctx, std::string& content, CbcLayer* cbc) {
  const KariView* kari = nullptr;
  const KariView::Key* key = nullptr;
  for (const KariView& k : v.karis) {
    for (const KariView::Key& rk : k.keys) {
      if (key == nullptr && NamesCert(rk.issuer, rk.serial, ctx.me->cert.get())) {
        kari = &k;
        key = &rk;
      }
    }
  }
  if (key == nullptr || key->encrypted_key.size != 24) return false;
  unsigned char z[32], kek[16], cek[24 + 16];
  const bool have_cek = EcdhSecret(ctx.me->key.get(), kari->originator_point, z) && KariKek(z, kari->wrap_alg, kek) &&
                        Decipher("AES-128-WRAP", kek, {}, key->encrypted_key, {}, cek);
  OPENSSL_cleanse(z, sizeof z);
  OPENSSL_cleanse(kek, sizeof kek);
  std::string plain;
  if (have_cek && !v.gcm) cbc->started = true;
  const bool ok = have_cek && DecryptContent(v, cek, plain, &cbc->bad_padding);
  OPENSSL_cleanse(cek, sizeof cek);
  if (!ok) {
    DrainOpenSslErrors();
    OPENSSL_cleanse(plain.data(), plain.size());
    return false;
  }
  content = std::move(plain);
  return true;
}

// The content key used in place of our KTRI's when its RSA decryption fails:
// HMAC-SHA-256 of the encrypted key under a secret drawn once per process
// (the idea of OpenSSL 3.2's implicit rejection). Every resend of one
// ciphertext then fails the same way: with a fresh random key per attempt, a
// CBC body would decrypt to a well-padded garbage entity (kMalformed) in
// about 1 attempt in 256 for a non-conformant RSA block but never for a
// conformant one, and resending would tell the two apart.
bool RejectionKey(const der::Span& encrypted_key, unsigned char* out16) {
  static const HmacKey secret = [] {
    unsigned char s[32];
    HmacKey k;
    if (RAND_bytes(s, sizeof s) == 1) {
      if (auto made = HmacKey::Create(HmacDigest::kSha256, s, sizeof s)) k = std::move(*made);
    }
    OPENSSL_cleanse(s, sizeof s);
    return k;
  }();
  unsigned char mac[32];
  if (!secret || !secret.MacSecret(encrypted_key.data, encrypted_key.size, nullptr, 0, mac)) return false;
  std::memcpy(out16, mac, 16);
  OPENSSL_cleanse(mac, sizeof mac);
  return true;
}

// The lean path for (Auth)EnvelopedData to an RSA recipient (our KTRI entry).
// nullopt: CMS decides (a KTRI before ours in a form ReadKtri does not read,
// we are not named, or the RSA context cannot be set up). Otherwise the
// final verdict, with no fallback to CMS: the content key is
// RSAES-PKCS1-v1_5 decrypted and, if that fails or does not give 16 bytes,
// the rejection key above is used instead, selected without a branch, so a
// padding failure surfaces only as the content's failure (the GCM tag; under
// CBC, content that is garbage, read on and refused like any altered CBC
// content, the same way on every resend), with the same code (kTampered) and
// message and after the same work. A failure here does not go on to CMS:
// a retry there could only add a second signal.
std::optional<Status> LeanDecryptKtri(const EnvelopeView& v, const ReceiveContext& ctx, std::string& content,
                                      CbcLayer* cbc) {
  std::optional<KtriView> mine;
  for (const der::Span& whole : v.ktris) {
    auto k = ReadKtri(whole);
    if (!k && k.code() == Errc::kUnsupported) continue;  // another form (key id, other algorithm): not ours here
    if (!k) return std::nullopt;
    if (NamesCert(k->issuer, k->serial, ctx.me->cert.get())) {
      mine = *k;
      break;
    }
  }
  if (!mine) return std::nullopt;
  EVP_PKEY* key = ctx.me->key.get();
  EVP_PKEY_CTX* pctx = RsaDecryptContext(*ctx.me);  // kept by the identity
  unsigned char ek[1024] = {0}, rejection_cek[16], cek[16];
  std::size_t len = sizeof ek;
  if (pctx == nullptr || static_cast<std::size_t>(EVP_PKEY_get_size(key)) > sizeof ek ||
      !RejectionKey(mine->encrypted_key, rejection_cek)) {
    DrainOpenSslErrors();
    return std::nullopt;
  }
  const int rc = EVP_PKEY_decrypt(pctx, ek, &len, mine->encrypted_key.data, mine->encrypted_key.size);
  // good = 0xff when the key decrypted to 16 bytes, else 0x00; no branch on it.
  const unsigned int ok_bits = static_cast<unsigned int>(rc == 1) & static_cast<unsigned int>(len == 16);
  const auto good = static_cast<unsigned char>(0u - ok_bits);
  for (std::size_t i = 0; i < sizeof cek; ++i) {
    cek[i] = static_cast<unsigned char>((ek[i] & good) | (rejection_cek[i] & static_cast<unsigned char>(~good)));
  }
  OPENSSL_cleanse(ek, sizeof ek);
  OPENSSL_cleanse(rejection_cek, sizeof rejection_cek);
  ERR_clear_error();  // a padding failure leaves an error queue entry; it must not show
  std::string plain;
  if (!v.gcm) cbc->started = true;
  const bool ok = DecryptContent(v, cek, plain, &cbc->bad_padding);
  OPENSSL_cleanse(cek, sizeof cek);
  if (!ok) {
    ERR_clear_error();
    OPENSSL_cleanse(plain.data(), plain.size());
    return Status(MakeError(Errc::kTampered, v.gcm ? "content does not decrypt or authenticate (AES-128-GCM, RSA key transport)"
                                                   : "content does not decrypt or authenticate (AES-128-CBC, RSA key transport)"));
  }
  content = std::move(plain);
  return Status();
}

Error CbcRefused() {
  return MakeError(Errc::kUnsupported, "EnvelopedData (AES-128-CBC, no integrity) refused: this receiver reads "
                                       "only AuthEnvelopedData (CbcReceive::kRefuse)");
}

// The lean paths for AuthEnvelopedData and EnvelopedData: nullopt when CMS
// must decide, otherwise the verdict (a KARI failure always goes to CMS; see
// above for KTRI). *cbc records what happened under CBC.
std::optional<Status> LeanDecrypt(std::string_view der, const ReceiveContext& ctx, std::string& content,
                                  CbcLayer* cbc) {
  if (ctx.me == nullptr || !ctx.me->key || !ctx.me->cert) return std::nullopt;
  auto v = ParseAuthEnvelopedData(der);
  if (!v && v.code() == Errc::kUnsupported) v = ParseEnvelopedData(der);
  if (!v) return std::nullopt;
  if (!v->gcm && ctx.cbc == CbcReceive::kRefuse) return Status(CbcRefused());
  if (IsEcKey(ctx.me->key.get())) {
    if (LeanDecryptKari(*v, ctx, content, cbc)) return Status();
    return std::nullopt;
  }
  if (IsRsaKey(ctx.me->key.get())) return LeanDecryptKtri(*v, ctx, content, cbc);
  return std::nullopt;
}

// True if one RecipientInfo names `cert` (issuer and serial, or key id);
// *by_ktri (when non-null) says whether a KeyTransRecipientInfo does.
bool IsRecipient(CMS_ContentInfo* cms, X509* cert, bool* by_ktri = nullptr) {
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms);
  for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); ++i) {
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(ris, i);
    const int type = CMS_RecipientInfo_type(ri);
    if (type == CMS_RECIPINFO_TRANS && CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0) {
      if (by_ktri != nullptr) *by_ktri = true;
      return true;
    }
    if (type == CMS_RECIPINFO_AGREE) {
      STACK_OF(CMS_RecipientEncryptedKey)* reks = CMS_RecipientInfo_kari_get0_reks(ri);
      for (int j = 0; j < sk_CMS_RecipientEncryptedKey_num(reks); ++j) {
        if (CMS_RecipientEncryptedKey_cert_cmp(sk_CMS_RecipientEncryptedKey_value(reks, j), cert) == 0)
          return true;
      }
    }
  }
  return false;
}

// AuthEnvelopedNamesGcm (enveloped_data.h) on CMS's own DER encoding, so
// that a BER input is judged by what CMS parsed. RFC 5083 §2.1 requires an
// authenticated-encryption algorithm, but OpenSSL 3.0's CMS decrypts with
// whatever cipher is named and sets the mac as a tag only for an AEAD one:
// AES-128-CBC there is read with no integrity at all, and as
// AuthEnvelopedData it escaped every CBC rule (CbcReceive, the RSA refusal
// below). And CMS checks a mac of any length from 1 byte as a truncated GCM
// tag, so a 1-byte mac authenticates 8 bits.
bool AuthEnvelopedIsGcm(CMS_ContentInfo* cms) {
  auto encoded = CmsToDer(cms);
  if (!encoded) {
    DrainOpenSslErrors();
    return false;
  }
  return AuthEnvelopedNamesGcm(*encoded);
}

// EnvelopedData's content through CMS (once CMS_decrypt_set1_pkey_and_peer
// has its key) as the lean paths read CBC: CMS_decrypt's own unpadding is
// switched off on its cipher BIO, and a bad padding is cut as if it were one
// byte and flagged in *bad_padding (CbcPaddingToCut), not an error. The
// attacker picks the form: any EnvelopedData the lean decoder does not read
// (a version it does not know, CMS_encrypt's SHA-1 KDF) comes here, and a
// CMS_decrypt that stopped at a bad padding put the timing oracle back.
Status CmsDecryptUnpadded(CMS_ContentInfo* cms, std::string& content, bool* bad_padding) {
  BIO* chain = CMS_dataInit(cms, nullptr);  // cipher BIO over the encrypted content
  BIO* cipher = chain != nullptr ? BIO_find_type(chain, BIO_TYPE_CIPHER) : nullptr;
  EVP_CIPHER_CTX* c = nullptr;
  int block = 0;
  if (cipher == nullptr || BIO_get_cipher_ctx(cipher, &c) != 1 || c == nullptr ||
      (block = EVP_CIPHER_CTX_get_block_size(c)) < 1 || block > 16 || EVP_CIPHER_CTX_set_padding(c, 0) != 1) {
    BIO_free_all(chain);
    std::string why = DrainOpenSslErrors();
    return MakeError(Errc::kTampered, "content does not decrypt or authenticate: " + why);
  }
  // Room for all of it at once (no padding is cut while reading): no
  // reallocation leaves a copy of the plaintext behind.
  std::string plain;
  ASN1_OCTET_STRING** encrypted = CMS_get0_content(cms);
  if (encrypted != nullptr && *encrypted != nullptr) {
    plain.reserve(static_cast<std::size_t>(ASN1_STRING_length(*encrypted)));
  }
  char buf[4096];
  int got = 0;
  while ((got = BIO_read(chain, buf, sizeof buf)) > 0) plain.append(buf, static_cast<std::size_t>(got));
  OPENSSL_cleanse(buf, sizeof buf);
  const bool whole = BIO_get_cipher_status(cipher) > 0;  // the final block decrypted (no unpadding asked)
  BIO_free_all(chain);
  if (!whole) {
    OPENSSL_cleanse(plain.data(), plain.size());
    std::string why = DrainOpenSslErrors();
    return MakeError(Errc::kTampered, "content does not decrypt or authenticate: " + why);
  }
  // A block of one byte is no block cipher in CBC: nothing padded, nothing to cut.
  if (block > 1) {
    plain.resize(plain.size() - CbcPaddingToCut(reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                                                 bad_padding, static_cast<unsigned int>(block)));
  }
  content = std::move(plain);
  return {};
}

Status Decrypt(CMS_ContentInfo* cms, const ReceiveContext& ctx, std::string& content, CbcLayer* cbc) {
  const int nid = OBJ_obj2nid(CMS_get0_type(cms));
  if (nid != NID_pkcs7_enveloped && nid != NID_id_smime_ct_authEnvelopedData) {
    return MakeError(Errc::kMalformed, "encrypted body is neither EnvelopedData nor "
                                       "AuthEnvelopedData");
  }
  if (nid == NID_id_smime_ct_authEnvelopedData && !AuthEnvelopedIsGcm(cms)) {
    return MakeError(Errc::kMalformed, "AuthEnvelopedData whose content encryption is not AES-GCM with a 12- to "
                                       "16-byte tag (RFC 5083 §2.1, NIST SP 800-38D): not decrypted");
  }
  if (nid == NID_pkcs7_enveloped && ctx.cbc == CbcReceive::kRefuse) return CbcRefused();
  if (ctx.me == nullptr || !ctx.me->key || !ctx.me->cert) {
    return MakeError(Errc::kNotRecipient, "no private key to decrypt with");
  }
  bool by_ktri = false;
  if (!IsRecipient(cms, ctx.me->cert.get(), &by_ktri)) {
    return MakeError(Errc::kNotRecipient, ctx.me->aor + " is not among the recipients");
  }
  // RFC 3218 §2.3 (Million Message Attack): an RSA key-transport failure must
  // not be told from a content failure. On a bad RSA block CMS_decrypt uses a
  // fresh random content key per attempt, and with CBC (no integrity) that
  // random key unpads about once in 256, so resending one message told a
  // non-conformant block from a conformant one. Only the lean KTRI path (its
  // rejection key is derived from the message) decrypts RSA key transport
  // without an integrity check; any other EnvelopedData form to an RSA key
  // is refused before any RSA operation.
  if (by_ktri && nid == NID_pkcs7_enveloped && IsRsaKey(ctx.me->key.get())) {
    return MakeError(Errc::kUnsupported, "EnvelopedData to an RSA key in a form the lean decoder does not read "
                                         "(AES-128-CBC, KTRI version 0): not decrypted through CMS, whose random "
                                         "key on a bad RSA block is a padding oracle under CBC");
  }
  ERR_clear_error();
  // EnvelopedData in CMS is CBC (or another mode without integrity) too.
  if (nid == NID_pkcs7_enveloped) cbc->started = true;
  // peer = NULL: the originator key is ephemeral (KARI) or absent (KTRI).
  if (CMS_decrypt_set1_pkey_and_peer(cms, ctx.me->key.get(), ctx.me->cert.get(), nullptr) != 1) {
    std::string why = DrainOpenSslErrors();
    return MakeError(Errc::kTampered, "content-encryption key does not decrypt: " + why);
  }
  if (nid == NID_pkcs7_enveloped) return CmsDecryptUnpadded(cms, content, &cbc->bad_padding);
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out) return CryptoError("BIO_new");
  if (CMS_decrypt(cms, nullptr, nullptr, nullptr, out.get(), CMS_BINARY) != 1) {
    std::string why = DrainOpenSslErrors();
    return MakeError(Errc::kTampered, "content does not decrypt or authenticate: " + why);
  }
  content = BioContents(out.get());
  return {};
}

// Splits a multipart/signed body into the signed entity bytes and the
// signature part's entity; `epilogue` gets what follows the close delimiter.
Status SplitMultipartSigned(std::string_view body, std::string_view boundary,
                            std::string_view& signed_part, std::string_view& sig_part, std::string_view& epilogue) {
  if (boundary.empty()) return MakeError(Errc::kMalformed, "multipart/signed without boundary");
  const std::string open = "--" + std::string(boundary) + "\r\n";
  const std::string mid = "\r\n--" + std::string(boundary) + "\r\n";
  const std::string close = "\r\n--" + std::string(boundary) + "--";
  if (body.substr(0, open.size()) != open) {
    return MakeError(Errc::kMalformed, "multipart/signed does not start with its boundary");
  }
  std::size_t m = body.find(mid, open.size());
  std::size_t c = body.rfind(close);
  if (m == std::string_view::npos || c == std::string_view::npos || c < m + mid.size()) {
    return MakeError(Errc::kMalformed, "multipart/signed is not two parts between boundaries");
  }
  signed_part = body.substr(open.size(), m - open.size());
  sig_part = body.substr(m + mid.size(), c - m - mid.size());
  epilogue = body.substr(c + close.size());
  return {};
}

// Clears a string's whole buffer, not only its size(): a payload shifted to
// the front of its buffer (Unwrap's `held`) leaves the rest of the decrypted
// content behind it.
void Wipe(std::string& s) {
  s.resize(s.capacity());
  OPENSSL_cleanse(s.data(), s.size());
}

// Decrypted content that a failed receive leaves in Unwrap's buffers is
// cleared when they go, not left in freed heap memory; on success the
// payload has been moved out and nothing is left to clear.
struct WipeOnExit {
  std::string& s;
  ~WipeOnExit() { Wipe(s); }
};

// SmimeReceive's layers. `cbc.started` is set once an EnvelopedData (CBC)
// layer begins decrypting its content (and `cbc.bad_padding` if a layer's
// padding was bad), whatever signature lies outside it: that
// signature covers the ciphertext but vouches only for what its signer sent,
// and anyone the trust store knows can sign a copy of someone else's CBC
// message that he altered.
Result<Received> Unwrap(std::string_view content_type, std::string_view body, const ReceiveContext& ctx,
                        CbcLayer& cbc) {
  Received r;
  std::string ct_value(content_type);
  // The layer being unwrapped is a view: into `body`, or into `held`, the
  // content the last decryption (or CMS verification) produced. A signed
  // layer's content and a MIME entity's body are views into their layer, so
  // the payload is copied once, into the result, whatever the nesting.
  std::string_view current = body;
  std::string held;
  const WipeOnExit wipe_held{held};
  bool in_held = false;  // whether `current` is a view into `held`
  // Whether a signature has verified since the last CBC layer was decrypted.
  // A signature outside a CBC layer vouches only for what its signer sent (he
  // may have altered another sender's ciphertext), so with a signature
  // required, the content of a CBC layer must be signed inside it: otherwise
  // an unsigned inner entity is accepted exactly when the padding is good.
  bool signed_inside_cbc = false;
  // After a decryption attempt: once a CBC layer has begun decrypting, the
  // one error applies (`cbc`) and its content needs a signature of its own.
  const auto after_decryption = [&](const CbcLayer& layer) {
    if (layer.started) {
      cbc.started = true;
      signed_inside_cbc = false;
    }
    cbc.bad_padding |= layer.bad_padding;
  };
  for (int depth = 0; depth < 4; ++depth) {
    auto ct = ParseContentType(ct_value);
    if (!ct) return ct.error();
    std::string_view next;   // the inner entity: a view into `current` or `produced`
    std::string produced;    // the inner entity when a layer makes new bytes
    const WipeOnExit wipe_produced{produced};
    bool made = false;       // whether `next` is `produced`
    if (ct->Is("application/pkcs7-mime") || ct->Is("application/x-pkcs7-mime")) {
      const std::string_view smime_type = ct->smime_type;
      // The lean paths first; each leaves the inner entity in `next` when it
      // handled the layer, and OpenSSL's CMS takes whatever they did not.
      bool handled = false;
      if (smime_type.empty() || EqualsNoCase(smime_type, "signed-data")) {
        auto lean = LeanVerifySigned(current, nullptr, ctx, &next, r.signer_aor);
        if (!lean) return lean.error();
        if (*lean) {
          if (ctx.stats != nullptr) ++ctx.stats->lean_verified;
          r.was_signed = signed_inside_cbc = handled = true;
        }
      }
      if (!handled && (smime_type.empty() || EqualsNoCase(smime_type, "authenveloped-data") ||
                       EqualsNoCase(smime_type, "enveloped-data"))) {
        CbcLayer layer_cbc;
        std::optional<Status> lean_dec = LeanDecrypt(current, ctx, produced, &layer_cbc);
        after_decryption(layer_cbc);
        if (lean_dec) {
          if (!*lean_dec) return lean_dec->error();
          if (ctx.stats != nullptr) ++ctx.stats->lean_decrypted;
          r.was_encrypted = handled = made = true;
          next = produced;
        }
      }
      if (!handled) {
        auto cms = CmsFromDer(current);
        if (!cms) return cms.error();
        const int nid = OBJ_obj2nid(CMS_get0_type(cms->get()));
        if (nid == NID_pkcs7_signed) {
          if (!smime_type.empty() && !EqualsNoCase(smime_type, "signed-data")) {
            return MakeError(Errc::kMalformed, "smime-type " + Lower(smime_type) + " but SignedData inside");
          }
          if (Status st = VerifySigned(cms->get(), nullptr, ctx, produced, r.signer_aor); !st) return st.error();
          if (ctx.stats != nullptr) ++ctx.stats->cms_verified;
          r.was_signed = signed_inside_cbc = true;
        } else {
          CbcLayer layer_cbc;
          Status st = Decrypt(cms->get(), ctx, produced, &layer_cbc);
          after_decryption(layer_cbc);
          if (!st) return st.error();
          if (ctx.stats != nullptr) ++ctx.stats->cms_decrypted;
          r.was_encrypted = true;
        }
        next = produced;
        made = true;
      }
    } else if (ct->Is("multipart/signed")) {
      // RFC 8551 §3.5.3 (RFC 1847 §2.1): the protocol parameter is required and
      // MUST be application/pkcs7-signature, the type of the second part;
      // another protocol is not S/MIME. (x-pkcs7-signature: RFC 8551 §3.5.3.1's
      // older spelling, still read.)
      const auto is_p7s = [](std::string_view t) {
        return EqualsNoCase(t, "application/pkcs7-signature") || EqualsNoCase(t, "application/x-pkcs7-signature");
      };
      if (!is_p7s(ct->protocol)) {
        return MakeError(Errc::kMalformed, "multipart/signed protocol is not application/pkcs7-signature");
      }
      std::string_view signed_part, sig_part, epilogue;
      if (Status st = SplitMultipartSigned(current, ct->boundary, signed_part, sig_part, epilogue); !st)
        return st.error();
      // Inside CBC every decrypted byte must be checked by the signature or
      // by a parser: the epilogue is neither, so ciphertext blocks appended
      // after the close delimiter made the message accepted exactly when
      // their padding was good (a padding oracle through success). Only
      // transport padding and line ends may follow it there.
      if (cbc.started && epilogue.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        return MakeError(Errc::kMalformed, "multipart/signed inside CBC has bytes after its close delimiter");
      }
      auto sig = ParseEntity(sig_part);
      if (!sig) return sig.error();
      auto sig_type = ParseContentType(sig->content_type);
      if (!sig_type) return sig_type.error();
      if (!is_p7s(sig_type->type)) {
        return MakeError(Errc::kMalformed, "multipart/signed second part is not application/pkcs7-signature");
      }
      std::string_view sig_der = sig->body;
      std::string decoded;
      if (EqualsNoCase(sig->transfer_encoding, "base64")) {
        Bytes raw;
        if (!Base64Decode(sig->body, raw)) return MakeError(Errc::kMalformed, "bad base64 signature");
        decoded = ToString(raw);
        sig_der = decoded;
      }
      std::string ignored;
      auto lean = LeanVerifySigned(sig_der, &signed_part, ctx, nullptr, r.signer_aor);
      if (!lean) return lean.error();
      if (!*lean) {
        auto cms = CmsFromDer(sig_der);
        if (!cms) return cms.error();
        if (Status st = VerifySigned(cms->get(), &signed_part, ctx, ignored, r.signer_aor); !st)
          return st.error();
      }
      if (ctx.stats != nullptr) ++(*lean ? ctx.stats->lean_verified : ctx.stats->cms_verified);
      next = signed_part;
      r.was_signed = signed_inside_cbc = true;
    } else {
      if (ctx.require_signature && !r.was_signed) {
        return MakeError(Errc::kBadSignature, "message is not signed (content " + Lower(ct->type) + ")");
      }
      if (ctx.require_signature && cbc.started && !signed_inside_cbc) {
        return MakeError(Errc::kBadSignature, "the content of a CBC layer is not signed inside it (content " +
                                                  Lower(ct->type) + ")");
      }
      r.content_type = std::move(ct_value);
      if (in_held) {  // shift the payload to the front of `held` and take it: no new allocation
        held.erase(0, static_cast<std::size_t>(current.data() - held.data()));
        held.resize(current.size());
        r.body = std::move(held);
      } else {
        r.body.assign(current);
      }
      return r;
    }
    auto entity = ParseEntity(next);
    if (!entity) return entity.error();
    ct_value = std::move(entity->content_type);
    current = entity->body;
    if (made) {
      // `current` lies inside `produced`: keep its bytes, found again by
      // offset because moving a short string moves its characters.
      const std::size_t at = static_cast<std::size_t>(current.data() - produced.data());
      held = std::move(produced);
      current = std::string_view(held).substr(at, current.size());
      in_held = true;
    }
  }
  return MakeError(Errc::kMalformed, "S/MIME nesting deeper than 4 levels");
}

}  // namespace

Result<Received> SmimeReceive(std::string_view content_type, std::string_view body,
                              const ReceiveContext& ctx) {
  CbcLayer cbc;
  Result<Received> r = Unwrap(content_type, body, ctx, cbc);
  if (!cbc.bad_padding && (r || !cbc.started)) return r;
  // CbcReceive::kOneError (kRefuse never decrypts CBC): one code and one
  // message, whatever failed after the content decryption began. Content
  // under a bad padding was read to the end like any other (CbcPaddingToCut)
  // and is refused here, whatever its parsing and signature said.
  if (r) Wipe(r->body);
  if (ctx.stats != nullptr) {
    ++ctx.stats->cbc_one_error;
    if (cbc.bad_padding) ++ctx.stats->cbc_bad_padding;
    ctx.stats->cbc_hidden_code = cbc.bad_padding ? Errc::kTampered : r.code();
  }
  return MakeError(Errc::kTampered, "EnvelopedData (AES-128-CBC): the content does not decrypt, parse and verify "
                                    "(under CBC, without integrity, these are one error: CbcReceive)");
}

}  // namespace sipim::security
