// SPDX-License-Identifier: Apache-2.0
// The agent and its cloud, both real, over loopback HTTP: offline sales
// arrive exactly once, a faulty network loses and doubles nothing, kill -9
// mid-push loses nothing, pulled changes reach the till, diversion and
// double sales become alerts.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "cloud_support.hpp"
#include "fault_proxy.hpp"
#include "store.hpp"

using namespace sa::testing;

namespace {

std::string Serial(const char* prefix, int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%05d", prefix, i);
  return buf;
}

int Count(const json& events, const std::string& type) {
  int n = 0;
  for (const auto& e : events) n += e.at("type") == type ? 1 : 0;
  return n;
}

bool HasAlert(const json& status, const std::string& code) {
  for (const auto& a : status.at("alerts")) {
    if (a.at("code") == code) return true;
  }
  return false;
}

int EnvInt(const char* name, int fallback) {
  return static_cast<int>(EnvNumber(name, static_cast<std::uint64_t>(fallback)));
}

}  // namespace

TEST_CASE("cloud: sales made while the cloud is down all arrive exactly once after it comes up",
          "[cloud][invariant3]") {
  const int sales = EnvInt("SA_OFFLINE_SALES", 1000);
  const std::uint16_t port = FreePort();
  Agent agent({.cloud_url = "http://127.0.0.1:" + std::to_string(port)});

  for (int i = 0; i < sales; ++i) {
    REQUIRE(agent.SellUnit(kScarf, Serial("OFF", i)).status == 200);
  }
  // The cloud is down: the till sold anyway, sync says so and keeps everything.
  const json down = agent.SyncNow();
  CHECK_FALSE(down.value("ok", true));
  const json offline = agent.SyncStatus();
  CHECK(offline.at("online") == false);
  CHECK(offline.at("pending_events") == sales);

  Cloud cloud({}, port);
  REQUIRE(agent.Drain());
  const json events = cloud.Events("s1");
  CHECK(Count(events, "sale.completed") == sales);
  CHECK(CompareLedgers(events, "till-1", agent.Outbox()) == "");
  const json online = agent.SyncStatus();
  CHECK(online.at("online") == true);
  CHECK(online.at("pending_events") == 0);
  CHECK(online.at("last_push_at").is_string());
}

TEST_CASE(
    "cloud: with 30% of requests dropped delayed or cut the cloud's ledger equals the agent's",
    "[cloud][invariant3][faults]") {
  const int sales = EnvInt("SA_FAULT_SALES", 200);
  const std::uint64_t seed = static_cast<std::uint64_t>(EnvInt("SA_FAULT_SEED", 20261123));
  // About 20% hurt by the cloud itself...
  Cloud cloud({"--fault-drop", "0.05", "--fault-error", "0.05", "--fault-cut", "0.05",
               "--fault-delay", "0.05", "--fault-delay-ms", "20", "--seed", std::to_string(seed)});
  // ...and about 10% more by the network in between.
  FaultProxy proxy(cloud.port(), {.refuse = 0.03,
                                  .cut_request = 0.03,
                                  .cut_response = 0.04,
                                  .delay = 0.05,
                                  .delay_ms = 20,
                                  .seed = seed});
  Agent agent({.cloud_url = "http://127.0.0.1:" + std::to_string(proxy.port()), .batch_size = 7});

  // Sales and syncs interleave: the cloud sees batches cut at every place.
  for (int i = 0; i < sales; ++i) {
    REQUIRE(agent.SellUnit(i % 2 ? kScarf : kTea, Serial("F", i)).status == 200);
    if (i % 10 == 9) (void)agent.SyncNow();
  }
  REQUIRE(agent.Drain());
  CHECK(proxy.faults_injected() > 0);
  const json events = cloud.Events("s1");
  CHECK(Count(events, "sale.completed") == sales);
  CHECK(CompareLedgers(events, "till-1", agent.Outbox()) == "");
}

