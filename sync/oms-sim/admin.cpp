// SPDX-License-Identifier: Apache-2.0
#include "admin.hpp"

#include "crypto.hpp"
#include "platform/nlohmann/json.hpp"
#include "sync.hpp"

namespace sa::omssim {
namespace {

struct StoreRoute {
  std::string_view what;     // the segment after the store's id
  std::string_view methods;  // as NeedMethod takes them
  Reply (AdminApi::*handle)(const std::string& store, const Request& r);
};

}  // namespace

Reply AdminApi::Store(const Request& r, const std::vector<std::string_view>& segments) {
  static constexpr StoreRoute kRoutes[] = {
      {"events", "GET", &AdminApi::Events},
      {"rejected", "GET", &AdminApi::Rejected},
      {"devices", "GET, POST", &AdminApi::Devices},
      {"alerts", "GET", &AdminApi::Alerts},
      {"changes", "GET", &AdminApi::Changes},
      {"orders", "POST", &AdminApi::OfferOrder},
      {"revocations", "POST", &AdminApi::Revocation},
      {"catalog", "PUT", &AdminApi::PutCatalog},
      {"promotions", "POST", &AdminApi::Promotion},
      {"price-lists", "POST", &AdminApi::PriceList},
      {"allocations", "POST", &AdminApi::Allocation},
      {"keys", "POST", &AdminApi::Key},
      {"stock", "POST", &AdminApi::Stock},
      {"site", "GET, PUT", &AdminApi::Site},
      {"epcis", "GET", &AdminApi::Epcis},
      {"shipments", "POST", &AdminApi::Shipment},
  };
  const std::string store(segments[3]);
  const std::string_view what = segments[4];
  if (segments.size() == 6 && what == "events") {
    NeedMethod(r, "DELETE");
    return ForgetEvent(store, std::string(segments[5]));
  }
  if (segments.size() == 7 && what == "orders" && segments[6] == "cancel") {
    NeedMethod(r, "POST");
    return CancelOrder(store, std::string(segments[5]));
  }
  if (segments.size() == 5) {
    for (const auto& route : kRoutes) {
      if (route.what != what) continue;
      NeedMethod(r, route.methods);
      return (this->*route.handle)(store, r);
    }
  }
  Refuse(404, "not_found", "no such admin route");
}

// ------------------------------------------------------------------- views

Reply AdminApi::Events(const std::string& store, const Request&) {
  // Built as text: each event exactly as stored.
  auto st = db_.Cached("SELECT text FROM events WHERE store_id = ? ORDER BY n");
  st.Bind(1, store);
  std::string out = "{\"events\":[";
  bool first = true;
  while (st.Step()) {
    if (!first) out += ",";
    first = false;
    out += st.Text(0);
  }
  out += "]}";
  return Reply{200, std::move(out), {}};
}

Reply AdminApi::Rejected(const std::string& store, const Request&) {
  auto st = db_.Cached("SELECT text, code, message FROM rejected WHERE store_id = ? ORDER BY n");
  st.Bind(1, store);
  json events = json::array();
  while (st.Step()) {
    events.push_back(json{{"event", json::parse(st.Text(0))},
                          {"error", {{"code", st.Text(1)}, {"message", st.Text(2)}}}});
  }
  return Ok(json{{"events", std::move(events)}});
}

Reply AdminApi::Devices(const std::string& store, const Request& r) {
  if (r.method != "GET") return ProvisionDevice(store, r);
  auto st = db_.Cached(
      "SELECT device_id, acked_seq, last_seen_ms, agent_version FROM devices WHERE store_id = ? "
      "ORDER BY device_id");
  st.Bind(1, store);
  json devices = json::array();
  while (st.Step()) {
    devices.push_back(
        json{{"device_id", st.Text(0)},
             {"acked_seq", st.Int(1)},
             {"last_seen", st.IsNull(2) ? json(nullptr) : json(FormatTimestamp(st.Int(2)))},
             {"agent_version", st.IsNull(3) ? json(nullptr) : json(st.Text(3))}});
  }
  return Ok(json{{"devices", std::move(devices)}});
}

Reply AdminApi::Alerts(const std::string& store, const Request&) { return feed_.Alerts(store); }

Reply AdminApi::Changes(const std::string& store, const Request& r) {
  return feed_.Page(store, PageQueryOf(r.target));
}

// ------------------------------------------------------------------ writes

// A test hook: the cloud loses an accepted event from its ledger (a broken
// pipeline downstream). Its seq stays ingested, so the device does not send
// it again: what a reconciliation is for.
Reply AdminApi::ForgetEvent(const std::string& store, const std::string& event_id) {
  db_.Cached("DELETE FROM events WHERE store_id = ? AND event_id = ?")
      .Bind(1, store)
      .Bind(2, event_id)
      .Run();
  if (db_.Changes() == 0) Refuse(404, "event_not_found", "no event " + event_id.substr(0, 64));
  return Ok(json{{"forgotten", event_id}});
}

// Provisions, or re-provisions after a device_key_mismatch: the new key
// replaces the old one and the device keeps its acked_seq.
Reply AdminApi::ProvisionDevice(const std::string& store, const Request& r) {
  const json doc = ParseObject(r.body);
  const std::string device = *StringField(doc, "device_id", true);
  const auto key = crypto::Base64UrlDecode(*StringField(doc, "key", true));
  if (!key || key->size() != sync::kDeviceKeyBytes) {
    Refuse(400, "invalid_field", "\"key\" must be base64url (no padding) of 32 bytes");
  }
  db_.Cached(
         "INSERT INTO devices(store_id, device_id, key) VALUES(?, ?, ?) "
         "ON CONFLICT(store_id, device_id) DO UPDATE SET key = excluded.key")
      .Bind(1, store)
      .Bind(2, device)
      .Bind(3, crypto::Base64UrlEncode(*key))
      .Run();
  return Ok(json{{"device_id", device}, {"status", "provisioned"}});
}

Reply AdminApi::Revocation(const std::string& store, const Request& r) {
  const json doc = ParseObject(r.body);
  return feed_.Offer(store, "revocation",
                     Dump(json{{"gtin", GtinField(doc)},
                               {"serial", *StringField(doc, "serial", true)},
                               {"reason", StringField(doc, "reason", false).value_or("revoked")}}));
}

Reply AdminApi::Promotion(const std::string& store, const Request& r) {
  // Offered as sent: the device checks every field (a bad one is its
  // change_rejected alert), so a test can send what a buggy cloud would.
  const json doc = ParseObject(r.body);
  StringField(doc, "id", true);
  return feed_.Offer(store, "promotion", Dump(doc));
}

Reply AdminApi::PriceList(const std::string& store, const Request& r) {
  // As for promotions: offered as sent, the device checks it.
  const json doc = ParseObject(r.body);
  StringField(doc, "id", true);
  return feed_.Offer(store, "price_list", Dump(doc));
}

Reply AdminApi::Allocation(const std::string& store, const Request& r) {
  const json doc = ParseObject(r.body);
  const std::string from = *StringField(doc, "serial_from", true);
  const std::string to = *StringField(doc, "serial_to", true);
  if (from.size() != to.size() || from > to) {
    Refuse(400, "invalid_field", "serial_from and serial_to must have the same length, from <= to");
  }
  json data{{"gtin", GtinField(doc)},
            {"serial_from", from},
            {"serial_to", to},
            {"region", *StringField(doc, "region", true)}};
  if (auto lot = StringField(doc, "lot", false)) data["lot"] = *lot;
  return feed_.Offer(store, "allocation", Dump(data));
}

Reply AdminApi::Key(const std::string& store, const Request& r) {
  const json doc = ParseObject(r.body);
  const std::string kind = *StringField(doc, "kind", true);
  const std::string action = *StringField(doc, "action", true);
  const std::string pem = *StringField(doc, "pem", true);
  if (kind != "brand" && kind != "member")
    Refuse(400, "invalid_field", "\"kind\" is brand or member");
  if (action != "add" && action != "retire")
    Refuse(400, "invalid_field", "\"action\" is add or retire");
  if (auto key = crypto::VerifyKey::FromPem(pem); !key) {
    Refuse(400, "invalid_field", "\"pem\": " + key.error().message);
  }
  return feed_.Offer(store, "key." + kind, Dump(json{{"action", action}, {"pem", pem}}));
}

Reply AdminApi::Stock(const std::string& store, const Request& r) {
  const json doc = ParseObject(r.body);
  return feed_.Offer(store, "stock.snapshot",
                     Dump(json{{"gtin", GtinField(doc)},
                               {"on_hand", *IntField(doc, "on_hand", true, 0, 1'000'000'000)}}));
}

}  // namespace sa::omssim
