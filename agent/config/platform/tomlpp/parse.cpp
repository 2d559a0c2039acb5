// SPDX-License-Identifier: Apache-2.0
// Parse(): the only place toml++ is used. toml++ finds syntax errors (and
// stops at the first); everything else is checked here against the schema in
// schema.hpp, and every problem is collected before the config is refused.
#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "schema.hpp"

namespace sa::config {
namespace {

using detail::KeySpec;
using detail::Problem;
using detail::ValueType;

// "a string", "an integer", ...: what the file has, for "must be X, not Y".
std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::uint32_t LineOf(const toml::source_region& region, std::uint32_t fallback = 1) {
  return region.begin.line > 0 ? static_cast<std::uint32_t>(region.begin.line) : fallback;
}

class Reader {
 public:
  std::vector<Problem> problems;
  std::map<std::string, std::uint32_t> lines;  // full key name -> line set on
  Config config;

  void Root(const toml::table& root) {
    // toml::table iterates in key order, not file order; problems are sorted
    // by line at the end.
    for (const auto& [key, node] : root) {
      const std::string name(key.str());
      const std::uint32_t key_line = LineOf(key.source());
      if (name == "scanners") {
        Scanners(node, key_line);
        continue;
      }
      if (name == "printers" || name == "terminals") {
        Named(name, node, key_line);
        continue;
      }
      if (!detail::IsTable(name)) {
        if (node.is_table()) {
          Add(key_line,
              "unknown table [" + detail::ShowKey(name) + "]" + detail::SuggestTable(name));
        } else {
          Add(key_line, "unknown key " + detail::ShowKey(name) + detail::SuggestKey("", name));
        }
        continue;
      }
      const toml::table* table = node.as_table();
      if (!table) {
        Add(LineOf(node.source(), key_line), name + " must be a table, not " + TypeName(node));
        continue;
      }
      Table(name, *table);
    }
  }

 private:
  void Add(std::uint32_t line, std::string text) { problems.push_back({line, std::move(text)}); }

  void Table(const std::string& table_name, const toml::table& table) {
    for (const auto& [key, node] : table) {
      const std::string name(key.str());
      const std::uint32_t key_line = LineOf(key.source());
      const KeySpec* spec = detail::FindKey(table_name, name);
      if (!spec) {
        const std::string shown = table_name + "." + detail::ShowKey(name);
        Add(key_line, (node.is_table() ? "unknown table [" + shown + "]" : "unknown key " + shown) +
                          detail::SuggestKey(table_name, name));
        continue;
      }
      lines[spec->FullName()] = LineOf(node.source(), key_line);
      Value(*spec, config, spec->FullName(), node, key_line);
    }
  }

  // [[scanners]]: an array of tables, each checked against ScannerKeys().
  void Scanners(const toml::node& node, std::uint32_t key_line) {
    const toml::array* array = node.as_array();
    if (!array || !array->is_array_of_tables()) {
      Add(LineOf(node.source(), key_line),
          "scanners must be an array of tables ([[scanners]]), not " + TypeName(node));
      return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::table& table = *array->get(i)->as_table();
      const std::string entry = "scanners[" + std::to_string(i) + "]";
      const std::uint32_t entry_line = LineOf(table.source(), key_line);
      lines[entry] = entry_line;
      Scanner scanner;
      if (const auto* type = table.get_as<std::string>("type")) scanner.type = type->get();
      for (const auto& [key, value] : table) {
        const std::string name(key.str());
        const std::uint32_t line = LineOf(key.source(), entry_line);
        const detail::ScannerKeySpec* spec = detail::FindScannerKey(name);
        if (!spec) {
          Add(line, "unknown key " + entry + "." + detail::ShowKey(name));
          continue;
        }
        if (!spec->AppliesTo(scanner.type)) {
          Add(line, entry + "." + name + " does not apply to a " + scanner.type +
                        " scanner (only " + std::string(spec->types) + ")");
          continue;
        }
        lines[entry + "." + name] = LineOf(value.source(), line);
        Value(*spec, scanner, entry + "." + name, value, line);
      }
      if (scanner.id.empty() && !scanner.type.empty())
        scanner.id = scanner.type + "-" + std::to_string(i + 1);
      config.scanners.push_back(std::move(scanner));
    }
  }

  // [printers.NAME] and [terminals.NAME]: a table of tables, each named by
  // an id and checked against PrinterKeys() or TerminalKeys().
  void Named(const std::string& kind, const toml::node& node, std::uint32_t key_line) {
    const toml::table* all = node.as_table();
    if (!all) {
      Add(LineOf(node.source(), key_line),
          kind + " must be a table of tables ([" + kind + ".NAME]), not " + TypeName(node));
      return;
    }
    for (const auto& [key, value] : *all) {
      const std::string name(key.str());
      const std::uint32_t line = LineOf(key.source(), key_line);
      const std::string entry = kind + "." + detail::ShowKey(name);
      const toml::table* table = value.as_table();
      if (!table) {
        Add(line, entry + " must be a table ([" + entry + "]), not " + TypeName(value));
        continue;
      }
      if (const std::string why = detail::CheckId(name); !why.empty()) {
        Add(line, "the name of [" + entry + "] " + why);
        continue;
      }
      const std::uint32_t entry_line = LineOf(table->source(), line);
      lines[entry] = entry_line;
      if (kind == "printers") {
        Printer printer;
        printer.name = name;
        Fields(detail::PrinterKeys(), printer, entry, *table, entry_line);
        config.printers.push_back(std::move(printer));
      } else {
        Terminal terminal;
        terminal.name = name;
        Fields(detail::TerminalKeys(), terminal, entry, *table, entry_line);
        config.terminals.push_back(std::move(terminal));
      }
    }
  }

