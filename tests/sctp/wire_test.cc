// Wire format, CRC32c and state cookie: no simulation.
#include "sctp/crc32c.h"
#include "sctp/sctp-cookie.h"
#include "sctp/sctp-wire.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

using namespace ns3::sctp;

// CRC32c matches the published check value and the RFC 3720 B.4 vectors.
TEST(SctpCrc32c, KnownVectors)
{
    const char* check = "123456789";
    EXPECT_EQ(Crc32c(reinterpret_cast<const uint8_t*>(check), 9), 0xE3069283u);
    uint8_t zeros[32] = {};
    EXPECT_EQ(Crc32c(zeros, 32), 0x8A9136AAu);
    uint8_t ones[32];
    std::memset(ones, 0xFF, sizeof ones);
    EXPECT_EQ(Crc32c(ones, 32), 0x62A8AB43u);
    uint8_t inc[32];
    for (int i = 0; i < 32; ++i)
    {
        inc[i] = uint8_t(i);
    }
    EXPECT_EQ(Crc32c(inc, 32), 0x46DD794Eu);
}

// Slice-by-8 and the byte loop agree at every length and alignment.
TEST(SctpCrc32c, SplitUpdatesAgree)
{
    uint8_t buf[100];
    for (int i = 0; i < 100; ++i)
    {
        buf[i] = uint8_t(i * 7 + 3);
    }
    for (size_t cut = 0; cut <= 100; ++cut)
    {
        uint32_t st = Crc32cUpdate(0xFFFFFFFFu, buf, cut);
        st = Crc32cUpdate(st, buf + cut, 100 - cut);
        EXPECT_EQ(~st, Crc32c(buf, 100)) << "cut " << cut;
    }
}

// A built packet parses back chunk by chunk, padded to 4, checksum good.
TEST(SctpWire, BuildParseRoundTrip)
{
    PacketBuilder b;
    b.Begin(5060, 5061, 0xA1B2C3D4);
    const uint8_t payload[5] = {1, 2, 3, 4, 5};
    b.AddData(DATA_FLAG_BEGIN | DATA_FLAG_END, 1000, 3, 7, 51, payload, 5);
    b.AddSack(999, 65535, {{2, 3}, {5, 5}}, {998});
    const auto& bytes = b.Finish();
    ASSERT_EQ(bytes.size() % 4, 0u);
    // common 12 + DATA 16+5 -> 24 padded + SACK 16 + 8 + 4
    EXPECT_EQ(bytes.size(), 12u + 24u + 28u);
    EXPECT_TRUE(VerifyChecksum(bytes.data(), bytes.size()));
    PacketView v;
    ASSERT_TRUE(ParsePacket(bytes.data(), bytes.size(), v).Ok());
    EXPECT_EQ(v.srcPort, 5060);
    EXPECT_EQ(v.dstPort, 5061);
    EXPECT_EQ(v.vtag, 0xA1B2C3D4u);
    ASSERT_EQ(v.chunks.size(), 2u);
    DataChunk d;
    ASSERT_TRUE(DecodeData(v.chunks[0], d).Ok());
    EXPECT_EQ(v.chunks[0].length, 21);
    EXPECT_EQ(d.tsn, 1000u);
    EXPECT_EQ(d.sid, 3);
    EXPECT_EQ(d.ssn, 7);
    EXPECT_EQ(d.ppid, 51u);
    ASSERT_EQ(d.payloadLen, 5u);
    EXPECT_EQ(std::memcmp(d.payload, payload, 5), 0);
    SackChunk s;
    ASSERT_TRUE(DecodeSack(v.chunks[1], s).Ok());
    EXPECT_EQ(s.cumTsnAck, 999u);
    EXPECT_EQ(s.aRwnd, 65535u);
    ASSERT_EQ(s.gaps.size(), 2u);
    EXPECT_EQ(s.gaps[1], (std::pair<uint16_t, uint16_t>(5, 5)));
    ASSERT_EQ(s.dups.size(), 1u);
    EXPECT_EQ(s.dups[0], 998u);
}

// INIT-ACK carries the cookie as a State Cookie parameter that decodes back.
TEST(SctpWire, InitAckCookieParameter)
{
    PacketBuilder b;
    b.Begin(1, 2, 77);
    const uint8_t cookie[7] = {9, 8, 7, 6, 5, 4, 3};
    b.AddInit(CHUNK_INIT_ACK, 0x11223344, 4096, 5, 6, 0xFFFFFFF0u, cookie, 7);
    const auto& bytes = b.Finish();
    PacketView v;
    ASSERT_TRUE(ParsePacket(bytes.data(), bytes.size(), v).Ok());
    InitChunk ia;
    ASSERT_TRUE(DecodeInit(v.chunks[0], ia).Ok());
    EXPECT_EQ(ia.initTag, 0x11223344u);
    EXPECT_EQ(ia.outStreams, 5);
    EXPECT_EQ(ia.inStreams, 6);
    EXPECT_EQ(ia.initialTsn, 0xFFFFFFF0u);
    ASSERT_EQ(ia.cookieLen, 7u);
    EXPECT_EQ(std::memcmp(ia.cookie, cookie, 7), 0);
}

