// SPDX-License-Identifier: Apache-2.0
#include "platform/nlohmann/json.hpp"

#include <utility>

#include "fields.hpp"

namespace sa::omssim {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Reply Ok(const json& j) { return Reply{200, Dump(j), {}}; }

json ParseObject(const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    Refuse(400, "bad_request", "the body must be a JSON object");
  return doc;
}

json CallerBody(const std::string& text, std::string_view store, std::string_view device) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    Refuse(400, "bad_body", "the body is not a JSON object");
  for (const auto& [name, want] : {std::pair{"store_id", store}, std::pair{"device_id", device}}) {
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_string()) {
      Refuse(400, "bad_body", std::string("the body needs \"") + name + "\"");
    }
    if (it->get_ref<const std::string&>() != want) {
      Refuse(400, "store_mismatch",
             std::string("the body's ") + name + " is not the X-SA-" +
                 (name[0] == 's' ? "Store" : "Device") + " header's");
    }
  }
  return doc;
}

const json* Field(const json& o, const char* name, bool required) {
  auto it = o.find(name);
  if (it == o.end() || it->is_null()) {
    if (required) Refuse(400, "missing_field", std::string("the body needs \"") + name + "\"");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> StringField(const json& o, const char* name, bool required) {
  const json* f = Field(o, name, required);
  if (!f) return std::nullopt;
  if (!f->is_string() || (required && f->get_ref<const std::string&>().empty())) {
    Refuse(400, "invalid_field", std::string("\"") + name + "\" must be a non-empty string");
  }
  return f->get<std::string>();
}

std::optional<std::int64_t> IntField(const json& o, const char* name, bool required,
                                     std::int64_t min, std::int64_t max) {
  const json* f = Field(o, name, required);
  if (!f) return std::nullopt;
  const bool ok = f->is_number_integer() &&
                  !(f->is_number_unsigned() && f->get<std::uint64_t>() > std::uint64_t{1} << 62) &&
                  f->get<std::int64_t>() >= min && f->get<std::int64_t>() <= max;
  if (!ok) {
    Refuse(400, "invalid_field",
           std::string("\"") + name + "\" must be an integer from " + std::to_string(min) + " to " +
               std::to_string(max));
  }
  return f->get<std::int64_t>();
}

std::string GtinField(const json& o) { return GtinOf(*StringField(o, "gtin", true)); }

}  // namespace sa::omssim
