// SPDX-License-Identifier: Apache-2.0
// PROTOCOL.md §5: one pulled page applied through the store's parts, with
// its cursor. The inbox's only use of nlohmann-json: the changes' data.
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>
#include <utility>

#include "inbox.hpp"

namespace sa::store {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> Int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

Error Malformed(const std::string& why) {
  return MakeError(ErrorKind::invalid_request, "bad_change", why);
}

Error BadPromotion(const std::string& why) {
  return MakeError(ErrorKind::invalid_request, "bad_promotion", why);
}

// A promotion change's data (PROTOCOL.md §5), and whether it deletes the
// promotion. Every field present must be of its type: a string where a
// number belongs refuses the change, it is not read as 0.
Expected<std::pair<pricing::Promotion, bool>> PromotionFrom(const json& d) {
  pricing::Promotion p;
  auto id = d.find("id");
  if (id == d.end() || !id->is_string()) return BadPromotion("a promotion needs its \"id\"");
  p.id = id->get<std::string>();
  if (auto del = d.find("deleted"); del != d.end()) {
    if (!del->is_boolean()) return BadPromotion("deleted must be true or false");
    if (del->get<bool>()) return std::pair{p, true};
  }
  auto text = [&d](const char* key, std::string& to) -> bool {
    auto f = d.find(key);
    if (f == d.end() || f->is_null()) return true;
    if (!f->is_string()) return false;
    to = f->get<std::string>();
    return true;
  };
  auto integer = [&d](const char* key, auto& to) -> bool {
    auto f = d.find(key);
    if (f == d.end() || f->is_null()) return true;
    if (!f->is_number_integer()) return false;
    const auto v = f->get<std::int64_t>();
    using T = std::remove_reference_t<decltype(to)>;
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return false;
    to = static_cast<T>(v);
    return true;
  };
  auto boolean = [&d](const char* key, bool& to) -> bool {
    auto f = d.find(key);
    if (f == d.end() || f->is_null()) return true;
    if (!f->is_boolean()) return false;
    to = f->get<bool>();
    return true;
  };
  std::string kind;
  if (!text("kind", kind)) return BadPromotion("kind must be a string");
  auto k = pricing::KindFromName(kind);
  if (!k) {
    return BadPromotion(
        "kind must be percent_off, amount_off, buy_x_get_y or spend_threshold, not \"" +
        kind.substr(0, 32) + "\"");
  }
  p.kind = *k;
  std::int64_t ends = -1;
  const bool ok = text("name", p.name) && text("category", p.category) &&
                  integer("percent_bp", p.percent_bp) && integer("amount_minor", p.amount) &&
                  integer("threshold_minor", p.threshold) && boolean("repeat", p.repeat) &&
                  integer("buy", p.buy) && integer("get", p.get) &&
                  integer("priority", p.priority) && boolean("stackable", p.stackable) &&
                  integer("starts_at_ms", p.starts_at_ms) && integer("ends_at_ms", ends);
  if (!ok) {
    return BadPromotion(
        "a promotion's field is of the wrong type (numbers are integers, "
        "repeat and stackable booleans, names strings)");
  }
  if (d.contains("ends_at_ms") && !d.at("ends_at_ms").is_null()) p.ends_at_ms = ends;
  if (auto g = d.find("gtins"); g != d.end() && !g->is_null()) {
    if (!g->is_array()) return BadPromotion("gtins must be an array of GTINs");
    for (const auto& one : *g) {
      if (!one.is_string()) return BadPromotion("gtins must be an array of GTINs");
      auto gtin = codes::NormaliseGtin(one.get<std::string>());
      if (!gtin) return BadPromotion("gtins: " + gtin.error().message);
      p.gtins.push_back(*gtin);
    }
  }
  if (auto problem = pricing::Problem(p); !problem.empty()) return BadPromotion(problem);
  return std::pair{p, false};
}

Error BadPriceList(const std::string& why) {
  return MakeError(ErrorKind::invalid_request, "bad_price_list", why);
}

// A price_list change's data (PROTOCOL.md §5), and whether it deletes the
// list. A field of the wrong type refuses the whole list.
Expected<std::pair<pricing::PriceList, bool>> PriceListFrom(const json& d) {
  pricing::PriceList list;
  auto id = d.find("id");
  if (id == d.end() || !id->is_string()) return BadPriceList("a price list needs its \"id\"");
  list.id = id->get<std::string>();
  if (auto del = d.find("deleted"); del != d.end()) {
    if (!del->is_boolean()) return BadPriceList("deleted must be true or false");
    if (del->get<bool>()) return std::pair{list, true};
  }
  for (auto [key, to] : {std::pair{"group", &list.group}, std::pair{"name", &list.name}}) {
    auto f = d.find(key);
    if (f == d.end() || !f->is_string()) {
      return BadPriceList(std::string("a price list needs its \"") + key + "\" (a string)");
    }
    *to = f->get<std::string>();
  }
  if (auto f = d.find("starts_at_ms"); f != d.end() && !f->is_null()) {
    if (!f->is_number_integer()) return BadPriceList("starts_at_ms must be an integer");
    list.starts_at_ms = f->get<std::int64_t>();
  }
  if (auto f = d.find("ends_at_ms"); f != d.end() && !f->is_null()) {
    if (!f->is_number_integer()) return BadPriceList("ends_at_ms must be an integer");
    list.ends_at_ms = f->get<std::int64_t>();
  }
  auto prices = d.find("prices");
  if (prices == d.end() || !prices->is_array()) {
    return BadPriceList("a price list needs its \"prices\" (an array)");
  }
  list.prices.reserve(prices->size());
  for (const auto& p : *prices) {
    auto gtin = p.is_object() ? p.find("gtin") : p.end();
    auto price = p.is_object() ? p.find("price_minor") : p.end();
    if (gtin == p.end() || !gtin->is_string() || price == p.end() || !price->is_number_integer()) {
      return BadPriceList("each price is {\"gtin\": a string, \"price_minor\": an integer}");
    }
    auto g = codes::NormaliseGtin(gtin->get<std::string>());
    if (!g) return BadPriceList("prices: " + g.error().message);
    list.prices.push_back(pricing::PriceList::Price{*g, price->get<std::int64_t>()});
  }
  if (auto problem = pricing::Problem(list); !problem.empty()) return BadPriceList(problem);
  return std::pair{list, false};
}

// One change. An error means the change is malformed (the caller raises an
// alert and moves on); a ledger failure is thrown and fails the page.
Expected<void> ApplyOne(Inbox& inbox, Stock& stock, const Change& change, const json& d) {
  const std::string& t = change.type;
  auto must = [](Expected<void> r) -> Expected<void> {
    if (!r && r.error().kind == ErrorKind::storage) throw ledger::Failure(r.error());
    return r;
  };
  if (t == "catalog.upsert") {
    Product p;
    p.gtin = Str(d, "gtin");
    p.name = Str(d, "name");
    p.currency = Str(d, "currency");
    auto price = Int(d, "price_minor");
    if (!price) return Malformed("catalog.upsert needs an integer price_minor");
    p.price_minor = *price;
    if (d.contains("tax_rate_bp")) {
      // Present means checked: a string or a number past int is refused, not
      // narrowed or zeroed into a wrong tax.
      auto bp = Int(d, "tax_rate_bp");
      if (!bp || *bp < 0 || *bp > 10000)
        return Malformed("tax_rate_bp must be an integer 0..10000");
      p.tax_rate_bp = static_cast<int>(*bp);
    }
    for (auto [key, field] :
         {std::pair{"name_zh", &Product::name_zh}, std::pair{"category", &Product::category}}) {
      // Present means a string: a number is not read as no category.
      if (auto f = d.find(key); f != d.end() && !f->is_null()) {
        if (!f->is_string()) return Malformed(std::string(key) + " must be a string or null");
        p.*field = f->get<std::string>();
      }
    }
    if (auto f = d.find("tax_included"); f != d.end() && !f->is_null()) {
      if (!f->is_boolean()) return Malformed("tax_included must be true, false or null");
      p.tax_included = f->get<bool>();
    }
    for (auto [key, field] : {std::pair{"signed", &Product::requires_signature},
                              std::pair{"serialised", &Product::serialised}}) {
      // Present means a boolean: "yes" is not read as true or false.
      if (auto f = d.find(key); f != d.end() && !f->is_null()) {
        if (!f->is_boolean()) return Malformed(std::string(key) + " must be true, false or null");
        p.*field = f->get<bool>();
      }
    }
    return must(inbox.UpsertProduct(p));
  }
  if (t == "promotion") {
    auto parsed = PromotionFrom(d);
    if (!parsed) return parsed.error();
    if (parsed->second) return must(inbox.DeletePromotion(parsed->first.id));
    return must(inbox.UpsertPromotion(parsed->first));
  }
  if (t == "price_list") {
    auto parsed = PriceListFrom(d);
    if (!parsed) return parsed.error();
    if (parsed->second) return must(inbox.DeletePriceList(parsed->first.id));
    return must(inbox.UpsertPriceList(parsed->first));
  }
  if (t == "revocation") {
    const std::string gtin = Str(d, "gtin");
    const std::string serial = Str(d, "serial");
    auto g = codes::NormaliseGtin(gtin);
    if (!g || serial.empty() || serial.size() > 20) {
      return Malformed("revocation needs a gtin and a serial");
    }
    return must(inbox.Revoke(*g, serial, Str(d, "reason")));
  }
  if (t == "allocation") {
    return must(
        inbox.AddAllocation(Allocation{Str(d, "gtin"), Str(d, "serial_from"), Str(d, "serial_to"),
                                       Str(d, "region"), Str(d, "lot")}));
  }
  if (t == "key.brand" || t == "key.member") {
    const std::string action = Str(d, "action");
    if (action != "add" && action != "retire") return Malformed(t + " action is add or retire");
    return must(inbox.RecordKey(t.substr(4), Str(d, "pem"), action == "retire"));
  }
  if (t == "order.offered") {
    return must(stock.RecordOrderOffer(Str(d, "id"), Str(d, "kind"), change.data));
  }
  if (t == "order.cancelled") return must(stock.RecordOrderCancel(Str(d, "id")));
  if (t == "shipment") return must(stock.RecordShipment(change.data));
  if (t == "stock.snapshot") {
    auto on_hand = Int(d, "on_hand");
    if (!on_hand) return Malformed("stock.snapshot needs an integer on_hand");
    return must(stock.SetSnapshot(Str(d, "gtin"), *on_hand));
  }
  if (t == "member.claimed") {
    auto at = Int(d, "claimed_at_ms");
    return must(inbox.RecordClaim(Str(d, "sale_id"), Str(d, "member_id"), at.value_or(0)));
  }
  if (t == "alert") {
    Alert alert;
    alert.code = Str(d, "code");
    alert.message = Str(d, "message");
    alert.detail = change.data;
    alert.source = "cloud";
    // Keyed by the change: a page applied twice raises it once.
    return must(inbox.RaiseAlert(alert, "cloud:" + std::to_string(change.cursor)));
  }
  return {};  // unreachable: ApplyChanges skips the types it does not know
}

}  // namespace

