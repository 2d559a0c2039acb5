// SPDX-License-Identifier: Apache-2.0
#include "qr.hpp"

namespace sa::qr {

std::string Svg(const Matrix& m, int module_px) {
  constexpr int kQuiet = 4;  // ISO/IEC 18004: four modules of light around the symbol
  const int side = (m.size + 2 * kQuiet) * module_px;
  const std::string px = std::to_string(side);
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" +
      px + "\" height=\"" + px + "\" viewBox=\"0 0 " + std::to_string(m.size + 2 * kQuiet) + " " +
      std::to_string(m.size + 2 * kQuiet) +
      "\" shape-rendering=\"crispEdges\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"";
  // One path of unit squares, run-length merged per row: far smaller than a rect per module.
  for (int y = 0; y < m.size; ++y) {
    for (int x = 0; x < m.size;) {
      if (!m.at(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < m.size && m.at(x + run, y)) ++run;
      out += "M" + std::to_string(x + kQuiet) + " " + std::to_string(y + kQuiet) + "h" +
             std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  out += "\"/>\n</svg>\n";
  return out;
}

}  // namespace sa::qr
