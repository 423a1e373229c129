// MIKEY wire format (RFC 3830 §6): layout, round trips, strict bounded decoding, payloads beyond RFC 3830.
#include <gtest/gtest.h>

#include <dirent.h>

#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "security/mikey_codec.h"

namespace sipim::security::mikey {
namespace {

Message Everything() {
  Message m;
  m.hdr.data_type = DataType::kPkInit;
  m.hdr.v_flag = true;
  m.hdr.prf = PrfFunc::kHmacSha256;
  m.hdr.csb_id = 0xCAFEBABE;
  m.hdr.cs = {{0, 0x11223344, 0}, {1, 0x55667788, 9}};
  m.payloads.push_back(TPayload{0, 0xE1234567'89ABCDEFULL});
  m.payloads.push_back(TPayload{2, 0x01020304});
  m.payloads.push_back(RandPayload{Bytes(16, 0xAB)});
  m.payloads.push_back(IdPayload{1, ToBytes("sip:alice@home.com")});
  m.payloads.push_back(CertPayload{0, Bytes(300, 0x30)});
  SpPayload sp;
  sp.params = {{0, {1}}, {1, {16}}, {11, {10}}};
  m.payloads.push_back(sp);
  m.payloads.push_back(KemacPayload{1, Bytes(22, 0x5A), 1, Bytes(20, 0xEE)});
  m.payloads.push_back(PkePayload{2, Bytes(256, 0x77)});
  DhPayload dh;
  dh.group = 2;
  dh.value = Bytes(128, 0x42);
  dh.kv = 1;
  dh.kv_data = {3, 9, 8, 7};
  m.payloads.push_back(dh);
  m.payloads.push_back(VPayload{1, Bytes(20, 0x99)});
  m.payloads.push_back(ErrPayload{7});
  m.payloads.push_back(GeneralExtPayload{1, ToBytes("v=0")});
  m.payloads.push_back(SignPayload{0, Bytes(256, 0x66)});
  return m;
}

// Every payload type survives encode -> decode -> encode byte for byte, with next-payload chaining.
TEST(MikeyCodec, RoundTripAllPayloads) {
  Message m = Everything();
  auto bytes = Encode(m);
  ASSERT_TRUE(bytes.ok()) << bytes.error().ToString();
  auto d = Decode(*bytes);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->payloads.size(), m.payloads.size());
  EXPECT_EQ(d->hdr.csb_id, 0xCAFEBABEu);
  EXPECT_EQ(d->hdr.cs.size(), 2u);
  EXPECT_EQ(d->hdr.cs[1].roc, 9u);
  EXPECT_TRUE(d->hdr.v_flag);
  EXPECT_EQ(d->hdr.prf, PrfFunc::kHmacSha256);
  for (std::size_t i = 0; i < m.payloads.size(); ++i) EXPECT_EQ(TypeOf(d->payloads[i]), TypeOf(m.payloads[i]));
  EXPECT_EQ(d->offsets, m.offsets);
  EXPECT_EQ(d->Find<DhPayload>()->kv_data, (Bytes{3, 9, 8, 7}));
  EXPECT_EQ(d->Find<TPayload>(1)->value, 0x01020304u);
  auto again = Encode(*d);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);
}

// The header and T/RAND/ID payloads are laid out exactly as RFC 3830 §6.1/6.6/6.11/6.7 draw them.
TEST(MikeyCodec, ExactLayout) {
  Message m;
  m.hdr.data_type = DataType::kPskInit;
  m.hdr.v_flag = true;
  m.hdr.csb_id = 0x01020304;
  m.hdr.cs = {{5, 0xAABBCCDD, 0x00000001}};
  m.payloads.push_back(TPayload{0, 0x1122334455667788ULL});
  m.payloads.push_back(RandPayload{Bytes{0xF0, 0xF1}});
  m.payloads.push_back(IdPayload{1, ToBytes("sip:a@b")});
  auto b = Encode(m);
  ASSERT_TRUE(b.ok());
  const Bytes expect = {
      0x01, 0x00, 0x05, 0x80, 0x01, 0x02, 0x03, 0x04, 0x01, 0x00,           // HDR: next T, V=1, PRF 0
      0x05, 0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x00, 0x00, 0x01,                 // SRTP-ID entry
      0x0B, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,           // T: next RAND, NTP-UTC
      0x06, 0x02, 0xF0, 0xF1,                                               // RAND: next ID, len 2
      0x00, 0x01, 0x00, 0x07, 's', 'i', 'p', ':', 'a', '@', 'b'};           // ID: last, URI, len 7
  EXPECT_EQ(*b, expect);
}

// Every truncation of a valid message is an error naming the field, never a crash or a success.
TEST(MikeyCodec, EveryTruncationRejected) {
  Message m = Everything();
  auto bytes = Encode(m);
  ASSERT_TRUE(bytes.ok());
  for (std::size_t n = 0; n < bytes->size(); ++n) {
    auto d = Decode(bytes->data(), n);
    EXPECT_FALSE(d.ok()) << "prefix " << n;
    EXPECT_FALSE(d.error().message.empty());
  }
  Bytes extra = *bytes;
  extra.push_back(0);
  EXPECT_EQ(Decode(extra).code(), Errc::kMalformed);
}

// Payload types defined after RFC 3830 (IDR 14, SAKKE 26, ...) are rejected with their name and offset.
TEST(MikeyCodec, PayloadsBeyondRfc3830Rejected) {
  for (std::uint8_t type : {13, 14, 15, 16, 17, 26, 99, 255}) {
    Message m;
    m.hdr.data_type = DataType::kPskInit;
    m.payloads.push_back(TPayload{0, 1});
    auto b = Encode(m);
    ASSERT_TRUE(b.ok());
    // Chain T -> unknown type followed by plausible payload bytes (as a SAKKE message would).
    (*b)[m.offsets[0]] = type;
    Bytes tail = {0x00, 0x01, 0x00, 0x04, 1, 2, 3, 4};
    b->insert(b->end(), tail.begin(), tail.end());
    auto d = Decode(*b);
    ASSERT_EQ(d.code(), Errc::kUnknownPayload) << int(type) << " " << d.error().ToString();
    EXPECT_NE(d.error().message.find("payload type " + std::to_string(type)), std::string::npos);
    EXPECT_NE(d.error().message.find("offset " + std::to_string(b->size() - tail.size())), std::string::npos);
    if (type == 26) {
      EXPECT_NE(d.error().message.find("SAKKE"), std::string::npos);
    }
    if (type == 14) {
      EXPECT_NE(d.error().message.find("IDR"), std::string::npos);
    }
  }
}

// A MIKEY-SAKKE I_MESSAGE shaped as RFC 6509 lays it out (HDR, T, RAND, IDRi, IDRr, SAKKE, SIGN) is rejected at IDR.
TEST(MikeyCodec, CraftedSakkeMessageRejected) {
  Bytes b = {0x01, 0x1A /* data type 26: SAKKE */, 0x05, 0x00, 0, 0, 0, 1, 0x00, 0x01};
  EXPECT_EQ(Decode(b).code(), Errc::kUnsupported);  // data type outside RFC 3830/4650
  b[1] = 0x00;
  // T -> RAND -> IDR(14)...
  Bytes rest = {0x0B, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 0x0E, 0x10};
  for (int i = 0; i < 16; ++i) rest.push_back(static_cast<unsigned char>(i));
  rest.insert(rest.end(), {0x0E, 0x01, 0x00, 0x07, 's', 'i', 'p', ':', 'a', '@', 'b'});
  b.insert(b.end(), rest.begin(), rest.end());
  auto d = Decode(b);
  EXPECT_EQ(d.code(), Errc::kUnknownPayload);
  EXPECT_NE(d.error().message.find("IDR (RFC 6043)"), std::string::npos) << d.error().message;
}

// The real MIKEY-SAKKE messages of the shared corpus are rejected cleanly (when the corpus has them).
TEST(MikeyCodec, SakkeCorpusRejectedCleanly) {
  const std::string dir = std::string(SIPIM_CORPUS_DIR) + "/mikey";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) GTEST_SKIP() << "MIKEY-SAKKE corpus " << dir << " is not in this checkout";
  int seen = 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() < 5 || name.substr(name.size() - 4) == ".tsv" || name[0] == '.') continue;
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Bytes msg(raw.begin(), raw.end());
    Bytes decoded;
    if (Base64Decode(raw, decoded) && !decoded.empty()) msg = decoded;  // base64 files
    auto r = Decode(msg);
    EXPECT_FALSE(r.ok()) << name << " decoded although it carries SAKKE payloads";
    EXPECT_TRUE(r.code() == Errc::kUnknownPayload || r.code() == Errc::kUnsupported) << name << ": " << r.error().ToString();
    ++seen;
  }
  closedir(d);
  if (seen == 0) GTEST_SKIP() << dir << " has no messages";
}

