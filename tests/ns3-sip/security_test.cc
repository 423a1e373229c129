// The simulation's security (SipImSecurity in the UA): the bytes on the
// wire are the real output of models/security, the CPU charged is the
// calibrated cost of the same operation, and a message that does not open
// fails its IM with a traced reason.
#include <gtest/gtest.h>

#include <map>

#include "msrp/msrp.h"
#include "ns3/boolean.h"
#include "ns3/pointer.h"
#include "ns3/uinteger.h"
#include "ns3/ppp-header.h"
#include "ns3/sip/sip-im-security.h"
#include "ns3/sip/sip-internal.h"
#include "sdp/sdp.h"
#include "security/mikey_codec.h"
#include "sip/headers.h"
#include "sip/stream_framer.h"
#include "testbed.h"

using namespace ns3;
using sipim_test::Testbed;
namespace sec = sipim::security;

namespace {

const std::string kText = "Dinner at eight? The quick brown fox says yes, if the S/MIME works.";

// The committed calibration, loaded into every node's CPU.
Ptr<CpuCalibration> LoadCalibration() {
  Ptr<CpuCalibration> cal = Create<CpuCalibration>();
  std::string err;
  EXPECT_TRUE(cal->LoadDirectory(std::string(SIPIM_SOURCE_DIR) + "/results/calibration", &err)) << err;
  return cal;
}

Ptr<SipImSecurity> Security(const std::string& mode, int mikeyMode = 2, int smimeAlg = 0) {
  Ptr<SipImSecurity> s = CreateObject<SipImSecurity>();
  s->SetAttribute("Mode", EnumValue(mode == "smime" ? kSecuritySmime : kSecurityMikey));
  s->SetAttribute("MikeyMode", EnumValue(mikeyMode));
  s->SetAttribute("SmimeAlgorithm", EnumValue(smimeAlg));
  return s;
}

// Every UA of the testbed protected by `s`, every node charged from `cal`.
void Secure(Testbed& tb, Ptr<SipImSecurity> s, Ptr<CpuCalibration> cal = nullptr) {
  tb.dan->SetAttribute("Security", PointerValue(s));
  tb.shirley->SetAttribute("Security", PointerValue(s));
  if (cal)
    for (std::uint32_t i = 0; i < tb.nodes.GetN(); ++i) NodeCpu::GetOrCreate(tb.nodes.Get(i))->SetCalibration(cal);
}

// TCP payload received by `dev` to or from `port`.
void SniffTcpPort(Ptr<NetDevice> dev, std::uint16_t port, std::string* out) {
  dev->TraceConnectWithoutContext("MacRx", Callback<void, Ptr<const Packet>>([port, out](Ptr<const Packet> p) {
                                    Ptr<Packet> c = p->Copy();
                                    const Ipv4Header ip = sipim_test::RemoveLinkAndIpHeaders(c);
                                    if (ip.GetProtocol() != 6 || ip.GetFragmentOffset() != 0) return;
                                    TcpHeader tcp;
                                    c->RemoveHeader(tcp);
                                    if (tcp.GetSourcePort() != port && tcp.GetDestinationPort() != port) return;
                                    std::string bytes(c->GetSize(), '\0');
                                    c->CopyData(reinterpret_cast<std::uint8_t*>(&bytes[0]), c->GetSize());
                                    out->append(bytes);
                                  }));
}

// The SIP messages of a captured stream, as owned copies.
std::vector<std::string> Frames(const std::string& stream) {
  sipim::sip::StreamFramer framer;
  framer.Append(stream);
  sipim::sip::Message m;
  sipim::ParseError err;
  std::vector<std::string> out;
  while (framer.Next(&m, &err) == sipim::sip::StreamFramer::Status::kMessage) out.emplace_back(m.raw);
  return out;
}

struct Parsed {
  std::string raw;
  sipim::sip::Message m;
  explicit Parsed(std::string r) : raw(std::move(r)) {
    EXPECT_FALSE(sipim::sip::Parse(raw, sipim::sip::Framing::kDatagram, &m));
  }
  std::string Header(sipim::sip::HeaderId id) const {
    const sipim::sip::Header* h = m.Find(id);
    return h ? std::string(h->value) : std::string();
  }
};

// Crypto events by operation, and the node CPU's busy time not spent parsing.
struct CryptoLog {
  std::vector<SipCryptoEvent> events;
  void Attach(Ptr<SipImSecurity> s) {
    s->TraceConnectWithoutContext("Crypto", Callback<void, const SipCryptoEvent&>(
                                                [this](const SipCryptoEvent& ev) { events.push_back(ev); }));
  }
  std::vector<SipCryptoEvent> Of(SipCryptoOp op) const {
    std::vector<SipCryptoEvent> v;
    for (const auto& e : events)
      if (e.op == op) v.push_back(e);
    return v;
  }
};

// Parse time charged at node `id` (the Rx events carry it).
Time ParseTime(std::uint32_t id, const std::vector<SipWireEvent>& rx) {
  Time t;
  for (const auto& ev : rx)
    if (ev.nodeId == id) t += ev.cpu;
  return t;
}

// Dan sends `text` in pager mode protected by `s`; returns the SIP
// messages Shirley received over TCP (the S/MIME MESSAGE is over 1300
// bytes: RFC 3261 18.1.1 moves it to TCP).
std::vector<std::string> PagerToShirley(Testbed& tb, Ptr<SipImSecurity> s, const std::string& text) {
  Secure(tb, s);
  tb.Record();
  auto toShirley = std::make_shared<std::string>();
  SniffTcpPort(tb.links[2].Get(1), 5060, toShirley.get());
  Simulator::Schedule(Seconds(1), [&tb, text]() { tb.dan->SendIm("shirley@office.com", text, SipImMode::kPager); });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  return Frames(*toShirley);
}

// SmimeReceive of a body at Shirley, with her key and the CA of `alg`.
sec::Result<sec::Received> OpenAtShirley(Ptr<SipImSecurity> s, sec::KeyAlg alg, const Parsed& msg) {
  sec::ReceiveContext ctx;
  ctx.me = s->GetIdentity(alg, "sip:shirley@office.com");
  ctx.trust = s->GetTrust(alg);
  ctx.from_aor = "sip:dan@home.com";
  EXPECT_NE(ctx.me, nullptr);
  if (!ctx.me) return sec::MakeError(sec::Errc::kNotRecipient, "no identity");
  return sec::SmimeReceive(msg.Header(sipim::sip::HeaderId::kContentType), msg.m.body, ctx);
}

void RecordRx(Testbed& tb, std::vector<SipWireEvent>* rx) {
  auto sink = Callback<void, const SipWireEvent&>([rx](const SipWireEvent& ev) { rx->push_back(ev); });
  tb.dan->TraceConnectWithoutContext("Rx", sink);
  tb.shirley->TraceConnectWithoutContext("Rx", sink);
}

}  // namespace

