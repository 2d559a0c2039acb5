// SPDX-License-Identifier: Apache-2.0
// The store's books on one ledger: catalog, sales (scan, member, complete,
// void), refunds, revocations and the outbox. Plain C++ over the ledger; no
// HTTP, no threads. Every method is one transaction: a state change and the
// outbox event describing it commit together, or neither does.
//
// Error codes (Error::code) are the API's: malformed_code (reason = the
// parser's code), unknown_product, code_forged, code_revoked,
// serial_already_sold, serial_in_cart, sale_not_found, sale_not_open,
// line_not_found, sale_empty, invalid_amount, amount_overflow,
// unknown_payment_method, payment_mismatch, member_code_malformed,
// member_code_forged, member_code_expired, member_code_replayed,
// phone_invalid, not_a_member_code, sale_not_completed, serial_not_in_sale,
// serial_already_refunded, nothing_to_refund, catalog_invalid,
// insufficient_storage.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base.hpp"
#include "codes.hpp"
#include "crypto.hpp"
#include "ledger.hpp"

namespace sa::store {

struct Config {
  std::string store_id = "demo-store";
  std::string device_id = "demo-till-1";
  std::string currency = "CNY";
  bool require_signature = false;        // codes.require_signature
  std::int64_t member_code_window_s = 120;
  crypto::KeyRing brand_keys;            // codes.brand_keys
  crypto::KeyRing member_keys;           // members.service_keys
  // Key of the phone-number hash. Shared with the brand's CRM so it can match
  // members across stores; never stored in the ledger.
  crypto::Bytes phone_hash_key;
  codes::ParseOptions parse;
  // Anti-diversion: the region this store belongs to (store.region; "" = no
  // check) and whether a unit allocated elsewhere is refused or only warned
  // about (codes.on_diverted).
  std::string region;
  bool refuse_diverted = false;
};

struct Product {
  std::string gtin;
  std::string name;
  MinorUnits price_minor = 0;
  std::string currency;
  int tax_rate_bp = 0;  // basis points: 1300 = 13 %
};

struct Line {
  std::int64_t id = 0;
  std::string gtin;
  std::string serial;  // empty for a product sold by its plain GTIN
  std::string name;
  MinorUnits unit_price = 0;
  std::int64_t qty = 0;
  MinorUnits amount = 0;
  std::string signature;  // valid | absent
};

struct Payment {
  std::string method;  // cash, card, wechat, alipay, unionpay, voucher
  MinorUnits amount = 0;
  std::string ref;
};

struct Member {
  std::string member_id;     // bound by member code
  std::string phone_masked;  // bound by phone: 138****5678
};

struct Sale {
  std::string id;
  std::string status;  // open | completed | voided
  std::string terminal;
  std::string currency;
  std::vector<Line> lines;
  MinorUnits total = 0;
  std::optional<Member> member;
  std::vector<Payment> payments;
  std::optional<MinorUnits> tendered;
  std::optional<MinorUnits> change;
  std::string receipt_no;
  std::int64_t opened_at_ms = 0;
  std::optional<std::int64_t> closed_at_ms;
  std::string cashier;   // who opened it ("" when opened with the API token)
  std::string shift_id;  // the terminal's shift it was completed or voided in
};

struct Refund {
  std::string id;
  std::string sale_id;
  std::vector<std::string> serials;
  MinorUnits amount = 0;
  std::string currency;
};

// A unit named for a refund: its serial, and its GTIN when the serial alone
// is ambiguous (a serial is unique only within its GTIN).
struct UnitRef {
  std::string serial;
  std::string gtin;  // optional; 14 digits when given
  UnitRef(std::string s) : serial(std::move(s)) {}  // NOLINT: a serial alone reads naturally
  UnitRef(const char* s) : serial(s) {}             // NOLINT
  UnitRef(std::string g, std::string s) : serial(std::move(s)), gtin(std::move(g)) {}
};

struct Event {
  std::int64_t seq = 0;
  std::string id;
  std::string type;
  std::int64_t at_ms = 0;
  std::string payload;  // JSON object
};

// A payload parsed and its signature checked: the CPU-heavy half of a scan,
// done before (and apart from) the ledger.
struct CheckedCode {
  codes::Code code;
  codes::SignatureState signature = codes::SignatureState::absent;
};

struct CatalogImport {
  std::size_t rows = 0;
};

// A range of one GTIN's serials the brand shipped to a region (from the
// cloud). Serials compare as strings of equal length.
struct Allocation {
  std::string gtin;
  std::string serial_from;
  std::string serial_to;
  std::string region;
  std::string lot;
};

// Something a manager should see: a diverted unit, an event the cloud
// refused, a serial sold twice across devices.
struct Alert {
  std::int64_t id = 0;
  std::string code;
  std::string message;
  std::string detail = "{}";  // JSON object
  std::string source;         // device | cloud
  std::int64_t at_ms = 0;
  bool acknowledged = false;
};

// Stock of one GTIN (DESIGN.md invariant 5): on_hand is the cloud's last
// snapshot plus every local move since (receipts, counts, sales, refunds,
// shipments); reserved is what accepted orders hold; available the rest.
struct StockLevel {
  std::string gtin;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;
  std::int64_t available = 0;
  std::int64_t picked = 0;  // units already picked for open orders (part of reserved)
};

struct ReservationLine {
  std::int64_t line_no = 0;
  std::string gtin;
  std::int64_t qty = 0;
  std::vector<std::string> picked;  // serials
};

// An order the OMS routed to this store (ship-from-store or pickup) and what
// the store did with it.
//   offered -> accepted -> picked -> shipped | handed_over
//   offered -> rejected | cancelled
//   accepted | picked -> released | expired | cancelled
struct Reservation {
  std::string id;
  std::string kind;    // ship_from_store | pickup
  std::string status;
  std::vector<ReservationLine> lines;
  std::int64_t ttl_s = 0;
  std::int64_t offered_at_ms = 0;
  std::optional<std::int64_t> accepted_at_ms;
  std::optional<std::int64_t> expires_at_ms;
  std::optional<std::int64_t> closed_at_ms;
  bool cancel_requested = false;
  std::string reason;       // rejected / released / cancelled
  std::string carrier;      // shipped
  std::string tracking_no;  // shipped
};

// A manager letting the till sell a unit an order holds (recorded as a
// stock.override event).
struct Override {
  std::string manager;  // who allowed it
  std::string reason;
};

// A person at a till. The PIN is kept only as a slow salted hash.
struct Cashier {
  std::string id;    // 1-32 of A-Z a-z 0-9 _ -
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
};

struct MethodTotals {
  std::string method;
  MinorUnits sales = 0;    // taken by this method, net of change for cash
  MinorUnits refunds = 0;  // paid back by this method
  MinorUnits net = 0;
};

// The X (open) or Z (closed) report of a shift, computed from the ledger:
// what was sold, voided and refunded on the terminal while the shift was
// open. expected = opening cash + cash taken - change given - cash refunded;
// variance = counted - expected (only once closed).
struct ShiftReport {
  std::string shift_id;
  std::string terminal;
  std::string cashier;
  std::int64_t opened_at_ms = 0;
  std::optional<std::int64_t> closed_at_ms;
  std::string currency;
  std::int64_t sales_count = 0;
  MinorUnits sales_total = 0;
  std::int64_t refunds_count = 0;
  MinorUnits refunds_total = 0;
  std::int64_t voids_count = 0;
  std::vector<MethodTotals> by_method;  // sorted by method
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

struct ShiftClosed {
  Shift shift;
  ShiftReport report;
};

// Where sync stands, as the ledger records it.
struct SyncState {
  std::int64_t acked_seq = 0;  // the cloud has every event up to here
  std::int64_t last_seq = 0;   // the newest event
  std::int64_t cursor = 0;     // the last pulled change applied
};

class Store {
 public:
  Store(ledger::Database& db, Config config, const Clock& clock);

