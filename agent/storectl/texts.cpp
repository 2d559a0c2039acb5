// SPDX-License-Identifier: Apache-2.0
#include "texts.hpp"

#include <cstdlib>
#include <optional>

#include "receipt.hpp"

namespace sa::storectl {
namespace {

struct Setting {
  i18n::Locale locale = i18n::Locale::en;
  bool chosen = false;  // by --locale or $STORE_AGENT_LOCALE
};

Setting& LocaleSetting() {
  static Setting setting;
  return setting;
}

}  // namespace

Expected<void> ChooseLocale(const std::string& flag) {
  std::string name = flag;
  std::string source = "--locale";
  if (name.empty()) {
    const char* env = std::getenv("STORE_AGENT_LOCALE");
    if (env == nullptr || *env == '\0') return {};
    name = env;
    source = "$STORE_AGENT_LOCALE";
  }
  const auto locale = i18n::ParseLocale(name);
  if (!locale) {
    return MakeError(ErrorKind::invalid_request, "invalid_locale",
                     source + " is en or zh-CN, not '" + name.substr(0, 40) + "'");
  }
  LocaleSetting() = Setting{*locale, true};
  return {};
}

void AgentLocale(std::string_view content_language) {
  if (LocaleSetting().chosen) return;
  if (const auto locale = i18n::ParseLocale(content_language)) LocaleSetting().locale = *locale;
}

i18n::Locale CurrentLocale() { return LocaleSetting().locale; }

std::string_view T(std::string_view key) { return i18n::Text(CurrentLocale(), key); }

std::string F(std::string_view key,
              std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  return i18n::Format(CurrentLocale(), key, values);
}

std::string Label(std::string_view key, std::size_t columns) {
  std::string out(T(key));
  const std::size_t width = receipt::DisplayColumns(out);
  // Never glued to its value: one space at least.
  out.append(width < columns ? columns - width : 1, ' ');
  return out;
}

std::string Word(std::string_view prefix, std::string_view value) {
  std::string key(prefix);
  key += value;
  if (CurrentLocale() == i18n::Locale::en || !i18n::Has(key)) return std::string(value);
  return std::string(T(key));
}

}  // namespace sa::storectl
