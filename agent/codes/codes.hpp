// SPDX-License-Identifier: Apache-2.0
// One-item-one-code labels and member codes: parsing and signature checks.
// Pure C++ over strings; no I/O. Every form in docs/design.md ("code"):
//   - GS1 Digital Link URIs on any host, with or without a path prefix
//   - GS1 element strings: GS (ASCII 29) separated, the "(01)...(21)..." human
//     form, with or without an AIM symbology prefix (]Q3 ]d2 ]C1 ]e0)
//   - plain EAN-8 / UPC-A / EAN-13 / GTIN-14, and in-store restricted
//     circulation EAN-13s (prefix 20-29, UPC-A's 2) that carry a price or a
//     weight, read through the store's RcnLayouts
//   - brand URL patterns from config
//   - member codes "SAM1:{member_id}:{unix_seconds}:{sig}", and
//     "SAM2:{member_id}:{group}:{unix_seconds}:{sig}" naming the member's
//     price group (a tier, "employee")
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base.hpp"
#include "crypto.hpp"

namespace sa::codes {

enum class Kind { gs1_digital_link, gs1_element_string, gtin, brand_url, member_code };
std::string_view KindName(Kind kind);

struct Date {
  int year = 0;
  int month = 0;
  int day = 0;
  std::string Iso() const;  // YYYY-MM-DD
  friend bool operator==(const Date&, const Date&) = default;
};

// A variable-measure item's own weight and price, as a scale's label prints
// them: GS1 AIs 310n, 320n, 392n and 393n, or the digits of an in-store
// RCN-13 (RcnLayout). Integers only: money is in minor units everywhere in
// the agent, and a weight in grams is exact enough to price by.
struct Measure {
  // Net weight in grams. From 310n (kilograms with n decimals: 3103 001250
  // is 1250 g; with 4 or 5 decimals rounded half up to the gram), or from
  // 320n (pounds; 1 lb is exactly 453.59237 g, rounded half up) when the
  // label has no 310n: a metric weight is the scale's own reading.
  std::optional<std::int64_t> net_weight_g;
  // Amount payable in hundredths of the currency's unit (fen for CNY), as the
  // agent keeps money. From 392n or 393n (n decimals: 3922 2599 and 3923
  // 25990 are both 2599). An amount that is not a whole number of
  // hundredths (3923 25991) is refused (bad_amount): money is never rounded.
  std::optional<std::int64_t> amount_minor;
  // 393n's ISO 4217 numeric currency ("156" is CNY), for the caller to hold
  // against the store's; "" when the amount is in the local currency (392n,
  // an RCN).
  std::string currency_numeric;
  friend bool operator==(const Measure&, const Measure&) = default;
};

// What a label says. Strings are empty when the label does not carry the field.
struct Code {
  Kind kind = Kind::gtin;
  std::string gtin;            // AI 01, always 14 digits with a good check digit
  std::string serial;          // AI 21
  std::string lot;             // AI 10
  std::string cpv;             // AI 22
  std::optional<Date> expiry;  // AI 17
  std::string signature;       // AI 8030, base64url text as printed
  std::string symbology;       // the AIM prefix the scanner sent, e.g. "]Q3"
  std::vector<std::pair<std::string, std::string>> other_ais;  // recognised, as printed
  // The label's own weight and price (Measure); nullopt when it carries
  // neither. The AIs it comes from stay in other_ais as printed too.
  std::optional<Measure> measure;

  // Member codes only.
  std::string member_id;
  std::string member_group;    // SAM2's price group; "" for SAM1
  std::int64_t issued_at = 0;  // unix seconds

  bool serialised() const { return !serial.empty(); }
  // The bytes the signature covers: "{gtin14}|{serial}", or for a member code
  // "SAM1:{member_id}:{unix_seconds}" (SAM2: "SAM2:{member_id}:{group}:{unix_seconds}").
  std::string SignedMessage() const;
};

// A brand's own label URL, e.g. "https://b.example/u/{gtin}/{serial}?s={sig}".
// Placeholders: {gtin} (8-14 digits), {serial}, {lot}, {expiry} (YYMMDD), {sig}.
// Scheme and host compare case-insensitively; the rest exactly.
class BrandPattern {
 public:
  static Expected<BrandPattern> Compile(std::string_view pattern);
  const std::string& text() const { return text_; }

  struct Token {
    bool placeholder = false;
    std::string text;  // the literal, or the placeholder name
  };
  const std::vector<Token>& tokens() const { return tokens_; }
  std::size_t authority_end() const { return authority_end_; }

