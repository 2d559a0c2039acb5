// SPDX-License-Identifier: Apache-2.0
// Variable-measure labels: the AIs a retail label may carry (formats, FNC1,
// pairs GS1 forbids), a scale label's weight and price as integers (310n,
// 320n, 392n, 393n) in every GS1 form, and the store's own RCN-13s read
// through RcnLayouts.
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codes.hpp"

using sa::codes::Kind;
using sa::codes::Parse;
using sa::codes::ParseOptions;
using sa::codes::RcnLayout;

namespace {

const std::string kGs = "\x1d";
const std::string kGtin = "09506000134352";  // the GS1 example GTIN

ParseOptions Opts() {
  ParseOptions o;
  o.reference_year = 2026;
  return o;
}

// The GS1 example GTIN, then one AI: as a GS1-128 (]C1) element string, where
// the AI ends the label and so needs no separator.
std::string Label(const std::string& ai, const std::string& value) {
  return "]C101" + kGtin + ai + value;
}

// The same AI as a Digital Link query parameter.
std::string Link(const std::string& ai, const std::string& value) {
  return "https://id.example/01/" + kGtin + "?" + ai + "=" + value;
}

std::string ErrorOf(const std::string& payload, const ParseOptions& o = Opts()) {
  auto r = Parse(payload, o);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == sa::ErrorKind::refused);
  CHECK_FALSE(r.error().message.empty());
  return r.error().code;
}

// Whether both forms read the AI's value; the error code they agree on when
// they do not.
std::string Verdict(const std::string& ai, const std::string& value) {
  auto element = Parse(Label(ai, value), Opts());
  auto link = Parse(Link(ai, value), Opts());
  const std::string a = element ? "ok" : element.error().code;
  const std::string b = link ? "ok" : link.error().code;
  INFO("AI (" << ai << ") " << value << ": element string " << a << ", digital link " << b);
  CHECK(a == b);
  if (element) {
    REQUIRE_FALSE(element->other_ais.empty());
    CHECK(element->other_ais.back() == std::make_pair(ai, value));
  }
  return a;
}

sa::codes::Measure MeasureOf(const std::string& payload, const ParseOptions& o = Opts()) {
  auto c = Parse(payload, o);
  INFO(payload << " -> " << (c ? "parsed" : c.error().code + ": " + c.error().message));
  REQUIRE(c);
  REQUIRE(c->measure);
  return *c->measure;
}

RcnLayout Layout(std::string prefix, int item_digits, RcnLayout::Value value, int value_digits,
                 int decimals, bool price_check_digit = false) {
  RcnLayout l;
  l.prefix = std::move(prefix);
  l.item_digits = item_digits;
  l.value = value;
  l.value_digits = value_digits;
  l.decimals = decimals;
  l.price_check_digit = price_check_digit;
  return l;
}

constexpr auto kPrice = RcnLayout::Value::price;
constexpr auto kWeight = RcnLayout::Value::weight;

}  // namespace

TEST_CASE("trade measures 310n-369n: six digits, n 0-5, real families only",
          "[codes][variable_measure][ai_table]") {
  CHECK(Verdict("3103", "001250") == "ok");
  CHECK(Verdict("3205", "000001") == "ok");
  CHECK(Verdict("3375", "000100") == "ok");  // KG PER m2, the last of 33nn
  CHECK(Verdict("3695", "000100") == "ok");
  CHECK(Verdict("3103", "00125A") == "bad_character");
  CHECK(ErrorOf(Link("3103", "00125")) == "truncated_field");
  CHECK(ErrorOf(Link("3103", "0012500")) == "field_too_long");
  CHECK(ErrorOf(Label("3103", "00125")) == "truncated_field");
  // n is a decimal point position of 0-5: 3106 does not exist.
  for (const std::string ai : {"3106", "3109", "3206", "3306"}) {
    CHECK(ErrorOf(Label(ai, "001250")) == "unknown_ai");
    CHECK(ErrorOf(Link(ai, "001250")) == "unknown_ai");
  }
  // Nor do the families 317-319, 338-339 and 358-359.
  for (const std::string ai : {"3170", "3190", "3380", "3390", "3580", "3590"}) {
    CHECK(ErrorOf(Label(ai, "001250")) == "unknown_ai");
  }
  SECTION("a predefined length: no separator needed after it, even mid-label") {
    auto c = Parse("]C101" + kGtin + "3103001250" + "3202000100" + "10LOT1", Opts());
    REQUIRE(c);
    CHECK(c->lot == "LOT1");
    REQUIRE(c->other_ais.size() == 2);
    CHECK(c->other_ais[1] == std::make_pair(std::string("3202"), std::string("000100")));
  }
}

