// SPDX-License-Identifier: Apache-2.0
#include "sale_command.hpp"

#include <CLI/CLI.hpp>

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
  auto* open = AddCommand(
      sale, "open", "Open a new sale and print it (its id is what the other sale commands take).",
      [this] { return SaleOpen(options_, terminal_); });
  open->add_option("--terminal", terminal_,
                   "The till the sale is rung up on (default: this host's name)");
  AddAgentOptions(open, options_);

  auto* scan = AddCommand(
      sale, "scan", "Add a scanned unit (label, GTIN or member code) to an open sale.", [this] {
        return SaleScan(options_, sale_id_, payload_, override_manager_, override_reason_);
      });
  scan->add_option("SALE", sale_id_, "The sale's id")->required();
  scan->add_option("PAYLOAD", payload_, "What the scanner read (quote it)")->required();
  auto* override_by = scan->add_option(
      "--override-manager", override_manager_,
      "Sell a unit an accepted order holds (stock_reserved): the manager who allows it");
  auto* override_why =
      scan->add_option("--override-reason", override_reason_, "Why the manager allows it");
  override_by->needs(override_why);
  override_why->needs(override_by);
  AddAgentOptions(scan, options_);

  auto* member =
      AddCommand(sale, "member",
                 "Bind the customer to an open sale: the member code on their phone, "
                 "or their phone number (stored only hashed and masked).",
                 [this] { return SaleMember(options_, sale_id_, member_code_, member_phone_); });
  member->add_option("SALE", sale_id_, "The sale's id")->required();
  auto* who = member->add_option_group("member", "Who the customer is");
  who->add_option("--code", member_code_, "The member code (SAM1:...) shown on their phone");
  who->add_option("--phone", member_phone_, "Their mobile number, e.g. 13812345678");
  who->require_option(1);
  AddAgentOptions(member, options_);
}

// complete, void: how a sale ends.
void SaleCommands::AddPayment(CLI::App* sale) {
  auto* complete = AddCommand(sale, "complete",
                              "Take payment and complete an open sale. Payments must add up to "
                              "the total; cash may exceed it and the change is printed.",
                              [this] { return SaleComplete(options_, sale_id_, pays_); });
  complete->add_option("SALE", sale_id_, "The sale's id")->required();
  complete
      ->add_option("--pay", pays_,
                   "METHOD:AMOUNT[:REF], repeatable. METHOD is cash, card, wechat, alipay, "
                   "unionpay or voucher; AMOUNT is in yuan with up to 2 decimals (599, 599.5, "
                   "599.00); REF is the payment's reference, e.g. card:120:POS-778")
      ->required()
      ->allow_extra_args(false);
  AddAgentOptions(complete, options_);

  auto* cancel = AddCommand(sale, "void", "Void an open sale (nothing is sold).",
                            [this] { return SaleVoid(options_, sale_id_, void_reason_); });
  cancel->add_option("SALE", sale_id_, "The sale's id")->required();
  cancel->add_option("--reason", void_reason_, "Why, for the record");
  AddAgentOptions(cancel, options_);
}

// show, receipt, refund, print: a sale afterwards. `refund` is storectl's
// own command, listed after `sale` in --help.
void SaleCommands::AddReceipts(CLI::App& app, CLI::App* sale) {
  auto* show = AddCommand(sale, "show", "Print a sale: lines, total, member, payments.",
                          [this] { return SaleShow(options_, sale_id_); });
  show->add_option("SALE", sale_id_, "The sale's id")->required();
  AddAgentOptions(show, options_);

  auto* receipt =
      AddCommand(sale, "receipt", "Print a completed sale's receipt as the printer would.",
                 [this] { return SaleReceipt(options_, sale_id_, width_); });
  receipt->add_option("SALE", sale_id_, "The sale's id")->required();
  receipt->add_option("--width", width_, "Paper width in mm: 58 or 80 (default: the agent's)")
      ->check(CLI::IsMember({58, 80}));
  AddAgentOptions(receipt, options_);

  auto* claim = AddCommand(
      sale, "claim-url",
      "Print a completed sale's claim URL: what its receipt's QR holds, for a customer who did "
      "not bind at the till to claim the sale in the brand's mini-program.",
      [this] { return SaleClaimUrl(options_, sale_id_); });
  claim->add_option("SALE", sale_id_, "The sale's id")->required();
  AddAgentOptions(claim, options_);

  auto* refund = AddCommand(&app, "refund",
                            "Refund units of a completed sale by serial; they go back into stock.",
                            [this] { return Refund(options_, sale_id_, serials_); });
  refund->add_option("SALE", sale_id_, "The completed sale's id")->required();
  refund->add_option("SERIAL", serials_, "The serial of each unit returned")->required();
  AddAgentOptions(refund, options_);

  auto* print = AddCommand(
      sale, "print", "Print a completed sale's receipt on the agent's receipt printer ([printer]).",
      [this] { return SalePrint(options_, sale_id_); });
  print->add_option("SALE", sale_id_, "The sale's id")->required();
  AddAgentOptions(print, options_);
}

}  // namespace sa::storectl
