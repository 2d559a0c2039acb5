// SPDX-License-Identifier: Apache-2.0
// The ledger's schema, one migration per version. A migration is never edited
// once released: a change is a new step, with its own test.
#include <array>
#include <string_view>

namespace sa::ledger {

// Version 1: the books. Money is INTEGER minor units everywhere.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE products(
  gtin TEXT PRIMARY KEY CHECK (length(gtin) = 14),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  price_minor INTEGER NOT NULL CHECK (typeof(price_minor) = 'integer' AND price_minor >= 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  tax_rate_bp INTEGER NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 10000),
  updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE members(
  id INTEGER PRIMARY KEY,
  member_id TEXT UNIQUE,
  phone_hash TEXT UNIQUE,
  phone_masked TEXT,
  first_seen_ms INTEGER NOT NULL,
  CHECK ((member_id IS NULL) <> (phone_hash IS NULL)));
CREATE TABLE member_codes_used(
  member_id TEXT NOT NULL, issued_at INTEGER NOT NULL, used_at_ms INTEGER NOT NULL,
  PRIMARY KEY (member_id, issued_at)) WITHOUT ROWID;
CREATE TABLE sales(
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('open', 'completed', 'voided')),
  terminal TEXT NOT NULL DEFAULT '',
  currency TEXT NOT NULL,
  member INTEGER REFERENCES members(id),
  total_minor INTEGER NOT NULL DEFAULT 0 CHECK (typeof(total_minor) = 'integer'),
  tendered_minor INTEGER,
  change_minor INTEGER,
  receipt_no TEXT UNIQUE,
  opened_at_ms INTEGER NOT NULL,
  closed_at_ms INTEGER,
  void_reason TEXT) WITHOUT ROWID;
CREATE TABLE sale_lines(
  id INTEGER PRIMARY KEY,
  sale_id TEXT NOT NULL REFERENCES sales(id),
  gtin TEXT NOT NULL,
  serial TEXT,
  name TEXT NOT NULL,
  unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
  qty INTEGER NOT NULL CHECK (qty > 0),
  code_kind TEXT NOT NULL,
  signature TEXT NOT NULL CHECK (signature IN ('valid', 'absent')),
  added_at_ms INTEGER NOT NULL,
  CHECK (serial IS NULL OR qty = 1));
CREATE INDEX sale_lines_by_sale ON sale_lines(sale_id);
CREATE INDEX sale_lines_by_unit ON sale_lines(gtin, serial) WHERE serial IS NOT NULL;
CREATE TABLE payments(
  id INTEGER PRIMARY KEY,
  sale_id TEXT NOT NULL REFERENCES sales(id),
  method TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  ref TEXT);
CREATE INDEX payments_by_sale ON payments(sale_id);
CREATE TABLE units(
  gtin TEXT NOT NULL,
  serial TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_stock', 'sold')),
  sale_id TEXT REFERENCES sales(id),
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (gtin, serial)) WITHOUT ROWID;
CREATE TABLE revocations(
  gtin TEXT NOT NULL, serial TEXT NOT NULL, reason TEXT, at_ms INTEGER NOT NULL,
  PRIMARY KEY (gtin, serial)) WITHOUT ROWID;