TEST_CASE("cloud: kill -9 of the agent in the middle of a push loses nothing and doubles nothing",
          "[cloud][invariant1][invariant3]") {
  Cloud cloud({"--fault-cut", "0.2", "--seed", "7"});
  Agent agent({.cloud_url = cloud.url(), .log_level = "debug", .batch_size = 5});
  int sold = 0;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 60; ++i) REQUIRE(agent.SellUnit(kTea, Serial("K", sold++)).status == 200);
    // The worker is pushing in batches of 5; kill it after a few of them
    // are acknowledged, while the rest are in flight.
    std::thread nudge([&] { (void)agent.api().Post("/v1/sync/now", "{}"); });
    const std::string line = agent.process().WaitForLog("events acknowledged");
    REQUIRE_FALSE(line.empty());
    for (int b = 0; b < round; ++b) agent.process().WaitForLog("events acknowledged");
    agent.Kill9();
    nudge.join();
    agent.Start();
  }
  REQUIRE(agent.Drain());
  const json events = cloud.Events("s1");
  CHECK(Count(events, "sale.completed") == sold);
  CHECK(CompareLedgers(events, "till-1", agent.Outbox()) == "");
}

TEST_CASE("cloud: pulled revocations catalog prices and allocations reach the till",
          "[cloud][pull]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url(), .region = "north"});
  REQUIRE(cloud.Admin("POST", "/admin/v1/stores/s1/revocations",
                      json{{"gtin", kScarf}, {"serial", "STOLEN1"}, {"reason", "stolen"}}.dump())
                  .status /
              100 ==
          2);
  REQUIRE(
      cloud.Admin("PUT", "/admin/v1/stores/s1/catalog",
                  json::array({{{"gtin", kTea}, {"name", "Green tea 2026"}, {"price_minor", 9900}}})
                      .dump())
              .status /
          100 ==
      2);
  REQUIRE(cloud.Admin("POST", "/admin/v1/stores/s1/allocations",
                      json{{"gtin", kScarf},
                           {"serial_from", "SOUTH000"},
                           {"serial_to", "SOUTH999"},
                           {"region", "south"}}
                          .dump())
                  .status /
              100 ==
          2);
  REQUIRE(agent.Drain());
  CHECK(agent.SyncStatus().at("cursor").get<int>() >= 3);

  auto sale = agent.api().Post("/v1/sales", "{}");
  const std::string id = sale.json().at("id");
  auto refused = agent.api().Post("/v1/sales/" + id + "/scans",
                                  json{{"payload", UnitCode(kScarf, "STOLEN1")}}.dump());
  CHECK(refused.status == 422);
  CHECK(refused.json()["error"]["code"] == "code_revoked");
  // Another serial of the same GTIN still sells.
  CHECK(
      agent.api()
          .Post("/v1/sales/" + id + "/scans", json{{"payload", UnitCode(kScarf, "STOLEN2")}}.dump())
          .status == 200);

  auto tea = agent.api().Post("/v1/sales/" + id + "/scans",
                              json{{"payload", UnitCode(kTea, "T1")}}.dump());
  REQUIRE(tea.status == 200);
  CHECK(tea.json().at("lines").back().at("unit_price") == 9900);
  CHECK(tea.json().at("lines").back().at("name") == "Green tea 2026");

  // A unit shipped to the south, scanned in the north: sold (warn), reported.
  auto diverted = agent.api().Post("/v1/sales/" + id + "/scans",
                                   json{{"payload", UnitCode(kScarf, "SOUTH123")}}.dump());
  CHECK(diverted.status == 200);
  CHECK(HasAlert(agent.SyncStatus(), "code_diverted"));
  REQUIRE(agent.Drain());
  const json events = cloud.Events("s1");
  REQUIRE(Count(events, "code.diverted") == 1);
  for (const auto& e : events) {
    if (e.at("type") != "code.diverted") continue;
    CHECK(e.at("payload").at("serial") == "SOUTH123");
    CHECK(e.at("payload").at("allocated_region") == "south");
    CHECK(e.at("payload").at("store_region") == "north");
    CHECK(e.at("payload").at("action") == "warned");
  }
}

