// Chunking a message into SEND requests and reassembling it.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "msrp/chunking.h"
#include "msrp/stream.h"
#include "msrp_test_util.h"

namespace sipim::msrp {
namespace {

SendParams Base() {
  SendParams p;
  p.to_path = "msrp://bob.example/s2;tcp";
  p.from_path = "msrp://alice.example/s1;tcp";
  p.message_id = "msg00001";
  p.content_type = "application/octet-stream";
  return p;
}

// Parses a stream of chunks into owned copies (text kept alive alongside).
std::vector<Message> ParseAll(const std::string& wire) {
  std::vector<Message> out;
  StreamParser p;
  ParseError e = p.FeedAll(wire, [&](const Message& m) { out.push_back(m); });
  EXPECT_FALSE(e) << e.ToString();
  EXPECT_TRUE(p.at_message_boundary());
  return out;
}

std::string Body(std::size_t n);

// The chunks of Body(n) at `chunk_size`, parsed from `wire` (kept alive by
// the caller: the messages point into it).
std::vector<Message> Chunks(std::size_t n, std::size_t chunk_size, std::uint64_t seed, std::string* wire) {
  IdGenerator ids(seed);
  AppendChunkedSend(Base(), Body(n), chunk_size, &ids, wire);
  return ParseAll(*wire);
}

std::string Body(std::size_t n) {
  std::string b(n, '\0');
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<char>((i * 131 + 7) & 0xFF);
  return b;
}

// 10 000 bytes at 4096 per chunk: three chunks, correct ranges and flags.
TEST(MsrpChunking, RangesAndFlags) {
  std::string body = Body(10000), wire;
  IdGenerator ids(1);
  EXPECT_EQ(AppendChunkedSend(Base(), body, 4096, &ids, &wire), 3u);
  std::vector<Message> chunks = ParseAll(wire);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].byte_range, (ByteRange{1, 4096, 10000, false, false}));
  EXPECT_EQ(chunks[1].byte_range, (ByteRange{4097, 8192, 10000, false, false}));
  EXPECT_EQ(chunks[2].byte_range, (ByteRange{8193, 10000, 10000, false, false}));
  EXPECT_EQ(chunks[0].flag, EndFlag::kMore);
  EXPECT_EQ(chunks[1].flag, EndFlag::kMore);
  EXPECT_EQ(chunks[2].flag, EndFlag::kComplete);
  EXPECT_NE(chunks[0].transaction_id, chunks[1].transaction_id);
  for (const Message& m : chunks) EXPECT_EQ(m.message_id, "msg00001");
}

// Chunk counts at the edges: exact multiple, one byte, empty body.
TEST(MsrpChunking, EdgeCounts) {
  IdGenerator ids(2);
  std::string wire;
  EXPECT_EQ(AppendChunkedSend(Base(), Body(8192), 4096, &ids, &wire), 2u);
  wire.clear();
  EXPECT_EQ(AppendChunkedSend(Base(), Body(1), 4096, &ids, &wire), 1u);
  wire.clear();
  EXPECT_EQ(AppendChunkedSend(Base(), "", 4096, &ids, &wire), 1u);
  std::vector<Message> chunks = ParseAll(wire);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_FALSE(chunks[0].has_body);
  EXPECT_EQ(chunks[0].byte_range, (ByteRange{1, 0, 0, false, false}));
  Reassembler r;
  std::string whole = "junk";
  ParseError e;
  EXPECT_EQ(r.Add(chunks[0], &whole, &e), Reassembler::Result::kComplete);
  EXPECT_EQ(whole, "");
}

