// SPDX-License-Identifier: Apache-2.0
// Retention (issue 21): detail the cloud has acknowledged goes after
// ledger.retention_days, folded into day totals; nothing unacknowledged,
// open, or in an open shift ever goes, whatever the clock says; and the
// ledger itself refuses a sale's deletion outside a compaction step.
#include <catch2/catch.hpp>
#include <string>

#include "ledger_shop.hpp"
#include "store.hpp"

using namespace sa;
using namespace sa::testing;

namespace {

constexpr std::int64_t kDayMs = 86'400'000;

struct Keeper : LedgerShop {
  explicit Keeper(std::int64_t days = 90, int utc_offset_min = 0)
      : LedgerShop({.prefix = "sa-retention", .tweak = [days, utc_offset_min](store::Config& c) {
                      c.retention_days = days;
                      c.utc_offset_min = utc_offset_min;
                    }}) {}

  store::Sale Sell(const std::string& gtin, const std::string& serial,
                   const std::string& terminal = "till-1") {
    const std::string id = Open(terminal);
    REQUIRE(shop->sales.Scan(id, Label(gtin, serial)));
    auto done = shop->sales.Complete(id, {{"cash", 10000000, ""}});
    INFO((done ? "" : done.error().message));
    REQUIRE(done);
    return *done;
  }
  std::int64_t LastSeq() { return Count("SELECT coalesce(max(seq), 0) FROM outbox"); }
  // The cloud acknowledged every event so far.
  void AckAll() { REQUIRE(shop->inbox.RecordAck(LastSeq())); }
  store::Compacted Pass() {
    auto done = shop->retention.Pass();
    INFO((done ? "" : done.error().message));
    REQUIRE(done);
    return *done;
  }
  std::int64_t Sales() { return Count("SELECT count(*) FROM sales"); }
  // What a sale leaves anywhere in the ledger.
  std::string DetailOf(const std::string& sale_id) {
    return Rows("SELECT id, status, total_minor FROM sales WHERE id = '" + sale_id + "'") +
           Rows("SELECT gtin, serial, qty FROM sale_lines WHERE sale_id = '" + sale_id + "'") +
           Rows("SELECT method, amount_minor FROM payments WHERE sale_id = '" + sale_id + "'") +
           Rows("SELECT id, amount_minor FROM refunds WHERE sale_id = '" + sale_id + "'") +
           Rows("SELECT member_id FROM sale_claims WHERE sale_id = '" + sale_id + "'");
  }
};

std::string CodeOf(const Error& e) { return e.code; }

}  // namespace

