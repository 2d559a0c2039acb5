// SPDX-License-Identifier: Apache-2.0
// The brand's CRM side of the receipt claim (PROTOCOL.md §11; internal to
// oms-sim): a customer who did not bind at the till scans the receipt's QR
// in the brand's mini-program, which posts the token with the member's id.
// The CRM verifies the token with the key of the device that minted it (the
// device's sync key, which the cloud holds), binds the sale to the member
// once, ever, and tells the store through its feed (member.claimed).
#pragma once

#include <cstdint>
#include <string>

#include "answer.hpp"
#include "base.hpp"
#include "feed.hpp"
#include "ledger.hpp"

namespace sa::omssim {

// A sale as the cloud accepted it: what a claim's token is checked against.
struct AcceptedSale {
  std::string store_id;
  std::string device_id;
  std::string sale_id;
  std::int64_t total_minor = 0;
  std::string currency;
  bool has_member = false;  // bound at the till
  std::string member_id;    // bound by member code
  std::string phone_hash;   // bound by phone: its keyed hash (the brand's key)
  std::string guide_id;     // the shopping guide who served it ("" for none)
  std::string guide_via;    // badge | picked
};

// Called by the ingest, in its transaction: an accepted sale.completed (or
// an exchange's new sale), and an accepted post-void of one.
void RecordAcceptedSale(ledger::Database& db, const AcceptedSale& sale);
void RecordPostVoid(ledger::Database& db, const std::string& store, const std::string& sale_id);

class Crm {
 public:
  // `claim_days`: how long after its sale a token may be claimed.
  Crm(ledger::Database& db, Feed& feed, const Clock& clock, std::int64_t claim_days)
      : db_(db), feed_(feed), clock_(clock), claim_days_(claim_days) {}

  // POST /crm/v1/claims {"token","member_id","store_id"?}: binds the sale to
  // the member; answers the claim. Refusals (§11): 400 claim_malformed, 403
  // claim_forged, 403 claim_wrong_store, 410 claim_expired, 409
  // already_claimed, claim_pending (the sale has not reached the cloud
  // yet), claim_mismatch, sale_has_member, sale_voided.
  Reply Claim(const Request& r);
  // GET /crm/v1/claims/{sale_id}: the claim, or 404 claim_not_found.
  Reply Show(const std::string& sale_id);
  // GET /crm/v1/sales/{sale_id}/member: whose the sale is
  // {"sale_id","store_id","member_id","matched_by"} (member_code, phone,
  // claim), or 404 member_not_found.
  Reply MemberOf(const std::string& sale_id);
  // GET /crm/v1/guides: sales per shopping guide, brand-wide
  // {"guides":[{"guide_id","sales","total_minor","stores":[...],"members":[...]}]},
  // the members being those the CRM attributes the guide's sales to.
  Reply Guides();

 private:
  ledger::Database& db_;
  Feed& feed_;
  const Clock& clock_;
  std::int64_t claim_days_;
};

}  // namespace sa::omssim
