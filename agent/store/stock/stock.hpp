// SPDX-License-Identifier: Apache-2.0
// Stock and reservations (invariant 5: available = on_hand - reserved): what
// the store has of each GTIN, the units scanned in and counted, the orders
// the OMS routes to the store (ship-from-store, pickup) and the units picked
// for them. Each operation is one transaction, its state change committed
// with its outbox event.
//
// Errors (Error::code): invalid_gtin, invalid_count, unknown_product,
// not_a_unit, code_forged, not_serialised, serial_already_sold,
// unit_already_received, stock_reserved, unit_shipped,
// reservation_not_found, reservation_state, insufficient_stock, wrong_kind,
// gtin_not_in_order, pickup_code_mismatch, invalid_field, bad_order, bad_stock,
// bad_online_order, unit_not_in_order, unit_already_returned, unit_sold_here,
// cash_refund_not_allowed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "books.hpp"

namespace sa::store {

namespace events {
struct Shipment;
}

// A unit or a case by its label: GTIN-14 and serial.
using UnitKey = std::pair<std::string, std::string>;

// Stock of one GTIN: on_hand is the cloud's last snapshot plus every local
// move since (receipts, counts, sales, refunds, shipments); reserved is what
// accepted orders hold; available the rest.
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

// An order the OMS routed to this store and what the store did with it.
//   offered -> accepted -> picked -> shipped | handed_over
//   offered -> rejected | cancelled
//   accepted | picked -> released | expired | cancelled
struct Reservation {
  std::string id;
  std::string kind;  // ship_from_store | pickup
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

// An order a customer paid for in the brand's online mall (mini-program,
// app, web), as the cloud tells it (sync/PROTOCOL.md §5a): one line per unit.
struct OnlineOrderLine {
  std::int64_t line_no = 0;
  std::string gtin;
  std::string serial;
  std::string name;
  MinorUnits price = 0;
  bool returned = false;  // the cloud already took this unit back
};
struct OnlineOrder {
  std::string number;
  std::string channel;
  std::string currency;
  std::string paid_method;
  MinorUnits paid_amount = 0;
  std::vector<OnlineOrderLine> lines;
};
// The cloud's order JSON read; bad_online_order when it is not one.
Expected<OnlineOrder> ParseOnlineOrder(std::string_view json);

// A unit of an online order taken back at this store's counter.
struct OnlineReturn {
  std::string id;
  std::string order_no;
  std::string channel;
  std::vector<OnlineOrderLine> lines;  // the units taken back
  MinorUnits amount = 0;               // what the cloud refunds to the original payment
  std::string currency;
  std::string refund_via;  // cloud: the OMS refunds the order; the till pays nothing
  std::string terminal;
  std::string cashier;
  std::optional<Approval> approved;
  std::int64_t at_ms = 0;
};
// {"id","order_no","channel","units":[{"gtin","serial","name","price"}],
// "amount","currency","refund_via","terminal","cashier","approved_by","at"}.
std::string OnlineReturnJson(const OnlineReturn& r);

class Stock {
 public:
  explicit Stock(Books& books);

  Expected<StockLevel> Level(std::string_view gtin);
  // A unit scanned in at a shelf or stockroom device: stock.received (a
  // plain GTIN, an item sold by quantity, is one more of it: serial null). A
  // case's label (a case the cloud's shipment described) receives every unit
  // packed in it that the store does not hold yet: stock.case_received.
  Expected<StockLevel> Receive(const CheckedCode& checked);
  // A `shipment` change from the cloud (sync/PROTOCOL.md §5): its cases and
  // the units packed in each. Refused whole (bad_shipment, with the reason)
  // when a unit is in two cases, a case is inside itself, a GTIN is not in
  // the catalog or a case holds more than case_max_units; nothing is kept.
  Expected<void> RecordShipment(std::string_view body);
  // Inside a sale's or pick's transaction: the units leave their cases
  // (case.unpacked, one event per case). Throws ledger::Failure.
  void BreakOut(const std::vector<UnitKey>& units);
  // A count of one GTIN: the variance becomes a move; stock.counted.
  Expected<StockLevel> Count(std::string_view gtin, std::int64_t counted);
  // An online order's units brought back to the counter (`serials`, each on
  // a line of `order`, which the caller fetched from the cloud just now): in
  // one transaction each unit goes into this store's stock (a stock move
  // 'online_return'), and one return.received event asks the cloud to
  // refund the order's payment (`refund_via` "cloud"; "cash", a refund paid
  // out of the till, is not built and is refused cash_refund_not_allowed).
  // Refused, with nothing changed: unit_not_in_order, unit_already_returned
  // (the cloud or this store already took it back), unit_sold_here (this
  // store's own sale holds it: that is a refund), unit_already_received,
  // unknown_product, invalid_field.
  Expected<OnlineReturn> ReceiveOnlineReturn(const OnlineOrder& order,
                                             const std::vector<std::string>& serials,
                                             std::string_view refund_via, std::string_view terminal,
                                             std::string_view cashier,
                                             const std::optional<Approval>& approved);
  // The cloud's count of a GTIN; local moves after it are added on top.
  Expected<void> SetSnapshot(std::string_view gtin14, std::int64_t on_hand);

