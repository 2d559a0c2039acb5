// SPDX-License-Identifier: Apache-2.0
// §7, the operator API (internal to oms-sim): /admin/v1/stores/{store}/...
// shows what a store's devices sent and offers the store changes through
// its feed; /admin/v1/faults tunes the fault injection of §9.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "answer.hpp"
#include "epcis.hpp"
#include "feed.hpp"
#include "ledger.hpp"

namespace sa::omssim {

class AdminApi {
 public:
  AdminApi(ledger::Database& db, Feed& feed) : db_(db), feed_(feed) {}

  // A request under /admin/v1/stores/; `segments` are its path's, from
  // "admin" on (at least five: the store and what of it).
  Reply Store(const Request& r, const std::vector<std::string_view>& segments);

 private:
  // One per route: the store's id and the request.
  Reply Events(const std::string& store, const Request& r);
  Reply Rejected(const std::string& store, const Request& r);
  Reply Devices(const std::string& store, const Request& r);
  Reply Alerts(const std::string& store, const Request& r);
  Reply Changes(const std::string& store, const Request& r);
  Reply Revocation(const std::string& store, const Request& r);
  Reply Promotion(const std::string& store, const Request& r);
  Reply PriceList(const std::string& store, const Request& r);
  Reply Allocation(const std::string& store, const Request& r);
  Reply Key(const std::string& store, const Request& r);
  Reply Stock(const std::string& store, const Request& r);
  // orders.cpp
  Reply OfferOrder(const std::string& store, const Request& r);
  Reply CancelOrder(const std::string& store, const std::string& id);
  // catalog.cpp
  Reply PutCatalog(const std::string& store, const Request& r);

  Reply ProvisionDevice(const std::string& store, const Request& r);
  // DELETE .../events/{id}: a test hook, the cloud loses an accepted event.
  Reply ForgetEvent(const std::string& store, const std::string& event_id);
  // epcis.cpp
  Reply Site(const std::string& store, const Request& r);
  Reply Epcis(const std::string& store, const Request& r);
  Reply Shipment(const std::string& store, const Request& r);
  epcis::Site SiteOf(const std::string& store);

  ledger::Database& db_;
  Feed& feed_;
};

// faults.cpp: GET and PUT /admin/v1/faults, both answered with the settings.
Reply ShowFaults(const Faults& faults);
Reply PutFaults(Faults& faults, const Request& r);

}  // namespace sa::omssim
