#pragma once
// MIKEY key exchange (RFC 3830, RFC 4650) on top of the codec:
//
//   PSK      I = HDR, T, RAND, IDi, IDr, SP, KEMAC(AES-CM-128{TGK}, HMAC-SHA-1)
//            R = HDR, T, IDr, V                      (when the V flag is set)
//   PKE      I = HDR, T, RAND, CERTi, IDr, SP, KEMAC(AES-CM-128{IDi, TGK}), PKE, SIGNi
//            R = HDR, T, IDr, V                      (when the V flag is set)
//   DH       I = HDR, T, RAND, CERTi, IDr, SP, DHi, SIGNi       (OAKLEY 5, 1 or 2)
//            R = HDR, T, CERTr, IDi, DHr, DHi, SIGNr
//   DHHMAC   I = HDR, T, RAND, IDi, IDr, SP, DHi, KEMAC(NULL, HMAC-SHA-1)
//            R = HDR, T, IDr, IDi, DHr, DHi, KEMAC(NULL, HMAC-SHA-1)
//   ECDH-ext the DH exchange with P-256 points carried in General Extension
//            payloads of type 0xFE instead of DH payloads. THIS IS AN EXTENSION:
//            RFC 3830 registers MODP groups only; no standard peer accepts it.
//
// Choices where the RFCs leave room (documented in README.md):
//   - KEMAC encryption key, MAC key and salt come from the PSK / envelope key
//     by §4.1.4 with I's RAND; the KEMAC IV is (salt XOR (0x0000||CSB ID||T))||0x0000.
//   - MACs cover the message from its first byte up to (not including) the MAC
//     field; the V MAC additionally covers IDi || IDr || T of the I_MESSAGE.
//   - SIGN (S type 0) is RSASSA-PKCS1-v1_5 with SHA-256 over the message up to
//     and including the SIGN payload's S type/length bytes.
//   - The PKE envelope key (16 bytes) is encrypted with RSAES-OAEP (SHA-256).
//   - The DH TGK is g^(xi*xr), left-padded to the prime's length (192 bytes
//     for OAKLEY 5, 96 for OAKLEY 1, 128 for OAKLEY 2).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "security/cert_cache.h"
#include "security/error.h"
#include "security/kdf.h"
#include "security/mikey_codec.h"
#include "security/ossl.h"
#include "security/pki.h"

