// SPDX-License-Identifier: Apache-2.0
// EPC URN and GS1 Digital Link canonicalisation for the Event Hash ID
// (digital_link.hpp).
#include "digital_link.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "codes.hpp"

namespace sa::epcis::dl {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

namespace {

using Strings = std::vector<std::string>;

// ---- GS1 identifiers ----------------------------------------------------------

// `digits` followed by its GS1 mod-10 check digit.
std::string WithCheckDigit(const std::string& digits) {
  return digits + codes::Gs1CheckDigit(digits);
}

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '!': out += "%21"; break;
      case '(': out += "%28"; break;
      case ')': out += "%29"; break;
      case '*': out += "%2A"; break;
      case '+': out += "%2B"; break;
      case ',': out += "%2C"; break;
      case ':': out += "%3A"; break;
      default: out += c;
    }
  }
  return out;
}

// Company prefix + reference of `total` digits (prefix 6..12 digits).
bool KeyParts(const Strings& f, size_t total) {
  return f.size() >= 2 && f[0].size() >= 6 && f[0].size() <= 12 && AllDigits(f[0]) &&
         (f[1].empty() || AllDigits(f[1])) && f[0].size() + f[1].size() == total;
}

std::string Gtin14(const Strings& f) {  // indicator digit moves to the front
  return WithCheckDigit(f[1].substr(0, 1) + f[0] + f[1].substr(1));
}

// The rest after the second field (a serial may hold dots).
std::string Tail(std::string_view body, size_t fields) {
  size_t pos = 0;
  for (size_t i = 0; i < fields; ++i) pos = body.find('.', pos) + 1;
  return std::string(body.substr(pos));
}

std::optional<std::string> EpcIdToDl(std::string_view scheme, std::string_view body) {
  const Strings f = Split(body, '.');
  const std::string dl = "https://id.gs1.org/";
  const bool three = f.size() >= 3 && !f[2].empty();
  if (scheme == "sgtin" && three && KeyParts(f, 13)) {
    return dl + "01/" + Gtin14(f) + "/21/" + PercentEncode(Tail(body, 2));
  }
  if (scheme == "sscc" && f.size() == 2 && KeyParts(f, 17)) return dl + "00/" + Gtin14(f);
  if (scheme == "sgln" && three && KeyParts(f, 12)) {
    const std::string ext = Tail(body, 2);
    return dl + "414/" + WithCheckDigit(f[0] + f[1]) +
           (ext == "0" ? "" : "/254/" + PercentEncode(ext));
  }
  if (scheme == "grai" && three && KeyParts(f, 12)) {
    return dl + "8003/" + WithCheckDigit("0" + f[0] + f[1]) + PercentEncode(Tail(body, 2));
  }
  if (scheme == "giai" && f.size() >= 2 && !f[1].empty() && AllDigits(f[0])) {
    return dl + "8004/" + f[0] + PercentEncode(Tail(body, 1));
  }
  if (scheme == "gsrn" && f.size() == 2 && KeyParts(f, 17))
    return dl + "8018/" + WithCheckDigit(f[0] + f[1]);
  if (scheme == "gsrnp" && f.size() == 2 && KeyParts(f, 17)) {
    return dl + "8017/" + WithCheckDigit(f[0] + f[1]);
  }
  if (scheme == "gdti" && three && KeyParts(f, 12)) {
    return dl + "253/" + WithCheckDigit(f[0] + f[1]) + PercentEncode(Tail(body, 2));
  }
  if (scheme == "sgcn" && three && KeyParts(f, 12) && AllDigits(f[2])) {
    return dl + "255/" + WithCheckDigit(f[0] + f[1]) + f[2];
  }
  if (scheme == "pgln" && f.size() == 2 && KeyParts(f, 12))
    return dl + "417/" + WithCheckDigit(f[0] + f[1]);
  if (scheme == "gsin" && f.size() == 2 && KeyParts(f, 16))
    return dl + "402/" + WithCheckDigit(f[0] + f[1]);
  if (scheme == "ginc" && f.size() >= 2 && AllDigits(f[0])) {
    return dl + "401/" + f[0] + PercentEncode(Tail(body, 1));
  }
  if (scheme == "cpi" && f.size() == 3 && AllDigits(f[0]) && AllDigits(f[2])) {
    return dl + "8010/" + PercentEncode(f[0] + f[1]) + "/8011/" + f[2];
  }
  if (scheme == "upui" && three && KeyParts(f, 13)) {
    return dl + "01/" + Gtin14(f) + "/235/" + PercentEncode(Tail(body, 2));
  }
  if (scheme == "itip" && f.size() >= 5 && KeyParts(f, 13) && f[2].size() == 2 &&
      f[3].size() == 2) {
    return dl + "8006/" + Gtin14(f) + f[2] + f[3] + "/21/" + PercentEncode(Tail(body, 4));
  }
  return std::nullopt;
}

