// SPDX-License-Identifier: Apache-2.0
// Pricing's rules (pricing.hpp, docs/pricing.md) against what a store's
// accountant computes by hand: a table of carts, each total worked out on
// paper in the comment beside it.
#include "pricing.hpp"

#include <catch2/catch.hpp>
#include <map>

namespace {

using sa::MinorUnits;
using namespace sa::pricing;

struct Sku {
  const char* gtin;
  const char* category;
  MinorUnits price;
};

// The shop: a jacket, a shirt, a tee, socks, a plain bag and a sticker.
const std::map<char, Sku> kShop = {
    {'A', {"06901234000017", "outerwear", 59900}}, {'B', {"06901234000024", "tops", 19900}},
    {'C', {"06901234000031", "tops", 9900}},       {'D', {"06901234000048", "accessories", 2990}},
    {'E', {"06901234000055", "bags", 500}},        {'F', {"06901234000062", "misc", 10}},
};

Promotion Promo(const char* id, Kind kind, std::int64_t priority) {
  Promotion p;
  p.id = id;
  p.name = id;
  p.kind = kind;
  p.priority = priority;
  return p;
}

// The promotions the table's carts pick from.
std::map<std::string, Promotion> Promotions() {
  std::map<std::string, Promotion> out;
  auto p20 = Promo("P20", Kind::percent_off, 10);  // 20 % off outerwear
  p20.category = "outerwear";
  p20.percent_bp = 2000;
  auto p15 = Promo("P15", Kind::percent_off, 1);  // 15 % off everything
  p15.percent_bp = 1500;
  auto t10 = Promo("T10", Kind::amount_off, 5);  // 10.00 off each pair of socks
  t10.gtins = {"06901234000048"};
  t10.amount = 1000;
  auto t600 = Promo("T600", Kind::amount_off, 5);  // 6.00 off a 5.00 bag: at most its price
  t600.gtins = {"06901234000055"};
  t600.amount = 600;
  auto b21 = Promo("B21", Kind::buy_x_get_y, 5);  // tops: buy 2 get 1
  b21.category = "tops";
  b21.buy = 2;
  b21.get = 1;
  auto m300 = Promo("M300", Kind::spend_threshold, 1);  // 每满300减50
  m300.threshold = 30000;
  m300.amount = 5000;
  m300.repeat = true;
  auto m300once = Promo("M300once", Kind::spend_threshold, 1);  // 满300减50, once
  m300once.threshold = 30000;
  m300once.amount = 5000;
  auto m200ns = Promo("M200NS", Kind::spend_threshold, 2);  // 满200减30, not on discounted lines
  m200ns.threshold = 20000;
  m200ns.amount = 3000;
  m200ns.stackable = false;
  for (auto* p : {&p20, &p15, &t10, &t600, &b21, &m300, &m300once, &m200ns}) out[p->id] = *p;
  return out;
}

struct Cart {
  const char* what;
  std::vector<std::pair<char, std::int64_t>> lines;  // product, qty
  std::vector<std::string> promotions;
  MinorUnits total;
};

std::vector<Item> ItemsOf(const Cart& cart) {
  std::vector<Item> items;
  std::int64_t id = 0;
  for (const auto& [sku, qty] : cart.lines) {
    const Sku& s = kShop.at(sku);
    items.push_back(Item{++id, s.gtin, s.category, s.price, qty, false});
  }
  return items;
}

MinorUnits TotalOf(const std::vector<Priced>& priced) {
  MinorUnits total = 0;
  for (const auto& p : priced) {
    MinorUnits off = 0;
    for (const auto& d : p.discounts) off += d.amount;
    CHECK(p.net == p.gross - off);
    CHECK(p.net >= 0);
    total += p.net;
  }
  return total;
}

}  // namespace

