#include "options.h"

#include <sys/stat.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

#include "common/read_file.h"
#include "memory_limit.h"
#include "units.h"

namespace po = boost::program_options;

namespace sipim::run {
namespace {

// The largest scenario file read.
constexpr off_t kMaxScenarioBytes = 1 << 20;

// The most point-runs (sweep points x replications) one `sipim run` takes.
constexpr std::uint64_t kMaxPointRuns = 100000;

// Validators: each returns "" when the value is acceptable.
std::string AnyString(const std::string&) { return ""; }
std::string PositiveUint(const std::string& v) {
  std::uint64_t x;
  std::string e;
  if (!ParseUint(v, &x, &e)) return e;
  return x == 0 ? "'" + v + "' must be at least 1" : "";
}
// A count held in 32 bits (and ns-3's 32-bit RngSeed): a larger value
// would be cut, aliasing another.
std::string PositiveU32(const std::string& v) {
  std::uint64_t x;
  std::string e;
  if (!ParseUint(v, &x, &e)) return e;
  return (x == 0 || x > 4294967295u) ? "'" + v + "' is outside 1..4294967295" : "";
}
std::string StreamCount(const std::string& v) {
  std::uint64_t x;
  std::string e;
  if (!ParseUint(v, &x, &e)) return e;
  return (x == 0 || x > 65535) ? "'" + v + "' is outside 1..65535" : "";
}
std::string Bool(const std::string& v) {
  bool x;
  std::string e;
  return ParseBool(v, &x, &e) ? "" : e;
}
std::string Duration(const std::string& v) {
  double x;
  std::string e;
  return ParseDuration(v, &x, &e) ? "" : e;
}
// A SIP timer: zero would retransmit every 0 s (T2) or time out at once (T1).
std::string PositiveDuration(const std::string& v) {
  double x;
  std::string e;
  if (!ParseDuration(v, &x, &e)) return e;
  return x == 0 ? "duration '" + v + "' must be above 0" : "";
}
std::string Rate(const std::string& v) {
  double x;
  std::string e;
  return ParseRate(v, &x, &e) ? "" : e;
}
std::string Probability(const std::string& v) {
  double x;
  std::string e;
  return ParseProbability(v, &x, &e) ? "" : e;
}
std::string Mtu(const std::string& v) {
  std::uint64_t x;
  std::string e;
  if (!ParseBytes(v, &x, &e)) return e;
  return (x < 576 || x > 65535) ? "MTU '" + v + "' is outside 576..65535" : "";
}
std::string Sizes(const std::string& v) {
  SizeDistribution d;
  std::string e;
  return ParseSizeDistribution(v, &d, &e) ? "" : e;
}
std::string OneOf(const std::string& v, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return "";
    list += list.empty() ? "" : ", ";
    list += a;
  }
  return "'" + v + "' is not one of " + list;
}
std::string Mode(const std::string& v) { return OneOf(v, {"pager", "session-stripped", "session-msrp"}); }
std::string Transport(const std::string& v) { return OneOf(v, {"udp", "tcp", "sctp"}); }
std::string SessionTransport(const std::string& v) { return OneOf(v, {"tcp", "sctp"}); }
std::string SctpOrdering(const std::string& v) { return OneOf(v, {"unordered", "ordered"}); }
std::string Setup(const std::string& v) { return OneOf(v, {"both", "active", "passive"}); }
std::string LargeMessage(const std::string& v) {
  return OneOf(v, {"switch-to-tcp", "fragment", "reject", "refuse"});
}
std::string Recipients(const std::string& v) { return OneOf(v, {"remote", "local", "any"}); }
std::string Think(const std::string& v) { return OneOf(v, {"exponential", "constant"}); }
std::string Routing(const std::string& v) { return OneOf(v, {"static", "global"}); }
std::string MemoryLimitValue(const std::string& v) {
  if (v == "auto" || v == "off") return "";
  std::uint64_t bytes = 0;
  std::string how, e;
  return ResolveMemoryLimit(v, 1, &bytes, &how, &e) ? "" : e;
}
std::string Cpu(const std::string& v) { return OneOf(v, {"calibrated", "live", "off"}); }
std::string Security(const std::string& v) { return OneOf(v, {"none", "smime", "mikey"}); }
std::string SmimeAlgorithm(const std::string& v) { return OneOf(v, {"rsa2048", "p256"}); }
std::string SmimeCipher(const std::string& v) { return OneOf(v, {"aes128gcm", "aes128cbc"}); }
std::string MikeyMode(const std::string& v) { return OneOf(v, {"psk", "pke", "dh", "dhhmac", "ecdh-ext"}); }
std::string SealSuite(const std::string& v) { return OneOf(v, {"aes128gcm", "aescm-hmacsha1-80"}); }
// The name is a directory under results/: no separators, and not . or ..
std::string ScenarioName(const std::string& v) {
  if (v.find_first_of("/\\ \t") != std::string::npos || v == "." || v == "..") {
    return "'" + v + "' must be a plain name";
  }
  return "";
}

const std::vector<OptionSpec> kTable = {
    // The run.
    {"name", "", "scenario name; default: the scenario file's name without .ini", ScenarioName},
    {"description", "", "one line saying what the scenario asks", AnyString},
    {"seed", "1", "seed of every random stream (ns-3 RngSeedManager), 1..4294967295", PositiveU32},
    {"run", "1", "first run number (ns-3 RngRun); replications use run, run+1, ...", PositiveUint},
    {"replications", "1", "independent runs of each sweep point", PositiveUint},
    {"stop_time", "3600s", "simulated time limit; IMs still pending then are reported 'unfinished'", Duration},
    {"out", "", "results directory; default results/<name>", AnyString},
    {"pcap", "false", "write one pcap per link under <out>/pcap/", Bool},
    {"wire_trace", "false", "write wire.csv: every packet on every link", Bool},
    {"progress", "true", "show progress on stderr", Bool},
    {"jobs", "1", "sweep points run in parallel (one process each)", PositiveUint},
    {"memory_limit", "auto",
     "memory each point-run may take before it stops, saying so: auto (3/4 of the machine's memory, shared by "
     "the point-runs running at once) | off | a size (8GiB)",
     MemoryLimitValue},
    {"calibration", "results/calibration", "directory of CPU calibration CSVs (cpu = calibrated)", AnyString},
    {"register", "true", "UAs REGISTER at start; false installs static bindings (large runs)", Bool},
    // Topology.
    {"domains", "2", "SIP domains, one proxy each (home.com, office.com, d2.example, ...)", PositiveU32},
    {"users_per_domain", "1", "users (address-of-record) per domain", PositiveU32},
    {"devices_per_user", "1", "devices (UAs) registered per user: >1 makes the proxy fork", PositiveU32},
    {"routing", "static", "static: per-domain aggregate routes; global: Ipv4GlobalRoutingHelper", Routing},
    {"access.rate", "100Mbps", "UA-proxy link rate", Rate},
    {"access.delay", "2ms", "UA-proxy link one-way delay", Duration},
    {"access.loss", "0", "UA-proxy packet loss probability (RateErrorModel, per packet), e.g. 0.01 or 1%",
     Probability},
    {"access.mtu", "1500", "UA-proxy link MTU in bytes", Mtu},
    {"core.rate", "1Gbps", "proxy-proxy (core) link rate", Rate},
    {"core.delay", "10ms", "proxy-proxy (core) link one-way delay", Duration},
    {"core.loss", "0", "proxy-proxy packet loss probability", Probability},
    {"core.mtu", "1500", "proxy-proxy link MTU in bytes", Mtu},
    // Workload.
    {"mode", "pager", "pager | session-stripped | session-msrp", Mode},
    {"transport", "udp", "SIP signalling transport: udp | tcp | sctp", Transport},
    {"session_transport", "tcp", "transport of the direct session connection: tcp | sctp", SessionTransport},
    {"sctp_ordering", "unordered",
     "transport = sctp: SIP messages on stream 0 unordered (RFC 4168 5.1: a lost one holds back no other) | "
     "ordered (each waits for the ones before it)",
     SctpOrdering},
    {"sctp_streams", "1",
     "transport = sctp: SIP on this many streams, each transaction on one (1: stream 0, RFC 4168 5.1)",
     StreamCount},
    {"sctp_interleaving", "false",
     "transport = sctp: I-DATA (RFC 8260) and round-robin between streams, so a small message does not wait "
     "behind a large one's fragments",
     Bool},
    {"conversations", "1", "conversations in the run", PositiveUint},
    {"concurrent", "1", "conversations running at once; the next starts when one ends", PositiveUint},
    {"messages_per_conversation", "1", "IMs per conversation", PositiveUint},
    {"message_size", "100", "IM body size: N | fixed:N | uniform:MIN:MAX | exponential:MEAN (bytes)", Sizes},
    {"think_time", "1s", "mean time between a conversation's IMs", Duration},
    {"think_distribution", "exponential", "exponential | constant", Think},
    {"group_size", "1", "recipients of each conversation (group chat to K users)", PositiveU32},
    {"recipients", "remote", "where recipients live: remote (other domain) | local | any", Recipients},
    {"start_time", "1s", "when the first conversation starts (after registration)", Duration},
    {"answer_pause", "0s", "session mode: the answerer's pause before answering the INVITE", Duration},
    {"connection_setup", "both", "session connection: both (paper: both sides connect) | active | passive "
     "(RFC 4145 a=setup of the offerer)", Setup},
    {"record_route", "false", "proxies add Record-Route", Bool},
    {"large_message", "switch-to-tcp",
     "large request over UDP: switch-to-tcp (RFC 3261 18.1.1) | fragment (violate the limits) | "
     "reject (proxies answer 513 above message_size_limit) | refuse (the sender refuses it)",
     LargeMessage},
    {"message_size_limit", "1300", "RFC 3428 size limit used by reject/refuse (bytes)", PositiveU32},
    {"msrp_success_report", "false", "MSRP: ask for success REPORTs", Bool},
    {"session_per_conversation", "true", "session mode: BYE when a conversation ends", Bool},
    {"t1", "500ms", "RFC 3261 T1", PositiveDuration},
    {"t2", "4s", "RFC 3261 T2", PositiveDuration},
    {"t4", "5s", "RFC 3261 T4", Duration},
    {"timer_c", "181s",
     "proxies' RFC 3261 timer C: an INVITE branch with no final response that long (restarted by each provisional "
     "but 100) is CANCELled, or 408 when nothing came (the RFC wants over 3 minutes; 0s turns it off)",
     Duration},
    {"cpu", "calibrated",
     "per-node CPU charges: calibrated (from results/calibration) | live (the wall time each real parse and "
     "crypto call took in this run: this machine's costs, not repeatable) | off",
     Cpu},
    // Security (models/security, for real; costs from results/calibration/security.csv).
    {"security", "none",
     "none | smime (every IM's body signed and encrypted: pager MESSAGE, stripped MESSAGE, MSRP SEND) | mikey "
     "(sessions: MIKEY in the INVITE/200 SDP, then every message sealed)",
     Security},
    {"smime.algorithm", "rsa2048", "security = smime: keys and certificates, rsa2048 | p256", SmimeAlgorithm},
    {"smime.cipher", "aes128gcm", "security = smime: content encryption, aes128gcm | aes128cbc", SmimeCipher},
    {"smime.cert_cache", "false",
     "security = smime: receivers keep verified signer certificates (a repeat sender's is not parsed or "
     "chain-checked again; needs the calibration's -cached rows, which exist for aes128gcm)",
     Bool},
    {"mikey.mode", "dh", "security = mikey: psk | pke | dh | dhhmac | ecdh-ext", MikeyMode},
    {"seal.suite", "aes128gcm", "security = mikey: per-message sealing, aes128gcm | aescm-hmacsha1-80", SealSuite},
};

// The sweepable keys are all keys except those naming the run itself.
bool Sweepable(const std::string& key) {
  static const std::set<std::string> fixed = {"name", "description", "out", "pcap", "wire_trace", "progress",
                                              "replications", "run", "jobs", "memory_limit", "calibration"};
  return fixed.count(key) == 0;
}

std::string Trim(const std::string& s) {
  const std::size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const std::size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// "" when `text` is UTF-8 without control characters (a tab is fine, and
// the CR that ends a CRLF line); else which byte is wrong and why.
std::string TextProblem(const std::string& text, const char* of) {
  char buf[96];
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && !(c == '\r' && i + 1 == text.size())) || c == 0x7f) {
        std::snprintf(buf, sizeof buf, "byte %zu %s is the control character 0x%02x", i + 1, of, c);
        return buf;
      }
      ++i;
      continue;
    }
    // A multi-byte sequence: its lead byte gives the length; no overlong
    // forms, no surrogates, nothing above U+10FFFF.
    const std::size_t n = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    std::uint32_t cp = n == 2 ? c & 0x1Fu : n == 3 ? c & 0x0Fu : c & 0x07u;
    bool ok = n != 0 && i + n <= text.size();
    for (std::size_t k = 1; ok && k < n; ++k) {
      const unsigned char d = static_cast<unsigned char>(text[i + k]);
      ok = (d & 0xC0) == 0x80;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    ok = ok && !(n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) &&
         !(n == 4 && (cp < 0x10000 || cp > 0x10FFFF));
    if (!ok) {
      std::snprintf(buf, sizeof buf, "byte %zu %s (0x%02x) is not UTF-8", i + 1, of, c);
      return buf;
    }
    i += n;
  }
  return "";
}

