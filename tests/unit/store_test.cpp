// SPDX-License-Identifier: Apache-2.0
// The store's books: scan rules, members, payments, voids, refunds, catalog
// import, and docs/design.md invariants 2, 4, 6, 7, 8 and 9 on one ledger.
#include "store.hpp"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "ledger_shop.hpp"

namespace fs = std::filesystem;
using namespace sa;
using namespace sa::testing;
using store::Payment;

namespace {

struct Books : LedgerShop {
  Books() : LedgerShop({.prefix = "sa-store"}) {}

  store::Sale Sell(const std::string& gtin, const std::string& serial, MinorUnits amount) {
    const std::string id = Open();
    REQUIRE(shop->sales.Scan(id, Label(gtin, serial)));
    auto done = shop->sales.Complete(id, {{"card", amount, "t1"}});
    REQUIRE(done);
    return *done;
  }
  // Everything the ledger holds, as text: "changes nothing" is Snapshot() equality.
  std::string Snapshot() {
    std::string out;
    for (const char* table :
         {"products", "members", "member_codes_used", "sales", "sale_lines", "payments", "units",
          "revocations", "refunds", "refund_lines", "refund_quantities", "refund_payments",
          "exchanges", "exchange_sources", "stock_moves", "outbox", "counters"}) {
      out += std::string("#") + table + "\n";
      out += Rows(std::string("SELECT * FROM ") + table + " ORDER BY 1");
    }
    return out;
  }
  std::vector<store::Event> Events() { return shop->books.OutboxAfter(0, 1000).value(); }
};

std::string Code(const Expected<store::Sale>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("scanning a signed label adds a line at the catalog price", "[store][scan]") {
  Books b;
  const std::string id = b.Open();
  auto sale = b.shop->sales.Scan(id, b.Label(kScarf, "S1"));
  REQUIRE(sale);
  REQUIRE(sale->lines.size() == 1);
  CHECK(sale->lines[0].gtin == kScarf);
  CHECK(sale->lines[0].serial == "S1");
  CHECK(sale->lines[0].unit_price == 59900);
  CHECK(sale->lines[0].signature == "valid");
  CHECK(sale->total == 59900);
  CHECK(b.Events().empty());  // a cart is not an event; the completion is
}

TEST_CASE("scan refusals, each with its code", "[store][scan]") {
  Books b;
  const std::string id = b.Open();
  SECTION("malformed_code carries the parser's reason") {
    auto r = b.shop->sales.Scan(id, "https://id.brand.example/01/06950123450006/21/S1");
    CHECK(Code(r) == "malformed_code");
    CHECK(r.error().reason == "bad_check_digit");
  }
  SECTION("unknown_product") {
    CHECK(Code(b.shop->sales.Scan(id, b.Label("04006381333931", "S1"))) == "unknown_product");
  }
  SECTION("code_forged: a signature by another key") {
    const auto rogue = crypto::SigningKey::Generate();
    const auto label =
        codes::MakeDigitalLink("x.example", kScarf, "S1", codes::SignLabel(kScarf, "S1", rogue));
    CHECK(Code(b.shop->sales.Scan(id, label)) == "code_forged");
  }
  SECTION("code_forged: a copied signature on another serial") {
    const auto sig = codes::SignLabel(kScarf, "S1", store::DemoBrandKey());
    CHECK(Code(b.shop->sales.Scan(id, codes::MakeDigitalLink("x.example", kScarf, "S2", sig))) ==
          "code_forged");
  }
  SECTION("code_forged: unsigned while signatures are required") {
    CHECK(Code(b.shop->sales.Scan(id, codes::MakeDigitalLink("x.example", kScarf, "S1", ""))) ==
          "code_forged");
    CHECK(Code(b.shop->sales.Scan(id, kScarf)) == "code_forged");
  }
  SECTION("code_revoked") {
    REQUIRE(b.shop->inbox.Revoke(kScarf, "S1", "stolen in transit"));
    CHECK(Code(b.shop->sales.Scan(id, b.Label(kScarf, "S1"))) == "code_revoked");
  }
  SECTION("serial_in_cart, in this sale and in another open sale") {
    REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
    CHECK(Code(b.shop->sales.Scan(id, b.Label(kScarf, "S1"))) == "serial_in_cart");
    CHECK(Code(b.shop->sales.Scan(b.Open(), b.Label(kScarf, "S1"))) == "serial_in_cart");
  }
  SECTION("sale_not_found") {
    CHECK(Code(b.shop->sales.Scan("no-such-sale", b.Label(kScarf, "S1"))) == "sale_not_found");
  }
}

TEST_CASE("a plain GTIN is accepted when signatures are optional, and counts up", "[store][scan]") {
  Books b;
  store::Config config = store::DemoConfig();
  config.require_signature = false;
  store::Store relaxed(*b.db, config, b.clock);
  const std::string id = b.Open();
  REQUIRE(relaxed.sales.Scan(id, "6950123450043"));
  auto sale = relaxed.sales.Scan(id, "6950123450043");
  REQUIRE(sale);
  REQUIRE(sale->lines.size() == 1);
  CHECK(sale->lines[0].qty == 2);
  CHECK(sale->lines[0].signature == "absent");
  CHECK(sale->total == 1000);
  // Signatures that are present are still checked.
  const auto rogue = crypto::SigningKey::Generate();
  CHECK(Code(relaxed.sales.Scan(
            id, codes::MakeDigitalLink("x", kScarf, "S9",
                                       codes::SignLabel(kScarf, "S9", rogue)))) == "code_forged");
}

TEST_CASE("removing a line", "[store]") {
  Books b;
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
  auto sale = b.shop->sales.Scan(id, b.Label(kTote, "T1"));
  REQUIRE(sale);
  auto after = b.shop->sales.RemoveLine(id, sale->lines[0].id);
  REQUIRE(after);
  CHECK(after->lines.size() == 1);
  CHECK(after->total == 12900);
  CHECK(Code(b.shop->sales.RemoveLine(id, 99999)) == "line_not_found");
  // The removed unit is free again.
  CHECK(b.shop->sales.Scan(b.Open(), b.Label(kScarf, "S1")));
}

TEST_CASE("completing: payments sum to the total, cash may exceed it", "[store][complete]") {
  Books b;
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
  REQUIRE(b.shop->sales.Scan(id, b.Label(kTote, "T1")));  // total 72800
  SECTION("exact, split over two methods") {
    auto done = b.shop->sales.Complete(id, {{"card", 70000, "a"}, {"wechat", 2800, "b"}});
    REQUIRE(done);
    CHECK(done->status == "completed");
    CHECK(*done->change == 0);
    CHECK(done->receipt_no == "demo-till-1-000001");
  }
  SECTION("cash over the total gives change") {
    auto done = b.shop->sales.Complete(id, {{"card", 2800, ""}, {"cash", 80000, ""}});
    REQUIRE(done);
    CHECK(*done->change == 10000);
    CHECK(*done->tendered == 82800);
  }
  SECTION("refusals change nothing") {
    const std::string before = b.Snapshot();
    CHECK(Code(b.shop->sales.Complete(id, {{"card", 72801, ""}})) == "payment_mismatch");
    CHECK(Code(b.shop->sales.Complete(id, {{"card", 72800, ""}, {"voucher", 100, ""}})) ==
          "payment_mismatch");  // only cash may exceed the total
    CHECK(Code(b.shop->sales.Complete(id, {{"card", 72799, ""}})) == "payment_mismatch");
    CHECK(Code(b.shop->sales.Complete(id, {{"bitcoin", 72800, ""}})) == "unknown_payment_method");
    CHECK(Code(b.shop->sales.Complete(id, {{"cash", -5, ""}, {"cash", 72805, ""}})) ==
          "invalid_amount");
    CHECK(Code(b.shop->sales.Complete(id, {{"cash", 0, ""}})) == "invalid_amount");
    CHECK(Code(b.shop->sales.Complete(id, {})) == "invalid_payments");
    CHECK(Code(b.shop->sales.Complete(id, {{"cash", INT64_MAX, ""}, {"cash", 1, ""}})) ==
          "amount_overflow");
    CHECK(b.Snapshot() == before);
  }
  SECTION("an empty sale cannot be completed") {
    CHECK(Code(b.shop->sales.Complete(b.Open(), {{"cash", 100, ""}})) == "sale_empty");
  }
}

TEST_CASE("invariant 2: the state change and its outbox event commit together",
          "[store][invariant]") {
  Books b;
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
  // Make the outbox refuse writes, as a failing disk would mid-transaction.
  b.db->Exec(
      "CREATE TEMP TRIGGER outbox_fails BEFORE INSERT ON main.outbox "
      "BEGIN SELECT RAISE(ABORT, 'disk went away'); END");
  const std::string before = b.Snapshot();
  auto r = b.shop->sales.Complete(id, {{"card", 59900, ""}});
  REQUIRE_FALSE(r);
  CHECK(b.Snapshot() == before);  // not completed, unit not sold, no payment
  CHECK(b.shop->sales.GetSale(id)->status == "open");
  b.db->Exec("DROP TRIGGER outbox_fails");
  auto done = b.shop->sales.Complete(id, {{"card", 59900, ""}});
  REQUIRE(done);
  auto events = b.Events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "sale.completed");
  CHECK(events[0].seq == 1);  // the failed attempt took no number: no gap
  auto payload = nlohmann::json::parse(events[0].payload);
  CHECK(payload["id"] == id);
  CHECK(payload["total"] == 59900);
  CHECK(payload["lines"][0]["serial"] == "S1");

  auto env = nlohmann::json::parse(store::EventEnvelope(events[0], b.shop->books.config()));
  for (const char* key : {"id", "store_id", "device_id", "seq", "type", "at", "payload"}) {
    CHECK(env.contains(key));
  }
  CHECK(env["at"] == FormatTimestamp(kNow));
}

TEST_CASE("invariant 4: a serial is sold at most once, a return puts it back",
          "[store][invariant]") {
  Books b;
  b.Sell(kScarf, "S1", 59900);
  const std::string id = b.Open();
  CHECK(Code(b.shop->sales.Scan(id, b.Label(kScarf, "S1"))) == "serial_already_sold");

  SECTION("the ledger itself refuses a second sale of the unit") {
    // Two carts got the unit before either completed (the check the scan
    // does cannot see a unit that is only in a cart of a bypassed path):
    // the units row still refuses the second completion.
    b.db->Exec("UPDATE units SET state = 'in_stock' WHERE serial = 'S1'");
    const std::string a = b.Open();
    REQUIRE(b.shop->sales.Scan(a, b.Label(kScarf, "S1")));
    b.db->Exec("UPDATE units SET state = 'sold' WHERE serial = 'S1'");
    CHECK(Code(b.shop->sales.Complete(a, {{"card", 59900, ""}})) == "serial_already_sold");
    CHECK(b.shop->sales.GetSale(a)->status == "open");
  }
  SECTION("a refund returns the unit to stock") {
    auto sale_id = b.Events().at(0).payload;
    const std::string sid = nlohmann::json::parse(sale_id)["id"];
    auto refund = b.shop->sales.RefundUnits(sid, {"S1"});
    REQUIRE(refund);
    CHECK(refund->amount == 59900);
    REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
    CHECK(b.shop->sales.Complete(id, {{"cash", 59900, ""}}));
  }
}

TEST_CASE("refunds", "[store][refund]") {
  Books b;
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
  REQUIRE(b.shop->sales.Scan(id, b.Label(kTote, "T1")));
  CHECK(b.shop->sales.RefundUnits(id, {"S1"}).error().code == "sale_not_completed");
  REQUIRE(b.shop->sales.Complete(id, {{"card", 72800, ""}}));
  const std::string before = b.Snapshot();
  CHECK(b.shop->sales.RefundUnits(id, {"NOPE"}).error().code == "serial_not_in_sale");
  CHECK(b.shop->sales.RefundUnits(id, {}).error().code == "nothing_to_refund");
  CHECK(b.shop->sales.RefundUnits(id, {"S1", "S1"}).error().code == "nothing_to_refund");
  CHECK(b.shop->sales.RefundUnits("nope", {"S1"}).error().code == "sale_not_found");
  CHECK(b.Snapshot() == before);
  auto r = b.shop->sales.RefundUnits(id, {"T1"});
  REQUIRE(r);
  CHECK(r->amount == 12900);
  CHECK(b.shop->sales.RefundUnits(id, {"T1"}).error().code == "serial_already_refunded");
  auto events = b.Events();
  REQUIRE(events.size() == 2);
  CHECK(events[1].type == "refund.completed");
  CHECK(events[1].seq == 2);
  CHECK(nlohmann::json::parse(events[1].payload)["amount"] == 12900);
  // The sale itself is unchanged by the refund (invariant 7).
  CHECK(b.shop->sales.GetSale(id)->status == "completed");
  CHECK(b.shop->sales.GetSale(id)->total == 72800);
}

TEST_CASE("invariant 7: a completed sale is immutable", "[store][invariant]") {
  Books b;
  auto sale = b.Sell(kScarf, "S1", 59900);
  const std::string before = b.Snapshot();
  CHECK(Code(b.shop->sales.Scan(sale.id, b.Label(kTote, "T1"))) == "sale_not_open");
  CHECK(Code(b.shop->sales.RemoveLine(sale.id, sale.lines[0].id)) == "sale_not_open");
  CHECK(Code(b.shop->sales.Complete(sale.id, {{"cash", 59900, ""}})) == "sale_not_open");
  // Voiding it is a manager's correction (a post-void), never an edit of it.
  CHECK(Code(b.shop->sales.Void(sale.id, "oops")) == "manager_required");
  CHECK(Code(b.shop->sales.BindPhone(sale.id, "13812345678")) == "sale_not_open");
  CHECK(b.Snapshot() == before);
  // Nor can anyone with SQL access bend it.
  CHECK_THROWS(b.db->Exec("UPDATE sales SET total_minor = 1"));
  CHECK_THROWS(b.db->Exec("UPDATE sale_lines SET unit_price_minor = 1"));
  CHECK_THROWS(b.db->Exec("DELETE FROM sale_lines"));
  CHECK_THROWS(b.db->Exec("UPDATE payments SET amount_minor = 1"));
  CHECK_THROWS(b.db->Exec("UPDATE outbox SET payload = '{}'"));
  CHECK(b.Snapshot() == before);
}

TEST_CASE("voiding an open sale", "[store]") {
  Books b;
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
  auto v = b.shop->sales.Void(id, "customer changed mind");
  REQUIRE(v);
  CHECK(v->status == "voided");
  auto events = b.Events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "sale.voided");
  // The unit is free for another sale.
  CHECK(b.shop->sales.Scan(b.Open(), b.Label(kScarf, "S1")));
  CHECK(Code(b.shop->sales.Void(id, "again")) == "sale_not_open");
}

