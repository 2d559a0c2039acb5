// SPDX-License-Identifier: Apache-2.0
#include "retention.hpp"

#include <algorithm>
#include <limits>

#include "part.hpp"

namespace sa::store {
namespace {

using ledger::Transaction;
using part::Guarded;

constexpr std::int64_t kDayMs = 86'400'000;
// Per step: rows examined for sales, events dropped, answers looked at. A
// step is a few milliseconds on a store box; the till's jobs run between.
constexpr std::int64_t kExaminedPerSale = 4;
constexpr std::int64_t kEventsPerStep = 250;
constexpr std::int64_t kAnswersPerStep = 500;
constexpr std::int64_t kUnackedPerStep = 500;

std::int64_t AckedSeq(ledger::Database& db) {
  auto st = db.Cached("SELECT value FROM sync_state WHERE key = 'acked_seq'");
  return st.Step() ? st.Int(0) : 0;
}

}  // namespace

Compacted& Compacted::operator+=(const Compacted& more) {
  sales += more.sales;
  refunds += more.refunds;
  events += more.events;
  answers += more.answers;
  done = more.done;
  return *this;
}

// now - retention_days: what is older is old enough by age alone.
std::int64_t Retention::AgeLimit(std::int64_t now) const {
  const std::int64_t days = books_.config().retention_days;
  return days > now / kDayMs ? std::numeric_limits<std::int64_t>::min() : now - days * kDayMs;
}

std::int64_t Retention::Horizon() {
  std::int64_t horizon = AgeLimit(books_.now_ms());
  // Nothing the cloud has not acknowledged: whatever the clock says, the
  // first event it has not got bounds what may go.
  auto st = db_.Cached("SELECT at_ms FROM outbox WHERE seq > ? ORDER BY seq LIMIT 1");
  st.Bind(1, AckedSeq(db_));
  if (st.Step()) horizon = std::min(horizon, st.Int(0));
  return horizon;
}

// Reads the sales named by events the cloud has not acknowledged, a chunk
// per step; true once all are read (the step may go on to compact).
bool Retention::ScanUnacked(std::int64_t acked) {
  unacked_seq_ = std::max(unacked_seq_, acked);
  // Where each event names a sale: its own id (sale.completed), the sale it
  // is about (refunds, voids, members, overrides), or both sales of an
  // exchange.
  auto st = db_.Cached(
      "SELECT seq, json_extract(payload, '$.sale_id'), CASE WHEN type = 'sale.completed' THEN "
      "json_extract(payload, '$.id') END, json_extract(payload, '$.refund.sale_id'), "
      "json_extract(payload, '$.sale.id') FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?");
  st.Bind(1, unacked_seq_).Bind(2, kUnackedPerStep);
  std::int64_t read = 0;
  while (st.Step()) {
    ++read;
    unacked_seq_ = st.Int(0);
    for (int column = 1; column <= 4; ++column) {
      if (!st.IsNull(column)) unacked_sales_.insert(st.Text(column));
    }
  }
  return read < kUnackedPerStep;
}

bool Retention::Eligible(const std::string& sale_id, const std::string& shift_id,
                         std::int64_t horizon) {
  if (unacked_sales_.contains(sale_id)) return false;
  auto closed_before = [&](const std::string& shift) {
    if (shift.empty()) return true;
    auto st = db_.Cached("SELECT status = 'closed' AND closed_at_ms < ? FROM shifts WHERE id = ?");
    st.Bind(1, horizon).Bind(2, shift);
    return st.Step() && st.Int(0) == 1;
  };
  if (!closed_before(shift_id)) return false;
  {
    auto st = db_.Cached("SELECT 1 FROM exchanges WHERE sale_id = ?");
    st.Bind(1, sale_id);
    if (st.Step()) return false;  // (for now) a sale in an exchange stays
  }
  auto st = db_.Cached(
      "SELECT r.at_ms, coalesce(r.shift_id, ''), EXISTS (SELECT 1 FROM exchanges e WHERE "
      "e.refund_id = r.id) FROM refunds r WHERE r.sale_id = ?");
  st.Bind(1, sale_id);
  std::vector<std::string> shifts;
  while (st.Step()) {
    if (st.Int(0) >= horizon || st.Int(2) == 1) return false;
    shifts.push_back(st.Text(1));
  }
  return std::all_of(shifts.begin(), shifts.end(), closed_before);
}

void Retention::AddToDay(std::int64_t at_ms, const DayTotal& add) {
  const std::int64_t local = at_ms + books_.config().utc_offset_min * 60'000;
  db_.Cached(
         "INSERT INTO day_totals(day, currency, sales, sales_minor, units, voided, refunds, "
         "refunds_minor) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(day, currency) DO "
         "UPDATE SET sales = sales + ?3, sales_minor = sales_minor + ?4, units = units + ?5, "
         "voided = voided + ?6, refunds = refunds + ?7, refunds_minor = refunds_minor + ?8")
      .Bind(1, FormatTimestamp(local).substr(0, 10))
      .Bind(2, add.currency)
      .Bind(3, add.sales)
      .Bind(4, add.sales_minor)
      .Bind(5, add.units)
      .Bind(6, add.voided)
      .Bind(7, add.refunds)
      .Bind(8, add.refunds_minor)
      .Run();
}

// Its report can no longer be made from the ledger (Shifts::ReportOf).
void Retention::ShiftLosesDetail(const std::string& shift_id) {
  db_.Cached("INSERT OR IGNORE INTO shifts_compacted(shift_id) VALUES(?)").Bind(1, shift_id).Run();
  // A shift the cloud never answered for (a cloud that cannot reconcile)
  // is not checked any more: its sales are gone from here, and the check
  // would name them missing.
  db_.Cached(
         "UPDATE shift_reconciliations SET status = 'expired', checked_at_ms = ? "
         "WHERE shift_id = ? AND status = 'pending'")
      .Bind(1, books_.now_ms())
      .Bind(2, shift_id)
      .Run();
}

void Retention::CompactSale(const std::string& sale_id) {
  std::string currency;
  std::string status;
  std::int64_t total = 0;
  std::int64_t closed_at = 0;
  {
    auto st = db_.Cached(
        "SELECT status, currency, total_minor, closed_at_ms, shift_id FROM sales WHERE id = ?");
    st.Bind(1, sale_id);
    if (!st.Step()) return;
    status = st.Text(0);
    currency = st.Text(1);
    total = st.Int(2);
    closed_at = st.Int(3);
    if (!st.IsNull(4)) ShiftLosesDetail(st.Text(4));
  }
  db_.Cached("INSERT INTO retention_gate(sale_id) VALUES(?)").Bind(1, sale_id).Run();
  if (status == "completed") {
    auto st = db_.Cached("SELECT coalesce(sum(qty), 0) FROM sale_lines WHERE sale_id = ?");
    st.Bind(1, sale_id);
    st.Step();
    AddToDay(closed_at,
             {.currency = currency, .sales = 1, .sales_minor = total, .units = st.Int(0)});
  } else {
    AddToDay(closed_at, {.currency = currency, .voided = 1});
  }
  std::vector<std::string> refunds;
  {
    auto st = db_.Cached("SELECT id, amount_minor, at_ms, shift_id FROM refunds WHERE sale_id = ?");
    st.Bind(1, sale_id);
    while (st.Step()) {
      refunds.push_back(st.Text(0));
      if (!st.IsNull(3)) ShiftLosesDetail(st.Text(3));
      AddToDay(st.Int(2), {.currency = currency, .refunds = 1, .refunds_minor = st.Int(1)});
    }
  }
  for (const auto& refund : refunds) {
    for (const char* sql :
         {"DELETE FROM refund_quantities WHERE refund_id = ?",
          "DELETE FROM refund_lines WHERE refund_id = ?",
          "DELETE FROM refund_payments WHERE refund_id = ?", "DELETE FROM refunds WHERE id = ?"}) {
      db_.Cached(sql).Bind(1, refund).Run();
    }
  }
  refunds_ += static_cast<std::int64_t>(refunds.size());
  for (const char* sql :
       {"DELETE FROM sale_line_discounts WHERE sale_id = ?",
        "DELETE FROM sale_coupons WHERE sale_id = ?",
        "DELETE FROM receipt_prints WHERE sale_id = ?", "DELETE FROM payments WHERE sale_id = ?",
        "DELETE FROM sale_lines WHERE sale_id = ?", "DELETE FROM sale_claims WHERE sale_id = ?",
        "DELETE FROM sales WHERE id = ?", "DELETE FROM retention_gate WHERE sale_id = ?"}) {
    db_.Cached(sql).Bind(1, sale_id).Run();
  }
}

std::int64_t Retention::CompactSales(std::int64_t horizon, std::int64_t max_sales, bool& done) {
  // Examined first, compacted after: the scan's statement is done before
  // the deletes touch the table it reads.
  std::vector<std::string> due;
  std::int64_t examined = 0;
  done = true;
  {
    auto st = db_.Cached(
        "SELECT id, status, opened_at_ms, closed_at_ms, coalesce(shift_id, '') FROM sales "
        "WHERE id > ? ORDER BY id LIMIT ?");
    st.Bind(1, cursor_).Bind(2, max_sales * kExaminedPerSale);
    std::vector<std::pair<std::string, std::string>> candidates;
    bool newer = false;
    bool full = false;
    while (st.Step()) {
      ++examined;
      // Ids are UUIDv7 of the opening time: the rest opened later still.
      if (st.Int(2) >= horizon) {
        newer = true;
        break;
      }
      cursor_ = st.Text(0);
      if (st.Text(1) == "open" || st.IsNull(3) || st.Int(3) >= horizon) continue;
      candidates.emplace_back(st.Text(0), st.Text(4));
      if (static_cast<std::int64_t>(candidates.size()) == max_sales) {
        full = true;
        break;
      }
    }
    done = newer || (!full && examined < max_sales * kExaminedPerSale);
    for (auto& [id, shift] : candidates) {
      if (Eligible(id, shift, horizon)) due.push_back(std::move(id));
    }
  }
  for (const auto& id : due) CompactSale(id);
  return static_cast<std::int64_t>(due.size());
}

std::int64_t Retention::DropEvents(std::int64_t horizon, std::int64_t acked, std::int64_t now) {
  // Oldest first, up to the first young event. One stamped in the future
  // (the clock was ahead when it was made) is passed over, not waited for:
  // it goes once its time has passed. The last acknowledged event stays
  // (the sequence's high-water mark).
  std::vector<std::int64_t> seqs;
  std::int64_t examined = 0;
  {
    auto st =
        db_.Cached("SELECT seq, at_ms FROM outbox WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?");
    st.Bind(1, events_cursor_).Bind(2, acked).Bind(3, kEventsPerStep);
    while (st.Step()) {
      ++examined;
      if (st.Int(1) >= horizon && st.Int(1) <= now) {
        events_done_ = true;
        break;
      }
      events_cursor_ = st.Int(0);
      if (st.Int(1) < horizon) seqs.push_back(st.Int(0));
    }
  }
  if (examined < kEventsPerStep) events_done_ = true;
  for (const std::int64_t seq : seqs) {
    db_.Cached("DELETE FROM outbox WHERE seq = ?").Bind(1, seq).Run();
  }
  return static_cast<std::int64_t>(seqs.size());
}

std::int64_t Retention::DropAnswers(std::int64_t before_ms) {
  // Keys are the clients' own (no time order): read in key order, a chunk
  // per step, from where the last step stopped.
  std::vector<std::string> old;
  std::int64_t read = 0;
  {
    auto st =
        db_.Cached("SELECT key, created_at_ms FROM idempotency WHERE key > ? ORDER BY key LIMIT ?");
    st.Bind(1, answers_cursor_).Bind(2, kAnswersPerStep);
    while (st.Step()) {
      ++read;
      answers_cursor_ = st.Text(0);
      if (st.Int(1) < before_ms) old.push_back(answers_cursor_);
    }
  }
  for (const auto& key : old) {
    db_.Cached("DELETE FROM idempotency WHERE key = ?").Bind(1, key).Run();
  }
  answers_done_ = read < kAnswersPerStep;
  return static_cast<std::int64_t>(old.size());
}

bool Retention::SalesBefore(std::int64_t horizon) {
  auto st = db_.Cached("SELECT opened_at_ms FROM sales WHERE id > ? ORDER BY id LIMIT 1");
  st.Bind(1, cursor_);
  return st.Step() && st.Int(0) < horizon;
}

Expected<Compacted> Retention::Step(std::int64_t max_sales) {
  auto result = Guarded([&]() -> Expected<Compacted> {
    Transaction tx(db_, ledger::Durability::full);
    Compacted out;
    const std::int64_t acked = AckedSeq(db_);
    // What this pass read may be undone (a step or its batch rolled back),
    // or the cloud asks again for what it had acknowledged (restored from a
    // backup): start again.
    if (in_pass_ && (db_.rollbacks() != rollbacks_seen_ || acked < pass_acked_)) in_pass_ = false;
    if (!in_pass_) {
      in_pass_ = true;
      cursor_.clear();
      events_cursor_ = 0;
      events_done_ = false;
      answers_cursor_.clear();
      answers_done_ = false;
      unacked_sales_.clear();
      unacked_seq_ = acked;
    }
    pass_acked_ = acked;
    const std::int64_t horizon = Horizon();
    // Detail with no tie to the cloud (an answer kept for a client's retry)
    // goes by age alone.
    const std::int64_t now = books_.now_ms();
    const std::int64_t aged = AgeLimit(now);
    bool sales_done = true;
    refunds_ = 0;
    // The events the cloud has not acknowledged are read (a chunk a step)
    // only when some sale is old enough to go.
    if (SalesBefore(horizon)) {
      if (ScanUnacked(acked)) {
        out.sales = CompactSales(horizon, std::max<std::int64_t>(max_sales, 1), sales_done);
      } else {
        sales_done = false;
      }
    }
    out.refunds = refunds_;
    out.events = events_done_ ? 0 : DropEvents(horizon, acked, now);
    out.answers = answers_done_ ? 0 : DropAnswers(aged);
    out.done = sales_done && events_done_ && answers_done_;
    tx.Commit();
    return out;
  });
  if (!result || result->done) in_pass_ = false;
  rollbacks_seen_ = db_.rollbacks();
  return result;
}

Expected<std::vector<DayTotal>> Retention::Days(std::int64_t limit) {
  return Guarded([&]() -> Expected<std::vector<DayTotal>> {
    std::vector<DayTotal> out;
    auto st = db_.Cached(
        "SELECT day, currency, sales, sales_minor, units, voided, refunds, refunds_minor FROM "
        "day_totals ORDER BY day DESC, currency LIMIT ?");
    st.Bind(1, limit);
    while (st.Step()) {
      out.push_back(DayTotal{st.Text(0), st.Text(1), st.Int(2), st.Int(3), st.Int(4), st.Int(5),
                             st.Int(6), st.Int(7)});
    }
    return out;
  });
}

Expected<Compacted> Retention::Pass() {
  Compacted total;
  while (true) {
    auto step = Step();
    if (!step) return step.error();
    total += *step;
    if (step->done) return total;
  }
}

}  // namespace sa::store
