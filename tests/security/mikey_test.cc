// MIKEY key exchange: every mode gives both sides the same keys; every verification failure is an error value.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "security/mikey.h"
#include "test_pki.h"

namespace sipim::security::mikey {
namespace {

using testing::GetPki;
using testing::Pki;

struct Pair {
  Config i, r;
};

Pair MakeConfigs(Mode mode) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  Pair c;
  c.i.mode = c.r.mode = mode;
  c.i.psk = c.r.psk = ToBytes("0123456789abcdef0123456789abcdef");  // 32 bytes: a full PRF chunk
  c.i.initiator_uri = c.r.initiator_uri = "sip:alice@home.com";
  c.i.responder_uri = c.r.responder_uri = "sip:bob@home.com";
  c.i.self = &p.user("sip:alice@home.com");
  c.r.self = &p.user("sip:bob@home.com");
  c.i.peer_cert = p.user("sip:bob@home.com").cert.get();
  c.i.trust = c.r.trust = p.trust.get();
  return c;
}

std::string Hex(const Bytes& b) {
  std::string s;
  char buf[3];
  for (unsigned char c : b) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    s += buf;
  }
  return s;
}

// Builds the I_MESSAGE and returns what a fresh responder makes of it.
Errc ResponderVerdict(const Pair& c) {
  Initiator ini(c.i);
  auto i_msg = ini.BuildI();
  EXPECT_TRUE(i_msg.ok()) << i_msg.error().ToString();
  ReplayCache cache;
  Responder res(c.r, &cache);
  return res.ProcessI(*i_msg).code();
}

class MikeyMode : public ::testing::TestWithParam<Mode> {};

// The initiator and responder end with the same TGK, RAND and derived TEK/salt/auth keys.
TEST_P(MikeyMode, BothSidesDeriveTheSameKeys) {
  for (PrfFunc prf : {PrfFunc::kMikey1, PrfFunc::kHmacSha256}) {
    Pair c = MakeConfigs(GetParam());
    c.i.prf = prf;
    Initiator ini(c.i);
    ReplayCache cache;
    Responder res(c.r, &cache);
    auto i_msg = ini.BuildI();
    ASSERT_TRUE(i_msg.ok()) << i_msg.error().ToString();
    auto r_msg = res.ProcessI(*i_msg);
    ASSERT_TRUE(r_msg.ok()) << r_msg.error().ToString();
    ASSERT_FALSE(r_msg->empty());
    auto keys = ini.ProcessR(*r_msg);
    ASSERT_TRUE(keys.ok()) << keys.error().ToString();
    EXPECT_EQ(Hex(keys->tgk), Hex(res.keys().tgk));
    EXPECT_EQ(Hex(keys->rand), Hex(res.keys().rand));
    EXPECT_EQ(keys->prf, prf);
    EXPECT_EQ(res.keys().prf, prf);
    const std::size_t tgk_len = GetParam() == Mode::kDhSigned || GetParam() == Mode::kDhhmac ? 192u
                                : GetParam() == Mode::kEcdhSigned                          ? 32u
                                                                                            : 16u;
    EXPECT_EQ(keys->tgk.size(), tgk_len);
    auto a = keys->Derive(), b = res.keys().Derive();
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(Hex(a->tek), Hex(b->tek));
    EXPECT_EQ(Hex(a->salt), Hex(b->salt));
    EXPECT_EQ(Hex(a->auth_key), Hex(b->auth_key));
    // The HDR's one crypto session is CS ID 1, as a peer numbering the
    // SRTP-ID map from 1 derives it; CS ID 0 gives other keys.
    auto cs1 = DeriveSessionKeys(prf, keys->tgk, 1, keys->csb_id, keys->rand);
    auto cs0 = DeriveSessionKeys(prf, keys->tgk, 0, keys->csb_id, keys->rand);
    ASSERT_TRUE(cs1.ok() && cs0.ok());
    EXPECT_EQ(Hex(a->tek), Hex(cs1->tek));
    EXPECT_EQ(Hex(a->salt), Hex(cs1->salt));
    EXPECT_NE(Hex(a->tek), Hex(cs0->tek));
    EXPECT_EQ(res.peer_uri(), "sip:alice@home.com");
    // The messages decode and carry the data types of their mode.
    auto di = Decode(*i_msg), dr = Decode(*r_msg);
    ASSERT_TRUE(di.ok() && dr.ok());
    EXPECT_EQ(static_cast<int>(dr->hdr.data_type), static_cast<int>(di->hdr.data_type) + 1);
  }
}

// A flipped byte anywhere in the I_MESSAGE never yields an accepted exchange.
TEST_P(MikeyMode, TamperedIMessageRejected) {
  Pair c = MakeConfigs(GetParam());
  Initiator ini(c.i);
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok());
  for (std::size_t at = 0; at < i_msg->size(); at += 7) {
    Bytes bad = *i_msg;
    bad[at] ^= 0x04;
    ReplayCache cache;
    Responder res(c.r, &cache);
    auto r = res.ProcessI(bad);
    EXPECT_FALSE(r.ok()) << ModeName(GetParam()) << ": flip at " << at << " accepted";
  }
}

// A flipped byte in the R_MESSAGE is refused by the initiator.
TEST_P(MikeyMode, TamperedRMessageRejected) {
  Pair c = MakeConfigs(GetParam());
  Initiator ini(c.i);
  ReplayCache cache;
  Responder res(c.r, &cache);
  auto i_msg = ini.BuildI();
  auto r_msg = res.ProcessI(*i_msg);
  ASSERT_TRUE(r_msg.ok());
  // The last byte sits in the MAC or signature.
  Bytes bad = *r_msg;
  bad.back() ^= 0x01;
  auto k = ini.ProcessR(bad);
  EXPECT_TRUE(k.code() == Errc::kMacMismatch || k.code() == Errc::kBadSignature) << k.error().ToString();
}

// The replay cache across the NTP era rollover: a timestamp 4 s before the
// receiver's clock (which has wrapped) is inside a 120 s window, one 1 h
// before is not; a message remembered before the rollover is still a
// replay 100 s after it (it is not evicted as if 136 years old), and is
// evicted once it lies more than the window in the past.
TEST(MikeyReplayCache, WindowAndEvictionAcrossTheNtpEraRollover) {
  const std::uint64_t before = NtpSeconds(0xfffffffeULL), after = NtpSeconds(2);
  EXPECT_EQ(NtpDistance(before, after), NtpSeconds(4));
  EXPECT_EQ(NtpDistance(after, before), NtpSeconds(4));
  const Bytes rand(16, 0x5a);
  ReplayCache cache(120);
  EXPECT_TRUE(cache.Check(before, after, 1, rand).ok());
  EXPECT_TRUE(cache.Check(after, before, 1, rand).ok());
  EXPECT_EQ(cache.Check(NtpSeconds(0xffffffffULL - 3600), after, 1, rand).code(), Errc::kReplay);
  cache.Remember(before, 1, rand);
  EXPECT_EQ(cache.Check(before, NtpSeconds(100), 1, rand).code(), Errc::kReplay);
  // 300 s after the rollover the entry is 302 s old: evicted, and its
  // timestamp is refused by the window instead, now naming the distance.
  auto late = cache.Check(before, NtpSeconds(300), 1, rand);
  EXPECT_EQ(late.code(), Errc::kReplay);
  EXPECT_NE(late.error().message.find("is 302 s from the local clock"), std::string::npos) << late.error().message;
  // A fresh message at that time is accepted (the cache holds nothing stale).
  EXPECT_TRUE(cache.Check(NtpSeconds(300), NtpSeconds(300), 1, rand).ok());
}

// The same I_MESSAGE twice is a replay; a timestamp far from the clock is refused.
TEST_P(MikeyMode, ReplayRejected) {
  Pair c = MakeConfigs(GetParam());
  Initiator ini(c.i);
  ReplayCache cache;
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok());
  Responder r1(c.r, &cache), r2(c.r, &cache);
  ASSERT_TRUE(r1.ProcessI(*i_msg).ok());
  EXPECT_EQ(r2.ProcessI(*i_msg).code(), Errc::kReplay);
  Pair old = MakeConfigs(GetParam());
  old.i.now_ntp = NtpNow() - NtpSeconds(3600);
  Initiator late(old.i);
  auto stale = late.BuildI();
  ASSERT_TRUE(stale.ok());
  Responder r3(c.r, &cache);
  EXPECT_EQ(r3.ProcessI(*stale).code(), Errc::kReplay);
}

