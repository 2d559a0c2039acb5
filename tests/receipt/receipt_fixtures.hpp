// SPDX-License-Identifier: Apache-2.0
// What the receipt tests build sales from.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "store.hpp"

namespace sa::testing {

// A line of `qty` at `unit` each; serialised (signature valid) when `serial` is given.
inline sa::store::Line MakeLine(std::string name, std::string serial, sa::MinorUnits unit,
                                std::int64_t qty) {
  sa::store::Line l;
  l.id = 1;
  l.gtin = "06901234567892";
  l.serial = std::move(serial);
  l.name = std::move(name);
  l.unit_price = unit;
  l.qty = qty;
  l.amount = unit * qty;
  l.signature = l.serial.empty() ? "absent" : "valid";
  return l;
}

}  // namespace sa::testing
