// SPDX-License-Identifier: Apache-2.0
// The schema, the value checks, SplitListen, EmbeddedDefaults and LoadFile.
// The TOML itself is read in platform/tomlpp/parse.cpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "codes.hpp"
#include "schema.hpp"

namespace sa::config {
namespace detail {
namespace {

constexpr std::size_t kMaxIdLength = 64;
constexpr std::size_t kMaxPathLength = 4096;
constexpr std::size_t kMaxUrlLength = 2048;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsIdChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '_' || c == '.' || c == '-'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// 1..max_digits decimal digits, no sign: the value, or -1.
std::int64_t Decimal(std::string_view s, std::size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return -1;
  std::int64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool IsIpv4(std::string_view s) {
  int parts = 0;
  while (true) {
    const std::size_t dot = s.find('.');
    const std::string_view part = s.substr(0, dot);
    const std::int64_t v = Decimal(part, 3);
    if (v < 0 || v > 255 || (part.size() > 1 && part[0] == '0')) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

// Colon-separated groups of 1-4 hex digits, the last one possibly a dotted
// IPv4 address (worth two groups); how many groups, or -1.
int Ipv6Groups(std::string_view s, bool ipv4_tail) {
  if (s.empty()) return 0;
  int groups = 0;
  while (true) {
    const std::size_t colon = s.find(':');
    const std::string_view group = s.substr(0, colon);
    if (colon == std::string_view::npos && ipv4_tail && group.find('.') != std::string_view::npos) {
      return IsIpv4(group) ? groups + 2 : -1;
    }
    if (group.empty() || group.size() > 4 || !std::all_of(group.begin(), group.end(), IsHex)) {
      return -1;
    }
    ++groups;
    if (colon == std::string_view::npos) return groups;
    s.remove_prefix(colon + 1);
  }
}

bool IsIpv6(std::string_view s) {
  const std::size_t gap = s.find("::");
  if (gap == std::string_view::npos) return Ipv6Groups(s, true) == 8;
  if (s.find("::", gap + 1) != std::string_view::npos) return false;
  const int head = Ipv6Groups(s.substr(0, gap), false);
  const int tail = Ipv6Groups(s.substr(gap + 2), true);
  return head >= 0 && tail >= 0 && head + tail <= 7;
}

// Why `listen` is not HOST:PORT (empty when it is); host and port on success.
std::string ListenProblem(std::string_view listen, std::string* host, std::uint16_t* port) {
  std::string_view h;
  std::string_view p;
  if (listen.empty()) return "must be HOST:PORT, like 127.0.0.1:8787";
  if (listen.front() == '[') {
    const std::size_t close = listen.find(']');
    if (close == std::string_view::npos) return "has '[' without ']'";
    h = listen.substr(1, close - 1);
    const std::string_view rest = listen.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return "has no :PORT after the ]";
    p = rest.substr(1);
    if (!IsIpv6(h)) return "has [" + std::string(h) + "], which is not an IPv6 address";
  } else {
    const std::size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return "has no :PORT (use HOST:PORT, like 127.0.0.1:8787)";
    h = listen.substr(0, colon);
    p = listen.substr(colon + 1);
    if (h.find(':') != std::string_view::npos) {
      return "must put an IPv6 address in brackets, like [::1]:8787";
    }
    if (!IsIpv4(h)) {
      return "must name an IPv4 address like 127.0.0.1 or an IPv6 address like [::1] "
             "(host names are not accepted)";
    }
  }
  const std::int64_t v = Decimal(p, 5);
  if (v < 0 || v > 65535) return "must end in a port 0-65535";
  if (host) *host = std::string(h);
  if (port) *port = static_cast<std::uint16_t>(v);
  return {};
}

std::string WithValue(std::string reason, std::string_view value) {
  return reason + " (got " + Quote(value) + ")";
}

std::string CheckId(std::string_view v) {
  if (v.empty()) return "must not be empty (1-64 of A-Z a-z 0-9 _ . -)";
  if (v.size() > kMaxIdLength) {
    return "is " + std::to_string(v.size()) + " characters long; at most 64";
  }
  if (!std::all_of(v.begin(), v.end(), IsIdChar)) {
    return WithValue("must use only A-Z a-z 0-9 _ . -", v);
  }
  return {};
}

std::string CheckCurrency(std::string_view v) {
  const bool ok = v.size() == 3 && std::all_of(v.begin(), v.end(), [](char c) {
                    return c >= 'A' && c <= 'Z';
                  });
  return ok ? std::string() : WithValue("must be an ISO 4217 code: 3 upper-case letters", v);
}

std::string CheckPathChars(std::string_view v) {
  if (v.find('\0') != std::string_view::npos) return "must not contain a NUL character";
  if (v.size() > kMaxPathLength) return "is longer than 4096 characters";
  return {};
}

std::string CheckPath(std::string_view v) {
  if (v.empty()) return "must not be an empty path";
  return CheckPathChars(v);
}

std::string CheckOptionalPath(std::string_view v) { return CheckPathChars(v); }

std::string CheckBrandPattern(std::string_view v) {
  auto compiled = codes::BrandPattern::Compile(v);
  if (compiled) return {};
  // The message quotes the pattern; keep it on one line.
  std::string why;
  for (char c : compiled.error().message) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      why += '?';
    } else {
      why += c;
    }
  }
  return "is refused: " + why;
}

std::string CheckUrl(std::string_view v) {
  if (v.empty()) return {};
  if (v.size() > kMaxUrlLength) return "is longer than 2048 characters";
  for (char c : v) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return WithValue("must not contain spaces or control characters", v);
    }
  }
  const std::string lower = Lower(v);
  std::size_t start = 0;
  if (lower.rfind("https://", 0) == 0) {
    start = 8;
  } else if (lower.rfind("http://", 0) == 0) {
    start = 7;
  } else {
    return WithValue("must be empty (no cloud) or start with https:// or http://", v);
  }
  const std::string_view authority = v.substr(start, v.find_first_of("/?#", start) - start);
  if (authority.empty()) return WithValue("has no host", v);
  if (authority.find('@') != std::string_view::npos) {
    return "must not carry a user name or password";
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || !IsIpv6(authority.substr(1, close - 1))) {
      return WithValue("has a bad IPv6 host", v);
    }
    host = {};
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return WithValue("has a bad host", v);
      port = rest.substr(1);
      if (port.empty()) return WithValue("has ':' but no port", v);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return WithValue("has ':' but no port", v);
  }
  const bool host_ok = std::all_of(host.begin(), host.end(), [](char c) {
    return IsAlpha(c) || IsDigit(c) || c == '.' || c == '-';
  });
  if (authority.front() != '[' && (host.empty() || !host_ok)) {
    return WithValue("has a bad host name", v);
  }
  if (!port.empty()) {
    const std::int64_t n = Decimal(port, 5);
    if (n < 1 || n > 65535) return WithValue("has a bad port (1-65535)", v);
  }
  return {};
}

std::string CheckListen(std::string_view v) {
  const std::string why = ListenProblem(v, nullptr, nullptr);
  return why.empty() ? why : WithValue(why, v);
}

std::string CheckOptionalListen(std::string_view v) {
  return v.empty() ? std::string() : CheckListen(v);
}

std::string CheckOptionalId(std::string_view v) { return v.empty() ? std::string() : CheckId(v); }

std::string CheckOnDiverted(std::string_view v) {
  return v == "warn" || v == "refuse" ? std::string() : WithValue("must be warn or refuse", v);
}

std::string CheckPin(std::string_view v) {
  if (v.empty()) return {};
  if (v.rfind("sha256//", 0) != 0 || v.size() < 9) {
    return WithValue("must be sha256//BASE64 (the SHA-256 of the server's public key)", v);
  }
  for (char c : v.substr(8)) {
    const bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/' || c == '=' || c == ';';
    if (!b64) return WithValue("must be sha256//BASE64", v);
  }
  return {};
}

std::string CheckLogLevel(std::string_view v) {
  for (std::string_view level : {"debug", "info", "warn", "error"}) {
    if (v == level) return {};
  }
  return WithValue("must be one of debug, info, warn, error", v);
}

std::string OneOf(std::string_view v, std::initializer_list<std::string_view> allowed) {
  std::string list;
  for (std::string_view a : allowed) {
    if (v == a) return {};
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return WithValue("must be one of " + list, v);
}

std::string CheckScannerType(std::string_view v) { return OneOf(v, {"evdev", "serial", "camera", "tcp"}); }
std::string CheckMode(std::string_view v) { return OneOf(v, {"sale", "receive", "count"}); }
std::string CheckLayout(std::string_view v) { return OneOf(v, {"us", "uk", "de", "fr"}); }
std::string CheckTerminator(std::string_view v) { return OneOf(v, {"enter", "tab", "any"}); }
std::string CheckParity(std::string_view v) { return OneOf(v, {"none", "odd", "even"}); }

std::string CheckFraming(std::string_view v) {
  if (v.empty() || v.size() > 8) return WithValue("must be cr, lf, crlf or a suffix of 1-8 bytes", v);
  return {};
}

std::string CheckDevicePath(std::string_view v) {
  if (v.size() > kMaxPathLength) return "is longer than " + std::to_string(kMaxPathLength) + " bytes";
  if (v.find('\0') != std::string_view::npos) return "must not contain a NUL byte";
  return {};
}

std::string CheckToken(std::string_view v) {
  if (v.empty()) return {};
  if (v.size() < 16 || v.size() > 256) return "must be 16-256 characters (or \"\" for none)";
  for (char c : v) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "must not contain spaces or control characters";
  }
  return {};
}

// "KEY_NAME=ab": the key's name as in linux/input-event-codes.h, then what
// it types plain and with Shift (one ASCII character each).
std::string CheckKeymapEntry(std::string_view v) {
  const auto eq = v.find('=');
  if (eq == std::string_view::npos || v.substr(0, 4) != "KEY_" || v.size() != eq + 3) {
    return WithValue("must be \"KEY_NAME=ab\" (a plain and a shifted ASCII character)", v);
  }
  for (char c : v.substr(eq + 1)) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      return WithValue("must map a key to printable ASCII characters", v);
    }
  }
  return {};
}

