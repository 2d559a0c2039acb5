// SPDX-License-Identifier: Apache-2.0
// The store's unit moves as EPCIS 2.0 events (sa_epcis export.cpp), driven
// through the real store on a fresh ledger: every unit-moving action is
// exactly one ObjectEvent with the CBV 2.0 bizStep and disposition of
// docs/epcis.md, checked field by field; what moves nothing is none; the
// document carries the fields EPCIS 2.0's JSON schema requires and streams;
// each eventID is the event's own CBV 2.0 Event Hash ID; bad records are
// refused by name; a post-void is an errorDeclaration on the sale's event
// and a corrective event.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "epcis.hpp"
#include "hash_internal.hpp"
#include "ledger_shop.hpp"
#include "store.hpp"

using namespace sa;
using namespace sa::testing;
using nlohmann::json;

namespace {

const epcis::Site kSite{"demo-store", "6901234000009", "+08:00"};
const std::string kHere = "https://id.gs1.org/414/6901234000009";

std::string Dl(const std::string& gtin, const std::string& serial) {
  return "https://id.gs1.org/01/" + gtin + "/21/" + serial;
}

struct Shop : LedgerShop {
  explicit Shop(const std::function<void(store::Config&)>& tweak = {})
      : LedgerShop({.prefix = "sa-epcis", .tweak = tweak}) {}

  std::int64_t Seq() { return Count("SELECT coalesce(max(seq), 0) FROM outbox"); }

  // The EPCIS events of everything recorded after `seq`.
  std::vector<json> EpcisAfter(std::int64_t seq) {
    std::vector<json> out;
    for (const auto& e : EventsAfter(seq)) {
      auto events = epcis::EventsOf(kSite, {e.id, e.type, e.at_ms, e.payload});
      INFO(e.type << " " << e.payload);
      REQUIRE(events);
      for (auto& ev : json::parse(*events)) out.push_back(std::move(ev));
    }
    return out;
  }
  // Exactly one EPCIS event after `seq`; it.
  json One(std::int64_t seq) {
    auto events = EpcisAfter(seq);
    REQUIRE(events.size() == 1);
    return events[0];
  }

  store::CheckedCode Unit(const std::string& gtin, const std::string& serial) const {
    auto checked = shop->books.CheckCode(Label(gtin, serial));
    REQUIRE(checked);
    return *checked;
  }
  std::string Sell(const std::string& gtin, const std::string& serial) {
    const std::string id = Open();
    auto scanned = shop->sales.AddCheckedCode(id, Unit(gtin, serial));
    REQUIRE(scanned);
    REQUIRE(shop->sales.Complete(id, {{"card", scanned->total, "t1"}}));
    return id;
  }
  void Offer(const std::string& id, const std::string& kind, std::int64_t qty = 1) {
    json body{{"id", id},
              {"kind", kind},
              {"lines", json::array({{{"gtin", kScarf}, {"qty", qty}}})},
              {"ttl_s", 600}};
    if (kind == "pickup") body["pickup_code"] = "4821";
    REQUIRE(shop->stock.RecordOrderOffer(id, kind, body.dump()));
    REQUIRE(shop->stock.Accept(id));
  }
};

// The fields every event of the store shares, and its what/why.
void CheckEvent(const json& e, const std::string& biz_step, const std::string& disposition,
                std::int64_t at_ms) {
  CHECK(e["type"] == "ObjectEvent");
  CHECK(e["action"] == "OBSERVE");
  CHECK(e["bizStep"] == biz_step);
  CHECK(e["disposition"] == disposition);
  CHECK(e["eventTime"] == FormatTimestamp(at_ms));
  CHECK(e["eventTimeZoneOffset"] == "+08:00");
  CHECK(e["readPoint"] == json{{"id", kHere}});
  CHECK(e["bizLocation"] == json{{"id", kHere}});
  const std::string id = e["eventID"];
  CHECK(id.rfind("ni:///sha-256;", 0) == 0);
  CHECK(id.size() == std::string("ni:///sha-256;?ver=CBV2.0").size() + 64);
  CHECK(id.substr(id.size() - 11) == "?ver=CBV2.0");
}

// An EPCISDocument's text, checked for what the EPCIS 2.0 JSON schema
// requires of a document and an ObjectEvent, with each eventID the Event
// Hash ID of its event: the same as `storectl epcis hash` (or anyone's
// implementation) computes from the file. Its eventList.
json CheckDocument(const std::string& text, std::int64_t created_ms, std::size_t events) {
  const json doc = json::parse(text);
  CHECK(doc["@context"] ==
        json::array({"https://ref.gs1.org/standards/epcis/epcis-context.jsonld"}));
  CHECK(doc["type"] == "EPCISDocument");
  CHECK(doc["schemaVersion"] == "2.0");
  CHECK(doc["creationDate"] == FormatTimestamp(created_ms));
  const json list = doc["epcisBody"]["eventList"];
  REQUIRE(list.size() == events);
  for (const auto& e : list) {
    for (const char* field : {"type", "eventTime", "eventTimeZoneOffset", "action", "epcList"})
      CHECK(e.contains(field));
  }
  auto hashes = epcis::HashDocument(text);
  REQUIRE(hashes);
  REQUIRE(hashes->size() == events);
  for (std::size_t i = 0; i < events; ++i) CHECK(list[i]["eventID"] == (*hashes)[i].id);
  return list;
}

}  // namespace

