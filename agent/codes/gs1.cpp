// SPDX-License-Identifier: Apache-2.0
// GS1 element strings, Digital Link URIs, plain GTINs and in-store RCN-13s.
// Application Identifier rules per the GS1 General Specifications (section 3
// for formats, 7.9 for check digits, 7.11 for character sets, 7.12 for
// dates), the GS1 barcode syntax dictionary (the same formats, and the pairs
// of AIs that may not appear together) and the GS1 Digital Link URI syntax
// 1.x (path order 01/22/10/21, query AIs).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

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

// The AIs the agent knows: those of the GS1 General Specifications (section
// 3; the GS1 barcode syntax dictionary gives the same formats) that a product
// label, a store's scale label or a logistic label the store receives may
// carry. Anything else in a label is unknown_ai: a store device refuses what
// it cannot read rather than guessing field boundaries. Not here: coupons
// (255, 8110-8112), and details no shop floor reads: ship-to and return
// addresses (4300-4333), defence, potency and medical test dates (7001,
// 7004, 7011), processors, refurbishing and certifications (7020-7242),
// rolls (8001), phone and bank details (8002, 8007), sensors, component and
// service numbers (8009-8011, 8017-8019, 8026).
constexpr auto kTable = std::to_array<AiSpec>({
    {"00", 18, 18, Charset::numeric, Lint::none, "SSCC"},
    {"01", 14, 14, Charset::numeric, Lint::none, "GTIN"},
    {"02", 14, 14, Charset::numeric, Lint::none, "CONTENT"},
    {"10", 1, 20, Charset::cset82, Lint::none, "BATCH/LOT"},
    {"11", 6, 6, Charset::numeric, Lint::yymmd0, "PROD DATE"},
    {"12", 6, 6, Charset::numeric, Lint::yymmd0, "DUE DATE"},
    {"13", 6, 6, Charset::numeric, Lint::yymmd0, "PACK DATE"},
    {"15", 6, 6, Charset::numeric, Lint::yymmd0, "BEST BEFORE"},
    {"16", 6, 6, Charset::numeric, Lint::yymmd0, "SELL BY"},
    {"17", 6, 6, Charset::numeric, Lint::yymmd0, "USE BY/EXPIRY"},
    {"20", 2, 2, Charset::numeric, Lint::none, "VARIANT"},
    {"21", 1, 20, Charset::cset82, Lint::none, "SERIAL"},
    {"22", 1, 20, Charset::cset82, Lint::none, "CPV"},
    {"235", 1, 28, Charset::cset82, Lint::none, "TPX"},
    {"240", 1, 30, Charset::cset82, Lint::none, "ADDITIONAL ID"},
    {"241", 1, 30, Charset::cset82, Lint::none, "CUST. PART No."},
    {"242", 1, 6, Charset::numeric, Lint::none, "MTO VARIANT"},
    {"243", 1, 20, Charset::cset82, Lint::none, "PCN"},
    {"250", 1, 30, Charset::cset82, Lint::none, "SECONDARY SERIAL"},
    {"251", 1, 30, Charset::cset82, Lint::none, "REF. TO SOURCE"},
    {"253", 14, 30, Charset::cset82, Lint::none, "GDTI"},
    {"254", 1, 20, Charset::cset82, Lint::none, "GLN EXTENSION"},
    {"30", 1, 8, Charset::numeric, Lint::none, "VAR. COUNT"},
    {"37", 1, 8, Charset::numeric, Lint::none, "COUNT"},
    {"400", 1, 30, Charset::cset82, Lint::none, "ORDER NUMBER"},
    {"401", 1, 30, Charset::cset82, Lint::none, "GINC"},
    {"402", 17, 17, Charset::numeric, Lint::none, "GSIN"},
    {"403", 1, 30, Charset::cset82, Lint::none, "ROUTE"},
    {"410", 13, 13, Charset::numeric, Lint::none, "SHIP TO LOC"},
    {"411", 13, 13, Charset::numeric, Lint::none, "BILL TO"},
    {"412", 13, 13, Charset::numeric, Lint::none, "PURCHASE FROM"},
    {"413", 13, 13, Charset::numeric, Lint::none, "SHIP FOR LOC"},
    {"414", 13, 13, Charset::numeric, Lint::none, "LOC No."},
    {"415", 13, 13, Charset::numeric, Lint::none, "PAY TO"},
    {"416", 13, 13, Charset::numeric, Lint::none, "PROD/SERV LOC"},
    {"420", 1, 20, Charset::cset82, Lint::none, "SHIP TO POST"},
    // Countries of origin and processing, as meat and fish labels print them.
    {"422", 3, 3, Charset::numeric, Lint::none, "ORIGIN"},
    {"423", 3, 15, Charset::numeric, Lint::iso3166_list, "COUNTRY - INITIAL PROCESS"},
    {"424", 3, 3, Charset::numeric, Lint::none, "COUNTRY - PROCESS"},
    {"425", 3, 15, Charset::numeric, Lint::iso3166_list, "COUNTRY - DISASSEMBLY"},
    {"426", 3, 3, Charset::numeric, Lint::none, "COUNTRY - FULL PROCESS"},
    {"427", 1, 3, Charset::cset82, Lint::none, "ORIGIN SUBDIVISION"},
    // Fresh food: meat cut, use-by time, fish catch details.
    {"7002", 1, 30, Charset::cset82, Lint::none, "MEAT CUT"},
    {"7003", 10, 10, Charset::numeric, Lint::yymmdd_hhmm, "EXPIRY TIME"},
    {"7005", 1, 12, Charset::cset82, Lint::none, "CATCH AREA"},
    {"7006", 6, 6, Charset::numeric, Lint::yymmdd, "FIRST FREEZE DATE"},
    {"7007", 6, 12, Charset::numeric, Lint::yymmdd_opt_yymmdd, "HARVEST DATE"},
    {"7008", 1, 3, Charset::cset82, Lint::none, "AQUATIC SPECIES"},
    {"7009", 1, 10, Charset::cset82, Lint::none, "FISHING GEAR TYPE"},
    {"7010", 1, 2, Charset::cset82, Lint::none, "PROD METHOD"},
    // National healthcare reimbursement numbers, on pharmacy packs.
    {"710", 1, 20, Charset::cset82, Lint::none, "NHRN PZN"},
    {"711", 1, 20, Charset::cset82, Lint::none, "NHRN CIP"},
    {"712", 1, 20, Charset::cset82, Lint::none, "NHRN CN"},
    {"713", 1, 20, Charset::cset82, Lint::none, "NHRN DRN"},
    {"714", 1, 20, Charset::cset82, Lint::none, "NHRN AIM"},
    {"715", 1, 20, Charset::cset82, Lint::none, "NHRN NDC"},
    {"8003", 14, 30, Charset::cset82, Lint::none, "GRAI"},
    {"8004", 1, 30, Charset::cset82, Lint::none, "GIAI"},
    {"8005", 6, 6, Charset::numeric, Lint::none, "PRICE PER UNIT"},
    {"8006", 18, 18, Charset::numeric, Lint::none, "ITIP"},
    {"8008", 8, 12, Charset::numeric, Lint::yymmddhh_opt_mmss, "PROD TIME"},
    {"8012", 1, 20, Charset::cset82, Lint::none, "VERSION"},
    {"8013", 1, 25, Charset::cset82, Lint::none, "GMN"},
    {"8020", 1, 25, Charset::cset82, Lint::none, "REF No."},
    {"8030", 1, 90, Charset::cset64, Lint::none, "DIGSIG"},
    {"8200", 1, 70, Charset::cset82, Lint::none, "PRODUCT URL"},
});