// Validates one sweep list; values are returned expanded.
std::optional<OptionError> AddSweep(const std::string& key, const std::string& text, const Source& where,
                                    std::vector<Sweep>* sweeps) {
  const OptionSpec* spec = FindOption(key);
  if (spec == nullptr) {
    return OptionError{where.ToString() + ": unknown key 'sweep." + key + "': no option '" + key + "'"};
  }
  if (!Sweepable(key)) {
    return OptionError{where.ToString() + ": key 'sweep." + key + "': '" + key + "' cannot be swept"};
  }
  std::string error;
  auto values = ExpandSweepValues(text, &error);
  if (!values) {
    return OptionError{where.ToString() + ": malformed value of 'sweep." + key + "': " + error};
  }
  for (const auto& v : *values) {
    const std::string why = spec->validate(v);
    if (!why.empty()) {
      return OptionError{where.ToString() + ": malformed value of 'sweep." + key + "': " + why};
    }
  }
  for (auto& s : *sweeps) {
    if (s.key != key) continue;
    if (s.source.from_command_line == where.from_command_line) {
      return OptionError{where.ToString() + ": 'sweep." + key + "' is given twice (first at " +
                         s.source.ToString() + ")"};
    }
    s = Sweep{key, *values, where};  // the command line replaces the file's list
    return std::nullopt;
  }
  sweeps->push_back(Sweep{key, *values, where});
  return std::nullopt;
}

