#pragma once
// Incremental framing of SIP over a byte stream (TCP, TLS, SCTP).
//
// Bytes arrive in pieces of any size; Append() buffers them and Next()
// yields each complete message once its headers have ended and
// Content-Length body bytes have arrived (RFC 3261 section 18.3). Leading
// CRLFs between messages (keep-alives, RFC 5626) are skipped. A framing
// error is final: the stream cannot be resynchronised, so the connection
// must be closed, and every later Next() returns the same error.
//
// Memory: the buffer holds at most one unfinished message of at most
// max_message_size bytes, plus the bytes of the latest Append().
#include <cstddef>
#include <string>
#include <string_view>

#include "common/parse_error.h"
#include "sip/message.h"

namespace sipim::sip {

class StreamFramer {
 public:
  enum class Status { kMessage, kNeedMore, kError };

  // With `pass_other_versions`, a whole request of a SIP version other
  // than 2.0 is returned as a message (see Next) instead of ending the
  // stream, for a receiver that answers it 505 and goes on.
  explicit StreamFramer(std::size_t max_message_size = 65536, bool pass_other_versions = false);

  // Adds bytes read from the stream. Views from the previous Next() become
  // invalid.
  void Append(std::string_view bytes);

  // kMessage: *out is the next message (views into the framer's buffer,
  // valid until the next Append()); with pass_other_versions, a request
  // of another SIP version is one too (Parse() on its bytes gives
  // kUnsupportedVersion): the caller must check. kNeedMore: wait for more bytes.
  // kError: *error says why; the stream is unusable from now on.
  Status Next(Message* out, ParseError* error);

  // Bytes received but not yet returned as a message.
  std::size_t buffered() const { return buf_.size() - start_; }
  bool failed() const { return failed_; }
  // Total bytes consumed as messages (and skipped CRLFs) so far.
  std::size_t consumed() const { return consumed_; }

 private:
  std::string buf_;
  std::size_t start_ = 0;  // first byte not yet returned
  std::size_t scan_ = 0;   // where the search for the header end resumes
  std::size_t need_ = 0;  // bytes from start_ the current message needs
  std::size_t max_;
  std::size_t consumed_ = 0;
  bool pass_other_versions_;
  bool failed_ = false;
  ParseError error_;
};

}  // namespace sipim::sip