TEST_CASE("amounts 390n-395n: lengths, currencies, FNC1 after each",
          "[codes][variable_measure][ai_table]") {
  SECTION("390n and 392n: 1 to 15 digits, n 0-9") {
    // (3929 1 would be 0.000000001: a fraction of a fen, bad_amount below.)
    for (const std::string ai : {"3900", "3909", "3920", "3922"}) {
      CHECK(Verdict(ai, "1") == "ok");
      CHECK(Verdict(ai, "100000000000000") == "ok");  // 15 digits
      CHECK(Verdict(ai, "1000000000000000") == "field_too_long");
      CHECK(Verdict(ai, "25.99") == "bad_character");
    }
    CHECK(Verdict("3929", "100000000000000") == "ok");
    CHECK(ErrorOf(Label("3922", "")) == "truncated_field");
    CHECK(ErrorOf(Link("3922", "")) == "truncated_field");
  }
  SECTION("391n and 393n: an ISO 4217 currency, then 1 to 15 digits") {
    for (const std::string ai : {"3910", "3919", "3930", "3932"}) {
      CHECK(Verdict(ai, "1561") == "ok");
      CHECK(Verdict(ai, "156100000000000000") == "ok");  // 3 + 15 digits
      CHECK(Verdict(ai, "1561000000000000000") == "field_too_long");
      CHECK(Verdict(ai, "156") == "truncated_field");  // a currency, no amount
      CHECK(Verdict(ai, "000100") == "bad_amount");    // 000 is no currency
      CHECK(Verdict(ai, "999100") == "ok");            // XXX, "no currency", is one
      CHECK(Verdict(ai, "15A100") == "bad_character");
    }
    CHECK(Verdict("3939", "156100000000000000") == "ok");
  }
  SECTION("394n: a 4-digit percentage, n 0-3") {
    CHECK(Verdict("3940", "0025") == "ok");
    CHECK(Verdict("3943", "0025") == "ok");
    CHECK(Verdict("3941", "025") == "truncated_field");
    CHECK(Verdict("3941", "00250") == "field_too_long");
    CHECK(ErrorOf(Label("3944", "0025")) == "unknown_ai");
  }
  SECTION("395n: a 6-digit price per unit of measure, n 0-5") {
    CHECK(Verdict("3952", "001999") == "ok");
    CHECK(Verdict("3955", "001999") == "ok");
    CHECK(Verdict("3952", "01999") == "truncated_field");
    CHECK(Verdict("3952", "0019990") == "field_too_long");
    CHECK(ErrorOf(Label("3956", "001999")) == "unknown_ai");
  }
  SECTION("no predefined length: a GS must end the field unless the label ends") {
    auto c = Parse("]C101" + kGtin + "39222599" + kGs + "10LOT1", Opts());
    REQUIRE(c);
    CHECK(c->lot == "LOT1");
    CHECK(c->measure->amount_minor == 2599);
    // Without the separator the lot runs into the price.
    CHECK(ErrorOf("]C101" + kGtin + "39222599" + "10LOT1") == "bad_character");
    CHECK(ErrorOf("]C101" + kGtin + "3941" + "0025" + "10LOT1") == "bad_character");
  }
  SECTION("39nn does not exist past 395n") {
    CHECK(ErrorOf(Label("3960", "1")) == "unknown_ai");
    CHECK(ErrorOf(Link("3990", "1")) == "unknown_ai");
  }
}

