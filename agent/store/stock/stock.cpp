// SPDX-License-Identifier: Apache-2.0
// Stock levels (invariant 5): units scanned in, counts, the cloud's
// snapshots, and the till's check against what orders hold.
#include "stock.hpp"

#include "part.hpp"
#include "stock_json.hpp"

namespace sa::store {
namespace {

using ledger::Transaction;
using part::BadRequest;
using part::Conflict;
using part::Guarded;
using part::NotFound;
using part::Refused;

}  // namespace

Stock::Stock(Books& books) : books_(books), db_(books.db()), config_(books.config()) {}

// ------------------------------------------------------------------- stock

Expected<StockLevel> Stock::Level(std::string_view gtin) {
  auto g = codes::NormaliseGtin(gtin);
  if (!g) return BadRequest("invalid_gtin", g.error().message);
  return Guarded([&]() -> Expected<StockLevel> { return LevelOf(*g); });
}

std::int64_t Stock::ReservedOf(const std::string& gtin14) {
  auto st = db_.Cached("SELECT coalesce(sum(qty), 0) FROM reservation_entries WHERE gtin = ?");
  st.Bind(1, gtin14);
  st.Step();
  return st.Int(0);
}

StockLevel Stock::LevelOf(const std::string& gtin14) {
  StockLevel level;
  level.gtin = gtin14;
  std::int64_t after_move = 0;
  {
    auto st = db_.Cached("SELECT on_hand, after_move FROM stock_snapshots WHERE gtin = ?");
    st.Bind(1, gtin14);
    if (st.Step()) {
      level.on_hand = st.Int(0);
      after_move = st.Int(1);
    }
  }
  {
    auto st =
        db_.Cached("SELECT coalesce(sum(delta), 0) FROM stock_moves WHERE gtin = ? AND id > ?");
    st.Bind(1, gtin14).Bind(2, after_move);
    st.Step();
    level.on_hand += st.Int(0);
  }
  level.reserved = ReservedOf(gtin14);
  {
    // The IN term is the partial index's own WHERE, so that index (by
    // GTIN) serves this count; without it every pick ever made is read.
    auto st = db_.Cached(
        "SELECT count(*) FROM reservation_picks WHERE gtin = ? AND state IN ('held', 'gone') AND "
        "state = 'held'");
    st.Bind(1, gtin14);
    st.Step();
    level.picked = st.Int(0);
  }
  level.available = level.on_hand - level.reserved;
  return level;
}

std::optional<Error> Stock::LabelRefusal(const CheckedCode& checked, bool plain_ok) const {
  if (checked.code.kind == codes::Kind::member_code) {
    return BadRequest("not_a_unit", "that is a member code, not a unit's label");
  }
  if (checked.coupon) return BadRequest("not_a_unit", "that is a coupon, not a unit's label");
  if (checked.signature == codes::SignatureState::invalid) {
    return Refused("code_forged",
                   "the label's signature does not match any brand key: "
                   "treat this unit as counterfeit");
  }
  if (checked.signature == codes::SignatureState::absent &&
      books_.RequiresSignature(checked.code.gtin)) {
    return Refused("code_forged", "GTIN " + checked.code.gtin +
                                      " sells with a signed label only and this one is not signed");
  }
  if (!checked.code.serialised() && !plain_ok) {
    return Refused("not_serialised",
                   "scan the unit's own label (GTIN and serial), not a plain barcode");
  }
  return std::nullopt;
}

Expected<StockLevel> Stock::Receive(const CheckedCode& checked) {
  if (auto refused = LabelRefusal(checked, true)) return *refused;
  codes::Code code = checked.code;  // a serial is dropped for a product sold by quantity
  return Guarded([&]() -> Expected<StockLevel> {
    Transaction tx(db_);
    if (code.serialised() && IsCase(code.gtin, code.serial)) {
      auto received = ReceiveCase(code);
      if (received) tx.Commit();
      return received;
    }
    const auto product = books_.LookupProduct(code.gtin);
    if (!product) {
      return Refused("unknown_product", "GTIN " + code.gtin + " is not in this store's catalog");
    }
    if (auto refused = Books::ApplySerialRule(*product, code)) return *refused;
    if (!code.serialised()) {
      // A plain item (EAN/UPC, sold by quantity): one more of its GTIN.
      db_.Cached(
             "INSERT INTO stock_moves(gtin, serial, delta, reason, ref, at_ms) "
             "VALUES(?, NULL, 1, 'received', NULL, ?)")
          .Bind(1, code.gtin)
          .Bind(2, books_.now_ms())
          .Run();
      const StockLevel level = LevelOf(code.gtin);
      books_.Append("stock.received", events::StockReceived(code.gtin, "", level));
      tx.Commit();
      return level;
    }
    auto unit = db_.Cached("SELECT state FROM units WHERE gtin = ? AND serial = ?");
    unit.Bind(1, code.gtin).Bind(2, code.serial);
    if (unit.Step()) {
      return unit.Text(0) == "sold"
                 ? Conflict("serial_already_sold",
                            "this unit was sold; a customer's return is a refund")
                 : Conflict("unit_already_received", "this unit is already in stock");
    }
    const std::int64_t now = books_.now_ms();
    db_.Cached("INSERT INTO units(gtin, serial, state, updated_at_ms) VALUES(?, ?, 'in_stock', ?)")
        .Bind(1, code.gtin)
        .Bind(2, code.serial)
        .Bind(3, now)
        .Run();
    db_.Cached(
           "INSERT INTO stock_moves(gtin, serial, delta, reason, ref, at_ms) "
           "VALUES(?, ?, 1, 'received', NULL, ?)")
        .Bind(1, code.gtin)
        .Bind(2, code.serial)
        .Bind(3, now)
        .Run();
    const StockLevel level = LevelOf(code.gtin);
    books_.Append("stock.received", events::StockReceived(code.gtin, code.serial, level));
    tx.Commit();
    return level;
  });
}

Expected<StockLevel> Stock::Count(std::string_view gtin, std::int64_t counted) {
  auto g = codes::NormaliseGtin(gtin);
  if (!g) return BadRequest("invalid_gtin", g.error().message);
  if (counted < 0 || counted > 10'000'000)
    return BadRequest("invalid_count", "counted is 0..10000000");
  return Guarded([&]() -> Expected<StockLevel> {
    Transaction tx(db_);
    if (!books_.LookupProduct(*g))
      return Refused("unknown_product", "GTIN " + *g + " is not in this store's catalog");
    const StockLevel before = LevelOf(*g);
    if (counted != before.on_hand) {
      db_.Cached(
             "INSERT INTO stock_moves(gtin, serial, delta, reason, ref, at_ms) "
             "VALUES(?, NULL, ?, 'count', NULL, ?)")
          .Bind(1, *g)
          .Bind(2, counted - before.on_hand)
          .Bind(3, books_.now_ms())
          .Run();
    }
    books_.Append("stock.counted", events::StockCounted(*g, counted, before.on_hand));
    const StockLevel after = LevelOf(*g);
    tx.Commit();
    return after;
  });
}

std::int64_t Stock::InOpenCarts(const std::string& gtin14) {
  auto st = db_.Cached(
      // The open sales first (sales_open), then their lines: never every
      // line ever sold.
      "SELECT coalesce(sum(l.qty), 0) FROM sales s CROSS JOIN sale_lines l ON l.sale_id = s.id "
      "WHERE s.status = 'open' AND l.gtin = ?");
  st.Bind(1, gtin14);
  st.Step();
  return st.Int(0);
}

// The till's half of invariant 5: a unit picked for an order is not for
// sale; nor is the last unit an order holds, unless a manager says so.
std::optional<Error> Stock::RefusalAtTill(std::string_view sale_id, const codes::Code& code,
                                          const std::optional<Override>& by) {
  if (code.serialised()) {
    auto picked = db_.Cached(
        "SELECT reservation_id, state FROM reservation_picks WHERE gtin = ? AND serial = ? "
        "AND state IN ('held', 'gone')");
    picked.Bind(1, code.gtin).Bind(2, code.serial);
    if (picked.Step()) {
      if (picked.Text(1) == "gone") {
        return Conflict("unit_shipped", "this unit left the store with order " + picked.Text(0));
      }
      return Conflict("stock_reserved", "this unit is picked for order " + picked.Text(0) +
                                            "; take another one from the shelf");
    }
  }
  // Every scan comes here: with nothing held (the common case) one indexed
  // sum answers, and the whole level is read only when orders hold some.
  if (ReservedOf(code.gtin) <= 0) return std::nullopt;  // stock may not even be tracked
  const StockLevel level = LevelOf(code.gtin);
  // Units already in any till's open cart are spoken for too: two tills
  // must not both take "the last free unit".
  if (level.available - InOpenCarts(code.gtin) > 0) return std::nullopt;
  if (!by) {
    return Conflict("stock_reserved",
                    "every unit of " + code.gtin + " in stock is held for an order (" +
                        std::to_string(level.reserved) + " reserved); a manager can override");
  }
  books_.Append("stock.override",
                events::StockOverride(sale_id, code.gtin, code.serial, *by, level));
  return std::nullopt;
}

Expected<void> Stock::SetSnapshot(std::string_view gtin14, std::int64_t on_hand) {
  auto gtin = codes::NormaliseGtin(gtin14);
  if (!gtin) return BadRequest("bad_stock", gtin.error().message);
  if (on_hand < 0) return BadRequest("bad_stock", "on_hand cannot be negative");
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    // The cloud counted every move the store made before this one: local
    // moves after it are added on top (Level()).
    db_.Cached(
           "INSERT INTO stock_snapshots(gtin, on_hand, at_ms, after_move) VALUES(?1, ?2, ?3, "
           "(SELECT coalesce(max(id), 0) FROM stock_moves)) ON CONFLICT(gtin) DO UPDATE SET "
           "on_hand = ?2, at_ms = ?3, after_move = excluded.after_move")
        .Bind(1, *gtin)
        .Bind(2, on_hand)
        .Bind(3, books_.now_ms())
        .Run();
    tx.Commit();
    return {};
  });
}

}  // namespace sa::store
