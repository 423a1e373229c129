// The lean SignedData encoder/decoder against OpenSSL's CMS in both
// directions, the lean AuthEnvelopedData decoder on OpenSSL's output, their
// fallback to CMS for other forms, their error messages, and the receiver's
// certificate cache.
#include <gtest/gtest.h>

#include <openssl/cms.h>

#include <ctime>
#include <string>
#include <vector>

#include "security/cert_cache.h"
#include "security/enveloped_data.h"
#include "security/signed_data.h"
#include "security/smime.h"
#include "test_pki.h"

namespace sipim::security {
namespace {

using testing::GetPki;
using testing::Pki;

const std::string kEntity = MakeMimeEntity("text/plain", "Mr. Watson, come here. I want to see you.");

ReceiveContext Ctx(Pki& p, const std::string& from) {
  ReceiveContext c;
  c.trust = p.trust.get();
  c.from_aor = from;
  return c;
}

// The DER of a pkcs7-mime body, or of the signature part of a multipart/signed one.
std::string SignatureDer(const SmimeBody& b) {
  if (b.content_type.rfind("multipart/signed", 0) != 0) return b.body;
  const std::size_t start = b.body.find("\r\n\r\n", b.body.find("application/pkcs7-signature")) + 4;
  return b.body.substr(start, b.body.rfind("\r\n--") - start);
}

// OpenSSL's CMS_sign output (its default attributes, SMIMECapabilities included).
std::string OpenSslSign(const Identity& who, unsigned int flags) {
  BioPtr in(BIO_new_mem_buf(kEntity.data(), static_cast<int>(kEntity.size())));
  CmsPtr cms(CMS_sign(who.cert.get(), who.key.get(), nullptr, in.get(), CMS_BINARY | flags));
  EXPECT_TRUE(cms);
  return testing::CmsDer(cms.get());
}

// OpenSSL's CMS_encrypt output (the SHA-256 KDF set on each KARI, as sipim asks for).
std::string OpenSslEncrypt(const std::vector<X509*>& to, SmimeCipher cipher) {
  BioPtr in(BIO_new_mem_buf(kEntity.data(), static_cast<int>(kEntity.size())));
  CmsPtr cms(CMS_encrypt(nullptr, in.get(), cipher == SmimeCipher::kAes128Gcm ? EVP_aes_128_gcm() : EVP_aes_128_cbc(),
                         CMS_BINARY | CMS_PARTIAL));
  EXPECT_TRUE(cms);
  for (X509* r : to) {
    CMS_RecipientInfo* ri = CMS_add1_recipient_cert(cms.get(), r, 0);
    EXPECT_NE(ri, nullptr);
    if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_AGREE) {
      EXPECT_GT(EVP_PKEY_CTX_set_ecdh_kdf_md(CMS_RecipientInfo_get0_pkey_ctx(ri), EVP_sha256()), 0);
    }
  }
  BioPtr again(BIO_new_mem_buf(kEntity.data(), static_cast<int>(kEntity.size())));
  EXPECT_EQ(CMS_final(cms.get(), again.get(), nullptr, CMS_BINARY), 1);
  return testing::CmsDer(cms.get());
}

class LeanAlg : public ::testing::TestWithParam<KeyAlg> {};

// Every lean-encoded variant passes OpenSSL's own CMS_verify, chain to the trusted CA included.
TEST_P(LeanAlg, OpenSslVerifiesLeanOutput) {
  Pki& p = GetPki(GetParam());
  const Identity& alice = p.user("sip:alice@home.com");
  for (bool cert : {true, false}) {
    for (bool attrs : {true, false}) {
      for (bool multipart : {false, true}) {
        auto body = SmimeSign(alice, kEntity, {cert, attrs, multipart});
        ASSERT_TRUE(body.ok()) << body.error().ToString();
        const std::string der = SignatureDer(*body);
        const auto* q = reinterpret_cast<const unsigned char*>(der.data());
        CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &q, static_cast<long>(der.size())));
        ASSERT_TRUE(cms) << "cert=" << cert << " attrs=" << attrs << " multipart=" << multipart;
        X509StackPtr extra(sk_X509_new_null());
        if (!cert) {
          X509_up_ref(alice.cert.get());
          sk_X509_push(extra.get(), alice.cert.get());
        }
        BioPtr dcont(multipart ? BIO_new_mem_buf(kEntity.data(), static_cast<int>(kEntity.size())) : nullptr);
        BioPtr out(BIO_new(BIO_s_mem()));
        EXPECT_EQ(CMS_verify(cms.get(), extra.get(), p.trust.get(), dcont.get(), out.get(), CMS_BINARY), 1)
            << DrainOpenSslErrors() << " cert=" << cert << " attrs=" << attrs << " multipart=" << multipart;
        EXPECT_EQ(BioContents(out.get()), kEntity);
      }
    }
  }
}

