// SPDX-License-Identifier: Apache-2.0
// Issue 9 over real HTTP against the real daemon: cashier logins and
// sessions, shifts and the Z report, the shift.closed event, PINs never in
// the ledger file, the screens and the receipt's claim QR code.
#define ZX_USE_UTF8 1
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "codes.hpp"
#include "crypto.hpp"
#include "demo_catalog.hpp"
#include "shop.hpp"

using nlohmann::json;
using namespace sa::testing;

namespace {

const json& Method(const json& report, const std::string& m) {
  for (const auto& t : report["by_method"]) {
    if (t["method"] == m) return t;
  }
  FAIL("no method " << m << " in " << report.dump());
  static const json none;
  return none;
}

std::string ReadBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("cashier login: ok and wrong PIN and unknown id alike and throttled", "[api][login]") {
  Shop shop;
  shop.AddCashier("ann", "4826");
  auto ok = shop.Login("ann", "4826");
  REQUIRE(ok.status == 200);
  const json j = ok.json();
  CHECK(j["token"].get<std::string>().size() >= 32);
  CHECK(j["cashier"] == json{{"id", "ann"}, {"name", "Name of ann"}, {"role", "cashier"}});
  CHECK(j["terminal"] == "till-1");
  CHECK(j["expires_at"].is_string());
  // A wrong PIN and an unknown id get the same answer.
  auto wrong = shop.Login("ann", "4827");
  auto unknown = shop.Login("nobody", "4826");
  CHECK(ErrorCode(wrong, 401) == "invalid_login");
  CHECK(ErrorCode(unknown, 401) == "invalid_login");
  CHECK(wrong.body == unknown.body);
  // Five failures in a row lock the cashier out, the right PIN included.
  for (int i = 0; i < 4; ++i) CHECK(ErrorCode(shop.Login("ann", "0000"), 401) == "invalid_login");
  CHECK(ErrorCode(shop.Login("ann", "4826"), 429) == "too_many_attempts");
  // Another cashier is not locked; a manager's PIN reset lifts the lockout.
  shop.AddCashier("bob", "5555");
  CHECK(shop.Login("bob", "5555").status == 200);
  REQUIRE(shop.api.Post("/v1/cashiers/ann/pin", R"({"pin":"9999"})").status == 200);
  CHECK(shop.Login("ann", "9999").status == 200);
  CHECK(ErrorCode(shop.Login("ann", "4826"), 401) == "invalid_login");
}

TEST_CASE("login bad input is a typed 400 and logs nobody in", "[api][login][bad_input]") {
  Shop shop;
  shop.AddCashier("ann", "4826");
  const std::string u = shop.api.url + "/v1/login";
  auto post = [&](const std::string& body) { return sa::testing::Http("POST", u, body); };
  CHECK(ErrorCode(post(""), 400) == "invalid_json");
  CHECK(ErrorCode(post("{\"cashier\":\"ann\""), 400) == "invalid_json");
  CHECK(ErrorCode(post("[]"), 400) == "invalid_json");
  CHECK(ErrorCode(post("{\"cashier\":\"ann\"}"), 400) == "missing_field");
  CHECK(ErrorCode(post("{\"pin\":\"4826\"}"), 400) == "missing_field");
  CHECK(ErrorCode(post("{\"cashier\":\"ann\",\"pin\":4826}"), 400) == "invalid_field");
  CHECK(ErrorCode(post("{\"cashier\":\"ann\",\"pin\":\"4826\",\"terminal\":\"a b\"}"), 400) ==
        "invalid_field");
  CHECK(ErrorCode(post("{\"cashier\":\"a/b\",\"pin\":\"4826\"}"), 401) == "invalid_login");
  CHECK(ErrorCode(post("{\"cashier\":\"ann\",\"pin\":\"" + std::string(70000, '1') + "\"}"), 413) ==
        "body_too_large");
  CHECK(ErrorCode(sa::testing::Http("GET", u), 405) == "method_not_allowed");
  CHECK(shop.Login("ann", "4826").status == 200);  // none of these counted as wrong PINs
}

TEST_CASE("session tokens work on sale routes and not on admin routes", "[api][session]") {
  Shop shop;
  shop.AddCashier("ann", "4826");
  shop.AddCashier("max", "7777", "manager");
  Api ann = shop.As("ann", "4826", "till-2");
  // A cashier's sale records the cashier and the session's terminal.
  auto open = ann.Post("/v1/sales", "{}");
  REQUIRE(open.status == 201);
  CHECK(open.json()["cashier"] == "ann");
  CHECK(open.json()["terminal"] == "till-2");
  CHECK(shop.api.Post("/v1/sales", "{}").json()["cashier"].is_null());
  CHECK(ann.Get("/v1/sales/" + open.json()["id"].get<std::string>()).status == 200);
  CHECK(ann.Get("/v1/sync").status == 200);
  CHECK(ann.Get("/v1/stock/" + std::string(kScarf)).status == 200);
  // Admin routes: the API token or a manager.
  CHECK(ErrorCode(ann.Get("/v1/cashiers"), 403) == "forbidden");
  CHECK(ErrorCode(ann.Post("/v1/cashiers", R"({"id":"eve","name":"Eve","pin":"1234"})"), 403) ==
        "forbidden");
  Api max = shop.As("max", "7777");
  auto list = max.Get("/v1/cashiers");
  REQUIRE(list.status == 200);
  CHECK(list.json()["cashiers"].size() == 2);
  CHECK(list.body.find("pin") == std::string::npos);  // no hashes, no salts
  // GET /v1/session: who, where, and the terminal's open shift.
  auto session = ann.Get("/v1/session");
  REQUIRE(session.status == 200);
  CHECK(session.json()["cashier"]["id"] == "ann");
  CHECK(session.json()["terminal"] == "till-2");
  CHECK(session.json()["shift"].is_null());
  REQUIRE(ann.Post("/v1/shifts", R"({"opening_float":1000})").status == 201);
  CHECK(ann.Get("/v1/session").json()["shift"]["terminal"] == "till-2");
  CHECK(ann.Get("/v1/session").json()["shift"]["cashier"] == "ann");
  // Logging out ends the token; a made-up token is no session.
  REQUIRE(ann.Post("/v1/logout", "{}").status == 200);
  CHECK(ErrorCode(ann.Get("/v1/session"), 401) == "unauthorized");
  CHECK(ErrorCode(Api{shop.api.url, "made-up"}.Get("/v1/sales/x"), 401) == "unauthorized");
  // Removing a cashier ends their sessions and their logins.
  Api bob_session = max;
  REQUIRE(shop.api.Delete("/v1/cashiers/max").status == 200);
  CHECK(ErrorCode(bob_session.Get("/v1/session"), 401) == "unauthorized");
  CHECK(ErrorCode(shop.Login("max", "7777"), 401) == "invalid_login");
}

TEST_CASE("cashier admin bad input is typed and changes nothing", "[api][cashier][bad_input]") {
  Shop shop;
  shop.AddCashier("ann", "4826");
  const std::string before = shop.api.Get("/v1/cashiers").body;
  struct Case {
    std::string path, body;
    long status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"/v1/cashiers", "", 400, "invalid_json"},
      {"/v1/cashiers", R"({"name":"A","pin":"1234"})", 400, "missing_field"},
      {"/v1/cashiers", R"({"id":"bo","pin":"1234"})", 400, "missing_field"},
      {"/v1/cashiers", R"({"id":"bo","name":"Bo"})", 400, "missing_field"},
      {"/v1/cashiers", R"({"id":"bo","name":"Bo","pin":1234})", 400, "invalid_field"},
      {"/v1/cashiers", R"({"id":"bo","name":"Bo","pin":"12"})", 400, "invalid_pin"},
      {"/v1/cashiers", R"({"id":"bo","name":"Bo","pin":"123456789"})", 400, "invalid_pin"},
      {"/v1/cashiers", R"({"id":"bo","name":"Bo","pin":"12a4"})", 400, "invalid_pin"},
      {"/v1/cashiers", R"({"id":"b o","name":"Bo","pin":"1234"})", 400, "invalid_cashier_id"},
      {"/v1/cashiers", R"({"id":"bo","name":"","pin":"1234"})", 400, "invalid_name"},
      {"/v1/cashiers", R"({"id":"bo","name":"Bo","pin":"1234","role":"owner"})", 400,
       "invalid_role"},
      {"/v1/cashiers", R"({"id":"ann","name":"Ann","pin":"1234"})", 409, "cashier_exists"},
      {"/v1/cashiers/nobody/pin", R"({"pin":"1234"})", 404, "cashier_not_found"},
      {"/v1/cashiers/ann/pin", R"({"pin":"1"})", 400, "invalid_pin"},
      {"/v1/cashiers/ann/pin", R"({})", 400, "missing_field"},
  };
  for (const auto& c : cases) {
    INFO(c.path << " " << c.body);
    CHECK(ErrorCode(shop.api.Post(c.path, c.body), c.status) == c.code);
  }
  CHECK(ErrorCode(shop.api.Delete("/v1/cashiers/nobody"), 404) == "cashier_not_found");
  CHECK(ErrorCode(shop.api.Get("/v1/cashiers/ann"), 405) == "method_not_allowed");
  CHECK(shop.api.Get("/v1/cashiers").body == before);
  CHECK(shop.Login("ann", "4826").status == 200);  // the PIN is unchanged
}

