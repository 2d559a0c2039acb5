// SPDX-License-Identifier: Apache-2.0
// The store's books: one ledger, and what every part of the store (stock,
// sales, shifts, the cloud inbox) shares on it: the config, the clock, the
// key ring that labels are checked against, the catalog, the outbox (the one
// writer of events), the manager's alerts, and the answers remembered for
// Idempotency-Keys. Plain C++ over the ledger: no HTTP, no threads.
//
// Errors (Error::code): malformed_code (reason = the parser's code),
// member_code_malformed, catalog_invalid, idempotency_key_reused, and the
// ledger's insufficient_storage / ledger_busy / ledger_error.
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
#include "pricing.hpp"

namespace sa::store {

struct Config {
  std::string store_id = "demo-store";
  std::string device_id = "demo-till-1";
  std::string currency = "CNY";
  bool require_signature = false;  // codes.require_signature
  std::int64_t member_code_window_s = 120;
  crypto::KeyRing brand_keys;   // codes.brand_keys
  crypto::KeyRing member_keys;  // members.service_keys
  crypto::KeyRing coupon_keys;  // coupons.keys: the CRM's, that sign coupon codes
  // How many redemptions of one coupon type the store takes before the
  // cloud has acknowledged them (coupons.offline_cap).
  std::int64_t coupon_offline_cap = 100;
  // Key of the phone-number hash. Shared with the brand's CRM so it can match
  // members across stores; never stored in the ledger.
  crypto::Bytes phone_hash_key;
  codes::ParseOptions parse;
  // Anti-diversion: the region this store belongs to (store.region; "" = no
  // check) and whether a unit allocated elsewhere is refused or only warned
  // about (codes.on_diverted).
  std::string region;
  bool refuse_diverted = false;
  // The most units one case of a shipment may hold (stock.case_max_units).
  std::int64_t case_max_units = 1000;
  // How many days detail the cloud has acknowledged is kept before it is
  // compacted (ledger.retention_days; Retention).
  std::int64_t retention_days = 90;
  // The store's offset from UTC in minutes (store.utc_offset): its days.
  int utc_offset_min = 0;
};

struct Product {
  std::string gtin;
  std::string name;
  MinorUnits price_minor = 0;
  std::string currency;
  int tax_rate_bp = 0;  // basis points: 1300 = 13 %
  std::string name_zh;  // the name in Simplified Chinese; "" when the catalog has none
  // Whether a unit of it must carry a valid brand signature; nothing: as the
  // store's codes.require_signature says (Books::RequiresSignature).
  std::optional<bool> requires_signature{};
  // Whether it sells unit by unit, each by its serial (true: a plain
  // barcode of it is refused, serial_required), or by quantity (false: a
  // label's serial is not tracked, the unit counts as one more of the
  // GTIN); nothing: as each label says (a serial or none).
  std::optional<bool> serialised{};
  // Whether price_minor includes VAT (China's do: the default); false: VAT
  // at tax_rate_bp is added to what a line of it sells for (AddedVat).
  bool tax_included = true;
  // What a promotion may cover besides its GTINs (pricing.hpp): 1-64 bytes
  // of UTF-8, "" for none.
  std::string category;
};

// ---- VAT -------------------------------------------------------------------
// Prices include VAT, as China's do. The VAT inside an amount is computed
// per line, on the line's amount as sold (after a price change), and
// rounded to the fen half away from zero:
//   tax = round(amount x rate / (1 + rate))
// e.g. 599.00 at 13 %: 599.00 x 0.13 / 1.13 = 68.911... -> 68.91. A sale's
// VAT at a rate is the sum of its lines' at that rate (the receipt, the
// sale's event and the Z report add the same line figures); a refund's is
// computed the same way on the amount that came back. Integer arithmetic
// only; exact for any amount.
MinorUnits IncludedVat(MinorUnits amount, int rate_bp);
// A product priced without VAT (tax_included false: a US-style shelf price)
// has it added on what its line sells for, per line, rounded the same way:
//   tax = round(net x rate)
// e.g. 100.00 at 13 %: 13.00; 0.05 at 6 %: 0.003 -> 0.00. The line's amount
// is then net + tax, and IncludedVat(net + tax) is that tax again (it lies
// between net x rate and its rounding, so it rounds the same), so receipts,
// events, refunds and the Z report treat both kinds of line alike.
MinorUnits AddedVat(MinorUnits net, int rate_bp);
// What a line sells for: its net (its price times its quantity, less its
// discounts), with VAT added when its product's price excludes it.
MinorUnits LineAmount(MinorUnits net, int rate_bp, bool tax_added);

// The amounts sold at one VAT rate and the VAT in them.
struct TaxBand {
  int rate_bp = 0;
  MinorUnits amount = 0;  // including VAT
  MinorUnits vat = 0;
};
// Adds one line's amount to its rate's band (kept sorted by rate).
void AddToTaxBands(std::vector<TaxBand>& bands, int rate_bp, MinorUnits amount);
// "13%", "6%", "0%", "2.5%": a rate as a receipt prints it.
std::string FormatRate(int rate_bp);

struct CatalogImport {
  std::size_t rows = 0;
};

// ---- coupons -----------------------------------------------------------------
// A coupon the brand's CRM issued (a member's 50 off 300, a welcome coupon),
// printed or shown as a QR:
//   SAC1:{id}:{type}:{amount_minor}:{min_spend_minor}:{expires_unix_s}:{store}:{sig}
// `store` is the one store it is for, or "*" for any; sig is base64url raw
// r||s ECDSA P-256 over SHA-256 of everything before ":{sig}", by a key of
// coupons.keys. Redeemed once: once per store offline, once brand-wide
// through the cloud.
struct CouponCode {
  std::string id;    // 1-64 of A-Z a-z 0-9 _ . -
  std::string type;  // 1-32 of a-z 0-9 - _ (the offline cap counts per type)
  MinorUnits amount = 0;
  MinorUnits min_spend = 0;
  std::int64_t expires_at_s = 0;
  std::string store;      // a store id, or "*"
  std::string signature;  // base64url
  std::string SignedMessage() const;
};
// coupon_malformed when `payload` is not one.
Expected<CouponCode> ParseCouponCode(std::string_view payload);
bool IsCouponCode(std::string_view payload);
// Minting, for the demo, tests and benchmarks.
std::string MakeCouponCode(const CouponCode& coupon, const crypto::SigningKey& key);

// A staff member's badge, "SAG1:{staff_id}:{signature}": the shopping guide
// (导购) who served a sale, scanned at the till. Signed by the brand's
// member service (members.service_keys, and the member keys the cloud
// sends), like member codes; a badge is a card, so it carries no time.
struct StaffCode {
  std::string staff_id;               // 1-64 of A-Z a-z 0-9 _ . -
  std::string signature;              // base64url, raw ECDSA P-256
  std::string SignedMessage() const;  // "SAG1:{staff_id}"
};
// staff_code_malformed when `payload` is not one.
Expected<StaffCode> ParseStaffCode(std::string_view payload);
bool IsStaffCode(std::string_view payload);
// Minting, for the demo, tests and a brand's badge printer.
std::string MakeStaffCode(std::string_view staff_id, const crypto::SigningKey& key);

// A payload parsed and its signature checked: the CPU-heavy half of a scan,
// done before (and apart from) the ledger. A coupon code is a coupon, a
// staff badge a guide.
struct CheckedCode {
  codes::Code code;
  codes::SignatureState signature = codes::SignatureState::absent;
  std::optional<CouponCode> coupon;
  std::optional<StaffCode> staff;
};

// Who let a manager's action happen: a manager's own session, a manager's
// PIN entered at someone else's till for this one action, or the device's
// API token (storectl on the store box). Recorded in the action's event.
struct Approval {
  std::string manager;  // the manager's cashier id; empty for the API token
  std::string via;      // session | pin | api_token
};

// A manager's id and PIN typed at a till for one action, to be checked
// (sessions::Approve) before it becomes an Approval.
struct PinApproval {
  std::string manager;
  std::string pin;
};

// An event of the outbox, as the cloud will get it (EventEnvelope).
struct Event {
  std::int64_t seq = 0;
  std::string id;
  std::string type;
  std::int64_t at_ms = 0;
  std::string payload;  // JSON object
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

// The first answer to a request made with an Idempotency-Key, kept with the
// change it answered so that a retry gets it again. Opaque here: the API
// decides what a status and a body are.
struct RememberedAnswer {
  int status = 0;
  std::string body;
};

class Books {
 public:
  Books(ledger::Database& db, Config config, const Clock& clock);
  Books(const Books&) = delete;
  Books& operator=(const Books&) = delete;

