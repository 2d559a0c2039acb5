// SPDX-License-Identifier: Apache-2.0
// The store's languages: one message catalog (messages.json, embedded at
// build time) for every text a person reads on a receipt, a shift report, a
// screen or storectl's report, in English and Simplified Chinese. A store
// picks its language with store.locale; the screens let a cashier switch.
//
// The catalog is a JSON object: key -> {"en": text, "zh-CN": text}. Keys are
// dotted ("receipt.total", "screen.pay"); a text may hold placeholders
// "{name}" that Format() fills. Every key has both languages and the same
// placeholders in both (tests/i18n/i18n_test.cpp checks the file).
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sa::i18n {

enum class Locale { en, zh_CN };

// "en" or "zh-CN" (as BCP 47 writes it; "zh_CN" and any letter case are
// taken too); nothing for any other.
std::optional<Locale> ParseLocale(std::string_view name);
std::string_view LocaleName(Locale locale);  // "en", "zh-CN"

// The text of `key` in `locale`: English when the catalog has no text in
// that language, the key itself when the catalog has no such key (a test
// keeps that from happening).
std::string_view Text(Locale locale, std::string_view key);

// Text() with each "{name}" replaced by its value; a placeholder without a
// value stays as it is.
std::string Format(Locale locale, std::string_view key,
                   std::initializer_list<std::pair<std::string_view, std::string_view>> values);

// Every key and its text in `locale` (for the screens: GET /v1/messages).
const std::map<std::string, std::string, std::less<>>& Messages(Locale locale);

// Whether the catalog has `key` (in English at least).
bool Has(std::string_view key);

}  // namespace sa::i18n
