// SPDX-License-Identifier: Apache-2.0
#include "client.hpp"

#include <algorithm>
#include <cctype>

#include "ledger.hpp"
#include "wire.hpp"

namespace sa::sync {
namespace {

std::string Describe(const HttpResponse& r) {
  const std::string code = wire::ErrorCode(r.body);
  return "cloud answered " + std::to_string(r.status) + (code.empty() ? "" : " " + code);
}

}  // namespace

Client::Client(const ClientOptions& options, store::Config store_config, LedgerPort& port,
               const Clock& clock, const LogFn& log, StatusBoard& board,
               const std::atomic<bool>& abort)
    : opt_(options),
      store_config_(std::move(store_config)),
      port_(port),
      clock_(clock),
      log_(log),
      board_(board),
      abort_(abort),
      batch_(std::clamp<std::size_t>(options.batch_size, 1, kMaxBatchEvents)) {
  while (!opt_.cloud_url.empty() && opt_.cloud_url.back() == '/') opt_.cloud_url.pop_back();
}

Client::~Client() = default;

bool Client::Open(const std::string& ledger_path) {
  ledger::Database::Options o;
  o.create = false;
  o.integrity_check = false;
  auto opened = ledger::Database::Open(ledger_path, o);
  if (!opened) {
    log_("error", "sync cannot open the ledger", {{"why", opened.error().message}});
    return false;
  }
  db_ = std::move(opened).value();
  reader_ = std::make_unique<store::Store>(*db_, store_config_, clock_);
  HttpClientOptions http;
  http.connect_timeout = opt_.connect_timeout;
  http.request_timeout = opt_.request_timeout;
  http.ca_file = opt_.ca_file;
  http.pinned_pubkey = opt_.pinned_pubkey;
  http.user_agent = "store-agent/" + opt_.agent_version;
  http.abort = &abort_;
  http_ = MakeCurlClient(http);
  return http_ != nullptr;
}

// ------------------------------------------------------------------- requests

// One signed request. Transport failures come back as an error; HTTP
// answers (any status) as a response.
Expected<HttpResponse> Client::Call(std::string_view method, const std::string& path,
                                    const std::string& body, bool gzip) {
  const std::int64_t ts = clock_.now_ms() + offset_ms_.load();
  const std::string sig =
      Sign(opt_.device_key,
           SignedRequest{method, path, ts, store_config_.store_id, store_config_.device_id, body});
  HttpRequest request{method, opt_.cloud_url + path, {}, body};
  request.headers = {"X-SA-Store: " + store_config_.store_id,
                     "X-SA-Device: " + store_config_.device_id,
                     "X-SA-Timestamp: " + std::to_string(ts),
                     "X-SA-Signature: " + sig,
                     "Accept: application/json",
                     "Expect:"};  // no 100-continue round trip
  if (method == "POST") request.headers.emplace_back("Content-Type: application/json");
  if (gzip) request.headers.emplace_back("Content-Encoding: gzip");
  auto r = http_->Send(request);
  if (r && r->server_time_ms) {
    // PROTOCOL.md §2: sign with the cloud's clock from now on.
    offset_ms_.store(*r->server_time_ms - clock_.now_ms());
  }
  return r;
}

// Call, then fix what the protocol says is fixable at once: a skewed clock
// (the offset is already updated) and a forgotten device.
Expected<HttpResponse> Client::CallFixing(std::string_view method, const std::string& path,
                                          const std::string& body, bool gzip) {
  for (int attempt = 0;; ++attempt) {
    auto r = Call(method, path, body, gzip);
    if (!r || r->status != 401 || attempt == 2) return r;
    const std::string code = wire::ErrorCode(r->body);
    if (code == "clock_skew") continue;
    if (code == "unknown_device") {
      if (auto ok = Register(); !ok) return ok.error();
      continue;
    }
    return r;
  }
}

Expected<void> Client::Register() {
  const std::string body =
      wire::RegisterBody(store_config_.store_id, store_config_.device_id,
                         crypto::Base64UrlEncode(opt_.device_key), opt_.agent_version);
  Expected<HttpResponse> r = Call("POST", std::string(kPathRegister), body, false);
  if (r && r->status == 401 && wire::ErrorCode(r->body) == "clock_skew") {
    r = Call("POST", std::string(kPathRegister), body, false);
  }
  if (!r) return r.error();
  if (r->status != 200) {
    const std::string code = wire::ErrorCode(r->body);
    if (code == "device_key_mismatch" || code == "device_not_provisioned") {
      Alert(code,
            code == "device_key_mismatch"
                ? "the cloud knows this device by another key: re-provision it"
                : "the cloud does not accept this device: provision it in the OMS",
            "register:" + code);
    }
    return MakeError(ErrorKind::refused, code.empty() ? "register_failed" : code, Describe(*r));
  }
  std::lock_guard lock(board_.mu);
  board_.status.registered = true;
  return {};
}

void Client::Alert(const std::string& code, const std::string& message, const std::string& dedupe) {
  store::Alert alert;
  alert.code = code;
  alert.message = message;
  alert.source = "device";
  (void)port_.Write([&](store::Inbox& inbox) { return inbox.RaiseAlert(alert, dedupe); });
}

Error Client::Refusal(const HttpResponse& r) {
  const std::string code = wire::ErrorCode(r.body);
  if (r.status == 400) {
    Alert("push_refused",
          "the cloud refused a batch as malformed (" + code + "): " + r.body.substr(0, 200),
          "push400:" + code);
  }
  return MakeError(ErrorKind::internal, code.empty() ? "cloud_error" : code, Describe(r));
}

// ----------------------------------------------------------------------- push

Expected<std::uint64_t> Client::Push() {
  std::uint64_t pushed = 0;
  std::size_t size = batch_;
  for (;;) {
    auto state = reader_->inbox.GetSyncState();
    if (!state) return state.error();
    {
      std::lock_guard lock(board_.mu);
      board_.status.acked_seq = state->acked_seq;
      board_.status.last_seq = state->last_seq;
    }
    if (state->last_seq <= state->acked_seq) return pushed;
    auto events = reader_->books.OutboxAfter(state->acked_seq, size);
    if (!events) return events.error();
    if (events->empty()) return pushed;
    std::vector<std::string> envelopes;
    envelopes.reserve(events->size());
    for (const auto& e : *events) envelopes.push_back(store::EventEnvelope(e, store_config_));
    const std::string body =
        wire::PushBody(store_config_.store_id, store_config_.device_id, envelopes);
    auto r = CallFixing("POST", std::string(kPathEvents), Gzip(body), true);
    if (!r) return r.error();
    if (r->status == 413 && size > 1) {
      size = std::max<std::size_t>(1, size / 2);
      continue;
    }
    if (r->status != 200) return Refusal(*r);
    auto answer = wire::ReadPushAnswer(r->body, state->last_seq);
    if (!answer) return answer.error();
    const std::int64_t acked_seq = answer->acked_seq;
    auto written = port_.Write([&](store::Inbox& inbox) -> Expected<void> {
      for (const auto& a : answer->rejected) {
        const std::string key = "rejected:" + a.detail;
        if (auto ok = inbox.RaiseAlert(a, key.substr(0, 200)); !ok) return ok;
      }
      return inbox.RecordAck(acked_seq);
    });
    if (!written) return written.error();
    const std::int64_t advanced = acked_seq - state->acked_seq;
    {
      std::lock_guard lock(board_.mu);
      board_.status.acked_seq = acked_seq;
      board_.status.last_push_at_ms = clock_.now_ms();
      if (advanced > 0) board_.status.pushed_events += static_cast<std::uint64_t>(advanced);
    }
    if (advanced > 0) pushed += static_cast<std::uint64_t>(advanced);
    log_("debug", "events acknowledged", {{"acked_seq", std::to_string(acked_seq)}});
    if (advanced <= 0 && !answer->expected_seq) {
      return MakeError(ErrorKind::internal, "push_stalled",
                       "the cloud acknowledged nothing of a batch; trying again later");
    }
    if (advanced < 0) {
      log_("warn", "cloud is behind this device; sending again",
           {{"acked_seq", std::to_string(acked_seq)}, {"was", std::to_string(state->acked_seq)}});
    }
  }
}

// ------------------------------------------------------------------ reconcile

Expected<std::uint64_t> Client::Reconcile() {
  constexpr std::size_t kShiftsPerCycle = 20;
  auto pending = reader_->inbox.PendingReconciliations(kShiftsPerCycle);
  if (!pending) return pending.error();
  std::uint64_t answered = 0;
  for (const auto& shift : *pending) {
    const std::string body =
        wire::ReconcileBody(store_config_.store_id, store_config_.device_id, shift);
    auto r = CallFixing("POST", std::string(kPathReconciliations), Gzip(body), true);
    if (!r) return r.error();
    // A cloud that cannot reconcile this shift (an older one, or a refusal)
    // leaves it pending; the shifts behind it are still asked.
    auto answer = r->status == 200 ? wire::ReadReconcileAnswer(r->body, shift.shift_id)
                                   : Expected<wire::ReconcileAnswer>(MakeError(
                                         ErrorKind::internal, "reconcile_refused", Describe(*r)));
    if (!answer) {
      log_("warn", "shift not reconciled",
           {{"shift_id", shift.shift_id}, {"error", answer.error().message}});
      continue;
    }
    if (answer->status == "pending") continue;  // events of the shift still on their way
    auto written = port_.Write([&](store::Inbox& inbox) {
      return inbox.RecordReconciliation(shift.shift_id, answer->status, answer->detail,
                                        answer->summary);
    });
    if (!written) return written.error();
    log_(answer->status == "match" ? "info" : "warn", "shift reconciled",
         {{"shift_id", shift.shift_id}, {"status", answer->status}});
    ++answered;
  }
  return answered;
}

// ----------------------------------------------------------------------- pull

Expected<std::uint64_t> Client::Pull() {
  std::uint64_t pulled = 0;
  for (;;) {
    auto state = reader_->inbox.GetSyncState();
    if (!state) return state.error();
    const std::string path =
        std::string(kPathChanges) + "?after=" + std::to_string(state->cursor) +
        "&limit=" + std::to_string(std::clamp<std::size_t>(opt_.pull_limit, 1, 1000));
    auto r = CallFixing("GET", path, "", false);
    if (!r) return r.error();
    if (r->status != 200) return Refusal(*r);
    auto page = wire::ReadPullAnswer(r->body);
    if (!page) return page.error();
    if (page->cursor < state->cursor) {
      return MakeError(ErrorKind::internal, "bad_answer", "the cloud's cursor went backwards");
    }
    auto applied =
        port_.Write([&](store::Inbox& inbox) { return inbox.Apply(page->changes, page->cursor); });
    if (!applied) return applied.error();
    pulled += page->changes.size();
    {
      std::lock_guard lock(board_.mu);
      board_.status.cursor = page->cursor;
      board_.status.last_pull_at_ms = clock_.now_ms();
      board_.status.pulled_changes += page->changes.size();
    }
    if (!page->more || page->changes.empty()) return pulled;
  }
}

// -------------------------------------------------------------- online orders

namespace {

std::string QueryEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Error Unreachable(std::string message) {
  return MakeError(ErrorKind::unavailable, "cloud_unreachable", std::move(message));
}

}  // namespace

Expected<std::string> Client::FetchOnlineOrder(const OnlineOrderQuery& query) {
  std::string path = std::string(kPathOnlineOrders);
  if (!query.number.empty()) {
    path += "?number=" + QueryEscape(query.number);
  } else if (!query.gtin.empty() && !query.serial.empty()) {
    path += "?gtin=" + QueryEscape(query.gtin) + "&serial=" + QueryEscape(query.serial);
  } else {
    return MakeError(ErrorKind::invalid_request, "bad_request",
                     "an online order by its number or by a unit's GTIN and serial");
  }
  bool registered = false;
  {
    std::lock_guard lock(board_.mu);
    registered = board_.status.registered;
  }
  if (!registered) {
    if (auto ok = Register(); !ok)
      return Unreachable("the cloud did not answer: " + ok.error().message);
  }
  auto r = CallFixing("GET", path, "", false);
  if (!r) return Unreachable("the cloud did not answer: " + r.error().message);
  if (r->status == 200) return std::move(r->body);
  const std::string code = wire::ErrorCode(r->body);
  if (r->status == 404 && code == "order_not_found") {
    return MakeError(ErrorKind::not_found, "order_not_found",
                     "the cloud has no online order " +
                         (query.number.empty() ? "holding that unit" : query.number));
  }
  return Unreachable("the cloud refused the lookup: " + Describe(*r));
}

// ---------------------------------------------------------------------- cycle

CycleResult Client::Cycle() {
  CycleResult result;
  auto fail = [&](const Error& e) {
    result.ok = false;
    result.error = e.message;
    return result;
  };
  bool registered = false;
  {
    std::lock_guard lock(board_.mu);
    registered = board_.status.registered;
  }
  if (!registered) {
    if (auto ok = Register(); !ok) return fail(ok.error());
  }
  auto pushed = Push();
  if (!pushed) return fail(pushed.error());
  result.pushed = *pushed;
  auto pulled = Pull();
  if (!pulled) return fail(pulled.error());
  result.pulled = *pulled;
  // A cloud that cannot reconcile yet (an older one, or a refusal) does not
  // stop the store's sync: the shift stays pending and is asked again.
  if (auto reconciled = Reconcile(); !reconciled) {
    log_("warn", "reconciliation not done", {{"error", reconciled.error().message}});
  }
  result.ok = true;
  return result;
}

}  // namespace sa::sync
