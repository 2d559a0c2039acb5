// SPDX-License-Identifier: Apache-2.0
// Shifts, reports and cashiers as JSON (issue 9): the API's answers and the
// shift.closed event's payload. nlohmann-json stays in the module's adapter files.
#include <nlohmann/json.hpp>

#include "approval_json.hpp"
#include "shifts.hpp"

namespace sa::store {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
json At(const std::optional<std::int64_t>& ms) {
  return ms ? json(FormatTimestamp(*ms)) : json(nullptr);
}
json Opt(const std::optional<MinorUnits>& v) { return v ? json(*v) : json(nullptr); }
json Text(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
// Who closed a shift: {"cashier","approved_by"} once closed (the cashier null
// for the API token; approved_by a manager's, when it was someone else's).
json ClosedBy(const std::optional<std::int64_t>& closed_at, const std::string& cashier,
              const std::optional<Approval>& approved) {
  if (!closed_at) return nullptr;
  return {{"cashier", Text(cashier)}, {"approved_by", part::ApprovalJson(approved)}};
}

}  // namespace

std::string ShiftJson(const Shift& s) {
  return Dump(json{{"id", s.id},
                   {"terminal", s.terminal},
                   {"cashier", Text(s.cashier)},
                   {"status", s.status},
                   {"opened_at", FormatTimestamp(s.opened_at_ms)},
                   {"closed_at", At(s.closed_at_ms)},
                   {"opening_float", s.opening_float},
                   {"counted_cash", Opt(s.counted_cash)},
                   {"closed_by", ClosedBy(s.closed_at_ms, s.closed_by, s.close_approved)},
                   {"reconciliation", Text(s.reconciliation)}});
}

std::string ShiftReportJson(const ShiftReport& r) {
  json methods = json::array();
  for (const auto& m : r.by_method) {
    methods.push_back(
        json{{"method", m.method}, {"sales", m.sales}, {"refunds", m.refunds}, {"net", m.net}});
  }
  json rates = json::array();
  for (const auto& v : r.by_rate) {
    rates.push_back(json{{"rate_bp", v.rate_bp},
                         {"sales", {{"amount", v.sales.amount}, {"vat", v.sales.vat}}},
                         {"refunds", {{"amount", v.refunds.amount}, {"vat", v.refunds.vat}}},
                         {"net_vat", v.net_vat}});
  }
  return Dump(json{{"shift_id", r.shift_id},
                   {"terminal", r.terminal},
                   {"cashier", Text(r.cashier)},
                   {"opened_at", FormatTimestamp(r.opened_at_ms)},
                   {"closed_at", At(r.closed_at_ms)},
                   {"closed_by", ClosedBy(r.closed_at_ms, r.closed_by, r.close_approved)},
                   {"currency", r.currency},
                   {"sales", {{"count", r.sales_count}, {"total", r.sales_total}}},
                   {"refunds", {{"count", r.refunds_count}, {"total", r.refunds_total}}},
                   {"voids", {{"count", r.voids_count}}},
                   {"no_sale", {{"count", r.no_sale_count}}},
                   {"post_voids", {{"count", r.post_voids_count}, {"total", r.post_voids_total}}},
                   {"by_method", std::move(methods)},
                   {"vat_by_rate", std::move(rates)},
                   {"cash",
                    {{"opening_float", r.opening_float},
                     {"sales", r.cash_sales},
                     {"refunds", r.cash_refunds},
                     {"change_given", r.change_given},
                     {"expected", r.expected_cash},
                     {"counted", Opt(r.counted_cash)},
                     {"variance", Opt(r.variance)}}},
                   {"pending_events", r.pending_events}});
}

std::string CashierJson(const Cashier& c) {
  return Dump(json{{"id", c.id}, {"name", c.name}, {"role", c.role}, {"active", c.active}});
}

std::string DrawerOpenJson(const DrawerOpen& d) {
  return Dump(json{{"id", d.id},
                   {"terminal", d.terminal},
                   {"shift_id", Text(d.shift_id)},
                   {"cashier", Text(d.cashier)},
                   {"reason", d.reason},
                   {"approved_by", part::ApprovalJson(d.approved)},
                   {"at", FormatTimestamp(d.at_ms)}});
}

}  // namespace sa::store