namespace
{
/// One TLV parameter: type, a length field (default: 4 + the value's size)
/// and the value, padded to 4 bytes.
void
PutParam(std::vector<uint8_t>& out, uint16_t type, std::vector<uint8_t> value, int length = -1)
{
    uint16_t len = length < 0 ? uint16_t(4 + value.size()) : uint16_t(length);
    out.insert(out.end(), {uint8_t(type >> 8), uint8_t(type), uint8_t(len >> 8), uint8_t(len)});
    value.resize(Pad4(value.size()));
    out.insert(out.end(), value.begin(), value.end());
}

/// An INIT chunk (tag 1, a_rwnd 2, 3/4 streams, TSN 5) with these
/// parameters after the fixed part, decoded.
WireStatus
DecodeInitWith(const std::vector<uint8_t>& params, InitChunk& out, bool forwardTsnKnown = false)
{
    PacketBuilder b;
    b.Begin(1, 2, 0);
    b.AddInit(CHUNK_INIT, 1, 2, 3, 4, 5, nullptr, 0);
    std::vector<uint8_t> pkt = b.Finish();
    pkt.insert(pkt.end(), params.begin(), params.end());
    uint16_t chunkLen = uint16_t(pkt.size() - kCommonHeaderSize);
    pkt[14] = uint8_t(chunkLen >> 8);
    pkt[15] = uint8_t(chunkLen);
    PacketView v;
    WireStatus st = ParsePacket(pkt.data(), pkt.size(), v, false);
    if (!st.Ok())
    {
        return st;
    }
    return DecodeInit(v.chunks.at(0), out, forwardTsnKnown);
}

/// A packet with one chunk of this type, flags and value (the length field
/// says 4 + value size; padding added), parsed; the chunk view is returned.
struct OneChunk
{
    std::vector<uint8_t> bytes;
    PacketView view;
    WireStatus status;
};

OneChunk
MakeChunk(uint8_t type, const std::vector<uint8_t>& value)
{
    OneChunk o;
    PacketBuilder b;
    b.Begin(1, 2, 3);
    o.bytes = b.Finish();
    size_t len = 4 + value.size();
    o.bytes.insert(o.bytes.end(), {type, 0, uint8_t(len >> 8), uint8_t(len)});
    o.bytes.insert(o.bytes.end(), value.begin(), value.end());
    o.bytes.resize(kCommonHeaderSize + Pad4(len), 0);
    o.status = ParsePacket(o.bytes.data(), o.bytes.size(), o.view, false);
    return o;
}

const std::vector<uint8_t> kIpv6Value(16, 0x20); // any 16 bytes
} // namespace

// Proves §3.3.2.1.4: a Supported Address Types parameter (type 12, upper bits
// 00) is decoded, not treated as unknown (which would stop processing the
// INIT): its types are kept, an odd count's padding is skipped, and the IPv4
// and IPv6 Address parameters after it are still read. An IPv6 Address
// (type 6, length 20) is counted and does not stop the walk either.
TEST(SctpWire, SupportedAddressTypesDecodedAndLaterParametersKept)
{
    std::vector<uint8_t> params;
    PutParam(params, PARAM_SUPPORTED_ADDRESS_TYPES, {0, 5}); // length 6, 2 bytes of padding
    PutParam(params, PARAM_IPV4_ADDRESS, {10, 1, 1, 1});
    PutParam(params, PARAM_IPV6_ADDRESS, kIpv6Value);
    PutParam(params, PARAM_IPV4_ADDRESS, {10, 1, 2, 1});
    InitChunk init;
    ASSERT_TRUE(DecodeInitWith(params, init).Ok());
    EXPECT_TRUE(init.hasSupportedAddressTypes);
    EXPECT_EQ(init.supportedAddressTypes, (std::vector<uint16_t>{5}));
    EXPECT_EQ(init.ipv4Addresses, (std::vector<uint32_t>{0x0A010101u, 0x0A010201u}));
    EXPECT_EQ(init.ipv6Addresses.size(), 1u);
    EXPECT_FALSE(init.stopProcessing);
    EXPECT_TRUE(init.malformed.empty());
    EXPECT_TRUE(init.unrecognized.empty());

    // Three types (IPv6, IPv4, Host Name), as listed.
    params.clear();
    PutParam(params, PARAM_SUPPORTED_ADDRESS_TYPES, {0, 6, 0, 5, 0, 11});
    PutParam(params, PARAM_IPV4_ADDRESS, {10, 1, 2, 1});
    InitChunk init3;
    ASSERT_TRUE(DecodeInitWith(params, init3).Ok());
    EXPECT_EQ(init3.supportedAddressTypes, (std::vector<uint16_t>{6, 5, 11}));
    EXPECT_EQ(init3.ipv4Addresses, (std::vector<uint32_t>{0x0A010201u}));

    // Without the parameter nothing is listed (every type is acceptable).
    InitChunk none;
    ASSERT_TRUE(DecodeInitWith({}, none).Ok());
    EXPECT_FALSE(none.hasSupportedAddressTypes);
}

