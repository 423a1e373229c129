// One-to-one style SCTP socket (RFC 9260, RFC 6458 one-to-one semantics) with
// the ns-3 TCP socket API: Bind / Listen / Connect / Accept (via the accept
// callback) / Send / Recv / Close and the same callbacks. One Send is one user
// message; one Recv returns one message (or its first maxSize bytes).
#pragma once

#include "sctp-path.h"
#include "sctp-tags.h"
#include "sctp-wire.h"

#include "ns3/address.h"
#include "ns3/callback.h"
#include "ns3/nstime.h"
#include "ns3/socket.h"
#include "ns3/traced-callback.h"
#include "ns3/traced-value.h"

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <vector>

namespace ns3
{

class Ipv4EndPoint;
class Ipv6EndPoint;
class NetDevice;
class Node;
class Packet;
class SctpL4Protocol;
class UniformRandomVariable;

namespace sctp
{
struct CookieState;
}

/// Association states of RFC 9260 §4, plus LISTEN for a socket that accepts.
enum SctpState
{
    SCTP_CLOSED,
    SCTP_LISTEN,
    SCTP_COOKIE_WAIT,
    SCTP_COOKIE_ECHOED,
    SCTP_ESTABLISHED,
    SCTP_SHUTDOWN_PENDING,
    SCTP_SHUTDOWN_SENT,
    SCTP_SHUTDOWN_RECEIVED,
    SCTP_SHUTDOWN_ACK_SENT,
};

const char* SctpStateName(SctpState s);

class SctpSocket : public Socket
{
  public:
    static TypeId GetTypeId();

    SctpSocket();
    ~SctpSocket() override;

    void SetNode(Ptr<Node> node);
    void SetSctp(Ptr<SctpL4Protocol> sctp);

    // Socket API (the same as ns-3 TCP)
    enum SocketErrno GetErrno() const override;
    enum SocketType GetSocketType() const override;
    Ptr<Node> GetNode() const override;
    int Bind() override;
    int Bind6() override;
    int Bind(const Address& address) override;
    int Close() override;
    int ShutdownSend() override;
    int ShutdownRecv() override;
    int Connect(const Address& address) override;
    int Listen() override;
    uint32_t GetTxAvailable() const override;
    /// Queues p as one message. An SctpStreamTag on p picks stream / order / PPID.
    int Send(Ptr<Packet> p, uint32_t flags) override;
    int SendTo(Ptr<Packet> p, uint32_t flags, const Address& toAddress) override;
    uint32_t GetRxAvailable() const override;
    /// Returns the next message (an SctpStreamTag on it says which stream).
    Ptr<Packet> Recv(uint32_t maxSize, uint32_t flags) override;
    Ptr<Packet> RecvFrom(uint32_t maxSize, uint32_t flags, Address& fromAddress) override;
    int GetSockName(Address& address) const override;
    int GetPeerName(Address& address) const override;
    bool SetAllowBroadcast(bool allowBroadcast) override;
    bool GetAllowBroadcast() const override;
    using Socket::Recv;
    using Socket::Send;

