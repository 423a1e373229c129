// The two session-mode offers the simulation sends, built through Build() so
// they always parse back.
#include <charconv>

#include "sdp/sdp.h"

namespace sipim::sdp {
namespace {

// Everything an offer shares: v=, o=, s=, c=, t=0 0, one m=message line.
struct OfferText {
  char sess_id[24];
  char sess_version[24];
  std::string host;  // the a=path host: IPv6 addresses get brackets
  std::string key_mgmt;
};

std::string_view U64(std::uint64_t v, char (&buf)[24]) {
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string_view(buf, static_cast<std::size_t>(r.ptr - buf));
}

SessionDescription Skeleton(std::string_view username, std::uint64_t sid, std::uint64_t sver,
                            std::string_view addrtype, std::string_view address,
                            std::string_view session_name, OfferText* text) {
  SessionDescription sd;
  sd.origin = Origin{username, U64(sid, text->sess_id), U64(sver, text->sess_version), "IN", addrtype, address};
  sd.session_name = session_name;
  sd.connection = Connection{"IN", addrtype, address};
  sd.timings.push_back(Timing{});
  return sd;
}

Media MessageMedia(std::uint16_t port, std::string_view proto) {
  Media m;
  m.media = "message";
  m.port = port;
  m.proto = proto;
  m.formats.push_back("*");
  return m;
}

// At session level (RFC 4567 section 3.1 allows either; with one m= line
// they mean the same), where Wireshark 4.0 dissects the MIKEY message: it
// leaves a media-level key-mgmt undecoded, so a capture could not be
// checked.
void AddKeyMgmt(const std::uint8_t* mikey, std::size_t size, OfferText* text, SessionDescription* sd) {
  if (mikey == nullptr || size == 0) return;
  AppendKeyMgmtValue("mikey", mikey, size, &text->key_mgmt);
  sd->attributes.push_back(Attribute{"key-mgmt", text->key_mgmt, true});
}

// An offer has its one m= line; an answer one per offered m= line (RFC 3264
// section 6), `m` in the place of the one it takes and the others rejected:
// port 0, media, proto and formats as offered.
void PlaceMedia(const AnswerTo& a, Media m, SessionDescription* sd) {
  if (a.offer == nullptr || a.accepted >= a.offer->media.size()) {
    sd->media.push_back(std::move(m));
    return;
  }
  for (std::size_t i = 0; i < a.offer->media.size(); ++i) {
    if (i == a.accepted) {
      sd->media.push_back(m);
      continue;
    }
    const Media& o = a.offer->media[i];
    Media rejected;
    rejected.media = o.media;
    rejected.proto = o.proto;
    rejected.formats = o.formats;
    sd->media.push_back(std::move(rejected));
  }
}

}  // namespace

int FindMedia(const SessionDescription& sd, std::string_view media, std::string_view proto) {
  for (std::size_t i = 0; i < sd.media.size(); ++i) {
    const Media& m = sd.media[i];
    if (m.media == media && m.proto == proto && m.port != 0) return static_cast<int>(i);
  }
  return -1;
}

void AppendMsrpOffer(const MsrpOfferParams& p, std::string* out) {
  OfferText text;
  SessionDescription sd = Skeleton(p.username, p.session_id, p.session_version, p.addrtype,
                                   p.address, p.session_name, &text);
  Media m = MessageMedia(p.port, p.tls ? "TCP/TLS/MSRP" : "TCP/MSRP");
  m.attributes.push_back(Attribute{"accept-types", p.accept_types, true});
  std::string path;
  if (p.addrtype == "IP6") {
    text.host.append("[").append(p.address).append("]");
  } else {
    text.host.assign(p.address);
  }
  msrp::AppendSimpleUri(p.tls, text.host, p.port, p.msrp_session, &path);
  m.attributes.push_back(Attribute{"path", path, true});
  m.attributes.push_back(Attribute{"setup", SetupName(p.setup), true});
  AddKeyMgmt(p.mikey, p.mikey_size, &text, &sd);
  PlaceMedia(p.answer_to, std::move(m), &sd);
  Build(sd, out);
}

void AppendTcpImOffer(const TcpImOfferParams& p, std::string* out) {
  OfferText text;
  SessionDescription sd = Skeleton(p.username, p.session_id, p.session_version, p.addrtype,
                                   p.address, p.session_name, &text);
  Media m = MessageMedia(p.port, "TCP");
  m.attributes.push_back(Attribute{"setup", SetupName(p.setup), true});
  m.attributes.push_back(Attribute{"connection", ConnectionModeName(p.connection), true});
  AddKeyMgmt(p.mikey, p.mikey_size, &text, &sd);
  PlaceMedia(p.answer_to, std::move(m), &sd);
  Build(sd, out);
}

}  // namespace sipim::sdp
