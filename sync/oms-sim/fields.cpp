// SPDX-License-Identifier: Apache-2.0
#include "fields.hpp"

#include <charconv>
#include <utility>

#include "codes.hpp"
#include "http.hpp"  // sa_http

namespace sa::omssim {

std::optional<std::int64_t> ParseInt(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s[0] == '-') return std::nullopt;
  return v;
}

std::string GtinOf(std::string_view text) {
  auto gtin = codes::NormaliseGtin(text);
  if (!gtin)
    Refuse(400, "invalid_field", "gtin \"" + std::string(text) + "\": " + gtin.error().message);
  return *gtin;
}

std::map<std::string, std::string> QueryOf(std::string_view target) {
  // ParseQuery reads a target without '?' as all query; here it has none.
  if (target.find('?') == std::string_view::npos) return {};
  auto query = http::ParseQuery(target);
  if (!query) Refuse(400, "bad_request", "the query has a broken percent escape");
  return std::move(*query);
}

}  // namespace sa::omssim
