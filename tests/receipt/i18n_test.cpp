// SPDX-License-Identifier: Apache-2.0
// The message catalog (agent/i18n/messages.json): every key in both
// languages with the same placeholders, the lookups and their fallbacks, and
// every key the screens and storectl use is in it (the screens name texts by
// key only: data-i18n="key" in HTML, SA.t('key') in JS; storectl by
// T/F/Label("ctl.key") and Word("prefix.", value)).
#include "i18n.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "web.hpp"

using sa::i18n::Locale;

namespace {

std::set<std::string> Placeholders(std::string_view text) {
  std::set<std::string> out;
  const std::string s(text);
  const std::regex re(R"(\{([a-z_]+)\})");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) {
    out.insert((*it)[1].str());
  }
  return out;
}

bool HasCjk(std::string_view s) {
  // U+4E00..U+9FFF in UTF-8 starts with E4..E9.
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0xE4 && b <= 0xE9) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("locales: en and zh-CN by their BCP 47 names, nothing else", "[i18n]") {
  CHECK(sa::i18n::ParseLocale("en") == Locale::en);
  CHECK(sa::i18n::ParseLocale("zh-CN") == Locale::zh_CN);
  CHECK(sa::i18n::ParseLocale("zh_CN") == Locale::zh_CN);
  CHECK(sa::i18n::ParseLocale("ZH-cn") == Locale::zh_CN);
  for (const char* bad : {"", "zh", "zh-TW", "fr", "en-US ", "zh-CN\n"}) {
    INFO(bad);
    CHECK_FALSE(sa::i18n::ParseLocale(bad));
  }
  CHECK(sa::i18n::LocaleName(Locale::en) == "en");
  CHECK(sa::i18n::LocaleName(Locale::zh_CN) == "zh-CN");
}

TEST_CASE("the catalog: every key in both languages, with the same placeholders", "[i18n]") {
  const auto& en = sa::i18n::Messages(Locale::en);
  const auto& zh = sa::i18n::Messages(Locale::zh_CN);
  REQUIRE(en.size() > 40);
  REQUIRE(en.size() == zh.size());
  for (const auto& [key, text] : en) {
    INFO(key);
    REQUIRE(zh.contains(key));
    CHECK_FALSE(text.empty());
    CHECK_FALSE(zh.at(key).empty());
    CHECK(Placeholders(text) == Placeholders(zh.at(key)));
    // Translated, not the English copied: Chinese characters in zh-CN.
    CHECK(HasCjk(zh.at(key)));
  }
}

TEST_CASE("lookups: the language's text, English where it has none, the key when unknown",
          "[i18n]") {
  CHECK(sa::i18n::Text(Locale::en, "receipt.total") == "TOTAL");
  CHECK(sa::i18n::Text(Locale::zh_CN, "receipt.total") == "合计");
  CHECK(sa::i18n::Text(Locale::zh_CN, "no.such.key") == "no.such.key");
  CHECK(sa::i18n::Has("pay.wechat"));
  CHECK_FALSE(sa::i18n::Has("pay.bitcoin"));
  CHECK(sa::i18n::Format(Locale::zh_CN, "receipt.store", {{"id", "SH01"}}) == "门店 SH01");
  CHECK(sa::i18n::Format(Locale::en, "report.sales", {{"count", "3"}}) == "sales  x3");
  // A placeholder without a value stays; a value without a placeholder is unused.
  CHECK(sa::i18n::Format(Locale::en, "receipt.store", {}) == "Store {id}");
  CHECK(sa::i18n::Format(Locale::en, "receipt.total", {{"id", "x"}}) == "TOTAL");
}

TEST_CASE("the screens name only texts the catalog has", "[i18n][web]") {
  const std::regex attr(R"re(data-i18n(?:-[a-z]+)?="([^"]+)")re");
  const std::regex call(R"re(SA\.t\(\s*'([^']+)')re");
  int used = 0;
  for (const char* file : {"index.html", "store.html", "cashier.js", "store.js", "common.js",
                           "drawer.js", "price.js"}) {
    const auto asset = sa::web::FindAsset(file);
    REQUIRE(asset);
    for (const auto* re : {&attr, &call}) {
      const std::string& body = asset->body;
      for (auto it = std::sregex_iterator(body.begin(), body.end(), *re);
           it != std::sregex_iterator(); ++it) {
        const std::string key = (*it)[1].str();
        INFO(file << ": " << key);
        CHECK(sa::i18n::Has(key));
        ++used;
      }
    }
  }
  INFO("texts the screens take from the catalog: " << used);
  // A floor, not a count: the screens take every text they show from the
  // catalog (407 places when this was written); far fewer means texts went
  // back into the HTML and JS.
  CHECK(used > 380);
}

TEST_CASE("storectl names only texts the catalog has", "[i18n][storectl]") {
  const std::regex text(R"re(\b(?:T|F|Label)\(\s*"([a-z_.]+)")re");
  const std::regex word(R"re(\bWord\(\s*"([a-z_.]+)")re");
  const auto& en = sa::i18n::Messages(Locale::en);
  int used = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SA_STORECTL_SOURCES)) {
    if (entry.path().extension() != ".cpp") continue;
    std::ifstream in(entry.path());
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string body = buffer.str();
    for (auto it = std::sregex_iterator(body.begin(), body.end(), text);
         it != std::sregex_iterator(); ++it) {
      const std::string key = (*it)[1].str();
      INFO(entry.path().filename() << ": " << key);
      CHECK(sa::i18n::Has(key));
      ++used;
    }
    // A word's prefix names a family of keys: it must name at least one,
    // each with a Chinese text of its own.
    for (auto it = std::sregex_iterator(body.begin(), body.end(), word);
         it != std::sregex_iterator(); ++it) {
      const std::string prefix = (*it)[1].str();
      INFO(entry.path().filename() << ": " << prefix);
      const auto first = en.lower_bound(prefix);
      CHECK((first != en.end() && first->first.starts_with(prefix)));
      ++used;
    }
  }
  INFO("texts storectl takes from the catalog: " << used);
  // A floor: storectl's human output comes from the catalog (about 100
  // places when this was written).
  CHECK(used > 90);
}
