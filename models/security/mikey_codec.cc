#include "security/mikey_codec.h"

#include <cstdint>
#include <limits>

namespace sipim::security::mikey {

const char* PayloadTypeName(std::uint8_t t) {
  switch (t) {
    case kLast: return "Last";
    case kKemac: return "KEMAC";
    case kPke: return "PKE";
    case kDh: return "DH";
    case kSign: return "SIGN";
    case kT: return "T";
    case kId: return "ID";
    case kCert: return "CERT";
    case kChash: return "CHASH";
    case kV: return "V";
    case kSp: return "SP";
    case kRand: return "RAND";
    case kErr: return "ERR";
    case 13: return "TR (RFC 6043)";
    case 14: return "IDR (RFC 6043)";
    case 15: return "RANDR (RFC 6043)";
    case 16: return "TP (RFC 6043)";
    case 17: return "TICKET (RFC 6043)";
    case kKeyData: return "Key data";
    case kGeneralExt: return "General Extension";
    case 26: return "SAKKE (RFC 6509)";
    default: return "unassigned";
  }
}

std::uint8_t TypeOf(const Payload& p) {
  static constexpr std::uint8_t kTypes[] = {kT,    kRand, kId, kCert, kKemac, kPke,    kDh,
                                            kSign, kV,    kSp, kErr,  kKeyData, kGeneralExt};
  return kTypes[p.index()];
}

int Message::IndexOf(std::uint8_t type) const {
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    if (TypeOf(payloads[i]) == type) return static_cast<int>(i);
  }
  return -1;
}

std::size_t DhGroupBytes(std::uint8_t group) {
  switch (group) {
    case 0: return 192;  // OAKLEY 5: 1536-bit MODP
    case 1: return 96;   // OAKLEY 1: 768-bit MODP
    case 2: return 128;  // OAKLEY 2: 1024-bit MODP
    default: return 0;
  }
}

std::string UnknownDhGroupText(std::uint8_t group) {
  return "DH group " + std::to_string(group) + " (RFC 3830 registers 0 OAKLEY 5, 1 OAKLEY 1, 2 OAKLEY 2)";
}

std::size_t MacAlgBytes(std::uint8_t mac_alg) {
  switch (mac_alg) {
    case 0: return 0;   // NULL
    case 1: return 20;  // HMAC-SHA-1-160
    case 2: return 32;  // HMAC-SHA-256-256 (RFC 6043)
    default: return std::numeric_limits<std::size_t>::max();
  }
}

namespace {

// ---------------------------------------------------------------- writing

struct Writer {
  Bytes& out;
  void U8(std::uint8_t v) { out.push_back(v); }
  void U16(std::uint16_t v) {
    out.push_back(static_cast<unsigned char>(v >> 8));
    out.push_back(static_cast<unsigned char>(v));
  }
  void U32(std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<unsigned char>(v >> s));
  }
  void U64(std::uint64_t v) {
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<unsigned char>(v >> s));
  }
  void Raw(const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); }
};

Error TooLong(const char* what, std::size_t n, std::size_t max) {
  return MakeError(Errc::kMalformed, std::string(what) + " of " + std::to_string(n) +
                                         " bytes exceeds its length field (max " +
                                         std::to_string(max) + ")");
}

Status EncodeKv(Writer& w, std::uint8_t kv, const Bytes& kv_data) {
  if (kv == 0 && !kv_data.empty()) return MakeError(Errc::kMalformed, "KV data with KV type NULL");
  w.Raw(kv_data);
  return {};
}