// OpenSSL's CMS_sign output is read by the lean path (the cache fills, which only the lean path does).
TEST_P(LeanAlg, LeanReadsOpenSslOutput) {
  Pki& p = GetPki(GetParam());
  const Identity& alice = p.user("sip:alice@home.com");
  for (unsigned int flags : {0u, static_cast<unsigned int>(CMS_NOATTR)}) {
    const std::string der = OpenSslSign(alice, flags);
    auto view = ParseSignedData(der);
    ASSERT_TRUE(view.ok()) << view.error().ToString();
    EXPECT_EQ(view->certs.size(), 1u);
    EXPECT_EQ(view->has_signed_attrs, flags == 0u);
    CertCache cache;
    ReceiveContext c = Ctx(p, "sip:alice@home.com");
    c.cert_cache = &cache;
    auto r = SmimeReceive("application/pkcs7-mime;smime-type=signed-data", der, c);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->body, "Mr. Watson, come here. I want to see you.");
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(cache.parses(), 1u);
  }
}

// A lean-encoded message decodes back to the parts it was made of.
TEST_P(LeanAlg, EncodeParseRoundTrip) {
  Pki& p = GetPki(GetParam());
  auto body = SmimeSign(p.user("sip:alice@home.com"), kEntity, {true, true, false});
  ASSERT_TRUE(body.ok());
  auto v = ParseSignedData(body->body);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_TRUE(v->has_content);
  EXPECT_EQ(v->content.view(), kEntity);
  EXPECT_EQ(EncodeSignedData(*v), body->body);
  auto cert = CertToDer(p.user("sip:alice@home.com").cert.get());
  ASSERT_TRUE(cert.ok());
  ASSERT_EQ(v->certs.size(), 1u);
  EXPECT_EQ(v->certs[0].view(), ToString(*cert));
  EXPECT_EQ(v->sig_alg, GetParam() == KeyAlg::kRsa2048 ? SignatureAlg::kRsaPkcs1Sha256 : SignatureAlg::kEcdsaSha256);
}

// With a certificate cache every receive failure keeps the code it has without one.
TEST_P(LeanAlg, CacheKeepsErrorCodes) {
  Pki& p = GetPki(GetParam());
  CertCache cache;
  auto bob_signs = SmimeSign(p.user("sip:bob@home.com"), kEntity);
  auto tampered = SmimeSign(p.user("sip:alice@home.com"), kEntity);
  auto mallory = p.rogue_ca.Issue("sip:alice@home.com", testing::CachedKey(GetParam(), "mallory"), GetParam());
  ASSERT_TRUE(bob_signs.ok() && tampered.ok() && mallory.ok());
  auto rogue = SmimeSign(*mallory, kEntity);
  ASSERT_TRUE(rogue.ok());
  tampered->body[tampered->body.find("Watson")] = 'w';
  for (int round = 0; round < 2; ++round) {  // the second round finds the certificates cached
    ReceiveContext c = Ctx(p, "sip:alice@home.com");
    c.cert_cache = &cache;
    EXPECT_EQ(SmimeReceive(bob_signs->content_type, bob_signs->body, c).code(), Errc::kFromMismatch);
    EXPECT_EQ(SmimeReceive(tampered->content_type, tampered->body, c).code(), Errc::kBadSignature);
    EXPECT_EQ(SmimeReceive(rogue->content_type, rogue->body, c).code(), Errc::kUnknownCa);
  }
}

