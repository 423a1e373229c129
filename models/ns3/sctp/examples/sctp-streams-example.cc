// Two nodes, one SCTP association, several streams: the client sends
// numbered messages round-robin over the streams (ordered delivery on each),
// over a point-to-point link that can drop packets. The server checks that
// every stream's messages arrive complete and in order, and the example
// prints the per-stream counts, the sender's retransmissions and the
// goodput. It is the ns-3 socket API as for TCP: a socket factory, Bind,
// Listen, Connect, Send (here SendMsg with a stream id) and Recv.
//
//   sctp-streams-example [--messages=N] [--size=BYTES] [--streams=K]
//                        [--loss=RATE] [--pcap=PREFIX]
//
// Exits 1 when a message is missing or out of order on its stream.
#include <cstdio>
#include <cstring>
#include <vector>

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "sctp/sctp-helper.h"
#include "sctp/sctp-socket.h"
#include "sctp/sctp-tags.h"

using namespace ns3;

NS_LOG_COMPONENT_DEFINE("SctpStreamsExample");

namespace {

struct Sender {
  Ptr<SctpSocket> socket;
  std::uint32_t messages = 0, size = 0, streams = 0;
  std::uint32_t next = 0;  // the next message to hand to SCTP

  // Sends while the buffer takes whole messages; SetSendCallback resumes.
  void Pump(Ptr<Socket>, std::uint32_t) {
    while (next < messages && socket->GetTxAvailable() >= size) {
      const auto sid = static_cast<std::uint16_t>(next % streams);
      std::vector<std::uint8_t> body(size, 0);
      const std::uint32_t perStream = next / streams;  // this message's number on its stream
      std::memcpy(body.data(), &perStream, sizeof perStream);
      if (socket->SendMsg(Create<Packet>(body.data(), size), sid, false) < 0) return;
      ++next;
    }
    if (next == messages) socket->Close();  // graceful SHUTDOWN once all is delivered
  }
  void Connected(Ptr<Socket> s) { Pump(s, 0); }
};

void ConnectFailed(Ptr<Socket>) { std::fprintf(stderr, "sctp-streams-example: association failed\n"); }

struct Receiver {
  std::vector<std::uint32_t> expected;  // per stream: the next number due
  std::uint64_t received = 0, bytes = 0, outOfOrder = 0;
  Time last;

  void Accept(Ptr<Socket> s, const Address&) { s->SetRecvCallback(MakeCallback(&Receiver::Read, this)); }
  void Read(Ptr<Socket> s) {
    while (Ptr<Packet> m = s->Recv()) {
      SctpStreamTag tag;
      std::uint32_t number = 0;
      if (!m->PeekPacketTag(tag) || tag.GetStreamId() >= expected.size() || m->GetSize() < sizeof number) {
        ++outOfOrder;
        continue;
      }
      m->CopyData(reinterpret_cast<std::uint8_t*>(&number), sizeof number);
      if (number != expected[tag.GetStreamId()]++) ++outOfOrder;
      ++received;
      bytes += m->GetSize();
      last = Simulator::Now();
    }
  }
};

}  // namespace

int main(int argc, char* argv[]) {
  std::uint32_t messages = 2000, size = 500, streams = 4;
  double loss = 0.01;
  std::string pcap;
  CommandLine cmd(__FILE__);
  cmd.AddValue("messages", "messages the client sends", messages);
  cmd.AddValue("size", "bytes per message (at least 4)", size);
  cmd.AddValue("streams", "outbound streams used, round-robin (1-10)", streams);
  cmd.AddValue("loss", "packet loss rate on the link, both ways", loss);
  cmd.AddValue("pcap", "write a pcap per device with this file prefix", pcap);
  cmd.Parse(argc, argv);
  if (size < 4 || streams < 1 || streams > 10 || loss < 0 || loss >= 1) {
    std::fprintf(stderr, "sctp-streams-example: need --size >= 4, --streams 1-10 and 0 <= --loss < 1\n");
    return 2;
  }

  NodeContainer nodes;
  nodes.Create(2);
  PointToPointHelper link;
  link.SetDeviceAttribute("DataRate", StringValue("10Mbps"));
  link.SetChannelAttribute("Delay", StringValue("20ms"));
  NetDeviceContainer devices = link.Install(nodes);
  for (std::uint32_t i = 0; i < 2; ++i) {
    Ptr<RateErrorModel> drop = CreateObject<RateErrorModel>();
    drop->SetAttribute("ErrorRate", DoubleValue(loss));
    drop->SetAttribute("ErrorUnit", StringValue("ERROR_UNIT_PACKET"));
    devices.Get(i)->SetAttribute("ReceiveErrorModel", PointerValue(drop));
  }
  InternetStackHelper().Install(nodes);
  SctpHelper().Install(nodes);  // after the Internet stack
  Ipv4AddressHelper addresses("10.1.1.0", "255.255.255.0");
  Ipv4InterfaceContainer ifs = addresses.Assign(devices);
  if (!pcap.empty()) link.EnablePcapAll(pcap);

  Receiver receiver;
  receiver.expected.assign(streams, 0);
  Ptr<Socket> listener = SctpHelper::CreateSocket(nodes.Get(1));
  listener->Bind(InetSocketAddress(Ipv4Address::GetAny(), 9));
  listener->Listen();
  listener->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                              MakeCallback(&Receiver::Accept, &receiver));

  Sender sender;
  sender.socket = DynamicCast<SctpSocket>(SctpHelper::CreateSocket(nodes.Get(0)));
  sender.messages = messages;
  sender.size = size;
  sender.streams = streams;
  sender.socket->SetSendCallback(MakeCallback(&Sender::Pump, &sender));
  sender.socket->SetConnectCallback(MakeCallback(&Sender::Connected, &sender), MakeCallback(&ConnectFailed));
  Simulator::Schedule(Seconds(0.1), [&]() { sender.socket->Connect(InetSocketAddress(ifs.GetAddress(1), 9)); });
  Simulator::Stop(Seconds(600));
  Simulator::Run();

  const SctpSocket::Stats& stats = sender.socket->GetStats();
  std::printf("%u messages of %u bytes on %u streams, loss %.3f: %llu received in order", messages, size, streams,
              loss, static_cast<unsigned long long>(receiver.received - receiver.outOfOrder));
  for (std::uint32_t s = 0; s < streams; ++s) std::printf("%sstream %u: %u", s ? ", " : " (", s, receiver.expected[s]);
  std::printf("), %llu out of order or unreadable\n", static_cast<unsigned long long>(receiver.outOfOrder));
  const double seconds = (receiver.last - Seconds(0.1)).GetSeconds();
  std::printf("sender: %llu packets, %llu retransmissions (%llu fast, %llu T3 expirations); goodput %.3f Mb/s\n",
              static_cast<unsigned long long>(stats.packetsSent), static_cast<unsigned long long>(stats.retransmissions),
              static_cast<unsigned long long>(stats.fastRetransmissions),
              static_cast<unsigned long long>(stats.t3Expirations),
              seconds > 0 ? 8e-6 * static_cast<double>(receiver.bytes) / seconds : 0.0);
  const bool ok = receiver.outOfOrder == 0 && receiver.received == messages;
  Simulator::Destroy();
  return ok ? 0 : 1;
}
