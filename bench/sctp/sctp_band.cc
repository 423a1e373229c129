// sctp_band: the sanity band, measured. Bulk transfer over one lossy
// 10 Mb/s / 20 ms link (tests/sctp/sctp_bulk.h, the set-up the sanity tests
// use) by SCTP, by ns-3 TCP NewReno and by ns-3 TCP LinuxReno (congestion
// avoidance counting bytes acked, as SCTP's partial_bytes_acked does), at
// loss rates from 0.1 % to 5 %, over several seeds, beside the Mathis rate.
// Writes results/sctp/band.csv (one row per protocol x loss x run) and
// results/sctp/band.json (parameters and code version); analysis/sctp_band.py
// draws the chart and prints the table the README quotes.
//
// Usage: sctp_band [output-dir] [runs]     (defaults: results/sctp, 4)
#include "sctp_bulk.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "sipim_version.h"

namespace
{

struct Protocol
{
    const char* name;
    bool sctp;
    const char* tcpType;
};

const Protocol kProtocols[] = {
    {"sctp", true, ""},
    {"tcp-newreno", false, "ns3::TcpNewReno"},
    {"tcp-linuxreno", false, "ns3::TcpLinuxReno"},
};

const double kLosses[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05};

// The whole-number argument `text`, 1..100, or 0 having said why.
unsigned
ParseRuns(const char* text)
{
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 1 || v > 100)
    {
        std::fprintf(stderr, "sctp_band: runs wants a whole number from 1 to 100, got '%s'\n", text);
        return 0;
    }
    return unsigned(v);
}

} // namespace

int
main(int argc, char** argv)
{
    if (argc > 3)
    {
        std::fprintf(stderr, "usage: sctp_band [output-dir] [runs]\n");
        return 2;
    }
    const std::string dir = argc > 1 ? argv[1] : std::string(SIPIM_SOURCE_DIR) + "/results/sctp";
    if (dir.empty())
    {
        // "" + "/band.csv" would be the filesystem root's band.csv.
        std::fprintf(stderr, "sctp_band: output-dir is empty (usage: sctp_band [output-dir] [runs])\n");
        return 2;
    }
    const unsigned runs = argc > 2 ? ParseRuns(argv[2]) : 4;
    if (runs == 0)
    {
        return 2;
    }
    const std::string csvPath = dir + "/band.csv";
    std::ofstream csv(csvPath);
    if (!csv)
    {
        std::fprintf(stderr, "sctp_band: cannot write %s: %s\n", csvPath.c_str(), std::strerror(errno));
        return 1;
    }
    csv << "protocol,loss,run,goodput_mbps,mathis_mbps,timeouts,fast_retransmissions,recoveries\n";
    sipim_test::BulkConfig c;
    for (const Protocol& proto : kProtocols)
    {
        for (double loss : kLosses)
        {
            for (unsigned run = 1; run <= runs; ++run)
            {
                c.sctp = proto.sctp;
                if (!proto.sctp)
                {
                    c.tcpType = proto.tcpType;
                }
                c.loss = loss;
                c.run = run;
                const sipim_test::BulkResult r = sipim_test::RunBulk(c);
                // fast_retransmissions: SCTP's chunks sent again on 3 miss
                // indications; recoveries: TCP's entries to fast recovery.
                char line[256];
                std::snprintf(line, sizeof line, "%s,%.3f,%u,%.4f,%.4f,%llu,%llu,%llu\n", proto.name, loss, run,
                              r.goodputBps / 1e6, sipim_test::SanityMathisBps(loss) / 1e6,
                              (unsigned long long)r.timeouts, (unsigned long long)r.fastRetransmissions,
                              (unsigned long long)r.recoveries);
                csv << line;
                std::fputs(line, stdout);
            }
        }
    }
    csv.close();
    if (!csv)
    {
        std::fprintf(stderr, "sctp_band: writing %s failed\n", csvPath.c_str());
        return 1;
    }
    const std::string metaPath = dir + "/band.json";
    std::ofstream meta(metaPath);
    meta << "{\n  \"scenario\": \"sctp_band\",\n"
         << "  \"description\": \"bulk transfer goodput over one lossy link by SCTP, ns-3 TCP NewReno and "
            "ns-3 TCP LinuxReno (tests/sctp/sctp_bulk.h), against loss on the data direction, beside "
            "the Mathis rate\",\n"
         << "  \"link_rate\": \"" << c.rate << "\",\n"
         << "  \"link_delay\": \"" << c.delay << "\",\n"
         << "  \"queue_packets\": 100,\n"
         << "  \"payload_bytes\": " << c.payload << ",\n"
         << "  \"transfer_seconds\": " << c.seconds << ",\n"
         << "  \"runs\": " << runs << ",\n"
         << "  \"seed\": 1,\n"
         << "  \"tcp\": \"SegmentSize = payload, SACK, initial cwnd " << c.tcpInitialCwnd
         << " segments, RTO.Min and initial RTO 1 s, delayed ACK 200 ms / 2 segments, 128 KiB buffers\",\n"
         << "  \"version\": \"" << SIPIM_CODE_VERSION << "\"\n}\n";
    meta.close();
    if (!meta)
    {
        std::fprintf(stderr, "sctp_band: cannot write %s\n", metaPath.c_str());
        return 1;
    }
    return 0;
}