// A cached, chain-checked certificate is still refused outside its validity and under another trust store.
TEST_P(LeanAlg, CacheRechecksValidityAndStore) {
  Pki& p = GetPki(GetParam());
  auto body = SmimeSign(p.user("sip:alice@home.com"), kEntity);
  ASSERT_TRUE(body.ok());
  CertCache cache;
  ReceiveContext c = Ctx(p, "sip:alice@home.com");
  c.cert_cache = &cache;
  ASSERT_TRUE(SmimeReceive(body->content_type, body->body, c).ok());
  ASSERT_TRUE(SmimeReceive(body->content_type, body->body, c).ok());
  EXPECT_EQ(cache.full_chain_checks(), 1u);  // the second message used the memo
  c.at_time = std::time(nullptr) + 2 * 365 * 86400;  // past the user certificate's notAfter
  EXPECT_EQ(SmimeReceive(body->content_type, body->body, c).code(), Errc::kCertExpired);
  c.at_time = std::time(nullptr) - 2 * 86400;  // before its notBefore (issued an hour ago)
  EXPECT_EQ(SmimeReceive(body->content_type, body->body, c).code(), Errc::kCertNotYetValid);
  c.at_time.reset();
  EXPECT_TRUE(SmimeReceive(body->content_type, body->body, c).ok());
  auto other = MakeTrustStore({p.rogue_ca.cert()});
  ASSERT_TRUE(other.ok());
  c.trust = other->get();
  EXPECT_EQ(SmimeReceive(body->content_type, body->body, c).code(), Errc::kUnknownCa);
}

// A full cache may drop an entry a receive still uses (two carried certificates, room for one): it stays valid.
TEST_P(LeanAlg, FullCacheKeepsEntriesInUse) {
  Pki& p = GetPki(GetParam());
  const Identity& alice = p.user("sip:alice@home.com");
  X509StackPtr extra(sk_X509_new_null());
  ASSERT_TRUE(extra);
  X509_up_ref(p.ca.cert());
  sk_X509_push(extra.get(), p.ca.cert());  // the CA's certificate rides along after alice's
  BioPtr in(BIO_new_mem_buf(kEntity.data(), static_cast<int>(kEntity.size())));
  CmsPtr cms(CMS_sign(alice.cert.get(), alice.key.get(), extra.get(), in.get(), CMS_BINARY));
  ASSERT_TRUE(cms);
  const std::string body = testing::CmsDer(cms.get());
  ASSERT_FALSE(body.empty());
  auto v = ParseSignedData(body);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  ASSERT_EQ(v->certs.size(), 2u);
  CertCache cache(1);
  ReceiveStats stats;
  ReceiveContext c = Ctx(p, "sip:alice@home.com");
  c.cert_cache = &cache;
  c.stats = &stats;
  for (int i = 0; i < 3; ++i) {
    auto r = SmimeReceive("application/pkcs7-mime;smime-type=signed-data", body, c);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
  }
  EXPECT_EQ(stats.lean_verified, 3u);
  EXPECT_EQ(cache.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Alg, LeanAlg, ::testing::Values(KeyAlg::kRsa2048, KeyAlg::kP256),
                         [](const auto& info) { return std::string(KeyAlgName(info.param)); });

// SignedData with two signers is not the lean form: kUnsupported, and OpenSSL's CMS verifies it instead.
TEST(LeanSignedData, OtherFormsFallBackToCms) {
  Pki& p = GetPki(KeyAlg::kP256);
  const Identity& alice = p.user("sip:alice@home.com");
  BioPtr in(BIO_new_mem_buf(kEntity.data(), static_cast<int>(kEntity.size())));
  CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, in.get(), CMS_BINARY | CMS_PARTIAL));
  ASSERT_TRUE(cms);
  // A second certificate for alice (another key): both signers must verify and name From.
  auto alice2 = p.ca.Issue("sip:alice@home.com", testing::CachedKey(KeyAlg::kP256, "alice2"), KeyAlg::kP256);
  ASSERT_TRUE(alice2.ok());
  ASSERT_TRUE(CMS_add1_signer(cms.get(), alice.cert.get(), alice.key.get(), EVP_sha256(), 0));
  ASSERT_TRUE(CMS_add1_signer(cms.get(), alice2->cert.get(), alice2->key.get(), EVP_sha256(), 0));
  BioPtr again(BIO_new_mem_buf(kEntity.data(), static_cast<int>(kEntity.size())));
  ASSERT_EQ(CMS_final(cms.get(), again.get(), nullptr, CMS_BINARY), 1);
  const std::string body = testing::CmsDer(cms.get());
  ASSERT_FALSE(body.empty());
  auto v = ParseSignedData(body);
  EXPECT_EQ(v.code(), Errc::kUnsupported);
  EXPECT_NE(v.error().message.find("more than one SignerInfo at offset"), std::string::npos) << v.error().message;
  CertCache cache;
  ReceiveContext c = Ctx(p, "sip:alice@home.com");
  c.cert_cache = &cache;
  auto r = SmimeReceive("application/pkcs7-mime;smime-type=signed-data", body, c);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(cache.size(), 0u);  // the CMS path, not the lean one
}

