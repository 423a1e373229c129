#pragma once
// The security of a simulated IM: S/MIME on every IM's body (a pager
// MESSAGE, a stripped MESSAGE or an MSRP SEND), or MIKEY once per session
// plus per-message sealing, done for real with
// models/security (OpenSSL 3) and charged to the node's CPU at the cost the
// benchmarks measured for the same operation.
//
// One SipImSecurity is shared by every UA of a scenario (attribute
// "Security" of SipUserAgent; none means no security, the models' old
// behaviour). It holds:
// - the PKI: a test CA per key algorithm and a certificate per user naming
//   the user's AOR in its subjectAltName (models/security/pki.h), made by
//   AddUser at set-up. RSA key generation costs 0.1-0.5 s per key, so users
//   share key pairs from a small pool (KeyPool, default 2: user i gets key
//   i mod KeyPool); each user still has a certificate of its own.
// - the operations a UA performs: S/MIME sign-and-encrypt and receive; the
//   MIKEY initiator and responder (RFC 3830) with RFC 4567 SDP values; and a
//   SealSession per direction of a session (security/seal.h).
// - the cost of each operation: Charge() looks up the calibration row of the
//   operation (the same (operation, algorithm) rows bench_security writes to
//   results/calibration/security.csv), queues it on the node's NodeCpu,
//   and fires the "Crypto" trace with the cost, so results can add it to
//   the IM's or the session's CPU. RequiredRows()/CheckCalibration() name
//   every row a configuration needs: a scenario refuses to start when one
//   is missing (a silent zero would make security look free).
//
// Every byte a UA sends is the real output of these operations; nothing is
// padded or estimated. Receivers parse and chain-check the signer's
// certificate on every message unless SmimeCertCache is on (then a repeat
// signer costs the -cached rows). With `sipim run`, the randomness and the
// clock these operations read are the point-run's (security/
// deterministic_rand.h, security/wall_clock.h), so runs repeat byte for
// byte. What it does not model: certificate revocation, certificate
// fetching, TLS.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ns3/nstime.h"
#include "ns3/object.h"
#include "ns3/ptr.h"
#include "ns3/sip/cpu-calibration.h"
#include "ns3/sip/sip-im-types.h"
#include "ns3/traced-callback.h"
#include "security/cert_cache.h"
#include "security/mikey.h"
#include "security/pki.h"
#include "security/seal.h"
#include "security/smime.h"

namespace ns3 {

class NodeCpu;

// What protects IMs. Unscoped (ns-3 3.37 EnumValue holds an int).
enum SipSecurityMode : std::uint8_t {
  kSecurityNone = 0,   // plain text, as before
  kSecuritySmime = 1,  // S/MIME sign-then-encrypt on every IM's body, pager or session
  kSecurityMikey = 2,  // session: MIKEY in the INVITE/200 SDP, then sealed messages
};

// The operations charged to a node's CPU, one per calibration operation.
enum class SipCryptoOp : std::uint8_t {
  kSmimeSignEncrypt,   // smime_sign_encrypt,<alg>-<cipher>-r1 by plaintext size
  kSmimeDecryptVerify, // smime_decrypt_verify,<alg>-<cipher>-r1 by plaintext size
  // SmimeCertCache: the signer's certificate was in the receiver's cache
  // (parsed and chain-checked before): smime_decrypt_verify,<alg>-<cipher>-r1-cached
  kSmimeDecryptVerifyCached,
  kMikeyIBuild,        // mikey_i_build,<mode> (size 0)
  kMikeyIProcess,      // mikey_i_process,<mode> by I_MESSAGE size
  kMikeyRProcess,      // mikey_r_process,<mode> by R_MESSAGE size
  // The MIKEY error message a refused I_MESSAGE is answered with (RFC 3830
  // 5.1.2). The calibration has no row for the whole build; its one costly
  // step is: the RSA-2048 SIGN of the signed modes (primitive_sign,rsa2048)
  // or the V's HMAC-SHA-1 of PSK and DHHMAC (primitive_hmac-sha1 by the
  // error message's size). Encoding HDR, T and ERR, and DH/ECDH-ext's copy
  // of our CERT, are left out: a lower bound, as RowOf says.
  kMikeyErrorBuild,
  kSeal,               // seal,<suite> by plaintext size
  kOpen,               // open,<suite> by plaintext size
};
const char* ToString(SipCryptoOp op);

// One crypto operation charged to a node ("Crypto" trace).
struct SipCryptoEvent {
  std::uint32_t nodeId = 0;
  SipAttribution attr;  // the IM (S/MIME, seal, open) or the session (MIKEY)
  SipCryptoOp op = SipCryptoOp::kSmimeSignEncrypt;
  std::uint64_t bytes = 0;  // the size the cost was looked up at
  Time cost;                // what the node's CPU was charged
};
typedef void (*SipCryptoTracedCallback)(const SipCryptoEvent& ev);

// One end of one session's protection: the MIKEY exchange in progress and,
// once it is done, a SealSession per direction.
struct SipSessionCrypto {
  std::unique_ptr<sipim::security::mikey::Initiator> initiator;  // caller, until the R_MESSAGE
  sipim::security::SealSession tx, rx;
  bool keyed = false;
  std::string self;  // this end's AOR
};

class SipImSecurity : public Object {
 public:
  static TypeId GetTypeId();
  SipImSecurity();
  ~SipImSecurity() override;