// NTP seconds wrap at 2^32 (2036-02-07, era 1). An I_MESSAGE stamped in
// the last second of era 0 and received 2 s into era 1 is 3 s old: the
// exchange completes both ways (the responder's T, in era 1, is checked by
// the initiator whose clock is still in era 0, as DH modes do). Before, the
// distance was taken without the wrap, 136 years, and both were refused.
TEST_P(MikeyMode, ExchangeAcrossTheNtpEraRollover) {
  constexpr std::uint64_t kLastSecondOfEra0 = NtpSeconds(0xffffffffULL);
  Pair c = MakeConfigs(GetParam());
  c.i.now_ntp = kLastSecondOfEra0;
  c.r.now_ntp = NtpSeconds(2);  // era 1: the seconds field starts again at 0
  Initiator ini(c.i);
  ReplayCache cache;
  Responder res(c.r, &cache);
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok()) << i_msg.error().ToString();
  auto r_msg = res.ProcessI(*i_msg);
  ASSERT_TRUE(r_msg.ok()) << r_msg.error().ToString();
  auto keys = ini.ProcessR(*r_msg);
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  EXPECT_EQ(Hex(keys->tgk), Hex(res.keys().tgk));
  // Still a replay when it comes again after the rollover.
  Responder again(c.r, &cache);
  EXPECT_EQ(again.ProcessI(*i_msg).code(), Errc::kReplay);
}

INSTANTIATE_TEST_SUITE_P(Mode, MikeyMode,
                         ::testing::Values(Mode::kPsk, Mode::kPke, Mode::kDhSigned, Mode::kDhhmac, Mode::kEcdhSigned),
                         [](const auto& info) {
                           std::string n = ModeName(info.param);
                           for (char& ch : n) if (ch == '-') ch = '_';
                           return n;
                         });

// Encodes a signed message (SIGN last) and signs it again with `signer` (RSASSA-PKCS1-v1_5 /
// SHA-256 over everything before the signature, as RFC 3830 §5.2).
Bytes SignedAgain(Message& m, const Identity& signer) {
  auto bytes = Encode(m);
  EXPECT_TRUE(bytes.ok());
  const std::size_t off = m.offsets.back() + 2;
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  std::size_t len = bytes->size() - off;
  EXPECT_EQ(EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, signer.key.get()), 1);
  EXPECT_EQ(EVP_DigestSign(md.get(), bytes->data() + off, &len, bytes->data(), off), 1);
  EXPECT_EQ(len, bytes->size() - off);
  return *bytes;
}

// Encodes a DHHMAC message (KEMAC last) with its KEMAC MAC computed again from `psk` with the
// I_MESSAGE's CSB ID and RAND (RFC 3830 §4.1.4), as a holder of the pre-shared key can.
Bytes MacedAgain(Message& m, const Bytes& psk, const Bytes& i_rand) {
  auto& kemac = std::get<KemacPayload>(m.payloads.back());
  kemac.mac_alg = 1;
  kemac.mac.assign(20, 0);
  auto bytes = Encode(m);
  EXPECT_TRUE(bytes.ok());
  auto mk = DeriveMessageKeys(m.hdr.prf, psk, m.hdr.csb_id, i_rand);
  EXPECT_TRUE(mk.ok());
  const std::size_t mac_off = bytes->size() - 20;  // KEMAC is last, its MAC the last 20 bytes
  auto mac = Hmac("SHA1", mk->auth_key, bytes->data(), mac_off);
  EXPECT_TRUE(mac.ok());
  std::copy(mac->begin(), mac->end(), bytes->begin() + static_cast<std::ptrdiff_t>(mac_off));
  return *bytes;
}

// How a test message is authenticated again after a change: signed by `signer`, or (DHHMAC, when
// `psk` is not empty) MACed under the PSK with the exchange's RAND.
struct Reauth {
  const Identity* signer = nullptr;
  Bytes psk, rand;
  Bytes Apply(Message& m) const { return psk.empty() ? SignedAgain(m, *signer) : MacedAgain(m, psk, rand); }
};

// Replaces the first DH value (DH payload or ECDH General Extension) of a signed or DHHMAC message by
// `value` and authenticates it again, so that only the value itself is wrong.
Bytes WithDhValue(const Bytes& msg, const Bytes& value, const Reauth& auth) {
  auto m = Decode(msg);
  EXPECT_TRUE(m.ok()) << m.error().ToString();
  for (Payload& pl : m->payloads) {
    if (auto* g = std::get_if<GeneralExtPayload>(&pl); g && g->type == kEcdhExtType) {
      g->data = value;
      break;
    }
    if (auto* d = std::get_if<DhPayload>(&pl)) {
      d->value = value;
      break;
    }
  }
  return auth.Apply(*m);
}

// The first DH value (DH payload or ECDH General Extension) of a message.
Bytes FirstDhValue(const Bytes& msg) {
  auto m = Decode(msg);
  EXPECT_TRUE(m.ok());
  for (const Payload& pl : m->payloads) {
    if (const auto* g = std::get_if<GeneralExtPayload>(&pl); g && g->type == kEcdhExtType) return g->data;
    if (const auto* d = std::get_if<DhPayload>(&pl)) return d->value;
  }
  return {};
}

using NamedValues = std::vector<std::pair<const char*, Bytes>>;

// How the initiator's (`initiator` true) or the responder's messages of the exchange `c` whose
// I_MESSAGE is `i_msg` are authenticated again: DHHMAC MACs under the PSK and I's RAND, the signed
// modes sign as alice or bob.
Reauth ReauthOf(const Pair& c, const Bytes& i_msg, bool initiator) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  Reauth a;
  a.signer = &p.user(initiator ? "sip:alice@home.com" : "sip:bob@home.com");
  if (c.i.mode == Mode::kDhhmac) {
    auto m = Decode(i_msg);
    EXPECT_TRUE(m.ok() && m->Find<RandPayload>() != nullptr);
    a.psk = c.i.psk;
    a.rand = m->Find<RandPayload>()->rand;
  }
  return a;
}

// Each `bad` value in place of the initiator's DH value in `i_msg` (authenticated again as alice)
// and then of the responder's in its R_MESSAGE (as bob) is refused as malformed; the original
// value is accepted (so the re-authentication is right) and `ini` still completes the exchange after.
void ExpectDhValuesRefused(const Pair& c, Initiator& ini, const Bytes& i_msg, const NamedValues& bad) {
  const Reauth alice = ReauthOf(c, i_msg, true), bob = ReauthOf(c, i_msg, false);
  {
    ReplayCache cache;
    EXPECT_TRUE(Responder(c.r, &cache).ProcessI(WithDhValue(i_msg, FirstDhValue(i_msg), alice)).ok());
  }
  for (const auto& [what, value] : bad) {
    ReplayCache cache;
    auto r = Responder(c.r, &cache).ProcessI(WithDhValue(i_msg, value, alice));
    EXPECT_EQ(r.code(), Errc::kMalformed) << "I_MESSAGE with " << what << ": " << r.error().ToString();
  }
  ReplayCache cache;
  Responder res(c.r, &cache);
  auto r_msg = res.ProcessI(i_msg);
  ASSERT_TRUE(r_msg.ok()) << r_msg.error().ToString();
  for (const auto& [what, value] : bad) {
    EXPECT_EQ(ini.ProcessR(WithDhValue(*r_msg, value, bob)).code(), Errc::kMalformed) << "R_MESSAGE with " << what;
  }
  auto keys = ini.ProcessR(*r_msg);
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  EXPECT_EQ(Hex(keys->tgk), Hex(res.keys().tgk));
}

// ECDH-ext: a correctly signed message whose P-256 value is not a valid point (off the curve, the
// point at infinity, coordinates >= p, (0, 0), wrong length, empty) is refused as malformed on
// both sides.
TEST(Mikey, EcdhInvalidPeerPointsRefusedEvenWhenSigned) {
  Pair c = MakeConfigs(Mode::kEcdhSigned);
  Initiator ini(c.i);
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok());
  const Bytes good = FirstDhValue(*i_msg);
  ASSERT_EQ(good.size(), 65u);
  Bytes off_curve = good;
  off_curve.back() ^= 0x01;
  Bytes too_big(65, 0xFF);
  too_big[0] = 0x04;
  Bytes zero_point(65, 0x00);
  zero_point[0] = 0x04;
  ExpectDhValuesRefused(c, ini, *i_msg,
                        {{"off the curve", off_curve},
                         {"infinity", Bytes{0x00}},
                         {"coordinates >= p", too_big},
                         {"(0, 0)", zero_point},
                         {"64 bytes", Bytes(good.begin(), good.end() - 1)},
                         {"empty", Bytes{}}});
}

constexpr DhGroup kAllGroups[] = {DhGroup::kOakley5, DhGroup::kOakley1, DhGroup::kOakley2};