TEST_CASE("a shift's Z report over HTTP has every figure right and its event", "[api][shift]") {
  Shop shop;
  shop.AddCashier("ann", "4826");
  Api ann = shop.As("ann", "4826", "till-1");
  auto opened = ann.Post("/v1/shifts", R"({"terminal":"till-1","opening_float":20000})");
  REQUIRE(opened.status == 201);
  const json shift = opened.json();
  const std::string sid = shift["id"];
  CHECK(shift["status"] == "open");
  CHECK(shift["cashier"] == "ann");
  CHECK(shift["opening_float"] == 20000);
  CHECK(shift["counted_cash"].is_null());
  CHECK(ErrorCode(shop.api.Post("/v1/shifts", R"({"terminal":"till-1","opening_float":0})"), 409) ==
        "shift_already_open");

  const json a =
      shop.Sell(ann, kScarf, "Z1", json::array({{{"method", "cash"}, {"amount", 60000}}}));
  CHECK(a["change"] == 100);
  CHECK(a["cashier"] == "ann");
  CHECK(a["shift_id"] == sid);
  shop.Sell(ann, kWrap, "Z2", json::array({{{"method", "cash"}, {"amount", 1000}}}));  // change 500
  const json z3 = shop.Sell(ann, kTote, "Z3",
                            json::array({{{"method", "card"}, {"amount", 12900}, {"ref", "T"}}}));
  auto v = ann.Post("/v1/sales", "{}");
  const std::string vid = v.json()["id"];
  REQUIRE(ann.Post("/v1/sales/" + vid + "/scans", json{{"payload", shop.Label(kTote, "Z4")}}.dump())
              .status == 200);
  REQUIRE(ann.Post("/v1/sales/" + vid + "/void", "{}").status == 200);
  // A refund and a post-void at ann's till, each with a manager's PIN.
  shop.AddCashier("mia", "7391", "manager");
  const json by_mia = {{"manager", "mia"}, {"pin", "7391"}};
  REQUIRE(ann.Post("/v1/refunds",
                   json{{"sale_id", a["id"]}, {"serials", {"Z1"}}, {"approval", by_mia}}.dump())
              .status == 201);
  REQUIRE(ann.Post("/v1/sales/" + z3["id"].get<std::string>() + "/void",
                   json{{"reason", "rang up twice"}, {"approval", by_mia}}.dump())
              .status == 200);

  auto x = ann.Get("/v1/shifts/" + sid + "/report");  // X report while open
  REQUIRE(x.status == 200);
  CHECK(x.json()["closed_at"].is_null());
  CHECK(x.json()["cash"]["variance"].is_null());

  auto closed = ann.Post("/v1/shifts/" + sid + "/close", R"({"counted_cash":20400})");
  INFO(closed.body);
  REQUIRE(closed.status == 200);
  const json c = closed.json();
  CHECK(c["shift"]["status"] == "closed");
  CHECK(c["shift"]["counted_cash"] == 20400);
  const json r = c["report"];
  CHECK(r["shift_id"] == sid);
  CHECK(r["terminal"] == "till-1");
  CHECK(r["cashier"] == "ann");
  CHECK(r["currency"] == "CNY");
  CHECK(r["closed_at"].is_string());
  CHECK(r["sales"] == json{{"count", 3}, {"total", 59900 + 500 + 12900}});
  CHECK(r["refunds"] == json{{"count", 1}, {"total", 59900}});
  CHECK(r["voids"] == json{{"count", 1}});
  CHECK(r["post_voids"] == json{{"count", 1}, {"total", 12900}});
  CHECK(r["by_method"].size() == 2);
  CHECK(Method(r, "cash") ==
        json{{"method", "cash"}, {"sales", 60400}, {"refunds", 59900}, {"net", 500}});
  CHECK(Method(r, "card") ==
        json{{"method", "card"}, {"sales", 12900}, {"refunds", 12900}, {"net", 0}});
  CHECK(r["cash"] == json{{"opening_float", 20000},
                          {"sales", 61000},
                          {"refunds", 59900},
                          {"change_given", 600},
                          {"expected", 20500},
                          {"counted", 20400},
                          {"variance", -100}});
  // No cloud here: every event is still waiting, and the close says so.
  CHECK(r["pending_events"].get<std::int64_t>() >= 5);
  REQUIRE(c["warnings"].size() == 1);
  CHECK(c["warnings"][0]["code"] == "events_pending_sync");
  CHECK(c["warnings"][0]["pending_events"] == r["pending_events"]);
  // The shift.closed event in the outbox carries the report, as committed.
  const std::string payload = shop.Ledger("SELECT payload FROM outbox WHERE type = 'shift.closed'");
  CHECK(json::parse(payload) == r);
  json again = shop.api.Get("/v1/shifts/" + sid + "/report").json();
  CHECK(again["pending_events"] ==
        r["pending_events"].get<std::int64_t>() + 1);  // shift.closed itself
  again.erase("pending_events");
  json without = r;
  without.erase("pending_events");
  CHECK(again == without);

  CHECK(ErrorCode(ann.Post("/v1/shifts/" + sid + "/close", R"({"counted_cash":1})"), 409) ==
        "shift_not_open");
  auto list = shop.api.Get("/v1/shifts?terminal=till-1&status=closed");
  REQUIRE(list.status == 200);
  REQUIRE(list.json()["shifts"].size() == 1);
  CHECK(list.json()["shifts"][0]["id"] == sid);
  CHECK(shop.api.Get("/v1/shifts?status=open").json()["shifts"].empty());
  CHECK(shop.api.Get("/v1/shifts/" + sid).json()["status"] == "closed");
}

