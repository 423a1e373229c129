#include "sctp-helper.h"

#include "sctp-l4-protocol.h"
#include "sctp-socket-factory.h"

#include "ns3/abort.h"
#include "ns3/ipv4.h"
#include "ns3/ipv6.h"
#include "ns3/node.h"
#include "ns3/socket.h"

namespace ns3
{

void
SctpHelper::Install(Ptr<Node> node) const
{
    NS_ABORT_MSG_IF(!node->GetObject<Ipv4>() && !node->GetObject<Ipv6>(),
                    "SctpHelper::Install: node " << node->GetId()
                                                 << " has no Ipv4 or Ipv6; install the Internet stack first");
    if (node->GetObject<SctpL4Protocol>())
    {
        return; // already installed
    }
    node->AggregateObject(CreateObject<SctpL4Protocol>());
}

void
SctpHelper::Install(NodeContainer nodes) const
{
    for (auto it = nodes.Begin(); it != nodes.End(); ++it)
    {
        Install(*it);
    }
}

int64_t
SctpHelper::AssignStreams(NodeContainer nodes, int64_t stream) const
{
    int64_t used = 0;
    for (auto it = nodes.Begin(); it != nodes.End(); ++it)
    {
        Ptr<SctpL4Protocol> sctp = (*it)->GetObject<SctpL4Protocol>();
        if (sctp)
        {
            used += sctp->AssignStreams(stream + used);
        }
    }
    return used;
}

Ptr<Socket>
SctpHelper::CreateSocket(Ptr<Node> node)
{
    return Socket::CreateSocket(node, SctpSocketFactory::GetTypeId());
}

} // namespace ns3