// Bad DER is kMalformed naming the element and the byte offset.
TEST(LeanSignedData, ErrorsNameWhatAndWhere) {
  Pki& p = GetPki(KeyAlg::kP256);
  auto body = SmimeSign(p.user("sip:alice@home.com"), kEntity);
  ASSERT_TRUE(body.ok());
  const std::string& good = body->body;
  auto truncated = ParseSignedData(good.substr(0, good.size() - 1));
  EXPECT_EQ(truncated.code(), Errc::kMalformed);
  EXPECT_NE(truncated.error().message.find("ContentInfo: length"), std::string::npos) << truncated.error().message;
  EXPECT_NE(truncated.error().message.find("at offset 0"), std::string::npos) << truncated.error().message;
  auto trailing = ParseSignedData(good + '\0');
  EXPECT_EQ(trailing.code(), Errc::kMalformed);
  EXPECT_NE(trailing.error().message.find("trailing bytes after ContentInfo"), std::string::npos);
  // SignedData.version at offset 23 (ContentInfo 4 + OID 11 + [0] 4 + SEQUENCE 4): make it 3.
  std::string v3 = good;
  ASSERT_EQ(static_cast<unsigned char>(v3[23]), 0x02);
  v3[25] = 3;
  auto unsupported = ParseSignedData(v3);
  EXPECT_EQ(unsupported.code(), Errc::kUnsupported);
  EXPECT_NE(unsupported.error().message.find("SignedData version is not 1"), std::string::npos);
  // A length in long form where the short form fits is not DER.
  const std::string nonminimal = std::string("\x30\x81\x03\x06\x01\x00", 6);
  auto bad_len = ParseSignedData(nonminimal);
  EXPECT_EQ(bad_len.code(), Errc::kMalformed);
  EXPECT_NE(bad_len.error().message.find("shortest form at offset 0"), std::string::npos) << bad_len.error().message;
  EXPECT_EQ(ParseSignedData("").code(), Errc::kMalformed);
}

// The lean signature carries SMIMECapabilities naming the two ciphers SmimeEncrypt offers.
TEST(LeanSignedData, CapabilitiesNameSipimCiphers) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  auto body = SmimeSign(p.user("sip:alice@home.com"), kEntity);
  ASSERT_TRUE(body.ok());
  const auto* q = reinterpret_cast<const unsigned char*>(body->body.data());
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &q, static_cast<long>(body->body.size())));
  ASSERT_TRUE(cms);
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
  ASSERT_NE(si, nullptr);
  STACK_OF(X509_ALGOR)* caps = nullptr;
  const int at = CMS_signed_get_attr_by_NID(si, NID_SMIMECapabilities, -1);
  ASSERT_GE(at, 0);
  ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, at), 0);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->type, V_ASN1_SEQUENCE);
  const unsigned char* c = t->value.sequence->data;
  caps = d2i_X509_ALGORS(nullptr, &c, t->value.sequence->length);
  ASSERT_NE(caps, nullptr);
  ASSERT_EQ(sk_X509_ALGOR_num(caps), 2);
  EXPECT_EQ(OBJ_obj2nid(sk_X509_ALGOR_value(caps, 0)->algorithm), NID_aes_128_gcm);
  EXPECT_EQ(OBJ_obj2nid(sk_X509_ALGOR_value(caps, 1)->algorithm), NID_aes_128_cbc);
  sk_X509_ALGOR_pop_free(caps, X509_ALGOR_free);
}

