// SPDX-License-Identifier: Apache-2.0
// Cashiers, shifts and the X/Z report (issue 9). The report is computed from
// the ledger each time (sales, voids and refunds carry the shift that was open
// on their terminal), so it can never drift from the books it summarises.
#include <algorithm>
#include <map>
#include <utility>

#include "domain_internal.hpp"
#include "store.hpp"

namespace sa::store {
namespace {

using detail::BadRequest;
using detail::Conflict;
using detail::Guarded;
using detail::NotFound;
using ledger::Durability;
using ledger::Transaction;

Error NoCashier(std::string_view id) {
  return NotFound("cashier_not_found", "no cashier " + std::string(id.substr(0, 32)));
}

std::optional<Error> CheckName(std::string_view name) {
  if (name.empty() || name.size() > 100 || !ValidUtf8(name)) {
    return BadRequest("invalid_name", "a name is 1 to 100 characters of UTF-8");
  }
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return BadRequest("invalid_name", "a name has no control characters");
    }
  }
  return std::nullopt;
}

// The hex form kept in the ledger, and back.
std::string Hex(const crypto::Bytes& b) { return crypto::ToHex(b); }
crypto::Bytes Unhex(const std::string& hex) {
  crypto::Bytes out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return {};
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

// Compared against when the id is unknown, so that a wrong id costs the same
// PBKDF2 time as a wrong PIN (no telling ids apart by timing).
const crypto::PinHash& DummyHash() {
  static const crypto::PinHash h = crypto::HashPin("00000000");
  return h;
}

}  // namespace

bool Store::IsValidPin(std::string_view pin) {
  return pin.size() >= 4 && pin.size() <= 8 && pin.find_first_not_of("0123456789") == std::string_view::npos;
}

bool Store::IsValidCashierId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::optional<Cashier> Store::LoadCashier(std::string_view id) {
  auto st = db_.Cached("SELECT id, name, role, active FROM cashiers WHERE id = ?");
  st.Bind(1, id);
  if (!st.Step()) return std::nullopt;
  return Cashier{st.Text(0), st.Text(1), st.Text(2), st.Int(3) != 0};
}

Expected<Cashier> Store::AddCashier(std::string_view id, std::string_view name, std::string_view role,
                                    const crypto::PinHash& pin) {
  if (!IsValidCashierId(id)) {
    return BadRequest("invalid_cashier_id", "a cashier id is 1 to 32 of A-Z a-z 0-9 _ -");
  }
  if (auto bad = CheckName(name)) return *bad;
  if (role != "cashier" && role != "manager") {
    return BadRequest("invalid_role", "a role is cashier or manager");
  }
  if (pin.hash.size() != 32 || pin.salt.empty() || pin.iterations < 1) {
    return BadRequest("invalid_pin", "a PIN is 4 to 8 digits");
  }
  return Guarded([&]() -> Expected<Cashier> {
    Transaction tx(db_, Durability::full);
    if (LoadCashier(id)) {
      return Conflict("cashier_exists", "cashier " + std::string(id) + " already exists");
    }
    const std::int64_t now = clock_.now_ms();
    db_.Cached("INSERT INTO cashiers(id, name, role, pin_salt, pin_iterations, pin_hash, active, "
               "created_at_ms, updated_at_ms) VALUES(?, ?, ?, ?, ?, ?, 1, ?, ?)")
        .Bind(1, id)
        .Bind(2, name)
        .Bind(3, role)
        .Bind(4, Hex(pin.salt))
        .Bind(5, static_cast<std::int64_t>(pin.iterations))
        .Bind(6, Hex(pin.hash))
        .Bind(7, now)
        .Bind(8, now)
        .Run();
    tx.Commit();
    return *LoadCashier(id);
  });
}

Expected<std::vector<Cashier>> Store::Cashiers() {
  return Guarded([&]() -> Expected<std::vector<Cashier>> {
    std::vector<Cashier> out;
    auto st = db_.Cached("SELECT id, name, role, active FROM cashiers ORDER BY id");
    while (st.Step()) out.push_back(Cashier{st.Text(0), st.Text(1), st.Text(2), st.Int(3) != 0});
    return out;
  });
}

