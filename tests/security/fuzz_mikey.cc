// libFuzzer target: the MIKEY decoder, the KEMAC sub-payload decoder and the
// RFC 4567 attribute parser must reject any input cleanly, and whatever
// decodes must re-encode to the same bytes.
//
// Second part (the first input byte selects it: 'D' OAKLEY 5, '1' OAKLEY 1,
// '2' OAKLEY 2, 'E' ECDH-ext): the responder's validation
// of a peer's DH / ECDH public value, against an independent check. The
// harness puts a value made from the input into an otherwise valid I_MESSAGE,
// authenticates it as a real initiator would (DHHMAC: the KEMAC MAC with the
// pre-shared key; ECDH-ext: the initiator's RSA signature), and aborts if
// Responder::ProcessI's verdict differs from OpenSSL's full public-key check
// (an invalid value accepted, a valid one refused) or a refusal is not
// kMalformed.
//
// Third part, MIKEY error messages (RFC 3830 §5.1.2): every input goes to a
// PSK initiator's ProcessR (aborts on success, or on a verified refusal from
// anything but the genuine error message) and to a PSK responder's ProcessI and
// BuildError (aborts if what it builds does not decode as an error message
// with an ERR). Inputs starting 'X' apply (offset, xor) changes from the input
// to a genuine error message of the mode data[1] selects, and abort if the
// initiator believes a changed one or does not believe the unchanged one
// (each change: two bytes of offset, one of xor).
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "security/kdf.h"
#include "security/mikey.h"
#include "security/mikey_codec.h"
#include "security/pki.h"

namespace {

using namespace sipim::security;
using BnPtr = OsslPtr<BIGNUM, BN_free>;
using BnCtxPtr = OsslPtr<BN_CTX, BN_CTX_free>;

void Check(bool ok) {
  if (!ok) std::abort();
}

constexpr mikey::Mode kModes[] = {mikey::Mode::kPsk, mikey::Mode::kPke, mikey::Mode::kDhSigned, mikey::Mode::kDhhmac,
                                  mikey::Mode::kEcdhSigned};

// Both ends of one exchange, made once per process.
struct Harness {
  Identity alice, bob;
  X509StorePtr trust;
  mikey::Config ci, cr;
  // Per DH group id (0 OAKLEY 5, 1 OAKLEY 1, 2 OAKLEY 2): a valid DHHMAC
  // I_MESSAGE in that group and the group's p, q = (p-1)/2 and g.
  struct Group {
    Bytes dhhmac_i;
    BnPtr p, q, g;
  };
  Group groups[3];
  Bytes ecdh_i;  // a valid ECDH-ext I_MESSAGE
  // Per mode: an initiator that sent an I_MESSAGE and the responder's
  // genuine error message refusing it (IDr names someone else).
  struct Refused {
    std::unique_ptr<mikey::Initiator> ini;
    Bytes error;
  };
  Refused refused[5];

