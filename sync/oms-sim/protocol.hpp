// SPDX-License-Identifier: Apache-2.0
// The device side of PROTOCOL.md (internal to oms-sim): register (§2), push
// (§4) and pull (§5), each a signed request from a store's device.
#pragma once

#include <cstdint>
#include <string>

#include "answer.hpp"
#include "base.hpp"
#include "feed.hpp"
#include "ledger.hpp"
#include "online_orders.hpp"

namespace sa::omssim {

// The signed-request headers (§2), checked for presence and freshness.
struct Caller {
  std::string store;
  std::string device;
  std::int64_t timestamp_ms = 0;
  std::string path;  // from /sync/ on, with the query, as sent
};

class DeviceProtocol {
 public:
  // `strict`: register only devices an operator provisioned;
  // `revoke_clones`: revoke brand-wide a unit two stores sold (§8).
  DeviceProtocol(ledger::Database& db, Feed& feed, const Clock& clock, bool strict,
                 bool revoke_clones)
      : db_(db),
        feed_(feed),
        clock_(clock),
        strict_(strict),
        revoke_clones_(revoke_clones),
        online_orders_(db, feed, clock) {}

  // POST /sync/v1/register: trust on first contact, or the provisioned key.
  Reply Register(const Request& r);
  // POST /sync/v1/events: a batch of events, all or nothing (ingest.hpp).
  Reply Push(const Request& r);
  // GET /sync/v1/changes: a page of the caller's store's feed.
  Reply Pull(const Request& r);
  // GET /sync/v1/online-orders: an online order, for a device at whose
  // counter the customer stands (online_orders.hpp).
  Reply OnlineOrder(const Request& r);
  // POST /sync/v1/reconciliations: a closed shift against what was ingested.
  Reply Reconcile(const Request& r);

 private:
  Caller ReadCaller(const Request& r) const;
  // A known device whose signature is good.
  void Authenticate(const Caller& c, const Request& r);
  void Touch(const Caller& c);

  ledger::Database& db_;
  Feed& feed_;
  const Clock& clock_;
  bool strict_;
  bool revoke_clones_;
  OnlineOrders online_orders_;
};

}  // namespace sa::omssim
