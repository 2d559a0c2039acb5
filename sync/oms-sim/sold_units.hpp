// SPDX-License-Identifier: Apache-2.0
// §8 (internal to oms-sim): the units accepted sales hold, and the
// serial_sold_twice alert when two live sales hold the same one.
#pragma once

#include <string>
#include <vector>

#include "feed.hpp"
#include "ledger.hpp"

namespace sa::omssim {

struct Caller;

// A serialised unit a sale's or a refund's line names.
struct SerialisedUnit {
  std::string gtin;    // "" when the line gives none
  std::string serial;  // never ""
};

class SoldUnits {
 public:
  SoldUnits(ledger::Database& db, Feed& feed) : db_(db), feed_(feed) {}

  // An accepted sale.completed: its units are sold; one another live sale
  // already holds raises an alert in the store's feed.
  void Sold(const Caller& c, const std::string& sale_id, const std::vector<SerialisedUnit>& units);
  // An accepted sale redeemed coupon `coupon_id`: the first sale to do so,
  // in any store, keeps the redemption; a later one (another sale) is an
  // alert to its store and to the first one's (coupon_redeemed_twice).
  void Redeemed(const Caller& c, const std::string& sale_id, const std::string& coupon_id);
  // An accepted refund.completed of sale `sale_id` puts its units back:
  // selling them again is no double sale.
  void Refunded(const Caller& c, const std::string& sale_id,
                const std::vector<SerialisedUnit>& units);

 private:
  ledger::Database& db_;
  Feed& feed_;
};

}  // namespace sa::omssim
