// SPDX-License-Identifier: Apache-2.0
// The promotions a cart takes: which promotion discounts which line, and by
// how much, in integer minor units, the same on every device, offline, and
// in the cloud that recomputes the sale. docs/pricing.md writes the rules
// down; in short:
//
//  1. Only promotions running at the sale's time take part (starts_at_ms
//     inclusive, ends_at_ms exclusive). A line priced by hand (a manager's
//     price change) takes none.
//  2. Line promotions (percent_off, amount_off, buy_x_get_y): a line takes
//     at most one, the one covering it with the highest priority (a tie:
//     the smaller id).
//       percent_off  the line's amount x percent, to the fen, half up;
//       amount_off   `amount` off each unit, at most the unit's price;
//       buy_x_get_y  the units of every line that took it, dearest first
//                    (a tie: the earlier line), in groups of buy + get:
//                    the last `get` of each full group are free.
//  3. Spend thresholds (满减) then, highest priority first (a tie: the
//     smaller id), each on the lines it covers that no earlier threshold
//     took, less what line promotions took off them (a threshold that is
//     not `stackable` counts only lines no line promotion discounted). When
//     those lines reach `threshold`: `amount` off, or with `repeat` `amount`
//     for every full `threshold` (每满300减50), at most the lines' amount.
//     The discount is shared over the lines in proportion to their amounts,
//     rounded down, the fen left over one each to the lines with the
//     largest remainders (a tie: the earlier line).
//  4. Coupons last, in the order they were scanned: each takes `amount` off
//     the lines not priced by hand, at most what they come to, when they
//     come to `min_spend` or more; shared as a threshold's discount is.
//  5. A manager's discount on the whole sale (整单折扣) after the coupons:
//     `percent_bp` of what every line then comes to, half up, or `amount`,
//     at most that; on every line, one priced by hand too (the manager
//     discounts the sale as it stands); shared as a threshold's discount is.
//  6. A line's net is its amount less its discounts: never below zero.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base.hpp"

namespace sa::pricing {

enum class Kind { percent_off, amount_off, buy_x_get_y, spend_threshold };

// "percent_off", ...; nothing for another word.
std::optional<Kind> KindFromName(std::string_view name);
std::string_view KindName(Kind kind);

struct Promotion {
  std::string id;    // 1-64 of A-Z a-z 0-9 _ . -
  std::string name;  // what the receipt prints: 1-100 bytes of UTF-8
  Kind kind = Kind::percent_off;
  // What it covers: these GTIN-14s, or a category, or (neither) everything.
  std::vector<std::string> gtins;
  std::string category;
  int percent_bp = 0;        // percent_off: 1..10000 (2000 = 20 % off)
  MinorUnits amount = 0;     // amount_off: off each unit; spend_threshold: off the lines
  MinorUnits threshold = 0;  // spend_threshold: what the lines must reach
  bool repeat = false;       // spend_threshold: `amount` for every full `threshold`
  std::int64_t buy = 0;      // buy_x_get_y: 1..99
  std::int64_t get = 0;      // buy_x_get_y: 1..99
  std::int64_t priority = 0;
  bool stackable = true;  // spend_threshold: also on lines a line promotion discounted
  std::int64_t starts_at_ms = 0;
  std::optional<std::int64_t> ends_at_ms;
};

// What is wrong with a promotion as the cloud sent it, or "" when nothing.
std::string Problem(const Promotion& promotion);
bool RunningAt(const Promotion& promotion, std::int64_t now_ms);

// A line of the cart as pricing sees it.
struct Item {
  std::int64_t line_id = 0;
  std::string gtin;
  std::string category;
  MinorUnits unit_price = 0;  // >= 0
  std::int64_t qty = 0;       // >= 1
  bool priced_by_hand = false;
};

bool Covers(const Promotion& promotion, const Item& item);

struct Discount {
  std::string promotion_id;
  std::string name;
  MinorUnits amount = 0;  // > 0
};

struct Priced {
  std::int64_t line_id = 0;
  MinorUnits gross = 0;  // unit_price x qty
  std::vector<Discount> discounts;
  MinorUnits net = 0;  // gross less the discounts
};

// ---- price lists -----------------------------------------------------------
// Prices for a customer group, pulled from the cloud, in force from
// starts_at_ms to ends_at_ms (exclusive). A line's unit price is the lowest
// of its catalog price and the prices in force for the sale's groups: "all"
// (every customer: a markdown), "member" (any member bound to the sale), and
// the bound member's own group (a tier, "employee") that their member code
// names. Promotions then apply on that price.
struct PriceList {
  std::string id;     // 1-64 of A-Z a-z 0-9 _ . -
  std::string group;  // all | member | a group (1-32 of a-z 0-9 - _)
  std::string name;   // 1-100 bytes of UTF-8
  std::int64_t starts_at_ms = 0;
  std::optional<std::int64_t> ends_at_ms;
  struct Price {
    std::string gtin;  // GTIN-14
    MinorUnits price = 0;
  };
  std::vector<Price> prices;  // each GTIN once, at most 1000000
};

// What is wrong with a price list as the cloud sent it, or "" when nothing.
std::string Problem(const PriceList& list);

// A coupon the CRM issued, scanned into the cart (its checks are the
// store's): `amount` off a cart of at least `min_spend`. Its discounts carry
// `discount_id` ("coupon:" and its id) where a promotion's carry the
// promotion's id.
struct Coupon {
  std::string discount_id;
  std::string name;
  MinorUnits amount = 0;
  MinorUnits min_spend = 0;
};

// A manager's discount on the whole sale: `percent_bp` (1..10000) or
// `amount` (>= 1), one of them. Its discounts carry `discount_id`
// "sale:manager" (a ':' no promotion's id may have, as a coupon's "coupon:").
struct SaleDiscount {
  std::string name;
  int percent_bp = 0;
  MinorUnits amount = 0;
};
inline constexpr std::string_view kSaleDiscountId = "sale:manager";

// The cart's lines, in `items` order, priced with the promotions running at
// `now_ms`, then the coupons, then the sale's discount. Bounded inputs
// (prices to 10^12, quantities to 9999, 500 lines) never overflow.
std::vector<Priced> Price(const std::vector<Item>& items, const std::vector<Promotion>& promotions,
                          std::int64_t now_ms, const std::vector<Coupon>& coupons = {},
                          const std::optional<SaleDiscount>& sale_discount = std::nullopt);

// What `count` units of a line of `qty` units sold for `net` in all bring
// back when `from` of them came back before: the line's net shared by units
// rounded down, so that every unit of the line back adds up to `net`.
MinorUnits ShareOf(MinorUnits net, std::int64_t qty, std::int64_t from, std::int64_t count);

}  // namespace sa::pricing
