// SPDX-License-Identifier: Apache-2.0
// The sync worker (PROTOCOL.md §10): one thread running the protocol
// client's cycles, at the idle interval while the cloud answers and with
// jittered backoff while it does not, woken early by RequestNow and Nudge.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <random>
#include <thread>

#include "client.hpp"
#include "sync.hpp"

namespace sa::sync {

struct Syncer::Impl {
  Impl(ClientOptions o, std::string path, store::Config sc, LedgerPort& port, const Clock& clock,
       LogFn l)
      : opt(std::move(o)),
        ledger_path(std::move(path)),
        log(std::move(l)),
        client(opt, std::move(sc), port, clock, log, board, abort) {
    board.status.enabled = !opt.cloud_url.empty();
  }

  ClientOptions opt;
  std::string ledger_path;
  LogFn log;
  StatusBoard board;
  std::atomic<bool> abort{false};
  Client client;

  std::condition_variable cv;  // waits on board.mu
  bool stopping = false;
  bool now_requested = false;
  std::vector<std::function<void(CycleResult)>> waiters;
  using Lookup = std::pair<OnlineOrderQuery, std::function<void(Expected<std::string>)>>;
  std::vector<Lookup> lookups;
  std::mt19937_64 rng{std::random_device{}()};
  std::thread thread;

  std::chrono::milliseconds Backoff(std::uint64_t failures) {
    // Full jitter: uniform(0, min(cap, base * 2^n)).
    const auto cap = std::max(opt.backoff_max, opt.backoff_base);
    std::int64_t ceiling = opt.backoff_base.count();
    for (std::uint64_t i = 1; i < failures && ceiling < cap.count(); ++i) ceiling *= 2;
    ceiling = std::min<std::int64_t>(ceiling, cap.count());
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 1));
    return std::chrono::milliseconds(pick(rng));
  }

  CycleResult RunCycle(bool ready) {
    if (!ready) return CycleResult{false, "sync could not start (see the log)", 0, 0};
    try {
      return client.Cycle();
    } catch (const std::exception& e) {
      // Whatever a cycle meets (a cloud's answer above all), the worker
      // lives on and retries with backoff: the till never loses sync.
      return CycleResult{false, std::string("sync cycle failed: ") + e.what(), 0, 0};
    }
  }

  // The cycle's outcome on the board (under its lock); the failures in a row.
  std::uint64_t Record(const CycleResult& result, std::uint64_t failures) {
    Status& status = board.status;
    if (result.ok) {
      failures = 0;
      status.online = true;
      status.last_error.clear();
    } else {
      ++failures;
      ++status.failures;
      if (status.online || status.last_error != result.error)
        log("warn", "sync failed", {{"why", result.error}});
      status.online = false;
      status.last_error = result.error;
    }
    status.clock_offset_ms = client.clock_offset_ms();
    return failures;
  }

  void Run() {
    // Below the till in the CPU queue (Linux nice applies per thread): a
    // backlog drain uses what the sales leave (invariant 10). Best effort.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
    const bool ready = client.Open(ledger_path);
    std::uint64_t failures = 0;
    auto next_cycle = std::chrono::steady_clock::now();
    std::unique_lock lock(board.mu);
    while (!stopping) {
      // A lookup has a customer waiting at the counter: it goes before the
      // next cycle, and does not start one.
      if (!lookups.empty()) {
        std::vector<Lookup> served;
        served.swap(lookups);
        lock.unlock();
        for (auto& [query, done] : served) done(FetchOnlineOrder(ready, query));
        lock.lock();
        continue;
      }
      if (!now_requested && std::chrono::steady_clock::now() < next_cycle) {
        cv.wait_until(lock, next_cycle,
                      [&] { return stopping || now_requested || !lookups.empty(); });
        continue;
      }
      std::vector<std::function<void(CycleResult)>> served;
      served.swap(waiters);
      now_requested = false;
      lock.unlock();
      const CycleResult result = RunCycle(ready);
      lock.lock();
      failures = Record(result, failures);
      lock.unlock();
      for (auto& done : served) done(result);
      lock.lock();
      next_cycle =
          std::chrono::steady_clock::now() + (result.ok ? opt.interval : Backoff(failures));
    }
    std::vector<Lookup> left;
    left.swap(lookups);
    lock.unlock();
    for (auto& done : waiters) done(CycleResult{false, "sync stopped", 0, 0});
    waiters.clear();
    for (auto& [query, done] : left)
      done(MakeError(ErrorKind::unavailable, "cloud_unreachable", "sync stopped"));
  }

  Expected<std::string> FetchOnlineOrder(bool ready, const OnlineOrderQuery& query) {
    if (!ready)
      return MakeError(ErrorKind::unavailable, "cloud_unreachable", "sync could not start");
    try {
      return client.FetchOnlineOrder(query);
    } catch (const std::exception& e) {
      return MakeError(ErrorKind::unavailable, "cloud_unreachable",
                       std::string("the lookup failed: ") + e.what());
    }
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
  if (!impl_->board.status.enabled || impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] { impl_->Run(); });
}

void Syncer::Stop() {
  {
    std::lock_guard lock(impl_->board.mu);
    impl_->stopping = true;
  }
  impl_->abort = true;
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Syncer::RequestNow(std::function<void(CycleResult)> done) {
  std::unique_lock lock(impl_->board.mu);
  if (!impl_->board.status.enabled || impl_->stopping || !impl_->thread.joinable()) {
    const bool enabled = impl_->board.status.enabled;
    lock.unlock();
    done(CycleResult{false, enabled ? "sync is stopped" : "no cloud.url is configured", 0, 0});
    return;
  }
  impl_->waiters.push_back(std::move(done));
  impl_->now_requested = true;
  lock.unlock();
  impl_->cv.notify_all();
}

void Syncer::Nudge() {
  {
    std::lock_guard lock(impl_->board.mu);
    if (!impl_->board.status.online || impl_->stopping) return;
    impl_->now_requested = true;
  }
  impl_->cv.notify_all();
}

void Syncer::FetchOnlineOrder(OnlineOrderQuery query,
                              std::function<void(Expected<std::string>)> done) {
  std::unique_lock lock(impl_->board.mu);
  if (!impl_->board.status.enabled || impl_->stopping || !impl_->thread.joinable()) {
    const bool enabled = impl_->board.status.enabled;
    lock.unlock();
    done(MakeError(ErrorKind::unavailable, "cloud_unreachable",
                   enabled ? "sync is stopped" : "no cloud.url is configured"));
    return;
  }
  impl_->lookups.emplace_back(std::move(query), std::move(done));
  lock.unlock();
  impl_->cv.notify_all();
}

Status Syncer::status() const {
  std::lock_guard lock(impl_->board.mu);
  return impl_->board.status;
}

}  // namespace sa::sync