// One value of a range, with every digit: a whole number as an integer
// ("1000000001", not "1e+09"); a fraction rounded to 1e-9 to drop the noise
// of repeated addition (0.1 + 2 * 0.1 is "0.3"), as %.9g when that is exact
// (as always before), else in the shortest form that is.
std::string RangeValue(double v) {
  if (std::fabs(v) < 1e6) v = std::round(v * 1e9) / 1e9;
  if (v == std::floor(v) && std::fabs(v) < 9e18) return std::to_string(static_cast<long long>(v));
  const std::string g9 = FormatSeconds(v);
  if (std::strtod(g9.c_str(), nullptr) == v) return g9;
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

std::string StemOf(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  const std::size_t dot = base.rfind('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

// "--dry-run", "--seed", "--seed=3", "--sweep.seed": one of our options.
bool IsOption(const std::string& arg) {
  if (arg.rfind("--", 0) != 0) return false;
  const std::string name = arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
  return name == "help" || name == "dry-run" || name.rfind("sweep.", 0) == 0 || FindOption(name) != nullptr;
}

// "--seed" or "--sweep.seed" without "=VALUE": the next argument is its value.
bool TakesValue(const std::string& arg) {
  if (arg.rfind("--", 0) != 0 || arg.find('=') != std::string::npos) return false;
  if (arg.rfind("--sweep.", 0) == 0) return true;
  const OptionSpec* spec = FindOption(arg.substr(2));
  return spec != nullptr && spec->validate != Bool;
}

po::options_description BuildDescription() {
  po::options_description desc("options (in the scenario file as `key = value`, `[access]` for access.*)",
                               100, 50);
  desc.add_options()("help,h", "print this help")("dry-run", "print the resolved configuration and exit");
  for (const auto& o : kTable) {
    auto* v = po::value<std::string>();
    if (o.validate == Bool) v->implicit_value("true");
    std::string shown = o.default_value[0] ? o.default_value : "\"\"";
    v->default_value(o.default_value, shown);
    desc.add_options()(o.key, v, o.help);
  }
  return desc;
}

}  // namespace

std::string Source::ToString() const {
  if (from_command_line) return "command line";
  if (file.empty()) return "default";
  return file + ":" + std::to_string(line);
}

const std::string& ResolvedOptions::Get(const std::string& key) const {
  static const std::string empty;
  const auto it = settings.find(key);
  return it == settings.end() ? empty : it->second.value;
}

const std::vector<OptionSpec>& OptionTable() { return kTable; }

const OptionSpec* FindOption(const std::string& key) {
  for (const auto& o : kTable) {
    if (key == o.key) return &o;
  }
  return nullptr;
}

// `s` up to a comment that follows it after whitespace (" #", " ;"), trimmed.
std::string WithoutTrailingComment(std::string s) {
  for (const char* mark : {" #", "\t#", " ;", "\t;"}) {
    const std::size_t c = s.find(mark);
    if (c != std::string::npos) s = Trim(s.substr(0, c));
  }
  return s;
}

// Replaces `*s`, which starts with '"', with the text between its quotes
// (\" and \\ stand for " and \); only whitespace or a comment may follow
// the closing quote. Else why not.
std::optional<std::string> UnquoteValue(std::string* s) {
  std::string text;
  std::size_t i = 1;
  for (; i < s->size() && (*s)[i] != '"'; ++i) {
    if ((*s)[i] == '\\') {
      if (i + 1 == s->size() || ((*s)[i + 1] != '"' && (*s)[i + 1] != '\\')) {
        return "a backslash in quotes must be followed by \" or \\ (character " + std::to_string(i + 1) + " of the value)";
      }
      ++i;
    }
    text += (*s)[i];
  }
  if (i == s->size()) return std::string("the quote is never closed");
  const std::string rest = s->substr(i + 1);
  if (!Trim(WithoutTrailingComment(rest)).empty()) {
    return "unexpected '" + Trim(rest) + "' after the closing quote";
  }
  *s = text;
  return std::nullopt;
}

std::optional<OptionError> ParseIni(const std::string& text, const std::string& file_name,
                                    std::vector<IniEntry>* entries) {
  std::string section;
  std::uint32_t line_no = 0;
  // The UTF-8 byte-order mark some editors write is not part of line 1.
  std::size_t pos = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string raw = text.substr(pos, nl - pos);
    const std::string line = Trim(raw);
    pos = nl + 1;
    ++line_no;
    const std::string where = file_name + ":" + std::to_string(line_no);
    if (const std::string why = TextProblem(raw, "of the line"); !why.empty()) {
      return OptionError{where + ": " + why};
    }
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      const std::string header = WithoutTrailingComment(line);
      if (header.back() != ']' || header.size() < 3) {
        return OptionError{where + ": malformed section header '" + line + "'"};
      }
      section = Trim(header.substr(1, header.size() - 2));
      if (section.empty()) return OptionError{where + ": section header '" + line + "' has no name"};
      continue;
    }
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return OptionError{where + ": expected 'key = value', got '" + line + "'"};
    }
    std::string key = Trim(line.substr(0, eq));
    if (key.empty()) {
      return OptionError{where + ": missing key before '='"};
    }
    // A comment may follow the value after whitespace; a quoted value keeps
    // its '#', ';' and outer spaces.
    // The comment search runs before trimming, so that "key = # why" is an
    // empty value and a comment.
    const std::string after_eq = line.substr(eq + 1);
    std::string value = Trim(after_eq);
    if (!value.empty() && value[0] == '"') {
      if (auto error = UnquoteValue(&value)) return OptionError{where + ": value of '" + key + "': " + *error};
    } else {
      value = Trim(WithoutTrailingComment(after_eq));
    }
    if (!section.empty()) key = section + "." + key;
    entries->push_back(IniEntry{key, value, line_no});
  }
  return std::nullopt;
}

