// SPDX-License-Identifier: Apache-2.0
#include "printer_command.hpp"

#include <CLI/CLI.hpp>

namespace sa::storectl {

PrinterCommands::PrinterCommands(CLI::App& app, Options& g) : options_(g) {
  auto* printer = app.add_subcommand("printer", "The receipt printers and their queues");
  printer->require_subcommand(1);
  auto* status = AddCommand(printer, "status",
                            "Each printer: what it says of itself (paper, cover, offline; asked "
                            "over DLE EOT where it can answer), the terminals it prints for, and "
                            "its receipts: queued, printing, printed or failed, with the reason "
                            "(GET /v1/printers).",
                            [this] { return PrinterStatus(options_); });
  AddAgentOptions(status, g);

  auto* drawer = AddCommand(printer, "drawer",
                            "Open a terminal's cash drawer without a sale, through its printer's "
                            "drawer port (POST /v1/terminals/{t}/drawer): recorded with the "
                            "reason, counted in the shift's report (no_sale).",
                            [this] { return DrawerOpen(options_, terminal_, reason_); });
  drawer->add_option("TERMINAL", terminal_, "The till whose drawer opens, e.g. till-1")->required();
  drawer->add_option("--reason", reason_, "Why, e.g. \"count the till's cash\"")->required();
  AddAgentOptions(drawer, g);
}

}  // namespace sa::storectl
