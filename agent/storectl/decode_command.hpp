// SPDX-License-Identifier: Apache-2.0
// `storectl decode IMAGE... [--json] [--format NAME ...] [--try-harder]`:
// the codes in image files, read the way the camera reads frames (sa_drivers'
// LoadImage + DecodeImage). Offline: needs no agent and no data directory.
#pragma once

#include <string>
#include <vector>

#include "command_line.hpp"

namespace sa::storectl {

class DecodeCommand : public CommandGroup {
 public:
  // Adds the `decode` subcommand to `app`; `options` carries --json.
  DecodeCommand(CLI::App& app, Options& options);

 private:
  // Exit 0 (codes printed, none found included), 1 bad --format, 3 a file
  // missing or not an image (nothing else printed).
  int Decode() const;

  Options& options_;
  std::vector<std::string> files_;
  std::vector<std::string> formats_;
  bool try_harder_ = false;
};

}  // namespace sa::storectl
