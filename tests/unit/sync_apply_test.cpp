// SPDX-License-Identifier: Apache-2.0
// What sync writes through the store (sync/PROTOCOL.md §4, §5, §8): push
// acknowledgements and the outbox, every pulled change type applied by
// sync::ApplyChanges with its cursor in one transaction, anti-diversion at
// the till, and the manager's alerts. In process, on a fresh ledger each.
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger_shop.hpp"
#include "store.hpp"
#include "sync.hpp"

using namespace sa;
using namespace sa::testing;
using nlohmann::json;

namespace {

struct Shop : LedgerShop {
  explicit Shop(const std::function<void(store::Config&)>& tweak = {})
      : LedgerShop({.prefix = "sa-sync-apply", .tweak = tweak}) {}

  // One completed sale: one sale.completed event in the outbox.
  void Sell(const std::string& serial) {
    const std::string id = Open();
    auto scanned = shop->sales.Scan(id, Label(kScarf, serial));
    REQUIRE(scanned);
    REQUIRE(shop->sales.Complete(id, {{"card", scanned->total, "t1"}}));
  }

  Expected<void> Apply(const std::vector<store::Change>& page, std::int64_t cursor) {
    return shop->inbox.Apply(page, cursor);
  }
  std::int64_t Cursor() { return shop->inbox.GetSyncState().value().cursor; }

  std::vector<store::Alert> AlertsOf(const std::string& code) {
    auto all = shop->inbox.Alerts(true, 1000);
    REQUIRE(all);
    std::vector<store::Alert> out;
    for (const auto& a : *all) {
      if (a.code == code) out.push_back(a);
    }
    return out;
  }
};

store::Change C(std::int64_t cursor, std::string type, const json& data) {
  return store::Change{cursor, std::move(type), data.dump()};
}

std::string CodeOf(const Expected<store::Sale>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

// The one change_rejected alert of a change, checked for its detail.
void RequireRejected(Shop& s, std::int64_t cursor, const std::string& type) {
  auto rejected = s.AlertsOf("change_rejected");
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].source == "device");
  const json detail = json::parse(rejected[0].detail);
  CHECK(detail.at("cursor") == cursor);
  CHECK(detail.at("type") == type);
  CHECK(rejected[0].message.find(type) != std::string::npos);
}

json Catalog(const std::string& gtin, const std::string& name, std::int64_t price,
             std::int64_t tax_bp = 1300) {
  return json{{"gtin", gtin},
              {"name", name},
              {"price_minor", price},
              {"currency", "CNY"},
              {"tax_rate_bp", tax_bp}};
}

json Allocation(const std::string& gtin, const std::string& from, const std::string& to,
                const std::string& region) {
  return json{{"gtin", gtin}, {"serial_from", from}, {"serial_to", to}, {"region", region}};
}

}  // namespace

// ----------------------------------------------------------- push acks (§4)

TEST_CASE("RecordAck marks outbox rows up to acked_seq as pushed", "[sync][ack]") {
  Shop s;
  s.Sell("S1");
  s.Sell("S2");
  s.Sell("S3");
  REQUIRE(s.shop->books.OutboxDepth().value() == 3);
  auto before = s.shop->inbox.GetSyncState();
  REQUIRE(before);
  CHECK(before->acked_seq == 0);
  CHECK(before->last_seq == 3);
  CHECK(before->cursor == 0);

  s.clock.set_ms(kNow + 1000);
  REQUIRE(s.shop->inbox.RecordAck(2));
  CHECK(s.shop->books.OutboxDepth().value() == 1);
  // One row records it: the events themselves are not rewritten.
  CHECK(s.Count("SELECT value FROM sync_state WHERE key = 'acked_seq'") == 2);
  REQUIRE(s.shop->inbox.SetPullCursor(17));
  auto state = s.shop->inbox.GetSyncState();
  REQUIRE(state);
  CHECK(state->acked_seq == 2);
  CHECK(state->last_seq == 3);
  CHECK(state->cursor == 17);

  s.clock.set_ms(kNow + 2000);
  REQUIRE(s.shop->inbox.RecordAck(3));
  CHECK(s.shop->books.OutboxDepth().value() == 0);
  CHECK(s.shop->inbox.GetSyncState().value().acked_seq == 3);

  // The same ack again (a repeated answer) changes nothing.
  REQUIRE(s.shop->inbox.RecordAck(3));
  CHECK(s.shop->books.OutboxDepth().value() == 0);
  CHECK(s.shop->inbox.GetSyncState().value().acked_seq == 3);
}

TEST_CASE(
    "RecordAck below the recorded acked_seq makes later events pending again (cloud restored)",
    "[sync][ack]") {
  Shop s;
  for (const char* serial : {"S1", "S2", "S3", "S4"}) s.Sell(serial);
  REQUIRE(s.shop->inbox.RecordAck(4));
  REQUIRE(s.shop->books.OutboxDepth().value() == 0);

  REQUIRE(s.shop->inbox.RecordAck(1));
  CHECK(s.shop->books.OutboxDepth().value() == 3);
  auto state = s.shop->inbox.GetSyncState();
  REQUIRE(state);
  CHECK(state->acked_seq == 1);
  CHECK(state->last_seq == 4);
  // What the pusher sends next: everything after the cloud's acked_seq.
  auto again = s.shop->books.OutboxAfter(state->acked_seq, 100);
  REQUIRE(again);
  REQUIRE(again->size() == 3);
  CHECK(again->front().seq == 2);
  CHECK(again->back().seq == 4);

  SECTION("down to zero: everything is sent again") {
    REQUIRE(s.shop->inbox.RecordAck(0));
    CHECK(s.shop->books.OutboxDepth().value() == 4);
    CHECK(s.shop->inbox.GetSyncState().value().acked_seq == 0);
  }
  SECTION("and forward again") {
    REQUIRE(s.shop->inbox.RecordAck(4));
    CHECK(s.shop->books.OutboxDepth().value() == 0);
  }
}

TEST_CASE("RecordAck refuses a negative acked_seq", "[sync][ack]") {
  Shop s;
  s.Sell("S1");
  s.Sell("S2");
  REQUIRE(s.shop->inbox.RecordAck(2));
  auto r = s.shop->inbox.RecordAck(-1);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::invalid_request);
  CHECK(r.error().code == "bad_ack");
  CHECK(s.shop->inbox.GetSyncState().value().acked_seq == 2);
  CHECK(s.shop->books.OutboxDepth().value() == 0);
}

// ------------------------------------------------------------- pull (§5)