TEST_CASE("member codes: signature, time window, once only", "[store][member]") {
  Books b;
  const std::string id = b.Open();
  const std::int64_t now_s = kNow / 1000;
  const auto code = codes::MakeMemberCode("M1001", now_s - 30, store::DemoMemberKey());
  auto bound = b.shop->sales.BindMemberCode(id, code);
  REQUIRE(bound);
  CHECK(bound->member->member_id == "M1001");
  CHECK(b.Events().at(0).type == "member.bound");
  const std::string other = b.Open();
  const std::string before = b.Snapshot();
  CHECK(Code(b.shop->sales.BindMemberCode(other, code)) == "member_code_replayed");
  CHECK(Code(b.shop->sales.BindMemberCode(
            id, codes::MakeMemberCode("M1001", now_s - 121, store::DemoMemberKey()))) ==
        "member_code_expired");
  CHECK(Code(b.shop->sales.BindMemberCode(
            id, codes::MakeMemberCode("M1001", now_s + 121, store::DemoMemberKey()))) ==
        "member_code_expired");
  CHECK(Code(b.shop->sales.BindMemberCode(
            id, codes::MakeMemberCode("M1001", now_s, crypto::SigningKey::Generate()))) ==
        "member_code_forged");
  CHECK(Code(b.shop->sales.BindMemberCode(id, "SAM1:x")) == "member_code_malformed");
  CHECK(Code(b.shop->sales.BindMemberCode(id, b.Label(kScarf, "S1"))) == "not_a_member_code");
  CHECK(b.Snapshot() == before);  // no refusal bound, recorded or emitted anything
  SECTION("a member code scanned into the sale binds the member") {
    auto s = b.shop->sales.Scan(id, codes::MakeMemberCode("M2002", now_s, store::DemoMemberKey()));
    REQUIRE(s);
    CHECK(s->member->member_id == "M2002");
  }
}

