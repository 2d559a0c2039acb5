// SPDX-License-Identifier: Apache-2.0
// The store's unit moves as EPCIS 2.0 ObjectEvents (JSON-LD, CBV 2.0 words).
// One outbox record, one EPCIS event at most, but a post-void and an
// exchange; the mapping
// (docs/epcis.md):
//
//   outbox type                     action   bizStep          disposition
//   stock.received                  OBSERVE  receiving        sellable_accessible
//   stock.counted                   OBSERVE  cycle_counting   sellable_accessible  (quantity)
//   sale.completed                  OBSERVE  retail_selling   retail_sold
//   refund.completed                OBSERVE  receiving        sellable_accessible  (+ rma)
//   return.received                 OBSERVE  receiving        sellable_accessible  (+ rma, po:
//                                                                                   the online
//                                                                                   order)
//   reservation.picked              OBSERVE  picking          reserved
//   reservation.shipped             OBSERVE  shipping         in_transit
//   reservation.handed_over         OBSERVE  retail_selling   retail_sold
//   reservation.released|expired|   OBSERVE  stocking         sellable_accessible  (units put
//     cancelled with units back                                                     back only)
//   unit.revoked                    OBSERVE  decommissioning  recalled
//   stock.case_received             OBSERVE  receiving        sellable_accessible  (the case
//                                                                                   and its units)
//   case.unpacked                   AggregationEvent DELETE, unpacking: units out of their case
//   sale.voided with post_void      two events, in this order:
//     - the sale's own event re-stated with an errorDeclaration (reason did_not_occur,
//       correctiveEventIDs: the next event); its eventID stays the sale event's
//     - the corrective event: OBSERVE  stocking  sellable_accessible  (the sale's units back)
//   sale.voided of an open cart     none (its units never left the shelf)
//   exchange.completed              two events, in this order: its "refund" as refund.completed
//                                   maps, then its "sale" as sale.completed maps
//
// Units are GS1 Digital Link URIs (https://id.gs1.org/01/{gtin}/21/{serial}),
// plain items a quantityList of their class (https://id.gs1.org/01/{gtin}).
// Each event's eventID is its own CBV 2.0 Event Hash ID, so whoever exports
// the same record (the store, the cloud) names it the same way.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "codes.hpp"
#include "epcis.hpp"
#include "hash_internal.hpp"

