// SPDX-License-Identifier: Apache-2.0
// Exchanges at the counter: what comes back of a completed sale is a refund,
// what goes out instead is an open cart completed, and both are one
// transaction with one exchange.completed event. A kill at any moment leaves
// both halves or neither.
#include "part.hpp"
#include "sale_json.hpp"
#include "sales.hpp"

namespace sa::store {

using ledger::Transaction;
using part::BadRequest;
using part::Guarded;
using part::Refused;

Expected<Exchange> Sales::ExchangeUnits(std::string_view sale_id, const std::vector<UnitRef>& units,
                                        const std::vector<ItemRef>& items, std::string_view cart_id,
                                        const std::vector<Payment>& payments,
                                        std::string_view terminal, std::string_view cashier,
                                        const std::optional<Approval>& approved) {
  if (auto refused = CheckReturn(units, items, terminal)) return *refused;
  Tender tender;
  if (auto refused = CheckTender(payments, tender)) return *refused;
  if (sale_id == cart_id) {
    return BadRequest("invalid_field",
                      "the cart of an exchange is a new sale, not the one returned");
  }
  return Guarded([&]() -> Expected<Exchange> {
    Transaction tx(db_);
    auto found = Refundable(sale_id);
    if (!found) return found.error();
    const Sale& sale = *found;
    auto lines = RefundedLines(sale, units, items);
    if (!lines) return lines.error();
    if (auto refused = CheckOpen(cart_id)) return *refused;
    Reprice(cart_id, books_.now_ms());  // priced at the moment it is paid, as Complete does
    const Sale cart = LoadSale(cart_id);
    if (cart.lines.empty()) {
      return Refused("sale_empty", "the exchange's cart has nothing in it: scan what goes out");
    }
    if (cart.currency != sale.currency) {
      return Refused("currency_mismatch",
                     "the cart is in " + cart.currency + ", the sale in " + sale.currency);
    }
    Exchange ex;
    ex.id = crypto::NewUuidV7(books_.now_ms());
    ex.returned = NewRefund(sale, *lines, approved);
    Refund& refund = ex.returned;
    ex.credit = std::min(refund.amount, cart.total);
    ex.difference = cart.total - refund.amount;
    const MinorUnits due = cart.total - ex.credit;
    if (due == 0 && !payments.empty()) {
      return Refused("payment_mismatch",
                     "what comes back covers the cart: nothing is to be paid, and " +
                         std::to_string(refund.amount - ex.credit) + " goes back");
    }
    if (auto refused = CheckCovers(tender, due)) return *refused;
    std::vector<Payment> paid_with;
    if (ex.credit > 0) paid_with.push_back(Payment{"exchange", ex.credit, ex.id});
    paid_with.insert(paid_with.end(), payments.begin(), payments.end());
    const std::int64_t now = books_.now_ms();
    std::string phone_hash;
    auto settled = Settle(cart, paid_with, tender.paid - due, now, phone_hash);
    if (!settled) return settled.error();
    ex.sale = std::move(settled).value();
    const ExchangeCredit credit{ex.id, ex.sale.id, ex.credit};
    refund.payments = TakeBack(sale, refund, *lines, "refund", terminal, cashier, {}, &credit);
    books_.Append("exchange.completed", events::ExchangeCompleted(ex, sale, *lines, phone_hash),
                  now);
    // The cart's coupons wait for the cloud's ack of this event (the offline cap).
    db_.Cached(
           "UPDATE coupons_used SET event_seq = (SELECT max(seq) FROM outbox) WHERE sale_id = ?")
        .Bind(1, ex.sale.id)
        .Run();
    tx.Commit();  // synchronous=FULL: both halves are on disk, or neither
    return ex;
  });
}

}  // namespace sa::store
