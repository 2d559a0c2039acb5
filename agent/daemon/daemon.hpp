// SPDX-License-Identifier: Apache-2.0
// The daemon's runtime: its data directory (single-instance lock, API token),
// JSON-lines logging, the systemd notify protocol, and the writer thread that
// owns the ledger connection and groups commits.
#pragma once

#include <asio.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base.hpp"
#include "ledger.hpp"
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
  // Writes a small text file atomically (write temp, fsync, rename).
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
  void Info(std::string_view msg, std::initializer_list<std::pair<const char*, std::string>> f = {}) const {
    Write(Level::info, msg, f);
  }
  void Warn(std::string_view msg, std::initializer_list<std::pair<const char*, std::string>> f = {}) const {
    Write(Level::warn, msg, f);
  }
  void Error(std::string_view msg, std::initializer_list<std::pair<const char*, std::string>> f = {}) const {
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

// An answer for a client: HTTP-shaped, because idempotent replays must give
// back exactly what the first call got.
struct Reply {
  int status = 200;
  std::string body;
  bool replayed = false;  // the stored answer to an Idempotency-Key seen before
};

struct Job {
  ledger::Durability durability = ledger::Durability::full;
  std::string idempotency_key;  // empty: not idempotent (reads)
  std::string request_hash;     // what the key was first used for
  std::function<Reply(store::Store&)> work;  // on the writer thread
  std::function<void(Reply)> done;           // on the loop, once the work is durable
  // `done` runs on the writer thread right after the commit (or at once on
  // the submitting thread when refused), not on the loop: for callers that
  // are threads of their own and wait for the answer (sync), so they never
  // depend on the loop running.
  bool reply_off_loop = false;
};

struct WriterStats {
  std::uint64_t batches = 0;
  std::uint64_t jobs = 0;
  std::uint64_t max_batch = 0;
  // Commit (fsync) latency histogram, microseconds; bucket upper bounds.
  static constexpr std::array<std::int64_t, 10> kBucketsUs = {250,   500,    1000,   2500,  5000,
                                                             10000, 25000, 50000, 100000, 250000};
  std::array<std::uint64_t, 11> bucket_counts{};  // last: +Inf
  std::int64_t commit_us_sum = 0;
  // The ledger's disk is full: the last change was refused (507
  // insufficient_storage) and no change has committed since. It clears by
  // itself with the first change that commits once space returns.
  bool storage_full = false;
  std::uint64_t storage_refusals = 0;  // operations answered 507
};

// Owns the ledger connection on its own thread. Jobs queued while a batch is
// being committed form the next batch: one transaction, one fsync for all of
// them, each job still all-or-nothing inside its own savepoint. Every reply
// is posted to the loop only after the batch that made it is durable.
class Writer {
 public:
  // At most `max_queued` operations wait; more are answered 503 agent_busy
  // at once, so a flood (a stuck scanner, a runaway client) cannot grow
  // memory without bound.
  Writer(asio::io_context& loop, ledger::Database& db, store::Store& store, const Log& log,
         std::size_t max_queued = 4096);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void Submit(Job job);
  // Finishes every queued job, then stops the thread. Idempotent.
  void Stop();
  WriterStats stats() const;
  std::size_t queued() const;
  // Bytes free for the agent on the ledger's filesystem (statvfs), if it can tell.
  std::optional<std::uint64_t> FreeBytes() const;

 private:
  void Run();
  void RunBatch(std::vector<Job>& batch);
  Reply RunJob(Job& job);

  asio::io_context& loop_;
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

// Replies the API gives for domain errors: status from the error's kind.
int StatusFor(const Error& error);
Reply ErrorReply(const Error& error);
Reply ErrorReply(int status, std::string_view code, std::string_view message);

}  // namespace sa::daemon
