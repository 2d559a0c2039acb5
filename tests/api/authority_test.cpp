// SPDX-License-Identifier: Apache-2.0
// Issue 18 over real HTTP against the real daemon: who may do what. Manager
// actions refused for a cashier and done with a manager's session or PIN,
// which the event names; refund limits per role from the config.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon_support.hpp"
#include "demo_catalog.hpp"
#include "event_stream.hpp"
#include "shop.hpp"

using nlohmann::json;
using namespace sa::testing;

TEST_CASE(
    "manager actions are refused for a cashier and done with a manager's PIN, which the "
    "event names",
    "[api][manager]") {
  Shop shop;
  shop.AddCashier("ann", "4826");
  shop.AddCashier("mia", "7391", "manager");
  Api ann = shop.As("ann", "4826", "till-1");
  const json sold =
      shop.Sell(ann, kScarf, "M1", json::array({{{"method", "cash"}, {"amount", 60000}}}));
  const std::string sale = sold["id"];
  auto refund = [&](const json& approval) {
    json body = {{"sale_id", sale}, {"serials", {"M1"}}};
    if (!approval.is_null()) body["approval"] = approval;
    return ann.Post("/v1/refunds", body.dump());
  };
  const std::string none = shop.Ledger("SELECT count(*) FROM refunds");
  REQUIRE(none == "0");

  SECTION("refused, each with its own code, and nothing written") {
    CHECK(ErrorCode(refund(nullptr), 403) == "manager_required");
    CHECK(ErrorCode(refund({{"manager", "mia"}, {"pin", "0000"}}), 403) == "invalid_approval");
    CHECK(ErrorCode(refund({{"manager", "nobody"}, {"pin", "7391"}}), 403) == "invalid_approval");
    // A cashier's own PIN is not a manager's.
    CHECK(ErrorCode(refund({{"manager", "ann"}, {"pin", "4826"}}), 403) == "invalid_approval");
    CHECK(ErrorCode(refund({{"manager", "mia"}}), 400) == "missing_field");
    CHECK(ErrorCode(refund({{"manager", "mia"}, {"pin", "12"}}), 400) == "invalid_pin");
    CHECK(ErrorCode(refund("mia:7391"), 400) == "invalid_field");
    CHECK(ErrorCode(ann.Post("/v1/sales/" + sale + "/void", R"({"reason":"x"})"), 403) ==
          "manager_required");
    // Overriding an order's hold and releasing an order are asked before anything else.
    auto open = ann.Post("/v1/sales", "{}");
    const std::string cart = open.json()["id"];
    CHECK(ErrorCode(ann.Post("/v1/sales/" + cart + "/scans",
                             json{{"payload", shop.Label(kTote, "M2")},
                                  {"override", {{"manager", "mia"}, {"reason", "x"}}}}
                                 .dump()),
                    403) == "manager_required");
    CHECK(ErrorCode(ann.Post("/v1/reservations/o-1/release", "{}"), 403) == "manager_required");
    CHECK(ErrorCode(shop.api.Post("/v1/reservations/o-1/release", "{}"), 404) ==
          "reservation_not_found");
    CHECK(shop.Ledger("SELECT count(*) FROM refunds") == "0");
    CHECK(shop.Ledger("SELECT count(*) FROM outbox WHERE type <> 'sale.completed'") == "0");
    // A cart is still the cashier's to drop.
    CHECK(ann.Post("/v1/sales/" + cart + "/void", "{}").status == 200);
  }
  SECTION("a refund with the manager's PIN names the manager") {
    auto r = refund({{"manager", "mia"}, {"pin", "7391"}});
    INFO(r.body);
    REQUIRE(r.status == 201);
    CHECK(r.json()["approved_by"] == json{{"manager", "mia"}, {"via", "pin"}});
    const json event =
        json::parse(shop.Ledger("SELECT payload FROM outbox WHERE type = 'refund.completed'"));
    CHECK(event["approved_by"] == json{{"manager", "mia"}, {"via", "pin"}});
    CHECK(shop.Ledger("SELECT approved_by || '/' || approved_via FROM refunds") == "mia/pin");
  }
  SECTION("a post-void with the manager's PIN names the manager and puts the unit back") {
    auto r = ann.Post(
        "/v1/sales/" + sale + "/void",
        json{{"reason", "wrong customer"}, {"approval", {{"manager", "mia"}, {"pin", "7391"}}}}
            .dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.json()["status"] == "completed");
    CHECK(r.json()["post_void"]["approved_by"] == json{{"manager", "mia"}, {"via", "pin"}});
    CHECK(r.json()["post_void"]["amount"] == 59900);
    const json event =
        json::parse(shop.Ledger("SELECT payload FROM outbox WHERE type = 'sale.voided'"));
    CHECK(event["post_void"] == true);
    CHECK(event["approved_by"]["manager"] == "mia");
    CHECK(shop.Ledger("SELECT state FROM units WHERE serial = 'M1'") == "in_stock");
    CHECK(ErrorCode(ann.Post("/v1/sales/" + sale + "/void",
                             json{{"reason", "again"},
                                  {"approval", {{"manager", "mia"}, {"pin", "7391"}}}}
                                 .dump()),
                    409) == "sale_already_voided");
  }
  SECTION("a manager's own session needs no PIN; the API token neither") {
    Api mia = shop.As("mia", "7391", "till-2");
    auto r = mia.Post("/v1/refunds", json{{"sale_id", sale}, {"serials", {"M1"}}}.dump());
    REQUIRE(r.status == 201);
    CHECK(r.json()["approved_by"] == json{{"manager", "mia"}, {"via", "session"}});
    const json again =
        shop.Sell(ann, kTote, "M3", json::array({{{"method", "card"}, {"amount", 12900}}}));
    auto v = shop.api.Post("/v1/sales/" + again["id"].get<std::string>() + "/void",
                           R"({"reason":"test sale"})");
    REQUIRE(v.status == 200);
    CHECK(v.json()["post_void"]["approved_by"] == json{{"manager", nullptr}, {"via", "api_token"}});
  }
  SECTION("guessing a manager's PIN is throttled like a login") {
    for (int i = 0; i < 5; ++i) {
      CHECK(ErrorCode(refund({{"manager", "mia"}, {"pin", "000" + std::to_string(i)}}), 403) ==
            "invalid_approval");
    }
    CHECK(ErrorCode(refund({{"manager", "mia"}, {"pin", "7391"}}), 429) == "too_many_attempts");
    CHECK(shop.Ledger("SELECT count(*) FROM refunds") == "0");
  }
}

