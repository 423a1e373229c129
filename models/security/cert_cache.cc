#include "security/cert_cache.h"
#include "security/wall_clock.h"

namespace sipim::security {

CertCache::EntryPtr CertCache::Find(std::string_view der) const {
  auto it = entries_.find(der);
  return it == entries_.end() ? nullptr : it->second;
}

CertCache::EntryPtr CertCache::Keep(EntryPtr e) {
  if (e == nullptr) return e;
  if (EntryPtr have = Find(e->der)) return have;
  if (capacity_ == 0) capacity_ = 1;
  // A full cache drops one entry (any: peers seen again are simply re-parsed;
  // a caller still holding it keeps it alive).
  if (entries_.size() >= capacity_) entries_.erase(entries_.begin());
  entries_.emplace(std::string_view(e->der), e);
  return e;
}

Result<CertCache::EntryPtr> CertCache::Lookup(std::string_view der) {
  if (EntryPtr have = Find(der)) return have;
  auto cert = CertFromDer(reinterpret_cast<const unsigned char*>(der.data()), der.size());
  if (!cert) return cert.error();
  ++parses_;
  auto e = std::make_shared<Entry>();
  e->der = std::string(der);
  e->cert = std::move(*cert);
  e->sip_uris = CertSipUris(e->cert.get());
  return e;
}

Result<CertCache::EntryPtr> CertCache::LookupParsed(X509* cert) {
  auto der = CertToDer(cert);
  if (!der) return der.error();
  std::string key(der->begin(), der->end());
  if (EntryPtr have = Find(key)) return have;
  if (X509_up_ref(cert) != 1) return CryptoError("X509_up_ref");
  auto e = std::make_shared<Entry>();
  e->der = std::move(key);
  e->cert.reset(cert);
  e->sip_uris = CertSipUris(cert);
  return e;
}

Result<CertCache::EntryPtr> CertCache::Get(std::string_view der) {
  auto e = Lookup(der);
  if (!e) return e.error();
  return Keep(std::move(*e));
}

Result<CertCache::EntryPtr> CertCache::Adopt(X509* cert) {
  auto e = LookupParsed(cert);
  if (!e) return e.error();
  return Keep(std::move(*e));
}

namespace {

// What of a store can change without its address changing.
struct StoreState {
  unsigned long flags = 0;  // NOLINT: OpenSSL's type
  int depth = 0;
  int objects = 0;
  X509_STORE_CTX_verify_cb cb = nullptr;
  int auth_level = 0;
};

StoreState StateOf(X509_STORE* s) {
  const X509_VERIFY_PARAM* param = X509_STORE_get0_param(s);
  return {X509_VERIFY_PARAM_get_flags(param), X509_VERIFY_PARAM_get_depth(param),
          sk_X509_OBJECT_num(X509_STORE_get0_objects(s)), X509_STORE_get_verify_cb(s),
          X509_VERIFY_PARAM_get_auth_level(param)};
}

// The time X509_verify_cert checks validity at: `at_time`, else the store's
// own fixed time (X509_V_FLAG_USE_CHECK_TIME), else now.
std::time_t CheckTime(X509_STORE* s, std::optional<std::time_t> at_time) {
  if (at_time) return *at_time;
  if (s != nullptr) {
    const X509_VERIFY_PARAM* param = X509_STORE_get0_param(s);
    if ((X509_VERIFY_PARAM_get_flags(param) & X509_V_FLAG_USE_CHECK_TIME) != 0) return X509_VERIFY_PARAM_get_time(param);
  }
  return WallClockSeconds();
}

}  // namespace

Status CertCache::CheckChain(Entry& e, STACK_OF(X509) * untrusted, X509_STORE* trust, int purpose,
                             std::optional<std::time_t> at_time) {
  const std::time_t t = CheckTime(trust, at_time);
  const StoreState now = trust != nullptr ? StateOf(trust) : StoreState{};
  if (trust != nullptr && e.checked_store.get() == trust && e.checked_purpose == purpose &&
      e.checked_flags == now.flags && e.checked_depth == now.depth && e.checked_objects == now.objects &&
      e.checked_cb == now.cb && e.checked_auth_level == now.auth_level && e.valid_from <= t && t <= e.valid_until) {
    return {};
  }
  ++full_chain_checks_;
  e.checked_store.reset();  // forget the old memo whatever the outcome
  auto w = VerifyCertChainWindow(e.cert.get(), untrusted, trust, purpose, at_time);
  if (!w) return w.error();
  // Leaf + trust anchor: nothing that depends on the message. Holding the
  // store keeps its address from being reused by another one.
  if (w->length == 2 && X509_STORE_up_ref(trust) == 1) {
    e.checked_store.reset(trust);
    e.checked_purpose = purpose;
    e.checked_flags = now.flags;
    e.checked_depth = now.depth;
    e.checked_objects = now.objects;
    e.checked_cb = now.cb;
    e.checked_auth_level = now.auth_level;
    e.valid_from = w->not_before;
    e.valid_until = w->not_after;
  }
  return {};
}

}  // namespace sipim::security
