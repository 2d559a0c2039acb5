// SPDX-License-Identifier: Apache-2.0
#include "sale_command.hpp"

#include <CLI/CLI.hpp>
#include <optional>

namespace sa::storectl {

SaleCommands::SaleCommands(CLI::App& app, Options& g) : options_(g) {
  auto* sale = app.add_subcommand("sale", "Sales at the till, through the running agent");
  sale->require_subcommand(1);
  AddOpenAndScan(sale);
  AddPayment(sale);
  AddReceipts(app, sale);
}

// open, scan, member: a sale as it is rung up.
void SaleCommands::AddOpenAndScan(CLI::App* sale) {
  open_ = sale->add_subcommand(
      "open", "Open a new sale and print it (its id is what the other sale commands take).");
  open_->add_option("--terminal", terminal_,
                    "The till the sale is rung up on (default: this host's name)");
  AddAgentOptions(open_, options_);

  scan_ = sale->add_subcommand("scan",
                               "Add a scanned unit (label, GTIN or member code) to an open sale.");
  scan_->add_option("SALE", sale_id_, "The sale's id")->required();
  scan_->add_option("PAYLOAD", payload_, "What the scanner read (quote it)")->required();
  auto* override_by = scan_->add_option(
      "--override-manager", override_manager_,
      "Sell a unit an accepted order holds (stock_reserved): the manager who allows it");
  auto* override_why =
      scan_->add_option("--override-reason", override_reason_, "Why the manager allows it");
  override_by->needs(override_why);
  override_why->needs(override_by);
  AddAgentOptions(scan_, options_);

  member_ = sale->add_subcommand(
      "member",
      "Bind the customer to an open sale: the member code on their phone, or their "
      "phone number (stored only hashed and masked).");
  member_->add_option("SALE", sale_id_, "The sale's id")->required();
  auto* who = member_->add_option_group("member", "Who the customer is");
  who->add_option("--code", member_code_, "The member code (SAM1:...) shown on their phone");
  who->add_option("--phone", member_phone_, "Their mobile number, e.g. 13812345678");
  who->require_option(1);
  AddAgentOptions(member_, options_);
}

// complete, void: how a sale ends.
void SaleCommands::AddPayment(CLI::App* sale) {
  complete_ = sale->add_subcommand(
      "complete",
      "Take payment and complete an open sale. Payments must add up to the total; "
      "cash may exceed it and the change is printed.");
  complete_->add_option("SALE", sale_id_, "The sale's id")->required();
  complete_
      ->add_option("--pay", pays_,
                   "METHOD:AMOUNT[:REF], repeatable. METHOD is cash, card, wechat, alipay, "
                   "unionpay or voucher; AMOUNT is in yuan with up to 2 decimals (599, 599.5, "
                   "599.00); REF is the payment's reference, e.g. card:120:POS-778")
      ->required()
      ->allow_extra_args(false);
  AddAgentOptions(complete_, options_);

  void_ = sale->add_subcommand("void", "Void an open sale (nothing is sold).");
  void_->add_option("SALE", sale_id_, "The sale's id")->required();
  void_reason_given_ = void_->add_option("--reason", void_reason_, "Why, for the record");
  AddAgentOptions(void_, options_);
}

// show, receipt, refund, print: a sale afterwards. `refund` is storectl's
// own command, listed after `sale` in --help.
void SaleCommands::AddReceipts(CLI::App& app, CLI::App* sale) {
  show_ = sale->add_subcommand("show", "Print a sale: lines, total, member, payments.");
  show_->add_option("SALE", sale_id_, "The sale's id")->required();
  AddAgentOptions(show_, options_);

  receipt_ =
      sale->add_subcommand("receipt", "Print a completed sale's receipt as the printer would.");
  receipt_->add_option("SALE", sale_id_, "The sale's id")->required();
  receipt_->add_option("--width", width_, "Paper width in mm: 58 or 80 (default: the agent's)")
      ->check(CLI::IsMember({58, 80}));
  AddAgentOptions(receipt_, options_);

  refund_ = app.add_subcommand(
      "refund", "Refund units of a completed sale by serial; they go back into stock.");
  refund_->add_option("SALE", sale_id_, "The completed sale's id")->required();
  refund_->add_option("SERIAL", serials_, "The serial of each unit returned")->required();
  AddAgentOptions(refund_, options_);

  print_ = sale->add_subcommand(
      "print", "Print a completed sale's receipt on the agent's receipt printer ([printer]).");
  print_->add_option("SALE", sale_id_, "The sale's id")->required();
  AddAgentOptions(print_, options_);
}

int SaleCommands::Run() const {
  const Options& g = options_;
  if (open_->parsed()) return SaleOpen(g, terminal_);
  if (scan_->parsed()) return SaleScan(g, sale_id_, payload_, override_manager_, override_reason_);
  if (member_->parsed()) return SaleMember(g, sale_id_, member_code_, member_phone_);
  if (complete_->parsed()) return SaleComplete(g, sale_id_, pays_);
  if (void_->parsed()) {
    return SaleVoid(
        g, sale_id_,
        void_reason_given_->count() > 0 ? std::optional<std::string>(void_reason_) : std::nullopt);
  }
  if (show_->parsed()) return SaleShow(g, sale_id_);
  if (receipt_->parsed()) return SaleReceipt(g, sale_id_, width_);
  if (refund_->parsed()) return Refund(g, sale_id_, serials_);
  if (print_->parsed()) return SalePrint(g, sale_id_);
  return -1;
}

}  // namespace sa::storectl