TEST_CASE("catalog.upsert adds a new product", "[sync][apply][catalog]") {
  Shop s;
  REQUIRE_FALSE(s.shop->books.FindProduct(kNew));
  REQUIRE(s.Apply({C(5, "catalog.upsert", Catalog(kNew, "Silk tie", 19900, 600))}, 5));
  auto p = s.shop->books.FindProduct(kNew);
  REQUIRE(p);
  CHECK(p->name == "Silk tie");
  CHECK(p->price_minor == 19900);
  CHECK(p->currency == "CNY");
  CHECK(p->tax_rate_bp == 600);
  CHECK(s.Cursor() == 5);
  CHECK(s.shop->inbox.Alerts(true, 100).value().empty());

  // Sellable at once.
  const std::string id = s.Open();
  auto sale = s.shop->sales.Scan(id, s.Label(kNew, "T1"));
  REQUIRE(sale);
  CHECK(sale->total == 19900);
}

TEST_CASE("catalog.upsert changes a price and open carts keep theirs", "[sync][apply][catalog]") {
  Shop s;
  const std::string id = s.Open();
  REQUIRE(s.shop->sales.Scan(id, s.Label(kScarf, "S1")));
  REQUIRE(s.Apply({C(2, "catalog.upsert", Catalog(kScarf, "Cashmere scarf", 49900))}, 2));
  CHECK(s.shop->books.FindProduct(kScarf).value().price_minor == 49900);
  CHECK(s.shop->books.FindProduct(kScarf).value().name == "Cashmere scarf");

  auto sale = s.shop->sales.Scan(id, s.Label(kScarf, "S2"));
  REQUIRE(sale);
  REQUIRE(sale->lines.size() == 2);
  CHECK(sale->lines[0].unit_price == 59900);  // scanned before the change
  CHECK(sale->lines[1].unit_price == 49900);
  CHECK(sale->total == 59900 + 49900);
  CHECK(s.Cursor() == 2);

  // The same page again: the same outcome.
  REQUIRE(s.Apply({C(2, "catalog.upsert", Catalog(kScarf, "Cashmere scarf", 49900))}, 2));
  CHECK(s.shop->books.FindProduct(kScarf).value().price_minor == 49900);
  CHECK(s.shop->inbox.Alerts(true, 100).value().empty());
}

TEST_CASE("catalog.upsert with bad data raises change_rejected and the cursor advances",
          "[sync][apply][catalog]") {
  Shop s;
  json bad;
  SECTION("no price") {
    bad = Catalog(kScarf, "Scarf", 1);
    bad.erase("price_minor");
  }
  SECTION("a price that is not an integer") {
    bad = Catalog(kScarf, "Scarf", 1);
    bad["price_minor"] = 499.5;
  }
  SECTION("a price given as a string") {
    bad = Catalog(kScarf, "Scarf", 1);
    bad["price_minor"] = "49900";
  }
  SECTION("a negative price") { bad = Catalog(kScarf, "Scarf", -1); }
  SECTION("a price over the cap") { bad = Catalog(kScarf, "Scarf", 1'000'000'000'001); }
  SECTION("a bad check digit") { bad = Catalog("06950123450006", "Scarf", 100); }
  SECTION("no gtin") {
    bad = Catalog(kScarf, "Scarf", 100);
    bad.erase("gtin");
  }
  SECTION("an empty name") { bad = Catalog(kScarf, "", 100); }
  SECTION("a tax rate over 100 %") { bad = Catalog(kScarf, "Scarf", 100, 10001); }
  SECTION("a currency that is not 3 letters") {
    bad = Catalog(kScarf, "Scarf", 100);
    bad["currency"] = "YUAN";
  }
  SECTION("signed that is not a boolean") {
    bad = Catalog(kScarf, "Scarf", 100);
    bad["signed"] = "yes";
  }
  SECTION("serialised that is not a boolean") {
    bad = Catalog(kScarf, "Scarf", 100);
    bad["serialised"] = 1;
  }
  SECTION("tax_included that is not a boolean") {
    bad = Catalog(kScarf, "Scarf", 100);
    bad["tax_included"] = "no";
  }
  SECTION("a price in another currency than the store's") {
    bad = Catalog(kScarf, "Scarf", 100);
    bad["currency"] = "HKD";
  }
  const std::string before = s.shop->books.FindProduct(kScarf).value().name;
  // A good change behind the bad one is still applied: one bad change never
  // blocks the feed.
  REQUIRE(
      s.Apply({C(8, "catalog.upsert", bad), C(9, "catalog.upsert", Catalog(kNew, "Tie", 900))}, 9));
  auto scarf = s.shop->books.FindProduct(kScarf);
  REQUIRE(scarf);
  CHECK(scarf->price_minor == 59900);
  CHECK(scarf->name == before);
  CHECK(s.shop->books.FindProduct(kNew).value().price_minor == 900);
  RequireRejected(s, 8, "catalog.upsert");
  CHECK(s.Cursor() == 9);

  // The page fetched again (crash before the answer was seen): still one alert.
  REQUIRE(
      s.Apply({C(8, "catalog.upsert", bad), C(9, "catalog.upsert", Catalog(kNew, "Tie", 900))}, 9));
  CHECK(s.AlertsOf("change_rejected").size() == 1);
}

// 2^32 + 100 must not be narrowed into a plausible 1 % tax.
TEST_CASE("catalog.upsert with a tax rate beyond int range is rejected", "[sync][apply][catalog]") {
  Shop s;
  const std::int64_t huge = (std::int64_t{1} << 32) + 100;
  REQUIRE(s.Apply({C(3, "catalog.upsert", Catalog(kScarf, "Scarf", 100, huge))}, 3));
  CHECK(s.shop->books.FindProduct(kScarf).value().price_minor == 59900);
  CHECK(s.shop->books.FindProduct(kScarf).value().tax_rate_bp != 100);
  CHECK(s.AlertsOf("change_rejected").size() == 1);
  CHECK(s.Cursor() == 3);
}

// A present tax rate that is not an integer is refused, not read as 0 %.
TEST_CASE("catalog.upsert with a non-integer tax rate is rejected", "[sync][apply][catalog]") {
  Shop s;
  json bad = Catalog(kScarf, "Scarf", 100);
  SECTION("a string") { bad["tax_rate_bp"] = "1300"; }
  SECTION("a fraction") { bad["tax_rate_bp"] = 1300.5; }
  REQUIRE(s.Apply({C(3, "catalog.upsert", bad)}, 3));
  CHECK(s.shop->books.FindProduct(kScarf).value().price_minor == 59900);
  CHECK(s.AlertsOf("change_rejected").size() == 1);
  CHECK(s.Cursor() == 3);
}