Status EncodeOne(Writer& w, const Payload& p, std::uint8_t next) {
  return std::visit(
      [&](const auto& x) -> Status {
        using P = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<P, TPayload>) {
          w.U8(next);
          w.U8(x.ts_type);
          if (x.ts_type == 2) {
            if (x.value > 0xFFFFFFFFu) return MakeError(Errc::kMalformed, "T COUNTER above 32 bits");
            w.U32(static_cast<std::uint32_t>(x.value));
          } else if (x.ts_type <= 1) {
            w.U64(x.value);
          } else {
            return MakeError(Errc::kUnsupported, "T type " + std::to_string(x.ts_type));
          }
        } else if constexpr (std::is_same_v<P, RandPayload>) {
          if (x.rand.empty() || x.rand.size() > 255) return TooLong("RAND", x.rand.size(), 255);
          w.U8(next);
          w.U8(static_cast<std::uint8_t>(x.rand.size()));
          w.Raw(x.rand);
        } else if constexpr (std::is_same_v<P, IdPayload>) {
          if (x.id.size() > 0xFFFF) return TooLong("ID", x.id.size(), 0xFFFF);
          w.U8(next);
          w.U8(x.id_type);
          w.U16(static_cast<std::uint16_t>(x.id.size()));
          w.Raw(x.id);
        } else if constexpr (std::is_same_v<P, CertPayload>) {
          if (x.data.size() > 0xFFFF) return TooLong("CERT", x.data.size(), 0xFFFF);
          w.U8(next);
          w.U8(x.cert_type);
          w.U16(static_cast<std::uint16_t>(x.data.size()));
          w.Raw(x.data);
        } else if constexpr (std::is_same_v<P, KemacPayload>) {
          if (x.encr_data.size() > 0xFFFF) return TooLong("KEMAC encr data", x.encr_data.size(), 0xFFFF);
          if (MacAlgBytes(x.mac_alg) != x.mac.size()) {
            return MakeError(Errc::kMalformed, "KEMAC MAC length does not match MAC alg " +
                                                   std::to_string(x.mac_alg));
          }
          w.U8(next);
          w.U8(x.encr_alg);
          w.U16(static_cast<std::uint16_t>(x.encr_data.size()));
          w.Raw(x.encr_data);
          w.U8(x.mac_alg);
          w.Raw(x.mac);
        } else if constexpr (std::is_same_v<P, PkePayload>) {
          if (x.data.size() > 0x3FFF) return TooLong("PKE data", x.data.size(), 0x3FFF);
          if (x.c > 3) return MakeError(Errc::kMalformed, "PKE C above 2 bits");
          w.U8(next);
          w.U16(static_cast<std::uint16_t>((x.c << 14) | x.data.size()));
          w.Raw(x.data);
        } else if constexpr (std::is_same_v<P, DhPayload>) {
          if (DhGroupBytes(x.group) == 0) {
            return MakeError(Errc::kUnsupported, UnknownDhGroupText(x.group));
          }
          if (x.value.size() != DhGroupBytes(x.group)) {
            return MakeError(Errc::kMalformed, "DH value length does not match its group");
          }
          if (x.kv > 15) return MakeError(Errc::kMalformed, "DH KV above 4 bits");
          w.U8(next);
          w.U8(x.group);
          w.Raw(x.value);
          w.U8(x.kv);  // Reserv (4 bits, zero) | KV (4 bits)
          return EncodeKv(w, x.kv, x.kv_data);
        } else if constexpr (std::is_same_v<P, SignPayload>) {
          if (x.signature.size() > 0xFFF) return TooLong("SIGN", x.signature.size(), 0xFFF);
          if (x.s_type > 15) return MakeError(Errc::kMalformed, "SIGN S type above 4 bits");
          w.U16(static_cast<std::uint16_t>((x.s_type << 12) | x.signature.size()));
          w.Raw(x.signature);
        } else if constexpr (std::is_same_v<P, VPayload>) {
          if (MacAlgBytes(x.mac_alg) != x.mac.size()) {
            return MakeError(Errc::kMalformed, "V MAC length does not match its MAC alg");
          }
          w.U8(next);
          w.U8(x.mac_alg);
          w.Raw(x.mac);
        } else if constexpr (std::is_same_v<P, SpPayload>) {
          std::size_t len = 0;
          for (const SpParam& sp : x.params) {
            if (sp.value.size() > 255) return TooLong("SP parameter", sp.value.size(), 255);
            len += 2 + sp.value.size();
          }
          if (len > 0xFFFF) return TooLong("SP parameters", len, 0xFFFF);
          w.U8(next);
          w.U8(x.policy_no);
          w.U8(x.prot_type);
          w.U16(static_cast<std::uint16_t>(len));
          for (const SpParam& sp : x.params) {
            w.U8(sp.type);
            w.U8(static_cast<std::uint8_t>(sp.value.size()));
            w.Raw(sp.value);
          }
        } else if constexpr (std::is_same_v<P, ErrPayload>) {
          w.U8(next);
          w.U8(x.error_no);
          w.U16(0);
        } else if constexpr (std::is_same_v<P, KeyDataPayload>) {
          if (x.type > 15 || x.kv > 15) return MakeError(Errc::kMalformed, "Key data type/KV above 4 bits");
          if (x.key.size() > 0xFFFF) return TooLong("Key data", x.key.size(), 0xFFFF);
          const bool salted = x.type == 1 || x.type == 3;
          if (salted != !x.salt.empty()) {
            return MakeError(Errc::kMalformed, "Key data salt present iff type is TGK+SALT/TEK+SALT");
          }
          w.U8(next);
          w.U8(static_cast<std::uint8_t>((x.type << 4) | x.kv));
          w.U16(static_cast<std::uint16_t>(x.key.size()));
          w.Raw(x.key);
          if (salted) {
            if (x.salt.size() > 0xFFFF) return TooLong("salt", x.salt.size(), 0xFFFF);
            w.U16(static_cast<std::uint16_t>(x.salt.size()));
            w.Raw(x.salt);
          }
          return EncodeKv(w, x.kv, x.kv_data);
        } else if constexpr (std::is_same_v<P, GeneralExtPayload>) {
          if (x.data.size() > 0xFFFF) return TooLong("General Ext", x.data.size(), 0xFFFF);
          w.U8(next);
          w.U8(x.type);
          w.U16(static_cast<std::uint16_t>(x.data.size()));
          w.Raw(x.data);
        }
        return {};
      },
      p);
}

