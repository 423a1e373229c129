// Per-message sealing inside a session: round trips, tampering, replay, reordering, wrong keys.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <string>
#include <vector>

#include "security/kdf.h"
#include "security/seal.h"

namespace sipim::security {
namespace {

SessionKeys Keys(unsigned char seed) {
  SessionKeys k;
  for (int i = 0; i < 16; ++i) k.tek.push_back(static_cast<unsigned char>(seed + i));
  for (int i = 0; i < 14; ++i) k.salt.push_back(static_cast<unsigned char>(0xA0 + seed + i));
  for (int i = 0; i < 20; ++i) k.auth_key.push_back(static_cast<unsigned char>(0x50 + seed + i));
  return k;
}

const std::string kHeader = "MESSAGE sip:bob@home.com SIP/2.0\r\nContent-Length: 18\r\n\r\n";
const std::string kText = "Watson, come here.";

class SealSuiteTest : public ::testing::TestWithParam<SealSuite> {
 protected:
  SealSession Make(unsigned char seed = 1) {
    auto s = SealSession::Create(GetParam(), Keys(seed));
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return std::move(*s);
  }
};

// Seal then open gives the plaintext back; the frame is header + ciphertext + tag exactly.
TEST_P(SealSuiteTest, RoundTrip) {
  SealSession tx = Make(), rx = Make();
  for (std::size_t n : {0u, 1u, 100u, 1300u, 65536u}) {
    std::string pt(n, 'x');
    for (std::size_t i = 0; i < n; ++i) pt[i] = static_cast<char>(i * 31);
    std::string frame, out;
    ASSERT_TRUE(tx.Seal(kHeader, pt, frame).ok());
    EXPECT_EQ(frame.size(), n + SealOverhead(GetParam()));
    EXPECT_EQ(static_cast<unsigned char>(frame[0]), static_cast<unsigned char>(GetParam()));
    if (n >= 16) {
      EXPECT_EQ(frame.find(pt.substr(0, 16)), std::string::npos);  // encrypted
    }
    ASSERT_TRUE(rx.Open(kHeader, frame, out).ok());
    EXPECT_EQ(out, pt);
  }
}

// Any flipped bit in the frame, or a changed framing header, is "tampered" (or a replay/malformed for header bytes).
TEST_P(SealSuiteTest, TamperRejected) {
  SealSession tx = Make();
  std::string frame;
  ASSERT_TRUE(tx.Seal(kHeader, kText, frame).ok());
  for (std::size_t i = kSealHeaderLen; i < frame.size(); ++i) {
    SealSession rx = Make();
    std::string bad = frame, out;
    bad[i] ^= 0x01;
    auto st = rx.Open(kHeader, bad, out);
    EXPECT_EQ(st.code(), Errc::kTampered) << "byte " << i;
    EXPECT_TRUE(out.empty());
  }
  // Changing the sequence number changes the IV and the AAD: tag fails.
  {
    SealSession rx = Make();
    std::string bad = frame, out;
    bad[8] ^= 0x02;
    EXPECT_EQ(rx.Open(kHeader, bad, out).code(), Errc::kTampered);
  }
  SealSession rx = Make();
  std::string out;
  std::string header2 = kHeader;
  header2[0] = 'N';
  EXPECT_EQ(rx.Open(header2, frame, out).code(), Errc::kTampered);
  EXPECT_EQ(rx.Open(kHeader, frame.substr(0, 5), out).code(), Errc::kMalformed);
  std::string other_suite = frame;
  other_suite[0] = 0x7f;
  EXPECT_EQ(rx.Open(kHeader, other_suite, out).code(), Errc::kMalformed);
}

// A message sealed under another key is rejected.
TEST_P(SealSuiteTest, WrongKeyRejected) {
  SealSession tx = Make(1), rx = Make(2);
  std::string frame, out;
  ASSERT_TRUE(tx.Seal(kHeader, kText, frame).ok());
  EXPECT_EQ(rx.Open(kHeader, frame, out).code(), Errc::kTampered);
}

// Replays are rejected; reordering inside the 64-entry window is accepted, beyond it rejected.
TEST_P(SealSuiteTest, ReplayAndReorder) {
  SealSession tx = Make(), rx = Make();
  std::vector<std::string> frames(100);
  for (auto& f : frames) ASSERT_TRUE(tx.Seal(kHeader, kText, f).ok());
  std::string out;
  ASSERT_TRUE(rx.Open(kHeader, frames[99], out).ok());                        // seq 100
  EXPECT_EQ(rx.Open(kHeader, frames[99], out).code(), Errc::kReplay);          // replay
  EXPECT_TRUE(rx.Open(kHeader, frames[50], out).ok());                         // seq 51: age 49
  EXPECT_EQ(rx.Open(kHeader, frames[50], out).code(), Errc::kReplay);          // replay again
  EXPECT_TRUE(rx.Open(kHeader, frames[36], out).ok());                         // seq 37: age 63, last slot
  EXPECT_EQ(rx.Open(kHeader, frames[35], out).code(), Errc::kReplay);          // seq 36: age 64, outside
  EXPECT_EQ(rx.Open(kHeader, frames[0], out).code(), Errc::kReplay);           // far outside
  // A tampered frame does not advance the window.
  SealSession rx2 = Make();
  std::string bad = frames[10];
  bad.back() ^= 1;
  EXPECT_EQ(rx2.Open(kHeader, bad, out).code(), Errc::kTampered);
  EXPECT_TRUE(rx2.Open(kHeader, frames[10], out).ok());
}

// SealTo writes into a caller's buffer exactly the frame Seal appends, and
// OpenTo gives the plaintext back with its size; neither touches a byte
// beyond the frame or the plaintext.
TEST_P(SealSuiteTest, BufferFormsMatchStringForms) {
  SealSession tx_string = Make(), tx_buffer = Make(), rx = Make();
  for (std::size_t n : {0u, 100u, 1300u, 65536u}) {
    const std::string pt(n, 'q');
    std::string frame;
    ASSERT_TRUE(tx_string.Seal(kHeader, pt, frame).ok());
    std::vector<unsigned char> buf(tx_buffer.SealedSize(n) + 1, 0xEE);
    ASSERT_TRUE(tx_buffer.SealTo(kHeader, pt, buf.data()).ok());
    EXPECT_EQ(std::string(buf.begin(), buf.end() - 1), frame) << n;
    EXPECT_EQ(buf.back(), 0xEE);
    std::vector<unsigned char> out(n + 1, 0xEE);
    Result<std::size_t> got = rx.OpenTo(kHeader, frame, out.data());
    ASSERT_TRUE(got.ok()) << got.error().ToString();
    EXPECT_EQ(*got, n);
    EXPECT_EQ(std::string(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)), pt);
    EXPECT_EQ(out.back(), 0xEE);
  }
}

// A tampered frame opened into a buffer leaves no decrypted byte there (GCM
// decrypts before it checks the tag; AES-CM checks first).
TEST_P(SealSuiteTest, OpenToLeavesNothingOnTamper) {
  SealSession tx = Make(), rx = Make();
  const std::string pt(300, 'p');
  std::string frame;
  ASSERT_TRUE(tx.Seal(kHeader, pt, frame).ok());
  frame.back() ^= 1;
  std::vector<unsigned char> out(pt.size(), 0);
  EXPECT_EQ(rx.OpenTo(kHeader, frame, out.data()).code(), Errc::kTampered);
  EXPECT_EQ(std::count(out.begin(), out.end(), 'p'), 0);
}

// AES-CM takes at most 2^16 blocks (1 MiB) per message, sealing and
// opening: its counter is 16 bits, and past it one message's keystream
// would repeat another's (the block after 2^16 of message 1 is block 0 of a
// later message). Exactly 1 MiB seals and opens.
TEST(Seal, CmRefusesMessagesOverTwoToTheSixteenBlocks) {
  auto tx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, Keys(1));
  auto rx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, Keys(1));
  ASSERT_TRUE(tx.ok() && rx.ok());
  EXPECT_EQ(tx->MaxMessage(), std::size_t{1} << 20);
  const std::string max(std::size_t{1} << 20, 'a');
  std::string frame, out;
  ASSERT_TRUE(tx->Seal(kHeader, max, frame).ok());
  ASSERT_TRUE(rx->Open(kHeader, frame, out).ok());
  EXPECT_EQ(out, max);
  std::string big_frame;
  auto st = tx->Seal(kHeader, max + "b", big_frame);
  EXPECT_EQ(st.code(), Errc::kMalformed);
  EXPECT_NE(st.error().message.find("over the 1048576-byte limit of aescm-hmacsha1-80"), std::string::npos)
      << st.error().message;
  EXPECT_TRUE(big_frame.empty());
  // A frame of 2^20 + 1 ciphertext bytes is refused before anything is decrypted.
  std::string forged = frame.substr(0, kSealHeaderLen) + max + "b" + frame.substr(frame.size() - 10);
  forged[8] = 2;  // a new sequence number
  out.clear();
  EXPECT_EQ(rx->Open(kHeader, forged, out).code(), Errc::kMalformed);
  EXPECT_TRUE(out.empty());
  auto gcm = SealSession::Create(SealSuite::kAes128Gcm, Keys(1));
  EXPECT_EQ(gcm->MaxMessage(), static_cast<std::size_t>(INT32_MAX));
}

