// SPDX-License-Identifier: Apache-2.0
// What the cloud tells the store and what the store tells its manager: the
// sync cursors, pulled catalog rows, allocations, revocations and keys, and
// alerts. Called by sync (through the daemon's writer), each one
// transaction; a pulled page nests them as savepoints of its own.
#include "inbox.hpp"

#include "part.hpp"
#include "stock_json.hpp"

namespace sa::store {
namespace {

using ledger::Transaction;
using part::BadRequest;
using part::Guarded;
using part::NotFound;

constexpr MinorUnits kMaxPriceMinor = 1'000'000'000'000;

// Printable ASCII without spaces: what serials, regions and ids are made of.
bool Token(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

void SetState(ledger::Database& db, std::string_view key, std::int64_t value) {
  db.Cached(
        "INSERT INTO sync_state(key, value) VALUES(?1, ?2) "
        "ON CONFLICT(key) DO UPDATE SET value = ?2")
      .Bind(1, key)
      .Bind(2, value)
      .Run();
}

std::int64_t State(ledger::Database& db, std::string_view key) {
  auto st = db.Cached("SELECT value FROM sync_state WHERE key = ?");
  st.Bind(1, key);
  return st.Step() ? st.Int(0) : 0;
}

}  // namespace

Inbox::Inbox(Books& books, Stock& stock)
    : books_(books), stock_(stock), db_(books.db()), config_(books.config()) {}

Expected<void> Inbox::RecordAck(std::int64_t acked_seq) {
  if (acked_seq < 0) return BadRequest("bad_ack", "acked_seq cannot be negative");
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    // One row, not one per event: marking 500 outbox rows per push rewrote
    // their pages into the WAL and made the writer checkpoint during sales.
    // outbox.pushed_at_ms (schema v1) is no longer written; acked_seq is the
    // truth, and a lower one (a cloud restored from a backup) is a rewind.
    SetState(db_, "acked_seq", acked_seq);
    tx.Commit();
    return {};
  });
}

Expected<void> Inbox::SetPullCursor(std::int64_t cursor) {
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    SetState(db_, "cursor", cursor);
    tx.Commit();
    return {};
  });
}

Expected<SyncState> Inbox::GetSyncState() {
  return Guarded([&]() -> Expected<SyncState> {
    SyncState s;
    s.acked_seq = State(db_, "acked_seq");
    s.cursor = State(db_, "cursor");
    auto st = db_.Cached("SELECT coalesce(max(seq), 0) FROM outbox");
    st.Step();
    s.last_seq = st.Int(0);
    return s;
  });
}

Expected<void> Inbox::UpsertProduct(const Product& p) {
  auto gtin = codes::NormaliseGtin(p.gtin);
  if (!gtin) return BadRequest("bad_product", gtin.error().message);
  if (p.name.empty() || p.name.size() > 200 || !ValidUtf8(p.name)) {
    return BadRequest("bad_product", "a product name is 1-200 bytes of UTF-8");
  }
  if (p.price_minor < 0 || p.price_minor > kMaxPriceMinor) {
    return BadRequest("bad_product", "price_minor must be 0..1000000000000");
  }
  if (p.tax_rate_bp < 0 || p.tax_rate_bp > 10000) {
    return BadRequest("bad_product", "tax_rate_bp must be 0..10000");
  }
  const std::string currency = p.currency.empty() ? config_.currency : p.currency;
  if (currency.size() != 3) return BadRequest("bad_product", "currency is a 3-letter ISO code");
  // A price is a number of minor units of the store's currency: one in
  // another would sell at the same number of fen.
  if (currency != config_.currency) {
    return BadRequest("currency_mismatch", "product " + *gtin + " is priced in " + currency +
                                               "; this store sells in " + config_.currency);
  }
  if (p.name_zh.size() > 200 || !ValidUtf8(p.name_zh)) {
    return BadRequest("bad_product", "name_zh is at most 200 bytes of UTF-8");
  }
  if (p.category.size() > 64 || !ValidUtf8(p.category)) {
    return BadRequest("bad_product", "category is at most 64 bytes of UTF-8");
  }
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    Product row = p;
    row.gtin = *gtin;
    row.currency = currency;
    books_.WriteProduct(row);
    tx.Commit();
    return {};
  });
}

