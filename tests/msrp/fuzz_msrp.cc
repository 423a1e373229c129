// libFuzzer target for the MSRP parser. Invariants checked on every input:
//  - no crash, no sanitizer report, bounded memory;
//  - a parsed message's views lie inside the input buffer;
//  - AppendMessage(parsed) parses back to an equal message, byte for byte;
//  - the stream fed byte by byte, or in pieces sized by the input, yields the
//    same messages and the same error as fed at once.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "msrp/builder.h"
#include "msrp/stream.h"
#include "msrp/uri.h"

namespace {

using namespace sipim::msrp;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

struct Outcome {
  std::vector<std::string> messages;
  const char* error = nullptr;
  std::uint64_t offset = 0;
  bool boundary = false;
  bool operator==(const Outcome& o) const {
    return messages == o.messages && (error == nullptr) == (o.error == nullptr) &&
           (error == nullptr || std::string_view(error) == o.error) && offset == o.offset &&
           boundary == o.boundary;
  }
};

Outcome Run(std::string_view data, std::size_t piece, const Limits& limits) {
  StreamParser p(limits);
  Outcome out;
  for (std::size_t i = 0; i < data.size() || i == 0; i += piece) {
    std::string_view chunk = data.substr(i, piece);
    sipim::ParseError e = p.FeedAll(chunk, [&](const Message& m) {
      std::string s;
      AppendMessage(m, &s);
      out.messages.push_back(s);
    });
    if (e) {
      out.error = e.reason;
      out.offset = e.offset;
      break;
    }
    if (data.empty()) break;
  }
  out.boundary = p.at_message_boundary();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_message_size = 4096;  // small, so the limit paths run too

  Message m;
  sipim::ParseError err;
  if (ParsePrefix(in, &m, &err, limits) == ParseResult::kMessage) {
    Check(m.size <= in.size());
    for (std::string_view v : {m.transaction_id, m.method_name, m.comment, m.to_path, m.from_path, m.message_id,
                               m.content_type, m.body, m.status.reason})
      Check(Inside(v, in));
    for (const Header& h : m.headers) Check(Inside(h.name, in) && Inside(h.value, in));
    std::string rebuilt;
    AppendMessage(m, &rebuilt);
    Check(rebuilt == in.substr(0, m.size));
    Message again;
    Check(!Parse(rebuilt, &again, limits));
    Check(again == m);
  } else {
    Check(err.reason == nullptr || err.offset <= in.size());
  }

  // The URI parser on the whole input, and its round trip.
  Uri u;
  if (!ParseUri(in, &u)) {
    std::string s;
    AppendUri(u, &s);
    Uri v;
    Check(!ParseUri(s, &v) && u.SameResource(v));
  }

  const Outcome whole = Run(in, in.size() + 1, limits);
  Check(Run(in, 1, limits) == whole);
  const std::size_t piece = size > 0 ? 1 + data[0] % 61 : 1;
  Check(Run(in, piece, limits) == whole);
  return 0;
}
