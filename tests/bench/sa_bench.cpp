// SPDX-License-Identifier: Apache-2.0
// sa-bench: how fast the store completes sales, measured against the fastest
// durable commit SQLite can do on the same disk.
//
//   sa-bench ledger [--n N] [--dir DIR]
//   sa-bench api [--clients C] [--sales N] [--priced] [--agent PATH]
//   sa-bench footprint [--sales N] [--agent PATH]
//   sa-bench sync [--events N] [--sales M] [--agent PATH] [--oms-sim PATH] [--cloud-shares-machine]
//   sa-bench stock [--gtins G] [--serials S] [--orders O] [--agent PATH]
//   sa-bench decode [--frame FILE | --size WxH] [--n N]   (decode_bench.cpp)
//   sa-bench epcis [--events N] [--dir DIR]   (epcis_bench.cpp)
//   sa-bench zreport [--sales N] [--dir DIR]  (zreport_bench.cpp)
//   sa-bench retention [--sales N] [--days D] [--step-sales S] [--dir DIR]  (retention_bench.cpp)
//
// Scenario "ledger" and its variants (ledger_bench.cpp): the sale path
// in-process, plain and with pricing in force, against the baseline
// (shared/baselines/sqlite_commit.cpp, or the same loop in-process when that
// file was not there at configure time), which runs before and after in the
// same directory. Prints one JSON line per baseline run and per scenario;
// the scenarios' ratio is against the mean of the two baseline runs. Any
// failure goes to stderr with exit status 1 (2 for usage).
//
// Scenario "api": the real daemon (store-agent --demo) over real HTTP: C
// client threads, one keep-alive connection each, N signed sales in all
// (open, scan, complete with cash). The writer may group several clients'
// completions into one fsync, so with C > 1 the store can beat one commit
// per fsync. The baseline runs before and after on the same filesystem (its
// lines go to stderr); stdout gets the scenario's one JSON line. With
// --priced, the same sales again on a second fresh daemon with promotions
// and a price list in force ("api_priced"), and pricing's share of a sale's
// time against the first run.
//
// Scenario "footprint": the daemon's binary size (as built and stripped),
// its idle RSS, and its start-to-ready time and RSS on a ledger of N
// completed sales (built through the store layer, not the API, for speed):
// the first start after the fill, which finds no clean-close mark, as after
// a crash (checked_start_to_ready_ms; its whole-file check beside the till,
// background_check_ms), then a restart after a clean stop.
// One JSON line on stdout; progress on stderr.
//
// Scenario "sync": an agent back from a long time offline. A ledger with N
// unpushed events (N completed sales, built through the store layer), then
// the daemon with oms-sim (the reference cloud) on loopback as its cloud: the
// time from ready until the cloud has acknowledged the backlog, and the
// events per second. Meanwhile one till makes up to M sales over the API;
// then, with sync idle, M more: the p99 of a whole sale while draining
// against idle is the ratio (target <= 1.5). The baseline runs before and
// after (its lines to stderr); stdout gets the scenario's one JSON line.
//
// Scenario "stock": a store with G products, S received units spread over
// them and a stock snapshot of each, built in-process through the store
// layer (Store::Receive in outer transactions of 10,000), with O
// ship-from-store orders of one unit each offered (Store::RecordOrderOffer,
// as sync would). Then the real daemon over HTTP: every order accepted, then
// picked (a received unit of its GTIN), then shipped, each phase timed as
// operations per second; and GET /v1/stock/{gtin} for 1000 random GTINs,
// p50/p99. The ratio is the three phases' operations per second together
// against the baseline (before and after, its lines to stderr).
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>  // mkdtemp
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <latch>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "agent_process.hpp"
#include "base.hpp"
#include "bench_common.hpp"
#include "codes.hpp"
#include "crypto.hpp"
#include "decode_bench.hpp"
#include "epcis_bench.hpp"
#include "event_stream.hpp"
#include "keyboard.hpp"
#include "ledger.hpp"
#include "ledger_bench.hpp"
#include "retention_bench.hpp"
#include "store.hpp"
#include "zreport_bench.hpp"

namespace {

namespace fs = std::filesystem;
using namespace sa::bench;

// --------------------------------------------------------------- daemon

#ifdef SA_STORE_AGENT
constexpr const char* kDefaultAgent = SA_STORE_AGENT;
#else
constexpr const char* kDefaultAgent = "store-agent";
#endif
#ifdef SA_OMS_SIM
constexpr const char* kDefaultOmsSim = SA_OMS_SIM;
#else
constexpr const char* kDefaultOmsSim = "oms-sim";
#endif

using sa::testing::AgentProcess;

// SIGTERM, then the exit status (128+signal when a signal ended it); SIGKILL
// when the process has not ended within `grace`.
int Terminate(AgentProcess& process, std::chrono::milliseconds grace) {
  process.Signal(SIGTERM);
  const auto end = SteadyClock::now() + grace;
  while (true) {
    // WNOWAIT: only look; Wait() reaps it.
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(process.pid()), &info, WEXITED | WNOHANG | WNOWAIT) !=
            0 ||
        info.si_pid != 0) {
      return process.Wait();
    }
    if (SteadyClock::now() >= end) {
      process.Kill();
      return 128 + SIGKILL;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// A daemon (store-agent, oms-sim) up and serving. One still running when
// this goes (a failed run) gets SIGTERM, and SIGKILL after 30 s.
struct RunningDaemon {
  std::string name;
  std::unique_ptr<AgentProcess> process;
  std::string url;
  double start_to_ready_ms = 0;  // from fork to the "ready" line

  RunningDaemon() = default;
  RunningDaemon(RunningDaemon&&) = default;
  RunningDaemon& operator=(RunningDaemon&&) = delete;
  ~RunningDaemon() {
    if (process) Terminate(*process, std::chrono::seconds(30));
  }
};

// `binary` with `args`, until its ready line ({"msg":"ready","url":...} on
// the stream `watch` names).
RunningDaemon StartDaemon(std::string name, const std::string& binary,
                          std::vector<std::string> args, AgentProcess::Watch watch,
                          std::chrono::milliseconds limit) {
  std::error_code ec;
  if (!fs::exists(binary, ec)) throw BenchError(name + " binary " + binary + " is missing");
  RunningDaemon daemon;
  daemon.name = std::move(name);
  const auto start = SteadyClock::now();
  daemon.process = std::make_unique<AgentProcess>(binary, std::move(args), watch);
  const std::string line = daemon.process->WaitForLog("\"msg\":\"ready\"", limit);
  daemon.start_to_ready_ms = MsSince(start);
  if (line.empty()) {
    throw BenchError(daemon.name + " did not get ready; its output:\n" +
                     daemon.process->DrainLog());
  }
  const Json ready = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (ready.is_discarded() || !ready.contains("url") || !ready["url"].is_string()) {
    throw BenchError(daemon.name + "'s ready line has no url: " + line);
  }
  daemon.url = ready["url"].get<std::string>();
  return daemon;
}

// The daemon on `data_dir` (demo store, any free port), up and serving.
RunningDaemon StartAgent(const std::string& binary, const std::string& data_dir,
                         std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  return StartDaemon("store-agent", binary,
                     {"--demo", "--data-dir", data_dir, "--listen", "127.0.0.1:0"},
                     AgentProcess::Watch::stderr_lines, limit);
}

// SIGTERM, and a clean exit.
void StopDaemon(RunningDaemon& daemon) {
  const int status = Terminate(*daemon.process, std::chrono::seconds(60));
  daemon.process.reset();
  if (status != 0) {
    throw BenchError(daemon.name + " exited with status " + std::to_string(status) + " on SIGTERM");
  }
}

// VmRSS of a process, in kB.
std::int64_t RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  throw BenchError("no VmRSS in /proc/" + std::to_string(pid) + "/status");
}

std::string ReadTrimmed(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw BenchError(path + " is missing");
  return sa::testing::Trimmed(sa::testing::Slurp(path));
}

// The baseline before and after a run, in `dir` (its lines to stderr); the
// mean of the two commit rates.
class BaselinePair {
 public:
  BaselinePair(std::string db_path, int n) : db_path_(std::move(db_path)), n_(n) {}
  void Before() { before_ = Run(); }
  void After() { after_ = Run(); }
  double MeanCommitsPerS() const {
    const double mean = (before_ + after_) / 2;
    if (!(mean > 0)) throw BenchError("baseline reported no commits per second");
    return mean;
  }

