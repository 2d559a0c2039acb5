// SPDX-License-Identifier: Apache-2.0
// Returns at the counter of orders bought online (BOPIS/BORIS): the unit
// goes into this store's stock and the cloud refunds the order's payment.
// The order is the cloud's truth, fetched by the caller just before; this
// store's own ledger adds what the cloud may not know yet (a return made
// here whose event has not been pushed).
#include <nlohmann/json.hpp>
#include <set>

#include "approval_json.hpp"
#include "part.hpp"
#include "stock.hpp"
#include "stock_json.hpp"

namespace sa::store {
namespace {

using ledger::Transaction;
using nlohmann::json;
using part::BadRequest;
using part::Conflict;
using part::Guarded;
using part::Refused;

std::string Text(const json& o, const char* name) {
  auto it = o.find(name);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Expected<OnlineOrder> ParseOnlineOrder(std::string_view text) {
  auto bad = [](std::string why) {
    return MakeError(ErrorKind::internal, "bad_online_order", std::move(why));
  };
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return bad("the cloud's order is not a JSON object");
  OnlineOrder o;
  o.number = Text(j, "number");
  if (o.number.empty()) return bad("the cloud's order has no number");
  o.channel = Text(j, "channel");
  o.currency = Text(j, "currency");
  if (auto paid = j.find("paid"); paid != j.end() && paid->is_object()) {
    o.paid_method = Text(*paid, "method");
    if (auto a = paid->find("amount"); a != paid->end() && a->is_number_integer())
      o.paid_amount = a->get<MinorUnits>();
  }
  auto lines = j.find("lines");
  if (lines == j.end() || !lines->is_array()) return bad("the cloud's order has no lines");
  for (const auto& l : *lines) {
    if (!l.is_object()) return bad("an order line is not an object");
    OnlineOrderLine line;
    if (auto n = l.find("line_no"); n != l.end() && n->is_number_integer())
      line.line_no = n->get<std::int64_t>();
    line.gtin = Text(l, "gtin");
    line.serial = Text(l, "serial");
    line.name = Text(l, "name");
    if (auto p = l.find("price"); p != l.end() && p->is_number_integer())
      line.price = p->get<MinorUnits>();
    if (auto r = l.find("returned"); r != l.end() && r->is_boolean())
      line.returned = r->get<bool>();
    if (line.gtin.empty() || line.serial.empty()) return bad("an order line has no gtin or serial");
    o.lines.push_back(std::move(line));
  }
  return o;
}

std::string OnlineReturnJson(const OnlineReturn& r) {
  json units = json::array();
  for (const auto& l : r.lines) {
    units.push_back(
        json{{"gtin", l.gtin}, {"serial", l.serial}, {"name", l.name}, {"price", l.price}});
  }
  return json{{"return_id", r.id},
              {"order_no", r.order_no},
              {"channel", r.channel},
              {"units", std::move(units)},
              {"amount", r.amount},
              {"currency", r.currency},
              {"refund_via", r.refund_via},
              {"terminal", r.terminal},
              {"cashier", r.cashier.empty() ? json(nullptr) : json(r.cashier)},
              {"approved_by", part::ApprovalJson(r.approved)},
              {"at", FormatTimestamp(r.at_ms)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Expected<OnlineReturn> Stock::ReceiveOnlineReturn(
    const OnlineOrder& order, const std::vector<std::string>& serials, std::string_view refund_via,
    std::string_view terminal, std::string_view cashier, const std::optional<Approval>& approved) {
  if (serials.empty() || serials.size() > 100)
    return BadRequest("invalid_field", "serials: 1-100 units of the order");
  if (refund_via == "cash") {
    return Refused("cash_refund_not_allowed",
                   "this store does not pay online orders back in cash: the cloud refunds the "
                   "customer's original payment");
  }
  if (refund_via != "cloud")
    return BadRequest("invalid_field", "refund_via is \"cloud\" (or \"cash\")");
  OnlineReturn ret;
  ret.order_no = order.number;
  ret.channel = order.channel;
  ret.currency = order.currency.empty() ? config_.currency : order.currency;
  ret.refund_via = std::string(refund_via);
  ret.terminal = std::string(terminal);
  ret.cashier = std::string(cashier);
  ret.approved = approved;
  std::set<std::string> seen;
  for (const auto& serial : serials) {
    if (!seen.insert(serial).second)
      return BadRequest("invalid_field", "serial " + serial + " is named twice");
    const OnlineOrderLine* line = nullptr;
    for (const auto& l : order.lines) {
      if (l.serial == serial) line = &l;
    }
    if (!line) {
      return Refused("unit_not_in_order",
                     "online order " + order.number + " holds no unit with serial " + serial);
    }
    if (line->returned) {
      return Conflict("unit_already_returned", "unit " + serial + " of online order " +
                                                   order.number + " was already returned");
    }
    ret.lines.push_back(*line);
    ret.amount += line->price;
  }
  return Guarded([&]() -> Expected<OnlineReturn> {
    Transaction tx(db_);
    const std::int64_t now = books_.now_ms();
    ret.id = crypto::NewUuidV7(now);
    ret.at_ms = now;
    for (auto& line : ret.lines) {
      auto gtin = codes::NormaliseGtin(line.gtin);
      if (!gtin) return Refused("unknown_product", "the order's GTIN " + line.gtin + " is not one");
      line.gtin = *gtin;
      if (!books_.LookupProduct(line.gtin)) {
        return Refused("unknown_product", "GTIN " + line.gtin + " is not in this store's catalog");
      }
      // Returned here before, and the cloud has not heard yet.
      auto before = db_.Cached(
          "SELECT ref FROM stock_moves WHERE gtin = ? AND serial = ? AND reason = "
          "'online_return' LIMIT 1");
      before.Bind(1, line.gtin).Bind(2, line.serial);
      if (before.Step()) {
        return Conflict("unit_already_returned",
                        "unit " + line.serial + " was already returned at this store");
      }
      auto unit = db_.Cached("SELECT state FROM units WHERE gtin = ? AND serial = ?");
      unit.Bind(1, line.gtin).Bind(2, line.serial);
      if (unit.Step()) {
        if (unit.Text(0) == "sold") {
          return Conflict("unit_sold_here",
                          "this store sold unit " + line.serial + ": take it back as a refund");
        }
        return Conflict("unit_already_received",
                        "unit " + line.serial + " is already in this store's stock");
      }
      db_.Cached(
             "INSERT INTO units(gtin, serial, state, updated_at_ms) VALUES(?, ?, 'in_stock', ?)")
          .Bind(1, line.gtin)
          .Bind(2, line.serial)
          .Bind(3, now)
          .Run();
      db_.Cached(
             "INSERT INTO stock_moves(gtin, serial, delta, reason, ref, at_ms) "
             "VALUES(?, ?, 1, 'online_return', ?, ?)")
          .Bind(1, line.gtin)
          .Bind(2, line.serial)
          .Bind(3, ret.id)
          .Bind(4, now)
          .Run();
    }
    books_.Append("return.received", OnlineReturnJson(ret));
    tx.Commit();
    return ret;
  });
}

}  // namespace sa::store
