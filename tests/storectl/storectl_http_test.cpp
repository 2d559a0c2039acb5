// SPDX-License-Identifier: Apache-2.0
// storectl's agent commands without the daemon: amounts typed by people,
// demo codes minted from key files, the exit codes when nothing answers, the
// token, and every command against a scripted stand-in for the HTTP API (the
// request each one sends, and how each kind of answer is reported).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "codes.hpp"
#include "crypto.hpp"
#include "money_text.hpp"
#include "storectl_support.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using sa::testing::Env;
using sa::testing::FakeAgent;
using sa::testing::RunResult;
using sa::testing::TempDir;

namespace {

RunResult Storectl(const std::vector<std::string>& args, const Env& env = {}) {
  return sa::testing::RunProgram(SA_STORECTL, args, env);
}

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A data directory with a token in it, as the agent leaves it.
struct AgentDir {
  TempDir dir{"sa-storectl"};
  AgentDir() { WriteFile(dir.path() / "api-token", "tok-0123456789\n"); }
  std::string path() const { return dir.path().string(); }
};

const std::regex kUuidV7("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

const char kSale[] =
    R"({"id":"S1","status":"completed","terminal":"till-1","currency":"CNY",)"
    R"("total":59900,"lines":[{"id":"L1","gtin":"06950123450005",)"
    R"("serial":"Uxyz","name":"Silk scarf - indigo","unit_price":59900,"qty":1,)"
    R"("amount":59900,"signature":"valid"},{"id":"L2","gtin":"06950123450043",)"
    R"("serial":null,"name":"Gift wrap","unit_price":500,"qty":2,"amount":1000,)"
    R"("signature":"absent"}],"member":{"member_id":"M123456"},)"
    R"("payments":[{"method":"cash","amount":61000,"ref":null}],)"
    R"("tendered":61000,"change":100,"receipt_no":"D1-000001",)"
    R"("opened_at":"2026-01-01T10:00:00.000Z","closed_at":"2026-01-01T10:01:00.000Z"})";

}  // namespace

// ---- amounts ----------------------------------------------------------------

TEST_CASE("amounts are major units with up to 2 decimals, read with integers",
          "[storectl][money]") {
  using sa::storectl::ParseAmount;
  CHECK(ParseAmount("599").value() == 59900);
  CHECK(ParseAmount("599.5").value() == 59950);
  CHECK(ParseAmount("599.00").value() == 59900);
  CHECK(ParseAmount("599.05").value() == 59905);
  CHECK(ParseAmount("0.01").value() == 1);
  CHECK(ParseAmount("0").value() == 0);
  CHECK(ParseAmount("007.10").value() == 710);
  CHECK(ParseAmount("999999999999999.99").value() == 99999999999999999);
  for (const char* bad : {"", "1e3", "-1", "+1", "1.234", "abc", ".5", "5.", ".", "1,000", " 5",
                          "5 ", "1.2.3", "1..2", "0x10", "1000000000000000", "５"}) {
    INFO("amount '" << bad << "'");
    auto r = ParseAmount(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == "bad_amount");
    CHECK(r.error().kind == sa::ErrorKind::invalid_request);
  }
}

TEST_CASE("payments are METHOD:AMOUNT[:REF], amounts print as 599.00", "[storectl][money]") {
  using sa::storectl::FormatMinor;
  using sa::storectl::ParsePayment;
  auto cash = ParsePayment("cash:599.5");
  REQUIRE(cash.has_value());
  CHECK(cash->method == "cash");
  CHECK(cash->amount == 59950);
  CHECK_FALSE(cash->ref.has_value());
  auto card = ParsePayment("card:120:POS:778");
  REQUIRE(card.has_value());
  CHECK(card->amount == 12000);
  CHECK(card->ref == "POS:778");
  CHECK(ParsePayment("card:1:")->ref == "");
  CHECK_FALSE(ParsePayment("cash").has_value());
  CHECK_FALSE(ParsePayment(":5").has_value());
  CHECK_FALSE(ParsePayment("cash:").has_value());
  CHECK_FALSE(ParsePayment("cash:1e3").has_value());

  CHECK(FormatMinor(59900) == "599.00");
  CHECK(FormatMinor(59950) == "599.50");
  CHECK(FormatMinor(5) == "0.05");
  CHECK(FormatMinor(0) == "0.00");
  CHECK(FormatMinor(-5) == "-0.05");
  CHECK(FormatMinor(-12345) == "-123.45");
  CHECK(FormatMinor(std::numeric_limits<std::int64_t>::min()) == "-92233720368547758.08");
  CHECK(FormatMinor(std::numeric_limits<std::int64_t>::max()) == "92233720368547758.07");
}

TEST_CASE("storectl sale complete refuses a bad amount with exit 1 before any request",
          "[storectl][money]") {
  AgentDir dir;
  FakeAgent agent({});
  for (const char* bad : {"1e3", "-1", "1.234", "abc", "", "5."}) {
    INFO("amount '" << bad << "'");
    auto r = Storectl({"sale", "complete", "S1", "--pay", std::string("cash:") + bad, "--data-dir",
                       dir.path(), "--url", agent.url()});
    CHECK(r.exit_code == 1);
    CHECK(Contains(r.err, "bad_amount"));
    CHECK(r.out.empty());
  }
  CHECK(Storectl({"sale", "complete", "S1", "--pay", "cash", "--data-dir", dir.path(), "--url",
                  agent.url()})
            .exit_code == 1);
  CHECK(Storectl({"sale", "complete", "S1", "--data-dir", dir.path(), "--url", agent.url()})
            .exit_code == 1);  // --pay is required
  CHECK(agent.requests().empty());
}

// ---- demo codes -------------------------------------------------------------

TEST_CASE("storectl demo codes mints labels and a member code that verify with the keys",
          "[storectl][demo]") {
  TempDir dir("sa-storectl-demo");
  const auto brand = sa::crypto::SigningKey::Generate();
  const auto member = sa::crypto::SigningKey::Generate();
  WriteFile(dir.path() / "demo" / "brand.key.pem", brand.PrivatePem());
  WriteFile(dir.path() / "demo" / "member.key.pem", member.PrivatePem());
  const fs::path brand_pub = dir.path() / "brand.pub.pem";
  const fs::path member_pub = dir.path() / "member.pub.pem";
  WriteFile(brand_pub, brand.PublicPem());
  WriteFile(member_pub, member.PublicPem());
  const std::string data_dir = dir.path().string();

  auto inspect = [&](const std::string& code) {
    auto r = Storectl({"code", "inspect", code, "--json", "--keys", brand_pub.string(),
                       "--member-keys", member_pub.string()});
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
  };

  SECTION("--json: N labels for the demo scarf, one member code") {
    const auto before = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto r = Storectl({"demo", "codes", "3", "--json", "--data-dir", data_dir});
    REQUIRE(r.exit_code == 0);
    const auto out = json::parse(r.out);
    REQUIRE(out["codes"].size() == 3);
    std::set<std::string> serials;
    for (const auto& code : out["codes"]) {
      const std::string text = code.get<std::string>();
      CHECK(text.rfind("https://id.brand.example/01/06950123450005/21/U", 0) == 0);
      const auto j = inspect(text);
      CHECK(j["kind"] == "gs1_digital_link");
      CHECK(j["gtin"] == "06950123450005");
      CHECK(j["signature"] == "valid");
      const std::string serial = j["serial"];
      CHECK(std::regex_match(serial, std::regex("U[0-9A-Za-z]{10}")));
      serials.insert(serial);
    }
    CHECK(serials.size() == 3);
    const auto m = inspect(out["member_code"].get<std::string>());
    CHECK(m["kind"] == "member_code");
    CHECK(m["signature"] == "valid");
    CHECK(std::regex_match(m["member_id"].get<std::string>(), std::regex("M[0-9]{6}")));
    CHECK(m["issued_at"].get<std::int64_t>() >= before);
    CHECK(m["issued_at"].get<std::int64_t>() <= before + 60);

    // Not signed by the demo keys embedded in storectl, so the default check refuses them.
    auto other = Storectl({"code", "inspect", out["codes"][0].get<std::string>(), "--json"});
    REQUIRE(other.exit_code == 0);
    CHECK(json::parse(other.out)["signature"] == "invalid");
  }

  SECTION("human: one label per line, then the member code; --gtin chooses the product") {
    auto r = Storectl({"demo", "codes", "2", "--gtin", "4006381333931", "--data-dir", data_dir});
    REQUIRE(r.exit_code == 0);
    const auto lines = Lines(r.out);
    REQUIRE(lines.size() == 3);
    for (int i = 0; i < 2; ++i) {
      const auto j = inspect(lines[static_cast<std::size_t>(i)]);
      CHECK(j["gtin"] == "04006381333931");
      CHECK(j["signature"] == "valid");
    }
    CHECK(lines[2].rfind("SAM1:M", 0) == 0);
    CHECK(inspect(lines[2])["signature"] == "valid");
  }

  SECTION("$STORE_AGENT_DATA names the data directory too") {
    auto r = Storectl({"demo", "codes", "1"}, {{"STORE_AGENT_DATA", data_dir}});
    CHECK(r.exit_code == 0);
    CHECK(Lines(r.out).size() == 2);
  }

  SECTION("usage errors exit 1") {
    CHECK(Storectl({"demo", "codes", "0", "--data-dir", data_dir}).exit_code == 1);
    CHECK(Storectl({"demo", "codes", "x", "--data-dir", data_dir}).exit_code == 1);
    CHECK(Storectl({"demo", "codes", "--data-dir", data_dir}).exit_code == 1);
    auto bad = Storectl({"demo", "codes", "1", "--gtin", "4006381333932", "--data-dir", data_dir});
    CHECK(bad.exit_code == 1);
    CHECK(Contains(bad.err, "bad_check_digit"));
  }

  SECTION("no demo keys: exit 2, and the message says to start the demo agent") {
    TempDir empty("sa-storectl-nokeys");
    auto r = Storectl({"demo", "codes", "1", "--data-dir", empty.path().string()});
    CHECK(r.exit_code == 2);
    CHECK(Contains(r.err, "store-agent --demo"));
    CHECK(r.out.empty());
    auto j = Storectl({"demo", "codes", "1", "--json", "--data-dir", empty.path().string()});
    CHECK(j.exit_code == 2);
    CHECK(json::parse(j.out)["error"]["code"] == "no_demo_keys");
  }

  SECTION("a key file that is not a key: exit 2") {
    WriteFile(dir.path() / "demo" / "member.key.pem", "not a key\n");
    CHECK(Storectl({"demo", "codes", "1", "--data-dir", data_dir}).exit_code == 2);
  }
}

// ---- no agent, the token ----------------------------------------------------

TEST_CASE("storectl exits 2 when nothing listens at the agent's URL", "[storectl][unreachable]") {
  AgentDir dir;
  const sa::testing::ClosedPort closed_port;
  const std::string closed = closed_port.url();

  auto r = Storectl({"status", "--url", closed, "--data-dir", dir.path()});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "storectl: agent_unreachable: cannot reach the agent at " + closed));
  CHECK(r.out.empty());

  auto j = Storectl({"--json", "sale", "open", "--url", closed, "--data-dir", dir.path()});
  CHECK(j.exit_code == 2);
  CHECK(json::parse(j.out)["error"]["code"] == "agent_unreachable");

  // The URL from {data-dir}/api-url, as the agent writes it.
  WriteFile(dir.dir.path() / "api-url", closed + "\n");
  auto from_file = Storectl({"sale", "show", "S1", "--data-dir", dir.path()});
  CHECK(from_file.exit_code == 2);
  CHECK(Contains(from_file.err, closed + "/v1/sales/S1"));
  CHECK(Contains(from_file.err, "api-url"));

  // Every command that talks to the agent.
  const std::vector<std::vector<std::string>> commands = {
      {"status"},
      {"sale", "open", "--terminal", "t"},
      {"sale", "scan", "S1", "https://id.brand.example/01/06950123450005/21/U1"},
      {"sale", "member", "S1", "--phone", "13812345678"},
      {"sale", "complete", "S1", "--pay", "cash:1"},
      {"sale", "void", "S1"},
      {"sale", "show", "S1"},
      {"sale", "receipt", "S1", "--width", "80"},
      {"refund", "S1", "U1"},
  };
  for (auto args : commands) {
    INFO(args.front() << " " << args.back());
    args.insert(args.end(), {"--data-dir", dir.path()});
    CHECK(Storectl(args).exit_code == 2);
  }

  // No token where the agent keeps it: exit 2 with a hint; a bad --token-file: usage.
  TempDir empty("sa-storectl-empty");
  auto no_token = Storectl({"status", "--url", closed, "--data-dir", empty.path().string()});
  CHECK(no_token.exit_code == 2);
  CHECK(Contains(no_token.err, "no_token"));
  CHECK(Storectl({"status", "--url", closed, "--token-file", (empty.path() / "nope").string()})
            .exit_code == 1);
  // A URL that is not one: usage.
  CHECK(Storectl({"status", "--url", "ftp://x", "--data-dir", dir.path()}).exit_code == 1);
  CHECK(
      Storectl({"status", "--data-dir", dir.path()}, {{"STORE_AGENT_URL", "nonsense"}}).exit_code ==
      1);
}

