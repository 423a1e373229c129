// Google Benchmark for the security core: S/MIME, MIKEY, key derivation and
// per-message sealing, plus the raw OpenSSL primitives they are built from.
// Every benchmark reports the bytes it produced as the counter "bytes_out".
//
// SHA1_Init/Update/Final are deprecated in OpenSSL 3.0 but still part of it;
// sealing's HMAC (security::HmacKey) uses them, so its primitive must too.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <benchmark/benchmark.h>

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <variant>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alternation.h"
#include "benchmark_main.h"
#include "security/cert_cache.h"
#include "security/der.h"
#include "security/enveloped_data.h"
#include "security/kdf.h"
#include "security/mikey.h"
#include "security/pki.h"
#include "security/seal.h"
#include "security/signed_data.h"
#include "security/smime.h"

namespace sec = sipim::security;
namespace alt = sipim::alternation;
using sec::Bytes;
using sec::KeyAlg;

namespace {

// How long each benchmark runs. By default a minimum time per repetition;
// `--min_time_scale=X` multiplies it, so that a run can trade repetition
// length for more repetitions (with random interleaving, many short
// repetitions spread each row's samples over the whole run, and this
// machine's minute-to-minute speed drift then falls on an operation and its
// primitives alike). `--iterations=N` runs every benchmark exactly N times
// instead: for counting instructions under callgrind
// (count_instructions.sh), where time means nothing.
double g_min_time_scale = 1.0;
long long g_iterations = 0;
void Timing(benchmark::internal::Benchmark* b, double min_time) {
  if (g_iterations > 0) {
    b->Iterations(g_iterations);
  } else {
    b->MinTime(min_time * g_min_time_scale);
  }
}
void SlowTiming(benchmark::internal::Benchmark* b) { Timing(b, 0.2); }  // public-key operations
void FastTiming(benchmark::internal::Benchmark* b) { Timing(b, 0.05); }

template <typename R>
R Must(R r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "bench setup failed: %s: %s\n", what, r.error().ToString().c_str());
    std::abort();
  }
  return r;
}

// Every benchmark body is a template over its state: benchmark::State when
// Google Benchmark runs it, alternation::BatchState when --alternate times
// it against its primitives in alternating batches. Register gives Google
// Benchmark the one and keeps the other in Bodies() by name.
alt::Bodies& Bodies() {
  static alt::Bodies bodies;
  return bodies;
}

template <typename F, typename... A>
benchmark::internal::Benchmark* Register(const std::string& name, F f, A... args) {
  Bodies()[name] = [=](alt::BatchState& s) { f(s, args...); };
  return benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) { f(s, args...); });
}

// A benchmark function template as a value that Register can call with
// either state.
#define BENCH(F) [](auto& s, auto... a) { F(s, a...); }

// ------------------------------------------------------------------ fixtures

struct Pki {
  sec::TestCa ca;
  sec::X509StorePtr trust;
  std::vector<sec::Identity> users;  // users[0] = alice (sender), 1.. = recipients
};

Pki& GetPki(KeyAlg alg) {
  static std::map<KeyAlg, std::unique_ptr<Pki>> pkis;
  auto& slot = pkis[alg];
  if (slot) return *slot;
  slot = std::make_unique<Pki>();
  slot->ca = std::move(*Must(sec::TestCa::Create("bench CA", std::move(*Must(sec::GenerateKey(alg), "key")), alg),
                             "CA"));
  slot->trust = std::move(*Must(sec::MakeTrustStore({slot->ca.cert()}), "store"));
  for (int i = 0; i <= 16; ++i) {
    std::string aor = "sip:user" + std::to_string(i) + "@home.com";
    slot->users.push_back(std::move(
        *Must(slot->ca.Issue(aor, std::move(*Must(sec::GenerateKey(alg), "key")), alg), "user")));
  }
  return *slot;
}

std::string Entity(std::size_t body_bytes) {
  return sec::MakeMimeEntity("text/plain", std::string(body_bytes, 'm'));
}

std::vector<X509*> Recipients(Pki& p, int n) {
  std::vector<X509*> r;
  for (int i = 1; i <= n; ++i) r.push_back(p.users[static_cast<std::size_t>(i)].cert.get());
  return r;
}

sec::ReceiveContext Ctx(Pki& p, const sec::Identity* me, bool need_sig) {
  sec::ReceiveContext c;
  c.me = me;
  c.trust = p.trust.get();
  c.from_aor = p.users[0].aor;
  c.require_signature = need_sig;
  return c;
}

// ------------------------------------------------------------------ S/MIME

enum class SmimeOp { kSign, kVerify, kEncrypt, kDecrypt, kSignEncrypt, kDecryptVerify };
const char* OpName(SmimeOp op) {
  switch (op) {
    case SmimeOp::kSign: return "sign";
    case SmimeOp::kVerify: return "verify";
    case SmimeOp::kEncrypt: return "encrypt";
    case SmimeOp::kDecrypt: return "decrypt";
    case SmimeOp::kSignEncrypt: return "sign_encrypt";
    case SmimeOp::kDecryptVerify: return "decrypt_verify";
  }
  return "?";
}

// with_cert = false: the signer leaves its certificate out and the receiver
// has it already parsed (a certificate cache), which skips OpenSSL 3.0's
// costly decoding of the certificate's public key on every message.
// cached = true: the receiver keeps a certificate cache (sec::CertCache),
// warmed by one message before timing, as a UA that has heard from the
// sender before; the message still carries the certificate.
template <class State>
void SmimeBenchCert(State& state, SmimeOp op, KeyAlg alg, sec::SmimeCipher cipher, std::size_t size,
                    int recipients, bool with_cert, bool cached = false) {
  Pki& p = GetPki(alg);
  const std::string entity = Entity(size);
  const sec::Identity& alice = p.users[0];
  const std::vector<X509*> rcpt = Recipients(p, recipients);
  // The receiver is the last recipient: KTRI/KARI matching walks the list.
  const sec::Identity& me = p.users[static_cast<std::size_t>(recipients)];
  sec::SignOptions so;
  so.include_cert = with_cert;
  sec::SmimeBody input;
  if (op == SmimeOp::kVerify) input = *Must(sec::SmimeSign(alice, entity, so), "sign");
  if (op == SmimeOp::kDecrypt) input = *Must(sec::SmimeEncrypt(rcpt, entity, cipher), "encrypt");
  if (op == SmimeOp::kDecryptVerify) input = *Must(sec::SmimeSignAndEncrypt(alice, rcpt, entity, cipher, so), "s+e");
  sec::ReceiveContext rctx = Ctx(p, &me, op != SmimeOp::kDecrypt);
  if (!with_cert) rctx.known_certs.push_back(alice.cert.get());
  sec::CertCache cache;
  if (cached) {
    rctx.cert_cache = &cache;
    Must(sec::SmimeReceive(input.content_type, input.body, rctx), "warm the certificate cache");
  }
  std::size_t out_bytes = 0;
  for (auto _ : state) {
    switch (op) {
      case SmimeOp::kSign: {
        auto r = sec::SmimeSign(alice, entity, so);
        out_bytes = r->body.size();
        benchmark::DoNotOptimize(r);
        break;
      }
      case SmimeOp::kEncrypt: {
        auto r = sec::SmimeEncrypt(rcpt, entity, cipher);
        out_bytes = r->body.size();
        benchmark::DoNotOptimize(r);
        break;
      }
      case SmimeOp::kSignEncrypt: {
        auto r = sec::SmimeSignAndEncrypt(alice, rcpt, entity, cipher, so);
        out_bytes = r->body.size();
        benchmark::DoNotOptimize(r);
        break;
      }
      case SmimeOp::kVerify:
      case SmimeOp::kDecrypt:
      case SmimeOp::kDecryptVerify: {
        auto r = sec::SmimeReceive(input.content_type, input.body, rctx);
        if (!r.ok()) {
          state.SkipWithError(r.error().ToString().c_str());
          return;
        }
        out_bytes = r->body.size();
        benchmark::DoNotOptimize(r);
        break;
      }
    }
  }
  state.counters["bytes_out"] = static_cast<double>(out_bytes);
  state.counters["bytes_in"] = static_cast<double>(input.body.empty() ? entity.size() : input.body.size());
}

template <class State>
void SmimeBench(State& state, SmimeOp op, KeyAlg alg, sec::SmimeCipher cipher, std::size_t size,
                int recipients) {
  SmimeBenchCert(state, op, alg, cipher, size, recipients, true);
}

void RegisterSmime() {
  const std::vector<std::size_t> sizes = {100, 1300, 8192, 65536};
  for (KeyAlg alg : {KeyAlg::kRsa2048, KeyAlg::kP256}) {
    const std::string a = sec::KeyAlgName(alg);
    // Certificate left out of the message, known to the receiver.
    for (SmimeOp op : {SmimeOp::kSign, SmimeOp::kVerify}) {
      Register("BM_Smime/" + std::string(OpName(op)) + "/" + a + "-nocert/100", BENCH(SmimeBenchCert), op, alg,
               sec::SmimeCipher::kAes128Gcm, std::size_t{100}, 1, false, false)
          ->Apply(SlowTiming);
    }
    for (SmimeOp op : {SmimeOp::kSignEncrypt, SmimeOp::kDecryptVerify}) {
      Register(
          "BM_Smime/" + std::string(OpName(op)) + "/" + a + "-aes128gcm-r1-nocert/100", BENCH(SmimeBenchCert), op,
          alg, sec::SmimeCipher::kAes128Gcm, std::size_t{100}, 1, false, false)
          ->Apply(SlowTiming);
    }
    // Certificate in the message, receiver with a warm certificate cache.
    Register("BM_Smime/verify/" + a + "-cached/100", BENCH(SmimeBenchCert), SmimeOp::kVerify,
                                 alg, sec::SmimeCipher::kAes128Gcm, std::size_t{100}, 1, true, true)
        ->Apply(SlowTiming);
    Register("BM_Smime/decrypt_verify/" + a + "-aes128gcm-r1-cached/100", BENCH(SmimeBenchCert),
                                 SmimeOp::kDecryptVerify, alg, sec::SmimeCipher::kAes128Gcm, std::size_t{100}, 1, true,
                                 true)
        ->Apply(SlowTiming);
    for (SmimeOp op : {SmimeOp::kSign, SmimeOp::kVerify}) {
      for (std::size_t s : sizes) {
        Register("BM_Smime/" + std::string(OpName(op)) + "/" + a + "/" + std::to_string(s), BENCH(SmimeBench), op,
                 alg, sec::SmimeCipher::kAes128Gcm, s, 1)
            ->Apply(SlowTiming);
      }
    }
    for (SmimeOp op : {SmimeOp::kEncrypt, SmimeOp::kDecrypt, SmimeOp::kSignEncrypt, SmimeOp::kDecryptVerify}) {
      for (sec::SmimeCipher c : {sec::SmimeCipher::kAes128Gcm, sec::SmimeCipher::kAes128Cbc}) {
        const std::string alg_name = a + "-" + sec::SmimeCipherName(c);
        for (std::size_t s : sizes) {
          if (c == sec::SmimeCipher::kAes128Cbc && s != 100 && s != 65536) continue;
          Register("BM_Smime/" + std::string(OpName(op)) + "/" + alg_name + "-r1/" + std::to_string(s),
                   BENCH(SmimeBench), op, alg, c, s, 1)
              ->Apply(SlowTiming);
        }
        if (c != sec::SmimeCipher::kAes128Gcm) continue;
        for (int r : {4, 16}) {
          Register("BM_Smime/" + std::string(OpName(op)) + "/" + alg_name + "-r" + std::to_string(r) + "/100",
                   BENCH(SmimeBench), op, alg, c, 100, r)
              ->Apply(SlowTiming);
        }
      }
    }
  }
}

