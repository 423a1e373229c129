#include "sctp-cookie.h"

#include "sctp-wire.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace ns3
{
namespace sctp
{
namespace
{

// Version 1 carries IPv4 addresses, version 2 IPv6 ones; an IPv4 cookie is
// byte for byte what it was before IPv6 existed here.
constexpr uint8_t kCookieVersion = 1;
constexpr uint8_t kCookie6Version = 2;
// Version 3: version 1 followed by the multihomed peer's extra IPv4 addresses.
constexpr uint8_t kCookieMultiVersion = 3;
// Version 4: version 2 followed by the multihomed peer's extra IPv6 addresses.
constexpr uint8_t kCookie6MultiVersion = 4;

bool
Mac(const uint8_t* body, size_t bodySize, const std::array<uint8_t, 32>& key, uint8_t* mac)
{
    unsigned int macLen = 0;
    // One-shot HMAC: no context object to own.
    const unsigned char* r = HMAC(EVP_sha256(),
                                  key.data(),
                                  int(key.size()),
                                  body,
                                  bodySize,
                                  mac,
                                  &macLen);
    return r != nullptr && macLen == kCookieMacSize;
}

void
Put16At(uint8_t* p, uint16_t v)
{
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}

} // namespace

const char*
CookieErrorName(CookieError e)
{
    switch (e)
    {
    case CookieError::None:
        return "ok";
    case CookieError::BadLength:
        return "state cookie has the wrong length";
    case CookieError::BadVersion:
        return "state cookie has an unknown version";
    case CookieError::BadMac:
        return "state cookie HMAC does not verify";
    case CookieError::CryptoFailure:
        return "HMAC-SHA-256 computation failed";
    }
    return "unknown";
}

bool
SealCookie(const CookieState& st, const std::array<uint8_t, 32>& key, std::vector<uint8_t>& out)
{
    if (st.peerAddrs.size() > kCookieMaxPeerAddrs || st.peerAddrs6.size() > kCookieMaxPeerAddrs6 ||
        (st.ipv6 && !st.peerAddrs.empty()) || (!st.ipv6 && !st.peerAddrs6.empty()))
    {
        return false;
    }
    const size_t body = st.ipv6 ? kCookie6BodySize + 16 * st.peerAddrs6.size()
                                : kCookieBodySize + 4 * st.peerAddrs.size();
    out.assign(body + kCookieMacSize, 0);
    uint8_t* p = out.data();
    if (st.ipv6)
    {
        p[0] = st.peerAddrs6.empty() ? kCookie6Version : kCookie6MultiVersion;
    }
    else
    {
        p[0] = st.peerAddrs.empty() ? kCookieVersion : kCookieMultiVersion;
    }
    p[1] = uint8_t((st.prSctp ? 1 : 0) | (st.iData ? 2 : 0));
    Put32At(p + 4, uint32_t(st.createdNs >> 32));
    Put32At(p + 8, uint32_t(st.createdNs));
    Put32At(p + 12, st.lifetimeMs);
    Put32At(p + 16, st.localTag);
    Put32At(p + 20, st.peerTag);
    Put32At(p + 24, st.localInitialTsn);
    Put32At(p + 28, st.peerInitialTsn);
    Put32At(p + 32, st.peerRwnd);
    Put16At(p + 36, st.outStreams);
    Put16At(p + 38, st.inStreams);
    Put16At(p + 40, st.localPort);
    Put16At(p + 42, st.peerPort);
    size_t at = 44;
    if (st.ipv6)
    {
        std::copy(st.localAddr6.begin(), st.localAddr6.end(), p + at);
        std::copy(st.peerAddr6.begin(), st.peerAddr6.end(), p + at + 16);
        at += 32;
    }
    else
    {
        Put32At(p + at, st.localAddr);
        Put32At(p + at + 4, st.peerAddr);
        at += 8;
    }
    Put32At(p + at, st.localTieTag);
    Put32At(p + at + 4, st.peerTieTag);
    at += 8;
    for (uint32_t a : st.peerAddrs)
    {
        Put32At(p + at, a);
        at += 4;
    }
    for (const auto& a : st.peerAddrs6)
    {
        std::copy(a.begin(), a.end(), p + at);
        at += 16;
    }
    return Mac(p, body, key, p + body);
}

CookieError
OpenCookie(const uint8_t* buf, size_t len, const std::array<uint8_t, 32>& key, CookieState& out)
{
    const bool multi = len > kCookieSize && len <= kCookieSize + 4 * kCookieMaxPeerAddrs &&
                       (len - kCookieSize) % 4 == 0;
    const bool multi6 = len > kCookie6Size && len <= kCookie6Size + 16 * kCookieMaxPeerAddrs6 &&
                        (len - kCookie6Size) % 16 == 0;
    if (len != kCookieSize && len != kCookie6Size && !multi && !multi6)
    {
        return CookieError::BadLength;
    }
    const size_t body = len - kCookieMacSize;
    uint8_t mac[kCookieMacSize];
    if (!Mac(buf, body, key, mac))
    {
        return CookieError::CryptoFailure;
    }
    if (CRYPTO_memcmp(mac, buf + body, kCookieMacSize) != 0)
    {
        return CookieError::BadMac;
    }
    // The version says the layout; it must agree with the length (a 116-byte
    // cookie is IPv6 as version 2, six extra IPv4 addresses as version 3).
    // Version 4 (IPv6 with extra addresses) must have a length of its own.
    const bool v4 = buf[0] == kCookie6MultiVersion;
    out.ipv6 = buf[0] == kCookie6Version || v4;
    const bool v3 = buf[0] == kCookieMultiVersion;
    if ((buf[0] == kCookie6Version && len != kCookie6Size) || (v4 && !multi6) || (v3 && !multi) ||
        (!out.ipv6 && !v3 && (buf[0] != kCookieVersion || len != kCookieSize)))
    {
        return CookieError::BadVersion;
    }
    out.prSctp = (buf[1] & 1) != 0;
    out.iData = (buf[1] & 2) != 0;
    out.createdNs = uint64_t(Get32(buf + 4)) << 32 | Get32(buf + 8);
    out.lifetimeMs = Get32(buf + 12);
    out.localTag = Get32(buf + 16);
    out.peerTag = Get32(buf + 20);
    out.localInitialTsn = Get32(buf + 24);
    out.peerInitialTsn = Get32(buf + 28);
    out.peerRwnd = Get32(buf + 32);
    out.outStreams = Get16(buf + 36);
    out.inStreams = Get16(buf + 38);
    out.localPort = Get16(buf + 40);
    out.peerPort = Get16(buf + 42);
    size_t at = 44;
    if (out.ipv6)
    {
        std::copy(buf + at, buf + at + 16, out.localAddr6.begin());
        std::copy(buf + at + 16, buf + at + 32, out.peerAddr6.begin());
        at += 32;
    }
    else
    {
        out.localAddr = Get32(buf + at);
        out.peerAddr = Get32(buf + at + 4);
        at += 8;
    }
    out.localTieTag = Get32(buf + at);
    out.peerTieTag = Get32(buf + at + 4);
    at += 8;
    out.peerAddrs.clear();
    out.peerAddrs6.clear();
    for (; out.ipv6 && at < body; at += 16)
    {
        out.peerAddrs6.emplace_back();
        std::copy(buf + at, buf + at + 16, out.peerAddrs6.back().begin());
    }
    for (; at < body; at += 4)
    {
        out.peerAddrs.push_back(Get32(buf + at));
    }
    return CookieError::None;
}

} // namespace sctp
} // namespace ns3
