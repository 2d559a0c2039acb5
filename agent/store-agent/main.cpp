// SPDX-License-Identifier: Apache-2.0
// store-agent. Until the daemon lands (issue "The daemon"), this binary runs
// the demo store's walkthrough: the core at work on a real ledger, one sale
// from scan to refund, with the events that wait for the cloud.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "codes.hpp"
#include "ledger.hpp"
#include "store.hpp"

namespace {

namespace fs = std::filesystem;

// 59900 -> "599.00": money stays integer to the last character.
std::string Yuan(sa::MinorUnits minor) {
  const char* sign = minor < 0 ? "-" : "";
  const sa::MinorUnits m = minor < 0 ? -minor : minor;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", sign, static_cast<long long>(m / 100),
                static_cast<long long>(m % 100));
  return buf;
}

std::string Short(const std::string& s, std::size_t n = 72) {
  std::string out;
  for (char c : s) out += (c == '\x1d') ? std::string("<GS>") : std::string(1, c);
  return out.size() > n ? out.substr(0, n - 3) + "..." : out;
}

int Demo(std::string data_dir) {
  if (data_dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "store-agent-demo-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
      std::cerr << "store-agent: cannot create a demo data directory\n";
      return 1;
    }
    data_dir = tmpl;
  }
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  const std::string path = data_dir + "/ledger.db";
  auto db = sa::ledger::Database::Open(path);
  if (!db) {
    std::cerr << "store-agent: " << db.error().code << ": " << db.error().message << "\n";
    return 2;
  }
  sa::SystemClock clock;
  sa::store::Store shop(**db, sa::store::DemoConfig(), clock);
  std::cout << "store-agent demo store " << shop.config().store_id << ", device "
            << shop.config().device_id << "\n"
            << "ledger   " << path << " (WAL, synchronous=FULL)\n";
  auto imported = shop.ImportCatalogCsv(sa::store::DemoCatalogCsv());
  if (!imported) {
    std::cerr << "store-agent: " << imported.error().message << "\n";
    return 1;
  }
  std::cout << "catalog  " << imported->rows << " products, labels must be signed by the demo "
            << "brand key\n\n";

  auto sale = shop.OpenSale("till-1");
  if (!sale) return 1;
  std::cout << "sale " << sale->id << " opened on till-1\n";

  // The embedded virtual scanner: labels as a brand prints them, plus the
  // mistakes a store meets.
  const auto& brand = sa::store::DemoBrandKey();
  const std::string serial_tag = std::to_string(clock.now_ms() % 1000000);
  const std::string scarf = "06950123450005", serum = "06950123450029";
  const std::string s1 = "D" + serial_tag + "-1", s2 = "D" + serial_tag + "-2";
  const std::string scarf_label =
      sa::codes::MakeDigitalLink("id.brand.example", scarf, s1, sa::codes::SignLabel(scarf, s1, brand));
  const std::string serum_label = "]Q301" + serum + "17281231" + "21" + s2 + "\x1d" + "8030" +
                                  sa::codes::SignLabel(serum, s2, brand);
  const auto rogue = sa::crypto::SigningKey::Generate();
  const std::string forged = sa::codes::MakeDigitalLink(
      "id.brand.example", scarf, "FAKE1", sa::codes::SignLabel(scarf, "FAKE1", rogue));
  const std::string member = sa::codes::MakeMemberCode("M1001", clock.now_ms() / 1000,
                                                       sa::store::DemoMemberKey());
  for (const std::string& payload :
       {scarf_label, serum_label, scarf_label, forged, std::string("4006381333932"), member}) {
    auto r = shop.Scan(sale->id, payload);
    std::cout << "  scan " << Short(payload, 60) << "\n       ";
    if (!r) {
      std::cout << "refused: " << r.error().code
                << (r.error().reason.empty() ? "" : " (" + r.error().reason + ")") << " - "
                << r.error().message << "\n";
      continue;
    }
    if (r->member && payload == member) {
      std::cout << "member " << r->member->member_id << " bound\n";
    } else {
      const auto& line = r->lines.back();
      std::cout << "+ " << line.name << "  " << Yuan(line.unit_price) << "  (serial "
                << line.serial << ", signature " << line.signature << ")  total "
                << Yuan(r->total) << "\n";
    }
  }

  auto done = shop.Complete(sale->id, {{"cash", 110000, ""}});
  if (!done) {
    std::cerr << "store-agent: " << done.error().message << "\n";
    return 1;
  }
  std::cout << "  paid cash " << Yuan(110000) << ": completed (fsync'd), receipt "
            << done->receipt_no << ", change " << Yuan(*done->change) << "\n";
  auto refund = shop.RefundUnits(sale->id, {s2});
  if (refund) {
    std::cout << "  refund of serial " << s2 << ": " << Yuan(refund->amount)
              << " back, the unit returns to stock\n";
  }
  auto again = shop.OpenSale("till-2");
  if (again) {
    auto r = shop.Scan(again->id, scarf_label);
    std::cout << "  till-2 scans the sold scarf: "
              << (r ? "accepted?!" : "refused: " + r.error().code) << "\n";
    (void)shop.Void(again->id, "demo");
  }

  const auto events = shop.OutboxAfter(0, 100).value();
  std::cout << "\noutbox: " << events.size() << " events wait for the cloud (sync arrives with "
            << "its issue)\n";
  for (const auto& e : events) {
    std::cout << "  #" << e.seq << " " << e.type << " " << e.id << "\n";
  }
  std::cout << "\nInspect it: sqlite3 " << path << " 'SELECT * FROM outbox'\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"store-agent: the in-store agent for one-item-one-code retail.\n"
               "This build has the core (codes, signatures, ledger, sales); the daemon and its\n"
               "HTTP API come next. --demo walks a demo store through one sale."};
  bool demo = false;
  std::string data_dir;
  app.add_flag("--demo", demo, "Run the demo store: demo catalog, demo keys, a virtual scanner");
  app.add_option("--data-dir", data_dir,
                 "Where the ledger lives (the demo makes a fresh temporary one by default)");
  app.set_version_flag("--version", std::string("store-agent 0.1.0"));
  CLI11_PARSE(app, argc, argv);
  if (!demo) {
    std::cerr << "store-agent: the daemon is not built yet; run with --demo (see --help)\n";
    return 1;
  }
  return Demo(data_dir);
}
