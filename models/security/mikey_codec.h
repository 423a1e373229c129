#pragma once
// MIKEY wire format (RFC 3830 §6; data types 7/8 of RFC 4650): the common
// header and the payloads HDR, T, RAND, ID, CERT, KEMAC (with Key data
// sub-payloads), PKE, DH, SIGN, V, SP, ERR and General Extension, chained by
// their next-payload fields. Decoding is strict and bounded: every length is
// checked against the bytes that remain, a message must end exactly where its
// last payload ends, and a payload type outside RFC 3830 is an error that
// names it (e.g. "payload type 26 (SAKKE, RFC 6509) at offset 52").
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "security/error.h"
#include "security/kdf.h"
#include "security/ossl.h"

namespace sipim::security::mikey {

enum class DataType : std::uint8_t {
  kPskInit = 0, kPskResp = 1, kPkInit = 2, kPkResp = 3, kDhInit = 4, kDhResp = 5,
  kError = 6, kDhhmacInit = 7, kDhhmacResp = 8,
};

// Payload type numbers (RFC 3830 §6.1, next-payload field).
inline constexpr std::uint8_t kLast = 0, kKemac = 1, kPke = 2, kDh = 3, kSign = 4, kT = 5, kId = 6,
                              kCert = 7, kChash = 8, kV = 9, kSp = 10, kRand = 11, kErr = 12,
                              kKeyData = 20, kGeneralExt = 21;

// Name of a payload type, including those defined after RFC 3830.
const char* PayloadTypeName(std::uint8_t type);

struct CsIdSrtp {  // CS ID map type 0 (SRTP-ID), one entry per crypto session
  std::uint8_t policy_no = 0;
  std::uint32_t ssrc = 0;
  std::uint32_t roc = 0;
};

struct Hdr {
  std::uint8_t version = 1;
  DataType data_type = DataType::kPskInit;
  bool v_flag = false;
  PrfFunc prf = PrfFunc::kMikey1;
  std::uint32_t csb_id = 0;
  std::uint8_t cs_id_map_type = 0;  // 0 SRTP-ID, 1 empty map (RFC 6043)
  std::vector<CsIdSrtp> cs;
};

struct TPayload {
  std::uint8_t ts_type = 0;  // 0 NTP-UTC (64 bits), 1 NTP (64 bits), 2 COUNTER (32 bits)
  std::uint64_t value = 0;
};
struct RandPayload { Bytes rand; };
struct IdPayload {
  std::uint8_t id_type = 1;  // 0 NAI, 1 URI
  Bytes id;
};
struct CertPayload {
  std::uint8_t cert_type = 0;  // 0 X.509v3
  Bytes data;
};
struct KemacPayload {
  std::uint8_t encr_alg = 0;  // 0 NULL, 1 AES-CM-128, 2 AES-KW-128
  Bytes encr_data;            // (encrypted) Key data sub-payloads
  std::uint8_t mac_alg = 1;   // 0 NULL, 1 HMAC-SHA-1-160, 2 HMAC-SHA-256-256 (RFC 6043)
  Bytes mac;
};
struct PkePayload {
  std::uint8_t c = 0;  // cache indicator (2 bits)
  Bytes data;          // envelope key encrypted with the responder's public key
};
struct DhPayload {
  std::uint8_t group = 0;  // 0 OAKLEY 5, 1 OAKLEY 1, 2 OAKLEY 2
  Bytes value;             // g^x, as long as the group's prime
  std::uint8_t kv = 0;     // 0 NULL, 1 SPI, 2 interval
  Bytes kv_data;           // raw KV data (length-prefixed fields)
};
struct SignPayload {
  std::uint8_t s_type = 0;  // 0 RSA/PKCS#1/1.5, 1 RSA/PSS
  Bytes signature;
};
struct VPayload {
  std::uint8_t mac_alg = 1;
  Bytes mac;
};
struct SpParam {
  std::uint8_t type = 0;
  Bytes value;
};
struct SpPayload {
  std::uint8_t policy_no = 0;
  std::uint8_t prot_type = 0;  // 0 SRTP
  std::vector<SpParam> params;
};
struct ErrPayload { std::uint8_t error_no = 0; };
struct KeyDataPayload {
  std::uint8_t type = 0;  // 0 TGK, 1 TGK+SALT, 2 TEK, 3 TEK+SALT
  std::uint8_t kv = 0;
  Bytes key;
  Bytes salt;  // present iff type is 1 or 3
  Bytes kv_data;
};
struct GeneralExtPayload {
  std::uint8_t type = 0;  // 0 Vendor ID, 1 SDP IDs, 0xFE: sipim ECDH P-256 (extension)
  Bytes data;
};

using Payload = std::variant<TPayload, RandPayload, IdPayload, CertPayload, KemacPayload,
                             PkePayload, DhPayload, SignPayload, VPayload, SpPayload, ErrPayload,
                             KeyDataPayload, GeneralExtPayload>;

std::uint8_t TypeOf(const Payload& p);

struct Message {
  Hdr hdr;
  std::vector<Payload> payloads;
  // Filled by Decode (and Encode): where each payload starts in the wire bytes.
  std::vector<std::size_t> offsets;

  template <typename P>
  const P* Find(std::size_t nth = 0) const {
    for (const Payload& p : payloads) {
      if (const P* x = std::get_if<P>(&p)) {
        if (nth == 0) return x;
        --nth;
      }
    }
    return nullptr;
  }
  // Index of the first payload of a type, or -1.
  int IndexOf(std::uint8_t type) const;
};

// Encodes a message; next-payload fields follow the payload order. Records
// payload offsets into msg.offsets. Errors: lengths that do not fit their
// fields, SIGN not last, a DH value whose length does not match its group.
Result<Bytes> Encode(Message& msg);
// `failed_type`, when given, receives the type of the payload whose decoding
// failed; it is left as it was when the common header, or the end of the
// message, is what fails (a MIKEY error message names the cause by it).
Result<Message> Decode(const unsigned char* data, std::size_t n, std::uint8_t* failed_type);
inline Result<Message> Decode(const unsigned char* data, std::size_t n) { return Decode(data, n, nullptr); }
inline Result<Message> Decode(const Bytes& b) { return Decode(b.data(), b.size(), nullptr); }

// The plaintext inside KEMAC: Key data sub-payloads, chained, optionally
// preceded by an ID payload (PKE mode carries IDi || {TGK}). The type of the
// first sub-payload is not on the wire, so the caller says whether an ID leads.
struct KeyDataSet {
  bool has_id = false;
  IdPayload id;
  std::vector<KeyDataPayload> keys;
};
Result<Bytes> EncodeKeyData(const KeyDataSet& set);
Result<KeyDataSet> DecodeKeyData(const unsigned char* data, std::size_t n, bool leading_id);

// Length of the DH value of an RFC 3830 group, or 0 if unknown.
std::size_t DhGroupBytes(std::uint8_t group);
// "DH group 3 (RFC 3830 registers 0 OAKLEY 5, 1 OAKLEY 1, 2 OAKLEY 2)": how
// an unknown group is named in errors.
std::string UnknownDhGroupText(std::uint8_t group);
// Length of the MAC of a KEMAC/V MAC algorithm, or SIZE_MAX if unknown.
std::size_t MacAlgBytes(std::uint8_t mac_alg);

}  // namespace sipim::security::mikey
