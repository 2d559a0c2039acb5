// SPDX-License-Identifier: Apache-2.0
// Cashiers, their sessions, and shifts.
#include "answers.hpp"
#include "request.hpp"
#include "routes.hpp"

namespace sa::api {
namespace {

using ledger::Durability;

Answer CashierAnswer(const store::Cashier& cashier) {
  return JsonAnswer(200, store::CashierJson(cashier));
}
Answer ShiftAnswer(const store::Shift& shift) { return JsonAnswer(200, store::ShiftJson(shift)); }

// The cashier's id from the path, else cashier_not_found.
std::optional<std::string> CashierId(const ExchangePtr& x) {
  const std::string& id = x->params[0];
  if (store::Shifts::IsValidCashierId(id)) return id;
  x->Reply(ErrorAnswer(MakeError(ErrorKind::not_found, "cashier_not_found", "no such cashier")));
  return std::nullopt;
}

// The shift's id from the path: percent-decoded, else shift_not_found.
std::optional<std::string> ShiftId(const ExchangePtr& x) {
  auto id = http::PathId(x->params[0]);
  if (!id)
    x->Reply(ErrorAnswer(MakeError(ErrorKind::not_found, "shift_not_found", "no such shift")));
  return id;
}

}  // namespace

// Not an Idempotency-Key POST: a login changes nothing in the ledger, and a
// stored answer would be a bearer token written to disk. A retry simply
// logs in again.
void Login(Context& ctx, const ExchangePtr& x) {
  auto login = request::ParseLogin(x->body());
  if (!login) return x->Reply(ErrorAnswer(login.error()));
  ctx.parts.sessions.Login(
      login->cashier, login->pin, login->terminal, [x](Expected<sessions::LoggedIn> in) {
        x->Reply(in ? JsonAnswer(200, json::LoggedIn(*in)) : ErrorAnswer(in.error()));
      });
}

void Logout(Context& ctx, const ExchangePtr& x) {
  const bool ended = ctx.parts.sessions.Logout(x->caller);
  x->caller.session = nullptr;
  x->Reply(JsonAnswer(200, json::LoggedOut(ended)));
}

void ShowSession(Context& ctx, const ExchangePtr& x) {
  const sessions::Caller caller = x->caller;
  if (!caller.session) return x->Reply(JsonAnswer(200, json::Session(caller, std::nullopt, 0)));
  // The session stays alive while this request runs (the loop is the only
  // thread that ends sessions, and it is answering this one).
  const std::string terminal = caller.session->terminal;
  Read<std::optional<store::Shift>>(
      ctx, x,
      [terminal](store::Store& s) -> Expected<std::optional<store::Shift>> {
        if (terminal.empty()) return std::optional<store::Shift>();
        auto open = s.shifts.ListShifts(terminal, "open", 1);
        if (!open) return open.error();
        return open->empty() ? std::optional<store::Shift>() : std::optional(open->front());
      },
      [copy = *caller.session](const std::optional<store::Shift>& shift) {
        sessions::Caller who;
        who.session = &copy;
        return JsonAnswer(200, json::Session(who, shift, SystemClock().now_ms()));
      });
}

void ListCashiers(Context& ctx, const ExchangePtr& x) {
  Read<std::vector<store::Cashier>>(
      ctx, x, [](store::Store& s) { return s.shifts.Cashiers(); },
      [](const std::vector<store::Cashier>& cashiers) {
        return JsonAnswer(200, json::Cashiers(cashiers));
      });
}

void AddCashier(Context& ctx, const ExchangePtr& x) {
  auto cashier = request::ParseNewCashier(x->body());
  if (!cashier) return x->Reply(ErrorAnswer(cashier.error()));
  ctx.parts.sessions.HashPin(cashier->pin, [&ctx, x, c = *cashier](crypto::PinHash pin) {
    Submit<store::Cashier>(
        ctx, x, Durability::full, true,
        [c, pin = std::move(pin)](store::Store& s) {
          return s.shifts.AddCashier(c.id, c.name, c.role, pin);
        },
        [](const store::Cashier& added) { return JsonAnswer(201, json::CashierBrief(added)); });
  });
}

void ResetPin(Context& ctx, const ExchangePtr& x) {
  auto id = CashierId(x);
  if (!id) return;
  auto pin = request::ParsePin(x->body());
  if (!pin) return x->Reply(ErrorAnswer(pin.error()));
  ctx.parts.sessions.HashPin(*pin, [&ctx, x, id = *id](crypto::PinHash hash) {
    Submit<store::Cashier>(
        ctx, x, Durability::full, true,
        [id, hash = std::move(hash)](store::Store& s) { return s.shifts.SetCashierPin(id, hash); },
        CashierAnswer,
        [&ctx, id](const Expected<store::Cashier>& cashier) {
          if (cashier) ctx.parts.sessions.Unlock(id);  // a manager's reset lifts a lockout
        });
  });
}

void RemoveCashier(Context& ctx, const ExchangePtr& x) {
  auto id = CashierId(x);
  if (!id) return;
  Submit<store::Cashier>(
      ctx, x, Durability::full, false,
      [id = *id](store::Store& s) { return s.shifts.DeactivateCashier(id); }, CashierAnswer,
      [&ctx, id = *id](const Expected<store::Cashier>& cashier) {
        // A removed cashier's sessions end now, not at their idle timeout.
        if (cashier) ctx.parts.sessions.EndSessionsOf(id);
      });
}

void ListShifts(Context& ctx, const ExchangePtr& x) {
  auto query = QueryOf(*x);
  if (!query) return x->Reply(ErrorAnswer(query.error()));
  const std::string terminal = query->count("terminal") ? query->at("terminal") : "";
  const std::string status = query->count("status") ? query->at("status") : "";
  if (!status.empty() && status != "open" && status != "closed") {
    return x->Reply(ErrorAnswer(
        MakeError(ErrorKind::invalid_request, "invalid_field", "status is open or closed")));
  }
  if (!terminal.empty() && !IsValidId(terminal)) {
    return x->Reply(ErrorAnswer(MakeError(ErrorKind::invalid_request, "invalid_field",
                                          "terminal is 1-64 of A-Z a-z 0-9 _ . -")));
  }
  Read<std::vector<store::Shift>>(
      ctx, x,
      [terminal, status](store::Store& s) { return s.shifts.ListShifts(terminal, status, 200); },
      [](const std::vector<store::Shift>& shifts) {
        return JsonAnswer(200, json::Shifts(shifts));
      });
}

void OpenShift(Context& ctx, const ExchangePtr& x) {
  auto body = request::ParseOpenShift(x->body(), x->caller.terminal().empty());
  if (!body) return x->Reply(ErrorAnswer(body.error()));
  Submit<store::Shift>(
      ctx, x, Durability::full, true,
      [terminal = body->terminal.value_or(x->caller.terminal()), opening = body->opening_float,
       cashier = x->caller.cashier()](store::Store& s) {
        return s.shifts.OpenShift(terminal, cashier, opening);
      },
      [](const store::Shift& shift) { return JsonAnswer(201, store::ShiftJson(shift)); });
}

void ShowShift(Context& ctx, const ExchangePtr& x) {
  auto id = ShiftId(x);
  if (!id) return;
  Read<store::Shift>(
      ctx, x, [id = *id](store::Store& s) { return s.shifts.GetShift(id); }, ShiftAnswer);
}

// The report as JSON, or with format=text as the text a till shows and a
// printer prints (width=58|80, default 58), in the store's language and time.
void ShiftReport(Context& ctx, const ExchangePtr& x) {
  auto id = ShiftId(x);
  if (!id) return;
  auto query = QueryOf(*x);
  if (!query) return x->Reply(ErrorAnswer(query.error()));
  auto invalid = [&x](std::string what) {
    x->Reply(ErrorAnswer(MakeError(ErrorKind::invalid_request, "invalid_field", std::move(what))));
  };
  bool text = false;
  receipt::Width width = receipt::Width::mm58;
  i18n::Locale locale = ctx.options.locale;
  for (const auto& [key, value] : *query) {
    if (key == "format" && (value == "json" || value == "text")) {
      text = value == "text";
    } else if (key == "width" && (value == "58" || value == "80")) {
      width = value == "80" ? receipt::Width::mm80 : receipt::Width::mm58;
    } else if (key == "locale" && i18n::ParseLocale(value)) {
      locale = *i18n::ParseLocale(value);
    } else {
      return invalid("format is json or text, width is 58 or 80, locale en or zh-CN (got " +
                     key.substr(0, 20) + ")");
    }
  }
  Read<store::ShiftReport>(
      ctx, x, [id = *id](store::Store& s) { return s.shifts.ReportOf(id); },
      [&ctx, text, width, locale](const store::ShiftReport& r) {
        if (!text) return JsonAnswer(200, store::ShiftReportJson(r));
        auto options = PrintOptions(ctx.options, receipt::Encoding::utf8);
        options.locale = locale;
        return Answer{200,
                      receipt::ShiftReportText(r, width, options),
                      "text/plain; charset=utf-8",
                      {{"Cache-Control", "no-cache"}}};
      });
}

void CloseShift(Context& ctx, const ExchangePtr& x) {
  auto id = ShiftId(x);
  if (!id) return;
  auto counted = request::ParseCountedCash(x->body());
  if (!counted) return x->Reply(ErrorAnswer(counted.error()));
  // A cashier closes their own shift; another's needs a manager.
  WithApproval(ctx, x, false,
               [&ctx, x, id = *id, counted = *counted,
                closer = x->caller.cashier()](std::optional<store::Approval> approved) {
                 Submit<store::ShiftClosed>(
                     ctx, x, Durability::full, true,
                     [id, counted, closer, approved](store::Store& s) {
                       return s.shifts.CloseShift(id, counted, closer, approved);
                     },
                     [](const store::ShiftClosed& closed) {
                       return JsonAnswer(200, json::ShiftClosed(closed));
                     },
                     [&ctx](const Expected<store::ShiftClosed>& closed) {
                       if (closed) ctx.events.EventWritten();  // shift.closed is in the outbox
                     });
               });
}

}  // namespace sa::api