TEST_CASE("invariant 8: a phone number is kept only as a keyed hash and a mask",
          "[store][invariant][privacy]") {
  Books b;
  const std::string id = b.Open();
  auto s = b.shop->sales.BindPhone(id, "+86 138-1234-5678");
  REQUIRE(s);
  CHECK(s->member->phone_masked == "138****5678");
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
  REQUIRE(b.shop->sales.Complete(id, {{"cash", 59900, ""}}));
  for (const auto& e : b.Events()) {
    CHECK(e.payload.find("13812345678") == std::string::npos);
    CHECK(e.payload.find("12345678") == std::string::npos);
  }
  CHECK(b.Snapshot().find("13812345678") == std::string::npos);
  // Nor anywhere in the files at rest (database and WAL).
  for (const char* f : {"ledger.db", "ledger.db-wal"}) {
    CHECK(ReadAll(b.dir / f).find("13812345678") == std::string::npos);
  }
  // The same number from another format binds the same member.
  auto again = b.shop->sales.BindPhone(b.Open(), "13812345678");
  REQUIRE(again);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(b.db->handle(), "SELECT count(*) FROM members", -1, &st, nullptr);
  sqlite3_step(st);
  CHECK(sqlite3_column_int(st, 0) == 1);
  sqlite3_finalize(st);
  CHECK(Code(b.shop->sales.BindPhone(id, "138abc")) == "phone_invalid");
  CHECK(Code(b.shop->sales.BindPhone(id, "123")) == "phone_invalid");
}

