// SPDX-License-Identifier: Apache-2.0
// §4 steps 2-4 (internal to oms-sim): one device's batch of events, dealt
// with in seq order against its acked_seq. Runs inside the push's
// transaction; a broken envelope that cannot take its seq refuses the whole
// batch, and the rollback undoes what the events before it did.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "answer.hpp"
#include "base.hpp"
#include "feed.hpp"
#include "ledger.hpp"
#include "protocol.hpp"
#include "sold_units.hpp"

namespace sa::omssim {

class Ingest {
 public:
  Ingest(ledger::Database& db, Feed& feed, const Clock& clock, const Caller& caller)
      : db_(db), clock_(clock), caller_(caller), sold_units_(db, feed) {}

  // Each event is a duplicate (a resend), rejected (kept with its reason),
  // or accepted; a gap stops the batch. Moves the device's acked_seq and
  // answers {"acked_seq","results"[,"expected_seq"]}.
  json Batch(const json& events);

 private:
  json Accept(const json& ev, std::int64_t seq);
  // Records a rejected event; `at_seq` when it takes its seq (acked_seq moves).
  json Reject(const json& ev, std::int64_t seq, std::string_view code, const std::string& message,
              bool at_seq);
  std::optional<std::string> IngestedId(std::int64_t seq);
  void MarkIngested(std::int64_t seq, const std::string& id, std::string_view status);

  ledger::Database& db_;
  const Clock& clock_;
  const Caller& caller_;
  SoldUnits sold_units_;
};

}  // namespace sa::omssim
