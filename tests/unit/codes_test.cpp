// SPDX-License-Identifier: Apache-2.0
// The code parser: every accepted form, and every class of bad input with its
// own error code.
#include "codes.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <string>

using sa::codes::Kind;
using sa::codes::Parse;
using sa::codes::ParseOptions;

namespace {

const std::string kGs = "\x1d";
const std::string kGtin = "09506000134352";  // the GS1 example GTIN

ParseOptions Opts() {
  ParseOptions o;
  o.reference_year = 2026;
  return o;
}

std::string ErrorOf(const std::string& payload, const ParseOptions& o = Opts()) {
  auto r = Parse(payload, o);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == sa::ErrorKind::refused);
  CHECK_FALSE(r.error().message.empty());
  return r.error().code;
}

}  // namespace

TEST_CASE("GS1 Digital Link URIs on any host", "[codes][digital_link]") {
  SECTION("full path and query AIs") {
    auto c = Parse("https://id.example.com/01/" + kGtin + "/10/LOT7/21/SN-1?17=271231&8030=abc_-1",
                   Opts());
    REQUIRE(c);
    CHECK(c->kind == Kind::gs1_digital_link);
    CHECK(c->gtin == kGtin);
    CHECK(c->lot == "LOT7");
    CHECK(c->serial == "SN-1");
    CHECK(c->expiry->Iso() == "2027-12-31");
    CHECK(c->signature == "abc_-1");
  }
  SECTION("a path prefix before /01/, http, upper-case scheme, fragment and foreign params") {
    auto c = Parse("HTTP://Shop.Example.org/a/b/01/" + kGtin + "/21/X1?utm_source=qr#top", Opts());
    REQUIRE(c);
    CHECK(c->gtin == kGtin);
    CHECK(c->serial == "X1");
  }
  SECTION("GTIN-8, -12 and -13 in the path are normalised to 14 digits") {
    CHECK(Parse("https://x.test/01/96385074/21/A", Opts())->gtin == "00000096385074");
    CHECK(Parse("https://x.test/01/036000291452/21/A", Opts())->gtin == "00036000291452");
    CHECK(Parse("https://x.test/01/4006381333931/21/A", Opts())->gtin == "04006381333931");
  }
  SECTION("percent-decoding of values") {
    auto c = Parse("https://x.test/01/" + kGtin + "/21/A%2FB%25", Opts());
    REQUIRE(c);
    CHECK(c->serial == "A/B%");
  }
  SECTION("convenience aliases and cpv") {
    auto c = Parse("https://x.test/gtin/" + kGtin + "/cpv/C1/lot/L1/ser/S1", Opts());
    REQUIRE(c);
    CHECK(c->cpv == "C1");
    CHECK(c->lot == "L1");
    CHECK(c->serial == "S1");
  }
  SECTION("refusals") {
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A/10/L") == "ai_order");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A/21/B") == "repeated_ai");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A?17=261231&17=261231") == "repeated_ai");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A?21=B") == "repeated_ai");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A/extra") == "trailing_garbage");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21") == "truncated_field");
    CHECK(ErrorOf("https://x.test/01/09506000134353/21/A") == "bad_check_digit");
    CHECK(ErrorOf("https://x.test/01/095060001343/21/A") == "bad_check_digit");
    CHECK(ErrorOf("https://x.test/01/0950600013/21/A") == "bad_gtin_length");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A%2") == "bad_percent_encoding");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A%zz") == "bad_percent_encoding");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A%7E") ==
          "bad_character");  // ~ not in set 82
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A%01") == "bad_character");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/" + std::string(21, 'S')) ==
          "field_too_long");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A?17=261331") == "invalid_date");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A?17=2612") == "truncated_field");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A?8030=a+b") == "bad_character");
    CHECK(ErrorOf("https://x.test/01/" + kGtin + "/21/A?7777=1") == "unknown_ai");
    CHECK(ErrorOf("https://www.example.com/products/42") == "unrecognised_format");
  }
}

