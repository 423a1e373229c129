#pragma once
// RAII owners for the OpenSSL objects the security core uses: every object is
// freed by its matching free function on every path.
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sipim::security {

template <typename T, void (*F)(T*)>
struct OsslDeleter {
  void operator()(T* p) const { F(p); }
};
template <typename T, void (*F)(T*)>
using OsslPtr = std::unique_ptr<T, OsslDeleter<T, F>>;

inline void FreeBio(BIO* b) { BIO_free_all(b); }
inline void FreeX509Stack(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }

using EvpPkeyPtr = OsslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = OsslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpCipherCtxPtr = OsslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpMdCtxPtr = OsslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpMdPtr = OsslPtr<EVP_MD, EVP_MD_free>;
using EvpCipherPtr = OsslPtr<EVP_CIPHER, EVP_CIPHER_free>;
using EvpMacPtr = OsslPtr<EVP_MAC, EVP_MAC_free>;
using EvpMacCtxPtr = OsslPtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using X509Ptr = OsslPtr<X509, X509_free>;
using X509StorePtr = OsslPtr<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = OsslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using X509NamePtr = OsslPtr<X509_NAME, X509_NAME_free>;
using X509ExtPtr = OsslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using CmsPtr = OsslPtr<CMS_ContentInfo, CMS_ContentInfo_free>;
using BioPtr = OsslPtr<BIO, FreeBio>;
using X509StackPtr = OsslPtr<STACK_OF(X509), FreeX509Stack>;
using GeneralNamesPtr = OsslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;

using Bytes = std::vector<unsigned char>;

// SHA-256 fetched from the default provider once per process: OpenSSL 3's
// implicit fetch inside EVP_sha256()-style calls costs a lookup every time.
// Null only if the default provider has no SHA-256 (callers check).
inline const EVP_MD* Sha256Md() {
  static const EvpMdPtr md(EVP_MD_fetch(nullptr, "SHA2-256", nullptr));
  return md.get();
}

inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string ToString(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Everything written into a memory BIO, as a string.
inline std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);  // NOLINT: OpenSSL's type
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace sipim::security

namespace sipim::security {

// Standard base64 (RFC 4648), no line breaks.
inline std::string Base64Encode(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(len > 0 ? static_cast<std::size_t>(len) : 0);
  return out;
}

// Decodes base64, ignoring CR, LF, space and tab. False on any other bad input.
inline bool Base64Decode(std::string_view in, Bytes& out) {
  std::string clean;
  clean.reserve(in.size());
  for (char c : in) {
    if (c == '\r' || c == '\n' || c == ' ' || c == '\t') continue;
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return false;
    clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return false;
  std::size_t pad = 0;
  if (!clean.empty() && clean.back() == '=') ++pad;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') ++pad;
  if (clean.find('=') < clean.size() - pad) return false;  // '=' only at the end
  out.assign(clean.size() / 4 * 3, 0);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return false;
  out.resize(static_cast<std::size_t>(n) - pad);
  return true;
}

}  // namespace sipim::security
