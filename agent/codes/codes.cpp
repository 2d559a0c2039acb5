// SPDX-License-Identifier: Apache-2.0
// Parse(): which form a payload is (a scale's RCN-13 among them), brand URL
// patterns, member codes, signature checks and minting.
#include "codes.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "parse_internal.hpp"

namespace sa::codes {
namespace {

constexpr char kGs = '\x1d';

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

bool EqualNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// ---------------------------------------------------------- member codes

constexpr std::string_view kMemberPrefix = "SAM1:";
// A member code that also names the member's price group (a tier, or
// "employee"): what prices the member's cart (docs/pricing.md).
constexpr std::string_view kGroupMemberPrefix = "SAM2:";

Expected<Code> ParseMemberCode(std::string_view s) {
  auto bad = [](std::string message) {
    return MakeError(ErrorKind::refused, "member_code_malformed", std::move(message));
  };
  const bool grouped = s.substr(0, kGroupMemberPrefix.size()) == kGroupMemberPrefix;
  const std::string_view shape =
      grouped ? "a member code is SAM2:{member_id}:{group}:{unix_seconds}:{signature}"
              : "a member code is SAM1:{member_id}:{unix_seconds}:{signature}";
  std::string_view rest = s.substr(kMemberPrefix.size());  // both prefixes are 5 bytes
  const std::size_t c1 = rest.find(':');
  if (c1 == std::string_view::npos) return bad(std::string(shape));
  const std::string_view id = rest.substr(0, c1);
  rest.remove_prefix(c1 + 1);
  std::string_view group;
  if (grouped) {
    const std::size_t cg = rest.find(':');
    if (cg == std::string_view::npos) return bad(std::string(shape));
    group = rest.substr(0, cg);
    rest.remove_prefix(cg + 1);
    if (!IsPriceGroup(group)) {
      return bad("the member code's group must be 1-32 of a-z, 0-9, '-' or '_'");
    }
  }
  const std::size_t c2 = rest.find(':');
  if (c2 == std::string_view::npos) return bad(std::string(shape));
  const std::string_view ts = rest.substr(0, c2);
  const std::string_view sig = rest.substr(c2 + 1);
  if (id.empty() || id.size() > 64 ||
      !std::all_of(id.begin(), id.end(), [](char c) { return InCharset(c, Charset::cset64); })) {
    return bad("the member id must be 1-64 letters, digits, '-' or '_'");
  }
  if (!AllDigits(ts) || ts.size() > 12 || (ts.size() > 1 && ts[0] == '0')) {
    // No leading zeros: the signed text must be exactly what is rebuilt.
    return bad("the member code's time must be unix seconds (digits only)");
  }
  if (sig.find(':') != std::string_view::npos) {
    return MakeError(ErrorKind::refused, "trailing_garbage",
                     "the member code has more ':'-separated parts than it should");
  }
  auto raw = crypto::Base64UrlDecode(sig);
  if (!raw || raw->size() != crypto::kRawSignatureSize) {
    return bad("the member code's signature is not 64 bytes of base64url");
  }
  Code code;
  code.kind = Kind::member_code;
  code.member_id = id;
  code.member_group = group;
  code.issued_at = std::stoll(std::string(ts));
  code.signature = sig;
  return code;
}

// ---------------------------------------------------------- brand URLs

// Binds a brand pattern placeholder to the GS1 field it stands for.
std::string_view PlaceholderAi(std::string_view name) {
  if (name == "gtin") return "01";
  if (name == "serial") return "21";
  if (name == "lot") return "10";
  if (name == "expiry") return "17";
  if (name == "sig") return "8030";
  return {};
}

// Returns nothing when the pattern does not match at all; a Code or an error
// when it matches (an error is a field that fails its GS1 rules).
std::optional<Expected<Code>> MatchBrand(const BrandPattern& pattern, std::string_view s,
                                         int reference_year) {
  const auto& tokens = pattern.tokens();
  std::size_t pos = 0;
  std::vector<std::pair<std::string_view, std::string_view>> captures;
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    const auto& tok = tokens[t];
    if (!tok.placeholder) {
      if (s.size() - pos < tok.text.size()) return std::nullopt;
      const std::string_view here = s.substr(pos, tok.text.size());
      // The first literal holds scheme and host, which compare case-insensitively.
      const std::size_t fold = t == 0 ? std::min(pattern.authority_end(), tok.text.size()) : 0;
      if (!EqualNoCase(here.substr(0, fold), std::string_view(tok.text).substr(0, fold)) ||
          here.substr(fold) != std::string_view(tok.text).substr(fold)) {
        return std::nullopt;
      }
      pos += tok.text.size();
      continue;
    }
    // A field never spans URL structure ('/', '?', '&', '#').
    std::size_t end = 0;
    if (t + 1 < tokens.size()) {
      end = s.find(tokens[t + 1].text, pos);
      if (end == std::string_view::npos) return std::nullopt;
      if (s.substr(pos, end - pos).find_first_of("/?&#") != std::string_view::npos) {
        return std::nullopt;
      }
    } else {
      // The last field ends the pattern: other query parameters or a
      // fragment may follow it; more path may not.
      end = std::min(s.find_first_of("/?&#", pos), s.size());
      if (end < s.size() && (s[end] == '/' || s[end] == '?')) return std::nullopt;
    }
    captures.emplace_back(tok.text, s.substr(pos, end - pos));
    pos = end;
  }
  if (pos != s.size() && !(tokens.back().placeholder && (s[pos] == '&' || s[pos] == '#'))) {
    return std::nullopt;
  }

