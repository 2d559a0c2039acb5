// SPDX-License-Identifier: Apache-2.0
// Issue 8, invariant 3 over a bad line: the real agent syncs with the real
// oms-sim through a proxy of our own on 127.0.0.1 (tests/support/fault_proxy.hpp)
// that, on a seeded random schedule, refuses connections, cuts requests and
// answers half-way, delays chunks, resets connections mid-body (RST),
// truncates answers and closes cleanly (FIN), and sends requests to the
// cloud a second time. Sales are pushed in small batches through it and
// orders the cloud offers are pulled through it (some are then rejected at
// the store, so pulled state turns into pushed events too). After a drain
// the cloud must hold every event of the device exactly once with a gapless
// seq, every acknowledged sale exactly once, and the till every offered
// order exactly once.
//
// Why: at-least-once delivery plus idempotent ingest is only as good as its
// handling of the ugly cases (the cloud acted but the answer was lost, the
// request arrived twice, half a body arrived). Nothing here depends on
// timing: the faults decide which exchanges fail, never what is asserted.
//
// SA_NET_FAULT_SEED replays a schedule; SA_NET_FAULT_REQUESTS (default 300)
// is how many requests must have gone through the proxy before the drain.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cloud_support.hpp"
#include "fault_proxy.hpp"

using namespace sa::testing;

namespace {

// Reads the agent's log while the test runs. Every failed sync cycle may
// log a warning, and a pipe nobody reads would end up blocking the daemon's
// logger: a long run would then measure the test, not the agent.
class LogReader {
 public:
  explicit LogReader(AgentProcess& p)
      : thread_([this, &p] {
          // Each call waits on the pipe (poll) until a line or the limit.
          while (!stop_) p.WaitForLog("\x01never\x01", std::chrono::milliseconds(100));
        }) {}
  ~LogReader() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// The agent's reservations as its ledger holds them (read-only; WAL readers
// do not disturb the running writer): one (id, status) per row.
std::vector<std::pair<std::string, std::string>> ReservationRows(const Agent& agent) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string path = (agent.data_dir() / "ledger.db").string();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path);
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT id, status FROM reservations", -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                     reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

}  // namespace