  // CSV with header gtin,name,price_minor[,tax_rate]. All rows or none; the
  // error (catalog_invalid) lists every bad row with its line number.
  Expected<CatalogImport> ImportCatalogCsv(std::string_view csv);
  std::optional<Product> FindProduct(std::string_view gtin14);

  // `cashier`: who opened it (a logged-in cashier's id), recorded on the sale.
  Expected<Sale> OpenSale(std::string_view terminal = {}, std::string_view cashier = {});
  Expected<Sale> GetSale(std::string_view sale_id);
  // The newest open sale of a terminal, if any (where a terminal's scanner scans go).
  Expected<std::optional<std::string>> OpenSaleOf(std::string_view terminal);
  // A product label adds a line; a member code scanned here binds the member.
  // The same as AddCheckedCode(sale_id, CheckCode(payload)).
  Expected<Sale> Scan(std::string_view sale_id, std::string_view payload);
  // Parses and verifies (brand keys for labels, member keys for member
  // codes). Reads only the config: safe on any thread, concurrently with
  // everything else, so the daemon runs it on workers.
  Expected<CheckedCode> CheckCode(std::string_view payload) const;
  // The ledger half of Scan: the store's rules, then the line or the binding.
  Expected<Sale> AddCheckedCode(std::string_view sale_id, const CheckedCode& checked,
                               const std::optional<Override>& override_reserved = std::nullopt);
  Expected<Sale> RemoveLine(std::string_view sale_id, std::int64_t line_id);
  Expected<Sale> BindMemberCode(std::string_view sale_id, std::string_view payload);
  Expected<Sale> BindPhone(std::string_view sale_id, std::string_view phone);
  // Payments must sum to the total, or exceed it only by cash (change is
  // returned). Durable (fsync'd) before it returns.
  Expected<Sale> Complete(std::string_view sale_id, const std::vector<Payment>& payments);
  Expected<Sale> Void(std::string_view sale_id, std::string_view reason);
  // serial_ambiguous when a serial names two lines of the sale: pass the GTIN.
  // The refund counts in the open shift of `terminal` (default: the sale's
  // terminal) and is paid back by the sale's own methods, in payment order.
  Expected<Refund> RefundUnits(std::string_view sale_id, const std::vector<UnitRef>& units,
                               std::string_view terminal = {}, std::string_view cashier = {});

