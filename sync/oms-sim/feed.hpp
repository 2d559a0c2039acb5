// SPDX-License-Identifier: Apache-2.0
// The per-store change feed (PROTOCOL.md §5; internal to oms-sim): what
// operators and double-sale alerts offer a store, read by its devices in
// cursor order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "answer.hpp"
#include "base.hpp"
#include "ledger.hpp"

namespace sa::omssim {

// The after/limit of a page of the feed.
struct PageQuery {
  std::int64_t after = 0;
  std::int64_t limit = 500;  // §5: a pull without limit gets 500
};

// ?after=C&limit=N of a pull (and of the admin feed view), defaults where
// absent; 400 bad_request when after is not a cursor or limit is not 1..1000.
PageQuery PageQueryOf(std::string_view target);

class Feed {
 public:
  Feed(ledger::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Appends one change to the store's feed; its cursor. `data` is the
  // change's JSON object as compact text, stored as it is.
  std::int64_t Append(const std::string& store, std::string_view type, std::string_view data);

  // Appends one change and answers it: {"cursor","type","data"}.
  Reply Offer(const std::string& store, std::string_view type, std::string_view data);

  // Answers {"changes":[{"cursor","type","at","data"}...],"cursor","more"}:
  // up to `limit` changes after `after`; "cursor" is the last one's (or
  // `after`). A pull's answer and the admin view of the feed.
  Reply Page(const std::string& store, const PageQuery& query);

  // Answers {"alerts":[...]}: the store's double-sale alerts, oldest first,
  // each alert's data with its cursor and time.
  Reply Alerts(const std::string& store);

  const Clock& clock() const { return clock_; }

 private:
  ledger::Database& db_;
  const Clock& clock_;
};

}  // namespace sa::omssim