TEST_CASE("dates and times of fresh food: 7003, 7006, 7007, 8008",
          "[codes][variable_measure][ai_table]") {
  SECTION("7003 expiry time YYMMDDHHMM") {
    CHECK(Verdict("7003", "2712311530") == "ok");
    CHECK(Verdict("7003", "2712312359") == "ok");
    CHECK(Verdict("7003", "2712312400") == "invalid_date");  // hour 24
    CHECK(Verdict("7003", "2712311560") == "invalid_date");  // minute 60
    CHECK(Verdict("7003", "2702291530") == "invalid_date");  // 2027 has no 29 February
    CHECK(Verdict("7003", "2712001530") == "invalid_date");  // DD 00 is for AIs 11-17 only
    CHECK(Verdict("7003", "271231153") == "truncated_field");
    CHECK(Verdict("7003", "27123115300") == "field_too_long");
    // A fixed length that is not predefined: FNC1 still ends it.
    CHECK(ErrorOf("]C101" + kGtin + "7003" + "2712311530" + "10LOT1") == "bad_character");
    CHECK(Parse("]C101" + kGtin + "7003" + "2712311530" + kGs + "10LOT1", Opts()));
  }
  SECTION("8008 production time YYMMDDHH, then MM or MMSS") {
    CHECK(Verdict("8008", "27123115") == "ok");
    CHECK(Verdict("8008", "2712311530") == "ok");
    CHECK(Verdict("8008", "271231153045") == "ok");
    CHECK(Verdict("8008", "2712311") == "truncated_field");
    CHECK(Verdict("8008", "271231153") == "truncated_field");
    CHECK(Verdict("8008", "27123115304") == "truncated_field");
    CHECK(Verdict("8008", "2712311530450") == "field_too_long");
    CHECK(Verdict("8008", "27123124") == "invalid_date");
    CHECK(Verdict("8008", "271231153060") == "invalid_date");  // second 60
    CHECK(Verdict("8008", "27130115") == "invalid_date");      // month 13
  }
  SECTION("7006 first freeze date, 7007 harvest date or range") {
    CHECK(Verdict("7006", "271231") == "ok");
    CHECK(Verdict("7006", "271200") == "invalid_date");
    CHECK(Verdict("7006", "27123") == "truncated_field");
    CHECK(Verdict("7007", "271201") == "ok");
    CHECK(Verdict("7007", "271201271231") == "ok");
    CHECK(Verdict("7007", "2712012712") == "truncated_field");
    CHECK(Verdict("7007", "271201271232") == "invalid_date");
    CHECK(Verdict("7007", "2712012712310") == "field_too_long");
  }
}

TEST_CASE("other AIs a retail label carries", "[codes][variable_measure][ai_table]") {
  const std::string url = "https://brand.example/p/123?x=1&y=2";
  // A URL's ':' '/' '?' '&' '=' are all in set 82 (in a Digital Link they
  // would be percent-encoded).
  auto c = Parse(Label("8200", url), Opts());
  REQUIRE(c);
  CHECK(c->other_ais.back().second == url);
  CHECK(Verdict("8200", std::string(70, 'u')) == "ok");
  CHECK(Verdict("8200", std::string(71, 'u')) == "field_too_long");
  CHECK(Verdict("8200", "a b") == "bad_character");
  CHECK(Verdict("8005", "000250") == "ok");  // price per unit
  CHECK(Verdict("8005", "00025") == "truncated_field");
  CHECK(Verdict("243", "PCN-1") == "ok");
  CHECK(Verdict("243", std::string(21, 'P')) == "field_too_long");
  CHECK(Verdict("7002", "MEAT-CUT/1") == "ok");
  CHECK(Verdict("7002", std::string(31, 'M')) == "field_too_long");
  CHECK(Verdict("7005", "FAO27") == "ok");
  CHECK(Verdict("7005", std::string(13, 'A')) == "field_too_long");
  CHECK(Verdict("7008", "COD") == "ok");
  CHECK(Verdict("7008", "CODS") == "field_too_long");
  CHECK(Verdict("7009", "OTB") == "ok");
  CHECK(Verdict("7010", "01") == "ok");
  CHECK(Verdict("7010", "012") == "field_too_long");
  for (const std::string ai : {"710", "711", "712", "713", "714", "715"}) {
    CHECK(Verdict(ai, "PZN12345") == "ok");
    CHECK(Verdict(ai, std::string(21, '1')) == "field_too_long");
  }
  CHECK(Verdict("423", "156") == "ok");
  CHECK(Verdict("423", "156840276380250") == "ok");  // five countries
  CHECK(Verdict("423", "1568") == "truncated_field");
  CHECK(Verdict("423", "156840276380250724") == "field_too_long");
  CHECK(Verdict("425", "156840") == "ok");
  CHECK(Verdict("424", "156") == "ok");
  CHECK(Verdict("424", "15") == "truncated_field");
  CHECK(Verdict("426", "1560") == "field_too_long");
  CHECK(Verdict("427", "BJ") == "ok");
  CHECK(Verdict("427", "BJXX") == "field_too_long");
  SECTION("what the agent does not know stays unknown_ai") {
    CHECK(ErrorOf(Label("7001", "1234567890123")) == "unknown_ai");
    CHECK(ErrorOf(Label("8111", "0100")) == "unknown_ai");
    CHECK(ErrorOf(Label("428", "1")) == "unknown_ai");
    CHECK(ErrorOf(Link("716", "1")) == "unknown_ai");
  }
}