  // ---- cashiers and shifts (shift.cpp); each one transaction.
  // Errors: invalid_cashier_id, invalid_name, invalid_role, invalid_pin,
  // cashier_exists, cashier_not_found, invalid_terminal, invalid_amount,
  // shift_already_open, shift_not_found, shift_not_open.
  // The PIN is hashed by the caller (crypto::HashPin is slow on purpose: the
  // API does it off the writer); IsValidPin says which PINs are taken.
  static bool IsValidPin(std::string_view pin);   // 4-8 digits
  static bool IsValidCashierId(std::string_view id);  // 1-32 of A-Z a-z 0-9 _ -
  Expected<Cashier> AddCashier(std::string_view id, std::string_view name, std::string_view role,
                               const crypto::PinHash& pin);
  Expected<std::vector<Cashier>> Cashiers();
  Expected<Cashier> SetCashierPin(std::string_view id, const crypto::PinHash& pin);
  // Deactivates (never deletes: sales keep naming them).
  Expected<Cashier> DeactivateCashier(std::string_view id);
  // An active cashier and their stored PIN hash; nothing when unknown or inactive.
  Expected<std::optional<std::pair<Cashier, crypto::PinHash>>> CashierCredentials(std::string_view id);
  // The whole check (slow: PBKDF2): the cashier when the PIN is theirs,
  // invalid_login for a wrong PIN and an unknown id alike.
  Expected<Cashier> VerifyCashierPin(std::string_view id, std::string_view pin);

