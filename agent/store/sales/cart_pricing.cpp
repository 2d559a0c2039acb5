// SPDX-License-Identifier: Apache-2.0
// A cart's prices: a scale label's own price, the customer group's price
// lists, and the promotions and coupons in force (pricing.hpp), worked out
// again at every change to the cart and when it is paid.
#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "part.hpp"
#include "sales.hpp"

namespace sa::store {
namespace {

using ledger::Transaction;
using part::BadRequest;
using part::CheckReason;
using part::Guarded;
using part::Refused;

// The catalog's cap on a price (books' kMaxPriceMinor): a scale's label is held to it too.
constexpr MinorUnits kMaxPriceMinor = 1'000'000'000'000;

// ISO 4217's number of a currency the agent's stores sell in (393n labels
// say their currency by number); "" for one it does not know.
std::string_view CurrencyNumeric(std::string_view alpha) {
  static constexpr std::pair<std::string_view, std::string_view> kCodes[] = {
      {"CNY", "156"}, {"HKD", "344"}, {"MOP", "446"}, {"TWD", "901"}, {"USD", "840"},
      {"EUR", "978"}, {"GBP", "826"}, {"JPY", "392"}, {"KRW", "410"}, {"SGD", "702"}};
  for (const auto& [a, n] : kCodes) {
    if (a == alpha) return n;
  }
  return {};
}

}  // namespace

Expected<std::optional<MinorUnits>> Sales::LabelPrice(const codes::Code& code,
                                                      const Product& product) {
  if (!code.measure) return std::optional<MinorUnits>();
  // Only a variable-measure item sells at its label's figures: a GTIN of
  // indicator digit 9 (GS1's variable measure trade items) or an in-store
  // restricted circulation number (a scale's 20-29 or 02 EAN-13). A signature
  // covers GTIN and serial only: a price added to a fixed-price item's
  // label is refused, not sold at.
  const bool variable =
      code.gtin[0] == '9' || code.gtin.substr(0, 2) == "02" || code.gtin.substr(0, 3) == "002";
  if (!variable) {
    return Refused(
        "not_variable_measure",
        "GTIN " + code.gtin + " has a fixed price; its label must not carry a weight or a price");
  }
  const codes::Measure& m = *code.measure;
  if (!m.currency_numeric.empty() && m.currency_numeric != CurrencyNumeric(config_.currency)) {
    return Refused("label_currency", "the label's price is in currency " + m.currency_numeric +
                                         ", not this store's " + config_.currency);
  }
  // The weight at the catalog's price per kilogram, to the fen, half up.
  std::optional<MinorUnits> by_weight;
  if (m.net_weight_g && product.price_minor > 0) {
    const __int128 fen =
        (static_cast<__int128>(*m.net_weight_g) * product.price_minor + 500) / 1000;
    if (fen > kMaxPriceMinor) {
      return Refused("label_price_mismatch", "the label's weight is more than can be sold");
    }
    by_weight = static_cast<MinorUnits>(fen);
  }
  if (m.amount_minor) {
    if (*m.amount_minor > kMaxPriceMinor) {
      return Refused("label_price_mismatch", "the label's price is more than can be sold");
    }
    // A scale rounds: a fen either way is the scale's, more is a wrong label.
    if (by_weight && (*m.amount_minor > *by_weight + 1 || *m.amount_minor < *by_weight - 1)) {
      return Refused("label_price_mismatch", "the label says " + FormatMinor(*m.amount_minor) +
                                                 " for " + std::to_string(*m.net_weight_g) +
                                                 " g; at " + FormatMinor(product.price_minor) +
                                                 " a kilogram that is " + FormatMinor(*by_weight) +
                                                 ": weigh it again");
    }
    return std::optional<MinorUnits>(*m.amount_minor);
  }
  if (!by_weight) {
    return Refused("label_price_unknown",
                   "the label gives a weight but GTIN " + code.gtin + " has no price per kilogram");
  }
  return by_weight;
}

std::int64_t Sales::Reprice(std::string_view sale_id, std::int64_t now) {
  // The cart's lines, read once; what changes is written once per line.
  std::vector<pricing::Item> items;
  std::vector<CartLine> lines;
  {
    auto st = db_.Cached(
        "SELECT id, gtin, coalesce(category, ''), unit_price_minor, qty, "
        "list_price_minor IS NOT NULL, discount_minor, tax_rate_bp, tax_added, "
        "coalesce(catalog_price_minor, unit_price_minor), coalesce(price_list, ''), label_priced "
        "FROM sale_lines WHERE sale_id = ? ORDER BY id");
    st.Bind(1, sale_id);
    while (st.Step()) {
      items.push_back(
          pricing::Item{st.Int(0), st.Text(1), st.Text(2), st.Int(3), st.Int(4), st.Int(5) != 0});
      lines.push_back(CartLine{static_cast<int>(st.Int(7)), st.Int(8) != 0, st.Int(6), st.Int(9),
                               st.Text(10), "", st.Int(11) != 0, false});
    }
  }
  GroupPrices(sale_id, now, items, lines);
  // Some line has discounts now: each line's sum is that of its rows (all
  // above zero), so none has rows when every sum is zero.
  const bool discounted =
      std::any_of(lines.begin(), lines.end(), [](const CartLine& l) { return l.discount != 0; });
  const auto& promotions = books_.Promotions();
  const auto coupons = CouponsOf(sale_id);
  const auto sale_discount = SaleDiscountOf(sale_id);
  const bool running = !coupons.empty() || sale_discount ||
                       std::any_of(promotions.begin(), promotions.end(),
                                   [now](const auto& p) { return pricing::RunningAt(p, now); });
  // Prices are capped at import (kMaxPriceMinor), quantities at 9999 and
  // lines at kMaxLines: a line's amount fits 64 bits, VAT added (at most
  // 100 %) too, and the sum is taken wide and refused past 64 bits.
  // Promotions and coupons apply to the price as the shelf shows it; VAT
  // a line adds (tax_added) is on what it then sells for.
  __int128 total = 0;
  std::vector<MinorUnits> off(lines.size(), 0);  // each line's discounts now
  if (!running && !discounted) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      total +=
          LineAmount(items[i].unit_price * items[i].qty, lines[i].tax_rate_bp, lines[i].tax_added);
    }
  } else {
    const auto priced = pricing::Price(items, promotions, now, coupons, sale_discount);
    for (std::size_t i = 0; i < priced.size(); ++i) {
      total += LineAmount(priced[i].net, lines[i].tax_rate_bp, lines[i].tax_added);
      for (const auto& d : priced[i].discounts) off[i] += d.amount;
    }
    const bool none_now = std::all_of(priced.begin(), priced.end(),
                                      [](const pricing::Priced& p) { return p.discounts.empty(); });
    if (discounted ? !SameDiscounts(sale_id, priced) : !none_now) {
      WriteDiscounts(sale_id, priced, discounted);
    }
  }
  if (total > std::numeric_limits<MinorUnits>::max()) {
    throw ledger::Failure(part::Conflict(
        "sale_too_large", "the sale comes to more than can be counted; sell it as two sales"));
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const CartLine& line = lines[i];
    if (!line.price_moved && off[i] == line.discount) continue;
    db_.Cached(
           "UPDATE sale_lines SET unit_price_minor = ?, price_list = ?, price_list_name = ?, "
           "discount_minor = ? WHERE id = ?")
        .Bind(1, items[i].unit_price)
        .BindTextOrNull(2, line.list)
        .BindTextOrNull(3, line.list_name)
        .Bind(4, off[i])
        .Bind(5, items[i].line_id)
        .Run();
  }
  db_.Cached(
         "UPDATE sales SET total_minor = ?, priced_at_ms = ?, priced_generation = ? WHERE id = ?")
      .Bind(1, static_cast<MinorUnits>(total))
      .Bind(2, now)
      .Bind(3, books_.pricing_generation())
      .Bind(4, sale_id)
      .Run();
  return static_cast<std::int64_t>(items.size());
}