TEST_CASE("GS1 element strings", "[codes][element_string]") {
  SECTION("GS separated with an AIM prefix") {
    for (const std::string aim : {"]Q3", "]d2", "]C1", "]e0"}) {
      auto c = Parse(aim + "01" + kGtin + "17271231" + "10ABC" + kGs + "21SER9" + kGs + "8030sig",
                     Opts());
      REQUIRE(c);
      CHECK(c->kind == Kind::gs1_element_string);
      CHECK(c->symbology == aim);
      CHECK(c->gtin == kGtin);
      CHECK(c->lot == "ABC");
      CHECK(c->serial == "SER9");
      CHECK(c->expiry->Iso() == "2027-12-31");
      CHECK(c->signature == "sig");
    }
  }
  SECTION("without a prefix, a leading FNC1, a redundant separator after a fixed field") {
    auto c = Parse(kGs + "01" + kGtin + kGs + "21S1", Opts());
    REQUIRE(c);
    CHECK(c->serial == "S1");
  }
  SECTION("the human-readable bracket form") {
    auto c = Parse("(01)" + kGtin + "(17)270200(21)A(B)", Opts());
    REQUIRE_FALSE(c);  // '(' starts an AI: "(B)" is no AI
    auto d = Parse("(01)" + kGtin + "(17)270200(21)AB", Opts());
    REQUIRE(d);
    CHECK(d->expiry->Iso() == "2027-02-28");  // DD 00 = last day of the month
  }
  SECTION("a leap day") {
    CHECK(Parse("(01)" + kGtin + "(17)280229", Opts())->expiry->Iso() == "2028-02-29");
    CHECK(ErrorOf("(01)" + kGtin + "(17)270229") == "invalid_date");
  }
  SECTION("GS1 century rule: 51+ years ahead means the previous century") {
    CHECK(Parse("(01)" + kGtin + "(17)760101", Opts())->expiry->year == 2076);
    CHECK(Parse("(01)" + kGtin + "(17)780101", Opts())->expiry->year == 1978);
  }
  SECTION("other known AIs are kept, not lost") {
    auto c = Parse("]Q301" + kGtin + "3103000250" + "21S", Opts());
    REQUIRE(c);
    REQUIRE(c->other_ais.size() == 1);
    CHECK(c->other_ais[0].first == "3103");
  }
  SECTION("refusals") {
    CHECK(ErrorOf("]Q30109506000134353") == "bad_check_digit");
    CHECK(ErrorOf("]Q3010950600013435") == "truncated_field");
    CHECK(ErrorOf("]Q301" + kGtin + "17271") == "truncated_field");
    CHECK(ErrorOf("]Q301" + kGtin + "17271331") == "invalid_date");
    CHECK(ErrorOf("]Q301" + kGtin + "17270001") == "invalid_date");
    CHECK(ErrorOf("]Q301" + kGtin + "21A" + kGs + "21B") == "repeated_ai");
    CHECK(ErrorOf("]Q301" + kGtin + "21" + std::string(21, 'x')) == "field_too_long");
    CHECK(ErrorOf("]Q301" + kGtin + "21A B") == "bad_character");
    CHECK(ErrorOf("]Q301" + kGtin + "21A\xC3\xA9") == "bad_character");
    CHECK(ErrorOf("]Q301" + kGtin + "21") == "truncated_field");
    CHECK(ErrorOf("]Q301" + kGtin + "xyz") == "trailing_garbage");
  }
  SECTION("unknown AIs and a label with no GTIN") {
    CHECK(ErrorOf("]Q301" + kGtin + "89991") == "unknown_ai");
    CHECK(ErrorOf("]Q321ABC") == "missing_gtin");
    CHECK(ErrorOf("(01)" + kGtin + "(999)1") == "unknown_ai");
    CHECK(ErrorOf("(01)" + kGtin + "junk") == "trailing_garbage");
    CHECK(ErrorOf("(01)" + kGtin + "(21") == "truncated_field");
  }
}

TEST_CASE("plain EAN-8, UPC-A, EAN-13 and GTIN-14", "[codes][gtin]") {
  CHECK(Parse("96385074", Opts())->gtin == "00000096385074");
  CHECK(Parse("036000291452", Opts())->gtin == "00036000291452");
  CHECK(Parse("4006381333931", Opts())->gtin == "04006381333931");
  CHECK(Parse(kGtin, Opts())->gtin == kGtin);
  CHECK(Parse(kGtin, Opts())->kind == Kind::gtin);
  CHECK(Parse("]E04006381333931", Opts())->gtin == "04006381333931");
  CHECK(ErrorOf("4006381333932") == "bad_check_digit");
  CHECK(ErrorOf("96385075") == "bad_check_digit");
  CHECK(ErrorOf("1234567") == "bad_gtin_length");
  CHECK(ErrorOf("12345678901") == "bad_gtin_length");
  CHECK(ErrorOf("4006381333931abc") == "trailing_garbage");
}

TEST_CASE("empty, oversized and unreadable input", "[codes][bad_input]") {
  CHECK(ErrorOf("") == "empty_input");
  CHECK(ErrorOf("]Q3") == "empty_input");
  CHECK(ErrorOf(std::string(sa::codes::kMaxPayloadBytes + 1, '1')) == "input_too_large");
  CHECK(ErrorOf("hello world") == "unrecognised_format");
  CHECK(ErrorOf(std::string("\x00\x01\x02", 3)) == "bad_character");
}

