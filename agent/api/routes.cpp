// SPDX-License-Identifier: Apache-2.0
// The route table, the checks every request passes, and the answers common
// to all handlers.
#include "routes.hpp"

#include "answers.hpp"
#include "request.hpp"

namespace sa::api {

const std::vector<Route>& Routes() {
  using A = Access;
  static const std::vector<Route> kRoutes = {
      // The screens need no token: they are what a cashier logs in with.
      {"GET", "/", A::screen, &Screen},
      {"GET", "/store", A::screen, &Screen},
      {"GET", "/ui/{file}", A::screen, &Screen, true},
      {"POST", "/v1/login", A::anyone, &Login},
      {"GET", "/v1/messages", A::anyone, &Messages},
      {"POST", "/v1/logout", A::caller, &Logout},
      {"GET", "/v1/session", A::caller, &ShowSession},
      {"GET", "/metrics", A::caller, &Metrics},
      {"GET", "/v1/health", A::caller, &Health},
      {"GET", "/v1/events", A::caller, &Events},
      {"GET", "/v1/scans", A::caller, &RecentScans},
      {"GET", "/v1/scanners", A::caller, &Scanners},
      {"GET", "/v1/printers", A::caller, &Printers},
      {"GET", "/v1/terminals", A::caller, &ListTerminals},
      {"GET", "/v1/terminals/{t}", A::caller, &ShowTerminal},
      {"POST", "/v1/terminals/{t}/mode", A::caller, &SetMode},
      {"POST", "/v1/terminals/{t}/count", A::caller, &CommitCount},
      {"POST", "/v1/terminals/{t}/drawer", A::caller, &OpenDrawer},
      {"GET", "/v1/cashiers", A::manager, &ListCashiers},
      {"POST", "/v1/cashiers", A::manager, &AddCashier},
      {"DELETE", "/v1/cashiers/{id}", A::manager, &RemoveCashier},
      {"POST", "/v1/cashiers/{id}/pin", A::manager, &ResetPin},
      {"GET", "/v1/shifts", A::caller, &ListShifts},
      {"POST", "/v1/shifts", A::caller, &OpenShift},
      {"GET", "/v1/shifts/{id}", A::caller, &ShowShift},
      {"GET", "/v1/shifts/{id}/report", A::caller, &ShiftReport},
      {"POST", "/v1/shifts/{id}/close", A::caller, &CloseShift},
      {"GET", "/v1/sync", A::caller, &SyncStatus},
      {"POST", "/v1/sync/now", A::caller, &SyncNow},
      {"POST", "/v1/sync/alerts/{id}/ack", A::caller, &AckAlert},
      {"POST", "/v1/ledger/retention", A::manager, &RunRetention},
      {"GET", "/v1/ledger/days", A::manager, &ShowDays},
      {"POST", "/v1/stock/receive", A::caller, &ReceiveUnit},
      {"POST", "/v1/stock/counts", A::caller, &CountStock},
      {"GET", "/v1/stock/{gtin}", A::caller, &ShowStock},
      {"GET", "/v1/reservations", A::caller, &ListReservations},
      {"GET", "/v1/reservations/{id}", A::caller, &ShowReservation},
      {"POST", "/v1/reservations/{id}/accept", A::caller, &AcceptOrder},
      {"POST", "/v1/reservations/{id}/reject", A::caller, &RejectOrder},
      {"POST", "/v1/reservations/{id}/release", A::caller, &ReleaseOrder},
      {"POST", "/v1/reservations/{id}/pick", A::caller, &PickUnit},
      {"POST", "/v1/reservations/{id}/ship", A::caller, &ShipOrder},
      {"POST", "/v1/reservations/{id}/handover", A::caller, &HandOverOrder},
      {"POST", "/v1/refunds", A::caller, &Refund},
      {"GET", "/v1/refunds/{id}/receipt", A::caller, &ShowRefundReceipt},
      {"POST", "/v1/refunds/{id}/print", A::caller, &PrintRefundReceipt},
      {"POST", "/v1/exchanges", A::caller, &ExchangeSale},
      {"GET", "/v1/online-orders", A::caller, &FindOnlineOrder},
      {"POST", "/v1/online-returns", A::caller, &ReturnOnlineOrder},
      {"POST", "/v1/sales", A::caller, &OpenSale},
      {"GET", "/v1/sales", A::caller, &FindSale},
      {"GET", "/v1/sales/{id}", A::caller, &ShowSale},
      {"POST", "/v1/sales/{id}/scans", A::caller, &ScanIntoSale},
      {"POST", "/v1/sales/{id}/member", A::caller, &BindMember},
      {"POST", "/v1/sales/{id}/guide", A::caller, &SetGuide},
      {"POST", "/v1/sales/{id}/complete", A::caller, &CompleteSale},
      {"POST", "/v1/sales/{id}/void", A::caller, &VoidSale},
      {"GET", "/v1/sales/{id}/receipt", A::caller, &ShowReceipt},
      {"POST", "/v1/sales/{id}/print", A::caller, &PrintReceipt},
      {"GET", "/v1/sales/{id}/claim", A::caller, &ClaimLink},
      {"GET", "/v1/sales/{id}/claim-qr.svg", A::caller, &ClaimQr},
      {"DELETE", "/v1/sales/{id}/lines/{line_id}", A::caller, &RemoveLine},
      {"POST", "/v1/sales/{id}/lines/{line_id}/price", A::caller, &ChangePrice},
      {"POST", "/v1/sales/{id}/discount", A::caller, &DiscountSale},
      {"DELETE", "/v1/sales/{id}/discount", A::caller, &RemoveDiscount},
      {"DELETE", "/v1/sales/{id}/coupons/{coupon_id}", A::caller, &RemoveCoupon},
  };
  return kRoutes;
}

namespace {

std::string Bearer(const Exchange& x) {
  const std::string auth = x.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size() || std::string_view(auth).substr(0, kBearer.size()) != kBearer)
    return {};
  return auth.substr(kBearer.size());
}

void Refuse(const ExchangePtr& x, ErrorKind kind, std::string code, std::string message) {
  x->Reply(ErrorAnswer(MakeError(kind, std::move(code), std::move(message))));
}

}  // namespace

