// SPDX-License-Identifier: Apache-2.0
// Issue 8, invariants 1-3 against the real daemon: a client sells over real
// HTTP (sales of one or two units, voids, refunds of acknowledged sales, and
// exchanges: a unit of an acknowledged sale back, another sold instead) while
// the daemon pushes to a real oms-sim, and the daemon gets SIGKILL at seeded
// random moments (after a drawn number of acknowledged completions plus a
// drawn spin of up to 2 ms, so kills land inside requests, commits and
// pushes). After every kill the ledger file itself is checked read-only:
// integrity_check ok, every acknowledged sale, void and refund there, no half
// sale, the outbox seq gapless. Then the daemon restarts and sales go on. At
// the end everything is drained to the cloud, which must hold each event of
// the device exactly once.
//
// Why this shape: ledger_test and integration/crash_test prove the ledger
// under kill -9 in-process; this proves the daemon as shipped (HTTP server,
// group-commit writer, sync worker racing on the same file) keeps the
// promise the API makes when it answers 200. Only answered requests are
// checked: a request cut by the kill has an unknown outcome, which is the
// client's honest position too. Nothing depends on timing to pass: the
// random moment only decides where the kill lands, never what is asserted.
//
// SA_CRASH_LOOP_ITERATIONS (default 100) kills; SA_CRASH_LOOP_SEED replays.
#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cloud_support.hpp"

using namespace sa::testing;

namespace {

// What the daemon acknowledged, across all iterations: the only things the
// checks hold it to.
struct Acked {
  std::vector<std::string> sales;                         // answered 200 to complete
  std::map<std::string, std::vector<std::string>> units;  // sale -> its serials (for refunds)
  std::vector<std::string> voids;                         // answered 200 to void
  std::vector<std::string> refunds;                       // refund ids answered 201
  std::vector<std::string> refundable;                    // acked sales not yet refunded (or tried)
  std::map<std::string, std::int64_t> price;              // serial -> its unit price
  std::vector<std::string> exchanges;                     // exchange ids answered 201
};

// The client thread of one daemon lifetime. It sells until the daemon stops
// answering; `killed` tells it whether that was the test's SIGKILL (then the
// cut request is simply of unknown outcome) or the daemon failing on its own.
class Client {
 public:
  Client(Api api, Acked& acked, std::uint64_t seed, int iteration)
      : api_(std::move(api)),
        acked_(acked),
        rng_(seed ^ (0x9E3779B97F4A7C15ull * (iteration + 1))),
        iteration_(iteration) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Client() {
    stop_ = true;  // on a failed check: finish the request under way and stop
    Join();
  }

