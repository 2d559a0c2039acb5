// SPDX-License-Identifier: Apache-2.0
// Promotions and price lists in the store (pricing.hpp, docs/pricing.md): pulled from the
// cloud as promotion changes, applied to the cart offline at every change
// and at completion, recorded per line with the promotion's id and name, in
// sale.completed, the refunds (a line's share of its net), the VAT and the
// Z report; a bad promotion is refused whole with an alert and the one in
// force stays. In process, on a fresh ledger each.
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger_shop.hpp"
#include "receipt.hpp"
#include "store.hpp"

using namespace sa;
using namespace sa::testing;
using nlohmann::json;

namespace {

struct Shop : LedgerShop {
  explicit Shop(const std::function<void(store::Config&)>& tweak = {})
      : LedgerShop({.prefix = "sa-promotions", .tweak = tweak}) {}

  // Gift wrap sold by its plain barcode (the demo store signs the rest).
  void PlainWrap() {
    REQUIRE(shop->books.ImportCatalogCsv(
        "gtin,name,price_minor,tax_rate,signed\n6950123450043,Gift wrap,500,0.06,false\n"));
  }

  // One pulled change, applied as sync applies a page.
  void Pull(const std::string& type, const json& data) { LedgerShop::Pull(type, data.dump()); }
  std::vector<store::Alert> Rejected() {
    auto all = shop->inbox.Alerts(true, 100);
    REQUIRE(all);
    std::vector<store::Alert> out;
    for (auto& a : *all) {
      if (a.code == "change_rejected") out.push_back(a);
    }
    return out;
  }
};

// 每满300减50 on everything.
json EveryThreeHundred() {
  return json{{"id", "M300"},
              {"name", "每满300减50"},
              {"kind", "spend_threshold"},
              {"threshold_minor", 30000},
              {"amount_minor", 5000},
              {"repeat", true},
              {"starts_at_ms", 0}};
}

MinorUnits Off(const store::Line& line) {
  MinorUnits off = 0;
  for (const auto& d : line.discounts) off += d.amount;
  return off;
}

}  // namespace

TEST_CASE("a spend threshold from the cloud prices the cart, the sale, its event and its refund",
          "[store][pricing]") {
  Shop s;
  s.Pull("promotion", EveryThreeHundred());
  const std::string id = s.Open();
  auto one = s.shop->sales.Scan(id, s.Label(kScarf, "P1"));
  REQUIRE(one);
  // 599 reaches 300 once: 50.00 off the scarf.
  CHECK(one->total == 54900);
  REQUIRE(one->lines[0].discounts.size() == 1);
  CHECK(one->lines[0].discounts[0].promotion_id == "M300");
  CHECK(one->lines[0].discounts[0].name == "每满300减50");
  CHECK(one->lines[0].gross == 59900);
  CHECK(one->lines[0].amount == 54900);

  // 599 + 129 = 728 reaches it twice: 100.00 shared 10000 x 599/728 =
  // 8228.02 and 10000 x 129/728 = 1771.98, rounded down 8228 + 1771, the
  // last fen to the larger remainder (the tote): 82.28 and 17.72.
  auto two = s.shop->sales.Scan(id, s.Label(kTote, "P2"));
  REQUIRE(two);
  CHECK(two->total == 62800);
  CHECK(Off(two->lines[0]) == 8228);
  CHECK(Off(two->lines[1]) == 1772);
  // VAT on what each line sells for: 516.72 x 13/113 = 59.4457 -> 59.45,
  // 111.28 x 13/113 = 12.8021 -> 12.80.
  CHECK(two->lines[0].vat == 5945);
  CHECK(two->lines[1].vat == 1280);

  // Removing the tote takes the sale back to one threshold.
  auto back = s.shop->sales.RemoveLine(id, two->lines[1].id);
  REQUIRE(back);
  CHECK(back->total == 54900);
  REQUIRE(s.shop->sales.Scan(id, s.Label(kTote, "P2")));

  auto sold = s.shop->sales.Complete(id, {{"card", 62800, "c1"}});
  REQUIRE(sold);
  CHECK(sold->total == 62800);

  // The event: each line's discounts, amount = unit_price x qty - discounts,
  // VAT on the amounts.
  const auto events = s.EventsOf("sale.completed");
  REQUIRE(events.size() == 1);
  const json ev = json::parse(events[0].payload);
  CHECK(ev["total"] == 62800);
  CHECK(ev["lines"][0]["amount"] == 51672);
  CHECK(ev["lines"][0]["discounts"] ==
        json::parse(R"([{"promotion_id":"M300","name":"每满300减50","amount":8228}])"));
  CHECK(ev["lines"][1]["amount"] == 11128);
  CHECK(ev["vat"] == json::parse(R"([{"rate_bp":1300,"amount":62800,"vat":7225}])"));

  // The receipt shows each discount under its line.
  const receipt::Shop shop;
  const std::string text = receipt::Text(*sold, shop, receipt::Width::mm80, "", receipt::Options{});
  INFO(text);
  CHECK(text.find("每满300减50") != std::string::npos);
  CHECK(text.find("-82.28") != std::string::npos);
  CHECK(text.find("-17.72") != std::string::npos);

  // The tote comes back for what it sold for.
  auto refund = s.shop->sales.RefundUnits(id, {"P2"});
  REQUIRE(refund);
  CHECK(refund->amount == 11128);
  const json refunded = json::parse(s.EventsOf("refund.completed").at(0).payload);
  CHECK(refunded["vat"] == json::parse(R"([{"rate_bp":1300,"amount":11128,"vat":1280}])"));
}

