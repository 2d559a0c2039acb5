// SPDX-License-Identifier: Apache-2.0
#include "order_command.hpp"

#include <CLI/CLI.hpp>

namespace sa::storectl {

OrderCommands::OrderCommands(CLI::App& app, Options& g) : options_(g) {
  auto* order = app.add_subcommand(
      "order",
      "Orders the OMS routed to this store (ship from store, pickup): accept or reject, "
      "pick, ship or hand over");
  order->require_subcommand(1);
  list_ = order->add_subcommand(
      "list", "Open orders (offered, accepted, picked); with --all the closed ones too.");
  list_->add_flag("--all", all_,
                  "Include shipped, handed-over, rejected, released, "
                  "expired and cancelled orders");
  AddAgentOptions(list_, g);
  show_ = AddOrderCommand(order, "show", "Print one order: status, expiry, lines and picks.");
  AddAgentOptions(show_, g);
  accept_ = AddOrderCommand(
      order, "accept",
      "Accept an offered order: its units are reserved until it ships, is handed over, "
      "released or its TTL lapses.");
  AddAgentOptions(accept_, g);
  reject_ = AddOrderCommand(order, "reject", "Reject an offered order.");
  reject_reason_ = reject_->add_option("--reason", reason_, "Why, for the OMS");
  AddAgentOptions(reject_, g);
  pick_ =
      AddOrderCommand(order, "pick", "Scan one unit for an accepted order (one unit per call).");
  pick_->add_option("PAYLOAD", payload_, "The unit's label as scanned (quote it)")->required();
  AddAgentOptions(pick_, g);
  ship_ = AddOrderCommand(order, "ship", "Ship a picked ship-from-store order.");
  ship_->add_option("--carrier", carrier_, "The carrier, e.g. SF")->required();
  ship_->add_option("--tracking", tracking_, "The carrier's tracking number")->required();
  AddAgentOptions(ship_, g);
  handover_ =
      AddOrderCommand(order, "handover",
                      "Hand a picked pickup order to the customer, who shows their pickup code.");
  handover_->add_option("--code", pickup_code_, "The customer's pickup code")->required();
  AddAgentOptions(handover_, g);
  release_ = AddOrderCommand(order, "release",
                             "Release an accepted or picked order: its units go back to stock.");
  release_reason_ = release_->add_option("--reason", reason_, "Why, for the OMS");
  AddAgentOptions(release_, g);
}

CLI::App* OrderCommands::AddOrderCommand(CLI::App* order, const std::string& name,
                                         const std::string& what) {
  CLI::App* sub = order->add_subcommand(name, what);
  sub->add_option("ID", id_, "The order's id")->required();
  return sub;
}

OrderCommands::Fields OrderCommands::ReasonIfGiven(const CLI::Option* option) const {
  if (option->count() == 0) return {};
  return {{"reason", reason_}};
}

int OrderCommands::Run() const {
  const Options& g = options_;
  if (list_->parsed()) return OrderList(g, all_);
  if (show_->parsed()) return OrderShow(g, id_);
  if (accept_->parsed()) return OrderStep(g, id_, "accept", {});
  if (reject_->parsed()) return OrderStep(g, id_, "reject", ReasonIfGiven(reject_reason_));
  if (pick_->parsed()) return OrderStep(g, id_, "pick", {{"payload", payload_}});
  if (ship_->parsed()) {
    return OrderStep(g, id_, "ship", {{"carrier", carrier_}, {"tracking_no", tracking_}});
  }
  if (handover_->parsed()) return OrderStep(g, id_, "handover", {{"pickup_code", pickup_code_}});
  if (release_->parsed()) return OrderStep(g, id_, "release", ReasonIfGiven(release_reason_));
  return -1;
}

}  // namespace sa::storectl
