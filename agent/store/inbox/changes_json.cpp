// SPDX-License-Identifier: Apache-2.0
// PROTOCOL.md §5: one pulled page applied through the store's parts, with
// its cursor. The inbox's only use of nlohmann-json: the changes' data.
#include <nlohmann/json.hpp>
#include <set>

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
    if (auto s = d.find("signed"); s != d.end() && !s->is_null()) {
      // Present means a boolean: "yes" is not read as true or false.
      if (!s->is_boolean()) return Malformed("signed must be true, false or null");
      p.requires_signature = s->get<bool>();
    }
    return must(inbox.UpsertProduct(p));
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
      "order.offered",  "order.cancelled", "stock.snapshot", "alert",     "shipment"};
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