  Harness() {
    auto ca = TestCa::Create("fuzz CA", std::move(*GenerateKey(KeyAlg::kRsa2048)), KeyAlg::kRsa2048);
    Check(ca.ok());
    auto a = ca->Issue("sip:alice@home.com", std::move(*GenerateKey(KeyAlg::kRsa2048)), KeyAlg::kRsa2048);
    auto b = ca->Issue("sip:bob@home.com", std::move(*GenerateKey(KeyAlg::kRsa2048)), KeyAlg::kRsa2048);
    auto store = MakeTrustStore({ca->cert()});
    Check(a.ok() && b.ok() && store.ok());
    alice = std::move(*a);
    bob = std::move(*b);
    trust = std::move(*store);
    mikey::Config c;
    c.psk = Bytes(32, 0x5c);
    c.initiator_uri = alice.aor;
    c.responder_uri = bob.aor;
    c.trust = trust.get();
    c.now_ntp = mikey::NtpNow();  // a frozen clock: every input is inside the window
    ci = cr = c;
    ci.self = &alice;
    ci.peer_cert = bob.cert.get();
    cr.self = &bob;
    ci.mode = cr.mode = mikey::Mode::kDhhmac;
    for (std::uint8_t id : {0, 1, 2}) {
      ci.dh_group = static_cast<mikey::DhGroup>(id);
      auto i = mikey::Initiator(ci).BuildI();
      Check(i.ok());
      groups[id].dhhmac_i = *i;
    }
    ci.mode = mikey::Mode::kEcdhSigned;
    auto i2 = mikey::Initiator(ci).BuildI();
    Check(i2.ok());
    ecdh_i = *i2;
    ci.dh_group = mikey::DhGroup::kOakley5;
    for (int k = 0; k < 5; ++k) {
      Refused& r = refused[k];
      mikey::Config ri = ci, rr = cr;
      ri.mode = rr.mode = kModes[k];
      rr.responder_uri = "sip:carol@home.com";
      r.ini = std::make_unique<mikey::Initiator>(ri);
      auto i = r.ini->BuildI();
      Check(i.ok());
      mikey::ReplayCache cache;
      mikey::Responder res(rr, &cache);
      auto verdict = res.ProcessI(*i);
      Check(!verdict.ok());
      auto e = res.BuildError(verdict.error(), *i);
      Check(e.ok() && e->authenticated && r.ini->ProcessR(e->bytes).code() == Errc::kPeerRefused);
      r.error = std::move(e->bytes);
    }
    // OAKLEY 1 and 2 from OpenSSL's RFC 2409 constants, q computed here.
    for (std::uint8_t id : {1, 2}) {
      Group& gr = groups[id];
      gr.p.reset(id == 1 ? BN_get_rfc2409_prime_768(nullptr) : BN_get_rfc2409_prime_1024(nullptr));
      gr.q.reset(BN_new());
      gr.g.reset(BN_new());
      Check(gr.p && gr.q && gr.g && BN_rshift1(gr.q.get(), gr.p.get()) == 1 && BN_set_word(gr.g.get(), 2) == 1);
    }
    // OAKLEY 5 as OpenSSL's named group has it.
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
    EVP_PKEY* params = nullptr;
    OSSL_PARAM set[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("modp_1536"), 0),
                        OSSL_PARAM_construct_end()};
    Check(ctx && EVP_PKEY_paramgen_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_params(ctx.get(), set) == 1 &&
          EVP_PKEY_paramgen(ctx.get(), &params) == 1);
    EvpPkeyPtr owner(params);
    BIGNUM *pp = nullptr, *qq = nullptr, *gg = nullptr;
    Check(EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &pp) == 1 &&
          EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_Q, &qq) == 1 &&
          EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_G, &gg) == 1);
    groups[0].p.reset(pp);
    groups[0].q.reset(qq);
    groups[0].g.reset(gg);
  }
};

Harness& H() {
  static Harness h;
  return h;
}

// Replaces the first DH value (DH payload or ECDH General Extension) of `m`.
void SetDhValue(mikey::Message& m, const Bytes& value) {
  for (mikey::Payload& pl : m.payloads) {
    if (auto* g = std::get_if<mikey::GeneralExtPayload>(&pl); g && g->type == mikey::kEcdhExtType) {
      g->data = value;
      return;
    }
    if (auto* d = std::get_if<mikey::DhPayload>(&pl)) {
      d->value = value;
      return;
    }
  }
  std::abort();
}

// The DHHMAC I_MESSAGE of group `id` with DHi = value and a correct KEMAC MAC (the last 20 bytes).
Bytes DhhmacWith(std::uint8_t id, const Bytes& value) {
  Harness& h = H();
  auto m = mikey::Decode(h.groups[id].dhhmac_i);
  Check(m.ok());
  SetDhValue(*m, value);
  auto bytes = mikey::Encode(*m);
  Check(bytes.ok() && bytes->size() > 20);
  const auto* rand = m->Find<mikey::RandPayload>();
  Check(rand != nullptr);
  auto mk = DeriveMessageKeys(m->hdr.prf, h.cr.psk, m->hdr.csb_id, rand->rand);
  Check(mk.ok());
  const std::size_t off = bytes->size() - 20;
  auto mac = Hmac("SHA1", mk->auth_key, bytes->data(), off);
  Check(mac.ok());
  std::memcpy(bytes->data() + off, mac->data(), 20);
  return *bytes;
}