  Expected<std::vector<Reservation>> Reservations(bool include_closed, std::size_t limit);
  Expected<Reservation> GetReservation(std::string_view id);
  // An order offered by the cloud becomes an `offered` reservation (body:
  // the order.offered data: id, kind, lines[{gtin,qty}], ttl_s, pickup_code).
  Expected<void> RecordOrderOffer(std::string_view id, std::string_view kind,
                                  std::string_view body);
  // The cloud asks to cancel: an offered or held order is cancelled (its
  // units back to stock, reservation.released with reason "cancelled"); a
  // shipped or handed-over one cannot be and says so (reservation.cancel_refused).
  Expected<void> RecordOrderCancel(std::string_view id);
  // Reserves every line (insufficient_stock when the store cannot hold them)
  // and starts the TTL: the order's ttl_s, else `default_ttl_s`.
  Expected<Reservation> Accept(std::string_view id, std::int64_t default_ttl_s = 1800);
  Expected<Reservation> Reject(std::string_view id, std::string_view reason);
  // One unit scanned for the order: its GTIN on an open line, the serial
  // not sold, not revoked, not in a cart, not picked for another order. (A
  // serial need not have been received one by one: snapshots count units.)
  Expected<Reservation> Pick(std::string_view id, const CheckedCode& checked);
  Expected<Reservation> Ship(std::string_view id, std::string_view carrier,
                             std::string_view tracking_no);
  Expected<Reservation> HandOver(std::string_view id, std::string_view pickup_code);
  // By a manager (`approved`, recorded in reservation.released; who may is
  // the caller's rule: sessions::Approve): the units go back to stock.
  Expected<Reservation> Release(std::string_view id, std::string_view reason,
                                const std::optional<Approval>& approved = std::nullopt);
  // Every accepted order whose TTL has lapsed before it was fully picked
  // gives its stock back (reservation.expired); a fully picked one waits for
  // its courier or customer. Returns how many expired.
  Expected<std::size_t> ExpireReservations();
  // Whether ExpireReservations has anything to do (a read: an idle store
  // box need not commit durably every few seconds to learn it has not).
  Expected<bool> AnyExpired();

  // The till's half of invariant 5, inside a sale's transaction (throws
  // ledger::Failure): a unit picked for an order is not for sale, nor is
  // the last unit an order holds unless a manager overrides (which writes
  // stock.override).
  // A case's label scanned where a unit belongs (the till, a pick):
  // case_not_unit. Inside a transaction; throws ledger::Failure.
  std::optional<Error> CaseRefusal(const codes::Code& code);
  std::optional<Error> RefusalAtTill(std::string_view sale_id, const codes::Code& code,
                                     const std::optional<Override>& by);

 private:
  // All throw ledger::Failure; they run inside a transaction.
  StockLevel LevelOf(const std::string& gtin14);
  std::int64_t ReservedOf(const std::string& gtin14);
  std::int64_t InOpenCarts(const std::string& gtin14);
  // Why this code cannot be received or picked as a unit (`plain_ok`: a
  // plain GTIN is one of its product, as receiving takes it), or nothing.
  std::optional<Error> LabelRefusal(const CheckedCode& checked, bool plain_ok = false) const;
  bool IsCase(const std::string& gtin, const std::string& serial);
  // A shipment's cases with their units, or the first rule one breaks.
  Expected<std::vector<std::pair<UnitKey, std::vector<UnitKey>>>> CheckShipment(
      const events::Shipment& shipment);
  Expected<StockLevel> ReceiveCase(const codes::Code& code);
  std::optional<Reservation> LoadReservation(std::string_view id);
  void SetStatus(const std::string& id, std::string_view status, bool closes);
  void Compensate(const Reservation& r, std::string_view event);
  void GiveBack(const Reservation& r, std::string_view status, std::string_view reason,
                std::string_view event_type,
                const std::optional<Approval>& approved = std::nullopt);
  Expected<Reservation> Leave(std::string_view id, std::string_view kind, std::string_view status,
                              const std::function<std::optional<Error>(Reservation&)>& check);

  Books& books_;
  ledger::Database& db_;
  const Config& config_;
};

}  // namespace sa::store