// Proves that known parameters with a wrong length are not skipped silently
// nor fatal: an IPv4 Address of length 12, an IPv6 Address of length 8, a
// Supported Address Types with no type (length 4) and one with half a type
// (length 7) are each listed in `malformed` (the association counts and
// logs them), none becomes an address or a type, and the good IPv4 Address
// after them is still read.
TEST(SctpWire, MalformedAddressParametersListedAndSkipped)
{
    std::vector<uint8_t> params;
    PutParam(params, PARAM_IPV4_ADDRESS, {10, 9, 9, 9, 0, 0, 0, 0});
    PutParam(params, PARAM_IPV6_ADDRESS, {1, 2, 3, 4});
    PutParam(params, PARAM_SUPPORTED_ADDRESS_TYPES, {});
    PutParam(params, PARAM_SUPPORTED_ADDRESS_TYPES, {0, 5, 0}, 7);
    PutParam(params, PARAM_IPV4_ADDRESS, {10, 1, 2, 1});
    InitChunk init;
    ASSERT_TRUE(DecodeInitWith(params, init).Ok());
    EXPECT_EQ(init.malformed,
              (std::vector<uint16_t>{PARAM_IPV4_ADDRESS,
                                     PARAM_IPV6_ADDRESS,
                                     PARAM_SUPPORTED_ADDRESS_TYPES,
                                     PARAM_SUPPORTED_ADDRESS_TYPES}));
    EXPECT_EQ(init.ipv4Addresses, (std::vector<uint32_t>{0x0A010201u}));
    EXPECT_EQ(init.ipv6Addresses.size(), 0u);
    EXPECT_FALSE(init.hasSupportedAddressTypes);
    EXPECT_TRUE(init.supportedAddressTypes.empty());
    EXPECT_FALSE(init.stopProcessing);

    // A length past the chunk's end is still a parse error, as before.
    params.clear();
    PutParam(params, PARAM_SUPPORTED_ADDRESS_TYPES, {0, 5}, 40);
    InitChunk overrun;
    EXPECT_EQ(DecodeInitWith(params, overrun).error, WireError::BadParameter);
}

// Proves §5.1.2 as PeerSupportsAddressType applies it: without Supported
// Address Types every type is acceptable; with it, the listed types, plus
// (implementation note) the family the INIT came over and a family of which
// the INIT lists addresses, even if not listed; nothing else.
TEST(SctpWire, PeerSupportsAddressTypeFollowsSection512)
{
    InitChunk plain;
    EXPECT_TRUE(PeerSupportsAddressType(plain, false, PARAM_IPV6_ADDRESS));
    EXPECT_TRUE(PeerSupportsAddressType(plain, true, PARAM_IPV4_ADDRESS));

    InitChunk v6only;
    v6only.hasSupportedAddressTypes = true;
    v6only.supportedAddressTypes = {PARAM_IPV6_ADDRESS};
    EXPECT_TRUE(PeerSupportsAddressType(v6only, true, PARAM_IPV6_ADDRESS));
    EXPECT_FALSE(PeerSupportsAddressType(v6only, true, PARAM_IPV4_ADDRESS));
    EXPECT_TRUE(PeerSupportsAddressType(v6only, false, PARAM_IPV4_ADDRESS)); // came over IPv4
    v6only.ipv4Addresses = {0x0A010101u};
    EXPECT_TRUE(PeerSupportsAddressType(v6only, true, PARAM_IPV4_ADDRESS)); // lists one

    InitChunk v4only;
    v4only.hasSupportedAddressTypes = true;
    v4only.supportedAddressTypes = {PARAM_IPV4_ADDRESS};
    EXPECT_FALSE(PeerSupportsAddressType(v4only, false, PARAM_IPV6_ADDRESS));
    EXPECT_TRUE(PeerSupportsAddressType(v4only, true, PARAM_IPV6_ADDRESS));
    v4only.ipv6Addresses.resize(1);
    EXPECT_TRUE(PeerSupportsAddressType(v4only, false, PARAM_IPV6_ADDRESS));

    InitChunk hostNameOnly; // type 11 is to be ignored: only the INIT's own family
    hostNameOnly.hasSupportedAddressTypes = true;
    hostNameOnly.supportedAddressTypes = {11};
    EXPECT_TRUE(PeerSupportsAddressType(hostNameOnly, false, PARAM_IPV4_ADDRESS));
    EXPECT_FALSE(PeerSupportsAddressType(hostNameOnly, false, PARAM_IPV6_ADDRESS));
}

