// SPDX-License-Identifier: Apache-2.0
// The rules of pricing.hpp, step by step.
#include "pricing.hpp"

#include <algorithm>
#include <numeric>

namespace sa::pricing {
namespace {

using Wide = __int128;

constexpr MinorUnits kMaxPrice = 1'000'000'000'000;  // the catalog's cap

// Higher priority first, then the smaller id: the one order every rule uses.
bool Before(const Promotion& a, const Promotion& b) {
  if (a.priority != b.priority) return a.priority > b.priority;
  return a.id < b.id;
}

bool LinePromotion(Kind kind) { return kind != Kind::spend_threshold; }

bool Gtin14(std::string_view g) {
  return g.size() == 14 && g.find_first_not_of("0123456789") == std::string_view::npos;
}

// The free units of one buy_x_get_y over the lines that took it: each
// line's share of them, in money.
void GiveFreeUnits(const Promotion& promo, const std::vector<Item>& items,
                   const std::vector<std::size_t>& lines, std::vector<MinorUnits>& off) {
  struct Unit {
    MinorUnits price;
    std::size_t line;
  };
  std::vector<Unit> units;
  for (std::size_t i : lines) {
    for (std::int64_t n = 0; n < items[i].qty; ++n) units.push_back(Unit{items[i].unit_price, i});
  }
  // Dearest first; a tie keeps the earlier line first (stable, lines in order).
  std::stable_sort(units.begin(), units.end(),
                   [](const Unit& a, const Unit& b) { return a.price > b.price; });
  const auto group = static_cast<std::size_t>(promo.buy + promo.get);
  for (std::size_t start = 0; start + group <= units.size(); start += group) {
    for (std::size_t k = start + static_cast<std::size_t>(promo.buy); k < start + group; ++k) {
      off[units[k].line] += units[k].price;  // bounded: at most the line's gross
    }
  }
}

// `total` (at most `base`, the lines' nets added up) off `lines` in
// proportion to their nets, rounded down; the fen left over one each to the
// largest remainders (a tie: the earlier line).
void Share(std::vector<Priced>& out, const std::vector<std::size_t>& lines, MinorUnits base,
           MinorUnits total, const std::string& id, const std::string& name) {
  if (total <= 0) return;
  std::vector<MinorUnits> share(lines.size());
  std::vector<MinorUnits> rest(lines.size());
  MinorUnits given = 0;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    const Wide part = Wide{total} * out[lines[k]].net;
    share[k] = static_cast<MinorUnits>(part / base);
    rest[k] = static_cast<MinorUnits>(part % base);
    given += share[k];
  }
  std::vector<std::size_t> order(lines.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&rest](std::size_t a, std::size_t b) { return rest[a] > rest[b]; });
  for (std::size_t k = 0; given < total; ++k, ++given) ++share[order[k]];
  for (std::size_t k = 0; k < lines.size(); ++k) {
    Priced& line = out[lines[k]];
    const MinorUnits amount = std::min(share[k], line.net);  // never below zero
    if (amount <= 0) continue;
    line.discounts.push_back(Discount{id, name, amount});
    line.net -= amount;
  }
}

}  // namespace

std::optional<Kind> KindFromName(std::string_view name) {
  if (name == "percent_off") return Kind::percent_off;
  if (name == "amount_off") return Kind::amount_off;
  if (name == "buy_x_get_y") return Kind::buy_x_get_y;
  if (name == "spend_threshold") return Kind::spend_threshold;
  return std::nullopt;
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::percent_off: return "percent_off";
    case Kind::amount_off: return "amount_off";
    case Kind::buy_x_get_y: return "buy_x_get_y";
    case Kind::spend_threshold: return "spend_threshold";
  }
  return "percent_off";
}