    // SCTP extras
    /// Multihoming (like sctp_bindx): binds the socket to several local IPv4
    /// addresses of this node on one port (0: an ephemeral one). With more
    /// than one address the endpoint lists them all as IPv4 Address
    /// parameters in its INIT / INIT ACK, and the peer may send to any of
    /// them. One address is the same as Bind(InetSocketAddress(a, port)).
    /// Fails with ERROR_INVAL (already bound, empty list, any/broadcast/
    /// multicast or repeated address), ERROR_ADDRNOTAVAIL (not an address of
    /// this node) or ERROR_ADDRINUSE (the port is taken on one of them).
    int BindAddresses(const std::vector<Ipv4Address>& addresses, uint16_t port);
    /// The same over IPv6 (IPv6 Address parameters): an IPv6 socket. Any,
    /// multicast, loopback and link-local addresses are refused (ERROR_INVAL).
    int BindAddresses(const std::vector<Ipv6Address>& addresses, uint16_t port);
    /// Send p on stream sid, ordered or not, with a payload protocol id.
    int SendMsg(Ptr<Packet> p, uint16_t sid, bool unordered, uint32_t ppid = 0);
    /// The same with a lifetime (PR-SCTP timed reliability, RFC 3758 §4.1):
    /// if the message is not fully acknowledged `lifetime` after this call,
    /// the sender abandons it (never sent, or no more retransmissions; a
    /// FORWARD TSN moves the peer past it). Zero or negative: reliable
    /// (SCTP_LIFETIME_RELIABLE). Only on an association that negotiated
    /// PR-SCTP; otherwise the message is sent reliably, and counted in
    /// GetStats().lifetimesIgnored. Same as an SctpLifetimeTag on p.
    int SendMsg(Ptr<Packet> p, uint16_t sid, bool unordered, uint32_t ppid, Time lifetime);
    /// True once both ends sent Forward-TSN-Supported (RFC 3758 §3.3): the
    /// association uses PR-SCTP (attribute PrSctpEnabled on both sides).
    bool IsPrSctpNegotiated() const
    {
        return m_prsctp;
    }
    /// True once both ends listed I-DATA (chunk type 64) in Supported
    /// Extensions (RFC 8260 §2.2): user messages go in I-DATA chunks.
    bool IsIDataNegotiated() const
    {
        return m_idata;
    }
    /// Stream schedulers of RFC 8260 §3 (attribute StreamScheduler).
    enum StreamScheduler
    {
        SCHED_FCFS,        // first come, first served: the order of Send
        SCHED_ROUND_ROBIN, // one chunk per stream in turn (with I-DATA)
    };
    /// Tears the association down at once with an ABORT chunk (RFC 9260 §9.1).
    int Abort();
    SctpState GetState() const
    {
        return m_state;
    }
    /// Negotiated outbound / inbound stream counts (0 before establishment).
    uint16_t GetOutboundStreams() const
    {
        return m_outStreams;
    }
    uint16_t GetInboundStreams() const
    {
        return m_inStreams;
    }
    const SctpPath& GetPrimaryPath() const
    {
        return m_path;
    }
    /// The paths to the peer's addresses: 0 is the primary, the others come
    /// from the peer's IPv4 or IPv6 Address parameters (multihoming), in their order.
    size_t GetPathCount() const
    {
        return 1 + m_altPaths.size();
    }
    const SctpPath& GetPath(size_t i) const
    {
        return i == 0 ? m_path : m_altPaths.at(i - 1);
    }
    /// The path new data goes to now: the primary while it is active, else
    /// the first active, confirmed alternate (§6.4).
    size_t GetDataPathIndex() const
    {
        return m_altPaths.empty() ? 0 : DataPathIndex();
    }
    /// Makes the path to the peer address a the primary (the model's
    /// SCTP_PRIMARY_ADDR): new data goes there while it is active, and
    /// GetPeerName answers with it. Fails with ERROR_INVAL if a is not a
    /// confirmed address of the peer (§5.4: no data to unconfirmed ones).
    int SetPrimaryPath(const Ipv4Address& a);
    int SetPrimaryPath(const Ipv6Address& a);
    /// True if a packet to this address belongs here: one of the addresses
    /// given to BindAddresses, or the association's local address.
    bool IsLocalAddress(const Ipv4Address& a) const;
    bool IsLocalAddress(const Ipv6Address& a) const;
    uint32_t GetPeerRwnd() const
    {
        return m_peerRwnd;
    }
    /// Our receive window as it would be advertised now.
    uint32_t GetLocalRwnd() const;
    bool InFastRecovery() const
    {
        return m_inFastRecovery;
    }

    /// Counters (also visible through trace sources).
    struct Stats
    {
        uint64_t packetsSent = 0;
        uint64_t packetsReceived = 0;
        uint64_t dataChunksSent = 0;
        uint64_t dataChunksReceived = 0;
        uint64_t retransmissions = 0;
        uint64_t fastRetransmissions = 0;
        uint64_t t3Expirations = 0;
        uint64_t sacksSent = 0;
        uint64_t sacksReceived = 0;
        uint64_t dupTsnsReceived = 0;
        uint64_t gapBlocksSent = 0;
        uint64_t dataDroppedNoBuffer = 0;
        uint64_t heartbeatsSent = 0;
        uint64_t badVtagDrops = 0;
        uint64_t badCookieDrops = 0;
        uint64_t zeroWindowProbes = 0;
        uint64_t swsHolds = 0; // times new data waited for a bigger peer window (SWS)
        uint64_t peerAddressesIgnored = 0; // INIT / INIT ACK addresses not made paths
        // INIT / INIT ACK parameters of a known type with a wrong length
        // (IPv4 / IPv6 Address, Supported Address Types): skipped, logged.
        uint64_t initParamsMalformed = 0;
        // Unrecognised INIT / INIT ACK parameters reported to the peer
        // (§3.2.1 type bits x1): in the INIT ACK, or in an ERROR bundled
        // with the COOKIE ECHO.
        uint64_t unrecognizedParamsReported = 0;
        // INITs / INIT ACKs with a Host Name Address answered with an ABORT
        // "Unresolvable Address" (§5.1.2).
        uint64_t hostNameAborts = 0;
        // PR-SCTP (RFC 3758). Messages abandoned when their lifetime expired
        // (all of them, and of those the ones never sent at all);
        uint64_t messagesAbandoned = 0;
        uint64_t messagesAbandonedUnsent = 0;
        uint64_t forwardTsnSent = 0;
        uint64_t forwardTsnReceived = 0;
        // FORWARD TSN chunks that do not decode (logged, ignored) and the
        // (stream, SSN) entries naming a stream that does not exist (skipped).
        uint64_t forwardTsnMalformed = 0;
        uint64_t forwardTsnBadStreams = 0;
        // Messages sent with a lifetime on an association without PR-SCTP:
        // sent reliably (their lifetime has no effect).
        uint64_t lifetimesIgnored = 0;
        // RFC 8260. I-DATA chunks sent (also counted in dataChunksSent);
        // ABORTs for a DATA chunk on an I-DATA association or an I-DATA
        // chunk on one without (§2.2); I-DATA chunks that do not decode;
        // fragments dropped because their message's FSNs conflict (a second
        // fragment with an FSN already held, or an FSN past the E fragment's).
        uint64_t idataChunksSent = 0;
        uint64_t protocolViolationAborts = 0;
        uint64_t idataMalformed = 0;
        uint64_t idataFragmentsDropped = 0;
        // Whole ordered messages (DATA or I-DATA) dropped because one with
        // the same SSN (MID) already waits for delivery on their stream: the
        // peer's numbering is broken.
        uint64_t duplicateSeqDrops = 0;
        // §6.9: messages whose delivery to the application began before they
        // were whole (the receive buffer ran short), and of those the ones
        // never completed (abandoned by the peer, or its fragment numbering
        // broken): the application got an aborted mark for each.
        uint64_t partialDeliveries = 0;
        uint64_t partialDeliveriesAborted = 0;
        // Bytes received but not yet deliverable (fragments, messages
        // waiting for their SSN / MID) when the peer restarted (§5.2.4.1 A):
        // they went with the old association.
        uint64_t restartUndeliveredBytes = 0;
        // Chunks that RFC 9260 discards without a word to the peer, counted
        // (and logged) here: chunks of a type this endpoint does not know
        // (§3.2, whatever their type bits), the chunks after one whose bits
        // say to stop processing the packet (00 and 01), DATA chunks too
        // short for their header, and DATA or I-DATA chunks in a state that
        // takes none (COOKIE-WAIT, COOKIE-ECHOED, SHUTDOWN-RECEIVED,
        // SHUTDOWN-ACK-SENT).
        uint64_t unknownChunks = 0;
        uint64_t chunksDiscardedAfterUnknown = 0;
        uint64_t dataMalformed = 0;
        uint64_t dataDiscardedState = 0;
    };
    const Stats& GetStats() const
    {
        return m_stats;
    }

