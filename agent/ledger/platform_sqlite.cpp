// SPDX-License-Identifier: Apache-2.0
// SQLite backend of ledger.hpp. The only file that includes sqlite3.h.
#include <sqlite3.h>
#include <sys/stat.h>

#include "ledger.hpp"

namespace sa::ledger {

std::string_view MigrationSql(int to_version);
// clean_close.cpp
std::string LedgerFileState(const std::string& path);
bool TakeCleanCloseMark(const std::string& path, const std::string& state);
void WriteCleanCloseMark(const std::string& path);
bool DamagedMarkThere(const std::string& path);
void WriteDamagedMark(const std::string& path, const std::string& why);
void RemoveDamagedMark(const std::string& path);

namespace {

Error LedgerError(std::string code, std::string message) {
  // The kind is decided before `code` is moved from (argument order is unspecified).
  const ErrorKind kind = code == "insufficient_storage" ? ErrorKind::storage : ErrorKind::internal;
  return MakeError(kind, std::move(code), std::move(message));
}

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

// PRAGMA quick_check's verdict: "ok", or what it found (or why it could not
// run). `rc`: SQLITE_ROW when it ran to its verdict, else the primary code
// that stopped it (SQLITE_CORRUPT, SQLITE_NOTADB: damage; SQLITE_INTERRUPT:
// a progress handler; SQLITE_BUSY, SQLITE_IOERR: it could not look).
std::string QuickCheck(sqlite3* raw, int& rc) {
  sqlite3_stmt* check = nullptr;
  rc = sqlite3_prepare_v2(raw, "PRAGMA quick_check", -1, &check, nullptr);
  std::string verdict;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(check);
    if (rc == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(check, 0);
      verdict = text ? reinterpret_cast<const char*>(text) : "";
    }
  }
  rc &= 0xFF;
  sqlite3_finalize(check);
  return verdict.empty() ? sqlite3_errmsg(raw) : verdict;
}

Error Corrupt(const std::string& path, const std::string& why) {
  return LedgerError("ledger_corrupt",
                     "ledger " + path + " failed its integrity check (" + why +
                         "); it was left untouched: restore it from a backup or move it "
                         "aside to start a new one");
}

}  // namespace

// ---------------------------------------------------------------- Database

Expected<std::unique_ptr<Database>> Database::Open(const std::string& path, Options options) {
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (!exists && !options.create) {
    return LedgerError("ledger_missing", "no ledger at " + path);
  }
  // Taken away (durably) before the file is opened: whatever happens from
  // here, only a clean close of this connection leaves a new one.
  const bool clean = options.trust_clean_close && TakeCleanCloseMark(path, LedgerFileState(path));
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (!exists) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<sqlite3, Closer> guard(raw);
  if (rc != SQLITE_OK) {
    return LedgerError("ledger_unavailable",
                       "cannot open ledger " + path + ": " + sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);

  // Read-only checks first: nothing is written to a file that fails them.
  const bool due = exists && options.integrity_check && !clean;
  const bool run_check = due && !(options.defer_check && !DamagedMarkThere(path));
  if (run_check) {
    int check_rc = SQLITE_OK;
    const std::string verdict = QuickCheck(raw, check_rc);
    if (verdict != "ok") return Corrupt(path, verdict);
    RemoveDamagedMark(path);  // a restored file, say: checked whole now
  }

  std::unique_ptr<Database> db(new Database(guard.release(), path));
  db->checked_at_open_ = run_check;
  db->closed_cleanly_ = clean;
  db->check_deferred_ = due && !run_check;
  db->trust_clean_close_ = options.trust_clean_close;
  try {
    if (db->UserVersion() > LatestSchemaVersion()) {
      return LedgerError("ledger_too_new",
                         "ledger " + path + " has schema version " +
                             std::to_string(db->UserVersion()) + "; this build knows up to " +
                             std::to_string(LatestSchemaVersion()) + " (a downgrade?)");
    }
    {
      Statement wal(*db, "PRAGMA journal_mode=WAL");
      if (!wal.Step() || wal.Text(0) != "wal") {
        return LedgerError("ledger_unavailable", "ledger " + path + " cannot use WAL mode");
      }
    }
    db->Exec("PRAGMA foreign_keys=ON");
    db->SetDurability(Durability::full);
    db->Migrate(options.target_version < 0 ? LatestSchemaVersion() : options.target_version);
  } catch (const Failure& f) {
    return f.error().WithContext("opening ledger " + path);
  }
  db->mark_clean_close_ = options.trust_clean_close && !db->check_deferred_;
  return db;
}

Expected<void> Database::Check(const std::string& path, const std::atomic<bool>* stop) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, Closer> guard(raw);
  if (rc != SQLITE_OK) {
    return LedgerError("ledger_unavailable",
                       "cannot open ledger " + path + " to check it: " + sqlite3_errstr(rc));
  }
  sqlite3_busy_timeout(raw, 5000);
  const auto stopped = [] {
    return MakeError(ErrorKind::internal, "check_stopped", "the ledger's check was stopped");
  };
  if (stop != nullptr) {
    if (stop->load()) return stopped();
    sqlite3_progress_handler(
        raw, 1000,
        [](void* flag) { return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0; },
        const_cast<std::atomic<bool>*>(stop));  // NOLINT: SQLite's void*, only read
  }
  int check_rc = SQLITE_OK;
  const std::string verdict = QuickCheck(raw, check_rc);
  if (check_rc == SQLITE_INTERRUPT) return stopped();
  if (check_rc == SQLITE_ROW && verdict == "ok") return {};
  if (check_rc == SQLITE_ROW || check_rc == SQLITE_CORRUPT || check_rc == SQLITE_NOTADB) {
    WriteDamagedMark(path, verdict);
    return Corrupt(path, verdict);
  }
  // Busy, an I/O error, no memory: it could not look; nothing is concluded.
  return LedgerError("ledger_unavailable", "the ledger's check could not run: " + verdict);
}