TEST_CASE(
    "a return at the counter: the sale found by receipt number among 8 terminals' sales, "
    "or by scanning a unit of it, then refunded by its receipt number",
    "[api][refund]") {
  Shop shop;
  std::vector<json> sold;
  for (int t = 1; t <= 8; ++t) {
    Api till{shop.api.url, shop.api.token};
    auto open = till.Post("/v1/sales", json{{"terminal", "till-" + std::to_string(t)}}.dump());
    REQUIRE(open.status == 201);
    const std::string id = open.json()["id"];
    const std::string serial = "R" + std::to_string(t);
    REQUIRE(
        till.Post("/v1/sales/" + id + "/scans", json{{"payload", shop.Label(kTote, serial)}}.dump())
            .status == 200);
    auto done = till.Post(
        "/v1/sales/" + id + "/complete",
        json{{"payments", {{{"method", "wechat"}, {"amount", 12900}, {"ref", "WX-" + serial}}}}}
            .dump());
    REQUIRE(done.status == 200);
    sold.push_back(done.json());
  }
  const json& fifth = sold[4];
  const std::string receipt = fifth["receipt_no"];
  auto found = shop.api.Get("/v1/sales?receipt_no=" + receipt);
  INFO(found.body);
  REQUIRE(found.status == 200);
  CHECK(found.json()["id"] == fifth["id"]);
  CHECK(found.json()["terminal"] == "till-5");
  // Scanning the unit finds the same sale (the label percent-encoded in the query).
  std::string code;
  for (unsigned char c : shop.Label(kTote, "R5")) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", c);
    code += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string(buf);
  }
  auto by_unit = shop.api.Get("/v1/sales?code=" + code);
  INFO(by_unit.body);
  REQUIRE(by_unit.status == 200);
  CHECK(by_unit.json()["id"] == fifth["id"]);

  CHECK(ErrorCode(shop.api.Get("/v1/sales"), 400) == "missing_field");
  CHECK(ErrorCode(shop.api.Get("/v1/sales?receipt_no=" + receipt + "&code=" + code), 400) ==
        "missing_field");
  CHECK(ErrorCode(shop.api.Get("/v1/sales?when=today"), 400) == "invalid_field");
  CHECK(ErrorCode(shop.api.Get("/v1/sales?receipt_no=12345"), 400) == "invalid_receipt_no");
  CHECK(ErrorCode(shop.api.Get("/v1/sales?receipt_no=other-box-000005"), 422) ==
        "receipt_other_device");
  const std::string forged = receipt.substr(0, receipt.rfind('-')) + "-999999";
  CHECK(ErrorCode(shop.api.Get("/v1/sales?receipt_no=" + forged), 404) == "receipt_not_found");
  CHECK(ErrorCode(shop.api.Get("/v1/sales?code=" + kTote), 422) == "not_a_unit");

  // Refunded by its receipt number, to the wallet payment it came from.
  CHECK(ErrorCode(
            shop.api.Post("/v1/refunds", json{{"receipt_no", forged}, {"serials", {"R5"}}}.dump()),
            404) == "receipt_not_found");
  CHECK(
      ErrorCode(
          shop.api.Post(
              "/v1/refunds",
              json{{"receipt_no", receipt}, {"sale_id", fifth["id"]}, {"serials", {"R5"}}}.dump()),
          400) == "invalid_field");
  CHECK(ErrorCode(shop.api.Post("/v1/refunds", json{{"receipt_no", receipt}}.dump()), 400) ==
        "missing_field");
  CHECK(ErrorCode(
            shop.api.Post(
                "/v1/refunds",
                json{{"receipt_no", receipt}, {"items", {{{"gtin", kTote}, {"qty", 1}}}}}.dump()),
            422) == "gtin_not_in_sale");
  CHECK(shop.Ledger("SELECT count(*) FROM refunds") == "0");
  auto refund =
      shop.api.Post("/v1/refunds", json{{"receipt_no", receipt}, {"serials", {"R5"}}}.dump());
  INFO(refund.body);
  REQUIRE(refund.status == 201);
  CHECK(refund.json()["sale_id"] == fifth["id"]);
  CHECK(refund.json()["payments"] ==
        json::array({{{"method", "wechat"}, {"amount", 12900}, {"ref", "WX-R5"}}}));
  CHECK(ErrorCode(shop.api.Get("/v1/sales?code=" + code), 404) == "unit_not_sold");
}

