// Steady-state MSRP parsing allocates nothing: the global operator new is
// counted while a reused Message / StreamParser parses again and again.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "msrp/builder.h"
#include "msrp/stream.h"
#include "msrp_test_util.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// Counting replacements of the global allocation functions (this test binary
// only). Each forwards to malloc/free.
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace sipim::msrp {
namespace {

// The counter works: a fresh Message's first parse does allocate (its
// header vector), so a zero below is a real zero.
TEST(MsrpAlloc, CounterSeesAllocations) {
  long before = g_allocations.load();
  Message fresh;
  ASSERT_FALSE(Parse(testing::kRfcSend, &fresh));
  EXPECT_GT(g_allocations.load() - before, 0);
}

// Once a Message has held the largest header count, Parse() of a SEND, a
// response and a REPORT allocates nothing.
TEST(MsrpAlloc, ParseIsAllocationFreeInSteadyState) {
  Message m;
  ASSERT_FALSE(Parse(testing::kRfcSend, &m));  // warms up the header vector
  long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(Parse(testing::kRfcSend, &m));
    ASSERT_FALSE(Parse(testing::kRfcOk, &m));
    ASSERT_FALSE(Parse(testing::kRfcReport, &m));
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
}

// A StreamParser fed whole messages, or the same messages split in two,
// allocates nothing once its buffer has grown to the message size.
TEST(MsrpAlloc, StreamIsAllocationFreeInSteadyState) {
  const std::string stream = testing::kRfcSend + testing::kRfcOk + testing::kRfcReport;
  StreamParser p;
  int n = 0;
  auto count = [&n](const Message&) { ++n; };
  const std::size_t cut = stream.size() / 2 + 7;
  auto feed_round = [&]() {
    ASSERT_FALSE(p.FeedAll(stream, count));
    ASSERT_FALSE(p.FeedAll(std::string_view(stream).substr(0, cut), count));
    ASSERT_FALSE(p.FeedAll(std::string_view(stream).substr(cut), count));
  };
  feed_round();  // warm up
  long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) feed_round();
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_EQ(n, 1001 * 6);
}

// Building into a string with enough capacity allocates nothing.
TEST(MsrpAlloc, BuildersAreAllocationFreeWithCapacity) {
  Message req;
  ASSERT_FALSE(Parse(testing::kRfcSend, &req));
  SendParams p;
  p.transaction_id = "a786hjs2";
  p.to_path = req.to_path;
  p.from_path = req.from_path;
  p.message_id = "87652491";
  p.body = "Hey Bob, are you there?";
  std::string out;
  out.reserve(4096);
  long before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    out.clear();
    AppendSend(p, &out);
    AppendOk(req, &out);
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
}

}  // namespace
}  // namespace sipim::msrp
