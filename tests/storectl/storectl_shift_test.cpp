// SPDX-License-Identifier: Apache-2.0
// `storectl cashier ...` and `storectl shift ...` against the real daemon
// (--demo, an ephemeral port): what they print, --json, and the exit codes
// (0 ok, 1 usage, 2 no agent, 3 refused).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "agent_process.hpp"
#include "codes.hpp"
#include "crypto.hpp"
#include "storectl_support.hpp"
#include "support.hpp"

using nlohmann::json;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

struct Store {
  Store()
      : temp("sa-storectl-shift"),
        agent(SA_STORE_AGENT,
              {"--demo", "--data-dir", temp.path().string(), "--listen", "127.0.0.1:0"}) {
    api.url = agent.WaitReady();
    REQUIRE_FALSE(api.url.empty());
    api.token = sa::testing::Trimmed(sa::testing::Slurp((temp.path() / "api-token").string()));
  }
  sa::testing::RunResult Ctl(std::vector<std::string> args) {
    args.push_back("--data-dir");
    args.push_back(temp.path().string());
    return sa::testing::RunProgram(SA_STORECTL, args);
  }
  sa::testing::TempDir temp;
  sa::testing::AgentProcess agent;
  sa::testing::Api api;
};

}  // namespace

TEST_CASE("storectl cashier add list pin and remove", "[storectl][cashier]") {
  Store s;
  auto add = s.Ctl({"cashier", "add", "ann", "--name", "Ann Lee", "--pin", "4826"});
  INFO(add.err);
  CHECK(add.exit_code == 0);
  CHECK(Contains(add.out, "cashier ann  Ann Lee  cashier"));
  auto mgr = s.Ctl(
      {"cashier", "add", "max", "--name", "Max", "--role", "manager", "--pin", "7777", "--json"});
  CHECK(mgr.exit_code == 0);
  CHECK(json::parse(mgr.out) == json{{"id", "max"}, {"name", "Max"}, {"role", "manager"}});
  auto list = s.Ctl({"cashier", "list", "--json"});
  REQUIRE(list.exit_code == 0);
  CHECK(json::parse(list.out)["cashiers"].size() == 2);
  CHECK(s.Ctl({"cashier", "pin", "ann", "--pin", "1111"}).exit_code == 0);
  CHECK(sa::testing::Http("POST", s.api.url + "/v1/login", R"({"cashier":"ann","pin":"1111"})")
            .status == 200);
  auto removed = s.Ctl({"cashier", "remove", "ann"});
  CHECK(removed.exit_code == 0);
  CHECK(Contains(removed.out, "cashier ann removed"));
  CHECK(Contains(s.Ctl({"cashier", "list"}).out, "(removed)"));
  CHECK(sa::testing::Http("POST", s.api.url + "/v1/login", R"({"cashier":"ann","pin":"1111"})")
            .status == 401);

  // Refusals: 3 with the agent's code; usage: 1.
  auto dup = s.Ctl({"cashier", "add", "max", "--name", "Max", "--pin", "1234", "--json"});
  CHECK(dup.exit_code == 3);
  CHECK(json::parse(dup.out)["error"]["code"] == "cashier_exists");
  auto bad_pin = s.Ctl({"cashier", "add", "bo", "--name", "Bo", "--pin", "12"});
  CHECK(bad_pin.exit_code == 3);
  CHECK(Contains(bad_pin.err, "invalid_pin"));
  // No --pin: read from stdin (here /dev/null: no PIN, refused).
  CHECK(s.Ctl({"cashier", "add", "bo", "--name", "Bo"}).exit_code == 3);
  CHECK(s.Ctl({"cashier", "pin", "nobody", "--pin", "1234"}).exit_code == 3);
  CHECK(s.Ctl({"cashier", "add", "bo", "--name", "Bo", "--role", "owner", "--pin", "1234"})
            .exit_code == 1);
  CHECK(s.Ctl({"cashier", "add", "bo"}).exit_code == 1);  // --name is required
}