TEST_CASE("storectl token prints the agent's API token", "[storectl][token]") {
  AgentDir dir;
  auto r = Storectl({"token", "--data-dir", dir.path()});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "tok-0123456789\n");
  auto j = Storectl({"token", "--json", "--data-dir", dir.path()});
  CHECK(j.exit_code == 0);
  CHECK(json::parse(j.out) == json{{"token", "tok-0123456789"}});
  auto env = Storectl({"token"}, {{"STORE_AGENT_DATA", dir.path()}});
  CHECK(env.out == "tok-0123456789\n");
  const fs::path other = dir.dir.path() / "other-token";
  WriteFile(other, "  other-token\r\n");
  CHECK(Storectl({"token", "--token-file", other.string()}).out == "other-token\n");

  TempDir empty("sa-storectl-empty");
  auto missing = Storectl({"token", "--data-dir", empty.path().string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.out.empty());
  CHECK(Contains(missing.err, "api-token"));
  CHECK(Storectl({"token", "--token-file", (empty.path() / "nope").string()}).exit_code == 1);
}

// ---- against a scripted agent -----------------------------------------------

TEST_CASE("storectl status: GET /v1/health with the bearer token", "[storectl][http]") {
  AgentDir dir;
  const std::string health =
      R"({"status":"ok","store_id":"S-001","device_id":"D-07","version":"0.2.0",)"
      R"("uptime_s":93784,"outbox_depth":12})";
  FakeAgent agent({{200, health}, {200, health}});

  auto r = Storectl({"status", "--url", agent.url(), "--data-dir", dir.path()});
  REQUIRE(r.exit_code == 0);
  CHECK(Contains(r.out, "store           S-001\n"));
  CHECK(Contains(r.out, "device          D-07\n"));
  CHECK(Contains(r.out, "version         0.2.0\n"));
  CHECK(Contains(r.out, "uptime          1d 2h 3m 4s\n"));
  CHECK(Contains(r.out, "events waiting  12"));

  // --json: the agent's body, byte for byte.
  auto j =
      Storectl({"--json", "status", "--data-dir", dir.path()}, {{"STORE_AGENT_URL", agent.url()}});
  REQUIRE(j.exit_code == 0);
  CHECK(j.out == health + "\n");

  const auto reqs = agent.requests();
  REQUIRE(reqs.size() == 2);
  for (const auto& req : reqs) {
    CHECK(req.method == "GET");
    CHECK(req.target == "/v1/health");
    CHECK(req.header("authorization") == "Bearer tok-0123456789");
    CHECK(req.header("idempotency-key").empty());
  }
}