Expected<void> Inbox::UpsertPromotion(const pricing::Promotion& p) {
  if (auto problem = pricing::Problem(p); !problem.empty()) {
    return BadRequest("bad_promotion", "promotion " + p.id.substr(0, 64) + ": " + problem);
  }
  std::string gtins;
  for (const auto& g : p.gtins) gtins += (gtins.empty() ? "" : ",") + g;
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    auto st = db_.Cached(
        "INSERT INTO promotions(id, name, kind, gtins, category, percent_bp, amount_minor, "
        "threshold_minor, repeat, buy, get, priority, stackable, starts_at_ms, ends_at_ms, "
        "updated_at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
        "?16) ON CONFLICT(id) DO UPDATE SET name = ?2, kind = ?3, gtins = ?4, category = ?5, "
        "percent_bp = ?6, amount_minor = ?7, threshold_minor = ?8, repeat = ?9, buy = ?10, "
        "get = ?11, priority = ?12, stackable = ?13, starts_at_ms = ?14, ends_at_ms = ?15, "
        "updated_at_ms = ?16");
    st.Bind(1, p.id)
        .Bind(2, p.name)
        .Bind(3, pricing::KindName(p.kind))
        .BindTextOrNull(4, gtins)
        .BindTextOrNull(5, p.category)
        .Bind(6, std::int64_t{p.percent_bp})
        .Bind(7, p.amount)
        .Bind(8, p.threshold)
        .Bind(9, std::int64_t{p.repeat ? 1 : 0})
        .Bind(10, p.buy)
        .Bind(11, p.get)
        .Bind(12, p.priority)
        .Bind(13, std::int64_t{p.stackable ? 1 : 0})
        .Bind(14, p.starts_at_ms);
    if (p.ends_at_ms) {
      st.Bind(15, *p.ends_at_ms);
    } else {
      st.BindNull(15);
    }
    st.Bind(16, books_.now_ms()).Run();
    books_.PricingWritten();
    tx.Commit();
    return {};
  });
}

Expected<void> Inbox::DeletePromotion(std::string_view id) {
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    db_.Cached("DELETE FROM promotions WHERE id = ?").Bind(1, id).Run();
    books_.PricingWritten();
    tx.Commit();
    return {};
  });
}

Expected<void> Inbox::UpsertPriceList(const pricing::PriceList& list) {
  if (auto problem = pricing::Problem(list); !problem.empty()) {
    return BadRequest("bad_price_list", "price list " + list.id.substr(0, 64) + ": " + problem);
  }
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    // Replaced whole: a price the new list drops is gone.
    db_.Cached("DELETE FROM price_list_prices WHERE list_id = ?").Bind(1, list.id).Run();
    auto head = db_.Cached(
        "INSERT INTO price_lists(id, group_name, name, starts_at_ms, ends_at_ms, updated_at_ms) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET group_name = ?2, "
        "name = ?3, starts_at_ms = ?4, ends_at_ms = ?5, updated_at_ms = ?6");
    head.Bind(1, list.id).Bind(2, list.group).Bind(3, list.name).Bind(4, list.starts_at_ms);
    if (list.ends_at_ms) {
      head.Bind(5, *list.ends_at_ms);
    } else {
      head.BindNull(5);
    }
    head.Bind(6, books_.now_ms()).Run();
    for (const auto& p : list.prices) {
      db_.Cached("INSERT INTO price_list_prices(list_id, gtin, price_minor) VALUES(?, ?, ?)")
          .Bind(1, list.id)
          .Bind(2, p.gtin)
          .Bind(3, p.price)
          .Run();
    }
    books_.PricingWritten();  // open carts are priced again when paid
    tx.Commit();
    return {};
  });
}

Expected<void> Inbox::DeletePriceList(std::string_view id) {
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    db_.Cached("DELETE FROM price_lists WHERE id = ?").Bind(1, id).Run();
    books_.PricingWritten();
    tx.Commit();
    return {};
  });
}