TEST_CASE("invariant 9: bad input gets a typed error and changes nothing", "[store][invariant]") {
  Books b;
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
  b.Sell(kTote, "SOLD", 12900);
  const std::string before = b.Snapshot();
  const std::string bad_payloads[] = {
      "",
      std::string(5000, 'A'),
      "]Q3010695012345000",
      "https://x/01/06950123450005/21/" + std::string(30, 'x'),
      std::string("\x00\xff\x1d", 3),
      "(01)06950123450005(17)991399(21)X",
      "SAM1:::",
      "https://id.brand.example/01/06950123450005/21/S1?8030=%%%",
      b.Label(kScarf, "S1"),   // in cart
      b.Label(kTote, "SOLD"),  // sold
  };
  for (const auto& p : bad_payloads) {
    auto r = b.shop->sales.Scan(id, p);
    REQUIRE_FALSE(r);
    CHECK_FALSE(r.error().code.empty());
    CHECK(r.error().kind != ErrorKind::internal);
  }
  CHECK(Code(b.shop->sales.OpenSale(std::string(100, 't'))) == "invalid_terminal");
  CHECK(Code(b.shop->sales.Void(id, std::string(300, 'r'))) == "invalid_reason");
  CHECK(b.Snapshot() == before);
}

TEST_CASE("invariant 6: money stays integer and in range", "[store][invariant]") {
  Books b;
  const std::string before = b.Snapshot();
  auto r = b.shop->books.ImportCatalogCsv("gtin,name,price_minor\n06950123450005,Scarf,599.00\n");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "catalog_invalid");
  CHECK(r.error().message.find("line 2") != std::string::npos);
  CHECK_FALSE(b.shop->books.ImportCatalogCsv("gtin,name,price_minor\n06950123450005,Scarf,-1\n"));
  CHECK_FALSE(b.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor\n06950123450005,Scarf,99999999999999999999\n"));
  CHECK(b.Snapshot() == before);
}

TEST_CASE("a full disk refuses the sale with insufficient_storage and keeps it open",
          "[store][invariant]") {
  Books b;
  const std::string id = b.Open();
  // Enough lines that the completion (its event alone is several KiB) needs
  // new pages, which the capped ledger cannot give.
  for (int i = 0; i < 40; ++i)
    REQUIRE(b.shop->sales.Scan(id, b.Label(kWrap, "W" + std::to_string(i))));
  b.db->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(b.db->handle(), "PRAGMA page_count", -1, &st, nullptr);
  sqlite3_step(st);
  const int pages = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  b.db->Exec("PRAGMA max_page_count = " + std::to_string(pages));
  const std::string before = b.Snapshot();
  auto r = b.shop->sales.Complete(id, {{"cash", 20000, ""}});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "insufficient_storage");
  CHECK(r.error().kind == ErrorKind::storage);
  CHECK(b.Snapshot() == before);
  b.db->Exec("PRAGMA max_page_count = 1073741823");
  CHECK(
      b.shop->sales.Complete(id, {{"cash", 20000, ""}}));  // space is back: the same sale completes
}

// Moved here from writer_test with the re-layout: an Idempotency-Key's
// answer is kept by the store's books (the API decides what an answer is).
TEST_CASE("an Idempotency-Key answers the same twice, runs once, and refuses another request",
          "[store][idempotency]") {
  Books b;
  // What the API does with each request: recall, else run and remember.
  auto request = [&](const std::string& key, const std::string& hash,
                     const std::string& serial) -> Expected<store::RememberedAnswer> {
    ledger::Transaction tx(*b.db);
    auto seen = b.shop->books.RecallAnswer(key, hash);
    if (!seen) return seen.error();
    if (*seen) return **seen;
    auto sold = b.Sell(kScarf, serial, 59900);
    const store::RememberedAnswer answer{200, store::SaleJson(sold)};
    REQUIRE(b.shop->books.RememberAnswer(key, hash, answer));
    tx.Commit();
    return answer;
  };
  auto first = request("key-1", "h1", "I1");
  auto second = request("key-1", "h1", "I1");
  auto other = request("key-1", "h2", "I2");  // the same key for another request
  REQUIRE(first);
  REQUIRE(second);
  CHECK(second->status == first->status);
  CHECK(second->body == first->body);
  REQUIRE_FALSE(other);
  CHECK(other.error().code == "idempotency_key_reused");
  CHECK(other.error().kind == ErrorKind::conflict);
  CHECK(b.Events().size() == 1);  // one sale, not two
}