CREATE TABLE refunds(
  id TEXT PRIMARY KEY,
  sale_id TEXT NOT NULL REFERENCES sales(id),
  amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
  at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE refund_lines(
  refund_id TEXT NOT NULL REFERENCES refunds(id),
  line_id INTEGER NOT NULL UNIQUE REFERENCES sale_lines(id),
  PRIMARY KEY (refund_id, line_id)) WITHOUT ROWID;
CREATE TABLE stock_moves(
  id INTEGER PRIMARY KEY,
  gtin TEXT NOT NULL,
  serial TEXT,
  delta INTEGER NOT NULL,
  reason TEXT NOT NULL,
  ref TEXT,
  at_ms INTEGER NOT NULL);
CREATE TABLE outbox(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  payload TEXT NOT NULL,
  pushed_at_ms INTEGER);
CREATE TABLE idempotency(
  key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  response TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// Version 2: what the books must never allow, enforced by the database itself
// so that no code path (or a person with sqlite3) can bend it quietly.
// Invariant 7: a completed or voided sale, its lines and payments are frozen.
// Invariant 2/3: outbox events are append-only (only pushed_at_ms changes).
constexpr std::string_view kV2 = R"sql(
CREATE TRIGGER sales_frozen BEFORE UPDATE ON sales WHEN OLD.status <> 'open'
BEGIN SELECT RAISE(ABORT, 'sale_immutable: a closed sale cannot change'); END;
CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales
BEGIN SELECT RAISE(ABORT, 'sale_immutable: sales are never deleted'); END;
CREATE TRIGGER sale_lines_frozen_insert BEFORE INSERT ON sale_lines
WHEN (SELECT status FROM sales WHERE id = NEW.sale_id) <> 'open'
BEGIN SELECT RAISE(ABORT, 'sale_immutable: a closed sale cannot change'); END;
CREATE TRIGGER sale_lines_frozen_update BEFORE UPDATE ON sale_lines
WHEN (SELECT status FROM sales WHERE id = OLD.sale_id) <> 'open'
BEGIN SELECT RAISE(ABORT, 'sale_immutable: a closed sale cannot change'); END;
CREATE TRIGGER sale_lines_frozen_delete BEFORE DELETE ON sale_lines
WHEN (SELECT status FROM sales WHERE id = OLD.sale_id) <> 'open'
BEGIN SELECT RAISE(ABORT, 'sale_immutable: a closed sale cannot change'); END;
CREATE TRIGGER payments_frozen_insert BEFORE INSERT ON payments
WHEN (SELECT status FROM sales WHERE id = NEW.sale_id) <> 'open'
BEGIN SELECT RAISE(ABORT, 'sale_immutable: a closed sale cannot change'); END;
CREATE TRIGGER payments_no_update BEFORE UPDATE ON payments
BEGIN SELECT RAISE(ABORT, 'sale_immutable: payments never change'); END;
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
BEGIN SELECT RAISE(ABORT, 'sale_immutable: payments never change'); END;
CREATE TRIGGER outbox_append_only BEFORE UPDATE OF seq, id, type, at_ms, payload ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox_immutable: events never change'); END;
CREATE TRIGGER outbox_no_delete_unpushed BEFORE DELETE ON outbox WHEN OLD.pushed_at_ms IS NULL
BEGIN SELECT RAISE(ABORT, 'outbox_immutable: an event is kept until the cloud has it'); END;
)sql";

// Version 3: cloud sync. What the cloud told the store (allocations, orders,
// stock snapshots, keys), alerts for the manager, and the sync cursors.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE sync_state(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE allocations(
  gtin TEXT NOT NULL CHECK (length(gtin) = 14),
  serial_from TEXT NOT NULL,
  serial_to TEXT NOT NULL,
  region TEXT NOT NULL CHECK (length(region) BETWEEN 1 AND 64),
  lot TEXT,
  at_ms INTEGER NOT NULL,
  CHECK (length(serial_from) = length(serial_to) AND serial_from <= serial_to),
  PRIMARY KEY (gtin, serial_from, serial_to)) WITHOUT ROWID;
CREATE TABLE alerts(
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}',
  source TEXT NOT NULL CHECK (source IN ('device', 'cloud')),
  dedupe_key TEXT UNIQUE,
  at_ms INTEGER NOT NULL,
  acknowledged_at_ms INTEGER);
CREATE TABLE cloud_orders(
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('ship_from_store', 'pickup')),
  body TEXT NOT NULL,
  offered_at_ms INTEGER NOT NULL,
  cancel_requested_at_ms INTEGER) WITHOUT ROWID;
CREATE TABLE stock_snapshots(
  gtin TEXT PRIMARY KEY CHECK (length(gtin) = 14),
  on_hand INTEGER NOT NULL CHECK (typeof(on_hand) = 'integer' AND on_hand >= 0),
  at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE cloud_keys(
  kind TEXT NOT NULL CHECK (kind IN ('brand', 'member')),
  pem TEXT NOT NULL,
  retired INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (kind, pem)) WITHOUT ROWID;
)sql";

