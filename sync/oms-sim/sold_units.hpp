// SPDX-License-Identifier: Apache-2.0
// §8 (internal to oms-sim): the units accepted sales hold, and the
// serial_sold_twice alert when two live sales hold the same one.
#pragma once

#include "answer.hpp"
#include "feed.hpp"
#include "ledger.hpp"

namespace sa::omssim {

struct Caller;

class SoldUnits {
 public:
  SoldUnits(ledger::Database& db, Feed& feed) : db_(db), feed_(feed) {}

  // An accepted sale.completed: its serialised units are sold; one another
  // live sale already holds raises an alert in the store's feed.
  void Sold(const Caller& c, const json& sale);
  // An accepted refund.completed puts its units back: selling them again is
  // no double sale.
  void Refunded(const Caller& c, const json& refund);

 private:
  ledger::Database& db_;
  Feed& feed_;
};

}  // namespace sa::omssim