  // Waits until `n` completions of this lifetime were acknowledged or the
  // client stopped; the limit is a guard against a hung daemon, not a schedule.
  bool WaitForCompletions(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] {
      return completions_ >= n || done_;
    }) && completions_ >= n;
  }
  // Called right before SIGKILL: from now on, no answer is expected.
  void MarkKilled() { killed_ = true; }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  // Answers that no kill explains (empty when all is well).
  std::string errors() const {
    std::lock_guard lock(mu_);
    return errors_;
  }

 private:
  enum class Outcome { acked, cut };

  // One request; `want` is the status that acknowledges it.
  Outcome Send(const HttpReply& r, long want, const char* what) {
    if (r.status == want) return Outcome::acked;
    if (r.status == 0 && killed_) return Outcome::cut;
    std::lock_guard lock(mu_);
    errors_ += std::string(what) + ": status " + std::to_string(r.status) + " curl " +
               std::to_string(static_cast<int>(r.code)) + " " + r.body.substr(0, 200) + "\n";
    return Outcome::cut;
  }

  std::string NextSerial() {
    return "C" + std::to_string(iteration_) + "-" + std::to_string(serial_++);
  }

  // open, scan `lines` units, then complete for cash or void.
  Outcome Sale(int lines, bool void_it) {
    const auto open = api_.Post("/v1/sales", "{}");
    if (Send(open, 201, "open") != Outcome::acked) return Outcome::cut;
    const std::string id = open.json().at("id");
    std::vector<std::string> serials;
    std::int64_t total = 0;
    for (int i = 0; i < lines; ++i) {
      serials.push_back(NextSerial());
      const auto scan =
          api_.Post("/v1/sales/" + id + "/scans",
                    json{{"payload", UnitCode(i % 2 ? kTea : kScarf, serials.back())}}.dump());
      if (Send(scan, 200, "scan") != Outcome::acked) return Outcome::cut;
      total = scan.json().at("total");
      std::lock_guard lock(mu_);
      acked_.price[serials.back()] = scan.json().at("lines").back().at("unit_price");
    }
    if (void_it) {
      const auto v =
          api_.Post("/v1/sales/" + id + "/void", json{{"reason", "customer left"}}.dump());
      if (Send(v, 200, "void") != Outcome::acked) return Outcome::cut;
      std::lock_guard lock(mu_);
      acked_.voids.push_back(id);
      return Outcome::acked;
    }
    // Cash over the total on some sales: change is part of what must survive.
    const std::int64_t tendered = total + (rng_() % 3 == 0 ? 1000 : 0);
    const auto done =
        api_.Post("/v1/sales/" + id + "/complete",
                  json{{"payments", {{{"method", "cash"}, {"amount", tendered}}}}}.dump());
    if (Send(done, 200, "complete") != Outcome::acked) return Outcome::cut;
    std::lock_guard lock(mu_);
    acked_.sales.push_back(id);
    acked_.units[id] = serials;
    acked_.refundable.push_back(id);
    ++completions_;
    cv_.notify_all();
    return Outcome::acked;
  }

  // Refunds one unit of an acknowledged sale (drawn at random).
  Outcome Refund() {
    std::string sale;
    std::string serial;
    {
      std::lock_guard lock(mu_);
      auto& pool = acked_.refundable;
      const std::size_t at = rng_() % pool.size();
      sale = pool[at];
      pool[at] = pool.back();  // whatever the answer, never asked twice
      pool.pop_back();
      const auto& serials = acked_.units.at(sale);
      serial = serials[rng_() % serials.size()];
    }
    const auto r = api_.Post("/v1/refunds", json{{"sale_id", sale}, {"serials", {serial}}}.dump());
    if (Send(r, 201, "refund") != Outcome::acked) return Outcome::cut;
    std::lock_guard lock(mu_);
    acked_.refunds.push_back(r.json().at("id"));
    return Outcome::acked;
  }

  // Takes one unit of an acknowledged sale back and sells another instead
  // (the other product: the difference is paid in cash or given back).
  Outcome Exchange() {
    std::string sale;
    std::string serial;
    std::int64_t back = 0;
    {
      std::lock_guard lock(mu_);
      auto& pool = acked_.refundable;
      const std::size_t at = rng_() % pool.size();
      sale = pool[at];
      pool[at] = pool.back();
      pool.pop_back();
      const auto& serials = acked_.units.at(sale);
      serial = serials[rng_() % serials.size()];
      back = acked_.price.at(serial);
    }
    const auto open = api_.Post("/v1/sales", "{}");
    if (Send(open, 201, "open") != Outcome::acked) return Outcome::cut;
    const std::string cart = open.json().at("id");
    const std::string other = NextSerial();
    const auto scan =
        api_.Post("/v1/sales/" + cart + "/scans",
                  json{{"payload", UnitCode(rng_() % 2 ? kTea : kScarf, other)}}.dump());
    if (Send(scan, 200, "scan") != Outcome::acked) return Outcome::cut;
    const std::int64_t total = scan.json().at("total");
    json body = {{"sale_id", sale}, {"serials", {serial}}, {"cart_id", cart}};
    if (total > back) body["payments"] = {{{"method", "cash"}, {"amount", total - back}}};
    const auto r = api_.Post("/v1/exchanges", body.dump());
    if (Send(r, 201, "exchange") != Outcome::acked) return Outcome::cut;
    std::lock_guard lock(mu_);
    acked_.exchanges.push_back(r.json().at("id"));
    acked_.refunds.push_back(r.json().at("returned").at("id"));
    acked_.sales.push_back(cart);
    acked_.units[cart] = {other};
    acked_.price[other] = total;
    acked_.refundable.push_back(cart);  // a refund of it goes back the original sale's way
    return Outcome::acked;
  }

  void Run() {
    while (!stop_) {
      const auto draw = rng_() % 100;
      bool can_refund;
      {
        std::lock_guard lock(mu_);
        can_refund = !acked_.refundable.empty();
      }
      Outcome o;
      if (draw < 8) {
        o = Sale(1, true);
      } else if (draw < 16 && can_refund) {
        o = Refund();
      } else if (draw < 22 && can_refund) {
        o = Exchange();
      } else {
        o = Sale(draw < 40 ? 2 : 1, false);
      }
      if (o != Outcome::acked) break;
    }
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

  Api api_;
  Acked& acked_;
  std::mt19937_64 rng_;
  int iteration_;
  int serial_ = 0;
  std::atomic<bool> killed_{false};
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int completions_ = 0;
  bool done_ = false;
  std::string errors_;
  std::thread thread_;
};

