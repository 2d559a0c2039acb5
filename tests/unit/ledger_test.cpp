// SPDX-License-Identifier: Apache-2.0
// The ledger: pragmas, migrations (one test per step), corruption refusal,
// transactions.
#include "ledger.hpp"

#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "support.hpp"

namespace fs = std::filesystem;
using sa::ledger::Database;
using sa::ledger::Durability;
using sa::ledger::Statement;
using sa::ledger::Transaction;

namespace {

using sa::testing::TempDir;

std::string Pragma(Database& db, const std::string& name) {
  Statement st(db, "PRAGMA " + name);
  REQUIRE(st.Step());
  return st.Text(0);
}

int Count(Database& db, const std::string& sql) {
  Statement st(db, sql);
  REQUIRE(st.Step());
  return static_cast<int>(st.Int(0));
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("a ledger opens in WAL mode with synchronous=FULL and foreign keys", "[ledger]") {
  TempDir dir;
  auto db = Database::Open((dir.path() / "ledger.db").string());
  REQUIRE(db);
  CHECK(Pragma(**db, "journal_mode") == "wal");
  CHECK(Pragma(**db, "synchronous") == "2");  // FULL: invariant 1
  CHECK(Pragma(**db, "foreign_keys") == "1");
  CHECK((*db)->UserVersion() == sa::ledger::LatestSchemaVersion());
}

TEST_CASE("durability is per transaction: full for acknowledgements, relaxed for carts",
          "[ledger]") {
  TempDir dir;
  auto db = Database::Open((dir.path() / "ledger.db").string());
  REQUIRE(db);
  {
    Transaction tx(**db, Durability::relaxed);
    CHECK(Pragma(**db, "synchronous") == "1");
  }
  {
    Transaction tx(**db, Durability::full);
    CHECK(Pragma(**db, "synchronous") == "2");
  }
}

TEST_CASE("migration step 0 -> 1 creates the books", "[ledger][migration]") {
  TempDir dir;
  auto db = Database::Open((dir.path() / "ledger.db").string(), {.target_version = 1});
  REQUIRE(db);
  CHECK((*db)->UserVersion() == 1);
  for (const char* table : {"meta", "counters", "products", "members", "member_codes_used", "sales",
                            "sale_lines", "payments", "units", "revocations", "refunds",
                            "refund_lines", "stock_moves", "outbox", "idempotency"}) {
    INFO(table);
    CHECK(Count(**db, std::string("SELECT count(*) FROM sqlite_schema WHERE type='table' AND "
                                  "name='") +
                          table + "'") == 1);
  }
  CHECK(Count(**db, "SELECT count(*) FROM sqlite_schema WHERE type='trigger'") == 0);
  // Money columns refuse non-integers (invariant 6 at the storage level).
  CHECK_THROWS_AS((*db)->Exec("INSERT INTO products VALUES('09506000134352','x',19.99,'CNY',0,0)"),
                  sa::ledger::Failure);
}

TEST_CASE("migration step 1 -> 2 adds the guards and keeps the data", "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v1 = Database::Open(path, {.target_version = 1});
    REQUIRE(v1);
    (*v1)->Exec(
        "INSERT INTO sales(id, status, currency, opened_at_ms) VALUES('s1','completed','CNY',1)");
  }
  auto v2 = Database::Open(path, {.target_version = 2});
  REQUIRE(v2);
  CHECK((*v2)->UserVersion() == 2);
  CHECK(Count(**v2, "SELECT count(*) FROM sales WHERE id='s1'") == 1);
  CHECK(Count(**v2, "SELECT count(*) FROM sqlite_schema WHERE type='trigger'") == 10);
  CHECK_THROWS_AS((*v2)->Exec("UPDATE sales SET total_minor = 1 WHERE id='s1'"),
                  sa::ledger::Failure);
  CHECK_THROWS_AS((*v2)->Exec("DELETE FROM sales WHERE id='s1'"), sa::ledger::Failure);
}

TEST_CASE("migration step 2 -> 3 adds the sync tables and keeps the data", "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v2 = Database::Open(path, {.target_version = 2});
    REQUIRE(v2);
    (*v2)->Exec(
        "INSERT INTO outbox(seq, id, type, at_ms, payload) VALUES(1, 'e1', 'sale.completed', 1, "
        "'{}')");
    CHECK(Count(**v2, "SELECT count(*) FROM sqlite_schema WHERE name='sync_state'") == 0);
  }
  auto v3 = Database::Open(path, {.target_version = 3});
  REQUIRE(v3);
  CHECK((*v3)->UserVersion() == 3);
  CHECK(Count(**v3, "SELECT count(*) FROM outbox WHERE id='e1' AND pushed_at_ms IS NULL") == 1);
  for (const char* table :
       {"sync_state", "allocations", "alerts", "cloud_orders", "stock_snapshots", "cloud_keys"}) {
    CHECK(Count(**v3,
                std::string("SELECT count(*) FROM sqlite_schema WHERE name='") + table + "'") == 1);
  }
  // What the cloud sends is checked by the ledger too: a reversed range, a
  // negative stock count, a float count.
  CHECK_THROWS_AS(
      (*v3)->Exec("INSERT INTO allocations VALUES('09506000134352','B','A','north',NULL,1)"),
      sa::ledger::Failure);
  CHECK_THROWS_AS((*v3)->Exec("INSERT INTO stock_snapshots VALUES('09506000134352',-1,1)"),
                  sa::ledger::Failure);
  CHECK_THROWS_AS((*v3)->Exec("INSERT INTO stock_snapshots VALUES('09506000134352',1.5,1)"),
                  sa::ledger::Failure);
}