TEST_CASE("Each unit-moving action of the store is exactly one EPCIS event", "[epcis]") {
  Shop s;
  REQUIRE(s.shop->stock.SetSnapshot(kScarf, 10));

  SECTION("receiving a unit") {
    const auto seq = s.Seq();
    REQUIRE(s.shop->stock.Receive(s.Unit(kScarf, "R1")));
    const json e = s.One(seq);
    CheckEvent(e, "receiving", "sellable_accessible", kNow);
    CHECK(e["epcList"] == json::array({Dl(kScarf, "R1")}));
    CHECK_FALSE(e.contains("quantityList"));
  }
  SECTION("receiving a plain item by its barcode: a quantity of its class") {
    REQUIRE(s.shop->books.ImportCatalogCsv(
        "gtin,name,price_minor,signed\n06950123450043,Gift wrap,500,false\n"));
    const auto seq = s.Seq();
    REQUIRE(s.shop->stock.Receive(s.shop->books.CheckCode("6950123450043").value()));
    const json e = s.One(seq);
    CheckEvent(e, "receiving", "sellable_accessible", kNow);
    CHECK(e["epcList"] == json::array());
    CHECK(e["quantityList"] ==
          json::array({{{"epcClass", "https://id.gs1.org/01/" + kWrap}, {"quantity", 1}}}));
  }
  SECTION("counting a product: its quantity, by class") {
    const auto seq = s.Seq();
    REQUIRE(s.shop->stock.Count(kScarf, 7));
    const json e = s.One(seq);
    CheckEvent(e, "cycle_counting", "sellable_accessible", kNow);
    CHECK(e["epcList"] == json::array());
    CHECK(e["quantityList"] ==
          json::array({{{"epcClass", "https://id.gs1.org/01/" + kScarf}, {"quantity", 7}}}));
  }
  SECTION("a sale of a signed unit, then its refund") {
    auto seq = s.Seq();
    s.clock.advance_ms(61'000);
    const std::string sale = s.Sell(kScarf, "S1");
    json e = s.One(seq);  // member, diversion and the like would be no EPCIS event
    CheckEvent(e, "retail_selling", "retail_sold", kNow + 61'000);
    CHECK(e["epcList"] == json::array({Dl(kScarf, "S1")}));
    CHECK(e["bizTransactionList"] == json::array({{{"bizTransaction", "urn:uuid:" + sale}}}));

    seq = s.Seq();
    auto refund = s.shop->sales.RefundUnits(sale, {"S1"});
    REQUIRE(refund);
    e = s.One(seq);
    CheckEvent(e, "receiving", "sellable_accessible", kNow + 61'000);
    CHECK(e["epcList"] == json::array({Dl(kScarf, "S1")}));
    CHECK(e["bizTransactionList"] ==
          json::array({{{"type", "rma"}, {"bizTransaction", "urn:uuid:" + refund->id}},
                       {{"bizTransaction", "urn:uuid:" + sale}}}));
  }
  SECTION("a ship-from-store order: picked, then shipped") {
    s.Offer("SO-1", "ship_from_store");
    auto seq = s.Seq();
    REQUIRE(s.shop->stock.Pick("SO-1", s.Unit(kScarf, "P1")));
    json e = s.One(seq);
    CheckEvent(e, "picking", "reserved", kNow);
    CHECK(e["epcList"] == json::array({Dl(kScarf, "P1")}));
    CHECK(e["bizTransactionList"] ==
          json::array({{{"type", "po"}, {"bizTransaction", "urn:store-agent:order:SO-1"}}}));
    seq = s.Seq();
    REQUIRE(s.shop->stock.Ship("SO-1", "SF", "SF123"));
    e = s.One(seq);
    CheckEvent(e, "shipping", "in_transit", kNow);
    CHECK(e["epcList"] == json::array({Dl(kScarf, "P1")}));
  }
  SECTION("a pickup order handed over is sold") {
    s.Offer("PU-1", "pickup");
    REQUIRE(s.shop->stock.Pick("PU-1", s.Unit(kScarf, "P2")));
    const auto seq = s.Seq();
    REQUIRE(s.shop->stock.HandOver("PU-1", "4821"));
    const json e = s.One(seq);
    CheckEvent(e, "retail_selling", "retail_sold", kNow);
    CHECK(e["epcList"] == json::array({Dl(kScarf, "P2")}));
  }
  SECTION("an order released after picking puts its units back; one with none moves nothing") {
    s.Offer("SO-2", "ship_from_store", 2);
    REQUIRE(s.shop->stock.Pick("SO-2", s.Unit(kScarf, "P3")));
    auto seq = s.Seq();
    REQUIRE(s.shop->stock.Release("SO-2", "customer called"));
    const json e = s.One(seq);
    CheckEvent(e, "stocking", "sellable_accessible", kNow);
    CHECK(e["epcList"] == json::array({Dl(kScarf, "P3")}));

    s.Offer("SO-3", "ship_from_store");
    seq = s.Seq();
    REQUIRE(s.shop->stock.Release("SO-3", "no longer needed"));
    CHECK(s.EventsAfter(seq).size() == 1);  // reservation.released, for the cloud
    CHECK(s.EpcisAfter(seq).empty());
  }
  SECTION("a revocation decommissions a unit on the shelf, once; not one the store lacks") {
    REQUIRE(s.shop->stock.Receive(s.Unit(kScarf, "V1")));
    auto seq = s.Seq();
    REQUIRE(s.shop->inbox.Revoke(kScarf, "V1", "cloned label"));
    const json e = s.One(seq);
    CheckEvent(e, "decommissioning", "recalled", kNow);
    CHECK(e["epcList"] == json::array({Dl(kScarf, "V1")}));
    seq = s.Seq();
    REQUIRE(s.shop->inbox.Revoke(kScarf, "V1", "cloned label"));  // pulled again
    REQUIRE(s.shop->inbox.Revoke(kScarf, "NOT-HERE", "cloned label"));
    CHECK(s.EventsAfter(seq).empty());
  }
  SECTION("a voided cart moved no unit: no EPCIS event") {
    const std::string id = s.Open();
    REQUIRE(s.shop->sales.AddCheckedCode(id, s.Unit(kScarf, "C1")));
    const auto seq = s.Seq();
    REQUIRE(s.shop->sales.Void(id, "customer left"));
    CHECK(s.EventsAfter(seq).size() == 1);  // sale.voided, for the cloud
    CHECK(s.EpcisAfter(seq).empty());
  }
  SECTION("a completed sale voided by a manager: its event declared in error, the unit back") {
    auto seq = s.Seq();
    s.clock.advance_ms(7);
    const std::string sale = s.Sell(kScarf, "PV1");
    const json sold = s.One(seq);
    seq = s.Seq();
    s.clock.advance_ms(60'000);
    REQUIRE(s.shop->sales.Void(sale, "rang up twice", store::Approval{"mia", "pin"}));
    const auto events = s.EpcisAfter(seq);
    REQUIRE(events.size() == 2);
    json declared = events[0];
    REQUIRE(declared.contains("errorDeclaration"));
    CHECK(declared["eventID"] == sold["eventID"]);
    CHECK(declared["errorDeclaration"]["declarationTime"] == FormatTimestamp(kNow + 60'007));
    CHECK(declared["errorDeclaration"]["reason"] == "did_not_occur");
    CHECK(declared["errorDeclaration"]["correctiveEventIDs"] ==
          json::array({events[1]["eventID"]}));
    declared.erase("errorDeclaration");
    CHECK(declared == sold);  // the sale's own event, re-stated exactly
    CheckEvent(events[1], "stocking", "sellable_accessible", kNow + 60'007);
    CHECK(events[1]["epcList"] == json::array({Dl(kScarf, "PV1")}));
  }
}

TEST_CASE("Plain items sell as a quantity of their class", "[epcis]") {
  Shop s([](store::Config& c) { c.require_signature = false; });
  const std::string id = s.Open();
  REQUIRE(s.shop->sales.Scan(id, kTote.substr(1)));
  REQUIRE(s.shop->sales.Scan(id, kTote.substr(1)));
  auto scanned = s.shop->sales.AddCheckedCode(id, s.Unit(kScarf, "S9"));
  REQUIRE(scanned);
  const auto seq = s.Seq();
  REQUIRE(s.shop->sales.Complete(id, {{"cash", scanned->total, ""}}));
  const json e = s.One(seq);
  CheckEvent(e, "retail_selling", "retail_sold", kNow);
  CHECK(e["epcList"] == json::array({Dl(kScarf, "S9")}));
  CHECK(e["quantityList"] ==
        json::array({{{"epcClass", "https://id.gs1.org/01/" + kTote}, {"quantity", 2}}}));
}

TEST_CASE("The export is an EPCIS 2.0 document, streamed, each event named by its hash",
          "[epcis]") {
  Shop s;
  REQUIRE(s.shop->stock.Receive(s.Unit(kScarf, "D1")));
  s.clock.advance_ms(1000);
  s.Sell(kScarf, "D1");
  REQUIRE(s.shop->stock.Count(kScarf, 4));

  std::vector<std::string> pieces;
  epcis::DocumentWriter writer(kSite, [&](std::string_view p) { pieces.emplace_back(p); });
  writer.Begin(kNow + 5000);
  std::int64_t records = 0;
  REQUIRE(s.shop->books.EachEvent(0, kNow + 10'000, [&](const store::Event& e) {
    ++records;
    return writer.Add({e.id, e.type, e.at_ms, e.payload}).has_value();
  }));
  writer.End();
  CHECK(writer.events() == 3);
  CHECK(records >= 3);
  CHECK(pieces.size() == 2 + 2 * 3);  // head, (separator, event) each, tail: never all at once

  std::string text;
  for (const auto& p : pieces) text += p;
  // Each eventID is the Event Hash ID of the event itself (CheckDocument).
  const json list = CheckDocument(text, kNow + 5000, 3);
  CHECK(list[0]["bizStep"] == "receiving");
  CHECK(list[1]["bizStep"] == "retail_selling");
  CHECK(list[2]["bizStep"] == "cycle_counting");
  CHECK(list[0]["eventID"] != list[1]["eventID"]);

  // The query document form wraps the same events.
  std::string query;
  epcis::DocumentWriter qw(kSite, [&](std::string_view p) { query += p; });
  qw.Begin(kNow, true);
  qw.End();
  const json q = json::parse(query);
  CHECK(q["type"] == "EPCISQueryDocument");
  CHECK(q["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == json::array());
}

TEST_CASE("The same record is the same event, another store's is not", "[epcis]") {
  const epcis::Record r{"0190-x", "stock.received", kNow,
                        R"({"gtin":")" + kScarf + R"(","serial":"A/1 %"})"};
  auto a = epcis::EventsOf(kSite, r);
  auto b = epcis::EventsOf(kSite, r);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  // A serial's reserved characters are percent-encoded in its Digital Link.
  CHECK(json::parse(*a)[0]["epcList"][0] == "https://id.gs1.org/01/" + kScarf + "/21/A%2F1%20%25");
  epcis::Site other = kSite;
  other.gln.clear();
  auto c = epcis::EventsOf(other, r);
  REQUIRE(c);
  CHECK(json::parse(*c)[0]["bizLocation"]["id"] == "urn:store-agent:loc:demo-store");
  CHECK(json::parse(*c)[0]["eventID"] != json::parse(*a)[0]["eventID"]);
}

TEST_CASE("A record the export cannot read is refused by name", "[epcis][bad-input]") {
  for (const std::string payload :
       {"not json", "[1,2]", "{}", R"({"gtin":5,"serial":"x"})", R"({"serial":"x"})"}) {
    INFO(payload);
    auto r = epcis::EventsOf(kSite, {"ev-1", "stock.received", kNow, payload});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "epcis_bad_record");
    CHECK(r.error().message.find("ev-1") != std::string::npos);
  }
  auto sale =
      epcis::EventsOf(kSite, {"ev-2", "sale.completed", kNow, R"({"id":"s","lines":[{}]})"});
  REQUIRE_FALSE(sale);
  CHECK(sale.error().code == "epcis_bad_record");
  // A type that moves nothing is no event, whatever its payload.
  auto none = epcis::EventsOf(kSite, {"ev-3", "member.bound", kNow, "not even json"});
  REQUIRE(none);
  CHECK(*none == "[]");
  CHECK_FALSE(epcis::MovesUnits("member.bound"));
  CHECK(epcis::MovesUnits("sale.completed"));
}

TEST_CASE("GLNs, UTC offsets and timestamps are read strictly", "[epcis][bad-input]") {
  CHECK(epcis::ValidGln("6901234000009"));
  CHECK_FALSE(epcis::ValidGln("6901234000004"));  // check digit
  CHECK_FALSE(epcis::ValidGln("690123400000"));
  CHECK_FALSE(epcis::ValidGln("690123400000a"));
  CHECK(epcis::ValidUtcOffset("+08:00"));
  CHECK(epcis::ValidUtcOffset("-03:30"));
  for (const char* bad : {"08:00", "+8:00", "+08:60", "+15:00", "+08:00Z", ""})
    CHECK_FALSE(epcis::ValidUtcOffset(bad));

  CHECK(ParseTimestamp("1970-01-01") == 0);
  CHECK(ParseTimestamp("2026-11-18T11:06:40.000Z") == kNow);
  CHECK(ParseTimestamp("2026-11-18T19:06:40+08:00") == kNow);
  CHECK(ParseTimestamp("2026-11-18T11:06:40.5Z") == kNow + 500);
  CHECK(ParseTimestamp("2026-11-18T11:06Z") == kNow - 40'000);
  for (const char* bad : {"", "2026-13-01", "2026-11-19T25:00Z", "2026-11-19T08:26:40",
                          "2026-11-19 08:26:40Z", "yesterday", "2026-11-19T08:26:40.Z"})
    CHECK_FALSE(ParseTimestamp(bad));
}

// ------------------------------------------------------------ corrections

namespace {

const std::string kSaleId = "0191c2d3-e4f5-7a6b-8c9d-0e1f2a3b4c5d";
constexpr std::int64_t kSoldAt = kNow + 61'123;
constexpr std::int64_t kVoidedAt = kNow + 3'600'456;

// One signed unit and two totes (a plain item), as the store writes a sale's lines.
json SaleLines() {
  return json::array({{{"id", 1},
                       {"gtin", kScarf},
                       {"serial", "S1"},
                       {"name", "Scarf"},
                       {"unit_price", 59900},
                       {"qty", 1},
                       {"amount", 59900},
                       {"signature", "valid"}},
                      {{"id", 2},
                       {"gtin", kTote},
                       {"serial", nullptr},
                       {"name", "Tote"},
                       {"unit_price", 12900},
                       {"qty", 2},
                       {"amount", 25800},
                       {"signature", "absent"}}});
}

// The sale's sale.completed record, the whole payload as the store writes it.
epcis::Record SaleRecord() {
  const json payload = {
      {"id", kSaleId},
      {"status", "completed"},
      {"terminal", "t1"},
      {"currency", "CNY"},
      {"total", 85700},
      {"lines", SaleLines()},
      {"member", nullptr},
      {"payments", json::array({{{"method", "card"}, {"amount", 85700}, {"ref", "t1"}}})},
      {"tendered", nullptr},
      {"change", nullptr},
      {"receipt_no", "D1-000012"},
      {"opened_at", FormatTimestamp(kSoldAt - 30'000)},
      {"closed_at", FormatTimestamp(kSoldAt)},
      {"cashier", "c1"},
      {"shift_id", nullptr}};
  return {"ev-sale", "sale.completed", kSoldAt, payload.dump()};
}

// The sale.voided payload of the sale's post-void.
json PostVoid() {
  return {{"sale_id", kSaleId},
          {"receipt_no", "D1-000012"},
          {"terminal", "t1"},
          {"reason", "wrong customer"},
          {"total", 85700},
          {"currency", "CNY"},
          {"lines", SaleLines()},
          {"post_void", true},
          {"completed_at_ms", kSoldAt},
          {"void_id", "0191c2d4-0000-7000-8000-000000000001"},
          {"amount", 85700},
          {"approved_by", {{"id", "m1"}, {"via", "pin"}}}};
}

epcis::Record VoidRecord(const json& payload) {
  return {"ev-void", "sale.voided", kVoidedAt, payload.dump()};
}

std::vector<json> Exported(const epcis::Record& r) {
  INFO(r.type << " " << r.payload);
  auto events = epcis::EventsOf(kSite, r);
  REQUIRE(events);
  return json::parse(*events).get<std::vector<json>>();
}

}  // namespace

TEST_CASE("A post-void declares the sale's event in error, then puts its units back",
          "[epcis][post-void]") {
  const auto sold = Exported(SaleRecord());
  REQUIRE(sold.size() == 1);
  const auto events = Exported(VoidRecord(PostVoid()));
  REQUIRE(events.size() == 2);
  const json& declared = events[0];
  const json& corrective = events[1];

  // The error declaration: the sale's own event, the same eventID, with
  // errorDeclaration naming the corrective event.
  REQUIRE(declared.contains("errorDeclaration"));
  const json& error = declared["errorDeclaration"];
  CHECK(error.size() == 3);
  CHECK(error["declarationTime"] == FormatTimestamp(kVoidedAt));
  CHECK(error["reason"] == "did_not_occur");
  CHECK(error["correctiveEventIDs"] == json::array({corrective["eventID"]}));
  CHECK(declared["eventID"] == sold[0]["eventID"]);
  json restated = declared;
  restated.erase("errorDeclaration");
  CHECK(restated == sold[0]);
  CheckEvent(declared, "retail_selling", "retail_sold", kSoldAt);
  // The Event Hash leaves errorDeclaration out: the id is the sale event's.
  CHECK(epcis::HashEvent(declared, {}).id == declared["eventID"]);
  auto hashed = epcis::HashDocument(declared.dump());
  REQUIRE(hashed);
  REQUIRE(hashed->size() == 1);
  CHECK((*hashed)[0].id == sold[0]["eventID"]);

  // The corrective event: the sale's units back on the shelf, at the void's time.
  CheckEvent(corrective, "stocking", "sellable_accessible", kVoidedAt);
  CHECK(corrective["epcList"] == json::array({Dl(kScarf, "S1")}));
  CHECK(corrective["quantityList"] ==
        json::array({{{"epcClass", "https://id.gs1.org/01/" + kTote}, {"quantity", 2}}}));
  CHECK(corrective["bizTransactionList"] ==
        json::array({{{"bizTransaction", "urn:uuid:" + kSaleId}}}));
  CHECK_FALSE(corrective.contains("errorDeclaration"));
  CHECK(epcis::HashEvent(corrective, {}).id == corrective["eventID"]);
  CHECK(corrective["eventID"] != declared["eventID"]);

  // Exported again (by the store, by the cloud): the same two events.
  CHECK(Exported(VoidRecord(PostVoid())) == events);
  CHECK(epcis::MovesUnits("sale.voided"));
}

TEST_CASE("An exchange is the refund's event, then the new sale's, each as its own type maps",
          "[epcis][exchange]") {
  const json refund = {{"refund_id", "0191c2d4-0000-7000-8000-0000000000e1"},
                       {"sale_id", kSaleId},
                       {"receipt_no", "D1-000012"},
                       {"amount", 59900},
                       {"currency", "CNY"},
                       {"lines", json::array({SaleLines()[0]})}};
  json sale = json::parse(SaleRecord().payload);
  sale["id"] = "0191c2d4-0000-7000-8000-0000000000e2";
  sale["lines"] = json::array({SaleLines()[1]});
  const json payload = {{"exchange_id", "0191c2d4-0000-7000-8000-0000000000e0"},
                        {"credit", 25800},
                        {"difference", -34100},
                        {"currency", "CNY"},
                        {"refund", refund},
                        {"sale", sale}};
  const epcis::Record record{"ev-exchange", "exchange.completed", kVoidedAt, payload.dump()};
  const auto events = Exported(record);
  REQUIRE(events.size() == 2);
  CheckEvent(events[0], "receiving", "sellable_accessible", kVoidedAt);
  CHECK(events[0]["epcList"] == json::array({Dl(kScarf, "S1")}));
  CheckEvent(events[1], "retail_selling", "retail_sold", kVoidedAt);
  CHECK(events[1]["quantityList"] ==
        json::array({{{"epcClass", "https://id.gs1.org/01/" + kTote}, {"quantity", 2}}}));
  // Each half is exactly the event its own record would be.
  CHECK(events[0] == Exported({record.id, "refund.completed", kVoidedAt, refund.dump()})[0]);
  CHECK(events[1] == Exported({record.id, "sale.completed", kVoidedAt, sale.dump()})[0]);
  CHECK(events[0]["eventID"] != events[1]["eventID"]);
  CHECK(epcis::MovesUnits("exchange.completed"));

  // Half an exchange is refused by name.
  for (const char* half : {"refund", "sale"}) {
    json broken = payload;
    broken.erase(half);
    auto r = epcis::EventsOf(kSite, {record.id, record.type, kVoidedAt, broken.dump()});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "epcis_bad_record");
  }
}

TEST_CASE(
    "An online order's unit returned at the counter is received, with the return and the order",
    "[epcis][online-return]") {
  const json payload = {
      {"return_id", "0191c2d4-0000-7000-8000-0000000000f1"},
      {"order_no", "WX 2026/1"},
      {"channel", "mini_program"},
      {"units", {{{"gtin", kScarf}, {"serial", "S9"}, {"name", "Scarf"}, {"price", 59900}}}},
      {"amount", 59900},
      {"currency", "CNY"},
      {"refund_via", "cloud"}};
  const auto events = Exported({"ev-return", "return.received", kVoidedAt, payload.dump()});
  REQUIRE(events.size() == 1);
  CheckEvent(events[0], "receiving", "sellable_accessible", kVoidedAt);
  CHECK(events[0]["epcList"] == json::array({Dl(kScarf, "S9")}));
  CHECK(events[0]["bizTransactionList"] ==
        json::array(
            {{{"type", "rma"}, {"bizTransaction", "urn:uuid:0191c2d4-0000-7000-8000-0000000000f1"}},
             {{"type", "po"}, {"bizTransaction", "urn:store-agent:online-order:WX%202026%2F1"}}}));
  CHECK(epcis::MovesUnits("return.received"));
  json no_units = payload;
  no_units.erase("units");
  auto r = epcis::EventsOf(kSite, {"ev-return", "return.received", kVoidedAt, no_units.dump()});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "epcis_bad_record");
}

TEST_CASE("An open cart's void is still no EPCIS event", "[epcis][post-void]") {
  json open = PostVoid();
  for (const char* key : {"post_void", "completed_at_ms", "void_id", "amount", "approved_by"})
    open.erase(key);
  CHECK(Exported(VoidRecord(open)).empty());
  open["post_void"] = false;
  CHECK(Exported(VoidRecord(open)).empty());
}

TEST_CASE("A post-void the export cannot read is refused by name",
          "[epcis][post-void][bad-input]") {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"completed_at_ms", "no completed_at_ms"},
      {"lines", "no lines"},
      {"sale_id", "no sale_id"},
  };
  for (const auto& [key, why] : bad) {
    json payload = PostVoid();
    payload.erase(key);
    INFO(payload.dump());
    auto r = epcis::EventsOf(kSite, VoidRecord(payload));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "epcis_bad_record");
    CHECK(r.error().message == "event ev-void (sale.voided): " + why);
  }
  json wrong = PostVoid();
  wrong["completed_at_ms"] = FormatTimestamp(kSoldAt);  // a time, but not in ms
  json no_qty = PostVoid();
  no_qty["lines"][1].erase("qty");
  json flag = PostVoid();
  flag["post_void"] = "yes";
  for (const json& payload : {wrong, no_qty, flag}) {
    INFO(payload.dump());
    auto r = epcis::EventsOf(kSite, VoidRecord(payload));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "epcis_bad_record");
    CHECK(r.error().message.find("ev-void") != std::string::npos);
  }
}

TEST_CASE("A post-void exports as an EPCIS 2.0 document, each event named by its hash",
          "[epcis][post-void]") {
  std::string text;
  epcis::DocumentWriter writer(kSite, [&](std::string_view p) { text += p; });
  writer.Begin(kVoidedAt + 5000);
  const auto sale = writer.Add(SaleRecord());
  const auto voided = writer.Add(VoidRecord(PostVoid()));
  writer.End();
  REQUIRE(sale);
  REQUIRE(voided);
  CHECK(*sale == 1);
  CHECK(*voided == 2);
  CHECK(writer.events() == 3);

  const json list = CheckDocument(text, kVoidedAt + 5000, 3);
  CHECK(list[0]["bizStep"] == "retail_selling");
  CHECK_FALSE(list[0].contains("errorDeclaration"));
  // The declaration names the sale's event by its id; the corrective event is new.
  CHECK(list[1]["eventID"] == list[0]["eventID"]);
  CHECK(list[1]["errorDeclaration"]["declarationTime"] == FormatTimestamp(kVoidedAt));
  CHECK(list[1]["errorDeclaration"]["correctiveEventIDs"] == json::array({list[2]["eventID"]}));
  CHECK(list[2]["bizStep"] == "stocking");
  CHECK(list[2]["eventID"] != list[0]["eventID"]);
}

// ------------------------------------------------------------------ cases

namespace {

const std::string kCaseGtin = "16950123450002";  // the scarves' case (indicator 1)

json CaseOf(const std::string& serial, const std::string& gtin, int first, int n) {
  json units = json::array();
  for (int i = first; i < first + n; ++i)
    units.push_back({{"gtin", gtin}, {"serial", "U" + std::to_string(i)}});
  return {{"case", {{"gtin", kCaseGtin}, {"serial", serial}}}, {"units", units}};
}

json Shipment(const std::string& id, json cases) {
  return {{"id", id}, {"cases", std::move(cases)}};
}

struct CaseShop : Shop {
  using Shop::Shop;
  std::int64_t cursor = 0;
  // Applies one shipment change as a pulled page would; the alert it raised, if any.
  std::optional<store::Alert> Apply(const json& data) {
    ++cursor;
    const auto before = Alerts();
    REQUIRE(shop->inbox.Apply({{cursor, "shipment", data.dump()}}, cursor));
    const auto after = Alerts();
    if (after.size() == before.size()) return std::nullopt;
    return after.front();
  }
  std::vector<store::Alert> Alerts() {
    auto a = shop->inbox.Alerts(true, 100);
    REQUIRE(a);
    return *a;
  }
  std::string ReceiveCode(const std::string& gtin, const std::string& serial) {
    auto r = shop->stock.Receive(Unit(gtin, serial));
    return r ? "ok" : r.error().code;
  }
};

}  // namespace

TEST_CASE("A case of 24 is received with one scan, and only what is not here yet",
          "[epcis][cases]") {
  CaseShop s;
  REQUIRE_FALSE(s.Apply(Shipment("SH-1", json::array({CaseOf("C1", kScarf, 1, 24)}))));
  // Applied again (a page fetched twice): nothing changes, nothing refused.
  REQUIRE_FALSE(s.Apply(Shipment("SH-1", json::array({CaseOf("C1", kScarf, 1, 24)}))));

  SECTION("all 24 at once: one EPCIS event with the case and its units") {
    const auto seq = s.Seq();
    REQUIRE(s.ReceiveCode(kCaseGtin, "C1") == "ok");
    CHECK(s.shop->stock.Level(kScarf)->on_hand == 24);
    const json e = s.One(seq);
    CheckEvent(e, "receiving", "sellable_accessible", kNow);
    REQUIRE(e["epcList"].size() == 25);
    CHECK(e["epcList"][0] == Dl(kCaseGtin, "C1"));
    CHECK(s.ReceiveCode(kCaseGtin, "C1") == "case_already_received");
  }
  SECTION("two units received one by one first: the case brings the other 22") {
    REQUIRE(s.ReceiveCode(kScarf, "U3") == "ok");
    REQUIRE(s.ReceiveCode(kScarf, "U7") == "ok");
    const auto seq = s.Seq();
    REQUIRE(s.ReceiveCode(kCaseGtin, "C1") == "ok");
    CHECK(s.shop->stock.Level(kScarf)->on_hand == 24);
    CHECK(s.One(seq)["epcList"].size() == 23);
  }
  SECTION("a case's label is not a unit: not at the till, not for an order") {
    const std::string id = s.Open();
    auto scanned = s.shop->sales.AddCheckedCode(id, s.Unit(kCaseGtin, "C1"));
    REQUIRE_FALSE(scanned);
    CHECK(scanned.error().code == "case_not_unit");
    REQUIRE(s.shop->stock.SetSnapshot(kScarf, 5));
    s.Offer("SO-C", "ship_from_store");
    auto picked = s.shop->stock.Pick("SO-C", s.Unit(kCaseGtin, "C1"));
    REQUIRE_FALSE(picked);
    CHECK(picked.error().code == "case_not_unit");
  }
  SECTION("selling one unit breaks it out of its case, before the sale") {
    REQUIRE(s.ReceiveCode(kCaseGtin, "C1") == "ok");
    const auto seq = s.Seq();
    s.Sell(kScarf, "U5");
    const auto events = s.EpcisAfter(seq);
    REQUIRE(events.size() == 2);
    const json& out = events[0];
    CHECK(out["type"] == "AggregationEvent");
    CHECK(out["action"] == "DELETE");
    CHECK(out["bizStep"] == "unpacking");
    CHECK(out["parentID"] == Dl(kCaseGtin, "C1"));
    CHECK(out["childEPCs"] == json::array({Dl(kScarf, "U5")}));
    CHECK_FALSE(out.contains("epcList"));
    CHECK(events[1]["bizStep"] == "retail_selling");
    // Sold again after a refund, it is in no case any more: no second break-out.
    const std::string sale = s.EventsOf("sale.completed").back().payload;
    REQUIRE(s.shop->sales.RefundUnits(json::parse(sale)["id"].get<std::string>(), {"U5"}));
    const auto seq2 = s.Seq();
    s.Sell(kScarf, "U5");
    CHECK(s.EpcisAfter(seq2).size() == 1);
  }
  SECTION("picking one unit for an order breaks it out too") {
    REQUIRE(s.ReceiveCode(kCaseGtin, "C1") == "ok");
    s.Offer("SO-D", "ship_from_store");
    const auto seq = s.Seq();
    REQUIRE(s.shop->stock.Pick("SO-D", s.Unit(kScarf, "U9")));
    const auto events = s.EpcisAfter(seq);
    REQUIRE(events.size() == 2);
    CHECK(events[0]["type"] == "AggregationEvent");
    CHECK(events[1]["bizStep"] == "picking");
  }
}

TEST_CASE("A bad shipment is refused whole, with its reason in an alert",
          "[epcis][cases][bad-input]") {
  CaseShop s([](store::Config& c) { c.case_max_units = 24; });
  REQUIRE_FALSE(s.Apply(Shipment("SH-0", json::array({CaseOf("C0", kScarf, 100, 2)}))));
  const std::int64_t cases_before = s.Count("SELECT count(*) FROM case_units");

  json two = json::array({CaseOf("C1", kScarf, 1, 3), CaseOf("C2", kScarf, 3, 2)});
  json self = json::array({CaseOf("C3", kScarf, 1, 2)});
  self[0]["units"].push_back({{"gtin", kCaseGtin}, {"serial", "C3"}});
  json unknown = json::array({CaseOf("C4", "04006381333931", 1, 2)});
  json big = json::array({CaseOf("C5", kScarf, 1, 25)});
  json again = json::array({CaseOf("C6", kScarf, 100, 1)});  // U100 is in C0 already
  json malformed = json::array({{{"case", {{"gtin", kCaseGtin}}}, {"units", json::array()}}});
  const std::vector<std::pair<json, std::string>> bad = {
      {Shipment("SH-2", two), "unit_in_two_cases"},
      {Shipment("SH-3", self), "case_in_case"},
      {Shipment("SH-4", unknown), "unknown_gtin"},
      {Shipment("SH-5", big), "case_size"},
      {Shipment("SH-6", again), "unit_in_two_cases"},
      {Shipment("SH-7", malformed), "malformed"},
      {json{{"id", "SH-8"}}, "malformed"}};
  for (const auto& [data, reason] : bad) {
    INFO(data.dump());
    const auto alert = s.Apply(data);
    REQUIRE(alert);
    CHECK(alert->code == "change_rejected");
    CHECK(json::parse(alert->detail)["reason"] == reason);
    CHECK(s.Count("SELECT count(*) FROM case_units") == cases_before);
    CHECK(s.Count("SELECT count(*) FROM cases") == 1);
  }
  // The cursor moved on past each refused change: sync is not stuck on it.
  CHECK(s.Count("SELECT value FROM sync_state WHERE key = 'cursor'") == s.cursor);
}