// Pager + S/MIME: the MESSAGE Shirley receives carries an
// application/pkcs7-mime body that models/security's SmimeReceive, given
// exactly those bytes, Shirley's key and the CA, opens to the text Dan sent,
// signed by Dan. Delivery reports the plain text's size. (With the body
// sent as plain text, or built by anything but SmimeSignAndEncrypt to
// Shirley's certificate, SmimeReceive fails and so does this test.)
TEST(Security, PagerWireBodyIsRealSmime) {
  Testbed tb;
  Ptr<SipImSecurity> s = Security("smime");
  const std::vector<std::string> frames = PagerToShirley(tb, s, kText);
  ASSERT_EQ(frames.size(), 1u);
  Parsed msg(frames[0]);
  EXPECT_EQ(msg.m.method, "MESSAGE");
  const std::string ctype = msg.Header(sipim::sip::HeaderId::kContentType);
  EXPECT_EQ(ctype.rfind("application/pkcs7-mime", 0), 0u) << ctype;
  EXPECT_NE(ctype.find("smime-type=authEnveloped-data"), std::string::npos) << ctype;
  EXPECT_GT(msg.m.body.size(), 2000u);
  EXPECT_EQ(std::string(msg.m.body).find("quick brown fox"), std::string::npos);  // encrypted
  auto got = OpenAtShirley(s, sec::KeyAlg::kRsa2048, msg);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->body, kText);
  EXPECT_TRUE(got->was_signed && got->was_encrypted);
  EXPECT_EQ(got->signer_aor, "sip:dan@home.com");
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_EQ(tb.deliveries[0].bodyBytes, kText.size());
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
}

// P-256 S/MIME: the body is a KeyAgreeRecipientInfo AuthEnvelopedData that
// opens the same way; shorter than RSA's.
TEST(Security, PagerP256BodyOpens) {
  Testbed tb;
  Ptr<SipImSecurity> s = Security("smime", 2, 1);
  const std::vector<std::string> frames = PagerToShirley(tb, s, kText);
  ASSERT_EQ(frames.size(), 1u);
  Parsed msg(frames[0]);
  auto got = OpenAtShirley(s, sec::KeyAlg::kP256, msg);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->body, kText);
  EXPECT_LT(msg.m.body.size(), 1600u);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
}

// The CPU charged for S/MIME is the calibration's cost of the operation at
// the plain text's size: Dan's node is busy for its parse jobs plus exactly
// smime_sign_encrypt,rsa2048-aes128gcm-r1 at 67 bytes, Shirley's for its
// parse jobs plus smime_decrypt_verify. (Charged at the S/MIME body's size,
// or not queued on the node at all, the busy times differ.) The delivery
// waits for the decryption: the IM arrives after the verify cost.
TEST(Security, PagerCpuIsCalibratedCost) {
  Testbed tb;
  Ptr<CpuCalibration> cal = LoadCalibration();
  Ptr<SipImSecurity> s = Security("smime");
  Secure(tb, s, cal);
  tb.Record();
  CryptoLog log;
  log.Attach(s);
  std::vector<SipWireEvent> rx;
  RecordRx(tb, &rx);
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", kText, SipImMode::kPager); });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  const Time sign = *cal->Cost("smime_sign_encrypt", "rsa2048-aes128gcm-r1", kText.size());
  const Time verify = *cal->Cost("smime_decrypt_verify", "rsa2048-aes128gcm-r1", kText.size());
  EXPECT_GT(sign, MicroSeconds(100));
  ASSERT_EQ(log.Of(SipCryptoOp::kSmimeSignEncrypt).size(), 1u);
  ASSERT_EQ(log.Of(SipCryptoOp::kSmimeDecryptVerify).size(), 1u);
  EXPECT_EQ(log.Of(SipCryptoOp::kSmimeSignEncrypt)[0].cost, sign);
  EXPECT_EQ(log.Of(SipCryptoOp::kSmimeDecryptVerify)[0].cost, verify);
  const std::uint32_t danId = tb.nodes.Get(0)->GetId(), shirleyId = tb.nodes.Get(3)->GetId();
  EXPECT_EQ(NodeCpu::GetOrCreate(tb.nodes.Get(0))->GetBusyTime(), ParseTime(danId, rx) + sign);
  EXPECT_EQ(NodeCpu::GetOrCreate(tb.nodes.Get(3))->GetBusyTime(), ParseTime(shirleyId, rx) + verify);
  EXPECT_EQ(NodeCpu::GetOrCreate(tb.nodes.Get(0))->GetUncalibratedJobs(), 0u);
  ASSERT_EQ(tb.deliveries.size(), 1u);
  // The MESSAGE left Dan `sign` after SendIm.
  double messageSent = -1;
  for (const auto& r : tb.tx)
    if (r.node == "dan" && r.type == "MESSAGE") messageSent = r.time;
  EXPECT_DOUBLE_EQ(messageSent, 1.0 + sign.GetSeconds());
}

