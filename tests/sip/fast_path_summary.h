#pragma once
// Everything the SIP parser and its fast-pathed typed parsers return for an
// input, as one string (views as offset+length), so that a run with the fast
// paths on can be compared with a run with them off (sip/fast_path.h).
// Shared by tests/sip/fast_path_test.cc and the fuzz_sip target.
#include <string>
#include <string_view>
#include <vector>

#include "sip/fast_path.h"
#include "sip/headers.h"
#include "sip/message.h"

namespace sipim::sip::fastpath_summary {

// Writes everything a parse produced, views as (offset, length) in buf.
class Summary {
 public:
  explicit Summary(std::string_view buf) : buf_(buf) {}
  void View(std::string_view v) {
    if (v.data() == nullptr) {
      out_ += "null;";
      return;
    }
    out_ += std::to_string(v.data() - buf_.data()) + "+" + std::to_string(v.size()) + ";";
  }
  void Num(long long v) { out_ += std::to_string(v) + ";"; }
  void Error(const ParseError& e) {
    out_ += e ? std::string("E(") + e.reason + "@" + std::to_string(e.offset) + ");" : "ok;";
  }
  const std::string& str() const { return out_; }

 private:
  std::string_view buf_;
  std::string out_;
};

inline void AddVia(Summary& s, const Via& v) {
  for (std::string_view f : {v.protocol, v.version, v.transport, v.host, v.branch, v.received, v.maddr,
                             v.params.raw(), v.text})
    s.View(f);
  s.Num(v.port);
  s.Num(v.has_rport);
  s.Num(v.rport);
  s.Num(v.ttl);
}

inline void AddNameAddr(Summary& s, const NameAddr& a) {
  s.Num(a.star);
  s.Num(a.angle);
  s.Num(a.quoted_display);
  for (std::string_view f : {a.display_name, a.uri, a.tag, a.params.raw(), a.text}) s.View(f);
}

// Everything Parse and the fast-pathed typed parsers return for d.
inline std::string Run(std::string_view d) {
  Summary s(d);
  // One framing: the field loop and the typed parsers do not depend on it.
  {
    Message m;
    const ParseError e = Parse(d, Framing::kDatagram, &m);
    s.Error(e);
    if (e) return s.str();
    s.Num(m.is_request);
    for (std::string_view f : {m.start_line, m.method, m.request_uri, m.version, m.reason}) s.View(f);
    s.Num(m.status_code);
    s.View(m.raw);
    s.View(m.body);
    s.Num(m.content_length);
    for (const Header& h : m.headers) {
      s.Num(static_cast<int>(h.id));
      s.View(h.name);
      s.View(h.value);
      s.View(h.line);
    }
    Via top;
    const ParseError te = TopVia(m, &top);
    s.Error(te);
    if (!te) AddVia(s, top);
    std::vector<Via> vias;
    s.Error(AllVias(m, &vias));
    for (const Via& v : vias) AddVia(s, v);
    for (HeaderId id : {HeaderId::kFrom, HeaderId::kTo, HeaderId::kContact, HeaderId::kRoute}) {
      for (const Header* h = m.Find(id); h != nullptr; h = m.FindNext(h)) {
        NameAddr a;
        const ParseError ne = ParseNameAddr(h->value, &a, m.input);
        s.Error(ne);
        if (!ne) AddNameAddr(s, a);
        std::vector<NameAddr> list;
        s.Error(ParseNameAddrList(h->value, &list, m.input));
        for (const NameAddr& x : list) AddNameAddr(s, x);
      }
    }
    if (const Header* h = m.Find(HeaderId::kCSeq)) {
      CSeq c;
      const ParseError ce = ParseCSeq(h->value, &c, m.input);
      s.Error(ce);
      if (!ce) {
        s.Num(c.number);
        s.View(c.method);
      }
    }
    if (const Header* h = m.Find(HeaderId::kCallId)) {
      std::string_view id;
      const ParseError ie = ParseCallId(h->value, &id, m.input);
      s.Error(ie);
      if (!ie) s.View(id);
    }
    s.Error(Validate(m));
  }
  return s.str();
}

// The summaries of d with the fast paths on and off.
inline std::string RunWith(std::string_view d, bool general_only) {
  internal::g_general_only = general_only;
  std::string s = Run(d);
  internal::g_general_only = false;
  return s;
}

}  // namespace sipim::sip::fastpath_summary
