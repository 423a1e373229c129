// security_report: turns bench_security's Google Benchmark JSON into
//   csv   <bench.json> <out.csv>  the calibration table (results/calibration/security.csv,
//                                  format in ../shared briefs: operation,algorithm,size_bytes,
//                                  ns_per_op,output_bytes), and
//   table <bench.json>            the markdown tables of models/security/README.md:
//                                  wrapper-vs-primitive ratios, seal+open target, and
//                                  S/MIME vs MIKEY + sealing for 1, 10, 1000 messages.
// Every number printed comes from the JSON; nothing is typed in by hand.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

// ------------------------------------------------------------ tiny JSON reader

struct Json {
  enum Type { kNull, kBool, kNum, kStr, kArr, kObj } type = kNull;
  double num = 0;
  bool b = false;
  std::string str;
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;
  const Json* Get(const std::string& k) const {
    for (const auto& [key, v] : obj)
      if (key == k) return &v;
    return nullptr;
  }
};

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}
  bool Parse(Json& out) {
    bool ok = Value(out);
    Ws();
    return ok && i_ == s_.size();
  }
  std::size_t pos() const { return i_; }

 private:
  void Ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Lit(const char* w) {
    std::size_t n = std::char_traits<char>::length(w);
    if (s_.compare(i_, n, w) != 0) return false;
    i_ += n;
    return true;
  }
  bool Str(std::string& out) {
    if (s_[i_] != '"') return false;
    ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        char e = s_[i_++];
        switch (e) {
          case 'n': out.push_back('\n'); break;
          case 't': out.push_back('\t'); break;
          case 'r': out.push_back('\r'); break;
          case 'b': out.push_back('\b'); break;
          case 'f': out.push_back('\f'); break;
          case 'u':
            if (i_ + 4 > s_.size()) return false;
            out.push_back('?');  // names and units are ASCII; escapes are not needed here
            i_ += 4;
            break;
          default: out.push_back(e);
        }
      } else {
        out.push_back(c);
      }
    }
    if (i_ >= s_.size()) return false;
    ++i_;
    return true;
  }
  bool Value(Json& v) {
    Ws();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '{') {
      v.type = Json::kObj;
      ++i_;
      Ws();
      if (s_[i_] == '}') return ++i_, true;
      for (;;) {
        Ws();
        std::string k;
        if (!Str(k)) return false;
        Ws();
        if (s_[i_++] != ':') return false;
        Json x;
        if (!Value(x)) return false;
        v.obj.emplace_back(std::move(k), std::move(x));
        Ws();
        if (s_[i_] == ',') { ++i_; continue; }
        if (s_[i_] == '}') return ++i_, true;
        return false;
      }
    }
    if (c == '[') {
      v.type = Json::kArr;
      ++i_;
      Ws();
      if (s_[i_] == ']') return ++i_, true;
      for (;;) {
        Json x;
        if (!Value(x)) return false;
        v.arr.push_back(std::move(x));
        Ws();
        if (s_[i_] == ',') { ++i_; continue; }
        if (s_[i_] == ']') return ++i_, true;
        return false;
      }
    }
    if (c == '"') {
      v.type = Json::kStr;
      return Str(v.str);
    }
    if (Lit("true")) { v.type = Json::kBool; v.b = true; return true; }
    if (Lit("false")) { v.type = Json::kBool; return true; }
    if (Lit("null")) return true;
    const char* start = s_.c_str() + i_;
    char* end = nullptr;
    v.num = std::strtod(start, &end);
    if (end == start) return false;
    v.type = Json::kNum;
    i_ += static_cast<std::size_t>(end - start);
    return true;
  }
  const std::string& s_;
  std::size_t i_ = 0;
};

// ------------------------------------------------------------ benchmark rows

struct Row {
  std::string name;  // without the "/min_time:..." suffix
  double cpu_ns = 0;
  std::map<std::string, double> counters;
  double Counter(const char* k) const {
    auto it = counters.find(k);
    return it == counters.end() ? 0 : it->second;
  }
};

double ToNs(double v, const std::string& unit) {
  if (unit == "us") return v * 1e3;
  if (unit == "ms") return v * 1e6;
  if (unit == "s") return v * 1e9;
  return v;
}

