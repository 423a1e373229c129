// Incremental SIP framing over a byte stream; see stream_framer.h.
#include "sip/stream_framer.h"

#include <cstring>

namespace sipim::sip {

StreamFramer::StreamFramer(std::size_t max_message_size, bool pass_other_versions)
    : max_(max_message_size), pass_other_versions_(pass_other_versions) {}

void StreamFramer::Append(std::string_view bytes) {
  if (failed_) return;  // the stream is dead; keep no more bytes
  // Drop the bytes already returned, so that the buffer holds one
  // unfinished message at most.
  if (start_ > 0) {
    buf_.erase(0, start_);
    scan_ -= start_;
    start_ = 0;
  }
  buf_.append(bytes.data(), bytes.size());
}

StreamFramer::Status StreamFramer::Next(Message* out, ParseError* error) {
  if (failed_) {
    *error = error_;
    return Status::kError;
  }
  // Keep-alive CRLFs before a message (RFC 3261 section 7.5, RFC 5626).
  while (buf_.size() - start_ >= 2 && buf_[start_] == '\r' && buf_[start_ + 1] == '\n') {
    start_ += 2;
    consumed_ += 2;
  }
  if (scan_ < start_) scan_ = start_;
  const std::size_t avail = buf_.size() - start_;
  if (avail == 0 || (avail == 1 && buf_[start_] == '\r')) return Status::kNeedMore;
  if (avail < need_) return Status::kNeedMore;  // the body is still arriving
  const char* data = buf_.data();
  if (need_ == 0) {
    // The header section ends at the first CRLFCRLF; resume the search
    // where the last one stopped (minus 3 bytes, which may hold part of it).
    std::size_t from = scan_ > start_ + 3 ? scan_ - 3 : start_;
    std::size_t header_end = std::string::npos;
    while (from + 4 <= buf_.size()) {
      const void* cr = std::memchr(data + from, '\r', buf_.size() - from - 3);
      if (cr == nullptr) break;
      const std::size_t k = static_cast<std::size_t>(static_cast<const char*>(cr) - data);
      if (std::memcmp(data + k, "\r\n\r\n", 4) == 0) {
        header_end = k + 4;
        break;
      }
      from = k + 1;
    }
    if (header_end == std::string::npos) {
      scan_ = buf_.size();
      if (avail > max_) {
        failed_ = true;
        error_ = MakeParseError("header section larger than the maximum message size", data + start_, avail, max_);
        *error = error_;
        return Status::kError;
      }
      return Status::kNeedMore;
    }
    scan_ = header_end;
  }
  const std::string_view msg(data + start_, buf_.size() - start_);
  ParseError e = Parse(msg, Framing::kStream, out);
  if (e.reason == kTruncatedBody) {
    const std::size_t total = out->body.data() - msg.data() + static_cast<std::size_t>(out->content_length);
    if (total > max_) {
      failed_ = true;
      error_ = MakeParseError("message larger than the maximum message size", msg.data(), msg.size(),
                              static_cast<std::size_t>(out->body.data() - msg.data()));
      *error = error_;
      return Status::kError;
    }
    need_ = total;
    return Status::kNeedMore;
  }
  // A whole request of another SIP version is a message to answer (505),
  // not a loss of framing, for a caller that asked for it (and re-parses).
  if (e && !(pass_other_versions_ && e.reason == kUnsupportedVersion)) {
    failed_ = true;
    error_ = e;
    *error = e;
    return Status::kError;
  }
  if (out->size > max_) {
    failed_ = true;
    error_ = MakeParseError("message larger than the maximum message size", msg.data(), msg.size(), 0);
    *error = error_;
    return Status::kError;
  }
  start_ += out->size;
  consumed_ += out->size;
  scan_ = start_;
  need_ = 0;
  return Status::kMessage;
}

}  // namespace sipim::sip
