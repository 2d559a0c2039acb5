// SPDX-License-Identifier: Apache-2.0
#include "crypto.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

using namespace sa::crypto;

TEST_CASE("SHA-256 and HMAC-SHA256 match published vectors", "[crypto]") {
  // FIPS 180-2 "abc" and RFC 4231 test case 2.
  CHECK(ToHex(Sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string key = "Jefe";
  CHECK(ToHex(HmacSha256({reinterpret_cast<const std::uint8_t*>(key.data()), key.size()},
                         "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("base64url without padding, strict", "[crypto]") {
  const Bytes b = {0xfb, 0xff, 0x01};
  CHECK(Base64UrlEncode(b) == "-_8B");
  CHECK(*Base64UrlDecode("-_8B") == b);
  CHECK(Base64UrlDecode("AQ")->size() == 1);
  CHECK_FALSE(Base64UrlDecode("AQ=="));  // padding is not the DIGSIG form
  CHECK_FALSE(Base64UrlDecode("+/8B"));  // standard alphabet is not base64url
  CHECK_FALSE(Base64UrlDecode("A"));     // impossible length
  CHECK_FALSE(Base64UrlDecode("AR"));    // non-canonical trailing bits
}

TEST_CASE("ECDSA P-256 raw r||s sign and verify", "[crypto]") {
  const auto key = SigningKey::Generate();
  const Bytes sig = key.Sign("09506000134352|S1");
  REQUIRE(sig.size() == kRawSignatureSize);
  const VerifyKey pub = key.Public();
  CHECK(pub.Verify("09506000134352|S1", sig));
  CHECK_FALSE(pub.Verify("09506000134352|S2", sig));
  Bytes flipped = sig;
  flipped[10] ^= 0x01;
  CHECK_FALSE(pub.Verify("09506000134352|S1", flipped));
  CHECK_FALSE(pub.Verify("09506000134352|S1", Bytes(64, 0)));     // r = s = 0
  CHECK_FALSE(pub.Verify("09506000134352|S1", Bytes(64, 0xff)));  // r, s >= n
  CHECK_FALSE(pub.Verify("09506000134352|S1", Bytes(sig.begin(), sig.begin() + 63)));

  SECTION("PEM round trip") {
    auto again = SigningKey::FromPem(key.PrivatePem());
    REQUIRE(again);
    CHECK(key.Public().Verify("m", again->Sign("m")));
    auto pub2 = VerifyKey::FromPem(key.PublicPem());
    REQUIRE(pub2);
    CHECK(pub2->Verify("m", key.Sign("m")));
  }
  SECTION("bad keys are refused with a reason") {
    CHECK_FALSE(VerifyKey::FromPem("not a key"));
    CHECK_FALSE(VerifyKey::FromPem(""));
    CHECK_FALSE(VerifyKey::LoadFile("/nonexistent/key.pem"));
    CHECK(VerifyKey::LoadFile("/nonexistent/key.pem").error().code == "bad_key");
  }
}

TEST_CASE("UUIDv7 ids are unique and time-ordered", "[crypto]") {
  const std::string a = NewUuidV7(1795000000000);
  const std::string b = NewUuidV7(1795000000001);
  CHECK(a.size() == 36);
  CHECK(a[14] == '7');
  CHECK(a < b);
  CHECK(NewUuidV7(1) != NewUuidV7(1));
}

TEST_CASE("one key verifies on several threads at once", "[crypto][threads]") {
  // The daemon checks labels on a worker pool. Run under the tsan preset to
  // see that no two threads share mbedTLS state.
  const auto key = SigningKey::Generate();
  const VerifyKey pub = key.Public();
  const Bytes good = key.Sign("09506000134352|T");
  Bytes bad = good;
  bad[5] ^= 0x40;
  std::atomic<int> right{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (pub.Verify("09506000134352|T", good) && !pub.Verify("09506000134352|T", bad)) ++right;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(right == 40);
}

TEST_CASE("ConstantTimeEqual compares whole contents and lengths", "[crypto]") {
  CHECK(sa::crypto::ConstantTimeEqual("", ""));
  CHECK(sa::crypto::ConstantTimeEqual("token-1", "token-1"));
  CHECK_FALSE(sa::crypto::ConstantTimeEqual("token-1", "token-2"));
  CHECK_FALSE(sa::crypto::ConstantTimeEqual("token", "token-1"));    // a prefix is not equal
  CHECK_FALSE(sa::crypto::ConstantTimeEqual("Token-1", "token-1"));  // nor another case
  CHECK_FALSE(
      sa::crypto::ConstantTimeEqual(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}
