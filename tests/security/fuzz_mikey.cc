// libFuzzer target: the MIKEY decoder, the KEMAC sub-payload decoder and the
// RFC 4567 attribute parser must reject any input cleanly, and whatever
// decodes must re-encode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "security/mikey.h"
#include "security/mikey_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sipim::security;
  auto m = mikey::Decode(data, size);
  if (m.ok()) {
    auto again = mikey::Encode(*m);
    if (!again.ok() || *again != Bytes(data, data + size)) std::abort();
  }
  (void)mikey::DecodeKeyData(data, size, false);
  (void)mikey::DecodeKeyData(data, size, true);
  (void)mikey::ParseKeyMgmtValue(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
