#include "security/der.h"

namespace sipim::security::der {

namespace {
constexpr unsigned char kAnyTag = 0;  // Header(): accept any single-byte tag

std::string Hex(unsigned v) {
  static const char* digits = "0123456789abcdef";
  std::string s = "0x";
  s.push_back(digits[(v >> 4) & 15]);
  s.push_back(digits[v & 15]);
  return s;
}
}  // namespace

bool Reader::Fail(const std::string& why) {
  if (error_ != nullptr && error_->empty()) *error_ = why + " at offset " + std::to_string(offset());
  return false;
}

// Reads the tag and length at p_; on success *len is the contents length and
// *hdr the header length, and p_ has not moved.
bool Reader::Header(unsigned char tag, const char* what, std::size_t* len, std::size_t* hdr) {
  const std::size_t avail = static_cast<std::size_t>(end_ - p_);
  if (avail < 2) return Fail(std::string(what) + ": input ends before its tag and length");
  const unsigned char t = p_[0];
  if ((t & 0x1f) == 0x1f) return Fail(std::string(what) + ": multi-byte tag " + Hex(t));
  if (tag != kAnyTag && t != tag) {
    return Fail(std::string(what) + ": tag " + Hex(t) + ", expected " + Hex(tag));
  }
  const unsigned char l0 = p_[1];
  if (l0 < 0x80) {
    *len = l0;
    *hdr = 2;
  } else {
    const std::size_t n = l0 & 0x7f;
    // 0x80 is BER's indefinite length; more than 4 length bytes is never needed here.
    if (n == 0 || n > 4) return Fail(std::string(what) + ": not a DER definite length (" + Hex(l0) + ")");
    if (avail < 2 + n) return Fail(std::string(what) + ": input ends inside its length");
    std::size_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p_[2 + i];
    // DER: the shortest form (no leading zero byte, long form only from 128).
    if (p_[2] == 0 || v < 0x80) return Fail(std::string(what) + ": length not in its shortest form");
    *len = v;
    *hdr = 2 + n;
  }
  if (*len > avail - *hdr) {
    return Fail(std::string(what) + ": length " + std::to_string(*len) + " runs past the end (" +
                std::to_string(avail - *hdr) + " bytes left)");
  }
  return true;
}

bool Reader::Read(unsigned char tag, const char* what, Reader* contents, Span* whole) {
  std::size_t len = 0, hdr = 0;
  if (!Header(tag, what, &len, &hdr)) return false;
  if (contents != nullptr) *contents = Reader(p_ + hdr, len, base_, error_);
  if (whole != nullptr) *whole = Span{p_, hdr + len};
  p_ += hdr + len;
  return true;
}

bool Reader::ReadBytes(unsigned char tag, const char* what, Span* contents, Span* whole) {
  Reader r;
  if (!Read(tag, what, &r, whole)) return false;
  if (contents != nullptr) *contents = r.rest();
  return true;
}

bool Reader::ReadAny(const char* what, Span* whole, unsigned char* tag) {
  if (tag != nullptr && p_ < end_) *tag = *p_;
  return Read(kAnyTag, what, nullptr, whole);
}

bool Reader::ReadOptional(unsigned char tag, const char* what, Reader* contents, bool* present, Span* whole) {
  *present = PeekTag() == tag;
  return !*present || Read(tag, what, contents, whole);
}

bool Reader::ReadSmallInt(const char* what, unsigned char v, bool* matches) {
  Span n;
  if (!ReadBytes(kInteger, what, &n)) return false;
  *matches = n.size == 1 && n.data[0] == v;
  return true;
}

bool Reader::ReadAlgorithm(const char* what, Span* oid, bool* plain_params, Span* whole) {
  Reader alg;
  if (!Read(kSequence, what, &alg, whole) || !alg.ReadBytes(kOid, what, oid)) return false;
  *plain_params = alg.empty();
  if (alg.PeekTag() == kNull) {
    Span null;
    if (!alg.ReadBytes(kNull, what, &null)) return false;
    *plain_params = null.size == 0 && alg.empty();
  }
  return true;
}

bool Reader::ExpectEnd(const char* what) {
  if (empty()) return true;
  return Fail(std::string("trailing bytes after ") + what);
}

std::size_t HeaderLen(std::size_t n) {
  std::size_t bytes = 0;
  if (n >= 0x80) {
    for (std::size_t v = n; v != 0; v >>= 8) ++bytes;
  }
  return 2 + bytes;
}

void PutHeader(std::string& out, unsigned char tag, std::size_t n) {
  unsigned char h[2 + sizeof(std::size_t)] = {tag, 0};  // room for any size_t length
  std::size_t len = 2;
  if (n < 0x80) {
    h[1] = static_cast<unsigned char>(n);
  } else {
    const std::size_t bytes = HeaderLen(n) - 2;
    h[1] = static_cast<unsigned char>(0x80 | bytes);
    for (std::size_t i = 0; i < bytes; ++i) h[2 + i] = static_cast<unsigned char>(n >> (8 * (bytes - 1 - i)));
    len += bytes;
  }
  out.append(reinterpret_cast<const char*>(h), len);
}

}  // namespace sipim::security::der