std::map<std::string, Row> Load(const char* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(1);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  Json root;
  Parser p(text);
  if (!p.Parse(root) || root.type != Json::kObj) {
    std::fprintf(stderr, "%s: not JSON (stopped at byte %zu)\n", path, p.pos());
    std::exit(1);
  }
  const Json* benches = root.Get("benchmarks");
  if (!benches || benches->type != Json::kArr) {
    std::fprintf(stderr, "%s: no \"benchmarks\" array\n", path);
    std::exit(1);
  }
  static const char* kStd[] = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads",
                               "iterations", "real_time", "cpu_time", "time_unit", "family_index",
                               "per_family_instance_index", "aggregate_name", "aggregate_unit", "error_occurred",
                               "error_message"};
  std::map<std::string, Row> rows;
  for (const Json& b : benches->arr) {
    const Json* name = b.Get("name");
    const Json* cpu = b.Get("cpu_time");
    const Json* unit = b.Get("time_unit");
    const Json* err = b.Get("error_occurred");
    if (!name || !cpu || (err && err->b)) continue;
    // With --benchmark_repetitions the median of the repetitions is used.
    const Json* rt = b.Get("run_type");
    const Json* agg = b.Get("aggregate_name");
    std::string full = name->str;
    if (rt && rt->str == "aggregate") {
      if (!agg || agg->str != "median") continue;
      const Json* run = b.Get("run_name");
      if (run) full = run->str;
    }
    Row r;
    r.name = full.substr(0, full.find("/min_time:"));
    r.cpu_ns = ToNs(cpu->num, unit ? unit->str : "ns");
    for (const auto& [k, v] : b.obj) {
      if (v.type != Json::kNum) continue;
      if (std::find_if(std::begin(kStd), std::end(kStd), [&](const char* s) { return k == s; }) != std::end(kStd))
        continue;
      r.counters[k] = v.num;
    }
    rows[r.name] = r;
  }
  return rows;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t a = 0;
  for (std::size_t b; (b = s.find('/', a)) != std::string::npos; a = b + 1) out.push_back(s.substr(a, b - a));
  out.push_back(s.substr(a));
  return out;
}

bool IsNumber(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// ------------------------------------------------------------ csv

int WriteCsv(const std::map<std::string, Row>& rows, const char* out_path) {
  std::vector<std::tuple<std::string, std::string, long long, double, long long>> out;
  for (const auto& [name, r] : rows) {
    std::vector<std::string> p = Split(name);
    std::string op, alg;
    long long size = 0, bytes = static_cast<long long>(r.Counter("bytes_out"));
    if (p[0] == "BM_Smime" && p.size() == 4) {
      op = "smime_" + p[1];
      alg = p[2];
      size = std::atoll(p[3].c_str());
    } else if (p[0] == "BM_Mikey" && p.size() == 3) {
      op = "mikey_" + p[2];
      alg = p[1];
      const std::string what = p[2].substr(0, p[2].find('-'));  // "i_process-cached" -> "i_process"
      if (what == "i_process" || what == "i_decode") size = static_cast<long long>(r.Counter("bytes_i"));
      if (what == "r_process" || what == "r_decode") size = static_cast<long long>(r.Counter("bytes_r"));
      if (what == "i_decode" || what == "r_decode" || what == "r_process") bytes = 0;
    } else if (p[0] == "BM_Kdf" && p.size() == 4) {
      op = "kdf_" + p[1];
      alg = p[2];
      size = std::atoll(p[3].c_str());
    } else if ((p[0] == "BM_Seal" || p[0] == "BM_Open" || p[0] == "BM_SealOpen") && p.size() == 3) {
      op = p[0] == "BM_Seal" ? "seal" : p[0] == "BM_Open" ? "open" : "seal_open";
      alg = p[1];
      size = std::atoll(p[2].c_str());
    } else if (p[0] == "BM_Primitive" && p.size() == 3) {
      op = "primitive_" + p[1];
      if (IsNumber(p[2])) {
        alg = p[1];
        size = std::atoll(p[2].c_str());
      } else {
        alg = p[2];
      }
    } else {
      std::fprintf(stderr, "skipping unrecognised benchmark %s\n", name.c_str());
      continue;
    }
    out.emplace_back(op, alg, size, r.cpu_ns, bytes);
  }
  std::sort(out.begin(), out.end());
  std::ofstream f(out_path);
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", out_path);
    return 1;
  }
  f << "operation,algorithm,size_bytes,ns_per_op,output_bytes\n";
  char buf[64];
  for (const auto& [op, alg, size, ns, bytes] : out) {
    std::snprintf(buf, sizeof buf, "%.1f", ns);
    f << op << ',' << alg << ',' << size << ',' << buf << ',' << bytes << '\n';
  }
  std::fprintf(stderr, "wrote %zu rows to %s\n", out.size(), out_path);
  return 0;
}

