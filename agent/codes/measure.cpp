// SPDX-License-Identifier: Apache-2.0
// Variable-measure labels: the weight (310n, 320n) and amount payable (392n,
// 393n) a GS1 label carries, and in-store restricted circulation EAN-13s (02,
// 20-29) read through a scale's layout (GS1 General Specifications 2.7 for
// RCNs, 7.9.3 for the price check digit).
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codes.hpp"
#include "parse_internal.hpp"

namespace sa::codes {
namespace {

// v / d rounded half up, for v >= 0 and d > 0.
std::int64_t DivideHalfUp(std::int64_t v, std::int64_t d) { return (v + d / 2) / d; }

// `value` kilograms with `decimals` decimals (0-5), in grams.
std::int64_t KgToGrams(std::int64_t value, int decimals) {
  if (decimals <= 3) return value * Pow10(3 - decimals);
  return DivideHalfUp(value, Pow10(decimals - 3));
}

// `value` pounds with `decimals` decimals (0-5), in grams: a pound is exactly
// 0.45359237 kg (the 1959 international pound), 45359237 / 100000 g.
std::int64_t LbToGrams(std::int64_t value, int decimals) {
  return DivideHalfUp(value * 45359237, Pow10(decimals + 5));
}

// `digits` (at most 15) with `decimals` decimals, in hundredths; nothing when
// that is not a whole number of hundredths.
std::optional<std::int64_t> ToHundredths(std::string_view digits, int decimals) {
  const std::int64_t v = DigitsValue(digits);
  if (decimals <= 2) return v * Pow10(2 - decimals);
  const std::int64_t unit = Pow10(decimals - 2);
  if (v % unit != 0) return std::nullopt;
  return v / unit;
}

}  // namespace

// 310n and 320n give the net weight, 392n and 393n the amount payable (the
// value's format is checked before).
Expected<void> FieldSink::TakeMeasure(std::string_view ai, std::string_view value) {
  if (ai.size() != 4 || ai[0] != '3') return {};
  const std::string_view family = ai.substr(0, 3);
  const int decimals = ai[3] - '0';
  if (family == "310" || (family == "320" && !weight_in_kg_)) {
    Measure& measure = code_.measure ? *code_.measure : code_.measure.emplace();
    const std::int64_t v = DigitsValue(value);
    measure.net_weight_g = family == "310" ? KgToGrams(v, decimals) : LbToGrams(v, decimals);
    weight_in_kg_ = weight_in_kg_ || family == "310";
  } else if (family == "392" || family == "393") {
    const std::string_view currency = family == "393" ? value.substr(0, 3) : std::string_view{};
    const std::string_view digits = value.substr(currency.size());
    const auto amount = ToHundredths(digits, decimals);
    if (!amount) {
      return Refuse("bad_amount", "AI (" + std::string(ai) + ") PRICE " + std::string(digits) +
                                      " with " + std::to_string(decimals) +
                                      " decimals is not a whole number of hundredths; the "
                                      "agent does not round money");
    }
    Measure& measure = code_.measure ? *code_.measure : code_.measure.emplace();
    measure.amount_minor = *amount;
    measure.currency_numeric = currency;
  }
  return {};
}

char PriceCheckDigit(std::string_view value) {
  if ((value.size() != 4 && value.size() != 5) || !AllDigits(value)) return '\0';
  // GenSpecs 7.9.3 weighting factors: "2-" is the units digit of 2 x d less
  // its tens digit, "5+" the units plus the tens of 5 x d, "5-" the units
  // less the tens, each mod 10; "3" is 3 x d.
  auto two_minus = [](int d) { return (2 * d % 10 - 2 * d / 10 + 10) % 10; };
  auto five_plus = [](int d) { return (5 * d % 10 + 5 * d / 10) % 10; };
  auto five_minus = [](int d) { return (5 * d % 10 - 5 * d / 10 + 10) % 10; };
  auto at = [&](std::size_t i) { return value[i] - '0'; };
  if (value.size() == 4) {
    // A 4-digit value: weights 2- 2- 3 5-; the check digit is the units digit of 3 x
    // their sum.
    const int sum = two_minus(at(0)) + two_minus(at(1)) + 3 * at(2) + five_minus(at(3));
    return static_cast<char>('0' + sum * 3 % 10);
  }
  // A 5-digit value: weights 5+ 2- 5- 5+ 2-; the check digit is the digit whose 5-
  // product is what takes their sum to a multiple of 10.
  const int sum =
      five_plus(at(0)) + two_minus(at(1)) + five_minus(at(2)) + five_plus(at(3)) + two_minus(at(4));
  const int wanted = (10 - sum % 10) % 10;
  for (int d = 0; d <= 9; ++d) {
    if (five_minus(d) == wanted) return static_cast<char>('0' + d);
  }
  return '\0';  // not reached: 5- maps 0-9 onto 0-9
}

std::string RcnLayout::Problem() const {
  if (prefix.empty() || !AllDigits(prefix)) {
    return "the prefix must be digits, like \"2\", \"20\" or \"02\"";
  }
  if (prefix[0] != '2' && prefix.substr(0, 2) != "02") {
    return "prefix " + prefix +
           " is not for use in a store: restricted circulation EAN-13s start with 2 (20-29) "
           "or 02 (UPC-A number system 2)";
  }
  if (item_digits < 1) return "item_digits must be at least 1";
  if (value_digits < 1) return "value_digits must be at least 1";
  if (price_check_digit && value_digits != 4 && value_digits != 5) {
    return "a price check digit is defined for a 4- or 5-digit value only, not " +
           std::to_string(value_digits);
  }
  const std::size_t total = prefix.size() + static_cast<std::size_t>(item_digits) +
                            (price_check_digit ? 1u : 0u) + static_cast<std::size_t>(value_digits);
  if (total != 12) {
    return "prefix (" + std::to_string(prefix.size()) + "), item (" + std::to_string(item_digits) +
           ")" + (price_check_digit ? ", price check digit (1)" : "") + " and value (" +
           std::to_string(value_digits) + ") come to " + std::to_string(total) +
           " digits; an EAN-13 has 12 before its check digit";
  }
  if (value == Value::price && (decimals < 0 || decimals > 2)) {
    return "a price has 0 to 2 decimals (the agent's money is in hundredths), not " +
           std::to_string(decimals);
  }
  if (value == Value::weight && (decimals < 0 || decimals > 5)) {
    return "a weight in kilograms has 0 to 5 decimals, not " + std::to_string(decimals);
  }
  return {};
}

Expected<RcnLayout> ParseRcnLayout(std::string_view spec) {
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorKind::invalid_request, "invalid_field",
                     "scale label layout '" + Shown(spec) + "': " + why);
  };
  std::vector<std::string_view> parts;
  for (std::string_view rest = spec;;) {
    const std::size_t colon = rest.find(':');
    parts.push_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  if (parts.size() != 5 && !(parts.size() == 6 && parts[5] == "check")) {
    return bad("write it prefix:item_digits:price|weight:value_digits:decimals[:check]");
  }
  auto number = [](std::string_view s) -> std::optional<int> {
    if (s.empty() || s.size() > 2 || !AllDigits(s)) return std::nullopt;
    return std::stoi(std::string(s));
  };
  RcnLayout layout;
  layout.prefix = std::string(parts[0]);
  const auto item = number(parts[1]), digits = number(parts[3]), decimals = number(parts[4]);
  if (!item || !digits || !decimals)
    return bad("item_digits, value_digits and decimals are numbers");
  if (parts[2] != "price" && parts[2] != "weight") return bad("the value is price or weight");
  layout.item_digits = *item;
  layout.value = parts[2] == "price" ? RcnLayout::Value::price : RcnLayout::Value::weight;
  layout.value_digits = *digits;
  layout.decimals = *decimals;
  layout.price_check_digit = parts.size() == 6;
  if (std::string problem = layout.Problem(); !problem.empty()) return bad(problem);
  return layout;
}