std::optional<std::string> EpcPatternToDl(std::string_view scheme, std::string_view body) {
  Strings f = Split(body, '.');
  if (f.empty() || f.back() != "*") return std::nullopt;
  f.pop_back();
  const std::string dl = "https://id.gs1.org/";
  if ((scheme == "sgtin" || scheme == "upui") && f.size() == 2 && KeyParts(f, 13)) {
    return dl + "01/" + Gtin14(f);
  }
  if (scheme == "grai" && f.size() == 2 && KeyParts(f, 12))
    return dl + "8003/" + WithCheckDigit("0" + f[0] + f[1]);
  if (scheme == "gdti" && f.size() == 2 && KeyParts(f, 12))
    return dl + "253/" + WithCheckDigit(f[0] + f[1]);
  if (scheme == "sgcn" && f.size() == 2 && KeyParts(f, 12))
    return dl + "255/" + WithCheckDigit(f[0] + f[1]);
  if (scheme == "cpi" && f.size() == 2 && AllDigits(f[0]))
    return dl + "8010/" + PercentEncode(f[0] + f[1]);
  if (scheme == "itip" && f.size() == 4 && KeyParts(f, 13))
    return dl + "8006/" + Gtin14(f) + f[2] + f[3];
  return std::nullopt;
}

}  // namespace

std::optional<std::string> EpcUrnToDl(std::string_view uri) {
  auto split =
      [&](std::string_view prefix) -> std::optional<std::pair<std::string_view, std::string_view>> {
    if (!StartsWith(uri, prefix)) return std::nullopt;
    std::string_view rest = uri.substr(prefix.size());
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    return std::make_pair(rest.substr(0, colon), rest.substr(colon + 1));
  };
  if (auto p = split("urn:epc:id:")) return EpcIdToDl(p->first, p->second);
  if (auto p = split("urn:epc:idpat:")) return EpcPatternToDl(p->first, p->second);
  if (auto p = split("urn:epc:class:"); p && p->first == "lgtin") {
    const Strings f = Split(p->second, '.');
    if (f.size() >= 3 && !f[2].empty() && KeyParts(f, 13)) {
      return "https://id.gs1.org/01/" + Gtin14(f) + "/10/" + PercentEncode(Tail(p->second, 2));
    }
  }
  return std::nullopt;
}

namespace {

// ---- constrained canonical GS1 Digital Link -----------------------------------

bool DlChars(std::string_view s, size_t max) {
  if (s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == '"' || c == '\'' || c == '-' || c == '.' || (c >= '0' && c <= '9') ||
           (c >= ';' && c <= '?') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= 'a' && c <= 'z');
  });
}

const char* AiOf(std::string_view seg) {
  static constexpr std::array<std::array<const char*, 2>, 21> kNames = {
      {{"gtin", "01"},    {"itip", "8006"}, {"cpid", "8010"}, {"gln", "414"},   {"party", "417"},
       {"gsrnp", "8017"}, {"gsrn", "8018"}, {"gcn", "255"},   {"sscc", "00"},   {"gdti", "253"},
       {"ginc", "401"},   {"gsin", "402"},  {"grai", "8003"}, {"giai", "8004"}, {"cpv", "22"},
       {"lot", "10"},     {"ser", "21"},    {"serial", "21"}, {"glnx", "254"},  {"cpsn", "8011"},
       {"tpx", "235"}}};
  for (const auto& n : kNames) {
    if (seg == n[0]) return n[1];
  }
  return nullptr;
}

bool PrimaryKey(std::string_view ai) {
  static constexpr std::array<std::string_view, 14> kKeys = {"00",   "01",   "253",  "255",  "401",
                                                             "402",  "414",  "417",  "8003", "8004",
                                                             "8006", "8010", "8017", "8018"};
  return std::find(kKeys.begin(), kKeys.end(), ai) != kKeys.end();
}