    /// Called by SctpL4Protocol with a parsed, checksum-verified packet and
    /// its IP addresses.
    void ReceivePacket(Ptr<const Packet> raw,
                       const sctp::PacketView& pkt,
                       size_t firstChunk,
                       const SctpIpAddress& src,
                       const SctpIpAddress& dst,
                       Ptr<NetDevice> incomingDevice);
    /// Called by the end point when it is destroyed by the L4 protocol.
    void EndPointDestroyed();

  protected:
    void DoDispose() override;

  private:
    // One fragment of a user message waiting for (or awaiting ack of) transmission.
    struct OutChunk
    {
        uint32_t tsn = 0;
        uint16_t sid = 0;
        uint16_t ssn = 0;
        uint32_t ppid = 0;
        uint8_t flags = 0;
        std::shared_ptr<const std::vector<uint8_t>> msg;
        Ptr<const Packet> tagSrc; // the user's packet, kept only if it has byte tags
        uint32_t offset = 0;
        uint32_t len = 0;
        // I-DATA (RFC 8260): the message's MID and this fragment's FSN.
        uint32_t mid = 0;
        uint32_t fsn = 0;
        // The state bits are bit-fields so that MID and FSN fit and the
        // struct stays 64 bytes: a power of two keeps std::deque indexing a
        // shift (72 bytes cost ~0.7 % per packet). C++17 has no default
        // member initialisers for bit-fields: the constructor sets them.
        bool sent : 1;
        bool inFlight : 1;
        bool gapAcked : 1;
        bool markedRtx : 1;     // lost (T3 or fast retransmit); waits to go again
        bool fastRtx : 1;       // marked by fast retransmit (may skip cwnd once)
        bool wasFastRetransmitted : 1;
        bool abandoned : 1; // PR-SCTP: given up (RFC 3758 §3.4)
        // Gap-acked, then missing from a later SACK (§6.2.1 D iv): its bytes
        // were credited once already and are not counted as newly acked again.
        bool reneged : 1;
        // The path it was last sent on (0: primary).
        uint8_t path = 0;
        uint32_t missIndications = 0;
        uint32_t txCount = 0;

        OutChunk()
            : sent(false),
              inFlight(false),
              gapAcked(false),
              markedRtx(false),
              fastRtx(false),
              wasFastRetransmitted(false),
              abandoned(false),
              reneged(false)
        {
        }
    };
    // A received fragment waiting for the rest of its message.
    struct InChunk
    {
        uint16_t sid = 0;
        uint16_t ssn = 0;
        uint32_t ppid = 0;
        uint8_t flags = 0;
        std::vector<uint8_t> data;
        Ptr<const Packet> tagSrc; // the SCTP packet it came in, if that has byte tags
        uint32_t tagOff = 0;      // where this chunk's payload starts in tagSrc
    };
    // The fragments of one I-DATA message being reassembled (RFC 8260 §2.1),
    // by FSN; the message is whole when the E fragment's FSN is the last of
    // an unbroken run from 0.
    struct IReasm
    {
        std::map<uint32_t, InChunk> frags;
        bool haveEnd = false;
        uint32_t lastFsn = 0;
        // §6.9: being delivered in parts; FSNs below nextFsn have gone.
        bool partial = false;
        uint32_t nextFsn = 0;
        uint32_t ppid = 0; // from the first fragment, once that has gone
    };
    // By (stream, unordered, MID).
    using IReasmMap = std::map<std::tuple<uint16_t, bool, uint32_t>, IReasm>;
    // A DATA message being delivered in parts (§6.9): its fragments from
    // beginExt up to, not including, nextExt have gone to the application.
    // One at a time: without I-DATA fragments of messages never interleave.
    struct DataPartial
    {
        bool active = false;
        uint64_t beginExt = 0;
        uint64_t nextExt = 0;
        uint16_t sid = 0;
        uint16_t ssn = 0;
        uint32_t ppid = 0;
        bool unordered = false;
    };
    struct RxMessage
    {
        Ptr<Packet> packet;
        uint16_t sid = 0;
        uint16_t ssn = 0;
        uint32_t ppid = 0;
        bool unordered = false;
        bool eor = true;       // false: a piece of a message delivered in parts
        bool aborted = false;  // that message will not be completed (empty packet)
    };