TEST_CASE("revocation makes that serial code_revoked and only that serial",
          "[sync][apply][revocation]") {
  Shop s;
  REQUIRE(s.Apply(
      {C(1, "revocation", json{{"gtin", kScarf}, {"serial", "S1"}, {"reason", "stolen"}})}, 1));
  CHECK(s.Cursor() == 1);
  CHECK(s.Count("SELECT count(*) FROM revocations WHERE gtin = '" + kScarf +
                "' AND serial = 'S1' AND reason = 'stolen'") == 1);
  const std::string id = s.Open();
  CHECK(CodeOf(s.shop->sales.Scan(id, s.Label(kScarf, "S1"))) == "code_revoked");
  CHECK(s.shop->sales.Scan(id, s.Label(kScarf, "S2")));
  CHECK(s.shop->sales.Scan(id, s.Label(kTote, "S1")));  // same serial, another GTIN

  // Applied twice: the same effect, no alert.
  REQUIRE(s.Apply(
      {C(1, "revocation", json{{"gtin", kScarf}, {"serial", "S1"}, {"reason", "stolen"}})}, 1));
  CHECK(s.Count("SELECT count(*) FROM revocations") == 1);
  CHECK(s.shop->inbox.Alerts(true, 100).value().empty());
}

TEST_CASE("revocation with a GTIN-13 is stored as the GTIN-14", "[sync][apply][revocation]") {
  Shop s;
  REQUIRE(s.Apply({C(1, "revocation", json{{"gtin", kScarf.substr(1)}, {"serial", "S7"}})}, 1));
  const std::string id = s.Open();
  CHECK(CodeOf(s.shop->sales.Scan(id, s.Label(kScarf, "S7"))) == "code_revoked");
}

TEST_CASE("revocation with bad data raises change_rejected", "[sync][apply][revocation]") {
  Shop s;
  json bad;
  SECTION("no serial") { bad = json{{"gtin", kScarf}}; }
  SECTION("a serial over 20 characters") {
    bad = json{{"gtin", kScarf}, {"serial", std::string(21, 'A')}};
  }
  SECTION("a bad gtin") { bad = json{{"gtin", "123"}, {"serial", "S1"}}; }
  REQUIRE(s.Apply({C(4, "revocation", bad)}, 4));
  CHECK(s.Count("SELECT count(*) FROM revocations") == 0);
  RequireRejected(s, 4, "revocation");
  CHECK(s.Cursor() == 4);
}

// ------------------------------------------------- allocations, diversion (§8)

TEST_CASE("allocation is recorded with its GTIN normalised", "[sync][apply][allocation]") {
  Shop s;
  json a = Allocation(kScarf.substr(1), "S100", "S199", "south");
  a["lot"] = "L-7";
  REQUIRE(s.Apply({C(3, "allocation", a)}, 3));
  CHECK(s.Count("SELECT count(*) FROM allocations WHERE gtin = '" + kScarf +
                "' AND serial_from = 'S100' AND serial_to = 'S199' AND region = 'south' "
                "AND lot = 'L-7'") == 1);
  CHECK(s.Cursor() == 3);
  // The same range again with another region replaces it.
  REQUIRE(s.Apply({C(4, "allocation", Allocation(kScarf, "S100", "S199", "east"))}, 4));
  CHECK(s.Count("SELECT count(*) FROM allocations") == 1);
  CHECK(s.Count("SELECT count(*) FROM allocations WHERE region = 'east' AND lot IS NULL") == 1);
  CHECK(s.shop->inbox.Alerts(true, 100).value().empty());
}

TEST_CASE("allocation with bad data raises change_rejected", "[sync][apply][allocation]") {
  Shop s;
  json bad;
  SECTION("from after to") { bad = Allocation(kScarf, "S199", "S100", "south"); }
  SECTION("serials of different lengths") { bad = Allocation(kScarf, "S100", "S1999", "south"); }
  SECTION("no region") { bad = Allocation(kScarf, "S100", "S199", ""); }
  SECTION("a bad gtin") { bad = Allocation("06950123450006", "S100", "S199", "south"); }
  SECTION("no serial_from") {
    bad = Allocation(kScarf, "S100", "S199", "south");
    bad.erase("serial_from");
  }
  REQUIRE(s.Apply({C(6, "allocation", bad)}, 6));
  CHECK(s.Count("SELECT count(*) FROM allocations") == 0);
  RequireRejected(s, 6, "allocation");
  CHECK(s.Cursor() == 6);
}

TEST_CASE("a diverted unit is warned about: the sale goes on and the brand is told",
          "[sync][apply][diversion]") {
  Shop s([](store::Config& c) {
    c.region = "north";
    c.refuse_diverted = false;
  });
  REQUIRE(s.Apply({C(1, "allocation", Allocation(kScarf, "S100", "S199", "south"))}, 1));

  const std::string first = s.Open();
  auto sale = s.shop->sales.Scan(first, s.Label(kScarf, "S150"));
  REQUIRE(sale);
  REQUIRE(sale->lines.size() == 1);
  CHECK(sale->lines[0].serial == "S150");

  auto events = s.EventsOf("code.diverted");
  REQUIRE(events.size() == 1);
  const json payload = json::parse(events[0].payload);
  CHECK(payload.at("gtin") == kScarf);
  CHECK(payload.at("serial") == "S150");
  CHECK(payload.at("allocated_region") == "south");
  CHECK(payload.at("store_region") == "north");
  CHECK(payload.at("sale_id") == first);
  CHECK(payload.at("action") == "warned");

  auto alerts = s.AlertsOf("code_diverted");
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].source == "device");
  CHECK(alerts[0].at_ms == kNow);
  const json detail = json::parse(alerts[0].detail);
  CHECK(detail.at("gtin") == kScarf);
  CHECK(detail.at("serial") == "S150");
  CHECK(detail.at("allocated_region") == "south");

  // The unit is in an open sale: another sale cannot take it.
  const std::string second = s.Open();
  CHECK(CodeOf(s.shop->sales.Scan(second, s.Label(kScarf, "S150"))) == "serial_in_cart");
  CHECK(s.AlertsOf("code_diverted").size() == 1);

  // Taken out of the first sale and scanned into the second: the brand gets a
  // second event, the manager still one alert for the unit.
  REQUIRE(s.shop->sales.RemoveLine(first, sale->lines[0].id));
  s.clock.advance_ms(60'000);
  REQUIRE(s.shop->sales.Scan(second, s.Label(kScarf, "S150")));
  CHECK(s.EventsOf("code.diverted").size() == 2);
  CHECK(s.AlertsOf("code_diverted").size() == 1);

  // Another unit of the range: its own alert.
  auto both = s.shop->sales.Scan(second, s.Label(kScarf, "S151"));
  REQUIRE(both);
  CHECK(both->lines.size() == 2);
  CHECK(s.EventsOf("code.diverted").size() == 3);
  alerts = s.AlertsOf("code_diverted");
  REQUIRE(alerts.size() == 2);
  CHECK(json::parse(alerts[0].detail).at("serial") == "S151");  // newest first
  CHECK(json::parse(alerts[1].detail).at("serial") == "S150");

  // The sale completes with both units.
  REQUIRE(s.shop->sales.Complete(second, {{"card", both->total, "t1"}}));
}

