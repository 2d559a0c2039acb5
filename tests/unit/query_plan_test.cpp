// SPDX-License-Identifier: Apache-2.0
// Growth is flat: every statement a store's day runs through the store
// layer (receiving, a sale with pricing in force, its receipt found by
// number and by unit, a refund, stock, a ship-from-store order, the X and Z
// reports, the outbox pushed and acknowledged, a pulled page) is planned on
// an index. A
// statement that reads a whole table growing with the store's history
// (sales, their lines, payments, events, unit moves) would make the till
// slower every year; one added later fails here, named with its plan.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "ledger_shop.hpp"
#include "store.hpp"

using namespace sa;
using namespace sa::testing;

namespace {

// Tables that do not grow with the store's history: configuration, the
// cloud's promotions and lists, the cashiers, one-row state. A full read of
// one of these is fine.
const std::set<std::string> kSmallTables = {"meta",        "counters", "promotions",
                                            "price_lists", "cashiers", "cloud_keys"};

// The plan's lines that read a whole table (or a whole index of one) that
// grows: "SCAN sales", "SCAN sale_lines USING INDEX ...". A SEARCH is
// bounded by its key; a scan of a subquery, a CTE or a constant row is
// bounded by what feeds it; an index walked in its order and stopped by a
// LIMIT (nothing sorted after it) by the limit.
std::vector<std::string> GrowingScans(sqlite3* db, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3_stmt* st = nullptr;
  const std::string explain = "EXPLAIN QUERY PLAN " + sql;
  REQUIRE(sqlite3_prepare_v2(db, explain.c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::vector<std::string> details;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(st, 3);
    details.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  sqlite3_finalize(st);
  const bool sorted = std::any_of(details.begin(), details.end(), [](const std::string& d) {
    return d.find("TEMP B-TREE") != std::string::npos;
  });
  const bool limited = sql.find(" LIMIT ") != std::string::npos;
  for (const std::string& detail : details) {
    if (detail.rfind("SCAN ", 0) != 0) continue;
    if (limited && !sorted && detail.find(" USING ") != std::string::npos &&
        detail.find("INDEX") != std::string::npos) {
      continue;
    }
    const auto end = detail.find(' ', 5);
    const std::string table = detail.substr(5, end == std::string::npos ? end : end - 5);
    if (table == "CONSTANT" || kSmallTables.count(table) != 0) continue;
    if (table.rfind("(subquery", 0) == 0 || table.rfind("json_each", 0) == 0) continue;
    out.push_back(detail);
  }
  return out;
}

}  // namespace

TEST_CASE("every statement of a store's day is planned on an index, none scans a growing table",
          "[ledger][plan]") {
  LedgerShop b({.prefix = "sa-plan"});
  // Prices in force, so the pricing statements run too.
  b.Pull("promotion", R"({"id":"M300","name":"每满300减50","kind":"spend_threshold",)"
                      R"("threshold_minor":30000,"amount_minor":5000,"repeat":true})");
  b.Pull("price_list", R"({"id":"ALL","group":"all","name":"Markdown",)"
                       R"("prices":[{"gtin":"06950123450005","price_minor":49900}]})");
  auto shift = b.shop->shifts.OpenShift("till-1", "", 0);
  REQUIRE(shift);
  for (const char* serial : {"S1", "S2", "S3"}) {
    auto checked = b.shop->books.CheckCode(b.Label(kScarf, serial));
    REQUIRE(checked);
    REQUIRE(b.shop->stock.Receive(*checked));
  }
  const std::string id = b.Open();
  auto scanned = b.shop->sales.Scan(id, b.Label(kScarf, "S1"));
  REQUIRE(scanned);
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S2")));
  auto removed = b.shop->sales.RemoveLine(id, scanned->lines.at(0).id);
  REQUIRE(removed);
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
  auto sale = b.shop->sales.GetSale(id);
  REQUIRE(sale);
  auto paid = b.shop->sales.Complete(id, {{"cash", sale->total, ""}});
  REQUIRE(paid);
  REQUIRE(b.shop->sales.FindByReceipt(paid->receipt_no));
  REQUIRE(b.shop->sales.FindByUnit(kScarf, "S2"));
  REQUIRE(b.shop->sales.RefundUnits(id, {"S2"}));
  REQUIRE(b.shop->stock.Level(kScarf));
  // A ship-from-store order: offered, accepted, picked by its unit, shipped.
  REQUIRE(b.shop->stock.RecordOrderOffer(
      "o-1", "ship_from_store",
      R"({"id":"o-1","kind":"ship_from_store","lines":[{"gtin":"06950123450005","qty":1}],)"
      R"("ttl_s":600})"));
  REQUIRE(b.shop->stock.Accept("o-1"));
  auto unit = b.shop->books.CheckCode(b.Label(kScarf, "S3"));
  REQUIRE(unit);
  REQUIRE(b.shop->stock.Pick("o-1", *unit));
  REQUIRE(b.shop->stock.Level(kScarf));
  REQUIRE(b.shop->stock.Ship("o-1", "SF", "SF123"));
  REQUIRE(b.shop->stock.Reservations(false, 50));
  REQUIRE(b.shop->stock.Reservations(true, 50));
  REQUIRE(b.shop->shifts.ReportOf(shift->id));
  auto events = b.shop->books.OutboxAfter(0, 100);
  REQUIRE(events);
  REQUIRE_FALSE(events->empty());
  REQUIRE(b.shop->inbox.RecordAck(events->back().seq));
  REQUIRE(b.shop->inbox.GetSyncState());
  REQUIRE(b.shop->shifts.CloseShift(shift->id, 0));
  // The shift reconciled with the cloud, and a sale claimed from its receipt.
  auto pending = b.shop->inbox.PendingReconciliations(20);
  REQUIRE(pending);
  REQUIRE(pending->size() == 1);
  REQUIRE(b.shop->inbox.RecordReconciliation(shift->id, "match", "{}", ""));
  REQUIRE(b.shop->inbox.RecordClaim(id, "M-1", 0));
  REQUIRE(b.shop->sales.GetSale(id));
  REQUIRE(b.shop->shifts.GetShift(shift->id));
  // Retention, a season later: what it reads and deletes is planned too.
  REQUIRE(b.shop->books.RememberAnswer("key-1", "hash", {200, "{}"}));
  REQUIRE(b.shop->inbox.RecordAck(b.shop->inbox.GetSyncState()->last_seq));
  b.clock.advance_ms(400LL * 86'400'000);
  auto compacted = b.shop->retention.Pass();
  REQUIRE(compacted);
  CHECK(compacted->sales > 0);
  CHECK(compacted->refunds > 0);
  CHECK(compacted->events > 0);
  CHECK(compacted->answers == 1);

  const auto statements = b.db->CachedSql();
  CHECK(statements.size() > 40);  // the day above ran the store's hot statements
  for (const std::string& sql : statements) {
    INFO(sql);
    CHECK(GrowingScans(b.db->handle(), sql) == std::vector<std::string>{});
  }
}