std::optional<OptionError> ResolveOptions(int argc, char** argv, ResolvedOptions* out) {
  // Sweeps on the command line (`--sweep.KEY LIST`) have keys Boost cannot
  // declare in advance; take them out first.
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> cli_sweeps;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    // `--out --dry-run`: the option takes the next argument as its value,
    // which here is another option, so the value was forgotten.
    if (TakesValue(a) && i + 1 < argc && IsOption(argv[i + 1])) {
      return OptionError{"command line: option '" + a + "' needs a value, but the next argument is the option '" +
                         argv[i + 1] + "' (write " + a + "=VALUE for a value that starts with --)"};
    }
    if (a.rfind("--sweep.", 0) == 0) {
      std::string key = a.substr(8), value;
      const std::size_t eq = key.find('=');
      if (eq != std::string::npos) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return OptionError{"command line: option '" + a + "' needs a value"};
      }
      cli_sweeps.emplace_back(key, value);
    } else {
      args.push_back(a);
    }
  }

  const po::options_description desc = BuildDescription();
  po::options_description hidden;
  hidden.add_options()("scenario", po::value<std::string>());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  try {
    // Full names only, as in the file: no guessing `--conv` is conversations.
    const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(all).positional(positional).style(style).run(), vm);
  } catch (const po::error& e) {
    return OptionError{std::string("command line: ") + e.what()};
  }
  out->help = vm.count("help") > 0;
  out->dry_run = vm.count("dry-run") > 0;
  if (out->help) return std::nullopt;
  if (!vm.count("scenario")) {
    return OptionError{"command line: no scenario file given (sipim run SCENARIO.ini [--key value ...])"};
  }
  out->scenario_file = vm["scenario"].as<std::string>();
  if (const std::string bad = TextProblem(out->scenario_file, "of its path"); !bad.empty()) {
    return OptionError{"command line: the scenario file's path is not clean text (it goes into metadata.json): " +
                       bad};
  }

  // Defaults first, then the file, then the command line: each later layer wins.
  for (const auto& o : kTable) {
    out->settings[o.key] = Setting{o.default_value, Source{}};
  }
  // A scenario is a short text file; a device (/dev/zero) would be read
  // until memory runs out.
  struct stat st {};
  const bool exists = ::stat(out->scenario_file.c_str(), &st) == 0;
  if (exists && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    return OptionError{out->scenario_file + ": cannot read the scenario file: not a regular file"};
  }
  if (exists && S_ISREG(st.st_mode) && st.st_size > kMaxScenarioBytes) {
    return OptionError{out->scenario_file + ": cannot read the scenario file: larger than 1 MiB (" +
                       std::to_string(st.st_size) + " bytes)"};
  }
  std::string text;
  if (const std::string why = ReadWholeFile(out->scenario_file, kMaxScenarioBytes, &text); !why.empty()) {
    return OptionError{out->scenario_file + ": cannot read the scenario file: " + why};
  }
  std::vector<IniEntry> entries;
  if (auto err = ParseIni(text, out->scenario_file, &entries)) return err;
  std::set<std::string> seen;
  for (const auto& e : entries) {
    const Source where{out->scenario_file, e.line, false};
    if (e.key.rfind("sweep.", 0) == 0) {
      if (auto err = AddSweep(e.key.substr(6), e.value, where, &out->sweeps)) return err;
      continue;
    }
    const OptionSpec* spec = FindOption(e.key);
    if (spec == nullptr) {
      return OptionError{where.ToString() + ": unknown key '" + e.key + "' (sipim run --help lists them)"};
    }
    if (!seen.insert(e.key).second) {
      return OptionError{where.ToString() + ": key '" + e.key + "' is set twice"};
    }
    const std::string why = spec->validate(e.value);
    if (!why.empty()) {
      return OptionError{where.ToString() + ": malformed value of '" + e.key + "': " + why};
    }
    out->settings[e.key] = Setting{e.value, where};
  }
  for (const auto& o : kTable) {
    const auto& v = vm[o.key];
    if (v.empty() || v.defaulted()) continue;
    const std::string value = v.as<std::string>();
    if (const std::string bad = TextProblem(value, "of the value"); !bad.empty()) {
      return OptionError{std::string("command line: malformed value of '--") + o.key + "': " + bad};
    }
    const std::string why = o.validate(value);
    if (!why.empty()) {
      return OptionError{std::string("command line: malformed value of '--") + o.key + "': " + why};
    }
    Source where;
    where.from_command_line = true;
    out->settings[o.key] = Setting{value, where};
  }
  for (const auto& [key, value] : cli_sweeps) {
    Source where;
    where.from_command_line = true;
    if (auto err = AddSweep(key, value, where, &out->sweeps)) return err;
  }
  // In one layer a key is set or swept, not both; across layers the command
  // line wins, and a key fixed there overrides the file's sweep of it.
  for (const auto& s : out->sweeps) {
    const Setting& set = out->settings[s.key];
    const bool set_here = set.source.from_command_line || !set.source.file.empty();
    if (set_here && set.source.from_command_line == s.source.from_command_line) {
      return OptionError{s.source.ToString() + ": '" + s.key + "' is swept here and also set to " + set.value +
                         " (" + set.source.ToString() + "); give one or the other"};
    }
  }
  std::vector<Sweep> kept;
  for (const auto& s : out->sweeps) {
    const Setting& set = out->settings[s.key];
    if (set.source.from_command_line && !s.source.from_command_line) continue;
    kept.push_back(s);
  }
  out->sweeps = kept;
  // Replications use run, run+1, ...: the last must not wrap around to 0.
  const Setting& run = out->settings["run"];
  const Setting& replications = out->settings["replications"];
  if (std::stoull(replications.value) - 1 > UINT64_MAX - std::stoull(run.value)) {
    return OptionError{replications.source.ToString() + ": replications = " + replications.value +
                       " from run = " + run.value + " (" + run.source.ToString() +
                       ") goes past the largest run number, 18446744073709551615"};
  }
  // Every point-run is a process and a Job in memory: cap their number
  // before anything is expanded.
  long double point_runs = std::stold(replications.value);
  std::string product;
  for (const auto& s : out->sweeps) {
    product += "sweep." + s.key + " (" + s.source.ToString() + ", " + std::to_string(s.values.size()) +
               " values) x ";
    point_runs *= s.values.size();
  }
  if (point_runs > kMaxPointRuns) {
    char count[64];
    std::snprintf(count, sizeof count, "%.0Lf", point_runs);
    return OptionError{product + "replications (" + replications.source.ToString() + ", " + replications.value +
                       ") make " + count + " point-runs; at most " + std::to_string(kMaxPointRuns)};
  }
  if (out->settings["name"].value.empty()) {
    const std::string stem = StemOf(out->scenario_file);
    if (stem == "." || stem == "..") {
      return OptionError{out->scenario_file + ": the name taken from the file's name, '" + stem +
                         "', is not a plain name; give one with name = NAME"};
    }
    out->settings["name"] = Setting{stem, Source{}};
  }
  if (out->settings["out"].value.empty()) {
    out->settings["out"] = Setting{"results/" + out->settings["name"].value, Source{}};
  }
  return std::nullopt;
}

