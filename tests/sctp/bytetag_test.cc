// Byte tags of the user's bytes ride inside the DATA chunks on the wire (first
// transmission, fragments, retransmissions) and come out on the received
// message, the way ns-3 TCP and UDP keep them (sim/run attributes link bytes
// to messages by such tags).
#include "sctp_test_util.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace ns3;
using namespace sipim_test;

namespace
{

/// A byte tag carrying one number; registered with a constructor, as the
/// SCTP model rebuilds tags from their TypeId.
class TestByteTag : public Tag
{
  public:
    static TypeId GetTypeId()
    {
        static TypeId tid = TypeId("sipim_test::TestByteTag")
                                .SetParent<Tag>()
                                .AddConstructor<TestByteTag>();
        return tid;
    }
    TypeId GetInstanceTypeId() const override
    {
        return GetTypeId();
    }
    uint32_t GetSerializedSize() const override
    {
        return 4;
    }
    void Serialize(TagBuffer i) const override
    {
        i.WriteU32(value);
    }
    void Deserialize(TagBuffer i) override
    {
        value = i.ReadU32();
    }
    void Print(std::ostream& os) const override
    {
        os << "v=" << value;
    }
    uint32_t value = 0;
};

using ByteSets = std::vector<std::set<uint32_t>>; // per byte: the tag values on it

/// The TestByteTag values on each byte of p[start, start + len).
ByteSets
TagsOn(const Packet& p, uint32_t start, uint32_t len)
{
    ByteSets out(len);
    ByteTagIterator it = p.GetByteTagIterator();
    while (it.HasNext())
    {
        ByteTagIterator::Item item = it.Next();
        if (item.GetTypeId() != TestByteTag::GetTypeId())
        {
            continue;
        }
        TestByteTag t;
        item.GetTag(t);
        for (uint32_t b = std::max(item.GetStart(), start);
             b < std::min(item.GetEnd(), start + len);
             ++b)
        {
            out[b - start].insert(t.value);
        }
    }
    return out;
}

/// True if some TestByteTag covers a byte of p outside the given ranges.
bool
TagOutside(const Packet& p, const std::vector<std::pair<uint32_t, uint32_t>>& ranges)
{
    ByteTagIterator it = p.GetByteTagIterator();
    while (it.HasNext())
    {
        ByteTagIterator::Item item = it.Next();
        if (item.GetTypeId() != TestByteTag::GetTypeId())
        {
            continue;
        }
        for (uint32_t b = item.GetStart(); b < item.GetEnd(); ++b)
        {
            bool inside = false;
            for (auto& r : ranges)
            {
                inside = inside || (b >= r.first && b < r.first + r.second);
            }
            if (!inside)
            {
                return true;
            }
        }
    }
    return false;
}

/// One DATA chunk as the client's MacTx trace saw it, with the tags on its payload.
struct WireChunk
{
    uint32_t tsn = 0;
    uint8_t flags = 0;
    ByteSets tags;
};

/// Records the client's MacTx packets (PPP + IPv4 + SCTP) and the tags on them.
struct MacTxRecorder
{
    std::vector<WireChunk> chunks;
    uint32_t strayTags = 0; // packets with a tag on bytes that are not DATA payload

    void Tx(Ptr<const Packet> p)
    {
        std::vector<uint8_t> raw(p->GetSize());
        p->CopyData(raw.data(), uint32_t(raw.size()));
        const size_t ipOff = 2; // PPP protocol field
        if (raw.size() < ipOff + 20 || raw[ipOff + 9] != 132)
        {
            return;
        }
        size_t sctpOff = ipOff + (raw[ipOff] & 0x0F) * 4;
        sctp::PacketView view;
        if (!sctp::ParsePacket(raw.data() + sctpOff, raw.size() - sctpOff, view, true).Ok())
        {
            return;
        }
        std::vector<std::pair<uint32_t, uint32_t>> payloads;
        for (const auto& c : view.chunks)
        {
            sctp::DataChunk d;
            if (c.type != sctp::CHUNK_DATA || !sctp::DecodeData(c, d).Ok())
            {
                continue;
            }
            uint32_t at = uint32_t(sctpOff + c.offset + sctp::kDataChunkHeaderSize);
            payloads.emplace_back(at, uint32_t(d.payloadLen));
            chunks.push_back({d.tsn, d.flags, TagsOn(*p, at, uint32_t(d.payloadLen))});
        }
        if (TagOutside(*p, payloads))
        {
            ++strayTags;
        }
    }
};

/// Reads every message with the tags on its bytes.
struct TagReader
{
    std::vector<ByteSets> got;
    void Read(Ptr<Socket> s)
    {
        while (Ptr<Packet> p = s->Recv())
        {
            got.push_back(TagsOn(*p, 0, p->GetSize()));
        }
    }
};

/// Expected per-byte tag values of a message: whole-message value plus extra ranges.
ByteSets
Expected(uint32_t size, uint32_t whole, uint32_t extraValue, uint32_t extraFrom, uint32_t extraTo)
{
    ByteSets e(size);
    for (uint32_t b = 0; b < size; ++b)
    {
        e[b].insert(whole);
        if (b >= extraFrom && b < extraTo)
        {
            e[b].insert(extraValue);
        }
    }
    return e;
}

class SctpByteTags : public ::testing::Test
{
  protected:
    void TearDown() override
    {
        Simulator::Destroy();
        Config::Reset();
    }
};

} // namespace

