// SPDX-License-Identifier: Apache-2.0
// One-item-one-code labels and member codes: parsing and signature checks.
// Pure C++ over strings; no I/O. Every form in docs/design.md ("code"):
//   - GS1 Digital Link URIs on any host, with or without a path prefix
//   - GS1 element strings: GS (ASCII 29) separated, the "(01)...(21)..." human
//     form, with or without an AIM symbology prefix (]Q3 ]d2 ]C1 ]e0)
//   - plain EAN-8 / UPC-A / EAN-13 / GTIN-14
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
  std::vector<std::pair<std::string, std::string>> other_ais;  // recognised, not used

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

struct ParseOptions {
  std::vector<BrandPattern> brand_patterns;
  // The year two-digit GS1 dates are read against (GS1 General Specifications
  // 7.12). 0 means the current year.
  int reference_year = 0;
};

// Parses what a scanner read. Errors are ErrorKind::refused with one of:
// empty_input, input_too_large, unrecognised_format, bad_check_digit,
// bad_gtin_length, bad_character, invalid_date, repeated_ai, truncated_field,
// field_too_long, trailing_garbage, unknown_ai, ai_order, missing_gtin,
// bad_percent_encoding, member_code_malformed.
Expected<Code> Parse(std::string_view payload, const ParseOptions& options = {});

// 8, 12, 13 or 14 digits with a good check digit, as 14 digits.
Expected<std::string> NormaliseGtin(std::string_view digits);

// The GS1 mod-10 check digit of `payload` (digits only; weights 3, 1, 3, ...
// from the right), as GTINs, GLNs and SSCCs end in.
char Gs1CheckDigit(std::string_view payload);
// True when `digits` (at least 2, digits only) end in their GS1 check digit.
bool Gs1CheckDigitOk(std::string_view digits);

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