std::string RcnLayoutsProblem(const std::vector<RcnLayout>& layouts) {
  std::set<std::string> prefixes;
  for (const auto& layout : layouts) {
    const std::string name = "scale label layout '" + Shown(layout.prefix) + "': ";
    if (std::string problem = layout.Problem(); !problem.empty()) return name + problem;
    if (!prefixes.insert(layout.prefix).second) {
      return name + "another layout has the same prefix; which one reads a label would be a guess";
    }
  }
  return {};
}

const RcnLayout* FindRcnLayout(std::string_view ean13, const std::vector<RcnLayout>& layouts) {
  const RcnLayout* best = nullptr;
  for (const auto& layout : layouts) {
    if (ean13.substr(0, layout.prefix.size()) != layout.prefix) continue;
    if (best && best->prefix.size() >= layout.prefix.size()) continue;  // the first of a tie
    if (!layout.Problem().empty()) continue;
    best = &layout;
  }
  return best;
}

Expected<Code> ReadRcn(std::string_view ean13, const RcnLayout& layout) {
  const std::size_t item_end = layout.prefix.size() + static_cast<std::size_t>(layout.item_digits);
  const std::size_t value_at = item_end + (layout.price_check_digit ? 1 : 0);
  const std::string_view digits =
      ean13.substr(value_at, static_cast<std::size_t>(layout.value_digits));
  if (layout.price_check_digit) {
    const char expected = PriceCheckDigit(digits);
    if (ean13[item_end] != expected) {
      // The digits are not echoed, as for a GTIN's own check digit.
      return Refuse("bad_check_digit", std::string("the scale label's price check digit is ") +
                                           ean13[item_end] + ", its value needs " + expected +
                                           " (misprinted or misread?)");
    }
  }
  // The item as the catalog lists it: its prefix and item digits, the rest 0.
  std::string item(ean13.substr(0, item_end));
  item.resize(12, '0');
  Code code;
  code.kind = Kind::gtin;
  code.gtin = "0" + item + Gs1CheckDigit(item);
  Measure& measure = code.measure.emplace();
  const std::int64_t v = DigitsValue(digits);
  if (layout.value == RcnLayout::Value::price) {
    measure.amount_minor = v * Pow10(2 - layout.decimals);
  } else {
    measure.net_weight_g = KgToGrams(v, layout.decimals);
  }
  return code;
}

}  // namespace sa::codes
