// SPDX-License-Identifier: Apache-2.0
// Returns at the counter of orders bought online (BOPIS/BORIS), end to end:
// oms-sim's admin hook makes a purchase in the brand's mall; the store looks
// it up (by number, by scanning the unit), a manager takes the unit back,
// the unit sells again, and the cloud refunds the order exactly once, even
// through injected faults.
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>

#include "cloud_support.hpp"

using namespace sa::testing;

namespace {

std::string CodeOf(const HttpReply& r) {
  const json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

json WebOrder(const std::string& number, const std::vector<std::string>& serials) {
  json lines = json::array();
  for (const auto& s : serials)
    lines.push_back(
        json{{"gtin", kScarf}, {"serial", s}, {"name", "Silk scarf"}, {"price", 119900}});
  return json{{"number", number},
              {"channel", "mini_program"},
              {"lines", lines},
              {"paid", {{"method", "wechat_pay"}, {"amount", 119900 * serials.size()}}}};
}

}  // namespace

TEST_CASE("cloud: an online order is returned at the counter, sells again and is refunded once",
          "[cloud][online-return][faults]") {
  Cloud cloud(
      {"--fault-drop", "0.1", "--fault-error", "0.1", "--fault-cut", "0.2", "--seed", "11"});
  // The admin hook is never hurt by faults.
  REQUIRE(cloud.Admin("POST", "/admin/v1/online-orders", WebOrder("WX-9001", {"OR1", "OR2"}).dump())
              .status == 200);
  Agent agent({.cloud_url = cloud.url()});
  const Api& api = agent.api();

  // Looked up by number and by the unit's label (faults may need a retry:
  // a lookup is a read).
  auto lookup = [&](const std::string& query) {
    HttpReply r;
    for (int i = 0; i < 50; ++i) {
      r = api.Get("/v1/online-orders?" + query);
      if (r.status != 503) break;
    }
    return r;
  };
  const HttpReply by_number = lookup("number=WX-9001");
  INFO(by_number.body);
  REQUIRE(by_number.status == 200);
  CHECK(by_number.json().at("lines").size() == 2);
  CHECK(by_number.json().at("lines")[0].at("returned") == false);
  const std::string label = UnitCode(kScarf, "OR2");
  std::string escaped;
  for (const char ch : label) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(ch));
    escaped += std::isalnum(static_cast<unsigned char>(ch)) ? std::string(1, ch) : buf;
  }
  const HttpReply by_unit = lookup("code=" + escaped);
  INFO(by_unit.body);
  REQUIRE(by_unit.status == 200);
  CHECK(by_unit.json().at("number") == "WX-9001");
  CHECK(CodeOf(lookup("number=NOPE")) == "order_not_found");

  // A cashier alone may not take it back.
  REQUIRE(
      api.Post("/v1/cashiers",
               json{{"id", "c-ann"}, {"name", "Ann"}, {"pin", "2468"}, {"role", "cashier"}}.dump())
          .status == 201);
  const HttpReply login =
      Http("POST", api.url + "/v1/login",
           json{{"cashier", "c-ann"}, {"pin", "2468"}, {"terminal", "till-1"}}.dump(),
           {"Content-Type: application/json"});
  REQUIRE(login.status == 200);
  const Api ann{api.url, login.json().at("token").get<std::string>()};
  const json body{{"order_no", "WX-9001"}, {"serials", {"OR2"}}};
  CHECK(CodeOf(ann.Post("/v1/online-returns", body.dump())) == "manager_required");

  // The API token is a manager's: the unit comes back (retried under one
  // Idempotency-Key while the cloud's faults refuse the order's fetch).
  HttpReply returned;
  for (int i = 0; i < 50; ++i) {
    returned = api.Post("/v1/online-returns", body.dump(), "return-or2");
    if (returned.status != 503) break;
  }
  INFO(returned.body);
  REQUIRE(returned.status == 201);
  const json ret = returned.json();
  CHECK(ret.at("order_no") == "WX-9001");
  CHECK(ret.at("amount") == 119900);
  CHECK(ret.at("refund_via") == "cloud");
  CHECK(ret.at("approved_by").at("via") == "api_token");
  // A retry with the same key is the same answer, not a second return.
  HttpReply again;
  for (int i = 0; i < 50; ++i) {
    again = api.Post("/v1/online-returns", body.dump(), "return-or2");
    if (again.status != 503) break;
  }
  CHECK(again.status == 201);
  CHECK(again.json().at("return_id") == ret.at("return_id"));

  // Sellable: the unit scans into a new cart.
  const HttpReply cart = api.Post("/v1/sales", "{}");
  REQUIRE(cart.status == 201);
  const std::string cart_id = cart.json().at("id");
  const HttpReply scanned =
      api.Post("/v1/sales/" + cart_id + "/scans", json{{"payload", label}}.dump());
  INFO(scanned.body);
  CHECK(scanned.status == 200);
  REQUIRE(api.Post("/v1/sales/" + cart_id + "/void", "{}").status == 200);

  // Through the faults the cloud hears of it once and refunds once.
  REQUIRE(agent.Drain());
  const HttpReply shown = cloud.Admin("GET", "/admin/v1/online-orders/WX-9001");
  REQUIRE(shown.status == 200);
  const json order = shown.json();
  CHECK(order.at("lines")[0].at("returned") == false);
  CHECK(order.at("lines")[1].at("returned") == true);
  CHECK(order.at("lines")[1].at("return_id") == ret.at("return_id"));
  REQUIRE(order.at("refunds").size() == 1);
  CHECK(order.at("refunds")[0].at("amount") == 119900);
  int received = 0;
  for (const auto& e : cloud.Events("s1")) received += e.at("type") == "return.received" ? 1 : 0;
  CHECK(received == 1);

  // Bad returns each have their code and change nothing.
  const auto outbox = agent.Outbox().size();
  auto refused = [&](const json& b) {
    HttpReply r;
    for (int i = 0; i < 50; ++i) {
      r = api.Post("/v1/online-returns", b.dump());
      if (r.status != 503) break;
    }
    return CodeOf(r);
  };
  CHECK(refused(body) == "unit_already_returned");
  CHECK(refused(json{{"order_no", "WX-9001"}, {"serials", {"ZZ9"}}}) == "unit_not_in_order");
  CHECK(refused(json{{"order_no", "NOPE"}, {"serials", {"OR1"}}}) == "order_not_found");
  CHECK(refused(json{{"order_no", "WX-9001"}, {"serials", {"OR1"}}, {"refund_via", "cash"}}) ==
        "cash_refund_not_allowed");
  CHECK(agent.Outbox().size() == outbox);
  const json after = cloud.Admin("GET", "/admin/v1/online-orders/WX-9001").json();
  CHECK(after.at("refunds").size() == 1);
  CHECK(after.at("lines")[0].at("returned") == false);

  // Offline: the lookup says the cloud cannot be reached.
  cloud.Stop();
  const HttpReply offline = api.Get("/v1/online-orders?number=WX-9001");
  CHECK(offline.status == 503);
  CHECK(CodeOf(offline) == "cloud_unreachable");
}

TEST_CASE("cloud: an agent without a cloud cannot look online orders up",
          "[cloud][online-return]") {
  Agent agent({.cloud_url = ""});
  const HttpReply r = agent.api().Get("/v1/online-orders?number=WX-1");
  CHECK(r.status == 503);
  CHECK(CodeOf(r) == "cloud_unreachable");
  CHECK(CodeOf(agent.api().Get("/v1/online-orders")) == "missing_field");
}
