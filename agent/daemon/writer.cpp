// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

#include <sys/statvfs.h>

#include "daemon.hpp"

namespace sa::daemon {

int StatusFor(const Error& error) {
  switch (error.kind) {
    case ErrorKind::invalid_request: return 400;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    case ErrorKind::refused: return 422;
    case ErrorKind::too_large: return 413;
    case ErrorKind::storage: return 507;
    case ErrorKind::internal: return 500;
  }
  return 500;
}

Reply ErrorReply(int status, std::string_view code, std::string_view message) {
  nlohmann::json e = {{"code", code}, {"message", message}};
  return Reply{status, nlohmann::json{{"error", e}}.dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::replace)};
}

Reply ErrorReply(const Error& error) {
  nlohmann::json e = {{"code", error.code}, {"message", error.message}};
  if (!error.reason.empty()) e["reason"] = error.reason;
  return Reply{StatusFor(error),
               nlohmann::json{{"error", e}}.dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace)};
}

Writer::Writer(asio::io_context& loop, ledger::Database& db, store::Store& store, const Log& log,
               std::size_t max_queued)
    : loop_(loop), db_(db), store_(store), log_(log), max_queued_(max_queued),
      thread_([this] { Run(); }) {}

Writer::~Writer() { Stop(); }

std::optional<std::uint64_t> Writer::FreeBytes() const {
  const auto dir = std::filesystem::path(db_.path()).parent_path();
  struct statvfs fs{};
  if (statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

void Writer::Submit(Job job) {
  std::optional<Reply> refused;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      refused = ErrorReply(503, "shutting_down", "the agent is stopping; retry in a moment");
    } else if (queue_.size() >= max_queued_) {
      refused = ErrorReply(503, "agent_busy", "the agent has too much queued work; retry shortly");
    } else {
      queue_.push_back(std::move(job));
    }
  }
  if (!refused) {
    cv_.notify_one();
  } else if (job.reply_off_loop) {
    job.done(std::move(*refused));
  } else {
    asio::post(loop_, [done = std::move(job.done), r = std::move(*refused)]() mutable {
      done(std::move(r));
    });
  }
}

void Writer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

WriterStats Writer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::size_t Writer::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void Writer::Run() {
  constexpr std::size_t kMaxBatch = 64;
  while (true) {
    std::vector<Job> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
  }
}

Reply Writer::RunJob(Job& job) {
  if (!job.idempotency_key.empty()) {
    auto seen = db_.Cached("SELECT request_hash, status, response FROM idempotency WHERE key = ?");
    seen.Bind(1, job.idempotency_key);
    if (seen.Step()) {
      if (seen.Text(0) != job.request_hash) {
        return ErrorReply(409, "idempotency_key_reused",
                          "this Idempotency-Key was used for a different request");
      }
      return Reply{static_cast<int>(seen.Int(1)), seen.Text(2), true};  // the first answer, again
    }
  }
  // The job and its stored answer commit together or not at all.
  ledger::Transaction step(db_, job.durability);
  Reply reply = job.work(store_);
  if (!job.idempotency_key.empty() && reply.status < 500) {
    db_.Cached("INSERT INTO idempotency(key, request_hash, status, response, created_at_ms) "
               "VALUES(?, ?, ?, ?, ?)")
        .Bind(1, job.idempotency_key)
        .Bind(2, job.request_hash)
        .Bind(3, static_cast<std::int64_t>(reply.status))
        .Bind(4, reply.body)
        .Bind(5, SystemClock().now_ms())
        .Run();
  }
  step.Commit();
  return reply;
}

void Writer::RunBatch(std::vector<Job>& batch) {
  ledger::Durability durability = ledger::Durability::relaxed;
  for (const auto& job : batch) {
    if (job.durability == ledger::Durability::full) durability = ledger::Durability::full;
  }
  std::vector<Reply> replies(batch.size());
  std::int64_t commit_us = 0;
  const std::int64_t changes_before = db_.TotalChanges();
  bool committed = false;
  try {
    ledger::Transaction outer(db_, durability);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        replies[i] = RunJob(batch[i]);
      } catch (const ledger::Failure& f) {
        replies[i] = ErrorReply(f.error());
      } catch (const std::exception& e) {
        // A bug in one job: its savepoint has rolled it back; the others stand.
        log_.Error("operation failed", {{"what", e.what()}});
        replies[i] = ErrorReply(500, "internal_error", "the agent hit an internal error");
      }
      if (!db_.InTransaction()) {
        // SQLite ended the whole transaction (disk full, I/O error): what the
        // jobs before this one did is gone with it.
        throw ledger::Failure(MakeError(ErrorKind::storage, "insufficient_storage",
                                        "the ledger could not keep this change; nothing was "
                                        "saved"));
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    outer.Commit();  // one fsync for the whole batch when it holds a completion
    committed = true;
    commit_us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
  } catch (const ledger::Failure& f) {
    // A full disk is logged once per episode (below), not once per batch.
    log_.Write(f.error().kind == ErrorKind::storage ? Level::debug : Level::error, "batch not committed",
               {{"code", f.error().code}, {"jobs", std::to_string(batch.size())}});
    for (auto& r : replies) r = ErrorReply(f.error());
  } catch (const std::exception& e) {
    log_.Error("batch failed", {{"what", e.what()}});
    for (auto& r : replies) r = ErrorReply(500, "internal_error", "the agent hit an internal error");
  }
  const auto refused = static_cast<std::uint64_t>(
      std::count_if(replies.begin(), replies.end(), [](const Reply& r) { return r.status == 507; }));
  const bool wrote = committed && db_.TotalChanges() != changes_before;
  bool became_full = false;
  bool recovered = false;
  {
    std::lock_guard lock(mu_);
    stats_.storage_refusals += refused;
    if (refused > 0 && !stats_.storage_full) {
      stats_.storage_full = became_full = true;
    } else if (refused == 0 && wrote && stats_.storage_full) {
      stats_.storage_full = false;
      recovered = true;
    }
    ++stats_.batches;
    stats_.jobs += batch.size();
    stats_.max_batch = std::max<std::uint64_t>(stats_.max_batch, batch.size());
    if (durability == ledger::Durability::full) {
      std::size_t b = 0;
      while (b < WriterStats::kBucketsUs.size() && commit_us > WriterStats::kBucketsUs[b]) ++b;
      ++stats_.bucket_counts[b];
      stats_.commit_us_sum += commit_us;
    }
  }
  // Once per episode, not once per refused request: a till retrying on a
  // full disk must not flood the log (which may be on that disk too).
  if (became_full) log_.Error("ledger storage full: changes are refused until space returns");
  if (recovered) log_.Info("ledger storage recovered");
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].reply_off_loop) {
      batch[i].done(std::move(replies[i]));
      continue;
    }
    asio::post(loop_, [done = std::move(batch[i].done), reply = std::move(replies[i])]() mutable {
      done(std::move(reply));
    });
  }
}

}  // namespace sa::daemon