TEST_CASE("non-UTF-8 text is refused at the edge and can never wedge a sale",
          "[store][bad_input]") {
  Books b;
  const std::string before = b.Snapshot();
  auto r =
      b.shop->books.ImportCatalogCsv("gtin,name,price_minor\n4006381333931,\xCE\xA7\xBD\xED,100\n");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("UTF-8") != std::string::npos);
  auto p = b.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor\n4006381333931,Pen,\xA3\xA4"
      "599\n");
  REQUIRE_FALSE(p);
  CHECK(ValidUtf8(p.error().message));  // no raw input bytes in messages
  CHECK(Code(b.shop->sales.OpenSale("till-\xff")) == "invalid_terminal");
  const std::string id = b.Open();
  CHECK(Code(b.shop->sales.Void(id, "oops\xC0\xAF")) == "invalid_reason");
  REQUIRE(b.shop->books.ImportCatalogCsv("gtin,name,price_minor\n4006381333931,围巾 丝绸,100\n"));
  CHECK(b.shop->sales.Void(id, "顾客改变主意"));
  CHECK_FALSE(ValidUtf8("\xED\xA0\x80"));  // a surrogate
  CHECK_FALSE(ValidUtf8("\xC0\xAF"));      // an overlong '/'
  CHECK(ValidUtf8("丝绸 scarf"));
  (void)before;
}

TEST_CASE("a refund names a unit by serial, and by GTIN when the serial is shared",
          "[store][refund]") {
  Books b;
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "SN1")));
  REQUIRE(b.shop->sales.Scan(id, b.Label(kTote, "SN1")));
  REQUIRE(b.shop->sales.Complete(id, {{"card", 72800, ""}}));
  const std::string before = b.Snapshot();
  CHECK(b.shop->sales.RefundUnits(id, {"SN1"}).error().code == "serial_ambiguous");
  CHECK(b.Snapshot() == before);
  auto scarf = b.shop->sales.RefundUnits(id, {store::UnitRef(kScarf, "SN1")});
  REQUIRE(scarf);
  CHECK(scarf->amount == 59900);
  auto tote = b.shop->sales.RefundUnits(id, {store::UnitRef(kTote, "SN1")});
  REQUIRE(tote);
  CHECK(tote->amount == 12900);
}

TEST_CASE("a unit revoked while in a cart is refused at completion", "[store][complete]") {
  Books b;
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "R1")));
  REQUIRE(b.shop->inbox.Revoke(kScarf, "R1", "reported stolen"));
  const std::string before = b.Snapshot();
  CHECK(Code(b.shop->sales.Complete(id, {{"cash", 59900, ""}})) == "code_revoked");
  CHECK(b.Snapshot() == before);
}

TEST_CASE("a sale is found by the first or last characters of its id", "[store][sale_id]") {
  Books b;
  const std::string one = b.Open();
  b.clock.advance_ms(1);
  const std::string two = b.Open();
  auto ids = [&](std::string_view part) { return b.shop->sales.IdsMatching(part, 5); };
  // The last characters, as a screen shows them, name one sale.
  CHECK(ids(one.substr(one.size() - 6)).value() == std::vector<std::string>{one});
  CHECK(ids(two.substr(two.size() - 6)).value() == std::vector<std::string>{two});
  // The first ones are the time (UUIDv7): both, newest first.
  CHECK(ids(one.substr(0, 8)).value() == std::vector<std::string>{two, one});
  CHECK(ids(one).value() == std::vector<std::string>{one});
  CHECK(ids("ffff0000ffff").value().empty());
  // Anything but 4 to 36 of 0-9 a-f '-' is refused (no LIKE wildcard gets in).
  for (std::string_view bad : {"abc", "%%%%", "ab_c", "ABCD", "abcd%", ""}) {
    auto r = ids(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "invalid_field");
  }
}

TEST_CASE("a post-void takes a completed sale back whole, once, and only with a manager",
          "[store][void]") {
  Books b;
  store::Config config = store::DemoConfig();
  config.require_signature = false;
  store::Store shop(*b.db, config, b.clock);
  const store::Approval manager{"mia", "pin"};
  const std::string id = b.Open();
  REQUIRE(shop.sales.Scan(id, b.Label(kScarf, "S1")));
  REQUIRE(shop.sales.Scan(id, "6950123450043"));
  REQUIRE(shop.sales.Scan(id, "6950123450043"));  // 2 x 500
  const auto plain_before = shop.stock.Level("06950123450043").value().on_hand;
  b.clock.advance_ms(1234);
  auto sale = shop.sales.Complete(id, {{"cash", 61000, ""}});  // 60900, change 100
  REQUIRE(sale);
  REQUIRE(sale->total == 60900);
  const std::string before = b.Snapshot();

  // Nothing of a refused post-void is written.
  CHECK(Code(shop.sales.Void(id, "wrong customer")) == "manager_required");
  CHECK(shop.sales.Void(id, "wrong customer").error().kind == ErrorKind::forbidden);
  CHECK(Code(shop.sales.Void(id, "", manager)) == "invalid_reason");
  CHECK(Code(shop.sales.Void("no-such-sale", "x", manager)) == "sale_not_found");
  CHECK(b.Snapshot() == before);

  b.clock.advance_ms(5 * 60 * 1000);
  auto voided = shop.sales.Void(id, "rang up the wrong customer", manager);
  REQUIRE(voided);
  // The sale stays as it was completed (invariant 7); the post-void is the correction.
  CHECK(voided->status == "completed");
  CHECK(voided->total == 60900);
  REQUIRE(voided->post_void);
  CHECK(voided->post_void->amount == 60900);
  CHECK(voided->post_void->approved.manager == "mia");
  CHECK(voided->post_void->approved.via == "pin");
  CHECK(voided->post_void->reason == "rang up the wrong customer");
  CHECK(shop.sales.GetSale(id)->post_void);

  // The units are back: the serial sells again, the plain items are on hand again.
  CHECK(shop.stock.Level("06950123450043").value().on_hand == plain_before);
  CHECK(shop.sales.Scan(b.Open(), b.Label(kScarf, "S1")));

  // The money goes back by the sale's own method, net of the change.
  CHECK(b.Rows("SELECT method, amount_minor FROM refund_payments") == "cash|60900|\n");

  const auto events = b.Events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].type == "sale.completed");
  CHECK(events[1].type == "sale.voided");
  const auto p = nlohmann::json::parse(events[1].payload);
  CHECK(p["post_void"] == true);
  CHECK(p["sale_id"] == id);
  CHECK(p["reason"] == "rang up the wrong customer");
  CHECK(p["amount"] == 60900);
  CHECK(p["approved_by"] == nlohmann::json{{"manager", "mia"}, {"via", "pin"}});
  CHECK(p["lines"].size() == 2);
  // The sale's own event, re-stated exactly by a correction, is at the sale's close.
  CHECK(p["completed_at_ms"] == events[0].at_ms);
  CHECK(events[0].at_ms == *sale->closed_at_ms);

  // Once only, and then nothing of it is left to refund.
  const std::string after = b.Snapshot();
  CHECK(Code(shop.sales.Void(id, "again", manager)) == "sale_already_voided");
  CHECK(shop.sales.RefundUnits(id, {"S1"}, "", "", manager).error().code == "sale_already_voided");
  CHECK(b.Snapshot() == after);
}

