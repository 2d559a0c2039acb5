// SPDX-License-Identifier: Apache-2.0
// The real agent and the real oms-sim as child processes, on loopback: what
// the cloud tests drive. Readiness is each one's "ready" line; a sync is
// `POST /v1/sync/now`, which answers when its cycle is over. Nothing sleeps.
#pragma once

#include <sqlite3.h>

#include <asio.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "agent_process.hpp"
#include "support.hpp"

namespace sa::testing {

using nlohmann::json;

inline constexpr const char* kScarf = "09506000134352";  // 1299.00
inline constexpr const char* kTea = "04006381333931";    // 88.00

inline std::string UnitCode(const std::string& gtin, const std::string& serial) {
  return "https://id.example.com/01/" + gtin + "/21/" + serial;
}

// A port nobody listens on right now (for a cloud that is not up yet).
inline std::uint16_t FreePort() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// oms-sim with its data dir.
class Cloud {
 public:
  explicit Cloud(std::vector<std::string> extra = {}, std::uint16_t port = 0) {
    Start(extra, port);
  }

  void Start(std::vector<std::string> extra = {}, std::uint16_t port = 0) {
    std::vector<std::string> args{"--listen", "127.0.0.1:" + std::to_string(port), "--data-dir",
                                  dir_.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<AgentProcess>(SA_OMS_SIM, args, AgentProcess::Watch::stdout_lines);
    url_ = proc_->WaitReady();
    if (url_.empty()) throw std::runtime_error("oms-sim did not become ready");
    port_ = static_cast<std::uint16_t>(std::stoi(url_.substr(url_.rfind(':') + 1)));
  }
  void Stop() {
    proc_->Signal(SIGTERM);
    proc_->Wait();
    proc_.reset();
  }

  const std::string& url() const { return url_; }
  // Where oms-sim keeps its state (oms-sim.db).
  std::filesystem::path data_dir() const { return dir_.path(); }
  // The CA that signed an HTTPS cloud's certificate, for the admin calls.
  void set_ca_file(std::string path) { ca_file_ = std::move(path); }
  std::uint16_t port() const { return port_; }

  HttpReply Admin(const std::string& method, const std::string& path,
                  const std::string& body = "") const {
    return Http(method, url_ + path, body, {"Content-Type: application/json"}, ca_file_);
  }
  // The cloud's deduplicated ledger of one store, in ingest order.
  json Events(const std::string& store) const {
    auto r = Admin("GET", "/admin/v1/stores/" + store + "/events");
    if (r.status != 200) throw std::runtime_error("admin events: " + r.body);
    return r.json().at("events");
  }

 private:
  TempDir dir_;
  std::unique_ptr<AgentProcess> proc_;
  std::string url_;
  std::uint16_t port_ = 0;
  std::string ca_file_;
};

// store-agent with a config, a catalog and its data dir.
class Agent {
 public:
  struct Options {
    std::string store = "s1";
    std::string device = "till-1";
    std::string cloud_url;
    std::string region = "north";
    std::string store_toml;  // more keys of [store] (gln, utc_offset)
    std::string extra_toml;
    std::string log_level = "info";
    int batch_size = 500;
    std::string ca_file;  // cloud.ca_file
    std::string pin;      // cloud.pinned_pubkey
    // The catalog CSV; empty: the scarf and the tea, without VAT.
    std::string catalog;
  };

  explicit Agent(Options o) : o_(std::move(o)) {
    std::ofstream(dir_.path() / "catalog.csv")
        << (o_.catalog.empty() ? "gtin,name,price_minor\n" + std::string(kScarf) +
                                     ",Silk scarf,129900\n" + kTea + ",Green tea,8800\n"
                               : o_.catalog);
    std::ofstream(dir_.path() / "agent.toml")
        << "[store]\nid = \"" << o_.store << "\"\nregion = \"" << o_.region << "\"\n"
        << o_.store_toml << "[device]\nid = \"" << o_.device << "\"\n"
        << "[cloud]\nurl = \"" << o_.cloud_url << "\"\nca_file = \"" << o_.ca_file
        << "\"\npinned_pubkey = \"" << o_.pin
        << "\"\n"
        // Cycles run when the test asks (POST /v1/sync/now) or after a
        // failure (backoff at most 1 s), never on a timer the test races.
        << "[sync]\ninterval_s = 3600\nbackoff_max_s = 1\nbatch_size = " << o_.batch_size << "\n"
        << "[catalog]\nimport = \"catalog.csv\"\n"
        << "[api]\nlisten = \"127.0.0.1:0\"\n"
        << o_.extra_toml;
    Start();
  }

