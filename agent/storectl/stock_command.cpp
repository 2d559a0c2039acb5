// SPDX-License-Identifier: Apache-2.0
#include "stock_command.hpp"

#include <CLI/CLI.hpp>

namespace sa::storectl {

StockCommands::StockCommands(CLI::App& app, Options& g) : options_(g) {
  scanners_ = app.add_subcommand(
      "scanners",
      "The agent's scanner sources: type, device, terminal, connected, scans, dropped.");
  AddAgentOptions(scanners_, g);
  AddTerminals(app);
  AddStock(app);
}

void StockCommands::AddTerminals(CLI::App& app) {
  auto* terminal = app.add_subcommand(
      "terminal",
      "What a terminal's scanners do: sell (sale), take units in (receive), count "
      "shelves (count), or pick an order (pick)");
  terminal->require_subcommand(1);
  terminal_show_ =
      terminal->add_subcommand("show", "The terminal's mode, open sale and counted units.");
  terminal_show_->add_option("TERMINAL", terminal_id_, "The terminal's id, e.g. till-1")
      ->required();
  AddAgentOptions(terminal_show_, options_);
  terminal_mode_ =
      terminal->add_subcommand("mode", "Switch the terminal's scanners to another mode.");
  terminal_mode_->add_option("TERMINAL", terminal_id_, "The terminal's id")->required();
  terminal_mode_->add_option("MODE", mode_, "sale, receive, count or pick")
      ->required()
      ->check(CLI::IsMember({"sale", "receive", "count", "pick"}));
  terminal_mode_->add_option("--order", order_id_, "pick: the accepted order to pick");
  terminal_mode_->add_flag("--discard", discard_, "Leave count mode dropping units not committed");
  AddAgentOptions(terminal_mode_, options_);
  terminal_count_ = terminal->add_subcommand(
      "count", "Commit the units counted in count mode: each GTIN's on-hand becomes its count.");
  terminal_count_->add_option("TERMINAL", terminal_id_, "The terminal's id")->required();
  AddAgentOptions(terminal_count_, options_);
}

void StockCommands::AddStock(CLI::App& app) {
  auto* stock = app.add_subcommand("stock", "Stock of a product at this store");
  stock->require_subcommand(1);
  stock_show_ = stock->add_subcommand(
      "show",
      "On hand, reserved by accepted orders (and how many are picked), and available to "
      "sell (GET /v1/stock/GTIN).");
  stock_show_->add_option("GTIN", gtin_, "The product's GTIN (8, 12, 13 or 14 digits)")->required();
  AddAgentOptions(stock_show_, options_);
  stock_receive_ = stock->add_subcommand(
      "receive", "Scan a unit into stock (a delivery, a transfer in) and print the GTIN's stock.");
  stock_receive_->add_option("PAYLOAD", payload_, "The unit's label as scanned (quote it)")
      ->required();
  AddAgentOptions(stock_receive_, options_);
  stock_count_ = stock->add_subcommand(
      "count",
      "Record a count of one GTIN on the shelf and in the stockroom; the difference "
      "becomes a stock move.");
  stock_count_->add_option("GTIN", gtin_, "The product's GTIN")->required();
  stock_count_->add_option("COUNTED", counted_, "How many units were counted")
      ->required()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000'000}));
  AddAgentOptions(stock_count_, options_);
}

int StockCommands::Run() const {
  const Options& g = options_;
  if (scanners_->parsed()) return Scanners(g);
  if (terminal_show_->parsed()) return TerminalShow(g, terminal_id_);
  if (terminal_mode_->parsed()) return TerminalMode(g, terminal_id_, mode_, order_id_, discard_);
  if (terminal_count_->parsed()) return TerminalCount(g, terminal_id_);
  if (stock_show_->parsed()) return StockShow(g, gtin_);
  if (stock_receive_->parsed()) return StockReceive(g, payload_);
  if (stock_count_->parsed()) return StockCount(g, gtin_, counted_);
  return -1;
}

}  // namespace sa::storectl