TEST_CASE("a sale refunded in part is refunded, not post-voided", "[store][void]") {
  Books b;
  const store::Approval manager{"", "api_token"};
  const std::string id = b.Open();
  REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));
  REQUIRE(b.shop->sales.Scan(id, b.Label(kTote, "T1")));
  REQUIRE(b.shop->sales.Complete(id, {{"card", 72800, ""}}));
  auto refund = b.shop->sales.RefundUnits(id, {"T1"}, "", "", manager);
  REQUIRE(refund);
  REQUIRE(refund->approved);
  CHECK(refund->approved->via == "api_token");
  CHECK(nlohmann::json::parse(b.Events().back().payload)["approved_by"] ==
        nlohmann::json{{"manager", nullptr}, {"via", "api_token"}});
  const std::string before = b.Snapshot();
  CHECK(Code(b.shop->sales.Void(id, "oops", manager)) == "sale_partly_refunded");
  CHECK(b.Snapshot() == before);
}

TEST_CASE(
    "returns at the counter: the sale by receipt number or a unit's label, plain items by "
    "quantity, money back with its reference",
    "[store][refund]") {
  Books b;
  store::Config config = store::DemoConfig();
  config.require_signature = false;
  store::Store shop(*b.db, config, b.clock);
  const std::string kPlain = "06950123450043";  // 500 each
  const std::string id = b.Open();
  REQUIRE(shop.sales.Scan(id, b.Label(kScarf, "S1")));
  for (int i = 0; i < 3; ++i) REQUIRE(shop.sales.Scan(id, "6950123450043"));
  auto sale = shop.sales.Complete(id, {{"card", 11400, "POS-77"}, {"cash", 50000, ""}});
  REQUIRE(sale);
  REQUIRE(sale->total == 61400);
  const auto on_hand = [&] { return shop.stock.Level(kPlain).value().on_hand; };
  const auto sold = on_hand();

  // Found by what the receipt prints, or by a unit of it.
  CHECK(shop.sales.FindByReceipt(sale->receipt_no)->id == id);
  CHECK(shop.sales.FindByUnit(kScarf, "S1")->id == id);
  CHECK(Code(shop.sales.FindByUnit(kScarf, "NOPE")) == "unit_not_sold");
  CHECK(Code(shop.sales.FindByReceipt(config.device_id + "-999999")) == "receipt_not_found");
  CHECK(Code(shop.sales.FindByReceipt("other-till-000001")) == "receipt_other_device");
  for (const char* bad : {"", "000001", "demo-till-1-12345", "demo-till-1-00000x", "-000001x"}) {
    INFO(bad);
    CHECK(Code(shop.sales.FindByReceipt(bad)) == "invalid_receipt_no");
  }

  const std::string before = b.Snapshot();
  const auto refuse = [&](const std::vector<store::UnitRef>& units,
                          const std::vector<store::ItemRef>& items) {
    auto r = shop.sales.RefundUnits(id, units, "", "", std::nullopt, items);
    REQUIRE_FALSE(r);
    return r.error().code;
  };
  CHECK(refuse({}, {{kPlain, 4}}) == "refund_exceeds_sale");
  CHECK(refuse({}, {{kTote, 1}}) == "gtin_not_in_sale");
  CHECK(refuse({}, {{kPlain, 0}}) == "invalid_field");
  CHECK(refuse({}, {{kPlain, 1}, {kPlain, 1}}) == "nothing_to_refund");
  CHECK(refuse({}, {}) == "nothing_to_refund");
  CHECK(b.Snapshot() == before);

  // Two of the three come back: 1000, by the first method paid, with its reference.
  auto two = shop.sales.RefundUnits(id, {}, "", "", std::nullopt, {{kPlain, 2}});
  REQUIRE(two);
  CHECK(two->amount == 1000);
  REQUIRE(two->items.size() == 1);
  CHECK(two->items[0].qty == 2);
  REQUIRE(two->payments.size() == 1);
  CHECK(two->payments[0].method == "card");
  CHECK(two->payments[0].amount == 1000);
  CHECK(two->payments[0].ref == "POS-77");
  CHECK(on_hand() == sold + 2);
  const auto event = nlohmann::json::parse(b.Events().back().payload);
  CHECK(event["lines"][0]["qty"] == 2);
  CHECK(event["lines"][0]["amount"] == 1000);
  CHECK(event["payments"][0]["ref"] == "POS-77");
  CHECK(refuse({}, {{kPlain, 2}}) == "refund_exceeds_sale");  // one is left

  // The rest: the scarf and the last plain item; the card's 10400 left, then cash.
  auto rest = shop.sales.RefundUnits(id, {"S1"}, "", "", std::nullopt, {{kPlain, 1}});
  REQUIRE(rest);
  CHECK(rest->amount == 60400);
  REQUIRE(rest->payments.size() == 2);
  CHECK(rest->payments[0].method == "card");
  CHECK(rest->payments[0].amount == 10400);
  CHECK(rest->payments[1].method == "cash");
  CHECK(rest->payments[1].amount == 50000);
  CHECK(on_hand() == sold + 3);
  CHECK(refuse({}, {{kPlain, 1}}) == "refund_exceeds_sale");
  CHECK(Code(shop.sales.FindByUnit(kScarf, "S1")) == "unit_not_sold");  // back on the shelf
}

