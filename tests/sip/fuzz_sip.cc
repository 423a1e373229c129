// libFuzzer target for the SIP message parser, the typed header parsers,
// Validate, the stream framer, proxy edits and response building.
// Invariants checked on every input (abort on violation):
//  - a successful parse's views all lie inside the input;
//  - the framer gives the same messages fed byte by byte as fed at once;
//  - a proxy edit that applies yields a message that parses again, also
//    on a stream (it carries Content-Length, RFC 3261 18.3);
//  - a response built for a valid request parses and validates;
//  - the fast paths give exactly what the general code gives
//    (fast_path_summary.h: errors with offsets, every view and typed field).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sip/builder.h"
#include "sip/headers.h"
#include "sip/message.h"
#include "sip/proxy_ops.h"
#include "sip/stream_framer.h"
#include "fast_path_summary.h"
#include "fuzz_util.h"
#include "sip/uri.h"

namespace {

using namespace sipim::sip;

using fuzz::Check;
using fuzz::Inside;

std::vector<std::string> Frame(std::string_view d, std::size_t piece) {
  StreamFramer f(4096);
  Message m;
  sipim::ParseError e;
  std::vector<std::string> out;
  for (std::size_t k = 0; k < d.size(); k += piece) {
    f.Append(d.substr(k, piece));
    for (;;) {
      const auto st = f.Next(&m, &e);
      if (st == StreamFramer::Status::kMessage) {
        out.emplace_back(m.raw);
        continue;
      }
      if (st == StreamFramer::Status::kError) {
        out.push_back(std::string("error: ") + e.reason);
        return out;
      }
      break;
    }
  }
  return out;
}

// CheckVias() (Validate's walk) gives AllVias()'s verdict and number of
// values, and TopVia()'s top value.
void ViaWalksAgree(const Message& m, const std::vector<Via>& vias, const sipim::ParseError& all) {
  Via top;
  std::uint32_t count = 0;
  const sipim::ParseError e = CheckVias(m, &top, &count);
  Check(e.reason == all.reason && e.offset == all.offset);
  if (e) return;
  Check(count == vias.size());
  if (vias.empty()) return;
  Via want;
  Check(!TopVia(m, &want));
  Check(top.text.data() == want.text.data() && top.text.size() == want.text.size() &&
        top.branch.data() == want.branch.data() && top.branch.size() == want.branch.size() &&
        top.host.data() == want.host.data() && top.port == want.port && top.rport == want.rport &&
        top.has_rport == want.has_rport && top.ttl == want.ttl && top.params.raw().size() == want.params.raw().size());
}

void TypedFields(const Message& m, std::string_view d) {
  std::vector<Via> vias;
  const sipim::ParseError all = AllVias(m, &vias);
  if (!all)
    for (const Via& v : vias) Check(Inside(v.text, d) && Inside(v.branch, d) && Inside(v.host, d));
  ViaWalksAgree(m, vias, all);
  for (const Header& h : m.headers) {
    if (h.id == HeaderId::kFrom || h.id == HeaderId::kTo || h.id == HeaderId::kContact ||
        h.id == HeaderId::kRoute || h.id == HeaderId::kRecordRoute) {
      std::vector<NameAddr> list;
      if (!ParseNameAddrList(h.value, &list, m.input)) {
        for (const NameAddr& na : list) {
          Check(Inside(na.uri, d) && Inside(na.tag, d));
          Uri u;
          if (!ParseUri(na.uri, &u)) {
            std::string user;
            (void)Unescape(u.user, &user);
          }
        }
      }
    }
  }
}

void ProxyEdits(const Message& m) {
  std::string out;
  ProxyEdit edit(m);
  if (m.is_request) {
    edit.DecrementMaxForwards().AddRecordRoute("<sip:p.example.com;lr>").PushVia(
        "SIP/2.0/UDP p.example.com;branch=z9hG4bKf");
    if (m.Find(HeaderId::kRoute) != nullptr) edit.PopRoute();
  } else if (m.Find(HeaderId::kVia) != nullptr) {
    edit.PopVia();
  }
  if (!edit.Apply(&out)) {
    Message again;
    Check(!Parse(out, Framing::kDatagram, &again));
    Check(!Parse(out, Framing::kStream, &again) && again.size == out.size());
  }
}

void Respond(const Message& m) {
  if (!m.is_request || Validate(m)) return;
  std::string out;
  ResponseSpec r;
  r.status = 200;
  r.to_tag = "fz";
  if (BuildResponse(m, r, &out)) return;  // e.g. a To value that does not parse
  Message resp;
  Check(!Parse(out, Framing::kStream, &resp));
  Check(!Validate(resp));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view d(reinterpret_cast<const char*>(data), size);
  for (Framing fr : {Framing::kDatagram, Framing::kStream}) {
    Message m;
    const sipim::ParseError e = Parse(d, fr, &m);
    if (e) {
      Check(e.offset <= size && e.line >= 1 && e.column >= 1);
      continue;
    }
    Check(m.size <= size && Inside(m.raw, d) && Inside(m.body, d));
    for (const Header& h : m.headers) Check(Inside(h.value, d) && Inside(h.line, d));
    const sipim::ParseError v = Validate(m);
    Check(!v || v.offset <= size);
    TypedFields(m, d);
    ProxyEdits(m);
    Respond(m);
  }
  if (size <= 2048) Check(Frame(d, 1) == Frame(d, size == 0 ? 1 : size));
  Check(fastpath_summary::RunWith(d, false) == fastpath_summary::RunWith(d, true));
  return 0;
}
