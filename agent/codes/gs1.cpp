// SPDX-License-Identifier: Apache-2.0
// GS1 element strings, Digital Link URIs and plain GTINs.
// Application Identifier rules per the GS1 General Specifications (section 3
// for formats, 7.11 for character sets, 7.12 for dates) and the GS1 Digital
// Link URI syntax 1.x (path order 01/22/10/21, query AIs).
#include <algorithm>
#include <array>
#include <chrono>
#include <set>

#include "codes.hpp"
#include "parse_internal.hpp"

namespace sa::codes {
namespace {

constexpr char kGs = '\x1d';

// AIs whose length is predefined by their first two digits: these need no
// separator after them, even in the middle of a string (GS1 GenSpecs 7.8.5).
bool PredefinedPrefix(std::string_view ai) {
  static constexpr std::array<std::string_view, 22> kPrefixes = {
      "00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16",
      "17", "18", "19", "20", "31", "32", "33", "34", "35", "36", "41"};
  return std::find(kPrefixes.begin(), kPrefixes.end(), ai.substr(0, 2)) != kPrefixes.end();
}

// The AIs the agent knows. Anything else in a label is unknown_ai: a store
// device refuses what it cannot read rather than guessing field boundaries.
constexpr std::array<AiSpec, 44> kTable = {{
    {"00", 18, 18, Charset::numeric, false, "SSCC"},
    {"01", 14, 14, Charset::numeric, false, "GTIN"},
    {"02", 14, 14, Charset::numeric, false, "CONTENT"},
    {"10", 1, 20, Charset::cset82, false, "BATCH/LOT"},
    {"11", 6, 6, Charset::numeric, true, "PROD DATE"},
    {"12", 6, 6, Charset::numeric, true, "DUE DATE"},
    {"13", 6, 6, Charset::numeric, true, "PACK DATE"},
    {"15", 6, 6, Charset::numeric, true, "BEST BEFORE"},
    {"16", 6, 6, Charset::numeric, true, "SELL BY"},
    {"17", 6, 6, Charset::numeric, true, "USE BY/EXPIRY"},
    {"20", 2, 2, Charset::numeric, false, "VARIANT"},
    {"21", 1, 20, Charset::cset82, false, "SERIAL"},
    {"22", 1, 20, Charset::cset82, false, "CPV"},
    {"235", 1, 28, Charset::cset82, false, "TPX"},
    {"240", 1, 30, Charset::cset82, false, "ADDITIONAL ID"},
    {"241", 1, 30, Charset::cset82, false, "CUST. PART No."},
    {"242", 1, 6, Charset::numeric, false, "MTO VARIANT"},
    {"250", 1, 30, Charset::cset82, false, "SECONDARY SERIAL"},
    {"251", 1, 30, Charset::cset82, false, "REF. TO SOURCE"},
    {"253", 14, 30, Charset::cset82, false, "GDTI"},
    {"254", 1, 20, Charset::cset82, false, "GLN EXTENSION"},
    {"30", 1, 8, Charset::numeric, false, "VAR. COUNT"},
    {"37", 1, 8, Charset::numeric, false, "COUNT"},
    {"400", 1, 30, Charset::cset82, false, "ORDER NUMBER"},
    {"401", 1, 30, Charset::cset82, false, "GINC"},
    {"402", 17, 17, Charset::numeric, false, "GSIN"},
    {"403", 1, 30, Charset::cset82, false, "ROUTE"},
    {"410", 13, 13, Charset::numeric, false, "SHIP TO LOC"},
    {"411", 13, 13, Charset::numeric, false, "BILL TO"},
    {"412", 13, 13, Charset::numeric, false, "PURCHASE FROM"},
    {"413", 13, 13, Charset::numeric, false, "SHIP FOR LOC"},
    {"414", 13, 13, Charset::numeric, false, "LOC No."},
    {"415", 13, 13, Charset::numeric, false, "PAY TO"},
    {"416", 13, 13, Charset::numeric, false, "PROD/SERV LOC"},
    {"420", 1, 20, Charset::cset82, false, "SHIP TO POST"},
    {"422", 3, 3, Charset::numeric, false, "ORIGIN"},
    {"7003", 10, 10, Charset::numeric, false, "EXPIRY TIME"},
    {"8003", 14, 30, Charset::cset82, false, "GRAI"},
    {"8004", 1, 30, Charset::cset82, false, "GIAI"},
    {"8006", 18, 18, Charset::numeric, false, "ITIP"},
    {"8012", 1, 20, Charset::cset82, false, "VERSION"},
    {"8013", 1, 25, Charset::cset82, false, "GMN"},
    {"8020", 1, 25, Charset::cset82, false, "REF No."},
    {"8030", 1, 90, Charset::cset64, false, "DIGSIG"},
}};

// Trade measures 310n..369n: n6 with the decimal point position as 4th digit.
constexpr AiSpec kMeasure{"3nnn", 6, 6, Charset::numeric, false, "MEASURE"};
// Company internal 91..99 and 90: an..90 / an..30.
constexpr AiSpec kInternal{"9n", 1, 90, Charset::cset82, false, "INTERNAL"};
constexpr AiSpec kMutual{"90", 1, 30, Charset::cset82, false, "INTERNAL"};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[month - 1];
}

int CurrentYear() {
  using namespace std::chrono;
  const auto today = year_month_day{floor<days>(system_clock::now())};
  return static_cast<int>(today.year());
}

std::string Shown(std::string_view s) {
  // Quote a field for a message without echoing control bytes.
  std::string out;
  for (char c : s.substr(0, 40)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) {
      out += (c == kGs) ? "<GS>" : "?";
    } else {
      out.push_back(c);
    }
  }
  if (s.size() > 40) out += "...";
  return out;
}

}  // namespace

