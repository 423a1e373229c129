// BM_Parse/<parser>/<message>: sipim's SIP parser against osip2 and sofia-sip
// on a fixed corpus (bench/corpus), each doing the same work: parse, then read
// the top Via branch, From tag, To tag, Call-ID, CSeq number and
// Content-Length. BM_Parse/memchr/<message> is the floor: one memchr pass
// counting lines. Before timing anything, the three parsers must agree on
// the fields of every message, or the run stops.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "peer_parsers.h"

namespace {

using sipim::bench::FieldSink;
using sipim::bench::KeyFields;

struct CorpusMessage {
  std::string name;
  std::string bytes;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bench_parse: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The SIP part of the fixed corpus, in the order the table reports it.
const std::vector<CorpusMessage>& SipCorpus() {
  static const std::vector<CorpusMessage> corpus = [] {
    std::vector<CorpusMessage> c;
    for (const char* name :
         {"message-2proxies", "invite-msrp", "ok-200", "register", "message-4k"}) {
      c.push_back({name, ReadFile(std::string(SIPIM_BENCH_CORPUS_DIR) + "/" + name + ".sip")});
    }
    return c;
  }();
  return corpus;
}

// Touches every field so that the compiler cannot skip reading it.
struct TouchSink : FieldSink {
  void Take(const KeyFields& f) override {
    benchmark::DoNotOptimize(f.via_branch.data());
    benchmark::DoNotOptimize(f.from_tag.size());
    benchmark::DoNotOptimize(f.to_tag.size());
    benchmark::DoNotOptimize(f.call_id.data());
    benchmark::DoNotOptimize(f.cseq);
    benchmark::DoNotOptimize(f.content_length);
  }
};

using Reader = bool (*)(std::string_view, FieldSink&);

void RunReader(benchmark::State& state, Reader read, const std::string* message) {
  TouchSink sink;
  for (auto _ : state) {
    if (!read(*message, sink)) {
      state.SkipWithError("parser rejected the message");
      break;
    }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * message->size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["message_bytes"] = static_cast<double>(message->size());
}

void RunMemchr(benchmark::State& state, const std::string* message) {
  for (auto _ : state) {
    const char* p = message->data();
    const char* end = p + message->size();
    std::size_t lines = 0;
    while ((p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr) {
      ++lines;
      ++p;
    }
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * message->size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["message_bytes"] = static_cast<double>(message->size());
}

// All three parsers must extract the same six fields from every message.
bool ParsersAgree() {
  const std::map<std::string, Reader> readers = {{"sipim", sipim::bench::ReadWithSipim},
                                                 {"osip2", sipim::bench::ReadWithOsip2},
                                                 {"sofia", sipim::bench::ReadWithSofia}};
  bool agree = true;
  for (const auto& m : SipCorpus()) {
    sipim::bench::CopySink reference;
    if (!sipim::bench::ReadWithSipim(m.bytes, reference)) {
      std::fprintf(stderr, "bench_parse: sipim rejects %s\n", m.name.c_str());
      return false;
    }
    for (const auto& [name, read] : readers) {
      sipim::bench::CopySink got;
      if (!read(m.bytes, got) || !(got.fields == reference.fields)) {
        std::fprintf(stderr, "bench_parse: %s disagrees with sipim on %s\n", name.c_str(),
                     m.name.c_str());
        agree = false;
      }
    }
  }
  return agree;
}

void RegisterParseBenchmarks() {
  for (const auto& m : SipCorpus()) {
    benchmark::RegisterBenchmark(("BM_Parse/sipim/" + m.name).c_str(), RunReader,
                                 sipim::bench::ReadWithSipim, &m.bytes);
    benchmark::RegisterBenchmark(("BM_Parse/osip2/" + m.name).c_str(), RunReader,
                                 sipim::bench::ReadWithOsip2, &m.bytes);
    benchmark::RegisterBenchmark(("BM_Parse/sofia/" + m.name).c_str(), RunReader,
                                 sipim::bench::ReadWithSofia, &m.bytes);
    benchmark::RegisterBenchmark(("BM_Parse/memchr/" + m.name).c_str(), RunMemchr, &m.bytes);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (!ParsersAgree()) return 1;
  RegisterParseBenchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
