// SPDX-License-Identifier: Apache-2.0
// Stock and reservation event payloads as JSON, and the cloud's order offer
// read. Private to the stock part: its only use of nlohmann-json.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stock.hpp"

namespace sa::store::events {

// An order.offered body (sync/PROTOCOL.md §5) read; bad_order when malformed
// (the message says why).
struct OrderOffer {
  std::string id;
  std::string kind;
  std::vector<std::pair<std::string, std::int64_t>> lines;  // gtin as sent, qty
  std::int64_t ttl_s = 0;                                   // 0: not given
  std::string pickup_code;
};
Expected<OrderOffer> ParseOrderOffer(std::string_view body);

// A shipment change's data read (shape only; Stock::RecordShipment checks
// the rules): {"id","cases":[{"case":{"gtin","serial"},"units":[{"gtin","serial"}...]}...]}.
using store::UnitKey;  // gtin (as sent, until checked), serial
struct ShipmentCase {
  UnitKey label;
  std::vector<UnitKey> units;
};
struct Shipment {
  std::string id;
  std::vector<ShipmentCase> cases;
};
Expected<Shipment> ParseShipment(std::string_view body);
// stock.case_received {"case":{"gtin","serial"},"units":[...],"stock":{...}}
// and case.unpacked {"case":{...},"units":[...]}.
std::string CaseEvent(const UnitKey& label, const std::vector<UnitKey>& units,
                      const StockLevel* level);

// Reservation events carry the order as it stands, plus what happened.
std::string ReservationEvent(const Reservation& r, const std::string& extra_json = "{}");
std::string StockReceived(std::string_view gtin, std::string_view serial, const StockLevel& level);
std::string StockCounted(std::string_view gtin, std::int64_t counted, std::int64_t expected);
std::string StockOverride(std::string_view sale_id, std::string_view gtin, std::string_view serial,
                          const Override& by, const StockLevel& level);
// {"returned_units":[{"gtin","serial"}...]}: what an order ended without
// leaving put back on the shelf (empty when nothing was picked).
// {"returned_units":[…]}, and "approved_by" {"manager","via"} when given.
std::string ReturnedUnits(const std::vector<UnitKey>& units,
                          const std::optional<Approval>& approved = std::nullopt);
// {"gtin","serial"} and friends for the extra fields above.
std::string Fields(std::initializer_list<std::pair<const char*, std::string>> strings);

}  // namespace sa::store::events
