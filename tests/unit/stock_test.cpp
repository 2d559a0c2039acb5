// SPDX-License-Identifier: Apache-2.0
// Stock and reservations (docs/design.md invariant 5) through the store, in
// process, on a fresh ledger each: Stock() as snapshot plus moves, receipts
// and counts, the order lifecycle (offered, accepted, picked, shipped or
// handed over; rejected, released, expired, cancelled), the TTL, the
// compensation ledger (reservation_entries), the till's refusal to sell what
// an order holds, and a seeded randomised run that checks the books after
// every step.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "ledger_shop.hpp"
#include "store.hpp"
#include "sync.hpp"

using namespace sa;
using namespace sa::testing;
using nlohmann::json;

namespace {

template <class T>
std::string CodeOf(const Expected<T>& r) {
  if (r.has_value()) return "(succeeded)";
  return r.error().code;
}

json Lines(std::initializer_list<std::pair<std::string, std::int64_t>> lines) {
  json out = json::array();
  for (const auto& [gtin, qty] : lines) out.push_back(json{{"gtin", gtin}, {"qty", qty}});
  return out;
}

struct Shop : LedgerShop {
  // on_tmpfs: the randomised test puts its ledger on /dev/shm when there is one.
  explicit Shop(const std::function<void(store::Config&)>& tweak = {}, bool on_tmpfs = false)
      : LedgerShop({.prefix = "sa-stock", .tweak = tweak, .on_tmpfs = on_tmpfs}) {}

  store::CheckedCode Unit(const std::string& gtin, const std::string& serial) const {
    auto checked = shop->books.CheckCode(Label(gtin, serial));
    REQUIRE(checked);
    return *checked;
  }
  store::CheckedCode Forged(const std::string& gtin, const std::string& serial) const {
    static const crypto::SigningKey rogue = crypto::SigningKey::Generate();
    auto checked = shop->books.CheckCode(codes::MakeDigitalLink(
        "id.brand.example", gtin, serial, codes::SignLabel(gtin, serial, rogue)));
    REQUIRE(checked);
    REQUIRE(checked->signature == codes::SignatureState::invalid);
    return *checked;
  }

  store::StockLevel Level(const std::string& gtin) {
    auto level = shop->stock.Level(gtin);
    REQUIRE(level);
    return *level;
  }
  void Receive(const std::string& gtin, const std::string& serial) {
    auto r = shop->stock.Receive(Unit(gtin, serial));
    INFO(CodeOf(r));
    REQUIRE(r);
  }
  // One completed sale of these units.
  std::string Sell(const std::string& gtin, const std::string& serial) {
    const std::string id = Open();
    auto scanned = shop->sales.AddCheckedCode(id, Unit(gtin, serial));
    INFO(CodeOf(scanned));
    REQUIRE(scanned);
    REQUIRE(shop->sales.Complete(id, {{"card", scanned->total, "t1"}}));
    return id;
  }
  Expected<store::Sale> TrySell(const std::string& gtin, const std::string& serial,
                                const std::optional<store::Override>& by = std::nullopt) {
    const std::string id = Open();
    auto scanned = shop->sales.AddCheckedCode(id, Unit(gtin, serial), by);
    if (!scanned) {
      REQUIRE(shop->sales.Void(id, "refused"));
      return scanned;
    }
    return shop->sales.Complete(id, {{"card", scanned->total, "t1"}});
  }

  void Offer(const std::string& id, const std::string& kind, const json& lines,
             std::int64_t ttl_s = 600, const std::string& pickup_code = "4821") {
    json body{{"id", id}, {"kind", kind}, {"lines", lines}, {"ttl_s", ttl_s}};
    if (kind == "pickup") body["pickup_code"] = pickup_code;
    auto r = shop->stock.RecordOrderOffer(id, kind, body.dump());
    INFO(CodeOf(r));
    REQUIRE(r);
  }
  store::Reservation Res(const std::string& id) {
    auto r = shop->stock.GetReservation(id);
    REQUIRE(r);
    return *r;
  }

  std::int64_t Seq() { return Count("SELECT coalesce(max(seq), 0) FROM outbox"); }
  // Exactly one event after `seq`, of this type; its payload.
  json OneEvent(std::int64_t seq, const std::string& type) {
    auto events = EventsAfter(seq);
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == type);
    return json::parse(events[0].payload);
  }

  // Everything stock and reservations keep, as text: "changes nothing" is
  // this string unchanged.
  std::string State() {
    std::string out;
    const char* queries[] = {
        "SELECT id || '|' || kind || '|' || status || '|' || ttl_s || '|' || "
        "coalesce(accepted_at_ms, '-') || '|' "
        "|| coalesce(expires_at_ms, '-') || '|' || coalesce(closed_at_ms, '-') || '|' || "
        "coalesce(cancel_requested_at_ms, '-') || '|' || reason || '|' || carrier || '|' || "
        "tracking_no "
        "FROM reservations ORDER BY id",
        "SELECT reservation_id || '|' || line_no || '|' || gtin || '|' || qty FROM "
        "reservation_lines "
        "ORDER BY 1",
        "SELECT reservation_id || '|' || gtin || '|' || serial || '|' || state || '|' || line_no "
        "FROM reservation_picks ORDER BY 1",
        "SELECT id || '|' || reservation_id || '|' || line_no || '|' || qty || '|' || event "
        "FROM reservation_entries ORDER BY id",
        "SELECT id || '|' || gtin || '|' || coalesce(serial, '-') || '|' || delta || '|' || reason "
        "FROM stock_moves ORDER BY id",
        "SELECT gtin || '|' || serial || '|' || state FROM units ORDER BY 1",
        "SELECT gtin || '|' || on_hand || '|' || after_move FROM stock_snapshots ORDER BY 1",
        "SELECT seq || '|' || type FROM outbox ORDER BY seq",
        "SELECT id || '|' || status FROM sales ORDER BY 1",
        "SELECT count(*) FROM sale_lines",
    };
    for (const char* q : queries) {
      auto st = db->Cached(q);
      while (st.Step()) out += st.Text(0) + "\n";
      out += "--\n";
    }
    return out;
  }

  // Sum of reservation_entries of one order line.
  std::int64_t Held(const std::string& id, std::int64_t line_no) {
    return Count("SELECT coalesce(sum(qty), 0) FROM reservation_entries WHERE reservation_id = '" +
                 id + "' AND line_no = " + std::to_string(line_no));
  }
  std::int64_t Entries(const std::string& id) {
    return Count("SELECT count(*) FROM reservation_entries WHERE reservation_id = '" + id + "'");
  }
};

void Unsigned(store::Config& c) { c.require_signature = false; }

}  // namespace

// ------------------------------------------------------------------ Stock()

TEST_CASE("Stock is the snapshot plus every move after it", "[stock][level]") {
  Shop s;
  CHECK(s.Level(kScarf).on_hand == 0);
  CHECK(s.Level(kScarf).available == 0);
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 5));
  CHECK(s.Level(kScarf).on_hand == 5);

  const std::string sale = s.Sell(kScarf, "S1");  // -1
  CHECK(s.Level(kScarf).on_hand == 4);
  REQUIRE(s.shop->sales.RefundUnits(sale, {"S1"}));  // +1
  CHECK(s.Level(kScarf).on_hand == 5);
  s.Receive(kScarf, "R1");  // +1
  CHECK(s.Level(kScarf).on_hand == 6);
  REQUIRE(s.shop->stock.Count(kScarf, 3));  // variance -3
  CHECK(s.Level(kScarf).on_hand == 3);
  s.Sell(kScarf, "S2");
  CHECK(s.Level(kScarf).on_hand == 2);

  // A later snapshot is the new base: the moves before it are in it already.
  s.clock.advance_ms(1000);
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 10));
  CHECK(s.Level(kScarf).on_hand == 10);
  s.Receive(kScarf, "R2");
  CHECK(s.Level(kScarf).on_hand == 11);
  // Another GTIN's snapshot does not move this one's base.
  REQUIRE(s.shop->stock.SetSnapshot(kTote, 2));
  CHECK(s.Level(kScarf).on_hand == 11);
  CHECK(s.Level(kTote).on_hand == 2);
  // The GTIN-13 form names the same stock.
  CHECK(s.Level(kScarf.substr(1)).on_hand == 11);

  // Reserved, available and picked.
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 3}}));
  REQUIRE(s.shop->stock.Accept("o-1"));
  auto level = s.Level(kScarf);
  CHECK(level.on_hand == 11);
  CHECK(level.reserved == 3);
  CHECK(level.available == 8);
  CHECK(level.picked == 0);
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "R2")));
  level = s.Level(kScarf);
  CHECK(level.reserved == 3);
  CHECK(level.picked == 1);
  CHECK(level.available == 8);
  CHECK(s.Level(kTote).reserved == 0);
}

TEST_CASE("Stock refuses a malformed GTIN", "[stock][level]") {
  Shop s;
  CHECK(CodeOf(s.shop->stock.Level("123")) == "invalid_gtin");
  CHECK(CodeOf(s.shop->stock.Level("06950123450006")) == "invalid_gtin");
}

// ------------------------------------------------------------------ Receive

TEST_CASE("Receive puts a unit in stock with a stock.received event", "[stock][receive]") {
  Shop s;
  const auto seq = s.Seq();
  auto level = s.shop->stock.Receive(s.Unit(kScarf, "R1"));
  REQUIRE(level);
  CHECK(level->on_hand == 1);
  CHECK(level->available == 1);
  CHECK(s.Count("SELECT count(*) FROM units WHERE gtin = '" + kScarf +
                "' AND serial = 'R1' AND state = 'in_stock'") == 1);
  CHECK(s.Count("SELECT count(*) FROM stock_moves WHERE reason = 'received' AND delta = 1") == 1);
  const json e = s.OneEvent(seq, "stock.received");
  CHECK(e.at("gtin") == kScarf);
  CHECK(e.at("serial") == "R1");
  CHECK(e.at("stock").at("on_hand") == 1);
  CHECK(s.Level(kScarf).on_hand == 1);
}

