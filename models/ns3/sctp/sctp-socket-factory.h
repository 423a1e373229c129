// Socket factory aggregated to a node by SctpL4Protocol, as TcpSocketFactory.
#pragma once

#include "ns3/socket-factory.h"

namespace ns3
{

class SctpL4Protocol;

class SctpSocketFactory : public SocketFactory
{
  public:
    static TypeId GetTypeId();
    void SetSctp(Ptr<SctpL4Protocol> sctp);
    Ptr<Socket> CreateSocket() override;

  protected:
    void DoDispose() override;

  private:
    Ptr<SctpL4Protocol> m_sctp;
};

} // namespace ns3