    // --- set-up --------------------------------------------------------------
    void SetState(SctpState s);
    bool Bound() const
    {
        return m_endPoint || m_endPoint6;
    }
    template <class EndPoint, class Addr>
    int BindTo(EndPoint*& slot, Addr address, uint16_t port);
    template <class EndPoint>
    void Attach(EndPoint* endPoint);
    template <class EndPoint>
    void Release(EndPoint*& slot);
    template <class L3, class Header, class EndPoint, class Addr>
    int SetupEndPoint(EndPoint* endPoint, Addr peer);
    /// An ns-3 socket address (Inet or Inet6) for an IP address and port.
    static Address SocketAddress(const SctpIpAddress& ip, uint16_t port);
    void DeallocateEndPoint();

    // --- multihoming (RFC 9260 §5.1.2, §5.4, §6.4, §8.2, §8.3) ---------------
    /// Path i: 0 is the primary (m_path), i > 0 is m_altPaths[i - 1].
    SctpPath& PathAt(size_t i)
    {
        return i == 0 ? m_path : m_altPaths[i - 1];
    }
    size_t DataPathIndex() const;
    /// Where the next retransmission goes (§6.4.1: a chunk that timed out
    /// goes to an active alternate of the path it was last sent on).
    size_t RtxPathIndex() const;
    /// The path whose peer address is a (0 if none is).
    size_t PathIndexOf(const SctpIpAddress& a) const;
    /// Makes a path of every peer address other than the primary.
    void SetPeerAddresses(const std::vector<SctpIpAddress>& addresses);
    template <class Addr>
    int BindSeveral(const std::vector<Addr>& addresses, uint16_t port);
    int SetPrimaryPathTo(const SctpIpAddress& a);
    bool IsLocalIp(const SctpIpAddress& a) const
    {
        return std::visit([this](const auto& ip) { return IsLocalAddress(ip); }, a);
    }
    /// Bound with BindAddresses to more than one address.
    bool BoundToSeveral() const
    {
        return !m_localAddrs.empty() || !m_localAddrs6.empty();
    }
    /// Counts and logs what of a received INIT / INIT ACK's address
    /// parameters cannot be used: malformed ones, IPv6 Address parameters,
    /// IPv6 Address parameters of an IPv4 association and IPv4 Address
    /// parameters of an IPv6 one (no mixed associations).
    void CountUnusableAddressParams(const sctp::InitChunk& init, bool ipv6);
    /// The IPv4 Address parameters this endpoint puts in INIT / INIT ACK.
    const std::vector<uint32_t>& LocalAddressParams() const
    {
        return m_localAddrParams;
    }
    /// Registers / removes every peer address with the L4 demux (multihomed only).
    void RegisterPaths();
    void UnregisterPaths();
    void SetPathActive(size_t i, bool active);
    uint32_t TotalFlight() const
    {
        if (m_altPaths.empty())
        {
            return m_path.flightSize;
        }
        uint32_t f = m_path.flightSize;
        for (const SctpPath& p : m_altPaths)
        {
            f += p.flightSize;
        }
        return f;
    }
    /// Whether path i has data outstanding for the §6.3.2 T3 rules.
    bool PathOutstanding(size_t i)
    {
        return PathAt(i).flightSize > 0 || (m_rtxCount > 0 && i == GetDataPathIndex());
    }
    void SendInit();
    void T1Expired();
    void SendInitAck(const sctp::InitChunk& init,
                     uint32_t localTag,
                     uint32_t localInitialTsn,
                     uint32_t localTie,
                     uint32_t peerTie,
                     const SctpIpAddress& src,
                     const SctpIpAddress& dst,
                     uint16_t srcPort);
    void HandleInit(const sctp::ChunkView& c,
                    const sctp::PacketView& pkt,
                    const SctpIpAddress& src,
                    const SctpIpAddress& dst);
    void HandleInitAck(const sctp::ChunkView& c);
    /// Returns false if the rest of the packet must be dropped.
    bool HandleCookieEcho(const sctp::ChunkView& c,
                          const sctp::PacketView& pkt,
                          size_t index,
                          const SctpIpAddress& src,
                          const SctpIpAddress& dst,
                          Ptr<NetDevice> incomingDevice);
    void HandleCookieAck();
    void InitFromCookie(const sctp::CookieState& ck);
    void InitAssociation(uint32_t localTag,
                         uint32_t peerTag,
                         uint32_t localInitialTsn,
                         uint32_t peerInitialTsn,
                         uint32_t peerRwnd,
                         uint16_t outStreams,
                         uint16_t inStreams);
    void Established();
    Ptr<SctpSocket> Fork();
    void CopyConfig(const SctpSocket& o);

