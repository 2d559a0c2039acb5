// SPDX-License-Identifier: Apache-2.0
// The device clock jumps back and forward by hours while the real daemon runs
// (a store box with a dead RTC battery that NTP later corrects, or a manager
// who "fixes" the time by hand). The agent runs under Debian's libfaketime
// (LD_PRELOAD) with its offset read from a file on every call, so the test
// moves the agent's wall clock, and only the agent's: oms-sim and the test
// keep the real one. Monotonic time is left alone, as the kernel leaves it.
//
// Proves: the device's event order is its outbox seq, gapless and in order in
// the cloud although the events' timestamps go back; receipts stay unique;
// member codes are judged against the device clock and a used code is never
// accepted twice, whichever way the clock went in between; an order's TTL
// fires once (the expiry is not undone or repeated by later jumps); every sale
// reaches the cloud exactly once, the sync having corrected its clock skew.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "cloud_support.hpp"
#include "codes.hpp"
#include "crypto.hpp"

using namespace sa::testing;

namespace {

// Moves the agent's wall clock: libfaketime reads this file on every call
// (FAKETIME_NO_CACHE), "+2h" / "-6h" being offsets from the real time.
class DeviceClock {
 public:
  explicit DeviceClock(const std::filesystem::path& file) : file_(file) {
    Set(0);
    Export("LD_PRELOAD", SA_LIBFAKETIME);
    Export("FAKETIME_TIMESTAMP_FILE", file_.string());
    Export("FAKETIME_NO_CACHE", "1");
    Export("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    // An ASan build of the agent wants its runtime first in the library
    // list; libfaketime is preloaded ahead of it on purpose.
    const char* asan = std::getenv("ASAN_OPTIONS");
    Export("ASAN_OPTIONS",
           std::string(asan ? asan : "") + (asan && *asan ? ":" : "") + "verify_asan_link_order=0");
  }
  // Children started after this (the agent) run on the fake clock; the test
  // process itself was loaded before and keeps the real one.
  ~DeviceClock() {
    for (const auto& [name, old] : saved_) {
      if (old) {
        setenv(name.c_str(), old->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }
  void Set(int hours) {
    offset_s_ = static_cast<std::int64_t>(hours) * 3600;
    std::ofstream(file_, std::ios::trunc) << (hours < 0 ? "" : "+") << hours << "h\n";
  }
  // The device's wall clock now, in seconds.
  std::int64_t NowS() const { return sa::SystemClock().now_ms() / 1000 + offset_s_; }

 private:
  void Export(const std::string& name, const std::string& value) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    setenv(name.c_str(), value.c_str(), 1);
  }
  std::filesystem::path file_;
  std::int64_t offset_s_ = 0;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

std::string ErrorCode(const HttpReply& r) {
  const json j = r.json();
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

std::string OpenSale(const Agent& agent) {
  const auto r = agent.api().Post("/v1/sales", "{}");
  REQUIRE(r.status == 201);
  return r.json().at("id");
}

HttpReply BindMember(const Agent& agent, const std::string& sale, const std::string& code) {
  return agent.api().Post("/v1/sales/" + sale + "/member", json{{"payload", code}}.dump());
}

int CountType(const json& events, const std::string& type) {
  int n = 0;
  for (const auto& e : events) n += e.at("type") == type;
  return n;
}

}  // namespace

TEST_CASE("clock jumps: order receipts member codes and TTLs stay right and nothing fires twice",
          "[reliability][clock]") {
  TempDir temp("sa-clock");
  Cloud cloud;  // started before the clock is faked: the cloud keeps real time
  const auto member_key = sa::crypto::SigningKey::Generate();
  std::ofstream(temp.path() / "member.pub.pem") << member_key.PublicPem();
  DeviceClock clock(temp.path() / "device-clock");
  Agent agent({.cloud_url = cloud.url(),
               .extra_toml = "[members]\nservice_keys = [\"" +
                             (temp.path() / "member.pub.pem").string() + "\"]\n"});

  std::set<std::string> receipts;
  int sold = 0;
  auto sell = [&](const std::string& tag) {
    for (int i = 0; i < 3; ++i) {
      const HttpReply done =
          agent.SellUnit(kTea, tag + std::to_string(i));  // the scarf is held for the order
      INFO(done.body);
      REQUIRE(done.status == 200);
      ++sold;
      CHECK(receipts.insert(done.json().at("receipt_no").get<std::string>()).second);
    }
  };
  auto member_code = [&](const std::string& id, std::int64_t at_s) {
    return sa::codes::MakeMemberCode(id, at_s, member_key);
  };

  // On time: sell, and accept an order routed to the store (TTL one hour).
  sell("ON-TIME-");
  REQUIRE(cloud.Admin("POST", "/admin/v1/stores/s1/stock",
                      json{{"gtin", kScarf}, {"on_hand", 1}}.dump())
                  .status /
              100 ==
          2);
  REQUIRE(cloud.Admin("POST", "/admin/v1/stores/s1/orders",
                      json{{"id", "o-ttl"},
                           {"kind", "ship_from_store"},
                           {"lines", json::array({{{"gtin", kScarf}, {"qty", 1}}})},
                           {"ttl_s", 3600}}
                          .dump())
                  .status /
              100 ==
          2);
  REQUIRE(agent.Drain());
  REQUIRE(agent.api().Post("/v1/reservations/o-ttl/accept", "{}").status == 200);

  // Six hours back. The cloud sees a skewed device; the agent corrects its
  // request clock after one round trip and keeps syncing.
  clock.Set(-6);
  sell("BACK-");
  REQUIRE(agent.Drain());
  // A member code shown on a phone with the real time is six hours off the
  // device clock, and refused as such; one minted at the device's time binds.
  CHECK(ErrorCode(BindMember(agent, OpenSale(agent), member_code("M1", clock.NowS() + 6 * 3600))) ==
        "member_code_expired");
  CHECK(BindMember(agent, OpenSale(agent), member_code("M1", clock.NowS())).status == 200);
  // The order's TTL is now seven hours away: still held.
  CHECK(agent.api().Get("/v1/reservations/o-ttl").json().at("status") == "accepted");

  // Two hours ahead: the order's hour has passed, and it lapses, once.
  clock.Set(+2);
  REQUIRE_FALSE(agent.process().WaitForLog(R"("msg":"reservations expired")").empty());
  CHECK(agent.api().Get("/v1/reservations/o-ttl").json().at("status") == "expired");
  const std::string late_code = member_code("M2", clock.NowS());
  CHECK(BindMember(agent, OpenSale(agent), late_code).status == 200);
  sell("AHEAD-");

  // Back again, then ahead again: the used code comes back into its window
  // and is still refused as used; the lapsed order stays lapsed.
  clock.Set(-6);
  CHECK(ErrorCode(BindMember(agent, OpenSale(agent), late_code)) == "member_code_expired");
  sell("BACK-AGAIN-");
  clock.Set(+2);
  CHECK(ErrorCode(BindMember(agent, OpenSale(agent), late_code)) == "member_code_replayed");
  clock.Set(0);
  sell("ON-TIME-AGAIN-");
  CHECK(agent.api().Get("/v1/reservations/o-ttl").json().at("status") == "expired");
  CHECK(agent.api()
            .Post("/v1/reservations/o-ttl/pick", json{{"payload", UnitCode(kScarf, "P1")}}.dump())
            .status == 409);

  // Restart on the real time: still one expiry, no second sweep effect.
  agent.Stop();
  agent.Start();
  REQUIRE(agent.Drain());

  const json events = cloud.Events("s1");
  CHECK(CompareLedgers(events, "till-1", agent.Outbox()) == "");
  CHECK(CountType(events, "sale.completed") == sold);
  CHECK(CountType(events, "reservation.expired") == 1);
  CHECK(CountType(events, "member.bound") == 2);
  // The timestamps did go back while seq went on: the cloud orders a
  // device's events by seq, not by its clock.
  bool went_back = false;
  std::string last_at;
  for (const auto& e : events) {
    const std::string at = e.at("at");
    if (!last_at.empty() && at < last_at) went_back = true;
    last_at = at;
  }
  CHECK(went_back);
  std::printf(
      "clock_jump: 5 jumps (-6 h, +2 h, -6 h, +2 h, back), %d sales and %zu events in the cloud "
      "exactly once, 1 expiry, 1 replay refused\n",
      sold, events.size());
}

// Issue 17: prices by customer group from the cloud (price_list changes),
// through the real daemon and oms-sim. The same scarf sells at list price
// to a walk-in, at the tier's price once a gold member binds, at the
// employee price to an employee; a markdown the cloud scheduled for two
// hours from now applies when the device's clock gets there, with the cloud
// stopped (unreachable).
TEST_CASE("price lists: a tier, an employee, a walk-in, and a markdown at its hour offline",
          "[reliability][clock][pricing]") {
  TempDir temp("sa-prices");
  Cloud cloud;
  const auto member_key = sa::crypto::SigningKey::Generate();
  std::ofstream(temp.path() / "member.pub.pem") << member_key.PublicPem();
  DeviceClock clock(temp.path() / "device-clock");
  Agent agent({.cloud_url = cloud.url(),
               .extra_toml = "[members]\nservice_keys = [\"" +
                             (temp.path() / "member.pub.pem").string() + "\"]\n"});
  const std::int64_t in_two_hours_ms = (clock.NowS() + 2 * 3600) * 1000;
  auto list = [](const std::string& id, const std::string& group, std::int64_t price) {
    return json{{"id", id},
                {"group", group},
                {"name", id},
                {"prices", {{{"gtin", kScarf}, {"price_minor", price}}}}};
  };
  json markdown = list("MARKDOWN", "all", 99900);
  markdown["starts_at_ms"] = in_two_hours_ms;
  for (const json& l : {list("GOLD", "gold", 109900), list("STAFF", "employee", 79900), markdown}) {
    auto r = cloud.Admin("POST", "/admin/v1/stores/s1/price-lists", l.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  REQUIRE(agent.Drain());
  cloud.Stop();  // from here on the cloud is unreachable

  auto scarf_in = [&](const std::string& serial, const std::string& member_group) {
    const std::string sale = OpenSale(agent);
    auto scanned = agent.api().Post("/v1/sales/" + sale + "/scans",
                                    json{{"payload", UnitCode(kScarf, serial)}}.dump());
    INFO(scanned.body);
    REQUIRE(scanned.status == 200);
    if (!member_group.empty()) {
      auto bound = BindMember(
          agent, sale,
          sa::codes::MakeMemberCode("M-" + serial, clock.NowS(), member_key, member_group));
      INFO(bound.body);
      REQUIRE(bound.status == 200);
    }
    auto r = agent.api().Get("/v1/sales/" + sale);
    REQUIRE(r.status == 200);
    return r.json();
  };
  CHECK(scarf_in("P1", "").at("total") == 129900);
  const json gold = scarf_in("P2", "gold");
  CHECK(gold.at("total") == 109900);
  CHECK(gold.at("lines").at(0).at("price_list") == "GOLD");
  CHECK(gold.at("lines").at(0).at("catalog_price") == 129900);
  CHECK(scarf_in("P3", "employee").at("total") == 79900);

  clock.Set(2);  // the device's clock reaches the markdown's hour; no cloud to ask
  const json marked = scarf_in("P4", "");
  CHECK(marked.at("total") == 99900);
  CHECK(marked.at("lines").at(0).at("price_list") == "MARKDOWN");
  // The gold member still pays the lowest of their prices.
  CHECK(scarf_in("P5", "gold").at("total") == 99900);
  CHECK(scarf_in("P6", "employee").at("total") == 79900);
}

// Issue 21: retention under a clock that jumps years ahead (a dead RTC
// battery and a bad NTP answer). The cloud has acknowledged three sales and
// then goes away; three more are made offline. With the device clock five
// years ahead, a retention pass (POST /v1/ledger/retention) compacts the
// three acknowledged sales and nothing else: the offline ones are all there,
// and when the cloud is back every one of their events reaches it once.
TEST_CASE("retention: five years ahead, nothing the cloud has not acknowledged goes",
          "[reliability][clock][retention]") {
  TempDir temp("sa-retention");
  Cloud cloud;
  const std::uint16_t cloud_port = cloud.port();
  DeviceClock clock(temp.path() / "device-clock");
  Agent agent({.cloud_url = cloud.url()});

  auto sell = [&](const std::string& serial) {
    const HttpReply done = agent.SellUnit(kTea, serial);
    INFO(done.body);
    REQUIRE(done.status == 200);
    return done.json().at("id").get<std::string>();
  };
  std::vector<std::string> acked;
  std::vector<std::string> offline;
  for (int i = 0; i < 3; ++i) acked.push_back(sell("ACK-" + std::to_string(i)));
  REQUIRE(agent.Drain());
  cloud.Stop();
  for (int i = 0; i < 3; ++i) offline.push_back(sell("OFFLINE-" + std::to_string(i)));
  std::map<std::string, std::string> before;
  for (const auto& id : offline) before[id] = agent.api().Get("/v1/sales/" + id).body;

  clock.Set(5 * 365 * 24);
  const HttpReply pass = agent.api().Post("/v1/ledger/retention", "{}");
  INFO(pass.body);
  REQUIRE(pass.status == 200);
  CHECK(pass.json().at("sales") == 3);
  for (const auto& id : acked) CHECK(agent.api().Get("/v1/sales/" + id).status == 404);
  // What stays of them: the day's totals.
  const HttpReply days = agent.api().Get("/v1/ledger/days");
  INFO(days.body);
  REQUIRE(days.status == 200);
  REQUIRE(days.json().at("days").size() == 1);
  CHECK(days.json().at("days").at(0).at("sales") == 3);
  CHECK(days.json().at("days").at(0).at("sales_total") == 3 * 8800);
  for (const auto& id : offline) {
    const HttpReply kept = agent.api().Get("/v1/sales/" + id);
    CHECK(kept.status == 200);
    CHECK(kept.body == before[id]);
  }
  // A second pass, the clock further still: still nothing unacknowledged.
  clock.Set(50 * 365 * 24);
  const HttpReply again = agent.api().Post("/v1/ledger/retention", "{}");
  REQUIRE(again.status == 200);
  CHECK(again.json().at("sales") == 0);

  cloud.Start({}, cloud_port);
  clock.Set(0);
  REQUIRE(agent.Drain());
  const json events = cloud.Events("s1");
  CHECK(CountType(events, "sale.completed") == 6);
  std::set<std::int64_t> seqs;
  for (const auto& e : events) CHECK(seqs.insert(e.at("seq").get<std::int64_t>()).second);
  CHECK(static_cast<std::int64_t>(seqs.size()) == *seqs.rbegin());  // 1..N, none twice, no gap
  std::printf(
      "retention: clock +5 y, 3 acknowledged sales compacted, 3 offline kept, %zu events "
      "in the cloud exactly once\n",
      events.size());
}
