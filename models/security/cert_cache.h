#pragma once
// A receiver's certificate cache: a UA that has seen a peer's certificate
// keeps it parsed (no d2i_X509, whose OpenSSL 3.0 public-key decoding is the
// most expensive step of receiving a signed message), with its SIP URIs, a
// ready signature-verification context, and the result of its last chain
// check. Entries are keyed by the exact DER bytes, so a different certificate
// (even one byte) is a different entry. Receivers (S/MIME, MIKEY) cache only
// a signer's certificate whose signature verified and whose chain reached the
// trust store; other certificates a message carries are parsed per message.
//
// A chain check is remembered for one trust store (held by the entry, and as
// it was: same flags, depth, verify callback and number of certificates and
// CRLs) and purpose, and only for a
// chain of leaf + trust anchor (no intermediates, whose presence depends on
// what each message carries). Validity is re-checked on every use: outside
// the window in which every certificate of the chain is valid, the chain is
// verified again in full (and fails with kCertExpired / kCertNotYetValid).
// A store changed in a way those do not show (a certificate replaced by
// another, the same count) needs Clear(). No CRL/OCSP checking is done anywhere in
// sipim, so no revocation state is cached either.
//
// Not thread-safe: one cache per user agent (or per thread).
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "security/error.h"
#include "security/ossl.h"
#include "security/pki.h"

namespace sipim::security {

class CertCache {
 public:
  struct Entry {
    std::string der;  // the key's bytes
    X509Ptr cert;
    std::vector<std::string> sip_uris;  // CertSipUris(cert), decoded once
    EvpPkeyCtxPtr verify_ctx;           // EVP_PKEY_verify context (SHA-256), made on first use
    // The entry's verify context (NewVerifyContext of its key), null on failure.
    EVP_PKEY_CTX* VerifyContext() {
      if (!verify_ctx) verify_ctx = NewVerifyContext(X509_get0_pubkey(cert.get()));
      return verify_ctx.get();
    }
    // The last successful chain check. The store is held (up-ref'd) so that
    // its address cannot be reused by another store while the memo names
    // it, and the memo also records what of the store can change in place:
    // its verification flags, depth and security level, its verify callback
    // and how many certificates and CRLs it holds (a CRL added later is
    // obeyed). Validity is checked at the time the chain check would use
    // (`at_time`, else the store's own fixed time, else now).
    X509StorePtr checked_store;
    int checked_purpose = -1;
    unsigned long checked_flags = 0;  // NOLINT: OpenSSL's type
    int checked_depth = 0;
    int checked_objects = 0;
    X509_STORE_CTX_verify_cb checked_cb = nullptr;
    int checked_auth_level = -1;
    std::time_t valid_from = 0, valid_until = -1;
  };

  explicit CertCache(std::size_t capacity = 1024) : capacity_(capacity) {}

  // Entries are shared: one handed out stays valid after the cache drops it
  // (a full cache drops one entry per insertion, possibly one in use).
  using EntryPtr = std::shared_ptr<Entry>;

  // The cached entry for these DER bytes, or null.
  EntryPtr Find(std::string_view der) const;
  // The cached entry for these DER bytes, or a new one parsed from them but
  // not yet cached (kMalformed if they are not exactly one certificate).
  // Receivers use this for what a message carries and Keep() only the
  // signer's entry once its chain verified, so that certificates nobody
  // vouches for neither fill the cache nor evict a peer's entry.
  Result<EntryPtr> Lookup(std::string_view der);
  // The cached entry for an already parsed certificate, or a new uncached
  // one sharing it (keyed by its DER; not re-parsed).
  Result<EntryPtr> LookupParsed(X509* cert);
  // Caches `e` (from Lookup) unless an entry for its DER is there already;
  // returns the cached one.
  EntryPtr Keep(EntryPtr e);
  // Lookup + Keep: caches whatever certificate it is given.
  Result<EntryPtr> Get(std::string_view der);
  // LookupParsed + Keep.
  Result<EntryPtr> Adopt(X509* cert);

  // Chain check through the entry's memo: verified in full on the first use,
  // for another store or purpose, or when `at_time` (default now) falls
  // outside the chain's validity window; otherwise only the window is checked.
  Status CheckChain(Entry& e, STACK_OF(X509) * untrusted, X509_STORE* trust, int purpose,
                    std::optional<std::time_t> at_time);

  void Clear() { entries_.clear(); }
  std::size_t size() const { return entries_.size(); }
  std::uint64_t parses() const { return parses_; }
  std::uint64_t full_chain_checks() const { return full_chain_checks_; }

 private:
  std::size_t capacity_;
  // Keys view the entries' own `der` strings.
  std::unordered_map<std::string_view, EntryPtr> entries_;
  std::uint64_t parses_ = 0;
  std::uint64_t full_chain_checks_ = 0;
};

}  // namespace sipim::security
