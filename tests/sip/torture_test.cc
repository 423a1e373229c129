// RFC 4475 and RFC 5118 torture messages: what the parser core (Parse) and
// the semantic check (Validate) do with each, driven by the manifests.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "corpus_util.h"
#include "sip/headers.h"
#include "sip/message.h"
#include "sip/uri.h"

namespace sipim::sip {
namespace {

using testing::CorpusPath;
using testing::ReadFile;
using testing::ReadManifest;

enum class Outcome {
  kAccept,          // Parse and Validate succeed
  kParseReject,     // Parse fails
  kValidateReject,  // Parse succeeds, Validate fails
};

struct Expectation {
  Outcome outcome;
  const char* reason;  // a substring of the error's reason (reject only)
};

// Our choice for each RFC 4475 message. For the invalid ones the manifest
// calls liberal-acceptable, the entry is the choice this parser makes:
// ltgtruri, lwsstart, trws, escruri and regbadct are rejected; baddate is
// accepted (the core does not parse Date, RFC 4475 3.1.2.12).
const std::map<std::string, Expectation>& Rfc4475Choices() {
  static const std::map<std::string, Expectation> m = {
      {"wsinv.dat", {Outcome::kAccept, nullptr}},
      {"intmeth.dat", {Outcome::kAccept, nullptr}},
      {"esc01.dat", {Outcome::kAccept, nullptr}},
      {"escnull.dat", {Outcome::kAccept, nullptr}},
      {"esc02.dat", {Outcome::kAccept, nullptr}},
      {"lwsdisp.dat", {Outcome::kAccept, nullptr}},
      {"longreq.dat", {Outcome::kAccept, nullptr}},
      {"dblreq.dat", {Outcome::kAccept, nullptr}},
      {"semiuri.dat", {Outcome::kAccept, nullptr}},
      {"transports.dat", {Outcome::kAccept, nullptr}},
      {"mpart01.dat", {Outcome::kAccept, nullptr}},
      {"unreason.dat", {Outcome::kAccept, nullptr}},
      {"noreason.dat", {Outcome::kAccept, nullptr}},
      {"badinv01.dat", {Outcome::kValidateReject, "empty or invalid parameter name"}},
      {"clerr.dat", {Outcome::kParseReject, "Content-Length larger than the message"}},
      {"ncl.dat", {Outcome::kParseReject, "negative Content-Length"}},
      {"scalar02.dat", {Outcome::kValidateReject, "CSeq: sequence number larger than 2^31-1"}},
      {"scalarlg.dat", {Outcome::kValidateReject, "CSeq: sequence number larger than 2^31-1"}},
      {"quotbal.dat", {Outcome::kValidateReject, "unterminated quoted string"}},
      {"ltgtruri.dat", {Outcome::kParseReject, "Request-URI contains '<'"}},
      {"lwsruri.dat", {Outcome::kParseReject, "whitespace inside Request-URI"}},
      {"lwsstart.dat", {Outcome::kParseReject, "more than one SP after method"}},
      {"trws.dat", {Outcome::kParseReject, "trailing whitespace"}},
      {"escruri.dat", {Outcome::kValidateReject, "Request-URI must not contain headers"}},
      {"baddate.dat", {Outcome::kAccept, nullptr}},
      {"regbadct.dat", {Outcome::kValidateReject, "must be enclosed in <>"}},
      {"badaspec.dat", {Outcome::kValidateReject, "whitespace inside <URI>"}},
      // The file lacks the empty line that ends the header section (see
      // corpus README); BadDnWithEmptyLine checks the display name itself.
      {"baddn.dat", {Outcome::kParseReject, "header section not ended by an empty line"}},
      {"badvers.dat", {Outcome::kParseReject, "unsupported SIP version"}},
      {"mismatch01.dat", {Outcome::kValidateReject, "CSeq method does not match"}},
      {"mismatch02.dat", {Outcome::kValidateReject, "CSeq method does not match"}},
      {"bigcode.dat", {Outcome::kParseReject, "status code longer than 3 digits"}},
      {"badbranch.dat", {Outcome::kAccept, nullptr}},
      {"insuf.dat", {Outcome::kValidateReject, "missing To header field"}},
      {"unkscm.dat", {Outcome::kAccept, nullptr}},
      {"novelsc.dat", {Outcome::kAccept, nullptr}},
      {"unksm2.dat", {Outcome::kAccept, nullptr}},
      {"bext01.dat", {Outcome::kAccept, nullptr}},
      {"invut.dat", {Outcome::kAccept, nullptr}},
      {"regaut01.dat", {Outcome::kAccept, nullptr}},
      {"multi01.dat", {Outcome::kValidateReject, "multiple To header fields"}},
      {"mcl01.dat", {Outcome::kParseReject, "duplicate Content-Length"}},
      {"bcast.dat", {Outcome::kAccept, nullptr}},
      {"zeromf.dat", {Outcome::kAccept, nullptr}},
      {"cparam01.dat", {Outcome::kAccept, nullptr}},
      {"cparam02.dat", {Outcome::kAccept, nullptr}},
      {"regescrt.dat", {Outcome::kAccept, nullptr}},
      {"sdp01.dat", {Outcome::kAccept, nullptr}},
      {"inv2543.dat", {Outcome::kAccept, nullptr}},
  };
  return m;
}

const std::map<std::string, Expectation>& Rfc5118Choices() {
  static const std::map<std::string, Expectation> m = {
      {"ipv6-good", {Outcome::kAccept, nullptr}},
      {"ipv6-bad", {Outcome::kValidateReject, "URI: invalid host"}},
      {"port-ambiguous", {Outcome::kAccept, nullptr}},
      {"port-unambiguous", {Outcome::kAccept, nullptr}},
      {"via-received-param-with-delim", {Outcome::kAccept, nullptr}},
      {"via-received-param-no-delim", {Outcome::kAccept, nullptr}},
      {"ipv6-in-sdp", {Outcome::kAccept, nullptr}},
      {"mult-ip-in-header", {Outcome::kAccept, nullptr}},
      {"mult-ip-in-sdp", {Outcome::kAccept, nullptr}},
      {"ipv4-mapped-ipv6", {Outcome::kAccept, nullptr}},
      {"ipv6-bug-abnf-3-colons", {Outcome::kValidateReject, "URI: invalid IPv6 reference"}},
      {"ipv6-correct-abnf-2-colons", {Outcome::kAccept, nullptr}},
  };
  return m;
}

// Runs Parse (datagram) + Validate and compares with the expectation.
void Check(const std::string& name, const std::string& bytes, const Expectation& want) {
  SCOPED_TRACE(name);
  Message m;
  const ParseError pe = Parse(bytes, Framing::kDatagram, &m);
  ParseError ve;
  if (!pe) ve = Validate(m);
  switch (want.outcome) {
    case Outcome::kAccept:
      EXPECT_FALSE(pe) << pe.ToString();
      EXPECT_FALSE(ve) << ve.ToString();
      break;
    case Outcome::kParseReject:
      ASSERT_TRUE(pe) << "parsed, but should be rejected by Parse";
      EXPECT_NE(std::string(pe.reason).find(want.reason), std::string::npos) << pe.ToString();
      EXPECT_GE(pe.line, 1u);
      EXPECT_GE(pe.column, 1u);
      break;
    case Outcome::kValidateReject:
      ASSERT_FALSE(pe) << pe.ToString();
      ASSERT_TRUE(ve) << "validated, but should be rejected by Validate";
      EXPECT_NE(std::string(ve.reason).find(want.reason), std::string::npos) << ve.ToString();
      EXPECT_GE(ve.line, 1u);
      break;
  }
}

// Every RFC 4475 message is covered, valid ones are accepted, invalid ones
// rejected unless the manifest allows a liberal accept, and each choice holds.
TEST(SipTorture, Rfc4475ManifestChoices) {
  const auto rows = ReadManifest("rfc4475");
  ASSERT_EQ(rows.size(), 49u);
  for (const auto& row : rows) {
    const auto it = Rfc4475Choices().find(row.file);
    ASSERT_NE(it, Rfc4475Choices().end()) << row.file << " has no stated choice";
    const Expectation& want = it->second;
    if (row.category == "valid" || row.category.rfind("transaction-layer", 0) == 0 ||
        row.category == "backward-compat") {
      EXPECT_EQ(want.outcome, Outcome::kAccept) << row.file << ": RFC 4475 says it must parse";
    } else if (row.category == "invalid" && row.expected.find("liberal") == std::string::npos) {
      EXPECT_NE(want.outcome, Outcome::kAccept) << row.file << ": RFC 4475 says it must be rejected";
    }
    bool ok = false;
    const std::string bytes = ReadFile(CorpusPath("rfc4475/" + row.file), &ok);
    ASSERT_TRUE(ok) << row.file;
    Check(row.file, bytes, want);
  }
}

// Every RFC 5118 message: "good" and well-formed ones parse, "bad" ones fail.
TEST(SipTorture, Rfc5118ManifestChoices) {
  const auto rows = ReadManifest("rfc5118");
  ASSERT_EQ(rows.size(), 12u);
  for (const auto& row : rows) {
    const auto it = Rfc5118Choices().find(row.file);
    ASSERT_NE(it, Rfc5118Choices().end()) << row.file;
    const std::string expectation = row.category;  // column 3 of this manifest
    if (expectation.rfind("bad", 0) == 0) {
      EXPECT_NE(it->second.outcome, Outcome::kAccept) << row.file;
    } else {
      EXPECT_EQ(it->second.outcome, Outcome::kAccept) << row.file;
    }
    Check(row.file, ReadFile(CorpusPath("rfc5118/" + row.file)), it->second);
  }
}

// baddn with its missing empty line added fails on the unquoted comma in
// the display name, which is what RFC 4475 3.1.2.15 is about.
TEST(SipTorture, BadDnWithEmptyLine) {
  Check("baddn.dat+CRLF", ReadFile(CorpusPath("rfc4475/baddn.dat")) + "\r\n",
        {Outcome::kValidateReject, "display name is neither tokens nor a quoted string"});
}

// scalar02: each overlarge value is rejected on its own, not just the first.
TEST(SipTorture, Scalar02EachOverlargeValue) {
  std::string base = ReadFile(CorpusPath("rfc4475/scalar02.dat"));
  const auto replace = [&](std::string s, const std::string& from, const std::string& to) {
    const std::size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  std::string s = replace(base, "36893488147419103232", "1");
  Check("scalar02 Max-Forwards", s, {Outcome::kValidateReject, "Max-Forwards larger than 255"});
  s = replace(s, "Max-Forwards: 300", "Max-Forwards: 70");
  Check("scalar02 Expires", s, {Outcome::kValidateReject, "delta-seconds larger than 2^32-1"});
  const std::size_t e = s.find("Expires: ");
  s = s.replace(e, s.find("\r\n", e) - e, "Expires: 3600");
  Check("scalar02 Contact expires", s, {Outcome::kValidateReject, "delta-seconds larger than 2^32-1"});
  s = replace(s, "280297596632815", "280");
  Check("scalar02 fixed", s, {Outcome::kAccept, nullptr});
}

// dblreq: only the first message of the datagram is parsed; the rest is ignored.
TEST(SipTorture, DblreqIgnoresTrailingOctets) {
  const std::string d = ReadFile(CorpusPath("rfc4475/dblreq.dat"));
  Message m;
  ASSERT_FALSE(Parse(d, Framing::kDatagram, &m));
  EXPECT_EQ(m.method, "REGISTER");
  EXPECT_EQ(m.content_length, 0);
  EXPECT_TRUE(m.body.empty());
  EXPECT_LT(m.size, d.size());
  EXPECT_EQ(d.compare(m.size, 8, "\r\nINVITE"), 0);
}

// wsinv: folding, odd whitespace and compact forms resolve to the right fields.
TEST(SipTorture, WsinvFields) {
  const std::string d = ReadFile(CorpusPath("rfc4475/wsinv.dat"));
  Message m;
  ASSERT_FALSE(Parse(d, Framing::kDatagram, &m));
  EXPECT_EQ(m.method, "INVITE");
  EXPECT_EQ(m.request_uri, "sip:vivekg@chair-dnrc.example.com;unknownparam");
  NameAddr to;
  ASSERT_FALSE(ParseNameAddr(m.Find(HeaderId::kTo)->value, &to, m.input));
  EXPECT_EQ(to.uri, "sip:vivekg@chair-dnrc.example.com");
  EXPECT_EQ(to.tag, "1918181833n");
  NameAddr from;
  ASSERT_FALSE(ParseNameAddr(m.Find(HeaderId::kFrom)->value, &from, m.input));
  EXPECT_EQ(from.display_name, "J Rosenberg \\\\\\\"");
  EXPECT_EQ(from.tag, "98asjd8");
  std::vector<Via> vias;
  ASSERT_FALSE(AllVias(m, &vias));
  ASSERT_EQ(vias.size(), 3u);
  EXPECT_EQ(vias[0].transport, "UDP");
  EXPECT_EQ(vias[0].host, "192.0.2.2");
  EXPECT_EQ(vias[0].branch, "390skdjuw");
  EXPECT_EQ(vias[1].transport, "TCP");
  EXPECT_EQ(vias[1].host, "spindle.example.com");
  EXPECT_EQ(vias[1].branch, "z9hG4bK9ikj8");
  EXPECT_EQ(vias[2].host, "192.168.255.111");
  EXPECT_EQ(vias[2].branch, "z9hG4bK30239");
  std::vector<NameAddr> contacts;
  ASSERT_FALSE(ParseNameAddrList(m.Find(HeaderId::kContact)->value, &contacts, m.input));
  ASSERT_EQ(contacts.size(), 1u);
  Param q;
  ASSERT_TRUE(contacts[0].params.Find("q", &q));
  EXPECT_EQ(q.value, "0.33");
  EXPECT_TRUE(contacts[0].params.Has("secondparam"));
  CSeq cseq;
  ASSERT_FALSE(ParseCSeq(m.Find(HeaderId::kCSeq)->value, &cseq, m.input));
  EXPECT_EQ(cseq.number, 9u);  // "0009"
  EXPECT_EQ(cseq.method, "INVITE");
  int mf = 0;
  ASSERT_FALSE(ParseMaxForwards(m.Find(HeaderId::kMaxForwards)->value, &mf, m.input));
  EXPECT_EQ(mf, 68);
  EXPECT_EQ(m.body.size(), 150u);
  EXPECT_NE(m.Find("NewFangledHeader"), nullptr);
}

// mpart01: a binary body with NULs is carried exactly, by Content-Length.
TEST(SipTorture, Mpart01BinaryBody) {
  const std::string d = ReadFile(CorpusPath("rfc4475/mpart01.dat"));
  Message m;
  ASSERT_FALSE(Parse(d, Framing::kDatagram, &m));
  EXPECT_EQ(static_cast<std::int64_t>(m.body.size()), m.content_length);
  EXPECT_NE(m.body.find('\0'), std::string_view::npos);
}

// inv2543: without Content-Length, a datagram's body is the rest of it.
TEST(SipTorture, Inv2543BodyIsRestOfDatagram) {
  const std::string d = ReadFile(CorpusPath("rfc4475/inv2543.dat"));
  Message m;
  ASSERT_FALSE(Parse(d, Framing::kDatagram, &m));
  EXPECT_EQ(m.content_length, -1);
  EXPECT_EQ(m.size, d.size());
  EXPECT_EQ(m.body.substr(0, 4), "v=0\r");
  Message s;
  const ParseError e = Parse(d, Framing::kStream, &s);
  ASSERT_TRUE(e);
  EXPECT_NE(std::string(e.reason).find("missing Content-Length"), std::string::npos);
}

// intmeth: a NUL inside a quoted-pair is legal; a NUL elsewhere is not.
TEST(SipTorture, IntmethQuotedNulOnly) {
  const std::string d = ReadFile(CorpusPath("rfc4475/intmeth.dat"));
  Message m;
  ASSERT_FALSE(Parse(d, Framing::kDatagram, &m));
  EXPECT_EQ(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  std::string bad = d;
  const std::size_t at = bad.find("Call-ID: ") + 10;
  bad[at] = '\0';
  const ParseError e = Parse(bad, Framing::kDatagram, &m);
  ASSERT_TRUE(e);
  EXPECT_STREQ(e.reason, "NUL byte in header field");
  EXPECT_EQ(e.line, 5u);
  EXPECT_EQ(e.column, 11u);
}

// esc01 / escnull / esc02: escapes are kept as written and decode on request.
TEST(SipTorture, EscapedUris) {
  Message m;
  const std::string esc01 = ReadFile(CorpusPath("rfc4475/esc01.dat"));
  ASSERT_FALSE(Parse(esc01, Framing::kDatagram, &m));
  Uri ruri;
  ASSERT_FALSE(ParseUri(m.request_uri, &ruri));
  std::string user;
  ASSERT_FALSE(Unescape(ruri.user, &user));
  EXPECT_EQ(user, "sips:user@example.com");
  NameAddr to;
  ASSERT_FALSE(ParseNameAddr(m.Find(HeaderId::kTo)->value, &to));
  Uri tu;
  ASSERT_FALSE(ParseUri(to.uri, &tu));
  user.clear();
  ASSERT_FALSE(Unescape(tu.user, &user));
  EXPECT_EQ(user, "user");
  std::vector<NameAddr> contacts;
  ASSERT_FALSE(ParseNameAddrList(m.Find(HeaderId::kContact)->value, &contacts));
  Uri cu;
  ASSERT_FALSE(ParseUri(contacts.at(0).uri, &cu));
  Param p;
  ASSERT_TRUE(cu.params.Find("n%61me", &p));
  std::string v;
  ASSERT_FALSE(Unescape(p.value, &v));
  EXPECT_EQ(v, "value%41");

  const std::string escnull = ReadFile(CorpusPath("rfc4475/escnull.dat"));
  ASSERT_FALSE(Parse(escnull, Framing::kDatagram, &m));
  ASSERT_FALSE(ParseNameAddr(m.Find(HeaderId::kTo)->value, &to));
  ASSERT_FALSE(ParseUri(to.uri, &tu));
  user.clear();
  ASSERT_FALSE(Unescape(tu.user, &user));
  EXPECT_EQ(user, std::string("null-\0-null", 11));

  const std::string esc02 = ReadFile(CorpusPath("rfc4475/esc02.dat"));
  ASSERT_FALSE(Parse(esc02, Framing::kDatagram, &m));
  EXPECT_EQ(m.method, "RE%47IST%45R");
  EXPECT_EQ(m.Count(HeaderId::kContact), 2u);  // "C%6Fntact" is an unknown field
  EXPECT_NE(m.Find("C%6Fntact"), nullptr);
  Via via;
  ASSERT_FALSE(TopVia(m, &via));
  EXPECT_EQ(via.branch, "z9hG4bK209%fzsnel234");
}

// RFC 5118: IPv6 references in URIs and Via, with and without ports.
TEST(SipTorture, Rfc5118Ipv6Fields) {
  Message m;
  const std::string good = ReadFile(CorpusPath("rfc5118/port-unambiguous"));
  ASSERT_FALSE(Parse(good, Framing::kDatagram, &m));
  Uri u;
  ASSERT_FALSE(ParseUri(m.request_uri, &u));
  EXPECT_EQ(u.host, "[2001:db8::10]");
  EXPECT_EQ(u.host_kind, HostKind::kIPv6);
  EXPECT_EQ(u.port, 5070);
  const std::string amb = ReadFile(CorpusPath("rfc5118/port-ambiguous"));
  ASSERT_FALSE(Parse(amb, Framing::kDatagram, &m));
  ASSERT_FALSE(ParseUri(m.request_uri, &u));
  EXPECT_EQ(u.host, "[2001:db8::10:5070]");
  EXPECT_EQ(u.port, -1);
  const std::string nodelim = ReadFile(CorpusPath("rfc5118/via-received-param-no-delim"));
  ASSERT_FALSE(Parse(nodelim, Framing::kDatagram, &m));
  Via via;
  ASSERT_FALSE(TopVia(m, &via));
  EXPECT_EQ(via.host, "[2001:db8::9:1]");
  EXPECT_EQ(via.received, "2001:db8::9:255");
  const std::string delim = ReadFile(CorpusPath("rfc5118/via-received-param-with-delim"));
  ASSERT_FALSE(Parse(delim, Framing::kDatagram, &m));
  ASSERT_FALSE(TopVia(m, &via));
  EXPECT_EQ(via.received, "[2001:db8::9:255]");
  const std::string mapped = ReadFile(CorpusPath("rfc5118/ipv4-mapped-ipv6"));
  ASSERT_FALSE(Parse(mapped, Framing::kDatagram, &m));
  ASSERT_FALSE(TopVia(m, &via));
  EXPECT_EQ(via.host, "[::ffff:192.0.2.10]");
  EXPECT_EQ(via.port, 19823);
}

}  // namespace
}  // namespace sipim::sip