// `entity` encrypted to `to` by OpenSSL's CMS_encrypt with AES-256-CBC, as
// DER.
std::string CmsEncryptAes256Cbc(X509* to, const std::string& entity) {
  sec::X509StackPtr certs(sk_X509_new_null());  // frees its certificates: `to` is up-referenced
  sec::BioPtr in(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
  if (!certs || !in || X509_up_ref(to) != 1 || sk_X509_push(certs.get(), to) <= 0) {
    std::fprintf(stderr, "bench setup failed: CMS_encrypt inputs\n");
    std::abort();
  }
  sec::CmsPtr cms(CMS_encrypt(certs.get(), in.get(), EVP_aes_256_cbc(), CMS_BINARY));
  unsigned char* der = nullptr;
  const int len = cms ? i2d_CMS_ContentInfo(cms.get(), &der) : -1;
  if (len <= 0) {
    std::fprintf(stderr, "bench setup failed: CMS_encrypt\n");
    std::abort();
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

// Rejecting an altered CBC message (sign-then-encrypt, 100-byte entity):
// one ciphertext byte of the second-to-last block changed so that the last
// block's padding reads bad, or (for the one change in 255 that makes it
// good) well formed over a garbled block. A receiver whose time to reject
// differs between the two is a padding oracle by timing, whatever error it
// returns (CbcReceive::kOneError returns one). Compare the two rows of one
// run. through_cms: the message as `openssl cms -encrypt` writes it by
// default (AES-256-CBC, CMS_encrypt), a form only OpenSSL's CMS reads.
template <class State>
void SmimeRejectCbc(State& state, KeyAlg alg, bool good_padding, bool through_cms = false) {
  Pki& p = GetPki(alg);
  const sec::Identity& me = p.users[1];
  const std::string entity = sec::SmimeBodyAsEntity(*Must(sec::SmimeSign(p.users[0], Entity(100)), "sign"));
  sec::SmimeBody sent;
  std::size_t at = 0;
  if (through_cms) {
    sent.content_type = "application/pkcs7-mime;smime-type=enveloped-data";
    sent.body = CmsEncryptAes256Cbc(me.cert.get(), entity);
    at = sent.body.size() - 17;  // the encrypted content ends the DER
  } else {
    sent = *Must(sec::SmimeEncrypt({me.cert.get()}, entity, sec::SmimeCipher::kAes128Cbc), "encrypt");
    const auto v = Must(sec::ParseEnvelopedData(sent.body), "parse");
    at = static_cast<std::size_t>(v->ciphertext.data + v->ciphertext.size - 17 -
                                  reinterpret_cast<const unsigned char*>(sent.body.data()));
  }
  sec::ReceiveContext rctx = Ctx(p, &me, true);
  sec::ReceiveStats stats;
  rctx.stats = &stats;
  // The altered copy: the first change whose padding was good, or bad, as
  // the receiver's local log counts it.
  std::string altered;
  for (int delta = 1; delta < 256 && altered.empty(); ++delta) {
    std::string m = sent.body;
    m[at] = static_cast<char>(m[at] ^ delta);
    const std::uint64_t bad_before = stats.cbc_bad_padding;
    if (sec::SmimeReceive(sent.content_type, m, rctx).ok()) continue;
    const bool bad = stats.cbc_bad_padding != bad_before;
    if (bad != good_padding) altered = m;
  }
  if (altered.empty()) {
    state.SkipWithError("no altered copy with the padding asked for");
    return;
  }
  for (auto _ : state) {
    auto r = sec::SmimeReceive(sent.content_type, altered, rctx);
    if (r.ok()) {
      state.SkipWithError("an altered CBC message was accepted");
      return;
    }
    benchmark::DoNotOptimize(r);
  }
  state.counters["bytes_out"] = 0;
  state.counters["bytes_in"] = static_cast<double>(altered.size());
}

void RegisterSmimeReject() {
  for (KeyAlg alg : {KeyAlg::kRsa2048, KeyAlg::kP256}) {
    for (bool good : {false, true}) {
      Register("BM_SmimeReject/" + std::string(sec::KeyAlgName(alg)) + "-aes128cbc-" + (good ? "goodpad" : "badpad") +
                   "/100",
               BENCH(SmimeRejectCbc), alg, good, false)
          ->Apply(SlowTiming);
    }
  }
  // CBC to an RSA key through CMS is refused before any decryption, so only
  // P-256 has this form.
  for (bool good : {false, true}) {
    Register(std::string("BM_SmimeReject/p256-aes256cbc-cms-") + (good ? "goodpad" : "badpad") + "/100",
             BENCH(SmimeRejectCbc), KeyAlg::kP256, good, true)
        ->Apply(SlowTiming);
  }
}

// ------------------------------------------------------------------ MIKEY

struct MikeyFixture {
  sec::mikey::Config ci, cr;
  Bytes i, r;
};

using sec::mikey::DhGroup;

MikeyFixture MakeMikey(sec::mikey::Mode mode, DhGroup group = DhGroup::kOakley5) {
  Pki& p = GetPki(KeyAlg::kRsa2048);
  MikeyFixture f;
  sec::mikey::Config c;
  c.mode = mode;
  c.dh_group = group;
  c.psk = Bytes(32, 0x5c);
  c.initiator_uri = p.users[0].aor;
  c.responder_uri = p.users[1].aor;
  c.trust = p.trust.get();
  c.now_ntp = sec::mikey::NtpNow();  // a frozen clock: repeated messages stay inside the window
  f.ci = f.cr = c;
  f.ci.self = &p.users[0];
  f.ci.peer_cert = p.users[1].cert.get();
  f.cr.self = &p.users[1];
  sec::mikey::Initiator ini(f.ci);
  f.i = *Must(ini.BuildI(), "BuildI");
  sec::mikey::ReplayCache cache;
  sec::mikey::Responder res(f.cr, &cache);
  f.r = *Must(res.ProcessI(f.i), "ProcessI");
  return f;
}

enum class MikeyOp { kBuildI, kProcessI, kProcessR, kDecodeI, kDecodeR };

std::string MikeyRowName(sec::mikey::Mode mode, DhGroup group);

// cached = true: the receiving side keeps a certificate cache (warmed by
// one message before timing), so the peer's CERT payload is not re-parsed
// nor its chain re-validated (validity is re-checked per message).
template <class State>
void MikeyBench(State& state, sec::mikey::Mode mode, MikeyOp op, bool cached, DhGroup group) {
  MikeyFixture f = MakeMikey(mode, group);
  sec::CertCache cache;
  if (cached) f.ci.cert_cache = f.cr.cert_cache = &cache;
  // ProcessR needs the initiator that built I: rebuild one and its matching R.
  sec::mikey::Initiator ini(f.ci);
  Bytes i = *Must(ini.BuildI(), "BuildI");
  sec::mikey::ReplayCache c0;
  sec::mikey::Responder r0(f.cr, &c0);
  Bytes r = *Must(r0.ProcessI(i), "ProcessI");
  if (cached) Must(ini.ProcessR(r), "warm the certificate cache");
  if (mode == sec::mikey::Mode::kPke || mode == sec::mikey::Mode::kDhSigned ||
      mode == sec::mikey::Mode::kEcdhSigned) {
    // The signed ranges (all but the 256-byte RSA-2048 signature) are the
    // sizes the ratio lists' SHA-256 rows are made for; PKE's R (V) is not signed.
    const sipim::secreport::MikeySignedBytes m = sipim::secreport::MikeySignedInput(MikeyRowName(mode, group));
    if (i.size() != m.i_signed + 256 || (mode != sec::mikey::Mode::kPke && r.size() != m.r_signed + 256)) {
      state.SkipWithError("signed MIKEY messages are not the sizes report.h's MikeySignedInput names");
      return;
    }
  }
  if (mode == sec::mikey::Mode::kPsk || mode == sec::mikey::Mode::kPke) {
    // KEMAC's MAC input and key data, and V's MAC input (R up to the MAC,
    // then IDi || IDr || T), are the sizes the ratio lists' rows are made for.
    const sipim::secreport::MikeyKemacBytes m = sipim::secreport::MikeyKemacInput(sec::mikey::ModeName(mode));
    auto d = sec::mikey::Decode(i);
    const int ki = d.ok() ? d->IndexOf(sec::mikey::kKemac) : -1;
    const auto* k =
        ki < 0 ? nullptr : std::get_if<sec::mikey::KemacPayload>(&d->payloads[static_cast<std::size_t>(ki)]);
    const std::size_t v_extra = f.ci.initiator_uri.size() + f.ci.responder_uri.size() + 8;
    if (k == nullptr || d->offsets[static_cast<std::size_t>(ki)] + 4 + k->encr_data.size() + 1 != m.kemac_mac ||
        k->encr_data.size() != m.key_data || r.size() - 20 + v_extra != m.v_mac) {
      state.SkipWithError("PSK / PKE messages are not the sizes report.h's MikeyKemacInput names");
      return;
    }
  }
  if (mode == sec::mikey::Mode::kDhhmac) {
    // The KEMAC MACs' inputs (all but the 20-byte MAC) are the sizes the
    // ratio lists' HMAC rows are made for.
    const char* modp = group == DhGroup::kOakley1 ? "modp768" : group == DhGroup::kOakley2 ? "modp1024" : "modp1536";
    const sipim::secreport::DhhmacMacBytes m = sipim::secreport::DhhmacMacInput(modp);
    if (i.size() != m.i_mac + 20 || r.size() != m.r_mac + 20) {
      state.SkipWithError("DHHMAC messages are not the sizes report.h's DhhmacMacInput names");
      return;
    }
  }
  std::size_t out = 0;
  for (auto _ : state) {
    switch (op) {
      case MikeyOp::kBuildI: {
        sec::mikey::Initiator fresh(f.ci);
        auto m = fresh.BuildI();
        out = m->size();
        benchmark::DoNotOptimize(m);
        break;
      }
      case MikeyOp::kProcessI: {
        sec::mikey::ReplayCache cache;  // a fresh cache: the same I is not a replay
        sec::mikey::Responder res(f.cr, &cache);
        auto m = res.ProcessI(i);
        if (!m.ok()) {
          state.SkipWithError(m.error().ToString().c_str());
          return;
        }
        out = m->size();
        benchmark::DoNotOptimize(m);
        break;
      }
      case MikeyOp::kProcessR: {
        auto k = ini.ProcessR(r);
        if (!k.ok()) {
          state.SkipWithError(k.error().ToString().c_str());
          return;
        }
        out = k->tgk.size();
        benchmark::DoNotOptimize(k);
        break;
      }
      case MikeyOp::kDecodeI:
      case MikeyOp::kDecodeR: {
        auto m = sec::mikey::Decode(op == MikeyOp::kDecodeI ? i : r);
        out = m->payloads.size();
        benchmark::DoNotOptimize(m);
        break;
      }
    }
  }
  state.counters["bytes_i"] = static_cast<double>(i.size());
  state.counters["bytes_r"] = static_cast<double>(r.size());
  state.counters["bytes_out"] = static_cast<double>(op == MikeyOp::kBuildI ? out : op == MikeyOp::kProcessI ? out : 0);
}

// The name a mode's rows carry: the mode ("dh", "dhhmac", ...), and for DH
// and DHHMAC in another group than OAKLEY 5 the group ("dh-oakley2").
std::string MikeyRowName(sec::mikey::Mode mode, DhGroup group) {
  const std::string m = sec::mikey::ModeName(mode);
  switch (group) {
    case DhGroup::kOakley1: return m + "-oakley1";
    case DhGroup::kOakley2: return m + "-oakley2";
    default: return m;
  }
}

void RegisterMikey() {
  using sec::mikey::Mode;
  const std::pair<MikeyOp, const char*> ops[] = {{MikeyOp::kBuildI, "i_build"},
                                                  {MikeyOp::kProcessI, "i_process"},
                                                  {MikeyOp::kProcessR, "r_process"},
                                                  {MikeyOp::kDecodeI, "i_decode"},
                                                  {MikeyOp::kDecodeR, "r_decode"}};
  // Every mode in OAKLEY 5 (the default), then DH and DHHMAC in OAKLEY 1 and 2.
  const std::pair<Mode, DhGroup> runs[] = {
      {Mode::kPsk, DhGroup::kOakley5},      {Mode::kPke, DhGroup::kOakley5},      {Mode::kDhSigned, DhGroup::kOakley5},
      {Mode::kDhhmac, DhGroup::kOakley5},   {Mode::kEcdhSigned, DhGroup::kOakley5}, {Mode::kDhSigned, DhGroup::kOakley1},
      {Mode::kDhSigned, DhGroup::kOakley2}, {Mode::kDhhmac, DhGroup::kOakley1},   {Mode::kDhhmac, DhGroup::kOakley2}};
  for (const auto& [mode, group] : runs) {
    const std::string row = "BM_Mikey/" + MikeyRowName(mode, group) + "/";
    for (const auto& [op, name] : ops) {
      Register(row + name, BENCH(MikeyBench), mode, op, false, group)
          ->Apply(mode == Mode::kPsk || op == MikeyOp::kDecodeI || op == MikeyOp::kDecodeR ? FastTiming : SlowTiming);
      // Receivers of a CERT payload, with a warm certificate cache.
      const bool gets_cert = (op == MikeyOp::kProcessI && (mode == Mode::kPke || mode == Mode::kDhSigned ||
                                                           mode == Mode::kEcdhSigned)) ||
                             (op == MikeyOp::kProcessR && (mode == Mode::kDhSigned || mode == Mode::kEcdhSigned));
      if (gets_cert) Register(row + name + "-cached", BENCH(MikeyBench), mode, op, true, group)->Apply(SlowTiming);
    }
  }
}

// ------------------------------------------------------------------ KDF

template <class State>
void KdfSessionKeys(State& state, sec::PrfFunc prf, std::size_t tgk_len) {
  Bytes tgk(tgk_len, 0x42), rand(16, 0x17);
  std::size_t out = 0;
  for (auto _ : state) {
    auto k = sec::DeriveSessionKeys(prf, tgk, 1, 0x01020304, rand);
    out = k->tek.size() + k->salt.size() + k->auth_key.size();
    benchmark::DoNotOptimize(k);
  }
  state.counters["bytes_out"] = static_cast<double>(out);
}

template <class State>
void KdfPrf(State& state, sec::PrfFunc prf, std::size_t inkey_len) {
  Bytes inkey(inkey_len, 0x42);
  Bytes label = sec::KdfLabel(sec::kdf_const::kTek, 0, 1, Bytes(16, 0x17));
  for (auto _ : state) {
    auto k = sec::MikeyPrf(prf, inkey, label, 16);
    benchmark::DoNotOptimize(k);
  }
  state.counters["bytes_out"] = 16;
}

void RegisterKdf() {
  for (sec::PrfFunc prf : {sec::PrfFunc::kMikey1, sec::PrfFunc::kHmacSha256}) {
    const std::string n = sec::PrfFuncName(prf);
    for (std::size_t tgk : {16u, 32u, 192u}) {
      Register("BM_Kdf/session_keys/" + n + "/" + std::to_string(tgk), BENCH(KdfSessionKeys),
                                   prf, tgk)
          ->Apply(FastTiming);
    }
    for (std::size_t len : {16u, 32u, 64u}) {
      Register("BM_Kdf/prf/" + n + "/" + std::to_string(len), BENCH(KdfPrf), prf, len)
          ->Apply(FastTiming);
    }
  }
}

// ------------------------------------------------------------------ seal / open

sec::SessionKeys SealKeys() {
  sec::SessionKeys k;
  k.tek = Bytes(16, 0x11);
  k.salt = Bytes(14, 0x22);
  k.auth_key = Bytes(20, 0x33);
  return k;
}

const std::string kFraming = "MESSAGE sip:bob@home.com SIP/2.0\r\n";

// Sealing and opening write into a kept buffer (SealTo / OpenTo), as the
// primitives they are compared with do; the std::string forms add a resize
// that zero-fills the output first.
template <class State>
void SealBench(State& state, sec::SealSuite suite, std::size_t size) {
  auto s = std::move(*Must(sec::SealSession::Create(suite, SealKeys()), "seal session"));
  const std::string pt(size, 'm');
  std::vector<unsigned char> frame(s.SealedSize(size));
  for (auto _ : state) {
    if (!s.SealTo(kFraming, pt, frame.data()).ok()) {
      state.SkipWithError("seal failed");
      return;
    }
    benchmark::DoNotOptimize(frame.data());
  }
  state.counters["bytes_out"] = static_cast<double>(frame.size());
}

// The frames OpenBench opens: as many as fit in kOpenSetBytes (at least 2),
// so they stay in the same cache level as the one buffer the GCM / CTR
// primitives work on (L1 up to 8 KiB, L2 at 64 KiB on this machine: 48 KiB
// L1d, 2 MiB L2 per core). The old set of 32 MiB of distinct frames read
// every frame from beyond L2 while the primitive's buffer stayed hot.
constexpr std::size_t kOpenSetBytes = 32u << 10;
// Receivers made before timing; the frame set is opened once by each (the
// sequence numbers may not repeat under one receiver), and only when all
// have been used is timing paused to make new ones.
constexpr std::size_t kOpenReceivers = 16;

template <class State>
void OpenBench(State& state, sec::SealSuite suite, std::size_t size) {
  auto tx = std::move(*Must(sec::SealSession::Create(suite, SealKeys()), "seal session"));
  const std::string pt(size, 'm');
  const std::size_t frame_bytes = size + sec::SealOverhead(suite);
  const std::size_t n = std::max<std::size_t>(2, kOpenSetBytes / frame_bytes);
  // Each message as a receiver reads it: the framing header, then the frame.
  std::vector<std::string> frames(n, kFraming);
  for (auto& f : frames) (void)tx.Seal(kFraming, pt, f);
  std::vector<sec::SealSession> rx;
  auto fresh_receivers = [&] {
    rx.clear();
    for (std::size_t i = 0; i < kOpenReceivers; ++i) {
      rx.push_back(std::move(*Must(sec::SealSession::Create(suite, SealKeys()), "open session")));
    }
  };
  fresh_receivers();
  std::vector<unsigned char> out(size);
  std::size_t k = 0, r = 0, opened = 0;
  for (auto _ : state) {
    if (k == n) {
      k = 0;
      if (++r == kOpenReceivers) {
        state.PauseTiming();
        fresh_receivers();
        r = 0;
        state.ResumeTiming();
      }
    }
    const std::string_view msg = frames[k++];
    sec::Result<std::size_t> n =
        rx[r].OpenTo(msg.substr(0, kFraming.size()), msg.substr(kFraming.size()), out.data());
    if (!n.ok()) {
      state.SkipWithError("open failed");
      return;
    }
    opened = *n;
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes_out"] = static_cast<double>(opened);
  state.counters["bytes_in"] = static_cast<double>(frames[0].size() - kFraming.size());
  state.counters["frames"] = static_cast<double>(n);
}

// Seal and open of one message, back to back: the per-message cost of a session.
template <class State>
void SealOpenBench(State& state, sec::SealSuite suite, std::size_t size) {
  auto tx = std::move(*Must(sec::SealSession::Create(suite, SealKeys()), "seal session"));
  auto rx = std::move(*Must(sec::SealSession::Create(suite, SealKeys()), "open session"));
  const std::string pt(size, 'm');
  std::vector<unsigned char> frame(tx.SealedSize(size)), out(size);
  const std::string_view sealed(reinterpret_cast<const char*>(frame.data()), frame.size());
  for (auto _ : state) {
    if (!tx.SealTo(kFraming, pt, frame.data()).ok() || !rx.OpenTo(kFraming, sealed, out.data()).ok()) {
      state.SkipWithError("seal/open failed");
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes_out"] = static_cast<double>(frame.size());
}

void RegisterSeal() {
  for (sec::SealSuite suite : {sec::SealSuite::kAes128Gcm, sec::SealSuite::kAesCmHmacSha1_80}) {
    const std::string n = sec::SealSuiteName(suite);
    for (std::size_t s : {100u, 1300u, 8192u, 65536u}) {
      const std::string tail = n + "/" + std::to_string(s);
      Register("BM_Seal/" + tail, BENCH(SealBench), suite, s)->Apply(FastTiming);
      Register("BM_Open/" + tail, BENCH(OpenBench), suite, s)->Apply(FastTiming);
      Register("BM_SealOpen/" + tail, BENCH(SealOpenBench), suite, s)->Apply(FastTiming);
    }
  }
}

// ------------------------------------------------------------------ primitives

EVP_PKEY* KeyOf(KeyAlg alg) { return GetPki(alg).users[1].key.get(); }

template <class State>
void PrimSign(State& state, KeyAlg alg) {
  EVP_PKEY* key = KeyOf(alg);
  unsigned char digest[32];
  RAND_bytes(digest, sizeof digest);
  sec::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  EVP_PKEY_sign_init(ctx.get());
  if (alg == KeyAlg::kRsa2048) EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING);
  EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256());
  unsigned char sig[512];
  std::size_t len = 0;
  for (auto _ : state) {
    len = sizeof sig;
    if (EVP_PKEY_sign(ctx.get(), sig, &len, digest, sizeof digest) != 1) state.SkipWithError("sign");
  }
  state.counters["bytes_out"] = static_cast<double>(len);
}

template <class State>
void PrimVerify(State& state, KeyAlg alg) {
  EVP_PKEY* key = KeyOf(alg);
  unsigned char digest[32], sig[512];
  RAND_bytes(digest, sizeof digest);
  std::size_t len = sizeof sig;
  sec::EvpPkeyCtxPtr s(EVP_PKEY_CTX_new(key, nullptr));
  EVP_PKEY_sign_init(s.get());
  EVP_PKEY_CTX_set_signature_md(s.get(), EVP_sha256());
  EVP_PKEY_sign(s.get(), sig, &len, digest, sizeof digest);
  sec::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  EVP_PKEY_verify_init(ctx.get());
  EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256());
  for (auto _ : state) {
    if (EVP_PKEY_verify(ctx.get(), sig, len, digest, sizeof digest) != 1) state.SkipWithError("verify");
  }
  state.counters["bytes_out"] = 0;
}

template <class State>
void PrimRsaEncrypt(State& state, int padding, bool decrypt) {
  EVP_PKEY* key = KeyOf(KeyAlg::kRsa2048);
  unsigned char cek[16], ct[512], pt[512];
  RAND_bytes(cek, sizeof cek);
  auto setup = [&](EVP_PKEY_CTX* c) {
    EVP_PKEY_CTX_set_rsa_padding(c, padding);
    if (padding == RSA_PKCS1_OAEP_PADDING) EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256());
  };
  sec::EvpPkeyCtxPtr e(EVP_PKEY_CTX_new(key, nullptr));
  EVP_PKEY_encrypt_init(e.get());
  setup(e.get());
  std::size_t clen = sizeof ct;
  EVP_PKEY_encrypt(e.get(), ct, &clen, cek, sizeof cek);
  sec::EvpPkeyCtxPtr d(EVP_PKEY_CTX_new(key, nullptr));
  EVP_PKEY_decrypt_init(d.get());
  setup(d.get());
  std::size_t out = 0;
  for (auto _ : state) {
    if (decrypt) {
      out = sizeof pt;
      if (EVP_PKEY_decrypt(d.get(), pt, &out, ct, clen) != 1) state.SkipWithError("decrypt");
    } else {
      out = sizeof ct;
      if (EVP_PKEY_encrypt(e.get(), ct, &out, cek, sizeof cek) != 1) state.SkipWithError("encrypt");
    }
  }
  state.counters["bytes_out"] = static_cast<double>(out);
}

// The fourth-round primitives check once, before timing, that their calls
// give what an independent OpenSSL route gives, so none of them can time
// less work than the operation it stands for; a mismatch ends the
// benchmark with an error (CTest bench_security.new_primitives_run).
template <class State>
bool Verified(State& state, bool ok, const char* what) {
  if (!ok) state.SkipWithError(what);
  return ok;
}

// OAKLEY 1 or 2 as MIKEY keeps them (ExplicitGroup): p from OpenSSL's
// RFC 2409 constant and g = 2 as a parameter key made once per process;
// their BIGNUMs for the peer-value import. Null members on failure.
struct KeptModp {
  sec::OsslPtr<BIGNUM, BN_free> p, g;
  sec::EvpPkeyPtr params;
};

const KeptModp& KeptExplicitModp(DhGroup group) {
  auto make = [](BIGNUM* (*prime)(BIGNUM*)) {
    KeptModp m;
    m.p.reset(prime(nullptr));
    m.g.reset(BN_new());
    sec::OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> bld(OSSL_PARAM_BLD_new());
    if (!m.p || !m.g || !bld || BN_set_word(m.g.get(), 2) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, m.p.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, m.g.get()) != 1) {
      return m;
    }
    sec::OsslPtr<OSSL_PARAM, OSSL_PARAM_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
    sec::EvpPkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
    EVP_PKEY* raw = nullptr;
    if (params && fctx && EVP_PKEY_fromdata_init(fctx.get()) == 1 &&
        EVP_PKEY_fromdata(fctx.get(), &raw, EVP_PKEY_KEY_PARAMETERS, params.get()) == 1) {
      m.params.reset(raw);
    }
    return m;
  };
  static const KeptModp oakley1 = make(BN_get_rfc2409_prime_768), oakley2 = make(BN_get_rfc2409_prime_1024);
  return group == DhGroup::kOakley1 ? oakley1 : oakley2;
}

// A MODP key as MIKEY generates it (GenKeyPair): OAKLEY 5 by group name,
// OAKLEY 1 and 2 from the kept parameter key with a 160-bit exponent.
sec::EvpPkeyPtr GenFfdhKey(DhGroup group = DhGroup::kOakley5) {
  EVP_PKEY* k = nullptr;
  if (group != DhGroup::kOakley5) {
    const KeptModp& m = KeptExplicitModp(group);
    sec::EvpPkeyCtxPtr ctx(m.params ? EVP_PKEY_CTX_new_from_pkey(nullptr, m.params.get(), nullptr) : nullptr);
    int bits = 160;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_DH_PRIV_LEN, &bits), OSSL_PARAM_construct_end()};
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_params(ctx.get(), params) != 1 ||
        EVP_PKEY_generate(ctx.get(), &k) != 1) {
      return nullptr;
    }
    return sec::EvpPkeyPtr(k);
  }
  sec::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("modp_1536"), 0),
      OSSL_PARAM_construct_end()};
  EVP_PKEY_keygen_init(ctx.get());
  EVP_PKEY_CTX_set_params(ctx.get(), params);
  EVP_PKEY_generate(ctx.get(), &k);
  return sec::EvpPkeyPtr(k);
}

