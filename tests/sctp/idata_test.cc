// RFC 8260 user-message interleaving: I-DATA negotiation, transfer, the
// Round-Robin stream scheduler against sender-side head-of-line blocking,
// integrity under loss, protocol violations and tshark dissection.
#include "sctp_test_util.h"

#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <random>

using namespace ns3;
using namespace sipim_test;

namespace
{

/// A message that starts with its index (big endian) and whose other bytes
/// depend on the index, so that any mix-up of fragments shows.
Ptr<Packet>
Message(uint32_t index, uint32_t size)
{
    std::vector<uint8_t> b(std::max<uint32_t>(size, 4));
    for (uint32_t i = 0; i < b.size(); ++i)
    {
        b[i] = uint8_t((i * 31 + index * 17) & 0xFF);
    }
    sctp::Put32At(b.data(), index);
    return Create<Packet>(b.data(), uint32_t(b.size()));
}

bool
Intact(const std::vector<uint8_t>& b, uint32_t index, uint32_t size)
{
    if (b.size() != size || NumberOf(b) != index)
    {
        return false;
    }
    for (uint32_t i = 4; i < b.size(); ++i)
    {
        if (b[i] != uint8_t((i * 31 + index * 17) & 0xFF))
        {
            return false;
        }
    }
    return true;
}

/// A client and a listening server on one link, each with Interleaving on or
/// off and a scheduler; the client connects at t = 0 and records what it reads.
struct Pair
{
    Link link;
    Sink sink;
    Ptr<SctpSocket> client;
    Sink clientSide; // only its reader: what the client's application got
    bool clientConnected = false;
    bool clientError = false;

    Pair(bool clientOn, bool serverOn, bool roundRobin = true, bool prsctp = false)
    {
        sink.Start(link.Server(), 5000);
        Configure(sink.listener, serverOn, roundRobin, prsctp);
        Simulator::Schedule(Seconds(0), [=] {
            client = DynamicCast<SctpSocket>(SctpHelper::CreateSocket(link.Client()));
            Configure(client, clientOn, roundRobin, prsctp);
            client->SetConnectCallback(MakeCallback(&Pair::Connected, this),
                                       MakeNullCallback<void, Ptr<Socket>>());
            client->SetCloseCallbacks(MakeNullCallback<void, Ptr<Socket>>(),
                                      MakeCallback(&Pair::Errored, this));
            client->SetRecvCallback(MakeCallback(&Sink::Read, &clientSide));
            client->Connect(link.ServerAddress(5000));
        });
    }
    static void Configure(Ptr<SctpSocket> s, bool on, bool roundRobin, bool prsctp)
    {
        s->SetAttribute("Interleaving", BooleanValue(on));
        s->SetAttribute("StreamScheduler", StringValue(roundRobin ? "RoundRobin" : "Fcfs"));
        s->SetAttribute("PrSctpEnabled", BooleanValue(prsctp));
    }
    void Connected(Ptr<Socket>)
    {
        clientConnected = true;
    }
    void Errored(Ptr<Socket>)
    {
        clientError = true;
    }
    /// Counts the chunks of a type in the packets one side received.
    static size_t Count(const SctpDropModel& m, uint8_t type)
    {
        size_t n = 0;
        for (const SeenPacket& p : m.seen)
        {
            for (const auto& c : p.view.chunks)
            {
                n += c.type == type;
            }
        }
        return n;
    }
    /// The INIT (INIT ACK) the other side received, decoded.
    static bool FindInit(const SctpDropModel& m, uint8_t type, sctp::InitChunk& out)
    {
        for (const SeenPacket& p : m.seen)
        {
            for (const auto& c : p.view.chunks)
            {
                if (c.type == type)
                {
                    return sctp::DecodeInit(c, out, true).Ok();
                }
            }
        }
        return false;
    }
};

const uint32_t kSizes[] = {60, 300, 1500, 4000, 20000};

/// Sends n messages of mixed sizes each way (every 4th unordered, streams
/// 0-3; n <= 20 fits the 128 KiB send buffer) and checks that each side got all of them intact.
void
ExchangeBothWays(Pair& s, uint32_t n)
{
    Simulator::Schedule(Seconds(0.5), [&s, n] {
        for (uint32_t i = 0; i < n; ++i)
        {
            uint32_t size = kSizes[i % 5];
            ASSERT_EQ(s.client->SendMsg(Message(i, size), uint16_t(i % 4), i % 4 == 3), int(size));
            ASSERT_EQ(s.sink.conn->SendMsg(Message(i, size), uint16_t(i % 4), i % 4 == 3), int(size));
        }
    });
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    ASSERT_TRUE(s.clientConnected);
    ASSERT_TRUE(s.sink.conn);
    for (const auto* got : {&s.sink.got, &s.clientSide.got})
    {
        ASSERT_EQ(got->size(), n);
        std::set<uint32_t> seen;
        for (const Received& r : *got)
        {
            uint32_t i = NumberOf(r.data);
            EXPECT_TRUE(Intact(r.data, i, kSizes[i % 5])) << "message " << i;
            EXPECT_EQ(r.sid, i % 4);
            EXPECT_EQ(r.unordered, i % 4 == 3);
            seen.insert(i);
        }
        EXPECT_EQ(seen.size(), n);
    }
}

} // namespace