std::string CheckFormat(std::string_view v) {
  if (v.empty() || v.size() > 32) return WithValue("must be a ZXing-cpp format name such as QRCode", v);
  return {};
}

std::string CheckPrinterTarget(std::string_view v) {
  if (v.empty()) return {};
  if (v.substr(0, 6) == "tcp://") {
    const auto where = v.substr(6);
    const auto colon = where.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || Decimal(where.substr(colon + 1), 5) <= 0 ||
        Decimal(where.substr(colon + 1), 5) > 65535) {
      return WithValue("must be a path or tcp://HOST:PORT", v);
    }
    return {};
  }
  return CheckDevicePath(v);
}

KeySpec Str(std::string_view table, std::string_view name, std::string Config::*field,
            StringCheck check, std::string_view doc, bool is_path = false) {
  KeySpec k;
  k.table = table;
  k.name = name;
  k.type = ValueType::string;
  k.str = field;
  k.check = check;
  k.doc = doc;
  k.is_path = is_path;
  return k;
}

KeySpec List(std::string_view table, std::string_view name,
             std::vector<std::string> Config::*field, StringCheck check, std::string_view doc,
             bool is_path) {
  KeySpec k;
  k.table = table;
  k.name = name;
  k.type = ValueType::string_list;
  k.list = field;
  k.check = check;
  k.doc = doc;
  k.is_path = is_path;
  return k;
}