// The group's parameters as MIKEY gives them with a peer's value
// (ImportDhValue): OAKLEY 5 by name, OAKLEY 1 and 2 as p and g.
bool PushDhGroup(OSSL_PARAM_BLD* bld, DhGroup group) {
  if (group == DhGroup::kOakley5) {
    return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "modp_1536", 0) == 1;
  }
  const KeptModp& m = KeptExplicitModp(group);
  return m.p && m.g && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, m.p.get()) == 1 &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, m.g.get()) == 1;
}

std::size_t DhBytes(DhGroup group) { return sec::mikey::DhGroupBytes(static_cast<std::uint8_t>(group)); }

sec::EvpPkeyPtr GenAgreementKey(bool ec, DhGroup group = DhGroup::kOakley5) {
  return ec ? sec::EvpPkeyPtr(EVP_EC_gen("P-256")) : GenFfdhKey(group);
}

// The public value of a MODP key, left-padded to the group's length (as on
// the wire), or empty.
Bytes DhPublicValue(EVP_PKEY* key, DhGroup group) {
  BIGNUM* pub = nullptr;
  Bytes value(DhBytes(group));
  if (key == nullptr || EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &pub) != 1) return {};
  const int n = BN_bn2binpad(pub, value.data(), static_cast<int>(value.size()));
  BN_free(pub);
  return n == static_cast<int>(value.size()) ? value : Bytes{};
}

// The new groups' keygen checks once, before timing, that it makes a key in
// the group (its public value as long as the prime, a Legendre symbol of 1).
template <class State>
void PrimKeygen(State& state, bool ec, DhGroup group = DhGroup::kOakley5) {
  if (!ec && group != DhGroup::kOakley5) {
    auto k = GenFfdhKey(group);
    const Bytes v = DhPublicValue(k.get(), group);
    sec::OsslPtr<BIGNUM, BN_free> y(v.empty() ? nullptr : BN_bin2bn(v.data(), static_cast<int>(v.size()), nullptr));
    sec::OsslPtr<BN_CTX, BN_CTX_free> bctx(BN_CTX_new());
    const KeptModp& m = KeptExplicitModp(group);
    if (!Verified(state, y && bctx && m.p && BN_num_bytes(m.p.get()) == static_cast<int>(v.size()) &&
                             BN_kronecker(y.get(), m.p.get(), bctx.get()) == 1,
                  "keygen: not a key of the group")) {
      return;
    }
  }
  for (auto _ : state) {
    auto k = GenAgreementKey(ec, group);
    if (!k) state.SkipWithError("keygen");
    benchmark::DoNotOptimize(k.get());
  }
  state.counters["bytes_out"] = ec ? 65 : static_cast<double>(DhBytes(group));
}

// quick = false: the peer key gets OpenSSL's full public-key check
// (EVP_PKEY_derive_set_peer; for EC this includes the n*Q scalar
// multiplication). quick = true (P-256 only): the partial check
// (EVP_PKEY_public_check_quick), which is the full validation of SEC 1 for a
// curve of cofactor 1, as sipim's P-256 KARI code does.
template <class State>
void PrimDerive(State& state, bool ec, bool quick = false) {
  auto a = GenAgreementKey(ec), b = GenAgreementKey(ec);
  unsigned char secret[256];
  std::size_t len = 0;
  for (auto _ : state) {
    // A fresh context per derivation, as a real exchange has (peer set, checked).
    sec::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(a.get(), nullptr));
    len = sizeof secret;
    bool ok = EVP_PKEY_derive_init(ctx.get()) == 1;
    if (quick) {
      sec::EvpPkeyCtxPtr check(EVP_PKEY_CTX_new(b.get(), nullptr));
      ok = ok && check && EVP_PKEY_public_check_quick(check.get()) == 1 &&
           EVP_PKEY_derive_set_peer_ex(ctx.get(), b.get(), 0) == 1;
    } else {
      ok = ok && EVP_PKEY_derive_set_peer(ctx.get(), b.get()) == 1;
    }
    if (!ok || EVP_PKEY_derive(ctx.get(), secret, &len) != 1) state.SkipWithError("derive");
  }
  state.counters["bytes_out"] = static_cast<double>(len);
}

// Turning a peer's public value from the wire into a key, as MIKEY's DH,
// DHHMAC and ECDH modes do (OSSL_PARAM_BLD, EVP_PKEY_fromdata).
template <class State>
void PrimImportPeer(State& state, bool ec, DhGroup group = DhGroup::kOakley5) {
  auto key = GenAgreementKey(ec, group);
  Bytes value;
  if (ec) {
    unsigned char buf[133];
    std::size_t len = 0;
    EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof buf, &len);
    value.assign(buf, buf + len);
  } else {
    value = DhPublicValue(key.get(), group);
  }
  if (!ec && group != DhGroup::kOakley5) {  // the imported key holds the value it was given
    sec::OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> bld(OSSL_PARAM_BLD_new());
    sec::OsslPtr<BIGNUM, BN_free> bn(BN_bin2bn(value.data(), static_cast<int>(value.size()), nullptr));
    const bool pushed = bld && bn && PushDhGroup(bld.get(), group) &&
                        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, bn.get()) == 1;
    sec::OsslPtr<OSSL_PARAM, OSSL_PARAM_free> params(pushed ? OSSL_PARAM_BLD_to_param(bld.get()) : nullptr);
    sec::EvpPkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
    EVP_PKEY* peer = nullptr;
    const bool made = params && fctx && EVP_PKEY_fromdata_init(fctx.get()) == 1 &&
                      EVP_PKEY_fromdata(fctx.get(), &peer, EVP_PKEY_PUBLIC_KEY, params.get()) == 1;
    sec::EvpPkeyPtr owned(peer);
    if (!Verified(state, made && !value.empty() && DhPublicValue(peer, group) == value,
                  "import_peer: value not imported")) {
      return;
    }
  }
  for (auto _ : state) {
    sec::OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> bld(OSSL_PARAM_BLD_new());
    sec::OsslPtr<BIGNUM, BN_free> bn;
    if (ec) {
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, value.data(), value.size());
    } else {
      bn.reset(BN_bin2bn(value.data(), static_cast<int>(value.size()), nullptr));
      PushDhGroup(bld.get(), group);
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, bn.get());
    }
    sec::OsslPtr<OSSL_PARAM, OSSL_PARAM_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
    sec::EvpPkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, ec ? "EC" : "DH", nullptr));
    EVP_PKEY* peer = nullptr;
    if (EVP_PKEY_fromdata_init(fctx.get()) != 1 ||
        EVP_PKEY_fromdata(fctx.get(), &peer, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
      state.SkipWithError("fromdata");
    }
    EVP_PKEY_free(peer);
  }
  state.counters["bytes_out"] = 0;
  state.counters["bytes_in"] = static_cast<double>(value.size());
}

// The encoded public point of an EC key, or empty.
Bytes EncodedPoint(EVP_PKEY* key) {
  unsigned char buf[133];
  std::size_t len = 0;
  if (key == nullptr ||
      EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof buf, &len) != 1) {
    return {};
  }
  return Bytes(buf, buf + len);
}

// P-256 domain parameters as a key object, made once (as MIKEY's
// P256Params): keys generated from it and points imported into a copy of it
// share its EC_GROUP instead of building one from the curve name per call.
EVP_PKEY* KeptP256Params() {
  static const sec::EvpPkeyPtr params = [] {
    sec::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* p = nullptr;
    if (!ctx || EVP_PKEY_paramgen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1 ||
        EVP_PKEY_paramgen(ctx.get(), &p) != 1) {
      return sec::EvpPkeyPtr();
    }
    return sec::EvpPkeyPtr(p);
  }();
  return params.get();
}

// P-256 key generation from the kept parameter key with a kept keygen
// context: EVP_PKEY_generate only (what MIKEY ECDH-ext does per key;
// S/MIME KARI's ephemeral key still uses EVP_EC_gen, keygen/p256).
template <class State>
void PrimKeygenKept(State& state) {
  EVP_PKEY* params = KeptP256Params();
  sec::EvpPkeyCtxPtr kctx(params != nullptr ? EVP_PKEY_CTX_new(params, nullptr) : nullptr);
  if (!kctx || EVP_PKEY_keygen_init(kctx.get()) != 1) {
    state.SkipWithError("keygen init");
    return;
  }
  {  // a P-256 key pair: the curve's name and a 65-byte point
    EVP_PKEY* k = nullptr;
    const bool made = EVP_PKEY_generate(kctx.get(), &k) == 1;
    sec::EvpPkeyPtr owned(k);
    char group[32];
    std::size_t glen = 0;
    if (!Verified(state,
                  made && EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) == 1 &&
                      std::string(group, glen) == "prime256v1" && EncodedPoint(k).size() == 65,
                  "keygen-kept: not a P-256 key")) {
      return;
    }
  }
  for (auto _ : state) {
    EVP_PKEY* k = nullptr;
    if (EVP_PKEY_generate(kctx.get(), &k) != 1) state.SkipWithError("keygen");
    sec::EvpPkeyPtr owned(k);
    benchmark::DoNotOptimize(owned.get());
  }
  state.counters["bytes_out"] = 65;
}

// An encoded P-256 point of a fresh key (uncompressed, 65 bytes).
Bytes P256Point() {
  sec::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  return EncodedPoint(key.get());
}

// A peer's P-256 point turned into a key as MIKEY ECDH-ext does: a new key
// given the kept parameters (EVP_PKEY_copy_parameters) and the encoded
// point (EVP_PKEY_set1_encoded_public_key, which decodes it onto the curve).
// The partial check MIKEY runs next is in derive-quickcheck/p256.
template <class State>
void PrimImportPeerKept(State& state) {
  const Bytes value = P256Point();
  EVP_PKEY* params = KeptP256Params();
  if (value.empty() || params == nullptr) {
    state.SkipWithError("setup");
    return;
  }
  {  // the imported key holds the point it was given
    sec::EvpPkeyPtr peer(EVP_PKEY_new());
    const bool ok = peer && EVP_PKEY_copy_parameters(peer.get(), params) == 1 &&
                    EVP_PKEY_set1_encoded_public_key(peer.get(), value.data(), value.size()) == 1 &&
                    EncodedPoint(peer.get()) == value;
    if (!Verified(state, ok, "import_peer-kept: point not imported")) return;
  }
  for (auto _ : state) {
    sec::EvpPkeyPtr peer(EVP_PKEY_new());
    if (!peer || EVP_PKEY_copy_parameters(peer.get(), params) != 1 ||
        EVP_PKEY_set1_encoded_public_key(peer.get(), value.data(), value.size()) != 1) {
      state.SkipWithError("import");
    }
    benchmark::DoNotOptimize(peer.get());
  }
  state.counters["bytes_out"] = 0;
  state.counters["bytes_in"] = static_cast<double>(value.size());
}

// An EC public point turned into a key as the lean S/MIME KARI receiver
// does: EVP_PKEY_fromdata by group name from a plain OSSL_PARAM array
// (import_peer/p256 builds its parameters with OSSL_PARAM_BLD). Null on
// failure.
sec::EvpPkeyPtr ImportPointByGroup(char* group, const unsigned char* point, std::size_t size) {
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
                         OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<unsigned char*>(point),
                                                           size),
                         OSSL_PARAM_construct_end()};
  sec::EvpPkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* peer = nullptr;
  if (!fctx || EVP_PKEY_fromdata_init(fctx.get()) != 1 ||
      EVP_PKEY_fromdata(fctx.get(), &peer, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return nullptr;
  }
  return sec::EvpPkeyPtr(peer);
}

// A P-256 originator point imported by ImportPointByGroup.
template <class State>
void PrimImportPeerParams(State& state) {
  Bytes value = P256Point();
  if (value.empty()) {
    state.SkipWithError("setup");
    return;
  }
  char group[] = "prime256v1";
  {  // the imported key holds the point it was given
    sec::EvpPkeyPtr peer = ImportPointByGroup(group, value.data(), value.size());
    if (!Verified(state, peer && EncodedPoint(peer.get()) == value, "import_peer-params: point not imported")) return;
  }
  for (auto _ : state) {
    sec::EvpPkeyPtr peer = ImportPointByGroup(group, value.data(), value.size());
    if (!peer) state.SkipWithError("fromdata");
  }
  state.counters["bytes_out"] = 0;
  state.counters["bytes_in"] = static_cast<double>(value.size());
}

// OAKLEY 5 derivation without OpenSSL's peer check (no y^q mod p): a fresh
// context, padded output (the 192-byte TGK), peer set with validation off,
// one derive; as MIKEY DH / DHHMAC do after their own subgroup check.
template <class State>
void PrimDeriveNoCheckDh(State& state, DhGroup group = DhGroup::kOakley5) {
  auto a = GenFfdhKey(group), b = GenFfdhKey(group);
  unsigned char secret[256];
  std::size_t len = 0;
  // check = 0: as timed; check = 1: OpenSSL's full peer check (the reference).
  auto derive = [&](int check, unsigned char* out, std::size_t* out_len) {
    sec::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(a.get(), nullptr));
    *out_len = sizeof secret;
    return ctx && EVP_PKEY_derive_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_dh_pad(ctx.get(), 1) == 1 &&
           EVP_PKEY_derive_set_peer_ex(ctx.get(), b.get(), check) == 1 && EVP_PKEY_derive(ctx.get(), out, out_len) == 1;
  };
  {  // the same secret, as long as the prime, as a derivation with OpenSSL's full peer check
    unsigned char ref[256];
    std::size_t ref_len = 0;
    const bool ok = derive(0, secret, &len) && derive(1, ref, &ref_len) && len == DhBytes(group) && ref_len == len &&
                    std::memcmp(secret, ref, len) == 0;
    if (!Verified(state, ok, "derive-nocheck: secret differs")) return;
  }
  for (auto _ : state) {
    if (!derive(0, secret, &len)) state.SkipWithError("derive");
  }
  state.counters["bytes_out"] = static_cast<double>(len);
}

// The subgroup test of MIKEY's OAKLEY 5 check: the Legendre symbol (y|p) of
// a real public value, BN_kronecker with a kept BN_CTX. The range checks
// and the BIGNUM set-up around it are sipim's own code.
// BN_kronecker's cost depends on the value (a binary-GCD-like loop), and the
// operations check a fresh peer value each time: the primitive cycles
// through kLegendreValues public values, so that its time (and its
// instruction count, whose 20-iteration difference in count_instructions.sh
// then covers each value once) is an average, not one value's luck (one
// value per run moved the count by up to 14 % between runs).
constexpr std::size_t kLegendreValues = 20;

template <class State>
void PrimLegendre(State& state, DhGroup group = DhGroup::kOakley5) {
  sec::OsslPtr<BN_CTX, BN_CTX_free> bctx(BN_CTX_new());
  std::vector<sec::OsslPtr<BIGNUM, BN_free>> ys;
  sec::OsslPtr<BIGNUM, BN_free> p;
  bool ok = bctx != nullptr;
  for (std::size_t i = 0; ok && i < kLegendreValues; ++i) {
    auto key = GenFfdhKey(group);
    BIGNUM *y = nullptr, *key_p = nullptr;
    ok = key && EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, &y) == 1 &&
         EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_FFC_P, &key_p) == 1;
    ys.emplace_back(y);
    sec::OsslPtr<BIGNUM, BN_free> owned_p(key_p);
    if (ok && !p) p = std::move(owned_p);
  }
  if (!ok) {
    state.SkipWithError("setup");
    return;
  }
  {  // real symbols: p is 3 mod 4, so (-1|p) = -1 and (p-y|p) = -(y|p) = -1
    sec::OsslPtr<BIGNUM, BN_free> p_minus_y(BN_new());
    bool real = p_minus_y != nullptr;
    for (const auto& y : ys) {
      real = real && BN_sub(p_minus_y.get(), p.get(), y.get()) == 1 && BN_kronecker(y.get(), p.get(), bctx.get()) == 1 &&
             BN_kronecker(p_minus_y.get(), p.get(), bctx.get()) == -1;
    }
    if (!Verified(state, real, "legendre: not the Legendre symbol")) return;
  }
  std::size_t i = 0;
  for (auto _ : state) {
    if (BN_kronecker(ys[i].get(), p.get(), bctx.get()) != 1) state.SkipWithError("Legendre symbol");
    i = i + 1 == kLegendreValues ? 0 : i + 1;
  }
  state.counters["bytes_out"] = 0;
}

// The KEK derivation of a P-256 KeyAgreeRecipientInfo: X9.63 KDF with
// SHA-256, one output block: SHA-256 over Z (32) || counter (4) ||
// ECC-CMS-SharedInfo (21 bytes for AES-128 wrap) = 57 bytes.
template <class State>
void PrimX963Kdf(State& state) {
  std::vector<unsigned char> in(57, 0x42);
  unsigned char out[32];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_Digest(in.data(), in.size(), out, &len, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_out"] = 16;
}

// AES-128 key wrap (RFC 3394) of a 16-byte content key, or its unwrap: a
// cipher context set up with the KEK per call, as each recipient needs.
template <class State>
void PrimAesWrap(State& state, bool unwrap) {
  sec::EvpCipherPtr wrap(EVP_CIPHER_fetch(nullptr, "AES-128-WRAP", nullptr));
  unsigned char kek[16] = {7}, cek[16] = {9}, wrapped[24 + 16], out[24 + 16];
  int len = 0, fin = 0;
  sec::EvpCipherCtxPtr c(EVP_CIPHER_CTX_new());
  EVP_EncryptInit_ex2(c.get(), wrap.get(), kek, nullptr, nullptr);
  EVP_EncryptUpdate(c.get(), wrapped, &len, cek, sizeof cek);
  EVP_EncryptFinal_ex(c.get(), wrapped + len, &fin);
  for (auto _ : state) {
    sec::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    const bool ok = unwrap ? EVP_DecryptInit_ex2(ctx.get(), wrap.get(), kek, nullptr, nullptr) == 1 &&
                                 EVP_DecryptUpdate(ctx.get(), out, &len, wrapped, 24) == 1 &&
                                 EVP_DecryptFinal_ex(ctx.get(), out + len, &fin) == 1
                           : EVP_EncryptInit_ex2(ctx.get(), wrap.get(), kek, nullptr, nullptr) == 1 &&
                                 EVP_EncryptUpdate(ctx.get(), out, &len, cek, sizeof cek) == 1 &&
                                 EVP_EncryptFinal_ex(ctx.get(), out + len, &fin) == 1;
    if (!ok) state.SkipWithError("AES key wrap");
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_out"] = static_cast<double>(len + fin);
}

// AES with a context keyed once and only the IV reset per call (as sealing
// does), or re-keyed per call (as CMS does with a fresh content key); GCM
// optionally with `aad` bytes of additional data in one call.
template <class State>
void PrimAes(State& state, const EVP_CIPHER* cipher, std::size_t size, bool rekey, std::size_t aad = 0) {
  unsigned char key[16], iv[16] = {0}, tag[16];
  RAND_bytes(key, sizeof key);
  std::vector<unsigned char> in(size, 'm'), out(size + 32), ad(aad + 1, 'h');
  sec::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key, iv);
  const bool gcm = EVP_CIPHER_get_mode(cipher) == EVP_CIPH_GCM_MODE;
  int len = 0, fin = 0;
  for (auto _ : state) {
    iv[0]++;
    if (rekey) {
      EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key, iv);
    } else {
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, nullptr, iv);
    }
    if (aad) EVP_EncryptUpdate(ctx.get(), nullptr, &len, ad.data(), static_cast<int>(aad));
    EVP_EncryptUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(size));
    EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin);
    if (gcm) EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, tag);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes_out"] = static_cast<double>(len + fin + (gcm ? 16 : 0));
}

