// SPDX-License-Identifier: Apache-2.0
// The CBV 2.0 Event Hash ID: every published example of the reference
// implementation that is kept under fixtures/epcis/hash/ (pre-hash strings and
// ids exactly), the store's own event shapes, normalisation and bad input.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "epcis.hpp"
#include "hash_internal.hpp"

using nlohmann::json;
using sa::epcis::EventHash;
using sa::epcis::HashDocument;
using sa::epcis::HashEvent;

namespace {

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(SA_EPCIS_FIXTURES) + "/hash/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::vector<EventHash> Hashes(const std::string& doc) {
  auto r = HashDocument(doc);
  REQUIRE(r.has_value());
  return *r;
}

EventHash One(const json& event) { return HashEvent(event, {}); }

std::string ErrorCode(const std::string& doc) {
  auto r = HashDocument(doc);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == sa::ErrorKind::invalid_request);
  CHECK_FALSE(r.error().message.empty());
  return r.error().code;
}

// A store ObjectEvent as the export builds it.
json StoreEvent() {
  return json::parse(R"({
    "type": "ObjectEvent",
    "eventTime": "2026-12-06T10:15:00.123Z",
    "eventTimeZoneOffset": "+08:00",
    "epcList": ["https://id.gs1.org/01/09506000134352/21/SN2",
                "https://id.gs1.org/01/09506000134352/21/SN1"],
    "quantityList": [{"epcClass": "https://id.gs1.org/01/09506000134352", "quantity": 3}],
    "action": "ADD",
    "bizStep": "receiving",
    "disposition": "sellable_accessible",
    "readPoint": {"id": "https://id.gs1.org/414/9506000134369"},
    "bizLocation": {"id": "urn:store-agent:loc:store-7"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:store-agent:po:42"}]
  })");
}

}  // namespace

TEST_CASE("published examples: pre-hashes and ids exactly", "[epcis][hash]") {
  const std::vector<std::string> examples = {"ReferenceEventHashAlgorithm",
                                             "ReferenceEventHashAlgorithm2",
                                             "ReferenceEventHashAlgorithm3",
                                             "epcisDocWithSingleEvent",
                                             "epcisDocWithShippingAndTransportingEvent",
                                             "epcisDocHavingEventWithComment",
                                             "epcisDocWithDefaultSchemaInContext",
                                             "epcisDocWithSensorDataObjectEvent",
                                             "epcisDocWithSensorComponent",
                                             "TimeStampRoundOff",
                                             "epcisDocWithXMLstartTagAndErrorDeclaration"};
  for (const auto& name : examples) {
    INFO(name);
    const auto got = Hashes(ReadFixture(name + ".jsonld"));
    const auto pre = Lines(ReadFixture(name + ".prehashes"));
    const auto ids = Lines(ReadFixture(name + ".hashes"));
    REQUIRE(got.size() == pre.size());
    REQUIRE(got.size() == ids.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].pre_hash == pre[i]);
      CHECK(got[i].id == ids[i]);
    }
  }
}