TEST_CASE("cloud: a store that refuses diverted units answers code_diverted and still reports it",
          "[cloud][pull][bad_input]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url(),
               .region = "north",
               .extra_toml = "[codes]\non_diverted = \"refuse\"\n"});
  REQUIRE(cloud.Admin("POST", "/admin/v1/stores/s1/allocations",
                      json{{"gtin", kScarf},
                           {"serial_from", "E000"},
                           {"serial_to", "E999"},
                           {"region", "export"}}
                          .dump())
                  .status /
              100 ==
          2);
  REQUIRE(agent.Drain());
  auto sale = agent.api().Post("/v1/sales", "{}");
  const std::string id = sale.json().at("id");
  auto refused = agent.api().Post("/v1/sales/" + id + "/scans",
                                  json{{"payload", UnitCode(kScarf, "E042")}}.dump());
  CHECK(refused.status == 422);
  CHECK(refused.json()["error"]["code"] == "code_diverted");
  CHECK(agent.api().Get("/v1/sales/" + id).json().at("lines").empty());
  // Outside the range, and a serial of another length, sell as usual.
  CHECK(agent.api()
            .Post("/v1/sales/" + id + "/scans", json{{"payload", UnitCode(kScarf, "F042")}}.dump())
            .status == 200);
  CHECK(agent.api()
            .Post("/v1/sales/" + id + "/scans", json{{"payload", UnitCode(kScarf, "E0420")}}.dump())
            .status == 200);
  REQUIRE(agent.Drain());
  const json events = cloud.Events("s1");
  REQUIRE(Count(events, "code.diverted") == 1);
  CHECK(events.back().at("payload").at("action") == "refused");
}

TEST_CASE("cloud: two agents of one store sell the same serial offline and both see the alert",
          "[cloud][invariant4]") {
  const std::uint16_t port = FreePort();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  Agent till1({.device = "till-1", .cloud_url = url});
  Agent till2({.device = "till-2", .cloud_url = url});
  REQUIRE(till1.SellUnit(kScarf, "TWICE1").status == 200);
  REQUIRE(till2.SellUnit(kScarf, "TWICE1").status == 200);  // neither could know
  REQUIRE(till1.SellUnit(kScarf, "ONCE1").status == 200);

  Cloud cloud({}, port);
  REQUIRE(till1.Drain());
  REQUIRE(till2.Drain());
  REQUIRE(till1.Drain());  // till 1 pulls what till 2's push raised
  for (const Agent* till : {&till1, &till2}) {
    const json status = till->SyncStatus();
    REQUIRE(HasAlert(status, "serial_sold_twice"));
    int twice = 0;
    for (const auto& a : status.at("alerts")) {
      if (a.at("code") != "serial_sold_twice") continue;
      ++twice;
      CHECK(a.at("detail").at("serial") == "TWICE1");
      CHECK(a.at("detail").at("sales").size() == 2);
    }
    CHECK(twice == 1);  // pulled again, raised once
  }
  // Neither sale was merged or dropped: the cloud has both.
  CHECK(Count(cloud.Events("s1"), "sale.completed") == 3);
}

