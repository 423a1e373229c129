#include "sip_json.h"

#include "json_writer.h"
#include "sip/headers.h"
#include "sip/message.h"
#include "sip/uri.h"

namespace sipim::cli {
namespace {

// An error found in `msg` (relative to msg.input), moved to its place in the
// whole input, which starts `base` bytes before msg.input.
ParseError Relocate(const ParseError& e, std::string_view data, std::size_t base) {
  return MakeParseError(e.reason, data.data(), data.size(), base + e.offset);
}

const char* SchemeName(sip::UriScheme s) {
  switch (s) {
    case sip::UriScheme::kSip: return "sip";
    case sip::UriScheme::kSips: return "sips";
    case sip::UriScheme::kTel: return "tel";
    case sip::UriScheme::kOther: break;
  }
  return "other";
}

void WriteParams(JsonWriter& j, const sip::ParamList& params) {
  j.Key("params").BeginObject();
  sip::Param p;
  for (std::size_t pos = 0; params.Next(&pos, &p);) {
    j.Key(p.name);
    if (p.has_value) {
      j.String(p.value);
    } else {
      j.Bool(true);
    }
  }
  j.EndObject();
}

void WriteUri(JsonWriter& j, std::string_view text) {
  sip::Uri uri;
  j.BeginObject().Field("text", text);
  if (!sip::ParseUri(text, &uri)) {
    j.Field("scheme", SchemeName(uri.scheme_id));
    if (uri.is_sip()) {
      if (uri.has_user) j.Field("user", uri.user);
      if (uri.has_password) j.Field("password", uri.password);
      j.Field("host", uri.host);
      if (uri.port >= 0) j.Field("port", uri.port);
      WriteParams(j, uri.params);
      if (!uri.headers.empty()) j.Field("headers", uri.headers);
    } else {
      j.Field("opaque", uri.opaque);
    }
  }
  j.EndObject();
}

void WriteNameAddr(JsonWriter& j, const sip::NameAddr& a) {
  j.BeginObject();
  if (a.star) {
    j.Field("star", true);
  } else {
    if (!a.display_name.empty()) j.Field("display_name", a.display_name);
    j.Key("uri");
    WriteUri(j, a.uri);
    if (!a.tag.empty()) j.Field("tag", a.tag);
    WriteParams(j, a.params);
  }
  j.EndObject();
}

void WriteVia(JsonWriter& j, const sip::Via& v) {
  j.BeginObject()
      .Field("protocol", v.protocol)
      .Field("version", v.version)
      .Field("transport", v.transport)
      .Field("host", v.host);
  if (v.port) j.Field("port", v.port);
  if (!v.branch.empty()) j.Field("branch", v.branch);
  if (!v.received.empty()) j.Field("received", v.received);
  if (v.has_rport) {
    j.Key("rport");
    if (v.rport) {
      j.Int(v.rport);
    } else {
      j.Bool(true);
    }
  }
  if (!v.maddr.empty()) j.Field("maddr", v.maddr);
  if (v.ttl >= 0) j.Field("ttl", v.ttl);
  WriteParams(j, v.params);
  j.EndObject();
}

// Writes the typed view of every field the stack knows. Validate() has
// already parsed each of them, so an error here means the two disagree.
ParseError WriteTypedFields(JsonWriter& j, const sip::Message& msg) {
  std::vector<sip::Via> vias;
  if (ParseError e = sip::AllVias(msg, &vias)) return e;
  j.Key("via").BeginArray();
  for (const auto& v : vias) WriteVia(j, v);
  j.EndArray();

  for (auto [id, key] : {std::pair{sip::HeaderId::kFrom, "from"}, {sip::HeaderId::kTo, "to"}}) {
    if (const sip::Header* h = msg.Find(id)) {
      sip::NameAddr a;
      if (ParseError e = sip::ParseNameAddr(h->value, &a, msg.input)) return e;
      j.Key(key);
      WriteNameAddr(j, a);
    }
  }
  for (auto [id, key] : {std::pair{sip::HeaderId::kContact, "contact"},
                         {sip::HeaderId::kRoute, "route"},
                         {sip::HeaderId::kRecordRoute, "record_route"}}) {
    if (!msg.Find(id)) continue;
    std::vector<sip::NameAddr> list;
    for (const sip::Header* h = msg.Find(id); h; h = msg.FindNext(h)) {
      if (ParseError e = sip::ParseNameAddrList(h->value, &list, msg.input)) return e;
    }
    j.Key(key).BeginArray();
    for (const auto& a : list) WriteNameAddr(j, a);
    j.EndArray();
  }
  if (const sip::Header* h = msg.Find(sip::HeaderId::kCallId)) {
    std::string_view id;
    if (ParseError e = sip::ParseCallId(h->value, &id, msg.input)) return e;
    j.Field("call_id", id);
  }
  if (const sip::Header* h = msg.Find(sip::HeaderId::kCSeq)) {
    sip::CSeq c;
    if (ParseError e = sip::ParseCSeq(h->value, &c, msg.input)) return e;
    j.Key("cseq").BeginObject().Field("number", c.number).Field("method", c.method).EndObject();
  }
  if (const sip::Header* h = msg.Find(sip::HeaderId::kMaxForwards)) {
    int mf = 0;
    if (ParseError e = sip::ParseMaxForwards(h->value, &mf, msg.input)) return e;
    j.Field("max_forwards", mf);
  }
  if (const sip::Header* h = msg.Find(sip::HeaderId::kExpires)) {
    std::uint32_t expires = 0;
    if (ParseError e = sip::ParseDeltaSeconds(h->value, &expires, msg.input)) return e;
    j.Field("expires", expires);
  }
  if (const sip::Header* h = msg.Find(sip::HeaderId::kContentType)) {
    sip::ContentType ct;
    if (ParseError e = sip::ParseContentType(h->value, &ct, msg.input)) return e;
    j.Key("content_type").BeginObject().Field("type", ct.type).Field("subtype", ct.subtype);
    WriteParams(j, ct.params);
    j.EndObject();
  }
  if (msg.content_length >= 0) j.Field("content_length", msg.content_length);
  return {};
}

// One message as a JSON line; `offset` is where it starts in the input.
ParseError MessageToJson(std::string_view file, std::size_t index, std::size_t offset,
                         std::size_t trailing, const sip::Message& msg, std::string* line) {
  JsonWriter j(line);
  j.BeginObject()
      .Field("file", file)
      .Field("index", index)
      .Field("offset", offset + static_cast<std::size_t>(msg.raw.data() - msg.input.data()))
      .Field("length", msg.raw.size())
      .Field("protocol", "SIP")
      .Field("type", msg.is_request ? "request" : "response");
  if (msg.is_request) {
    j.Field("method", msg.method).Key("request_uri");
    WriteUri(j, msg.request_uri);
  } else {
    j.Field("status_code", msg.status_code).Field("reason", msg.reason);
  }
  j.Field("version", msg.version);
  j.Key("headers").BeginArray();
  for (const auto& h : msg.headers) {
    j.BeginObject().Field("name", h.name);
    if (h.id != sip::HeaderId::kUnknown) j.Field("canonical", sip::HeaderName(h.id));
    j.Field("value", h.value).EndObject();
  }
  j.EndArray();
  if (ParseError e = WriteTypedFields(j, msg)) return e;
  j.Field("body_length", msg.body.size()).Field("body", msg.body);
  if (trailing) j.Field("ignored_trailing_bytes", trailing);
  j.EndObject();
  line->push_back('\n');
  return {};
}

// Parses and checks one message at data[offset...]; on success appends its
// JSON line.
ParseError OneMessage(std::string_view file, std::string_view data, std::size_t offset,
                      sip::Framing framing, std::size_t index, sip::Message* msg,
                      std::vector<std::string>* lines) {
  std::string_view rest = data.substr(offset);
  if (ParseError e = sip::Parse(rest, framing, msg)) return Relocate(e, data, offset);
  if (ParseError e = sip::Validate(*msg)) return Relocate(e, data, offset);
  std::size_t trailing = framing == sip::Framing::kDatagram ? rest.size() - msg->size : 0;
  std::string line;
  if (ParseError e = MessageToJson(file, index, offset, trailing, *msg, &line)) {
    return Relocate(e, data, offset);
  }
  lines->push_back(std::move(line));
  return {};
}

bool OnlyLineBreaks(std::string_view s) {
  return s.find_first_not_of("\r\n") == std::string_view::npos;
}

}  // namespace

ParseError SipToJson(std::string_view file, std::string_view data, bool stream,
                     std::vector<std::string>* lines) {
  sip::Message msg;
  if (!stream) return OneMessage(file, data, 0, sip::Framing::kDatagram, 0, &msg, lines);

  std::size_t offset = 0;
  for (std::size_t index = 0; !OnlyLineBreaks(data.substr(offset)); ++index) {
    if (ParseError e = OneMessage(file, data, offset, sip::Framing::kStream, index, &msg, lines)) {
      // The stream cannot be resynchronised after a bad message.
      return e;
    }
    offset += msg.size;
  }
  if (lines->empty()) return MakeParseError("no SIP message in the input", data.data(), data.size(), 0);
  return {};
}

}  // namespace sipim::cli
