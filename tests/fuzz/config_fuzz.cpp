// SPDX-License-Identifier: Apache-2.0
// Fuzzes config::Parse, the daemon's TOML config (a field engineer's hand
// edit, a provisioning bundle). Proves: a bad config is one config_invalid
// error of "source:line: problem" lines, never an exception; the
// line-number variant agrees with the plain one; every recorded line exists
// in the text; and a parsed config written back out as TOML (from the
// schema's own key table) parses to an equal Config, so no value is
// accepted that the config cannot state again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "config.hpp"
#include "fuzz_support.hpp"
#include "schema.hpp"

namespace {

using namespace sa;
using sa::fuzz::CheckError;

// A TOML basic string: quotes, backslashes and control characters escaped;
// UTF-8 passes through (toml++ has already checked it).
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// One value as TOML, through the schema's member pointers (KeySpec and
// ScannerKeySpec have the same shape).
template <class Spec, class Target>
std::string Value(const Spec& spec, const Target& target) {
  switch (spec.type()) {
    case config::detail::ValueType::string: return Quoted(target.*spec.str);
    case config::detail::ValueType::integer: return std::to_string(target.*spec.integer);
    case config::detail::ValueType::boolean: return target.*spec.boolean ? "true" : "false";
    case config::detail::ValueType::string_list: {
      std::string out = "[";
      for (const auto& item : target.*spec.list) out += (out.size() > 1 ? ", " : "") + Quoted(item);
      return out + "]";
    }
  }
  return {};
}

// The keys that differ from the defaults, table by table, then every
// scanner with its keys that differ from a default Scanner's.
std::string ToToml(const config::Config& config) {
  const config::Config defaults;
  std::string out;
  for (std::string_view table : config::detail::Tables()) {
    std::string body;
    for (const auto& key : config::detail::Keys()) {
      if (key.table != table) continue;
      const std::string v = Value(key, config);
      if (v != Value(key, defaults)) body += config::detail::ShowKey(key.name) + " = " + v + "\n";
    }
    if (!body.empty()) out += "[" + std::string(table) + "]\n" + body;
  }
  const config::Scanner blank;
  for (const auto& scanner : config.scanners) {
    out += "[[scanners]]\n";
    for (const auto& key : config::detail::ScannerKeys()) {
      if (!key.AppliesTo(scanner.type)) continue;
      const std::string v = Value(key, scanner);
      if (v != Value(key, blank) || key.name == "type") {
        out += config::detail::ShowKey(key.name) + " = " + v + "\n";
      }
    }
  }
  return out;
}

void CheckRefusal(const Error& error, std::string_view source) {
  CheckError(error, {ErrorKind::invalid_request});
  SA_FUZZ_CHECK(error.code == "config_invalid", error.code);
  // One problem per line, each "source:N: text" with N >= 1.
  std::string_view rest = error.message;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    SA_FUZZ_CHECK(line.substr(0, source.size() + 1) == std::string(source) + ":", error.message);
    const std::string_view after = line.substr(source.size() + 1);
    const std::size_t colon = after.find(": ");
    SA_FUZZ_CHECK(
        colon != std::string_view::npos && colon > 0 && after[0] != '0' &&
            after.substr(0, colon).find_first_not_of("0123456789") == std::string_view::npos,
        error.message);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
}

std::size_t LineCount(std::string_view text) {
  std::size_t n = 1;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sa::fuzz::Text(data, size);
  constexpr std::string_view kSource = "agent.toml";
  config::KeyLines lines;
  auto with_lines = config::Parse(text, kSource, &lines);
  auto plain = config::Parse(text, kSource);
  SA_FUZZ_CHECK(with_lines.has_value() == plain.has_value(), "the two Parse overloads disagree");
  if (!plain) {
    CheckRefusal(plain.error(), kSource);
    SA_FUZZ_CHECK(with_lines.error().message == plain.error().message, plain.error().message);
    return 0;
  }
  SA_FUZZ_CHECK(*with_lines == *plain, "the two Parse overloads disagree on the value");
  for (const auto& [key, line] : lines) {
    SA_FUZZ_CHECK(line >= 1 && line <= LineCount(text), key + " on line " + std::to_string(line));
  }
  const std::string again_text = ToToml(*plain);
  auto again = config::Parse(again_text, "rewritten.toml");
  SA_FUZZ_CHECK(again.has_value(), "rewritten config refused:\n" + again_text + "\n" +
                                       (again ? "" : again.error().message));
  SA_FUZZ_CHECK(*again == *plain, "rewritten config differs:\n" + again_text);
  return 0;
}