  template <class Spec, class Target>
  void Fields(std::span<const Spec> keys, Target& target, const std::string& entry,
              const toml::table& table, std::uint32_t entry_line) {
    for (const auto& [key, value] : table) {
      const std::string name(key.str());
      const std::uint32_t line = LineOf(key.source(), entry_line);
      const auto spec =
          std::find_if(keys.begin(), keys.end(), [&](const Spec& k) { return k.name == name; });
      if (spec == keys.end()) {
        std::string known;
        for (const Spec& k : keys) known += (known.empty() ? "" : ", ") + std::string(k.name);
        Add(line, "unknown key " + entry + "." + detail::ShowKey(name) + " (known: " + known + ")");
        continue;
      }
      lines[entry + "." + name] = LineOf(value.source(), line);
      Value(*spec, target, entry + "." + name, value, line);
    }
  }

  // The node as a T (a value type or toml::array), or nothing when it is
  // something else: then "<full> must be <expected>, not <what it is>".
  template <class T>
  auto As(const toml::node& node, std::uint32_t line, const std::string& full,
          std::string_view expected) {
    const auto* typed = node.as<T>();
    if (!typed) Add(line, full + " must be " + std::string(expected) + ", not " + TypeName(node));
    return typed;
  }

  template <class Spec, class Target>
  void Value(const Spec& spec, Target& target, const std::string& full, const toml::node& node,
             std::uint32_t key_line) {
    const std::uint32_t line = LineOf(node.source(), key_line);
    // No permissive conversions: node.value<T>() would turn 1 into true and
    // an integral floating-point number into an integer.
    switch (spec.type()) {
      case ValueType::string:
        if (const auto* s = As<std::string>(node, line, full, "a string")) {
          String(spec, full, s->get(), line, target.*spec.str);
        }
        return;
      case ValueType::integer:
        if (const auto* i = As<std::int64_t>(node, line, full, "an integer")) {
          if (i->get() < spec.min || i->get() > spec.max) {
            Add(line, full + " must be between " + std::to_string(spec.min) + " and " +
                          std::to_string(spec.max) + " (got " + std::to_string(i->get()) + ")");
            return;
          }
          target.*spec.integer = i->get();
        }
        return;
      case ValueType::boolean:
        if (const auto* b = As<bool>(node, line, full, "true or false")) {
          target.*spec.boolean = b->get();
        }
        return;
      case ValueType::string_list:
        if (const auto* array = As<toml::array>(node, line, full, "an array of strings")) {
          List(spec, full, *array, line, target.*spec.list);
        }
        return;
    }
  }

  // A list is set only when every element is good.
  template <class Spec>
  void List(const Spec& spec, const std::string& full, const toml::array& array, std::uint32_t line,
            std::vector<std::string>& target) {
    std::vector<std::string> out;
    bool ok = true;
    for (std::size_t i = 0; i < array.size(); ++i) {
      const toml::node& item = *array.get(i);
      const std::string item_name = full + "[" + std::to_string(i) + "]";
      const std::uint32_t item_line = LineOf(item.source(), line);
      const auto* s = As<std::string>(item, item_line, item_name, "a string");
      if (!s) {
        ok = false;
        continue;
      }
      std::string value;
      ok = String(spec, item_name, s->get(), item_line, value) && ok;
      out.push_back(std::move(value));
    }
    if (ok) target = std::move(out);
  }

  template <class Spec>
  bool String(const Spec& spec, const std::string& name, const std::string& value,
              std::uint32_t line, std::string& out) {
    if (spec.check) {
      const std::string why = spec.check(value);
      if (!why.empty()) {
        Add(line, name + " " + why);
        return false;
      }
    }
    out = value;
    return true;
  }
};

}  // namespace

Expected<Config> Parse(std::string_view toml_text, std::string_view source) {
  return Parse(toml_text, source, nullptr);
}

Expected<Config> Parse(std::string_view toml_text, std::string_view source, KeyLines* lines) {
  if (toml_text.size() > kMaxConfigBytes) {
    return detail::MakeConfigError(
        source, {{1, "the config is " + std::to_string(toml_text.size()) + " bytes; at most " +
                         std::to_string(kMaxConfigBytes)}});
  }
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    std::string what(e.description());
    for (char& c : what) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return detail::MakeConfigError(
        source, {{where.line > 0 ? static_cast<std::uint32_t>(where.line) : 1u,
                  "TOML syntax error (column " + std::to_string(where.column) + "): " + what}});
  }
  Reader reader;
  reader.Root(root);
  detail::CrossCheck(reader.config, reader.lines, reader.problems);
  if (lines) *lines = reader.lines;
  if (!reader.problems.empty()) return detail::MakeConfigError(source, std::move(reader.problems));
  return std::move(reader.config);
}

}  // namespace sa::config