TEST_CASE("Receive refuses what it cannot take and changes nothing", "[stock][receive]") {
  Shop s([](store::Config& c) { c.require_signature = false; });
  s.Receive(kScarf, "R1");
  const std::string sale = s.Sell(kScarf, "S1");
  (void)sale;
  const std::string before = s.State();
  std::string want;
  Expected<store::StockLevel> got = store::StockLevel{};
  SECTION("the same unit again") {
    want = "unit_already_received";
    got = s.shop->stock.Receive(s.Unit(kScarf, "R1"));
  }
  SECTION("a sold unit") {
    want = "serial_already_sold";
    got = s.shop->stock.Receive(s.Unit(kScarf, "S1"));
  }
  SECTION("an unknown product") {
    want = "unknown_product";
    got = s.shop->stock.Receive(s.Unit(kNew, "N1"));
  }
  SECTION("a plain GTIN not in the catalog") {
    want = "unknown_product";
    got = s.shop->stock.Receive(s.shop->books.CheckCode(kNew).value());
  }
  SECTION("a coupon") {
    want = "not_a_unit";
    store::CouponCode c{
        "C1", "welcome", 100, 0, kNow / 1000 + 60, "*", "",
    };
    got = s.shop->stock.Receive(
        s.shop->books.CheckCode(store::MakeCouponCode(c, store::DemoCouponKey())).value());
  }
  SECTION("a forged signature") {
    want = "code_forged";
    got = s.shop->stock.Receive(s.Forged(kScarf, "F1"));
  }
  CHECK(CodeOf(got) == want);
  CHECK(s.State() == before);
}

TEST_CASE("Receive of an unsigned label is code_forged when signatures are required",
          "[stock][receive]") {
  Shop s;
  CHECK(CodeOf(s.shop->stock.Receive(s.shop->books.CheckCode(kScarf).value())) == "code_forged");
  CHECK(s.Level(kScarf).on_hand == 0);
}

// -------------------------------------------------------------------- Count

TEST_CASE("Count turns the variance into a move and a stock.counted event", "[stock][count]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 5));
  auto seq = s.Seq();
  auto after = s.shop->stock.Count(kScarf, 3);
  REQUIRE(after);
  CHECK(after->on_hand == 3);
  CHECK(s.Count("SELECT delta FROM stock_moves WHERE reason = 'count'") == -2);
  json e = s.OneEvent(seq, "stock.counted");
  CHECK(e.at("gtin") == kScarf);
  CHECK(e.at("counted") == 3);
  CHECK(e.at("expected") == 5);
  CHECK(e.at("variance") == -2);

  seq = s.Seq();
  REQUIRE(s.shop->stock.Count(kScarf, 7));
  e = s.OneEvent(seq, "stock.counted");
  CHECK(e.at("expected") == 3);
  CHECK(e.at("variance") == 4);
  CHECK(s.Level(kScarf).on_hand == 7);

  // No variance: the count is still an event, but no move.
  seq = s.Seq();
  REQUIRE(s.shop->stock.Count(kScarf, 7));
  e = s.OneEvent(seq, "stock.counted");
  CHECK(e.at("variance") == 0);
  CHECK(s.Count("SELECT count(*) FROM stock_moves WHERE reason = 'count'") == 2);
  CHECK(s.Level(kScarf).on_hand == 7);
}

TEST_CASE("Count refuses bad counts and changes nothing", "[stock][count]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 5));
  const std::string before = s.State();
  CHECK(CodeOf(s.shop->stock.Count(kScarf, -1)) == "invalid_count");
  CHECK(CodeOf(s.shop->stock.Count(kScarf, 10'000'001)) == "invalid_count");
  CHECK(CodeOf(s.shop->stock.Count("123", 1)) == "invalid_gtin");
  CHECK(CodeOf(s.shop->stock.Count(kNew, 1)) == "unknown_product");
  CHECK(s.State() == before);
  CHECK(s.shop->stock.Count(kScarf, 10'000'000));
}

// ---------------------------------------------------------------- lifecycle

TEST_CASE("Accept reserves every line and starts the TTL", "[stock][reservation][accept]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 3));
  REQUIRE(s.shop->stock.SetSnapshot(kTote, 1));
  s.Offer("o-big", "ship_from_store", Lines({{kScarf, 2}, {kTote, 2}}));
  s.Offer("o-split", "ship_from_store", Lines({{kScarf, 2}, {kScarf, 2}}));  // 4 of one GTIN
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 2}, {kTote, 1}}), 900);
  CHECK(s.Res("o-1").status == "offered");

  const std::string before = s.State();
  CHECK(CodeOf(s.shop->stock.Accept("o-big")) == "insufficient_stock");
  CHECK(CodeOf(s.shop->stock.Accept("o-split")) == "insufficient_stock");
  CHECK(CodeOf(s.shop->stock.Accept("o-none")) == "reservation_not_found");
  CHECK(s.State() == before);

  const auto seq = s.Seq();
  s.clock.advance_ms(2000);
  auto r = s.shop->stock.Accept("o-1");
  REQUIRE(r);
  CHECK(r->status == "accepted");
  REQUIRE(r->accepted_at_ms);
  CHECK(*r->accepted_at_ms == kNow + 2000);
  REQUIRE(r->expires_at_ms);
  CHECK(*r->expires_at_ms == kNow + 2000 + 900 * 1000);
  const json e = s.OneEvent(seq, "reservation.accepted");
  CHECK(e.at("order_id") == "o-1");
  CHECK(e.at("status") == "accepted");
  CHECK(s.Level(kScarf).reserved == 2);
  CHECK(s.Level(kScarf).available == 1);
  CHECK(s.Level(kTote).reserved == 1);
  CHECK(s.Level(kTote).available == 0);
  CHECK(s.Held("o-1", 1) == 2);
  CHECK(s.Held("o-1", 2) == 1);

  // Accepted twice: a state error, nothing changes.
  const std::string after = s.State();
  CHECK(CodeOf(s.shop->stock.Accept("o-1")) == "reservation_state");
  CHECK(s.State() == after);
  // Now the tote is all held: another order for it is refused.
  s.Offer("o-2", "pickup", Lines({{kTote, 1}}));
  CHECK(CodeOf(s.shop->stock.Accept("o-2")) == "insufficient_stock");
}

TEST_CASE("Accept of an order without a ttl uses the default", "[stock][reservation][accept]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 3));
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 1}}), 0);
  auto r = s.shop->stock.Accept("o-1", 300);
  REQUIRE(r);
  REQUIRE(r->expires_at_ms);
  CHECK(*r->expires_at_ms == kNow + 300 * 1000);
  CHECK(r->ttl_s == 300);
}

TEST_CASE("Pick takes one unit per call and refuses the wrong ones", "[stock][reservation][pick]") {
  Shop s;
  for (const char* serial : {"A1", "A2", "A3", "A4", "A5"}) s.Receive(kScarf, serial);
  s.Receive(kTote, "T1");
  s.Sell(kScarf, "A5");  // on_hand 4
  REQUIRE(s.shop->inbox.Revoke(kScarf, "A4", "recalled"));
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 2}}));
  s.Offer("o-2", "ship_from_store", Lines({{kScarf, 1}}));
  REQUIRE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.shop->stock.Accept("o-2"));
  const std::string cart = s.Open();
  REQUIRE(s.shop->sales.AddCheckedCode(cart, s.Unit(kScarf, "A3")));

  // o-2 takes A2.
  REQUIRE(s.shop->stock.Pick("o-2", s.Unit(kScarf, "A2")));
  CHECK(s.Res("o-2").status == "picked");

  auto refuse = [&](const std::string& id, const store::CheckedCode& unit,
                    const std::string& want) {
    const std::string before = s.State();
    CHECK(CodeOf(s.shop->stock.Pick(id, unit)) == want);
    CHECK(s.State() == before);
  };
  refuse("o-1", s.Unit(kTote, "T1"), "gtin_not_in_order");
  refuse("o-1", s.Unit(kScarf, "A5"), "serial_already_sold");
  refuse("o-1", s.Unit(kScarf, "A3"), "serial_in_cart");
  refuse("o-1", s.Unit(kScarf, "A2"), "serial_picked");  // for o-2
  refuse("o-1", s.Unit(kScarf, "A4"), "code_revoked");
  refuse("o-1", s.Forged(kScarf, "A1"), "code_forged");
  refuse("o-nope", s.Unit(kScarf, "A1"), "reservation_not_found");

  auto seq = s.Seq();
  auto r = s.shop->stock.Pick("o-1", s.Unit(kScarf, "A1"));
  REQUIRE(r);
  CHECK(r->status == "accepted");
  REQUIRE(r->lines.size() == 1);
  CHECK(r->lines[0].picked == std::vector<std::string>{"A1"});
  json e = s.OneEvent(seq, "reservation.picked");
  CHECK(e.at("serial") == "A1");
  CHECK(e.at("gtin") == kScarf);
  CHECK(e.at("status") == "accepted");
  refuse("o-1", s.Unit(kScarf, "A1"), "serial_picked");  // already, for this order

  // The cart lets A3 go: now it can be picked, and the line is complete.
  REQUIRE(s.shop->sales.Void(cart, "changed mind"));
  seq = s.Seq();
  r = s.shop->stock.Pick("o-1", s.Unit(kScarf, "A3"));
  REQUIRE(r);
  CHECK(r->status == "picked");
  e = s.OneEvent(seq, "reservation.picked");
  CHECK(e.at("status") == "picked");
  CHECK(s.Res("o-1").status == "picked");
  CHECK(s.Level(kScarf).picked == 3);
  CHECK(s.Level(kScarf).reserved == 3);
  refuse("o-1", s.Unit(kScarf, "A1"), "line_complete");
}