TEST_CASE("the store's events hash canonically", "[epcis][hash]") {
  const EventHash base = One(StoreEvent());
  CHECK(base.id.rfind("ni:///sha-256;", 0) == 0);
  CHECK(base.id.size() == std::string("ni:///sha-256;?ver=CBV2.0").size() + 64);
  CHECK(
      base.pre_hash ==
      "eventType=ObjectEventeventTime=2026-12-06T10:15:00.123ZeventTimeZoneOffset=+08:00"
      "epcListepc=https://id.gs1.org/01/09506000134352/21/SN1"
      "epc=https://id.gs1.org/01/09506000134352/21/SN2"
      "quantityListquantityElementepcClass=https://id.gs1.org/01/09506000134352quantity=3"
      "action=ADDbizStep=https://ref.gs1.org/cbv/BizStep-receiving"
      "disposition=https://ref.gs1.org/cbv/Disp-sellable_accessible"
      "readPointid=https://id.gs1.org/414/9506000134369bizLocationid=urn:store-agent:loc:store-7"
      "bizTransactionListtype=https://ref.gs1.org/cbv/BTT-pobizTransaction=urn:store-agent:po:42");

  SECTION("key order, list order, URNs and full URIs give the same id") {
    json e = json::parse(R"({
      "bizTransactionList": [{"bizTransaction": "urn:store-agent:po:42",
                              "type": "urn:epcglobal:cbv:btt:po"}],
      "bizLocation": {"id": "urn:store-agent:loc:store-7"},
      "readPoint": {"id": "urn:epc:id:sgln:9506000.13436.0"},
      "disposition": "https://ref.gs1.org/cbv/Disp-sellable_accessible",
      "bizStep": "urn:epcglobal:cbv:bizstep:receiving",
      "action": "ADD",
      "quantityList": [{"quantity": 3.0, "epcClass": "urn:epc:idpat:sgtin:9506000.013435.*"}],
      "epcList": ["urn:epc:id:sgtin:9506000.013435.SN1",
                  "https://example.com/01/9506000134352/21/SN2?x=1"],
      "eventTimeZoneOffset": "+08:00",
      "eventTime": "2026-12-06T18:15:00.1234+08:00",
      "recordTime": "2030-01-01T00:00:00Z",
      "eventID": "urn:uuid:0190a0c4-0000-7000-8000-000000000000",
      "type": "ObjectEvent"
    })");
    CHECK(One(e).pre_hash == base.pre_hash);
    CHECK(One(e).id == base.id);
  }
  SECTION("any changed field changes the id") {
    for (const auto& [pointer, value] : std::vector<std::pair<std::string, json>>{
             {"/action", "OBSERVE"},
             {"/eventTime", "2026-12-06T10:15:00.124Z"},
             {"/quantityList/0/quantity", 4},
             {"/epcList/0", "https://id.gs1.org/01/09506000134352/21/SN3"},
             {"/bizStep", "shipping"},
             {"/bizLocation/id", "urn:store-agent:loc:store-8"},
             {"/bizTransactionList/0/type", "desadv"}}) {
      json e = StoreEvent();
      e[json::json_pointer(pointer)] = value;
      INFO(pointer);
      CHECK(One(e).id != base.id);
    }
  }
  SECTION("errorDeclaration is not part of the pre-hash") {
    json e = StoreEvent();
    e["errorDeclaration"] = {{"declarationTime", "2026-12-07T00:00:00Z"},
                             {"reason", "incorrect_data"},
                             {"correctiveEventIDs", {"urn:uuid:x"}}};
    CHECK(One(e).id == base.id);
  }
}

TEST_CASE("aggregation with an SSCC parent", "[epcis][hash]") {
  json e = json::parse(R"({"type": "AggregationEvent", "eventTime": "2026-12-06T10:15:00Z",
    "eventTimeZoneOffset": "+00:00", "parentID": "https://id.gs1.org/00/095060001343520000",
    "childEPCs": ["https://id.gs1.org/01/09506000134352/21/B",
                  "https://id.gs1.org/01/09506000134352/21/A"],
    "action": "ADD", "bizStep": "packing"})");
  CHECK(One(e).pre_hash ==
        "eventType=AggregationEventeventTime=2026-12-06T10:15:00.000ZeventTimeZoneOffset=+00:00"
        "parentID=https://id.gs1.org/00/095060001343520000"
        "childEPCsepc=https://id.gs1.org/01/09506000134352/21/A"
        "epc=https://id.gs1.org/01/09506000134352/21/B"
        "action=ADDbizStep=https://ref.gs1.org/cbv/BizStep-packing");
  json urn = e;
  urn["parentID"] = "urn:epc:id:sscc:9506000.0134352000";
  CHECK(One(urn).id == One(e).id);
}

