// Typed helpers for the session-mode IM attributes, and strict base64.
#include <cstring>

#include "msrp/chars.h"
#include "sdp/sdp.h"

namespace sipim::sdp {
namespace {

ParseError Err(const char* reason, std::string_view v, std::size_t offset) {
  return MakeParseError(reason, v.data(), v.size(), offset);
}

int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

ParseError Relocate(std::string_view text, std::string_view value, ParseError e) {
  if (!e) return e;
  const char* b = text.data();
  if (value.data() < b || value.data() + value.size() > b + text.size()) return e;
  return MakeParseError(e.reason, b, text.size(), static_cast<std::size_t>(value.data() - b) + e.offset);
}

const Attribute* FindAttribute(const std::vector<Attribute>& attrs, std::string_view name) {
  for (const Attribute& a : attrs)
    if (a.name == name) return &a;
  return nullptr;
}

const Attribute* FindAttribute(const SessionDescription& sd, const Media& m, std::string_view name) {
  if (const Attribute* a = FindAttribute(m.attributes, name)) return a;
  return FindAttribute(sd.attributes, name);
}

ParseError ParsePath(std::string_view value, std::vector<msrp::Uri>* out) {
  return msrp::ForEachPathUri(value, [out](const msrp::Uri& u) { out->push_back(u); });
}

ParseError ParseAcceptTypes(std::string_view value, std::vector<std::string_view>* out) {
  if (value.empty()) return Err("empty accept-types", value, 0);
  std::size_t pos = 0;
  for (;;) {
    std::size_t sp = value.find(' ', pos);
    std::size_t end = sp == std::string_view::npos ? value.size() : sp;
    std::string_view t = value.substr(pos, end - pos);
    if (t != "*") {
      std::size_t slash = t.find('/');
      // "*/subtype" is no media range: '*' stands alone or as the subtype.
      if (slash == 0 || slash == std::string_view::npos || slash + 1 == t.size() || t.substr(0, slash) == "*")
        return Err("accept-types entry must be *, type/* or type/subtype", value, pos);
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (i == slash) continue;
        unsigned char c = static_cast<unsigned char>(t[i]);
        bool star_subtype = i == slash + 1 && c == '*' && t.size() == slash + 2;
        if (!wire::IsMimeTokenChar(c) && !star_subtype)
          return Err("invalid character in an accept-types entry", value, pos + i);
      }
    }
    out->push_back(t);
    if (sp == std::string_view::npos) return ParseError{};
    pos = sp + 1;
    if (pos == value.size() || value[pos] == ' ')
      return Err("accept-types entries are separated by one space", value, sp);
  }
}

ParseError ParseSetup(std::string_view v, Setup* out) {
  if (v == "active") *out = Setup::kActive;
  else if (v == "passive") *out = Setup::kPassive;
  else if (v == "actpass") *out = Setup::kActpass;
  else if (v == "holdconn") *out = Setup::kHoldconn;
  else return Err("a=setup must be active, passive, actpass or holdconn", v, 0);
  return ParseError{};
}

std::string_view SetupName(Setup s) {
  switch (s) {
    case Setup::kActive: return "active";
    case Setup::kPassive: return "passive";
    case Setup::kActpass: return "actpass";
    case Setup::kHoldconn: return "holdconn";
  }
  return "actpass";
}

ParseError ParseConnectionMode(std::string_view v, ConnectionMode* out) {
  if (v == "new") *out = ConnectionMode::kNew;
  else if (v == "existing") *out = ConnectionMode::kExisting;
  else return Err("a=connection must be new or existing", v, 0);
  return ParseError{};
}

std::string_view ConnectionModeName(ConnectionMode c) {
  return c == ConnectionMode::kExisting ? "existing" : "new";
}

ParseError ParseMaxSize(std::string_view v, std::uint64_t* out) {
  if (!wire::ParseDecimal(v, UINT64_MAX, out)) return Err("a=max-size must be 1*DIGIT", v, 0);
  return ParseError{};
}

ParseError ParseKeyMgmt(std::string_view v, KeyMgmt* out) {
  // key-mgmt-att-value = 0*1SP prtcl-id SP keymgmt-data: one space may lead.
  const std::size_t id = !v.empty() && v[0] == ' ' ? 1 : 0;
  std::size_t sp = v.find(' ', id);
  if (sp == std::string_view::npos) return Err("a=key-mgmt must be <prtcl-id> <keymgmt-data>", v, v.size());
  if (sp == id) return Err("empty key management protocol id", v, id);
  for (std::size_t i = id; i < sp; ++i)
    if (!wire::IsAlnum(static_cast<unsigned char>(v[i])))
      return Err("key management protocol id must be letters and digits", v, i);
  std::string_view data = v.substr(sp + 1);
  if (data.empty()) return Err("empty key management data", v, sp + 1);
  std::vector<std::uint8_t> scratch;
  if (ParseError e = Base64Decode(data, &scratch))
    return MakeParseError(e.reason, v.data(), v.size(), sp + 1 + e.offset);
  out->protocol_id = v.substr(id, sp - id);
  out->data_base64 = data;
  return ParseError{};
}

void AppendKeyMgmtValue(std::string_view protocol_id, const std::uint8_t* data, std::size_t size,
                        std::string* out) {
  out->append(protocol_id);
  out->push_back(' ');
  Base64Encode(data, size, out);
}

ParseError Base64Decode(std::string_view t, std::vector<std::uint8_t>* out) {
  if (t.size() % 4 != 0) return Err("base64 length must be a multiple of 4", t, t.size());
  out->reserve(out->size() + t.size() / 4 * 3);
  for (std::size_t q = 0; q < t.size(); q += 4) {
    const bool last = q + 4 == t.size();
    int v[4];
    int pad = 0;
    for (int i = 0; i < 4; ++i) {
      unsigned char c = static_cast<unsigned char>(t[q + i]);
      if (c == '=') {
        if (!last || i < 2) return Err("base64 padding '=' only at the end", t, q + i);
        ++pad;
        v[i] = 0;
        continue;
      }
      if (pad > 0) return Err("base64 data after padding", t, q + i);
      v[i] = Base64Value(c);
      if (v[i] < 0) return Err("invalid base64 character", t, q + i);
    }
    const std::uint32_t n = (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
                            (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    // Non-canonical: bits the padding leaves unused must be zero.
    if ((pad == 1 && (n & 0xFF) != 0) || (pad == 2 && (n & 0xFFFF) != 0))
      return Err("base64 unused bits before the padding must be zero", t, q + 3 - static_cast<std::size_t>(pad));
    out->push_back(static_cast<std::uint8_t>(n >> 16));
    if (pad < 2) out->push_back(static_cast<std::uint8_t>(n >> 8));
    if (pad < 1) out->push_back(static_cast<std::uint8_t>(n));
  }
  return ParseError{};
}

void Base64Encode(const std::uint8_t* data, std::size_t size, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out->reserve(out->size() + (size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    std::uint32_t n = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out->push_back(kAlphabet[n >> 18]);
    out->push_back(kAlphabet[(n >> 12) & 63]);
    out->push_back(kAlphabet[(n >> 6) & 63]);
    out->push_back(kAlphabet[n & 63]);
  }
  if (i < size) {
    std::uint32_t n = std::uint32_t{data[i]} << 16;
    if (i + 1 < size) n |= std::uint32_t{data[i + 1]} << 8;
    out->push_back(kAlphabet[n >> 18]);
    out->push_back(kAlphabet[(n >> 12) & 63]);
    out->push_back(i + 1 < size ? kAlphabet[(n >> 6) & 63] : '=');
    out->push_back('=');
  }
}

}  // namespace sipim::sdp