std::size_t GroupBytes(DhGroup g) { return DhGroupBytes(static_cast<std::uint8_t>(g)); }

// A group's prime p, big-endian in the group's length: OAKLEY 5 (modp_1536) as OpenSSL's named
// group has it, OAKLEY 1 and 2 from OpenSSL's RFC 2409 constants.
Bytes GroupPrime(DhGroup g) {
  OsslPtr<BIGNUM, BN_free> p;
  if (g == DhGroup::kOakley5) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
    EVP_PKEY* params = nullptr;
    OSSL_PARAM set[] = {OSSL_PARAM_construct_utf8_string("group", const_cast<char*>("modp_1536"), 0),
                        OSSL_PARAM_construct_end()};
    EXPECT_TRUE(ctx && EVP_PKEY_paramgen_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_params(ctx.get(), set) == 1 &&
                EVP_PKEY_paramgen(ctx.get(), &params) == 1);
    EvpPkeyPtr owner(params);
    BIGNUM* raw = nullptr;
    EXPECT_EQ(EVP_PKEY_get_bn_param(params, "p", &raw), 1);
    p.reset(raw);
  } else {
    p.reset(g == DhGroup::kOakley1 ? BN_get_rfc2409_prime_768(nullptr) : BN_get_rfc2409_prime_1024(nullptr));
  }
  const int n = static_cast<int>(GroupBytes(g));
  Bytes out(static_cast<std::size_t>(n));
  EXPECT_EQ(p ? BN_bn2binpad(p.get(), out.data(), n) : -1, n);
  return out;
}

// Big-endian p + delta (delta small).
Bytes PrimePlus(const Bytes& p, int delta) {
  Bytes v = p;
  int carry = delta;
  for (std::size_t i = v.size(); i-- > 0 && carry != 0;) {
    const int x = v[i] + carry;
    v[i] = static_cast<unsigned char>(x & 0xFF);
    carry = x >> 8;  // arithmetic shift: -1 for a borrow
  }
  return v;
}

std::string Label(Mode mode, DhGroup g) { return std::string(ModeName(mode)) + " " + DhGroupName(g); }

// DH and DHHMAC, in each group: an authenticated message (signed, or MACed with the PSK) whose DH
// value is outside the prime-order subgroup (0, 1, p-1, p-2 = a non-residue of order 2q, p, p+1,
// and all-ones above p) is refused as malformed on both sides. This needs both the range test and
// the Legendre test to use the group's own prime: with OAKLEY 5's prime, p-2 and p of OAKLEY 1 or
// 2 would pass as values below it.
TEST(Mikey, DhValuesOutsideTheSubgroupRefusedEvenWhenAuthenticated) {
  for (Mode mode : {Mode::kDhSigned, Mode::kDhhmac}) {
    for (DhGroup g : kAllGroups) {
      SCOPED_TRACE(Label(mode, g));
      Pair c = MakeConfigs(mode);
      c.i.dh_group = g;
      Initiator ini(c.i);
      auto i_msg = ini.BuildI();
      ASSERT_TRUE(i_msg.ok()) << i_msg.error().ToString();
      const std::size_t n = GroupBytes(g);
      ASSERT_EQ(FirstDhValue(*i_msg).size(), n);
      const Bytes prime = GroupPrime(g);
      ExpectDhValuesRefused(c, ini, *i_msg,
                            {{"0", Bytes(n, 0)},
                             {"1", PrimePlus(Bytes(n, 0), 1)},
                             {"p-1", PrimePlus(prime, -1)},
                             {"p-2 (order 2q)", PrimePlus(prime, -2)},
                             {"p", prime},
                             {"p+1", PrimePlus(prime, 1)},
                             {"all ones, above p", Bytes(n, 0xFF)}});
    }
  }
}

// The DH payload of a message: its offset in the wire bytes, and the payload.
std::pair<std::size_t, DhPayload> DhPayloadAt(const Bytes& msg, std::size_t nth = 0) {
  auto m = Decode(msg);
  EXPECT_TRUE(m.ok()) << m.error().ToString();
  for (std::size_t k = 0, seen = 0; k < m->payloads.size(); ++k) {
    if (const auto* d = std::get_if<DhPayload>(&m->payloads[k]); d && seen++ == nth) return {m->offsets[k], *d};
  }
  ADD_FAILURE() << "no DH payload";
  return {0, {}};
}

// One DH or DHHMAC exchange up to the R_MESSAGE, the initiator choosing `g` and the responder
// configured with `responder_g` (which it must not use: it answers in the initiator's group).
struct GroupExchange {
  Pair c;
  std::unique_ptr<Initiator> ini;
  Bytes i, r;
};
GroupExchange ExchangeIn(Mode mode, DhGroup g, DhGroup responder_g = DhGroup::kOakley5) {
  GroupExchange e{MakeConfigs(mode), nullptr, {}, {}};
  e.c.i.dh_group = g;
  e.c.r.dh_group = responder_g;
  e.ini = std::make_unique<Initiator>(e.c.i);
  auto i_msg = e.ini->BuildI();
  EXPECT_TRUE(i_msg.ok()) << i_msg.error().ToString();
  if (!i_msg.ok()) return e;
  e.i = *i_msg;
  ReplayCache cache;
  auto r_msg = Responder(e.c.r, &cache).ProcessI(e.i);
  EXPECT_TRUE(r_msg.ok()) << r_msg.error().ToString();
  if (r_msg.ok()) e.r = *r_msg;
  return e;
}

// DH and DHHMAC key agreement in each group the initiator chooses: both sides end with the same
// TGK, as long as the group's prime (96 / 128 / 192 bytes), and the same TEK, salt and auth key;
// the I_MESSAGE's DH payload and both of the R_MESSAGE's carry the chosen group id and a value of
// exactly the prime's length. The responder is configured with another group, so an answer in its
// own setting instead of the initiator's fails. A default Config still chooses OAKLEY 5.
TEST(Mikey, DhKeyAgreementInEveryGroup) {
  EXPECT_EQ(Config{}.dh_group, DhGroup::kOakley5);
  for (Mode mode : {Mode::kDhSigned, Mode::kDhhmac}) {
    for (DhGroup g : kAllGroups) {
      SCOPED_TRACE(Label(mode, g));
      const DhGroup other = g == DhGroup::kOakley2 ? DhGroup::kOakley5 : DhGroup::kOakley2;
      const Pair c = MakeConfigs(mode);
      Config ci = c.i, cr = c.r;
      ci.dh_group = g;
      cr.dh_group = other;
      Initiator ini(ci);
      ReplayCache cache;
      Responder res(cr, &cache);
      auto i_msg = ini.BuildI();
      ASSERT_TRUE(i_msg.ok()) << i_msg.error().ToString();
      auto r_msg = res.ProcessI(*i_msg);
      ASSERT_TRUE(r_msg.ok()) << r_msg.error().ToString();
      auto keys = ini.ProcessR(*r_msg);
      ASSERT_TRUE(keys.ok()) << keys.error().ToString();
      const std::size_t n = GroupBytes(g);
      EXPECT_EQ(keys->tgk.size(), n);
      EXPECT_EQ(Hex(keys->tgk), Hex(res.keys().tgk));
      auto a = keys->Derive(), b = res.keys().Derive();
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(Hex(a->tek), Hex(b->tek));
      EXPECT_EQ(Hex(a->salt), Hex(b->salt));
      EXPECT_EQ(Hex(a->auth_key), Hex(b->auth_key));
      const auto [i_off, dhi] = DhPayloadAt(*i_msg);
      EXPECT_EQ(dhi.group, static_cast<std::uint8_t>(g));
      EXPECT_EQ(dhi.value.size(), n);
      EXPECT_EQ((*i_msg)[i_off + 1], static_cast<std::uint8_t>(g));  // the DH-Group byte on the wire
      for (std::size_t k : {0u, 1u}) {
        const auto [off, d] = DhPayloadAt(*r_msg, k);
        EXPECT_EQ(d.group, static_cast<std::uint8_t>(g)) << "R_MESSAGE DH payload " << k;
        EXPECT_EQ(d.value.size(), n) << "R_MESSAGE DH payload " << k;
      }
      EXPECT_EQ(DhPayloadAt(*r_msg, 1).second.value, dhi.value);  // DHi echoed
    }
  }
}

