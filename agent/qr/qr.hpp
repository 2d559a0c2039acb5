// SPDX-License-Identifier: Apache-2.0
// QR codes drawn for screens: the receipt's claim URL as an SVG image (the
// cashier screen shows it for the customer's phone). ZXing-cpp's writer lives
// in platform/zxing/ only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base.hpp"

namespace sa::qr {

// A QR symbol's modules, row by row, without a quiet zone.
struct Matrix {
  int size = 0;            // modules per side
  std::vector<bool> dark;  // size * size, row-major
  bool at(int x, int y) const { return dark[static_cast<std::size_t>(y * size + x)]; }
};

// The smallest QR code (error correction M) holding `text` as UTF-8 bytes.
// invalid_request when it is empty or over 1024 bytes.
Expected<Matrix> Encode(std::string_view text);

// An SVG drawing of the symbol: one rect per dark module on a white
// background, a 4-module quiet zone, `module_px` pixels per module.
std::string Svg(const Matrix& m, int module_px = 4);

}  // namespace sa::qr