TEST_CASE("retention folds acknowledged sales past the horizon into day totals and keeps the rest",
          "[store][retention]") {
  Keeper k;
  const auto a = k.Sell(kScarf, "OLD-A");  // 1,200.00 at kNow (2026-11-19)
  const auto b = k.Sell(kTote, "OLD-B");
  // A claimed sale: its claim goes with it.
  REQUIRE(k.shop->inbox.RecordClaim(a.id, "M-1001", kNow));
  REQUIRE(k.Count("SELECT count(*) FROM sale_claims") == 1);
  REQUIRE(k.shop->sales.RefundUnits(b.id, {"OLD-B"}));
  const std::string voided = k.Open();
  REQUIRE(k.shop->sales.Scan(voided, k.Label(kTote, "OLD-V")));
  REQUIRE(k.shop->sales.Void(voided, "customer left"));
  const auto scarf_before = k.shop->stock.Level(kScarf).value().on_hand;
  const auto tote_before = k.shop->stock.Level(kTote).value().on_hand;
  k.AckAll();
  const std::int64_t acked = k.LastSeq();

  k.clock.advance_ms(91 * kDayMs);
  const auto recent = k.Sell(kTote, "NEW-C");  // today's: stays, and so do its events
  const auto c = k.Pass();
  CHECK(c.sales == 3);
  CHECK(c.refunds == 1);
  CHECK(c.events == acked - 1);  // all acknowledged but the last, the sequence's high-water mark

  CHECK(k.Sales() == 1);
  CHECK(k.DetailOf(a.id).empty());
  CHECK(k.DetailOf(b.id).empty());
  CHECK(k.DetailOf(voided).empty());
  CHECK_FALSE(k.DetailOf(recent.id).empty());
  CHECK(k.Count("SELECT count(*) FROM sale_lines") == 1);
  CHECK(k.Count("SELECT count(*) FROM payments") == 1);
  CHECK(k.Count("SELECT count(*) FROM retention_gate") == 0);
  CHECK(k.Count("SELECT count(*) FROM sale_claims") == 0);
  // What an accountant adds up by hand: two sales, 1,200.00 + 129.00, two
  // units, one void, one refund of 129.00; on 2026-11-18 (kNow is 11:06 UTC).
  CHECK(k.Rows("SELECT * FROM day_totals") == "2026-11-18|CNY|2|" +
                                                  std::to_string(a.total + b.total) + "|2|1|1|" +
                                                  std::to_string(b.total) + "|\n");
  auto days = k.shop->retention.Days(10);
  REQUIRE(days);
  REQUIRE(days->size() == 1);
  CHECK(days->at(0).day == "2026-11-18");
  CHECK(days->at(0).sales == 2);
  CHECK(days->at(0).sales_minor == a.total + b.total);
  CHECK(days->at(0).refunds_minor == b.total);
  // Stock and every unit's state are as they were.
  CHECK(k.shop->stock.Level(kScarf).value().on_hand == scarf_before);
  CHECK(k.shop->stock.Level(kTote).value().on_hand == tote_before - 1);
  CHECK(k.Rows("SELECT serial, state FROM units ORDER BY serial") ==
        "NEW-C|sold|\nOLD-A|sold|\nOLD-B|in_stock|\n");
  // A compacted sale is not found, and says why when its unit is asked about.
  CHECK(CodeOf(k.shop->sales.FindByReceipt(a.receipt_no).error()) == "receipt_not_found");
  CHECK(CodeOf(k.shop->sales.FindByUnit(kScarf, "OLD-A").error()) == "sale_compacted");
  // The outbox goes on from where it was: no seq is reused.
  const std::int64_t before = k.LastSeq();
  k.Sell(kWrap, "NEW-D");
  CHECK(k.Count("SELECT min(seq) FROM outbox WHERE seq > " + std::to_string(before)) == before + 1);
  CHECK(k.Count("SELECT min(seq) FROM outbox") == acked);
  // A second pass finds nothing more to do.
  const auto again = k.Pass();
  CHECK(again.sales == 0);
  CHECK(again.events == 0);
}

TEST_CASE("a day total is the store's day, by its offset from UTC", "[store][retention]") {
  Keeper k(1, 13 * 60);  // +13:00: kNow (11:06 UTC) is 00:06 the next day there
  const auto a = k.Sell(kScarf, "TZ-1");
  k.AckAll();
  k.clock.advance_ms(2 * kDayMs);
  CHECK(k.Pass().sales == 1);
  CHECK(k.Rows("SELECT day, sales, sales_minor FROM day_totals") ==
        "2026-11-19|1|" + std::to_string(a.total) + "|\n");
}

TEST_CASE("retention keeps what is younger than retention_days", "[store][retention]") {
  Keeper k(90);
  k.Sell(kScarf, "Y1");
  k.AckAll();
  k.clock.advance_ms(89 * kDayMs);
  const auto c = k.Pass();
  CHECK(c.sales == 0);
  CHECK(c.events == 0);
  CHECK(k.Sales() == 1);
}

