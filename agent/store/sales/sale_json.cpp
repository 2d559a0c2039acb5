// SPDX-License-Identifier: Apache-2.0
#include "sale_json.hpp"

#include <nlohmann/json.hpp>

#include "approval_json.hpp"

namespace sa::store {
namespace {

using nlohmann::json;
using part::ApprovalJson;

json LineJson(const Line& line) {
  json j = {{"id", line.id},
            {"gtin", line.gtin},
            {"name", line.name},
            {"unit_price", line.unit_price},
            {"qty", line.qty},
            {"amount", line.amount},
            {"signature", line.signature},
            {"tax_rate_bp", line.tax_rate_bp},
            {"vat", line.vat}};
  j["serial"] = line.serial.empty() ? json(nullptr) : json(line.serial);
  if (!line.name_zh.empty()) j["name_zh"] = line.name_zh;  // only where the catalog has one
  if (line.label_priced) {
    // A scale's label set the price: its weight, when it gave one.
    j["label_priced"] = true;
    if (line.net_weight_g) j["net_weight_g"] = *line.net_weight_g;
  }
  if (!line.price_list.empty()) {
    // Sold at a customer group's price: the list and the catalog's price.
    j["price_list"] = line.price_list;
    j["price_list_name"] = line.price_list_name;
    j["catalog_price"] = line.catalog_price;
  }
  // Only where its product's price excluded VAT: amount adds AddedVat.
  if (line.tax_added) j["tax_included"] = false;
  if (!line.discounts.empty()) {
    // Only where a promotion took something off: amount is unit_price x qty
    // less these (the cloud recomputes it so).
    json off = json::array();
    for (const auto& d : line.discounts) {
      off.push_back({{"promotion_id", d.promotion_id}, {"name", d.name}, {"amount", d.amount}});
    }
    j["discounts"] = std::move(off);
  }
  if (line.price_change) {  // only where the price changed at the till
    j["price_change"] = {{"list_price", line.price_change->list_price},
                         {"reason", line.price_change->reason},
                         {"approved_by", ApprovalJson(line.price_change->approved)}};
  }
  return j;
}

// [{"rate_bp","amount","vat"}]: the amounts at each VAT rate and the VAT in them.
json VatJson(const std::vector<TaxBand>& bands) {
  json out = json::array();
  for (const auto& b : bands) {
    out.push_back({{"rate_bp", b.rate_bp}, {"amount", b.amount}, {"vat", b.vat}});
  }
  return out;
}

json LinesJson(const std::vector<Line>& lines) {
  json out = json::array();
  for (const auto& line : lines) out.push_back(LineJson(line));
  return out;
}

// `refunded`: each line of a completed sale says how much of it came back
// (the API's view; the sale's event is the sale as completed).
json ToJson(const Sale& sale, bool refunded = true) {
  json lines = LinesJson(sale.lines);
  if (refunded && sale.status == "completed") {
    for (std::size_t i = 0; i < sale.lines.size(); ++i)
      lines[i]["refunded"] = sale.lines[i].refunded;
  }
  json j = {{"id", sale.id},
            {"status", sale.status},
            {"terminal", sale.terminal},
            {"currency", sale.currency},
            {"total", sale.total},
            {"vat", VatJson(TaxBands(sale.lines))},
            {"lines", std::move(lines)},
            {"opened_at", FormatTimestamp(sale.opened_at_ms)}};
  j["price_group"] = sale.price_group.empty() ? json(nullptr) : json(sale.price_group);
  if (!sale.coupons.empty()) {
    // Each coupon scanned in and what it took off (its lines' "coupon:{id}"
    // discounts); the cloud keeps one redemption of each brand-wide.
    json coupons = json::array();
    for (const auto& c : sale.coupons) {
      coupons.push_back({{"id", c.id},
                         {"type", c.type},
                         {"amount", c.amount},
                         {"min_spend", c.min_spend},
                         {"applied", c.applied}});
    }
    j["coupons"] = std::move(coupons);
  }
  j["discount"] = nullptr;
  if (sale.discount) {
    // A manager's discount on the whole sale, and what it took off the
    // lines (their "sale:manager" discounts).
    const auto& d = *sale.discount;
    j["discount"] = {{"percent_bp", d.percent_bp > 0 ? json(d.percent_bp) : json(nullptr)},
                     {"amount", d.percent_bp > 0 ? json(nullptr) : json(d.amount)},
                     {"applied", d.applied},
                     {"reason", d.reason},
                     {"approved_by", ApprovalJson(d.approved)}};
  }
  j["member"] = nullptr;
  if (sale.member) {
    j["member"] = sale.member->member_id.empty() ? json{{"phone_masked", sale.member->phone_masked}}
                                                 : json{{"member_id", sale.member->member_id}};
    if (sale.member->claimed) j["member"]["claimed"] = true;
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
  j["guide"] =
      sale.guide_id.empty() ? json(nullptr) : json{{"id", sale.guide_id}, {"via", sale.guide_via}};
  j["shift_id"] = sale.shift_id.empty() ? json(nullptr) : json(sale.shift_id);
  j["post_void"] = nullptr;
  if (sale.post_void) {
    const auto& v = *sale.post_void;
    j["post_void"] = {{"id", v.id},
                      {"at", FormatTimestamp(v.at_ms)},
                      {"reason", v.reason},
                      {"amount", v.amount},
                      {"approved_by", ApprovalJson(v.approved)}};
  }
  return j;
}

json PaidBackJson(const std::vector<PaidBack>& payments) {
  json out = json::array();
  for (const auto& p : payments) {
    out.push_back({{"method", p.method}, {"amount", p.amount}, {"ref", p.ref}});
  }
  return out;
}

json RefundToJson(const Refund& refund) {
  json items = json::array();
  for (const auto& i : refund.items) items.push_back({{"gtin", i.gtin}, {"qty", i.qty}});
  return json{{"id", refund.id},
              {"sale_id", refund.sale_id},
              {"serials", refund.serials},
              {"items", items},
              {"payments", PaidBackJson(refund.payments)},
              {"amount", refund.amount},
              {"currency", refund.currency},
              {"status", "completed"},
              {"approved_by", ApprovalJson(refund.approved)}};
}

json SaleCompletedJson(const Sale& sale, std::string_view phone_hash) {
  json j = ToJson(sale, false);
  j.erase("post_void");  // a completed sale has none yet
  if (sale.member && sale.member->member_id.empty()) {
    j["member"] = {{"phone_hash", phone_hash}, {"phone_masked", sale.member->phone_masked}};
  }
  return j;
}

json RefundCompletedJson(const Refund& refund, const Sale& sale,
                         const std::vector<LineBack>& lines) {
  // Each line as it comes back: a part of a plain line is that many of it.
  json out = json::array();
  std::vector<Line> back;
  for (const auto& [line, qty, amount] : lines) {
    back.push_back(PartOf(*line, qty, amount));
    out.push_back(LineJson(back.back()));
  }
  json j{{"refund_id", refund.id},
         {"sale_id", sale.id},
         {"receipt_no", sale.receipt_no},
         {"amount", refund.amount},
         {"currency", refund.currency},
         {"lines", out},
         {"vat", VatJson(TaxBands(back))},
         {"payments", PaidBackJson(refund.payments)},
         {"approved_by", ApprovalJson(refund.approved)}};
  // The member the sale's points went to (bound at the till or claimed
  // since), so the CRM takes them back from the right one.
  if (sale.member && !sale.member->member_id.empty()) j["member_id"] = sale.member->member_id;
  return j;
}

}  // namespace

std::string SaleJson(const Sale& sale) {
  return ToJson(sale).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string RefundJson(const Refund& refund) {
  return RefundToJson(refund).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ExchangeJson(const Exchange& exchange) {
  return json{{"id", exchange.id},
              {"returned", RefundToJson(exchange.returned)},
              {"sale", ToJson(exchange.sale)},
              {"credit", exchange.credit},
              {"difference", exchange.difference}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace events {

std::string MemberBoundByCode(std::string_view sale_id, std::string_view member_id) {
  return nlohmann::json{{"sale_id", sale_id}, {"member", {{"member_id", member_id}}}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string MemberBoundByPhone(std::string_view sale_id, std::string_view phone_hash,
                               std::string_view phone_masked) {
  return nlohmann::json{{"sale_id", sale_id},
                        {"member", {{"phone_hash", phone_hash}, {"phone_masked", phone_masked}}}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string SaleCompleted(const Sale& sale, std::string_view phone_hash) {
  return SaleCompletedJson(sale, phone_hash)
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string SaleVoided(const Sale& sale, std::string_view reason) {
  return nlohmann::json{{"sale_id", sale.id},        {"terminal", sale.terminal},
                        {"reason", reason},          {"total", sale.total},
                        {"currency", sale.currency}, {"lines", LinesJson(sale.lines)}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string SalePostVoided(const Sale& sale) {
  const PostVoid& v = *sale.post_void;
  return json{{"sale_id", sale.id},
              {"receipt_no", sale.receipt_no},
              {"terminal", sale.terminal},
              {"reason", v.reason},
              {"total", sale.total},
              {"currency", sale.currency},
              {"lines", LinesJson(sale.lines)},
              {"post_void", true},
              {"completed_at_ms", sale.closed_at_ms.value_or(0)},
              {"void_id", v.id},
              {"amount", v.amount},
              {"approved_by", ApprovalJson(v.approved)}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string RefundCompleted(const Refund& refund, const Sale& sale,
                            const std::vector<LineBack>& lines) {
  return RefundCompletedJson(refund, sale, lines)
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ExchangeCompleted(const Exchange& exchange, const Sale& returned_from,
                              const std::vector<LineBack>& lines, std::string_view phone_hash) {
  return json{{"exchange_id", exchange.id},
              {"credit", exchange.credit},
              {"difference", exchange.difference},
              {"currency", exchange.sale.currency},
              {"refund", RefundCompletedJson(exchange.returned, returned_from, lines)},
              {"sale", SaleCompletedJson(exchange.sale, phone_hash)}}
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

}  // namespace events
}  // namespace sa::store