// Random mutations of a valid message never crash the decoder and never decode to an inconsistent message.
TEST(MikeyCodec, MutationsNeverCrash) {
  Message m = Everything();
  auto bytes = Encode(m);
  ASSERT_TRUE(bytes.ok());
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b = *bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) b[rng() % b.size()] = static_cast<unsigned char>(rng());
    if (rng() % 4 == 0) b.resize(rng() % b.size());
    auto d = Decode(b);
    if (d.ok()) {
      ++accepted;
      auto again = Encode(*d);
      ASSERT_TRUE(again.ok()) << again.error().ToString();
      EXPECT_EQ(*again, b);  // what decodes re-encodes to the same bytes
    }
  }
  RecordProperty("accepted_mutations", accepted);
}

// Encoding refuses SIGN before other payloads, Key data at top level and DH values of the wrong size.
TEST(MikeyCodec, EncoderRefusesInvalidMessages) {
  Message m;
  m.payloads.push_back(SignPayload{0, Bytes(4, 1)});
  m.payloads.push_back(TPayload{0, 1});
  EXPECT_EQ(Encode(m).code(), Errc::kMalformed);
  Message k;
  k.payloads.push_back(KeyDataPayload{0, 0, Bytes(16, 1), {}, {}});
  EXPECT_EQ(Encode(k).code(), Errc::kMalformed);
  Message d;
  DhPayload dh;
  dh.group = 0;
  dh.value = Bytes(10, 1);
  d.payloads.push_back(dh);
  EXPECT_EQ(Encode(d).code(), Errc::kMalformed);
}

