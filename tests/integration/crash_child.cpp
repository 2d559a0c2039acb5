// SPDX-License-Identifier: Apache-2.0
// Test helper for crash_test: completes sales on a ledger as fast as it can
// and prints "ACK {sale_id}" after each completion returned, i.e. after the
// moment a till would tell the cashier "done". The parent kills it with
// SIGKILL at an arbitrary point and checks that every ACK survived.
//   ledger_crash_child DIR RUN_TAG
#include <cstdio>
#include <string>

#include "store.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ledger_crash_child DIR RUN_TAG\n");
    return 1;
  }
  const std::string dir = argv[1];
  const std::string tag = argv[2];
  auto db = sa::ledger::Database::Open(dir + "/ledger.db");
  if (!db) {
    std::fprintf(stderr, "%s\n", db.error().message.c_str());
    return 1;
  }
  sa::SystemClock clock;
  sa::store::Store shop(**db, sa::store::DemoConfig(), clock);
  if (!shop.books.FindProduct("06950123450005") &&
      !shop.books.ImportCatalogCsv(sa::store::DemoCatalogCsv())) {
    return 1;
  }
  for (long i = 0;; ++i) {
    const std::string serial = tag + "-" + std::to_string(i);
    const std::string gtin = "06950123450005";
    auto sale = shop.sales.OpenSale("crash");
    if (!sale) return 1;
    const auto label =
        sa::codes::MakeDigitalLink("id.brand.example", gtin, serial,
                                   sa::codes::SignLabel(gtin, serial, sa::store::DemoBrandKey()));
    if (!shop.sales.Scan(sale->id, label)) return 1;
    auto done = shop.sales.Complete(sale->id, {{"cash", 60000, ""}});
    if (!done) {
      std::fprintf(stderr, "%s\n", done.error().message.c_str());
      return 1;
    }
    std::printf("ACK %s\n", done->id.c_str());
    std::fflush(stdout);
  }
}
