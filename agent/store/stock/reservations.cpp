// SPDX-License-Identifier: Apache-2.0
// Reservations: the orders the OMS routes to the store and the units picked
// for them.
//
// Reserved quantities live in an append-only ledger (reservation_entries):
// an accepted order adds +qty per line; whatever ends it (shipped, handed
// over, released, expired, cancelled) adds the compensating -qty, keyed by
// (order, line, event) and computed from what the line still holds, so a
// compensation can never be applied twice nor over-compensate.
#include <algorithm>
#include <map>

#include "part.hpp"
#include "stock.hpp"
#include "stock_json.hpp"

namespace sa::store {
namespace {

using ledger::Transaction;
using part::BadRequest;
using part::Conflict;
using part::Guarded;
using part::NotFound;
using part::Refused;

constexpr std::int64_t kMaxTtlS = 30 * 24 * 3600;

bool Printable(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return ValidUtf8(s);
}

Error StateError(const Reservation& r, std::string_view wanted) {
  return Conflict("reservation_state",
                  "order " + r.id + " is " + r.status + "; " + std::string(wanted));
}

bool Open(const std::string& status) { return status == "accepted" || status == "picked"; }

}  // namespace

// ------------------------------------------------------------ reservations

std::optional<Reservation> Stock::LoadReservation(std::string_view id) {
  auto st = db_.Cached(
      "SELECT id, kind, status, ttl_s, offered_at_ms, accepted_at_ms, expires_at_ms, closed_at_ms, "
      "cancel_requested_at_ms IS NOT NULL, reason, carrier, tracking_no FROM reservations WHERE id "
      "= ?");
  st.Bind(1, id);
  if (!st.Step()) return std::nullopt;
  Reservation r;
  r.id = st.Text(0);
  r.kind = st.Text(1);
  r.status = st.Text(2);
  r.ttl_s = st.Int(3);
  r.offered_at_ms = st.Int(4);
  if (!st.IsNull(5)) r.accepted_at_ms = st.Int(5);
  if (!st.IsNull(6)) r.expires_at_ms = st.Int(6);
  if (!st.IsNull(7)) r.closed_at_ms = st.Int(7);
  r.cancel_requested = st.Int(8) != 0;
  r.reason = st.Text(9);
  r.carrier = st.Text(10);
  r.tracking_no = st.Text(11);
  auto lines = db_.Cached(
      "SELECT line_no, gtin, qty FROM reservation_lines WHERE reservation_id = ? "
      "ORDER BY line_no");
  lines.Bind(1, id);
  while (lines.Step())
    r.lines.push_back(ReservationLine{lines.Int(0), lines.Text(1), lines.Int(2), {}});
  auto picks = db_.Cached(
      "SELECT line_no, serial FROM reservation_picks WHERE reservation_id = ? "
      "AND state <> 'returned' ORDER BY at_ms, serial");
  picks.Bind(1, id);
  while (picks.Step()) {
    for (auto& l : r.lines) {
      if (l.line_no == picks.Int(0)) l.picked.push_back(picks.Text(1));
    }
  }
  return r;
}

Expected<std::vector<Reservation>> Stock::Reservations(bool include_closed, std::size_t limit) {
  return Guarded([&]() -> Expected<std::vector<Reservation>> {
    std::vector<std::string> ids;
    // The open ones through reservations_open; all of them newest first
    // through reservations_by_offer, stopping at the limit.
    auto st = db_.Cached(
        include_closed
            ? "SELECT id FROM reservations ORDER BY offered_at_ms DESC, id DESC LIMIT ?1"
            : "SELECT id FROM reservations WHERE status IN ('offered', 'accepted', 'picked') "
              "ORDER BY offered_at_ms DESC, id DESC LIMIT ?1");
    st.Bind(1, static_cast<std::int64_t>(limit));
    while (st.Step()) ids.push_back(st.Text(0));
    std::vector<Reservation> out;
    for (const auto& id : ids) out.push_back(*LoadReservation(id));
    return out;
  });
}

Expected<Reservation> Stock::GetReservation(std::string_view id) {
  return Guarded([&]() -> Expected<Reservation> {
    auto r = LoadReservation(id);
    if (!r) return NotFound("reservation_not_found", "no order " + std::string(id));
    return *r;
  });
}

void Stock::SetStatus(const std::string& id, std::string_view status, bool closes) {
  db_.Cached(
         "UPDATE reservations SET status = ?, closed_at_ms = CASE WHEN ? THEN ? ELSE closed_at_ms "
         "END "
         "WHERE id = ?")
      .Bind(1, status)
      .Bind(2, std::int64_t{closes ? 1 : 0})
      .Bind(3, books_.now_ms())
      .Bind(4, id)
      .Run();
}

void Stock::Compensate(const Reservation& r, std::string_view event) {
  for (const auto& line : r.lines) {
    auto held = db_.Cached(
        "SELECT coalesce(sum(qty), 0) FROM reservation_entries "
        "WHERE reservation_id = ? AND line_no = ?");
    held.Bind(1, r.id).Bind(2, line.line_no);
    held.Step();
    const std::int64_t qty = held.Int(0);
    if (qty <= 0) continue;  // nothing left to give back
    db_.Cached(
           "INSERT INTO reservation_entries(reservation_id, line_no, gtin, qty, event, at_ms) "
           "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(reservation_id, line_no, event) DO NOTHING")
        .Bind(1, r.id)
        .Bind(2, line.line_no)
        .Bind(3, line.gtin)
        .Bind(4, -qty)
        .Bind(5, event)
        .Bind(6, books_.now_ms())
        .Run();
  }
}

// Ends a held order without it leaving: its units go back to the shelf.
void Stock::GiveBack(const Reservation& r, std::string_view status, std::string_view reason,
                     std::string_view event_type, const std::optional<Approval>& approved) {
  std::vector<UnitKey> back;  // the units it held, for the event
  for (const auto& l : r.lines) {
    for (const auto& serial : l.picked) back.emplace_back(l.gtin, serial);
  }
  db_.Cached(
         "UPDATE reservation_picks SET state = 'returned' WHERE reservation_id = ? AND state = "
         "'held'")
      .Bind(1, r.id)
      .Run();
  Compensate(r, status);
  db_.Cached("UPDATE reservations SET reason = ? WHERE id = ?").Bind(1, reason).Bind(2, r.id).Run();
  SetStatus(r.id, status, true);
  books_.Append(event_type, events::ReservationEvent(*LoadReservation(r.id),
                                                     events::ReturnedUnits(back, approved)));
}

Expected<void> Stock::RecordOrderOffer(std::string_view id, std::string_view kind,
                                       std::string_view body) {
  if (!Printable(id, 64) || id.find(' ') != std::string_view::npos) {
    return BadRequest("bad_order", "an order id is 1-64 printable characters without spaces");
  }
  if (kind != "ship_from_store" && kind != "pickup") {
    return BadRequest("bad_order", "kind must be ship_from_store or pickup");
  }
  auto offer = events::ParseOrderOffer(body);
  if (!offer) return offer.error();
  std::vector<std::pair<std::string, std::int64_t>> lines;
  for (const auto& [gtin, qty] : offer->lines) {
    auto g = codes::NormaliseGtin(gtin);
    if (!g) return BadRequest("bad_order", "line GTIN: " + g.error().message);
    if (qty < 1 || qty > 9999) return BadRequest("bad_order", "a line's qty is 1..9999");
    lines.emplace_back(*g, qty);
  }
  if (offer->ttl_s < 0 || offer->ttl_s > kMaxTtlS)
    return BadRequest("bad_order", "ttl_s is 1..2592000");
  if (kind == "pickup" && !Printable(offer->pickup_code, 64)) {
    return BadRequest("bad_order", "a pickup order needs its pickup_code");
  }
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    const std::int64_t now = books_.now_ms();
    // The first offer stands: the same order offered again changes nothing.
    db_.Cached(
           "INSERT INTO cloud_orders(id, kind, body, offered_at_ms) VALUES(?, ?, ?, ?) "
           "ON CONFLICT(id) DO NOTHING")
        .Bind(1, id)
        .Bind(2, kind)
        .Bind(3, body)
        .Bind(4, now)
        .Run();
    if (db_.Changes() == 0) {
      tx.Commit();
      return {};
    }
    auto ins = db_.Cached(
        "INSERT INTO reservations(id, kind, status, ttl_s, pickup_code_hash, offered_at_ms) "
        "VALUES(?, ?, 'offered', ?, ?, ?)");
    ins.Bind(1, id).Bind(2, kind).Bind(3, offer->ttl_s);
    if (offer->pickup_code.empty()) {
      ins.BindNull(4);
    } else {
      ins.Bind(4, crypto::ToHex(crypto::Sha256(offer->pickup_code)));
    }
    ins.Bind(5, now).Run();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      db_.Cached(
             "INSERT INTO reservation_lines(reservation_id, line_no, gtin, qty) VALUES(?, ?, ?, ?)")
          .Bind(1, id)
          .Bind(2, static_cast<std::int64_t>(i + 1))
          .Bind(3, lines[i].first)
          .Bind(4, lines[i].second)
          .Run();
    }
    tx.Commit();
    return {};
  });
}

