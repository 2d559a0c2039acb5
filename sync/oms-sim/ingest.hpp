// SPDX-License-Identifier: Apache-2.0
// §4 (internal to oms-sim): a device's push, its batch of events dealt with
// in seq order against its acked_seq, all in one transaction; a broken
// envelope that cannot take its seq refuses the whole batch, and the rollback
// undoes what the events before it did. The body is read here, once: the
// batch is the hot path of a store's sync.
#pragma once

#include <string>

#include "answer.hpp"
#include "base.hpp"
#include "feed.hpp"
#include "ledger.hpp"
#include "protocol.hpp"

namespace sa::omssim {

// POST /sync/v1/events from an authenticated `caller`; `body` is the
// request's, decoded. Each event is a duplicate (a resend), rejected (kept
// with its reason), or accepted; a gap stops the batch. Moves the device's
// acked_seq and answers {"acked_seq","results"[,"expected_seq"]}.
// `revoke_clones`: a unit two stores sold is also revoked brand-wide (§8).
Reply IngestPush(ledger::Database& db, Feed& feed, const Clock& clock, const Caller& caller,
                 const std::string& body, bool revoke_clones);

}  // namespace sa::omssim