INSTANTIATE_TEST_SUITE_P(Suite, SealSuiteTest,
                         ::testing::Values(SealSuite::kAes128Gcm, SealSuite::kAesCmHmacSha1_80),
                         [](const auto& info) {
                           return info.param == SealSuite::kAes128Gcm ? std::string("gcm") : std::string("cm");
                         });

// The GCM frame matches an independent computation with the documented IV and AAD.
TEST(Seal, GcmLayoutMatchesIndependentComputation) {
  SessionKeys k = Keys(3);
  auto tx = SealSession::Create(SealSuite::kAes128Gcm, k);
  ASSERT_TRUE(tx.ok());
  tx->set_next_seq(0x0102030405060708ULL);
  std::string frame;
  ASSERT_TRUE(tx->Seal(kHeader, kText, frame).ok());
  unsigned char iv[12];
  for (int i = 0; i < 12; ++i) iv[i] = k.salt[static_cast<std::size_t>(i)];
  for (int i = 0; i < 8; ++i) iv[4 + i] ^= static_cast<unsigned char>(i + 1);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  std::string aad = kHeader + frame.substr(0, kSealHeaderLen);
  unsigned char ct[64], tag[16];
  int len = 0;
  EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), nullptr, k.tek.data(), iv);
  EVP_EncryptUpdate(c, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()), static_cast<int>(aad.size()));
  EVP_EncryptUpdate(c, ct, &len, reinterpret_cast<const unsigned char*>(kText.data()), static_cast<int>(kText.size()));
  EVP_EncryptFinal_ex(c, ct + len, &len);
  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag);
  EVP_CIPHER_CTX_free(c);
  EXPECT_EQ(frame.substr(1, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(frame.substr(kSealHeaderLen, kText.size()), std::string(reinterpret_cast<char*>(ct), kText.size()));
  EXPECT_EQ(frame.substr(kSealHeaderLen + kText.size()), std::string(reinterpret_cast<char*>(tag), 16));
}

// The AES-CM + HMAC-SHA1-80 frame matches an independent computation (SRTP-style IV, truncated HMAC).
TEST(Seal, CmLayoutMatchesIndependentComputation) {
  SessionKeys k = Keys(4);
  auto tx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, k);
  ASSERT_TRUE(tx.ok());
  tx->set_next_seq(0x1122334455667788ULL);
  std::string frame;
  // Seal twice: the second message checks that the HMAC context is correctly re-keyed.
  ASSERT_TRUE(tx->Seal(kHeader, "first", frame).ok());
  frame.clear();
  ASSERT_TRUE(tx->Seal(kHeader, kText, frame).ok());
  const std::uint64_t seq = 0x1122334455667789ULL;
  unsigned char iv[16] = {0};
  for (int i = 0; i < 14; ++i) iv[i] = k.salt[static_cast<std::size_t>(i)];
  for (int i = 0; i < 8; ++i) iv[6 + i] ^= static_cast<unsigned char>(seq >> (56 - 8 * i));
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  unsigned char ct[64];
  int len = 0;
  EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), nullptr, k.tek.data(), iv);
  EVP_EncryptUpdate(c, ct, &len, reinterpret_cast<const unsigned char*>(kText.data()), static_cast<int>(kText.size()));
  EVP_CIPHER_CTX_free(c);
  std::string authed = kHeader + frame.substr(0, kSealHeaderLen) + std::string(reinterpret_cast<char*>(ct), kText.size());
  unsigned char mac[20];
  unsigned int mlen = 0;
  HMAC(EVP_sha1(), k.auth_key.data(), 20, reinterpret_cast<const unsigned char*>(authed.data()), authed.size(), mac, &mlen);
  EXPECT_EQ(frame.substr(kSealHeaderLen, kText.size()), std::string(reinterpret_cast<char*>(ct), kText.size()));
  EXPECT_EQ(frame.substr(kSealHeaderLen + kText.size()), std::string(reinterpret_cast<char*>(mac), 10));
}

