#include "crc32c.h"

#include <array>
#include <cstring>

namespace ns3
{
namespace sctp
{
namespace
{

constexpr uint32_t kPoly = 0x82F63B78u; // CRC32c polynomial, bit-reversed

// table[k][b]: CRC of byte b followed by k zero bytes; lets us fold 8 bytes per step.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

Tables
MakeTables()
{
    Tables t{};
    for (uint32_t b = 0; b < 256; ++b)
    {
        uint32_t c = b;
        for (int i = 0; i < 8; ++i)
        {
            c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
        }
        t[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; ++b)
    {
        for (size_t k = 1; k < 8; ++k)
        {
            t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
        }
    }
    return t;
}

const Tables&
GetTables()
{
    static const Tables tables = MakeTables();
    return tables;
}

} // namespace

uint32_t
Crc32cUpdate(uint32_t crc, const uint8_t* buf, size_t len)
{
    const Tables& t = GetTables();
    while (len >= 8)
    {
        // Assemble little-endian words by hand: no alignment or endianness assumptions.
        uint32_t lo = (uint32_t(buf[0]) | uint32_t(buf[1]) << 8 | uint32_t(buf[2]) << 16 |
                       uint32_t(buf[3]) << 24) ^
                      crc;
        uint32_t hi = uint32_t(buf[4]) | uint32_t(buf[5]) << 8 | uint32_t(buf[6]) << 16 |
                      uint32_t(buf[7]) << 24;
        crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^
              t[4][lo >> 24] ^ t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^
              t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
        buf += 8;
        len -= 8;
    }
    while (len--)
    {
        crc = (crc >> 8) ^ t[0][(crc ^ *buf++) & 0xFF];
    }
    return crc;
}

uint32_t
Crc32c(const uint8_t* buf, size_t len)
{
    return ~Crc32cUpdate(0xFFFFFFFFu, buf, len);
}

} // namespace sctp
} // namespace ns3
