// Builders: requests and responses parse back to the fields they were
// built from (round trips), ids are deterministic, bad input is refused.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sip/builder.h"
#include "sip/headers.h"

namespace sipim::sip {
namespace {

RequestSpec MessageSpec(IdGenerator& ids, std::string* branch, std::string* tag, std::string* call_id) {
  *branch = ids.Branch();
  *tag = ids.Tag();
  *call_id = ids.CallId("a.example.com");
  RequestSpec s;
  s.method = "MESSAGE";
  s.request_uri = "sip:bob@b.example.com";
  s.via_host = "ua.a.example.com";
  s.via_port = 5060;
  s.branch = *branch;
  s.via_rport = true;
  s.from_display = "Alice \"A\"";
  s.from_uri = "sip:alice@a.example.com";
  s.from_tag = *tag;
  s.to_uri = "sip:bob@b.example.com";
  s.call_id = *call_id;
  s.cseq = 7;
  s.route = "<sip:p1.a.example.com;lr>";
  s.content_type = "text/plain";
  s.body = "Watson, come here.";
  return s;
}

// Parses and validates a built message, returning it.
Message ParseBuilt(const std::string& s) {
  Message m;
  const ParseError e = Parse(s, Framing::kStream, &m);
  EXPECT_FALSE(e) << e.ToString() << "\n" << s;
  if (!e) {
    const ParseError v = Validate(m);
    EXPECT_FALSE(v) << v.ToString() << "\n" << s;
  }
  EXPECT_EQ(m.size, s.size());
  return m;
}

// Each request method's output parses back to the fields it was built from.
TEST(SipBuilder, RequestRoundTripEveryMethod) {
  for (const char* method : {"MESSAGE", "INVITE", "ACK", "BYE", "CANCEL", "REGISTER"}) {
    IdGenerator ids(42);
    std::string branch, tag, call_id;
    RequestSpec s = MessageSpec(ids, &branch, &tag, &call_id);
    s.method = method;
    if (std::string(method) == "REGISTER") {
      s.contact = "sip:alice@192.0.2.1:5060";
      s.expires = 3600;
      s.body = {};
      s.content_type = {};
    }
    if (std::string(method) == "BYE") s.to_tag = "remote1";
    std::string out = "prefix";  // builders append
    ASSERT_FALSE(BuildRequest(s, &out)) << method;
    ASSERT_EQ(out.substr(0, 6), "prefix");
    const std::string msg = out.substr(6);
    const Message m = ParseBuilt(msg);
    SCOPED_TRACE(method);
    EXPECT_EQ(m.method, method);
    EXPECT_EQ(m.request_uri, s.request_uri);
    Via v;
    ASSERT_FALSE(TopVia(m, &v));
    EXPECT_EQ(v.branch, branch);
    EXPECT_EQ(v.host, "ua.a.example.com");
    EXPECT_EQ(v.port, 5060);
    EXPECT_TRUE(v.has_rport);
    NameAddr from, to;
    ASSERT_FALSE(ParseNameAddr(m.Find(HeaderId::kFrom)->value, &from));
    EXPECT_EQ(from.tag, tag);
    EXPECT_EQ(from.uri, s.from_uri);
    EXPECT_EQ(from.display_name, "Alice \\\"A\\\"");
    ASSERT_FALSE(ParseNameAddr(m.Find(HeaderId::kTo)->value, &to));
    EXPECT_EQ(to.uri, s.to_uri);
    EXPECT_EQ(to.tag, s.to_tag);
    EXPECT_EQ(m.Find(HeaderId::kCallId)->value, call_id);
    CSeq c;
    ASSERT_FALSE(ParseCSeq(m.Find(HeaderId::kCSeq)->value, &c));
    EXPECT_EQ(c.number, 7u);
    EXPECT_EQ(c.method, method);
    EXPECT_EQ(m.body, s.body);
    EXPECT_EQ(m.content_length, static_cast<std::int64_t>(s.body.size()));
    EXPECT_EQ(m.Find(HeaderId::kRoute)->value, s.route);
    if (!s.contact.empty()) {
      NameAddr ct;
      ASSERT_FALSE(ParseNameAddr(m.Find(HeaderId::kContact)->value, &ct));
      EXPECT_EQ(ct.uri, s.contact);
      EXPECT_EQ(m.Find(HeaderId::kExpires)->value, "3600");
    }
  }
}

// Responses 100, 180, 200, 202, 4xx, 481, 513 echo the request's fields
// and add a To tag (except on 100).
TEST(SipBuilder, ResponseRoundTrip) {
  IdGenerator ids(1);
  std::string branch, tag, call_id, req;
  RequestSpec s = MessageSpec(ids, &branch, &tag, &call_id);
  ASSERT_FALSE(BuildRequest(s, &req));
  Message rq;
  ASSERT_FALSE(Parse(req, Framing::kDatagram, &rq));
  for (int status : {100, 180, 200, 202, 400, 404, 481, 483, 513}) {
    SCOPED_TRACE(status);
    ResponseSpec r;
    r.status = status;
    r.to_tag = "uas-tag";
    std::string out;
    ASSERT_FALSE(BuildResponse(rq, r, &out));
    const Message m = ParseBuilt(out);
    EXPECT_FALSE(m.is_request);
    EXPECT_EQ(m.status_code, status);
    EXPECT_EQ(m.reason, DefaultReason(status));
    EXPECT_FALSE(m.reason.empty());
    Via v;
    ASSERT_FALSE(TopVia(m, &v));
    EXPECT_EQ(v.branch, branch);
    EXPECT_EQ(m.Find(HeaderId::kFrom)->line, rq.Find(HeaderId::kFrom)->line);
    EXPECT_EQ(m.Find(HeaderId::kCallId)->value, call_id);
    EXPECT_EQ(m.Find(HeaderId::kCSeq)->value, "7 MESSAGE");
    NameAddr to;
    ASSERT_FALSE(ParseNameAddr(m.Find(HeaderId::kTo)->value, &to));
    EXPECT_EQ(to.tag, status == 100 ? "" : "uas-tag");
    EXPECT_EQ(m.content_length, 0);
  }
  // A To tag already present is kept, not doubled.
  std::string with_tag;
  s.to_tag = "existing";
  ASSERT_FALSE(BuildRequest(s, &with_tag));
  ASSERT_FALSE(Parse(with_tag, Framing::kDatagram, &rq));
  std::string out;
  ResponseSpec ok;
  ok.to_tag = "new";
  ok.body = "x";
  ok.content_type = "text/plain";
  ASSERT_FALSE(BuildResponse(rq, ok, &out));
  const Message m = ParseBuilt(out);
  NameAddr to;
  ASSERT_FALSE(ParseNameAddr(m.Find(HeaderId::kTo)->value, &to));
  EXPECT_EQ(to.tag, "existing");
  EXPECT_EQ(m.body, "x");
}

// A response copies every Via field of the request in order, multi-value too.
TEST(SipBuilder, ResponseCopiesAllVias) {
  const std::string req =
      "INVITE sip:b@b SIP/2.0\r\nVia: SIP/2.0/UDP p2;branch=z9hG4bK2, SIP/2.0/UDP p1;branch=z9hG4bK1\r\n"
      "v: SIP/2.0/UDP ua;branch=z9hG4bK0\r\nRecord-Route: <sip:p2;lr>\r\nFrom: <sip:a@a>;tag=1\r\n"
      "To: <sip:b@b>\r\nCall-ID: c\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n";
  Message rq;
  ASSERT_FALSE(Parse(req, Framing::kDatagram, &rq));
  std::string out;
  ResponseSpec r;
  r.status = 200;
  r.to_tag = "t";
  r.contact = "sip:b@192.0.2.2";
  ASSERT_FALSE(BuildResponse(rq, r, &out));
  const Message m = ParseBuilt(out);
  std::vector<Via> vias;
  ASSERT_FALSE(AllVias(m, &vias));
  ASSERT_EQ(vias.size(), 3u);
  EXPECT_EQ(vias[0].branch, "z9hG4bK2");
  EXPECT_EQ(vias[2].branch, "z9hG4bK0");
  EXPECT_NE(m.Find(HeaderId::kRecordRoute), nullptr);
  std::string ringing;
  r.status = 486;
  ASSERT_FALSE(BuildResponse(rq, r, &ringing));
  const Message busy = ParseBuilt(ringing);
  EXPECT_EQ(busy.Find(HeaderId::kRecordRoute), nullptr);
}

// CANCEL and the ACK for a failure reuse the INVITE's branch and CSeq number.
TEST(SipBuilder, CancelAndAckForFailure) {
  IdGenerator ids(9);
  std::string branch, tag, call_id, inv;
  RequestSpec s = MessageSpec(ids, &branch, &tag, &call_id);
  s.method = "INVITE";
  s.content_type = "application/sdp";
  s.body = "v=0\r\n";
  ASSERT_FALSE(BuildRequest(s, &inv));
  Message invite;
  ASSERT_FALSE(Parse(inv, Framing::kDatagram, &invite));
  std::string cancel;
  ASSERT_FALSE(BuildCancel(invite, &cancel));
  Message c = ParseBuilt(cancel);
  EXPECT_EQ(c.method, "CANCEL");
  EXPECT_EQ(c.request_uri, invite.request_uri);
  Via v;
  ASSERT_FALSE(TopVia(c, &v));
  EXPECT_EQ(v.branch, branch);
  EXPECT_EQ(c.Find(HeaderId::kCSeq)->value, "7 CANCEL");
  EXPECT_NE(c.Find(HeaderId::kRoute), nullptr);

  std::string resp;
  ResponseSpec r;
  r.status = 486;
  r.to_tag = "busy1";
  ASSERT_FALSE(BuildResponse(invite, r, &resp));
  Message response;
  ASSERT_FALSE(Parse(resp, Framing::kDatagram, &response));
  std::string ack;
  ASSERT_FALSE(BuildAckForFailure(invite, response, &ack));
  Message a = ParseBuilt(ack);
  EXPECT_EQ(a.method, "ACK");
  ASSERT_FALSE(TopVia(a, &v));
  EXPECT_EQ(v.branch, branch);
  NameAddr to;
  ASSERT_FALSE(ParseNameAddr(a.Find(HeaderId::kTo)->value, &to));
  EXPECT_EQ(to.tag, "busy1");
  EXPECT_EQ(a.Find(HeaderId::kCSeq)->value, "7 ACK");
  EXPECT_TRUE(BuildCancel(response, &ack));
  EXPECT_TRUE(BuildAckForFailure(invite, invite, &ack));
}

// Same seed, same ids; ids are unique and branches carry the magic cookie.
TEST(SipBuilder, IdGeneratorDeterministic) {
  IdGenerator a(123), b(123), c(124);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string x = a.Branch();
    EXPECT_EQ(x, b.Branch());
    EXPECT_EQ(x.rfind("z9hG4bK", 0), 0u);
    EXPECT_EQ(x.size(), 7u + 16u);
    EXPECT_TRUE(seen.insert(x).second);
  }
  EXPECT_NE(IdGenerator(123).Tag(), c.Tag());
  EXPECT_EQ(IdGenerator(5).CallId("h").substr(16), "@h");
}

// Bad builder input is refused and the output string is left unchanged.
TEST(SipBuilder, RefusesBadInput) {
  IdGenerator ids(3);
  std::string branch, tag, call_id;
  const RequestSpec good = MessageSpec(ids, &branch, &tag, &call_id);
  const auto refuses = [&](RequestSpec s) {
    std::string out = "keep";
    const ParseError e = BuildRequest(s, &out);
    EXPECT_EQ(out, "keep");
    return static_cast<bool>(e);
  };
  RequestSpec s = good;
  s.branch = "abc";
  EXPECT_TRUE(refuses(s));
  s = good;
  s.cseq = 0x80000000u;
  EXPECT_TRUE(refuses(s));
  s = good;
  s.call_id = "a\r\nb";
  EXPECT_TRUE(refuses(s));
  s = good;
  s.content_type = {};
  EXPECT_TRUE(refuses(s));
  s = good;
  s.method = "MES SAGE";
  EXPECT_TRUE(refuses(s));
  s = good;
  s.extra_headers = "X-Ok: 1\r\n\r\n";
  EXPECT_TRUE(refuses(s));
  s = good;
  s.extra_headers = "X-Ok: 1\r\nSubject: hi\r\n";
  std::string fine;
  EXPECT_FALSE(BuildRequest(s, &fine));
  s.extra_headers = "X-Ok : 1\r\nSubject:\thi\r\n";
  EXPECT_FALSE(BuildRequest(s, &fine));
  // Lines the parser would reject ("expected ':' after header field name",
  // "control character in header field") are refused, not built: a name
  // with a space or DEL in it, a control byte in the value.
  // A Content-Length of the caller's next to the builder's is "duplicate
  // Content-Length" at the receiver.
  for (const char* bad : {"X Bad: 1\r\n", "X\x7f: 1\r\n", "X-Bad: a\x01b\r\n", "X-Ok: 1\r\nX-Bad 1:\r\n",
                          "Content-Length: 0\r\n", "X-Ok: 1\r\nl: 0\r\n"}) {
    SCOPED_TRACE(bad);
    s.extra_headers = bad;
    EXPECT_TRUE(refuses(s));
  }
  Message req;
  ResponseSpec r;
  r.status = 99;
  std::string out;
  ASSERT_FALSE(BuildRequest(good, &out));
  ASSERT_FALSE(Parse(out, Framing::kDatagram, &req));
  std::string resp;
  EXPECT_TRUE(BuildResponse(req, r, &resp));
  EXPECT_TRUE(resp.empty());
}

}  // namespace
}  // namespace sipim::sip

