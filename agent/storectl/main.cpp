// SPDX-License-Identifier: Apache-2.0
// storectl: the store's command line. Exit codes: 0 ok, 1 usage, 2 cannot
// reach the agent (or its ledger), 3 rejected input.
//
// Offline: `code inspect`, `catalog import` (the ledger file directly), `demo
// codes` (offline_command.cpp), `token`, `decode` (image files;
// decode_command.cpp), `config check`, `provision [verify]`, `flash`
// (provision_command.cpp). Through the agent's local HTTP API
// (agent_commands.cpp): `status`, `sync status|now|ack` (sync_command.cpp),
// `sale open|scan|member|complete|void|show|receipt|print`, `refund`
// (sale_command.cpp), `scanners`, `terminal show|mode|count`, `stock
// show|receive|count` (stock_command.cpp), `printer status`
// (printer_command.cpp), `order
// list|show|accept|reject|pick|ship|handover|release` (order_command.cpp),
// `cashier add|list|pin|remove`, `shift open|close|report|list`
// (shift_command.cpp). `epcis hash|export` (epcis_command.cpp: offline, the
// ledger file directly).
#include <CLI/CLI.hpp>
#include <initializer_list>
#include <string>

#include "command_line.hpp"
#include "decode_command.hpp"
#include "epcis_command.hpp"
#include "offline_command.hpp"
#include "order_command.hpp"
#include "printer_command.hpp"
#include "provision_command.hpp"
#include "sale_command.hpp"
#include "shift_command.hpp"
#include "stock_command.hpp"
#include "sync_command.hpp"
#include "texts.hpp"

int main(int argc, char** argv) {
  namespace st = sa::storectl;
  CLI::App app{
      "storectl: the store-agent command line.\n"
      "Exit codes: 0 ok, 1 usage, 2 cannot reach the agent or its ledger, "
      "3 rejected input."};
  app.require_subcommand(1);
  st::Options options;
  st::AddConnectionOptions(&app, options, "Print JSON to stdout (errors as {\"error\":{...}})");
  app.set_version_flag("--version", std::string("storectl ") + SA_VERSION);

  // In the order --help lists them.
  st::OfflineCommands offline(app, options);
  st::SyncCommands sync(app, options);
  st::SaleCommands sales(app, options);
  st::StockCommands stock(app, options);
  st::PrinterCommands printers(app, options);
  st::OrderCommands orders(app, options);
  st::DemoCommands demo(app, options);
  st::DecodeCommand decode(app, options);
  st::ProvisionCommands field(app, options);
  st::ShiftCommands shifts(app, options);
  st::EpcisCommands epcis(app, options);

  if (const int rc = st::ParseCommandLine(app, argc, argv); rc >= 0) return rc;
  if (auto chosen = st::ChooseLocale(options.locale); !chosen) {
    return st::Fail(options, st::kExitUsage, chosen.error());
  }
  for (const st::CommandGroup* group : std::initializer_list<const st::CommandGroup*>{
           &offline, &sync, &sales, &stock, &printers, &orders, &demo, &decode, &field, &shifts,
           &epcis}) {
    if (const int rc = group->Run(); rc >= 0) return rc;
  }
  return st::kExitUsage;
}