TEST_CASE(
    "an exchange at the counter: a cashier needs a manager's PIN, one size back, another out, "
    "the difference paid back, in one step and one event",
    "[api][exchange]") {
  Shop shop;
  shop.AddCashier("ann", "4826");
  shop.AddCashier("mia", "7391", "manager");
  Api ann = shop.As("ann", "4826", "till-1");
  const json sold =
      shop.Sell(ann, kScarf, "X1", json::array({{{"method", "cash"}, {"amount", 60000}}}));
  auto open = ann.Post("/v1/sales", "{}");
  REQUIRE(open.status == 201);
  const std::string cart = open.json()["id"];
  REQUIRE(
      ann.Post("/v1/sales/" + cart + "/scans", json{{"payload", shop.Label(kTote, "X2")}}.dump())
          .status == 200);
  json body = {{"receipt_no", sold["receipt_no"]}, {"serials", {"X1"}}, {"cart_id", cart}};
  const std::string events_before = shop.Ledger("SELECT count(*) FROM outbox");

  CHECK(ErrorCode(ann.Post("/v1/exchanges", body.dump()), 403) == "manager_required");
  json no_cart = body;
  no_cart.erase("cart_id");
  CHECK(ErrorCode(ann.Post("/v1/exchanges", no_cart.dump()), 400) == "missing_field");
  json bad_payments = body;
  bad_payments["payments"] = "cash";
  CHECK(ErrorCode(ann.Post("/v1/exchanges", bad_payments.dump()), 400) == "invalid_field");
  body["approval"] = {{"manager", "mia"}, {"pin", "7391"}};
  json paying = body;
  paying["payments"] = {{{"method", "cash"}, {"amount", 100}}};
  CHECK(ErrorCode(ann.Post("/v1/exchanges", paying.dump()), 422) == "payment_mismatch");
  CHECK(shop.Ledger("SELECT count(*) FROM outbox") == events_before);
  CHECK(shop.Ledger("SELECT count(*) FROM refunds") == "0");

  auto done = ann.Post("/v1/exchanges", body.dump());
  INFO(done.body);
  REQUIRE(done.status == 201);
  const json ex = done.json();
  CHECK(ex["credit"] == 12900);
  CHECK(ex["difference"] == -47000);
  CHECK(ex["sale"]["id"] == cart);
  CHECK(ex["sale"]["status"] == "completed");
  CHECK(ex["sale"]["payments"][0] ==
        json{{"method", "exchange"}, {"amount", 12900}, {"ref", ex["id"]}});
  CHECK(ex["returned"]["sale_id"] == sold["id"]);
  CHECK(ex["returned"]["approved_by"] == json{{"manager", "mia"}, {"via", "pin"}});
  // 59900 came back: 12900 paid for the tote, 47000 in cash out of the drawer.
  CHECK(ex["returned"]["payments"] ==
        json::array({{{"method", "exchange"}, {"amount", 12900}, {"ref", ex["id"]}},
                     {{"method", "cash"}, {"amount", 47000}, {"ref", ""}}}));
  CHECK(shop.Ledger("SELECT group_concat(serial || ':' || state, ' ') FROM (SELECT serial, state "
                    "FROM units WHERE serial IN ('X1', 'X2') ORDER BY serial)") ==
        "X1:in_stock X2:sold");
  CHECK(shop.Ledger("SELECT count(*) FROM outbox") == std::to_string(std::stoi(events_before) + 1));
  const json event =
      json::parse(shop.Ledger("SELECT payload FROM outbox WHERE type = 'exchange.completed'"));
  CHECK(event["exchange_id"] == ex["id"]);
  CHECK(event["refund"]["approved_by"]["manager"] == "mia");
  CHECK(event["sale"]["id"] == cart);
  // The returned sale's line says it came back (what a return screen greys out).
  CHECK(shop.api.Get("/v1/sales/" + sold["id"].get<std::string>()).json()["lines"][0]["refunded"] ==
        1);
  // The cart is sold now; the returned unit is refunded.
  CHECK(ErrorCode(ann.Post("/v1/exchanges", body.dump()), 409) == "serial_already_refunded");
}