// Version 4: stock and reservations. Reservations are an append-only ledger
// of entries (+qty when an order is accepted, -qty when it ends), each keyed
// by (order, line, event) so that no compensation is ever applied twice.
constexpr std::string_view kV4 = R"sql(
ALTER TABLE stock_snapshots ADD COLUMN after_move INTEGER NOT NULL DEFAULT 0;
CREATE INDEX stock_moves_by_gtin ON stock_moves(gtin, id);
CREATE TABLE reservations(
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('ship_from_store', 'pickup')),
  status TEXT NOT NULL CHECK (status IN ('offered', 'accepted', 'picked', 'shipped', 'handed_over',
                                         'rejected', 'released', 'expired', 'cancelled')),
  ttl_s INTEGER NOT NULL CHECK (ttl_s >= 0),  -- 0: the order gave none (the default applies)
  pickup_code_hash TEXT,
  offered_at_ms INTEGER NOT NULL,
  accepted_at_ms INTEGER,
  expires_at_ms INTEGER,
  closed_at_ms INTEGER,
  cancel_requested_at_ms INTEGER,
  reason TEXT NOT NULL DEFAULT '',
  carrier TEXT NOT NULL DEFAULT '',
  tracking_no TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
CREATE INDEX reservations_open ON reservations(status, expires_at_ms);
CREATE TABLE reservation_lines(
  reservation_id TEXT NOT NULL REFERENCES reservations(id),
  line_no INTEGER NOT NULL,
  gtin TEXT NOT NULL CHECK (length(gtin) = 14),
  qty INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 9999),
  PRIMARY KEY (reservation_id, line_no)) WITHOUT ROWID;
CREATE TABLE reservation_picks(
  reservation_id TEXT NOT NULL REFERENCES reservations(id),
  line_no INTEGER NOT NULL,
  gtin TEXT NOT NULL,
  serial TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('held', 'gone', 'returned')),
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (reservation_id, gtin, serial)) WITHOUT ROWID;
CREATE UNIQUE INDEX picks_one_order_per_unit ON reservation_picks(gtin, serial)
  WHERE state IN ('held', 'gone');
CREATE TABLE reservation_entries(
  id INTEGER PRIMARY KEY,
  reservation_id TEXT NOT NULL REFERENCES reservations(id),
  line_no INTEGER NOT NULL,
  gtin TEXT NOT NULL,
  qty INTEGER NOT NULL CHECK (qty <> 0),
  event TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  UNIQUE (reservation_id, line_no, event));
CREATE INDEX reservation_entries_by_gtin ON reservation_entries(gtin);
CREATE TRIGGER reservation_entries_append_only BEFORE UPDATE ON reservation_entries
BEGIN SELECT RAISE(ABORT, 'reservation_entries_immutable: compensate, never edit'); END;
CREATE TRIGGER reservation_entries_no_delete BEFORE DELETE ON reservation_entries
BEGIN SELECT RAISE(ABORT, 'reservation_entries_immutable: compensate, never delete'); END;
)sql";

// Version 5: cashiers, shifts and the end-of-day (Z) report (issue 9).
// A PIN is kept only as PBKDF2-HMAC-SHA256 (salt, iterations, hash; hex);
// one open shift per terminal; sales, voids and refunds record the shift
// that was open on their terminal, so a report is a query, never a tally
// kept on the side. A refund records how it was paid back, by method.
constexpr std::string_view kV5 = R"sql(
CREATE TABLE cashiers(
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 32),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  role TEXT NOT NULL CHECK (role IN ('cashier', 'manager')),
  pin_salt TEXT NOT NULL,
  pin_iterations INTEGER NOT NULL CHECK (pin_iterations >= 1),
  pin_hash TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE shifts(
  id TEXT PRIMARY KEY,
  terminal TEXT NOT NULL CHECK (length(terminal) BETWEEN 1 AND 64),
  cashier TEXT,
  status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  opening_float_minor INTEGER NOT NULL
    CHECK (typeof(opening_float_minor) = 'integer' AND opening_float_minor >= 0),
  counted_cash_minor INTEGER
    CHECK (counted_cash_minor IS NULL OR (typeof(counted_cash_minor) = 'integer' AND counted_cash_minor >= 0)),
  opened_at_ms INTEGER NOT NULL,
  closed_at_ms INTEGER) WITHOUT ROWID;
