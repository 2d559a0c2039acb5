// SPDX-License-Identifier: Apache-2.0
// Issue 19, the brand's CRM and SCRM seeing who buys and who sells. Phone
// matching across stores: two stores of one brand share the
// brand's phone-hash key (from the provisioning bundle, here its config
// key), so one phone typed at both tills is one member in the brand's CRM
// (oms-sim). The number itself is never anywhere: not in either ledger or
// its WAL, not in the agents' logs, not in the events, not in the cloud's
// database. And the shopping guide of each sale (a staff badge scanned, or
// a cashier picked), reported per guide with the members they served.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>

#include "cloud_support.hpp"
#include "codes.hpp"
#include "demo_agent.hpp"
#include "store.hpp"

using namespace sa::testing;

namespace {

constexpr const char* kPhone = "13812345678";

json SellToPhone(Agent& agent, const std::string& serial, const std::string& phone) {
  const Api& api = agent.api();
  const std::string id = api.Post("/v1/sales", "{}").json().at("id");
  REQUIRE(api.Post("/v1/sales/" + id + "/scans", json{{"payload", UnitCode(kScarf, serial)}}.dump())
              .status == 200);
  auto bound = api.Post("/v1/sales/" + id + "/member", json{{"phone", phone}}.dump());
  INFO(bound.body);
  REQUIRE(bound.status == 200);
  auto done = api.Post("/v1/sales/" + id + "/complete",
                       json{{"payments", {{{"method", "cash"}, {"amount", 129900}}}}}.dump());
  REQUIRE(done.status == 200);
  return done.json();
}

// Every file under `dir` (the ledger, its WAL, keys...) as bytes.
std::string AllBytes(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return all;
}

}  // namespace

TEST_CASE(
    "phones: one phone typed at two stores is one member in the brand's CRM, and the "
    "number is nowhere",
    "[cloud][phone][privacy]") {
  TempDir keys("sa-phone-key");
  const auto key_file = keys.path() / "phone-hash.key";
  std::ofstream(key_file) << "the brand's phone-hash key, shared with its CRM";
  const std::string members = "[members]\nphone_hash_key_file = \"" + key_file.string() + "\"\n";
  Cloud cloud;
  Agent a({.store = "sA", .cloud_url = cloud.url(), .extra_toml = members, .log_level = "debug"});
  Agent b({.store = "sB", .cloud_url = cloud.url(), .extra_toml = members, .log_level = "debug"});

  const json at_a = SellToPhone(a, "PH-1", kPhone);
  CHECK(at_a.at("member") == json{{"phone_masked", "138****5678"}});
  const json at_b = SellToPhone(b, "PH-2", "+86 138-1234-5678");  // the same phone, typed otherwise
  const json other = SellToPhone(b, "PH-3", "13987654321");
  REQUIRE(a.Drain());
  REQUIRE(b.Drain());

  auto member_of = [&](const json& sale) {
    auto r = cloud.Admin("GET", "/crm/v1/sales/" + sale.at("id").get<std::string>() + "/member");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.json().at("matched_by") == "phone");
    return r.json().at("member_id").get<std::string>();
  };
  const std::string one = member_of(at_a);
  CHECK(member_of(at_b) == one);
  CHECK(member_of(other) != one);

  // The number, whole or its last eight digits, is nowhere.
  a.process().Signal(SIGTERM);
  a.process().Wait();
  b.process().Signal(SIGTERM);
  b.process().Wait();
  cloud.Stop();
  std::string everything = AllBytes(a.data_dir()) + AllBytes(b.data_dir()) +
                           AllBytes(cloud.data_dir()) + a.process().DrainLog() +
                           b.process().DrainLog();
  REQUIRE(everything.size() > 100000);  // the ledgers and the cloud's database are in it
  for (const char* digits : {kPhone, "12345678", "138-1234-5678", "13987654321"}) {
    INFO(digits);
    CHECK(everything.find(digits) == std::string::npos);
  }
}

