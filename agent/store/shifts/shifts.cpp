// SPDX-License-Identifier: Apache-2.0
// Shifts and the X/Z report. The report is computed from the ledger each
// time (sales, voids and refunds carry the shift that was open on their
// terminal), so it can never drift from the books it summarises.
#include "shifts.hpp"

#include <algorithm>
#include <map>

#include "part.hpp"

namespace sa::store {

using ledger::Transaction;
using part::BadRequest;
using part::CheckReason;
using part::Conflict;
using part::Guarded;
using part::NotFound;

Shifts::Shifts(Books& books) : books_(books), db_(books.db()), config_(books.config()) {}

// ------------------------------------------------------------------ shifts

std::optional<Shift> Shifts::LoadShift(std::string_view id) {
  auto st = db_.Cached(
      "SELECT id, terminal, coalesce(cashier, ''), status, opening_float_minor, "
      "counted_cash_minor, opened_at_ms, closed_at_ms, coalesce(closed_by, ''), "
      "coalesce(close_approved_by, ''), close_approved_via, "
      "coalesce((SELECT status FROM shift_reconciliations WHERE shift_id = shifts.id), '') "
      "FROM shifts WHERE id = ?");
  st.Bind(1, id);
  if (!st.Step()) return std::nullopt;
  Shift s{st.Text(0), st.Text(1),   st.Text(2), st.Text(3),   st.Int(4),  std::nullopt,
          st.Int(6),  std::nullopt, st.Text(8), std::nullopt, st.Text(11)};
  if (!st.IsNull(5)) s.counted_cash = st.Int(5);
  if (!st.IsNull(7)) s.closed_at_ms = st.Int(7);
  if (!st.IsNull(10)) s.close_approved = Approval{st.Text(9), st.Text(10)};
  return s;
}

Expected<Shift> Shifts::OpenShift(std::string_view terminal, std::string_view cashier,
                                  MinorUnits opening_float) {
  if (!IsValidId(terminal)) {
    return BadRequest("invalid_terminal", "a terminal id is 1-64 of A-Z a-z 0-9 _ . -");
  }
  if (opening_float < 0)
    return BadRequest("invalid_amount", "the opening cash is 0 or more minor units");
  return Guarded([&]() -> Expected<Shift> {
    Transaction tx(db_);
    auto open = db_.Cached("SELECT id FROM shifts WHERE terminal = ? AND status = 'open'");
    open.Bind(1, terminal);
    if (open.Step()) {
      return Conflict("shift_already_open", "terminal " + std::string(terminal) +
                                                " already has shift " + open.Text(0) +
                                                " open; close it first");
    }
    const std::int64_t now = books_.now_ms();
    const std::string id = crypto::NewUuidV7(now);
    db_.Cached(
           "INSERT INTO shifts(id, terminal, cashier, status, opening_float_minor, opened_at_ms) "
           "VALUES(?, ?, ?, 'open', ?, ?)")
        .Bind(1, id)
        .Bind(2, terminal)
        .BindTextOrNull(3, cashier)
        .Bind(4, opening_float)
        .Bind(5, now)
        .Run();
    tx.Commit();
    return *LoadShift(id);
  });
}

Expected<Shift> Shifts::GetShift(std::string_view id) {
  return Guarded([&]() -> Expected<Shift> {
    auto s = LoadShift(id);
    if (!s) return NotFound("shift_not_found", "no shift " + std::string(id.substr(0, 64)));
    return *s;
  });
}

Expected<std::vector<Shift>> Shifts::ListShifts(std::string_view terminal, std::string_view status,
                                                std::size_t limit) {
  return Guarded([&]() -> Expected<std::vector<Shift>> {
    std::vector<Shift> out;
    auto st = db_.Cached(
        "SELECT id FROM shifts WHERE (?1 = '' OR terminal = ?1) AND (?2 = '' OR status = ?2) "
        "ORDER BY opened_at_ms DESC, id DESC LIMIT ?3");
    st.Bind(1, terminal).Bind(2, status).Bind(3, static_cast<std::int64_t>(limit));
    std::vector<std::string> ids;
    while (st.Step()) ids.push_back(st.Text(0));
    for (const auto& id : ids) out.push_back(*LoadShift(id));
    return out;
  });
}

// Adds the per-method sums that `sql` (method, sum; one parameter: the
// shift's id) returns into `field` of each method's totals.
void Shifts::AddByMethod(std::map<std::string, MethodTotals>& by, MinorUnits MethodTotals::*field,
                         const std::string& shift_id, std::string_view sql) {
  auto st = db_.Cached(sql);
  st.Bind(1, shift_id);
  while (st.Step()) {
    auto& m = by[st.Text(0)];
    m.method = st.Text(0);
    m.*field = st.Int(1);
  }
}

std::vector<VatTotals> Shifts::VatByRate(const std::string& shift_id) {
  // Each line on its own (its VAT rounded as on its receipt), then by rate.
  std::vector<TaxBand> sold, back;
  auto lines = db_.Cached(
      "SELECT l.tax_rate_bp, l.unit_price_minor * l.qty - l.discount_minor, l.tax_added FROM "
      "sale_lines l JOIN sales s ON s.id = l.sale_id WHERE s.shift_id = ? AND "
      "s.status = 'completed'");
  lines.Bind(1, shift_id);
  // A line's amount (what it sold for, its added VAT too), and its band's.
  auto add = [](std::vector<TaxBand>& to, ledger::Statement& st) {
    const int rate = static_cast<int>(st.Int(0));
    AddToTaxBands(to, rate, LineAmount(st.Int(1), rate, st.Int(2) != 0));
  };
  while (lines.Step()) add(sold, lines);
  // A part of a plain line came back for its share of the line's amount
  // (refund_quantities.amount_minor): VAT added is in it already.
  auto returned = db_.Cached(
      "SELECT l.tax_rate_bp, l.unit_price_minor * l.qty - l.discount_minor, l.tax_added FROM "
      "refund_lines b JOIN refunds f ON f.id = b.refund_id JOIN sale_lines l ON l.id = "
      "b.line_id WHERE f.shift_id = ?1 UNION ALL "
      "SELECT l.tax_rate_bp, coalesce(b.amount_minor, l.unit_price_minor * b.qty), 0 FROM "
      "refund_quantities b "
      "JOIN refunds f ON f.id = b.refund_id JOIN sale_lines l ON l.id = b.line_id "
      "WHERE f.shift_id = ?1");
  returned.Bind(1, shift_id);
  while (returned.Step()) add(back, returned);

  std::vector<VatTotals> out;
  auto at = [&out](int rate) -> VatTotals& {
    auto it = std::lower_bound(out.begin(), out.end(), rate,
                               [](const VatTotals& v, int r) { return v.rate_bp < r; });
    if (it == out.end() || it->rate_bp != rate) {
      it = out.insert(it, VatTotals{rate, TaxBand{rate, 0, 0}, TaxBand{rate, 0, 0}, 0});
    }
    return *it;
  };
  for (const auto& b : sold) at(b.rate_bp).sales = b;
  for (const auto& b : back) at(b.rate_bp).refunds = b;
  for (auto& v : out) v.net_vat = v.sales.vat - v.refunds.vat;
  return out;
}

ShiftReport Shifts::ComputeReport(const Shift& shift) {
  ShiftReport r;
  r.shift_id = shift.id;
  r.terminal = shift.terminal;
  r.cashier = shift.cashier;
  r.opened_at_ms = shift.opened_at_ms;
  r.closed_at_ms = shift.closed_at_ms;
  r.closed_by = shift.closed_by;
  r.close_approved = shift.close_approved;
  r.currency = config_.currency;
  r.opening_float = shift.opening_float;
  std::map<std::string, MethodTotals> by;
  {
    auto st = db_.Cached(
        "SELECT count(*), coalesce(sum(total_minor), 0), coalesce(sum(change_minor), 0) "
        "FROM sales WHERE shift_id = ? AND status = 'completed'");
    st.Bind(1, shift.id);
    st.Step();
    r.sales_count = st.Int(0);
    r.sales_total = st.Int(1);
    r.change_given = st.Int(2);
  }
  {
    auto st = db_.Cached("SELECT count(*) FROM sales WHERE shift_id = ? AND status = 'voided'");
    st.Bind(1, shift.id);
    st.Step();
    r.voids_count = st.Int(0);
  }
  {
    auto st = db_.Cached("SELECT count(*) FROM drawer_opens WHERE shift_id = ?");
    st.Bind(1, shift.id);
    st.Step();
    r.no_sale_count = st.Int(0);
  }
  AddByMethod(
      by, &MethodTotals::sales, shift.id,
      "SELECT p.method, sum(p.amount_minor) FROM payments p JOIN sales s ON s.id = p.sale_id "
      "WHERE s.shift_id = ? AND s.status = 'completed' GROUP BY p.method");
  {
    auto st = db_.Cached(
        "SELECT kind, count(*), coalesce(sum(amount_minor), 0) FROM refunds WHERE shift_id = ? "
        "GROUP BY kind");
    st.Bind(1, shift.id);
    while (st.Step()) {
      if (st.Text(0) == "void") {
        r.post_voids_count = st.Int(1);
        r.post_voids_total = st.Int(2);
      } else {
        r.refunds_count = st.Int(1);
        r.refunds_total = st.Int(2);
      }
    }
  }
  AddByMethod(by, &MethodTotals::refunds, shift.id,
              "SELECT rp.method, sum(rp.amount_minor) FROM refund_payments rp "
              "JOIN refunds f ON f.id = rp.refund_id WHERE f.shift_id = ? GROUP BY rp.method");
  if (auto cash = by.find("cash"); cash != by.end()) {
    r.cash_sales = cash->second.sales;
    r.cash_refunds = cash->second.refunds;
    cash->second.sales -= r.change_given;  // what the drawer kept
  }
  for (auto& [method, m] : by) {
    m.net = m.sales - m.refunds;
    r.by_method.push_back(m);
  }
  r.expected_cash = r.opening_float + r.cash_sales - r.change_given - r.cash_refunds;
  r.by_rate = VatByRate(shift.id);
  if (shift.counted_cash) {
    r.counted_cash = shift.counted_cash;
    r.variance = *shift.counted_cash - r.expected_cash;
  }
  auto depth = db_.Cached(
      "SELECT coalesce((SELECT max(seq) FROM outbox), 0) - "
      "coalesce((SELECT value FROM sync_state WHERE key = 'acked_seq'), 0)");
  depth.Step();
  r.pending_events = depth.Int(0);
  return r;
}

Expected<ShiftReport> Shifts::ReportOf(std::string_view shift_id) {
  return Guarded([&]() -> Expected<ShiftReport> {
    auto s = LoadShift(shift_id);
    if (!s) return NotFound("shift_not_found", "no shift " + std::string(shift_id.substr(0, 64)));
    // Retention took some of this shift's sales or refunds (it takes only
    // those of shifts closed before its horizon): its report can no longer
    // be made from the ledger.
    auto compacted = db_.Cached("SELECT 1 FROM shifts_compacted WHERE shift_id = ?");
    compacted.Bind(1, s->id);
    if (compacted.Step()) {
      return NotFound("report_compacted",
                      "shift " + s->id +
                          " closed longer ago than the ledger keeps a sale's detail: its sales "
                          "are kept only as daily totals now (ledger.retention_days); its Z "
                          "report went to the cloud when it closed");
    }
    return ComputeReport(*s);
  });
}

Expected<ShiftClosed> Shifts::CloseShift(std::string_view shift_id, MinorUnits counted_cash,
                                         std::string_view closer,
                                         const std::optional<Approval>& approved) {
  if (counted_cash < 0)
    return BadRequest("invalid_amount", "counted cash is 0 or more minor units");
  return Guarded([&]() -> Expected<ShiftClosed> {
    Transaction tx(db_);
    auto s = LoadShift(shift_id);
    if (!s) return NotFound("shift_not_found", "no shift " + std::string(shift_id.substr(0, 64)));
    if (s->status != "open")
      return Conflict("shift_not_open", "shift " + s->id + " is already closed");
    if (!approved && !closer.empty() && closer != s->cashier) {
      return MakeError(ErrorKind::forbidden, "manager_required",
                       "shift " + s->id + " is " + (s->cashier.empty() ? "nobody" : s->cashier) +
                           "'s: closing another cashier's shift needs a manager");
    }
    // A cashier closing their own shift needs nobody's approval, and records none.
    const std::optional<Approval> by =
        !closer.empty() && closer == s->cashier ? std::nullopt : approved;
    db_.Cached(
           "UPDATE shifts SET status = 'closed', counted_cash_minor = ?, closed_at_ms = ?, "
           "closed_by = ?, close_approved_by = ?, close_approved_via = ? WHERE id = ?")
        .Bind(1, counted_cash)
        .Bind(2, books_.now_ms())
        .BindTextOrNull(3, closer)
        .BindTextOrNull(4, by ? by->manager : "")
        .BindTextOrNull(5, by ? by->via : "")
        .Bind(6, shift_id)
        .Run();
    ShiftClosed out{*LoadShift(shift_id), {}};
    out.report = ComputeReport(out.shift);  // pending_events: before shift.closed itself
    books_.Append("shift.closed", ShiftReportJson(out.report));
    // To be checked against what the cloud ingested, once it has all of it.
    db_.Cached(
           "INSERT INTO shift_reconciliations(shift_id, last_seq) "
           "SELECT ?, max(seq) FROM outbox")
        .Bind(1, shift_id)
        .Run();
    out.shift.reconciliation = "pending";
    tx.Commit();
    return out;
  });
}

Expected<DrawerOpen> Shifts::OpenDrawer(std::string_view terminal, std::string_view cashier,
                                        std::string_view reason, const Approval& approved) {
  if (!IsValidId(terminal)) {
    return BadRequest("invalid_terminal", "a terminal id is 1-64 of A-Z a-z 0-9 _ . -");
  }
  if (auto bad = CheckReason(reason, "the drawer opens without a sale")) return *bad;
  return Guarded([&]() -> Expected<DrawerOpen> {
    Transaction tx(db_);
    DrawerOpen d;
    d.at_ms = books_.now_ms();
    d.id = crypto::NewUuidV7(d.at_ms);
    d.terminal = std::string(terminal);
    d.cashier = std::string(cashier);
    d.reason = std::string(reason);
    d.approved = approved;
    auto open = db_.Cached("SELECT id FROM shifts WHERE terminal = ? AND status = 'open'");
    open.Bind(1, terminal);
    if (open.Step()) d.shift_id = open.Text(0);
    db_.Cached(
           "INSERT INTO drawer_opens(id, terminal, shift_id, cashier, reason, approved_by, "
           "approved_via, at_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
        .Bind(1, d.id)
        .Bind(2, d.terminal)
        .BindTextOrNull(3, d.shift_id)
        .BindTextOrNull(4, d.cashier)
        .Bind(5, d.reason)
        .BindTextOrNull(6, approved.manager)
        .Bind(7, approved.via)
        .Bind(8, d.at_ms)
        .Run();
    books_.Append("drawer.opened", DrawerOpenJson(d));
    tx.Commit();
    return d;
  });
}

}  // namespace sa::store