// Reassembly in order, in reverse, and shuffled gives the original body.
TEST(MsrpChunking, ReassemblesInAnyOrder) {
  std::string body = Body(5000), wire;
  std::vector<Message> chunks = Chunks(5000, 700, 3, &wire);
  ASSERT_EQ(chunks.size(), 8u);
  std::mt19937 rng(5);
  for (int order = 0; order < 3; ++order) {
    std::vector<Message> c = chunks;
    if (order == 1) std::reverse(c.begin(), c.end());
    if (order == 2) std::shuffle(c.begin(), c.end(), rng);
    Reassembler r;
    std::string whole;
    ParseError e;
    for (std::size_t i = 0; i < c.size(); ++i) {
      Reassembler::Result res = r.Add(c[i], &whole, &e);
      ASSERT_NE(res, Reassembler::Result::kError) << e.ToString();
      EXPECT_EQ(res == Reassembler::Result::kComplete, i + 1 == c.size()) << order << " " << i;
    }
    EXPECT_EQ(whole, body);
    EXPECT_EQ(r.pending_messages(), 0u);
  }
}

// The RFC's two chunks ("1-*/8" then "5-8/8") reassemble to "abcdEFGH".
TEST(MsrpChunking, RfcChunksReassemble) {
  Message a, b;
  ASSERT_FALSE(Parse(testing::kRfcChunk1, &a));
  ASSERT_FALSE(Parse(testing::kRfcChunk2, &b));
  Reassembler r;
  std::string whole;
  ParseError e;
  EXPECT_EQ(r.Add(a, &whole, &e), Reassembler::Result::kIncomplete);
  EXPECT_EQ(r.Add(b, &whole, &e), Reassembler::Result::kComplete);
  EXPECT_EQ(whole, "abcdEFGH");
}

// RFC 4975 section 7.1.1: the first chunk SHOULD (not MUST) carry
// Byte-Range. Without it the chunk starts the message at byte 1, but a '+'
// flag says more chunks follow (section 7.1): the message is not complete
// yet, its total unknown. Only a '$' chunk without Byte-Range is whole.
TEST(MsrpChunking, FirstChunkWithoutByteRange) {
  std::string first = testing::kRfcChunk1;
  first.erase(first.find("Byte-Range: 1-*/8\r\n"), 19);
  Message a, b;
  ASSERT_FALSE(Parse(first, &a)) << Parse(first, &a).ToString();
  ASSERT_FALSE(a.has_byte_range);
  ASSERT_FALSE(Parse(testing::kRfcChunk2, &b));
  Reassembler r;
  std::string whole;
  ParseError e;
  EXPECT_EQ(r.Add(a, &whole, &e), Reassembler::Result::kIncomplete);
  EXPECT_EQ(r.Add(b, &whole, &e), Reassembler::Result::kComplete) << e.ToString();
  EXPECT_EQ(whole, "abcdEFGH");
  EXPECT_EQ(r.pending_messages(), 0u);
}