 private:
  double Run() {
    const Json line = RunBaseline(db_path_, n_);
    std::cerr << line.dump() << std::endl;
    return line["commits_per_s"].get<double>();
  }
  std::string db_path_;
  int n_;
  double before_ = 0;
  double after_ = 0;
};

// ------------------------------------------------------------------ api

struct HttpResult {
  long status = 0;
  std::string body;
  std::string error;  // libcurl's, when there was no answer
};

// One keep-alive connection to the daemon: a libcurl easy handle reused for
// every request of one client thread.
class ApiClient {
 public:
  ApiClient(std::string url, const std::string& token)
      : url_(std::move(url)), auth_("Authorization: Bearer " + token), curl_(curl_easy_init()) {
    if (curl_ == nullptr) throw BenchError("curl_easy_init failed");
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &ApiClient::Sink);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body_);
  }
  ~ApiClient() { curl_easy_cleanup(curl_); }
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  HttpResult Post(const std::string& path, const std::string& body,
                  const std::string& idempotency_key = "") {
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, auth_.c_str());
    headers = curl_slist_append(headers, "Content-Type: application/json");
    if (!idempotency_key.empty()) {
      headers = curl_slist_append(headers, ("Idempotency-Key: " + idempotency_key).c_str());
    }
    const std::string url = url_ + path;
    body_.clear();
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    HttpResult result;
    const CURLcode rc = curl_easy_perform(curl_);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers);
    if (rc == CURLE_OK) {
      curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &result.status);
    } else {
      result.error = curl_easy_strerror(rc);
    }
    result.body = std::move(body_);
    return result;
  }

  HttpResult Get(const std::string& path) {
    curl_slist* headers = curl_slist_append(nullptr, auth_.c_str());
    const std::string url = url_ + path;
    body_.clear();
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    HttpResult result;
    const CURLcode rc = curl_easy_perform(curl_);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers);
    if (rc == CURLE_OK) {
      curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &result.status);
    } else {
      result.error = curl_easy_strerror(rc);
    }
    result.body = std::move(body_);
    return result;
  }

 private:
  static std::size_t Sink(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  }
  std::string url_;
  std::string auth_;
  CURL* curl_;
  std::string body_;
};

// The value of an unlabelled Prometheus sample ("name value"), if present.
std::optional<std::int64_t> MetricValue(const std::string& text, std::string_view name) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    if (line.size() > name.size() && line.substr(0, name.size()) == name &&
        line[name.size()] == ' ') {
      return std::strtoll(std::string(line.substr(name.size() + 1)).c_str(), nullptr, 10);
    }
    pos = end + 1;
  }
  return std::nullopt;
}

Json OrNull(std::optional<std::int64_t> value) { return value ? Json(*value) : Json(nullptr); }

// The first failure among threads, for the main thread to throw.
class FirstFailure {
 public:
  void Set(std::string what) {
    const std::lock_guard lock(mutex_);
    if (what_.empty()) what_ = std::move(what);
    failed_ = true;
  }
  bool failed() const { return failed_; }
  void ThrowIfAny() {
    if (!failed_) return;
    const std::lock_guard lock(mutex_);
    throw BenchError(what_);
  }

 private:
  std::mutex mutex_;
  std::string what_;
  std::atomic<bool> failed_{false};
};

// Throws unless the daemon answered 2xx.
void Check(const HttpResult& r, std::string_view what) {
  if (r.status >= 200 && r.status < 300) return;
  throw BenchError(std::string(what) + ": " +
                   (r.status == 0 ? "no answer (" + r.error + ")"
                                  : "HTTP " + std::to_string(r.status) + ": " + r.body));
}

// The body of POST /v1/sales/{id}/complete: `amount` in cash.
std::string CashPayment(sa::MinorUnits amount) {
  return Json{{"payments", Json::array({Json{{"method", "cash"}, {"amount", amount}}})}}.dump();
}

// One whole sale, as a till makes it: open, scan (`scan_body`), complete
// (`complete_body`). Returns its latency in ms; throws on any failure.
double TimedSale(ApiClient& client, const std::string& scan_body,
                 const std::string& complete_body) {
  const auto start = SteadyClock::now();
  const HttpResult opened = client.Post("/v1/sales", "{}");
  Check(opened, "POST /v1/sales");
  const Json sale = Json::parse(opened.body, nullptr, false);
  if (sale.is_discarded() || !sale.contains("id") || !sale["id"].is_string()) {
    throw BenchError("POST /v1/sales answered without an id: " + opened.body);
  }
  const std::string id = sale["id"].get<std::string>();
  Check(client.Post("/v1/sales/" + id + "/scans", scan_body), "POST /v1/sales/{id}/scans");
  Check(client.Post("/v1/sales/" + id + "/complete", complete_body, "bench-" + id),
        "POST /v1/sales/{id}/complete");
  return MsSince(start);
}

// One run of the api scenario: what the clients measured, and the
// daemon's writer metrics.
struct ApiRun {
  double sales_per_s = 0;
  Percentiles latency;
  std::string metrics;
};

// A fresh daemon in `data_dir` and the N signed sales its clients are to
// make, in batches. `priced`: with PutPricesInForce in its ledger (written
// between a first start, which makes the demo store, and the measured one).
class ApiTill {
 public:
  ApiTill(const std::string& agent_binary, const std::string& data_dir, int sales, bool priced) {
    if (priced) {
      {
        RunningDaemon first = StartAgent(agent_binary, data_dir);
        StopDaemon(first);
      }
      auto db = Require(sa::ledger::Database::Open(data_dir + "/ledger.db"), "open ledger");
      const sa::SystemClock clock;
      sa::store::Store store(*db, sa::store::DemoConfig(), clock);
      PutPricesInForce(store);
    }
    agent_.emplace(StartAgent(agent_binary, data_dir));
    token_ = ReadTrimmed(data_dir + "/api-token");
    const auto key = Require(
        sa::crypto::SigningKey::FromPem(sa::testing::Slurp(data_dir + "/demo/brand.key.pem")),
        "the daemon's demo brand key");
    // Minting signs (ECDSA P-256) and is not what a store does: keep it out.
    bodies_.reserve(static_cast<std::size_t>(sales));
    for (int i = 0; i < sales; ++i) {
      const std::string serial = "A" + std::to_string(i);
      const std::string label = sa::codes::MakeDigitalLink(
          kLabelHost, kGtin, serial, sa::codes::SignLabel(kGtin, serial, key));
      bodies_.push_back(Json{{"payload", label}}.dump());
    }
    complete_body_ = CashPayment(priced ? kPricedDueMinor : kPriceMinor);
  }

