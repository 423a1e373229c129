// Transaction tables: the lazily expired linger timers (K, J) forget a
// transaction exactly when its timer would have fired.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ns3/simulator.h"
#include "ns3/sip/sip-transactions.h"

using namespace ns3;
using namespace ns3::sipns3;

namespace {

struct Probe {
  Time at;
  bool found = false;
};

}  // namespace

// Timer J: a final response over UDP keeps the server transaction 64*T1, no longer, seen by Find and FindById.
TEST(Transactions, ServerLingerEndsAtTimerJ) {
  TimerConfig timers;
  int sent = 0;
  auto owned = std::make_unique<ServerTxnTable>(&timers, [&sent](ServerTxn&, bool) { ++sent; });
  ServerTxnTable& table = *owned;
  const Time j = 64 * timers.t1;
  std::uint64_t id = 0;
  Simulator::Schedule(Seconds(1), [&]() {
    ServerTxn* t = table.Create(table.KeyOf("z9hG4bK-abc", "MESSAGE"), false, Dest{}, SipAttribution{});
    id = t->id;
    table.Respond(t, "SIP/2.0 200 OK\r\n\r\n", 200);
  });
  std::vector<Probe> probes{{Seconds(1) + j - NanoSeconds(1)}, {Seconds(1) + j}};
  std::vector<bool> byId(probes.size());
  for (std::size_t i = 0; i < probes.size(); ++i) {
    Simulator::Schedule(probes[i].at, [&, i]() {
      byId[i] = table.FindById(id) != nullptr;
      probes[i].found = table.Find(table.KeyOf("z9hG4bK-abc", "MESSAGE")) != nullptr;
    });
  }
  Simulator::Run();
  const std::size_t left = table.size();
  owned.reset();  // cancels its events while the simulator exists
  Simulator::Destroy();
  EXPECT_EQ(sent, 1);
  EXPECT_TRUE(probes[0].found);
  EXPECT_TRUE(byId[0]);
  EXPECT_FALSE(probes[1].found);
  EXPECT_FALSE(byId[1]);
  EXPECT_EQ(left, 0u);
}

// Timer K: a completed non-INVITE client transaction over UDP absorbs responses for T4, then is gone.
TEST(Transactions, ClientLingerEndsAtTimerK) {
  TimerConfig timers;
  auto owned = std::make_unique<ClientTxnTable>(&timers, [](ClientTxn&, bool) { return true; },
                                                [](ClientTxn&) {});
  ClientTxnTable& table = *owned;
  Simulator::Schedule(Seconds(1), [&]() {
    auto txn = std::make_unique<ClientTxn>();
    txn->branch = "z9hG4bK-client";
    ClientTxn* t = table.Start(std::move(txn));
    ASSERT_NE(t, nullptr);
    table.OnFinal(t);
  });
  bool before = false, after = true;
  Simulator::Schedule(Seconds(1) + timers.t4 - NanoSeconds(1), [&]() {
    ClientTxn* t = table.Find("z9hG4bK-client");
    before = t != nullptr && t->state == ClientTxn::State::kCompleted;
  });
  Simulator::Schedule(Seconds(1) + timers.t4, [&]() { after = table.Find("z9hG4bK-client") != nullptr; });
  Simulator::Run();
  owned.reset();
  Simulator::Destroy();
  EXPECT_TRUE(before);
  EXPECT_FALSE(after);
}