TEST_CASE("storectl shift open close and the text Z report", "[storectl][shift]") {
  Store s;
  auto open = s.Ctl({"shift", "open", "--terminal", "till-1", "--opening-cash", "200", "--json"});
  INFO(open.err);
  REQUIRE(open.exit_code == 0);
  const json shift = json::parse(open.out);
  const std::string id = shift["id"];
  CHECK(shift["opening_float"] == 20000);
  auto again = s.Ctl({"shift", "open", "--terminal", "till-1", "--opening-cash", "1"});
  CHECK(again.exit_code == 3);
  CHECK(Contains(again.err, "shift_already_open"));

  // One cash sale with change, through the API.
  auto sale = s.api.Post("/v1/sales", R"({"terminal":"till-1"})");
  const std::string sale_id = sale.json()["id"];
  const auto brand = sa::crypto::SigningKey::FromPem(
                         sa::testing::Slurp((s.temp.path() / "demo/brand.key.pem").string()))
                         .value();
  const std::string gtin = "06950123450043";  // 500 fen in the demo catalog
  const std::string label = sa::codes::MakeDigitalLink("id.brand.example", gtin, "SH1",
                                                       sa::codes::SignLabel(gtin, "SH1", brand));
  REQUIRE(s.api.Post("/v1/sales/" + sale_id + "/scans", json{{"payload", label}}.dump()).status ==
          200);
  REQUIRE(s.api
              .Post("/v1/sales/" + sale_id + "/complete",
                    R"({"payments":[{"method":"cash","amount":1000}]})")
              .status == 200);

  auto x = s.Ctl({"shift", "report", id});
  CHECK(x.exit_code == 0);
  CHECK(Contains(x.out, "X REPORT"));
  auto list = s.Ctl({"shift", "list", "--status", "open", "--json"});
  REQUIRE(list.exit_code == 0);
  CHECK(json::parse(list.out)["shifts"][0]["id"] == id);

  auto close = s.Ctl({"shift", "close", id, "--counted", "205"});
  INFO(close.out);
  CHECK(close.exit_code == 0);
  CHECK(Contains(close.out, "Z REPORT"));
  CHECK(Contains(close.err, "events_pending_sync"));  // no cloud: the sale waits to sync
  auto z = s.Ctl({"shift", "report", id});
  CHECK(z.exit_code == 0);
  CHECK(Contains(z.out, "Z REPORT (shift closed)"));
  CHECK(Contains(z.out, "sales  x1"));
  CHECK(std::regex_search(z.out, std::regex(R"(\n  expected +205\.00\n)")));
  CHECK(std::regex_search(z.out, std::regex(R"(\n  change given +-5\.00\n)")));
  CHECK(std::regex_search(z.out, std::regex(R"(\n  variance +0\.00\n)")));
  auto zj = s.Ctl({"shift", "report", id, "--json"});
  REQUIRE(zj.exit_code == 0);
  CHECK(json::parse(zj.out)["cash"]["expected"] == 20500);

  CHECK(s.Ctl({"shift", "close", id, "--counted", "1"}).exit_code == 3);  // shift_not_open
  CHECK(s.Ctl({"shift", "report", "nope"}).exit_code == 3);
  CHECK(s.Ctl({"shift", "open", "--terminal", "till-2", "--opening-cash", "abc"}).exit_code == 1);
  CHECK(s.Ctl({"shift", "open", "--opening-cash", "1"}).exit_code == 1);  // --terminal is required
  CHECK(s.Ctl({"shift", "list", "--status", "lost"}).exit_code == 1);
  auto help = s.Ctl({"shift", "close", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(Contains(help.out, "--counted"));
}

TEST_CASE("storectl shift without an agent exits 2", "[storectl][shift]") {
  sa::testing::TempDir dir("sa-storectl-none");
  { std::ofstream(dir.path() / "api-token") << "tok\n"; }
  auto r = sa::testing::RunProgram(
      SA_STORECTL, {"shift", "list", "--data-dir", dir.path().string(), "--url",
                    "http://127.0.0.1:" + std::to_string(sa::testing::ClosedPort())});
  CHECK(r.exit_code == 2);
}

TEST_CASE("storectl printer drawer opens a till's drawer without a sale, counted in its shift",
          "[storectl][drawer]") {
  Store s;
  auto opened = s.api.Post("/v1/shifts", R"({"terminal":"till-1","opening_float":0})");
  REQUIRE(opened.status == 201);
  const std::string shift = opened.json()["id"];
  auto r = s.Ctl({"printer", "drawer", "till-1", "--reason", "count the float"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "drawer of till-1 opened without a sale"));
  CHECK(Contains(r.out, "(count the float)"));
  CHECK(Contains(r.out, "shift: " + shift));
  CHECK(Contains(r.out, "kick: not sent (this terminal has no printer)"));
  auto j = s.Ctl({"printer", "drawer", "till-1", "--reason", "again", "--json"});
  REQUIRE(j.exit_code == 0);
  CHECK(json::parse(j.out)["drawer_open"]["approved_by"] ==
        json{{"manager", nullptr}, {"via", "api_token"}});
  CHECK(s.api.Get("/v1/shifts/" + shift + "/report").json()["no_sale"]["count"] == 2);
  // Refused by the agent: exit 3 with its reason; a missing reason is a usage error.
  auto bad = s.Ctl({"printer", "drawer", "till 1", "--reason", "x"});
  CHECK(bad.exit_code == 3);
  CHECK(Contains(bad.err, "invalid_terminal"));
  CHECK(s.Ctl({"printer", "drawer", "till-1"}).exit_code == 1);
}