  FieldSink sink(Kind::brand_url, reference_year);
  for (const auto& [name, raw] : captures) {
    auto value = PercentDecode(raw);
    if (!value) return Expected<Code>(value.error());
    const std::string_view ai = PlaceholderAi(name);
    if (ai == "01") {
      // A brand URL may print a GTIN-8/12/13; AI 01 takes 14 digits.
      auto gtin = NormaliseGtin(*value);
      if (!gtin) return Expected<Code>(gtin.error());
      *value = *gtin;
    }
    if (auto ok = sink.Add(*FindAi(ai), ai, *value); !ok) return Expected<Code>(ok.error());
  }
  return std::move(sink).Finish();
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::gs1_digital_link: return "gs1_digital_link";
    case Kind::gs1_element_string: return "gs1_element_string";
    case Kind::gtin: return "gtin";
    case Kind::brand_url: return "brand_url";
    case Kind::member_code: return "member_code";
  }
  return "unknown";
}

std::string_view SignatureName(SignatureState state) {
  switch (state) {
    case SignatureState::valid: return "valid";
    case SignatureState::invalid: return "invalid";
    case SignatureState::absent: return "absent";
  }
  return "unknown";
}

std::string Date::Iso() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

std::string Code::SignedMessage() const {
  if (kind == Kind::member_code) {
    if (!member_group.empty()) {
      return std::string(kGroupMemberPrefix) + member_id + ":" + member_group + ":" +
             std::to_string(issued_at);
    }
    return std::string(kMemberPrefix) + member_id + ":" + std::to_string(issued_at);
  }
  return gtin + "|" + serial;
}

Expected<BrandPattern> BrandPattern::Compile(std::string_view pattern) {
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorKind::invalid_request, "bad_brand_pattern",
                     "brand URL pattern '" + std::string(pattern) + "': " + why);
  };
  BrandPattern out;
  out.text_ = pattern;
  std::set<std::string> names;
  std::size_t pos = 0;
  while (pos < pattern.size()) {
    const std::size_t open = pattern.find('{', pos);
    if (open != pos) {
      const std::size_t end = open == std::string_view::npos ? pattern.size() : open;
      out.tokens_.push_back({false, std::string(pattern.substr(pos, end - pos))});
      pos = end;
      continue;
    }
    const std::size_t close = pattern.find('}', open);
    if (close == std::string_view::npos) return bad("'{' without '}'");
    const std::string name(pattern.substr(open + 1, close - open - 1));
    if (PlaceholderAi(name).empty()) {
      return bad("unknown placeholder {" + name + "}; use {gtin} {serial} {lot} {expiry} {sig}");
    }
    if (!names.insert(name).second) return bad("{" + name + "} appears twice");
    if (!out.tokens_.empty() && out.tokens_.back().placeholder) {
      return bad("two placeholders need a literal between them");
    }
    out.tokens_.push_back({true, name});
    pos = close + 1;
  }
  if (!names.count("gtin")) return bad("it must contain {gtin}");
  if (out.tokens_.empty() || out.tokens_.front().placeholder) {
    return bad("it must start with a literal scheme and host, like https://brand.example/");
  }
  const std::string& head = out.tokens_.front().text;
  const std::size_t scheme = head.find("://");
  if (scheme == std::string::npos) return bad("it must start with http:// or https://");
  const std::size_t host_end = head.find('/', scheme + 3);
  out.authority_end_ = host_end == std::string::npos ? head.size() : host_end;
  return out;
}

