// libFuzzer target for URI parsing and the header value parsers fed with
// raw values. Invariants: views lie inside the input, Unescape never
// outputs more bytes than it reads, errors point inside the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sip/headers.h"
#include "fuzz_util.h"
#include "sip/uri.h"

namespace {

using namespace sipim::sip;

using fuzz::Check;
using fuzz::Inside;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view d(reinterpret_cast<const char*>(data), size);
  Uri u;
  const sipim::ParseError e = ParseUri(d, &u);
  if (e) {
    Check(e.offset <= size);
  } else {
    Check(Inside(u.user, d) && Inside(u.password, d) && Inside(u.host, d) && Inside(u.headers, d) &&
          Inside(u.params.raw(), d) && Inside(u.opaque, d));
    if (u.is_sip()) Check(ClassifyHost(u.host) != HostKind::kNone);
    if (u.port != -1) Check(u.port >= 0 && u.port <= 65535);
    std::size_t pos = 0;
    Param p;
    while (u.params.Next(&pos, &p)) Check(Inside(p.name, d) && Inside(p.value, d));
  }
  std::string out;
  if (!Unescape(d, &out)) Check(out.size() <= size);
  (void)IsIPv6Address(d);
  Via v;
  if (!ParseVia(d, &v)) Check(Inside(v.branch, d) && Inside(v.host, d));
  std::vector<NameAddr> list;
  if (!ParseNameAddrList(d, &list))
    for (const NameAddr& na : list) Check(Inside(na.uri, d) && Inside(na.display_name, d));
  CSeq c;
  if (!ParseCSeq(d, &c)) Check(c.number <= 0x7fffffffu);
  ContentType ct;
  (void)ParseContentType(d, &ct);
  return 0;
}