  const Config& config() const { return config_; }
  ledger::Database& db() { return db_; }
  std::int64_t now_ms() const { return clock_.now_ms(); }

  // Parses and verifies (brand keys for labels, member keys for member
  // codes). Reads only the config and the key ring: safe on any thread,
  // concurrently with everything else, so the daemon runs it on workers.
  Expected<CheckedCode> CheckCode(std::string_view payload) const;

  // CSV with header gtin,name,price_minor[,tax_rate]. All rows or none; the
  // error (catalog_invalid) lists every bad row with its line number.
  Expected<CatalogImport> ImportCatalogCsv(std::string_view csv);
  std::optional<Product> FindProduct(std::string_view gtin14);
  // Whether a label of this GTIN must be signed: its product's own say, else
  // the store's (codes.require_signature), which also covers a GTIN the
  // catalog does not have.
  bool RequiresSignature(std::string_view gtin14);
  // A label of `product` as the store counts it, by the product's
  // `serialised`: serial_required for a plain barcode of a product sold unit
  // by unit; the serial dropped from `code` for one sold by quantity.
  static std::optional<Error> ApplySerialRule(const Product& product, codes::Code& code);
  // Every promotion the cloud sent, running or not (pricing::Price keeps
  // the ones running at the sale's time): read from the ledger once and
  // kept until a promotion is written (PricingWritten) or a transaction
  // rolls back (what it read may have gone with it). Inside the caller's
  // transaction (throws ledger::Failure).
  const std::vector<pricing::Promotion>& Promotions();
  // Called by whoever writes a promotion or a price list: the pricing
  // generation moves on, and the next Promotions() reads them again.
  void PricingWritten() {
    promotions_.reset();
    ++pricing_generation_;
  }
  // Names what pricing reads from the cloud (promotions, price lists) as
  // this process last wrote it: a cart priced under the same generation
  // needs no pricing again for them. Never the same in two processes (it
  // starts at a random number) and never reused (it only grows).
  std::int64_t pricing_generation() const { return pricing_generation_; }
  // Whether a promotion or a price list starts or ends in (from_ms, to_ms]:
  // a cart priced at from_ms may price differently at to_ms. True when
  // to_ms < from_ms (the clock went back). In the caller's transaction.
  bool PricingBoundaryIn(std::int64_t from_ms, std::int64_t to_ms);
  // The lowest price in force at `now_ms` for `gtin14` among the price lists
  // of the sale's groups (pricing.hpp: "all", "member" when a member is
  // bound, and the member's `group`), with its list's id; nothing when no
  // list prices it. In the caller's transaction.
  struct GroupPrice {
    MinorUnits price = 0;
    std::string list_id;
    std::string list_name;
  };
  std::optional<GroupPrice> GroupPriceOf(std::string_view gtin14, std::int64_t now_ms, bool member,
                                         std::string_view group);

