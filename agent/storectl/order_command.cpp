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
  auto* list = AddCommand(
      order, "list", "Open orders (offered, accepted, picked); with --all the closed ones too.",
      [this] { return OrderList(options_, all_); });
  list->add_flag("--all", all_,
                 "Include shipped, handed-over, rejected, released, "
                 "expired and cancelled orders");
  AddAgentOptions(list, g);
  auto* show = AddOrderCommand(order, "show", "Print one order: status, expiry, lines and picks.",
                               [this] { return OrderShow(options_, id_); });
  AddAgentOptions(show, g);
  auto* accept = AddOrderCommand(
      order, "accept",
      "Accept an offered order: its units are reserved until it ships, is handed over, "
      "released or its TTL lapses.",
      [this] { return OrderStep(options_, id_, "accept", {}); });
  AddAgentOptions(accept, g);
  auto* reject = AddOrderCommand(order, "reject", "Reject an offered order.", [this] {
    return OrderStep(options_, id_, "reject", ReasonIfGiven());
  });
  reject->add_option("--reason", reason_, "Why, for the OMS");
  AddAgentOptions(reject, g);
  auto* pick = AddOrderCommand(order, "pick",
                               "Scan one unit for an accepted order (one unit per call).", [this] {
                                 return OrderStep(options_, id_, "pick", {{"payload", payload_}});
                               });
  pick->add_option("PAYLOAD", payload_, "The unit's label as scanned (quote it)")->required();
  AddAgentOptions(pick, g);
  auto* ship = AddOrderCommand(order, "ship", "Ship a picked ship-from-store order.", [this] {
    return OrderStep(options_, id_, "ship", {{"carrier", carrier_}, {"tracking_no", tracking_}});
  });
  ship->add_option("--carrier", carrier_, "The carrier, e.g. SF")->required();
  ship->add_option("--tracking", tracking_, "The carrier's tracking number")->required();
  AddAgentOptions(ship, g);
  auto* handover = AddOrderCommand(
      order, "handover", "Hand a picked pickup order to the customer, who shows their pickup code.",
      [this] {
        return OrderStep(options_, id_, "handover", {{"pickup_code", pickup_code_}});
      });
  handover->add_option("--code", pickup_code_, "The customer's pickup code")->required();
  AddAgentOptions(handover, g);
  auto* release = AddOrderCommand(
      order, "release", "Release an accepted or picked order: its units go back to stock.",
      [this] { return OrderStep(options_, id_, "release", ReasonIfGiven()); });
  release->add_option("--reason", reason_, "Why, for the OMS");
  AddAgentOptions(release, g);
}

CLI::App* OrderCommands::AddOrderCommand(CLI::App* order, const std::string& name,
                                         const std::string& what, std::function<int()> run) {
  CLI::App* sub = AddCommand(order, name, what, std::move(run));
  sub->add_option("ID", id_, "The order's id")->required();
  return sub;
}

OrderCommands::Fields OrderCommands::ReasonIfGiven() const {
  if (!reason_) return {};
  return {{"reason", *reason_}};
}

}  // namespace sa::storectl
