// SPDX-License-Identifier: Apache-2.0
// §8 (internal to oms-sim): the units accepted sales hold, brand-wide, and
// the alerts when two live sales hold the same one: serial_sold_twice when
// both are one store's (two tills offline), clone_suspected when another
// store sold it too (a copied label), to every store involved.
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
  // `revoke_clones`: a unit another store sold too is also revoked, a
  // revocation change to every store the cloud knows.
  SoldUnits(ledger::Database& db, Feed& feed, bool revoke_clones = false)
      : db_(db), feed_(feed), revoke_clones_(revoke_clones) {}

  // An accepted sale.completed: its units are sold; one another live sale
  // already holds, in any store, raises an alert (see above).
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
  // A live sale of a unit.
  struct Holder {
    std::string store_id;
    std::string device_id;
    std::string sale_id;
  };
  // The alert of a unit `holders` (live sales of it, oldest first, then this
  // one) hold at once.
  void SoldTwice(const Caller& c, const SerialisedUnit& unit, const std::vector<Holder>& holders);

  ledger::Database& db_;
  Feed& feed_;
  bool revoke_clones_;
};

}  // namespace sa::omssim
