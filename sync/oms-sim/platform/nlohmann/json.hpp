// SPDX-License-Identifier: Apache-2.0
// oms-sim's JSON, the one header that names nlohmann-json (internal to
// oms-sim; only .cpp files include it): how answers are written and how a
// request's JSON body and its fields are read. Each reader refuses
// (answer.hpp) with the error code the protocol gives that mistake.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "answer.hpp"

namespace sa::omssim {

// Ordered: an event is stored and shown with its keys in the order the device
// sent them, and our own answers read in a stable order.
using json = nlohmann::ordered_json;

// Compact JSON; invalid UTF-8 in a device's text is replaced, not fatal.
std::string Dump(const json& j);

// 200 with that body.
Reply Ok(const json& j);

// An admin request's body as a JSON object; 400 bad_request otherwise.
json ParseObject(const std::string& body);

// A device's signed body (register, push), already decoded, as a JSON object
// whose own store_id and device_id are the caller's (PROTOCOL.md §2): 400
// bad_body when it is not an object or an id is missing, 400 store_mismatch
// when an id is another's.
json CallerBody(const std::string& text, std::string_view store, std::string_view device);

// `name` of object `o`; an absent or null field is nullptr, or 400
// missing_field when `required`.
const json* Field(const json& o, const char* name, bool required);

// A string field (non-empty when required); 400 invalid_field otherwise.
std::optional<std::string> StringField(const json& o, const char* name, bool required);

// An integer field from `min` to `max`; 400 invalid_field otherwise.
std::optional<std::int64_t> IntField(const json& o, const char* name, bool required,
                                     std::int64_t min, std::int64_t max);

// The required "gtin" field of `o`, normalised (GtinOf, fields.hpp).
std::string GtinField(const json& o);

}  // namespace sa::omssim
