// SPDX-License-Identifier: Apache-2.0
// The cloud's EPCIS side (PROTOCOL.md §7): a store's site (its GLN and UTC
// offset), and the store's accepted events served as an EPCIS 2.0 query
// document, built with the very mapping the store exports with (sa_epcis),
// so both name each event by the same Event Hash ID.
#include "epcis.hpp"

#include "admin.hpp"
#include "crypto.hpp"
#include "fields.hpp"
#include "platform/nlohmann/json.hpp"

namespace sa::omssim {

Reply AdminApi::Site(const std::string& store, const Request& r) {
  if (r.method == "PUT") {
    const json doc = ParseObject(r.body);
    const std::string gln = StringField(doc, "gln", false).value_or("");
    const std::string offset = StringField(doc, "utc_offset", false).value_or("+08:00");
    if (!gln.empty() && !epcis::ValidGln(gln))
      Refuse(400, "invalid_field", "\"gln\" must be 13 digits ending in their GS1 check digit");
    if (!epcis::ValidUtcOffset(offset))
      Refuse(400, "invalid_field", "\"utc_offset\" must be +HH:MM or -HH:MM");
    db_.Cached(
           "INSERT INTO sites(store_id, gln, utc_offset) VALUES(?, ?, ?) ON CONFLICT(store_id) "
           "DO UPDATE SET gln = excluded.gln, utc_offset = excluded.utc_offset")
        .Bind(1, store)
        .Bind(2, gln)
        .Bind(3, offset)
        .Run();
  }
  const epcis::Site site = SiteOf(store);
  return Ok(json{{"store_id", store}, {"gln", site.gln}, {"utc_offset", site.utc_offset}});
}

epcis::Site AdminApi::SiteOf(const std::string& store) {
  epcis::Site site{store, "", "+08:00"};
  auto st = db_.Cached("SELECT gln, utc_offset FROM sites WHERE store_id = ?");
  st.Bind(1, store);
  if (st.Step()) {
    site.gln = st.Text(0);
    site.utc_offset = st.Text(1);
  }
  return site;
}

// GET .../epcis?since=T&until=T: the store's accepted events recorded in
// [since, until) (RFC 3339 or a date; both optional), as an EPCISQueryDocument.
Reply AdminApi::Epcis(const std::string& store, const Request& r) {
  const auto q = QueryOf(r.target);
  std::int64_t since = 0;
  std::int64_t until = INT64_MAX;
  for (auto [name, bound] : {std::pair{"since", &since}, std::pair{"until", &until}}) {
    if (auto it = q.find(name); it != q.end()) {
      const auto t = ParseTimestamp(it->second);
      if (!t) Refuse(400, "bad_request", std::string(name) + " must be an RFC 3339 time or a date");
      *bound = *t;
    }
  }
  if (until <= since) Refuse(400, "empty_range", "the period is empty or reversed");
  std::string body;
  epcis::DocumentWriter writer(SiteOf(store), [&body](std::string_view s) { body += s; });
  writer.Begin(feed_.clock().now_ms(), true);
  auto st = db_.Cached("SELECT text FROM events WHERE store_id = ? ORDER BY n");
  st.Bind(1, store);
  while (st.Step()) {
    const json ev = json::parse(st.Text(0));
    const auto at = ParseTimestamp(ev.value("at", ""));
    if (!at || *at < since || *at >= until) continue;
    auto added = writer.Add(
        epcis::Record{ev.value("id", ""), ev.value("type", ""), *at, ev["payload"].dump()});
    if (!added) Refuse(500, added.error().code, added.error().message);
  }
  writer.End();
  return Reply{200, std::move(body), {}};
}

// POST .../shipments {"id","cases":[{"case":{"gtin","serial"},"units":[...]}]}:
// which units are packed in which case (an EPCIS AggregationEvent ADD each),
// offered to the store as a `shipment` change. Only its shape is checked
// here: the store applies the rules (and refuses a bad one whole, with an
// alert), as it would a cloud that got them wrong.
Reply AdminApi::Shipment(const std::string& store, const Request& r) {
  const json doc = ParseObject(r.body);
  StringField(doc, "id", true);
  if (!doc.contains("cases") || !doc["cases"].is_array())
    Refuse(400, "invalid_field", "\"cases\" must be an array");
  return feed_.Offer(store, "shipment", Dump(doc));
}

}  // namespace sa::omssim
