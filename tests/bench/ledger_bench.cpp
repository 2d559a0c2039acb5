// SPDX-License-Identifier: Apache-2.0
// Scenario "ledger": N sales of one signed, serialised unit each (open, scan,
// complete with cash), on a fresh ledger with the demo store's config.
// Scenario "ledger_unsigned": the same on unsigned labels, signatures
// optional: the ledger's own cost without the ECDSA check.
// Scenarios "ledger_priced", "ledger_unsigned_priced": the same two with
// promotions and a price list in force (PutPricesInForce), and the share of
// a sale's time pricing costs against the run without them.
//
// Each priced run is interleaved with its plain run, sale by sale, on two
// ledgers in the same directory (the one going first alternates): a disk's
// fsync rate drifts by tens of percent within a minute, and two runs one
// after the other would show that drift, not pricing's cost.
#include "ledger_bench.hpp"

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "bench_common.hpp"
#include "codes.hpp"
#include "ledger.hpp"
#include "store.hpp"

namespace sa::bench {

namespace fs = std::filesystem;

namespace {

constexpr double kTargetRatio = 0.7;
constexpr double kTargetPricingShare = 0.1;

// One store on its own ledger, making its sales one at a time, so that two
// runs can take turns. `signed_labels`: the real store (every label signed
// and verified); without it, unsigned labels with signatures optional.
// `priced`: with PutPricesInForce.
class LedgerRun {
 public:
  LedgerRun(const std::string& dir, int n, bool signed_labels, bool priced)
      : signed_labels_(signed_labels),
        priced_(priced),
        due_(priced ? kPricedDueMinor : kPriceMinor),
        db_(Require(ledger::Database::Open(dir + (signed_labels ? "/ledger" : "/ledger-unsigned") +
                                           (priced ? "-priced.db" : ".db")),
                    "open ledger")) {
    store::Config config = store::DemoConfig();
    config.require_signature = signed_labels;
    store_ = std::make_unique<store::Store>(*db_, std::move(config), clock_);
    Require(store_->books.ImportCatalogCsv(store::DemoCatalogCsv()), "import catalog");
    if (priced) PutPricesInForce(*store_);
    bytes_before_ = LedgerBytes(*db_);

    // Minting signs (ECDSA P-256) and is not what a store does: keep it out.
    labels_.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      const std::string serial = "B" + std::to_string(i);
      const std::string sig =
          signed_labels ? codes::SignLabel(kGtin, serial, store::DemoBrandKey()) : "";
      labels_.push_back(codes::MakeDigitalLink(kLabelHost, kGtin, serial, sig));
    }
    sale_ms_.reserve(labels_.size());
    scan_ms_.reserve(labels_.size());
  }

  std::string scenario() const {
    return std::string(signed_labels_ ? "ledger" : "ledger_unsigned") + (priced_ ? "_priced" : "");
  }

  // The next sale: open, scan, complete (the durable, fsync'd commit).
  void Sale() {
    const std::string& label = labels_.at(sale_ms_.size());
    const auto sale_start = SteadyClock::now();
    // Cart edits ride relaxed commits, as the daemon's writer runs them
    // (the store's operations state no durability; a lone one is fsync'd).
    auto relaxed = [this](auto&& edit) {
      ledger::Transaction cart(*db_, ledger::Durability::relaxed);
      auto result = edit();
      cart.Commit();
      return result;
    };
    const store::Sale opened =
        Require(relaxed([&] { return store_->sales.OpenSale("bench"); }), "open sale");
    // Scan alone: parse, signature check, pricing, and the (relaxed) line insert.
    const auto scan_start = SteadyClock::now();
    const store::Sale scanned =
        Require(relaxed([&] { return store_->sales.Scan(opened.id, label); }), "scan");
    scan_ms_.push_back(MsSince(scan_start));
    const char* want = signed_labels_ ? "valid" : "absent";
    if (scanned.lines.size() != 1 || scanned.lines[0].signature != want) {
      throw BenchError("scan of " + label + " did not add one line with signature " + want);
    }
    if (scanned.total != due_) {
      throw BenchError("the cart's total is " + std::to_string(scanned.total) + ", not " +
                       std::to_string(due_));
    }
    const auto complete_start = SteadyClock::now();
    Require(store_->sales.Complete(opened.id, {{"cash", due_, ""}}), "complete");
    complete_ms_.push_back(MsSince(complete_start));
    sale_ms_.push_back(MsSince(sale_start));
  }

