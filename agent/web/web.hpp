// SPDX-License-Identifier: Apache-2.0
// The screens' files (agent/web/assets/: HTML, CSS, JS), embedded at build
// time. The API serves them at /, /store and /ui/{name}.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sa::web {

struct Asset {
  std::string content_type;  // by extension; application/octet-stream otherwise
  std::string body;
};

// The file `name` (relative to assets/, e.g. "index.html", "app.css"): from
// `web_root` when it is not empty (a folder laid out like assets/, for UI
// work without rebuilding), else the embedded copy. Nothing for an unknown
// name or one that tries to leave the folder (.., a leading /, a backslash).
std::optional<Asset> FindAsset(std::string_view name, const std::string& web_root = {});

// "text/html; charset=utf-8" and friends, by the name's extension.
std::string ContentTypeOf(std::string_view name);

}  // namespace sa::web
