#include "sctp-wire.h"

#include <algorithm>

#include "crc32c.h"

#include <cstring>

namespace ns3
{
namespace sctp
{

const char*
WireErrorName(WireError e)
{
    switch (e)
    {
    case WireError::None:
        return "ok";
    case WireError::TooShort:
        return "packet shorter than the 12-byte common header";
    case WireError::BadChecksum:
        return "CRC32c checksum mismatch";
    case WireError::ChunkHeaderTruncated:
        return "chunk header truncated";
    case WireError::ChunkLengthTooSmall:
        return "chunk length field smaller than 4";
    case WireError::ChunkOverrun:
        return "chunk length runs past the end of the packet";
    case WireError::NoChunks:
        return "packet holds no chunk";
    case WireError::BadChunkBody:
        return "chunk body shorter than its type requires";
    case WireError::BadParameter:
        return "parameter truncated or malformed";
    }
    return "unknown";
}

std::string
WireStatus::ToString() const
{
    return std::string(WireErrorName(error)) + " at byte " + std::to_string(offset);
}

namespace
{

uint32_t
ComputeChecksum(const uint8_t* buf, size_t len)
{
    // The checksum field itself counts as zero.
    static const uint8_t zeros[4] = {0, 0, 0, 0};
    uint32_t st = Crc32cUpdate(0xFFFFFFFFu, buf, 8);
    st = Crc32cUpdate(st, zeros, 4);
    st = Crc32cUpdate(st, buf + kCommonHeaderSize, len - kCommonHeaderSize);
    return ~st;
}

WireStatus
Fail(WireError e, size_t off)
{
    return WireStatus{e, off};
}

/// FORWARD TSN and I-FORWARD-TSN: a 4-byte New Cumulative TSN, then whole
/// entries of `entry` bytes. Fails at the chunk when shorter than the TSN,
/// or at the first byte of a partial entry (after the whole ones).
WireStatus
CheckTsnAndEntries(const ChunkView& c, size_t entry)
{
    if (c.valueLen < 4)
    {
        return Fail(WireError::BadChunkBody, c.offset);
    }
    if ((c.valueLen - 4) % entry != 0)
    {
        return Fail(WireError::BadChunkBody,
                    c.offset + kChunkHeaderSize + 4 + (c.valueLen - 4) / entry * entry);
    }
    return {};
}

} // namespace

bool
VerifyChecksum(const uint8_t* buf, size_t len)
{
    if (len < kCommonHeaderSize)
    {
        return false;
    }
    uint32_t crc = ComputeChecksum(buf, len);
    // Transmitted least significant byte first (RFC 9260 Appendix A).
    uint32_t wire = uint32_t(buf[8]) | uint32_t(buf[9]) << 8 | uint32_t(buf[10]) << 16 |
                    uint32_t(buf[11]) << 24;
    return crc == wire;
}

WireStatus
ParsePacket(const uint8_t* buf, size_t len, PacketView& out, bool verifyCrc)
{
    out.chunks.clear();
    if (len < kCommonHeaderSize)
    {
        return Fail(WireError::TooShort, 0);
    }
    if (verifyCrc && !VerifyChecksum(buf, len))
    {
        return Fail(WireError::BadChecksum, 8);
    }
    out.srcPort = Get16(buf);
    out.dstPort = Get16(buf + 2);
    out.vtag = Get32(buf + 4);
    size_t off = kCommonHeaderSize;
    while (off < len)
    {
        if (len - off < kChunkHeaderSize)
        {
            return Fail(WireError::ChunkHeaderTruncated, off);
        }
        ChunkView c;
        c.type = buf[off];
        c.flags = buf[off + 1];
        c.length = Get16(buf + off + 2);
        c.offset = off;
        if (c.length < kChunkHeaderSize)
        {
            return Fail(WireError::ChunkLengthTooSmall, off + 2);
        }
        if (c.length > len - off)
        {
            return Fail(WireError::ChunkOverrun, off + 2);
        }
        c.value = buf + off + kChunkHeaderSize;
        c.valueLen = c.length - kChunkHeaderSize;
        out.chunks.push_back(c);
        // The last chunk's padding may be absent; anything else must be padded.
        off += Pad4(c.length);
    }
    if (out.chunks.empty())
    {
        return Fail(WireError::NoChunks, kCommonHeaderSize);
    }
    return {};
}

WireStatus
DecodeData(const ChunkView& c, DataChunk& out)
{
    if (c.valueLen < kDataChunkHeaderSize - kChunkHeaderSize)
    {
        return Fail(WireError::BadChunkBody, c.offset);
    }
    out.flags = c.flags;
    out.tsn = Get32(c.value);
    out.sid = Get16(c.value + 4);
    out.ssn = Get16(c.value + 6);
    out.ppid = Get32(c.value + 8);
    out.payload = c.value + 12;
    out.payloadLen = c.valueLen - 12;
    return {};
}

WireStatus
DecodeIData(const ChunkView& c, IDataChunk& out)
{
    if (c.valueLen < kIDataChunkHeaderSize - kChunkHeaderSize)
    {
        return Fail(WireError::BadChunkBody, c.offset);
    }
    out.flags = c.flags;
    out.tsn = Get32(c.value);
    out.sid = Get16(c.value + 4);
    // c.value + 6: 16 reserved bits, ignored on receipt.
    out.mid = Get32(c.value + 8);
    uint32_t word = Get32(c.value + 12);
    bool first = c.flags & DATA_FLAG_BEGIN;
    out.ppid = first ? word : 0;
    out.fsn = first ? 0 : word;
    out.payload = c.value + 16;
    out.payloadLen = c.valueLen - 16;
    return {};
}

WireStatus
DecodeIForwardTsn(const ChunkView& c, IForwardTsnChunk& out)
{
    out.entries.clear();
    if (WireStatus st = CheckTsnAndEntries(c, 8); !st.Ok())
    {
        return st;
    }
    out.newCumTsn = Get32(c.value);
    for (size_t off = 4; off < c.valueLen; off += 8)
    {
        IForwardTsnEntry e;
        e.sid = Get16(c.value + off);
        e.unordered = c.value[off + 3] & 0x01;
        e.mid = Get32(c.value + off + 4);
        out.entries.push_back(e);
    }
    return {};
}

bool
ListsExtension(const InitChunk& init, uint8_t t)
{
    return std::find(init.supportedExtensions.begin(), init.supportedExtensions.end(), t) !=
           init.supportedExtensions.end();
}

WireStatus
DecodeInit(const ChunkView& c, InitChunk& out, bool forwardTsnKnown)
{
    if (c.valueLen < 16)
    {
        return Fail(WireError::BadChunkBody, c.offset);
    }
    out.initTag = Get32(c.value);
    out.aRwnd = Get32(c.value + 4);
    out.outStreams = Get16(c.value + 8);
    out.inStreams = Get16(c.value + 10);
    out.initialTsn = Get32(c.value + 12);
    size_t off = 16;
    while (off + 4 <= c.valueLen)
    {
        uint16_t type = Get16(c.value + off);
        uint16_t plen = Get16(c.value + off + 2);
        if (plen < 4 || plen > c.valueLen - off)
        {
            return Fail(WireError::BadParameter, c.offset + kChunkHeaderSize + off);
        }
        const uint8_t* pv = c.value + off + 4;
        if (type == PARAM_FORWARD_TSN_SUPPORTED && forwardTsnKnown)
        {
            // RFC 3758 §3.1: no value, length 4.
            if (plen == 4)
            {
                out.forwardTsnSupported = true;
            }
            else
            {
                out.malformed.push_back(type);
            }
            off += Pad4(plen);
            continue;
        }
        switch (type)
        {
        case PARAM_STATE_COOKIE:
            out.cookie = pv;
            out.cookieLen = plen - 4;
            break;
        // A known optional parameter with a wrong length: RFC 9260 fixes the
        // lengths (§3.3.2.1) but says nothing of what to do with a wrong one
        // (§3.2.1's rules are for unrecognised types). The TLV length keeps
        // the walk in step, the packet's source is still an address of the
        // peer, so the parameter is skipped and listed in `malformed` for
        // the association to count and log, and the rest is read.
        case PARAM_IPV4_ADDRESS:
            if (plen == 8)
            {
                out.ipv4Addresses.push_back(Get32(pv));
            }
            else
            {
                out.malformed.push_back(type);
            }
            break;
        case PARAM_IPV6_ADDRESS:
            if (plen == 20)
            {
                out.ipv6Addresses.emplace_back();
                std::copy(pv, pv + 16, out.ipv6Addresses.back().begin());
            }
            else
            {
                out.malformed.push_back(type);
            }
            break;
        case PARAM_SUPPORTED_ADDRESS_TYPES:
            // A list of 16-bit types; an odd count is padded after the length.
            if (plen > 4 && plen % 2 == 0)
            {
                out.hasSupportedAddressTypes = true;
                for (size_t i = 0; i + 4 < plen; i += 2)
                {
                    out.supportedAddressTypes.push_back(Get16(pv + i));
                }
            }
            else
            {
                out.malformed.push_back(type);
            }
            break;
        case PARAM_SUPPORTED_EXTENSIONS:
            // Always read: its type bits (10) made it "skip, no report" before
            // it was known, and reading it changes nothing unless the
            // endpoint offers I-DATA itself. Any length >= 4 is well formed
            // (one byte per chunk type, none is an empty list).
            out.hasSupportedExtensions = true;
            out.supportedExtensions.assign(pv, pv + (plen - 4));
            break;
        case PARAM_COOKIE_PRESERVATIVE:
            break; // a stale cookie simply triggers a new INIT
        case PARAM_HOST_NAME_ADDRESS:
            // §5.1.2: the association is refused (ABORT), so nothing after
            // it matters.
            out.hostNameAddress = c.value + off;
            out.hostNameAddressLen = plen;
            return {};
        default:
            // Upper two bits say what to do with an unknown parameter (§3.2.1).
            if (type & 0x4000)
            {
                out.unrecognized.emplace_back(c.value + off, plen);
            }
            if (!(type & 0x8000))
            {
                out.stopProcessing = true;
                return {};
            }
            break;
        }
        off += Pad4(plen);
    }
    return {};
}

bool
PeerSupportsAddressType(const InitChunk& init, bool initOverIpv6, uint16_t type)
{
    if (!init.hasSupportedAddressTypes)
    {
        return true;
    }
    for (uint16_t t : init.supportedAddressTypes)
    {
        if (t == type)
        {
            return true;
        }
    }
    if (type == PARAM_IPV4_ADDRESS)
    {
        return !initOverIpv6 || !init.ipv4Addresses.empty();
    }
    if (type == PARAM_IPV6_ADDRESS)
    {
        return initOverIpv6 || !init.ipv6Addresses.empty();
    }
    return false;
}

WireStatus
DecodeSack(const ChunkView& c, SackChunk& out)
{
    if (c.valueLen < 12)
    {
        return Fail(WireError::BadChunkBody, c.offset);
    }
    out.cumTsnAck = Get32(c.value);
    out.aRwnd = Get32(c.value + 4);
    uint16_t nGaps = Get16(c.value + 8);
    uint16_t nDups = Get16(c.value + 10);
    if (c.valueLen < 12 + 4 * size_t(nGaps) + 4 * size_t(nDups))
    {
        return Fail(WireError::BadChunkBody, c.offset + 2);
    }
    out.gaps.clear();
    out.dups.clear();
    const uint8_t* p = c.value + 12;
    for (uint16_t i = 0; i < nGaps; ++i, p += 4)
    {
        out.gaps.emplace_back(Get16(p), Get16(p + 2));
    }
    for (uint16_t i = 0; i < nDups; ++i, p += 4)
    {
        out.dups.push_back(Get32(p));
    }
    return {};
}

WireStatus
DecodeForwardTsn(const ChunkView& c, ForwardTsnChunk& out)
{
    out.streams.clear();
    if (WireStatus st = CheckTsnAndEntries(c, 4); !st.Ok())
    {
        return st;
    }
    out.newCumTsn = Get32(c.value);
    for (size_t off = 4; off < c.valueLen; off += 4)
    {
        out.streams.emplace_back(Get16(c.value + off), Get16(c.value + off + 2));
    }
    return {};
}

WireStatus
DecodeShutdown(const ChunkView& c, uint32_t& cumTsnAck)
{
    if (c.valueLen < 4)
    {
        return Fail(WireError::BadChunkBody, c.offset);
    }
    cumTsnAck = Get32(c.value);
    return {};
}

WireStatus
DecodeHeartbeat(const ChunkView& c, const uint8_t*& info, size_t& infoLen)
{
    if (c.valueLen < 4)
    {
        return Fail(WireError::BadChunkBody, c.offset);
    }
    uint16_t type = Get16(c.value);
    uint16_t plen = Get16(c.value + 2);
    if (type != PARAM_HEARTBEAT_INFO || plen < 4 || plen > c.valueLen)
    {
        return Fail(WireError::BadParameter, c.offset + kChunkHeaderSize);
    }
    info = c.value + 4;
    infoLen = plen - 4;
    return {};
}

WireStatus
DecodeCauses(const ChunkView& c, std::vector<ErrorCause>& out)
{
    out.clear();
    size_t off = 0;
    while (off + 4 <= c.valueLen)
    {
        uint16_t code = Get16(c.value + off);
        uint16_t clen = Get16(c.value + off + 2);
        if (clen < 4 || clen > c.valueLen - off)
        {
            return Fail(WireError::BadParameter, c.offset + kChunkHeaderSize + off);
        }
        out.push_back(ErrorCause{code, c.value + off + 4, size_t(clen - 4)});
        off += Pad4(clen);
    }
    return {};
}

void
PacketBuilder::Put16(uint16_t v)
{
    m_buf.push_back(uint8_t(v >> 8));
    m_buf.push_back(uint8_t(v));
}

void
PacketBuilder::Put32(uint32_t v)
{
    size_t n = m_buf.size();
    m_buf.resize(n + 4);
    Put32At(m_buf.data() + n, v);
}

void
PacketBuilder::PutBytes(const uint8_t* p, size_t n)
{
    if (n)
    {
        m_buf.insert(m_buf.end(), p, p + n);
    }
}

void
PacketBuilder::Begin(uint16_t srcPort, uint16_t dstPort, uint32_t vtag)
{
    m_buf.clear();
    Put16(srcPort);
    Put16(dstPort);
    Put32(vtag);
    Put32(0); // checksum, filled by Finish()
}

size_t
PacketBuilder::BeginChunk(uint8_t type, uint8_t flags)
{
    size_t start = m_buf.size();
    Put8(type);
    Put8(flags);
    Put16(0); // length, filled by EndChunk()
    return start;
}

void
PacketBuilder::EndChunk(size_t start)
{
    size_t len = m_buf.size() - start;
    m_buf[start + 2] = uint8_t(len >> 8);
    m_buf[start + 3] = uint8_t(len);
    m_buf.resize(start + Pad4(len), 0);
}

void
PacketBuilder::AddData(uint8_t flags,
                       uint32_t tsn,
                       uint16_t sid,
                       uint16_t ssn,
                       uint32_t ppid,
                       const uint8_t* payload,
                       size_t len)
{
    size_t s = BeginChunk(CHUNK_DATA, flags);
    Put32(tsn);
    Put16(sid);
    Put16(ssn);
    Put32(ppid);
    PutBytes(payload, len);
    EndChunk(s);
}

void
PacketBuilder::AddIData(uint8_t flags,
                        uint32_t tsn,
                        uint16_t sid,
                        uint32_t mid,
                        uint32_t ppidOrFsn,
                        const uint8_t* payload,
                        size_t len)
{
    size_t s = BeginChunk(CHUNK_IDATA, flags);
    Put32(tsn);
    Put16(sid);
    Put16(0); // reserved
    Put32(mid);
    Put32(ppidOrFsn);
    PutBytes(payload, len);
    EndChunk(s);
}

void
PacketBuilder::AddIForwardTsn(uint32_t newCumTsn, const std::vector<IForwardTsnEntry>& entries)
{
    size_t s = BeginChunk(CHUNK_IFORWARD_TSN, 0);
    Put32(newCumTsn);
    for (const IForwardTsnEntry& e : entries)
    {
        Put16(e.sid);
        Put16(e.unordered ? 1 : 0); // 15 reserved bits, then U
        Put32(e.mid);
    }
    EndChunk(s);
}

void
PacketBuilder::AddInit(uint8_t type,
                       uint32_t initTag,
                       uint32_t aRwnd,
                       uint16_t outStreams,
                       uint16_t inStreams,
                       uint32_t initialTsn,
                       const uint8_t* cookie,
                       size_t cookieLen,
                       const std::vector<std::pair<const uint8_t*, size_t>>& unrecognized,
                       const std::vector<uint32_t>& ipv4Addresses,
                       bool forwardTsnSupported,
                       const std::vector<std::array<uint8_t, 16>>& ipv6Addresses,
                       const std::vector<uint8_t>& supportedExtensions)
{
    size_t s = BeginChunk(type, 0);
    Put32(initTag);
    Put32(aRwnd);
    Put16(outStreams);
    Put16(inStreams);
    Put32(initialTsn);
    for (uint32_t a : ipv4Addresses)
    {
        Put16(PARAM_IPV4_ADDRESS);
        Put16(8);
        Put32(a);
    }
    for (const auto& a : ipv6Addresses)
    {
        Put16(PARAM_IPV6_ADDRESS);
        Put16(20);
        PutBytes(a.data(), a.size());
    }
    if (forwardTsnSupported)
    {
        Put16(PARAM_FORWARD_TSN_SUPPORTED);
        Put16(4);
    }
    if (!supportedExtensions.empty())
    {
        Put16(PARAM_SUPPORTED_EXTENSIONS);
        Put16(uint16_t(4 + supportedExtensions.size()));
        PutBytes(supportedExtensions.data(), supportedExtensions.size());
        // Not padded here: RFC 9260 §3.2, the chunk length counts the
        // padding of every parameter but the last, so a parameter that
        // follows pads the one before it.
    }
    if (cookie)
    {
        PadFrom(s); // a no-op after the fixed-size parameters
        Put16(PARAM_STATE_COOKIE);
        Put16(uint16_t(4 + cookieLen));
        PutBytes(cookie, cookieLen);
        PadFrom(s);
    }
    for (const auto& [p, n] : unrecognized)
    {
        PadFrom(s);
        Put16(PARAM_UNRECOGNIZED);
        Put16(uint16_t(4 + n));
        PutBytes(p, n);
        PadFrom(s);
    }
    EndChunk(s);
}

void
PacketBuilder::AddSack(uint32_t cumTsnAck,
                       uint32_t aRwnd,
                       const std::vector<std::pair<uint16_t, uint16_t>>& gaps,
                       const std::vector<uint32_t>& dups)
{
    size_t s = BeginChunk(CHUNK_SACK, 0);
    Put32(cumTsnAck);
    Put32(aRwnd);
    Put16(uint16_t(gaps.size()));
    Put16(uint16_t(dups.size()));
    for (const auto& [a, b] : gaps)
    {
        Put16(a);
        Put16(b);
    }
    for (uint32_t d : dups)
    {
        Put32(d);
    }
    EndChunk(s);
}

void
PacketBuilder::AddForwardTsn(uint32_t newCumTsn,
                             const std::vector<std::pair<uint16_t, uint16_t>>& streams)
{
    size_t s = BeginChunk(CHUNK_FORWARD_TSN, 0);
    Put32(newCumTsn);
    for (const auto& [sid, ssn] : streams)
    {
        Put16(sid);
        Put16(ssn);
    }
    EndChunk(s);
}

void
PacketBuilder::AddShutdown(uint32_t cumTsnAck)
{
    size_t s = BeginChunk(CHUNK_SHUTDOWN, 0);
    Put32(cumTsnAck);
    EndChunk(s);
}

void
PacketBuilder::AddHeartbeat(uint8_t type, const uint8_t* info, size_t len)
{
    size_t s = BeginChunk(type, 0);
    Put16(PARAM_HEARTBEAT_INFO);
    Put16(uint16_t(4 + len));
    PutBytes(info, len);
    EndChunk(s);
}

void
PacketBuilder::AddCookieEcho(const uint8_t* cookie, size_t len)
{
    size_t s = BeginChunk(CHUNK_COOKIE_ECHO, 0);
    PutBytes(cookie, len);
    EndChunk(s);
}

void
PacketBuilder::AddEmpty(uint8_t type, uint8_t flags)
{
    EndChunk(BeginChunk(type, flags));
}

void
PacketBuilder::AddCause(uint8_t type, uint8_t flags, uint16_t code, const uint8_t* info, size_t len)
{
    size_t s = BeginChunk(type, flags);
    Put16(code);
    Put16(uint16_t(4 + len));
    PutBytes(info, len);
    EndChunk(s); // one cause: the chunk ends where the cause ends, then pads
}

void
PacketBuilder::AddParamsCause(uint8_t type,
                              uint8_t flags,
                              uint16_t code,
                              const std::vector<std::pair<const uint8_t*, size_t>>& params)
{
    size_t s = BeginChunk(type, flags);
    size_t cause = m_buf.size();
    Put16(code);
    Put16(0);
    for (const auto& [p, n] : params)
    {
        m_buf.resize(s + Pad4(m_buf.size() - s), 0); // padding between TLVs
        PutBytes(p, n);
    }
    // As tshark reads it: the last TLV's padding is the chunk's, not the cause's.
    uint16_t len = uint16_t(m_buf.size() - cause);
    m_buf[cause + 2] = uint8_t(len >> 8);
    m_buf[cause + 3] = uint8_t(len);
    EndChunk(s);
}

const std::vector<uint8_t>&
PacketBuilder::Finish()
{
    uint32_t crc = ComputeChecksum(m_buf.data(), m_buf.size());
    m_buf[8] = uint8_t(crc);
    m_buf[9] = uint8_t(crc >> 8);
    m_buf[10] = uint8_t(crc >> 16);
    m_buf[11] = uint8_t(crc >> 24);
    return m_buf;
}

} // namespace sctp
} // namespace ns3