// The ledger file opened read-only, as a person with sqlite3 would after
// the crash (WAL: the reader sees exactly what was committed).
class LedgerFile {
 public:
  explicit LedgerFile(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot open " + path + ": " + sqlite3_errmsg(db_));
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~LedgerFile() { sqlite3_close(db_); }
  LedgerFile(const LedgerFile&) = delete;
  LedgerFile& operator=(const LedgerFile&) = delete;

  // Every row of `sql`, each as its columns' text.
  std::vector<std::vector<std::string>> Rows(const std::string& sql) const {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(db_) + "\n" + sql);
    }
    std::vector<std::vector<std::string>> out;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const auto* t = sqlite3_column_text(st, c);
        row.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) throw std::runtime_error(std::string("step: ") + sqlite3_errmsg(db_));
    return out;
  }
  std::int64_t Scalar(const std::string& sql) const {
    const auto rows = Rows(sql);
    if (rows.empty() || rows[0].empty()) throw std::runtime_error("no value: " + sql);
    return std::stoll(rows[0][0]);
  }

 private:
  sqlite3* db_ = nullptr;
};

// Rows that break "no half sale": each query names what it finds wrong and
// must find nothing. The outbox link is by payload id (sale.completed: the
// sale's id; sale.voided: sale_id; refund.completed: refund_id).
struct Rule {
  const char* what;
  const char* sql;
};
constexpr Rule kRules[] = {
    {"completed sale without receipt, close time, lines or full payment",
     "SELECT id FROM sales s WHERE status = 'completed' AND (receipt_no IS NULL OR closed_at_ms IS "
     "NULL "
     "OR NOT EXISTS (SELECT 1 FROM sale_lines l WHERE l.sale_id = s.id) "
     "OR NOT EXISTS (SELECT 1 FROM payments p WHERE p.sale_id = s.id) "
     "OR (SELECT sum(amount_minor) FROM payments p WHERE p.sale_id = s.id) <> tendered_minor "
     "OR tendered_minor - total_minor <> change_minor "
     "OR total_minor <> (SELECT sum(unit_price_minor * qty) FROM sale_lines l WHERE l.sale_id = "
     "s.id))"},
    {"payment on a sale that is not completed",
     "SELECT p.sale_id FROM payments p JOIN sales s ON s.id = p.sale_id WHERE s.status <> "
     "'completed'"},
    {"unit of a completed sale, not refunded, that is not sold to it",
     "SELECT l.sale_id || ' ' || l.serial FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
     "WHERE s.status = 'completed' AND l.serial IS NOT NULL "
     "AND NOT EXISTS (SELECT 1 FROM refund_lines r WHERE r.line_id = l.id) AND NOT EXISTS "
     "(SELECT 1 FROM units u WHERE u.gtin = l.gtin AND u.serial = l.serial AND u.state = 'sold' "
     "AND u.sale_id = s.id)"},
    {"sold unit whose sale is not completed",
     "SELECT u.serial FROM units u WHERE u.state = 'sold' AND NOT EXISTS "
     "(SELECT 1 FROM sales s WHERE s.id = u.sale_id AND s.status = 'completed')"},
    {"refunded unit still sold",
     "SELECT l.serial FROM refund_lines r JOIN sale_lines l ON l.id = r.line_id JOIN units u "
     "ON u.gtin = l.gtin AND u.serial = l.serial WHERE u.state = 'sold'"},
    {"refund without lines, of another sale's lines, or of the wrong amount",
     "SELECT id FROM refunds f WHERE NOT EXISTS (SELECT 1 FROM refund_lines r WHERE r.refund_id = "
     "f.id) "
     "OR EXISTS (SELECT 1 FROM refund_lines r JOIN sale_lines l ON l.id = r.line_id "
     "WHERE r.refund_id = f.id AND l.sale_id <> f.sale_id) OR amount_minor <> (SELECT "
     "sum(l.unit_price_minor * l.qty) FROM refund_lines r JOIN sale_lines l ON l.id = r.line_id "
     "WHERE r.refund_id = f.id)"},
    {"sale.completed event not exactly once for a completed sale",
     "SELECT coalesce(e.sid, s.id) FROM (SELECT coalesce(json_extract(payload, '$.sale.id'), "
     "json_extract(payload, '$.id')) sid, count(*) n FROM outbox "
     "WHERE type IN ('sale.completed', 'exchange.completed') GROUP BY sid) e FULL JOIN (SELECT id "
     "FROM sales WHERE status = "
     "'completed') s ON s.id = e.sid WHERE e.sid IS NULL OR s.id IS NULL OR e.n <> 1"},
    {"sale.voided event not exactly once for a voided sale",
     "SELECT coalesce(e.sid, s.id) FROM (SELECT coalesce(json_extract(payload, '$.sale_id'), "
     "json_extract(payload, '$.id')) sid, count(*) n FROM outbox WHERE type = 'sale.voided' GROUP "
     "BY sid) e "
     "FULL JOIN (SELECT id FROM sales WHERE status = 'voided') s ON s.id = e.sid "
     "WHERE e.sid IS NULL OR s.id IS NULL OR e.n <> 1"},
    {"exchange without both halves, or with an event not naming them",
     "SELECT e.id FROM exchanges e WHERE NOT EXISTS (SELECT 1 FROM refunds f WHERE f.id = "
     "e.refund_id) OR NOT EXISTS (SELECT 1 FROM sales s WHERE s.id = e.sale_id AND s.status = "
     "'completed') OR (SELECT count(*) FROM outbox o WHERE o.type = 'exchange.completed' AND "
     "json_extract(o.payload, '$.exchange_id') = e.id AND json_extract(o.payload, "
     "'$.refund.refund_id') = e.refund_id AND json_extract(o.payload, '$.sale.id') = e.sale_id) "
     "<> 1"},
    {"exchange credit that is not the exchange's, or differs from what was paid with it",
     "SELECT p.sale_id FROM payments p WHERE p.method = 'exchange' AND NOT EXISTS (SELECT 1 FROM "
     "exchanges e JOIN refund_payments rp ON rp.refund_id = e.refund_id AND rp.method = "
     "'exchange' WHERE e.id = p.ref AND e.sale_id = p.sale_id AND e.credit_minor = p.amount_minor "
     "AND rp.amount_minor = p.amount_minor)"},
    {"refund paid back more or less than its amount",
     "SELECT f.id FROM refunds f WHERE f.amount_minor <> (SELECT coalesce(sum(amount_minor), 0) "
     "FROM refund_payments rp WHERE rp.refund_id = f.id)"},
    {"refund.completed event not exactly once for a refund",
     "SELECT coalesce(e.rid, f.id) FROM (SELECT coalesce(json_extract(payload, "
     "'$.refund.refund_id'), json_extract(payload, '$.refund_id')) rid, count(*) n "
     "FROM outbox WHERE type IN ('refund.completed', 'exchange.completed') GROUP BY rid) e FULL "
     "JOIN refunds f ON f.id = "
     "e.rid "
     "WHERE e.rid IS NULL OR f.id IS NULL OR e.n <> 1"},
};