bool Sales::PricesMayHaveMoved(std::string_view sale_id, std::int64_t now) {
  auto st = db_.Cached("SELECT priced_at_ms, priced_generation FROM sales WHERE id = ?");
  st.Bind(1, sale_id);
  if (!st.Step() || st.IsNull(0) || st.IsNull(1)) return true;
  return st.Int(1) != books_.pricing_generation() || books_.PricingBoundaryIn(st.Int(0), now);
}

void Sales::GroupPrices(std::string_view sale_id, std::int64_t now,
                        std::vector<pricing::Item>& items, std::vector<CartLine>& lines) {
  // No price lists, and no line at a list's price: every line at its
  // catalog price. Else who the customer is.
  auto who = db_.Cached(
      "SELECT EXISTS (SELECT 1 FROM price_lists), member IS NOT NULL, "
      "coalesce(price_group, '') FROM sales WHERE id = ?");
  who.Bind(1, sale_id);
  if (!who.Step()) return;
  const bool any_list = who.Int(0) != 0;
  if (!any_list &&
      std::none_of(lines.begin(), lines.end(), [](const CartLine& l) { return !l.list.empty(); })) {
    return;
  }
  const bool member = who.Int(1) != 0;
  const std::string group = who.Text(2);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    CartLine& line = lines[i];
    pricing::Item& item = items[i];
    // A price changed by hand or a scale label's stays as it is.
    if (item.priced_by_hand || line.label_priced) continue;
    // The lowest of the catalog's price and the lists' (a list never raises one).
    MinorUnits price = line.catalog;
    Books::GroupPrice list;
    if (any_list) {
      if (auto found = books_.GroupPriceOf(item.gtin, now, member, group);
          found && found->price < line.catalog) {
        price = found->price;
        list = std::move(*found);
      }
    }
    if (price == item.unit_price && list.list_id == line.list) continue;
    item.unit_price = price;
    line.list = list.list_id;
    line.list_name = list.list_name;
    line.price_moved = true;
  }
}