TEST_CASE("shift bad input is a typed 4xx and changes nothing", "[api][shift][bad_input]") {
  Shop shop;
  auto opened = shop.api.Post("/v1/shifts", R"({"terminal":"till-1","opening_float":100})");
  REQUIRE(opened.status == 201);
  const std::string sid = opened.json()["id"];
  const std::string before = shop.api.Get("/v1/shifts").body;
  struct Case {
    std::string path, body;
    long status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"/v1/shifts", "", 400, "invalid_json"},
      {"/v1/shifts", R"({"opening_float":100})", 400,
       "missing_field"},  // the API token has no terminal
      {"/v1/shifts", R"({"terminal":"till-2"})", 400, "missing_field"},
      {"/v1/shifts", R"({"terminal":"till-2","opening_float":"100"})", 400, "invalid_field"},
      {"/v1/shifts", R"({"terminal":"till-2","opening_float":1.5})", 400, "invalid_field"},
      {"/v1/shifts", R"({"terminal":"till-2","opening_float":18446744073709551615})", 400,
       "amount_overflow"},
      {"/v1/shifts", R"({"terminal":"till-2","opening_float":-1})", 400, "invalid_amount"},
      {"/v1/shifts", R"({"terminal":"till 2","opening_float":1})", 400, "invalid_terminal"},
      {"/v1/shifts", R"({"terminal":7,"opening_float":1})", 400, "invalid_field"},
      {"/v1/shifts/" + sid + "/close", R"({})", 400, "missing_field"},
      {"/v1/shifts/" + sid + "/close", R"({"counted_cash":-1})", 400, "invalid_amount"},
      {"/v1/shifts/" + sid + "/close", R"({"counted_cash":"1"})", 400, "invalid_field"},
      {"/v1/shifts/nope/close", R"({"counted_cash":1})", 404, "shift_not_found"},
  };
  for (const auto& c : cases) {
    INFO(c.path << " " << c.body);
    CHECK(ErrorCode(shop.api.Post(c.path, c.body), c.status) == c.code);
  }
  CHECK(ErrorCode(shop.api.Get("/v1/shifts/nope"), 404) == "shift_not_found");
  CHECK(ErrorCode(shop.api.Get("/v1/shifts/nope/report"), 404) == "shift_not_found");
  CHECK(ErrorCode(shop.api.Get("/v1/shifts?status=lost"), 400) == "invalid_field");
  CHECK(ErrorCode(shop.api.Get("/v1/shifts/" + sid + "/close"), 405) == "method_not_allowed");
  CHECK(shop.api.Get("/v1/shifts").body == before);
  CHECK(shop.Ledger("SELECT count(*) FROM outbox WHERE type = 'shift.closed'") == "0");
}