TEST_CASE("a diverted unit is refused when codes.on_diverted is refuse",
          "[sync][apply][diversion]") {
  Shop s([](store::Config& c) {
    c.region = "north";
    c.refuse_diverted = true;
  });
  REQUIRE(s.Apply({C(1, "allocation", Allocation(kScarf, "S100", "S199", "south"))}, 1));
  const std::string id = s.Open();
  auto r = s.shop->sales.Scan(id, s.Label(kScarf, "S150"));
  CHECK(CodeOf(r) == "code_diverted");
  CHECK(r.error().kind == ErrorKind::refused);
  CHECK_FALSE(s.db->InTransaction());
  CHECK(s.shop->sales.GetSale(id).value().lines.empty());
  CHECK(s.shop->sales.GetSale(id).value().total == 0);

  // Committed although the scan was refused: the event and the alert.
  auto events = s.EventsOf("code.diverted");
  REQUIRE(events.size() == 1);
  const json payload = json::parse(events[0].payload);
  CHECK(payload.at("action") == "refused");
  CHECK(payload.at("serial") == "S150");
  CHECK(payload.at("sale_id") == id);
  CHECK(s.AlertsOf("code_diverted").size() == 1);
  CHECK(s.shop->inbox.GetSyncState().value().last_seq == 1);

  // Seen from another connection too (it is on disk, not just in this one).
  ledger::Database::Options options;
  options.integrity_check = false;
  auto other = ledger::Database::Open((s.dir / "ledger.db").string(), options);
  REQUIRE(other);
  {
    auto st = (*other)->Cached("SELECT count(*) FROM outbox WHERE type = 'code.diverted'");
    REQUIRE(st.Step());
    CHECK(st.Int(0) == 1);
    auto al = (*other)->Cached("SELECT count(*) FROM alerts WHERE code = 'code_diverted'");
    REQUIRE(al.Step());
    CHECK(al.Int(0) == 1);
  }

  // Scanned again: refused again, still one alert for the unit.
  CHECK(CodeOf(s.shop->sales.Scan(id, s.Label(kScarf, "S150"))) == "code_diverted");
  CHECK(s.AlertsOf("code_diverted").size() == 1);
  // Another unit of the range: its own alert.
  CHECK(CodeOf(s.shop->sales.Scan(id, s.Label(kScarf, "S199"))) == "code_diverted");
  CHECK(s.AlertsOf("code_diverted").size() == 2);
  CHECK(s.shop->sales.GetSale(id).value().lines.empty());
}

TEST_CASE("units outside a foreign allocation are not diverted", "[sync][apply][diversion]") {
  Shop s([](store::Config& c) {
    c.region = "north";
    c.refuse_diverted = true;
  });
  REQUIRE(s.Apply({C(1, "allocation", Allocation(kScarf, "S100", "S199", "south"))}, 1));
  const std::string id = s.Open();
  // The control: the check is live in this store.
  REQUIRE(CodeOf(s.shop->sales.Scan(id, s.Label(kScarf, "S100"))) == "code_diverted");
  const std::size_t alerts = s.AlertsOf("code_diverted").size();
  const std::size_t events = s.EventsOf("code.diverted").size();

  SECTION("a serial of another length that sorts inside the range") {
    CHECK(s.shop->sales.Scan(id, s.Label(kScarf, "S1500")));  // "S100" <= "S1500" <= "S199"
  }
  SECTION("a serial of another length, shorter") {
    CHECK(s.shop->sales.Scan(id, s.Label(kScarf, "S15")));
  }
  SECTION("a serial past the end of the range") {
    CHECK(s.shop->sales.Scan(id, s.Label(kScarf, "S200")));
  }
  SECTION("a serial before the start of the range") {
    CHECK(s.shop->sales.Scan(id, s.Label(kScarf, "S099")));
  }
  SECTION("the same serial of another GTIN") {
    CHECK(s.shop->sales.Scan(id, s.Label(kTote, "S150")));
  }
  CHECK(s.AlertsOf("code_diverted").size() == alerts);
  CHECK(s.EventsOf("code.diverted").size() == events);
}

TEST_CASE("a range also allocated to the store's own region is not diverted",
          "[sync][apply][diversion]") {
  Shop s([](store::Config& c) {
    c.region = "north";
    c.refuse_diverted = true;
  });
  SECTION("a wider range") {
    REQUIRE(s.Apply({C(1, "allocation", Allocation(kScarf, "S100", "S199", "south")),
                     C(2, "allocation", Allocation(kScarf, "S000", "S299", "north"))},
                    2));
  }
  SECTION("an overlapping range") {
    REQUIRE(s.Apply({C(1, "allocation", Allocation(kScarf, "S100", "S199", "south")),
                     C(2, "allocation", Allocation(kScarf, "S140", "S160", "north"))},
                    2));
    const std::string id = s.Open();
    // Outside the overlap the unit is still diverted.
    CHECK(CodeOf(s.shop->sales.Scan(id, s.Label(kScarf, "S170"))) == "code_diverted");
  }
  const std::string id = s.Open();
  REQUIRE(s.shop->sales.Scan(id, s.Label(kScarf, "S150")));
  for (const auto& a : s.AlertsOf("code_diverted")) {
    CHECK(json::parse(a.detail).at("serial") != "S150");
  }
  for (const auto& e : s.EventsOf("code.diverted")) {
    CHECK(json::parse(e.payload).at("serial") != "S150");
  }
}

TEST_CASE("an empty store region disables the diversion check", "[sync][apply][diversion]") {
  Shop s([](store::Config& c) {
    c.region = "";
    c.refuse_diverted = true;
  });
  REQUIRE(s.Apply({C(1, "allocation", Allocation(kScarf, "S100", "S199", "south"))}, 1));
  const std::string id = s.Open();
  REQUIRE(s.shop->sales.Scan(id, s.Label(kScarf, "S150")));
  CHECK(s.EventsOf("code.diverted").empty());
  CHECK(s.AlertsOf("code_diverted").empty());
}

// ------------------------------------------------------------------ keys

