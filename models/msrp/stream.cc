// Incremental MSRP framing over a byte stream: a resumable boundary scan,
// then the one-shot parser over the complete message.
#include "msrp/stream.h"

#include <algorithm>
#include <cstring>

#include "msrp/chars.h"
#include "msrp/framing.h"

namespace sipim::msrp {
namespace {

// How many bytes of a fed piece are copied at a time into the buffer of a
// split message: bounds the copying of bytes that belong to later messages.
constexpr std::size_t kCopyStep = 16 * 1024;

ParseError Err(const char* reason, std::string_view d, std::size_t offset) {
  return MakeParseError(reason, d.data(), d.size(), offset);
}

}  // namespace

StreamParser::StreamParser(const Limits& limits) : limits_(limits) {}

void StreamParser::Feed(std::string_view bytes) {
  if (failed_) return;
  if (!pending_.empty()) {
    // A usage error: the previous piece was not drained by Next(). Keeping
    // both would need unbounded memory, so the stream fails.
    failed_ = true;
    error_ = ParseError{"Feed() called before Next() returned kNeedMore", stream_offset_, 0, 0};
    return;
  }
  pending_ = bytes;
}

ParseResult StreamParser::Fail(ParseError e, ParseError* err) {
  e.offset += stream_offset_;
  error_ = e;
  failed_ = true;
  *err = e;
  return ParseResult::kError;
}

ParseResult StreamParser::ScanBoundary(std::string_view data, std::size_t* len, ParseError* err) {
  const std::size_t max = limits_.max_message_size;
  const std::string_view d = data.size() > max ? data.substr(0, max) : data;
  auto need_more = [&]() {
    if (data.size() <= max) return ParseResult::kNeedMore;
    *err = Err("message larger than the maximum size (max_message_size)", data, max);
    return ParseResult::kError;
  };
  auto fail = [&](ParseError e) {
    *err = e;
    return ParseResult::kError;
  };

  if (scan_.phase == 0) {
    const void* p = std::memchr(d.data() + scan_.pos, '\n', d.size() - scan_.pos);
    const std::size_t nl = p ? static_cast<std::size_t>(static_cast<const char*>(p) - d.data()) : d.size();
    if (ParseError e = framing::CheckStartLinePrefix(d, nl)) return fail(e);
    if (p == nullptr) {
      scan_.pos = d.size();
      return need_more();
    }
    if (nl == 0 || d[nl - 1] != '\r') return fail(Err("start line must end in CRLF", d, nl));
    framing::StartLine sl;
    if (ParseError e = framing::ParseStartLine(d, nl - 1, &sl)) return fail(e);
    scan_.tid_begin = sl.tid_begin;
    scan_.tid_len = sl.tid_len;
    scan_.phase = 1;
    scan_.pos = scan_.line_start = nl + 1;
  }
  const std::string_view tid = d.substr(scan_.tid_begin, scan_.tid_len);

  if (scan_.phase == 1) {
    for (;;) {
      const void* p = std::memchr(d.data() + scan_.pos, '\n', d.size() - scan_.pos);
      if (p == nullptr) {
        scan_.pos = d.size();
        return need_more();
      }
      const std::size_t nl = static_cast<std::size_t>(static_cast<const char*>(p) - d.data());
      const std::size_t ls = scan_.line_start;
      if (nl == ls || d[nl - 1] != '\r') return fail(Err("line must end in CRLF", d, nl));
      const std::size_t le = nl - 1;
      if (le == ls) {  // the empty line: the body follows
        scan_.phase = 2;
        scan_.pos = nl + 1;
        break;
      }
      if (d[ls] == '-') {
        EndFlag flag;
        if (!framing::IsEndLine(d, ls, le, tid, &flag))
          return fail(Err("line starting with '-' is not this transaction's end-line", d, ls));
        *len = nl + 1;
        return ParseResult::kMessage;
      }
      if (!wire::IsAlpha(static_cast<unsigned char>(d[ls])))
        return fail(Err("header name must start with a letter", d, ls));
      scan_.pos = scan_.line_start = nl + 1;
    }
  }

  std::size_t at = 0;
  switch (framing::FindEndLine(d, scan_.pos, tid, &at)) {
    case framing::Match::kYes:
      *len = at + framing::EndLineSize(tid.size());
      return ParseResult::kMessage;
    case framing::Match::kPartial:
      scan_.pos = at;
      return need_more();
    case framing::Match::kNo:
      scan_.pos = d.size();
      return need_more();
  }
  return need_more();
}

ParseResult StreamParser::Emit(std::string_view data, std::size_t len, Message* out,
                               ParseError* err) {
  ParseError e;
  ParseResult r = ParsePrefix(data.substr(0, len), out, &e, limits_);
  if (r == ParseResult::kError) return Fail(e, err);
  if (r != ParseResult::kMessage || out->size != len)
    return Fail(Err("internal error: framing and parsing disagree on the message end", data, len), err);
  stream_offset_ += len;
  scan_ = Scan{};
  return ParseResult::kMessage;
}

ParseResult StreamParser::Next(Message* out, ParseError* err) {
  if (failed_) {
    *err = error_;
    return ParseResult::kError;
  }
  if (consumed_ > 0) {  // the message returned last time is no longer needed
    buf_.erase(0, consumed_);
    consumed_ = 0;
  }
  for (;;) {
    std::size_t len = 0;
    ParseError e;
    if (buf_.empty()) {
      // Parse in place from the caller's bytes.
      if (pending_.empty()) return ParseResult::kNeedMore;
      ParseResult r = ScanBoundary(pending_, &len, &e);
      if (r == ParseResult::kMessage) {
        std::string_view msg = pending_.substr(0, len);
        pending_.remove_prefix(len);
        return Emit(msg, len, out, err);
      }
      if (r == ParseResult::kError) return Fail(e, err);
      buf_.assign(pending_.data(), pending_.size());  // at most max_message_size bytes
      pending_ = std::string_view();
      return ParseResult::kNeedMore;
    }
    // A message split across pieces: gather it in buf_, a step at a time.
    if (pending_.empty()) return ParseResult::kNeedMore;
    const std::size_t room = limits_.max_message_size + 1 - buf_.size();
    const std::size_t take = std::min({pending_.size(), room, kCopyStep});
    buf_.append(pending_.data(), take);
    pending_.remove_prefix(take);
    ParseResult r = ScanBoundary(buf_, &len, &e);
    if (r == ParseResult::kError) return Fail(e, err);
    if (r == ParseResult::kMessage) {
      // Bytes past the message were copied from pending_ in this step: hand
      // them back (they are still in the caller's piece, just before it).
      const std::size_t back = buf_.size() - len;
      pending_ = std::string_view(pending_.data() - back, pending_.size() + back);
      buf_.resize(len);
      consumed_ = len;
      return Emit(std::string_view(buf_), len, out, err);
    }
  }
}

}  // namespace sipim::msrp