// Independent AES-128-CTR + HMAC-SHA1-80 frame for the CM suite, as the header documents.
std::string IndependentCmFrame(const SessionKeys& k, std::uint64_t seq, const std::string& framing,
                               const std::string& pt) {
  std::string hdr(1, '\x02');
  for (int i = 0; i < 8; ++i) hdr.push_back(static_cast<char>(seq >> (56 - 8 * i)));
  unsigned char iv[16] = {0};
  for (int i = 0; i < 14; ++i) iv[i] = k.salt[static_cast<std::size_t>(i)];
  for (int i = 0; i < 8; ++i) iv[6 + i] ^= static_cast<unsigned char>(seq >> (56 - 8 * i));
  std::string ct(pt.size(), '\0');
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), nullptr, k.tek.data(), iv);
  EVP_EncryptUpdate(c, reinterpret_cast<unsigned char*>(ct.data()), &len,
                    reinterpret_cast<const unsigned char*>(pt.data()), static_cast<int>(pt.size()));
  EVP_CIPHER_CTX_free(c);
  const std::string authed = framing + hdr + ct;
  unsigned char mac[20];
  unsigned int mlen = 0;
  HMAC(EVP_sha1(), k.auth_key.data(), 20, reinterpret_cast<const unsigned char*>(authed.data()), authed.size(), mac,
       &mlen);
  return hdr + ct + std::string(reinterpret_cast<char*>(mac), 10);
}