Expected<void> Stock::RecordOrderCancel(std::string_view id) {
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    db_.Cached(
           "UPDATE cloud_orders SET cancel_requested_at_ms = ? WHERE id = ? "
           "AND cancel_requested_at_ms IS NULL")
        .Bind(1, books_.now_ms())
        .Bind(2, id)
        .Run();
    auto r = LoadReservation(id);
    if (r && !r->cancel_requested) {
      db_.Cached("UPDATE reservations SET cancel_requested_at_ms = ? WHERE id = ?")
          .Bind(1, books_.now_ms())
          .Bind(2, id)
          .Run();
      if (r->status == "offered" || Open(r->status)) {
        GiveBack(*r, "cancelled", "cancelled", "reservation.released");
      } else if (r->status == "shipped" || r->status == "handed_over") {
        // No silent change after the units left: the store answers no.
        books_.Append("reservation.cancel_refused",
                      events::ReservationEvent(
                          *LoadReservation(id),
                          events::Fields({{"refusal", "the units already left the store"}})));
      }
    }
    tx.Commit();
    return {};
  });
}

Expected<Reservation> Stock::Accept(std::string_view id, std::int64_t default_ttl_s) {
  return Guarded([&]() -> Expected<Reservation> {
    Transaction tx(db_);
    auto r = LoadReservation(id);
    if (!r) return NotFound("reservation_not_found", "no order " + std::string(id));
    if (r->status != "offered") return StateError(*r, "only an offered order can be accepted");
    std::map<std::string, std::int64_t> wanted;
    for (const auto& l : r->lines) wanted[l.gtin] += l.qty;
    for (const auto& [gtin, qty] : wanted) {
      const std::int64_t free = LevelOf(gtin).available - InOpenCarts(gtin);
      if (free < qty) {
        return Conflict("insufficient_stock",
                        "order " + r->id + " needs " + std::to_string(qty) + " of " + gtin + "; " +
                            std::to_string(std::max<std::int64_t>(free, 0)) +
                            " available (units in open carts count as taken)");
      }
    }
    const std::int64_t now = books_.now_ms();
    for (const auto& l : r->lines) {
      db_.Cached(
             "INSERT INTO reservation_entries(reservation_id, line_no, gtin, qty, event, at_ms) "
             "VALUES(?, ?, ?, ?, 'accepted', ?)")
          .Bind(1, r->id)
          .Bind(2, l.line_no)
          .Bind(3, l.gtin)
          .Bind(4, l.qty)
          .Bind(5, now)
          .Run();
    }
    const std::int64_t ttl =
        r->ttl_s > 0 ? r->ttl_s : std::clamp<std::int64_t>(default_ttl_s, 1, kMaxTtlS);
    db_.Cached(
           "UPDATE reservations SET status = 'accepted', accepted_at_ms = ?, expires_at_ms = ?, "
           "ttl_s = ? WHERE id = ?")
        .Bind(1, now)
        .Bind(2, now + ttl * 1000)
        .Bind(3, ttl)
        .Bind(4, r->id)
        .Run();
    Reservation out = *LoadReservation(id);
    books_.Append("reservation.accepted", events::ReservationEvent(out));
    tx.Commit();
    return out;
  });
}

