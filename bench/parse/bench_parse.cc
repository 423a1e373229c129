// BM_Parse/<parser>/<message>: sipim's SIP parser against osip2 and sofia-sip
// on a fixed corpus (bench/corpus), each doing the same work: parse, then read
// the top Via branch, From tag, To tag, Call-ID, CSeq number and
// Content-Length. BM_Parse/memchr/<message> is the floor: one memchr pass
// counting lines. Before timing anything, the three parsers must agree on
// the fields of every message, or the run stops.
//
// BM_Parse/sipim/msrp-send times the MSRP parser (no peer parses MSRP).
// BM_Build/sipim/<message> times the builders producing the corpus's kinds
// of message, and BM_ProxyEdit/sipim/<message> the edits a proxy makes when
// it forwards (push Via, decrement Max-Forwards, add Record-Route).
// BM_Validate/sipim/<message> times sip::Validate (every field's grammar and
// the RFC 3261 8.2 checks a UA or proxy runs before acting) on a message
// already parsed.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "msrp/builder.h"
#include "msrp/message.h"
#include "peer_parsers.h"
#include "sip/builder.h"
#include "sip/headers.h"
#include "sip/message.h"
#include "sip/proxy_ops.h"
#include "benchmark_main.h"

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

void SetCounters(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["message_bytes"] = static_cast<double>(bytes);
}

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
  SetCounters(state, message->size());
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
  SetCounters(state, message->size());
}

void ParseMsrp(benchmark::State& state, const std::string* message) {
  sipim::msrp::Message msg;
  for (auto _ : state) {
    if (sipim::msrp::Parse(*message, &msg)) {
      state.SkipWithError("MSRP parser rejected the message");
      break;
    }
    benchmark::DoNotOptimize(msg.transaction_id.data());
    benchmark::DoNotOptimize(msg.byte_range.end);
    benchmark::DoNotOptimize(msg.body.size());
  }
  SetCounters(state, message->size());
}

// The pager-mode MESSAGE as Dan's UA sends it.
sipim::sip::RequestSpec MessageSpec(std::string_view body) {
  sipim::sip::RequestSpec spec;
  spec.method = "MESSAGE";
  spec.request_uri = "sip:shirley@office.com";
  spec.via_host = "dan-pc.home.com";
  spec.branch = "z9hG4bK776sgdkse";
  spec.via_rport = true;
  spec.from_display = "Dan";
  spec.from_uri = "sip:dan@home.com";
  spec.from_tag = "49583";
  spec.to_uri = "sip:shirley@office.com";
  spec.call_id = "asd88asd77a@1.2.3.4";
  spec.content_type = "text/plain";
  spec.body = body;
  return spec;
}

void BuildRequest(benchmark::State& state, sipim::sip::RequestSpec spec) {
  std::string out;
  std::size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    if (sipim::sip::BuildRequest(spec, &out)) {
      state.SkipWithError("builder refused the request");
      break;
    }
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, bytes);
}

void BuildOk(benchmark::State& state, const std::string* request) {
  sipim::sip::Message msg;
  if (sipim::sip::Parse(*request, sipim::sip::Framing::kDatagram, &msg)) {
    state.SkipWithError("corpus request does not parse");
    return;
  }
  sipim::sip::ResponseSpec spec;
  spec.status = 200;
  spec.to_tag = "ab30317f1a784dc4";
  std::string out;
  std::size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    if (sipim::sip::BuildResponse(msg, spec, &out)) {
      state.SkipWithError("builder refused the response");
      break;
    }
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, bytes);
}

void BuildMsrpSend(benchmark::State& state, const std::string* body) {
  sipim::msrp::SendParams p;
  p.transaction_id = "a786hjs2";
  p.to_path = "msrp://shirley-pc.office.com:7777/iau39soe2843z;tcp";
  p.from_path = "msrp://dan-pc.home.com:7654/jshA7weztas;tcp";
  p.message_id = "87652491";
  p.success_report = sipim::msrp::ReportMode::kYes;
  p.body = *body;
  std::string out;
  for (auto _ : state) {
    out.clear();
    sipim::msrp::AppendSend(p, &out);
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, out.size());
}

// Validation of a parsed message, as a UA or proxy runs it on every request.
void Validate(benchmark::State& state, const std::string* message) {
  sipim::sip::Message msg;
  if (sipim::sip::Parse(*message, sipim::sip::Framing::kDatagram, &msg) || sipim::sip::Validate(msg)) {
    state.SkipWithError("corpus message does not parse and validate");
    return;
  }
  for (auto _ : state) {
    sipim::ParseError e = sipim::sip::Validate(msg);
    benchmark::DoNotOptimize(e);
  }
  SetCounters(state, message->size());
}

// What a proxy does to a request it forwards, on a parsed message.
void ProxyEdit(benchmark::State& state, const std::string* request) {
  sipim::sip::Message msg;
  if (sipim::sip::Parse(*request, sipim::sip::Framing::kDatagram, &msg)) {
    state.SkipWithError("corpus request does not parse");
    return;
  }
  std::string out;
  for (auto _ : state) {
    out.clear();
    sipim::sip::ProxyEdit edit(msg);
    edit.PushVia("SIP/2.0/UDP proxy.home.com;branch=z9hG4bK77ef4c.1")
        .DecrementMaxForwards()
        .AddRecordRoute("<sip:proxy.home.com;lr>");
    if (edit.Apply(&out)) {
      state.SkipWithError("proxy edit failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, request->size());
}

const std::string& Corpus(const std::string& name) {
  for (const auto& m : SipCorpus()) {
    if (m.name == name) return m.bytes;
  }
  std::fprintf(stderr, "bench_parse: no corpus message %s\n", name.c_str());
  std::exit(1);
}

void RegisterWireCoreBenchmarks() {
  static const std::string msrp_send =
      ReadFile(std::string(SIPIM_BENCH_CORPUS_DIR) + "/msrp-send.msrp");
  static const std::string short_body = "Watson, come here.";
  static const std::string body_4k = std::string(4096, 'x');
  benchmark::RegisterBenchmark("BM_Parse/sipim/msrp-send", ParseMsrp, &msrp_send);
  benchmark::RegisterBenchmark("BM_Build/sipim/message", BuildRequest, MessageSpec(short_body));
  benchmark::RegisterBenchmark("BM_Build/sipim/message-4k", BuildRequest, MessageSpec(body_4k));
  benchmark::RegisterBenchmark("BM_Build/sipim/ok-200", BuildOk, &Corpus("message-2proxies"));
  benchmark::RegisterBenchmark("BM_Build/sipim/msrp-send", BuildMsrpSend, &short_body);
  benchmark::RegisterBenchmark("BM_ProxyEdit/sipim/message-2proxies", ProxyEdit,
                               &Corpus("message-2proxies"));
  for (const char* name : {"message-2proxies", "invite-msrp", "register"})
    benchmark::RegisterBenchmark((std::string("BM_Validate/sipim/") + name).c_str(), Validate, &Corpus(name));
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
  RegisterWireCoreBenchmarks();
  return sipim::machine::BenchmarkMain(argc, argv, 2);
}
