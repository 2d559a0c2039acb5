// SPDX-License-Identifier: Apache-2.0
#include "bench_common.hpp"

#include <sqlite3.h>
#include <stdlib.h>  // mkdtemp
#include <sys/wait.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "codes.hpp"
#include "store.hpp"

namespace sa::bench {

namespace fs = std::filesystem;

double Round(double value, double places) {
  const double scale = std::pow(10.0, places);
  return std::round(value * scale) / scale;
}

Percentiles PercentilesOf(std::vector<double> ms) {
  if (ms.empty()) return {};
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() * 99 / 100]};
}

void Require(Expected<void> result, std::string_view what) {
  if (!result) {
    const Error& e = result.error();
    throw BenchError(std::string(what) + ": " + e.code + ": " + e.message);
  }
}

WorkDir::WorkDir(const std::string& given, const std::string& parent) {
  if (!given.empty()) {
    std::error_code ec;
    fs::create_directories(given, ec);
    if (ec) throw BenchError("cannot create " + given + ": " + ec.message());
    path_ = given;
    return;
  }
  std::string tmpl = parent + "/sa-bench-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    throw BenchError("mkdtemp failed: " +
                     std::error_code(errno, std::generic_category()).message());
  }
  path_ = tmpl;
  owned_ = true;
}

WorkDir::~WorkDir() {
  if (!owned_) return;
  std::error_code ec;  // best effort; nothing to do about a failure here
  fs::remove_all(path_, ec);
}

std::string ShellQuote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Json RunBaselineProgram(const std::string& binary, const std::vector<std::string>& args,
                        std::string_view field) {
  std::error_code ec;
  if (!fs::exists(binary, ec)) {
    throw BenchError("baseline binary " + binary + " is missing (was the build moved?)");
  }
  std::string command = ShellQuote(binary);
  for (const std::string& arg : args) command += " " + ShellQuote(arg);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw BenchError("cannot run " + binary);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw BenchError("baseline " + binary + " failed (status " + std::to_string(status) + ")");
  }
  Json line = Json::parse(output, nullptr, /*allow_exceptions=*/false);
  const std::string key(field);
  if (line.is_discarded() || !line.is_object() || !line.contains(key) || !line[key].is_number()) {
    throw BenchError("baseline printed something other than its JSON line: " + output);
  }
  return line;
}

#ifdef SA_BASELINE_SQLITE_COMMIT

Json RunBaseline(const std::string& db_path, int n) {
  Json line =
      RunBaselineProgram(SA_BASELINE_SQLITE_COMMIT, {db_path, std::to_string(n)}, "commits_per_s");
  line["baseline_source"] = "shared/baselines/sqlite_commit.cpp";
  return line;
}

#else

// sqlite_commit.cpp's loop, statement for statement, for a checkout without
// shared/: one INSERT per BEGIN IMMEDIATE / COMMIT, WAL, synchronous=FULL.
Json RunBaseline(const std::string& db_path, int n) {
  struct Closer {
    sqlite3* db = nullptr;
    sqlite3_stmt* st = nullptr;
    ~Closer() {
      sqlite3_finalize(st);
      sqlite3_close(db);
    }
  } h;
  auto exec = [&](const char* sql) {
    if (sqlite3_exec(h.db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw BenchError(std::string("baseline: ") + sql + ": " + sqlite3_errmsg(h.db));
    }
  };
  // SQLITE_TRANSIENT (as the baseline binds), without its C-style cast.
  const auto transient = reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));

  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db_path + suffix).c_str());
  if (sqlite3_open(db_path.c_str(), &h.db) != SQLITE_OK) throw BenchError("baseline: open failed");
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  exec(
      "CREATE TABLE sale(id INTEGER PRIMARY KEY, uid TEXT UNIQUE, code TEXT UNIQUE, amount INT, ts "
      "INT);");
  if (sqlite3_prepare_v2(h.db, "INSERT INTO sale(uid, code, amount, ts) VALUES(?, ?, 1999, ?)", -1,
                         &h.st, nullptr) != SQLITE_OK) {
    throw BenchError(std::string("baseline: prepare: ") + sqlite3_errmsg(h.db));
  }
  std::vector<double> lat;
  lat.reserve(static_cast<std::size_t>(n));
  const auto t0 = SteadyClock::now();
  for (int i = 0; i < n; ++i) {
    const auto a = SteadyClock::now();
    exec("BEGIN IMMEDIATE");
    const std::string uid = "sale-" + std::to_string(i);
    const std::string code = "https://id.example.com/01/09506000134352/21/SN" + std::to_string(i);
    sqlite3_bind_text(h.st, 1, uid.c_str(), -1, transient);
    sqlite3_bind_text(h.st, 2, code.c_str(), -1, transient);
    sqlite3_bind_int64(h.st, 3, i);
    if (sqlite3_step(h.st) != SQLITE_DONE) throw BenchError("baseline: insert failed");
    sqlite3_reset(h.st);
    exec("COMMIT");
    lat.push_back(MsSince(a));
  }
  const double secs = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const Percentiles p = PercentilesOf(std::move(lat));
  return Json{{"baseline", "sqlite_commit"},         {"n", n},
              {"commits_per_s", Round(n / secs, 1)}, {"p50_ms", Round(p.p50, 3)},
              {"p99_ms", Round(p.p99, 3)},           {"baseline_source", "in_process"}};
}

#endif

void SellMixed(store::Store& s, int n, const std::string& serial) {
  const std::string id = Require(s.sales.OpenSale("till-1"), "open sale").id;
  Require(s.sales.Scan(id, codes::MakeDigitalLink(kLabelHost, kGtin, serial, "")), "scan");
  if (n % 100 == 99) {
    Require(s.sales.Void(id, "customer left"), "void");
    return;
  }
  const bool card = n % 3 == 0;
  Require(s.sales.Complete(id, {{card ? "card" : "cash", kPriceMinor, card ? "t" + serial : ""}}),
          "complete");
  if (n % 50 == 49) Require(s.sales.RefundUnits(id, {serial}, "till-1"), "refund");
}

}  // namespace sa::bench
