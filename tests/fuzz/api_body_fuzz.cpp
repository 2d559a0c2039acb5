// SPDX-License-Identifier: Apache-2.0
// Fuzzes what the local HTTP API does with a request body: the JSON decoded
// into a domain call on a store with an open sale, a completed sale and two
// cloud orders. docs/design.md: "Never a 5xx for anything a client sent" and
// invariant 9, "bad input ... gets a clear, typed error and changes
// nothing". Proves, for every body: no exception escapes; a refusal is a
// snake_case error whose kind maps to a 4xx (never internal or storage); a
// refusal leaves the outbox, both sales, both orders and their stock exactly
// as they were (a diverted unit's event and alert excepted: they are kept on
// purpose); and after any accepted call available = on_hand - reserved.
//
// The body is read by the API's own request checks (agent/api/request.hpp,
// RESTinio-free), so the domain sees exactly what the API would hand it; a
// body they refuse must be refused as invalid_request, the API's 400.
//
// Input: "METHOD /path\n" + body. {open} {done} {offered} and {accepted}
// name the seeded sales and orders, in the path or the body.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codes.hpp"
#include "fuzz_support.hpp"
#include "request.hpp"
#include "store.hpp"

namespace {

using namespace sa;
using nlohmann::json;
namespace request = sa::api::request;

// The fuzzer calls as the API token does: a manager's actions are approved
// (who may approve is sessions::Approve's, tested over HTTP).
const store::Approval kApiToken{"", "api_token"};

const std::string kScarf = "06950123450005";
const std::string kTote = "06950123450036";

std::map<std::string, std::string> g_ids;  // placeholder -> id in the scratch ledger

std::string Label(const std::string& gtin, const std::string& serial) {
  return codes::MakeDigitalLink("id.brand.example", gtin, serial,
                                codes::SignLabel(gtin, serial, store::DemoBrandKey()));
}

// Seeded once and committed: each input starts from this state.
void Seed(store::Store& s) {
  auto must = [](bool ok, const char* what) {
    if (!ok) fuzz::Fail("seed", what);
  };
  must(s.stock.SetSnapshot(kScarf, 5).has_value(), "scarf stock");
  must(s.stock.SetSnapshot(kTote, 5).has_value(), "tote stock");
  const std::string done = s.sales.OpenSale("till-1").value().id;
  auto sold = s.sales.Scan(done, Label(kScarf, "S2"));
  must(sold && s.sales.Scan(done, Label(kTote, "T1")), "scan for the completed sale");
  must(s.sales.Complete(done, {{"card", 59900 + 12900, "ref-1"}}).has_value(), "complete");
  const std::string open = s.sales.OpenSale("till-1").value().id;
  must(s.sales.Scan(open, Label(kScarf, "S1")).has_value(), "scan for the open sale");
  must(s.stock
           .RecordOrderOffer("O-SHIP", "ship_from_store",
                             R"({"id":"O-SHIP","kind":"ship_from_store","lines":[{"gtin":")" +
                                 kScarf + R"(","qty":1}],"ttl_s":3600})")
           .has_value(),
       "ship-from-store offer");
  must(s.stock
           .RecordOrderOffer("O-PICK", "pickup",
                             R"({"id":"O-PICK","kind":"pickup","lines":[{"gtin":")" + kTote +
                                 R"(","qty":1}],"ttl_s":3600,"pickup_code":"PK1234"})")
           .has_value(),
       "pickup offer");
  must(s.stock.Accept("O-PICK").has_value(), "accept the pickup order");
  g_ids = {{"{open}", open}, {"{done}", done}, {"{offered}", "O-SHIP"}, {"{accepted}", "O-PICK"}};
}

// ---------------------------------------------------------- the checks