Error Refuse(std::string code, std::string message) {
  return MakeError(ErrorKind::refused, std::move(code), std::move(message));
}

const AiSpec* FindAi(std::string_view ai) {
  for (const auto& spec : kTable) {
    if (spec.ai == ai) return &spec;
  }
  if (ai.size() == 4 && AllDigits(ai) && ai[0] == '3') {
    const int family = (ai[1] - '0') * 10 + (ai[2] - '0');
    if (family >= 10 && family <= 69) return &kMeasure;
  }
  if (ai == "90") return &kMutual;
  if (ai.size() == 2 && ai[0] == '9' && ai[1] >= '1' && ai[1] <= '9') return &kInternal;
  return nullptr;
}

// The AI at the start of `s`, longest-known first is not needed: GS1 AIs are
// prefix-free, so the first length that names a known AI is the AI.
const AiSpec* MatchAiPrefix(std::string_view s, std::size_t* ai_len) {
  for (std::size_t len = 2; len <= 4 && len <= s.size(); ++len) {
    const std::string_view ai = s.substr(0, len);
    if (!AllDigits(ai)) return nullptr;
    if (const AiSpec* spec = FindAi(ai)) {
      *ai_len = len;
      return spec;
    }
  }
  return nullptr;
}

bool InCharset(char c, Charset cs) {
  if (c >= '0' && c <= '9') return true;
  if (cs == Charset::numeric) return false;
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_') return true;
  if (cs == Charset::cset64) return false;
  // GS1 AI encodable character set 82 (GenSpecs figure 7.11-1).
  static constexpr std::string_view kPunct = "!\"%&'()*+,./:;<=>?";
  return kPunct.find(c) != std::string_view::npos;
}

