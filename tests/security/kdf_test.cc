// MIKEY PRF (RFC 3830 §4.1.2, RFC 6043 §6.1) and key derivation (§4.1.3, §4.1.4).
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "security/kdf.h"

namespace sipim::security {
namespace {

Bytes Hex(const std::string& h) {
  Bytes b;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    b.push_back(static_cast<unsigned char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  }
  return b;
}

std::string ToHex(const Bytes& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s.push_back(d[c >> 4]);
    s.push_back(d[c & 15]);
  }
  return s;
}

Bytes Inkey(std::size_t n) {
  Bytes k(n);
  for (std::size_t i = 0; i < n; ++i) k[i] = static_cast<unsigned char>((7 * i + 1) & 0xff);
  return k;
}

Bytes Rand16() {
  Bytes r(16);
  for (int i = 0; i < 16; ++i) r[static_cast<std::size_t>(i)] = static_cast<unsigned char>(i);
  return r;
}

// Vectors computed at development time by an independent implementation
// (Python's hmac module), with:
//   python3 -c '...' (the script is in this comment):
//   def P(h,s,label,m):
//     out=b"";a=label
//     for i in range(m): a=hmac.new(s,a,h).digest(); out+=hmac.new(s,a+label,h).digest()
//     return out
//   def prf(h,inkey,label,L):
//     m=-(-L//hashlib.new(h).digest_size); out=bytearray(L)
//     for i in range(0,len(inkey),32):
//       p=P(h,inkey[i:i+32],label,m); out=bytearray(x^y for x,y in zip(out,p))
//     return bytes(out)
//   label=struct.pack(">IBI",0x2AD01C64,0,0x12345678)+bytes(range(16))
//   inkey=bytes((7*i+1)&0xff for i in range(n))
struct Vector {
  PrfFunc prf;
  std::size_t inkey_len, out_len;
  const char* hex;
};
const Vector kVectors[] = {
    {PrfFunc::kMikey1, 16, 16, "7b5bb4b8fc50999880175ed77ac9b772"},
    {PrfFunc::kMikey1, 16, 48, "7b5bb4b8fc50999880175ed77ac9b772d313eb33fa0602098a89b0691ca25b223aa4107ebc7687b93c7907aff44d6074"},
    {PrfFunc::kMikey1, 32, 16, "70d9566bf43edb79c70c7178649e9033"},
    {PrfFunc::kMikey1, 32, 48, "70d9566bf43edb79c70c7178649e9033a6a3e68af751d040a6f8ff2c5881d45ad2705de51b980b4e5b0d375206fd17f2"},
    {PrfFunc::kMikey1, 64, 20, "86998a8d8d206adc058638b7130953c3a2cb14b2"},
    {PrfFunc::kMikey1, 45, 14, "7464a17140b49a37a7e4cb74a91e"},
    {PrfFunc::kMikey1, 45, 48, "7464a17140b49a37a7e4cb74a91ea543beaf150f91bcf2c591a4bd7c704787983451cdd81b33315a2f8da24ee8bb52b2"},
    {PrfFunc::kHmacSha256, 16, 16, "8d222ca94badb32f5fbe8a3d6f5ec59d"},
    {PrfFunc::kHmacSha256, 32, 48, "06fd0d90179d3cc29093f4b537fdfd3463e153f6334524930c6706930ba92fac20597174d6ffa3f30c8f70e201056b3b"},
    {PrfFunc::kHmacSha256, 64, 16, "9b8a91555994b3590bb3979895d04733"},
    {PrfFunc::kHmacSha256, 45, 48, "76a0e83c6b1ae275e5b606c62133ad9213594b3c32a4620051736754e0dacae5b06ae6fe417d5e16354dbecafa171d7d"},
};

Bytes TekLabel() { return KdfLabel(kdf_const::kTek, 0, 0x12345678, Rand16()); }

// Both PRFs reproduce vectors computed by Python's hmac module, inkeys of 16, 32, 45 and 64 bytes.
TEST(Kdf, PrfMatchesIndependentVectors) {
  for (const Vector& v : kVectors) {
    auto out = MikeyPrf(v.prf, Inkey(v.inkey_len), TekLabel(), v.out_len);
    ASSERT_TRUE(out.ok()) << out.error().ToString();
    EXPECT_EQ(ToHex(*out), v.hex) << PrfFuncName(v.prf) << " inkey " << v.inkey_len << " out " << v.out_len;
  }
}

// P computed through a second route (OpenSSL's one-shot HMAC()).
Bytes OneShotP(const EVP_MD* md, const unsigned char* s, std::size_t n, const Bytes& label, std::size_t m) {
  Bytes out, a = label;
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (std::size_t i = 0; i < m; ++i) {
    HMAC(md, s, static_cast<int>(n), a.data(), a.size(), buf, &len);
    a.assign(buf, buf + len);
    Bytes in = a;
    in.insert(in.end(), label.begin(), label.end());
    HMAC(md, s, static_cast<int>(n), in.data(), in.size(), buf, &len);
    out.insert(out.end(), buf, buf + len);
  }
  return out;
}

// An inkey of exactly 32 or 64 bytes is cut into 1 or 2 chunks, never an extra empty one (the known bug class).
TEST(Kdf, InkeyMultipleOf256BitsHasNoEmptyChunk) {
  for (PrfFunc prf : {PrfFunc::kMikey1, PrfFunc::kHmacSha256}) {
    const EVP_MD* md = prf == PrfFunc::kMikey1 ? EVP_sha1() : EVP_sha256();
    const std::size_t h = prf == PrfFunc::kMikey1 ? 20 : 32;
    for (std::size_t n : {32u, 64u, 96u, 33u, 31u}) {
      Bytes key = Inkey(n);
      const std::size_t out_len = 30, m = (out_len + h - 1) / h;
      Bytes expect(out_len, 0);
      for (std::size_t off = 0; off < n; off += 32) {
        Bytes p = OneShotP(md, key.data() + off, std::min<std::size_t>(32, n - off), TekLabel(), m);
        for (std::size_t i = 0; i < out_len; ++i) expect[i] ^= p[i];
      }
      auto out = MikeyPrf(prf, key, TekLabel(), out_len);
      ASSERT_TRUE(out.ok());
      EXPECT_EQ(ToHex(*out), ToHex(expect)) << PrfFuncName(prf) << " inkey " << n;
      if (n % 32 == 0) {
        // The buggy variant XORs in one more P over an empty chunk; it must differ.
        Bytes buggy = expect;
        Bytes extra = OneShotP(md, key.data(), 0, TekLabel(), m);
        for (std::size_t i = 0; i < out_len; ++i) buggy[i] ^= extra[i];
        EXPECT_NE(ToHex(*out), ToHex(buggy));
      }
    }
  }
}

// Labels are laid out as constant || cs_id || csb_id || RAND.
TEST(Kdf, LabelLayout) {
  Bytes l = KdfLabel(kdf_const::kTek, 0x07, 0xDEADBEEF, {0x11, 0x22});
  EXPECT_EQ(ToHex(l), "2ad01c6407deadbeef1122");
  EXPECT_EQ(ToHex(KdfLabel(kdf_const::kMsgAuth, 0xFF, 1, {0x33})), "2d22ac75ff0000000133");
}

// TEK, salt and auth key differ from each other and depend on CS ID, CSB ID and RAND.
TEST(Kdf, SessionKeysAreSeparated) {
  Bytes tgk = Inkey(16), rand = Rand16();
  auto a = DeriveSessionKeys(PrfFunc::kMikey1, tgk, 1, 0x100, rand);
  auto b = DeriveSessionKeys(PrfFunc::kMikey1, tgk, 2, 0x100, rand);
  auto c = DeriveSessionKeys(PrfFunc::kMikey1, tgk, 1, 0x101, rand);
  Bytes rand2 = rand;
  rand2[0] ^= 1;
  auto d = DeriveSessionKeys(PrfFunc::kMikey1, tgk, 1, 0x100, rand2);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(a->tek.size(), 16u);
  EXPECT_EQ(a->salt.size(), 14u);
  EXPECT_EQ(a->auth_key.size(), 20u);
  EXPECT_NE(ToHex(a->tek), ToHex(Bytes(a->auth_key.begin(), a->auth_key.begin() + 16)));
  EXPECT_NE(ToHex(a->tek), ToHex(b->tek));
  EXPECT_NE(ToHex(a->tek), ToHex(c->tek));
  EXPECT_NE(ToHex(a->tek), ToHex(d->tek));
  // The TEK is exactly PRF(TGK, TEK constant || cs || csb || RAND).
  auto direct = MikeyPrf(PrfFunc::kMikey1, tgk, KdfLabel(kdf_const::kTek, 1, 0x100, rand), 16);
  EXPECT_EQ(ToHex(a->tek), ToHex(*direct));
}

// DeriveAuthKey is MessageKeys::auth_key alone, for both PRFs and inkeys of
// 16, 32 and 48 bytes (one chunk, exactly one, a chunk and a half): the
// MAC-only paths (V, DHHMAC's KEMAC) key with the same bytes as before.
TEST(Kdf, AuthKeyAloneIsTheMessageKeysAuthKey) {
  const Bytes rand = Rand16();
  for (PrfFunc prf : {PrfFunc::kMikey1, PrfFunc::kHmacSha256}) {
    for (std::size_t n : {16u, 32u, 48u}) {
      const Bytes key = Inkey(n);
      auto all = DeriveMessageKeys(prf, key, 0xCAFE, rand);
      auto auth = DeriveAuthKey(prf, key, 0xCAFE, rand);
      ASSERT_TRUE(all.ok() && auth.ok());
      EXPECT_EQ(ToHex(*auth), ToHex(all->auth_key)) << n;
      EXPECT_EQ(ToHex(*auth), ToHex(*MikeyPrf(prf, key, KdfLabel(kdf_const::kMsgAuth, 0xFF, 0xCAFE, rand), 20))) << n;
    }
  }
  EXPECT_EQ(DeriveAuthKey(PrfFunc::kMikey1, {}, 1, rand).code(), Errc::kMalformed);
}

// Empty inkey and zero length are errors, not an all-zero key.
TEST(Kdf, RejectsDegenerateInput) {
  EXPECT_EQ(MikeyPrf(PrfFunc::kMikey1, {}, TekLabel(), 16).code(), Errc::kMalformed);
  EXPECT_EQ(MikeyPrf(PrfFunc::kMikey1, Inkey(16), TekLabel(), 0).code(), Errc::kMalformed);
}

// The shared known-answer file for PRF-HMAC-SHA-256, when present in the corpus.
// Format read: tab-separated, '#' comments, a header row naming the columns
// inkey, label, outkey (hex) and optionally outkey_len (bits).
TEST(Kdf, PrfHmacSha256KnownAnswerFile) {
  const std::string path = std::string(SIPIM_CORPUS_DIR) + "/mikey/prf-hmac-sha256.tsv";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "known-answer file " << path << " is not in this checkout";
  std::string line;
  std::vector<std::string> cols;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) f.push_back(cell);
    if (cols.empty()) {
      cols = f;
      continue;
    }
    auto col = [&](const char* name) -> std::string {
      for (std::size_t i = 0; i < cols.size() && i < f.size(); ++i)
        if (cols[i] == name) return f[i];
      return {};
    };
    Bytes expect = Hex(col("outkey"));
    ASSERT_FALSE(expect.empty()) << "no outkey column in " << path;
    auto out = MikeyPrf(PrfFunc::kHmacSha256, Hex(col("inkey")), Hex(col("label")), expect.size());
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(ToHex(*out), ToHex(expect)) << line;
    ++checked;
  }
  EXPECT_GT(checked, 0) << path << " has no vectors";
}


