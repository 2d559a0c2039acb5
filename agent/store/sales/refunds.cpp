// SPDX-License-Identifier: Apache-2.0
// Refunds of completed sales: units named by serial go back to stock (they
// may be sold again), and the money goes back by the sale's own methods. A
// post-void is the same for the whole sale, as a correction.
#include <algorithm>
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

Expected<Refund> Sales::RefundUnits(std::string_view sale_id, const std::vector<UnitRef>& units,
                                    std::string_view terminal, std::string_view cashier,
                                    const std::optional<Approval>& approved) {
  if (terminal.size() > 64 || !ValidUtf8(terminal)) {
    return BadRequest("invalid_terminal", "a terminal name is at most 64 characters of UTF-8");
  }
  if (units.empty()) return BadRequest("nothing_to_refund", "name at least one serial to refund");
  if (units.size() > 1000)
    return BadRequest("nothing_to_refund", "at most 1000 serials per refund");
  return Guarded([&]() -> Expected<Refund> {
    Transaction tx(db_);
    auto status = SaleStatus(sale_id);
    if (!status) return NotFound("sale_not_found", "no sale " + std::string(sale_id));
    if (*status != "completed") {
      return Conflict("sale_not_completed", "only a completed sale can be refunded; sale " +
                                                std::string(sale_id) + " is " + *status);
    }
    const Sale sale = LoadSale(sale_id);
    if (sale.post_void) {
      return Conflict("sale_already_voided",
                      "sale " + sale.id + " was voided: nothing of it is left to refund");
    }
    auto lines = RefundedLines(sale, units);
    if (!lines) return lines.error();
    Refund refund;
    refund.id = crypto::NewUuidV7(books_.now_ms());
    refund.sale_id = sale_id;
    refund.currency = sale.currency;
    refund.approved = approved;
    for (const Line* line : *lines) refund.amount += line->amount;
    TakeBack(sale, refund, *lines, "refund", terminal, cashier, {});
    for (const Line* line : *lines) refund.serials.push_back(line->serial);
    books_.Append("refund.completed", events::RefundCompleted(refund, sale, *lines));
    tx.Commit();
    return refund;
  });
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
  std::vector<const Line*> lines;
  for (const auto& line : sale.lines) lines.push_back(&line);
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

void Sales::TakeBack(const Sale& sale, const Refund& refund, const std::vector<const Line*>& lines,
                     std::string_view kind, std::string_view terminal, std::string_view cashier,
                     std::string_view reason) {
  const std::int64_t now = books_.now_ms();
  const std::string where = terminal.empty() ? sale.terminal : std::string(terminal);
  auto text = [](std::string_view v) {
    return v.empty() ? std::nullopt : std::optional(std::string(v));
  };
  db_.Cached(
         "INSERT INTO refunds(id, sale_id, amount_minor, at_ms, terminal, cashier, shift_id, kind, "
         "approved_by, approved_via, reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6, (SELECT id FROM "
         "shifts WHERE terminal = ?5 AND status = 'open'), ?7, ?8, ?9, ?10)")
      .Bind(1, refund.id)
      .Bind(2, sale.id)
      .Bind(3, refund.amount)
      .Bind(4, now)
      .Bind(5, where)
      .BindOptional(6, text(cashier))
      .Bind(7, kind)
      .BindOptional(8, refund.approved ? text(refund.approved->manager) : std::nullopt)
      .BindOptional(9, refund.approved ? text(refund.approved->via) : std::nullopt)
      .BindOptional(10, text(reason))
      .Run();
  PayBack(sale, refund);
  for (const Line* line : lines) {
    db_.Cached("INSERT INTO refund_lines(refund_id, line_id) VALUES(?, ?)")
        .Bind(1, refund.id)
        .Bind(2, line->id)
        .Run();
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
        .BindOptional(2, text(line->serial))
        .Bind(3, line->qty)
        .Bind(4, kind)
        .Bind(5, refund.id)
        .Bind(6, now)
        .Run();
  }
}

Expected<std::vector<const Line*>> Sales::RefundedLines(const Sale& sale,
                                                        const std::vector<UnitRef>& units) {
  std::vector<const Line*> lines;
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
    lines.push_back(found);
  }
  return lines;
}

// Paid back by the sale's own methods, in the order it was paid, each up to
// what it took (cash net of change) less what earlier refunds gave back.
void Sales::PayBack(const Sale& sale, const Refund& refund) {
  std::vector<std::pair<std::string, MinorUnits>> left;
  for (const auto& p : sale.payments) {
    auto it =
        std::find_if(left.begin(), left.end(), [&](const auto& e) { return e.first == p.method; });
    if (it == left.end()) {
      left.emplace_back(p.method, p.amount);
    } else {
      it->second += p.amount;
    }
  }
  for (auto& [method, amount] : left) {
    if (method == "cash") amount -= sale.change.value_or(0);
    auto before = db_.Cached(
        "SELECT coalesce(sum(rp.amount_minor), 0) FROM refund_payments rp "
        "JOIN refunds r ON r.id = rp.refund_id WHERE r.sale_id = ? AND rp.method = ?");
    before.Bind(1, sale.id).Bind(2, method);
    before.Step();
    amount -= before.Int(0);
  }
  MinorUnits owed = refund.amount;
  for (const auto& [method, amount] : left) {
    if (owed <= 0) break;
    const MinorUnits take = std::min(owed, amount);
    if (take <= 0) continue;
    db_.Cached("INSERT INTO refund_payments(refund_id, method, amount_minor) VALUES(?, ?, ?)")
        .Bind(1, refund.id)
        .Bind(2, method)
        .Bind(3, take)
        .Run();
    owed -= take;
  }
}

}  // namespace sa::store
