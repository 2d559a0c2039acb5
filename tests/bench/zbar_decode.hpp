// SPDX-License-Identifier: Apache-2.0
// ZBar's QR reader on a gray frame, for sa-bench decode. zbar.h and ZXing's
// headers cannot share a translation unit, so this one holds ZBar alone.
#pragma once

#include <cstdint>

namespace sa::bench {

struct ZbarRun {
  double ms_per_frame = 0;
  int decoded = 0;  // frames in which ZBar found a QR code
};

// Scans the frame (8-bit gray, stride = width) n times, QR codes only.
ZbarRun ZbarDecodeFrames(const std::uint8_t* gray, int width, int height, int n);

}  // namespace sa::bench