TEST_CASE("migration step 3 -> 4 adds reservations and keeps snapshots", "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v3 = Database::Open(path, {.target_version = 3});
    REQUIRE(v3);
    (*v3)->Exec("INSERT INTO stock_snapshots VALUES('09506000134352', 7, 1)");
  }
  auto v4 = Database::Open(path, {.target_version = 4});
  REQUIRE(v4);
  CHECK((*v4)->UserVersion() == 4);
  CHECK(Count(**v4, "SELECT on_hand FROM stock_snapshots WHERE after_move = 0") == 7);
  (*v4)->Exec(
      "INSERT INTO reservations(id, kind, status, ttl_s, offered_at_ms) VALUES('o1', 'pickup', "
      "'offered', 60, 1)");
  (*v4)->Exec(
      "INSERT INTO reservation_entries(reservation_id, line_no, gtin, qty, event, at_ms) "
      "VALUES('o1', 1, '09506000134352', 1, 'accepted', 1)");
  // The reservation ledger is append-only, and one compensation per (order, line, event).
  CHECK_THROWS_AS((*v4)->Exec("UPDATE reservation_entries SET qty = 2"), sa::ledger::Failure);
  CHECK_THROWS_AS((*v4)->Exec("DELETE FROM reservation_entries"), sa::ledger::Failure);
  CHECK_THROWS_AS(
      (*v4)->Exec(
          "INSERT INTO reservation_entries(reservation_id, line_no, gtin, qty, event, at_ms) "
          "VALUES('o1', 1, '09506000134352', -1, 'accepted', 2)"),
      sa::ledger::Failure);
  CHECK_THROWS_AS((*v4)->Exec("INSERT INTO reservations(id, kind, status, ttl_s, offered_at_ms) "
                              "VALUES('o2', 'pickup', 'lost', 60, 1)"),
                  sa::ledger::Failure);
}

TEST_CASE("migration step 4 -> 5 adds cashiers and shifts and keeps the sales",
          "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v4 = Database::Open(path, {.target_version = 4});
    REQUIRE(v4);
    (*v4)->Exec(
        "INSERT INTO sales(id, status, terminal, currency, opened_at_ms) "
        "VALUES('s1', 'open', 'till-1', 'CNY', 1)");
  }
  auto v5 = Database::Open(path, {.target_version = 5});
  REQUIRE(v5);
  CHECK((*v5)->UserVersion() == 5);
  // An existing sale keeps its data and has no cashier or shift.
  CHECK(
      Count(
          **v5,
          "SELECT count(*) FROM sales WHERE id = 's1' AND cashier IS NULL AND shift_id IS NULL") ==
      1);
  (*v5)->Exec(
      "INSERT INTO shifts(id, terminal, status, opening_float_minor, opened_at_ms) "
      "VALUES('sh1', 'till-1', 'open', 20000, 1)");
  // One open shift per terminal, integer money, closed shifts frozen.
  CHECK_THROWS_AS(
      (*v5)->Exec("INSERT INTO shifts(id, terminal, status, opening_float_minor, opened_at_ms) "
                  "VALUES('sh2', 'till-1', 'open', 0, 1)"),
      sa::ledger::Failure);
  CHECK_THROWS_AS(
      (*v5)->Exec("INSERT INTO shifts(id, terminal, status, opening_float_minor, opened_at_ms) "
                  "VALUES('sh3', 'till-2', 'open', 1.5, 1)"),
      sa::ledger::Failure);
  (*v5)->Exec("UPDATE shifts SET status = 'closed', counted_cash_minor = 20000, closed_at_ms = 2");
  CHECK_THROWS_AS((*v5)->Exec("UPDATE shifts SET counted_cash_minor = 1"), sa::ledger::Failure);
  CHECK_THROWS_AS((*v5)->Exec("DELETE FROM shifts"), sa::ledger::Failure);
  CHECK_THROWS_AS(
      (*v5)->Exec("INSERT INTO cashiers VALUES('c1', 'Ann', 'boss', 's', 1, 'h', 1, 1, 1)"),
      sa::ledger::Failure);
  (*v5)->Exec("INSERT INTO cashiers VALUES('c1', 'Ann', 'cashier', 's', 100000, 'h', 1, 1, 1)");
  CHECK(Count(**v5, "SELECT count(*) FROM cashiers") == 1);
}