TEST_CASE("Pick fills an order of several lines each to its qty", "[stock][reservation][pick]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 5));
  REQUIRE(s.shop->stock.SetSnapshot(kTote, 5));
  s.Offer("o-1", "pickup", Lines({{kScarf, 1}, {kTote, 2}, {kScarf, 1}}));
  REQUIRE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A1")));
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kTote, "T1")));
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A2")));
  CHECK(s.Res("o-1").status == "accepted");
  CHECK(CodeOf(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A3"))) == "line_complete");
  auto r = s.shop->stock.Pick("o-1", s.Unit(kTote, "T2"));
  REQUIRE(r);
  CHECK(r->status == "picked");
  REQUIRE(r->lines.size() == 3);
  CHECK(r->lines[0].picked == std::vector<std::string>{"A1"});
  CHECK(r->lines[1].picked.size() == 2);
  CHECK(r->lines[2].picked == std::vector<std::string>{"A2"});
  CHECK(CodeOf(s.shop->stock.Pick("o-1", s.Unit(kTote, "T3"))) == "line_complete");
}

TEST_CASE("Pick of an order that is not accepted is a state error", "[stock][reservation][pick]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 5));
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 1}}));
  const std::string before = s.State();
  CHECK(CodeOf(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A1"))) == "reservation_state");
  CHECK(s.State() == before);
  REQUIRE(s.shop->stock.Reject("o-1", "no staff"));
  CHECK(CodeOf(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A1"))) == "reservation_state");
  CHECK(s.Count("SELECT count(*) FROM reservation_picks") == 0);
}

TEST_CASE("Ship sends the picked units out and gives the hold back", "[stock][reservation][ship]") {
  Shop s;
  for (const char* serial : {"A1", "A2", "A3"}) s.Receive(kScarf, serial);
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 2}}));
  s.Offer("o-p", "pickup", Lines({{kScarf, 1}}));
  const auto start = s.Level(kScarf);
  REQUIRE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.shop->stock.Accept("o-p"));
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A1")));

  auto refuse = [&](const Expected<store::Reservation>& got, const std::string& want,
                    const std::string& before) {
    CHECK(CodeOf(got) == want);
    CHECK(s.State() == before);
  };
  std::string before = s.State();
  refuse(s.shop->stock.Ship("o-1", "SF", "SF123"), "reservation_state", before);  // 1 of 2 picked
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A2")));
  REQUIRE(s.shop->stock.Pick("o-p", s.Unit(kScarf, "A3")));
  before = s.State();
  refuse(s.shop->stock.Ship("o-p", "SF", "SF123"), "wrong_kind", before);
  refuse(s.shop->stock.HandOver("o-1", "4821"), "wrong_kind", before);
  refuse(s.shop->stock.Ship("o-1", "", "SF123"), "invalid_shipment", before);
  refuse(s.shop->stock.Ship("o-1", "SF", ""), "invalid_shipment", before);
  refuse(s.shop->stock.Ship("o-1", "SF", std::string(65, 'x')), "invalid_shipment", before);
  refuse(s.shop->stock.Ship("o-1", "SF\n", "SF123"), "invalid_shipment", before);
  refuse(s.shop->stock.Ship("o-nope", "SF", "SF123"), "reservation_not_found", before);

  const auto held = s.Level(kScarf);
  CHECK(held.reserved == start.reserved + 3);
  const auto seq = s.Seq();
  s.clock.advance_ms(1000);
  auto r = s.shop->stock.Ship("o-1", "SF", "SF123");
  REQUIRE(r);
  CHECK(r->status == "shipped");
  CHECK(r->carrier == "SF");
  CHECK(r->tracking_no == "SF123");
  REQUIRE(r->closed_at_ms);
  CHECK(*r->closed_at_ms == kNow + 1000);
  const json e = s.OneEvent(seq, "reservation.shipped");
  CHECK(e.at("order_id") == "o-1");
  CHECK(e.at("carrier") == "SF");
  CHECK(e.at("tracking_no") == "SF123");
  CHECK(e.at("lines").at(0).at("picked").size() == 2);

  const auto after = s.Level(kScarf);
  CHECK(after.on_hand == held.on_hand - 2);
  CHECK(after.reserved == held.reserved - 2);  // o-p still holds its unit
  CHECK(after.picked == 1);
  CHECK(s.Count("SELECT count(*) FROM reservation_picks WHERE reservation_id = 'o-1' AND state = "
                "'gone'") == 2);
  CHECK(s.Count("SELECT count(*) FROM stock_moves WHERE reason = 'shipped' AND ref = 'o-1' AND "
                "delta = -1") == 2);
  CHECK(s.Held("o-1", 1) == 0);

  // Shipped is final.
  before = s.State();
  refuse(s.shop->stock.Ship("o-1", "SF", "SF124"), "reservation_state", before);
  refuse(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A3")), "reservation_state", before);
}

TEST_CASE("HandOver wants the order's pickup code", "[stock][reservation][handover]") {
  Shop s;
  s.Receive(kTote, "T1");
  s.Offer("o-p", "pickup", Lines({{kTote, 1}}), 600, "4821");
  REQUIRE(s.shop->stock.Accept("o-p"));
  REQUIRE(s.shop->stock.Pick("o-p", s.Unit(kTote, "T1")));
  const std::string before = s.State();
  CHECK(CodeOf(s.shop->stock.HandOver("o-p", "0000")) == "pickup_code_mismatch");
  CHECK(CodeOf(s.shop->stock.HandOver("o-p", "48210")) == "pickup_code_mismatch");
  CHECK(CodeOf(s.shop->stock.HandOver("o-p", "")) == "invalid_pickup_code");
  CHECK(CodeOf(s.shop->stock.HandOver("o-p", std::string(65, '4'))) == "invalid_pickup_code");
  CHECK(s.State() == before);

  const auto seq = s.Seq();
  auto r = s.shop->stock.HandOver("o-p", "4821");
  REQUIRE(r);
  CHECK(r->status == "handed_over");
  const json e = s.OneEvent(seq, "reservation.handed_over");
  CHECK(e.at("order_id") == "o-p");
  const auto level = s.Level(kTote);
  CHECK(level.on_hand == 0);
  CHECK(level.reserved == 0);
  CHECK(level.picked == 0);
  CHECK(s.Held("o-p", 1) == 0);
  CHECK(CodeOf(s.shop->stock.HandOver("o-p", "4821")) == "reservation_state");
}

TEST_CASE("Reject ends only an offered order", "[stock][reservation][reject]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 3));
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 1}}));
  s.Offer("o-2", "ship_from_store", Lines({{kScarf, 1}}));
  REQUIRE(s.shop->stock.Accept("o-2"));
  auto seq = s.Seq();
  auto r = s.shop->stock.Reject("o-1", "no staff today");
  REQUIRE(r);
  CHECK(r->status == "rejected");
  CHECK(r->reason == "no staff today");
  const json e = s.OneEvent(seq, "reservation.rejected");
  CHECK(e.at("reason") == "no staff today");
  CHECK(s.Entries("o-1") == 0);

  const std::string before = s.State();
  CHECK(CodeOf(s.shop->stock.Reject("o-1", "again")) == "reservation_state");
  CHECK(CodeOf(s.shop->stock.Reject("o-2", "too late")) == "reservation_state");
  CHECK(CodeOf(s.shop->stock.Reject("o-none", "x")) == "reservation_not_found");
  CHECK(CodeOf(s.shop->stock.Reject("o-2", "bad\x01")) == "invalid_reason");
  CHECK(s.State() == before);
  CHECK(s.Level(kScarf).reserved == 1);
}

TEST_CASE("Release by a manager puts the units back on the shelf",
          "[stock][reservation][release]") {
  Shop s;
  s.Receive(kScarf, "A1");
  s.Receive(kScarf, "A2");
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 2}}));
  s.Offer("o-2", "ship_from_store", Lines({{kScarf, 1}}));
  const auto start = s.Level(kScarf);
  REQUIRE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A1")));
  // While held, A1 is not for sale.
  CHECK(CodeOf(s.TrySell(kScarf, "A1")) == "stock_reserved");

  std::string before = s.State();
  CHECK(CodeOf(s.shop->stock.Release("o-2", "x")) == "reservation_state");  // only offered
  CHECK(CodeOf(s.shop->stock.Release("o-none", "x")) == "reservation_not_found");
  CHECK(CodeOf(s.shop->stock.Release("o-1", "bad\x7f")) == "invalid_reason");
  CHECK(s.State() == before);

  const auto seq = s.Seq();
  auto r = s.shop->stock.Release("o-1", "customer called");
  REQUIRE(r);
  CHECK(r->status == "released");
  CHECK(r->reason == "customer called");
  CHECK(r->lines[0].picked.empty());
  const json e = s.OneEvent(seq, "reservation.released");
  CHECK(e.at("reason") == "customer called");
  const auto level = s.Level(kScarf);
  CHECK(level.on_hand == start.on_hand);
  CHECK(level.reserved == start.reserved);
  CHECK(level.picked == 0);
  CHECK(s.Held("o-1", 1) == 0);
  CHECK(s.Count("SELECT count(*) FROM reservation_picks WHERE state = 'returned'") == 1);

  // The picked unit sells again, and can be picked for another order.
  REQUIRE(s.shop->stock.Accept("o-2"));
  REQUIRE(s.shop->stock.Pick("o-2", s.Unit(kScarf, "A1")));
  REQUIRE(s.shop->stock.Release("o-2", ""));
  CHECK(s.Res("o-2").reason == "released by a manager");
  CHECK(s.TrySell(kScarf, "A1"));

  before = s.State();
  CHECK(CodeOf(s.shop->stock.Release("o-1", "again")) == "reservation_state");
  CHECK(s.State() == before);
}

