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
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base.hpp"

namespace sa::config {

// One [[scanners]] entry: a scanner source the daemon opens at start. Which
// keys apply depends on `type`; a key of another type is refused.
struct Scanner {
  std::string id;                   // "" = "{type}-{n}" (n counts from 1 in file order)
  std::string type;                 // evdev | serial | camera | tcp (required)
  std::string path;                 // evdev, serial, camera: device path (evdev: or a glob)
  std::string listen;               // tcp: HOST:PORT
  std::string token;                // tcp: required off loopback
  std::string terminal = "till-1";  // the terminal whose sale (or mode) gets the scans
  std::string mode = "sale";        // the terminal's mode at start: sale | receive | count
  std::int64_t reopen_ms = 500;     // how often a vanished device is looked for
  // evdev
  bool grab = true;
  std::string layout = "us";         // us | uk | de | fr
  std::string terminator = "enter";  // enter | tab | any
  std::int64_t inter_key_timeout_ms = 50;
  std::vector<std::string> keymap;  // "KEY_NAME=ab": plain a, shifted b
  // serial
  std::int64_t baud = 9600;
  std::string parity = "none";  // none | odd | even
  std::int64_t stop_bits = 1;
  std::int64_t data_bits = 8;
  std::string framing = "cr";  // cr | lf | crlf | any literal suffix
  // camera
  std::int64_t width = 640;
  std::int64_t height = 480;
  std::int64_t fps = 15;
  std::vector<std::string> formats = {"QRCode"};
  bool try_rotate = false;
  bool try_invert = false;
  bool try_harder = false;

  friend bool operator==(const Scanner&, const Scanner&) = default;
};

// One [printers.NAME] table: a receipt printer that terminals name in
// [terminals.NAME] printer = "NAME". The [printer] table is the printer of
// every terminal that names none (its name is "default").
struct Printer {
  std::string name;                  // the table's name: 1-64 of [A-Za-z0-9_.-], not "default"
  std::string target;                // required: a path or tcp://HOST:PORT
  std::int64_t width_mm = 80;        // 58 | 80
  std::int64_t timeout_ms = 5000;    // 100..60000
  std::int64_t retry_ms = 3000;      // how often a waiting receipt is tried again
  std::string encoding = "gb18030";  // gb18030 | utf-8 | cp437

  friend bool operator==(const Printer&, const Printer&) = default;
};

// One [terminals.NAME] table: what the config says of a terminal (a till,
// a shelf device) by the name its sales and scanners use.
struct Terminal {
  std::string name;
  std::string printer;  // a [printers.NAME] table's name; "" = the [printer] table's

