// Message builders; see builder.h.
#include "sip/builder.h"

#include <cstring>

#include "sip/headers.h"
#include "sip/text.h"

namespace sipim::sip {
namespace {

ParseError BuildError(const char* reason) { return MakeParseError(reason, nullptr, 0, 0); }

// Builders emit through a sink twice: once counting bytes, once writing
// them into the string resized to fit. One allocation check, then plain
// memcpy, instead of a capacity check per append.
struct Counter {
  std::size_t n = 0;
  void Put(std::string_view s) { n += s.size(); }
  void Put(char) { ++n; }
};
struct Writer {
  char* p;
  void Put(std::string_view s) {
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  void Put(char c) { *p++ = c; }
};
struct StringSink {
  std::string* s;
  void Put(std::string_view v) { s->append(v); }
  void Put(char c) { s->push_back(c); }
};

// Runs emit(sink) to count, then again to write at the end of *out.
template <typename Emit>
void EmitInto(std::string* out, Emit&& emit) {
  Counter c;
  emit(c);
  const std::size_t old = out->size();
  out->resize(old + c.n);
  Writer w{out->data() + old};
  emit(w);
}

// Appends the decimal digits of v.
template <typename Sink>
void AppendUint(std::uint64_t v, Sink& out) {
  char buf[20];
  std::size_t n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) out.Put(buf[--n]);
}

void AppendHex64(std::uint64_t v, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[16];
  for (int i = 15; i >= 0; --i) {
    buf[i] = kHex[v & 0xf];
    v >>= 4;
  }
  out->append(buf, 16);
}

// Extra header lines: each "Name: value\r\n"; no empty line among them.
// What Parse() accepts: a token name, then only SP/HT before the ':', and
// no control byte but HT in the line; no Content-Length, which the
// builders write (a second one is a parse error at the receiver).
bool ValidExtraHeaders(std::string_view s) {
  if (s.empty()) return true;
  if (s.size() < 2 || s.substr(s.size() - 2) != "\r\n") return false;
  std::size_t line = 0;
  while (line < s.size()) {
    const std::size_t end = s.find("\r\n", line);
    const std::string_view l = s.substr(line, end - line);
    const std::size_t name = text::TokenLength(l);
    const std::size_t colon = name + text::LwsFrom(l, name);
    if (name == 0 || colon >= l.size() || l[colon] != ':' || text::HasCtl(l)) return false;
    if (ClassifyHeader(l.substr(0, name)) == HeaderId::kContentLength) return false;
    line = end + 2;
  }
  return true;
}

// "display" with '"' and '\' escaped (RFC 3261 quoted-pair).
template <typename Sink>
void AppendQuoted(std::string_view s, Sink& out) {
  out.Put('"');
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out.Put('\\');
    out.Put(ch);
  }
  out.Put('"');
}

template <typename Sink>
void AppendNameAddr(std::string_view display, std::string_view uri, std::string_view tag, Sink& out) {
  if (!display.empty()) {
    AppendQuoted(display, out);
    out.Put(' ');
  }
  out.Put('<');
  out.Put(uri);
  out.Put('>');
  if (!tag.empty()) {
    out.Put(";tag=");
    out.Put(tag);
  }
}

template <typename Sink>
void AppendField(std::string_view name, std::string_view value, Sink& out) {
  out.Put(name);
  out.Put(": ");
  out.Put(value);
  out.Put("\r\n");
}

template <typename Sink>
void AppendBody(std::string_view content_type, std::string_view body, Sink& out) {
  if (!content_type.empty()) AppendField("Content-Type", content_type, out);
  out.Put("Content-Length: ");
  AppendUint(body.size(), out);
  out.Put("\r\n\r\n");
  out.Put(body);
}

ParseError CheckBody(std::string_view content_type, std::string_view body, std::string_view extra) {
  if (!body.empty() && content_type.empty()) return BuildError("a body needs a Content-Type");
  if (text::HasCtl(content_type)) return BuildError("control character inside Content-Type");
  if (!ValidExtraHeaders(extra)) return BuildError("extra headers must be \"Name: value\\r\\n\" lines");
  if (body.size() > kMaxMessageSize) return BuildError("body larger than the maximum message size");
  return {};
}

ParseError CheckRequest(const RequestSpec& s) {
  if (s.method.empty() || text::TokenLength(s.method) != s.method.size()) return BuildError("method is not a token");
  if (!s.cseq_method.empty() && text::TokenLength(s.cseq_method) != s.cseq_method.size())
    return BuildError("CSeq method is not a token");
  if (s.request_uri.empty()) return BuildError("missing Request-URI");
  if (s.via_host.empty()) return BuildError("missing Via host");
  if (s.branch.size() <= kBranchCookie.size() || s.branch.substr(0, kBranchCookie.size()) != kBranchCookie)
    return BuildError("Via branch must start with z9hG4bK and have a unique part");
  if (s.from_uri.empty() || s.from_tag.empty()) return BuildError("missing From URI or tag");
  if (s.to_uri.empty()) return BuildError("missing To URI");
  if (s.call_id.empty()) return BuildError("missing Call-ID");
  if (s.cseq > 0x7fffffffu) return BuildError("CSeq larger than 2^31-1");
  if (s.max_forwards < 0 || s.max_forwards > 255) return BuildError("Max-Forwards outside 0-255");
  if (s.via_port < 0 || s.via_port > 65535) return BuildError("Via port outside 0-65535");
  const std::string_view fields[] = {s.method,   s.request_uri, s.via_transport, s.via_host, s.branch,
                                     s.from_display, s.from_uri, s.from_tag, s.to_display, s.to_uri,
                                     s.to_tag,   s.call_id,     s.cseq_method,   s.route,    s.contact};
  for (std::string_view f : fields)
    if (text::HasCtl(f)) return BuildError("control character (CR, LF, ...) inside a request field");
  for (std::string_view f : {s.request_uri, s.via_host, s.branch, s.call_id})
    if (f.find(' ') != std::string_view::npos) return BuildError("space inside a field that cannot hold one");
  return CheckBody(s.content_type, s.body, s.extra_headers);
}

// Header fields of `msg` appended as they were received (raw lines keep
// compact names and folding, which is what a response must echo).
template <typename Sink>
void AppendLines(const Message& msg, HeaderId id, Sink& out) {
  for (const Header* h = msg.Find(id); h != nullptr; h = msg.FindNext(h)) out.Put(h->line);
}

ParseError TopViaText(const Message& msg, std::string_view* out) {
  Via v;
  if (ParseError e = TopVia(msg, &v)) return e;
  *out = v.text;
  return {};
}

// The fields CANCEL and ACK copy from the INVITE (RFC 3261 9.1, 17.1.1.3).
ParseError BuildFromInvite(const Message& invite, std::string_view method, const Header& to, std::string* out) {
  if (!invite.is_request || invite.method != "INVITE") return BuildError("not an INVITE");
  const Header* from = invite.Find(HeaderId::kFrom);
  const Header* call_id = invite.Find(HeaderId::kCallId);
  const Header* cseq_h = invite.Find(HeaderId::kCSeq);
  if (from == nullptr || call_id == nullptr || cseq_h == nullptr)
    return BuildError("INVITE lacks From, Call-ID or CSeq");
  std::string_view via;
  if (ParseError e = TopViaText(invite, &via)) return e;
  CSeq cseq;
  if (ParseError e = ParseCSeq(cseq_h->value, &cseq, invite.input)) return e;
  StringSink sink{out};
  out->append(method);
  out->push_back(' ');
  out->append(invite.request_uri);
  out->append(" SIP/2.0\r\n");
  AppendField("Via", via, sink);
  out->append("Max-Forwards: 70\r\n");
  AppendLines(invite, HeaderId::kRoute, sink);
  out->append(from->line);
  out->append(to.line);
  out->append(call_id->line);
  out->append("CSeq: ");
  AppendUint(cseq.number, sink);
  out->push_back(' ');
  out->append(method);
  out->append("\r\nContent-Length: 0\r\n\r\n");
  return {};
}

}  // namespace