  // Events after `seq`, oldest first; how many the cloud has not acknowledged.
  Expected<std::vector<Event>> OutboxAfter(std::int64_t seq, std::size_t limit);
  Expected<std::int64_t> OutboxDepth();
  // Every outbox event recorded in [from_ms, until_ms), in the order they
  // were recorded, handed to `each` one at a time (an export of any size
  // streams); `each` returns false to stop. The count handed over.
  Expected<std::int64_t> EachEvent(std::int64_t from_ms, std::int64_t until_ms,
                                   const std::function<bool(const Event&)>& each);

  // The answer first given for `key`; nothing when the key is new;
  // idempotency_key_reused when it was used for another request.
  Expected<std::optional<RememberedAnswer>> RecallAnswer(std::string_view key,
                                                         std::string_view request_hash);
  // Kept in the caller's transaction, with the change it answers.
  Expected<void> RememberAnswer(std::string_view key, std::string_view request_hash,
                                const RememberedAnswer& answer);

  // ---- for the store's parts, inside their transactions (they throw
  // ledger::Failure, which the part's operation turns into its error).

  // The one writer of the outbox: the event commits with the change it
  // describes, and its seq comes from a counter in the same transaction, so
  // a rollback takes the number back and the per-device seq has no gaps.
  void Append(std::string_view type, const std::string& payload);
  // The same at a time the caller read (a sale's completion: the sale's
  // closed_at and its event's `at` are one instant, so a later correction
  // can re-state the event exactly).
  void Append(std::string_view type, const std::string& payload, std::int64_t at_ms);
  // The next value of a named counter ("receipt_no"), as text.
  std::string NextCounter(std::string_view name);
  std::optional<Product> LookupProduct(std::string_view gtin14);
  // Writes a product's row, every field of `product` (name_zh too: "" is none).
  void WriteProduct(const Product& product);
  // The region of an allocation covering this unit that is not this store's.
  std::optional<std::string> DivertedTo(std::string_view gtin14, std::string_view serial);
  // An alert with a dedupe key is raised once: the second is a no-op.
  void InsertAlert(const Alert& alert, std::string_view dedupe_key);
  // The key ring: the config's keys, plus the ones the cloud added, minus the
  // ones it retired. Read again after the inbox records a rotation; swapped
  // whole, while workers may be checking codes with the previous set.
  void ReloadKeys();

 private:
  struct Keys {
    crypto::KeyRing brand;
    crypto::KeyRing member;
  };

  ledger::Database& db_;
  Config config_;
  const Clock& clock_;
  std::atomic<std::shared_ptr<const Keys>> keys_;
  std::optional<std::vector<pricing::Promotion>> promotions_;  // the writer's only
  std::int64_t promotions_read_at_ = 0;                        // db_.rollbacks() then
  std::int64_t pricing_generation_;                            // the writer's only
};

// The event as it goes to the cloud:
// {"id","store_id","device_id","seq","type","at","payload"}.
std::string EventEnvelope(const Event& event, const Config& config);

}  // namespace sa::store