// A chunk whose own total is '*' must still end within the total an
// earlier chunk gave: bytes past it are an error, not bytes kept so that
// the message can never be whole (its gap is then never filled).
TEST(MsrpChunking, StarTotalChunkPastKnownTotal) {
  Message a, past, b;
  ASSERT_FALSE(Parse(testing::kRfcChunk1, &a));  // 1-*/8 "abcd" '+'
  ASSERT_FALSE(Parse(testing::kRfcChunk2, &b));  // 5-8/8 "EFGH" '$'
  past = b;
  past.byte_range = ByteRange{5, 0, 0, true, true};  // "5-*/*"
  past.body = "EFGHIJ";                              // ends at byte 10 > 8
  past.flag = EndFlag::kMore;
  Reassembler r;
  std::string whole;
  ParseError e;
  EXPECT_EQ(r.Add(a, &whole, &e), Reassembler::Result::kIncomplete);
  ASSERT_EQ(r.Add(past, &whole, &e), Reassembler::Result::kError);
  EXPECT_NE(std::string(e.reason).find("past the message total"), std::string::npos);
  EXPECT_EQ(r.pending_messages(), 0u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

// Duplicates are tolerated and counted; an overlap with other bytes is an error.
TEST(MsrpChunking, DuplicatesAndConflicts) {
  std::string wire;
  std::vector<Message> c = Chunks(3000, 1000, 4, &wire);
  Reassembler r;
  std::string whole;
  ParseError e;
  EXPECT_EQ(r.Add(c[0], &whole, &e), Reassembler::Result::kIncomplete);
  EXPECT_EQ(r.Add(c[0], &whole, &e), Reassembler::Result::kIncomplete);
  EXPECT_EQ(r.duplicate_bytes(), 1000u);
  std::string evil(c[1].body);
  evil[10] ^= 1;
  Message bad = c[1];
  bad.body = evil;
  EXPECT_EQ(r.Add(c[1], &whole, &e), Reassembler::Result::kIncomplete);
  EXPECT_EQ(r.Add(bad, &whole, &e), Reassembler::Result::kError);
  EXPECT_NE(std::string(e.reason).find("different content"), std::string::npos);
  EXPECT_EQ(r.pending_messages(), 0u);  // the corrupt message is dropped
}

// Gaps are listed and reported when the stream ends.
TEST(MsrpChunking, GapDetection) {
  std::string wire;
  std::vector<Message> c = Chunks(3000, 1000, 5, &wire);
  Reassembler r;
  std::string whole, detail;
  ParseError e;
  EXPECT_EQ(r.Add(c[0], &whole, &e), Reassembler::Result::kIncomplete);
  EXPECT_EQ(r.Add(c[2], &whole, &e), Reassembler::Result::kIncomplete);
  auto gaps = r.Missing("msg00001");
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0], std::make_pair(std::uint64_t{1001}, std::uint64_t{2000}));
  ParseError fin = r.Finish(&detail);
  ASSERT_TRUE(fin);
  EXPECT_EQ(detail, "Message-ID msg00001: missing 1001-2000");
  EXPECT_EQ(r.Add(c[1], &whole, &e), Reassembler::Result::kComplete);
  EXPECT_FALSE(r.Finish(&detail));
}

// '#' aborts: the partial message is dropped.
TEST(MsrpChunking, AbortDropsMessage) {
  std::string wire;
  std::vector<Message> c = Chunks(3000, 1000, 6, &wire);
  Reassembler r;
  std::string whole;
  ParseError e;
  EXPECT_EQ(r.Add(c[0], &whole, &e), Reassembler::Result::kIncomplete);
  Message abort = c[1];
  abort.flag = EndFlag::kAbort;
  EXPECT_EQ(r.Add(abort, &whole, &e), Reassembler::Result::kAborted);
  EXPECT_EQ(r.pending_messages(), 0u);
}

// RFC 4975 7.1.1: a chunk its sender interrupted ends with '+' before the
// end its Byte-Range announced (here 4 of 1-8/12); the receiver takes the
// bytes it got, and the message completes when the rest (5-12/12) comes.
// Before, the chunk was refused for its Byte-Range end and the message
// lost. A '$' chunk shorter than its range, or any chunk longer, is still
// an error.
TEST(MsrpChunking, InterruptedChunkIsTakenByTheBytesReceived) {
  auto chunk = [](const char* tid, const std::string& body, std::uint64_t start, std::uint64_t end, EndFlag flag) {
    SendParams p = Base();
    p.transaction_id = tid;
    p.derive_byte_range = false;
    p.byte_range = ByteRange{start, end, 12, false, false};
    p.body = body;
    p.flag = flag;
    std::string out;
    AppendSend(p, &out);
    return out;
  };
  const std::string wire = chunk("tid00001", "four", 1, 8, EndFlag::kMore) +
                           chunk("tid00002", "abcdefgh", 5, 12, EndFlag::kComplete);
  std::vector<Message> c = ParseAll(wire);
  ASSERT_EQ(c.size(), 2u);
  Reassembler r;
  std::string whole;
  ParseError e;
  EXPECT_EQ(r.Add(c[0], &whole, &e), Reassembler::Result::kIncomplete) << e.ToString();
  EXPECT_EQ(r.Add(c[1], &whole, &e), Reassembler::Result::kComplete) << e.ToString();
  EXPECT_EQ(whole, "fourabcdefgh");

  const std::string bad = chunk("tid00003", "four", 1, 8, EndFlag::kComplete) +  // '$' short of its end
                          chunk("tid00004", "fourfour", 1, 4, EndFlag::kMore);    // longer than its range
  for (const Message& m : ParseAll(bad)) {
    Reassembler fresh;
    EXPECT_EQ(fresh.Add(m, &whole, &e), Reassembler::Result::kError);
    EXPECT_NE(std::string(e.reason).find("body length"), std::string::npos) << e.ToString();
  }
}