bool Sales::SameDiscounts(std::string_view sale_id, const std::vector<pricing::Priced>& priced) {
  auto st = db_.Cached(
      "SELECT line_id, promotion_id, name, amount_minor FROM sale_line_discounts "
      "WHERE sale_id = ? ORDER BY line_id, n");
  st.Bind(1, sale_id);
  // Both in line order (the items were read ORDER BY id).
  for (const auto& line : priced) {
    for (const auto& d : line.discounts) {
      if (!st.Step() || st.Int(0) != line.line_id || st.Text(1) != d.promotion_id ||
          st.Text(2) != d.name || st.Int(3) != d.amount) {
        return false;
      }
    }
  }
  return !st.Step();
}

void Sales::WriteDiscounts(std::string_view sale_id, const std::vector<pricing::Priced>& priced,
                           bool any_before) {
  // Written again whole: a scan can move a threshold's share on every line.
  if (any_before) {
    db_.Cached("DELETE FROM sale_line_discounts WHERE sale_id = ?").Bind(1, sale_id).Run();
  }
  for (const auto& line : priced) {
    std::int64_t n = 0;
    for (const auto& d : line.discounts) {
      db_.Cached(
             "INSERT INTO sale_line_discounts(line_id, n, sale_id, promotion_id, name, "
             "amount_minor) VALUES(?, ?, ?, ?, ?, ?)")
          .Bind(1, line.line_id)
          .Bind(2, ++n)
          .Bind(3, sale_id)
          .Bind(4, d.promotion_id)
          .Bind(5, d.name)
          .Bind(6, d.amount)
          .Run();
    }
  }
}

std::optional<pricing::SaleDiscount> Sales::SaleDiscountOf(std::string_view sale_id) {
  auto st = db_.Cached(
      "SELECT coalesce(discount_bp, 0), coalesce(discount_amount_minor, 0) FROM sales "
      "WHERE id = ? AND (discount_bp IS NOT NULL OR discount_amount_minor IS NOT NULL)");
  st.Bind(1, sale_id);
  if (!st.Step()) return std::nullopt;
  // The name every device and the cloud see; receipts and screens print it
  // in the store's language by its id ("sale:manager").
  return pricing::SaleDiscount{"sale discount", static_cast<int>(st.Int(0)), st.Int(1)};
}

void Sales::DropSaleDiscount(std::string_view sale_id) {
  db_.Cached(
         "UPDATE sales SET discount_bp = NULL, discount_amount_minor = NULL, discount_reason = "
         "NULL, discount_approved_by = NULL, discount_approved_via = NULL WHERE id = ? AND "
         "(discount_bp IS NOT NULL OR discount_amount_minor IS NOT NULL)")
      .Bind(1, sale_id)
      .Run();
}

Expected<Sale> Sales::DiscountSale(std::string_view sale_id, int percent_bp, MinorUnits amount,
                                   std::string_view reason, const Approval& approved) {
  if ((percent_bp != 0) == (amount != 0) || percent_bp < 0 || percent_bp > 10000 || amount < 0 ||
      amount > kMaxPriceMinor) {
    return BadRequest("invalid_discount",
                      "a sale's discount is a percent_bp of 1 to 10000 (1000 = 10 % off) or an "
                      "amount above 0, one of them");
  }
  if (auto bad = CheckReason(reason, "the sale is discounted")) return *bad;
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    const std::int64_t now = books_.now_ms();
    // What the cart comes to before any discount of the sale's.
    DropSaleDiscount(sale_id);
    if (Reprice(sale_id, now) == 0) {
      return Refused("sale_empty", "the sale has no lines to discount");
    }
    // What the lines come to before VAT a price excluded (pricing's base).
    auto total = db_.Cached(
        "SELECT coalesce(sum(unit_price_minor * qty - discount_minor), 0) FROM sale_lines "
        "WHERE sale_id = ?");
    total.Bind(1, sale_id);
    total.Step();
    if (amount > total.Int(0)) {
      return Refused("discount_too_large", "the sale comes to " + FormatMinor(total.Int(0)) +
                                               "; a discount of " + FormatMinor(amount) +
                                               " would take it below zero");
    }
    auto set = db_.Cached(
        "UPDATE sales SET discount_bp = ?, discount_amount_minor = ?, discount_reason = ?, "
        "discount_approved_by = ?, discount_approved_via = ? WHERE id = ?");
    if (percent_bp > 0) {
      set.Bind(1, std::int64_t{percent_bp}).BindNull(2);
    } else {
      set.BindNull(1).Bind(2, amount);
    }
    set.Bind(3, reason)
        .BindTextOrNull(4, approved.manager)
        .Bind(5, approved.via)
        .Bind(6, sale_id)
        .Run();
    Reprice(sale_id, now);
    tx.Commit();
    return LoadSale(sale_id);
  });
}

Expected<Sale> Sales::RemoveDiscount(std::string_view sale_id) {
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    DropSaleDiscount(sale_id);
    Reprice(sale_id, books_.now_ms());
    tx.Commit();
    return LoadSale(sale_id);
  });
}

}  // namespace sa::store
