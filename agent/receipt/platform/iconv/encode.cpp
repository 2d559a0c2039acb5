// SPDX-License-Identifier: Apache-2.0
// The printer's encoding through glibc's iconv (part of libc; the GB18030 and
// IBM437 gconv modules ship in Debian's libc6). No hand-written code tables.
#include "encode.hpp"

#include <iconv.h>

namespace sa::receipt::detail {
namespace {

// iconv's names for the encodings. Plain "CP437", not "CP437//TRANSLIT":
// transliteration depends on the locale and may turn one character into
// several ("EUR"), which would break the layout's columns.
const char* IconvName(Encoding encoding) {
  switch (encoding) {
    case Encoding::gb18030: return "GB18030";
    case Encoding::cp437: return "CP437";
    case Encoding::utf8: break;
  }
  return nullptr;
}

const iconv_t kNone = reinterpret_cast<iconv_t>(-1);

}  // namespace

struct Encoder::Impl {
  Encoding encoding;
  iconv_t cd = kNone;
};

Encoder::Encoder(Encoding encoding) : impl_(std::make_unique<Impl>()) {
  impl_->encoding = encoding;
  if (const char* name = IconvName(encoding)) impl_->cd = ::iconv_open(name, "UTF-8");
}

Encoder::~Encoder() {
  if (impl_->cd != kNone) ::iconv_close(impl_->cd);
}

bool Encoder::ok() const { return impl_->encoding == Encoding::utf8 || impl_->cd != kNone; }

std::optional<std::string> Encoder::Character(std::string_view utf8) {
  if (impl_->encoding == Encoding::utf8) return std::string(utf8);
  if (impl_->cd == kNone || utf8.empty()) return std::nullopt;
  std::string in(utf8);
  char out[16];  // one character: at most 4 bytes in GB18030, 1 in CP437
  char* in_p = in.data();
  std::size_t in_left = in.size();
  char* out_p = out;
  std::size_t out_left = sizeof out;
  const std::size_t rc = ::iconv(impl_->cd, &in_p, &in_left, &out_p, &out_left);
  // Stateless encodings, but a failed call may leave a partial state behind.
  ::iconv(impl_->cd, nullptr, nullptr, nullptr, nullptr);
  if (rc == static_cast<std::size_t>(-1) || in_left != 0 || out_p == out) return std::nullopt;
  return std::string(out, static_cast<std::size_t>(out_p - out));
}

}  // namespace sa::receipt::detail

namespace sa::receipt {

bool CanEncode(Encoding encoding) { return detail::Encoder(encoding).ok(); }

}  // namespace sa::receipt