namespace sipim::sip {
namespace {

// Proves: the paper's stripped in-session MESSAGE carries the request line,
// From, To, Content-Type and Content-Length and nothing else (no Via,
// Max-Forwards, Call-ID or CSeq), frames on a stream by its Content-Length,
// parses back to the fields it was built from, and is (deliberately) not a
// valid RFC 3261 request; bad input is refused and leaves the output alone.
TEST(SipBuilder, StrippedMessageRoundTrip) {
  StrippedMessageSpec spec;
  spec.request_uri = "sip:shirley@office.com";
  spec.from_uri = "sip:dan@home.com";
  spec.to_uri = "sip:shirley@office.com";
  spec.body = "Watson, come here.";
  std::string out = "prefix";
  ASSERT_FALSE(BuildStrippedMessage(spec, &out));
  const std::string built = out.substr(6);
  EXPECT_EQ(built,
            "MESSAGE sip:shirley@office.com SIP/2.0\r\nFrom: <sip:dan@home.com>\r\n"
            "To: <sip:shirley@office.com>\r\nContent-Type: text/plain\r\n"
            "Content-Length: 18\r\n\r\nWatson, come here.");
  const std::string stream = built + built;  // the views point into it
  Message m;
  ASSERT_FALSE(Parse(stream, Framing::kStream, &m));
  EXPECT_EQ(m.size, built.size());
  EXPECT_EQ(m.method, "MESSAGE");
  EXPECT_EQ(m.headers.size(), 4u);
  for (HeaderId absent : {HeaderId::kVia, HeaderId::kMaxForwards, HeaderId::kCallId, HeaderId::kCSeq})
    EXPECT_EQ(m.Find(absent), nullptr);
  NameAddr from;
  ASSERT_FALSE(ParseNameAddr(m.Find(HeaderId::kFrom)->value, &from));
  EXPECT_EQ(from.uri, "sip:dan@home.com");
  EXPECT_EQ(m.body, "Watson, come here.");
  EXPECT_TRUE(Validate(m));

  for (auto bad : {StrippedMessageSpec{"", "sip:a@x", "sip:b@y", "text/plain", "hi"},
                   StrippedMessageSpec{"sip:b@y", "sip:a@x\r\nVia: x", "sip:b@y", "text/plain", "hi"},
                   StrippedMessageSpec{"sip:b@y", "sip:a@x", "sip:b y", "text/plain", "hi"},
                   StrippedMessageSpec{"sip:b@y", "sip:a@x", "sip:b@y", "", "hi"}}) {
    std::string untouched = "keep";
    EXPECT_TRUE(BuildStrippedMessage(bad, &untouched));
    EXPECT_EQ(untouched, "keep");
  }
}

// The answer to a refused stripped MESSAGE (493 for an S/MIME body that
// does not open) is as stripped as the request: status line, the request's
// From and To, Content-Length 0; it frames on a stream and parses as a
// response with that status. A 2xx, a response or a request without To is
// refused and leaves the output alone.
TEST(SipBuilder, StrippedResponseCopiesFromAndTo) {
  StrippedMessageSpec spec;
  spec.request_uri = "sip:shirley@office.com";
  spec.from_uri = "sip:dan@home.com";
  spec.to_uri = "sip:shirley@office.com";
  spec.content_type = "application/pkcs7-mime";
  spec.body = "not really CMS";
  std::string req;
  ASSERT_FALSE(BuildStrippedMessage(spec, &req));
  Message m;
  ASSERT_FALSE(Parse(req, Framing::kStream, &m));
  std::string out = "prefix";
  ASSERT_FALSE(BuildStrippedResponse(m, 493, &out));
  const std::string built = out.substr(6);
  EXPECT_EQ(built,
            "SIP/2.0 493 Undecipherable\r\nFrom: <sip:dan@home.com>\r\nTo: <sip:shirley@office.com>\r\n"
            "Content-Length: 0\r\n\r\n");
  Message r;
  ASSERT_FALSE(Parse(built, Framing::kStream, &r));
  EXPECT_FALSE(r.is_request);
  EXPECT_EQ(r.status_code, 493);
  EXPECT_EQ(r.size, built.size());
  std::string untouched = "keep";
  EXPECT_TRUE(BuildStrippedResponse(m, 200, &untouched));
  EXPECT_TRUE(BuildStrippedResponse(r, 493, &untouched));
  Message noTo;
  ASSERT_FALSE(Parse("MESSAGE sip:b@y SIP/2.0\r\nFrom: <sip:a@x>\r\nContent-Length: 0\r\n\r\n", Framing::kStream, &noTo));
  EXPECT_TRUE(BuildStrippedResponse(noTo, 493, &untouched));
  EXPECT_EQ(untouched, "keep");
}

}  // namespace
}  // namespace sipim::sip
