// SPDX-License-Identifier: Apache-2.0
// The fuzz targets' shared checks and scratch ledger (see the header).
#include "fuzz_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace sa::fuzz {

void Fail(std::string_view check, std::string_view detail) {
  std::fprintf(stderr, "FUZZ PROPERTY FAILED: %.*s\n  %.*s\n", static_cast<int>(check.size()),
               check.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool IsSnakeCase(std::string_view code) {
  if (code.empty() || code.front() == '_' || code.back() == '_') return false;
  char prev = 0;
  for (char c : code) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok || (c == '_' && prev == '_')) return false;
    prev = c;
  }
  return code.front() >= 'a' && code.front() <= 'z';
}

void CheckError(const Error& error, std::initializer_list<ErrorKind> allowed) {
  const std::string detail = "code '" + error.code + "': " + error.message;
  SA_FUZZ_CHECK(IsSnakeCase(error.code), detail);
  SA_FUZZ_CHECK(!error.message.empty(), detail);
  bool kind_ok = false;
  for (ErrorKind kind : allowed) kind_ok = kind_ok || kind == error.kind;
  SA_FUZZ_CHECK(kind_ok, "unexpected ErrorKind " + std::to_string(static_cast<int>(error.kind)) +
                             " for " + detail);
}

store::Config ScratchLedger::Config() {
  store::Config config = store::DemoConfig();
  config.parse.reference_year = 2026;
  return config;
}

ScratchLedger& ScratchLedger::Get(Seed seed) {
  // Built on first use and never destroyed before exit: the Database must
  // outlive every Scratch, and the folder goes with the process.
  static ScratchLedger* ledger = new ScratchLedger(seed);
  return *ledger;
}

ScratchLedger::ScratchLedger(Seed seed) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sa-fuzz-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) Fail("mkdtemp", tmpl);
  dir_ = tmpl;
  static std::string to_remove;
  to_remove = dir_;
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(to_remove, ec);
  });
  auto db = ledger::Database::Open(dir_ + "/ledger.db");
  if (!db) Fail("open the scratch ledger", db.error().message);
  db_ = std::move(db).value();
  store::Store store(*db_, Config(), clock_);
  auto imported = store.books.ImportCatalogCsv(store::DemoCatalogCsv());
  if (!imported) Fail("import the demo catalog", imported.error().message);
  if (seed) seed(store);
}

Scratch::Scratch(ScratchLedger& ledger)
    : tx_(ledger.db(), ledger::Durability::relaxed),
      store_(ledger.db(), ScratchLedger::Config(), ledger.clock()) {}

// The transaction's destructor rolls back: nothing an input did is kept.
Scratch::~Scratch() = default;

}  // namespace sa::fuzz
