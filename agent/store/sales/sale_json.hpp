// SPDX-License-Identifier: Apache-2.0
// Sale event payloads as JSON. Private to the sales part: with
// sale_json.cpp, its only use of nlohmann-json.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sales.hpp"

namespace sa::store::events {

std::string MemberBoundByCode(std::string_view sale_id, std::string_view member_id);
std::string MemberBoundByPhone(std::string_view sale_id, std::string_view phone_hash,
                               std::string_view phone_masked);
std::string SaleCompleted(const Sale& sale, std::string_view phone_hash);
std::string SaleVoided(const Sale& sale, std::string_view reason);
// A completed sale voided in error (sale.voided with "post_void": true): the
// whole sale, when its sale.completed was written (completed_at_ms), and the
// manager who approved it.
std::string SalePostVoided(const Sale& sale);
std::string RefundCompleted(const Refund& refund, const Sale& sale,
                            const std::vector<LineBack>& lines);
// One event for both halves of an exchange: "refund" as refund.completed
// says it, "sale" as sale.completed says it, with the credit between them.
std::string ExchangeCompleted(const Exchange& exchange, const Sale& returned_from,
                              const std::vector<LineBack>& lines, std::string_view phone_hash);
std::string CodeDiverted(std::string_view gtin, std::string_view serial,
                         std::string_view allocated_region, std::string_view store_region,
                         std::string_view sale_id, bool refused);
std::string UnitDetail(std::string_view gtin, std::string_view serial, std::string_view region);

}  // namespace sa::store::events