class SctpIData : public ::testing::Test
{
  protected:
    void TearDown() override
    {
        Simulator::Destroy();
    }
};

// Proves negotiation with both ends on: INIT and INIT ACK carry a Supported
// Extensions parameter listing chunk type 64 (RFC 8260 §2.2), both sockets
// (the accepted one by inheriting the listener's attribute) use I-DATA, every
// user message in either direction goes in I-DATA chunks and not one DATA
// chunk is sent; messages of 60 B to 20 kB (fragmented) arrive intact.
TEST_F(SctpIData, BothEndsOnUseIDataBothWays)
{
    Pair s(true, true);
    ExchangeBothWays(s, 20);
    EXPECT_TRUE(s.client->IsIDataNegotiated());
    EXPECT_TRUE(s.sink.conn->IsIDataNegotiated());
    sctp::InitChunk init;
    sctp::InitChunk initAck;
    ASSERT_TRUE(Pair::FindInit(*s.link.toServer, sctp::CHUNK_INIT, init));
    ASSERT_TRUE(Pair::FindInit(*s.link.toClient, sctp::CHUNK_INIT_ACK, initAck));
    EXPECT_TRUE(sctp::ListsExtension(init, sctp::CHUNK_IDATA));
    EXPECT_TRUE(sctp::ListsExtension(initAck, sctp::CHUNK_IDATA));
    EXPECT_EQ(Pair::Count(*s.link.toServer, sctp::CHUNK_DATA), 0u);
    EXPECT_EQ(Pair::Count(*s.link.toClient, sctp::CHUNK_DATA), 0u);
    EXPECT_GT(Pair::Count(*s.link.toServer, sctp::CHUNK_IDATA), 20u);
    EXPECT_GT(Pair::Count(*s.link.toClient, sctp::CHUNK_IDATA), 20u);
    EXPECT_EQ(s.client->GetStats().idataChunksSent, s.client->GetStats().dataChunksSent);
    // A full-size I-DATA fragment fills the 1500-byte link exactly:
    // 20 IP + 12 common + 20 I-DATA header + 1448 of data.
    uint32_t largest = 0;
    for (const SeenPacket& p : s.link.toServer->seen)
    {
        largest = std::max(largest, p.ipBytes);
    }
    EXPECT_EQ(largest, 1500u);
}

// Proves that I-DATA is used only if both ends list it: with either end off
// there is plain DATA (no I-DATA chunk at all) in both directions, the
// transfer works both ways, and the end that is off sends no Supported
// Extensions parameter (its INIT / INIT ACK are what they were).
TEST_F(SctpIData, OneEndOffFallsBackToDataBothWays)
{
    for (bool clientOn : {true, false})
    {
        SCOPED_TRACE(clientOn ? "client on, server off" : "client off, server on");
        {
            Pair s(clientOn, !clientOn);
            ExchangeBothWays(s, 20);
            EXPECT_FALSE(s.client->IsIDataNegotiated());
            EXPECT_FALSE(s.sink.conn->IsIDataNegotiated());
            EXPECT_EQ(Pair::Count(*s.link.toServer, sctp::CHUNK_IDATA), 0u);
            EXPECT_EQ(Pair::Count(*s.link.toClient, sctp::CHUNK_IDATA), 0u);
            EXPECT_GT(Pair::Count(*s.link.toServer, sctp::CHUNK_DATA), 20u);
            EXPECT_GT(Pair::Count(*s.link.toClient, sctp::CHUNK_DATA), 20u);
            sctp::InitChunk init;
            sctp::InitChunk initAck;
            ASSERT_TRUE(Pair::FindInit(*s.link.toServer, sctp::CHUNK_INIT, init));
            ASSERT_TRUE(Pair::FindInit(*s.link.toClient, sctp::CHUNK_INIT_ACK, initAck));
            EXPECT_EQ(init.hasSupportedExtensions, clientOn);
            EXPECT_EQ(initAck.hasSupportedExtensions, !clientOn);
        }
        Simulator::Destroy();
    }
}

