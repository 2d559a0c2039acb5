// SPDX-License-Identifier: Apache-2.0
// The sync worker (PROTOCOL.md §10): one thread, one reused libcurl handle,
// its own read connection to the ledger. The only file that includes curl.
#include <curl/curl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "ledger.hpp"
#include "sync.hpp"

namespace sa::sync {
namespace {

using nlohmann::json;

struct Response {
  long status = 0;
  std::string body;
  std::optional<std::int64_t> server_time_ms;
  std::optional<std::int64_t> retry_after_s;
};

std::string ErrorCode(const Response& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    auto code = j["error"].find("code");
    if (code != j["error"].end() && code->is_string()) return code->get<std::string>();
  }
  return {};
}

// Typed reads of a cloud answer. nlohmann's value() throws on a field of
// another type; a cloud (or a proxy) that answers {"status":7} must not end
// the sync thread (invariant 9): a mistyped field reads as absent.
std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::int64_t IntField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}
bool BoolField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::string Describe(const Response& r) {
  const std::string code = ErrorCode(r);
  return "cloud answered " + std::to_string(r.status) + (code.empty() ? "" : " " + code);
}

std::optional<std::int64_t> ParseInt(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

struct Syncer::Impl {
  using LogFn = std::function<void(std::string_view, std::string_view,
                                   std::vector<std::pair<std::string, std::string>>)>;

  ClientOptions opt;
  std::string ledger_path;
  store::Config store_config;
  LedgerPort& port;
  const Clock& clock;
  LogFn log;

  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool now_requested = false;
  std::vector<std::function<void(CycleResult)>> waiters;
  Status status;
  std::atomic<bool> abort{false};
  std::atomic<std::int64_t> offset_ms{0};
  std::thread thread;

  CURL* curl = nullptr;
  std::unique_ptr<ledger::Database> db;    // reads only
  std::unique_ptr<store::Store> reader;    // over db
  std::mt19937_64 rng{std::random_device{}()};
  std::size_t batch = 0;

  Impl(ClientOptions o, std::string path, store::Config sc, LedgerPort& p, const Clock& c, LogFn l)
      : opt(std::move(o)), ledger_path(std::move(path)), store_config(std::move(sc)), port(p),
        clock(c), log(std::move(l)) {
    status.enabled = !opt.cloud_url.empty();
    while (!opt.cloud_url.empty() && opt.cloud_url.back() == '/') opt.cloud_url.pop_back();
    batch = std::clamp<std::size_t>(opt.batch_size, 1, kMaxBatchEvents);
  }

  // ---------------------------------------------------------------- HTTP

  static std::size_t OnBody(char* data, std::size_t size, std::size_t n, void* user) {
    static_cast<Response*>(user)->body.append(data, size * n);
    return size * n;
  }

  static std::size_t OnHeader(char* data, std::size_t size, std::size_t n, void* user) {
    auto* r = static_cast<Response*>(user);
    std::string_view line(data, size * n);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
        value.remove_suffix(1);
      }
      if (name == "x-sa-server-time") r->server_time_ms = ParseInt(value);
      if (name == "retry-after") r->retry_after_s = ParseInt(value);
    }
    return size * n;
  }

  static int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<Impl*>(user)->abort.load() ? 1 : 0;  // non-zero aborts the transfer
  }

  // One signed request. Transport failures come back as an error; HTTP
  // answers (any status) as a Response.
  Expected<Response> Call(std::string_view method, const std::string& path, const std::string& body,
                          bool gzip) {
    const std::int64_t ts = clock.now_ms() + offset_ms.load();
    const std::string sig = Sign(opt.device_key, SignedRequest{method, path, ts, store_config.store_id,
                                                               store_config.device_id, body});
    curl_slist* headers = nullptr;
    auto add = [&](const std::string& h) { headers = curl_slist_append(headers, h.c_str()); };
    add("X-SA-Store: " + store_config.store_id);
    add("X-SA-Device: " + store_config.device_id);
    add("X-SA-Timestamp: " + std::to_string(ts));
    add("X-SA-Signature: " + sig);
    add("Accept: application/json");
    add("Expect:");  // no 100-continue round trip
    if (method == "POST") add("Content-Type: application/json");
    if (gzip) add("Content-Encoding: gzip");

    Response r;
    const std::string url = opt.cloud_url + path;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
    if (method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    } else {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    const CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      return MakeError(ErrorKind::internal, "cloud_unreachable",
                       std::string("no answer from the cloud: ") + curl_easy_strerror(rc));
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    if (r.server_time_ms) {
      // PROTOCOL.md §2: sign with the cloud's clock from now on.
      offset_ms.store(*r.server_time_ms - clock.now_ms());
    }
    return r;
  }

  // Call, then fix what the protocol says is fixable at once: a skewed
  // clock (the offset is already updated) and a forgotten device.
  Expected<Response> CallFixing(std::string_view method, const std::string& path,
                                const std::string& body, bool gzip) {
    for (int attempt = 0;; ++attempt) {
      auto r = Call(method, path, body, gzip);
      if (!r || r->status != 401 || attempt == 2) return r;
      const std::string code = ErrorCode(*r);
      if (code == "clock_skew") continue;
      if (code == "unknown_device") {
        if (auto ok = Register(); !ok) return ok.error();
        continue;
      }
      return r;
    }
  }

  Expected<void> Register() {
    const std::string body =
        json{{"store_id", store_config.store_id},
             {"device_id", store_config.device_id},
             {"key", crypto::Base64UrlEncode(opt.device_key)},
             {"agent_version", opt.agent_version}}
            .dump();
    Expected<Response> r = Call("POST", std::string(kPathRegister), body, false);
    if (r && r->status == 401 && ErrorCode(*r) == "clock_skew") {
      r = Call("POST", std::string(kPathRegister), body, false);
    }
    if (!r) return r.error();
    if (r->status != 200) {
      const std::string code = ErrorCode(*r);
      if (code == "device_key_mismatch" || code == "device_not_provisioned") {
        Alert(code, code == "device_key_mismatch"
                        ? "the cloud knows this device by another key: re-provision it"
                        : "the cloud does not accept this device: provision it in the OMS",
              "register:" + code);
      }
      return MakeError(ErrorKind::refused, code.empty() ? "register_failed" : code, Describe(*r));
    }
    std::lock_guard lock(mu);
    status.registered = true;
    return {};
  }

  void Alert(const std::string& code, const std::string& message, const std::string& dedupe) {
    store::Alert alert;
    alert.code = code;
    alert.message = message;
    alert.source = "device";
    (void)port.Write([&](store::Store& s) { return s.inbox.RaiseAlert(alert, dedupe); });
  }

  // ---------------------------------------------------------------- push

  Expected<std::uint64_t> Push() {
    std::uint64_t pushed = 0;
    std::size_t size = batch;
    for (;;) {
      auto state = reader->inbox.GetSyncState();
      if (!state) return state.error();
      {
        std::lock_guard lock(mu);
        status.acked_seq = state->acked_seq;
        status.last_seq = state->last_seq;
      }
      if (state->last_seq <= state->acked_seq) return pushed;
      auto events = reader->books.OutboxAfter(state->acked_seq, size);
      if (!events) return events.error();
      if (events->empty()) return pushed;
      std::string body = R"({"store_id":)" + json(store_config.store_id).dump() +
                         R"(,"device_id":)" + json(store_config.device_id).dump() +
                         R"(,"events":[)";
      for (std::size_t i = 0; i < events->size(); ++i) {
        if (i) body += ',';
        body += store::EventEnvelope((*events)[i], store_config);
      }
      body += "]}";
      auto r = CallFixing("POST", std::string(kPathEvents), Gzip(body), true);
      if (!r) return r.error();
      if (r->status == 413 && size > 1) {
        size = std::max<std::size_t>(1, size / 2);
        continue;
      }
      if (r->status != 200) return HttpError(*r);
      json answer = json::parse(r->body, nullptr, false);
      auto acked = answer.is_object() ? answer.find("acked_seq") : answer.end();
      if (acked == answer.end() || !acked->is_number_integer() || acked->get<std::int64_t>() < 0 ||
          acked->get<std::int64_t>() > state->last_seq) {
        return MakeError(ErrorKind::internal, "bad_answer", "the cloud's push answer has no valid acked_seq");
      }
      const std::int64_t acked_seq = acked->get<std::int64_t>();
      std::vector<store::Alert> rejected;
      if (auto results = answer.find("results"); results != answer.end() && results->is_array()) {
        for (const auto& res : *results) {
          if (!res.is_object() || StringField(res, "status") != "rejected") continue;
          store::Alert alert;
          alert.code = "event_rejected";
          const std::string why = res.contains("error") && res["error"].is_object()
                                      ? StringField(res["error"], "code") : "";
          alert.message = "the cloud refused event " + std::to_string(IntField(res, "seq")) +
                          (why.empty() ? "" : " (" + why + ")");
          alert.detail = res.dump();
          alert.source = "cloud";
          rejected.push_back(std::move(alert));
        }
      }
      auto written = port.Write([&](store::Store& s) -> Expected<void> {
        for (const auto& a : rejected) {
          const std::string key = "rejected:" + a.detail;
          if (auto ok = s.inbox.RaiseAlert(a, key.substr(0, 200)); !ok) return ok;
        }
        return s.inbox.RecordAck(acked_seq);
      });
      if (!written) return written.error();
      const std::int64_t advanced = acked_seq - state->acked_seq;
      {
        std::lock_guard lock(mu);
        status.acked_seq = acked_seq;
        status.last_push_at_ms = clock.now_ms();
        if (advanced > 0) status.pushed_events += static_cast<std::uint64_t>(advanced);
      }
      if (advanced > 0) pushed += static_cast<std::uint64_t>(advanced);
      log("debug", "events acknowledged", {{"acked_seq", std::to_string(acked_seq)}});
      if (advanced <= 0 && !answer.contains("expected_seq")) {
        return MakeError(ErrorKind::internal, "push_stalled",
                         "the cloud acknowledged nothing of a batch; trying again later");
      }
      if (advanced < 0) {
        log("warn", "cloud is behind this device; sending again",
            {{"acked_seq", std::to_string(acked_seq)}, {"was", std::to_string(state->acked_seq)}});
      }
    }
  }

  Error HttpError(const Response& r) {
    const std::string code = ErrorCode(r);
    if (r.status == 400) {
      Alert("push_refused", "the cloud refused a batch as malformed (" + code + "): " + r.body.substr(0, 200),
            "push400:" + code);
    }
    return MakeError(ErrorKind::internal, code.empty() ? "cloud_error" : code, Describe(r));
  }

  // ---------------------------------------------------------------- pull

  Expected<std::uint64_t> Pull() {
    std::uint64_t pulled = 0;
    for (;;) {
      auto state = reader->inbox.GetSyncState();
      if (!state) return state.error();
      const std::string path = std::string(kPathChanges) + "?after=" + std::to_string(state->cursor) +
                               "&limit=" + std::to_string(std::clamp<std::size_t>(opt.pull_limit, 1, 1000));
      auto r = CallFixing("GET", path, "", false);
      if (!r) return r.error();
      if (r->status != 200) return HttpError(*r);
      json answer = json::parse(r->body, nullptr, false);
      if (!answer.is_object() || !answer.contains("changes") || !answer["changes"].is_array() ||
          !answer.contains("cursor") || !answer["cursor"].is_number_integer()) {
        return MakeError(ErrorKind::internal, "bad_answer", "the cloud's changes answer is malformed");
      }
      std::vector<store::Change> changes;
      for (const auto& c : answer["changes"]) {
        if (!c.is_object() || !c.contains("cursor") || !c["cursor"].is_number_integer()) {
          return MakeError(ErrorKind::internal, "bad_answer", "a change without a cursor");
        }
        changes.push_back(store::Change{c["cursor"].get<std::int64_t>(), StringField(c, "type"),
                                 c.contains("data") ? c["data"].dump() : "{}"});
      }
      const std::int64_t cursor = answer["cursor"].get<std::int64_t>();
      if (cursor < state->cursor) {
        return MakeError(ErrorKind::internal, "bad_answer", "the cloud's cursor went backwards");
      }
      auto applied = port.Write([&](store::Store& s) { return s.inbox.Apply(changes, cursor); });
      if (!applied) return applied.error();
      pulled += changes.size();
      {
        std::lock_guard lock(mu);
        status.cursor = cursor;
        status.last_pull_at_ms = clock.now_ms();
        status.pulled_changes += changes.size();
      }
      if (!BoolField(answer, "more") || changes.empty()) return pulled;
    }
  }

  // --------------------------------------------------------------- cycle

  CycleResult Cycle() {
    CycleResult result;
    auto fail = [&](const Error& e) {
      result.ok = false;
      result.error = e.message;
      return result;
    };
    bool registered = false;
    {
      std::lock_guard lock(mu);
      registered = status.registered;
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
    result.ok = true;
    return result;
  }

  bool Setup() {
    ledger::Database::Options o;
    o.create = false;
    o.integrity_check = false;
    auto opened = ledger::Database::Open(ledger_path, o);
    if (!opened) {
      log("error", "sync cannot open the ledger", {{"why", opened.error().message}});
      return false;
    }
    db = std::move(opened).value();
    reader = std::make_unique<store::Store>(*db, store_config, clock);
    curl = curl_easy_init();
    if (!curl) return false;
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opt.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(opt.request_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 15L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Impl::OnBody);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Impl::OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    std::string agent = "store-agent/" + opt.agent_version;
    curl_easy_setopt(curl, CURLOPT_USERAGENT, agent.c_str());  // curl copies strings
    if (!opt.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, opt.ca_file.c_str());
    if (!opt.pinned_pubkey.empty()) {
      curl_easy_setopt(curl, CURLOPT_PINNEDPUBLICKEY, opt.pinned_pubkey.c_str());
    }
    return true;
  }

  std::chrono::milliseconds Backoff(std::uint64_t failures) {
    // Full jitter: uniform(0, min(cap, base * 2^n)).
    const auto cap = std::max(opt.backoff_max, opt.backoff_base);
    std::int64_t ceiling = opt.backoff_base.count();
    for (std::uint64_t i = 1; i < failures && ceiling < cap.count(); ++i) ceiling *= 2;
    ceiling = std::min<std::int64_t>(ceiling, cap.count());
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 1));
    return std::chrono::milliseconds(pick(rng));
  }

  void Run() {
    // Below the till in the CPU queue (Linux nice applies per thread): a
    // backlog drain uses what the sales leave (invariant 10). Best effort.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
    const bool ready = Setup();
    std::uint64_t failures = 0;
    std::unique_lock lock(mu);
    while (!stopping) {
      std::vector<std::function<void(CycleResult)>> served;
      served.swap(waiters);
      now_requested = false;
      lock.unlock();
      CycleResult result;
      if (ready) {
        try {
          result = Cycle();
        } catch (const std::exception& e) {
          // Whatever a cycle meets (a cloud's answer above all), the worker
          // lives on and retries with backoff: the till never loses sync.
          result = CycleResult{};
          result.error = std::string("sync cycle failed: ") + e.what();
        }
      } else {
        result.error = "sync could not start (see the log)";
      }
      lock.lock();
      if (result.ok) {
        failures = 0;
        status.online = true;
        status.last_error.clear();
      } else {
        ++failures;
        ++status.failures;
        if (status.online || status.last_error != result.error) {
          log("warn", "sync failed", {{"why", result.error}});
        }
        status.online = false;
        status.last_error = result.error;
      }
      status.clock_offset_ms = offset_ms.load();
      lock.unlock();
      for (auto& done : served) done(result);
      lock.lock();
      const auto wait = result.ok ? opt.interval : Backoff(failures);
      cv.wait_for(lock, wait, [&] { return stopping || now_requested; });
    }
    lock.unlock();
    for (auto& done : waiters) done(CycleResult{false, "sync stopped", 0, 0});
    waiters.clear();
    if (curl) curl_easy_cleanup(curl);
    curl = nullptr;
    reader.reset();
    db.reset();
  }
};

