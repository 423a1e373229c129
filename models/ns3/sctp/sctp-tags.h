// Per-message metadata between the application and an SctpSocket.
// On Send: stream id, unordered flag and payload protocol id (optional: without
// the tag a message goes on the socket's default stream, ordered).
// On Recv: the stream, SSN, PPID and unordered flag the message came with, and
// whether this Recv returned the end of the message.
#pragma once

#include "ns3/tag.h"

namespace ns3
{

class SctpStreamTag : public Tag
{
  public:
    static TypeId GetTypeId();
    TypeId GetInstanceTypeId() const override;
    uint32_t GetSerializedSize() const override;
    void Serialize(TagBuffer i) const override;
    void Deserialize(TagBuffer i) override;
    void Print(std::ostream& os) const override;

    SctpStreamTag() = default;
    SctpStreamTag(uint16_t streamId, bool unordered, uint32_t ppid = 0);

    uint16_t GetStreamId() const
    {
        return m_sid;
    }
    void SetStreamId(uint16_t sid)
    {
        m_sid = sid;
    }
    bool IsUnordered() const
    {
        return m_unordered;
    }
    void SetUnordered(bool u)
    {
        m_unordered = u;
    }
    uint32_t GetPpid() const
    {
        return m_ppid;
    }
    void SetPpid(uint32_t ppid)
    {
        m_ppid = ppid;
    }
    /// Receive side: the stream sequence number of the message (ordered only).
    uint16_t GetSsn() const
    {
        return m_ssn;
    }
    void SetSsn(uint16_t ssn)
    {
        m_ssn = ssn;
    }
    /// Receive side: true if this Recv returned the last byte of the message.
    bool IsEndOfRecord() const
    {
        return m_eor;
    }
    void SetEndOfRecord(bool eor)
    {
        m_eor = eor;
    }

  private:
    uint16_t m_sid = 0;
    uint16_t m_ssn = 0;
    uint32_t m_ppid = 0;
    bool m_unordered = false;
    bool m_eor = true;
};

} // namespace ns3
