// libFuzzer target for the SDP parser. Invariants checked on every input:
//  - no crash, no sanitizer report;
//  - a parsed description's views lie inside the input buffer;
//  - Build(parsed) parses back to an equal description, and building that
//    again gives the same bytes;
//  - the attribute helpers never crash, and a decoded base64 value
//    re-encodes to the same text (the decoding is canonical).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sdp/sdp.h"

namespace {

using namespace sipim::sdp;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

void CheckAttribute(const Attribute& a, std::string_view in) {
  Check(Inside(a.name, in) && Inside(a.value, in));
  std::vector<sipim::msrp::Uri> uris;
  std::vector<std::string_view> types;
  Setup s;
  ConnectionMode c;
  std::uint64_t n;
  KeyMgmt k;
  if (a.name == "path") (void)ParsePath(a.value, &uris);
  if (a.name == "accept-types" || a.name == "accept-wrapped-types") (void)ParseAcceptTypes(a.value, &types);
  if (a.name == "setup" && !ParseSetup(a.value, &s)) Check(SetupName(s) == a.value);
  if (a.name == "connection" && !ParseConnectionMode(a.value, &c)) Check(ConnectionModeName(c) == a.value);
  if (a.name == "max-size") (void)ParseMaxSize(a.value, &n);
  if (!ParseKeyMgmt(a.value, &k)) {
    std::vector<std::uint8_t> bytes;
    Check(!Base64Decode(k.data_base64, &bytes));
    std::string again;
    Base64Encode(bytes.data(), bytes.size(), &again);
    Check(again == k.data_base64);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  SessionDescription sd;
  sipim::ParseError e = Parse(in, &sd);
  if (e) {
    Check(e.offset <= in.size() && e.line >= 1 && e.column >= 1);
  } else {
    const Origin& o = sd.origin;
    for (std::string_view v : {o.username, o.sess_id, o.sess_version, o.nettype, o.addrtype, o.address,
                               sd.session_name, sd.information, sd.uri, sd.key})
      Check(Inside(v, in));
    for (const Timing& t : sd.timings) Check(Inside(t.zone, in));
    for (const Attribute& a : sd.attributes) CheckAttribute(a, in);
    for (const Media& m : sd.media) {
      Check(Inside(m.media, in) && Inside(m.proto, in));
      for (std::string_view f : m.formats) Check(Inside(f, in));
      for (const Attribute& a : m.attributes) CheckAttribute(a, in);
    }
    std::string built;
    Build(sd, &built);
    SessionDescription again;
    Check(!Parse(built, &again));
    Check(again == sd);
    std::string built2;
    Build(again, &built2);
    Check(built2 == built);
  }
  // Base64 on raw input: a successful decode is canonical.
  std::vector<std::uint8_t> bytes;
  if (!Base64Decode(in, &bytes)) {
    std::string enc;
    Base64Encode(bytes.data(), bytes.size(), &enc);
    Check(enc == in);
  }
  return 0;
}