Expected<Reservation> Stock::Reject(std::string_view id, std::string_view reason) {
  if (!reason.empty() && !Printable(reason, 200))
    return BadRequest("invalid_reason", "a reason is 1-200 characters");
  return Guarded([&]() -> Expected<Reservation> {
    Transaction tx(db_);
    auto r = LoadReservation(id);
    if (!r) return NotFound("reservation_not_found", "no order " + std::string(id));
    if (r->status != "offered") return StateError(*r, "only an offered order can be rejected");
    db_.Cached("UPDATE reservations SET reason = ? WHERE id = ?")
        .Bind(1, reason)
        .Bind(2, r->id)
        .Run();
    SetStatus(r->id, "rejected", true);
    Reservation out = *LoadReservation(id);
    books_.Append("reservation.rejected", events::ReservationEvent(out));
    tx.Commit();
    return out;
  });
}

Expected<Reservation> Stock::Pick(std::string_view id, const CheckedCode& checked) {
  if (auto refused = LabelRefusal(checked)) return *refused;
  const codes::Code& code = checked.code;
  return Guarded([&]() -> Expected<Reservation> {
    Transaction tx(db_);
    auto r = LoadReservation(id);
    if (!r) return NotFound("reservation_not_found", "no order " + std::string(id));
    if (!Open(r->status)) return StateError(*r, "only an accepted order is picked");
    if (auto refused = CaseRefusal(code)) return *refused;
    const ReservationLine* line = nullptr;
    bool on_order = false;
    for (const auto& l : r->lines) {
      if (l.gtin != code.gtin) continue;
      on_order = true;
      if (static_cast<std::int64_t>(l.picked.size()) < l.qty) {
        line = &l;
        break;
      }
    }
    if (!on_order)
      return Refused("gtin_not_in_order", "order " + r->id + " has no line for " + code.gtin);
    if (!line)
      return Conflict("line_complete", "every unit of " + code.gtin + " for this order is picked");
    auto revoked = db_.Cached("SELECT 1 FROM revocations WHERE gtin = ? AND serial = ?");
    revoked.Bind(1, code.gtin).Bind(2, code.serial);
    if (revoked.Step())
      return Refused("code_revoked", "the brand has revoked this label; pick another unit");
    auto sold = db_.Cached("SELECT 1 FROM units WHERE gtin = ? AND serial = ? AND state = 'sold'");
    sold.Bind(1, code.gtin).Bind(2, code.serial);
    if (sold.Step()) return Conflict("serial_already_sold", "this unit was sold; pick another one");
    auto in_cart = db_.Cached(
        "SELECT 1 FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
        "WHERE l.gtin = ? AND l.serial = ? AND s.status = 'open'");
    in_cart.Bind(1, code.gtin).Bind(2, code.serial);
    if (in_cart.Step()) return Conflict("serial_in_cart", "this unit is in an open sale at a till");
    auto taken = db_.Cached(
        "SELECT reservation_id FROM reservation_picks WHERE gtin = ? AND serial = ? "
        "AND state IN ('held', 'gone')");
    taken.Bind(1, code.gtin).Bind(2, code.serial);
    if (taken.Step()) {
      return Conflict("serial_picked", taken.Text(0) == r->id
                                           ? "this unit is already picked for this order"
                                           : "this unit is picked for order " + taken.Text(0));
    }
    db_.Cached(
           "INSERT INTO reservation_picks(reservation_id, line_no, gtin, serial, state, at_ms) "
           "VALUES(?, ?, ?, ?, 'held', ?) ON CONFLICT(reservation_id, gtin, serial) DO UPDATE SET "
           "state = 'held', line_no = excluded.line_no, at_ms = excluded.at_ms")
        .Bind(1, r->id)
        .Bind(2, line->line_no)
        .Bind(3, code.gtin)
        .Bind(4, code.serial)
        .Bind(5, books_.now_ms())
        .Run();
    Reservation out = *LoadReservation(id);
    bool complete = true;
    for (const auto& l : out.lines)
      complete = complete && static_cast<std::int64_t>(l.picked.size()) == l.qty;
    if (complete) {
      SetStatus(out.id, "picked", false);
      out.status = "picked";
    }
    BreakOut({{code.gtin, code.serial}});
    books_.Append("reservation.picked",
                  events::ReservationEvent(
                      out, events::Fields({{"gtin", code.gtin}, {"serial", code.serial}})));
    tx.Commit();
    return out;
  });
}

