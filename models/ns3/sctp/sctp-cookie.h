// The State Cookie (RFC 9260 §5.1.3): everything the listener needs to build
// the association when COOKIE-ECHO arrives, so that it keeps no state after
// INIT. Protected by HMAC-SHA-256 under a per-endpoint secret; carries its
// creation time and lifetime.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ns3
{
namespace sctp
{

struct CookieState
{
    uint64_t createdNs = 0;   // simulation time of creation
    uint32_t lifetimeMs = 0;  // Valid.Cookie.Life
    uint32_t localTag = 0;    // our Initiate Tag (peer puts it in its packets)
    uint32_t peerTag = 0;     // peer's Initiate Tag
    uint32_t localInitialTsn = 0;
    uint32_t peerInitialTsn = 0;
    uint32_t peerRwnd = 0;
    uint16_t outStreams = 0;  // negotiated: min(our OS, peer MIS)
    uint16_t inStreams = 0;   // negotiated: min(our MIS, peer OS)
    uint16_t localPort = 0;
    uint16_t peerPort = 0;
    uint32_t localAddr = 0;
    uint32_t peerAddr = 0;
    uint32_t localTieTag = 0; // §5.2.2 tie-tags, 0 if none
    uint32_t peerTieTag = 0;
};

constexpr size_t kCookieBodySize = 60;
constexpr size_t kCookieMacSize = 32;
constexpr size_t kCookieSize = kCookieBodySize + kCookieMacSize;

enum class CookieError
{
    None,
    BadLength,  // not kCookieSize bytes
    BadVersion, // unknown layout version
    BadMac,     // HMAC mismatch: forged or corrupted
    CryptoFailure, // OpenSSL refused to compute the HMAC
};

const char* CookieErrorName(CookieError e);

/// Serialises and signs. Returns false only if OpenSSL fails.
bool SealCookie(const CookieState& st, const std::array<uint8_t, 32>& key, std::vector<uint8_t>& out);

/// Verifies the HMAC and decodes. Lifetime is checked by the caller (it owns the clock).
CookieError OpenCookie(const uint8_t* buf,
                       size_t len,
                       const std::array<uint8_t, 32>& key,
                       CookieState& out);

} // namespace sctp
} // namespace ns3