  // Sales per second over the time spent in sales (the sum of their times:
  // the other run's turns are not counted).
  double sales_per_s() const {
    double ms = 0;
    for (const double one : sale_ms_) ms += one;
    return ms > 0 ? static_cast<double>(sale_ms_.size()) * 1000 / ms : 0;
  }

  Json Result() {
    const std::uintmax_t bytes_after = LedgerBytes(*db_);
    const double n = static_cast<double>(sale_ms_.size());
    const Percentiles sale = PercentilesOf(sale_ms_);
    const Percentiles scan = PercentilesOf(scan_ms_);
    return Json{
        {"scenario", scenario()},
        {"n", sale_ms_.size()},
        {"sales_per_s", Round(sales_per_s(), 1)},
        {"sale_p50_ms", Round(sale.p50, 3)},
        {"sale_p99_ms", Round(sale.p99, 3)},
        {"scan_p50_ms", Round(scan.p50, 3)},
        {"scan_p99_ms", Round(scan.p99, 3)},
        {"complete_p50_ms", Round(PercentilesOf(complete_ms_).p50, 3)},
        {"bytes_per_sale",
         Round((static_cast<double>(bytes_after) - static_cast<double>(bytes_before_)) / n, 1)},
        {"baseline", "sqlite_commit"}};
  }

  // The scan's and the sale's medians, for pricing's share.
  Percentiles SalePercentiles() const { return PercentilesOf(sale_ms_); }
  Percentiles ScanPercentiles() const { return PercentilesOf(scan_ms_); }

 private:
  bool signed_labels_;
  bool priced_;
  MinorUnits due_;
  SystemClock clock_;
  std::unique_ptr<ledger::Database> db_;
  std::unique_ptr<store::Store> store_;
  std::uintmax_t bytes_before_ = 0;
  std::vector<std::string> labels_;
  std::vector<double> sale_ms_;
  std::vector<double> scan_ms_;
  std::vector<double> complete_ms_;
};

// The plain and the priced run of one kind of label, sale by sale, the one
// going first alternating; then their two lines, the priced one with what
// pricing costs: its sale's time against the plain sale's (issue 17's
// target: at most 10 %), from the mean and from the median.
std::pair<Json, Json> RunPair(const std::string& dir, int n, bool signed_labels) {
  LedgerRun plain(dir, n, signed_labels, false);
  LedgerRun priced(dir, n, signed_labels, true);
  for (int i = 0; i < n; ++i) {
    LedgerRun& first = i % 2 == 0 ? plain : priced;
    LedgerRun& second = i % 2 == 0 ? priced : plain;
    first.Sale();
    second.Sale();
  }
  Json plain_line = plain.Result();
  Json priced_line = priced.Result();
  const double plain_ms = 1000 / plain.sales_per_s();
  const double priced_ms = 1000 / priced.sales_per_s();
  const double plain_p50 = plain.SalePercentiles().p50;
  priced_line["vs_scenario"] = plain.scenario();
  priced_line["pricing_share_of_sale"] = Round((priced_ms - plain_ms) / plain_ms, 3);
  priced_line["pricing_share_of_sale_p50"] =
      Round((priced.SalePercentiles().p50 - plain_p50) / plain_p50, 3);
  priced_line["pricing_scan_p50_ms"] =
      Round(priced.ScanPercentiles().p50 - plain.ScanPercentiles().p50, 3);
  priced_line["target_pricing_share"] = kTargetPricingShare;
  return {std::move(plain_line), std::move(priced_line)};
}

}  // namespace

