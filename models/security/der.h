#pragma once
// A bounded DER reader in the spirit of BoringSSL's CBS: a view over bytes
// that reads one TLV at a time, never past its end, accepting only DER
// (definite, minimal lengths; single-byte tags). Every failure says what was
// expected and at which offset of the outermost input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sipim::security::der {

// ASN.1 tags (single byte: class, constructed bit, number).
constexpr unsigned char kInteger = 0x02;
constexpr unsigned char kOctetString = 0x04;
constexpr unsigned char kNull = 0x05;
constexpr unsigned char kOid = 0x06;
constexpr unsigned char kUtcTime = 0x17;
constexpr unsigned char kGeneralizedTime = 0x18;
constexpr unsigned char kSequence = 0x30;
constexpr unsigned char kSet = 0x31;
constexpr unsigned char ContextCons(unsigned n) { return static_cast<unsigned char>(0xA0 | n); }
constexpr unsigned char ContextPrim(unsigned n) { return static_cast<unsigned char>(0x80 | n); }

// A view of bytes inside the input (pointer and length), plus where it starts.
struct Span {
  const unsigned char* data = nullptr;
  std::size_t size = 0;
  std::string_view view() const { return {reinterpret_cast<const char*>(data), size}; }
  bool operator==(const Span& o) const { return view() == o.view(); }
};

// True if `s` holds exactly the bytes of `bytes` (an OID's contents, say).
template <std::size_t N>
bool Is(const Span& s, const unsigned char (&bytes)[N]) {
  return s.size == N && s.view() == std::string_view(reinterpret_cast<const char*>(bytes), N);
}

class Reader {
 public:
  // A reader over all of `s`; failures are written to *error (shared with
  // every reader made from this one), offsets count from the start of `s`.
  Reader(std::string_view s, std::string* error)
      : p_(reinterpret_cast<const unsigned char*>(s.data())), end_(p_ + s.size()), base_(p_), error_(error) {}
  Reader() = default;

  bool empty() const { return p_ == end_; }
  std::size_t offset() const { return static_cast<std::size_t>(p_ - base_); }
  // The tag of the next element, or -1 at the end.
  int PeekTag() const { return p_ < end_ ? *p_ : -1; }

  // Reads one element with tag `tag`: `contents` gets a reader over its
  // contents, `whole` (optional) the full TLV bytes. False, with error()
  // naming `what` and the offset, on a different tag, a non-DER length or a
  // length beyond the end.
  bool Read(unsigned char tag, const char* what, Reader* contents, Span* whole = nullptr);
  // Reads one element with tag `tag` and gives its contents as bytes.
  bool ReadBytes(unsigned char tag, const char* what, Span* contents, Span* whole = nullptr);
  // Reads any one element (tag < 0x1f number) and gives its full TLV bytes.
  bool ReadAny(const char* what, Span* whole, unsigned char* tag = nullptr);
  // Reads an element only if the next tag is `tag`; *present says whether it was.
  bool ReadOptional(unsigned char tag, const char* what, Reader* contents, bool* present, Span* whole = nullptr);
  // An INTEGER; *matches says whether its contents are the one byte `v`.
  bool ReadSmallInt(const char* what, unsigned char v, bool* matches);
  // An AlgorithmIdentifier: its OID, and whether the parameters are absent
  // or NULL (anything else is an algorithm variant callers do not handle).
  bool ReadAlgorithm(const char* what, Span* oid, bool* plain_params, Span* whole = nullptr);
  // True if nothing is left; otherwise sets the error ("trailing bytes after `what`").
  bool ExpectEnd(const char* what);
  // Sets the error for a value that parsed but is not one this code handles.
  bool Fail(const std::string& why);

  Span rest() const { return {p_, static_cast<std::size_t>(end_ - p_)}; }
  // The first failure of this reader or any reader made from it.
  const std::string& error() const {
    static const std::string kNone;
    return error_ != nullptr ? *error_ : kNone;
  }

 private:
  Reader(const unsigned char* p, std::size_t n, const unsigned char* base, std::string* error)
      : p_(p), end_(p + n), base_(base), error_(error) {}
  bool Header(unsigned char tag, const char* what, std::size_t* len, std::size_t* hdr);
  const unsigned char* p_ = nullptr;
  const unsigned char* end_ = nullptr;
  const unsigned char* base_ = nullptr;
  std::string* error_ = nullptr;
};

// ------------------------------------------------------------ writing DER
// Sizes are computed first (TlvLen of the contents, innermost out), then
// each header is appended with the contents straight after it.

// Bytes of a TLV header for `n` bytes of contents.
std::size_t HeaderLen(std::size_t n);
inline std::size_t TlvLen(std::size_t n) { return HeaderLen(n) + n; }
// Appends tag and DER length.
void PutHeader(std::string& out, unsigned char tag, std::size_t n);
inline void PutTlv(std::string& out, unsigned char tag, std::string_view contents) {
  PutHeader(out, tag, contents.size());
  out.append(contents);
}
template <std::size_t N>
void PutOid(std::string& out, const unsigned char (&oid)[N]) {
  PutTlv(out, kOid, std::string_view(reinterpret_cast<const char*>(oid), N));
}
// AlgorithmIdentifier { oid } with parameters absent, or NULL when `null`.
template <std::size_t N>
void PutAlgorithm(std::string& out, const unsigned char (&oid)[N], bool null) {
  PutHeader(out, kSequence, TlvLen(N) + (null ? 2 : 0));
  PutOid(out, oid);
  if (null) out.append("\x05\x00", 2);
}
// Size of PutAlgorithm's output.
inline std::size_t AlgorithmLen(std::size_t oid_len, bool null) { return TlvLen(TlvLen(oid_len) + (null ? 2 : 0)); }

}  // namespace sipim::security::der
