// Proxy edits by splicing the original bytes; see proxy_ops.h.
#include "sip/proxy_ops.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "sip/headers.h"
#include "sip/text.h"

namespace sipim::sip {

void ProxyEdit::Add(std::size_t begin, std::size_t end, std::string_view text, std::size_t order) {
  if (count_ == kMaxSplices) {
    Fail("too many proxy edits on one message", msg_.raw.data());
    return;
  }
  splices_[count_] = Splice{begin, end, text, order == kCallOrder ? count_ : order};
  ++count_;
}

void ProxyEdit::Fail(const char* reason, const char* at) {
  if (!error_) error_ = ErrorAt(msg_, reason, at);
}

// Offset of a view into msg_.raw.
#define SIPIM_OFF(p) static_cast<std::size_t>((p) - msg_.raw.data())

ProxyEdit& ProxyEdit::PushVia(std::string_view via_value) {
  if (via_value.empty() || text::HasCtl(via_value)) {
    Fail("pushed Via value is empty or holds a control character", msg_.raw.data());
    return *this;
  }
  const Header* top = msg_.Find(HeaderId::kVia);
  // Above the current top Via, or first of all fields when there is none.
  const char* at = top != nullptr ? top->line.data() : msg_.start_line.data() + msg_.start_line.size() + 2;
  const std::size_t off = SIPIM_OFF(at);
  // Each push goes above the ones before it at the same offset: its three
  // parts sort before theirs (orders count down from kViaOrder).
  const std::size_t order = kViaOrder - 3 * vias_pushed_++;
  Add(off, off, "Via: ", order);
  Add(off, off, via_value, order + 1);
  Add(off, off, "\r\n", order + 2);
  return *this;
}

ProxyEdit& ProxyEdit::SetViaSource(std::string_view address, std::uint16_t port) {
  if (!msg_.is_request) {
    Fail("received and rport are set on requests only", msg_.raw.data());
    return *this;
  }
  if (address.empty() || text::HasCtl(address) || address.find_first_of(" ;,") != std::string_view::npos) {
    Fail("received address is empty or not a single token", msg_.raw.data());
    return *this;
  }
  Via v;
  if (ParseError e = TopVia(msg_, &v)) {
    if (!error_) error_ = e;
    return *this;
  }
  if (v.text.empty()) {
    Fail("no Via to set received on", msg_.raw.data());
    return *this;
  }
  // The bare rport first: when it ends the via-parm, its value goes
  // before the received added there.
  Param rp;
  if (v.has_rport && v.params.Find("rport", &rp) && !rp.has_value) {
    rport_[0] = '=';
    const char* end = std::to_chars(rport_ + 1, rport_ + sizeof rport_, port).ptr;
    const std::size_t at = SIPIM_OFF(rp.name.data() + rp.name.size());
    Add(at, at, std::string_view(rport_, static_cast<std::size_t>(end - rport_)));
  }
  if (!v.received.empty()) {
    if (v.received != address) Add(SIPIM_OFF(v.received.data()), SIPIM_OFF(v.received.data() + v.received.size()), address);
  } else if (v.has_rport || !text::IEquals(v.host, address)) {
    const std::size_t at = SIPIM_OFF(v.text.data() + v.text.size());
    Add(at, at, ";received=");
    Add(at, at, address);
  }
  return *this;
}

// Removes the first value of the first field with `id`: the whole line if
// it holds one value, else the value and its comma (and any fold after it).
static bool FirstValueSpan(const Message& msg, HeaderId id, std::size_t* begin, std::size_t* end,
                           const char** err_at, const char** reason) {
  const Header* h = msg.Find(id);
  if (h == nullptr) {
    *reason = "no such header field to remove";
    *err_at = msg.raw.data();
    return false;
  }
  ValueSplitter sp(h->value);
  std::string_view first, second;
  if (!sp.Next(&first)) {
    *reason = sp.error() ? sp.error() : "empty header field";
    *err_at = sp.error() ? sp.error_at() : h->value.data();
    return false;
  }
  const char* base = msg.raw.data();
  if (sp.Next(&second)) {
    *begin = static_cast<std::size_t>(first.data() - base);
    *end = static_cast<std::size_t>(second.data() - base);
  } else if (sp.error()) {
    *reason = sp.error();
    *err_at = sp.error_at();
    return false;
  } else {
    *begin = static_cast<std::size_t>(h->line.data() - base);
    *end = *begin + h->line.size();
  }
  return true;
}

ProxyEdit& ProxyEdit::PopVia() {
  PopFirst(HeaderId::kVia, &popped_via_, "PopVia applied twice to one message", "no Via to pop");
  return *this;
}

ProxyEdit& ProxyEdit::PopRoute() {
  PopFirst(HeaderId::kRoute, &popped_route_, "PopRoute applied twice to one message", "no Route to pop");
  return *this;
}

void ProxyEdit::PopFirst(HeaderId id, bool* done, const char* twice, const char* none) {
  if (*done) {
    Fail(twice, msg_.raw.data());
    return;
  }
  *done = true;
  std::size_t b = 0, e = 0;
  const char* at = nullptr;
  const char* reason = nullptr;
  if (!FirstValueSpan(msg_, id, &b, &e, &at, &reason)) {
    Fail(msg_.Find(id) == nullptr ? none : reason, at);
    return;
  }
  Add(b, e, {});
}

ProxyEdit& ProxyEdit::DecrementMaxForwards() {
  if (!msg_.is_request) {
    Fail("Max-Forwards is decremented on requests only", msg_.raw.data());
    return *this;
  }
  if (max_forwards_len_ != 0) {
    Fail("DecrementMaxForwards applied twice to one message", msg_.raw.data());
    return *this;
  }
  const Header* h = msg_.Find(HeaderId::kMaxForwards);
  if (h == nullptr) {
    // RFC 3261 16.6 step 3: add one, at the end of the header section.
    const std::size_t off = SIPIM_OFF(msg_.body.data()) - 2;
    max_forwards_len_ = 1;
    Add(off, off, "Max-Forwards: 70\r\n");
    return *this;
  }
  int mf = 0;
  if (ParseError e = ParseMaxForwards(h->value, &mf, msg_.input)) {
    if (!error_) error_ = e;
    return *this;
  }
  if (mf == 0) {
    Fail(kMaxForwardsExhausted, h->value.data());
    return *this;
  }
  --mf;
  // At most 3 digits (Max-Forwards <= 255).
  char digits[3];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + mf % 10);
    mf /= 10;
  } while (mf != 0);
  for (std::size_t i = 0; i < n; ++i) max_forwards_[i] = digits[n - 1 - i];
  max_forwards_len_ = n;
  const std::size_t b = SIPIM_OFF(h->value.data());
  Add(b, b + h->value.size(), std::string_view(max_forwards_, n));
  return *this;
}