Expected<Cashier> Store::SetCashierPin(std::string_view id, const crypto::PinHash& pin) {
  if (pin.hash.size() != 32 || pin.salt.empty() || pin.iterations < 1) {
    return BadRequest("invalid_pin", "a PIN is 4 to 8 digits");
  }
  return Guarded([&]() -> Expected<Cashier> {
    Transaction tx(db_, Durability::full);
    if (!LoadCashier(id)) return NoCashier(id);
    // A new PIN also reactivates: it is how a manager gives an account back.
    db_.Cached("UPDATE cashiers SET pin_salt = ?, pin_iterations = ?, pin_hash = ?, active = 1, "
               "updated_at_ms = ? WHERE id = ?")
        .Bind(1, Hex(pin.salt))
        .Bind(2, static_cast<std::int64_t>(pin.iterations))
        .Bind(3, Hex(pin.hash))
        .Bind(4, clock_.now_ms())
        .Bind(5, id)
        .Run();
    tx.Commit();
    return *LoadCashier(id);
  });
}

Expected<Cashier> Store::DeactivateCashier(std::string_view id) {
  return Guarded([&]() -> Expected<Cashier> {
    Transaction tx(db_, Durability::full);
    if (!LoadCashier(id)) return NoCashier(id);
    db_.Cached("UPDATE cashiers SET active = 0, updated_at_ms = ? WHERE id = ?")
        .Bind(1, clock_.now_ms())
        .Bind(2, id)
        .Run();
    tx.Commit();
    return *LoadCashier(id);
  });
}

Expected<std::optional<std::pair<Cashier, crypto::PinHash>>> Store::CashierCredentials(std::string_view id) {
  using Out = std::optional<std::pair<Cashier, crypto::PinHash>>;
  return Guarded([&]() -> Expected<Out> {
    auto st = db_.Cached("SELECT id, name, role, active, pin_salt, pin_iterations, pin_hash "
                         "FROM cashiers WHERE id = ? AND active = 1");
    st.Bind(1, id);
    if (!st.Step()) return Out();
    crypto::PinHash pin{Unhex(st.Text(4)), static_cast<std::uint32_t>(st.Int(5)), Unhex(st.Text(6))};
    return Out(std::pair(Cashier{st.Text(0), st.Text(1), st.Text(2), true}, std::move(pin)));
  });
}

Expected<Cashier> Store::VerifyCashierPin(std::string_view id, std::string_view pin) {
  auto creds = CashierCredentials(id);
  if (!creds) return creds.error();
  const Error wrong = detail::Refused("invalid_login", "unknown cashier or wrong PIN");
  if (!*creds) {
    (void)crypto::VerifyPin(pin, DummyHash());
    return wrong;
  }
  if (!IsValidPin(pin) || !crypto::VerifyPin(pin, (*creds)->second)) return wrong;
  return (*creds)->first;
}

// ------------------------------------------------------------------ shifts

std::optional<Shift> Store::LoadShift(std::string_view id) {
  auto st = db_.Cached("SELECT id, terminal, coalesce(cashier, ''), status, opening_float_minor, "
                       "counted_cash_minor, opened_at_ms, closed_at_ms FROM shifts WHERE id = ?");
  st.Bind(1, id);
  if (!st.Step()) return std::nullopt;
  Shift s{st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Int(4), std::nullopt, st.Int(6), std::nullopt};
  if (!st.IsNull(5)) s.counted_cash = st.Int(5);
  if (!st.IsNull(7)) s.closed_at_ms = st.Int(7);
  return s;
}

Expected<Shift> Store::OpenShift(std::string_view terminal, std::string_view cashier, MinorUnits opening_float) {
  if (!IsValidId(terminal)) {
    return BadRequest("invalid_terminal", "a terminal id is 1-64 of A-Z a-z 0-9 _ . -");
  }
  if (opening_float < 0) return BadRequest("invalid_amount", "the opening cash is 0 or more minor units");
  return Guarded([&]() -> Expected<Shift> {
    Transaction tx(db_, Durability::full);
    auto open = db_.Cached("SELECT id FROM shifts WHERE terminal = ? AND status = 'open'");
    open.Bind(1, terminal);
    if (open.Step()) {
      return Conflict("shift_already_open", "terminal " + std::string(terminal) + " already has shift " +
                                                open.Text(0) + " open; close it first");
    }
    const std::int64_t now = clock_.now_ms();
    const std::string id = crypto::NewUuidV7(now);
    db_.Cached("INSERT INTO shifts(id, terminal, cashier, status, opening_float_minor, opened_at_ms) "
               "VALUES(?, ?, ?, 'open', ?, ?)")
        .Bind(1, id)
        .Bind(2, terminal)
        .BindOptional(3, cashier.empty() ? std::nullopt : std::optional(std::string(cashier)))
        .Bind(4, opening_float)
        .Bind(5, now)
        .Run();
    tx.Commit();
    return *LoadShift(id);
  });
}

