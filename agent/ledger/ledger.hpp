// SPDX-License-Identifier: Apache-2.0
// The device's ledger: one SQLite database (WAL, synchronous=FULL, foreign
// keys, busy timeout), RAII Database / Statement / Transaction, versioned
// migrations, and a quick_check at open that refuses a corrupt file without
// ever writing to it (skipped for a file exactly as its clean close left it).
//
// SQLite failures inside a transaction (disk full, I/O error) are thrown as
// ledger::Failure and turned into an Error by the domain at its boundary; the
// Transaction destructor rolls back, so nothing half-done is ever committed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace sa::ledger {

// The newest schema version this build knows.
int LatestSchemaVersion();

class Failure : public std::runtime_error {
 public:
  explicit Failure(Error error) : std::runtime_error(error.message), error_(std::move(error)) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

// How a transaction reaches the disk. `full` fsyncs the WAL at commit: a sale
// completion, a refund, anything acknowledged as done. `relaxed` (WAL with
// synchronous=NORMAL) is for cart edits: atomic and consistent, and made
// durable by the next `full` commit, which fsyncs the whole WAL before it.
enum class Durability { full, relaxed };

class Database;

// A prepared statement. Move-only; finalised (or, when it came from the
// database's cache, reset) on destruction.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, std::string_view value);
  Statement& BindNull(int index);
  Statement& BindOptional(int index, const std::optional<std::string>& value);
  // Text, or NULL when it is empty (an optional id: a cashier, a serial).
  Statement& BindTextOrNull(int index, std::string_view value);
  // 1 or 0, or NULL for nothing.
  Statement& BindOptional(int index, std::optional<bool> value);

  // Steps once: true while there is a row to read.
  bool Step();
  // Steps to the end, for statements that return no rows.
  void Run();

  std::int64_t Int(int column) const;
  std::string Text(int column) const;
  bool IsNull(int column) const;

 private:
  friend class Database;
  Statement(Database& db, sqlite3_stmt* cached);
  Database* db_;
  sqlite3_stmt* stmt_;
  bool cached_;
};

class Database {
 public:
  struct Options {
    bool create = true;          // create the file when it does not exist
    int busy_timeout_ms = 5000;  // another process (storectl) may hold the write lock
    int target_version = -1;     // migrate up to this version; -1 = latest (tests use others)
    // PRAGMA quick_check before anything else. A second connection of the
    // same process (the sync worker's) skips it: the first one ran it.
    bool integrity_check = true;
    // The daemon's own connection: skip that check when the file is exactly
    // as a clean close of such a connection left it, and leave that mark
    // when this one closes cleanly (clean_close.cpp). A crash, kill -9 or
    // power cut leaves no mark; a write by anyone since changes the file.
    bool trust_clean_close = false;
    // With trust_clean_close, when the check is due (no clean close): leave
    // it to the caller, to run beside the till (Check), and write no
    // clean-close mark until CheckPassed. Unless such a check found the file
    // damaged before (its "-damaged" mark is beside it): then it runs here
    // and refuses the file, as without this option.
    bool defer_check = false;
  };

  // Opens (and creates, migrates) a ledger file. Refuses, without writing:
  // a file that is not a database or fails PRAGMA quick_check
  // (ledger_corrupt), and a schema newer than this build (ledger_too_new).
  // The check reads the whole file: seconds on a big ledger.
  static Expected<std::unique_ptr<Database>> Open(const std::string& path, Options options);
  static Expected<std::unique_ptr<Database>> Open(const std::string& path) {
    return Open(path, Options{});
  }
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs SQL that carries no input (schema, pragmas). Throws Failure.
  void Exec(std::string_view sql);
  // A statement prepared once and kept: the hot paths use these.
  Statement Cached(std::string_view sql);
  // The SQL of every statement Cached has kept (a test plans each one).
  std::vector<std::string> CachedSql() const;

  int UserVersion();
  std::int64_t Changes() const;
  // Rows changed on this connection since it opened (a batch wrote iff this moved).
  std::int64_t TotalChanges() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }
  // Whether Open ran PRAGMA quick_check, and whether it found the file as a
  // clean close left it (Options::trust_clean_close).
  bool checked_at_open() const { return checked_at_open_; }
  bool closed_cleanly() const { return closed_cleanly_; }
  // The check was due and left to the caller (Options::defer_check).
  bool check_deferred() const { return check_deferred_; }
  // The deferred check passed: a clean close marks the file again. (Any
  // thread.)
  void CheckPassed() { mark_clean_close_ = trust_clean_close_; }

  // PRAGMA quick_check of the ledger at `path` on a read-only connection of
  // its own, beside a Database that is writing to it (WAL readers see one
  // committed state). ledger_corrupt when it fails, and a "-damaged" mark
  // beside the file so that the next open checks it first and refuses it;
  // check_stopped (nothing marked) when `stop` (may be null) was set;
  // ledger_unavailable (nothing marked) when it could not look (busy, I/O).
  static Expected<void> Check(const std::string& path, const std::atomic<bool>* stop);

  void SetDurability(Durability durability);
  // True while a transaction is open on this connection. SQLite ends one by
  // itself on some errors (disk full, I/O): callers that group work check it.
  bool InTransaction() const;
  // How many transactions and savepoints rolled back on this connection:
  // a cache of what it read (Books' promotions) is stale when this moved.
  std::int64_t rollbacks() const { return rollbacks_; }

  // Turns the current SQLite error into a Failure (insufficient_storage for a
  // full disk, ledger_busy, or ledger_error) and throws it.
  [[noreturn]] void Throw(int rc, std::string_view what);

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  void Migrate(int target);

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  std::optional<Durability> durability_;
  int savepoint_depth_ = 0;
  std::int64_t rollbacks_ = 0;
  bool checked_at_open_ = false;
  bool closed_cleanly_ = false;
  bool check_deferred_ = false;
  bool trust_clean_close_ = false;
  std::atomic<bool> mark_clean_close_{false};
  friend class Transaction;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit()
// ran. The shape that makes "state change + outbox event" all or nothing.
//
// Inside another transaction it is a SAVEPOINT instead: Commit() releases it
// and destruction rolls back to it. That is how the daemon's writer groups
// several terminals' operations into one transaction and one fsync, each
// operation still all or nothing. The outer transaction's durability rules.
class Transaction {
 public:
  explicit Transaction(Database& db, Durability durability = Durability::full);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  Database& db_;
  std::string savepoint_;  // empty for the outermost transaction
  bool done_ = false;
};

}  // namespace sa::ledger
