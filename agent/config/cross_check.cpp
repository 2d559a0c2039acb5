// SPDX-License-Identifier: Apache-2.0
// The checks between keys, which no single value can fail alone: the
// [[scanners]] entries against each other, then the tables' keys.
#include <algorithm>
#include <utility>

#include "schema.hpp"

namespace sa::config::detail {
namespace {

using Lines = std::map<std::string, std::uint32_t>;

// The line `key` was set on; 1 when it was not in the file.
std::uint32_t LineOf(const Lines& lines, const std::string& key) {
  const auto it = lines.find(key);
  return it == lines.end() ? std::uint32_t{1} : it->second;
}

bool IsWildcard(std::string_view host) { return host == "0.0.0.0" || host == "::"; }

// Each entry has what its type needs, and no two share an id or a listening
// port.
void CheckScanners(const std::vector<Scanner>& scanners, const Lines& lines,
                   std::vector<Problem>& problems) {
  std::map<std::string, std::size_t> ids;
  std::map<std::pair<std::string, std::uint16_t>, std::size_t> listens;
  for (std::size_t i = 0; i < scanners.size(); ++i) {
    const Scanner& sc = scanners[i];
    const std::string name = "scanners[" + std::to_string(i) + "]";
    const std::uint32_t line = LineOf(lines, name);
    if (sc.type.empty()) {
      problems.push_back({line, name + ".type is missing (evdev, serial, camera or tcp)"});
      continue;
    }
    const bool device = sc.type != "tcp";
    if (device && sc.path.empty()) {
      problems.push_back(
          {line, name + ".path is missing (a " + sc.type + " scanner reads a device)"});
    }
    if (!device) {
      const auto where = SplitListen(sc.listen);
      if (!where) {
        problems.push_back(
            {line, name + ".listen is missing (a tcp scanner listens on HOST:PORT)"});
      } else {
        const bool loopback = where->first == "127.0.0.1" || where->first == "::1";
        if (!loopback && sc.token.empty()) {
          problems.push_back(
              {LineOf(lines, name + ".listen"),
               name + ".listen " + Quote(sc.listen) + " is off loopback: set " + name + ".token"});
        }
        if (where->second != 0) {
          if (const auto [it, fresh] = listens.emplace(*where, i); !fresh) {
            problems.push_back(
                {LineOf(lines, name + ".listen"), name + ".listen is the same as scanners[" +
                                                      std::to_string(it->second) + "].listen"});
          }
        }
      }
    }
    const std::string id = sc.id.empty() ? sc.type + "-" + std::to_string(i + 1) : sc.id;
    if (const auto [it, fresh] = ids.emplace(id, i); !fresh) {
      problems.push_back(
          {LineOf(lines, name + ".id"),
           name + " has the id " + Quote(id) + " of scanners[" + std::to_string(it->second) + "]"});
    }
  }
}

// Every [printers.NAME] has a target and a width a receipt has; every
// [terminals.NAME] names a printer there is.
void CheckPrinters(const Config& config, const Lines& lines, std::vector<Problem>& problems) {
  std::string known;
  for (const Printer& p : config.printers) {
    known += (known.empty() ? "" : ", ") + p.name;
    const std::string entry = "printers." + ShowKey(p.name);
    if (p.name == "default") {
      problems.push_back({LineOf(lines, entry),
                          "[printers.default]: \"default\" is the [printer] table's name; "
                          "choose another"});
    }
    if (p.target.empty() && !lines.count(entry + ".target")) {  // a bad one is refused as such
      problems.push_back(
          {LineOf(lines, entry),
           entry + ".target is missing (a device or file path, or tcp://HOST:PORT)"});
    }
    if (p.width_mm != 58 && p.width_mm != 80) {
      problems.push_back(
          {LineOf(lines, entry + ".width_mm"),
           entry + ".width_mm must be 58 or 80 (got " + std::to_string(p.width_mm) + ")"});
    }
  }
  for (const Terminal& t : config.terminals) {
    const std::string key = "terminals." + ShowKey(t.name) + ".printer";
    if (t.printer.empty()) continue;
    if (t.printer == "default") {
      if (config.printer_target.empty()) {
        problems.push_back({LineOf(lines, key),
                            key + " is \"default\", the [printer] table's, which has no target"});
      }
      continue;
    }
    const bool found = std::any_of(config.printers.begin(), config.printers.end(),
                                   [&](const Printer& p) { return p.name == t.printer; });
    if (!found) {
      problems.push_back({LineOf(lines, key),
                          key + " names no printer: there is no [printers." + ShowKey(t.printer) +
                              "] (" + (known.empty() ? "none is configured" : "known: " + known) +
                              ")"});
    }
  }
}

}  // namespace

void CrossCheck(const Config& config, const Lines& lines, std::vector<Problem>& problems) {
  if (config.require_signature && config.brand_keys.empty()) {
    problems.push_back({LineOf(lines, "codes.require_signature"),
                        "codes.require_signature is true but codes.brand_keys is empty: every "
                        "label would be refused as forged"});
  }
  if (config.printer_width_mm != 58 && config.printer_width_mm != 80) {
    problems.push_back(
        {LineOf(lines, "printer.width_mm"), "printer.width_mm must be 58 or 80 (got " +
                                                std::to_string(config.printer_width_mm) + ")"});
  }
  CheckScanners(config.scanners, lines, problems);
  CheckPrinters(config, lines, problems);
  if (config.api_tls_cert.empty() != config.api_tls_key.empty()) {
    const bool cert = !config.api_tls_cert.empty();
    problems.push_back({LineOf(lines, cert ? "api.tls_cert" : "api.tls_key"),
                        std::string(cert ? "api.tls_cert is set but api.tls_key is not"
                                         : "api.tls_key is set but api.tls_cert is not") +
                            ": HTTPS needs both (or neither, for plain HTTP on loopback)"});
  }
  if (!config.virtual_scanner_listen.empty()) {
    const auto api = SplitListen(config.listen);
    const auto scanner = SplitListen(config.virtual_scanner_listen);
    if (api && scanner && api->second != 0 && api->second == scanner->second &&
        (api->first == scanner->first || IsWildcard(api->first) || IsWildcard(scanner->first))) {
      problems.push_back({LineOf(lines, "scanner.virtual_listen"),
                          "scanner.virtual_listen " + Quote(config.virtual_scanner_listen) +
                              " is the same port as api.listen " + Quote(config.listen)});
    }
  }
}

Error MakeConfigError(std::string_view source, std::vector<Problem> problems) {
  std::stable_sort(problems.begin(), problems.end(),
                   [](const Problem& a, const Problem& b) { return a.line < b.line; });
  std::string message;
  for (const Problem& p : problems) {
    if (!message.empty()) message += '\n';
    message += std::string(source) + ":" + std::to_string(p.line) + ": " + p.text;
  }
  return MakeError(ErrorKind::invalid_request, "config_invalid", message);
}

}  // namespace sa::config::detail