// Every kind of damage is reported with what and where, never accepted.
TEST(SctpWire, ParseErrorsSayWhatAndWhere)
{
    PacketBuilder b;
    b.Begin(1, 2, 3);
    b.AddShutdown(42);
    std::vector<uint8_t> good = b.Finish();
    PacketView v;
    EXPECT_EQ(ParsePacket(good.data(), 8, v).error, WireError::TooShort);

    std::vector<uint8_t> bad = good;
    bad[13] ^= 1;
    WireStatus st = ParsePacket(bad.data(), bad.size(), v);
    EXPECT_EQ(st.error, WireError::BadChecksum);
    EXPECT_EQ(st.offset, 8u);
    EXPECT_NE(st.ToString().find("CRC32c"), std::string::npos);

    // Chunk length 3 (< 4): checked without CRC to reach the chunk parser.
    bad = good;
    bad[14] = 0;
    bad[15] = 3;
    st = ParsePacket(bad.data(), bad.size(), v, false);
    EXPECT_EQ(st.error, WireError::ChunkLengthTooSmall);
    EXPECT_EQ(st.offset, 14u);

    bad = good;
    bad[15] = 200; // longer than the packet
    st = ParsePacket(bad.data(), bad.size(), v, false);
    EXPECT_EQ(st.error, WireError::ChunkOverrun);

    bad.assign(good.begin(), good.begin() + 14); // 2 bytes of a chunk header
    st = ParsePacket(bad.data(), bad.size(), v, false);
    EXPECT_EQ(st.error, WireError::ChunkHeaderTruncated);
    EXPECT_EQ(st.offset, 12u);

    bad.assign(good.begin(), good.begin() + 12);
    EXPECT_EQ(ParsePacket(bad.data(), bad.size(), v, false).error, WireError::NoChunks);

    // A SACK claiming more gap blocks than it holds.
    PacketBuilder s;
    s.Begin(1, 2, 3);
    s.AddSack(1, 2, {}, {});
    std::vector<uint8_t> sack = s.Finish();
    sack[12 + 4 + 8] = 0;
    sack[12 + 4 + 9] = 9; // 9 gap blocks, none present
    ASSERT_TRUE(ParsePacket(sack.data(), sack.size(), v, false).Ok());
    SackChunk sc;
    EXPECT_EQ(DecodeSack(v.chunks[0], sc).error, WireError::BadChunkBody);
}

namespace
{
CookieState
SampleCookie()
{
    CookieState st;
    st.createdNs = 123456789012ull;
    st.lifetimeMs = 60000;
    st.localTag = 0xDEADBEEF;
    st.peerTag = 0x01020304;
    st.localInitialTsn = 5;
    st.peerInitialTsn = 6;
    st.peerRwnd = 65536;
    st.outStreams = 3;
    st.inStreams = 4;
    st.localPort = 5060;
    st.peerPort = 49152;
    st.localAddr = 0x0A010102;
    st.peerAddr = 0x0A010101;
    st.localTieTag = 7;
    st.peerTieTag = 8;
    return st;
}
} // namespace

// The state cookie opens only with the right key and untouched bytes.
TEST(SctpCookie, SealOpenAndTamper)
{
    std::array<uint8_t, 32> key{};
    key[0] = 1;
    CookieState st = SampleCookie();
    std::vector<uint8_t> c;
    ASSERT_TRUE(SealCookie(st, key, c));
    ASSERT_EQ(c.size(), kCookieSize);
    CookieState out;
    ASSERT_EQ(OpenCookie(c.data(), c.size(), key, out), CookieError::None);
    EXPECT_EQ(out.createdNs, st.createdNs);
    EXPECT_EQ(out.localTag, st.localTag);
    EXPECT_EQ(out.peerTieTag, 8u);
    EXPECT_EQ(out.peerAddr, st.peerAddr);

    std::vector<uint8_t> t = c;
    t[20] ^= 0x80;
    EXPECT_EQ(OpenCookie(t.data(), t.size(), key, out), CookieError::BadMac);
    std::array<uint8_t, 32> other = key;
    other[5] = 9;
    EXPECT_EQ(OpenCookie(c.data(), c.size(), other, out), CookieError::BadMac);
    EXPECT_EQ(OpenCookie(c.data(), c.size() - 1, key, out), CookieError::BadLength);
}

