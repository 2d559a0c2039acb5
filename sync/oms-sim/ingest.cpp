// SPDX-License-Identifier: Apache-2.0
#include "ingest.hpp"

#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "crm.hpp"
#include "online_orders.hpp"
#include "platform/nlohmann/json.hpp"
#include "sold_units.hpp"
#include "sync.hpp"

namespace sa::omssim {
namespace {

// §6.
const std::set<std::string_view> kEventTypes = {
    "sale.completed",       "unit.revoked",         "sale.voided",
    "stock.case_received",  "case.unpacked",        "refund.completed",
    "exchange.completed",   "member.bound",         "stock.received",
    "stock.counted",        "reservation.accepted", "reservation.rejected",
    "reservation.picked",   "reservation.shipped",  "reservation.handed_over",
    "reservation.released", "reservation.expired",  "reservation.cancel_refused",
    "stock.override",       "code.diverted",        "shift.closed",
    "return.received",      "drawer.opened"};

std::optional<std::int64_t> SeqOf(const json& ev) {
  if (!ev.is_object()) return std::nullopt;
  auto it = ev.find("seq");
  if (it == ev.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > (std::uint64_t{1} << 62))
    return std::nullopt;
  const std::int64_t seq = it->get<std::int64_t>();
  if (seq < 1) return std::nullopt;
  return seq;
}

std::string IdOf(const json& ev) {
  if (!ev.is_object()) return "";
  auto it = ev.find("id");
  return it != ev.end() && it->is_string() ? it->get<std::string>() : "";
}

// §4 step 1: what is wrong with an envelope, or "".
std::string EnvelopeProblem(const json& ev, const Caller& c) {
  if (!ev.is_object()) return "an event must be a JSON object";
  auto str = [&](const char* name) {
    auto it = ev.find(name);
    return it != ev.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
  };
  for (const char* name : {"id", "type", "at", "store_id", "device_id"}) {
    if (!str(name)) return std::string("\"") + name + "\" must be a non-empty string";
  }
  if (!SeqOf(ev)) return "\"seq\" must be an integer >= 1";
  if (auto p = ev.find("payload"); p == ev.end() || !p->is_object())
    return "\"payload\" must be an object";
  if (ev["store_id"] != c.store) return "its store_id is not the request's";
  if (ev["device_id"] != c.device) return "its device_id is not the request's";
  return "";
}

// An integer field, or nothing when absent or not an integer.
std::optional<std::int64_t> IntOf(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > (std::uint64_t{1} << 62))
    return std::nullopt;
  return it->get<std::int64_t>();
}

// §6: the VAT inside an amount that includes it, amount x rate / (10000 +
// rate) to the fen, halves away from zero. Each whole (10000 + rate) of the
// amount holds exactly `rate` of VAT; only the rest is rounded.
std::int64_t VatIn(std::int64_t amount, std::int64_t rate_bp) {
  const std::int64_t base = 10000 + rate_bp;
  const std::int64_t twice = 2 * (amount % base) * rate_bp;  // |twice| < 2 x 10^8
  return amount / base * rate_bp + (twice + (twice < 0 ? -base : base)) / (2 * base);
}

// The VAT added on `net` for a line whose product's price excluded it
// (tax_included false): net x rate, to the fen, half away from zero.
std::int64_t VatOn(std::int64_t net, std::int64_t rate_bp) {
  const __int128 twice = static_cast<__int128>(net < 0 ? -net : net) * rate_bp * 2 + 10000;
  const auto vat = static_cast<std::int64_t>(twice / 20000);
  return net < 0 ? -vat : vat;
}

// §6: a sale's figures add up, as the cloud recomputes them: each line's
// amount is its unit price times its quantity and its VAT the rule's, the
// total is the lines', the VAT by rate is the lines' added, and the
// payments less the change are the total. Each check runs when the sale
// carries its fields (an older agent's sale has no VAT; a line without its
// amount leaves the sale's sums unchecked). "" when they add up.
std::string FiguresProblem(const json& sale) {
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> by_rate;  // amount, VAT
  std::int64_t total = 0;
  bool all_figured = true, all_rated = true;
  for (const auto& line : sale.at("lines")) {
    if (!line.is_object()) return "a sale's line must be an object";
    const auto price = IntOf(line, "unit_price"), qty = IntOf(line, "qty");
    const auto amount = IntOf(line, "amount");
    if (!amount) {  // a line without its figures: nothing of the sale's to check
      all_figured = false;
      continue;
    }
    // What promotions took off the line (PROTOCOL.md §6): each discount
    // names its promotion and is more than zero.
    std::int64_t off = 0;
    if (auto discounts = line.find("discounts"); discounts != line.end()) {
      if (!discounts->is_array()) return "a line's discounts must be an array";
      for (const auto& d : *discounts) {
        const auto each = d.is_object() ? IntOf(d, "amount") : std::nullopt;
        auto promotion = d.is_object() ? d.find("promotion_id") : d.end();
        if (!each || *each <= 0 || promotion == d.end() || !promotion->is_string() ||
            __builtin_add_overflow(off, *each, &off)) {
          return "each discount needs its promotion_id and an amount above zero";
        }
      }
    }
    const auto rate = IntOf(line, "tax_rate_bp"), vat = IntOf(line, "vat");
    // VAT added on top (tax_included false): the amount is the net plus it.
    bool added = false;
    if (auto included = line.find("tax_included"); included != line.end()) {
      if (!included->is_boolean()) return "a line's tax_included must be true or false";
      added = !included->get<bool>();
      if (added && (!rate || *rate < 0 || *rate > 10000)) {
        return "a line with VAT added needs its tax_rate_bp";
      }
    }
    std::int64_t times = 0;
    if (price && qty &&
        (__builtin_mul_overflow(*price, *qty, &times) ||
         times - off + (added ? VatOn(times - off, *rate) : 0) != *amount || *amount < 0)) {
      return "a line's amount is not its unit_price x qty less its discounts (plus VAT added)";
    }
    if (__builtin_add_overflow(total, *amount, &total)) return "the lines' amounts overflow";
    if (!rate || *rate < 0 || *rate > 10000) {
      all_rated = false;
      continue;
    }
    if (vat && *vat != VatIn(*amount, *rate)) {
      return "a line's vat is not amount x rate / (1 + rate) to the fen";
    }
    auto& band = by_rate[*rate];
    band.first += *amount;  // bounded: the total's sum did not overflow
    band.second += VatIn(*amount, *rate);
  }
  if (!all_figured) return "";
  if (const auto t = IntOf(sale, "total"); t && *t != total) {
    return "the total is not the sum of the lines";
  }
  if (auto vat = sale.find("vat"); vat != sale.end()) {
    // [{rate_bp, amount, vat}], lowest rate first, field by field (an
    // object's keys come in any order).
    bool same = all_rated && vat->is_array() && vat->size() == by_rate.size();
    auto band = by_rate.begin();
    for (std::size_t i = 0; same && i < vat->size(); ++i, ++band) {
      const json& b = (*vat)[i];
      same = b.is_object() && IntOf(b, "rate_bp") == band->first &&
             IntOf(b, "amount") == band->second.first && IntOf(b, "vat") == band->second.second;
    }
    if (!same) return "the sale's vat by rate is not its lines'";
  }
  auto payments = sale.find("payments");
  if (payments != sale.end() && payments->is_array() && !payments->empty() &&
      IntOf(sale, "total")) {
    std::int64_t paid = 0;
    for (const auto& p : *payments) {
      const auto amount = p.is_object() ? IntOf(p, "amount") : std::nullopt;
      if (!amount || __builtin_add_overflow(paid, *amount, &paid))
        return "each payment needs its \"amount\" (an integer)";
    }
    if (paid - IntOf(sale, "change").value_or(0) != total) {
      return "the payments less the change are not the total";
    }
  }
  return "";
}

// §6: what a known type's payload must hold, or "".
std::string PayloadProblem(std::string_view type, const json& payload) {
  if (type == "sale.completed") {
    auto id = payload.find("id");
    if (id == payload.end() || !id->is_string()) return "a sale needs its \"id\" (a string)";
    auto lines = payload.find("lines");
    if (lines == payload.end() || !lines->is_array())
      return "a sale needs its \"lines\" (an array)";
    return FiguresProblem(payload);
  }
  if (type == "exchange.completed") {
    // Its two halves, each as its own type says it.
    auto refund = payload.find("refund");
    auto sale = payload.find("sale");
    if (refund == payload.end() || !refund->is_object())
      return "an exchange needs its \"refund\" (an object)";
    auto sale_id = refund->find("sale_id");
    auto lines = refund->find("lines");
    if (sale_id == refund->end() || !sale_id->is_string() || lines == refund->end() ||
        !lines->is_array()) {
      return "an exchange's refund needs its \"sale_id\" and \"lines\"";
    }
    if (sale == payload.end() || !sale->is_object())
      return "an exchange needs its \"sale\" (an object)";
    return PayloadProblem("sale.completed", *sale);
  }
  if (type == "return.received") return OnlineOrders::PayloadProblem(Dump(payload));
  return "";
}

json Result(std::int64_t seq, const json& ev, std::string_view status) {
  json id = nullptr;
  if (ev.is_object() && ev.contains("id")) id = ev["id"];
  return json{{"seq", seq}, {"id", std::move(id)}, {"status", status}};
}

// A line's string field, "" when absent or not a string.
std::string TextOf(const json& line, const char* name) {
  auto it = line.find(name);
  return it != line.end() && it->is_string() ? it->get<std::string>() : "";
}

// §8: the serialised units of a sale's or a refund's lines; a line that is
// not an object, or has no serial, names none.
std::vector<SerialisedUnit> UnitsOf(const json& lines) {
  std::vector<SerialisedUnit> units;
  for (const auto& line : lines) {
    if (!line.is_object()) continue;
    std::string serial = TextOf(line, "serial");
    if (!serial.empty()) units.push_back(SerialisedUnit{TextOf(line, "gtin"), std::move(serial)});
  }
  return units;
}

// The events of one push, against the device's acked_seq. Runs inside the
// push's transaction.
class Ingest {
 public:
  Ingest(ledger::Database& db, Feed& feed, const Clock& clock, const Caller& caller,
         bool revoke_clones)
      : db_(db),
        clock_(clock),
        caller_(caller),
        sold_units_(db, feed, revoke_clones),
        online_orders_(db, feed, clock) {}