Database::~Database() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  // A statement still open (none should be) makes this close fail: then it
  // is left to sqlite3_close_v2, and no mark says the file closed cleanly.
  if (sqlite3_close(db_) != SQLITE_OK) {
    sqlite3_close_v2(db_);
    return;
  }
  if (mark_clean_close_) WriteCleanCloseMark(path_);
}

void Database::Throw(int rc, std::string_view what) {
  const int primary = rc & 0xFF;
  std::string detail = std::string(what) + ": " + sqlite3_errmsg(db_);
  if (primary == SQLITE_FULL) {
    throw Failure(
        LedgerError("insufficient_storage",
                    "the ledger's disk is full; the change was not made (" + detail + ")"));
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw Failure(LedgerError("ledger_busy", detail));
  }
  if (primary == SQLITE_CONSTRAINT) {
    throw Failure(MakeError(ErrorKind::conflict, "ledger_constraint", detail));
  }
  throw Failure(LedgerError("ledger_error", detail));
}

void Database::Exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) Throw(rc, "exec");
}

Statement Database::Cached(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) Throw(rc, "prepare");
    it = cache_.emplace(std::string(sql), stmt).first;
  }
  return Statement(*this, it->second);
}

std::vector<std::string> Database::CachedSql() const {
  std::vector<std::string> out;
  out.reserve(cache_.size());
  for (const auto& [sql, stmt] : cache_) out.push_back(sql);
  return out;
}

int Database::UserVersion() {
  Statement st(*this, "PRAGMA user_version");
  st.Step();
  return static_cast<int>(st.Int(0));
}

std::int64_t Database::Changes() const { return sqlite3_changes64(db_); }

std::int64_t Database::TotalChanges() const { return sqlite3_total_changes64(db_); }

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

void Database::SetDurability(Durability durability) {
  if (durability_ == durability) return;
  Exec(durability == Durability::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  durability_ = durability;
}

void Database::Migrate(int target) {
  if (target > LatestSchemaVersion()) target = LatestSchemaVersion();
  for (int v = UserVersion() + 1; v <= target; ++v) {
    Transaction tx(*this);
    Exec(MigrationSql(v));
    Exec("PRAGMA user_version=" + std::to_string(v));
    tx.Commit();
  }
}

// --------------------------------------------------------------- Statement

Statement::Statement(Database& db, std::string_view sql)
    : db_(&db), stmt_(nullptr), cached_(false) {
  const int rc =
      sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) db.Throw(rc, "prepare");
}

Statement::Statement(Database& db, sqlite3_stmt* cached) : db_(&db), stmt_(cached), cached_(true) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), cached_(other.cached_) {
  other.stmt_ = nullptr;
}

Statement::~Statement() {
  if (!stmt_) return;
  if (cached_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
}

Statement& Statement::Bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) db_->Throw(rc, "bind");
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->Throw(rc, "bind");
  return *this;
}

Statement& Statement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) db_->Throw(rc, "bind");
  return *this;
}

Statement& Statement::BindOptional(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, std::string_view(*value)) : BindNull(index);
}

Statement& Statement::BindTextOrNull(int index, std::string_view value) {
  return value.empty() ? BindNull(index) : Bind(index, value);
}

Statement& Statement::BindOptional(int index, std::optional<bool> value) {
  return value ? Bind(index, std::int64_t{*value ? 1 : 0}) : BindNull(index);
}

bool Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_);
  db_->Throw(rc, "step");
}

void Statement::Run() {
  while (Step()) {
  }
}

std::int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

// ------------------------------------------------------------- Transaction

Transaction::Transaction(Database& db, Durability durability) : db_(db) {
  if (db_.InTransaction()) {
    savepoint_ = "sa_sp" + std::to_string(++db_.savepoint_depth_);
    try {
      db_.Exec("SAVEPOINT " + savepoint_);
    } catch (...) {
      --db_.savepoint_depth_;
      throw;
    }
    return;
  }
  db_.SetDurability(durability);
  db_.Exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) ++db_.rollbacks_;  // by us below, or by SQLite itself (a full disk)
  if (!savepoint_.empty()) {
    if (!done_ && db_.InTransaction()) {
      const std::string sql = "ROLLBACK TO " + savepoint_ + "; RELEASE " + savepoint_;
      sqlite3_exec(db_.handle(), sql.c_str(), nullptr, nullptr, nullptr);
    }
    --db_.savepoint_depth_;
    return;
  }
  if (!done_ && db_.InTransaction()) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::Commit() {
  db_.Exec(savepoint_.empty() ? std::string("COMMIT") : "RELEASE " + savepoint_);
  done_ = true;
}

}  // namespace sa::ledger
