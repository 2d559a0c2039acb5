// SPDX-License-Identifier: Apache-2.0
// storectl's cashier and shift commands (issue 9), through the agent's API.
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent_call.hpp"
#include "agent_commands.hpp"
#include "money_text.hpp"

// ---- cashiers and shifts (issue 9) -----------------------------------------

namespace sa::storectl {

using nlohmann::json;

namespace {

void PrintCashier(const json& c) {
  std::cout << "cashier " << Str(c, "id") << "  " << Str(c, "name") << "  " << Str(c, "role");
  if (c.contains("active") && !c.value("active", true)) std::cout << "  (removed)";
  std::cout << "\n";
}

void PrintShift(const json& s) {
  std::cout << "shift " << Str(s, "id") << "  " << Str(s, "status") << "  terminal "
            << Str(s, "terminal");
  if (const auto c = Str(s, "cashier"); !c.empty()) std::cout << "  cashier " << c;
  std::cout << "\n  opened " << Str(s, "opened_at") << "  opening cash "
            << Money(s, "opening_float");
  if (const auto at = Str(s, "closed_at"); !at.empty()) {
    std::cout << "\n  closed " << at << "  counted " << Money(s, "counted_cash");
  }
  std::cout << "\n";
}

// The X/Z report as text for a till's screen or a 58/80 mm printer (32 columns).
void PrintReport(const json& r) {
  auto row = [](const std::string& left, const std::string& right) {
    const std::size_t width = 32;
    const std::size_t pad =
        left.size() + right.size() < width ? width - left.size() - right.size() : 1;
    std::cout << left << std::string(pad, ' ') << right << "\n";
  };
  const bool closed = !Str(r, "closed_at").empty();
  const std::string rule(32, '-');
  std::cout << (closed ? "Z REPORT (shift closed)" : "X REPORT (shift open)") << "\n"
            << rule << "\n";
  row("terminal", Str(r, "terminal"));
  if (const auto c = Str(r, "cashier"); !c.empty()) row("cashier", c);
  row("opened", Str(r, "opened_at"));
  if (closed) row("closed", Str(r, "closed_at"));
  row("currency", Str(r, "currency"));
  std::cout << rule << "\n";
  const json sales = r.value("sales", json::object());
  const json refunds = r.value("refunds", json::object());
  const json voids = r.value("voids", json::object());
  const json post_voids = r.value("post_voids", json::object());
  row("sales  x" + Str(sales, "count"), Money(sales, "total"));
  row("refunds  x" + Str(refunds, "count"), Money(refunds, "total"));
  row("voids  x" + Str(voids, "count"), "");
  row("post-voids  x" + Str(post_voids, "count"), Money(post_voids, "total"));
  std::cout << rule << "\nby method (sales / refunds / net)\n";
  for (const auto& m : Array(r, "by_method")) {
    row("  " + Str(m, "method"),
        Money(m, "sales") + " / " + Money(m, "refunds") + " / " + Money(m, "net"));
  }
  std::cout << rule << "\ncash drawer\n";
  const json cash = r.value("cash", json::object());
  row("  opening cash", Money(cash, "opening_float"));
  row("  cash taken", Money(cash, "sales"));
  row("  change given", "-" + Money(cash, "change_given"));
  row("  cash refunded", "-" + Money(cash, "refunds"));
  row("  expected", Money(cash, "expected"));
  if (Int(cash, "counted")) {
    row("  counted", Money(cash, "counted"));
    row("  variance", Money(cash, "variance"));
  }
  std::cout << rule << "\n";
  row("events not yet synced", Str(r, "pending_events"));
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
    if (list.empty()) std::cout << "no cashiers yet (storectl cashier add ID --name NAME)\n";
    for (const auto& c : list) PrintCashier(c);
  });
}

int CashierPin(const Options& o, const std::string& id, const std::string& pin) {
  return Call(o, Post("/v1/cashiers/" + PathSegment(id) + "/pin", json{{"pin", pin}}),
              [&](const json&) { std::cout << "PIN of cashier " << id << " changed\n"; });
}

int CashierRemove(const Options& o, const std::string& id) {
  return Call(
      o, HttpRequest{"DELETE", "/v1/cashiers/" + PathSegment(id), {}, {}}, [&](const json&) {
        std::cout << "cashier " << id
                  << " removed (sales keep their name; `cashier pin` gives the account back)\n";
      });
}

int ShiftOpen(const Options& o, const std::string& terminal, MinorUnits opening_float) {
  return Call(o, Post("/v1/shifts", json{{"terminal", terminal}, {"opening_float", opening_float}}),
              PrintShift);
}

int ShiftClose(const Options& o, const std::string& id, MinorUnits counted) {
  return Call(o, Post("/v1/shifts/" + PathSegment(id) + "/close", json{{"counted_cash", counted}}),
              [](const json& j) {
                PrintShift(j.value("shift", json::object()));
                PrintReport(j.value("report", json::object()));
                for (const auto& w : Array(j, "warnings")) {
                  std::cerr << "storectl: warning: " << Str(w, "code") << ": " << Str(w, "message")
                            << "\n";
                }
              });
}

int ShiftReport(const Options& o, const std::string& id) {
  return Call(o, Get("/v1/shifts/" + PathSegment(id) + "/report"), PrintReport);
}

int ShiftList(const Options& o, const std::string& terminal, const std::string& status) {
  std::string query;
  if (!terminal.empty()) query += "terminal=" + PathSegment(terminal);
  if (!status.empty())
    query += std::string(query.empty() ? "" : "&") + "status=" + PathSegment(status);
  return Call(o, Get("/v1/shifts" + (query.empty() ? std::string() : "?" + query)),
              [](const json& j) {
                const json& list = Array(j, "shifts");
                if (list.empty()) std::cout << "no shifts\n";
                for (const auto& s : list) PrintShift(s);
              });
}

}  // namespace sa::storectl
