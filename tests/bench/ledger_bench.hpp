// SPDX-License-Identifier: Apache-2.0
// sa-bench ledger: the store's sale path in-process (open, scan a label,
// complete with cash) against the shared durable-commit baseline, plain and
// with pricing in force, interleaved sale by sale.
#pragma once

#include <cstdint>
#include <string>

namespace sa::ledger {
class Database;
}
namespace sa::store {
class Store;
}

namespace sa::bench {

int RunLedgerScenario(int n, const std::string& dir_option);

// Size of the ledger on disk once the WAL is folded into the main file.
std::uintmax_t LedgerBytes(ledger::Database& db);

// What a busy brand has in force at once (docs/pricing.md), applied as sync
// applies a pulled page: the bench's scarf (kGtin) then sells for
// kPricedDueMinor.
void PutPricesInForce(store::Store& store);

}  // namespace sa::bench
