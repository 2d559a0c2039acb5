// SPDX-License-Identifier: Apache-2.0
#include "sold_units.hpp"

#include <algorithm>

#include "platform/nlohmann/json.hpp"
#include "protocol.hpp"

namespace sa::omssim {

void SoldUnits::Sold(const Caller& c, const std::string& sale_id,
                     const std::vector<SerialisedUnit>& units) {
  for (const auto& unit : units) {
    // Brand-wide: the first live sale of a GTIN + serial, in any store.
    auto st = db_.Cached(
        "SELECT store_id, device_id, sale_id FROM sold_units WHERE serial = ? AND gtin = ? "
        "AND refunded = 0 AND NOT (store_id = ? AND sale_id = ?) ORDER BY rowid");
    st.Bind(1, unit.serial).Bind(2, unit.gtin).Bind(3, c.store).Bind(4, sale_id);
    std::vector<Holder> holders;
    while (st.Step()) holders.push_back(Holder{st.Text(0), st.Text(1), st.Text(2)});
    if (!holders.empty()) {
      holders.push_back(Holder{c.store, c.device, sale_id});
      SoldTwice(c, unit, holders);
    }
    db_.Cached(
           "INSERT INTO sold_units(store_id, gtin, serial, device_id, sale_id) VALUES(?, ?, ?, ?, "
           "?)")
        .Bind(1, c.store)
        .Bind(2, unit.gtin)
        .Bind(3, unit.serial)
        .Bind(4, c.device)
        .Bind(5, sale_id)
        .Run();
  }
}

void SoldUnits::SoldTwice(const Caller& c, const SerialisedUnit& unit,
                          const std::vector<Holder>& holders) {
  std::vector<std::string> stores;  // each store once, in the order they sold it
  std::string who;
  json sales = json::array();
  for (const auto& h : holders) {
    if (std::find(stores.begin(), stores.end(), h.store_id) == stores.end())
      stores.push_back(h.store_id);
    who += (who.empty() ? "" : ", ") + h.sale_id + " on " + h.device_id + " in store " + h.store_id;
    sales.push_back(
        json{{"store_id", h.store_id}, {"device_id", h.device_id}, {"sale_id", h.sale_id}});
  }
  const std::string what = "unit " + unit.gtin + " serial " + unit.serial;
  if (stores.size() == 1) {
    // Two tills of one store, offline: each sold it in good faith (§8).
    for (auto& s : sales) s.erase("store_id");
    feed_.Append(c.store, "alert",
                 Dump(json{{"code", "serial_sold_twice"},
                           {"message", what + " was sold more than once: sales " + who},
                           {"gtin", unit.gtin},
                           {"serial", unit.serial},
                           {"sales", std::move(sales)}}));
    return;
  }
  // Two stores sold one unit: one of the labels is a copy.
  const std::string alert =
      Dump(json{{"code", "clone_suspected"},
                {"message", what + " was sold in " + std::to_string(stores.size()) +
                                " stores: a copied label is suspected (sales " + who + ")" +
                                (revoke_clones_ ? "; the serial is revoked brand-wide" : "")},
                {"gtin", unit.gtin},
                {"serial", unit.serial},
                {"stores", stores},
                {"sales", std::move(sales)},
                {"revoked", revoke_clones_}});
  for (const auto& store : stores) feed_.Append(store, "alert", alert);
  if (!revoke_clones_) return;
  const std::string revocation =
      Dump(json{{"gtin", unit.gtin}, {"serial", unit.serial}, {"reason", "clone_suspected"}});
  auto all = db_.Cached("SELECT DISTINCT store_id FROM devices ORDER BY store_id");
  while (all.Step()) feed_.Append(all.Text(0), "revocation", revocation);
}

void SoldUnits::Redeemed(const Caller& c, const std::string& sale_id,
                         const std::string& coupon_id) {
  auto first =
      db_.Cached("SELECT store_id, device_id, sale_id FROM coupon_redemptions WHERE coupon_id = ?");
  first.Bind(1, coupon_id);
  if (!first.Step()) {
    db_.Cached(
           "INSERT INTO coupon_redemptions(coupon_id, store_id, device_id, sale_id) "
           "VALUES(?, ?, ?, ?)")
        .Bind(1, coupon_id)
        .Bind(2, c.store)
        .Bind(3, c.device)
        .Bind(4, sale_id)
        .Run();
    return;
  }
  const std::string store = first.Text(0), device = first.Text(1), sale = first.Text(2);
  if (sale == sale_id) return;  // the same sale again (an exchange's re-statement)
  const json alert{
      {"code", "coupon_redeemed_twice"},
      {"message", "coupon " + coupon_id + " was redeemed twice: sale " + sale + " in store " +
                      store + " keeps it; sale " + sale_id + " in store " + c.store +
                      " took it again"},
      {"coupon_id", coupon_id},
      {"sales",
       json::array({json{{"store_id", store}, {"device_id", device}, {"sale_id", sale}},
                    json{{"store_id", c.store}, {"device_id", c.device}, {"sale_id", sale_id}}})}};
  feed_.Append(c.store, "alert", Dump(alert));
  if (store != c.store) feed_.Append(store, "alert", Dump(alert));
}

void SoldUnits::Refunded(const Caller& c, const std::string& sale_id,
                         const std::vector<SerialisedUnit>& units) {
  for (const auto& [gtin, serial] : units) {
    db_.Cached(
           "UPDATE sold_units SET refunded = 1 WHERE store_id = ? AND sale_id = ? "
           "AND serial = ? AND (gtin = ? OR ? = '')")
        .Bind(1, c.store)
        .Bind(2, sale_id)
        .Bind(3, serial)
        .Bind(4, gtin)
        .Bind(5, gtin)
        .Run();
  }
}

}  // namespace sa::omssim
