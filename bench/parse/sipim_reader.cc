// sipim's wire core: parse, then read the six key fields.
#include "peer_parsers.h"
#include "sip/headers.h"
#include "sip/message.h"

namespace sipim::bench {

bool ReadWithSipim(std::string_view message, FieldSink& sink) {
  // Reused across calls, as a transport's receive path reuses it, so that
  // steady-state parsing does not allocate.
  static thread_local sip::Message msg;
  if (sip::Parse(message, sip::Framing::kDatagram, &msg)) return false;

  sip::Via via;
  if (sip::TopVia(msg, &via)) return false;
  sip::NameAddr addr;
  const sip::Header* h = msg.Find(sip::HeaderId::kFrom);
  if (!h || sip::ParseNameAddr(h->value, &addr, msg.input)) return false;
  const std::string_view from_tag = addr.tag;
  h = msg.Find(sip::HeaderId::kTo);
  if (!h || sip::ParseNameAddr(h->value, &addr, msg.input)) return false;
  const std::string_view to_tag = addr.tag;
  std::string_view call_id;
  h = msg.Find(sip::HeaderId::kCallId);
  if (!h || sip::ParseCallId(h->value, &call_id, msg.input)) return false;
  sip::CSeq cseq;
  h = msg.Find(sip::HeaderId::kCSeq);
  if (!h || sip::ParseCSeq(h->value, &cseq, msg.input)) return false;
  // Built once at the end, every member given: no zeroing first.
  // Parse() has already read and checked Content-Length.
  const KeyFields f{via.branch,  from_tag, to_tag, call_id, {}, cseq.number,
                    msg.content_length < 0 ? 0 : static_cast<std::uint64_t>(msg.content_length)};
  sink.Take(f);
  return true;
}

}  // namespace sipim::bench