// AIs nnnd whose last digit d is the decimal point position: the first three
// digits name the family, and d may only go up to max_decimals.
struct DecimalFamily {
  int first;  // the family's first three digits, e.g. 310 ... 316
  int last;
  char max_decimals;
  AiSpec spec;
};

// Trade measures 310n-369n are n6; the weight families a scale prints get
// their own titles for messages. Amounts 390n-395n:
// 390n and 392n up to 15 digits, 391n and 393n an ISO 4217 numeric currency
// and then up to 15 digits, 394n a 4-digit percentage, 395n a 6-digit price
// per unit of measure. None of 39nn has a predefined length: each needs FNC1
// (GS) after it unless it ends the label.
constexpr auto kDecimalFamilies = std::to_array<DecimalFamily>({
    {310, 310, '5', {"310n", 6, 6, Charset::numeric, Lint::none, "NET WEIGHT (kg)"}},
    {311, 316, '5', {"31nn", 6, 6, Charset::numeric, Lint::none, "MEASURE"}},
    {320, 320, '5', {"320n", 6, 6, Charset::numeric, Lint::none, "NET WEIGHT (lb)"}},
    {321, 337, '5', {"3nnn", 6, 6, Charset::numeric, Lint::none, "MEASURE"}},
    {340, 357, '5', {"3nnn", 6, 6, Charset::numeric, Lint::none, "MEASURE"}},
    {360, 369, '5', {"36nn", 6, 6, Charset::numeric, Lint::none, "MEASURE"}},
    {390, 390, '9', {"390n", 1, 15, Charset::numeric, Lint::none, "AMOUNT"}},
    {391, 391, '9', {"391n", 4, 18, Charset::numeric, Lint::iso4217_amount, "AMOUNT"}},
    {392, 392, '9', {"392n", 1, 15, Charset::numeric, Lint::none, "PRICE"}},
    {393, 393, '9', {"393n", 4, 18, Charset::numeric, Lint::iso4217_amount, "PRICE"}},
    {394, 394, '3', {"394n", 4, 4, Charset::numeric, Lint::none, "PRCNT OFF"}},
    {395, 395, '5', {"395n", 6, 6, Charset::numeric, Lint::none, "PRICE/UoM"}},
});