// SmimeCertCache: Shirley keeps Dan's certificate once it has verified it,
// so of three IMs from Dan the first is received at the full cost
// (certificate parsed, chain checked: smime_decrypt_verify ...-r1) and the
// next two at the cached row's (...-r1-cached), each charged exactly the
// calibration's cost; all three are delivered. Without the cache all three
// pay the full cost. (Charging the cached row for the first receive, or
// never, fails this test.)
TEST(Security, PagerCertCacheChargesTheCachedRowForARepeatSender) {
  for (const bool cache : {true, false}) {
    Testbed tb;
    Ptr<CpuCalibration> cal = LoadCalibration();
    Ptr<SipImSecurity> s = Security("smime");
    s->SetAttribute("SmimeCertCache", BooleanValue(cache));
    Secure(tb, s, cal);
    tb.Record();
    CryptoLog log;
    log.Attach(s);
    for (int i = 0; i < 3; ++i) {
      Simulator::Schedule(Seconds(1 + i), [&tb]() { tb.dan->SendIm("shirley@office.com", kText, SipImMode::kPager); });
    }
    Simulator::Stop(Seconds(8));
    Simulator::Run();
    EXPECT_EQ(tb.deliveries.size(), 3u) << "cache " << cache;
    const auto full = log.Of(SipCryptoOp::kSmimeDecryptVerify);
    const auto cached = log.Of(SipCryptoOp::kSmimeDecryptVerifyCached);
    ASSERT_EQ(full.size(), cache ? 1u : 3u) << "cache " << cache;
    ASSERT_EQ(cached.size(), cache ? 2u : 0u) << "cache " << cache;
    const Time fullCost = *cal->Cost("smime_decrypt_verify", "rsa2048-aes128gcm-r1", kText.size());
    const Time cachedCost = *cal->Cost("smime_decrypt_verify", "rsa2048-aes128gcm-r1-cached", kText.size());
    EXPECT_LT(cachedCost, fullCost);
    for (const auto& e : full) EXPECT_EQ(e.cost, fullCost);
    for (const auto& e : cached) EXPECT_EQ(e.cost, cachedCost);
    if (cache) {
      EXPECT_LT(full[0].attr.id, cached[0].attr.id);  // the first IM paid in full
    }
  }
}

namespace {

// Dan sends one IM in `mode` with `tamper` on: it is never delivered, its
// outcome is failed kSecurity, and the receiving end traced a Drop kSecurity.
void ExpectRefused(Testbed& tb, Ptr<SipImSecurity> s, std::uint8_t tamper, SipImMode mode) {
  Secure(tb, s);
  s->SetTamperForTest(tamper);
  tb.Record();
  Simulator::Schedule(Seconds(1), [&tb, mode]() { tb.dan->SendIm("shirley@office.com", kText, mode); });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  EXPECT_TRUE(tb.deliveries.empty());
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kFailed);
  EXPECT_EQ(tb.outcomes[0].reason, SipFailReason::kSecurity);
  bool dropped = false;
  for (const auto& d : tb.drops) dropped |= d.reason == SipDropReason::kSecurity;
  EXPECT_TRUE(dropped);
}

}  // namespace

// A body that does not decrypt (one ciphertext byte flipped in transit, by
// the test hook) is never delivered: Shirley answers 493, traces a Drop
// kSecurity, and Dan's IM fails kSecurity with status 493.
TEST(Security, PagerTamperedBodyFails493) {
  Testbed tb;
  ExpectRefused(tb, Security("smime"), SipImSecurity::kTamperSmime, SipImMode::kPager);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].status, 493);
}

namespace {

// Dan sends kText to Shirley in a session of `mode` protected by S/MIME
// (`s`), every node charged from the committed calibration; `media` gets
// the session's bytes as Shirley receives them (not port 5060). The IM is
// delivered once, with the text's size.
void SmimeSession(Testbed& tb, Ptr<SipImSecurity> s, Ptr<CpuCalibration> cal, SipImMode mode, std::string* media,
                  CryptoLog* log, std::vector<SipWireEvent>* rx) {
  Secure(tb, s, cal);
  tb.Record();
  log->Attach(s);
  RecordRx(tb, rx);
  sipim_test::SniffTcp(tb.links[2].Get(1), 5060, media);
  Simulator::Schedule(Seconds(1), [&tb, mode]() { tb.dan->SendIm("shirley@office.com", kText, mode); });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered) << ToString(tb.outcomes[0].reason);
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_EQ(tb.deliveries[0].bodyBytes, kText.size());
}