CREATE UNIQUE INDEX shifts_one_open_per_terminal ON shifts(terminal) WHERE status = 'open';
CREATE TRIGGER shifts_frozen BEFORE UPDATE ON shifts WHEN OLD.status = 'closed'
BEGIN SELECT RAISE(ABORT, 'shift_immutable: a closed shift cannot change'); END;
CREATE TRIGGER shifts_no_delete BEFORE DELETE ON shifts
BEGIN SELECT RAISE(ABORT, 'shift_immutable: shifts are never deleted'); END;
ALTER TABLE sales ADD COLUMN cashier TEXT;
ALTER TABLE sales ADD COLUMN shift_id TEXT REFERENCES shifts(id);
CREATE INDEX sales_by_shift ON sales(shift_id) WHERE shift_id IS NOT NULL;
ALTER TABLE refunds ADD COLUMN terminal TEXT;
ALTER TABLE refunds ADD COLUMN cashier TEXT;
ALTER TABLE refunds ADD COLUMN shift_id TEXT REFERENCES shifts(id);
CREATE INDEX refunds_by_shift ON refunds(shift_id) WHERE shift_id IS NOT NULL;
CREATE TABLE refund_payments(
  refund_id TEXT NOT NULL REFERENCES refunds(id),
  method TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (typeof(amount_minor) = 'integer' AND amount_minor > 0),
  PRIMARY KEY (refund_id, method)) WITHOUT ROWID;
)sql";

// Version 6: cases (aggregation). The cloud says which units are packed in
// which case (its own label); scanning the case receives them. A unit is in
// one case at most, and leaves it (state 'out') when sold or picked.
constexpr std::string_view kV6 = R"sql(
CREATE TABLE cases(
  gtin TEXT NOT NULL CHECK (length(gtin) = 14),
  serial TEXT NOT NULL,
  shipment TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (gtin, serial)) WITHOUT ROWID;
CREATE TABLE case_units(
  gtin TEXT NOT NULL,
  serial TEXT NOT NULL,
  case_gtin TEXT NOT NULL,
  case_serial TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('packed', 'out')),
  PRIMARY KEY (gtin, serial),
  FOREIGN KEY (case_gtin, case_serial) REFERENCES cases(gtin, serial)) WITHOUT ROWID;
CREATE INDEX case_units_by_case ON case_units(case_gtin, case_serial);
)sql";

// Version 7: manager approval, post-voids and returns of plain items. A
// refund records who approved it; a completed sale voided in error (a
// post-void) is a refund of kind 'void' of all of it, once per sale, with its
// reason. The sale itself is never edited (invariant 7). Plain items come
// back by quantity, part of a line at a time (refund_quantities); a refund
// paid back by card or wallet carries the original payment's reference. A
// shift records who closed it, and the manager who let another cashier. A
// sale's receipt prints are counted: every print after the first is a copy.
constexpr std::string_view kV7 = R"sql(
ALTER TABLE refunds ADD COLUMN kind TEXT NOT NULL DEFAULT 'refund'
  CHECK (kind IN ('refund', 'void'));
ALTER TABLE refunds ADD COLUMN approved_by TEXT;
ALTER TABLE refunds ADD COLUMN approved_via TEXT;
ALTER TABLE refunds ADD COLUMN reason TEXT;
CREATE INDEX refunds_by_sale ON refunds(sale_id);
CREATE UNIQUE INDEX refunds_one_void_per_sale ON refunds(sale_id) WHERE kind = 'void';
CREATE TABLE refund_quantities(
  refund_id TEXT NOT NULL REFERENCES refunds(id),
  line_id INTEGER NOT NULL REFERENCES sale_lines(id),
  qty INTEGER NOT NULL CHECK (typeof(qty) = 'integer' AND qty > 0),
  PRIMARY KEY (refund_id, line_id)) WITHOUT ROWID;