TEST_CASE("closing a shift with nothing waiting to sync has no warning", "[api][shift]") {
  Shop shop;
  auto opened = shop.api.Post("/v1/shifts", R"({"terminal":"till-1","opening_float":500})");
  REQUIRE(opened.status == 201);
  auto closed = shop.api.Post("/v1/shifts/" + opened.json()["id"].get<std::string>() + "/close",
                              R"({"counted_cash":500})");
  REQUIRE(closed.status == 200);
  CHECK(closed.json()["warnings"].empty());
  CHECK(closed.json()["report"]["pending_events"] == 0);
  CHECK(closed.json()["report"]["cash"]["variance"] == 0);
}

TEST_CASE("a PIN is never in the ledger file in plain text", "[api][cashier]") {
  Shop shop;
  const std::string pin = "73915864";
  shop.AddCashier("ann", pin);
  REQUIRE(shop.Login("ann", pin).status == 200);
  std::string bytes;
  for (const char* f : {"ledger.db", "ledger.db-wal"}) bytes += ReadBytes(shop.temp.path() / f);
  REQUIRE(bytes.size() > 1000);
  CHECK(bytes.find(pin) == std::string::npos);
  CHECK(bytes.find(sa::crypto::ToHex(std::vector<std::uint8_t>(pin.begin(), pin.end()))) ==
        std::string::npos);
  CHECK(shop.Ledger("SELECT pin_iterations FROM cashiers") == "100000");
  CHECK(shop.Ledger("SELECT length(pin_salt) || ',' || length(pin_hash) FROM cashiers") == "32,64");
  CHECK(shop.agent.log().find(pin) == std::string::npos);
}

TEST_CASE("the screens are served without a token with a strict CSP", "[api][web]") {
  Shop shop;
  auto page = sa::testing::Http("GET", shop.api.url + "/");
  REQUIRE(page.status == 200);
  CHECK(page.Header("Content-Type") == "text/html; charset=utf-8");
  CHECK(page.Header("Content-Security-Policy") == "default-src 'self'");
  CHECK(page.Header("Cache-Control") == "no-cache");
  CHECK(page.body.find("html") != std::string::npos);
  auto store = sa::testing::Http("GET", shop.api.url + "/store");
  REQUIRE(store.status == 200);
  CHECK(store.Header("Content-Type") == "text/html; charset=utf-8");
  auto js = sa::testing::Http("GET", shop.api.url + "/ui/common.js");
  REQUIRE(js.status == 200);
  CHECK(js.Header("Content-Type") == "text/javascript; charset=utf-8");
  CHECK(js.Header("Content-Security-Policy") == "default-src 'self'");
  CHECK(ErrorCode(sa::testing::Http("GET", shop.api.url + "/ui/nope.js"), 404) == "not_found");
  CHECK(ErrorCode(sa::testing::Http("GET", shop.api.url + "/ui/%2e%2e/api-token"), 404) ==
        "not_found");
  CHECK(ErrorCode(sa::testing::Http("GET", shop.api.url + "/ui/.hidden"), 404) == "not_found");
  CHECK(ErrorCode(sa::testing::Http("POST", shop.api.url + "/", "{}"), 405) ==
        "method_not_allowed");
  // The API itself still needs a token.
  CHECK(ErrorCode(sa::testing::Http("GET", shop.api.url + "/v1/health"), 401) == "unauthorized");
}

TEST_CASE("store-agent --web-root serves the screens from a folder", "[api][web]") {
  sa::testing::TempDir web("sa-web-root");
  {
    std::ofstream(web.path() / "index.html") << "<!doctype html><title>from the web root</title>";
    std::ofstream(web.path() / "app.css") << "body{}";
  }
  Shop shop({"--web-root", web.path().string()});
  auto page = sa::testing::Http("GET", shop.api.url + "/");
  REQUIRE(page.status == 200);
  CHECK(page.body.find("from the web root") != std::string::npos);
  auto css = sa::testing::Http("GET", shop.api.url + "/ui/app.css");
  REQUIRE(css.status == 200);
  CHECK(css.Header("Content-Type") == "text/css; charset=utf-8");
  CHECK(css.body == "body{}");
  CHECK(sa::testing::Http("GET", shop.api.url + "/store").status == 404);  // not in that folder
}