TEST_CASE("migration step 5 -> 6 adds cases, one case per unit", "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v5 = Database::Open(path, {.target_version = 5});
    REQUIRE(v5);
    (*v5)->Exec(
        "INSERT INTO units(gtin, serial, state, updated_at_ms) "
        "VALUES('09506000134352', 'A1', 'in_stock', 1)");
  }
  auto v6 = Database::Open(path, {.target_version = 6});
  REQUIRE(v6);
  CHECK((*v6)->UserVersion() == 6);
  CHECK(Count(**v6, "SELECT count(*) FROM units") == 1);
  (*v6)->Exec("INSERT INTO cases VALUES('19506000134359', 'C1', 'SH-1', 1)");
  (*v6)->Exec(
      "INSERT INTO case_units VALUES('09506000134352', 'A1', '19506000134359', 'C1', 'packed')");
  // A unit is in one case at most; a case must exist; states are packed or out.
  CHECK_THROWS_AS((*v6)->Exec("INSERT INTO cases VALUES('19506000134359', 'C2', 'SH-1', 1)"
                              "; INSERT INTO case_units VALUES('09506000134352', 'A1', "
                              "'19506000134359', 'C2', 'packed')"),
                  sa::ledger::Failure);
  CHECK_THROWS_AS((*v6)->Exec("INSERT INTO case_units VALUES('09506000134352', 'A2', "
                              "'19506000134359', 'NONE', 'packed')"),
                  sa::ledger::Failure);
  CHECK_THROWS_AS((*v6)->Exec("UPDATE case_units SET state = 'lost'"), sa::ledger::Failure);
}

TEST_CASE("migration step 6 -> 7: refunds say who approved them, one post-void per sale",
          "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v6 = Database::Open(path, {.target_version = 6});
    REQUIRE(v6);
    (*v6)->Exec(
        "INSERT INTO sales(id, status, currency, opened_at_ms) VALUES('s1', 'completed', 'CNY', 1);"
        "INSERT INTO refunds(id, sale_id, amount_minor, at_ms) VALUES('r1', 's1', 100, 2)");
  }
  auto v7 = Database::Open(path, {.target_version = 7});
  REQUIRE(v7);
  CHECK((*v7)->UserVersion() == 7);
  // A refund from before is a refund, approved by nobody on record.
  CHECK(Count(**v7, "SELECT count(*) FROM refunds WHERE kind = 'refund' AND approved_by IS NULL") ==
        1);
  (*v7)->Exec(
      "INSERT INTO refunds(id, sale_id, amount_minor, at_ms, kind, approved_by, approved_via, "
      "reason) VALUES('v1', 's1', 100, 3, 'void', 'm1', 'pin', 'wrong customer')");
  CHECK_THROWS_AS((*v7)->Exec("INSERT INTO refunds(id, sale_id, amount_minor, at_ms, kind) "
                              "VALUES('v2', 's1', 100, 4, 'void')"),
                  sa::ledger::Failure);
  CHECK_THROWS_AS((*v7)->Exec("INSERT INTO refunds(id, sale_id, amount_minor, at_ms, kind) "
                              "VALUES('x1', 's1', 1, 4, 'gift')"),
                  sa::ledger::Failure);
}