// ---------------------------------------------------------------- reading

struct Reader {
  const unsigned char* d;
  std::size_t n;
  std::size_t pos = 0;
  std::size_t base = 0;  // offset of d within the whole message, for messages
  const char* where = "";

  Error Short(const char* field, std::size_t need) const {
    return MakeError(Errc::kTruncated, std::string(where) + " " + field + " needs " +
                                           std::to_string(need) + " bytes at offset " +
                                           std::to_string(base + pos) + ", " +
                                           std::to_string(n - pos) + " left");
  }
  bool Has(std::size_t k) const { return n - pos >= k; }
  std::uint8_t U8() { return d[pos++]; }
  std::uint16_t U16() {
    std::uint16_t v = static_cast<std::uint16_t>((d[pos] << 8) | d[pos + 1]);
    pos += 2;
    return v;
  }
  std::uint32_t U32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | d[pos++];
    return v;
  }
  std::uint64_t U64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | d[pos++];
    return v;
  }
  Bytes Take(std::size_t k) {
    Bytes b(d + pos, d + pos + k);
    pos += k;
    return b;
  }
};

#define NEED(r, k, field)                          \
  do {                                             \
    if (!(r).Has(k)) return (r).Short(field, (k)); \
  } while (0)

Status DecodeKv(Reader& r, std::uint8_t kv, Bytes& kv_data) {
  const std::size_t start = r.pos;
  if (kv == 1) {  // SPI/MKI: length (8) + SPI
    NEED(r, 1, "KV SPI length");
    std::uint8_t len = r.U8();
    NEED(r, len, "KV SPI");
    r.pos += len;
  } else if (kv == 2) {  // interval: VF length + VF, VT length + VT
    for (const char* f : {"KV valid-from", "KV valid-to"}) {
      NEED(r, 1, f);
      std::uint8_t len = r.U8();
      NEED(r, len, f);
      r.pos += len;
    }
  } else if (kv != 0) {
    return MakeError(Errc::kUnsupported, std::string(r.where) + " KV type " + std::to_string(kv));
  }
  kv_data.assign(r.d + start, r.d + r.pos);
  return {};
}

