// SPDX-License-Identifier: Apache-2.0
#include "sold_units.hpp"

#include <nlohmann/json.hpp>

#include "protocol.hpp"

namespace sa::omssim {
namespace {

// A line's string field, "" when absent or not a string.
std::string TextOf(const json& line, const char* name) {
  auto it = line.find(name);
  return it != line.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

void SoldUnits::Sold(const Caller& c, const json& sale) {
  const std::string sale_id = sale["id"].get<std::string>();
  for (const auto& line : sale["lines"]) {
    if (!line.is_object()) continue;
    const std::string serial = TextOf(line, "serial");
    if (serial.empty()) continue;
    const std::string gtin = TextOf(line, "gtin");

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
                   json{{"code", "serial_sold_twice"},
                        {"message", "unit " + gtin + " serial " + serial +
                                        " was sold more than once: sales " + who},
                        {"gtin", gtin},
                        {"serial", serial},
                        {"sales", std::move(sales)}});
    }
    db_.Cached("INSERT INTO sold_units(store_id, gtin, serial, device_id, sale_id) VALUES(?, ?, ?, ?, ?)")
        .Bind(1, c.store)
        .Bind(2, gtin)
        .Bind(3, serial)
        .Bind(4, c.device)
        .Bind(5, sale_id)
        .Run();
  }
}

void SoldUnits::Refunded(const Caller& c, const json& refund) {
  auto sale_it = refund.find("sale_id");
  auto lines = refund.find("lines");
  if (sale_it == refund.end() || !sale_it->is_string() || lines == refund.end() || !lines->is_array()) {
    return;
  }
  for (const auto& line : *lines) {
    if (!line.is_object()) continue;
    auto serial = line.find("serial");
    if (serial == line.end() || !serial->is_string()) continue;
    const std::string gtin = TextOf(line, "gtin");
    db_.Cached("UPDATE sold_units SET refunded = 1 WHERE store_id = ? AND sale_id = ? "
               "AND serial = ? AND (gtin = ? OR ? = '')")
        .Bind(1, c.store)
        .Bind(2, sale_it->get<std::string>())
        .Bind(3, serial->get<std::string>())
        .Bind(4, gtin)
        .Bind(5, gtin)
        .Run();
  }
}

}  // namespace sa::omssim