TEST_CASE("a plain item's line comes back unit by unit for its share of the line's net",
          "[store][pricing][refund]") {
  Shop s;
  s.PlainWrap();
  // 15 % off gift wrap: three for 15.00 - 2.25 = 12.75.
  s.Pull("promotion", {{"id", "W15"},
                       {"name", "Wrap 15% off"},
                       {"kind", "percent_off"},
                       {"percent_bp", 1500},
                       {"gtins", {kWrap}}});
  const std::string id = s.Open();
  for (int i = 0; i < 3; ++i) REQUIRE(s.shop->sales.Scan(id, "6950123450043"));
  auto sale = s.shop->sales.GetSale(id).value();
  REQUIRE(sale.lines.size() == 1);
  CHECK(sale.lines[0].qty == 3);
  CHECK(sale.total == 1275);
  REQUIRE(s.shop->sales.Complete(id, {{"cash", 1275, ""}}));
  // 12.75 over 3: 4.25 each, no remainder; refunded 1 then 2.
  auto first = s.shop->sales.RefundUnits(id, {}, {}, {}, std::nullopt, {{kWrap, 1}});
  REQUIRE(first);
  CHECK(first->amount == 425);
  auto rest = s.shop->sales.RefundUnits(id, {}, {}, {}, std::nullopt, {{kWrap, 2}});
  REQUIRE(rest);
  CHECK(rest->amount == 850);
  // The slip of the second says what came back and what it paid.
  const auto slip = s.shop->sales.GetRefundSlip(rest->id).value();
  REQUIRE(slip.lines.size() == 1);
  CHECK(slip.lines[0].qty == 2);
  CHECK(slip.lines[0].amount == 850);
}

TEST_CASE("an odd share: two of a line sold for 9.45 come back as 4.72, then 4.73",
          "[store][pricing][refund]") {
  Shop s;
  s.PlainWrap();
  // Two wraps at 5.5 % off: 10.00 - 0.55 = 9.45; the first back is 9.45 / 2
  // rounded down, the second what is left.
  s.Pull("promotion", {{"id", "W"},
                       {"name", "Wrap 5.5%"},
                       {"kind", "percent_off"},
                       {"percent_bp", 550},
                       {"gtins", {kWrap}}});
  const std::string id = s.Open();
  for (int i = 0; i < 2; ++i) REQUIRE(s.shop->sales.Scan(id, "6950123450043"));
  REQUIRE(s.shop->sales.Complete(id, {{"cash", 945, ""}}));
  auto first = s.shop->sales.RefundUnits(id, {}, {}, {}, std::nullopt, {{kWrap, 1}});
  REQUIRE(first);
  CHECK(first->amount == 472);
  auto second = s.shop->sales.RefundUnits(id, {}, {}, {}, std::nullopt, {{kWrap, 1}});
  REQUIRE(second);
  CHECK(second->amount == 473);
}