TEST_CASE("migration step 7 -> 8 adds exchanges: each refund and each sale in one at most",
          "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v7 = Database::Open(path, {.target_version = 7});
    REQUIRE(v7);
    (*v7)->Exec(
        "INSERT INTO sales(id, status, currency, opened_at_ms) VALUES('s1', 'completed', 'CNY', 1);"
        "INSERT INTO sales(id, status, currency, opened_at_ms) VALUES('s2', 'completed', 'CNY', 2);"
        "INSERT INTO refunds(id, sale_id, amount_minor, at_ms) VALUES('r1', 's1', 100, 2)");
  }
  auto v8 = Database::Open(path, {.target_version = 8});
  REQUIRE(v8);
  CHECK((*v8)->UserVersion() == 8);
  CHECK(Count(**v8, "SELECT count(*) FROM refunds") == 1);
  (*v8)->Exec(
      "INSERT INTO exchanges(id, refund_id, sale_id, credit_minor, at_ms) "
      "VALUES('e1', 'r1', 's2', 100, 3);"
      "INSERT INTO exchange_sources(exchange_id, method, amount_minor, ref) "
      "VALUES('e1', 'card', 100, 'POS-1')");
  // One exchange per refund and per sale; a credit is never negative or fractional.
  CHECK_THROWS_AS((*v8)->Exec("INSERT INTO exchanges(id, refund_id, sale_id, credit_minor, at_ms) "
                              "VALUES('e2', 'r1', 's1', 1, 4)"),
                  sa::ledger::Failure);
  CHECK_THROWS_AS((*v8)->Exec("INSERT INTO exchanges(id, refund_id, sale_id, credit_minor, at_ms) "
                              "VALUES('e3', 'r9', 's2', 1, 4)"),
                  sa::ledger::Failure);
  CHECK_THROWS_AS((*v8)->Exec("INSERT INTO exchange_sources(exchange_id, method, amount_minor) "
                              "VALUES('e1', 'cash', 1.5)"),
                  sa::ledger::Failure);
}

TEST_CASE("a corrupt ledger is refused and left untouched", "[ledger][bad_input]") {
  TempDir dir;
  const fs::path path = dir.path() / "ledger.db";
  SECTION("not a database at all") {
    std::ofstream(path, std::ios::binary) << std::string(8192, 'x');
  }
  SECTION("a real ledger with a page overwritten") {
    {
      auto db = Database::Open(path.string());
      REQUIRE(db);
      for (int i = 0; i < 200; ++i) {
        (*db)->Exec("INSERT INTO meta VALUES('k" + std::to_string(i) + "', '" +
                    std::string(200, 'v') + "')");
      }
      (*db)->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(4096);  // pages 2 and 3: b-tree headers and cells
    f << std::string(8192, '\xAB');
  }
  const std::string before = ReadAll(path);
  auto db = Database::Open(path.string());
  REQUIRE_FALSE(db);
  CHECK(db.error().code == "ledger_corrupt");
  CHECK(db.error().message.find("untouched") != std::string::npos);
  CHECK(ReadAll(path) == before);
}

TEST_CASE("a ledger from a newer build is refused", "[ledger]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto db = Database::Open(path);
    REQUIRE(db);
    (*db)->Exec("PRAGMA user_version = 99");
  }
  auto db = Database::Open(path);
  REQUIRE_FALSE(db);
  CHECK(db.error().code == "ledger_too_new");
}

TEST_CASE("a transaction rolls back unless committed", "[ledger]") {
  TempDir dir;
  auto db = Database::Open((dir.path() / "ledger.db").string());
  REQUIRE(db);
  {
    Transaction tx(**db);
    (*db)->Cached("INSERT INTO meta VALUES(?, ?)").Bind(1, "a").Bind(2, "1").Run();
  }
  CHECK(Count(**db, "SELECT count(*) FROM meta") == 0);
  {
    Transaction tx(**db);
    (*db)->Cached("INSERT INTO meta VALUES(?, ?)").Bind(1, "a").Bind(2, "1").Run();
    tx.Commit();
  }
  CHECK(Count(**db, "SELECT count(*) FROM meta") == 1);
}

TEST_CASE("bound values are data, never SQL", "[ledger][bad_input]") {
  TempDir dir;
  auto db = Database::Open((dir.path() / "ledger.db").string());
  REQUIRE(db);
  const std::string evil = "x'); DROP TABLE sales; --";
  (*db)->Cached("INSERT INTO meta VALUES(?, ?)").Bind(1, evil).Bind(2, evil).Run();
  auto st = (*db)->Cached("SELECT value FROM meta WHERE key = ?");
  st.Bind(1, evil);
  REQUIRE(st.Step());
  CHECK(st.Text(0) == evil);
  CHECK(Count(**db, "SELECT count(*) FROM sqlite_schema WHERE name='sales'") == 1);
}

