// SPDX-License-Identifier: Apache-2.0
// storectl's commands that talk to the running agent over its local HTTP API
// (docs/openapi.json), plus the offline demo-code minter.
// Exit codes: 0 ok (2xx), 1 usage, 2 cannot reach the agent (no answer, a
// refused token, or a 5xx), 3 the agent refused the input (any other 4xx).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base.hpp"

namespace sa::storectl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitUnreachable = 2;
inline constexpr int kExitRejected = 3;

// The options every command shares.
struct Options {
  bool json = false;       // print JSON (the agent's body as-is) to stdout
  std::string data_dir;    // --data-dir
  std::string url;         // --url
  std::string token_file;  // --token-file
  std::string locale;      // --locale: en | zh-CN (texts.hpp)
};

// --data-dir, else $STORE_AGENT_DATA, else /var/lib/store-agent.
std::string DataDir(const Options& o);

// Reports `error` (stderr, or {"error":{...}} on stdout with --json) and
// returns `exit_code`.
int Fail(const Options& o, int exit_code, const Error& error);

// The whole file at `path` (a key, a CSV, a bundle); nothing when it cannot
// be opened.
std::optional<std::string> ReadWholeFile(const std::string& path);

int Status(const Options& o);
int Token(const Options& o);
int SyncStatus(const Options& o);
int SyncNow(const Options& o);
int SyncAck(const Options& o, const std::string& alert_id);
int SaleOpen(const Options& o, std::string terminal);
// With `override_manager` (and its reason) a manager lets the till sell a
// unit an accepted order holds (the agent's stock_reserved refusal).
int SaleScan(const Options& o, const std::string& sale, const std::string& payload,
             const std::string& override_manager = {}, const std::string& override_reason = {});
int SaleMember(const Options& o, const std::string& sale, const std::string& code,
               const std::string& phone);
int SaleComplete(const Options& o, const std::string& sale, const std::vector<std::string>& pays);
int SaleVoid(const Options& o, const std::string& sale, const std::optional<std::string>& reason);
int SaleShow(const Options& o, const std::string& sale);
int SaleReceipt(const Options& o, const std::string& sale, int width /* 0: the agent's */);
int Refund(const Options& o, const std::string& sale, const std::vector<std::string>& serials);
// Stock of one GTIN, and the two ways it changes at the store.
int StockShow(const Options& o, const std::string& gtin);
int StockReceive(const Options& o, const std::string& payload);
int StockCount(const Options& o, const std::string& gtin, std::int64_t counted);
// Orders the OMS routed to this store (reservations) and their steps.
int OrderList(const Options& o, bool all);
int OrderShow(const Options& o, const std::string& id);
// action: accept, reject, release, pick, ship or handover; `body` its fields.
int OrderStep(const Options& o, const std::string& id, const std::string& action,
              const std::vector<std::pair<std::string, std::string>>& body);
// The store's hardware: scanner sources, terminals' modes, the printer.
int Scanners(const Options& o);
int TerminalShow(const Options& o, const std::string& terminal);
// mode: sale, receive, count or pick (with `order_id`); `discard` leaves
// count mode with units not committed.
int TerminalMode(const Options& o, const std::string& terminal, const std::string& mode,
                 const std::string& order_id, bool discard);
int TerminalCount(const Options& o, const std::string& terminal);
int SalePrint(const Options& o, const std::string& sale);
// The completed sale's claim URL, what its receipt's QR holds (exit 3,
// no_claim_url, when a member is bound or has claimed it).
int SaleClaimUrl(const Options& o, const std::string& sale);
// Each receipt printer: what it says of itself (DLE EOT) and its queue.
int PrinterStatus(const Options& o);
// The cash drawer of `terminal` opened without a sale (the API token is the
// store's: it approves itself), kicked through the terminal's printer.
int DrawerOpen(const Options& o, const std::string& terminal, const std::string& reason);
int DemoCodes(const Options& o, int count, const std::string& gtin);
// Cashier accounts (a manager's job; the PIN goes to the agent, which keeps
// only a slow salted hash) and till shifts with their X/Z report.
int CashierAdd(const Options& o, const std::string& id, const std::string& name,
               const std::string& role, const std::string& pin);
int CashierList(const Options& o);
int CashierPin(const Options& o, const std::string& id, const std::string& pin);
int CashierRemove(const Options& o, const std::string& id);
int ShiftOpen(const Options& o, const std::string& terminal, MinorUnits opening_float);
int ShiftClose(const Options& o, const std::string& id, MinorUnits counted);
int ShiftReport(const Options& o, const std::string& id);
int ShiftList(const Options& o, const std::string& terminal, const std::string& status);

}  // namespace sa::storectl
