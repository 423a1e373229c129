// sofia-sip (libsofia-sip-ua): parse, then read the six key fields.
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include "peer_parsers.h"

namespace sipim::bench {
namespace {

std::string_view View(const char* s) { return s ? std::string_view(s) : std::string_view(); }

}  // namespace

bool ReadWithSofia(std::string_view message, FieldSink& sink) {
  msg_t* msg = msg_make(sip_default_mclass(), 0, message.data(),
                        static_cast<ssize_t>(message.size()));
  if (!msg) return false;
  sip_t* sip = sip_object(msg);
  // sofia-sip keeps a message whose headers failed to parse, flagging the
  // errors; such a message counts as rejected, as it does for the others.
  bool ok = sip && !sip->sip_error && msg_has_error(msg) == 0;
  if (ok) {
    KeyFields f;
    if (sip->sip_via) f.via_branch = View(sip->sip_via->v_branch);
    if (sip->sip_from) f.from_tag = View(sip->sip_from->a_tag);
    if (sip->sip_to) f.to_tag = View(sip->sip_to->a_tag);
    if (sip->sip_call_id) f.call_id = View(sip->sip_call_id->i_id);
    if (sip->sip_cseq) f.cseq = sip->sip_cseq->cs_seq;
    if (sip->sip_content_length) f.content_length = sip->sip_content_length->l_length;
    sink.Take(f);
  }
  msg_destroy(msg);
  return ok;
}

}  // namespace sipim::bench
