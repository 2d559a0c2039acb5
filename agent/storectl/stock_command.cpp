// SPDX-License-Identifier: Apache-2.0
#include "stock_command.hpp"

#include <CLI/CLI.hpp>

namespace sa::storectl {

StockCommands::StockCommands(CLI::App& app, Options& g) : options_(g) {
  auto* scanners =
      AddCommand(&app, "scanners",
                 "The agent's scanner sources: type, device, terminal, connected, scans, dropped.",
                 [this] { return Scanners(options_); });
  AddAgentOptions(scanners, g);
  AddTerminals(app);
  AddStock(app);
}

void StockCommands::AddTerminals(CLI::App& app) {
  auto* terminal = app.add_subcommand(
      "terminal",
      "What a terminal's scanners do: sell (sale), take units in (receive), count "
      "shelves (count), or pick an order (pick)");
  terminal->require_subcommand(1);
  auto* show = AddCommand(terminal, "show", "The terminal's mode, open sale and counted units.",
                          [this] { return TerminalShow(options_, terminal_id_); });
  show->add_option("TERMINAL", terminal_id_, "The terminal's id, e.g. till-1")->required();
  AddAgentOptions(show, options_);
  auto* mode = AddCommand(
      terminal, "mode", "Switch the terminal's scanners to another mode.",
      [this] { return TerminalMode(options_, terminal_id_, mode_, order_id_, discard_); });
  mode->add_option("TERMINAL", terminal_id_, "The terminal's id")->required();
  mode->add_option("MODE", mode_, "sale, receive, count or pick")
      ->required()
      ->check(CLI::IsMember({"sale", "receive", "count", "pick"}));
  mode->add_option("--order", order_id_, "pick: the accepted order to pick");
  mode->add_flag("--discard", discard_, "Leave count mode dropping units not committed");
  AddAgentOptions(mode, options_);
  auto* count =
      AddCommand(terminal, "count",
                 "Commit the units counted in count mode: each GTIN's on-hand becomes its count.",
                 [this] { return TerminalCount(options_, terminal_id_); });
  count->add_option("TERMINAL", terminal_id_, "The terminal's id")->required();
  AddAgentOptions(count, options_);
}

void StockCommands::AddStock(CLI::App& app) {
  auto* stock = app.add_subcommand("stock", "Stock of a product at this store");
  stock->require_subcommand(1);
  auto* show = AddCommand(stock, "show",
                          "On hand, reserved by accepted orders (and how many are picked), and "
                          "available to sell (GET /v1/stock/GTIN).",
                          [this] { return StockShow(options_, gtin_); });
  show->add_option("GTIN", gtin_, "The product's GTIN (8, 12, 13 or 14 digits)")->required();
  AddAgentOptions(show, options_);
  auto* receive =
      AddCommand(stock, "receive",
                 "Scan a unit into stock (a delivery, a transfer in) and print the GTIN's stock.",
                 [this] { return StockReceive(options_, payload_); });
  receive->add_option("PAYLOAD", payload_, "The unit's label as scanned (quote it)")->required();
  AddAgentOptions(receive, options_);
  auto* count = AddCommand(stock, "count",
                           "Record a count of one GTIN on the shelf and in the stockroom; the "
                           "difference becomes a stock move.",
                           [this] { return StockCount(options_, gtin_, counted_); });
  count->add_option("GTIN", gtin_, "The product's GTIN")->required();
  count->add_option("COUNTED", counted_, "How many units were counted")
      ->required()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000'000}));
  AddAgentOptions(count, options_);
}

}  // namespace sa::storectl
