#pragma once
// What a proxy does to a message it forwards (RFC 3261 section 16.6, and
// 16.7 for responses), without re-serialising the message: the output is
// the original bytes with a few spans spliced in or out.
//
//   ProxyEdit edit(msg);
//   edit.DecrementMaxForwards();     // error kMaxForwardsExhausted -> 483
//   edit.PopRoute();                 // when the top Route is this proxy
//   edit.AddRecordRoute("<sip:p1.example.com;lr>");
//   edit.PushVia("SIP/2.0/UDP p1.example.com;branch=z9hG4bK...");
//   ParseError e = edit.Apply(&out);  // appends the new message
//
// Edits touch only header fields, so Content-Length and the body are kept;
// a message without Content-Length (a datagram's, whose body is the rest
// of the datagram) gets one, since the copy may go out on a stream.
// The first failing edit is remembered and returned by Apply().
#include <cstddef>
#include <string>
#include <string_view>

#include "common/parse_error.h"
#include "sip/message.h"

namespace sipim::sip {

// The reason DecrementMaxForwards() gives when Max-Forwards is 0.
inline constexpr const char* kMaxForwardsExhausted = "Max-Forwards is zero (483 Too Many Hops)";

class ProxyEdit {
 public:
  // `msg` (and the buffer it views) must outlive the edit. The edit keeps
  // views into itself: do not copy it.
  explicit ProxyEdit(const Message& msg) : msg_(msg) {}
  ProxyEdit(const ProxyEdit&) = delete;
  ProxyEdit& operator=(const ProxyEdit&) = delete;

  // Adds a Via field with `via_value` above all others.
  ProxyEdit& PushVia(std::string_view via_value);
  // RFC 3261 18.2.1 and RFC 3581 section 4, on a received request: the
  // top Via gets ";received=<address>" when its sent-by host is not
  // `address` (a received already there takes that value) or it has
  // rport, and a bare ";rport" gets "=<port>". Nothing otherwise.
  // `address` must outlive the edit.
  ProxyEdit& SetViaSource(std::string_view address, std::uint16_t port);
  // Removes the top via-parm: the whole first Via field if it has one
  // value, else only its first value (RFC 3261 section 16.7 step 3).
  ProxyEdit& PopVia();
  // Max-Forwards - 1; adds "Max-Forwards: 70" when absent (section 16.6
  // step 3); fails with kMaxForwardsExhausted when it is 0.
  ProxyEdit& DecrementMaxForwards();
  // Adds a Record-Route field with `value` ("<sip:proxy;lr>") above others.
  ProxyEdit& AddRecordRoute(std::string_view value);
  // Removes the top Route value (whole field, or first value of it).
  ProxyEdit& PopRoute();
  // Replaces the Request-URI (retargeting, section 16.6 step 2).
  ProxyEdit& SetRequestUri(std::string_view uri);

  // The first error of any edit so far (falsy when none).
  const ParseError& error() const { return error_; }
  // Appends the edited message to *out; on error *out is unchanged.
  ParseError Apply(std::string* out) const;

 private:
  struct Splice {
    std::size_t begin;  // offset into msg.raw
    std::size_t end;
    std::string_view text;   // inserted text (views into the caller or below)
    std::size_t order;       // call order: insertions at one offset keep it
  };
  // `order` ranks insertions at one offset; by default the call order.
  static constexpr std::size_t kCallOrder = ~std::size_t{0};
  void Add(std::size_t begin, std::size_t end, std::string_view text, std::size_t order = kCallOrder);
  void Fail(const char* reason, const char* at);
  // Removes the first value of the first `id` field (PopVia, PopRoute).
  void PopFirst(HeaderId id, bool* done, const char* twice, const char* none);

  static constexpr std::size_t kMaxSplices = 16;
  // Above every call order (< kMaxSplices), with room for kMaxSplices pushes.
  static constexpr std::size_t kViaOrder = 4 * kMaxSplices;
  const Message& msg_;
  Splice splices_[kMaxSplices];
  std::size_t count_ = 0;
  ParseError error_;
  char max_forwards_[8] = {};  // the new Max-Forwards digits
  std::size_t max_forwards_len_ = 0;
  char rport_[7] = {};  // "=" and the source port's digits
  std::size_t vias_pushed_ = 0;
  bool popped_via_ = false;
  bool popped_route_ = false;
};

}  // namespace sipim::sip
