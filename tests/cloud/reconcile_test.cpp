// SPDX-License-Identifier: Apache-2.0
// Issue 19, end-of-day reconciliation end to end: the real agent and the
// real oms-sim over loopback. Closing a shift sends its sales and refunds to
// the cloud once its events are there; the cloud compares them with what it
// ingested and answers match or mismatch, naming each sale it lacks. The
// shift shows the answer; a mismatch is an alert, not a log line.
#include <catch2/catch.hpp>
#include <string>

#include "cloud_support.hpp"
#include "storectl_support.hpp"

using namespace sa::testing;

namespace {

struct Till {
  Agent& agent;
  const Api& api() const { return agent.api(); }

  std::string OpenShift() const {
    auto r = api().Post("/v1/shifts", R"({"terminal":"till-1","opening_float":0})");
    REQUIRE(r.status == 201);
    return r.json().at("id");
  }
  void CloseShift(const std::string& id) const {
    auto r = api().Post("/v1/shifts/" + id + "/close", R"({"counted_cash":0})");
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  json Sell(const std::string& serial) const {
    auto open = api().Post("/v1/sales", R"({"terminal":"till-1"})");
    REQUIRE(open.status == 201);
    const std::string id = open.json().at("id");
    auto scan = api().Post("/v1/sales/" + id + "/scans",
                           json{{"payload", UnitCode(kScarf, serial)}}.dump());
    REQUIRE(scan.status == 200);
    auto done =
        api().Post("/v1/sales/" + id + "/complete",
                   json{{"payments",
                         {{{"method", "card"}, {"amount", scan.json().at("total")}, {"ref", "T"}}}}}
                       .dump());
    REQUIRE(done.status == 200);
    return done.json();
  }
  json Shift(const std::string& id) const { return api().Get("/v1/shifts/" + id).json(); }
  std::vector<json> Alerts(const std::string& code) const {
    std::vector<json> out;
    const json status = agent.SyncStatus();  // kept: the loop reads into it
    for (const auto& a : status.at("alerts")) {
      if (a.at("code") == code) out.push_back(a);
    }
    return out;
  }
};

}  // namespace

TEST_CASE(
    "reconcile: an honest shift matches, one whose sale the cloud lost is a mismatch "
    "naming it",
    "[cloud][reconcile]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url()});
  const Till till{agent};

  // An honest shift: three sales, a refund.
  const std::string honest = till.OpenShift();
  const json first = till.Sell("R-1");
  CHECK(first.at("shift_id") == honest);
  till.Sell("R-2");
  till.Sell("R-3");
  REQUIRE(till.api()
              .Post("/v1/refunds", json{{"sale_id", first.at("id")}, {"serials", {"R-1"}}}.dump())
              .status == 201);
  till.CloseShift(honest);
  REQUIRE(agent.Drain());
  CHECK(till.Shift(honest).at("reconciliation") == "match");
  CHECK(till.Alerts("reconciliation_mismatch").empty());

  // The next shift: the cloud loses one of its sales after accepting it.
  const std::string lossy = till.OpenShift();
  till.Sell("L-1");
  const std::string lost = till.Sell("L-2").at("id");
  till.Sell("L-3");
  REQUIRE(agent.Drain());
  std::string lost_event;
  for (const auto& e : cloud.Events("s1")) {
    if (e.at("type") == "sale.completed" && e.at("payload").at("id") == lost)
      lost_event = e.at("id");
  }
  REQUIRE_FALSE(lost_event.empty());
  REQUIRE(cloud.Admin("DELETE", "/admin/v1/stores/s1/events/" + lost_event).status == 200);
  till.CloseShift(lossy);
  REQUIRE(agent.Drain());
  CHECK(till.Shift(lossy).at("reconciliation") == "mismatch");
  CHECK(till.Shift(honest).at("reconciliation") == "match");  // answered once, kept
  const auto alerts = till.Alerts("reconciliation_mismatch");
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].at("message").get<std::string>().find(lost) != std::string::npos);
  const json& detail = alerts[0].at("detail");
  REQUIRE(detail.at("missing").size() == 1);
  CHECK(detail.at("missing")[0].at("kind") == "sale");
  CHECK(detail.at("missing")[0].at("id") == lost);
  CHECK(detail.at("missing")[0].at("amount") == 129900);
  CHECK(detail.at("differ").empty());
  CHECK(detail.at("unexpected").empty());
  // Later cycles do not ask again, nor raise it twice.
  REQUIRE(agent.Drain());
  CHECK(till.Alerts("reconciliation_mismatch").size() == 1);
  // storectl shows it with each closed shift.
  const RunResult listed = RunProgram(SA_STORECTL, {"shift", "list", "--status", "closed",
                                                    "--data-dir", agent.data_dir().string()});
  INFO(listed.out << listed.err);
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("cloud check: match") != std::string::npos);
  CHECK(listed.out.find("cloud check: MISMATCH (see the alerts)") != std::string::npos);
}

TEST_CASE("reconcile: a shift closed offline stays pending until the cloud has its events",
          "[cloud][reconcile]") {
  const std::uint16_t port = FreePort();
  Agent agent({.cloud_url = "http://127.0.0.1:" + std::to_string(port)});
  const Till till{agent};
  const std::string shift = till.OpenShift();
  till.Sell("P-1");
  till.Sell("P-2");
  till.CloseShift(shift);
  (void)agent.SyncNow();  // the cloud is down
  CHECK(till.Shift(shift).at("reconciliation") == "pending");

  Cloud cloud({}, port);
  REQUIRE(agent.Drain());
  CHECK(till.Shift(shift).at("reconciliation") == "match");
  CHECK(till.Alerts("reconciliation_mismatch").empty());
}