  // Sales [from, to) from C clients, one keep-alive connection each; the
  // batch's time adds to the run's.
  void Batch(int clients, int from, int to) {
    FirstFailure failure;
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
    std::latch go(1);
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        try {
          ApiClient client(agent_->url, token_);
          std::vector<double>& mine = latencies[static_cast<std::size_t>(c)];
          go.wait();
          // Client c takes sales from+c, from+c+C, ...: (to-from)/C each (one more for some).
          for (int i = from + c; i < to && !failure.failed(); i += clients) {
            mine.push_back(
                TimedSale(client, bodies_.at(static_cast<std::size_t>(i)), complete_body_));
          }
        } catch (const std::exception& e) {
          failure.Set(e.what());
        }
      });
    }
    const auto t0 = SteadyClock::now();
    go.count_down();
    for (std::thread& t : threads) t.join();
    secs_ += std::chrono::duration<double>(SteadyClock::now() - t0).count();
    failure.ThrowIfAny();
    for (const auto& v : latencies) latency_ms_.insert(latency_ms_.end(), v.begin(), v.end());
  }

  // The run's figures and the writer's metrics; stops the daemon.
  ApiRun Finish() {
    const sa::testing::Api api{agent_->url, token_};
    const sa::testing::HttpReply metrics = api.Get("/metrics");
    if (metrics.status != 200) {
      throw BenchError("GET /metrics: HTTP " + std::to_string(metrics.status) + ": " +
                       metrics.body);
    }
    StopDaemon(*agent_);
    const double sales = static_cast<double>(latency_ms_.size());
    return ApiRun{secs_ > 0 ? sales / secs_ : 0, PercentilesOf(latency_ms_), metrics.body};
  }

 private:
  std::optional<RunningDaemon> agent_;  // started once the ledger is ready
  std::string token_;
  std::vector<std::string> bodies_;
  std::string complete_body_;
  std::vector<double> latency_ms_;
  double secs_ = 0;
};

// With --priced, the plain and the priced daemon take turns, this many
// batches each (the one going first alternating): a disk's fsync rate drifts
// by tens of percent within a minute, and two runs one after the other
// would show that drift, not pricing's cost.
constexpr int kApiRounds = 8;

// `priced`: the same sales on a second fresh daemon with promotions and a
// price list in force, interleaved with the first, and pricing's share of a
// sale's time.
int RunApiScenario(int clients, int sales, const std::string& agent_binary, bool priced) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    throw BenchError("curl_global_init failed");
  const WorkDir dir("");
  BaselinePair baseline(dir.path() + "/baseline.db", sales);
  baseline.Before();
  ApiTill plain_till(agent_binary, dir.path() + "/data", sales, false);
  std::optional<ApiTill> priced_till;
  if (priced) priced_till.emplace(agent_binary, dir.path() + "/data-priced", sales, true);
  const int rounds = priced ? std::min(sales, kApiRounds) : 1;
  for (int r = 0; r < rounds; ++r) {
    const int from = static_cast<int>(std::int64_t{sales} * r / rounds);
    const int to = static_cast<int>(std::int64_t{sales} * (r + 1) / rounds);
    if (r % 2 == 0 || !priced_till) plain_till.Batch(clients, from, to);
    if (priced_till) priced_till->Batch(clients, from, to);
    if (r % 2 == 1 && priced_till) plain_till.Batch(clients, from, to);
  }
  const ApiRun plain = plain_till.Finish();
  std::optional<ApiRun> with_prices;
  if (priced_till) with_prices = priced_till->Finish();
  baseline.After();

  const double commits_per_s = baseline.MeanCommitsPerS();
  auto line = [&](const ApiRun& run, const char* scenario) {
    return Json{{"scenario", scenario},
                {"clients", clients},
                {"sales", sales},
                {"sales_per_s", Round(run.sales_per_s, 1)},
                {"p50_ms", Round(run.latency.p50, 3)},
                {"p99_ms", Round(run.latency.p99, 3)},
                {"baseline_commits_per_s", Round(commits_per_s, 1)},
                {"ratio", Round(run.sales_per_s / commits_per_s, 3)},
                {"target_ratio", clients == 1 ? 0.5 : 2.0},
                {"writer_max_batch", OrNull(MetricValue(run.metrics, "sa_writer_max_batch"))},
                {"writer_batches", OrNull(MetricValue(run.metrics, "sa_writer_batches_total"))}};
  };
  std::cout << line(plain, "api").dump() << std::endl;
  if (with_prices) {
    Json out = line(*with_prices, "api_priced");
    // What pricing costs: a priced sale's time against the plain run's
    // (issue 17's target: at most 10 %), from the mean and the median.
    const double plain_ms = 1000 / plain.sales_per_s;
    const double priced_ms = 1000 / with_prices->sales_per_s;
    out["vs_scenario"] = "api";
    out["rounds"] = rounds;
    out["pricing_share_of_sale"] = Round((priced_ms - plain_ms) / plain_ms, 3);
    out["pricing_share_of_sale_p50"] =
        Round((with_prices->latency.p50 - plain.latency.p50) / plain.latency.p50, 3);
    out["target_pricing_share"] = 0.1;
    std::cout << out.dump() << std::endl;
  }
  return 0;
}

// ------------------------------------------------------------ footprint

// An executable named `name` on $PATH, if any.
std::optional<std::string> FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/bin:/bin";
  while (true) {
    const std::size_t colon = rest.find(':');
    const std::string entry(rest.substr(0, colon));
    const std::string candidate = (entry.empty() ? "." : entry) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
}

// The binary's size after `strip`, or nothing without a strip.
std::optional<std::uintmax_t> StrippedBytes(const std::string& binary, const std::string& dir) {
  const std::optional<std::string> strip = FindOnPath("strip");
  if (!strip) return std::nullopt;
  const std::string copy = dir + "/store-agent.stripped";
  fs::copy_file(binary, copy, fs::copy_options::overwrite_existing);
  const std::string command = ShellQuote(*strip) + " " + ShellQuote(copy);
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw BenchError(command + " failed (status " + std::to_string(status) + ")");
  }
  return fs::file_size(copy);
}

// What FillLedger sells: per sale one unit of `gtin` (an unsigned label on
// `label_host`, serial `serial_prefix` + its number), paid in cash.
struct LedgerFill {
  sa::store::Config config;
  std::string_view catalog_csv;  // imported unless `gtin` is in the catalog already
  std::string_view gtin;
  sa::MinorUnits price_minor = 0;
  std::string_view label_host;
  std::string_view serial_prefix;
  std::string_view scenario;  // names the progress lines
};

struct FilledLedger {
  std::uintmax_t bytes = 0;   // on disk, the WAL folded in
  std::int64_t last_seq = 0;  // the newest outbox event (one per completed sale)
};

// N completed single-unit sales added straight through the store layer;
// batches of 10,000 in one outer transaction (the operations inside become
// savepoints), so one fsync per batch.
FilledLedger FillLedger(const std::string& path, int sales, const LedgerFill& fill) {
  auto db = Require(sa::ledger::Database::Open(path), "open ledger");
  const sa::SystemClock clock;
  sa::store::Store store(*db, fill.config, clock);
  if (!store.books.FindProduct(fill.gtin)) {
    Require(store.books.ImportCatalogCsv(fill.catalog_csv), "import catalog");
  }
  constexpr int kBatch = 10'000;
  constexpr int kProgress = 100'000;
  const std::string prefix(fill.serial_prefix);
  const std::vector<sa::store::Payment> payments = {{"cash", fill.price_minor, ""}};
  const auto start = SteadyClock::now();
  for (int done = 0; done < sales;) {
    sa::ledger::Transaction batch(*db);
    const int end = std::min(sales, done + kBatch);
    for (; done < end; ++done) {
      const std::string label =
          sa::codes::MakeDigitalLink(fill.label_host, fill.gtin, prefix + std::to_string(done), "");
      const sa::store::Sale opened = Require(store.sales.OpenSale("bench"), "open sale");
      Require(store.sales.Scan(opened.id, label), "scan");
      Require(store.sales.Complete(opened.id, payments), "complete");
      if ((done + 1) % kProgress == 0) {
        std::cerr << "sa-bench " << fill.scenario << ": " << done + 1 << " sales in the ledger ("
                  << Round(MsSince(start) / 1000, 1) << " s)" << std::endl;
      }
    }
    batch.Commit();
  }
  std::cerr << "sa-bench " << fill.scenario << ": ledger of " << sales << " sales built in "
            << Round(MsSince(start) / 1000, 1) << " s" << std::endl;
  FilledLedger filled;
  filled.last_seq = Require(store.inbox.GetSyncState(), "sync state").last_seq;
  filled.bytes = LedgerBytes(*db);
  return filled;
}