TEST_CASE("a full disk is insufficient_storage and rolls back", "[ledger]") {
  TempDir dir;
  auto db = Database::Open((dir.path() / "ledger.db").string());
  REQUIRE(db);
  const int pages = Count(**db, "PRAGMA page_count");
  (*db)->Exec("PRAGMA max_page_count = " + std::to_string(pages + 1));
  try {
    Transaction tx(**db);
    for (int i = 0; i < 100; ++i) {
      (*db)
          ->Cached("INSERT INTO meta VALUES(?, ?)")
          .Bind(1, "k" + std::to_string(i))
          .Bind(2, std::string(4000, 'v'))
          .Run();
    }
    tx.Commit();
    FAIL("the ledger should have run out of pages");
  } catch (const sa::ledger::Failure& f) {
    CHECK(f.error().code == "insufficient_storage");
    CHECK(f.error().kind == sa::ErrorKind::storage);
  }
  CHECK(Count(**db, "SELECT count(*) FROM meta") == 0);
}

TEST_CASE("a transaction inside a transaction is a savepoint", "[ledger]") {
  TempDir dir;
  auto db = Database::Open((dir.path() / "ledger.db").string());
  REQUIRE(db);
  auto put = [&](const char* key) {
    (*db)->Cached("INSERT INTO meta VALUES(?, 'v')").Bind(1, key).Run();
  };
  {
    Transaction batch(**db);
    {
      Transaction a(**db);
      put("a");
      a.Commit();
    }
    {
      Transaction b(**db);  // fails: rolled back alone
      put("b");
    }
    {
      Transaction c(**db);
      put("c");
      c.Commit();
    }
    CHECK((*db)->InTransaction());
    batch.Commit();
  }
  CHECK_FALSE((*db)->InTransaction());
  CHECK(Count(**db, "SELECT count(*) FROM meta") == 2);
  CHECK(Count(**db, "SELECT count(*) FROM meta WHERE key = 'b'") == 0);
  {
    Transaction batch(**db);
    Transaction a(**db);
    put("d");
    a.Commit();
  }  // the batch was not committed: nothing of it stays
  CHECK(Count(**db, "SELECT count(*) FROM meta WHERE key = 'd'") == 0);
}

TEST_CASE("migration step 8 -> 9 adds drawer openings and Chinese product names",
          "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v8 = Database::Open(path, {.target_version = 8});
    REQUIRE(v8);
    (*v8)->Exec(
        "INSERT INTO products(gtin, name, price_minor, currency, updated_at_ms) "
        "VALUES('06950123450036', 'Canvas tote', 12900, 'CNY', 1)");
  }
  auto v9 = Database::Open(path, {.target_version = 9});
  REQUIRE(v9);
  CHECK((*v9)->UserVersion() == 9);
  // A product of before has no Chinese name; a name is 1-200 bytes.
  CHECK(Count(**v9, "SELECT count(*) FROM products WHERE name_zh IS NULL") == 1);
  (*v9)->Exec("UPDATE products SET name_zh = '帆布托特包'");
  CHECK_THROWS_AS((*v9)->Exec("UPDATE products SET name_zh = ''"), sa::ledger::Failure);
  (*v9)->Exec(
      "INSERT INTO drawer_opens(id, terminal, reason, approved_by, approved_via, at_ms) "
      "VALUES('d1', 'till-1', 'change', 'mia', 'pin', 5)");
  CHECK(Count(**v9, "SELECT count(*) FROM drawer_opens WHERE shift_id IS NULL") == 1);
  // A reason and how it was approved are always there.
  CHECK_THROWS_AS((*v9)->Exec("INSERT INTO drawer_opens(id, terminal, approved_via, at_ms) "
                              "VALUES('d2', 'till-1', 'pin', 6)"),
                  sa::ledger::Failure);
  CHECK_THROWS_AS((*v9)->Exec("INSERT INTO drawer_opens(id, terminal, reason, at_ms) "
                              "VALUES('d3', 'till-1', 'x', 6)"),
                  sa::ledger::Failure);
}