// The id index finds every live id, forgets removed ones, and shrinks its window when the oldest go.
TEST(Transactions, IdIndexWindow) {
  IdIndex<int> index;
  int objects[6] = {0, 1, 2, 3, 4, 5};
  for (int i = 1; i <= 5; ++i) index.Add(static_cast<std::uint64_t>(i), &objects[i]);
  EXPECT_EQ(index.Get(0), nullptr);
  EXPECT_EQ(index.Get(6), nullptr);
  EXPECT_EQ(index.Get(3), &objects[3]);
  index.Remove(3);  // a hole in the middle
  EXPECT_EQ(index.Get(3), nullptr);
  EXPECT_EQ(index.Get(4), &objects[4]);
  index.Remove(1);
  index.Remove(2);  // the front goes: ids 1-3 dropped from the window
  EXPECT_EQ(index.Get(1), nullptr);
  EXPECT_EQ(index.Get(5), &objects[5]);
  index.Remove(4);
  index.Remove(5);  // empty
  EXPECT_EQ(index.Get(5), nullptr);
  index.Add(9, &objects[0]);  // a new window starts at the next id
  EXPECT_EQ(index.Get(9), &objects[0]);
  EXPECT_EQ(index.Get(8), nullptr);
  index.Add(11, &objects[1]);  // a skipped id stays empty
  EXPECT_EQ(index.Get(10), nullptr);
  EXPECT_EQ(index.Get(11), &objects[1]);
  index.Remove(99);  // unknown ids are ignored
  EXPECT_EQ(index.Get(9), &objects[0]);
}

namespace {
struct Keyed {
  std::string name;
  int value = 0;
};
}  // namespace

// The keyed table agrees with std::map through 20 000 random inserts, finds and
// erases (growth, probe runs that wrap around, backward-shift deletion), and
// refuses a key it already holds.
TEST(Transactions, KeyedTableMatchesReference) {
  KeyedTable<Keyed, &Keyed::name> table;
  std::map<std::string, Keyed*> reference;
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    // A small key space so that erases and re-inserts of the same key are common.
    const std::string key = "z9hG4bK-" + std::to_string(rng() % 3000);
    switch (rng() % 3) {
      case 0: {
        auto obj = std::make_unique<Keyed>();
        obj->name = key;
        obj->value = step;
        Keyed* raw = obj.get();
        const bool inserted = table.Insert(std::move(obj));
        EXPECT_EQ(inserted, reference.count(key) == 0) << key;
        if (inserted) reference[key] = raw;
        break;
      }
      case 1:
        if (auto it = reference.find(key); it != reference.end()) {
          table.Erase(it->second);
          reference.erase(it);
        }
        break;
      default: {
        auto it = reference.find(key);
        EXPECT_EQ(table.Find(key), it == reference.end() ? nullptr : it->second) << key;
      }
    }
    ASSERT_EQ(table.size(), reference.size());
  }
  std::size_t seen = 0;
  table.ForEach([&](const Keyed* k) {
    ++seen;
    auto it = reference.find(k->name);
    ASSERT_NE(it, reference.end()) << k->name;
    EXPECT_EQ(it->second, k);
  });
  EXPECT_EQ(seen, reference.size());
  for (const auto& [key, obj] : reference) EXPECT_EQ(table.Find(key), obj) << key;
  table.Clear();
  EXPECT_EQ(table.Find(reference.begin()->first), nullptr);
  EXPECT_EQ(table.size(), 0u);
}