// Independent references for the fourth-round primitives' self-checks: a
// fresh context through the legacy cipher objects, one pass.
Bytes CtrReference(const unsigned char* key, const unsigned char* iv, const unsigned char* in, std::size_t n) {
  Bytes out(n + 16);
  int len = 0;
  sec::EvpCipherCtxPtr c(EVP_CIPHER_CTX_new());
  if (!c || EVP_EncryptInit_ex(c.get(), EVP_aes_128_ctr(), nullptr, key, iv) != 1 ||
      EVP_EncryptUpdate(c.get(), out.data(), &len, in, static_cast<int>(n)) != 1) {
    return {};
  }
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// AES-128-GCM ciphertext || tag of `in` with `aad` under key and a 12-byte IV.
Bytes GcmReference(const unsigned char* key, const unsigned char* iv, const unsigned char* aad, std::size_t aad_len,
                   const unsigned char* in, std::size_t n) {
  Bytes out(n + 16);
  int len = 0, fin = 0;
  sec::EvpCipherCtxPtr c(EVP_CIPHER_CTX_new());
  if (!c || EVP_EncryptInit_ex(c.get(), EVP_aes_128_gcm(), nullptr, key, iv) != 1 ||
      (aad_len != 0 && EVP_EncryptUpdate(c.get(), nullptr, &len, aad, static_cast<int>(aad_len)) != 1) ||
      EVP_EncryptUpdate(c.get(), out.data(), &len, in, static_cast<int>(n)) != 1 ||
      EVP_EncryptFinal_ex(c.get(), out.data() + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_AEAD_GET_TAG, 16, out.data() + n) != 1) {
    return {};
  }
  return out;
}

// AES-128-CTR under a new key per call, as MIKEY's AES-CM encrypts or
// decrypts the KEMAC key data (RFC 3830 §4.2.3): a fresh context keyed and
// given its IV with the cipher fetched once (EVP_EncryptInit_ex), one
// EVP_EncryptUpdate, no Final.
template <class State>
void PrimAesCtrFetched(State& state, std::size_t size) {
  static const sec::EvpCipherPtr ctr(EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr));
  unsigned char key[16], iv[16] = {0};
  RAND_bytes(key, sizeof key);
  std::vector<unsigned char> in(size, 'm'), out(size + 16);
  int len = 0;
  auto pass = [&] {
    sec::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    return ctr && ctx && EVP_EncryptInit_ex(ctx.get(), ctr.get(), nullptr, key, iv) == 1 &&
           EVP_EncryptUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(size)) == 1;
  };
  {  // the keystream XOR the text, as a fresh EVP_aes_128_ctr() context gives it
    const bool ok = pass() && Bytes(out.begin(), out.begin() + len) == CtrReference(key, iv, in.data(), size);
    if (!Verified(state, ok, "aes128ctr-fetched: not AES-CTR")) return;
  }
  for (auto _ : state) {
    if (!pass()) state.SkipWithError("CTR");
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes_out"] = static_cast<double>(len);
}

// AES-128-CTR as sealing runs it for messages over kCmShortMax bytes: the
// kept context given the message's IV (EVP_CipherInit_ex with the key and
// cipher left as they are) and one EVP_CipherUpdate; no Final (a stream
// mode has nothing left to flush), unlike aes128ctr/<n>.
template <class State>
void PrimAesCtrUpdate(State& state, std::size_t size) {
  unsigned char key[16], iv[16] = {0};
  RAND_bytes(key, sizeof key);
  std::vector<unsigned char> in(size, 'm'), out(size + 16);
  sec::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, key, nullptr) != 1) {
    state.SkipWithError("CTR init");
    return;
  }
  int len = 0;
  {  // the keystream XOR the text, as a fresh CTR context gives it
    const bool ok = EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, nullptr, iv, -1) == 1 &&
                    EVP_CipherUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(size)) == 1 &&
                    Bytes(out.begin(), out.begin() + len) == CtrReference(key, iv, in.data(), size);
    if (!Verified(state, ok, "aes128ctr-update: not AES-CTR")) return;
  }
  for (auto _ : state) {
    if (EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, nullptr, iv, -1) != 1 ||
        EVP_CipherUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(size)) != 1) {
      state.SkipWithError("CTR");
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes_out"] = static_cast<double>(len);
}

// HMAC with a keyed context re-initialised per call (as sealing does).
template <class State>
void PrimHmac(State& state, const char* digest, std::size_t size) {
  sec::EvpMacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  sec::EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
  unsigned char key[20] = {1}, out[64];
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
                         OSSL_PARAM_construct_end()};
  EVP_MAC_init(ctx.get(), key, sizeof key, params);
  std::vector<unsigned char> in(size, 'm');
  std::size_t len = 0;
  for (auto _ : state) {
    EVP_MAC_init(ctx.get(), nullptr, 0, nullptr);
    EVP_MAC_update(ctx.get(), in.data(), size);
    EVP_MAC_final(ctx.get(), out, &len, sizeof out);
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_out"] = static_cast<double>(len);
}

// HMAC-SHA1 from precomputed key-pad states (RFC 2104 §4), as sealing
// computes it: the inner and outer SHA-1 states are keyed once; per call
// they are copied, updated and finalised.
template <class State>
void PrimHmacPads(State& state, std::size_t size) {
  unsigned char ipad[64], opad[64], key[20] = {1}, inner[20], out[20];
  std::memset(ipad, 0x36, sizeof ipad);
  std::memset(opad, 0x5c, sizeof opad);
  for (std::size_t i = 0; i < sizeof key; ++i) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
  sec::EvpMdPtr sha1(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  sec::EvpMdCtxPtr ic(EVP_MD_CTX_new()), oc(EVP_MD_CTX_new()), w(EVP_MD_CTX_new());
  EVP_DigestInit_ex2(ic.get(), sha1.get(), nullptr);
  EVP_DigestUpdate(ic.get(), ipad, sizeof ipad);
  EVP_DigestInit_ex2(oc.get(), sha1.get(), nullptr);
  EVP_DigestUpdate(oc.get(), opad, sizeof opad);
  std::vector<unsigned char> in(size, 'm');
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_MD_CTX_copy_ex(w.get(), ic.get());
    EVP_DigestUpdate(w.get(), in.data(), size);
    EVP_DigestFinal_ex(w.get(), inner, &len);
    EVP_MD_CTX_copy_ex(w.get(), oc.get());
    EVP_DigestUpdate(w.get(), inner, sizeof inner);
    EVP_DigestFinal_ex(w.get(), out, &len);
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_out"] = static_cast<double>(len);
}

// HMAC exactly as security::HmacKey computes it (sealing: SHA-1; the RSA
// receive's rejection key: SHA-256): the RFC 2104 pad states absorbed once
// into OpenSSL's low-level SHA_CTX / SHA256_CTX; per call a struct copy of
// each, Update and Final, no EVP layer. (The hmac-sha1-pads row does the
// same through EVP_MD_CTX_copy_ex, which in OpenSSL 3.0 frees and allocates
// the provider context on every copy.)
template <typename Ctx, int (*Init)(Ctx*), int (*Update)(Ctx*, const void*, std::size_t),
          int (*Final)(unsigned char*, Ctx*), std::size_t kLen, class State>
void PrimHmacShaCtx(State& state, std::size_t size, const EVP_MD* md, const char* name) {
  unsigned char ipad[64], opad[64], key[20] = {1}, inner[kLen], out[kLen];
  std::memset(ipad, 0x36, sizeof ipad);
  std::memset(opad, 0x5c, sizeof opad);
  for (std::size_t i = 0; i < sizeof key; ++i) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
  Ctx ic, oc;
  if (Init(&ic) != 1 || Update(&ic, ipad, sizeof ipad) != 1 || Init(&oc) != 1 || Update(&oc, opad, sizeof opad) != 1) {
    state.SkipWithError("SHA pads");
    return;
  }
  std::vector<unsigned char> in(size, 'm');
  auto mac = [&] {
    Ctx w = ic;
    bool ok = Update(&w, in.data(), size) == 1 && Final(inner, &w) == 1;
    w = oc;
    return ok && Update(&w, inner, sizeof inner) == 1 && Final(out, &w) == 1;
  };
  {  // the MAC as OpenSSL's one-shot HMAC() computes it
    unsigned char ref[EVP_MAX_MD_SIZE];
    unsigned int ref_len = 0;
    const bool ok = mac() && HMAC(md, key, sizeof key, in.data(), size, ref, &ref_len) != nullptr &&
                    ref_len == sizeof out && std::memcmp(out, ref, sizeof out) == 0;
    if (!Verified(state, ok, (std::string(name) + ": not HMAC").c_str())) return;
  }
  for (auto _ : state) {
    if (!mac()) state.SkipWithError(name);
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_out"] = static_cast<double>(kLen);
}

template <class State>
void PrimHmacSha1Ctx(State& state, std::size_t size) {
  PrimHmacShaCtx<SHA_CTX, SHA1_Init, SHA1_Update, SHA1_Final, SHA_DIGEST_LENGTH>(state, size, EVP_sha1(),
                                                                                "hmac-sha1-sha1ctx");
}

template <class State>
void PrimHmacSha256Ctx(State& state, std::size_t size) {
  PrimHmacShaCtx<SHA256_CTX, SHA256_Init, SHA256_Update, SHA256_Final, SHA256_DIGEST_LENGTH>(
      state, size, EVP_sha256(), "hmac-sha256-sha256ctx");
}

// HMAC-SHA1 under a key set up per call, from OpenSSL's low-level SHA_CTX
// (RFC 2104 with a key of at most one block: key XOR ipad and key XOR opad
// each absorbed into a fresh SHA_CTX, then the inner hash of the input and
// the outer hash of that). A MIKEY PRF or MAC under a key first used there
// costs this (hmac-sha1-sha1ctx then times a second MAC under the same
// key). The key is 20 bytes; any key up to 64 bytes (the PRF's 32-byte PSK
// chunk too) is the same work: it is zero-padded to the block.
template <class State>
void PrimHmacSha1Keyed(State& state, std::size_t size) {
  const unsigned char key[20] = {1, 2, 3};
  unsigned char ipad[64], opad[64], inner[SHA_DIGEST_LENGTH], out[SHA_DIGEST_LENGTH];
  std::vector<unsigned char> in(size, 'm');
  auto mac = [&] {
    std::memset(ipad, 0x36, sizeof ipad);
    std::memset(opad, 0x5c, sizeof opad);
    for (std::size_t i = 0; i < sizeof key; ++i) {
      ipad[i] ^= key[i];
      opad[i] ^= key[i];
    }
    SHA_CTX c;
    return SHA1_Init(&c) == 1 && SHA1_Update(&c, ipad, sizeof ipad) == 1 && SHA1_Update(&c, in.data(), size) == 1 &&
           SHA1_Final(inner, &c) == 1 && SHA1_Init(&c) == 1 && SHA1_Update(&c, opad, sizeof opad) == 1 &&
           SHA1_Update(&c, inner, sizeof inner) == 1 && SHA1_Final(out, &c) == 1;
  };
  {  // the MAC as OpenSSL's one-shot HMAC() computes it
    unsigned char ref[EVP_MAX_MD_SIZE];
    unsigned int ref_len = 0;
    const bool ok = mac() && HMAC(EVP_sha1(), key, sizeof key, in.data(), size, ref, &ref_len) != nullptr &&
                    ref_len == sizeof out && std::memcmp(out, ref, sizeof out) == 0;
    if (!Verified(state, ok, "hmac-sha1-sha1ctx-keyed: not HMAC")) return;
  }
  for (auto _ : state) {
    if (!mac()) state.SkipWithError("hmac-sha1-sha1ctx-keyed");
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_out"] = static_cast<double>(SHA_DIGEST_LENGTH);
}

// AES-CM's two raw calls back to back in one loop, as a seal or open of a
// short message makes them: the keystream (one AES-ECB call over the counter
// blocks, aes128ecb-ctrblocks) and HMAC-SHA1 from kept pad states over the
// MAC input (hmac-sha1-sha1ctx). Nothing of sipim's own work (counter
// blocks, XOR, join, tag compare, replay window) is in it.
template <class State>
void PrimSequenceAesCm(State& state, std::size_t size, std::size_t mac_input) {
  unsigned char key[16] = {7}, ipad[64], opad[64], inner[SHA_DIGEST_LENGTH], mac[SHA_DIGEST_LENGTH];
  const std::size_t nblocks = (size + 15) / 16;
  std::vector<unsigned char> blocks(16 * nblocks, 0), stream(16 * nblocks + 16), in(mac_input, 'm');
  for (std::size_t b = 0; b < nblocks; ++b) blocks[16 * b + 15] = static_cast<unsigned char>(b);
  std::memset(ipad, 0x36, sizeof ipad);
  std::memset(opad, 0x5c, sizeof opad);
  for (std::size_t i = 0; i < 20; ++i) {
    ipad[i] ^= 3;
    opad[i] ^= 3;
  }
  sec::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  SHA_CTX ic, oc;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, key, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 || SHA1_Init(&ic) != 1 || SHA1_Update(&ic, ipad, 64) != 1 ||
      SHA1_Init(&oc) != 1 || SHA1_Update(&oc, opad, 64) != 1) {
    state.SkipWithError("sequence-aescm: setup");
    return;
  }
  int len = 0;
  for (auto _ : state) {
    SHA_CTX w = ic;
    const bool ok =
        EVP_EncryptUpdate(ctx.get(), stream.data(), &len, blocks.data(), static_cast<int>(blocks.size())) == 1 &&
        SHA1_Update(&w, in.data(), in.size()) == 1 && SHA1_Final(inner, &w) == 1 && (w = oc, true) &&
        SHA1_Update(&w, inner, sizeof inner) == 1 && SHA1_Final(mac, &w) == 1;
    if (!ok) state.SkipWithError("sequence-aescm");
    benchmark::DoNotOptimize(stream.data());
    benchmark::DoNotOptimize(mac);
  }
  state.counters["bytes_out"] = static_cast<double>(len);
}

// RAND_bytes of n bytes: the lean encryption draws its content key and IV
// with one call each.
template <class State>
void PrimRandBytes(State& state, std::size_t n) {
  std::vector<unsigned char> out(n);
  for (auto _ : state) {
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) state.SkipWithError("RAND_bytes");
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes_out"] = static_cast<double>(n);
}

// The AES-CM keystream of a short message as sealing makes it: one
// EVP_EncryptUpdate of a kept AES-128-ECB context (no padding) over the
// message's counter blocks (ceil(size/16) of them). Building the counter
// blocks and the XOR with the text are sipim's own work, so they are not
// in the primitive (the blocks are made once here).
template <class State>
void PrimAesEcbCtrBlocks(State& state, std::size_t size) {
  unsigned char key[16];
  RAND_bytes(key, sizeof key);
  const std::size_t nblocks = (size + 15) / 16;
  std::vector<unsigned char> blocks(16 * nblocks, 0), stream(16 * nblocks + 16);
  for (std::size_t b = 0; b < nblocks; ++b) blocks[16 * b + 15] = static_cast<unsigned char>(b);
  sec::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, key, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    state.SkipWithError("ECB init");
    return;
  }
  int len = 0;
  {  // the AES-CTR keystream from the first block on (CTR over zeros)
    const std::vector<unsigned char> zeros(blocks.size(), 0);
    const bool ok =
        EVP_EncryptUpdate(ctx.get(), stream.data(), &len, blocks.data(), static_cast<int>(blocks.size())) == 1 &&
        Bytes(stream.begin(), stream.begin() + len) == CtrReference(key, blocks.data(), zeros.data(), zeros.size());
    if (!Verified(state, ok, "aes128ecb-ctrblocks: not the CTR keystream")) return;
  }
  for (auto _ : state) {
    if (EVP_EncryptUpdate(ctx.get(), stream.data(), &len, blocks.data(), static_cast<int>(blocks.size())) != 1) {
      state.SkipWithError("ECB keystream");
    }
    benchmark::DoNotOptimize(stream.data());
  }
  state.counters["bytes_out"] = static_cast<double>(len);
}

// AES-128-GCM as SealSession does it: a context keyed once, per call the IV
// set, `aad` bytes of additional data in one call, the text, and the tag
// read (encrypt) or set before the final check (decrypt) through
// EVP_CIPHER_CTX_get/set_params directly, not the ctrl translation layer.
// The IV stays the same (decryption needs the tag of a fixed IV; GCM's cost
// does not depend on the IV's value).
template <class State>
void PrimGcmParams(State& state, std::size_t size, std::size_t aad, bool decrypt) {
  unsigned char key[16], iv[12] = {1}, tag[16];
  RAND_bytes(key, sizeof key);
  std::vector<unsigned char> in(size, 'm'), ct(size + 16), out(size + 16), ad(aad + 1, 'h');
  sec::EvpCipherCtxPtr enc(EVP_CIPHER_CTX_new()), dec(EVP_CIPHER_CTX_new());
  int len = 0, fin = 0;
  OSSL_PARAM tag_param[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, sizeof tag),
                            OSSL_PARAM_construct_end()};
  if (!enc || !dec || EVP_EncryptInit_ex(enc.get(), EVP_aes_128_gcm(), nullptr, key, nullptr) != 1 ||
      EVP_DecryptInit_ex(dec.get(), EVP_aes_128_gcm(), nullptr, key, nullptr) != 1 ||
      EVP_EncryptInit_ex(enc.get(), nullptr, nullptr, nullptr, iv) != 1 ||
      EVP_EncryptUpdate(enc.get(), nullptr, &len, ad.data(), static_cast<int>(aad)) != 1 ||
      EVP_EncryptUpdate(enc.get(), ct.data(), &len, in.data(), static_cast<int>(size)) != 1 ||
      EVP_EncryptFinal_ex(enc.get(), ct.data() + len, &fin) != 1 || EVP_CIPHER_CTX_get_params(enc.get(), tag_param) != 1) {
    state.SkipWithError("GCM setup");
    return;
  }
  {  // ciphertext and tag as a fresh EVP_aes_128_gcm() context gives them
    Bytes got(ct.begin(), ct.begin() + static_cast<std::ptrdiff_t>(size));
    got.insert(got.end(), tag, tag + sizeof tag);
    if (!Verified(state, got == GcmReference(key, iv, ad.data(), aad, in.data(), size), "GCM params: not AES-GCM")) {
      return;
    }
  }
  for (auto _ : state) {
    bool ok;
    if (decrypt) {
      ok = EVP_DecryptInit_ex(dec.get(), nullptr, nullptr, nullptr, iv) == 1 &&
           EVP_DecryptUpdate(dec.get(), nullptr, &len, ad.data(), static_cast<int>(aad)) == 1 &&
           EVP_DecryptUpdate(dec.get(), out.data(), &len, ct.data(), static_cast<int>(size)) == 1 &&
           EVP_CIPHER_CTX_set_params(dec.get(), tag_param) == 1 && EVP_DecryptFinal_ex(dec.get(), out.data() + len, &fin) == 1;
    } else {
      ok = EVP_EncryptInit_ex(enc.get(), nullptr, nullptr, nullptr, iv) == 1 &&
           EVP_EncryptUpdate(enc.get(), nullptr, &len, ad.data(), static_cast<int>(aad)) == 1 &&
           EVP_EncryptUpdate(enc.get(), out.data(), &len, in.data(), static_cast<int>(size)) == 1 &&
           EVP_EncryptFinal_ex(enc.get(), out.data() + len, &fin) == 1 &&
           EVP_CIPHER_CTX_get_params(enc.get(), tag_param) == 1;
    }
    if (!ok) state.SkipWithError(decrypt ? "GCM open" : "GCM seal");
    benchmark::DoNotOptimize(out.data());
  }
  // The last open gave the text back (its tag verified in every iteration).
  if (decrypt && std::memcmp(out.data(), in.data(), size) != 0) state.SkipWithError("GCM open: wrong text");
  state.counters["bytes_out"] = static_cast<double>(decrypt ? size : size + 16);
}