// Everything the ledger must be after a kill; "" when it is, else what is not.
std::string CheckLedger(const LedgerFile& db, const Acked& acked) {
  std::string out;
  const auto integrity = db.Rows("PRAGMA integrity_check");
  if (integrity.size() != 1 || integrity[0][0] != "ok") {
    out += "integrity_check:";
    for (const auto& r : integrity) out += " " + r[0];
    out += "\n";
  }
  std::unordered_map<std::string, std::string> status;
  for (auto& row : db.Rows("SELECT id, status FROM sales")) status.emplace(row[0], row[1]);
  auto expect = [&](const std::vector<std::string>& ids, const std::string& want,
                    const char* what) {
    for (const auto& id : ids) {
      const auto it = status.find(id);
      if (it == status.end() || it->second != want) {
        out += std::string("acknowledged ") + what + " " + id + " is " +
               (it == status.end() ? "missing" : it->second) + "\n";
      }
    }
  };
  expect(acked.sales, "completed", "sale");
  expect(acked.voids, "voided", "void");
  std::set<std::string> refunds;
  for (auto& row : db.Rows("SELECT id FROM refunds")) refunds.insert(row[0]);
  for (const auto& id : acked.refunds) {
    if (!refunds.count(id)) out += "acknowledged refund " + id + " is missing\n";
  }
  std::set<std::string> exchanges;
  for (auto& row : db.Rows("SELECT id FROM exchanges")) exchanges.insert(row[0]);
  for (const auto& id : acked.exchanges) {
    if (!exchanges.count(id)) out += "acknowledged exchange " + id + " is missing\n";
  }
  for (const auto& rule : kRules) {
    const auto bad = db.Rows(rule.sql);
    if (!bad.empty())
      out += std::string(rule.what) + ": " + bad[0][0] + " (" + std::to_string(bad.size()) + ")\n";
  }
  // Gapless from 1, and the counter the next event takes its seq from agrees.
  const auto seq = db.Rows(
      "SELECT count(*), coalesce(min(seq), 1), coalesce(max(seq), 0), "
      "(SELECT coalesce(max(value), 0) FROM counters WHERE name = 'outbox_seq') FROM outbox");
  if (seq[0][1] != "1" || seq[0][0] != seq[0][2] || seq[0][3] != seq[0][2]) {
    out += "outbox seq: count " + seq[0][0] + " min " + seq[0][1] + " max " + seq[0][2] +
           " counter " + seq[0][3] + "\n";
  }
  return out;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// How many events of `type` the cloud holds per id (the payload field `key`).
std::map<std::string, int> CloudCount(const json& events, const std::string& type,
                                      const char* key) {
  std::map<std::string, int> n;
  for (const auto& e : events) {
    if (e.at("type") == type) ++n[e.at("payload").value(key, "")];
  }
  return n;
}

}  // namespace