TEST_CASE("key.brand and key.member are recorded in cloud_keys", "[sync][apply][keys]") {
  Shop s;
  const std::string brand = crypto::SigningKey::Generate().PublicPem();
  const std::string member = crypto::SigningKey::Generate().PublicPem();
  REQUIRE(s.Apply({C(1, "key.brand", json{{"action", "add"}, {"pem", brand}}),
                   C(2, "key.member", json{{"action", "add"}, {"pem", member}})},
                  2));
  CHECK(s.Count("SELECT count(*) FROM cloud_keys") == 2);
  {
    auto st = s.db->Cached("SELECT retired FROM cloud_keys WHERE kind = 'brand' AND pem = ?");
    st.Bind(1, brand);
    REQUIRE(st.Step());
    CHECK(st.Int(0) == 0);
  }
  {
    auto st = s.db->Cached("SELECT retired FROM cloud_keys WHERE kind = 'member' AND pem = ?");
    st.Bind(1, member);
    REQUIRE(st.Step());
    CHECK(st.Int(0) == 0);
  }
  CHECK(s.Cursor() == 2);

  // Retired: still listed, marked.
  REQUIRE(s.Apply({C(3, "key.brand", json{{"action", "retire"}, {"pem", brand}})}, 3));
  CHECK(s.Count("SELECT count(*) FROM cloud_keys") == 2);
  {
    auto st = s.db->Cached("SELECT retired FROM cloud_keys WHERE kind = 'brand' AND pem = ?");
    st.Bind(1, brand);
    REQUIRE(st.Step());
    CHECK(st.Int(0) == 1);
  }
  CHECK(s.Count("SELECT count(*) FROM cloud_keys WHERE kind = 'member' AND retired = 0") == 1);
  CHECK(s.shop->inbox.Alerts(true, 100).value().empty());
}

TEST_CASE("key changes with bad data raise change_rejected", "[sync][apply][keys]") {
  Shop s;
  std::string type = "key.brand";
  json bad;
  SECTION("a pem that is not a PEM") { bad = json{{"action", "add"}, {"pem", "not a key"}}; }
  SECTION("a private key PEM") {
    bad = json{{"action", "add"}, {"pem", crypto::SigningKey::Generate().PrivatePem()}};
  }
  SECTION("a member key without a pem") {
    type = "key.member";
    bad = json{{"action", "add"}};
  }
  SECTION("an unknown action") {
    bad = json{{"action", "replace"}, {"pem", crypto::SigningKey::Generate().PublicPem()}};
  }
  REQUIRE(s.Apply({C(5, type, bad)}, 5));
  CHECK(s.Count("SELECT count(*) FROM cloud_keys") == 0);
  RequireRejected(s, 5, type);
  CHECK(s.Cursor() == 5);
}

// ---------------------------------------------------------------- orders

TEST_CASE("order.offered and order.cancelled are recorded in cloud_orders",
          "[sync][apply][orders]") {
  Shop s;
  const json offer{{"id", "o-1"},
                   {"kind", "pickup"},
                   {"lines", json::array({json{{"gtin", kScarf}, {"qty", 1}}})},
                   {"ttl_s", 900},
                   {"pickup_code", "4821"}};
  REQUIRE(s.Apply({C(1, "order.offered", offer)}, 1));
  {
    auto st = s.db->Cached(
        "SELECT kind, body, offered_at_ms, cancel_requested_at_ms IS NULL FROM cloud_orders "
        "WHERE id = 'o-1'");
    REQUIRE(st.Step());
    CHECK(st.Text(0) == "pickup");
    CHECK(json::parse(st.Text(1)) == offer);
    CHECK(st.Int(2) == kNow);
    CHECK(st.Int(3) == 1);
  }

  // Offered again (with other content): the first offer stands.
  s.clock.advance_ms(5000);
  json again = offer;
  again["kind"] = "ship_from_store";
  again["ttl_s"] = 60;
  REQUIRE(s.Apply({C(2, "order.offered", again)}, 2));
  CHECK(s.Count("SELECT count(*) FROM cloud_orders") == 1);
  {
    auto st = s.db->Cached("SELECT kind, body, offered_at_ms FROM cloud_orders WHERE id = 'o-1'");
    REQUIRE(st.Step());
    CHECK(st.Text(0) == "pickup");
    CHECK(json::parse(st.Text(1)) == offer);
    CHECK(st.Int(2) == kNow);
  }

  // Cancelled: the request is recorded once, at its first time.
  REQUIRE(s.Apply({C(3, "order.cancelled", json{{"id", "o-1"}})}, 3));
  CHECK(s.Count("SELECT cancel_requested_at_ms FROM cloud_orders WHERE id = 'o-1'") == kNow + 5000);
  s.clock.advance_ms(5000);
  REQUIRE(s.Apply({C(4, "order.cancelled", json{{"id", "o-1"}})}, 4));
  CHECK(s.Count("SELECT cancel_requested_at_ms FROM cloud_orders WHERE id = 'o-1'") == kNow + 5000);

  // A cancel of an order this store never saw changes nothing.
  REQUIRE(s.Apply({C(5, "order.cancelled", json{{"id", "o-unknown"}})}, 5));
  CHECK(s.Count("SELECT count(*) FROM cloud_orders") == 1);
  CHECK(s.Cursor() == 5);
  CHECK(s.shop->inbox.Alerts(true, 100).value().empty());
}

TEST_CASE("order.offered with bad data raises change_rejected", "[sync][apply][orders]") {
  Shop s;
  json bad{{"id", "o-2"},
           {"kind", "pickup"},
           {"lines", json::array({json{{"gtin", kScarf}, {"qty", 1}}})},
           {"ttl_s", 60},
           {"pickup_code", "4821"}};
  SECTION("no lines") { bad["lines"] = json::array(); }
  SECTION("a line of qty 0") { bad["lines"][0]["qty"] = 0; }
  SECTION("a line with a bad GTIN") { bad["lines"][0]["gtin"] = "123"; }
  SECTION("a pickup order without its pickup code") { bad.erase("pickup_code"); }
  SECTION("a negative ttl") { bad["ttl_s"] = -5; }
  SECTION("an unknown kind") { bad["kind"] = "delivery"; }
  SECTION("no kind") { bad.erase("kind"); }
  SECTION("no id") { bad.erase("id"); }
  SECTION("an id with a space") { bad["id"] = "o 2"; }
  REQUIRE(s.Apply({C(7, "order.offered", bad)}, 7));
  CHECK(s.Count("SELECT count(*) FROM cloud_orders") == 0);
  RequireRejected(s, 7, "order.offered");
  CHECK(s.Cursor() == 7);
}

// ----------------------------------------------------------------- stock

TEST_CASE("stock.snapshot records the cloud's count", "[sync][apply][stock]") {
  Shop s;
  REQUIRE(s.Apply({C(1, "stock.snapshot", json{{"gtin", kScarf}, {"on_hand", 7}})}, 1));
  CHECK(s.Count("SELECT on_hand FROM stock_snapshots WHERE gtin = '" + kScarf + "'") == 7);
  s.clock.advance_ms(1000);
  REQUIRE(s.Apply({C(2, "stock.snapshot", json{{"gtin", kScarf.substr(1)}, {"on_hand", 0}})}, 2));
  CHECK(s.Count("SELECT count(*) FROM stock_snapshots") == 1);
  CHECK(s.Count("SELECT on_hand FROM stock_snapshots WHERE gtin = '" + kScarf + "'") == 0);
  CHECK(s.Count("SELECT at_ms FROM stock_snapshots WHERE gtin = '" + kScarf + "'") == kNow + 1000);
  CHECK(s.shop->inbox.Alerts(true, 100).value().empty());
}

