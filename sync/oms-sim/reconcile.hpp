// SPDX-License-Identifier: Apache-2.0
// §12 (internal to oms-sim): a closed shift's sales and refunds as the store
// has them, compared with the events the cloud ingested from that device:
// match, mismatch (naming each sale or refund missing, differing or
// unexpected), or pending while the device's events up to the shift's close
// have not all arrived.
#pragma once

#include <string>

#include "answer.hpp"
#include "ledger.hpp"

namespace sa::omssim {

struct Caller;

// POST /sync/v1/reconciliations from an authenticated `caller`; `body` is
// the request's, decoded.
Reply ReconcileShift(ledger::Database& db, const Caller& caller, const std::string& body);

}  // namespace sa::omssim
