// No input crashes the parser: every RFC 4475 / 5118 message truncated at
// every offset and mutated at every byte parses or fails cleanly, with
// every view inside the buffer; and the PROTOS c07-sip suite when present.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <map>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "corpus_util.h"
#include "sip/headers.h"
#include "sip/message.h"
#include "sip/stream_framer.h"
#include "sip/uri.h"

namespace sipim::sip {
namespace {

using testing::CorpusPath;
using testing::ReadFile;
using testing::TortureMessages;

bool Inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

// Parses `d` in both modes, checks the invariants, and exercises the typed
// parsers and Validate on success. Returns true if the datagram parse succeeded.
bool Exercise(const std::string& d) {
  bool ok = false;
  for (Framing fr : {Framing::kDatagram, Framing::kStream}) {
    Message m;
    const ParseError e = Parse(d, fr, &m);
    if (e) {
      EXPECT_NE(e.reason, nullptr);
      EXPECT_LE(e.offset, d.size());
      EXPECT_GE(e.line, 1u);
      continue;
    }
    if (fr == Framing::kDatagram) ok = true;
    EXPECT_LE(m.size, d.size());
    EXPECT_TRUE(Inside(m.raw, d));
    EXPECT_TRUE(Inside(m.body, d));
    EXPECT_LE(m.headers.size(), kMaxHeaders);
    for (const Header& h : m.headers) {
      EXPECT_TRUE(Inside(h.value, d));
      EXPECT_TRUE(Inside(h.line, d));
    }
    const ParseError v = Validate(m);
    if (v) {
      EXPECT_LE(v.offset, d.size());
    }
    std::vector<Via> vias;
    (void)AllVias(m, &vias);
    for (const Via& via : vias) EXPECT_TRUE(Inside(via.text, d));
    if (m.is_request) {
      Uri u;
      (void)ParseUri(m.request_uri, &u, m.input);
    }
  }
  return ok;
}

// Truncation at every offset never crashes and never reads past the end.
TEST(SipRobustness, TruncateEveryOffset) {
  for (const std::string& full : TortureMessages()) {
    for (std::size_t n = 0; n < full.size(); ++n) {
      // A heap copy of exactly n bytes, so ASan catches any over-read.
      std::string cut(full.data(), n);
      cut.shrink_to_fit();
      Exercise(cut);
    }
  }
}

// Byte flips, NULs, CRs and LFs at every offset never crash.
TEST(SipRobustness, MutateEveryByte) {
  const char mutations[] = {'\0', '\r', '\n', ' ', ',', ';', '"', '<', ':', '\xff'};
  std::size_t parsed = 0, rejected = 0;
  for (const std::string& full : TortureMessages()) {
    std::string d = full;
    for (std::size_t i = 0; i < d.size(); ++i) {
      const char orig = d[i];
      for (char c : mutations) {
        d[i] = c;
        (Exercise(d) ? parsed : rejected)++;
      }
      d[i] = static_cast<char>(orig ^ 0x20);
      (Exercise(d) ? parsed : rejected)++;
      d[i] = orig;
      // An inserted byte.
      std::string ins = full.substr(0, i) + '\r' + full.substr(i);
      (Exercise(ins) ? parsed : rejected)++;
    }
  }
  // Both outcomes occur: mutations are neither all fatal nor all harmless.
  EXPECT_GT(parsed, 0u);
  EXPECT_GT(rejected, 0u);
}

// The framer fed byte by byte agrees with a single Append on mutated input.
TEST(SipRobustness, FramerSplitInvariant) {
  for (const std::string& full : TortureMessages()) {
    for (std::size_t i = 0; i < full.size(); i += 7) {
      std::string d = full + full;
      d[i] = '\0';
      const auto run = [&](std::size_t piece) {
        StreamFramer f(8192);
        Message m;
        ParseError e;
        std::vector<std::string> msgs;
        std::string err;
        for (std::size_t k = 0; k < d.size() && err.empty(); k += piece) {
          f.Append(std::string_view(d).substr(k, piece));
          for (;;) {
            const auto st = f.Next(&m, &e);
            if (st == StreamFramer::Status::kMessage) {
              msgs.emplace_back(m.raw);
            } else {
              if (st == StreamFramer::Status::kError) err = e.reason;
              break;
            }
          }
        }
        msgs.push_back("error: " + err);
        return msgs;
      };
      EXPECT_EQ(run(1), run(d.size()));
    }
  }
}

// PROTOS c07-sip: the tarball is extracted to a temp dir, each test case
// instantiated with the placeholder values FORMAT.txt gives, then parsed
// in both framings and validated. Skipped when the tarball is absent.
TEST(SipRobustness, ProtosC07Sip) {
  const std::string tarball = CorpusPath("protos/protos-c07-sip.tar.xz");
  struct stat st {};
  if (stat(tarball.c_str(), &st) != 0) {
    GTEST_SKIP() << "PROTOS corpus missing: " << tarball
                 << " (place protos-c07-sip.tar.xz and FORMAT.txt there to run the 4527 cases)";
  }
  const std::string format = ReadFile(CorpusPath("protos/FORMAT.txt"));
  // Substitutions: lines "<Placeholder><TAB, '=' or ':'>value" in FORMAT.txt.
  std::map<std::string, std::string> subst;
  std::size_t pos = 0;
  while (pos < format.size()) {
    const std::size_t eol = format.find('\n', pos);
    std::string line = format.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    pos = eol == std::string::npos ? format.size() : eol + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t lt = line.find('<'), gt = line.find('>');
    if (lt != 0 && line.find_first_not_of(" \t") != lt) continue;
    if (lt == std::string::npos || gt == std::string::npos || gt < lt) continue;
    std::size_t v = line.find_first_not_of(" \t=:", gt + 1);
    subst[line.substr(lt, gt - lt + 1)] = v == std::string::npos ? "" : line.substr(v);
  }
  char tmpl[] = "/tmp/sipim-protos-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string cmd = "tar -xJf '" + tarball + "' -C '" + dir + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  // Walk every regular file below dir.
  std::vector<std::string> files, stack{dir};
  while (!stack.empty()) {
    const std::string d = stack.back();
    stack.pop_back();
    DIR* h = opendir(d.c_str());
    if (h == nullptr) continue;
    while (dirent* e = readdir(h)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      const std::string path = d + "/" + name;
      struct stat s {};
      if (stat(path.c_str(), &s) != 0) continue;
      if (S_ISDIR(s.st_mode)) stack.push_back(path);
      else if (S_ISREG(s.st_mode)) files.push_back(path);
    }
    closedir(h);
  }
  std::size_t cases = 0;
  for (const std::string& f : files) {
    std::string d = ReadFile(f);
    for (const auto& [key, value] : subst) {
      for (std::size_t at = d.find(key); at != std::string::npos; at = d.find(key, at + value.size()))
        d.replace(at, key.size(), value);
    }
    Exercise(d);
    ++cases;
  }
  EXPECT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
  EXPECT_EQ(cases, 4527u) << "PROTOS c07-sip has 4527 INVITE cases";
}

}  // namespace
}  // namespace sipim::sip