std::string Hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// BuildSignedAttrs writes the four attributes in DER SET OF order with UTCTime up to 2049 and
// GeneralizedTime from 2050 (RFC 5652 §11.3). Expected bytes as `openssl asn1parse` reads them: contentType
// pkcs7-data; signingTime 261127070000Z (UTCTIME) or 20500101000000Z (GENERALIZEDTIME); SMIMECapabilities
// aes-128-gcm, aes-128-cbc; messageDigest 01080f...da.
TEST(LeanSignedData, SignedAttributesKnownAnswer) {
  unsigned char digest[32];
  for (int i = 0; i < 32; ++i) digest[i] = static_cast<unsigned char>(i * 7 + 1);
  const std::string head = "301806092a864886f70d010903310b06092a864886f70d010701";
  const std::string tail =
      "302906092a864886f70d01090f311c301a300b0609608648016503040106300b0609608648016503040102302f06092a864886f70d010904"
      "3122042001080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da";
  EXPECT_EQ(Hex(BuildSignedAttrs(digest, 1795762800)),  // 2026-11-27 07:00:00 UTC
            head + "301c06092a864886f70d010905310f170d3236313132373037303030305a" + tail);
  EXPECT_EQ(Hex(BuildSignedAttrs(digest, 2524608000)),  // 2050-01-01 00:00:00 UTC
            head + "301e06092a864886f70d0109053111180f32303530303130313030303030305a" + tail);
  EXPECT_EQ(Hex(BuildSignedAttrs(digest, -631152001)),  // 1949-12-31 23:59:59 UTC
            head + "301e06092a864886f70d0109053111180f31393439313233313233353935395a" + tail);
}

// OpenSSL's AuthEnvelopedData to P-256 and RSA recipients (1 and 3 recipients, mixed), and its CBC
// EnvelopedData (P-256 or RSA recipient), are decrypted by the lean path and yield the text.
TEST(LeanEnvelopedData, DecryptsOpenSslOutput) {
  Pki& ec = GetPki(KeyAlg::kP256);
  Pki& rsa = GetPki(KeyAlg::kRsa2048);
  const Identity& bob = ec.user("sip:bob@home.com");
  const Identity& carol = ec.user("sip:carol@home.com");
  const Identity& dan_rsa = rsa.user("sip:dan@home.com");
  struct Case {
    std::vector<X509*> to;
    const Identity* me;
    SmimeCipher cipher;
    bool lean;
  };
  const Case cases[] = {
      {{bob.cert.get()}, &bob, SmimeCipher::kAes128Gcm, true},
      {{bob.cert.get(), dan_rsa.cert.get(), carol.cert.get()}, &carol, SmimeCipher::kAes128Gcm, true},
      {{bob.cert.get(), dan_rsa.cert.get(), carol.cert.get()}, &dan_rsa, SmimeCipher::kAes128Gcm, true},
      {{dan_rsa.cert.get()}, &dan_rsa, SmimeCipher::kAes128Cbc, true},
      {{bob.cert.get()}, &bob, SmimeCipher::kAes128Cbc, true},
      {{bob.cert.get(), dan_rsa.cert.get(), carol.cert.get()}, &carol, SmimeCipher::kAes128Cbc, true},
  };
  for (const Case& c : cases) {
    const std::string body = OpenSslEncrypt(c.to, c.cipher);
    const std::string type = c.cipher == SmimeCipher::kAes128Gcm ? "application/pkcs7-mime;smime-type=authEnveloped-data"
                                                                 : "application/pkcs7-mime;smime-type=enveloped-data";
    ReceiveStats stats;
    ReceiveContext rc = Ctx(ec, "sip:alice@home.com");
    rc.me = c.me;
    rc.require_signature = false;
    rc.stats = &stats;
    auto r = SmimeReceive(type, body, rc);
    ASSERT_TRUE(r.ok()) << r.error().ToString() << " " << c.me->aor;
    EXPECT_EQ(r->body, "Mr. Watson, come here. I want to see you.");
    EXPECT_EQ(stats.lean_decrypted, c.lean ? 1u : 0u) << c.me->aor;
    EXPECT_EQ(stats.cms_decrypted, c.lean ? 0u : 1u) << c.me->aor;
  }
}