int RunFootprintScenario(int sales, const std::string& agent_binary) {
  const WorkDir dir("");
  const std::string data_dir = dir.path() + "/data";
  std::error_code ec;
  const std::uintmax_t binary_bytes = fs::file_size(agent_binary, ec);
  if (ec) throw BenchError("cannot read " + agent_binary + ": " + ec.message());
  const std::optional<std::uintmax_t> stripped = StrippedBytes(agent_binary, dir.path());

  // First start on an empty data dir: idle RSS; it also writes the demo keys,
  // token and catalog the restart needs.
  std::int64_t idle_rss_kb = 0;
  {
    RunningDaemon agent = StartAgent(agent_binary, data_dir);
    idle_rss_kb = RssKb(agent.process->pid());
    StopDaemon(agent);
  }

  sa::store::Config config = sa::store::DemoConfig();
  config.require_signature = false;
  const std::uintmax_t ledger_bytes =
      FillLedger(data_dir + "/ledger.db", sales,
                 LedgerFill{.config = std::move(config),
                            .catalog_csv = sa::store::DemoCatalogCsv(),
                            .gtin = kGtin,
                            .price_minor = kPriceMinor,
                            .label_host = kLabelHost,
                            .serial_prefix = "F",
                            .scenario = "footprint"})
          .bytes;

  // The first start after another program wrote the ledger (the fill): no
  // clean-close mark, as after a crash, so the agent checks the whole file
  // beside the till; that check's time from its log line. Stopped once it
  // passed, so the restart below finds the mark.
  double checked_start_ms = 0;
  Json check_ms = nullptr;
  {
    RunningDaemon first = StartAgent(agent_binary, data_dir, std::chrono::minutes(30));
    checked_start_ms = first.start_to_ready_ms;
    const std::string passed =
        first.process->log().find("checked beside the till") != std::string::npos
            ? first.process->log()
            : first.process->WaitForLog("checked beside the till", std::chrono::minutes(30));
    const auto at = passed.find("\"check_ms\":\"");
    if (at == std::string::npos) throw BenchError("the agent's background check did not pass");
    check_ms = std::stoll(passed.substr(at + 12));
    StopDaemon(first);
  }
  // Then a restart after that clean stop: what a store box does every day.
  RunningDaemon agent = StartAgent(agent_binary, data_dir, std::chrono::minutes(30));
  const std::int64_t rss_after_ready_kb = RssKb(agent.process->pid());
  StopDaemon(agent);

  const Json line{{"scenario", "footprint"},
                  {"binary_bytes", binary_bytes},
                  {"stripped_bytes", stripped ? Json(*stripped) : Json(nullptr)},
                  {"idle_rss_kb", idle_rss_kb},
                  {"sales_in_ledger", sales},
                  {"ledger_bytes", ledger_bytes},
                  {"start_to_ready_ms", Round(agent.start_to_ready_ms, 1)},
                  {"checked_start_to_ready_ms", Round(checked_start_ms, 1)},
                  {"background_check_ms", check_ms},
                  {"target_start_to_ready_ms", sales > 1'000'000 ? 500 : 300},
                  {"rss_after_ready_kb", rss_after_ready_kb}};
  std::cout << line.dump() << std::endl;
  return 0;
}

// ----------------------------------------------------------------- sync

// The store and device the backlog is written for, and what it sells.
constexpr std::string_view kSyncStore = "bench-store";
constexpr std::string_view kSyncDevice = "bench-till-1";
constexpr std::string_view kSyncGtin = "09506000134352";
constexpr sa::MinorUnits kSyncPriceMinor = 129900;
constexpr std::string_view kSyncLabelHost = "id.example.com";
constexpr std::string_view kSyncCatalogCsv =
    "gtin,name,price_minor\n"
    "09506000134352,Silk scarf,129900\n";
constexpr double kSyncTargetRatio = 1.5;
constexpr auto kSyncPoll = std::chrono::milliseconds(20);
// A drain whose acked_seq stands still this long has failed.
constexpr auto kSyncStall = std::chrono::seconds(60);

// What GET /v1/sync says about the outbox.
struct SyncProgress {
  std::int64_t acked_seq = 0;
  std::int64_t last_seq = 0;
  std::int64_t pending_events = 0;
  std::string last_error;
};

SyncProgress GetSyncProgress(const sa::testing::Api& api) {
  const sa::testing::HttpReply reply = api.Get("/v1/sync");
  if (reply.status != 200) {
    throw BenchError("GET /v1/sync: " +
                     (reply.status == 0
                          ? std::string("no answer")
                          : "HTTP " + std::to_string(reply.status) + ": " + reply.body));
  }
  const Json j = Json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  auto integer = [&](const char* key) {
    if (j.is_discarded() || !j.is_object() || !j.contains(key) || !j[key].is_number_integer()) {
      throw BenchError(std::string("GET /v1/sync answered without ") + key + ": " + reply.body);
    }
    return j[key].get<std::int64_t>();
  };
  SyncProgress p;
  p.acked_seq = integer("acked_seq");
  p.last_seq = integer("last_seq");
  p.pending_events = integer("pending_events");
  if (j.contains("last_error") && j["last_error"].is_string()) {
    p.last_error = j["last_error"].get<std::string>();
  }
  return p;
}

// How many events oms-sim accepted for `store`. Counted while parsing, one
// event at a time: 100,000 events would make a DOM of hundreds of MB.
std::size_t CloudEventCount(const std::string& oms_url, std::string_view store) {
  const std::string path = "/admin/v1/stores/" + std::string(store) + "/events";
  const sa::testing::HttpReply reply = sa::testing::Http("GET", oms_url + path);
  if (reply.status != 200) {
    throw BenchError("oms-sim GET " + path + ": " +
                     (reply.status == 0
                          ? std::string("no answer")
                          : "HTTP " + std::to_string(reply.status) + ": " + reply.body));
  }
  std::size_t count = 0;
  bool has_events = false;
  const Json emptied = Json::parse(
      reply.body,
      [&](int depth, Json::parse_event_t event, Json& value) {
        if (depth == 1 && event == Json::parse_event_t::key && value == "events") has_events = true;
        if (depth == 2 && event == Json::parse_event_t::object_end) {
          ++count;
          return false;  // counted; not kept
        }
        return true;
      },
      /*allow_exceptions=*/false);
  if (emptied.is_discarded() || !has_events) {
    throw BenchError("oms-sim GET " + path + " answered without an events list");
  }
  return count;
}

// A till selling one unit after another (serials P<first>, P<first+1>, ...)
// on its own thread and connection, up to `sales` sales, while this thread
// polls GET /v1/sync every kSyncPoll. The run ends when `done` says so of a
// poll (the till stops after the sale it is in), or, without `done`, when
// the till has made its sales. The polling goes on in both cases, so a run
// that drains and one that does not carry the same load besides.
struct TillRun {
  std::vector<double> sale_ms;
  SteadyClock::time_point ended;  // the poll that ended the run
};

TillRun RunTill(RunningDaemon& agent, const std::string& token, int first, int sales,
                const std::function<bool(const SyncProgress&)>& done) {
  const sa::testing::Api api{agent.url, token};
  const std::string complete_body = CashPayment(kSyncPriceMinor);
  TillRun run;
  FirstFailure failure;
  std::atomic<bool> till_done{false};
  // Declared last: on the way out (a failure too) it is told to stop and
  // joined before anything it uses goes.
  std::jthread till([&](std::stop_token stop) {
    try {
      ApiClient client(agent.url, token);
      for (int i = first; i < first + sales && !stop.stop_requested(); ++i) {
        const std::string label =
            sa::codes::MakeDigitalLink(kSyncLabelHost, kSyncGtin, "P" + std::to_string(i), "");
        run.sale_ms.push_back(TimedSale(client, Json{{"payload", label}}.dump(), complete_body));
      }
    } catch (const std::exception& e) {
      failure.Set(e.what());
    }
    till_done = true;
  });
  while (true) {
    const bool till_was_done = till_done;
    agent.process->DrainLog();  // a full stderr pipe would stall the daemon
    const SyncProgress progress = GetSyncProgress(api);
    failure.ThrowIfAny();
    if (done ? done(progress) : till_was_done) break;
    std::this_thread::sleep_for(kSyncPoll);
  }
  run.ended = SteadyClock::now();
  till.request_stop();
  till.join();
  failure.ThrowIfAny();
  return run;
}