TEST_CASE("receipt prints are counted in the ledger: the first is the original, then copies",
          "[store][receipt]") {
  Books b;
  auto sale = b.Sell(kScarf, "P1", 59900);
  CHECK(b.shop->sales.ClaimPrint(sale.id).value() == 0);  // the original
  // The printer refused it: the next print is the original again.
  REQUIRE(b.shop->sales.UnclaimPrint(sale.id));
  CHECK(b.shop->sales.ClaimPrint(sale.id).value() == 0);
  CHECK(b.shop->sales.ClaimPrint(sale.id).value() == 1);  // a copy
  REQUIRE(b.shop->sales.UnclaimPrint(sale.id));           // a refused copy changes nothing
  CHECK(b.shop->sales.ClaimPrint(sale.id).value() == 2);
  // Kept in the ledger: another Store over it (a restart) sees the same count.
  store::Store again(*b.db, store::DemoConfig(), b.clock);
  CHECK(again.sales.ClaimPrint(sale.id).value() == 3);
  CHECK(b.Rows("SELECT prints FROM receipt_prints") == "4|\n");
}

TEST_CASE("an exchange takes a unit back and sells another in one step, the customer paying more",
          "[store][exchange]") {
  Books b;
  const store::Approval manager{"mia", "pin"};
  const auto sale = b.shop->sales.Complete(
      [&] {
        const std::string id = b.Open();
        REQUIRE(b.shop->sales.Scan(id, b.Label(kScarf, "S1")));  // 59900
        REQUIRE(b.shop->sales.Scan(id, b.Label(kTote, "T1")));   // 12900
        return id;
      }(),
      {{"card", 72800, "POS-1"}});
  REQUIRE(sale);
  const std::string cart = b.Open();
  REQUIRE(b.shop->sales.Scan(cart, b.Label(kScarf, "S2")));
  auto exchange = [&](const std::vector<store::UnitRef>& units, const std::string& cart_id,
                      const std::vector<Payment>& payments) {
    return b.shop->sales.ExchangeUnits(sale->id, units, {}, cart_id, payments, "", "", manager);
  };
  auto code = [](const Expected<store::Exchange>& r) {
    REQUIRE_FALSE(r.has_value());
    return r.error().code;
  };

  // Refused whole: nothing of either half is written.
  const std::string empty_cart = b.Open();
  const std::string before = b.Snapshot();
  CHECK(code(exchange({"T1"}, cart, {})) == "payment_mismatch");  // 47000 is owed
  CHECK(code(exchange({"T1"}, cart, {{"cash", 46999, ""}})) == "payment_mismatch");
  CHECK(code(exchange({"T1"}, cart, {{"card", 47001, ""}})) == "payment_mismatch");
  CHECK(code(exchange({"T1"}, cart, {{"exchange", 47000, ""}})) == "unknown_payment_method");
  CHECK(code(exchange({"NOPE"}, cart, {{"cash", 47000, ""}})) == "serial_not_in_sale");
  CHECK(code(exchange({"T1"}, sale->id, {{"cash", 47000, ""}})) == "invalid_field");
  CHECK(code(exchange({"T1"}, empty_cart, {{"cash", 47000, ""}})) == "sale_empty");
  CHECK(code(exchange({}, cart, {{"cash", 47000, ""}})) == "nothing_to_refund");
  CHECK(code(exchange({"T1"}, "no-such-cart", {{"cash", 47000, ""}})) == "sale_not_found");
  CHECK(code(b.shop->sales.ExchangeUnits("no-such-sale", {"T1"}, {}, cart,
                                         {{"cash", 47000, ""}})) == "sale_not_found");
  CHECK(b.Snapshot() == before);
  // The cart's unit revoked after it was scanned: the sale half fails, so the refund half is
  // not written either.
  const std::string revoked_cart = b.Open();
  REQUIRE(b.shop->sales.Scan(revoked_cart, b.Label(kScarf, "R1")));
  REQUIRE(b.shop->inbox.Revoke(kScarf, "R1", "reported stolen"));
  const std::string with_revoked = b.Snapshot();
  CHECK(code(exchange({"T1"}, revoked_cart, {{"cash", 47000, ""}})) == "code_revoked");
  CHECK(b.Snapshot() == with_revoked);
  CHECK(b.Rows("SELECT count(*) FROM refunds") == "0|\n");
  CHECK(b.Rows("SELECT count(*) FROM exchanges") == "0|\n");

  const auto events_before = b.Events().size();
  auto done = exchange({"T1"}, cart, {{"cash", 50000, ""}});
  REQUIRE(done);
  CHECK(done->credit == 12900);
  CHECK(done->difference == 47000);
  CHECK(done->returned.amount == 12900);
  CHECK(done->returned.serials == std::vector<std::string>{"T1"});
  REQUIRE(done->returned.payments.size() == 1);  // nothing paid back: it all went to the cart
  CHECK(done->returned.payments[0].method == "exchange");
  CHECK(done->returned.payments[0].amount == 12900);
  CHECK(done->sale.status == "completed");
  CHECK(done->sale.id == cart);
  CHECK(done->sale.change == 3000);
  REQUIRE(done->sale.payments.size() == 2);
  CHECK(done->sale.payments[0].method == "exchange");
  CHECK(done->sale.payments[0].amount == 12900);
  CHECK(done->sale.payments[0].ref == done->id);
  CHECK(done->sale.payments[1].method == "cash");

  // Both units moved: T1 sells again, S2 is sold.
  CHECK(b.Rows("SELECT serial, state FROM units WHERE serial IN ('T1', 'S2') ORDER BY 1") ==
        "S2|sold|\nT1|in_stock|\n");
  // One event for both halves.
  const auto events = b.Events();
  REQUIRE(events.size() == events_before + 1);
  CHECK(events.back().type == "exchange.completed");
  const auto p = nlohmann::json::parse(events.back().payload);
  CHECK(p["exchange_id"] == done->id);
  CHECK(p["credit"] == 12900);
  CHECK(p["difference"] == 47000);
  CHECK(p["refund"]["refund_id"] == done->returned.id);
  CHECK(p["refund"]["sale_id"] == sale->id);
  CHECK(p["refund"]["lines"].size() == 1);
  CHECK(p["sale"]["id"] == cart);
  CHECK(p["sale"]["lines"][0]["serial"] == "S2");
  CHECK_FALSE(p["sale"]["lines"][0].contains("refunded"));  // the sale as completed
  // The returned sale says what of it came back.
  const auto returned = b.shop->sales.GetSale(sale->id);
  CHECK(returned->lines[0].refunded == 0);
  CHECK(returned->lines[1].refunded == 1);
  CHECK(nlohmann::json::parse(store::SaleJson(*returned))["lines"][1]["refunded"] == 1);
  CHECK(p["sale"]["receipt_no"] == done->sale.receipt_no);
  CHECK(events.back().at_ms == *done->sale.closed_at_ms);

  // The returned unit is refunded: a second exchange or refund of it is refused.
  CHECK(code(exchange({"S1"}, cart, {})) == "sale_not_open");
  CHECK(b.shop->sales.RefundUnits(sale->id, {"T1"}, "", "", manager).error().code ==
        "serial_already_refunded");
}