// Lean-enveloped messages (both ciphers; RSA and P-256 recipients together) decrypt with OpenSSL's own CMS_decrypt.
TEST(LeanEnvelopedData, OpenSslDecryptsLeanOutput) {
  Pki& ec = GetPki(KeyAlg::kP256);
  Pki& rsa = GetPki(KeyAlg::kRsa2048);
  const Identity* to[] = {&ec.user("sip:bob@home.com"), &rsa.user("sip:dan@home.com"), &ec.user("sip:carol@home.com")};
  for (SmimeCipher cipher : {SmimeCipher::kAes128Gcm, SmimeCipher::kAes128Cbc}) {
    auto body = SmimeEncrypt({to[0]->cert.get(), to[1]->cert.get(), to[2]->cert.get()}, kEntity, cipher);
    ASSERT_TRUE(body.ok()) << body.error().ToString();
    for (const Identity* me : to) {
      const auto* q = reinterpret_cast<const unsigned char*>(body->body.data());
      CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &q, static_cast<long>(body->body.size())));
      ASSERT_TRUE(cms);
      EXPECT_EQ(q, reinterpret_cast<const unsigned char*>(body->body.data()) + body->body.size());
      BioPtr out(BIO_new(BIO_s_mem()));
      EXPECT_EQ(CMS_decrypt(cms.get(), me->key.get(), me->cert.get(), nullptr, out.get(), CMS_BINARY), 1)
          << DrainOpenSslErrors() << " " << me->aor << " " << SmimeCipherName(cipher);
      EXPECT_EQ(BioContents(out.get()), kEntity);
    }
  }
}

// Sign-then-encrypt to a P-256 recipient runs both lean paths; tampering and wrong recipients keep their codes.
TEST(LeanEnvelopedData, SignThenEncryptAndFailures) {
  Pki& p = GetPki(KeyAlg::kP256);
  const Identity& bob = p.user("sip:bob@home.com");
  auto body = SmimeSignAndEncrypt(p.user("sip:alice@home.com"), {bob.cert.get()}, kEntity, SmimeCipher::kAes128Gcm);
  ASSERT_TRUE(body.ok());
  ReceiveStats stats;
  ReceiveContext rc = Ctx(p, "sip:alice@home.com");
  rc.me = &bob;
  rc.stats = &stats;
  auto r = SmimeReceive(body->content_type, body->body, rc);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->was_signed && r->was_encrypted);
  EXPECT_EQ(stats.lean_decrypted, 1u);
  EXPECT_EQ(stats.lean_verified, 1u);
  std::string tag = body->body;
  tag.back() ^= 0x01;  // the GCM tag is the last OCTET STRING
  EXPECT_EQ(SmimeReceive(body->content_type, tag, rc).code(), Errc::kTampered);
  std::string ct = body->body;
  ct[ct.size() - 30] ^= 0x40;  // inside the encrypted content
  EXPECT_EQ(SmimeReceive(body->content_type, ct, rc).code(), Errc::kTampered);
  rc.me = &p.user("sip:carol@home.com");
  EXPECT_EQ(SmimeReceive(body->content_type, body->body, rc).code(), Errc::kNotRecipient);
}