// ---------------------------------------------------------------------- TTL

TEST_CASE("An accepted order expires when its TTL lapses and only once",
          "[stock][reservation][ttl]") {
  Shop s;
  s.Receive(kScarf, "A1");
  s.Receive(kScarf, "A2");
  s.Receive(kScarf, "A3");
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 1}, {kScarf, 1}}), 60);
  s.Offer("o-2", "pickup", Lines({{kScarf, 1}}), 600);
  REQUIRE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A1")));
  s.clock.advance_ms(10'000);
  REQUIRE(s.shop->stock.Accept("o-2"));
  CHECK(s.Level(kScarf).available == 0);

  // Just before expires_at: nothing happens.
  s.clock.set_ms(kNow + 60'000 - 1);
  std::string before = s.State();
  auto n = s.shop->stock.ExpireReservations();
  REQUIRE(n);
  CHECK(*n == 0);
  CHECK(s.State() == before);

  // At expires_at it lapses: the stock comes back and the event says so.
  s.clock.set_ms(kNow + 60'000);
  const auto seq = s.Seq();
  n = s.shop->stock.ExpireReservations();
  REQUIRE(n);
  CHECK(*n == 1);
  const json e = s.OneEvent(seq, "reservation.expired");
  CHECK(e.at("order_id") == "o-1");
  auto r = s.Res("o-1");
  CHECK(r.status == "expired");
  CHECK(r.lines[0].picked.empty());
  CHECK(s.Level(kScarf).reserved == 1);
  CHECK(s.Level(kScarf).available == 2);
  CHECK(s.Level(kScarf).picked == 0);
  CHECK(s.Held("o-1", 1) == 0);
  CHECK(s.Held("o-1", 2) == 0);
  CHECK(s.Entries("o-1") == 4);  // +1 and -1 per line

  // Called again (and later): not applied twice.
  before = s.State();
  n = s.shop->stock.ExpireReservations();
  REQUIRE(n);
  CHECK(*n == 0);
  CHECK(s.State() == before);
  CHECK(s.Entries("o-1") == 4);
  CHECK(s.Count(
            "SELECT count(*) FROM reservation_entries WHERE reservation_id = 'o-1' AND qty < 0") ==
        2);

  // The second order lapses at its own time.
  s.clock.set_ms(kNow + 10'000 + 600'000);
  REQUIRE(s.shop->stock.ExpireReservations().value() == 1);
  CHECK(s.Res("o-2").status == "expired");
  CHECK(s.Level(kScarf).reserved == 0);
  CHECK(s.EventsOf("reservation.expired").size() == 2);
}

TEST_CASE("Neither an offered nor a fully picked order expires but a partly picked one does",
          "[stock][reservation][ttl]") {
  Shop s;
  for (const char* serial : {"T1", "T2", "T3"}) s.Receive(kTote, serial);
  s.Offer("o-offered", "ship_from_store", Lines({{kTote, 1}}), 60);
  s.Offer("o-picked", "ship_from_store", Lines({{kTote, 1}}), 60);
  s.Offer("o-partly", "pickup", Lines({{kTote, 2}}), 60);
  REQUIRE(s.shop->stock.Accept("o-picked"));
  REQUIRE(s.shop->stock.Accept("o-partly"));
  REQUIRE(s.shop->stock.Pick("o-picked", s.Unit(kTote, "T1")));
  REQUIRE(s.shop->stock.Pick("o-partly", s.Unit(kTote, "T2")));
  REQUIRE(s.Res("o-picked").status == "picked");
  REQUIRE(s.Res("o-partly").status == "accepted");
  s.clock.advance_ms(3'600'000);
  const auto seq = s.Seq();
  REQUIRE(s.shop->stock.ExpireReservations().value() == 1);
  const json e = s.OneEvent(seq, "reservation.expired");
  CHECK(e.at("order_id") == "o-partly");
  CHECK(s.Res("o-offered").status == "offered");
  CHECK(s.Res("o-picked").status == "picked");  // waits for its courier
  CHECK(s.Res("o-partly").status == "expired");
  CHECK(s.Level(kTote).reserved == 1);
  CHECK(s.Level(kTote).picked == 1);
  CHECK(s.Level(kTote).available == 2);
  // The partly picked unit is for sale again; the fully picked one is not.
  CHECK(s.TrySell(kTote, "T2"));
  CHECK(CodeOf(s.TrySell(kTote, "T1")) == "stock_reserved");
  // A manager can still release the picked one, and it ships no more.
  REQUIRE(s.shop->stock.Release("o-picked", "courier never came"));
  CHECK(s.Level(kTote).reserved == 0);
}

// ------------------------------------------------------------- cancellation

TEST_CASE("The cloud cancels an offered order", "[stock][reservation][cancel]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 2));
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 1}}));
  REQUIRE(
      s.shop->inbox.Apply({store::Change{1, "order.cancelled", json{{"id", "o-1"}}.dump()}}, 1));
  auto r = s.Res("o-1");
  CHECK(r.status == "cancelled");
  CHECK(r.cancel_requested);
  CHECK(s.Entries("o-1") == 0);
  CHECK(s.Level(kScarf).reserved == 0);
  CHECK(CodeOf(s.shop->stock.Accept("o-1")) == "reservation_state");
}

TEST_CASE("The cloud cancels a held order: its units go back", "[stock][reservation][cancel]") {
  Shop s;
  s.Receive(kScarf, "A1");
  s.Receive(kScarf, "A2");
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 2}}));
  REQUIRE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A1")));
  std::string via;
  SECTION("accepted through RecordOrderCancel") { via = "direct"; }
  SECTION("picked through an order.cancelled change") {
    REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A2")));
    REQUIRE(s.Res("o-1").status == "picked");
    via = "change";
  }
  const auto seq = s.Seq();
  if (via == "direct") {
    REQUIRE(s.shop->stock.RecordOrderCancel("o-1"));
  } else {
    REQUIRE(
        s.shop->inbox.Apply({store::Change{4, "order.cancelled", json{{"id", "o-1"}}.dump()}}, 4));
  }
  auto r = s.Res("o-1");
  CHECK(r.status == "cancelled");
  CHECK(r.reason == "cancelled");
  CHECK(r.lines[0].picked.empty());
  const json e = s.OneEvent(seq, "reservation.released");
  CHECK(e.at("reason") == "cancelled");
  CHECK(e.at("status") == "cancelled");
  const auto level = s.Level(kScarf);
  CHECK(level.on_hand == 2);
  CHECK(level.reserved == 0);
  CHECK(level.picked == 0);
  CHECK(s.Held("o-1", 1) == 0);
  CHECK(s.TrySell(kScarf, "A1"));

  // A second cancel changes nothing.
  const std::string before = s.State();
  REQUIRE(s.shop->stock.RecordOrderCancel("o-1"));
  CHECK(s.State() == before);
  // Nor can a cancelled order be released or picked.
  CHECK(CodeOf(s.shop->stock.Release("o-1", "x")) == "reservation_state");
  CHECK(CodeOf(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A2"))) == "reservation_state");
}

TEST_CASE("A cancel after the units left is refused with one event",
          "[stock][reservation][cancel]") {
  Shop s;
  s.Receive(kScarf, "A1");
  std::string id;
  std::string status;
  SECTION("shipped") {
    id = "o-ship";
    status = "shipped";
    s.Offer(id, "ship_from_store", Lines({{kScarf, 1}}));
    REQUIRE(s.shop->stock.Accept(id));
    REQUIRE(s.shop->stock.Pick(id, s.Unit(kScarf, "A1")));
    REQUIRE(s.shop->stock.Ship(id, "SF", "SF1"));
  }
  SECTION("handed over") {
    id = "o-pick";
    status = "handed_over";
    s.Offer(id, "pickup", Lines({{kScarf, 1}}));
    REQUIRE(s.shop->stock.Accept(id));
    REQUIRE(s.shop->stock.Pick(id, s.Unit(kScarf, "A1")));
    REQUIRE(s.shop->stock.HandOver(id, "4821"));
  }
  const auto level = s.Level(kScarf);
  const auto entries = s.Entries(id);
  auto seq = s.Seq();
  REQUIRE(s.shop->stock.RecordOrderCancel(id));
  const json e = s.OneEvent(seq, "reservation.cancel_refused");
  CHECK(e.at("order_id") == id);
  CHECK(e.at("status") == status);
  CHECK(e.contains("refusal"));
  CHECK(s.Res(id).status == status);
  CHECK(s.Res(id).cancel_requested);
  CHECK(s.Entries(id) == entries);
  CHECK(s.Held(id, 1) == 0);
  CHECK(s.Level(kScarf).on_hand == level.on_hand);
  CHECK(s.Level(kScarf).reserved == level.reserved);

  // The same cancel again: no second refusal.
  seq = s.Seq();
  const std::string before = s.State();
  REQUIRE(s.shop->inbox.Apply({store::Change{9, "order.cancelled", json{{"id", id}}.dump()}}, 9));
  CHECK(s.Seq() == seq);
  CHECK(s.State() == before);
}

TEST_CASE("A cancel of an order this store never saw changes nothing",
          "[stock][reservation][cancel]") {
  Shop s;
  const std::string before = s.State();
  REQUIRE(s.shop->stock.RecordOrderCancel("o-ghost"));
  CHECK(s.State() == before);
}

// --------------------------------------------------------------- compensation

TEST_CASE("Once shipped no release or expiry or cancel compensates again",
          "[stock][reservation][compensation]") {
  Shop s;
  s.Receive(kScarf, "A1");
  s.Receive(kScarf, "A2");
  s.Receive(kTote, "T1");
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 2}, {kTote, 1}}), 60);
  REQUIRE(s.shop->stock.Accept("o-1"));
  for (const auto& [g, serial] : std::vector<std::pair<std::string, std::string>>{
           {kScarf, "A1"}, {kScarf, "A2"}, {kTote, "T1"}}) {
    REQUIRE(s.shop->stock.Pick("o-1", s.Unit(g, serial)));
  }
  REQUIRE(s.shop->stock.Ship("o-1", "SF", "SF1"));
  CHECK(s.Entries("o-1") == 4);

  CHECK(CodeOf(s.shop->stock.Release("o-1", "oops")) == "reservation_state");
  s.clock.advance_ms(3'600'000);
  REQUIRE(s.shop->stock.ExpireReservations().value() == 0);
  REQUIRE(s.shop->stock.RecordOrderCancel("o-1"));
  REQUIRE(s.shop->stock.RecordOrderCancel("o-1"));

  CHECK(s.Entries("o-1") == 4);
  CHECK(s.Held("o-1", 1) == 0);
  CHECK(s.Held("o-1", 2) == 0);
  CHECK(s.Count("SELECT count(*) FROM (SELECT sum(qty) AS q FROM reservation_entries "
                "GROUP BY reservation_id, line_no HAVING q <> 0)") == 0);
  CHECK(s.Level(kScarf).reserved == 0);
  CHECK(s.Level(kTote).reserved == 0);
  CHECK(s.Level(kScarf).on_hand == 0);
  CHECK(s.Level(kTote).on_hand == 0);
}