// HmacKey equals OpenSSL's one-shot HMAC() for SHA-1 and SHA-256, for keys of 0..130 bytes
// (longer than the 64-byte block: hashed first), every split of the message into a || b, and
// repeated use of one key (the kept pad states are copied, never consumed).
TEST(Kdf, HmacKeyMatchesOpenSslHmac) {
  Bytes msg(150);
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<unsigned char>(i * 13 + 5);
  for (HmacDigest d : {HmacDigest::kSha1, HmacDigest::kSha256}) {
    const EVP_MD* md = d == HmacDigest::kSha1 ? EVP_sha1() : EVP_sha256();
    for (std::size_t klen : {0u, 1u, 20u, 32u, 63u, 64u, 65u, 130u}) {
      Bytes key(klen);
      for (std::size_t i = 0; i < klen; ++i) key[i] = static_cast<unsigned char>(0xA5 ^ i);
      auto h = HmacKey::Create(d, key.data(), key.size());
      ASSERT_TRUE(h.ok());
      ASSERT_EQ(h->size(), d == HmacDigest::kSha1 ? 20u : 32u);
      for (std::size_t n : {0u, 1u, 55u, 64u, 119u, 150u}) {
        unsigned char want[EVP_MAX_MD_SIZE];
        unsigned int wlen = 0;
        ASSERT_NE(HMAC(md, key.data(), static_cast<int>(klen), msg.data(), n, want, &wlen), nullptr);
        for (std::size_t cut : {std::size_t{0}, n / 3, n}) {
          Bytes got(h->size());
          ASSERT_TRUE(h->Mac(msg.data(), cut, msg.data() + cut, n - cut, got.data()));
          EXPECT_EQ(ToHex(got), ToHex(Bytes(want, want + wlen))) << "key " << klen << " msg " << n << " cut " << cut;
        }
      }
    }
  }
}