// Both AES-CM paths (ECB keystream up to kCmShortMax bytes, the CTR context above) give the
// documented frame at every length around the block size and the switch-over, and open it.
TEST(Seal, CmShortAndLongPathsMatchIndependentComputation) {
  const SessionKeys k = Keys(5);
  auto tx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, k);
  auto rx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, k);
  ASSERT_TRUE(tx.ok() && rx.ok());
  const std::size_t m = SealSession::kCmShortMax;
  std::uint64_t seq = 0x00000000000000FEULL;  // the IV's seq bytes carry over a byte boundary
  tx->set_next_seq(seq);
  for (std::size_t n : std::initializer_list<std::size_t>{0, 1, 15, 16, 17, 100, 143, m - 1, m, m + 1, 1300, 4097}) {
    std::string pt(n, '\0');
    for (std::size_t i = 0; i < n; ++i) pt[i] = static_cast<char>(i * 7 + n);
    std::string frame, out;
    ASSERT_TRUE(tx->Seal(kHeader, pt, frame).ok()) << n;
    EXPECT_EQ(frame, IndependentCmFrame(k, seq, kHeader, pt)) << "length " << n;
    ASSERT_TRUE(rx->Open(kHeader, frame, out).ok()) << n;
    EXPECT_EQ(out, pt) << n;
    ++seq;
  }
}

// The AES-CM tag covers the framing header at every length around the copy's 16-byte steps and
// around the 512-byte join (framing + header + ciphertext), byte-exact with an independent
// computation, and each frame opens.
TEST(Seal, CmFramesMatchAtEveryFramingLength) {
  const SessionKeys k = Keys(9);
  auto tx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, k);
  auto rx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, k);
  ASSERT_TRUE(tx.ok() && rx.ok());
  std::uint64_t seq = 1;
  std::vector<std::size_t> lengths;
  for (std::size_t f = 0; f <= 70; ++f) lengths.push_back(f);
  for (std::size_t f = 395; f <= 410; ++f) lengths.push_back(f);  // 9 + 100 + f crosses 512
  for (std::size_t f : lengths) {
    std::string framing(f, '\0');
    for (std::size_t i = 0; i < f; ++i) framing[i] = static_cast<char>('A' + i % 26);
    const std::string pt(100, 'p');
    std::string frame, out;
    ASSERT_TRUE(tx->Seal(framing, pt, frame).ok()) << f;
    EXPECT_EQ(frame, IndependentCmFrame(k, seq++, framing, pt)) << "framing length " << f;
    ASSERT_TRUE(rx->Open(framing, frame, out).ok()) << f;
    EXPECT_EQ(out, pt);
  }
}

