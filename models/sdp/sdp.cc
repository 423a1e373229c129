// SDP parsing and building (RFC 8866 sections 5 and 9).
#include "sdp/sdp.h"

#include <cstring>

#include "msrp/chars.h"

namespace sipim::sdp {
namespace {

using wire::IsAlnum;
using wire::IsDigit;

// RFC 8866 token-char.
bool IsTokenChar(unsigned char c) {
  if (IsAlnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}
// non-ws-string = 1*(VCHAR / %x80-FF)
bool IsNonWsChar(unsigned char c) { return c >= 0x21 && c != 0x7F; }

// The order of RFC 8866 section 9: the rank of each session-level letter.
int SessionRank(char t) {
  switch (t) {
    case 'v': return 0;
    case 'o': return 1;
    case 's': return 2;
    case 'i': return 3;
    case 'u': return 4;
    case 'e': return 5;
    case 'p': return 6;
    case 'c': return 7;
    case 'b': return 8;
    case 't': case 'r': case 'z': return 9;  // 1*(t [1*r [z]])
    case 'k': return 11;
    case 'a': return 12;
    case 'm': return 13;
    default: return -1;
  }
}
int MediaRank(char t) {
  switch (t) {
    case 'm': return 0;
    case 'i': return 1;
    case 'c': return 2;
    case 'b': return 3;
    case 'k': return 4;
    case 'a': return 5;
    default: return -1;
  }
}
// Lines that may repeat: at session level *e *p *b 1*t *r *a (and a z= per
// t=, which Line() checks); in a media description *c *b *a (section 9).
bool Repeatable(char t, bool in_media) {
  if (in_media) return t == 'c' || t == 'b' || t == 'a';
  return t == 'e' || t == 'p' || t == 'b' || t == 't' || t == 'r' || t == 'z' || t == 'a';
}

// Splits a line value into fields separated by exactly one space.
class Fields {
 public:
  Fields(std::string_view v, std::size_t base) : v_(v), base_(base) {}
  // The next field; false when none is left. *off is its offset in the text.
  bool Next(std::string_view* f, std::size_t* off) {
    if (pos_ > v_.size()) return false;
    std::size_t sp = v_.find(' ', pos_);
    std::size_t end = sp == std::string_view::npos ? v_.size() : sp;
    *f = v_.substr(pos_, end - pos_);
    *off = base_ + pos_;
    pos_ = end + 1;
    return true;
  }
  bool Done() const { return pos_ > v_.size(); }
  std::size_t offset() const { return base_ + (pos_ > v_.size() ? v_.size() : pos_); }

 private:
  std::string_view v_;
  std::size_t base_;
  std::size_t pos_ = 0;
};

class Parser {
 public:
  Parser(std::string_view text, SessionDescription* out) : t_(text), sd_(out) {}
  ParseError Run();

 private:
  ParseError Err(const char* reason, std::size_t offset) const {
    return MakeParseError(reason, t_.data(), t_.size(), offset);
  }
  ParseError Line(char type, std::string_view v, std::size_t off);
  ParseError Token(std::string_view f, std::size_t off, const char* what) const;
  ParseError NonWs(std::string_view f, std::size_t off, const char* what) const;
  ParseError Number(std::string_view f, std::size_t off, std::uint64_t max, std::uint64_t* out,
                    const char* what) const;
  ParseError ParseOrigin(std::string_view v, std::size_t off);
  ParseError ParseConnection(std::string_view v, std::size_t off, Connection* c);
  ParseError ParseBandwidth(std::string_view v, std::size_t off, Bandwidth* b);
  ParseError ParseTiming(std::string_view v, std::size_t off, Timing* t);
  ParseError ParseAttribute(std::string_view v, std::size_t off, Attribute* a);
  ParseError ParseMedia(std::string_view v, std::size_t off, Media* m);

  std::string_view t_;
  SessionDescription* sd_;
  bool in_media_ = false;
  char last_ = 0;
  int rank_ = -1;
  std::size_t line_no_ = 0;
  std::size_t media_line_ = 0;  // offset of the current m= line
};

ParseError Parser::Token(std::string_view f, std::size_t off, const char* what) const {
  if (f.empty()) return Err(what, off);
  for (std::size_t i = 0; i < f.size(); ++i)
    if (!IsTokenChar(static_cast<unsigned char>(f[i]))) return Err(what, off + i);
  return ParseError{};
}

ParseError Parser::NonWs(std::string_view f, std::size_t off, const char* what) const {
  if (f.empty()) return Err(what, off);
  for (std::size_t i = 0; i < f.size(); ++i)
    if (!IsNonWsChar(static_cast<unsigned char>(f[i]))) return Err(what, off + i);
  return ParseError{};
}

ParseError Parser::Number(std::string_view f, std::size_t off, std::uint64_t max,
                          std::uint64_t* out, const char* what) const {
  if (!wire::ParseDecimal(f, max, out)) return Err(what, off);
  return ParseError{};
}

ParseError Parser::ParseOrigin(std::string_view v, std::size_t off) {
  Fields fs(v, off);
  std::string_view f[6];
  std::size_t o[6];
  static const char* const kWhat[6] = {
      "o= username must be a non-whitespace string",
      "o= sess-id must be 1*DIGIT",
      "o= sess-version must be 1*DIGIT",
      "o= nettype must be a token",
      "o= addrtype must be a token",
      "o= unicast-address must be a non-whitespace string"};
  for (int i = 0; i < 6; ++i)
    if (!fs.Next(&f[i], &o[i])) return Err("o= needs 6 fields separated by single spaces", fs.offset());
  if (!fs.Done()) return Err("o= has more than 6 fields", fs.offset() - 1);
  if (ParseError e = NonWs(f[0], o[0], kWhat[0])) return e;
  for (int i = 1; i <= 2; ++i) {
    if (f[i].empty()) return Err(kWhat[i], o[i]);
    for (std::size_t k = 0; k < f[i].size(); ++k)
      if (!IsDigit(static_cast<unsigned char>(f[i][k]))) return Err(kWhat[i], o[i] + k);
  }
  if (ParseError e = Token(f[3], o[3], kWhat[3])) return e;
  if (ParseError e = Token(f[4], o[4], kWhat[4])) return e;
  if (ParseError e = NonWs(f[5], o[5], kWhat[5])) return e;
  sd_->origin = Origin{f[0], f[1], f[2], f[3], f[4], f[5]};
  return ParseError{};
}

ParseError Parser::ParseConnection(std::string_view v, std::size_t off, Connection* c) {
  Fields fs(v, off);
  std::string_view f[3];
  std::size_t o[3];
  for (int i = 0; i < 3; ++i)
    if (!fs.Next(&f[i], &o[i])) return Err("c= needs 3 fields separated by single spaces", fs.offset());
  if (!fs.Done()) return Err("c= has more than 3 fields", fs.offset() - 1);
  if (ParseError e = Token(f[0], o[0], "c= nettype must be a token")) return e;
  if (ParseError e = Token(f[1], o[1], "c= addrtype must be a token")) return e;
  if (ParseError e = NonWs(f[2], o[2], "c= connection-address must be a non-whitespace string")) return e;
  *c = Connection{f[0], f[1], f[2]};
  return ParseError{};
}

ParseError Parser::ParseBandwidth(std::string_view v, std::size_t off, Bandwidth* b) {
  std::size_t colon = v.find(':');
  if (colon == std::string_view::npos) return Err("b= must be <bwtype>:<bandwidth>", off);
  if (ParseError e = Token(v.substr(0, colon), off, "b= bwtype must be a token")) return e;
  if (ParseError e = Number(v.substr(colon + 1), off + colon + 1, UINT64_MAX, &b->value,
                            "b= bandwidth must be 1*DIGIT"))
    return e;
  b->type = v.substr(0, colon);
  return ParseError{};
}

ParseError Parser::ParseTiming(std::string_view v, std::size_t off, Timing* t) {
  Fields fs(v, off);
  std::string_view a, b;
  std::size_t oa, ob;
  if (!fs.Next(&a, &oa) || !fs.Next(&b, &ob) || !fs.Done())
    return Err("t= must be <start-time> <stop-time>", off);
  if (ParseError e = Number(a, oa, UINT64_MAX, &t->start, "t= start-time must be 1*DIGIT")) return e;
  if (ParseError e = Number(b, ob, UINT64_MAX, &t->stop, "t= stop-time must be 1*DIGIT")) return e;
  return ParseError{};
}

ParseError Parser::ParseAttribute(std::string_view v, std::size_t off, Attribute* a) {
  std::size_t colon = v.find(':');
  std::string_view name = v.substr(0, colon);
  if (ParseError e = Token(name, off, "a= attribute name must be a token")) return e;
  a->name = name;
  if (colon == std::string_view::npos) return ParseError{};
  if (colon + 1 == v.size()) return Err("a= attribute value after ':' is empty", off + colon + 1);
  a->value = v.substr(colon + 1);
  a->has_value = true;
  return ParseError{};
}

ParseError Parser::ParseMedia(std::string_view v, std::size_t off, Media* m) {
  Fields fs(v, off);
  std::string_view f;
  std::size_t o = off;
  if (!fs.Next(&f, &o) || Token(f, o, "")) return Err("m= media must be a token", o);
  m->media = f;
  if (!fs.Next(&f, &o)) return Err("m= lacks the port", fs.offset());
  std::size_t slash = f.find('/');
  std::uint64_t port = 0, count = 0;
  if (ParseError e = Number(f.substr(0, slash), o, 65535, &port, "m= port must be 0-65535")) return e;
  m->port = static_cast<std::uint16_t>(port);
  if (slash != std::string_view::npos) {
    if (ParseError e = Number(f.substr(slash + 1), o + slash + 1, UINT32_MAX, &count,
                              "m= port count must be 1*DIGIT"))
      return e;
    if (count == 0) return Err("m= port count must be at least 1", o + slash + 1);
    m->port_count = static_cast<std::uint32_t>(count);
  }
  if (!fs.Next(&f, &o)) return Err("m= lacks the proto", fs.offset());
  // proto = token *("/" token)
  std::size_t start = 0;
  for (;;) {
    std::size_t s = f.find('/', start);
    std::string_view part = f.substr(start, s == std::string_view::npos ? std::string_view::npos : s - start);
    if (ParseError e = Token(part, o + start, "m= proto must be token *(\"/\" token)")) return e;
    if (s == std::string_view::npos) break;
    start = s + 1;
  }
  m->proto = f;
  while (fs.Next(&f, &o)) {
    if (ParseError e = Token(f, o, "m= format must be a token")) return e;
    m->formats.push_back(f);
  }
  if (m->formats.empty()) return Err("m= needs at least one format", off + v.size());
  return ParseError{};
}

ParseError Parser::Line(char type, std::string_view v, std::size_t off) {
  const std::size_t line_off = off - 2;
  // Order and multiplicity (RFC 8866 section 9).
  if (line_no_ == 1 && type != 'v') return Err("an SDP description starts with v=", line_off);
  if (line_no_ == 2 && type != 'o') return Err("o= must follow v=", line_off);
  if (line_no_ == 3 && type != 's') return Err("s= must follow o=", line_off);
  if (type == 'm') {
    if (sd_->timings.empty()) return Err("m= before any t=", line_off);
    in_media_ = true;
    rank_ = 0;
    last_ = 'm';
    media_line_ = line_off;
    sd_->media.emplace_back();
    return ParseMedia(v, off, &sd_->media.back());
  }
  int r = in_media_ ? MediaRank(type) : SessionRank(type);
  if (r < 0)
    return Err(SessionRank(type) >= 0 ? "this line is not allowed in a media description"
                                      : "unknown SDP type letter",
               line_off);
  if (r < rank_) return Err("line out of the order RFC 8866 section 9 requires", line_off);
  if (r == rank_ && !Repeatable(type, in_media_)) return Err("this line may appear only once here", line_off);
  if (!in_media_ && type == 'r' && last_ != 't' && last_ != 'r') return Err("r= must follow t= or r=", line_off);
  // Section 5.11: z= modifies the r= lines it immediately follows (once).
  if (!in_media_ && type == 'z' && last_ != 'r') return Err("z= must follow the r= lines of its t=", line_off);
  if (!in_media_ && r > SessionRank('t') && sd_->timings.empty())
    return Err("missing t= (at least one is required)", line_off);
  rank_ = r;
  last_ = type;

  // Field syntax.
  if (type != 's' && v.empty()) return Err("empty value", off);
  Media* m = in_media_ ? &sd_->media.back() : nullptr;
  switch (type) {
    case 'v':
      if (v != "0") return Err("v= must be 0", off);
      sd_->version = 0;
      return ParseError{};
    case 'o':
      return ParseOrigin(v, off);
    case 's':
      sd_->session_name = v;
      return ParseError{};
    case 'i':
      if (m) {
        m->information = v;
        m->has_information = true;
      } else {
        sd_->information = v;
        sd_->has_information = true;
      }
      return ParseError{};
    case 'u':
      sd_->uri = v;
      sd_->has_uri = true;
      return ParseError{};
    case 'e':
      sd_->emails.push_back(v);
      return ParseError{};
    case 'p':
      sd_->phones.push_back(v);
      return ParseError{};
    case 'c': {
      Connection c;
      if (ParseError e = ParseConnection(v, off, &c)) return e;
      if (m) m->connections.push_back(c); else sd_->connection = c;
      return ParseError{};
    }
    case 'b': {
      Bandwidth b;
      if (ParseError e = ParseBandwidth(v, off, &b)) return e;
      (m ? m->bandwidths : sd_->bandwidths).push_back(b);
      return ParseError{};
    }
    case 't': {
      Timing t;
      if (ParseError e = ParseTiming(v, off, &t)) return e;
      sd_->timings.push_back(t);
      return ParseError{};
    }
    case 'r':
      sd_->timings.back().repeats.push_back(v);
      return ParseError{};
    case 'z':
      sd_->timings.back().zone = v;
      sd_->timings.back().has_zone = true;
      return ParseError{};
    case 'k':
      if (m) {
        m->key = v;
        m->has_key = true;
      } else {
        sd_->key = v;
        sd_->has_key = true;
      }
      return ParseError{};
    case 'a': {
      Attribute a;
      if (ParseError e = ParseAttribute(v, off, &a)) return e;
      (m ? m->attributes : sd_->attributes).push_back(a);
      return ParseError{};
    }
    default:
      return Err("unknown SDP type letter", line_off);
  }
}

ParseError Parser::Run() {
  *sd_ = SessionDescription{};
  if (t_.empty()) return Err("empty session description", 0);
  std::size_t pos = 0;
  std::vector<std::size_t> media_offsets;
  while (pos < t_.size()) {
    const void* nl_p = std::memchr(t_.data() + pos, '\n', t_.size() - pos);
    if (nl_p == nullptr) return Err("last line has no line end (CRLF)", t_.size());
    std::size_t nl = static_cast<std::size_t>(static_cast<const char*>(nl_p) - t_.data());
    std::size_t end = (nl > pos && t_[nl - 1] == '\r') ? nl - 1 : nl;  // CRLF, or a bare LF
    ++line_no_;
    std::string_view line = t_.substr(pos, end - pos);
    if (line.size() < 2 || line[1] != '=') return Err("a line must be <type>=<value>", pos + (line.empty() ? 0 : 1));
    if (line[0] < 'a' || line[0] > 'z') return Err("type must be one lower-case letter", pos);
    std::string_view v = line.substr(2);
    for (std::size_t i = 0; i < v.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(v[i]);
      if (c == 0) return Err("NUL byte in a line", pos + 2 + i);
      if (c == '\r') return Err("CR not followed by LF", pos + 2 + i);
    }
    if (line[0] == 'm') media_offsets.push_back(pos);
    if (ParseError e = Line(line[0], v, pos + 2)) return e;
    pos = nl + 1;
  }
  if (line_no_ < 3) return Err("an SDP description needs v=, o=, s= and t=", t_.size());
  if (sd_->timings.empty()) return Err("missing t= (at least one is required)", t_.size());
  // Section 5.7: a connection address for every media.
  if (!sd_->connection) {
    for (std::size_t i = 0; i < sd_->media.size(); ++i)
      if (sd_->media[i].connections.empty())
        return Err("media without c= and no session-level c=", media_offsets[i]);
  }
  return ParseError{};
}

void AppendLine(char type, std::string_view v, std::string* out) {
  out->push_back(type);
  out->push_back('=');
  out->append(v);
  out->append("\r\n", 2);
}

void AppendConnection(const Connection& c, std::string* out) {
  out->append("c=", 2);
  out->append(c.nettype);
  out->push_back(' ');
  out->append(c.addrtype);
  out->push_back(' ');
  out->append(c.address);
  out->append("\r\n", 2);
}

void AppendBandwidth(const Bandwidth& b, std::string* out) {
  out->append("b=", 2);
  out->append(b.type);
  out->push_back(':');
  wire::AppendDecimal(b.value, out);
  out->append("\r\n", 2);
}

void AppendAttribute(const Attribute& a, std::string* out) {
  out->append("a=", 2);
  out->append(a.name);
  if (a.has_value) {
    out->push_back(':');
    out->append(a.value);
  }
  out->append("\r\n", 2);
}

}  // namespace

ParseError Parse(std::string_view text, SessionDescription* out) {
  Parser p(text, out);
  return p.Run();
}

void Build(const SessionDescription& sd, std::string* out) {
  out->append("v=", 2);
  wire::AppendDecimal(sd.version, out);
  out->append("\r\no=", 4);
  const Origin& o = sd.origin;
  for (std::string_view f : {o.username, o.sess_id, o.sess_version, o.nettype, o.addrtype}) {
    out->append(f);
    out->push_back(' ');
  }
  out->append(o.address);
  out->append("\r\n", 2);
  AppendLine('s', sd.session_name, out);
  if (sd.has_information) AppendLine('i', sd.information, out);
  if (sd.has_uri) AppendLine('u', sd.uri, out);
  for (std::string_view e : sd.emails) AppendLine('e', e, out);
  for (std::string_view p : sd.phones) AppendLine('p', p, out);
  if (sd.connection) AppendConnection(*sd.connection, out);
  for (const Bandwidth& b : sd.bandwidths) AppendBandwidth(b, out);
  for (const Timing& t : sd.timings) {
    out->append("t=", 2);
    wire::AppendDecimal(t.start, out);
    out->push_back(' ');
    wire::AppendDecimal(t.stop, out);
    out->append("\r\n", 2);
    for (std::string_view r : t.repeats) AppendLine('r', r, out);
    if (t.has_zone) AppendLine('z', t.zone, out);
  }
  if (sd.has_key) AppendLine('k', sd.key, out);
  for (const Attribute& a : sd.attributes) AppendAttribute(a, out);
  for (const Media& m : sd.media) {
    out->append("m=", 2);
    out->append(m.media);
    out->push_back(' ');
    wire::AppendDecimal(m.port, out);
    if (m.port_count != 0) {
      out->push_back('/');
      wire::AppendDecimal(m.port_count, out);
    }
    out->push_back(' ');
    out->append(m.proto);
    for (std::string_view f : m.formats) {
      out->push_back(' ');
      out->append(f);
    }
    out->append("\r\n", 2);
    if (m.has_information) AppendLine('i', m.information, out);
    for (const Connection& c : m.connections) AppendConnection(c, out);
    for (const Bandwidth& b : m.bandwidths) AppendBandwidth(b, out);
    if (m.has_key) AppendLine('k', m.key, out);
    for (const Attribute& a : m.attributes) AppendAttribute(a, out);
  }
}

bool operator==(const Origin& a, const Origin& b) {
  return a.username == b.username && a.sess_id == b.sess_id && a.sess_version == b.sess_version &&
         a.nettype == b.nettype && a.addrtype == b.addrtype && a.address == b.address;
}
bool operator==(const Connection& a, const Connection& b) {
  return a.nettype == b.nettype && a.addrtype == b.addrtype && a.address == b.address;
}
bool operator==(const Bandwidth& a, const Bandwidth& b) { return a.type == b.type && a.value == b.value; }
bool operator==(const Timing& a, const Timing& b) {
  return a.start == b.start && a.stop == b.stop && a.repeats == b.repeats && a.has_zone == b.has_zone &&
         a.zone == b.zone;
}
bool operator==(const Attribute& a, const Attribute& b) {
  return a.name == b.name && a.has_value == b.has_value && a.value == b.value;
}
bool operator==(const Media& a, const Media& b) {
  return a.media == b.media && a.port == b.port && a.port_count == b.port_count && a.proto == b.proto &&
         a.formats == b.formats && a.has_information == b.has_information &&
         a.information == b.information && a.connections == b.connections &&
         a.bandwidths == b.bandwidths && a.has_key == b.has_key && a.key == b.key &&
         a.attributes == b.attributes;
}
bool operator==(const SessionDescription& a, const SessionDescription& b) {
  return a.version == b.version && a.origin == b.origin && a.session_name == b.session_name &&
         a.has_information == b.has_information && a.information == b.information &&
         a.has_uri == b.has_uri && a.uri == b.uri && a.emails == b.emails && a.phones == b.phones &&
         a.connection == b.connection && a.bandwidths == b.bandwidths && a.timings == b.timings &&
         a.has_key == b.has_key && a.key == b.key &&
         a.attributes == b.attributes && a.media == b.media;
}

}  // namespace sipim::sdp