TEST_CASE("a promotion scheduled for 10:00 applies at 10:00, with no cloud in sight",
          "[store][pricing]") {
  Shop s;
  const std::int64_t ten = kNow + 3'600'000;
  json p = {{"id", "P20"},
            {"name", "20% off scarves"},
            {"kind", "percent_off"},
            {"percent_bp", 2000},
            {"gtins", {kScarf}},
            {"starts_at_ms", ten},
            {"ends_at_ms", ten + 3'600'000}};
  s.Pull("promotion", p);
  const std::string early = s.Open();
  CHECK(s.shop->sales.Scan(early, s.Label(kScarf, "E1"))->total == 59900);
  s.clock.set_ms(ten);
  // The cart scanned before 10:00 is priced again when it is paid.
  auto paid = s.shop->sales.Complete(early, {{"card", 47920, ""}});
  REQUIRE(paid);
  CHECK(paid->total == 47920);
  const std::string later = s.Open();
  CHECK(s.shop->sales.Scan(later, s.Label(kScarf, "E2"))->total == 47920);
  // After 11:00 the price is the list price again; paying the old total is refused.
  s.clock.set_ms(ten + 3'600'000);
  auto stale = s.shop->sales.Complete(later, {{"card", 47920, ""}});
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == "payment_mismatch");
  CHECK(s.shop->sales.GetSale(later)->status == "open");
  CHECK(s.shop->sales.Complete(later, {{"card", 59900, ""}}));
}

TEST_CASE("a bad promotion is refused whole with an alert, and the one in force stays",
          "[store][pricing][sync]") {
  Shop s;
  s.Pull("promotion", EveryThreeHundred());
  struct Bad {
    const char* what;
    json change;
  };
  json base = EveryThreeHundred();
  std::vector<Bad> bad;
  auto with = [&](const char* key, json value) {
    json c = base;
    c[key] = std::move(value);
    return c;
  };
  bad.push_back({"a number as a string", with("amount_minor", "5000")});
  bad.push_back({"a fraction", with("threshold_minor", 300.5)});
  bad.push_back({"an unknown kind", with("kind", "free_lunch")});
  bad.push_back({"a negative amount", with("amount_minor", -1)});
  bad.push_back({"no threshold", with("threshold_minor", 0)});
  bad.push_back({"repeat as a number", with("repeat", 1)});
  bad.push_back({"a bad GTIN", with("gtins", json::array({"123"}))});
  bad.push_back({"an end before its start", with("ends_at_ms", -5)});
  bad.push_back({"an empty name", with("name", "")});
  bad.push_back({"no id", [&] {
                   json c = base;
                   c.erase("id");
                   return c;
                 }()});
  for (const auto& b : bad) {
    INFO(b.what);
    const std::size_t before = s.Rejected().size();
    s.Pull("promotion", b.change);
    const auto rejected = s.Rejected();
    REQUIRE(rejected.size() == before + 1);
    CHECK(json::parse(rejected.front().detail)["reason"] == "bad_promotion");
  }
  // Still 每满300减50, as first sent.
  const std::string id = s.Open();
  CHECK(s.shop->sales.Scan(id, s.Label(kScarf, "B1"))->total == 54900);
  // Deleted: list price from the next change of the cart.
  s.Pull("promotion", {{"id", "M300"}, {"deleted", true}});
  CHECK(s.shop->sales.Scan(id, s.Label(kTote, "B2"))->total == 59900 + 12900);
}