TEST_CASE("stock.snapshot with bad data raises change_rejected", "[sync][apply][stock]") {
  Shop s;
  REQUIRE(s.Apply({C(1, "stock.snapshot", json{{"gtin", kScarf}, {"on_hand", 5}})}, 1));
  json bad;
  SECTION("a negative count") { bad = json{{"gtin", kScarf}, {"on_hand", -1}}; }
  SECTION("a count that is not an integer") { bad = json{{"gtin", kScarf}, {"on_hand", 2.5}}; }
  SECTION("a count given as a string") { bad = json{{"gtin", kScarf}, {"on_hand", "3"}}; }
  SECTION("a bad gtin") { bad = json{{"gtin", "06950123450006"}, {"on_hand", 3}}; }
  REQUIRE(s.Apply({C(2, "stock.snapshot", bad)}, 2));
  CHECK(s.Count("SELECT on_hand FROM stock_snapshots WHERE gtin = '" + kScarf + "'") == 5);
  CHECK(s.Count("SELECT count(*) FROM stock_snapshots") == 1);
  RequireRejected(s, 2, "stock.snapshot");
  CHECK(s.Cursor() == 2);
}

// ------------------------------------------------------- member.claimed

TEST_CASE("member.claimed binds a completed sale to the member who claimed it, once",
          "[sync][apply][claim]") {
  Shop s;
  const std::string id = s.Open();
  auto scanned = s.shop->sales.Scan(id, s.Label(kScarf, "CL1"));
  REQUIRE(scanned);
  REQUIRE(s.shop->sales.Complete(id, {{"card", scanned->total, "t1"}}));
  CHECK_FALSE(s.shop->sales.GetSale(id).value().member);

  auto claimed = [&](const std::string& sale, const std::string& member) {
    return json{{"sale_id", sale}, {"member_id", member}, {"claimed_at_ms", kNow + 5000}};
  };
  // The same page twice, and a second claim of the sale: the first one stays.
  REQUIRE(s.Apply({C(1, "member.claimed", claimed(id, "M-1001"))}, 1));
  REQUIRE(s.Apply({C(1, "member.claimed", claimed(id, "M-1001")),
                   C(2, "member.claimed", claimed(id, "M-2002"))},
                  2));
  const auto sale = s.shop->sales.GetSale(id);
  REQUIRE(sale);
  REQUIRE(sale->member);
  CHECK(sale->member->member_id == "M-1001");
  CHECK(sale->member->claimed);
  CHECK(s.Count("SELECT count(*) FROM sale_claims") == 1);
  // The sale itself is as it was completed (invariant 7): no member column set.
  CHECK(s.Count("SELECT count(*) FROM sales WHERE id = '" + id + "' AND member IS NULL") == 1);
  // Another till's sale: kept for a refund of it here.
  REQUIRE(
      s.Apply({C(3, "member.claimed", claimed("0190f3a2-7c1e-7b3a-9f00-000000000001", "M-3"))}, 3));
  CHECK(s.Count("SELECT count(*) FROM sale_claims") == 2);
  CHECK(s.shop->inbox.Alerts(true, 100).value().empty());
}

TEST_CASE("member.claimed with bad data raises change_rejected and binds nothing",
          "[sync][apply][claim]") {
  Shop s;
  json bad;
  SECTION("no sale id") { bad = json{{"member_id", "M-1"}}; }
  SECTION("no member id") { bad = json{{"sale_id", "sale-1"}}; }
  SECTION("a member id too long") {
    bad = json{{"sale_id", "sale-1"}, {"member_id", std::string(65, 'M')}};
  }
  SECTION("a sale id with a quote") { bad = json{{"sale_id", "sale'1"}, {"member_id", "M-1"}}; }
  SECTION("a member id that is a number") { bad = json{{"sale_id", "sale-1"}, {"member_id", 7}}; }
  REQUIRE(s.Apply({C(4, "member.claimed", bad)}, 4));
  CHECK(s.Count("SELECT count(*) FROM sale_claims") == 0);
  RequireRejected(s, 4, "member.claimed");
  CHECK(s.Cursor() == 4);
}

// ------------------------------------------------------- reconciliations

TEST_CASE("a closed shift waits for the cloud's answer, and a mismatch is one alert",
          "[sync][reconcile]") {
  Shop s;
  auto shift = s.shop->shifts.OpenShift("till-1", "", 0);
  REQUIRE(shift);
  s.Sell("RC1");
  s.Sell("RC2");
  REQUIRE(s.shop->shifts.CloseShift(shift->id, 0));
  CHECK(s.shop->shifts.GetShift(shift->id)->reconciliation == "pending");
  auto pending = s.shop->inbox.PendingReconciliations(20);
  REQUIRE(pending);
  REQUIRE(pending->size() == 1);
  const auto& r = pending->front();
  CHECK(r.shift_id == shift->id);
  CHECK(r.terminal == "till-1");
  CHECK(r.sales.size() == 2);
  CHECK(r.refunds.empty());
  CHECK(r.last_seq == s.Count("SELECT max(seq) FROM outbox"));  // its shift.closed

  CHECK(s.shop->inbox.RecordReconciliation(shift->id, "maybe", "{}", "").error().code ==
        "bad_reconciliation");
  REQUIRE(s.shop->inbox.RecordReconciliation(shift->id, "mismatch", R"({"missing":[]})",
                                             "shift does not reconcile"));
  // Answered: not asked again; a second answer changes nothing, raises nothing.
  REQUIRE(s.shop->inbox.RecordReconciliation(shift->id, "mismatch", "{}", "again"));
  REQUIRE(s.shop->inbox.RecordReconciliation(shift->id, "match", "{}", ""));
  CHECK(s.shop->shifts.GetShift(shift->id)->reconciliation == "mismatch");
  CHECK(s.shop->inbox.PendingReconciliations(20)->empty());
  const auto alerts = s.AlertsOf("reconciliation_mismatch");
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].message == "shift does not reconcile");
  CHECK(alerts[0].source == "cloud");
}

// ---------------------------------------------------------------- alerts