// A tagged small message (whose first transmission is lost) and a tagged
// 3000-byte message (three fragments, one tag spanning a fragment boundary)
// carry exactly their tags over the DATA payload bytes on the wire - first
// sends, fragments and the retransmission - no tag lands on other bytes, and
// the received messages carry the same tags on the same bytes.
TEST_F(SctpByteTags, TagsFollowUserBytesOnWireAndToReceiver)
{
    Session s;
    MacTxRecorder wire;
    s.link.devices.Get(0)->TraceConnectWithoutContext("MacTx",
                                                      MakeCallback(&MacTxRecorder::Tx, &wire));
    bool droppedOnce = false;
    s.link.toServer->SetPredicate([&droppedOnce](const SeenPacket& p) {
        if (!droppedOnce && p.HasChunk(sctp::CHUNK_DATA))
        {
            droppedOnce = true; // the first DATA packet (message A) is lost once
            return true;
        }
        return false;
    });
    TagReader reader;
    const uint32_t sizeA = 300;
    const uint32_t sizeB = 3000;
    Simulator::Schedule(Seconds(1), [&] {
        ASSERT_TRUE(s.client.connected);
        ASSERT_TRUE(s.sink.conn);
        s.sink.conn->SetRecvCallback(MakeCallback(&TagReader::Read, &reader));
        Ptr<Packet> a = Pattern(sizeA, 1);
        TestByteTag ta;
        ta.value = 7;
        a->AddByteTag(ta); // the whole message
        Ptr<Packet> b = Pattern(sizeB, 2);
        TestByteTag tb;
        tb.value = 8;
        b->AddByteTag(tb);
        TestByteTag tc;
        tc.value = 9;
        b->AddByteTag(tc, 1400, 1500); // crosses the 1452-byte fragment boundary
        EXPECT_EQ(s.client.sock->Send(a), int(sizeA));
        EXPECT_EQ(s.client.sock->Send(b), int(sizeB));
    });
    Simulator::Stop(Seconds(10));
    Simulator::Run();

    ASSERT_TRUE(droppedOnce);
    EXPECT_EQ(wire.strayTags, 0u);
    // Message A: the first DATA TSN; B: the next three (B, middle, E).
    ASSERT_FALSE(wire.chunks.empty());
    uint32_t tsnA = wire.chunks.front().tsn;
    ByteSets expA = Expected(sizeA, 7, 0, 0, 0);
    ByteSets expB = Expected(sizeB, 8, 9, 1400, 1500);
    std::map<uint32_t, uint32_t> sends; // TSN -> times seen on the wire
    std::map<uint32_t, uint32_t> fragOffset;
    uint32_t offB = 0;
    for (uint32_t t = tsnA + 1; t <= tsnA + 3; ++t)
    {
        fragOffset[t] = offB;
        for (const auto& c : wire.chunks)
        {
            if (c.tsn == t)
            {
                offB += uint32_t(c.tags.size());
                break;
            }
        }
    }
    ASSERT_EQ(offB, sizeB) << "message B was not sent as three fragments";
    for (const auto& c : wire.chunks)
    {
        ++sends[c.tsn];
        if (c.tsn == tsnA)
        {
            EXPECT_EQ(c.tags, expA) << "message A, transmission " << sends[c.tsn];
        }
        else
        {
            ASSERT_TRUE(fragOffset.count(c.tsn)) << "unexpected TSN " << c.tsn;
            uint32_t off = fragOffset[c.tsn];
            ByteSets want(expB.begin() + off, expB.begin() + off + long(c.tags.size()));
            EXPECT_EQ(c.tags, want) << "fragment at offset " << off;
        }
    }
    EXPECT_GE(sends[tsnA], 2u) << "message A was not retransmitted";
    ASSERT_EQ(reader.got.size(), 2u);
    EXPECT_EQ(reader.got[0], expA);
    EXPECT_EQ(reader.got[1], expB);
}

// A message without byte tags arrives without any (nothing is invented).
TEST_F(SctpByteTags, UntaggedMessageStaysUntagged)
{
    Session s;
    TagReader reader;
    Simulator::Schedule(Seconds(1), [&] {
        ASSERT_TRUE(s.sink.conn);
        s.sink.conn->SetRecvCallback(MakeCallback(&TagReader::Read, &reader));
        s.client.sock->Send(Pattern(2000, 3));
    });
    Simulator::Stop(Seconds(5));
    Simulator::Run();
    ASSERT_EQ(reader.got.size(), 1u);
    EXPECT_EQ(reader.got[0], ByteSets(2000));
}
