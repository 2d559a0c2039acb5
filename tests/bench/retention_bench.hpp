// SPDX-License-Identifier: Apache-2.0
// sa-bench retention: a ledger of N sales spread over the last `days` days,
// all acknowledged by the cloud; its bytes per sale while detailed (and
// where they are, table by table), then a retention pass of
// ledger.retention_days = 90 paced as the daemon paces it, beside a till
// whose sales are timed with steps running and without, in turns, and the
// shared durable-commit baseline.
#pragma once

#include <string>

namespace sa::bench {

struct RetentionPlan {
  int sales = 20'000;    // in the ledger, spread over `days`
  int days = 180;        // ending now
  int step_sales = 25;   // the most one step compacts (the daemon's)
  int idle_sales = 400;  // the till's sales timed with no pass running
};

int RunRetentionScenario(const RetentionPlan& plan, const std::string& dir_option);

}  // namespace sa::bench