  friend bool operator==(const Terminal&, const Terminal&) = default;
};

struct Config {
  // [store]
  std::string store_id = "demo-store";  // store.id: 1-64 of [A-Za-z0-9_.-]
  std::string currency = "CNY";         // store.currency: 3 upper-case letters
  std::string region;                   // store.region: "" (no diversion check) or an id
  std::string gln;                      // store.gln: "" or the store's GS1 GLN (EPCIS locations)
  std::string utc_offset = "+08:00";    // store.utc_offset: the store's offset, +HH:MM
  std::string locale = "en";            // store.locale: en | zh-CN
  // [device]
  std::string device_id = "demo-till-1";  // device.id: same charset as store.id
  // [codes]
  std::vector<std::string> brand_keys;      // codes.brand_keys: PEM paths
  bool require_signature = false;           // codes.require_signature
  std::vector<std::string> brand_patterns;  // codes.brand_patterns: BrandPattern::Compile
  std::vector<std::string> rcn_layouts;     // codes.scale_layouts: codes::ParseRcnLayout
  std::string on_diverted = "warn";         // codes.on_diverted: warn|refuse
  // [members]
  std::vector<std::string> member_keys;     // members.service_keys: PEM paths
  std::int64_t member_code_window_s = 120;  // members.code_window_s: 10..3600
  std::vector<std::string> coupon_keys;     // coupons.keys: PEM paths
  std::int64_t coupon_offline_cap = 100;    // coupons.offline_cap: 0..1000000
  std::string phone_hash_key_file;          // members.phone_hash_key_file: "" = the daemon
                                            // generates a key in its data dir
  // [cloud] [sync]
  std::string cloud_url;                 // cloud.url: "" (offline) or http(s)://...
  std::string cloud_ca_file;             // cloud.ca_file: "" = system CAs
  std::string cloud_pinned_pubkey;       // cloud.pinned_pubkey: "" or sha256//BASE64
  std::string cloud_device_key_file;     // cloud.device_key_file: "" = {data-dir}/sync.key
  std::int64_t sync_interval_s = 30;     // sync.interval_s: 1..86400
  std::int64_t sync_batch_size = 500;    // sync.batch_size: 1..5000
  std::int64_t sync_backoff_max_s = 60;  // sync.backoff_max_s: 1..3600
  bool sync_push_after_sale = true;      // sync.push_after_sale
  // [stock]
  std::int64_t case_max_units = 1000;  // stock.case_max_units: 1..100000
  // [ledger]
  std::int64_t retention_days = 90;  // ledger.retention_days: 0..36500
  // [refunds] what one refund may pay back, in minor units (fen)
  std::int64_t refund_cashier_limit = 0;  // refunds.cashier_limit_minor: 0 = a manager, always
  std::int64_t refund_manager_limit = 0;  // refunds.manager_limit_minor: 0 = no limit
  // [catalog]
  std::string catalog_import;  // catalog.import: CSV path loaded at start, "" = none
  // [api]
  std::string listen = "127.0.0.1:8787";  // api.listen: HOST:PORT (IPv4 or [IPv6], port 0..65535)
  std::int64_t max_body_bytes = 65536;    // api.max_body_bytes: 1024..16777216
  std::string api_tls_cert;               // api.tls_cert: PEM certificate chain, "" = plain HTTP
  std::string api_tls_key;                // api.tls_key: PEM private key of api.tls_cert
  // [scanner]
  std::string virtual_scanner_listen;  // scanner.virtual_listen: "" = off, or HOST:PORT
  // [[scanners]]
  std::vector<Scanner> scanners;
  // [printer]
  std::string printer_target;              // printer.target: "" = none, a path, or tcp://HOST:PORT
  std::int64_t printer_width_mm = 80;      // printer.width_mm: 58 | 80
  bool printer_auto = true;                // printer.auto: print each completed sale's receipt
  std::int64_t printer_timeout_ms = 5000;  // printer.timeout_ms: 100..60000
  std::string printer_encoding = "gb18030";  // printer.encoding: gb18030 | utf-8 | cp437
  // [receipt] the claim link printed as a QR on a receipt without a member
  std::string claim_url = "https://claim.brand.example/c/{token}";
  // [printers.NAME] and [terminals.NAME], each in name order
  std::vector<Printer> printers;
  std::vector<Terminal> terminals;
  // [log]
  std::string log_level = "info";  // log.level: debug|info|warn|error

  friend bool operator==(const Config&, const Config&) = default;
};

// A config file larger than this is refused (a real one is a few KB).
inline constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;

// Parses TOML text. `source` names the text in messages ("source:line: ...").
// Paths are kept as written: Parse does not touch the file system.
Expected<Config> Parse(std::string_view toml_text, std::string_view source);

// Reads and parses a file. Relative paths in it (codes.brand_keys,
// members.service_keys, members.phone_hash_key_file, catalog.import,
// api.tls_cert, api.tls_key, ...) are resolved against the file's folder
// and returned absolute. An unreadable
// file is config_invalid "path: cannot read (reason)". Whether the files the
// paths name exist is checked by whoever opens them, not here.
Expected<Config> LoadFile(const std::string& path);

// Where each key was set in the file: "store.id" -> its line, and
// "scanners[N]" / "scanners[N].key" for [[scanners]] tables (storectl config
// check puts its own findings on those lines), "printers.NAME[.key]" and
// "terminals.NAME[.key]".
using KeyLines = std::map<std::string, std::uint32_t>;
Expected<Config> Parse(std::string_view toml_text, std::string_view source, KeyLines* lines);
Expected<Config> LoadFile(const std::string& path, KeyLines* lines);

// Every key with its default and a one-line doc, as commented TOML: what
// `store-agent --print-config` shows. Parse(EmbeddedDefaults(), "defaults")
// gives Config{} exactly.
std::string EmbeddedDefaults();

// Splits "HOST:PORT" (dotted-quad IPv4) or "[IPv6]:PORT" into the host
// (without brackets) and the port; nothing on a bad address. Host names are
// not accepted: the agent binds, it does not resolve.
std::optional<std::pair<std::string, std::uint16_t>> SplitListen(std::string_view listen);

}  // namespace sa::config