CREATE INDEX refund_quantities_by_line ON refund_quantities(line_id);
ALTER TABLE refund_payments ADD COLUMN ref TEXT;
ALTER TABLE shifts ADD COLUMN closed_by TEXT;
ALTER TABLE shifts ADD COLUMN close_approved_by TEXT;
ALTER TABLE shifts ADD COLUMN close_approved_via TEXT;
CREATE TABLE receipt_prints(
  sale_id TEXT PRIMARY KEY REFERENCES sales(id),
  prints INTEGER NOT NULL CHECK (typeof(prints) = 'integer' AND prints > 0),
  last_at_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// Version 8: exchanges. Units of a completed sale come back (a refund) and
// an open cart is sold instead, in one transaction: the refund's value pays
// for the cart first (credit_minor). exchange_sources says which of the
// returned sale's methods the credit stands for, in their order: a refund of
// the cart goes back that way, and the returned sale has that much less
// left to give back.
constexpr std::string_view kV8 = R"sql(
CREATE TABLE exchanges(
  id TEXT PRIMARY KEY,
  refund_id TEXT NOT NULL UNIQUE REFERENCES refunds(id),
  sale_id TEXT NOT NULL UNIQUE REFERENCES sales(id),
  credit_minor INTEGER NOT NULL CHECK (typeof(credit_minor) = 'integer' AND credit_minor >= 0),
  at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE exchange_sources(
  id INTEGER PRIMARY KEY,
  exchange_id TEXT NOT NULL REFERENCES exchanges(id),
  method TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (typeof(amount_minor) = 'integer' AND amount_minor > 0),
  ref TEXT,
  UNIQUE (exchange_id, method));
)sql";

// Version 9: the cash drawer opened without a sale (to give change, to take
// out a big note), a manager's action: who asked, who approved it, why, in
// which shift. The Z report counts them. A product's name in Simplified
// Chinese, when the catalog has one, and a sale line's as it was sold: a
// receipt and a screen in zh-CN show it.
constexpr std::string_view kV9 = R"sql(
ALTER TABLE products ADD COLUMN name_zh TEXT
  CHECK (name_zh IS NULL OR length(name_zh) BETWEEN 1 AND 200);
ALTER TABLE sale_lines ADD COLUMN name_zh TEXT;
CREATE TABLE drawer_opens(
  id TEXT PRIMARY KEY,
  terminal TEXT NOT NULL,
  shift_id TEXT REFERENCES shifts(id),
  cashier TEXT,
  reason TEXT NOT NULL,
  approved_by TEXT,
  approved_via TEXT NOT NULL,
  at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX drawer_opens_by_shift ON drawer_opens(shift_id);
)sql";

// Version 10: a line's price changed at the till, a manager's action: the
// catalog price it had (list_price_minor), why, and who approved it.
constexpr std::string_view kV10 = R"sql(
ALTER TABLE sale_lines ADD COLUMN list_price_minor INTEGER
  CHECK (list_price_minor IS NULL OR (typeof(list_price_minor) = 'integer' AND
                                      list_price_minor >= unit_price_minor));
ALTER TABLE sale_lines ADD COLUMN price_reason TEXT;
ALTER TABLE sale_lines ADD COLUMN price_approved_by TEXT;
ALTER TABLE sale_lines ADD COLUMN price_approved_via TEXT;
)sql";

// Version 11: VAT. A sale line keeps the VAT rate its product had when it
// was sold (basis points; China's prices include it), so a receipt, a
// refund and the Z report compute the same tax for it years later, whatever
// the catalog says then. Lines sold before this version take their
// product's rate as it is now (0 where the product is gone).
constexpr std::string_view kV11 = R"sql(
ALTER TABLE sale_lines ADD COLUMN tax_rate_bp INTEGER NOT NULL DEFAULT 0
  CHECK (typeof(tax_rate_bp) = 'integer' AND tax_rate_bp BETWEEN 0 AND 10000);
UPDATE sale_lines SET tax_rate_bp =
  coalesce((SELECT p.tax_rate_bp FROM products p WHERE p.gtin = sale_lines.gtin), 0);
)sql";

// Version 12: a product that must carry a brand's signature, or need not:
// `signed` 1 (a signed garment) or 0 (a plain bag sold by its barcode) in
// the same store; NULL follows the store's codes.require_signature.
constexpr std::string_view kV12 = R"sql(
ALTER TABLE products ADD COLUMN signed INTEGER CHECK (signed IS NULL OR signed IN (0, 1));
)sql";

// Version 13: promotions (pricing.hpp). The cloud's promotions as the store
// keeps them, one row each, in force from starts_at_ms to ends_at_ms; a
// product's category, which a promotion may cover. A sale line keeps its
// category as sold, the discounts the cart's promotions gave it (each with
// the promotion's id and name as printed), and their sum (discount_minor):
// the line's amount is unit_price x qty - discount_minor. A plain item
// returned by quantity keeps what it paid back (amount_minor; NULL before
// this version: unit_price x qty, as then).
constexpr std::string_view kV13 = R"sql(
ALTER TABLE products ADD COLUMN category TEXT
  CHECK (category IS NULL OR length(category) BETWEEN 1 AND 64);
