#pragma once
// Incremental MSRP parsing over a byte stream (a TCP or TLS connection).
//
// Bytes arrive in pieces of any size; a message may be split anywhere,
// including inside its end-line. Usage:
//
//   StreamParser p;                 // or StreamParser(limits)
//   p.Feed(bytes);                  // the bytes stay valid until Next()
//   Message m; ParseError e;        //   returns kNeedMore or kError
//   for (;;) {
//     ParseResult r = p.Next(&m, &e);
//     if (r == ParseResult::kMessage) { use(m); continue; }
//     if (r == ParseResult::kError) { close the connection; }
//     break;  // kNeedMore: Feed() the next piece
//   }
//
// Zero-copy where possible: a message that lies wholly inside the fed piece
// is parsed in place (its views point into the caller's bytes); only a
// message split across pieces is gathered into the parser's own buffer (its
// views point there). Either way the views of a returned Message stay valid
// until the next call to Next() or Feed().
//
// The scan is incremental: each byte is examined a bounded number of times
// however the stream is split (memchr for the end-line's CR), so feeding byte
// by byte costs O(n), not O(n^2).
//
// Bounded memory: the buffer never holds more than limits.max_message_size + 1
// bytes; a longer message is an error. After an error the parser stays
// failed (like a connection that must be closed): Next() repeats the error.
//
// Errors: `offset` counts bytes from the start of the stream; `line` and
// `column` count from the start of the offending message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "msrp/message.h"

namespace sipim::msrp {

class StreamParser {
 public:
  explicit StreamParser(const Limits& limits = Limits{});

  // Hands the parser the next piece of the stream. Only valid when the
  // previous Next() returned kNeedMore (or before the first Next()).
  void Feed(std::string_view bytes);

  // Extracts the next complete message; see the header comment.
  ParseResult Next(Message* out, ParseError* err);

  // Convenience: Feed(bytes), then fn(const Message&) for every complete
  // message. Returns the error that stopped the stream, or no error.
  template <class Fn>
  ParseError FeedAll(std::string_view bytes, Fn&& fn) {
    Feed(bytes);
    ParseError err;
    for (;;) {
      ParseResult r = Next(&scratch_, &err);
      if (r == ParseResult::kMessage) {
        fn(static_cast<const Message&>(scratch_));
        continue;
      }
      return r == ParseResult::kError ? err : ParseError{};
    }
  }

  bool failed() const { return failed_; }
  // Bytes of an incomplete message held in the parser (copied or pending).
  std::size_t buffered() const { return (buf_.size() - consumed_) + pending_.size(); }
  // Bytes consumed by complete messages so far.
  std::uint64_t stream_offset() const { return stream_offset_; }
  // True when no partial message is pending: the stream may end here cleanly.
  bool at_message_boundary() const { return !failed_ && buffered() == 0; }

 private:
  // Where the boundary scan of the current message stands (offsets are from
  // the message's first byte).
  struct Scan {
    int phase = 0;               // 0 start line, 1 headers, 2 body
    std::size_t pos = 0;         // next offset to examine
    std::size_t line_start = 0;  // the header line being completed
    std::size_t tid_begin = 0;   // the transaction id within the start line
    std::size_t tid_len = 0;
  };
  // kMessage with *len set, kNeedMore, or kError with *err (offset relative
  // to `data`).
  ParseResult ScanBoundary(std::string_view data, std::size_t* len, ParseError* err);
  ParseResult Fail(ParseError e, ParseError* err);
  ParseResult Emit(std::string_view data, std::size_t len, Message* out, ParseError* err);

  Limits limits_;
  std::string buf_;              // gathered bytes of a split message
  std::size_t consumed_ = 0;     // bytes at the front of buf_ already returned
  std::string_view pending_;     // the caller's fed bytes not yet consumed
  Scan scan_;
  bool failed_ = false;
  ParseError error_;
  std::uint64_t stream_offset_ = 0;
  Message scratch_;
};

}  // namespace sipim::msrp