TEST_CASE("closing another cashier's shift needs a manager, whom the shift.closed event names",
          "[api][manager][shift]") {
  Shop shop;
  shop.AddCashier("ann", "4826");
  shop.AddCashier("bob", "5937");
  shop.AddCashier("mia", "7391", "manager");
  Api ann = shop.As("ann", "4826", "till-1");
  Api bob = shop.As("bob", "5937", "till-2");
  auto a = ann.Post("/v1/shifts", R"({"terminal":"till-1","opening_float":0})");
  auto b = bob.Post("/v1/shifts", R"({"terminal":"till-2","opening_float":0})");
  REQUIRE(a.status == 201);
  REQUIRE(b.status == 201);
  const std::string ann_shift = a.json()["id"];
  const std::string bob_shift = b.json()["id"];

  CHECK(ErrorCode(bob.Post("/v1/shifts/" + ann_shift + "/close", R"({"counted_cash":0})"), 403) ==
        "manager_required");
  CHECK(ErrorCode(
            bob.Post("/v1/shifts/" + ann_shift + "/close",
                     json{{"counted_cash", 0}, {"approval", {{"manager", "mia"}, {"pin", "1111"}}}}
                         .dump()),
            403) == "invalid_approval");
  CHECK(shop.api.Get("/v1/shifts/" + ann_shift).json()["status"] == "open");
  CHECK(shop.Ledger("SELECT count(*) FROM outbox WHERE type = 'shift.closed'") == "0");

  auto closed = bob.Post(
      "/v1/shifts/" + ann_shift + "/close",
      json{{"counted_cash", 0}, {"approval", {{"manager", "mia"}, {"pin", "7391"}}}}.dump());
  INFO(closed.body);
  REQUIRE(closed.status == 200);
  const json by = {{"cashier", "bob"}, {"approved_by", {{"manager", "mia"}, {"via", "pin"}}}};
  CHECK(closed.json()["shift"]["closed_by"] == by);
  CHECK(closed.json()["report"]["closed_by"] == by);
  CHECK(json::parse(shop.Ledger("SELECT payload FROM outbox WHERE type = 'shift.closed'"))
            .at("closed_by") == by);

  // Bob's own shift is his to close, and records no approval.
  auto own = bob.Post("/v1/shifts/" + bob_shift + "/close", R"({"counted_cash":0})");
  REQUIRE(own.status == 200);
  CHECK(own.json()["shift"]["closed_by"] == json{{"cashier", "bob"}, {"approved_by", nullptr}});
}