TEST_CASE("a line priced by a manager takes no promotion, and the Z report's VAT is on net amounts",
          "[store][pricing][shift]") {
  Shop s;
  s.Pull("promotion", EveryThreeHundred());
  auto shift = s.shop->shifts.OpenShift("till-1", "", 0).value();
  const std::string id = s.Open();
  auto sale = s.shop->sales.Scan(id, s.Label(kScarf, "Z1"));
  REQUIRE(sale);
  REQUIRE(s.shop->sales.Scan(id, s.Label(kTote, "Z2")));
  // The scarf at 500.00 by hand: the tote alone (129) reaches no threshold.
  auto priced = s.shop->sales.ChangePrice(id, sale->lines[0].id, 50000, "damaged",
                                          store::Approval{"m1", "pin"});
  REQUIRE(priced);
  CHECK(priced->total == 50000 + 12900);
  CHECK(priced->lines[0].discounts.empty());
  CHECK(priced->lines[1].discounts.empty());
  REQUIRE(s.shop->sales.Complete(id, {{"cash", 62900, ""}}));

  // A second sale with the threshold: 599 -> 549.00, VAT 63.16.
  const std::string second = s.Open();
  REQUIRE(s.shop->sales.Scan(second, s.Label(kScarf, "Z3")));
  REQUIRE(s.shop->sales.Complete(second, {{"card", 54900, ""}}));
  const auto report = s.shop->shifts.ReportOf(shift.id).value();
  REQUIRE(report.by_rate.size() == 1);
  // 500.00 + 129.00 + 549.00 = 1178.00; VAT 57.52 + 14.84 + 63.16 = 135.52.
  CHECK(report.by_rate[0].sales.amount == 117800);
  CHECK(report.by_rate[0].sales.vat == 5752 + 1484 + 6316);
}

namespace {

json PriceList(const std::string& id, const std::string& group, MinorUnits scarf_price) {
  return json{{"id", id},
              {"group", group},
              {"name", id + " price"},
              {"prices", {{{"gtin", kScarf}, {"price_minor", scarf_price}}}}};
}

std::string MemberCode(const std::string& id, const std::string& group = "") {
  return codes::MakeMemberCode(id, kNow / 1000, store::DemoMemberKey(), group);
}

}  // namespace

TEST_CASE(
    "a unit sells at the tier's price for a tier member, the employee price for an "
    "employee, the member price for a member, the list price otherwise",
    "[store][pricing][price_list]") {
  Shop s;
  s.Pull("price_list", PriceList("MEMBER", "member", 55900));
  s.Pull("price_list", PriceList("GOLD", "gold", 49900));
  s.Pull("price_list", PriceList("STAFF", "employee", 29900));

  const std::string walk_in = s.Open();
  CHECK(s.shop->sales.Scan(walk_in, s.Label(kScarf, "G1"))->total == 59900);

  // Scanned first, the member bound after: the cart is priced again.
  const std::string gold = s.Open();
  REQUIRE(s.shop->sales.Scan(gold, s.Label(kScarf, "G2")));
  auto bound = s.shop->sales.Scan(gold, MemberCode("M-GOLD", "gold"));
  REQUIRE(bound);
  CHECK(bound->price_group == "gold");
  CHECK(bound->total == 49900);
  CHECK(bound->lines[0].price_list == "GOLD");
  CHECK(bound->lines[0].catalog_price == 59900);
  // The lowest of the lists the member is in: gold (499) below member (559).
  CHECK(bound->lines[0].unit_price == 49900);

  const std::string member = s.Open();
  REQUIRE(s.shop->sales.Scan(member, MemberCode("M-PLAIN")));
  CHECK(s.shop->sales.Scan(member, s.Label(kScarf, "G3"))->total == 55900);

  const std::string staff = s.Open();
  REQUIRE(s.shop->sales.Scan(staff, MemberCode("E-7", "employee")));
  auto at_staff = s.shop->sales.Scan(staff, s.Label(kScarf, "G4"));
  REQUIRE(at_staff);
  CHECK(at_staff->total == 29900);
  REQUIRE(s.shop->sales.Complete(staff, {{"wechat", 29900, "w"}}));
  const json ev = json::parse(s.EventsOf("sale.completed").at(0).payload);
  CHECK(ev["price_group"] == "employee");
  CHECK(ev["lines"][0]["unit_price"] == 29900);
  CHECK(ev["lines"][0]["price_list"] == "STAFF");
  CHECK(ev["lines"][0]["catalog_price"] == 59900);

  // The receipt names the list and the catalog's price.
  const auto sold = s.shop->sales.GetSale(staff).value();
  const std::string text =
      receipt::Text(sold, receipt::Shop{}, receipt::Width::mm80, "", receipt::Options{});
  INFO(text);
  CHECK(text.find("list price 599.00, STAFF price") != std::string::npos);

  // Promotions apply on the group's price: gold 499 reaches 300 once.
  s.Pull("promotion", EveryThreeHundred());
  CHECK(s.shop->sales.Scan(gold, s.Label(kTote, "G5"))->total == 49900 + 12900 - 10000);
}

