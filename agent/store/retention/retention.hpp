// SPDX-License-Identifier: Apache-2.0
// Retention: years of a busy store on a small box. Detail the cloud has
// acknowledged is kept for ledger.retention_days (Config::retention_days),
// then compacted, a few hundred sales per step so that a step never holds
// the till for long:
//
//   goes   a closed sale's lines, discounts, coupons, payments, receipt
//          prints and refunds, then the sale itself; acknowledged events;
//          remembered API answers (Idempotency-Key)
//   stays  day_totals (per store day and currency: sales, their sum, units,
//          voids, refunds and their sum), every unit's state, stock moves,
//          shifts, coupons used, members, reservations, alerts
//
// Never anything the cloud has not acknowledged, whatever the clock says:
// the horizon is the older of (now - retention_days) and the time of the
// first event the cloud has not acknowledged, and a sale named by any such
// event is kept whatever its age. Never an open sale, a sale or refund of a
// shift that is open or closed after the horizon, nor (for now) a sale in an
// exchange. The database refuses a sale's deletion outside a compaction
// step (schema v19's retention_gate).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "books.hpp"

namespace sa::store {

// How long the daemon leaves the writer to the till between two steps of a
// pass (milliseconds): a pass takes at most a few percent of its time.
inline constexpr std::int64_t kRetentionStepGapMs = 100;

// What one step (or a whole pass) compacted.
struct Compacted {
  std::int64_t sales = 0;    // sales folded into day_totals and deleted
  std::int64_t refunds = 0;  // their refunds, likewise
  std::int64_t events = 0;   // acknowledged events deleted from the outbox
  std::int64_t answers = 0;  // remembered API answers deleted
  bool done = false;         // nothing more is due now: the pass is over
  Compacted& operator+=(const Compacted& more);
};

// One store day's totals (day_totals): what retention folded in. A day's
// sales still in detail are not in it.
struct DayTotal {
  std::string day{};  // YYYY-MM-DD, the store's (store.utc_offset)
  std::string currency{};
  std::int64_t sales = 0;
  MinorUnits sales_minor = 0;
  std::int64_t units = 0;
  std::int64_t voided = 0;
  std::int64_t refunds = 0;
  MinorUnits refunds_minor = 0;
};

class Retention {
 public:
  explicit Retention(Books& books) : books_(books), db_(books.db()) {}

  // One step: one transaction, fsync'd (a savepoint inside the caller's,
  // whose durability rules: the next sale's commit should not carry this
  // step's pages to the disk and pay for them), at most
  // `max_sales` sales and a few thousand events or answers. A pass is steps
  // until one says done; the next step after that starts a new pass.
  Expected<Compacted> Step(std::int64_t max_sales = 25);
  // Whole passes at once (storectl, tests): steps until done.
  Expected<Compacted> Pass();

  // The compacted days, newest first, at most `limit`.
  Expected<std::vector<DayTotal>> Days(std::int64_t limit);

  // The instant before which detail may go now (see above): nothing when
  // there is nothing old enough.
  std::int64_t Horizon();

 private:
  bool ScanUnacked(std::int64_t acked);
  std::int64_t CompactSales(std::int64_t horizon, std::int64_t max_sales, bool& done);
  bool Eligible(const std::string& sale_id, const std::string& shift_id, std::int64_t horizon);
  void CompactSale(const std::string& sale_id);
  // Adds `add` (its day and currency aside) to the row of its currency on
  // the store day of `at_ms`.
  void AddToDay(std::int64_t at_ms, const DayTotal& add);
  std::int64_t DropEvents(std::int64_t horizon, std::int64_t acked, std::int64_t now);
  bool SalesBefore(std::int64_t horizon);
  std::int64_t AgeLimit(std::int64_t now) const;
  void ShiftLosesDetail(const std::string& shift_id);
  std::int64_t DropAnswers(std::int64_t before_ms);

  Books& books_;
  ledger::Database& db_;
  // The pass in progress: sales examined up to this id (ids are UUIDv7,
  // in time order), and the sales named by events the cloud has not
  // acknowledged, read up to unacked_seq_.
  bool in_pass_ = false;
  std::string cursor_;
  std::unordered_set<std::string> unacked_sales_;
  std::int64_t unacked_seq_ = 0;
  // Events read up to this seq; the acknowledged seq the last step saw
  // (lower now: the cloud rewound); the ledger's rollbacks after the last
  // step (moved: what the pass read may be undone).
  std::int64_t events_cursor_ = 0;
  bool events_done_ = false;
  std::int64_t pass_acked_ = 0;
  std::int64_t rollbacks_seen_ = 0;
  // Remembered answers read up to this key (theirs are the clients' keys).
  std::string answers_cursor_;
  bool answers_done_ = false;
  std::int64_t refunds_ = 0;  // compacted in this step
};

}  // namespace sa::store