    // --- data transfer ---------------------------------------------------------
    void HandleData(const sctp::ChunkView& c, bool& immediate);
    /// §3.2: an unknown chunk type (reported if its type bits say so),
    /// with `following` chunks after it in its packet; true if those are
    /// not to be processed.
    bool UnknownChunk(const sctp::ChunkView& c, size_t following);
    void TryAssemble(uint64_t ext);
    void DeliverOrdered(uint16_t sid);
    /// Moves the messages waiting in `pending` from sequence number `next`
    /// on (SSN for DATA, MID for I-DATA) to the application, in order.
    template <class Seq>
    void DrainPending(std::map<Seq, RxMessage>& pending, Seq& next);
    /// What DATA and I-DATA share on receipt (no user data, the I bit,
    /// duplicates, rwnd, gaps, invalid stream): true if the chunk's user
    /// data is to be kept.
    bool AcceptTsn(uint32_t tsn, uint16_t sid, uint8_t flags, size_t payloadLen, bool& immediate);
    /// Fills a reassembly entry with a received fragment (and where its
    /// payload is in the SCTP packet, for byte tags); counts its bytes.
    void KeepFragment(InChunk& ic,
                      uint16_t sid,
                      uint16_t ssn,
                      uint32_t ppid,
                      uint8_t flags,
                      const uint8_t* payload,
                      size_t len,
                      size_t payloadOffset);
    /// The user message made of these fragments, in order (byte tags kept).
    static Ptr<Packet> JoinFragments(const std::vector<const InChunk*>& frags);
    // --- I-DATA (RFC 8260) --------------------------------------------------
    /// Chunk type 64 listed in our INIT / INIT ACK (nothing when off).
    std::vector<uint8_t> SupportedExtensions() const;
    /// Whether this endpoint offers I-DATA: attribute Interleaving (with
    /// PrSctpEnabled too, I-FORWARD-TSN is listed beside it).
    bool OffersIData() const
    {
        return m_interleavingAttr;
    }
    /// The DATA or I-DATA header size of this association's user data.
    size_t DataHeaderSize() const
    {
        return m_idata ? sctp::kIDataChunkHeaderSize : sctp::kDataChunkHeaderSize;
    }
    void HandleIData(const sctp::ChunkView& c, bool& immediate);
    /// A whole I-DATA message: to the application, or to wait for its MID.
    void DeliverIData(RxMessage&& msg, uint32_t mid);
    // --- partial delivery (§6.9) ---------------------------------------------
    /// When the receive buffer cannot take another full chunk, the message
    /// next in line whose first fragments are here starts going to the
    /// application in parts (DATA: one message; I-DATA: each such message).
    void MaybeStartPartialDelivery();
    /// Hands the DATA partial message's fragments from nextExt on, as far as
    /// they run unbroken, to the application; ends it at the E fragment.
    void ContinueDataPartial();
    /// The same for an I-DATA message (FSNs from nextFsn on); erases the
    /// entry when its E fragment has gone.
    void ContinueIDataPartial(IReasmMap::iterator it);
    /// A peer restart: counts the received bytes not yet deliverable and
    /// gives each message being delivered in parts its aborted mark.
    void DiscardUndeliveredData();
    /// Queues the empty aborted mark for a message delivered in parts.
    void AbortPartial(uint16_t sid, uint16_t ssn, uint32_t ppid, bool unordered, const char* why);
    /// Queues one piece (or the whole) of a received message for the application.
    void QueueForApp(RxMessage&& msg);
    /// RFC 8260 §2.2: DATA on an I-DATA association or the reverse.
    void ProtocolViolation(const char* what);
    /// RoundRobin with I-DATA: reorders the never-sent chunks one per stream
    /// in turn (starting after the stream last sent) and renumbers their TSNs.
    void ScheduleRoundRobin();
    uint64_t ToExt(uint32_t tsn) const;
    uint32_t HeldBytes() const;
    void AfterDataPacket(bool immediate);
    void SackTimerExpired();
    /// A SACK for what was received; its Gap Ack Blocks and duplicate TSNs
    /// leave `reserve` bytes of the path MTU for the chunks bundled after it.
    void BuildSack(sctp::PacketBuilder& b, size_t reserve = 0);
    void HandleSack(const sctp::ChunkView& c);
    void ProcessCumAck(uint32_t cum, uint32_t& bytesNewlyAcked, uint32_t& highestNewlyAcked, bool& haveHighest);
    void MaybeWindowUpdate();

