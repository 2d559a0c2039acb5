// SPDX-License-Identifier: Apache-2.0
// The API's answers and server-sent events as JSON text (answers.cpp holds
// the module's JSON writing). Sales, refunds, shifts and cashiers use the
// store's own JSON (SaleJson and friends), which their events carry too.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon.hpp"
#include "sessions.hpp"
#include "store.hpp"
#include "terminals.hpp"

namespace sa::api::json {

std::string ErrorBody(const Error& error);  // {"error":{"code","message","reason"?}}

std::string Stock(const store::StockLevel& level);
// A unit received: the GTIN's stock plus "serial" (null for a plain item).
std::string Received(const store::StockLevel& level, const std::string& serial);
std::string Reservation(const store::Reservation& order);
std::string Reservations(const std::vector<store::Reservation>& orders);

std::string Scan(const terminals::ScanRecord& scan);
std::string Scans(const std::vector<terminals::ScanRecord>& scans);
std::string Terminal(const terminals::TerminalView& terminal);
// One terminal with its open sale ("open_sale": the id or null).
std::string TerminalWithSale(const terminals::TerminalView& terminal,
                             const std::optional<std::string>& open_sale);
std::string Terminals(const std::vector<terminals::TerminalView>& terminals);
std::string Tallied(const std::string& terminal, const std::string& gtin, std::int64_t units);
// {"counts":[{gtin, on_hand, ..., counted} or {gtin, counted, error}], "committed"}.
std::string CountCommit(const terminals::CountCommit& commit);

std::string CashierBrief(const store::Cashier& cashier);  // id, name, role
std::string Cashiers(const std::vector<store::Cashier>& cashiers);
std::string LoggedIn(const sessions::LoggedIn& in);
std::string LoggedOut(bool ended);
// GET /v1/session: the caller's cashier, terminal, expiry and open shift (or the API token's
// nulls).
std::string Session(const sessions::Caller& caller, const std::optional<store::Shift>& shift,
                    std::int64_t now_ms);
std::string Shifts(const std::vector<store::Shift>& shifts);
// The shift, its Z report, and a warning while events wait for the cloud.
std::string ShiftClosed(const store::ShiftClosed& closed);

struct Health {
  bool storage_full = false;
  std::uint64_t storage_refusals = 0;
  std::optional<std::uint64_t> free_bytes;
  std::string store_id;
  std::string device_id;
  std::string version;
  std::int64_t uptime_s = 0;
  std::int64_t outbox_depth = -1;
};
std::string HealthBody(const Health& health);

// GET /v1/sync: the sync worker's own status (a JSON object), the ledger's
// sync state, and the alerts a manager has not acknowledged.
std::string SyncStatus(const std::string& cloud, const store::SyncState& state,
                       const std::vector<store::Alert>& alerts);
std::string Acknowledged();
// GET /v1/ledger/days: {"days":[{"day","currency","sales","sales_total",
// "units","voided","refunds","refunds_total"}]}, newest first.
std::string DayTotals(const std::vector<store::DayTotal>& days);

struct Receipt {
  std::string sale_id;
  std::string receipt_no;
  int width = 80;
  std::string text;
  std::string claim_url;
  std::string escpos;
};
std::string ReceiptBody(const Receipt& receipt);
// A print job's outcome: {"sale_id","printed","bytes","error"?}.
// {"sale_id","claim_url"}: GET /v1/sales/{id}/claim.
std::string ClaimLink(const std::string& sale_id, const std::string& claim_url);
std::string Printed(const std::string& sale_id, std::size_t bytes, const std::string& error);

// What /metrics shows (Prometheus text format).
struct MetricsInput {
  std::uint64_t sales_completed = 0;
  std::uint64_t sales_voided = 0;
  std::uint64_t refunds = 0;
  const std::map<int, std::uint64_t>& responses_by_status;
  const std::map<std::string, std::uint64_t>& scans_by_outcome;
  daemon::WriterStats writer;
  std::optional<std::string> sync_status;  // the sync worker's status object, when sync is on
  std::int64_t outbox_depth = 0;
  std::size_t event_streams = 0;
};
std::string MetricsText(const MetricsInput& in);

// A JSON object's text back as a value, or {} when it is not one (what the
// sync hooks hand over).
std::string ObjectOrEmpty(const std::string& text);

}  // namespace sa::api::json