TEST_CASE("an alert change is raised with source cloud and once per cursor",
          "[sync][apply][alerts]") {
  Shop s;
  const json data{{"code", "serial_sold_twice"},
                  {"message", "S1 was sold twice"},
                  {"gtin", kScarf},
                  {"serial", "S1"},
                  {"sales", json::array({json{{"device_id", "till-1"}, {"sale_id", "a"}},
                                         json{{"device_id", "till-2"}, {"sale_id", "b"}}})}};
  const std::vector<store::Change> page{C(40, "alert", data)};
  REQUIRE(s.Apply(page, 40));
  auto alerts = s.shop->inbox.Alerts(false, 100);
  REQUIRE(alerts);
  REQUIRE(alerts->size() == 1);
  const auto& a = alerts->front();
  CHECK(a.code == "serial_sold_twice");
  CHECK(a.message == "S1 was sold twice");
  CHECK(a.source == "cloud");
  CHECK(a.at_ms == kNow);
  CHECK_FALSE(a.acknowledged);
  CHECK(json::parse(a.detail) == data);
  CHECK(s.Cursor() == 40);

  // The same page again (its answer was lost): raised once.
  REQUIRE(s.Apply(page, 40));
  CHECK(s.shop->inbox.Alerts(true, 100).value().size() == 1);

  // Even after the manager acknowledged it, the page again does not re-raise it.
  REQUIRE(s.shop->inbox.AcknowledgeAlert(a.id));
  REQUIRE(s.Apply(page, 40));
  CHECK(s.shop->inbox.Alerts(false, 100).value().empty());
  CHECK(s.shop->inbox.Alerts(true, 100).value().size() == 1);

  // The dedupe is by cursor: the same content at a later cursor is a new alert.
  REQUIRE(s.Apply({C(41, "alert", data)}, 41));
  CHECK(s.AlertsOf("serial_sold_twice").size() == 2);
}

TEST_CASE("an alert change without a code or message raises change_rejected",
          "[sync][apply][alerts]") {
  Shop s;
  json bad;
  SECTION("no code") { bad = json{{"message", "m"}}; }
  SECTION("no message") { bad = json{{"code", "c"}}; }
  REQUIRE(s.Apply({C(9, "alert", bad)}, 9));
  auto all = s.shop->inbox.Alerts(true, 100).value();
  REQUIRE(all.size() == 1);
  RequireRejected(s, 9, "alert");
  CHECK(s.Cursor() == 9);
}

// ------------------------------------------------------- unknown, malformed

TEST_CASE("a change of an unknown type is skipped and the cursor advances",
          "[sync][apply][unknown]") {
  Shop s;
  REQUIRE(s.Apply({C(11, "loyalty.points", json{{"member", "m-1"}, {"points", 50}}),
                   C(12, "stock.snapshot", json{{"gtin", kScarf}, {"on_hand", 3}})},
                  12));
  CHECK(s.Cursor() == 12);
  CHECK(s.shop->inbox.Alerts(true, 100).value().empty());
  CHECK(s.Count("SELECT on_hand FROM stock_snapshots") == 3);
  CHECK(s.shop->books.OutboxDepth().value() == 0);
}

TEST_CASE("a change of an unknown type is skipped whatever its data", "[sync][apply][unknown]") {
  Shop s;
  sa::store::Change odd{13, "loyalty.points", "[1,2,3]"};
  REQUIRE(s.Apply({odd}, 13));
  CHECK(s.Cursor() == 13);
  CHECK(s.shop->inbox.Alerts(true, 100).value().empty());
}

TEST_CASE("an empty page stores its cursor", "[sync][apply]") {
  Shop s;
  REQUIRE(s.Apply({}, 0));
  CHECK(s.Cursor() == 0);
  REQUIRE(s.Apply({}, 25));
  CHECK(s.Cursor() == 25);
}

TEST_CASE("change data that is not a JSON object raises change_rejected",
          "[sync][apply][malformed]") {
  Shop s;
  std::string text;
  SECTION("an array") { text = "[1,2,3]"; }
  SECTION("a string") { text = "\"gtin\""; }
  SECTION("null") { text = "null"; }
  SECTION("not JSON") { text = "{\"gtin\":"; }
  SECTION("empty") { text = ""; }
  REQUIRE(s.Apply({store::Change{21, "catalog.upsert", text},
                   C(22, "stock.snapshot", json{{"gtin", kScarf}, {"on_hand", 1}})},
                  22));
  RequireRejected(s, 21, "catalog.upsert");
  CHECK(s.Count("SELECT count(*) FROM stock_snapshots") == 1);  // the page went on
  CHECK(s.Cursor() == 22);
}

// ------------------------------------------------------------- atomicity

TEST_CASE("ApplyChanges inside an outer transaction that is not committed leaves nothing",
          "[sync][apply][atomic]") {
  Shop s;
  const std::string pem = crypto::SigningKey::Generate().PublicPem();
  const std::vector<store::Change> page{
      C(1, "catalog.upsert", Catalog(kNew, "Silk tie", 19900)),
      C(2, "catalog.upsert", Catalog(kScarf, "Scarf", 100)),
      C(3, "revocation", json{{"gtin", kScarf}, {"serial", "S1"}}),
      C(4, "allocation", Allocation(kScarf, "S100", "S199", "south")),
      C(5, "key.brand", json{{"action", "add"}, {"pem", pem}}),
      C(6, "order.offered",
        json{{"id", "o-1"},
             {"kind", "pickup"},
             {"pickup_code", "4821"},
             {"lines", json::array({json{{"gtin", kScarf}, {"qty", 1}}})}}),
      C(7, "stock.snapshot", json{{"gtin", kScarf}, {"on_hand", 4}}),
      C(8, "alert", json{{"code", "note"}, {"message", "hello"}}),
      C(9, "stock.snapshot", json{{"gtin", kScarf}, {"on_hand", -4}}),  // rejected: a 2nd alert
  };
  // One count per thing the page touches, as text: the failure shows which.
  auto everything = [&s] {
    std::string out;
    for (const std::string& sql :
         {"SELECT count(*) FROM products WHERE gtin = '" + kNew + "'",
          std::string("SELECT count(*) FROM products WHERE price_minor = 100"),
          std::string("SELECT count(*) FROM revocations"),
          std::string("SELECT count(*) FROM allocations"),
          std::string("SELECT count(*) FROM cloud_keys"),
          std::string("SELECT count(*) FROM cloud_orders"),
          std::string("SELECT count(*) FROM stock_snapshots"),
          std::string("SELECT count(*) FROM alerts WHERE code = 'note' AND source = 'cloud'"),
          std::string("SELECT count(*) FROM alerts WHERE code = 'change_rejected'")}) {
      out += std::to_string(s.Count(sql));
    }
    return out;
  };
  REQUIRE(everything() == "000000000");
  {
    ledger::Transaction outer(*s.db, ledger::Durability::full);
    REQUIRE(s.Apply(page, 9));
    // Inside, all of it is there.
    CHECK(everything() == "111111111");
    CHECK(s.Cursor() == 9);
  }  // not committed
  CHECK_FALSE(s.db->InTransaction());
  CHECK(everything() == "000000000");
  CHECK(s.Cursor() == 0);
  CHECK(s.shop->books.FindProduct(kScarf).value().price_minor == 59900);

  // Committed, the same page lands whole.
  {
    ledger::Transaction outer(*s.db, ledger::Durability::full);
    REQUIRE(s.Apply(page, 9));
    outer.Commit();
  }
  CHECK(everything() == "111111111");
  CHECK(s.Cursor() == 9);
}

