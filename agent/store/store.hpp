// SPDX-License-Identifier: Apache-2.0
// The store: its parts on one ledger connection. Each part is a module of
// its own (agent/store/*/), all in namespace sa::store:
//
//   books   the ledger and what every part shares: config, clock, key ring,
//           catalog, the outbox, remembered answers
//   stock   stock levels, receiving, counts, the orders routed to the store
//   sales   sales at the till and their refunds
//   shifts  cashiers, PINs, shifts, the X/Z report
//   inbox   what sync brings: acks, pulled pages, keys, alerts
//   retention  acknowledged detail compacted after ledger.retention_days
//
// Every operation of a part is one transaction: a state change and the
// outbox event describing it commit together, or neither does. Whoever
// holds the ledger's connection holds a Store: the daemon's writer thread,
// sync's reader, the tests.
#pragma once

#include "books.hpp"
#include "inbox.hpp"
#include "retention.hpp"
#include "sales.hpp"
#include "shifts.hpp"
#include "stock.hpp"

namespace sa::store {

class Store {
 public:
  Store(ledger::Database& db, Config config, const Clock& clock)
      : books(db, std::move(config), clock),
        stock(books),
        sales(books, stock),
        shifts(books),
        inbox(books, stock),
        retention(books) {}
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Books books;
  Stock stock;
  Sales sales;
  Shifts shifts;
  Inbox inbox;
  Retention retention;
};

// The demo store (store-agent --demo, storectl defaults, tests): its brand
// and member-service keys, its catalog, and a config that trusts them.
const crypto::SigningKey& DemoBrandKey();
const crypto::SigningKey& DemoMemberKey();
const crypto::SigningKey& DemoCouponKey();
std::string_view DemoCatalogCsv();
Config DemoConfig();
// The demo store at its first start: the demo catalog, and 50 of each
// product on hand (a stock snapshot, as the cloud would send one), so its
// stock starts real rather than negative. Nothing on later starts.
Expected<void> OpenDemoStore(Store& store);

}  // namespace sa::store