template <class State>
void PrimSha256(State& state, std::size_t size) {
  std::vector<unsigned char> in(size, 'm');
  unsigned char out[32];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_Digest(in.data(), size, out, &len, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_out"] = 32;
}

// SHA-256 as the S/MIME and MIKEY code computes every digest (Sha256Of): a
// digest context kept across calls and the SHA-256 implementation fetched
// once, so each call is EVP_DigestInit_ex2 + Update + Final; sha256/<n>
// (EVP_Digest with EVP_sha256()) also makes and frees a context and looks
// the implementation up on every call.
sec::EvpMdPtr& FetchedSha256() {
  static sec::EvpMdPtr md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  return md;
}

template <class State>
void Sha256Kept(State& state, const std::vector<unsigned char>& in) {
  sec::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const EVP_MD* md = FetchedSha256().get();
  unsigned char out[32];
  unsigned int len = 0;
  if (!ctx || md == nullptr) {
    state.SkipWithError("SHA-256 fetch");
    return;
  }
  auto digest = [&] {
    return EVP_DigestInit_ex2(ctx.get(), md, nullptr) == 1 && EVP_DigestUpdate(ctx.get(), in.data(), in.size()) == 1 &&
           EVP_DigestFinal_ex(ctx.get(), out, &len) == 1;
  };
  {  // SHA-256 as EVP_Digest computes it
    unsigned char ref[32];
    unsigned int ref_len = 0;
    const bool ok = digest() && EVP_Digest(in.data(), in.size(), ref, &ref_len, EVP_sha256(), nullptr) == 1 &&
                    len == 32 && ref_len == 32 && std::memcmp(out, ref, 32) == 0;
    if (!Verified(state, ok, "sha256-kept: not SHA-256")) return;
  }
  for (auto _ : state) {
    if (!digest()) state.SkipWithError("SHA-256");
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_out"] = 32;
  state.counters["bytes_in"] = static_cast<double>(in.size());
}

template <class State>
void PrimSha256Kept(State& state, std::size_t size) {
  Sha256Kept(state, std::vector<unsigned char>(size, 'm'));
}

// The signed attributes of a real signature by `alg` as DER SET (what the
// signer and the verifier hash), and the X9.63 KDF input of a P-256 KARI.
std::vector<unsigned char> SignedAttrsInput(KeyAlg alg) {
  const sec::SmimeBody body = *Must(sec::SmimeSign(GetPki(alg).users[0], Entity(100)), "sign");
  const sec::SignedDataView v = *Must(sec::ParseSignedData(body.body), "lean parse");
  unsigned char hdr[6];
  const std::size_t h = sec::SignedAttrsSetHeader(v.signed_attrs.size, hdr);
  std::vector<unsigned char> in(hdr, hdr + h);
  in.insert(in.end(), v.signed_attrs.data, v.signed_attrs.data + v.signed_attrs.size);
  return in;
}

template <class State>
void PrimSha256SignedAttrsKept(State& state, KeyAlg alg) { Sha256Kept(state, SignedAttrsInput(alg)); }

template <class State>
void PrimX963KdfKept(State& state) {
  Sha256Kept(state, std::vector<unsigned char>(57, 0x42));
  state.counters["bytes_out"] = 16;
}

// AES-128-CBC with PKCS#7 padding as the lean EnvelopedData code runs it: a
// fresh context per call, keyed and given its IV with the cipher fetched
// once (EVP_EncryptInit_ex2 / EVP_DecryptInit_ex2), one update, final.
// `decrypt`: the receiver's direction, on the ciphertext of `size` bytes.
template <class State>
void PrimCbcRekeyFetched(State& state, std::size_t size, bool decrypt) {
  static const sec::EvpCipherPtr cbc(EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr));
  unsigned char key[16], iv[16] = {0};
  RAND_bytes(key, sizeof key);
  std::vector<unsigned char> in(size, 'm'), ct(size + 16), out(size + 32);
  if (!cbc) {
    state.SkipWithError("CBC fetch");
    return;
  }
  int len = 0, fin = 0;
  auto pass = [&](bool dec, const unsigned char* from, std::size_t n, unsigned char* to) {
    sec::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    return ctx &&
           (dec ? EVP_DecryptInit_ex2(ctx.get(), cbc.get(), key, iv, nullptr)
                : EVP_EncryptInit_ex2(ctx.get(), cbc.get(), key, iv, nullptr)) == 1 &&
           EVP_CipherUpdate(ctx.get(), to, &len, from, static_cast<int>(n)) == 1 &&
           EVP_CipherFinal_ex(ctx.get(), to + len, &fin) == 1;
  };
  // The ciphertext, checked against a fresh EVP_aes_128_cbc() context, and
  // (decrypt) the text it gives back.
  bool ok = pass(false, in.data(), size, ct.data());
  const std::size_t ct_len = static_cast<std::size_t>(len + fin);
  {
    sec::EvpCipherCtxPtr ref(EVP_CIPHER_CTX_new());
    int a = 0, b = 0;
    ok = ok && ref && EVP_EncryptInit_ex(ref.get(), EVP_aes_128_cbc(), nullptr, key, iv) == 1 &&
         EVP_EncryptUpdate(ref.get(), out.data(), &a, in.data(), static_cast<int>(size)) == 1 &&
         EVP_EncryptFinal_ex(ref.get(), out.data() + a, &b) == 1 && static_cast<std::size_t>(a + b) == ct_len &&
         std::memcmp(out.data(), ct.data(), ct_len) == 0;
    ok = ok && (!decrypt || (pass(true, ct.data(), ct_len, out.data()) && static_cast<std::size_t>(len + fin) == size &&
                             std::memcmp(out.data(), in.data(), size) == 0));
    if (!Verified(state, ok, "aes128cbc-rekey-fetched: not AES-128-CBC")) return;
  }
  for (auto _ : state) {
    if (!(decrypt ? pass(true, ct.data(), ct_len, out.data()) : pass(false, in.data(), size, out.data()))) {
      state.SkipWithError("CBC");
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes_out"] = static_cast<double>(decrypt ? size : ct_len);
}

// AES-128-GCM under a new key per call (a CMS content key) as cheaply as
// OpenSSL allows it: a kept context re-keyed with the implementation
// fetched once (EVP_EncryptInit_ex2), one update, final, tag. The lean
// S/MIME code uses a fetched cipher too (and a fresh context per message);
// aes128gcm-rekey/<n> passes EVP_aes_128_gcm(), which OpenSSL 3.0 looks up
// again on every EVP_EncryptInit_ex.
template <class State>
void PrimGcmRekeyFetched(State& state, std::size_t size) {
  static const sec::EvpCipherPtr gcm(EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr));
  unsigned char key[16], iv[12] = {0}, tag[16];
  RAND_bytes(key, sizeof key);
  std::vector<unsigned char> in(size, 'm'), out(size + 16);
  sec::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || !gcm) {
    state.SkipWithError("GCM fetch");
    return;
  }
  int len = 0, fin = 0;
  auto seal = [&] {
    return EVP_EncryptInit_ex2(ctx.get(), gcm.get(), key, iv, nullptr) == 1 &&
           EVP_EncryptUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(size)) == 1 &&
           EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, sizeof tag, tag) == 1;
  };
  {  // ciphertext and tag as a fresh EVP_aes_128_gcm() context gives them
    bool ok = seal();
    Bytes got(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
    got.insert(got.end(), tag, tag + sizeof tag);
    ok = ok && got == GcmReference(key, iv, nullptr, 0, in.data(), size);
    if (!Verified(state, ok, "aes128gcm-rekey-fetched: not AES-GCM")) return;
  }
  for (auto _ : state) {
    iv[0]++;
    if (!seal()) state.SkipWithError("GCM");
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes_out"] = static_cast<double>(len + fin + 16);
}

// Decoding a received certificate (what a receiver without a cache does for
// every message that carries one; in OpenSSL 3.0 this includes decoding the
// public key through the provider decoder framework).
template <class State>
void PrimD2iX509(State& state, KeyAlg alg) {
  const Bytes der = *Must(sec::CertToDer(GetPki(alg).users[0].cert.get()), "cert DER");
  for (auto _ : state) {
    const unsigned char* p = der.data();
    sec::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert) state.SkipWithError("d2i_X509");
    benchmark::DoNotOptimize(cert.get());
  }
  state.counters["bytes_out"] = 0;
  state.counters["bytes_in"] = static_cast<double>(der.size());
}

// Path validation of a parsed signer certificate against the trust store
// (leaf signed by the CA): X509_STORE_CTX set up, X509_verify_cert, freed;
// purpose S/MIME signing (as SmimeReceive) or none (as MIKEY's CERT check).
// It includes the CA's signature on the certificate.
template <class State>
void PrimVerifyChain(State& state, KeyAlg alg, int purpose) {
  Pki& p = GetPki(alg);
  X509* leaf = p.users[0].cert.get();
  for (auto _ : state) {
    sec::X509StoreCtxPtr sc(X509_STORE_CTX_new());
    if (!sc || X509_STORE_CTX_init(sc.get(), p.trust.get(), leaf, nullptr) != 1 ||
        (purpose != 0 && X509_STORE_CTX_set_purpose(sc.get(), purpose) != 1) || X509_verify_cert(sc.get()) != 1) {
      state.SkipWithError("X509_verify_cert");
    }
  }
  state.counters["bytes_out"] = 0;
}

// SHA-256 over the signed attributes of a real signature by `alg` (the
// second digest a signer or verifier with signed attributes computes).
template <class State>
void PrimSha256SignedAttrs(State& state, KeyAlg alg) {
  const sec::SmimeBody body = *Must(sec::SmimeSign(GetPki(alg).users[0], Entity(100)), "sign");
  const sec::SignedDataView v = *Must(sec::ParseSignedData(body.body), "lean parse");
  unsigned char hdr[6];
  const std::size_t h = sec::SignedAttrsSetHeader(v.signed_attrs.size, hdr);
  std::vector<unsigned char> in(hdr, hdr + h);
  in.insert(in.end(), v.signed_attrs.data, v.signed_attrs.data + v.signed_attrs.size);
  unsigned char out[32];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_Digest(in.data(), in.size(), out, &len, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_out"] = 32;
  state.counters["bytes_in"] = static_cast<double>(in.size());
}

// The raw OpenSSL calls a receive of a signed body with the signer's
// certificate carried needs (see the complete primitive lists), made one
// after the other in one loop iteration instead of each in a loop of its
// own: SHA-256 over the content and over the signed attributes, d2i_X509,
// path validation, EVP_PKEY_verify with a kept context, X509_free; with
// `decrypt` (RSA), first the content key's RSAES-PKCS1-v1_5 decryption, the
// rejection key (HMAC-SHA-256 of the encrypted key from SHA256_CTX pad
// states) and AES-128-GCM (re-keyed) over the signed body. In sequence each call runs
// with the caches and branch predictors the others left behind, which the
// sum of the separate loops does not pay: this row measures that sum as one
// sequence, for comparison with BM_Smime/verify and decrypt_verify.
template <class State>
void PrimSequence(State& state, KeyAlg alg, std::size_t size, bool decrypt) {
  Pki& p = GetPki(alg);
  const sec::Identity& alice = p.users[0];
  const sec::Identity& bob = p.users[1];
  const std::string entity = Entity(size);
  const std::string signed_body = Must(sec::SmimeSign(alice, entity), "sign")->body;
  const sec::SignedDataView v = *Must(sec::ParseSignedData(signed_body), "lean parse");
  unsigned char hdr[6];
  const std::size_t h = sec::SignedAttrsSetHeader(v.signed_attrs.size, hdr);
  std::vector<unsigned char> attrs(hdr, hdr + h);
  attrs.insert(attrs.end(), v.signed_attrs.data, v.signed_attrs.data + v.signed_attrs.size);
  const Bytes cert = *Must(sec::CertToDer(alice.cert.get()), "cert DER");
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(attrs.data(), attrs.size(), digest, &len, EVP_sha256(), nullptr);
  sec::EvpPkeyCtxPtr vctx = sec::NewVerifyContext(X509_get0_pubkey(alice.cert.get()));
  // The encrypted layer: the content key under bob's key, the signed body under the content key.
  unsigned char cek[16], iv[12], tag[16], ek[512];
  std::size_t ek_len = sizeof ek;
  RAND_bytes(cek, sizeof cek);
  RAND_bytes(iv, sizeof iv);
  sec::EvpPkeyCtxPtr ectx(EVP_PKEY_CTX_new(bob.key.get(), nullptr));
  EVP_PKEY_encrypt_init(ectx.get());
  EVP_PKEY_CTX_set_rsa_padding(ectx.get(), RSA_PKCS1_PADDING);
  std::string ct(signed_body.size(), '\0');
  sec::EvpCipherCtxPtr g(EVP_CIPHER_CTX_new());
  int n = 0;
  if (decrypt && (EVP_PKEY_encrypt(ectx.get(), ek, &ek_len, cek, sizeof cek) != 1 ||
                  EVP_EncryptInit_ex(g.get(), EVP_aes_128_gcm(), nullptr, cek, iv) != 1 ||
                  EVP_EncryptUpdate(g.get(), reinterpret_cast<unsigned char*>(ct.data()), &n,
                                    reinterpret_cast<const unsigned char*>(signed_body.data()),
                                    static_cast<int>(signed_body.size())) != 1 ||
                  EVP_EncryptFinal_ex(g.get(), nullptr, &n) != 1 ||
                  EVP_CIPHER_CTX_ctrl(g.get(), EVP_CTRL_AEAD_GET_TAG, sizeof tag, tag) != 1)) {
    state.SkipWithError("setup");
    return;
  }
  sec::EvpPkeyCtxPtr dctx(EVP_PKEY_CTX_new(bob.key.get(), nullptr));
  EVP_PKEY_decrypt_init(dctx.get());
  EVP_PKEY_CTX_set_rsa_padding(dctx.get(), RSA_PKCS1_PADDING);
  std::string plain(signed_body.size(), '\0');
  unsigned char ipad[64], opad[64];
  std::memset(ipad, 0x36, sizeof ipad);
  std::memset(opad, 0x5c, sizeof opad);
  SHA256_CTX ic, oc;
  SHA256_Init(&ic);
  SHA256_Update(&ic, ipad, sizeof ipad);
  SHA256_Init(&oc);
  SHA256_Update(&oc, opad, sizeof opad);
  for (auto _ : state) {
    bool ok = true;
    if (decrypt) {
      unsigned char key[512], inner[32], rejection[32];
      std::size_t key_len = sizeof key;
      SHA256_CTX w = ic;
      ok = SHA256_Update(&w, ek, ek_len) == 1 && SHA256_Final(inner, &w) == 1;
      w = oc;
      ok = ok && SHA256_Update(&w, inner, sizeof inner) == 1 && SHA256_Final(rejection, &w) == 1;
      benchmark::DoNotOptimize(rejection);
      sec::EvpCipherCtxPtr c(EVP_CIPHER_CTX_new());
      ok = ok && EVP_PKEY_decrypt(dctx.get(), key, &key_len, ek, ek_len) == 1 && key_len == 16 &&
           EVP_DecryptInit_ex(c.get(), EVP_aes_128_gcm(), nullptr, key, iv) == 1 &&
           EVP_DecryptUpdate(c.get(), reinterpret_cast<unsigned char*>(plain.data()), &n,
                             reinterpret_cast<const unsigned char*>(ct.data()), static_cast<int>(ct.size())) == 1 &&
           EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_AEAD_SET_TAG, sizeof tag, tag) == 1 &&
           EVP_DecryptFinal_ex(c.get(), nullptr, &n) == 1;
    }
    unsigned char out[32];
    EVP_Digest(entity.data(), entity.size(), out, &len, EVP_sha256(), nullptr);
    EVP_Digest(attrs.data(), attrs.size(), out, &len, EVP_sha256(), nullptr);
    const unsigned char* q = cert.data();
    sec::X509Ptr x(d2i_X509(nullptr, &q, static_cast<long>(cert.size())));
    sec::X509StoreCtxPtr sc(X509_STORE_CTX_new());
    ok = ok && x && sc && X509_STORE_CTX_init(sc.get(), p.trust.get(), x.get(), nullptr) == 1 &&
         X509_STORE_CTX_set_purpose(sc.get(), X509_PURPOSE_SMIME_SIGN) == 1 && X509_verify_cert(sc.get()) == 1 &&
         EVP_PKEY_verify(vctx.get(), v.signature.data, v.signature.size, digest, sizeof digest) == 1;
    if (!ok) state.SkipWithError("sequence");
  }
  state.counters["bytes_out"] = 0;
  state.counters["bytes_in"] = static_cast<double>(entity.size());
}

