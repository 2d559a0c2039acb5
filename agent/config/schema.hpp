// SPDX-License-Identifier: Apache-2.0
// The config's schema (every key, its type, range, check and doc), the checks
// between keys, and the error they make; shared by the TOML adapter and
// EmbeddedDefaults. Plain C++: no TOML here. Internal to sa_config.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checks.hpp"
#include "config.hpp"

namespace sa::config::detail {

enum class ValueType { string, integer, boolean, string_list };

// A key's type: that of the one member pointer its spec sets.
template <class Spec>
ValueType TypeOf(const Spec& k) {
  if (k.str) return ValueType::string;
  if (k.integer) return ValueType::integer;
  if (k.boolean) return ValueType::boolean;
  return ValueType::string_list;
}

// A key of a table. Exactly one of str, integer, boolean and list is set: it
// says where the value goes and so the value's type. The tables are written
// with designated initializers, so a row names only what it uses.
struct KeySpec {
  std::string_view table = {};  // "store"
  std::string_view name = {};   // "id"
  std::string Config::*str = nullptr;
  std::int64_t Config::*integer = nullptr;
  bool Config::*boolean = nullptr;
  std::vector<std::string> Config::*list = nullptr;
  std::int64_t min = 0;  // integers only
  std::int64_t max = 0;
  StringCheck check = nullptr;  // strings, and each element of a list
  bool is_path = false;         // resolved against the config file's folder
  std::string_view doc = {};    // one line, for EmbeddedDefaults

  ValueType type() const { return TypeOf(*this); }
  std::string FullName() const { return std::string(table) + "." + std::string(name); }
};

// A key of a [[scanners]] entry: the same as KeySpec, into a Scanner.
struct ScannerKeySpec {
  std::string_view name = {};
  std::string_view types = {};  // the scanner types it applies to, space-separated; "" = all
  std::string Scanner::*str = nullptr;
  std::int64_t Scanner::*integer = nullptr;
  bool Scanner::*boolean = nullptr;
  std::vector<std::string> Scanner::*list = nullptr;
  std::int64_t min = 0;
  std::int64_t max = 0;
  StringCheck check = nullptr;
  std::string_view doc = {};

  ValueType type() const { return TypeOf(*this); }
  bool AppliesTo(std::string_view type) const;
};

// A key of a [printers.NAME] or [terminals.NAME] table, into a Printer or
// a Terminal.
template <class Target>
struct NamedKeySpec {
  std::string_view name = {};
  std::string Target::*str = nullptr;
  std::int64_t Target::*integer = nullptr;
  bool Target::*boolean = nullptr;
  std::vector<std::string> Target::*list = nullptr;
  std::int64_t min = 0;
  std::int64_t max = 0;
  StringCheck check = nullptr;
  std::string_view doc = {};

  ValueType type() const { return TypeOf(*this); }
};
using PrinterKeySpec = NamedKeySpec<Printer>;
using TerminalKeySpec = NamedKeySpec<Terminal>;

std::span<const PrinterKeySpec> PrinterKeys();
std::span<const TerminalKeySpec> TerminalKeys();

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

struct Problem {
  std::uint32_t line = 1;
  std::string text;
};

// Checks between keys. `lines` maps a full key name to the line it was set
// on (absent: not in the file).
// `lines` also holds "scanners[N]" (the line of entry N) and
// "scanners[N].key" for every key set in it, and the same for
// "printers.NAME" and "terminals.NAME".
void CrossCheck(const Config& config, const std::map<std::string, std::uint32_t>& lines,
                std::vector<Problem>& problems);

// The error all problems make: "source:line: text", one per line, in line
// order (stable for problems on one line).
Error MakeConfigError(std::string_view source, std::vector<Problem> problems);

}  // namespace sa::config::detail
