// Bad input: mutated packets with valid checksums, thrown at both ends of a
// live association, never crash the model; the wire parser survives random
// bytes.
#include "sctp_test_util.h"

#include "sctp/crc32c.h"

#include <gtest/gtest.h>

using namespace ns3;
using namespace sipim_test;

namespace
{

uint32_t
NextRand(uint32_t& x)
{
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

} // namespace

// Random bytes and truncations: the parser and chunk decoders return errors
// or views inside the buffer, never read outside it.
TEST(SctpGarbage, ParserSurvivesRandomBytes)
{
    uint32_t x = 12345;
    size_t ok = 0;
    for (int i = 0; i < 20000; ++i)
    {
        std::vector<uint8_t> b(NextRand(x) % 200);
        for (auto& v : b)
        {
            v = uint8_t(NextRand(x));
        }
        if (b.size() > 15 && (i & 1))
        {
            b[14] = 0; // plausible chunk lengths half of the time
            b[15] = uint8_t(b.size() - 12);
        }
        sctp::PacketView v;
        if (!sctp::ParsePacket(b.data(), b.size(), v, false).Ok())
        {
            continue;
        }
        ++ok;
        for (const auto& c : v.chunks)
        {
            ASSERT_GE(c.value, b.data());
            ASSERT_LE(c.value + c.valueLen, b.data() + b.size());
            sctp::DataChunk d;
            sctp::InitChunk in;
            sctp::SackChunk s;
            std::vector<sctp::ErrorCause> causes;
            const uint8_t* info = nullptr;
            size_t len = 0;
            if (sctp::DecodeData(c, d).Ok())
            {
                ASSERT_LE(d.payload + d.payloadLen, b.data() + b.size());
            }
            if (sctp::DecodeInit(c, in).Ok() && in.cookie)
            {
                ASSERT_LE(in.cookie + in.cookieLen, b.data() + b.size());
            }
            sctp::DecodeSack(c, s);
            if (sctp::DecodeCauses(c, causes).Ok())
            {
                for (const auto& cause : causes)
                {
                    ASSERT_LE(cause.info + cause.infoLen, b.data() + b.size());
                }
            }
            if (sctp::DecodeHeartbeat(c, info, len).Ok())
            {
                ASSERT_LE(info + len, b.data() + b.size());
            }
        }
    }
    EXPECT_GT(ok, 1000u); // the generator reaches the chunk decoders
}

// Mutated copies of real packets (valid CRC, right ports and tags) injected
// into both ends during a transfer: no crash, and each end is either still
// established or closed through the normal paths.
TEST(SctpGarbage, LiveAssociationSurvivesMutatedPackets)
{
    Session s;
    Simulator::Schedule(Seconds(0.2), [&] {
        for (uint32_t i = 0; i < 50; ++i)
        {
            s.client.sock->SendMsg(Pattern(200 + 97 * i, i), uint16_t(i % 3), i % 4 == 0);
        }
    });
    Simulator::Stop(Seconds(1));
    Simulator::Run();
    ASSERT_TRUE(s.sink.conn);
    uint32_t x = 777;
    Ipv4Header toServer;
    toServer.SetSource(s.link.ifaces.GetAddress(0));
    toServer.SetDestination(s.link.ifaces.GetAddress(1));
    Ipv4Header toClient;
    toClient.SetSource(s.link.ifaces.GetAddress(1));
    toClient.SetDestination(s.link.ifaces.GetAddress(0));
    Ptr<SctpL4Protocol> serverL4 = s.link.Server()->GetObject<SctpL4Protocol>();
    Ptr<SctpL4Protocol> clientL4 = s.link.Client()->GetObject<SctpL4Protocol>();
    Ptr<Ipv4Interface> serverIf = s.link.Server()->GetObject<Ipv4L3Protocol>()->GetInterface(1);
    Ptr<Ipv4Interface> clientIf = s.link.Client()->GetObject<Ipv4L3Protocol>()->GetInterface(1);
    std::vector<std::vector<uint8_t>> up;
    std::vector<std::vector<uint8_t>> down;
    for (const auto& p : s.link.toServer->seen)
    {
        up.push_back(p.bytes);
    }
    for (const auto& p : s.link.toClient->seen)
    {
        down.push_back(p.bytes);
    }
    uint64_t injected = 0;
    for (int round = 0; round < 3000; ++round)
    {
        bool toS = NextRand(x) & 1;
        const auto& pool = toS ? up : down;
        std::vector<uint8_t> b = pool[NextRand(x) % pool.size()];
        // Mutate bytes after the common header: chunk types, lengths, TSNs,
        // gap blocks, stream ids...
        int n = 1 + int(NextRand(x) % 4);
        for (int k = 0; k < n && b.size() > 12; ++k)
        {
            b[12 + NextRand(x) % (b.size() - 12)] = uint8_t(NextRand(x));
        }
        if (NextRand(x) % 8 == 0 && b.size() > 16)
        {
            b.resize(12 + NextRand(x) % (b.size() - 12)); // truncate
        }
        Resign(b);
        Ptr<Packet> p = Create<Packet>(b.data(), uint32_t(b.size()));
        Simulator::Schedule(MilliSeconds(round), [=] {
            if (toS)
            {
                serverL4->Receive(p, toServer, serverIf);
            }
            else
            {
                clientL4->Receive(p, toClient, clientIf);
            }
        });
        ++injected;
    }
    Simulator::Stop(Seconds(10));
    Simulator::Run();
    EXPECT_EQ(injected, 3000u);
    for (SctpState st : {s.client.sock->GetState(), s.sink.conn->GetState()})
    {
        EXPECT_TRUE(st == SCTP_ESTABLISHED || st == SCTP_CLOSED) << SctpStateName(st);
    }
    // A closed end was told through a callback, not left hanging.
    if (s.client.sock->GetState() == SCTP_CLOSED)
    {
        EXPECT_TRUE(s.client.errorClose || s.client.normalClose);
    }
    Simulator::Destroy();
}