// Decodes one payload of `type` at r.pos; sets `next` to its next-payload field.
Result<Payload> DecodeOne(Reader& r, std::uint8_t type, std::uint8_t& next) {
  r.where = PayloadTypeName(type);
  if (type != kSign) {
    NEED(r, 1, "next payload");
    next = r.U8();
  } else {
    next = kLast;
  }
  switch (type) {
    case kT: {
      TPayload t;
      NEED(r, 1, "TS type");
      t.ts_type = r.U8();
      if (t.ts_type <= 1) {
        NEED(r, 8, "TS value");
        t.value = r.U64();
      } else if (t.ts_type == 2) {
        NEED(r, 4, "TS value");
        t.value = r.U32();
      } else {
        return MakeError(Errc::kUnsupported, "T payload: TS type " + std::to_string(t.ts_type));
      }
      return Payload(t);
    }
    case kRand: {
      RandPayload p;
      NEED(r, 1, "RAND length");
      std::uint8_t len = r.U8();
      if (len == 0) return MakeError(Errc::kMalformed, "RAND payload of length 0");
      NEED(r, len, "RAND");
      p.rand = r.Take(len);
      return Payload(p);
    }
    case kId:
    case kCert: {
      NEED(r, 3, "type and length");
      std::uint8_t sub = r.U8();
      std::uint16_t len = r.U16();
      NEED(r, len, "data");
      if (type == kId) return Payload(IdPayload{sub, r.Take(len)});
      return Payload(CertPayload{sub, r.Take(len)});
    }
    case kKemac: {
      KemacPayload k;
      NEED(r, 3, "encr alg and length");
      k.encr_alg = r.U8();
      std::uint16_t len = r.U16();
      NEED(r, len, "encr data");
      k.encr_data = r.Take(len);
      NEED(r, 1, "MAC alg");
      k.mac_alg = r.U8();
      std::size_t mlen = MacAlgBytes(k.mac_alg);
      if (mlen == std::numeric_limits<std::size_t>::max()) {
        return MakeError(Errc::kUnsupported, "KEMAC MAC alg " + std::to_string(k.mac_alg));
      }
      NEED(r, mlen, "MAC");
      k.mac = r.Take(mlen);
      return Payload(k);
    }
    case kPke: {
      PkePayload p;
      NEED(r, 2, "C and data length");
      std::uint16_t v = r.U16();
      p.c = static_cast<std::uint8_t>(v >> 14);
      std::size_t len = v & 0x3FFF;
      NEED(r, len, "data");
      p.data = r.Take(len);
      return Payload(p);
    }
    case kDh: {
      DhPayload p;
      NEED(r, 1, "group");
      p.group = r.U8();
      std::size_t len = DhGroupBytes(p.group);
      if (len == 0) return MakeError(Errc::kUnsupported, UnknownDhGroupText(p.group) + " at offset " + std::to_string(r.base + r.pos - 1));
      NEED(r, len, "DH value");
      p.value = r.Take(len);
      NEED(r, 1, "Reserv/KV");
      std::uint8_t b = r.U8();
      if (b >> 4) return MakeError(Errc::kMalformed, "DH reserved bits set");
      p.kv = b & 0x0F;
      if (Status st = DecodeKv(r, p.kv, p.kv_data); !st) return st.error();
      return Payload(p);
    }
    case kSign: {
      SignPayload p;
      NEED(r, 2, "S type and length");
      std::uint16_t v = r.U16();
      p.s_type = static_cast<std::uint8_t>(v >> 12);
      std::size_t len = v & 0x0FFF;
      NEED(r, len, "signature");
      p.signature = r.Take(len);
      return Payload(p);
    }
    case kV: {
      VPayload p;
      NEED(r, 1, "MAC alg");
      p.mac_alg = r.U8();
      std::size_t mlen = MacAlgBytes(p.mac_alg);
      if (mlen == std::numeric_limits<std::size_t>::max()) {
        return MakeError(Errc::kUnsupported, "V MAC alg " + std::to_string(p.mac_alg));
      }
      NEED(r, mlen, "MAC");
      p.mac = r.Take(mlen);
      return Payload(p);
    }
    case kSp: {
      SpPayload p;
      NEED(r, 4, "policy no, prot type, param length");
      p.policy_no = r.U8();
      p.prot_type = r.U8();
      std::uint16_t len = r.U16();
      NEED(r, len, "policy params");
      const std::size_t end = r.pos + len;
      while (r.pos < end) {
        if (end - r.pos < 2) return MakeError(Errc::kMalformed, "SP parameter header cut at offset " + std::to_string(r.base + r.pos));
        SpParam sp;
        sp.type = r.U8();
        std::uint8_t vlen = r.U8();
        if (end - r.pos < vlen) {
          return MakeError(Errc::kMalformed, "SP parameter " + std::to_string(sp.type) +
                                                 " overruns the policy params");
        }
        sp.value = r.Take(vlen);
        p.params.push_back(std::move(sp));
      }
      return Payload(p);
    }
    case kErr: {
      NEED(r, 3, "error no and reserved");
      ErrPayload e;
      e.error_no = r.U8();
      if (r.U16() != 0) return MakeError(Errc::kMalformed, "ERR reserved bits set");
      return Payload(e);
    }
    case kKeyData: {
      KeyDataPayload k;
      NEED(r, 3, "type/KV and key length");
      std::uint8_t b = r.U8();
      k.type = b >> 4;
      k.kv = b & 0x0F;
      if (k.type > 3) return MakeError(Errc::kUnsupported, "Key data type " + std::to_string(k.type));
      std::uint16_t len = r.U16();
      NEED(r, len, "key");
      k.key = r.Take(len);
      if (k.type == 1 || k.type == 3) {
        NEED(r, 2, "salt length");
        std::uint16_t slen = r.U16();
        NEED(r, slen, "salt");
        k.salt = r.Take(slen);
      }
      if (Status st = DecodeKv(r, k.kv, k.kv_data); !st) return st.error();
      return Payload(k);
    }
    case kGeneralExt: {
      NEED(r, 3, "type and length");
      GeneralExtPayload g;
      g.type = r.U8();
      std::uint16_t len = r.U16();
      NEED(r, len, "data");
      g.data = r.Take(len);
      return Payload(g);
    }
    default:
      break;
  }
  return MakeError(type == kChash ? Errc::kUnsupported : Errc::kUnknownPayload,
                   "payload type " + std::to_string(type) + " (" + PayloadTypeName(type) +
                       ") at offset " + std::to_string(r.base + r.pos - 1) +
                       (type == kChash ? " is not supported" : " is not an RFC 3830 payload"));
}

}  // namespace

