// SPDX-License-Identifier: Apache-2.0
// The agent's health and its cloud sync, through its local HTTP API:
//   storectl status
//   storectl token                 (the API token, for curl)
//   storectl sync status|now|ack ALERT_ID
#pragma once

#include <string>

#include "command_line.hpp"

namespace sa::storectl {

class SyncCommands : public CommandGroup {
 public:
  SyncCommands(CLI::App& app, Options& options);

 private:
  Options& options_;
  std::string alert_id_;
};

}  // namespace sa::storectl