TEST_CASE("migration step 10 -> 11: a sale line keeps its VAT rate, old lines take their product's",
          "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v10 = Database::Open(path, {.target_version = 10});
    REQUIRE(v10);
    (*v10)->Exec(
        "INSERT INTO products(gtin, name, price_minor, currency, tax_rate_bp, updated_at_ms) "
        "VALUES('06950123450036', 'Canvas tote', 12900, 'CNY', 1300, 1)");
    (*v10)->Exec(
        "INSERT INTO sales(id, status, terminal, currency, opened_at_ms) "
        "VALUES('s1', 'open', 'till-1', 'CNY', 1)");
    (*v10)->Exec(
        "INSERT INTO sale_lines(sale_id, gtin, serial, name, unit_price_minor, qty, code_kind, "
        "signature, added_at_ms) VALUES('s1', '06950123450036', 'U1', 'Canvas tote', 12900, 1, "
        "'digital_link', 'valid', 1), ('s1', '06950123450999', NULL, 'Gone', 100, 2, 'gtin', "
        "'absent', 1)");
  }
  auto v11 = Database::Open(path, {.target_version = 11});
  REQUIRE(v11);
  CHECK((*v11)->UserVersion() == 11);
  // The tote's line takes its product's rate; a line whose product is gone, 0.
  CHECK(Count(**v11, "SELECT tax_rate_bp FROM sale_lines WHERE serial = 'U1'") == 1300);
  CHECK(Count(**v11, "SELECT tax_rate_bp FROM sale_lines WHERE serial IS NULL") == 0);
  // A rate is an integer 0..10000 basis points.
  CHECK_THROWS_AS((*v11)->Exec("UPDATE sale_lines SET tax_rate_bp = 10001"), sa::ledger::Failure);
  CHECK_THROWS_AS((*v11)->Exec("UPDATE sale_lines SET tax_rate_bp = 13.5"), sa::ledger::Failure);
  CHECK_THROWS_AS((*v11)->Exec("UPDATE sale_lines SET tax_rate_bp = -1"), sa::ledger::Failure);
}

TEST_CASE("migration step 11 -> 12: a product may say whether its units must be signed",
          "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v11 = Database::Open(path, {.target_version = 11});
    REQUIRE(v11);
    (*v11)->Exec(
        "INSERT INTO products(gtin, name, price_minor, currency, updated_at_ms) "
        "VALUES('06950123450043', 'Gift wrap', 500, 'CNY', 1)");
  }
  auto v12 = Database::Open(path, {.target_version = 12});
  REQUIRE(v12);
  CHECK((*v12)->UserVersion() == 12);
  // A product of before follows the store's rule (NULL); 0 or 1 otherwise.
  CHECK(Count(**v12, "SELECT count(*) FROM products WHERE signed IS NULL") == 1);
  (*v12)->Exec("UPDATE products SET signed = 0");
  CHECK_THROWS_AS((*v12)->Exec("UPDATE products SET signed = 2"), sa::ledger::Failure);
}

namespace {

Database::Options Trusting() {
  Database::Options o;
  o.trust_clean_close = true;
  return o;
}

// A ledger with some pages of data, closed cleanly by a trusting connection.
void FillAndClose(const fs::path& path) {
  auto db = Database::Open(path.string(), Trusting());
  REQUIRE(db);
  CHECK_FALSE((*db)->closed_cleanly());  // new: nothing to trust
  CHECK_FALSE((*db)->checked_at_open());
  for (int i = 0; i < 200; ++i) {
    (*db)->Exec("INSERT INTO meta VALUES('k" + std::to_string(i) + "', '" + std::string(200, 'v') +
                "')");
  }
}

}  // namespace

TEST_CASE("a ledger closed cleanly opens again without its whole-file check", "[ledger]") {
  TempDir dir;
  const fs::path path = dir.path() / "ledger.db";
  const fs::path mark = dir.path() / "ledger.db-closed";
  FillAndClose(path);
  REQUIRE(fs::exists(mark));
  {
    auto db = Database::Open(path.string(), Trusting());
    REQUIRE(db);
    CHECK((*db)->closed_cleanly());
    CHECK_FALSE((*db)->checked_at_open());
    // Gone while the ledger is open: a crash from here on leaves no mark.
    CHECK_FALSE(fs::exists(mark));
    CHECK(Count(**db, "SELECT count(*) FROM meta WHERE key LIKE 'k%'") == 200);
  }
  // A connection that does not trust the mark always checks, and leaves the mark alone.
  {
    auto db = Database::Open(path.string());
    REQUIRE(db);
    CHECK((*db)->checked_at_open());
    CHECK_FALSE((*db)->closed_cleanly());
  }
  CHECK(fs::exists(mark));
  auto again = Database::Open(path.string(), Trusting());
  REQUIRE(again);
  CHECK((*again)->closed_cleanly());  // read, not written: still as it was
}