ALTER TABLE sale_lines ADD COLUMN category TEXT;
ALTER TABLE sale_lines ADD COLUMN discount_minor INTEGER NOT NULL DEFAULT 0
  CHECK (typeof(discount_minor) = 'integer' AND discount_minor >= 0);
CREATE TABLE sale_line_discounts(
  line_id INTEGER NOT NULL REFERENCES sale_lines(id) ON DELETE CASCADE,
  n INTEGER NOT NULL,
  sale_id TEXT NOT NULL,
  promotion_id TEXT NOT NULL,
  name TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (typeof(amount_minor) = 'integer' AND amount_minor > 0),
  PRIMARY KEY (line_id, n)) WITHOUT ROWID;
CREATE INDEX sale_line_discounts_by_sale ON sale_line_discounts(sale_id);
CREATE TABLE promotions(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL
    CHECK (kind IN ('percent_off', 'amount_off', 'buy_x_get_y', 'spend_threshold')),
  gtins TEXT,
  category TEXT,
  percent_bp INTEGER NOT NULL DEFAULT 0,
  amount_minor INTEGER NOT NULL DEFAULT 0,
  threshold_minor INTEGER NOT NULL DEFAULT 0,
  repeat INTEGER NOT NULL DEFAULT 0,
  buy INTEGER NOT NULL DEFAULT 0,
  get INTEGER NOT NULL DEFAULT 0,
  priority INTEGER NOT NULL DEFAULT 0,
  stackable INTEGER NOT NULL DEFAULT 1,
  starts_at_ms INTEGER NOT NULL,
  ends_at_ms INTEGER,
  updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
ALTER TABLE refund_quantities ADD COLUMN amount_minor INTEGER
  CHECK (amount_minor IS NULL OR (typeof(amount_minor) = 'integer' AND amount_minor >= 0));
)sql";

// Version 14: price lists by customer group (pricing.hpp). The cloud's
// lists and their prices; a sale's price group (the bound member's, from a
// SAM2 member code); a line's catalog price when scanned and the list that
// set its unit price, with its name as the receipt prints it, if one did (NULL before this version:
// the unit price was the catalog's).
constexpr std::string_view kV14 = R"sql(
CREATE TABLE price_lists(
  id TEXT PRIMARY KEY,
  group_name TEXT NOT NULL,
  name TEXT NOT NULL,
  starts_at_ms INTEGER NOT NULL,
  ends_at_ms INTEGER,
  updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE price_list_prices(
  list_id TEXT NOT NULL REFERENCES price_lists(id) ON DELETE CASCADE,
  gtin TEXT NOT NULL,
  price_minor INTEGER NOT NULL CHECK (typeof(price_minor) = 'integer' AND price_minor >= 0),
  PRIMARY KEY (list_id, gtin)) WITHOUT ROWID;
CREATE INDEX price_list_prices_by_gtin ON price_list_prices(gtin);
ALTER TABLE sales ADD COLUMN price_group TEXT;
ALTER TABLE sale_lines ADD COLUMN catalog_price_minor INTEGER;
ALTER TABLE sale_lines ADD COLUMN price_list TEXT;
ALTER TABLE sale_lines ADD COLUMN price_list_name TEXT;
)sql";

// Version 15: coupons (books.hpp). The coupons scanned into a sale, in
// order, and the ones this store redeemed, once each, with the seq of the
// sale's event: the offline cap counts a type's redemptions the cloud has
// not acknowledged yet.
constexpr std::string_view kV15 = R"sql(
CREATE TABLE sale_coupons(
  sale_id TEXT NOT NULL REFERENCES sales(id),
  n INTEGER NOT NULL,
  coupon_id TEXT NOT NULL,
  type TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (typeof(amount_minor) = 'integer' AND amount_minor > 0),
  min_spend_minor INTEGER NOT NULL CHECK (typeof(min_spend_minor) = 'integer' AND
                                          min_spend_minor >= 0),
  PRIMARY KEY (sale_id, n)) WITHOUT ROWID;
CREATE INDEX sale_coupons_by_coupon ON sale_coupons(coupon_id);
CREATE TABLE coupons_used(
  coupon_id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  sale_id TEXT NOT NULL REFERENCES sales(id),
  at_ms INTEGER NOT NULL,
  event_seq INTEGER) WITHOUT ROWID;
