// External check: SIPp (Debian sip-tester), a real SIP traffic generator,
// exchanges MESSAGE requests and INVITE dialogs with sipim's wire core over
// real UDP sockets on loopback. SIPp parses what sipim builds, and sipim
// parses, validates and answers what SIPp builds; SIPp's exit status says
// whether every call of its scenario succeeded. Skipped, with the reason,
// only where sipp is not installed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sdp/sdp.h"
#include "sip/builder.h"
#include "sip/headers.h"
#include "sip/message.h"
#include "sip/stream_framer.h"
#include "sipp_process.h"

namespace {

using sipim::testing::Clock;
using sipim::testing::FreeUdpPort;
using sipim::testing::HaveSipp;
using sipim::testing::Sipp;
using sipim::testing::SippArgs;
using sipim::testing::UdpSocket;

const std::string& kScenarios = sipim::testing::kSippScenarios;

std::string HeaderValue(const sipim::sip::Message& m, sipim::sip::HeaderId id) {
  const sipim::sip::Header* h = m.Find(id);
  return h ? std::string(h->value) : std::string();
}

// A TCP listener on 127.0.0.1 on a port the kernel picks, and the one
// connection SIPp's -t t1 mode opens to it.
class TcpListener {
 public:
  TcpListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    const int port = sipim::testing::BindLoopback(fd_);
    if (port != 0 && ::listen(fd_, 4) == 0) port_ = port;
  }
  ~TcpListener() {
    if (conn_ >= 0) ::close(conn_);
    if (fd_ >= 0) ::close(fd_);
  }
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  bool ok() const { return port_ != 0; }
  int port() const { return port_; }
  // Accepts the connection if none yet, then reads what arrived within
  // timeout_ms into *bytes (empty when nothing did, or the peer closed).
  bool Receive(int timeout_ms, std::string* bytes) {
    bytes->clear();
    pollfd p{conn_ >= 0 ? conn_ : fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    if (conn_ < 0) {
      conn_ = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      return false;
    }
    char buf[65536];
    const ssize_t n = ::read(conn_, buf, sizeof buf);
    if (n <= 0) return false;
    bytes->assign(buf, static_cast<std::size_t>(n));
    return true;
  }
  bool Send(std::string_view bytes) {
    return conn_ >= 0 && ::write(conn_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  }

 private:
  int fd_;
  int conn_ = -1;
  int port_ = 0;
};

// sipim's side of a UAS: every message SIPp sends is parsed and validated
// (a failure is a test failure naming the bytes); each request but ACK is
// answered from the request with BuildResponse. An INVITE gets 100 Trying,
// then 200 OK with a Contact and an SDP answer made by parsing SIPp's offer
// with sipim's SDP parser and building the answer with its builder. Over
// UDP each datagram is one message; over TCP sipim's StreamFramer cuts the
// byte stream into messages.
struct Responder {
  UdpSocket udp;
  TcpListener tcp;
  bool over_tcp = false;
  std::multiset<std::string> methods;  // every request received, by method
  std::set<std::string> call_ids;
  int answered = 0;

  int port() const { return over_tcp ? tcp.port() : udp.port(); }

  void Serve(Sipp* sipp) {
    using namespace sipim::sip;
    const auto end = Clock::now() + std::chrono::seconds(25);
    StreamFramer framer;
    std::string bytes;
    int from = 0;
    while (!sipp->Exited() && Clock::now() < end) {
      if (!over_tcp) {
        if (!udp.Receive(50, &bytes, &from)) continue;
        Message request;
        if (const auto e = Parse(bytes, Framing::kDatagram, &request); e) {
          ADD_FAILURE() << "sipim cannot parse SIPp's datagram: " << e.ToString() << "\n" << bytes;
          continue;
        }
        Answer(request, [&](std::string_view out) { return udp.SendTo(out, from); });
        continue;
      }
      if (!tcp.Receive(50, &bytes)) continue;
      framer.Append(bytes);
      Message request;
      sipim::ParseError e;
      StreamFramer::Status st;
      while ((st = framer.Next(&request, &e)) == StreamFramer::Status::kMessage) {
        Answer(request, [&](std::string_view out) { return tcp.Send(out); });
      }
      if (st == StreamFramer::Status::kError) {
        ADD_FAILURE() << "sipim cannot frame SIPp's TCP stream: " << e.ToString();
        return;
      }
    }
  }

  template <typename SendFn>
  void Answer(const sipim::sip::Message& request, SendFn send) {
    using namespace sipim::sip;
    if (const auto e = Validate(request); e) {
      ADD_FAILURE() << "SIPp's message fails sipim's validation: " << e.reason << "\n" << request.raw;
      return;
    }
    if (!request.is_request) {
      ADD_FAILURE() << "SIPp sent a response to sipim's UAS:\n" << request.raw;
      return;
    }
    methods.insert(std::string(request.method));
    call_ids.insert(HeaderValue(request, HeaderId::kCallId));
    if (request.method == "ACK") return;
    const std::string tag = "sipim" + std::to_string(call_ids.size());
    const std::string contact =
        "sip:sipim@127.0.0.1:" + std::to_string(port()) + (over_tcp ? ";transport=tcp" : "");
    ResponseSpec spec;
    spec.to_tag = tag;
    std::string answer_sdp;
    if (request.method == "INVITE") {
      std::string trying;
      ResponseSpec t;
      t.status = 100;
      ASSERT_FALSE(BuildResponse(request, t, &trying));
      ASSERT_TRUE(send(trying));
      answer_sdp = SdpAnswer(request.body);
      spec.contact = contact;
      spec.content_type = "application/sdp";
      spec.body = answer_sdp;
    }
    std::string response;
    const auto e = BuildResponse(request, spec, &response);
    ASSERT_FALSE(e) << e.reason;
    ASSERT_TRUE(send(response));
    ++answered;
  }

  // SIPp's offer parsed by sipim; the answer accepts its first format.
  std::string SdpAnswer(std::string_view offer_text) {
    sipim::sdp::SessionDescription offer;
    const auto e = sipim::sdp::Parse(offer_text, &offer);
    EXPECT_FALSE(e) << "sipim cannot parse SIPp's SDP offer: " << e.ToString() << "\n" << offer_text;
    if (e || offer.media.empty()) return {};
    sipim::sdp::SessionDescription answer = offer;
    answer.origin.username = "sipim";
    answer.origin.address = "127.0.0.1";
    answer.connection = sipim::sdp::Connection{"IN", "IP4", "127.0.0.1"};
    answer.media.resize(1);
    answer.media[0].port = static_cast<std::uint16_t>(port() + 2);
    answer.media[0].formats.resize(1);
    std::string out;
    sipim::sdp::Build(answer, &out);
    return out;
  }
};

// Proves that a MESSAGE built by sipim's builder is one a real SIP
// implementation accepts: SIPp parses it, its checks find the Via branch
// cookie, the Content-Type and the body, and it answers; sipim parses
// SIPp's 200 OK and matches it to the request (Call-ID, CSeq, Via branch).
TEST(SippInterop, SippAcceptsSipimMessage) {
  if (!HaveSipp()) GTEST_SKIP() << "sipp is not installed (Debian package sip-tester)";
  const int sipp_port = FreeUdpPort();
  ASSERT_NE(sipp_port, 0);
  Sipp sipp(SippArgs(sipp_port, {"-sf", kScenarios + "message-uas.xml", "-m", "1"}));
  ASSERT_TRUE(sipp.started());

  UdpSocket socket;
  ASSERT_TRUE(socket.ok());
  const std::string request_uri = "sip:shirley@127.0.0.1:" + std::to_string(sipp_port);
  sipim::sip::RequestSpec spec;
  spec.method = "MESSAGE";
  spec.request_uri = request_uri;
  spec.via_host = "127.0.0.1";
  spec.via_port = socket.port();
  spec.branch = "z9hG4bKsipim0001";
  spec.from_uri = "sip:dan@home.com";
  spec.from_tag = "dan0001";
  spec.to_uri = "sip:shirley@office.com";
  spec.call_id = "0001@home.com";
  spec.cseq = 7;
  spec.content_type = "text/plain";
  spec.body = "hello from sipim";
  std::string message;
  ASSERT_FALSE(sipim::sip::BuildRequest(spec, &message));

  // SIPp may not listen yet: retransmit as a UAC over UDP does (Timer E).
  std::string reply;
  int from = 0;
  bool answered = false;
  for (int attempt = 0; attempt < 20 && !answered && !sipp.Exited(); ++attempt) {
    ASSERT_TRUE(socket.SendTo(message, sipp_port));
    answered = socket.Receive(500, &reply, &from);
  }
  ASSERT_TRUE(answered) << "no answer from SIPp\n" << sipp.Report();
  EXPECT_EQ(sipp.Wait(std::chrono::seconds(10)), 0) << sipp.Report();

  sipim::sip::Message response;
  const auto e = sipim::sip::Parse(reply, sipim::sip::Framing::kDatagram, &response);
  ASSERT_FALSE(e) << e.ToString() << "\n" << reply;
  EXPECT_FALSE(sipim::sip::Validate(response)) << reply;
  EXPECT_FALSE(response.is_request);
  EXPECT_EQ(response.status_code, 200);
  EXPECT_EQ(HeaderValue(response, sipim::sip::HeaderId::kCallId), "0001@home.com");
  EXPECT_EQ(HeaderValue(response, sipim::sip::HeaderId::kCSeq), "7 MESSAGE");
  sipim::sip::Via via;
  ASSERT_FALSE(sipim::sip::Validate(response, &via));
  EXPECT_EQ(via.branch, "z9hG4bKsipim0001");
  EXPECT_NE(HeaderValue(response, sipim::sip::HeaderId::kTo).find(";tag="), std::string::npos) << reply;
}

// Proves that sipim parses, validates and answers real SIPp MESSAGE traffic
// so that SIPp counts every call a success: 50 MESSAGEs, each answered with
// a 200 OK built from the request that SIPp matches (Call-ID, CSeq, Via)
// and whose To carries sipim's tag (SIPp's ereg check).
TEST(SippInterop, SipimAnswersSippMessages) {
  if (!HaveSipp()) GTEST_SKIP() << "sipp is not installed (Debian package sip-tester)";
  Responder responder;
  ASSERT_TRUE(responder.udp.ok());
  const int sipp_port = FreeUdpPort();
  Sipp sipp(SippArgs(sipp_port, {"-sf", kScenarios + "message-uac.xml", "-m", "50", "-r", "200", "-s", "shirley",
                                 "127.0.0.1:" + std::to_string(responder.port())}));
  ASSERT_TRUE(sipp.started());
  responder.Serve(&sipp);
  EXPECT_EQ(sipp.Wait(std::chrono::seconds(5)), 0) << sipp.Report();
  EXPECT_EQ(responder.call_ids.size(), 50u);
  EXPECT_GE(responder.methods.count("MESSAGE"), 50u);
}

// Proves that sipim's wire core carries a whole INVITE dialog with SIPp's
// built-in UAC (the Sipstone scenario): INVITE answered 100 then 200 with
// Contact, To tag and an SDP answer (SIPp's offer parsed by sipim's SDP
// parser), then SIPp's ACK and BYE parsed and the BYE answered. SIPp exits
// 0 only when all 10 calls complete.
TEST(SippInterop, SipimAnswersSippInviteDialogs) {
  if (!HaveSipp()) GTEST_SKIP() << "sipp is not installed (Debian package sip-tester)";
  Responder responder;
  ASSERT_TRUE(responder.udp.ok());
  const int sipp_port = FreeUdpPort();
  Sipp sipp(SippArgs(sipp_port, {"-sn", "uac", "-m", "10", "-r", "100", "-d", "10", "-s", "shirley",
                                 "127.0.0.1:" + std::to_string(responder.port())}));
  ASSERT_TRUE(sipp.started());
  responder.Serve(&sipp);
  EXPECT_EQ(sipp.Wait(std::chrono::seconds(5)), 0) << sipp.Report();
  EXPECT_EQ(responder.call_ids.size(), 10u);
  EXPECT_GE(responder.methods.count("INVITE"), 10u);
  EXPECT_GE(responder.methods.count("ACK"), 10u);
  EXPECT_GE(responder.methods.count("BYE"), 10u);
}

// Proves the same over TCP (SIPp's -t t1: one connection): sipim's
// StreamFramer cuts SIPp's byte stream into messages, which sipim parses,
// validates and answers on the connection; SIPp completes 20 MESSAGEs and
// 10 INVITE dialogs (so Content-Length framing holds both ways).
TEST(SippInterop, SipimAnswersSippOverTcp) {
  if (!HaveSipp()) GTEST_SKIP() << "sipp is not installed (Debian package sip-tester)";
  for (const bool invite : {false, true}) {
    Responder responder;
    responder.over_tcp = true;
    ASSERT_TRUE(responder.tcp.ok());
    const int sipp_port = FreeUdpPort();
    std::vector<std::string> scenario =
        invite ? std::vector<std::string>{"-sn", "uac", "-m", "10", "-d", "10"}
               : std::vector<std::string>{"-sf", kScenarios + "message-uac.xml", "-m", "20"};
    scenario.insert(scenario.end(), {"-t", "t1", "-r", "100", "-s", "shirley",
                                     "127.0.0.1:" + std::to_string(responder.port())});
    Sipp sipp(SippArgs(sipp_port, scenario));
    ASSERT_TRUE(sipp.started());
    responder.Serve(&sipp);
    EXPECT_EQ(sipp.Wait(std::chrono::seconds(5)), 0) << (invite ? "INVITE" : "MESSAGE") << "\n" << sipp.Report();
    EXPECT_EQ(responder.call_ids.size(), invite ? 10u : 20u);
    if (invite) {
      EXPECT_GE(responder.methods.count("BYE"), 10u);
    }
  }
}

}  // namespace
