// SPDX-License-Identifier: Apache-2.0
#include "shift_command.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "money_text.hpp"

namespace sa::storectl {
namespace {

// A PIN from --pin, else the first line on stdin (so it stays out of the
// shell history and `ps`).
std::string PinOrStdin(const std::string& pin) {
  if (!pin.empty()) return pin;
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace

ShiftCommands::ShiftCommands(CLI::App& app, Options& g) : options_(g) {
  AddCashiers(app);
  AddShifts(app);
}

void ShiftCommands::AddCashiers(CLI::App& app) {
  auto* cashier =
      app.add_subcommand("cashier", "Cashier accounts and their PINs (a manager's job)");
  cashier->require_subcommand(1);
  auto* add =
      AddCommand(cashier, "add",
                 "Add a cashier who logs in on the screens with a 4-8 digit PIN. The PIN is read "
                 "from stdin unless --pin is given; the agent keeps only a slow salted hash.",
                 [this] { return CashierAdd(options_, id_, name_, role_, PinOrStdin(pin_)); });
  add->add_option("ID", id_, "The cashier's id: 1-32 of A-Z a-z 0-9 _ -")->required();
  add->add_option("--name", name_, "The name the screens show")->required();
  add->add_option("--role", role_, "cashier (default) or manager (may manage cashiers)")
      ->check(CLI::IsMember({"cashier", "manager"}));
  add->add_option("--pin", pin_, "The PIN (4-8 digits); default: read from stdin");
  AddAgentOptions(add, options_);
  auto* list = AddCommand(cashier, "list", "List cashiers: id, name, role, active.",
                          [this] { return CashierList(options_); });
  AddAgentOptions(list, options_);
  auto* pin =
      AddCommand(cashier, "pin",
                 "Set a new PIN (read from stdin unless --pin); also gives a removed account back "
                 "and lifts a login lockout.",
                 [this] { return CashierPin(options_, id_, PinOrStdin(pin_)); });
  pin->add_option("ID", id_, "The cashier's id")->required();
  pin->add_option("--pin", pin_, "The new PIN (4-8 digits); default: read from stdin");
  AddAgentOptions(pin, options_);
  auto* remove = AddCommand(
      cashier, "remove",
      "Deactivate a cashier: they cannot log in and their sessions end. Sales keep their id.",
      [this] { return CashierRemove(options_, id_); });
  remove->add_option("ID", id_, "The cashier's id")->required();
  AddAgentOptions(remove, options_);
}

void ShiftCommands::AddShifts(CLI::App& app) {
  auto* shift = app.add_subcommand("shift",
                                   "Till shifts: open with the opening cash, close with the cash "
                                   "counted, and the X/Z report");
  shift->require_subcommand(1);
  // An amount that is not one is a usage error, as `sale complete --pay` is.
  auto* open = AddCommand(shift, "open",
                          "Open a shift on a terminal (one open shift per terminal).", [this] {
                            const auto opening = ParseAmount(amount_);
                            return opening ? ShiftOpen(options_, terminal_, *opening)
                                           : Fail(options_, kExitUsage, opening.error());
                          });
  open->add_option("--terminal", terminal_, "The terminal, e.g. till-1")->required();
  open->add_option("--opening-cash", amount_,
                   "The cash put in the drawer at the start, in yuan (200, 200.5)")
      ->required();
  AddAgentOptions(open, options_);
  auto* close =
      AddCommand(shift, "close",
                 "Close a shift with the cash counted in the drawer and print the Z report. Warns "
                 "(stderr) when events are still waiting to sync to the cloud.",
                 [this] {
                   const auto counted = ParseAmount(amount_);
                   return counted ? ShiftClose(options_, id_, *counted)
                                  : Fail(options_, kExitUsage, counted.error());
                 });
  close->add_option("ID", id_, "The shift's id")->required();
  close->add_option("--counted", amount_, "The cash counted in the drawer, in yuan")->required();
  AddAgentOptions(close, options_);
  auto* report = AddCommand(
      shift, "report",
      "Print a shift's report as text for a till or a receipt printer: the Z report of a "
      "closed shift, the X report (so far) of an open one.",
      [this] { return ShiftReport(options_, id_); });
  report->add_option("ID", id_, "The shift's id")->required();
  AddAgentOptions(report, options_);
  auto* list = AddCommand(shift, "list", "List shifts, newest first.",
                          [this] { return ShiftList(options_, terminal_, status_); });
  list->add_option("--terminal", terminal_, "Only this terminal's");
  list->add_option("--status", status_, "open or closed")->check(CLI::IsMember({"open", "closed"}));
  AddAgentOptions(list, options_);
}

}  // namespace sa::storectl
