// SPDX-License-Identifier: Apache-2.0
// The config's schema (every key, its type, range, check and doc) and the
// checks on values, shared by the TOML adapter and EmbeddedDefaults. Plain
// C++: no TOML here. Internal to sa_config.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"

namespace sa::config::detail {

enum class ValueType { string, integer, boolean, string_list };

// A check on a string value (or on one element of a list): the reason it is
// wrong, phrased to follow "<key> ", e.g. "must be 3 upper-case letters";
// empty when the value is good.
using StringCheck = std::string (*)(std::string_view value);

struct KeySpec {
  std::string_view table;  // "store"
  std::string_view name;   // "id"
  ValueType type = ValueType::string;
  std::string_view doc;    // one line, for EmbeddedDefaults
  std::string Config::*str = nullptr;
  std::int64_t Config::*integer = nullptr;
  bool Config::*boolean = nullptr;
  std::vector<std::string> Config::*list = nullptr;
  std::int64_t min = 0;  // integers only
  std::int64_t max = 0;
  StringCheck check = nullptr;  // strings, and each element of a list
  bool is_path = false;         // resolved against the config file's folder

  std::string FullName() const { return std::string(table) + "." + std::string(name); }
};

// A key of a [[scanners]] entry: the same as KeySpec, into a Scanner.
struct ScannerKeySpec {
  std::string_view name;
  ValueType type = ValueType::string;
  std::string_view doc;
  std::string_view types;  // the scanner types it applies to, space-separated; "" = all
  std::string Scanner::*str = nullptr;
  std::int64_t Scanner::*integer = nullptr;
  bool Scanner::*boolean = nullptr;
  std::vector<std::string> Scanner::*list = nullptr;
  std::int64_t min = 0;
  std::int64_t max = 0;
  StringCheck check = nullptr;

  bool AppliesTo(std::string_view type) const;
};

std::span<const KeySpec> Keys();
std::span<const ScannerKeySpec> ScannerKeys();
const ScannerKeySpec* FindScannerKey(std::string_view name);
std::span<const std::string_view> Tables();
bool IsTable(std::string_view table);
const KeySpec* FindKey(std::string_view table, std::string_view name);

// "; did you mean store.id?" for a key the schema does not know (table empty
// for a key at the top level), or empty when nothing known is near.
std::string SuggestKey(std::string_view table, std::string_view name);
// "; did you mean [store]?" for an unknown top-level table, or empty.
std::string SuggestTable(std::string_view table);

// A key as a person writes it: bare when it can be, else quoted.
std::string ShowKey(std::string_view key);
// A string value quoted TOML-style, control characters escaped (messages stay
// one line each), cut after 80 characters.
std::string Quote(std::string_view value);

struct Problem {
  std::uint32_t line = 1;
  std::string text;
};

// Checks between keys. `lines` maps a full key name to the line it was set
// on (absent: not in the file).
// `lines` also holds "scanners[N]" (the line of entry N) and
// "scanners[N].key" for every key set in it.
void CrossCheck(const Config& config, const std::map<std::string, std::uint32_t>& lines,
                std::vector<Problem>& problems);

// The error all problems make: "source:line: text", one per line, in line
// order (stable for problems on one line).
Error MakeConfigError(std::string_view source, std::vector<Problem> problems);

}  // namespace sa::config::detail
