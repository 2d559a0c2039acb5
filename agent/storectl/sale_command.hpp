// SPDX-License-Identifier: Apache-2.0
// Sales at the till, through the agent's local HTTP API:
//   storectl sale open|scan|member|complete|void|show|receipt|print ...
//   storectl refund SALE SERIAL...
#pragma once

#include <string>
#include <vector>

#include "command_line.hpp"

namespace CLI {
class Option;
}

namespace sa::storectl {

class SaleCommands : public CommandGroup {
 public:
  SaleCommands(CLI::App& app, Options& options);
  int Run() const override;

 private:
  void AddOpenAndScan(CLI::App* sale);
  void AddPayment(CLI::App* sale);
  void AddReceipts(CLI::App& app, CLI::App* sale);

  Options& options_;
  CLI::App* open_ = nullptr;
  CLI::App* scan_ = nullptr;
  CLI::App* member_ = nullptr;
  CLI::App* complete_ = nullptr;
  CLI::App* void_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* receipt_ = nullptr;
  CLI::App* refund_ = nullptr;
  CLI::App* print_ = nullptr;
  CLI::Option* void_reason_given_ = nullptr;
  std::string sale_id_, terminal_, payload_, override_manager_, override_reason_;
  std::string member_code_, member_phone_, void_reason_;
  std::vector<std::string> pays_, serials_;
  int width_ = 0;
};

}  // namespace sa::storectl
