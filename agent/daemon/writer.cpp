// SPDX-License-Identifier: Apache-2.0
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

#include "daemon.hpp"

namespace sa::daemon {
namespace {

Error Unavailable(std::string code, std::string message) {
  return MakeError(ErrorKind::unavailable, std::move(code), std::move(message));
}

Error Internal() {
  return MakeError(ErrorKind::internal, "internal_error", "the agent hit an internal error");
}

}  // namespace

Writer::Writer(loop::EventLoop& loop, ledger::Database& db, store::Store& store, const Log& log,
               std::size_t max_queued)
    : loop_(loop), db_(db), store_(store), log_(log), max_queued_(max_queued), thread_([this] {
        Run();
      }) {}

Writer::~Writer() { Stop(); }

std::optional<std::uint64_t> Writer::FreeBytes() const {
  const auto dir = std::filesystem::path(db_.path()).parent_path();
  struct statvfs fs {};
  if (statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

void Writer::Push(Job job) {
  std::optional<Error> refused;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      refused = Unavailable("shutting_down", "the agent is stopping; retry in a moment");
    } else if (queue_.size() >= max_queued_) {
      refused = Unavailable("agent_busy", "the agent has too much queued work; retry shortly");
    } else {
      queue_.push_back(std::move(job));
    }
  }
  if (refused) return Hand(job, &*refused);
  cv_.notify_one();
}

// Delivers a job's result: on the loop, or (for a thread waiting on it) here.
void Writer::Hand(Job& job, const Error* failed) {
  if (!job.on_loop) return job.deliver(failed);
  std::optional<Error> why;
  if (failed) why = *failed;
  loop_.Post(
      [deliver = std::move(job.deliver), why = std::move(why)] { deliver(why ? &*why : nullptr); });
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

std::vector<Writer::Outcome> Writer::RunJobs(std::vector<Job>& batch) {
  std::vector<Outcome> outcomes(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    try {
      // The job and what it writes (an idempotent answer, say) commit
      // together or not at all, inside the batch.
      ledger::Transaction step(db_, batch[i].durability);
      outcomes[i].error = batch[i].run(store_);
      step.Commit();
    } catch (const ledger::Failure& f) {
      outcomes[i] = Outcome{f.error(), true};
    } catch (const std::exception& e) {
      // A bug in one job: its savepoint has rolled it back; the others stand.
      log_.Error("operation failed", {{"what", e.what()}});
      outcomes[i] = Outcome{Internal(), true};
    }
    if (!db_.InTransaction()) {
      // SQLite ended the whole transaction (disk full, I/O error): what the
      // jobs before this one did is gone with it.
      throw ledger::Failure(MakeError(ErrorKind::storage, "insufficient_storage",
                                      "the ledger could not keep this change; nothing was saved"));
    }
  }
  return outcomes;
}

void Writer::RunBatch(std::vector<Job>& batch) {
  ledger::Durability durability = ledger::Durability::relaxed;
  for (const auto& job : batch) {
    if (job.durability == ledger::Durability::full) durability = ledger::Durability::full;
  }
  std::vector<Outcome> outcomes;
  std::optional<Error> batch_failed;
  std::int64_t commit_us = 0;
  const std::int64_t changes_before = db_.TotalChanges();
  try {
    ledger::Transaction outer(db_, durability);
    outcomes = RunJobs(batch);
    const auto t0 = std::chrono::steady_clock::now();
    outer.Commit();  // one fsync for the whole batch when it holds a full job
    commit_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
  } catch (const ledger::Failure& f) {
    // A full disk is logged once per episode (Account), not once per batch.
    log_.Write(f.error().kind == ErrorKind::storage ? Level::debug : Level::error,
               "batch not committed",
               {{"code", f.error().code}, {"jobs", std::to_string(batch.size())}});
    batch_failed = f.error();
  } catch (const std::exception& e) {
    log_.Error("batch failed", {{"what", e.what()}});
    batch_failed = Internal();
  }
  std::uint64_t refused = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const std::optional<Error>& error = batch_failed ? batch_failed : outcomes[i].error;
    if (error && error->kind == ErrorKind::storage) ++refused;
  }
  const bool wrote = !batch_failed && db_.TotalChanges() != changes_before;
  Account(batch.size(), refused, durability, wrote, commit_us);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Error* failed = batch_failed         ? &*batch_failed
                          : outcomes[i].thrown ? &*outcomes[i].error
                                               : nullptr;
    Hand(batch[i], failed);
  }
}

void Writer::Account(std::size_t jobs, std::uint64_t refused, ledger::Durability durability,
                     bool wrote, std::int64_t commit_us) {
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
    stats_.jobs += jobs;
    stats_.max_batch = std::max<std::uint64_t>(stats_.max_batch, jobs);
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
}

}  // namespace sa::daemon