std::string HelpText() {
  std::ostringstream os;
  os << "usage: sipim run SCENARIO.ini [--key value ...] [--sweep.KEY LIST] [--out DIR]\n\n"
        "Runs an ns-3 scenario and writes tidy CSVs and metadata.json to --out.\n"
        "Every key works in the scenario file and on the command line; the command\n"
        "line wins. A [sweep] section (or --sweep.KEY) runs every combination of the\n"
        "listed values: `messages_per_conversation = 1,2,5,10` or `100..1000:100`\n"
        "(linear) or `1..1024*2` (geometric).\n\n"
     << BuildDescription();
  return os.str();
}

// `value` as a scenario file must spell it to read it back unchanged:
// quoted when it is empty (the source comment after it would otherwise
// stand in its place) or when a comment mark, a quote, a backslash or outer
// spaces would otherwise be lost or misread.
namespace {
std::string IniValue(const std::string& value) {
  if (!value.empty() && value.find_first_of("#;\"\\") == std::string::npos && Trim(value) == value) return value;
  std::string q = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}
}  // namespace

std::string DescribeResolved(const ResolvedOptions& options) {
  std::ostringstream os;
  os << "# sipim run: resolved configuration of " << options.scenario_file << "\n";
  // A swept key's single value is shown commented out: the text is itself
  // a scenario file, where a key may not be both set and swept.
  for (const auto& o : kTable) {
    const Setting& s = options.settings.at(o.key);
    const bool swept = std::any_of(options.sweeps.begin(), options.sweeps.end(),
                                   [&](const Sweep& w) { return w.key == o.key; });
    os << (swept ? "# " : "") << o.key << " = " << IniValue(s.value) << "    # " << s.source.ToString()
       << (swept ? "; swept below" : "") << "\n";
  }
  std::size_t points = 1;
  for (const auto& s : options.sweeps) {
    os << "sweep." << s.key << " = ";
    for (std::size_t i = 0; i < s.values.size(); ++i) os << (i ? "," : "") << s.values[i];
    os << "    # " << s.source.ToString() << "\n";
    points *= s.values.size();
  }
  os << "# " << points << " sweep point(s) x " << options.Get("replications") << " replication(s)\n";
  return os.str();
}