// Issue 17: a coupon is redeemed once brand-wide. Two stores, both offline,
// take the same coupon: both sales stand (each store took it in good faith,
// once); the cloud keeps the first redemption and alerts both stores.
TEST_CASE(
    "cloud: one coupon redeemed offline in two stores: both sales stand, one redemption, "
    "both stores alerted",
    "[cloud][coupon]") {
  TempDir keys("sa-coupon-keys");
  const auto crm = sa::crypto::SigningKey::Generate();
  std::ofstream(keys.path() / "coupon.pub.pem") << crm.PublicPem();
  const std::string coupon_toml =
      "[coupons]\nkeys = [\"" + (keys.path() / "coupon.pub.pem").string() + "\"]\n";
  sa::store::CouponCode coupon;
  coupon.id = "BDAY-2026-0001";
  coupon.type = "birthday";
  coupon.amount = 5000;
  coupon.min_spend = 30000;
  coupon.expires_at_s = sa::SystemClock().now_ms() / 1000 + 86400;
  coupon.store = "*";
  const std::string code = sa::store::MakeCouponCode(coupon, crm);

  const std::uint16_t port = FreePort();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  Agent a({.store = "s1", .cloud_url = url, .extra_toml = coupon_toml});
  Agent b({.store = "s2", .cloud_url = url, .extra_toml = coupon_toml});
  std::map<const Agent*, std::string> sale_of;
  for (const Agent* store : {&a, &b}) {
    const Api& api = store->api();
    auto open = api.Post("/v1/sales", "{}");
    REQUIRE(open.status == 201);
    const std::string id = open.json().at("id");
    REQUIRE(
        api.Post("/v1/sales/" + id + "/scans", json{{"payload", UnitCode(kScarf, "CPN")}}.dump())
            .status == 200);
    auto with = api.Post("/v1/sales/" + id + "/scans", json{{"payload", code}}.dump());
    INFO(with.body);
    REQUIRE(with.status == 200);
    CHECK(with.json().at("total") == 129900 - 5000);
    auto done = api.Post("/v1/sales/" + id + "/complete",
                         json{{"payments", {{{"method", "card"}, {"amount", 124900}}}}}.dump());
    INFO(done.body);
    REQUIRE(done.status == 200);
    sale_of[store] = id;
  }

  Cloud cloud({}, port);
  REQUIRE(a.Drain());
  REQUIRE(b.Drain());
  REQUIRE(a.Drain());  // store A pulls what store B's push raised
  for (const Agent* store : {&a, &b}) {
    const json status = store->SyncStatus();
    INFO(status.dump());
    CHECK_FALSE(HasAlert(status, "event_rejected"));
    REQUIRE(HasAlert(status, "coupon_redeemed_twice"));
    for (const auto& alert : status.at("alerts")) {
      if (alert.at("code") != "coupon_redeemed_twice") continue;
      CHECK(alert.at("detail").at("coupon_id") == coupon.id);
      CHECK(alert.at("detail").at("sales").at(0).at("sale_id") == sale_of[&a]);
      CHECK(alert.at("detail").at("sales").at(1).at("sale_id") == sale_of[&b]);
    }
  }
  // Both sales stand in the cloud.
  CHECK(Count(cloud.Events("s1"), "sale.completed") == 1);
  CHECK(Count(cloud.Events("s2"), "sale.completed") == 1);
  // And in this store the coupon is used: a second scan is refused.
  auto again = a.api().Post("/v1/sales", "{}");
  const std::string id = again.json().at("id");
  REQUIRE(
      a.api()
          .Post("/v1/sales/" + id + "/scans", json{{"payload", UnitCode(kScarf, "CPN2")}}.dump())
          .status == 200);
  auto used = a.api().Post("/v1/sales/" + id + "/scans", json{{"payload", code}}.dump());
  CHECK(used.status == 409);
  CHECK(used.json().at("error").at("code") == "coupon_used");
}

TEST_CASE("cloud: a cloud restored from an empty backup gets every event again",
          "[cloud][invariant3]") {
  const std::uint16_t port = FreePort();
  auto cloud = std::make_unique<Cloud>(std::vector<std::string>{}, port);
  Agent agent({.cloud_url = cloud->url()});
  for (int i = 0; i < 12; ++i) REQUIRE(agent.SellUnit(kTea, Serial("R", i)).status == 200);
  REQUIRE(agent.Drain());
  REQUIRE(cloud->Events("s1").size() == 12);
  cloud.reset();
  cloud = std::make_unique<Cloud>(std::vector<std::string>{}, port);  // a new, empty cloud
  REQUIRE(agent.SellUnit(kTea, "R-after").status == 200);
  REQUIRE(agent.Drain());
  CHECK(CompareLedgers(cloud->Events("s1"), "till-1", agent.Outbox()) == "");
}