Expected<void> Inbox::AddAllocation(const Allocation& a) {
  auto gtin = codes::NormaliseGtin(a.gtin);
  if (!gtin) return BadRequest("bad_allocation", gtin.error().message);
  if (!Token(a.serial_from, 20) || !Token(a.serial_to, 20) ||
      a.serial_from.size() != a.serial_to.size() || a.serial_from > a.serial_to) {
    return BadRequest("bad_allocation",
                      "serial_from..serial_to must be serials of equal length, in order");
  }
  if (!Token(a.region, 64)) return BadRequest("bad_allocation", "region must be 1-64 characters");
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    auto st = db_.Cached(
        "INSERT INTO allocations(gtin, serial_from, serial_to, region, lot, at_ms) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(gtin, serial_from, serial_to) DO UPDATE SET "
        "region = ?4, lot = ?5, at_ms = ?6");
    st.Bind(1, *gtin).Bind(2, a.serial_from).Bind(3, a.serial_to).Bind(4, a.region);
    if (a.lot.empty()) {
      st.BindNull(5);
    } else {
      st.Bind(5, a.lot);
    }
    st.Bind(6, books_.now_ms()).Run();
    tx.Commit();
    return {};
  });
}

Expected<void> Inbox::RecordKey(std::string_view kind, std::string_view pem, bool retired) {
  if (kind != "brand" && kind != "member") return BadRequest("bad_key", "kind is brand or member");
  auto key = crypto::VerifyKey::FromPem(pem);
  if (!key) return BadRequest("bad_key", "not a P-256 public key PEM");
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    db_.Cached(
           "INSERT INTO cloud_keys(kind, pem, retired, at_ms) VALUES(?1, ?2, ?3, ?4) "
           "ON CONFLICT(kind, pem) DO UPDATE SET retired = ?3, at_ms = ?4")
        .Bind(1, kind)
        .Bind(2, pem)
        .Bind(3, retired ? 1 : 0)
        .Bind(4, books_.now_ms())
        .Run();
    tx.Commit();
    books_.ReloadKeys();  // codes checked from now on see the rotation
    return {};
  });
}

Expected<void> Inbox::RecordClaim(std::string_view sale_id, std::string_view member_id,
                                  std::int64_t claimed_at_ms) {
  // Ids as every id here: a sale's has no '.' (sale ids are UUIDs).
  if (!IsValidId(sale_id) || sale_id.find('.') != std::string_view::npos || !IsValidId(member_id)) {
    return BadRequest("bad_claim", "a claim needs a sale_id and a member_id (1-64 characters)");
  }
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    db_.Cached(
           "INSERT INTO sale_claims(sale_id, member_id, claimed_at_ms) VALUES(?, ?, ?) "
           "ON CONFLICT(sale_id) DO NOTHING")
        .Bind(1, sale_id)
        .Bind(2, member_id)
        .Bind(3, claimed_at_ms)
        .Run();
    tx.Commit();
    return {};
  });
}

Expected<std::vector<ShiftReconciliation>> Inbox::PendingReconciliations(std::size_t limit) {
  return Guarded([&]() -> Expected<std::vector<ShiftReconciliation>> {
    std::vector<ShiftReconciliation> out;
    auto st = db_.Cached(
        "SELECT r.shift_id, r.last_seq, s.terminal, s.opened_at_ms, coalesce(s.closed_at_ms, 0) "
        "FROM shift_reconciliations r JOIN shifts s ON s.id = r.shift_id "
        "WHERE r.status = 'pending' ORDER BY r.shift_id LIMIT ?");
    st.Bind(1, static_cast<std::int64_t>(limit));
    while (st.Step()) {
      out.push_back(
          ShiftReconciliation{st.Text(0), st.Text(2), st.Int(3), st.Int(4), st.Int(1), {}, {}});
    }
    for (auto& r : out) {
      auto sales = db_.Cached(
          "SELECT id, total_minor FROM sales WHERE shift_id = ? AND status = 'completed' "
          "ORDER BY id");
      sales.Bind(1, r.shift_id);
      while (sales.Step()) r.sales.push_back({sales.Text(0), sales.Int(1)});
      auto refunds =
          db_.Cached("SELECT id, amount_minor FROM refunds WHERE shift_id = ? ORDER BY id");
      refunds.Bind(1, r.shift_id);
      while (refunds.Step()) r.refunds.push_back({refunds.Text(0), refunds.Int(1)});
    }
    return out;
  });
}