 private:
  std::string text_;
  std::vector<Token> tokens_;
  std::size_t authority_end_ = 0;
};

inline constexpr std::size_t kMaxPayloadBytes = 1024;

// How the store's scales print a restricted circulation number (RCN-13,
// GS1 General Specifications 2.1.14): an EAN-13 whose prefix (20-29, or
// 02 for a UPC-A of number system 2) is for use inside the store, and whose
// digits after it are an item number and then its price or weight:
//
//   prefix | item (item_digits) | [check of the value] | value (value_digits) | check digit
//
// e.g. prefix "20", 5 item digits, a 5-digit price in fen: 20 12345 02599 C.
// Such an EAN-13 parses as Kind::gtin whose gtin is the item's own GTIN, as
// the catalog lists it: the prefix and item digits, every later digit 0, the
// check digit computed again (20 12345 00000 C'); its measure holds the price
// or weight. An EAN-13 no layout reads stays a plain GTIN. Only 12- and
// 13-digit scans are read this way (an RCN-8, or an RCN inside AI 01, is not).
struct RcnLayout {
  enum class Value { price, weight };
  // Digits the EAN-13 starts with: "2" (every 20-29), "20".."29", "02" (a
  // UPC-A "2..." read as EAN-13), or longer. The longest that matches wins.
  std::string prefix;
  int item_digits = 5;  // digits after the prefix that name the item
  Value value = Value::price;
  int value_digits = 5;  // then the price or weight
  // The GS1 price (or weight) verifier digit before the value, for a 4- or
  // 5-digit value (GenSpecs 7.9.3): a wrong one is bad_check_digit.
  bool price_check_digit = false;
  // price: decimals of the printed price, 0-2 (2: fen); weight: kilograms
  // with this many decimals, 0-5 (3: grams; more is rounded half up).
  int decimals = 2;

  // "" when the layout is usable, else what is wrong with it: prefix, item,
  // check and value digits must come to 12, before the EAN-13's check digit.
  // Parse() never reads through a layout with a problem.
  std::string Problem() const;
  friend bool operator==(const RcnLayout&, const RcnLayout&) = default;
};

// "" when every layout is usable and no two share a prefix, else the first
// problem, naming the layout by its prefix.
std::string RcnLayoutsProblem(const std::vector<RcnLayout>& layouts);
// A layout as config writes it, "prefix:item_digits:price|weight:value_digits:decimals"
// with ":check" after it when a price check digit comes before the value:
// "20:5:price:5:2", "28:4:weight:5:3", "22:5:price:4:2:check". The error
// (invalid_field) says what is wrong, Problem() included.
Expected<RcnLayout> ParseRcnLayout(std::string_view spec);

struct ParseOptions {
  std::vector<BrandPattern> brand_patterns;
  // The year two-digit GS1 dates are read against (GS1 General Specifications
  // 7.12). 0 means the current year.
  int reference_year = 0;
  // The store's scale label layouts; none means every EAN-13 is a plain GTIN.
  // (A default member initializer: ParseOptions{patterns, year} stays
  // warning-free under -Wmissing-field-initializers.)
  std::vector<RcnLayout> rcn_layouts = {};
};

// Parses what a scanner read. Errors are ErrorKind::refused with one of:
// empty_input, input_too_large, unrecognised_format, bad_check_digit,
// bad_gtin_length, bad_character, invalid_date, repeated_ai, truncated_field,
// field_too_long, trailing_garbage, unknown_ai, ai_order, missing_gtin,
// bad_percent_encoding, member_code_malformed, bad_amount.
// repeated_ai also covers two AIs GS1 forbids together because they say the
// same thing (3102 and 3103; 392n and 393n). bad_amount: a 392n/393n amount
// that is not a whole number of hundredths, or a 391n/393n currency that is
// no ISO 4217 currency.
Expected<Code> Parse(std::string_view payload, const ParseOptions& options = {});

// 8, 12, 13 or 14 digits with a good check digit, as 14 digits.
Expected<std::string> NormaliseGtin(std::string_view digits);

// The GS1 mod-10 check digit of `payload` (digits only; weights 3, 1, 3, ...
// from the right), as GTINs, GLNs and SSCCs end in.
char Gs1CheckDigit(std::string_view payload);
// True when `digits` (at least 2, digits only) end in their GS1 check digit.
bool Gs1CheckDigitOk(std::string_view digits);
// The GS1 price/weight verifier digit of a 4- or 5-digit value (GenSpecs
// 7.9.3), as an RCN-13 may print before its price; '\0' for any other
// length or a non-digit.
char PriceCheckDigit(std::string_view value);

enum class SignatureState { valid, invalid, absent };
std::string_view SignatureName(SignatureState state);

// Checks the label's AI 8030 (or a member code's sig) against the keys.
// No signature: absent. Undecodable, wrong size or no key verifies: invalid.
SignatureState VerifySignature(const Code& code, const crypto::KeyRing& keys);

// Minting, for the demo store, tests and benchmarks.
std::string SignLabel(std::string_view gtin14, std::string_view serial,
                      const crypto::SigningKey& key);
std::string MakeDigitalLink(std::string_view host, std::string_view gtin14, std::string_view serial,
                            std::string_view signature);
std::string MakeMemberCode(std::string_view member_id, std::int64_t unix_seconds,
                           const crypto::SigningKey& key, std::string_view group = {});
// A price group's name as member codes and price lists carry it: 1-32 of
// a-z 0-9 - _.
bool IsPriceGroup(std::string_view group);

}  // namespace sa::codes
