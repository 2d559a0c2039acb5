// SPDX-License-Identifier: Apache-2.0
// Event payloads as JSON text. Private to the store module: the only place it
// touches nlohmann-json.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store.hpp"

namespace sa::store::events {

std::string MemberBoundByCode(std::string_view sale_id, std::string_view member_id);
std::string MemberBoundByPhone(std::string_view sale_id, std::string_view phone_hash,
                               std::string_view phone_masked);
std::string SaleCompleted(const Sale& sale, std::string_view phone_hash);
std::string SaleVoided(const Sale& sale, std::string_view reason);
std::string RefundCompleted(const Refund& refund, const Sale& sale,
                            const std::vector<const Line*>& lines);
std::string CodeDiverted(std::string_view gtin, std::string_view serial,
                         std::string_view allocated_region, std::string_view store_region,
                         std::string_view sale_id, bool refused);
std::string UnitDetail(std::string_view gtin, std::string_view serial, std::string_view region);

// An order.offered body (sync/PROTOCOL.md §5) read; nothing when malformed
// (the message says why).
struct OrderOffer {
  std::string id;
  std::string kind;
  std::vector<std::pair<std::string, std::int64_t>> lines;  // gtin as sent, qty
  std::int64_t ttl_s = 0;                                    // 0: not given
  std::string pickup_code;
};
Expected<OrderOffer> ParseOrderOffer(std::string_view body);

// Reservation events carry the order as it stands, plus what happened.
std::string ReservationEvent(const Reservation& r, const std::string& extra_json = "{}");
std::string StockReceived(std::string_view gtin, std::string_view serial, const StockLevel& level);
std::string StockCounted(std::string_view gtin, std::int64_t counted, std::int64_t expected);
std::string StockOverride(std::string_view sale_id, std::string_view gtin, std::string_view serial,
                          const Override& by, const StockLevel& level);
// {"gtin","serial"} and friends for the extra fields above.
std::string Fields(std::initializer_list<std::pair<const char*, std::string>> strings);

}  // namespace sa::store::events
