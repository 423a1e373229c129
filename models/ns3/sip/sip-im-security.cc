#include "ns3/sip/sip-im-security.h"

#include <algorithm>

#include "ns3/boolean.h"
#include "ns3/enum.h"
#include "ns3/log.h"
#include "ns3/sip/node-cpu.h"
#include "ns3/trace-source-accessor.h"
#include "ns3/uinteger.h"

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("SipImSecurity");
NS_OBJECT_ENSURE_REGISTERED(SipImSecurity);

namespace sec = sipim::security;
namespace mikey = sipim::security::mikey;

namespace {

constexpr mikey::Mode kMikeyModes[] = {mikey::Mode::kPsk, mikey::Mode::kPke, mikey::Mode::kDhSigned,
                                       mikey::Mode::kDhhmac, mikey::Mode::kEcdhSigned};

}  // namespace

const char* ToString(SipCryptoOp op) {
  switch (op) {
    case SipCryptoOp::kSmimeSignEncrypt: return "smime_sign_encrypt";
    case SipCryptoOp::kSmimeDecryptVerify:
    case SipCryptoOp::kSmimeDecryptVerifyCached: return "smime_decrypt_verify";
    case SipCryptoOp::kMikeyIBuild: return "mikey_i_build";
    case SipCryptoOp::kMikeyIProcess: return "mikey_i_process";
    case SipCryptoOp::kMikeyRProcess: return "mikey_r_process";
    case SipCryptoOp::kMikeyErrorBuild: return "mikey_error_build";
    case SipCryptoOp::kSeal: return "seal";
    case SipCryptoOp::kOpen: return "open";
  }
  return "?";
}

TypeId SipImSecurity::GetTypeId() {
  static TypeId tid =
      TypeId("ns3::SipImSecurity")
          .SetParent<Object>()
          .SetGroupName("Sipim")
          .AddConstructor<SipImSecurity>()
          .AddAttribute("Mode", "None, Smime (every IM's body, pager or session) or Mikey (sessions: MIKEY once, then sealing).",
                        EnumValue(kSecurityNone), MakeEnumAccessor(&SipImSecurity::m_mode),
                        MakeEnumChecker(kSecurityNone, "None", kSecuritySmime, "Smime", kSecurityMikey, "Mikey"))
          .AddAttribute("SmimeAlgorithm", "S/MIME keys and certificates: Rsa2048 or P256.", EnumValue(0),
                        MakeEnumAccessor(&SipImSecurity::m_smimeAlg), MakeEnumChecker(0, "Rsa2048", 1, "P256"))
          .AddAttribute("SmimeCipher", "S/MIME content encryption: Aes128Gcm (AuthEnvelopedData) or Aes128Cbc.",
                        EnumValue(0), MakeEnumAccessor(&SipImSecurity::m_smimeCipher),
                        MakeEnumChecker(0, "Aes128Gcm", 1, "Aes128Cbc"))
          .AddAttribute("MikeyMode", "MIKEY key exchange: Psk, Pke, Dh, Dhhmac or EcdhExt.", EnumValue(2),
                        MakeEnumAccessor(&SipImSecurity::m_mikeyMode),
                        MakeEnumChecker(0, "Psk", 1, "Pke", 2, "Dh", 3, "Dhhmac", 4, "EcdhExt"))
          .AddAttribute("SealSuite", "Per-message protection in a session: Aes128Gcm or AesCmHmacSha1_80.",
                        EnumValue(static_cast<int>(sec::SealSuite::kAes128Gcm)),
                        MakeEnumAccessor(&SipImSecurity::m_sealSuite),
                        MakeEnumChecker(static_cast<int>(sec::SealSuite::kAes128Gcm), "Aes128Gcm",
                                        static_cast<int>(sec::SealSuite::kAesCmHmacSha1_80), "AesCmHmacSha1_80"))
          .AddAttribute("SmimeCertCache",
                        "Each receiver keeps the signer certificates it has verified (security/cert_cache.h): "
                        "a repeat sender's certificate is neither parsed nor chain-checked again, and the "
                        "receive is charged the -cached calibration row.",
                        BooleanValue(false), MakeBooleanAccessor(&SipImSecurity::m_smimeCertCache),
                        MakeBooleanChecker())
          .AddAttribute("KeyPool",
                        "Distinct key pairs per algorithm, shared by the users in turn (user i gets key "
                        "i mod KeyPool); each user has its own certificate.",
                        UintegerValue(2), MakeUintegerAccessor(&SipImSecurity::m_keyPool),
                        MakeUintegerChecker<std::uint32_t>(1))
          .AddTraceSource("Crypto", "A crypto operation was charged to a node's CPU.",
                          MakeTraceSourceAccessor(&SipImSecurity::m_cryptoTrace), "ns3::SipCryptoTracedCallback");
  return tid;
}