    // --- PR-SCTP (RFC 3758) ---------------------------------------------------
    /// Abandons every message whose lifetime has expired (TR3/TR4, A2/A3),
    /// then C2: advances Advanced.Peer.Ack.Point; a FORWARD TSN is due if it
    /// is past the cumulative ack.
    void AbandonExpired();
    /// The queue indices of a timed message's chunks still in m_outQueue.
    struct TimedMsg;
    void QueuedChunks(const TimedMsg& m, std::vector<size_t>& out) const;
    /// Index of the chunk with this TSN in m_outQueue (it must be there).
    size_t OutIndex(uint32_t tsn) const
    {
        return size_t(uint32_t(tsn - m_outQueue.front().tsn));
    }
    /// A chunk that needs no more sending (acknowledged by a gap block, or
    /// abandoned): out of its path's flight size and the retransmission marks.
    void Settle(OutChunk& ch, SctpPath& cp)
    {
        if (ch.inFlight)
        {
            ch.inFlight = false;
            cp.flightSize -= ch.len;
        }
        if (ch.markedRtx)
        {
            ch.markedRtx = false;
            ch.fastRtx = false;
            --m_rtxCount;
        }
    }
    /// C1/C2: moves Advanced.Peer.Ack.Point to the cumulative ack and past
    /// abandoned chunks; marks a FORWARD TSN due if it is ahead (C3).
    void AdvanceAckPoint();
    /// C4: the FORWARD TSN for Advanced.Peer.Ack.Point.
    void AddForwardTsn(sctp::PacketBuilder& b);
    void HandleForwardTsn(const sctp::ChunkView& c, bool& immediate);
    /// RFC 8260 §2.3.1: the I-FORWARD-TSN form of C4 (I-DATA associations).
    void AddIForwardTsn(sctp::PacketBuilder& b);
    /// RFC 8260 §2.3.2: the receiver's side of I-FORWARD-TSN.
    void HandleIForwardTsn(const sctp::ChunkView& c, bool& immediate);
    /// What FORWARD TSN and I-FORWARD-TSN share: decode (or count as
    /// malformed), count, note the gaps, move the cumulative TSN to the new
    /// one (ext) and on over what is held. False if there is nothing more to
    /// do (malformed, or out of date: then a SACK at once).
    template <class Chunk>
    bool StartForward(const sctp::ChunkView& c,
                      Chunk& f,
                      sctp::WireStatus (*decode)(const sctp::ChunkView&, Chunk&),
                      bool& hadGaps,
                      uint64_t& ext,
                      bool& immediate);
    /// An ordered stream skips through sequence number `last` (SSN or MID):
    /// what waited at or below it is delivered, then what follows in order.
    template <class Seq>
    void SkipThrough(std::map<Seq, RxMessage>& pending, Seq& next, Seq last);
    /// After a (I-)FORWARD TSN: tells the application of new messages, and
    /// SACKs at once around gaps.
    void FinishForward(size_t queued, bool hadGaps, bool& immediate);

    // --- output ------------------------------------------------------------------
    void TrySend();
    bool FillData(sctp::PacketBuilder& b, bool fastPacket, bool& restartT3);
    /// Sender-side silly-window avoidance: true if new data should wait for a bigger window.
    bool SwsHold() const;
    void AddChunk(sctp::PacketBuilder& b, OutChunk& ch);
    /// To the data path (the primary unless it failed).
    void Transmit(sctp::PacketBuilder& b);
    void Transmit(sctp::PacketBuilder& b, const SctpPath& path);
    void TransmitTo(sctp::PacketBuilder& b, const SctpIpAddress& local, const SctpIpAddress& peer);
    void DecayIdleCwnd(SctpPath& p);
    void StartT3IfIdle(size_t i);
    void RestartT3(size_t i);
    void T3Expired(size_t i);
    // The primary's timers are scheduled without a bound path index: the
    // smaller event object keeps the single-homed allocation pattern (and
    // ~0.4 % of the instructions per packet, measured with callgrind).
    void T3ExpiredPrimary()
    {
        T3Expired(0);
    }
    void HeartbeatTimerPrimary()
    {
        HeartbeatTimer(0);
    }
    /// §7.2.1 / §7.2.2 cwnd growth of one path on a SACK.
    void GrowCwnd(SctpPath& p, uint32_t flightBefore, uint32_t acked, bool cumAdvanced);
    void UpdateRto(SctpPath& p, Time r);
    void SetCwnd(uint32_t v)
    {
        SetCwnd(m_path, v);
    }
    void SetSsthresh(uint32_t v)
    {
        SetSsthresh(m_path, v);
    }
    void SetRto(Time v)
    {
        SetRto(m_path, v);
    }
    // The traces report the primary path; the others change silently.
    void SetCwnd(SctpPath& p, uint32_t v);
    void SetSsthresh(SctpPath& p, uint32_t v);
    void SetRto(SctpPath& p, Time v);
    /// Counts an error against path i and, if countAssociation, the
    /// association; returns true if the association was aborted.
    bool CountError(size_t i = 0, bool countAssociation = true);

