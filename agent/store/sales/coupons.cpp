// SPDX-License-Identifier: Apache-2.0
// Coupons at the till: a coupon the CRM issued, checked when scanned, taken
// off the cart after the promotions (pricing.hpp), and redeemed once when
// the sale completes: once per store here, once brand-wide in the cloud.
#include "part.hpp"
#include "sales.hpp"

namespace sa::store {

using ledger::Transaction;
using part::Conflict;
using part::Guarded;
using part::Refused;

namespace {

constexpr std::int64_t kMaxCouponsPerSale = 5;

}  // namespace

std::vector<pricing::Coupon> Sales::CouponsOf(std::string_view sale_id) {
  auto st = db_.Cached(
      "SELECT coupon_id, type, amount_minor, min_spend_minor FROM sale_coupons "
      "WHERE sale_id = ? ORDER BY n");
  st.Bind(1, sale_id);
  std::vector<pricing::Coupon> out;
  while (st.Step()) {
    out.push_back(pricing::Coupon{"coupon:" + st.Text(0), st.Text(1), st.Int(2), st.Int(3)});
  }
  return out;
}

std::optional<Error> Sales::OverOfflineCap(const std::string& type, std::int64_t adding) {
  // Redemptions whose sale's event the cloud has not acknowledged (or that
  // have none yet): the cloud cannot have refused a second use of them.
  auto st = db_.Cached(
      "SELECT count(*) FROM coupons_used WHERE type = ?1 AND (event_seq IS NULL OR event_seq > "
      "coalesce((SELECT value FROM sync_state WHERE key = 'acked_seq'), 0))");
  st.Bind(1, type);
  st.Step();
  if (st.Int(0) + adding <= config_.coupon_offline_cap) return std::nullopt;
  return Refused("coupon_offline_cap",
                 "this store has taken " + std::to_string(st.Int(0)) + " " + type +
                     " coupons the brand's cloud has not confirmed yet (the limit is " +
                     std::to_string(config_.coupon_offline_cap) +
                     "): take this one once the till is back online");
}

Expected<Sale> Sales::AddCoupon(std::string_view sale_id, const CouponCode& coupon,
                                codes::SignatureState signature) {
  if (signature != codes::SignatureState::valid) {
    return Refused("coupon_forged", "this coupon was not issued by the brand: do not accept it");
  }
  const std::int64_t now = books_.now_ms();
  if (coupon.expires_at_s * 1000 <= now) {
    return Refused("coupon_expired", "this coupon expired on " +
                                         FormatTimestamp(coupon.expires_at_s * 1000) +
                                         " and can no longer be used");
  }
  if (coupon.store != "*" && coupon.store != config_.store_id) {
    return Refused("coupon_wrong_store",
                   "this coupon is for store " + coupon.store + ", not this one");
  }
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    auto used = db_.Cached("SELECT sale_id FROM coupons_used WHERE coupon_id = ?");
    used.Bind(1, coupon.id);
    if (used.Step()) {
      return Conflict("coupon_used", "this coupon was already used in this store");
    }
    auto held = db_.Cached(
        "SELECT c.sale_id FROM sale_coupons c JOIN sales s ON s.id = c.sale_id "
        "WHERE c.coupon_id = ? AND s.status = 'open'");
    held.Bind(1, coupon.id);
    if (held.Step()) {
      return Conflict("coupon_in_cart", held.Text(0) == sale_id
                                            ? "this coupon is already in this sale"
                                            : "this coupon is in another open sale");
    }
    if (auto refused = OverOfflineCap(coupon.type, 1)) return *refused;
    auto count =
        db_.Cached("SELECT count(*), coalesce(max(n), 0) FROM sale_coupons WHERE sale_id = ?");
    count.Bind(1, sale_id);
    count.Step();
    if (count.Int(0) >= kMaxCouponsPerSale) {
      return Refused("too_many_coupons",
                     "a sale takes at most " + std::to_string(kMaxCouponsPerSale) + " coupons");
    }
    const std::int64_t n = count.Int(1) + 1;
    // What the cart comes to before this coupon, as pricing counts it: not
    // the lines a manager priced by hand, and not a sale discount, which
    // the coupon takes off (a new coupon changes the cart the manager saw).
    DropSaleDiscount(sale_id);
    Reprice(sale_id, now);
    auto total = db_.Cached(
        "SELECT coalesce(sum(unit_price_minor * qty - discount_minor), 0) FROM sale_lines "
        "WHERE sale_id = ? AND list_price_minor IS NULL");
    total.Bind(1, sale_id);
    total.Step();
    if (total.Int(0) < coupon.min_spend) {
      return Refused("coupon_min_spend", "this coupon needs a sale of " +
                                             FormatMinor(coupon.min_spend) + "; this one is " +
                                             FormatMinor(total.Int(0)));
    }
    db_.Cached(
           "INSERT INTO sale_coupons(sale_id, n, coupon_id, type, amount_minor, min_spend_minor) "
           "VALUES(?, ?, ?, ?, ?, ?)")
        .Bind(1, sale_id)
        .Bind(2, n)
        .Bind(3, coupon.id)
        .Bind(4, coupon.type)
        .Bind(5, coupon.amount)
        .Bind(6, coupon.min_spend)
        .Run();
    Reprice(sale_id, now);
    tx.Commit();
    return LoadSale(sale_id);
  });
}

Expected<Sale> Sales::RemoveCoupon(std::string_view sale_id, std::string_view coupon_id) {
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    db_.Cached("DELETE FROM sale_coupons WHERE sale_id = ? AND coupon_id = ?")
        .Bind(1, sale_id)
        .Bind(2, coupon_id)
        .Run();
    if (db_.Changes() == 0) {
      return part::NotFound("coupon_not_in_sale", "sale " + std::string(sale_id) +
                                                      " holds no coupon " +
                                                      std::string(coupon_id.substr(0, 64)));
    }
    // The coupon's discounts go with it; the cart the manager discounted has changed.
    DropSaleDiscount(sale_id);
    Reprice(sale_id, books_.now_ms());
    tx.Commit();
    return LoadSale(sale_id);
  });
}

}  // namespace sa::store
