// SPDX-License-Identifier: Apache-2.0
// The writer: group commit (operations queued during a commit form one
// batch, one transaction, one fsync), each operation still all-or-nothing,
// and every answer given only once its batch is durable.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <future>
#include <nlohmann/json.hpp>

#include "daemon.hpp"
#include "support.hpp"

using namespace sa;
using daemon::Job;
using daemon::Reply;

namespace {

struct Rig {
  Rig() : temp("sa-writer"), clock(1795000000000) {
    db = std::move(ledger::Database::Open((temp.path() / "ledger.db").string()).value());
    store::Config config = store::DemoConfig();
    config.require_signature = false;
    shop = std::make_unique<store::Store>(*db, config, clock);
    REQUIRE(shop->books.ImportCatalogCsv(store::DemoCatalogCsv()));
    writer = std::make_unique<daemon::Writer>(io, *db, *shop, log);
  }
  ~Rig() { writer->Stop(); }

  // Runs the loop until `n` answers arrived.
  void RunUntil(const int& answered, int n) {
    auto guard = asio::make_work_guard(io);
    while (answered < n) io.run_one();
  }

  // Committed state, read through a second connection.
  std::string StatusSeenByOthers(const std::string& sale_id) {
    sqlite3* other = nullptr;
    sqlite3_open_v2((temp.path() / "ledger.db").c_str(), &other, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(other, "SELECT status FROM sales WHERE id = ?", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, sale_id.c_str(), -1, SQLITE_TRANSIENT);
    std::string status = "missing";
    if (sqlite3_step(st) == SQLITE_ROW) status = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(other);
    return status;
  }

  sa::testing::TempDir temp;
  ManualClock clock;
  std::unique_ptr<ledger::Database> db;
  std::unique_ptr<store::Store> shop;
  daemon::Log log{daemon::Level::error};
  asio::io_context io;
  std::unique_ptr<daemon::Writer> writer;
};

Job SaleJob(std::string serial, std::function<void(Reply)> done) {
  Job job;
  job.durability = ledger::Durability::full;
  job.work = [serial](store::Store& s) {
    auto sale = s.sales.OpenSale("t");
    if (!sale) return daemon::ErrorReply(sale.error());
    auto scanned = s.sales.Scan(sale->id, codes::MakeDigitalLink("x", "06950123450005", serial, ""));
    if (!scanned) return daemon::ErrorReply(scanned.error());
    auto done_sale = s.sales.Complete(sale->id, {{"cash", 59900, ""}});
    return done_sale ? Reply{200, store::SaleJson(*done_sale)} : daemon::ErrorReply(done_sale.error());
  };
  job.done = std::move(done);
  return job;
}

}  // namespace

TEST_CASE("operations queued during a commit are committed together", "[writer]") {
  Rig rig;
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> first_running;
  int answered = 0;
  std::vector<std::string> completed_ids;
  std::vector<std::string> seen_by_others;

  Job first;
  first.durability = ledger::Durability::relaxed;
  first.work = [&first_running, gate](store::Store&) {
    first_running.set_value();
    gate.wait();  // holds the writer inside batch 1
    return Reply{200, "{}"};
  };
  first.done = [&](Reply) { ++answered; };
  rig.writer->Submit(std::move(first));
  first_running.get_future().wait();

  for (int i = 0; i < 5; ++i) {
    rig.writer->Submit(SaleJob("G" + std::to_string(i), [&](Reply r) {
      ++answered;
      REQUIRE(r.status == 200);
      const std::string id = nlohmann::json::parse(r.body)["id"];
      completed_ids.push_back(id);
      // The answer comes only once the batch is durable: another
      // connection already sees the sale completed.
      seen_by_others.push_back(rig.StatusSeenByOthers(id));
    }));
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
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> first_running;
  int answered = 0;
  std::vector<int> statuses(3, 0);

  Job first;
  first.durability = ledger::Durability::relaxed;
  first.work = [&first_running, gate](store::Store&) {
    first_running.set_value();
    gate.wait();
    return Reply{200, "{}"};
  };
  first.done = [&](Reply) { ++answered; };
  rig.writer->Submit(std::move(first));
  first_running.get_future().wait();

  rig.writer->Submit(SaleJob("F1", [&](Reply r) { statuses[0] = r.status; ++answered; }));
  rig.writer->Submit(SaleJob("F1", [&](Reply r) { statuses[1] = r.status; ++answered; }));  // same unit
  rig.writer->Submit(SaleJob("F2", [&](Reply r) { statuses[2] = r.status; ++answered; }));
  release.set_value();
  rig.RunUntil(answered, 4);

  CHECK(statuses[0] == 200);
  CHECK(statuses[1] == 409);  // serial_already_sold, inside the same batch
  CHECK(statuses[2] == 200);
  CHECK(rig.writer->stats().max_batch == 3);
  // The failed one left nothing behind: two completed sales, two events.
  CHECK(rig.shop->books.OutboxAfter(0, 100)->size() == 2);
}

TEST_CASE("an idempotent operation answers the same twice and runs once", "[writer]") {
  Rig rig;
  int answered = 0;
  std::vector<Reply> replies;
  for (int i = 0; i < 2; ++i) {
    Job job = SaleJob("I1", [&](Reply r) {
      replies.push_back(r);
      ++answered;
    });
    job.idempotency_key = "key-1";
    job.request_hash = "h1";
    rig.writer->Submit(std::move(job));
  }
  Job other = SaleJob("I2", [&](Reply r) {
    replies.push_back(r);
    ++answered;
  });
  other.idempotency_key = "key-1";
  other.request_hash = "h2";  // the same key for another request
  rig.writer->Submit(std::move(other));
  rig.RunUntil(answered, 3);
  REQUIRE(replies.size() == 3);
  CHECK(replies[0].status == 200);
  CHECK(replies[1].status == replies[0].status);
  CHECK(replies[1].body == replies[0].body);
  CHECK(replies[2].status == 409);
  CHECK(nlohmann::json::parse(replies[2].body)["error"]["code"] == "idempotency_key_reused");
  CHECK(rig.shop->books.OutboxAfter(0, 100)->size() == 1);  // one sale, not two
}

TEST_CASE("a full queue answers 503 agent_busy at once instead of growing", "[writer]") {
  sa::testing::TempDir temp("sa-writer");
  ManualClock clock(1795000000000);
  auto db = std::move(ledger::Database::Open((temp.path() / "ledger.db").string()).value());
  store::Store shop(*db, store::DemoConfig(), clock);
  daemon::Log log{daemon::Level::error};
  asio::io_context io;
  daemon::Writer writer(io, *db, shop, log, /*max_queued=*/3);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> running;
  int answered = 0;
  std::vector<int> statuses;
  Job blocker;
  blocker.work = [&running, gate](store::Store&) {
    running.set_value();
    gate.wait();
    return Reply{200, "{}"};
  };
  blocker.done = [&](Reply r) { statuses.push_back(r.status); ++answered; };
  writer.Submit(std::move(blocker));
  running.get_future().wait();
  for (int i = 0; i < 5; ++i) {
    Job job;
    job.durability = ledger::Durability::relaxed;
    job.work = [](store::Store&) { return Reply{200, "{}"}; };
    job.done = [&](Reply r) { statuses.push_back(r.status); ++answered; };
    writer.Submit(std::move(job));
  }
  release.set_value();
  auto guard = asio::make_work_guard(io);
  while (answered < 6) io.run_one();
  CHECK(std::count(statuses.begin(), statuses.end(), 200) == 4);  // the blocker + 3 queued
  CHECK(std::count(statuses.begin(), statuses.end(), 503) == 2);
  writer.Stop();
}

TEST_CASE("an operation that throws fails alone; its batch commits", "[writer]") {
  Rig rig;
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> running;
  int answered = 0;
  std::vector<int> statuses(3, 0);
  Job first;
  first.durability = ledger::Durability::relaxed;
  first.work = [&running, gate](store::Store&) {
    running.set_value();
    gate.wait();
    return Reply{200, "{}"};
  };
  first.done = [&](Reply) { ++answered; };
  rig.writer->Submit(std::move(first));
  running.get_future().wait();
  rig.writer->Submit(SaleJob("X1", [&](Reply r) { statuses[0] = r.status; ++answered; }));
  Job bad;
  bad.work = [](store::Store& s) -> Reply {
    (void)s.sales.OpenSale("doomed");  // a change that must not survive
    throw std::runtime_error("a bug in one handler");
  };
  bad.done = [&](Reply r) { statuses[1] = r.status; ++answered; };
  rig.writer->Submit(std::move(bad));
  rig.writer->Submit(SaleJob("X2", [&](Reply r) { statuses[2] = r.status; ++answered; }));
  release.set_value();
  rig.RunUntil(answered, 4);
  CHECK(statuses[0] == 200);
  CHECK(statuses[1] == 500);
  CHECK(statuses[2] == 200);
  CHECK(rig.shop->books.OutboxAfter(0, 100)->size() == 2);
  CHECK(rig.shop->sales.OpenSaleOf("doomed")->has_value() == false);  // rolled back with its savepoint
}
