// SPDX-License-Identifier: Apache-2.0
// sa-bench: how fast the store completes sales, measured against the fastest
// durable commit SQLite can do on the same disk.
//
//   sa-bench ledger [--n N] [--dir DIR]
//
// Scenario "ledger": N sales of one signed, serialised unit each (open, scan,
// complete with cash), on a fresh ledger with the demo store's config.
// Scenario "ledger_unsigned": the same on unsigned labels, signatures
// optional: the ledger's own cost without the ECDSA check. The baseline
// (shared/baselines/sqlite_commit.cpp, or the same loop in-process when that
// file was not there at configure time) runs before and after, in the same
// directory. Prints one JSON line per baseline run and per scenario; the
// scenarios' ratio is against the mean of the two baseline runs. Any failure
// goes to stderr with exit status 1 (2 for usage).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <stdlib.h>  // mkdtemp
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "base.hpp"
#include "codes.hpp"
#include "ledger.hpp"
#include "store.hpp"

namespace {

namespace fs = std::filesystem;
// Ordered, so the lines keep the field order they are documented with.
using Json = nlohmann::ordered_json;
using SteadyClock = std::chrono::steady_clock;

// In the demo catalog (6950123450005, "Silk scarf - indigo") at 599.00 CNY.
constexpr std::string_view kGtin = "06950123450005";
constexpr sa::MinorUnits kPriceMinor = 59900;
constexpr std::string_view kLabelHost = "id.brand.example";
constexpr double kTargetRatio = 0.7;

// A failure of the run: reported on stderr, exit status 1.
class BenchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

double MsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

// Rounded for printing; the measurements themselves are not this precise.
double Round(double value, double places) {
  const double scale = std::pow(10.0, places);
  return std::round(value * scale) / scale;
}

struct Percentiles {
  double p50 = 0;
  double p99 = 0;
};

// Taken as the baseline takes them: sorted, then [n/2] and [n*99/100].
Percentiles PercentilesOf(std::vector<double> ms) {
  if (ms.empty()) return {};
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() * 99 / 100]};
}

template <class T>
T Require(sa::Expected<T> result, std::string_view what) {
  if (!result) {
    const sa::Error& e = result.error();
    throw BenchError(std::string(what) + ": " + e.code + ": " + e.message +
                     (e.reason.empty() ? "" : " (" + e.reason + ")"));
  }
  return std::move(result).value();
}

// The directory the run works in. A fresh one under /tmp unless the user gave
// one; only the fresh one is removed at the end.
class WorkDir {
 public:
  explicit WorkDir(const std::string& given) {
    if (!given.empty()) {
      std::error_code ec;
      fs::create_directories(given, ec);
      if (ec) throw BenchError("cannot create " + given + ": " + ec.message());
      path_ = given;
      return;
    }
    std::string tmpl = "/tmp/sa-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      throw BenchError("mkdtemp failed: " + std::error_code(errno, std::generic_category()).message());
    }
    path_ = tmpl;
    owned_ = true;
  }
  ~WorkDir() {
    if (!owned_) return;
    std::error_code ec;  // best effort; nothing to do about a failure here
    fs::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

// ------------------------------------------------------------- baseline

#ifdef SA_BASELINE_SQLITE_COMMIT

// For popen's /bin/sh: the text as one single-quoted word.
std::string ShellQuote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs the shared baseline binary and reads its one JSON line.
Json RunBaseline(const std::string& db_path, int n) {
  const std::string binary = SA_BASELINE_SQLITE_COMMIT;
  std::error_code ec;
  if (!fs::exists(binary, ec)) {
    throw BenchError("baseline binary " + binary + " is missing (was the build moved?)");
  }
  const std::string command = ShellQuote(binary) + " " + ShellQuote(db_path) + " " + std::to_string(n);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw BenchError("cannot run " + binary);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw BenchError("baseline " + binary + " failed (status " + std::to_string(status) + ")");
  }
  Json line = Json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (line.is_discarded() || !line.is_object() || !line.contains("commits_per_s") ||
      !line["commits_per_s"].is_number()) {
    throw BenchError("baseline printed something other than its JSON line: " + output);
  }
  line["baseline_source"] = "shared/baselines/sqlite_commit.cpp";
  return line;
}

#else

