#include "sctp-tags.h"

#include "ns3/log.h"

#include <algorithm>
#include <memory>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SctpTags");

NS_OBJECT_ENSURE_REGISTERED(SctpStreamTag);

TypeId
SctpStreamTag::GetTypeId()
{
    static TypeId tid = TypeId("ns3::SctpStreamTag")
                            .SetParent<Tag>()
                            .SetGroupName("Sctp")
                            .AddConstructor<SctpStreamTag>();
    return tid;
}

TypeId
SctpStreamTag::GetInstanceTypeId() const
{
    return GetTypeId();
}

SctpStreamTag::SctpStreamTag(uint16_t streamId, bool unordered, uint32_t ppid)
    : m_sid(streamId),
      m_ppid(ppid),
      m_unordered(unordered)
{
}

uint32_t
SctpStreamTag::GetSerializedSize() const
{
    return 2 + 2 + 4 + 1;
}

void
SctpStreamTag::Serialize(TagBuffer i) const
{
    i.WriteU16(m_sid);
    i.WriteU16(m_ssn);
    i.WriteU32(m_ppid);
    i.WriteU8(uint8_t((m_unordered ? 1 : 0) | (m_eor ? 2 : 0) | (m_pdAborted ? 4 : 0)));
}

void
SctpStreamTag::Deserialize(TagBuffer i)
{
    m_sid = i.ReadU16();
    m_ssn = i.ReadU16();
    m_ppid = i.ReadU32();
    uint8_t f = i.ReadU8();
    m_unordered = f & 1;
    m_eor = f & 2;
    m_pdAborted = f & 4;
}

void
SctpStreamTag::Print(std::ostream& os) const
{
    os << "sid=" << m_sid << " ssn=" << m_ssn << " ppid=" << m_ppid
       << (m_unordered ? " unordered" : " ordered") << (m_eor ? " eor" : "") << (m_pdAborted ? " partial-delivery-aborted" : "");
}

NS_OBJECT_ENSURE_REGISTERED(SctpLifetimeTag);

TypeId
SctpLifetimeTag::GetTypeId()
{
    static TypeId tid = TypeId("ns3::SctpLifetimeTag")
                            .SetParent<Tag>()
                            .SetGroupName("Sctp")
                            .AddConstructor<SctpLifetimeTag>();
    return tid;
}

TypeId
SctpLifetimeTag::GetInstanceTypeId() const
{
    return GetTypeId();
}

uint32_t
SctpLifetimeTag::GetSerializedSize() const
{
    return 8;
}

void
SctpLifetimeTag::Serialize(TagBuffer i) const
{
    i.WriteU64(uint64_t(m_lifetime.GetTimeStep()));
}

void
SctpLifetimeTag::Deserialize(TagBuffer i)
{
    m_lifetime = TimeStep(i.ReadU64());
}

void
SctpLifetimeTag::Print(std::ostream& os) const
{
    os << "lifetime=" << m_lifetime.As(Time::MS);
}

bool
SctpHasByteTags(const Packet& p)
{
    return p.GetByteTagIterator().HasNext();
}

uint32_t
SctpCopyByteTags(const Packet& src,
                 uint32_t srcStart,
                 uint32_t len,
                 const Packet& dst,
                 uint32_t dstStart)
{
    uint32_t uncopied = 0;
    uint32_t srcEnd = srcStart + len;
    ByteTagIterator it = src.GetByteTagIterator();
    while (it.HasNext())
    {
        ByteTagIterator::Item item = it.Next();
        uint32_t start = std::max(item.GetStart(), srcStart);
        uint32_t end = std::min(item.GetEnd(), srcEnd);
        if (start >= end)
        {
            continue; // the tag covers other bytes of the message
        }
        TypeId tid = item.GetTypeId();
        if (!tid.HasConstructor())
        {
            NS_LOG_WARN("byte tag " << tid.GetName()
                                    << " has no constructor (AddConstructor): not copied");
            ++uncopied;
            continue;
        }
        std::unique_ptr<ObjectBase> obj(tid.GetConstructor()());
        Tag* tag = dynamic_cast<Tag*>(obj.get());
        if (!tag)
        {
            NS_LOG_WARN("byte tag " << tid.GetName() << " does not construct a Tag: not copied");
            ++uncopied;
            continue;
        }
        item.GetTag(*tag);
        dst.AddByteTag(*tag, dstStart + (start - srcStart), dstStart + (end - srcStart));
    }
    return uncopied;
}

} // namespace ns3
