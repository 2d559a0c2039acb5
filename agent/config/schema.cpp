// SPDX-License-Identifier: Apache-2.0
// The schema: every key of every table and of a [[scanners]] entry, the
// lookups and "did you mean" on it, and EmbeddedDefaults, which prints it.
#include "schema.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace sa::config {
namespace detail {
namespace {

// In the order EmbeddedDefaults prints them, a table's keys together. One
// row per key reads better than one line per field:
// clang-format off
constexpr KeySpec kKeys[] = {
    {.table = "store", .name = "id", .str = &Config::store_id, .check = CheckId,
     .doc = "This store's id at the brand's cloud: 1-64 of A-Z a-z 0-9 _ . -"},
    {.table = "store", .name = "currency", .str = &Config::currency, .check = CheckCurrency,
     .doc = "Currency of prices and payments (ISO 4217, 3 upper-case letters)"},
    {.table = "store", .name = "region", .str = &Config::region, .check = CheckOptionalId,
     .doc = "The region the brand ships this store's stock to (anti-diversion); \"\" = no check"},
    {.table = "store", .name = "gln", .str = &Config::gln, .check = CheckGln,
     .doc = "The store's GS1 GLN (13 digits), naming it in EPCIS events; \"\" = urn:store-agent:loc:{id}"},
    {.table = "store", .name = "utc_offset", .str = &Config::utc_offset, .check = CheckUtcOffset,
     .doc = "The store's offset from UTC, +HH:MM: the time on receipts and reports, EPCIS eventTimeZoneOffset"},
    {.table = "store", .name = "locale", .str = &Config::locale, .check = CheckLocale,
     .doc = "The store's language: en or zh-CN (receipts, reports, the screens' default)"},
    {.table = "device", .name = "id", .str = &Config::device_id, .check = CheckId,
     .doc = "This device's id, unique in the store (receipt numbers start with it); as store.id"},
    {.table = "codes", .name = "brand_keys",
     .list = &Config::brand_keys, .check = CheckPath, .is_path = true,
     .doc = "The brand's public keys (PEM files) that verify label signatures"},
    {.table = "codes", .name = "require_signature", .boolean = &Config::require_signature,
     .doc = "Refuse every label without a valid signature, plain GTINs included"},
    {.table = "codes", .name = "brand_patterns",
     .list = &Config::brand_patterns, .check = CheckBrandPattern,
     .doc = "Brand URL patterns, e.g. \"https://b.example/u/{gtin}/{serial}?s={sig}\""},
    {.table = "codes", .name = "scale_layouts",
     .list = &Config::rcn_layouts, .check = CheckRcnLayout,
     .doc = "In-store scale labels (EAN-13 20-29, 02): \"prefix:item_digits:price|weight:value_digits:decimals[:check]\", e.g. \"20:5:price:5:2\""},
    {.table = "codes", .name = "on_diverted",
     .str = &Config::on_diverted, .check = CheckOnDiverted,
     .doc = "A unit allocated to another region: warn (sell, raise an alert) or refuse"},
    {.table = "members", .name = "service_keys",
     .list = &Config::member_keys, .check = CheckPath, .is_path = true,
     .doc = "The member service's public keys (PEM files) that verify member codes"},
    {.table = "members", .name = "code_window_s",
     .integer = &Config::member_code_window_s, .min = 10, .max = 3600,
     .doc = "How far (seconds, 10-3600) a member code's time may be from the device clock"},
    {.table = "members", .name = "phone_hash_key_file",
     .str = &Config::phone_hash_key_file, .check = CheckOptionalPath, .is_path = true,
     .doc = "File with the phone-number hash key shared with the CRM; \"\" = generate one in the "
            "data dir"},
    {.table = "coupons", .name = "keys",
     .list = &Config::coupon_keys, .check = CheckPath, .is_path = true,
     .doc = "The CRM's public keys (PEM files) that verify coupon codes; none: every coupon is refused"},
    {.table = "coupons", .name = "offline_cap",
     .integer = &Config::coupon_offline_cap, .min = 0, .max = 1000000,
     .doc = "Redemptions (0-1000000) of one coupon type the store takes before the cloud confirms them"},
    {.table = "cloud", .name = "url", .str = &Config::cloud_url, .check = CheckUrl,
     .doc = "The brand's cloud (OMS) base URL, https://...; \"\" = no cloud"},
    {.table = "cloud", .name = "ca_file",
     .str = &Config::cloud_ca_file, .check = CheckOptionalPath, .is_path = true,
     .doc = "CA bundle (PEM) that verifies the cloud's certificate; \"\" = the system's"},
    {.table = "cloud", .name = "pinned_pubkey",
     .str = &Config::cloud_pinned_pubkey, .check = CheckPin,
     .doc = "Pin of the cloud's public key, sha256//BASE64; \"\" = no pin"},
    {.table = "cloud", .name = "device_key_file",
     .str = &Config::cloud_device_key_file, .check = CheckOptionalPath, .is_path = true,
     .doc = "This device's sync key, 64 hex digits (provisioned); \"\" = made in the data dir"},
    {.table = "sync", .name = "interval_s",
     .integer = &Config::sync_interval_s, .min = 1, .max = 86400,
     .doc = "Seconds (1-86400) between pushes and pulls when idle"},
    {.table = "sync", .name = "batch_size",
     .integer = &Config::sync_batch_size, .min = 1, .max = 5000,
     .doc = "Events (1-5000) per push request"},
    {.table = "sync", .name = "backoff_max_s",
     .integer = &Config::sync_backoff_max_s, .min = 1, .max = 3600,
     .doc = "Longest wait (seconds, 1-3600) between retries while the cloud fails"},
    {.table = "sync", .name = "push_after_sale", .boolean = &Config::sync_push_after_sale,
     .doc = "Push a sale, void or refund to the cloud as soon as it is made (when online)"},
    {.table = "stock", .name = "case_max_units",
     .integer = &Config::case_max_units, .min = 1, .max = 100000,
     .doc = "The most units (1-100000) one case of a shipment may hold; a bigger one is refused"},
    {.table = "ledger", .name = "retention_days",
     .integer = &Config::retention_days, .min = 0, .max = 36500,
     .doc = "Days (0-36500) sales, refunds and events the cloud has acknowledged keep their detail; then daily totals stay"},
    {.table = "refunds", .name = "cashier_limit_minor",
     .integer = &Config::refund_cashier_limit, .min = 0, .max = 100000000000,
     .doc = "The most (minor units: fen) a cashier may refund without a manager; 0 = every refund needs one"},
    {.table = "refunds", .name = "manager_limit_minor",
     .integer = &Config::refund_manager_limit, .min = 0, .max = 100000000000,
     .doc = "The most (minor units) a manager may approve in one refund, more needs the API token; 0 = no limit"},
    {.table = "catalog", .name = "import",
     .str = &Config::catalog_import, .check = CheckOptionalPath, .is_path = true,
     .doc = "Catalog CSV (gtin,name,price_minor[,tax_rate]) imported at start; \"\" = none"},
    {.table = "api", .name = "listen", .str = &Config::listen, .check = CheckListen,
     .doc = "Local HTTP API address: IPv4:PORT or [IPv6]:PORT (port 0 = any free port)"},
    {.table = "api", .name = "max_body_bytes",
     .integer = &Config::max_body_bytes, .min = 1024, .max = 16777216,
     .doc = "Largest request body (bytes, 1024-16777216) the API accepts"},
    {.table = "api", .name = "tls_cert",
     .str = &Config::api_tls_cert, .check = CheckOptionalPath, .is_path = true,
     .doc = "PEM certificate chain: serve the API over HTTPS; \"\" = plain HTTP (loopback only)"},
    {.table = "api", .name = "tls_key",
     .str = &Config::api_tls_key, .check = CheckOptionalPath, .is_path = true,
     .doc = "PEM private key of api.tls_cert (keep it 0600); \"\" = none"},
    {.table = "scanner", .name = "virtual_listen",
     .str = &Config::virtual_scanner_listen, .check = CheckOptionalListen,
     .doc = "TCP address of the virtual line-per-code scanner; \"\" = off"},
    {.table = "printer", .name = "target",
     .str = &Config::printer_target, .check = CheckPrinterTarget,
     .doc = "Receipt printer: \"\" = none, a device or file path, or tcp://HOST:9100"},
    {.table = "printer", .name = "width_mm",
     .integer = &Config::printer_width_mm, .min = 58, .max = 80,
     .doc = "Paper width: 58 or 80"},
    {.table = "printer", .name = "auto", .boolean = &Config::printer_auto,
     .doc = "Print each completed sale's receipt (after its commit is durable)"},
    {.table = "printer", .name = "timeout_ms",
     .integer = &Config::printer_timeout_ms, .min = 100, .max = 60000,
     .doc = "How long a print job may take before it is given up"},
    {.table = "printer", .name = "encoding",
     .str = &Config::printer_encoding, .check = CheckPrinterEncoding,
     .doc = "The printer's text encoding: gb18030 (Chinese mode), utf-8 or cp437"},
    {.table = "receipt", .name = "claim_url",
     .str = &Config::claim_url, .check = CheckClaimUrl,
     .doc = "The receipt's claim link: the brand's mini-program or web page, https://, with {token} once"},
    {.table = "log", .name = "level", .str = &Config::log_level, .check = CheckLogLevel,
     .doc = "Least severe log level written: debug, info, warn or error"},
};

constexpr ScannerKeySpec kScannerKeys[] = {
    {.name = "id", .str = &Scanner::id, .check = CheckOptionalId,
     .doc = "The source's id in /v1/scans; \"\" = {type}-{n}"},
    {.name = "type", .str = &Scanner::type, .check = CheckScannerType,
     .doc = "evdev, serial, camera or tcp"},
    {.name = "terminal", .str = &Scanner::terminal, .check = CheckId,
     .doc = "The terminal whose open sale (or mode) gets the scans"},
    {.name = "mode", .str = &Scanner::mode, .check = CheckMode,
     .doc = "The terminal's mode at start: sale, receive or count"},
    {.name = "reopen_ms", .types = "evdev serial camera",
     .integer = &Scanner::reopen_ms, .min = 50, .max = 60000,
     .doc = "How often a vanished device is looked for again"},
    {.name = "path", .types = "evdev serial camera",
     .str = &Scanner::path, .check = CheckDevicePath,
     .doc = "Device path; for evdev also a FIFO, a file or a /dev/input/by-id glob"},
    {.name = "listen", .types = "tcp", .str = &Scanner::listen, .check = CheckListen,
     .doc = "HOST:PORT to listen on"},
    {.name = "token", .types = "tcp", .str = &Scanner::token, .check = CheckToken,
     .doc = "A client's first line must be \"TOKEN <token>\"; required off loopback"},
    {.name = "grab", .types = "evdev", .boolean = &Scanner::grab,
     .doc = "Grab the input device so the desktop does not see the keys"},
    {.name = "layout", .types = "evdev", .str = &Scanner::layout, .check = CheckLayout,
     .doc = "Key map the scanner types in: us, uk, de, fr"},
    {.name = "terminator", .types = "evdev",
     .str = &Scanner::terminator, .check = CheckTerminator,
     .doc = "Key that ends a code: enter, tab or any"},
    {.name = "inter_key_timeout_ms", .types = "evdev",
     .integer = &Scanner::inter_key_timeout_ms, .min = 1, .max = 10000,
     .doc = "A slower gap between keys is a person typing: dropped"},
    {.name = "keymap", .types = "evdev", .list = &Scanner::keymap, .check = CheckKeymapEntry,
     .doc = "Overrides of the layout: \"KEY_NAME=ab\" (plain a, shifted b)"},
    {.name = "baud", .types = "serial", .integer = &Scanner::baud, .min = 50, .max = 4000000,
     .doc = "Baud rate"},
    {.name = "parity", .types = "serial", .str = &Scanner::parity, .check = CheckParity,
     .doc = "none, odd or even"},
    {.name = "stop_bits", .types = "serial", .integer = &Scanner::stop_bits, .min = 1, .max = 2,
     .doc = "1 or 2"},
    {.name = "data_bits", .types = "serial", .integer = &Scanner::data_bits, .min = 7, .max = 8,
     .doc = "7 or 8"},
    {.name = "framing", .types = "serial", .str = &Scanner::framing, .check = CheckFraming,
     .doc = "What ends a code: cr, lf, crlf or a literal suffix"},
    {.name = "width", .types = "camera", .integer = &Scanner::width, .min = 16, .max = 4096,
     .doc = "Capture width in pixels"},
    {.name = "height", .types = "camera", .integer = &Scanner::height, .min = 16, .max = 4096,
     .doc = "Capture height in pixels"},
    {.name = "fps", .types = "camera", .integer = &Scanner::fps, .min = 1, .max = 120,
     .doc = "Frames per second asked of the camera"},
    {.name = "formats", .types = "camera", .list = &Scanner::formats, .check = CheckFormat,
     .doc = "ZXing-cpp formats decoded (QRCode by default)"},
    {.name = "try_rotate", .types = "camera", .boolean = &Scanner::try_rotate,
     .doc = "Also look for rotated 1D codes (slower)"},
    {.name = "try_invert", .types = "camera", .boolean = &Scanner::try_invert,
     .doc = "Also look for inverted (light on dark) codes (slower)"},
    {.name = "try_harder", .types = "camera", .boolean = &Scanner::try_harder,
     .doc = "Spend more time per frame (slower)"},
};

constexpr PrinterKeySpec kPrinterKeys[] = {
    {.name = "target", .str = &Printer::target, .check = CheckPrinterTarget,
     .doc = "Where its ESC/POS goes: a device or file path, or tcp://HOST:9100 (required)"},
    {.name = "width_mm", .integer = &Printer::width_mm, .min = 58, .max = 80,
     .doc = "Paper width: 58 or 80"},
    {.name = "timeout_ms", .integer = &Printer::timeout_ms, .min = 100, .max = 60000,
     .doc = "How long one job may take before it fails"},
    {.name = "retry_ms", .integer = &Printer::retry_ms, .min = 100, .max = 600000,
     .doc = "How often a receipt waiting for it is tried again"},
    {.name = "encoding", .str = &Printer::encoding, .check = CheckPrinterEncoding,
     .doc = "Its text encoding: gb18030 (Chinese mode), utf-8 or cp437"},
};

constexpr TerminalKeySpec kTerminalKeys[] = {
    {.name = "printer", .str = &Terminal::printer, .check = CheckOptionalId,
     .doc = "The [printers.NAME] its receipts print on; \"\" = the [printer] table's"},
};

constexpr std::array<std::string_view, 19> kTables = {
    "store", "device", "codes", "members", "coupons", "cloud", "sync", "stock", "ledger", "refunds",
    "catalog", "api", "scanner", "scanners", "printer", "printers", "receipt", "terminals",
    "log"};
// clang-format on

}  // namespace

std::span<const KeySpec> Keys() { return kKeys; }
std::span<const PrinterKeySpec> PrinterKeys() { return kPrinterKeys; }
std::span<const TerminalKeySpec> TerminalKeys() { return kTerminalKeys; }
std::span<const ScannerKeySpec> ScannerKeys() { return kScannerKeys; }

const ScannerKeySpec* FindScannerKey(std::string_view name) {
  for (const ScannerKeySpec& k : kScannerKeys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

bool ScannerKeySpec::AppliesTo(std::string_view scanner_type) const {
  // An unknown type is refused by itself; its keys are not refused on top.
  if (types.empty() || !CheckScannerType(scanner_type).empty()) return true;
  std::string_view rest = types;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    if (rest.substr(0, space) == scanner_type) return true;
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return false;
}

std::span<const std::string_view> Tables() { return kTables; }

bool IsTable(std::string_view table) {
  return std::find(kTables.begin(), kTables.end(), table) != kTables.end();
}

const KeySpec* FindKey(std::string_view table, std::string_view name) {
  for (const KeySpec& k : kKeys) {
    if (k.table == table && k.name == name) return &k;
  }
  return nullptr;
}

std::string SuggestKey(std::string_view table, std::string_view name) {
  const std::string full =
      table.empty() ? std::string(name) : std::string(table) + "." + std::string(name);
  const KeySpec* best = nullptr;
  std::size_t best_score = 0;
  for (const KeySpec& k : kKeys) {
    const std::size_t score =
        std::min({TypingDistance(full, k.FullName()),
                  TypingDistance(name, k.name) + (k.table == table ? 0 : 1),
                  TypingDistance(name, std::string(k.table) + "_" + std::string(k.name))});
    if (!best || score < best_score) {
      best = &k;
      best_score = score;
    }
  }
  if (!best || best_score > std::max<std::size_t>(2, name.size() / 3)) return {};
  return "; did you mean " + best->FullName() + "?";
}

std::string SuggestTable(std::string_view table) {
  std::string_view best;
  std::size_t best_score = 0;
  for (std::string_view t : kTables) {
    const std::size_t score = TypingDistance(table, t);
    if (best.empty() || score < best_score) {
      best = t;
      best_score = score;
    }
  }
  if (best_score > 2 || best_score >= table.size()) return {};
  return "; did you mean [" + std::string(best) + "]?";
}

}  // namespace detail

std::string EmbeddedDefaults() {
  const Config defaults;
  std::string out =
      "# store-agent configuration: every key, with its default.\n"
      "# Relative paths resolve against this file's folder.\n";
  std::string_view table;
  for (const detail::KeySpec& k : detail::Keys()) {
    if (k.table != table) {
      table = k.table;
      out += "\n[" + std::string(table) + "]\n";
    }
    out += "# " + std::string(k.doc) + "\n" + std::string(k.name) + " = ";
    switch (k.type()) {
      case detail::ValueType::string: out += detail::TomlString(defaults.*k.str); break;
      case detail::ValueType::integer: out += std::to_string(defaults.*k.integer); break;
      case detail::ValueType::boolean: out += defaults.*k.boolean ? "true" : "false"; break;
      case detail::ValueType::string_list: {
        out += "[";
        const auto& items = defaults.*k.list;
        for (std::size_t i = 0; i < items.size(); ++i) {
          out += (i ? ", " : "") + detail::TomlString(items[i]);
        }
        out += "]";
        break;
      }
    }
    out += "\n";
  }
  out += "\n# Scanner sources, one [[scanners]] table each (none by default). Keys:\n";
  for (const detail::ScannerKeySpec& k : detail::ScannerKeys()) {
    out += "#   " + std::string(k.name) +
           (k.types.empty() ? "" : " (" + std::string(k.types) + ")") + ": " + std::string(k.doc) +
           "\n";
  }
  out +=
      "# For example:\n"
      "#   [[scanners]]\n"
      "#   type = \"evdev\"\n"
      "#   path = \"/dev/input/by-id/*Scanner*-event-kbd\"\n"
      "#   terminal = \"till-1\"\n";
  out += "\n# More receipt printers, one [printers.NAME] table each (none by default). Keys:\n";
  for (const detail::PrinterKeySpec& k : detail::PrinterKeys()) {
    out += "#   " + std::string(k.name) + ": " + std::string(k.doc) + "\n";
  }
  out += "# Terminals, one [terminals.NAME] table each (none by default). Keys:\n";
  for (const detail::TerminalKeySpec& k : detail::TerminalKeys()) {
    out += "#   " + std::string(k.name) + ": " + std::string(k.doc) + "\n";
  }
  out +=
      "# A terminal that names no printer prints on [printer]. For example:\n"
      "#   [printers.till-2]\n"
      "#   target = \"tcp://192.168.1.52:9100\"\n"
      "#   width_mm = 58\n"
      "#   [terminals.till-2]\n"
      "#   printer = \"till-2\"\n";
  return out;
}

}  // namespace sa::config