TEST_CASE("cloud: storectl sync status and sync now report the cloud and exit 2 when it is down",
          "[cloud][storectl]") {
  const std::uint16_t port = FreePort();
  Agent agent({.cloud_url = "http://127.0.0.1:" + std::to_string(port)});
  REQUIRE(agent.SellUnit(kTea, "S1").status == 200);
  const std::string dir = agent.data_dir().string();
  {
    Child now(SA_STORECTL, {"--data-dir", dir, "sync", "now"});
    const std::string out = now.ReadAll();
    CHECK(now.Wait() == 2);
    CHECK(out.find("sync failed") != std::string::npos);
  }
  {
    Child status(SA_STORECTL, {"--data-dir", dir, "sync", "status"});
    const std::string out = status.ReadAll();
    CHECK(status.Wait() == 0);
    CHECK(out.find("offline") != std::string::npos);
    CHECK(out.find("events waiting  1") != std::string::npos);
  }
  Cloud cloud({}, port);
  {
    Child now(SA_STORECTL, {"--data-dir", dir, "sync", "now", "--json"});
    const json out = json::parse(now.ReadAll());
    CHECK(now.Wait() == 0);
    CHECK(out.at("ok") == true);
    // The worker's own retry may have pushed it a moment earlier: either
    // way the cloud has it once.
    CHECK(out.at("pushed").get<int>() <= 1);
    CHECK(Count(cloud.Events("s1"), "sale.completed") == 1);
  }
  {
    Child status(SA_STORECTL, {"--data-dir", dir, "sync", "status", "--json"});
    const json out = json::parse(status.ReadAll());
    CHECK(status.Wait() == 0);
    CHECK(out.at("online") == true);
    CHECK(out.at("pending_events") == 0);
  }
}

TEST_CASE("cloud: an agent without a cloud says so", "[cloud]") {
  Agent agent({.cloud_url = ""});
  const json status = agent.SyncStatus();
  CHECK(status.at("enabled") == false);
  auto now = agent.api().Post("/v1/sync/now", "{}");
  CHECK(now.status == 409);
  CHECK(now.json()["error"]["code"] == "sync_disabled");
}

TEST_CASE("cloud: a device whose clock is a day off syncs after one round trip", "[cloud][auth]") {
  Cloud cloud({"--clock-offset-s", "86400"});  // the cloud is a day ahead of this machine
  Agent agent({.cloud_url = cloud.url()});
  REQUIRE(agent.SellUnit(kTea, "SKEW1").status == 200);
  REQUIRE(agent.Drain());
  CHECK(Count(cloud.Events("s1"), "sale.completed") == 1);
  const std::int64_t offset = agent.SyncStatus().at("clock_offset_ms");
  CHECK(offset > 86'000'000);
  CHECK(offset < 86'800'000);
}

