// SPDX-License-Identifier: Apache-2.0
// Fuzzes codes::Parse, what every scanned label goes through (GS1 Digital
// Link, element strings, plain GTINs, brand URLs), and BrandPattern::Compile.
// Proves: a refusal is ErrorKind::refused with one of the codes codes.hpp
// documents; a parsed label has a 14-digit GTIN with a good check digit; and
// its fields, written back out as a GS-separated element string and as a
// percent-encoded Digital Link, parse to the same fields. So the parsers
// agree with each other, and no field is silently cut, merged or moved.
//
// Input: a payload; or "P:" + a brand URL pattern + "\n" + a payload, which
// compiles the pattern and reads the payload against it alone.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>

#include "codes.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace sa;
using sa::fuzz::CheckError;

constexpr char kGs = '\x1d';

const std::set<std::string, std::less<>> kDocumentedCodes = {
    "empty_input",     "input_too_large", "unrecognised_format",  "bad_check_digit",
    "bad_gtin_length", "bad_character",   "invalid_date",         "repeated_ai",
    "truncated_field", "field_too_long",  "trailing_garbage",     "unknown_ai",
    "ai_order",        "missing_gtin",    "bad_percent_encoding", "member_code_malformed",
    "bad_amount"};

codes::ParseOptions DefaultOptions() {
  codes::ParseOptions options;
  options.reference_year = 2026;
  for (const char* p : {"https://b.example/u/{gtin}/{serial}?s={sig}",
                        "http://brand.example/p/{gtin}-{lot}/{expiry}"}) {
    options.brand_patterns.push_back(codes::BrandPattern::Compile(p).value());
  }
  return options;
}

std::string Yymmdd(const codes::Date& d) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d%02d%02d", d.year % 100, d.month, d.day);
  return buf;
}

// Every field the parser kept, as (AI, value) in a canonical order.
std::vector<std::pair<std::string, std::string>> Fields(const codes::Code& c) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("01", c.gtin);
  if (!c.cpv.empty()) out.emplace_back("22", c.cpv);
  if (!c.lot.empty()) out.emplace_back("10", c.lot);
  if (!c.serial.empty()) out.emplace_back("21", c.serial);
  if (c.expiry) out.emplace_back("17", Yymmdd(*c.expiry));
  for (const auto& ai : c.other_ais) out.push_back(ai);
  if (!c.signature.empty()) out.emplace_back("8030", c.signature);
  return out;
}

// GS after every field: needed after variable-length ones, harmless after
// the others.
std::string ElementString(const codes::Code& c) {
  std::string out = "]d2";
  for (const auto& [ai, value] : Fields(c)) out += ai + value + kGs;
  return out;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (std::isalnum(u) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// Path keys in the order Digital Link wants them, every other AI as a query
// parameter.
std::string DigitalLink(const codes::Code& c) {
  std::string path = "https://id.example/01/" + c.gtin;
  std::string query;
  for (const auto& [ai, value] : Fields(c)) {
    if (ai == "01") continue;
    if (ai == "22" || ai == "10" || ai == "21") {
      path += "/" + ai + "/" + PercentEncode(value);
    } else {
      query += (query.empty() ? "?" : "&") + ai + "=" + PercentEncode(value);
    }
  }
  return path + query;
}

void CheckSameFields(const codes::Code& original, std::string_view rewritten,
                     std::string_view form) {
  auto again = codes::Parse(rewritten, codes::ParseOptions{{}, 2026});
  const std::string detail = std::string(form) + " '" + std::string(rewritten) + "' -> " +
                             (again ? "parsed" : again.error().code + ": " + again.error().message);
  SA_FUZZ_CHECK(again.has_value(), detail);
  SA_FUZZ_CHECK(Fields(*again) == Fields(original), detail);
}

void CheckCode(std::string_view payload, const codes::Code& code) {
  const std::string detail = "payload '" + std::string(payload) + "'";
  SA_FUZZ_CHECK(code.symbology.empty() || payload.substr(0, 3) == code.symbology, detail);
  if (code.kind == codes::Kind::member_code) {
    // The member_code target checks these in depth.
    SA_FUZZ_CHECK(!code.member_id.empty() && code.gtin.empty(), detail);
    return;
  }
  auto gtin = codes::NormaliseGtin(code.gtin);
  SA_FUZZ_CHECK(gtin && *gtin == code.gtin, detail + " gtin '" + code.gtin + "'");
  SA_FUZZ_CHECK(code.signature.empty() ||
                    code.signature.find_first_not_of(
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
                        std::string::npos,
                detail);
  const std::string gs_form = ElementString(code);
  if (gs_form.size() <= codes::kMaxPayloadBytes) CheckSameFields(code, gs_form, "element string");
  const std::string link = DigitalLink(code);
  if (link.size() <= codes::kMaxPayloadBytes) CheckSameFields(code, link, "digital link");

  // Signature state follows the field; checking is the ECDSA half of a scan.
  static const crypto::KeyRing keys = sa::fuzz::ScratchLedger::Config().brand_keys;
  const auto state = codes::VerifySignature(code, keys);
  SA_FUZZ_CHECK((state == codes::SignatureState::absent) == code.signature.empty(), detail);
}

void ParseAndCheck(std::string_view payload, const codes::ParseOptions& options) {
  auto code = codes::Parse(payload, options);
  if (!code) {
    CheckError(code.error(), {ErrorKind::refused});
    SA_FUZZ_CHECK(kDocumentedCodes.count(code.error().code) == 1,
                  "undocumented code " + code.error().code);
    return;
  }
  CheckCode(payload, *code);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = sa::fuzz::Text(data, size);
  if (input.substr(0, 2) == "P:") {
    const std::size_t nl = input.find('\n');
    if (nl == std::string_view::npos) return 0;
    auto pattern = codes::BrandPattern::Compile(input.substr(2, nl - 2));
    if (!pattern) {
      CheckError(pattern.error(), {ErrorKind::invalid_request});
      return 0;
    }
    ParseAndCheck(input.substr(nl + 1), codes::ParseOptions{{*pattern}, 2026});
    return 0;
  }
  static const codes::ParseOptions options = DefaultOptions();
  ParseAndCheck(input, options);
  return 0;
}