// Timers G, H, I on a table alone: a 486 to INVITE over UDP is resent at
// T1, 3*T1, 7*T1, 15*T1 and then every T2; an ACK at 10 s stops it and
// the transaction stays T4 more (timer I), no longer. Without the ACK,
// the last copy goes 31.5 s after the first and timer H (64*T1) ends it.
TEST(Transactions, ServerInviteTimersGHI) {
  TimerConfig timers;
  std::vector<std::pair<double, std::string>> sent;  // (time, key)
  auto owned = std::make_unique<ServerTxnTable>(&timers, [&sent](ServerTxn& t, bool) {
    sent.emplace_back(Simulator::Now().GetSeconds(), t.key);
  });
  ServerTxnTable& table = *owned;
  std::vector<std::pair<double, bool>> found;  // (time, acked one still there)
  std::vector<std::pair<double, bool>> foundH;
  Simulator::Schedule(Seconds(1), [&]() {
    for (const char* b : {"z9hG4bK-acked", "z9hG4bK-never"}) {
      ServerTxn* t = table.Create(table.KeyOf(b, "INVITE"), true, Dest{}, SipAttribution{});
      table.Respond(t, "SIP/2.0 486 Busy Here\r\n\r\n", 486);
    }
  });
  Simulator::Schedule(Seconds(10), [&]() { table.OnAck(table.Find(table.KeyOf("z9hG4bK-acked", "ACK"))); });
  for (double at : {14.999, 15.0})
    Simulator::Schedule(Seconds(at), [&, at]() {
      found.emplace_back(at, table.Find(table.KeyOf("z9hG4bK-acked", "ACK")) != nullptr);
    });
  for (double at : {32.999, 33.0})
    Simulator::Schedule(Seconds(at), [&, at]() {
      foundH.emplace_back(at, table.Find(table.KeyOf("z9hG4bK-never", "ACK")) != nullptr);
    });
  Simulator::Run();
  owned.reset();
  Simulator::Destroy();
  std::vector<double> acked, never;
  for (const auto& s : sent) (s.second.find("acked") != std::string::npos ? acked : never).push_back(s.first - 1);
  const std::vector<double> upToAck = {0, 0.5, 1.5, 3.5, 7.5};
  const std::vector<double> all = {0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5};
  EXPECT_EQ(acked, upToAck);
  EXPECT_EQ(never, all);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_TRUE(found[0].second);   // timer I: T4 after the ACK
  EXPECT_FALSE(found[1].second);
  ASSERT_EQ(foundH.size(), 2u);
  EXPECT_TRUE(foundH[0].second);  // timer H: 64*T1 after the 486
  EXPECT_FALSE(foundH[1].second);
}

// Timer D on a table alone (RFC 3261 17.1.1.2): an INVITE client
// transaction over UDP that got a non-2xx final response is Completed,
// holds the ACK it sent (what the owner resends for a copy of the
// response), and is found for timer D (32 s with T1 = 500 ms; 64*T1 when
// T1 is larger), no longer; over TCP it ends at once (timer D is 0).
TEST(Transactions, ClientInviteTimerD) {
  TimerConfig timers;
  EXPECT_EQ(timers.D(), Seconds(32));
  TimerConfig slow;
  slow.t1 = Seconds(1);
  EXPECT_EQ(slow.D(), Seconds(64));
  auto owned = std::make_unique<ClientTxnTable>(&timers, [](ClientTxn&, bool) { return true; },
                                                [](ClientTxn&) {});
  ClientTxnTable& table = *owned;
  bool tcpGone = false;
  Simulator::Schedule(Seconds(1), [&]() {
    for (SipTransportProtocol tr : {SipTransportProtocol::kUdp, SipTransportProtocol::kTcp}) {
      auto txn = std::make_unique<ClientTxn>();
      txn->branch = tr == SipTransportProtocol::kUdp ? "z9hG4bK-udp" : "z9hG4bK-tcp";
      txn->invite = true;
      txn->dest.transport = tr;
      txn->bytes = "INVITE sip:x@y SIP/2.0\r\n\r\n";
      ClientTxn* t = table.Start(std::move(txn));
      ASSERT_NE(t, nullptr);
      table.OnProvisional(t);
      table.OnInviteFailure(t, "ACK sip:x@y SIP/2.0\r\n\r\n");
    }
    tcpGone = table.Find("z9hG4bK-tcp") == nullptr;
  });
  bool before = false, after = true;
  Simulator::Schedule(Seconds(1) + timers.D() - NanoSeconds(1), [&]() {
    ClientTxn* t = table.Find("z9hG4bK-udp");
    before = t != nullptr && t->state == ClientTxn::State::kCompleted && t->bytes.rfind("ACK ", 0) == 0 &&
             table.WaitingOn([](const Dest&) { return true; }).empty();
  });
  Simulator::Schedule(Seconds(1) + timers.D(), [&]() { after = table.Find("z9hG4bK-udp") != nullptr; });
  Simulator::Run();
  owned.reset();
  Simulator::Destroy();
  EXPECT_TRUE(tcpGone);
  EXPECT_TRUE(before);
  EXPECT_FALSE(after);
}
