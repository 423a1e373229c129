// CpuCalibration and NodeCpu.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ns3/core-module.h"
#include "ns3/network-module.h"
#include "ns3/sip/cpu-calibration.h"
#include "ns3/sip/node-cpu.h"

using namespace ns3;

namespace {
std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = std::string(SIPIM_BINARY_DIR) + "/" + name;
  std::ofstream(path) << text;
  return path;
}
}  // namespace

// Rows interpolate linearly in size and extrapolate from the outer two rows.
TEST(Calibration, InterpolatesAndExtrapolates) {
  CpuCalibration c;
  c.Add("parse", "sip", 100, 1000);
  c.Add("parse", "sip", 300, 3000);
  c.Add("parse", "sip", 200, 1500);
  const auto* curve = c.Find("parse", "sip");
  ASSERT_NE(curve, nullptr);
  EXPECT_DOUBLE_EQ(curve->NsAt(100), 1000);
  EXPECT_DOUBLE_EQ(curve->NsAt(150), 1250);
  EXPECT_DOUBLE_EQ(curve->NsAt(250), 2250);
  EXPECT_DOUBLE_EQ(curve->NsAt(400), 4500);  // last two rows: 15 ns/byte
  EXPECT_DOUBLE_EQ(curve->NsAt(0), 500);     // first two rows: 5 ns/byte
  c.Add("build", "sip", 100, 100);
  c.Add("build", "sip", 200, 1100);
  EXPECT_DOUBLE_EQ(c.Find("build", "sip")->NsAt(0), 0);  // would be -900: clamped at zero
  EXPECT_EQ(c.Find("parse", "msrp"), nullptr);
  EXPECT_FALSE(c.Cost("smime_sign", "rsa2048", 10).has_value());
}

// A well-formed CSV loads; a bad header and a bad number are named with file and line.
TEST(Calibration, LoadsCsvAndNamesErrors) {
  CpuCalibration c;
  std::string err;
  const std::string good = WriteTemp("ns3sip_cal_good.csv",
                                     "operation,algorithm,size_bytes,ns_per_op,output_bytes\n"
                                     "parse,sip,100,500,0\nparse,sip,1100,1500,0\nsmime_sign,rsa2048,1000,900000,1700\n");
  ASSERT_TRUE(c.LoadCsv(good, &err)) << err;
  EXPECT_EQ(c.CurveCount(), 2u);
  EXPECT_EQ(c.Cost("parse", "sip", 600)->GetNanoSeconds(), 1000);
  EXPECT_DOUBLE_EQ(c.Find("smime_sign", "rsa2048")->OutputBytesAt(1000), 1700);

  CpuCalibration bad;
  const std::string header = WriteTemp("ns3sip_cal_header.csv", "op,alg\nparse,sip,1,2,3\n");
  EXPECT_FALSE(bad.LoadCsv(header, &err));
  EXPECT_NE(err.find(":1: header"), std::string::npos) << err;
  const std::string number = WriteTemp("ns3sip_cal_number.csv",
                                       "operation,algorithm,size_bytes,ns_per_op,output_bytes\n"
                                       "parse,sip,100,fast,0\n");
  EXPECT_FALSE(bad.LoadCsv(number, &err));
  EXPECT_NE(err.find(":2: ns_per_op"), std::string::npos) << err;
  EXPECT_FALSE(bad.LoadCsv("/nonexistent/x.csv", &err));
}

// sipim's models log through ns-3's NS_LOG: with NodeCpu enabled at
// level warn, an uncalibrated job's warning reaches std::clog (built
// without NS3_LOG_ENABLE, every NS_LOG statement of the models compiled to
// nothing and this printed nothing).
TEST(NodeCpuTest, NsLogPrintsTheModelsOwnWarnings) {
  Ptr<Node> node = CreateObject<Node>();
  Ptr<NodeCpu> cpu = NodeCpu::GetOrCreate(node);
  std::ostringstream captured;
  std::streambuf* const clog = std::clog.rdbuf(captured.rdbuf());
  LogComponentEnable("NodeCpu", LOG_LEVEL_WARN);
  cpu->Charge("smime_sign", "rsa2048", 100, []() {});
  LogComponentDisable("NodeCpu", LOG_LEVEL_ALL);
  std::clog.rdbuf(clog);
  Simulator::Run();
  Simulator::Destroy();
  EXPECT_NE(captured.str().find("no calibration for (smime_sign, rsa2048)"), std::string::npos) << captured.str();
}

// Two jobs queued at once run one after the other: FIFO, busy time adds up.
TEST(NodeCpuTest, QueuesJobsFifo) {
  Ptr<Node> node = CreateObject<Node>();
  Ptr<NodeCpu> cpu = NodeCpu::GetOrCreate(node);
  Ptr<CpuCalibration> cal = Create<CpuCalibration>();
  cal->Add("parse", "sip", 0, 1e6);  // 1 ms whatever the size
  cpu->SetCalibration(cal);
  std::vector<std::pair<int, double>> done;
  Simulator::Schedule(Seconds(1), [&]() {
    cpu->Charge("parse", "sip", 500, [&]() { done.emplace_back(1, Simulator::Now().GetSeconds()); });
    cpu->Charge("parse", "sip", 500, [&]() { done.emplace_back(2, Simulator::Now().GetSeconds()); });
    cpu->Charge("smime_sign", "rsa2048", 500, [&]() { done.emplace_back(3, Simulator::Now().GetSeconds()); });
  });
  Simulator::Run();
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].first, 1);
  EXPECT_NEAR(done[0].second, 1.001, 1e-9);
  EXPECT_EQ(done[1].first, 2);
  EXPECT_NEAR(done[1].second, 1.002, 1e-9);
  EXPECT_EQ(done[2].first, 3);  // uncalibrated: zero cost, but still behind the queue
  EXPECT_NEAR(done[2].second, 1.002, 1e-9);
  EXPECT_EQ(cpu->GetBusyTime(), MilliSeconds(2));
  EXPECT_EQ(cpu->GetJobs(), 3u);
  EXPECT_EQ(cpu->GetUncalibratedJobs(), 1u);
  EXPECT_EQ(cpu->GetMaxWait(), MilliSeconds(2));
  Simulator::Destroy();
}