TEST_CASE("brand URL patterns from config", "[codes][brand_url]") {
  auto pattern =
      sa::codes::BrandPattern::Compile("https://Brand.Example/u/{gtin}/{serial}?s={sig}");
  REQUIRE(pattern);
  ParseOptions o = Opts();
  o.brand_patterns.push_back(*pattern);
  auto c = Parse("https://brand.example/u/4006381333931/AB12?s=xyz", o);
  REQUIRE(c);
  CHECK(c->kind == Kind::brand_url);
  CHECK(c->gtin == "04006381333931");
  CHECK(c->serial == "AB12");
  CHECK(c->signature == "xyz");
  CHECK(ErrorOf("https://brand.example/u/4006381333932/AB12?s=xyz", o) == "bad_check_digit");
  // Not the pattern (path case differs): read as an ordinary URL, which is no Digital Link.
  CHECK(ErrorOf("https://brand.example/U/4006381333931/AB12?s=xyz", o) == "unrecognised_format");

  SECTION("bad patterns are refused when compiled") {
    CHECK_FALSE(sa::codes::BrandPattern::Compile("https://b.example/{serial}"));
    CHECK_FALSE(sa::codes::BrandPattern::Compile("https://b.example/{gtin}{serial}"));
    CHECK_FALSE(sa::codes::BrandPattern::Compile("https://b.example/{gtin}/{colour}"));
    CHECK_FALSE(sa::codes::BrandPattern::Compile("{gtin}/x"));
    CHECK_FALSE(sa::codes::BrandPattern::Compile("https://b.example/{gtin"));
  }
}

TEST_CASE("member codes", "[codes][member]") {
  const auto key = sa::crypto::SigningKey::Generate();
  const std::string code = sa::codes::MakeMemberCode("M-42", 1795000000, key);
  auto c = Parse(code, Opts());
  REQUIRE(c);
  CHECK(c->kind == Kind::member_code);
  CHECK(c->member_id == "M-42");
  CHECK(c->issued_at == 1795000000);
  sa::crypto::KeyRing ring({key.Public()});
  CHECK(sa::codes::VerifySignature(*c, ring) == sa::codes::SignatureState::valid);
  CHECK(ErrorOf("SAM1:") == "member_code_malformed");
  CHECK(ErrorOf("SAM1:M:12x:" + std::string(86, 'A')) == "member_code_malformed");
  CHECK(ErrorOf("SAM1:M 1:12:" + std::string(86, 'A')) == "member_code_malformed");
  CHECK(ErrorOf("SAM1:M:12:short") == "member_code_malformed");
  CHECK(ErrorOf(code + ":more") == "trailing_garbage");
}

TEST_CASE("member codes that name a price group (SAM2): the group is signed", "[codes][member]") {
  const auto key = sa::crypto::SigningKey::Generate();
  sa::crypto::KeyRing ring({key.Public()});
  const std::string code = sa::codes::MakeMemberCode("M-42", 1795000000, key, "gold");
  CHECK(code.rfind("SAM2:M-42:gold:1795000000:", 0) == 0);
  auto c = Parse(code, Opts());
  REQUIRE(c);
  CHECK(c->member_id == "M-42");
  CHECK(c->member_group == "gold");
  CHECK(c->issued_at == 1795000000);
  CHECK(sa::codes::VerifySignature(*c, ring) == sa::codes::SignatureState::valid);
  // A member who edits their tier to "employee" forges the code.
  std::string promoted = code;
  promoted.replace(promoted.find(":gold:"), 6, ":employee:");
  auto forged = Parse(promoted, Opts());
  REQUIRE(forged);
  CHECK(sa::codes::VerifySignature(*forged, ring) == sa::codes::SignatureState::invalid);
  // A SAM1 code carries no group.
  CHECK(Parse(sa::codes::MakeMemberCode("M-42", 1795000000, key), Opts())->member_group.empty());
  const std::string sig(86, 'A');
  CHECK(ErrorOf("SAM2:M:Gold:12:" + sig) == "member_code_malformed");  // capitals
  CHECK(ErrorOf("SAM2:M::12:" + sig) == "member_code_malformed");      // empty group
  CHECK(ErrorOf("SAM2:M:12:" + sig) == "member_code_malformed");       // no group
  CHECK(ErrorOf("SAM2:M:" + std::string(33, 'g') + ":12:" + sig) == "member_code_malformed");
  CHECK(ErrorOf(code + ":more") == "trailing_garbage");
}