    // --- lifecycle -----------------------------------------------------------------
    void StartHeartbeat();
    void StartHeartbeat(size_t i);
    void HeartbeatTimer(size_t i);
    /// One RTO after the HEARTBEAT with this nonce went (§8.3).
    void HeartbeatAckTimeout(uint32_t nonce);
    /// Counts path i's outstanding HEARTBEAT as unanswered (§8.3): an error,
    /// and its RTO doubled. True if that aborted the association.
    bool HeartbeatUnanswered(size_t i);
    void HandleHeartbeat(const sctp::ChunkView& c, const SctpIpAddress& src, const SctpIpAddress& dst);
    void HandleHeartbeatAck(const sctp::ChunkView& c);
    void CheckShutdown();
    void SendShutdown();
    void SendShutdownAck();
    void T2Expired();
    void HandleShutdown(const sctp::ChunkView& c);
    void HandleShutdownAck();
    void HandleShutdownComplete();
    void HandleAbort();
    void HandleError(const sctp::ChunkView& c);
    /// An ABORT (with one cause, and its info bytes if it has any), then close.
    void SendAbort(uint16_t cause, bool notifyApp, const uint8_t* info = nullptr, size_t infoLen = 0);
    void SendControl(uint8_t type, uint8_t flags = 0);
    /// Closes the association: stops timers, frees the end point, tells the app.
    enum class CloseReason
    {
        Normal,
        Error,
        ConnectFailed,
        Local
    };
    void CloseAssociation(CloseReason why);
    void CancelTimers();
    bool CanSendData() const;
    bool AllDataAcked() const
    {
        return m_outQueue.empty();
    }

    // Config (attributes)
    Time m_rtoInitial;
    Time m_rtoMin;
    Time m_rtoMax;
    double m_rtoAlpha = 0.125;
    double m_rtoBeta = 0.25;
    uint32_t m_maxBurst = 4;
    uint32_t m_assocMaxRetrans = 10;
    uint32_t m_pathMaxRetrans = 5;
    uint32_t m_maxInitRetrans = 8;
    Time m_sackTimeout;
    uint32_t m_sackFreq = 2;
    Time m_hbInterval;
    bool m_hbEnabled = true;
    Time m_cookieLife;
    uint32_t m_sndBufSize = 131072;
    uint32_t m_rcvBufSize = 131072;
    uint16_t m_numOutStreams = 10;
    uint16_t m_maxInStreams = 10;
    uint32_t m_pathMtuAttr = 0;
    uint32_t m_initialCwndAttr = 0;
    uint32_t m_initialSsthreshAttr = 0;
    uint32_t m_initialTsnAttr = 0;
    bool m_swsAvoidance = true;
    uint32_t m_fastRtxThreshold = 3;
    bool m_prsctpEnabled = false; // attribute PrSctpEnabled: offer PR-SCTP
    bool m_interleavingAttr = false; // attribute Interleaving: offer I-DATA (RFC 8260)
    StreamScheduler m_scheduler = SCHED_FCFS; // attribute StreamScheduler

    // Wiring
    Ptr<Node> m_node;
    Ptr<SctpL4Protocol> m_sctp;
    Ipv4EndPoint* m_endPoint = nullptr;   // at most one of these two
    Ipv6EndPoint* m_endPoint6 = nullptr;
    std::vector<Ipv4EndPoint*> m_extraEndPoints; // BindAddresses: one per further address
    std::vector<Ipv6EndPoint*> m_extraEndPoints6; // the same over IPv6
    enum SocketErrno m_errno = ERROR_NOTERROR;

    // Association
    TracedValue<SctpState> m_state;
    SctpIpAddress m_localAddress;
    uint16_t m_localPort = 0;
    SctpIpAddress m_peerAddress;
    uint16_t m_peerPort = 0;
    uint32_t m_localTag = 0;
    uint32_t m_peerTag = 0;
    uint32_t m_localInitialTsn = 0;
    uint16_t m_outStreams = 0;
    uint16_t m_inStreams = 0;
    SctpPath m_path;                  // the primary path
    std::vector<SctpPath> m_altPaths; // the peer's other addresses (multihoming)
    std::vector<Ipv4Address> m_localAddrs; // BindAddresses with more than one address
    std::vector<uint32_t> m_localAddrParams; // the same, host order, for INIT / INIT ACK
    std::vector<Ipv6Address> m_localAddrs6;  // BindAddresses over IPv6, more than one
    std::vector<std::array<uint8_t, 16>> m_localAddrParams6; // the same, for INIT / INIT ACK
    // What is in the L4 multihomed table for this socket: (peer, peer port, local port).
    std::vector<std::tuple<SctpIpAddress, uint16_t, uint16_t>> m_registeredPeers;
    size_t m_txPath = 0;              // the destination of the packet being filled
    size_t m_rxPath = 0;              // the path the last packet came from (SACK goes there)
    uint32_t m_assocErrors = 0;
    EventId m_t1Timer;
    EventId m_t2Timer;
    uint32_t m_initRetrans = 0;
    std::vector<uint8_t> m_cookieEcho; // the cookie to echo while COOKIE-ECHOED
    bool m_closeOnEstablish = false;
    bool m_shutdownSend = false;
    bool m_shutdownRecv = false;
    bool m_connected = false;