// A receiver's buffer holds the framing header and then the frame; OpenTo is
// given two views into it, and the MAC is taken over them in place. Proves:
// for framing of 0..70 bytes and across the 512-byte join, and for short,
// long (AES-CTR) and over-the-join messages, such a message opens, and a bit
// flipped in its framing part, in its sequence number or in its ciphertext is
// still "tampered" (the in-place MAC covers all three).
TEST(Seal, CmOpensAMessageHeldInOneBuffer) {
  const SessionKeys k = Keys(10);
  auto tx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, k);
  auto rx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, k);
  ASSERT_TRUE(tx.ok() && rx.ok());
  std::vector<std::size_t> framings;
  for (std::size_t f = 0; f <= 70; f += 7) framings.push_back(f);
  for (std::size_t f = 400; f <= 406; ++f) framings.push_back(f);
  for (std::size_t n : {std::size_t{100}, SealSession::kCmShortMax + 40, SealSession::kCmJoinMax + 1}) {
    for (std::size_t f : framings) {
      std::string wire(f, '\0');
      for (std::size_t i = 0; i < f; ++i) wire[i] = static_cast<char>('a' + i % 26);
      const std::string pt(n, 'r');
      const std::string framing = wire;  // not a view into `wire`, which Seal grows
      ASSERT_TRUE(tx->Seal(framing, pt, wire).ok());
      const auto open = [&](const std::string& w) {
        std::string out(n, '\0');
        const std::string_view v = w;
        auto r = rx->OpenTo(v.substr(0, f), v.substr(f), reinterpret_cast<unsigned char*>(out.data()));
        return r.ok() ? out : "error " + std::to_string(static_cast<int>(r.code()));
      };
      std::vector<std::size_t> flips = {f + 5, f + kSealHeaderLen + n / 2};
      if (f > 0) flips.push_back(f / 2);
      for (std::size_t at : flips) {
        std::string bad = wire;
        bad[at] = static_cast<char>(bad[at] ^ 0x04);
        std::string out(n, '\0');
        const std::string_view v = bad;
        EXPECT_EQ(rx->OpenTo(v.substr(0, f), v.substr(f), reinterpret_cast<unsigned char*>(out.data())).code(),
                  Errc::kTampered)
            << "framing " << f << " message " << n << " flipped byte " << at;
      }
      EXPECT_EQ(open(wire), pt) << "framing " << f << " message " << n;
    }
  }
}

// A frame built independently (not by Seal) opens on both CM paths; a flipped last tag bit does not.
TEST(Seal, CmOpensIndependentlyBuiltFrames) {
  const SessionKeys k = Keys(6);
  auto rx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, k);
  ASSERT_TRUE(rx.ok());
  std::uint64_t seq = 1;
  for (std::size_t n : {std::size_t{40}, SealSession::kCmShortMax + 40}) {
    const std::string pt(n, 'q');
    std::string frame = IndependentCmFrame(k, seq++, kHeader, pt), out;
    std::string bad = frame;
    bad.back() ^= 0x01;
    EXPECT_EQ(rx->Open(kHeader, bad, out).code(), Errc::kTampered) << n;
    ASSERT_TRUE(rx->Open(kHeader, frame, out).ok()) << n;
    EXPECT_EQ(out, pt);
  }
}

// The AES-CM tag check sees all 80 bits of the tag: each single flipped bit,
// in every one of the ten bytes, is "tampered", and the untouched frame still
// opens afterwards (a rejected frame does not move the replay window).
TEST(Seal, CmTagCheckSeesEveryBitOfTheTag) {
  auto tx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, Keys(8));
  auto rx = SealSession::Create(SealSuite::kAesCmHmacSha1_80, Keys(8));
  ASSERT_TRUE(tx.ok() && rx.ok());
  std::string frame, out;
  ASSERT_TRUE(tx->Seal(kHeader, kText, frame).ok());
  const std::size_t tag_at = frame.size() - SealTagLen(SealSuite::kAesCmHmacSha1_80);
  for (std::size_t i = tag_at; i < frame.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = frame;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_EQ(rx->Open(kHeader, bad, out).code(), Errc::kTampered) << "tag byte " << i - tag_at << " bit " << bit;
    }
  }
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(rx->Open(kHeader, frame, out).ok());
  EXPECT_EQ(out, kText);
}

