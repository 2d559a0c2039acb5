// SPDX-License-Identifier: Apache-2.0
// The real store-agent daemon as a process: its data dir (token, url, lock),
// signals and restarts, kill -9 durability and idempotent replays across a
// restart, the systemd notify protocol, config errors, the virtual TCP
// scanner feeding /v1/events, and no phone number in logs or on disk.
//
// Every daemon runs with --demo on 127.0.0.1:0 in its own temp data dir.
// Nothing sleeps: readiness is the "ready" log line, exits are stderr EOF,
// notify datagrams and SSE data are waited for with poll/condition variables
// (each with a generous limit only as a safety net against hangs).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent_process.hpp"  // first: support.hpp's Child uses kill()
#include "daemon_support.hpp"
#include "demo_agent.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using sa::testing::AgentProcess;
using sa::testing::Api;
using sa::testing::Child;
using sa::testing::DemoArgs;
using sa::testing::EventStreamClient;
using sa::testing::FindEvent;
using sa::testing::HttpReply;
using sa::testing::ScannerConnection;
using sa::testing::SerialOf;
using sa::testing::Slurp;
using sa::testing::TempDir;
using sa::testing::Trimmed;

namespace {

constexpr auto kSafetyNet = std::chrono::seconds(30);

// libcurl's global init is not thread-safe; do it once before any thread.
[[maybe_unused]] const bool kCurlReady = [] {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}();

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A demo daemon on `dir`, started and ready (or the test stops here).
struct Agent {
  explicit Agent(const fs::path& dir, const std::vector<std::string>& extra = {})
      : proc(std::make_unique<AgentProcess>(SA_STORE_AGENT, DemoArgs(dir, extra))) {
    url = proc->WaitReady();
    INFO("stderr so far:\n" << proc->log());
    REQUIRE_FALSE(url.empty());
    api = Api{url, Trimmed(Slurp((dir / "api-token").string()))};
    REQUIRE_FALSE(api.token.empty());
  }
  std::unique_ptr<AgentProcess> proc;
  std::string url;
  Api api;
};

// Reads the process's stderr to its end (it closes when the process exits);
// false when `limit` passed first.
bool ReadToEof(AgentProcess& p, std::chrono::milliseconds limit = kSafetyNet) {
  const auto start = std::chrono::steady_clock::now();
  p.WaitForLog("\x01never\x01", limit);
  return std::chrono::steady_clock::now() - start < limit;
}

// The exit status once it ended by itself; -1 (and a failed check) when it
// did not end within the safety net (it is then killed).
int ExitStatus(AgentProcess& p) {
  if (!ReadToEof(p)) {
    FAIL_CHECK("store-agent did not exit; stderr:\n" << p.log());
    p.Kill();
    return -1;
  }
  return p.Wait();
}

int StopWith(AgentProcess& p, int sig) {
  p.Signal(sig);
  return ExitStatus(p);
}

std::vector<std::string> DemoCodes(const fs::path& dir, int n) {
  return sa::testing::DemoCodes(SA_STORECTL, dir, n);
}

std::string ErrorCode(const HttpReply& r) {
  const json j = r.json();
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

json OpenSale(const Api& api) {
  const HttpReply r = api.Post("/v1/sales", "{}");
  INFO(r.body);
  REQUIRE(r.status == 201);
  return r.json();
}

json ScanInto(const Api& api, const std::string& sale, const std::string& code) {
  const HttpReply r = api.Post("/v1/sales/" + sale + "/scans", json{{"payload", code}}.dump());
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json();
}

std::string CashFor(const json& sale) {
  return json{{"payments", {{{"method", "cash"}, {"amount", sale.at("total")}}}}}.dump();
}

json GetSale(const Api& api, const std::string& id) {
  const HttpReply r = api.Get("/v1/sales/" + id);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json();
}

// A completed sale of one unit: {sale json as completed}.
json SellOne(const Api& api, const std::string& code) {
  const json sale = OpenSale(api);
  const std::string id = sale.at("id");
  const json scanned = ScanInto(api, id, code);
  const HttpReply done = api.Post("/v1/sales/" + id + "/complete", CashFor(scanned));
  INFO(done.body);
  REQUIRE(done.status == 200);
  const json j = done.json();
  REQUIRE(j.value("status", "") == "completed");
  REQUIRE(j.at("receipt_no").is_string());
  return j;
}

// ------------------------------------------------------------ systemd notify

class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path.string()) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // The next datagram, or "" when none came within the safety net.
  std::string Next(std::chrono::milliseconds limit = kSafetyNet) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return "";
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
  // Datagrams until one has the line `line`; that one, or "" (all seen in `seen`).
  std::string Until(const std::string& line, std::vector<std::string>& seen) {
    while (true) {
      std::string d = Next();
      if (d.empty()) return "";
      seen.push_back(d);
      if (HasLine(d, line)) return d;
    }
  }
  static bool HasLine(const std::string& datagram, const std::string& line) {
    std::size_t at = 0;
    while (at <= datagram.size()) {
      const auto nl = datagram.find('\n', at);
      const std::string l =
          datagram.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
      if (l == line || (line.back() == '=' && l.rfind(line, 0) == 0)) return true;
      if (nl == std::string::npos) break;
      at = nl + 1;
    }
    return false;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// Sets environment variables for the children started while it lives (the
// test process is single-threaded at that point; AgentProcess forks).
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, std::string>> vars) {
    for (const auto& [k, v] : vars) {
      names_.emplace_back(k);
      ::setenv(k, v.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (const auto& n : names_) ::unsetenv(n.c_str());
  }

 private:
  std::vector<std::string> names_;
};

}  // namespace

// ============================================================================

TEST_CASE(
    "daemon: first start writes api-token 0600 and api-url and a second daemon on the "
    "same data dir is refused while the first keeps serving",
    "[daemon]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "data";
  Agent first(dir);

  struct stat st {};
  REQUIRE(::stat((dir / "api-token").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string token = Trimmed(Slurp((dir / "api-token").string()));
  CHECK(token.size() >= 32);
  CHECK(Trimmed(Slurp((dir / "api-url").string())) == first.url);

  CHECK(first.api.Get("/v1/health").status == 200);
  CHECK(sa::testing::Http("GET", first.url + "/v1/health").status == 401);

  AgentProcess second(SA_STORE_AGENT, DemoArgs(dir));
  const int status = ExitStatus(second);
  const std::string err = second.log();
  INFO("second daemon's stderr:\n" << err);
  CHECK(status != 0);
  CHECK_FALSE(Contains(err, "\"msg\":\"ready\""));
  CHECK(Contains(err, dir.string()));
  CHECK((Contains(err, "another store-agent") || Contains(err, "in use") || Contains(err, "lock")));

  // The first is untouched: same token, same url, still serving.
  CHECK(Trimmed(Slurp((dir / "api-token").string())) == token);
  CHECK(Trimmed(Slurp((dir / "api-url").string())) == first.url);
  const HttpReply health = first.api.Get("/v1/health");
  CHECK(health.status == 200);
  CHECK(health.json().value("status", "") == "ok");
  CHECK(OpenSale(first.api).contains("id"));
}

TEST_CASE("daemon: SIGTERM and SIGINT exit 0 and a completed sale survives each restart",
          "[daemon]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "data";
  std::string sale_id, receipt_no;
  {
    Agent a(dir);
    const auto codes = DemoCodes(dir, 1);
    const json sale = SellOne(a.api, codes[0]);
    sale_id = sale.at("id");
    receipt_no = sale.at("receipt_no");
    CHECK(StopWith(*a.proc, SIGTERM) == 0);
    INFO(a.proc->log());
    CHECK(Contains(a.proc->log(), "\"signal\":\"SIGTERM\""));
    CHECK(Contains(a.proc->log(), "\"msg\":\"new ledger\""));
  }
  {
    Agent b(dir);
    // A clean stop leaves the ledger as it was closed: no whole-file check.
    INFO(b.proc->log());
    CHECK(Contains(b.proc->log(), "ledger closed cleanly last time: not checked again"));
    const json sale = GetSale(b.api, sale_id);
    CHECK(sale.value("status", "") == "completed");
    CHECK(sale.value("receipt_no", "") == receipt_no);
    CHECK(StopWith(*b.proc, SIGINT) == 0);
    INFO(b.proc->log());
    CHECK(Contains(b.proc->log(), "\"signal\":\"SIGINT\""));
  }
  {
    Agent c(dir);
    const json sale = GetSale(c.api, sale_id);
    CHECK(sale.value("status", "") == "completed");
    CHECK(sale.value("receipt_no", "") == receipt_no);
    CHECK(StopWith(*c.proc, SIGTERM) == 0);
  }
}

TEST_CASE("daemon: kill -9 right after a 200 on complete loses nothing and the serial stays sold",
          "[daemon]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "data";
  std::string sale_id, receipt_no;
  std::vector<std::string> codes;
  {
    Agent a(dir);
    codes = DemoCodes(dir, 2);
    const json sale = OpenSale(a.api);
    sale_id = sale.at("id");
    const json scanned = ScanInto(a.api, sale_id, codes[0]);
    const HttpReply member =
        a.api.Post("/v1/sales/" + sale_id + "/member", json{{"payload", codes[2]}}.dump());
    INFO(member.body);
    REQUIRE(member.status == 200);
    const HttpReply done = a.api.Post("/v1/sales/" + sale_id + "/complete", CashFor(scanned));
    INFO(done.body);
    REQUIRE(done.status == 200);
    a.proc->Kill();  // SIGKILL at once, no shutdown path
    receipt_no = done.json().at("receipt_no");
  }
  Agent b(dir);
  {
    // No clean close: the whole file is checked, beside the till.
    INFO(b.proc->log());
    CHECK(Contains(b.proc->log(), "ledger not closed cleanly: checking it beside the till"));
    // It may end before the ready line or after it.
    const std::string passed = "ledger checked beside the till (PRAGMA quick_check): ok";
    CHECK((Contains(b.proc->log(), passed) || !b.proc->WaitForLog(passed).empty()));
  }
  const json sale = GetSale(b.api, sale_id);
  CHECK(sale.value("status", "") == "completed");
  CHECK(sale.value("receipt_no", "") == receipt_no);
  CHECK(sale.at("member").is_object());
  REQUIRE(sale.at("lines").size() == 1);
  CHECK(sale["lines"][0].value("serial", "") == SerialOf(codes[0]));

  const std::string again = OpenSale(b.api).at("id");
  const HttpReply twice =
      b.api.Post("/v1/sales/" + again + "/scans", json{{"payload", codes[0]}}.dump());
  INFO(twice.body);
  CHECK(twice.status == 409);
  CHECK(ErrorCode(twice) == "serial_already_sold");
  // The other label still sells: the ledger is whole.
  CHECK(ScanInto(b.api, again, codes[1]).at("lines").size() == 1);
}

namespace {

// After a kill -9: the WAL folded into the file (as another program's write
// would), then the first page of one index the agent's start never reads
// overwritten, so only the whole-file check can find it.
void DamageAnIndexPage(const fs::path& ledger) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(ledger.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT rootpage FROM sqlite_schema WHERE name = "
                             "'refund_quantities_by_line'",
                             -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const std::int64_t page = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  REQUIRE(page > 1);
  std::fstream f(ledger, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp((page - 1) * 4096);
  f << std::string(200, '\xAB');
}

}  // namespace

TEST_CASE(
    "daemon: a ledger found damaged beside the till stops the agent, and it is refused "
    "at every start until restored",
    "[daemon][bad_input]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "data";
  {
    Agent a(dir);
    a.proc->Kill();  // no clean close: the next start checks the file
  }
  DamageAnIndexPage(dir / "ledger.db");
  {
    AgentProcess p(SA_STORE_AGENT, DemoArgs(dir, {}));
    REQUIRE(ReadToEof(p));
    INFO(p.log());
    CHECK(Contains(p.log(), "ledger not closed cleanly: checking it beside the till"));
    CHECK(Contains(p.log(), "ledger failed its integrity check: stopping"));
    CHECK(p.Wait() != 0);
  }
  CHECK(fs::exists(dir / "ledger.db-damaged"));
  CHECK_FALSE(fs::exists(dir / "ledger.db-closed"));
  const std::string before = Slurp((dir / "ledger.db").string());
  AgentProcess again(SA_STORE_AGENT, DemoArgs(dir, {}));
  REQUIRE(ReadToEof(again));
  INFO(again.log());
  CHECK(again.Wait() == 1);
  CHECK(Contains(again.log(), "failed its integrity check"));
  CHECK_FALSE(Contains(again.log(), "\"msg\":\"ready\""));
  CHECK(Slurp((dir / "ledger.db").string()) == before);
}

TEST_CASE("daemon: an Idempotency-Key replays byte-identically across kill -9 and restart",
          "[daemon]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "data";
  const std::string key = "complete-" + tmp.path().filename().string();
  std::string sale_id, body;
  HttpReply first;
  {
    Agent a(dir);
    const auto codes = DemoCodes(dir, 1);
    sale_id = OpenSale(a.api).at("id");
    body = CashFor(ScanInto(a.api, sale_id, codes[0]));
    first = a.api.Post("/v1/sales/" + sale_id + "/complete", body, key);
    INFO(first.body);
    REQUIRE(first.status == 200);
    a.proc->Kill();
  }
  Agent b(dir);
  const HttpReply replay = b.api.Post("/v1/sales/" + sale_id + "/complete", body, key);
  CHECK(replay.status == first.status);
  CHECK(replay.body == first.body);

  const json sale = GetSale(b.api, sale_id);
  CHECK(sale.value("status", "") == "completed");
  CHECK(sale.at("payments").size() == 1);
  CHECK(sale.value("receipt_no", "") == first.json().value("receipt_no", "?"));

  // The same key for another body is a conflict, not a second completion.
  const HttpReply other = b.api.Post("/v1/sales/" + sale_id + "/complete",
                                     R"({"payments":[{"method":"card","amount":1}]})", key);
  CHECK(other.status == 409);
  CHECK(GetSale(b.api, sale_id).at("payments").size() == 1);
}

TEST_CASE("daemon: systemd notify sends READY=1 with STATUS then WATCHDOG=1 then STOPPING=1",
          "[daemon]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "data";
  NotifySocket notify(tmp.path() / "notify.sock");
  std::unique_ptr<AgentProcess> proc;
  {
    ScopedEnv env{{"NOTIFY_SOCKET", notify.path()}, {"WATCHDOG_USEC", "200000"}};
    proc = std::make_unique<AgentProcess>(SA_STORE_AGENT, DemoArgs(dir));
  }
  const std::string url = proc->WaitReady();
  INFO("stderr:\n" << proc->log());
  REQUIRE_FALSE(url.empty());

  std::vector<std::string> seen;
  const std::string ready = notify.Until("READY=1", seen);
  INFO("datagrams: " << json(seen).dump());
  REQUIRE_FALSE(ready.empty());
  CHECK(seen.size() == 1);  // READY=1 is the first thing said
  CHECK(NotifySocket::HasLine(ready, "STATUS="));
  CHECK(Contains(ready, url));

  // Two watchdog pets: it is periodic, not a single message.
  CHECK_FALSE(notify.Until("WATCHDOG=1", seen).empty());
  CHECK_FALSE(notify.Until("WATCHDOG=1", seen).empty());

  proc->Signal(SIGTERM);
  CHECK_FALSE(notify.Until("STOPPING=1", seen).empty());
  CHECK(ExitStatus(*proc) == 0);
}

TEST_CASE("daemon: config errors exit 1 with file:line messages and --print-config round-trips",
          "[daemon]") {
  TempDir tmp;
  const fs::path data = tmp.path() / "data";

  SECTION("an unknown key on line 3 and a wrong type on line 5") {
    const fs::path f = tmp.path() / "agent.toml";
    std::ofstream(f) << "[store]\n"
                        "id = \"s1\"\n"
                        "idd = \"typo\"\n"
                        "[api]\n"
                        "max_body_bytes = \"big\"\n";
    AgentProcess p(SA_STORE_AGENT, {"--config", f.string(), "--data-dir", data.string(), "--listen",
                                    "127.0.0.1:0"});
    const int status = ExitStatus(p);
    INFO("stderr:\n" << p.log());
    CHECK(status == 1);
    CHECK(Contains(p.log(), f.string() + ":3:"));
    CHECK(Contains(p.log(), f.string() + ":5:"));
    CHECK_FALSE(Contains(p.log(), "\"msg\":\"ready\""));
    CHECK_FALSE(fs::exists(data / "ledger.db"));
  }

  SECTION("an unparseable --listen") {
    for (const char* listen : {"nonsense", "127.0.0.1", "127.0.0.1:99999", "localhost:8787"}) {
      AgentProcess p(SA_STORE_AGENT, {"--demo", "--data-dir", data.string(), "--listen", listen});
      const int status = ExitStatus(p);
      INFO("--listen " << listen << "; stderr:\n" << p.log());
      CHECK(status == 1);
      CHECK(Contains(p.log(), "--listen"));
      CHECK_FALSE(Contains(p.log(), "\"msg\":\"ready\""));
    }
  }

  SECTION("--print-config exits 0 and a daemon starts on what it printed") {
    Child print(SA_STORE_AGENT, {"--print-config"});
    const std::string text = print.ReadAll();
    CHECK(print.Wait() == 0);
    REQUIRE_FALSE(text.empty());
    const fs::path f = tmp.path() / "printed.toml";
    std::ofstream(f) << text;
    Agent a(data, {"--config", f.string()});
    CHECK(a.api.Get("/v1/health").status == 200);
    CHECK(StopWith(*a.proc, SIGTERM) == 0);
  }
}

TEST_CASE("daemon: the virtual TCP scanner feeds sales and /v1/events and /v1/scans", "[daemon]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "data";
  Agent a(dir);
  const auto codes = DemoCodes(dir, 1);
  const std::string serial = SerialOf(codes[0]);
  const std::string scanner_url = Trimmed(Slurp((dir / "scanner-url").string()));
  REQUIRE(scanner_url.rfind("tcp://127.0.0.1:", 0) == 0);

  EventStreamClient events(a.api);
  // The stream's opening comment: the daemon has registered it.
  REQUIRE(events.WaitFor([](const std::string& d) { return Contains(d, ": store-agent events"); }));

  ScannerConnection scanner(scanner_url);
  scanner.SendLine(codes[0]);

  const auto accepted = [&](const json& j) {
    return j.value("payload", "") == codes[0] && j.value("outcome", "") == "accepted";
  };
  const auto sold = [&](const json& j) {
    if (!j.contains("lines") || !j["lines"].is_array()) return false;
    for (const auto& l : j["lines"]) {
      if (l.value("serial", json(nullptr)) == serial) return true;
    }
    return false;
  };
  const bool got = events.WaitFor([&](const std::string& d) {
    return !FindEvent(d, "scan", accepted).is_null() && !FindEvent(d, "sale", sold).is_null();
  });
  INFO("stream:\n" << events.data());
  REQUIRE(got);
  const json sale = FindEvent(events.data(), "sale", sold);
  CHECK(sale.value("status", "") == "open");

  const HttpReply recent = a.api.Get("/v1/scans?limit=1");
  REQUIRE(recent.status == 200);
  const json scans = recent.json().at("scans");
  REQUIRE(scans.size() == 1);
  CHECK(scans[0].value("payload", "") == codes[0]);
  CHECK(scans[0].value("source", "").rfind("tcp:", 0) == 0);
  CHECK(scans[0].value("outcome", "") == "accepted");

  // A garbage line: refused as malformed, and the daemon keeps serving.
  const std::string garbage = "\x7f not a code \xff at all";
  scanner.SendLine(garbage);
  const auto malformed = [&](const json& j) { return j.value("outcome", "") == "malformed_code"; };
  REQUIRE(events.WaitFor(
      [&](const std::string& d) { return !FindEvent(d, "scan", malformed).is_null(); }));
  CHECK(a.api.Get("/v1/health").status == 200);
  const json after = a.api.Get("/v1/scans?limit=1").json();
  REQUIRE(after.at("scans").size() == 1);
  CHECK(after["scans"][0].value("outcome", "") == "malformed_code");
  CHECK(GetSale(a.api, sale.at("id")).at("lines").size() == 1);  // nothing changed

  // A second scanner connection still works after the garbage.
  ScannerConnection again(scanner_url);
  again.SendLine("also-garbage");
  const auto second = [&](const json& j) { return j.value("payload", "") == "also-garbage"; };
  CHECK(events.WaitFor(
      [&](const std::string& d) { return !FindEvent(d, "scan", second).is_null(); }));

  events.Stop();
  CHECK(events.status() == 200);
  CHECK(StopWith(*a.proc, SIGTERM) == 0);
}

TEST_CASE("daemon: an over-long scanner line is refused and the next line still scans",
          "[daemon]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "data";
  Agent a(dir);
  const auto codes = DemoCodes(dir, 1);
  EventStreamClient events(a.api);
  REQUIRE(events.WaitFor([](const std::string& d) { return Contains(d, ": store-agent events"); }));
  ScannerConnection scanner(Trimmed(Slurp((dir / "scanner-url").string())));
  scanner.SendLine(std::string(10000, 'A'));  // over the 4096-byte line limit
  scanner.SendLine(codes[0]);                 // on the same connection
  const auto too_large = [](const json& j) { return j.value("outcome", "") == "malformed_code"; };
  const auto accepted = [&](const json& j) {
    return j.value("payload", "") == codes[0] && j.value("outcome", "") == "accepted";
  };
  const bool got = events.WaitFor([&](const std::string& d) {
    return !FindEvent(d, "scan", too_large).is_null() && !FindEvent(d, "scan", accepted).is_null();
  });
  INFO("stream:\n" << events.data());
  CHECK(got);
  events.Stop();
  CHECK(StopWith(*a.proc, SIGTERM) == 0);
}

TEST_CASE("daemon: SIGTERM with an open /v1/events stream still exits 0", "[daemon]") {
  TempDir tmp;
  Agent a(tmp.path() / "data");
  EventStreamClient events(a.api);
  REQUIRE(events.WaitFor([](const std::string& d) { return Contains(d, ": store-agent events"); }));
  CHECK(StopWith(*a.proc, SIGTERM) == 0);
  // The daemon closed the stream: the client's transfer ends by itself.
  events.WaitFor([](const std::string&) { return false; });
  CHECK(events.finished());
}

TEST_CASE("daemon: a bound phone number is in no log line and in no file of the data dir",
          "[daemon]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "data";
  const std::string phone = "13812345678";
  Agent a(dir, {"--log-level", "debug"});
  const auto codes = DemoCodes(dir, 1);

  const std::string id = OpenSale(a.api).at("id");
  const json scanned = ScanInto(a.api, id, codes[0]);
  // Refused first (no such sale, a malformed body), then bound for real.
  CHECK(a.api.Post("/v1/sales/nope/member", json{{"phone", phone}}.dump()).status == 404);
  CHECK(a.api.Post("/v1/sales/" + id + "/member", json{{"phone", phone}, {"payload", "x"}}.dump())
            .status == 400);
  const HttpReply bound =
      a.api.Post("/v1/sales/" + id + "/member", json{{"phone", phone}}.dump(), "bind-" + id);
  INFO(bound.body);
  REQUIRE(bound.status == 200);
  CHECK(bound.json().at("member").value("phone_masked", "") == "138****5678");
  CHECK_FALSE(Contains(bound.body, "12345678"));
  const HttpReply done = a.api.Post("/v1/sales/" + id + "/complete", CashFor(scanned));
  INFO(done.body);
  REQUIRE(done.status == 200);
  CHECK_FALSE(Contains(done.body, "12345678"));

  CHECK(StopWith(*a.proc, SIGTERM) == 0);
  const std::string log = a.proc->log();
  CHECK_FALSE(log.empty());
  CHECK_FALSE(Contains(log, phone));
  CHECK_FALSE(Contains(log, "12345678"));

  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string bytes = Slurp(entry.path().string());
    INFO(entry.path().string());
    CHECK_FALSE(Contains(bytes, phone));
    CHECK_FALSE(Contains(bytes, "12345678"));
  }
  CHECK(files >= 3);  // ledger.db, api-token, ... were all read
}
