// SPDX-License-Identifier: Apache-2.0
// sa-bench zreport: the X report of a shift of N sales (its refunds and
// voids, each payment method, each VAT rate), then the Z that closes it,
// against a plain read of the shift's sale rows in the same run.
#pragma once

#include <string>

namespace sa::bench {

int RunZreportScenario(int sales, const std::string& dir_option);

}  // namespace sa::bench