std::uint64_t IdGenerator::NextU64() {
  // SplitMix64 (Steele, Lea, Flood 2014): a counter through a mixer.
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void IdGenerator::AppendBranch(std::string* out) {
  out->reserve(out->size() + kBranchCookie.size() + 16);  // grown once, not past the short-string buffer and again
  out->append(kBranchCookie);
  AppendHex64(NextU64(), out);
}

void IdGenerator::AppendTag(std::string* out) { AppendHex64(NextU64(), out); }

void IdGenerator::AppendCallId(std::string_view host, std::string* out) {
  AppendHex64(NextU64(), out);
  out->push_back('@');
  out->append(host);
}

ParseError BuildRequest(const RequestSpec& s, std::string* out) {
  if (ParseError e = CheckRequest(s)) return e;
  EmitInto(out, [&](auto& sink) {
    sink.Put(s.method);
    sink.Put(' ');
    sink.Put(s.request_uri);
    sink.Put(" SIP/2.0\r\nVia: SIP/2.0/");
    sink.Put(s.via_transport);
    sink.Put(' ');
    sink.Put(s.via_host);
    if (s.via_port != 0) {
      sink.Put(':');
      AppendUint(static_cast<std::uint64_t>(s.via_port), sink);
    }
    sink.Put(";branch=");
    sink.Put(s.branch);
    if (s.via_rport) sink.Put(";rport");
    sink.Put("\r\nMax-Forwards: ");
    AppendUint(static_cast<std::uint64_t>(s.max_forwards), sink);
    sink.Put("\r\n");
    if (!s.route.empty()) AppendField("Route", s.route, sink);
    sink.Put("From: ");
    AppendNameAddr(s.from_display, s.from_uri, s.from_tag, sink);
    sink.Put("\r\nTo: ");
    AppendNameAddr(s.to_display, s.to_uri, s.to_tag, sink);
    sink.Put("\r\nCall-ID: ");
    sink.Put(s.call_id);
    sink.Put("\r\nCSeq: ");
    AppendUint(s.cseq, sink);
    sink.Put(' ');
    sink.Put(s.cseq_method.empty() ? s.method : s.cseq_method);
    sink.Put("\r\n");
    if (!s.contact.empty()) {
      sink.Put("Contact: <");
      sink.Put(s.contact);
      sink.Put(">\r\n");
    }
    if (s.expires >= 0) {
      sink.Put("Expires: ");
      AppendUint(static_cast<std::uint64_t>(s.expires), sink);
      sink.Put("\r\n");
    }
    sink.Put(s.extra_headers);
    AppendBody(s.content_type, s.body, sink);
  });
  return {};
}

ParseError BuildStrippedMessage(const StrippedMessageSpec& s, std::string* out) {
  if (s.request_uri.empty() || s.from_uri.empty() || s.to_uri.empty())
    return BuildError("missing Request-URI, From URI or To URI");
  for (std::string_view f : {s.request_uri, s.from_uri, s.to_uri}) {
    if (text::HasCtl(f)) return BuildError("control character (CR, LF, ...) inside a request field");
    if (f.find(' ') != std::string_view::npos) return BuildError("space inside a URI");
  }
  if (ParseError e = CheckBody(s.content_type, s.body, {})) return e;
  EmitInto(out, [&](auto& sink) {
    sink.Put("MESSAGE ");
    sink.Put(s.request_uri);
    sink.Put(" SIP/2.0\r\nFrom: <");
    sink.Put(s.from_uri);
    sink.Put(">\r\nTo: <");
    sink.Put(s.to_uri);
    sink.Put(">\r\n");
    AppendBody(s.content_type, s.body, sink);
  });
  return {};
}

ParseError BuildStrippedResponse(const Message& req, int status, std::string* out) {
  if (!req.is_request) return BuildError("not a request");
  if (status < 300 || status > 699) return BuildError("a stripped MESSAGE is answered only when refused: status 300-699");
  const Header* from = req.Find(HeaderId::kFrom);
  const Header* to = req.Find(HeaderId::kTo);
  if (from == nullptr || to == nullptr) return BuildError("request lacks From or To");
  EmitInto(out, [&](auto& sink) {
    sink.Put("SIP/2.0 ");
    AppendUint(static_cast<std::uint64_t>(status), sink);
    sink.Put(' ');
    sink.Put(DefaultReason(status));
    sink.Put("\r\n");
    sink.Put(from->line);
    sink.Put(to->line);
    AppendBody({}, {}, sink);
  });
  return {};
}

ParseError BuildCancel(const Message& invite, std::string* out) {
  const Header* to = invite.Find(HeaderId::kTo);
  if (to == nullptr) return BuildError("INVITE lacks To");
  std::string tmp;
  if (ParseError e = BuildFromInvite(invite, "CANCEL", *to, &tmp)) return e;
  out->append(tmp);
  return {};
}

ParseError BuildAckForFailure(const Message& invite, const Message& response, std::string* out) {
  if (response.is_request || response.status_code < 300) return BuildError("not a non-2xx final response");
  const Header* to = response.Find(HeaderId::kTo);
  if (to == nullptr) return BuildError("response lacks To");
  std::string tmp;
  if (ParseError e = BuildFromInvite(invite, "ACK", *to, &tmp)) return e;
  out->append(tmp);
  return {};
}

ParseError BuildResponse(const Message& req, const ResponseSpec& s, std::string* out) {
  if (!req.is_request) return BuildError("not a request");
  if (s.status < 100 || s.status > 699) return BuildError("status code outside 100-699");
  if (text::HasCtl(s.reason) || text::HasCtl(s.to_tag) || text::HasCtl(s.contact))
    return BuildError("control character (CR, LF, ...) inside a response field");
  if (ParseError e = CheckBody(s.content_type, s.body, s.extra_headers)) return e;
  const Header* to = req.Find(HeaderId::kTo);
  const Header* from = req.Find(HeaderId::kFrom);
  const Header* call_id = req.Find(HeaderId::kCallId);
  const Header* cseq = req.Find(HeaderId::kCSeq);
  if (to == nullptr || from == nullptr || call_id == nullptr || cseq == nullptr || req.Find(HeaderId::kVia) == nullptr)
    return BuildError("request lacks Via, From, To, Call-ID or CSeq");
  // RFC 3261 8.2.6.2: a UAS adds a To tag unless the request had one; a
  // 100 Trying carries none of its own.
  bool add_tag = false;
  if (s.status != 100 && !s.to_tag.empty()) {
    NameAddr na;
    if (ParseError e = ParseNameAddr(to->value, &na, req.input)) return e;
    add_tag = na.tag.empty();
  }
  const std::string_view reason = s.reason.empty() ? DefaultReason(s.status) : s.reason;
  EmitInto(out, [&](auto& sink) {
    sink.Put("SIP/2.0 ");
    AppendUint(static_cast<std::uint64_t>(s.status), sink);
    sink.Put(' ');
    sink.Put(reason);
    sink.Put("\r\n");
    AppendLines(req, HeaderId::kVia, sink);
    if (s.status > 100 && s.status < 300) AppendLines(req, HeaderId::kRecordRoute, sink);
    sink.Put(from->line);
    if (add_tag) {
      sink.Put(to->name);
      sink.Put(": ");
      sink.Put(to->value);
      sink.Put(";tag=");
      sink.Put(s.to_tag);
      sink.Put("\r\n");
    } else {
      sink.Put(to->line);
    }
    sink.Put(call_id->line);
    sink.Put(cseq->line);
    if (s.status == 100) AppendLines(req, HeaderId::kTimestamp, sink);
    if (!s.contact.empty()) {
      sink.Put("Contact: <");
      sink.Put(s.contact);
      sink.Put(">\r\n");
    }
    sink.Put(s.extra_headers);
    AppendBody(s.content_type, s.body, sink);
  });
  return {};
}

std::string_view DefaultReason(int status) {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 202: return "Accepted";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 305: return "Use Proxy";
    case 380: return "Alternative Service";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 421: return "Extension Required";
    case 423: return "Interval Too Brief";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 484: return "Address Incomplete";
    case 485: return "Ambiguous";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 491: return "Request Pending";
    case 493: return "Undecipherable";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    case 604: return "Does Not Exist Anywhere";
    case 606: return "Not Acceptable";
    default: return "";
  }
}

}  // namespace sipim::sip