int RunSyncScenario(int events, int sales, const std::string& agent_binary,
                    const std::string& oms_binary, bool cloud_shares_machine) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    throw BenchError("curl_global_init failed");
  const WorkDir dir("");
  const std::string data_dir = dir.path() + "/data";
  BaselinePair baseline(dir.path() + "/baseline.db", sales);
  baseline.Before();

  // The ledger of a device that was offline for long: `events` completed
  // sales, none of them pushed.
  std::error_code ec;
  fs::create_directory(data_dir, ec);
  if (!ec) fs::permissions(data_dir, fs::perms::owner_all, ec);
  if (ec) throw BenchError("cannot create " + data_dir + ": " + ec.message());
  sa::store::Config config;
  config.store_id = kSyncStore;
  config.device_id = kSyncDevice;
  config.require_signature = false;
  const FilledLedger backlog = FillLedger(data_dir + "/ledger.db", events,
                                          LedgerFill{.config = std::move(config),
                                                     .catalog_csv = kSyncCatalogCsv,
                                                     .gtin = kSyncGtin,
                                                     .price_minor = kSyncPriceMinor,
                                                     .label_host = kSyncLabelHost,
                                                     .serial_prefix = "B",
                                                     .scenario = "sync"});
  if (backlog.last_seq != events) {
    throw BenchError("the backlog holds " + std::to_string(backlog.last_seq) + " events, not " +
                     std::to_string(events));
  }

  // The cloud is another machine in a store's life. Here it shares two cores
  // and one disk with the till, so unless asked otherwise it runs niced with
  // its SQLite on tmpfs: what is measured is the agent's own drain, not the
  // cloud's fsyncs queueing behind the till's.
  std::vector<std::string> oms_args{"--listen", "127.0.0.1:0", "--data-dir", dir.path() + "/oms"};
  std::string oms_launcher = oms_binary;
  std::optional<WorkDir> oms_tmpfs;
  if (!cloud_shares_machine) {
    if (fs::is_directory("/dev/shm")) {
      oms_tmpfs.emplace("", "/dev/shm");
      oms_args[3] = oms_tmpfs->path();
    }
    oms_args.insert(oms_args.begin(), {"-n", "10", oms_binary});
    oms_launcher = "/usr/bin/nice";
  }
  RunningDaemon oms = StartDaemon("oms-sim", oms_launcher, oms_args,
                                  AgentProcess::Watch::stdout_lines, std::chrono::seconds(30));
  // Cycles on a timer only hourly: once the backlog is gone, sync is idle.
  const std::string config_path = dir.path() + "/agent.toml";
  {
    std::ofstream toml(config_path);
    toml << "[store]\nid = \"" << kSyncStore << "\"\n"
         << "[device]\nid = \"" << kSyncDevice << "\"\n"
         << "[cloud]\nurl = \"" << oms.url
         << "\"\n"
         // Idle means idle: no push per sale either (the stricter comparison).
         << "[sync]\ninterval_s = 3600\nbatch_size = 500\npush_after_sale = false\n";
    if (!toml.flush()) throw BenchError("cannot write " + config_path);
  }
  // It pushes as soon as it is up; a big ledger takes a while to open
  // (quick_check), hence the generous limit.
  RunningDaemon agent =
      StartDaemon("store-agent", agent_binary,
                  {"--config", config_path, "--data-dir", data_dir, "--listen", "127.0.0.1:0"},
                  AgentProcess::Watch::stderr_lines, std::chrono::minutes(30));
  const auto drain_start = SteadyClock::now();
  const std::string token = ReadTrimmed(data_dir + "/api-token");

  // Drained: the agent has recorded the cloud's ack of the whole backlog.
  // (pending_events also counts the till's own sales, which keep coming, so
  // it need not be 0 at any one poll.)
  std::int64_t acked = -1;
  auto last_advance = drain_start;
  const TillRun draining = RunTill(agent, token, 0, sales, [&](const SyncProgress& p) {
    if (p.acked_seq >= backlog.last_seq) return true;
    if (p.acked_seq != acked) {
      acked = p.acked_seq;
      last_advance = SteadyClock::now();
    } else if (SteadyClock::now() - last_advance > kSyncStall) {
      throw BenchError("the drain stalled at acked_seq " + std::to_string(p.acked_seq) + " of " +
                       std::to_string(backlog.last_seq) + " (last_error: " + p.last_error + ")");
    }
    return false;
  });
  const double drain_s = std::chrono::duration<double>(draining.ended - drain_start).count();
  const auto sales_draining = static_cast<std::int64_t>(draining.sale_ms.size());

  // The till's sales went out with the backlog, or go now; then the cloud
  // must hold every event exactly once.
  const sa::testing::Api api{agent.url, token};
  const sa::testing::HttpReply now = api.Post("/v1/sync/now", "{}");
  const Json cycle = Json::parse(now.body, nullptr, /*allow_exceptions=*/false);
  if (now.status != 200 || cycle.is_discarded() || !cycle.is_object() ||
      !cycle.value("ok", false)) {
    throw BenchError("POST /v1/sync/now: HTTP " + std::to_string(now.status) + ": " + now.body);
  }
  if (const SyncProgress p = GetSyncProgress(api); p.pending_events != 0) {
    throw BenchError("after the drain and a sync, " + std::to_string(p.pending_events) +
                     " events are still pending (last_error: " + p.last_error + ")");
  }
  const std::int64_t expected = backlog.last_seq + sales_draining;
  if (const std::size_t in_cloud = CloudEventCount(oms.url, kSyncStore);
      static_cast<std::int64_t>(in_cloud) != expected) {
    throw BenchError("oms-sim holds " + std::to_string(in_cloud) + " events of store " +
                     std::string(kSyncStore) + ", not " + std::to_string(expected) + " (" +
                     std::to_string(events) + " backlog + " + std::to_string(sales_draining) +
                     " sales while draining)");
  }

  // Sync idle (nothing pending, next cycle in an hour): the same till.
  // As many sales as went through while draining (at least 100), so both
  // p99s stand on samples of the same size.
  const int idle_sales = std::max<int>(100, static_cast<int>(sales_draining));
  const TillRun idle = RunTill(agent, token, sales, idle_sales, nullptr);
  StopDaemon(agent);
  StopDaemon(oms);
  baseline.After();

  const Percentiles busy = PercentilesOf(draining.sale_ms);
  const Percentiles quiet = PercentilesOf(idle.sale_ms);
  const double events_per_s = events / drain_s;
  const double commits_per_s = baseline.MeanCommitsPerS();
  const Json line{
      {"scenario", "sync"},
      {"events", events},
      {"drain_s", Round(drain_s, 3)},
      {"events_per_s", Round(events_per_s, 1)},
      {"sales_draining", sales_draining},
      {"sales_idle", static_cast<std::int64_t>(idle.sale_ms.size())},
      {"cloud", cloud_shares_machine ? "shares_machine" : "niced_tmpfs"},
      {"p50_ms_draining", Round(busy.p50, 3)},
      {"p99_ms_draining", Round(busy.p99, 3)},
      {"p50_ms_idle", Round(quiet.p50, 3)},
      {"p99_ms_idle", Round(quiet.p99, 3)},
      // No sale finished while draining (a tiny backlog): no ratio.
      {"ratio",
       sales_draining > 0 && quiet.p99 > 0 ? Json(Round(busy.p99 / quiet.p99, 3)) : Json(nullptr)},
      {"target", kSyncTargetRatio},
      {"baseline", "sqlite_commit"},
      {"baseline_commits_per_s", Round(commits_per_s, 1)},
      {"events_per_commit_limit", Round(events_per_s / commits_per_s, 2)}};
  std::cout << line.dump() << std::endl;
  return 0;
}