// Company internal 91..99 and 90: an..90 / an..30.
constexpr AiSpec kInternal{"9n", 1, 90, Charset::cset82, Lint::none, "INTERNAL"};
constexpr AiSpec kMutual{"90", 1, 30, Charset::cset82, Lint::none, "INTERNAL"};

// Pairs GS1 forbids in one label (the syntax dictionary's ex=) because they
// say the same thing twice. 'n' matches any digit. Two AIs of one decimal
// family (3102 and 3103) are refused as well, by FieldSink::Add.
struct InvalidPair {
  std::string_view a;
  std::string_view b;
  std::string_view why;
};
constexpr auto kInvalidPairs = std::to_array<InvalidPair>({
    {"392n", "393n", "both give the amount payable"},
    {"395n", "392n", "a price per unit and an amount payable may not be combined"},
    {"395n", "393n", "a price per unit and an amount payable may not be combined"},
    {"395n", "8005", "both give the price per unit"},
    {"390n", "391n", "both give the amount payable"},
    {"390n", "394n", "an amount and a percentage off may not be combined"},
});

// ISO 4217 numeric currency codes, as the GS1 syntax engine's iso4217 linter
// lists them (its 2024 list). Sorted.
constexpr auto kIso4217 = std::to_array<short>({
    8,   12,  32,  36,  44,  48,  50,  51,  52,  60,  64,  68,  72,  84,  90,  96,  104, 108,
    116, 124, 132, 136, 144, 152, 156, 170, 174, 188, 192, 203, 208, 214, 222, 230, 232, 238,
    242, 262, 270, 292, 320, 324, 328, 332, 340, 344, 348, 352, 356, 360, 364, 368, 376, 388,
    392, 396, 398, 400, 404, 408, 410, 414, 417, 418, 422, 426, 430, 434, 446, 454, 458, 462,
    480, 484, 496, 498, 504, 512, 516, 524, 532, 533, 548, 554, 558, 566, 578, 586, 590, 598,
    600, 604, 608, 634, 643, 646, 654, 682, 690, 702, 704, 706, 710, 728, 748, 752, 756, 760,
    764, 776, 780, 784, 788, 800, 807, 818, 826, 834, 840, 858, 860, 882, 886, 901, 924, 925,
    926, 927, 928, 929, 930, 933, 934, 936, 938, 940, 941, 943, 944, 946, 947, 948, 949, 950,
    951, 952, 953, 955, 956, 957, 958, 959, 960, 961, 962, 963, 964, 965, 967, 968, 969, 970,
    971, 972, 973, 975, 976, 977, 978, 979, 980, 981, 984, 985, 986, 990, 994, 997, 999,
});

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