CREATE INDEX coupons_used_by_type ON coupons_used(type, event_seq);
)sql";

// Version 16: a line a scale's label priced (its own price or weight,
// codes::Measure): the weight it was sold by, and that the label set its
// price (no price list replaces it).
constexpr std::string_view kV16 = R"sql(
ALTER TABLE sale_lines ADD COLUMN net_weight_g INTEGER
  CHECK (net_weight_g IS NULL OR (typeof(net_weight_g) = 'integer' AND net_weight_g >= 0));
ALTER TABLE sale_lines ADD COLUMN label_priced INTEGER NOT NULL DEFAULT 0
  CHECK (label_priced IN (0, 1));
)sql";

// Version 17: a manager's discount on the whole sale (整单折扣): a percent
// or an amount, why, and who approved it. Its share of each line is in
// sale_line_discounts (promotion_id 'sale:manager'). And whether a product sells
// unit by unit (1), by quantity (0), or as each label says (NULL); whether
// its price includes VAT (1, China's) or has it added (0), and a line's copy
// of that when it was sold (tax_added: its amount is net + AddedVat). When
// an open cart was last priced, and under which Books::pricing_generation:
// completing it prices it again only when that may have moved.
constexpr std::string_view kV17 = R"sql(
ALTER TABLE products ADD COLUMN tax_included INTEGER NOT NULL DEFAULT 1
  CHECK (tax_included IN (0, 1));
ALTER TABLE sale_lines ADD COLUMN tax_added INTEGER NOT NULL DEFAULT 0
  CHECK (tax_added IN (0, 1));
ALTER TABLE sales ADD COLUMN priced_at_ms INTEGER;
ALTER TABLE sales ADD COLUMN priced_generation INTEGER;
ALTER TABLE products ADD COLUMN serialised INTEGER
  CHECK (serialised IS NULL OR serialised IN (0, 1));
ALTER TABLE sales ADD COLUMN discount_bp INTEGER
  CHECK (discount_bp IS NULL OR (typeof(discount_bp) = 'integer' AND discount_bp BETWEEN 1 AND 10000));
ALTER TABLE sales ADD COLUMN discount_amount_minor INTEGER
  CHECK (discount_amount_minor IS NULL OR (typeof(discount_amount_minor) = 'integer' AND
                                           discount_amount_minor > 0));
ALTER TABLE sales ADD COLUMN discount_reason TEXT;
ALTER TABLE sales ADD COLUMN discount_approved_by TEXT;
ALTER TABLE sales ADD COLUMN discount_approved_via TEXT;
)sql";

// Version 18: what a stock lookup and the orders screen read stays as small
// as what is open, however many sales and orders the store has had: the
// open sales (their lines' units are in carts), and the orders newest first.
constexpr std::string_view kV18 = R"sql(
CREATE INDEX sales_open ON sales(status) WHERE status = 'open';
CREATE INDEX reservations_by_offer ON reservations(offered_at_ms, id);
)sql";

