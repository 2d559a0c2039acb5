// SPDX-License-Identifier: Apache-2.0
// storectl: the store's command line. Exit codes: 0 ok, 1 usage, 2 cannot
// reach the agent (or its ledger), 3 rejected input.
//
// Offline: `code inspect`, `catalog import` (the ledger file directly), `demo
// codes`, `token`, `decode` (image files; decode_command.cpp), `config check`,
// `provision [verify]`, `flash` (provision_command.cpp). Through the
// agent's local HTTP API (agent_commands.cpp):
// `status`, `sync status|now|ack`, `sale open|scan|member|complete|void|show|receipt`, `refund`,
// `stock show|receive|count`, `order list|show|accept|reject|pick|ship|handover|release`,
// `sale print`, `scanners`, `terminal show|mode|count`, `cashier add|list|pin|remove`,
// `shift open|close|report|list` (shift_command.cpp).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "agent_commands.hpp"
#include "codes.hpp"
#include "decode_command.hpp"
#include "provision_command.hpp"
#include "shift_command.hpp"
#include "ledger.hpp"
#include "store.hpp"

namespace {

using nlohmann::json;
using sa::storectl::DataDir;
using sa::storectl::Fail;
using sa::storectl::kExitOk;
using sa::storectl::kExitRejected;
using sa::storectl::kExitUnreachable;
using sa::storectl::kExitUsage;
using Globals = sa::storectl::Options;

json Nullable(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// The keys in these PEM files, or the demo key when none are given.
sa::Expected<sa::crypto::KeyRing> RingOrDemo(const std::vector<std::string>& paths,
                                             const sa::crypto::SigningKey& demo) {
  if (paths.empty()) return sa::crypto::KeyRing({demo.Public()});
  return sa::crypto::KeyRing::LoadFiles(paths);
}

int CodeInspect(const Globals& g, const std::string& payload, const std::vector<std::string>& keys,
                const std::vector<std::string>& member_keys,
                const std::vector<std::string>& patterns) {
  sa::codes::ParseOptions options;
  for (const auto& p : patterns) {
    auto compiled = sa::codes::BrandPattern::Compile(p);
    if (!compiled) return Fail(g, kExitUsage, compiled.error());
    options.brand_patterns.push_back(std::move(compiled).value());
  }
  auto brand = RingOrDemo(keys, sa::store::DemoBrandKey());
  if (!brand) return Fail(g, kExitUsage, brand.error());
  auto member = RingOrDemo(member_keys, sa::store::DemoMemberKey());
  if (!member) return Fail(g, kExitUsage, member.error());
  auto code = sa::codes::Parse(payload, options);
  if (!code) return Fail(g, kExitRejected, code.error());
  const bool is_member = code->kind == sa::codes::Kind::member_code;
  const auto sig = sa::codes::VerifySignature(*code, is_member ? *member : *brand);
  json out = {{"kind", sa::codes::KindName(code->kind)},
              {"gtin", Nullable(code->gtin)},
              {"serial", Nullable(code->serial)},
              {"lot", Nullable(code->lot)},
              {"expiry", code->expiry ? json(code->expiry->Iso()) : json(nullptr)},
              {"signature", sa::codes::SignatureName(sig)}};
  if (!code->cpv.empty()) out["cpv"] = code->cpv;
  if (!code->symbology.empty()) out["symbology"] = code->symbology;
  if (is_member) {
    out["member_id"] = code->member_id;
    out["issued_at"] = code->issued_at;
  }
  if (g.json) {
    std::cout << out.dump() << "\n";
  } else {
    for (const auto& [key, value] : out.items()) {
      std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump())
                << "\n";
    }
  }
  return kExitOk;
}

int CatalogImport(const Globals& g, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Fail(g, kExitUsage, sa::MakeError(sa::ErrorKind::invalid_request, "unreadable_file",
                                             "cannot read " + file));
  }
  const std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string dir = DataDir(g);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Fail(g, kExitUnreachable,
                sa::MakeError(sa::ErrorKind::internal, "no_data_dir",
                              "no agent data directory at " + dir +
                                  " (set --data-dir or STORE_AGENT_DATA)"));
  }
  auto db = sa::ledger::Database::Open(dir + "/ledger.db");
  if (!db) return Fail(g, kExitUnreachable, db.error());
  sa::SystemClock clock;
  sa::store::Config config;  // currency and limits; no keys are needed to import
  sa::store::Store store(**db, config, clock);
  auto result = store.books.ImportCatalogCsv(csv);
  if (!result && (result.error().kind == sa::ErrorKind::storage ||
                  result.error().kind == sa::ErrorKind::internal)) {
    return Fail(g, kExitUnreachable, result.error());  // busy, full or broken ledger
  }
  if (!result) {
    if (!g.json) {
      // The summary line first, then one line per bad row.
      std::cerr << "storectl: " << result.error().code << ": " << result.error().message << "\n";
      return kExitRejected;
    }
    return Fail(g, kExitRejected, result.error());
  }
  if (g.json) {
    std::cout << json{{"imported", result->rows}}.dump() << "\n";
  } else {
    std::cout << "imported " << result->rows << " products into " << dir << "/ledger.db\n";
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"storectl: the store-agent command line.\n"
               "Exit codes: 0 ok, 1 usage, 2 cannot reach the agent or its ledger, "
               "3 rejected input."};
  app.require_subcommand(1);
  Globals g;
  app.add_flag("--json", g.json, "Print JSON to stdout (errors as {\"error\":{...}})");
  app.add_option("--data-dir", g.data_dir,
                 "The agent's data directory (default: $STORE_AGENT_DATA, else "
                 "/var/lib/store-agent)");
  app.add_option("--url", g.url,
                 "The agent's base URL (default: $STORE_AGENT_URL, else {data-dir}/api-url, else "
                 "http://127.0.0.1:8787)");
  app.add_option("--token-file", g.token_file,
                 "The file holding the API token (default: {data-dir}/api-token)");
  app.set_version_flag("--version", std::string("storectl ") + "0.1.0");

  auto* code = app.add_subcommand("code", "Labels and member codes");
  code->require_subcommand(1);
  auto* inspect = code->add_subcommand(
      "inspect", "Parse a scanned payload and check its signature, offline.\n"
                 "Without --keys the demo brand and member keys are used.");
  std::string payload;
  std::vector<std::string> keys, member_keys, patterns;
  inspect->add_option("PAYLOAD", payload, "What the scanner read (quote it)")->required();
  inspect->add_option("--keys", keys, "Brand public keys (PEM files) that sign labels");
  inspect->add_option("--member-keys", member_keys,
                      "Member-service public keys (PEM files) that sign member codes");
  inspect->add_option("--brand-pattern", patterns,
                      "A brand URL pattern, e.g. 'https://b.example/u/{gtin}/{serial}?s={sig}'");
  inspect->add_flag("--json", g.json, "Print JSON");

  auto* catalog = app.add_subcommand("catalog", "The product catalog");
  catalog->require_subcommand(1);
  auto* import = catalog->add_subcommand(
      "import", "Load products from CSV (header gtin,name,price_minor[,tax_rate]).\n"
                "All rows or none: every bad row is reported with its line number.");
  std::string file;
  import->add_option("FILE", file, "The CSV file")->required();
  import->add_flag("--json", g.json, "Print JSON");
  import->add_option("--data-dir", g.data_dir, "The agent's data directory");

  // Commands that talk to the running agent over HTTP. Each takes the shared
  // options after its own name too.
  const auto agent_options = [&g](CLI::App* sub) {
    sub->add_flag("--json", g.json, "Print the agent's JSON answer as-is to stdout");
    sub->add_option("--data-dir", g.data_dir,
                    "The agent's data directory (default: $STORE_AGENT_DATA, else "
                    "/var/lib/store-agent)");
    sub->add_option("--url", g.url,
                    "The agent's base URL (default: $STORE_AGENT_URL, else {data-dir}/api-url, "
                    "else http://127.0.0.1:8787)");
    sub->add_option("--token-file", g.token_file,
                    "The file holding the API token (default: {data-dir}/api-token)");
    sub->footer("Exit codes: 0 ok, 1 usage, 2 cannot reach the agent (no answer, token refused, "
                "or an agent fault), 3 the agent refused the input.");
  };
  std::string sale_id;

  auto* status = app.add_subcommand(
      "status", "Show the agent's health: store, device, version, uptime and the events still "
                "waiting to be sent to the cloud (GET /v1/health).");
  agent_options(status);

  auto* token = app.add_subcommand(
      "token", "Print the agent's API token, for use with curl:\n"
               "  curl -H \"Authorization: Bearer $(storectl token)\" http://127.0.0.1:8787/v1/health");
  token->add_flag("--json", g.json, "Print {\"token\":...}");
  token->add_option("--data-dir", g.data_dir, "The agent's data directory");
  token->add_option("--token-file", g.token_file, "Read the token from this file instead");

  auto* sync = app.add_subcommand("sync", "Cloud sync: what is waiting, alerts, and a sync on demand");
  sync->require_subcommand(1);
  auto* sync_status = sync->add_subcommand(
      "status", "Online or not, events not yet sent, last push and pull, and the alerts a manager "
                "should see (GET /v1/sync).");
  agent_options(sync_status);
  auto* sync_now = sync->add_subcommand(
      "now", "Push every waiting event and pull the cloud's changes now; exits 2 when the cloud "
             "cannot be reached.");
  agent_options(sync_now);
  std::string alert_id;
  auto* sync_ack = sync->add_subcommand("ack", "Acknowledge an alert (it leaves sync status).");
  sync_ack->add_option("ALERT_ID", alert_id, "The alert's number from sync status")->required();
  agent_options(sync_ack);

  auto* sale = app.add_subcommand("sale", "Sales at the till, through the running agent");
  sale->require_subcommand(1);

  auto* sale_open = sale->add_subcommand(
      "open", "Open a new sale and print it (its id is what the other sale commands take).");
  std::string terminal;
  sale_open->add_option("--terminal", terminal,
                        "The till the sale is rung up on (default: this host's name)");
  agent_options(sale_open);

  auto* sale_scan = sale->add_subcommand(
      "scan", "Add a scanned unit (label, GTIN or member code) to an open sale.");
  std::string scan_payload;
  sale_scan->add_option("SALE", sale_id, "The sale's id")->required();
  sale_scan->add_option("PAYLOAD", scan_payload, "What the scanner read (quote it)")->required();
  std::string override_manager, override_reason;
  auto* override_by = sale_scan->add_option(
      "--override-manager", override_manager,
      "Sell a unit an accepted order holds (stock_reserved): the manager who allows it");
  auto* override_why =
      sale_scan->add_option("--override-reason", override_reason, "Why the manager allows it");
  override_by->needs(override_why);
  override_why->needs(override_by);
  agent_options(sale_scan);

  auto* sale_member = sale->add_subcommand(
      "member", "Bind the customer to an open sale: the member code on their phone, or their "
                "phone number (stored only hashed and masked).");
  std::string member_code, member_phone;
  sale_member->add_option("SALE", sale_id, "The sale's id")->required();
  auto* who = sale_member->add_option_group("member", "Who the customer is");
  who->add_option("--code", member_code, "The member code (SAM1:...) shown on their phone");
  who->add_option("--phone", member_phone, "Their mobile number, e.g. 13812345678");
  who->require_option(1);
  agent_options(sale_member);

  auto* sale_complete = sale->add_subcommand(
      "complete", "Take payment and complete an open sale. Payments must add up to the total; "
                  "cash may exceed it and the change is printed.");
  std::vector<std::string> pays;
  sale_complete->add_option("SALE", sale_id, "The sale's id")->required();
  sale_complete
      ->add_option("--pay", pays,
                   "METHOD:AMOUNT[:REF], repeatable. METHOD is cash, card, wechat, alipay, "
                   "unionpay or voucher; AMOUNT is in yuan with up to 2 decimals (599, 599.5, "
                   "599.00); REF is the payment's reference, e.g. card:120:POS-778")
      ->required()
      ->allow_extra_args(false);
  agent_options(sale_complete);

  auto* sale_void = sale->add_subcommand("void", "Void an open sale (nothing is sold).");
  std::string void_reason;
  sale_void->add_option("SALE", sale_id, "The sale's id")->required();
  auto* reason_option = sale_void->add_option("--reason", void_reason, "Why, for the record");
  agent_options(sale_void);

  auto* sale_show = sale->add_subcommand("show", "Print a sale: lines, total, member, payments.");
  sale_show->add_option("SALE", sale_id, "The sale's id")->required();
  agent_options(sale_show);

  auto* sale_receipt = sale->add_subcommand(
      "receipt", "Print a completed sale's receipt as the printer would.");
  int width = 0;
  sale_receipt->add_option("SALE", sale_id, "The sale's id")->required();
  sale_receipt->add_option("--width", width, "Paper width in mm: 58 or 80 (default: the agent's)")
      ->check(CLI::IsMember({58, 80}));
  agent_options(sale_receipt);

  auto* refund = app.add_subcommand(
      "refund", "Refund units of a completed sale by serial; they go back into stock.");
  std::vector<std::string> serials;
  refund->add_option("SALE", sale_id, "The completed sale's id")->required();
  refund->add_option("SERIAL", serials, "The serial of each unit returned")->required();
  agent_options(refund);

  auto* sale_print = sale->add_subcommand(
      "print", "Print a completed sale's receipt on the agent's receipt printer ([printer]).");
  sale_print->add_option("SALE", sale_id, "The sale's id")->required();
  agent_options(sale_print);

  auto* scanners = app.add_subcommand(
      "scanners", "The agent's scanner sources: type, device, terminal, connected, scans, dropped.");
  agent_options(scanners);
  auto* terminal_cmd = app.add_subcommand(
      "terminal", "What a terminal's scanners do: sell (sale), take units in (receive), count "
                  "shelves (count), or pick an order (pick)");
  terminal_cmd->require_subcommand(1);
  std::string terminal_id, terminal_mode, terminal_order;
  bool terminal_discard = false;
  auto* terminal_show = terminal_cmd->add_subcommand("show", "The terminal's mode, open sale and counted units.");
  terminal_show->add_option("TERMINAL", terminal_id, "The terminal's id, e.g. till-1")->required();
  agent_options(terminal_show);
  auto* terminal_set = terminal_cmd->add_subcommand("mode", "Switch the terminal's scanners to another mode.");
  terminal_set->add_option("TERMINAL", terminal_id, "The terminal's id")->required();
  terminal_set->add_option("MODE", terminal_mode, "sale, receive, count or pick")
      ->required()
      ->check(CLI::IsMember({"sale", "receive", "count", "pick"}));
  terminal_set->add_option("--order", terminal_order, "pick: the accepted order to pick");
  terminal_set->add_flag("--discard", terminal_discard, "Leave count mode dropping units not committed");
  agent_options(terminal_set);
  auto* terminal_count = terminal_cmd->add_subcommand(
      "count", "Commit the units counted in count mode: each GTIN's on-hand becomes its count.");
  terminal_count->add_option("TERMINAL", terminal_id, "The terminal's id")->required();
  agent_options(terminal_count);

  auto* stock = app.add_subcommand("stock", "Stock of a product at this store");
  stock->require_subcommand(1);
  std::string stock_gtin, stock_payload;
  auto* stock_show = stock->add_subcommand(
      "show", "On hand, reserved by accepted orders (and how many are picked), and available to "
              "sell (GET /v1/stock/GTIN).");
  stock_show->add_option("GTIN", stock_gtin, "The product's GTIN (8, 12, 13 or 14 digits)")->required();
  agent_options(stock_show);
  auto* stock_receive = stock->add_subcommand(
      "receive", "Scan a unit into stock (a delivery, a transfer in) and print the GTIN's stock.");
  stock_receive->add_option("PAYLOAD", stock_payload, "The unit's label as scanned (quote it)")->required();
  agent_options(stock_receive);
  auto* stock_count = stock->add_subcommand(
      "count", "Record a count of one GTIN on the shelf and in the stockroom; the difference "
               "becomes a stock move.");
  std::int64_t counted = 0;
  stock_count->add_option("GTIN", stock_gtin, "The product's GTIN")->required();
  stock_count->add_option("COUNTED", counted, "How many units were counted")
      ->required()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000'000}));
  agent_options(stock_count);

  auto* order = app.add_subcommand(
      "order", "Orders the OMS routed to this store (ship from store, pickup): accept or reject, "
               "pick, ship or hand over");
  order->require_subcommand(1);
  std::string order_id, order_payload, order_reason, carrier, tracking, pickup_code;
  bool order_all = false;
  auto* order_list = order->add_subcommand(
      "list", "Open orders (offered, accepted, picked); with --all the closed ones too.");
  order_list->add_flag("--all", order_all, "Include shipped, handed-over, rejected, released, "
                                           "expired and cancelled orders");
  agent_options(order_list);
  auto* order_show = order->add_subcommand("show", "Print one order: status, expiry, lines and picks.");
  order_show->add_option("ID", order_id, "The order's id")->required();
  agent_options(order_show);
  auto* order_accept = order->add_subcommand(
      "accept", "Accept an offered order: its units are reserved until it ships, is handed over, "
                "released or its TTL lapses.");
  order_accept->add_option("ID", order_id, "The order's id")->required();
  agent_options(order_accept);
  auto* order_reject = order->add_subcommand("reject", "Reject an offered order.");
  order_reject->add_option("ID", order_id, "The order's id")->required();
  auto* reject_reason = order_reject->add_option("--reason", order_reason, "Why, for the OMS");
  agent_options(order_reject);
  auto* order_pick = order->add_subcommand(
      "pick", "Scan one unit for an accepted order (one unit per call).");
  order_pick->add_option("ID", order_id, "The order's id")->required();
  order_pick->add_option("PAYLOAD", order_payload, "The unit's label as scanned (quote it)")->required();
  agent_options(order_pick);
  auto* order_ship = order->add_subcommand("ship", "Ship a picked ship-from-store order.");
  order_ship->add_option("ID", order_id, "The order's id")->required();
  order_ship->add_option("--carrier", carrier, "The carrier, e.g. SF")->required();
  order_ship->add_option("--tracking", tracking, "The carrier's tracking number")->required();
  agent_options(order_ship);
  auto* order_handover = order->add_subcommand(
      "handover", "Hand a picked pickup order to the customer, who shows their pickup code.");
  order_handover->add_option("ID", order_id, "The order's id")->required();
  order_handover->add_option("--code", pickup_code, "The customer's pickup code")->required();
  agent_options(order_handover);
  auto* order_release = order->add_subcommand(
      "release", "Release an accepted or picked order: its units go back to stock.");
  order_release->add_option("ID", order_id, "The order's id")->required();
  auto* release_reason = order_release->add_option("--reason", order_reason, "Why, for the OMS");
  agent_options(order_release);

  auto* demo = app.add_subcommand("demo", "Helpers for the demo store");
  demo->require_subcommand(1);
  auto* demo_codes = demo->add_subcommand(
      "codes", "Mint N signed unit labels (GS1 Digital Links) and one fresh member code with the "
               "demo keys that `store-agent --demo` wrote to {data-dir}/demo/. Offline.");
  int code_count = 0;
  std::string demo_gtin;
  demo_codes->add_option("N", code_count, "How many unit labels (1 to 1000)")
      ->required()
      ->check(CLI::Range(1, 1000));
  demo_codes->add_option("--gtin", demo_gtin,
                         "The product (default 06950123450005, the demo catalog's scarf)");
  demo_codes->add_flag("--json", g.json, "Print {\"codes\":[...],\"member_code\":...}");
  demo_codes->add_option("--data-dir", g.data_dir, "The agent's data directory");

  sa::storectl::DecodeCommand decode(app, g);
  sa::storectl::ProvisionCommands field(app, g);
  sa::storectl::ShiftCommands shifts(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (decode.parsed()) return decode.Run();
  if (const int rc = field.Run(); rc >= 0) return rc;
  if (const int rc = shifts.Run(); rc >= 0) return rc;
  if (inspect->parsed()) return CodeInspect(g, payload, keys, member_keys, patterns);
  if (import->parsed()) return CatalogImport(g, file);
  namespace st = sa::storectl;
  if (status->parsed()) return st::Status(g);
  if (token->parsed()) return st::Token(g);
  if (sync_status->parsed()) return st::SyncStatus(g);
  if (sync_now->parsed()) return st::SyncNow(g);
  if (sync_ack->parsed()) return st::SyncAck(g, alert_id);
  if (sale_open->parsed()) return st::SaleOpen(g, terminal);
  if (sale_scan->parsed()) {
    return st::SaleScan(g, sale_id, scan_payload, override_manager, override_reason);
  }
  if (sale_member->parsed()) return st::SaleMember(g, sale_id, member_code, member_phone);
  if (sale_complete->parsed()) return st::SaleComplete(g, sale_id, pays);
  if (sale_void->parsed()) {
    return st::SaleVoid(g, sale_id,
                        reason_option->count() > 0 ? std::optional<std::string>(void_reason)
                                                   : std::nullopt);
  }
  if (sale_show->parsed()) return st::SaleShow(g, sale_id);
  if (sale_receipt->parsed()) return st::SaleReceipt(g, sale_id, width);
  if (refund->parsed()) return st::Refund(g, sale_id, serials);
  if (sale_print->parsed()) return st::SalePrint(g, sale_id);
  if (scanners->parsed()) return st::Scanners(g);
  if (terminal_show->parsed()) return st::TerminalShow(g, terminal_id);
  if (terminal_set->parsed()) {
    return st::TerminalMode(g, terminal_id, terminal_mode, terminal_order, terminal_discard);
  }
  if (terminal_count->parsed()) return st::TerminalCount(g, terminal_id);
  if (stock_show->parsed()) return st::StockShow(g, stock_gtin);
  if (stock_receive->parsed()) return st::StockReceive(g, stock_payload);
  if (stock_count->parsed()) return st::StockCount(g, stock_gtin, counted);
  if (order_list->parsed()) return st::OrderList(g, order_all);
  if (order_show->parsed()) return st::OrderShow(g, order_id);
  if (order_accept->parsed()) return st::OrderStep(g, order_id, "accept", {});
  if (order_reject->parsed() || order_release->parsed()) {
    const bool reject = order_reject->parsed();
    std::vector<std::pair<std::string, std::string>> body;
    if ((reject ? reject_reason : release_reason)->count() > 0) body.emplace_back("reason", order_reason);
    return st::OrderStep(g, order_id, reject ? "reject" : "release", body);
  }
  if (order_pick->parsed()) return st::OrderStep(g, order_id, "pick", {{"payload", order_payload}});
  if (order_ship->parsed()) {
    return st::OrderStep(g, order_id, "ship", {{"carrier", carrier}, {"tracking_no", tracking}});
  }
  if (order_handover->parsed()) {
    return st::OrderStep(g, order_id, "handover", {{"pickup_code", pickup_code}});
  }
  if (demo_codes->parsed()) return st::DemoCodes(g, code_count, demo_gtin);
  return kExitUsage;
}