TEST_CASE("an all-customers markdown scheduled for 10:00 applies at 10:00 offline, and ends",
          "[store][pricing][price_list]") {
  Shop s;
  const std::int64_t ten = kNow + 3'600'000;
  json list = PriceList("MARKDOWN", "all", 39900);
  list["starts_at_ms"] = ten;
  list["ends_at_ms"] = ten + 86'400'000;
  s.Pull("price_list", list);
  const std::string id = s.Open();
  CHECK(s.shop->sales.Scan(id, s.Label(kScarf, "K1"))->total == 59900);
  s.clock.set_ms(ten);
  auto paid = s.shop->sales.Complete(id, {{"card", 39900, ""}});
  REQUIRE(paid);
  CHECK(paid->lines[0].price_list == "MARKDOWN");
  s.clock.set_ms(ten + 86'400'000);
  const std::string after = s.Open();
  CHECK(s.shop->sales.Scan(after, s.Label(kScarf, "K2"))->total == 59900);
}

TEST_CASE("a bad price list is refused whole with an alert, and the list in force stays",
          "[store][pricing][price_list][sync]") {
  Shop s;
  s.Pull("price_list", PriceList("GOLD", "gold", 49900));
  const json good = PriceList("GOLD", "gold", 45900);
  auto with = [&](const char* key, json value) {
    json c = good;
    c[key] = std::move(value);
    return c;
  };
  const std::vector<std::pair<const char*, json>> bad = {
      {"a price as a string",
       with("prices", json::parse(R"([{"gtin":"06950123450005","price_minor":"45900"}])"))},
      {"a GTIN twice", with("prices", json::parse(R"([{"gtin":"06950123450005","price_minor":1},
                                                     {"gtin":"6950123450005","price_minor":2}])"))},
      {"a negative price",
       with("prices", json::parse(R"([{"gtin":"06950123450005","price_minor":-1}])"))},
      {"a group in capitals", with("group", "Gold")},
      {"no prices",
       [&] {
         json c = good;
         c.erase("prices");
         return c;
       }()},
      {"an end before its start", with("ends_at_ms", -1)},
  };
  for (const auto& [what, change] : bad) {
    INFO(what);
    const std::size_t before = s.Rejected().size();
    s.Pull("price_list", change);
    const auto rejected = s.Rejected();
    REQUIRE(rejected.size() == before + 1);
    CHECK(json::parse(rejected.front().detail)["reason"] == "bad_price_list");
  }
  const std::string id = s.Open();
  REQUIRE(s.shop->sales.Scan(id, MemberCode("M-G", "gold")));
  CHECK(s.shop->sales.Scan(id, s.Label(kScarf, "R1"))->total == 49900);
  // Replaced whole by a good one; deleted, the list price again.
  s.Pull("price_list", good);
  CHECK(s.shop->sales.Scan(id, s.Label(kTote, "R2"))->total == 45900 + 12900);
  s.Pull("price_list", {{"id", "GOLD"}, {"deleted", true}});
  CHECK(s.shop->sales.Scan(id, s.Label(kTote, "R3"))->total == 59900 + 2 * 12900);
}

namespace {

std::string ErrorOf(const Expected<store::Sale>& r) { return r ? "" : r.error().code; }

}  // namespace

TEST_CASE("a coupon scanned at the till comes off after the promotions and is redeemed once",
          "[store][pricing][coupon]") {
  Shop s;
  s.Pull("promotion", EveryThreeHundred());
  const std::string id = s.Open();
  REQUIRE(s.shop->sales.Scan(id, s.Label(kScarf, "C1")));  // 599 - 50 = 549
  auto with = s.shop->sales.Scan(id, Mint(DemoCoupon("CP-1")));
  INFO((with ? "" : with.error().message));
  REQUIRE(with);
  CHECK(with->total == 49900);  // 549 - 50
  REQUIRE(with->coupons.size() == 1);
  CHECK(with->coupons[0].applied == 5000);
  REQUIRE(with->lines[0].discounts.size() == 2);
  CHECK(with->lines[0].discounts[1].promotion_id == "coupon:CP-1");
  REQUIRE(s.shop->sales.Complete(id, {{"card", 49900, ""}}));
  const json ev = json::parse(s.EventsOf("sale.completed").at(0).payload);
  CHECK(ev["coupons"] == json::parse(R"([{"id":"CP-1","type":"welcome","amount":5000,
                                          "min_spend":30000,"applied":5000}])"));

  // The same coupon again, in this store: used.
  const std::string again = s.Open();
  REQUIRE(s.shop->sales.Scan(again, s.Label(kScarf, "C2")));
  CHECK(ErrorOf(s.shop->sales.Scan(again, Mint(DemoCoupon("CP-1")))) == "coupon_used");
  CHECK(s.shop->sales.GetSale(again)->total == 54900);  // nothing of it written
}

