// SPDX-License-Identifier: Apache-2.0
// The checks on single values (ids, paths, URLs, addresses, the enumerations)
// and SplitListen, which shares their reading of HOST:PORT.
#include "checks.hpp"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <utility>

#include "codes.hpp"
#include "config.hpp"
#include "epcis.hpp"
#include "i18n.hpp"

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

std::string CheckPathChars(std::string_view v) {
  if (v.find('\0') != std::string_view::npos) return "must not contain a NUL character";
  if (v.size() > kMaxPathLength) return "is longer than 4096 characters";
  return {};
}

std::string OneOf(std::string_view v, std::initializer_list<std::string_view> allowed) {
  std::string list;
  for (std::string_view a : allowed) {
    if (v == a) return {};
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return WithValue("must be one of " + list, v);
}

}  // namespace

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
  const bool ok =
      v.size() == 3 && std::all_of(v.begin(), v.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  return ok ? std::string() : WithValue("must be an ISO 4217 code: 3 upper-case letters", v);
}

std::string CheckPath(std::string_view v) {
  if (v.empty()) return "must not be an empty path";
  return CheckPathChars(v);
}

std::string CheckOptionalPath(std::string_view v) { return CheckPathChars(v); }

std::string CheckRcnLayout(std::string_view v) {
  auto layout = codes::ParseRcnLayout(v);
  return layout ? std::string() : "is refused: " + layout.error().message;
}

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

std::string CheckClaimUrl(std::string_view v) {
  constexpr std::string_view kToken = "{token}";
  if (v.size() > 256) return "is longer than 256 characters (the receipt's QR must stay small)";
  if (Lower(v).rfind("https://", 0) != 0) return WithValue("must start with https://", v);
  const std::size_t at = v.find(kToken);
  if (at == std::string_view::npos || v.find(kToken, at + 1) != std::string_view::npos) {
    return WithValue("must hold {token} exactly once (where the claim token goes)", v);
  }
  if (at < v.find_first_of("/?#", 8)) {  // {token} in the host would put the token in DNS
    return WithValue("must hold {token} after the host, in the path or query", v);
  }
  std::string filled(v);
  filled.replace(at, kToken.size(), "T");
  std::string why = CheckUrl(filled);
  if (const std::size_t in = why.find(filled); in != std::string::npos)
    why.replace(in, filled.size(), v);  // show the value as written
  return why;
}

std::string CheckListen(std::string_view v) {
  const std::string why = ListenProblem(v, nullptr, nullptr);
  return why.empty() ? why : WithValue(why, v);
}

std::string CheckOptionalListen(std::string_view v) {
  return v.empty() ? std::string() : CheckListen(v);
}

std::string CheckOptionalId(std::string_view v) { return v.empty() ? std::string() : CheckId(v); }

std::string CheckGln(std::string_view v) {
  return v.empty() || epcis::ValidGln(v)
             ? std::string()
             : WithValue("must be 13 digits ending in their GS1 check digit, or \"\"", v);
}

std::string CheckUtcOffset(std::string_view v) {
  return epcis::ValidUtcOffset(v) ? std::string() : WithValue("must be +HH:MM or -HH:MM", v);
}

std::string CheckLocale(std::string_view v) {
  return i18n::ParseLocale(v) ? std::string() : WithValue("must be en or zh-CN", v);
}

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

// The names receipt::ParseEncoding takes (the config does not link sa_receipt).
std::string CheckPrinterEncoding(std::string_view v) {
  return OneOf(v, {"gb18030", "utf-8", "cp437"});
}

std::string CheckLogLevel(std::string_view v) {
  return OneOf(v, {"debug", "info", "warn", "error"});
}

std::string CheckScannerType(std::string_view v) {
  return OneOf(v, {"evdev", "serial", "camera", "tcp"});
}
std::string CheckMode(std::string_view v) { return OneOf(v, {"sale", "receive", "count"}); }
std::string CheckLayout(std::string_view v) { return OneOf(v, {"us", "uk", "de", "fr"}); }
std::string CheckTerminator(std::string_view v) { return OneOf(v, {"enter", "tab", "any"}); }
std::string CheckParity(std::string_view v) { return OneOf(v, {"none", "odd", "even"}); }

std::string CheckFraming(std::string_view v) {
  if (v.empty() || v.size() > 8)
    return WithValue("must be cr, lf, crlf or a suffix of 1-8 bytes", v);
  return {};
}

std::string CheckDevicePath(std::string_view v) {
  if (v.size() > kMaxPathLength)
    return "is longer than " + std::to_string(kMaxPathLength) + " bytes";
  if (v.find('\0') != std::string_view::npos) return "must not contain a NUL byte";
  return {};
}

std::string CheckToken(std::string_view v) {
  if (v.empty()) return {};
  if (v.size() < 16 || v.size() > 256) return "must be 16-256 characters (or \"\" for none)";
  for (char c : v) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return "must not contain spaces or control characters";
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
  if (v.empty() || v.size() > 32)
    return WithValue("must be a ZXing-cpp format name such as QRCode", v);
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

}  // namespace detail

std::optional<std::pair<std::string, std::uint16_t>> SplitListen(std::string_view listen) {
  std::string host;
  std::uint16_t port = 0;
  if (!detail::ListenProblem(listen, &host, &port).empty()) return std::nullopt;
  return std::make_pair(std::move(host), port);
}

}  // namespace sa::config