ProxyEdit& ProxyEdit::AddRecordRoute(std::string_view value) {
  if (!msg_.is_request) {
    Fail("Record-Route is added to requests only", msg_.raw.data());
    return *this;
  }
  if (value.empty() || text::HasCtl(value)) {
    Fail("Record-Route value is empty or holds a control character", msg_.raw.data());
    return *this;
  }
  const Header* top = msg_.Find(HeaderId::kRecordRoute);
  // Above the existing ones, else at the end of the header section.
  const std::size_t off = top != nullptr ? SIPIM_OFF(top->line.data()) : SIPIM_OFF(msg_.body.data()) - 2;
  Add(off, off, "Record-Route: ");
  Add(off, off, value);
  Add(off, off, "\r\n");
  return *this;
}

ProxyEdit& ProxyEdit::SetRequestUri(std::string_view uri) {
  if (!msg_.is_request) {
    Fail("a response has no Request-URI", msg_.raw.data());
    return *this;
  }
  if (uri.empty() || text::HasCtl(uri) || uri.find(' ') != std::string_view::npos) {
    Fail("new Request-URI is empty or holds whitespace", msg_.raw.data());
    return *this;
  }
  const std::size_t b = SIPIM_OFF(msg_.request_uri.data());
  Add(b, b + msg_.request_uri.size(), uri);
  return *this;
}

#undef SIPIM_OFF

ParseError ProxyEdit::Apply(std::string* out) const {
  if (error_) return error_;
  Splice sorted[kMaxSplices + 1];
  std::copy(splices_, splices_ + count_, sorted);
  std::size_t count = count_;
  // A message read from a datagram may lack Content-Length (its body is
  // the rest of the datagram); the copy may leave on a stream, where the
  // field is mandatory (RFC 3261 18.3, 20.14): write the body's length.
  char content_length[48] = "Content-Length: ";
  if (msg_.content_length < 0) {
    char* p = std::to_chars(content_length + 16, content_length + 44, msg_.body.size()).ptr;
    *p++ = '\r';
    *p++ = '\n';
    const auto n = static_cast<std::size_t>(p - content_length);
    const auto end = static_cast<std::size_t>(msg_.body.data() - msg_.raw.data()) - 2;  // before the empty line
    sorted[count] = Splice{end, end, std::string_view(content_length, n), count};
    ++count;
  }
  // By offset; at one offset insertions come before a removal starting
  // there, and insertions keep their call order.
  std::sort(sorted, sorted + count, [](const Splice& a, const Splice& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    const bool ai = a.begin == a.end, bi = b.begin == b.end;
    if (ai != bi) return ai;
    return a.order < b.order;
  });
  std::size_t cursor = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (sorted[i].begin < cursor) return ErrorAt(msg_, "proxy edits overlap", msg_.raw.data() + sorted[i].begin);
    cursor = std::max(cursor, sorted[i].end);
  }
  const std::string_view raw = msg_.raw;
  std::size_t extra = 0;
  for (std::size_t i = 0; i < count; ++i) extra += sorted[i].text.size();
  out->reserve(out->size() + raw.size() + extra);
  cursor = 0;
  for (std::size_t i = 0; i < count; ++i) {
    out->append(raw.data() + cursor, sorted[i].begin - cursor);
    out->append(sorted[i].text);
    cursor = sorted[i].end;
  }
  out->append(raw.data() + cursor, raw.size() - cursor);
  return {};
}

}  // namespace sipim::sip
