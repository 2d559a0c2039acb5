// SPDX-License-Identifier: Apache-2.0
#include "stock_json.hpp"

#include <nlohmann/json.hpp>

#include "approval_json.hpp"

namespace sa::store::events {

using nlohmann::json;

Expected<OrderOffer> ParseOrderOffer(std::string_view body) {
  auto bad = [](std::string why) {
    return MakeError(ErrorKind::invalid_request, "bad_order", std::move(why));
  };
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return bad("the order is not a JSON object");
  OrderOffer o;
  if (!j.contains("id") || !j["id"].is_string()) return bad("the order has no id");
  o.id = j["id"].get<std::string>();
  if (!j.contains("kind") || !j["kind"].is_string()) return bad("the order has no kind");
  o.kind = j["kind"].get<std::string>();
  if (!j.contains("lines") || !j["lines"].is_array() || j["lines"].empty() ||
      j["lines"].size() > 100) {
    return bad("an order has 1-100 lines");
  }
  for (const auto& line : j["lines"]) {
    if (!line.is_object() || !line.contains("gtin") || !line["gtin"].is_string() ||
        !line.contains("qty") || !line["qty"].is_number_integer()) {
      return bad("each line is {\"gtin\",\"qty\"}");
    }
    o.lines.emplace_back(line["gtin"].get<std::string>(), line["qty"].get<std::int64_t>());
  }
  if (j.contains("ttl_s")) {
    if (!j["ttl_s"].is_number_integer()) return bad("ttl_s is a whole number of seconds");
    o.ttl_s = j["ttl_s"].get<std::int64_t>();
  }
  if (j.contains("pickup_code") && j["pickup_code"].is_string())
    o.pickup_code = j["pickup_code"].get<std::string>();
  return o;
}

std::string ReservationEvent(const Reservation& r, const std::string& extra_json) {
  json lines = json::array();
  for (const auto& l : r.lines) {
    lines.push_back(
        {{"line_no", l.line_no}, {"gtin", l.gtin}, {"qty", l.qty}, {"picked", l.picked}});
  }
  json j = {{"order_id", r.id}, {"kind", r.kind}, {"status", r.status}, {"lines", lines}};
  if (r.expires_at_ms) j["expires_at"] = FormatTimestamp(*r.expires_at_ms);
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (!r.carrier.empty()) j["carrier"] = r.carrier;
  if (!r.tracking_no.empty()) j["tracking_no"] = r.tracking_no;
  j.update(json::parse(extra_json));
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {
json LevelJson(const StockLevel& l) {
  return {{"on_hand", l.on_hand}, {"reserved", l.reserved}, {"available", l.available}};
}
}  // namespace

std::string StockReceived(std::string_view gtin, std::string_view serial, const StockLevel& level) {
  json j{{"gtin", gtin}, {"serial", serial}, {"stock", LevelJson(level)}};
  if (serial.empty()) {  // a plain item: one of its GTIN, by quantity
    j["serial"] = nullptr;
    j["qty"] = 1;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string StockCounted(std::string_view gtin, std::int64_t counted, std::int64_t expected) {
  return json{{"gtin", gtin},
              {"counted", counted},
              {"expected", expected},
              {"variance", counted - expected}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string StockOverride(std::string_view sale_id, std::string_view gtin, std::string_view serial,
                          const Override& by, const StockLevel& level) {
  json j = {{"sale_id", sale_id},
            {"gtin", gtin},
            {"manager", by.manager},
            {"reason", by.reason},
            {"stock", LevelJson(level)}};
  j["serial"] = serial.empty() ? json(nullptr) : json(serial);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

json UnitsJson(const std::vector<UnitKey>& units) {
  json list = json::array();
  for (const auto& [gtin, serial] : units) list.push_back({{"gtin", gtin}, {"serial", serial}});
  return list;
}

UnitKey UnitOf(const json& j) {
  if (!j.is_object() || !j.contains("gtin") || !j.contains("serial") || !j["gtin"].is_string() ||
      !j["serial"].is_string())
    throw std::invalid_argument("a unit is {\"gtin\",\"serial\"}");
  return {j["gtin"].get<std::string>(), j["serial"].get<std::string>()};
}

}  // namespace

Expected<Shipment> ParseShipment(std::string_view body) {
  const json j = json::parse(body, nullptr, false);
  try {
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || !j.contains("cases") ||
        !j["cases"].is_array())
      throw std::invalid_argument("a shipment is {\"id\",\"cases\":[...]}");
    Shipment out{j["id"].get<std::string>(), {}};
    for (const auto& c : j["cases"]) {
      if (!c.is_object() || !c.contains("units") || !c["units"].is_array())
        throw std::invalid_argument("a case is {\"case\":{\"gtin\",\"serial\"},\"units\":[...]}");
      ShipmentCase sc{UnitOf(c.value("case", json())), {}};
      for (const auto& u : c["units"]) sc.units.push_back(UnitOf(u));
      out.cases.push_back(std::move(sc));
    }
    return out;
  } catch (const std::exception& e) {
    return MakeError(ErrorKind::invalid_request, "bad_shipment", e.what(), "malformed");
  }
}

std::string CaseEvent(const UnitKey& label, const std::vector<UnitKey>& units,
                      const StockLevel* level) {
  json j = {{"case", {{"gtin", label.first}, {"serial", label.second}}},
            {"units", UnitsJson(units)}};
  if (level) j["stock"] = LevelJson(*level);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ReturnedUnits(const std::vector<UnitKey>& units,
                          const std::optional<Approval>& approved) {
  json j = {{"returned_units", UnitsJson(units)}};
  if (approved) j["approved_by"] = part::ApprovalJson(approved);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Fields(std::initializer_list<std::pair<const char*, std::string>> strings) {
  json j = json::object();
  for (const auto& [k, v] : strings) j[k] = v;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace sa::store::events