TEST_CASE("a scale label's weight in grams: 310n kg, 320n lb, integers only",
          "[codes][variable_measure][weight]") {
  // 310n: n6 kilograms with n decimals.
  CHECK(MeasureOf(Label("3103", "001250")).net_weight_g == 1250);   // 1.250 kg
  CHECK(MeasureOf(Label("3102", "001250")).net_weight_g == 12500);  // 12.50 kg
  CHECK(MeasureOf(Label("3101", "001250")).net_weight_g == 125000);
  CHECK(MeasureOf(Label("3100", "000012")).net_weight_g == 12000);
  CHECK(MeasureOf(Label("3100", "999999")).net_weight_g == 999999000);
  // Past the gram: half up. 0.1234 kg = 123.4 g, 0.1235 kg = 123.5 g.
  CHECK(MeasureOf(Label("3104", "001234")).net_weight_g == 123);
  CHECK(MeasureOf(Label("3104", "001235")).net_weight_g == 124);
  CHECK(MeasureOf(Label("3105", "012349")).net_weight_g == 123);  // 123.49 g
  CHECK(MeasureOf(Label("3105", "012350")).net_weight_g == 124);  // 123.50 g
  CHECK(MeasureOf(Label("3105", "000049")).net_weight_g == 0);    // 0.49 g
  // 320n: pounds, 1 lb = 453.59237 g exactly.
  CHECK(MeasureOf(Label("3200", "000001")).net_weight_g == 454);        // 453.59237
  CHECK(MeasureOf(Label("3202", "000100")).net_weight_g == 454);        // 1.00 lb
  CHECK(MeasureOf(Label("3201", "000025")).net_weight_g == 1134);       // 2.5 lb = 1133.98 g
  CHECK(MeasureOf(Label("3205", "100000")).net_weight_g == 454);        // 1.00000 lb
  CHECK(MeasureOf(Label("3200", "999999")).net_weight_g == 453591916);  // 453591916.41 g
  SECTION("a label with both: the kilograms, whatever the order") {
    CHECK(MeasureOf("]C101" + kGtin + "3103001250" + "3202000276").net_weight_g == 1250);
    CHECK(MeasureOf("]C101" + kGtin + "3202000276" + "3103001250").net_weight_g == 1250);
  }
  SECTION("gross weights and other measures are no net weight") {
    auto c = Parse("]C101" + kGtin + "3303001250" + "3113000500" + "3153000750", Opts());
    REQUIRE(c);
    CHECK_FALSE(c->measure);
    CHECK(c->other_ais.size() == 3);
  }
  SECTION("one measure given twice with different decimals is refused") {
    CHECK(ErrorOf("]C101" + kGtin + "3102000125" + "3103001250") == "repeated_ai");
    CHECK(ErrorOf("]C101" + kGtin + "3202000125" + "3203001250") == "repeated_ai");
    CHECK(ErrorOf("https://id.example/01/" + kGtin + "?3102=000125&3103=001250") == "repeated_ai");
    CHECK(ErrorOf("(01)" + kGtin + "(3103)001250(3103)001250") == "repeated_ai");
  }
}

