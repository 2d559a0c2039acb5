// SPDX-License-Identifier: Apache-2.0
#include "database.hpp"

#include <filesystem>
#include <system_error>

namespace sa::omssim {
namespace {

// oms-sim's own schema. The file is opened through ledger::Database for its
// RAII and error handling, at schema version 0, so none of the device's
// migrations run on it.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS devices(
  store_id TEXT NOT NULL, device_id TEXT NOT NULL,
  key TEXT NOT NULL,                        -- base64url of the 32 key bytes
  acked_seq INTEGER NOT NULL DEFAULT 0,
  last_seen_ms INTEGER, agent_version TEXT,
  PRIMARY KEY(store_id, device_id));
-- Every seq dealt with (accepted or rejected): what makes a resend a duplicate.
CREATE TABLE IF NOT EXISTS ingested(
  store_id TEXT NOT NULL, device_id TEXT NOT NULL, seq INTEGER NOT NULL,
  event_id TEXT NOT NULL, status TEXT NOT NULL,
  PRIMARY KEY(store_id, device_id, seq));
CREATE TABLE IF NOT EXISTS events(
  n INTEGER PRIMARY KEY AUTOINCREMENT, store_id TEXT NOT NULL, device_id TEXT NOT NULL,
  seq INTEGER NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_store ON events(store_id, n);
CREATE TABLE IF NOT EXISTS rejected(
  n INTEGER PRIMARY KEY AUTOINCREMENT, store_id TEXT NOT NULL, device_id TEXT NOT NULL,
  seq INTEGER NOT NULL, text TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rejected_store ON rejected(store_id, n);
-- The feed. One global sequence gives every store strictly increasing cursors.
CREATE TABLE IF NOT EXISTS changes(
  cursor INTEGER PRIMARY KEY AUTOINCREMENT, store_id TEXT NOT NULL,
  type TEXT NOT NULL, at_ms INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS changes_store ON changes(store_id, cursor);
-- Units sold by accepted sales, until a refund puts them back (§8).
CREATE TABLE IF NOT EXISTS sold_units(
  store_id TEXT NOT NULL, gtin TEXT NOT NULL, serial TEXT NOT NULL,
  device_id TEXT NOT NULL, sale_id TEXT NOT NULL, refunded INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS sold_units_unit ON sold_units(store_id, serial, gtin);
CREATE INDEX IF NOT EXISTS sold_units_brand ON sold_units(serial, gtin);
-- Coupons redeemed brand-wide: the first sale that used each (§8). A later
-- one, in any store, stands but redeems nothing: both stores are alerted.
CREATE TABLE IF NOT EXISTS coupon_redemptions(
  coupon_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, device_id TEXT NOT NULL,
  sale_id TEXT NOT NULL);
-- Sales as accepted (§11): what a receipt's claim token is checked against.
CREATE TABLE IF NOT EXISTS sales(
  store_id TEXT NOT NULL, device_id TEXT NOT NULL, sale_id TEXT NOT NULL,
  total_minor INTEGER NOT NULL, currency TEXT NOT NULL, member INTEGER NOT NULL,
  voided INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, device_id, sale_id));
CREATE INDEX IF NOT EXISTS sales_by_id ON sales(sale_id);
-- The CRM's members known by a phone's keyed hash (never the number): the
-- same phone typed at two stores of the brand is one member (§11).
CREATE TABLE IF NOT EXISTS phone_members(
  phone_hash TEXT PRIMARY KEY, member_id TEXT NOT NULL UNIQUE, first_store_id TEXT NOT NULL);
-- Whose each sale is, as the CRM sees it: a member code at the till, a phone
-- typed at the till (matched by its hash), or a claim from the receipt.
CREATE TABLE IF NOT EXISTS sale_members(
  store_id TEXT NOT NULL, sale_id TEXT NOT NULL, member_id TEXT NOT NULL,
  matched_by TEXT NOT NULL, PRIMARY KEY(store_id, sale_id));
CREATE INDEX IF NOT EXISTS sale_members_sale ON sale_members(sale_id);
-- Each accepted sale's shopping guide (导购), for the brand's SCRM: who to
-- credit, and which members they served.
CREATE TABLE IF NOT EXISTS guide_sales(
  store_id TEXT NOT NULL, sale_id TEXT NOT NULL, guide_id TEXT NOT NULL,
  via TEXT NOT NULL, total_minor INTEGER NOT NULL,
  PRIMARY KEY(store_id, sale_id));
CREATE INDEX IF NOT EXISTS guide_sales_guide ON guide_sales(guide_id);
-- Sales a member claimed after the till: once per sale, ever (§11).
-- Keyed by the device that made the sale: a sale id another device pushed
-- cannot take a store's claim away.
CREATE TABLE IF NOT EXISTS claims(
  store_id TEXT NOT NULL, device_id TEXT NOT NULL, sale_id TEXT NOT NULL,
  member_id TEXT NOT NULL, at_ms INTEGER NOT NULL,
  PRIMARY KEY(store_id, device_id, sale_id));
CREATE INDEX IF NOT EXISTS claims_sale ON claims(sale_id);
-- Where a store is in GS1 terms, for its EPCIS events (§7).
CREATE TABLE IF NOT EXISTS sites(
  store_id TEXT PRIMARY KEY, gln TEXT NOT NULL, utc_offset TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders(
  store_id TEXT NOT NULL, order_id TEXT NOT NULL, status TEXT NOT NULL,
  PRIMARY KEY(store_id, order_id));
-- Online orders of the brand's malls, per brand (a customer returns anywhere).
CREATE TABLE IF NOT EXISTS online_orders(
  number TEXT PRIMARY KEY, channel TEXT NOT NULL, paid_method TEXT NOT NULL,
  paid_amount INTEGER NOT NULL, currency TEXT NOT NULL, created_ms INTEGER NOT NULL);
-- A line is one unit; return_id is the store's return that took it back.
CREATE TABLE IF NOT EXISTS online_order_lines(
  number TEXT NOT NULL, line_no INTEGER NOT NULL, gtin TEXT NOT NULL, serial TEXT NOT NULL,
  name TEXT NOT NULL, price INTEGER NOT NULL, return_id TEXT, returned_store TEXT,
  PRIMARY KEY(number, line_no));
CREATE UNIQUE INDEX IF NOT EXISTS online_order_units ON online_order_lines(gtin, serial);
CREATE TABLE IF NOT EXISTS online_refunds(
  n INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT NOT NULL, return_id TEXT NOT NULL,
  store_id TEXT NOT NULL, device_id TEXT NOT NULL, amount INTEGER NOT NULL,
  currency TEXT NOT NULL, at_ms INTEGER NOT NULL);
)sql";

}  // namespace

Expected<std::unique_ptr<ledger::Database>> OpenDatabase(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return MakeError(ErrorKind::internal, "data_dir_unavailable",
                     "cannot create " + data_dir + ": " + ec.message());
  }
  ledger::Database::Options db_options;
  db_options.target_version = 0;  // our own schema above, none of the device's
  auto db = ledger::Database::Open(data_dir + "/oms-sim.db", db_options);
  if (!db) return db.error();
  try {
    (*db)->Exec(kSchema);
  } catch (const ledger::Failure& f) {
    return f.error().WithContext("creating oms-sim's tables");
  }
  return db;
}

}  // namespace sa::omssim