// Proves the IPv6 cookie (RFC 9260 §5.1.3: the addresses the association was
// set up with) carries both 128-bit addresses and that its HMAC covers every
// byte of them: flipping one bit in the last byte of either address breaks it.
// An IPv4 cookie keeps its length, so IPv4 set-ups send the same bytes as before.
TEST(SctpCookie, Ipv6AddressesSealedAndCovered)
{
    std::array<uint8_t, 32> key{};
    key[3] = 7;
    CookieState st = SampleCookie();
    st.ipv6 = true;
    for (uint8_t i = 0; i < 16; ++i)
    {
        st.localAddr6[i] = uint8_t(0x20 + i);
        st.peerAddr6[i] = uint8_t(0x80 + i);
    }
    std::vector<uint8_t> c;
    ASSERT_TRUE(SealCookie(st, key, c));
    ASSERT_EQ(c.size(), kCookie6Size);
    CookieState out;
    ASSERT_EQ(OpenCookie(c.data(), c.size(), key, out), CookieError::None);
    EXPECT_TRUE(out.ipv6);
    EXPECT_EQ(out.localAddr6, st.localAddr6);
    EXPECT_EQ(out.peerAddr6, st.peerAddr6);
    EXPECT_EQ(out.localTieTag, st.localTieTag);
    EXPECT_EQ(out.peerTieTag, st.peerTieTag);
    EXPECT_EQ(out.peerPort, st.peerPort);
    for (size_t at : {size_t(44 + 15), size_t(60 + 15)})
    {
        std::vector<uint8_t> t = c;
        t[at] ^= 0x01;
        EXPECT_EQ(OpenCookie(t.data(), t.size(), key, out), CookieError::BadMac) << "byte " << at;
    }

    CookieState v4 = st;
    v4.ipv6 = false;
    std::vector<uint8_t> c4;
    ASSERT_TRUE(SealCookie(v4, key, c4));
    EXPECT_EQ(c4.size(), kCookieSize);
    ASSERT_EQ(OpenCookie(c4.data(), c4.size(), key, out), CookieError::None);
    EXPECT_FALSE(out.ipv6);
}

// Proves the FORWARD TSN chunk's RFC 3758 §3.2 byte layout: type 192, flags
// 0, length 4 + 4 + 4 per (stream, SSN) pair, New Cumulative TSN then the
// pairs, big endian; and that DecodeForwardTsn reads back exactly what was
// built, also with no pair at all.
TEST(SctpWire, ForwardTsnLayoutAndRoundTrip)
{
    PacketBuilder b;
    b.Begin(5000, 5001, 0xA1B2C3D4u);
    b.AddForwardTsn(0x01020304u, {{1, 0x0506}, {0x0708, 9}});
    std::vector<uint8_t> pkt = b.Finish();
    const std::vector<uint8_t> chunk{192, 0,    0,    16,   1, 2, 3, 4, // header, New Cum TSN
                                     0,   1,    0x05, 0x06,             // stream 1, SSN 0x0506
                                     7,   8,    0,    9};               // stream 0x0708, SSN 9
    ASSERT_EQ(pkt.size(), kCommonHeaderSize + chunk.size());
    EXPECT_TRUE(std::equal(chunk.begin(), chunk.end(), pkt.begin() + kCommonHeaderSize));
    PacketView v;
    ASSERT_TRUE(ParsePacket(pkt.data(), pkt.size(), v).Ok());
    ASSERT_EQ(v.chunks.size(), 1u);
    ForwardTsnChunk f;
    ASSERT_TRUE(DecodeForwardTsn(v.chunks[0], f).Ok());
    EXPECT_EQ(f.newCumTsn, 0x01020304u);
    EXPECT_EQ(f.streams, (std::vector<std::pair<uint16_t, uint16_t>>{{1, 0x0506}, {0x0708, 9}}));

    PacketBuilder e;
    e.Begin(1, 2, 3);
    e.AddForwardTsn(7, {});
    std::vector<uint8_t> bare = e.Finish();
    ASSERT_EQ(bare.size(), kCommonHeaderSize + 8);
    ASSERT_TRUE(ParsePacket(bare.data(), bare.size(), v).Ok());
    ASSERT_TRUE(DecodeForwardTsn(v.chunks[0], f).Ok());
    EXPECT_EQ(f.newCumTsn, 7u);
    EXPECT_TRUE(f.streams.empty());
}

// Proves strict FORWARD TSN decoding names the byte: a chunk without the
// whole New Cumulative TSN (value 0 and 3 bytes) fails at the chunk, one
// with half a (stream, SSN) pair (2 bytes after the TSN, or 2 after a whole
// pair) fails at the first byte of that half pair; the error never reads
// past the chunk (the packet parser accepts these lengths).
TEST(SctpWire, ForwardTsnTruncatedAndOddLengthsRejectedWithOffset)
{
    ForwardTsnChunk f;
    for (size_t n : {0u, 3u})
    {
        OneChunk o = MakeChunk(CHUNK_FORWARD_TSN, std::vector<uint8_t>(n, 0x11));
        ASSERT_TRUE(o.status.Ok());
        WireStatus st = DecodeForwardTsn(o.view.chunks[0], f);
        EXPECT_EQ(st.error, WireError::BadChunkBody) << n;
        EXPECT_EQ(st.offset, kCommonHeaderSize) << n;
    }
    OneChunk half = MakeChunk(CHUNK_FORWARD_TSN, {0, 0, 0, 1, 0, 2});
    ASSERT_TRUE(half.status.Ok());
    WireStatus st = DecodeForwardTsn(half.view.chunks[0], f);
    EXPECT_EQ(st.error, WireError::BadChunkBody);
    EXPECT_EQ(st.offset, kCommonHeaderSize + 8);
    EXPECT_NE(st.ToString().find("at byte 20"), std::string::npos) << st.ToString();
    OneChunk pairAndHalf = MakeChunk(CHUNK_FORWARD_TSN, {0, 0, 0, 1, 0, 2, 0, 3, 0, 4});
    ASSERT_TRUE(pairAndHalf.status.Ok());
    st = DecodeForwardTsn(pairAndHalf.view.chunks[0], f);
    EXPECT_EQ(st.error, WireError::BadChunkBody);
    EXPECT_EQ(st.offset, kCommonHeaderSize + 12);
    // A length field running past the packet is the packet parser's error.
    OneChunk over = MakeChunk(CHUNK_FORWARD_TSN, {0, 0, 0, 1});
    over.bytes[kCommonHeaderSize + 3] = 40;
    EXPECT_EQ(ParsePacket(over.bytes.data(), over.bytes.size(), over.view, false).error,
              WireError::ChunkOverrun);
}

