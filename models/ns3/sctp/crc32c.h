// CRC32c (Castagnoli), the SCTP checksum of RFC 9260 Appendix A.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ns3
{
namespace sctp
{

/// Reflected CRC32c of buf (init 0xFFFFFFFF, final complement), slice-by-8.
/// The SCTP checksum field carries this value least significant byte first.
uint32_t Crc32c(const uint8_t* buf, size_t len);

/// Continue a CRC over more bytes: state is the raw (un-complemented) register.
uint32_t Crc32cUpdate(uint32_t state, const uint8_t* buf, size_t len);

} // namespace sctp
} // namespace ns3
