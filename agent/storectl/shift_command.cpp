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
  auto* cashier = app.add_subcommand("cashier", "Cashier accounts and their PINs (a manager's job)");
  cashier->require_subcommand(1);
  cashier_add_ = cashier->add_subcommand(
      "add", "Add a cashier who logs in on the screens with a 4-8 digit PIN. The PIN is read "
             "from stdin unless --pin is given; the agent keeps only a slow salted hash.");
  cashier_add_->add_option("ID", id_, "The cashier's id: 1-32 of A-Z a-z 0-9 _ -")->required();
  cashier_add_->add_option("--name", name_, "The name the screens show")->required();
  cashier_add_->add_option("--role", role_, "cashier (default) or manager (may manage cashiers)")
      ->check(CLI::IsMember({"cashier", "manager"}));
  cashier_add_->add_option("--pin", pin_, "The PIN (4-8 digits); default: read from stdin");
  AddAgentOptions(cashier_add_, g);
  cashier_list_ = cashier->add_subcommand("list", "List cashiers: id, name, role, active.");
  AddAgentOptions(cashier_list_, g);
  cashier_pin_ = cashier->add_subcommand(
      "pin", "Set a new PIN (read from stdin unless --pin); also gives a removed account back "
             "and lifts a login lockout.");
  cashier_pin_->add_option("ID", id_, "The cashier's id")->required();
  cashier_pin_->add_option("--pin", pin_, "The new PIN (4-8 digits); default: read from stdin");
  AddAgentOptions(cashier_pin_, g);
  cashier_remove_ = cashier->add_subcommand(
      "remove", "Deactivate a cashier: they cannot log in and their sessions end. Sales keep their id.");
  cashier_remove_->add_option("ID", id_, "The cashier's id")->required();
  AddAgentOptions(cashier_remove_, g);

  auto* shift = app.add_subcommand("shift", "Till shifts: open with the opening cash, close with the cash "
                                            "counted, and the X/Z report");
  shift->require_subcommand(1);
  shift_open_ = shift->add_subcommand("open", "Open a shift on a terminal (one open shift per terminal).");
  shift_open_->add_option("--terminal", terminal_, "The terminal, e.g. till-1")->required();
  shift_open_->add_option("--opening-cash", amount_, "The cash put in the drawer at the start, in yuan (200, 200.5)")->required();
  AddAgentOptions(shift_open_, g);
  shift_close_ = shift->add_subcommand(
      "close", "Close a shift with the cash counted in the drawer and print the Z report. Warns "
               "(stderr) when events are still waiting to sync to the cloud.");
  shift_close_->add_option("ID", id_, "The shift's id")->required();
  shift_close_->add_option("--counted", amount_, "The cash counted in the drawer, in yuan")->required();
  AddAgentOptions(shift_close_, g);
  shift_report_ = shift->add_subcommand(
      "report", "Print a shift's report as text for a till or a receipt printer: the Z report of a "
                "closed shift, the X report (so far) of an open one.");
  shift_report_->add_option("ID", id_, "The shift's id")->required();
  AddAgentOptions(shift_report_, g);
  shift_list_ = shift->add_subcommand("list", "List shifts, newest first.");
  shift_list_->add_option("--terminal", terminal_, "Only this terminal's");
  shift_list_->add_option("--status", status_, "open or closed")->check(CLI::IsMember({"open", "closed"}));
  AddAgentOptions(shift_list_, g);
}

int ShiftCommands::Run() const {
  const Options& g = options_;
  if (cashier_add_->parsed()) return CashierAdd(g, id_, name_, role_, PinOrStdin(pin_));
  if (cashier_list_->parsed()) return CashierList(g);
  if (cashier_pin_->parsed()) return CashierPin(g, id_, PinOrStdin(pin_));
  if (cashier_remove_->parsed()) return CashierRemove(g, id_);
  if (shift_report_->parsed()) return ShiftReport(g, id_);
  if (shift_list_->parsed()) return ShiftList(g, terminal_, status_);
  if (shift_open_->parsed() || shift_close_->parsed()) {
    auto amount = ParseAmount(amount_);
    if (!amount) return Fail(g, kExitUsage, amount.error());
    return shift_open_->parsed() ? ShiftOpen(g, terminal_, *amount) : ShiftClose(g, id_, *amount);
  }
  return -1;
}

}  // namespace sa::storectl