std::optional<std::vector<std::string>> ExpandSweepValues(const std::string& text, std::string* error) {
  std::vector<std::string> values;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = text.find(',', start);
    const std::string item = Trim(text.substr(start, comma - start));
    const std::size_t dots = item.find("..");
    if (item.empty()) {
      *error = "empty item in list '" + text + "'";
      return std::nullopt;
    }
    if (dots == std::string::npos) {
      values.push_back(item);
    } else {
      // A..B:STEP or A..B*FACTOR, numbers without units.
      const std::string a = item.substr(0, dots);
      std::string rest = item.substr(dots + 2);
      const std::size_t op = rest.find_first_of(":*");
      if (op == std::string::npos) {
        *error = "range '" + item + "' needs :STEP or *FACTOR";
        return std::nullopt;
      }
      const bool geometric = rest[op] == '*';
      double lo, hi, step;
      if (!ParseDouble(a, &lo, error) || !ParseDouble(rest.substr(0, op), &hi, error) ||
          !ParseDouble(rest.substr(op + 1), &step, error)) {
        return std::nullopt;
      }
      if ((geometric && step <= 1.0) || (!geometric && step <= 0.0) || hi < lo || (geometric && lo <= 0)) {
        *error = "range '" + item + "' does not progress from its start to its end";
        return std::nullopt;
      }
      std::size_t n = 0;
      for (double v = lo; v <= hi * (1 + 1e-12); v = geometric ? v * step : lo + step * ++n) {
        if (values.size() > 100000) {
          *error = "range '" + item + "' has too many values";
          return std::nullopt;
        }
        values.push_back(RangeValue(v));
        if (geometric) ++n;
      }
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return values;
}

}  // namespace sipim::run