// Proves the Forward-TSN-Supported parameter (RFC 3758 §3.1): AddInit puts
// 0xC000 / length 4 in an INIT only when asked (without it the INIT is the
// 20-byte one it always was), DecodeInit with the type known sets
// forwardTsnSupported and keeps reading the parameters after it, and a
// wrong length is listed as malformed. Without the type known (an endpoint
// with PR-SCTP off) it is what it was before: an unrecognised parameter
// whose type bits (11) say skip and report, so it is listed in
// `unrecognized` and the rest is read.
TEST(SctpWire, ForwardTsnSupportedParameter)
{
    PacketBuilder off;
    off.Begin(1, 2, 0);
    off.AddInit(CHUNK_INIT, 1, 2, 3, 4, 5, nullptr, 0);
    EXPECT_EQ(off.Finish().size(), kCommonHeaderSize + 20u);
    PacketBuilder on;
    on.Begin(1, 2, 0);
    on.AddInit(CHUNK_INIT, 1, 2, 3, 4, 5, nullptr, 0, {}, {0x0A010101u}, true);
    std::vector<uint8_t> pkt = on.Finish();
    ASSERT_EQ(pkt.size(), kCommonHeaderSize + 20u + 8u + 4u);
    const std::vector<uint8_t> param{0xC0, 0x00, 0x00, 0x04};
    EXPECT_TRUE(std::equal(param.begin(), param.end(), pkt.end() - 4));
    PacketView v;
    ASSERT_TRUE(ParsePacket(pkt.data(), pkt.size(), v).Ok());
    InitChunk known;
    ASSERT_TRUE(DecodeInit(v.chunks[0], known, true).Ok());
    EXPECT_TRUE(known.forwardTsnSupported);
    EXPECT_EQ(known.ipv4Addresses, (std::vector<uint32_t>{0x0A010101u}));
    EXPECT_TRUE(known.unrecognized.empty());

    std::vector<uint8_t> params;
    PutParam(params, PARAM_FORWARD_TSN_SUPPORTED, {});
    PutParam(params, PARAM_IPV4_ADDRESS, {10, 1, 2, 1});
    InitChunk pr;
    ASSERT_TRUE(DecodeInitWith(params, pr, true).Ok());
    EXPECT_TRUE(pr.forwardTsnSupported);
    EXPECT_EQ(pr.ipv4Addresses, (std::vector<uint32_t>{0x0A010201u}));
    InitChunk base;
    ASSERT_TRUE(DecodeInitWith(params, base, false).Ok());
    EXPECT_FALSE(base.forwardTsnSupported);
    ASSERT_EQ(base.unrecognized.size(), 1u);
    EXPECT_EQ(base.unrecognized[0].second, 4u);
    EXPECT_FALSE(base.stopProcessing);
    EXPECT_EQ(base.ipv4Addresses, (std::vector<uint32_t>{0x0A010201u}));

    params.clear();
    PutParam(params, PARAM_FORWARD_TSN_SUPPORTED, {0, 0, 0, 0}); // length 8
    PutParam(params, PARAM_IPV4_ADDRESS, {10, 1, 2, 1});
    InitChunk bad;
    ASSERT_TRUE(DecodeInitWith(params, bad, true).Ok());
    EXPECT_FALSE(bad.forwardTsnSupported);
    EXPECT_EQ(bad.malformed, (std::vector<uint16_t>{PARAM_FORWARD_TSN_SUPPORTED}));
    EXPECT_EQ(bad.ipv4Addresses, (std::vector<uint32_t>{0x0A010201u}));
}

