// SPDX-License-Identifier: Apache-2.0
// Returns at the counter of orders bought online (BOPIS/BORIS): the order
// comes from the cloud (its truth: what was bought, what came back already),
// then the store takes the units into stock in one transaction with the
// return.received event that has the cloud refund the customer's payment.
#include "answers.hpp"
#include "request.hpp"
#include "routes.hpp"

namespace sa::api {
namespace {

using ledger::Durability;

// The cloud's order, by number or by a unit; `done` runs on the loop, and
// only while the server lives.
void FetchOrder(Context& ctx, std::string number, std::string gtin, std::string serial,
                std::function<void(Expected<std::string>)> done) {
  if (!ctx.options.sync.online_order) {
    return done(MakeError(ErrorKind::unavailable, "cloud_unreachable",
                          "no cloud is configured (cloud.url): online orders cannot be looked up"));
  }
  ctx.options.sync.online_order(
      std::move(number), std::move(gtin), std::move(serial),
      [&loop = ctx.loop, life = std::weak_ptr<int>(ctx.alive),
       done = std::move(done)](Expected<std::string> order) mutable {
        // Only what this API documents: the order is not there, or the
        // cloud could not say.
        if (!order && order.error().code != "order_not_found" &&
            order.error().code != "cloud_unreachable") {
          order = MakeError(ErrorKind::unavailable, "cloud_unreachable", order.error().message);
        }
        loop.Post([life, done = std::move(done), order = std::move(order)]() mutable {
          if (!life.expired()) done(std::move(order));
        });
      });
}

}  // namespace

void FindOnlineOrder(Context& ctx, const ExchangePtr& x) {
  auto query = QueryOf(*x);
  if (Fails(x, query)) return;
  auto lookup = request::ParseOnlineOrderLookup(*query);
  if (Fails(x, lookup)) return;
  auto answer = [x](Expected<std::string> order) {
    if (!order) return x->Reply(ErrorAnswer(order.error()));
    x->Reply(JsonAnswer(200, std::move(order).value()));
  };
  if (lookup->number) return FetchOrder(ctx, *lookup->number, "", "", answer);
  ctx.parts.terminals.Check(*lookup->code, [&ctx, x, answer](Expected<store::CheckedCode> checked) {
    if (!checked) return x->Reply(ErrorAnswer(checked.error()));
    if (checked->code.serial.empty()) {
      return x->Reply(ErrorAnswer(
          MakeError(ErrorKind::refused, "not_a_unit",
                    "that label names a product, not one unit: look the order up by its number")));
    }
    FetchOrder(ctx, "", checked->code.gtin, checked->code.serial, answer);
  });
}

// A manager's action, as a refund is: the cloud refunds the order's payment
// on the store's word.
void ReturnOnlineOrder(Context& ctx, const ExchangePtr& x) {
  auto body = request::ParseOnlineReturn(x->body());
  if (Fails(x, body)) return;
  const std::string terminal = body->terminal.value_or(x->caller.terminal());
  WithApproval(ctx, x, true,
               [&ctx, x, ret = *body, terminal,
                cashier = x->caller.cashier()](std::optional<store::Approval> approved) {
                 FetchOrder(
                     ctx, ret.order_no, "", "",
                     [&ctx, x, ret, terminal, cashier, approved](Expected<std::string> fetched) {
                       if (!fetched) return x->Reply(ErrorAnswer(fetched.error()));
                       Submit<store::OnlineReturn>(
                           ctx, x, Durability::full, true,
                           [ret, terminal, cashier, approved, text = std::move(fetched).value()](
                               store::Store& s) -> Expected<store::OnlineReturn> {
                             auto order = store::ParseOnlineOrder(text);
                             if (!order) return order.error();
                             return s.stock.ReceiveOnlineReturn(*order, ret.serials, ret.refund_via,
                                                                terminal, cashier, approved);
                           },
                           [](const store::OnlineReturn& r) {
                             return JsonAnswer(201, store::OnlineReturnJson(r));
                           },
                           [&ctx](const Expected<store::OnlineReturn>& r) {
                             if (r) ctx.events.EventWritten();
                           });
                     });
               });
}

}  // namespace sa::api
