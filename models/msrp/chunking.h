#pragma once
// Chunking a large message into SEND requests and reassembling it
// (RFC 4975 sections 5.1, 7.1.1, 7.1.3 and 7.3).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/parse_error.h"
#include "msrp/builder.h"
#include "msrp/message.h"

namespace sipim::msrp {

// Splits `body` into SEND chunks of at most `chunk_size` body bytes. Each
// chunk carries the same Message-ID and Content-Type, its own transaction id
// (from `ids`), Byte-Range <start>-<end>/<total> and the flag '+', the last
// one '$'. An empty body gives one chunk "1-0/0" with no content.
class Chunker {
 public:
  // `base` gives paths, Message-ID, reports and Content-Type; its
  // transaction id, body, byte range and flag are replaced per chunk.
  // chunk_size 0 is treated as 1.
  Chunker(const SendParams& base, std::string_view body, std::size_t chunk_size);
  // Appends the next chunk to *out; false when all chunks were written.
  bool Next(IdGenerator* ids, std::string* out);
  std::size_t chunks_written() const { return written_; }
  // How many chunks the whole body needs.
  std::size_t chunk_count() const;

 private:
  SendParams base_;
  std::string_view body_;
  std::size_t chunk_size_;
  std::size_t offset_ = 0;
  std::size_t written_ = 0;
};

// All chunks of `body` appended back to back (a stream). Returns the count.
std::size_t AppendChunkedSend(const SendParams& base, std::string_view body,
                              std::size_t chunk_size, IdGenerator* ids, std::string* out);

// Reassembles chunks by Message-ID. Chunks may arrive out of order;
// duplicates (overlaps with the same bytes) are tolerated and counted;
// overlaps that disagree, ranges past the total, totals that change, a
// Byte-Range whose end disagrees with the body length (but for a chunk
// interrupted with '+' before its end: its bytes are taken), messages beyond
// max_message_size, partial messages beyond max_total_bytes together, a
// new Message-ID beyond max_pending_messages open ones and a message split
// into more than kMaxRanges received ranges are errors (the offending
// message is dropped). '#' aborts the message (kAborted).
class Reassembler {
 public:
  enum class Result : std::uint8_t { kIncomplete, kComplete, kAborted, kError };
  // The most disjoint byte ranges one partial message may hold. Senders send
  // chunks in order (RFC 4975 section 7.1.1), so only reordering opens gaps;
  // each Add costs O(ranges log ranges), so a bound keeps a peer that sends
  // every other byte from making reassembly quadratic.
  static constexpr std::size_t kMaxRanges = 1024;

  // max_message_size bounds one message; max_total_bytes bounds the buffers
  // of all partial messages together (a peer may open many Message-IDs);
  // max_pending_messages bounds how many are open at once, as empty or
  // one-byte chunks open Message-IDs that cost memory but few buffer bytes.
  explicit Reassembler(std::size_t max_message_size = 16 * 1024 * 1024,
                       std::size_t max_total_bytes = 64 * 1024 * 1024,
                       std::size_t max_pending_messages = 1024)
      : max_message_size_(max_message_size),
        max_total_bytes_(max_total_bytes),
        max_pending_messages_(max_pending_messages) {}

  // Takes one SEND chunk (its body is copied). On kComplete, *complete holds
  // the whole message body and the state for that Message-ID is dropped.
  // Errors name the header (line/column within the chunk's own text are not
  // known here: offset is 0 and the reason says what is wrong).
  Result Add(const Message& chunk, std::string* complete, ParseError* err);

  // The ranges [first, last] (1-based, inclusive) still missing for a
  // Message-ID whose total is known; empty when unknown id.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> Missing(std::string_view message_id) const;
  // Call when the stream ends: the error "gap" for the first message still
  // incomplete (naming its Message-ID in `detail`), or no error.
  ParseError Finish(std::string* detail) const;

  std::size_t pending_messages() const { return partial_.size(); }
  // Bytes held in the buffers of partial messages.
  std::size_t buffered_bytes() const { return total_bytes_; }
  std::uint64_t duplicate_bytes() const { return duplicate_bytes_; }

 private:
  struct Partial {
    std::string data;          // grows to the highest byte seen
    std::vector<std::pair<std::uint64_t, std::uint64_t>> have;  // [start, end) 0-based, merged
    bool total_known = false;
    std::uint64_t total = 0;
    bool last_seen = false;    // a '$' chunk arrived
  };
  void Drop(std::map<std::string, Partial, std::less<>>::iterator it);

  std::size_t max_message_size_;
  std::size_t max_total_bytes_;
  std::size_t max_pending_messages_;
  std::size_t total_bytes_ = 0;
  std::map<std::string, Partial, std::less<>> partial_;
  std::uint64_t duplicate_bytes_ = 0;
};

}  // namespace sipim::msrp
