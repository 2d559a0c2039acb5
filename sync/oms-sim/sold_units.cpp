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
