#pragma once
// Helpers shared by the MSRP tests: RFC 4975 example text and the torture
// folder's manifest.
#include <string>
#include <vector>

#include "wire_test_util.h"

namespace sipim::msrp::testing {

// RFC 4975 section 4: Alice's SEND and Bob's 200 OK, typed in from the RFC.
inline const std::string kRfcSend =
    "MSRP a786hjs2 SEND\r\n"
    "To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
    "From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n"
    "Message-ID: 87652491\r\n"
    "Byte-Range: 1-25/25\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Hey Bob, are you there?\r\n"
    "-------a786hjs2$\r\n";
inline const std::string kRfcOk =
    "MSRP a786hjs2 200 OK\r\n"
    "To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n"
    "From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
    "-------a786hjs2$\r\n";
// RFC 4975 section 7.1.1: the example SEND, typed in from the RFC (its
// Byte-Range 1-16/16 is printed over the 14 bytes "Hi, I'm Alice!").
inline const std::string kRfcSend711 =
    "MSRP d93kswow SEND\r\n"
    "To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
    "From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
    "Message-ID: 12339sdqwer\r\n"
    "Byte-Range: 1-16/16\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Hi, I'm Alice!\r\n"
    "-------d93kswow$\r\n";
// RFC 4975 section 7.1.2-style REPORT.
inline const std::string kRfcReport =
    "MSRP dkei38sd REPORT\r\n"
    "To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
    "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
    "Message-ID: 12339sdqwer\r\n"
    "Byte-Range: 1-106/106\r\n"
    "Status: 000 200 OK\r\n"
    "-------dkei38sd$\r\n";
// RFC 4975 section 7.1: a message sent in two chunks (the first with an
// unknown end), typed in from the RFC.
inline const std::string kRfcChunk1 =
    "MSRP dkei38sd SEND\r\n"
    "To-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp\r\n"
    "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
    "Message-ID: 4564dpWd\r\n"
    "Byte-Range: 1-*/8\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "abcd\r\n"
    "-------dkei38sd+\r\n";
inline const std::string kRfcChunk2 =
    "MSRP dkei38ia SEND\r\n"
    "To-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp\r\n"
    "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
    "Message-ID: 4564dpWd\r\n"
    "Byte-Range: 5-8/8\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "EFGH\r\n"
    "-------dkei38ia$\r\n";

using wire_testing::ReadFile;

struct TortureCase {
  std::string file;
  bool valid = false;
  bool stream = false;
  int messages = 0;
  std::string why;
  std::string bytes;
};

inline std::string TortureDir() { return std::string(SIPIM_SOURCE_DIR) + "/tests/msrp/torture"; }

inline std::vector<TortureCase> LoadTorture() {
  std::vector<TortureCase> cases;
  for (auto& cols : wire_testing::ReadTsv(TortureDir() + "/MANIFEST.tsv", 5)) {
    TortureCase c;
    c.file = cols[0];
    c.valid = cols[1] == "valid";
    c.stream = cols[2] == "stream";
    c.messages = std::stoi(cols[3]);
    c.why = cols[4];
    c.bytes = ReadFile(TortureDir() + "/" + c.file);
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace sipim::msrp::testing
