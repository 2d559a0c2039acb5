// SPDX-License-Identifier: Apache-2.0
// The daemon's runtime: its data directory (single-instance lock, API token),
// JSON-lines logging, the systemd notify protocol, and the writer thread that
// owns the ledger connection and groups commits.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base.hpp"
#include "ledger.hpp"
#include "loop.hpp"
#include "store.hpp"

namespace sa::daemon {

// ------------------------------------------------------------------ data dir

// {data-dir}: ledger.db, api-token (0600), api-url, lock, demo/, phone-hash.key.
class DataDir {
 public:
  // Creates the directory (0700) if needed and takes its lock; refuses with
  // data_dir_locked when another store-agent holds it.
  static Expected<DataDir> Open(const std::string& path);
  DataDir(DataDir&& other) noexcept;
  DataDir& operator=(DataDir&&) = delete;
  ~DataDir();

  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

  // The API token: read, or made (32 random bytes, hex) and written 0600.
  Expected<std::string> Token();
  // A secret key file (0600): read, or made with `bytes` random bytes.
  Expected<crypto::Bytes> SecretKey(std::string_view name, std::size_t bytes);
  // Writes a small text file atomically (sa::WriteFileAtomic).
  Expected<void> WriteFile(std::string_view name, std::string_view text, unsigned mode = 0644);

 private:
  DataDir(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}
  std::string path_;
  int lock_fd_ = -1;
};

// ----------------------------------------------------------------------- log

enum class Level { debug, info, warn, error };
std::optional<Level> ParseLevel(std::string_view name);

// JSON lines on stderr: {"ts","level","msg",...fields}. Fields are the
// caller's; nothing personal goes in them (no phone numbers, no payloads of
// member codes).
class Log {
 public:
  explicit Log(Level level = Level::info) : level_(level) {}
  void set_level(Level level) { level_ = level; }
  void Write(Level level, std::string_view msg,
             std::initializer_list<std::pair<const char*, std::string>> fields = {}) const;
  void Write(Level level, std::string_view msg,
             const std::vector<std::pair<std::string, std::string>>& fields) const;
  void Info(std::string_view msg,
            std::initializer_list<std::pair<const char*, std::string>> f = {}) const {
    Write(Level::info, msg, f);
  }
  void Warn(std::string_view msg,
            std::initializer_list<std::pair<const char*, std::string>> f = {}) const {
    Write(Level::warn, msg, f);
  }
  void Error(std::string_view msg,
             std::initializer_list<std::pair<const char*, std::string>> f = {}) const {
    Write(Level::error, msg, f);
  }

 private:
  Level level_;
};

// -------------------------------------------------------------------- notify

// sd_notify(3) without libsystemd: datagrams to $NOTIFY_SOCKET.
class Notifier {
 public:
  Notifier();
  bool enabled() const { return !socket_path_.empty(); }
  void Send(std::string_view state) const;
  // Half of $WATCHDOG_USEC, or zero when the watchdog is off.
  std::chrono::microseconds WatchdogInterval() const { return watchdog_; }

