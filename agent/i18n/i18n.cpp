// SPDX-License-Identifier: Apache-2.0
#include "i18n.hpp"

#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

namespace sa::i18n {
namespace detail {
std::string_view EmbeddedCatalog();
}  // namespace detail

namespace {

using Table = std::map<std::string, std::string, std::less<>>;

constexpr std::array<Locale, 2> kLocales{Locale::en, Locale::zh_CN};

// Each language's table, parsed once from the embedded file. A text missing
// in a language is the English one there, so every table has every key.
const std::array<Table, 2>& Tables() {
  static const std::array<Table, 2> tables = [] {
    std::array<Table, 2> out;
    const auto doc = nlohmann::json::parse(detail::EmbeddedCatalog());
    for (const auto& [key, texts] : doc.items()) {
      const std::string en = texts.value("en", key);
      for (const Locale l : kLocales) {
        out[static_cast<std::size_t>(l)][key] = texts.value(std::string(LocaleName(l)), en);
      }
    }
    return out;
  }();
  return tables;
}

}  // namespace

std::optional<Locale> ParseLocale(std::string_view name) {
  std::string folded;
  for (const char c : name) {
    folded.push_back(c == '_' ? '-'
                              : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (folded == "en") return Locale::en;
  if (folded == "zh-cn") return Locale::zh_CN;
  return std::nullopt;
}

std::string_view LocaleName(Locale locale) { return locale == Locale::zh_CN ? "zh-CN" : "en"; }

const Table& Messages(Locale locale) { return Tables()[static_cast<std::size_t>(locale)]; }

std::string_view Text(Locale locale, std::string_view key) {
  const auto& table = Messages(locale);
  const auto it = table.find(key);
  return it == table.end() ? key : std::string_view(it->second);
}

bool Has(std::string_view key) { return Messages(Locale::en).contains(key); }

std::string Format(Locale locale, std::string_view key,
                   std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  const std::string_view text = Text(locale, key);
  std::string out;
  out.reserve(text.size() + 16);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t open = text.find('{', i);
    if (open == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, open - i));
    const std::size_t close = text.find('}', open);
    if (close == std::string_view::npos) {
      out.append(text.substr(open));
      break;
    }
    const std::string_view name = text.substr(open + 1, close - open - 1);
    const std::string_view* value = nullptr;
    for (const auto& [n, v] : values) {
      if (n == name) value = &v;
    }
    out.append(value ? *value : text.substr(open, close - open + 1));
    i = close + 1;
  }
  return out;
}

}  // namespace sa::i18n