// ------------------------------------------------------------ tables

struct Lookup {
  const std::map<std::string, Row>& rows;
  bool missing = false;
  double Ns(const std::string& name) {
    auto it = rows.find(name);
    if (it == rows.end()) {
      std::fprintf(stderr, "missing benchmark %s\n", name.c_str());
      missing = true;
      return 0;
    }
    return it->second.cpu_ns;
  }
  double Counter(const std::string& name, const char* k) {
    auto it = rows.find(name);
    return it == rows.end() ? 0 : it->second.Counter(k);
  }
};

// Where the tables go: stdout, or nowhere for `check`.
FILE* g_out = stdout;

std::string Fmt(double ns) {
  char b[32];
  if (ns >= 1e6) {
    std::snprintf(b, sizeof b, "%.2f ms", ns / 1e6);
  } else if (ns >= 1e3) {
    std::snprintf(b, sizeof b, "%.1f µs", ns / 1e3);
  } else {
    std::snprintf(b, sizeof b, "%.0f ns", ns);
  }
  return b;
}

// One "operation vs the primitives it needs" line.
struct Term {
  double times;
  std::string bench;
};

// `note`, when given, is appended to the primitives column (e.g. to mark a
// comparison with a sequence row).
void RatioLine(Lookup& L, const std::string& op, const std::vector<Term>& terms, const char* note = nullptr) {
  double sum = 0;
  std::string formula;
  for (const Term& t : terms) {
    sum += t.times * L.Ns(t.bench);
    if (!formula.empty()) formula += " + ";
    if (t.times != 1) formula += std::to_string(static_cast<int>(t.times)) + "×";
    formula += t.bench.substr(std::string("BM_Primitive/").size());
  }
  if (note != nullptr) formula += std::string(" ") + note;
  const double ns = L.Ns(op);
  const double ratio = sum > 0 ? ns / sum : 0;
  std::fprintf(g_out, "| %s | %s | %s | %s | %.2f | %s |\n", op.c_str(), Fmt(ns).c_str(), formula.c_str(), Fmt(sum).c_str(),
              ratio, ratio <= 1.10 ? "yes" : "**no**");
}

// Marks a line whose one primitive is a BM_Primitive/sequence-* row: the raw
// calls of the operation made one after the other in one loop iteration.
constexpr const char* kSeqNote = "(sequence: the same raw calls back to back in one loop)";

