// SPDX-License-Identifier: Apache-2.0
// Reading what a request carries (internal to oms-sim): JSON bodies and their
// fields, decimal integers, a target's query. Each refuses (answer.hpp) with
// the error code the protocol gives that mistake.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "answer.hpp"

namespace sa::omssim {

// Decimal digits only, no sign, no spaces, at most 18 of them.
std::optional<std::int64_t> ParseInt(std::string_view s);

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

// A GTIN as the 14 digits the device keys it by; 400 invalid_field when the
// text is not one (a bad check digit included).
std::string GtinOf(std::string_view text);
// The required "gtin" field of `o`, normalised.
std::string GtinField(const json& o);

// The query of a request target ("" when there is no '?'), names and values
// percent-decoded; 400 bad_request when an escape is broken.
std::map<std::string, std::string> QueryOf(std::string_view target);

}  // namespace sa::omssim