// The Legendre-symbol subgroup test is full validation only for a safe prime p = 2q + 1 whose
// generator 2 lies in the order-q subgroup. OAKLEY 1 and 2 as OpenSSL gives them (what the code
// uses): p and q are prime, p = 7 mod 8 (so (2|p) = 1), the RFC 2409 §6.1 / §6.2 leading and
// trailing 64 bits are there, and the lengths are 768 and 1024 bits.
TEST(Mikey, Oakley1And2AreSafePrimesWithGeneratorInTheSubgroup) {
  OsslPtr<BN_CTX, BN_CTX_free> ctx(BN_CTX_new());
  ASSERT_TRUE(ctx);
  for (DhGroup g : {DhGroup::kOakley1, DhGroup::kOakley2}) {
    SCOPED_TRACE(DhGroupName(g));
    const Bytes pb = GroupPrime(g);
    OsslPtr<BIGNUM, BN_free> p(BN_bin2bn(pb.data(), static_cast<int>(pb.size()), nullptr)), q(BN_new()),
        two(BN_new());
    ASSERT_TRUE(p && q && two && BN_rshift1(q.get(), p.get()) == 1 && BN_set_word(two.get(), 2) == 1);
    EXPECT_EQ(BN_num_bits(p.get()), g == DhGroup::kOakley1 ? 768 : 1024);
    EXPECT_EQ(BN_check_prime(p.get(), ctx.get(), nullptr), 1);
    EXPECT_EQ(BN_check_prime(q.get(), ctx.get(), nullptr), 1);  // q = (p-1)/2
    EXPECT_EQ(BN_mod_word(p.get(), 8), 7u);
    EXPECT_EQ(BN_kronecker(two.get(), p.get(), ctx.get()), 1);
    EXPECT_EQ(Hex(Bytes(pb.begin(), pb.begin() + 16)), "ffffffffffffffffc90fdaa22168c234");
    EXPECT_EQ(Hex(Bytes(pb.end() - 8, pb.end())), "ffffffffffffffff");
  }
}

// Whether `msg` with a change is refused: as an I_MESSAGE by a fresh responder of `e`, as an
// R_MESSAGE by `e`'s initiator.
bool Refused(GroupExchange& e, const Bytes* msg, const Bytes& changed) {
  ReplayCache cache;
  return msg == &e.i ? !Responder(e.c.r, &cache).ProcessI(changed).ok() : !e.ini->ProcessR(changed).ok();
}

// A DH value that is not as long as its group's prime cannot be sent or slip through as another
// group's: the encoder refuses (malformed) a value one byte short or long for each group. On the
// wire the value has no length field, its group's prime sets it: a DH payload whose group byte is
// changed to another group's (so its value is read 32 or 64 bytes short or long), or whose value
// has 8 bytes inserted after it, is refused by the responder (DH and DHHMAC) and by the initiator.
// The error is whatever the decoder or the authentication then finds (a payload type, a length, a
// MAC or signature), so only the refusal is asserted.
TEST(Mikey, DhValueOfTheWrongLengthForItsGroupRefused) {
  for (DhGroup g : kAllGroups) {
    for (std::size_t len : {GroupBytes(g) - 1, GroupBytes(g) + 1}) {
      Message m;
      DhPayload d;
      d.group = static_cast<std::uint8_t>(g);
      d.value = Bytes(len, 0x42);
      m.payloads.push_back(d);
      EXPECT_EQ(Encode(m).code(), Errc::kMalformed) << DhGroupName(g) << ", " << len << " bytes";
    }
  }
  for (Mode mode : {Mode::kDhSigned, Mode::kDhhmac}) {
    for (DhGroup g : kAllGroups) {
      SCOPED_TRACE(Label(mode, g));
      GroupExchange e = ExchangeIn(mode, g);
      ASSERT_FALSE(e.r.empty());
      for (const Bytes* msg : {&e.i, &e.r}) {
        const char* which = msg == &e.i ? "I_MESSAGE" : "R_MESSAGE";
        const std::size_t at = DhPayloadAt(*msg).first;
        // The group byte changed to another group's: the value is read with the other length.
        for (DhGroup other : kAllGroups) {
          if (other == g) continue;
          Bytes wrong = *msg;
          wrong[at + 1] = static_cast<std::uint8_t>(other);
          EXPECT_TRUE(Refused(e, msg, wrong)) << which << " as " << DhGroupName(other);
        }
        // Eight zero bytes after the value: a value 8 bytes longer than the group's.
        Bytes longer = *msg;
        longer.insert(longer.begin() + static_cast<std::ptrdiff_t>(at + 2 + GroupBytes(g)), 8, 0);
        EXPECT_TRUE(Refused(e, msg, longer)) << which << ", value 8 bytes longer";
      }
      EXPECT_TRUE(e.ini->ProcessR(e.r).ok());  // the untouched answer still completes
    }
  }
}

// The responder answers a group-1 I_MESSAGE in group 1 (both DH payloads of R); an unknown group
// id (3, in place of the I_MESSAGE's group byte) is refused as unsupported with an error that
// names it, and so is an initiator configured with it.
TEST(Mikey, ResponderAnswersInTheInitiatorsGroupAndRefusesUnknownOnes) {
  for (Mode mode : {Mode::kDhSigned, Mode::kDhhmac}) {
    SCOPED_TRACE(ModeName(mode));
    GroupExchange e = ExchangeIn(mode, DhGroup::kOakley1);  // the responder's own setting: OAKLEY 5
    ASSERT_FALSE(e.r.empty());
    EXPECT_EQ(DhPayloadAt(e.r, 0).second.group, 1);
    EXPECT_EQ(DhPayloadAt(e.r, 1).second.group, 1);
    EXPECT_TRUE(e.ini->ProcessR(e.r).ok());
    Bytes unknown = e.i;
    unknown[DhPayloadAt(e.i).first + 1] = 3;
    ReplayCache fresh;
    auto refused = Responder(e.c.r, &fresh).ProcessI(unknown);
    EXPECT_EQ(refused.code(), Errc::kUnsupported);
    EXPECT_NE(refused.error().ToString().find("DH group 3"), std::string::npos) << refused.error().ToString();
    Config bad = e.c.i;
    bad.dh_group = static_cast<DhGroup>(3);
    auto not_built = Initiator(bad).BuildI();
    EXPECT_EQ(not_built.code(), Errc::kUnsupported);
    EXPECT_NE(not_built.error().ToString().find("DH group 3"), std::string::npos) << not_built.error().ToString();
  }
}

// An R_MESSAGE that answers in another group than the I_MESSAGE offered (here: an OAKLEY 1 offer
// answered with OAKLEY 2 values, authenticated again as bob) is refused as malformed, naming both.
TEST(Mikey, InitiatorRefusesAnAnswerInAnotherGroup) {
  for (Mode mode : {Mode::kDhSigned, Mode::kDhhmac}) {
    SCOPED_TRACE(ModeName(mode));
    GroupExchange e = ExchangeIn(mode, DhGroup::kOakley1);
    const GroupExchange e2 = ExchangeIn(mode, DhGroup::kOakley2);  // valid OAKLEY 2 values
    ASSERT_FALSE(e.r.empty() || e2.r.empty());
    auto m = Decode(e.r);
    ASSERT_TRUE(m.ok());
    for (std::size_t k = 0, seen = 0; k < m->payloads.size(); ++k) {
      if (auto* d = std::get_if<DhPayload>(&m->payloads[k])) *d = DhPayloadAt(e2.r, seen++).second;
    }
    auto got = e.ini->ProcessR(ReauthOf(e.c, e.i, false).Apply(*m));
    EXPECT_EQ(got.code(), Errc::kMalformed);
    EXPECT_NE(got.error().ToString().find("OAKLEY 2"), std::string::npos) << got.error().ToString();
    EXPECT_NE(got.error().ToString().find("OAKLEY 1"), std::string::npos) << got.error().ToString();
  }
}

// A responder with min_dh_bits = 1024 refuses an OAKLEY 1 (768-bit) I_MESSAGE as unsupported,
// naming the group and the minimum, and keeps no keys from it; it still answers OAKLEY 2 and 5.
// An initiator with the same minimum refuses to offer OAKLEY 1. The default (0) accepts all three.
TEST(Mikey, MinimumDhGroupRefusesWeakerGroups) {
  for (Mode mode : {Mode::kDhSigned, Mode::kDhhmac}) {
    SCOPED_TRACE(ModeName(mode));
    for (DhGroup g : kAllGroups) {
      GroupExchange e = ExchangeIn(mode, g);
      ASSERT_FALSE(e.r.empty()) << DhGroupName(g);  // default: every group answered
      Config strict = e.c.r;
      strict.min_dh_bits = 1024;
      ReplayCache fresh;
      Responder responder(strict, &fresh);
      auto r = responder.ProcessI(e.i);
      if (g == DhGroup::kOakley1) {
        EXPECT_EQ(r.code(), Errc::kUnsupported);
        const std::string text = r.ok() ? "" : r.error().ToString();
        EXPECT_NE(text.find("OAKLEY 1 (768-bit prime)"), std::string::npos) << text;
        EXPECT_NE(text.find("minimum of 1024 bits"), std::string::npos) << text;
        EXPECT_TRUE(responder.keys().tgk.empty());
      } else {
        EXPECT_TRUE(r.ok()) << DhGroupName(g) << ": " << r.error().ToString();
      }
    }
    Config weak = MakeConfigs(mode).i;
    weak.dh_group = DhGroup::kOakley1;
    weak.min_dh_bits = 1024;
    auto refused = Initiator(weak).BuildI();
    EXPECT_EQ(refused.code(), Errc::kUnsupported);
  }
}

