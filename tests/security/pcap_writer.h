#pragma once
// A minimal pcap writer for tests: the classic libpcap file format (global
// header + one record per frame), each frame Ethernet II / IPv4 / UDP, with
// a correct IPv4 header checksum (UDP checksum 0, which IPv4 allows).
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

namespace sipim::security::testing {

class PcapWriter {
 public:
  explicit PcapWriter(const std::string& path) : out_(path, std::ios::binary) {
    U32(0xa1b2c3d4);  // magic, microsecond timestamps
    U16(2);
    U16(4);
    U32(0);        // thiszone
    U32(0);        // sigfigs
    U32(262144);   // snaplen
    U32(1);        // LINKTYPE_ETHERNET
  }
  bool ok() const { return out_.good(); }

  // One UDP datagram from src to dst (IPv4 addresses in host order).
  void Udp(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport,
           std::string_view payload) {
    std::string f;
    const unsigned char macs[12] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
    f.append(reinterpret_cast<const char*>(macs), 12);
    Put16(f, 0x0800);
    const std::size_t ip_len = 20 + 8 + payload.size();
    std::string ip;
    ip.push_back(0x45);
    ip.push_back(0);
    Put16(ip, static_cast<std::uint16_t>(ip_len));
    Put16(ip, static_cast<std::uint16_t>(++ip_id_));
    Put16(ip, 0x4000);  // DF
    ip.push_back(64);
    ip.push_back(17);
    Put16(ip, 0);  // checksum, filled below
    Put32(ip, src);
    Put32(ip, dst);
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < 20; i += 2) {
      sum += (static_cast<unsigned char>(ip[i]) << 8) | static_cast<unsigned char>(ip[i + 1]);
    }
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    const std::uint16_t cks = static_cast<std::uint16_t>(~sum);
    ip[10] = static_cast<char>(cks >> 8);
    ip[11] = static_cast<char>(cks & 0xff);
    f += ip;
    Put16(f, sport);
    Put16(f, dport);
    Put16(f, static_cast<std::uint16_t>(8 + payload.size()));
    Put16(f, 0);
    f.append(payload);
    ++t_;
    U32(1700000000 + t_);
    U32(0);
    U32(static_cast<std::uint32_t>(f.size()));
    U32(static_cast<std::uint32_t>(f.size()));
    out_.write(f.data(), static_cast<std::streamsize>(f.size()));
  }

 private:
  static void Put16(std::string& s, std::uint16_t v) {
    s.push_back(static_cast<char>(v >> 8));
    s.push_back(static_cast<char>(v & 0xff));
  }
  static void Put32(std::string& s, std::uint32_t v) {
    Put16(s, static_cast<std::uint16_t>(v >> 16));
    Put16(s, static_cast<std::uint16_t>(v & 0xffff));
  }
  // pcap header fields are in the writer's byte order (little endian here).
  void U32(std::uint32_t v) {
    char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                 static_cast<char>(v >> 24)};
    out_.write(b, 4);
  }
  void U16(std::uint16_t v) {
    char b[2] = {static_cast<char>(v), static_cast<char>(v >> 8)};
    out_.write(b, 2);
  }
  std::ofstream out_;
  std::uint32_t t_ = 0;
  std::uint16_t ip_id_ = 0;
};

}  // namespace sipim::security::testing
