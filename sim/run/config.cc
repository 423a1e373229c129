#include "config.h"

namespace sipim::run {

std::vector<PointValues> ExpandPoints(const ResolvedOptions& options) {
  PointValues base;
  for (const auto& [key, setting] : options.settings) base[key] = setting.value;
  std::vector<PointValues> points{base};
  for (const auto& sweep : options.sweeps) {
    std::vector<PointValues> next;
    next.reserve(points.size() * sweep.values.size());
    for (const auto& p : points) {
      for (const auto& v : sweep.values) {
        PointValues q = p;
        q[sweep.key] = v;
        next.push_back(std::move(q));
      }
    }
    points = std::move(next);
  }
  return points;
}

namespace {

// Reads values[key] with `parse`; on failure fills *error with the key.
template <typename T, typename Parse>
bool Read(const PointValues& values, const char* key, T* out, Parse parse, std::string* error) {
  const auto it = values.find(key);
  if (it == values.end()) {
    *error = std::string("missing key '") + key + "'";
    return false;
  }
  std::string why;
  if (!parse(it->second, out, &why)) {
    *error = std::string("key '") + key + "': " + why;
    return false;
  }
  return true;
}

bool AsString(const std::string& text, std::string* out, std::string*) {
  *out = text;
  return true;
}

bool AsU32(const std::string& text, std::uint32_t* out, std::string* error) {
  std::uint64_t v;
  if (!ParseUint(text, &v, error)) return false;
  if (v > 0xffffffffu) {
    *error = "'" + text + "' is too large";
    return false;
  }
  *out = static_cast<std::uint32_t>(v);
  return true;
}

bool AsMtu(const std::string& text, std::uint32_t* out, std::string* error) {
  std::uint64_t v;
  if (!ParseBytes(text, &v, error)) return false;
  *out = static_cast<std::uint32_t>(v);
  return true;
}

bool ReadLink(const PointValues& values, const std::string& prefix, LinkConfig* link, std::string* error) {
  const std::string rate = prefix + ".rate", delay = prefix + ".delay", loss = prefix + ".loss",
                    mtu = prefix + ".mtu";
  return Read(values, rate.c_str(), &link->rate_bps, ParseRate, error) &&
         Read(values, delay.c_str(), &link->delay_s, ParseDuration, error) &&
         Read(values, loss.c_str(), &link->loss, ParseProbability, error) &&
         Read(values, mtu.c_str(), &link->mtu, AsMtu, error);
}

}  // namespace

std::optional<SettingConflict> PointConflict(const RunConfig& c) {
  // S/MIME protects each IM's body in any mode (a pager MESSAGE, a stripped
  // MESSAGE or an MSRP SEND); MIKEY keys a session. MIKEY in pager mode is
  // not a standard pairing and is not modelled: say so rather than run
  // unprotected.
  if (c.security == "mikey" && c.mode == "pager") {
    return SettingConflict{"security", "mode",
                           "security = mikey keys a session, but mode = pager sends no session: use mode = "
                           "session-stripped or session-msrp, or security = smime"};
  }
  // Ordering is an SCTP choice: on UDP or TCP it would change nothing and
  // the point would repeat the unordered one under another name.
  if (c.transport != "sctp") {
    const auto needs_sctp = [&](const char* key, const std::string& value) {
      return SettingConflict{key, "transport",
                             std::string(key) + " = " + value + " applies to SIP over SCTP, but transport = " +
                                 c.transport + ": use transport = sctp"};
    };
    if (c.sctp_ordering == "ordered") return needs_sctp("sctp_ordering", c.sctp_ordering);
    if (c.sctp_streams != 1) return needs_sctp("sctp_streams", std::to_string(c.sctp_streams));
    if (c.sctp_interleaving) return needs_sctp("sctp_interleaving", "true");
  }
  return std::nullopt;
}

std::optional<std::string> BuildConfig(const PointValues& v, RunConfig* c) {
  std::string e;
  std::string routing, think, cpu;
  const bool ok =
      Read(v, "name", &c->name, AsString, &e) && Read(v, "seed", &c->seed, ParseUint, &e) &&
      Read(v, "run", &c->run, ParseUint, &e) && Read(v, "stop_time", &c->stop_time_s, ParseDuration, &e) &&
      Read(v, "pcap", &c->pcap, ParseBool, &e) && Read(v, "wire_trace", &c->wire_trace, ParseBool, &e) &&
      Read(v, "progress", &c->progress, ParseBool, &e) &&
      Read(v, "calibration", &c->calibration_dir, AsString, &e) &&
      Read(v, "register", &c->register_uas, ParseBool, &e) && Read(v, "domains", &c->domains, AsU32, &e) &&
      Read(v, "users_per_domain", &c->users_per_domain, AsU32, &e) &&
      Read(v, "devices_per_user", &c->devices_per_user, AsU32, &e) &&
      Read(v, "routing", &routing, AsString, &e) && ReadLink(v, "access", &c->access, &e) &&
      ReadLink(v, "core", &c->core, &e) && Read(v, "mode", &c->mode, AsString, &e) &&
      Read(v, "transport", &c->transport, AsString, &e) &&
      Read(v, "session_transport", &c->session_transport, AsString, &e) &&
      Read(v, "sctp_ordering", &c->sctp_ordering, AsString, &e) &&
      Read(v, "sctp_streams", &c->sctp_streams, AsU32, &e) &&
      Read(v, "sctp_interleaving", &c->sctp_interleaving, ParseBool, &e) &&
      Read(v, "conversations", &c->conversations, ParseUint, &e) &&
      Read(v, "concurrent", &c->concurrent, ParseUint, &e) &&
      Read(v, "messages_per_conversation", &c->messages_per_conversation, ParseUint, &e) &&
      Read(v, "message_size", &c->message_size, ParseSizeDistribution, &e) &&
      Read(v, "think_time", &c->think_time_s, ParseDuration, &e) &&
      Read(v, "think_distribution", &think, AsString, &e) &&
      Read(v, "group_size", &c->group_size, AsU32, &e) &&
      Read(v, "recipients", &c->recipients, AsString, &e) &&
      Read(v, "start_time", &c->start_time_s, ParseDuration, &e) &&
      Read(v, "answer_pause", &c->answer_pause_s, ParseDuration, &e) &&
      Read(v, "connection_setup", &c->connection_setup, AsString, &e) &&
      Read(v, "record_route", &c->record_route, ParseBool, &e) &&
      Read(v, "large_message", &c->large_message, AsString, &e) &&
      Read(v, "message_size_limit", &c->message_size_limit, AsU32, &e) &&
      Read(v, "msrp_success_report", &c->msrp_success_report, ParseBool, &e) &&
      Read(v, "session_per_conversation", &c->session_per_conversation, ParseBool, &e) &&
      Read(v, "t1", &c->t1_s, ParseDuration, &e) && Read(v, "t2", &c->t2_s, ParseDuration, &e) &&
      Read(v, "t4", &c->t4_s, ParseDuration, &e) && Read(v, "timer_c", &c->timer_c_s, ParseDuration, &e) &&
      Read(v, "cpu", &cpu, AsString, &e) &&
      Read(v, "security", &c->security, AsString, &e) &&
      Read(v, "smime.algorithm", &c->smime_algorithm, AsString, &e) &&
      Read(v, "smime.cipher", &c->smime_cipher, AsString, &e) &&
      Read(v, "smime.cert_cache", &c->smime_cert_cache, ParseBool, &e) &&
      Read(v, "mikey.mode", &c->mikey_mode, AsString, &e) && Read(v, "seal.suite", &c->seal_suite, AsString, &e);
  if (!ok) return e;
  c->global_routing = routing == "global";
  c->think_exponential = think == "exponential";
  c->cpu = cpu != "off";
  c->cpu_live = cpu == "live";
  // Cross-key checks: things each key alone cannot see.
  const std::uint64_t users = std::uint64_t{c->domains} * c->users_per_domain;
  if (c->TotalUas() > 1000000) return std::string("more than 1 000 000 UAs (domains x users x devices)");
  // The IM count is reported and accounted in 64 bits: past that it wraps.
  std::uint64_t per_conversation = 0, ims = 0;
  if (__builtin_mul_overflow(c->messages_per_conversation, std::uint64_t{c->group_size}, &per_conversation) ||
      __builtin_mul_overflow(c->conversations, per_conversation, &ims)) {
    return "conversations x messages_per_conversation x group_size (" + v.at("conversations") + " x " +
           v.at("messages_per_conversation") + " x " + v.at("group_size") + ") is more than 18446744073709551615 IMs";
  }
  if (c->recipients == "remote" && c->domains < 2) return std::string("recipients = remote needs domains >= 2");
  if (c->recipients == "local" && c->users_per_domain < 2)
    return std::string("recipients = local needs users_per_domain >= 2");
  const std::uint64_t candidates = c->recipients == "remote"  ? users - c->users_per_domain
                                   : c->recipients == "local" ? c->users_per_domain - 1
                                                              : users - 1;
  if (c->group_size > candidates) {
    return "group_size " + std::to_string(c->group_size) + " exceeds the " + std::to_string(candidates) +
           " possible recipients";
  }
  // A retransmission interval starts at T1 and is capped at T2: below T1 it
  // could be a nanosecond, and 64*T1 of those never ends.
  if (c->t2_s < c->t1_s) {
    return "t2 (" + v.at("t2") + ") is below t1 (" + v.at("t1") + ")";
  }
  if (c->start_time_s >= c->stop_time_s) {
    return "start_time (" + v.at("start_time") + ") is not before stop_time (" + v.at("stop_time") +
           "): no IM would be sent";
  }
  if (auto conflict = PointConflict(*c)) return conflict->why;
  if (c->concurrent > c->conversations) c->concurrent = c->conversations;
  if (c->domains > 65000) return std::string("more than 65000 domains");
  return std::nullopt;
}

}  // namespace sipim::run