TEST_CASE("retention never takes what the cloud has not acknowledged, whatever the clock says",
          "[store][retention][bad_input]") {
  Keeper k(0);  // retention_days = 0: everything acknowledged may go at once
  const auto acked_sale = k.Sell(kScarf, "ACK-1");
  k.AckAll();
  k.clock.advance_ms(1000);
  const auto unacked_sale = k.Sell(kTote, "UNACK-1");
  const std::int64_t unacked_from = k.LastSeq();
  // The clock jumps five years ahead.
  k.clock.advance_ms(5 * 365 * kDayMs);
  k.Pass();
  CHECK(k.DetailOf(acked_sale.id).empty());
  CHECK_FALSE(k.DetailOf(unacked_sale.id).empty());
  CHECK(k.Count("SELECT count(*) FROM outbox WHERE seq >= " + std::to_string(unacked_from)) ==
        k.LastSeq() - unacked_from + 1);
  const std::string kept = k.DetailOf(unacked_sale.id);
  k.clock.advance_ms(50 * 365 * kDayMs);
  k.Pass();
  CHECK(k.DetailOf(unacked_sale.id) == kept);
  // Once the cloud has it, it may go.
  k.AckAll();
  k.clock.advance_ms(1);
  k.Pass();
  CHECK(k.DetailOf(unacked_sale.id).empty());
}

TEST_CASE("a sale named by an unacknowledged event stays although the clock went back",
          "[store][retention][bad_input]") {
  Keeper k(0);
  const auto a = k.Sell(kScarf, "BACK-A");
  k.AckAll();
  k.clock.advance_ms(1000 * 1000);
  k.Sell(kTote, "BACK-B");  // the first event the cloud has not got: the horizon
  // The clock is set back (a manager "fixing" it): the refund of A is
  // stamped before that first unacknowledged event, so by time alone A
  // and its refund look old enough.
  k.clock.advance_ms(-999 * 1000);
  REQUIRE(k.shop->sales.RefundUnits(a.id, {"BACK-A"}));
  k.clock.advance_ms(5 * 365 * kDayMs);
  const auto c = k.Pass();
  CHECK(c.sales == 0);
  CHECK_FALSE(k.DetailOf(a.id).empty());
  k.AckAll();
  k.clock.advance_ms(1);
  CHECK(k.Pass().sales == 2);
}

TEST_CASE("retention keeps open sales and the sales of a shift until it closes",
          "[store][retention]") {
  Keeper k(1);
  const std::string cart = k.Open();
  REQUIRE(k.shop->sales.Scan(cart, k.Label(kTote, "CART-1")));
  auto shift = k.shop->shifts.OpenShift("till-2", "ann", 0);
  REQUIRE(shift);
  const auto in_shift = k.Sell(kScarf, "SHIFT-1", "till-2");
  k.AckAll();
  k.clock.advance_ms(30 * kDayMs);
  CHECK(k.Pass().sales == 0);
  CHECK(k.shop->sales.GetSale(cart).value().status == "open");
  CHECK_FALSE(k.DetailOf(in_shift.id).empty());
  // Its Z report is there while the shift's sales are.
  REQUIRE(k.shop->shifts.CloseShift(shift->id, 0));
  REQUIRE(k.shop->shifts.ReportOf(shift->id));
  k.AckAll();
  k.clock.advance_ms(2 * kDayMs);
  CHECK(k.Pass().sales == 1);
  CHECK(k.DetailOf(in_shift.id).empty());
  CHECK(k.shop->sales.GetSale(cart).value().status == "open");
  // Its sales went: the report would be wrong, so it is refused.
  CHECK(CodeOf(k.shop->shifts.ReportOf(shift->id).error()) == "report_compacted");
}

TEST_CASE("retention keeps both sales of an exchange", "[store][retention]") {
  Keeper k(1);
  const auto old = k.Sell(kTote, "EX-1");
  const std::string cart = k.Open();
  REQUIRE(k.shop->sales.Scan(cart, k.Label(kTote, "EX-2")));
  REQUIRE(k.shop->sales.ExchangeUnits(old.id, {"EX-1"}, {}, cart, {}));
  k.AckAll();
  k.clock.advance_ms(10 * kDayMs);
  CHECK(k.Pass().sales == 0);
  CHECK_FALSE(k.DetailOf(old.id).empty());
  CHECK_FALSE(k.DetailOf(cart).empty());
}