Expected<Shift> Store::GetShift(std::string_view id) {
  return Guarded([&]() -> Expected<Shift> {
    auto s = LoadShift(id);
    if (!s) return NotFound("shift_not_found", "no shift " + std::string(id.substr(0, 64)));
    return *s;
  });
}

Expected<std::vector<Shift>> Store::Shifts(std::string_view terminal, std::string_view status,
                                           std::size_t limit) {
  return Guarded([&]() -> Expected<std::vector<Shift>> {
    std::vector<Shift> out;
    auto st = db_.Cached("SELECT id FROM shifts WHERE (?1 = '' OR terminal = ?1) AND (?2 = '' OR status = ?2) "
                         "ORDER BY opened_at_ms DESC, id DESC LIMIT ?3");
    st.Bind(1, terminal).Bind(2, status).Bind(3, static_cast<std::int64_t>(limit));
    std::vector<std::string> ids;
    while (st.Step()) ids.push_back(st.Text(0));
    for (const auto& id : ids) out.push_back(*LoadShift(id));
    return out;
  });
}

ShiftReport Store::ComputeReport(const Shift& shift) {
  ShiftReport r;
  r.shift_id = shift.id;
  r.terminal = shift.terminal;
  r.cashier = shift.cashier;
  r.opened_at_ms = shift.opened_at_ms;
  r.closed_at_ms = shift.closed_at_ms;
  r.currency = config_.currency;
  r.opening_float = shift.opening_float;
  std::map<std::string, MethodTotals> by;
  {
    auto st = db_.Cached("SELECT count(*), coalesce(sum(total_minor), 0), coalesce(sum(change_minor), 0) "
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
    auto st = db_.Cached("SELECT p.method, sum(p.amount_minor) FROM payments p JOIN sales s ON s.id = p.sale_id "
                         "WHERE s.shift_id = ? AND s.status = 'completed' GROUP BY p.method");
    st.Bind(1, shift.id);
    while (st.Step()) {
      auto& m = by[st.Text(0)];
      m.method = st.Text(0);
      m.sales = st.Int(1);
    }
  }
  {
    auto st = db_.Cached("SELECT count(*), coalesce(sum(amount_minor), 0) FROM refunds WHERE shift_id = ?");
    st.Bind(1, shift.id);
    st.Step();
    r.refunds_count = st.Int(0);
    r.refunds_total = st.Int(1);
  }
  {
    auto st = db_.Cached("SELECT rp.method, sum(rp.amount_minor) FROM refund_payments rp "
                         "JOIN refunds f ON f.id = rp.refund_id WHERE f.shift_id = ? GROUP BY rp.method");
    st.Bind(1, shift.id);
    while (st.Step()) {
      auto& m = by[st.Text(0)];
      m.method = st.Text(0);
      m.refunds = st.Int(1);
    }
  }
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
  if (shift.counted_cash) {
    r.counted_cash = shift.counted_cash;
    r.variance = *shift.counted_cash - r.expected_cash;
  }
  auto depth = db_.Cached("SELECT coalesce((SELECT max(seq) FROM outbox), 0) - "
                          "coalesce((SELECT value FROM sync_state WHERE key = 'acked_seq'), 0)");
  depth.Step();
  r.pending_events = depth.Int(0);
  return r;
}

Expected<ShiftReport> Store::ReportOf(std::string_view shift_id) {
  return Guarded([&]() -> Expected<ShiftReport> {
    auto s = LoadShift(shift_id);
    if (!s) return NotFound("shift_not_found", "no shift " + std::string(shift_id.substr(0, 64)));
    return ComputeReport(*s);
  });
}

Expected<ShiftClosed> Store::CloseShift(std::string_view shift_id, MinorUnits counted_cash) {
  if (counted_cash < 0) return BadRequest("invalid_amount", "counted cash is 0 or more minor units");
  return Guarded([&]() -> Expected<ShiftClosed> {
    Transaction tx(db_, Durability::full);
    auto s = LoadShift(shift_id);
    if (!s) return NotFound("shift_not_found", "no shift " + std::string(shift_id.substr(0, 64)));
    if (s->status != "open") return Conflict("shift_not_open", "shift " + s->id + " is already closed");
    db_.Cached("UPDATE shifts SET status = 'closed', counted_cash_minor = ?, closed_at_ms = ? WHERE id = ?")
        .Bind(1, counted_cash)
        .Bind(2, clock_.now_ms())
        .Bind(3, shift_id)
        .Run();
    ShiftClosed out{*LoadShift(shift_id), {}};
    out.report = ComputeReport(out.shift);  // pending_events: before shift.closed itself
    AppendEvent("shift.closed", ShiftReportJson(out.report));
    tx.Commit();
    return out;
  });
}

}  // namespace sa::store
