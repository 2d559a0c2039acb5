// SPDX-License-Identifier: Apache-2.0
// The demo daemon as a store with cashiers: for the HTTP tests of shifts,
// sessions and manager authority (shift_api_test, authority_test). Cashiers
// made and logged in, a unit sold, the ledger file read back with SQL.
#pragma once

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "demo_agent.hpp"

namespace sa::testing {

struct Shop : DemoAgent {
  explicit Shop(const std::vector<std::string>& extra = {}) : DemoAgent("sa-shop", extra) {}

  void AddCashier(const std::string& id, const std::string& pin,
                  const std::string& role = "cashier") {
    auto r = api.Post(
        "/v1/cashiers",
        nlohmann::json{{"id", id}, {"name", "Name of " + id}, {"pin", pin}, {"role", role}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 201);
  }
  HttpReply Login(const std::string& id, const std::string& pin,
                  const std::string& terminal = "till-1") {
    return Http("POST", api.url + "/v1/login",
                nlohmann::json{{"cashier", id}, {"pin", pin}, {"terminal", terminal}}.dump(),
                {"Content-Type: application/json"});
  }
  // A client with a cashier's session token instead of the API token.
  Api As(const std::string& id, const std::string& pin, const std::string& terminal = "till-1") {
    auto r = Login(id, pin, terminal);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return Api{api.url, r.json()["token"].get<std::string>()};
  }
  // Opens a sale as `who`, scans one unit, pays.
  nlohmann::json Sell(const Api& who, const std::string& gtin, const std::string& serial,
                      const nlohmann::json& payments) {
    auto open = who.Post("/v1/sales", "{}");
    REQUIRE(open.status == 201);
    const std::string id = open.json()["id"];
    REQUIRE(who.Post("/v1/sales/" + id + "/scans",
                     nlohmann::json{{"payload", Label(gtin, serial)}}.dump())
                .status == 200);
    auto done =
        who.Post("/v1/sales/" + id + "/complete", nlohmann::json{{"payments", payments}}.dump());
    INFO(done.body);
    REQUIRE(done.status == 200);
    return done.json();
  }
  std::string Ledger(const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((temp.path() / "ledger.db").string().c_str(), &db, SQLITE_OPEN_READONLY,
                            nullptr) == SQLITE_OK);
    std::string out;
    sqlite3_exec(
        db, sql.c_str(),
        [](void* acc, int n, char** vals, char**) {
          auto* s = static_cast<std::string*>(acc);
          for (int i = 0; i < n; ++i) *s += vals[i] ? vals[i] : "NULL";
          return 0;
        },
        &out, nullptr);
    sqlite3_close(db);
    return out;
  }
};

}  // namespace sa::testing