// The one-shot Hmac() gives HmacKey's result for "SHA1"/"SHA256", refuses other digests, and a
// moved-from or default HmacKey refuses to MAC instead of reading freed state.
TEST(Kdf, HmacOneShotAndEmptyKeyObject) {
  const Bytes key(20, 0x0b), data = {'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e'};
  auto one = Hmac("SHA1", key, data.data(), data.size());
  ASSERT_TRUE(one.ok());
  // RFC 2202 test case 1 (HMAC-SHA-1, key 20 x 0x0b, "Hi There").
  EXPECT_EQ(ToHex(*one), "b617318655057264e28bc0b6fb378c8ef146be00");
  auto two = Hmac("SHA256", key, data.data(), data.size());
  ASSERT_TRUE(two.ok());
  // RFC 4231 test case 1 (HMAC-SHA-256, same key and data).
  EXPECT_EQ(ToHex(*two), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hmac("MD5", key, data.data(), data.size()).code(), Errc::kUnsupported);
  auto h = HmacKey::Create(HmacDigest::kSha1, key.data(), key.size());
  ASSERT_TRUE(h.ok());
  HmacKey moved = std::move(*h);
  unsigned char out[32];
  EXPECT_TRUE(moved.Mac(data.data(), data.size(), nullptr, 0, out));
  EXPECT_EQ(ToHex(Bytes(out, out + 20)), "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_FALSE(h->Mac(data.data(), data.size(), nullptr, 0, out));  // moved from
  EXPECT_EQ(h->size(), 0u);
  EXPECT_FALSE(HmacKey().Mac(data.data(), data.size(), nullptr, 0, out));
}

}  // namespace
}  // namespace sipim::security