TEST_CASE(
    "a forged, expired, wrong-store, held or short coupon gets its own code and changes nothing",
    "[store][pricing][coupon]") {
  Shop s;
  const std::string id = s.Open();
  REQUIRE(s.shop->sales.Scan(id, s.Label(kScarf, "F1")));
  const auto rows = [&] {
    return s.Rows("SELECT * FROM sale_coupons") + s.Rows("SELECT * FROM sale_lines");
  };
  const std::string before = rows();

  CHECK(ErrorOf(s.shop->sales.Scan(id, Mint(DemoCoupon("X1"), store::DemoMemberKey()))) ==
        "coupon_forged");
  auto edited = Mint(DemoCoupon("X2"));  // 50.00 made 500.00 by hand: the signature no longer fits
  edited.replace(edited.find(":5000:"), 6, ":50000:");
  CHECK(ErrorOf(s.shop->sales.Scan(id, edited)) == "coupon_forged");
  auto expired = DemoCoupon("X3");
  expired.expires_at_s = kNow / 1000;
  CHECK(ErrorOf(s.shop->sales.Scan(id, Mint(expired))) == "coupon_expired");
  auto elsewhere = DemoCoupon("X4");
  elsewhere.store = "store-99";
  CHECK(ErrorOf(s.shop->sales.Scan(id, Mint(elsewhere))) == "coupon_wrong_store");
  auto big_spend = DemoCoupon("X5");
  big_spend.min_spend = 100000;
  CHECK(ErrorOf(s.shop->sales.Scan(id, Mint(big_spend))) == "coupon_min_spend");
  CHECK(ErrorOf(s.shop->sales.Scan(id, "SAC1:X6:welcome:5000")) == "coupon_malformed");
  CHECK(ErrorOf(s.shop->sales.Scan(id, "SAC1:X6:Welcome:5000:0:1:*:" + std::string(86, 'A'))) ==
        "coupon_malformed");
  CHECK(rows() == before);

  // Held by another open cart; and twice in this one.
  const std::string other = s.Open("till-2");
  REQUIRE(s.shop->sales.Scan(other, s.Label(kScarf, "F2")));
  REQUIRE(s.shop->sales.Scan(other, Mint(DemoCoupon("H1"))));
  CHECK(ErrorOf(s.shop->sales.Scan(id, Mint(DemoCoupon("H1")))) == "coupon_in_cart");
  CHECK(ErrorOf(s.shop->sales.Scan(other, Mint(DemoCoupon("H1")))) == "coupon_in_cart");
  // Voided, the cart lets it go.
  REQUIRE(s.shop->sales.Void(other, "customer left"));
  CHECK(s.shop->sales.Scan(id, Mint(DemoCoupon("H1")))->total == 54900);
}

