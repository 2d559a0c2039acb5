// SPDX-License-Identifier: Apache-2.0
// The API's routes and what their handlers work with; RESTinio-free. The
// adapter (platform/restinio/server.cpp) binds every route of Routes() to
// RESTinio's router and hands each request to Dispatch as an Exchange.
// Private to the api module.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api.hpp"
#include "http.hpp"

namespace sa::api {

// An HTTP answer.
struct Answer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// One request being answered. The adapter implements it; a handler keeps it
// (a shared_ptr) until it answers, maybe after the writer or a worker.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual std::string_view method() const = 0;
  virtual std::string_view path() const = 0;   // without the query
  virtual std::string_view query() const = 0;  // after the '?'
  virtual const std::string& body() const = 0;
  virtual std::string header(std::string_view name) const = 0;  // "" when absent
  // Sends the answer; only the first call counts.
  virtual void Reply(Answer answer) = 0;
  // Keeps the connection open as a server-sent event stream (GET
  // /v1/events); false when too many are open.
  virtual bool StreamEvents() = 0;

  std::vector<std::string> params;  // the route's {params}, as sent (not decoded)
  sessions::Caller caller;
};
using ExchangePtr = std::shared_ptr<Exchange>;

// The server-sent events every screen sees.
class EventHub : public terminals::Listener {
 public:
  EventHub(const SyncHooks& sync,
           std::function<void(std::string_view event, const std::string& data)> broadcast);

  void Scanned(const terminals::ScanRecord& scan) override;
  void SaleChanged(const store::Sale& sale) override;
  void UnitReceived(const store::StockLevel& level, const std::string& serial) override;
  void ReservationChanged(const store::Reservation& order) override;
  void Tallied(const std::string& terminal, const std::string& gtin, std::int64_t units) override;
  void CountCommitted(const terminals::CountCommit& commit) override;
  void TerminalChanged(const terminals::TerminalView& terminal) override;
  void EventWritten() override;
  void StockCounted(const store::StockLevel& level);
  void Printed(const std::string& json);

 private:
  const SyncHooks& sync_;
  std::function<void(std::string_view, const std::string&)> broadcast_;
};

// What the API counts for /metrics (loop thread only).
struct Counters {
  std::map<int, std::uint64_t> responses_by_status;
  std::uint64_t sales_completed = 0;
  std::uint64_t sales_voided = 0;
  std::uint64_t refunds = 0;
};

// What every handler works with.
struct Context {
  loop::EventLoop& loop;
  Options& options;
  const daemon::Log& log;
  Parts parts;
  EventHub& events;
  Counters& counters;
  std::function<std::size_t()> event_streams;  // how many /v1/events streams are open
  std::chrono::steady_clock::time_point started;
  // Callbacks from other threads (the printer, sync) check this before they
  // touch the context: once the server is gone, nothing of theirs runs.
  std::shared_ptr<int> alive = std::make_shared<int>(0);
};

using Handler = void (*)(Context& ctx, const ExchangePtr& x);

// Who may call a route: anyone (the screens; no body limit either), anyone
// within the body limit (logging in), a known caller (the API token or a
// session), or a manager (or the API token).
enum class Access { screen, anyone, caller, manager };

struct Route {
  const char* method;  // GET, POST or DELETE
  const char* path;    // with {params}, as in docs/openapi.json
  Access access;
  Handler handle;
  bool rest_of_path = false;  // the last {param} takes the rest of the path (/ui/{file})
};

// Every route the API answers.
const std::vector<Route>& Routes();

// Answers one request: the body limit (413), who is calling (401, 403) as
// `access` says, then the route's handler. Without a route: 404 when `allow`
// is empty, else 405 (the path takes only the methods in `allow`).
void Dispatch(Context& ctx, const Route* route, Access access, const std::string& allow,
              const ExchangePtr& x);

// ---- the handlers' common steps (routes.cpp)

// The API's status for an error's kind, and the error as an answer:
// {"error":{"code","message","reason"?}}.
int StatusFor(const Error& error);
Answer ErrorAnswer(const Error& error);
Answer JsonAnswer(int status, std::string body);

