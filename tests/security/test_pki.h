#pragma once
// Shared test PKI: one CA per algorithm and a few users, made once per test
// process. Keys are cached as PEM in the build tree (never committed), so the
// ~50 test processes CTest starts do not each generate RSA-2048 keys.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <sys/stat.h>

#include <openssl/cms.h>

#include "security/pki.h"

namespace sipim::security::testing {

inline std::string KeyCacheDir() {
  std::string dir = std::string(SIPIM_BINARY_DIR) + "/security-test-keys";
  ::mkdir(dir.c_str(), 0700);
  return dir;
}

inline EvpPkeyPtr CachedKey(KeyAlg alg, const std::string& name) {
  auto key = LoadOrGenerateKey(alg, KeyCacheDir() + "/" + name + "-" + KeyAlgName(alg) + ".pem");
  EXPECT_TRUE(key.ok()) << key.error().ToString();
  return std::move(*key);
}

// The CAs and users of one algorithm.
struct Pki {
  TestCa ca;
  TestCa rogue_ca;  // not trusted
  X509StorePtr trust;
  std::map<std::string, Identity> users;  // by AOR
  KeyAlg alg;

  const Identity& user(const std::string& aor) { return users.at(aor); }
};

inline Pki& GetPki(KeyAlg alg) {
  static std::map<KeyAlg, std::unique_ptr<Pki>> pkis;
  auto& slot = pkis[alg];
  if (slot) return *slot;
  slot = std::make_unique<Pki>();
  Pki& p = *slot;
  p.alg = alg;
  // The CA is valid from 30 days ago so that tests can verify at past times.
  auto ca = TestCa::Create("sipim test CA", CachedKey(alg, "ca"), alg, {-30 * 86400, 3650LL * 86400});
  EXPECT_TRUE(ca.ok()) << ca.error().ToString();
  p.ca = std::move(*ca);
  auto rogue = TestCa::Create("rogue CA", CachedKey(alg, "rogue-ca"), alg);
  EXPECT_TRUE(rogue.ok()) << rogue.error().ToString();
  p.rogue_ca = std::move(*rogue);
  auto store = MakeTrustStore({p.ca.cert()});
  EXPECT_TRUE(store.ok());
  p.trust = std::move(*store);
  for (const char* who : {"alice", "bob", "carol", "dan"}) {
    std::string aor = std::string("sip:") + who + "@home.com";
    auto id = p.ca.Issue(aor, CachedKey(alg, who), alg);
    EXPECT_TRUE(id.ok()) << id.error().ToString();
    p.users[aor] = std::move(*id);
  }
  return p;
}

// The DER of a CMS ContentInfo built through OpenSSL's CMS API (a peer's
// output in the interop tests); empty if it cannot be encoded.
inline std::string CmsDer(CMS_ContentInfo* cms) {
  unsigned char* der = nullptr;
  const int n = cms != nullptr ? i2d_CMS_ContentInfo(cms, &der) : 0;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n > 0 ? n : 0));
  OPENSSL_free(der);
  return out;
}

}  // namespace sipim::security::testing
