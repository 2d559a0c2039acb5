// SPDX-License-Identifier: Apache-2.0
#include "online_orders.hpp"

#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "fields.hpp"
#include "platform/nlohmann/json.hpp"
#include "protocol.hpp"

namespace sa::omssim {
namespace {

using ledger::Transaction;

std::optional<std::string> NumberOfUnit(ledger::Database& db, const std::string& gtin,
                                        const std::string& serial) {
  auto st = db.Cached("SELECT number FROM online_order_lines WHERE gtin = ? AND serial = ?");
  st.Bind(1, gtin).Bind(2, serial);
  if (!st.Step()) return std::nullopt;
  return st.Text(0);
}

std::string Text(const json& o, const char* name) {
  auto it = o.find(name);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Reply OnlineOrders::Create(const Request& r) {
  const json doc = ParseObject(r.body);
  const std::string number = *StringField(doc, "number", true);
  const std::string channel = StringField(doc, "channel", false).value_or("mini_program");
  const std::string currency = StringField(doc, "currency", false).value_or("CNY");
  const json* paid = Field(doc, "paid", true);
  if (!paid->is_object()) Refuse(400, "invalid_field", "\"paid\" is {\"method\",\"amount\"}");
  const std::string method = *StringField(*paid, "method", true);
  const std::int64_t amount = *IntField(*paid, "amount", true, 0, 1'000'000'000'000);
  const json* lines = Field(doc, "lines", true);
  if (!lines->is_array() || lines->empty())
    Refuse(400, "invalid_field", "\"lines\" must be a non-empty array");

  Transaction tx(db_);
  auto known = db_.Cached("SELECT 1 FROM online_orders WHERE number = ?");
  known.Bind(1, number);
  if (known.Step()) Refuse(409, "order_exists", "online order " + number + " exists");
  db_.Cached(
         "INSERT INTO online_orders(number, channel, paid_method, paid_amount, currency, "
         "created_ms) VALUES(?, ?, ?, ?, ?, ?)")
      .Bind(1, number)
      .Bind(2, channel)
      .Bind(3, method)
      .Bind(4, amount)
      .Bind(5, currency)
      .Bind(6, clock_.now_ms())
      .Run();
  std::int64_t line_no = 0;
  for (const auto& line : *lines) {
    if (!line.is_object())
      Refuse(400, "invalid_field", "each line is {\"gtin\",\"serial\",\"name\",\"price\"}");
    const std::string gtin = GtinField(line);
    const std::string serial = *StringField(line, "serial", true);
    if (auto other = NumberOfUnit(db_, gtin, serial)) {
      Refuse(409, "unit_in_another_order",
             "unit " + gtin + " serial " + serial + " is already in order " + *other);
    }
    db_.Cached(
           "INSERT INTO online_order_lines(number, line_no, gtin, serial, name, price) "
           "VALUES(?, ?, ?, ?, ?, ?)")
        .Bind(1, number)
        .Bind(2, ++line_no)
        .Bind(3, gtin)
        .Bind(4, serial)
        .Bind(5, StringField(line, "name", false).value_or(""))
        .Bind(6, *IntField(line, "price", true, 0, 1'000'000'000'000))
        .Run();
  }
  std::string body = OrderJson(number);
  tx.Commit();
  return Reply{200, std::move(body), {}};
}

std::string OnlineOrders::OrderJson(const std::string& number) {
  auto head = db_.Cached(
      "SELECT channel, paid_method, paid_amount, currency, created_ms FROM online_orders "
      "WHERE number = ?");
  head.Bind(1, number);
  if (!head.Step()) Refuse(404, "order_not_found", "there is no online order " + number);
  json order{{"number", number},
             {"channel", head.Text(0)},
             {"currency", head.Text(3)},
             {"paid", {{"method", head.Text(1)}, {"amount", head.Int(2)}}},
             {"created_at", FormatTimestamp(head.Int(4))}};
  json lines = json::array();
  auto st = db_.Cached(
      "SELECT line_no, gtin, serial, name, price, return_id, returned_store FROM "
      "online_order_lines WHERE number = ? ORDER BY line_no");
  st.Bind(1, number);
  while (st.Step()) {
    json line{{"line_no", st.Int(0)}, {"gtin", st.Text(1)},          {"serial", st.Text(2)},
              {"name", st.Text(3)},   {"price", st.Int(4)},          {"returned", !st.IsNull(5)},
              {"return_id", nullptr}, {"returned_at_store", nullptr}};
    if (!st.IsNull(5)) {
      line["return_id"] = st.Text(5);
      line["returned_at_store"] = st.Text(6);
    }
    lines.push_back(std::move(line));
  }
  order["lines"] = std::move(lines);
  json refunds = json::array();
  auto rf = db_.Cached(
      "SELECT return_id, amount, currency, store_id, device_id, at_ms FROM online_refunds "
      "WHERE number = ? ORDER BY n");
  rf.Bind(1, number);
  while (rf.Step()) {
    refunds.push_back(json{{"return_id", rf.Text(0)},
                           {"amount", rf.Int(1)},
                           {"currency", rf.Text(2)},
                           {"to", order["paid"]["method"]},
                           {"store_id", rf.Text(3)},
                           {"device_id", rf.Text(4)},
                           {"at", FormatTimestamp(rf.Int(5))}});
  }
  order["refunds"] = std::move(refunds);
  return Dump(order);
}

Reply OnlineOrders::Show(const std::string& number) { return Reply{200, OrderJson(number), {}}; }

Reply OnlineOrders::Lookup(const Request& r) {
  const auto query = QueryOf(r.target);
  const auto number = query.find("number");
  const auto gtin = query.find("gtin");
  const auto serial = query.find("serial");
  if (number != query.end() && !number->second.empty()) {
    return Reply{200, OrderJson(number->second), {}};
  }
  if (gtin == query.end() || serial == query.end() || serial->second.empty()) {
    Refuse(400, "bad_request", "give ?number=N or ?gtin=G&serial=S");
  }
  const std::string g = GtinOf(gtin->second);
  auto found = NumberOfUnit(db_, g, serial->second);
  if (!found) {
    Refuse(404, "order_not_found", "no online order holds unit " + g + " serial " + serial->second);
  }
  return Reply{200, OrderJson(*found), {}};
}

std::string OnlineOrders::PayloadProblem(const std::string& payload_json) {
  const json p = json::parse(payload_json, nullptr, false);
  if (!p.is_object()) return "the payload must be an object";
  for (const char* name : {"return_id", "order_no", "currency", "refund_via"}) {
    auto it = p.find(name);
    if (it == p.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
      return std::string("a return needs its \"") + name + "\" (a non-empty string)";
  }
  auto amount = p.find("amount");
  if (amount == p.end() || !amount->is_number_integer() || amount->get<std::int64_t>() < 0)
    return "a return needs its \"amount\" (an integer >= 0, minor units)";
  auto units = p.find("units");
  if (units == p.end() || !units->is_array() || units->empty())
    return "a return needs its \"units\" (a non-empty array)";
  for (const auto& u : *units) {
    if (!u.is_object() || Text(u, "gtin").empty() || Text(u, "serial").empty())
      return "each returned unit is {\"gtin\",\"serial\"}";
  }
  return "";
}

void OnlineOrders::Received(const Caller& c, const std::string& payload_json) {
  const json p = json::parse(payload_json);
  const std::string return_id = Text(p, "return_id");
  const std::string number = Text(p, "order_no");
  auto alert = [&](const std::string& code, const std::string& message, json extra) {
    json data{{"code", code}, {"message", message}, {"order_no", number}, {"return_id", return_id}};
    for (auto& [k, v] : extra.items()) data[k] = v;
    feed_.Append(c.store, "alert", Dump(data));
  };
  std::int64_t returned_now = 0;
  std::int64_t price_now = 0;
  std::size_t named = 0;
  for (const auto& u : p["units"]) {
    ++named;
    const std::string gtin = Text(u, "gtin");
    const std::string serial = Text(u, "serial");
    auto st = db_.Cached(
        "SELECT line_no, return_id, price FROM online_order_lines WHERE number = ? AND gtin = ? "
        "AND serial = ?");
    st.Bind(1, number).Bind(2, gtin).Bind(3, serial);
    if (!st.Step()) {
      alert("online_return_unknown_unit",
            "return " + return_id + " names unit " + gtin + " serial " + serial +
                " that online order " + number + " does not hold",
            json{{"gtin", gtin}, {"serial", serial}});
      continue;
    }
    const std::int64_t line_no = st.Int(0);
    const std::int64_t price = st.Int(2);
    if (!st.IsNull(1)) {
      const std::string first = st.Text(1);
      if (first != return_id) {
        alert("online_return_twice",
              "unit " + gtin + " serial " + serial + " of online order " + number +
                  " was returned by " + first + " and again by " + return_id + "; refunded once",
              json{{"gtin", gtin}, {"serial", serial}, {"returns", {first, return_id}}});
      }
      continue;
    }
    db_.Cached(
           "UPDATE online_order_lines SET return_id = ?, returned_store = ? WHERE number = ? "
           "AND line_no = ?")
        .Bind(1, return_id)
        .Bind(2, c.store)
        .Bind(3, number)
        .Bind(4, line_no)
        .Run();
    ++returned_now;
    price_now += price;
  }
  if (returned_now == 0) return;
  // The customer's original payment gets the return's amount back; a return
  // that was only partly new refunds the new units' prices, never more.
  const std::int64_t amount = static_cast<std::size_t>(returned_now) == named
                                  ? p["amount"].get<std::int64_t>()
                                  : std::min(price_now, p["amount"].get<std::int64_t>());
  db_.Cached(
         "INSERT INTO online_refunds(number, return_id, store_id, device_id, amount, currency, "
         "at_ms) VALUES(?, ?, ?, ?, ?, ?, ?)")
      .Bind(1, number)
      .Bind(2, return_id)
      .Bind(3, c.store)
      .Bind(4, c.device)
      .Bind(5, amount)
      .Bind(6, Text(p, "currency"))
      .Bind(7, clock_.now_ms())
      .Run();
}

}  // namespace sa::omssim
