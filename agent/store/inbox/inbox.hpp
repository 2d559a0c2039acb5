// SPDX-License-Identifier: Apache-2.0
// The cloud inbox: what sync brings to the store and keeps there. The
// acknowledgement of pushed events, the pull cursor, and the pulled pages
// of changes (sync/PROTOCOL.md §5: catalog rows, promotions, revocations, allocations,
// key rotations, orders, stock snapshots, alerts), applied through the
// store's parts; and the alerts a manager reads and acknowledges.
//
// Errors (Error::code): bad_claim, bad_ack, bad_product, bad_promotion, bad_price_list,
// currency_mismatch (a product priced in another currency than the store's), bad_allocation,
// bad_key, bad_alert, alert_not_found; a page's malformed change is not an error but an alert
// (change_rejected).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "books.hpp"
#include "stock.hpp"

namespace sa::store {

// Where sync stands, as the ledger records it.
struct SyncState {
  std::int64_t acked_seq = 0;  // the cloud has every event up to here
  std::int64_t last_seq = 0;   // the newest event
  std::int64_t cursor = 0;     // the last pulled change applied
};

// A range of one GTIN's serials the brand shipped to a region. Serials
// compare as strings of equal length.
struct Allocation {
  std::string gtin;
  std::string serial_from;
  std::string serial_to;
  std::string region;
  std::string lot;
};

// A pulled change (PROTOCOL.md §5), as the cloud sent it.
struct Change {
  std::int64_t cursor = 0;
  std::string type;
  std::string data;  // JSON object text
};

// A closed shift to be checked against what the cloud ingested (PROTOCOL.md
// §12): its completed sales and its refunds as the ledger has them, and the
// seq of its shift.closed event (the cloud answers pending until it has
// every event up to it).
struct ShiftReconciliation {
  struct Item {
    std::string id;
    MinorUnits amount = 0;  // a sale's total, a refund's amount
  };
  std::string shift_id;
  std::string terminal;
  std::int64_t opened_at_ms = 0;
  std::int64_t closed_at_ms = 0;
  std::int64_t last_seq = 0;
  std::vector<Item> sales;
  std::vector<Item> refunds;
};

class Inbox {
 public:
  Inbox(Books& books, Stock& stock);

  // The cloud's acked_seq: the events up to it are pushed (OutboxDepth counts
  // the rest). A cloud behind the device (restored from a backup) rewinds it:
  // the events after it are sent again.
  Expected<void> RecordAck(std::int64_t acked_seq);
  Expected<SyncState> GetSyncState();

  // One pulled page and its new cursor, in the caller's transaction. Unknown
  // change types are skipped; a malformed change is skipped and raised as an
  // alert; a ledger failure fails the whole page.
  Expected<void> Apply(const std::vector<Change>& changes, std::int64_t new_cursor);
  Expected<void> SetPullCursor(std::int64_t cursor);

  // What a page applies, each one transaction (a page nests them).
  Expected<void> UpsertProduct(const Product& product);
  // A promotion the cloud sent (pricing.hpp), in force from its start:
  // bad_promotion (pricing::Problem) when a field is wrong, and the one the
  // store had stays. Deleting one the store never had is no error.
  Expected<void> UpsertPromotion(const pricing::Promotion& promotion);
  Expected<void> DeletePromotion(std::string_view id);
  // A price list the cloud sent (pricing.hpp), replacing the one of the
  // same id whole: bad_price_list (pricing::Problem) when a field is wrong,
  // and the one the store had stays.
  Expected<void> UpsertPriceList(const pricing::PriceList& list);
  Expected<void> DeletePriceList(std::string_view id);
  Expected<void> AddAllocation(const Allocation& allocation);
  // A code the brand has revoked.
  Expected<void> Revoke(std::string_view gtin14, std::string_view serial, std::string_view reason);
  // kind brand|member; retired keys stay listed, marked. Codes checked from
  // then on see the rotation.
  Expected<void> RecordKey(std::string_view kind, std::string_view pem, bool retired);
  // The brand's CRM bound a sale to a member who claimed it from the
  // receipt (member.claimed): a sale shows the member from then on. The
  // first claim stays (the CRM allows one); a sale this device never made
  // (another till's) is kept too, for a refund of it here. bad_claim when
  // an id is not one.
  Expected<void> RecordClaim(std::string_view sale_id, std::string_view member_id,
                             std::int64_t claimed_at_ms);

  // Closed shifts the cloud has not answered match or mismatch for, oldest
  // first, at most `limit`.
  Expected<std::vector<ShiftReconciliation>> PendingReconciliations(std::size_t limit);
  // The cloud's answer for a shift: match or mismatch (bad_reconciliation
  // otherwise), `detail` its JSON object. A mismatch raises an alert
  // (reconciliation_mismatch, once per shift) whose message is `summary`.
  Expected<void> RecordReconciliation(std::string_view shift_id, std::string_view status,
                                      std::string_view detail, std::string_view summary);

  // An alert with a dedupe key is raised once (a page pulled twice, a unit
  // scanned twice): the second is a no-op.
  Expected<void> RaiseAlert(const Alert& alert, std::string_view dedupe_key = {});
  Expected<std::vector<Alert>> Alerts(bool include_acknowledged, std::size_t limit);
  Expected<void> AcknowledgeAlert(std::int64_t id);

 private:
  Books& books_;
  Stock& stock_;
  ledger::Database& db_;
  const Config& config_;
};

}  // namespace sa::store