TEST_CASE(
    "guides: the shopping guide of each sale reaches the brand's SCRM, with the members "
    "they served",
    "[cloud][guide]") {
  TempDir keys("sa-guide-keys");
  const auto member_pem = keys.path() / "member.pub.pem";
  std::ofstream(member_pem) << sa::store::DemoMemberKey().PublicPem();
  const std::string members = "[members]\nservice_keys = [\"" + member_pem.string() + "\"]\n";
  Cloud cloud;
  Agent a({.store = "sA", .cloud_url = cloud.url(), .extra_toml = members});
  Agent b({.store = "sB", .cloud_url = cloud.url(), .extra_toml = members});
  const std::string badge = sa::store::MakeStaffCode("G-007", sa::store::DemoMemberKey());

  auto sell = [](Agent& agent, const std::string& serial, const json& guide,
                 const std::string& member_code) {
    const Api& api = agent.api();
    const std::string id = api.Post("/v1/sales", "{}").json().at("id");
    REQUIRE(
        api.Post("/v1/sales/" + id + "/scans", json{{"payload", UnitCode(kScarf, serial)}}.dump())
            .status == 200);
    auto guided = api.Post("/v1/sales/" + id + "/guide", guide.dump());
    INFO(guided.body);
    REQUIRE(guided.status == 200);
    if (!member_code.empty()) {
      REQUIRE(
          api.Post("/v1/sales/" + id + "/member", json{{"payload", member_code}}.dump()).status ==
          200);
    }
    auto done = api.Post("/v1/sales/" + id + "/complete",
                         json{{"payments", {{{"method", "cash"}, {"amount", 129900}}}}}.dump());
    REQUIRE(done.status == 200);
    return done.json();
  };
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  const json first = sell(a, "GD-1", {{"payload", badge}},
                          sa::codes::MakeMemberCode("M-1001", now_s, sa::store::DemoMemberKey()));
  CHECK(first.at("guide") == json{{"id", "G-007"}, {"via", "badge"}});
  sell(b, "GD-2", {{"payload", badge}}, "");  // the same guide, in another store
  // A cashier picked on the screen: ann is one of store B's.
  REQUIRE(b.api().Post("/v1/cashiers", R"({"id":"ann","name":"Ann","pin":"4826"})").status == 201);
  sell(b, "GD-3", {{"cashier_id", "ann"}}, "");
  REQUIRE(a.Drain());
  REQUIRE(b.Drain());

  auto report = cloud.Admin("GET", "/crm/v1/guides");
  INFO(report.body);
  REQUIRE(report.status == 200);
  const json guides = report.json().at("guides");
  REQUIRE(guides.size() == 2);
  CHECK(guides[0] == json{{"guide_id", "G-007"},
                          {"sales", 2},
                          {"total_minor", 259800},
                          {"stores", {"sA", "sB"}},
                          {"members", {"M-1001"}}});
  CHECK(guides[1].at("guide_id") == "ann");
  CHECK(guides[1].at("sales") == 1);

  // Bad input changes nothing: a forged badge, an unknown cashier, both or neither.
  const Api& api = b.api();
  const std::string open = api.Post("/v1/sales", "{}").json().at("id");
  const std::string forged = sa::store::MakeStaffCode("G-007", sa::store::DemoBrandKey());
  for (const auto& [body, status, code] : std::vector<std::tuple<json, long, std::string>>{
           {json{{"payload", forged}}, 422, "staff_code_forged"},
           {json{{"payload", "SAG1:G-007"}}, 422, "staff_code_malformed"},
           {json{{"payload", UnitCode(kScarf, "GD-9")}}, 422, "not_a_staff_code"},
           {json{{"cashier_id", "nobody"}}, 404, "guide_not_found"},
           {json{{"cashier_id", "ann"}, {"payload", badge}}, 400, "invalid_field"},
           {json::object(), 400, "invalid_field"}}) {
    auto r = api.Post("/v1/sales/" + open + "/guide", body.dump());
    INFO(body.dump() << " -> " << r.body);
    CHECK(r.status == status);
    CHECK(ErrorCode(r, status) == code);
  }
  CHECK(api.Get("/v1/sales/" + open).json().at("guide").is_null());
}
