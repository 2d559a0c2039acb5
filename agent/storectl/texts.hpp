// SPDX-License-Identifier: Apache-2.0
// The language of storectl's human output: the store's (store.locale, which
// the agent names in every answer's Content-Language header), unless
// --locale or $STORE_AGENT_LOCALE says otherwise; English for a command that
// asks no agent and was given neither. Every text comes from the one message
// catalog (agent/i18n/messages.json, keys "ctl.*"; an agent's refusal by its
// code from "common.err.*", the words the screens use for a status or a
// payment method from theirs). --json output is never translated.
//
// storectl runs one command per process, so the language is one setting for
// the process: chosen at parse time, or by the agent's first answer.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "base.hpp"
#include "i18n.hpp"

namespace sa::storectl {

// --locale or $STORE_AGENT_LOCALE (the flag wins): chosen for the process,
// whatever the agent says. Empty: nothing chosen. Anything else than en or
// zh-CN is an Error{invalid_request, "invalid_locale"}.
Expected<void> ChooseLocale(const std::string& flag);
// The agent's Content-Language: taken when nothing was chosen.
void AgentLocale(std::string_view content_language);
i18n::Locale CurrentLocale();

// The text of `key` in the current language.
std::string_view T(std::string_view key);
std::string F(std::string_view key,
              std::initializer_list<std::pair<std::string_view, std::string_view>> values);
// `key`'s text padded with spaces to `columns` display columns (a CJK
// character takes two), so that a block of "label  value" lines lines up in
// either language.
std::string Label(std::string_view key, std::size_t columns = 16);
// A value the agent names (a status "completed", a payment method "cash")
// in the current language: in English the agent's own word, as scripts and
// the API know it; in another the catalog's `prefix + value` where it has
// one, else the agent's word.
std::string Word(std::string_view prefix, std::string_view value);

}  // namespace sa::storectl