// ---------------------------------------------------------------- stock

constexpr std::string_view kStockStore = "bench-store";
constexpr std::string_view kStockDevice = "bench-till-1";
constexpr std::string_view kStockLabelHost = "id.example.com";
constexpr int kStockGets = 1000;

// The i-th bench GTIN: 0695 + i in 9 digits + its GS1 check digit.
std::string BenchGtin(int i) {
  std::string body = std::to_string(i);
  body = "0695" + std::string(9 - std::min<std::size_t>(9, body.size()), '0') + body;
  int sum = 0;
  // Weights 3,1,3,... from the rightmost digit of the 13-digit body.
  for (std::size_t k = 0; k < body.size(); ++k) {
    const int digit = body[body.size() - 1 - k] - '0';
    sum += digit * (k % 2 == 0 ? 3 : 1);
  }
  return body + static_cast<char>('0' + (10 - sum % 10) % 10);
}

// Unit k of the bench store: GTIN k % G, serial "S{k}".
std::string BenchSerial(std::int64_t k) { return "S" + std::to_string(k); }

// The ledger the stock scenario starts the daemon on; returns the seconds
// it took.
double BuildStockLedger(const std::string& path, int gtins, std::int64_t serials,
                        const std::vector<std::int64_t>& order_units) {
  const auto start = SteadyClock::now();
  auto db = Require(sa::ledger::Database::Open(path), "open ledger");
  const sa::SystemClock clock;
  sa::store::Config config;
  config.store_id = kStockStore;
  config.device_id = kStockDevice;
  config.require_signature = false;
  sa::store::Store store(*db, std::move(config), clock);

  std::string csv = "gtin,name,price_minor\n";
  csv.reserve(static_cast<std::size_t>(gtins) * 40);
  for (int i = 0; i < gtins; ++i) {
    csv += BenchGtin(i) + ",Bench product " + std::to_string(i) + "," +
           std::to_string(1000 + i % 90000) + "\n";
  }
  Require(store.books.ImportCatalogCsv(csv), "import catalog");
  std::cerr << "sa-bench stock: catalog of " << gtins << " products imported ("
            << Round(MsSince(start) / 1000, 1) << " s)" << std::endl;

  constexpr std::int64_t kBatch = 10'000;
  for (std::int64_t done = 0; done < serials;) {
    sa::ledger::Transaction batch(*db);
    const std::int64_t end = std::min(serials, done + kBatch);
    for (; done < end; ++done) {
      const std::string gtin = BenchGtin(static_cast<int>(done % gtins));
      const sa::store::CheckedCode unit =
          Require(store.books.CheckCode(
                      sa::codes::MakeDigitalLink(kStockLabelHost, gtin, BenchSerial(done), "")),
                  "check code");
      Require(store.stock.Receive(unit), "receive");
    }
    batch.Commit();
    if (done % 100'000 == 0 || done == serials) {
      std::cerr << "sa-bench stock: " << done << " units received ("
                << Round(MsSince(start) / 1000, 1) << " s)" << std::endl;
    }
  }
  // The cloud's count of each GTIN, taken after the receipts (it has them).
  for (int done = 0; done < gtins;) {
    sa::ledger::Transaction batch(*db);
    const int end = std::min(gtins, done + static_cast<int>(kBatch));
    for (; done < end; ++done) {
      const std::int64_t units = serials / gtins + (done < serials % gtins ? 1 : 0);
      Require(store.stock.SetSnapshot(BenchGtin(done), units), "stock snapshot");
    }
    batch.Commit();
  }
  // The orders, as sync records them: ship from store, one unit each.
  for (std::size_t i = 0; i < order_units.size(); ++i) {
    const std::string id = "bench-o-" + std::to_string(i);
    const std::string gtin = BenchGtin(static_cast<int>(order_units[i] % gtins));
    const Json body{{"id", id},
                    {"kind", "ship_from_store"},
                    {"lines", Json::array({Json{{"gtin", gtin}, {"qty", 1}}})},
                    {"ttl_s", 3600}};
    Require(store.stock.RecordOrderOffer(id, "ship_from_store", body.dump()), "offer order " + id);
  }
  const double secs = MsSince(start) / 1000;
  std::cerr << "sa-bench stock: ledger of " << gtins << " GTINs, " << serials << " units, "
            << order_units.size() << " orders built in " << Round(secs, 1) << " s" << std::endl;
  return secs;
}

// One timed phase: `call(i)` for every order, each answer checked.
double TimedPhase(int orders, const std::function<void(int)>& call) {
  const auto start = SteadyClock::now();
  for (int i = 0; i < orders; ++i) call(i);
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// Throws unless the answer is 200 with the reservation in `status`.
void CheckReservation(const HttpResult& r, std::string_view what, std::string_view status) {
  Check(r, what);
  const Json j = Json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("status", "") != status) {
    throw BenchError(std::string(what) + ": the order is not " + std::string(status) + ": " +
                     r.body);
  }
}