// The raw OpenSSL calls BM_Smime/decrypt_verify/p256-aes128gcm-r1/100 (no
// certificate cache) makes, in the code's order, back to back in one loop
// iteration. Decrypt (LeanDecryptKari): the receiver's group name, the
// originator's point imported by EVP_PKEY_fromdata from a parameter array,
// its partial check and the derivation without OpenSSL's full check
// (fresh contexts), the X9.63 KEK with the kept digest context, AES-128 key
// unwrap and AES-128-GCM with the fetched ciphers (fresh cipher contexts).
// Verify (LeanVerifySigned): d2i_X509 of the carried certificate, SHA-256
// of the content and of the signed attributes (kept digest context),
// ECDSA verification with a kept context (the code keeps one per signer
// key), path validation for S/MIME signing with the carried certificate in
// the untrusted stack. Inputs are those of a real signed-then-encrypted
// message to bob: the loop's decryption must give back the signed entity.
template <class State>
void PrimSequenceSmimeP256(State& state) {
  Pki& p = GetPki(KeyAlg::kP256);
  const sec::Identity& alice = p.users[0];
  const sec::Identity& bob = p.users[1];
  const std::string entity = Entity(100);
  const sec::SmimeBody signed_body = *Must(sec::SmimeSign(alice, entity), "sign");
  const std::string signed_entity = sec::SmimeBodyAsEntity(signed_body);
  const std::string enveloped =
      Must(sec::SmimeEncrypt({bob.cert.get()}, signed_entity, sec::SmimeCipher::kAes128Gcm), "encrypt")->body;
  auto env = sec::ParseAuthEnvelopedData(enveloped);
  auto sd = sec::ParseSignedData(signed_body.body);
  if (!Verified(state, env.ok() && env->karis.size() == 1 && env->karis[0].keys.size() == 1 && sd.ok() &&
                           sd->certs.size() == 1 && sd->has_signed_attrs && sd->has_content,
                "sequence: message parts")) {
    return;
  }
  const sec::KariView& kari = env->karis[0];
  const sec::der::Span wrapped = kari.keys[0].encrypted_key;
  // ECC-CMS-SharedInfo after Z in the KDF input (KariKek; sipim's own work).
  std::string info("\x00\x00\x00\x01", 4);
  info.push_back(0x30);
  info.push_back(static_cast<char>(kari.wrap_alg.size + 8));
  info.append(kari.wrap_alg.view());
  info.append("\xA2\x06\x04\x04\x00\x00\x00\x80", 8);
  unsigned char hdr[6];
  const std::size_t h = sec::SignedAttrsSetHeader(sd->signed_attrs.size, hdr);
  static const sec::EvpCipherPtr wrap(EVP_CIPHER_fetch(nullptr, "AES-128-WRAP", nullptr));
  static const sec::EvpCipherPtr gcm(EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr));
  sec::EvpMdCtxPtr md(EVP_MD_CTX_new());
  sec::EvpPkeyCtxPtr vctx = sec::NewVerifyContext(X509_get0_pubkey(alice.cert.get()));
  if (!wrap || !gcm || !md || !vctx || wrapped.size != 24) {
    state.SkipWithError("sequence: setup");
    return;
  }
  EVP_PKEY* own = bob.key.get();
  auto digest = [&](const void* a, std::size_t an, const void* b, std::size_t bn, unsigned char out[32]) {
    unsigned int len = 0;
    return EVP_DigestInit_ex2(md.get(), sec::Sha256Md(), nullptr) == 1 && EVP_DigestUpdate(md.get(), a, an) == 1 &&
           (bn == 0 || EVP_DigestUpdate(md.get(), b, bn) == 1) && EVP_DigestFinal_ex(md.get(), out, &len) == 1;
  };
  std::string plain(env->ciphertext.size, '\0');
  auto decrypt = [&] {
    char group[32];
    std::size_t group_len = 0;
    if (EVP_PKEY_get_utf8_string_param(own, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_len) != 1) {
      return false;
    }
    const sec::EvpPkeyPtr peer =
        ImportPointByGroup(group, kari.originator_point.data, kari.originator_point.size);
    if (!peer) return false;
    sec::EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, peer.get(), nullptr));
    sec::EvpPkeyCtxPtr dctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
    unsigned char z[32], k[32], cek[24 + 16];
    std::size_t zlen = sizeof z;
    int len = 0, fin = 0;
    sec::EvpCipherCtxPtr wc(EVP_CIPHER_CTX_new()), gc;
    const bool have_cek =
        check && EVP_PKEY_public_check_quick(check.get()) == 1 && dctx && EVP_PKEY_derive_init(dctx.get()) == 1 &&
        EVP_PKEY_derive_set_peer_ex(dctx.get(), peer.get(), 0) == 1 && EVP_PKEY_derive(dctx.get(), z, &zlen) == 1 &&
        zlen == 32 && digest(z, sizeof z, info.data(), info.size(), k) && wc &&
        EVP_DecryptInit_ex2(wc.get(), wrap.get(), k, nullptr, nullptr) == 1 &&
        EVP_DecryptUpdate(wc.get(), cek, &len, wrapped.data, static_cast<int>(wrapped.size)) == 1 &&
        EVP_DecryptFinal_ex(wc.get(), cek + len, &fin) == 1 && len + fin == 16;
    gc.reset(EVP_CIPHER_CTX_new());
    return have_cek && gc &&
           EVP_DecryptInit_ex2(gc.get(), gcm.get(), cek, env->nonce.data, nullptr) == 1 &&
           EVP_DecryptUpdate(gc.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, env->ciphertext.data,
                             static_cast<int>(env->ciphertext.size)) == 1 &&
           EVP_CIPHER_CTX_ctrl(gc.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(env->mac.size),
                               const_cast<unsigned char*>(env->mac.data)) == 1 &&
           EVP_DecryptFinal_ex(gc.get(), nullptr, &fin) == 1;
  };
  auto verify = [&] {
    const sec::der::Span& c = sd->certs[0];
    const unsigned char* q = c.data;
    sec::X509Ptr x(d2i_X509(nullptr, &q, static_cast<long>(c.size)));
    unsigned char d[32];
    if (!x || !digest(sd->content.data, sd->content.size, nullptr, 0, d) ||
        std::memcmp(d, sd->message_digest.data, sizeof d) != 0 ||
        !digest(hdr, h, sd->signed_attrs.data, sd->signed_attrs.size, d) ||
        EVP_PKEY_verify(vctx.get(), sd->signature.data, sd->signature.size, d, sizeof d) != 1) {
      return false;
    }
    sec::X509StackPtr untrusted(sk_X509_new_null());
    if (!untrusted || sk_X509_push(untrusted.get(), x.get()) == 0) return false;
    X509_up_ref(x.get());
    sec::X509StoreCtxPtr sc(X509_STORE_CTX_new());
    return sc && X509_STORE_CTX_init(sc.get(), p.trust.get(), x.get(), untrusted.get()) == 1 &&
           X509_STORE_CTX_set_purpose(sc.get(), X509_PURPOSE_SMIME_SIGN) == 1 && X509_verify_cert(sc.get()) == 1;
  };
  if (!Verified(state, decrypt() && plain == signed_entity, "sequence: decryption does not give the signed entity")) {
    return;
  }
  for (auto _ : state) {
    if (!decrypt() || !verify()) {
      state.SkipWithError("sequence");
      break;
    }
  }
  state.counters["bytes_out"] = 0;
  state.counters["bytes_in"] = static_cast<double>(enveloped.size());
}

// ------------------------------------------------ sequences: MIKEY receive

// What a MIKEY responder's raw calls read from a real I_MESSAGE: the
// initiator's certificate (CERT), the SIGN value and the SHA-256 of the
// range it covers, the PKE envelope key or the DHi value. The digest is
// computed here, once: the complete primitive lists do not count it.
struct MikeyIParts {
  Bytes cert, sig, pke, dh;
  Bytes signed_range;  // what SIGN signs
  unsigned char digest[32] = {0};
};

// A signed MIKEY message's signed range (everything before the SIGN
// payload's signature field, RFC 3830 §5.2), its SHA-256 and that signature.
bool MikeySignedRange(const Bytes& raw, const sec::mikey::Message& m, unsigned char digest[32], Bytes* sig,
                      Bytes* range) {
  const auto* s = m.payloads.empty() ? nullptr : std::get_if<sec::mikey::SignPayload>(&m.payloads.back());
  unsigned int len = 0;
  if (s == nullptr || m.offsets.back() + 2 > raw.size()) return false;
  *sig = s->signature;
  range->assign(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(m.offsets.back() + 2));
  return EVP_Digest(raw.data(), m.offsets.back() + 2, digest, &len, EVP_sha256(), nullptr) == 1 && len == 32;
}

// SHA-256 as the code hashes a signed range (Sha256Of): a kept digest
// context, the implementation fetched once (as sha256-kept).
bool KeptSha256(EVP_MD_CTX* ctx, const Bytes& in, unsigned char out[32]) {
  unsigned int len = 0;
  return FetchedSha256() && EVP_DigestInit_ex2(ctx, FetchedSha256().get(), nullptr) == 1 &&
         EVP_DigestUpdate(ctx, in.data(), in.size()) == 1 && EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == 32;
}

bool MikeyParts(sec::mikey::Mode mode, const Bytes& i, MikeyIParts* out, DhGroup group = DhGroup::kOakley5) {
  auto m = sec::mikey::Decode(i);
  if (!m.ok()) return false;
  const auto* cert = m->Find<sec::mikey::CertPayload>();
  if (cert == nullptr || !MikeySignedRange(i, *m, out->digest, &out->sig, &out->signed_range)) return false;
  out->cert = cert->data;
  if (mode == sec::mikey::Mode::kPke) {
    const auto* pke = m->Find<sec::mikey::PkePayload>();
    if (pke != nullptr) out->pke = pke->data;
    return pke != nullptr;
  }
  if (mode == sec::mikey::Mode::kEcdhSigned) {
    for (const auto& p : m->payloads) {
      const auto* g = std::get_if<sec::mikey::GeneralExtPayload>(&p);
      if (g != nullptr && g->type == sec::mikey::kEcdhExtType) out->dh = g->data;
    }
    return out->dh.size() == 65;
  }
  const auto* dh = m->Find<sec::mikey::DhPayload>();
  if (dh != nullptr && dh->group == static_cast<std::uint8_t>(group)) out->dh = dh->value;
  return out->dh.size() == DhBytes(group);
}

// The CERT check of a MIKEY receiver without a certificate cache
// (VerifySignedByCert): d2i_X509, a fresh RSA/SHA-256 verify context for its
// key (the code makes one per message), the signed range's SHA-256 (`md`:
// a kept context), EVP_PKEY_verify, path validation without a purpose.
bool MikeyCertCheck(const MikeyIParts& in, X509_STORE* trust, EVP_MD_CTX* md) {
  unsigned char digest[32];
  if (!KeptSha256(md, in.signed_range, digest)) return false;
  const unsigned char* q = in.cert.data();
  sec::X509Ptr x(d2i_X509(nullptr, &q, static_cast<long>(in.cert.size())));
  EVP_PKEY* pub = x ? X509_get0_pubkey(x.get()) : nullptr;
  sec::EvpPkeyCtxPtr vctx(pub != nullptr ? EVP_PKEY_CTX_new_from_pkey(nullptr, pub, nullptr) : nullptr);
  sec::X509StoreCtxPtr sc(X509_STORE_CTX_new());
  return vctx && EVP_PKEY_verify_init(vctx.get()) == 1 &&
         EVP_PKEY_CTX_set_signature_md(vctx.get(), sec::Sha256Md()) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(vctx.get(), RSA_PKCS1_PADDING) == 1 &&
         EVP_PKEY_verify(vctx.get(), in.sig.data(), in.sig.size(), digest, sizeof digest) == 1 && sc &&
         X509_STORE_CTX_init(sc.get(), trust, x.get(), nullptr) == 1 && X509_verify_cert(sc.get()) == 1;
}

// PKE: the envelope key, RSA-OAEP/SHA-256 with a fresh context (as ProcessI).
bool MikeyPkeDecrypt(EVP_PKEY* key, const Bytes& pke, unsigned char env_key[16]) {
  sec::EvpPkeyCtxPtr dctx(EVP_PKEY_CTX_new(key, nullptr));
  unsigned char env[512];
  std::size_t len = sizeof env;
  const bool ok = dctx && EVP_PKEY_decrypt_init(dctx.get()) == 1 &&
                  EVP_PKEY_CTX_set_rsa_padding(dctx.get(), RSA_PKCS1_OAEP_PADDING) == 1 &&
                  EVP_PKEY_CTX_set_rsa_oaep_md(dctx.get(), sec::Sha256Md()) == 1 &&
                  EVP_PKEY_decrypt(dctx.get(), env, &len, pke.data(), pke.size()) == 1 && len == 16;
  if (ok) std::memcpy(env_key, env, 16);
  return ok;
}

// HMAC-SHA1 from raw SHA_CTX pad states (RFC 2104; a key of at most one
// block), as hmac-sha1-sha1ctx-keyed sets them up and hmac-sha1-sha1ctx
// uses them.
struct RawHmacSha1 {
  SHA_CTX inner, outer;
  bool Key(const unsigned char* key, std::size_t len) {
    unsigned char ipad[64], opad[64];
    std::memset(ipad, 0x36, sizeof ipad);
    std::memset(opad, 0x5c, sizeof opad);
    for (std::size_t i = 0; i < len && i < sizeof ipad; ++i) {
      ipad[i] ^= key[i];
      opad[i] ^= key[i];
    }
    return len <= sizeof ipad && SHA1_Init(&inner) == 1 && SHA1_Update(&inner, ipad, sizeof ipad) == 1 &&
           SHA1_Init(&outer) == 1 && SHA1_Update(&outer, opad, sizeof opad) == 1;
  }
  bool Mac(const unsigned char* a, std::size_t na, const unsigned char* b, std::size_t nb,
           unsigned char out[SHA_DIGEST_LENGTH]) const {
    unsigned char ih[SHA_DIGEST_LENGTH];
    SHA_CTX w = inner;
    bool ok = SHA1_Update(&w, a, na) == 1 && (nb == 0 || SHA1_Update(&w, b, nb) == 1) && SHA1_Final(ih, &w) == 1;
    w = outer;
    return ok && SHA1_Update(&w, ih, sizeof ih) == 1 && SHA1_Final(out, &w) == 1;
  }
};

// PKE's symmetric receive on a real exchange (ProcessI after the envelope
// key): the three message keys by the MIKEY PRF under the envelope key
// (RFC 3830 §4.1.2: one 256-bit chunk, one HMAC block each: HMAC over the
// label, then over A_1 || label), the KEMAC MAC checked under the auth key,
// the key data decrypted by AES-128-CTR (a fresh context, the cipher
// fetched once), and the V MAC made under the auth key. The labels, the
// AES-CM IV (the salt XOR CSB ID || T: sipim's work) and the MAC inputs
// are taken from the real messages before timing.
struct MikeyPkeSym {
  Bytes labels[3];  // encr (16 bytes out), auth (20), salt (14)
  Bytes kemac_in, kemac_mac, encr_data, v_in, v_extra, v_mac;
  unsigned char iv[16] = {0};
  unsigned char keys[3][SHA_DIGEST_LENGTH] = {};  // the PRF's output blocks, kept for the check
};

bool MikeyPkeSymmetric(const unsigned char env[16], MikeyPkeSym* s) {
  static const sec::EvpCipherPtr ctr(EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr));
  RawHmacSha1 prf, auth;
  unsigned char a1[SHA_DIGEST_LENGTH], mac[SHA_DIGEST_LENGTH];
  if (!prf.Key(env, 16)) return false;
  for (int j = 0; j < 3; ++j) {
    const Bytes& l = s->labels[j];
    if (!prf.Mac(l.data(), l.size(), nullptr, 0, a1) || !prf.Mac(a1, sizeof a1, l.data(), l.size(), s->keys[j])) {
      return false;
    }
  }
  if (!auth.Key(s->keys[1], 20) || !auth.Mac(s->kemac_in.data(), s->kemac_in.size(), nullptr, 0, mac) ||
      CRYPTO_memcmp(mac, s->kemac_mac.data(), sizeof mac) != 0) {
    return false;
  }
  sec::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  unsigned char plain[256];
  int len = 0;
  if (!ctr || !ctx || s->encr_data.size() > sizeof plain ||
      EVP_EncryptInit_ex(ctx.get(), ctr.get(), nullptr, s->keys[0], s->iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), plain, &len, s->encr_data.data(), static_cast<int>(s->encr_data.size())) != 1) {
    return false;
  }
  return auth.Mac(s->v_in.data(), s->v_in.size(), s->v_extra.data(), s->v_extra.size(), mac) &&
         CRYPTO_memcmp(mac, s->v_mac.data(), sizeof mac) == 0;
}

// MikeyPkeSym's inputs from a real PKE exchange, checked: the PRF's keys
// equal sipim's DeriveMessageKeys, and both MACs verify.
bool MikeyPkeSymInputs(const MikeyFixture& f, const unsigned char env[16], MikeyPkeSym* s) {
  auto d = sec::mikey::Decode(f.i);
  if (!d.ok()) return false;
  const auto* rp = d->Find<sec::mikey::RandPayload>();
  const auto* t = d->Find<sec::mikey::TPayload>();
  const int ki = d->IndexOf(sec::mikey::kKemac);
  if (rp == nullptr || t == nullptr || ki < 0) return false;
  const auto& k = std::get<sec::mikey::KemacPayload>(d->payloads[static_cast<std::size_t>(ki)]);
  const std::uint32_t csb = d->hdr.csb_id;
  const std::uint32_t consts[3] = {sec::kdf_const::kMsgEncr, sec::kdf_const::kMsgAuth, sec::kdf_const::kMsgSalt};
  for (int j = 0; j < 3; ++j) s->labels[j] = sec::KdfLabel(consts[j], 0xFF, csb, rp->rand);
  const std::size_t mac_off = d->offsets[static_cast<std::size_t>(ki)] + 4 + k.encr_data.size() + 1;
  s->kemac_in.assign(f.i.begin(), f.i.begin() + static_cast<std::ptrdiff_t>(mac_off));
  s->kemac_mac = k.mac;
  s->encr_data = k.encr_data;
  if (f.r.size() < 20) return false;
  s->v_in.assign(f.r.begin(), f.r.end() - 20);
  s->v_mac.assign(f.r.end() - 20, f.r.end());
  s->v_extra = sec::ToBytes(f.ci.initiator_uri + f.ci.responder_uri);
  for (int b = 56; b >= 0; b -= 8) s->v_extra.push_back(static_cast<unsigned char>(t->value >> b));
  auto mk = sec::DeriveMessageKeys(d->hdr.prf, Bytes(env, env + 16), csb, rp->rand);
  if (!mk.ok()) return false;
  std::memcpy(s->iv, mk->salt.data(), 14);
  for (int b = 0; b < 4; ++b) s->iv[2 + b] ^= static_cast<unsigned char>(csb >> (24 - 8 * b));
  for (int b = 0; b < 8; ++b) s->iv[6 + b] ^= static_cast<unsigned char>(t->value >> (56 - 8 * b));
  return MikeyPkeSymmetric(env, s) && Bytes(s->keys[0], s->keys[0] + 16) == mk->encr_key &&
         Bytes(s->keys[1], s->keys[1] + 20) == mk->auth_key && Bytes(s->keys[2], s->keys[2] + 14) == mk->salt;
}