Syncer::Syncer(ClientOptions options, std::string ledger_path, store::Config store_config,
               LedgerPort& port, const Clock& clock,
               std::function<void(std::string_view, std::string_view,
                                  std::vector<std::pair<std::string, std::string>>)>
                   log)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(ledger_path),
                                   std::move(store_config), port, clock, std::move(log))) {}

Syncer::~Syncer() { Stop(); }

void Syncer::Start() {
  if (!impl_->status.enabled || impl_->thread.joinable()) return;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  impl_->thread = std::thread([this] { impl_->Run(); });
}

void Syncer::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->abort = true;
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Syncer::RequestNow(std::function<void(CycleResult)> done) {
  std::unique_lock lock(impl_->mu);
  if (!impl_->status.enabled || impl_->stopping || !impl_->thread.joinable()) {
    lock.unlock();
    done(CycleResult{false, impl_->status.enabled ? "sync is stopped" : "no cloud.url is configured", 0, 0});
    return;
  }
  impl_->waiters.push_back(std::move(done));
  impl_->now_requested = true;
  lock.unlock();
  impl_->cv.notify_all();
}

void Syncer::Nudge() {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->status.online || impl_->stopping) return;
    impl_->now_requested = true;
  }
  impl_->cv.notify_all();
}

Status Syncer::status() const {
  std::lock_guard lock(impl_->mu);
  return impl_->status;
}

}  // namespace sa::sync