void Dispatch(Context& ctx, const Route* route, Access access, const std::string& allow,
              const ExchangePtr& x) {
  if (access != Access::screen && x->body().size() > ctx.options.max_body_bytes) {
    return Refuse(x, ErrorKind::too_large, "body_too_large",
                  "the body is over " + std::to_string(ctx.options.max_body_bytes) + " bytes");
  }
  if (access == Access::caller || access == Access::manager) {
    x->caller = ctx.parts.sessions.WhoIs(Bearer(*x));
    if (!x->caller.known()) {
      return Refuse(x, ErrorKind::unauthorized, "unauthorized",
                    "a valid 'Authorization: Bearer {token}' header is required "
                    "(the token is in {data-dir}/api-token, or log in: POST /v1/login)");
    }
    if (access == Access::manager && !x->caller.manager()) {
      return Refuse(x, ErrorKind::forbidden, "forbidden",
                    "this needs a manager's session or the API token");
    }
  }
  if (!route && allow.empty()) {
    return Refuse(x, ErrorKind::not_found, "not_found",
                  "no such route: " + std::string(x->path().substr(0, 100)));
  }
  if (!route) {
    Answer answer = ErrorAnswer(
        MakeError(ErrorKind::invalid_request, "method_not_allowed", "this route takes " + allow));
    answer.status = 405;
    answer.headers.emplace_back("Allow", allow);
    return x->Reply(std::move(answer));
  }
  try {
    route->handle(ctx, x);
  } catch (const std::exception& e) {
    ctx.log.Error("request failed", {{"what", e.what()}});
    Refuse(x, ErrorKind::internal, "internal_error", "the agent hit an internal error");
  }
}

