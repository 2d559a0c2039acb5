// SPDX-License-Identifier: Apache-2.0
// The shop floor, through the agent's local HTTP API: the scanner sources,
// what each terminal's scanners do, and the stock they receive and count:
//   storectl scanners
//   storectl terminal show|mode|count TERMINAL ...
//   storectl stock show|receive|count ...
#pragma once

#include <cstdint>
#include <string>

#include "command_line.hpp"

namespace sa::storectl {

class StockCommands : public CommandGroup {
 public:
  StockCommands(CLI::App& app, Options& options);

 private:
  void AddTerminals(CLI::App& app);
  void AddStock(CLI::App& app);

  Options& options_;
  std::string terminal_id_, mode_, order_id_, gtin_, payload_;
  bool discard_ = false;
  std::int64_t counted_ = 0;
};

}  // namespace sa::storectl
