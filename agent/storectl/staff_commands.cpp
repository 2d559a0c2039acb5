// SPDX-License-Identifier: Apache-2.0
// storectl's cashier and shift commands (issue 9), through the agent's API.
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent_call.hpp"
#include "agent_commands.hpp"
#include "money_text.hpp"
#include "texts.hpp"

// ---- cashiers and shifts (issue 9) -----------------------------------------

namespace sa::storectl {

using nlohmann::json;

namespace {

void PrintCashier(const json& c) {
  std::cout << F("ctl.cashier_head", {{"id", Str(c, "id")}}) << "  " << Str(c, "name") << "  "
            << Word("ctl.role.", Str(c, "role"));
  if (c.contains("active") && !c.value("active", true)) std::cout << "  " << T("ctl.removed");
  std::cout << "\n";
}

void PrintShift(const json& s) {
  std::cout << F("ctl.shift_head", {{"id", Str(s, "id")}}) << "  "
            << Word("ctl.shift_status.", Str(s, "status")) << "  "
            << F("ctl.terminal_is", {{"terminal", Str(s, "terminal")}});
  if (const auto c = Str(s, "cashier"); !c.empty())
    std::cout << "  " << F("ctl.cashier_head", {{"id", c}});
  std::cout << "\n  "
            << F("ctl.opened_with",
                 {{"at", Str(s, "opened_at")}, {"amount", Money(s, "opening_float")}});
  if (const auto at = Str(s, "closed_at"); !at.empty()) {
    std::cout << "\n  "
              << F("ctl.closed_counted", {{"at", at}, {"amount", Money(s, "counted_cash")}});
  }
  // Checked against what the cloud ingested (PROTOCOL.md §12).
  if (const auto r = Str(s, "reconciliation"); !r.empty()) {
    std::cout << "\n  "
              << T(r == "match"      ? "ctl.reconciled_match"
                   : r == "mismatch" ? "ctl.reconciled_mismatch"
                                     : "ctl.reconciled_pending");
  }
  std::cout << "\n";
}

// The X/Z report as the agent lays it out for a 58 mm printer, in the
// store's language and time (GET /v1/shifts/{id}/report?format=text); the
// report's JSON with --json.
int PrintReport(const Options& o, const std::string& id) {
  const std::string path = "/v1/shifts/" + PathSegment(id) + "/report";
  return Call(o, Get(o.json ? path : path + "?format=text"), [](const json&) {});
}

}  // namespace

int CashierAdd(const Options& o, const std::string& id, const std::string& name,
               const std::string& role, const std::string& pin) {
  json body = {{"id", id}, {"name", name}, {"pin", pin}};
  if (!role.empty()) body["role"] = role;
  return Call(o, Post("/v1/cashiers", body), PrintCashier);
}

int CashierList(const Options& o) {
  return Call(o, Get("/v1/cashiers"), [](const json& j) {
    const json& list = Array(j, "cashiers");
    if (list.empty()) std::cout << T("ctl.no_cashiers") << "\n";
    for (const auto& c : list) PrintCashier(c);
  });
}

int CashierPin(const Options& o, const std::string& id, const std::string& pin) {
  return Call(o, Post("/v1/cashiers/" + PathSegment(id) + "/pin", json{{"pin", pin}}),
              [&](const json&) {
                std::cout << F("ctl.pin_changed", {{"id", id}}) << "\n";
              });
}

int CashierRemove(const Options& o, const std::string& id) {
  return Call(o, HttpRequest{"DELETE", "/v1/cashiers/" + PathSegment(id), {}, {}},
              [&](const json&) {
                std::cout << F("ctl.cashier_removed", {{"id", id}}) << "\n";
              });
}

int ShiftOpen(const Options& o, const std::string& terminal, MinorUnits opening_float) {
  return Call(o, Post("/v1/shifts", json{{"terminal", terminal}, {"opening_float", opening_float}}),
              PrintShift);
}

int ShiftClose(const Options& o, const std::string& id, MinorUnits counted) {
  return Call(o, Post("/v1/shifts/" + PathSegment(id) + "/close", json{{"counted_cash", counted}}),
              [&o, &id](const json& j) {
                PrintShift(j.value("shift", json::object()));
                PrintReport(o, id);
                for (const auto& w : Array(j, "warnings")) {
                  std::cerr << "storectl: " << T("ctl.warning") << ": " << Str(w, "code") << ": "
                            << Str(w, "message") << "\n";
                }
              });
}

int ShiftReport(const Options& o, const std::string& id) { return PrintReport(o, id); }

int ShiftList(const Options& o, const std::string& terminal, const std::string& status) {
  std::string query;
  if (!terminal.empty()) query += "terminal=" + PathSegment(terminal);
  if (!status.empty())
    query += std::string(query.empty() ? "" : "&") + "status=" + PathSegment(status);
  return Call(o, Get("/v1/shifts" + (query.empty() ? std::string() : "?" + query)),
              [](const json& j) {
                const json& list = Array(j, "shifts");
                if (list.empty()) std::cout << T("ctl.no_shifts") << "\n";
                for (const auto& s : list) PrintShift(s);
              });
}

}  // namespace sa::storectl
