// SPDX-License-Identifier: Apache-2.0
// Cashiers, shifts and the X/Z report on one ledger (issue 9): the report's
// arithmetic (sales by method, refunds, voids, change, expected cash,
// variance), what counts in a shift, the shift.closed event committed with
// the close, PINs kept only as hashes, and every bad input refused without
// a change.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "ledger_shop.hpp"
#include "receipt.hpp"
#include "store.hpp"

using namespace sa;
using namespace sa::testing;
using nlohmann::json;

namespace {

struct Till : LedgerShop {
  Till() : LedgerShop({.prefix = "sa-shift"}) {}

  store::Sale Sell(const std::string& terminal, const std::string& gtin, const std::string& serial,
                   std::vector<store::Payment> pays) {
    const std::string id = Open(terminal);
    REQUIRE(shop->sales.Scan(id, Label(gtin, serial)));
    auto done = shop->sales.Complete(id, pays);
    REQUIRE(done);
    return *done;
  }
  std::string Snapshot() {
    return Rows("SELECT * FROM shifts ORDER BY id") + Rows("SELECT * FROM cashiers ORDER BY id") +
           Rows("SELECT seq, type FROM outbox ORDER BY seq");
  }
};

const store::MethodTotals* Method(const store::ShiftReport& r, const std::string& m) {
  for (const auto& t : r.by_method) {
    if (t.method == m) return &t;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the Z report adds up sales by method refunds voids change and variance",
          "[store][shift]") {
  Till t;
  // Before the shift and on another terminal: not in the report.
  t.Sell("till-1", kTote, "EARLY", {{"card", 12900, ""}});
  auto shift = t.shop->shifts.OpenShift("till-1", "ann", 20000);
  REQUIRE(shift);
  CHECK(shift->status == "open");
  CHECK(shift->opening_float == 20000);
  t.Sell("till-2", kTote, "ELSEWHERE", {{"cash", 12900, ""}});

  const auto a = t.Sell("till-1", kScarf, "A1", {{"cash", 60000, ""}});  // change 100
  t.Sell("till-1", kWrap, "B1", {{"cash", 1000, ""}});                   // change 500
  t.Sell("till-1", kTote, "C1", {{"card", 12900, "t1"}});
  const std::string voided = t.shop->sales.OpenSale("till-1").value().id;
  REQUIRE(t.shop->sales.Scan(voided, t.Label(kTote, "D1")));
  REQUIRE(t.shop->sales.Void(voided, "customer left"));
  REQUIRE(t.shop->sales.RefundUnits(a.id, {"A1"}));  // 59900 back in cash
  CHECK(a.shift_id == shift->id);

  auto x = t.shop->shifts.ReportOf(shift->id);  // the X report while open
  REQUIRE(x);
  CHECK_FALSE(x->closed_at_ms);
  CHECK_FALSE(x->variance);
  CHECK(x->expected_cash == 20500);

  t.clock.advance_ms(1000);
  auto closed = t.shop->shifts.CloseShift(shift->id, 20400);
  REQUIRE(closed);
  const store::ShiftReport& r = closed->report;
  CHECK(closed->shift.status == "closed");
  CHECK(closed->shift.counted_cash == 20400);
  CHECK(r.sales_count == 3);
  CHECK(r.sales_total == 59900 + 500 + 12900);
  CHECK(r.refunds_count == 1);
  CHECK(r.refunds_total == 59900);
  CHECK(r.voids_count == 1);
  REQUIRE(r.by_method.size() == 2);
  const auto* cash = Method(r, "cash");
  const auto* card = Method(r, "card");
  REQUIRE(cash);
  REQUIRE(card);
  CHECK(cash->sales == 61000 - 600);  // what the drawer kept
  CHECK(cash->refunds == 59900);
  CHECK(cash->net == 500);
  CHECK(card->sales == 12900);
  CHECK(card->refunds == 0);
  CHECK(card->net == 12900);
  CHECK(r.opening_float == 20000);
  CHECK(r.cash_sales == 61000);
  CHECK(r.change_given == 600);
  CHECK(r.cash_refunds == 59900);
  CHECK(r.expected_cash == 20000 + 61000 - 600 - 59900);
  CHECK(r.counted_cash == 20400);
  CHECK(r.variance == -100);
  CHECK(r.currency == "CNY");

  // shift.closed carries the report and committed with the close.
  auto events = t.shop->books.OutboxAfter(0, 100).value();
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().type == "shift.closed");
  const json payload = json::parse(events.back().payload);
  CHECK(payload == json::parse(store::ShiftReportJson(r)));
  CHECK(payload["cash"]["variance"] == -100);
  CHECK(payload["sales"]["count"] == 3);
  CHECK(r.pending_events == static_cast<std::int64_t>(events.size()) - 1);

  // VAT by rate, each line's rounded as on its receipt: at 13 % the scarf
  // (599.00 -> 68.91) and the tote (129.00 -> 14.84), the scarf refunded;
  // at 6 % the gift wrap (5.00 -> 0.28).
  REQUIRE(r.by_rate.size() == 2);
  CHECK(r.by_rate[0].rate_bp == 600);
  CHECK(r.by_rate[0].sales.amount == 500);
  CHECK(r.by_rate[0].sales.vat == 28);
  CHECK(r.by_rate[0].refunds.vat == 0);
  CHECK(r.by_rate[0].net_vat == 28);
  CHECK(r.by_rate[1].rate_bp == 1300);
  CHECK(r.by_rate[1].sales.amount == 59900 + 12900);
  CHECK(r.by_rate[1].sales.vat == 6891 + 1484);
  CHECK(r.by_rate[1].refunds.amount == 59900);
  CHECK(r.by_rate[1].refunds.vat == 6891);
  CHECK(r.by_rate[1].net_vat == 1484);
  CHECK(payload["vat_by_rate"][1] == json{{"rate_bp", 1300},
                                          {"sales", {{"amount", 72800}, {"vat", 8375}}},
                                          {"refunds", {{"amount", 59900}, {"vat", 6891}}},
                                          {"net_vat", 1484}});
  const std::string z = receipt::ShiftReportText(r, receipt::Width::mm58, {});
  INFO(z);
  CHECK(z.find("\nVAT (sales / refunds / net)\n") != std::string::npos);
  CHECK(z.find("\n  13%      83.75 / 68.91 / 14.84\n") != std::string::npos);
  CHECK(z.find("\n  6%          0.28 / 0.00 / 0.28\n") != std::string::npos);
}

TEST_CASE("a refund is paid back by the sale's own methods in payment order", "[store][shift]") {
  Till t;
  auto shift = t.shop->shifts.OpenShift("till-1", "", 0).value();
  const auto s =
      t.Sell("till-1", kTote, "M1", {{"card", 10000, ""}, {"cash", 5000, ""}});  // change 2100
  REQUIRE(s.change == 2100);
  REQUIRE(t.shop->sales.RefundUnits(s.id, {"M1"}));
  auto r = t.shop->shifts.ReportOf(shift.id).value();
  CHECK(Method(r, "card")->refunds == 10000);
  CHECK(Method(r, "cash")->refunds == 2900);
  CHECK(Method(r, "cash")->sales == 2900);
  CHECK(r.expected_cash == 5000 - 2100 - 2900);
}

TEST_CASE("a refund counts in the shift of the terminal that makes it", "[store][shift]") {
  Till t;
  const auto s = t.Sell("till-1", kTote, "R1", {{"cash", 12900, ""}});  // no shift open then
  auto shift2 = t.shop->shifts.OpenShift("till-2", "", 100).value();
  REQUIRE(t.shop->sales.RefundUnits(s.id, {"R1"}, "till-2", "bob"));
  auto r = t.shop->shifts.ReportOf(shift2.id).value();
  CHECK(r.refunds_count == 1);
  CHECK(r.cash_refunds == 12900);
  CHECK(r.expected_cash ==
        100 - 12900);  // the drawer paid out more than it held: a variance to explain
  CHECK(t.Rows("SELECT cashier FROM refunds") == "bob|\n");
}

TEST_CASE("shift refusals change nothing", "[store][shift][bad_input]") {
  Till t;
  auto open = t.shop->shifts.OpenShift("till-1", "ann", 1000).value();
  REQUIRE(t.shop->shifts.CloseShift(open.id, 1000));
  auto again = t.shop->shifts.OpenShift("till-1", "ann", 1000).value();
  const std::string before = t.Snapshot();
  auto code = [](const auto& r) {
    REQUIRE_FALSE(r.has_value());
    return r.error().code;
  };
  CHECK(code(t.shop->shifts.OpenShift("till-1", "ann", 0)) == "shift_already_open");
  CHECK(code(t.shop->shifts.OpenShift("", "ann", 0)) == "invalid_terminal");
  CHECK(code(t.shop->shifts.OpenShift("till 1", "ann", 0)) == "invalid_terminal");
  CHECK(code(t.shop->shifts.OpenShift("till-3", "ann", -1)) == "invalid_amount");
  CHECK(code(t.shop->shifts.CloseShift("nope", 0)) == "shift_not_found");
  CHECK(code(t.shop->shifts.CloseShift(open.id, 0)) == "shift_not_open");
  CHECK(code(t.shop->shifts.CloseShift(again.id, -5)) == "invalid_amount");
  CHECK(code(t.shop->shifts.ReportOf("nope")) == "shift_not_found");
  CHECK(code(t.shop->shifts.GetShift("nope")) == "shift_not_found");
  CHECK(t.Snapshot() == before);
  CHECK(t.shop->shifts.ListShifts("till-1", "open", 10).value().size() == 1);
  CHECK(t.shop->shifts.ListShifts("", "", 10).value().size() == 2);
}

TEST_CASE("cashiers: PINs are kept as salted hashes and checked", "[store][cashier]") {
  Till t;
  REQUIRE(t.shop->shifts.AddCashier("ann", "Ann Lee", "cashier", crypto::HashPin("482913", 1000)));
  REQUIRE(t.shop->shifts.AddCashier("max", "Max", "manager", crypto::HashPin("482913", 1000)));
  // The same PIN, different salts: different hashes, and never the PIN itself.
  const std::string rows = t.Rows("SELECT * FROM cashiers");
  CHECK(rows.find("482913") == std::string::npos);
  CHECK(t.Rows("SELECT count(DISTINCT pin_hash), count(DISTINCT pin_salt) FROM cashiers") ==
        "2|2|\n");

  auto ok = t.shop->shifts.VerifyCashierPin("ann", "482913");
  REQUIRE(ok);
  CHECK(ok->name == "Ann Lee");
  CHECK(ok->role == "cashier");
  CHECK(t.shop->shifts.VerifyCashierPin("ann", "482914").error().code == "invalid_login");
  CHECK(t.shop->shifts.VerifyCashierPin("nobody", "482913").error().code == "invalid_login");

  REQUIRE(t.shop->shifts.SetCashierPin("ann", crypto::HashPin("1111", 1000)));
  CHECK_FALSE(t.shop->shifts.VerifyCashierPin("ann", "482913"));
  CHECK(t.shop->shifts.VerifyCashierPin("ann", "1111"));
  REQUIRE(t.shop->shifts.DeactivateCashier("ann"));
  CHECK(t.shop->shifts.VerifyCashierPin("ann", "1111").error().code == "invalid_login");
  auto list = t.shop->shifts.Cashiers().value();
  REQUIRE(list.size() == 2);
  CHECK_FALSE(list[0].active);
  CHECK(list[1].active);
  // A new PIN gives the account back.
  REQUIRE(t.shop->shifts.SetCashierPin("ann", crypto::HashPin("2222", 1000)));
  CHECK(t.shop->shifts.VerifyCashierPin("ann", "2222"));
}

TEST_CASE("cashier refusals change nothing", "[store][cashier][bad_input]") {
  Till t;
  const auto pin = crypto::HashPin("1234", 10);
  REQUIRE(t.shop->shifts.AddCashier("ann", "Ann", "cashier", pin));
  const std::string before = t.Snapshot();
  auto code = [](const auto& r) {
    REQUIRE_FALSE(r.has_value());
    return r.error().code;
  };
  CHECK(code(t.shop->shifts.AddCashier("ann", "Ann", "cashier", pin)) == "cashier_exists");
  CHECK(code(t.shop->shifts.AddCashier("", "Ann", "cashier", pin)) == "invalid_cashier_id");
  CHECK(code(t.shop->shifts.AddCashier("a b", "Ann", "cashier", pin)) == "invalid_cashier_id");
  CHECK(code(t.shop->shifts.AddCashier(std::string(33, 'a'), "Ann", "cashier", pin)) ==
        "invalid_cashier_id");
  CHECK(code(t.shop->shifts.AddCashier("bo", "", "cashier", pin)) == "invalid_name");
  CHECK(code(t.shop->shifts.AddCashier("bo", "x\ny", "cashier", pin)) == "invalid_name");
  CHECK(code(t.shop->shifts.AddCashier("bo", "\xff", "cashier", pin)) == "invalid_name");
  CHECK(code(t.shop->shifts.AddCashier("bo", "Bo", "owner", pin)) == "invalid_role");
  CHECK(code(t.shop->shifts.AddCashier("bo", "Bo", "cashier", crypto::PinHash{})) == "invalid_pin");
  CHECK(code(t.shop->shifts.SetCashierPin("nobody", pin)) == "cashier_not_found");
  CHECK(code(t.shop->shifts.DeactivateCashier("nobody")) == "cashier_not_found");
  CHECK(t.Snapshot() == before);
  CHECK(store::Shifts::IsValidPin("1234"));
  CHECK(store::Shifts::IsValidPin("12345678"));
  CHECK_FALSE(store::Shifts::IsValidPin("123"));
  CHECK_FALSE(store::Shifts::IsValidPin("123456789"));
  CHECK_FALSE(store::Shifts::IsValidPin("12a4"));
  CHECK_FALSE(store::Shifts::IsValidPin(""));
}

TEST_CASE("a cashier's sale records the cashier", "[store][cashier]") {
  Till t;
  auto sale = t.shop->sales.OpenSale("till-1", "ann");
  REQUIRE(sale);
  CHECK(sale->cashier == "ann");
  CHECK(json::parse(store::SaleJson(*sale))["cashier"] == "ann");
  CHECK(
      json::parse(store::SaleJson(t.shop->sales.OpenSale("till-1").value()))["cashier"].is_null());
}

TEST_CASE(
    "the drawer opened without a sale: recorded with its event in one step, counted in "
    "its terminal's open shift only",
    "[store][shift][drawer]") {
  Till t;
  const store::Approval mia{"mia", "pin"};
  // No shift open: recorded, in no shift.
  auto before_shift = t.shop->shifts.OpenDrawer("till-1", "ann", "float count", mia);
  REQUIRE(before_shift);
  CHECK(before_shift->shift_id.empty());
  auto shift = t.shop->shifts.OpenShift("till-1", "ann", 0);
  REQUIRE(shift);
  auto d = t.shop->shifts.OpenDrawer("till-1", "ann", "change for a 100", mia);
  REQUIRE(d);
  CHECK(d->shift_id == shift->id);
  REQUIRE(t.shop->shifts.OpenDrawer("till-2", "bob", "elsewhere", mia));
  CHECK(t.shop->shifts.ReportOf(shift->id)->no_sale_count == 1);
  auto second = t.db->Cached(
      "SELECT payload FROM outbox WHERE type = 'drawer.opened' ORDER BY seq LIMIT 1 OFFSET 1");
  REQUIRE(second.Step());
  const json event = json::parse(second.Text(0));
  CHECK(event == json::parse(store::DrawerOpenJson(*d)));
  CHECK(event["approved_by"] == json{{"manager", "mia"}, {"via", "pin"}});

  const std::string snapshot = t.Rows("SELECT * FROM drawer_opens ORDER BY id") + t.Snapshot();
  CHECK(t.shop->shifts.OpenDrawer("till-1", "ann", "", mia).error().code == "invalid_reason");
  CHECK(t.shop->shifts.OpenDrawer("till-1", "ann", std::string(201, 'x'), mia).error().code ==
        "invalid_reason");
  CHECK(t.shop->shifts.OpenDrawer("till-1", "ann", "bad\xff", mia).error().code ==
        "invalid_reason");
  CHECK(t.shop->shifts.OpenDrawer("till 1", "ann", "x", mia).error().code == "invalid_terminal");
  CHECK(t.Rows("SELECT * FROM drawer_opens ORDER BY id") + t.Snapshot() == snapshot);
  auto closed = t.shop->shifts.CloseShift(shift->id, 0, "ann");
  REQUIRE(closed);
  CHECK(closed->report.no_sale_count == 1);
  CHECK(json::parse(store::ShiftReportJson(closed->report))["no_sale"]["count"] == 1);
}