// sqlite_commit.cpp's loop, statement for statement, for a checkout without
// shared/: one INSERT per BEGIN IMMEDIATE / COMMIT, WAL, synchronous=FULL.
Json RunBaseline(const std::string& db_path, int n) {
  struct Closer {
    sqlite3* db = nullptr;
    sqlite3_stmt* st = nullptr;
    ~Closer() {
      sqlite3_finalize(st);
      sqlite3_close(db);
    }
  } h;
  auto exec = [&](const char* sql) {
    if (sqlite3_exec(h.db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw BenchError(std::string("baseline: ") + sql + ": " + sqlite3_errmsg(h.db));
    }
  };
  // SQLITE_TRANSIENT (as the baseline binds), without its C-style cast.
  const auto transient = reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));

  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db_path + suffix).c_str());
  if (sqlite3_open(db_path.c_str(), &h.db) != SQLITE_OK) throw BenchError("baseline: open failed");
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  exec("CREATE TABLE sale(id INTEGER PRIMARY KEY, uid TEXT UNIQUE, code TEXT UNIQUE, amount INT, ts INT);");
  if (sqlite3_prepare_v2(h.db, "INSERT INTO sale(uid, code, amount, ts) VALUES(?, ?, 1999, ?)", -1,
                         &h.st, nullptr) != SQLITE_OK) {
    throw BenchError(std::string("baseline: prepare: ") + sqlite3_errmsg(h.db));
  }
  std::vector<double> lat;
  lat.reserve(static_cast<std::size_t>(n));
  const auto t0 = SteadyClock::now();
  for (int i = 0; i < n; ++i) {
    const auto a = SteadyClock::now();
    exec("BEGIN IMMEDIATE");
    const std::string uid = "sale-" + std::to_string(i);
    const std::string code = "https://id.example.com/01/09506000134352/21/SN" + std::to_string(i);
    sqlite3_bind_text(h.st, 1, uid.c_str(), -1, transient);
    sqlite3_bind_text(h.st, 2, code.c_str(), -1, transient);
    sqlite3_bind_int64(h.st, 3, i);
    if (sqlite3_step(h.st) != SQLITE_DONE) throw BenchError("baseline: insert failed");
    sqlite3_reset(h.st);
    exec("COMMIT");
    lat.push_back(MsSince(a));
  }
  const double secs = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const Percentiles p = PercentilesOf(std::move(lat));
  return Json{{"baseline", "sqlite_commit"},
              {"n", n},
              {"commits_per_s", Round(n / secs, 1)},
              {"p50_ms", Round(p.p50, 3)},
              {"p99_ms", Round(p.p99, 3)},
              {"baseline_source", "in_process"}};
}

#endif

// --------------------------------------------------------------- ledger

// Size of the ledger on disk once the WAL is folded into the main file.
std::uintmax_t LedgerBytes(sa::ledger::Database& db) {
  db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  std::uintmax_t bytes = fs::file_size(db.path());
  std::error_code ec;
  if (const auto wal = fs::file_size(db.path() + "-wal", ec); !ec) bytes += wal;
  return bytes;
}