// Inconsistent chunks are errors with a reason.
TEST(MsrpChunking, RejectsInconsistentChunks) {
  Message m;
  ASSERT_FALSE(Parse(testing::kRfcSend, &m));  // Byte-Range 1-25/25, 23-byte body
  Reassembler r;
  std::string whole;
  ParseError e;
  EXPECT_EQ(r.Add(m, &whole, &e), Reassembler::Result::kError);
  EXPECT_NE(std::string(e.reason).find("body length"), std::string::npos);

  Message a, b;
  ASSERT_FALSE(Parse(testing::kRfcChunk1, &a));
  ASSERT_FALSE(Parse(testing::kRfcChunk2, &b));
  b.byte_range.total = 9;  // the totals disagree
  b.byte_range.end = 8;
  Reassembler r2;
  EXPECT_EQ(r2.Add(a, &whole, &e), Reassembler::Result::kIncomplete);
  EXPECT_EQ(r2.Add(b, &whole, &e), Reassembler::Result::kError);

  Reassembler small(4);
  EXPECT_EQ(small.Add(a, &whole, &e), Reassembler::Result::kError);  // total 8 > 4
  Message resp;
  ASSERT_FALSE(Parse(testing::kRfcOk, &resp));
  EXPECT_EQ(r.Add(resp, &whole, &e), Reassembler::Result::kError);
}

// The buffers of all partial messages together are bounded: many open
// Message-IDs cannot exhaust memory.
TEST(MsrpChunking, TotalBufferLimit) {
  Reassembler r(1 << 20, 2500);
  std::string whole;
  ParseError e;
  std::vector<std::string> wires(4);
  std::vector<Message> firsts;
  IdGenerator ids(9);
  for (int i = 0; i < 4; ++i) {
    SendParams p = Base();
    std::string mid = "msg0000" + std::to_string(i);
    p.message_id = mid;
    AppendChunkedSend(p, Body(3000), 1000, &ids, &wires[i]);
    firsts.push_back(ParseAll(wires[i])[0]);
  }
  EXPECT_EQ(r.Add(firsts[0], &whole, &e), Reassembler::Result::kIncomplete);
  EXPECT_EQ(r.Add(firsts[1], &whole, &e), Reassembler::Result::kIncomplete);
  EXPECT_EQ(r.buffered_bytes(), 2000u);
  EXPECT_EQ(r.Add(firsts[2], &whole, &e), Reassembler::Result::kError);
  EXPECT_NE(std::string(e.reason).find("buffers full"), std::string::npos);
  EXPECT_EQ(r.buffered_bytes(), 2000u);
  EXPECT_EQ(r.pending_messages(), 2u);
}

