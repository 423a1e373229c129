// libFuzzer target: S/MIME receive on arbitrary bodies under each content
// type (with and without a certificate cache; the P-256 harness key makes
// authEnveloped-data bodies reach the lean AuthEnvelopedData path), the lean
// decoders directly (whatever the SignedData one reads must re-encode and
// read back the same), the lean RSA KTRI path on a valid body to an RSA
// harness key with the input's (offset, xor) pairs applied (what it accepts
// must be the original text: a padding failure must never slip through),
// the lean SignedData path on valid bodies signed by a harness signer (the
// certificate carried, read without a cache: verification contexts kept by
// SubjectPublicKeyInfo; or left out and known to the receiver: contexts kept
// per known certificate) with the same changes applied (what it accepts
// must be the original text from that signer), and sealed-frame opening
// (the input as a frame, apart from its framing and in one buffer after it;
// a valid message with the input's changes, which must open only when they
// left it as it was);
// nothing may crash and nothing but alice's text may be accepted as signed
// (no other key in this harness can have signed anything).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "security/cert_cache.h"
#include "security/enveloped_data.h"
#include "security/seal.h"
#include "security/signed_data.h"
#include "security/smime.h"

namespace {
using namespace sipim::security;

struct Harness {
  TestCa ca;
  Identity me;
  Identity me_rsa;          // an RSA recipient, for the KTRI path
  std::string to_rsa;       // AuthEnvelopedData to me_rsa and me (KTRI + KARI)
  std::string to_rsa_cbc;   // EnvelopedData (AES-128-CBC) to the same two
  Identity alice;           // the one signer
  std::string signed_cert;  // signed by alice, her certificate carried
  std::string signed_bare;  // signed by alice, her certificate left out
  X509StorePtr trust;
  Harness() {
    auto k = GenerateKey(KeyAlg::kP256);
    auto c = TestCa::Create("fuzz CA", std::move(*k), KeyAlg::kP256);
    ca = std::move(*c);
    auto u = ca.Issue("sip:bob@home.com", std::move(*GenerateKey(KeyAlg::kP256)), KeyAlg::kP256);
    me = std::move(*u);
    auto r = ca.Issue("sip:dan@home.com", std::move(*GenerateKey(KeyAlg::kRsa2048)), KeyAlg::kRsa2048);
    me_rsa = std::move(*r);
    to_rsa = SmimeEncrypt({me.cert.get(), me_rsa.cert.get()}, MakeMimeEntity("text/plain", "fuzz"),
                          SmimeCipher::kAes128Gcm)
                 ->body;
    to_rsa_cbc = SmimeEncrypt({me.cert.get(), me_rsa.cert.get()}, MakeMimeEntity("text/plain", "fuzz"),
                              SmimeCipher::kAes128Cbc)
                     ->body;
    auto a = ca.Issue("sip:alice@home.com", std::move(*GenerateKey(KeyAlg::kP256)), KeyAlg::kP256);
    alice = std::move(*a);
    signed_cert = SmimeSign(alice, MakeMimeEntity("text/plain", "fuzz"))->body;
    SignOptions bare;
    bare.include_cert = false;
    signed_bare = SmimeSign(alice, MakeMimeEntity("text/plain", "fuzz"), bare)->body;
    trust = std::move(*MakeTrustStore({ca.cert()}));
  }
};

// `valid` with the input's (offset16, xor) triples applied.
std::string Mutate(const std::string& valid, const std::uint8_t* data, std::size_t size) {
  std::string mutated = valid;
  for (std::size_t i = 0; i + 3 <= size; i += 3) {
    const std::size_t at = (static_cast<std::size_t>(data[i]) << 8 | data[i + 1]) % mutated.size();
    mutated[at] = static_cast<char>(mutated[at] ^ data[i + 2]);
  }
  return mutated;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness h;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  ReceiveContext ctx;
  ctx.me = &h.me;
  ctx.trust = h.trust.get();
  ctx.from_aor = "sip:alice@home.com";
  static const char* kTypes[] = {
      "application/pkcs7-mime;smime-type=enveloped-data;name=smime.p7m",
      "application/pkcs7-mime;smime-type=signed-data;name=smime.p7m",
      "application/pkcs7-mime;smime-type=authEnveloped-data;name=smime.p7m",
      "multipart/signed;protocol=\"application/pkcs7-signature\";micalg=sha-256;boundary=b",
  };
  static CertCache cache(64);
  // Only alice can have signed, and only her "fuzz" text.
  const auto forged = [](const Result<Received>& r) {
    return r.ok() && r->was_signed && (r->signer_aor != "sip:alice@home.com" || r->body != "fuzz");
  };
  for (const char* ct : kTypes) {
    auto r = SmimeReceive(ct, body, ctx);
    if (forged(r)) std::abort();  // a forgery was accepted
    ctx.cert_cache = &cache;
    r = SmimeReceive(ct, body, ctx);
    if (forged(r)) std::abort();  // a forgery was accepted through the cache
    ctx.cert_cache = nullptr;
  }
  if (auto c = ParseEnvelopedData(body); c.ok()) {
    // the decoder let a bad form through
    if (c->gcm || c->nonce.size != 16 || c->mac.size != 0 || c->ciphertext.size % 16 != 0) std::abort();
  }
  if (auto e = ParseAuthEnvelopedData(body); e.ok()) {
    if (!e->gcm || e->nonce.size != 12 || e->mac.size != e->icv_len) std::abort();  // the decoder let a bad form through
    for (const auto& k : e->ktris) {
      auto kv = ReadKtri(k);
      if (kv.ok() && (kv->encrypted_key.data < k.data || kv->encrypted_key.data + kv->encrypted_key.size > k.data + k.size))
        std::abort();  // a view outside its RecipientInfo
    }
  }
  // The KTRI path: the valid body to me_rsa with the input's (offset16, xor) triples applied.
  const std::string mutated = Mutate(h.to_rsa, data, size);
  ReceiveContext rsa_ctx = ctx;
  rsa_ctx.me = &h.me_rsa;
  rsa_ctx.require_signature = false;
  if (auto r = SmimeReceive(kTypes[2], mutated, rsa_ctx); r.ok() && r->body != "fuzz") {
    std::abort();  // an altered message decrypted to other text
  }
  // The lean CBC paths (KTRI and KARI) on the CBC body with the same changes.
  // CBC has no integrity of its own: an altered block may decrypt to other
  // text, so only crashes and sanitizer reports count here.
  const std::string mutated_cbc = Mutate(h.to_rsa_cbc, data, size);
  (void)SmimeReceive(kTypes[0], mutated_cbc, rsa_ctx);
  ReceiveContext kari_ctx = rsa_ctx;
  kari_ctx.me = &h.me;
  (void)SmimeReceive(kTypes[0], mutated_cbc, kari_ctx);
  // The lean SignedData path: alice's valid bodies with the same changes.
  ReceiveContext sig_ctx = ctx;
  sig_ctx.cert_cache = nullptr;
  for (const std::string* valid : {&h.signed_cert, &h.signed_bare}) {
    sig_ctx.known_certs.clear();
    if (valid == &h.signed_bare) sig_ctx.known_certs.push_back(h.alice.cert.get());
    auto r = SmimeReceive(kTypes[1], Mutate(*valid, data, size), sig_ctx);
    if (forged(r) || (r.ok() && !r->was_signed)) std::abort();  // accepted with other text or signer
  }
  if (auto v = ParseSignedData(body); v.ok()) {
    const std::string again = EncodeSignedData(*v);
    auto w = ParseSignedData(again);
    if (!w.ok() || w->content.view() != v->content.view() || w->signature.view() != v->signature.view() ||
        w->signed_attrs.view() != v->signed_attrs.view() || w->certs.size() != v->certs.size() ||
        w->issuer.view() != v->issuer.view() || w->serial.view() != v->serial.view()) {
      std::abort();  // the decoder read something its encoder cannot write back
    }
  }
  SessionKeys k;
  k.tek.assign(16, 1);
  k.salt.assign(14, 2);
  k.auth_key.assign(20, 3);
  // The input as a frame: apart, and held in one buffer after its framing
  // (OpenTo's in-place MAC); then a valid message in one buffer with the
  // input's changes, refused unless they left it as it was.
  const std::string wire = "hdr" + std::string(body);
  const std::string_view in_place = wire;
  std::string out(wire.size() + 64, '\0');
  auto* out_bytes = reinterpret_cast<unsigned char*>(out.data());
  for (SealSuite s : {SealSuite::kAes128Gcm, SealSuite::kAesCmHmacSha1_80}) {
    auto rx = SealSession::Create(s, k);
    auto tx = SealSession::Create(s, k);
    if (!rx.ok() || !tx.ok()) std::abort();
    std::string appended;
    if (rx->Open("hdr", body, appended).ok()) std::abort();  // forged frame accepted
    if (rx->OpenTo(in_place.substr(0, 3), in_place.substr(3), out_bytes).ok()) std::abort();
    std::string valid = "hdr";
    if (!tx->Seal("hdr", "fuzz text", valid).ok()) std::abort();
    const std::string changed = Mutate(valid, data, size);
    const std::string_view c = changed;
    auto r = rx->OpenTo(c.substr(0, 3), c.substr(3), out_bytes);
    if (r.ok() != (changed == valid)) std::abort();  // an altered message opened, or the intact one did not
    if (r.ok() && std::string_view(out.data(), *r) != "fuzz text") std::abort();
  }
  return 0;
}