// Proves the I-DATA codec (RFC 8260 §2.1): a first fragment carries the PPID
// in the word after the MID and decodes with FSN 0, a later one carries the
// FSN there and decodes with PPID 0; the 20-byte header is laid out as the
// RFC draws it (type 64, flags, TSN, stream, 16 reserved bits, MID), padded
// to 4; a value shorter than the fixed 16 bytes fails at the chunk.
TEST(SctpWire, IDataLayoutRoundTripAndTruncation)
{
    PacketBuilder b;
    b.Begin(5000, 5001, 0xA1B2C3D4u);
    const uint8_t payload[3] = {0xAA, 0xBB, 0xCC};
    b.AddIData(DATA_FLAG_BEGIN | DATA_FLAG_UNORDERED, 0x01020304u, 0x0506, 0x0708090Au, 51, payload, 3);
    b.AddIData(DATA_FLAG_END, 0x01020305u, 0x0506, 0x0708090Au, 1, payload, 2);
    std::vector<uint8_t> pkt = b.Finish();
    const std::vector<uint8_t> first{64,   0x06, 0,    23,   1,    2,  3, 4, // type, U|B, length 23, TSN
                                     0x05, 0x06, 0,    0,                    // stream, reserved
                                     0x07, 0x08, 0x09, 0x0A, 0, 0, 0, 51,    // MID, PPID
                                     0xAA, 0xBB, 0xCC, 0};                   // data, padding
    ASSERT_EQ(pkt.size(), kCommonHeaderSize + 24u + 24u);
    EXPECT_TRUE(std::equal(first.begin(), first.end(), pkt.begin() + kCommonHeaderSize));
    PacketView v;
    ASSERT_TRUE(ParsePacket(pkt.data(), pkt.size(), v).Ok());
    ASSERT_EQ(v.chunks.size(), 2u);
    IDataChunk d;
    ASSERT_TRUE(DecodeIData(v.chunks[0], d).Ok());
    EXPECT_EQ(d.tsn, 0x01020304u);
    EXPECT_EQ(d.sid, 0x0506);
    EXPECT_EQ(d.mid, 0x0708090Au);
    EXPECT_EQ(d.ppid, 51u);
    EXPECT_EQ(d.fsn, 0u);
    EXPECT_EQ(d.flags, DATA_FLAG_BEGIN | DATA_FLAG_UNORDERED);
    ASSERT_EQ(d.payloadLen, 3u);
    EXPECT_EQ(d.payload[2], 0xCC);
    ASSERT_TRUE(DecodeIData(v.chunks[1], d).Ok());
    EXPECT_EQ(d.fsn, 1u);
    EXPECT_EQ(d.ppid, 0u);
    EXPECT_EQ(d.payloadLen, 2u);
    for (size_t n : {0u, 15u})
    {
        OneChunk o = MakeChunk(CHUNK_IDATA, std::vector<uint8_t>(n, 0x11));
        ASSERT_TRUE(o.status.Ok());
        WireStatus st = DecodeIData(o.view.chunks[0], d);
        EXPECT_EQ(st.error, WireError::BadChunkBody) << n;
        EXPECT_EQ(st.offset, kCommonHeaderSize) << n;
    }
    OneChunk empty = MakeChunk(CHUNK_IDATA, std::vector<uint8_t>(16, 0));
    ASSERT_TRUE(DecodeIData(empty.view.chunks[0], d).Ok()); // no user data: the socket's call
    EXPECT_EQ(d.payloadLen, 0u);
}

// Proves the I-FORWARD-TSN codec (RFC 8260 §2.3.1): New Cumulative TSN, then
// 8-byte entries (stream, 15 reserved bits + U, MID) byte for byte; reserved
// bits set on receipt are ignored; a chunk shorter than the TSN fails at the
// chunk and one with a partial entry at that entry's first byte.
TEST(SctpWire, IForwardTsnLayoutRoundTripAndTruncation)
{
    PacketBuilder b;
    b.Begin(1, 2, 3);
    b.AddIForwardTsn(0x01020304u, {{1, false, 0x05060708u}, {0x0A0B, true, 9}});
    std::vector<uint8_t> pkt = b.Finish();
    const std::vector<uint8_t> chunk{194, 0, 0, 24, 1, 2, 3, 4,     // header, New Cum TSN
                                     0,   1, 0, 0,  5, 6, 7, 8,     // stream 1, ordered, MID
                                     10,  11, 0, 1, 0, 0, 0, 9};    // stream 0x0A0B, U, MID 9
    ASSERT_EQ(pkt.size(), kCommonHeaderSize + chunk.size());
    EXPECT_TRUE(std::equal(chunk.begin(), chunk.end(), pkt.begin() + kCommonHeaderSize));
    PacketView v;
    ASSERT_TRUE(ParsePacket(pkt.data(), pkt.size(), v).Ok());
    IForwardTsnChunk f;
    ASSERT_TRUE(DecodeIForwardTsn(v.chunks[0], f).Ok());
    EXPECT_EQ(f.newCumTsn, 0x01020304u);
    ASSERT_EQ(f.entries.size(), 2u);
    EXPECT_EQ(f.entries[0].sid, 1);
    EXPECT_FALSE(f.entries[0].unordered);
    EXPECT_EQ(f.entries[0].mid, 0x05060708u);
    EXPECT_EQ(f.entries[1].sid, 0x0A0B);
    EXPECT_TRUE(f.entries[1].unordered);
    EXPECT_EQ(f.entries[1].mid, 9u);

    OneChunk reserved = MakeChunk(CHUNK_IFORWARD_TSN, {0, 0, 0, 1, 0, 2, 0xFF, 0xFE, 0, 0, 0, 3});
    ASSERT_TRUE(DecodeIForwardTsn(reserved.view.chunks[0], f).Ok());
    ASSERT_EQ(f.entries.size(), 1u);
    EXPECT_FALSE(f.entries[0].unordered);
    for (size_t n : {0u, 3u})
    {
        OneChunk o = MakeChunk(CHUNK_IFORWARD_TSN, std::vector<uint8_t>(n, 0));
        WireStatus st = DecodeIForwardTsn(o.view.chunks[0], f);
        EXPECT_EQ(st.error, WireError::BadChunkBody) << n;
        EXPECT_EQ(st.offset, kCommonHeaderSize) << n;
    }
    for (size_t extra : {4u, 12u})
    {
        OneChunk o = MakeChunk(CHUNK_IFORWARD_TSN, std::vector<uint8_t>(4 + extra, 0));
        WireStatus st = DecodeIForwardTsn(o.view.chunks[0], f);
        EXPECT_EQ(st.error, WireError::BadChunkBody) << extra;
        EXPECT_EQ(st.offset, kCommonHeaderSize + 8 + extra / 8 * 8) << extra;
    }
}