KeySpec Int(std::string_view table, std::string_view name, std::int64_t Config::*field,
            std::int64_t min, std::int64_t max, std::string_view doc) {
  KeySpec k;
  k.table = table;
  k.name = name;
  k.type = ValueType::integer;
  k.integer = field;
  k.min = min;
  k.max = max;
  k.doc = doc;
  return k;
}

KeySpec Bool(std::string_view table, std::string_view name, bool Config::*field,
             std::string_view doc) {
  KeySpec k;
  k.table = table;
  k.name = name;
  k.type = ValueType::boolean;
  k.boolean = field;
  k.doc = doc;
  return k;
}

const std::vector<KeySpec>& KeyTable() {
  static const std::vector<KeySpec> keys = {
      Str("store", "id", &Config::store_id, CheckId,
          "This store's id at the brand's cloud: 1-64 of A-Z a-z 0-9 _ . -"),
      Str("store", "currency", &Config::currency, CheckCurrency,
          "Currency of prices and payments (ISO 4217, 3 upper-case letters)"),
      Str("store", "region", &Config::region, CheckOptionalId,
          "The region the brand ships this store's stock to (anti-diversion); \"\" = no check"),
      Str("device", "id", &Config::device_id, CheckId,
          "This device's id, unique in the store (receipt numbers start with it); as store.id"),
      List("codes", "brand_keys", &Config::brand_keys, CheckPath,
           "The brand's public keys (PEM files) that verify label signatures", true),
      Bool("codes", "require_signature", &Config::require_signature,
           "Refuse every label without a valid signature, plain GTINs included"),
      List("codes", "brand_patterns", &Config::brand_patterns, CheckBrandPattern,
           "Brand URL patterns, e.g. \"https://b.example/u/{gtin}/{serial}?s={sig}\"", false),
      Str("codes", "on_diverted", &Config::on_diverted, CheckOnDiverted,
          "A unit allocated to another region: warn (sell, raise an alert) or refuse"),
      List("members", "service_keys", &Config::member_keys, CheckPath,
           "The member service's public keys (PEM files) that verify member codes", true),
      Int("members", "code_window_s", &Config::member_code_window_s, 10, 3600,
          "How far (seconds, 10-3600) a member code's time may be from the device clock"),
      Str("members", "phone_hash_key_file", &Config::phone_hash_key_file, CheckOptionalPath,
          "File with the phone-number hash key shared with the CRM; \"\" = generate one in the "
          "data dir",
          true),
      Str("cloud", "url", &Config::cloud_url, CheckUrl,
          "The brand's cloud (OMS) base URL, https://...; \"\" = no cloud"),
      Str("cloud", "ca_file", &Config::cloud_ca_file, CheckOptionalPath,
          "CA bundle (PEM) that verifies the cloud's certificate; \"\" = the system's", true),
      Str("cloud", "pinned_pubkey", &Config::cloud_pinned_pubkey, CheckPin,
          "Pin of the cloud's public key, sha256//BASE64; \"\" = no pin"),
      Str("cloud", "device_key_file", &Config::cloud_device_key_file, CheckOptionalPath,
          "This device's sync key, 64 hex digits (provisioned); \"\" = made in the data dir", true),
      Int("sync", "interval_s", &Config::sync_interval_s, 1, 86400,
          "Seconds (1-86400) between pushes and pulls when idle"),
      Int("sync", "batch_size", &Config::sync_batch_size, 1, 5000,
          "Events (1-5000) per push request"),
      Int("sync", "backoff_max_s", &Config::sync_backoff_max_s, 1, 3600,
          "Longest wait (seconds, 1-3600) between retries while the cloud fails"),
      Bool("sync", "push_after_sale", &Config::sync_push_after_sale,
           "Push a sale, void or refund to the cloud as soon as it is made (when online)"),
      Str("catalog", "import", &Config::catalog_import, CheckOptionalPath,
          "Catalog CSV (gtin,name,price_minor[,tax_rate]) imported at start; \"\" = none", true),
      Str("api", "listen", &Config::listen, CheckListen,
          "Local HTTP API address: IPv4:PORT or [IPv6]:PORT (port 0 = any free port)"),
      Int("api", "max_body_bytes", &Config::max_body_bytes, 1024, 16777216,
          "Largest request body (bytes, 1024-16777216) the API accepts"),
      Str("api", "tls_cert", &Config::api_tls_cert, CheckOptionalPath,
          "PEM certificate chain: serve the API over HTTPS; \"\" = plain HTTP (loopback only)",
          true),
      Str("api", "tls_key", &Config::api_tls_key, CheckOptionalPath,
          "PEM private key of api.tls_cert (keep it 0600); \"\" = none", true),
      Str("scanner", "virtual_listen", &Config::virtual_scanner_listen, CheckOptionalListen,
          "TCP address of the virtual line-per-code scanner; \"\" = off"),
      Str("printer", "target", &Config::printer_target, CheckPrinterTarget,
          "Receipt printer: \"\" = none, a device or file path, or tcp://HOST:9100"),
      Int("printer", "width_mm", &Config::printer_width_mm, 58, 80, "Paper width: 58 or 80"),
      Bool("printer", "auto", &Config::printer_auto,
           "Print each completed sale's receipt (after its commit is durable)"),
      Int("printer", "timeout_ms", &Config::printer_timeout_ms, 100, 60000,
          "How long a print job may take before it is given up"),
      Str("log", "level", &Config::log_level, CheckLogLevel,
          "Least severe log level written: debug, info, warn or error"),
  };
  return keys;
}