TEST_CASE("a ledger not closed cleanly, or changed since, is checked at open",
          "[ledger][bad_input]") {
  TempDir dir;
  const fs::path path = dir.path() / "ledger.db";
  const fs::path mark = dir.path() / "ledger.db-closed";
  FillAndClose(path);
  REQUIRE(fs::exists(mark));

  SECTION("written by another program since") {
    {
      auto other = Database::Open(path.string());
      REQUIRE(other);
      (*other)->Exec("INSERT INTO meta VALUES('other', 'x')");
    }
    auto db = Database::Open(path.string(), Trusting());
    REQUIRE(db);
    CHECK((*db)->checked_at_open());
    CHECK_FALSE((*db)->closed_cleanly());
  }
  SECTION("no mark: the last start ended in a crash") {
    fs::remove(mark);
    auto db = Database::Open(path.string(), Trusting());
    REQUIRE(db);
    CHECK((*db)->checked_at_open());
  }
  SECTION("a mark that names another state of the file") {
    std::ofstream(mark) << "v1 db 1 2 3 4.5 wal -\n";
    auto db = Database::Open(path.string(), Trusting());
    REQUIRE(db);
    CHECK((*db)->checked_at_open());
  }
  SECTION("a page overwritten after the clean close: refused, the mark gone") {
    {
      std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
      f.seekp(4096);
      f << std::string(8192, '\xAB');
    }
    const std::string before = ReadAll(path);
    auto db = Database::Open(path.string(), Trusting());
    REQUIRE_FALSE(db);
    CHECK(db.error().code == "ledger_corrupt");
    CHECK(ReadAll(path) == before);
    CHECK_FALSE(fs::exists(mark));
    // And refused again at the next start: nothing trusts it now.
    CHECK_FALSE(Database::Open(path.string(), Trusting()));
  }
}

TEST_CASE("migration step 17 -> 18: the open sales and the orders by offer time are indexed",
          "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v17 = Database::Open(path, {.target_version = 17});
    REQUIRE(v17);
    (*v17)->Exec(
        "INSERT INTO sales(id, status, terminal, currency, total_minor, opened_at_ms) "
        "VALUES('s-open', 'open', 't', 'CNY', 0, 1)");
  }
  auto v18 = Database::Open(path, {.target_version = 18});
  REQUIRE(v18);
  CHECK((*v18)->UserVersion() == 18);
  CHECK(Count(**v18,
              "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN "
              "('sales_open', 'reservations_by_offer')") == 2);
  // The open sale is in the partial index: found through it.
  Statement plan(**v18, "EXPLAIN QUERY PLAN SELECT id FROM sales WHERE status = 'open'");
  REQUIRE(plan.Step());
  CHECK(plan.Text(3).find("sales_open") != std::string::npos);
  CHECK(Count(**v18, "SELECT count(*) FROM sales WHERE status = 'open'") == 1);
}

TEST_CASE(
    "migration step 18 -> 19: retention's tables and guards, units and coupons used kept, "
    "neither referencing sales",
    "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v18 = Database::Open(path, {.target_version = 18});
    REQUIRE(v18);
    (*v18)->Exec(
        "INSERT INTO sales(id, status, terminal, currency, total_minor, opened_at_ms) "
        "VALUES('s-1', 'open', 't', 'CNY', 0, 1);"
        "INSERT INTO units(gtin, serial, state, sale_id, updated_at_ms) "
        "VALUES('09506000134352', 'U1', 'sold', 's-1', 5);"
        "INSERT INTO coupons_used(coupon_id, type, sale_id, at_ms, event_seq) "
        "VALUES('C1', 'welcome', 's-1', 6, 3);"
        "UPDATE sales SET status = 'completed', closed_at_ms = 7 WHERE id = 's-1'");
  }
  auto v19 = Database::Open(path, {.target_version = 19});
  REQUIRE(v19);
  CHECK((*v19)->UserVersion() == 19);
  CHECK(Count(**v19, "SELECT count(*) FROM units WHERE serial = 'U1' AND sale_id = 's-1'") == 1);
  CHECK(Count(**v19,
              "SELECT count(*) FROM coupons_used WHERE coupon_id = 'C1' AND "
              "event_seq = 3") == 1);
  CHECK(Count(**v19, "SELECT count(*) FROM pragma_foreign_key_list('units')") == 0);
  CHECK(Count(**v19, "SELECT count(*) FROM pragma_foreign_key_list('coupons_used')") == 0);
  CHECK(Count(**v19,
              "SELECT count(*) FROM sqlite_schema WHERE name IN ('day_totals', "
              "'retention_gate', 'coupons_used_by_type', 'outbox_no_delete_unacked')") == 4);
  // A closed sale is still not deleted, except through the gate.
  CHECK_THROWS_AS((*v19)->Exec("DELETE FROM sales WHERE id = 's-1'"), sa::ledger::Failure);
  (*v19)->Exec("INSERT INTO retention_gate VALUES('s-1'); DELETE FROM sales WHERE id = 's-1'");
  CHECK(Count(**v19, "SELECT count(*) FROM sales") == 0);
}

