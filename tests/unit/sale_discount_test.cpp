// SPDX-License-Identifier: Apache-2.0
// A manager's discount on the whole sale (整单折扣, pricing.hpp rule 5) and
// a coupon taken back out of the cart, in the store: after the promotions
// and coupons, shared over the lines, recorded with its reason and the
// manager who approved it, in sale.completed, the receipt and the refunds;
// every bad request refused with nothing written. In process, on a fresh
// ledger each.
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

struct Shop : LedgerShop {
  Shop() : LedgerShop({.prefix = "sa-sale-discount"}) {}
  // What the sale's rows are: nothing of a refused action may change them.
  std::string Rows() {
    return LedgerShop::Rows("SELECT * FROM sales") + LedgerShop::Rows("SELECT * FROM sale_lines") +
           LedgerShop::Rows("SELECT * FROM sale_line_discounts") +
           LedgerShop::Rows("SELECT * FROM sale_coupons");
  }
};

const store::Approval kManager{"m1", "pin"};

std::string ErrorOf(const Expected<store::Sale>& r) { return r ? "" : r.error().code; }

MinorUnits SaleShare(const store::Line& line) {
  MinorUnits off = 0;
  for (const auto& d : line.discounts) {
    if (d.promotion_id == "sale:manager") off += d.amount;
  }
  return off;
}

}  // namespace

TEST_CASE("a manager's 10 % off the whole sale comes after the coupon, with who and why",
          "[store][pricing][discount]") {
  Shop s;
  // 每满300减50 on everything.
  s.Pull("promotion", R"({"id":"M300","name":"每满300减50","kind":"spend_threshold",
                          "threshold_minor":30000,"amount_minor":5000,"repeat":true,
                          "starts_at_ms":0})");
  const std::string id = s.Open();
  REQUIRE(s.shop->sales.Scan(id, s.Label(kScarf, "D1")));
  REQUIRE(s.shop->sales.Scan(id, s.Label(kTote, "D2")));
  // 599 + 129 = 728, 每满300减50 twice: 628.00; the coupon: 578.00.
  auto coupon = s.shop->sales.Scan(id, Mint(DemoCoupon("DC-1")));
  REQUIRE(coupon);
  CHECK(coupon->total == 57800);

  // 10 % of 578.00 = 57.80 -> 520.20, shared over the lines in proportion
  // to what they then come to.
  auto ten = s.shop->sales.DiscountSale(id, 1000, 0, "loyal customer", kManager);
  INFO((ten ? "" : ten.error().message));
  REQUIRE(ten);
  CHECK(ten->total == 52020);
  CHECK(SaleShare(ten->lines[0]) + SaleShare(ten->lines[1]) == 5780);
  REQUIRE(ten->discount);
  CHECK(ten->discount->percent_bp == 1000);
  CHECK(ten->discount->applied == 5780);
  CHECK(ten->discount->reason == "loyal customer");
  CHECK(ten->discount->approved.manager == "m1");
  for (const auto& line : ten->lines) CHECK(line.discounts.back().promotion_id == "sale:manager");

  // An amount replaces it: 78.00 off makes it 500.00.
  auto amount = s.shop->sales.DiscountSale(id, 0, 7800, "round down", kManager);
  REQUIRE(amount);
  CHECK(amount->total == 50000);
  CHECK(amount->discount->percent_bp == 0);
  CHECK(amount->discount->amount == 7800);

  auto paid = s.shop->sales.Complete(id, {{"card", 30000, "c1"}, {"cash", 20000, ""}});
  REQUIRE(paid);
  CHECK(paid->total == 50000);

  // The event: the discount with its manager, and each line's share of it
  // among its discounts, so the cloud recomputes the total from the lines.
  const json ev = json::parse(s.EventsOf("sale.completed").at(0).payload);
  CHECK(ev["discount"] == json::parse(R"({"percent_bp":null,"amount":7800,"applied":7800,
        "reason":"round down","approved_by":{"manager":"m1","via":"pin"}})"));
  MinorUnits lines = 0;
  for (const auto& line : ev["lines"]) {
    MinorUnits off = 0;
    for (const auto& d : line["discounts"]) off += d["amount"].get<MinorUnits>();
    CHECK(line["amount"].get<MinorUnits>() ==
          line["unit_price"].get<MinorUnits>() * line["qty"].get<MinorUnits>() - off);
    lines += line["amount"].get<MinorUnits>();
  }
  CHECK(lines == 50000);

  // The receipt prints the line's share as the sale's discount, in the
  // receipt's language.
  receipt::Options zh;
  zh.locale = i18n::Locale::zh_CN;
  const std::string text = receipt::Text(*paid, receipt::Shop{}, receipt::Width::mm80, "", zh);
  CHECK(text.find("整单折扣") != std::string::npos);

  // A refund of the tote pays back what it sold for, its share of every discount included.
  auto refund = s.shop->sales.RefundUnits(id, {"D2"}, "", "", kManager);
  REQUIRE(refund);
  CHECK(refund->amount == paid->lines[1].amount);
}

