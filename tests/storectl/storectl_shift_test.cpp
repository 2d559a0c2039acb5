// SPDX-License-Identifier: Apache-2.0
// `storectl cashier ...` and `storectl shift ...` against the real daemon
// (--demo, an ephemeral port): what they print, --json, and the exit codes
// (0 ok, 1 usage, 2 no agent, 3 refused).
#include <catch2/catch.hpp>
#include <fstream>
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

std::vector<std::string> AgentArgs(const std::string& dir, std::vector<std::string> extra) {
  std::vector<std::string> args{"--demo", "--data-dir", dir, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

struct Store {
  explicit Store(std::vector<std::string> extra = {})
      : temp("sa-storectl-shift"), agent(SA_STORE_AGENT, AgentArgs(temp.path().string(), extra)) {
    api.url = agent.WaitReady();
    REQUIRE_FALSE(api.url.empty());
    api.token = sa::testing::Trimmed(sa::testing::Slurp((temp.path() / "api-token").string()));
  }
  sa::testing::RunResult Ctl(std::vector<std::string> args, const sa::testing::Env& env = {}) {
    args.push_back("--data-dir");
    args.push_back(temp.path().string());
    return sa::testing::RunProgram(SA_STORECTL, args, env);
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
  const sa::testing::ClosedPort closed;
  auto r = sa::testing::RunProgram(
      SA_STORECTL, {"shift", "list", "--data-dir", dir.path().string(), "--url", closed.url()});
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

// A store whose store.locale is zh-CN: storectl's human output in Chinese
// (the agent names the store's language in Content-Language), English again
// with --locale en or $STORE_AGENT_LOCALE, --json untouched.
TEST_CASE("storectl speaks the store's language: zh-CN from store.locale, en on request",
          "[storectl][i18n]") {
  sa::testing::TempDir conf("sa-storectl-zh");
  const auto toml = conf.path() / "agent.toml";
  { std::ofstream(toml) << "[store]\nlocale = \"zh-CN\"\n"; }
  Store s({"--config", toml.string()});

  auto add = s.Ctl({"cashier", "add", "ann", "--name", "Ann Lee", "--pin", "4826"});
  INFO(add.out << add.err);
  CHECK(add.exit_code == 0);
  CHECK(add.out == "收银员 ann  Ann Lee  收银员\n");
  CHECK(Contains(s.Ctl({"cashier", "list"}).out, "收银员 ann  Ann Lee  收银员"));

  auto opened = s.Ctl({"shift", "open", "--terminal", "till-1", "--opening-cash", "200"});
  INFO(opened.out << opened.err);
  REQUIRE(opened.exit_code == 0);
  CHECK(std::regex_search(opened.out, std::regex("^班次 [0-9a-f-]+  进行中  终端 till-1\n")));
  CHECK(Contains(opened.out, "备用金 200.00"));

  // The agent's refusal: what the screens say first, the agent's words after.
  auto again = s.Ctl({"shift", "open", "--terminal", "till-1", "--opening-cash", "0"});
  CHECK(again.exit_code == 3);
  CHECK(Contains(again.err, "storectl: shift_already_open: 本收银台已有班次在进行中 ("));

  // A sale shown in Chinese: the catalog's Chinese name, 合计, the status words.
  auto sale = s.api.Post("/v1/sales", R"({"terminal":"till-1"})");
  const std::string sale_id = sale.json()["id"];
  const auto brand = sa::crypto::SigningKey::FromPem(
                         sa::testing::Slurp((s.temp.path() / "demo/brand.key.pem").string()))
                         .value();
  const std::string gtin = "06950123450005";  // 真丝围巾 靛蓝, 599.00
  const std::string label = sa::codes::MakeDigitalLink("id.brand.example", gtin, "ZH1",
                                                       sa::codes::SignLabel(gtin, "ZH1", brand));
  REQUIRE(s.api.Post("/v1/sales/" + sale_id + "/scans", json{{"payload", label}}.dump()).status ==
          200);
  auto show = s.Ctl({"sale", "show", sale_id});
  INFO(show.out << show.err);
  CHECK(show.exit_code == 0);
  CHECK(Contains(show.out, "交易 " + sale_id + "  进行中  终端 till-1\n"));
  CHECK(Contains(show.out, "  1  真丝围巾 靛蓝  599.00  序列号 ZH1\n"));
  CHECK(Contains(show.out, "合计   599.00 CNY\n"));
  CHECK(Contains(show.out, "会员    无\n"));
  auto paid = s.Ctl({"sale", "complete", sale_id, "--pay", "cash:600"});
  CHECK(paid.exit_code == 0);
  CHECK(Contains(paid.out, "已付    现金 600.00\n"));
  CHECK(std::regex_search(paid.out, std::regex("状态    已完成  小票 [^ ]+  找零 1.00\n")));

  auto status = s.Ctl({"status"});
  CHECK(status.exit_code == 0);
  CHECK(Contains(status.out, "状态            正常\n"));
  CHECK(Contains(status.out, "待上传事件      "));

  auto drawer = s.Ctl({"printer", "drawer", "till-1", "--reason", "换零钱"});
  INFO(drawer.out << drawer.err);
  CHECK(drawer.exit_code == 0);
  CHECK(Contains(drawer.out, "终端 till-1 的钱箱已开（无交易）"));
  CHECK(Contains(drawer.out, "开钱箱指令：未发送（本终端没有打印机）"));

  // English on request, by flag or by the environment; --json is never translated.
  auto en = s.Ctl({"cashier", "list", "--locale", "en"});
  CHECK(en.out == "cashier ann  Ann Lee  cashier\n");
  auto env = s.Ctl({"cashier", "list"}, {{"STORE_AGENT_LOCALE", "en"}});
  CHECK(env.out == "cashier ann  Ann Lee  cashier\n");
  auto flag_wins = s.Ctl({"cashier", "list", "--locale", "zh-CN"}, {{"STORE_AGENT_LOCALE", "en"}});
  CHECK(flag_wins.out == "收银员 ann  Ann Lee  收银员\n");
  auto j = s.Ctl({"cashier", "list", "--json"});
  CHECK(json::parse(j.out)["cashiers"][0]["role"] == "cashier");

  // A language storectl does not have is a usage error, and nothing is asked.
  auto fr = s.Ctl({"cashier", "add", "bob", "--name", "Bob", "--pin", "1234", "--locale", "fr"});
  CHECK(fr.exit_code == 1);
  CHECK(Contains(fr.err, "invalid_locale"));
  auto bad_env = s.Ctl({"status"}, {{"STORE_AGENT_LOCALE", "zh-TW"}});
  CHECK(bad_env.exit_code == 1);
  CHECK(Contains(bad_env.err, "$STORE_AGENT_LOCALE is en or zh-CN"));
  CHECK(json::parse(s.Ctl({"cashier", "list", "--json"}).out)["cashiers"].size() == 1);
}

// An English store (the default) stays English, word for word as before.
TEST_CASE("storectl in an English store, and zh-CN on request", "[storectl][i18n]") {
  Store s;
  CHECK(s.Ctl({"cashier", "add", "ann", "--name", "Ann", "--pin", "4826"}).out ==
        "cashier ann  Ann  cashier\n");
  CHECK(s.Ctl({"cashier", "list", "--locale", "zh-CN"}).out == "收银员 ann  Ann  收银员\n");
  auto none = s.Ctl({"shift", "list", "--locale", "zh_CN"});
  CHECK(none.out == "没有班次\n");
}
