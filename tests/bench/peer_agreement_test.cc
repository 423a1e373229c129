// The parse benchmark compares sipim with osip2 and sofia-sip doing the same
// work; these tests prove that the work is the same and done right.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "peer_parsers.h"

namespace {

using sipim::bench::CopySink;

std::string ReadCorpus(const std::string& name) {
  std::ifstream in(std::string(SIPIM_BENCH_CORPUS_DIR) + "/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Proves: on every SIP message of the benchmark corpus, all three parsers
// accept it and extract identical fields, and sipim's are the right ones.
TEST(PeerParsers, AgreeOnEveryCorpusMessage) {
  for (const char* name :
       {"message-2proxies.sip", "invite-msrp.sip", "ok-200.sip", "register.sip", "message-4k.sip"}) {
    const std::string msg = ReadCorpus(name);
    ASSERT_FALSE(msg.empty()) << name;
    CopySink sipim, osip2, sofia;
    ASSERT_TRUE(sipim::bench::ReadWithSipim(msg, sipim)) << name;
    ASSERT_TRUE(sipim::bench::ReadWithOsip2(msg, osip2)) << name;
    ASSERT_TRUE(sipim::bench::ReadWithSofia(msg, sofia)) << name;
    EXPECT_TRUE(sipim.fields == osip2.fields) << name;
    EXPECT_TRUE(sipim.fields == sofia.fields) << name;
  }
  CopySink f;
  ASSERT_TRUE(sipim::bench::ReadWithSipim(ReadCorpus("message-2proxies.sip"), f));
  EXPECT_EQ(f.fields.via_branch, "z9hG4bK5Zq3.1");
  EXPECT_EQ(f.fields.from_tag, "49583");
  EXPECT_EQ(f.fields.to_tag, "");
  EXPECT_EQ(f.fields.call_id, "asd88asd77a@1.2.3.4");
  EXPECT_EQ(f.fields.cseq, 1u);
  EXPECT_EQ(f.fields.content_length, 18u);
}

// Proves: sipim's reader reports a broken message (Content-Length beyond the
// datagram) as rejected, so the benchmark stops instead of timing a failure.
TEST(PeerParsers, SipimReaderRejectsBrokenMessage) {
  std::string msg = ReadCorpus("register.sip");
  msg.replace(msg.find("Content-Length: 0"), 17, "Content-Length: 99");
  CopySink sink;
  EXPECT_FALSE(sipim::bench::ReadWithSipim(msg, sink));
}

}  // namespace