// The ECDH-ext I_MESSAGE with the point `value`, signed again by alice.
Bytes EcdhWith(const Bytes& value) {
  Harness& h = H();
  auto m = mikey::Decode(h.ecdh_i);
  Check(m.ok());
  SetDhValue(*m, value);
  auto bytes = mikey::Encode(*m);
  Check(bytes.ok());
  const std::size_t off = m->offsets.back() + 2;
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  std::size_t len = bytes->size() - off;
  Check(md && EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, h.alice.key.get()) == 1 &&
        EVP_DigestSign(md.get(), bytes->data() + off, &len, bytes->data(), off) == 1 && len == bytes->size() - off);
  return *bytes;
}

// Full validation of a value of group `id` by OpenSSL's BIGNUMs: 1 < y < p-1 and y^q = 1 mod p.
bool DhValueValid(std::uint8_t id, const Bytes& value) {
  const Harness::Group& h = H().groups[id];
  BnPtr y(BN_bin2bn(value.data(), static_cast<int>(value.size()), nullptr)), t(BN_new()), pm1(BN_dup(h.p.get()));
  BnCtxPtr ctx(BN_CTX_new());
  Check(y && t && pm1 && ctx && BN_sub_word(pm1.get(), 1) == 1);
  if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), pm1.get()) >= 0) return false;
  Check(BN_mod_exp(t.get(), y.get(), h.q.get(), h.p.get(), ctx.get()) == 1);
  return BN_is_one(t.get());
}

// OpenSSL's own full validation of a P-256 point (decode by group name, EVP_PKEY_public_check).
bool EcPointValid(const Bytes& value) {
  // No encoding of a point is empty; OpenSSL 3.0.22 refuses to build the
  // parameter from one (3.0.19 built it), so do not ask.
  if (value.empty()) return false;
  OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> bld(OSSL_PARAM_BLD_new());
  Check(bld && OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, value.data(), value.size()) == 1);
  OsslPtr<OSSL_PARAM, OSSL_PARAM_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  const bool decoded = params && fctx && EVP_PKEY_fromdata_init(fctx.get()) == 1 &&
                       EVP_PKEY_fromdata(fctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) == 1;
  EvpPkeyPtr key(raw);
  if (!decoded) return false;
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  return check && EVP_PKEY_public_check(check.get()) == 1;
}

// ProcessI's verdict must be the independent check's: accepted, or kMalformed.
void Differential(mikey::Mode mode, const Bytes& msg, bool valid) {
  Harness& h = H();
  mikey::Config cr = h.cr;
  cr.mode = mode;
  mikey::ReplayCache cache;
  auto r = mikey::Responder(cr, &cache).ProcessI(msg);
  if (valid != r.ok()) std::abort();
  if (!r.ok() && r.code() != Errc::kMalformed) std::abort();
  ERR_clear_error();
}

// A value of group `id` (192 bytes for OAKLEY 5, 96 / 128 for OAKLEY 1 / 2) from the input: raw
// bytes, or g^k (valid), or -g^k (order 2q).
Bytes DhValueFrom(std::uint8_t id, const std::uint8_t* d, std::size_t n, std::uint8_t how) {
  const Harness::Group& h = H().groups[id];
  const std::size_t len = mikey::DhGroupBytes(id);
  Bytes v(len, 0);
  if (how % 3 == 0) {
    std::memcpy(v.data() + len - std::min(n, len), d, std::min(n, len));
    return v;
  }
  BnPtr k(BN_bin2bn(d, static_cast<int>(std::min<std::size_t>(n, 32)), nullptr)), y(BN_new());
  BnCtxPtr ctx(BN_CTX_new());
  Check(k && y && ctx && BN_mod_exp(y.get(), h.g.get(), k.get(), h.p.get(), ctx.get()) == 1);
  if (how % 3 == 2) Check(BN_sub(y.get(), h.p.get(), y.get()) == 1);  // -y: not in the subgroup
  Check(BN_bn2binpad(y.get(), v.data(), static_cast<int>(len)) == static_cast<int>(len));
  return v;
}