// The AuthEnvelopedData decoder names what and where; EnvelopedData (CBC) is not its form.
TEST(LeanEnvelopedData, ErrorsNameWhatAndWhere) {
  Pki& p = GetPki(KeyAlg::kP256);
  auto gcm = SmimeEncrypt({p.user("sip:bob@home.com").cert.get()}, kEntity, SmimeCipher::kAes128Gcm);
  auto cbc = SmimeEncrypt({p.user("sip:bob@home.com").cert.get()}, kEntity, SmimeCipher::kAes128Cbc);
  ASSERT_TRUE(gcm.ok() && cbc.ok());
  auto v = ParseAuthEnvelopedData(gcm->body);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  ASSERT_EQ(v->karis.size(), 1u);
  EXPECT_EQ(v->karis[0].originator_point.size, 65u);
  EXPECT_EQ(v->nonce.size, 12u);
  EXPECT_EQ(v->mac.size, v->icv_len);
  auto other = ParseAuthEnvelopedData(cbc->body);
  EXPECT_EQ(other.code(), Errc::kUnsupported);
  EXPECT_NE(other.error().message.find("not id-ct-authEnvelopedData at offset"), std::string::npos)
      << other.error().message;
  auto cut = ParseAuthEnvelopedData(gcm->body.substr(0, 40));
  EXPECT_EQ(cut.code(), Errc::kMalformed);
  EXPECT_NE(cut.error().message.find("at offset 0"), std::string::npos) << cut.error().message;
}

// The EnvelopedData decoder reads sipim's CBC body (a KARI and a KTRI, the
// 16-byte IV, whole blocks, no tag) and names what and where otherwise;
// AuthEnvelopedData is not its form.
TEST(LeanEnvelopedData, CbcFormIsRead) {
  Pki& ec = GetPki(KeyAlg::kP256);
  Pki& rsa = GetPki(KeyAlg::kRsa2048);
  auto cbc = SmimeEncrypt({ec.user("sip:bob@home.com").cert.get(), rsa.user("sip:dan@home.com").cert.get()}, kEntity,
                          SmimeCipher::kAes128Cbc);
  auto gcm = SmimeEncrypt({ec.user("sip:bob@home.com").cert.get()}, kEntity, SmimeCipher::kAes128Gcm);
  ASSERT_TRUE(cbc.ok() && gcm.ok());
  auto v = ParseEnvelopedData(cbc->body);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_FALSE(v->gcm);
  EXPECT_EQ(v->karis.size(), 1u);
  EXPECT_EQ(v->ktris.size(), 1u);
  EXPECT_EQ(v->nonce.size, 16u);
  EXPECT_EQ(v->ciphertext.size, (kEntity.size() / 16 + 1) * 16);
  EXPECT_EQ(v->mac.size, 0u);
  auto other = ParseEnvelopedData(gcm->body);
  EXPECT_EQ(other.code(), Errc::kUnsupported);
  EXPECT_NE(other.error().message.find("not id-envelopedData at offset"), std::string::npos) << other.error().message;
  auto cut = ParseEnvelopedData(cbc->body.substr(0, cbc->body.size() - 1));
  EXPECT_EQ(cut.code(), Errc::kMalformed);
}

// A CBC body whose padding is broken (the penultimate block's last byte
// flipped: the plaintext's last byte, a padding byte, changes) is "tampered"
// for an RSA recipient (lean verdict) and a P-256 one (lean path fails, CMS
// gives the verdict); a receiver who is not named is "not a recipient".
TEST(LeanEnvelopedData, CbcFailuresKeepTheirCodes) {
  for (KeyAlg alg : {KeyAlg::kRsa2048, KeyAlg::kP256}) {
    Pki& p = GetPki(alg);
    const Identity& bob = p.user("sip:bob@home.com");
    auto body = SmimeEncrypt({bob.cert.get()}, kEntity, SmimeCipher::kAes128Cbc);
    ASSERT_TRUE(body.ok());
    ReceiveStats stats;
    ReceiveContext rc = Ctx(p, "sip:alice@home.com");
    rc.me = &bob;
    rc.require_signature = false;
    rc.stats = &stats;
    auto good = SmimeReceive(body->content_type, body->body, rc);
    ASSERT_TRUE(good.ok()) << good.error().ToString();
    EXPECT_EQ(good->body, "Mr. Watson, come here. I want to see you.");
    EXPECT_EQ(stats.lean_decrypted, 1u);
    std::string padding = body->body;
    padding[padding.size() - 17] ^= 0x40;
    auto r = SmimeReceive(body->content_type, padding, rc);
    EXPECT_EQ(r.code(), Errc::kTampered) << r.error().ToString();
    rc.me = &p.user("sip:carol@home.com");
    EXPECT_EQ(SmimeReceive(body->content_type, body->body, rc).code(), Errc::kNotRecipient);
  }
}

}  // namespace
}  // namespace sipim::security