TEST_CASE("the offline cap: a coupon type's redemptions the cloud has not confirmed are limited",
          "[store][pricing][coupon]") {
  Shop s([](store::Config& c) { c.coupon_offline_cap = 2; });
  for (int i = 0; i < 2; ++i) {
    const std::string id = s.Open();
    REQUIRE(s.shop->sales.Scan(id, s.Label(kScarf, "O" + std::to_string(i))));
    REQUIRE(s.shop->sales.Scan(id, Mint(DemoCoupon("W" + std::to_string(i)))));
    REQUIRE(s.shop->sales.Complete(id, {{"cash", 54900, ""}}));
  }
  const std::string third = s.Open();
  REQUIRE(s.shop->sales.Scan(third, s.Label(kScarf, "O3")));
  CHECK(ErrorOf(s.shop->sales.Scan(third, Mint(DemoCoupon("W3")))) == "coupon_offline_cap");
  // Another type has its own cap.
  CHECK(s.shop->sales.Scan(third, Mint(DemoCoupon("B1", "birthday")))->total == 54900);
  // The cloud acknowledges the first two sales' events: the cap frees up.
  REQUIRE(s.shop->inbox.RecordAck(s.EventsAfter(0).back().seq));
  CHECK(s.shop->sales.Scan(third, Mint(DemoCoupon("W3")))->total == 49900);
}

TEST_CASE("a scale's label sells its item at the label's price or weight",
          "[store][pricing][scale]") {
  // Two scale layouts: 20 + 5-digit item + 5-digit price in fen; 21 + 5-digit
  // item + weight in grams (kg, 3 decimals).
  Shop s([](store::Config& c) {
    c.parse.rcn_layouts = {codes::ParseRcnLayout("20:5:price:5:2").value(),
                           codes::ParseRcnLayout("21:5:weight:5:3").value()};
  });
  auto ean13 = [](const std::string& twelve) { return twelve + codes::Gs1CheckDigit(twelve); };
  const std::string cheese = "0" + ean13("201234500000");  // the item as the catalog lists it
  const std::string grapes = "0" + ean13("211111100000");
  // A GS1 variable measure item (indicator digit 9): its label's own weight and price.
  const std::string apples = "9" + ean13("690123400001").substr(0, 12) +
                             codes::Gs1CheckDigit("9" + ean13("690123400001").substr(0, 12));
  REQUIRE(s.shop->books.ImportCatalogCsv(
      "gtin,name,price_minor,tax_rate,signed\n" + cheese + ",Cheese,0,0.09,false\n" + grapes +
      ",Grapes per kg,3980,0.09,false\n" + apples + ",Apples per kg,1200,0.09,false\n"));
  const std::string id = s.Open();

  // 20 12345 02599: cheese at 25.99, its own line each time.
  auto one = s.shop->sales.Scan(id, ean13("201234502599"));
  INFO((one ? "" : one.error().message));
  REQUIRE(one);
  CHECK(one->lines.back().unit_price == 2599);
  CHECK(one->lines.back().gtin == cheese);
  CHECK(one->lines.back().label_priced);
  REQUIRE(s.shop->sales.Scan(id, ean13("201234501000")));
  CHECK(s.shop->sales.GetSale(id)->lines.size() == 2);

  // 21 11111 01250: 1.250 kg of grapes at 39.80 a kilogram = 49.75.
  auto weighed = s.shop->sales.Scan(id, ean13("211111101250"));
  REQUIRE(weighed);
  CHECK(weighed->lines.back().unit_price == 4975);
  CHECK(weighed->lines.back().net_weight_g == 1250);

  // A GS1 label: 0.755 kg (3103) for 9.06 (3922): 0.755 x 12.00 = 9.06.
  const std::string dl = "https://id.brand.example/01/" + apples + "?3103=000755&3922=906";
  auto labelled = s.shop->sales.Scan(id, dl);
  INFO((labelled ? "" : labelled.error().message));
  REQUIRE(labelled);
  CHECK(labelled->lines.back().unit_price == 906);
  CHECK(labelled->total == 2599 + 1000 + 4975 + 906);

  // A label whose price does not fit its weight, or in another currency.
  const std::string wrong = "https://id.brand.example/01/" + apples + "?3103=000755&3922=1906";
  auto refused = s.shop->sales.Scan(id, wrong);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "label_price_mismatch");
  const std::string dollars = "https://id.brand.example/01/" + apples + "?3103=000755&3932=840906";
  auto foreign = s.shop->sales.Scan(id, dollars);
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error().code == "label_currency");
  // A weight for a product with no price per kilogram.
  const std::string cheese_by_weight = "https://id.brand.example/01/" + cheese + "?3103=000500";
  auto unknown = s.shop->sales.Scan(id, cheese_by_weight);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == "label_price_unknown");

  // A fixed-price item's genuine label with a price added: refused, not sold at it.
  auto tampered = s.shop->sales.Scan(id, s.Label(kScarf, "T1") + "&3922=100");
  REQUIRE_FALSE(tampered);
  CHECK(tampered.error().code == "not_variable_measure");
  // The plain barcode of a weighed item is not added to a label's line.
  CHECK(s.shop->sales.Scan(id, ean13("211111101250"))->lines.size() == 5);

  // Sold: the event carries the weight; a weighed line comes back whole.
  REQUIRE(s.shop->sales.Complete(id, {{"cash", 20000, ""}}));
  const json ev = json::parse(s.EventsOf("sale.completed").at(0).payload);
  CHECK(ev["lines"][2]["net_weight_g"] == 1250);
  CHECK(ev["lines"][2]["label_priced"] == true);
  // Two bags of grapes: each comes back for its own price, the first first.
  auto back = s.shop->sales.RefundUnits(id, {}, {}, {}, std::nullopt, {{grapes, 1}});
  REQUIRE(back);
  CHECK(back->amount == 4975);
  auto second = s.shop->sales.RefundUnits(id, {}, {}, {}, std::nullopt, {{grapes, 1}});
  REQUIRE(second);
  CHECK(second->amount == 4975);
}