ScannerKeySpec SStr(std::string_view name, std::string Scanner::*field, StringCheck check,
                    std::string_view types, std::string_view doc) {
  ScannerKeySpec k;
  k.name = name;
  k.type = ValueType::string;
  k.str = field;
  k.check = check;
  k.types = types;
  k.doc = doc;
  return k;
}

ScannerKeySpec SInt(std::string_view name, std::int64_t Scanner::*field, std::int64_t min,
                    std::int64_t max, std::string_view types, std::string_view doc) {
  ScannerKeySpec k;
  k.name = name;
  k.type = ValueType::integer;
  k.integer = field;
  k.min = min;
  k.max = max;
  k.types = types;
  k.doc = doc;
  return k;
}

ScannerKeySpec SBool(std::string_view name, bool Scanner::*field, std::string_view types,
                     std::string_view doc) {
  ScannerKeySpec k;
  k.name = name;
  k.type = ValueType::boolean;
  k.boolean = field;
  k.types = types;
  k.doc = doc;
  return k;
}

ScannerKeySpec SList(std::string_view name, std::vector<std::string> Scanner::*field,
                     StringCheck check, std::string_view types, std::string_view doc) {
  ScannerKeySpec k;
  k.name = name;
  k.type = ValueType::string_list;
  k.list = field;
  k.check = check;
  k.types = types;
  k.doc = doc;
  return k;
}

