// SPDX-License-Identifier: Apache-2.0
#include "sold_units.hpp"

#include "platform/nlohmann/json.hpp"
#include "protocol.hpp"

namespace sa::omssim {

void SoldUnits::Sold(const Caller& c, const std::string& sale_id,
                     const std::vector<SerialisedUnit>& units) {
  for (const auto& [gtin, serial] : units) {
    auto st = db_.Cached(
        "SELECT device_id, sale_id FROM sold_units WHERE store_id = ? AND serial = ? AND gtin = ? "
        "AND refunded = 0 AND sale_id <> ? ORDER BY rowid");
    st.Bind(1, c.store).Bind(2, serial).Bind(3, gtin).Bind(4, sale_id);
    json sales = json::array();
    while (st.Step()) sales.push_back(json{{"device_id", st.Text(0)}, {"sale_id", st.Text(1)}});
    if (!sales.empty()) {
      sales.push_back(json{{"device_id", c.device}, {"sale_id", sale_id}});
      std::string who;
      for (const auto& s : sales) {
        who += (who.empty() ? "" : ", ") + s["sale_id"].get<std::string>() + " on " +
               s["device_id"].get<std::string>();
      }
      feed_.Append(c.store, "alert",
                   Dump(json{{"code", "serial_sold_twice"},
                             {"message", "unit " + gtin + " serial " + serial +
                                             " was sold more than once: sales " + who},
                             {"gtin", gtin},
                             {"serial", serial},
                             {"sales", std::move(sales)}}));
    }
    db_.Cached(
           "INSERT INTO sold_units(store_id, gtin, serial, device_id, sale_id) VALUES(?, ?, ?, ?, "
           "?)")
        .Bind(1, c.store)
        .Bind(2, gtin)
        .Bind(3, serial)
        .Bind(4, c.device)
        .Bind(5, sale_id)
        .Run();
  }
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