namespace sipim::security::mikey {

enum class Mode { kPsk, kPke, kDhSigned, kDhhmac, kEcdhSigned };
const char* ModeName(Mode m);  // "psk" | "pke" | "dh" | "dhhmac" | "ecdh-ext"
constexpr std::uint8_t kEcdhExtType = 0xFE;  // General Extension type of the ECDH extension

// The DH-Group of the DH and DHHMAC modes (RFC 3830 §6.4, the codec's
// DhPayload::group): MODP groups of RFC 2409 §6.1/6.2 and RFC 3526 §2,
// generator 2. OAKLEY 1 (768-bit) is weak: it is here because RFC 3830
// registers it and a peer may offer it, not as a choice to make.
enum class DhGroup : std::uint8_t { kOakley5 = 0, kOakley1 = 1, kOakley2 = 2 };
const char* DhGroupName(DhGroup g);  // "OAKLEY 5" | "OAKLEY 1" | "OAKLEY 2" | "unknown"

// Error no. of an ERR payload (RFC 3830 §6.12), the numbering Wireshark's
// MIKEY dissector decodes too. No number names a CS ID map, a security
// policy this code does not check, or a malformed message: those are
// kUnspecified.
enum class ErrNo : std::uint8_t {
  kAuthFailure = 0, kInvalidTs = 1, kInvalidPrf = 2, kInvalidMac = 3, kInvalidEa = 4, kInvalidHa = 5,
  kInvalidDh = 6, kInvalidId = 7, kInvalidCert = 8, kInvalidSp = 9, kInvalidSpPar = 10, kInvalidDt = 11,
  kUnspecified = 12,
};
// "Invalid SP", as RFC 3830's table names them; "unassigned" above 12.
const char* ErrNoName(std::uint8_t no);
// The Error no. a refusal of `code` is, where the code alone tells
// (kMacMismatch -> Auth failure, kReplay -> Invalid TS, ...); kUnspecified otherwise.
ErrNo ErrNoOf(Errc code);

// A MIKEY error message (RFC 3830 §5.1.2: HDR, T, {ERR}, [V|SIGN]) built for a refused I_MESSAGE.
struct ErrorMessage {
  Bytes bytes;
  ErrNo err_no = ErrNo::kUnspecified;
  // V or SIGN present. False when the refusal is that the initiator's MAC did
  // not verify under our pre-shared key (a V under it would not verify at the
  // initiator either), when the I_MESSAGE does not decode far enough to key a
  // V, or when a signing mode has no key of its own.
  bool authenticated = false;
};

// NTP-UTC time (RFC 3830 §6.6): seconds since 1900 in the high 32 bits.
std::uint64_t NtpNow();
constexpr std::uint64_t NtpSeconds(std::uint64_t s) { return s << 32; }
// How far apart two NTP timestamps are. The 32-bit seconds field wraps
// every 2^32 s (first on 2036-02-07: NTP era 1), so the distance is taken
// modulo 2^64, which is right while they are less than 68 years apart: a
// timestamp sent just before the rollover and checked just after it is
// seconds old, not 136 years away.
constexpr std::uint64_t NtpDistance(std::uint64_t a, std::uint64_t b) {
  const std::uint64_t d = a - b;
  return d >> 63 ? b - a : d;
}

// Replay protection for I_MESSAGEs (RFC 3830 §5.4): a timestamp farther than
// `window_s` from the receiver's clock is refused, and a message seen before
// within the window (same CSB ID, timestamp and RAND) is a replay.
// Check only looks; Remember records a message, and the responder calls it
// only once the message is authenticated, so that a forged copy of a real
// message (same CSB ID, T and RAND, bad MAC or signature) neither gets the
// real one refused as a replay nor grows the cache.
class ReplayCache {
 public:
  explicit ReplayCache(std::uint64_t window_s = 120) : window_(NtpSeconds(window_s)) {}
  Status Check(std::uint64_t ts, std::uint64_t now, std::uint32_t csb_id, const Bytes& rand);
  void Remember(std::uint64_t ts, std::uint32_t csb_id, const Bytes& rand) { seen_.push_back({ts, csb_id, rand}); }

 private:
  struct Entry {
    std::uint64_t ts;
    std::uint32_t csb_id;
    Bytes rand;
  };
  std::uint64_t window_;
  std::deque<Entry> seen_;
};

struct Config {
  Mode mode = Mode::kPsk;
  PrfFunc prf = PrfFunc::kMikey1;
  std::uint32_t csb_id = 0x0a0b0c0d;
  std::uint32_t ssrc = 0x12345678;  // one crypto session, SRTP-ID map
  bool want_verify = true;          // V flag: PSK / PKE responder sends R with V
  Bytes psk;                        // PSK and DHHMAC
  std::string initiator_uri;        // IDi, e.g. sip:alice@home.com
  std::string responder_uri;        // IDr
  const Identity* self = nullptr;   // own RSA key and certificate (PKE, DH, ECDH)
  X509* peer_cert = nullptr;        // PKE initiator: the responder's certificate
  X509_STORE* trust = nullptr;      // CA for the peer's CERT payload
  CertCache* cert_cache = nullptr;  // optional: peers' CERT payloads stay parsed and chain-checked
  std::uint64_t now_ntp = 0;        // 0: the system clock
  std::uint64_t window_s = 120;     // timestamp window (initiator side check of R)
  // DH / DHHMAC initiator: the group of DHi. The responder answers in the
  // group of the I_MESSAGE it receives, whatever its own setting. ECDH-ext
  // ignores it.
  DhGroup dh_group = DhGroup::kOakley5;
  // DH / DHHMAC: the shortest MODP prime accepted, in bits (OAKLEY 1 768,
  // OAKLEY 2 1024, OAKLEY 5 1536). A responder refuses an I_MESSAGE in a
  // shorter group (kUnsupported, naming both) before any public-key work,
  // and an initiator refuses to offer one. 0 accepts every RFC 3830 group.
  std::uint32_t min_dh_bits = 0;
};

// What both sides hold when the exchange is done.
struct KeyMaterial {
  Bytes tgk;
  Bytes rand;
  std::uint32_t csb_id = 0;
  PrfFunc prf = PrfFunc::kMikey1;
  // The I_MESSAGE's HDR maps one crypto session (one SRTP-ID entry). Its
  // CS ID is 1: the map's entries are numbered from 1 (minisip's MIKEY, and
  // the MCPTT code derived from it, find an SSRC's CS ID as its entry's
  // position from 1, with 0 for none), so a peer derives this session's TEK
  // and salt with cs_id 1.
  static constexpr std::uint8_t kFirstCsId = 1;
  Result<SessionKeys> Derive(std::uint8_t cs_id = kFirstCsId) const {
    return DeriveSessionKeys(prf, tgk, cs_id, csb_id, rand);
  }
};

class Initiator {
 public:
  explicit Initiator(Config cfg) : cfg_(std::move(cfg)) {}
  // Builds the I_MESSAGE. Call once.
  Result<Bytes> BuildI();
  // Processes the R_MESSAGE and returns the keys. A MIKEY error message (data
  // type 6) in its place is never success: kPeerRefused naming its Error
  // no(s) when its V / SIGN verifies and its T is inside the window; that
  // check's own code (kMacMismatch, kBadSignature, kFromMismatch, kReplay,
  // ...), naming it as a MIKEY error message, when not; kPeerRefusedUnverified
  // when it carries no protection this mode can check.
  Result<KeyMaterial> ProcessR(const Bytes& r);
  // PSK / PKE without the V flag: the keys are known once I is built.
  Result<KeyMaterial> KeysWithoutResponse() const;