// A different pre-shared key is a MAC mismatch (PSK and DHHMAC).
TEST(Mikey, WrongPskIsMacMismatch) {
  for (Mode mode : {Mode::kPsk, Mode::kDhhmac}) {
    Pair c = MakeConfigs(mode);
    c.r.psk = ToBytes("another key of 32 bytes, exactly");
    EXPECT_EQ(ResponderVerdict(c), Errc::kMacMismatch) << ModeName(mode);
  }
}

// PSK without the V flag: no R_MESSAGE, and the initiator's keys equal the responder's.
TEST(Mikey, PskWithoutVerification) {
  Pair c = MakeConfigs(Mode::kPsk);
  c.i.want_verify = false;
  Initiator ini(c.i);
  ReplayCache cache;
  Responder res(c.r, &cache);
  auto i_msg = ini.BuildI();
  auto r = res.ProcessI(*i_msg);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  auto k = ini.KeysWithoutResponse();
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(Hex(k->tgk), Hex(res.keys().tgk));
}

// PKE: a responder that is not the addressee cannot decrypt the envelope key and is told so.
TEST(Mikey, PkeForSomeoneElse) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  Pair c = MakeConfigs(Mode::kPke);
  c.r.self = &p.user("sip:carol@home.com");
  c.r.responder_uri = "sip:carol@home.com";
  Initiator ini(c.i);
  ReplayCache cache;
  Responder res(c.r, &cache);
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok());
  EXPECT_EQ(res.ProcessI(*i_msg).code(), Errc::kNotRecipient);  // IDr names bob
  c.r.responder_uri = "";  // carol ignores IDr: then the envelope key does not decrypt
  ReplayCache fresh;
  Responder res3(c.r, &fresh);
  EXPECT_EQ(res3.ProcessI(*i_msg).code(), Errc::kTampered);
}

// Signed modes: a certificate from an untrusted CA is refused as unknown CA.
TEST(Mikey, UntrustedSignerRefused) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  auto mallory = p.rogue_ca.Issue("sip:alice@home.com", testing::CachedKey(KeyAlg::kRsa2048, "mallory"), KeyAlg::kRsa2048);
  ASSERT_TRUE(mallory.ok());
  for (Mode mode : {Mode::kPke, Mode::kDhSigned, Mode::kEcdhSigned}) {
    Pair c = MakeConfigs(mode);
    c.i.self = &*mallory;
    EXPECT_EQ(ResponderVerdict(c), Errc::kUnknownCa) << ModeName(mode);
  }
}

// DH: an R_MESSAGE signed by someone other than the expected responder is a From mismatch.
TEST(Mikey, DhResponderIdentityChecked) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  Pair c = MakeConfigs(Mode::kDhSigned);
  c.r.self = &p.user("sip:carol@home.com");
  c.r.responder_uri = "";
  Initiator ini(c.i);
  ReplayCache cache;
  Responder res(c.r, &cache);
  auto i_msg = ini.BuildI();
  auto r_msg = res.ProcessI(*i_msg);
  ASSERT_TRUE(r_msg.ok()) << r_msg.error().ToString();
  EXPECT_EQ(ini.ProcessR(*r_msg).code(), Errc::kFromMismatch);
}

// Signed modes with certificate caches: keys agree, the peer's CERT is parsed once, and every refusal keeps its code.
TEST(Mikey, CertCacheKeepsKeysAndVerdicts) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  auto mallory = p.rogue_ca.Issue("sip:alice@home.com", testing::CachedKey(KeyAlg::kRsa2048, "mallory"), KeyAlg::kRsa2048);
  ASSERT_TRUE(mallory.ok());
  for (Mode mode : {Mode::kPke, Mode::kDhSigned, Mode::kEcdhSigned}) {
    CertCache ci, cr;
    Pair c = MakeConfigs(mode);
    c.i.cert_cache = &ci;
    c.r.cert_cache = &cr;
    for (int round = 0; round < 2; ++round) {
      Initiator ini(c.i);
      ReplayCache replay;
      Responder res(c.r, &replay);
      auto i_msg = ini.BuildI();
      ASSERT_TRUE(i_msg.ok()) << i_msg.error().ToString();
      auto r_msg = res.ProcessI(*i_msg);
      ASSERT_TRUE(r_msg.ok()) << ModeName(mode) << ": " << r_msg.error().ToString();
      auto keys = ini.ProcessR(*r_msg);
      ASSERT_TRUE(keys.ok()) << ModeName(mode) << ": " << keys.error().ToString();
      EXPECT_EQ(Hex(keys->tgk), Hex(res.keys().tgk));
      Bytes bad = *i_msg;
      bad.back() ^= 0x01;  // inside SIGN
      ReplayCache replay2;
      EXPECT_EQ(Responder(c.r, &replay2).ProcessI(bad).code(), Errc::kBadSignature) << ModeName(mode);
    }
    EXPECT_EQ(cr.parses(), 1u) << ModeName(mode);
    EXPECT_EQ(cr.full_chain_checks(), 1u) << ModeName(mode);
    c.i.self = &*mallory;  // same AOR, untrusted CA: refused although alice's certificate is cached
    EXPECT_EQ(ResponderVerdict(c), Errc::kUnknownCa) << ModeName(mode);
  }
}

// RFC 3830 §5.4: only an authenticated I_MESSAGE enters the replay cache. A forged copy that
// reuses a real message's CSB ID, T and RAND (here: the real message with its MAC or
// signature broken) is refused, and the real message arriving after it is still accepted,
// not refused as a replay of the forgery.
TEST(Mikey, ForgedCopyDoesNotPoisonReplayCache) {
  for (Mode mode : {Mode::kPsk, Mode::kPke, Mode::kDhSigned, Mode::kDhhmac, Mode::kEcdhSigned}) {
    Pair c = MakeConfigs(mode);
    Initiator ini(c.i);
    auto i_msg = ini.BuildI();
    ASSERT_TRUE(i_msg.ok()) << i_msg.error().ToString();
    Bytes forged = *i_msg;
    forged.back() ^= 0x01;  // the last byte is inside the KEMAC MAC or the signature
    ReplayCache cache;
    const Errc forged_verdict = Responder(c.r, &cache).ProcessI(forged).code();
    EXPECT_TRUE(forged_verdict == Errc::kMacMismatch || forged_verdict == Errc::kBadSignature)
        << ModeName(mode) << ": " << ErrcName(forged_verdict);
    auto real = Responder(c.r, &cache).ProcessI(*i_msg);
    EXPECT_TRUE(real.ok()) << ModeName(mode) << ": " << real.error().ToString();
    EXPECT_EQ(Responder(c.r, &cache).ProcessI(*i_msg).code(), Errc::kReplay) << ModeName(mode);
  }
}

// A refused I_MESSAGE leaves the responder as it was: keys() and peer_uri() still hold the last
// verified exchange, never the RAND, CSB ID or PRF of a message whose MAC or signature failed
// (RFC 3830 §5.3: nothing from an unverified message is used).
TEST(Mikey, RefusedIMessageLeavesResponderKeys) {
  for (Mode mode : {Mode::kPsk, Mode::kPke, Mode::kDhSigned, Mode::kDhhmac, Mode::kEcdhSigned}) {
    Pair c = MakeConfigs(mode);
    ReplayCache cache;
    Responder res(c.r, &cache);
    Initiator first(c.i);
    auto i1 = first.BuildI();
    ASSERT_TRUE(i1.ok());
    ASSERT_TRUE(res.ProcessI(*i1).ok()) << ModeName(mode);
    const KeyMaterial before = res.keys();
    Pair other = MakeConfigs(mode);
    other.i.csb_id = 0x55555555;
    other.i.prf = PrfFunc::kHmacSha256;
    Initiator second(other.i);
    auto i2 = second.BuildI();
    ASSERT_TRUE(i2.ok());
    Bytes forged = *i2;
    forged.back() ^= 0x01;  // inside the KEMAC MAC or the signature
    EXPECT_FALSE(res.ProcessI(forged).ok()) << ModeName(mode);
    EXPECT_EQ(Hex(res.keys().tgk), Hex(before.tgk)) << ModeName(mode);
    EXPECT_EQ(Hex(res.keys().rand), Hex(before.rand)) << ModeName(mode);
    EXPECT_EQ(res.keys().csb_id, before.csb_id) << ModeName(mode);
    EXPECT_EQ(res.keys().prf, before.prf) << ModeName(mode);
    EXPECT_EQ(res.peer_uri(), "sip:alice@home.com") << ModeName(mode);
  }
}