Expected<void> Inbox::Apply(const std::vector<Change>& changes, std::int64_t new_cursor) {
  static const std::set<std::string> kKnown = {
      "catalog.upsert", "revocation",      "allocation",     "key.brand", "key.member",
      "order.offered",  "order.cancelled", "stock.snapshot", "alert",     "shipment",
      "promotion",      "price_list",      "member.claimed"};
  for (const auto& change : changes) {
    if (kKnown.count(change.type) == 0) continue;  // a newer cloud's type: skipped, §5
    json data = json::parse(change.data, nullptr, false);
    Expected<void> applied = data.is_object() ? ApplyOne(*this, stock_, change, data)
                                              : Malformed("data is not an object");
    if (!applied) {
      Alert alert;
      alert.code = "change_rejected";
      alert.message = "the cloud sent a " + change.type +
                      " change this store cannot apply: " + applied.error().message;
      alert.detail = json{{"cursor", change.cursor},
                          {"type", change.type},
                          {"reason", applied.error().reason.empty() ? applied.error().code
                                                                    : applied.error().reason}}
                         .dump();
      alert.source = "device";
      auto raised = RaiseAlert(alert, "change:" + std::to_string(change.cursor));
      if (!raised) return raised.error();
    }
  }
  return SetPullCursor(new_cursor);
}

}  // namespace sa::store