TEST_CASE(
    "refund limits per role come from the config: a cashier alone up to theirs, a manager up "
    "to theirs, the API token any amount",
    "[api][manager][refund]") {
  TempDir conf("sa-limits-conf");
  const auto toml = conf.path() / "agent.toml";
  std::ofstream(toml) << "[refunds]\ncashier_limit_minor = 20000\nmanager_limit_minor = 50000\n";
  Shop shop({"--config", toml.string()});
  shop.AddCashier("ann", "4826");
  shop.AddCashier("mia", "7391", "manager");
  Api ann = shop.As("ann", "4826", "till-1");
  const json cash = json::array({{{"method", "cash"}, {"amount", 60000}}});
  const std::string tote = shop.Sell(ann, kTote, "L1", cash)["id"];    // 129.00
  const std::string scarf = shop.Sell(ann, kScarf, "L2", cash)["id"];  // 599.00
  // Two totes in one sale: 258.00, over the cashier's 200.00, under the manager's 500.00.
  auto open = ann.Post("/v1/sales", "{}");
  REQUIRE(open.status == 201);
  const std::string pair = open.json()["id"];
  for (const char* serial : {"L3", "L4"}) {
    REQUIRE(ann.Post("/v1/sales/" + pair + "/scans",
                     json{{"payload", shop.Label(kTote, serial)}}.dump())
                .status == 200);
  }
  REQUIRE(ann.Post("/v1/sales/" + pair + "/complete", json{{"payments", cash}}.dump()).status ==
          200);
  auto refund = [&](const Api& who, const std::string& sale, const json& serials,
                    const json& approval) {
    json body = {{"sale_id", sale}, {"serials", serials}};
    if (!approval.is_null()) body["approval"] = approval;
    return who.Post("/v1/refunds", body.dump());
  };
  const json mia_pin = {{"manager", "mia"}, {"pin", "7391"}};

  // Over a limit: refused before anything is written, saying whose limit.
  auto over = refund(ann, pair, {"L3", "L4"}, nullptr);
  CHECK(ErrorCode(over, 403) == "manager_required");
  CHECK(over.json()["error"]["message"].get<std::string>().find("258.00") != std::string::npos);
  CHECK(ErrorCode(refund(ann, scarf, {"L2"}, mia_pin), 403) == "refund_over_limit");
  Api mia = shop.As("mia", "7391", "till-2");
  CHECK(ErrorCode(refund(mia, scarf, {"L2"}, nullptr), 403) == "refund_over_limit");
  CHECK(shop.Ledger("SELECT count(*) FROM refunds") == "0");
  CHECK(shop.Ledger("SELECT count(*) FROM outbox WHERE type = 'refund.completed'") == "0");
  CHECK(shop.Ledger("SELECT state FROM units WHERE serial = 'L2'") == "sold");

  // Under the cashier's limit: the cashier alone, and the event names no manager.
  auto own = refund(ann, tote, {"L1"}, nullptr);
  INFO(own.body);
  REQUIRE(own.status == 201);
  CHECK(own.json()["approved_by"].is_null());
  CHECK(own.json()["amount"] == 12900);
  CHECK(json::parse(shop.Ledger("SELECT payload FROM outbox WHERE type = 'refund.completed'"))
            .at("approved_by")
            .is_null());
  CHECK(shop.Ledger("SELECT state FROM units WHERE serial = 'L1'") == "in_stock");

  // Between the limits: the manager's PIN approves it.
  auto approved = refund(ann, pair, {"L3", "L4"}, mia_pin);
  INFO(approved.body);
  REQUIRE(approved.status == 201);
  CHECK(approved.json()["approved_by"] == json{{"manager", "mia"}, {"via", "pin"}});

  // Over the manager's: the store's API token (storectl) may.
  auto owner = refund(shop.api, scarf, {"L2"}, nullptr);
  INFO(owner.body);
  REQUIRE(owner.status == 201);
  CHECK(owner.json()["approved_by"] == json{{"manager", nullptr}, {"via", "api_token"}});
  CHECK(shop.Ledger("SELECT count(*) FROM refunds") == "3");
}

