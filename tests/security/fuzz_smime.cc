// libFuzzer target: S/MIME receive on arbitrary bodies under each content
// type (with and without a certificate cache; the P-256 harness key makes
// authEnveloped-data bodies reach the lean AuthEnvelopedData path), the lean
// decoders directly (whatever the SignedData one reads must re-encode and
// read back the same), and
// sealed-frame opening; nothing may crash and nothing may be accepted as
// signed (no key in this harness can have signed it).
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
  X509StorePtr trust;
  Harness() {
    auto k = GenerateKey(KeyAlg::kP256);
    auto c = TestCa::Create("fuzz CA", std::move(*k), KeyAlg::kP256);
    ca = std::move(*c);
    auto u = ca.Issue("sip:bob@home.com", std::move(*GenerateKey(KeyAlg::kP256)), KeyAlg::kP256);
    me = std::move(*u);
    trust = std::move(*MakeTrustStore({ca.cert()}));
  }
};
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
  for (const char* ct : kTypes) {
    auto r = SmimeReceive(ct, body, ctx);
    if (r.ok() && r->was_signed) std::abort();  // a forgery was accepted
    ctx.cert_cache = &cache;
    r = SmimeReceive(ct, body, ctx);
    if (r.ok() && r->was_signed) std::abort();  // a forgery was accepted through the cache
    ctx.cert_cache = nullptr;
  }
  if (auto e = ParseAuthEnvelopedData(body); e.ok()) {
    if (e->nonce.size != 12 || e->mac.size != e->icv_len) std::abort();  // the decoder let a bad form through
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
  for (SealSuite s : {SealSuite::kAes128Gcm, SealSuite::kAesCmHmacSha1_80}) {
    auto rx = SealSession::Create(s, k);
    std::string out;
    if (rx.ok() && rx->Open("hdr", body, out).ok()) std::abort();  // forged frame accepted
  }
  return 0;
}
