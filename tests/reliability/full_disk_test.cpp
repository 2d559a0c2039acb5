// SPDX-License-Identifier: Apache-2.0
// A full disk under the real daemon. Its data dir is a small tmpfs mounted in
// a private mount namespace (the test enters one itself: as root with
// unshare(CLONE_NEWNS), otherwise inside a user namespace), so the kernel
// answers ENOSPC exactly as a store box's full flash would, and the mount
// vanishes with the test. Proves: a change the ledger cannot keep is refused
// with 507 insufficient_storage and changes nothing, the ledger stays
// consistent, health and metrics say so, and the agent sells again by itself,
// without a restart, once space returns.
#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "agent_process.hpp"  // first: support.hpp's Child uses kill()
#include "codes.hpp"
#include "crypto.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using sa::testing::AgentProcess;
using sa::testing::Api;
using sa::testing::HttpReply;

namespace {

constexpr const char* kScarf = "06950123450005";

[[maybe_unused]] const bool kCurlReady = [] {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}();

void WriteProc(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A mount namespace of our own (once per process), so mounts made here are
// seen by this process and its children only, and go when they exit.
void EnterPrivateMountNamespace() {
  static const bool entered = [] {
    if (geteuid() == 0) {
      if (unshare(CLONE_NEWNS) != 0) return false;
    } else {
      const uid_t uid = geteuid();
      const gid_t gid = getegid();
      if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return false;
      WriteProc("/proc/self/setgroups", "deny");
      WriteProc("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
      WriteProc("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
    }
    // Mounts below must not propagate back to the host's namespace.
    return mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
  }();
  INFO("unshare/mount: " << std::strerror(errno));
  REQUIRE(entered);
}

// A tmpfs of `kib` KiB on `dir`.
void MountTmpfs(const fs::path& dir, int kib) {
  EnterPrivateMountNamespace();
  fs::create_directories(dir);
  const std::string opts = "size=" + std::to_string(kib) + "k,mode=0700";
  INFO("mount tmpfs on " << dir << ": " << std::strerror(errno));
  REQUIRE(mount("sa-full-disk", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0);
}

// Fills the filesystem of `path` to the last byte; returns the bytes written.
std::size_t FillUp(const fs::path& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  std::vector<char> block(4096, 'x');
  std::size_t total = 0;
  for (std::size_t chunk = block.size(); chunk > 0; chunk /= 2) {
    while (true) {
      const ssize_t n = write(fd, block.data(), chunk);
      if (n <= 0) break;
      total += static_cast<std::size_t>(n);
    }
  }
  CHECK(errno == ENOSPC);
  close(fd);
  return total;
}

// The daemon in --demo on a data dir, and the demo brand key to label units.
struct Shop {
  explicit Shop(fs::path data) : dir(std::move(data)) { Start(); }

  void Start() {
    agent = std::make_unique<AgentProcess>(
        SA_STORE_AGENT,
        std::vector<std::string>{"--demo", "--data-dir", dir.string(), "--listen", "127.0.0.1:0"});
    api.url = agent->WaitReady();
    INFO(agent->DrainLog());
    REQUIRE_FALSE(api.url.empty());
    api.token = sa::testing::Trimmed(sa::testing::Slurp((dir / "api-token").string()));
    brand =
        sa::crypto::SigningKey::FromPem(sa::testing::Slurp((dir / "demo/brand.key.pem").string()))
            .value();
  }
  void Stop() {
    agent->Signal(SIGTERM);
    CHECK(agent->Wait() == 0);
    agent.reset();
  }

  std::string Label(const std::string& serial) const {
    return sa::codes::MakeDigitalLink("id.brand.example", kScarf, serial,
                                      sa::codes::SignLabel(kScarf, serial, brand));
  }
  // Opens a sale and scans one unit into it; returns the sale id, or the
  // first answer that was not a success in `failure`.
  std::string OpenWithUnit(const std::string& serial, HttpReply& failure) {
    auto open = api.Post("/v1/sales", "{}");
    if (open.status != 201) {
      failure = open;
      return "";
    }
    const std::string id = open.json().at("id");
    auto scan = api.Post("/v1/sales/" + id + "/scans", json{{"payload", Label(serial)}}.dump());
    if (scan.status != 200) {
      failure = scan;
      return "";
    }
    return id;
  }
  HttpReply Complete(const std::string& id) {
    const json sale = api.Get("/v1/sales/" + id).json();
    return api.Post(
        "/v1/sales/" + id + "/complete",
        json{{"payments", {{{"method", "cash"}, {"amount", sale.at("total")}}}}}.dump());
  }
  json Health() const {
    auto r = api.Get("/v1/health");
    REQUIRE(r.status == 200);
    return r.json();
  }

  fs::path dir;
  std::unique_ptr<AgentProcess> agent;
  Api api;
  sa::crypto::SigningKey brand = sa::crypto::SigningKey::Generate();
};

// Every answer on a full disk is a success or the typed refusal, never a 5xx
// crash or a dropped connection.
void CheckRefusal(const HttpReply& r) {
  INFO("status " << r.status << " body " << r.body);
  REQUIRE(r.status == 507);
  const json j = r.json();
  REQUIRE(j.is_object());
  CHECK(j["error"]["code"] == "insufficient_storage");
  CHECK(j["error"]["message"].is_string());
}

// The ledger file as another reader sees it: integrity, the acknowledged
// sales completed, no half sale, the outbox gapless.
void CheckLedger(const fs::path& db_path, const std::set<std::string>& acked) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  auto scalar = [&](const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    std::string v =
        sqlite3_column_text(st, 0) ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0)) : "";
    sqlite3_finalize(st);
    return v;
  };
  CHECK(scalar("PRAGMA integrity_check") == "ok");
  for (const auto& id : acked) {
    INFO("acknowledged sale " << id);
    CHECK(scalar("SELECT coalesce((SELECT status FROM sales WHERE id = '" + id +
                 "'), 'missing')") == "completed");
  }
  CHECK(scalar("SELECT count(*) FROM sales s WHERE status = 'completed' AND "
               "(SELECT count(*) FROM payments p WHERE p.sale_id = s.id) = 0") == "0");
  CHECK(scalar("SELECT count(*) FROM sales s WHERE status = 'completed' AND NOT EXISTS "
               "(SELECT 1 FROM units u WHERE u.sale_id = s.id AND u.state = 'sold')") == "0");
  CHECK(scalar("SELECT count(*) = coalesce(max(seq), 0) FROM outbox") == "1");
  sqlite3_close(db);
}

std::string Metric(const Api& api, const std::string& name) {
  const std::string text = api.Get("/metrics").body;
  const auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return "";
  const auto from = at + name.size() + 2;
  return text.substr(from, text.find('\n', from) - from);
}

}  // namespace

TEST_CASE("full disk: a sale is refused with insufficient_storage and the agent recovers by itself",
          "[reliability][full_disk]") {
  sa::testing::TempDir temp("sa-full-disk");
  const fs::path mnt = temp.path() / "mnt";
  MountTmpfs(mnt, 2048);
  Shop shop(mnt / "data");

  std::set<std::string> acked;
  HttpReply failure;
  for (int i = 0; i < 3; ++i) {
    const std::string id = shop.OpenWithUnit("BEFORE-" + std::to_string(i), failure);
    REQUIRE_FALSE(id.empty());
    REQUIRE(shop.Complete(id).status == 200);
    acked.insert(id);
  }
  // A cashier is half-way through a sale when the disk fills up.
  const std::string pending = shop.OpenWithUnit("PENDING", failure);
  REQUIRE_FALSE(pending.empty());
  CHECK(shop.Health().at("storage").at("state") == "ok");

  const std::size_t ballast = FillUp(mnt / "ballast");
  INFO("ballast " << ballast << " bytes");

  // The ledger keeps selling while its write-ahead log has room it already
  // owns; the first change it cannot keep is refused, typed, and only that.
  bool refused = false;
  for (int i = 0; i < 20000 && !refused; ++i) {
    const std::string id = shop.OpenWithUnit("FULL-" + std::to_string(i), failure);
    if (id.empty()) {
      CheckRefusal(failure);
      refused = true;
      break;
    }
    const HttpReply done = shop.Complete(id);
    if (done.status == 200) {
      acked.insert(id);
      continue;
    }
    CheckRefusal(done);
    refused = true;
    // Refused means not done: the sale is still open, nothing sold.
    const json sale = shop.api.Get("/v1/sales/" + id).json();
    CHECK(sale.at("status") == "open");
  }
  REQUIRE(refused);

  const json health = shop.Health();
  CHECK(health.at("status") == "degraded");
  CHECK(health.at("storage").at("state") == "full");
  CHECK(health.at("storage").at("refusals").get<int>() >= 1);
  CHECK(Metric(shop.api, "sa_ledger_storage_full") == "1");
  CHECK_FALSE(shop.agent->WaitForLog("ledger storage full").empty());

  // The half-way sale cannot be completed either, and stays as it was.
  const HttpReply blocked = shop.Complete(pending);
  if (blocked.status == 200) {
    acked.insert(pending);
  } else {
    CheckRefusal(blocked);
    const json sale = shop.api.Get("/v1/sales/" + pending).json();
    CHECK(sale.at("status") == "open");
    CHECK(sale.at("lines").size() == 1);
  }
  CheckLedger(mnt / "data" / "ledger.db", acked);

  // Space returns: the next change commits, no restart, no operator.
  fs::remove(mnt / "ballast");
  const std::string after = shop.OpenWithUnit("AFTER", failure);
  INFO("after: " << failure.status << " " << failure.body);
  REQUIRE_FALSE(after.empty());
  REQUIRE(shop.Complete(after).status == 200);
  acked.insert(after);
  CHECK_FALSE(shop.agent->WaitForLog("ledger storage recovered").empty());
  if (blocked.status != 200) {
    REQUIRE(shop.Complete(pending).status == 200);
    acked.insert(pending);
  }
  const json healed = shop.Health();
  CHECK(healed.at("status") == "ok");
  CHECK(healed.at("storage").at("state") == "ok");
  CHECK(Metric(shop.api, "sa_ledger_storage_full") == "0");

  std::printf(
      "full_disk: %zu sales acknowledged, %s refused with 507 while the disk was full, "
      "selling again without a restart once %zu bytes were freed\n",
      acked.size(), health.at("storage").at("refusals").dump().c_str(), ballast);

  // And all of it survives a restart.
  shop.Stop();
  CheckLedger(mnt / "data" / "ledger.db", acked);
  shop.Start();
  for (const auto& id : acked) {
    INFO("sale " << id);
    CHECK(shop.api.Get("/v1/sales/" + id).json().at("status") == "completed");
  }
}

TEST_CASE(
    "full disk: an agent restarted on a full disk starts or says why and never corrupts the ledger",
    "[reliability][full_disk]") {
  sa::testing::TempDir temp("sa-full-disk");
  const fs::path mnt = temp.path() / "mnt";
  MountTmpfs(mnt, 2048);
  std::set<std::string> acked;
  {
    Shop shop(mnt / "data");
    HttpReply failure;
    const std::string id = shop.OpenWithUnit("ONE", failure);
    REQUIRE_FALSE(id.empty());
    REQUIRE(shop.Complete(id).status == 200);
    acked.insert(id);
    shop.Stop();
  }
  FillUp(mnt / "ballast");

  // A full disk at boot: either the agent comes up and refuses changes with
  // 507, or it exits with a one-line reason. Never a crash.
  AgentProcess agent(SA_STORE_AGENT,
                     {"--demo", "--data-dir", (mnt / "data").string(), "--listen", "127.0.0.1:0"});
  const std::string url = agent.WaitReady();
  if (url.empty()) {
    const int status = agent.Wait();
    INFO(agent.DrainLog());
    CHECK(status != 0);
    CHECK(status < 128);  // an exit, not a signal
  } else {
    Api api{url, sa::testing::Trimmed(sa::testing::Slurp((mnt / "data" / "api-token").string()))};
    const HttpReply r = api.Post("/v1/sales", "{}");
    if (r.status != 201) CheckRefusal(r);
    agent.Signal(SIGTERM);
    CHECK(agent.Wait() == 0);
  }
  fs::remove(mnt / "ballast");
  CheckLedger(mnt / "data" / "ledger.db", acked);
  Shop shop(mnt / "data");  // and with space back, it starts
  CHECK(shop.api.Get("/v1/sales/" + *acked.begin()).json().at("status") == "completed");
}