char Gs1CheckDigit(std::string_view payload) {
  int sum = 0;
  int weight = 3;
  for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
    sum += (*it - '0') * weight;
    weight = 4 - weight;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

bool Gs1CheckDigitOk(std::string_view digits) {
  return digits.size() >= 2 && AllDigits(digits) &&
         Gs1CheckDigit(digits.substr(0, digits.size() - 1)) == digits.back();
}

Expected<std::string> NormaliseGtin(std::string_view digits) {
  if (!AllDigits(digits)) {
    return Refuse("bad_character", "a GTIN has digits only");
  }
  const std::size_t n = digits.size();
  if (n != 8 && n != 12 && n != 13 && n != 14) {
    // The digits are not echoed: a phone number keyed into the scan box
    // would otherwise travel into messages and logs.
    return Refuse("bad_gtin_length",
                  "a GTIN has 8, 12, 13 or 14 digits; this one has " + std::to_string(n));
  }
  std::string gtin14 = std::string(14 - n, '0') + std::string(digits);
  const int check = Gs1CheckDigit(std::string_view(gtin14).substr(0, 13)) - '0';
  if (gtin14[13] - '0' != check) {
    return Refuse("bad_check_digit", "GTIN " + std::string(digits) + " has check digit " +
                                         gtin14.substr(13) + ", expected " + std::to_string(check) +
                                         " (mistyped or misprinted?)");
  }
  return gtin14;
}

Expected<void> FieldSink::Add(const AiSpec& spec, std::string_view ai, std::string_view value) {
  const std::string ai_str(ai);
  if (!seen_.insert(ai_str).second) {
    return Refuse("repeated_ai", "AI (" + ai_str + ") appears twice in one label");
  }
  if (value.empty()) {
    return Refuse("truncated_field",
                  "AI (" + ai_str + ") " + std::string(spec.title) + " has no value");
  }
  for (char c : value) {
    if (!InCharset(c, spec.charset)) {
      const auto u = static_cast<unsigned char>(c);
      std::string what =
          (u < 0x20 || u >= 0x7F) ? "a control or non-ASCII byte" : std::string("'") + c + "'";
      return Refuse("bad_character",
                    "AI (" + ai_str + ") " + std::string(spec.title) + " may not contain " + what);
    }
  }
  if (value.size() < spec.min_len) {
    return Refuse("truncated_field", "AI (" + ai_str + ") " + std::string(spec.title) + " needs " +
                                         std::to_string(spec.min_len) + " characters, got " +
                                         std::to_string(value.size()));
  }
  if (value.size() > spec.max_len) {
    return Refuse("field_too_long", "AI (" + ai_str + ") " + std::string(spec.title) +
                                        " allows at most " + std::to_string(spec.max_len) +
                                        " characters, got " + std::to_string(value.size()));
  }
  std::optional<Date> date;
  if (spec.is_date) {
    auto d = ParseGs1Date(value, reference_year_);
    if (!d) return d.error().WithContext("AI (" + ai_str + ")");
    date = *d;
  }
  if (ai == "00" || ai == "02" || (ai.size() == 3 && ai.substr(0, 2) == "41" && ai[2] <= '6')) {
    // SSCC, content GTIN and GLNs carry a GS1 mod-10 check digit too.
    if (!Gs1CheckDigitOk(value)) {
      return Refuse("bad_check_digit",
                    "AI (" + ai_str + ") " + std::string(spec.title) + " has a wrong check digit");
    }
  }
  if (ai == "01") {
    auto gtin = NormaliseGtin(value);
    if (!gtin) return gtin.error();
    code_.gtin = std::move(gtin).value();
  } else if (ai == "21") {
    code_.serial = value;
  } else if (ai == "10") {
    code_.lot = value;
  } else if (ai == "22") {
    code_.cpv = value;
  } else if (ai == "17") {
    code_.expiry = date;
  } else if (ai == "8030") {
    code_.signature = value;
  } else {
    code_.other_ais.emplace_back(ai_str, std::string(value));
  }
  return {};
}

Expected<Code> FieldSink::Finish() && {
  if (code_.gtin.empty()) {
    return Refuse("missing_gtin", "the label names no product: it has no GTIN, AI (01)");
  }
  return std::move(code_);
}

Expected<Date> ParseGs1Date(std::string_view yymmdd, int reference_year) {
  if (yymmdd.size() != 6 || !AllDigits(yymmdd)) {
    return Refuse("invalid_date", "a date is six digits YYMMDD, not '" + Shown(yymmdd) + "'");
  }
  const int yy = (yymmdd[0] - '0') * 10 + (yymmdd[1] - '0');
  const int mm = (yymmdd[2] - '0') * 10 + (yymmdd[3] - '0');
  int dd = (yymmdd[4] - '0') * 10 + (yymmdd[5] - '0');
  // GS1 GenSpecs 7.12: the century is the one that puts the year within
  // 49 years behind or 50 years ahead of the current year.
  const int ref = reference_year > 0 ? reference_year : CurrentYear();
  const int century = ref / 100 * 100;
  const int diff = yy - ref % 100;
  int year = century + yy;
  if (diff >= 51) year -= 100;
  if (diff <= -50) year += 100;
  if (mm < 1 || mm > 12) {
    return Refuse("invalid_date", "date " + std::string(yymmdd) + " has month " +
                                      std::to_string(mm) + ", which does not exist");
  }
  const int last = DaysInMonth(year, mm);
  if (dd == 0) dd = last;  // DD 00 means the last day of the month
  if (dd > last) {
    return Refuse("invalid_date", "date " + std::string(yymmdd) + " is day " + std::to_string(dd) +
                                      " of a month with " + std::to_string(last) + " days");
  }
  return Date{year, mm, dd};
}

// "(01)09506000134352(17)271231(21)ABC"
Expected<Code> ParseHumanForm(std::string_view s, FieldSink sink) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    if (s[pos] != '(') {
      return Refuse("trailing_garbage",
                    "expected '(' to open an AI at '" + Shown(s.substr(pos)) + "'");
    }
    const std::size_t close = s.find(')', pos);
    if (close == std::string_view::npos) {
      return Refuse("truncated_field",
                    "an AI in brackets is not closed: '" + Shown(s.substr(pos)) + "'");
    }
    const std::string_view ai = s.substr(pos + 1, close - pos - 1);
    const AiSpec* spec = AllDigits(ai) ? FindAi(ai) : nullptr;
    if (!spec) return Refuse("unknown_ai", "(" + Shown(ai) + ") is not an AI this agent reads");
    std::size_t end = s.find('(', close + 1);
    if (end == std::string_view::npos) end = s.size();
    std::string_view value = s.substr(close + 1, end - close - 1);
    if (!value.empty() && value.back() == kGs) value.remove_suffix(1);
    if (PredefinedPrefix(ai) && value.size() > spec->max_len) {
      return Refuse("trailing_garbage",
                    "AI (" + std::string(ai) + ") is " + std::to_string(spec->max_len) +
                        " characters, followed by '" + Shown(value.substr(spec->max_len)) + "'");
    }
    if (auto ok = sink.Add(*spec, ai, value); !ok) return ok.error();
    pos = end;
  }
  return std::move(sink).Finish();
}