// Key data sub-payloads (with salt and SPI) and a leading ID round-trip; garbage after them is refused.
TEST(MikeyCodec, KeyDataRoundTrip) {
  KeyDataSet set;
  set.has_id = true;
  set.id = IdPayload{1, ToBytes("sip:alice@home.com")};
  set.keys.push_back(KeyDataPayload{1, 1, Bytes(16, 0x11), Bytes(14, 0x22), Bytes{2, 0xAB, 0xCD}});
  set.keys.push_back(KeyDataPayload{0, 0, Bytes(32, 0x33), {}, {}});
  auto b = EncodeKeyData(set);
  ASSERT_TRUE(b.ok());
  auto d = DecodeKeyData(b->data(), b->size(), true);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  ASSERT_EQ(d->keys.size(), 2u);
  EXPECT_EQ(d->keys[0].salt, Bytes(14, 0x22));
  EXPECT_EQ(d->keys[0].kv_data, (Bytes{2, 0xAB, 0xCD}));
  EXPECT_EQ(d->keys[1].key.size(), 32u);
  EXPECT_EQ(std::string(d->id.id.begin(), d->id.id.end()), "sip:alice@home.com");
  Bytes extra = *b;
  extra.push_back(9);
  EXPECT_FALSE(DecodeKeyData(extra.data(), extra.size(), true).ok());
}

}  // namespace
}  // namespace sipim::security::mikey