Result<Bytes> Encode(Message& msg) {
  Bytes out;
  Writer w{out};
  const Hdr& h = msg.hdr;
  if (h.cs.size() > 255) return TooLong("CS ID map", h.cs.size(), 255);
  if (h.cs_id_map_type == 1 && !h.cs.empty()) {
    return MakeError(Errc::kMalformed, "empty CS ID map with entries");
  }
  if (h.cs_id_map_type > 1) {
    return MakeError(Errc::kUnsupported, "CS ID map type " + std::to_string(h.cs_id_map_type));
  }
  w.U8(h.version);
  w.U8(static_cast<std::uint8_t>(h.data_type));
  w.U8(msg.payloads.empty() ? kLast : TypeOf(msg.payloads.front()));
  w.U8(static_cast<std::uint8_t>((h.v_flag ? 0x80 : 0) | (static_cast<std::uint8_t>(h.prf) & 0x7F)));
  w.U32(h.csb_id);
  w.U8(static_cast<std::uint8_t>(h.cs.size()));
  w.U8(h.cs_id_map_type);
  for (const CsIdSrtp& c : h.cs) {
    w.U8(c.policy_no);
    w.U32(c.ssrc);
    w.U32(c.roc);
  }
  msg.offsets.clear();
  for (std::size_t i = 0; i < msg.payloads.size(); ++i) {
    const std::uint8_t t = TypeOf(msg.payloads[i]);
    if (t == kKeyData) return MakeError(Errc::kMalformed, "Key data outside KEMAC");
    if (t == kSign && i + 1 != msg.payloads.size()) {
      return MakeError(Errc::kMalformed, "SIGN must be the last payload");
    }
    const std::uint8_t next = i + 1 < msg.payloads.size() ? TypeOf(msg.payloads[i + 1]) : kLast;
    msg.offsets.push_back(out.size());
    if (Status st = EncodeOne(w, msg.payloads[i], next); !st) return st.error();
  }
  return out;
}

