#pragma once
// One CPU per node, serving work in FIFO order.
//
// Every model on a node hands its processing to the node's NodeCpu: a job
// with a cost starts when the CPU is free (or now), finishes `cost` later,
// and only then does its continuation run. So a busy node delays the next
// message and a loaded proxy saturates. Costs come from a CpuCalibration
// (measured by the benchmarks); Charge() looks them up by (operation,
// algorithm, size). With the attribute Live, a job costs instead what the
// real call took when the simulation made it (a LiveClock around the
// call): the calibration is then not consulted at all. The SIP models charge parsing as ("parse", "sip" or
// "msrp", message bytes). Crypto is charged through the same curves by
// SipImSecurity::Charge (sip-im-security.h): ("smime_sign_encrypt",
// "rsa2048-aes128gcm-r1", plaintext bytes), ("mikey_i_process", "dh", I
// bytes), ("seal", "aes128gcm", plaintext bytes) and so on.
//
// Implementation: the CPU is one "free at" time; a job's completion is one
// scheduled event. Completion times never decrease in submission order and
// ns-3 runs events of equal time in insertion order, so the events fire in
// submission order: each one runs the oldest continuation of a FIFO. The
// event itself carries no payload (a member-function event, no copy of the
// continuation). A job of zero cost on an idle CPU runs inline.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "ns3/node.h"
#include "ns3/nstime.h"
#include "ns3/object.h"
#include "ns3/ptr.h"
#include "ns3/sip/cpu-calibration.h"
#include "ns3/traced-callback.h"

namespace ns3 {

// One piece of work to charge: the calibration curve that prices it at
// `sizeBytes`, and the time its real call took (`measured`, from a
// LiveClock; zero when the CPU is not live, where it is not read).
struct CpuWork {
  const CpuCalibration::Curve* curve = nullptr;
  std::uint64_t sizeBytes = 0;
  Time measured;
};

class NodeCpu : public Object {
 public:
  static TypeId GetTypeId();
  NodeCpu();

  // The NodeCpu aggregated to `node`, created (without calibration) if absent.
  static Ptr<NodeCpu> GetOrCreate(Ptr<Node> node);

  void SetCalibration(Ptr<CpuCalibration> calibration);
  Ptr<CpuCalibration> GetCalibration() const { return m_calibration; }
  // Attribute Live: costs are the measured times of the real calls.
  bool IsLive() const { return m_live; }

  // Queues a job costing exactly `cost`; `done` runs when it completes.
  // Returns the completion time.
  Time Submit(Time cost, std::function<void()> done);

  // Accounts a job of `cost` that the caller runs inline, and returns true,
  // when that is what Submit would do (zero cost, nothing queued): the hot
  // path then needs no continuation object. Otherwise returns false and
  // accounts nothing.
  bool TryRunInline(Time cost);
  // Counts a job whose (operation, algorithm) the calibration lacks, for
  // callers that look the curve up once and use Submit/TryRunInline.
  void NoteUncalibrated() { ++m_uncalibrated; }

  // Queues the cost of (operation, algorithm, sizeBytes) from the
  // calibration. A pair the table lacks costs zero and is counted in
  // GetUncalibratedJobs() (and logged once), so a missing table is visible.
  // (On a live CPU nothing was measured: the job costs zero.)
  Time Charge(const std::string& operation, const std::string& algorithm,
              std::uint64_t sizeBytes, std::function<void()> done);
  // Queues the cost of `work` (hot path: the curve looked up once). A
  // calibrated CPU without a curve charges zero and counts the job as
  // uncalibrated; a live one charges work.measured.
  Time Charge(const CpuWork& work, std::function<void()> done);

  // What Charge(work) costs (SpeedFactor applied), without queueing or
  // counting anything.
  Time Cost(const CpuWork& work) const;
  // What Charge would cost, without queueing anything.
  Time CostOf(const std::string& operation, const std::string& algorithm,
              std::uint64_t sizeBytes) const;

  // Load shedding of received messages (attribute MaxQueuedBytes): a
  // message about to wait for the CPU is admitted while the bytes of the
  // messages already waiting stay within the cap; over it, it is refused
  // (false), counted and traced ("Shed") and its caller drops it
  // unparsed. An admitted message is released when its parse job starts.
  bool AdmitMessage(std::uint32_t bytes);
  void ReleaseMessage(std::uint32_t bytes) { m_queuedMessageBytes -= bytes; }
  std::uint64_t GetQueuedMessageBytes() const { return m_queuedMessageBytes; }
  std::uint64_t GetShedMessages() const { return m_shed; }

  // Counts one message handled by a model on this node (per-node result).
  void CountMessage() { ++m_messagesHandled; }

  Time GetBusyTime() const { return m_busy; }
  std::uint64_t GetJobs() const { return m_jobs; }
  std::uint64_t GetMessagesHandled() const { return m_messagesHandled; }
  std::uint64_t GetUncalibratedJobs() const { return m_uncalibrated; }
  // Total and largest time jobs waited for the CPU (queueing delay).
  Time GetTotalWait() const { return m_totalWait; }
  Time GetMaxWait() const { return m_maxWait; }
  // When the CPU will next be idle (<= Now() when idle).
  Time GetFreeAt() const { return m_freeAt; }

  // Trace "Job": (cost, wait) of every job as it is queued.
  typedef void (*JobTracedCallback)(Time cost, Time wait);
  // Trace "Shed": a received message of `bytes` refused, with `queued`
  // bytes of messages waiting for the CPU.
  typedef void (*ShedTracedCallback)(std::uint32_t bytes, std::uint64_t queued);

 protected:
  void DoDispose() override;

 private:
  // A completion event: runs the oldest queued continuation.
  void Complete();

  Ptr<CpuCalibration> m_calibration;
  double m_speedFactor = 1.0;
  bool m_live = false;
  Time m_freeAt;
  Time m_busy;
  Time m_totalWait;
  Time m_maxWait;
  std::deque<std::function<void()>> m_pending;  // continuations not yet run, oldest first
  std::uint64_t m_jobs = 0;
  std::uint64_t m_messagesHandled = 0;
  std::uint64_t m_uncalibrated = 0;
  bool m_warnedUncalibrated = false;
  TracedCallback<Time, Time> m_jobTrace;
  std::uint64_t m_maxQueuedBytes = 0;
  std::uint64_t m_queuedMessageBytes = 0;
  std::uint64_t m_shed = 0;
  TracedCallback<std::uint32_t, std::uint64_t> m_shedTrace;
};

// Times a real call for a live NodeCpu, and does nothing for a calibrated
// one (the hot path then reads no clock):
//   LiveClock clock(*cpu);
//   auto body = SmimeSend(...);
//   cpu->Charge(CpuWork{curve, text.size(), clock.Elapsed()}, ...);
// Wall time on a monotonic clock (steady_clock: about 30 ns a read here).
// The calibration is the benchmarks' CPU time, but this thread's CPU clock
// (CLOCK_THREAD_CPUTIME_ID) is a system call costing about 0.7 us a read on
// this VM, as much as the parse it would time; so a call the host
// preempts is charged the preemption too, one reason live results differ
// from run to run and a loaded machine inflates them.
class LiveClock {
 public:
  explicit LiveClock(const NodeCpu& cpu);
  // Time since construction (zero when the CPU is not live).
  Time Elapsed() const;
  // Restarts the clock (for the next call).
  void Restart();

 private:
  bool m_on;
  std::chrono::steady_clock::time_point m_start;
};

}  // namespace ns3