// "0109506000134352" "17271231" "21ABC" <GS> "8030..." (FNC1 as ASCII 29)
Expected<Code> ParseGsForm(std::string_view s, FieldSink sink) {
  std::size_t pos = 0;
  if (!s.empty() && s[0] == kGs) pos = 1;  // a leading FNC1 some scanners pass through
  while (pos < s.size()) {
    const std::string_view rest = s.substr(pos);
    if (rest[0] < '0' || rest[0] > '9') {
      return Refuse("trailing_garbage", "expected an AI, found '" + Shown(rest) + "'");
    }
    std::size_t ai_len = 0;
    const AiSpec* spec = MatchAiPrefix(rest, &ai_len);
    if (!spec) {
      return Refuse("unknown_ai",
                    "no AI this agent reads starts '" + Shown(rest.substr(0, 4)) + "'");
    }
    const std::string_view ai = rest.substr(0, ai_len);
    std::string_view value;
    std::size_t next = 0;
    if (PredefinedPrefix(ai)) {
      const std::size_t want = spec->max_len;
      value = rest.substr(ai_len, want);
      const std::size_t gs = value.find(kGs);
      if (gs != std::string_view::npos) value = value.substr(0, gs);
      if (value.size() < want) {
        return Refuse("truncated_field", "AI (" + std::string(ai) + ") " +
                                             std::string(spec->title) + " needs " +
                                             std::to_string(want) + " characters, got " +
                                             std::to_string(value.size()));
      }
      next = pos + ai_len + want;
      if (next < s.size() && s[next] == kGs) ++next;  // a redundant separator is harmless
    } else {
      const std::size_t gs = rest.find(kGs, ai_len);
      value =
          rest.substr(ai_len, gs == std::string_view::npos ? std::string_view::npos : gs - ai_len);
      next = gs == std::string_view::npos ? s.size() : pos + gs + 1;
    }
    if (auto ok = sink.Add(*spec, ai, value); !ok) return ok.error();
    pos = next;
  }
  return std::move(sink).Finish();
}

Expected<std::string> PercentDecode(std::string_view s) {
  auto decoded = sa::PercentDecode(s);
  if (!decoded) {
    return Refuse("bad_percent_encoding",
                  "a '%' is not followed by two hex digits in '" + Shown(s) + "'");
  }
  return std::move(*decoded);
}

namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(sep, start);
    parts.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

// Digital Link path AI names: the numeric AI or its convenience alias.
std::string_view PathAi(std::string_view segment) {
  if (segment == "01" || segment == "gtin") return "01";
  if (segment == "22" || segment == "cpv") return "22";
  if (segment == "10" || segment == "lot") return "10";
  if (segment == "21" || segment == "ser") return "21";
  return {};
}

