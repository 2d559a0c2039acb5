// SPDX-License-Identifier: Apache-2.0
// Cases (aggregation): the cloud's shipment says which units are packed in
// which case, each case known by its own label (GTIN + serial). Scanning the
// case's label in receive mode receives every unit in it the store does not
// hold yet; a unit leaves its case when it is sold or picked (case.unpacked,
// an EPCIS AggregationEvent DELETE); a case's label is not a unit, at the
// till or for an order.
#include <map>
#include <set>

#include "part.hpp"
#include "stock.hpp"
#include "stock_json.hpp"

namespace sa::store {
namespace {

using ledger::Transaction;
using part::Conflict;
using part::Guarded;
using part::Refused;

Error BadShipment(std::string reason, std::string message) {
  return MakeError(ErrorKind::invalid_request, "bad_shipment", std::move(message),
                   std::move(reason));
}

bool GoodSerial(const std::string& s) { return !s.empty() && s.size() <= 20 && ValidUtf8(s); }

// The label as the ledger keys it (GTIN-14), or why not.
Expected<events::UnitKey> Key(const events::UnitKey& k, const char* what) {
  auto g = codes::NormaliseGtin(k.first);
  if (!g || !GoodSerial(k.second)) {
    return BadShipment("malformed", std::string(what) + " " + k.first + " / " + k.second +
                                        " is not a GTIN and a serial of 1-20 characters");
  }
  return events::UnitKey{*g, k.second};
}

std::string Shown(const events::UnitKey& k) { return k.first + " / " + k.second; }

}  // namespace

bool Stock::IsCase(const std::string& gtin, const std::string& serial) {
  auto st = db_.Cached("SELECT 1 FROM cases WHERE gtin = ? AND serial = ?");
  st.Bind(1, gtin).Bind(2, serial);
  return st.Step();
}

std::optional<Error> Stock::CaseRefusal(const codes::Code& code) {
  if (!code.serialised() || !IsCase(code.gtin, code.serial)) return std::nullopt;
  return Refused("case_not_unit",
                 "this is a case's label, not a unit's: receive the case in the stockroom, or "
                 "scan a unit inside it");
}

// A shipment's cases, each with its units, keyed as the ledger keys them;
// or the first rule a case breaks (docs/epcis.md). Reads only.
using ShipmentCases = std::vector<std::pair<UnitKey, std::vector<UnitKey>>>;

Expected<ShipmentCases> Stock::CheckShipment(const events::Shipment& shipment) {
  std::set<events::UnitKey> labels;
  std::map<events::UnitKey, events::UnitKey> packed;  // unit -> its case
  ShipmentCases cases;
  for (const auto& c : shipment.cases) {
    auto label = Key(c.label, "case");
    if (!label) return label.error();
    if (!labels.insert(*label).second)
      return BadShipment("case_twice", "case " + Shown(*label) + " is listed twice");
    auto known = db_.Cached("SELECT shipment FROM cases WHERE gtin = ? AND serial = ?");
    known.Bind(1, label->first).Bind(2, label->second);
    if (known.Step() && known.Text(0) != shipment.id) {
      return BadShipment("case_twice",
                         "case " + Shown(*label) + " came with shipment " + known.Text(0));
    }
    if (c.units.empty() || static_cast<std::int64_t>(c.units.size()) > config_.case_max_units) {
      return BadShipment("case_size", "case " + Shown(*label) + " holds " +
                                          std::to_string(c.units.size()) + " units; 1 to " +
                                          std::to_string(config_.case_max_units) + " allowed");
    }
    std::vector<events::UnitKey> units;
    for (const auto& u : c.units) {
      auto unit = Key(u, "unit");
      if (!unit) return unit.error();
      if (labels.count(*unit) || IsCase(unit->first, unit->second))
        return BadShipment("case_in_case", "unit " + Shown(*unit) + " is a case's label");
      if (!books_.LookupProduct(unit->first))
        return BadShipment("unknown_gtin", "GTIN " + unit->first + " is not in the catalog");
      if (!packed.emplace(*unit, *label).second)
        return BadShipment("unit_in_two_cases", "unit " + Shown(*unit) + " is in two cases");
      units.push_back(*unit);
    }
    cases.emplace_back(*label, std::move(units));
  }
  for (const auto& [unit, label] : packed) {
    if (labels.count(unit))
      return BadShipment("case_in_case", "unit " + Shown(unit) + " is a case's label");
    auto other =
        db_.Cached("SELECT case_gtin, case_serial FROM case_units WHERE gtin = ? AND serial = ?");
    other.Bind(1, unit.first).Bind(2, unit.second);
    if (other.Step() && events::UnitKey{other.Text(0), other.Text(1)} != label) {
      return BadShipment("unit_in_two_cases", "unit " + Shown(unit) + " is already in case " +
                                                  other.Text(0) + " / " + other.Text(1));
    }
  }
  return cases;
}

// Every rule checked before anything is written: a refused shipment keeps
// nothing. Applied twice (a page fetched again), it changes nothing more.
Expected<void> Stock::RecordShipment(std::string_view body) {
  auto shipment = events::ParseShipment(body);
  if (!shipment) return shipment.error();
  if (shipment->id.empty() || shipment->id.size() > 64 || !ValidUtf8(shipment->id))
    return BadShipment("malformed", "a shipment id is 1-64 characters");
  return Guarded([&]() -> Expected<void> {
    Transaction tx(db_);
    auto cases = CheckShipment(*shipment);
    if (!cases) return cases.error();
    const std::int64_t now = books_.now_ms();
    for (const auto& [label, units] : *cases) {
      db_.Cached(
             "INSERT INTO cases(gtin, serial, shipment, at_ms) VALUES(?, ?, ?, ?) "
             "ON CONFLICT DO NOTHING")
          .Bind(1, label.first)
          .Bind(2, label.second)
          .Bind(3, shipment->id)
          .Bind(4, now)
          .Run();
      for (const auto& [gtin, serial] : units) {
        db_.Cached(
               "INSERT INTO case_units(gtin, serial, case_gtin, case_serial, state) "
               "VALUES(?, ?, ?, ?, 'packed') ON CONFLICT DO NOTHING")
            .Bind(1, gtin)
            .Bind(2, serial)
            .Bind(3, label.first)
            .Bind(4, label.second)
            .Run();
      }
    }
    tx.Commit();
    return {};
  });
}

// Inside Receive's transaction: the case's units the store does not hold yet.
Expected<StockLevel> Stock::ReceiveCase(const codes::Code& code) {
  std::vector<events::UnitKey> inside;
  auto st = db_.Cached(
      "SELECT c.gtin, c.serial FROM case_units c LEFT JOIN units u "
      "ON u.gtin = c.gtin AND u.serial = c.serial "
      "WHERE c.case_gtin = ? AND c.case_serial = ? AND c.state = 'packed' AND u.gtin IS NULL "
      "ORDER BY c.gtin, c.serial");
  st.Bind(1, code.gtin).Bind(2, code.serial);
  while (st.Step()) inside.emplace_back(st.Text(0), st.Text(1));
  if (inside.empty()) {
    return Conflict("case_already_received", "every unit of this case is in stock or sold already");
  }
  const std::int64_t now = books_.now_ms();
  for (const auto& [gtin, serial] : inside) {
    db_.Cached("INSERT INTO units(gtin, serial, state, updated_at_ms) VALUES(?, ?, 'in_stock', ?)")
        .Bind(1, gtin)
        .Bind(2, serial)
        .Bind(3, now)
        .Run();
    db_.Cached(
           "INSERT INTO stock_moves(gtin, serial, delta, reason, ref, at_ms) "
           "VALUES(?, ?, 1, 'received', ?, ?)")
        .Bind(1, gtin)
        .Bind(2, serial)
        .Bind(3, code.gtin + "/" + code.serial)
        .Bind(4, now)
        .Run();
  }
  const StockLevel level = LevelOf(inside.front().first);
  books_.Append("stock.case_received", events::CaseEvent({code.gtin, code.serial}, inside, &level));
  return level;
}

void Stock::BreakOut(const std::vector<UnitKey>& units) {
  std::map<events::UnitKey, std::vector<events::UnitKey>> by_case;
  for (const auto& unit : units) {
    auto st = db_.Cached(
        "SELECT case_gtin, case_serial FROM case_units WHERE gtin = ? AND serial = ? "
        "AND state = 'packed'");
    st.Bind(1, unit.first).Bind(2, unit.second);
    if (!st.Step()) continue;
    by_case[{st.Text(0), st.Text(1)}].push_back(unit);
    db_.Cached("UPDATE case_units SET state = 'out' WHERE gtin = ? AND serial = ?")
        .Bind(1, unit.first)
        .Bind(2, unit.second)
        .Run();
  }
  for (const auto& [label, out] : by_case)
    books_.Append("case.unpacked", events::CaseEvent(label, out, nullptr));
}

}  // namespace sa::store
