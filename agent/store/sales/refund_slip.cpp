// SPDX-License-Identifier: Apache-2.0
// What a refund's receipt prints, read back from the ledger: the refund, the
// lines of the sale it took back (whole serialised units, quantities of
// plain items) and the money paid back by method.
#include "part.hpp"
#include "sales.hpp"

namespace sa::store {

using part::Guarded;
using part::NotFound;

Expected<RefundSlip> Sales::GetRefundSlip(std::string_view refund_id) {
  return Guarded([&]() -> Expected<RefundSlip> {
    auto head = db_.Cached(
        "SELECT sale_id, amount_minor, at_ms, coalesce(terminal, ''), coalesce(cashier, ''), "
        "kind, approved_by, approved_via FROM refunds WHERE id = ?");
    head.Bind(1, refund_id);
    if (!head.Step()) {
      return NotFound("refund_not_found", "no refund " + std::string(refund_id).substr(0, 64));
    }
    RefundSlip slip;
    slip.refund.id = std::string(refund_id);
    slip.refund.sale_id = head.Text(0);
    slip.refund.amount = head.Int(1);
    slip.at_ms = head.Int(2);
    slip.terminal = head.Text(3);
    slip.cashier = head.Text(4);
    slip.kind = head.Text(5);
    if (!head.IsNull(7)) {
      slip.refund.approved = Approval{head.IsNull(6) ? std::string() : head.Text(6), head.Text(7)};
    }
    const Sale sale = LoadSale(slip.refund.sale_id);
    slip.refund.currency = sale.currency;
    slip.sale_receipt_no = sale.receipt_no;
    if (sale.member) slip.member_id = sale.member->member_id;

    // Whole lines (serialised units, and every line of a post-void) and
    // quantities of plain lines.
    auto back = db_.Cached(
        "SELECT line_id, NULL, NULL FROM refund_lines WHERE refund_id = ?1 "
        "UNION ALL SELECT line_id, qty, amount_minor FROM refund_quantities WHERE refund_id = ?1 "
        "ORDER BY 1");
    back.Bind(1, refund_id);
    while (back.Step()) {
      const std::int64_t line_id = back.Int(0);
      for (const auto& line : sale.lines) {
        if (line.id != line_id) continue;
        // A part of a plain line for what it paid back (before schema v13:
        // its unit price each).
        Line out = back.IsNull(1)
                       ? line
                       : PartOf(line, back.Int(1),
                                back.IsNull(2) ? line.unit_price * back.Int(1) : back.Int(2));
        if (out.serial.empty()) {
          slip.refund.items.push_back(ItemRef{out.gtin, out.qty});
        } else {
          slip.refund.serials.push_back(out.serial);
        }
        slip.lines.push_back(std::move(out));
      }
    }

    auto paid = db_.Cached(
        "SELECT method, amount_minor, coalesce(ref, '') FROM refund_payments WHERE refund_id = ? "
        "ORDER BY method");
    paid.Bind(1, refund_id);
    while (paid.Step()) {
      slip.refund.payments.push_back(PaidBack{paid.Text(0), paid.Int(1), paid.Text(2)});
    }
    return slip;
  });
}

}  // namespace sa::store
