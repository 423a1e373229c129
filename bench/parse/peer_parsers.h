#pragma once
// The peer parsers sipim is compared with, each doing the same work as sipim's
// benchmark: parse the whole message, then read the top Via branch, From tag,
// To tag, Call-ID, CSeq number and Content-Length.
//
// Each reader hands the six fields to a sink while the peer's own storage is
// still alive, so the benchmark sink (which only touches the bytes) and the
// test sink (which copies them for comparison) run the same parse code.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace sipim::bench {

struct KeyFields {
  std::string_view via_branch;
  std::string_view from_tag;
  std::string_view to_tag;
  std::string_view call_id;
  // osip2 stores a Call-ID split at '@'; it reports the part after it here.
  std::string_view call_id_host;
  std::uint64_t cseq = 0;
  std::uint64_t content_length = 0;
};

// A sink receives the fields of one message; the views die when it returns.
struct FieldSink {
  virtual ~FieldSink() = default;
  virtual void Take(const KeyFields& fields) = 0;
};

// Each returns false when the peer rejects the message.
bool ReadWithOsip2(std::string_view message, FieldSink& sink);
bool ReadWithSofia(std::string_view message, FieldSink& sink);
bool ReadWithSipim(std::string_view message, FieldSink& sink);

// Copies of the fields, for checking that all parsers agree.
struct OwnedFields {
  std::string via_branch, from_tag, to_tag, call_id;
  std::uint64_t cseq = 0;
  std::uint64_t content_length = 0;
  bool operator==(const OwnedFields& o) const {
    return via_branch == o.via_branch && from_tag == o.from_tag && to_tag == o.to_tag &&
           call_id == o.call_id && cseq == o.cseq && content_length == o.content_length;
  }
};

struct CopySink : FieldSink {
  OwnedFields fields;
  void Take(const KeyFields& f) override {
    std::string call_id(f.call_id);
    if (!f.call_id_host.empty()) call_id.append("@").append(f.call_id_host);
    fields = {std::string(f.via_branch), std::string(f.from_tag), std::string(f.to_tag),
              std::move(call_id),        f.cseq,                  f.content_length};
  }
};

}  // namespace sipim::bench