int RunStockScenario(int gtins, std::int64_t serials, int orders, const std::string& agent_binary) {
  if (serials < orders)
    throw BenchError("--serials must be at least --orders (one unit per order)");
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    throw BenchError("curl_global_init failed");
  const WorkDir dir("");
  const std::string data_dir = dir.path() + "/data";
  BaselinePair baseline(dir.path() + "/baseline.db", std::max(300, 3 * orders));
  baseline.Before();

  std::error_code ec;
  fs::create_directory(data_dir, ec);
  if (!ec) fs::permissions(data_dir, fs::perms::owner_all, ec);
  if (ec) throw BenchError("cannot create " + data_dir + ": " + ec.message());

  // Each order's unit: distinct received units, chosen at random (fixed seed).
  std::mt19937_64 rng(20261119);
  std::vector<std::int64_t> order_units;
  {
    std::unordered_set<std::int64_t> taken;
    std::uniform_int_distribution<std::int64_t> any(0, serials - 1);
    while (static_cast<int>(order_units.size()) < orders) {
      const std::int64_t k = any(rng);
      if (taken.insert(k).second) order_units.push_back(k);
    }
  }
  BuildStockLedger(data_dir + "/ledger.db", gtins, serials, order_units);

  const std::string config_path = dir.path() + "/agent.toml";
  {
    std::ofstream toml(config_path);
    toml << "[store]\nid = \"" << kStockStore << "\"\n"
         << "[device]\nid = \"" << kStockDevice << "\"\n"
         << "[codes]\nrequire_signature = false\n";
    if (!toml.flush()) throw BenchError("cannot write " + config_path);
  }
  // A big ledger takes a while to open (quick_check): a generous limit.
  RunningDaemon agent =
      StartDaemon("store-agent", agent_binary,
                  {"--config", config_path, "--data-dir", data_dir, "--listen", "127.0.0.1:0"},
                  AgentProcess::Watch::stderr_lines, std::chrono::minutes(30));
  const std::string token = ReadTrimmed(data_dir + "/api-token");
  ApiClient client(agent.url, token);
  auto order_path = [](int i) { return "/v1/reservations/bench-o-" + std::to_string(i); };

  const double accept_s = TimedPhase(orders, [&](int i) {
    CheckReservation(client.Post(order_path(i) + "/accept", "{}"),
                     "POST /v1/reservations/{id}/accept", "accepted");
  });
  agent.process->DrainLog();
  const double pick_s = TimedPhase(orders, [&](int i) {
    const std::int64_t k = order_units[static_cast<std::size_t>(i)];
    const std::string label = sa::codes::MakeDigitalLink(
        kStockLabelHost, BenchGtin(static_cast<int>(k % gtins)), BenchSerial(k), "");
    CheckReservation(client.Post(order_path(i) + "/pick", Json{{"payload", label}}.dump()),
                     "POST /v1/reservations/{id}/pick", "picked");
  });
  agent.process->DrainLog();
  const double ship_s = TimedPhase(orders, [&](int i) {
    const Json body{{"carrier", "SF"}, {"tracking_no", "SF" + std::to_string(1'000'000 + i)}};
    CheckReservation(client.Post(order_path(i) + "/ship", body.dump()),
                     "POST /v1/reservations/{id}/ship", "shipped");
  });
  agent.process->DrainLog();

  // Each shipped order took its unit off the shelf: the first one's GTIN
  // shows it (its snapshot, less what left).
  {
    const int g = static_cast<int>(order_units[0] % gtins);
    std::int64_t left = 0;
    for (const std::int64_t k : order_units) left += (k % gtins == g) ? 1 : 0;
    const std::int64_t received = serials / gtins + (g < serials % gtins ? 1 : 0);
    const HttpResult r = client.Get("/v1/stock/" + BenchGtin(g));
    Check(r, "GET /v1/stock/{gtin}");
    const Json j = Json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() ||
        j.value("on_hand", std::int64_t{-1}) != received - left ||
        j.value("reserved", std::int64_t{-1}) != 0) {
      throw BenchError("GET /v1/stock/" + BenchGtin(g) + " after shipping: want on_hand " +
                       std::to_string(received - left) + " and reserved 0: " + r.body);
    }
  }

  std::vector<double> get_ms;
  get_ms.reserve(kStockGets);
  std::uniform_int_distribution<int> any_gtin(0, gtins - 1);
  for (int i = 0; i < kStockGets; ++i) {
    const std::string path = "/v1/stock/" + BenchGtin(any_gtin(rng));
    const auto start = SteadyClock::now();
    const HttpResult r = client.Get(path);
    get_ms.push_back(MsSince(start));
    Check(r, "GET /v1/stock/{gtin}");
  }
  StopDaemon(agent);
  baseline.After();

  const Percentiles get = PercentilesOf(std::move(get_ms));
  const double ops_per_s = 3.0 * orders / (accept_s + pick_s + ship_s);
  const double commits_per_s = baseline.MeanCommitsPerS();
  const Json line{{"scenario", "stock"},
                  {"gtins", gtins},
                  {"serials", serials},
                  {"orders", orders},
                  {"accept_per_s", Round(orders / accept_s, 1)},
                  {"pick_per_s", Round(orders / pick_s, 1)},
                  {"ship_per_s", Round(orders / ship_s, 1)},
                  {"stock_get_p50_ms", Round(get.p50, 3)},
                  {"stock_get_p99_ms", Round(get.p99, 3)},
                  {"baseline", "sqlite_commit"},
                  {"baseline_commits_per_s", Round(commits_per_s, 1)},
                  {"ratio", Round(ops_per_s / commits_per_s, 3)}};
  std::cout << line.dump() << std::endl;
  return 0;
}

}  // namespace

// ---------------------------------------------------------------- wedge

// Waits until `needle` arrives on `events` after `from`, then moves `from`
// past it.
bool WaitForText(sa::testing::EventStreamClient& events, const std::string& needle,
                 std::size_t& from) {
  std::size_t at = std::string::npos;
  const bool seen = events.WaitFor([&](const std::string& data) {
    at = data.find(needle, from);
    return at != std::string::npos;
  });
  if (seen) from = at + needle.size();
  return seen;
}

// Scan to committed sale line through a keyboard-wedge scanner: a signed
// label typed as evdev records into the daemon's FIFO, until its "scan"
// event (sent once the line is committed) arrives on /v1/events. The same
// kind of label over HTTP (POST /v1/sales/{id}/scans, until its "scan" event
// arrives the same way) is measured in the same run as the reference.
int RunWedgeScenario(int scans, const std::string& agent_binary) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    throw BenchError("curl_global_init failed");
  const WorkDir dir("");
  const std::string data_dir = dir.path() + "/data";
  const std::string fifo = dir.path() + "/wedge.fifo";
  if (::mkfifo(fifo.c_str(), 0600) != 0)
    throw BenchError("mkfifo " + fifo + ": " + std::strerror(errno));
  const std::string config = dir.path() + "/agent.toml";
  std::ofstream(config) << "[[scanners]]\nid = \"wedge\"\ntype = \"evdev\"\npath = \"" << fifo
                        << "\"\nterminal = \"till-1\"\n";
  RunningDaemon agent =
      StartDaemon("store-agent", agent_binary,
                  {"--demo", "--data-dir", data_dir, "--listen", "127.0.0.1:0", "--config", config},
                  AgentProcess::Watch::stderr_lines, std::chrono::seconds(30));
  const std::string token = ReadTrimmed(data_dir + "/api-token");
  const auto key =
      Require(sa::crypto::SigningKey::FromPem(sa::testing::Slurp(data_dir + "/demo/brand.key.pem")),
              "the daemon's demo brand key");
  auto labels = [&](const std::string& prefix) {
    std::vector<std::string> out;
    for (int i = 0; i < scans; ++i) {
      const std::string serial = prefix + std::to_string(i);
      out.push_back(sa::codes::MakeDigitalLink(kLabelHost, kGtin, serial,
                                               sa::codes::SignLabel(kGtin, serial, key)));
    }
    return out;
  };
  const std::vector<std::string> wedge_labels = labels("W");
  const std::vector<std::string> api_labels = labels("H");

  sa::testing::EventStreamClient events(sa::testing::Api{agent.url, token});
  std::size_t seen = 0;
  if (!WaitForText(events, ": store-agent events", seen)) throw BenchError("no /v1/events stream");
  const int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw BenchError("open " + fifo + ": " + std::strerror(errno));
  long clock_us = 1'700'000'000'000'000;
  std::vector<double> wedge_ms;
  for (const auto& label : wedge_labels) {
    const auto records = sa::testing::Typed(label, clock_us);
    clock_us += 1'000'000;
    const auto start = SteadyClock::now();
    const char* p = reinterpret_cast<const char*>(records.data());
    std::size_t left = records.size() * sizeof(input_event);
    while (left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n <= 0) throw BenchError(std::string("write to the wedge FIFO: ") + std::strerror(errno));
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    // The scan event carries the payload and its outcome; JSON escapes '/'
    // not, so the label appears as it is.
    if (!WaitForText(events, "\"payload\":\"" + label + "\"", seen))
      throw BenchError("the wedge scan never arrived");
    wedge_ms.push_back(MsSince(start));
  }
  ::close(fd);

  ApiClient client(agent.url, token);
  const HttpResult opened = client.Post("/v1/sales", "{}");
  Check(opened, "POST /v1/sales");
  const std::string sale = Json::parse(opened.body).at("id").get<std::string>();
  std::vector<double> api_ms;
  for (const auto& label : api_labels) {
    const std::string body = Json{{"payload", label}}.dump();
    const auto start = SteadyClock::now();
    Check(client.Post("/v1/sales/" + sale + "/scans", body), "POST /v1/sales/{id}/scans");
    // Seen where the wedge's scans are seen: its "scan" event.
    if (!WaitForText(events, "\"payload\":\"" + label + "\"", seen)) {
      throw BenchError("the API scan's event never arrived");
    }
    api_ms.push_back(MsSince(start));
  }
  const sa::testing::Api api{agent.url, token};
  const Json till = Json::parse(api.Get("/v1/terminals/till-1").body, nullptr, false);
  std::size_t lines = 0;
  if (!till.is_discarded() && till.contains("open_sale") && till["open_sale"].is_string()) {
    const Json wedge_sale = Json::parse(
        api.Get("/v1/sales/" + till["open_sale"].get<std::string>()).body, nullptr, false);
    if (!wedge_sale.is_discarded() && wedge_sale.contains("lines"))
      lines = wedge_sale["lines"].size();
  }
  if (lines != wedge_labels.size()) {
    throw BenchError("the till's sale has " + std::to_string(lines) + " lines, not " +
                     std::to_string(wedge_labels.size()));
  }
  StopDaemon(agent);

  const Percentiles w = PercentilesOf(std::move(wedge_ms));
  const Percentiles h = PercentilesOf(std::move(api_ms));
  const Json line{{"scenario", "wedge"},
                  {"scans", scans},
                  {"p50_ms", Round(w.p50, 3)},
                  {"p99_ms", Round(w.p99, 3)},
                  {"baseline", "api_scan"},
                  {"baseline_p50_ms", Round(h.p50, 3)},
                  {"baseline_p99_ms", Round(h.p99, 3)},
                  {"ratio", Round(w.p50 / h.p50, 3)}};
  std::cout << line.dump() << std::endl;
  return 0;
}

