// SPDX-License-Identifier: Apache-2.0
#include "wire.hpp"

#include <nlohmann/json.hpp>

namespace sa::sync::wire {
namespace {

using nlohmann::json;

std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::int64_t IntField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}
bool BoolField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

Error BadAnswer(std::string message) {
  return MakeError(ErrorKind::internal, "bad_answer", std::move(message));
}

}  // namespace

std::string RegisterBody(std::string_view store_id, std::string_view device_id,
                         std::string_view key_base64url, std::string_view agent_version) {
  return json{{"store_id", store_id},
              {"device_id", device_id},
              {"key", key_base64url},
              {"agent_version", agent_version}}
      .dump();
}

std::string PushBody(std::string_view store_id, std::string_view device_id,
                     const std::vector<std::string>& events) {
  std::string body = R"({"store_id":)" + json(store_id).dump() + R"(,"device_id":)" +
                     json(device_id).dump() + R"(,"events":[)";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) body += ',';
    body += events[i];
  }
  body += "]}";
  return body;
}

std::string ErrorCode(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    auto code = j["error"].find("code");
    if (code != j["error"].end() && code->is_string()) return code->get<std::string>();
  }
  return {};
}

Expected<PushAnswer> ReadPushAnswer(std::string_view body, std::int64_t last_seq) {
  json answer = json::parse(body, nullptr, false);
  auto acked = answer.is_object() ? answer.find("acked_seq") : answer.end();
  if (acked == answer.end() || !acked->is_number_integer() || acked->get<std::int64_t>() < 0 ||
      acked->get<std::int64_t>() > last_seq) {
    return BadAnswer("the cloud's push answer has no valid acked_seq");
  }
  PushAnswer out;
  out.acked_seq = acked->get<std::int64_t>();
  out.expected_seq = answer.contains("expected_seq");
  if (auto results = answer.find("results"); results != answer.end() && results->is_array()) {
    for (const auto& res : *results) {
      if (!res.is_object() || StringField(res, "status") != "rejected") continue;
      store::Alert alert;
      alert.code = "event_rejected";
      const std::string why = res.contains("error") && res["error"].is_object()
                                  ? StringField(res["error"], "code")
                                  : "";
      alert.message = "the cloud refused event " + std::to_string(IntField(res, "seq")) +
                      (why.empty() ? "" : " (" + why + ")");
      alert.detail = res.dump();
      alert.source = "cloud";
      out.rejected.push_back(std::move(alert));
    }
  }
  return out;
}

Expected<PullAnswer> ReadPullAnswer(std::string_view body) {
  json answer = json::parse(body, nullptr, false);
  if (!answer.is_object() || !answer.contains("changes") || !answer["changes"].is_array() ||
      !answer.contains("cursor") || !answer["cursor"].is_number_integer()) {
    return BadAnswer("the cloud's changes answer is malformed");
  }
  PullAnswer out;
  for (const auto& c : answer["changes"]) {
    if (!c.is_object() || !c.contains("cursor") || !c["cursor"].is_number_integer()) {
      return BadAnswer("a change without a cursor");
    }
    out.changes.push_back(store::Change{c["cursor"].get<std::int64_t>(), StringField(c, "type"),
                                        c.contains("data") ? c["data"].dump() : "{}"});
  }
  out.cursor = answer["cursor"].get<std::int64_t>();
  out.more = BoolField(answer, "more");
  return out;
}

std::string ReconcileBody(std::string_view store_id, std::string_view device_id,
                          const store::ShiftReconciliation& shift) {
  auto items = [](const std::vector<store::ShiftReconciliation::Item>& list, const char* field) {
    json out = json::array();
    for (const auto& i : list) out.push_back(json{{"id", i.id}, {field, i.amount}});
    return out;
  };
  return json{{"store_id", store_id},
              {"device_id", device_id},
              {"period",
               {{"kind", "shift"},
                {"id", shift.shift_id},
                {"terminal", shift.terminal},
                {"opened_at", FormatTimestamp(shift.opened_at_ms)},
                {"closed_at", FormatTimestamp(shift.closed_at_ms)}}},
              {"last_seq", shift.last_seq},
              {"sales", items(shift.sales, "total")},
              {"refunds", items(shift.refunds, "amount")}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Expected<ReconcileAnswer> ReadReconcileAnswer(std::string_view body, std::string_view shift_id) {
  json answer = json::parse(body, nullptr, false);
  if (!answer.is_object()) return BadAnswer("the cloud's reconciliation answer is malformed");
  ReconcileAnswer out;
  out.status = StringField(answer, "status");
  if (out.status != "match" && out.status != "mismatch" && out.status != "pending") {
    return BadAnswer("a reconciliation answer is match, mismatch or pending");
  }
  out.detail = answer.dump(-1, ' ', false, json::error_handler_t::replace);
  // In a manager's words: each sale or refund the cloud lacks, has another
  // figure for, or has and the store does not.
  // At most 10 named (the rest counted): an alert a manager reads.
  constexpr int kNamed = 10;
  std::string what;
  int named = 0, more = 0;
  auto add = [&](const std::string& part) {
    if (named++ < kNamed) {
      what += (what.empty() ? "" : "; ") + part;
    } else {
      ++more;
    }
  };
  auto money = [](const json& item, const char* field) {
    auto it = item.find(field);
    return it != item.end() && it->is_number_integer() ? FormatMinor(it->get<std::int64_t>())
                                                       : std::string("?");
  };
  for (const char* list : {"missing", "differ", "unexpected"}) {
    auto it = answer.find(list);
    if (it == answer.end() || !it->is_array()) continue;
    for (const auto& item : *it) {
      if (!item.is_object()) continue;
      const std::string name = StringField(item, "kind") + " " + StringField(item, "id");
      if (std::string_view(list) == "missing") {
        add("the cloud lacks " + name + " (" + money(item, "amount") + ")");
      } else if (std::string_view(list) == "differ") {
        add(name + " is " + money(item, "store") + " here, " + money(item, "cloud") +
            " in the cloud");
      } else {
        add("the cloud has " + name + " (" + money(item, "amount") + "), this store does not");
      }
    }
  }
  if (more > 0) what += "; and " + std::to_string(more) + " more";
  out.summary = "shift " + std::string(shift_id) + " does not reconcile with the cloud: " +
                (what.empty() ? std::string("the totals differ") : what);
  return out;
}

}  // namespace sa::sync::wire