  SipSecurityMode GetMode() const { return m_mode; }
  bool IsSmime() const { return m_mode == kSecuritySmime; }
  bool IsMikey() const { return m_mode == kSecurityMikey; }

  // Set-up: the user's certificate (and the CA, the first time). False with
  // *error naming the user when the PKI cannot be made.
  bool AddUser(const std::string& aor, std::string* error);
  bool HasUser(const std::string& aor) const;

  // The (operation, algorithm) calibration rows this configuration charges.
  std::vector<std::pair<std::string, std::string>> RequiredRows() const;
  // False with *error naming the first missing row.
  bool CheckCalibration(const CpuCalibration& calibration, std::string* error) const;
  // The calibration (operation, algorithm) of `op` in this configuration.
  std::pair<std::string, std::string> RowOf(SipCryptoOp op) const;

  // Queues the cost of `op` at `bytes` on `cpu`, fires "Crypto", and runs
  // `done` when the job completes. The cost is the calibration row's (a row
  // the calibration lacks costs zero and is counted by NodeCpu as
  // uncalibrated), or on a live CPU `measured`: what the real call took (a
  // LiveClock around it).
  void Charge(Ptr<NodeCpu> cpu, std::uint32_t nodeId, SipAttribution attr, SipCryptoOp op,
              std::uint64_t bytes, Time measured, std::function<void()> done);

  // ---- S/MIME (every mode) ----
  // The body of `from`'s IM to `to`: sign-then-encrypt of the text/plain
  // entity of `text`, signed by `from`, encrypted to `to`'s certificate.
  sipim::security::Result<sipim::security::SmimeBody> SmimeSend(const std::string& from, const std::string& to,
                                                                 std::string_view text);
  // Decrypts and verifies a received body at `me` (chain to the CA, the
  // signer naming `fromAor`); the plain text on success. With
  // SmimeCertCache, through `me`'s certificate cache; `*op` says which cost
  // the receive has: kSmimeDecryptVerifyCached when the signer's
  // certificate was already cached and chain-checked (no parse, no chain
  // verification), kSmimeDecryptVerify otherwise.
  sipim::security::Result<sipim::security::Received> SmimeReceive(const std::string& me, const std::string& fromAor,
                                                                   std::string_view contentType,
                                                                   std::string_view body, SipCryptoOp* op);

  // ---- MIKEY + sealing (sessions) ----
  // Caller: builds the I_MESSAGE for a session with `callee`.
  sipim::security::Result<sipim::security::Bytes> MikeyOffer(const std::string& caller, const std::string& callee,
                                                             SipSessionCrypto* c);
  // Callee: verifies the I_MESSAGE from `caller` (refusing replays of one
  // `replay` has seen: each UA keeps its own, as each device of a forked
  // INVITE verifies the same offer), keys `c`, returns the R_MESSAGE. A
  // refused one is answered, when `errorMessage` is given, by the MIKEY
  // error message the same responder builds (Responder::BuildError, RFC
  // 3830 5.1.2: HDR with data type 6, T, ERR with the refusal's Error no.,
  // then V or SIGN); left empty when none can be built (the refused bytes
  // are no I_MESSAGE at all).
  sipim::security::Result<sipim::security::Bytes> MikeyAnswer(
      const std::string& callee, const std::string& caller, const sipim::security::Bytes& i,
      sipim::security::mikey::ReplayCache* replay, SipSessionCrypto* c,
      std::optional<sipim::security::mikey::ErrorMessage>* errorMessage = nullptr);
  // Caller: verifies the R_MESSAGE and keys `c`.
  sipim::security::Status MikeyFinish(const sipim::security::Bytes& r, SipSessionCrypto* c);
  // Caller: the error message a 488 carried, through Initiator::ProcessR,
  // which never gives keys for one: the error says whether the peer refused
  // (kPeerRefused, its V or SIGN verified), could not be checked
  // (kPeerRefusedUnverified), or is forged (the check's own code). Ends the
  // exchange in `c`.
  sipim::security::Error MikeyRefused(const sipim::security::Bytes& error, SipSessionCrypto* c);

