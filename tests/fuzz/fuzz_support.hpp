// SPDX-License-Identifier: Apache-2.0
// What the fuzz targets share: a check that fails loudly (libFuzzer keeps
// the input of any abort), the shape every error must have, and a scratch
// ledger. Opening and migrating a ledger per input would cost more than the
// input itself, so one ledger is opened per process and each input runs in
// an outer transaction that is rolled back: the store's own transactions
// nest in it as savepoints, exactly as under the daemon's group commits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "base.hpp"
#include "ledger.hpp"
#include "store.hpp"

namespace sa::fuzz {

// Prints what failed and the detail, then aborts.
[[noreturn]] void Fail(std::string_view check, std::string_view detail);

// Not assert(): the fuzz preset builds with NDEBUG, and a property that is
// not checked finds nothing.
#define SA_FUZZ_CHECK(cond, detail)                 \
  do {                                              \
    if (!(cond)) ::sa::fuzz::Fail(#cond, (detail)); \
  } while (false)

inline std::string_view Text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// "malformed_code": lower-case words joined by single underscores.
bool IsSnakeCase(std::string_view code);

// The contract of an error answered to a client (docs/design.md "Local HTTP
// API"): a snake_case code, a message, and a kind among `allowed` (never
// internal: that is a 5xx, a bug, and never caused by input).
void CheckError(const Error& error, std::initializer_list<ErrorKind> allowed);

// The fixed time every target runs at (2026-11-19, as the unit tests).
inline constexpr std::int64_t kNowMs = 1795000000000;

// One ledger for the process, in a temporary folder removed at exit, with
// the demo catalog imported and `seed` run once (committed) on it.
class ScratchLedger {
 public:
  using Seed = void (*)(store::Store&);
  static ScratchLedger& Get(Seed seed = nullptr);
  ledger::Database& db() { return *db_; }
  const ManualClock& clock() const { return clock_; }
  // The demo store's config at the fixed time (reference year 2026).
  static store::Config Config();

 private:
  ScratchLedger(Seed seed);
  std::string dir_;
  ManualClock clock_{kNowMs};
  std::unique_ptr<ledger::Database> db_;
};

// One input's view of the ledger: a fresh Store (its key cache included)
// over an outer transaction that is rolled back when the Scratch ends.
class Scratch {
 public:
  explicit Scratch(ScratchLedger& ledger);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  store::Store& store() { return store_; }

 private:
  ledger::Transaction tx_;
  store::Store store_;
};

}  // namespace sa::fuzz