TEST_CASE("a scale label's price in minor units: 392n, 393n, never rounded",
          "[codes][variable_measure][amount]") {
  CHECK(MeasureOf(Label("3922", "2599")).amount_minor == 2599);       // 25.99
  CHECK(MeasureOf(Label("3921", "2599")).amount_minor == 25990);      // 259.9
  CHECK(MeasureOf(Label("3920", "26")).amount_minor == 2600);         // 26
  CHECK(MeasureOf(Label("3923", "25990")).amount_minor == 2599);      // 25.990
  CHECK(MeasureOf(Label("3929", "1000000000")).amount_minor == 100);  // 1.000000000
  CHECK(MeasureOf(Label("3922", "0")).amount_minor == 0);
  CHECK(MeasureOf(Label("3920", "999999999999999")).amount_minor == 99999999999999900);
  CHECK(MeasureOf(Label("3922", "2599")).currency_numeric.empty());
  SECTION("a fraction of a fen is refused, not rounded") {
    CHECK(ErrorOf(Label("3923", "25991")) == "bad_amount");
    CHECK(ErrorOf(Link("3923", "25991")) == "bad_amount");
    CHECK(ErrorOf(Label("3929", "1000000001")) == "bad_amount");
    CHECK(ErrorOf(Label("3933", "15625991")) == "bad_amount");
  }
  SECTION("393n: ISO 4217 numeric currency, then the amount") {
    auto cny = MeasureOf(Label("3932", "1562599"));
    CHECK(cny.amount_minor == 2599);
    CHECK(cny.currency_numeric == "156");  // CNY
    auto usd = MeasureOf(Label("3930",
                               "840"
                               "7"));
    CHECK(usd.amount_minor == 700);
    CHECK(usd.currency_numeric == "840");
    CHECK(MeasureOf(Label("3933", "15625990")).amount_minor == 2599);
  }
  SECTION("one amount only: 392n with 393n, two 392n, 392n or 393n with 395n") {
    CHECK(ErrorOf("]C101" + kGtin + "39222599" + kGs + "39321562599") == "repeated_ai");
    CHECK(ErrorOf("]C101" + kGtin + "39222599" + kGs + "392125990") == "repeated_ai");
    CHECK(ErrorOf("]C101" + kGtin + "39321562599" + kGs + "3952001999") == "repeated_ai");
    CHECK(ErrorOf("https://id.example/01/" + kGtin + "?3952=001999&3922=2599") == "repeated_ai");
    CHECK(ErrorOf("]C101" + kGtin + "3952001999" + kGs + "8005001999") == "repeated_ai");
    CHECK(ErrorOf("]C101" + kGtin + "39021" + kGs + "39101561") == "repeated_ai");
  }
  SECTION("390n, 391n, 394n and 395n are kept but are no price of this item") {
    auto c = Parse("]C101" + kGtin + "3952001999" + kGs + "39411000", Opts());
    REQUIRE(c);
    CHECK_FALSE(c->measure);
    CHECK(c->other_ais.size() == 2);
  }
}

TEST_CASE("weight and price together, in every GS1 form", "[codes][variable_measure][forms]") {
  sa::codes::Measure want;
  want.net_weight_g = 1250;
  want.amount_minor = 2599;
  SECTION("Digital Link query") {
    auto c = Parse("https://id.example/01/" + kGtin + "?3103=001250&3922=2599", Opts());
    REQUIRE(c);
    CHECK(c->kind == Kind::gs1_digital_link);
    CHECK(c->measure == want);
    // The AIs stay in other_ais as printed.
    REQUIRE(c->other_ais.size() == 2);
    CHECK(c->other_ais[0] == std::make_pair(std::string("3103"), std::string("001250")));
    CHECK(c->other_ais[1] == std::make_pair(std::string("3922"), std::string("2599")));
  }
  SECTION("Digital Link with a serial, 7003 and percent-encoding") {
    auto c = Parse(
        "https://id.example/01/" + kGtin + "/21/S1?7003=2712311530&%33%31%30%33=001250&3922=2599",
        Opts());
    REQUIRE(c);
    CHECK(c->serial == "S1");
    CHECK(c->measure == want);
  }
  SECTION("element string with GS separators, each AIM prefix") {
    for (const std::string aim : {"]C1", "]Q3", "]d2", "]e0"}) {
      auto c = Parse(aim + "01" + kGtin + "3103001250" + "3922" + "2599" + kGs + "10LOT1" + kGs +
                         "7003" + "2712311530",
                     Opts());
      REQUIRE(c);
      CHECK(c->kind == Kind::gs1_element_string);
      CHECK(c->measure == want);
      CHECK(c->lot == "LOT1");
    }
  }
  SECTION("the bracket form") {
    auto c = Parse("(01)" + kGtin + "(3103)001250(3922)2599", Opts());
    REQUIRE(c);
    CHECK(c->measure == want);
  }
  SECTION("no measure AI, no measure") {
    auto c = Parse("]C101" + kGtin + "10LOT1", Opts());
    REQUIRE(c);
    CHECK_FALSE(c->measure);
    CHECK_FALSE(Parse(kGtin, Opts())->measure);
  }
}