// Proves the Supported Extensions parameter (RFC 5061 §4.2.7, 0x8008): AddInit
// writes it (one byte per chunk type, padded) only when given types, so an
// INIT without it is unchanged; DecodeInit reads it, keeps reading the
// parameters after it, and never reports it as unrecognised.
TEST(SctpWire, SupportedExtensionsParameter)
{
    PacketBuilder on;
    on.Begin(1, 2, 0);
    on.AddInit(CHUNK_INIT, 1, 2, 3, 4, 5, nullptr, 0, {}, {0x0A010101u}, true, {}, {CHUNK_IDATA, CHUNK_IFORWARD_TSN});
    std::vector<uint8_t> pkt = on.Finish();
    ASSERT_EQ(pkt.size(), kCommonHeaderSize + 20u + 8u + 4u + 8u);
    const std::vector<uint8_t> param{0x80, 0x08, 0x00, 0x06, 64, 194, 0, 0};
    EXPECT_TRUE(std::equal(param.begin(), param.end(), pkt.end() - 8));
    // RFC 9260 §3.2: the last parameter's padding is the chunk's, not counted
    // in its length (20 + 8 + 4 + 6); one before a cookie is padded and counted.
    EXPECT_EQ(Get16(pkt.data() + kCommonHeaderSize + 2), 38u);
    PacketBuilder ack;
    ack.Begin(1, 2, 3);
    const uint8_t cookie[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ack.AddInit(CHUNK_INIT_ACK, 1, 2, 3, 4, 5, cookie, 8, {}, {}, false, {}, {CHUNK_IDATA});
    std::vector<uint8_t> ackPkt = ack.Finish();
    PacketView v;
    EXPECT_EQ(Get16(ackPkt.data() + kCommonHeaderSize + 2), 20u + 8u + 12u);
    ASSERT_TRUE(ParsePacket(ackPkt.data(), ackPkt.size(), v).Ok());
    InitChunk ackInit;
    ASSERT_TRUE(DecodeInit(v.chunks[0], ackInit).Ok());
    EXPECT_TRUE(ListsExtension(ackInit, CHUNK_IDATA));
    ASSERT_EQ(ackInit.cookieLen, 8u);
    EXPECT_EQ(ackInit.cookie[7], 8);
    ASSERT_TRUE(ParsePacket(pkt.data(), pkt.size(), v).Ok());
    InitChunk init;
    ASSERT_TRUE(DecodeInit(v.chunks[0], init, true).Ok());
    EXPECT_TRUE(init.hasSupportedExtensions);
    EXPECT_TRUE(ListsExtension(init, CHUNK_IDATA));
    EXPECT_TRUE(ListsExtension(init, CHUNK_IFORWARD_TSN));
    EXPECT_FALSE(ListsExtension(init, CHUNK_FORWARD_TSN));
    EXPECT_TRUE(init.forwardTsnSupported);
    EXPECT_TRUE(init.unrecognized.empty());

    std::vector<uint8_t> params;
    PutParam(params, PARAM_SUPPORTED_EXTENSIONS, {});
    PutParam(params, PARAM_IPV4_ADDRESS, {10, 1, 2, 1});
    InitChunk none;
    ASSERT_TRUE(DecodeInitWith(params, none, false).Ok());
    EXPECT_TRUE(none.hasSupportedExtensions);
    EXPECT_FALSE(ListsExtension(none, CHUNK_IDATA));
    EXPECT_EQ(none.ipv4Addresses, (std::vector<uint32_t>{0x0A010201u}));
    EXPECT_TRUE(none.unrecognized.empty());
}
