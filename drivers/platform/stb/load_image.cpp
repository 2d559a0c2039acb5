// SPDX-License-Identifier: Apache-2.0
// LoadImage over Debian's stb_image (the implementation is in libstb.so).
// stb converts to one 8-bit channel itself (16-bit PNGs and PGMs included).
#include <stb/stb_image.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "drivers.hpp"

namespace sa::drivers {
namespace {

// Larger than any camera or label scan; refused before stb allocates for it.
constexpr int kMaxSide = 16384;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
struct PixelsFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

}  // namespace

Expected<GrayImage> LoadImage(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return MakeError(ErrorKind::not_found, "not_found", "no such file: " + path);
    }
    return MakeError(ErrorKind::invalid_request, "unreadable_file",
                     "cannot read " + path + ": " + std::strerror(err));
  }
  int width = 0, height = 0, channels = 0;
  // stbi_info reads only the header; it rewinds the file for the load below.
  if (stbi_info_from_file(file.get(), &width, &height, &channels) == 0) {
    return MakeError(ErrorKind::invalid_request, "not_an_image",
                     path + " is not a PNG, JPEG or binary PGM/PPM image");
  }
  if (width <= 0 || height <= 0 || width > kMaxSide || height > kMaxSide) {
    return MakeError(ErrorKind::invalid_request, "not_an_image",
                     path + ": image of " + std::to_string(width) + "x" + std::to_string(height) +
                         " pixels is over the limit of " + std::to_string(kMaxSide) + " a side");
  }
  std::unique_ptr<stbi_uc, PixelsFree> pixels(
      stbi_load_from_file(file.get(), &width, &height, &channels, /*desired_channels=*/1));
  if (!pixels || width <= 0 || height <= 0) {
    const char* why = stbi_failure_reason();
    return MakeError(
        ErrorKind::invalid_request, "not_an_image",
        path + ": cannot decode the image" + (why ? std::string(" (") + why + ")" : ""));
  }
  GrayImage image;
  image.width = width;
  image.height = height;
  const std::size_t n = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  image.pixels.assign(pixels.get(), pixels.get() + n);
  return image;
}

}  // namespace sa::drivers
