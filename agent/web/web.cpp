// SPDX-License-Identifier: Apache-2.0
#include "web.hpp"

#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

namespace sa::web {
namespace detail {
const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedAssets();
}  // namespace detail

namespace {

constexpr std::size_t kMaxAssetBytes = 8 * 1024 * 1024;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Names are plain relative paths: no way out of the folder, nothing hidden.
bool SafeName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '/' || name.front() == '.') return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == '/';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos && name.find("/.") == std::string_view::npos &&
         name.find("//") == std::string_view::npos;
}

}  // namespace

std::string ContentTypeOf(std::string_view name) {
  if (EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (EndsWith(name, ".js") || EndsWith(name, ".mjs")) return "text/javascript; charset=utf-8";
  if (EndsWith(name, ".json")) return "application/json";
  if (EndsWith(name, ".svg")) return "image/svg+xml";
  if (EndsWith(name, ".png")) return "image/png";
  if (EndsWith(name, ".ico")) return "image/x-icon";
  if (EndsWith(name, ".woff2")) return "font/woff2";
  if (EndsWith(name, ".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<Asset> FindAsset(std::string_view name, const std::string& web_root) {
  if (!SafeName(name)) return std::nullopt;
  if (!web_root.empty()) {
    std::ifstream in(web_root + "/" + std::string(name), std::ios::binary);
    if (!in) return std::nullopt;
    std::string body;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      body.append(buf, static_cast<std::size_t>(in.gcount()));
      if (body.size() > kMaxAssetBytes) return std::nullopt;
    }
    if (in.bad()) return std::nullopt;  // a directory, or unreadable
    return Asset{ContentTypeOf(name), std::move(body)};
  }
  for (const auto& [n, body] : detail::EmbeddedAssets()) {
    if (n == name) return Asset{ContentTypeOf(name), std::string(body)};
  }
  return std::nullopt;
}

}  // namespace sa::web
