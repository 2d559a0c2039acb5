// SPDX-License-Identifier: Apache-2.0
#include "feed.hpp"

#include <string>

#include "fields.hpp"
#include "platform/nlohmann/json.hpp"

namespace sa::omssim {
namespace {

constexpr std::int64_t kMaxPullLimit = 1000;

}  // namespace

PageQuery PageQueryOf(std::string_view target) {
  const auto q = QueryOf(target);
  PageQuery page;
  if (auto it = q.find("after"); it != q.end()) {
    const auto v = ParseInt(it->second);
    if (!v) Refuse(400, "bad_request", "after must be a cursor (an integer >= 0)");
    page.after = *v;
  }
  if (auto it = q.find("limit"); it != q.end()) {
    const auto v = ParseInt(it->second);
    if (!v || *v < 1 || *v > kMaxPullLimit) Refuse(400, "bad_request", "limit must be 1..1000");
    page.limit = *v;
  }
  return page;
}

std::int64_t Feed::Append(const std::string& store, std::string_view type, std::string_view data) {
  db_.Cached("INSERT INTO changes(store_id, type, at_ms, data) VALUES(?, ?, ?, ?)")
      .Bind(1, store)
      .Bind(2, type)
      .Bind(3, clock_.now_ms())
      .Bind(4, data)
      .Run();
  auto st = db_.Cached("SELECT last_insert_rowid()");
  st.Step();
  return st.Int(0);
}

Reply Feed::Offer(const std::string& store, std::string_view type, std::string_view data) {
  const std::int64_t cursor = Append(store, type, data);
  // `data` is compact JSON already: spliced in rather than parsed again, the
  // answer reads exactly as Dump would write it whole.
  std::string body = "{\"cursor\":" + std::to_string(cursor) + ",\"type\":" + Dump(json(type));
  body += ",\"data\":";
  body += data;
  body += "}";
  return Reply{200, std::move(body), {}};
}

Reply Feed::Page(const std::string& store, const PageQuery& query) {
  auto st = db_.Cached(
      "SELECT cursor, type, at_ms, data FROM changes WHERE store_id = ? AND cursor > ? "
      "ORDER BY cursor LIMIT ?");
  st.Bind(1, store).Bind(2, query.after).Bind(3, query.limit + 1);
  json changes = json::array();
  bool more = false;
  std::int64_t cursor = query.after;
  while (st.Step()) {
    if (static_cast<std::int64_t>(changes.size()) == query.limit) {
      more = true;
      break;
    }
    cursor = st.Int(0);
    changes.push_back(json{{"cursor", cursor},
                           {"type", st.Text(1)},
                           {"at", FormatTimestamp(st.Int(2))},
                           {"data", json::parse(st.Text(3))}});
  }
  return Ok(json{{"changes", std::move(changes)}, {"cursor", cursor}, {"more", more}});
}

Reply Feed::Alerts(const std::string& store) {
  auto st = db_.Cached(
      "SELECT cursor, at_ms, data FROM changes WHERE store_id = ? AND type = 'alert' ORDER BY "
      "cursor");
  st.Bind(1, store);
  json alerts = json::array();
  while (st.Step()) {
    json alert{{"cursor", st.Int(0)}, {"at", FormatTimestamp(st.Int(1))}};
    alert.update(json::parse(st.Text(2)));
    alerts.push_back(std::move(alert));
  }
  return Ok(json{{"alerts", std::move(alerts)}});
}

}  // namespace sa::omssim