// Replaces the CERT payload of a signed message by `signer`'s certificate and signs it again
// with `signer`'s key.
Bytes ResignedBy(const Bytes& msg, const Identity& signer) {
  auto m = Decode(msg);
  EXPECT_TRUE(m.ok()) << m.error().ToString();
  const std::string_view der = KeptCertDer(signer);
  for (Payload& pl : m->payloads) {
    if (auto* cp = std::get_if<CertPayload>(&pl)) cp->data.assign(der.begin(), der.end());
  }
  return SignedAgain(*m, signer);
}

// Signed DH (RFC 3830 §3.3): the R_MESSAGE's IDi names the peer the responder believes it keyed
// with, and the initiator must check it is itself. Carol (a trusted certificate) re-signs
// alice's I_MESSAGE as her own; bob answers carol (IDi = carol) with a valid signed R_MESSAGE,
// which carol forwards to alice. Alice would share a key with bob that bob attributes to carol
// (an unknown-key-share); she refuses the R_MESSAGE as naming someone else.
TEST(Mikey, DhInitiatorChecksIdiInResponse) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  for (Mode mode : {Mode::kDhSigned, Mode::kEcdhSigned}) {
    Pair c = MakeConfigs(mode);
    Initiator ini(c.i);
    auto i_msg = ini.BuildI();
    ASSERT_TRUE(i_msg.ok()) << i_msg.error().ToString();
    ReplayCache cache;
    Responder bob(c.r, &cache);
    auto r_msg = bob.ProcessI(ResignedBy(*i_msg, p.user("sip:carol@home.com")));
    ASSERT_TRUE(r_msg.ok()) << ModeName(mode) << ": " << r_msg.error().ToString();
    ASSERT_EQ(bob.peer_uri(), "sip:carol@home.com");
    EXPECT_EQ(ini.ProcessR(*r_msg).code(), Errc::kFromMismatch) << ModeName(mode);
  }
}

// DHHMAC (RFC 4650) with a pre-shared key that carol holds too: carol rewrites IDi of alice's
// I_MESSAGE to herself and computes the KEMAC MAC again; alice refuses bob's answer to carol.
TEST(Mikey, DhhmacInitiatorChecksIdiInResponse) {
  Pair c = MakeConfigs(Mode::kDhhmac);
  Initiator ini(c.i);
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok()) << i_msg.error().ToString();
  auto m = Decode(*i_msg);
  ASSERT_TRUE(m.ok());
  std::get<IdPayload>(m->payloads[static_cast<std::size_t>(m->IndexOf(kId))]).id = ToBytes("sip:carol@home.com");
  ReplayCache cache;
  Responder bob(c.r, &cache);
  auto r_msg = bob.ProcessI(MacedAgain(*m, c.i.psk, m->Find<RandPayload>()->rand));
  ASSERT_TRUE(r_msg.ok()) << r_msg.error().ToString();
  ASSERT_EQ(bob.peer_uri(), "sip:carol@home.com");
  EXPECT_EQ(ini.ProcessR(*r_msg).code(), Errc::kFromMismatch);
}

// DHHMAC (RFC 4650): the KEMAC carries only the MAC, its encr alg is NULL and its encr data
// empty (the key comes from DH). A KEMAC with AES-CM and encrypted data, correctly MACed, is
// refused as malformed in the I_MESSAGE and in the R_MESSAGE, not accepted with its content
// ignored.
TEST(Mikey, DhhmacKemacMustBeNullEncryption) {
  Pair c = MakeConfigs(Mode::kDhhmac);
  Initiator ini(c.i);
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok()) << i_msg.error().ToString();
  auto mi = Decode(*i_msg);
  ASSERT_TRUE(mi.ok());
  const Bytes i_rand = mi->Find<RandPayload>()->rand;
  Message with_data = *mi;
  std::get<KemacPayload>(with_data.payloads.back()).encr_alg = 1;
  std::get<KemacPayload>(with_data.payloads.back()).encr_data = Bytes(20, 0x5A);
  {
    ReplayCache cache;
    EXPECT_EQ(Responder(c.r, &cache).ProcessI(MacedAgain(with_data, c.i.psk, i_rand)).code(), Errc::kMalformed);
  }
  ReplayCache cache;
  Responder bob(c.r, &cache);
  auto r_msg = bob.ProcessI(*i_msg);
  ASSERT_TRUE(r_msg.ok()) << r_msg.error().ToString();
  auto mr = Decode(*r_msg);
  ASSERT_TRUE(mr.ok());
  std::get<KemacPayload>(mr->payloads.back()).encr_alg = 1;
  std::get<KemacPayload>(mr->payloads.back()).encr_data = Bytes(20, 0x5A);
  EXPECT_EQ(ini.ProcessR(MacedAgain(*mr, c.i.psk, i_rand)).code(), Errc::kMalformed);
  EXPECT_TRUE(ini.ProcessR(*r_msg).ok());
}

// ------------------------------------------------------------ MIKEY error messages (RFC 3830 §5.1.2, §6.12)

constexpr Mode kAllModes[] = {Mode::kPsk, Mode::kPke, Mode::kDhSigned, Mode::kDhhmac, Mode::kEcdhSigned};

// What a responder configured as `r` (with `cache`, fresh when null) makes of `i`: its refusal and the
// error message it builds for it.
struct Refusal {
  Error error;
  Result<ErrorMessage> message = Error{};
};
Refusal RefuseAndAnswer(const Config& r, const Bytes& i, ReplayCache* cache = nullptr) {
  ReplayCache fresh;
  Responder res(r, cache != nullptr ? cache : &fresh);
  auto verdict = res.ProcessI(i);
  EXPECT_FALSE(verdict.ok()) << "the responder accepted the I_MESSAGE";
  Refusal out;
  out.error = verdict.error();
  out.message = res.BuildError(out.error, i);
  return out;
}

// The Error no. of every ERR payload of `msg`, which must decode as a MIKEY error message.
std::vector<int> ErrNos(const Bytes& msg) {
  std::vector<int> nos;
  auto m = Decode(msg);
  EXPECT_TRUE(m.ok()) << m.error().ToString();
  if (!m.ok()) return nos;
  EXPECT_EQ(m->hdr.data_type, DataType::kError);
  for (std::size_t k = 0; const ErrPayload* e = m->Find<ErrPayload>(k); ++k) nos.push_back(e->error_no);
  return nos;
}

// An I_MESSAGE addressed to bob arriving at a responder that is carol (a trusted certificate of
// its own in the signed modes) is refused as Invalid ID (7) in every mode; the error message is
// laid out as RFC 3830 §5.1.2 draws it (HDR with data type 6, V flag 0 and the I_MESSAGE's CSB
// ID, PRF func and CS ID map; T; ERR; V, or CERT and SIGN, or SIGN alone in PKE, where the
// initiator holds the certificate it encrypted to), and the initiator decodes it to a verified
// refusal naming Invalid ID (7), never to keys. Proves the responder side builds and protects
// the message per mode and the initiator side verifies and names it.
TEST_P(MikeyMode, RefusalIsAnsweredWithAnErrorMessageTheInitiatorVerifies) {
  const Mode mode = GetParam();
  Pair c = MakeConfigs(mode);
  c.i.prf = PrfFunc::kHmacSha256;  // echoed in the error's HDR
  Initiator ini(c.i);
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok()) << i_msg.error().ToString();
  Config carol = c.r;
  carol.responder_uri = "sip:carol@home.com";
  Refusal got = RefuseAndAnswer(carol, *i_msg);
  EXPECT_EQ(got.error.code, Errc::kNotRecipient);
  ASSERT_TRUE(got.message.ok()) << got.message.error().ToString();
  EXPECT_EQ(got.message->err_no, ErrNo::kInvalidId);
  EXPECT_TRUE(got.message->authenticated);
  auto e = Decode(got.message->bytes);
  ASSERT_TRUE(e.ok()) << e.error().ToString();
  EXPECT_EQ(e->hdr.data_type, DataType::kError);
  EXPECT_FALSE(e->hdr.v_flag);
  EXPECT_EQ(e->hdr.csb_id, c.i.csb_id);
  EXPECT_EQ(e->hdr.prf, PrfFunc::kHmacSha256);
  ASSERT_EQ(e->hdr.cs.size(), 1u);
  EXPECT_EQ(e->hdr.cs[0].ssrc, c.i.ssrc);
  std::vector<std::uint8_t> layout;
  for (const Payload& pl : e->payloads) layout.push_back(TypeOf(pl));
  const bool mac = mode == Mode::kPsk || mode == Mode::kDhhmac;
  const std::vector<std::uint8_t> want = mac ? std::vector<std::uint8_t>{kT, kErr, kV}
                                         : mode == Mode::kPke ? std::vector<std::uint8_t>{kT, kErr, kSign}
                                                              : std::vector<std::uint8_t>{kT, kErr, kCert, kSign};
  EXPECT_EQ(layout, want);
  EXPECT_EQ(ErrNos(got.message->bytes), std::vector<int>{7});
  auto verdict = ini.ProcessR(got.message->bytes);
  EXPECT_EQ(verdict.code(), Errc::kPeerRefused) << verdict.error().ToString();
  EXPECT_EQ(verdict.error().message, "MIKEY error message from responder: Invalid ID (7)");
}