TEST_CASE("label signatures: valid, invalid, absent", "[codes][signature]") {
  const auto brand = sa::crypto::SigningKey::Generate();
  const auto other = sa::crypto::SigningKey::Generate();
  sa::crypto::KeyRing ring({other.Public(), brand.Public()});  // any key of the ring
  const std::string sig = sa::codes::SignLabel(kGtin, "S1", brand);
  auto good = Parse(sa::codes::MakeDigitalLink("x.test", kGtin, "S1", sig), Opts());
  REQUIRE(good);
  CHECK(sa::codes::VerifySignature(*good, ring) == sa::codes::SignatureState::valid);
  auto moved = Parse(sa::codes::MakeDigitalLink("x.test", kGtin, "S2", sig), Opts());
  CHECK(sa::codes::VerifySignature(*moved, ring) == sa::codes::SignatureState::invalid);
  auto bare = Parse(sa::codes::MakeDigitalLink("x.test", kGtin, "S1", ""), Opts());
  CHECK(sa::codes::VerifySignature(*bare, ring) == sa::codes::SignatureState::absent);
  auto junk = Parse(sa::codes::MakeDigitalLink("x.test", kGtin, "S1", "AAAA"), Opts());
  CHECK(sa::codes::VerifySignature(*junk, ring) == sa::codes::SignatureState::invalid);
  sa::crypto::KeyRing strangers({other.Public()});
  CHECK(sa::codes::VerifySignature(*good, strangers) == sa::codes::SignatureState::invalid);
}

TEST_CASE("random bytes never crash the parser", "[codes][robustness]") {
  // A bounded, seeded sweep (the libFuzzer target is the long version).
  std::mt19937 rng(20261122);
  const std::string alphabet =
      std::string("0123456789()]Q3dC1e0/:?&=%") + kGs + "ABCxyz-_~\x01\xff";
  ParseOptions o = Opts();
  o.brand_patterns.push_back(*sa::codes::BrandPattern::Compile("https://b.t/{gtin}/{serial}"));
  const std::string seeds[] = {
      "https://x.test/01/" + kGtin + "/21/", "]Q301" + kGtin, "(01)", "SAM1:", "https://b.t/", ""};
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[static_cast<std::size_t>(i) % std::size(seeds)];
    const int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) s.push_back(alphabet[rng() % alphabet.size()]);
    auto r = Parse(s, o);
    if (r) {
      ++parsed;
      CHECK(r->gtin.size() == (r->kind == Kind::member_code ? 0u : 14u));
    } else {
      CHECK_FALSE(r.error().code.empty());
    }
  }
  CHECK(parsed > 0);
}

TEST_CASE("review findings: AIM-prefixed member codes, brand pattern boundaries, check digits",
          "[codes][regression]") {
  const auto key = sa::crypto::SigningKey::Generate();
  const std::string member = sa::codes::MakeMemberCode("M8", 1795000000, key);
  auto m = Parse("]Q1" + member, Opts());
  REQUIRE(m);
  CHECK(m->kind == Kind::member_code);
  CHECK(m->symbology == "]Q1");
  // Leading zeros would verify a text that was never signed.
  CHECK(ErrorOf("SAM1:M8:01795000000:" + std::string(86, 'A')) == "member_code_malformed");

  ParseOptions o = Opts();
  o.brand_patterns.push_back(
      *sa::codes::BrandPattern::Compile("https://b.example/{gtin}/{serial}"));
  auto dl = Parse("https://b.example/01/" + kGtin + "/21/SN1", o);
  REQUIRE(dl);
  CHECK(dl->kind == Kind::gs1_digital_link);
  ParseOptions q = Opts();
  q.brand_patterns.push_back(
      *sa::codes::BrandPattern::Compile("https://b.example/u/{gtin}?s={sig}"));
  auto tracked = Parse("https://b.example/u/" + kGtin + "?s=xyz&utm_source=wechat", q);
  REQUIRE(tracked);
  CHECK(tracked->signature == "xyz");

  CHECK(ErrorOf("]Q301" + kGtin + "0209506000134353" + "21S1") == "bad_check_digit");
  CHECK(ErrorOf("]Q301" + kGtin + "4140950600013434") == "bad_check_digit");  // GLN 0950600013439
  CHECK(Parse("]Q301" + kGtin + "4140950600013439", Opts()));
  // A path prefix that looks like /01/{digits} is skipped for the real key.
  auto pre = Parse("https://x.test/01/2024/01/" + kGtin + "/21/A", Opts());
  REQUIRE(pre);
  CHECK(pre->gtin == kGtin);
  // A phone number keyed into the scan box is not echoed into messages.
  auto phone = Parse("13812345678", Opts());
  REQUIRE_FALSE(phone);
  CHECK(phone.error().message.find("13812345678") == std::string::npos);
}