TEST_CASE("the GS1 price check digit (GenSpecs 7.9.3)", "[codes][variable_measure][rcn]") {
  using sa::codes::PriceCheckDigit;
  // 2875, weights 2- 2- 3 5-: 2x2=4 -> 4; 2x8=16 -> 6-1=5; 3x7=21; 5x5=25 ->
  // 5-2=3. Sum 33, x3 = 99: check digit 9.
  CHECK(PriceCheckDigit("2875") == '9');
  // 0599: 0 -> 0; 2x5=10 -> 0-1=9; 3x9=27; 5x9=45 -> 5-4=1. Sum 37, x3 =
  // 111: check digit 1.
  CHECK(PriceCheckDigit("0599") == '1');
  // 14685, weights 5+ 2- 5- 5+ 2-: 5x1=5 -> 5; 2x4=8 -> 8; 5x6=30 -> 0-3=7;
  // 5x8=40 -> 0+4=4; 2x5=10 -> 0-1=9. Sum 33; 10-3 = 7 is 5- of 6 (30 -> 7):
  // check digit 6.
  CHECK(PriceCheckDigit("14685") == '6');
  CHECK(PriceCheckDigit("0000") == '0');
  CHECK(PriceCheckDigit("00000") == '0');
  CHECK(PriceCheckDigit("123") == '\0');
  CHECK(PriceCheckDigit("123456") == '\0');
  CHECK(PriceCheckDigit("12a4") == '\0');
}