TEST_CASE("cloud: an event the cloud rejects becomes an alert and does not block the ones after it",
          "[cloud][invariant3]") {
  Cloud cloud;
  auto agent = std::make_unique<Agent>(Agent::Options{.cloud_url = cloud.url()});
  REQUIRE(agent->SellUnit(kTea, "REJ1").status == 200);
  agent->Stop();
  {
    // An event of a type this cloud does not know, as a newer agent might write.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((agent->data_dir() / "ledger.db").string().c_str(), &db) == SQLITE_OK);
    REQUIRE(
        sqlite3_exec(db,
                     "UPDATE counters SET value = value + 1 WHERE name = 'outbox_seq';"
                     "INSERT INTO outbox(seq, id, type, at_ms, payload) VALUES((SELECT value FROM "
                     "counters WHERE name = 'outbox_seq'), '0190b6d8-0000-7000-8000-000000000001', "
                     "'loyalty.points', 1, '{}');",
                     nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  agent->Start();
  REQUIRE(agent->SellUnit(kTea, "REJ2").status == 200);
  REQUIRE(agent->Drain());
  const json status = agent->SyncStatus();
  CHECK(status.at("pending_events") == 0);
  REQUIRE(HasAlert(status, "event_rejected"));
  const json events = cloud.Events("s1");
  CHECK(Count(events, "sale.completed") == 2);  // the one after the rejected event too
  auto rejected = cloud.Admin("GET", "/admin/v1/stores/s1/rejected").json().at("events");
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].at("error").at("code") == "unknown_type");
}

TEST_CASE("cloud: over HTTPS the agent verifies the cloud's certificate and its pinned key",
          "[cloud][tls]") {
  TempDir pki;
  const std::string cert = (pki.path() / "cert.pem").string();
  const std::string key = (pki.path() / "key.pem").string();
  const std::string pin_file = (pki.path() / "pin").string();
  const std::string make =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " 2>/dev/null && openssl x509 -in " + cert +
      " -pubkey -noout | openssl pkey -pubin -outform der"
      " | openssl dgst -sha256 -binary | openssl base64 > " +
      pin_file;
  REQUIRE(std::system(("bash -c '" + make + "'").c_str()) == 0);
  const std::string pin = "sha256//" + Trimmed(Slurp(pin_file));
  Cloud cloud({"--tls-cert", cert, "--tls-key", key});
  REQUIRE(cloud.url().rfind("https://", 0) == 0);
  cloud.set_ca_file(cert);

  SECTION("a certificate from an unknown CA is refused") {
    Agent agent({.cloud_url = cloud.url()});
    REQUIRE(agent.SellUnit(kTea, "TLS1").status == 200);
    const json r = agent.SyncNow();
    CHECK(r.at("ok") == false);
    CHECK(agent.SyncStatus().at("pending_events") == 1);
  }
  SECTION("the CA file and the right pin sync") {
    Agent agent({.cloud_url = cloud.url(), .ca_file = cert, .pin = pin});
    REQUIRE(agent.SellUnit(kTea, "TLS2").status == 200);
    REQUIRE(agent.Drain());
    CHECK(Count(cloud.Events("s1"), "sale.completed") == 1);
  }
  SECTION("the CA file with another key's pin is refused") {
    Agent agent({.cloud_url = cloud.url(),
                 .ca_file = cert,
                 .pin = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="});
    REQUIRE(agent.SellUnit(kTea, "TLS3").status == 200);
    const json r = agent.SyncNow();
    CHECK(r.at("ok") == false);
    CHECK(r.at("error").get<std::string>().find("pinned") != std::string::npos);
    CHECK(agent.SyncStatus().at("pending_events") == 1);
  }
}

TEST_CASE("cloud: while online a completed sale is pushed at once without waiting for the interval",
          "[cloud][push]") {
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url(), .log_level = "debug"});
  REQUIRE(agent.Drain());  // online, nothing pending; the next timed cycle is an hour away
  REQUIRE(agent.SellUnit(kTea, "NOW1").status == 200);
  REQUIRE_FALSE(
      agent.process().WaitForLog(R"("msg":"events acknowledged","acked_seq":"1")").empty());
  CHECK(Count(cloud.Events("s1"), "sale.completed") == 1);
  const std::string metrics = agent.api().Get("/metrics").body;
  CHECK(metrics.find("sa_sync_online 1") != std::string::npos);
  CHECK(metrics.find("sa_sync_pushed_events_total 1") != std::string::npos);
}

namespace {

// The VAT lines of a receipt's text ("incl. VAT 13%   83.75"): rate -> amount.
std::map<std::string, std::string> ReceiptVat(const std::string& text) {
  std::map<std::string, std::string> out;
  const std::regex vat(R"(incl\. VAT ([0-9.]+%) +(-?[0-9]+\.[0-9]{2}))");
  std::istringstream lines(text);
  std::smatch m;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, m, vat)) out[m[1].str()] = m[2].str();
  }
  return out;
}

// An event's VAT by rate as a receipt prints it (rates of 0 print nothing).
std::map<std::string, std::string> EventVat(const json& vat, int sign) {
  std::map<std::string, std::string> out;
  for (const auto& band : vat) {
    const std::int64_t bp = band.at("rate_bp");
    if (bp == 0) continue;
    const std::int64_t v = sign * band.at("vat").get<std::int64_t>();
    char amount[32];
    std::snprintf(amount, sizeof amount, "%s%lld.%02lld", v < 0 ? "-" : "",
                  static_cast<long long>(std::llabs(v) / 100),
                  static_cast<long long>(std::llabs(v) % 100));
    out[std::to_string(bp / 100) + "%"] = amount;  // whole-percent rates here
  }
  return out;
}

}  // namespace