// ------------------------------------------------------- alerts for the manager

TEST_CASE("Alerts lists newest first and hides acknowledged ones unless asked", "[sync][alerts]") {
  Shop s;
  for (const char* code : {"first", "second", "third"}) {
    store::Alert a;
    a.code = code;
    a.message = std::string("the ") + code;
    a.source = "device";
    REQUIRE(s.shop->inbox.RaiseAlert(a));
    s.clock.advance_ms(1000);
  }
  auto listed = s.shop->inbox.Alerts(false, 100);
  REQUIRE(listed);
  REQUIRE(listed->size() == 3);
  CHECK((*listed)[0].code == "third");
  CHECK((*listed)[1].code == "second");
  CHECK((*listed)[2].code == "first");
  CHECK((*listed)[0].at_ms == kNow + 2000);
  CHECK((*listed)[2].at_ms == kNow);
  CHECK((*listed)[1].message == "the second");

  REQUIRE(s.shop->inbox.AcknowledgeAlert((*listed)[1].id));
  auto open = s.shop->inbox.Alerts(false, 100).value();
  REQUIRE(open.size() == 2);
  CHECK(open[0].code == "third");
  CHECK(open[1].code == "first");
  CHECK_FALSE(open[0].acknowledged);

  auto all = s.shop->inbox.Alerts(true, 100).value();
  REQUIRE(all.size() == 3);
  CHECK(all[1].code == "second");
  CHECK(all[1].acknowledged);
  CHECK_FALSE(all[0].acknowledged);

  // Acknowledging again is harmless; the limit caps the list.
  REQUIRE(s.shop->inbox.AcknowledgeAlert(all[1].id));
  auto two = s.shop->inbox.Alerts(true, 2).value();
  REQUIRE(two.size() == 2);
  CHECK(two[0].code == "third");
  CHECK(two[1].code == "second");
}

TEST_CASE("AcknowledgeAlert of an unknown id is not_found", "[sync][alerts]") {
  Shop s;
  auto r = s.shop->inbox.AcknowledgeAlert(4242);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().code == "alert_not_found");
  CHECK_FALSE(s.db->InTransaction());
}

TEST_CASE("RaiseAlert dedupes by key and refuses an alert without code or message",
          "[sync][alerts]") {
  Shop s;
  store::Alert a;
  a.code = "event_rejected";
  a.message = "seq 4 was rejected";
  a.source = "device";
  REQUIRE(s.shop->inbox.RaiseAlert(a, "rejected:4"));
  REQUIRE(s.shop->inbox.RaiseAlert(a, "rejected:4"));
  CHECK(s.shop->inbox.Alerts(true, 100).value().size() == 1);
  REQUIRE(s.shop->inbox.RaiseAlert(a));  // no key: no dedupe
  REQUIRE(s.shop->inbox.RaiseAlert(a));
  CHECK(s.shop->inbox.Alerts(true, 100).value().size() == 3);

  store::Alert empty;
  empty.source = "device";
  auto r = s.shop->inbox.RaiseAlert(empty);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "bad_alert");
  CHECK(s.shop->inbox.Alerts(true, 100).value().size() == 3);
}

// ------------------------------------------------------------ key rotation

TEST_CASE("a pulled brand key rotation takes effect at the till at once and survives a restart",
          "[sync][apply][keys]") {
  Shop s([](store::Config& c) { c.require_signature = true; });
  const auto next = crypto::SigningKey::Generate();
  const std::string by_next = codes::MakeDigitalLink("id.brand.example", kScarf, "ROT1",
                                                     codes::SignLabel(kScarf, "ROT1", next));
  const std::string sale = s.Open();
  CHECK(CodeOf(s.shop->sales.Scan(sale, by_next)) == "code_forged");  // not trusted yet

  REQUIRE(s.Apply({C(1, "key.brand", json{{"action", "add"}, {"pem", next.PublicPem()}})}, 1));
  CHECK(s.shop->sales.Scan(sale, by_next));
  CHECK(s.shop->sales.Scan(sale, s.Label(kScarf, "OLD1")));  // the config's key still holds

  // The brand retires its old key (the one from the config file).
  REQUIRE(s.Apply(
      {C(2, "key.brand", json{{"action", "retire"}, {"pem", store::DemoBrandKey().PublicPem()}})},
      2));
  CHECK(CodeOf(s.shop->sales.Scan(sale, s.Label(kScarf, "OLD2"))) == "code_forged");
  CHECK(s.shop->sales.Scan(sale, codes::MakeDigitalLink("id.brand.example", kScarf, "ROT2",
                                                        codes::SignLabel(kScarf, "ROT2", next))));

  // A new Store over the same ledger (the daemon restarted) sees the same keys.
  store::Config config = store::DemoConfig();
  config.require_signature = true;
  config.parse.reference_year = 2026;
  store::Store again(*s.db, config, s.clock);
  const std::string other = again.sales.OpenSale("till-2").value().id;
  CHECK(CodeOf(again.sales.Scan(other, s.Label(kScarf, "OLD3"))) == "code_forged");
  CHECK(again.sales.Scan(other, codes::MakeDigitalLink("id.brand.example", kScarf, "ROT3",
                                                       codes::SignLabel(kScarf, "ROT3", next))));
}

TEST_CASE("catalog.upsert says whether a product's units must be signed and go by serial",
          "[sync][apply][catalog]") {
  Shop s;  // the demo store requires signatures
  json bag = Catalog(kNew, "Paper bag", 100, 600);
  bag["signed"] = false;
  bag["serialised"] = false;
  bag["tax_included"] = false;
  json scarf = Catalog(kScarf, "Scarf", 59900);
  scarf["signed"] = nullptr;  // null: the store's rule
  REQUIRE(s.Apply({C(4, "catalog.upsert", bag), C(5, "catalog.upsert", scarf)}, 5));
  CHECK(s.shop->books.FindProduct(kNew).value().requires_signature == false);
  CHECK(s.shop->books.FindProduct(kNew).value().serialised == false);
  CHECK_FALSE(s.shop->books.FindProduct(kNew).value().tax_included);
  CHECK(s.shop->books.FindProduct(kScarf).value().tax_included);
  CHECK_FALSE(s.shop->books.FindProduct(kScarf).value().serialised.has_value());
  CHECK_FALSE(s.shop->books.FindProduct(kScarf).value().requires_signature.has_value());
  CHECK_FALSE(s.shop->books.RequiresSignature(kNew));
  CHECK(s.shop->books.RequiresSignature(kScarf));
  CHECK(s.AlertsOf("change_rejected").empty());
}
