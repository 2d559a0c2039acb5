// SPDX-License-Identifier: Apache-2.0
// Money as people type and read it, converted with integer arithmetic only:
// "599", "599.5" and "599.00" are major units with up to two decimals, i.e.
// 59900, 59950 and 59900 minor units (fen). Nothing else is an amount: no
// sign, no exponent, no thousands separator, no third decimal.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base.hpp"

namespace sa::storectl {

// Major units with up to 2 decimals -> minor units. Errors are
// ErrorKind::invalid_request with code "bad_amount".
Expected<MinorUnits> ParseAmount(std::string_view text);

// One --pay argument: METHOD:AMOUNT[:REF]. The reference is everything after
// the second colon (it may itself hold colons).
struct Payment {
  std::string method;
  MinorUnits amount = 0;
  std::optional<std::string> ref;
};
Expected<Payment> ParsePayment(std::string_view text);

using sa::FormatMinor;  // 59900 -> "599.00" (base.hpp)

}  // namespace sa::storectl
