// SPDX-License-Identifier: Apache-2.0
// Fuzzes what the agent does with the cloud's answers (sync/PROTOCOL.md): a
// pull page applied with sync::ApplyChanges, and a push answer's acked_seq
// and rejected results recorded, on a store with a sale and two orders.
// Proves: a page the client accepts always applies (a malformed change
// becomes an alert, it never fails the page or throws), the cursor is the
// page's; applying the same page again changes nothing (PROTOCOL.md §5:
// "Applying a change twice has the same effect as once"); stock keeps
// available = on_hand - reserved; a valid acked_seq is recorded and the
// outbox depth follows it.
//
// The client's own reading of the HTTP answer (sync/platform/curl/
// syncer.cpp) is in the curl translation unit; Page() and the push branch
// below accept exactly the answers it accepts (PROTOCOL.md §4, §5).
//
// Input: a pull answer {"changes":[...],"cursor":N} or a push answer
// {"acked_seq":N,"results":[...]}.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "codes.hpp"
#include "fuzz_support.hpp"
#include "store.hpp"
#include "sync.hpp"

namespace {

using namespace sa;
using nlohmann::json;

const std::string kScarf = "06950123450005";
const std::string kTote = "06950123450036";

void Seed(store::Store& s) {
  auto must = [](bool ok, const char* what) {
    if (!ok) fuzz::Fail("seed", what);
  };
  must(s.stock.SetSnapshot(kScarf, 5).has_value(), "stock");
  const std::string sale = s.sales.OpenSale("till-1").value().id;
  const std::string label = codes::MakeDigitalLink(
      "id.brand.example", kScarf, "S1", codes::SignLabel(kScarf, "S1", store::DemoBrandKey()));
  must(s.sales.Scan(sale, label).has_value(), "scan");
  must(s.sales.Complete(sale, {{"card", 59900, "ref-1"}}).has_value(), "complete");
  const std::string offer = R"({"id":"O-1","kind":"ship_from_store","lines":[{"gtin":")" + kScarf +
                            R"(","qty":1}],"ttl_s":3600})";
  must(s.stock.RecordOrderOffer("O-1", "ship_from_store", offer).has_value(), "offer O-1");
  const std::string pickup = R"({"id":"O-2","kind":"pickup","lines":[{"gtin":")" + kTote +
                             R"(","qty":1}],"ttl_s":3600,"pickup_code":"PK1"})";
  must(s.stock.RecordOrderOffer("O-2", "pickup", pickup).has_value(), "offer O-2");
  must(s.stock.SetSnapshot(kTote, 2).has_value(), "tote stock");
  must(s.stock.Accept("O-2").has_value(), "accept O-2");
}

// A pull answer as the client reads it, or nothing when it says bad_answer.
struct Page {
  std::vector<store::Change> changes;
  std::int64_t cursor = 0;
};

std::optional<Page> ReadPage(const json& answer) {
  auto changes = answer.find("changes");
  auto cursor = answer.find("cursor");
  if (changes == answer.end() || !changes->is_array() || cursor == answer.end() ||
      !cursor->is_number_integer()) {
    return std::nullopt;
  }
  Page page;
  for (const auto& c : *changes) {
    if (!c.is_object() || !c.contains("cursor") || !c["cursor"].is_number_integer())
      return std::nullopt;
    auto type = c.find("type");
    auto data = c.find("data");
    page.changes.push_back(
        store::Change{c["cursor"].get<std::int64_t>(),
                      type != c.end() && type->is_string() ? type->get<std::string>() : "",
                      data != c.end() ? data->dump() : "{}"});
  }
  page.cursor = cursor->get<std::int64_t>();
  return page;
}

// The GTINs a page names, plus the seeded ones: whose stock is checked.
std::set<std::string> GtinsOf(const Page& page) {
  std::set<std::string> out = {kScarf, kTote};
  for (const auto& change : page.changes) {
    const json d = json::parse(change.data, nullptr, false);
    if (!d.is_object()) continue;
    auto gtin = d.find("gtin");
    if (gtin == d.end() || !gtin->is_string()) continue;
    if (auto g = codes::NormaliseGtin(gtin->get<std::string>())) out.insert(*g);
  }
  return out;
}