 private:
  std::string socket_path_;
  std::chrono::microseconds watchdog_{0};
};

// -------------------------------------------------------------------- writer

struct WriterStats {
  std::uint64_t batches = 0;
  std::uint64_t jobs = 0;
  std::uint64_t max_batch = 0;
  // Commit (fsync) latency histogram, microseconds; bucket upper bounds.
  static constexpr std::array<std::int64_t, 10> kBucketsUs = {250,   500,   1000,  2500,   5000,
                                                              10000, 25000, 50000, 100000, 250000};
  std::array<std::uint64_t, 11> bucket_counts{};  // last: +Inf
  std::int64_t commit_us_sum = 0;
  // The ledger's disk is full: the last change was refused (507
  // insufficient_storage) and no change has committed since. It clears by
  // itself with the first change that commits once space returns.
  bool storage_full = false;
  std::uint64_t storage_refusals = 0;  // operations refused for storage
};

// Owns the ledger connection on its own thread. Jobs queued while a batch is
// being committed form the next batch: one transaction, one fsync for all of
// them, each job still all or nothing inside its own savepoint (a job that
// throws ledger::Failure is rolled back alone). Every result is handed back
// only after the batch that made it is durable.
//
// Durability, the one rule: a batch is fsync'd when any job in it asks for
// ledger::Durability::full, which every job asks for that a person or the
// cloud is told is done (a sale completed, voided or refunded, a stock move,
// an order's step, a shift, a cashier). Cart edits, reads and sync's
// bookkeeping ask for `relaxed`: atomic, and durable with the next full
// commit, which fsyncs the whole WAL before it. The store's operations state
// no durability of their own: the batch decides.
class Writer {
 public:
  // At most `max_queued` jobs wait; more are refused at once (agent_busy),
  // so a flood (a stuck scanner, a runaway client) cannot grow memory
  // without bound.
  Writer(loop::EventLoop& loop, ledger::Database& db, store::Store& store, const Log& log,
         std::size_t max_queued = 4096);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Runs `work` on the writer thread and hands its result to `done` on the
  // loop once it is durable. Refused (agent_busy, shutting_down: kind
  // unavailable) when the queue is full or the writer is stopping; a batch
  // that cannot commit gives each of its jobs the ledger's error
  // (insufficient_storage, ...).
  template <class T>
  void Submit(ledger::Durability durability, std::function<Expected<T>(store::Store&)> work,
              std::function<void(Expected<T>)> done) {
    Push(Erase<T>(durability, std::move(work), std::move(done), /*on_loop=*/true));
  }

  // For threads of their own (sync): runs `work` and waits for its durable
  // result, never on the loop. Not from the loop's or the writer's thread.
  template <class T>
  Expected<T> Call(ledger::Durability durability, std::function<Expected<T>(store::Store&)> work) {
    std::promise<Expected<T>> answered;
    auto answer = answered.get_future();
    Push(Erase<T>(
        durability, std::move(work),
        [&answered](Expected<T> r) { answered.set_value(std::move(r)); }, /*on_loop=*/false));
    return answer.get();
  }

  // Finishes every queued job, then stops the thread. Idempotent.
  void Stop();
  WriterStats stats() const;
  std::size_t queued() const;
  // Bytes free for the agent on the ledger's filesystem (statvfs), if it can tell.
  std::optional<std::uint64_t> FreeBytes() const;

 private:
  // A job with its result type erased. `run` does the work and keeps the
  // result (returning its error, for the storage accounting); `deliver`
  // hands it on, or `failed` instead: the job threw, or its batch did not
  // commit, or it was refused.
  struct Job {
    ledger::Durability durability = ledger::Durability::full;
    std::function<std::optional<Error>(store::Store&)> run;
    std::function<void(const Error* failed)> deliver;
    bool on_loop = true;
  };

  template <class T>
  static Job Erase(ledger::Durability durability, std::function<Expected<T>(store::Store&)> work,
                   std::function<void(Expected<T>)> done, bool on_loop) {
    auto result = std::make_shared<std::optional<Expected<T>>>();
    Job job;
    job.durability = durability;
    job.on_loop = on_loop;
    job.run = [work = std::move(work), result](store::Store& s) -> std::optional<Error> {
      result->emplace(work(s));
      if (!result->value()) return result->value().error();
      return std::nullopt;
    };
    job.deliver = [done = std::move(done), result](const Error* failed) {
      if (failed) return done(*failed);
      done(std::move(result->value()));
    };
    return job;
  }

  // How one job of a batch ended: its error, if any, and whether it threw
  // (then it has no result of its own and gets `error` instead).
  struct Outcome {
    std::optional<Error> error;
    bool thrown = false;
  };

  void Push(Job job);
  void Hand(Job& job, const Error* failed);
  void Run();
  void RunBatch(std::vector<Job>& batch);
  // The batch's jobs, each in its own savepoint.
  std::vector<Outcome> RunJobs(std::vector<Job>& batch);
  void Account(std::size_t jobs, std::uint64_t refused, ledger::Durability durability, bool wrote,
               std::int64_t commit_us);

  loop::EventLoop& loop_;
  ledger::Database& db_;
  store::Store& store_;
  const Log& log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::size_t max_queued_;
  WriterStats stats_;
  std::thread thread_;
};

}  // namespace sa::daemon