// Empty '+' chunks open Message-IDs without buffering a byte, so
// max_total_bytes never sees them: the count of open messages is bounded
// too, by default and as configured, and the refusal names the limit.
TEST(MsrpChunking, OpenMessageCountLimit) {
  std::vector<std::string> mids;
  for (int i = 0; i < 5000; ++i) mids.push_back("m" + std::to_string(100000 + i));
  auto empty_chunk = [&](int i) {
    Message m;
    m.is_request = true;
    m.method = Method::kSend;
    m.method_name = "SEND";
    m.message_id = mids[static_cast<std::size_t>(i)];
    m.has_byte_range = true;
    m.byte_range = ByteRange{1, 0, 0, false, true};  // "1-0/*"
    m.flag = EndFlag::kMore;
    return m;
  };
  std::string whole;
  ParseError e;
  Reassembler small(1 << 20, 1 << 20, 8);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(small.Add(empty_chunk(i), &whole, &e), Reassembler::Result::kIncomplete);
  ASSERT_EQ(small.Add(empty_chunk(8), &whole, &e), Reassembler::Result::kError);
  EXPECT_NE(std::string(e.reason).find("max_pending_messages"), std::string::npos);
  EXPECT_EQ(small.pending_messages(), 8u);
  EXPECT_EQ(small.Add(empty_chunk(3), &whole, &e), Reassembler::Result::kIncomplete);  // already open

  Reassembler r;  // defaults
  int refused = 0;
  for (int i = 0; i < 5000; ++i) refused += r.Add(empty_chunk(i), &whole, &e) == Reassembler::Result::kError;
  EXPECT_EQ(r.buffered_bytes(), 0u);
  EXPECT_LE(r.pending_messages(), 1024u);
  EXPECT_EQ(refused, 5000 - static_cast<int>(r.pending_messages()));
}

// One-byte chunks at every other position, last first, would each add a
// range (and each Add sorts them all: quadratic, 2 minutes for 40 000
// chunks). The count of ranges is bounded: the chunk past it drops the
// message with a reason; up to it, reassembly proceeds.
TEST(MsrpChunking, RangeCountLimit) {
  Message m;
  m.is_request = true;
  m.method = Method::kSend;
  m.method_name = "SEND";
  m.message_id = "mholes1";
  m.has_byte_range = true;
  m.flag = EndFlag::kMore;
  m.body = "x";
  const std::uint64_t n = Reassembler::kMaxRanges + 1;
  Reassembler r;
  std::string whole;
  ParseError e;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t at = 2 * (n - i) - 1;  // 2n-1, 2n-3, ..., 1
    m.byte_range = ByteRange{at, at, 2 * n - 1, false, false};
    const Reassembler::Result res = r.Add(m, &whole, &e);
    if (i + 1 < n) {
      ASSERT_EQ(res, Reassembler::Result::kIncomplete) << i << ": " << e.ToString();
    } else {
      ASSERT_EQ(res, Reassembler::Result::kError);
      EXPECT_NE(std::string(e.reason).find("kMaxRanges"), std::string::npos);
    }
  }
  EXPECT_EQ(r.pending_messages(), 0u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

// Two messages interleaved chunk by chunk are kept apart by Message-ID.
TEST(MsrpChunking, InterleavedMessages) {
  SendParams p1 = Base(), p2 = Base();
  p2.message_id = "msg00002";
  std::string b1 = Body(2500), b2 = Body(1700), w1, w2;
  IdGenerator ids(8);
  AppendChunkedSend(p1, b1, 500, &ids, &w1);
  AppendChunkedSend(p2, b2, 500, &ids, &w2);
  std::vector<Message> c1 = ParseAll(w1), c2 = ParseAll(w2);
  Reassembler r;
  std::vector<std::string> done;
  std::string whole;
  ParseError e;
  for (std::size_t i = 0; i < std::max(c1.size(), c2.size()); ++i) {
    for (auto* c : {&c1, &c2}) {
      if (i >= c->size()) continue;
      if (r.Add((*c)[i], &whole, &e) == Reassembler::Result::kComplete) done.push_back(whole);
    }
  }
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0], b2);  // the shorter one finishes first
  EXPECT_EQ(done[1], b1);
}

}  // namespace
}  // namespace sipim::msrp