 private:
  Error RefusalFrom(const Message& m, const Bytes& raw) const;

  Config cfg_;
  Bytes i_msg_, rand_, tgk_, env_key_, own_dh_value_;
  std::uint64_t ts_ = 0;
  EvpPkeyPtr dh_key_;
  bool built_ = false;
};

class Responder {
 public:
  Responder(Config cfg, ReplayCache* cache) : cfg_(std::move(cfg)), cache_(cache) {}
  // Verifies the I_MESSAGE; returns the R_MESSAGE (empty when PSK/PKE without V).
  Result<Bytes> ProcessI(const Bytes& i);
  // Keys and peer of the last I_MESSAGE that verified; a refused one changes neither.
  const KeyMaterial& keys() const { return keys_; }
  // The initiator's identity as authenticated (IDi or the CERTi SAN URI).
  const std::string& peer_uri() const { return peer_uri_; }

  // The error message (RFC 3830 §5.1.2) answering `i`, which ProcessI refused
  // with `refusal`: HDR (data type 6, the I_MESSAGE's CSB ID, PRF func and CS
  // ID map), T (our clock), ERR with the refusal's Error no., then V (PSK,
  // DHHMAC: keyed as the PSK mode's verification message) or SIGN (PKE;
  // DH and ECDH-ext after our CERT, as the initiator has no certificate of
  // ours otherwise). Whether to send it is the caller's choice: a SIGN costs
  // an RSA signature for whoever sends a bad I_MESSAGE. An error instead of
  // a message when none is sent: the refused message is itself a response
  // or an error message, not MIKEY version 1, or too short for a header.
  Result<ErrorMessage> BuildError(const Error& refusal, const Bytes& i);

 private:
  // Records why ProcessI refuses, where ErrNoOf(error.code) would not say it.
  Error Refuse(ErrNo no, Error error);

  Config cfg_;
  ReplayCache* cache_;
  KeyMaterial keys_;
  std::string peer_uri_;
  // The last refusal Refuse recorded (set on the refusal path only: an
  // accepted message never touches it); BuildError uses its number when
  // given the same error.
  struct Refusal {
    ErrNo no;
    Error error;
  };
  std::optional<Refusal> refusal_;
};

// RFC 4567: the SDP attribute value "mikey <base64 of the message>".
std::string KeyMgmtValue(const Bytes& msg);
// Parses "mikey <base64>" (the part after "a=key-mgmt:"), returning the message bytes.
Result<Bytes> ParseKeyMgmtValue(std::string_view value);

}  // namespace sipim::security::mikey
