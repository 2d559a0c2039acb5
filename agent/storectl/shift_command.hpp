// SPDX-License-Identifier: Apache-2.0
// `storectl cashier add|list|pin|remove` and `storectl shift
// open|close|report|list` (issue 9), through the agent's API with its token.
// Amounts are in yuan like `sale complete` (20000 fen = 200).
#pragma once

#include <string>

#include "command_line.hpp"

namespace sa::storectl {

class ShiftCommands : public CommandGroup {
 public:
  ShiftCommands(CLI::App& app, Options& options);

 private:
  void AddCashiers(CLI::App& app);
  void AddShifts(CLI::App& app);

  Options& options_;
  std::string id_, name_, role_, pin_, terminal_, amount_, status_;
};

}  // namespace sa::storectl