// Issue 17: the cloud's copy of each sale recomputes (oms-sim rejects one
// that does not add up: line amounts, line VAT, total, VAT by rate,
// tenders, each line's discounts), and the receipt prints the VAT the event
// carries. Random carts of three VAT rates, serialised units and a plain
// item by quantity, the cloud's promotions, price changes at the till, cash
// with change and split payments, and refunds.
TEST_CASE(
    "cloud: random carts, promotions, price changes and refunds add up in the cloud to the "
    "receipts",
    "[cloud][vat]") {
  const int carts = EnvInt("SA_VAT_CARTS", 40);
  std::mt19937_64 rng(static_cast<std::uint64_t>(EnvInt("SA_VAT_SEED", 20261207)));
  auto pick = [&rng](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  const std::string wrap = "06950123450043";
  Cloud cloud;
  Agent agent({.cloud_url = cloud.url(),
               // Tea's shelf price excludes its VAT (added at the till).
               .catalog = "gtin,name,price_minor,tax_rate,tax_included\n" + std::string(kScarf) +
                          ",Silk scarf,129900,0.13,\n" + kTea + ",Green tea,8800,0.09,false\n" +
                          wrap + ",Gift wrap,500,0.06,true\n"});
  const Api& api = agent.api();
  // Promotions from the cloud, in force for every cart: 每满300减50 on
  // everything, 15 % off tea, buy 2 get 1 on gift wrap. Then a broken
  // version of the first (a number sent as a string): refused whole, with
  // an alert, and the first stays in force.
  for (const json& promotion : {json{{"id", "M300"},
                                     {"name", "每满300减50"},
                                     {"kind", "spend_threshold"},
                                     {"threshold_minor", 30000},
                                     {"amount_minor", 5000},
                                     {"repeat", true}},
                                json{{"id", "TEA15"},
                                     {"name", "Tea 15% off"},
                                     {"kind", "percent_off"},
                                     {"percent_bp", 1500},
                                     {"gtins", {kTea}},
                                     {"priority", 5}},
                                json{{"id", "WRAP21"},
                                     {"name", "Wrap: buy 2 get 1"},
                                     {"kind", "buy_x_get_y"},
                                     {"buy", 2},
                                     {"get", 1},
                                     {"gtins", {wrap}},
                                     {"priority", 5}},
                                json{{"id", "M300"},
                                     {"name", "broken"},
                                     {"kind", "spend_threshold"},
                                     {"threshold_minor", "30000"},
                                     {"amount_minor", 5000}}}) {
    auto offered = cloud.Admin("POST", "/admin/v1/stores/s1/promotions", promotion.dump());
    INFO(offered.body);
    REQUIRE(offered.status == 200);
  }
  REQUIRE(agent.Drain());
  CHECK(HasAlert(agent.SyncStatus(), "change_rejected"));
  // Tea is a plain item: received by scanning its barcode, five of it.
  auto tea_on_hand = [&api] {
    return api.Get("/v1/stock/" + std::string(kTea)).json().at("on_hand").get<std::int64_t>();
  };
  const std::int64_t tea_before = tea_on_hand();
  for (int i = 0; i < 5; ++i) {
    auto r = api.Post("/v1/stock/receive", json{{"payload", "4006381333931"}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  CHECK(tea_on_hand() == tea_before + 5);
  std::int64_t tea_moved = 5;  // received, less sold, plus refunded
  int serial = 0;
  std::int64_t discounted_lines = 0;
  std::vector<std::string> sale_ids, refund_ids;
  for (int c = 0; c < carts; ++c) {
    auto open = api.Post("/v1/sales", "{}");
    REQUIRE(open.status == 201);
    const std::string id = open.json().at("id");
    json sale;
    for (std::size_t i = 0, scans = 1 + pick(5); i < scans; ++i) {
      const std::size_t what = pick(3);
      const std::string payload = what == 0   ? UnitCode(kScarf, Serial("V", ++serial))
                                  : what == 1 ? std::string("4006381333931")  // tea, plain EAN
                                              : UnitCode(wrap, Serial("W", ++serial));
      auto r = api.Post("/v1/sales/" + id + "/scans", json{{"payload", payload}}.dump());
      INFO(r.body);
      REQUIRE(r.status == 200);
      sale = r.json();
    }
    if (pick(3) == 0) {  // a price change at the till (the API token is a manager's)
      const json& line = sale.at("lines").at(pick(sale.at("lines").size()));
      const std::int64_t price = line.at("unit_price").get<std::int64_t>() *
                                 static_cast<std::int64_t>(50 + pick(50)) / 100;
      auto r = api.Post("/v1/sales/" + id + "/lines/" + line.at("id").dump() + "/price",
                        json{{"unit_price", price}, {"reason", "price match"}}.dump());
      INFO(r.body);
      REQUIRE(r.status == 200);
      sale = r.json();
    }
    if (pick(4) == 0) {  // a manager's discount on the whole sale
      const json body = pick(2) == 0
                            ? json{{"percent_bp", 500 + 100 * pick(20)}, {"reason", "vip"}}
                            : json{{"amount", 1 + pick(499)}, {"reason", "round down"}};  // < 5.00
      auto r = api.Post("/v1/sales/" + id + "/discount", body.dump());
      INFO(r.body);
      REQUIRE(r.status == 200);
      sale = r.json();
    }
    const std::int64_t total = sale.at("total");
    json payments;
    switch (pick(3)) {
      case 0:  // cash, rounded up to the next 100 yuan: change
        payments = {{{"method", "cash"}, {"amount", (total / 10000 + 1) * 10000}}};
        break;
      case 1:
        payments = {{{"method", "card"}, {"amount", total}, {"ref", "C" + std::to_string(c)}}};
        break;
      default:  // split across two methods
        payments = {{{"method", "wechat"}, {"amount", total / 3}, {"ref", "W" + std::to_string(c)}},
                    {{"method", "card"}, {"amount", total - total / 3}}};
    }
    auto done = api.Post("/v1/sales/" + id + "/complete", json{{"payments", payments}}.dump());
    INFO(done.body);
    REQUIRE(done.status == 200);
    const json completed = done.json();
    for (const auto& line : completed.at("lines")) {
      discounted_lines += line.contains("discounts");
      if (line.at("gtin") == kTea) tea_moved -= line.at("qty").get<std::int64_t>();
    }
    sale_ids.push_back(id);
    if (c % 4 == 3) {  // a refund of its first line, or one of it
      const json& first = completed.at("lines").at(0);
      const json body =
          first.at("serial").is_string()
              ? json{{"sale_id", id}, {"serials", json::array({first.at("serial")})}}
              : json{{"sale_id", id},
                     {"items", json::array({json{{"gtin", first.at("gtin")}, {"qty", 1}}})}};
      auto back = api.Post("/v1/refunds", body.dump());
      INFO(back.body);
      REQUIRE(back.status == 201);
      refund_ids.push_back(back.json().at("id"));
      if (first.at("gtin") == kTea) ++tea_moved;
    }
  }
  // The plain item's stock followed its scans: in, out by quantity, back.
  CHECK(tea_on_hand() == tea_before + tea_moved);
  REQUIRE(agent.Drain());
  // Every sale accepted: none rejected for figures that do not add up.
  const json status = agent.SyncStatus();
  INFO(status.dump());
  CHECK_FALSE(HasAlert(status, "event_rejected"));

  std::map<std::string, json> sold, refunded;
  for (const auto& e : cloud.Events("s1")) {
    const json& ev = e;
    if (ev.at("type") == "sale.completed") sold[ev.at("payload").at("id")] = ev.at("payload");
    if (ev.at("type") == "refund.completed")
      refunded[ev.at("payload").at("refund_id")] = ev.at("payload");
  }
  REQUIRE(sold.size() == sale_ids.size());
  REQUIRE(refunded.size() == refund_ids.size());
  std::int64_t vat_seen = 0;
  for (const auto& id : sale_ids) {
    const json& event = sold.at(id);
    auto receipt = api.Get("/v1/sales/" + id + "/receipt");
    REQUIRE(receipt.status == 200);
    const std::string text = receipt.json().at("text");
    INFO(text << "\n" << event.dump());
    CHECK(ReceiptVat(text) == EventVat(event.at("vat"), 1));
    for (const auto& band : event.at("vat")) vat_seen += band.at("vat").get<std::int64_t>();
  }
  for (const auto& id : refund_ids) {
    auto receipt = api.Get("/v1/refunds/" + id + "/receipt");
    REQUIRE(receipt.status == 200);
    const std::string text = receipt.json().at("text");
    INFO(text << "\n" << refunded.at(id).dump());
    CHECK(ReceiptVat(text) == EventVat(refunded.at(id).at("vat"), -1));
  }
  CHECK(vat_seen > 0);
  CHECK(discounted_lines > 0);
}