// A P-256 value from the input: raw bytes, or k*G uncompressed / compressed.
Bytes EcValueFrom(const std::uint8_t* d, std::size_t n, std::uint8_t how) {
  if (how % 3 == 0) return Bytes(d, d + std::min<std::size_t>(n, 140));
  OsslPtr<EC_GROUP, EC_GROUP_free> group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  OsslPtr<EC_POINT, EC_POINT_free> pt(group ? EC_POINT_new(group.get()) : nullptr);
  BnPtr k(BN_bin2bn(d, static_cast<int>(std::min<std::size_t>(n, 32)), nullptr));
  Check(pt && k && EC_POINT_mul(group.get(), pt.get(), k.get(), nullptr, nullptr, nullptr) == 1);
  const auto form = how % 3 == 1 ? POINT_CONVERSION_UNCOMPRESSED : POINT_CONVERSION_COMPRESSED;
  unsigned char buf[65];
  const std::size_t len = EC_POINT_point2oct(group.get(), pt.get(), form, buf, sizeof buf, nullptr);
  return Bytes(buf, buf + len);  // k = 0 gives the point at infinity (one 0x00 byte)
}

// The error-message paths on `data`: as an R_MESSAGE to a PSK initiator,
// as an I_MESSAGE refused by a PSK responder and answered, and (inputs
// starting 'X') as changes to a genuine error message.
void ErrorMessages(const std::uint8_t* data, std::size_t size) {
  Harness& h = H();
  const Bytes in(data, data + size);
  // Believed only if it is the genuine error message itself, which the
  // fuzzer can learn from the comparisons below.
  auto as_r = h.refused[0].ini->ProcessR(in);
  if (as_r.ok() || (as_r.code() == Errc::kPeerRefused && in != h.refused[0].error)) std::abort();
  mikey::Config psk = h.cr;
  psk.mode = mikey::Mode::kPsk;
  mikey::ReplayCache cache;
  mikey::Responder res(psk, &cache);
  auto verdict = res.ProcessI(in);
  if (!verdict.ok()) {
    auto e = res.BuildError(verdict.error(), in);
    if (e.ok()) {
      auto m = mikey::Decode(e->bytes);
      // Undecodable only when it echoes a PRF func the codec refuses.
      if (m.ok() ? m->hdr.data_type != mikey::DataType::kError || m->Find<mikey::ErrPayload>() == nullptr
                 : m.code() != Errc::kUnsupported) {
        std::abort();
      }
    }
  }
  ERR_clear_error();
  if (size < 2 || data[0] != 'X') return;
  const Harness::Refused& r = h.refused[data[1] % 5];
  Bytes changed = r.error;
  for (std::size_t k = 2; k + 2 < size; k += 3) {
    changed[((std::size_t{data[k]} << 8) | data[k + 1]) % changed.size()] ^= data[k + 2];
  }
  auto got = r.ini->ProcessR(changed);
  if (got.ok() || (got.code() == Errc::kPeerRefused) != (changed == r.error)) std::abort();
  ERR_clear_error();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = mikey::Decode(data, size);
  if (m.ok()) {
    auto again = mikey::Encode(*m);
    if (!again.ok() || *again != Bytes(data, data + size)) std::abort();
  }
  (void)mikey::DecodeKeyData(data, size, false);
  (void)mikey::DecodeKeyData(data, size, true);
  (void)mikey::ParseKeyMgmtValue(std::string_view(reinterpret_cast<const char*>(data), size));
  ErrorMessages(data, size);

  if (size >= 2 && (data[0] == 'D' || data[0] == '1' || data[0] == '2' || data[0] == 'E')) {
    const std::uint8_t how = data[1];
    if (data[0] != 'E') {
      const std::uint8_t id = data[0] == 'D' ? 0 : static_cast<std::uint8_t>(data[0] - '0');
      const Bytes v = DhValueFrom(id, data + 2, size - 2, how);
      Differential(mikey::Mode::kDhhmac, DhhmacWith(id, v), DhValueValid(id, v));
    } else {
      const Bytes v = EcValueFrom(data + 2, size - 2, how);
      Differential(mikey::Mode::kEcdhSigned, EcdhWith(v), EcPointValid(v));
    }
  }
  return 0;
}
