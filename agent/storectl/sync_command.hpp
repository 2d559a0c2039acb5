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
  int Run() const override;

 private:
  Options& options_;
  CLI::App* status_ = nullptr;
  CLI::App* token_ = nullptr;
  CLI::App* sync_status_ = nullptr;
  CLI::App* sync_now_ = nullptr;
  CLI::App* sync_ack_ = nullptr;
  std::string alert_id_;
};

}  // namespace sa::storectl