TEST_CASE(
    "the drawer opened without a sale is a manager's action: recorded with its event, kicked "
    "once through the till's printer, counted in the report",
    "[api][manager][drawer]") {
  TempDir conf("sa-drawer-conf");
  const auto lp0 = conf.path() / "lp0";
  std::ofstream(lp0).close();
  const auto toml = conf.path() / "agent.toml";
  std::ofstream(toml) << "[printer]\ntarget = \"" << lp0.string() << "\"\nauto = false\n";
  Shop shop({"--config", toml.string()});
  shop.AddCashier("ann", "4826");
  shop.AddCashier("mia", "7391", "manager");
  Api ann = shop.As("ann", "4826", "till-1");
  auto opened = ann.Post("/v1/shifts", R"({"terminal":"till-1","opening_float":10000})");
  REQUIRE(opened.status == 201);
  const std::string sid = opened.json()["id"];
  auto open_drawer = [&](const Api& who, const json& body) {
    return who.Post("/v1/terminals/till-1/drawer", body.dump());
  };
  const json mia_pin = {{"manager", "mia"}, {"pin", "7391"}};

  // Refused, each with its own code; nothing written, nothing sent to the drawer.
  CHECK(ErrorCode(open_drawer(ann, {{"reason", "change for a 100"}}), 403) == "manager_required");
  CHECK(ErrorCode(open_drawer(ann, {{"reason", "change"},
                                    {"approval", {{"manager", "mia"}, {"pin", "1111"}}}}),
                  403) == "invalid_approval");
  CHECK(ErrorCode(open_drawer(ann, {{"approval", mia_pin}}), 400) == "invalid_reason");
  CHECK(ErrorCode(open_drawer(ann, {{"reason", std::string(201, 'x')}, {"approval", mia_pin}}),
                  400) == "invalid_reason");
  CHECK(ErrorCode(shop.api.Post("/v1/terminals/till%201/drawer", R"({"reason":"x"})"), 400) ==
        "invalid_terminal");
  CHECK(ErrorCode(ann.Post("/v1/terminals/till-1/drawer", "[1]"), 400) == "invalid_json");
  CHECK(shop.Ledger("SELECT count(*) FROM drawer_opens") == "0");
  CHECK(shop.Ledger("SELECT count(*) FROM outbox WHERE type = 'drawer.opened'") == "0");
  CHECK(Slurp(lp0.string()).empty());

  // With the manager's PIN: the record names both, the kick is the drawer's pulse, once.
  auto ok = open_drawer(ann, {{"reason", "change for a 100"}, {"approval", mia_pin}});
  INFO(ok.body);
  REQUIRE(ok.status == 201);
  const json d = ok.json()["drawer_open"];
  CHECK(d["terminal"] == "till-1");
  CHECK(d["shift_id"] == sid);
  CHECK(d["cashier"] == "ann");
  CHECK(d["reason"] == "change for a 100");
  CHECK(d["approved_by"] == json{{"manager", "mia"}, {"via", "pin"}});
  CHECK(ok.json()["kick"]["printed"] == true);
  CHECK(ok.json()["kick"]["drawer_open_id"] == d["id"]);
  CHECK(Slurp(lp0.string()) == std::string("\x1b\x70\x00\x19\xfa", 5));
  const json event =
      json::parse(shop.Ledger("SELECT payload FROM outbox WHERE type = 'drawer.opened'"));
  CHECK(event == d);
  CHECK(shop.Ledger("SELECT approved_by || '/' || approved_via || '/' || cashier FROM "
                    "drawer_opens") == "mia/pin/ann");

  // A manager's own session needs no PIN; the report counts both openings.
  Api mia = shop.As("mia", "7391", "till-1");
  REQUIRE(open_drawer(mia, {{"reason", "a note stuck"}}).status == 201);
  auto x = ann.Get("/v1/shifts/" + sid + "/report");
  REQUIRE(x.status == 200);
  CHECK(x.json()["no_sale"]["count"] == 2);
  CHECK(ann.Get("/v1/shifts/" + sid + "/report?format=text&locale=en")
            .body.find("no-sale drawer opens  x2") != std::string::npos);
  auto z = ann.Post("/v1/shifts/" + sid + "/close", R"({"counted_cash":10000})");
  REQUIRE(z.status == 200);
  CHECK(json::parse(shop.Ledger("SELECT payload FROM outbox WHERE type = 'shift.closed'"))
            .at("no_sale")
            .at("count") == 2);
}

