// SPDX-License-Identifier: Apache-2.0
// The demo store's catalog (store::DemoCatalogCsv(), what store-agent --demo
// imports), as the tests name its products.
#pragma once

#include <string>

namespace sa::testing {

// Its products (GTIN-14) and their prices in minor units.
inline const std::string kScarf = "06950123450005";  // 59900
inline const std::string kCard = "06950123450012";   // 39900
inline const std::string kSerum = "06950123450029";  // 45800
inline const std::string kTote = "06950123450036";   // 12900
inline const std::string kWrap = "06950123450043";   // 500
// A valid GTIN that is not in it.
inline const std::string kNew = "04006381333931";

}  // namespace sa::testing