TEST_CASE("in-store RCN-13: item and price or weight through the store's layouts",
          "[codes][variable_measure][rcn]") {
  ParseOptions o = Opts();
  o.rcn_layouts = {
      Layout("20", 5, kPrice, 5, 2),        // 20 IIIII PPPPP C, price in fen
      Layout("21", 5, kWeight, 5, 3),       // 21 IIIII WWWWW C, kg with 3 decimals
      Layout("22", 5, kPrice, 4, 2, true),  // 22 IIIII V PPPP C
      Layout("23", 4, kPrice, 5, 2, true),  // 23 IIII V PPPPP C
      Layout("24", 5, kWeight, 5, 4),       // 24 IIIII WWWWW C, kg with 4 decimals
      Layout("2", 6, kWeight, 5, 3),        // 2 IIIIII WWWWW C, the rest of 20-29
      Layout("02", 5, kPrice, 4, 2, true),  // UPC-A 2 IIIII V PPPP C
  };
  REQUIRE(sa::codes::RcnLayoutsProblem(o.rcn_layouts).empty());

  // Each check digit worked by hand (GS1 mod 10, weights 3 1 3 ... from the
  // right of the first 12 digits), then checked against Gs1CheckDigit.
  struct Case {
    std::string scanned;
    std::string gtin;  // the item as the catalog lists it
    std::optional<std::int64_t> amount_minor;
    std::optional<std::int64_t> net_weight_g;
  };
  const std::vector<Case> cases = {
      // 20 12345 02599: x3 on 9,5,0,4,2,0 = 20 -> 60; x1 on 9,2,5,3,1,2 = 22;
      // 82 -> 8. Item 20 12345 00000: 6 -> 18, 11; 29 -> 1. 25.99 yuan.
      {"2012345025998", "02012345000001", 2599, std::nullopt},
      // 21 00042 01250: x3 on 0,2,0,4,0,1 = 7 -> 21; x1 on 5,1,2,0,0,2 = 10;
      // 31 -> 9. Item 21 00042 00000: 5 -> 15, 4; 19 -> 1. 1.250 kg.
      {"2100042012509", "02100042000001", std::nullopt, 1250},
      // 22 00777 9 2875 (price check 9, above): x3 on 5,8,9,7,0,2 = 31 -> 93;
      // x1 on 7,2,7,7,0,2 = 25; 118 -> 2. Item 22 00777 0 0000: 9 -> 27, 16;
      // 43 -> 7. 28.75 yuan.
      {"2200777928752", "02200777000007", 2875, std::nullopt},
      // 23 0123 6 14685 (price check 6, above): x3 on 5,6,1,3,1,3 = 19 -> 57;
      // x1 on 8,4,6,2,0,2 = 22; 79 -> 1. Item 23 0123 000000: 7 -> 21, 4; 25
      // -> 5. 146.85 yuan.
      {"2301236146851", "02301230000005", 14685, std::nullopt},
      // 24 00001 12345: x3 on 5,3,1,0,0,4 = 13 -> 39; x1 on 4,2,1,0,0,2 = 9;
      // 48 -> 2. Item: 4 -> 12, 3; 15 -> 5. 1.2345 kg = 1234.5 g -> 1235 g.
      {"2400001123452", "02400001000005", std::nullopt, 1235},
      // 2 500001 00750, layout "2" (no 25 layout): x3 on 0,7,0,0,0,5 = 12 ->
      // 36; x1 on 5,0,1,0,0,2 = 8; 44 -> 6. Item 2 500001 00000: 5 -> 15, 3;
      // 18 -> 2. 0.750 kg.
      {"2500001007506", "02500001000002", std::nullopt, 750},
      // UPC-A 2 12345 1 0599 (price check 1, above), as 12 digits: x3 on
      // 2,2,4,1,5,9 = 23 -> 69; x1 on 1,3,5,0,9 = 18; 87 -> 3. Item, EAN-13
      // 02 12345 00000: x3 on 0,0,0,4,2,2 = 8 -> 24; x1 on 0,0,5,3,1,0 = 9;
      // 33 -> 7. 5.99.
      {"212345105993", "00212345000007", 599, std::nullopt},
      {"0212345105993", "00212345000007", 599, std::nullopt},  // the same as EAN-13
  };
  for (const auto& c : cases) {
    INFO(c.scanned);
    const std::string first12 =
        c.scanned.size() == 12 ? "0" + c.scanned.substr(0, 11) : c.scanned.substr(0, 12);
    CHECK(sa::codes::Gs1CheckDigit(first12) == c.scanned.back());
    CHECK(sa::codes::Gs1CheckDigit(c.gtin.substr(0, 13)) == c.gtin.back());
    auto code = Parse(c.scanned, o);
    REQUIRE(code);
    CHECK(code->kind == Kind::gtin);
    CHECK(code->gtin == c.gtin);
    REQUIRE(code->measure);
    CHECK(code->measure->amount_minor == c.amount_minor);
    CHECK(code->measure->net_weight_g == c.net_weight_g);
    CHECK(code->measure->currency_numeric.empty());
  }

  SECTION("the scanner's AIM prefix is kept") {
    auto code = Parse("]E02012345025998", o);
    REQUIRE(code);
    CHECK(code->symbology == "]E0");
    CHECK(code->measure->amount_minor == 2599);
  }
  SECTION("a wrong price check digit") {
    // 22 00777 8 2875: a good EAN-13 (x3 on 5,8,8,7,0,2 = 30 -> 90; x1 25;
    // 115 -> 5), but 2875's price check digit is 9, not 8.
    CHECK(sa::codes::Gs1CheckDigit("220077782875") == '5');
    CHECK(ErrorOf("2200777828755", o) == "bad_check_digit");
  }
  SECTION("a wrong EAN-13 check digit fails before any layout") {
    CHECK(ErrorOf("2012345025997", o) == "bad_check_digit");
  }
  SECTION("the longest prefix wins, whatever the order") {
    ParseOptions r = Opts();
    r.rcn_layouts = {Layout("2", 6, kWeight, 5, 3), Layout("20", 5, kPrice, 5, 2)};
    auto code = Parse("2012345025998", r);
    REQUIRE(code);
    CHECK(code->measure->amount_minor == 2599);
    CHECK_FALSE(code->measure->net_weight_g);
  }
  SECTION("without a matching layout: a plain GTIN, as before") {
    for (const ParseOptions& p : {Opts(), o}) {
      // No layout starts with 0 4 or reads a GTIN-8 or GTIN-14.
      for (const std::string& gtin :
           {std::string("4006381333931"), std::string("96385074"), kGtin}) {
        auto code = Parse(gtin, p);
        REQUIRE(code);
        CHECK_FALSE(code->measure);
      }
    }
    auto plain = Parse("2012345025998", Opts());
    REQUIRE(plain);
    CHECK(plain->gtin == "02012345025998");
    CHECK_FALSE(plain->measure);
    ParseOptions only21 = Opts();
    only21.rcn_layouts = {Layout("21", 5, kWeight, 5, 3)};
    CHECK(Parse("2012345025998", only21)->gtin == "02012345025998");
    // An RCN inside AI 01 is an item number, not a scale label.
    auto element = Parse("]C1010" + std::string("2012345025998"), o);
    REQUIRE(element);
    CHECK(element->gtin == "02012345025998");
    CHECK_FALSE(element->measure);
  }
  SECTION("a layout with a problem reads nothing") {
    ParseOptions bad = Opts();
    bad.rcn_layouts = {Layout("20", 5, kPrice, 4, 2)};  // 11 digits
    REQUIRE_FALSE(bad.rcn_layouts[0].Problem().empty());
    CHECK_FALSE(Parse("2012345025998", bad)->measure);
  }
}