TEST_CASE("storectl: the URL comes from --url, else $STORE_AGENT_URL, else api-url",
          "[storectl][http]") {
  AgentDir dir;
  const sa::testing::ClosedPort closed_port;
  const std::string closed = closed_port.url();
  const std::string health = R"({"status":"ok"})";
  FakeAgent agent({{200, health}, {200, health}, {200, health}});
  WriteFile(dir.dir.path() / "api-url", agent.url() + "/\n");
  CHECK(Storectl({"status", "--data-dir", dir.path()}).exit_code == 0);
  CHECK(Storectl({"status", "--data-dir", dir.path()}, {{"STORE_AGENT_URL", closed}}).exit_code ==
        2);
  CHECK(Storectl({"status", "--data-dir", dir.path(), "--url", agent.url()},
                 {{"STORE_AGENT_URL", closed}})
            .exit_code == 0);
  WriteFile(dir.dir.path() / "api-url", closed + "\n");
  CHECK(Storectl({"status", "--data-dir", dir.path()}, {{"STORE_AGENT_URL", agent.url()}})
            .exit_code == 0);
  CHECK(agent.requests().size() == 3);
}

TEST_CASE("storectl sale commands send what the API expects and print the sale",
          "[storectl][http]") {
  AgentDir dir;
  FakeAgent agent({{201, kSale},
                   {200, kSale},
                   {200, kSale},
                   {200, kSale},
                   {200, kSale},
                   {200, kSale},
                   {200, kSale},
                   {200, kSale}});
  const std::vector<std::string> common = {"--data-dir", dir.path(), "--url", agent.url()};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return Storectl(args);
  };

  auto open = run({"sale", "open", "--terminal", "till-9"});
  REQUIRE(open.exit_code == 0);
  CHECK(open.out ==
        "sale S1  completed  terminal till-1\n"
        "  1  Silk scarf - indigo  599.00  SN Uxyz\n"
        "  2  Gift wrap x2  10.00\n"
        "total  599.00 CNY\n"
        "member  M123456\n"
        "paid    cash 610.00\n"
        "status  completed  receipt D1-000001  change 1.00\n");
  CHECK(run({"sale", "scan", "S1", "]Q3https://id.brand.example/01/06950123450005/21/U1"})
            .exit_code == 0);
  CHECK(run({"sale", "member", "S1", "--code", "SAM1:M1:2:sig"}).exit_code == 0);
  CHECK(run({"sale", "member", "S1", "--phone", "138 1234 5678"}).exit_code == 0);
  CHECK(
      run({"sale", "complete", "S1", "--pay", "cash:599.5", "--pay", "card:100:POS:9"}).exit_code ==
      0);
  CHECK(run({"sale", "void", "S1", "--reason", "customer left"}).exit_code == 0);
  CHECK(run({"sale", "void", "S1"}).exit_code == 0);
  CHECK(run({"sale", "show", "a/b c"}).exit_code == 0);

  // Usage errors never reach the agent.
  CHECK(run({"sale", "member", "S1"}).exit_code == 1);
  CHECK(run({"sale", "member", "S1", "--code", "x", "--phone", "y"}).exit_code == 1);
  CHECK(run({"sale", "receipt", "S1", "--width", "60"}).exit_code == 1);
  CHECK(run({"sale", "scan", "S1"}).exit_code == 1);

  const auto reqs = agent.requests();
  REQUIRE(reqs.size() == 8);
  const std::vector<std::pair<std::string, json>> expected = {
      {"/v1/sales", {{"terminal", "till-9"}}},
      {"/v1/sales/S1/scans", {{"payload", "]Q3https://id.brand.example/01/06950123450005/21/U1"}}},
      {"/v1/sales/S1/member", {{"payload", "SAM1:M1:2:sig"}}},
      {"/v1/sales/S1/member", {{"phone", "138 1234 5678"}}},
      {"/v1/sales/S1/complete",
       {{"payments",
         {{{"method", "cash"}, {"amount", 59950}},
          {{"method", "card"}, {"amount", 10000}, {"ref", "POS:9"}}}}}},
      {"/v1/sales/S1/void", {{"reason", "customer left"}}},
      {"/v1/sales/S1/void", json::object()},
  };
  std::set<std::string> keys;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("request " << i);
    CHECK(reqs[i].method == "POST");
    CHECK(reqs[i].target == expected[i].first);
    CHECK(json::parse(reqs[i].body) == expected[i].second);
    CHECK(reqs[i].header("content-type") == "application/json");
    CHECK(reqs[i].header("authorization") == "Bearer tok-0123456789");
    const std::string key = reqs[i].header("idempotency-key");
    CHECK(std::regex_match(key, kUuidV7));
    keys.insert(key);
  }
  CHECK(keys.size() == expected.size());  // a fresh key for every POST
  CHECK(reqs[7].method == "GET");
  CHECK(reqs[7].target == "/v1/sales/a%2Fb%20c");  // the id stays one path segment
}

