// SPDX-License-Identifier: Apache-2.0
// Scenario "retention" (retention_bench.hpp). The ledger is built through the
// store layer on a manual clock that walks from `days` days ago to now (one
// unsigned unit per sale, every third by card, every 50th refunded, every
// 100th cart voided), in outer transactions of 10,000; then every event is
// acknowledged, as a cloud that kept up would have.
//
// Then the pass (ledger.retention_days = 90) beside a till whose sales (open,
// scan, complete; each its own transaction, the completion fsync'd) arrive
// at random: RunQueue says how, and how the till idle is timed in the same
// run.
// Bytes: the file with its WAL folded in; `live` leaves out the free pages a
// pass leaves for later sales to reuse (the file does not shrink: it stops
// growing).
#include "retention_bench.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "codes.hpp"
#include "ledger.hpp"
#include "ledger_bench.hpp"
#include "store.hpp"

namespace sa::bench {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr double kArrivalMeanMs = 20;  // 50 sales a second: far past a store's peak
constexpr int kRetentionDays = 90;

class Till {
 public:
  explicit Till(store::Store& s) : s_(s) {}

  // One sale as the API makes it: three transactions, the last fsync'd.
  double Sell(const std::string& serial) {
    const auto start = SteadyClock::now();
    const std::string id = Require(s_.sales.OpenSale("till-1"), "open sale").id;
    Require(s_.sales.Scan(id, codes::MakeDigitalLink(kLabelHost, kGtin, serial, "")), "scan");
    Require(s_.sales.Complete(id, {{"cash", kPriceMinor, ""}}), "complete");
    return MsSince(start);
  }

