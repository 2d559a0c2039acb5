// SPDX-License-Identifier: Apache-2.0
// EPCIS end to end: the real agent and the real oms-sim on loopback. Unit
// moves made through the agent's API (receive, sell, refund, count, pick,
// ship) are exported by `storectl epcis export` from the agent's ledger and
// served by oms-sim's EPCIS query after sync: the same events, named by the
// same Event Hash IDs, which `storectl epcis hash` recomputes from the file.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cloud_support.hpp"  // first: agent_process.hpp
#include "daemon_support.hpp"
#include "event_stream.hpp"
#include "storectl_support.hpp"

using namespace sa::testing;

namespace {

constexpr const char* kGln = "6901234000009";

std::string Body(const json& j) { return j.dump(); }

RunResult Storectl(const std::vector<std::string>& args) {
  auto r = RunProgram(SA_STORECTL, args);
  UNSCOPED_INFO("storectl exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
  return r;
}

std::vector<std::string> Ids(const json& list) {
  std::vector<std::string> ids;
  for (const auto& e : list) ids.push_back(e.at("eventID"));
  return ids;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("epcis: the store's export and the cloud's query name the same events the same way",
          "[epcis][cloud]") {
  Cloud cloud;
  REQUIRE(
      cloud
          .Admin("PUT", "/admin/v1/stores/s1/site", Body({{"gln", kGln}, {"utc_offset", "+08:00"}}))
          .status == 200);
  Agent agent({.cloud_url = cloud.url(),
               .store_toml = std::string("gln = \"") + kGln + "\"\nutc_offset = \"+08:00\"\n"});
  const Api& api = agent.api();

  // Six unit moves: received, sold, refunded, counted, picked, shipped.
  REQUIRE(api.Post("/v1/stock/receive", Body({{"payload", UnitCode(kScarf, "E1")}})).status == 200);
  auto sold = agent.SellUnit(kScarf, "E2");
  REQUIRE(sold.status == 200);
  const std::string sale = sold.json().at("id");
  REQUIRE(api.Post("/v1/refunds", Body({{"sale_id", sale}, {"serials", {"E2"}}})).status == 201);
  REQUIRE(api.Post("/v1/stock/counts", Body({{"gtin", kTea}, {"counted", 12}})).status == 200);
  // A sale rung up in error, post-voided by a manager: the sale's event
  // declared in error, and the unit stocked back.
  auto wrong = agent.SellUnit(kScarf, "E3");
  REQUIRE(wrong.status == 200);
  REQUIRE(api.Post("/v1/sales/" + wrong.json().at("id").get<std::string>() + "/void",
                   Body({{"reason", "rang up twice"}}))
              .status == 200);
  REQUIRE(cloud
              .Admin("POST", "/admin/v1/stores/s1/orders",
                     Body({{"id", "o-9"},
                           {"kind", "ship_from_store"},
                           {"lines", json::array({{{"gtin", kScarf}, {"qty", 1}}})},
                           {"ttl_s", 600}}))
              .status == 200);
  REQUIRE(agent.Drain());
  REQUIRE(api.Post("/v1/reservations/o-9/accept", "{}").status == 200);
  REQUIRE(
      api.Post("/v1/reservations/o-9/pick", Body({{"payload", UnitCode(kScarf, "E1")}})).status ==
      200);
  REQUIRE(api.Post("/v1/reservations/o-9/ship", Body({{"carrier", "SF"}, {"tracking_no", "1"}}))
              .status == 200);
  REQUIRE(agent.Drain());

  const TempDir out("sa-epcis-out");
  const std::string file = (out.path() / "store.jsonld").string();
  const auto exported =
      Storectl({"epcis", "export", "--since", "2000-01-01", "--out", file, "--config",
                agent.config_file().string(), "--data-dir", agent.data_dir().string(), "--json"});
  REQUIRE(exported.exit_code == 0);
  CHECK(json::parse(exported.out).at("events") == 9);
  const json doc = json::parse(Slurp(file));
  CHECK(doc.at("type") == "EPCISDocument");
  const json& events = doc.at("epcisBody").at("eventList");
  std::vector<std::string> steps;
  for (const auto& e : events) steps.push_back(e.at("bizStep"));
  CHECK(steps == std::vector<std::string>{"receiving", "retail_selling", "receiving",
                                          "cycle_counting", "retail_selling", "retail_selling",
                                          "stocking", "picking", "shipping"});
  CHECK_FALSE(events[4].contains("errorDeclaration"));
  REQUIRE(events[5].contains("errorDeclaration"));
  CHECK(events[5].at("eventID") == events[4].at("eventID"));  // the voided sale's own event
  CHECK(events[5].at("errorDeclaration").at("correctiveEventIDs") ==
        json::array({events[6].at("eventID")}));
  CHECK(events[0].at("bizLocation").at("id") == std::string("https://id.gs1.org/414/") + kGln);

  // The cloud's copy: the same events, by the same ids, in the same order.
  const auto served = cloud.Admin("GET", "/admin/v1/stores/s1/epcis?since=2000-01-01");
  REQUIRE(served.status == 200);
  const json query = served.json();
  CHECK(query.at("type") == "EPCISQueryDocument");
  const json& cloud_events =
      query.at("epcisBody").at("queryResults").at("resultsBody").at("eventList");
  CHECK(Ids(cloud_events) == Ids(events));
  CHECK(cloud_events == events);

  // Anyone's hash of the file gives the ids it carries.
  const auto hashed = Storectl({"epcis", "hash", file});
  REQUIRE(hashed.exit_code == 0);
  CHECK(Lines(hashed.out) == Ids(events));
  const auto prehash = Storectl({"epcis", "hash", "--prehash", file});
  REQUIRE(prehash.exit_code == 0);
  REQUIRE(Lines(prehash.out).size() == 9);
  CHECK(Lines(prehash.out)[0].rfind("eventType=ObjectEvent", 0) == 0);

  // A period holds only what was recorded in it.
  const auto later = cloud.Admin("GET", "/admin/v1/stores/s1/epcis?since=2999-01-01");
  REQUIRE(later.status == 200);
  CHECK(later.json().at("epcisBody").at("queryResults").at("resultsBody").at("eventList").empty());
}

TEST_CASE("epcis: bad periods and bad documents are clear errors, and write nothing",
          "[epcis][cloud][bad-input]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url()});
  const TempDir out("sa-epcis-bad");
  const std::string file = (out.path() / "x.jsonld").string();
  const std::string data = agent.data_dir().string();

  for (const auto& [since, until] :
       std::vector<std::pair<std::string, std::string>>{{"2026-12-02", "2026-12-01"},
                                                        {"2026-12-01", "2026-12-01"},
                                                        {"yesterday", "2026-12-01"},
                                                        {"2026-12-01", "2026-13-01"}}) {
    const auto r = Storectl(
        {"epcis", "export", "--since", since, "--until", until, "--out", file, "--data-dir", data});
    CHECK(r.exit_code == 1);
    CHECK(Lines(r.err).size() == 1);
    CHECK_FALSE(std::filesystem::exists(file));
    CHECK_FALSE(std::filesystem::exists(file + ".part"));
  }
  const auto gln = Storectl({"epcis", "export", "--since", "2026-01-01", "--gln", "6901234000004",
                             "--out", file, "--data-dir", data});
  CHECK(gln.exit_code == 1);
  CHECK(gln.err.find("bad_gln") != std::string::npos);
  const auto no_ledger = Storectl({"epcis", "export", "--since", "2026-01-01", "--out", file,
                                   "--data-dir", (out.path() / "none").string()});
  CHECK(no_ledger.exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(file));

  std::ofstream(out.path() / "junk.json") << R"({"type":"EPCISDocument","epcisBody":{}})";
  const auto junk = Storectl({"epcis", "hash", (out.path() / "junk.json").string()});
  CHECK(junk.exit_code == 3);
  CHECK(junk.err.find("epcis_invalid") != std::string::npos);

  CHECK(cloud.Admin("GET", "/admin/v1/stores/s1/epcis?since=later").status == 400);
  CHECK(cloud.Admin("GET", "/admin/v1/stores/s1/epcis?since=2026-12-02&until=2026-12-01").status ==
        400);
  CHECK(cloud.Admin("PUT", "/admin/v1/stores/s1/site", Body({{"gln", "123"}})).status == 400);
  CHECK(cloud.Admin("PUT", "/admin/v1/stores/s1/site", Body({{"utc_offset", "8"}})).status == 400);
}

TEST_CASE(
    "epcis: a case of 24 is received with one scan on a shelf scanner, and a sale unpacks one",
    "[epcis][cloud][cases]") {
  const std::string case_gtin = "19506000134359";
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url(),
               .extra_toml = "[[scanners]]\nid = \"shelf\"\ntype = \"tcp\"\nlisten = "
                             "\"127.0.0.1:0\"\nterminal = \"shelf-1\"\nmode = \"receive\"\n"});
  const Api& api = agent.api();
  json units = json::array();
  for (int i = 1; i <= 24; ++i)
    units.push_back({{"gtin", kScarf}, {"serial", "K" + std::to_string(i)}});
  const json shipment = {
      {"id", "SH-24"},
      {"cases",
       json::array({{{"case", {{"gtin", case_gtin}, {"serial", "CASE-1"}}}, {"units", units}}})}};
  REQUIRE(cloud.Admin("POST", "/admin/v1/stores/s1/shipments", Body(shipment)).status == 200);
  REQUIRE(agent.Drain());
  CHECK(api.Get("/v1/stock/" + std::string(kScarf)).json().at("on_hand") == 0);

  const auto scanners = api.Get("/v1/scanners").json().at("scanners");
  REQUIRE(scanners.size() == 1);
  EventStreamClient events(api);
  REQUIRE(events.WaitFor(
      [](const std::string& d) { return d.find(": store-agent events") != std::string::npos; }));
  ScannerConnection shelf("tcp://" + scanners[0].value("path", ""));
  const std::string label = UnitCode(case_gtin, "CASE-1");
  shelf.SendLine(label);
  REQUIRE(events.WaitFor([&](const std::string& d) {
    return !FindEvent(d, "scan", [&](const json& j) {
              return j.value("payload", "") == label && j.value("outcome", "") == "accepted";
            }).is_null();
  }));
  CHECK(api.Get("/v1/stock/" + std::string(kScarf)).json().at("on_hand") == 24);

  // The same case again: nothing more to receive, said as such.
  shelf.SendLine(label);
  REQUIRE(events.WaitFor([&](const std::string& d) {
    return !FindEvent(d, "scan", [&](const json& j) {
              return j.value("payload", "") == label &&
                     j.value("outcome", "") == "case_already_received";
            }).is_null();
  }));

  REQUIRE(agent.SellUnit(kScarf, "K7").status == 200);
  REQUIRE(agent.Drain());
  const auto served = cloud.Admin("GET", "/admin/v1/stores/s1/epcis");
  REQUIRE(served.status == 200);
  const json list =
      served.json().at("epcisBody").at("queryResults").at("resultsBody").at("eventList");
  REQUIRE(list.size() == 3);
  CHECK(list[0].at("bizStep") == "receiving");
  CHECK(list[0].at("epcList").size() == 25);
  CHECK(list[1].at("type") == "AggregationEvent");
  CHECK(list[1].at("action") == "DELETE");
  CHECK(list[1].at("parentID") == "https://id.gs1.org/01/" + case_gtin + "/21/CASE-1");
  CHECK(list[1].at("childEPCs") ==
        json::array({"https://id.gs1.org/01/" + std::string(kScarf) + "/21/K7"}));
  CHECK(list[2].at("bizStep") == "retail_selling");
}
