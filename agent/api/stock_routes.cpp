// SPDX-License-Identifier: Apache-2.0
// Stock and the orders the OMS routes to the store.
#include "answers.hpp"
#include "request.hpp"
#include "routes.hpp"

namespace sa::api {
namespace {

using ledger::Durability;

Answer OrderAnswer(const store::Reservation& order) {
  return JsonAnswer(200, json::Reservation(order));
}

// The order's id from the path: percent-decoded, else reservation_not_found.
std::optional<std::string> OrderId(const ExchangePtr& x) {
  auto id = http::PathId(x->params[0]);
  if (!id) {
    x->Reply(ErrorAnswer(
        MakeError(ErrorKind::not_found, "reservation_not_found", "no such reservation")));
  }
  return id;
}

// One step of an order on the writer: durable, idempotent, pushed, shown.
void Step(Context& ctx, const ExchangePtr& x,
          std::function<Expected<store::Reservation>(store::Store&)> step) {
  Submit<store::Reservation>(ctx, x, Durability::full, true, std::move(step), OrderAnswer,
                             [&ctx](const Expected<store::Reservation>& order) {
                               if (!order) return;
                               ctx.events.EventWritten();
                               ctx.events.ReservationChanged(*order);
                             });
}

}  // namespace

void ShowStock(Context& ctx, const ExchangePtr& x) {
  auto gtin = request::Gtin14(x->params[0]);
  if (!gtin) return x->Reply(ErrorAnswer(gtin.error()));
  Read<store::StockLevel>(
      ctx, x, [gtin = *gtin](store::Store& s) { return s.stock.Level(gtin); },
      [](const store::StockLevel& level) { return JsonAnswer(200, json::Stock(level)); });
}

void ReceiveUnit(Context& ctx, const ExchangePtr& x) {
  auto payload = request::ParsePayload(x->body());
  if (!payload) return x->Reply(ErrorAnswer(payload.error()));
  ctx.parts.terminals.Check(*payload, [&ctx, x](Expected<store::CheckedCode> checked) {
    if (!checked) return x->Reply(ErrorAnswer(checked.error()));
    const std::string serial = checked->code.serial;
    Submit<store::StockLevel>(
        ctx, x, Durability::full, true,
        [checked = std::move(checked).value()](store::Store& s) {
          return s.stock.Receive(checked);
        },
        [serial](const store::StockLevel& level) {
          return JsonAnswer(200, json::Received(level, serial));
        },
        [&ctx, serial](const Expected<store::StockLevel>& level) {
          if (!level) return;
          ctx.events.EventWritten();
          ctx.events.UnitReceived(*level, serial);
        });
  });
}

void CountStock(Context& ctx, const ExchangePtr& x) {
  auto count = request::ParseCount(x->body());
  if (!count) return x->Reply(ErrorAnswer(count.error()));
  Submit<store::StockLevel>(
      ctx, x, Durability::full, true,
      [count = *count](store::Store& s) { return s.stock.Count(count.gtin, count.counted); },
      [](const store::StockLevel& level) { return JsonAnswer(200, json::Stock(level)); },
      [&ctx](const Expected<store::StockLevel>& level) {
        if (!level) return;
        ctx.events.EventWritten();
        ctx.events.StockCounted(*level);
      });
}

void ListReservations(Context& ctx, const ExchangePtr& x) {
  auto query = QueryOf(*x);
  if (!query) return x->Reply(ErrorAnswer(query.error()));
  bool all = false;
  if (auto v = query->find("all"); v != query->end()) {
    if (v->second == "1" || v->second == "true") {
      all = true;
    } else if (v->second != "0" && v->second != "false") {
      return x->Reply(
          ErrorAnswer(MakeError(ErrorKind::invalid_request, "invalid_field", "all is 1 or 0")));
    }
  }
  std::size_t limit = 200;
  if (auto v = query->find("limit"); v != query->end()) {
    auto n = Number(v->second, 1, 1000);
    if (!n) {
      return x->Reply(ErrorAnswer(
          MakeError(ErrorKind::invalid_request, "invalid_field", "limit must be 1 to 1000")));
    }
    limit = static_cast<std::size_t>(*n);
  }
  Read<std::vector<store::Reservation>>(
      ctx, x, [all, limit](store::Store& s) { return s.stock.Reservations(all, limit); },
      [](const std::vector<store::Reservation>& orders) {
        return JsonAnswer(200, json::Reservations(orders));
      });
}

void ShowReservation(Context& ctx, const ExchangePtr& x) {
  auto id = OrderId(x);
  if (!id) return;
  Read<store::Reservation>(
      ctx, x, [id = *id](store::Store& s) { return s.stock.GetReservation(id); }, OrderAnswer);
}

void AcceptOrder(Context& ctx, const ExchangePtr& x) {
  auto id = OrderId(x);
  if (!id) return;
  if (auto ok = request::Nothing(x->body()); !ok) return x->Reply(ErrorAnswer(ok.error()));
  Step(ctx, x, [id = *id](store::Store& s) { return s.stock.Accept(id); });
}

void RejectOrder(Context& ctx, const ExchangePtr& x) {
  auto id = OrderId(x);
  if (!id) return;
  auto reason = request::ParseReason(x->body());
  if (!reason) return x->Reply(ErrorAnswer(reason.error()));
  Step(ctx, x,
       [id = *id, reason = *reason](store::Store& s) { return s.stock.Reject(id, reason); });
}

void ReleaseOrder(Context& ctx, const ExchangePtr& x) {
  auto id = OrderId(x);
  if (!id) return;
  auto reason = request::ParseReason(x->body());
  if (!reason) return x->Reply(ErrorAnswer(reason.error()));
  // Letting an order's units go is a manager's call.
  WithApproval(ctx, x, true,
               [&ctx, x, id = *id, reason = *reason](std::optional<store::Approval> approved) {
                 Step(ctx, x, [id, reason, approved](store::Store& s) {
                   return s.stock.Release(id, reason, approved);
                 });
               });
}

void ShipOrder(Context& ctx, const ExchangePtr& x) {
  auto id = OrderId(x);
  if (!id) return;
  auto shipment = request::ParseShipment(x->body());
  if (!shipment) return x->Reply(ErrorAnswer(shipment.error()));
  Step(ctx, x, [id = *id, shipment = *shipment](store::Store& s) {
    return s.stock.Ship(id, shipment.carrier, shipment.tracking_no);
  });
}

void HandOverOrder(Context& ctx, const ExchangePtr& x) {
  auto id = OrderId(x);
  if (!id) return;
  auto code = request::ParsePickupCode(x->body());
  if (!code) return x->Reply(ErrorAnswer(code.error()));
  Step(ctx, x, [id = *id, code = *code](store::Store& s) { return s.stock.HandOver(id, code); });
}

// One unit per call, its code checked on a worker first.
void PickUnit(Context& ctx, const ExchangePtr& x) {
  auto id = OrderId(x);
  if (!id) return;
  auto payload = request::ParsePayload(x->body());
  if (!payload) return x->Reply(ErrorAnswer(payload.error()));
  ctx.parts.terminals.Check(*payload, [&ctx, x, id = *id](Expected<store::CheckedCode> checked) {
    if (!checked) return x->Reply(ErrorAnswer(checked.error()));
    Step(ctx, x, [id, checked = std::move(checked).value()](store::Store& s) {
      return s.stock.Pick(id, checked);
    });
  });
}

}  // namespace sa::api