TEST_CASE("a scale label layout says what is wrong with it", "[codes][variable_measure][rcn]") {
  CHECK(Layout("20", 5, kPrice, 5, 2).Problem().empty());
  CHECK(Layout("2", 6, kWeight, 5, 3).Problem().empty());
  CHECK(Layout("02", 5, kPrice, 4, 2, true).Problem().empty());
  CHECK(Layout("23", 4, kPrice, 5, 0, true).Problem().empty());
  CHECK(Layout("21", 5, kWeight, 5, 5).Problem().empty());
  CHECK(Layout("210", 4, kWeight, 5, 0).Problem().empty());

  CHECK_FALSE(Layout("", 5, kPrice, 5, 2).Problem().empty());
  CHECK_FALSE(Layout("2a", 5, kPrice, 5, 2).Problem().empty());
  CHECK_FALSE(Layout("30", 5, kPrice, 5, 2).Problem().empty());  // not a store prefix
  CHECK_FALSE(Layout("0", 6, kPrice, 5, 2).Problem().empty());   // every UPC-A
  CHECK_FALSE(Layout("04", 5, kPrice, 5, 2).Problem().empty());
  CHECK_FALSE(Layout("20", 5, kPrice, 4, 2).Problem().empty());        // 11 digits
  CHECK_FALSE(Layout("20", 5, kPrice, 6, 2).Problem().empty());        // 13 digits
  CHECK_FALSE(Layout("20", 5, kPrice, 5, 2, true).Problem().empty());  // 13 with the check
  CHECK_FALSE(Layout("2", 4, kPrice, 6, 2, true).Problem().empty());   // check needs 4 or 5
  CHECK_FALSE(Layout("20", 0, kPrice, 10, 2).Problem().empty());
  CHECK_FALSE(Layout("20", 10, kPrice, 0, 2).Problem().empty());
  CHECK_FALSE(Layout("20", 5, kPrice, 5, 3).Problem().empty());  // a fraction of a fen
  CHECK_FALSE(Layout("20", 5, kPrice, 5, -1).Problem().empty());
  CHECK_FALSE(Layout("21", 5, kWeight, 5, 6).Problem().empty());
  const std::string sum = Layout("20", 5, kPrice, 4, 2).Problem();
  CHECK(sum.find("11") != std::string::npos);
  CHECK(sum.find("12") != std::string::npos);

  SECTION("a list of layouts: each usable, one per prefix") {
    using sa::codes::RcnLayoutsProblem;
    CHECK(RcnLayoutsProblem({}).empty());
    CHECK(
        RcnLayoutsProblem({Layout("20", 5, kPrice, 5, 2), Layout("2", 6, kWeight, 5, 3)}).empty());
    const std::string twice =
        RcnLayoutsProblem({Layout("20", 5, kPrice, 5, 2), Layout("20", 5, kWeight, 5, 3)});
    CHECK(twice.find("'20'") != std::string::npos);
    const std::string bad =
        RcnLayoutsProblem({Layout("20", 5, kPrice, 5, 2), Layout("21", 5, kPrice, 4, 2)});
    CHECK(bad.find("'21'") != std::string::npos);
  }
}