TEST_CASE("a coupon redeemed in a compacted sale is still used", "[store][retention][coupon]") {
  Keeper k(1);
  auto coupon = DemoCoupon("KEEP-1");
  coupon.expires_at_s = kNow / 1000 + 3650 * 86400;
  const std::string id = k.Open();
  REQUIRE(k.shop->sales.Scan(id, k.Label(kScarf, "CP-A")));
  REQUIRE(k.shop->sales.Scan(id, Mint(coupon)));
  REQUIRE(k.shop->sales.Complete(id, {{"cash", 10000000, ""}}));
  k.AckAll();
  k.clock.advance_ms(10 * kDayMs);
  CHECK(k.Pass().sales == 1);
  const std::string again = k.Open();
  REQUIRE(k.shop->sales.Scan(again, k.Label(kScarf, "CP-B")));
  const auto used = k.shop->sales.Scan(again, Mint(coupon));
  REQUIRE_FALSE(used);
  CHECK(used.error().code == "coupon_used");
}

TEST_CASE("retention goes in bounded steps", "[store][retention]") {
  Keeper k(1);
  for (int i = 0; i < 25; ++i) k.Sell(kTote, "STEP-" + std::to_string(i));
  k.AckAll();
  k.clock.advance_ms(2 * kDayMs);
  auto first = k.shop->retention.Step(10);
  REQUIRE(first);
  CHECK(first->sales == 10);
  CHECK_FALSE(first->done);
  std::int64_t total = first->sales;
  while (true) {
    auto step = k.shop->retention.Step(10);
    REQUIRE(step);
    CHECK(step->sales <= 10);
    total += step->sales;
    if (step->done) break;
  }
  CHECK(total == 25);
  CHECK(k.Sales() == 0);
}

TEST_CASE("remembered API answers go by age alone", "[store][retention]") {
  Keeper k(1);
  REQUIRE(k.shop->books.RememberAnswer("key-old", "h1", {200, "{}"}));
  k.clock.advance_ms(2 * kDayMs);
  REQUIRE(k.shop->books.RememberAnswer("key-new", "h2", {200, "{}"}));
  CHECK(k.Pass().answers == 1);
  CHECK(k.Rows("SELECT key FROM idempotency") == "key-new|\n");
}

TEST_CASE("the ledger refuses to delete a sale or an unacknowledged event outside retention",
          "[store][retention][bad_input]") {
  Keeper k;
  const auto sale = k.Sell(kScarf, "GATE-1");
  auto refused = [&](const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(k.db->handle(), sql.c_str(), nullptr, nullptr, &err);
    const std::string message = err ? err : "";
    sqlite3_free(err);
    return rc != SQLITE_OK ? message : std::string();
  };
  CHECK(refused("DELETE FROM sales WHERE id = '" + sale.id + "'").find("sale_immutable") == 0);
  CHECK(
      refused("DELETE FROM sale_lines WHERE sale_id = '" + sale.id + "'").find("sale_immutable") ==
      0);
  CHECK(refused("DELETE FROM payments WHERE sale_id = '" + sale.id + "'").find("sale_immutable") ==
        0);
  CHECK(refused("DELETE FROM outbox").find("outbox_immutable") == 0);
  CHECK_FALSE(k.DetailOf(sale.id).empty());
  CHECK(k.LastSeq() > 0);
}

