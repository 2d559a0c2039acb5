// SPDX-License-Identifier: Apache-2.0
// DecodeImage over ZXing-cpp 1.4. The image is handed to ZXing as a view of
// our own buffer (no copy); hints follow DecodeOptions exactly, because
// ZXing's defaults (tryHarder, tryRotate, every format) cost several times
// the plain decode on a camera frame.
#define ZX_USE_UTF8 1
#include <ZXing/BarcodeFormat.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <exception>
#include <set>

#include "drivers.hpp"

namespace sa::drivers {
namespace {

// "QRCode" -> QRCode; None when ZXing does not know the name (or it names
// no single format, like "None").
ZXing::BarcodeFormat FormatByName(const std::string& name) {
  try {
    return ZXing::BarcodeFormatFromString(name);
  } catch (const std::exception&) {
    return ZXing::BarcodeFormat::None;
  }
}

ZXing::DecodeHints HintsFor(const DecodeOptions& options) {
  ZXing::BarcodeFormats formats;
  for (const auto& name : options.formats) formats |= FormatByName(name);
  ZXing::DecodeHints hints;
  hints.setFormats(formats)
      .setTryHarder(options.try_harder)
      .setTryRotate(options.try_rotate)
      .setBinarizer(options.binarize_local ? ZXing::Binarizer::LocalAverage
                                           : ZXing::Binarizer::GlobalHistogram);
  return hints;
}

void Collect(const ZXing::Results& results, std::vector<Decoded>& out,
             std::set<std::pair<std::string, std::string>>& seen) {
  for (const auto& r : results) {
    if (!r.isValid()) continue;
    Decoded d{ZXing::ToString(r.format()), r.text()};
    if (seen.emplace(d.format, d.payload).second) out.push_back(std::move(d));
  }
}

}  // namespace

Expected<void> CheckDecodeOptions(const DecodeOptions& options) {
  if (options.formats.empty()) {
    // An empty set would make ZXing look for every format: say so instead.
    return MakeError(ErrorKind::invalid_request, "bad_format", "no barcode format given");
  }
  for (const auto& name : options.formats) {
    if (FormatByName(name) == ZXing::BarcodeFormat::None) {
      return MakeError(ErrorKind::invalid_request, "bad_format",
                       "unknown barcode format \"" + name +
                           "\" (ZXing-cpp names: QRCode, MicroQRCode, DataMatrix, Aztec, PDF417, "
                           "EAN13, EAN8, UPCA, UPCE, Code128, Code39, Code93, Codabar, ITF, "
                           "DataBar, DataBarExpanded, MaxiCode)");
    }
  }
  return {};
}

std::vector<Decoded> DecodeImage(const GrayImage& image, const DecodeOptions& options) {
  std::vector<Decoded> out;
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() <
          static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height)) {
    return out;
  }
  const auto hints = HintsFor(options);
  if (hints.formats().empty()) return out;  // only unknown names: nothing to look for
  std::set<std::pair<std::string, std::string>> seen;
  try {
    const ZXing::ImageView view(image.pixels.data(), image.width, image.height,
                                ZXing::ImageFormat::Lum);
    Collect(ZXing::ReadBarcodes(view, hints), out, seen);
    if (options.try_invert) {
      // ZXing 1.4 has no tryInvert hint: light codes on a dark ground are
      // read from an inverted copy (made only when asked).
      std::vector<std::uint8_t> inverted(
          image.pixels.begin(),
          image.pixels.begin() + static_cast<std::ptrdiff_t>(view.width() * view.height()));
      for (auto& p : inverted) p = static_cast<std::uint8_t>(255 - p);
      const ZXing::ImageView inv(inverted.data(), image.width, image.height,
                                 ZXing::ImageFormat::Lum);
      Collect(ZXing::ReadBarcodes(inv, hints), out, seen);
    }
  } catch (const std::exception&) {
    // A library fault on one frame must not take the worker down; the frame
    // simply yields nothing.
  }
  return out;
}

}  // namespace sa::drivers
