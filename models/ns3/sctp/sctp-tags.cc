#include "sctp-tags.h"

namespace ns3
{

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
    i.WriteU8(uint8_t((m_unordered ? 1 : 0) | (m_eor ? 2 : 0)));
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
}

void
SctpStreamTag::Print(std::ostream& os) const
{
    os << "sid=" << m_sid << " ssn=" << m_ssn << " ppid=" << m_ppid
       << (m_unordered ? " unordered" : " ordered") << (m_eor ? " eor" : "");
}

} // namespace ns3