// The S/MIME costs of one IM: Dan charged exactly smime_sign_encrypt and
// Shirley smime_decrypt_verify at the text's size (pager mode's rows and
// sizes), each node busy for its parse jobs plus that and nothing else.
// (`chunked`: Shirley's node is not charged the parse of an MSRP chunk
// that does not complete its message, though its Rx event names the cost,
// as before S/MIME; so her busy time is at most that.)
void ExpectSmimeCosts(Testbed& tb, Ptr<CpuCalibration> cal, const CryptoLog& log, const std::vector<SipWireEvent>& rx) {
  const Time sign = *cal->Cost("smime_sign_encrypt", "rsa2048-aes128gcm-r1", kText.size());
  const Time verify = *cal->Cost("smime_decrypt_verify", "rsa2048-aes128gcm-r1", kText.size());
  ASSERT_EQ(log.Of(SipCryptoOp::kSmimeSignEncrypt).size(), 1u);
  ASSERT_EQ(log.Of(SipCryptoOp::kSmimeDecryptVerify).size(), 1u);
  EXPECT_EQ(log.Of(SipCryptoOp::kSmimeSignEncrypt)[0].bytes, kText.size());
  EXPECT_EQ(log.Of(SipCryptoOp::kSmimeSignEncrypt)[0].cost, sign);
  EXPECT_EQ(log.Of(SipCryptoOp::kSmimeDecryptVerify)[0].bytes, kText.size());
  EXPECT_EQ(log.Of(SipCryptoOp::kSmimeDecryptVerify)[0].cost, verify);
  const std::uint32_t danId = tb.nodes.Get(0)->GetId(), shirleyId = tb.nodes.Get(3)->GetId();
  EXPECT_EQ(NodeCpu::GetOrCreate(tb.nodes.Get(0))->GetBusyTime(), ParseTime(danId, rx) + sign);
  // Every message Shirley parsed, each chunk of a chunked MSRP body too, is charged.
  EXPECT_EQ(NodeCpu::GetOrCreate(tb.nodes.Get(3))->GetBusyTime(), ParseTime(shirleyId, rx) + verify);
  EXPECT_EQ(NodeCpu::GetOrCreate(tb.nodes.Get(3))->GetUncalibratedJobs(), 0u);
}

}  // namespace

// S/MIME in a stripped session: the one stripped MESSAGE on the session's
// connection carries an application/pkcs7-mime body that models/security's
// SmimeReceive, given exactly those bytes, Shirley's key and the CA, opens
// to Dan's text, signed by Dan; the IM is delivered with the text's size;
// the CPU charged is the calibration's, as in pager mode. (A plain-text
// body, or costs charged at the body's size, fail this test.)
TEST(Security, SessionStrippedSmimeBodyOpensAtCalibratedCost) {
  Testbed tb;
  Ptr<CpuCalibration> cal = LoadCalibration();
  Ptr<SipImSecurity> s = Security("smime");
  std::string media;
  CryptoLog log;
  std::vector<SipWireEvent> rx;
  SmimeSession(tb, s, cal, SipImMode::kSessionStripped, &media, &log, &rx);
  const std::vector<std::string> frames = Frames(media);
  ASSERT_EQ(frames.size(), 1u);
  Parsed msg(frames[0]);
  EXPECT_EQ(msg.m.method, "MESSAGE");
  EXPECT_EQ(msg.m.Find(sipim::sip::HeaderId::kVia), nullptr);  // still stripped
  const std::string ctype = msg.Header(sipim::sip::HeaderId::kContentType);
  EXPECT_EQ(ctype.rfind("application/pkcs7-mime", 0), 0u) << ctype;
  EXPECT_GT(msg.m.body.size(), 2000u);
  auto got = OpenAtShirley(s, sec::KeyAlg::kRsa2048, msg);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->body, kText);
  EXPECT_EQ(got->signer_aor, "sip:dan@home.com");
  ExpectSmimeCosts(tb, cal, log, rx);
}

// S/MIME in an MSRP session with MsrpChunkSize 1024: the ~2.2 KB S/MIME
// body goes as several SEND chunks of one Message-ID; their bodies in order
// are exactly an application/pkcs7-mime body that SmimeReceive opens to
// Dan's text; the IM is delivered once with the text's size, at the
// calibrated costs. (Chunking before signing, or a body not reassembled
// before it is opened, fails this test.)
TEST(Security, SessionMsrpSmimeBodyChunksAndOpensAtCalibratedCost) {
  Testbed tb;
  tb.dan->SetAttribute("MsrpChunkSize", UintegerValue(1024));
  tb.shirley->SetAttribute("MsrpChunkSize", UintegerValue(1024));
  Ptr<CpuCalibration> cal = LoadCalibration();
  Ptr<SipImSecurity> s = Security("smime");
  std::string media;
  CryptoLog log;
  std::vector<SipWireEvent> rx;
  SmimeSession(tb, s, cal, SipImMode::kSessionMsrp, &media, &log, &rx);
  sipim::msrp::StreamParser ps;
  std::string body, ctype, mid;
  int sends = 0;
  ps.FeedAll(media, [&](const sipim::msrp::Message& m) {
    // Not the IM's: responses, and the bodiless SEND that opens a connection.
    if (!m.is_request || m.method != sipim::msrp::Method::kSend || !m.has_body) return;
    ++sends;
    if (mid.empty()) mid = std::string(m.message_id);
    EXPECT_EQ(m.message_id, mid);
    if (!m.content_type.empty()) ctype = std::string(m.content_type);
    body.append(m.body);
  });
  EXPECT_GE(sends, 3);
  EXPECT_EQ(ctype.rfind("application/pkcs7-mime", 0), 0u) << ctype;
  EXPECT_GT(body.size(), 2000u);
  sec::ReceiveContext ctx;
  ctx.me = s->GetIdentity(sec::KeyAlg::kRsa2048, "sip:shirley@office.com");
  ctx.trust = s->GetTrust(sec::KeyAlg::kRsa2048);
  ctx.from_aor = "sip:dan@home.com";
  ctx.require_signature = true;
  auto got = sec::SmimeReceive(ctype, body, ctx);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->body, kText);
  ExpectSmimeCosts(tb, cal, log, rx);
}