  // {"acked_seq","results"[,"expected_seq"]}
  json Batch(const json& events);

 private:
  json Accept(const json& ev, std::int64_t seq);
  // Records a rejected event; `at_seq` when it takes its seq (acked_seq moves).
  json Reject(const json& ev, std::int64_t seq, std::string_view code, const std::string& message,
              bool at_seq);
  // §8: an accepted sale sells its units, an accepted refund or post-void
  // puts them back.
  void UpdateSoldUnits(std::string_view type, const json& payload);
  std::optional<std::string> IngestedId(std::int64_t seq);
  void MarkIngested(std::int64_t seq, const std::string& id, std::string_view status);

  ledger::Database& db_;
  const Clock& clock_;
  const Caller& caller_;
  SoldUnits sold_units_;
  OnlineOrders online_orders_;
};

json Ingest::Batch(const json& events) {
  auto st = db_.Cached("SELECT acked_seq FROM devices WHERE store_id = ? AND device_id = ?");
  st.Bind(1, caller_.store).Bind(2, caller_.device);
  std::int64_t acked = st.Step() ? st.Int(0) : 0;
  json results = json::array();
  std::optional<std::int64_t> expected;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const json& ev = events[i];
    const auto seq = SeqOf(ev);
    const std::string id = IdOf(ev);
    // A resent event is a duplicate whatever its shape: that also covers
    // a broken envelope rejected earlier whose answer was lost.
    if (seq && !id.empty() && *seq <= acked && IngestedId(*seq) == id) {
      results.push_back(Result(*seq, ev, "duplicate"));
      continue;
    }
    if (const std::string problem = EnvelopeProblem(ev, caller_); !problem.empty()) {
      if (!seq || *seq != acked + 1)
        Refuse(400, "bad_body", "event " + std::to_string(i) + ": " + problem);
      results.push_back(Reject(ev, *seq, "bad_envelope", problem, true));
      acked = *seq;
      continue;
    }
    if (*seq <= acked) {
      results.push_back(Reject(
          ev, *seq, "seq_reused",
          "seq " + std::to_string(*seq) + " was already taken by another event of this device",
          false));
      continue;
    }
    if (*seq > acked + 1) {
      expected = acked + 1;
      break;
    }
    results.push_back(Accept(ev, *seq));
    acked = *seq;
  }
  db_.Cached(
         "UPDATE devices SET acked_seq = ?, last_seen_ms = ? WHERE store_id = ? AND device_id = ?")
      .Bind(1, acked)
      .Bind(2, clock_.now_ms())
      .Bind(3, caller_.store)
      .Bind(4, caller_.device)
      .Run();
  json answer{{"acked_seq", acked}, {"results", std::move(results)}};
  if (expected) answer["expected_seq"] = *expected;
  return answer;
}

