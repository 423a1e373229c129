// Chunking (RFC 4975 section 5.1, 7.1) and reassembly by Message-ID.
#include "msrp/chunking.h"

#include <algorithm>
#include <cstring>

namespace sipim::msrp {
namespace {

ParseError NoPos(const char* reason) { return ParseError{reason, 0, 0, 0}; }

}  // namespace

Chunker::Chunker(const SendParams& base, std::string_view body, std::size_t chunk_size)
    : base_(base), body_(body), chunk_size_(chunk_size == 0 ? 1 : chunk_size) {}

std::size_t Chunker::chunk_count() const {
  if (body_.empty()) return 1;
  return (body_.size() + chunk_size_ - 1) / chunk_size_;
}

bool Chunker::Next(IdGenerator* ids, std::string* out) {
  if (written_ == chunk_count()) return false;
  const IdGenerator::Id tid = ids->Next();
  SendParams p = base_;
  p.transaction_id = tid.view();
  p.has_byte_range = true;
  p.derive_byte_range = false;
  const std::size_t n = std::min(chunk_size_, body_.size() - offset_);
  p.has_body = n > 0;
  p.body = body_.substr(offset_, n);
  // 1-based inclusive; an empty message is "1-0/0".
  p.byte_range = ByteRange{offset_ + 1, offset_ + n, body_.size(), false, false};
  offset_ += n;
  ++written_;
  p.flag = written_ == chunk_count() ? EndFlag::kComplete : EndFlag::kMore;
  AppendSend(p, out);
  return true;
}

std::size_t AppendChunkedSend(const SendParams& base, std::string_view body, std::size_t chunk_size,
                              IdGenerator* ids, std::string* out) {
  Chunker c(base, body, chunk_size);
  while (c.Next(ids, out)) {
  }
  return c.chunks_written();
}

void Reassembler::Drop(std::map<std::string, Partial, std::less<>>::iterator it) {
  total_bytes_ -= it->second.data.size();
  partial_.erase(it);
}

Reassembler::Result Reassembler::Add(const Message& chunk, std::string* complete, ParseError* err) {
  auto fail = [&](const char* reason) {
    *err = NoPos(reason);
    return Result::kError;
  };
  if (!chunk.is_request || chunk.method != Method::kSend) return fail("reassembly takes SEND chunks only");
  if (chunk.message_id.empty()) return fail("chunk without Message-ID");
  auto it = partial_.find(chunk.message_id);
  if (chunk.flag == EndFlag::kAbort) {
    if (it != partial_.end()) Drop(it);
    return Result::kAborted;
  }
  const std::uint64_t len = chunk.body.size();
  // Without Byte-Range the chunk starts the message (1-<len>); it is the
  // whole message only if '$' ends it: after '+' more chunks follow, so the
  // total is unknown yet (section 7.1).
  const bool last = chunk.flag == EndFlag::kComplete;
  ByteRange r = chunk.has_byte_range ? chunk.byte_range : ByteRange{1, len, len, false, !last};
  const std::uint64_t begin = r.start - 1;  // 0-based
  const std::uint64_t end = begin + len;    // exclusive
  auto drop_and_fail = [&](const char* reason) {
    if (it != partial_.end()) Drop(it);
    return fail(reason);
  };
  // RFC 4975 7.1.1: a sender may interrupt a chunk, ending it with '+'
  // before the end its Byte-Range announced; what it holds is what the
  // receiver has, bytes start..start+len-1, and the rest follows in a
  // later chunk. Any other disagreement (a longer body, or one that ends
  // the message short) is an error.
  const bool interrupted = chunk.flag == EndFlag::kMore && !r.end_unknown && r.end > begin + len;
  if (!r.end_unknown && r.end != begin + len && !interrupted)
    return drop_and_fail("Byte-Range end disagrees with the chunk's body length");
  if (!r.total_unknown && end > r.total) return drop_and_fail("chunk goes past the Byte-Range total");
  if (end > max_message_size_ || (!r.total_unknown && r.total > max_message_size_))
    return drop_and_fail("message larger than the reassembly limit");

  if (it == partial_.end()) {
    if (partial_.size() >= max_pending_messages_)
      return fail("too many partial messages open (max_pending_messages)");
    it = partial_.emplace(std::string(chunk.message_id), Partial{}).first;
  }
  Partial& p = it->second;
  if (!r.total_unknown) {
    if (p.total_known && p.total != r.total) return drop_and_fail("chunks disagree on the message total");
    p.total_known = true;
    p.total = r.total;
  }
  if (chunk.flag == EndFlag::kComplete) {
    // The last chunk ends the message: its end is the total.
    if (p.total_known && p.total != end) return drop_and_fail("last chunk ('$') does not end at the total");
    p.total_known = true;
    p.total = end;
    p.last_seen = true;
  }
  // This chunk too: its own total may be '*' while an earlier one gave it.
  if (p.total_known && (end > p.total || (!p.have.empty() && p.have.back().second > p.total)))
    return drop_and_fail("received bytes lie past the message total");

  // Compare overlaps with what is already here, then copy and merge.
  if (p.data.size() < end) {
    const std::size_t grow = static_cast<std::size_t>(end) - p.data.size();
    if (total_bytes_ + grow > max_total_bytes_) return drop_and_fail("reassembly buffers full (max_total_bytes)");
    p.data.resize(end);
    total_bytes_ += grow;
  }
  std::uint64_t overlap = 0;
  for (const auto& iv : p.have) {
    std::uint64_t a = std::max(iv.first, begin), b = std::min(iv.second, end);
    if (a >= b) continue;
    if (std::memcmp(p.data.data() + a, chunk.body.data() + (a - begin), b - a) != 0)
      return drop_and_fail("chunk overlaps received bytes with different content");
    overlap += b - a;
  }
  duplicate_bytes_ += overlap;
  if (len > 0) std::memcpy(&p.data[begin], chunk.body.data(), len);
  if (len > 0) {
    p.have.emplace_back(begin, end);
    std::sort(p.have.begin(), p.have.end());
    std::size_t w = 0;
    for (std::size_t i = 1; i < p.have.size(); ++i) {
      if (p.have[i].first <= p.have[w].second) {
        p.have[w].second = std::max(p.have[w].second, p.have[i].second);
      } else {
        p.have[++w] = p.have[i];
      }
    }
    p.have.resize(w + 1);
    if (p.have.size() > kMaxRanges)
      return drop_and_fail("chunk splits the message into more than kMaxRanges received ranges");
  }
  const bool whole = p.total_known && (p.total == 0 || (p.have.size() == 1 && p.have[0].first == 0 &&
                                                       p.have[0].second == p.total));
  if (!whole) return Result::kIncomplete;
  total_bytes_ -= p.data.size();
  p.data.resize(p.total);
  complete->swap(p.data);
  partial_.erase(it);
  return Result::kComplete;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> Reassembler::Missing(
    std::string_view message_id) const {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> gaps;
  auto it = partial_.find(message_id);
  if (it == partial_.end()) return gaps;
  const Partial& p = it->second;
  std::uint64_t next = 0;  // 0-based
  for (const auto& iv : p.have) {
    if (iv.first > next) gaps.emplace_back(next + 1, iv.first);
    next = iv.second;
  }
  if (p.total_known && next < p.total) gaps.emplace_back(next + 1, p.total);
  return gaps;
}

ParseError Reassembler::Finish(std::string* detail) const {
  if (partial_.empty()) return ParseError{};
  const auto& [id, p] = *partial_.begin();
  if (detail) {
    *detail = "Message-ID " + id + ": missing";
    auto gaps = Missing(id);
    for (const auto& g : gaps) *detail += " " + std::to_string(g.first) + "-" + std::to_string(g.second);
    if (!p.total_known) *detail += " (total unknown: no '$' chunk)";
  }
  return NoPos("stream ended with an incomplete message (gap)");
}

}  // namespace sipim::msrp