bool IsIso4217(std::string_view three_digits) {
  if (three_digits.size() != 3 || !AllDigits(three_digits)) return false;
  return std::binary_search(kIso4217.begin(), kIso4217.end(),
                            static_cast<short>(DigitsValue(three_digits)));
}

// "hh", "hhmm" or "hhmmss": an hour 00-23, minutes and seconds 00-59.
bool TimeOk(std::string_view hhmmss) {
  for (std::size_t i = 0; i + 1 < hhmmss.size(); i += 2) {
    const int v = (hhmmss[i] - '0') * 10 + (hhmmss[i + 1] - '0');
    if (v > (i == 0 ? 23 : 59)) return false;
  }
  return true;
}

// True when `ai` fits `pattern`, whose 'n's stand for any digit.
bool FitsPattern(std::string_view pattern, std::string_view ai) {
  if (pattern.size() != ai.size()) return false;
  for (std::size_t i = 0; i < ai.size(); ++i) {
    if (pattern[i] != 'n' && pattern[i] != ai[i]) return false;
  }
  return true;
}

// A label may say each thing once: two AIs of one decimal family, or a pair
// GS1 forbids together, are repeated_ai.
Expected<void> CheckPairs(std::string_view ai, const std::set<std::string>& seen) {
  for (const std::string& other : seen) {
    if (other == ai) continue;
    if (ai.size() == 4 && other.size() == 4 && ai[0] == '3' &&
        ai.substr(0, 3) == other.substr(0, 3)) {
      return Refuse("repeated_ai", "AI (" + other + ") and AI (" + std::string(ai) +
                                       ") give one measure twice, with different decimals");
    }
    for (const auto& pair : kInvalidPairs) {
      if ((FitsPattern(pair.a, ai) && FitsPattern(pair.b, other)) ||
          (FitsPattern(pair.b, ai) && FitsPattern(pair.a, other))) {
        return Refuse("repeated_ai", "AI (" + other + ") and AI (" + std::string(ai) +
                                         ") may not be in one label: " + std::string(pair.why));
      }
    }
  }
  return {};
}

}  // namespace