// DH, the R_MESSAGE side (the initiator's key `own` exists already): the
// peer value turned into a BIGNUM, range-checked and its Legendre symbol
// taken with a fresh BN_CTX (CheckModp1536Value), imported by OSSL_PARAM_BLD
// (ImportDhValue), and the padded secret derived without OpenSSL's peer
// check (SharedSecret: size query, then derive).
bool MikeyDhDerive(EVP_PKEY* own, const Bytes& value, const BIGNUM* p, std::size_t* secret_len,
                   DhGroup group = DhGroup::kOakley5) {
  sec::OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free> bld(OSSL_PARAM_BLD_new());
  sec::OsslPtr<BIGNUM, BN_free> y(BN_bin2bn(value.data(), static_cast<int>(value.size()), nullptr));
  sec::OsslPtr<BIGNUM, BN_free> p_minus_1(BN_dup(p));
  sec::OsslPtr<BN_CTX, BN_CTX_free> bctx(BN_CTX_new());
  if (!bld || !y || !p_minus_1 || !bctx || BN_sub_word(p_minus_1.get(), 1) != 1 ||
      BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), p_minus_1.get()) >= 0 ||
      BN_kronecker(y.get(), p, bctx.get()) != 1 || !PushDhGroup(bld.get(), group) ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, y.get()) != 1) {
    return false;
  }
  sec::OsslPtr<OSSL_PARAM, OSSL_PARAM_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
  sec::EvpPkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
  EVP_PKEY* peer_raw = nullptr;
  if (!params || !fctx || EVP_PKEY_fromdata_init(fctx.get()) != 1 ||
      EVP_PKEY_fromdata(fctx.get(), &peer_raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return false;
  }
  sec::EvpPkeyPtr peer(peer_raw);
  sec::EvpPkeyCtxPtr dctx(EVP_PKEY_CTX_new(own, nullptr));
  unsigned char secret[256];
  std::size_t len = 0;
  if (!dctx || EVP_PKEY_derive_init(dctx.get()) != 1 || EVP_PKEY_CTX_set_dh_pad(dctx.get(), 1) != 1 ||
      EVP_PKEY_derive_set_peer_ex(dctx.get(), peer.get(), 0) != 1 || EVP_PKEY_derive(dctx.get(), nullptr, &len) != 1 ||
      len > sizeof secret) {
    return false;
  }
  *secret_len = len;
  return EVP_PKEY_derive(dctx.get(), secret, secret_len) == 1;
}

// DH, the I_MESSAGE side: first a key in the group (GenKeyPair: OAKLEY 5 by
// group name, OAKLEY 1 and 2 from the kept parameters).
bool MikeyDhAgree(const Bytes& value, const BIGNUM* p, std::size_t* secret_len, DhGroup group) {
  const sec::EvpPkeyPtr own = GenFfdhKey(group);
  return own && MikeyDhDerive(own.get(), value, p, secret_len, group);
}

// ECDH-ext, the R_MESSAGE side: the peer point imported into a copy of the
// kept parameters and given the partial check (ImportP256Point), the secret
// derived with `own` without OpenSSL's full check (SharedSecret: size query,
// then derive).
bool MikeyEcdhDerive(EVP_PKEY* own, EVP_PKEY* params, const Bytes& point, std::size_t* secret_len) {
  sec::EvpPkeyPtr peer(EVP_PKEY_new());
  if (!peer || EVP_PKEY_copy_parameters(peer.get(), params) != 1 ||
      EVP_PKEY_set1_encoded_public_key(peer.get(), point.data(), point.size()) != 1) {
    return false;
  }
  sec::EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, peer.get(), nullptr));
  sec::EvpPkeyCtxPtr dctx(EVP_PKEY_CTX_new(own, nullptr));
  unsigned char secret[64];
  std::size_t len = 0;
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1 || !dctx || EVP_PKEY_derive_init(dctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer_ex(dctx.get(), peer.get(), 0) != 1 || EVP_PKEY_derive(dctx.get(), nullptr, &len) != 1 ||
      len > sizeof secret) {
    return false;
  }
  *secret_len = len;
  return EVP_PKEY_derive(dctx.get(), secret, secret_len) == 1;
}

// ECDH-ext, the I_MESSAGE side: first a P-256 key from the kept keygen
// context (GenKeyPair).
bool MikeyEcdhAgree(EVP_PKEY_CTX* kctx, EVP_PKEY* params, const Bytes& point, std::size_t* secret_len) {
  EVP_PKEY* own_raw = nullptr;
  if (EVP_PKEY_generate(kctx, &own_raw) != 1) return false;
  const sec::EvpPkeyPtr own(own_raw);
  return MikeyEcdhDerive(own.get(), params, point, secret_len);
}

// The raw OpenSSL calls BM_Mikey/<mode>/i_process (no certificate cache)
// makes, in the code's order, back to back in one loop iteration: the CERT
// check (d2i_X509, verify, chain), then for PKE the envelope key's
// decryption and the symmetric work, for DH / ECDH-ext key generation, the peer value's import and
// check, the derivation, and the R_MESSAGE's RSA signature with the
// identity's kept signing context. Inputs are the parts of a real
// I_MESSAGE; the signed digest is that of a real R_MESSAGE, whose signature
// the loop's must equal. Per-process state (trust store, P-256 parameters
// and keygen context, OAKLEY 5's p, the signing context) is made before
// timing, as in the code. The SHA-256 of each signed range (I's before the
// verify, R's before the signature) is made in the loop with a kept digest
// context, as Sha256Of does. PKE then makes its symmetric calls
// (MikeyPkeSymmetric: PRF, KEMAC MAC, AES-CTR, V MAC) as its complete list
// has them. Parsing is in no list, so not here either.
template <class State>
void PrimSequenceMikey(State& state, sec::mikey::Mode mode, DhGroup group) {
  using sec::mikey::Mode;
  Pki& p = GetPki(KeyAlg::kRsa2048);
  const MikeyFixture f = MakeMikey(mode, group);
  MikeyIParts in;
  if (!Verified(state, MikeyParts(mode, f.i, &in, group), "sequence: I_MESSAGE parts")) return;
  // The responder's own signature over a real R_MESSAGE (DH family).
  unsigned char r_digest[32] = {0};
  Bytes r_sig, r_range;
  const bool signs = mode != Mode::kPke;
  if (signs) {
    auto r = sec::mikey::Decode(f.r);
    if (!Verified(state, r.ok() && MikeySignedRange(f.r, *r, r_digest, &r_sig, &r_range),
                  "sequence: R_MESSAGE parts")) {
      return;
    }
  }
  sec::EvpMdCtxPtr md(EVP_MD_CTX_new());
  if (!Verified(state, md != nullptr, "sequence: digest context")) return;
  EVP_PKEY* me = p.users[1].key.get();
  sec::EvpPkeyCtxPtr sctx(EVP_PKEY_CTX_new_from_pkey(nullptr, me, nullptr));
  if (!sctx || EVP_PKEY_sign_init(sctx.get()) != 1 || EVP_PKEY_CTX_set_signature_md(sctx.get(), sec::Sha256Md()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(sctx.get(), RSA_PKCS1_PADDING) != 1) {
    state.SkipWithError("sequence: signing context");
    return;
  }
  unsigned char sig[512], digest[32];
  auto sign = [&] {
    std::size_t len = sizeof sig;
    return KeptSha256(md.get(), r_range, digest) && EVP_PKEY_sign(sctx.get(), sig, &len, digest, sizeof digest) == 1 &&
           len == r_sig.size();
  };
  if (signs && !Verified(state, sign() && std::memcmp(sig, r_sig.data(), r_sig.size()) == 0,
                         "sequence: signature differs from the R_MESSAGE's")) {
    return;
  }
  // The group's p (SafePrime: once per process).
  sec::EvpPkeyPtr dh_params = mode == Mode::kDhSigned ? GenFfdhKey(group) : sec::EvpPkeyPtr();
  BIGNUM* prime = nullptr;
  if (mode == Mode::kDhSigned &&
      (!dh_params || EVP_PKEY_get_bn_param(dh_params.get(), OSSL_PKEY_PARAM_FFC_P, &prime) != 1)) {
    state.SkipWithError("sequence: the group's prime");
    return;
  }
  sec::OsslPtr<BIGNUM, BN_free> owned_prime(prime);
  // P-256 parameters and the keygen context over them (GenKeyPair: kept).
  EVP_PKEY* ec_params = KeptP256Params();
  sec::EvpPkeyCtxPtr kctx(ec_params != nullptr ? EVP_PKEY_CTX_new(ec_params, nullptr) : nullptr);
  if (mode == Mode::kEcdhSigned && (!kctx || EVP_PKEY_keygen_init(kctx.get()) != 1)) {
    state.SkipWithError("sequence: P-256 keygen context");
    return;
  }
  // PKE: the symmetric work's inputs from the real exchange (checked).
  unsigned char env[16] = {0};
  MikeyPkeSym sym;
  if (mode == Mode::kPke && !Verified(state, MikeyPkeDecrypt(me, in.pke, env) && MikeyPkeSymInputs(f, env, &sym),
                                      "sequence: PKE keys and MACs")) {
    return;
  }
  const std::size_t want_secret = mode == Mode::kEcdhSigned ? 32 : DhBytes(group);
  std::size_t secret_len = 0;
  for (auto _ : state) {
    bool ok = MikeyCertCheck(in, p.trust.get(), md.get());
    switch (mode) {
      case Mode::kPke: ok = ok && MikeyPkeDecrypt(me, in.pke, env) && MikeyPkeSymmetric(env, &sym); break;
      case Mode::kDhSigned:
        ok = ok && MikeyDhAgree(in.dh, prime, &secret_len, group) && secret_len == want_secret;
        break;
      case Mode::kEcdhSigned:
        ok = ok && MikeyEcdhAgree(kctx.get(), ec_params, in.dh, &secret_len) && secret_len == want_secret;
        break;
      default: ok = false;
    }
    if (!ok || (signs && !sign())) {
      state.SkipWithError("sequence");
      break;
    }
  }
  state.counters["bytes_out"] = 0;
  state.counters["bytes_in"] = static_cast<double>(f.i.size());
}

// The raw OpenSSL calls BM_Mikey/<mode>/r_process (no certificate cache)
// makes, back to back in one loop iteration: the R_MESSAGE's CERT check
// (d2i_X509, a fresh verify context, the signed range's SHA-256,
// EVP_PKEY_verify, path validation without a purpose), then the responder's value checked, imported and
// derived with the initiator's key (made before timing, as BuildI made it).
// Inputs are the parts of a real R_MESSAGE. A sequence because the separate
// rows check a kept certificate with a kept key context: they leave out
// what a certificate costs on its first use (its extensions decoded and
// cached, its key's Montgomery set-up), which this receive pays on every
// message (measured with perf: the SIGN check 50 µs here against the kept
// context's 32 µs, the chain check 63 µs against 51 µs).
template <class State>
void PrimSequenceMikeyR(State& state, sec::mikey::Mode mode, DhGroup group) {
  const bool ec = mode == sec::mikey::Mode::kEcdhSigned;
  Pki& p = GetPki(KeyAlg::kRsa2048);
  const MikeyFixture f = MakeMikey(mode, group);
  MikeyIParts in;
  if (!Verified(state, MikeyParts(mode, f.r, &in, group), "sequence: R_MESSAGE parts")) return;
  EVP_PKEY* ec_params = KeptP256Params();
  sec::EvpPkeyPtr own;
  BIGNUM* prime = nullptr;
  if (ec) {
    sec::EvpPkeyCtxPtr kctx(ec_params != nullptr ? EVP_PKEY_CTX_new(ec_params, nullptr) : nullptr);
    EVP_PKEY* k = nullptr;
    if (kctx && EVP_PKEY_keygen_init(kctx.get()) == 1 && EVP_PKEY_generate(kctx.get(), &k) == 1) own.reset(k);
  } else {
    own = GenFfdhKey(group);
    if (own && EVP_PKEY_get_bn_param(own.get(), OSSL_PKEY_PARAM_FFC_P, &prime) != 1) own.reset();
  }
  sec::OsslPtr<BIGNUM, BN_free> owned_prime(prime);
  if (!own) {
    state.SkipWithError("sequence: the initiator's key");
    return;
  }
  const std::size_t want_secret = ec ? 32 : DhBytes(group);
  std::size_t secret_len = 0;
  sec::EvpMdCtxPtr md(EVP_MD_CTX_new());
  if (!Verified(state, md != nullptr, "sequence: digest context")) return;
  auto receive = [&] {
    return MikeyCertCheck(in, p.trust.get(), md.get()) &&
           (ec ? MikeyEcdhDerive(own.get(), ec_params, in.dh, &secret_len)
               : MikeyDhDerive(own.get(), in.dh, prime, &secret_len, group)) &&
           secret_len == want_secret;
  };
  if (!Verified(state, receive(), "sequence: R_MESSAGE receive")) return;
  for (auto _ : state) {
    if (!receive()) {
      state.SkipWithError("sequence");
      break;
    }
  }
  state.counters["bytes_out"] = 0;
  state.counters["bytes_in"] = static_cast<double>(f.r.size());
}

void RegisterPrimitives() {
  for (KeyAlg alg : {KeyAlg::kRsa2048, KeyAlg::kP256}) {
    const std::string a = sec::KeyAlgName(alg);
    Register("BM_Primitive/d2i_x509/" + a, BENCH(PrimD2iX509), alg)->Apply(SlowTiming);
    Register("BM_Primitive/verify_chain/" + a, BENCH(PrimVerifyChain), alg,
                                 X509_PURPOSE_SMIME_SIGN)
        ->Apply(SlowTiming);
    Register("BM_Primitive/sha256-signedattrs/" + a, BENCH(PrimSha256SignedAttrs), alg)
        ->Apply(FastTiming);
    Register("BM_Primitive/sha256-signedattrs-kept/" + a, BENCH(PrimSha256SignedAttrsKept), alg)
        ->Apply(FastTiming);
  }
  for (KeyAlg alg : {KeyAlg::kRsa2048, KeyAlg::kP256}) {
    for (std::size_t size : {std::size_t{100}, std::size_t{65536}}) {
      Register("BM_Primitive/sequence-verify/" + std::string(sec::KeyAlgName(alg)) + "-" + std::to_string(size),
               BENCH(PrimSequence), alg, size, false)
          ->Apply(SlowTiming);
    }
  }
  Register("BM_Primitive/sequence-decrypt_verify/rsa2048-r1-100", BENCH(PrimSequence), KeyAlg::kRsa2048,
                               std::size_t{100}, true)
      ->Apply(SlowTiming);
  Register("BM_Primitive/sequence-decrypt_verify/p256-r1-100", BENCH(PrimSequenceSmimeP256))
      ->Apply(SlowTiming);
  using sec::mikey::Mode;
  const std::pair<Mode, DhGroup> signed_receives[] = {{Mode::kPke, DhGroup::kOakley5},
                                                      {Mode::kDhSigned, DhGroup::kOakley5},
                                                      {Mode::kEcdhSigned, DhGroup::kOakley5},
                                                      {Mode::kDhSigned, DhGroup::kOakley1},
                                                      {Mode::kDhSigned, DhGroup::kOakley2}};
  for (const auto& [mode, group] : signed_receives) {
    const std::string row = MikeyRowName(mode, group);
    Register("BM_Primitive/sequence-i_process/" + row, BENCH(PrimSequenceMikey), mode, group)->Apply(SlowTiming);
    if (mode != Mode::kPke) {
      Register("BM_Primitive/sequence-r_process/" + row, BENCH(PrimSequenceMikeyR), mode, group)->Apply(SlowTiming);
    }
  }
  Register("BM_Primitive/verify_chain/rsa2048-anypurpose", BENCH(PrimVerifyChain), KeyAlg::kRsa2048, 0)
      ->Apply(SlowTiming);
  for (KeyAlg alg : {KeyAlg::kRsa2048, KeyAlg::kP256}) {
    const std::string a = sec::KeyAlgName(alg);
    Register("BM_Primitive/sign/" + a, BENCH(PrimSign), alg)->Apply(SlowTiming);
    Register("BM_Primitive/verify/" + a, BENCH(PrimVerify), alg)->Apply(SlowTiming);
  }
  Register("BM_Primitive/encrypt/rsa2048-pkcs1", BENCH(PrimRsaEncrypt), RSA_PKCS1_PADDING, false)
      ->Apply(SlowTiming);
  Register("BM_Primitive/decrypt/rsa2048-pkcs1", BENCH(PrimRsaEncrypt), RSA_PKCS1_PADDING, true)
      ->Apply(SlowTiming);
  Register("BM_Primitive/encrypt/rsa2048-oaep", BENCH(PrimRsaEncrypt), RSA_PKCS1_OAEP_PADDING, false)
      ->Apply(SlowTiming);
  Register("BM_Primitive/decrypt/rsa2048-oaep", BENCH(PrimRsaEncrypt), RSA_PKCS1_OAEP_PADDING, true)
      ->Apply(SlowTiming);
  Register("BM_Primitive/keygen/p256", BENCH(PrimKeygen), true)->Apply(SlowTiming);
  Register("BM_Primitive/derive/p256", BENCH(PrimDerive), true, false)->Apply(SlowTiming);
  Register("BM_Primitive/derive-quickcheck/p256", BENCH(PrimDerive), true, true)->Apply(SlowTiming);
  Register("BM_Primitive/keygen/modp1536", BENCH(PrimKeygen), false)->Apply(SlowTiming);
  Register("BM_Primitive/derive/modp1536", BENCH(PrimDerive), false, false)->Apply(SlowTiming);
  Register("BM_Primitive/import_peer/p256", BENCH(PrimImportPeer), true)->Apply(SlowTiming);
  Register("BM_Primitive/x963kdf-sha256/p256", BENCH(PrimX963Kdf))->Apply(FastTiming);
  Register("BM_Primitive/x963kdf-sha256-kept/p256", BENCH(PrimX963KdfKept))->Apply(FastTiming);
  Register("BM_Primitive/aes128-wrap/16", BENCH(PrimAesWrap), false)->Apply(FastTiming);
  Register("BM_Primitive/aes128-unwrap/16", BENCH(PrimAesWrap), true)->Apply(FastTiming);
  Register("BM_Primitive/import_peer/modp1536", BENCH(PrimImportPeer), false)->Apply(SlowTiming);
  // What the code does after the third round (kept P-256 parameters, OAKLEY 5
  // without OpenSSL's y^q check, S/MIME's parameter-array point import).
  Register("BM_Primitive/keygen-kept/p256", BENCH(PrimKeygenKept))->Apply(SlowTiming);
  Register("BM_Primitive/import_peer-kept/p256", BENCH(PrimImportPeerKept))->Apply(SlowTiming);
  Register("BM_Primitive/import_peer-params/p256", BENCH(PrimImportPeerParams))->Apply(SlowTiming);
  Register("BM_Primitive/derive-nocheck/modp1536", BENCH(PrimDeriveNoCheckDh))->Apply(SlowTiming);
  Register("BM_Primitive/legendre/modp1536", BENCH(PrimLegendre))->Apply(SlowTiming);
  // The same four calls in OAKLEY 1 and 2 (MIKEY DH / DHHMAC in those groups):
  // keys from the kept explicit parameters, values imported with p and g.
  for (const auto& [group, name] : {std::pair{DhGroup::kOakley1, "modp768"}, std::pair{DhGroup::kOakley2, "modp1024"}}) {
    const std::string n = name;
    Register("BM_Primitive/keygen/" + n, BENCH(PrimKeygen), false, group)->Apply(SlowTiming);
    Register("BM_Primitive/import_peer/" + n, BENCH(PrimImportPeer), false, group)->Apply(SlowTiming);
    Register("BM_Primitive/derive-nocheck/" + n, BENCH(PrimDeriveNoCheckDh), group)->Apply(SlowTiming);
    Register("BM_Primitive/legendre/" + n, BENCH(PrimLegendre), group)->Apply(SlowTiming);
  }
  // What sealing authenticates besides the plaintext: the framing header of
  // the benchmarks (kFraming, 34 bytes) and the 9-byte seal header.
  const std::size_t seal_aad = kFraming.size() + sec::kSealHeaderLen;
  for (std::size_t s : {100u, 1300u, 8192u, 65536u}) {
    const std::string n = std::to_string(s);
    Register("BM_Primitive/aes128gcm-aad" + std::to_string(seal_aad) + "/" + n, BENCH(PrimAes),
                                 EVP_aes_128_gcm(), s, false, seal_aad)
        ->Apply(FastTiming);
    Register("BM_Primitive/hmac-sha1/" + std::to_string(s + seal_aad), BENCH(PrimHmac), "SHA1",
                                 s + seal_aad)
        ->Apply(FastTiming);
    Register("BM_Primitive/hmac-sha1-pads/" + std::to_string(s + seal_aad), BENCH(PrimHmacPads),
                                 s + seal_aad)
        ->Apply(FastTiming);
    Register("BM_Primitive/hmac-sha1-sha1ctx/" + std::to_string(s + seal_aad), BENCH(PrimHmacSha1Ctx), s + seal_aad)
        ->Apply(FastTiming);
    Register("BM_Primitive/aes128gcm-aad" + std::to_string(seal_aad) + "-params/" + n, BENCH(PrimGcmParams), s,
             seal_aad, false)
        ->Apply(FastTiming);
    Register("BM_Primitive/aes128gcm-aad" + std::to_string(seal_aad) + "-decrypt/" + n, BENCH(PrimGcmParams), s,
             seal_aad, true)
        ->Apply(FastTiming);
    if (s <= sec::SealSession::kCmShortMax) {
      Register("BM_Primitive/aes128ecb-ctrblocks/" + n, BENCH(PrimAesEcbCtrBlocks), s)
          ->Apply(FastTiming);
      Register("BM_Primitive/sequence-aescm/" + n, BENCH(PrimSequenceAesCm), s, s + seal_aad)->Apply(FastTiming);
    } else {
      Register("BM_Primitive/aes128ctr-update/" + n, BENCH(PrimAesCtrUpdate), s)
          ->Apply(FastTiming);
    }
  }
  // The SHA-256 of the signed MIKEY messages (report.h, MikeySignedInput).
  for (const char* row : {"pke", "dh", "ecdh-ext", "dh-oakley1", "dh-oakley2"}) {
    const sipim::secreport::MikeySignedBytes m = sipim::secreport::MikeySignedInput(row);
    for (std::size_t n : {m.i_signed, m.r_signed}) {
      if (n != 0) {
        Register("BM_Primitive/sha256-kept/" + std::to_string(n), BENCH(PrimSha256Kept), n)->Apply(FastTiming);
      }
    }
  }
  // PSK's and PKE's symmetric work (report.h, MikeyKemacInput): the PRF's
  // label HMACs under a kept key, the KEMAC MACs under a new key, the V MAC
  // under a new key (r_process) or the kept one (i_process), AES-CM.
  Register("BM_Primitive/hmac-sha1-sha1ctx/" + std::to_string(sipim::secreport::kMikeyPrfLabelBytes),
           BENCH(PrimHmacSha1Ctx), sipim::secreport::kMikeyPrfLabelBytes)
      ->Apply(FastTiming);
  for (const char* row : {"psk", "pke"}) {
    const sipim::secreport::MikeyKemacBytes m = sipim::secreport::MikeyKemacInput(row);
    Register("BM_Primitive/hmac-sha1-sha1ctx-keyed/" + std::to_string(m.kemac_mac), BENCH(PrimHmacSha1Keyed),
             m.kemac_mac)
        ->Apply(FastTiming);
    Register("BM_Primitive/aes128ctr-fetched/" + std::to_string(m.key_data), BENCH(PrimAesCtrFetched), m.key_data)
        ->Apply(FastTiming);
  }
  const std::size_t v_mac = sipim::secreport::MikeyKemacInput("psk").v_mac;
  Register("BM_Primitive/hmac-sha1-sha1ctx-keyed/" + std::to_string(v_mac), BENCH(PrimHmacSha1Keyed), v_mac)
      ->Apply(FastTiming);
  Register("BM_Primitive/hmac-sha1-sha1ctx/" + std::to_string(v_mac), BENCH(PrimHmacSha1Ctx), v_mac)
      ->Apply(FastTiming);
  // DHHMAC's HMACs (report.h, DhhmacMacInput): the PRF's two (a key set up
  // for the first), and the KEMAC MACs over I and R in each group.
  Register("BM_Primitive/hmac-sha1-sha1ctx-keyed/" + std::to_string(sipim::secreport::kMikeyPrfLabelBytes),
           BENCH(PrimHmacSha1Keyed), sipim::secreport::kMikeyPrfLabelBytes)
      ->Apply(FastTiming);
  Register("BM_Primitive/hmac-sha1-sha1ctx/" + std::to_string(sipim::secreport::kMikeyPrfSecondBytes),
           BENCH(PrimHmacSha1Ctx), sipim::secreport::kMikeyPrfSecondBytes)
      ->Apply(FastTiming);
  for (const char* modp : {"modp1536", "modp768", "modp1024"}) {
    const sipim::secreport::DhhmacMacBytes m = sipim::secreport::DhhmacMacInput(modp);
    for (std::size_t n : {m.i_mac, m.r_mac}) {
      Register("BM_Primitive/hmac-sha1-sha1ctx-keyed/" + std::to_string(n), BENCH(PrimHmacSha1Keyed), n)
          ->Apply(FastTiming);
    }
    Register("BM_Primitive/hmac-sha1-sha1ctx/" + std::to_string(m.r_mac), BENCH(PrimHmacSha1Ctx), m.r_mac)
        ->Apply(FastTiming);
  }
  // The lean encryption's two RAND_bytes; the RSA receive's rejection key
  // (HMAC-SHA-256 over the 256-byte encrypted content key).
  Register("BM_Primitive/rand_bytes/16", BENCH(PrimRandBytes), std::size_t{16})->Apply(FastTiming);
  Register("BM_Primitive/hmac-sha256-sha256ctx/256", BENCH(PrimHmacSha256Ctx), std::size_t{256})
      ->Apply(FastTiming);
  for (std::size_t s : {16u, 100u, 1300u, 8192u, 65536u}) {
    const std::string n = std::to_string(s);
    Register("BM_Primitive/aes128gcm/" + n, BENCH(PrimAes), EVP_aes_128_gcm(), s, false, std::size_t{0})
        ->Apply(FastTiming);
    Register("BM_Primitive/aes128gcm-rekey/" + n, BENCH(PrimAes), EVP_aes_128_gcm(), s, true, std::size_t{0})
        ->Apply(FastTiming);
    Register("BM_Primitive/aes128cbc-rekey/" + n, BENCH(PrimAes), EVP_aes_128_cbc(), s, true, std::size_t{0})
        ->Apply(FastTiming);
    Register("BM_Primitive/aes128ctr/" + n, BENCH(PrimAes), EVP_aes_128_ctr(), s, false, std::size_t{0})
        ->Apply(FastTiming);
    Register("BM_Primitive/hmac-sha1/" + n, BENCH(PrimHmac), "SHA1", s)->Apply(FastTiming);
    Register("BM_Primitive/hmac-sha256/" + n, BENCH(PrimHmac), "SHA256", s)
        ->Apply(FastTiming);
    Register("BM_Primitive/sha256/" + n, BENCH(PrimSha256), s)->Apply(FastTiming);
    Register("BM_Primitive/sha256-kept/" + n, BENCH(PrimSha256Kept), s)->Apply(FastTiming);
    Register("BM_Primitive/aes128gcm-rekey-fetched/" + n, BENCH(PrimGcmRekeyFetched), s)
        ->Apply(FastTiming);
    Register("BM_Primitive/aes128cbc-rekey-fetched/" + n, BENCH(PrimCbcRekeyFetched), s, false)
        ->Apply(FastTiming);
    Register("BM_Primitive/aes128cbc-rekey-fetched-decrypt/" + n, BENCH(PrimCbcRekeyFetched), s,
                                 true)
        ->Apply(FastTiming);
  }
}

// This binary's own flags, taken out of argv before Google Benchmark sees
// them:
//   --min_time_scale=X     0 < X <= 100
//   --iterations=N         1 <= N <= 10^9
//   --alternate=REGEX      instead of Google Benchmark's run, time each ratio
//                          line whose operation matches REGEX (ECMAScript,
//                          searched) against its primitives by batch
//                          alternation (alternation.h) and print the table
//   --alternate_seconds=S  a trial's rounds stop after S seconds (0 < S <= 600;
//                          default 1), and not before 30 rounds
//   --alternate_trials=K   trials per line (1 <= K <= 100; default 3), each
//                          with fresh set-ups; the verdict is their median
//   --alternate_out=FILE   also write the results as JSON to FILE
//   --alternate_pair=A,B   instead of --alternate=REGEX (and repeatable): time
//                          benchmark A against benchmark B by batch
//                          alternation, and print their time ratio A / B
struct OwnFlags {
  bool alternate = false;
  std::string pattern, out;
  std::vector<std::pair<std::string, std::string>> pairs;
  double seconds = 1;
  int trials = 3;
};

// A number flag's value, or nullopt having said why.
std::optional<double> NumberFlag(std::string_view flag, const std::string& value, double lo, double hi,
                                 bool whole) {
  char* end = nullptr;
  const double x = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(x > lo || (whole && x == lo)) || x > hi ||
      (whole && x != static_cast<double>(static_cast<long long>(x)))) {
    std::fprintf(stderr, "bench_security: %.*s wants %s %g to %g, got '%s'\n", static_cast<int>(flag.size()),
                 flag.data(), whole ? "a whole number from" : "a number above", lo, hi, value.c_str());
    return std::nullopt;
  }
  return x;
}

