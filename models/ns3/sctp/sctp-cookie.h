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
    uint32_t localAddr = 0;   // IPv4 association (ipv6 false)
    uint32_t peerAddr = 0;
    // An IPv6 association carries its addresses here instead, in a longer
    // cookie, so that the HMAC covers all 128 bits of each.
    bool ipv6 = false;
    std::array<uint8_t, 16> localAddr6{};
    std::array<uint8_t, 16> peerAddr6{};
    uint32_t localTieTag = 0; // §5.2.2 tie-tags, 0 if none
    uint32_t peerTieTag = 0;
    // IPv4 only: the peer's other addresses from its INIT (IPv4 Address
    // parameters, §5.1.2), so that the association built from the cookie has
    // all its paths. None for a single-homed peer: the cookie keeps its 92 bytes.
    std::vector<uint32_t> peerAddrs;
    // IPv6 only: the same for a multihomed IPv6 peer (IPv6 Address
    // parameters, 16 bytes each, network order). None: the 116-byte cookie.
    std::vector<std::array<uint8_t, 16>> peerAddrs6;
    // PR-SCTP (RFC 3758) is used: both INIT and INIT ACK carried
    // Forward-TSN-Supported. Bit 0 of the byte after the version (0 before
    // PR-SCTP existed, so a cookie without it is byte for byte the same).
    bool prSctp = false;
    // I-DATA (RFC 8260) is used: both INIT and INIT ACK listed chunk type 64
    // in Supported Extensions. Bit 1 of the same byte (0 without it).
    bool iData = false;
};

constexpr size_t kCookieBodySize = 60;
constexpr size_t kCookieMacSize = 32;
constexpr size_t kCookieSize = kCookieBodySize + kCookieMacSize;
/// The IPv6 layout: the two 4-byte addresses become 16 bytes each.
constexpr size_t kCookie6BodySize = kCookieBodySize + 2 * 12;
constexpr size_t kCookie6Size = kCookie6BodySize + kCookieMacSize;
/// A multihomed IPv4 peer's cookie: the IPv4 layout and 4 bytes per extra address.
constexpr size_t kCookieMaxPeerAddrs = 15;
/// A multihomed IPv6 peer's cookie: the IPv6 layout and 16 bytes per extra address.
constexpr size_t kCookieMaxPeerAddrs6 = 7;

enum class CookieError
{
    None,
    BadLength,  // not kCookieSize (+ 4 per extra peer address) nor kCookie6Size (+ 16 per one)
    BadVersion, // unknown layout version, or one that does not match the length
    BadMac,     // HMAC mismatch: forged or corrupted
    CryptoFailure, // OpenSSL refused to compute the HMAC
};

const char* CookieErrorName(CookieError e);

/// Serialises and signs. Returns false if OpenSSL fails or st has more than
/// kCookieMaxPeerAddrs extra IPv4 addresses (kCookieMaxPeerAddrs6 IPv6 ones),
/// or extra addresses of the other IP version than the association's.
bool SealCookie(const CookieState& st, const std::array<uint8_t, 32>& key, std::vector<uint8_t>& out);

/// Verifies the HMAC and decodes. Lifetime is checked by the caller (it owns the clock).
CookieError OpenCookie(const uint8_t* buf,
                       size_t len,
                       const std::array<uint8_t, 32>& key,
                       CookieState& out);

} // namespace sctp
} // namespace ns3