TEST_CASE("timestamps: offsets to UTC, fractions rounded to milliseconds", "[epcis][hash]") {
  auto time_of = [](const std::string& t) {
    const std::string pre = One({{"type", "ObjectEvent"}, {"eventTime", t}}).pre_hash;
    return pre.substr(std::string("eventType=ObjectEventeventTime=").size());
  };
  CHECK(time_of("2020-03-04T11:00:30+01:00") == "2020-03-04T10:00:30.000Z");
  CHECK(time_of("2022-02-16T20:33:31.116000-06:00") == "2022-02-17T02:33:31.116Z");
  CHECK(time_of("2023-02-02T11:04:03.1415Z") == "2023-02-02T11:04:03.142Z");
  CHECK(time_of("2023-02-02T11:04:03.1414Z") == "2023-02-02T11:04:03.141Z");
  CHECK(time_of("2023-02-02T11:04:03.9996Z") == "2023-02-02T11:04:04.000Z");
  CHECK(time_of("2024-12-31T23:59:59.9999Z") == "2025-01-01T00:00:00.000Z");
  CHECK(time_of("2024-03-01T00:30:00+0100") == "2024-02-29T23:30:00.000Z");
  CHECK(time_of("not a time") == "not a time");
}

TEST_CASE("numbers lose trailing zeros", "[epcis][hash]") {
  auto qty = [](const json& q) {
    json e = {{"type", "ObjectEvent"}, {"quantityList", {{{"epcClass", "x"}, {"quantity", q}}}}};
    const std::string pre = One(e).pre_hash;
    return pre.substr(pre.find("quantity=") + 9);
  };
  CHECK(qty(1.0) == "1");
  CHECK(qty(0.3434) == "0.3434");
  CHECK(qty("12.50") == "12.5");
  CHECK(qty(1e-05) == "1e-05");
  CHECK(qty(123456) == "123456");
  // Worked on the decimal text, never through binary floating point.
  CHECK(qty("-0.50") == "-0.5");
  CHECK(qty("+7") == "7");
  CHECK(qty("1e2") == "100");
  CHECK(qty("1.5E16") == "1.5e+16");
  CHECK(qty("0.000012") == "1.2e-05");
  CHECK(qty("0.0001") == "0.0001");
  CHECK(qty("000.000") == "0");
  CHECK(qty("1.2.3") == "1.2.3");  // not a number: hashed as written
}

TEST_CASE("bad input is refused or hashed, never thrown", "[epcis][hash]") {
  CHECK(ErrorCode("") == "epcis_invalid");
  CHECK(ErrorCode("{not json") == "epcis_invalid");
  CHECK(ErrorCode("[1,2]") == "epcis_invalid");
  CHECK(ErrorCode(R"({"epcisBody": {"eventList": []}})") == "epcis_invalid");
  CHECK(ErrorCode(R"({"epcisBody": {}})") == "epcis_invalid");
  CHECK(ErrorCode(R"({"epcisBody": {"eventList": [42]}})") == "epcis_invalid");
  CHECK(ErrorCode(R"({"epcisBody": {"eventList": [{"eventTime": "2020-01-01T00:00:00Z"}]}})") ==
        "epcis_invalid");
  CHECK(ErrorCode(std::string(100000, '[') + std::string(100000, ']')) == "epcis_invalid");
  CHECK(ErrorCode(R"({"epcisBody": {"eventList": [{"type": "ObjectEvent", "x": )" +
                  std::string(5000, '[') + std::string(5000, ']') + "}]}}") == "epcis_invalid");
  SECTION("wrong JSON types where strings or lists belong") {
    const auto r = HashDocument(R"({"epcisBody": {"eventList": [{"type": "ObjectEvent",
      "eventTime": 5, "epcList": {"a": 1}, "bizStep": 7, "readPoint": [1, null],
      "quantityList": "x", "bizTransactionList": 3, "sensorElementList": [1, {"sensorReport": 2}],
      "persistentDisposition": [], "example:f": null, "ilmd": {"a": [[[true]]]}}]}})");
    REQUIRE(r.has_value());
    CHECK(r->size() == 1);
  }
  SECTION("query documents and bare events") {
    const std::string ev = R"({"type": "ObjectEvent", "action": "OBSERVE"})";
    const auto bare = Hashes(ev);
    const auto query = Hashes(R"({"type": "EPCISQueryDocument", "epcisBody": {"queryResults":
      {"resultsBody": {"eventList": [)" +
                              ev + "]}}}}");
    REQUIRE(bare.size() == 1);
    REQUIRE(query.size() == 1);
    CHECK(bare[0].id == query[0].id);
    CHECK(bare[0].pre_hash == "eventType=ObjectEventaction=OBSERVE");
  }
}
