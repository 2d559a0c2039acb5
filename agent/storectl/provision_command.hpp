// SPDX-License-Identifier: Apache-2.0
// The field engineer's commands (offline, no agent needed):
//   storectl config check FILE
//   storectl provision --store S --device D --role R --brand-key PEM --out PATH [...]
//   storectl provision verify PATH --brand-key PUB.pem
//   storectl flash --bundle PATH --rootfs DIR --brand-key PUB.pem
#pragma once

#include <string>
#include <vector>

#include "command_line.hpp"

namespace sa::storectl {

class ProvisionCommands : public CommandGroup {
 public:
  ProvisionCommands(CLI::App& app, Options& options);

 private:
  int ConfigCheck() const;
  int Provision() const;
  int Verify() const;
  int Flash() const;

  Options& options_;
  std::string config_file_;
  std::string store_, device_, role_, brand_key_, out_, cloud_, cloud_ca_, cloud_pin_;
  std::vector<std::string> label_keys_, member_keys_;
  std::string phone_key_;
  int tls_days_ = 3650;
  bool force_ = false;
  std::string bundle_, rootfs_;
};

}  // namespace sa::storectl