TEST_CASE("a discount on the sale is refused when it cannot be given, and nothing is written",
          "[store][pricing][discount]") {
  Shop s;
  const std::string empty = s.Open();
  CHECK(ErrorOf(s.shop->sales.DiscountSale(empty, 1000, 0, "loyal customer", kManager)) ==
        "sale_empty");
  const std::string id = s.Open("till-2");
  REQUIRE(s.shop->sales.Scan(id, s.Label(kTote, "E1")));  // 129.00
  const std::string before = s.Rows();
  // Neither or both of a percent and an amount, a percent past 100 %, a
  // negative amount, no reason: each its own refusal.
  CHECK(ErrorOf(s.shop->sales.DiscountSale(id, 0, 0, "x", kManager)) == "invalid_discount");
  CHECK(ErrorOf(s.shop->sales.DiscountSale(id, 1000, 500, "x", kManager)) == "invalid_discount");
  CHECK(ErrorOf(s.shop->sales.DiscountSale(id, 10001, 0, "x", kManager)) == "invalid_discount");
  CHECK(ErrorOf(s.shop->sales.DiscountSale(id, 0, -5, "x", kManager)) == "invalid_discount");
  CHECK(ErrorOf(s.shop->sales.DiscountSale(id, 1000, 0, "", kManager)) == "invalid_reason");
  // More than the sale comes to would take it below zero.
  CHECK(ErrorOf(s.shop->sales.DiscountSale(id, 0, 12901, "complaint", kManager)) ==
        "discount_too_large");
  CHECK(ErrorOf(s.shop->sales.DiscountSale("no-such-sale", 1000, 0, "x", kManager)) ==
        "sale_not_found");
  CHECK(s.Rows() == before);
  // All of it is allowed: the sale for nothing, a manager's call.
  CHECK(s.shop->sales.DiscountSale(id, 0, 12900, "complaint", kManager)->total == 0);
  // A paid sale takes no discount.
  const std::string sold = s.Open("till-3");
  REQUIRE(s.shop->sales.Scan(sold, s.Label(kTote, "E2")));
  REQUIRE(s.shop->sales.Complete(sold, {{"cash", 12900, ""}}));
  CHECK(ErrorOf(s.shop->sales.DiscountSale(sold, 1000, 0, "late", kManager)) == "sale_not_open");
}

TEST_CASE("the cart the manager discounted changes: the discount comes off",
          "[store][pricing][discount]") {
  Shop s;
  const std::string id = s.Open();
  auto scarf = s.shop->sales.Scan(id, s.Label(kScarf, "G1"));
  REQUIRE(scarf);
  REQUIRE(s.shop->sales.DiscountSale(id, 1000, 0, "loyal customer", kManager));
  // A unit scanned in after it: off again, the total the list's.
  auto more = s.shop->sales.Scan(id, s.Label(kTote, "G2"));
  REQUIRE(more);
  CHECK_FALSE(more->discount);
  CHECK(more->total == 59900 + 12900);
  CHECK(s.Count("SELECT count(*) FROM sale_line_discounts") == 0);
  // A line taken out, and a price changed, take it off too.
  REQUIRE(s.shop->sales.DiscountSale(id, 1000, 0, "loyal customer", kManager));
  auto fewer = s.shop->sales.RemoveLine(id, more->lines[1].id);
  REQUIRE(fewer);
  CHECK_FALSE(fewer->discount);
  CHECK(fewer->total == 59900);
  REQUIRE(s.shop->sales.DiscountSale(id, 1000, 0, "loyal customer", kManager));
  auto repriced = s.shop->sales.ChangePrice(id, scarf->lines[0].id, 50000, "damaged", kManager);
  REQUIRE(repriced);
  CHECK_FALSE(repriced->discount);
  CHECK(repriced->total == 50000);
  // Taken off by hand: no manager needed, the price goes up.
  auto again = s.shop->sales.DiscountSale(id, 2000, 0, "complaint", kManager);
  REQUIRE(again);
  CHECK(again->total == 40000);  // a hand-priced line takes the sale's discount too
  auto off = s.shop->sales.RemoveDiscount(id);
  REQUIRE(off);
  CHECK_FALSE(off->discount);
  CHECK(off->total == 50000);
}

TEST_CASE("a coupon taken back out of the cart: its discount goes, it can be used again",
          "[store][pricing][coupon]") {
  Shop s;
  const std::string id = s.Open();
  REQUIRE(s.shop->sales.Scan(id, s.Label(kScarf, "K1")));
  auto with = s.shop->sales.Scan(id, Mint(DemoCoupon("KC-1")));
  REQUIRE(with);
  CHECK(with->total == 54900);
  CHECK(ErrorOf(s.shop->sales.RemoveCoupon(id, "KC-2")) == "coupon_not_in_sale");
  auto without = s.shop->sales.RemoveCoupon(id, "KC-1");
  REQUIRE(without);
  CHECK(without->total == 59900);
  CHECK(without->coupons.empty());
  CHECK(s.Count("SELECT count(*) FROM sale_line_discounts") == 0);
  // Free again: another cart takes it, and it is redeemed there.
  const std::string other = s.Open("till-2");
  REQUIRE(s.shop->sales.Scan(other, s.Label(kScarf, "K2")));
  CHECK(s.shop->sales.Scan(other, Mint(DemoCoupon("KC-1")))->total == 54900);
}

TEST_CASE("a coupon's minimum spend counts only the lines it can take off",
          "[store][pricing][coupon]") {
  Shop s;
  const std::string id = s.Open();
  auto scarf = s.shop->sales.Scan(id, s.Label(kScarf, "L1"));
  REQUIRE(scarf);
  REQUIRE(s.shop->sales.Scan(id, s.Label(kTote, "L2")));
  // The scarf at 500.00 by a manager: pricing gives a coupon nothing of a
  // hand-priced line, so the tote's 129.00 alone is short of 300.00.
  REQUIRE(s.shop->sales.ChangePrice(id, scarf->lines[0].id, 50000, "damaged", kManager));
  CHECK(ErrorOf(s.shop->sales.Scan(id, Mint(DemoCoupon("LC-1")))) == "coupon_min_spend");
}