TEST_CASE("storectl sale open without --terminal names this host", "[storectl][http]") {
  AgentDir dir;
  FakeAgent agent({{201, kSale}});
  auto r = Storectl({"--json", "sale", "open", "--data-dir", dir.path(), "--url", agent.url()});
  CHECK(r.exit_code == 0);
  CHECK(r.out == std::string(kSale) + "\n");
  const auto reqs = agent.requests();
  REQUIRE(reqs.size() == 1);
  const auto body = json::parse(reqs[0].body);
  REQUIRE(body["terminal"].is_string());
  CHECK_FALSE(body["terminal"].get<std::string>().empty());
}

TEST_CASE("storectl sale receipt and refund", "[storectl][http]") {
  AgentDir dir;
  const std::string receipt =
      R"({"text":"DEMO STORE\nSilk scarf  599.00\nTOTAL  599.00","claim_url":"https://c.example/r/1"})";
  const std::string refund =
      R"({"id":"R1","sale_id":"S1","serials":["Ua","Ub"],"amount":119800,"currency":"CNY",)"
      R"("status":"completed"})";
  FakeAgent agent({{200, receipt}, {200, receipt}, {200, refund}, {200, refund}});
  const std::vector<std::string> common = {"--data-dir", dir.path(), "--url", agent.url()};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return Storectl(args);
  };
  auto text = run({"sale", "receipt", "S1", "--width", "58"});
  CHECK(text.exit_code == 0);
  CHECK(text.out == "DEMO STORE\nSilk scarf  599.00\nTOTAL  599.00\n");
  CHECK(run({"sale", "receipt", "S1"}).exit_code == 0);
  auto human = run({"refund", "S1", "Ua", "Ub"});
  CHECK(human.exit_code == 0);
  CHECK(human.out ==
        "refund R1  completed  sale S1\n"
        "  SN Ua\n"
        "  SN Ub\n"
        "amount  1198.00 CNY\n");
  auto j = run({"refund", "S1", "Ua", "--json"});
  CHECK(j.exit_code == 0);
  CHECK(j.out == refund + "\n");
  CHECK(run({"refund", "S1"}).exit_code == 1);  // at least one serial

  const auto reqs = agent.requests();
  REQUIRE(reqs.size() == 4);
  CHECK(reqs[0].target == "/v1/sales/S1/receipt?width=58");
  CHECK(reqs[1].target == "/v1/sales/S1/receipt");
  CHECK(reqs[2].method == "POST");
  CHECK(reqs[2].target == "/v1/refunds");
  CHECK(json::parse(reqs[2].body) == json{{"sale_id", "S1"}, {"serials", {"Ua", "Ub"}}});
  CHECK(json::parse(reqs[3].body) == json{{"sale_id", "S1"}, {"serials", {"Ua"}}});
}