TEST_CASE("pricing: a table of carts priced as an accountant prices them by hand") {
  const auto all = Promotions();
  const std::vector<Cart> table = {
      {"no promotion", {{'A', 1}}, {}, 59900},
      {"20% off: 599.00 - 119.80", {{'A', 1}}, {"P20"}, 47920},
      {"20% off a line of two: 1198.00 - 239.60", {{'A', 2}}, {"P20"}, 95840},
      {"10.00 off each of 3 socks: 3 x 19.90", {{'D', 3}}, {"T10"}, 5970},
      {"a promotion that covers other products", {{'E', 1}}, {"T10"}, 500},
      {"buy 2 get 1: the third tee free", {{'C', 3}}, {"B21"}, 19800},
      {"buy 2 get 1: two tees are no full group", {{'C', 2}}, {"B21"}, 19800},
      {"buy 2 get 1: the cheapest of shirt, tee, tee free", {{'B', 1}, {'C', 2}}, {"B21"}, 29800},
      {"buy 2 get 1 twice: [199 199 99] [99 99 99], a 99 free in each",
       {{'B', 2}, {'C', 4}},
       {"B21"},
       59600},
      {"每满300减50 on 599: once", {{'A', 1}}, {"M300"}, 54900},
      {"每满300减50 on 798: twice", {{'A', 1}, {'B', 1}}, {"M300"}, 69800},
      {"满300减50 without repeat on 1198: once", {{'A', 2}}, {"M300once"}, 114800},
      {"每满300减50 on 1198: three times", {{'A', 2}}, {"M300"}, 104800},
      {"298 does not reach 300", {{'B', 1}, {'C', 1}}, {"M300"}, 29800},
      {"20% off, then 满减 on 479.20: 429.20", {{'A', 1}}, {"P20", "M300"}, 42920},
      {"not stackable: the discounted jacket does not count, 199 < 200",
       {{'A', 1}, {'B', 1}},
       {"P20", "M200NS"},
       67820},
      {"not stackable: two shirts 398 reach 200, 30 off them",
       {{'A', 1}, {'B', 2}},
       {"P20", "M200NS"},
       84720},
      {"two line promotions: the higher priority alone", {{'A', 1}}, {"P20", "P15"}, 47920},
      {"15% off 199.00: 29.85", {{'B', 1}}, {"P15"}, 16915},
      {"socks: 10.00 off (priority 5) over 15% (priority 1)", {{'D', 1}}, {"P15", "T10"}, 1990},
      {"buy 2 get 1 leaves 198: no 满减", {{'C', 3}}, {"B21", "M300"}, 19800},
      {"buy 2 get 1 then 每满300减50 on 599 + 198 = 797",
       {{'A', 1}, {'C', 3}},
       {"B21", "M300"},
       69700},
      {"15% of 59.80 is 8.97, of 5.00 is 0.75", {{'D', 2}, {'E', 1}}, {"P15"}, 5508},
      {"15% of 0.10 is 1.5 fen: half up, 2", {{'F', 1}}, {"P15"}, 8},
      {"6.00 off a 5.00 bag: free, not negative", {{'E', 2}}, {"T600"}, 0},
      {"every product and promotion at once",
       {{'A', 1}, {'B', 1}, {'C', 3}, {'D', 2}, {'E', 1}},
       {"P20", "P15", "T10", "B21", "M300"},
       // A takes P20 (priority 10): 479.20. B and C take B21 (priority 5
       // over P15's 1): tops dearest first 199 99 99 99, [199 99 99] gives a
       // 99 free, one 99 is left over: B 199.00, C 198.00. D takes T10: 2 x
       // 19.90 = 39.80. E takes P15: 4.25. 479.20 + 199 + 198 + 39.80 +
       // 4.25 = 920.25 reaches 300 three times: 150 off, 770.25.
       77025},
  };
  REQUIRE(table.size() >= 20);
  for (const auto& cart : table) {
    INFO(cart.what);
    std::vector<Promotion> promos;
    for (const auto& id : cart.promotions) promos.push_back(all.at(id));
    CHECK(TotalOf(Price(ItemsOf(cart), promos, 0)) == cart.total);
  }
}

TEST_CASE("pricing: a threshold's discount is shared over its lines, to the fen") {
  // 599 + 199 + 99 = 897 reaches 300 twice: 100.00 off. In proportion:
  // 66.7781, 22.1850, 11.0367 fen-wise 6677.81, 2218.51, 1103.68 -> 6677,
  // 2218, 1103 = 9998; the two fen left go to the largest remainders (.81
  // the jacket, .68 the tee).
  const auto all = Promotions();
  const auto priced =
      Price(ItemsOf({"", {{'A', 1}, {'B', 1}, {'C', 1}}, {}, 0}), {all.at("M300")}, 0);
  REQUIRE(priced.size() == 3);
  CHECK(priced[0].net == 59900 - 6678);
  CHECK(priced[1].net == 19900 - 2218);
  CHECK(priced[2].net == 9900 - 1104);
  REQUIRE(priced[0].discounts.size() == 1);
  CHECK(priced[0].discounts[0].promotion_id == "M300");
  CHECK(priced[0].discounts[0].name == "M300");
}

