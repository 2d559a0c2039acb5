// SPDX-License-Identifier: Apache-2.0
#include "http.hpp"

#include <algorithm>

#include "base.hpp"

namespace sa::http {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
  }
  return "Status";
}

std::vector<std::string_view> PathSegments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const std::size_t j = std::min(path.find('/', i), path.size());
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view target) {
  std::map<std::string, std::string> out;
  if (const auto q = target.find('?'); q != std::string_view::npos) target.remove_prefix(q + 1);
  while (!target.empty()) {
    const auto amp = target.find('&');
    const std::string_view pair = target.substr(0, amp);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      auto name = PercentDecode(pair.substr(0, eq));
      auto value =
          PercentDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
      if (!name || !value) return std::nullopt;
      out[std::move(*name)] = std::move(*value);
    }
    if (amp == std::string_view::npos) break;
    target.remove_prefix(amp + 1);
  }
  return out;
}

std::optional<std::string> PathId(std::string_view segment, std::size_t max_bytes) {
  auto id = PercentDecode(segment);
  if (!id || id->empty() || id->size() > max_bytes) return std::nullopt;
  return id;
}

}  // namespace sa::http