TEST_CASE("Whatever closes an order leaves each line's entries summing to 0",
          "[stock][reservation][compensation]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 10));
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 2}, {kScarf, 1}}), 60);
  REQUIRE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A1")));
  SECTION("released then expired and cancelled") { REQUIRE(s.shop->stock.Release("o-1", "x")); }
  SECTION("expired then released and cancelled") {
    s.clock.advance_ms(60'000);
    REQUIRE(s.shop->stock.ExpireReservations().value() == 1);
  }
  SECTION("cancelled then released and expired") {
    REQUIRE(s.shop->stock.RecordOrderCancel("o-1"));
  }
  CHECK(s.Held("o-1", 1) == 0);
  CHECK(s.Held("o-1", 2) == 0);
  CHECK(s.Entries("o-1") == 4);
  CHECK_FALSE(s.shop->stock.Release("o-1", "x"));
  s.clock.advance_ms(3'600'000);
  CHECK(s.shop->stock.ExpireReservations().value() == 0);
  REQUIRE(s.shop->stock.RecordOrderCancel("o-1"));
  CHECK(s.Entries("o-1") == 4);
  CHECK(s.Held("o-1", 1) == 0);
  CHECK(s.Held("o-1", 2) == 0);
  CHECK(s.Level(kScarf).reserved == 0);
  CHECK(s.Level(kScarf).on_hand == 10);
}

// ----------------------------------------------------------------- the till

TEST_CASE("A picked unit cannot be sold even with an override", "[stock][till]") {
  Shop s;
  s.Receive(kScarf, "A1");
  s.Receive(kScarf, "A2");
  s.Receive(kScarf, "A3");
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 1}}));
  REQUIRE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A1")));
  const std::string sale = s.Open();
  const std::string before = s.State();
  CHECK(CodeOf(s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "A1"))) == "stock_reserved");
  CHECK(CodeOf(s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "A1"),
                                            store::Override{"mgr-1", "vip"})) == "stock_reserved");
  CHECK(s.State() == before);
  // Another unit of the GTIN sells: two are free.
  CHECK(s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "A2")));
  CHECK(s.EventsOf("stock.override").empty());
}

TEST_CASE("The last unit an order holds needs a manager's recorded override", "[stock][till]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 1));
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 1}}));
  REQUIRE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.Level(kScarf).available == 0);
  const std::string sale = s.Open();
  const std::string before = s.State();
  CHECK(CodeOf(s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "B1"))) == "stock_reserved");
  CHECK(s.State() == before);

  const auto seq = s.Seq();
  auto added = s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "B1"),
                                            store::Override{"mgr-1", "customer in store"});
  REQUIRE(added);
  REQUIRE(added->lines.size() == 1);
  CHECK(added->lines[0].serial == "B1");
  const json e = s.OneEvent(seq, "stock.override");
  CHECK(e.at("sale_id") == sale);
  CHECK(e.at("gtin") == kScarf);
  CHECK(e.at("serial") == "B1");
  CHECK(e.at("manager") == "mgr-1");
  CHECK(e.at("reason") == "customer in store");
  CHECK(e.at("stock").at("reserved") == 1);
  REQUIRE(s.shop->sales.Complete(sale, {{"card", added->total, "t"}}));
  CHECK(s.Level(kScarf).available == -1);
}

TEST_CASE("An override is recorded only when it is needed", "[stock][till]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 2));
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 1}}));
  REQUIRE(s.shop->stock.Accept("o-1"));
  const std::string sale = s.Open();
  // One is free: no override event although one was offered.
  REQUIRE(s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "B1"), store::Override{"mgr-1", "x"}));
  CHECK(s.EventsOf("stock.override").empty());
  // The second in the same cart would take the held one.
  CHECK(CodeOf(s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "B2"))) == "stock_reserved");
  REQUIRE(s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "B2"), store::Override{"mgr-1", "x"}));
  CHECK(s.EventsOf("stock.override").size() == 1);
}

TEST_CASE("With nothing reserved a GTIN without stock still sells", "[stock][till]") {
  Shop s(Unsigned);
  CHECK(s.Level(kSerum).on_hand == 0);
  CHECK(s.TrySell(kSerum, "X1"));
  const std::string sale = s.Open();
  REQUIRE(s.shop->sales.AddCheckedCode(sale, s.shop->books.CheckCode(kCard).value()));
  auto twice = s.shop->sales.AddCheckedCode(sale, s.shop->books.CheckCode(kCard).value());
  REQUIRE(twice);
  REQUIRE(s.shop->sales.Complete(sale, {{"card", twice->total, "t"}}));
  CHECK(s.Level(kSerum).on_hand == -1);
  CHECK(s.Level(kCard).on_hand == -2);
  CHECK(s.EventsOf("stock.override").empty());
}

TEST_CASE("Plain GTIN scans count against what an order holds", "[stock][till]") {
  Shop s(Unsigned);
  REQUIRE(s.shop->stock.SetSnapshot(kCard, 3));
  s.Offer("o-1", "pickup", Lines({{kCard, 2}}));
  REQUIRE(s.shop->stock.Accept("o-1"));
  const std::string sale = s.Open();
  REQUIRE(s.shop->sales.AddCheckedCode(sale, s.shop->books.CheckCode(kCard).value()));
  CHECK(CodeOf(s.shop->sales.AddCheckedCode(sale, s.shop->books.CheckCode(kCard).value())) ==
        "stock_reserved");
  CHECK(CodeOf(s.shop->sales.AddCheckedCode(sale, s.Unit(kCard, "C9"))) == "stock_reserved");
  auto sold = s.shop->sales.GetSale(sale);
  REQUIRE(sold);
  REQUIRE(s.shop->sales.Complete(sale, {{"card", sold->total, "t"}}));
  CHECK(s.Level(kCard).available == 0);
}

TEST_CASE("A shipped unit scanned at the till is unit_shipped", "[stock][till]") {
  Shop s;
  s.Receive(kScarf, "A1");
  s.Receive(kScarf, "A2");
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 1}}));
  REQUIRE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.shop->stock.Pick("o-1", s.Unit(kScarf, "A1")));
  REQUIRE(s.shop->stock.Ship("o-1", "SF", "SF1"));
  const std::string sale = s.Open();
  const std::string before = s.State();
  CHECK(CodeOf(s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "A1"))) == "unit_shipped");
  CHECK(CodeOf(s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "A1"),
                                            store::Override{"mgr", "x"})) == "unit_shipped");
  CHECK(s.State() == before);
  CHECK(s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "A2")));
}

// A unit in an open cart is spoken for: an order cannot take it from under
// the till, and a second till cannot take "the one free unit" too.
TEST_CASE("Accept counts units in open carts as taken", "[stock][till][accept]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 1));
  const std::string sale = s.Open();
  auto scanned = s.shop->sales.AddCheckedCode(sale, s.Unit(kScarf, "B1"));  // nothing reserved yet
  REQUIRE(scanned);
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 1}}));
  const std::string before = s.State();
  CHECK(CodeOf(s.shop->stock.Accept("o-1")) == "insufficient_stock");
  CHECK(s.State() == before);
  REQUIRE(s.shop->sales.Complete(sale, {{"card", scanned->total, "t"}}));
  CHECK(s.Level(kScarf).available == 0);
  // Once the cart is gone (voided), the order can have the unit.
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 1));
  const std::string again = s.Open();
  REQUIRE(s.shop->sales.AddCheckedCode(again, s.Unit(kScarf, "B2")));
  CHECK_FALSE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.shop->sales.Void(again, "customer left"));
  CHECK(s.shop->stock.Accept("o-1"));
  CHECK(s.Level(kScarf).available == 0);
}

