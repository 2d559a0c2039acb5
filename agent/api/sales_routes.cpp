// SPDX-License-Identifier: Apache-2.0
// Sales at the till: open, scan, member, complete, void, lines, refunds.
#include "answers.hpp"
#include "request.hpp"
#include "routes.hpp"

namespace sa::api {
namespace {

using ledger::Durability;

Answer SaleAnswer(const store::Sale& sale) { return JsonAnswer(200, store::SaleJson(sale)); }

// Every change of a sale is shown on the screens.
std::function<void(const Expected<store::Sale>&)> ShowChange(Context& ctx) {
  return [&ctx](const Expected<store::Sale>& sale) {
    if (sale) ctx.events.SaleChanged(*sale);
  };
}

// The line's id from the path: digits, else line_not_found.
std::optional<std::int64_t> LineId(const ExchangePtr& x) {
  const std::string& line = x->params[1];
  if (!line.empty() && line.size() <= 18 &&
      line.find_first_not_of("0123456789") == std::string::npos) {
    return std::stoll(line);
  }
  x->Reply(ErrorAnswer(MakeError(ErrorKind::not_found, "line_not_found", "no such line")));
  return std::nullopt;
}

}  // namespace

void OpenSale(Context& ctx, const ExchangePtr& x) {
  auto body = request::ParseOpenSale(x->body());
  if (Fails(x, body)) return;
  // A cashier's session names the till and who sells.
  const std::string terminal = body->terminal.value_or(x->caller.terminal());
  Submit<store::Sale>(
      ctx, x, Durability::relaxed, true,
      [terminal, cashier = x->caller.cashier()](store::Store& s) {
        return s.sales.OpenSale(terminal, cashier);
      },
      [](const store::Sale& sale) { return JsonAnswer(201, store::SaleJson(sale)); },
      ShowChange(ctx));
}

// A sale by its id, or by the part of it a screen shows (its first or last
// characters) when that names one sale: what storectl resolves short ids with.
void ShowSale(Context& ctx, const ExchangePtr& x) {
  Read<store::Sale>(
      ctx, x,
      [id = x->params[0]](store::Store& s) -> Expected<store::Sale> {
        auto exact = s.sales.GetSale(id);
        if (exact || exact.error().code != "sale_not_found" || id.size() >= 36) return exact;
        auto ids = s.sales.IdsMatching(id, 3);
        if (!ids || ids->empty()) return exact;
        if (ids->size() > 1) {
          return MakeError(ErrorKind::conflict, "sale_id_ambiguous",
                           "more than one sale's id starts or ends with " + id + " (" + ids->at(0) +
                               ", " + ids->at(1) + (ids->size() > 2 ? ", ..." : "") +
                               "): give more of it");
        }
        return s.sales.GetSale(ids->front());
      },
      SaleAnswer);
}

void ScanIntoSale(Context& ctx, const ExchangePtr& x) {
  auto body = request::ParseScan(x->body());
  if (Fails(x, body)) return;
  const std::string id = x->params[0];
  terminals::ScanRecord scan{
      "api", body->payload.substr(0, 256), SystemClock().now_ms(), {}, id, {}, "sale", {}};
  // Recorded however it ends; a manager's override writes stock.override.
  auto done = [&ctx, scan, overridden = body->override_reserved.has_value()](
                  const Expected<store::Sale>& sale) {
    terminals::ScanRecord rec = scan;
    rec.outcome = sale ? "accepted" : sale.error().code;
    ctx.parts.terminals.Record(std::move(rec));
    if (sale) ctx.events.SaleChanged(*sale);
    if (overridden && sale) ctx.events.EventWritten();
  };
  auto scan_it = [&ctx, x, id, done, payload = body->payload](std::optional<store::Override> by) {
    ctx.parts.terminals.Check(
        payload, [&ctx, x, id, done, by](Expected<store::CheckedCode> checked) {
          if (!checked) {
            x->Reply(ErrorAnswer(checked.error()));
            return done(checked.error());
          }
          Submit<store::Sale>(
              ctx, x, Durability::relaxed, true,
              [id, by, checked = std::move(checked).value()](store::Store& s) {
                return s.sales.AddCheckedCode(id, checked, by);
              },
              SaleAnswer, done);
        });
  };
  if (!body->override_reserved) return scan_it(std::nullopt);
  // Taking a unit an order holds is a manager's call: the override names
  // the manager who approved it (the API token's caller names one).
  WithApproval(ctx, x, true,
               [scan_it, by = *body->override_reserved](std::optional<store::Approval> approved) {
                 store::Override o = by;
                 if (approved && !approved->manager.empty()) o.manager = approved->manager;
                 scan_it(o);
               });
}

void BindMember(Context& ctx, const ExchangePtr& x) {
  auto body = request::ParseMember(x->body());
  if (Fails(x, body)) return;
  Submit<store::Sale>(
      ctx, x, Durability::relaxed, true,
      [id = x->params[0], member = *body](store::Store& s) {
        return member.payload ? s.sales.BindMemberCode(id, *member.payload)
                              : s.sales.BindPhone(id, *member.phone);
      },
      SaleAnswer, ShowChange(ctx));
}

// The sale's shopping guide: a staff badge's payload, or a cashier picked.
void SetGuide(Context& ctx, const ExchangePtr& x) {
  auto body = request::ParseGuide(x->body());
  if (Fails(x, body)) return;
  Submit<store::Sale>(
      ctx, x, Durability::relaxed, true,
      [id = x->params[0], guide = *body](store::Store& s) -> Expected<store::Sale> {
        if (guide.cashier_id) return s.sales.PickGuide(id, *guide.cashier_id);
        auto checked = s.books.CheckCode(*guide.payload);
        if (!checked) return checked.error();
        if (!checked->staff) {
          return MakeError(ErrorKind::refused, "not_a_staff_code",
                           "that is not a staff badge (SAG1:...)");
        }
        return s.sales.SetGuide(id, *checked->staff, checked->signature);
      },
      SaleAnswer, ShowChange(ctx));
}

void CompleteSale(Context& ctx, const ExchangePtr& x) {
  auto payments = request::ParsePayments(x->body());
  if (Fails(x, payments)) return;
  const std::string id = x->params[0];
  Submit<store::Sale>(
      ctx, x, Durability::full, true,
      [id, payments = *payments](store::Store& s) { return s.sales.Complete(id, payments); },
      SaleAnswer,
      [&ctx, id](const Expected<store::Sale>& sale) {
        if (!sale) return;
        ++ctx.counters.sales_completed;
        ctx.events.EventWritten();
        // The completion is durable (answered): now the receipt may print.
        if (ctx.options.hardware.print && ctx.options.hardware.auto_print) {
          PrintSale(ctx, id, [](Expected<std::string>) {});
        }
        ctx.events.SaleChanged(*sale);
      });
}

// An open sale's cart is dropped by whoever sells it; a completed sale is
// voided only with a manager's approval (the store says which it is).
void VoidSale(Context& ctx, const ExchangePtr& x) {
  auto reason = request::ParseReason(x->body());
  if (Fails(x, reason)) return;
  WithApproval(ctx, x, false,
               [&ctx, x, reason = *reason, terminal = x->caller.terminal(),
                cashier = x->caller.cashier()](std::optional<store::Approval> approved) {
                 Submit<store::Sale>(
                     ctx, x, Durability::full, true,
                     [id = x->params[0], reason, approved, terminal, cashier](store::Store& s) {
                       return s.sales.Void(id, reason, approved, terminal, cashier);
                     },
                     SaleAnswer,
                     [&ctx](const Expected<store::Sale>& sale) {
                       if (!sale) return;
                       ++ctx.counters.sales_voided;
                       ctx.events.EventWritten();
                       // A post-void prints its slip (the money back), as a refund does.
                       if (sale->post_void && ctx.options.hardware.print &&
                           ctx.options.hardware.auto_print) {
                         PrintRefund(ctx, sale->post_void->id, [](Expected<std::string>) {});
                       }
                       ctx.events.SaleChanged(*sale);
                     });
               });
}

void RemoveLine(Context& ctx, const ExchangePtr& x) {
  auto line_id = LineId(x);
  if (!line_id) return;
  Submit<store::Sale>(
      ctx, x, Durability::relaxed, false,
      [id = x->params[0], line_id = *line_id](store::Store& s) {
        return s.sales.RemoveLine(id, line_id);
      },
      SaleAnswer);
}

// A line sold below its catalog price is a manager's action.
void ChangePrice(Context& ctx, const ExchangePtr& x) {
  auto line_id = LineId(x);
  if (!line_id) return;
  auto body = request::ParsePriceChange(x->body());
  if (Fails(x, body)) return;
  WithApproval(
      ctx, x, true,
      [&ctx, x, change = *body, line_id = *line_id](std::optional<store::Approval> approved) {
        Submit<store::Sale>(
            ctx, x, Durability::relaxed, true,
            [id = x->params[0], line_id, change, approved = *approved](store::Store& s) {
              return s.sales.ChangePrice(id, line_id, change.unit_price, change.reason, approved);
            },
            SaleAnswer, ShowChange(ctx));
      });
}

// A discount on the whole sale is a manager's action; taking it off is not.
void DiscountSale(Context& ctx, const ExchangePtr& x) {
  auto body = request::ParseSaleDiscount(x->body());
  if (Fails(x, body)) return;
  WithApproval(ctx, x, true, [&ctx, x, d = *body](std::optional<store::Approval> approved) {
    Submit<store::Sale>(
        ctx, x, Durability::relaxed, true,
        [id = x->params[0], d, approved = *approved](store::Store& s) {
          return s.sales.DiscountSale(id, d.percent_bp, d.amount, d.reason, approved);
        },
        SaleAnswer, ShowChange(ctx));
  });
}

void RemoveDiscount(Context& ctx, const ExchangePtr& x) {
  Submit<store::Sale>(
      ctx, x, Durability::relaxed, true,
      [id = x->params[0]](store::Store& s) { return s.sales.RemoveDiscount(id); }, SaleAnswer,
      ShowChange(ctx));
}

// A coupon taken back out of the cart.
void RemoveCoupon(Context& ctx, const ExchangePtr& x) {
  Submit<store::Sale>(
      ctx, x, Durability::relaxed, true,
      [id = x->params[0], coupon = x->params[1]](store::Store& s) {
        return s.sales.RemoveCoupon(id, coupon);
      },
      SaleAnswer, ShowChange(ctx));
}

// A refund is a manager's action past the cashier's limit (by default, any
// refund), and past the manager's a store owner's (the API token). The sale
// by its id or its receipt number.
void Refund(Context& ctx, const ExchangePtr& x) {
  auto body = request::ParseRefund(x->body());
  if (Fails(x, body)) return;
  const std::string terminal = body->terminal.value_or(x->caller.terminal());
  WithApproval(
      ctx, x, false,
      [&ctx, x, refund = *body, terminal,
       cashier = x->caller.cashier()](std::optional<store::Approval> approved) {
        Submit<store::Refund>(
            ctx, x, Durability::full, true,
            [refund, terminal, cashier, approved, limit = ctx.parts.sessions.RefundLimit(approved)](
                store::Store& s) -> Expected<store::Refund> {
              std::string sale_id = refund.sale_id;
              if (!refund.receipt_no.empty()) {
                auto sale = s.sales.FindByReceipt(refund.receipt_no);
                if (!sale) return sale.error();
                sale_id = sale->id;
              }
              return s.sales.RefundUnits(sale_id, refund.units, terminal, cashier, approved,
                                         refund.items, limit);
            },
            [](const store::Refund& r) { return JsonAnswer(201, store::RefundJson(r)); },
            [&ctx](const Expected<store::Refund>& r) {
              if (!r) return;
              ++ctx.counters.refunds;
              ctx.events.EventWritten();
              // Durable (answered): the refund receipt may print.
              if (ctx.options.hardware.print && ctx.options.hardware.auto_print) {
                PrintRefund(ctx, r->id, [](Expected<std::string>) {});
              }
            });
      });
}

// An exchange is a refund and a sale at once: a manager's action, as a
// refund is. The returned sale by its id or its receipt number.
void ExchangeSale(Context& ctx, const ExchangePtr& x) {
  auto body = request::ParseExchange(x->body());
  if (Fails(x, body)) return;
  const std::string terminal = body->back.terminal.value_or(x->caller.terminal());
  WithApproval(
      ctx, x, true,
      [&ctx, x, ex = *body, terminal,
       cashier = x->caller.cashier()](std::optional<store::Approval> approved) {
        Submit<store::Exchange>(
            ctx, x, Durability::full, true,
            [ex, terminal, cashier, approved](store::Store& s) -> Expected<store::Exchange> {
              std::string sale_id = ex.back.sale_id;
              if (!ex.back.receipt_no.empty()) {
                auto sale = s.sales.FindByReceipt(ex.back.receipt_no);
                if (!sale) return sale.error();
                sale_id = sale->id;
              }
              return s.sales.ExchangeUnits(sale_id, ex.back.units, ex.back.items, ex.cart_id,
                                           ex.payments, terminal, cashier, approved);
            },
            [](const store::Exchange& e) { return JsonAnswer(201, store::ExchangeJson(e)); },
            [&ctx](const Expected<store::Exchange>& e) {
              if (!e) return;
              ++ctx.counters.refunds;
              ++ctx.counters.sales_completed;
              ctx.events.EventWritten();
              // The return's slip, then the new sale's receipt, in the till's queue.
              if (ctx.options.hardware.print && ctx.options.hardware.auto_print) {
                PrintRefund(ctx, e->returned.id, [](Expected<std::string>) {});
                PrintSale(ctx, e->sale.id, [](Expected<std::string>) {});
              }
              ctx.events.SaleChanged(e->sale);
            });
      });
}

// The sale to take back at the counter: by the receipt's number (typed, or
// read from its QR) or by scanning a unit of it.
void FindSale(Context& ctx, const ExchangePtr& x) {
  auto query = QueryOf(*x);
  if (Fails(x, query)) return;
  auto lookup = request::ParseSaleLookup(*query);
  if (Fails(x, lookup)) return;
  if (lookup->receipt_no) {
    return Read<store::Sale>(
        ctx, x, [no = *lookup->receipt_no](store::Store& s) { return s.sales.FindByReceipt(no); },
        SaleAnswer);
  }
  ctx.parts.terminals.Check(*lookup->code, [&ctx, x](Expected<store::CheckedCode> checked) {
    if (!checked) return x->Reply(ErrorAnswer(checked.error()));
    if (checked->code.serial.empty()) {
      return x->Reply(ErrorAnswer(MakeError(
          ErrorKind::refused, "not_a_unit",
          "that label names a product, not one unit: look the sale up by its receipt number")));
    }
    Read<store::Sale>(
        ctx, x,
        [gtin = checked->code.gtin, serial = checked->code.serial](store::Store& s) {
          return s.sales.FindByUnit(gtin, serial);
        },
        SaleAnswer);
  });
}

}  // namespace sa::api
