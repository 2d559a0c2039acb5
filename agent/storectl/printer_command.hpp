// SPDX-License-Identifier: Apache-2.0
// The receipt printers, through the agent's local HTTP API:
//   storectl printer status                    (GET /v1/printers)
//   storectl printer drawer TERMINAL --reason  (POST /v1/terminals/{t}/drawer)
#pragma once

#include "command_line.hpp"

namespace sa::storectl {

class PrinterCommands : public CommandGroup {
 public:
  PrinterCommands(CLI::App& app, Options& options);

 private:
  Options& options_;
  std::string terminal_;
  std::string reason_;
};

}  // namespace sa::storectl
