// SPDX-License-Identifier: Apache-2.0
// Sales at the till, through the agent's local HTTP API:
//   storectl sale open|scan|member|complete|void|show|receipt|claim-url|print ...
//   storectl refund SALE SERIAL...
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "command_line.hpp"

namespace sa::storectl {

class SaleCommands : public CommandGroup {
 public:
  SaleCommands(CLI::App& app, Options& options);

 private:
  void AddOpenAndScan(CLI::App* sale);
  void AddPayment(CLI::App* sale);
  void AddReceipts(CLI::App& app, CLI::App* sale);

  Options& options_;
  std::string sale_id_, terminal_, payload_, override_manager_, override_reason_;
  std::string member_code_, member_phone_;
  std::optional<std::string> void_reason_;  // absent: no --reason
  std::vector<std::string> pays_, serials_;
  int width_ = 0;
};

}  // namespace sa::storectl
