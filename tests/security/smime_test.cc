// S/MIME (CMS) send and receive, and every distinct failure on receive.
#include <gtest/gtest.h>

#include <openssl/cms.h>

#include <ctime>
#include <string>
#include <vector>

#include "security/smime.h"
#include "test_pki.h"

namespace sipim::security {
namespace {

using testing::GetPki;
using testing::Pki;

const std::string kText = "Watson, come here.";
const std::string kEntity = MakeMimeEntity("text/plain", kText);

ReceiveContext Ctx(Pki& p, const Identity* me, const std::string& from) {
  ReceiveContext c;
  c.me = me;
  c.trust = p.trust.get();
  c.from_aor = from;
  return c;
}

CmsPtr ParseDer(const std::string& der) {
  const auto* q = reinterpret_cast<const unsigned char*>(der.data());
  return CmsPtr(d2i_CMS_ContentInfo(nullptr, &q, static_cast<long>(der.size())));
}

class SmimeAlg : public ::testing::TestWithParam<KeyAlg> {};

// Every sign variant (cert or not, attributes or not, pkcs7-mime or multipart) verifies and yields the text.
TEST_P(SmimeAlg, SignVariantsRoundTrip) {
  Pki& p = GetPki(GetParam());
  const Identity& alice = p.user("sip:alice@home.com");
  for (bool cert : {true, false}) {
    for (bool attrs : {true, false}) {
      for (bool multipart : {false, true}) {
        SignOptions o{cert, attrs, multipart};
        auto body = SmimeSign(alice, kEntity, o);
        ASSERT_TRUE(body.ok()) << body.error().ToString();
        ReceiveContext c = Ctx(p, nullptr, "sip:alice@home.com");
        if (!cert) c.known_certs.push_back(alice.cert.get());
        auto r = SmimeReceive(body->content_type, body->body, c);
        ASSERT_TRUE(r.ok()) << r.error().ToString() << " cert=" << cert << " attrs=" << attrs
                            << " multipart=" << multipart;
        EXPECT_EQ(r->body, kText);
        EXPECT_EQ(r->content_type, "text/plain");
        EXPECT_TRUE(r->was_signed);
        EXPECT_EQ(r->signer_aor, "sip:alice@home.com");
        if (multipart) {
          EXPECT_EQ(body->content_type.rfind("multipart/signed;protocol=\"application/pkcs7-signature\";"
                                             "micalg=sha-256;boundary=",
                                             0),
                    0u);
        } else {
          EXPECT_EQ(body->content_type, "application/pkcs7-mime;smime-type=signed-data;name=smime.p7m");
        }
      }
    }
  }
}

// Leaving out the certificate makes the signed body smaller by at least the certificate's size.
TEST_P(SmimeAlg, NoCertIsSmaller) {
  Pki& p = GetPki(GetParam());
  const Identity& alice = p.user("sip:alice@home.com");
  auto with = SmimeSign(alice, kEntity, {true, true, false});
  auto without = SmimeSign(alice, kEntity, {false, true, false});
  ASSERT_TRUE(with.ok() && without.ok());
  auto der = CertToDer(alice.cert.get());
  ASSERT_TRUE(der.ok());
  EXPECT_GE(with->body.size(), without->body.size() + der->size());
}

// A signed body without the certificate and no known certificate is its own error.
TEST_P(SmimeAlg, NoSignerCertIsError) {
  Pki& p = GetPki(GetParam());
  auto body = SmimeSign(p.user("sip:alice@home.com"), kEntity, {false, true, false});
  ASSERT_TRUE(body.ok());
  auto r = SmimeReceive(body->content_type, body->body, Ctx(p, nullptr, "sip:alice@home.com"));
  EXPECT_EQ(r.code(), Errc::kNoSignerCert) << r.error().ToString();
}

// Encryption with CBC and GCM to 1 and 3 recipients: every recipient decrypts; the CMS type matches.
TEST_P(SmimeAlg, EncryptToRecipients) {
  Pki& p = GetPki(GetParam());
  std::vector<std::string> aors = {"sip:bob@home.com", "sip:carol@home.com", "sip:dan@home.com"};
  for (SmimeCipher cipher : {SmimeCipher::kAes128Cbc, SmimeCipher::kAes128Gcm}) {
    for (std::size_t n : {1u, 3u}) {
      std::vector<X509*> rcpt;
      for (std::size_t i = 0; i < n; ++i) rcpt.push_back(p.user(aors[i]).cert.get());
      auto body = SmimeEncrypt(rcpt, kEntity, cipher);
      ASSERT_TRUE(body.ok()) << body.error().ToString();
      CmsPtr cms = ParseDer(body->body);
      ASSERT_TRUE(cms);
      EXPECT_EQ(OBJ_obj2nid(CMS_get0_type(cms.get())),
                cipher == SmimeCipher::kAes128Cbc ? NID_pkcs7_enveloped
                                                  : NID_id_smime_ct_authEnvelopedData);
      EXPECT_NE(body->content_type.find(cipher == SmimeCipher::kAes128Cbc
                                            ? "smime-type=enveloped-data"
                                            : "smime-type=authEnveloped-data"),
                std::string::npos);
      EXPECT_EQ(sk_CMS_RecipientInfo_num(CMS_get0_RecipientInfos(cms.get())), static_cast<int>(n));
      for (std::size_t i = 0; i < n; ++i) {
        ReceiveContext c = Ctx(p, &p.user(aors[i]), "sip:alice@home.com");
        c.require_signature = false;
        auto r = SmimeReceive(body->content_type, body->body, c);
        ASSERT_TRUE(r.ok()) << r.error().ToString();
        EXPECT_EQ(r->body, kText);
        EXPECT_TRUE(r->was_encrypted);
        EXPECT_FALSE(r->was_signed);
      }
    }
  }
}

// RSA recipients get KeyTransRecipientInfo; P-256 recipients get KeyAgreeRecipientInfo with the SHA-256 KDF.
TEST_P(SmimeAlg, RecipientInfoKindAndKdf) {
  Pki& p = GetPki(GetParam());
  auto body = SmimeEncrypt({p.user("sip:bob@home.com").cert.get()}, kEntity, SmimeCipher::kAes128Gcm);
  ASSERT_TRUE(body.ok());
  CmsPtr cms = ParseDer(body->body);
  ASSERT_TRUE(cms);
  CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(CMS_get0_RecipientInfos(cms.get()), 0);
  if (GetParam() == KeyAlg::kRsa2048) {
    EXPECT_EQ(CMS_RecipientInfo_type(ri), CMS_RECIPINFO_TRANS);
  } else {
    ASSERT_EQ(CMS_RecipientInfo_type(ri), CMS_RECIPINFO_AGREE);
    X509_ALGOR* alg = nullptr;
    ASN1_OCTET_STRING* ukm = nullptr;
    ASSERT_EQ(CMS_RecipientInfo_kari_get0_alg(ri, &alg, &ukm), 1);
    EXPECT_EQ(OBJ_obj2nid(alg->algorithm), NID_dhSinglePass_stdDH_sha256kdf_scheme);
  }
}

// Sign-then-encrypt (RFC 3261 §23): decrypts, verifies, names the signer; both ciphers, multipart or not.
TEST_P(SmimeAlg, SignThenEncrypt) {
  Pki& p = GetPki(GetParam());
  for (SmimeCipher cipher : {SmimeCipher::kAes128Cbc, SmimeCipher::kAes128Gcm}) {
    for (bool multipart : {false, true}) {
      auto body = SmimeSignAndEncrypt(p.user("sip:alice@home.com"), {p.user("sip:bob@home.com").cert.get()},
                                      kEntity, cipher, {true, true, multipart});
      ASSERT_TRUE(body.ok()) << body.error().ToString();
      auto r = SmimeReceive(body->content_type, body->body,
                            Ctx(p, &p.user("sip:bob@home.com"), "sip:alice@home.com"));
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      EXPECT_TRUE(r->was_signed && r->was_encrypted);
      EXPECT_EQ(r->body, kText);
    }
  }
}

// A changed byte of signed content is a bad signature (pkcs7-mime and multipart/signed).
TEST_P(SmimeAlg, BadSignature) {
  Pki& p = GetPki(GetParam());
  for (bool multipart : {false, true}) {
    auto body = SmimeSign(p.user("sip:alice@home.com"), kEntity, {true, true, multipart});
    ASSERT_TRUE(body.ok());
    std::size_t at = body->body.find("Watson");
    ASSERT_NE(at, std::string::npos);
    body->body[at] = 'w';
    auto r = SmimeReceive(body->content_type, body->body, Ctx(p, nullptr, "sip:alice@home.com"));
    EXPECT_EQ(r.code(), Errc::kBadSignature) << r.error().ToString();
  }
}

// A message encrypted for bob is "not a recipient" for carol.
TEST_P(SmimeAlg, NotARecipient) {
  Pki& p = GetPki(GetParam());
  auto body = SmimeEncrypt({p.user("sip:bob@home.com").cert.get()}, kEntity, SmimeCipher::kAes128Gcm);
  ASSERT_TRUE(body.ok());
  auto r = SmimeReceive(body->content_type, body->body,
                        Ctx(p, &p.user("sip:carol@home.com"), "sip:alice@home.com"));
  EXPECT_EQ(r.code(), Errc::kNotRecipient) << r.error().ToString();
}

// A changed GCM tag or ciphertext byte is "tampered"; so is a changed CBC ciphertext under a signature.
TEST_P(SmimeAlg, TamperedCiphertext) {
  Pki& p = GetPki(GetParam());
  const Identity& bob = p.user("sip:bob@home.com");
  auto gcm = SmimeEncrypt({bob.cert.get()}, kEntity, SmimeCipher::kAes128Gcm);
  ASSERT_TRUE(gcm.ok());
  ReceiveContext c = Ctx(p, &bob, "sip:alice@home.com");
  c.require_signature = false;
  // The tag is the last OCTET STRING: flip the last byte.
  std::string t1 = gcm->body;
  t1.back() ^= 0x01;
  EXPECT_EQ(SmimeReceive(gcm->content_type, t1, c).code(), Errc::kTampered);
  // A byte 30 from the end sits in the encrypted content (before the 16-byte tag).
  std::string t2 = gcm->body;
  t2[t2.size() - 30] ^= 0x40;
  auto r2 = SmimeReceive(gcm->content_type, t2, c);
  EXPECT_EQ(r2.code(), Errc::kTampered) << r2.error().ToString();
  // CBC has no integrity of its own: under sign-then-encrypt a change is caught anyway.
  auto cbc = SmimeSignAndEncrypt(p.user("sip:alice@home.com"), {bob.cert.get()}, kEntity,
                                 SmimeCipher::kAes128Cbc);
  ASSERT_TRUE(cbc.ok());
  std::string t3 = cbc->body;
  t3[t3.size() - 20] ^= 0x40;  // second-to-last block: garbles it and flips the last one
  auto r3 = SmimeReceive(cbc->content_type, t3, Ctx(p, &bob, "sip:alice@home.com"));
  EXPECT_FALSE(r3.ok());
  EXPECT_TRUE(r3.code() == Errc::kTampered || r3.code() == Errc::kBadSignature ||
              r3.code() == Errc::kMalformed)
      << r3.error().ToString();
}

// Expired and not-yet-valid signer certificates are their own errors.
TEST_P(SmimeAlg, CertificateValidity) {
  Pki& p = GetPki(GetParam());
  auto expired = p.ca.Issue("sip:old@home.com", testing::CachedKey(GetParam(), "old"), GetParam(),
                            {-3 * 86400, -86400});
  auto future = p.ca.Issue("sip:new@home.com", testing::CachedKey(GetParam(), "new"), GetParam(),
                           {86400, 3 * 86400});
  ASSERT_TRUE(expired.ok() && future.ok());
  auto b1 = SmimeSign(*expired, kEntity);
  auto b2 = SmimeSign(*future, kEntity);
  ASSERT_TRUE(b1.ok() && b2.ok());
  EXPECT_EQ(SmimeReceive(b1->content_type, b1->body, Ctx(p, nullptr, "sip:old@home.com")).code(),
            Errc::kCertExpired);
  EXPECT_EQ(SmimeReceive(b2->content_type, b2->body, Ctx(p, nullptr, "sip:new@home.com")).code(),
            Errc::kCertNotYetValid);
  // The same certificate verified at a time inside its window passes.
  ReceiveContext c = Ctx(p, nullptr, "sip:old@home.com");
  c.at_time = std::time(nullptr) - 2 * 86400;
  EXPECT_TRUE(SmimeReceive(b1->content_type, b1->body, c).ok());
}

// A signer certified by an untrusted CA is "unknown CA".
TEST_P(SmimeAlg, UnknownCa) {
  Pki& p = GetPki(GetParam());
  auto mallory = p.rogue_ca.Issue("sip:alice@home.com", testing::CachedKey(GetParam(), "mallory"),
                                  GetParam());
  ASSERT_TRUE(mallory.ok());
  auto body = SmimeSign(*mallory, kEntity);
  ASSERT_TRUE(body.ok());
  auto r = SmimeReceive(body->content_type, body->body, Ctx(p, nullptr, "sip:alice@home.com"));
  EXPECT_EQ(r.code(), Errc::kUnknownCa) << r.error().ToString();
}

// A valid signature by bob on a message whose From is alice is "From mismatch".
TEST_P(SmimeAlg, FromMismatch) {
  Pki& p = GetPki(GetParam());
  auto body = SmimeSign(p.user("sip:bob@home.com"), kEntity);
  ASSERT_TRUE(body.ok());
  auto r = SmimeReceive(body->content_type, body->body, Ctx(p, nullptr, "sip:alice@home.com"));
  EXPECT_EQ(r.code(), Errc::kFromMismatch) << r.error().ToString();
  // AOR comparison ignores host case and URI parameters.
  EXPECT_TRUE(SmimeReceive(body->content_type, body->body, Ctx(p, nullptr, "sip:bob@HOME.com;transport=tcp")).ok());
}

// SameAor's rules, which the From check rests on: scheme and host compare
// without case, the user part with case, parameters and headers are
// dropped, sip and sips differ, and a URI without a scheme or host matches
// nothing.
TEST(SameAor, SchemeAndHostIgnoreCaseUserDoesNotParametersDropped) {
  EXPECT_TRUE(SameAor("sip:bob@home.com", "sip:bob@home.com"));
  EXPECT_TRUE(SameAor("SIP:bob@HOME.Com", "sip:bob@home.com"));
  EXPECT_TRUE(SameAor("sip:bob@home.com;transport=tcp", "sip:bob@home.com?subject=x"));
  EXPECT_TRUE(SameAor("sip:bob@home.com>", "sip:bob@home.com"));
  EXPECT_FALSE(SameAor("sip:Bob@home.com", "sip:bob@home.com"));
  EXPECT_FALSE(SameAor("sips:bob@home.com", "sip:bob@home.com"));
  EXPECT_FALSE(SameAor("sip:bob@home.co", "sip:bob@home.com"));
  EXPECT_FALSE(SameAor("sip:bob@home.com", "sip:alice@home.com"));
  EXPECT_FALSE(SameAor("bob@home.com", "bob@home.com"));
  EXPECT_FALSE(SameAor("sip:", "sip:"));
  EXPECT_FALSE(SameAor("sip:bob@", "sip:bob@"));
  // Only ASCII letters fold: a byte above 0x7f compares as itself.
  EXPECT_FALSE(SameAor("sip:bob@h\xc3\xa9.com", "sip:bob@h\xc3\x89.com"));
  EXPECT_TRUE(SameAor("sip:bob@H\xc3\xa9.com", "sip:bob@h\xc3\xa9.com"));
}

// A multipart/signed body whose signature part is base64 (as many UAs send it) verifies too.
TEST_P(SmimeAlg, MultipartWithBase64Signature) {
  Pki& p = GetPki(GetParam());
  auto body = SmimeSign(p.user("sip:alice@home.com"), kEntity, {true, true, true});
  ASSERT_TRUE(body.ok());
  std::string& b = body->body;
  const std::string marker = "Content-Transfer-Encoding: binary\r\n";
  std::size_t cte = b.find(marker);
  ASSERT_NE(cte, std::string::npos);
  std::size_t der_start = b.find("\r\n\r\n", cte) + 4;
  std::size_t der_end = b.rfind("\r\n--");
  std::string der = b.substr(der_start, der_end - der_start);
  std::string b64 = Base64Encode(reinterpret_cast<const unsigned char*>(der.data()), der.size());
  for (std::size_t i = 76; i < b64.size(); i += 78) b64.insert(i, "\r\n");  // MIME line length
  std::string rebuilt = b.substr(0, cte) + "Content-Transfer-Encoding: base64\r\n" +
                        b.substr(cte + marker.size(), der_start - cte - marker.size()) + b64 + b.substr(der_end);
  auto r = SmimeReceive(body->content_type, rebuilt, Ctx(p, nullptr, "sip:alice@home.com"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->body, kText);
}

INSTANTIATE_TEST_SUITE_P(Alg, SmimeAlg, ::testing::Values(KeyAlg::kRsa2048, KeyAlg::kP256),
                         [](const auto& info) { return std::string(KeyAlgName(info.param)); });

// Garbage, truncation, wrong types and unsigned plaintext are malformed or refused, never accepted.
TEST(Smime, MalformedInputs) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  ReceiveContext c = Ctx(p, &p.user("sip:bob@home.com"), "sip:alice@home.com");
  const std::string ct = "application/pkcs7-mime;smime-type=enveloped-data;name=smime.p7m";
  EXPECT_EQ(SmimeReceive(ct, "not DER at all", c).code(), Errc::kMalformed);
  auto good = SmimeSign(p.user("sip:alice@home.com"), kEntity);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(SmimeReceive(good->content_type, good->body.substr(0, good->body.size() / 2), c).code(),
            Errc::kMalformed);
  EXPECT_EQ(SmimeReceive(good->content_type, good->body + "x", c).code(), Errc::kMalformed);
  EXPECT_EQ(SmimeReceive("nonsense", good->body, c).code(), Errc::kMalformed);
  EXPECT_EQ(SmimeReceive("multipart/signed;boundary=zz", "--zz\r\nno end", c).code(), Errc::kMalformed);
  // Plain text where a signature is required is refused.
  EXPECT_EQ(SmimeReceive("text/plain", kText, c).code(), Errc::kBadSignature);
}

// OpenSSL 3.0's CMS cannot sign with Ed25519 nor encrypt to X25519 (what this machine's OpenSSL does).
TEST(Smime, OpenSsl30CmsHasNoEd25519OrX25519) {
  EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  EvpPkeyPtr x(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  ASSERT_TRUE(ed && x);
  auto ca = TestCa::Create("ed CA", std::move(ed), KeyAlg::kP256);
  // Certificates over Ed25519 keys need a NULL digest in X509_sign; TestCa uses SHA-256,
  // so build the signer from raw OpenSSL calls instead.
  EvpPkeyPtr ed2(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  X509Ptr cert(X509_new());
  ASSERT_TRUE(cert);
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), ed2.get());
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  ASSERT_GT(X509_sign(cert.get(), ed2.get(), nullptr), 0);
  BioPtr in(BIO_new_mem_buf(kEntity.data(), static_cast<int>(kEntity.size())));
  CmsPtr signed_cms(CMS_sign(cert.get(), ed2.get(), nullptr, in.get(), CMS_BINARY));
  EXPECT_FALSE(signed_cms) << "OpenSSL CMS signed with Ed25519: update models/security/README.md";
  DrainOpenSslErrors();
  // X25519 recipient certificate (public key X25519, signed by the Ed25519 key).
  X509Ptr xcert(X509_new());
  X509_set_version(xcert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(xcert.get()), 2);
  X509_gmtime_adj(X509_getm_notBefore(xcert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(xcert.get()), 3600);
  X509_set_pubkey(xcert.get(), x.get());
  X509_set_issuer_name(xcert.get(), X509_get_subject_name(cert.get()));
  ASSERT_GT(X509_sign(xcert.get(), ed2.get(), nullptr), 0);
  auto enc = SmimeEncrypt({xcert.get()}, kEntity, SmimeCipher::kAes128Gcm);
  EXPECT_FALSE(enc.ok()) << "OpenSSL CMS encrypted to X25519: update models/security/README.md";
  EXPECT_EQ(enc.code(), Errc::kCrypto);
  (void)ca;
}

}  // namespace
}  // namespace sipim::security
