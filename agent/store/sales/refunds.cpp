// SPDX-License-Identifier: Apache-2.0
// Refunds of completed sales: units named by serial go back to stock (they
// may be sold again), plain items by quantity, and the money goes back by
// the sale's own methods with their references. A post-void is the same for
// the whole sale, as a correction. And finding the sale to refund: by its
// receipt number, or by a sold unit's label.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "part.hpp"
#include "sale_json.hpp"
#include "sales.hpp"

namespace sa::store {

using ledger::Transaction;
using part::BadRequest;
using part::Conflict;
using part::Guarded;
using part::NotFound;
using part::Refused;

std::optional<Error> Sales::CheckReturn(const std::vector<UnitRef>& units,
                                        const std::vector<ItemRef>& items,
                                        std::string_view terminal) {
  if (terminal.size() > 64 || !ValidUtf8(terminal)) {
    return BadRequest("invalid_terminal", "a terminal name is at most 64 characters of UTF-8");
  }
  if (units.empty() && items.empty()) {
    return BadRequest("nothing_to_refund", "name at least one serial or item to refund");
  }
  if (units.size() + items.size() > 1000)
    return BadRequest("nothing_to_refund", "at most 1000 serials and items per refund");
  for (const auto& item : items) {
    if (item.qty <= 0 || item.qty > 1'000'000) {
      return BadRequest("invalid_field", "an item's qty is 1 to 1000000");
    }
  }
  return std::nullopt;
}

Expected<Sale> Sales::Refundable(std::string_view sale_id) {
  auto status = SaleStatus(sale_id);
  if (!status) return NotFound("sale_not_found", "no sale " + std::string(sale_id));
  if (*status != "completed") {
    return Conflict("sale_not_completed", "only a completed sale can be refunded; sale " +
                                              std::string(sale_id) + " is " + *status);
  }
  Sale sale = LoadSale(sale_id);
  if (sale.post_void) {
    return Conflict("sale_already_voided",
                    "sale " + sale.id + " was voided: nothing of it is left to refund");
  }
  return sale;
}

Refund Sales::NewRefund(const Sale& sale, const std::vector<LineBack>& lines,
                        const std::optional<Approval>& approved) {
  Refund refund;
  refund.id = crypto::NewUuidV7(books_.now_ms());
  refund.sale_id = sale.id;
  refund.currency = sale.currency;
  refund.approved = approved;
  for (const auto& t : lines) {
    // Bounded: each line's amount was checked when it was added, and a part
    // of a line is less than the line.
    refund.amount += t.amount;
    if (t.line->serial.empty()) {
      refund.items.push_back(ItemRef{t.line->gtin, t.qty});
    } else {
      refund.serials.push_back(t.line->serial);
    }
  }
  return refund;
}

Expected<Refund> Sales::RefundUnits(std::string_view sale_id, const std::vector<UnitRef>& units,
                                    std::string_view terminal, std::string_view cashier,
                                    const std::optional<Approval>& approved,
                                    const std::vector<ItemRef>& items,
                                    std::optional<MinorUnits> limit) {
  if (auto refused = CheckReturn(units, items, terminal)) return *refused;
  return Guarded([&]() -> Expected<Refund> {
    Transaction tx(db_);
    auto found = Refundable(sale_id);
    if (!found) return found.error();
    const Sale& sale = *found;
    auto lines = RefundedLines(sale, units, items);
    if (!lines) return lines.error();
    Refund refund = NewRefund(sale, *lines, approved);
    if (limit && refund.amount > *limit) return OverLimit(refund, *limit);
    refund.payments = TakeBack(sale, refund, *lines, "refund", terminal, cashier, {});
    books_.Append("refund.completed", events::RefundCompleted(refund, sale, *lines));
    tx.Commit();
    return refund;
  });
}

Error Sales::OverLimit(const Refund& refund, MinorUnits limit) {
  const std::string amounts = "this refund is " + FormatMinor(refund.amount) + " " +
                              refund.currency + ", the limit " + FormatMinor(limit);
  if (!refund.approved) {
    return MakeError(ErrorKind::forbidden, "manager_required",
                     "a cashier may refund up to their limit without a manager (" + amounts +
                         "): a manager's session, or their PIN for this one action");
  }
  return MakeError(ErrorKind::forbidden, "refund_over_limit",
                   "a manager may approve refunds up to their limit (" + amounts +
                       "): the store's API token (storectl) may refund more");
}

Expected<Sale> Sales::VoidCompleted(std::string_view sale_id, std::string_view reason,
                                    const Approval& approved, std::string_view terminal,
                                    std::string_view cashier) {
  if (reason.empty()) {
    return BadRequest("invalid_reason", "say why a completed sale is voided (\"reason\")");
  }
  const Sale sale = LoadSale(sale_id);
  if (sale.post_void) {
    return Conflict("sale_already_voided", "sale " + sale.id + " was already voided");
  }
  auto refunded = db_.Cached("SELECT 1 FROM refunds WHERE sale_id = ? AND kind = 'refund' LIMIT 1");
  refunded.Bind(1, sale_id);
  if (refunded.Step()) {
    return Conflict("sale_partly_refunded", "units of sale " + sale.id +
                                                " were refunded: refund the rest instead of "
                                                "voiding it");
  }
  std::vector<LineBack> lines;
  for (const auto& line : sale.lines) lines.push_back(LineBack{&line, line.qty, line.amount});
  Refund back;
  back.id = crypto::NewUuidV7(books_.now_ms());
  back.sale_id = sale.id;
  back.currency = sale.currency;
  back.amount = sale.total;
  back.approved = approved;
  TakeBack(sale, back, lines, "void", terminal, cashier, reason);
  Sale voided = LoadSale(sale_id);
  books_.Append("sale.voided", events::SalePostVoided(voided));
  return voided;
}

std::vector<PaidBack> Sales::TakeBack(const Sale& sale, const Refund& refund,
                                      const std::vector<LineBack>& lines, std::string_view kind,
                                      std::string_view terminal, std::string_view cashier,
                                      std::string_view reason, const ExchangeCredit* exchange) {
  const std::int64_t now = books_.now_ms();
  const std::string where = terminal.empty() ? sale.terminal : std::string(terminal);
  db_.Cached(
         "INSERT INTO refunds(id, sale_id, amount_minor, at_ms, terminal, cashier, shift_id, kind, "
         "approved_by, approved_via, reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6, (SELECT id FROM "
         "shifts WHERE terminal = ?5 AND status = 'open'), ?7, ?8, ?9, ?10)")
      .Bind(1, refund.id)
      .Bind(2, sale.id)
      .Bind(3, refund.amount)
      .Bind(4, now)
      .Bind(5, where)
      .BindTextOrNull(6, cashier)
      .Bind(7, kind)
      .BindTextOrNull(8, refund.approved ? refund.approved->manager : "")
      .BindTextOrNull(9, refund.approved ? refund.approved->via : "")
      .BindTextOrNull(10, reason)
      .Run();
  std::vector<PaidBack> left = Capacity(sale);
  std::vector<PaidBack> paid;
  MinorUnits credit = 0;
  if (exchange) {
    credit = exchange->credit;
    db_.Cached(
           "INSERT INTO exchanges(id, refund_id, sale_id, credit_minor, at_ms) "
           "VALUES(?, ?, ?, ?, ?)")
        .Bind(1, exchange->id)
        .Bind(2, refund.id)
        .Bind(3, exchange->cart_id)
        .Bind(4, credit)
        .Bind(5, now)
        .Run();
    // Which of the sale's methods the credit stands for: a refund of the
    // cart later goes back that way, and this sale has that much less left.
    for (const auto& m : Allocate(left, credit)) {
      db_.Cached(
             "INSERT INTO exchange_sources(exchange_id, method, amount_minor, ref) "
             "VALUES(?, ?, ?, ?)")
          .Bind(1, exchange->id)
          .Bind(2, m.method)
          .Bind(3, m.amount)
          .BindTextOrNull(4, m.ref)
          .Run();
    }
    if (credit > 0) {
      db_.Cached(
             "INSERT INTO refund_payments(refund_id, method, amount_minor, ref) "
             "VALUES(?, 'exchange', ?, ?)")
          .Bind(1, refund.id)
          .Bind(2, credit)
          .Bind(3, exchange->id)
          .Run();
      paid.push_back(PaidBack{"exchange", credit, exchange->id});
    }
  }
  for (const auto& m : Allocate(left, refund.amount - credit)) {
    db_.Cached(
           "INSERT INTO refund_payments(refund_id, method, amount_minor, ref) VALUES(?, ?, ?, ?)")
        .Bind(1, refund.id)
        .Bind(2, m.method)
        .Bind(3, m.amount)
        .BindTextOrNull(4, m.ref)
        .Run();
    paid.push_back(m);
  }
  for (const auto& [line, qty, amount] : lines) {
    if (line->serial.empty() && kind == "refund") {
      // A plain item comes back by quantity, part of its line at a time,
      // for its share of the line's net.
      db_.Cached(
             "INSERT INTO refund_quantities(refund_id, line_id, qty, amount_minor) "
             "VALUES(?, ?, ?, ?)")
          .Bind(1, refund.id)
          .Bind(2, line->id)
          .Bind(3, qty)
          .Bind(4, amount)
          .Run();
    } else {
      db_.Cached("INSERT INTO refund_lines(refund_id, line_id) VALUES(?, ?)")
          .Bind(1, refund.id)
          .Bind(2, line->id)
          .Run();
    }
    if (!line->serial.empty()) {
      // The unit goes back to stock: it may be sold again.
      db_.Cached(
             "UPDATE units SET state = 'in_stock', sale_id = NULL, updated_at_ms = ? "
             "WHERE gtin = ? AND serial = ? AND state = 'sold'")
          .Bind(1, now)
          .Bind(2, line->gtin)
          .Bind(3, line->serial)
          .Run();
    }
    db_.Cached(
           "INSERT INTO stock_moves(gtin, serial, delta, reason, ref, at_ms) "
           "VALUES(?, ?, ?, ?, ?, ?)")
        .Bind(1, line->gtin)
        .BindTextOrNull(2, line->serial)
        .Bind(3, qty)
        .Bind(4, kind)
        .Bind(5, refund.id)
        .Bind(6, now)
        .Run();
  }
  return paid;
}

std::int64_t Sales::QtyRefunded(std::int64_t line_id) {
  auto st = db_.Cached(
      "SELECT coalesce((SELECT sum(qty) FROM refund_quantities WHERE line_id = ?1), 0) + "
      "coalesce((SELECT l.qty FROM refund_lines r JOIN sale_lines l ON l.id = r.line_id "
      "WHERE r.line_id = ?1), 0)");
  st.Bind(1, line_id);
  st.Step();
  return st.Int(0);
}

Expected<std::vector<LineBack>> Sales::RefundedLines(const Sale& sale,
                                                     const std::vector<UnitRef>& units,
                                                     const std::vector<ItemRef>& items) {
  std::vector<LineBack> lines;
  std::set<std::int64_t> taken;
  for (const auto& unit : units) {
    const Line* found = nullptr;
    int matches = 0;
    for (const auto& line : sale.lines) {
      if (!unit.serial.empty() && line.serial == unit.serial &&
          (unit.gtin.empty() || unit.gtin == line.gtin)) {
        found = &line;
        ++matches;
      }
    }
    if (matches == 0) {
      return Refused("serial_not_in_sale", "no unit of sale " + sale.id + " has that serial" +
                                               (unit.gtin.empty() ? "" : " and GTIN"));
    }
    if (matches > 1) {
      return Refused("serial_ambiguous",
                     "two units of this sale share that serial; name the "
                     "GTIN as well");
    }
    if (!taken.insert(found->id).second)
      return BadRequest("nothing_to_refund", "a unit is named twice");
    auto done = db_.Cached("SELECT 1 FROM refund_lines WHERE line_id = ?");
    done.Bind(1, found->id);
    if (done.Step()) {
      return Conflict("serial_already_refunded",
                      "unit " + found->gtin + " / " + found->serial + " was already refunded");
    }
    lines.push_back(LineBack{found, 1, found->amount});
  }
  for (const auto& item : items) {
    // The first plain line of the GTIN with units left (a weighed item's
    // bags are lines of their own); the last one when none has.
    const Line* found = nullptr;
    for (const auto& line : sale.lines) {
      if (!line.serial.empty() || line.gtin != item.gtin) continue;
      found = &line;
      if (line.qty > QtyRefunded(line.id)) break;
    }
    if (!found) {
      return Refused("gtin_not_in_sale", "sale " + sale.id + " has no plain item " + item.gtin +
                                             " (a serialised unit comes back by its serial)");
    }
    if (!taken.insert(found->id).second)
      return BadRequest("nothing_to_refund", "an item is named twice");
    const std::int64_t left = found->qty - QtyRefunded(found->id);
    if (item.qty > left) {
      return Conflict("refund_exceeds_sale", "sale " + sale.id + " has " + std::to_string(left) +
                                                 " of " + item.gtin + " left to refund, not " +
                                                 std::to_string(item.qty));
    }
    // Its share of the line's net: the last of the line back takes what
    // rounding left, so all of it adds up to what the line sold for.
    lines.push_back(LineBack{
        found, item.qty, pricing::ShareOf(found->amount, found->qty, found->qty - left, item.qty)});
  }
  return lines;
}

// The sale's methods in the order it was paid, merged by method, each with
// the reference of its first payment; cash net of change. An exchange's
// credit stands for the methods of the sale returned for it
// (exchange_sources).
std::vector<PaidBack> Sales::MethodsOf(const Sale& sale) {
  std::vector<PaidBack> methods;
  auto add = [&methods](PaidBack p) {
    auto it = std::find_if(methods.begin(), methods.end(),
                           [&](const PaidBack& e) { return e.method == p.method; });
    if (it == methods.end()) {
      methods.push_back(std::move(p));
    } else {
      it->amount += p.amount;
    }
  };
  for (const auto& p : sale.payments) {
    if (p.method != "exchange") {
      add(PaidBack{p.method, p.amount, p.ref});
      continue;
    }
    auto from = db_.Cached(
        "SELECT method, amount_minor, coalesce(ref, '') FROM exchange_sources "
        "WHERE exchange_id = ? ORDER BY id");
    from.Bind(1, p.ref);
    while (from.Step()) add(PaidBack{from.Text(0), from.Int(1), from.Text(2)});
  }
  for (auto& m : methods) {
    if (m.method == "cash") m.amount -= sale.change.value_or(0);
  }
  return methods;
}

// What each method may still give back: what it took, less what earlier
// refunds paid back by it and what exchanges' credits stood for.
std::vector<PaidBack> Sales::Capacity(const Sale& sale) {
  std::vector<PaidBack> left = MethodsOf(sale);
  for (auto& m : left) {
    auto before = db_.Cached(
        "SELECT coalesce((SELECT sum(rp.amount_minor) FROM refund_payments rp "
        "JOIN refunds r ON r.id = rp.refund_id WHERE r.sale_id = ?1 AND rp.method = ?2), 0) + "
        "coalesce((SELECT sum(es.amount_minor) FROM exchange_sources es "
        "JOIN exchanges e ON e.id = es.exchange_id JOIN refunds r ON r.id = e.refund_id "
        "WHERE r.sale_id = ?1 AND es.method = ?2), 0)");
    before.Bind(1, sale.id).Bind(2, m.method);
    before.Step();
    m.amount -= before.Int(0);
  }
  return left;
}

// `owed` taken from `left` in order, each method up to what it has left.
std::vector<PaidBack> Sales::Allocate(std::vector<PaidBack>& left, MinorUnits owed) {
  std::vector<PaidBack> taken;
  for (auto& m : left) {
    if (owed <= 0) break;
    const MinorUnits take = std::min(owed, m.amount);
    if (take <= 0) continue;
    taken.push_back(PaidBack{m.method, take, m.ref});
    m.amount -= take;
    owed -= take;
  }
  return taken;
}

Expected<Sale> Sales::FindByReceipt(std::string_view receipt_no) {
  // device id, '-', 6 or more digits (DemoConfig: demo-till-1-000042).
  const auto dash = receipt_no.rfind('-');
  const bool digits =
      dash != std::string_view::npos && receipt_no.size() - dash - 1 >= 6 &&
      receipt_no.size() - dash - 1 <= 18 &&
      receipt_no.find_first_not_of("0123456789", dash + 1) == std::string_view::npos;
  if (receipt_no.size() > 100 || !digits || !ValidUtf8(receipt_no)) {
    return BadRequest("invalid_receipt_no",
                      "a receipt number is the device id, '-', and at least 6 digits");
  }
  if (receipt_no.substr(0, dash) != config_.device_id) {
    return Refused("receipt_other_device",
                   "receipt " + std::string(receipt_no) + " was printed by another device, not " +
                       config_.device_id + ": refund it there, or through the cloud");
  }
  return Guarded([&]() -> Expected<Sale> {
    auto st = db_.Cached("SELECT id FROM sales WHERE receipt_no = ?");
    st.Bind(1, receipt_no);
    if (!st.Step()) {
      return NotFound("receipt_not_found",
                      "this device printed no receipt " + std::string(receipt_no));
    }
    return LoadSale(st.Text(0));
  });
}

Expected<Sale> Sales::FindByUnit(std::string_view gtin14, std::string_view serial) {
  return Guarded([&]() -> Expected<Sale> {
    auto st =
        db_.Cached("SELECT sale_id FROM units WHERE gtin = ? AND serial = ? AND state = 'sold'");
    st.Bind(1, gtin14).Bind(2, serial);
    if (!st.Step() || st.IsNull(0)) {
      return NotFound("unit_not_sold", "unit " + std::string(gtin14) + " / " + std::string(serial) +
                                           " is not sold here");
    }
    const std::string sale_id = st.Text(0);
    if (!SaleStatus(sale_id)) {
      return NotFound("sale_compacted",
                      "unit " + std::string(gtin14) + " / " + std::string(serial) +
                          " was sold longer ago than the ledger keeps a sale's detail "
                          "(ledger.retention_days): only its state and daily totals are here");
    }
    return LoadSale(sale_id);
  });
}

}  // namespace sa::store