Error Refuse(std::string code, std::string message) {
  return MakeError(ErrorKind::refused, std::move(code), std::move(message));
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
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

// The value of up to 18 digits (checked to be digits before).
std::int64_t DigitsValue(std::string_view digits) {
  std::int64_t v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

std::int64_t Pow10(int n) {
  std::int64_t p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

const AiSpec* FindAi(std::string_view ai) {
  for (const auto& spec : kTable) {
    if (spec.ai == ai) return &spec;
  }
  if (ai.size() == 4 && AllDigits(ai) && ai[0] == '3') {
    const int family = (ai[0] - '0') * 100 + (ai[1] - '0') * 10 + (ai[2] - '0');
    for (const auto& f : kDecimalFamilies) {
      if (family >= f.first && family <= f.last && ai[3] <= f.max_decimals) return &f.spec;
    }
    return nullptr;
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
  const std::string title = "AI (" + ai_str + ") " + std::string(spec.title);
  if (!seen_.insert(ai_str).second) {
    return Refuse("repeated_ai", "AI (" + ai_str + ") appears twice in one label");
  }
  if (auto ok = CheckPairs(ai, seen_); !ok) return ok.error();
  if (value.empty()) {
    return Refuse("truncated_field", title + " has no value");
  }
  for (char c : value) {
    if (!InCharset(c, spec.charset)) {
      const auto u = static_cast<unsigned char>(c);
      std::string what =
          (u < 0x20 || u >= 0x7F) ? "a control or non-ASCII byte" : std::string("'") + c + "'";
      return Refuse("bad_character", title + " may not contain " + what);
    }
  }
  if (value.size() < spec.min_len) {
    return Refuse("truncated_field", title + " needs " + std::to_string(spec.min_len) +
                                         " characters, got " + std::to_string(value.size()));
  }
  if (value.size() > spec.max_len) {
    return Refuse("field_too_long", title + " allows at most " + std::to_string(spec.max_len) +
                                        " characters, got " + std::to_string(value.size()));
  }
  std::optional<Date> date;
  auto dated = [&](std::string_view yymmdd, bool day_zero_is_month_end) -> Expected<void> {
    auto d = ParseGs1Date(yymmdd, reference_year_, day_zero_is_month_end);
    if (!d) return d.error().WithContext("AI (" + ai_str + ")");
    if (!date) date = *d;
    return {};
  };
  auto lengths = [&](std::string_view which) {
    return Refuse("truncated_field", title + " is " + std::string(which) + ", not " +
                                         std::to_string(value.size()) + " digits");
  };
  Expected<void> linted;
  switch (spec.lint) {
    case Lint::none: break;
    case Lint::yymmd0: linted = dated(value, true); break;
    case Lint::yymmdd: linted = dated(value, false); break;
    case Lint::yymmdd_opt_yymmdd:
      if (value.size() != 6 && value.size() != 12) return lengths("a date or two (6 or 12 digits)");
      linted = dated(value.substr(0, 6), false);
      if (linted && value.size() == 12) linted = dated(value.substr(6), false);
      break;
    case Lint::yymmdd_hhmm:
    case Lint::yymmddhh_opt_mmss:
      if (spec.lint == Lint::yymmddhh_opt_mmss && value.size() % 2 != 0) {
        return lengths("YYMMDDHH, then MM or MMSS (8, 10 or 12 digits)");
      }
      linted = dated(value.substr(0, 6), false);
      if (linted && !TimeOk(value.substr(6))) {
        return Refuse("invalid_date", title + " has a time of day that does not exist");
      }
      break;
    case Lint::iso4217_amount:
      if (!IsIso4217(value.substr(0, 3))) {
        return Refuse("bad_amount", title + " starts with currency " +
                                        std::string(value.substr(0, 3)) +
                                        ", which is no ISO 4217 currency");
      }
      break;
    case Lint::iso3166_list:
      if (value.size() % 3 != 0) return lengths("one to five 3-digit countries");
      break;
  }
  if (!linted) return linted.error();
  if (ai == "00" || ai == "02" || (ai.size() == 3 && ai.substr(0, 2) == "41" && ai[2] <= '6')) {
    // SSCC, content GTIN and GLNs carry a GS1 mod-10 check digit too.
    if (!Gs1CheckDigitOk(value)) {
      return Refuse("bad_check_digit", title + " has a wrong check digit");
    }
  }
  if (auto ok = TakeMeasure(ai, value); !ok) return ok.error();
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

Expected<Date> ParseGs1Date(std::string_view yymmdd, int reference_year,
                            bool day_zero_is_month_end) {
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
  if (dd == 0 && !day_zero_is_month_end) {
    return Refuse("invalid_date",
                  "date " + std::string(yymmdd) + " has day 00, which this AI does not allow");
  }
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