namespace
{

/// Hands the server a packet with one chunk of `type` (DATA or I-DATA) on
/// the client's association, as the client would send it.
void
InjectUserData(Pair& s, uint8_t type)
{
    const SeenPacket& last = s.link.toServer->seen.back();
    sctp::PacketBuilder b;
    b.Begin(last.view.srcPort, last.view.dstPort, last.view.vtag);
    const uint8_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint32_t tsn = 0x12345678u;
    if (type == sctp::CHUNK_DATA)
    {
        b.AddData(sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END, tsn, 0, 0, 0, payload, 8);
    }
    else
    {
        b.AddIData(sctp::DATA_FLAG_BEGIN | sctp::DATA_FLAG_END, tsn, 0, 0, 0, payload, 8);
    }
    InjectBytes(s.link, 0, 1, b.Finish());
}

/// The causes of the ABORT the server sent the client, if any.
bool
AbortCauses(const Pair& s, std::vector<uint16_t>& codes)
{
    for (const SeenPacket& p : s.link.toClient->seen)
    {
        for (const auto& c : p.view.chunks)
        {
            std::vector<sctp::ErrorCause> causes;
            if (c.type == sctp::CHUNK_ABORT && sctp::DecodeCauses(c, causes).Ok())
            {
                for (const auto& cause : causes)
                {
                    codes.push_back(cause.code);
                }
                return true;
            }
        }
    }
    return false;
}

} // namespace

// Proves RFC 8260 §2.2's rule both ways: a DATA chunk on an association that
// negotiated I-DATA, and an I-DATA chunk on one that did not (the receiver
// supports I-DATA, the peer did not offer it), make the receiver ABORT with
// a "Protocol Violation" cause (13); its application sees an error close and
// the counter says why. An endpoint with Interleaving off does not know type
// 64: an I-DATA chunk is an unknown chunk to it as before (type bits 01:
// stop, report in an ERROR), no ABORT.
TEST_F(SctpIData, WrongDataChunkKindAbortsWithProtocolViolation)
{
    struct Case
    {
        bool clientOn;
        bool serverOn;
        uint8_t inject;
        bool aborts;
    };
    for (const Case& c : {Case{true, true, sctp::CHUNK_DATA, true},
                          Case{false, true, sctp::CHUNK_IDATA, true},
                          Case{false, false, sctp::CHUNK_IDATA, false}})
    {
        SCOPED_TRACE(std::to_string(c.clientOn) + std::to_string(c.serverOn) + " chunk " +
                     std::to_string(c.inject));
        {
            Pair s(c.clientOn, c.serverOn);
            Simulator::Schedule(Seconds(0.5), [&] { InjectUserData(s, c.inject); });
            Simulator::Stop(Seconds(1));
            Simulator::Run();
            ASSERT_TRUE(s.sink.conn);
            std::vector<uint16_t> codes;
            EXPECT_EQ(AbortCauses(s, codes), c.aborts);
            EXPECT_EQ(s.sink.errorClose, c.aborts);
            EXPECT_EQ(s.clientError, c.aborts);
            EXPECT_EQ(s.sink.conn->GetStats().protocolViolationAborts, c.aborts ? 1u : 0u);
            if (c.aborts)
            {
                EXPECT_EQ(codes, std::vector<uint16_t>{sctp::CAUSE_PROTOCOL_VIOLATION});
            }
            else
            {
                EXPECT_EQ(s.sink.conn->GetState(), SCTP_ESTABLISHED);
                EXPECT_EQ(Pair::Count(*s.link.toClient, sctp::CHUNK_ERROR), 1u);
                EXPECT_TRUE(s.sink.got.empty());
            }
        }
        Simulator::Destroy();
    }
}

// Proves the interim rule while I-FORWARD-TSN is not implemented: an endpoint
// with PrSctpEnabled does not offer I-DATA even with Interleaving on (no
// Supported Extensions parameter), so PR-SCTP keeps working with DATA and
// FORWARD TSN and I-DATA is never used without a way to abandon messages.
TEST_F(SctpIData, NotOfferedWithPrSctp)
{
    Pair s(true, true, true, true);
    ExchangeBothWays(s, 20);
    EXPECT_TRUE(s.client->IsPrSctpNegotiated());
    EXPECT_FALSE(s.client->IsIDataNegotiated());
    EXPECT_FALSE(s.sink.conn->IsIDataNegotiated());
    sctp::InitChunk init;
    ASSERT_TRUE(Pair::FindInit(*s.link.toServer, sctp::CHUNK_INIT, init));
    EXPECT_FALSE(init.hasSupportedExtensions);
    EXPECT_EQ(Pair::Count(*s.link.toServer, sctp::CHUNK_IDATA), 0u);
}
