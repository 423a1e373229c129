// Installs SCTP on nodes that already have an IPv4 and/or IPv6 stack (InternetStackHelper).
#pragma once

#include "ns3/node-container.h"
#include "ns3/ptr.h"

namespace ns3
{

class Socket;
class Node;

class SctpHelper
{
  public:
    /// Aggregates an SctpL4Protocol (and so an SctpSocketFactory) to each node.
    void Install(NodeContainer nodes) const;
    void Install(Ptr<Node> node) const;
    /// Fixes the random streams of the installed protocols; returns streams used.
    int64_t AssignStreams(NodeContainer nodes, int64_t stream) const;
    /// A new SCTP socket on node (Install first).
    static Ptr<Socket> CreateSocket(Ptr<Node> node);
};

} // namespace ns3