// A changed error message is reported as a forgery, never believed and never success: a flipped
// bit in the ERR's Error no. (7 -> 6, a number that exists) and one in the last byte (inside the
// V MAC or the signature) each give the V / SIGN check's own code, naming the message as a MIKEY
// error message that does not verify; the same error message with its V or SIGN removed is
// reported as unauthenticated. Proves the initiator checks the protection over the whole message
// before it believes a refusal.
TEST_P(MikeyMode, TamperedErrorMessageIsReportedAsForged) {
  const Mode mode = GetParam();
  Pair c = MakeConfigs(mode);
  Initiator ini(c.i);
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok());
  Config carol = c.r;
  carol.responder_uri = "sip:carol@home.com";
  Refusal got = RefuseAndAnswer(carol, *i_msg);
  ASSERT_TRUE(got.message.ok()) << got.message.error().ToString();
  const Bytes& good = got.message->bytes;
  ASSERT_EQ(ini.ProcessR(good).code(), Errc::kPeerRefused);
  auto e = Decode(good);
  ASSERT_TRUE(e.ok());
  const std::size_t err_no_at = e->offsets[static_cast<std::size_t>(e->IndexOf(kErr))] + 1;
  ASSERT_EQ(good[err_no_at], 7);
  const Errc forged = mode == Mode::kPsk || mode == Mode::kDhhmac ? Errc::kMacMismatch : Errc::kBadSignature;
  for (std::size_t at : {err_no_at, good.size() - 1}) {
    Bytes bad = good;
    bad[at] ^= 0x01;
    auto verdict = ini.ProcessR(bad);
    EXPECT_EQ(verdict.code(), forged) << "flip at " << at << ": " << verdict.error().ToString();
    EXPECT_NE(verdict.error().message.find("MIKEY error message"), std::string::npos) << verdict.error().message;
    EXPECT_NE(verdict.error().message.find("does not verify"), std::string::npos) << verdict.error().message;
  }
  Message stripped = *e;
  while (TypeOf(stripped.payloads.back()) != kErr) stripped.payloads.pop_back();
  auto bare = Encode(stripped);
  ASSERT_TRUE(bare.ok());
  auto verdict = ini.ProcessR(*bare);
  EXPECT_EQ(verdict.code(), Errc::kPeerRefusedUnverified) << verdict.error().ToString();
  EXPECT_NE(verdict.error().message.find("Invalid ID (7)"), std::string::npos) << verdict.error().message;
}

// The brief's case: a responder with min_dh_bits = 1024 refuses an OAKLEY 1 I_MESSAGE, and the
// error message says Invalid DH (6) ("DH group not supported", RFC 3830 §6.12: the number for a
// group the responder will not use; RFC 3830's Invalid SP (9) is about the SP payload's policy,
// which this refusal does not concern), authenticated, and the initiator verifies it. Proves
// the min_dh_bits refusal maps to its own number in both DH modes.
TEST(MikeyErrorMessage, MinimumDhGroupRefusalIsInvalidDh) {
  for (Mode mode : {Mode::kDhSigned, Mode::kDhhmac}) {
    SCOPED_TRACE(ModeName(mode));
    Pair c = MakeConfigs(mode);
    c.i.dh_group = DhGroup::kOakley1;
    Initiator ini(c.i);
    auto i_msg = ini.BuildI();
    ASSERT_TRUE(i_msg.ok());
    Config strict = c.r;
    strict.min_dh_bits = 1024;
    Refusal got = RefuseAndAnswer(strict, *i_msg);
    EXPECT_EQ(got.error.code, Errc::kUnsupported);
    ASSERT_TRUE(got.message.ok()) << got.message.error().ToString();
    EXPECT_EQ(got.message->err_no, ErrNo::kInvalidDh);
    EXPECT_TRUE(got.message->authenticated);
    EXPECT_EQ(ErrNos(got.message->bytes), std::vector<int>{6});
    auto verdict = ini.ProcessR(got.message->bytes);
    EXPECT_EQ(verdict.code(), Errc::kPeerRefused);
    EXPECT_EQ(verdict.error().message, "MIKEY error message from responder: Invalid DH (6)");
  }
}

// Re-encodes the decoded `i` after `change`, so that only the changed field is wrong (the MAC or
// signature is left as it was: every refusal below comes before it is checked).
template <typename F>
Bytes Changed(const Bytes& i, F change) {
  auto m = Decode(i);
  EXPECT_TRUE(m.ok());
  change(*m);
  auto b = Encode(*m);
  EXPECT_TRUE(b.ok()) << b.error().ToString();
  return *b;
}

// Each refusal the responder can produce gets the Error no. of RFC 3830 §6.12 it is:
// replay -> Invalid TS (1), PRF func 5 -> Invalid PRF (2), a KEMAC MAC alg other than
// HMAC-SHA-1 -> Invalid MAC (3), KEMAC encr alg AES-KW -> Invalid EA (4), DH group id 3 ->
// Invalid DH (6), a certificate from an untrusted CA -> Invalid Cert (8), a DH I_MESSAGE at a
// PSK responder -> Invalid DT (11), a RAND shorter than 128 bits -> Unspecified error (12).
// Proves the mapping table, including the refusals the decoder makes before the responder sees
// the payloads (PRF, group).
TEST(MikeyErrorMessage, EachRefusalMapsToItsErrorNo) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  const auto check = [](const char* what, const Refusal& got, int want, bool authenticated) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(got.message.ok()) << got.message.error().ToString();
    EXPECT_EQ(static_cast<int>(got.message->err_no), want) << got.error.ToString();
    EXPECT_EQ(got.message->authenticated, authenticated);
    // The HDR echoes the I_MESSAGE's PRF func, which our decoder refuses when it is unknown:
    // the ERR is read with that byte set back to MIKEY-1.
    Bytes readable = got.message->bytes;
    readable[3] &= 0x80;
    EXPECT_EQ(ErrNos(readable), std::vector<int>{want});
  };
  Pair psk = MakeConfigs(Mode::kPsk);
  auto psk_i = Initiator(psk.i).BuildI();
  ASSERT_TRUE(psk_i.ok());
  {
    ReplayCache cache;
    ASSERT_TRUE(Responder(psk.r, &cache).ProcessI(*psk_i).ok());
    check("replay", RefuseAndAnswer(psk.r, *psk_i, &cache), 1, true);
  }
  Bytes prf5 = *psk_i;
  prf5[3] = static_cast<unsigned char>((prf5[3] & 0x80) | 5);
  Refusal prf = RefuseAndAnswer(psk.r, prf5);
  check("PRF func 5", prf, 2, false);  // nothing decodes to key a V with
  ASSERT_TRUE(prf.message.ok());
  EXPECT_EQ(prf.message->bytes[3] & 0x7F, 5);
  check("KEMAC MAC alg 2", RefuseAndAnswer(psk.r, Changed(*psk_i, [](Message& m) {
          auto& k = std::get<KemacPayload>(m.payloads.back());
          k.mac_alg = 2;
          k.mac.assign(32, 0);
        })), 3, true);
  check("KEMAC encr alg 2", RefuseAndAnswer(psk.r, Changed(*psk_i, [](Message& m) {
          std::get<KemacPayload>(m.payloads.back()).encr_alg = 2;
        })), 4, true);
  check("short RAND", RefuseAndAnswer(psk.r, Changed(*psk_i, [](Message& m) {
          for (Payload& pl : m.payloads) {
            if (auto* r = std::get_if<RandPayload>(&pl)) r->rand.resize(8);
          }
        })), 12, true);
  Pair dh = MakeConfigs(Mode::kDhSigned);
  auto dh_i = Initiator(dh.i).BuildI();
  ASSERT_TRUE(dh_i.ok());
  {
    auto m = Decode(*dh_i);
    ASSERT_TRUE(m.ok());
    Bytes group3 = *dh_i;
    group3[m->offsets[static_cast<std::size_t>(m->IndexOf(kDh))] + 1] = 3;
    check("DH group 3", RefuseAndAnswer(dh.r, group3), 6, true);
  }
  check("DH I_MESSAGE at a PSK responder", RefuseAndAnswer(psk.r, *dh_i), 11, true);
  auto mallory = p.rogue_ca.Issue("sip:alice@home.com", testing::CachedKey(KeyAlg::kRsa2048, "mallory"), KeyAlg::kRsa2048);
  ASSERT_TRUE(mallory.ok());
  Pair rogue = MakeConfigs(Mode::kDhSigned);
  rogue.i.self = &*mallory;
  Initiator rogue_ini(rogue.i);
  auto rogue_i = rogue_ini.BuildI();
  ASSERT_TRUE(rogue_i.ok());
  Refusal untrusted = RefuseAndAnswer(rogue.r, *rogue_i);
  EXPECT_EQ(untrusted.error.code, Errc::kUnknownCa);
  check("untrusted CA", untrusted, 8, true);
  // The refused initiator still verifies bob's signed answer: its trust store is the real one.
  EXPECT_EQ(rogue_ini.ProcessR(untrusted.message->bytes).code(), Errc::kPeerRefused);
  // ErrNoOf, for refusals not recorded by ProcessI (the caller's own, or another responder's).
  EXPECT_EQ(ErrNoOf(Errc::kMacMismatch), ErrNo::kAuthFailure);
  EXPECT_EQ(ErrNoOf(Errc::kReplay), ErrNo::kInvalidTs);
  EXPECT_EQ(ErrNoOf(Errc::kCrypto), ErrNo::kUnspecified);
  EXPECT_STREQ(ErrNoName(9), "Invalid SP");
  EXPECT_STREQ(ErrNoName(12), "Unspecified error");
  EXPECT_STREQ(ErrNoName(13), "unassigned");
}