TEST_CASE("storectl reports the agent's refusals: 4xx exit 3, 401 and 5xx exit 2",
          "[storectl][http]") {
  AgentDir dir;
  const std::string sold =
      R"({"error":{"code":"serial_already_sold","message":"unit Uxyz was sold in sale S0"}})";
  const std::string bad_token = R"({"error":{"code":"unauthorized","message":"bad token"}})";
  const std::string full = R"({"error":{"code":"insufficient_storage","message":"disk full"}})";
  FakeAgent agent({{409, sold},
                   {409, sold},
                   {422, R"({"error":{"code":"code_forged","message":"no brand key"}})"},
                   {404, "not json"},
                   {401, bad_token},
                   {401, bad_token},
                   {500, "oops"},
                   {507, full},
                   {507, full}});
  const std::vector<std::string> common = {"--data-dir", dir.path(), "--url", agent.url()};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return Storectl(args);
  };

  auto r = run({"sale", "scan", "S1", "x"});
  CHECK(r.exit_code == 3);
  CHECK(r.err == "storectl: serial_already_sold: unit Uxyz was sold in sale S0\n");
  CHECK(r.out.empty());
  auto j = run({"sale", "scan", "S1", "x", "--json"});
  CHECK(j.exit_code == 3);
  CHECK(j.out == sold + "\n");
  auto forged = run({"sale", "scan", "S1", "x"});
  CHECK(forged.exit_code == 3);
  CHECK(Contains(forged.err, "storectl: code_forged: no brand key"));
  auto not_json = run({"sale", "show", "S9", "--json"});
  CHECK(not_json.exit_code == 3);
  CHECK(json::parse(not_json.out)["error"]["code"] == "http_404");

  auto token = run({"status"});
  CHECK(token.exit_code == 2);
  CHECK(Contains(token.err, "refused the API token"));
  CHECK(Contains(token.err, "api-token"));
  auto token_json = run({"status", "--json"});
  CHECK(token_json.exit_code == 2);
  CHECK(token_json.out == bad_token + "\n");

  auto fault = run({"sale", "show", "S1"});
  CHECK(fault.exit_code == 2);
  CHECK(Contains(fault.err, "HTTP 500"));
  auto disk = run({"sale", "complete", "S1", "--pay", "cash:1"});
  CHECK(disk.exit_code == 3);
  CHECK(Contains(disk.err, "storectl: insufficient_storage: disk full"));
  auto disk_json = run({"sale", "complete", "S1", "--pay", "cash:1", "--json"});
  CHECK(disk_json.exit_code == 3);
  CHECK(disk_json.out == full + "\n");
}

TEST_CASE("storectl retries once after a dropped connection, with the same Idempotency-Key",
          "[storectl][http][retry]") {
  AgentDir dir;
  SECTION("dropped once, then answered") {
    FakeAgent agent({{200, "", true}, {200, kSale}});
    auto r = Storectl({"sale", "complete", "S1", "--pay", "cash:610", "--data-dir", dir.path(),
                       "--url", agent.url()});
    CHECK(r.exit_code == 0);
    const auto reqs = agent.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].body == reqs[1].body);
    CHECK(std::regex_match(reqs[0].header("idempotency-key"), kUuidV7));
    CHECK(reqs[0].header("idempotency-key") == reqs[1].header("idempotency-key"));
  }
  SECTION("dropped twice: exit 2 after one retry") {
    FakeAgent agent({{200, "", true}, {200, "", true}, {200, kSale}});
    auto r = Storectl({"sale", "scan", "S1", "x", "--data-dir", dir.path(), "--url", agent.url()});
    CHECK(r.exit_code == 2);
    CHECK(Contains(r.err, "agent_unreachable"));
    CHECK(agent.requests().size() == 2);
  }
}