// The key and its qualifiers as (AI, value) pairs, lot dropped when a serial
// is there, CPV dropped; empty when the path holds no GS1 key.
std::vector<std::pair<std::string, std::string>> DlPairs(std::string_view path) {
  Strings seg = Split(path, '/');
  for (auto& s : seg) {
    if (const char* ai = AiOf(s)) s = ai;
  }
  size_t k = 0;
  while (k < seg.size() && !(PrimaryKey(seg[k]) && k + 1 < seg.size())) ++k;
  std::vector<std::pair<std::string, std::string>> pairs;
  if (k >= seg.size()) return pairs;
  if (seg.size() > k + 2 && seg.back().empty()) seg.pop_back();  // a trailing slash
  if ((seg.size() - k) % 2 != 0) return pairs;
  for (size_t i = k; i + 1 < seg.size(); i += 2) {
    if (seg[i] != "22") pairs.emplace_back(seg[i], seg[i + 1]);
  }
  const auto has = [&](std::string_view ai) {
    return std::any_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == ai; });
  };
  if (has("21") && has("10")) {
    pairs.erase(
        std::remove_if(pairs.begin(), pairs.end(), [](const auto& p) { return p.first == "10"; }),
        pairs.end());
  }
  return pairs;
}

bool ValidDl(const std::vector<std::pair<std::string, std::string>>& p) {
  const std::string& ai = p[0].first;
  const std::string& v = p[0].second;
  const auto digits_then = [&](size_t n, size_t more) {
    return v.size() >= n && AllDigits(v.substr(0, n)) && DlChars(v.substr(n), more);
  };
  const std::string q = p.size() > 1 ? p[1].first : "";
  const std::string qv = p.size() > 1 ? p[1].second : "";
  if (p.size() > 2) return false;
  if (ai == "00") return p.size() == 1 && v.size() == 18 && AllDigits(v);
  if (ai == "01") {
    if (v.size() != 14 || !AllDigits(v)) return false;
    return p.size() == 1 || ((q == "21" || q == "10") && DlChars(qv, 20)) ||
           (q == "235" && DlChars(qv, 28));
  }
  if (ai == "8006") {
    return v.size() == 18 && AllDigits(v) &&
           (p.size() == 1 || ((q == "21" || q == "10") && DlChars(qv, 20)));
  }
  if (ai == "414")
    return v.size() == 13 && AllDigits(v) && (p.size() == 1 || (q == "254" && DlChars(qv, 20)));
  if (ai == "8010") return p.size() == 1 || (q == "8011" && qv.size() <= 12 && AllDigits(qv));
  if (p.size() != 1) return false;
  if (ai == "253") return digits_then(13, 17);
  if (ai == "255") return v.size() >= 13 && v.size() <= 25 && AllDigits(v);
  if (ai == "401" || ai == "8004") return DlChars(v, 30);
  if (ai == "402") return v.size() == 17 && AllDigits(v);
  if (ai == "417") return v.size() == 13 && AllDigits(v);
  if (ai == "8003") return digits_then(14, 16);
  return (ai == "8017" || ai == "8018") && v.size() == 18 && AllDigits(v);
}

}  // namespace

// Any http(s) URI holding a GS1 key path, as https://id.gs1.org/<key>/...
std::optional<std::string> ConstrainDl(std::string_view uri) {
  std::string_view rest;
  if (StartsWith(uri, "https://")) {
    rest = uri.substr(8);
  } else if (StartsWith(uri, "http://")) {
    rest = uri.substr(7);
  } else {
    return std::nullopt;
  }
  rest = rest.substr(0, rest.find_first_of("?#"));
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto pairs = DlPairs(rest.substr(slash + 1));
  if (pairs.empty()) return std::nullopt;
  if (pairs[0].first == "01" && AllDigits(pairs[0].second)) {
    const size_t n = pairs[0].second.size();
    if (n == 8 || n == 12 || n == 13) pairs[0].second.insert(0, 14 - n, '0');
  }
  if (!ValidDl(pairs)) return std::nullopt;
  std::string out = "https://id.gs1.org";
  for (const auto& [ai, value] : pairs) out += "/" + ai + "/" + value;
  return out;
}

}  // namespace sa::epcis::dl