// §4 step 4: the event at acked_seq + 1.
json Ingest::Accept(const json& ev, std::int64_t seq) {
  const std::string type = ev["type"].get<std::string>();
  const json& payload = ev["payload"];
  if (!kEventTypes.count(type))
    return Reject(ev, seq, "unknown_type", "unknown event type " + type, true);
  if (auto problem = PayloadProblem(type, payload); !problem.empty()) {
    return Reject(ev, seq, "bad_payload", problem, true);
  }
  const std::string id = IdOf(ev);
  MarkIngested(seq, id, "accepted");
  db_.Cached(
         "INSERT INTO events(store_id, device_id, seq, event_id, type, text) VALUES(?, ?, ?, ?, ?, "
         "?)")
      .Bind(1, caller_.store)
      .Bind(2, caller_.device)
      .Bind(3, seq)
      .Bind(4, id)
      .Bind(5, type)
      .Bind(6, Dump(ev))
      .Run();
  UpdateSoldUnits(type, payload);
  // A return at a store's counter of an online order: once per unit, however
  // many events name it.
  if (type == "return.received") online_orders_.Received(caller_, Dump(payload));
  return Result(seq, ev, "accepted");
}

void Ingest::UpdateSoldUnits(std::string_view type, const json& payload) {
  if (type == "exchange.completed") {
    // What came back first: an exchange may sell again a unit it returns.
    UpdateSoldUnits("refund.completed", payload.at("refund"));
    UpdateSoldUnits("sale.completed", payload.at("sale"));
    return;
  }
  if (type == "sale.completed") {
    // PayloadProblem saw to the sale's "id" and "lines".
    sold_units_.Sold(caller_, payload["id"].get<std::string>(), UnitsOf(payload["lines"]));
    const auto member = payload.find("member");
    const bool bound = member != payload.end() && member->is_object();
    const auto guide = payload.find("guide");
    const bool guided = guide != payload.end() && guide->is_object();
    RecordAcceptedSale(
        db_, AcceptedSale{caller_.store, caller_.device, payload["id"].get<std::string>(),
                          IntOf(payload, "total").value_or(0), TextOf(payload, "currency"), bound,
                          bound ? TextOf(*member, "member_id") : "",
                          bound ? TextOf(*member, "phone_hash") : "",
                          guided ? TextOf(*guide, "id") : "", guided ? TextOf(*guide, "via") : ""});
    if (auto coupons = payload.find("coupons"); coupons != payload.end() && coupons->is_array()) {
      for (const auto& c : *coupons) {
        const auto applied = c.is_object() ? IntOf(c, "applied") : std::nullopt;
        auto id = c.is_object() ? c.find("id") : c.end();
        if (id != c.end() && id->is_string() && applied && *applied > 0) {
          sold_units_.Redeemed(caller_, payload["id"].get<std::string>(), id->get<std::string>());
        }
      }
    }
  }
  // A refund puts its units back; so does a post-void, all of the sale's (an
  // open cart's void sold nothing).
  const auto flag = payload.find("post_void");
  const bool post_void = type == "sale.voided" && flag != payload.end() && *flag == true;
  if (type == "refund.completed" || post_void) {
    auto sale_id = payload.find("sale_id");
    auto lines = payload.find("lines");
    if (sale_id == payload.end() || !sale_id->is_string() || lines == payload.end() ||
        !lines->is_array()) {
      return;
    }
    sold_units_.Refunded(caller_, sale_id->get<std::string>(), UnitsOf(*lines));
    if (post_void) RecordPostVoid(db_, caller_.store, sale_id->get<std::string>());
  }
}

