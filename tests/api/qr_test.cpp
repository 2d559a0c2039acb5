// SPDX-License-Identifier: Apache-2.0
// qr::Encode and qr::Svg (the receipt's claim QR on screen): the matrix
// ZXing-cpp's writer makes decodes back to the text with ZXing's reader.
#define ZX_USE_UTF8 1
#include "qr.hpp"

#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

// The matrix as an 8-bit image: 4 px per module and a 4-module quiet zone.
std::string Decode(const sa::qr::Matrix& m) {
  constexpr int kScale = 4, kQuiet = 4;
  const int px = (m.size + 2 * kQuiet) * kScale;
  std::vector<std::uint8_t> image(static_cast<std::size_t>(px * px), 255);
  for (int y = 0; y < px; ++y) {
    for (int x = 0; x < px; ++x) {
      const int mx = x / kScale - kQuiet, my = y / kScale - kQuiet;
      if (mx >= 0 && my >= 0 && mx < m.size && my < m.size && m.at(mx, my)) {
        image[static_cast<std::size_t>(y * px + x)] = 0;
      }
    }
  }
  const auto r =
      ZXing::ReadBarcode(ZXing::ImageView(image.data(), px, px, ZXing::ImageFormat::Lum));
  return r.isValid() ? r.text() : std::string("(unreadable)");
}

}  // namespace

TEST_CASE("a claim URL encodes to a QR matrix that decodes back", "[qr]") {
  const std::string url = "https://claim.brand.example/c/AbCdEf0123456789_-xyz";
  auto m = sa::qr::Encode(url);
  REQUIRE(m);
  CHECK(m->size >= 21);
  CHECK((m->size - 17) % 4 == 0);  // a QR version's side: 17 + 4v
  CHECK(Decode(*m) == url);
  const std::string svg = sa::qr::Svg(*m);
  CHECK(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
  CHECK(svg.find("viewBox=\"0 0 " + std::to_string(m->size + 8)) != std::string::npos);
}

TEST_CASE("UTF-8 text survives the round trip", "[qr]") {
  auto m = sa::qr::Encode("会员 claim ✓");
  REQUIRE(m);
  CHECK(Decode(*m) == "会员 claim ✓");
}

TEST_CASE("empty and oversized texts are refused", "[qr][bad_input]") {
  CHECK(sa::qr::Encode("").error().code == "invalid_qr_text");
  CHECK(sa::qr::Encode(std::string(1025, 'a')).error().code == "invalid_qr_text");
}
