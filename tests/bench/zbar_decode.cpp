// SPDX-License-Identifier: Apache-2.0
#include "zbar_decode.hpp"

#include <zbar.h>

#include <chrono>

// In C++, zbar.h declares its C API inside namespace zbar.
using namespace zbar;  // NOLINT(google-build-using-namespace)

namespace sa::bench {

ZbarRun ZbarDecodeFrames(const std::uint8_t* gray, int width, int height, int n) {
  zbar_image_scanner_t* scanner = zbar_image_scanner_create();
  // QR only, as our decoder is configured by default.
  zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  ZbarRun run;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    // A fresh image each time: ZBar caches results on an image it has scanned.
    zbar_image_t* image = zbar_image_create();
    zbar_image_set_format(image, 0x30303859u);  // fourcc "Y800": 8-bit gray
    zbar_image_set_size(image, static_cast<unsigned>(width), static_cast<unsigned>(height));
    zbar_image_set_data(image, gray,
                        static_cast<unsigned long>(width) * static_cast<unsigned long>(height),
                        nullptr);
    if (zbar_scan_image(scanner, image) > 0) ++run.decoded;
    zbar_image_destroy(image);
  }
  const std::chrono::duration<double, std::milli> spent = std::chrono::steady_clock::now() - t0;
  run.ms_per_frame = spent.count() / n;
  zbar_image_scanner_destroy(scanner);
  return run;
}

}  // namespace sa::bench