  Expected<Shift> OpenShift(std::string_view terminal, std::string_view cashier, MinorUnits opening_float);
  Expected<Shift> GetShift(std::string_view id);
  // Newest first; empty filters match all.
  Expected<std::vector<Shift>> Shifts(std::string_view terminal, std::string_view status, std::size_t limit);
  Expected<ShiftReport> ReportOf(std::string_view shift_id);
  // Closes the shift and writes shift.closed (payload: the report) in one
  // transaction, fsync'd.
  Expected<ShiftClosed> CloseShift(std::string_view shift_id, MinorUnits counted_cash);

  // A code the brand has revoked (normally pulled from the cloud).
  Expected<void> Revoke(std::string_view gtin14, std::string_view serial, std::string_view reason);

  Expected<std::vector<Event>> OutboxAfter(std::int64_t seq, std::size_t limit);
  Expected<std::int64_t> OutboxDepth();

  // ---- stock and reservations (stock.cpp); each one transaction, each
  // state change with its outbox event.
  Expected<StockLevel> Stock(std::string_view gtin);
  // A unit scanned in at a shelf or stockroom device: stock.received.
  Expected<StockLevel> Receive(const CheckedCode& checked);
  // A count of one GTIN: the variance becomes a move; stock.counted.
  Expected<StockLevel> Count(std::string_view gtin, std::int64_t counted);
  Expected<std::vector<Reservation>> Reservations(bool include_closed, std::size_t limit);
  Expected<Reservation> GetReservation(std::string_view id);
  // Reserves every line (insufficient_stock when the store cannot hold them)
  // and starts the TTL: the order's ttl_s, else `default_ttl_s`.
  Expected<Reservation> Accept(std::string_view id, std::int64_t default_ttl_s = 1800);
  Expected<Reservation> Reject(std::string_view id, std::string_view reason);
  // One unit scanned for the order: its GTIN on an open line, the serial
  // not sold, not revoked, not in a cart, not picked for another order. (A
  // serial need not have been received one by one: snapshots count units.)
  Expected<Reservation> Pick(std::string_view id, const CheckedCode& checked);
  Expected<Reservation> Ship(std::string_view id, std::string_view carrier, std::string_view tracking_no);
  Expected<Reservation> HandOver(std::string_view id, std::string_view pickup_code);
  // By a manager: the units go back to stock.
  Expected<Reservation> Release(std::string_view id, std::string_view reason);
  // Every accepted order whose TTL has lapsed before it was fully picked
  // gives its stock back (reservation.expired); a fully picked one waits for
  // its courier or customer. Returns how many expired.
  Expected<std::size_t> ExpireReservations();

  // ---- what sync writes (sync/PROTOCOL.md); each one transaction
  // The cloud's acked_seq: the events up to it are pushed (OutboxDepth counts
  // the rest). A cloud behind the device (restored from a backup) rewinds it:
  // the events after it are sent again.
  Expected<void> RecordAck(std::int64_t acked_seq);
  Expected<void> SetPullCursor(std::int64_t cursor);
  Expected<SyncState> GetSyncState();
  Expected<void> UpsertProduct(const Product& product);
  Expected<void> AddAllocation(const Allocation& allocation);
  // An order offered by the cloud becomes an `offered` reservation (body:
  // the order.offered data: id, kind, lines[{gtin,qty}], ttl_s, pickup_code).
  Expected<void> RecordOrderOffer(std::string_view id, std::string_view kind, std::string_view body);
  // The cloud asks to cancel: an offered or held order is cancelled (its
  // units back to stock, reservation.released with reason "cancelled"); a
  // shipped or handed-over one cannot be and says so (reservation.cancel_refused).
  Expected<void> RecordOrderCancel(std::string_view id);
  Expected<void> SetStockSnapshot(std::string_view gtin14, std::int64_t on_hand);
  // kind brand|member; retired keys stay listed, marked.
  Expected<void> RecordKey(std::string_view kind, std::string_view pem, bool retired);
  // An alert with a dedupe key is raised once (a page pulled twice, a unit
  // scanned twice): the second is a no-op.
  Expected<void> RaiseAlert(const Alert& alert, std::string_view dedupe_key = {});
  Expected<std::vector<Alert>> Alerts(bool include_acknowledged, std::size_t limit);
  Expected<void> AcknowledgeAlert(std::int64_t id);