TEST_CASE("crash loop: kill -9 of the daemon at random moments loses and doubles nothing",
          "[reliability][crash][invariant1][invariant2][invariant3]") {
  const int iterations = static_cast<int>(EnvNumber("SA_CRASH_LOOP_ITERATIONS", 100));
  const std::uint64_t seed = EnvNumber("SA_CRASH_LOOP_SEED", 20261123);
  const auto started = std::chrono::steady_clock::now();
  std::mt19937_64 rng(seed);

  Cloud cloud;
  // push_after_sale is on by default: the kills land in pushes as well.
  Agent agent({.cloud_url = cloud.url(), .batch_size = 20});
  const std::string ledger = (agent.data_dir() / "ledger.db").string();
  Acked acked;
  std::size_t waited_for = 0;  // completions the loop waited for: a floor for what was acked

  for (int i = 0; i < iterations; ++i) {
    INFO("seed " << seed << " iteration " << i << " (SA_CRASH_LOOP_SEED=" << seed
                 << " replays the draws)");
    const int wait_for = static_cast<int>(rng() % 4);  // acknowledged completions before the kill
    const auto spin = std::chrono::microseconds(rng() % 2001);
    waited_for += static_cast<std::size_t>(wait_for);
    {
      Client client(agent.api(), acked, seed, i);
      const bool reached = client.WaitForCompletions(wait_for);
      INFO("client errors:\n" << client.errors());
      REQUIRE(reached);
      // Busy-wait, not sleep: microseconds matter, and the point is a moment
      // somewhere inside whatever the daemon is doing now.
      const auto until = std::chrono::steady_clock::now() + spin;
      while (std::chrono::steady_clock::now() < until) {
      }
      client.MarkKilled();
      agent.Kill9();
      client.Join();
      INFO("client errors:\n" << client.errors());
      REQUIRE(client.errors().empty());
    }
    {
      LedgerFile db(ledger);
      const std::string wrong = CheckLedger(db, acked);
      INFO("after kill " << i << ":\n" << wrong);
      REQUIRE(wrong.empty());
    }
    agent.Start();
    if (iterations >= 1000 && (i + 1) % 500 == 0) {  // a long run shows how far it got
      std::cout << "crash_loop: progress " << i + 1 << "/" << iterations
                << " sales_acked=" << acked.sales.size()
                << " elapsed_s=" << static_cast<int>(Seconds(started)) << std::endl;
    }
  }

  REQUIRE(agent.Drain());
  const json events = cloud.Events("s1");
  CHECK(CompareLedgers(events, "till-1", agent.Outbox()) == "");
  auto sold = CloudCount(events, "sale.completed", "id");
  const auto voided = CloudCount(events, "sale.voided", "sale_id");
  auto refunded = CloudCount(events, "refund.completed", "refund_id");
  const auto exchanged = CloudCount(events, "exchange.completed", "exchange_id");
  for (const auto& e : events) {  // an exchange's halves
    if (e.at("type") != "exchange.completed") continue;
    ++sold[e.at("payload").at("sale").value("id", "")];
    ++refunded[e.at("payload").at("refund").value("refund_id", "")];
  }
  auto once = [](const std::map<std::string, int>& n, const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) {
      const auto it = n.find(id);
      const int c = it == n.end() ? 0 : it->second;
      if (c != 1) out += id + " x" + std::to_string(c) + "\n";
    }
    return out;
  };
  CHECK(once(sold, acked.sales) == "");
  CHECK(once(voided, acked.voids) == "");
  CHECK(once(refunded, acked.refunds) == "");
  CHECK(once(exchanged, acked.exchanges) == "");
  // The loop must have exercised what it claims to.
  CHECK(acked.sales.size() >= waited_for);
  if (acked.sales.size() >= 100) {  // with 8% voids and refunds each, none would be a broken client
    CHECK_FALSE(acked.voids.empty());
    CHECK_FALSE(acked.refunds.empty());
    CHECK_FALSE(acked.exchanges.empty());
  }

  const double elapsed = Seconds(started);
  std::cout << "crash_loop: seed=" << seed << " iterations=" << iterations
            << " kills=" << iterations << " sales_acked=" << acked.sales.size()
            << " voids_acked=" << acked.voids.size() << " refunds_acked=" << acked.refunds.size()
            << " exchanges_acked=" << acked.exchanges.size() << " events_in_cloud=" << events.size()
            << " elapsed_s=" << static_cast<int>(elapsed + 0.5) << std::endl;
}
