// SPDX-License-Identifier: Apache-2.0
// The writer: group commit (operations queued during a commit form one
// batch, one transaction, one fsync), each operation still all-or-nothing,
// every result handed back only once its batch is durable, and a batch as
// durable as its most durable operation asks.
#include <sqlite3.h>

#include <asio.hpp>
#include <catch2/catch.hpp>
#include <future>

#include "daemon.hpp"
#include "support.hpp"

using namespace sa;

namespace {

using Work = std::function<Expected<store::Sale>(store::Store&)>;
using Done = std::function<void(Expected<store::Sale>)>;

struct Rig {
  explicit Rig(std::size_t max_queued = 4096) : temp("sa-writer"), clock(1795000000000) {
    db = std::move(ledger::Database::Open((temp.path() / "ledger.db").string()).value());
    store::Config config = store::DemoConfig();
    config.require_signature = false;
    shop = std::make_unique<store::Store>(*db, config, clock);
    REQUIRE(shop->books.ImportCatalogCsv(store::DemoCatalogCsv()));
    writer = std::make_unique<daemon::Writer>(loop, *db, *shop, log, max_queued);
  }
  ~Rig() { writer->Stop(); }

  // Runs the loop until `n` answers arrived (again after an earlier run:
  // the loop stops itself when its last work guard goes).
  void RunUntil(const int& answered, int n) {
    loop.io().restart();
    auto guard = asio::make_work_guard(loop.io());
    while (answered < n) loop.io().run_one();
  }

  // A job that holds the writer inside its batch until `gate` opens.
  void Block(std::promise<void>& running, std::shared_future<void> gate,
             std::function<void(bool)> done) {
    writer->Submit<bool>(
        ledger::Durability::relaxed,
        [&running, gate](store::Store&) -> Expected<bool> {
          running.set_value();
          gate.wait();
          return true;
        },
        [done](Expected<bool> r) { done(r.has_value()); });
  }

  // Committed state, read through a second connection.
  std::string StatusSeenByOthers(const std::string& sale_id) {
    sqlite3* other = nullptr;
    sqlite3_open_v2((temp.path() / "ledger.db").c_str(), &other, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(other, "SELECT status FROM sales WHERE id = ?", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, sale_id.c_str(), -1, SQLITE_TRANSIENT);
    std::string status = "missing";
    if (sqlite3_step(st) == SQLITE_ROW)
      status = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(other);
    return status;
  }

  // The connection's synchronous level: the level its last commit used.
  int Synchronous() {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db->handle(), "PRAGMA synchronous", -1, &st, nullptr);
    sqlite3_step(st);
    const int v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
  }

  sa::testing::TempDir temp;
  ManualClock clock;
  std::unique_ptr<ledger::Database> db;
  std::unique_ptr<store::Store> shop;
  daemon::Log log{daemon::Level::error};
  loop::EventLoop loop;
  std::unique_ptr<daemon::Writer> writer;
};

// One sale of one unit, completed.
Work Sale(std::string serial) {
  return [serial](store::Store& s) -> Expected<store::Sale> {
    auto sale = s.sales.OpenSale("t");
    if (!sale) return sale.error();
    auto scanned =
        s.sales.Scan(sale->id, codes::MakeDigitalLink("x", "06950123450005", serial, ""));
    if (!scanned) return scanned.error();
    return s.sales.Complete(sale->id, {{"cash", 59900, ""}});
  };
}

}  // namespace

TEST_CASE("operations queued during a commit are committed together", "[writer]") {
  Rig rig;
  std::promise<void> release;
  std::promise<void> first_running;
  int answered = 0;
  std::vector<std::string> seen_by_others;
  rig.Block(first_running, release.get_future().share(), [&](bool) { ++answered; });
  first_running.get_future().wait();

  for (int i = 0; i < 5; ++i) {
    rig.writer->Submit<store::Sale>(ledger::Durability::full, Sale("G" + std::to_string(i)),
                                    [&](Expected<store::Sale> sale) {
                                      ++answered;
                                      REQUIRE(sale);
                                      // The answer comes only once the batch is durable: another
                                      // connection already sees the sale completed.
                                      seen_by_others.push_back(rig.StatusSeenByOthers(sale->id));
                                    });
  }
  release.set_value();
  rig.RunUntil(answered, 6);

  const auto stats = rig.writer->stats();
  CHECK(stats.jobs == 6);
  CHECK(stats.batches == 2);    // the blocked one, then all five together
  CHECK(stats.max_batch == 5);  // one transaction, one fsync for five sales
  REQUIRE(seen_by_others.size() == 5);
  for (const auto& s : seen_by_others) CHECK(s == "completed");
}

