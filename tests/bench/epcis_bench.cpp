// SPDX-License-Identifier: Apache-2.0
#include "epcis_bench.hpp"

#include <stdlib.h>  // mkdtemp

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "epcis.hpp"
#include "store.hpp"

namespace sa::bench {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

template <class T>
T Need(Expected<T> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().message);
  return std::move(r).value();
}

// Peak resident set since the last ResetPeak, in KiB (Linux: VmHWM, reset
// by writing 5 to clear_refs).
void ResetPeak() { std::ofstream("/proc/self/clear_refs") << "5"; }
std::int64_t PeakKib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmHWM:") {
      std::int64_t kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(4096, '\n');
  }
  return -1;
}

// N unit moves: half received units, half sales of them, as the store
// records them (through the store layer, batches of 10,000 per commit).
void Fill(store::Store& s, ledger::Database& db, int events) {
  constexpr int kBatch = 10'000;
  const std::string gtin = "06950123450005";
  const auto start = Clock::now();
  for (int done = 0; done < events;) {
    ledger::Transaction batch(db);
    for (const int end = std::min(events, done + kBatch); done < end; done += 2) {
      const std::string serial = "B" + std::to_string(done);
      const std::string label = codes::MakeDigitalLink(
          "id.brand.example", gtin, serial, codes::SignLabel(gtin, serial, store::DemoBrandKey()));
      Need(s.stock.Receive(Need(s.books.CheckCode(label), "check")), "receive");
      if (done + 1 >= events) break;
      const auto sale = Need(s.sales.OpenSale("bench"), "open");
      const auto scanned = Need(s.sales.Scan(sale.id, label), "scan");
      Need(s.sales.Complete(sale.id, {{"cash", scanned.total, ""}}), "complete");
    }
    batch.Commit();
  }
  std::cerr << "sa-bench epcis: " << events << " unit moves in the ledger in "
            << std::chrono::duration<double>(Clock::now() - start).count() << " s" << std::endl;
}

struct Pass {
  double seconds = 0;
  std::int64_t rows = 0;
  std::int64_t events = 0;
  std::int64_t bytes = 0;
  std::int64_t peak_kib = 0;
};

Pass PlainRead(store::Store& s) {
  Pass p;
  ResetPeak();
  const auto start = Clock::now();
  p.rows = Need(s.books.EachEvent(0, INT64_MAX,
                                  [&](const store::Event& e) {
                                    p.bytes += static_cast<std::int64_t>(
                                        e.payload.size() + e.id.size() + e.type.size());
                                    return true;
                                  }),
                "read");
  p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  p.peak_kib = PeakKib();
  return p;
}

Pass Export(store::Store& s, const fs::path& out) {
  Pass p;
  ResetPeak();
  const auto start = Clock::now();
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  epcis::DocumentWriter writer({"bench-store", "6901234000009", "+08:00"},
                               [&](std::string_view piece) {
                                 file << piece;
                                 p.bytes += static_cast<std::int64_t>(piece.size());
                               });
  writer.Begin(0);
  p.rows = Need(s.books.EachEvent(0, INT64_MAX,
                                  [&](const store::Event& e) {
                                    Need(writer.Add({e.id, e.type, e.at_ms, e.payload}), "export");
                                    return true;
                                  }),
                "export");
  writer.End();
  file.close();
  p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  p.events = writer.events();
  p.peak_kib = PeakKib();
  return p;
}

double Rate(std::int64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0;
}

}  // namespace

int RunEpcisScenario(int events, const std::string& dir_option) {
  std::string tmpl = (fs::temp_directory_path() / "sa-bench-epcis-XXXXXX").string();
  const fs::path dir = dir_option.empty() ? fs::path(mkdtemp(tmpl.data())) : fs::path(dir_option);
  fs::create_directories(dir);
  {
    auto db = Need(ledger::Database::Open((dir / "ledger.db").string()), "open ledger");
    const SystemClock clock;
    store::Store s(*db, store::DemoConfig(), clock);
    Need(s.books.ImportCatalogCsv(store::DemoCatalogCsv()), "catalog");
    Fill(s, *db, events);
    PlainRead(s);  // warm the page cache for both passes alike
    const Pass read = PlainRead(s);
    const Pass exp = Export(s, dir / "export.jsonld");
    const Json line{
        {"scenario", "epcis"},
        {"unit_moves", events},
        {"outbox_rows", read.rows},
        {"export_events", exp.events},
        {"export_events_per_s", static_cast<std::int64_t>(Rate(exp.events, exp.seconds))},
        {"export_mb", static_cast<double>(exp.bytes) / 1e6},
        {"export_peak_rss_kib", exp.peak_kib},
        {"baseline", "plain_read"},
        {"read_rows_per_s", static_cast<std::int64_t>(Rate(read.rows, read.seconds))},
        {"read_peak_rss_kib", read.peak_kib},
        {"ratio", read.seconds > 0 ? read.seconds / exp.seconds : 0}};
    std::cout << line.dump() << std::endl;
  }
  if (dir_option.empty()) fs::remove_all(dir);
  return 0;
}

}  // namespace sa::bench
