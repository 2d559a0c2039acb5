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
  int Run() const override;

 private:
  Options& options_;
  CLI::App* cashier_add_ = nullptr;
  CLI::App* cashier_list_ = nullptr;
  CLI::App* cashier_pin_ = nullptr;
  CLI::App* cashier_remove_ = nullptr;
  CLI::App* shift_open_ = nullptr;
  CLI::App* shift_close_ = nullptr;
  CLI::App* shift_report_ = nullptr;
  CLI::App* shift_list_ = nullptr;
  std::string id_, name_, role_, pin_, terminal_, amount_, status_;
};

}  // namespace sa::storectl