TEST_CASE("a failing operation in a batch fails alone", "[writer]") {
  Rig rig;
  std::promise<void> release;
  std::promise<void> first_running;
  int answered = 0;
  std::vector<std::string> outcomes(3);
  rig.Block(first_running, release.get_future().share(), [&](bool) { ++answered; });
  first_running.get_future().wait();

  auto record = [&](std::size_t i) {
    return [&, i](Expected<store::Sale> sale) {
      outcomes[i] = sale ? "completed" : sale.error().code;
      ++answered;
    };
  };
  rig.writer->Submit<store::Sale>(ledger::Durability::full, Sale("F1"), record(0));
  rig.writer->Submit<store::Sale>(ledger::Durability::full, Sale("F1"), record(1));  // same unit
  rig.writer->Submit<store::Sale>(ledger::Durability::full, Sale("F2"), record(2));
  release.set_value();
  rig.RunUntil(answered, 4);

  CHECK(outcomes[0] == "completed");
  CHECK(outcomes[1] == "serial_already_sold");  // inside the same batch
  CHECK(outcomes[2] == "completed");
  CHECK(rig.writer->stats().max_batch == 3);
  // The failed one left nothing behind: two completed sales, two events.
  CHECK(rig.shop->books.OutboxAfter(0, 100)->size() == 2);
}

TEST_CASE("a full queue answers agent_busy at once instead of growing", "[writer]") {
  Rig rig(/*max_queued=*/3);
  std::promise<void> release;
  std::promise<void> running;
  int answered = 0;
  std::vector<std::string> outcomes;
  rig.Block(running, release.get_future().share(), [&](bool ok) {
    outcomes.push_back(ok ? "done" : "refused");
    ++answered;
  });
  running.get_future().wait();
  for (int i = 0; i < 5; ++i) {
    rig.writer->Submit<bool>(
        ledger::Durability::relaxed, [](store::Store&) -> Expected<bool> { return true; },
        [&](Expected<bool> r) {
          outcomes.push_back(r ? "done" : r.error().code);
          if (!r) CHECK(r.error().kind == ErrorKind::unavailable);  // the API's 503
          ++answered;
        });
  }
  release.set_value();
  rig.RunUntil(answered, 6);
  CHECK(std::count(outcomes.begin(), outcomes.end(), "done") == 4);  // the blocker + 3 queued
  CHECK(std::count(outcomes.begin(), outcomes.end(), "agent_busy") == 2);
}

TEST_CASE("an operation that throws fails alone, its batch commits", "[writer]") {
  Rig rig;
  std::promise<void> release;
  std::promise<void> running;
  int answered = 0;
  std::vector<std::string> outcomes(3);
  rig.Block(running, release.get_future().share(), [&](bool) { ++answered; });
  running.get_future().wait();
  rig.writer->Submit<store::Sale>(ledger::Durability::full, Sale("X1"),
                                  [&](Expected<store::Sale> r) {
                                    outcomes[0] = r ? "completed" : r.error().code;
                                    ++answered;
                                  });
  rig.writer->Submit<store::Sale>(
      ledger::Durability::full,
      [](store::Store& s) -> Expected<store::Sale> {
        (void)s.sales.OpenSale("doomed");  // a change that must not survive
        throw std::runtime_error("a bug in one handler");
      },
      [&](Expected<store::Sale> r) {
        outcomes[1] = r ? "completed" : r.error().code;
        if (!r) CHECK(r.error().kind == ErrorKind::internal);  // the API's 500
        ++answered;
      });
  rig.writer->Submit<store::Sale>(ledger::Durability::full, Sale("X2"),
                                  [&](Expected<store::Sale> r) {
                                    outcomes[2] = r ? "completed" : r.error().code;
                                    ++answered;
                                  });
  release.set_value();
  rig.RunUntil(answered, 4);
  CHECK(outcomes[0] == "completed");
  CHECK(outcomes[1] == "internal_error");
  CHECK(outcomes[2] == "completed");
  CHECK(rig.shop->books.OutboxAfter(0, 100)->size() == 2);
  CHECK(rig.shop->sales.OpenSaleOf("doomed")->has_value() ==
        false);  // rolled back with its savepoint
}

TEST_CASE("a batch is fsync'd when one of its operations asks, relaxed otherwise",
          "[writer][invariant]") {
  Rig rig;
  constexpr int kNormal = 1, kFull = 2;
  int answered = 0;
  auto count = [&](Expected<bool>) { ++answered; };
  auto open = [](store::Store& s) -> Expected<bool> { return s.sales.OpenSale("t").has_value(); };
  auto durable = [&] {
    std::uint64_t n = 0;
    for (auto c : rig.writer->stats().bucket_counts) n += c;
    return n;
  };
  rig.writer->Submit<bool>(ledger::Durability::relaxed, open, count);
  rig.RunUntil(answered, 1);
  CHECK(rig.Synchronous() == kNormal);
  CHECK(durable() == 0);
  rig.writer->Submit<bool>(ledger::Durability::full, open, count);
  rig.RunUntil(answered, 2);
  CHECK(rig.Synchronous() == kFull);
  CHECK(durable() == 1);  // only the full batch counts as a durable commit
  rig.writer->Submit<bool>(ledger::Durability::relaxed, open, count);
  rig.RunUntil(answered, 3);
  CHECK(rig.Synchronous() == kNormal);
}

TEST_CASE("Call waits for the durable result on a thread of its own, not on the loop", "[writer]") {
  Rig rig;  // its loop never runs: Call's answer does not go through it
  auto sale = rig.writer->Call<store::Sale>(ledger::Durability::full, Sale("C1"));
  REQUIRE(sale);
  CHECK(rig.StatusSeenByOthers(sale->id) == "completed");
  auto again = rig.writer->Call<store::Sale>(ledger::Durability::full, Sale("C1"));
  REQUIRE_FALSE(again);
  CHECK(again.error().code == "serial_already_sold");
}
