// SPDX-License-Identifier: Apache-2.0
// Online orders (internal to oms-sim): what customers bought in the brand's
// own malls (mini-program, app, web), kept per brand rather than per store
// because a customer may bring a unit back to any store. A store looks an
// order up (PROTOCOL.md §5a) and reports a return at its counter as a
// return.received event (§6); the cloud then marks the lines returned and
// refunds the customer's original payment, once per unit.
#pragma once

#include <string>

#include "answer.hpp"
#include "feed.hpp"
#include "ledger.hpp"

namespace sa::omssim {

struct Caller;

class OnlineOrders {
 public:
  OnlineOrders(ledger::Database& db, Feed& feed, const Clock& clock)
      : db_(db), feed_(feed), clock_(clock) {}

  // POST /admin/v1/online-orders: a purchase in the brand's mall (a test
  // hook). 409 order_exists, 409 unit_in_another_order.
  Reply Create(const Request& r);
  // GET /admin/v1/online-orders/{number}: the order, its lines' return
  // state and the refunds made. 404 order_not_found.
  Reply Show(const std::string& number);
  // GET /sync/v1/online-orders?number=N | ?gtin=G&serial=S, for an
  // authenticated device. 400 bad_request, 404 order_not_found.
  Reply Lookup(const Request& r);

  // Inside a push: what is wrong with a return.received payload, or "".
  static std::string PayloadProblem(const std::string& payload_json);
  // Inside a push, for an accepted return.received: the units it names are
  // returned and the order refunds `amount`, unless another return already
  // took a unit back (an online_return_twice alert in the store's feed; that
  // unit is not refunded again).
  void Received(const Caller& c, const std::string& payload_json);

 private:
  std::string OrderJson(const std::string& number);

  ledger::Database& db_;
  Feed& feed_;
  const Clock& clock_;
};

}  // namespace sa::omssim
