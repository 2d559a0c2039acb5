// SPDX-License-Identifier: Apache-2.0
#include "json_adapter.hpp"

#include <nlohmann/json.hpp>

namespace sa::store {
namespace {

using nlohmann::json;

json LineJson(const Line& line) {
  json j = {{"id", line.id},           {"gtin", line.gtin},
            {"name", line.name},       {"unit_price", line.unit_price},
            {"qty", line.qty},         {"amount", line.amount},
            {"signature", line.signature}};
  j["serial"] = line.serial.empty() ? json(nullptr) : json(line.serial);
  return j;
}

json LinesJson(const std::vector<Line>& lines) {
  json out = json::array();
  for (const auto& line : lines) out.push_back(LineJson(line));
  return out;
}

json ToJson(const Sale& sale) {
  json j = {{"id", sale.id},
            {"status", sale.status},
            {"terminal", sale.terminal},
            {"currency", sale.currency},
            {"total", sale.total},
            {"lines", LinesJson(sale.lines)},
            {"opened_at", FormatTimestamp(sale.opened_at_ms)}};
  j["member"] = nullptr;
  if (sale.member) {
    j["member"] = sale.member->member_id.empty()
                      ? json{{"phone_masked", sale.member->phone_masked}}
                      : json{{"member_id", sale.member->member_id}};
  }
  json payments = json::array();
  for (const auto& p : sale.payments) {
    payments.push_back({{"method", p.method}, {"amount", p.amount}, {"ref", p.ref}});
  }
  j["payments"] = payments;
  j["tendered"] = sale.tendered ? json(*sale.tendered) : json(nullptr);
  j["change"] = sale.change ? json(*sale.change) : json(nullptr);
  j["receipt_no"] = sale.receipt_no.empty() ? json(nullptr) : json(sale.receipt_no);
  j["closed_at"] = sale.closed_at_ms ? json(FormatTimestamp(*sale.closed_at_ms)) : json(nullptr);
  j["cashier"] = sale.cashier.empty() ? json(nullptr) : json(sale.cashier);
  j["shift_id"] = sale.shift_id.empty() ? json(nullptr) : json(sale.shift_id);
  return j;
}

}  // namespace

std::string SaleJson(const Sale& sale) { return ToJson(sale).dump(-1, ' ', false, json::error_handler_t::replace); }

std::string RefundJson(const Refund& refund) {
  return json{{"id", refund.id},         {"sale_id", refund.sale_id},
              {"serials", refund.serials}, {"amount", refund.amount},
              {"currency", refund.currency}, {"status", "completed"}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string EventEnvelope(const Event& event, const Config& config) {
  json j = {{"id", event.id},
            {"store_id", config.store_id},
            {"device_id", config.device_id},
            {"seq", event.seq},
            {"type", event.type},
            {"at", FormatTimestamp(event.at_ms)}};
  j["payload"] = json::parse(event.payload);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace events {

std::string MemberBoundByCode(std::string_view sale_id, std::string_view member_id) {
  return nlohmann::json{{"sale_id", sale_id}, {"member", {{"member_id", member_id}}}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string MemberBoundByPhone(std::string_view sale_id, std::string_view phone_hash,
                               std::string_view phone_masked) {
  return nlohmann::json{
      {"sale_id", sale_id},
      {"member", {{"phone_hash", phone_hash}, {"phone_masked", phone_masked}}}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string SaleCompleted(const Sale& sale, std::string_view phone_hash) {
  nlohmann::json j = ToJson(sale);
  if (sale.member && sale.member->member_id.empty()) {
    j["member"] = {{"phone_hash", phone_hash}, {"phone_masked", sale.member->phone_masked}};
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string SaleVoided(const Sale& sale, std::string_view reason) {
  return nlohmann::json{{"sale_id", sale.id},
                        {"terminal", sale.terminal},
                        {"reason", reason},
                        {"total", sale.total},
                        {"currency", sale.currency},
                        {"lines", LinesJson(sale.lines)}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string RefundCompleted(const Refund& refund, const Sale& sale,
                            const std::vector<const Line*>& lines) {
  nlohmann::json out = nlohmann::json::array();
  for (const Line* line : lines) out.push_back(LineJson(*line));
  return nlohmann::json{{"refund_id", refund.id},   {"sale_id", sale.id},
                        {"receipt_no", sale.receipt_no}, {"amount", refund.amount},
                        {"currency", refund.currency}, {"lines", out}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string CodeDiverted(std::string_view gtin, std::string_view serial,
                         std::string_view allocated_region, std::string_view store_region,
                         std::string_view sale_id, bool refused) {
  return nlohmann::json{{"gtin", gtin},
                        {"serial", serial},
                        {"allocated_region", allocated_region},
                        {"store_region", store_region},
                        {"sale_id", sale_id},
                        {"action", refused ? "refused" : "warned"}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string UnitDetail(std::string_view gtin, std::string_view serial, std::string_view region) {
  return nlohmann::json{{"gtin", gtin}, {"serial", serial}, {"allocated_region", region}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Expected<OrderOffer> ParseOrderOffer(std::string_view body) {
  auto bad = [](std::string why) { return MakeError(ErrorKind::invalid_request, "bad_order", std::move(why)); };
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return bad("the order is not a JSON object");
  OrderOffer o;
  if (!j.contains("id") || !j["id"].is_string()) return bad("the order has no id");
  o.id = j["id"].get<std::string>();
  if (!j.contains("kind") || !j["kind"].is_string()) return bad("the order has no kind");
  o.kind = j["kind"].get<std::string>();
  if (!j.contains("lines") || !j["lines"].is_array() || j["lines"].empty() || j["lines"].size() > 100) {
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
  if (j.contains("pickup_code") && j["pickup_code"].is_string()) o.pickup_code = j["pickup_code"].get<std::string>();
  return o;
}

std::string ReservationEvent(const Reservation& r, const std::string& extra_json) {
  json lines = json::array();
  for (const auto& l : r.lines) {
    lines.push_back({{"line_no", l.line_no}, {"gtin", l.gtin}, {"qty", l.qty}, {"picked", l.picked}});
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
  return json{{"gtin", gtin}, {"serial", serial}, {"stock", LevelJson(level)}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

std::string StockCounted(std::string_view gtin, std::int64_t counted, std::int64_t expected) {
  return json{{"gtin", gtin}, {"counted", counted}, {"expected", expected}, {"variance", counted - expected}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string StockOverride(std::string_view sale_id, std::string_view gtin, std::string_view serial,
                          const Override& by, const StockLevel& level) {
  json j = {{"sale_id", sale_id}, {"gtin", gtin},         {"manager", by.manager},
            {"reason", by.reason}, {"stock", LevelJson(level)}};
  j["serial"] = serial.empty() ? json(nullptr) : json(serial);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Fields(std::initializer_list<std::pair<const char*, std::string>> strings) {
  json j = json::object();
  for (const auto& [k, v] : strings) j[k] = v;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace events
}  // namespace sa::store