TEST_CASE("a promotion or price list that arrives while a cart is open prices it when it is paid",
          "[store][pricing]") {
  Shop s;
  const std::string id = s.Open();
  REQUIRE(s.shop->sales.Scan(id, s.Label(kScarf, "N1")));  // 599.00
  s.Pull("promotion", EveryThreeHundred());                // 599 -> 549 from now on
  // The card is for the old total: refused, the sale still open.
  auto old = s.shop->sales.Complete(id, {{"card", 59900, ""}});
  REQUIRE_FALSE(old);
  CHECK(old.error().code == "payment_mismatch");
  REQUIRE(s.shop->sales.Complete(id, {{"card", 54900, ""}}));

  const std::string next = s.Open();
  REQUIRE(s.shop->sales.Scan(next, s.Label(kScarf, "N2")));  // 549.00
  s.Pull("price_list", PriceList("MARK", "all", 45900));     // 459 - 50 = 409
  CHECK(s.shop->sales.Complete(next, {{"card", 54900, ""}}).error().code == "payment_mismatch");
  CHECK(s.shop->sales.Complete(next, {{"card", 40900, ""}})->total == 40900);
}

TEST_CASE("a promotion whose page rolled back (a failed commit) prices nothing after",
          "[store][pricing]") {
  Shop s;
  {
    // The daemon's writer batches a pulled page and a till's scan in one
    // transaction; its commit fails (a full disk): both are gone.
    ledger::Transaction batch(*s.db);
    s.Pull("promotion", EveryThreeHundred());
    const std::string id = s.Open();
    CHECK(s.shop->sales.Scan(id, s.Label(kScarf, "RB1"))->total == 54900);
  }
  CHECK(s.Count("SELECT count(*) FROM promotions") == 0);
  const std::string id = s.Open();
  CHECK(s.shop->sales.Scan(id, s.Label(kScarf, "RB2"))->total == 59900);
}
