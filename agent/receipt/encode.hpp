// SPDX-License-Identifier: Apache-2.0
// One character at a time into the printer's encoding. The layout
// (receipt.cpp) decides what a character is and how wide; this only turns
// it into bytes. Implemented over glibc's iconv in platform/iconv/, the only
// file of the module that includes it. Internal to sa_receipt.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "receipt.hpp"

namespace sa::receipt::detail {

class Encoder {
 public:
  explicit Encoder(Encoding encoding);
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  // The bytes of one character, given as one valid UTF-8 sequence; nothing
  // when the encoding lacks it (or iconv cannot convert to it at all).
  std::optional<std::string> Character(std::string_view utf8);

  // False when iconv could not be opened for the encoding.
  bool ok() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sa::receipt::detail