// The picked units leave the store: moves out, the hold compensated.
Expected<Reservation> Stock::Leave(std::string_view id, std::string_view kind,
                                   std::string_view status,
                                   const std::function<std::optional<Error>(Reservation&)>& check) {
  return Guarded([&]() -> Expected<Reservation> {
    Transaction tx(db_);
    auto r = LoadReservation(id);
    if (!r) return NotFound("reservation_not_found", "no order " + std::string(id));
    if (r->kind != kind) {
      return Conflict("wrong_kind", "order " + r->id + " is a " + r->kind + " order");
    }
    if (r->status != "picked") return StateError(*r, "pick every unit first");
    if (auto refused = check(*r)) return *refused;
    const std::int64_t now = books_.now_ms();
    for (const auto& l : r->lines) {
      for (const auto& serial : l.picked) {
        db_.Cached(
               "INSERT INTO stock_moves(gtin, serial, delta, reason, ref, at_ms) VALUES(?, ?, -1, "
               "?, ?, ?)")
            .Bind(1, l.gtin)
            .Bind(2, serial)
            .Bind(3, status)
            .Bind(4, r->id)
            .Bind(5, now)
            .Run();
      }
    }
    db_.Cached(
           "UPDATE reservation_picks SET state = 'gone' WHERE reservation_id = ? AND state = "
           "'held'")
        .Bind(1, r->id)
        .Run();
    Compensate(*r, status);
    SetStatus(r->id, status, true);
    Reservation out = *LoadReservation(id);
    books_.Append(std::string("reservation.") + std::string(status), events::ReservationEvent(out));
    tx.Commit();
    return out;
  });
}

