// External check: the bytes the model puts on the wire are dissected by
// tshark (Wireshark) as SCTP with a good CRC32c and no malformed or expert-error
// marks.
#include "sctp_test_util.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <sstream>

using namespace ns3;
using namespace sipim_test;

namespace
{

// A session exercising every chunk type the model sends (handshake with a
// retransmitted INIT, fragmented and bundled DATA, SACK with gaps and dups,
// HEARTBEAT, SHUTDOWN), over IPv4 or IPv6, written to a pcap that tshark
// must dissect cleanly: every frame SCTP, CRC32c good.
void
CheckPcapDissects(bool ipv6)
{
    Config::SetDefault("ns3::SctpSocket::HeartbeatInterval", TimeValue(Seconds(1)));
    std::string prefix = std::string(SIPIM_BINARY_DIR) + (ipv6 ? "/sctp-tshark6" : "/sctp-tshark");
    const size_t ipHeader = ipv6 ? 40 : 20;
    {
        Link link("10Mbps", "10ms", 1000, ipv6);
        PointToPointHelper p2p;
        p2p.EnablePcap(prefix + ".pcap", link.devices.Get(0), false, true);
        Sink sink;
        Client client;
        sink.Start(link.Server(), 5000, ipv6);
        auto initDropped = std::make_shared<int>(0);
        auto dataDropped = std::make_shared<int>(0);
        link.toServer->SetPredicate([=](const SeenPacket& s) {
            if (s.HasChunk(sctp::CHUNK_INIT) && (*initDropped)++ == 0)
            {
                return true;
            }
            return !s.Tsns().empty() && (*dataDropped)++ == 3;
        });
        Address server = ipv6 ? Address(link.ServerAddress6(5000)) : Address(link.ServerAddress(5000));
        Simulator::Schedule(Seconds(0.1), [&] { client.Start(link.Client(), server); });
        Simulator::Schedule(Seconds(1.5), [&] {
            for (uint32_t i = 0; i < 30; ++i)
            {
                client.sock->SendMsg(Pattern(i % 3 == 0 ? 3000 : 200, i), uint16_t(i % 4), i % 5 == 0);
            }
        });
        Simulator::Schedule(Seconds(6), [&] { client.sock->Close(); });
        Simulator::Stop(Seconds(8));
        Simulator::Run();
        EXPECT_TRUE(client.normalClose);
        EXPECT_EQ(sink.got.size(), 30u);
        Simulator::Destroy();
    }
    Config::Reset();
    std::string pcap = prefix + ".pcap";
    // Preference found with `tshark -G defaultprefs | grep -i sctp` -> sctp.checksum;
    // its CRC32c value is "crc-32c" (tshark 4.0 silently ignores unknown values,
    // hence the corrupted-copy check at the end).
    std::string cmd = "tshark -r '" + pcap +
                      "' -o sctp.checksum:crc-32c -T fields -E separator='|' -e frame.number "
                      "-e frame.protocols -e sctp.checksum.status -e _ws.malformed "
                      "-e _ws.expert.severity 2>&1";
    std::string out = RunCommand(cmd);
    std::istringstream lines(out);
    std::string line;
    std::string field;
    int frames = 0;
    int good = 0;
    int ndp = 0;
    std::set<std::string> chunkKinds;
    while (std::getline(lines, line))
    {
        if (line.empty() || line.find("Running as user") != std::string::npos)
        {
            continue;
        }
        std::vector<std::string> f;
        std::stringstream ss(line);
        while (std::getline(ss, field, '|'))
        {
            f.push_back(field);
        }
        f.resize(5);
        EXPECT_TRUE(f[3].empty()) << "malformed: " << line;
        // Expert severity 8388608 = error; 6291456 = warning.
        EXPECT_EQ(f[4].find("8388608"), std::string::npos) << "expert error: " << line;
        // ns-3's IPv6 stack sends its own neighbour and router solicitations
        // (DAD, RS) on the link: the only frames that may be something else.
        if (ipv6 && f[1] == "ppp:ipv6:icmpv6")
        {
            ++ndp;
            continue;
        }
        ++frames;
        EXPECT_NE(f[1].find(":sctp"), std::string::npos) << "not SCTP: " << line;
        EXPECT_NE(f[1].find(ipv6 ? ":ipv6:" : ":ip:"), std::string::npos) << "wrong IP version: " << line;
        EXPECT_EQ(f[2], "1") << "checksum status not Good: " << line;
        good += f[2] == "1";
    }
    EXPECT_GT(frames, 40) << ndp << " ICMPv6 frames besides:\n" << out;
    EXPECT_EQ(good, frames);
    // The chunk types tshark saw.
    std::string types = RunCommand("tshark -r '" + pcap +
                                   "' -o sctp.checksum:crc-32c -T fields -e sctp.chunk_type 2>/dev/null");
    for (const char* t : {"1", "2", "10", "11", "0", "3", "4", "5", "7", "8", "14"})
    {
        bool found = false;
        std::istringstream tl(types);
        while (std::getline(tl, line) && !found)
        {
            std::stringstream ss(line);
            while (std::getline(ss, field, ','))
            {
                found |= field == t;
            }
        }
        EXPECT_TRUE(found) << "chunk type " << t << " not seen by tshark";
    }
    // Sanity of the external check itself: a corrupted copy must be flagged bad.
    std::string bad = prefix + "-corrupt.pcap";
    {
        FILE* in = fopen(pcap.c_str(), "rb");
        ASSERT_TRUE(in);
        std::vector<uint8_t> bytes;
        uint8_t buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        {
            bytes.insert(bytes.end(), buf, buf + n);
        }
        fclose(in);
        // pcap header 24, then records: header 16 (captured length at 8),
        // PPP 2, IP header, SCTP. Corrupt the first SCTP packet's first chunk.
        size_t at = 24;
        while (at + 16 + 2 + ipHeader < bytes.size() && bytes[at + 16 + 2 + (ipv6 ? 6 : 9)] != 132)
        {
            at += 16 + (bytes[at + 8] | bytes[at + 9] << 8 | bytes[at + 10] << 16 | size_t(bytes[at + 11]) << 24);
        }
        ASSERT_GT(bytes.size(), at + 16 + 2 + ipHeader + 20);
        bytes[at + 16 + 2 + ipHeader + 16] ^= 0x5A;
        FILE* o = fopen(bad.c_str(), "wb");
        ASSERT_TRUE(o);
        fwrite(bytes.data(), 1, bytes.size(), o);
        fclose(o);
    }
    std::string first = RunCommand("tshark -r '" + bad +
                                   "' -o sctp.checksum:crc-32c -Y sctp -T fields -e sctp.checksum.status 2>/dev/null");
    EXPECT_EQ(first.substr(0, 1), "0") << "tshark did not flag a corrupted checksum: " << first;
}

} // namespace

// Proves the model's IPv4 packets are valid SCTP to an independent dissector.
TEST(SctpTshark, PcapDissectsAsSctpWithGoodChecksums)
{
    if (!HaveTshark())
    {
        GTEST_SKIP() << "tshark not installed (apt-get install tshark): external pcap check skipped";
    }
    CheckPcapDissects(false);
}

// Proves the same for IPv6: every frame is SCTP over IPv6 with a good CRC32c
// and no malformed or expert-error marks.
TEST(SctpTshark, Ipv6PcapDissectsAsSctpWithGoodChecksums)
{
    if (!HaveTshark())
    {
        GTEST_SKIP() << "tshark not installed (apt-get install tshark): external pcap check skipped";
    }
    CheckPcapDissects(true);
}