// Everything a page can change, for the applied-twice check.
std::string StateOf(store::Store& s, const std::set<std::string>& gtins) {
  json j = json::object();
  j["outbox"] = s.inbox.GetSyncState().value().last_seq;
  j["alerts"] = s.inbox.Alerts(true, 100000).value().size();
  json orders = json::array();
  const auto reservations =
      s.stock.Reservations(true, 100000).value();  // a local: not a temporary's member
  for (const auto& r : reservations) {
    orders.push_back({r.id, r.status, r.cancel_requested, r.lines.size()});
  }
  j["orders"] = orders;
  for (const auto& gtin : gtins) {
    auto level = s.stock.Level(gtin).value();
    SA_FUZZ_CHECK(level.reserved >= 0 && level.available == level.on_hand - level.reserved,
                  gtin + ": on_hand " + std::to_string(level.on_hand) + " reserved " +
                      std::to_string(level.reserved) + " available " +
                      std::to_string(level.available));
    auto product = s.books.FindProduct(gtin);
    j[gtin] = {level.on_hand, level.reserved, product ? product->name : "",
               product ? product->price_minor : -1};
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A page that cancels an order before it offers it: applied once the offer
// stands (the cancel found nothing), applied again the cancel takes it. A
// cloud does not cancel what it has not offered; the store keeps no note of
// a cancel for an unknown order, so such a page is not checked twice.
bool CancelsBeforeOffer(const Page& page) {
  std::set<std::string> cancelled;
  for (const auto& change : page.changes) {
    const json d = json::parse(change.data, nullptr, false);
    auto id = d.is_object() ? d.find("id") : d.end();
    if (id == d.end() || !id->is_string()) continue;
    if (change.type == "order.cancelled") cancelled.insert(id->get<std::string>());
    if (change.type == "order.offered" && cancelled.count(id->get<std::string>())) return true;
  }
  return false;
}

void Apply(store::Store& s, const Page& page) {
  const auto before = s.inbox.GetSyncState().value();
  // The client refuses a cursor that goes backwards before applying anything.
  if (page.cursor < before.cursor) return;
  const auto gtins = GtinsOf(page);
  auto applied = s.inbox.Apply(page.changes, page.cursor);
  SA_FUZZ_CHECK(
      applied.has_value(),
      "a page failed: " + (applied ? "" : applied.error().code + ": " + applied.error().message));
  SA_FUZZ_CHECK(s.inbox.GetSyncState().value().cursor == page.cursor, "cursor not stored");
  const std::string once = StateOf(s, gtins);
  if (CancelsBeforeOffer(page)) return;
  auto again = s.inbox.Apply(page.changes, page.cursor);
  SA_FUZZ_CHECK(again.has_value(), "the page failed the second time");
  const std::string twice = StateOf(s, gtins);
  SA_FUZZ_CHECK(once == twice, "applied twice differs from once:\n  " + once + "\n  " + twice);
}

// The push answer: acked_seq in 0..last_seq (else bad_answer), an alert per
// rejected result, then the ack.
void Ack(store::Store& s, const json& answer) {
  auto acked = answer.find("acked_seq");
  const auto state = s.inbox.GetSyncState().value();
  if (acked == answer.end() || !acked->is_number_integer() || acked->get<std::int64_t>() < 0 ||
      acked->get<std::int64_t>() > state.last_seq) {
    return;
  }
  if (auto results = answer.find("results"); results != answer.end() && results->is_array()) {
    for (const auto& res : *results) {
      auto status = res.is_object() ? res.find("status") : res.end();
      if (status == res.end() || *status != "rejected") continue;
      store::Alert alert;
      alert.code = "event_rejected";
      alert.message = "the cloud refused an event";
      alert.detail = res.dump(-1, ' ', false, json::error_handler_t::replace);
      alert.source = "cloud";
      const std::string key = "rejected:" + alert.detail;
      auto raised = s.inbox.RaiseAlert(alert, key.substr(0, 200));
      SA_FUZZ_CHECK(raised.has_value(), "alert refused: " + (raised ? "" : raised.error().message));
    }
  }
  const std::int64_t seq = acked->get<std::int64_t>();
  auto recorded = s.inbox.RecordAck(seq);
  SA_FUZZ_CHECK(recorded.has_value(), "ack refused");
  SA_FUZZ_CHECK(s.inbox.GetSyncState().value().acked_seq == seq, "ack not stored");
  SA_FUZZ_CHECK(s.books.OutboxDepth().value() == state.last_seq - seq,
                "outbox depth does not follow the ack");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json answer = json::parse(fuzz::Text(data, size), nullptr, false);
  if (!answer.is_object()) return 0;
  fuzz::Scratch scratch(fuzz::ScratchLedger::Get(Seed));
  if (answer.contains("changes")) {
    if (auto page = ReadPage(answer)) Apply(scratch.store(), *page);
  } else {
    Ack(scratch.store(), answer);
  }
  return 0;
}