TEST_CASE("pricing: a promotion runs from its start to its end, not before, not after") {
  auto p20 = Promotions().at("P20");
  p20.starts_at_ms = 1'000'000;
  p20.ends_at_ms = 2'000'000;
  const auto cart = ItemsOf({"", {{'A', 1}}, {}, 0});
  CHECK(Price(cart, {p20}, 999'999)[0].net == 59900);
  CHECK(Price(cart, {p20}, 1'000'000)[0].net == 47920);
  CHECK(Price(cart, {p20}, 1'999'999)[0].net == 47920);
  CHECK(Price(cart, {p20}, 2'000'000)[0].net == 59900);
}

TEST_CASE("pricing: a line priced by hand takes no promotion, and counts toward no threshold") {
  const auto all = Promotions();
  auto cart = ItemsOf({"", {{'A', 1}, {'B', 1}}, {}, 0});
  cart[0].unit_price = 50000;
  cart[0].priced_by_hand = true;
  const auto priced = Price(cart, {all.at("P15"), all.at("M300")}, 0);
  CHECK(priced[0].net == 50000);
  CHECK(priced[0].discounts.empty());
  CHECK(priced[1].net == 16915);  // 15 % off; 169.15 alone does not reach 300
}

TEST_CASE("pricing: every unit of a line back adds up to the line's net") {
  // 2 socks sold for 50.83: the first back 25.41, the second 25.42.
  CHECK(ShareOf(5083, 2, 0, 1) == 2541);
  CHECK(ShareOf(5083, 2, 1, 1) == 2542);
  CHECK(ShareOf(5083, 2, 0, 2) == 5083);
  MinorUnits sum = 0;
  for (std::int64_t k = 0; k < 7; ++k) sum += ShareOf(1000, 7, k, 1);
  CHECK(sum == 1000);
  CHECK(ShareOf(1'000'000'000'000 * 9999, 9999, 9998, 1) == 1'000'000'000'000);
}

TEST_CASE("pricing: a promotion with a bad field is named for it") {
  auto ok = Promotions().at("M300");
  CHECK(Problem(ok).empty());
  auto bad = [&](auto change) {
    Promotion p = ok;
    change(p);
    return Problem(p);
  };
  CHECK_THAT(bad([](Promotion& p) { p.id = ""; }), Catch::Contains("id"));
  CHECK_THAT(bad([](Promotion& p) { p.id = "has space"; }), Catch::Contains("id"));
  CHECK_THAT(bad([](Promotion& p) { p.name = ""; }), Catch::Contains("name"));
  CHECK_THAT(bad([](Promotion& p) { p.name = "\xff"; }), Catch::Contains("name"));
  CHECK_THAT(bad([](Promotion& p) { p.threshold = 0; }), Catch::Contains("threshold"));
  CHECK_THAT(bad([](Promotion& p) { p.amount = -1; }), Catch::Contains("amount"));
  CHECK_THAT(bad([](Promotion& p) { p.gtins = {"123"}; }), Catch::Contains("gtins"));
  CHECK_THAT(bad([](Promotion& p) {
               p.gtins = {"06901234000017"};
               p.category = "tops";
             }),
             Catch::Contains("gtins or a category"));
  CHECK_THAT(bad([](Promotion& p) { p.ends_at_ms = p.starts_at_ms; }),
             Catch::Contains("ends_at_ms"));
  CHECK_THAT(bad([](Promotion& p) { p.priority = 2'000'000; }), Catch::Contains("priority"));
  CHECK_THAT(bad([](Promotion& p) {
               p.kind = Kind::percent_off;
               p.percent_bp = 10001;
             }),
             Catch::Contains("percent_bp"));
  CHECK_THAT(bad([](Promotion& p) {
               p.kind = Kind::buy_x_get_y;
               p.buy = 0;
               p.get = 1;
             }),
             Catch::Contains("buy and get"));
  CHECK(KindFromName("spend_threshold") == Kind::spend_threshold);
  CHECK(!KindFromName("free_lunch"));
  CHECK(KindName(Kind::buy_x_get_y) == "buy_x_get_y");
}

TEST_CASE("pricing: coupons come last, on what the cart comes to, when it reaches their spend") {
  const auto all = Promotions();
  const Coupon fifty{"coupon:C1", "welcome", 5000, 30000};
  const auto cart = ItemsOf({"", {{'A', 1}, {'B', 1}}, {}, 0});
  // 20 % off the jacket: 479.20 + 199 = 678.20; 每满300减50 twice: 578.20;
  // the coupon's 50.00 on that: 528.20.
  CHECK(TotalOf(Price(cart, {all.at("P20"), all.at("M300")}, 0, {fifty})) == 52820);
  // 199 alone does not reach the coupon's 300.
  CHECK(TotalOf(Price(ItemsOf({"", {{'B', 1}}, {}, 0}), {}, 0, {fifty})) == 19900);
  // A coupon worth more than the cart makes it free, never negative.
  const Coupon big{"coupon:C2", "vip", 100000, 0};
  CHECK(TotalOf(Price(ItemsOf({"", {{'C', 1}}, {}, 0}), {}, 0, {big})) == 0);
  // Two coupons, in the order scanned: 599 - 50 = 549 reaches 300 again.
  const auto two = Price(ItemsOf({"", {{'A', 1}}, {}, 0}), {}, 0, {fifty, fifty});
  CHECK(TotalOf(two) == 49900);
  REQUIRE(two[0].discounts.size() == 2);
  CHECK(two[0].discounts[0].promotion_id == "coupon:C1");
  // A line priced by hand takes no coupon and counts toward none.
  auto by_hand = ItemsOf({"", {{'A', 1}}, {}, 0});
  by_hand[0].priced_by_hand = true;
  CHECK(TotalOf(Price(by_hand, {}, 0, {big})) == 59900);
}

TEST_CASE("pricing: a manager's discount on the whole sale comes after the coupons") {
  const auto all = Promotions();
  const Coupon fifty{"coupon:C1", "welcome", 5000, 30000};
  const auto cart = ItemsOf({"", {{'A', 1}, {'B', 1}}, {}, 0});
  // 20 % off the jacket, 每满300减50 twice and the coupon: 528.20 (as above);
  // 10 % off that: 52.82 -> 475.38.
  const SaleDiscount ten{"sale discount", 1000, 0};
  const auto priced = Price(cart, {all.at("P20"), all.at("M300")}, 0, {fifty}, ten);
  CHECK(TotalOf(priced) == 47538);
  // Shared over the lines as they then stand, the sale's last discount on each.
  for (const auto& line : priced) {
    REQUIRE_FALSE(line.discounts.empty());
    CHECK(line.discounts.back().promotion_id == "sale:manager");
  }
  // An amount instead: 53.20 off the same 528.20 makes it 475.00.
  CHECK(TotalOf(Price(cart, {all.at("P20"), all.at("M300")}, 0, {fifty},
                      SaleDiscount{"round", 0, 5320})) == 47500);
  // 33.33 % of 3 x 0.10 is 0.09999 -> 0.10, half up: the stickers come to 0.20.
  CHECK(TotalOf(Price(ItemsOf({"", {{'F', 3}}, {}, 0}), {}, 0, {}, SaleDiscount{"", 3333, 0})) ==
        20);
  // An amount past the sale makes it free, never below zero; 100 % too.
  CHECK(TotalOf(Price(ItemsOf({"", {{'C', 1}}, {}, 0}), {}, 0, {}, SaleDiscount{"", 0, 100000})) ==
        0);
  CHECK(TotalOf(Price(ItemsOf({"", {{'C', 2}}, {}, 0}), {}, 0, {}, SaleDiscount{"", 10000, 0})) ==
        0);
  // A line priced by hand takes it too: 599 by hand and a 99 tee, 50.00 off
  // in proportion: 599 x 5000 / 698 = 4290.8 -> 4290 (+1 by the larger
  // remainder, .83 against .17): 4291 and 709.
  auto by_hand = ItemsOf({"", {{'A', 1}, {'C', 1}}, {}, 0});
  by_hand[0].priced_by_hand = true;
  const auto shared = Price(by_hand, {}, 0, {}, SaleDiscount{"", 0, 5000});
  CHECK(TotalOf(shared) == 64800);
  CHECK(shared[0].discounts.at(0).amount == 4291);
  CHECK(shared[1].discounts.at(0).amount == 709);
}
