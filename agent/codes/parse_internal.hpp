// SPDX-License-Identifier: Apache-2.0
// Shared by the parsers of this module; not part of its public interface.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "codes.hpp"

namespace sa::codes {

enum class Charset { numeric, cset82, cset64 };

// What a value must mean beyond its characters and length: the GS1 syntax
// dictionary's linters that the agent applies.
enum class Lint {
  none,
  yymmd0,             // a date; DD 00 is the last day of the month (11-17)
  yymmdd,             // a date; DD 00 is refused (7006)
  yymmdd_opt_yymmdd,  // a date, or a date range of two (7007 harvest date)
  yymmdd_hhmm,        // a date and an hour and minute (7003)
  yymmddhh_opt_mmss,  // a date and an hour, then optionally minutes and seconds (8008)
  iso4217_amount,     // an ISO 4217 numeric currency, then an amount (391n, 393n)
  iso3166_list,       // one to five three-digit countries (423, 425)
};

struct AiSpec {
  std::string_view ai;
  std::size_t min_len;
  std::size_t max_len;
  Charset charset;
  Lint lint;
  std::string_view title;
};

Error Refuse(std::string code, std::string message);
bool AllDigits(std::string_view s);  // non-empty and 0-9 only
// The value of up to 18 digits (checked to be digits before).
std::int64_t DigitsValue(std::string_view digits);
std::int64_t Pow10(int n);
// A field quoted for a message: control bytes not echoed, cut at 40.
std::string Shown(std::string_view s);
const AiSpec* FindAi(std::string_view ai);
bool InCharset(char c, Charset cs);
// `day_zero_is_month_end`: GS1 dates of AIs 11-17 may say DD 00 for the last
// day of the month; other dates (7003, 7006, 8008) may not.
Expected<Date> ParseGs1Date(std::string_view yymmdd, int reference_year,
                            bool day_zero_is_month_end = true);
Expected<std::string> PercentDecode(std::string_view s);

// Collects AI values into a Code, checking each (charset, length, dates,
// check digits, repeats) the same way whatever form the label takes.
class FieldSink {
 public:
  FieldSink(Kind kind, int reference_year) : reference_year_(reference_year) { code_.kind = kind; }
  Expected<void> Add(const AiSpec& spec, std::string_view ai, std::string_view value);
  Expected<Code> Finish() &&;
  Code& code() { return code_; }

 private:
  Expected<void> TakeMeasure(std::string_view ai, std::string_view value);

  Code code_;
  std::set<std::string> seen_;
  int reference_year_;
  bool weight_in_kg_ = false;  // a 310n gave the weight: a 320n (lb) does not replace it
};

Expected<Code> ParseHumanForm(std::string_view s, FieldSink sink);
Expected<Code> ParseGsForm(std::string_view s, FieldSink sink);
Expected<Code> ParseDigitalLink(std::string_view uri, const FieldSink& blank);

// The layout that reads this EAN-13 (13 digits, check digit already good):
// the usable one (Problem() empty) with the longest matching prefix, or null.
const RcnLayout* FindRcnLayout(std::string_view ean13, const std::vector<RcnLayout>& layouts);
// Reads an in-store RCN-13 through its layout: the item's GTIN-14 and the
// price or weight printed in it.
Expected<Code> ReadRcn(std::string_view ean13, const RcnLayout& layout);

}  // namespace sa::codes