TEST_CASE("an old sale refunded lately, or in a shift still open, stays with its refund",
          "[store][retention]") {
  Keeper k(30);
  const auto lately = k.Sell(kTote, "LATE-1");
  const auto in_shift = k.Sell(kScarf, "LATE-2");
  k.clock.advance_ms(40 * kDayMs);
  REQUIRE(k.shop->sales.RefundUnits(lately.id, {"LATE-1"}));  // 40 days after the sale
  auto shift = k.shop->shifts.OpenShift("till-9", "", 0);
  REQUIRE(shift);
  REQUIRE(k.shop->sales.RefundUnits(in_shift.id, {"LATE-2"}, "till-9"));
  k.AckAll();
  k.clock.advance_ms(20 * kDayMs);  // the sales are 60 days old, the refunds 20
  CHECK(k.Pass().sales == 0);
  k.clock.advance_ms(20 * kDayMs);  // the refunds 40: one is in a shift still open
  CHECK(k.Pass().sales == 1);
  CHECK(k.DetailOf(lately.id).empty());
  CHECK_FALSE(k.DetailOf(in_shift.id).empty());
  REQUIRE(k.shop->shifts.CloseShift(shift->id, 0));
  k.AckAll();
  k.clock.advance_ms(31 * kDayMs);
  CHECK(k.Pass().sales == 1);
  CHECK(k.shop->shifts.ReportOf(shift->id).error().code == "report_compacted");
}

TEST_CASE("events stamped in the future do not hold back the older ones behind them",
          "[store][retention][bad_input]") {
  Keeper k(1);
  k.Sell(kTote, "FUT-1");
  k.clock.advance_ms(365 * kDayMs);  // the clock a year ahead for one sale
  k.Sell(kTote, "FUT-2");
  k.clock.advance_ms(-365 * kDayMs);
  k.Sell(kTote, "FUT-3");
  k.AckAll();
  const std::int64_t future_seq =
      k.Count("SELECT min(seq) FROM outbox WHERE at_ms > " + std::to_string(kNow + kDayMs));
  k.clock.advance_ms(2 * kDayMs);
  k.Pass();
  // Everything older than a day went, the future-stamped event excepted,
  // and the last acknowledged one (the high-water mark).
  CHECK(k.Count("SELECT count(*) FROM outbox WHERE seq < " + std::to_string(future_seq)) == 0);
  CHECK(k.Count("SELECT count(*) FROM outbox WHERE seq = " + std::to_string(future_seq)) == 1);
  CHECK(k.Count("SELECT count(*) FROM outbox") == 2);
}

TEST_CASE("a cloud that rewinds its acknowledgement keeps what it asks for again",
          "[store][retention][bad_input]") {
  Keeper k(1);
  k.Sell(kTote, "REW-1");
  const std::int64_t first = k.LastSeq();
  k.clock.advance_ms(1000);
  const auto second = k.Sell(kTote, "REW-2");
  k.AckAll();
  // A step of a pass begins with everything acknowledged...
  k.clock.advance_ms(2 * kDayMs);
  REQUIRE(k.shop->retention.Step(1));
  // ...then the cloud, restored from a backup, has only the first sale.
  REQUIRE(k.shop->inbox.RecordAck(first));
  k.Pass();
  CHECK_FALSE(k.DetailOf(second.id).empty());
  CHECK(k.Count("SELECT count(*) FROM outbox WHERE seq > " + std::to_string(first)) ==
        k.LastSeq() - first);
}

TEST_CASE("a shift the cloud never reconciled is no longer checked once compacted",
          "[store][retention][reconcile]") {
  Keeper k;
  auto shift = k.shop->shifts.OpenShift("till-1", "", 0);
  REQUIRE(shift);
  const auto a = k.Sell(kScarf, "REC-1");
  REQUIRE(k.shop->shifts.CloseShift(shift->id, 0));
  CHECK(k.shop->shifts.GetShift(shift->id)->reconciliation == "pending");
  k.AckAll();
  k.clock.advance_ms(91 * kDayMs);
  // A cloud that cannot reconcile (an older one) does not hold retention
  // back; the shift, its sales gone, is not sent to be checked any more.
  CHECK(k.Pass().sales == 1);
  CHECK(k.DetailOf(a.id).empty());
  CHECK(k.shop->shifts.GetShift(shift->id)->reconciliation == "expired");
  CHECK(k.shop->inbox.PendingReconciliations(20)->empty());
}