void WithApproval(Context& ctx, const ExchangePtr& x, bool required,
                  std::function<void(std::optional<store::Approval>)> then) {
  auto pin = request::ParseApproval(x->body());
  if (!pin) return x->Reply(ErrorAnswer(pin.error()));
  if (!required && !*pin && !x->caller.manager()) return then(std::nullopt);
  ctx.parts.sessions.Approve(x->caller, *pin,
                             [x, then = std::move(then), alive = std::weak_ptr<int>(ctx.alive)](
                                 Expected<store::Approval> approved) {
                               if (alive.expired()) return;  // the server is gone
                               if (!approved) return x->Reply(ErrorAnswer(approved.error()));
                               then(std::move(approved).value());
                             });
}

int StatusFor(const Error& error) {
  switch (error.kind) {
    case ErrorKind::invalid_request: return 400;
    case ErrorKind::unauthorized: return 401;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    case ErrorKind::too_large: return 413;
    case ErrorKind::refused: return 422;
    case ErrorKind::throttled: return 429;
    case ErrorKind::internal: return 500;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::storage: return 507;
  }
  return 500;
}

Answer ErrorAnswer(const Error& error) {
  return JsonAnswer(StatusFor(error), json::ErrorBody(error));
}

Answer JsonAnswer(int status, std::string body) {
  return Answer{status, std::move(body), "application/json", {}};
}

Expected<std::optional<IdempotencyKey>> IdempotencyOf(const Exchange& x) {
  std::string key = x.header("Idempotency-Key");
  if (key.empty()) return std::optional<IdempotencyKey>();
  if (key.size() > 128) {
    return MakeError(ErrorKind::invalid_request, "invalid_idempotency_key",
                     "an Idempotency-Key is at most 128 characters");
  }
  const std::string what = std::string(x.method()) + " " + std::string(x.path()) + "\n" + x.body();
  return std::optional(IdempotencyKey{std::move(key), crypto::ToHex(crypto::Sha256(what))});
}

Expected<std::map<std::string, std::string>> QueryOf(const Exchange& x) {
  auto query = http::ParseQuery(x.query());
  if (!query)
    return MakeError(ErrorKind::invalid_request, "invalid_field",
                     "the query has a broken %-escape");
  return std::move(*query);
}

std::optional<std::int64_t> Number(std::string_view text, std::int64_t min, std::int64_t max) {
  if (text.empty() || text.size() > 4 ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  const std::int64_t n = std::stoll(std::string(text));
  if (n < min || n > max) return std::nullopt;
  return n;
}

// ------------------------------------------------------------------ events

EventHub::EventHub(const SyncHooks& sync,
                   std::function<void(std::string_view, const std::string&)> broadcast)
    : sync_(sync), broadcast_(std::move(broadcast)) {}

void EventHub::Scanned(const terminals::ScanRecord& scan) { broadcast_("scan", json::Scan(scan)); }
void EventHub::SaleChanged(const store::Sale& sale) { broadcast_("sale", store::SaleJson(sale)); }
void EventHub::UnitReceived(const store::StockLevel& level, const std::string& serial) {
  broadcast_("stock", json::Received(level, serial));
}
void EventHub::StockCounted(const store::StockLevel& level) {
  broadcast_("stock", json::Stock(level));
}
void EventHub::ReservationChanged(const store::Reservation& order) {
  broadcast_("reservation", json::Reservation(order));
}
void EventHub::Tallied(const std::string& terminal, const std::string& gtin, std::int64_t units) {
  broadcast_("count", json::Tallied(terminal, gtin, units));
}
void EventHub::CountCommitted(const terminals::CountCommit& commit) {
  broadcast_("stock", json::CountCommit(commit));
}
void EventHub::TerminalChanged(const terminals::TerminalView& terminal) {
  broadcast_("terminal", json::Terminal(terminal));
}
void EventHub::Printed(const std::string& json) { broadcast_("printer", json); }
void EventHub::EventWritten() {
  if (sync_.event_written) sync_.event_written();
}

}  // namespace sa::api