TEST_CASE("migration step 19 -> 20: claims beside sales, the sales untouched, reconciliations",
          "[ledger][migration]") {
  TempDir dir;
  const std::string path = (dir.path() / "ledger.db").string();
  {
    auto v19 = Database::Open(path, {.target_version = 19});
    REQUIRE(v19);
    (*v19)->Exec(
        "INSERT INTO sales(id, status, terminal, currency, total_minor, opened_at_ms) "
        "VALUES('s-1', 'open', 't', 'CNY', 0, 1);"
        "UPDATE sales SET status = 'completed', closed_at_ms = 7 WHERE id = 's-1'");
  }
  auto v20 = Database::Open(path, {.target_version = 20});
  REQUIRE(v20);
  CHECK((*v20)->UserVersion() == 20);
  CHECK(Count(**v20, "SELECT count(*) FROM sales WHERE id = 's-1' AND status = 'completed'") == 1);
  (*v20)->Exec("INSERT INTO sale_claims VALUES('s-1', 'M-1', 9)");
  CHECK(Count(**v20, "SELECT count(*) FROM sale_claims") == 1);
  // One claim per sale; a member id is 1-64 characters.
  CHECK_THROWS_AS((*v20)->Exec("INSERT INTO sale_claims VALUES('s-1', 'M-2', 9)"),
                  sa::ledger::Failure);
  CHECK_THROWS_AS((*v20)->Exec("INSERT INTO sale_claims VALUES('s-2', '', 9)"),
                  sa::ledger::Failure);
  // A shift's reconciliation is pending, match or mismatch.
  (*v20)->Exec("INSERT INTO shift_reconciliations(shift_id, last_seq) VALUES('sh-1', 4)");
  CHECK(Count(**v20, "SELECT count(*) FROM shift_reconciliations WHERE status = 'pending'") == 1);
  CHECK_THROWS_AS((*v20)->Exec("UPDATE shift_reconciliations SET status = 'maybe'"),
                  sa::ledger::Failure);
}

TEST_CASE(
    "a deferred check: the till opens at once, the check runs beside it, damage is "
    "refused at the next start",
    "[ledger][bad_input]") {
  TempDir dir;
  const fs::path path = dir.path() / "ledger.db";
  const fs::path mark = dir.path() / "ledger.db-closed";
  const fs::path damaged = dir.path() / "ledger.db-damaged";
  FillAndClose(path);
  fs::remove(mark);  // as after a crash
  Database::Options deferring = Trusting();
  deferring.defer_check = true;

  SECTION("a whole file: checked beside, then marked at a clean close") {
    {
      auto db = Database::Open(path.string(), deferring);
      REQUIRE(db);
      CHECK((*db)->check_deferred());
      CHECK_FALSE((*db)->checked_at_open());
      REQUIRE(Database::Check(path.string(), nullptr));
      // Not passed yet: this close leaves no mark.
    }
    CHECK_FALSE(fs::exists(mark));
    {
      auto db = Database::Open(path.string(), deferring);
      REQUIRE(db);
      CHECK((*db)->check_deferred());
      REQUIRE(Database::Check(path.string(), nullptr));
      (*db)->CheckPassed();
    }
    CHECK(fs::exists(mark));
    auto db = Database::Open(path.string(), deferring);
    REQUIRE(db);
    CHECK((*db)->closed_cleanly());
    CHECK_FALSE((*db)->check_deferred());
  }
  SECTION("a stopped check marks nothing") {
    const std::atomic<bool> stop{true};
    auto stopped = Database::Check(path.string(), &stop);
    REQUIRE_FALSE(stopped);
    CHECK(stopped.error().code == "check_stopped");
    CHECK_FALSE(fs::exists(damaged));
  }
  SECTION("a damaged file: opened, found beside the till, refused at the next start") {
    {
      std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
      f.seekp(4096);
      f << std::string(8192, '\xAB');
    }
    {
      auto db = Database::Open(path.string(), deferring);
      REQUIRE(db);
      CHECK((*db)->check_deferred());
      auto checked = Database::Check(path.string(), nullptr);
      REQUIRE_FALSE(checked);
      CHECK(checked.error().code == "ledger_corrupt");
      CHECK(fs::exists(damaged));
    }
    CHECK_FALSE(fs::exists(mark));
    const std::string before = ReadAll(path);
    auto again = Database::Open(path.string(), deferring);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == "ledger_corrupt");
    CHECK(ReadAll(path) == before);
    // Restored from a backup: checked whole at open, and the mark goes.
    fs::remove(path);
    FillAndClose(path);
    fs::remove(mark);
    auto restored = Database::Open(path.string(), deferring);
    REQUIRE(restored);
    CHECK((*restored)->checked_at_open());
    CHECK_FALSE(fs::exists(damaged));
  }
}
