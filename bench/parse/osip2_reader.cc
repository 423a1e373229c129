// osip2 (libosip2): parse, then read the six key fields.
#include <osipparser2/osip_parser.h>

#include <cstdlib>
#include <mutex>

#include "peer_parsers.h"

namespace sipim::bench {
namespace {

std::string_view View(const char* s) { return s ? std::string_view(s) : std::string_view(); }

std::string_view Param(osip_generic_param_t* param) {
  return param ? View(param->gvalue) : std::string_view();
}

}  // namespace

bool ReadWithOsip2(std::string_view message, FieldSink& sink) {
  static std::once_flag init;
  std::call_once(init, [] { parser_init(); });

  osip_message_t* sip = nullptr;
  if (osip_message_init(&sip) != 0) return false;
  bool ok = osip_message_parse(sip, message.data(), message.size()) == 0;
  if (ok) {
    KeyFields f;
    osip_via_t* via = nullptr;
    if (osip_message_get_via(sip, 0, &via) >= 0 && via) {
      osip_generic_param_t* branch = nullptr;
      osip_via_param_get_byname(via, const_cast<char*>("branch"), &branch);
      f.via_branch = Param(branch);
    }
    osip_generic_param_t* tag = nullptr;
    if (sip->from && osip_from_param_get_byname(sip->from, const_cast<char*>("tag"), &tag) >= 0)
      f.from_tag = Param(tag);
    tag = nullptr;
    if (sip->to && osip_to_param_get_byname(sip->to, const_cast<char*>("tag"), &tag) >= 0)
      f.to_tag = Param(tag);
    if (sip->call_id) {
      f.call_id = View(sip->call_id->number);
      f.call_id_host = View(sip->call_id->host);
    }
    if (sip->cseq && sip->cseq->number) f.cseq = std::strtoull(sip->cseq->number, nullptr, 10);
    osip_content_length_t* cl = osip_message_get_content_length(sip);
    if (cl && cl->value) f.content_length = std::strtoull(cl->value, nullptr, 10);
    sink.Take(f);
  }
  osip_message_free(sip);
  return ok;
}

}  // namespace sipim::bench
