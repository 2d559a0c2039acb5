// SPDX-License-Identifier: Apache-2.0
// What sa-bench's scenarios share: the error that ends a run, timing and
// rounding, the work directory, and the shared sqlite_commit baseline.
#pragma once

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base.hpp"

namespace sa::store {
class Store;
}

namespace sa::bench {

// Ordered, so the lines keep the field order they are documented with.
using Json = nlohmann::ordered_json;
using SteadyClock = std::chrono::steady_clock;

// In the demo catalog (6950123450005, "Silk scarf - indigo") at 599.00 CNY.
inline constexpr std::string_view kGtin = "06950123450005";
inline constexpr MinorUnits kPriceMinor = 59900;
inline constexpr std::string_view kLabelHost = "id.brand.example";
// What the scarf costs with the bench's pricing in force (PutPricesInForce,
// ledger_bench.hpp): the list's 499.00, less 50.00 (每满300减50).
inline constexpr MinorUnits kPricedDueMinor = kPriceMinor - 10000 - 5000;

// A failure of the run: reported on stderr, exit status 1.
class BenchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline double MsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

// Rounded for printing; the measurements themselves are not this precise.
double Round(double value, double places);

struct Percentiles {
  double p50 = 0;
  double p99 = 0;
};

// Taken as the baseline takes them: sorted, then [n/2] and [n*99/100].
Percentiles PercentilesOf(std::vector<double> ms);

template <class T>
T Require(Expected<T> result, std::string_view what) {
  if (!result) {
    const Error& e = result.error();
    throw BenchError(std::string(what) + ": " + e.code + ": " + e.message +
                     (e.reason.empty() ? "" : " (" + e.reason + ")"));
  }
  return std::move(result).value();
}

void Require(Expected<void> result, std::string_view what);

// The directory the run works in. A fresh one under `parent` unless the user
// gave one; only the fresh one is removed at the end.
class WorkDir {
 public:
  explicit WorkDir(const std::string& given, const std::string& parent = "/tmp");
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

// The `n`th sale of a busy till (the zreport and retention scenarios): one
// unsigned unit of the scarf (`serial`) on till-1, every third paid by card,
// every 50th refunded, every 100th cart voided instead.
void SellMixed(store::Store& s, int n, const std::string& serial);

// For /bin/sh (popen, system): the text as one single-quoted word.
std::string ShellQuote(std::string_view text);

// Runs a shared baseline program (`binary` with `args`, each one word) and
// reads its one JSON line, which must carry the number `field`.
Json RunBaselineProgram(const std::string& binary, const std::vector<std::string>& args,
                        std::string_view field);

// The shared baseline (shared/baselines/sqlite_commit.cpp, or its loop
// in-process when that file was not there at configure time): N bare
// durable commits on `db_path`, as its one JSON line.
Json RunBaseline(const std::string& db_path, int n);

}  // namespace sa::bench