  // Live CPU (NodeCpu attribute Live): the first call of each kind in a
  // process pays for what is set up once per process (OpenSSL's algorithm
  // fetches and tables, the first touch of the code and data), which a
  // real UA pays at start-up and not on its first IM. A live UA calls this
  // at start, uncharged: each operation of this configuration runs once
  // between two throwaway users (sip:warm-up-a/b@sipim.invalid), after
  // which the first IM costs what any other costs, but for what is truly
  // per peer (a new peer's certificate and kept key contexts). Once per
  // object; an error says which operation failed.
  sipim::security::Status WarmUp();

  sipim::security::SealSuite GetSealSuite() const { return static_cast<sipim::security::SealSuite>(m_sealSuite); }
  std::string SmimeAlgorithmName() const;  // "rsa2048-aes128gcm"
  std::string MikeyModeName() const;       // "dh"
  std::string SealSuiteName() const;       // "aes128gcm"

  // The pre-shared key of a pair of users (PSK and DHHMAC modes): both ends
  // derive the same 32 bytes, SHA-256("sipim simulated MIKEY PSK" || the two
  // AORs in sorted order). A stand-in for keys provisioned out of band.
  static sipim::security::Bytes PairPsk(const std::string& a, const std::string& b);

  // Test hooks. Tamper: flips one byte of what is sent from now on, so a
  // test sees the receiving end refuse it (kTamperSmime: every S/MIME
  // body, in its ciphertext; kTamperMikey: every I_MESSAGE; kTamperSeal:
  // every sealed frame, in its tag).
  enum Tamper : std::uint8_t { kTamperNone = 0, kTamperSmime = 1, kTamperMikey = 2, kTamperSeal = 4 };
  void SetTamperForTest(std::uint8_t what) { m_tamper = what; }
  bool TamperForTest(Tamper what) const { return (m_tamper & what) != 0; }
  // The keys each end derived, in order: (AOR of that end, initiator-to-
  // responder keys, responder-to-initiator keys).
  struct KeyLogEntry {
    std::string aor;
    bool initiator;
    sipim::security::SessionKeys i2r, r2i;
  };
  const std::vector<KeyLogEntry>& KeyLogForTest() const { return m_keyLog; }

  // The trust store (tests).
  X509_STORE* GetTrust(sipim::security::KeyAlg alg) const;
  const sipim::security::Identity* GetIdentity(sipim::security::KeyAlg alg, const std::string& aor) const;

 private:
  struct Pki {
    sipim::security::TestCa ca;
    sipim::security::X509StorePtr trust;
    std::vector<sipim::security::EvpPkeyPtr> keys;  // the pool
    std::map<std::string, std::unique_ptr<sipim::security::Identity>> users;
    bool made = false;
  };
  Pki* PkiFor(sipim::security::KeyAlg alg, std::string* error);
  bool IssueUser(sipim::security::KeyAlg alg, const std::string& aor, std::string* error);
  sipim::security::mikey::Config MikeyConfig(const std::string& initiator, const std::string& responder) const;
  sipim::security::Status KeySession(const sipim::security::mikey::KeyMaterial& km, const std::string& aor,
                                     bool initiator, SipSessionCrypto* c);
  // The user's identity in the RSA PKI, or nullptr.
  const sipim::security::Identity* RsaIdentity(const std::string& aor) const;
  sipim::security::KeyAlg SmimeKeyAlg() const;

  SipSecurityMode m_mode = kSecurityNone;
  std::uint8_t m_smimeAlg = 0;     // 0 rsa2048, 1 p256
  std::uint8_t m_smimeCipher = 0;  // 0 aes128gcm, 1 aes128cbc
  std::uint8_t m_mikeyMode = 2;    // index of mikey::Mode (default dh)
  std::uint8_t m_sealSuite = static_cast<std::uint8_t>(sipim::security::SealSuite::kAes128Gcm);
  std::uint32_t m_keyPool = 2;
  // SmimeCertCache: each receiver's signer certificates, by its AOR.
  bool m_smimeCertCache = false;
  std::map<std::string, std::unique_ptr<sipim::security::CertCache>> m_certCaches;
  std::uint8_t m_tamper = kTamperNone;
  std::vector<KeyLogEntry> m_keyLog;
  bool m_warm = false;
  Pki m_pki[2];  // by KeyAlg
  TracedCallback<const SipCryptoEvent&> m_cryptoTrace;
};

}  // namespace ns3