TEST_CASE("claim-qr.svg draws the receipt's claim URL as a QR code ZXing reads back",
          "[api][receipt]") {
  Shop shop;
  const json sale =
      shop.Sell(shop.api, kScarf, "Q1", json::array({{{"method", "card"}, {"amount", 59900}}}));
  const std::string id = sale["id"];
  auto receipt = shop.api.Get("/v1/sales/" + id + "/receipt");
  REQUIRE(receipt.status == 200);
  const std::string claim_url = receipt.json()["claim_url"];
  auto svg = shop.api.Get("/v1/sales/" + id + "/claim-qr.svg");
  REQUIRE(svg.status == 200);
  CHECK(svg.Header("Content-Type") == "image/svg+xml");
  REQUIRE(svg.body.find("<svg") != std::string::npos);
  // Rasterise the SVG's unit squares ("M x y h n v1 h-n z", in modules) and decode it.
  const std::regex view(R"re(viewBox="0 0 (\d+) (\d+)")re");
  std::smatch m;
  REQUIRE(std::regex_search(svg.body, m, view));
  const int side = std::stoi(m[1]);
  constexpr int kScale = 4;
  const int px = side * kScale;
  std::vector<std::uint8_t> image(static_cast<std::size_t>(px * px), 255);
  const std::regex run(R"(M(\d+) (\d+)h(\d+)v1h-\d+z)");
  int runs = 0;
  for (auto it = std::sregex_iterator(svg.body.begin(), svg.body.end(), run);
       it != std::sregex_iterator(); ++it) {
    const int x = std::stoi((*it)[1]), y = std::stoi((*it)[2]), n = std::stoi((*it)[3]);
    ++runs;
    for (int yy = y * kScale; yy < (y + 1) * kScale; ++yy) {
      for (int xx = x * kScale; xx < (x + n) * kScale; ++xx)
        image[static_cast<std::size_t>(yy * px + xx)] = 0;
    }
  }
  REQUIRE(runs > 10);
  const auto read =
      ZXing::ReadBarcode(ZXing::ImageView(image.data(), px, px, ZXing::ImageFormat::Lum));
  REQUIRE(read.isValid());
  CHECK(read.text() == claim_url);

  // No claim URL with a member bound; none for a sale not completed.
  auto open = shop.api.Post("/v1/sales", "{}");
  const std::string open_id = open.json()["id"];
  CHECK(ErrorCode(shop.api.Get("/v1/sales/" + open_id + "/claim-qr.svg"), 409) ==
        "sale_not_completed");
  CHECK(ErrorCode(shop.api.Get("/v1/sales/nope/claim-qr.svg"), 404) == "sale_not_found");
  REQUIRE(shop.api
              .Post("/v1/sales/" + open_id + "/scans",
                    json{{"payload", shop.Label(kScarf, "Q2")}}.dump())
              .status == 200);
  REQUIRE(shop.api
              .Post("/v1/sales/" + open_id + "/member",
                    json{{"payload", sa::codes::MakeMemberCode(
                                         "M1", sa::SystemClock().now_ms() / 1000, shop.member)}}
                        .dump())
              .status == 200);
  REQUIRE(shop.api
              .Post("/v1/sales/" + open_id + "/complete",
                    json{{"payments", {{{"method", "card"}, {"amount", 59900}}}}}.dump())
              .status == 200);
  CHECK(ErrorCode(shop.api.Get("/v1/sales/" + open_id + "/claim-qr.svg"), 404) == "no_claim_url");
}

TEST_CASE("shift open and close honour an Idempotency-Key", "[api][shift]") {
  Shop shop;
  const std::string body = R"({"terminal":"till-1","opening_float":300})";
  auto first = shop.api.Post("/v1/shifts", body, "open-key-1");
  auto retry = shop.api.Post("/v1/shifts", body, "open-key-1");
  REQUIRE(first.status == 201);
  CHECK(retry.status == 201);
  CHECK(retry.body == first.body);  // the stored answer, not shift_already_open
  const std::string sid = first.json()["id"];
  const std::string close = "/v1/shifts/" + sid + "/close";
  auto closed = shop.api.Post(close, R"({"counted_cash":300})", "close-key-1");
  auto again = shop.api.Post(close, R"({"counted_cash":300})", "close-key-1");
  REQUIRE(closed.status == 200);
  CHECK(again.status == 200);
  CHECK(again.body == closed.body);
  CHECK(shop.Ledger("SELECT count(*) FROM outbox WHERE type = 'shift.closed'") == "1");
  CHECK(ErrorCode(shop.api.Post(close, R"({"counted_cash":1})", "close-key-1"), 409) ==
        "idempotency_key_reused");
}