TEST_CASE("network faults: delays drops resets truncations and duplicates lose and double nothing",
          "[reliability][network][invariant3]") {
  const std::uint64_t seed = EnvNumber("SA_NET_FAULT_SEED", 20261123);
  const std::uint64_t target = EnvNumber("SA_NET_FAULT_REQUESTS", 300);
  INFO("SA_NET_FAULT_SEED=" << seed << " SA_NET_FAULT_REQUESTS=" << target);
  const auto started = std::chrono::steady_clock::now();

  Cloud cloud;
  // About one request in four is hurt one way or another; duplicates do not
  // hurt the agent, they test the cloud's side of exactly once. `refuse` is
  // per connection, and the agent keeps its connection alive until a fault
  // closes it, so it needs a higher rate to matter.
  FaultProxy proxy(cloud.port(), {.refuse = 0.15,
                                  .cut_request = 0.02,
                                  .cut_response = 0.03,
                                  .delay = 0.05,
                                  .delay_ms = 5,
                                  .seed = seed,
                                  .reset = 0.03,
                                  .truncate = 0.03,
                                  .duplicate = 0.05});
  // Small batches: a backlog crosses many requests, so faults hit between
  // batches as well as inside them.
  Agent agent({.cloud_url = "http://127.0.0.1:" + std::to_string(proxy.port()), .batch_size = 3});
  std::map<std::string, std::string> orders;  // offered order -> the status the till must show
  std::vector<std::string> sales;             // acknowledged sale ids
  {
    LogReader log(agent.process());
    std::mt19937_64 rng(seed);
    int serial = 0;
    std::uint64_t next_report = 10000;
    for (std::uint64_t round = 0; proxy.requests() < target; ++round) {
      INFO("round " << round << ", after " << proxy.requests() << " requests, " << sales.size()
                    << " sales");
      // Every round asks for a sync, which talks to the cloud: an agent that
      // stopped doing so must fail here, not spin until the ctest timeout.
      REQUIRE(round < 10 * target + 100);
      // 0-4 sales per round: each one also nudges a push of its own.
      for (int n = static_cast<int>(rng() % 5); n > 0; --n) {
        const auto done = agent.SellUnit(serial % 2 ? kTea : kScarf, "N" + std::to_string(serial));
        ++serial;
        REQUIRE(done.status == 200);
        sales.push_back(done.json().at("id"));
      }
      if (rng() % 4 == 0) {
        // The OMS routes an order to the store: it reaches the till by pull.
        const std::string id = "net-" + std::to_string(orders.size());
        const json order = {{"id", id},
                            {"kind", "ship_from_store"},
                            {"lines", json::array({{{"gtin", kScarf}, {"qty", 1}}})},
                            {"ttl_s", 86400}};
        REQUIRE(cloud.Admin("POST", "/admin/v1/stores/s1/orders", order.dump()).status / 100 == 2);
        orders[id] = "offered";
      }
      if (rng() % 8 == 0) {
        // The store turns down one pulled order (about half of them end so):
        // an event born of a pull.
        const json listed = agent.api().Get("/v1/reservations").json();
        const json& open = listed.at("reservations");
        if (!open.empty()) {
          const std::string id = open[rng() % open.size()].at("id");
          const auto r = agent.api().Post("/v1/reservations/" + id + "/reject",
                                          json{{"reason", "no stock"}}.dump());
          REQUIRE(r.status == 200);
          orders.at(id) = "rejected";
        }
      }
      (void)agent.SyncNow();  // through the proxy: ok or not, both are fine here
      if (target >= 10000 && proxy.requests() >= next_report) {  // a long run shows how far it got
        next_report += 10000;
        std::cout << "network_faults: progress requests=" << proxy.requests()
                  << " sales=" << sales.size()
                  << " elapsed_s=" << static_cast<int>(Seconds(started)) << std::endl;
      }
    }
    REQUIRE(agent.Drain(2000));
  }

  const json events = cloud.Events("s1");
  CHECK(CompareLedgers(events, "till-1", agent.Outbox()) == "");
  std::map<std::string, int> in_cloud;
  int rejected_events = 0;
  for (const auto& e : events) {
    if (e.at("type") == "sale.completed") ++in_cloud[e.at("payload").at("id").get<std::string>()];
    if (e.at("type") == "reservation.rejected") ++rejected_events;
  }
  std::string not_once;
  for (const auto& id : sales) {
    if (in_cloud[id] != 1) not_once += id + " x" + std::to_string(in_cloud[id]) + "\n";
  }
  CHECK(not_once == "");
  CHECK(in_cloud.size() == sales.size());

  // Each offered order once at the till, in the state the store left it:
  // the ledger's rows (the list API pages at 1000), then the API per order.
  std::map<std::string, int> seen;
  std::string wrong;
  for (const auto& [id, status] : ReservationRows(agent)) {
    ++seen[id];
    const auto it = orders.find(id);
    if (it == orders.end()) {
      wrong += id + " was never offered\n";
    } else if (status != it->second) {
      wrong += id + " is " + status + ", not " + it->second + "\n";
    }
  }
  for (const auto& [id, status] : orders) {
    if (seen[id] != 1) wrong += id + " is in the ledger " + std::to_string(seen[id]) + " times\n";
    const auto r = agent.api().Get("/v1/reservations/" + id);
    if (r.status != 200 || r.json().value("status", "") != status) {
      wrong += id + " answers " + std::to_string(r.status) + " " + r.body.substr(0, 100) + "\n";
    }
  }
  CHECK(wrong == "");
  int rejected = 0;
  for (const auto& [id, status] : orders) rejected += status == "rejected" ? 1 : 0;
  CHECK(rejected_events == rejected);

  // What the agent made of the faults: each distinct reason it logged (it
  // logs a failure when the reason changes, so these are not counts).
  std::set<std::string> reasons;
  {
    std::istringstream lines(agent.process().log());
    for (std::string line; std::getline(lines, line);) {
      if (line.find("\"msg\":\"sync failed\"") == std::string::npos) continue;
      const json j = json::parse(line, nullptr, false);
      if (j.is_object()) reasons.insert(j.value("why", ""));
    }
  }
  std::string reason_list;
  for (const auto& r : reasons) reason_list += "\n  " + r;

  // Every kind of fault happened, and they did hurt: the agent saw failures
  // of several kinds (a reset, an empty answer and a short one read differently).
  const json status = agent.SyncStatus();
  if (target >= 300) {
    for (int k = 0; k < FaultProxy::kKinds; ++k) {
      INFO("fault kind " << FaultProxy::kKindNames[k]);
      CHECK(proxy.faults(FaultProxy::Kind(k)) > 0);
    }
    CHECK(status.at("failures").get<std::int64_t>() > 0);
    INFO("the agent's reasons:" << reason_list);
    CHECK(reasons.size() >= 3);
  }

  const double elapsed = Seconds(started);
  std::cout << "network_faults: seed=" << seed << " requests=" << proxy.requests() << " "
            << proxy.FaultSummary() << " sync_failures=" << status.at("failures")
            << " sales=" << sales.size() << " orders=" << orders.size() << " rejected=" << rejected
            << " events_in_cloud=" << events.size()
            << " elapsed_s=" << static_cast<int>(elapsed + 0.5) << " requests_per_s="
            << static_cast<int>(static_cast<double>(proxy.requests()) / elapsed)
            << "\nnetwork_faults: the agent's failure reasons:" << reason_list << std::endl;
}