std::string Problem(const Promotion& p) {
  if (!IsValidId(p.id)) return "id must be 1-64 of A-Z a-z 0-9 _ . -";
  if (p.name.empty() || p.name.size() > 100 || !ValidUtf8(p.name)) {
    return "name must be 1-100 bytes of UTF-8";
  }
  if (p.gtins.size() > 1000) return "gtins lists at most 1000 products";
  for (const auto& g : p.gtins) {
    if (!Gtin14(g)) return "each of gtins must be a GTIN of 14 digits";
  }
  if (!p.gtins.empty() && !p.category.empty()) return "a promotion covers gtins or a category";
  if (p.category.size() > 64 || !ValidUtf8(p.category)) {
    return "category must be at most 64 bytes of UTF-8";
  }
  if (p.priority < -1'000'000 || p.priority > 1'000'000) {
    return "priority must be -1000000..1000000";
  }
  if (p.starts_at_ms < 0) return "starts_at_ms cannot be negative";
  if (p.ends_at_ms && *p.ends_at_ms <= p.starts_at_ms) return "ends_at_ms must be after starts";
  switch (p.kind) {
    case Kind::percent_off:
      if (p.percent_bp < 1 || p.percent_bp > 10000) return "percent_bp must be 1..10000";
      break;
    case Kind::amount_off:
      if (p.amount < 1 || p.amount > kMaxPrice) return "amount must be 1..1000000000000";
      break;
    case Kind::buy_x_get_y:
      if (p.buy < 1 || p.buy > 99 || p.get < 1 || p.get > 99) {
        return "buy and get must be 1..99";
      }
      break;
    case Kind::spend_threshold:
      if (p.threshold < 1 || p.threshold > kMaxPrice) {
        return "threshold must be 1..1000000000000";
      }
      if (p.amount < 1 || p.amount > kMaxPrice) return "amount must be 1..1000000000000";
      break;
  }
  return "";
}