int WriteTables(const std::map<std::string, Row>& rows) {
  Lookup L{rows};
  const std::string P = "BM_Primitive/";
  std::fprintf(g_out, "### Wrapper cost against the OpenSSL primitives it needs (target ≤ 1.10)\n\n");
  std::fprintf(g_out, "| operation | CPU | primitives | sum | ratio | ≤ 1.10 |\n|---|---|---|---|---|---|\n");
  for (const char* alg : {"rsa2048", "p256"}) {
    const std::string a = alg;
    const bool rsa = a == "rsa2048";
    // Digests are counted as the code computes them (Sha256Of: a kept digest
    // context, SHA-256 fetched once: sha256-kept, sha256-signedattrs-kept,
    // x963kdf-sha256-kept) and CMS content encryption with a fetched cipher
    // (aes128gcm-rekey-fetched), not through EVP_Digest / EVP_aes_128_gcm(),
    // which look the implementation up on every call.
    // Each operation's first line is the original accounting (one signature
    // check standing for the chain); the lines after it list every raw call
    // the operation needs: the digest of the signed attributes, decoding the
    // carried certificate (d2i_X509) and validating its path (X509_verify_cert).
    const Term attrs{1, P + "sha256-signedattrs-kept/" + a};
    const Term d2i{1, P + "d2i_x509/" + a};
    const Term chain{1, P + "verify_chain/" + a};
    for (const char* size : {"100", "65536"}) {
      const std::string s = size;
      RatioLine(L, "BM_Smime/sign/" + a + "/" + s, {{1, P + "sign/" + a}, {1, P + "sha256-kept/" + s}});
      RatioLine(L, "BM_Smime/sign/" + a + "/" + s, {{1, P + "sign/" + a}, {1, P + "sha256-kept/" + s}, attrs});
      RatioLine(L, "BM_Smime/verify/" + a + "/" + s, {{2, P + "verify/" + a}, {1, P + "sha256-kept/" + s}});
      RatioLine(L, "BM_Smime/verify/" + a + "/" + s, {{1, P + "verify/" + a}, {1, P + "sha256-kept/" + s}, attrs, d2i, chain});
      // The same raw calls made back to back in one loop (helper-17's sequence rows).
      RatioLine(L, "BM_Smime/verify/" + a + "/" + s, {{1, P + "sequence-verify/" + a + "-" + s}}, kSeqNote);
    }
    // Without the certificate in the message (the receiver has it parsed).
    RatioLine(L, "BM_Smime/verify/" + a + "-nocert/100", {{2, P + "verify/" + a}, {1, P + "sha256-kept/100"}});
    RatioLine(L, "BM_Smime/verify/" + a + "-nocert/100", {{1, P + "verify/" + a}, {1, P + "sha256-kept/100"}, attrs, chain});
    // Certificate in the message, already in the receiver's CertCache (parsed,
    // chain checked, validity re-checked): only the message's own signature.
    RatioLine(L, "BM_Smime/verify/" + a + "-cached/100", {{1, P + "verify/" + a}, {1, P + "sha256-kept/100"}, attrs});
    // P-256 KARI (sender and receiver): the peer point gets the partial check
    // (EVP_PKEY_public_check_quick) and the derivation runs without OpenSSL's
    // full check, whose n*Q multiplication adds nothing at cofactor 1.
    // The sender's ephemeral key comes from EVP_EC_gen (the group built by
    // name: keygen/p256); the receiver imports the originator's point by
    // EVP_PKEY_fromdata from a plain parameter array (import_peer-params).
    const std::string kari_z = P + "derive-quickcheck/p256";
    for (const char* r : {"1", "16"}) {
      const double n = std::atof(r);
      const std::string enc = a + "-aes128gcm-r" + r;
      std::vector<Term> e = rsa ? std::vector<Term>{{n, P + "encrypt/rsa2048-pkcs1"}}
                                : std::vector<Term>{{n, P + "keygen/p256"}, {n, kari_z}};
      e.push_back({1, P + "aes128gcm-rekey-fetched/100"});
      RatioLine(L, "BM_Smime/encrypt/" + enc + "/100", e);
      // P-256 key agreement also derives a KEK (X9.63, SHA-256) and wraps or
      // unwraps the content key with it per recipient; the receiver turns the
      // originator's ephemeral point into a key first.
      const Term kdf{n, P + "x963kdf-sha256-kept/p256"}, wrap{n, P + "aes128-wrap/16"};
      const std::vector<Term> kari_rx = {{1, P + "import_peer-params/p256"}, {1, kari_z},
                                         {1, P + "x963kdf-sha256-kept/p256"}, {1, P + "aes128-unwrap/16"}};
      if (!rsa) {
        std::vector<Term> e_full = {{n, P + "keygen/p256"}, {n, kari_z}, kdf, wrap};
        e_full.push_back({1, P + "aes128gcm-rekey-fetched/100"});
        RatioLine(L, "BM_Smime/encrypt/" + enc + "/100", e_full);
      }
      std::vector<Term> d = {{1, rsa ? P + "decrypt/rsa2048-pkcs1" : kari_z}, {1, P + "aes128gcm-rekey-fetched/100"}};
      RatioLine(L, "BM_Smime/decrypt/" + enc + "/100", d);
      // The receive side as listed in full (for RSA the same as above).
      std::vector<Term> d_full = rsa ? d : kari_rx;
      if (!rsa) {
        d_full.push_back({1, P + "aes128gcm-rekey-fetched/100"});
        RatioLine(L, "BM_Smime/decrypt/" + enc + "/100", d_full);
      }
      std::vector<Term> se = e;
      se.push_back({1, P + "sign/" + a});
      se.push_back({1, P + "sha256-kept/100"});
      RatioLine(L, "BM_Smime/sign_encrypt/" + enc + "/100", se);
      std::vector<Term> se_full = rsa ? e : std::vector<Term>{{n, P + "keygen/p256"}, {n, kari_z}, kdf, wrap,
                                                                {1, P + "aes128gcm-rekey-fetched/100"}};
      se_full.push_back({1, P + "sign/" + a});
      se_full.push_back({1, P + "sha256-kept/100"});
      se_full.push_back(attrs);
      RatioLine(L, "BM_Smime/sign_encrypt/" + enc + "/100", se_full);
      std::vector<Term> dv = d;
      dv.push_back({2, P + "verify/" + a});
      dv.push_back({1, P + "sha256-kept/100"});
      RatioLine(L, "BM_Smime/decrypt_verify/" + enc + "/100", dv);
      std::vector<Term> dv_cached = d_full;
      dv_cached.push_back({1, P + "verify/" + a});
      dv_cached.push_back({1, P + "sha256-kept/100"});
      dv_cached.push_back(attrs);
      std::vector<Term> dv_full = dv_cached;
      dv_full.push_back(d2i);
      dv_full.push_back(chain);
      RatioLine(L, "BM_Smime/decrypt_verify/" + enc + "/100", dv_full);
      if (rsa && std::string(r) == "1") {
        RatioLine(L, "BM_Smime/decrypt_verify/" + enc + "/100", {{1, P + "sequence-decrypt_verify/rsa2048-r1-100"}},
                  kSeqNote);
      }
      if (std::string(r) == "1") RatioLine(L, "BM_Smime/decrypt_verify/" + enc + "-cached/100", dv_cached);
    }
  }
  const std::string rs = P + "sign/rsa2048", rv = P + "verify/rsa2048";
  // A signed MIKEY message carries its signer's certificate in CERT: the
  // receiver decodes it and validates its path (no purpose) besides checking
  // SIGN; the second line of each receiving row lists those calls.
  const std::vector<Term> cert_rx = {{1, rv}, {1, P + "d2i_x509/rsa2048"}, {1, P + "verify_chain/rsa2048-anypurpose"}};
  auto with_cert = [&](std::vector<Term> rest) {
    rest.insert(rest.begin(), cert_rx.begin(), cert_rx.end());
    return rest;
  };
  RatioLine(L, "BM_Mikey/pke/i_build", {{1, P + "encrypt/rsa2048-oaep"}, {1, rs}});
  RatioLine(L, "BM_Mikey/pke/i_process", {{2, rv}, {1, P + "decrypt/rsa2048-oaep"}});
  RatioLine(L, "BM_Mikey/pke/i_process", with_cert({{1, P + "decrypt/rsa2048-oaep"}}));
  RatioLine(L, "BM_Mikey/pke/i_process-cached", {{1, rv}, {1, P + "decrypt/rsa2048-oaep"}});
  // OAKLEY 5 (DH, DHHMAC): the peer's value is checked by sipim as
  // 1 < y < p-1 and Legendre symbol (y|p) = 1 (BN_kronecker: legendre/modp1536),
  // then derived without OpenSSL's y^q check (derive-nocheck/modp1536), where
  // derive/modp1536 ran that check; keys are still generated by group name
  // (keygen/modp1536) and the peer's value imported by name (import_peer/modp1536).
  const Term dh_z{1, P + "derive-nocheck/modp1536"}, dh_chk{1, P + "legendre/modp1536"};
  const Term imp_dh{1, P + "import_peer/modp1536"}, gen_dh{1, P + "keygen/modp1536"};
  RatioLine(L, "BM_Mikey/dh/i_build", {gen_dh, {1, rs}});
  RatioLine(L, "BM_Mikey/dh/i_process", {{2, rv}, gen_dh, dh_chk, dh_z, {1, rs}});
  // DH-family receivers also turn the peer's public value into a key (import_peer).
  RatioLine(L, "BM_Mikey/dh/i_process", with_cert({gen_dh, imp_dh, dh_chk, dh_z, {1, rs}}));
  RatioLine(L, "BM_Mikey/dh/i_process-cached", {{1, rv}, gen_dh, imp_dh, dh_chk, dh_z, {1, rs}});
  RatioLine(L, "BM_Mikey/dh/r_process", {{2, rv}, dh_chk, dh_z});
  RatioLine(L, "BM_Mikey/dh/r_process", with_cert({imp_dh, dh_chk, dh_z}));
  RatioLine(L, "BM_Mikey/dh/r_process-cached", {{1, rv}, imp_dh, dh_chk, dh_z});
  // ECDH-ext: keys generated from a kept P-256 parameter key with a kept
  // keygen context (keygen-kept), peer points imported into a copy of it
  // (import_peer-kept), checked partially and derived without OpenSSL's full
  // check (derive-quickcheck, which includes the partial check).
  const Term ec_z{1, P + "derive-quickcheck/p256"}, imp_ec{1, P + "import_peer-kept/p256"},
      gen_ec{1, P + "keygen-kept/p256"};
  RatioLine(L, "BM_Mikey/ecdh-ext/i_build", {gen_ec, {1, rs}});
  RatioLine(L, "BM_Mikey/ecdh-ext/i_process", {{2, rv}, gen_ec, ec_z, {1, rs}});
  RatioLine(L, "BM_Mikey/ecdh-ext/i_process", with_cert({gen_ec, imp_ec, ec_z, {1, rs}}));
  RatioLine(L, "BM_Mikey/ecdh-ext/i_process-cached", {{1, rv}, gen_ec, imp_ec, ec_z, {1, rs}});
  RatioLine(L, "BM_Mikey/ecdh-ext/r_process", {{2, rv}, ec_z});
  RatioLine(L, "BM_Mikey/ecdh-ext/r_process", with_cert({imp_ec, ec_z}));
  RatioLine(L, "BM_Mikey/ecdh-ext/r_process-cached", {{1, rv}, imp_ec, ec_z});
  RatioLine(L, "BM_Mikey/dhhmac/i_build", {gen_dh});
  RatioLine(L, "BM_Mikey/dhhmac/i_process", {gen_dh, dh_chk, dh_z});
  RatioLine(L, "BM_Mikey/dhhmac/i_process", {gen_dh, imp_dh, dh_chk, dh_z});
  RatioLine(L, "BM_Mikey/dhhmac/r_process", {dh_chk, dh_z});
  RatioLine(L, "BM_Mikey/dhhmac/r_process", {imp_dh, dh_chk, dh_z});
  for (const char* size : {"100", "1300", "65536"}) {
    const std::string s = size;
    const int bytes = std::atoi(size);
    // GCM as SealSession runs it: context keyed once, tag read (seal) or set
    // (open, decrypting) through EVP_CIPHER_CTX_get/set_params.
    RatioLine(L, "BM_Seal/aes128gcm/" + s, {{1, P + "aes128gcm-aad43-params/" + s}});
    RatioLine(L, "BM_Open/aes128gcm/" + s, {{1, P + "aes128gcm-aad43-decrypt/" + s}});
    // AES-CM + HMAC-SHA1-80: HMAC from low-level SHA_CTX pad states
    // (hmac-sha1-sha1ctx); the keystream from one AES-ECB call over the
    // counter blocks up to 256 bytes (aes128ecb-ctrblocks), else the kept CTR
    // context given a new IV (aes128ctr-update).
    const std::string hc = P + "hmac-sha1-sha1ctx/" + std::to_string(bytes + 43);
    const std::string ks = bytes <= 256 ? P + "aes128ecb-ctrblocks/" + s : P + "aes128ctr-update/" + s;
    RatioLine(L, "BM_Seal/aescm-hmacsha1-80/" + s, {{1, ks}, {1, hc}});
    RatioLine(L, "BM_Open/aescm-hmacsha1-80/" + s, {{1, ks}, {1, hc}});
  }

  std::fprintf(g_out, "\n### Seal + open of one 100-byte message (target ≤ 1 µs)\n\n| suite | seal + open CPU | ≤ 1 µs |\n|---|---|---|\n");
  for (const char* suite : {"aes128gcm", "aescm-hmacsha1-80"}) {
    const double ns = L.Ns(std::string("BM_SealOpen/") + suite + "/100");
    std::fprintf(g_out, "| %s | %s | %s |\n", suite, Fmt(ns).c_str(), ns <= 1000 ? "yes" : "**no**");
  }

  std::fprintf(g_out, "\n### S/MIME per message vs MIKEY once + sealing per message (100-byte messages, one session)\n\n");
  std::fprintf(g_out, "CPU is sender + receiver together; bytes are the security payloads only (S/MIME bodies; MIKEY I+R\n"
              "messages and sealed frames), not the SIP or MSRP framing around them.\n\n");
  std::fprintf(g_out, "| scheme | setup bytes | setup CPU | per-message bytes | per-message CPU | 1 msg: bytes / CPU | 10 msgs: bytes / CPU | 1000 msgs: bytes / CPU |\n");
  std::fprintf(g_out, "|---|---|---|---|---|---|---|---|\n");
  auto line = [&](const std::string& scheme, double setup_b, double setup_ns, double msg_b, double msg_ns) {
    std::fprintf(g_out, "| %s | %.0f | %s | %.0f | %s |", scheme.c_str(), setup_b, Fmt(setup_ns).c_str(), msg_b,
                Fmt(msg_ns).c_str());
    for (int n : {1, 10, 1000}) {
      std::fprintf(g_out, " %.0f B / %s |", setup_b + n * msg_b, Fmt(setup_ns + n * msg_ns).c_str());
    }
    std::fprintf(g_out, "\n");
  };
  for (const char* alg : {"rsa2048", "p256"}) {
    for (const char* cipher : {"aes128gcm", "aes128cbc"}) {
      const std::string enc = std::string(alg) + "-" + cipher + "-r1/100";
      const std::string se = "BM_Smime/sign_encrypt/" + enc, dv = "BM_Smime/decrypt_verify/" + enc;
      line(std::string("S/MIME sign+encrypt ") + alg + " " + cipher, 0, 0, L.Counter(se, "bytes_out"),
           L.Ns(se) + L.Ns(dv));
      if (std::string(cipher) == "aes128gcm") {  // the receiver has the sender's certificate cached
        const std::string dvc = "BM_Smime/decrypt_verify/" + std::string(alg) + "-" + cipher + "-r1-cached/100";
        line(std::string("S/MIME sign+encrypt ") + alg + " " + cipher + ", receiver certificate cache", 0, 0,
             L.Counter(se, "bytes_out"), L.Ns(se) + L.Ns(dvc));
      }
    }
  }
  for (const char* mode : {"psk", "pke", "dh", "dhhmac", "ecdh-ext"}) {
    const std::string m = std::string("BM_Mikey/") + mode + "/";
    const std::string prf = "BM_Kdf/session_keys/mikey1/";
    const std::string tgk = std::string(mode) == "dh" || std::string(mode) == "dhhmac" ? "192"
                            : std::string(mode) == "ecdh-ext"                          ? "32"
                                                                                       : "16";
    const double setup_ns = L.Ns(m + "i_build") + L.Ns(m + "i_process") + L.Ns(m + "r_process") + 2 * L.Ns(prf + tgk);
    const double setup_b = L.Counter(m + "i_build", "bytes_i") + L.Counter(m + "i_build", "bytes_r");
    for (const char* suite : {"aes128gcm", "aescm-hmacsha1-80"}) {
      const std::string so = std::string("BM_SealOpen/") + suite + "/100";
      line(std::string("MIKEY ") + mode + " + " + suite, setup_b, setup_ns, L.Counter(so, "bytes_out"), L.Ns(so));
    }
  }
  return L.missing ? 1 : 0;
}