  void Start() {
    proc_ = std::make_unique<AgentProcess>(
        SA_STORE_AGENT,
        std::vector<std::string>{"--config", (dir_.path() / "agent.toml").string(), "--data-dir",
                                 (dir_.path() / "data").string(), "--log-level", o_.log_level});
    const std::string url = proc_->WaitReady();
    if (url.empty())
      throw std::runtime_error("store-agent did not become ready:\n" + proc_->DrainLog());
    api_ = Api{url, Trimmed(Slurp((dir_.path() / "data" / "api-token").string()))};
  }
  void Kill9() {
    proc_->Kill();
    proc_.reset();
  }
  void Stop() {
    proc_->Signal(SIGTERM);
    proc_->Wait();
    proc_.reset();
  }

  AgentProcess& process() { return *proc_; }
  const Api& api() const { return api_; }
  std::filesystem::path config_file() const { return dir_.path() / "agent.toml"; }
  std::filesystem::path data_dir() const { return dir_.path() / "data"; }
  const Options& options() const { return o_; }

  // One unit sold for cash; returns the answer to complete (or the first failure).
  HttpReply SellUnit(const std::string& gtin, const std::string& serial) {
    auto open = api_.Post("/v1/sales", "{}");
    if (open.status != 201) return open;
    const std::string id = open.json().at("id");
    auto scan =
        api_.Post("/v1/sales/" + id + "/scans", json{{"payload", UnitCode(gtin, serial)}}.dump());
    if (scan.status != 200) return scan;
    const std::int64_t total = scan.json().at("total");
    return api_.Post("/v1/sales/" + id + "/complete",
                     json{{"payments", {{{"method", "cash"}, {"amount", total}}}}}.dump());
  }

  json SyncNow() const {
    auto r = api_.Post("/v1/sync/now", "{}");
    if (r.status != 200)
      throw std::runtime_error("sync now: " + std::to_string(r.status) + " " + r.body);
    return r.json();
  }
  json SyncStatus() const {
    auto r = api_.Get("/v1/sync");
    if (r.status != 200) throw std::runtime_error("sync status: " + r.body);
    return r.json();
  }
  // Sync until the cloud has every event and the cycle succeeded; false if
  // `attempts` cycles were not enough (each cycle is one wait on the agent).
  bool Drain(int attempts = 400) const {
    for (int i = 0; i < attempts; ++i) {
      const json r = SyncNow();
      if (r.value("ok", false) && SyncStatus().value("pending_events", -1) == 0) return true;
    }
    return false;
  }

  // The agent's outbox, read from its ledger file (WAL: readers do not
  // disturb the running writer): seq -> event id.
  std::map<std::int64_t, std::string> Outbox() const {
    std::map<std::int64_t, std::string> out;
    sqlite3* db = nullptr;
    const std::string path = (data_dir() / "ledger.db").string();
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      throw std::runtime_error("cannot open " + path);
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT seq, id FROM outbox ORDER BY seq", -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      out[sqlite3_column_int64(st, 0)] = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

 private:
  Options o_;
  TempDir dir_;
  std::unique_ptr<AgentProcess> proc_;
  Api api_;
};

// What the cloud holds for one device, checked against the device's outbox:
// every event exactly once, seq gapless and in order. Returns "" when equal,
// else what differs.
inline std::string CompareLedgers(const json& cloud_events, const std::string& device,
                                  const std::map<std::int64_t, std::string>& outbox) {
  std::vector<std::pair<std::int64_t, std::string>> got;
  std::set<std::string> ids;
  for (const auto& e : cloud_events) {
    if (e.at("device_id") != device) continue;
    got.emplace_back(e.at("seq").get<std::int64_t>(), e.at("id").get<std::string>());
    if (!ids.insert(e.at("id").get<std::string>()).second)
      return "duplicate id " + e.at("id").dump();
  }
  if (got.size() != outbox.size()) {
    return "cloud has " + std::to_string(got.size()) + " events, the device " +
           std::to_string(outbox.size());
  }
  std::int64_t expect = 1;
  for (const auto& [seq, id] : got) {
    if (seq != expect)
      return "seq " + std::to_string(seq) + " where " + std::to_string(expect) + " was due";
    auto it = outbox.find(seq);
    if (it == outbox.end() || it->second != id)
      return "seq " + std::to_string(seq) + " has another id";
    ++expect;
  }
  return "";
}

}  // namespace sa::testing