SipImSecurity::SipImSecurity() = default;
SipImSecurity::~SipImSecurity() = default;

sec::KeyAlg SipImSecurity::SmimeKeyAlg() const {
  return m_smimeAlg == 1 ? sec::KeyAlg::kP256 : sec::KeyAlg::kRsa2048;
}

std::string SipImSecurity::SmimeAlgorithmName() const {
  return std::string(sec::KeyAlgName(SmimeKeyAlg())) + "-" +
         sec::SmimeCipherName(m_smimeCipher == 1 ? sec::SmimeCipher::kAes128Cbc : sec::SmimeCipher::kAes128Gcm);
}
std::string SipImSecurity::MikeyModeName() const { return mikey::ModeName(kMikeyModes[m_mikeyMode % 5]); }
std::string SipImSecurity::SealSuiteName() const { return sec::SealSuiteName(GetSealSuite()); }

std::pair<std::string, std::string> SipImSecurity::RowOf(SipCryptoOp op) const {
  switch (op) {
    // One recipient ("-r1"), the signer's certificate carried, signed
    // attributes: what SmimeSend does, and what bench_security times.
    case SipCryptoOp::kSmimeSignEncrypt:
    case SipCryptoOp::kSmimeDecryptVerify: return {ToString(op), SmimeAlgorithmName() + "-r1"};
    case SipCryptoOp::kSmimeDecryptVerifyCached: return {ToString(op), SmimeAlgorithmName() + "-r1-cached"};
    case SipCryptoOp::kMikeyIBuild:
    case SipCryptoOp::kMikeyIProcess:
    case SipCryptoOp::kMikeyRProcess: return {ToString(op), MikeyModeName()};
    case SipCryptoOp::kMikeyErrorBuild: {
      // No mikey_error_build row is measured: the step that costs (see the
      // enum) is charged from its primitive row, a lower bound.
      const mikey::Mode m = kMikeyModes[m_mikeyMode % 5];
      if (m == mikey::Mode::kPsk || m == mikey::Mode::kDhhmac) return {"primitive_hmac-sha1", "hmac-sha1"};
      return {"primitive_sign", "rsa2048"};
    }
    case SipCryptoOp::kSeal:
    case SipCryptoOp::kOpen: return {ToString(op), SealSuiteName()};
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> SipImSecurity::RequiredRows() const {
  std::vector<SipCryptoOp> ops;
  if (IsSmime()) ops = {SipCryptoOp::kSmimeSignEncrypt, SipCryptoOp::kSmimeDecryptVerify};
  if (IsSmime() && m_smimeCertCache) ops.push_back(SipCryptoOp::kSmimeDecryptVerifyCached);
  if (IsMikey()) {
    ops = {SipCryptoOp::kMikeyIBuild, SipCryptoOp::kMikeyIProcess, SipCryptoOp::kMikeyRProcess, SipCryptoOp::kSeal,
           SipCryptoOp::kOpen, SipCryptoOp::kMikeyErrorBuild};
  }
  std::vector<std::pair<std::string, std::string>> rows;
  for (SipCryptoOp op : ops) rows.push_back(RowOf(op));
  return rows;
}

bool SipImSecurity::CheckCalibration(const CpuCalibration& calibration, std::string* error) const {
  for (const auto& [op, alg] : RequiredRows()) {
    if (!calibration.Find(op, alg)) {
      *error = "the CPU calibration has no row (" + op + ", " + alg +
               "), the cost of an operation this security configuration performs";
      return false;
    }
  }
  return true;
}

void SipImSecurity::Charge(Ptr<NodeCpu> cpu, std::uint32_t nodeId, SipAttribution attr, SipCryptoOp op,
                           std::uint64_t bytes, Time measured, std::function<void()> done) {
  const CpuCalibration::Curve* curve = nullptr;
  if (!cpu->IsLive()) {
    const auto row = RowOf(op);
    Ptr<CpuCalibration> cal = cpu->GetCalibration();
    curve = cal ? cal->Find(row.first, row.second) : nullptr;
    if (!curve && cal && !cal->Empty()) {
      NS_LOG_WARN("no calibration row (" << row.first << ", " << row.second << "): charged as zero and counted");
    }
  }
  const CpuWork work{curve, bytes, measured};
  SipCryptoEvent ev;
  ev.nodeId = nodeId;
  ev.attr = attr;
  ev.op = op;
  ev.bytes = bytes;
  ev.cost = cpu->Cost(work);
  m_cryptoTrace(ev);
  cpu->Charge(work, std::move(done));
}

sec::Status SipImSecurity::WarmUp() {
  if (m_warm || (!IsSmime() && !IsMikey())) return {};
  m_warm = true;
  const std::string a = "sip:warm-up-a@sipim.invalid", b = "sip:warm-up-b@sipim.invalid";
  std::string error;
  if (!AddUser(a, &error) || !AddUser(b, &error)) return sec::MakeError(sec::Errc::kCrypto, "warm-up: " + error);
  const std::string text = "warm-up";
  if (IsSmime()) {
    auto body = SmimeSend(a, b, text);
    if (!body) return body.error();
    SipCryptoOp op;
    auto got = SmimeReceive(b, a, body->content_type, body->body, &op);
    if (!got) return got.error();
    return {};
  }
  const std::size_t keyLog = m_keyLog.size();
  SipSessionCrypto caller, callee;
  sec::mikey::ReplayCache replay;
  auto i = MikeyOffer(a, b, &caller);
  if (!i) return i.error();
  auto r = MikeyAnswer(b, a, *i, &replay, &callee);
  if (!r) return r.error();
  if (auto st = MikeyFinish(*r, &caller); !st) return st;
  m_keyLog.erase(m_keyLog.begin() + static_cast<std::ptrdiff_t>(keyLog), m_keyLog.end());  // the test hook lists the simulation's sessions only
  std::string sealed, plain;
  if (auto st = caller.tx.Seal(text, text, sealed); !st) return st;
  return callee.rx.Open(text, sealed, plain);
}

// ---- PKI ----

SipImSecurity::Pki* SipImSecurity::PkiFor(sec::KeyAlg alg, std::string* error) {
  Pki& p = m_pki[alg == sec::KeyAlg::kP256 ? 1 : 0];
  if (p.made) return &p;
  auto caKey = sec::GenerateKey(alg);
  if (!caKey) {
    *error = "CA key: " + caKey.error().ToString();
    return nullptr;
  }
  auto ca = sec::TestCa::Create(std::string("sipim simulation CA ") + sec::KeyAlgName(alg), std::move(*caKey), alg);
  if (!ca) {
    *error = "CA: " + ca.error().ToString();
    return nullptr;
  }
  p.ca = std::move(*ca);
  auto store = sec::MakeTrustStore({p.ca.cert()});
  if (!store) {
    *error = "trust store: " + store.error().ToString();
    return nullptr;
  }
  p.trust = std::move(*store);
  p.made = true;
  return &p;
}

bool SipImSecurity::IssueUser(sec::KeyAlg alg, const std::string& aor, std::string* error) {
  Pki* p = PkiFor(alg, error);
  if (!p) return false;
  if (p->users.count(aor)) return true;
  const std::size_t slot = p->users.size() % m_keyPool;
  if (p->keys.size() <= slot) {
    auto k = sec::GenerateKey(alg);
    if (!k) {
      *error = "key of " + aor + ": " + k.error().ToString();
      return false;
    }
    p->keys.push_back(std::move(*k));
  }
  // The certificate takes its own reference to the pooled key.
  EVP_PKEY* shared = p->keys[slot].get();
  EVP_PKEY_up_ref(shared);
  auto id = p->ca.Issue(aor, sec::EvpPkeyPtr(shared), alg);
  if (!id) {
    *error = "certificate of " + aor + ": " + id.error().ToString();
    return false;
  }
  p->users[aor] = std::make_unique<sec::Identity>(std::move(*id));
  return true;
}

bool SipImSecurity::AddUser(const std::string& aor, std::string* error) {
  if (IsSmime()) return IssueUser(SmimeKeyAlg(), aor, error);
  // MIKEY's signatures, CERT payloads and PKE envelope are RSA (mikey.h).
  if (IsMikey()) return IssueUser(sec::KeyAlg::kRsa2048, aor, error);
  return true;
}

bool SipImSecurity::HasUser(const std::string& aor) const {
  const sec::KeyAlg alg = IsSmime() ? SmimeKeyAlg() : sec::KeyAlg::kRsa2048;
  return GetIdentity(alg, aor) != nullptr;
}

const sec::Identity* SipImSecurity::GetIdentity(sec::KeyAlg alg, const std::string& aor) const {
  const Pki& p = m_pki[alg == sec::KeyAlg::kP256 ? 1 : 0];
  auto it = p.users.find(aor);
  return it == p.users.end() ? nullptr : it->second.get();
}

X509_STORE* SipImSecurity::GetTrust(sec::KeyAlg alg) const {
  return m_pki[alg == sec::KeyAlg::kP256 ? 1 : 0].trust.get();
}

const sec::Identity* SipImSecurity::RsaIdentity(const std::string& aor) const {
  return GetIdentity(sec::KeyAlg::kRsa2048, aor);
}

// ---- S/MIME ----

namespace {
// Flips a byte near the end (inside the ciphertext or its tag), for tests.
void FlipByte(std::string* body) {
  if (!body->empty()) (*body)[body->size() > 20 ? body->size() - 20 : 0] ^= 0x01;
}
}  // namespace

sec::Result<sec::SmimeBody> SipImSecurity::SmimeSend(const std::string& from, const std::string& to,
                                                     std::string_view text) {
  const sec::Identity* signer = GetIdentity(SmimeKeyAlg(), from);
  const sec::Identity* recipient = GetIdentity(SmimeKeyAlg(), to);
  if (!signer || !recipient) {
    return sec::MakeError(sec::Errc::kNoSignerCert, "no certificate for " + (signer ? to : from));
  }
  auto body = sec::SmimeSignAndEncrypt(*signer, {recipient->cert.get()}, sec::MakeMimeEntity("text/plain", text),
                                       m_smimeCipher == 1 ? sec::SmimeCipher::kAes128Cbc : sec::SmimeCipher::kAes128Gcm);
  if (body && TamperForTest(kTamperSmime)) FlipByte(&body->body);
  return body;
}

sec::Result<sec::Received> SipImSecurity::SmimeReceive(const std::string& me, const std::string& fromAor,
                                                       std::string_view contentType, std::string_view body,
                                                       SipCryptoOp* op) {
  *op = SipCryptoOp::kSmimeDecryptVerify;
  const sec::Identity* id = GetIdentity(SmimeKeyAlg(), me);
  if (!id) return sec::MakeError(sec::Errc::kNotRecipient, "no certificate for " + me);
  sec::ReceiveContext ctx;
  ctx.me = id;
  ctx.trust = GetTrust(SmimeKeyAlg());
  ctx.from_aor = fromAor;
  ctx.require_signature = true;
  if (!m_smimeCertCache) return sec::SmimeReceive(contentType, body, ctx);
  std::unique_ptr<sec::CertCache>& cache = m_certCaches[me];
  if (!cache) cache = std::make_unique<sec::CertCache>();
  ctx.cert_cache = cache.get();
  // A receive that neither parsed a certificate nor checked a chain in
  // full, from a cache that held an entry already, found the signer cached
  // (an empty cache proves nothing: a path that never used it would look
  // the same).
  const bool had = cache->size() > 0;
  const std::uint64_t checks = cache->full_chain_checks(), parses = cache->parses();
  auto got = sec::SmimeReceive(contentType, body, ctx);
  if (got && had && cache->full_chain_checks() == checks && cache->parses() == parses) {
    *op = SipCryptoOp::kSmimeDecryptVerifyCached;
  }
  return got;
}

// ---- MIKEY ----

sec::Bytes SipImSecurity::PairPsk(const std::string& a, const std::string& b) {
  const std::string lo = std::min(a, b), hi = std::max(a, b);
  unsigned char out[32] = {};
  sec::Sha256Of("sipim simulated MIKEY PSK", lo + "|" + hi, out);
  return sec::Bytes(out, out + 32);
}

mikey::Config SipImSecurity::MikeyConfig(const std::string& initiator, const std::string& responder) const {
  mikey::Config c;
  c.mode = kMikeyModes[m_mikeyMode % 5];
  c.initiator_uri = initiator;
  c.responder_uri = responder;
  c.psk = PairPsk(initiator, responder);
  c.trust = GetTrust(sec::KeyAlg::kRsa2048);
  return c;
}

// Both directions' SealSessions from the exchange's key material: CS ID 1
// carries initiator to responder, CS ID 2 the other way (seal.h: each
// direction needs keys of its own).
sec::Status SipImSecurity::KeySession(const mikey::KeyMaterial& km, const std::string& aor, bool initiator,
                                      SipSessionCrypto* c) {
  auto i2r = km.Derive(1);
  auto r2i = km.Derive(2);
  if (!i2r) return i2r.error();
  if (!r2i) return r2i.error();
  auto tx = sec::SealSession::Create(GetSealSuite(), initiator ? *i2r : *r2i);
  auto rx = sec::SealSession::Create(GetSealSuite(), initiator ? *r2i : *i2r);
  if (!tx) return tx.error();
  if (!rx) return rx.error();
  c->tx = std::move(*tx);
  c->rx = std::move(*rx);
  c->keyed = true;
  m_keyLog.push_back(KeyLogEntry{aor, initiator, *i2r, *r2i});
  return {};
}

sec::Result<sec::Bytes> SipImSecurity::MikeyOffer(const std::string& caller, const std::string& callee,
                                                  SipSessionCrypto* c) {
  mikey::Config cfg = MikeyConfig(caller, callee);
  cfg.self = RsaIdentity(caller);
  const sec::Identity* peer = RsaIdentity(callee);
  cfg.peer_cert = peer ? peer->cert.get() : nullptr;
  if (!cfg.self || (cfg.mode == mikey::Mode::kPke && !cfg.peer_cert)) {
    return sec::MakeError(sec::Errc::kNoSignerCert, "no certificate for " + (cfg.self ? callee : caller));
  }
  c->initiator = std::make_unique<mikey::Initiator>(cfg);
  c->self = caller;
  auto i = c->initiator->BuildI();
  if (i && TamperForTest(kTamperMikey) && !i->empty()) i->back() ^= 0x01;
  return i;
}

sec::Result<sec::Bytes> SipImSecurity::MikeyAnswer(const std::string& callee, const std::string& caller,
                                                   const sec::Bytes& i, mikey::ReplayCache* replay,
                                                   SipSessionCrypto* c,
                                                   std::optional<mikey::ErrorMessage>* errorMessage) {
  mikey::Config cfg = MikeyConfig(caller, callee);
  cfg.self = RsaIdentity(callee);
  if (!cfg.self) return sec::MakeError(sec::Errc::kNotRecipient, "no certificate for " + callee);
  mikey::Responder responder(cfg, replay);
  // The refusal, and its error message from the responder that refused
  // (it knows the Error no. of its own refusals).
  auto refuse = [&](sec::Error why) -> sec::Result<sec::Bytes> {
    if (errorMessage) {
      auto e = responder.BuildError(why, i);
      if (e) *errorMessage = std::move(*e);
      else NS_LOG_WARN("no MIKEY error message for a refused I_MESSAGE: " << e.error().ToString());
    }
    return why;
  };
  auto r = responder.ProcessI(i);
  if (!r) return refuse(r.error());
  // IDi or CERTi must name the caller the INVITE's From claims.
  if (!responder.peer_uri().empty() && !sec::SameAor(responder.peer_uri(), caller)) {
    return refuse(sec::MakeError(sec::Errc::kFromMismatch,
                                 "MIKEY initiator " + responder.peer_uri() + " is not the caller " + caller));
  }
  if (auto st = KeySession(responder.keys(), callee, false, c); !st) return st.error();
  return r;
}

sec::Error SipImSecurity::MikeyRefused(const sec::Bytes& error, SipSessionCrypto* c) {
  if (!c->initiator) return sec::MakeError(sec::Errc::kMalformed, "no MIKEY exchange in progress");
  auto km = c->initiator->ProcessR(error);
  c->initiator.reset();
  if (km) return sec::MakeError(sec::Errc::kMalformed, "a 488's MIKEY message gave keys: not an error message");
  return km.error();
}

sec::Status SipImSecurity::MikeyFinish(const sec::Bytes& r, SipSessionCrypto* c) {
  if (!c->initiator) return sec::MakeError(sec::Errc::kMalformed, "no MIKEY exchange in progress");
  auto km = c->initiator->ProcessR(r);
  c->initiator.reset();
  if (!km) return km.error();
  return KeySession(*km, c->self, true, c);
}

}  // namespace ns3