const std::vector<ScannerKeySpec>& ScannerKeyTable() {
  static const std::vector<ScannerKeySpec> keys = {
      SStr("id", &Scanner::id, CheckOptionalId, "", "The source's id in /v1/scans; \"\" = {type}-{n}"),
      SStr("type", &Scanner::type, CheckScannerType, "", "evdev, serial, camera or tcp"),
      SStr("terminal", &Scanner::terminal, CheckId, "", "The terminal whose open sale (or mode) gets the scans"),
      SStr("mode", &Scanner::mode, CheckMode, "", "The terminal's mode at start: sale, receive or count"),
      SInt("reopen_ms", &Scanner::reopen_ms, 50, 60000, "evdev serial camera",
           "How often a vanished device is looked for again"),
      SStr("path", &Scanner::path, CheckDevicePath, "evdev serial camera",
           "Device path; for evdev also a FIFO, a file or a /dev/input/by-id glob"),
      SStr("listen", &Scanner::listen, CheckListen, "tcp", "HOST:PORT to listen on"),
      SStr("token", &Scanner::token, CheckToken, "tcp",
           "A client's first line must be \"TOKEN <token>\"; required off loopback"),
      SBool("grab", &Scanner::grab, "evdev", "Grab the input device so the desktop does not see the keys"),
      SStr("layout", &Scanner::layout, CheckLayout, "evdev", "Key map the scanner types in: us, uk, de, fr"),
      SStr("terminator", &Scanner::terminator, CheckTerminator, "evdev", "Key that ends a code: enter, tab or any"),
      SInt("inter_key_timeout_ms", &Scanner::inter_key_timeout_ms, 1, 10000, "evdev",
           "A slower gap between keys is a person typing: dropped"),
      SList("keymap", &Scanner::keymap, CheckKeymapEntry, "evdev",
            "Overrides of the layout: \"KEY_NAME=ab\" (plain a, shifted b)"),
      SInt("baud", &Scanner::baud, 50, 4000000, "serial", "Baud rate"),
      SStr("parity", &Scanner::parity, CheckParity, "serial", "none, odd or even"),
      SInt("stop_bits", &Scanner::stop_bits, 1, 2, "serial", "1 or 2"),
      SInt("data_bits", &Scanner::data_bits, 7, 8, "serial", "7 or 8"),
      SStr("framing", &Scanner::framing, CheckFraming, "serial", "What ends a code: cr, lf, crlf or a literal suffix"),
      SInt("width", &Scanner::width, 16, 4096, "camera", "Capture width in pixels"),
      SInt("height", &Scanner::height, 16, 4096, "camera", "Capture height in pixels"),
      SInt("fps", &Scanner::fps, 1, 120, "camera", "Frames per second asked of the camera"),
      SList("formats", &Scanner::formats, CheckFormat, "camera", "ZXing-cpp formats decoded (QRCode by default)"),
      SBool("try_rotate", &Scanner::try_rotate, "camera", "Also look for rotated 1D codes (slower)"),
      SBool("try_invert", &Scanner::try_invert, "camera", "Also look for inverted (light on dark) codes (slower)"),
      SBool("try_harder", &Scanner::try_harder, "camera", "Spend more time per frame (slower)"),
  };
  return keys;
}

