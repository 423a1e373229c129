// External check: tshark decodes every MIKEY mode's I_MESSAGE (in an INVITE's SDP) and R_MESSAGE (in the 200 OK)
// with every payload shown and no malformed or expert-error marks. SIP and SDP text come from the wire core
// (sip/builder.h, sdp/sdp.h), so this is also the round trip of MIKEY through the SDP code.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "pcap_writer.h"
#include "sdp/sdp.h"
#include "security/mikey.h"
#include "sip/builder.h"
#include "sip/message.h"
#include "test_pki.h"

namespace sipim::security::mikey {
namespace {

using testing::GetPki;

struct Exchange {
  Mode mode;
  Bytes i, r;
};

// Alice's (initiator) and bob's (responder) configurations for `mode`; DH and DHHMAC offered in `group`.
std::pair<Config, Config> Configs(Mode mode, DhGroup group) {
  auto& p = GetPki(KeyAlg::kRsa2048);
  Config c;
  c.mode = mode;
  c.psk = ToBytes("0123456789abcdef0123456789abcdef");
  c.initiator_uri = "sip:alice@home.com";
  c.responder_uri = "sip:bob@home.com";
  c.trust = p.trust.get();
  Config ci = c, cr = c;
  ci.self = &p.user("sip:alice@home.com");
  ci.peer_cert = p.user("sip:bob@home.com").cert.get();
  ci.dh_group = group;
  cr.self = &p.user("sip:bob@home.com");
  return {ci, cr};
}

// One exchange of `mode`; DH and DHHMAC in `group`.
Exchange RunExchange(Mode mode, DhGroup group) {
  const auto [ci, cr] = Configs(mode, group);
  Initiator ini(ci);
  ReplayCache cache;
  Responder res(cr, &cache);
  Exchange e{mode, {}, {}};
  auto i = ini.BuildI();
  EXPECT_TRUE(i.ok()) << i.error().ToString();
  auto r = res.ProcessI(*i);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(ini.ProcessR(*r).ok());
  e.i = *i;
  e.r = *r;
  return e;
}

// An MSRP offer (sdp::AppendMsrpOffer) with the MIKEY message in a=key-mgmt,
// moved from media to session level: Wireshark 4.0's SDP dissector hands
// key-mgmt to the MIKEY dissector only for session-level attributes
// (RFC 4567 allows both).
std::string Offer(const Bytes& mikey, std::uint64_t id) {
  sdp::MsrpOfferParams o;
  o.session_id = id;
  o.address = "192.0.2.1";
  o.port = 2855;
  o.msrp_session = "s1";
  o.mikey = mikey.data();
  o.mikey_size = mikey.size();
  std::string media_level;
  sdp::AppendMsrpOffer(o, &media_level);
  sdp::SessionDescription sd;
  ParseError e = sdp::Parse(media_level, &sd);
  EXPECT_FALSE(e) << e.ToString();
  for (auto& m : sd.media) {
    for (auto it = m.attributes.begin(); it != m.attributes.end();) {
      if (it->name == "key-mgmt") {
        sd.attributes.push_back(*it);
        it = m.attributes.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::string out;
  sdp::Build(sd, &out);
  return out;
}

// The MIKEY bytes of the a=key-mgmt attribute of an SDP body, via the SDP parser.
Bytes MikeyFromSdp(std::string_view body) {
  sdp::SessionDescription sd;
  ParseError e = sdp::Parse(body, &sd);
  EXPECT_FALSE(e) << e.ToString();
  for (const auto& a : sd.attributes) {
    if (a.name != "key-mgmt") continue;
    sdp::KeyMgmt km;
    ParseError ke = sdp::ParseKeyMgmt(a.value, &km);
    EXPECT_FALSE(ke) << ke.ToString();
    EXPECT_EQ(km.protocol_id, "mikey");
    auto bytes = ParseKeyMgmtValue(a.value);
    EXPECT_TRUE(bytes.ok()) << bytes.error().ToString();
    return *bytes;
  }
  ADD_FAILURE() << "no a=key-mgmt in SDP";
  return {};
}

// An INVITE from alice to bob carrying the SDP `offer`, built by the wire core and parsed back into `parsed`.
std::string Invite(sip::IdGenerator& ids, const std::string& offer, sip::Message* parsed) {
  const std::string branch = ids.Branch(), tag = ids.Tag(), call_id = ids.CallId("192.0.2.1");
  sip::RequestSpec rq;
  rq.method = "INVITE";
  rq.request_uri = "sip:bob@home.com";
  rq.via_host = "192.0.2.1";
  rq.via_port = 5060;
  rq.branch = branch;
  rq.from_uri = "sip:alice@home.com";
  rq.from_tag = tag;
  rq.to_uri = "sip:bob@home.com";
  rq.call_id = call_id;
  rq.contact = "sip:alice@192.0.2.1:5060";
  rq.content_type = "application/sdp";
  rq.body = offer;
  std::string invite;
  ParseError err = sip::BuildRequest(rq, &invite);
  EXPECT_FALSE(err) << err.ToString();
  err = sip::Parse(invite, sip::Framing::kDatagram, parsed);
  EXPECT_FALSE(err) << err.ToString();
  return invite;
}

// Bob's `status` response to `invite` carrying the SDP `body`, built by the wire core and parsed back into `parsed`.
std::string Response(const sip::Message& invite, int status, const std::string& body, sip::Message* parsed) {
  sip::ResponseSpec rs;
  rs.status = status;
  rs.to_tag = "b0b";
  rs.contact = status < 300 ? "sip:bob@192.0.2.2:5060" : "";
  rs.content_type = "application/sdp";
  rs.body = body;
  std::string out;
  ParseError err = sip::BuildResponse(invite, rs, &out);
  EXPECT_FALSE(err) << err.ToString();
  err = sip::Parse(out, sip::Framing::kDatagram, parsed);
  EXPECT_FALSE(err) << err.ToString();
  return out;
}

// Names tshark 4.0 gives each payload (Wireshark's packet-mikey.c).
const std::map<std::uint8_t, std::string> kTsharkNames = {
    {kKemac, "Key Data Transport (KEMAC)"}, {kPke, "Envelope Data (PKE)"}, {kDh, "DH Data (DH)"},
    {kSign, "Signature (SIGN)"},            {kT, "Timestamp (T)"},        {kId, "ID"},
    {kCert, "Certificate (CERT)"},          {kV, "Ver msg (V)"},          {kSp, "Security Policy (SP)"},
    {kRand, "RAND"},                        {kErr, "Error (ERR)"},        {kGeneralExt, "General Extension (EXT)"}};

// The titles of the children of the "Multimedia Internet KEYing" item, each
// of which must itself have decoded fields below it.
std::vector<std::string> PayloadTitles(const std::string& frame) {
  std::vector<std::string> titles;
  std::size_t at = frame.find("Multimedia Internet KEYing");
  if (at == std::string::npos) return titles;
  std::size_t line_start = frame.rfind('\n', at) + 1;
  const std::size_t indent = at - line_start;
  std::size_t pos = frame.find('\n', at);
  std::string last_title;
  bool has_children = true;
  while (pos != std::string::npos && pos + 1 < frame.size()) {
    std::size_t next = frame.find('\n', pos + 1);
    std::string line = frame.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    pos = next;
    std::size_t sp = line.find_first_not_of(' ');
    if (sp == std::string::npos) continue;
    if (sp <= indent) break;
    if (sp == indent + 4) {
      EXPECT_TRUE(has_children) << "payload '" << last_title << "' shows no decoded fields";
      titles.push_back(line.substr(sp));
      last_title = titles.back();
      has_children = false;
    } else {
      has_children = true;
    }
  }
  EXPECT_TRUE(has_children) << "payload '" << last_title << "' shows no decoded fields";
  return titles;
}

std::string Hex(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

// tshark's output for `pcap`: the -V tree with its messages, or (`output` given) that output alone.
std::string RunTshark(const std::string& pcap, const std::string& output = "") {
  std::string cmd = "tshark -r '" + pcap + "' " + (output.empty() ? "-V 2>&1" : output + " 2>/dev/null");
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[65536];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

// tshark's -V output of a capture, one string per frame; the whole output shows no malformed packet
// and no expert error or warning.
std::vector<std::string> CleanFrames(const std::string& out) {
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.find("Malformed"), std::string::npos) << out.substr(0, 4000);
  EXPECT_EQ(out.find("Expert Info (Error"), std::string::npos);
  EXPECT_EQ(out.find("Expert Info (Warning"), std::string::npos);
  std::vector<std::string> per_frame;
  for (std::size_t at = out.find("Frame "); at != std::string::npos;) {
    std::size_t next = out.find("\nFrame ", at + 1);
    per_frame.push_back(out.substr(at, next == std::string::npos ? std::string::npos : next - at));
    at = next == std::string::npos ? next : next + 1;
  }
  return per_frame;
}

// The frame's MIKEY tree shows HDR and every payload of `m` in wire order, each with decoded fields.
void ExpectMikeyTree(const std::string& text, const Message& m) {
  EXPECT_NE(text.find("Multimedia Internet KEYing"), std::string::npos);
  EXPECT_NE(text.find("Common Header (HDR)"), std::string::npos);
  EXPECT_NE(text.find("CSB ID: 0x"), std::string::npos);
  // The payload titles are the children of the MIKEY item, in wire order.
  std::vector<std::string> titles = PayloadTitles(text);
  ASSERT_EQ(titles.size(), m.payloads.size() + 1) << text.substr(text.find("Multimedia Internet KEYing"));
  EXPECT_EQ(titles[0].rfind("Common Header (HDR)", 0), 0u) << titles[0];
  for (std::size_t k = 0; k < m.payloads.size(); ++k) {
    const std::string& name = kTsharkNames.at(TypeOf(m.payloads[k]));
    EXPECT_EQ(titles[k + 1].rfind(name, 0), 0u) << "payload " << k << ": tshark shows '" << titles[k + 1]
                                                 << "', expected " << name;
  }
  if (m.Find<TPayload>()) {
    EXPECT_NE(text.find("NTP-UTC"), std::string::npos);
  }
  if (m.Find<CertPayload>()) {
    EXPECT_NE(text.find("Certificate type: X.509v3"), std::string::npos);
  }
}

// The lines of tshark's -T fields output.
std::vector<std::string> Lines(const std::string& fields) {
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < fields.size();) {
    const std::size_t nl = fields.find('\n', at);
    lines.push_back(fields.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
    at = nl == std::string::npos ? fields.size() : nl + 1;
  }
  return lines;
}

// Every mode's I and R messages, carried in INVITE / 200 OK over UDP, are fully dissected by tshark;
// DH and DHHMAC in each of their groups (OAKLEY 5, 1 and 2), whose DH payloads tshark must show
// with the group's name and a value as long as its prime (a wrong length would misalign every
// payload after it and show as malformed).
TEST(MikeyTshark, EveryModeDecodesCleanly) {
  if (std::system("tshark --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "tshark is not installed";
  const std::string pcap = std::string(SIPIM_BINARY_DIR) + "/security-mikey-modes.pcap";
  std::vector<std::pair<std::string, Message>> frames;  // (label, decoded MIKEY) per frame
  {
    testing::PcapWriter w(pcap);
    ASSERT_TRUE(w.ok());
    sip::IdGenerator ids(42);
    std::uint64_t n = 0;
    const std::pair<Mode, DhGroup> runs[] = {
        {Mode::kPsk, DhGroup::kOakley5},     {Mode::kPke, DhGroup::kOakley5},
        {Mode::kDhSigned, DhGroup::kOakley5}, {Mode::kDhhmac, DhGroup::kOakley5},
        {Mode::kEcdhSigned, DhGroup::kOakley5}, {Mode::kDhSigned, DhGroup::kOakley1},
        {Mode::kDhSigned, DhGroup::kOakley2}, {Mode::kDhhmac, DhGroup::kOakley1},
        {Mode::kDhhmac, DhGroup::kOakley2}};
    for (const auto& [mode, group] : runs) {
      Exchange e = RunExchange(mode, group);
      ASSERT_FALSE(e.i.empty() || e.r.empty());
      sip::Message parsed, parsed_ok;
      const std::string invite = Invite(ids, Offer(e.i, ++n), &parsed);
      // Round trip through the SDP code: the attribute carries exactly the I_MESSAGE.
      EXPECT_EQ(MikeyFromSdp(parsed.body), e.i) << ModeName(mode);
      const std::string ok = Response(parsed, 200, Offer(e.r, n + 100), &parsed_ok);
      EXPECT_EQ(MikeyFromSdp(parsed_ok.body), e.r) << ModeName(mode);
      w.Udp(0xC0000201, 5060, 0xC0000202, 5060, invite);
      w.Udp(0xC0000202, 5060, 0xC0000201, 5060, ok);
      auto di = Decode(e.i), dr = Decode(e.r);
      ASSERT_TRUE(di.ok() && dr.ok());
      const std::string label =
          std::string(ModeName(mode)) + (di->Find<DhPayload>() ? std::string(" ") + DhGroupName(group) : "");
      frames.emplace_back(label + " I_MESSAGE", *di);
      frames.emplace_back(label + " R_MESSAGE", *dr);
    }
  }
  const std::vector<std::string> per_frame = CleanFrames(RunTshark(pcap));
  ASSERT_EQ(per_frame.size(), frames.size());
  for (std::size_t f = 0; f < frames.size(); ++f) {
    const std::string& text = per_frame[f];
    const Message& m = frames[f].second;
    SCOPED_TRACE(frames[f].first);
    ExpectMikeyTree(text, m);
    if (const DhPayload* d = m.Find<DhPayload>()) {
      const std::string group = DhGroupName(static_cast<DhGroup>(d->group));
      EXPECT_NE(text.find("DH-Group: " + group), std::string::npos) << text;
      // Every DH payload of the frame shows this group and no other.
      for (const char* other : {"OAKLEY 5", "OAKLEY 1", "OAKLEY 2"}) {
        if (group != other) {
          EXPECT_EQ(text.find(std::string("DH-Group: ") + other), std::string::npos) << other;
        }
      }
    }
  }
  // tshark's DH fields per frame, in full: each DH payload's group id and its whole value, so
  // tshark took exactly the prime's length (96 / 128 / 192 bytes) as the value.
  const std::string fields = RunTshark(pcap, "-T fields -e mikey.dh.group -e mikey.dh.value");
  const std::vector<std::string> lines = Lines(fields);
  ASSERT_EQ(lines.size(), frames.size()) << fields;
  for (std::size_t f = 0; f < frames.size(); ++f) {
    std::string groups, values;
    for (const Payload& pl : frames[f].second.payloads) {
      if (const auto* d = std::get_if<DhPayload>(&pl)) {
        groups += (groups.empty() ? "" : ",") + std::to_string(d->group);
        values += (values.empty() ? "" : ",") + Hex(d->value);
      }
    }
    EXPECT_EQ(lines[f], groups.empty() ? "\t" : groups + "\t" + values) << frames[f].first;
  }
}

// A refused I_MESSAGE answered by its MIKEY error message (RFC 3830 §5.1.2), carried as RFC 4567 has
// a key-management failure answered: a 488 Not Acceptable Here to the INVITE, whose SDP carries the
// error message in a=key-mgmt (moved to session level, as above). One refusal per mode: IDr naming
// someone else (PSK, PKE, ECDH-ext: Invalid ID, 7), an OAKLEY 1 offer below min_dh_bits (DH, DHHMAC:
// Invalid DH, 6), a wrong pre-shared key (PSK: Auth failure, 0, without V). tshark decodes each
// error message (HDR, T, ERR, then V, SIGN, or CERT and SIGN) with no malformed or expert mark, names
// the Error no. as Wireshark's table does, and gives it as mikey.err.no. Proves the error message is
// on the wire as RFC 3830 lays it out, not only as our own decoder reads it.
TEST(MikeyTshark, ErrorMessageIn488DecodesWithItsErrorNo) {
  if (std::system("tshark --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "tshark is not installed";
  const std::string pcap = std::string(SIPIM_BINARY_DIR) + "/security-mikey-errors.pcap";
  struct Case {
    const char* label;
    Mode mode;
    int err_no;
    const char* tshark_name;  // Wireshark 4.0's err_vals
  };
  const Case cases[] = {{"psk, IDr is carol", Mode::kPsk, 7, "ID not supported"},
                        {"pke, IDr is carol", Mode::kPke, 7, "ID not supported"},
                        {"dh, OAKLEY 1 below min_dh_bits", Mode::kDhSigned, 6, "DH group not supported"},
                        {"dhhmac, OAKLEY 1 below min_dh_bits", Mode::kDhhmac, 6, "DH group not supported"},
                        {"ecdh-ext, IDr is carol", Mode::kEcdhSigned, 7, "ID not supported"},
                        {"psk, wrong key", Mode::kPsk, 0, "Authentication failure"}};
  std::vector<std::pair<std::string, Message>> frames;  // (label, decoded MIKEY) per frame
  {
    testing::PcapWriter w(pcap);
    ASSERT_TRUE(w.ok());
    sip::IdGenerator ids(43);
    std::uint64_t n = 0;
    for (const Case& k : cases) {
      SCOPED_TRACE(k.label);
      auto [ci, cr] = Configs(k.mode, DhGroup::kOakley1);
      if (k.err_no == 7) cr.responder_uri = "sip:carol@home.com";
      if (k.err_no == 6) cr.min_dh_bits = 1024;
      if (k.err_no == 0) cr.psk = ToBytes("another key of 32 bytes, exactly");
      Initiator ini(ci);
      auto i = ini.BuildI();
      ASSERT_TRUE(i.ok()) << i.error().ToString();
      ReplayCache cache;
      Responder res(cr, &cache);
      auto refused = res.ProcessI(*i);
      ASSERT_FALSE(refused.ok());
      auto err = res.BuildError(refused.error(), *i);
      ASSERT_TRUE(err.ok()) << err.error().ToString();
      ASSERT_EQ(static_cast<int>(err->err_no), k.err_no);
      EXPECT_EQ(ini.ProcessR(err->bytes).code(), k.err_no == 0 ? Errc::kPeerRefusedUnverified : Errc::kPeerRefused);
      sip::Message parsed, parsed_488;
      const std::string invite = Invite(ids, Offer(*i, ++n), &parsed);
      const std::string refusal = Response(parsed, 488, Offer(err->bytes, n + 100), &parsed_488);
      EXPECT_EQ(parsed_488.status_code, 488);
      EXPECT_EQ(MikeyFromSdp(parsed_488.body), err->bytes);
      w.Udp(0xC0000201, 5060, 0xC0000202, 5060, invite);
      w.Udp(0xC0000202, 5060, 0xC0000201, 5060, refusal);
      auto di = Decode(*i), de = Decode(err->bytes);
      ASSERT_TRUE(di.ok() && de.ok());
      frames.emplace_back(std::string(k.label) + " I_MESSAGE", *di);
      frames.emplace_back(std::string(k.label) + " error message", *de);
    }
  }
  const std::vector<std::string> per_frame = CleanFrames(RunTshark(pcap));
  ASSERT_EQ(per_frame.size(), frames.size());
  const std::string nos = RunTshark(pcap, "-T fields -e mikey.err.no");
  const std::vector<std::string> lines = Lines(nos);
  ASSERT_EQ(lines.size(), frames.size()) << nos;
  for (std::size_t f = 0; f < frames.size(); ++f) {
    SCOPED_TRACE(frames[f].first);
    const std::string& text = per_frame[f];
    ExpectMikeyTree(text, frames[f].second);
    const Case& k = cases[f / 2];
    if (f % 2 == 0) {
      EXPECT_EQ(lines[f], "");
      continue;
    }
    EXPECT_NE(text.find("Status-Code: 488"), std::string::npos);
    EXPECT_NE(text.find("Data Type: Error (6)"), std::string::npos) << text;
    const std::string err_line = "Error no.: " + std::string(k.tshark_name) + " (" + std::to_string(k.err_no) + ")";
    EXPECT_NE(text.find(err_line), std::string::npos) << text;
    EXPECT_EQ(lines[f], std::to_string(k.err_no));
  }
}

}  // namespace
}  // namespace sipim::security::mikey
