// SPDX-License-Identifier: Apache-2.0
// Orders the OMS routed to this store (ship from store, pickup), through the
// agent's local HTTP API:
//   storectl order list [--all]
//   storectl order show|accept|reject|pick|ship|handover|release ID ...
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "command_line.hpp"

namespace CLI {
class Option;
}

namespace sa::storectl {

class OrderCommands : public CommandGroup {
 public:
  OrderCommands(CLI::App& app, Options& options);
  int Run() const override;

 private:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  // A command that takes the order's id; its own options follow.
  CLI::App* AddOrderCommand(CLI::App* order, const std::string& name, const std::string& what);
  // {"reason": ...} when `option` was given, else nothing.
  Fields ReasonIfGiven(const CLI::Option* option) const;

  Options& options_;
  CLI::App* list_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* accept_ = nullptr;
  CLI::App* reject_ = nullptr;
  CLI::App* pick_ = nullptr;
  CLI::App* ship_ = nullptr;
  CLI::App* handover_ = nullptr;
  CLI::App* release_ = nullptr;
  CLI::Option* reject_reason_ = nullptr;
  CLI::Option* release_reason_ = nullptr;
  std::string id_, payload_, reason_, carrier_, tracking_, pickup_code_;
  bool all_ = false;
};

}  // namespace sa::storectl
