// SPDX-License-Identifier: Apache-2.0
#include "money_text.hpp"

#include <cstdint>

namespace sa::storectl {
namespace {

// 10^15 major units is far beyond any till and keeps every product in range.
constexpr std::size_t kMaxWholeDigits = 15;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Error BadAmount(std::string_view text, std::string_view why) {
  return MakeError(ErrorKind::invalid_request, "bad_amount",
                   "'" + std::string(text) + "' is not an amount (" + std::string(why) +
                       "): write major units with up to 2 decimals, e.g. 599, 599.5 or 599.00");
}

}  // namespace

Expected<MinorUnits> ParseAmount(std::string_view text) {
  if (text.empty()) return BadAmount(text, "empty");
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty()) return BadAmount(text, "no digits before the point");
  if (whole.size() > kMaxWholeDigits) return BadAmount(text, "too large");
  if (dot != std::string_view::npos && frac.empty()) {
    return BadAmount(text, "no digits after the point");
  }
  if (frac.size() > 2) return BadAmount(text, "more than 2 decimals");
  MinorUnits units = 0;
  for (char c : whole) {
    if (!IsDigit(c)) return BadAmount(text, "only digits and one '.' are allowed");
    units = units * 10 + (c - '0');
  }
  MinorUnits cents = 0;
  for (std::size_t i = 0; i < 2; ++i) {
    MinorUnits digit = 0;
    if (i < frac.size()) {
      if (!IsDigit(frac[i])) return BadAmount(text, "only digits and one '.' are allowed");
      digit = frac[i] - '0';
    }
    cents = cents * 10 + digit;
  }
  return units * 100 + cents;
}

Expected<Payment> ParsePayment(std::string_view text) {
  const std::size_t first = text.find(':');
  if (first == std::string_view::npos) {
    return MakeError(ErrorKind::invalid_request, "bad_payment",
                     "'" + std::string(text) +
                         "' is not a payment: write METHOD:AMOUNT[:REF], e.g. cash:599.00 or "
                         "card:120:POS-778");
  }
  Payment p;
  p.method = std::string(text.substr(0, first));
  if (p.method.empty()) {
    return MakeError(ErrorKind::invalid_request, "bad_payment",
                     "'" + std::string(text) + "' names no payment method (e.g. cash, card)");
  }
  const std::string_view rest = text.substr(first + 1);
  const std::size_t second = rest.find(':');
  auto amount = ParseAmount(rest.substr(0, second));
  if (!amount) return amount.error();
  p.amount = *amount;
  if (second != std::string_view::npos) p.ref = std::string(rest.substr(second + 1));
  return p;
}

}  // namespace sa::storectl