Expected<Code> Parse(std::string_view payload, const ParseOptions& options) {
  if (payload.empty()) return Refuse("empty_input", "nothing was scanned (empty payload)");
  if (payload.size() > kMaxPayloadBytes) {
    return Refuse("input_too_large", "the payload is " + std::to_string(payload.size()) +
                                         " bytes; a label is at most " +
                                         std::to_string(kMaxPayloadBytes));
  }
  // AIM symbology identifier: "]" + symbology letter + modifier digit.
  std::string symbology;
  std::string_view body = payload;
  if (body.size() >= 3 && body[0] == ']' && std::isalpha(static_cast<unsigned char>(body[1])) &&
      std::isdigit(static_cast<unsigned char>(body[2]))) {
    symbology = body.substr(0, 3);
    body.remove_prefix(3);
    if (body.empty()) return Refuse("empty_input", "the scanner sent a symbology prefix only");
  }
  if (body.substr(0, kMemberPrefix.size()) == kMemberPrefix ||
      body.substr(0, kGroupMemberPrefix.size()) == kGroupMemberPrefix) {
    auto member = ParseMemberCode(body);
    if (member) member->symbology = symbology;
    return member;
  }
  const int ref_year = options.reference_year;
  auto tag = [&](Expected<Code> code) {
    if (code) code->symbology = symbology;
    return code;
  };

  // GS1 symbologies that always carry an element string.
  if (symbology == "]Q3" || symbology == "]d2" || symbology == "]C1" || symbology == "]e0" ||
      symbology == "]J1") {
    FieldSink sink(Kind::gs1_element_string, ref_year);
    return tag(body[0] == '(' ? ParseHumanForm(body, std::move(sink))
                              : ParseGsForm(body, std::move(sink)));
  }

  // A brand pattern that matches and whose fields are good wins. One whose
  // literal text matched but whose fields fail is remembered: the payload may
  // still be a Digital Link on the same host.
  std::optional<Error> brand_error;
  for (const auto& pattern : options.brand_patterns) {
    if (auto matched = MatchBrand(pattern, body, ref_year)) {
      if (*matched) return tag(std::move(*matched));
      if (!brand_error) brand_error = matched->error();
    }
  }

  if (StartsWithNoCase(body, "https://") || StartsWithNoCase(body, "http://")) {
    auto link = ParseDigitalLink(body, FieldSink(Kind::gs1_digital_link, ref_year));
    if (!link && brand_error) return *brand_error;
    return tag(std::move(link));
  }
  if (brand_error) return *brand_error;
  if (body[0] == '(') {
    return tag(ParseHumanForm(body, FieldSink(Kind::gs1_element_string, ref_year)));
  }
  if (AllDigits(body) && body.size() <= 14) {
    auto gtin = NormaliseGtin(body);
    if (!gtin) return gtin.error();
    if (body.size() == 12 || body.size() == 13) {
      // A scale's label: an EAN-13 (a UPC-A is "0" + its 12 digits) that
      // one of the store's layouts reads.
      const std::string_view ean13 = std::string_view(*gtin).substr(1);
      if (const RcnLayout* layout = FindRcnLayout(ean13, options.rcn_layouts)) {
        return tag(ReadRcn(ean13, *layout));
      }
    }
    Code code;
    code.kind = Kind::gtin;
    code.gtin = std::move(gtin).value();
    return tag(std::move(code));
  }
  // An unprefixed element string starts with its GTIN (or with FNC1).
  if (body.substr(0, 2) == "01" || body[0] == kGs) {
    return tag(ParseGsForm(body, FieldSink(Kind::gs1_element_string, ref_year)));
  }
  // A GTIN with something stuck to it.
  std::size_t digits = 0;
  while (digits < body.size() && std::isdigit(static_cast<unsigned char>(body[digits]))) ++digits;
  if (digits == 8 || digits == 12 || digits == 13 || digits == 14) {
    return Refuse("trailing_garbage", "a " + std::to_string(digits) +
                                          "-digit product number is followed by other characters");
  }
  for (char c : body) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) {
      return Refuse("bad_character",
                    "the payload has control or non-ASCII bytes and is no "
                    "label this store reads");
    }
  }
  return Refuse("unrecognised_format",
                "not a GS1 Digital Link, GS1 element string, GTIN, brand URL or member code");
}

SignatureState VerifySignature(const Code& code, const crypto::KeyRing& keys) {
  if (code.signature.empty()) return SignatureState::absent;
  const auto raw = crypto::Base64UrlDecode(code.signature);
  if (!raw || raw->size() != crypto::kRawSignatureSize) return SignatureState::invalid;
  return keys.Verify(code.SignedMessage(), *raw) ? SignatureState::valid : SignatureState::invalid;
}

std::string SignLabel(std::string_view gtin14, std::string_view serial,
                      const crypto::SigningKey& key) {
  const auto sig = key.Sign(std::string(gtin14) + "|" + std::string(serial));
  return crypto::Base64UrlEncode(sig);
}

std::string MakeDigitalLink(std::string_view host, std::string_view gtin14, std::string_view serial,
                            std::string_view signature) {
  std::string uri =
      "https://" + std::string(host) + "/01/" + std::string(gtin14) + "/21/" + std::string(serial);
  if (!signature.empty()) uri += "?8030=" + std::string(signature);
  return uri;
}

std::string MakeMemberCode(std::string_view member_id, std::int64_t unix_seconds,
                           const crypto::SigningKey& key, std::string_view group) {
  const std::string message =
      group.empty()
          ? std::string(kMemberPrefix) + std::string(member_id) + ":" + std::to_string(unix_seconds)
          : std::string(kGroupMemberPrefix) + std::string(member_id) + ":" + std::string(group) +
                ":" + std::to_string(unix_seconds);
  return message + ":" + crypto::Base64UrlEncode(key.Sign(message));
}

bool IsPriceGroup(std::string_view group) {
  return !group.empty() && group.size() <= 32 &&
         group.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") ==
             std::string_view::npos;
}

}  // namespace sa::codes