constexpr std::array<std::string_view, 12> kTables = {
    "store", "device", "codes", "members", "cloud", "sync", "catalog", "api", "scanner", "scanners",
    "printer", "log"};

std::size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string TomlString(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

bool IsWildcard(std::string_view host) { return host == "0.0.0.0" || host == "::"; }

}  // namespace

std::span<const KeySpec> Keys() { return KeyTable(); }
std::span<const ScannerKeySpec> ScannerKeys() { return ScannerKeyTable(); }

const ScannerKeySpec* FindScannerKey(std::string_view name) {
  for (const ScannerKeySpec& k : ScannerKeyTable()) {
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
  for (const KeySpec& k : KeyTable()) {
    if (k.table == table && k.name == name) return &k;
  }
  return nullptr;
}

std::string SuggestKey(std::string_view table, std::string_view name) {
  const std::string full = table.empty() ? std::string(name)
                                         : std::string(table) + "." + std::string(name);
  const KeySpec* best = nullptr;
  std::size_t best_score = 0;
  for (const KeySpec& k : KeyTable()) {
    const std::size_t score = std::min(
        {Distance(full, k.FullName()), Distance(name, k.name) + (k.table == table ? 0 : 1),
         Distance(name, std::string(k.table) + "_" + std::string(k.name))});
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
    const std::size_t score = Distance(table, t);
    if (best.empty() || score < best_score) {
      best = t;
      best_score = score;
    }
  }
  if (best_score > 2 || best_score >= table.size()) return {};
  return "; did you mean [" + std::string(best) + "]?";
}

std::string ShowKey(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return IsAlpha(c) || IsDigit(c) || c == '_' || c == '-';
  });
  return bare ? std::string(key) : Quote(key);
}

std::string Quote(std::string_view value) {
  constexpr std::size_t kMax = 80;
  if (value.size() <= kMax) return TomlString(value);
  // Cut on a UTF-8 character boundary.
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return TomlString(value.substr(0, cut)) + "...";
}