    // Sender
    std::deque<OutChunk> m_outQueue; // TSN order; front = lowest not cum-acked
    size_t m_nextUnsent = 0;         // index of the first never-sent chunk
    uint32_t m_nextTsn = 0;
    uint32_t m_cumAck = 0;           // peer's Cumulative TSN Ack point
    uint32_t m_txBufBytes = 0;
    std::vector<uint16_t> m_outSsn;
    std::vector<uint32_t> m_outMid;  // I-DATA: next MID per stream, ordered messages
    std::vector<uint32_t> m_outUMid; // and unordered ones (RFC 8260 §2.1)
    bool m_idata = false;            // negotiated: I-DATA instead of DATA
    uint32_t m_peerRwnd = 0;
    uint32_t m_maxPeerRwnd = 0; // largest a_rwnd the peer advertised (SWS avoidance)
    bool m_inFastRecovery = false;
    uint32_t m_fastRecoveryExit = 0;
    bool m_fastRtxPending = false;
    uint32_t m_packetLimit = 0;      // >0: this opportunity may send only so many packets
    uint32_t m_rtxCount = 0;        // chunks marked for retransmission
    bool m_sackSinceT3 = false;
    // PR-SCTP
    bool m_prsctp = false;      // negotiated: both ends sent Forward-TSN-Supported
    uint32_t m_advPeerAck = 0;  // Advanced.Peer.Ack.Point (RFC 3758 §3.5 A1)
    bool m_fwdTsnDue = false;   // a FORWARD TSN goes in the next packet
    struct TimedMsg
    {
        uint32_t firstTsn = 0;
        uint32_t chunks = 0;
        Time expiry;
        // I-DATA: the message by stream, U flag and MID (RoundRobin moves
        // its fragments, so its TSNs need not be consecutive).
        uint16_t sid = 0;
        bool unordered = false;
        uint32_t mid = 0;
    };
    std::deque<TimedMsg> m_timedMsgs; // messages with a lifetime, TSN order

    // Receiver
    uint64_t m_rxCumExt = 0;         // Cumulative TSN (64-bit, no wrap)
    uint64_t m_rxHighestExt = 0;
    std::set<uint64_t> m_rxAbove;    // received TSNs above the cumulative one
    std::vector<SctpByteTagSpan> m_txTagSpans; // byte tags of the DATA in m_builder
    Ptr<const Packet> m_rxRaw; // the SCTP packet being processed (for its byte tags)
    bool m_rxRawTagged = false;
    std::map<uint64_t, InChunk> m_reasm;
    DataPartial m_dataPartial;
    uint32_t m_reasmBytes = 0;
    std::vector<std::map<uint16_t, RxMessage>> m_inPending; // ordered, waiting for SSN
    std::vector<uint16_t> m_inNextSsn;
    // I-DATA: reassembly by (stream, unordered, MID), and per stream the
    // next ordered MID and the whole messages waiting for it.
    IReasmMap m_ireasm;
    std::vector<uint32_t> m_inNextMid;
    std::vector<std::map<uint32_t, RxMessage>> m_inPendingMid;
    uint32_t m_pendingBytes = 0;
    std::deque<RxMessage> m_rxQueue;
    uint32_t m_rxQueueBytes = 0;
    std::vector<uint32_t> m_dupTsns;
    bool m_sackDue = false;
    uint32_t m_dataPacketsUnacked = 0;
    EventId m_sackTimer;
    uint32_t m_lastAdvertisedRwnd = 0;
    bool m_newDataForApp = false;
    // A cumulative ack freed send-buffer space during the packet being
    // processed: the send callback runs once, at the end of that packet.
    bool m_sendSpaceOpened = false;
    // True while ReceivePacket runs: a Send from an application callback
    // only queues; the packet's one TrySend at the end sends it.
    bool m_inReceive = false;

    Stats m_stats;
    Time m_lastRttSample; // the previous RTT sample, for the RTT trace
    sctp::PacketBuilder m_builder;

    // Trace sources
    TracedCallback<uint32_t, uint32_t> m_cwndTrace;
    TracedCallback<uint32_t, uint32_t> m_ssthreshTrace;
    TracedCallback<Time, Time> m_rtoTrace;
    TracedCallback<Time, Time> m_rttTrace;
    TracedCallback<Ptr<const Packet>, Ptr<const SctpSocket>> m_txTrace;
    TracedCallback<Ptr<const Packet>, Ptr<const SctpSocket>> m_rxTrace;
    TracedCallback<uint32_t, bool> m_retransmitTrace;
    TracedCallback<uint32_t, uint32_t> m_peerRwndTrace;
    TracedCallback<uint32_t, uint32_t> m_dropTrace; // TSN, payload size: no buffer
    TracedCallback<Address, bool> m_pathStateTrace; // peer IP address, active
    // PR-SCTP: stream, SSN, bytes, ever sent: a message abandoned.
    TracedCallback<uint16_t, uint16_t, uint32_t, bool> m_abandonTrace;
};

} // namespace ns3
