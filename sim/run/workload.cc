#include "workload.h"

#include <algorithm>
#include <cmath>

#include "ns3/double.h"
#include "ns3/simulator.h"

namespace sipim::run {

using namespace ns3;

namespace {
// Fixed stream numbers for the workload's random variables, far above what
// ns-3 hands out automatically, so the models' own streams never shift them.
constexpr std::int64_t kStreamBase = 1 << 20;
}  // namespace

Workload::Workload(const RunConfig& config, const Topology& topology, const std::vector<Ptr<SipUserAgent>>& uas,
                   Collector& collector)
    : config_(config), topology_(topology), uas_(uas), collector_(collector) {
  mode_ = config.mode == "pager"              ? SipImMode::kPager
          : config.mode == "session-stripped" ? SipImMode::kSessionStripped
                                              : SipImMode::kSessionMsrp;
  pick_ = CreateObject<UniformRandomVariable>();
  pick_->SetStream(kStreamBase);
  think_ = CreateObject<ExponentialRandomVariable>();
  think_->SetAttribute("Mean", DoubleValue(config.think_time_s));
  think_->SetStream(kStreamBase + 1);
  const SizeDistribution& d = config.message_size;
  if (d.kind == SizeDistribution::Kind::kExponential) {
    Ptr<ExponentialRandomVariable> e = CreateObject<ExponentialRandomVariable>();
    e->SetAttribute("Mean", DoubleValue(double(d.a)));
    size_ = e;
  } else {
    Ptr<UniformRandomVariable> u = CreateObject<UniformRandomVariable>();
    u->SetAttribute("Min", DoubleValue(double(d.a)));
    u->SetAttribute("Max", DoubleValue(double(d.b) + 1));  // integers a..b inclusive
    size_ = u;
  }
  size_->SetStream(kStreamBase + 2);
  collector_.SetOutcomeListener([this](std::uint64_t im) { OnOutcome(im); });
}

std::string Workload::Aor(std::uint32_t domain, std::uint32_t user) const {
  return "sip:" + UserName(domain, user) + "@" + DomainName(domain);
}

void Workload::Start() {
  for (std::uint64_t s = 0; s < config_.concurrent; ++s) {
    // Slots start spread over one think time, so that they do not all
    // fire in the same instant.
    const double offset = config_.concurrent > 1 ? pick_->GetValue(0, config_.think_time_s) : 0.0;
    Simulator::Schedule(Seconds(config_.start_time_s + offset), &Workload::StartConversation, this);
  }
}

std::vector<std::string> Workload::PickRecipients(std::uint32_t domain, std::uint32_t user) {
  // Candidate users as (domain, user) flattened; drawn without replacement.
  const std::uint32_t users = config_.users_per_domain;
  const std::uint64_t all = std::uint64_t{config_.domains} * users;
  std::vector<std::string> out;
  std::vector<std::uint64_t> chosen;
  while (out.size() < config_.group_size) {
    std::uint64_t candidate;
    if (config_.recipients == "local") {
      candidate = std::uint64_t{domain} * users + pick_->GetInteger(0, users - 1);
    } else {
      candidate = pick_->GetInteger(0, static_cast<std::uint32_t>(all - 1));
    }
    const std::uint32_t d = static_cast<std::uint32_t>(candidate / users);
    const std::uint32_t u = static_cast<std::uint32_t>(candidate % users);
    if (d == domain && u == user) continue;
    if (config_.recipients == "remote" && d == domain) continue;
    if (std::find(chosen.begin(), chosen.end(), candidate) != chosen.end()) continue;
    chosen.push_back(candidate);
    out.push_back(Aor(d, u));
  }
  return out;
}

std::uint32_t Workload::DrawSize() {
  const SizeDistribution& d = config_.message_size;
  if (d.kind == SizeDistribution::Kind::kFixed) return static_cast<std::uint32_t>(d.a);
  const double v = std::floor(size_->GetValue());
  return static_cast<std::uint32_t>(std::max(1.0, std::min(v, double(kMaxMessageSize))));
}

double Workload::DrawThink() { return config_.think_exponential ? think_->GetValue() : config_.think_time_s; }

void Workload::StartConversation() {
  if (started_ >= config_.conversations) return;
  const std::uint64_t c = started_++;
  const std::uint32_t users = config_.users_per_domain;
  const std::uint64_t user_index = c % (std::uint64_t{config_.domains} * users);
  const std::uint32_t domain = static_cast<std::uint32_t>(user_index / users);
  const std::uint32_t user = static_cast<std::uint32_t>(user_index % users);
  Conversation conv;
  conv.sender = topology_.UaIndex(config_, domain, user, 0);
  conv.recipients = PickRecipients(domain, user);
  conv.to_send = config_.messages_per_conversation;
  conversations_.push_back(std::move(conv));
  SendNext(c);
}

void Workload::SendNext(std::uint64_t c) {
  Conversation& conv = conversations_[c];
  if (conv.to_send == 0) return;
  --conv.to_send;
  const std::uint32_t size = DrawSize();
  for (const auto& to : conv.recipients) {
    ++conv.outstanding;
    ++ims_requested_;
    const std::uint64_t im = uas_[conv.sender]->SendIm(to, size, mode_);
    collector_.SetConversation(im, static_cast<std::int64_t>(c));
    if (collector_.HasOutcome(im)) {
      --conv.outstanding;  // failed at once (e.g. refused locally)
    } else {
      conversation_of_[im] = c;
    }
  }
  if (conv.to_send > 0) {
    Simulator::Schedule(Seconds(DrawThink()), &Workload::SendNext, this, c);
  }
  MaybeFinish(c);
}

void Workload::OnOutcome(std::uint64_t im) {
  const auto it = conversation_of_.find(im);
  if (it == conversation_of_.end()) return;  // inside SendIm: counted there
  const std::uint64_t c = it->second;
  conversation_of_.erase(it);
  --conversations_[c].outstanding;
  MaybeFinish(c);
}

void Workload::MaybeFinish(std::uint64_t c) {
  Conversation& conv = conversations_[c];
  if (conv.finished || conv.to_send > 0 || conv.outstanding > 0) return;
  conv.finished = true;
  if (mode_ != SipImMode::kPager && config_.session_per_conversation) {
    for (const auto& to : conv.recipients) uas_[conv.sender]->EndSession(to);
  }
  ++finished_;
  // The slot's next conversation starts a think time later, as a user
  // would (and never from inside a trace callback).
  Simulator::Schedule(Seconds(DrawThink()), &Workload::StartConversation, this);
  if (Done() && on_done_) on_done_();
}

}  // namespace sipim::run
