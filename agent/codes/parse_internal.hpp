// SPDX-License-Identifier: Apache-2.0
// Shared by the parsers of this module; not part of its public interface.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "codes.hpp"

namespace sa::codes {

enum class Charset { numeric, cset82, cset64 };

struct AiSpec {
  std::string_view ai;
  std::size_t min_len;
  std::size_t max_len;
  Charset charset;
  bool is_date;
  std::string_view title;
};

Error Refuse(std::string code, std::string message);
const AiSpec* FindAi(std::string_view ai);
bool InCharset(char c, Charset cs);
Expected<Date> ParseGs1Date(std::string_view yymmdd, int reference_year);
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
  Code code_;
  std::set<std::string> seen_;
  int reference_year_;
};

Expected<Code> ParseHumanForm(std::string_view s, FieldSink sink);
Expected<Code> ParseGsForm(std::string_view s, FieldSink sink);
Expected<Code> ParseDigitalLink(std::string_view uri, const FieldSink& blank);

}  // namespace sa::codes