 private:
  store::Store& s_;
};

std::int64_t Pragma(ledger::Database& db, const std::string& name) {
  auto st = db.Cached("PRAGMA " + name);
  st.Step();
  return st.Int(0);
}

// Bytes per table (its indexes with it), when this SQLite has dbstat.
Json BytesByTable(ledger::Database& db) {
  Json out = Json::object();
  sqlite3_stmt* st = nullptr;
  const char* sql =
      "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d LEFT JOIN sqlite_schema m "
      "ON m.name = d.name GROUP BY 1 ORDER BY 2 DESC";
  if (sqlite3_prepare_v2(db.handle(), sql, -1, &st, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st);
    return nullptr;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    out[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  return out;
}

// The daemon's writer is one thread with one queue: a sale that arrives
// while a retention step runs waits for it. So the run is one loop in real
// time: sales arrive at random (exponential gaps, mean kArrivalMeanMs), and a
// sale's latency is from its arrival to its completion, waiting included.
// Time is cut in windows of kWindowMs, taking turns: in one, retention steps
// run store::kRetentionStepGapMs apart (as the daemon paces them); in the
// next, none. A sale counts as "during" when it arrived in a window with
// steps or while a step still ran; else "idle". Both kinds come from the
// same minutes of the same disk, whose fsync drifts by tens of percent over
// a run; the run ends with the pass.
constexpr int kWindowMs = 2000;

struct QueueRun {
  std::vector<double> idle_ms;
  std::vector<double> during_ms;
  std::vector<double> step_ms;
  store::Compacted total;
  double wall_ms = 0;
};

QueueRun RunQueue(Till& till, store::Store& s, std::mt19937& rng, std::int64_t step_sales) {
  using Ms = std::chrono::duration<double, std::milli>;
  auto after = [](double ms) { return std::chrono::duration_cast<SteadyClock::duration>(Ms(ms)); };
  std::exponential_distribution<double> arrival(1.0 / kArrivalMeanMs);
  const auto start = SteadyClock::now();
  auto stepping = [&](SteadyClock::time_point at) {
    return static_cast<std::int64_t>(Ms(at - start).count()) / kWindowMs % 2 == 1;
  };
  auto next_sale = start + after(arrival(rng));
  auto next_step = start + std::chrono::milliseconds(kWindowMs);
  auto last_step_end = start;
  QueueRun run;
  int serial = 0;
  while (!run.total.done) {
    // A step due in a window without steps waits for the next one.
    if (!stepping(next_step)) {
      const auto window = static_cast<std::int64_t>(Ms(next_step - start).count()) / kWindowMs;
      next_step = start + std::chrono::milliseconds((window + 1) * kWindowMs);
    }
    if (next_sale <= next_step) {
      std::this_thread::sleep_until(next_sale);
      till.Sell("Q" + std::to_string(serial++));
      const bool during = stepping(next_sale) || next_sale < last_step_end;
      (during ? run.during_ms : run.idle_ms).push_back(MsSince(next_sale));
      next_sale += after(arrival(rng));
      continue;
    }
    std::this_thread::sleep_until(next_step);
    const auto began = SteadyClock::now();
    const store::Compacted step = Require(s.retention.Step(step_sales), "retention step");
    last_step_end = SteadyClock::now();
    run.step_ms.push_back(MsSince(began));
    run.total += step;
    next_step = last_step_end + std::chrono::milliseconds(store::kRetentionStepGapMs);
  }
  run.wall_ms = MsSince(start);
  return run;
}

}  // namespace

int RunRetentionScenario(const RetentionPlan& plan, const std::string& dir_option) {
  const int sales = plan.sales;
  const int days = plan.days;
  const int step_sales = plan.step_sales;
  if (sales < 1 || days < 1) throw BenchError("--sales and --days must be at least 1");
  const WorkDir dir(dir_option);
  const std::string path = dir.path() + "/ledger.db";
  if (std::filesystem::exists(path)) {
    throw BenchError(path + " already exists; sa-bench needs a directory without a ledger");
  }
  const std::int64_t now = SystemClock().now_ms();
  ManualClock clock(now - days * kDayMs);
  auto db = Require(ledger::Database::Open(path), "open ledger");
  store::Config config = store::DemoConfig();
  config.require_signature = false;
  config.retention_days = kRetentionDays;
  store::Store s(*db, std::move(config), clock);
  Require(s.books.ImportCatalogCsv(store::DemoCatalogCsv()), "import catalog");

  const auto filling = SteadyClock::now();
  const std::int64_t step_ms = days * kDayMs / sales;
  constexpr int kBatch = 10'000;
  for (int done = 0; done < sales;) {
    ledger::Transaction batch(*db);
    for (const int end = std::min(sales, done + kBatch); done < end; ++done) {
      clock.advance_ms(step_ms);
      SellMixed(s, done, "R" + std::to_string(done));
    }
    batch.Commit();
  }
  const auto state = Require(s.inbox.GetSyncState(), "sync state");
  Require(s.inbox.RecordAck(state.last_seq), "acknowledge");
  std::cerr << "sa-bench retention: " << sales << " sales over " << days << " days built in "
            << Round(MsSince(filling) / 1000, 1) << " s" << std::endl;
  const std::uintmax_t bytes_detailed = LedgerBytes(*db);
  const Json by_table = BytesByTable(*db);

  clock.set_ms(now);
  Till till(s);
  std::mt19937 rng(2026);
  const QueueRun pass = RunQueue(till, s, rng, step_sales);
  const store::Compacted& total = pass.total;
  const std::uintmax_t bytes_after = LedgerBytes(*db);
  const std::int64_t page = Pragma(*db, "page_size");
  const std::int64_t live = (Pragma(*db, "page_count") - Pragma(*db, "freelist_count")) * page;
  const std::int64_t left = [&] {
    auto st = db->Cached("SELECT count(*) FROM sales");
    st.Step();
    return st.Int(0);
  }();
  const Json baseline = RunBaseline(dir.path() + "/baseline.db", 200);

  if (pass.idle_ms.empty() || pass.during_ms.empty() || pass.step_ms.empty()) {
    throw BenchError("the pass was too short to time the till beside it: give more --sales");
  }
  const Percentiles idle_sale = PercentilesOf(pass.idle_ms);
  const Percentiles during = PercentilesOf(pass.during_ms);
  const Percentiles steps = PercentilesOf(pass.step_ms);
  const Json line{
      {"scenario", "retention"},
      {"sales", sales},
      {"days", days},
      {"retention_days", kRetentionDays},
      {"bytes_per_sale_detailed", Round(static_cast<double>(bytes_detailed) / sales, 0)},
      {"bytes_by_table", by_table},
      {"compacted_sales", total.sales},
      {"compacted_refunds", total.refunds},
      {"compacted_events", total.events},
      {"sales_left", left},
      {"step_sales", step_sales},
      {"steps", pass.step_ms.size()},
      {"step_gap_ms", store::kRetentionStepGapMs},
      {"pass_ms", Round(pass.wall_ms, 1)},
      {"step_p50_ms", Round(steps.p50, 3)},
      {"step_p99_ms", Round(steps.p99, 3)},
      {"step_max_ms", Round(*std::max_element(pass.step_ms.begin(), pass.step_ms.end()), 3)},
      {"sale_arrival_mean_ms", kArrivalMeanMs},
      {"window_ms", kWindowMs},
      {"idle_sales", pass.idle_ms.size()},
      {"sale_idle_p50_ms", Round(idle_sale.p50, 3)},
      {"sale_idle_p99_ms", Round(idle_sale.p99, 3)},
      {"sales_during_steps", pass.during_ms.size()},
      {"sale_during_p50_ms", Round(during.p50, 3)},
      {"sale_during_p99_ms", Round(during.p99, 3)},
      {"ratio_during_to_idle_p99", idle_sale.p99 > 0 ? Round(during.p99 / idle_sale.p99, 2) : 0.0},
      {"bytes_file_before", bytes_detailed},
      {"bytes_file_after", bytes_after},
      {"bytes_live_after", live},
      {"baseline", "sqlite_commit"},
      {"baseline_p99_ms", baseline.value("p99_ms", 0.0)},
      {"baseline_commits_per_s", baseline.value("commits_per_s", 0.0)}};
  std::cout << line.dump() << std::endl;
  return 0;
}

}  // namespace sa::bench