// A wrong pre-shared key (PSK, DHHMAC): the refusal is Auth failure (0) and the error message goes
// without V, since a V under the responder's key would not verify at the initiator either; the
// initiator reports it as unauthenticated, with the claim in the text. Proves that an
// unauthenticated error is never taken for a verified refusal.
TEST(MikeyErrorMessage, WrongPskGivesAnUnauthenticatedAuthFailure) {
  for (Mode mode : {Mode::kPsk, Mode::kDhhmac}) {
    SCOPED_TRACE(ModeName(mode));
    Pair c = MakeConfigs(mode);
    c.r.psk = ToBytes("another key of 32 bytes, exactly");
    Initiator ini(c.i);
    auto i_msg = ini.BuildI();
    ASSERT_TRUE(i_msg.ok());
    Refusal got = RefuseAndAnswer(c.r, *i_msg);
    EXPECT_EQ(got.error.code, Errc::kMacMismatch);
    ASSERT_TRUE(got.message.ok()) << got.message.error().ToString();
    EXPECT_EQ(got.message->err_no, ErrNo::kAuthFailure);
    EXPECT_FALSE(got.message->authenticated);
    EXPECT_EQ(ErrNos(got.message->bytes), std::vector<int>{0});
    auto verdict = ini.ProcessR(got.message->bytes);
    EXPECT_EQ(verdict.code(), Errc::kPeerRefusedUnverified) << verdict.error().ToString();
    EXPECT_NE(verdict.error().message.find("Auth failure (0)"), std::string::npos) << verdict.error().message;
  }
}

// An error message made by someone other than the responder the initiator addressed is not
// believed: in PSK, one MACed under another key (kMacMismatch); in PKE and DH, one signed by carol,
// whose certificate is trusted but is not bob's (kBadSignature: PKE checks against the certificate
// it encrypted to; kFromMismatch: DH's CERT does not name bob). Proves the check is of the right
// key, not merely of a valid one.
TEST(MikeyErrorMessage, ErrorFromSomeoneElseIsNotBelieved) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  const std::pair<Mode, Errc> cases[] = {
      {Mode::kPsk, Errc::kMacMismatch}, {Mode::kPke, Errc::kBadSignature}, {Mode::kDhSigned, Errc::kFromMismatch}};
  for (const auto& [mode, want] : cases) {
    SCOPED_TRACE(ModeName(mode));
    Pair c = MakeConfigs(mode);
    Initiator ini(c.i);
    auto i_msg = ini.BuildI();
    ASSERT_TRUE(i_msg.ok());
    Config other = c.r;
    other.responder_uri = "sip:carol@home.com";  // refuses: the I_MESSAGE is for bob
    other.self = &p.user("sip:carol@home.com");
    other.psk = ToBytes("another key of 32 bytes, exactly");
    Refusal got = RefuseAndAnswer(other, *i_msg);
    ASSERT_TRUE(got.message.ok()) << got.message.error().ToString();
    ASSERT_TRUE(got.message->authenticated);
    auto verdict = ini.ProcessR(got.message->bytes);
    EXPECT_EQ(verdict.code(), want) << verdict.error().ToString();
    EXPECT_NE(verdict.error().message.find("MIKEY error message (Invalid ID (7)) does not verify"), std::string::npos)
        << verdict.error().message;
  }
}

// An authentic error message whose T is outside the initiator's window (the responder's clock an
// hour ahead) is refused as a replay, naming it: a signed error binds nothing else of the
// exchange but the CSB ID, so its timestamp is what keeps an old one from being replayed.
TEST(MikeyErrorMessage, StaleErrorMessageIsAReplay) {
  Pair c = MakeConfigs(Mode::kDhSigned);
  Initiator ini(c.i);
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok());
  Config ahead = c.r;
  ahead.now_ntp = NtpNow() + NtpSeconds(3600);  // refuses I (Invalid TS) and stamps its error an hour ahead
  Refusal got = RefuseAndAnswer(ahead, *i_msg);
  ASSERT_TRUE(got.message.ok()) << got.message.error().ToString();
  EXPECT_EQ(got.message->err_no, ErrNo::kInvalidTs);
  auto verdict = ini.ProcessR(got.message->bytes);
  EXPECT_EQ(verdict.code(), Errc::kReplay) << verdict.error().ToString();
  EXPECT_NE(verdict.error().message.find("MIKEY error message (Invalid TS (1))"), std::string::npos)
      << verdict.error().message;
}

// No error message answers a response or another error message (RFC 3830 has the responder answer
// an I_MESSAGE; two parties answering each other's errors would never stop), nor bytes too short
// for a common header or of another MIKEY version.
TEST(MikeyErrorMessage, NoErrorMessageAnswersAResponseOrAnError) {
  Pair c = MakeConfigs(Mode::kDhSigned);
  Initiator ini(c.i);
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok());
  ReplayCache cache;
  Responder res(c.r, &cache);
  auto r_msg = res.ProcessI(*i_msg);
  ASSERT_TRUE(r_msg.ok());
  const Error refusal = MakeError(Errc::kMalformed, "test refusal");
  EXPECT_EQ(res.BuildError(refusal, *r_msg).code(), Errc::kUnsupported);
  auto err = res.BuildError(refusal, *i_msg);
  ASSERT_TRUE(err.ok()) << err.error().ToString();
  EXPECT_EQ(err->err_no, ErrNo::kUnspecified);
  EXPECT_EQ(res.BuildError(refusal, err->bytes).code(), Errc::kUnsupported);
  EXPECT_EQ(res.BuildError(refusal, Bytes(i_msg->begin(), i_msg->begin() + 9)).code(), Errc::kTruncated);
  Bytes v2 = *i_msg;
  v2[0] = 2;
  EXPECT_EQ(res.BuildError(refusal, v2).code(), Errc::kUnsupported);
}

// RFC 4567 key-mgmt attribute: base64 round trip, and rejection of other protocols and bad base64.
TEST(Mikey, KeyMgmtAttribute) {
  Pair c = MakeConfigs(Mode::kPsk);
  Initiator ini(c.i);
  auto i_msg = ini.BuildI();
  ASSERT_TRUE(i_msg.ok());
  std::string v = KeyMgmtValue(*i_msg);
  EXPECT_EQ(v.rfind("mikey ", 0), 0u);
  auto back = ParseKeyMgmtValue(v);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *i_msg);
  EXPECT_EQ(ParseKeyMgmtValue("kerberos AAAA").code(), Errc::kMalformed);
  EXPECT_EQ(ParseKeyMgmtValue("mikey !!!!").code(), Errc::kMalformed);
}

}  // namespace
}  // namespace sipim::security::mikey