Expected<Reservation> Stock::Ship(std::string_view id, std::string_view carrier,
                                  std::string_view tracking_no) {
  if (!Printable(carrier, 64) || !Printable(tracking_no, 64)) {
    return BadRequest("invalid_shipment", "carrier and tracking_no are 1-64 characters each");
  }
  return Leave(id, "ship_from_store", "shipped", [&](Reservation& r) -> std::optional<Error> {
    db_.Cached("UPDATE reservations SET carrier = ?, tracking_no = ? WHERE id = ?")
        .Bind(1, carrier)
        .Bind(2, tracking_no)
        .Bind(3, r.id)
        .Run();
    return std::nullopt;
  });
}

Expected<Reservation> Stock::HandOver(std::string_view id, std::string_view pickup_code) {
  if (pickup_code.empty() || pickup_code.size() > 64) {
    return BadRequest("invalid_pickup_code", "the customer's pickup code is 1-64 characters");
  }
  return Leave(id, "pickup", "handed_over", [&](Reservation& r) -> std::optional<Error> {
    auto st = db_.Cached("SELECT pickup_code_hash FROM reservations WHERE id = ?");
    st.Bind(1, r.id);
    st.Step();
    if (!crypto::ConstantTimeEqual(st.Text(0), crypto::ToHex(crypto::Sha256(pickup_code)))) {
      return Refused("pickup_code_mismatch", "that is not this order's pickup code");
    }
    return std::nullopt;
  });
}

Expected<Reservation> Stock::Release(std::string_view id, std::string_view reason,
                                     const std::optional<Approval>& approved) {
  if (!reason.empty() && !Printable(reason, 200))
    return BadRequest("invalid_reason", "a reason is 1-200 characters");
  return Guarded([&]() -> Expected<Reservation> {
    Transaction tx(db_);
    auto r = LoadReservation(id);
    if (!r) return NotFound("reservation_not_found", "no order " + std::string(id));
    if (!Open(r->status)) return StateError(*r, "only an accepted order holds stock to release");
    GiveBack(*r, "released", reason.empty() ? "released by a manager" : reason,
             "reservation.released", approved);
    Reservation out = *LoadReservation(id);
    tx.Commit();
    return out;
  });
}

Expected<bool> Stock::AnyExpired() {
  return Guarded([&]() -> Expected<bool> {
    auto st = db_.Cached(
        "SELECT 1 FROM reservations WHERE status = 'accepted' AND expires_at_ms <= ? LIMIT 1");
    st.Bind(1, books_.now_ms());
    return st.Step();
  });
}

Expected<std::size_t> Stock::ExpireReservations() {
  return Guarded([&]() -> Expected<std::size_t> {
    Transaction tx(db_);
    std::vector<std::string> due;
    // An order fully picked and waiting for its courier or customer does
    // not lapse: its units are set aside; a manager releases it if need be.
    auto st = db_.Cached(
        "SELECT id FROM reservations WHERE status = 'accepted' "
        "AND expires_at_ms <= ? ORDER BY expires_at_ms");
    st.Bind(1, books_.now_ms());
    while (st.Step()) due.push_back(st.Text(0));
    for (const auto& id : due)
      GiveBack(*LoadReservation(id), "expired", "ttl lapsed", "reservation.expired");
    tx.Commit();
    return due.size();
  });
}

}  // namespace sa::store
