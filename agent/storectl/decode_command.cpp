// SPDX-License-Identifier: Apache-2.0
#include "decode_command.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "drivers.hpp"

namespace sa::storectl {

using nlohmann::json;

DecodeCommand::DecodeCommand(CLI::App& app, Options& options) : options_(options) {
  auto* sub = AddCommand(
      &app, "decode",
      "Print the codes in image files (PNG, JPEG, binary PGM/PPM), read as the camera reads "
      "frames: QR codes only unless --format says otherwise. Needs no agent.\n"
      "Prints FILE<TAB>FORMAT<TAB>PAYLOAD per code, or with --json "
      "[{\"file\",\"format\",\"payload\"},...]; a file without a code adds nothing.",
      [this] { return Decode(); });
  sub->add_option("IMAGE", files_, "Image files")->required();
  sub->add_flag("--json", options_.json, "Print a JSON array");
  sub->add_option("--format", formats_,
                  "A ZXing-cpp format name to look for (QRCode, DataMatrix, EAN13, Code128, ...); "
                  "repeat for several (default: QRCode)");
  sub->add_flag("--try-harder", try_harder_,
                "Spend more time: also rotated, inverted (light on dark) and hard-to-find codes");
  sub->footer(
      "Exit codes: 0 ok (also when no code is found), 1 usage (an unknown format), "
      "3 a file missing or not an image.");
}

int DecodeCommand::Decode() const {
  drivers::DecodeOptions decode;
  if (!formats_.empty()) decode.formats = formats_;
  if (try_harder_) decode.try_harder = decode.try_rotate = decode.try_invert = true;
  if (auto ok = drivers::CheckDecodeOptions(decode); !ok)
    return Fail(options_, kExitUsage, ok.error());

  // Every file is read before anything is printed: a bad file is the only output.
  json found = json::array();
  for (const auto& file : files_) {
    auto image = drivers::LoadImage(file);
    if (!image) return Fail(options_, kExitRejected, image.error());
    for (auto& d : drivers::DecodeImage(*image, decode)) {
      found.push_back(
          {{"file", file}, {"format", std::move(d.format)}, {"payload", std::move(d.payload)}});
    }
  }
  if (options_.json) {
    std::cout << found.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    for (const auto& d : found) {
      std::cout << d["file"].get<std::string>() << "\t" << d["format"].get<std::string>() << "\t"
                << d["payload"].get<std::string>() << "\n";
    }
  }
  return kExitOk;
}

}  // namespace sa::storectl
