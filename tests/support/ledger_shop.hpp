// SPDX-License-Identifier: Apache-2.0
// The demo store in process, for the unit tests of what the store keeps: a
// fresh ledger in a temp dir, a store::Store on it with the demo config and
// the demo catalog imported (demo_catalog.hpp names its products), a manual
// clock, and what every such test asks of it (signed labels, a sale opened,
// a count, the outbox). Each test file derives its own fixture from
// LedgerShop and adds what only it needs.
#pragma once

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "demo_catalog.hpp"
#include "store.hpp"
#include "support.hpp"

namespace sa::testing {

// Where every LedgerShop's clock starts: 2026-11-19, fixed (and 2026 is the
// year its labels' short dates are read in).
inline constexpr std::int64_t kNow = 1795000000000;

struct LedgerShop {
  struct Setup {
    const char* prefix = "sa-shop";  // the temp dir's name
    // A change to the demo config before the store opens on it.
    std::function<void(store::Config&)> tweak = {};
    // The ledger on /dev/shm when there is one: every commit fsyncs, and on
    // tmpfs that costs nothing (for the long randomised runs).
    bool on_tmpfs = false;
  };

  explicit LedgerShop(const Setup& setup)
      : temp(setup.prefix, setup.on_tmpfs && std::filesystem::is_directory("/dev/shm")
                               ? std::filesystem::path("/dev/shm")
                               : std::filesystem::temp_directory_path()),
        dir(temp.path()),
        clock(kNow) {
    db = std::move(ledger::Database::Open((dir / "ledger.db").string()).value());
    store::Config config = store::DemoConfig();
    config.parse.reference_year = 2026;
    if (setup.tweak) setup.tweak(config);
    shop = std::make_unique<store::Store>(*db, config, clock);
    REQUIRE(shop->books.ImportCatalogCsv(store::DemoCatalogCsv()));
  }
  LedgerShop(const LedgerShop&) = delete;
  LedgerShop& operator=(const LedgerShop&) = delete;

  // A Digital Link label of this unit, signed with the demo brand key.
  std::string Label(const std::string& gtin, const std::string& serial) const {
    return codes::MakeDigitalLink("id.brand.example", gtin, serial,
                                  codes::SignLabel(gtin, serial, store::DemoBrandKey()));
  }
  // A new open sale's id.
  std::string Open(const std::string& terminal = "till-1") {
    return shop->sales.OpenSale(terminal).value().id;
  }

  // One change pulled from the cloud (`data` its JSON), applied as sync
  // applies a page, at the next cursor.
  void Pull(const std::string& type, const std::string& data) {
    ++pulled;
    REQUIRE(shop->inbox.Apply({store::Change{pulled, type, data}}, pulled));
  }

  // The first column of the first row of `sql`, a number.
  std::int64_t Count(const std::string& sql) {
    auto st = db->Cached(sql);
    REQUIRE(st.Step());
    return st.Int(0);
  }
  // Every row of `sql` as text: "a|b|NULL|" a line.
  std::string Rows(const std::string& sql) {
    std::string out;
    sqlite3_exec(
        db->handle(), sql.c_str(),
        [](void* acc, int n, char** vals, char**) {
          auto* s = static_cast<std::string*>(acc);
          for (int i = 0; i < n; ++i) *s += (vals[i] ? vals[i] : "NULL") + std::string("|");
          *s += "\n";
          return 0;
        },
        &out, nullptr);
    return out;
  }

  // The outbox after `seq`, in order.
  std::vector<store::Event> EventsAfter(std::int64_t seq) {
    auto all = shop->books.OutboxAfter(seq, 100000);
    REQUIRE(all);
    return *all;
  }
  // The outbox's events of one type, in order.
  std::vector<store::Event> EventsOf(const std::string& type) {
    std::vector<store::Event> out;
    for (auto& e : EventsAfter(0)) {
      if (e.type == type) out.push_back(e);
    }
    return out;
  }

  // Declared in this order so that the store closes before its ledger, and
  // the ledger before its directory goes.
  TempDir temp;
  std::filesystem::path dir;  // where ledger.db is
  ManualClock clock;
  std::unique_ptr<ledger::Database> db;
  std::unique_ptr<store::Store> shop;
  std::int64_t pulled = 0;  // the cursor of the last change Pull applied
};

// A coupon as the demo CRM issues it: 50.00 off 300.00, for any store, a
// day to run from kNow.
inline store::CouponCode DemoCoupon(const std::string& id, const std::string& type = "welcome") {
  store::CouponCode c;
  c.id = id;
  c.type = type;
  c.amount = 5000;
  c.min_spend = 30000;
  c.expires_at_s = kNow / 1000 + 86400;
  c.store = "*";
  return c;
}

// The coupon's code as the till scans it, signed by `key`.
inline std::string Mint(const store::CouponCode& c,
                        const crypto::SigningKey& key = store::DemoCouponKey()) {
  return store::MakeCouponCode(c, key);
}

}  // namespace sa::testing
