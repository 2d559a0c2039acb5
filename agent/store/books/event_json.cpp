// SPDX-License-Identifier: Apache-2.0
// The event envelope as JSON: the books' only use of nlohmann-json.
#include <nlohmann/json.hpp>

#include "books.hpp"

namespace sa::store {

std::string EventEnvelope(const Event& event, const Config& config) {
  nlohmann::json j = {
      {"id", event.id},   {"store_id", config.store_id}, {"device_id", config.device_id},
      {"seq", event.seq}, {"type", event.type},          {"at", FormatTimestamp(event.at_ms)}};
  j["payload"] = nlohmann::json::parse(event.payload);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sa::store