// A stripped-session S/MIME body that does not decrypt (a ciphertext byte
// flipped by the test hook) is never delivered: Shirley traces a Drop
// kSecurity and answers 493 on the session, and Dan's IM fails kSecurity
// with status 493 when that answer arrives. (Accepting the body, dropping
// it without an answer, or failing the IM without the 493 fails this test.)
TEST(Security, SessionStrippedTamperedSmimeIsAnswered493) {
  Testbed tb;
  ExpectRefused(tb, Security("smime"), SipImSecurity::kTamperSmime, SipImMode::kSessionStripped);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].status, 493);
  int answered = 0;
  for (const auto& r : tb.tx) answered += r.node == "shirley" && r.type == "493" && r.attrId == tb.outcomes[0].imId;
  EXPECT_EQ(answered, 1);
}

// The same in an MSRP session: RFC 4975 has no 493, so Shirley answers with
// a failure REPORT for the IM's Message-ID with Status 000 400 (see
// MsrpFailureReport in the UA for why 400), and Dan's IM fails kSecurity
// with status 400 when it arrives. With Failure-Report: no (the sender
// asked for no reports) no REPORT is sent and the IM still fails
// kSecurity, by the simulation's bookkeeping.
TEST(Security, SessionMsrpTamperedSmimeIsAFailureReport400) {
  for (const bool reports : {true, false}) {
    Testbed tb;
    tb.dan->SetAttribute("MsrpFailureReport", BooleanValue(reports));
    std::string toDan;  // the session's bytes as Dan receives them
    sipim_test::SniffTcp(tb.links[0].Get(0), 5060, &toDan);
    ExpectRefused(tb, Security("smime"), SipImSecurity::kTamperSmime, SipImMode::kSessionMsrp);
    ASSERT_EQ(tb.outcomes.size(), 1u);
    EXPECT_EQ(tb.outcomes[0].status, reports ? 400 : 0);
    int reported = 0;
    for (const auto& r : tb.tx)
      reported += r.node == "shirley" && r.type == "MSRP-REPORT" && r.attrId == tb.outcomes[0].imId;
    EXPECT_EQ(reported, reports ? 1 : 0);
    // On the wire: a REPORT with Status 000 400 for the IM's Message-ID.
    int failureReports = 0;
    sipim::msrp::StreamParser ps;
    ps.FeedAll(toDan, [&](const sipim::msrp::Message& m) {
      if (!m.is_request || m.method != sipim::msrp::Method::kReport) return;
      ++failureReports;
      EXPECT_TRUE(m.has_status);
      EXPECT_EQ(m.status.code, 400);
      const SipAttribution named = sipns3::ParseAttributedId(m.message_id);
      EXPECT_EQ(named.kind, SipAttributionKind::kIm);
      EXPECT_EQ(named.id, tb.outcomes[0].imId);
    });
    EXPECT_EQ(failureReports, reports ? 1 : 0);
  }
}

