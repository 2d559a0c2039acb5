// SPDX-License-Identifier: Apache-2.0
// Orders offered to a store (ship_from_store or pickup) and cancelled: each
// is remembered in `orders`, so an id is offered once and a cancel knows
// what it cancels.
#include "admin.hpp"
#include "platform/nlohmann/json.hpp"

namespace sa::omssim {
namespace {

using ledger::Transaction;

constexpr std::int64_t kDefaultOrderTtlS = 1800;

}  // namespace

Reply AdminApi::OfferOrder(const std::string& store, const Request& r) {
  const json doc = ParseObject(r.body);
  const std::string id = *StringField(doc, "id", true);
  const std::string kind = *StringField(doc, "kind", true);
  if (kind != "ship_from_store" && kind != "pickup") {
    Refuse(400, "invalid_field", "\"kind\" is ship_from_store or pickup");
  }
  const json* lines = Field(doc, "lines", true);
  if (!lines->is_array() || lines->empty())
    Refuse(400, "invalid_field", "\"lines\" must be a non-empty array");
  json out_lines = json::array();
  for (const auto& line : *lines) {
    if (!line.is_object()) Refuse(400, "invalid_field", "each line is {\"gtin\",\"qty\"}");
    out_lines.push_back(
        json{{"gtin", GtinField(line)}, {"qty", *IntField(line, "qty", true, 1, 1'000'000)}});
  }
  json data{
      {"id", id},
      {"kind", kind},
      {"lines", std::move(out_lines)},
      {"ttl_s", IntField(doc, "ttl_s", false, 1, 365LL * 24 * 3600).value_or(kDefaultOrderTtlS)}};
  if (kind == "pickup") data["pickup_code"] = *StringField(doc, "pickup_code", true);

  Transaction tx(db_);
  auto st = db_.Cached("SELECT 1 FROM orders WHERE store_id = ? AND order_id = ?");
  st.Bind(1, store).Bind(2, id);
  if (st.Step())
    Refuse(409, "order_exists", "order " + id + " was already offered to store " + store);
  db_.Cached("INSERT INTO orders(store_id, order_id, status) VALUES(?, ?, 'offered')")
      .Bind(1, store)
      .Bind(2, id)
      .Run();
  Reply reply = feed_.Offer(store, "order.offered", Dump(data));
  tx.Commit();
  return reply;
}

Reply AdminApi::CancelOrder(const std::string& store, const std::string& id) {
  Transaction tx(db_);
  auto st = db_.Cached("SELECT status FROM orders WHERE store_id = ? AND order_id = ?");
  st.Bind(1, store).Bind(2, id);
  if (!st.Step()) Refuse(404, "order_not_found", "store " + store + " has no order " + id);
  // Cancelling twice is answered the same and offers nothing new.
  if (st.Text(0) == "cancelled") return Ok(json{{"id", id}, {"status", "cancelled"}});
  db_.Cached("UPDATE orders SET status = 'cancelled' WHERE store_id = ? AND order_id = ?")
      .Bind(1, store)
      .Bind(2, id)
      .Run();
  Reply reply = feed_.Offer(store, "order.cancelled", Dump(json{{"id", id}}));
  tx.Commit();
  return reply;
}

}  // namespace sa::omssim