TEST_CASE("Two open carts cannot both take the last unit not held", "[stock][till]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 2));
  s.Offer("o-1", "ship_from_store", Lines({{kScarf, 1}}));
  REQUIRE(s.shop->stock.Accept("o-1"));
  REQUIRE(s.Level(kScarf).available == 1);
  const std::string a = s.Open();
  const std::string b = s.Open();
  auto in_a = s.shop->sales.AddCheckedCode(a, s.Unit(kScarf, "B1"));
  REQUIRE(in_a);
  const std::string before = s.State();
  CHECK(CodeOf(s.shop->sales.AddCheckedCode(b, s.Unit(kScarf, "B2"))) == "stock_reserved");
  CHECK(s.State() == before);
  REQUIRE(s.shop->sales.Complete(a, {{"card", in_a->total, "t"}}));
  CHECK(s.Level(kScarf).available == 0);
  CHECK(s.EventsOf("stock.override").empty());
}

// --------------------------------------------------------------- randomised
//
// Every operation the store has, interleaved at random over a few GTINs and a
// pool of serials, with the books checked after every step. Seed from
// SA_STOCK_SEED, steps from SA_STOCK_STEPS.
//
// What "available never below zero" means here: available may legitimately
// go negative when a count or a cloud snapshot finds fewer units than orders
// hold, when a manager overrides, and when the till sells a GTIN nothing is
// reserved of (stock may be untracked). What must hold is that no sale
// without an override and no Accept ever takes available below zero: each
// such successful operation leaves available >= 0 for every GTIN it touched
// that had available >= 0 before. Carts stay open across steps; a GTIN in a
// cart is exempt when it was scanned with nothing reserved, or when a count,
// a snapshot or an override of it happened while the cart was open. An
// Accept must leave at least what open carts hold available.

namespace {

using sa::testing::EnvNumber;

struct Randomised {
  explicit Randomised(std::uint64_t seed) : s(Unsigned, true), rng(seed) {
    for (const auto& g : gtins) {
      plain[g] = s.shop->books.CheckCode(g).value();
      for (int i = 0; i < kSerials; ++i) {
        const std::string serial = "U" + std::to_string(100 + i);
        units[{g, serial}] = s.Unit(g, serial);
      }
      on_hand[g] = 0;
    }
  }

  static constexpr int kSerials = 24;
  const std::vector<std::string> gtins{kScarf, kCard, kSerum, kTote};

  struct Cart {
    std::string id;
    std::set<std::string> exempt;  // GTINs not held to the invariant (see Exempt)
  };
  struct Sold {
    std::string sale_id;
    std::vector<std::pair<std::string, std::string>> units;  // not yet refunded
  };

  std::int64_t Uniform(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }
  const std::string& AnyGtin() { return gtins[static_cast<std::size_t>(Uniform(0, 3))]; }
  std::string AnySerial() { return "U" + std::to_string(100 + Uniform(0, kSerials - 1)); }

  std::vector<std::string> OrdersWhere(const std::string& where) {
    std::vector<std::string> ids;
    auto st = s.db->Cached("SELECT id FROM reservations WHERE " + where + " ORDER BY id");
    while (st.Step()) ids.push_back(st.Text(0));
    return ids;
  }
  std::optional<std::string> AnyOrder(const std::string& where) {
    auto ids = OrdersWhere(where);
    if (ids.empty()) return std::nullopt;
    return ids[static_cast<std::size_t>(Uniform(0, static_cast<std::int64_t>(ids.size()) - 1))];
  }

  std::map<std::string, store::StockLevel> Levels() {
    std::map<std::string, store::StockLevel> out;
    for (const auto& g : gtins) out[g] = s.Level(g);
    return out;
  }

  // Cheap summary of everything an operation could write.
  std::string Fingerprint() {
    auto st = s.db->Cached(
        "SELECT (SELECT count(*) || ':' || coalesce(sum(delta), 0) FROM stock_moves) || '/' || "
        "(SELECT count(*) || ':' || coalesce(sum(qty), 0) FROM reservation_entries) || '/' || "
        "(SELECT coalesce(group_concat(x, ','), '') FROM (SELECT status || count(*) || "
        "count(closed_at_ms) || count(cancel_requested_at_ms) AS x FROM reservations GROUP BY "
        "status "
        "ORDER BY status)) || '/' || "
        "(SELECT coalesce(group_concat(x, ','), '') FROM (SELECT state || count(*) AS x FROM "
        "reservation_picks "
        "GROUP BY state ORDER BY state)) || '/' || "
        "(SELECT coalesce(group_concat(x, ','), '') FROM (SELECT state || count(*) AS x FROM units "
        "GROUP BY state ORDER BY state)) || '/' || "
        "(SELECT count(*) || ':' || coalesce(sum(on_hand), 0) || ':' || coalesce(sum(after_move), "
        "0) "
        "FROM stock_snapshots) || '/' || "
        "(SELECT count(*) || ':' || coalesce(max(seq), 0) FROM outbox) || '/' || "
        "(SELECT count(*) FROM sale_lines) || '/' || (SELECT count(*) FROM refunds)");
    REQUIRE(st.Step());
    return st.Text(0);
  }

  // A call that failed left no trace.
  template <class T>
  void RequireNoTrace(const Expected<T>& r, const std::string& before) {
    if (r.has_value()) return;
    INFO("failed with " << r.error().code << ": " << r.error().message);
    REQUIRE(r.error().kind != ErrorKind::internal);
    REQUIRE(Fingerprint() == before);
  }

  // One step; returns its name.
  std::string Step() {
    const auto before = Levels();
    const std::string print = Fingerprint();
    const std::int64_t roll = Uniform(0, 99);
    if (roll < 14) return Sale(before);
    if (roll < 19) return Refund();
    if (roll < 29) {
      const std::string g = AnyGtin();
      const std::string serial = AnySerial();
      auto r = s.shop->stock.Receive(units.at({g, serial}));
      if (r) {
        ++on_hand[g];
      } else {
        const std::set<std::string> ok{"unit_already_received", "serial_already_sold"};
        INFO(r.error().code);
        REQUIRE(ok.count(r.error().code) == 1);
        RequireNoTrace(r, print);
      }
      return "receive";
    }
    if (roll < 32) {
      const std::string g = AnyGtin();
      const std::int64_t counted = Uniform(0, 6);
      REQUIRE(s.shop->stock.Count(g, counted));
      on_hand[g] = counted;
      Exempt(g);
      return "count";
    }
    if (roll < 35) {
      const std::string g = AnyGtin();
      const std::int64_t n = Uniform(0, 8);
      REQUIRE(s.shop->stock.SetSnapshot(g, n));
      on_hand[g] = n;
      Exempt(g);
      return "snapshot";
    }
    if (roll < 43) {
      const std::string id = "o-" + std::to_string(++orders);
      const std::string kind = Chance(50) ? "pickup" : "ship_from_store";
      json lines = json::array();
      const std::int64_t n = Uniform(1, 2);
      for (std::int64_t i = 0; i < n; ++i)
        lines.push_back(json{{"gtin", AnyGtin()}, {"qty", Uniform(1, 2)}});
      s.Offer(id, kind, lines, Chance(25) ? 0 : Uniform(30, 900), "pc-" + id);
      return "offer";
    }
    if (roll < 51) return Accept(before, print);
    if (roll < 67) return Pick(print);
    if (roll < 74) return Leave("ship_from_store", print);
    if (roll < 79) return Leave("pickup", print);
    if (roll < 81) {
      auto id = AnyOrder(Chance(80) ? "status = 'offered'" : "1");
      if (!id) return "reject (none)";
      auto r = s.shop->stock.Reject(*id, "no staff");
      RequireNoTrace(r, print);
      return "reject";
    }
    if (roll < 85) {
      auto id = AnyOrder("1");
      if (!id) return "cancel (none)";
      if (Chance(50)) {
        REQUIRE(s.shop->stock.RecordOrderCancel(*id));
      } else {
        ++cursor;
        REQUIRE(s.shop->inbox.Apply(
            {store::Change{cursor, "order.cancelled", json{{"id", *id}}.dump()}}, cursor));
      }
      return "cancel";
    }
    if (roll < 88) {
      auto id = AnyOrder(Chance(80) ? "status IN ('accepted', 'picked')" : "1");
      if (!id) return "release (none)";
      auto r = s.shop->stock.Release(*id, "manager");
      RequireNoTrace(r, print);
      return "release";
    }
    s.clock.advance_ms(Uniform(1, 400) * 1000);
    REQUIRE(s.shop->stock.ExpireReservations());
    const std::string now = std::to_string(s.clock.now_ms());
    // A fully picked order waits for its courier or customer: it does not lapse.
    REQUIRE(s.Count("SELECT count(*) FROM reservations WHERE status = 'accepted' AND "
                    "expires_at_ms <= " +
                    now) == 0);
    return "advance+expire";
  }