// Version 19: retention (issue 21). Detail the cloud has acknowledged goes
// after ledger.retention_days, folded into day_totals (one row per store day
// and currency) first. A closed sale, its lines and payments may be deleted
// only while its id is in retention_gate: the compaction's own transaction
// puts it there and takes it away, so no other path (nor a slip at the
// sqlite3 prompt) deletes a sale. An event goes only once the cloud has
// acknowledged it (sync_state acked_seq; pushed_at_ms is no longer
// written). shifts_compacted names the shifts whose report can no longer be
// made from the ledger. coupons_used outlives the sale that used a coupon (once per
// store is forever): it no longer references sales. Nor does units: a unit's
// state outlives its sale, and a reference would make every sale's deletion
// read the whole units table (no index on units.sale_id) to check it.
constexpr std::string_view kV19 = R"sql(
CREATE TABLE retention_gate(sale_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE shifts_compacted(shift_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE day_totals(
  day TEXT NOT NULL CHECK (length(day) = 10),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  sales INTEGER NOT NULL DEFAULT 0,
  sales_minor INTEGER NOT NULL DEFAULT 0 CHECK (typeof(sales_minor) = 'integer'),
  units INTEGER NOT NULL DEFAULT 0,
  voided INTEGER NOT NULL DEFAULT 0,
  refunds INTEGER NOT NULL DEFAULT 0,
  refunds_minor INTEGER NOT NULL DEFAULT 0 CHECK (typeof(refunds_minor) = 'integer'),
  PRIMARY KEY (day, currency)) WITHOUT ROWID;
DROP TRIGGER sales_no_delete;
CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales
WHEN OLD.status = 'open' OR NOT EXISTS (SELECT 1 FROM retention_gate WHERE sale_id = OLD.id)
BEGIN SELECT RAISE(ABORT, 'sale_immutable: sales are never deleted'); END;
DROP TRIGGER sale_lines_frozen_delete;
CREATE TRIGGER sale_lines_frozen_delete BEFORE DELETE ON sale_lines
WHEN (SELECT status FROM sales WHERE id = OLD.sale_id) <> 'open' AND
     NOT EXISTS (SELECT 1 FROM retention_gate WHERE sale_id = OLD.sale_id)
BEGIN SELECT RAISE(ABORT, 'sale_immutable: a closed sale cannot change'); END;
DROP TRIGGER payments_no_delete;
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
WHEN NOT EXISTS (SELECT 1 FROM retention_gate WHERE sale_id = OLD.sale_id)
BEGIN SELECT RAISE(ABORT, 'sale_immutable: payments never change'); END;
DROP TRIGGER outbox_no_delete_unpushed;
CREATE TRIGGER outbox_no_delete_unacked BEFORE DELETE ON outbox
WHEN OLD.seq > coalesce((SELECT value FROM sync_state WHERE key = 'acked_seq'), 0)
BEGIN SELECT RAISE(ABORT, 'outbox_immutable: an event is kept until the cloud has it'); END;
CREATE TABLE coupons_used_v19(
  coupon_id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  sale_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  event_seq INTEGER) WITHOUT ROWID;
INSERT INTO coupons_used_v19 SELECT coupon_id, type, sale_id, at_ms, event_seq FROM coupons_used;
DROP TABLE coupons_used;
ALTER TABLE coupons_used_v19 RENAME TO coupons_used;
CREATE INDEX coupons_used_by_type ON coupons_used(type, event_seq);
CREATE TABLE units_v19(
  gtin TEXT NOT NULL,
  serial TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_stock', 'sold')),
  sale_id TEXT,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (gtin, serial)) WITHOUT ROWID;
INSERT INTO units_v19 SELECT gtin, serial, state, sale_id, updated_at_ms FROM units;
DROP TABLE units;
ALTER TABLE units_v19 RENAME TO units;
)sql";

// Version 20: the loops with the brand's cloud (issue 19). sale_claims: a
// sale a member claimed after the till (the brand's CRM binds it to the
// member who scanned its receipt's claim QR, once; the store learns it from
// the cloud, member.claimed, and keeps it beside the sale, which stays as it
// was completed: invariant 7). shift_reconciliations: each closed shift's
// check against what the cloud ingested (pending until the cloud answers
// match or mismatch; expired when retention compacted the shift before the
// cloud answered); last_seq is its shift.closed event's. A sale's
// shopping guide (导购): the staff member who served it, by badge or picked.
constexpr std::string_view kV20 = R"sql(
CREATE TABLE sale_claims(
  sale_id TEXT PRIMARY KEY,
  member_id TEXT NOT NULL CHECK (length(member_id) BETWEEN 1 AND 64),
  claimed_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE shift_reconciliations(
  shift_id TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'match', 'mismatch', 'expired')),
  detail TEXT,
  checked_at_ms INTEGER) WITHOUT ROWID;
CREATE INDEX shift_reconciliations_pending ON shift_reconciliations(status, shift_id)
  WHERE status = 'pending';
ALTER TABLE sales ADD COLUMN guide_id TEXT CHECK (length(guide_id) BETWEEN 1 AND 64);
ALTER TABLE sales ADD COLUMN guide_via TEXT CHECK (guide_via IN ('badge', 'picked'));
)sql";

constexpr std::array<std::string_view, 20> kMigrations = {kV1,  kV2,  kV3,  kV4,  kV5,  kV6,  kV7,
                                                          kV8,  kV9,  kV10, kV11, kV12, kV13, kV14,
                                                          kV15, kV16, kV17, kV18, kV19, kV20};

int LatestSchemaVersion() { return static_cast<int>(kMigrations.size()); }

std::string_view MigrationSql(int to_version) { return kMigrations.at(to_version - 1); }

}  // namespace sa::ledger
