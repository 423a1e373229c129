// Per-message metadata between the application and an SctpSocket.
// On Send: stream id, unordered flag and payload protocol id (optional: without
// the tag a message goes on the socket's default stream, ordered).
// On Recv: the stream, SSN, PPID and unordered flag the message came with, and
// whether this Recv returned the end of the message. A message too large for
// the receive buffer comes in several Recvs (partial delivery, RFC 9260 §6.9):
// all but the last say not end of record, and Recvs of other messages may come
// between them, so the stream, U flag and SSN (for I-DATA the MID's low 16
// bits) tell which message a piece belongs to. If the peer abandons such a
// message part-way (PR-SCTP), a Recv returns an empty packet whose tag says
// IsPartialDeliveryAborted: the pieces already read are all there will be.
#pragma once

#include "ns3/nstime.h"
#include "ns3/packet.h"
#include "ns3/ptr.h"
#include "ns3/tag.h"

#include <cstdint>

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
    /// Receive side: the message this stream, U flag and SSN name was being
    /// delivered in parts and will not be completed (the packet is empty).
    bool IsPartialDeliveryAborted() const
    {
        return m_pdAborted;
    }
    void SetPartialDeliveryAborted(bool aborted)
    {
        m_pdAborted = aborted;
    }

  private:
    uint16_t m_sid = 0;
    uint16_t m_ssn = 0;
    uint32_t m_ppid = 0;
    bool m_unordered = false;
    bool m_eor = true;
    bool m_pdAborted = false;
};

/// PR-SCTP timed reliability (RFC 3758 §4.1) on Send: the message's
/// lifetime, counted from the Send call. Zero (the default) or negative is
/// SCTP_LIFETIME_RELIABLE. Used only on an association that negotiated
/// PR-SCTP (SctpSocket::IsPrSctpNegotiated); elsewhere the message is
/// reliable. SctpSocket::SendMsg with a lifetime adds it.
class SctpLifetimeTag : public Tag
{
  public:
    static TypeId GetTypeId();
    TypeId GetInstanceTypeId() const override;
    uint32_t GetSerializedSize() const override;
    void Serialize(TagBuffer i) const override;
    void Deserialize(TagBuffer i) override;
    void Print(std::ostream& os) const override;

    SctpLifetimeTag() = default;
    explicit SctpLifetimeTag(Time lifetime)
        : m_lifetime(lifetime)
    {
    }
    Time GetLifetime() const
    {
        return m_lifetime;
    }

  private:
    Time m_lifetime;
};

/// A run of user bytes whose byte tags must follow them onto another packet:
/// bytes [srcStart, srcStart + len) of src become [dstStart, dstStart + len).
struct SctpByteTagSpan
{
    Ptr<const Packet> src;
    uint32_t srcStart = 0;
    uint32_t len = 0;
    uint32_t dstStart = 0;
};

/// True if p carries at least one byte tag (lets callers skip the copy work).
bool SctpHasByteTags(const Packet& p);

/// Copies every byte tag of src that overlaps [srcStart, srcStart + len) onto dst,
/// clipped to that range and shifted to start at dstStart. Tags are rebuilt from
/// their TypeId, so any Tag registered with AddConstructor works; a tag type
/// without a constructor cannot be copied and is counted in the return value
/// (and logged), never silently lost.
uint32_t SctpCopyByteTags(const Packet& src,
                          uint32_t srcStart,
                          uint32_t len,
                          const Packet& dst,
                          uint32_t dstStart);

} // namespace ns3