bool TakeOwnFlags(int& argc, char** argv, OwnFlags* own) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::size_t eq = arg.find('=');
    const std::string_view flag = arg.substr(0, eq);
    const std::string value(eq == std::string_view::npos ? "" : arg.substr(eq + 1));
    if (flag == "--min_time_scale") {
      const auto x = NumberFlag(flag, value, 0, 100, false);
      if (!x) return false;
      g_min_time_scale = *x;
    } else if (flag == "--iterations") {
      const auto x = NumberFlag(flag, value, 1, 1e9, true);
      if (!x) return false;
      g_iterations = static_cast<long long>(*x);
    } else if (flag == "--alternate") {
      own->alternate = true;
      own->pattern = value;
    } else if (flag == "--alternate_seconds") {
      const auto x = NumberFlag(flag, value, 0, 600, false);
      if (!x) return false;
      own->seconds = *x;
    } else if (flag == "--alternate_pair") {
      const std::size_t comma = value.find(',');
      if (comma == std::string::npos || comma == 0 || comma + 1 == value.size()) {
        std::fprintf(stderr, "bench_security: --alternate_pair wants two benchmark names, A,B; got '%s'\n",
                     value.c_str());
        return false;
      }
      own->pairs.emplace_back(value.substr(0, comma), value.substr(comma + 1));
    } else if (flag == "--alternate_trials") {
      const auto x = NumberFlag(flag, value, 1, 100, true);
      if (!x) return false;
      own->trials = static_cast<int>(*x);
    } else if (flag == "--alternate_out") {
      if (value.empty()) {
        std::fprintf(stderr, "bench_security: --alternate_out wants a file name\n");
        return false;
      }
      own->out = value;
    } else {
      argv[kept++] = argv[i];
    }
  }
  if (own->alternate && !own->pairs.empty()) {
    std::fprintf(stderr, "bench_security: --alternate=REGEX and --alternate_pair choose lines two ways; give one\n");
    return false;
  }
  own->alternate = own->alternate || !own->pairs.empty();
  const OwnFlags defaults;
  if (!own->alternate && (!own->out.empty() || own->seconds != defaults.seconds || own->trials != defaults.trials)) {
    std::fprintf(stderr,
                 "bench_security: --alternate_seconds, --alternate_trials and --alternate_out go with --alternate\n");
    return false;
  }
  argc = kept;
  argv[argc] = nullptr;
  return true;
}

// Keeps this thread, and the benchmark threads it starts, on the CPU it runs
// on now: the operation and its primitives then share one core's caches and
// one core's speed.
void PinToThisCpu() {
  const int cpu = sched_getcpu();
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu >= 0) CPU_SET(cpu, &set);
  if (cpu < 0 || sched_setaffinity(0, sizeof set, &set) != 0) {
    std::fprintf(stderr, "bench_security: could not pin to one CPU (%s); measuring unpinned\n", std::strerror(errno));
  }
}

int RunAlternation(const OwnFlags& own) {
  std::regex re;
  try {
    re = std::regex(own.pattern);
  } catch (const std::regex_error& e) {
    std::fprintf(stderr, "bench_security: --alternate: bad regular expression '%s': %s\n", own.pattern.c_str(),
                 e.what());
    return 2;
  }
  PinToThisCpu();
  alt::Options options;
  options.budget_ns = static_cast<std::int64_t>(own.seconds * 1e9);
  std::vector<alt::Line> lines;
  for (const auto& [a, b] : own.pairs) {
    for (const std::string& name : {a, b}) {
      if (Bodies().count(name) == 0) {
        std::fprintf(stderr, "bench_security: --alternate_pair: no benchmark named '%s'\n", name.c_str());
        return 2;
      }
    }
    lines.push_back({a, {{1, b}}, "", {}});
  }
  for (const sipim::secreport::RatioSpec& spec : sipim::secreport::RatioSpecs()) {
    if (own.pairs.empty() && !spec.partial && std::regex_search(spec.op, re)) {
      lines.push_back({spec.op, spec.terms, spec.note, {}});
    }
  }
  if (lines.empty()) {
    std::fprintf(stderr, "bench_security: --alternate: no ratio line's operation matches '%s'\n", own.pattern.c_str());
    return 2;
  }
  // Trials outermost: each line's trials are spread over the whole run.
  for (int trial = 1; trial <= own.trials; ++trial) {
    for (alt::Line& line : lines) {
      std::fprintf(stderr, "trial %d of %d: %s against %s\n", trial, own.trials, line.op.c_str(),
                   sipim::secreport::Formula(line.terms).c_str());
      line.trials.push_back(alt::Alternate(Bodies(), line.op, line.terms, options, alt::SteadyNowNs));
      const std::string& error = line.trials.back().error;
      if (!error.empty()) std::fprintf(stderr, "bench_security: %s: %s\n", line.op.c_str(), error.c_str());
    }
  }
  // The table is the result: a write of it that fails (stdout on a full
  // disk, say) is an error, not a run that succeeded.
  const sipim::machine::Machine here = sipim::machine::ThisMachine();
  const std::string table = "Machine: " + sipim::machine::OneLine(here) + "\n\n" +
                            (own.pairs.empty() ? alt::FormatTable(lines) : alt::FormatPairTable(lines));
  const bool table_written =
      std::fwrite(table.data(), 1, table.size(), stdout) == table.size() && std::fflush(stdout) == 0;
  if (!table_written) {
    std::fprintf(stderr, "bench_security: could not write the table to stdout: %s\n", std::strerror(errno));
  }
  if (!own.out.empty()) {
    std::FILE* f = std::fopen(own.out.c_str(), "w");
    const std::string json = alt::ToJson(lines, sipim::machine::ToJson(here));
    const bool written = f != nullptr && std::fwrite(json.data(), 1, json.size(), f) == json.size();
    if ((f != nullptr && std::fclose(f) != 0) || !written) {
      std::fprintf(stderr, "bench_security: could not write %s: %s\n", own.out.c_str(), std::strerror(errno));
      return 1;
    }
  }
  if (!table_written) return 1;  // after the JSON, which may still hold the results
  for (const alt::Line& line : lines) {
    if (!line.Error().empty()) return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  OwnFlags own;
  if (!TakeOwnFlags(argc, argv, &own)) return 2;
  RegisterPrimitives();
  RegisterSmime();
  RegisterSmimeReject();
  RegisterMikey();
  RegisterKdf();
  RegisterSeal();
  if (own.alternate) {
    if (argc > 1) {
      std::fprintf(stderr, "bench_security: --alternate takes no Google Benchmark flags (got %s)\n", argv[1]);
      return 2;
    }
    return RunAlternation(own);
  }
  return sipim::machine::BenchmarkMain(argc, argv);
}