TEST_CASE("a drawer opened at a till without a printer is recorded, and the kick is null",
          "[api][manager][drawer]") {
  Shop shop;
  auto r = shop.api.Post("/v1/terminals/till-9/drawer", R"({"reason":"count the float"})");
  INFO(r.body);
  REQUIRE(r.status == 201);
  CHECK(r.json()["kick"].is_null());
  CHECK(r.json()["drawer_open"]["approved_by"] == json{{"manager", nullptr}, {"via", "api_token"}});
  CHECK(r.json()["drawer_open"]["shift_id"].is_null());
  CHECK(shop.Ledger("SELECT count(*) FROM drawer_opens WHERE shift_id IS NULL") == "1");
}

namespace {

// Ann, a cashier at till-1, with a sale of one scarf (serial `serial`) open;
// Mia, a manager who approves with her PIN.
struct ScarfSale {
  Api ann;
  std::string sale;
  json scanned;  // the sale as the scan answered it
};
ScarfSale AnnSellsAScarf(Shop& shop, const std::string& serial) {
  shop.AddCashier("ann", "4826");
  shop.AddCashier("mia", "7391", "manager");
  ScarfSale out{shop.As("ann", "4826", "till-1"), "", nullptr};
  auto open = out.ann.Post("/v1/sales", "{}");
  REQUIRE(open.status == 201);
  out.sale = open.json()["id"];
  auto scanned = out.ann.Post("/v1/sales/" + out.sale + "/scans",
                              json{{"payload", shop.Label(kScarf, serial)}}.dump());
  REQUIRE(scanned.status == 200);
  out.scanned = scanned.json();
  return out;
}

}  // namespace

