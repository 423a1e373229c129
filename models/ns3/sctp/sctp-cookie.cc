#include "sctp-cookie.h"

#include "sctp-wire.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace ns3
{
namespace sctp
{
namespace
{

constexpr uint8_t kCookieVersion = 1;

bool
Mac(const uint8_t* body, const std::array<uint8_t, 32>& key, uint8_t* mac)
{
    unsigned int macLen = 0;
    // One-shot HMAC: no context object to own.
    const unsigned char* r = HMAC(EVP_sha256(),
                                  key.data(),
                                  int(key.size()),
                                  body,
                                  kCookieBodySize,
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
    out.assign(kCookieSize, 0);
    uint8_t* p = out.data();
    p[0] = kCookieVersion;
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
    Put32At(p + 44, st.localAddr);
    Put32At(p + 48, st.peerAddr);
    Put32At(p + 52, st.localTieTag);
    Put32At(p + 56, st.peerTieTag);
    return Mac(p, key, p + kCookieBodySize);
}

CookieError
OpenCookie(const uint8_t* buf, size_t len, const std::array<uint8_t, 32>& key, CookieState& out)
{
    if (len != kCookieSize)
    {
        return CookieError::BadLength;
    }
    uint8_t mac[kCookieMacSize];
    if (!Mac(buf, key, mac))
    {
        return CookieError::CryptoFailure;
    }
    if (CRYPTO_memcmp(mac, buf + kCookieBodySize, kCookieMacSize) != 0)
    {
        return CookieError::BadMac;
    }
    if (buf[0] != kCookieVersion)
    {
        return CookieError::BadVersion;
    }
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
    out.localAddr = Get32(buf + 44);
    out.peerAddr = Get32(buf + 48);
    out.localTieTag = Get32(buf + 52);
    out.peerTieTag = Get32(buf + 56);
    return CookieError::None;
}

} // namespace sctp
} // namespace ns3
