// SPDX-License-Identifier: Apache-2.0
// ZXing-cpp's QR writer behind qr::Encode.
#define ZX_USE_UTF8 1
#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <exception>

#include "qr.hpp"

namespace sa::qr {

Expected<Matrix> Encode(std::string_view text) {
  if (text.empty() || text.size() > 1024) {
    return MakeError(ErrorKind::invalid_request, "invalid_qr_text", "a QR text is 1 to 1024 bytes");
  }
  try {
    // Width/height 0 and margin 0: one pixel per module, no quiet zone (Svg adds it).
    const ZXing::BitMatrix bits = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                                      .setMargin(0)
                                      .setEncoding(ZXing::CharacterSet::UTF8)
                                      .encode(std::string(text), 0, 0);
    Matrix m;
    m.size = bits.width();
    m.dark.resize(static_cast<std::size_t>(m.size) * static_cast<std::size_t>(m.size));
    for (int y = 0; y < m.size; ++y) {
      for (int x = 0; x < m.size; ++x)
        m.dark[static_cast<std::size_t>(y * m.size + x)] = bits.get(x, y);
    }
    return m;
  } catch (const std::exception& e) {
    return MakeError(ErrorKind::internal, "qr_encode_failed", e.what());
  }
}

}  // namespace sa::qr
