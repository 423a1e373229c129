#pragma once
// The traffic of a scenario: `conversations` conversations, `concurrent` of
// them at once (a finished one frees its slot for the next, which starts a
// think time later). A conversation
// is one sender and `group_size` recipients exchanging
// `messages_per_conversation` IMs: each IM goes to every recipient (group
// chat to K users is K IMs), IMs are `think_time` apart (exponential or
// constant), sizes are drawn from `message_size`. Senders take turns over
// all users (conversation c is sent by user c mod users, so conversation 0
// is Dan's); recipients are drawn at random (ns-3 random streams, so the
// seed and run decide them). In session mode the conversation ends with BYE.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "config.h"
#include "metrics.h"
#include "ns3/random-variable-stream.h"
#include "ns3/sip/sip-user-agent.h"
#include "topology.h"

namespace sipim::run {

class Workload {
 public:
  Workload(const RunConfig& config, const Topology& topology, const std::vector<ns3::Ptr<ns3::SipUserAgent>>& uas,
           Collector& collector);
  // Schedules the first conversation of every slot.
  void Start();
  bool Done() const { return finished_ == config_.conversations; }
  std::uint64_t conversations_finished() const { return finished_; }
  std::uint64_t ims_requested() const { return ims_requested_; }
  // Called when everything is finished (to stop the simulation).
  void SetDoneListener(std::function<void()> f) { on_done_ = std::move(f); }

 private:
  struct Conversation {
    std::size_t sender = 0;  // index into uas
    std::vector<std::string> recipients;
    std::uint64_t to_send = 0;
    std::uint64_t outstanding = 0;
    bool finished = false;
  };
  void StartConversation();
  void SendNext(std::uint64_t c);
  void OnOutcome(std::uint64_t im);
  void MaybeFinish(std::uint64_t c);
  std::string Aor(std::uint32_t domain, std::uint32_t user) const;
  std::vector<std::string> PickRecipients(std::uint32_t domain, std::uint32_t user);
  std::uint32_t DrawSize();
  double DrawThink();

  const RunConfig& config_;
  const Topology& topology_;
  const std::vector<ns3::Ptr<ns3::SipUserAgent>>& uas_;
  Collector& collector_;
  ns3::SipImMode mode_;
  std::vector<Conversation> conversations_;
  std::unordered_map<std::uint64_t, std::uint64_t> conversation_of_;  // ImId -> conversation
  std::uint64_t started_ = 0, finished_ = 0, ims_requested_ = 0;
  ns3::Ptr<ns3::UniformRandomVariable> pick_;
  ns3::Ptr<ns3::ExponentialRandomVariable> think_;
  ns3::Ptr<ns3::RandomVariableStream> size_;
  std::function<void()> on_done_;
};

}  // namespace sipim::run
