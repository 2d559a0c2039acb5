// SPDX-License-Identifier: Apache-2.0
// Orders the OMS routed to this store (ship from store, pickup), through the
// agent's local HTTP API:
//   storectl order list [--all]
//   storectl order show|accept|reject|pick|ship|handover|release ID ...
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "command_line.hpp"

namespace sa::storectl {

class OrderCommands : public CommandGroup {
 public:
  OrderCommands(CLI::App& app, Options& options);

 private:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  // A command on one order: it takes the order's id first.
  CLI::App* AddOrderCommand(CLI::App* order, const std::string& name, const std::string& what,
                            std::function<int()> run);
  // {"reason": ...} when --reason was given, else nothing.
  Fields ReasonIfGiven() const;

  Options& options_;
  std::string id_, payload_, carrier_, tracking_, pickup_code_;
  std::optional<std::string> reason_;
  bool all_ = false;
};

}  // namespace sa::storectl