// An Idempotency-Key with what it was first used for (method, path, body).
struct IdempotencyKey {
  std::string key;
  std::string request_hash;
};
// The request's key, nothing without one; invalid_idempotency_key (400) when too long.
Expected<std::optional<IdempotencyKey>> IdempotencyOf(const Exchange& x);

// The request's query, percent-decoded; invalid_field (400) for a broken escape.
Expected<std::map<std::string, std::string>> QueryOf(const Exchange& x);
// A decimal number of 1 to 4 digits between `min` and `max`.
std::optional<std::int64_t> Number(std::string_view text, std::int64_t min, std::int64_t max);

// Runs `work` on the writer and answers once it is durable: the result as
// `encode` makes it, an error as ErrorAnswer. With `idempotent` and a key,
// the first answer is kept with the change, and a retry gets it back byte
// for byte without running `work` (nor `after`) again. `after` runs on the
// loop with the result, once the answer is sent.
template <class T>
void Submit(Context& ctx, const ExchangePtr& x, ledger::Durability durability, bool idempotent,
            std::function<Expected<T>(store::Store&)> work, std::function<Answer(const T&)> encode,
            std::function<void(const Expected<T>&)> after = {}) {
  auto key = idempotent ? IdempotencyOf(*x) : Expected<std::optional<IdempotencyKey>>(std::nullopt);
  if (!key) return x->Reply(ErrorAnswer(key.error()));
  struct Done {
    std::optional<Expected<T>> fresh;  // nothing for a replay
    Answer answer;
  };
  ctx.parts.writer.Submit<Done>(
      durability,
      [key = *key, work = std::move(work), encode](store::Store& s) -> Expected<Done> {
        if (key) {
          auto seen = s.books.RecallAnswer(key->key, key->request_hash);
          if (!seen) return seen.error();
          if (*seen) return Done{std::nullopt, JsonAnswer((*seen)->status, (*seen)->body)};
        }
        Expected<T> result = work(s);
        Answer answer = result ? encode(*result) : ErrorAnswer(result.error());
        if (key && answer.status < 500) {
          auto kept =
              s.books.RememberAnswer(key->key, key->request_hash, {answer.status, answer.body});
          if (!kept) return kept.error();
        }
        return Done{std::move(result), std::move(answer)};
      },
      [x, after = std::move(after)](Expected<Done> done) {
        if (!done) {
          x->Reply(ErrorAnswer(done.error()));
          if (after) after(done.error());
          return;
        }
        x->Reply(std::move(done->answer));
        if (after && done->fresh) after(*done->fresh);
      });
}

// A request body that did not parse: answers its 400 and says so.
template <class T>
bool Fails(const ExchangePtr& x, const Expected<T>& parsed) {
  if (parsed) return false;
  x->Reply(ErrorAnswer(parsed.error()));
  return true;
}

// A manager action (refund, post-void, override, release): the approval of
// the caller when a manager (their session, the API token), else of the
// manager's PIN in the body ({"approval":{"manager","pin"}}, checked by
// sessions::Approve), then `then` with it on the loop. Refused otherwise
// (403 manager_required, invalid_approval; 429 too_many_attempts). With
// `required` false (voids: only a completed sale's needs a manager), `then`
// runs without one when none was offered. Whatever `then` needs of the
// caller it takes before this call: the session may end meanwhile.
void WithApproval(Context& ctx, const ExchangePtr& x, bool required,
                  std::function<void(std::optional<store::Approval>)> then);

// A read on the writer, answered when it is done; never kept.
template <class T>
void Read(Context& ctx, const ExchangePtr& x, std::function<Expected<T>(store::Store&)> work,
          std::function<Answer(const T&)> encode) {
  Submit<T>(ctx, x, ledger::Durability::relaxed, false, std::move(work), std::move(encode));
}

// ---- the handlers, by area (each in its own file)

