// RFC 9260 wire format: the common header, chunk framing and the chunks this
// model speaks. Plain C++ (no ns-3): the parser returns views into the
// caller's buffer and a precise error; the builder appends into one buffer
// and finishes it with the CRC32c.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ns3
{
namespace sctp
{

enum ChunkType : uint8_t
{
    CHUNK_DATA = 0,
    CHUNK_INIT = 1,
    CHUNK_INIT_ACK = 2,
    CHUNK_SACK = 3,
    CHUNK_HEARTBEAT = 4,
    CHUNK_HEARTBEAT_ACK = 5,
    CHUNK_ABORT = 6,
    CHUNK_SHUTDOWN = 7,
    CHUNK_SHUTDOWN_ACK = 8,
    CHUNK_ERROR = 9,
    CHUNK_COOKIE_ECHO = 10,
    CHUNK_COOKIE_ACK = 11,
    CHUNK_SHUTDOWN_COMPLETE = 14,
    CHUNK_IDATA = 64,         // RFC 8260 §2.1 (user-message interleaving)
    CHUNK_FORWARD_TSN = 192, // RFC 3758 §3.2 (PR-SCTP)
    CHUNK_IFORWARD_TSN = 194, // RFC 8260 §2.3.1 (PR-SCTP with I-DATA)
};

/// Parameter types used in INIT / INIT-ACK / HEARTBEAT (RFC 9260 §3.3).
enum ParamType : uint16_t
{
    PARAM_HEARTBEAT_INFO = 1,
    PARAM_IPV4_ADDRESS = 5,
    PARAM_IPV6_ADDRESS = 6,
    PARAM_STATE_COOKIE = 7,
    PARAM_UNRECOGNIZED = 8,
    PARAM_COOKIE_PRESERVATIVE = 9,
    PARAM_HOST_NAME_ADDRESS = 11,
    PARAM_SUPPORTED_ADDRESS_TYPES = 12,
    PARAM_SUPPORTED_EXTENSIONS = 0x8008,  // RFC 5061 §4.2.7: chunk types, one byte each
    PARAM_FORWARD_TSN_SUPPORTED = 0xC000, // RFC 3758 §3.1, length 4
};

/// Error cause codes (RFC 9260 §3.3.10).
enum CauseCode : uint16_t
{
    CAUSE_INVALID_STREAM = 1,
    CAUSE_MISSING_PARAM = 2,
    CAUSE_STALE_COOKIE = 3,
    CAUSE_OUT_OF_RESOURCE = 4,
    CAUSE_UNRESOLVABLE_ADDRESS = 5,
    CAUSE_UNRECOGNIZED_CHUNK = 6,
    CAUSE_INVALID_PARAM = 7,
    CAUSE_UNRECOGNIZED_PARAMS = 8,
    CAUSE_NO_USER_DATA = 9,
    CAUSE_COOKIE_IN_SHUTDOWN = 10,
    CAUSE_PROTOCOL_VIOLATION = 13,
};

// DATA chunk flags.
constexpr uint8_t DATA_FLAG_END = 0x01;
constexpr uint8_t DATA_FLAG_BEGIN = 0x02;
constexpr uint8_t DATA_FLAG_UNORDERED = 0x04;
constexpr uint8_t DATA_FLAG_IMMEDIATE = 0x08;
// ABORT / SHUTDOWN-COMPLETE: the verification tag is reflected.
constexpr uint8_t FLAG_T = 0x01;

constexpr size_t kCommonHeaderSize = 12;
constexpr size_t kChunkHeaderSize = 4;
constexpr size_t kDataChunkHeaderSize = 16;
constexpr size_t kIDataChunkHeaderSize = 20; // RFC 8260 §2.1: DATA's 16 + the 32-bit MID
constexpr size_t kSackHeaderSize = 16;

inline size_t
Pad4(size_t n)
{
    return (n + 3) & ~size_t(3);
}

/// What went wrong while parsing, and at which byte offset of the packet.
enum class WireError
{
    None,
    TooShort,            // shorter than the common header
    BadChecksum,         // CRC32c mismatch
    ChunkHeaderTruncated, // fewer than 4 bytes left for a chunk header
    ChunkLengthTooSmall, // chunk length field < 4
    ChunkOverrun,        // chunk length runs past the end of the packet
    NoChunks,            // a packet must hold at least one chunk
    BadChunkBody,        // a chunk's fixed part is shorter than its type requires
    BadParameter,        // a TLV parameter is truncated or too small
};

const char* WireErrorName(WireError e);

struct WireStatus
{
    WireError error = WireError::None;
    size_t offset = 0; // byte offset in the SCTP packet where the problem is

    bool Ok() const
    {
        return error == WireError::None;
    }
    std::string ToString() const;
};

/// A chunk as seen on the wire: value points into the packet buffer.
struct ChunkView
{
    uint8_t type = 0;
    uint8_t flags = 0;
    uint16_t length = 0;       // chunk length field (header + value, no padding)
    const uint8_t* value = nullptr;
    size_t valueLen = 0;
    size_t offset = 0;         // offset of the chunk header in the packet
};

struct PacketView
{
    uint16_t srcPort = 0;
    uint16_t dstPort = 0;
    uint32_t vtag = 0;
    std::vector<ChunkView> chunks;
};

/// Checks the CRC32c (unless verifyCrc is false) and splits the chunks.
WireStatus ParsePacket(const uint8_t* buf, size_t len, PacketView& out, bool verifyCrc = true);

/// True if the checksum field matches the CRC32c of the packet.
bool VerifyChecksum(const uint8_t* buf, size_t len);

struct DataChunk
{
    uint8_t flags = 0;
    uint32_t tsn = 0;
    uint16_t sid = 0;
    uint16_t ssn = 0;
    uint32_t ppid = 0;
    const uint8_t* payload = nullptr;
    size_t payloadLen = 0;
};

/// I-DATA (RFC 8260 §2.1). The 32-bit word after the MID is the Payload
/// Protocol Identifier when B is set, else the Fragment Sequence Number (the
/// first fragment's FSN is implicitly 0).
struct IDataChunk
{
    uint8_t flags = 0; // DATA_FLAG_* (I, U, B, E: the same bits as DATA)
    uint32_t tsn = 0;
    uint16_t sid = 0;
    uint32_t mid = 0;
    uint32_t ppid = 0; // B set: the PPID; else 0
    uint32_t fsn = 0;  // B set: 0; else the FSN
    const uint8_t* payload = nullptr;
    size_t payloadLen = 0;
};

/// One entry of an I-FORWARD-TSN (RFC 8260 §2.3.1): the largest MID skipped
/// on a stream, for its ordered or its unordered messages.
struct IForwardTsnEntry
{
    uint16_t sid = 0;
    bool unordered = false;
    uint32_t mid = 0;
};

struct IForwardTsnChunk
{
    uint32_t newCumTsn = 0;
    std::vector<IForwardTsnEntry> entries;
};

struct InitChunk
{
    uint32_t initTag = 0;
    uint32_t aRwnd = 0;
    uint16_t outStreams = 0;
    uint16_t inStreams = 0;
    uint32_t initialTsn = 0;
    const uint8_t* cookie = nullptr; // INIT-ACK: the State Cookie parameter value
    size_t cookieLen = 0;
    // IPv4 Address parameters (§3.3.2.1), host order: a multihomed peer's
    // addresses. Empty for a single-homed peer (the IP source is its address).
    std::vector<uint32_t> ipv4Addresses;
    // IPv6 Address parameters (§3.3.2.1, type 6, length 20): a multihomed
    // IPv6 peer's addresses (network order). An IPv4 association (no mixed
    // ones) counts them as ignored.
    std::vector<std::array<uint8_t, 16>> ipv6Addresses;
    // Supported Address Types (§3.3.2.1.4, type 12): the address types the
    // peer lists, in order (5 IPv4, 6 IPv6; 11 Host Name is to be ignored).
    bool hasSupportedAddressTypes = false;
    std::vector<uint16_t> supportedAddressTypes;
    // Forward-TSN-Supported (RFC 3758 §3.1, type 0xC000, length 4): the
    // peer supports PR-SCTP. Read only when DecodeInit is told the type is
    // known; otherwise it is an unrecognised parameter (report, skip) as before.
    bool forwardTsnSupported = false;
    // Supported Extensions (RFC 5061 §4.2.7, type 0x8008): the chunk types
    // listed, in order. RFC 8260 §2.2: I-DATA is used if both ends list 64.
    bool hasSupportedExtensions = false;
    std::vector<uint8_t> supportedExtensions;
    // Known optional parameters with a wrong length (IPv4 Address != 8, IPv6
    // Address != 20, Supported Address Types without types or with an odd
    // byte count, Forward-TSN-Supported != 4), by type, in order. They are skipped, the rest is read.
    std::vector<uint16_t> malformed;
    // Parameters with the upper bits of the type asking for a report (§3.2.1):
    // each whole TLV (type, length, value; the length field's bytes, no padding).
    std::vector<std::pair<const uint8_t*, size_t>> unrecognized;
    bool stopProcessing = false; // an unrecognised parameter with action 00/01
    // Host Name Address (§3.3.2.1, type 11): its whole TLV (the first one).
    // §5.1.2: the receiver MUST answer with an ABORT, so the parameters
    // after it are not read.
    const uint8_t* hostNameAddress = nullptr;
    size_t hostNameAddressLen = 0;
};

struct SackChunk
{
    uint32_t cumTsnAck = 0;
    uint32_t aRwnd = 0;
    std::vector<std::pair<uint16_t, uint16_t>> gaps; // offsets from cumTsnAck
    std::vector<uint32_t> dups;
};

/// FORWARD TSN (RFC 3758 §3.2): the new cumulative TSN and, per ordered
/// stream skipped, the largest stream sequence number skipped.
struct ForwardTsnChunk
{
    uint32_t newCumTsn = 0;
    std::vector<std::pair<uint16_t, uint16_t>> streams; // (stream, SSN)
};

struct ErrorCause
{
    uint16_t code = 0;
    const uint8_t* info = nullptr;
    size_t infoLen = 0;
};

WireStatus DecodeData(const ChunkView& c, DataChunk& out);
/// Strict on the fixed part: BadChunkBody at the chunk when the value is
/// shorter than I-DATA's 16 bytes after the chunk header.
WireStatus DecodeIData(const ChunkView& c, IDataChunk& out);
/// Strict: 4 bytes of New Cumulative TSN plus whole 8-byte entries.
/// BadChunkBody at the chunk when shorter, or at the first byte of a partial
/// entry. The reserved bits of an entry are ignored (RFC 8260 §2.3.1).
WireStatus DecodeIForwardTsn(const ChunkView& c, IForwardTsnChunk& out);
/// True if the Supported Extensions parameter lists chunk type t.
bool ListsExtension(const InitChunk& init, uint8_t t);
/// forwardTsnKnown: read the Forward-TSN-Supported parameter (an endpoint
/// with PR-SCTP on); false treats it as unrecognised, as RFC 3758 §3.3.2
/// asks of an endpoint that does not support it.
WireStatus DecodeInit(const ChunkView& c, InitChunk& out, bool forwardTsnKnown = false);
/// §5.1.2: may the answer to this INIT use addresses of `type`
/// (PARAM_IPV4_ADDRESS / PARAM_IPV6_ADDRESS)? Yes without a Supported Address
/// Types parameter, or when the type is listed; and, by §5.1.2's
/// implementation note, for the family the INIT came over (initOverIpv6) and
/// for a family of which the INIT lists addresses, even if not listed.
bool PeerSupportsAddressType(const InitChunk& init, bool initOverIpv6, uint16_t type);
WireStatus DecodeSack(const ChunkView& c, SackChunk& out);
/// Strict: a value of 4 bytes plus whole 4-byte (stream, SSN) pairs.
/// BadChunkBody at the chunk when shorter than the New Cumulative TSN, or at
/// the first byte of a half pair.
WireStatus DecodeForwardTsn(const ChunkView& c, ForwardTsnChunk& out);
WireStatus DecodeShutdown(const ChunkView& c, uint32_t& cumTsnAck);
/// HEARTBEAT / HEARTBEAT-ACK: the Heartbeat Info parameter's value.
WireStatus DecodeHeartbeat(const ChunkView& c, const uint8_t*& info, size_t& infoLen);
/// ERROR / ABORT: the list of causes.
WireStatus DecodeCauses(const ChunkView& c, std::vector<ErrorCause>& out);

/// Serial number arithmetic on TSNs (RFC 1982, 32 bits).
inline bool
TsnLt(uint32_t a, uint32_t b)
{
    return a != b && uint32_t(b - a) < 0x80000000u;
}

inline bool
TsnLe(uint32_t a, uint32_t b)
{
    return a == b || TsnLt(a, b);
}

inline bool
SsnLt(uint16_t a, uint16_t b)
{
    return a != b && uint16_t(b - a) < 0x8000u;
}

/// Builds one SCTP packet into a byte buffer.
class PacketBuilder
{
  public:
    void Begin(uint16_t srcPort, uint16_t dstPort, uint32_t vtag);
    size_t Size() const
    {
        return m_buf.size();
    }
    bool HasChunks() const
    {
        return m_buf.size() > kCommonHeaderSize;
    }

    void AddData(uint8_t flags,
                 uint32_t tsn,
                 uint16_t sid,
                 uint16_t ssn,
                 uint32_t ppid,
                 const uint8_t* payload,
                 size_t len);
    /// INIT or INIT-ACK; cookie only for INIT-ACK. unrecognized: params to report.
    /// ipv4Addresses (host order), ipv6Addresses: one IPv4 / IPv6 Address
    /// parameter each, before the cookie; none for a single-homed endpoint.
    /// forwardTsnSupported: a Forward-TSN-Supported parameter after them
    /// (RFC 3758 §3.1). supportedExtensions: a Supported Extensions
    /// parameter listing these chunk types after that (none if empty).
    void AddInit(uint8_t type,
                 uint32_t initTag,
                 uint32_t aRwnd,
                 uint16_t outStreams,
                 uint16_t inStreams,
                 uint32_t initialTsn,
                 const uint8_t* cookie,
                 size_t cookieLen,
                 const std::vector<std::pair<const uint8_t*, size_t>>& unrecognized = {},
                 const std::vector<uint32_t>& ipv4Addresses = {},
                 bool forwardTsnSupported = false,
                 const std::vector<std::array<uint8_t, 16>>& ipv6Addresses = {},
                 const std::vector<uint8_t>& supportedExtensions = {});
    /// I-DATA (RFC 8260 §2.1): ppidOrFsn is the PPID if flags has B, else the FSN.
    void AddIData(uint8_t flags,
                  uint32_t tsn,
                  uint16_t sid,
                  uint32_t mid,
                  uint32_t ppidOrFsn,
                  const uint8_t* payload,
                  size_t len);
    /// I-FORWARD-TSN (RFC 8260 §2.3.1).
    void AddIForwardTsn(uint32_t newCumTsn, const std::vector<IForwardTsnEntry>& entries);
    /// FORWARD TSN (RFC 3758 §3.2).
    void AddForwardTsn(uint32_t newCumTsn, const std::vector<std::pair<uint16_t, uint16_t>>& streams);
    void AddSack(uint32_t cumTsnAck,
                 uint32_t aRwnd,
                 const std::vector<std::pair<uint16_t, uint16_t>>& gaps,
                 const std::vector<uint32_t>& dups);
    void AddShutdown(uint32_t cumTsnAck);
    /// HEARTBEAT / HEARTBEAT-ACK with one Heartbeat Info parameter.
    void AddHeartbeat(uint8_t type, const uint8_t* info, size_t len);
    void AddCookieEcho(const uint8_t* cookie, size_t len);
    /// A chunk with an empty value (COOKIE-ACK, SHUTDOWN-ACK, SHUTDOWN-COMPLETE, ABORT).
    void AddEmpty(uint8_t type, uint8_t flags);
    /// ERROR or ABORT with one cause.
    void AddCause(uint8_t type, uint8_t flags, uint16_t code, const uint8_t* info, size_t len);
    /// ERROR or ABORT with one cause whose information is the given parameter
    /// TLVs, padded to 4 bytes between them (§3.3.10.8 Unrecognized
    /// Parameters, §3.3.10.5 Unresolvable Address); the last one's padding
    /// is the chunk's.
    void AddParamsCause(uint8_t type,
                        uint8_t flags,
                        uint16_t code,
                        const std::vector<std::pair<const uint8_t*, size_t>>& params);

    /// Writes the CRC32c and returns the finished packet.
    const std::vector<uint8_t>& Finish();

  private:
    size_t BeginChunk(uint8_t type, uint8_t flags);
    void EndChunk(size_t start);
    void Put8(uint8_t v)
    {
        m_buf.push_back(v);
    }
    void Put16(uint16_t v);
    void Put32(uint32_t v);
    void PutBytes(const uint8_t* p, size_t n);
    /// Pads the chunk that starts at `start` to 4 bytes (between parameters).
    void PadFrom(size_t start)
    {
        m_buf.resize(start + Pad4(m_buf.size() - start), 0);
    }

    std::vector<uint8_t> m_buf;
};

inline uint16_t
Get16(const uint8_t* p)
{
    return uint16_t(p[0] << 8 | p[1]);
}

inline uint32_t
Get32(const uint8_t* p)
{
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

inline void
Put32At(uint8_t* p, uint32_t v)
{
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}

} // namespace sctp
} // namespace ns3