  // A till: a new cart or one left open by an earlier step, a few scans,
  // then (often) payment. Carts stay open across steps, so orders, counts
  // and other tills' sales happen while units sit in them.
  std::string Sale(const std::map<std::string, store::StockLevel>& before) {
    const bool reuse = !carts.empty() && (carts.size() >= 3 || Chance(50));
    if (!reuse) carts.push_back(Cart{s.Open(), {}});
    const auto at =
        reuse ? static_cast<std::size_t>(Uniform(0, static_cast<std::int64_t>(carts.size()) - 1))
              : carts.size() - 1;
    const std::string id = carts[at].id;
    const std::int64_t scans = Uniform(reuse ? 0 : 1, 3);
    for (std::int64_t i = 0; i < scans; ++i) {
      const std::string g = AnyGtin();
      const store::CheckedCode& code = Chance(75) ? units.at({g, AnySerial()}) : plain.at(g);
      std::optional<store::Override> by;
      if (Chance(15)) by = store::Override{"mgr-" + std::to_string(step), "random"};
      // Nothing held: the till does not limit the sale (stock may be untracked).
      if (s.Level(g).reserved == 0) carts[at].exempt.insert(g);
      const std::string print = Fingerprint();
      const std::int64_t seq = s.Seq();
      auto r = s.shop->sales.AddCheckedCode(id, code, by);
      if (!r && r.error().code == "stock_reserved" && !by && Chance(40)) {
        // The till calls a manager, who allows it.
        RequireNoTrace(r, print);
        by = store::Override{"mgr-" + std::to_string(step), "customer waiting"};
        r = s.shop->sales.AddCheckedCode(id, code, by);
      }
      if (!r) {
        const std::set<std::string> ok{"serial_in_cart", "serial_already_sold", "stock_reserved",
                                       "unit_shipped"};
        INFO(r.error().code);
        REQUIRE(ok.count(r.error().code) == 1);
        RequireNoTrace(r, print);
        continue;
      }
      for (const auto& e : s.EventsAfter(seq)) {
        if (e.type != "stock.override") continue;
        REQUIRE(by);
        overrides++;
        Exempt(json::parse(e.payload).at("gtin").get<std::string>());
      }
    }
    auto sale = s.shop->sales.GetSale(id);
    REQUIRE(sale);
    if (Chance(40)) return "sale (cart left open)";
    const Cart cart = carts[at];
    carts.erase(carts.begin() + static_cast<std::ptrdiff_t>(at));
    if (sale->lines.empty() || Chance(10)) {
      REQUIRE(s.shop->sales.Void(id, "customer left"));
      return "sale (voided)";
    }
    auto done = s.shop->sales.Complete(id, {{"card", sale->total, "t"}});
    INFO(CodeOf(done));
    REQUIRE(done);
    Sold sold{id, {}};
    for (const auto& line : sale->lines) {
      on_hand[line.gtin] -= line.qty;
      if (!line.serial.empty()) sold.units.emplace_back(line.gtin, line.serial);
    }
    if (!sold.units.empty()) sales.push_back(sold);
    const auto after = Levels();
    for (const auto& line : sale->lines) {
      const auto& b = before.at(line.gtin);
      if (b.available >= 0 && cart.exempt.count(line.gtin) == 0) {
        INFO("a sale without an override took a held unit of " << line.gtin << ": available "
                                                               << b.available << " -> "
                                                               << after.at(line.gtin).available);
        REQUIRE(after.at(line.gtin).available >= 0);
      }
    }
    return cart.exempt.empty() ? "sale" : "sale (exempt)";
  }

  // Units of `gtin` in open carts are no longer held to the invariant (a
  // count, a snapshot or a manager's override changed the ground under them).
  void Exempt(const std::string& gtin) {
    for (auto& c : carts) c.exempt.insert(gtin);
  }

  std::map<std::string, std::int64_t> InCarts() {
    std::map<std::string, std::int64_t> out;
    auto st = s.db->Cached(
        "SELECT l.gtin, sum(l.qty) FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
        "WHERE s.status = 'open' GROUP BY l.gtin");
    while (st.Step()) out[st.Text(0)] = st.Int(1);
    return out;
  }

  std::string Refund() {
    if (sales.empty()) return "refund (none)";
    const auto i =
        static_cast<std::size_t>(Uniform(0, static_cast<std::int64_t>(sales.size()) - 1));
    auto& sold = sales[i];
    const auto j =
        static_cast<std::size_t>(Uniform(0, static_cast<std::int64_t>(sold.units.size()) - 1));
    const auto unit = sold.units[j];
    auto r = s.shop->sales.RefundUnits(sold.sale_id, {store::UnitRef(unit.first, unit.second)});
    INFO(CodeOf(r));
    REQUIRE(r);
    ++on_hand[unit.first];
    sold.units.erase(sold.units.begin() + static_cast<std::ptrdiff_t>(j));
    if (sold.units.empty()) sales.erase(sales.begin() + static_cast<std::ptrdiff_t>(i));
    return "refund";
  }

  std::string Accept(const std::map<std::string, store::StockLevel>& before,
                     const std::string& print) {
    auto id = AnyOrder(Chance(85) ? "status = 'offered'" : "1");
    if (!id) return "accept (none)";
    const auto order = s.Res(*id);
    std::map<std::string, std::int64_t> wanted;
    for (const auto& l : order.lines) wanted[l.gtin] += l.qty;
    auto in_carts = InCarts();
    auto r = s.shop->stock.Accept(*id, 300);
    if (!r) {
      RequireNoTrace(r, print);
      if (order.status == "offered") {
        REQUIRE(r.error().code == "insufficient_stock");
        bool short_of_one = false;
        for (const auto& [g, q] : wanted)
          short_of_one = short_of_one || before.at(g).available - in_carts[g] < q;
        REQUIRE(short_of_one);
      } else {
        REQUIRE(r.error().code == "reservation_state");
      }
      return "accept (refused)";
    }
    REQUIRE(order.status == "offered");
    const auto after = Levels();
    for (const auto& [g, q] : wanted) {
      // Units in open carts count as taken: what is left covers the carts.
      REQUIRE(before.at(g).available - in_carts[g] >= q);
      REQUIRE(after.at(g).available >= in_carts[g]);
      REQUIRE(after.at(g).reserved == before.at(g).reserved + q);
    }
    REQUIRE(r->expires_at_ms);
    REQUIRE(*r->expires_at_ms == s.clock.now_ms() + r->ttl_s * 1000);
    return "accept";
  }

  std::string Pick(const std::string& print) {
    auto id = AnyOrder(Chance(90) ? "status IN ('accepted', 'picked')" : "1");
    if (!id) return "pick (none)";
    const auto order = s.Res(*id);
    const std::string g = Chance(90)
                              ? order
                                    .lines[static_cast<std::size_t>(Uniform(
                                        0, static_cast<std::int64_t>(order.lines.size()) - 1))]
                                    .gtin
                              : AnyGtin();
    auto r = s.shop->stock.Pick(*id, units.at({g, AnySerial()}));
    if (!r) {
      const std::set<std::string> ok{"reservation_state",   "gtin_not_in_order", "line_complete",
                                     "serial_already_sold", "serial_in_cart",    "serial_picked"};
      INFO(r.error().code);
      REQUIRE(ok.count(r.error().code) == 1);
      RequireNoTrace(r, print);
      return "pick (refused)";
    }
    return "pick";
  }

  std::string Leave(const std::string& kind, const std::string& print) {
    auto id = AnyOrder("kind = '" + kind + "' AND status IN ('accepted', 'picked')");
    if (!id) return kind + " leave (none)";
    const auto order = s.Res(*id);
    Expected<store::Reservation> r =
        kind == "pickup" ? s.shop->stock.HandOver(*id, Chance(85) ? "pc-" + *id : "wrong")
                         : s.shop->stock.Ship(*id, "SF", "SF-" + *id);
    if (!r) {
      RequireNoTrace(r, print);
      const std::set<std::string> ok{"reservation_state", "pickup_code_mismatch"};
      REQUIRE(ok.count(r.error().code) == 1);
      return kind + " leave (refused)";
    }
    REQUIRE(order.status == "picked");
    for (const auto& l : order.lines) on_hand[l.gtin] -= static_cast<std::int64_t>(l.picked.size());
    return kind == "pickup" ? "handover" : "ship";
  }

  // The books, recomputed from the tables, after every step.
  void CheckBooks() {
    // No unit both sold and shipped.
    REQUIRE(s.Count("SELECT count(*) FROM units u JOIN reservation_picks p ON p.gtin = u.gtin AND "
                    "p.serial = u.serial AND p.state = 'gone' WHERE u.state = 'sold'") == 0);
    // Reservation entries per order line, and what open orders hold.
    std::map<std::string, std::int64_t> reserved;
    {
      auto st = s.db->Cached(
          "SELECT r.id, r.status, l.line_no, l.gtin, l.qty, "
          "(SELECT coalesce(sum(e.qty), 0) FROM reservation_entries e WHERE e.reservation_id = "
          "r.id AND "
          "e.line_no = l.line_no), "
          "(SELECT count(*) FROM reservation_entries e WHERE e.reservation_id = r.id AND e.line_no "
          "= l.line_no), "
          "(SELECT count(*) FROM reservation_picks p WHERE p.reservation_id = r.id AND p.line_no = "
          "l.line_no "
          "AND p.state = 'held') "
          "FROM reservations r JOIN reservation_lines l ON l.reservation_id = r.id");
      while (st.Step()) {
        const std::string id = st.Text(0);
        const std::string status = st.Text(1);
        const std::int64_t qty = st.Int(4);
        const std::int64_t held = st.Int(5);
        const std::int64_t rows = st.Int(6);
        const std::int64_t picks = st.Int(7);
        INFO("order " << id << " (" << status << ") line " << st.Int(2) << ": qty " << qty
                      << ", entries sum " << held << " in " << rows << " rows, " << picks
                      << " held picks");
        REQUIRE(held >= 0);
        REQUIRE(held <= qty);
        REQUIRE(rows <= 2);
        REQUIRE(picks <= qty);
        const bool open = status == "accepted" || status == "picked";
        if (open) {
          REQUIRE(held == qty);
          reserved[st.Text(3)] += qty;
          if (status == "picked") REQUIRE(picks == qty);
        } else {
          REQUIRE(held == 0);
          REQUIRE(picks == 0);
          if (status == "offered" || status == "rejected") REQUIRE(rows == 0);
        }
      }
    }
    // An accepted order whose every line is picked is 'picked'.
    REQUIRE(
        s.Count(
            "SELECT count(*) FROM reservations r WHERE r.status = 'accepted' AND NOT EXISTS ("
            "SELECT 1 FROM reservation_lines l WHERE l.reservation_id = r.id AND l.qty > (SELECT "
            "count(*) "
            "FROM reservation_picks p WHERE p.reservation_id = r.id AND p.line_no = l.line_no AND "
            "p.state = 'held'))") == 0);
    for (const auto& g : gtins) {
      INFO("GTIN " << g);
      const auto level = s.Level(g);
      REQUIRE(level.reserved == reserved[g]);
      REQUIRE(level.on_hand == on_hand[g]);
      REQUIRE(level.available == level.on_hand - level.reserved);
      const std::int64_t recomputed =
          s.Count("SELECT coalesce((SELECT on_hand FROM stock_snapshots WHERE gtin = '" + g +
                  "'), 0) + "
                  "(SELECT coalesce(sum(delta), 0) FROM stock_moves WHERE gtin = '" +
                  g +
                  "' AND id > "
                  "coalesce((SELECT after_move FROM stock_snapshots WHERE gtin = '" +
                  g + "'), 0))");
      REQUIRE(level.on_hand == recomputed);
      REQUIRE(level.picked ==
              s.Count("SELECT count(*) FROM reservation_picks WHERE state = 'held' AND gtin = '" +
                      g + "'"));
      REQUIRE(level.picked <= level.reserved);
    }
    // The outbox: seq 1..n without a gap.
    REQUIRE(s.Count("SELECT count(*) FROM outbox") ==
            s.Count("SELECT coalesce(max(seq), 0) FROM outbox"));
    REQUIRE(s.Count("SELECT coalesce(min(seq), 1) FROM outbox") == 1);
  }