// A session keeps working after being moved (its keyed state travels with it).
// Both directions of a session count from seq 1, so they must not share a
// crypto session's keys: with the same keys the two directions' first frames
// are identical (every IV reused; for GCM the XOR of the plaintexts and a
// forgeable tag), and for AES-CM a frame reflected back to its sender
// verifies and opens (its MAC does not cover the direction). Proves: keys
// derived for CS ID 1 (initiator to responder) and CS ID 2 (responder to
// initiator) from one TGK give different frames for the same message, and
// neither direction's receiver opens the other's frame (kTampered), for
// both suites.
TEST(Seal, DirectionsNeedTheirOwnCryptoSession) {
  const Bytes tgk(16, 0x42), rand(16, 0x17);
  auto to_responder = DeriveSessionKeys(PrfFunc::kMikey1, tgk, 1, 0x01020304, rand);
  auto to_initiator = DeriveSessionKeys(PrfFunc::kMikey1, tgk, 2, 0x01020304, rand);
  ASSERT_TRUE(to_responder.ok() && to_initiator.ok());
  for (SealSuite suite : {SealSuite::kAes128Gcm, SealSuite::kAesCmHmacSha1_80}) {
    SCOPED_TRACE(SealSuiteName(suite));
    std::string shared_a, shared_b, a, b, out;
    auto sa = SealSession::Create(suite, *to_responder), sb = SealSession::Create(suite, *to_responder);
    ASSERT_TRUE(sa.ok() && sb.ok());
    ASSERT_TRUE(sa->Seal(kHeader, kText, shared_a).ok() && sb->Seal(kHeader, kText, shared_b).ok());
    EXPECT_EQ(shared_a, shared_b) << "one crypto session both ways: the same IV, the same frame";
    auto reflected = SealSession::Create(suite, *to_responder);
    ASSERT_TRUE(reflected.ok());
    EXPECT_TRUE(reflected->Open(kHeader, shared_a, out).ok()) << "a frame sent back to its sender opens";

    auto tx_i = SealSession::Create(suite, *to_responder), tx_r = SealSession::Create(suite, *to_initiator);
    auto rx_r = SealSession::Create(suite, *to_responder), rx_i = SealSession::Create(suite, *to_initiator);
    ASSERT_TRUE(tx_i.ok() && tx_r.ok() && rx_r.ok() && rx_i.ok());
    ASSERT_TRUE(tx_i->Seal(kHeader, kText, a).ok() && tx_r->Seal(kHeader, kText, b).ok());
    EXPECT_NE(a.substr(kSealHeaderLen), b.substr(kSealHeaderLen));
    EXPECT_EQ(rx_i->Open(kHeader, a, out).code(), Errc::kTampered) << "the initiator's frame reflected to it";
    EXPECT_EQ(rx_r->Open(kHeader, b, out).code(), Errc::kTampered) << "the responder's frame reflected to it";
    out.clear();  // Open appends
    ASSERT_TRUE(rx_r->Open(kHeader, a, out).ok());
    EXPECT_EQ(out, kText);
    out.clear();
    ASSERT_TRUE(rx_i->Open(kHeader, b, out).ok());
    EXPECT_EQ(out, kText);
  }
}

TEST(Seal, MovedSessionStillSealsAndOpens) {
  for (SealSuite suite : {SealSuite::kAes128Gcm, SealSuite::kAesCmHmacSha1_80}) {
    SealSession tx = std::move(*SealSession::Create(suite, Keys(7)));
    SealSession rx;
    rx = std::move(*SealSession::Create(suite, Keys(7)));
    SealSession tx2(std::move(tx));
    std::string frame, out;
    ASSERT_TRUE(tx2.Seal(kHeader, kText, frame).ok());
    ASSERT_TRUE(rx.Open(kHeader, frame, out).ok());
    EXPECT_EQ(out, kText);
  }
}

// Keys of the wrong size are refused at session creation.
TEST(Seal, RejectsBadKeys) {
  SessionKeys k = Keys(1);
  k.tek.resize(8);
  EXPECT_EQ(SealSession::Create(SealSuite::kAes128Gcm, k).code(), Errc::kMalformed);
  SessionKeys k2 = Keys(1);
  k2.auth_key.clear();
  EXPECT_EQ(SealSession::Create(SealSuite::kAesCmHmacSha1_80, k2).code(), Errc::kMalformed);
}

}  // namespace
}  // namespace sipim::security
