// SPDX-License-Identifier: Apache-2.0
// sa-bench retention: a ledger of N sales spread over the last `days` days,
// all acknowledged by the cloud; its bytes per sale while detailed (and
// where they are, table by table), then a retention pass of
// ledger.retention_days = 90 in its steps with a till's sale after each,
// against the same sales with no pass running (idle), in the same run, and
// the shared durable-commit baseline.
#pragma once

#include <string>

namespace sa::bench {

int RunRetentionScenario(int sales, int days, int step_sales, const std::string& dir_option);

}  // namespace sa::bench