Expected<void> Inbox::RecordReconciliation(std::string_view shift_id, std::string_view status,
                                           std::string_view detail, std::string_view summary) {
  if (status != "match" && status != "mismatch") {
    return BadRequest("bad_reconciliation", "a reconciliation is match or mismatch");
  }
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    db_.Cached(
           "UPDATE shift_reconciliations SET status = ?, detail = ?, checked_at_ms = ? "
           "WHERE shift_id = ? AND status = 'pending'")
        .Bind(1, status)
        .Bind(2, detail)
        .Bind(3, books_.now_ms())
        .Bind(4, shift_id)
        .Run();
    if (status == "mismatch" && db_.Changes() > 0) {
      Alert alert;
      alert.code = "reconciliation_mismatch";
      alert.message = std::string(summary);
      alert.detail = std::string(detail);
      alert.source = "cloud";
      books_.InsertAlert(alert, "reconcile:" + std::string(shift_id));
    }
    tx.Commit();
    return {};
  });
}

Expected<void> Inbox::RaiseAlert(const Alert& alert, std::string_view dedupe_key) {
  if (alert.code.empty() || alert.message.empty()) {
    return BadRequest("bad_alert", "an alert needs a code and a message");
  }
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    books_.InsertAlert(alert, dedupe_key);
    tx.Commit();
    return {};
  });
}

Expected<std::vector<Alert>> Inbox::Alerts(bool include_acknowledged, std::size_t limit) {
  return Guarded([&]() -> Expected<std::vector<Alert>> {
    std::vector<Alert> out;
    auto st = db_.Cached(
        "SELECT id, code, message, detail, source, at_ms, acknowledged_at_ms IS NOT NULL "
        "FROM alerts WHERE ?1 OR acknowledged_at_ms IS NULL ORDER BY id DESC LIMIT ?2");
    st.Bind(1, std::int64_t{include_acknowledged ? 1 : 0})
        .Bind(2, static_cast<std::int64_t>(limit));
    while (st.Step()) {
      out.push_back(Alert{st.Int(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Int(5),
                          st.Int(6) != 0});
    }
    return out;
  });
}

Expected<void> Inbox::AcknowledgeAlert(std::int64_t id) {
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    db_.Cached(
           "UPDATE alerts SET acknowledged_at_ms = coalesce(acknowledged_at_ms, ?) WHERE id = ?")
        .Bind(1, books_.now_ms())
        .Bind(2, id)
        .Run();
    if (db_.Changes() == 0) return NotFound("alert_not_found", "no alert " + std::to_string(id));
    tx.Commit();
    return {};
  });
}

Expected<void> Inbox::Revoke(std::string_view gtin14, std::string_view serial,
                             std::string_view reason) {
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    db_.Cached(
           "INSERT INTO revocations(gtin, serial, reason, at_ms) VALUES(?, ?, ?, ?) "
           "ON CONFLICT DO NOTHING")
        .Bind(1, gtin14)
        .Bind(2, serial)
        .Bind(3, reason)
        .Bind(4, books_.now_ms())
        .Run();
    // A unit on the store's shelf is taken out of trade: an event of its own
    // (EPCIS decommissioning), once, however often the revocation arrives.
    if (db_.Changes() > 0) {
      auto on_shelf =
          db_.Cached("SELECT 1 FROM units WHERE gtin = ? AND serial = ? AND state = 'in_stock'");
      on_shelf.Bind(1, gtin14).Bind(2, serial);
      if (on_shelf.Step()) {
        books_.Append("unit.revoked", events::Fields({{"gtin", std::string(gtin14)},
                                                      {"serial", std::string(serial)},
                                                      {"reason", std::string(reason)}}));
      }
    }
    tx.Commit();
    return {};
  });
}

}  // namespace sa::store
