#pragma once
// The typed configuration of one simulation point: the resolved options,
// with a sweep point's values applied, turned into numbers and enums.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "options.h"
#include "units.h"

namespace sipim::run {

struct LinkConfig {
  double rate_bps = 100e6;
  double delay_s = 0.002;
  double loss = 0;
  std::uint32_t mtu = 1500;
};

struct RunConfig {
  std::string name;
  std::uint64_t seed = 1;
  std::uint64_t run = 1;
  double stop_time_s = 3600;
  bool pcap = false;
  bool wire_trace = false;
  bool progress = true;
  std::string calibration_dir = "results/calibration";
  bool register_uas = true;

  std::uint32_t domains = 2;
  std::uint32_t users_per_domain = 1;
  std::uint32_t devices_per_user = 1;
  bool global_routing = false;
  LinkConfig access, core;

  std::string mode = "pager";  // pager | session-stripped | session-msrp
  std::string transport = "udp";
  std::string session_transport = "tcp";
  std::string sctp_ordering = "unordered";  // SIP over SCTP: unordered | ordered
  std::uint32_t sctp_streams = 1;           // SIP over SCTP: streams used
  bool sctp_interleaving = false;           // SIP over SCTP: I-DATA + round-robin
  std::uint64_t conversations = 1;
  std::uint64_t concurrent = 1;
  std::uint64_t messages_per_conversation = 1;
  SizeDistribution message_size;
  double think_time_s = 1;
  bool think_exponential = true;
  std::uint32_t group_size = 1;
  std::string recipients = "remote";
  double start_time_s = 1;
  double answer_pause_s = 0;
  std::string connection_setup = "both";
  bool record_route = false;
  std::string large_message = "switch-to-tcp";
  std::uint32_t message_size_limit = 1300;
  bool msrp_success_report = false;
  bool session_per_conversation = true;
  double t1_s = 0.5, t2_s = 4, t4_s = 5;
  double timer_c_s = 181;  // the proxies' timer C; 0 = off
  bool cpu = true;        // charge CPU costs (cpu = calibrated or live)
  bool cpu_live = false;  // cpu = live: measured times of the real calls, no calibration
  std::string security = "none";  // none | smime | mikey
  std::string smime_algorithm = "rsa2048";
  std::string smime_cipher = "aes128gcm";
  bool smime_cert_cache = false;
  std::string mikey_mode = "dh";
  std::string seal_suite = "aes128gcm";

  std::uint64_t TotalUas() const {
    return std::uint64_t{domains} * users_per_domain * devices_per_user;
  }
};

// Key -> value of one point: the resolved settings with the point's sweep
// values in place.
using PointValues = std::map<std::string, std::string>;

// Every point of the sweeps' cartesian product, in order (the last sweep
// varies fastest). No sweeps: one point with the settings as they are.
std::vector<PointValues> ExpandPoints(const ResolvedOptions& options);

// A pair of settings that is not modelled or means nothing: the two keys
// and why. Set by hand it is an error; produced by sweeping both keys
// against each other, the point is skipped and listed.
struct SettingConflict {
  const char* key_a;
  const char* key_b;
  std::string why;
};
// security = mikey with mode = pager (not a standard pairing, not
// modelled); sctp_ordering = ordered without transport = sctp (no SIP over
// SCTP to order). Nothing when the point is consistent.
std::optional<SettingConflict> PointConflict(const RunConfig& config);

// Converts one point to typed values; the options were validated already,
// so a failure here names the key and is a bug or a cross-key conflict.
std::optional<std::string> BuildConfig(const PointValues& values, RunConfig* out);

}  // namespace sipim::run
