// SPDX-License-Identifier: Apache-2.0
// Reading the text a request carries (internal to oms-sim): decimal integers,
// GTINs, a target's query. Each refuses (answer.hpp) with the error code the
// protocol gives that mistake. The fields of a JSON body are read in
// platform/, with the JSON library.
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

// A GTIN as the 14 digits the device keys it by; 400 invalid_field when the
// text is not one (a bad check digit included).
std::string GtinOf(std::string_view text);

// The query of a request target ("" when there is no '?'), names and values
// percent-decoded; 400 bad_request when an escape is broken.
std::map<std::string, std::string> QueryOf(std::string_view target);

}  // namespace sa::omssim