std::uintmax_t LedgerBytes(ledger::Database& db) {
  db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  std::uintmax_t bytes = fs::file_size(db.path());
  std::error_code ec;
  if (const auto wal = fs::file_size(db.path() + "-wal", ec); !ec) bytes += wal;
  return bytes;
}

// What a busy brand has in force at once (docs/pricing.md): 每满300减50 on
// everything, 40 promotions on other products, and an all-customers price
// list of 2,000 GTINs that sells the bench's scarf for less. Applied as sync
// applies a pulled page.
void PutPricesInForce(store::Store& store) {
  using nlohmann::json;
  std::vector<store::Change> page;
  std::int64_t cursor = 0;
  page.push_back({++cursor, "promotion",
                  json{{"id", "M300"},
                       {"name", "每满300减50"},
                       {"kind", "spend_threshold"},
                       {"threshold_minor", 30000},
                       {"amount_minor", 5000},
                       {"repeat", true}}
                      .dump()});
  for (int i = 0; i < 40; ++i) {
    page.push_back({++cursor, "promotion",
                    json{{"id", "P" + std::to_string(i)},
                         {"name", "10% off"},
                         {"kind", "percent_off"},
                         {"percent_bp", 1000},
                         {"priority", i},
                         {"category", "category-" + std::to_string(i)}}
                        .dump()});
  }
  json prices = json::array({{{"gtin", std::string(kGtin)}, {"price_minor", kPriceMinor - 10000}}});
  for (int i = 1; i < 2000; ++i) {
    std::string n = std::to_string(i);
    const std::string body = "0695040" + std::string(6 - n.size(), '0') + n;  // 13 digits
    prices.push_back({{"gtin", body + codes::Gs1CheckDigit(body)}, {"price_minor", 1000 + i}});
  }
  page.push_back(
      {++cursor, "price_list",
       json{{"id", "ALL"}, {"group", "all"}, {"name", "Markdown"}, {"prices", prices}}.dump()});
  Require(store.inbox.Apply(page, cursor), "apply promotions and a price list");
  auto alerts = Require(store.inbox.Alerts(true, 10), "alerts");
  if (!alerts.empty())
    throw BenchError("the bench's pricing page was refused: " + alerts[0].message);
}

int RunLedgerScenario(int n, const std::string& dir_option) {
  const WorkDir dir(dir_option);
  if (const std::string ledger = dir.path() + "/ledger.db"; fs::exists(ledger)) {
    // Never reuse (or delete) a ledger: --dir could point at a real one.
    throw BenchError(ledger + " already exists; sa-bench needs a directory without a ledger");
  }
  // The baseline before and after the scenarios, on the same filesystem, so
  // all pay the same fsync; a disk's fsync rate drifts, so the ratio uses the
  // mean of the two baseline runs (both are printed).
  const Json before = RunBaseline(dir.path() + "/baseline.db", n);
  std::cout << before.dump() << std::endl;
  auto [signed_run, priced_run] = RunPair(dir.path(), n, true);
  auto [unsigned_run, unsigned_priced_run] = RunPair(dir.path(), n, false);
  const Json after = RunBaseline(dir.path() + "/baseline.db", n);
  std::cout << after.dump() << std::endl;
  const double commits_per_s =
      (before["commits_per_s"].get<double>() + after["commits_per_s"].get<double>()) / 2;
  if (!(commits_per_s > 0)) throw BenchError("baseline reported no commits per second");
  for (Json* line : {&signed_run, &unsigned_run, &priced_run, &unsigned_priced_run}) {
    (*line)["baseline_commits_per_s"] = Round(commits_per_s, 1);
    (*line)["ratio"] = Round((*line)["sales_per_s"].get<double>() / commits_per_s, 3);
    (*line)["target_ratio"] = kTargetRatio;
    std::cout << line->dump() << std::endl;
  }
  return 0;
}

}  // namespace sa::bench