namespace {

// Session + MIKEY: both ends derive the same keys, the INVITE carries the
// real I_MESSAGE, and every stripped MESSAGE on the wire is a frame that
// opens with the receiver's key (and not with a wrong one).
void CheckStrippedSession(int mikeyMode) {
  Testbed tb;
  Ptr<CpuCalibration> cal = LoadCalibration();
  Ptr<SipImSecurity> s = Security("mikey", mikeyMode);
  Secure(tb, s, cal);
  tb.Record();
  CryptoLog log;
  log.Attach(s);
  std::string media, signalling;
  sipim_test::SniffTcp(tb.links[2].Get(1), 5060, &media);
  SniffTcpPort(tb.links[2].Get(1), 5060, &signalling);
  Simulator::Schedule(Seconds(1), [&]() {
    tb.dan->SendIm("shirley@office.com", kText, SipImMode::kSessionStripped);
    tb.dan->SendIm("shirley@office.com", "second", SipImMode::kSessionStripped);
  });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  ASSERT_EQ(tb.outcomes.size(), 2u);
  for (const auto& o : tb.outcomes) EXPECT_EQ(o.outcome, SipImOutcome::kDelivered) << ToString(o.reason);
  ASSERT_EQ(tb.deliveries.size(), 2u);
  EXPECT_EQ(tb.deliveries[0].bodyBytes, kText.size());
  // Both ends derived the same keys, each direction its own.
  const auto& keys = s->KeyLogForTest();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_NE(keys[0].initiator, keys[1].initiator);
  EXPECT_EQ(keys[0].i2r.tek, keys[1].i2r.tek);
  EXPECT_EQ(keys[0].i2r.salt, keys[1].i2r.salt);
  EXPECT_EQ(keys[0].r2i.tek, keys[1].r2i.tek);
  EXPECT_NE(keys[0].i2r.tek, keys[0].r2i.tek);
  // The frames on the wire open with the initiator-to-responder key, in order.
  std::vector<std::string> frames = Frames(media);
  ASSERT_EQ(frames.size(), 2u);
  auto rx = sec::SealSession::Create(sec::SealSuite::kAes128Gcm, keys[0].i2r);
  ASSERT_TRUE(rx.ok());
  sec::SessionKeys wrongKeys = keys[0].i2r;
  wrongKeys.tek[0] ^= 1;
  auto wrong = sec::SealSession::Create(sec::SealSuite::kAes128Gcm, wrongKeys);
  const std::vector<std::string> texts = {kText, "second"};
  for (std::size_t k = 0; k < frames.size(); ++k) {
    Parsed m(frames[k]);
    EXPECT_EQ(m.Header(sipim::sip::HeaderId::kContentType), "application/x-sipim-sealed");
    EXPECT_EQ(m.m.body.size(), texts[k].size() + sec::SealOverhead(sec::SealSuite::kAes128Gcm));
    const std::string_view header = m.m.raw.substr(0, m.m.raw.size() - m.m.body.size());
    std::string plain;
    EXPECT_FALSE(wrong->Open(header, m.m.body, plain).ok());
    ASSERT_TRUE(rx->Open(header, m.m.body, plain).ok());
    EXPECT_EQ(plain, texts[k]);
  }
  // The INVITE Shirley got carries a=key-mgmt:mikey with an I_MESSAGE of the mode.
  bool sawInvite = false;
  for (const std::string& f : Frames(signalling)) {
    Parsed m(f);
    if (m.m.method != "INVITE") continue;
    sawInvite = true;
    sipim::sdp::SessionDescription sd;
    ASSERT_FALSE(sipim::sdp::Parse(m.m.body, &sd));
    const sipim::sdp::Attribute* km = sipim::sdp::FindAttribute(sd, sd.media[0], "key-mgmt");
    ASSERT_NE(km, nullptr);
    auto i = sec::mikey::ParseKeyMgmtValue(km->value);
    ASSERT_TRUE(i.ok());
    EXPECT_TRUE(sec::mikey::Decode(*i).ok());
  }
  if (mikeyMode == 2) {
    EXPECT_TRUE(sawInvite);  // a DH offer is over 1300 bytes: TCP
  }
  // Costs: the calibration's rows at the sizes of the real messages.
  const std::string mode = s->MikeyModeName();
  ASSERT_EQ(log.Of(SipCryptoOp::kMikeyIBuild).size(), 1u);
  ASSERT_EQ(log.Of(SipCryptoOp::kMikeyIProcess).size(), 1u);
  ASSERT_EQ(log.Of(SipCryptoOp::kMikeyRProcess).size(), 1u);
  EXPECT_EQ(log.Of(SipCryptoOp::kMikeyIBuild)[0].cost, *cal->Cost("mikey_i_build", mode, 0));
  const auto ip = log.Of(SipCryptoOp::kMikeyIProcess)[0];
  EXPECT_GT(ip.bytes, 0u);
  EXPECT_EQ(ip.cost, *cal->Cost("mikey_i_process", mode, ip.bytes));
  const auto rp = log.Of(SipCryptoOp::kMikeyRProcess)[0];
  EXPECT_EQ(rp.cost, *cal->Cost("mikey_r_process", mode, rp.bytes));
  const auto seals = log.Of(SipCryptoOp::kSeal), opens = log.Of(SipCryptoOp::kOpen);
  ASSERT_EQ(seals.size(), 2u);
  ASSERT_EQ(opens.size(), 2u);
  EXPECT_EQ(seals[0].bytes, kText.size());
  EXPECT_EQ(seals[0].cost, *cal->Cost("seal", "aes128gcm", kText.size()));
  EXPECT_EQ(opens[1].bytes, 6u);
  EXPECT_EQ(opens[1].cost, *cal->Cost("open", "aes128gcm", 6));
}

}  // namespace

TEST(Security, SessionMikeyDhKeysMatchAndFramesOpen) { CheckStrippedSession(2); }
TEST(Security, SessionMikeyPskKeysMatchAndFramesOpen) { CheckStrippedSession(0); }
TEST(Security, SessionMikeyPkeKeysMatchAndFramesOpen) { CheckStrippedSession(1); }
TEST(Security, SessionMikeyDhhmacKeysMatchAndFramesOpen) { CheckStrippedSession(3); }
TEST(Security, SessionMikeyEcdhKeysMatchAndFramesOpen) { CheckStrippedSession(4); }

// MSRP: the SEND's body is the sealed frame (framing header: the
// Message-ID), not the text; the IM is delivered with the text's size.
// RFC 4975 7.1.1: with Success-Report: yes, Shirley's success REPORT for
// an MSRP message leaves only once its body is accepted. For S/MIME and
// for MIKEY-sealed bodies: opened, one REPORT with Status 000 200 reaches
// Dan; tampered, none (only the failure REPORT 400). Before,
// the 200 went out on receipt, ahead of the check, so a refused body was
// reported both received and refused.
TEST(Security, SessionMsrpSuccessReportOnlyForAnAcceptedBody) {
  struct Case {
    const char* security;
    std::uint8_t tamper;
  };
  for (const Case c : {Case{"smime", 0}, Case{"smime", SipImSecurity::kTamperSmime}, Case{"mikey", 0},
                       Case{"mikey", SipImSecurity::kTamperSeal}}) {
    SCOPED_TRACE(std::string(c.security) + (c.tamper ? " tampered" : ""));
    Testbed tb;
    tb.dan->SetAttribute("MsrpSuccessReport", BooleanValue(true));
    std::string toDan;
    sipim_test::SniffTcp(tb.links[0].Get(0), 5060, &toDan);
    Ptr<SipImSecurity> s = Security(c.security);
    Secure(tb, s);
    s->SetTamperForTest(c.tamper);
    tb.Record();
    Simulator::Schedule(Seconds(1), [&tb]() { tb.dan->SendIm("shirley@office.com", kText, SipImMode::kSessionMsrp); });
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    EXPECT_EQ(tb.deliveries.size(), c.tamper ? 0u : 1u);
    std::map<int, int> reports;  // Status code -> REPORTs
    sipim::msrp::StreamParser ps;
    ps.FeedAll(toDan, [&](const sipim::msrp::Message& m) {
      if (m.is_request && m.method == sipim::msrp::Method::kReport) ++reports[m.has_status ? m.status.code : 0];
    });
    EXPECT_EQ(reports[200], c.tamper ? 0 : 1);
    EXPECT_EQ(reports[400], c.tamper ? 1 : 0);
    Simulator::Destroy();
  }
}

