// SPDX-License-Identifier: Apache-2.0
#include "reconcile.hpp"

#include <map>

#include "platform/nlohmann/json.hpp"
#include "protocol.hpp"

namespace sa::omssim {
namespace {

using Amounts = std::map<std::string, std::int64_t>;  // id -> amount, in id order

// The store's list: [{"id", amount_field}] with each id once.
Amounts ListOf(const json& doc, const char* name, const char* amount_field) {
  const json* list = Field(doc, name, true);
  if (!list->is_array()) Refuse(400, "invalid_field", std::string("\"") + name + "\" is an array");
  Amounts out;
  for (const auto& item : *list) {
    if (!item.is_object())
      Refuse(400, "invalid_field", std::string("each of \"") + name + "\" is an object");
    const std::string id = *StringField(item, "id", true);
    const std::int64_t amount =
        *IntField(item, amount_field, true, -(std::int64_t{1} << 62), std::int64_t{1} << 62);
    if (!out.emplace(id, amount).second)
      Refuse(400, "invalid_field", std::string("\"") + name + "\" names " + id + " twice");
  }
  return out;
}

// What the cloud ingested from the device for the shift: its sales (a
// sale.completed, or an exchange's new sale, naming the shift) and the
// refunds the store names (a refund, an exchange's return, a post-void).
struct Ingested {
  Amounts sales;
  Amounts refunds;
};

Ingested IngestedFor(ledger::Database& db, const Caller& c, const std::string& shift) {
  Ingested out;
  auto st = db.Cached(
      "SELECT type, text FROM events WHERE store_id = ? AND device_id = ? AND type IN "
      "('sale.completed', 'exchange.completed', 'refund.completed', 'sale.voided') ORDER BY n");
  st.Bind(1, c.store).Bind(2, c.device);
  auto amount = [](const json& j, const char* field) {
    auto it = j.find(field);
    return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
  };
  auto text = [](const json& j, const char* field) {
    auto it = j.find(field);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  while (st.Step()) {
    const std::string type = st.Text(0);
    const json ev = json::parse(st.Text(1), nullptr, false);
    if (!ev.is_object() || !ev.contains("payload") || !ev["payload"].is_object()) continue;
    const json& p = ev["payload"];
    auto sale = [&](const json& s) {
      if (s.is_object() && text(s, "shift_id") == shift)
        out.sales[text(s, "id")] = amount(s, "total");
    };
    auto refund = [&](const json& r) {
      if (r.is_object()) out.refunds[text(r, "refund_id")] = amount(r, "amount");
    };
    if (type == "sale.completed") sale(p);
    if (type == "exchange.completed") {
      if (p.contains("refund")) refund(p["refund"]);
      if (p.contains("sale")) sale(p["sale"]);
    }
    if (type == "refund.completed") refund(p);
    const auto post_void = p.find("post_void");
    if (type == "sale.voided" && post_void != p.end() && post_void->is_boolean() &&
        post_void->get<bool>()) {
      out.refunds[text(p, "void_id")] = amount(p, "amount");
    }
  }
  return out;
}

}  // namespace

Reply ReconcileShift(ledger::Database& db, const Caller& c, const std::string& body) {
  const json doc = CallerBody(body, c.store, c.device);
  const json* period = Field(doc, "period", true);
  if (!period->is_object() || StringField(*period, "kind", true) != "shift") {
    Refuse(400, "invalid_field", "\"period\" is {\"kind\":\"shift\",\"id\",...}");
  }
  const std::string shift = *StringField(*period, "id", true);
  const std::int64_t last_seq = *IntField(doc, "last_seq", true, 0, std::int64_t{1} << 62);
  const Amounts sales = ListOf(doc, "sales", "total");
  const Amounts refunds = ListOf(doc, "refunds", "amount");

  auto acked = db.Cached("SELECT acked_seq FROM devices WHERE store_id = ? AND device_id = ?");
  acked.Bind(1, c.store).Bind(2, c.device);
  const std::int64_t acked_seq = acked.Step() ? acked.Int(0) : 0;
  if (acked_seq < last_seq) {
    // Never "mismatch" while the shift's own events are on their way.
    return Ok(json{{"status", "pending"},
                   {"shift_id", shift},
                   {"acked_seq", acked_seq},
                   {"last_seq", last_seq}});
  }

  const Ingested cloud = IngestedFor(db, c, shift);
  json missing = json::array(), differ = json::array(), unexpected = json::array();
  auto compare = [&](const char* kind, const Amounts& store, const Amounts& ours,
                     bool whole_period) {
    for (const auto& [id, amount] : store) {
      auto it = ours.find(id);
      if (it == ours.end()) {
        missing.push_back(json{{"kind", kind}, {"id", id}, {"amount", amount}});
      } else if (it->second != amount) {
        differ.push_back(
            json{{"kind", kind}, {"id", id}, {"store", amount}, {"cloud", it->second}});
      }
    }
    if (!whole_period) return;  // refunds name no shift: only the store's are checked
    for (const auto& [id, amount] : ours) {
      if (store.count(id) == 0)
        unexpected.push_back(json{{"kind", kind}, {"id", id}, {"amount", amount}});
    }
  };
  compare("sale", sales, cloud.sales, true);
  compare("refund", refunds, cloud.refunds, false);
  const bool match = missing.empty() && differ.empty() && unexpected.empty();
  return Ok(json{{"status", match ? "match" : "mismatch"},
                 {"shift_id", shift},
                 {"sales", sales.size()},
                 {"refunds", refunds.size()},
                 {"missing", std::move(missing)},
                 {"differ", std::move(differ)},
                 {"unexpected", std::move(unexpected)}});
}

}  // namespace sa::omssim