void CrossCheck(const Config& config, const std::map<std::string, std::uint32_t>& lines,
                std::vector<Problem>& problems) {
  auto line_of = [&](const std::string& key) {
    const auto it = lines.find(key);
    return it == lines.end() ? std::uint32_t{1} : it->second;
  };
  if (config.require_signature && config.brand_keys.empty()) {
    problems.push_back({line_of("codes.require_signature"),
                        "codes.require_signature is true but codes.brand_keys is empty: every "
                        "label would be refused as forged"});
  }
  if (config.printer_width_mm != 58 && config.printer_width_mm != 80) {
    problems.push_back({line_of("printer.width_mm"), "printer.width_mm must be 58 or 80 (got " +
                                                         std::to_string(config.printer_width_mm) + ")"});
  }
  std::map<std::string, std::size_t> ids;
  std::map<std::pair<std::string, std::uint16_t>, std::size_t> listens;
  for (std::size_t i = 0; i < config.scanners.size(); ++i) {
    const Scanner& sc = config.scanners[i];
    const std::string name = "scanners[" + std::to_string(i) + "]";
    const std::uint32_t line = line_of(name);
    if (sc.type.empty()) {
      problems.push_back({line, name + ".type is missing (evdev, serial, camera or tcp)"});
      continue;
    }
    const bool device = sc.type != "tcp";
    if (device && sc.path.empty()) {
      problems.push_back({line, name + ".path is missing (a " + sc.type + " scanner reads a device)"});
    }
    if (!device) {
      const auto where = SplitListen(sc.listen);
      if (!where) {
        problems.push_back({line, name + ".listen is missing (a tcp scanner listens on HOST:PORT)"});
      } else {
        const bool loopback = where->first == "127.0.0.1" || where->first == "::1";
        if (!loopback && sc.token.empty()) {
          problems.push_back({line_of(name + ".listen"), name + ".listen " + Quote(sc.listen) +
                                                             " is off loopback: set " + name + ".token"});
        }
        if (where->second != 0) {
          if (const auto [it, fresh] = listens.emplace(*where, i); !fresh) {
            problems.push_back({line_of(name + ".listen"),
                                name + ".listen is the same as scanners[" + std::to_string(it->second) + "].listen"});
          }
        }
      }
    }
    const std::string id = sc.id.empty() ? sc.type + "-" + std::to_string(i + 1) : sc.id;
    if (const auto [it, fresh] = ids.emplace(id, i); !fresh) {
      problems.push_back({line_of(name + ".id"), name + " has the id " + Quote(id) + " of scanners[" +
                                                     std::to_string(it->second) + "]"});
    }
  }
  if (config.api_tls_cert.empty() != config.api_tls_key.empty()) {
    const bool cert = !config.api_tls_cert.empty();
    problems.push_back({line_of(cert ? "api.tls_cert" : "api.tls_key"),
                        std::string(cert ? "api.tls_cert is set but api.tls_key is not"
                                         : "api.tls_key is set but api.tls_cert is not") +
                            ": HTTPS needs both (or neither, for plain HTTP on loopback)"});
  }
  if (!config.virtual_scanner_listen.empty()) {
    const auto api = SplitListen(config.listen);
    const auto scanner = SplitListen(config.virtual_scanner_listen);
    if (api && scanner && api->second != 0 && api->second == scanner->second &&
        (api->first == scanner->first || IsWildcard(api->first) ||
         IsWildcard(scanner->first))) {
      problems.push_back({line_of("scanner.virtual_listen"),
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

}  // namespace detail

std::optional<std::pair<std::string, std::uint16_t>> SplitListen(std::string_view listen) {
  std::string host;
  std::uint16_t port = 0;
  if (!detail::ListenProblem(listen, &host, &port).empty()) return std::nullopt;
  return std::make_pair(std::move(host), port);
}

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
    switch (k.type) {
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
    out += "#   " + std::string(k.name) + (k.types.empty() ? "" : " (" + std::string(k.types) + ")") +
           ": " + std::string(k.doc) + "\n";
  }
  out +=
      "# For example:\n"
      "#   [[scanners]]\n"
      "#   type = \"evdev\"\n"
      "#   path = \"/dev/input/by-id/*Scanner*-event-kbd\"\n"
      "#   terminal = \"till-1\"\n";
  return out;
}

Expected<Config> LoadFile(const std::string& path) { return LoadFile(path, nullptr); }

Expected<Config> LoadFile(const std::string& path, KeyLines* lines) {
  auto refuse = [&](const std::string& why) {
    return MakeError(ErrorKind::invalid_request, "config_invalid", path + ": " + why);
  };
  if (path.empty()) return refuse("cannot read (the config path is empty)");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return refuse("cannot read (" + std::generic_category().message(errno) + ")");
  std::string text;
  std::string failure;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    failure = "cannot read (" + std::generic_category().message(errno) + ")";
  } else if (S_ISDIR(st.st_mode)) {
    failure = "cannot read (" + std::generic_category().message(EISDIR) + ")";
  } else {
    char buf[8192];
    while (true) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        failure = "cannot read (" + std::generic_category().message(errno) + ")";
        break;
      }
      if (n == 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      if (text.size() > kMaxConfigBytes) {
        failure = "cannot read (larger than " + std::to_string(kMaxConfigBytes) +
                  " bytes; a config is a few KB)";
        break;
      }
    }
  }
  ::close(fd);
  if (!failure.empty()) return refuse(failure);

  auto parsed = Parse(text, path, lines);
  if (!parsed) return parsed;
  Config config = std::move(parsed).value();

  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path folder = fs::absolute(fs::path(path), ec).parent_path();
  if (ec) folder = fs::path(path).parent_path();
  auto resolve = [&](std::string& p) {
    if (p.empty() || fs::path(p).is_absolute()) return;
    p = (folder / p).lexically_normal().string();
  };
  for (const detail::KeySpec& k : detail::Keys()) {
    if (!k.is_path) continue;
    if (k.str) resolve(config.*k.str);
    if (k.list) {
      for (std::string& p : config.*k.list) resolve(p);
    }
  }
  return config;
}

}  // namespace sa::config