// `signed_labels`: the real store (every label signed and verified). Without
// it the same sales run on unsigned labels with signatures optional, which
// isolates the ledger's own cost from the ECDSA check.
Json RunLedger(const std::string& dir, int n, bool signed_labels, double baseline_commits_per_s) {
  const std::string path = dir + (signed_labels ? "/ledger.db" : "/ledger-unsigned.db");
  auto db = Require(sa::ledger::Database::Open(path), "open ledger");
  const sa::SystemClock clock;
  sa::store::Config config = sa::store::DemoConfig();
  config.require_signature = signed_labels;
  sa::store::Store store(*db, std::move(config), clock);
  Require(store.ImportCatalogCsv(sa::store::DemoCatalogCsv()), "import catalog");
  const std::uintmax_t bytes_before = LedgerBytes(*db);

  // Minting signs (ECDSA P-256) and is not what a store does: keep it out.
  std::vector<std::string> labels;
  labels.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const std::string serial = "B" + std::to_string(i);
    const std::string sig =
        signed_labels ? sa::codes::SignLabel(kGtin, serial, sa::store::DemoBrandKey()) : "";
    labels.push_back(sa::codes::MakeDigitalLink(kLabelHost, kGtin, serial, sig));
  }

  const std::vector<sa::store::Payment> payments = {{"cash", kPriceMinor, ""}};
  std::vector<double> sale_ms;
  std::vector<double> scan_ms;
  sale_ms.reserve(labels.size());
  scan_ms.reserve(labels.size());
  const auto t0 = SteadyClock::now();
  for (const std::string& label : labels) {
    const auto sale_start = SteadyClock::now();
    const sa::store::Sale opened = Require(store.OpenSale("bench"), "open sale");
    // Scan alone: parse, signature check, and the (relaxed) line insert.
    const auto scan_start = SteadyClock::now();
    const sa::store::Sale scanned = Require(store.Scan(opened.id, label), "scan");
    scan_ms.push_back(MsSince(scan_start));
    const char* want = signed_labels ? "valid" : "absent";
    if (scanned.lines.size() != 1 || scanned.lines[0].signature != want) {
      throw BenchError("scan of " + label + " did not add one line with signature " + want);
    }
    // The durable (fsync'd) commit.
    Require(store.Complete(opened.id, payments), "complete");
    sale_ms.push_back(MsSince(sale_start));
  }
  const double secs = std::chrono::duration<double>(SteadyClock::now() - t0).count();

  const std::uintmax_t bytes_after = LedgerBytes(*db);
  const double bytes_per_sale =
      (static_cast<double>(bytes_after) - static_cast<double>(bytes_before)) / n;
  const double sales_per_s = n / secs;
  const Percentiles sale = PercentilesOf(std::move(sale_ms));
  const Percentiles scan = PercentilesOf(std::move(scan_ms));
  return Json{{"scenario", signed_labels ? "ledger" : "ledger_unsigned"},
              {"n", n},
              {"sales_per_s", Round(sales_per_s, 1)},
              {"sale_p50_ms", Round(sale.p50, 3)},
              {"sale_p99_ms", Round(sale.p99, 3)},
              {"scan_p50_ms", Round(scan.p50, 3)},
              {"scan_p99_ms", Round(scan.p99, 3)},
              {"bytes_per_sale", Round(bytes_per_sale, 1)},
              {"baseline", "sqlite_commit"},
              {"baseline_commits_per_s", baseline_commits_per_s},
              {"ratio", Round(sales_per_s / baseline_commits_per_s, 3)},
              {"target_ratio", kTargetRatio}};
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
  const Json signed_run = RunLedger(dir.path(), n, true, 0);
  const Json unsigned_run = RunLedger(dir.path(), n, false, 0);
  const Json after = RunBaseline(dir.path() + "/baseline.db", n);
  std::cout << after.dump() << std::endl;
  const double commits_per_s =
      (before["commits_per_s"].get<double>() + after["commits_per_s"].get<double>()) / 2;
  if (!(commits_per_s > 0)) throw BenchError("baseline reported no commits per second");
  for (Json line : {signed_run, unsigned_run}) {
    line["baseline_commits_per_s"] = Round(commits_per_s, 1);
    line["ratio"] = Round(line["sales_per_s"].get<double>() / commits_per_s, 3);
    std::cout << line.dump() << std::endl;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sa-bench: the store's sale path against SQLite's durable-commit limit"};
  app.require_subcommand(1);
  int n = 2000;
  std::string dir;
  CLI::App* ledger = app.add_subcommand(
      "ledger", "N sales (open, scan a signed label, complete) vs. N bare SQLite commits");
  ledger->add_option("--n", n, "number of sales (and of baseline commits)")
      ->check(CLI::Range(1, 100'000'000))
      ->capture_default_str();
  ledger->add_option("--dir", dir,
                     "directory for the databases (default: a fresh one under /tmp, removed "
                     "at the end)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a "parse error" that exits 0; a real one is a usage error (2).
    return app.exit(e) == 0 ? 0 : 2;
  }

  try {
    if (ledger->parsed()) return RunLedgerScenario(n, dir);
  } catch (const sa::ledger::Failure& f) {
    std::cerr << "sa-bench: " << f.error().code << ": " << f.error().message << "\n";
  } catch (const std::exception& e) {
    std::cerr << "sa-bench: " << e.what() << "\n";
  }
  return 1;
}