int main(int argc, char** argv) {
  CLI::App app{"sa-bench: the store's sale path against SQLite's durable-commit limit"};
  app.require_subcommand(1);
  int n = 2000;
  std::string dir;
  CLI::App* ledger = app.add_subcommand(
      "ledger", "N sales (open, scan a signed label, complete) vs. N bare SQLite commits");
  ledger->add_option("--n", n, "number of sales (and of baseline commits)")
      ->check(CLI::Range(1, 100'000'000))
      ->capture_default_str();
  ledger->add_option("--dir", dir,
                     "directory for the databases (default: a fresh one under /tmp, removed "
                     "at the end)");

  int clients = 1;
  int api_sales = 400;
  std::string agent_binary = kDefaultAgent;
  CLI::App* api = app.add_subcommand(
      "api",
      "N signed sales over HTTP against the real daemon from C clients vs. N SQLite commits");
  api->add_option("--clients", clients, "client threads, one connection each")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  api->add_option("--sales", api_sales, "number of sales in all (and of baseline commits)")
      ->check(CLI::Range(1, 100'000'000))
      ->capture_default_str();
  api->add_option("--agent", agent_binary, "the store-agent binary")->capture_default_str();
  bool api_priced = false;
  api->add_flag("--priced", api_priced,
                "then the same sales with promotions and a price list in force (api_priced), "
                "and pricing's share of a sale's time");

  int footprint_sales = 1'000'000;
  CLI::App* footprint = app.add_subcommand(
      "footprint", "binary size, idle RSS, and start-to-ready time on a ledger of N sales");
  footprint->add_option("--sales", footprint_sales, "completed sales in the ledger at restart")
      ->check(CLI::Range(0, 100'000'000))
      ->capture_default_str();
  footprint->add_option("--agent", agent_binary, "the store-agent binary")->capture_default_str();

  int sync_events = 100'000;
  int sync_sales = 5000;
  bool cloud_shares_machine = false;
  std::string oms_binary = kDefaultOmsSim;
  CLI::App* sync = app.add_subcommand(
      "sync", "drain a backlog of N events into oms-sim; sale p99 while draining vs. idle");
  sync->add_option("--events", sync_events, "unpushed events (completed sales) in the ledger")
      ->check(CLI::Range(1, 100'000'000))
      ->capture_default_str();
  sync->add_option("--sales", sync_sales,
                   "sales over the API at most while draining (the till stops when the drain "
                   "ends), then as many when idle")
      ->check(CLI::Range(1, 100'000'000))
      ->capture_default_str();
  sync->add_option("--agent", agent_binary, "the store-agent binary")->capture_default_str();
  sync->add_option("--oms-sim", oms_binary, "the oms-sim binary")->capture_default_str();
  sync->add_flag("--cloud-shares-machine", cloud_shares_machine,
                 "run oms-sim plainly beside the agent (default: niced, its data on /dev/shm, "
                 "as a cloud on another machine would not compete for this one's CPU and disk)");
  int stock_gtins = 100'000;
  std::int64_t stock_serials = 1'000'000;
  int stock_orders = 300;
  CLI::App* stock = app.add_subcommand(
      "stock",
      "accept, pick and ship O orders over HTTP on a store of G products and S units; "
      "GET /v1/stock latency");
  stock->add_option("--gtins", stock_gtins, "products in the catalog")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  stock->add_option("--serials", stock_serials, "units received, spread over the products")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}))
      ->capture_default_str();
  stock->add_option("--orders", stock_orders, "ship-from-store orders of one unit each")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  stock->add_option("--agent", agent_binary, "the store-agent binary")->capture_default_str();
  int wedge_scans = 300;
  CLI::App* wedge = app.add_subcommand(
      "wedge",
      "scan to committed sale line from a keyboard-wedge (evdev) record stream, p50/p99, "
      "vs. the same scan over HTTP");
  wedge->add_option("--scans", wedge_scans, "labels typed by the simulated scanner (and POSTed)")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  wedge->add_option("--agent", agent_binary, "the store-agent binary")->capture_default_str();
  int epcis_events = 100'000;
  CLI::App* epcis = app.add_subcommand(
      "epcis",
      "export N unit moves as an EPCIS 2.0 document vs. the ledger's plain read of the rows");
  epcis->add_option("--events", epcis_events, "unit moves in the ledger (half received, half sold)")
      ->check(CLI::Range(2, 100'000'000))
      ->capture_default_str();
  epcis->add_option("--dir", dir, "directory for the ledger and the export (default: a fresh one)");
  int zreport_sales = 10'000;
  CLI::App* zreport = app.add_subcommand(
      "zreport", "the X and Z reports of a shift of N sales vs. a plain read of its sales");
  zreport
      ->add_option("--sales", zreport_sales, "completed sales in the shift (and in the one before)")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  zreport->add_option("--dir", dir, "directory for the ledger (default: a fresh one)");
  sa::bench::RetentionPlan retention_plan;
  CLI::App* retention = app.add_subcommand(
      "retention",
      "bytes per sale, and a retention pass (90 days) beside the till vs. the till idle");
  retention->add_option("--sales", retention_plan.sales, "sales in the ledger, spread over --days")
      ->check(CLI::Range(1, 100'000'000))
      ->capture_default_str();
  retention->add_option("--days", retention_plan.days, "days the sales span, ending now")
      ->check(CLI::Range(1, 36'500))
      ->capture_default_str();
  retention
      ->add_option("--step-sales", retention_plan.step_sales,
                   "sales one retention step compacts at most")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  retention->add_option("--dir", dir, "directory for the ledger (default: a fresh one)");
  sa::bench::DecodeScenario decode(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a "parse error" that exits 0; a real one is a usage error (2).
    return app.exit(e) == 0 ? 0 : 2;
  }

  try {
    if (decode.parsed()) return decode.Run();
    if (epcis->parsed()) return sa::bench::RunEpcisScenario(epcis_events, dir);
    if (zreport->parsed()) return sa::bench::RunZreportScenario(zreport_sales, dir);
    if (retention->parsed()) return sa::bench::RunRetentionScenario(retention_plan, dir);
    if (wedge->parsed()) return RunWedgeScenario(wedge_scans, agent_binary);
    if (ledger->parsed()) return RunLedgerScenario(n, dir);
    if (api->parsed()) return RunApiScenario(clients, api_sales, agent_binary, api_priced);
    if (footprint->parsed()) return RunFootprintScenario(footprint_sales, agent_binary);
    if (sync->parsed())
      return RunSyncScenario(sync_events, sync_sales, agent_binary, oms_binary,
                             cloud_shares_machine);
    if (stock->parsed())
      return RunStockScenario(stock_gtins, stock_serials, stock_orders, agent_binary);
  } catch (const sa::ledger::Failure& f) {
    std::cerr << "sa-bench: " << f.error().code << ": " << f.error().message << "\n";
  } catch (const std::exception& e) {
    std::cerr << "sa-bench: " << e.what() << "\n";
  }
  return 1;
}