std::string Problem(const PriceList& list) {
  if (!IsValidId(list.id)) return "id must be 1-64 of A-Z a-z 0-9 _ . -";
  const bool group_ok =
      list.group == "all" || list.group == "member" ||
      (!list.group.empty() && list.group.size() <= 32 &&
       list.group.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
  if (!group_ok) return "group must be all, member or 1-32 of a-z 0-9 - _";
  if (list.name.empty() || list.name.size() > 100 || !ValidUtf8(list.name)) {
    return "name must be 1-100 bytes of UTF-8";
  }
  if (list.starts_at_ms < 0) return "starts_at_ms cannot be negative";
  if (list.ends_at_ms && *list.ends_at_ms <= list.starts_at_ms) {
    return "ends_at_ms must be after starts_at_ms";
  }
  if (list.prices.size() > 1'000'000) return "a price list holds at most 1000000 prices";
  std::vector<std::string_view> seen;
  seen.reserve(list.prices.size());
  for (const auto& p : list.prices) {
    if (!Gtin14(p.gtin)) return "each price's gtin must be a GTIN of 14 digits";
    if (p.price < 0 || p.price > kMaxPrice) {
      return "price_minor must be 0..1000000000000 (GTIN " + p.gtin + ")";
    }
    seen.push_back(p.gtin);
  }
  std::sort(seen.begin(), seen.end());
  if (auto twice = std::adjacent_find(seen.begin(), seen.end()); twice != seen.end()) {
    return "GTIN " + std::string(*twice) + " is priced twice";
  }
  return "";
}

bool RunningAt(const Promotion& p, std::int64_t now_ms) {
  return p.starts_at_ms <= now_ms && (!p.ends_at_ms || now_ms < *p.ends_at_ms);
}

bool Covers(const Promotion& p, const Item& item) {
  if (!p.category.empty()) return item.category == p.category;
  if (p.gtins.empty()) return true;
  return std::find(p.gtins.begin(), p.gtins.end(), item.gtin) != p.gtins.end();
}

std::vector<Priced> Price(const std::vector<Item>& items, const std::vector<Promotion>& promotions,
                          std::int64_t now_ms, const std::vector<Coupon>& coupons,
                          const std::optional<SaleDiscount>& sale_discount) {
  std::vector<const Promotion*> running;
  for (const auto& p : promotions) {
    if (RunningAt(p, now_ms)) running.push_back(&p);
  }
  std::sort(running.begin(), running.end(),
            [](const Promotion* a, const Promotion* b) { return Before(*a, *b); });

  std::vector<Priced> out(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    out[i].line_id = items[i].line_id;
    out[i].gross = items[i].unit_price * items[i].qty;  // bounded by the caller's caps
    out[i].net = out[i].gross;
  }
  auto discount = [&out](std::size_t i, const Promotion& p, MinorUnits amount) {
    if (amount <= 0) return;
    amount = std::min(amount, out[i].net);  // never below zero
    out[i].discounts.push_back(Discount{p.id, p.name, amount});
    out[i].net -= amount;
  };

  // 2. Line promotions: each line its first in order.
  std::vector<const Promotion*> taken(items.size(), nullptr);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].priced_by_hand) continue;
    for (const Promotion* p : running) {
      if (LinePromotion(p->kind) && Covers(*p, items[i])) {
        taken[i] = p;
        break;
      }
    }
  }
  for (const Promotion* p : running) {
    if (!LinePromotion(p->kind)) continue;
    std::vector<std::size_t> lines;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (taken[i] == p) lines.push_back(i);
    }
    if (lines.empty()) continue;
    std::vector<MinorUnits> off(items.size(), 0);
    if (p->kind == Kind::buy_x_get_y) {
      GiveFreeUnits(*p, items, lines, off);
    }
    for (std::size_t i : lines) {
      if (p->kind == Kind::percent_off) {
        // Half up: the gross is never negative.
        off[i] = static_cast<MinorUnits>((Wide{out[i].gross} * p->percent_bp + 5000) / 10000);
      } else if (p->kind == Kind::amount_off) {
        off[i] = std::min(p->amount, items[i].unit_price) * items[i].qty;
      }
      discount(i, *p, off[i]);
    }
  }

  // 3. Spend thresholds.
  std::vector<bool> in_threshold(items.size(), false);
  for (const Promotion* p : running) {
    if (p->kind != Kind::spend_threshold) continue;
    std::vector<std::size_t> lines;
    MinorUnits base = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (in_threshold[i] || items[i].priced_by_hand || !Covers(*p, items[i])) continue;
      if (!p->stackable && !out[i].discounts.empty()) continue;
      lines.push_back(i);
      base += out[i].net;  // bounded: the cart's total is
    }
    if (lines.empty() || base < p->threshold) continue;
    for (std::size_t i : lines) in_threshold[i] = true;
    Wide off = p->amount;
    if (p->repeat) off *= base / p->threshold;
    Share(out, lines, base, static_cast<MinorUnits>(std::min<Wide>(off, base)), p->id, p->name);
  }

  // 4. Coupons.
  for (const Coupon& c : coupons) {
    std::vector<std::size_t> lines;
    MinorUnits base = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].priced_by_hand) continue;
      lines.push_back(i);
      base += out[i].net;
    }
    if (lines.empty() || base <= 0 || base < c.min_spend) continue;
    Share(out, lines, base, std::min(c.amount, base), c.discount_id, c.name);
  }

  // 5. The sale's discount.
  if (sale_discount) {
    std::vector<std::size_t> lines;
    MinorUnits base = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      lines.push_back(i);
      base += out[i].net;
    }
    if (base > 0) {
      const MinorUnits off =
          sale_discount->percent_bp > 0
              ? static_cast<MinorUnits>((Wide{base} * sale_discount->percent_bp + 5000) / 10000)
              : sale_discount->amount;
      Share(out, lines, base, std::min(off, base), std::string(kSaleDiscountId),
            sale_discount->name);
    }
  }
  return out;
}

MinorUnits ShareOf(MinorUnits net, std::int64_t qty, std::int64_t from, std::int64_t count) {
  if (qty <= 0) return 0;
  auto upto = [&](std::int64_t n) { return static_cast<MinorUnits>(Wide{net} * n / qty); };
  return upto(from + count) - upto(from);
}

}  // namespace sa::pricing