// `check <names>`: whether every benchmark the tables use is among the names
// (one per line, as `bench_security --benchmark_list_tests` prints them,
// "/min_time:..." suffixes allowed): a typo in a primitive list would
// otherwise show only at the end of a full run. The tables are built over
// rows of 1 ns each and thrown away; the missing names go to stderr.
int CheckNames(const char* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    return 1;
  }
  std::map<std::string, Row> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    Row r;
    r.name = line.substr(0, line.find("/min_time:"));
    r.cpu_ns = 1;
    rows[r.name] = r;
  }
  if (rows.empty()) {
    std::fprintf(stderr, "%s: no benchmark names\n", path);
    return 1;
  }
  FILE* sink = std::fopen("/dev/null", "w");
  if (sink == nullptr) return 1;
  g_out = sink;
  const int rc = WriteTables(rows);
  g_out = stdout;
  std::fclose(sink);
  std::fprintf(stderr, "%zu benchmark names read; %s\n", rows.size(),
               rc == 0 ? "every benchmark the tables use is among them" : "some are missing (above)");
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "csv") return WriteCsv(Load(argv[2]), argv[3]);
  if (argc == 3 && std::string(argv[1]) == "table") return WriteTables(Load(argv[2]));
  if (argc == 3 && std::string(argv[1]) == "check") return CheckNames(argv[2]);
  std::fprintf(stderr, "usage: %s csv <bench.json> <out.csv> | table <bench.json> | check <names.txt>\n", argv[0]);
  return 2;
}