TEST_CASE(
    "a price changed at the till is a manager's action: the line keeps its catalog price, why "
    "and who approved it, in the sale's event and on the receipt",
    "[api][manager][price]") {
  Shop shop;
  auto [ann, sale, scanned] = AnnSellsAScarf(shop, "P1");
  const std::string line = std::to_string(scanned["lines"][0]["id"].get<std::int64_t>());
  const std::string path = "/v1/sales/" + sale + "/lines/" + line + "/price";
  const json mia_pin = {{"manager", "mia"}, {"pin", "7391"}};
  auto change = [&](json body) { return ann.Post(path, body.dump()); };

  // Refused, each with its own code; the sale unchanged.
  const std::string before = shop.Ledger("SELECT total_minor FROM sales WHERE id = '" + sale + "'");
  CHECK(before == "59900");
  CHECK(ErrorCode(change({{"unit_price", 50000}, {"reason", "damaged"}}), 403) ==
        "manager_required");
  CHECK(ErrorCode(change({{"unit_price", 50000},
                          {"reason", "damaged"},
                          {"approval", {{"manager", "mia"}, {"pin", "0000"}}}}),
                  403) == "invalid_approval");
  CHECK(ErrorCode(change({{"unit_price", 60000}, {"reason", "x"}, {"approval", mia_pin}}), 422) ==
        "price_above_list");
  CHECK(ErrorCode(change({{"unit_price", -1}, {"reason", "x"}, {"approval", mia_pin}}), 400) ==
        "invalid_amount");
  CHECK(ErrorCode(change({{"unit_price", 1.5}, {"reason", "x"}, {"approval", mia_pin}}), 400) ==
        "invalid_field");
  CHECK(ErrorCode(change({{"unit_price", 100}, {"approval", mia_pin}}), 400) == "invalid_reason");
  CHECK(ErrorCode(change({{"reason", "x"}, {"approval", mia_pin}}), 400) == "missing_field");
  CHECK(ErrorCode(ann.Post("/v1/sales/" + sale + "/lines/99/price",
                           json{{"unit_price", 1}, {"reason", "x"}, {"approval", mia_pin}}.dump()),
                  404) == "line_not_found");
  CHECK(ErrorCode(ann.Post("/v1/sales/" + sale + "/lines/x1/price", "{}"), 404) ==
        "line_not_found");
  CHECK(shop.Ledger("SELECT total_minor FROM sales WHERE id = '" + sale + "'") == before);

  // With the manager's PIN: 599.00 -> 450.00, twice the catalog price stays the first.
  REQUIRE(
      change({{"unit_price", 50000}, {"reason", "damaged box"}, {"approval", mia_pin}}).status ==
      200);
  auto r = change({{"unit_price", 45000}, {"reason", "price match"}, {"approval", mia_pin}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["total"] == 45000);
  const json changed = r.json()["lines"][0];
  CHECK(changed["unit_price"] == 45000);
  CHECK(changed["price_change"] == json{{"list_price", 59900},
                                        {"reason", "price match"},
                                        {"approved_by", {{"manager", "mia"}, {"via", "pin"}}}});

  auto done = ann.Post("/v1/sales/" + sale + "/complete",
                       json{{"payments", {{{"method", "cash"}, {"amount", 45000}}}}}.dump());
  INFO(done.body);
  REQUIRE(done.status == 200);
  const json event =
      json::parse(shop.Ledger("SELECT payload FROM outbox WHERE type = 'sale.completed'"));
  CHECK(event["total"] == 45000);
  CHECK(event["lines"][0]["price_change"]["list_price"] == 59900);
  CHECK(event["lines"][0]["price_change"]["approved_by"]["manager"] == "mia");
  const std::string text =
      shop.api.Get("/v1/sales/" + sale + "/receipt?width=58").json()["text"].get<std::string>();
  INFO(text);
  CHECK(text.find("list price 599.00, changed") != std::string::npos);
  // A completed sale's prices are what was paid.
  CHECK(ErrorCode(change({{"unit_price", 1}, {"reason", "x"}, {"approval", mia_pin}}), 409) ==
        "sale_not_open");
}

TEST_CASE(
    "a discount on the whole sale is a manager's action, recorded with who and why, and a cashier "
    "takes it off, and a coupon out, alone",
    "[api][manager][discount]") {
  Shop shop;
  const auto [ann, sale, scanned] = AnnSellsAScarf(shop, "S1");
  const std::string path = "/v1/sales/" + sale + "/discount";
  const json mia_pin = {{"manager", "mia"}, {"pin", "7391"}};
  auto give = [&](json body) { return ann.Post(path, body.dump()); };

  // Refused, each with its own code; the sale unchanged.
  CHECK(ErrorCode(give({{"percent_bp", 1000}, {"reason", "loyal customer"}}), 403) ==
        "manager_required");
  CHECK(ErrorCode(give({{"percent_bp", 1000},
                        {"reason", "loyal customer"},
                        {"approval", {{"manager", "mia"}, {"pin", "0000"}}}}),
                  403) == "invalid_approval");
  CHECK(ErrorCode(give({{"reason", "x"}, {"approval", mia_pin}}), 400) == "invalid_discount");
  CHECK(ErrorCode(
            give({{"percent_bp", 1000}, {"amount", 100}, {"reason", "x"}, {"approval", mia_pin}}),
            400) == "invalid_discount");
  CHECK(ErrorCode(give({{"percent_bp", 10001}, {"reason", "x"}, {"approval", mia_pin}}), 400) ==
        "invalid_discount");
  CHECK(ErrorCode(give({{"amount", 0}, {"reason", "x"}, {"approval", mia_pin}}), 400) ==
        "invalid_discount");
  CHECK(ErrorCode(give({{"amount", "5"}, {"reason", "x"}, {"approval", mia_pin}}), 400) ==
        "invalid_field");
  CHECK(ErrorCode(give({{"percent_bp", 1000}, {"approval", mia_pin}}), 400) == "invalid_reason");
  CHECK(ErrorCode(give({{"amount", 59901}, {"reason", "x"}, {"approval", mia_pin}}), 422) ==
        "discount_too_large");
  CHECK(shop.Ledger("SELECT total_minor FROM sales WHERE id = '" + sale + "'") == "59900");

  // With the manager's PIN: 599.00 less 10 % is 539.10.
  auto r = give({{"percent_bp", 1000}, {"reason", "loyal customer"}, {"approval", mia_pin}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["total"] == 53910);
  CHECK(r.json()["discount"] == json{{"percent_bp", 1000},
                                     {"amount", nullptr},
                                     {"applied", 5990},
                                     {"reason", "loyal customer"},
                                     {"approved_by", {{"manager", "mia"}, {"via", "pin"}}}});
  // The cashier takes it off alone (the price goes up), and a manager gives it again.
  auto off = ann.Delete(path);
  REQUIRE(off.status == 200);
  CHECK(off.json()["total"] == 59900);
  CHECK(off.json()["discount"].is_null());
  REQUIRE(give({{"amount", 900}, {"reason", "round down"}, {"approval", mia_pin}}).status == 200);
  CHECK(ErrorCode(ann.Delete("/v1/sales/" + sale + "/coupons/NOPE"), 404) == "coupon_not_in_sale");

  auto done = ann.Post(
      "/v1/sales/" + sale + "/complete",
      json{{"payments",
            {{{"method", "card"}, {"amount", 50000}}, {{"method", "cash"}, {"amount", 10000}}}}}
          .dump());
  INFO(done.body);
  REQUIRE(done.status == 200);
  CHECK(done.json()["total"] == 59000);
  CHECK(done.json()["change"] == 1000);
  const json event =
      json::parse(shop.Ledger("SELECT payload FROM outbox WHERE type = 'sale.completed'"));
  CHECK(event["discount"]["amount"] == 900);
  CHECK(event["discount"]["approved_by"]["manager"] == "mia");
  CHECK(event["lines"][0]["discounts"] ==
        json::parse(R"([{"promotion_id":"sale:manager","name":"sale discount","amount":900}])"));
  CHECK(ErrorCode(ann.Delete(path), 409) == "sale_not_open");
}

TEST_CASE("a post-void and an exchange print their slips on the till's printer",
          "[api][manager][receipt]") {
  TempDir conf("sa-slips-conf");
  const auto lp0 = conf.path() / "lp0";
  std::ofstream(lp0).close();
  const auto toml = conf.path() / "agent.toml";
  std::ofstream(toml) << "[printer]\ntarget = \"" << lp0.string() << "\"\nwidth_mm = 58\n";
  Shop shop({"--config", toml.string()});
  EventStreamClient events(shop.api);
  REQUIRE(events.WaitFor(
      [](const std::string& d) { return d.find(": store-agent events") != std::string::npos; }));
  auto printed = [&](const char* key, const std::string& id) {
    return events.WaitFor([&](const std::string& d) {
      return !FindEvent(d, "printer", [&](const json& j) {
                return j.value(key, "") == id && j.value("printed", false);
              }).is_null();
    });
  };
  const json card = json::array({{{"method", "card"}, {"amount", 59900}, {"ref", "POS-1"}}});

  // A post-void: its slip, with the money back by the sale's own method.
  const json voided = shop.Sell(shop.api, kScarf, "V1", card);
  REQUIRE(printed("sale_id", voided["id"]));
  auto v = shop.api.Post("/v1/sales/" + voided["id"].get<std::string>() + "/void",
                         R"({"reason":"charged twice"})");
  REQUIRE(v.status == 200);
  const std::string void_id = v.json()["post_void"]["id"];
  REQUIRE(printed("refund_id", void_id));
  std::string paper = Slurp(lp0.string());
  CHECK(paper.find("*** POST-VOID ***") != std::string::npos);

  // An exchange: the return's slip, then the new sale's receipt.
  const json sold = shop.Sell(shop.api, kScarf, "E1", card);
  REQUIRE(printed("sale_id", sold["id"]));
  const std::string cart = shop.OpenSale();
  REQUIRE(shop.Scan(cart, shop.Label(kScarf, "E2")).status == 200);
  auto ex =
      shop.api.Post("/v1/exchanges",
                    json{{"sale_id", sold["id"]}, {"serials", {"E1"}}, {"cart_id", cart}}.dump());
  INFO(ex.body);
  REQUIRE(ex.status == 201);
  REQUIRE(printed("refund_id", ex.json()["returned"]["id"]));
  REQUIRE(printed("sale_id", cart));
  paper = Slurp(lp0.string());
  const auto slip = paper.rfind("*** REFUND ***");
  REQUIRE(slip != std::string::npos);
  CHECK(paper.find("Exchange credit", slip) != std::string::npos);
}