  Shop s;
  std::mt19937_64 rng;
  std::map<std::pair<std::string, std::string>, store::CheckedCode> units;
  std::map<std::string, store::CheckedCode> plain;
  std::map<std::string, std::int64_t> on_hand;  // the model: what the moves should add up to
  std::vector<Sold> sales;
  std::vector<Cart> carts;  // open sales
  std::int64_t overrides = 0;
  std::int64_t orders = 0;
  std::int64_t cursor = 0;
  std::int64_t step = 0;
};

}  // namespace

TEST_CASE("Randomised stock and reservations keep the books after every step", "[stock][random]") {
  const std::uint64_t seed = EnvNumber("SA_STOCK_SEED", 20261119);
  const std::uint64_t steps = EnvNumber("SA_STOCK_STEPS", 2000);
  INFO("SA_STOCK_SEED=" << seed << " SA_STOCK_STEPS=" << steps);
  Randomised run(seed);
  std::map<std::string, int> tally;
  std::string last;
  for (run.step = 0; run.step < static_cast<std::int64_t>(steps); ++run.step) {
    CAPTURE(run.step);
    INFO("previous step: " << last);
    last = run.Step();
    INFO("this step: " << last);
    run.CheckBooks();
    ++tally[last];
  }
  // The default run reaches the interesting states, not only refusals
  // (another seed explores; it need not reach every one).
  if (seed == 20261119 && steps >= 2000) {
    CHECK(run.overrides > 0);
    for (const char* op :
         {"sale", "sale (exempt)", "sale (cart left open)", "sale (voided)", "refund", "receive",
          "accept", "pick", "ship", "handover", "release", "cancel", "advance+expire"}) {
      INFO(op);
      CHECK(tally[op] > 0);
    }
    CHECK(run.s.EventsOf("reservation.expired").size() > 0);
    CHECK(run.s.EventsOf("reservation.cancel_refused").size() +
              run.s.EventsOf("reservation.released").size() >
          0);
  }
}

// ------------------------------------------------- online orders returned here

namespace {

store::OnlineOrder WebOrder(const std::string& number, std::vector<std::string> serials,
                            std::vector<bool> returned = {}) {
  json lines = json::array();
  for (std::size_t i = 0; i < serials.size(); ++i) {
    lines.push_back(json{{"line_no", i + 1},
                         {"gtin", kScarf},
                         {"serial", serials[i]},
                         {"name", "Scarf"},
                         {"price", 59900},
                         {"returned", i < returned.size() && returned[i]}});
  }
  const json order{{"number", number},
                   {"channel", "mini_program"},
                   {"currency", "CNY"},
                   {"paid", {{"method", "wechat_pay"}, {"amount", 59900 * serials.size()}}},
                   {"lines", lines}};
  auto parsed = store::ParseOnlineOrder(order.dump());
  REQUIRE(parsed);
  return *parsed;
}

const store::Approval kManager{"m-1", "session"};

}  // namespace

TEST_CASE("ReceiveOnlineReturn puts the unit in stock with one return.received event",
          "[stock][online-return]") {
  Shop s;
  const auto seq = s.Seq();
  const std::int64_t on_hand = s.Level(kScarf).on_hand;
  auto ret = s.shop->stock.ReceiveOnlineReturn(WebOrder("W-1", {"W1", "W2"}), {"W2"}, "cloud",
                                               "till-1", "c-7", kManager);
  INFO(CodeOf(ret));
  REQUIRE(ret);
  CHECK(ret->amount == 59900);
  CHECK(ret->order_no == "W-1");
  CHECK(s.Level(kScarf).on_hand == on_hand + 1);
  CHECK(s.Count("SELECT count(*) FROM units WHERE serial = 'W2' AND state = 'in_stock'") == 1);
  CHECK(s.Count("SELECT count(*) FROM stock_moves WHERE reason = 'online_return' AND serial = "
                "'W2' AND delta = 1") == 1);
  const json e = s.OneEvent(seq, "return.received");
  CHECK(e.at("return_id") == ret->id);
  CHECK(e.at("order_no") == "W-1");
  CHECK(e.at("amount") == 59900);
  CHECK(e.at("currency") == "CNY");
  CHECK(e.at("refund_via") == "cloud");
  REQUIRE(e.at("units").size() == 1);
  CHECK(e.at("units")[0].at("gtin") == kScarf);
  CHECK(e.at("units")[0].at("serial") == "W2");
  CHECK(e.at("approved_by").at("manager") == "m-1");
  // The returned unit sells like any other.
  s.Sell(kScarf, "W2");
  CHECK(s.Level(kScarf).on_hand == on_hand);
}

TEST_CASE("ReceiveOnlineReturn refuses each bad return with its code and changes nothing",
          "[stock][online-return]") {
  Shop s([](store::Config& c) { c.require_signature = false; });
  s.Sell(kScarf, "S1");
  s.Receive(kScarf, "R1");
  REQUIRE(s.shop->stock.ReceiveOnlineReturn(WebOrder("W-0", {"W0"}), {"W0"}, "cloud", "t1", "",
                                            kManager));
  const std::string before = s.State();
  std::string want;
  Expected<store::OnlineReturn> got = store::OnlineReturn{};
  SECTION("a unit not in the order") {
    want = "unit_not_in_order";
    got = s.shop->stock.ReceiveOnlineReturn(WebOrder("W-1", {"W1"}), {"X9"}, "cloud", "t1", "",
                                            kManager);
  }
  SECTION("a unit the cloud says was returned") {
    want = "unit_already_returned";
    got = s.shop->stock.ReceiveOnlineReturn(WebOrder("W-1", {"W1"}, {true}), {"W1"}, "cloud", "t1",
                                            "", kManager);
  }
  SECTION("a unit returned here that the cloud has not heard of yet") {
    want = "unit_already_returned";
    got = s.shop->stock.ReceiveOnlineReturn(WebOrder("W-0", {"W0"}), {"W0"}, "cloud", "t1", "",
                                            kManager);
  }
  SECTION("a unit this store sold") {
    want = "unit_sold_here";
    got = s.shop->stock.ReceiveOnlineReturn(WebOrder("W-2", {"S1"}), {"S1"}, "cloud", "t1", "",
                                            kManager);
  }
  SECTION("a unit already in this store's stock") {
    want = "unit_already_received";
    got = s.shop->stock.ReceiveOnlineReturn(WebOrder("W-3", {"R1"}), {"R1"}, "cloud", "t1", "",
                                            kManager);
  }
  SECTION("a second good unit after a bad one: nothing of it is kept") {
    want = "unit_not_in_order";
    got = s.shop->stock.ReceiveOnlineReturn(WebOrder("W-4", {"W4"}), {"W4", "X9"}, "cloud", "t1",
                                            "", kManager);
  }
  SECTION("a cash refund") {
    want = "cash_refund_not_allowed";
    got = s.shop->stock.ReceiveOnlineReturn(WebOrder("W-5", {"W5"}), {"W5"}, "cash", "t1", "",
                                            kManager);
  }
  SECTION("no serials") {
    want = "invalid_field";
    got =
        s.shop->stock.ReceiveOnlineReturn(WebOrder("W-6", {"W6"}), {}, "cloud", "t1", "", kManager);
  }
  CHECK(CodeOf(got) == want);
  CHECK(s.State() == before);
}

TEST_CASE("ParseOnlineOrder refuses what is not an order", "[stock][online-return]") {
  CHECK(CodeOf(store::ParseOnlineOrder("[]")) == "bad_online_order");
  CHECK(CodeOf(store::ParseOnlineOrder(R"({"number":"W","lines":[{"gtin":"1"}]})")) ==
        "bad_online_order");
  CHECK(CodeOf(store::ParseOnlineOrder(R"({"lines":[]})")) == "bad_online_order");
}