// sales_routes.cpp
void OpenSale(Context&, const ExchangePtr&);
void FindSale(Context&, const ExchangePtr&);
void ShowSale(Context&, const ExchangePtr&);
void ScanIntoSale(Context&, const ExchangePtr&);
void BindMember(Context&, const ExchangePtr&);
void SetGuide(Context&, const ExchangePtr&);
void CompleteSale(Context&, const ExchangePtr&);
void VoidSale(Context&, const ExchangePtr&);
void RemoveLine(Context&, const ExchangePtr&);
void ChangePrice(Context&, const ExchangePtr&);
void DiscountSale(Context&, const ExchangePtr&);
void RemoveDiscount(Context&, const ExchangePtr&);
void RemoveCoupon(Context&, const ExchangePtr&);
void Refund(Context&, const ExchangePtr&);
void ExchangeSale(Context&, const ExchangePtr&);
// online_return_routes.cpp
void FindOnlineOrder(Context&, const ExchangePtr&);
void ReturnOnlineOrder(Context&, const ExchangePtr&);
// receipt_routes.cpp
// How this store prints: its language and clock, in `encoding`.
receipt::Options PrintOptions(const Options& options, receipt::Encoding encoding);
// A completed sale's claim URL (config receipt.claim_url with its token); ""
// when a member is bound or was claimed, or the sale cannot be claimed.
std::string ClaimUrlOf(const store::Sale& sale, const Options& options);
void ShowReceipt(Context&, const ExchangePtr&);
void PrintReceipt(Context&, const ExchangePtr&);
void ClaimLink(Context&, const ExchangePtr&);
void ClaimQr(Context&, const ExchangePtr&);
void ShowRefundReceipt(Context&, const ExchangePtr&);
void PrintRefundReceipt(Context&, const ExchangePtr&);
// Prints a refund's receipt after the refund; `done` on the loop.
void PrintRefund(Context& ctx, const std::string& refund_id,
                 std::function<void(Expected<std::string>)> done);
// Prints a completed sale's receipt (after completion, or asked for); `done` on the loop.
void PrintSale(Context& ctx, const std::string& sale_id,
               std::function<void(Expected<std::string>)> done);
// stock_routes.cpp
void ShowStock(Context&, const ExchangePtr&);
void ReceiveUnit(Context&, const ExchangePtr&);
void CountStock(Context&, const ExchangePtr&);
void ListReservations(Context&, const ExchangePtr&);
void ShowReservation(Context&, const ExchangePtr&);
void AcceptOrder(Context&, const ExchangePtr&);
void RejectOrder(Context&, const ExchangePtr&);
void ReleaseOrder(Context&, const ExchangePtr&);
void PickUnit(Context&, const ExchangePtr&);
void ShipOrder(Context&, const ExchangePtr&);
void HandOverOrder(Context&, const ExchangePtr&);
// staff_routes.cpp
void Login(Context&, const ExchangePtr&);
void Logout(Context&, const ExchangePtr&);
void ShowSession(Context&, const ExchangePtr&);
void ListCashiers(Context&, const ExchangePtr&);
void AddCashier(Context&, const ExchangePtr&);
void ResetPin(Context&, const ExchangePtr&);
void RemoveCashier(Context&, const ExchangePtr&);
void ListShifts(Context&, const ExchangePtr&);
void OpenShift(Context&, const ExchangePtr&);
void ShowShift(Context&, const ExchangePtr&);
void ShiftReport(Context&, const ExchangePtr&);
void CloseShift(Context&, const ExchangePtr&);
void OpenDrawer(Context&, const ExchangePtr&);
// terminal_routes.cpp
void ListTerminals(Context&, const ExchangePtr&);
void ShowTerminal(Context&, const ExchangePtr&);
void SetMode(Context&, const ExchangePtr&);
void CommitCount(Context&, const ExchangePtr&);
void RecentScans(Context&, const ExchangePtr&);
// system_routes.cpp
void Screen(Context&, const ExchangePtr&);
void Messages(Context&, const ExchangePtr&);
void Health(Context&, const ExchangePtr&);
void Metrics(Context&, const ExchangePtr&);
void Events(Context&, const ExchangePtr&);
void Scanners(Context&, const ExchangePtr&);
void Printers(Context&, const ExchangePtr&);
void SyncStatus(Context&, const ExchangePtr&);
void SyncNow(Context&, const ExchangePtr&);
void RunRetention(Context&, const ExchangePtr&);
void ShowDays(Context&, const ExchangePtr&);
void AckAlert(Context&, const ExchangePtr&);

}  // namespace sa::api