json Ingest::Reject(const json& ev, std::int64_t seq, std::string_view code,
                    const std::string& message, bool at_seq) {
  if (at_seq) MarkIngested(seq, IdOf(ev), "rejected");
  db_.Cached(
         "INSERT INTO rejected(store_id, device_id, seq, text, code, message) VALUES(?, ?, ?, ?, "
         "?, ?)")
      .Bind(1, caller_.store)
      .Bind(2, caller_.device)
      .Bind(3, seq)
      .Bind(4, Dump(ev))
      .Bind(5, code)
      .Bind(6, message)
      .Run();
  json out = Result(seq, ev, "rejected");
  out["error"] = json{{"code", code}, {"message", message}};
  return out;
}

std::optional<std::string> Ingest::IngestedId(std::int64_t seq) {
  auto st =
      db_.Cached("SELECT event_id FROM ingested WHERE store_id = ? AND device_id = ? AND seq = ?");
  st.Bind(1, caller_.store).Bind(2, caller_.device).Bind(3, seq);
  if (!st.Step()) return std::nullopt;
  return st.Text(0);
}

void Ingest::MarkIngested(std::int64_t seq, const std::string& id, std::string_view status) {
  db_.Cached(
         "INSERT INTO ingested(store_id, device_id, seq, event_id, status) VALUES(?, ?, ?, ?, ?)")
      .Bind(1, caller_.store)
      .Bind(2, caller_.device)
      .Bind(3, seq)
      .Bind(4, id)
      .Bind(5, status)
      .Run();
}

}  // namespace

Reply IngestPush(ledger::Database& db, Feed& feed, const Clock& clock, const Caller& caller,
                 const std::string& body, bool revoke_clones) {
  const json doc = CallerBody(body, caller.store, caller.device);
  const auto events = doc.find("events");
  if (events == doc.end() || !events->is_array() || events->empty()) {
    Refuse(
        400, "bad_body",
        "\"events\" must be an array of 1.." + std::to_string(sync::kMaxBatchEvents) + " events");
  }
  if (events->size() > sync::kMaxBatchEvents) {
    Refuse(413, "too_large",
           "a batch holds at most " + std::to_string(sync::kMaxBatchEvents) + " events");
  }
  // All or nothing: a broken envelope anywhere throws, and the
  // transaction rolls back whatever the batch did before it.
  ledger::Transaction tx(db);
  const json answer = Ingest(db, feed, clock, caller, revoke_clones).Batch(*events);
  tx.Commit();
  return Ok(answer);
}

}  // namespace sa::omssim
