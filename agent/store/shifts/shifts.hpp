// SPDX-License-Identifier: Apache-2.0
// The people at the tills and their shifts: cashiers with PINs (kept only as
// a slow salted hash), shifts opened with the cash put in the drawer and
// closed with the cash counted, and the X (open) or Z (closed) report,
// computed from the ledger each time so it can never drift from the books.
//
// Errors (Error::code): invalid_cashier_id, invalid_name, invalid_role,
// invalid_pin, cashier_exists, cashier_not_found, invalid_login,
// invalid_terminal, invalid_amount, shift_already_open, shift_not_found,
// shift_not_open, invalid_reason.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "books.hpp"

namespace sa::store {

// A person at a till.
struct Cashier {
  std::string id;  // 1-32 of A-Z a-z 0-9 _ -
  std::string name;
  std::string role;  // cashier | manager
  bool active = true;
};

// A till's shift: opened with the cash put in the drawer, closed with the cash counted.
struct Shift {
  std::string id;
  std::string terminal;
  std::string cashier;
  std::string status;  // open | closed
  MinorUnits opening_float = 0;
  std::optional<MinorUnits> counted_cash;
  std::int64_t opened_at_ms = 0;
  std::optional<std::int64_t> closed_at_ms;
  std::string closed_by;                   // the cashier who closed it ("" for the API token)
  std::optional<Approval> close_approved;  // a manager's, when it was another cashier's shift
  // The closed shift checked against what the cloud ingested (PROTOCOL.md
  // §12): pending, match or mismatch; expired when retention compacted it
  // before the cloud answered; "" while open.
  std::string reconciliation;
};

struct MethodTotals {
  std::string method;
  MinorUnits sales = 0;    // taken by this method, net of change for cash
  MinorUnits refunds = 0;  // paid back by this method
  MinorUnits net = 0;
};

// The VAT in what was sold and refunded at one rate (books.hpp says how it
// is rounded: per line, the same figures as the receipts').
struct VatTotals {
  int rate_bp = 0;
  TaxBand sales;
  TaxBand refunds;  // refunds, post-voids and the returned side of exchanges
  MinorUnits net_vat = 0;
};

// What was sold, voided and refunded on the terminal while the shift was
// open. expected = opening cash + cash taken - change given - cash refunded;
// variance = counted - expected (only once closed). Refunds and post-voids
// (completed sales voided in error) are counted apart; the money both paid
// back is in each method's `refunds` and in cash_refunds.
struct ShiftReport {
  std::string shift_id;
  std::string terminal;
  std::string cashier;
  std::int64_t opened_at_ms = 0;
  std::optional<std::int64_t> closed_at_ms;
  std::string closed_by;  // as on the shift
  std::optional<Approval> close_approved;
  std::string currency;
  std::int64_t sales_count = 0;
  MinorUnits sales_total = 0;
  std::int64_t refunds_count = 0;
  MinorUnits refunds_total = 0;
  std::int64_t voids_count = 0;    // open carts dropped
  std::int64_t no_sale_count = 0;  // the drawer opened without a sale
  std::int64_t post_voids_count = 0;
  MinorUnits post_voids_total = 0;
  std::vector<MethodTotals> by_method;  // sorted by method
  std::vector<VatTotals> by_rate;       // sorted by rate
  MinorUnits opening_float = 0;
  MinorUnits cash_sales = 0;  // cash tendered (before change)
  MinorUnits cash_refunds = 0;
  MinorUnits change_given = 0;
  MinorUnits expected_cash = 0;
  std::optional<MinorUnits> counted_cash;
  std::optional<MinorUnits> variance;
  // Events waiting for the cloud (at close: before shift.closed was written).
  std::int64_t pending_events = 0;
};

// The cash drawer opened without a sale, on a manager's approval.
struct DrawerOpen {
  std::string id;
  std::string terminal;
  std::string shift_id;  // the terminal's open shift then; "" when none was open
  std::string cashier;   // who asked ("" for the API token)
  std::string reason;
  Approval approved;
  std::int64_t at_ms = 0;
};

struct ShiftClosed {
  Shift shift;
  ShiftReport report;
};

// An active cashier and their stored PIN hash; nothing for an unknown or
// inactive id.
using Credentials = std::optional<std::pair<Cashier, crypto::PinHash>>;

class Shifts {
 public:
  explicit Shifts(Books& books);

