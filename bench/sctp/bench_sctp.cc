// BM_SctpVsTcp: the wall-clock cost of simulating SCTP against ns-3 TCP moving
// the same bytes over the same link in the same run. Counters:
//   sctp_pkts_per_s / tcp_pkts_per_s : simulated packets (both directions, as
//                                       counted at the devices) per wall second
//   cost_ratio : SCTP wall time per packet / TCP wall time per packet (target <= 1.5)
//   cpu_cost_ratio : the same with thread CPU time (robust to a loaded machine)
#include "sctp_bulk.h"

#include "sctp/crc32c.h"
#include "benchmark_main.h"

#include <benchmark/benchmark.h>

#include <chrono>
#include <ctime>

using namespace sipim_test;

static double
ThreadCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// One bulk transfer, timed: wall and this thread's CPU seconds.
struct TimedBulk
{
    BulkResult result;
    double wall = 0;
    double cpu = 0;
};

static TimedBulk
RunTimedBulk(const BulkConfig& c)
{
    TimedBulk t;
    double c0 = ThreadCpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    t.result = RunBulk(c);
    t.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t.cpu = ThreadCpuSeconds() - c0;
    return t;
}

static void
BM_SctpVsTcp(benchmark::State& state)
{
    BulkConfig c;
    c.loss = double(state.range(1)) / 1000.0;
    c.maxBytes = uint64_t(state.range(0));
    c.seconds = 600;
    double sctpSec = 0, tcpSec = 0, sctpCpu = 0, tcpCpu = 0;
    uint64_t sctpPkts = 0, tcpPkts = 0;
    for (auto _ : state)
    {
        c.sctp = true;
        TimedBulk s = RunTimedBulk(c);
        c.sctp = false;
        TimedBulk t = RunTimedBulk(c);
        if (s.result.bytes < c.maxBytes || t.result.bytes < c.maxBytes)
        {
            state.SkipWithError("a transfer did not complete");
            return;
        }
        sctpSec += s.wall;
        tcpSec += t.wall;
        sctpCpu += s.cpu;
        tcpCpu += t.cpu;
        sctpPkts += s.result.packets;
        tcpPkts += t.result.packets;
    }
    state.counters["sctp_pkts_per_s"] = double(sctpPkts) / sctpSec;
    state.counters["tcp_pkts_per_s"] = double(tcpPkts) / tcpSec;
    state.counters["sctp_pkts"] = double(sctpPkts) / double(state.iterations());
    state.counters["tcp_pkts"] = double(tcpPkts) / double(state.iterations());
    state.counters["cost_ratio"] = (sctpSec / double(sctpPkts)) / (tcpSec / double(tcpPkts));
    state.counters["cpu_cost_ratio"] = (sctpCpu / double(sctpPkts)) / (tcpCpu / double(tcpPkts));
}
// 4 MB over 10 Mb/s, 20 ms: no loss, and 1 % loss.
BENCHMARK(BM_SctpVsTcp)->Args({4000000, 0})->Args({4000000, 10})->Unit(benchmark::kMillisecond);

// BM_IDataVsData: the same SCTP bulk transfer with DATA and with I-DATA (RFC
// 8260, Interleaving on both ends) in one run. 1444-byte messages: one
// full-size I-DATA chunk (20-byte header) or one DATA chunk 4 bytes short of
// full, so both send the same number of packets. Counters:
//   idata_cost_ratio / idata_cpu_cost_ratio : I-DATA wall (CPU) time per
//       simulated packet / DATA's
static void
BM_IDataVsData(benchmark::State& state)
{
    BulkConfig c;
    c.loss = double(state.range(1)) / 1000.0;
    c.maxBytes = uint64_t(state.range(0));
    c.seconds = 600;
    c.payload = 1444;
    double sec[2] = {0, 0};
    double cpu[2] = {0, 0};
    uint64_t pkts[2] = {0, 0};
    for (auto _ : state)
    {
        for (int idata = 0; idata < 2; ++idata)
        {
            c.sctpInterleaving = idata == 1;
            TimedBulk r = RunTimedBulk(c);
            if (r.result.bytes < c.maxBytes)
            {
                state.SkipWithError("a transfer did not complete");
                return;
            }
            sec[idata] += r.wall;
            cpu[idata] += r.cpu;
            pkts[idata] += r.result.packets;
        }
    }
    state.counters["data_pkts"] = double(pkts[0]) / double(state.iterations());
    state.counters["idata_pkts"] = double(pkts[1]) / double(state.iterations());
    state.counters["idata_cost_ratio"] = (sec[1] / double(pkts[1])) / (sec[0] / double(pkts[0]));
    state.counters["idata_cpu_cost_ratio"] = (cpu[1] / double(pkts[1])) / (cpu[0] / double(pkts[0]));
}
// 4 MB over 10 Mb/s, 20 ms: no loss, and 1 % loss.
BENCHMARK(BM_IDataVsData)->Args({4000000, 0})->Args({4000000, 10})->Unit(benchmark::kMillisecond);

// The CRC32c alone, over a full-size SCTP packet.
static void
BM_Crc32c(benchmark::State& state)
{
    std::vector<uint8_t> buf(size_t(state.range(0)), 0xA5);
    for (auto _ : state)
    {
        benchmark::DoNotOptimize(ns3::sctp::Crc32c(buf.data(), buf.size()));
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(1480);

int main(int argc, char** argv) { return sipim::machine::BenchmarkMain(argc, argv); }
