// SPDX-License-Identifier: Apache-2.0
// The small pieces of HTTP that the agent's API and oms-sim both need, with
// no server behind them: reason phrases, path segments, queries, ids in a
// path. The servers themselves (RESTinio) stay in their adapters.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sa::http {

// "Not Found" for 404 and so on, for every status the agent and oms-sim
// answer with; "Status" for any other.
const char* ReasonPhrase(int status);

// "/v1/sales/42/scans" -> {"v1", "sales", "42", "scans"}; empty segments
// (a doubled or trailing slash) are skipped.
std::vector<std::string_view> PathSegments(std::string_view path);

// The query of a request target, after its '?' (the whole text when there is
// no '?'): "a=1&b=x%2Fy" -> {a: "1", b: "x/y"}. Names and values are
// percent-decoded ('+' stays '+'); a name without '=' has the value "".
// Nothing when an escape is broken.
std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view target);

// One path segment as an id: percent-decoded ("o%2F1" is "o/1"), 1 to
// `max_bytes` long. Nothing when the escapes are broken or it is empty or too long.
std::optional<std::string> PathId(std::string_view segment, std::size_t max_bytes = 128);

}  // namespace sa::http
