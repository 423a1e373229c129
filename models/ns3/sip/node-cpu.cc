#include "ns3/sip/node-cpu.h"

#include "ns3/boolean.h"
#include "ns3/double.h"
#include "ns3/log.h"
#include "ns3/simulator.h"
#include "ns3/trace-source-accessor.h"
#include "ns3/uinteger.h"

namespace ns3 {

NS_LOG_COMPONENT_DEFINE("NodeCpu");
NS_OBJECT_ENSURE_REGISTERED(NodeCpu);

TypeId NodeCpu::GetTypeId() {
  static TypeId tid =
      TypeId("ns3::NodeCpu")
          .SetParent<Object>()
          .SetGroupName("Sipim")
          .AddConstructor<NodeCpu>()
          .AddAttribute("SpeedFactor",
                        "Multiplies every cost: 2 models a CPU half as fast as the "
                        "benchmark machine, 0 turns CPU costs off.",
                        DoubleValue(1.0), MakeDoubleAccessor(&NodeCpu::m_speedFactor),
                        MakeDoubleChecker<double>(0.0))
          .AddAttribute("Live",
                        "Charge each job the wall time its real call took in this process "
                        "(parse, crypto), instead of the calibration's cost: results then "
                        "follow this machine and differ from run to run.",
                        BooleanValue(false), MakeBooleanAccessor(&NodeCpu::m_live), MakeBooleanChecker())
          .AddAttribute("MaxQueuedBytes",
                        "Most bytes of received SIP messages waiting for the CPU to parse them; "
                        "a message that would go above is dropped unparsed (trace Shed). 0: no limit.",
                        UintegerValue(std::uint64_t{16} << 20),
                        MakeUintegerAccessor(&NodeCpu::m_maxQueuedBytes), MakeUintegerChecker<std::uint64_t>())
          .AddTraceSource("Job", "A job was queued: its cost and how long it waits.",
                          MakeTraceSourceAccessor(&NodeCpu::m_jobTrace),
                          "ns3::NodeCpu::JobTracedCallback")
          .AddTraceSource("Shed", "A received message was dropped: the parse queue was full.",
                          MakeTraceSourceAccessor(&NodeCpu::m_shedTrace),
                          "ns3::NodeCpu::ShedTracedCallback");
  return tid;
}

NodeCpu::NodeCpu() = default;

Ptr<NodeCpu> NodeCpu::GetOrCreate(Ptr<Node> node) {
  Ptr<NodeCpu> cpu = node->GetObject<NodeCpu>();
  if (!cpu) {
    cpu = CreateObject<NodeCpu>();
    node->AggregateObject(cpu);
  }
  return cpu;
}

void NodeCpu::SetCalibration(Ptr<CpuCalibration> calibration) { m_calibration = calibration; }

Time NodeCpu::Submit(Time cost, std::function<void()> done) {
  const Time now = Simulator::Now();
  const Time start = m_freeAt > now ? m_freeAt : now;
  const Time wait = start - now;
  const Time end = start + cost;
  ++m_jobs;
  m_busy += cost;
  m_totalWait += wait;
  if (wait > m_maxWait) m_maxWait = wait;
  m_jobTrace(cost, wait);
  if (end == now && m_pending.empty()) {
    // Nothing to wait for: run inline, which keeps idle nodes event-free.
    done();
    return now;
  }
  m_freeAt = end;
  m_pending.push_back(std::move(done));
  Simulator::Schedule(end - now, &NodeCpu::Complete, this);
  return end;
}

void NodeCpu::Complete() {
  if (m_pending.empty()) return;  // disposed with the event still scheduled
  // The continuation may submit more jobs: take it off the queue first.
  std::function<void()> done = std::move(m_pending.front());
  m_pending.pop_front();
  done();
}

void NodeCpu::DoDispose() {
  m_pending.clear();
  m_calibration = nullptr;
  Object::DoDispose();
}

bool NodeCpu::AdmitMessage(std::uint32_t bytes) {
  if (m_maxQueuedBytes == 0 || m_queuedMessageBytes + bytes <= m_maxQueuedBytes) {
    m_queuedMessageBytes += bytes;
    return true;
  }
  ++m_shed;
  m_shedTrace(bytes, m_queuedMessageBytes);
  return false;
}

bool NodeCpu::TryRunInline(Time cost) {
  if (!cost.IsZero() || !m_pending.empty()) return false;
  ++m_jobs;
  m_jobTrace(cost, Time());
  return true;
}

Time NodeCpu::Cost(const CpuWork& work) const {
  const double ns = m_live ? static_cast<double>(work.measured.GetNanoSeconds())
                   : work.curve ? work.curve->NsAt(work.sizeBytes)
                                : 0.0;
  return NanoSeconds(static_cast<int64_t>(ns * m_speedFactor + 0.5));
}

Time NodeCpu::Charge(const CpuWork& work, std::function<void()> done) {
  if (!m_live && !work.curve) ++m_uncalibrated;
  return Submit(Cost(work), std::move(done));
}

Time NodeCpu::Charge(const std::string& operation, const std::string& algorithm,
                     std::uint64_t sizeBytes, std::function<void()> done) {
  const CpuCalibration::Curve* curve =
      m_calibration ? m_calibration->Find(operation, algorithm) : nullptr;
  if (!curve && !m_warnedUncalibrated) {
    m_warnedUncalibrated = true;
    NS_LOG_WARN("no calibration for (" << operation << ", " << algorithm
                                       << "): charged as zero and counted");
  }
  return Charge(CpuWork{curve, sizeBytes, Time()}, std::move(done));
}

Time NodeCpu::CostOf(const std::string& operation, const std::string& algorithm,
                     std::uint64_t sizeBytes) const {
  return Cost(CpuWork{m_calibration ? m_calibration->Find(operation, algorithm) : nullptr, sizeBytes, Time()});
}

LiveClock::LiveClock(const NodeCpu& cpu) : m_on(cpu.IsLive()) { Restart(); }

void LiveClock::Restart() {
  if (m_on) m_start = std::chrono::steady_clock::now();
}

Time LiveClock::Elapsed() const {
  if (!m_on) return Time();
  return NanoSeconds(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - m_start).count());
}

}  // namespace ns3