int PathRank(std::string_view ai) {
  if (ai == "22") return 1;
  if (ai == "10") return 2;
  return 3;  // 21
}

}  // namespace

Expected<Code> ParseDigitalLink(std::string_view uri, const FieldSink& blank) {
  // scheme://authority/path?query#fragment
  const std::size_t scheme_end = uri.find("://");
  std::string_view rest = uri.substr(scheme_end + 3);
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  std::string_view query;
  if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  const std::size_t slash = rest.find('/');
  if (slash == 0 || rest.empty())
    return Refuse("unrecognised_format", "the web address has no host");
  if (slash == std::string_view::npos) {
    return Refuse("unrecognised_format",
                  "a web address that is not a GS1 Digital Link (no /01/{gtin} in its path)");
  }
  for (char c : rest.substr(0, slash)) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
      return Refuse("bad_character",
                    "the host of the web address has a space, control or "
                    "non-ASCII byte");
    }
  }
  std::vector<std::string_view> segs = Split(rest.substr(slash + 1), '/');
  if (!segs.empty() && segs.back().empty()) segs.pop_back();  // a trailing slash

  // The primary key may follow any path prefix (a resolver's own path): take
  // the first "01"/"gtin" segment followed by a GTIN-looking segment.
  std::size_t at = segs.size();
  for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
    const std::size_t len = segs[i + 1].size();
    if (PathAi(segs[i]) == "01" && AllDigits(segs[i + 1]) &&
        (len == 8 || len == 12 || len == 13 || len == 14)) {
      at = i;
      break;
    }
  }
  if (at == segs.size()) {
    // No well-sized GTIN: the first /01/{digits} is the key, and its length
    // is what is wrong with the label.
    for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
      if (PathAi(segs[i]) == "01" && AllDigits(segs[i + 1])) {
        at = i;
        break;
      }
    }
  }
  if (at == segs.size()) {
    return Refuse("unrecognised_format",
                  "a web address that is not a GS1 Digital Link (no /01/{gtin} in its path)");
  }
  FieldSink sink = blank;
  int last_rank = 0;
  for (std::size_t i = at; i < segs.size(); i += 2) {
    const std::string_view ai = PathAi(segs[i]);
    if (ai.empty() || (ai == "01" && i != at)) {
      return Refuse("trailing_garbage", "'/" + Shown(segs[i]) +
                                            "' after the product key is not a Digital Link "
                                            "key qualifier (22, 10, 21)");
    }
    if (i + 1 >= segs.size()) {
      return Refuse("truncated_field",
                    "Digital Link path ends at AI " + std::string(ai) + " without its value");
    }
    if (ai != "01") {
      const int rank = PathRank(ai);
      if (rank <= last_rank) {
        return Refuse(rank == last_rank ? "repeated_ai" : "ai_order",
                      "Digital Link qualifiers must appear once each, in the order 22, 10, 21; "
                      "AI " +
                          std::string(ai) + " is out of place");
      }
      last_rank = rank;
    }
    auto value = PercentDecode(segs[i + 1]);
    if (!value) return value.error();
    if (ai == "01") {
      // The path may carry a GTIN-8, -12 or -13; AI 01 is always 14 digits.
      auto gtin = NormaliseGtin(*value);
      if (!gtin) return gtin.error();
      *value = *gtin;
    }
    if (auto ok = sink.Add(*FindAi(ai), ai, *value); !ok) return ok.error();
  }
  if (!query.empty()) {
    for (std::string_view pair : Split(query, '&')) {
      if (pair.empty()) continue;
      const std::size_t eq = pair.find('=');
      auto key = PercentDecode(pair.substr(0, eq));
      if (!key) return key.error();
      if (!AllDigits(*key)) continue;  // non-GS1 parameters (utm_*, etc.) are ignored
      const AiSpec* spec = FindAi(*key);
      if (!spec)
        return Refuse("unknown_ai",
                      "query parameter " + Shown(*key) + " is not an AI this agent reads");
      if (*key == "01" || *key == "21" || *key == "10" || *key == "22") {
        return Refuse("repeated_ai",
                      "AI (" + *key + ") belongs in the Digital Link path, not the query");
      }
      auto value =
          PercentDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
      if (!value) return value.error();
      if (auto ok = sink.Add(*spec, *key, *value); !ok) return ok.error();
    }
  }
  return std::move(sink).Finish();
}

}  // namespace sa::codes
