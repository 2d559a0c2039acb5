// SPDX-License-Identifier: Apache-2.0
// The daemon's configuration: one TOML file, read once at start. Every key
// has a default (store-agent --print-config shows them all), so an empty file
// is a valid config: the demo store.
//
// Every problem is refused with ErrorKind::invalid_request, code
// "config_invalid", and a message of one line per problem, in file order:
//   agent.toml:3: unknown key store.idd; did you mean store.id?
//   agent.toml:7: api.max_body_bytes must be between 1024 and 16777216 (got 10)
// Problems found are all reported, not only the first. A TOML syntax error
// stops the parse there, so it is reported alone.
//
// Only this module's platform file (platform/tomlpp/) includes toml++.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base.hpp"

namespace sa::config {

struct Config {
  // [store]
  std::string store_id = "demo-store";      // store.id: 1-64 of [A-Za-z0-9_.-]
  std::string currency = "CNY";             // store.currency: 3 upper-case letters
  std::string region;                       // store.region: "" (no diversion check) or an id
  // [device]
  std::string device_id = "demo-till-1";    // device.id: same charset as store.id
  // [codes]
  std::vector<std::string> brand_keys;      // codes.brand_keys: PEM paths
  bool require_signature = false;           // codes.require_signature
  std::vector<std::string> brand_patterns;  // codes.brand_patterns: BrandPattern::Compile
  std::string on_diverted = "warn";         // codes.on_diverted: warn|refuse
  // [members]
  std::vector<std::string> member_keys;     // members.service_keys: PEM paths
  std::int64_t member_code_window_s = 120;  // members.code_window_s: 10..3600
  std::string phone_hash_key_file;          // members.phone_hash_key_file: "" = the daemon
                                            // generates a key in its data dir
  // [cloud] [sync]
  std::string cloud_url;                    // cloud.url: "" (offline) or http(s)://...
  std::string cloud_ca_file;                // cloud.ca_file: "" = system CAs
  std::string cloud_pinned_pubkey;          // cloud.pinned_pubkey: "" or sha256//BASE64
  std::string cloud_device_key_file;        // cloud.device_key_file: "" = {data-dir}/sync.key
  std::int64_t sync_interval_s = 30;        // sync.interval_s: 1..86400
  std::int64_t sync_batch_size = 500;       // sync.batch_size: 1..5000
  std::int64_t sync_backoff_max_s = 60;     // sync.backoff_max_s: 1..3600
  bool sync_push_after_sale = true;         // sync.push_after_sale
  // [catalog]
  std::string catalog_import;               // catalog.import: CSV path loaded at start, "" = none
  // [api]
  std::string listen = "127.0.0.1:8787";    // api.listen: HOST:PORT (IPv4 or [IPv6], port 0..65535)
  std::int64_t max_body_bytes = 65536;      // api.max_body_bytes: 1024..16777216
  // [scanner]
  std::string virtual_scanner_listen;       // scanner.virtual_listen: "" = off, or HOST:PORT
  // [log]
  std::string log_level = "info";           // log.level: debug|info|warn|error

  friend bool operator==(const Config&, const Config&) = default;
};

// A config file larger than this is refused (a real one is a few KB).
inline constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;

// Parses TOML text. `source` names the text in messages ("source:line: ...").
// Paths are kept as written: Parse does not touch the file system.
Expected<Config> Parse(std::string_view toml_text, std::string_view source);

// Reads and parses a file. Relative paths in it (codes.brand_keys,
// members.service_keys, members.phone_hash_key_file, catalog.import) are
// resolved against the file's folder and returned absolute. An unreadable
// file is config_invalid "path: cannot read (reason)". Whether the files the
// paths name exist is checked by whoever opens them, not here.
Expected<Config> LoadFile(const std::string& path);

// Every key with its default and a one-line doc, as commented TOML: what
// `store-agent --print-config` shows. Parse(EmbeddedDefaults(), "defaults")
// gives Config{} exactly.
std::string EmbeddedDefaults();

// Splits "HOST:PORT" (dotted-quad IPv4) or "[IPv6]:PORT" into the host
// (without brackets) and the port; nothing on a bad address. Host names are
// not accepted: the agent binds, it does not resolve.
std::optional<std::pair<std::string, std::uint16_t>> SplitListen(std::string_view listen);

}  // namespace sa::config