Result<Message> Decode(const unsigned char* data, std::size_t n, std::uint8_t* failed_type) {
  Message msg;
  Reader r{data, n};
  r.where = "HDR";
  NEED(r, 10, "common header");
  msg.hdr.version = r.U8();
  if (msg.hdr.version != 1) {
    return MakeError(Errc::kUnsupported, "MIKEY version " + std::to_string(msg.hdr.version));
  }
  std::uint8_t dt = r.U8();
  if (dt > 8) return MakeError(Errc::kUnsupported, "HDR data type " + std::to_string(dt));
  msg.hdr.data_type = static_cast<DataType>(dt);
  std::uint8_t next = r.U8();
  std::uint8_t vp = r.U8();
  msg.hdr.v_flag = (vp & 0x80) != 0;
  if ((vp & 0x7F) > 1) return MakeError(Errc::kUnsupported, "HDR PRF func " + std::to_string(vp & 0x7F));
  msg.hdr.prf = static_cast<PrfFunc>(vp & 0x7F);
  msg.hdr.csb_id = r.U32();
  std::uint8_t ncs = r.U8();
  msg.hdr.cs_id_map_type = r.U8();
  if (msg.hdr.cs_id_map_type == 0) {
    for (std::uint8_t i = 0; i < ncs; ++i) {
      NEED(r, 9, "SRTP-ID map entry");
      CsIdSrtp c;
      c.policy_no = r.U8();
      c.ssrc = r.U32();
      c.roc = r.U32();
      msg.hdr.cs.push_back(c);
    }
  } else if (msg.hdr.cs_id_map_type == 1) {
    if (ncs != 0) return MakeError(Errc::kMalformed, "empty CS ID map with #CS " + std::to_string(ncs));
  } else {
    return MakeError(Errc::kUnsupported, "CS ID map type " + std::to_string(msg.hdr.cs_id_map_type));
  }
  // Each payload's type comes from the previous one's next-payload field.
  while (next != kLast) {
    if (next == kKeyData) {
      return MakeError(Errc::kMalformed, "Key data payload outside KEMAC at offset " + std::to_string(r.pos));
    }
    const std::uint8_t type = next;
    msg.offsets.push_back(r.pos);
    auto p = DecodeOne(r, type, next);
    if (!p) {
      if (failed_type != nullptr) *failed_type = type;
      return p.error();
    }
    msg.payloads.push_back(std::move(*p));
    if (msg.payloads.size() > 64) return MakeError(Errc::kMalformed, "more than 64 payloads");
  }
  if (r.pos != n) {
    return MakeError(Errc::kMalformed, std::to_string(n - r.pos) + " bytes after the last payload at offset " +
                                           std::to_string(r.pos));
  }
  return msg;
}

Result<Bytes> EncodeKeyData(const KeyDataSet& set) {
  Bytes out;
  Writer w{out};
  if (set.has_id) {
    if (Status st = EncodeOne(w, Payload(set.id), set.keys.empty() ? kLast : kKeyData); !st) return st.error();
  }
  for (std::size_t i = 0; i < set.keys.size(); ++i) {
    const std::uint8_t next = i + 1 < set.keys.size() ? kKeyData : kLast;
    if (Status st = EncodeOne(w, Payload(set.keys[i]), next); !st) return st.error();
  }
  return out;
}

Result<KeyDataSet> DecodeKeyData(const unsigned char* data, std::size_t n, bool leading_id) {
  KeyDataSet set;
  Reader r{data, n};
  std::uint8_t type = leading_id ? kId : kKeyData;
  std::uint8_t next = kLast;
  if (n == 0) return set;
  do {
    if (type != kKeyData && !(type == kId && !set.has_id && set.keys.empty())) {
      return MakeError(Errc::kMalformed, std::string("KEMAC content: unexpected ") + PayloadTypeName(type) +
                                             " sub-payload at offset " + std::to_string(r.pos));
    }
    auto p = DecodeOne(r, type, next);
    if (!p) return p.error();
    if (auto* id = std::get_if<IdPayload>(&*p)) {
      set.has_id = true;
      set.id = std::move(*id);
    } else {
      set.keys.push_back(std::get<KeyDataPayload>(std::move(*p)));
    }
    type = next;
  } while (next != kLast);
  if (r.pos != n) {
    return MakeError(Errc::kMalformed, "KEMAC content: " + std::to_string(n - r.pos) +
                                           " bytes after the last Key data sub-payload");
  }
  return set;
}

}  // namespace sipim::security::mikey
