// SPDX-License-Identifier: Apache-2.0
// Private to storectl's agent commands (agent_commands.cpp and the command
// files split from it): one call to the agent, and reading its JSON
// tolerant of missing fields.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent_client.hpp"
#include "agent_commands.hpp"

namespace sa::storectl {

std::string Dump(const nlohmann::json& j);
// A field as text ("" when absent or null; other types as JSON).
std::string Str(const nlohmann::json& j, const char* key);
std::optional<std::int64_t> Int(const nlohmann::json& j, const char* key);
// A minor-units field as yuan ("?" when absent).
std::string Money(const nlohmann::json& j, const char* key);
// An array field, or an empty array.
const nlohmann::json& Array(const nlohmann::json& j, const char* key);

int FailWith(const Options& o, const Error& e);
// Sends the request and reports the answer: 2xx -> `human` (or the body as-is
// with --json) and exit 0, or what `verdict` makes of the body; otherwise the
// agent's error and exit 2 or 3. Without `echo`, a 2xx goes to `human` only
// (a lookup that a command makes before its own call).
int Call(const Options& o, HttpRequest request,
         const std::function<void(const nlohmann::json&)>& human,
         const std::function<int(const nlohmann::json&)>& verdict = {}, bool echo = true);
HttpRequest Post(std::string path, const nlohmann::json& body);
HttpRequest Get(std::string path);

}  // namespace sa::storectl