TEST_CASE("a Chinese store (store.locale zh-CN, UTC+8): receipts, reports and the catalog",
          "[api][i18n]") {
  sa::testing::TempDir conf("sa-zh-conf");
  const auto toml = conf.path() / "agent.toml";
  std::ofstream(toml) << "[store]\nlocale = \"zh-CN\"\nutc_offset = \"+08:00\"\n";
  Shop shop({"--config", toml.string()});
  shop.AddCashier("ann", "4826");
  Api ann = shop.As("ann", "4826", "till-1");
  auto opened = ann.Post("/v1/shifts", R"({"terminal":"till-1","opening_float":20000})");
  REQUIRE(opened.status == 201);
  const std::string sid = opened.json()["id"];
  const json sale =
      shop.Sell(ann, kScarf, "ZH1", json::array({{{"method", "cash"}, {"amount", 60000}}}));

  // The receipt: Chinese labels, the sale's time on the store's clock.
  auto receipt = shop.api.Get("/v1/sales/" + sale["id"].get<std::string>() + "/receipt?width=58");
  REQUIRE(receipt.status == 200);
  const std::string text = receipt.json()["text"];
  INFO(text);
  CHECK(text.find("合计 CNY") != std::string::npos);
  CHECK(text.find("现金") != std::string::npos);
  CHECK(text.find("找零") != std::string::npos);
  CHECK(text.find("TOTAL") == std::string::npos);
  const std::string closed = shop.Ledger("SELECT closed_at_ms FROM sales WHERE id = '" +
                                         sale["id"].get<std::string>() + "'");
  REQUIRE_FALSE(closed.empty());
  const std::int64_t closed_ms = std::stoll(closed);
  // What `TZ=Asia/Shanghai date -d @SECONDS '+%F %H:%M'` prints (no DST in China).
  const std::time_t local = static_cast<std::time_t>(closed_ms / 1000 + 8 * 3600);
  std::tm tm{};
  REQUIRE(gmtime_r(&local, &tm));
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M", &tm);
  CHECK(text.find(std::string("日期            ") + stamp) != std::string::npos);

  // The X report as text, in Chinese, with the same clock.
  auto x = ann.Get("/v1/shifts/" + sid + "/report?format=text");
  REQUIRE(x.status == 200);
  CHECK(x.Header("Content-Type") == "text/plain; charset=utf-8");
  INFO(x.body);
  CHECK(x.body.find("X 报表 (班次进行中)") != std::string::npos);
  CHECK(x.body.find("销售  x1                  599.00") != std::string::npos);
  CHECK(x.body.find("备用金                  200.00") != std::string::npos);
  CHECK(ann.Get("/v1/shifts/" + sid + "/report?format=text&width=80")
            .body.find("收银台                                    till-1") != std::string::npos);
  CHECK(ann.Get("/v1/shifts/" + sid + "/report").json()["sales"]["count"] == 1);  // JSON as before
  // A screen in English asks for its own language; the store's stays the default.
  CHECK(ann.Get("/v1/shifts/" + sid + "/report?format=text&locale=en")
            .body.find("X REPORT (shift open)") != std::string::npos);
  const std::string sale_id = sale["id"];
  const std::string en_text =
      shop.api.Get("/v1/sales/" + sale_id + "/receipt?width=58&locale=en").json()["text"];
  CHECK(en_text.find("TOTAL CNY") != std::string::npos);
  CHECK(en_text.find(std::string("Date            ") + stamp) != std::string::npos);
  CHECK(ErrorCode(shop.api.Get("/v1/sales/" + sale_id + "/receipt?locale=fr"), 400) ==
        "invalid_field");
  CHECK(ErrorCode(ann.Get("/v1/shifts/" + sid + "/report?format=text&locale=fr"), 400) ==
        "invalid_field");
  CHECK(ErrorCode(ann.Get("/v1/shifts/" + sid + "/report?format=pdf"), 400) == "invalid_field");
  CHECK(ErrorCode(ann.Get("/v1/shifts/" + sid + "/report?width=57&format=text"), 400) ==
        "invalid_field");
  CHECK(ErrorCode(ann.Get("/v1/shifts/nope/report?format=text"), 404) == "shift_not_found");

  // The screens' catalog: the store's language by default, without a token.
  auto zh = sa::testing::Http("GET", shop.api.url + "/v1/messages");
  REQUIRE(zh.status == 200);
  CHECK(zh.json()["locale"] == "zh-CN");
  CHECK(zh.json()["store_locale"] == "zh-CN");
  CHECK(zh.json()["messages"]["receipt.total"] == "合计");
  auto en = sa::testing::Http("GET", shop.api.url + "/v1/messages?locale=en");
  REQUIRE(en.status == 200);
  CHECK(en.json()["locale"] == "en");
  CHECK(en.json()["messages"]["receipt.total"] == "TOTAL");
  CHECK(en.json()["messages"].size() == zh.json()["messages"].size());
  CHECK(ErrorCode(sa::testing::Http("GET", shop.api.url + "/v1/messages?locale=fr"), 400) ==
        "invalid_field");
}