TEST(Security, SessionMsrpSendIsSealed) {
  Testbed tb;
  Ptr<SipImSecurity> s = Security("mikey", 0);
  s->SetAttribute("SealSuite", EnumValue(static_cast<int>(sec::SealSuite::kAesCmHmacSha1_80)));
  Secure(tb, s);
  tb.Record();
  std::string media;
  sipim_test::SniffTcp(tb.links[2].Get(1), 5060, &media);
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", kText, SipImMode::kSessionMsrp); });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  ASSERT_EQ(tb.deliveries.size(), 1u);
  EXPECT_EQ(tb.deliveries[0].bodyBytes, kText.size());
  ASSERT_EQ(s->KeyLogForTest().size(), 2u);
  auto rx = sec::SealSession::Create(sec::SealSuite::kAesCmHmacSha1_80, s->KeyLogForTest()[0].i2r);
  sipim::msrp::StreamParser ps;
  int sends = 0;
  ps.FeedAll(media, [&](const sipim::msrp::Message& m) {
    // Not the IM's: responses, and the bodiless SEND that opens a connection.
    if (!m.is_request || !m.has_body) return;
    ++sends;
    EXPECT_EQ(m.body.size(), kText.size() + sec::SealOverhead(sec::SealSuite::kAesCmHmacSha1_80));
    std::string plain;
    ASSERT_TRUE(rx->Open(m.message_id, m.body, plain).ok());
    EXPECT_EQ(plain, kText);
  });
  EXPECT_EQ(sends, 1);
}

// A refused MIKEY offer (its last byte flipped: the signature fails) is
// answered 488; the session fails and its IM fails kSecurity, never sent.
TEST(Security, SessionRefusedMikeyFailsIms) {
  Testbed tb;
  ExpectRefused(tb, Security("mikey", 2), SipImSecurity::kTamperMikey, SipImMode::kSessionStripped);
  bool answered488 = false;
  for (const auto& r : tb.tx) answered488 |= r.node == "shirley" && r.type == "488";
  EXPECT_TRUE(answered488);
}

// A refused MIKEY offer's 488 carries the MIKEY error message in its SDP
// (a=key-mgmt:mikey, RFC 4567), the real output of models/security:
// decoded by models/security's codec it is data type 6 (RFC 3830 5.1.2)
// with an ERR of Error no. 0, Auth failure (the tampered I_MESSAGE's SIGN,
// or PSK's KEMAC MAC, does not verify). Dan runs Initiator::ProcessR on it
// and his trace says what he learnt: signed DH, whose error message
// carries a SIGN he verifies, "peer-refused"; PSK, whose refusal (a MAC
// under the PSK that did not verify) has no V, "peer-refused-unverified".
// Shirley's node is charged the error message's build from its primitive
// row (DH: RSA-2048 sign; PSK: HMAC-SHA-1 at its size). (A 488 without the
// error message, or the caller not processing it, fails this test.)
TEST(Security, Refused488CarriesMikeyErrorMessage) {
  struct Case {
    int mikeyMode;
    const char* verdict;
    const char* row;
    const char* rowAlg;
  };
  for (const Case& k : {Case{2, "peer-refused:", "primitive_sign", "rsa2048"},
                        Case{0, "peer-refused-unverified:", "primitive_hmac-sha1", "hmac-sha1"}}) {
    SCOPED_TRACE(k.mikeyMode);
    Testbed tb;
    Ptr<CpuCalibration> cal = LoadCalibration();
    Ptr<SipImSecurity> s = Security("mikey", k.mikeyMode);
    CryptoLog log;
    log.Attach(s);
    for (std::uint32_t n = 0; n < tb.nodes.GetN(); ++n) NodeCpu::GetOrCreate(tb.nodes.Get(n))->SetCalibration(cal);
    std::string toDanTcp;
    std::vector<std::string> toDanUdp;
    SniffTcpPort(tb.links[0].Get(0), 5060, &toDanTcp);
    sipim_test::SniffUdp(tb.links[0].Get(0), &toDanUdp);
    ExpectRefused(tb, s, SipImSecurity::kTamperMikey, SipImMode::kSessionStripped);
    std::vector<std::string> frames = Frames(toDanTcp);
    frames.insert(frames.end(), toDanUdp.begin(), toDanUdp.end());
    int refusals = 0;
    for (const std::string& f : frames) {
      Parsed m(f);
      if (m.m.is_request || m.m.status_code != 488) continue;
      ++refusals;
      EXPECT_EQ(m.Header(sipim::sip::HeaderId::kContentType), "application/sdp");
      sipim::sdp::SessionDescription sd;
      ASSERT_FALSE(sipim::sdp::Parse(m.m.body, &sd));
      ASSERT_FALSE(sd.media.empty());
      const sipim::sdp::Attribute* km = sipim::sdp::FindAttribute(sd, sd.media[0], "key-mgmt");
      ASSERT_NE(km, nullptr);
      auto bytes = sec::mikey::ParseKeyMgmtValue(km->value);
      ASSERT_TRUE(bytes.ok()) << bytes.error().ToString();
      auto decoded = sec::mikey::Decode(*bytes);
      ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
      EXPECT_EQ(decoded->hdr.data_type, sec::mikey::DataType::kError);
      const sec::mikey::ErrPayload* err = decoded->Find<sec::mikey::ErrPayload>();
      ASSERT_NE(err, nullptr);
      EXPECT_EQ(err->error_no, static_cast<std::uint8_t>(sec::mikey::ErrNo::kAuthFailure));
      // Its build was charged at Shirley, from the primitive row.
      const auto built = log.Of(SipCryptoOp::kMikeyErrorBuild);
      ASSERT_EQ(built.size(), 1u);
      EXPECT_EQ(built[0].nodeId, tb.nodes.Get(3)->GetId());
      EXPECT_EQ(built[0].bytes, bytes->size());
      EXPECT_EQ(built[0].cost, *cal->Cost(k.row, k.rowAlg, bytes->size()));
    }
    EXPECT_GE(refusals, 1);
    // Dan's trace names what ProcessR made of it.
    int verdicts = 0;
    for (const auto& d : tb.drops) {
      if (d.nodeId != tb.nodes.Get(0)->GetId() || d.reason != SipDropReason::kSecurity) continue;
      ++verdicts;
      EXPECT_NE(d.detail.find(std::string("488 to the MIKEY offer: ") + k.verdict), std::string::npos) << d.detail;
      EXPECT_NE(d.detail.find("Auth failure (0)"), std::string::npos) << d.detail;
    }
    EXPECT_EQ(verdicts, 1);
  }
}