  static bool IsValidPin(std::string_view pin);       // 4-8 digits
  static bool IsValidCashierId(std::string_view id);  // 1-32 of A-Z a-z 0-9 _ -

  // The PIN is hashed by the caller (crypto::HashPin is slow on purpose: the
  // daemon does it off the writer).
  Expected<Cashier> AddCashier(std::string_view id, std::string_view name, std::string_view role,
                               const crypto::PinHash& pin);
  Expected<std::vector<Cashier>> Cashiers();
  // A new PIN also reactivates the cashier.
  Expected<Cashier> SetCashierPin(std::string_view id, const crypto::PinHash& pin);
  // Deactivates (never deletes: sales keep naming them).
  Expected<Cashier> DeactivateCashier(std::string_view id);
  Expected<Credentials> CashierCredentials(std::string_view id);
  // The store's one PIN check, the slow half of a log-in (PBKDF2; any
  // thread): the cashier when the PIN is theirs, invalid_login for a wrong
  // PIN and an unknown id alike, which cost the same time.
  static Expected<Cashier> CheckPin(const Credentials& credentials, std::string_view pin);
  // CashierCredentials, then CheckPin.
  Expected<Cashier> VerifyCashierPin(std::string_view id, std::string_view pin);

  Expected<Shift> OpenShift(std::string_view terminal, std::string_view cashier,
                            MinorUnits opening_float);
  Expected<Shift> GetShift(std::string_view id);
  // Newest first; empty filters match all.
  Expected<std::vector<Shift>> ListShifts(std::string_view terminal, std::string_view status,
                                          std::size_t limit);
  Expected<ShiftReport> ReportOf(std::string_view shift_id);
  // Closes the shift and writes shift.closed (payload: the report) in one
  // transaction.
  // `closer`: the cashier closing it. Another cashier's shift closes only
  // with a manager's `approved` (manager_required, forbidden); the shift and
  // its report record both.
  Expected<ShiftClosed> CloseShift(std::string_view shift_id, MinorUnits counted_cash,
                                   std::string_view closer = {},
                                   const std::optional<Approval>& approved = std::nullopt);
  // The drawer of `terminal` opened without a sale: a manager's action
  // (`approved`), with a reason (invalid_reason: 1-200 characters); the
  // record and its drawer.opened event in one transaction, counted in the
  // terminal's open shift. The caller kicks the drawer once this is durable.
  Expected<DrawerOpen> OpenDrawer(std::string_view terminal, std::string_view cashier,
                                  std::string_view reason, const Approval& approved);

 private:
  // All throw ledger::Failure; they run inside a transaction.
  ShiftReport ComputeReport(const Shift& shift);
  std::vector<VatTotals> VatByRate(const std::string& shift_id);
  void AddByMethod(std::map<std::string, MethodTotals>& by, MinorUnits MethodTotals::*field,
                   const std::string& shift_id, std::string_view sql);
  std::optional<Shift> LoadShift(std::string_view id);
  std::optional<Cashier> LoadCashier(std::string_view id);

  Books& books_;
  ledger::Database& db_;
  const Config& config_;
};

// Shifts, reports and cashiers as JSON objects (the API's answers; a
// report is the shift.closed event's payload).
std::string ShiftJson(const Shift& shift);
std::string ShiftReportJson(const ShiftReport& report);
std::string CashierJson(const Cashier& cashier);
// The drawer.opened event's payload and the API's answer.
std::string DrawerOpenJson(const DrawerOpen& open);

}  // namespace sa::store