TEST_CASE(
    "an exchange for less pays the difference back the sale's way, and a refund of what was "
    "taken instead goes back the way the returned sale was paid",
    "[store][exchange]") {
  Books b;
  const store::Approval manager{"", "api_token"};
  const std::string first = b.Open();
  REQUIRE(b.shop->sales.Scan(first, b.Label(kScarf, "S1")));  // 59900
  REQUIRE(b.shop->sales.Scan(first, b.Label(kTote, "T1")));   // 12900
  // Card first, then cash: what the credits stand for is taken in that order.
  auto sale = b.shop->sales.Complete(first, {{"card", 60000, "POS-9"}, {"cash", 12800, ""}});
  REQUIRE(sale);

  // S1 (59900) back for a tote (12900): 47000 comes back, by card first.
  const std::string cart = b.Open();
  REQUIRE(b.shop->sales.Scan(cart, b.Label(kTote, "T2")));
  const std::string before = b.Snapshot();
  auto given = b.shop->sales.ExchangeUnits(first, {"S1"}, {}, cart, {{"cash", 100, ""}});
  REQUIRE_FALSE(given);
  CHECK(given.error().code == "payment_mismatch");  // nothing is owed
  CHECK(b.Snapshot() == before);
  auto ex = b.shop->sales.ExchangeUnits(first, {"S1"}, {}, cart, {}, "", "", manager);
  REQUIRE(ex);
  CHECK(ex->credit == 12900);
  CHECK(ex->difference == -47000);
  REQUIRE(ex->returned.payments.size() == 2);
  CHECK(ex->returned.payments[0].method == "exchange");
  CHECK(ex->returned.payments[0].amount == 12900);
  CHECK(ex->returned.payments[1].method == "card");
  CHECK(ex->returned.payments[1].amount == 47000);
  CHECK(ex->returned.payments[1].ref == "POS-9");
  REQUIRE(ex->sale.payments.size() == 1);
  CHECK(ex->sale.payments[0].method == "exchange");
  CHECK_FALSE(ex->sale.change.value_or(0) != 0);
  // The credit stood for 12900 of the card: the card has 60000 - 12900 - 47000 = 100 left.
  CHECK(b.Rows("SELECT method, amount_minor, ref FROM exchange_sources") == "card|12900|POS-9|\n");

  // T1 back: 100 by card, the rest in cash, as an accountant would: nothing paid twice.
  auto t1 = b.shop->sales.RefundUnits(first, {"T1"}, "", "", manager);
  REQUIRE(t1);
  REQUIRE(t1->payments.size() == 2);
  CHECK(t1->payments[0].method == "card");
  CHECK(t1->payments[0].amount == 100);
  CHECK(t1->payments[1].method == "cash");
  CHECK(t1->payments[1].amount == 12800);

  // T2 (bought with the credit) back: to the card the credit stood for.
  auto t2 = b.shop->sales.RefundUnits(cart, {"T2"}, "", "", manager);
  REQUIRE(t2);
  REQUIRE(t2->payments.size() == 1);
  CHECK(t2->payments[0].method == "card");
  CHECK(t2->payments[0].amount == 12900);
  CHECK(t2->payments[0].ref == "POS-9");
  // Everything came back: the card's 60000 and the cash's 12800, each once.
  CHECK(b.Rows("SELECT method, sum(amount_minor) FROM refund_payments WHERE method <> "
               "'exchange' GROUP BY method ORDER BY 1") == "card|60000|\ncash|12800|\n");
}