namespace sa::epcis {
namespace {

using nlohmann::json;

constexpr const char* kContext = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";

// A move of units: what the event says, before the where and when.
struct Move {
  std::string parent;  // an AggregationEvent's parentID; empty for an ObjectEvent
  std::string biz_step;
  std::string disposition;
  std::vector<std::string> epcs;                   // serialised units, Digital Link
  std::map<std::string, std::int64_t> quantities;  // class URI -> count
  json biz_transactions = json::array();
};

Move Make(std::string biz_step, std::string disposition) {
  Move m;
  m.biz_step = std::move(biz_step);
  m.disposition = std::move(disposition);
  return m;
}

bool Unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// RFC 3986: everything but the unreserved characters is percent-encoded.
std::string PercentEncode(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (Unreserved(c)) {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  return out;
}

std::string ClassUri(std::string_view gtin) { return "https://id.gs1.org/01/" + std::string(gtin); }

std::string UnitUri(std::string_view gtin, std::string_view serial) {
  return ClassUri(gtin) + "/21/" + PercentEncode(serial);
}

// A business transaction: the store's UUIDs as urn:uuid, other ids (an
// OMS order number) under the store-agent URN namespace.
json Transaction(std::string_view type, std::string_view kind, std::string_view id) {
  const bool uuid = id.size() == 36 && id[8] == '-' && id[13] == '-';
  json t = {
      {"bizTransaction", uuid ? "urn:uuid:" + std::string(id)
                              : "urn:store-agent:" + std::string(kind) + ":" + PercentEncode(id)}};
  if (!type.empty()) t["type"] = type;
  return t;
}

std::string Text(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) throw std::invalid_argument(std::string("no ") + key);
  return it->get<std::string>();
}

// A line of a sale or refund: a unit by serial, or a quantity of a class.
void AddLine(Move& m, const json& line) {
  const std::string gtin = Text(line, "gtin");
  const auto serial = line.find("serial");
  if (serial != line.end() && serial->is_string() && !serial->get<std::string>().empty()) {
    m.epcs.push_back(UnitUri(gtin, serial->get<std::string>()));
    return;
  }
  const auto qty = line.find("qty");
  if (qty == line.end() || !qty->is_number_integer()) throw std::invalid_argument("no qty");
  m.quantities[ClassUri(gtin)] += qty->get<std::int64_t>();
}

void AddLines(Move& m, const json& payload) {
  const auto lines = payload.find("lines");
  if (lines == payload.end() || !lines->is_array()) throw std::invalid_argument("no lines");
  for (const auto& line : *lines) AddLine(m, line);
}

// The units an order holds (its lines' picked serials).
void AddPicked(Move& m, const json& payload) {
  const auto lines = payload.find("lines");
  if (lines == payload.end() || !lines->is_array()) throw std::invalid_argument("no lines");
  for (const auto& line : *lines) {
    const std::string gtin = Text(line, "gtin");
    for (const auto& serial : line.at("picked"))
      m.epcs.push_back(UnitUri(gtin, serial.get<std::string>()));
  }
}

// A sale.completed is read from its "id" and "lines" alone: a post-void
// re-states the sale's event from those two (VoidEvents).
std::optional<Move> SaleMove(const std::string& type, const json& p) {
  Move m;
  if (type == "sale.completed") {
    m = Make("retail_selling", "retail_sold");
    AddLines(m, p);
    m.biz_transactions.push_back(Transaction("", "sale", Text(p, "id")));
  } else {  // refund.completed
    m = Make("receiving", "sellable_accessible");
    AddLines(m, p);
    m.biz_transactions.push_back(Transaction("rma", "refund", Text(p, "refund_id")));
    m.biz_transactions.push_back(Transaction("", "sale", Text(p, "sale_id")));
  }
  return m;
}

std::optional<Move> OrderMove(const std::string& type, const json& p) {
  Move m;
  if (type == "reservation.picked") {
    m = Make("picking", "reserved");
    m.epcs.push_back(UnitUri(Text(p, "gtin"), Text(p, "serial")));
  } else if (type == "reservation.shipped") {
    m = Make("shipping", "in_transit");
    AddPicked(m, p);
  } else if (type == "reservation.handed_over") {
    m = Make("retail_selling", "retail_sold");
    AddPicked(m, p);
  } else {  // released, expired, cancelled: the units it held go back
    const auto back = p.find("returned_units");
    if (back == p.end() || !back->is_array() || back->empty()) return std::nullopt;
    m = Make("stocking", "sellable_accessible");
    for (const auto& u : *back) m.epcs.push_back(UnitUri(Text(u, "gtin"), Text(u, "serial")));
  }
  m.biz_transactions.push_back(Transaction("po", "order", Text(p, "order_id")));
  return m;
}

std::optional<Move> StockMove(const std::string& type, const json& p) {
  Move m;
  if (type == "stock.received") {
    m = Make("receiving", "sellable_accessible");
    if (const auto serial = p.find("serial"); serial != p.end() && serial->is_null()) {
      // A plain item: a quantity of its class.
      const auto qty = p.find("qty");
      if (qty == p.end() || !qty->is_number_integer()) throw std::invalid_argument("no qty");
      m.quantities[ClassUri(Text(p, "gtin"))] = qty->get<std::int64_t>();
    } else {
      m.epcs.push_back(UnitUri(Text(p, "gtin"), Text(p, "serial")));
    }
  } else if (type == "stock.counted") {
    m = Make("cycle_counting", "sellable_accessible");
    const auto counted = p.find("counted");
    if (counted == p.end() || !counted->is_number_integer())
      throw std::invalid_argument("no counted");
    m.quantities[ClassUri(Text(p, "gtin"))] = counted->get<std::int64_t>();
  } else if (type == "return.received") {  // an online order's units, back at the counter
    m = Make("receiving", "sellable_accessible");
    for (const auto& u : p.at("units"))
      m.epcs.push_back(UnitUri(Text(u, "gtin"), Text(u, "serial")));
    m.biz_transactions.push_back(Transaction("rma", "return", Text(p, "return_id")));
    m.biz_transactions.push_back(Transaction("po", "online-order", Text(p, "order_no")));
  } else {  // unit.revoked
    m = Make("decommissioning", "recalled");
    m.epcs.push_back(UnitUri(Text(p, "gtin"), Text(p, "serial")));
  }
  return m;
}

// A case and its units: received together, or units taken out of it.
std::optional<Move> CaseMove(const std::string& type, const json& p) {
  const json& label = p.at("case");
  Move m = type == "stock.case_received" ? Make("receiving", "sellable_accessible")
                                         : Make("unpacking", "");
  const std::string parent = UnitUri(Text(label, "gtin"), Text(label, "serial"));
  if (type == "stock.case_received") {
    m.epcs.push_back(parent);
  } else {
    m.parent = parent;
  }
  for (const auto& u : p.at("units")) m.epcs.push_back(UnitUri(Text(u, "gtin"), Text(u, "serial")));
  return m;
}

std::string Location(const Site& site) {
  return site.gln.empty() ? "urn:store-agent:loc:" + PercentEncode(site.store_id)
                          : "https://id.gs1.org/414/" + site.gln;
}

json EpcisEvent(const Site& site, const Record& r, const Move& m) {
  const bool aggregation = !m.parent.empty();
  json e = {{"type", aggregation ? "AggregationEvent" : "ObjectEvent"},
            {"eventTime", FormatTimestamp(r.at_ms)},
            {"eventTimeZoneOffset", site.utc_offset.empty() ? "+00:00" : site.utc_offset},
            {"action", aggregation ? "DELETE" : "OBSERVE"},
            {"bizStep", m.biz_step},
            {"readPoint", {{"id", Location(site)}}},
            {"bizLocation", {{"id", Location(site)}}}};
  if (!m.disposition.empty()) e["disposition"] = m.disposition;
  if (aggregation) {
    e["parentID"] = m.parent;
    e["childEPCs"] = m.epcs;
  } else {
    e["epcList"] = m.epcs;
  }
  if (!m.quantities.empty()) {
    json q = json::array();
    for (const auto& [cls, n] : m.quantities) q.push_back({{"epcClass", cls}, {"quantity", n}});
    e["quantityList"] = q;
  }
  if (!m.biz_transactions.empty()) e["bizTransactionList"] = m.biz_transactions;
  e["eventID"] = HashEvent(e, {}).id;
  return e;
}

// The events of one record's payload: none, one, or (a post-void) two.
using Mapper = std::vector<json> (*)(const Site&, const Record&, const json&);

// Most records are one move, or none.
template <std::optional<Move> (*Map)(const std::string&, const json&)>
std::vector<json> OneMove(const Site& site, const Record& r, const json& payload) {
  const auto move = Map(r.type, payload);
  if (!move) return {};
  return {EpcisEvent(site, r, *move)};
}

// A void. An open cart's moved nothing: no event. A post-void takes back a
// completed sale recorded in error (EPCIS 2.0 error declaration): the sale's
// own event, re-stated exactly as its sale.completed record exports it (same
// eventID: the Event Hash leaves errorDeclaration out) with an
// errorDeclaration, then the corrective event that puts its units back.
std::vector<json> VoidEvents(const Site& site, const Record& r, const json& p) {
  const auto post_void = p.find("post_void");
  if (post_void == p.end()) return {};
  if (!post_void->is_boolean()) throw std::invalid_argument("post_void is not a boolean");
  if (!post_void->get<bool>()) return {};
  const std::string sale_id = Text(p, "sale_id");
  const auto completed_at = p.find("completed_at_ms");
  if (completed_at == p.end() || !completed_at->is_number_integer())
    throw std::invalid_argument("no completed_at_ms");
  const auto lines = p.find("lines");
  if (lines == p.end() || !lines->is_array()) throw std::invalid_argument("no lines");

  // The sale.completed record as the sale mapping reads it (its "id" and "lines").
  const Record sale{r.id, "sale.completed", completed_at->get<std::int64_t>(), ""};
  const auto sold = SaleMove(sale.type, json{{"id", sale_id}, {"lines", *lines}});
  json declared = EpcisEvent(site, sale, *sold);

  Move back = Make("stocking", "sellable_accessible");
  AddLines(back, p);
  back.biz_transactions.push_back(Transaction("", "sale", sale_id));
  json corrective = EpcisEvent(site, r, back);

  declared["errorDeclaration"] = {{"declarationTime", FormatTimestamp(r.at_ms)},
                                  {"reason", "did_not_occur"},
                                  {"correctiveEventIDs", json::array({corrective["eventID"]})}};
  return {std::move(declared), std::move(corrective)};
}

// An exchange: what came back, then what went out instead, each as its own
// record type maps (so the cloud reads the two moves it already knows).
std::vector<json> ExchangeEvents(const Site& site, const Record& r, const json& p) {
  const auto refund = p.find("refund");
  const auto sale = p.find("sale");
  if (refund == p.end() || !refund->is_object()) throw std::invalid_argument("no refund");
  if (sale == p.end() || !sale->is_object()) throw std::invalid_argument("no sale");
  const auto back = SaleMove("refund.completed", *refund);
  const auto out = SaleMove("sale.completed", *sale);
  return {EpcisEvent(site, r, *back), EpcisEvent(site, r, *out)};
}

const std::map<std::string, Mapper, std::less<>>& Mappers() {
  static const std::map<std::string, Mapper, std::less<>> kMappers = {
      {"stock.received", OneMove<StockMove>},
      {"stock.counted", OneMove<StockMove>},
      {"unit.revoked", OneMove<StockMove>},
      {"return.received", OneMove<StockMove>},
      {"sale.completed", OneMove<SaleMove>},
      {"refund.completed", OneMove<SaleMove>},
      {"sale.voided", VoidEvents},
      {"exchange.completed", ExchangeEvents},
      {"reservation.picked", OneMove<OrderMove>},
      {"reservation.shipped", OneMove<OrderMove>},
      {"reservation.handed_over", OneMove<OrderMove>},
      {"reservation.released", OneMove<OrderMove>},
      {"reservation.expired", OneMove<OrderMove>},
      {"reservation.cancelled", OneMove<OrderMove>},
      {"stock.case_received", OneMove<CaseMove>},
      {"case.unpacked", OneMove<CaseMove>},
  };
  return kMappers;
}

Error BadRecord(const Record& r, std::string_view why) {
  return MakeError(ErrorKind::invalid_request, "epcis_bad_record",
                   "event " + r.id + " (" + r.type + "): " + std::string(why));
}

// The EPCIS events of one record (none, one, or two for a post-void), or why
// it cannot be read.
Expected<std::vector<json>> Events(const Site& site, const Record& r) {
  const auto mapper = Mappers().find(r.type);
  if (mapper == Mappers().end()) return std::vector<json>{};
  const json payload = json::parse(r.payload, nullptr, false);
  if (!payload.is_object()) return BadRecord(r, "the payload is not a JSON object");
  try {
    return mapper->second(site, r, payload);
  } catch (const std::exception& e) {  // a field missing or of the wrong type
    return BadRecord(r, e.what());
  }
}

}  // namespace

bool MovesUnits(std::string_view type) { return Mappers().count(type) > 0; }

bool ValidGln(std::string_view gln) { return gln.size() == 13 && codes::Gs1CheckDigitOk(gln); }

std::optional<int> UtcOffsetMinutes(std::string_view offset) {
  auto digit = [&](std::size_t i) { return offset[i] >= '0' && offset[i] <= '9'; };
  if (offset.size() != 6 || (offset[0] != '+' && offset[0] != '-') || offset[3] != ':')
    return std::nullopt;
  if (!digit(1) || !digit(2) || !digit(4) || !digit(5)) return std::nullopt;
  const int hours = (offset[1] - '0') * 10 + (offset[2] - '0');
  const int minutes = (offset[4] - '0') * 10 + (offset[5] - '0');
  if (hours > 14 || minutes >= 60) return std::nullopt;
  return (offset[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
}

bool ValidUtcOffset(std::string_view offset) { return UtcOffsetMinutes(offset).has_value(); }

Expected<std::string> EventsOf(const Site& site, const Record& record) {
  auto events = Events(site, record);
  if (!events) return events.error();
  return json(*events).dump();
}

DocumentWriter::DocumentWriter(Site site, std::function<void(std::string_view)> sink)
    : site_(std::move(site)), sink_(std::move(sink)) {}

void DocumentWriter::Begin(std::int64_t created_ms, bool query) {
  query_ = query;
  json head = {{"@context", json::array({kContext})},
               {"type", query ? "EPCISQueryDocument" : "EPCISDocument"},
               {"schemaVersion", "2.0"},
               {"creationDate", FormatTimestamp(created_ms)}};
  std::string text = head.dump();
  text.pop_back();  // the object stays open for the body
  text += query ? R"(,"epcisBody":{"queryResults":{"queryName":"SimpleEventQuery",)"
                  R"("resultsBody":{"eventList":[)"
                : R"(,"epcisBody":{"eventList":[)";
  sink_(text);
}

Expected<int> DocumentWriter::Add(const Record& record) {
  auto events = Events(site_, record);
  if (!events) return events.error();
  for (const auto& e : *events) {
    sink_(events_ == 0 ? "\n" : ",\n");
    sink_(e.dump(-1, ' ', false, json::error_handler_t::replace));
    ++events_;
  }
  return static_cast<int>(events->size());
}

void DocumentWriter::End() { sink_(query_ ? "\n]}}}}\n" : "\n]}}\n"); }

}  // namespace sa::epcis