  const Config& config() const { return config_; }
  ledger::Database& db() { return db_; }

 private:
  // The keys codes are checked against: the config's, plus the ones the
  // cloud added, minus the ones it retired. Swapped whole when a rotation is
  // pulled, while workers may be checking codes with the previous set.
  struct Keys {
    crypto::KeyRing brand;
    crypto::KeyRing member;
  };
  std::shared_ptr<const Keys> CurrentKeys() const { return keys_.load(); }
  void ReloadKeys();  // throws ledger::Failure

  // stock.cpp; all throw ledger::Failure, run inside a transaction.
  StockLevel LevelOf(const std::string& gtin14);
  std::int64_t ReservedOf(const std::string& gtin14);
  std::int64_t InOpenCarts(const std::string& gtin14);
  std::optional<Error> LabelRefusal(const CheckedCode& checked) const;
  std::optional<Error> ReservedRefusal(std::string_view sale_id, const codes::Code& code,
                                       const std::optional<Override>& by);
  std::optional<Reservation> LoadReservation(std::string_view id);
  void SetStatus(const std::string& id, std::string_view status, bool closes);
  void Compensate(const Reservation& r, std::string_view event);
  void GiveBack(const Reservation& r, std::string_view status, std::string_view reason,
                std::string_view event_type);
  Expected<Reservation> Leave(std::string_view id, std::string_view kind, std::string_view status,
                              const std::function<std::optional<Error>(Reservation&)>& check);

  ShiftReport ComputeReport(const Shift& shift);  // throws ledger::Failure
  std::optional<Shift> LoadShift(std::string_view id);
  std::optional<Cashier> LoadCashier(std::string_view id);
  Expected<Sale> BindMember(std::string_view sale_id, const codes::Code& code,
                            codes::SignatureState signature);
  Sale LoadSale(std::string_view sale_id);
  std::optional<std::string> SaleStatus(std::string_view sale_id);
  std::optional<Product> LookupProduct(std::string_view gtin14);  // throws ledger::Failure
  // sale_not_found or sale_not_open, or nothing when the sale takes changes.
  std::optional<Error> CheckOpen(std::string_view sale_id);
  void AppendEvent(std::string_view type, const std::string& payload);
  // The region of an allocation covering this unit that is not this store's.
  std::optional<std::string> DivertedTo(std::string_view gtin14, std::string_view serial);
  void InsertAlert(const Alert& alert, std::string_view dedupe_key);
  std::string NextCounter(std::string_view name);

  ledger::Database& db_;
  Config config_;
  const Clock& clock_;
  std::atomic<std::shared_ptr<const Keys>> keys_;
};

// The event as it goes to the cloud:
// {"id","store_id","device_id","seq","type","at","payload"}.
std::string EventEnvelope(const Event& event, const Config& config);

// A phone number as the ledger keeps it: "138****5678".
std::string MaskPhone(std::string_view digits);

// Sale and refund as JSON objects (for storectl, the API and events).
std::string SaleJson(const Sale& sale);
std::string ShiftJson(const Shift& shift);
std::string ShiftReportJson(const ShiftReport& report);
std::string CashierJson(const Cashier& cashier);
std::string RefundJson(const Refund& refund);

// The demo store (store-agent --demo, storectl defaults, tests): its brand
// and member-service keys, its catalog, and a config that trusts them.
const crypto::SigningKey& DemoBrandKey();
const crypto::SigningKey& DemoMemberKey();
std::string_view DemoCatalogCsv();
Config DemoConfig();

}  // namespace sa::store
