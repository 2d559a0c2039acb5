// SPDX-License-Identifier: Apache-2.0
// oms-sim's SQLite file, {data-dir}/oms-sim.db (internal to oms-sim): what
// makes a restarted oms-sim still know every device, event and change.
#pragma once

#include <memory>
#include <string>

#include "base.hpp"
#include "ledger.hpp"

namespace sa::omssim {

// Creates `data_dir` if missing and opens its database with oms-sim's tables.
// Errors: data_dir_unavailable, and the ledger's own when the file cannot be
// opened or the tables created.
Expected<std::unique_ptr<ledger::Database>> OpenDatabase(const std::string& data_dir);

}  // namespace sa::omssim