// A sealed frame that does not open (its tag altered) is not delivered: the
// recipient traces a Drop kSecurity and the sender's IM fails kSecurity.
TEST(Security, SessionTamperedFrameFails) {
  Testbed tb;
  ExpectRefused(tb, Security("mikey", 0), SipImSecurity::kTamperSeal, SipImMode::kSessionStripped);
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].status, 493);
}

// A tampered sealed frame is answered on the session as a tampered S/MIME
// body is, so the sender learns it from the wire, not from the simulation's
// bookkeeping: 493 on a stripped session, a failure REPORT with Status 000
// 400 for the IM's Message-ID on MSRP (none with Failure-Report: no; the IM
// still fails kSecurity, with status 0). Before, no answer was sent.
TEST(Security, SessionTamperedFrameIsAnswered493OrFailureReport) {
  struct Case {
    SipImMode mode;
    bool reports;
    std::uint16_t status;
  };
  for (const Case c : {Case{SipImMode::kSessionStripped, true, 493}, Case{SipImMode::kSessionMsrp, true, 400},
                       Case{SipImMode::kSessionMsrp, false, 0}}) {
    SCOPED_TRACE(std::string(ToString(c.mode)) + (c.reports ? "" : ", Failure-Report: no"));
    Testbed tb;
    tb.dan->SetAttribute("MsrpFailureReport", BooleanValue(c.reports));
    ExpectRefused(tb, Security("mikey", 0), SipImSecurity::kTamperSeal, c.mode);
    ASSERT_EQ(tb.outcomes.size(), 1u);
    EXPECT_EQ(tb.outcomes[0].status, c.status);
    int answers = 0;
    for (const auto& r : tb.tx)
      answers += r.node == "shirley" && r.attrId == tb.outcomes[0].imId && (r.type == "493" || r.type == "MSRP-REPORT");
    EXPECT_EQ(answers, c.status ? 1 : 0);
    Simulator::Destroy();
  }
}

// A forked INVITE: both of Shirley's devices verify the same I_MESSAGE,
// each against its own replay cache (a cache shared by the AOR would
// refuse the second copy as a replay: Drop kSecurity and a 488), and the
// IM is delivered once, sealed with the answering device's keys.
TEST(Security, ForkedMikeyOfferVerifiedByEveryDevice) {
  Testbed::Options o;
  o.extraShirleyDevices = 1;
  Testbed tb(o);
  Ptr<SipImSecurity> s = Security("mikey", 2);
  Secure(tb, s);
  tb.devices[0]->SetAttribute("Security", PointerValue(s));
  tb.Record();
  Simulator::Schedule(Seconds(1), [&]() { tb.dan->SendIm("shirley@office.com", kText, SipImMode::kSessionStripped); });
  Simulator::Stop(Seconds(5));
  Simulator::Run();
  for (const auto& d : tb.drops) EXPECT_NE(d.reason, SipDropReason::kSecurity) << d.detail;
  for (const auto& r : tb.tx) EXPECT_NE(r.type, "488") << r.node;
  ASSERT_EQ(tb.outcomes.size(), 1u);
  EXPECT_EQ(tb.outcomes[0].outcome, SipImOutcome::kDelivered);
  EXPECT_EQ(tb.deliveries.size(), 1u);
}

// The rows a configuration needs are named, and a calibration without one
// of them is refused with the row in the message.
TEST(Security, MissingCalibrationRowIsNamed) {
  Ptr<SipImSecurity> s = Security("smime", 2, 1);
  s->SetAttribute("SmimeCipher", EnumValue(1));
  const auto rows = s->RequiredRows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], std::make_pair(std::string("smime_sign_encrypt"), std::string("p256-aes128cbc-r1")));
  CpuCalibration cal;
  cal.Add("smime_sign_encrypt", "p256-aes128cbc-r1", 100, 1000);
  std::string err;
  EXPECT_FALSE(s->CheckCalibration(cal, &err));
  EXPECT_NE(err.find("smime_decrypt_verify, p256-aes128cbc-r1"), std::string::npos) << err;
  EXPECT_TRUE(s->CheckCalibration(*LoadCalibration(), &err)) << err;
  // The cache's row exists for GCM only: CBC with the cache is refused, naming it.
  s->SetAttribute("SmimeCertCache", BooleanValue(true));
  EXPECT_FALSE(s->CheckCalibration(*LoadCalibration(), &err));
  EXPECT_NE(err.find("smime_decrypt_verify, p256-aes128cbc-r1-cached"), std::string::npos) << err;
  Ptr<SipImSecurity> m = Security("mikey", 4);
  EXPECT_TRUE(m->CheckCalibration(*LoadCalibration(), &err)) << err;
  EXPECT_EQ(m->RequiredRows().size(), 6u);
}
