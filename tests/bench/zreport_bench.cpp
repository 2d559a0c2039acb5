// SPDX-License-Identifier: Apache-2.0
// Scenario "zreport": a ledger holding a closed shift of N sales and the open
// shift of the same till with N more (one unsigned unit each, every third
// paid by card, every 50th refunded, every 100th cart voided), built through
// the store layer in outer transactions of 10,000. Then the open shift's X
// report (Shifts::ReportOf) several times, the median and the worst, and the
// Z that closes it (CloseShift: the report, the shift closed and its event
// in one fsync'd transaction). The baseline, in the same run on the same
// ledger: the shift's sales read plainly (count and sum of its rows).
// Target: the Z of a 10,000-sale shift in 100 ms or less.
#include "zreport_bench.hpp"

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "codes.hpp"
#include "ledger.hpp"
#include "store.hpp"

namespace sa::bench {

namespace {

constexpr int kRuns = 9;
constexpr double kTargetMs = 100;

// One shift of `sales` sales on till-1, opened and left open.
std::string FillShift(store::Store& s, ledger::Database& db, int sales, const std::string& prefix) {
  constexpr int kBatch = 10'000;
  const std::string shift = Require(s.shifts.OpenShift("till-1", "", 100000), "open shift").id;
  for (int done = 0; done < sales;) {
    ledger::Transaction batch(db);
    for (const int end = std::min(sales, done + kBatch); done < end; ++done) {
      SellMixed(s, done, prefix + std::to_string(done));
    }
    batch.Commit();
  }
  return shift;
}

double PlainReadMs(ledger::Database& db, const std::string& shift) {
  const auto start = SteadyClock::now();
  auto st = db.Cached(
      "SELECT count(*), coalesce(sum(total_minor), 0) FROM sales WHERE shift_id = ? AND status = "
      "'completed'");
  st.Bind(1, shift);
  if (!st.Step() || st.Int(0) == 0) throw BenchError("the plain read found no sales");
  return MsSince(start);
}

}  // namespace

int RunZreportScenario(int sales, const std::string& dir_option) {
  const WorkDir dir(dir_option);
  const std::string path = dir.path() + "/ledger.db";
  if (std::filesystem::exists(path)) {
    throw BenchError(path + " already exists; sa-bench needs a directory without a ledger");
  }
  auto db = Require(ledger::Database::Open(path), "open ledger");
  const SystemClock clock;
  store::Config config = store::DemoConfig();
  config.require_signature = false;
  store::Store s(*db, std::move(config), clock);
  Require(s.books.ImportCatalogCsv(store::DemoCatalogCsv()), "import catalog");
  const auto filling = SteadyClock::now();
  // The till's shift before: its sales are history the report must not read.
  const std::string before = FillShift(s, *db, sales, "Y");
  Require(s.shifts.CloseShift(before, 0), "close the earlier shift");
  const std::string shift = FillShift(s, *db, sales, "Z");
  std::cerr << "sa-bench zreport: two shifts of " << sales << " sales built in "
            << Round(MsSince(filling) / 1000, 1) << " s" << std::endl;

  std::vector<double> report_ms;
  std::vector<double> plain_ms;
  std::int64_t counted = 0;
  for (int i = 0; i < kRuns; ++i) {
    const auto start = SteadyClock::now();
    const store::ShiftReport report = Require(s.shifts.ReportOf(shift), "X report");
    report_ms.push_back(MsSince(start));
    counted = report.sales_count;
    plain_ms.push_back(PlainReadMs(*db, shift));
  }
  const auto closing = SteadyClock::now();
  Require(s.shifts.CloseShift(shift, 0), "Z report");
  const double z_ms = MsSince(closing);

  const Percentiles report = PercentilesOf(report_ms);
  const Percentiles plain = PercentilesOf(plain_ms);
  const Json line{
      {"scenario", "zreport"},
      {"shift_sales", sales},
      {"sales_counted", counted},
      {"runs", kRuns},
      {"x_report_p50_ms", Round(report.p50, 3)},
      {"x_report_max_ms", Round(*std::max_element(report_ms.begin(), report_ms.end()), 3)},
      {"z_report_ms", Round(z_ms, 3)},
      {"target_ms", kTargetMs},
      {"baseline", "plain_read"},
      {"baseline_p50_ms", Round(plain.p50, 3)},
      {"ratio", plain.p50 > 0 ? Round(report.p50 / plain.p50, 2) : 0.0}};
  std::cout << line.dump() << std::endl;
  return 0;
}

}  // namespace sa::bench