// What a refused request must leave as it was.
struct Snapshot {
  std::int64_t outbox = 0;
  std::vector<std::string> sales;
  std::vector<std::string> orders;
  std::vector<std::int64_t> stock;
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

std::string Describe(const Expected<store::Reservation>& r) {
  if (!r) return r.error().code;
  std::string out = r->id + ":" + r->status;
  for (const auto& line : r->lines) out += ":" + std::to_string(line.picked.size());
  return out;
}

Snapshot Take(store::Store& s) {
  Snapshot snap;
  snap.outbox = s.books.OutboxDepth().value();
  for (const char* sale : {"{open}", "{done}"}) {
    auto got = s.sales.GetSale(g_ids[sale]);
    snap.sales.push_back(got ? store::SaleJson(*got) : got.error().code);
  }
  for (const char* order : {"{offered}", "{accepted}"}) {
    snap.orders.push_back(Describe(s.stock.GetReservation(g_ids[order])));
  }
  for (const auto& gtin : {kScarf, kTote}) {
    auto level = s.stock.Level(gtin).value();
    snap.stock.insert(snap.stock.end(), {level.on_hand, level.reserved, level.available});
  }
  return snap;
}

void CheckStock(store::Store& s) {
  for (const auto& gtin : {kScarf, kTote}) {
    auto level = s.stock.Level(gtin);
    SA_FUZZ_CHECK(level.has_value(), gtin);
    SA_FUZZ_CHECK(level->reserved >= 0 && level->available == level->on_hand - level->reserved,
                  gtin + ": on_hand " + std::to_string(level->on_hand) + " reserved " +
                      std::to_string(level->reserved) + " available " +
                      std::to_string(level->available));
  }
}

// What an accepted call answers must be a JSON object (the API sends it).
void CheckAnswer(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  SA_FUZZ_CHECK(j.is_object(), text);
}

// ---------------------------------------------------------- the routes

// The store's answer, reduced to what the checks need.
struct Answer {
  std::optional<Error> error;
};

template <class T>
Answer Of(const Expected<T>& r, const std::function<std::string(const T&)>& show) {
  if (!r) return {r.error()};
  CheckAnswer(show(*r));
  return {};
}

Answer SaleAnswer(const Expected<store::Sale>& r) {
  return Of<store::Sale>(r, [](const store::Sale& s) { return store::SaleJson(s); });
}

Answer OrderAnswer(const Expected<store::Reservation>& r) {
  return Of<store::Reservation>(r, [](const store::Reservation& o) {
    return json{{"id", o.id}, {"status", o.status}}.dump();
  });
}

// A scanned payload goes through CheckCode (parse + ECDSA) first, as in the API.
template <class Then>
Answer WithCode(store::Store& s, const std::string& payload, Then then) {
  auto checked = s.books.CheckCode(payload);
  if (!checked) return {checked.error()};
  return then(*checked);
}

// A body the API's checks refuse: the API answers 400 before the store sees it.
template <class T>
bool RefusedAtTheDoor(const Expected<T>& parsed) {
  if (parsed) return false;
  fuzz::CheckError(parsed.error(), {ErrorKind::invalid_request});
  return true;
}

std::optional<Answer> SaleRoute(store::Store& s, const std::string& id, const std::string& action,
                                std::string_view body) {
  if (action == "scans") {
    auto scan = request::ParseScan(body);
    if (RefusedAtTheDoor(scan)) return std::nullopt;
    return WithCode(s, scan->payload, [&](const store::CheckedCode& c) {
      return SaleAnswer(s.sales.AddCheckedCode(id, c, scan->override_reserved));
    });
  }
  if (action == "member") {
    auto member = request::ParseMember(body);
    if (RefusedAtTheDoor(member)) return std::nullopt;
    return SaleAnswer(member->payload ? s.sales.BindMemberCode(id, *member->payload)
                                      : s.sales.BindPhone(id, *member->phone));
  }
  if (action == "complete") {
    auto payments = request::ParsePayments(body);
    if (RefusedAtTheDoor(payments)) return std::nullopt;
    auto done = s.sales.Complete(id, *payments);
    if (done) {
      SA_FUZZ_CHECK(done->status == "completed" && !done->receipt_no.empty(),
                    store::SaleJson(*done));
      std::optional<MinorUnits> paid = 0;
      for (const auto& p : done->payments) paid = paid ? AddMinor(*paid, p.amount) : paid;
      SA_FUZZ_CHECK(paid && *paid >= done->total, store::SaleJson(*done));
    }
    return SaleAnswer(done);
  }
  if (action == "void") {
    auto reason = request::ParseReason(body);
    if (RefusedAtTheDoor(reason)) return std::nullopt;
    if (RefusedAtTheDoor(request::ParseApproval(body))) return std::nullopt;
    return SaleAnswer(s.sales.Void(id, *reason, kApiToken));
  }
  return Answer{};
}

std::optional<Answer> OrderRoute(store::Store& s, const std::string& id, const std::string& action,
                                 std::string_view body) {
  if (action == "accept") {
    if (RefusedAtTheDoor(request::Nothing(body))) return std::nullopt;
    return OrderAnswer(s.stock.Accept(id));
  }
  if (action == "reject" || action == "release") {
    auto reason = request::ParseReason(body);
    if (RefusedAtTheDoor(reason)) return std::nullopt;
    if (RefusedAtTheDoor(request::ParseApproval(body))) return std::nullopt;
    return OrderAnswer(action == "reject" ? s.stock.Reject(id, *reason)
                                          : s.stock.Release(id, *reason, kApiToken));
  }
  if (action == "pick") {
    auto payload = request::ParsePayload(body);
    if (RefusedAtTheDoor(payload)) return std::nullopt;
    return WithCode(s, *payload,
                    [&](const store::CheckedCode& c) { return OrderAnswer(s.stock.Pick(id, c)); });
  }
  if (action == "ship") {
    auto shipment = request::ParseShipment(body);
    if (RefusedAtTheDoor(shipment)) return std::nullopt;
    return OrderAnswer(s.stock.Ship(id, shipment->carrier, shipment->tracking_no));
  }
  if (action == "handover") {
    auto code = request::ParsePickupCode(body);
    if (RefusedAtTheDoor(code)) return std::nullopt;
    return OrderAnswer(s.stock.HandOver(id, *code));
  }
  return Answer{};
}

// The store's answer to one request, or nothing when the API refused its body.
std::optional<Answer> Route(store::Store& s, std::string_view method,
                            const std::vector<std::string>& seg, std::string_view body) {
  const auto n = seg.size();
  if (method != "POST" || n < 2 || seg[0] != "v1") return Answer{};
  if (seg[1] == "sales" && n == 2) {
    auto open = request::ParseOpenSale(body);
    if (RefusedAtTheDoor(open)) return std::nullopt;
    return SaleAnswer(s.sales.OpenSale(open->terminal.value_or("")));
  }
  if (seg[1] == "sales" && n == 4) return SaleRoute(s, seg[2], seg[3], body);
  if (seg[1] == "refunds" && n == 2) {
    auto refund = request::ParseRefund(body);
    if (RefusedAtTheDoor(refund)) return std::nullopt;
    if (RefusedAtTheDoor(request::ParseApproval(body))) return std::nullopt;
    return Of<store::Refund>(s.sales.RefundUnits(refund->sale_id, refund->units,
                                                 refund->terminal.value_or(""), "", kApiToken),
                             [](const store::Refund& r) { return store::RefundJson(r); });
  }
  if (seg[1] == "exchanges" && n == 2) {
    auto ex = request::ParseExchange(body);
    if (RefusedAtTheDoor(ex)) return std::nullopt;
    if (RefusedAtTheDoor(request::ParseApproval(body))) return std::nullopt;
    return Of<store::Exchange>(
        s.sales.ExchangeUnits(ex->back.sale_id, ex->back.units, ex->back.items, ex->cart_id,
                              ex->payments, ex->back.terminal.value_or(""), "", kApiToken),
        [](const store::Exchange& e) { return store::ExchangeJson(e); });
  }
  if (seg[1] == "stock" && n == 3) {
    auto level = [](const store::StockLevel& l) {
      return json{{"on_hand", l.on_hand}, {"available", l.available}}.dump();
    };
    if (seg[2] == "receive") {
      auto payload = request::ParsePayload(body);
      if (RefusedAtTheDoor(payload)) return std::nullopt;
      return WithCode(s, *payload, [&](const store::CheckedCode& c) {
        return Of<store::StockLevel>(s.stock.Receive(c), level);
      });
    }
    if (seg[2] == "counts") {
      auto count = request::ParseCount(body);
      if (RefusedAtTheDoor(count)) return std::nullopt;
      return Of<store::StockLevel>(s.stock.Count(count->gtin, count->counted), level);
    }
    return Answer{};
  }
  if (seg[1] == "reservations" && n == 4) return OrderRoute(s, seg[2], seg[3], body);
  return Answer{};
}

// The seeded ids in place of their placeholders, in the path and the body.
std::string WithIds(std::string_view input) {
  std::string out(input);
  for (const auto& [placeholder, id] : g_ids) {
    for (std::size_t at = out.find(placeholder); at != std::string::npos;
         at = out.find(placeholder, at + id.size())) {
      out.replace(at, placeholder.size(), id);
    }
  }
  return out;
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const std::size_t slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::ScratchLedger& ledger = fuzz::ScratchLedger::Get(Seed);
  const std::string full = WithIds(fuzz::Text(data, size));
  const std::string_view input = full;
  const std::size_t nl = input.find('\n');
  const std::string_view request = input.substr(0, nl);
  const std::string_view text =
      nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  const std::size_t space = request.find(' ');
  if (space == std::string_view::npos) return 0;

  fuzz::Scratch scratch(ledger);
  store::Store& s = scratch.store();
  const auto segments = Segments(request.substr(space + 1));

  const Snapshot before = Take(s);
  const std::optional<Answer> answer = Route(s, request.substr(0, space), segments, text);
  if (!answer) {
    SA_FUZZ_CHECK(Take(s) == before, "the API refused the body but the ledger changed");
  } else if (answer->error) {
    const Error& e = *answer->error;
    fuzz::CheckError(e, {ErrorKind::invalid_request, ErrorKind::not_found, ErrorKind::conflict,
                         ErrorKind::refused, ErrorKind::too_large});
    if (e.code != "code_diverted") {
      SA_FUZZ_CHECK(Take(s) == before, "refused with " + e.code + " but the ledger changed");
    }
  } else {
    SA_FUZZ_CHECK(s.books.OutboxDepth().value() >= before.outbox, "the outbox shrank");
  }
  CheckStock(s);
  return 0;
}
