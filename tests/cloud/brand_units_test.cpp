// SPDX-License-Identifier: Apache-2.0
// Issue 19, brand-wide unit checks: the real agents of two stores and the
// real oms-sim over loopback. The cloud keeps the first live sale of each
// GTIN + serial across every store; a second sale in another store is a
// copied label (clone_suspected) alerted to both stores, and with
// --revoke-clones the serial is revoked brand-wide. A unit returned and sold
// again, in the same store or another, is no clone.
#include <catch2/catch.hpp>
#include <string>

#include "cloud_support.hpp"

using namespace sa::testing;

namespace {

// The alerts of `code` the agent shows, with their details.
std::vector<json> AlertsOf(const Agent& agent, const std::string& code) {
  std::vector<json> out;
  const json status = agent.SyncStatus();
  for (const auto& a : status.at("alerts")) {
    if (a.at("code") == code) out.push_back(a.at("detail"));
  }
  return out;
}

std::string SaleOf(const HttpReply& r) {
  REQUIRE(r.status == 200);
  return r.json().at("id");
}

}  // namespace

TEST_CASE(
    "brand: one serial sold in two stores offline alerts both stores within one sync "
    "cycle, a return sold again does not",
    "[cloud][brand]") {
  const std::uint16_t port = FreePort();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  Agent a({.store = "sA", .cloud_url = url});
  Agent b({.store = "sB", .cloud_url = url});

  // Offline: both stores sell the same serial (one label is a copy)...
  const std::string sold_a = SaleOf(a.SellUnit(kScarf, "CLONE-1"));
  const std::string sold_b = SaleOf(b.SellUnit(kScarf, "CLONE-1"));
  // ...and store A sells a unit, takes it back, and sells it again; store B
  // sells a unit that store A sold and took back (a transfer between stores).
  const std::string first = SaleOf(a.SellUnit(kScarf, "BACK-1"));
  REQUIRE(a.api()
              .Post("/v1/refunds", json{{"sale_id", first}, {"serials", {"BACK-1"}}}.dump())
              .status == 201);
  SaleOf(a.SellUnit(kScarf, "BACK-1"));
  const std::string moved = SaleOf(a.SellUnit(kScarf, "MOVED-1"));
  REQUIRE(a.api()
              .Post("/v1/refunds", json{{"sale_id", moved}, {"serials", {"MOVED-1"}}}.dump())
              .status == 201);

  Cloud cloud({}, port);
  // One cycle each: A pushes first; B's push finds A's sale and its pull
  // brings the alert; A's next cycle brings it to A.
  REQUIRE(a.SyncNow().value("ok", false));
  REQUIRE(b.SyncNow().value("ok", false));
  SaleOf(b.SellUnit(kScarf, "MOVED-1"));  // now online: pushed at once
  REQUIRE(b.SyncNow().value("ok", false));
  REQUIRE(a.SyncNow().value("ok", false));

  for (const Agent* store : {&a, &b}) {
    const auto clones = AlertsOf(*store, "clone_suspected");
    REQUIRE(clones.size() == 1);  // not BACK-1, not MOVED-1
    const json& d = clones[0];
    CHECK(d.at("serial") == "CLONE-1");
    CHECK(d.at("gtin") == kScarf);
    CHECK(d.at("stores") == json::array({"sA", "sB"}));
    REQUIRE(d.at("sales").size() == 2);
    CHECK(d.at("sales")[0] ==
          json{{"store_id", "sA"}, {"device_id", "till-1"}, {"sale_id", sold_a}});
    CHECK(d.at("sales")[1] ==
          json{{"store_id", "sB"}, {"device_id", "till-1"}, {"sale_id", sold_b}});
    CHECK(d.at("revoked") == false);
    CHECK(AlertsOf(*store, "serial_sold_twice").empty());
  }
  // Pulled again, raised once; both sales stand.
  REQUIRE(a.Drain());
  REQUIRE(b.Drain());
  CHECK(AlertsOf(a, "clone_suspected").size() == 1);
  int sales = 0;
  for (const char* store : {"sA", "sB"}) {
    for (const auto& e : cloud.Events(store)) sales += e.at("type") == "sale.completed" ? 1 : 0;
  }
  CHECK(sales == 6);
}

TEST_CASE("brand: with --revoke-clones a copied label's serial is revoked in every store",
          "[cloud][brand]") {
  Cloud cloud({"--revoke-clones"});
  Agent a({.store = "sA", .cloud_url = cloud.url()});
  Agent b({.store = "sB", .cloud_url = cloud.url()});
  Agent c({.store = "sC", .cloud_url = cloud.url()});
  REQUIRE(c.Drain());  // store C is known to the cloud, and sells nothing
  SaleOf(a.SellUnit(kScarf, "CLONE-2"));
  REQUIRE(a.Drain());
  SaleOf(b.SellUnit(kScarf, "CLONE-2"));  // pushed at once: the alert and the revocations
  REQUIRE(b.Drain());
  REQUIRE(a.Drain());
  REQUIRE(c.Drain());

  for (const Agent* store : {&a, &b}) {
    const auto clones = AlertsOf(*store, "clone_suspected");
    REQUIRE(clones.size() == 1);
    CHECK(clones[0].at("revoked") == true);
  }
  CHECK(AlertsOf(c, "clone_suspected").empty());  // not involved: only the revocation
  // Store C's till refuses the serial; another serial still sells.
  const std::string open = c.api().Post("/v1/sales", "{}").json().at("id");
  auto scan = c.api().Post("/v1/sales/" + open + "/scans",
                           json{{"payload", UnitCode(kScarf, "CLONE-2")}}.dump());
  CHECK(scan.status == 422);
  CHECK(scan.json().at("error").at("code") == "code_revoked");
  CHECK(c.SellUnit(kScarf, "GOOD-1").status == 200);
}
